"""Height-field terrain on the device: the surface under a point and sphere distances against it (``@wp.func``).

A height field is a 2D array ``hfield[i, j]`` of heights [m] at the world points (i spacing, j spacing), z up; the
surface between the samples is two triangles per cell, split along the (i, j)-(i + 1, j + 1) diagonal as Isaac
Gym's ``terrain_utils.convert_heightfield_to_trimesh`` splits them (the mesh legged_gym collides with; legged_gym
also moves the vertices of slopes steeper than 0.75 to make them vertical, which a regular grid can only approach:
``envs.terrain.vertical_risers`` refines the field so that a riser is a ramp one fine cell wide). Outside the field,
and when it has fewer than 2 x 2 samples, the surface is the model's plane n . x = offset. A point (a box corner)
is taken against the plane of its triangle; a sphere against the closest point of the triangles within its radius
(``hfield_sphere``). Either gives one contact, a point and a normal, so the contact law of ``kernels.contact``
(MuJoCo's soft constraint against a plane) applies unchanged.
"""

import warp as wp

from kernels.contact import plane_sphere

wp.set_module_options({"enable_backward": False, "max_unroll": 1})


@wp.func
def hfield_plane(
    hfield: wp.array2d[float], spacing: float, x: float, y: float, plane_normal: wp.vec3, plane_offset: float
):
    """The plane (unit normal, offset [m], n . p = offset, world frame) of the terrain surface under world (x, y) [m]:
    the cell's triangle inside the height field, the model's plane outside it."""
    nrow = hfield.shape[0]
    ncol = hfield.shape[1]
    if nrow < 2 or ncol < 2:
        return plane_normal, plane_offset
    u = x / spacing
    v = y / spacing
    # written so that a NaN coordinate also falls back to the plane
    if not (u >= 0.0 and v >= 0.0 and u <= float(nrow - 1) and v <= float(ncol - 1)):
        return plane_normal, plane_offset
    i = wp.min(int(wp.floor(u)), nrow - 2)
    j = wp.min(int(wp.floor(v)), ncol - 2)
    fu = u - float(i)
    fv = v - float(j)
    h00 = hfield[i, j]
    h11 = hfield[i + 1, j + 1]
    # the surface is h00 + a fu + b fv on the cell's triangle: (i,j), (i+1,j+1), (i,j+1) above the diagonal,
    # (i,j), (i+1,j), (i+1,j+1) below it
    a = float(0.0)
    b = float(0.0)
    if fv >= fu:
        h01 = hfield[i, j + 1]
        a = h11 - h01
        b = h01 - h00
    else:
        h10 = hfield[i + 1, j]
        a = h10 - h00
        b = h11 - h10
    n = wp.normalize(wp.vec3(-a / spacing, -b / spacing, 1.0))
    return n, wp.dot(n, wp.vec3(float(i) * spacing, float(j) * spacing, h00))


@wp.func
def hfield_height(
    hfield: wp.array2d[float], spacing: float, x: float, y: float, plane_normal: wp.vec3, plane_offset: float
) -> float:
    """Height z [m, world] of the terrain surface at world (x, y) [m] (the model's plane outside the field)."""
    nrow = hfield.shape[0]
    ncol = hfield.shape[1]
    u = x / spacing
    v = y / spacing
    if nrow < 2 or ncol < 2 or not (u >= 0.0 and v >= 0.0 and u <= float(nrow - 1) and v <= float(ncol - 1)):
        return (plane_offset - plane_normal[0] * x - plane_normal[1] * y) / plane_normal[2]
    # hfield_plane's triangles, without the normal: the height scan calls this 187 times per env and step
    i = wp.min(int(wp.floor(u)), nrow - 2)
    j = wp.min(int(wp.floor(v)), ncol - 2)
    fu = u - float(i)
    fv = v - float(j)
    h00 = hfield[i, j]
    h11 = hfield[i + 1, j + 1]
    if fv >= fu:
        h01 = hfield[i, j + 1]
        return h00 + fu * (h11 - h01) + fv * (h01 - h00)
    h10 = hfield[i + 1, j]
    return h00 + fu * (h10 - h00) + fv * (h11 - h10)


@wp.func
def closest_to_origin(a: wp.vec3, b: wp.vec3, c: wp.vec3) -> wp.vec3:
    """The point [m] of triangle (a, b, c) closest to the origin (Ericson, Real-Time Collision Detection, 5.1.5:
    vertex, edge or face region by the signs of the barycentric terms); coordinates relative to the query point."""
    ab = b - a
    ac = c - a
    d1 = -wp.dot(ab, a)
    d2 = -wp.dot(ac, a)
    if d1 <= 0.0 and d2 <= 0.0:
        return a
    d3 = -wp.dot(ab, b)
    d4 = -wp.dot(ac, b)
    if d3 >= 0.0 and d4 <= d3:
        return b
    vc = d1 * d4 - d3 * d2
    if vc <= 0.0 and d1 >= 0.0 and d3 <= 0.0:
        return a + (d1 / (d1 - d3)) * ab
    d5 = -wp.dot(ab, c)
    d6 = -wp.dot(ac, c)
    if d6 >= 0.0 and d5 <= d6:
        return c
    vb = d5 * d2 - d1 * d6
    if vb <= 0.0 and d2 >= 0.0 and d6 <= 0.0:
        return a + (d2 / (d2 - d6)) * ac
    va = d3 * d6 - d5 * d4
    if va <= 0.0 and (d4 - d3) >= 0.0 and (d5 - d6) >= 0.0:
        return b + ((d4 - d3) / ((d4 - d3) + (d5 - d6))) * (c - b)
    denom = 1.0 / (va + vb + vc)
    return a + (vb * denom) * ab + (vc * denom) * ac


@wp.func
def hfield_sphere(
    hfield: wp.array2d[float],
    spacing: float,
    plane_normal: wp.vec3,
    plane_offset: float,
    center: wp.vec3,
    radius: float,
):
    """Signed distance [m] of a sphere (center [m, world], radius [m]) to the terrain, its deepest point [m, world]
    and the unit contact normal [world] pointing out of the terrain.

    A center above the surface: the closest point of the triangles of the cells within the radius, the normal from
    it to the center (a stair edge is rounded by the sphere, a riser pushes back horizontally). A center on or below
    the surface, or outside the field: the plane of the triangle under the center (the depth along its normal)."""
    n, d = hfield_plane(hfield, spacing, center[0], center[1], plane_normal, plane_offset)
    dist, point = plane_sphere(n, d, center, radius)
    nrow = hfield.shape[0]
    ncol = hfield.shape[1]
    u = center[0] / spacing
    v = center[1] / spacing
    if nrow < 2 or ncol < 2 or not (u >= 0.0 and v >= 0.0 and u <= float(nrow - 1) and v <= float(ncol - 1)):
        return dist, point, n
    if wp.dot(n, center) - d <= 0.0:
        return dist, point, n
    r = radius / spacing
    i0 = wp.max(int(wp.floor(u - r)), 0)
    i1 = wp.min(int(wp.floor(u + r)), nrow - 2)
    j0 = wp.max(int(wp.floor(v - r)), 0)
    j1 = wp.min(int(wp.floor(v + r)), ncol - 2)
    # a sphere above every sample of those cells touches none of them (a swinging foot): skip the triangle tests
    top = float(-1.0e30)
    i = i0
    while i <= i1 + 1:
        j = j0
        while j <= j1 + 1:
            top = wp.max(top, hfield[i, j])
            j += 1
        i += 1
    if center[2] - radius > top:
        # the gap to the highest sample bounds the true one from below (the plane under the center can be closer)
        return center[2] - radius - top, center - radius * n, n
    best = wp.vec3(0.0)
    best2 = float(1.0e30)
    i = i0
    while i <= i1:
        j = j0
        while j <= j1:
            # cell corners relative to the center: both of its triangles (hfield_plane's split)
            x0 = float(i) * spacing - center[0]
            y0 = float(j) * spacing - center[1]
            p00 = wp.vec3(x0, y0, hfield[i, j] - center[2])
            p11 = wp.vec3(x0 + spacing, y0 + spacing, hfield[i + 1, j + 1] - center[2])
            q = closest_to_origin(p00, p11, wp.vec3(x0, y0 + spacing, hfield[i, j + 1] - center[2]))
            if wp.dot(q, q) < best2:
                best2 = wp.dot(q, q)
                best = q
            q = closest_to_origin(p00, wp.vec3(x0 + spacing, y0, hfield[i + 1, j] - center[2]), p11)
            if wp.dot(q, q) < best2:
                best2 = wp.dot(q, q)
                best = q
            j += 1
        i += 1
    gap = wp.sqrt(best2)
    if gap < 1.0e-9:
        return dist, point, n
    normal = -best / gap
    return gap - radius, center - radius * normal, normal
