"""Geom-plane contacts and joint limits as MuJoCo's soft constraints: pairwise distances and the constraint law.

Contact model (applied by ``kernels.constraint.contacts``, ``Simulator(contacts=True)``):

- Geometry. Sphere, capsule, cylinder and box geoms against one static plane n . x = d (the world body's plane geom,
  usually the floor). A sphere gives one contact point, a capsule two (its end-cap centers), a cylinder four (MuJoCo's
  mjc_PlaneCylinder: ``plane_cylinder``), a box eight (its corners); each point is active while its signed distance is
  below the contact margin (the sum of the pair's ``geom_margin``, MuJoCo 4.0's rule; ``geom_gap`` only widens MuJoCo's
  detection). Geoms of two bodies collide as well (``kernels.collision.pair_collide``): sphere/capsule pairs one point
  at the closest points of their segments (parallel capsules up to two, MuJoCo's end-cap tests), sphere-box one
  (``sphere_box``), capsule-box up to two (``segment_box_clip``), box-box up to eight (``box_box_axis``,
  ``box_box_point``), with the same rows on the relative motion.
- Pair parameters (``kernels.io._pair_params``, MuJoCo's mj_contactParam): the geom of higher ``priority`` gives
  condim, friction, solref and solimp; at equal priority condim and friction are the max, solref and solimp
  are mixed by ``solmix``. condim 1 is frictionless.
- Rows (MuJoCo's mj_instantiateContact, mj_diagApprox, mj_makeImpedance): condim 3 gives the pyramidal cone's
  four rows J_n +- mu J_t1, J_n +- mu J_t2 in MuJoCo's contact frame (``contact_tangent``: t1 along a capsule's
  axis, else world y), condim 1 the normal row alone. Each row is the soft constraint f = D (aref - J qacc) >= 0,
  aref = -b (J qvel) - k d(r) r, r = dist - margin [m], d(r) the impedance of solimp, (k, b) from solref, D = 1 / R
  with R = (1 - d) / d diagApprox (condim 1) or 2 mu^2 / impratio (1 - d) / d diagApprox (1 + mu^2) (each edge),
  diagApprox = MuJoCo's body_invweight0 of the geom's body [1/kg] (``pyramid_coefficients``). The normal force is
  the sum of the rows' forces and the friction mu (f+ - f-) per tangent, so cone, stick and slip are MuJoCo's.
  The rows' D along the normal (their sum, 4 D) is capped at 9999 / diagApprox, the stiffest single row MuJoCo
  allows, since it grows as impratio / mu^2 (``MAX_STIFFNESS_RATIO``). On a height field the normal and the frame
  are those of the terrain triangle under the point (``kernels.terrain``).
- Solve (``kernels.forward``): with the active rows fixed each f is linear in qacc, so the simulator adds D J^T J
  to the mass matrix and D aref J^T to the force and solves; the rows with f > 0 at the solution are the next
  active set, until it is unchanged: Newton's method on MuJoCo's constraint cost, from the third step with its exact
  line search (``kernels.line_search``).
- Joint limits (``kernels.constraint.joint_limits``): the same constraint on the dof, with jnt_solref,
  jnt_solimp, jnt_margin and MuJoCo's dof_invweight0.
- Torsional and rolling friction (condim 4 and 6, ground and geom-geom contacts): two more edges n +- mu_spin about
  the normal (condim 4) and four n +- mu_roll about the tangents (condim 6) whose angular part acts on the bodies'
  rotation (``spin_roll_edge``), with the same D and aref on their velocity n . v + w . omega; compiled only for the
  models that have them (``kernels.constraint``'s spin_roll variants).

- Elliptic cone (``<option cone="elliptic">``, ``kernels.elliptic``): the contact's condim rows in its frame (normal,
  tangents, torsion, rolling) with MuJoCo's zone-wise cost; the collide stage then stores D of the normal row.

Known limits: box-box edge contacts are an approximation (one point between the support edges); no mesh geoms; one
plane.
"""

import warp as wp

from kernels.types import GEOM_BOX, GEOM_CAPSULE, GEOM_CYLINDER, vec5

wp.set_module_options({"enable_backward": False, "max_unroll": 1})

# MuJoCo clamps every impedance to mjMAXIMP = 0.9999 (engine_core_constraint.c getsolparam): one constraint row is
# at most 0.9999 / 0.0001 times stiffer than 1 / diagApprox. The pyramidal normal (the sum of its edges) exceeds that
# as impratio / mu^2; MuJoCo solves it in float64, but our float32 Cholesky of M + sum D J^T J loses every digit off
# the normal beyond it (ANYmal, impratio 100: NaN within 4 s of random actions at any friction under the regularized
# Coulomb law; with the pyramid rows and active-set solves, still NaN within 60 steps at friction_scale 0.02, and
# tests/test_anymal_c.py's no-divergence test fails without the cap). At the bound the normal already follows aref
# to ~1e-4 (a_n = (a0 + A D aref) / (1 + A D), A ~ diagApprox). It binds where impratio d / (1 - d) > 5e3 mu^2
# (1 + mu^2) (ANYmal's feet, impratio 100, at low friction), not in Gymnasium's models (impratio 1, d <= 0.95,
# mu >= 0.4), and where it binds it softens the rows' tangential stiffness 2 mu^2 D as well.
MAX_STIFFNESS_RATIO = wp.constant(0.9999 / (1.0 - 0.9999))


@wp.func
def plane_sphere(normal: wp.vec3, offset: float, center: wp.vec3, radius: float):
    """Signed distance [m] from a sphere to the plane normal . x = offset, and its deepest point [m, world]."""
    dist = wp.dot(normal, center) - offset - radius
    return dist, center - radius * normal


@wp.func
def plane_capsule(normal: wp.vec3, offset: float, center: wp.vec3, axis: wp.vec3, half_length: float, radius: float):
    """Signed distances [m] and deepest points [m, world] of a capsule's two end caps against a plane.

    axis: the capsule's unit axis in the world frame; the segment is center +- half_length axis.
    """
    d0, p0 = plane_sphere(normal, offset, center + half_length * axis, radius)
    d1, p1 = plane_sphere(normal, offset, center - half_length * axis, radius)
    return d0, p0, d1, p1


@wp.func
def plane_box(normal: wp.vec3, offset: float, center: wp.vec3, rot: wp.mat33, half_size: wp.vec3, corner: int):
    """Signed distance [m] and position [m, world] of box corner `corner` (0..7, bit k = sign of axis k).

    rot: world-from-box rotation; half_size: half extents [m] along the box axes.
    """
    local = wp.vec3(half_size[0], half_size[1], half_size[2])
    for k in range(3):
        if (corner >> k) & 1:
            local[k] = -local[k]
    point = center + rot * local
    return wp.dot(normal, point) - offset, point


@wp.func
def plane_cylinder(normal: wp.vec3, offset: float, center: wp.vec3, rot: wp.mat33, size: wp.vec3, k: int):
    """Signed distance [m] and position [m, world] of contact point k (0..3) of a cylinder against the plane
    normal . x = offset, as MuJoCo's mjc_PlaneCylinder: 0 the deepest point of the rim of the cap nearer the plane, 1
    the same rim point of the other cap, 2 and 3 the two other corners of an equilateral triangle inscribed in the
    near cap's rim with point 0.

    rot: world-from-cylinder rotation (axis = its z column); size: (radius, half-length) [m].
    """
    radius = size[0]
    axis = wp.vec3(rot[0, 2], rot[1, 2], rot[2, 2])
    prjaxis = wp.dot(normal, axis)
    if prjaxis > 0.0:  # the axis toward the plane
        axis = -axis
        prjaxis = -prjaxis
    dist0 = wp.dot(normal, center) - offset
    # from the center toward the plane within the cap: -normal without its component along the axis, scaled to the
    # radius (MuJoCo's axis prjaxis - normal). As (normal x axis) x axis: the difference form loses float32's digits
    # for a cap nearly parallel to the plane (|vec| ~ the tilt, its error ~ 1e-7 of |normal|), which made the
    # deepest point jump around a cylinder resting on its cap. A cap parallel to the plane (MuJoCo's mjMINVAL test)
    # takes the cylinder's x axis.
    vec = wp.cross(wp.cross(normal, axis), axis)
    len_sqr = wp.dot(vec, vec)
    if len_sqr >= 1.0e-30:
        vec = vec * (radius / wp.sqrt(len_sqr))
    else:
        vec = wp.vec3(rot[0, 0], rot[1, 0], rot[2, 0]) * radius
    prjvec = wp.dot(vec, normal)
    half = axis * size[1]
    prjaxis = prjaxis * size[1]
    dist = dist0 + prjaxis + prjvec
    point = center + vec + half
    if k == 1:
        dist = dist0 - prjaxis + prjvec
        point = center + vec - half
    elif k >= 2:
        side = wp.normalize(wp.cross(vec, axis)) * (radius * 0.8660254037844386)  # sqrt(3) / 2
        if k == 3:
            side = -side
        dist = dist0 + prjaxis - 0.5 * prjvec
        point = center + side + half - 0.5 * vec
    return dist, point


@wp.func
def segment_segment(a0: wp.vec3, a1: wp.vec3, b0: wp.vec3, b1: wp.vec3):
    """Closest points [m, world] of segments a0-a1 and b0-b1 (either may be a point), as (point on a, point on b)."""
    da = a1 - a0
    db = b1 - b0
    r = a0 - b0
    aa = wp.dot(da, da)
    bb = wp.dot(db, db)
    f = wp.dot(db, r)
    s = float(0.0)
    t = float(0.0)
    if aa <= 1.0e-12 and bb <= 1.0e-12:
        return a0, b0
    if aa <= 1.0e-12:
        t = wp.clamp(f / bb, 0.0, 1.0)
    else:
        c = wp.dot(da, r)
        if bb <= 1.0e-12:
            s = wp.clamp(-c / aa, 0.0, 1.0)
        else:
            ab = wp.dot(da, db)
            denom = aa * bb - ab * ab
            # parallel segments (denom ~ 0): any s works, take the start of a and project
            if denom > 1.0e-12 * aa * bb:
                s = wp.clamp((ab * f - c * bb) / denom, 0.0, 1.0)
            t = (ab * s + f) / bb
            if t < 0.0:
                t = 0.0
                s = wp.clamp(-c / aa, 0.0, 1.0)
            elif t > 1.0:
                t = 1.0
                s = wp.clamp((ab - c) / aa, 0.0, 1.0)
    return a0 + s * da, b0 + t * db


@wp.func
def segments_parallel(a0: wp.vec3, a1: wp.vec3, b0: wp.vec3, b1: wp.vec3) -> bool:
    """Whether segments a0-a1 and b0-b1 [m] are parallel to float32 rounding: sin^2 of their angle below 1e-10 (MuJoCo's
    mjraw_CapsuleCapsule takes |a|^2 |b|^2 sin^2 < 1e-15 in float64; axes of equal orientation differ by ~1e-7 rad
    here)."""
    da = a1 - a0
    db = b1 - b0
    c = wp.cross(da, db)
    return wp.dot(c, c) <= 1.0e-10 * wp.dot(da, da) * wp.dot(db, db)


@wp.func
def sphere_sphere(c1: wp.vec3, r1: float, c2: wp.vec3, r2: float):
    """Signed distance [m] between two spheres, the unit normal from 1 to 2 and the midpoint of the gap [m, world]."""
    d = c2 - c1
    length = wp.length(d)
    normal = wp.vec3(0.0, 0.0, 1.0)
    if length > 1.0e-9:
        normal = d / length
    dist = length - r1 - r2
    return dist, normal, c1 + (r1 + 0.5 * dist) * normal


@wp.func
def impedance(solimp: vec5, r: float):
    """MuJoCo's constraint impedance d in (0, 1) at violation r [m]: solimp's power sigmoid of |r| / width."""
    dmin = solimp[0]
    dmax = solimp[1]
    width = solimp[2]
    if dmin == dmax or width <= 1.0e-15:
        return 0.5 * (dmin + dmax)
    x = wp.abs(r) / width
    if x >= 1.0:
        return dmax
    if x <= 0.0:
        return dmin
    mid = solimp[3]
    power = solimp[4]
    y = x
    if power != 1.0:
        # the two halves of the sigmoid as one expression of (a, m) = (x, mid) or (1 - x, 1 - mid): one power pair
        # in the code instead of two (the split CUDA kernels inline this three times and stay within their registers)
        lower = x <= mid
        a = wp.where(lower, x, 1.0 - x)
        m = wp.where(lower, mid, 1.0 - mid)
        ratio = float(0.0)
        if power == 2.0:
            # MuJoCo's default power: a square in place of two powf calls (libm's powf was ~7% of a random-action
            # Ant substep on this CPU, perf; the joint limits evaluate this at every Newton iteration)
            ratio = a * a / m
        else:
            ratio = wp.pow(a, power) / wp.pow(m, power - 1.0)
        y = wp.where(lower, ratio, 1.0 - ratio)
    return dmin + y * (dmax - dmin)


@wp.func
def reference_coefficients(solref: wp.vec2, dmax: float):
    """MuJoCo's (k [1/s^2], b [1/s]) of aref = -b v - k d r: from (timeconst, dampratio) when solref[0] > 0, else
    direct (-stiffness, -damping); both divided by dmax as MuJoCo's mj_makeImpedance."""
    if solref[0] > 0.0:
        k = 1.0 / wp.max(1.0e-15, dmax * dmax * solref[0] * solref[0] * solref[1] * solref[1])
        b = 2.0 / wp.max(1.0e-15, dmax * solref[0])
        return k, b
    return -solref[0] / wp.max(1.0e-15, dmax * dmax), -solref[1] / wp.max(1.0e-15, dmax)


@wp.func
def contact_tangent(normal: wp.vec3, hint: wp.vec3):
    """First tangent t1 [world, unit] of MuJoCo's contact frame (mju_makeFrame) for a unit normal n: the hint (a
    capsule's axis, mjc_PlaneCapsule) made orthogonal to n, or, for a zero hint, world y (world z where
    |n_y| >= 0.5)."""
    up = hint
    if wp.length(hint) < 0.5:
        up = wp.vec3(0.0, 1.0, 0.0)
        if wp.abs(normal[1]) >= 0.5:
            up = wp.vec3(0.0, 0.0, 1.0)
    t1 = up - wp.dot(up, normal) * normal
    if wp.length(t1) < 1.0e-6:
        # a capsule standing on its end: any tangent is as good
        t1 = wp.cross(normal, wp.vec3(1.0, 0.0, 0.0))
        if wp.length(t1) < 1.0e-3:
            t1 = wp.cross(normal, wp.vec3(0.0, 1.0, 0.0))
    return wp.normalize(t1)


@wp.func
def pyramid_edge(normal: wp.vec3, t1: wp.vec3, mu: float, e: int):
    """Direction [world] of row e of a contact: n +- mu t1 (e 0, 1), n +- mu t2 (e 2, 3), t2 = n x t1.

    MuJoCo's pyramidal cone (mj_instantiateContact): the row's force pushes along this direction and its Jacobian
    is J_n +- mu J_t; a frictionless row (mu 0) is the normal itself.
    """
    t = t1
    if e >= 2:
        t = wp.cross(normal, t1)
    if e % 2 == 1:
        return normal - mu * t
    return normal + mu * t


@wp.func
def spin_roll_count(mu_ang: wp.vec2) -> int:
    """Number of torsional and rolling rows of a contact of (torsional, rolling) friction mu_ang [m]: 0 (condim 1 or
    3), 2 (condim 4) or 6 (condim 6)."""
    n = int(0)
    if mu_ang[0] > 0.0:
        n = 2
        if mu_ang[1] > 0.0:
            n = 6
    return n


@wp.func
def spin_roll_edge(normal: wp.vec3, t1: wp.vec3, mu_ang: wp.vec2, e: int):
    """Angular part w [m, world] of row e (4..9) of a condim 4 / 6 contact: +-mu_spin n (e 4, 5), +-mu_roll t1 (6, 7),
    +-mu_roll t2 (8, 9), t2 = n x t1.

    MuJoCo's pyramid edges on the torsional and rolling directions (mj_instantiateContact): the row's Jacobian is
    J_e = n^T J_p + w^T J_r, J_p the point's translational and J_r its body's rotational Jacobian, so its velocity is
    n . v + w . omega and its force pushes along n and turns the body about w.
    """
    axis = normal
    mu = mu_ang[0]
    if e >= 6:
        mu = mu_ang[1]
        axis = t1
        if e >= 8:
            axis = wp.cross(normal, t1)
    if e % 2 == 1:
        return -mu * axis
    return mu * axis


@wp.func
def pyramid_coefficients(
    r: float, solref: wp.vec2, solimp: vec5, invweight: float, condim: int, impratio: float, mu: float
):
    """MuJoCo's reference terms and stiffness of each row of a soft contact at violation r [m] (< 0), SI units.

    Returns (k d r [m/s^2], b [1/s], D [kg], rows): every row i has aref_i = -b v_i - k d r, with v_i its velocity
    [m/s] along ``pyramid_edge``, and force f_i = D (aref_i - a_i) while positive. condim 1: one row, R = (1 - d) /
    d diagApprox; condim 3, 4, 6: 2 (condim - 1) edges, R = 2 mu^2 / impratio (1 - d) / d diagApprox (1 + mu^2) each
    (mj_diagApprox, mj_makeImpedance: every edge takes the first one's, whose diagApprox is the sliding one), D = 1 / R,
    the rows' sum capped at 9999 / invweight (``MAX_STIFFNESS_RATIO``); invweight: MuJoCo's diagApprox of the normal
    [1/kg]; mu: the sliding friction.
    """
    imp = impedance(solimp, r)
    k, b = reference_coefficients(solref, solimp[1])
    dcoef = imp / (1.0 - imp) / invweight
    rows = int(1)
    if condim > 1:
        rows = 2 * (condim - 1)
        mu0 = wp.max(mu, 1.0e-5)  # MuJoCo's mjMINMU
        dcoef = dcoef * impratio / (2.0 * mu0 * mu0 * (1.0 + mu0 * mu0))
    dcoef = wp.min(dcoef, MAX_STIFFNESS_RATIO / (float(rows) * invweight))
    return k * imp * r, b, dcoef, rows


@wp.func
def component(v: wp.vec3, i: int):
    """v[i] for a run-time i, by branches: a dynamic index puts the vector in local memory on the GPU."""
    if i == 0:
        return v[0]
    if i == 1:
        return v[1]
    return v[2]


@wp.func
def component4(v: wp.vec4, i: int):
    """v[i] for a run-time i, by branches (``component``)."""
    if i == 0:
        return v[0]
    if i == 1:
        return v[1]
    if i == 2:
        return v[2]
    return v[3]


@wp.func(inline=False)
def sphere_box(center: wp.vec3, radius: float, box_center: wp.vec3, box_rot: wp.mat33, half_size: wp.vec3):
    """Signed distance [m] from a sphere to a box, the unit normal from the sphere to the box and the midpoint of the
    gap [m, world] (MuJoCo's mjc_SphereBox: the box point closest to the center; a center inside the box is pushed
    out through the nearest face). box_rot: world-from-box rotation; half_size: half extents [m]."""
    local = wp.transpose(box_rot) * (center - box_center)
    clamped = wp.vec3(
        wp.clamp(local[0], -half_size[0], half_size[0]),
        wp.clamp(local[1], -half_size[1], half_size[1]),
        wp.clamp(local[2], -half_size[2], half_size[2]),
    )
    gap = local - clamped
    length = wp.length(gap)
    normal = wp.vec3(0.0, 0.0, -1.0)
    dist = float(0.0)
    if length > 1.0e-9:
        # outside: from the sphere toward the box
        normal = -(box_rot * gap) / length
        dist = length - radius
    else:
        # inside: the face of least penetration; the sphere leaves through it
        pen = half_size - wp.vec3(wp.abs(local[0]), wp.abs(local[1]), wp.abs(local[2]))
        out = wp.vec3(wp.sign(local[0]), 0.0, 0.0)
        best = pen[0]
        if pen[1] < best:
            best = pen[1]
            out = wp.vec3(0.0, wp.sign(local[1]), 0.0)
        if pen[2] < best:
            best = pen[2]
            out = wp.vec3(0.0, 0.0, wp.sign(local[2]))
        normal = -(box_rot * out)
        dist = -best - radius
    return dist, normal, center + (radius + 0.5 * dist) * normal


@wp.func
def _box_signed_distance(local: wp.vec3, half_size: wp.vec3) -> float:
    """Signed distance [m] of a point given in the box frame from the box's surface: outside the Euclidean distance,
    inside minus the depth below the nearest face (a convex function of the point)."""
    clamped = wp.vec3(
        wp.clamp(local[0], -half_size[0], half_size[0]),
        wp.clamp(local[1], -half_size[1], half_size[1]),
        wp.clamp(local[2], -half_size[2], half_size[2]),
    )
    gap = local - clamped
    length = wp.length(gap)
    if length > 0.0:
        return length
    pen = half_size - wp.vec3(wp.abs(local[0]), wp.abs(local[1]), wp.abs(local[2]))
    return -wp.min(pen[0], wp.min(pen[1], pen[2]))


@wp.func
def _cylinder_signed_distance(local: wp.vec3, size: wp.vec3) -> float:
    """Signed distance [m] of a point given in the cylinder's frame (axis z; size: radius, half-height) from its
    surface: outside the Euclidean distance, inside minus the depth below the nearest side or cap (convex)."""
    qx = wp.sqrt(local[0] * local[0] + local[1] * local[1]) - size[0]
    qz = wp.abs(local[2]) - size[1]
    if qx > 0.0 or qz > 0.0:
        return wp.length(wp.vec2(wp.max(qx, 0.0), wp.max(qz, 0.0)))
    return wp.max(qx, qz)


@wp.func
def _signed_distance(local: wp.vec3, size: wp.vec3, gtype: int) -> float:
    """Signed distance [m] of a point given in a box's (GEOM_BOX) or cylinder's frame from its surface."""
    if gtype == GEOM_BOX:
        return _box_signed_distance(local, size)
    return _cylinder_signed_distance(local, size)


@wp.func(inline=False)
def segment_nearest(
    a0: wp.vec3, a1: wp.vec3, center: wp.vec3, rot: wp.mat33, size: wp.vec3, gtype: int, iterations: int
):
    """The point [m, world] of segment a0-a1 nearest a box or cylinder (gtype GEOM_BOX or GEOM_CYLINDER; rot its
    world-from-geom rotation, size MuJoCo's geom_size), or deepest in it: the minimum of its signed distance along the
    segment, a convex function of the segment parameter, by `iterations` golden-section steps (each shrinks the
    bracket by 0.618: 32 leave 2e-7 of the segment). Alternating projections between the two sets, used before for
    boxes, stalled more than 1 mm from the nearest point in a quarter of random poses after 8 rounds."""
    rt = wp.transpose(rot)
    lo = float(0.0)
    hi = float(1.0)
    g = float(0.6180339887498949)
    x1 = hi - g * (hi - lo)
    x2 = lo + g * (hi - lo)
    f1 = _signed_distance(rt * (a0 + x1 * (a1 - a0) - center), size, gtype)
    f2 = _signed_distance(rt * (a0 + x2 * (a1 - a0) - center), size, gtype)
    for _it in range(iterations):
        if f1 <= f2:
            hi = x2
            x2 = x1
            f2 = f1
            x1 = hi - g * (hi - lo)
            f1 = _signed_distance(rt * (a0 + x1 * (a1 - a0) - center), size, gtype)
        else:
            lo = x1
            x1 = x2
            f1 = f2
            x2 = lo + g * (hi - lo)
            f2 = _signed_distance(rt * (a0 + x2 * (a1 - a0) - center), size, gtype)
    t = 0.5 * (lo + hi)
    # the ends themselves (the minimum sits at an end as often as not; the bracket only reaches within 2e-7 of it)
    ft = _signed_distance(rt * (a0 + t * (a1 - a0) - center), size, gtype)
    f0 = _signed_distance(rt * (a0 - center), size, gtype)
    if f0 <= ft:
        t = 0.0
        ft = f0
    if _signed_distance(rt * (a1 - center), size, gtype) < ft:
        t = 1.0
    return a0 + t * (a1 - a0)


@wp.func(inline=False)
def sphere_cylinder(center: wp.vec3, radius: float, cyl_center: wp.vec3, cyl_rot: wp.mat33, size: wp.vec3):
    """Signed distance [m] from a sphere to a cylinder (size: radius, half-height [m]; axis the local z), the unit
    normal from the sphere to the cylinder and the midpoint of the gap [m, world], as ``sphere_box``: the cylinder
    point nearest the center (MuJoCo's mjc_SphereCylinder: side, cap or rim); a center inside leaves through the
    nearer of side and cap."""
    local = wp.transpose(cyl_rot) * (center - cyl_center)
    rho = wp.sqrt(local[0] * local[0] + local[1] * local[1])
    radial = wp.vec3(1.0, 0.0, 0.0)
    if rho > 1.0e-9:
        radial = wp.vec3(local[0] / rho, local[1] / rho, 0.0)
    qx = rho - size[0]
    qz = wp.abs(local[2]) - size[1]
    up = wp.vec3(0.0, 0.0, 1.0)
    if local[2] < 0.0:
        up = wp.vec3(0.0, 0.0, -1.0)
    normal = wp.vec3(0.0, 0.0, -1.0)
    dist = float(0.0)
    if qx > 0.0 or qz > 0.0:
        nearest = radial * wp.min(rho, size[0]) + wp.vec3(0.0, 0.0, wp.clamp(local[2], -size[1], size[1]))
        gap = local - nearest
        length = wp.length(gap)
        normal = -(cyl_rot * gap) / wp.max(length, 1.0e-12)
        dist = length - radius
    elif qx > qz:
        normal = -(cyl_rot * radial)
        dist = qx - radius
    else:
        normal = -(cyl_rot * up)
        dist = qz - radius
    return dist, normal, center + (radius + 0.5 * dist) * normal


@wp.func
def _box_column(rot: wp.mat33, i: int):
    """Axis i of a box [world, unit]: column i of its world-from-box rotation (constant indices, ``component``)."""
    if i == 0:
        return wp.vec3(rot[0, 0], rot[1, 0], rot[2, 0])
    if i == 1:
        return wp.vec3(rot[0, 1], rot[1, 1], rot[2, 1])
    return wp.vec3(rot[0, 2], rot[1, 2], rot[2, 2])


@wp.func
def _box_radius(rot: wp.mat33, half_size: wp.vec3, axis: wp.vec3):
    """Half the extent [m] of a box's projection on a unit axis."""
    return (
        half_size[0] * wp.abs(wp.dot(wp.vec3(rot[0, 0], rot[1, 0], rot[2, 0]), axis))
        + half_size[1] * wp.abs(wp.dot(wp.vec3(rot[0, 1], rot[1, 1], rot[2, 1]), axis))
        + half_size[2] * wp.abs(wp.dot(wp.vec3(rot[0, 2], rot[1, 2], rot[2, 2]), axis))
    )


@wp.func(inline=False)
def box_box_axis(c1: wp.vec3, r1: wp.mat33, h1: wp.vec3, c2: wp.vec3, r2: wp.mat33, h2: wp.vec3):
    """Separating-axis test of two boxes: (penetration [m] along the axis of least overlap, its unit normal from box
    1 to box 2 [world], kind: 0..2 a face axis of box 1, 3..5 of box 2, 6 + 3 i + j the edge pair (axis i of box 1,
    axis j of box 2)). Edge axes win only when clearly shallower than every face axis (5%), so that stacked or
    tilted-on-a-face boxes take the face-face case, as MuJoCo's mjc_BoxBox does."""
    delta = c2 - c1
    best = float(1.0e30)
    normal = wp.vec3(0.0, 0.0, 1.0)
    kind = int(0)
    for k in range(6):
        axis = _box_column(r1, k % 3)
        if k >= 3:
            axis = _box_column(r2, k - 3)
        s = wp.dot(delta, axis)
        pen = _box_radius(r1, h1, axis) + _box_radius(r2, h2, axis) - wp.abs(s)
        if pen < best:
            best = pen
            kind = k
            normal = axis
            if s < 0.0:
                normal = -axis
    face = best
    for k in range(9):
        i = k // 3
        j = k % 3
        axis = wp.cross(_box_column(r1, i), _box_column(r2, j))
        length = wp.length(axis)
        if length > 1.0e-6:
            axis = axis / length
            s = wp.dot(delta, axis)
            pen = _box_radius(r1, h1, axis) + _box_radius(r2, h2, axis) - wp.abs(s)
            if pen < best and pen < face - 0.05 * wp.abs(face) - 1.0e-6:
                best = pen
                kind = 6 + k
                normal = axis
                if s < 0.0:
                    normal = -axis
    return best, normal, kind


@wp.func(inline=False)
def box_box_point(
    c1: wp.vec3,
    r1: wp.mat33,
    h1: wp.vec3,
    c2: wp.vec3,
    r2: wp.mat33,
    h2: wp.vec3,
    normal: wp.vec3,
    kind: int,
    pen: float,
    k: int,
):
    """Candidate contact k (0..15) of two boxes after ``box_box_axis``: (valid, signed distance [m], midpoint [m,
    world]). Face case: the reference face (of the box whose axis won) and the most opposed face of the other box,
    their overlap polygon in the reference plane: incident corners inside the reference face (k 0..3), reference
    corners inside the incident face (4..7), incident edges crossing the reference face's border (8..15, edge
    (k - 8) / 2, entry or exit); each point's distance is that of the incident face from the reference plane along
    the normal. Edge case: one point (k 0), midway between the closest points of the two support edges."""
    if kind >= 6:
        if k != 0:
            return False, 0.0, wp.vec3(0.0)
        i = (kind - 6) // 3
        j = (kind - 6) % 3
        # support edges: box 1's edge farthest along the normal, box 2's farthest against it
        e1 = c1
        e2 = c2
        for a in range(3):
            if a != i:
                ax = _box_column(r1, a)
                e1 = e1 + wp.sign(wp.dot(ax, normal)) * component(h1, a) * ax
            if a != j:
                bx = _box_column(r2, a)
                e2 = e2 - wp.sign(wp.dot(bx, normal)) * component(h2, a) * bx
        d1 = component(h1, i) * _box_column(r1, i)
        d2 = component(h2, j) * _box_column(r2, j)
        pa, pb = segment_segment(e1 - d1, e1 + d1, e2 - d2, e2 + d2)
        return True, -pen, 0.5 * (pa + pb)
    # reference box R (its face axis won) with outward face normal nr toward the incident box I
    cr = c1
    rr = r1
    hr = h1
    ci = c2
    ri = r2
    hi = h2
    nr = normal
    ia = kind
    if kind >= 3:
        cr = c2
        rr = r2
        hr = h2
        ci = c1
        ri = r1
        hi = h1
        nr = -normal
        ia = kind - 3
    face_r = cr + component(hr, ia) * nr
    ua = (ia + 1) % 3
    va = (ia + 2) % 3
    u = _box_column(rr, ua)
    v = _box_column(rr, va)
    hu = component(hr, ua)
    hv = component(hr, va)
    # incident face: the face of I whose outward normal is most opposed to nr
    fa = int(0)
    best = float(-1.0)
    for a in range(3):
        c = wp.abs(wp.dot(_box_column(ri, a), nr))
        if c > best:
            best = c
            fa = a
    ni = _box_column(ri, fa)
    if wp.dot(ni, nr) > 0.0:
        ni = -ni
    face_i = ci + component(hi, fa) * ni
    a_axis = _box_column(ri, (fa + 1) % 3)
    b_axis = _box_column(ri, (fa + 2) % 3)
    ha = component(hi, (fa + 1) % 3)
    hb = component(hi, (fa + 2) % 3)
    tol = 1.0e-6 * (hu + hv)
    p = wp.vec3(0.0)
    valid = bool(False)
    if k < 4:
        sa = float(1.0 - 2.0 * float(k & 1))
        sb = float(1.0 - 2.0 * float((k >> 1) & 1))
        p = face_i + sa * ha * a_axis + sb * hb * b_axis
        rel = p - face_r
        valid = wp.abs(wp.dot(rel, u)) <= hu + tol and wp.abs(wp.dot(rel, v)) <= hv + tol
    elif k < 8:
        sa = float(1.0 - 2.0 * float(k & 1))
        sb = float(1.0 - 2.0 * float((k >> 1) & 1))
        q = face_r + sa * hu * u + sb * hv * v
        # the incident face's point above (or below) the reference corner, along nr
        denom = wp.dot(nr, ni)
        if wp.abs(denom) > 1.0e-6:
            p = q + (wp.dot(face_i - q, ni) / denom) * nr
            rel = p - face_i
            valid = wp.abs(wp.dot(rel, a_axis)) < ha - tol and wp.abs(wp.dot(rel, b_axis)) < hb - tol
    else:
        e = (k - 8) // 2
        # incident edge e: 0, 1 along b at a = +-ha; 2, 3 along a at b = +-hb
        s = float(1.0 - 2.0 * float(e & 1))
        p0 = face_i + s * ha * a_axis - hb * b_axis
        p1 = face_i + s * ha * a_axis + hb * b_axis
        if e >= 2:
            p0 = face_i - ha * a_axis + s * hb * b_axis
            p1 = face_i + ha * a_axis + s * hb * b_axis
        # Liang-Barsky clip of the edge, projected on the reference plane, to the reference rectangle
        x0 = wp.dot(p0 - face_r, u)
        y0 = wp.dot(p0 - face_r, v)
        dx = wp.dot(p1 - p0, u)
        dy = wp.dot(p1 - p0, v)
        t0 = float(0.0)
        t1 = float(1.0)
        inside = bool(True)
        for side in range(4):
            pp = -dx
            qq = x0 + hu
            if side == 1:
                pp = dx
                qq = hu - x0
            elif side == 2:
                pp = -dy
                qq = y0 + hv
            elif side == 3:
                pp = dy
                qq = hv - y0
            if wp.abs(pp) < 1.0e-12:
                if qq < 0.0:
                    inside = False
            else:
                t = qq / pp
                if pp < 0.0:
                    t0 = wp.max(t0, t)
                else:
                    t1 = wp.min(t1, t)
        if inside and t0 <= t1:
            t = t0
            if k % 2 == 1:
                t = t1
            # only crossings strictly inside the edge: its ends are the corner candidates
            if t > 1.0e-6 and t < 1.0 - 1.0e-6:
                valid = True
                p = p0 + t * (p1 - p0)
    sep = wp.dot(p - face_r, nr)
    # the distance and midpoint along the contact normal (from box 1 to box 2)
    return valid, sep, p - 0.5 * sep * nr


@wp.func(inline=False)
def segment_box_clip(a0: wp.vec3, a1: wp.vec3, box_center: wp.vec3, box_rot: wp.mat33, half_size: wp.vec3, face: int):
    """The part of segment a0-a1 [m, world] over a box face: the segment clipped (Liang-Barsky) to the box's slabs
    along its two axes other than `face` (the face's own axis is not bounded), as (nonempty, start, end)."""
    rt = wp.transpose(box_rot)
    p0 = rt * (a0 - box_center)
    d = rt * (a1 - a0)
    t0 = float(0.0)
    t1 = float(1.0)
    for i in range(3):
        if i != face:
            di = component(d, i)
            pi = component(p0, i)
            hi = component(half_size, i)
            if wp.abs(di) < 1.0e-12:
                if wp.abs(pi) > hi:
                    t1 = -1.0
            else:
                ta = (-hi - pi) / di
                tb = (hi - pi) / di
                t0 = wp.max(t0, wp.min(ta, tb))
                t1 = wp.min(t1, wp.max(ta, tb))
    return t0 <= t1, a0 + t0 * (a1 - a0), a0 + t1 * (a1 - a0)


@wp.func
def geom_npoints(gtype: int) -> int:
    """Number of ground-contact points of a collision geom of type gtype: a sphere 1, a capsule 2 (its end caps), a
    cylinder 4, a box 8 (its corners), as ``kernels.collision._contact_point`` takes them."""
    npoints = int(1)
    if gtype == GEOM_CAPSULE:
        npoints = 2
    elif gtype == GEOM_CYLINDER:
        npoints = 4
    elif gtype == GEOM_BOX:
        npoints = 8
    return npoints
