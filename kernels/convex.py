"""MuJoCo's general convex collider (mjc_Convex) for the geom pairs its collision table gives it and no primitive
here covers: a cylinder against a capsule, a cylinder or a box, and an ellipsoid against a sphere, capsule,
ellipsoid, cylinder or box.

The algorithm is MuJoCo 4.0's native one (engine_collision_gjk.c, engine_collision_convex.c), written here for one
CUDA thread in float32: GJK on the Minkowski difference of the two support functions with the signed-volume
distance subalgorithm (Montanari et al., ACM ToG 2017), a sphere or capsule first shrunk to its center or segment
(a shallow contact is then their distance less the radii), else the boolean GJK (gjkIntersect) and EPA on a polytope
seeded from GJK's simplex; the contact is midway between EPA's witness points, its normal along their difference
(from geom 1 to geom 2). Then MuJoCo's multiccd: unless a geom is a sphere or ellipsoid, both geoms turned by
+-1e-3 rad about the two tangent axes of the first contact (geom 2 the other way), around its point, and each new
point farther than 1e-3 of the smaller bounding radius from the others kept at the first point's depth: up to 5.

EPA stops within ``ccd_tolerance`` of the penetration depth, so on curved surfaces MuJoCo's own witness points sit up
to ~sqrt(2 R tol) from the exact ones; this float32 run takes its own path there and agrees to that order, not to
float rounding (``tests/test_convex.py``). Two float32 safeguards that MuJoCo's double run does without: the
triangle step of GJK takes the nearest point by Voronoi regions (``_s2d``), and GJK stops where a step brings it no
closer (``_gjk``). The polytope lives in per-env scratch arrays (``Data.epa_*``) sized from the model's
``ccd_iterations`` (``epa_capacity``), so EPA runs as long as MuJoCo's.
"""

import warp as wp

from kernels.collision import _pair_point, pair_is_convex, pair_npoints
from kernels.contact import contact_tangent
from kernels.types import GEOM_CAPSULE, GEOM_CYLINDER, GEOM_ELLIPSOID, GEOM_SPHERE, vec5

# MuJoCo's single-precision limits (engine_collision_gjk.c under mjUSESINGLE): this runs in float32
MINVAL = wp.constant(1.0e-15)
MINVAL2 = wp.constant(1.0e-30)
MAXVAL2 = wp.constant(1.0e20)
MAX_LIMIT = wp.constant(3.0e38)
MINDIST2 = wp.constant(1.0e-10)
MINDIST3 = wp.constant(1.0e-10)
MINDIST4 = wp.constant(1.0e-17)

# a sphere shrunk to its center and a capsule to its segment (mjc_pointSupport, mjc_lineSupport)
GEOM_POINT = wp.constant(100)
GEOM_LINE = wp.constant(101)

# MuJoCo's default ccd_iterations N and its polytope's capacity for it: 5 + N vertices and 6 N faces
EPA_ITERATIONS = 35
EPA_VERTICES = EPA_ITERATIONS + 5
EPA_FACES = 6 * EPA_ITERATIONS


def epa_capacity(ccd_iterations: int) -> tuple[int, int]:
    """(vertices, faces) of EPA's polytope for a model's ccd_iterations N: MuJoCo's 5 + N and 6 N (mjc_ccd's
    polytope), the sizes of ``Data.epa_vert`` and ``Data.epa_face``; EPA runs while both have room."""
    n = max(int(ccd_iterations), 1)
    return n + 5, 6 * n


vec4i = wp.types.vector(length=4, dtype=int)
mat43 = wp.types.matrix(shape=(4, 3), dtype=float)

# multiccd (mjc_Convex): the perturbation angle [rad] and the distinctness tolerance relative to the smaller rbound
MULTICCD_ANGLE = wp.constant(1.0e-3)
MULTICCD_TOLERANCE = wp.constant(1.0e-3)


@wp.struct
class ConvexGeom:
    """One geom as the collider sees it: mjtGeom type (or GEOM_POINT / GEOM_LINE), center [m, world], orientation
    [world from geom], size [m] and the margin [m] half of which inflates its support."""

    gtype: int
    pos: wp.vec3
    rot: wp.mat33
    size: wp.vec3
    margin: float


@wp.func
def convex_geom(gtype: int, pos: wp.vec3, rot: wp.mat33, size: wp.vec3, margin: float):
    """A ConvexGeom from its parts (type, center [m, world], rotation [world from geom], size [m], margin [m])."""
    g = ConvexGeom()
    g.gtype = gtype
    g.pos = pos
    g.rot = rot
    g.size = size
    g.margin = margin
    return g


@wp.func
def geom_support(g: ConvexGeom, direction: wp.vec3):
    """The point [m, world] of geom g farthest along the unit direction [world] (MuJoCo's mjc_*Support), pushed out
    by half its margin."""
    if g.gtype == GEOM_POINT:
        return g.pos
    local = wp.transpose(g.rot) * direction
    s = wp.vec3(0.0)
    if g.gtype == GEOM_LINE:
        s = wp.vec3(0.0, 0.0, wp.where(local[2] >= 0.0, g.size[1], -g.size[1]))
    elif g.gtype == GEOM_SPHERE:
        return g.pos + g.size[0] * direction + 0.5 * g.margin * direction
    elif g.gtype == GEOM_CAPSULE:
        s = g.size[0] * local + wp.vec3(0.0, 0.0, wp.where(local[2] >= 0.0, g.size[1], -g.size[1]))
    elif g.gtype == GEOM_ELLIPSOID:
        e = wp.cw_mul(local, g.size)
        n2 = wp.dot(e, e)
        if n2 < MINVAL2:
            s = wp.vec3(g.size[0], 0.0, 0.0)
        else:
            s = wp.cw_mul(e / wp.sqrt(n2), g.size)
    elif g.gtype == GEOM_CYLINDER:
        n2 = local[0] * local[0] + local[1] * local[1]
        scl = float(0.0)
        if n2 >= MINVAL2:
            scl = g.size[0] / wp.sqrt(n2)
        s = wp.vec3(scl * local[0], scl * local[1], wp.where(local[2] >= 0.0, g.size[1], -g.size[1]))
    else:
        s = wp.vec3(
            wp.where(local[0] >= 0.0, g.size[0], -g.size[0]),
            wp.where(local[1] >= 0.0, g.size[1], -g.size[1]),
            wp.where(local[2] >= 0.0, g.size[2], -g.size[2]),
        )
    return g.pos + g.rot * s + 0.5 * g.margin * direction


@wp.func
def minkowski_support(g1: ConvexGeom, g2: ConvexGeom, direction: wp.vec3):
    """Support of the Minkowski difference g1 - g2 along the unit direction [world]: (its point, g1's, g2's) [m]."""
    v1 = geom_support(g1, direction)
    v2 = geom_support(g2, -direction)
    return v1 - v2, v1, v2


@wp.func
def _row(m: mat43, i: int):
    return wp.vec3(m[i, 0], m[i, 1], m[i, 2])


@wp.func
def _set_row(m: mat43, i: int, v: wp.vec3):
    m[i, 0] = v[0]
    m[i, 1] = v[1]
    m[i, 2] = v[2]
    return m


@wp.func
def _same_sign(a: float, b: float):
    """1 if both are positive, -1 if both negative, else 0."""
    if a > 0.0 and b > 0.0:
        return 1
    if a < 0.0 and b < 0.0:
        return -1
    return 0


@wp.func
def _project_origin_line(v1: wp.vec3, v2: wp.vec3):
    """The origin's projection [m] on the line through v1 and v2."""
    diff = v2 - v1
    return v2 - wp.dot(v2, diff) / wp.dot(diff, diff) * diff


@wp.func
def _project_origin_plane(v1: wp.vec3, v2: wp.vec3, v3: wp.vec3):
    """The origin's projection [m] on the plane through v1, v2, v3 and 1 where the triangle is degenerate (MuJoCo's
    projectOriginPlane: three cross products tried in turn for a nonzero one)."""
    d21 = v2 - v1
    d31 = v3 - v1
    d32 = v3 - v2
    n = wp.cross(d32, d21)
    nv = wp.dot(n, v2)
    nn = wp.dot(n, n)
    if nn == 0.0:
        return wp.vec3(0.0), 1
    if nv != 0.0 and nn > MINVAL:
        return n * (nv / nn), 0
    n = wp.cross(d21, d31)
    nv = wp.dot(n, v1)
    nn = wp.dot(n, n)
    if nn == 0.0:
        return wp.vec3(0.0), 1
    if nv != 0.0 and nn > MINVAL:
        return n * (nv / nn), 0
    n = wp.cross(d31, d32)
    nv = wp.dot(n, v3)
    nn = wp.dot(n, n)
    return n * (nv / nn), 0


@wp.func
def _s1d(s1: wp.vec3, s2: wp.vec3):
    """Barycentric coordinates of the point of segment s1 s2 nearest the origin."""
    p = _project_origin_line(s1, s2)
    mu_max = s1[0] - s2[0]
    index = int(0)
    mu = s1[1] - s2[1]
    if wp.abs(mu) >= wp.abs(mu_max):
        mu_max = mu
        index = 1
    mu = s1[2] - s2[2]
    if wp.abs(mu) >= wp.abs(mu_max):
        mu_max = mu
        index = 2
    c1 = p[index] - s2[index]
    c2 = s1[index] - p[index]
    if _same_sign(mu_max, c1) != 0 and _same_sign(mu_max, c2) != 0:
        return wp.vec2(c1 / mu_max, c2 / mu_max)
    return wp.vec2(0.0, 1.0)


@wp.func
def _tri_minors(v1: wp.vec3, v2: wp.vec3, v3: wp.vec3):
    """The triangle's signed areas projected on the yz, xz and xy planes (times 2)."""
    m14 = v2[1] * v3[2] - v2[2] * v3[1] - v1[1] * v3[2] + v1[2] * v3[1] + v1[1] * v2[2] - v1[2] * v2[1]
    m24 = v2[0] * v3[2] - v2[2] * v3[0] - v1[0] * v3[2] + v1[2] * v3[0] + v1[0] * v2[2] - v1[2] * v2[0]
    m34 = v2[0] * v3[1] - v2[1] * v3[0] - v1[0] * v3[1] + v1[1] * v3[0] + v1[0] * v2[1] - v1[1] * v2[0]
    return wp.vec3(m14, m24, m34)


@wp.func
def _tri_cofactors(v1: wp.vec3, v2: wp.vec3, v3: wp.vec3, p: wp.vec3):
    """(largest minor, C31, C32, C33): p's signed sub-areas in the plane the triangle projects on best."""
    m = _tri_minors(v1, v2, v3)
    x = int(0)
    y = int(1)
    m_max = m[2]
    if wp.abs(m[0]) >= wp.abs(m[1]) and wp.abs(m[0]) >= wp.abs(m[2]):
        m_max = m[0]
        x = 1
        y = 2
    elif wp.abs(m[1]) >= wp.abs(m[2]):
        m_max = m[1]
        x = 0
        y = 2
    c31 = p[x] * v2[y] + p[y] * v3[x] + v2[x] * v3[y] - p[x] * v3[y] - p[y] * v2[x] - v3[x] * v2[y]
    c32 = p[x] * v3[y] + p[y] * v1[x] + v3[x] * v1[y] - p[x] * v1[y] - p[y] * v3[x] - v1[x] * v3[y]
    c33 = p[x] * v1[y] + p[y] * v2[x] + v1[x] * v2[y] - p[x] * v2[y] - p[y] * v1[x] - v2[x] * v1[y]
    return m_max, wp.vec3(c31, c32, c33)


@wp.func
def _s2d(s1: wp.vec3, s2: wp.vec3, s3: wp.vec3):
    """Barycentric coordinates of the point of triangle s1 s2 s3 nearest the origin, by the Voronoi regions of its
    vertices and edges (Ericson, Real-Time Collision Detection, 5.1.5). MuJoCo's S2D projects the origin on the
    triangle's plane first: in float32 a sliver triangle, as GJK's simplex on a curved surface becomes, then gives a
    point off the triangle, nearer the origin than the geoms are (an ellipsoid 0.2 mm too deep at 1 cm); this
    always stays on it and is the same point elsewhere."""
    ab = s2 - s1
    ac = s3 - s1
    d1 = -wp.dot(ab, s1)
    d2 = -wp.dot(ac, s1)
    if d1 <= 0.0 and d2 <= 0.0:
        return wp.vec3(1.0, 0.0, 0.0)
    d3 = -wp.dot(ab, s2)
    d4 = -wp.dot(ac, s2)
    if d3 >= 0.0 and d4 <= d3:
        return wp.vec3(0.0, 1.0, 0.0)
    vc = d1 * d4 - d3 * d2
    if vc <= 0.0 and d1 >= 0.0 and d3 <= 0.0:
        v = d1 / (d1 - d3)
        return wp.vec3(1.0 - v, v, 0.0)
    d5 = -wp.dot(ab, s3)
    d6 = -wp.dot(ac, s3)
    if d6 >= 0.0 and d5 <= d6:
        return wp.vec3(0.0, 0.0, 1.0)
    vb = d5 * d2 - d1 * d6
    if vb <= 0.0 and d2 >= 0.0 and d6 <= 0.0:
        w = d2 / (d2 - d6)
        return wp.vec3(1.0 - w, 0.0, w)
    va = d3 * d6 - d5 * d4
    if va <= 0.0 and d4 - d3 >= 0.0 and d5 - d6 >= 0.0:
        w = (d4 - d3) / ((d4 - d3) + (d5 - d6))
        return wp.vec3(0.0, 1.0 - w, w)
    total = va + vb + vc
    if total <= 0.0:
        # rounding put the origin's projection inside a degenerate triangle: its nearest edge
        l1 = _s1d(s1, s2)
        return wp.vec3(l1[0], l1[1], 0.0)
    v = vb / total
    w = vc / total
    return wp.vec3(1.0 - v - w, v, w)


@wp.func
def _det3(a: wp.vec3, b: wp.vec3, c: wp.vec3):
    return wp.dot(a, wp.cross(b, c))


@wp.func
def _s3d(s1: wp.vec3, s2: wp.vec3, s3: wp.vec3, s4: wp.vec3):
    """Barycentric coordinates of the point of tetrahedron s1..s4 nearest the origin (MuJoCo's S3D)."""
    c41 = -_det3(s2, s3, s4)
    c42 = _det3(s1, s3, s4)
    c43 = -_det3(s1, s2, s4)
    c44 = _det3(s1, s2, s3)
    m_det = c41 + c42 + c43 + c44
    comp1 = _same_sign(m_det, c41)
    comp2 = _same_sign(m_det, c42)
    comp3 = _same_sign(m_det, c43)
    comp4 = _same_sign(m_det, c44)
    if comp1 != 0 and comp2 != 0 and comp3 != 0 and comp4 != 0:
        return wp.vec4(c41, c42, c43, c44) / m_det
    lam = wp.vec4(0.0)
    dmin = float(MAX_LIMIT)
    if comp1 == 0:
        l2 = _s2d(s2, s3, s4)
        x = l2[0] * s2 + l2[1] * s3 + l2[2] * s4
        lam = wp.vec4(0.0, l2[0], l2[1], l2[2])
        dmin = wp.dot(x, x)
    if comp2 == 0:
        l2 = _s2d(s1, s3, s4)
        x = l2[0] * s1 + l2[1] * s3 + l2[2] * s4
        d = wp.dot(x, x)
        if d < dmin:
            lam = wp.vec4(l2[0], 0.0, l2[1], l2[2])
            dmin = d
    if comp3 == 0:
        l2 = _s2d(s1, s2, s4)
        x = l2[0] * s1 + l2[1] * s2 + l2[2] * s4
        d = wp.dot(x, x)
        if d < dmin:
            lam = wp.vec4(l2[0], l2[1], 0.0, l2[2])
            dmin = d
    if comp4 == 0:
        l2 = _s2d(s1, s2, s3)
        x = l2[0] * s1 + l2[1] * s2 + l2[2] * s3
        d = wp.dot(x, x)
        if d < dmin:
            lam = wp.vec4(l2[0], l2[1], l2[2], 0.0)
    return lam


@wp.func
def _lincomb(lam: wp.vec4, n: int, m: mat43):
    x = wp.vec3(0.0)
    for i in range(n):
        x += lam[i] * _row(m, i)
    return x


@wp.func
def _signed_distance(a: wp.vec3, b: wp.vec3, c: wp.vec3):
    """(distance of the origin's side along the unit normal (c - a) x (b - a), that normal); MAX_LIMIT where it
    cannot be recovered."""
    n = wp.cross(c - a, b - a)
    n2 = wp.dot(n, n)
    if n2 > MINVAL2 and n2 < MAXVAL2:
        n = n / wp.sqrt(n2)
        return wp.dot(n, a), n
    return float(MAX_LIMIT), n


@wp.func
def _gjk_intersect(g1: ConvexGeom, g2: ConvexGeom, sv: mat43, sv1: mat43, sv2: mat43, k0: int, kmax: int):
    """MuJoCo's gjkIntersect from GJK's tetrahedron: 1 (the origin is inside it: the simplex for EPA), 0 (outside the
    Minkowski difference) or -1 (inconclusive), with the simplex and the iteration count."""
    s = vec4i(0, 1, 2, 3)
    k = k0
    while k < kmax:
        d0, n0 = _signed_distance(_row(sv, s[2]), _row(sv, s[1]), _row(sv, s[3]))
        d1, n1 = _signed_distance(_row(sv, s[0]), _row(sv, s[2]), _row(sv, s[3]))
        d2, n2 = _signed_distance(_row(sv, s[1]), _row(sv, s[0]), _row(sv, s[3]))
        d3, n3 = _signed_distance(_row(sv, s[0]), _row(sv, s[1]), _row(sv, s[2]))
        if d0 == 0.0 or d1 == 0.0 or d2 == 0.0 or d3 == 0.0:
            return -1, sv, sv1, sv2, k
        i = wp.where(d0 < d1, 0, 1)
        di = wp.where(d0 < d1, d0, d1)
        j = wp.where(d2 < d3, 2, 3)
        dj = wp.where(d2 < d3, d2, d3)
        index = wp.where(di < dj, i, j)
        dmin = wp.where(di < dj, di, dj)
        if dmin > 0.0:
            # the origin is inside: the simplex in the order s
            ov = sv
            ov1 = sv1
            ov2 = sv2
            for r in range(4):
                sv = _set_row(sv, r, _row(ov, s[r]))
                sv1 = _set_row(sv1, r, _row(ov1, s[r]))
                sv2 = _set_row(sv2, r, _row(ov2, s[r]))
            return 1, sv, sv1, sv2, k
        normal = n0
        if index == 1:
            normal = n1
        elif index == 2:
            normal = n2
        elif index == 3:
            normal = n3
        w, w1, w2 = minkowski_support(g1, g2, normal)
        sv = _set_row(sv, s[index], w)
        sv1 = _set_row(sv1, s[index], w1)
        sv2 = _set_row(sv2, s[index], w2)
        if wp.dot(normal, w) < 0.0:
            return 0, sv, sv1, sv2, k
        # swap two vertices to keep the orientation
        a = (index + 1) % 4
        b = (index + 2) % 4
        tmp = s[a]
        s[a] = s[b]
        s[b] = tmp
        k += 1
    return -1, sv, sv1, sv2, k


@wp.func
def _gjk(g1: ConvexGeom, g2: ConvexGeom, dist_cutoff: float, tolerance: float, kmax: int):
    """MuJoCo's gjk from the two centers: (simplex vertices of g1 - g2, g1's and g2's [m], their count, witness
    points x1 on g1 and x2 on g2 [m], distance [m] (0 inside the tetrahedron, MAX_LIMIT when separated early),
    separated flag). dist_cutoff > 0 asks for distances up to it; 0 falls back to gjkIntersect once a tetrahedron is
    built."""
    sv = mat43()
    sv1 = mat43()
    sv2 = mat43()
    get_dist = dist_cutoff > 0.0
    backup = not get_dist
    n = int(0)
    x1 = g1.pos
    x2 = g2.pos
    x = x1 - x2
    lam = wp.vec4(1.0, 0.0, 0.0, 0.0)
    lam_prev = lam
    epsilon = 0.5 * tolerance * tolerance
    x_norm = wp.length(x)
    x_norm_prev = float(0.0)
    k = int(0)
    while k < kmax:
        if x_norm < tolerance or wp.abs(x_norm_prev - x_norm) < MINVAL:
            break
        w, w1, w2 = minkowski_support(g1, g2, -x / x_norm)
        sv = _set_row(sv, n, w)
        sv1 = _set_row(sv1, n, w1)
        sv2 = _set_row(sv2, n, w2)
        if wp.dot(x, x - w) < epsilon:
            break
        lower = wp.dot(x, w)
        if not get_dist:
            if lower > 0.0:
                return sv, sv1, sv2, 0, x1, x2, float(MAX_LIMIT), 1
        elif dist_cutoff < MAX_LIMIT:
            if lower > 0.0 and lower >= dist_cutoff * x_norm:
                return sv, sv1, sv2, 0, x1, x2, float(MAX_LIMIT), 1
        if n == 3 and backup:
            ret, sv, sv1, sv2, k = _gjk_intersect(g1, g2, sv, sv1, sv2, k, kmax)
            if ret == 1:
                return sv, sv1, sv2, 4, x1, x2, 0.0, 0
            if ret == 0:
                return sv, sv1, sv2, 0, x1, x2, float(MAX_LIMIT), 1
            backup = False
        if n == 3:
            lam = _s3d(_row(sv, 0), _row(sv, 1), _row(sv, 2), _row(sv, 3))
        elif n == 2:
            l3 = _s2d(_row(sv, 0), _row(sv, 1), _row(sv, 2))
            lam = wp.vec4(l3[0], l3[1], l3[2], 0.0)
        elif n == 1:
            l2 = _s1d(_row(sv, 0), _row(sv, 1))
            lam = wp.vec4(l2[0], l2[1], 0.0, 0.0)
        else:
            lam = wp.vec4(1.0, 0.0, 0.0, 0.0)
        prev_sv = sv
        prev_sv1 = sv1
        prev_sv2 = sv2
        prev_n = n
        prev_lam = lam_prev
        # keep the vertices with nonzero weight
        m = int(0)
        for i in range(4):
            if lam[i] != 0.0:
                sv = _set_row(sv, m, _row(sv, i))
                sv1 = _set_row(sv1, m, _row(sv1, i))
                sv2 = _set_row(sv2, m, _row(sv2, i))
                lam[m] = lam[i]
                m += 1
        n = m
        if n < 1:
            return sv, sv1, sv2, 0, x1, x2, float(MAX_LIMIT), 1
        x_new = _lincomb(lam, n, sv)
        if k > 0 and wp.length(x_new) >= x_norm:
            # no progress: exact GJK moves strictly closer each step; in float32 a sliver simplex can step back and
            # then cycle (MuJoCo's double run goes on converging). Keep the last simplex, as its stagnation test does.
            sv = prev_sv
            sv1 = prev_sv1
            sv2 = prev_sv2
            n = prev_n
            lam = prev_lam
            break
        x = x_new
        lam_prev = lam
        x_norm_prev = x_norm
        x_norm = wp.length(x)
        if n == 4:
            break
        k += 1
    if n > 0:
        x1 = _lincomb(lam, n, sv1)
        x2 = _lincomb(lam, n, sv2)
    separated = int(0)
    w, w1, w2 = minkowski_support(g1, g2, -x / x_norm)
    if wp.dot(x, w) > 0.0:
        separated = 1
    dist = x_norm
    if n == 4 and separated == 0:
        dist = 0.0
    return sv, sv1, sv2, n, x1, x2, dist, separated


@wp.func
def _same_side(p0: wp.vec3, p1: wp.vec3, p2: wp.vec3, p3: wp.vec3):
    n = wp.cross(p1 - p0, p2 - p0)
    dot1 = wp.dot(n, p3 - p0)
    dot2 = -wp.dot(n, p0)
    return (dot1 > 0.0 and dot2 > 0.0) or (dot1 < 0.0 and dot2 < 0.0)


@wp.func
def _test_tetra(p0: wp.vec3, p1: wp.vec3, p2: wp.vec3, p3: wp.vec3):
    """Whether the origin is inside the tetrahedron p0..p3."""
    return (
        _same_side(p0, p1, p2, p3)
        and _same_side(p1, p2, p3, p0)
        and _same_side(p2, p3, p0, p1)
        and _same_side(p3, p0, p1, p2)
    )


@wp.func
def _rot120(axis: wp.vec3):
    """Rotation by 120 degrees about axis."""
    u = wp.normalize(axis)
    s = 0.86602540378
    c = -0.5
    return wp.mat33(
        c + u[0] * u[0] * (1.0 - c), u[0] * u[1] * (1.0 - c) - u[2] * s, u[0] * u[2] * (1.0 - c) + u[1] * s,
        u[1] * u[0] * (1.0 - c) + u[2] * s, c + u[1] * u[1] * (1.0 - c), u[1] * u[2] * (1.0 - c) - u[0] * s,
        u[0] * u[2] * (1.0 - c) - u[1] * s, u[1] * u[2] * (1.0 - c) + u[0] * s, c + u[2] * u[2] * (1.0 - c),
    )  # fmt: skip


@wp.func
def _ray_triangle(v1: wp.vec3, v2: wp.vec3, v3: wp.vec3, v4: wp.vec3, v5: wp.vec3):
    """Nonzero where the ray v1 v2 crosses the triangle v3 v4 v5."""
    d12 = v2 - v1
    d13 = v3 - v1
    d14 = v4 - v1
    d15 = v5 - v1
    vol1 = _det3(d13, d14, d12)
    vol2 = _det3(d14, d15, d12)
    vol3 = _det3(d15, d13, d12)
    if vol1 >= 0.0 and vol2 >= 0.0 and vol3 >= 0.0:
        return 1
    if vol1 <= 0.0 and vol2 <= 0.0 and vol3 <= 0.0:
        return -1
    return 0


@wp.func
def _tri_point_intersect(v1: wp.vec3, v2: wp.vec3, v3: wp.vec3, p: wp.vec3):
    """Whether p lies on the triangle v1 v2 v3."""
    m_max, c = _tri_cofactors(v1, v2, v3, p)
    lam = c / m_max
    if lam[0] < 0.0 or lam[1] < 0.0 or lam[2] < 0.0:
        return False
    pr = lam[0] * v1 + lam[1] * v2 + lam[2] * v3
    return wp.length(pr - p) < MINVAL


# EPA's polytope (MuJoCo's Polytope) lives in per-env scratch arrays, one polytope per env thread (its pairs are
# collided one after another): epa_vert[w, i] = (vertex of g1 - g2, g1's, g2's) [m]; epa_face[w, f] = (its three
# vertices, the faces across its edges v1v2, v2v3, v3v1, its place in the map: -1 none, -2 deleted); epa_plane[w, f] =
# (the origin's projection on the face [m], its squared norm); epa_work[w, i] = (map entry, horizon stack: face, edge,
# next step, horizon edge: face, edge). The counts and the center travel in a Polytope.
@wp.struct
class Polytope:
    """EPA polytope's vertex, face and map counts and its center [m] (the arrays hold the rest)."""

    nverts: int
    nfaces: int
    nmap: int
    center: wp.vec3


@wp.func
def _vert(epa_vert: wp.array3d[wp.vec3], wid: int, i: int):
    return epa_vert[wid, i, 0]


@wp.func
def _insert(pt: Polytope, epa_vert: wp.array3d[wp.vec3], wid: int, v: wp.vec3, v1: wp.vec3, v2: wp.vec3):
    i = pt.nverts
    epa_vert[wid, i, 0] = v
    epa_vert[wid, i, 1] = v1
    epa_vert[wid, i, 2] = v2
    pt.nverts = i + 1
    return pt, i


@wp.func
def _epa_support(
    pt: Polytope, epa_vert: wp.array3d[wp.vec3], wid: int, g1: ConvexGeom, g2: ConvexGeom, d: wp.vec3, dnorm: float
):
    direction = wp.vec3(1.0, 0.0, 0.0)
    if dnorm > MINVAL:
        direction = d / dnorm
    w, w1, w2 = minkowski_support(g1, g2, direction)
    return _insert(pt, epa_vert, wid, w, w1, w2)


@wp.func
def _attach(
    pt: Polytope,
    epa_vert: wp.array3d[wp.vec3],
    epa_face: wp.array3d[int],
    epa_plane: wp.array2d[wp.vec4],
    wid: int,
    v1: int,
    v2: int,
    v3: int,
    a1: int,
    a2: int,
    a3: int,
):
    """Append the face (v1, v2, v3) with neighbours (a1, a2, a3) across its edges; its |v|^2 (0: degenerate)."""
    f = pt.nfaces
    pt.nfaces = f + 1
    epa_face[wid, f, 0] = v1
    epa_face[wid, f, 1] = v2
    epa_face[wid, f, 2] = v3
    epa_face[wid, f, 3] = a1
    epa_face[wid, f, 4] = a2
    epa_face[wid, f, 5] = a3
    p, degenerate = _project_origin_plane(_vert(epa_vert, wid, v3), _vert(epa_vert, wid, v2), _vert(epa_vert, wid, v1))
    if degenerate != 0:
        return pt, 0.0
    if wp.dot(p, _vert(epa_vert, wid, v1) - pt.center) < 0.0:
        p = -p
    d2 = wp.dot(p, p)
    epa_plane[wid, f] = wp.vec4(p[0], p[1], p[2], d2)
    epa_face[wid, f, 6] = -1
    return pt, d2


@wp.func
def _delete(pt: Polytope, epa_face: wp.array3d[int], epa_work: wp.array3d[int], wid: int, f: int):
    i = epa_face[wid, f, 6]
    if i >= 0:
        pt.nmap = pt.nmap - 1
        last = epa_work[wid, pt.nmap, 0]
        epa_work[wid, i, 0] = last
        epa_face[wid, last, 6] = i
    epa_face[wid, f, 6] = -2
    return pt


@wp.func
def _map_all(pt: Polytope, epa_face: wp.array3d[int], epa_work: wp.array3d[int], wid: int, n: int):
    for i in range(n):
        epa_work[wid, i, 0] = i
        epa_face[wid, i, 6] = i
    pt.nmap = n
    return pt


@wp.func
def _polytope(
    g1: ConvexGeom,
    g2: ConvexGeom,
    sv: mat43,
    sv1: mat43,
    sv2: mat43,
    n: int,
    dist: float,
    epa_vert: wp.array3d[wp.vec3],
    epa_face: wp.array3d[int],
    epa_plane: wp.array2d[wp.vec4],
    epa_work: wp.array3d[int],
    wid: int,
):
    """EPA's first polytope from GJK's simplex of n vertices (MuJoCo's polytope4, polytope2, polytope3: a
    tetrahedron with the origin on a face, or a hexahedron around a segment that does, falls back to that triangle);
    (its counts, 0 on success or MuJoCo's failure code)."""
    pt = Polytope()
    if n == 4:
        for i in range(4):
            pt, _i = _insert(pt, epa_vert, wid, _row(sv, i), _row(sv1, i), _row(sv2, i))
        pt.center = 0.25 * (_row(sv, 0) + _row(sv, 1) + _row(sv, 2) + _row(sv, 3))
        tri = vec4i(-1, -1, -1, 0)
        pt, d2 = _attach(pt, epa_vert, epa_face, epa_plane, wid, 0, 1, 2, 1, 3, 2)
        if d2 < MINDIST4:
            tri = vec4i(0, 1, 2, 1)
        if tri[3] == 0:
            pt, d2 = _attach(pt, epa_vert, epa_face, epa_plane, wid, 0, 3, 1, 2, 3, 0)
            if d2 < MINDIST4:
                tri = vec4i(0, 3, 1, 1)
        if tri[3] == 0:
            pt, d2 = _attach(pt, epa_vert, epa_face, epa_plane, wid, 0, 2, 3, 0, 3, 1)
            if d2 < MINDIST4:
                tri = vec4i(0, 2, 3, 1)
        if tri[3] == 0:
            pt, d2 = _attach(pt, epa_vert, epa_face, epa_plane, wid, 3, 2, 1, 2, 0, 1)
            if d2 < MINDIST4:
                tri = vec4i(3, 2, 1, 1)
        if tri[3] == 0:
            if not _test_tetra(_row(sv, 0), _row(sv, 1), _row(sv, 2), _row(sv, 3)):
                return pt, 9
            pt = _map_all(pt, epa_face, epa_work, wid, 4)
            return pt, 0
        for r in range(3):
            sv = _set_row(sv, r, epa_vert[wid, tri[r], 0])
            sv1 = _set_row(sv1, r, epa_vert[wid, tri[r], 1])
            sv2 = _set_row(sv2, r, epa_vert[wid, tri[r], 2])
        n = 3
    if n == 2:
        a = _row(sv, 0)
        b = _row(sv, 1)
        pt.center = 0.5 * (a + b)
        diff = b - a
        index = int(0)
        value = float(MAX_LIMIT)
        for i in range(3):
            if wp.abs(diff[i]) < value:
                value = wp.abs(diff[i])
                index = i
        e = wp.vec3(0.0)
        e[index] = 1.0
        d1 = wp.cross(e, diff)
        r120 = _rot120(diff)
        d2v = r120 * d1
        d3 = r120 * d2v
        pt, i1 = _insert(pt, epa_vert, wid, a, _row(sv1, 0), _row(sv2, 0))
        pt, i2 = _insert(pt, epa_vert, wid, b, _row(sv1, 1), _row(sv2, 1))
        pt, i3 = _epa_support(pt, epa_vert, wid, g1, g2, d1, wp.length(d1))
        pt, i4 = _epa_support(pt, epa_vert, wid, g1, g2, d2v, wp.length(d2v))
        pt, i5 = _epa_support(pt, epa_vert, wid, g1, g2, d3, wp.length(d3))
        tri = vec4i(-1, -1, -1, 0)
        pt, q = _attach(pt, epa_vert, epa_face, epa_plane, wid, i1, i3, i4, 1, 3, 2)
        if q < MINDIST2:
            tri = vec4i(i1, i3, i4, 1)
        if tri[3] == 0:
            pt, q = _attach(pt, epa_vert, epa_face, epa_plane, wid, i1, i5, i3, 2, 4, 0)
            if q < MINDIST2:
                tri = vec4i(i1, i5, i3, 1)
        if tri[3] == 0:
            pt, q = _attach(pt, epa_vert, epa_face, epa_plane, wid, i1, i4, i5, 0, 5, 1)
            if q < MINDIST2:
                tri = vec4i(i1, i4, i5, 1)
        if tri[3] == 0:
            pt, q = _attach(pt, epa_vert, epa_face, epa_plane, wid, i2, i4, i3, 5, 0, 4)
            if q < MINDIST2:
                tri = vec4i(i2, i4, i3, 1)
        if tri[3] == 0:
            pt, q = _attach(pt, epa_vert, epa_face, epa_plane, wid, i2, i3, i5, 3, 1, 5)
            if q < MINDIST2:
                tri = vec4i(i2, i3, i5, 1)
        if tri[3] == 0:
            pt, q = _attach(pt, epa_vert, epa_face, epa_plane, wid, i2, i5, i4, 4, 2, 3)
            if q < MINDIST2:
                tri = vec4i(i2, i5, i4, 1)
        if tri[3] == 0:
            v3 = _vert(epa_vert, wid, i3)
            v4 = _vert(epa_vert, wid, i4)
            v5 = _vert(epa_vert, wid, i5)
            if _ray_triangle(a, b, v3, v4, v5) == 0:
                return pt, 2
            pt = _map_all(pt, epa_face, epa_work, wid, 6)
            return pt, 0
        for r3 in range(3):
            sv = _set_row(sv, r3, epa_vert[wid, tri[r3], 0])
            sv1 = _set_row(sv1, r3, epa_vert[wid, tri[r3], 1])
            sv2 = _set_row(sv2, r3, epa_vert[wid, tri[r3], 2])
        n = 3
    if n != 3:
        return pt, 1
    pt.nverts = 0
    pt.nfaces = 0
    pt.nmap = 0
    v1 = _row(sv, 0)
    v2 = _row(sv, 1)
    v3 = _row(sv, 2)
    pt.center = (v1 + v2 + v3) / 3.0
    nrm = wp.cross(v2 - v1, v3 - v1)
    n_norm = wp.length(nrm)
    if n_norm < MINVAL:
        return pt, 4
    pt, i1 = _insert(pt, epa_vert, wid, v1, _row(sv1, 0), _row(sv2, 0))
    pt, i2 = _insert(pt, epa_vert, wid, v2, _row(sv1, 1), _row(sv2, 1))
    pt, i3 = _insert(pt, epa_vert, wid, v3, _row(sv1, 2), _row(sv2, 2))
    pt, i5 = _epa_support(pt, epa_vert, wid, g1, g2, -nrm, n_norm)
    pt, i4 = _epa_support(pt, epa_vert, wid, g1, g2, nrm, n_norm)
    v4 = _vert(epa_vert, wid, i4)
    v5 = _vert(epa_vert, wid, i5)
    if _tri_point_intersect(v1, v2, v3, v4):
        return pt, 5
    if _tri_point_intersect(v1, v2, v3, v5):
        return pt, 6
    if dist > 10.0 * MINVAL and not _test_tetra(v1, v2, v3, v4) and not _test_tetra(v1, v2, v3, v5):
        return pt, 7
    pt, q = _attach(pt, epa_vert, epa_face, epa_plane, wid, i4, i1, i2, 1, 3, 2)
    if q < MINDIST3:
        return pt, 8
    pt, q = _attach(pt, epa_vert, epa_face, epa_plane, wid, i4, i3, i1, 2, 4, 0)
    if q < MINDIST3:
        return pt, 8
    pt, q = _attach(pt, epa_vert, epa_face, epa_plane, wid, i4, i2, i3, 0, 5, 1)
    if q < MINDIST3:
        return pt, 8
    pt, q = _attach(pt, epa_vert, epa_face, epa_plane, wid, i5, i2, i1, 5, 0, 4)
    if q < MINDIST3:
        return pt, 8
    pt, q = _attach(pt, epa_vert, epa_face, epa_plane, wid, i5, i1, i3, 3, 1, 5)
    if q < MINDIST3:
        return pt, 8
    pt, q = _attach(pt, epa_vert, epa_face, epa_plane, wid, i5, i3, i2, 4, 2, 3)
    if q < MINDIST3:
        return pt, 8
    pt = _map_all(pt, epa_face, epa_work, wid, 6)
    return pt, 0


@wp.func
def _edge_of(epa_face: wp.array3d[int], wid: int, f: int, vertex: int):
    if epa_face[wid, f, 0] == vertex:
        return 0
    if epa_face[wid, f, 1] == vertex:
        return 1
    return 2


@wp.func
def _horizon(
    pt: Polytope,
    epa_face: wp.array3d[int],
    epa_plane: wp.array2d[wp.vec4],
    epa_work: wp.array3d[int],
    wid: int,
    face: int,
    w: wp.vec3,
):
    """Delete face and every face visible from w reached across edges (MuJoCo's recursive horizon, its depth-first
    order kept with an explicit stack in epa_work); the boundary edges (face, edge) into epa_work in that order;
    (counts, number of edges)."""
    nedges = int(0)
    pt = _delete(pt, epa_face, epa_work, wid, face)
    epa_work[wid, 0, 1] = face
    epa_work[wid, 0, 2] = 0
    epa_work[wid, 0, 3] = 0
    top = int(0)
    while top >= 0:
        f = epa_work[wid, top, 1]
        k = epa_work[wid, top, 3]
        if k == 3:
            top -= 1
            continue
        epa_work[wid, top, 3] = k + 1
        i = (epa_work[wid, top, 2] + k) % 3
        a = epa_face[wid, f, 3 + i]
        if epa_face[wid, a, 6] == -2:
            continue
        edge = _edge_of(epa_face, wid, a, epa_face[wid, f, (i + 1) % 3])
        plane = epa_plane[wid, a]
        if wp.dot(wp.vec3(plane[0], plane[1], plane[2]), w) - plane[3] > MINVAL:
            pt = _delete(pt, epa_face, epa_work, wid, a)
            top += 1
            epa_work[wid, top, 1] = a
            epa_work[wid, top, 2] = edge
            epa_work[wid, top, 3] = 1
        else:
            epa_work[wid, nedges, 4] = a
            epa_work[wid, nedges, 5] = edge
            nedges += 1
    return pt, nedges


@wp.func
def _epa(
    pt: Polytope,
    g1: ConvexGeom,
    g2: ConvexGeom,
    tolerance: float,
    kmax: int,
    epa_vert: wp.array3d[wp.vec3],
    epa_face: wp.array3d[int],
    epa_plane: wp.array2d[wp.vec4],
    epa_work: wp.array3d[int],
    wid: int,
):
    """MuJoCo's epa: grow the polytope toward its face nearest the origin until the depth's upper and lower bounds
    meet within tolerance [m]; (found, depth [m] >= 0, witness x1 on g1 and x2 on g2 [m, world])."""
    upper = float(MAX_LIMIT)
    upper2 = float(MAX_LIMIT)
    face = int(-1)
    k = int(0)
    while k < kmax:
        pface = face
        lower2 = float(MAX_LIMIT)
        for i in range(pt.nmap):
            f = epa_work[wid, i, 0]
            if epa_plane[wid, f][3] < lower2:
                face = f
                lower2 = epa_plane[wid, f][3]
        if lower2 > upper2 or face < 0:
            face = pface
            break
        if lower2 <= 0.0:
            break
        lower = wp.sqrt(lower2)
        plane = epa_plane[wid, face]
        fv = wp.vec3(plane[0], plane[1], plane[2])
        pt, wi = _epa_support(pt, epa_vert, wid, g1, g2, fv, lower)
        w = _vert(epa_vert, wid, wi)
        upper_k = wp.dot(fv, w) / lower
        if upper_k < upper:
            upper = upper_k
            upper2 = upper * upper
        if upper - lower < tolerance:
            if k == 0 and upper < lower - 1.0e-10:
                face = -1
            break
        pt, nedges = _horizon(pt, epa_face, epa_plane, epa_work, wid, face, w)
        if nedges < 3:
            face = -1
            break
        nfaces = pt.nfaces
        # MuJoCo stops here with what it has when the faces run out; so does this, and at its vertex capacity
        if nedges > epa_face.shape[1] - nfaces or pt.nverts >= epa_vert.shape[1]:
            break
        bad = int(0)
        for i in range(nedges):
            cur = nfaces + i
            prev = nfaces + (i + nedges - 1) % nedges
            nxt = nfaces + (i + 1) % nedges
            hface = epa_work[wid, i, 4]
            hedge = epa_work[wid, i, 5]
            a = epa_face[wid, hface, hedge]
            b = epa_face[wid, hface, (hedge + 1) % 3]
            epa_face[wid, hface, 3 + hedge] = cur
            pt, d2 = _attach(pt, epa_vert, epa_face, epa_plane, wid, wi, b, a, prev, hface, nxt)
            if d2 == 0.0:
                bad = 1
                break
            if d2 >= lower2 and d2 <= upper2:
                epa_work[wid, pt.nmap, 0] = cur
                epa_face[wid, cur, 6] = pt.nmap
                pt.nmap = pt.nmap + 1
        if bad != 0:
            face = -1
            break
        if pt.nmap == 0:
            break
        k += 1
    if face < 0:
        return False, 0.0, wp.vec3(0.0), wp.vec3(0.0)
    ia = epa_face[wid, face, 0]
    ib = epa_face[wid, face, 1]
    ic = epa_face[wid, face, 2]
    plane = epa_plane[wid, face]
    m_max, c = _tri_cofactors(
        _vert(epa_vert, wid, ia),
        _vert(epa_vert, wid, ib),
        _vert(epa_vert, wid, ic),
        wp.vec3(plane[0], plane[1], plane[2]),
    )
    lam = c / m_max
    x1 = lam[0] * epa_vert[wid, ia, 1] + lam[1] * epa_vert[wid, ib, 1] + lam[2] * epa_vert[wid, ic, 1]
    x2 = lam[0] * epa_vert[wid, ia, 2] + lam[1] * epa_vert[wid, ib, 2] + lam[2] * epa_vert[wid, ic, 2]
    return True, wp.sqrt(plane[3]), x1, x2


@wp.func
def ccd_penetration(
    g1: ConvexGeom,
    g2: ConvexGeom,
    tolerance: float,
    iterations: int,
    epa_vert: wp.array3d[wp.vec3],
    epa_face: wp.array3d[int],
    epa_plane: wp.array2d[wp.vec4],
    epa_work: wp.array3d[int],
    wid: int,
):
    """MuJoCo's mjc_ccd asked for one contact and no distances: (in contact, signed distance [m] between the
    margin-inflated geoms, witness x1 on g1 and x2 on g2 [m, world]). A sphere or capsule is first shrunk to its
    center or segment: separated by more than tolerance, the contact is their distance less the radii."""
    if g1.gtype == GEOM_SPHERE or g2.gtype == GEOM_SPHERE or g1.gtype == GEOM_CAPSULE or g2.gtype == GEOM_CAPSULE:
        s1 = convex_geom(g1.gtype, g1.pos, g1.rot, g1.size, g1.margin)
        s2 = convex_geom(g2.gtype, g2.pos, g2.rot, g2.size, g2.margin)
        full1 = float(0.0)
        full2 = float(0.0)
        if g1.gtype == GEOM_SPHERE or g1.gtype == GEOM_CAPSULE:
            full1 = g1.size[0] + 0.5 * g1.margin
            s1.gtype = wp.where(g1.gtype == GEOM_SPHERE, GEOM_POINT, GEOM_LINE)
            s1.margin = 0.0
        if g2.gtype == GEOM_SPHERE or g2.gtype == GEOM_CAPSULE:
            full2 = g2.size[0] + 0.5 * g2.margin
            s2.gtype = wp.where(g2.gtype == GEOM_SPHERE, GEOM_POINT, GEOM_LINE)
            s2.margin = 0.0
        sv, sv1, sv2, n, x1, x2, dist, separated = _gjk(s1, s2, full1 + full2, tolerance, iterations)
        if dist > tolerance:
            # shallow: the cores' distance less the radii, the witness points moved out to the surfaces
            if dist >= MAX_LIMIT:
                return False, dist, x1, x2
            nrm = wp.normalize(x2 - x1)
            x1 = x1 + full1 * nrm
            x2 = x2 - full2 * nrm
            dist = dist - (full1 + full2)
            return dist < 0.0, dist, x1, x2
    sv, sv1, sv2, n, x1, x2, dist, separated = _gjk(g1, g2, 0.0, tolerance, iterations)
    if dist <= tolerance and n > 1 and separated == 0:
        pt, status = _polytope(g1, g2, sv, sv1, sv2, n, dist, epa_vert, epa_face, epa_plane, epa_work, wid)
        if status != 0:
            return False, 0.0, x1, x2
        found, depth, y1, y2 = _epa(
            pt, g1, g2, tolerance, wp.min(iterations, epa_vert.shape[1] - 5), epa_vert, epa_face, epa_plane, epa_work,
            wid,
        )  # fmt: skip
        if not found:
            return False, 0.0, x1, x2
        return depth > 0.0, -depth, y1, y2
    return False, dist, x1, x2


@wp.func
def convex_contact(
    g1: ConvexGeom,
    g2: ConvexGeom,
    margin: float,
    tolerance: float,
    iterations: int,
    epa_vert: wp.array3d[wp.vec3],
    epa_face: wp.array3d[int],
    epa_plane: wp.array2d[wp.vec4],
    epa_work: wp.array3d[int],
    wid: int,
):
    """One contact of mjc_Convex (mjc_penetration): (found, distance [m] between the geoms, unit normal from geom 1
    to geom 2 [world], point midway between the witness points [m, world])."""
    hit, dist, x1, x2 = ccd_penetration(g1, g2, tolerance, iterations, epa_vert, epa_face, epa_plane, epa_work, wid)
    # mju_normalize3: (1, 0, 0) for a vector too short to normalize
    normal = wp.vec3(1.0, 0.0, 0.0)
    if wp.length(x1 - x2) >= MINVAL:
        normal = wp.normalize(x1 - x2)
    return hit, margin + dist, normal, 0.5 * (x1 + x2)


@wp.func
def turned(g: ConvexGeom, rot: wp.mat33, origin: wp.vec3):
    """Geom g turned by rot [world] about the point origin [m, world] (MuJoCo's mju_rotateFrame)."""
    rel = origin - g.pos
    return convex_geom(g.gtype, g.pos - (rot * rel - rel), rot * g.rot, g.size, g.margin)


@wp.func
def pair_collide_convex(
    worldid: int,
    # Model:
    cpair_geom1: wp.array[int],
    cpair_geom2: wp.array[int],
    cpair_margin: wp.array[float],
    cpair_friction: wp.array[float],
    cpair_friction_ang: wp.array[wp.vec2],
    cpair_solref: wp.array[wp.vec2],
    cpair_solimp: wp.array[vec5],
    cpair_invweight: wp.array[float],
    cpair_pointadr: wp.array[int],
    cpair_bound: wp.array[float],
    cpair_rbound: wp.array[float],
    geom_type: wp.array[int],
    geom_bodyid: wp.array[int],
    geom_pos: wp.array[wp.vec3],
    geom_quat: wp.array[wp.quat],
    geom_size: wp.array[wp.vec3],
    contact_impratio: float,
    contact_pyramidal: int,
    ccd_tolerance: float,
    ccd_iterations: int,
    ccd_multi: int,
    body_rootid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    xquat_in: wp.array2d[wp.quat],
    cvel_in: wp.array2d[wp.spatial_vector],
    # Data out:
    pair_dcoef_out: wp.array2d[float],
    pair_aref_out: wp.array2d[wp.vec4],
    pair_point_out: wp.array2d[wp.vec3],
    pair_normal_out: wp.array2d[wp.vec3],
    pair_frame_out: wp.array2d[wp.vec3],
    pair_mu_out: wp.array2d[float],
    pair_mu_ang_out: wp.array2d[wp.vec2],
    pair_aref_rot_out: wp.array2d[wp.vec3],
    epa_vert_out: wp.array3d[wp.vec3],
    epa_face_out: wp.array3d[int],
    epa_plane_out: wp.array2d[wp.vec4],
    epa_work_out: wp.array3d[int],
):
    """The contact points of one env's pairs that MuJoCo gives its general convex collider (``pair_is_convex``), into
    their pair_* slots as ``pair_collide`` does for the others: the first contact, then for a cylinder against a
    capsule, cylinder or box multiccd's up to four more at the first one's distance. Normals from geom 1 to geom 2
    [world], distances [m]."""
    for p in range(cpair_geom1.shape[0]):
        g1 = cpair_geom1[p]
        g2 = cpair_geom2[p]
        t1 = geom_type[g1]
        t2 = geom_type[g2]
        if not pair_is_convex(t1, t2):
            continue
        adr = cpair_pointadr[p]
        n = pair_npoints(t1, t2)
        for k in range(n):
            pair_dcoef_out[worldid, adr + k] = 0.0
        rot1 = xquat_in[worldid, geom_bodyid[g1]]
        rot2 = xquat_in[worldid, geom_bodyid[g2]]
        c1 = xpos_in[worldid, geom_bodyid[g1]] + wp.quat_rotate(rot1, geom_pos[g1])
        c2 = xpos_in[worldid, geom_bodyid[g2]] + wp.quat_rotate(rot2, geom_pos[g2])
        if wp.length(c2 - c1) > cpair_bound[p]:
            continue
        margin = cpair_margin[p]
        a = convex_geom(t1, c1, wp.quat_to_matrix(rot1 * geom_quat[g1]), geom_size[g1], margin)
        b = convex_geom(t2, c2, wp.quat_to_matrix(rot2 * geom_quat[g2]), geom_size[g2], margin)
        hit, dist, normal, point = convex_contact(
            a, b, margin, ccd_tolerance, ccd_iterations, epa_vert_out, epa_face_out, epa_plane_out, epa_work_out,
            worldid,
        )  # fmt: skip
        if not hit:
            continue
        _pair_point(
            worldid, p, adr, dist, normal, point, cpair_geom1, cpair_geom2, cpair_margin, cpair_friction,
            cpair_friction_ang, cpair_solref, cpair_solimp, cpair_invweight, geom_bodyid, contact_impratio,
            contact_pyramidal, body_rootid, xpos_in, cvel_in, pair_dcoef_out, pair_aref_out, pair_point_out,
            pair_normal_out, pair_frame_out, pair_mu_out, pair_mu_ang_out, pair_aref_rot_out,
        )  # fmt: skip
        if n == 1 or ccd_multi == 0:
            continue
        # multiccd: both geoms turned by +-1e-3 rad about the first contact's tangents, around its point; a point
        # that lands apart from those found keeps the first one's distance (its own is the turned geoms')
        t_1 = contact_tangent(normal, wp.vec3(0.0))
        t_2 = wp.cross(normal, t_1)
        tolerance = MULTICCD_TOLERANCE * cpair_rbound[p]
        found = int(1)
        for probe in range(4):
            axis = wp.where(probe < 2, t_1, t_2)
            angle = wp.where(probe % 2 == 0, -MULTICCD_ANGLE, MULTICCD_ANGLE)
            rot = wp.quat_to_matrix(wp.quat_from_axis_angle(axis, angle))
            hit2, _d, normal2, point2 = convex_contact(
                turned(a, rot, point), turned(b, wp.transpose(rot), point), margin, ccd_tolerance, ccd_iterations,
                epa_vert_out, epa_face_out, epa_plane_out, epa_work_out, worldid,
            )  # fmt: skip
            if not hit2:
                continue
            distinct = int(1)
            for j in range(found):
                if wp.length(pair_point_out[worldid, adr + j] - point2) <= tolerance:
                    distinct = 0
            if distinct != 0:
                _pair_point(
                    worldid, p, adr + found, dist, normal2, point2, cpair_geom1, cpair_geom2, cpair_margin,
                    cpair_friction, cpair_friction_ang, cpair_solref, cpair_solimp, cpair_invweight, geom_bodyid,
                    contact_impratio, contact_pyramidal, body_rootid, xpos_in, cvel_in, pair_dcoef_out, pair_aref_out,
                    pair_point_out, pair_normal_out, pair_frame_out, pair_mu_out, pair_mu_ang_out, pair_aref_rot_out,
                )  # fmt: skip
                found += 1
