"""MuJoCo's elliptic friction cone (``<option cone="elliptic">``) for ground and geom-geom contacts, one env per call
(``@wp.func``): the rows of the solve, their state update and their part of the line search's slope.

A contact of condim d has d rows in its frame: the normal n, the tangents t1 and t2 = n x t1 (sliding), then the
rotations about n (torsional) and about t1, t2 (rolling): J = [n, t1, t2]^T J_p and [n, t1, t2]^T J_r of the second
body relative to the first (a ground contact: its body). With jar = J qacc - aref (aref = -b J qvel - k d r on the
normal, -b J qvel on the others), MuJoCo's mj_constraintUpdate (engine_core_constraint.c) maps jar to the cone space
U = (mu jar_0, f_1 jar_1, ..., f_{d-1} jar_{d-1}) with the regularized mu = f_1 / sqrt(impratio) and the contact's
friction f = (slide, slide, spin, roll, roll), N = U_0, T = |U_1..|, and splits it in three zones:

- top, N >= mu T: the constraint is satisfied, no force;
- bottom, mu N + T <= 0: every row is quadratic, f_j = -D_j jar_j, with D_0 = 1 / R_0 (the normal's impedance),
  D_1 = impratio D_0 and D_j = D_1 f_j^2 / f_1^2 (mj_makeImpedance);
- middle: the cost 1/2 Dm (N - mu T)^2, Dm = D_0 / (mu^2 (1 + mu^2)), whose force is -Dm (N - mu T) c_a with
  c_a = diag(mu, f) (e_0 - mu u), u = U_tan / T, and whose Hessian is Dm c_a c_a^T + Dm mu (mu - N / T) S (P - u u^T) S
  (S = diag(mu, f), P the tangent space's projector): rank one plus the tangent directions orthogonal to u.

The solve (kernels.forward) is Newton's method on MuJoCo's cost: each iteration adds the Hessian H as rank-one rows
coef J_c^T J_c and the force f + H J qacc at the current iterate as J^T g, so that one Cholesky solve is a Newton step;
the line search reads the force f at any point on the line. A frictionless contact (condim 1) is one normal row.
"""

import warp as wp

from kernels.constraint import _point_acc, body_angular_acc, point_acc
from kernels.contact import geom_npoints, reference_coefficients
from kernels.equality import add_dense_row, row_jacobian
from kernels.types import vec5

wp.set_module_options({"enable_backward": False, "max_unroll": 1})

# a contact's rows in its frame: normal, two tangents, torsion, two rolling axes
vec6 = wp.types.vector(length=6, dtype=float)

# zones of a contact's cone (kept in contact_mask / pair_mask by the elliptic update)
ZONE_TOP = wp.constant(0)
ZONE_BOTTOM = wp.constant(1)
ZONE_MIDDLE = wp.constant(2)

# a middle-zone contact has settled when its force [N] moves by less than this share of its size in a Newton step
# (the cost there is not piecewise quadratic, so its zone alone does not say the iterate converged)
CONE_FORCE_TOLERANCE = wp.constant(1.0e-5)


@wp.func
def cone_dim(mu: float, mu_ang: wp.vec2):
    """The contact's number of rows from its stored friction: 1 (frictionless), 3, 4 (torsion) or 6 (rolling)."""
    if mu == 0.0:
        return 1
    if mu_ang[0] == 0.0:
        return 3
    if mu_ang[1] == 0.0:
        return 4
    return 6


@wp.func
def cone_scales(dim: int, mu: float, mu_ang: wp.vec2, impratio: float):
    """(S, W): S = (mu / sqrt(impratio), mu, mu, spin, roll, roll) maps jar to MuJoCo's cone space U = S jar and W_j
    = D_j / D_0 (mj_makeImpedance: D_1 = impratio D_0, D_j f_j^2 = D_1 f_1^2); entries past dim are 0."""
    ratio = wp.max(impratio, 1.0e-15)  # MuJoCo's mjMINVAL
    rows = vec6(1.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    if dim > 1:
        rows = vec6(1.0, 1.0, 1.0, 0.0, 0.0, 0.0)
    if dim > 3:
        rows = vec6(1.0, 1.0, 1.0, 1.0, 0.0, 0.0)
    if dim > 4:
        rows = vec6(1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
    s = wp.cw_mul(rows, vec6(mu / wp.sqrt(ratio), mu, mu, mu_ang[0], mu_ang[1], mu_ang[1]))
    # (a frictionless contact, mu 0, keeps W = e_0 below: no division by zero on the way)
    spin = mu_ang[0] / wp.max(mu, 1.0e-15)
    roll = mu_ang[1] / wp.max(mu, 1.0e-15)
    w = wp.cw_mul(rows, vec6(1.0, ratio, ratio, ratio * spin * spin, ratio * roll * roll, ratio * roll * roll))
    if dim == 1:
        w = vec6(1.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    return s, w


@wp.func
def unit6(m: int):
    """The m-th unit vector of the contact's row space."""
    return vec6(
        float(m == 0), float(m == 1), float(m == 2), float(m == 3), float(m == 4), float(m == 5)
    )  # fmt: skip


@wp.func
def cone_force(jar: vec6, dim: int, s: vec6, w: vec6, d0: float):
    """MuJoCo's force [N, N m] on each row of one contact at jar = J qacc - aref [m/s^2, rad/s^2] and its zone
    (``ZONE_TOP``, ``ZONE_BOTTOM``, ``ZONE_MIDDLE``); s, w from ``cone_scales``, d0 the normal's D [kg]."""
    if dim == 1:
        if jar[0] >= 0.0:
            return ZONE_TOP, vec6(0.0)
        return ZONE_BOTTOM, vec6(-d0 * jar[0], 0.0, 0.0, 0.0, 0.0, 0.0)
    mu = s[0]
    u = wp.cw_mul(s, jar)
    n = u[0]
    tangent = u - vec6(n, 0.0, 0.0, 0.0, 0.0, 0.0)
    t = wp.length(tangent)
    if n >= mu * t or (t <= 0.0 and n >= 0.0):
        return ZONE_TOP, vec6(0.0)
    if mu * n + t <= 0.0 or (t <= 0.0 and n < 0.0):
        return ZONE_BOTTOM, -d0 * wp.cw_mul(w, jar)
    dm = d0 / (mu * mu * (1.0 + mu * mu))
    c_a = wp.cw_mul(s, unit6(0) - (mu / t) * tangent)
    return ZONE_MIDDLE, (-dm * (n - mu * t)) * c_a


@wp.func
def cone_row(
    worldid: int,
    bp: int,
    bm: int,
    point: wp.vec3,
    n: wp.vec3,
    t1: wp.vec3,
    c: vec6,
    force: float,
    coef: float,
    # Model:
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    cdof_in: wp.array2d[wp.spatial_vector],
    # Data out:
    jac_out: wp.array2d[float],
    qfrc_out: wp.array2d[float],
    qH_out: wp.array3d[float],
):
    """Add J_c^T force [N m or N] to qfrc and coef J_c^T J_c to the lower triangle of qH for the combination J_c =
    sum_j c_j J_j of one contact's rows (body bp's point relative to body bm's; bm 0 for the ground)."""
    t2 = wp.cross(n, t1)
    lin = c[0] * n + c[1] * t1 + c[2] * t2
    ang = c[3] * n + c[4] * t1 + c[5] * t2
    row_jacobian(
        worldid, bp, point, bm, point, lin, ang, -1, -1, 0.0, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in,
        jac_out,
    )  # fmt: skip
    add_dense_row(worldid, force, coef, jac_out, qfrc_out, qH_out)


@wp.func
def cone_rows(
    worldid: int,
    bp: int,
    bm: int,
    point: wp.vec3,
    n: wp.vec3,
    t1: wp.vec3,
    dim: int,
    s: vec6,
    w: vec6,
    d0: float,
    aref: vec6,
    acc: vec6,
    # Model:
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    cdof_in: wp.array2d[wp.spatial_vector],
    # Data out:
    jac_out: wp.array2d[float],
    qfrc_out: wp.array2d[float],
    qH_out: wp.array3d[float],
):
    """One contact's Newton terms at the iterate whose row accelerations are acc = J qacc [m/s^2, rad/s^2]: its cost's
    Hessian H as rank-one rows into qH and J^T (f + H acc) into qfrc (the bottom zone: D_j J_j^T J_j and D_j aref_j
    J_j^T, the soft rows of the pyramid's kind; the middle zone: the cone's curvature, see the module's doc)."""
    jar = acc - aref
    zone, _f = cone_force(jar, dim, s, w, d0)
    if zone == ZONE_BOTTOM:
        j = int(0)
        while j < dim:
            dj = d0 * w[j]
            cone_row(
                worldid, bp, bm, point, n, t1, unit6(j), dj * aref[j], dj, body_rootid, body_lastdof, dof_parentid,
                xpos_in, cdof_in, jac_out, qfrc_out, qH_out,
            )  # fmt: skip
            j += 1
    elif zone == ZONE_MIDDLE:
        mu = s[0]
        u = wp.cw_mul(s, jar)
        tangent = u - vec6(u[0], 0.0, 0.0, 0.0, 0.0, 0.0)
        t = wp.length(tangent)
        hat = tangent / t
        dm = d0 / (mu * mu * (1.0 + mu * mu))
        c_a = wp.cw_mul(s, unit6(0) - mu * hat)
        # -dm (N - mu T) c_a is the force f; the row adds f + dm c_a (c_a . acc) along c_a
        cone_row(
            worldid, bp, bm, point, n, t1, c_a, dm * (wp.dot(c_a, acc) - (u[0] - mu * t)), dm, body_rootid,
            body_lastdof, dof_parentid, xpos_in, cdof_in, jac_out, qfrc_out, qH_out,
        )  # fmt: skip
        coef = dm * mu * (mu - u[0] / t)
        # the tangent directions orthogonal to hat: columns 2..dim-1 of the Householder reflector that maps e_1 to
        # -sign(hat_1) hat (orthonormal, and orthogonal to hat)
        sign = float(1.0)
        if hat[1] < 0.0:
            sign = -1.0
        v = hat + sign * unit6(1)
        vv = wp.dot(v, v)
        m = int(2)
        while m < dim:
            b = unit6(m) - (2.0 * v[m] / vv) * v
            c_b = wp.cw_mul(s, b)
            cone_row(
                worldid, bp, bm, point, n, t1, c_b, coef * wp.dot(c_b, acc), coef, body_rootid, body_lastdof,
                dof_parentid, xpos_in, cdof_in, jac_out, qfrc_out, qH_out,
            )  # fmt: skip
            m += 1


@wp.func
def frame_coords(n: wp.vec3, t1: wp.vec3, lin: wp.vec3, ang: wp.vec3):
    """A linear and an angular vector [world] as one contact's row coordinates (n, t1, t2 each)."""
    t2 = wp.cross(n, t1)
    return vec6(wp.dot(lin, n), wp.dot(lin, t1), wp.dot(lin, t2), wp.dot(ang, n), wp.dot(ang, t1), wp.dot(ang, t2))


@wp.func
def ground_terms(
    worldid: int,
    g: int,
    idx: int,
    impratio: float,
    # Model:
    cgeom_solref: wp.array[wp.vec2],
    cgeom_solimp: wp.array[vec5],
    # Data in:
    contact_dcoef_in: wp.array2d[float],
    contact_fref_in: wp.array2d[float],
    contact_normal_in: wp.array2d[wp.vec3],
    contact_vel_in: wp.array2d[wp.vec3],
    contact_frame_in: wp.array2d[wp.vec3],
    contact_mu_in: wp.array2d[float],
    contact_mu_ang_in: wp.array2d[wp.vec2],
    contact_angvel_in: wp.array2d[wp.vec3],
):
    """Ground point idx of geom g: (dim, S, W, D_0 [kg], aref [m/s^2, rad/s^2] of each row)."""
    _k, b = reference_coefficients(cgeom_solref[g], cgeom_solimp[g][1])
    mu = contact_mu_in[worldid, idx]
    mu_ang = contact_mu_ang_in[worldid, idx]
    dim = cone_dim(mu, mu_ang)
    s, w = cone_scales(dim, mu, mu_ang, impratio)
    n = contact_normal_in[worldid, idx]
    aref = -b * frame_coords(n, contact_frame_in[worldid, idx], contact_vel_in[worldid, idx],
                             contact_angvel_in[worldid, idx])  # fmt: skip
    aref = aref - vec6(contact_fref_in[worldid, idx], 0.0, 0.0, 0.0, 0.0, 0.0)
    return dim, s, w, contact_dcoef_in[worldid, idx], aref


@wp.func
def ground_acc(
    worldid: int,
    body: int,
    idx: int,
    n: wp.vec3,
    t1: wp.vec3,
    # Model:
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    contact_jacp_in: wp.array3d[wp.vec3],
    cdof_in: wp.array2d[wp.spatial_vector],
    x_in: wp.array2d[float],
):
    """J x of ground point idx's rows for dof accelerations x [m/s^2, rad/s^2 in the contact's frame]."""
    lin = point_acc(worldid, body, idx, body_lastdof, dof_parentid, contact_jacp_in, x_in)
    ang = body_angular_acc(worldid, body, body_lastdof, dof_parentid, cdof_in, x_in)
    return frame_coords(n, t1, lin, ang)


@wp.func
def pair_terms(
    worldid: int,
    idx: int,
    impratio: float,
    # Data in:
    pair_dcoef_in: wp.array2d[float],
    pair_aref_in: wp.array2d[wp.vec4],
    pair_normal_in: wp.array2d[wp.vec3],
    pair_frame_in: wp.array2d[wp.vec3],
    pair_mu_in: wp.array2d[float],
    pair_mu_ang_in: wp.array2d[wp.vec2],
    pair_aref_rot_in: wp.array2d[wp.vec3],
):
    """Geom-geom point idx: (dim, S, W, D_0 [kg], aref of each row) from the elliptic layout of pair_aref (the normal's
    aref, then -b v along t1 and t2; kernels.collision._pair_point) and pair_aref_rot (-b omega)."""
    mu = pair_mu_in[worldid, idx]
    mu_ang = pair_mu_ang_in[worldid, idx]
    dim = cone_dim(mu, mu_ang)
    s, w = cone_scales(dim, mu, mu_ang, impratio)
    a = pair_aref_in[worldid, idx]
    rot = frame_coords(pair_normal_in[worldid, idx], pair_frame_in[worldid, idx], wp.vec3(0.0),
                       pair_aref_rot_in[worldid, idx])  # fmt: skip
    aref = vec6(a[0], a[1], a[2], rot[3], rot[4], rot[5])
    return dim, s, w, pair_dcoef_in[worldid, idx], aref


@wp.func
def pair_acc(
    worldid: int,
    body1: int,
    body2: int,
    point: wp.vec3,
    n: wp.vec3,
    t1: wp.vec3,
    # Model:
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    cdof_in: wp.array2d[wp.spatial_vector],
    x_in: wp.array2d[float],
):
    """J x of a geom-geom point's rows (geom 2 relative to geom 1) for dof accelerations x, in the contact's frame."""
    lin = _point_acc(worldid, body2, point, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in, x_in) - (
        _point_acc(worldid, body1, point, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in, x_in)
    )
    ang = body_angular_acc(worldid, body2, body_lastdof, dof_parentid, cdof_in, x_in) - body_angular_acc(
        worldid, body1, body_lastdof, dof_parentid, cdof_in, x_in
    )
    return frame_coords(n, t1, lin, ang)


@wp.func
def store_force(zone: int, force: vec6, n: wp.vec3, t1: wp.vec3, old_zone: int, old_frc: wp.vec3):
    """(the contact's normal force [N], force [N, world], torque [N m, world], 1 if the solve has not settled on it):
    MuJoCo's mj_contactForce in the world frame; unsettled if its zone changed or, in the middle zone, its force
    moved by more than ``CONE_FORCE_TOLERANCE``."""
    t2 = wp.cross(n, t1)
    frc = force[0] * n + force[1] * t1 + force[2] * t2
    trq = force[3] * n + force[4] * t1 + force[5] * t2
    changed = int(0)
    if zone != old_zone:
        changed = 1
    elif zone == ZONE_MIDDLE and wp.length(frc - old_frc) > CONE_FORCE_TOLERANCE * wp.length(frc):
        changed = 1
    return force[0], frc, trq, changed


@wp.func
def ground_cones(
    worldid: int,
    mode: int,
    impratio: float,
    # Model:
    cgeom_type: wp.array[int],
    cgeom_bodyid: wp.array[int],
    cgeom_solref: wp.array[wp.vec2],
    cgeom_solimp: wp.array[vec5],
    cgeom_pointadr: wp.array[int],
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    cdof_in: wp.array2d[wp.spatial_vector],
    contact_jacp_in: wp.array3d[wp.vec3],
    contact_dcoef_in: wp.array2d[float],
    contact_fref_in: wp.array2d[float],
    contact_point_in: wp.array2d[wp.vec3],
    contact_normal_in: wp.array2d[wp.vec3],
    contact_vel_in: wp.array2d[wp.vec3],
    contact_frame_in: wp.array2d[wp.vec3],
    contact_mu_in: wp.array2d[float],
    contact_mu_ang_in: wp.array2d[wp.vec2],
    contact_angvel_in: wp.array2d[wp.vec3],
    x_in: wp.array2d[float],
    # Data out:
    contact_mask_out: wp.array2d[int],
    contact_force_out: wp.array2d[float],
    contact_frc_out: wp.array2d[wp.vec3],
    contact_trq_out: wp.array2d[wp.vec3],
    jac_out: wp.array2d[float],
    qfrc_out: wp.array2d[float],
    qH_out: wp.array3d[float],
) -> int:
    """Every ground contact under MuJoCo's elliptic cone. mode 0: the Newton terms at the iterate x (``cone_rows``)
    into qfrc and qH; mode 1: the zones and forces at x into contact_mask (the zone), contact_force, contact_frc and
    contact_trq, returning the number of contacts not settled (the line search's part: ``ground_cones_slope``)."""
    out = int(0)
    g = int(0)
    while g < cgeom_type.shape[0]:
        body = cgeom_bodyid[g]
        npoints = geom_npoints(cgeom_type[g])
        idx = cgeom_pointadr[g]
        while idx < cgeom_pointadr[g] + npoints:
            dcoef = contact_dcoef_in[worldid, idx]
            if dcoef > 0.0:
                dim, s, w, d0, aref = ground_terms(
                    worldid, g, idx, impratio, cgeom_solref, cgeom_solimp, contact_dcoef_in, contact_fref_in,
                    contact_normal_in, contact_vel_in, contact_frame_in, contact_mu_in, contact_mu_ang_in,
                    contact_angvel_in,
                )  # fmt: skip
                n = contact_normal_in[worldid, idx]
                t1 = contact_frame_in[worldid, idx]
                acc = ground_acc(worldid, body, idx, n, t1, body_lastdof, dof_parentid, contact_jacp_in, cdof_in, x_in)
                if mode == 0:
                    cone_rows(
                        worldid, body, 0, contact_point_in[worldid, idx], n, t1, dim, s, w, d0, aref, acc,
                        body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in, jac_out, qfrc_out, qH_out,
                    )  # fmt: skip
                else:
                    zone, force = cone_force(acc - aref, dim, s, w, d0)
                    fn, frc, trq, changed = store_force(
                        zone, force, n, t1, contact_mask_out[worldid, idx], contact_frc_out[worldid, idx]
                    )  # fmt: skip
                    contact_mask_out[worldid, idx] = zone
                    contact_force_out[worldid, idx] = fn
                    contact_frc_out[worldid, idx] = frc
                    contact_trq_out[worldid, idx] = trq
                    out += changed
            elif mode == 1:
                if contact_mask_out[worldid, idx] != ZONE_TOP:
                    out += 1
                contact_mask_out[worldid, idx] = ZONE_TOP
                contact_force_out[worldid, idx] = 0.0
                contact_frc_out[worldid, idx] = wp.vec3(0.0)
                contact_trq_out[worldid, idx] = wp.vec3(0.0)
            idx += 1
        g += 1
    return out


@wp.func(inline=False)
def pair_cones(
    worldid: int,
    mode: int,
    impratio: float,
    # Model:
    cpair_body1: wp.array[int],
    cpair_body2: wp.array[int],
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    cdof_in: wp.array2d[wp.spatial_vector],
    pair_dcoef_in: wp.array2d[float],
    pair_aref_in: wp.array2d[wp.vec4],
    pair_point_in: wp.array2d[wp.vec3],
    pair_normal_in: wp.array2d[wp.vec3],
    pair_frame_in: wp.array2d[wp.vec3],
    pair_mu_in: wp.array2d[float],
    pair_mu_ang_in: wp.array2d[wp.vec2],
    pair_aref_rot_in: wp.array2d[wp.vec3],
    x_in: wp.array2d[float],
    # Data out:
    pair_mask_out: wp.array2d[int],
    pair_force_out: wp.array2d[float],
    pair_frc_out: wp.array2d[wp.vec3],
    pair_trq_out: wp.array2d[wp.vec3],
    jac_out: wp.array2d[float],
    qfrc_out: wp.array2d[float],
    qH_out: wp.array3d[float],
) -> int:
    """``ground_cones`` for the geom-geom contact points (geom 2 relative to geom 1; force and torque on geom 2)."""
    out = int(0)
    p = int(0)
    while p < cpair_body1.shape[0]:
        if pair_dcoef_in[worldid, p] > 0.0:
            dim, s, w, d0, aref = pair_terms(
                worldid, p, impratio, pair_dcoef_in, pair_aref_in, pair_normal_in, pair_frame_in, pair_mu_in,
                pair_mu_ang_in, pair_aref_rot_in,
            )  # fmt: skip
            point = pair_point_in[worldid, p]
            n = pair_normal_in[worldid, p]
            t1 = pair_frame_in[worldid, p]
            b1 = cpair_body1[p]
            b2 = cpair_body2[p]
            acc = pair_acc(
                worldid, b1, b2, point, n, t1, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in, x_in
            )
            if mode == 0:
                cone_rows(
                    worldid, b2, b1, point, n, t1, dim, s, w, d0, aref, acc, body_rootid, body_lastdof, dof_parentid,
                    xpos_in, cdof_in, jac_out, qfrc_out, qH_out,
                )  # fmt: skip
            else:
                zone, force = cone_force(acc - aref, dim, s, w, d0)
                fn, frc, trq, changed = store_force(
                    zone, force, n, t1, pair_mask_out[worldid, p], pair_frc_out[worldid, p]
                )
                pair_mask_out[worldid, p] = zone
                pair_force_out[worldid, p] = fn
                pair_frc_out[worldid, p] = frc
                pair_trq_out[worldid, p] = trq
                out += changed
        elif mode == 1 and pair_mask_out[worldid, p] != ZONE_TOP:
            out += 1
            pair_mask_out[worldid, p] = ZONE_TOP
            pair_force_out[worldid, p] = 0.0
            pair_frc_out[worldid, p] = wp.vec3(0.0)
            pair_trq_out[worldid, p] = wp.vec3(0.0)
        p += 1
    return out


@wp.func
def ground_cones_slope(
    worldid: int,
    impratio: float,
    alpha: float,
    # Model:
    cgeom_type: wp.array[int],
    cgeom_bodyid: wp.array[int],
    cgeom_solref: wp.array[wp.vec2],
    cgeom_solimp: wp.array[vec5],
    cgeom_pointadr: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    cdof_in: wp.array2d[wp.spatial_vector],
    contact_jacp_in: wp.array3d[wp.vec3],
    contact_dcoef_in: wp.array2d[float],
    contact_fref_in: wp.array2d[float],
    contact_normal_in: wp.array2d[wp.vec3],
    contact_vel_in: wp.array2d[wp.vec3],
    contact_frame_in: wp.array2d[wp.vec3],
    contact_mu_in: wp.array2d[float],
    contact_mu_ang_in: wp.array2d[wp.vec2],
    contact_angvel_in: wp.array2d[wp.vec3],
    x0_in: wp.array2d[float],
    x1_in: wp.array2d[float],
) -> float:
    """The ground contacts' part -sum f(x) . J d of the line search's slope [N m or N times the step] at x = x0 +
    alpha d, d = x1 - x0, each contact's force by ``cone_force``."""
    slope = float(0.0)
    g = int(0)
    while g < cgeom_type.shape[0]:
        body = cgeom_bodyid[g]
        npoints = geom_npoints(cgeom_type[g])
        idx = cgeom_pointadr[g]
        while idx < cgeom_pointadr[g] + npoints:
            if contact_dcoef_in[worldid, idx] > 0.0:
                dim, s, w, d0, aref = ground_terms(
                    worldid, g, idx, impratio, cgeom_solref, cgeom_solimp, contact_dcoef_in, contact_fref_in,
                    contact_normal_in, contact_vel_in, contact_frame_in, contact_mu_in, contact_mu_ang_in,
                    contact_angvel_in,
                )  # fmt: skip
                n = contact_normal_in[worldid, idx]
                t1 = contact_frame_in[worldid, idx]
                acc = ground_acc(worldid, body, idx, n, t1, body_lastdof, dof_parentid, contact_jacp_in, cdof_in, x0_in)
                accd = ground_acc(
                    worldid, body, idx, n, t1, body_lastdof, dof_parentid, contact_jacp_in, cdof_in, x1_in
                ) - acc  # fmt: skip
                _zone, force = cone_force(acc + alpha * accd - aref, dim, s, w, d0)
                slope -= wp.dot(force, accd)
            idx += 1
        g += 1
    return slope


@wp.func(inline=False)
def pair_cones_slope(
    worldid: int,
    impratio: float,
    alpha: float,
    # Model:
    cpair_body1: wp.array[int],
    cpair_body2: wp.array[int],
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    cdof_in: wp.array2d[wp.spatial_vector],
    pair_dcoef_in: wp.array2d[float],
    pair_aref_in: wp.array2d[wp.vec4],
    pair_point_in: wp.array2d[wp.vec3],
    pair_normal_in: wp.array2d[wp.vec3],
    pair_frame_in: wp.array2d[wp.vec3],
    pair_mu_in: wp.array2d[float],
    pair_mu_ang_in: wp.array2d[wp.vec2],
    pair_aref_rot_in: wp.array2d[wp.vec3],
    x0_in: wp.array2d[float],
    x1_in: wp.array2d[float],
) -> float:
    """``ground_cones_slope`` for the geom-geom contact points."""
    slope = float(0.0)
    p = int(0)
    while p < cpair_body1.shape[0]:
        if pair_dcoef_in[worldid, p] > 0.0:
            dim, s, w, d0, aref = pair_terms(
                worldid, p, impratio, pair_dcoef_in, pair_aref_in, pair_normal_in, pair_frame_in, pair_mu_in,
                pair_mu_ang_in, pair_aref_rot_in,
            )  # fmt: skip
            point = pair_point_in[worldid, p]
            n = pair_normal_in[worldid, p]
            t1 = pair_frame_in[worldid, p]
            b1 = cpair_body1[p]
            b2 = cpair_body2[p]
            acc = pair_acc(
                worldid, b1, b2, point, n, t1, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in, x0_in
            )
            accd = pair_acc(
                worldid, b1, b2, point, n, t1, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in, x1_in
            ) - acc  # fmt: skip
            _zone, force = cone_force(acc + alpha * accd - aref, dim, s, w, d0)
            slope -= wp.dot(force, accd)
        p += 1
    return slope
