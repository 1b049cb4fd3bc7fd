"""MuJoCo's equality constraints of one env per call (``@wp.func``): connect, weld and joint coupling.

Each is MuJoCo's soft constraint (mj_instantiateEquality, mj_makeImpedance) on a residual r that the dynamics drive to
0: every row is always active (no sign condition), with force f = D (aref - J qacc), aref = -b J qvel - k d r and
R = 1 / D = (1 - d) / d diagApprox, d the solimp impedance at |r| (the whole residual's norm for connect and weld).

- connect (mjEQ_CONNECT): a point of body 1 (anchor1, body-1 frame) held on a point of body 2 (anchor2, body-2 frame):
  r = p1 - p2 [m, world], three rows J = e_k^T (J_p1 - J_p2); diagApprox the two bodies' body_invweight0[0] summed.
- weld (mjEQ_WELD): the same three translational rows at anchors (data[3:6] on body 1, data[0:3] on body 2), and three
  rotational rows on the axis part of q2^-1 q1 relpose [rad / 2] times torquescale, J = ts 0.5 vec(q2^-1 (J_r1 - J_r2)
  q1 relpose); diagApprox body_invweight0[1] summed on those.
- joint (mjEQ_JOINT): q1 - q1_0 = poly(q2 - q2_0) with polycoef (c0 .. c4) (or q1 - q1_0 = c0 without joint 2), one
  row J = e_dof1 - poly'(q2 - q2_0) e_dof2; diagApprox the two dofs' dof_invweight0 summed.

Quaternions are Warp's (x, y, z, w); products are Hamilton's, as MuJoCo's mju_mulQuat.
"""

import warp as wp

from kernels.contact import impedance, reference_coefficients
from kernels.types import vec5

wp.set_module_options({"enable_backward": False, "max_unroll": 1})

EQ_CONNECT = wp.constant(0)
EQ_WELD = wp.constant(1)
EQ_JOINT = wp.constant(2)


@wp.func
def eq_nrows(eq_type: int) -> int:
    """Rows of an equality constraint of mjtEq type eq_type: connect 3, weld 6, joint 1."""
    n = int(1)
    if eq_type == EQ_CONNECT:
        n = 3
    elif eq_type == EQ_WELD:
        n = 6
    return n


@wp.func
def _vec(q: wp.quat):
    return wp.vec3(q[0], q[1], q[2])


@wp.func
def _conj(q: wp.quat):
    # MuJoCo's mju_negQuat: the conjugate (the inverse of a unit quaternion), for any quaternion
    return wp.quat(-q[0], -q[1], -q[2], q[3])


@wp.func
def _unit(k: int):
    v = wp.vec3(0.0)
    v[k] = 1.0
    return v


@wp.func
def _weld_rotation(q1: wp.quat, q2: wp.quat, relquat: wp.quat, torquescale: float):
    """The weld's rotational residual ts vec(q2^-1 q1 relpose) [rad / 2 for small angles] and the 3 x 3 matrix M with
    J_rot = M (J_r1 - J_r2): M e_c = 0.5 ts vec(q2^-1 (0, e_c) q1 relpose), e_c a world axis (MuJoCo's
    mj_instantiateEquality)."""
    quat = q1 * relquat
    quat1 = _conj(q2)
    r = torquescale * _vec(quat1 * quat)
    m = wp.mat33(0.0)
    for c in range(3):
        e = _unit(c)
        col = 0.5 * torquescale * _vec(quat1 * wp.quat(e[0], e[1], e[2], 0.0) * quat)
        m[0, c] = col[0]
        m[1, c] = col[1]
        m[2, c] = col[2]
    return r, m


@wp.func
def equality_row(
    worldid: int,
    i: int,
    k: int,
    # Model:
    eq_type: wp.array[int],
    eq_obj1: wp.array[int],
    eq_obj2: wp.array[int],
    eq_anchor1: wp.array[wp.vec3],
    eq_anchor2: wp.array[wp.vec3],
    eq_relquat: wp.array[wp.quat],
    eq_torquescale: wp.array[float],
    eq_poly: wp.array[vec5],
    jnt_qposadr: wp.array[int],
    jnt_dofadr: wp.array[int],
    qpos0: wp.array[float],
    # Data in:
    qpos_in: wp.array2d[float],
    xpos_in: wp.array2d[wp.vec3],
    xquat_in: wp.array2d[wp.quat],
):
    """Row k of equality constraint i at the current kinematics: (body 1, point p1 [m, world], body 2, point p2,
    linear direction a, angular direction w, dof 1, dof 2, deriv, residual r [m or rad], norm of the constraint's
    residual). A body row's J = a^T (J_p(b1, p1) - J_p(b2, p2)) + w^T (J_r1 - J_r2); a joint row's (body 1 = -1)
    J = e_dof1 - deriv e_dof2 (dof 2 = -1: none)."""
    t = eq_type[i]
    b1 = int(-1)
    b2 = int(-1)
    p1 = wp.vec3(0.0)
    p2 = wp.vec3(0.0)
    a = wp.vec3(0.0)
    w = wp.vec3(0.0)
    d1 = int(-1)
    d2 = int(-1)
    deriv = float(0.0)
    r = float(0.0)
    norm = float(0.0)
    if t == EQ_JOINT:
        j1 = eq_obj1[i]
        j2 = eq_obj2[i]
        d1 = jnt_dofadr[j1]
        poly = eq_poly[i]
        y = qpos_in[worldid, jnt_qposadr[j1]] - qpos0[jnt_qposadr[j1]]
        r = y - poly[0]
        if j2 >= 0:
            d2 = jnt_dofadr[j2]
            x = qpos_in[worldid, jnt_qposadr[j2]] - qpos0[jnt_qposadr[j2]]
            r = r - x * (poly[1] + x * (poly[2] + x * (poly[3] + x * poly[4])))
            deriv = poly[1] + x * (2.0 * poly[2] + x * (3.0 * poly[3] + x * 4.0 * poly[4]))
        norm = wp.abs(r)
    else:
        b1 = eq_obj1[i]
        b2 = eq_obj2[i]
        quat1 = xquat_in[worldid, b1]
        quat2 = xquat_in[worldid, b2]
        p1 = xpos_in[worldid, b1] + wp.quat_rotate(quat1, eq_anchor1[i])
        p2 = xpos_in[worldid, b2] + wp.quat_rotate(quat2, eq_anchor2[i])
        dp = p1 - p2
        norm2 = wp.dot(dp, dp)
        if t == EQ_WELD:
            rot, m = _weld_rotation(quat1, quat2, eq_relquat[i], eq_torquescale[i])
            norm2 += wp.dot(rot, rot)
            if k >= 3:
                r = rot[k - 3]
                w = wp.vec3(m[k - 3, 0], m[k - 3, 1], m[k - 3, 2])
        if k < 3:
            r = dp[k]
            a = _unit(k)
        norm = wp.sqrt(norm2)
    return b1, p1, b2, p2, a, w, d1, d2, deriv, r, norm


@wp.func
def equality_row_dot(
    worldid: int,
    b1: int,
    p1: wp.vec3,
    b2: int,
    p2: wp.vec3,
    a: wp.vec3,
    w: wp.vec3,
    d1: int,
    d2: int,
    deriv: float,
    # Model:
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    cdof_in: wp.array2d[wp.spatial_vector],
    x_in: wp.array2d[float],
) -> float:
    """J x of an ``equality_row`` for dof velocities (accelerations) x [m/s or rad/s]."""
    if b1 < 0:
        v = x_in[worldid, d1]
        if d2 >= 0:
            v -= deriv * x_in[worldid, d2]
        return v
    lin = wp.vec3(0.0)
    ang = wp.vec3(0.0)
    for side in range(2):
        body = b1
        point = p1
        sign = float(1.0)
        if side == 1:
            body = b2
            point = p2
            sign = -1.0
        ref = xpos_in[worldid, body_rootid[body]]
        i = body_lastdof[body]
        while i >= 0:
            c = cdof_in[worldid, i]
            xi = sign * x_in[worldid, i]
            lin += (wp.spatial_bottom(c) + wp.cross(wp.spatial_top(c), point - ref)) * xi
            ang += wp.spatial_top(c) * xi
            i = dof_parentid[i]
    return wp.dot(a, lin) + wp.dot(w, ang)


@wp.func
def _point_bias_acc(
    worldid: int,
    body: int,
    point: wp.vec3,
    gravity: wp.vec3,
    # Model:
    body_rootid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    cvel_in: wp.array2d[wp.spatial_vector],
    cacc_in: wp.array2d[wp.spatial_vector],
):
    """Jdot_p qvel [m/s^2, world]: the acceleration of body's material point at point with qacc = 0 and no gravity
    (the rne's cacc without its base acceleration -g, at the point, plus omega x the point's velocity; MuJoCo's
    mj_jacDot times qvel)."""
    arm = point - xpos_in[worldid, body_rootid[body]]
    v = cvel_in[worldid, body]
    a = cacc_in[worldid, body]
    omega = wp.spatial_top(v)
    vel = wp.spatial_bottom(v) + wp.cross(omega, arm)
    return wp.spatial_bottom(a) + gravity + wp.cross(wp.spatial_top(a), arm) + wp.cross(omega, vel)


@wp.func
def _deriv_quat(q: wp.quat, omega: wp.vec3):
    # MuJoCo's mju_derivQuat: 0.5 (0, omega) q, omega in world axes
    return 0.5 * (wp.quat(omega[0], omega[1], omega[2], 0.0) * q)


@wp.func
def equality_row_bias(
    worldid: int,
    i: int,
    k: int,
    b1: int,
    p1: wp.vec3,
    b2: int,
    p2: wp.vec3,
    gravity: wp.vec3,
    # Model:
    eq_relquat: wp.array[wp.quat],
    eq_torquescale: wp.array[float],
    body_rootid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    xquat_in: wp.array2d[wp.quat],
    cvel_in: wp.array2d[wp.spatial_vector],
    cacc_in: wp.array2d[wp.spatial_vector],
) -> float:
    """Jdot qvel of row k of a connect or weld (MuJoCo's mj_Jdotv, which its aref subtracts): the translational rows'
    (Jdot_p1 - Jdot_p2) qvel, the rotational rows' time derivative of 0.5 ts vec(q2^-1 (J_r1 - J_r2) qvel q1 relpose)
    at fixed qvel; 0 for a joint coupling (b1 = -1)."""
    if b1 < 0:
        return 0.0
    if k < 3:
        d = _point_bias_acc(worldid, b1, p1, gravity, body_rootid, xpos_in, cvel_in, cacc_in) - _point_bias_acc(
            worldid, b2, p2, gravity, body_rootid, xpos_in, cvel_in, cacc_in
        )
        return d[k]
    q1 = xquat_in[worldid, b1]
    q2 = xquat_in[worldid, b2]
    q0r = q1 * eq_relquat[i]
    negq1 = _conj(q2)
    omega1 = wp.spatial_top(cvel_in[worldid, b1])
    omega2 = wp.spatial_top(cvel_in[worldid, b2])
    domega = omega1 - omega2
    # the rotational Jdot qvel of each body: its cacc's angular part (no base acceleration there)
    djrdv = wp.spatial_top(cacc_in[worldid, b1]) - wp.spatial_top(cacc_in[worldid, b2])
    qdot0r = _deriv_quat(q1, omega1) * eq_relquat[i]
    negqdot1 = _conj(_deriv_quat(q2, omega2))
    t1 = negqdot1 * wp.quat(domega[0], domega[1], domega[2], 0.0) * q0r
    t2 = negq1 * wp.quat(djrdv[0], djrdv[1], djrdv[2], 0.0) * q0r
    t3 = negq1 * wp.quat(domega[0], domega[1], domega[2], 0.0) * qdot0r
    return 0.5 * eq_torquescale[i] * (_vec(t1) + _vec(t2) + _vec(t3))[k - 3]


@wp.func
def equality_coefficients(
    i: int,
    k: int,
    r: float,
    norm: float,
    vel: float,
    bias: float,
    # Model:
    eq_type: wp.array[int],
    eq_solref: wp.array[wp.vec2],
    eq_solimp: wp.array[vec5],
    eq_invweight: wp.array[wp.vec2],
):
    """(D [kg or kg m^2], aref [m/s^2 or rad/s^2]) of row k of equality constraint i at residual r, residual norm,
    row velocity vel and Jdot qvel bias (MuJoCo's mj_makeImpedance: d at the norm, R = max(mjMINVAL, (1 - d)
    diagApprox / d); mj_referenceConstraint: aref = -b vel - k d r - Jdot qvel)."""
    imp = impedance(eq_solimp[i], norm)
    kk, b = reference_coefficients(eq_solref[i], eq_solimp[i][1])
    diag = eq_invweight[i][0]
    if eq_type[i] == EQ_WELD and k >= 3:
        diag = eq_invweight[i][1]
    dcoef = 1.0 / wp.max(1.0e-15, (1.0 - imp) * diag / imp)
    return dcoef, -b * vel - kk * imp * r - bias


@wp.func(inline=False)
def row_jacobian(
    worldid: int,
    b1: int,
    p1: wp.vec3,
    b2: int,
    p2: wp.vec3,
    a: wp.vec3,
    w: wp.vec3,
    d1: int,
    d2: int,
    deriv: float,
    # Model:
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    cdof_in: wp.array2d[wp.spatial_vector],
    # Data out:
    jac_out: wp.array2d[float],
):
    """The dense row J [1 x nv] of a two-body constraint row into jac: a^T (J_p(b1, p1) - J_p(b2, p2)) + w^T (J_r1 -
    J_r2) (an ``equality_row``, or a geom-geom contact row with p1 = p2), or for b1 = -1 e_d1 - deriv e_d2; the two
    chains may share dofs, where they cancel."""
    for j in range(jac_out.shape[1]):
        jac_out[worldid, j] = 0.0
    if b1 < 0:
        jac_out[worldid, d1] = 1.0
        if d2 >= 0:
            jac_out[worldid, d2] = jac_out[worldid, d2] - deriv
        return
    for side in range(2):
        body = b1
        point = p1
        sign = float(1.0)
        if side == 1:
            body = b2
            point = p2
            sign = -1.0
        ref = xpos_in[worldid, body_rootid[body]]
        wrench = wp.spatial_vector(wp.cross(point - ref, a) + w, a)
        i = body_lastdof[body]
        while i >= 0:
            jac_out[worldid, i] = jac_out[worldid, i] + sign * wp.dot(cdof_in[worldid, i], wrench)
            i = dof_parentid[i]


@wp.func
def add_dense_row(
    worldid: int,
    force: float,
    coef: float,
    # Data in:
    jac_in: wp.array2d[float],
    # Data out:
    qfrc_out: wp.array2d[float],
    qM_out: wp.array3d[float],
):
    """Add J^T force [N m or N] to qfrc and coef J^T J to the lower triangle of qM for the dense row J in jac."""
    for m in range(qfrc_out.shape[1]):
        jm = jac_in[worldid, m]
        if jm != 0.0:
            qfrc_out[worldid, m] = qfrc_out[worldid, m] + jm * force
            for n in range(m + 1):
                qM_out[worldid, m, n] = qM_out[worldid, m, n] + coef * jm * jac_in[worldid, n]


@wp.func
def equality_row_terms(
    worldid: int,
    i: int,
    k: int,
    # Model:
    eq_type: wp.array[int],
    eq_obj1: wp.array[int],
    eq_obj2: wp.array[int],
    eq_anchor1: wp.array[wp.vec3],
    eq_anchor2: wp.array[wp.vec3],
    eq_relquat: wp.array[wp.quat],
    eq_torquescale: wp.array[float],
    eq_poly: wp.array[vec5],
    eq_solref: wp.array[wp.vec2],
    eq_solimp: wp.array[vec5],
    eq_invweight: wp.array[wp.vec2],
    jnt_qposadr: wp.array[int],
    jnt_dofadr: wp.array[int],
    qpos0: wp.array[float],
    gravity: wp.vec3,
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    qpos_in: wp.array2d[float],
    qvel_in: wp.array2d[float],
    xpos_in: wp.array2d[wp.vec3],
    xquat_in: wp.array2d[wp.quat],
    cdof_in: wp.array2d[wp.spatial_vector],
    cvel_in: wp.array2d[wp.spatial_vector],
    cacc_in: wp.array2d[wp.spatial_vector],
):
    """Row k of equality constraint i with its force law: (``equality_row``'s b1, p1, b2, p2, a, w, d1, d2, deriv,
    then D and aref, ``equality_coefficients``)."""
    b1, p1, b2, p2, a, w, d1, d2, deriv, r, norm = equality_row(
        worldid, i, k, eq_type, eq_obj1, eq_obj2, eq_anchor1, eq_anchor2, eq_relquat, eq_torquescale, eq_poly,
        jnt_qposadr, jnt_dofadr, qpos0, qpos_in, xpos_in, xquat_in,
    )  # fmt: skip
    vel = equality_row_dot(
        worldid, b1, p1, b2, p2, a, w, d1, d2, deriv, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in,
        qvel_in,
    )  # fmt: skip
    bias = equality_row_bias(
        worldid, i, k, b1, p1, b2, p2, gravity, eq_relquat, eq_torquescale, body_rootid, xpos_in, xquat_in, cvel_in,
        cacc_in,
    )  # fmt: skip
    dcoef, aref = equality_coefficients(i, k, r, norm, vel, bias, eq_type, eq_solref, eq_solimp, eq_invweight)
    return b1, p1, b2, p2, a, w, d1, d2, deriv, dcoef, aref


@wp.func(inline=False)
def equality_rows(
    worldid: int,
    # Model:
    eq_type: wp.array[int],
    eq_obj1: wp.array[int],
    eq_obj2: wp.array[int],
    eq_anchor1: wp.array[wp.vec3],
    eq_anchor2: wp.array[wp.vec3],
    eq_relquat: wp.array[wp.quat],
    eq_torquescale: wp.array[float],
    eq_poly: wp.array[vec5],
    eq_solref: wp.array[wp.vec2],
    eq_solimp: wp.array[vec5],
    eq_invweight: wp.array[wp.vec2],
    jnt_qposadr: wp.array[int],
    jnt_dofadr: wp.array[int],
    qpos0: wp.array[float],
    gravity: wp.vec3,
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    qpos_in: wp.array2d[float],
    qvel_in: wp.array2d[float],
    xpos_in: wp.array2d[wp.vec3],
    xquat_in: wp.array2d[wp.quat],
    cdof_in: wp.array2d[wp.spatial_vector],
    cvel_in: wp.array2d[wp.spatial_vector],
    cacc_in: wp.array2d[wp.spatial_vector],
    # Data out:
    jac_out: wp.array2d[float],
    qfrc_out: wp.array2d[float],
    qM_out: wp.array3d[float],
):
    """Every equality row into qfrc [N m or N] and the lower triangle of qM: D aref J^T and D J^T J (always active,
    as MuJoCo's equality rows)."""
    for i in range(eq_type.shape[0]):
        for k in range(eq_nrows(eq_type[i])):
            b1, p1, b2, p2, a, w, d1, d2, deriv, dcoef, aref = equality_row_terms(
                worldid, i, k, eq_type, eq_obj1, eq_obj2, eq_anchor1, eq_anchor2, eq_relquat, eq_torquescale,
                eq_poly, eq_solref, eq_solimp, eq_invweight, jnt_qposadr, jnt_dofadr, qpos0, gravity, body_rootid,
                body_lastdof, dof_parentid, qpos_in, qvel_in, xpos_in, xquat_in, cdof_in, cvel_in, cacc_in,
            )  # fmt: skip
            row_jacobian(
                worldid, b1, p1, b2, p2, a, w, d1, d2, deriv, body_rootid, body_lastdof, dof_parentid, xpos_in,
                cdof_in, jac_out,
            )  # fmt: skip
            add_dense_row(worldid, dcoef * aref, dcoef, jac_out, qfrc_out, qM_out)


@wp.func(inline=False)
def equality_slope(
    worldid: int,
    alpha: float,
    # Model:
    eq_type: wp.array[int],
    eq_obj1: wp.array[int],
    eq_obj2: wp.array[int],
    eq_anchor1: wp.array[wp.vec3],
    eq_anchor2: wp.array[wp.vec3],
    eq_relquat: wp.array[wp.quat],
    eq_torquescale: wp.array[float],
    eq_poly: wp.array[vec5],
    eq_solref: wp.array[wp.vec2],
    eq_solimp: wp.array[vec5],
    eq_invweight: wp.array[wp.vec2],
    jnt_qposadr: wp.array[int],
    jnt_dofadr: wp.array[int],
    qpos0: wp.array[float],
    gravity: wp.vec3,
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    qpos_in: wp.array2d[float],
    qvel_in: wp.array2d[float],
    xpos_in: wp.array2d[wp.vec3],
    xquat_in: wp.array2d[wp.quat],
    cdof_in: wp.array2d[wp.spatial_vector],
    cvel_in: wp.array2d[wp.spatial_vector],
    cacc_in: wp.array2d[wp.spatial_vector],
    x0_in: wp.array2d[float],
    x1_in: wp.array2d[float],
) -> float:
    """-sum_i f_i(x) J_i d over the equality rows at x = x0 + alpha d, d = x1 - x0 (the line search's
    ``rows_slope`` part): each row's force D (aref - J x), of either sign."""
    slope = float(0.0)
    for i in range(eq_type.shape[0]):
        for k in range(eq_nrows(eq_type[i])):
            b1, p1, b2, p2, a, w, d1, d2, deriv, dcoef, aref = equality_row_terms(
                worldid, i, k, eq_type, eq_obj1, eq_obj2, eq_anchor1, eq_anchor2, eq_relquat, eq_torquescale,
                eq_poly, eq_solref, eq_solimp, eq_invweight, jnt_qposadr, jnt_dofadr, qpos0, gravity, body_rootid,
                body_lastdof, dof_parentid, qpos_in, qvel_in, xpos_in, xquat_in, cdof_in, cvel_in, cacc_in,
            )  # fmt: skip
            j0 = equality_row_dot(
                worldid, b1, p1, b2, p2, a, w, d1, d2, deriv, body_rootid, body_lastdof, dof_parentid, xpos_in,
                cdof_in, x0_in,
            )  # fmt: skip
            jd = equality_row_dot(
                worldid, b1, p1, b2, p2, a, w, d1, d2, deriv, body_rootid, body_lastdof, dof_parentid, xpos_in,
                cdof_in, x1_in,
            ) - j0  # fmt: skip
            slope -= dcoef * (aref - j0 - alpha * jd) * jd
    return slope
