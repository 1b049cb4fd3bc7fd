"""Height-field terrain on the device: the surface under a point and sphere distances against it (``@wp.func``).

A height field is a 2D array ``hfield[i, j]`` of heights [m] at the world points (i spacing, j spacing), z up; the
surface between the samples is two triangles per cell, split along the (i, j)-(i + 1, j + 1) diagonal as Isaac
Gym's ``terrain_utils.convert_heightfield_to_trimesh`` splits them (the mesh legged_gym collides with; legged_gym
also moves the vertices of slopes steeper than 0.75 to make them vertical, which this regular grid does not: a stair
edge here is a ramp one cell wide). Outside the field, and when it has fewer than 2 x 2 samples, the surface is the
model's plane n . x = offset. Contacts treat the surface under a point as the plane of that point's triangle, so
the contact law of ``kernels.contact`` (MuJoCo's soft constraint against a plane) applies unchanged.
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
def hfield_sphere(
    hfield: wp.array2d[float],
    spacing: float,
    plane_normal: wp.vec3,
    plane_offset: float,
    center: wp.vec3,
    radius: float,
):
    """Signed distance [m] of a sphere (center [m, world], radius [m]) to the terrain plane under its center, its
    deepest point [m, world] and that plane's unit normal (the contact normal, pointing out of the terrain)."""
    n, d = hfield_plane(hfield, spacing, center[0], center[1], plane_normal, plane_offset)
    dist, point = plane_sphere(n, d, center, radius)
    return dist, point, n
