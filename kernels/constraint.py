"""Constraint rows of one env per call (``@wp.func``): joint limits and friction loss, ground and geom-geom contacts
(their points, found once per substep, from ``kernels.collision``), and their active-set updates.

Each is MuJoCo's soft constraint f = D (aref - J qacc): it adds D aref J^T to qfrc and D J^T J to the lower
triangle of qM before the solve; the law and the pairwise distance functions are in ``kernels.contact``.
"""

import warp as wp

from kernels.contact import (
    component4,
    geom_npoints,
    impedance,
    pyramid_edge,
    reference_coefficients,
    spin_roll_count,
    spin_roll_edge,
)
from kernels.equality import add_dense_row, row_jacobian
from kernels.types import JNT_FREE, vec5

wp.set_module_options({"enable_backward": False, "max_unroll": 1})

# a symmetric 3x3 matrix as (xx, yy, zz, xy, xz, yz): 6 registers instead of a mat33's 9 where CUDA threads are short
# of them (the split solve kernel is capped at 128)
sym33 = wp.types.vector(length=6, dtype=float)


@wp.func
def sym33_outer(w: wp.vec3, u: wp.vec3):
    """The symmetric part of w u^T for parallel w and u (w = c u): (w_x u_x, w_y u_y, w_z u_z, w_x u_y, w_x u_z,
    w_y u_z)."""
    return sym33(w[0] * u[0], w[1] * u[1], w[2] * u[2], w[0] * u[1], w[0] * u[2], w[1] * u[2])


@wp.func
def sym33_mul(a: sym33, x: wp.vec3):
    """a x for a symmetric 3x3 matrix a stored as ``sym33``."""
    return wp.vec3(
        a[0] * x[0] + a[3] * x[1] + a[4] * x[2],
        a[3] * x[0] + a[1] * x[1] + a[5] * x[2],
        a[4] * x[0] + a[5] * x[1] + a[2] * x[2],
    )


@wp.func
def point_jacobian(
    worldid: int,
    body: int,
    point: wp.vec3,
    idx: int,
    # Model:
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    cdof_in: wp.array2d[wp.spatial_vector],
    # Data out:
    jacp_out: wp.array3d[wp.vec3],
):
    """J_p [m/s per unit dof velocity, world]: the 3 x nv translational Jacobian of a world point on body, column d
    into jacp_out[worldid, idx, d] for the dofs d of the body's chain (the only columns written or read).

    Column d is bottom(cdof_d) + top(cdof_d) x (point - root origin), the point's velocity for a unit qvel_d; a row
    along a unit world direction u is u^T J_p (force-motion duality: cdof_d . (u x r, u)).
    """
    r = point - xpos_in[worldid, body_rootid[body]]
    i = body_lastdof[body]
    while i >= 0:
        c = cdof_in[worldid, i]
        jacp_out[worldid, idx, i] = wp.spatial_bottom(c) + wp.cross(wp.spatial_top(c), r)
        i = dof_parentid[i]


@wp.func
def point_acc(
    worldid: int,
    body: int,
    idx: int,
    # Model:
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    jacp_in: wp.array3d[wp.vec3],
    x_in: wp.array2d[float],
):
    """J_p x: the linear velocity [m/s] (or acceleration [m/s^2]) [world] of point idx of ``point_jacobian`` on body
    for dof velocities (accelerations) x; one walk of the chain serves every direction (J_u x = u . J_p x)."""
    out = wp.vec3(0.0)
    i = body_lastdof[body]
    while i >= 0:
        out += jacp_in[worldid, idx, i] * x_in[worldid, i]
        i = dof_parentid[i]
    return out


@wp.func
def _point_acc(
    worldid: int,
    body: int,
    point: wp.vec3,
    # Model:
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    cdof_in: wp.array2d[wp.spatial_vector],
    x_in: wp.array2d[float],
):
    """J_p x: the linear velocity [m/s] (or acceleration) [world] of a world point on body for dof velocities
    (accelerations) x; one walk of the body's chain serves every direction (J_u x = u . J_p x). Without a stored
    J_p (``point_acc`` reads the one ``point_jacobian`` wrote); kept for rows whose points have none."""
    r = point - xpos_in[worldid, body_rootid[body]]
    out = wp.vec3(0.0)
    i = body_lastdof[body]
    while i >= 0:
        c = cdof_in[worldid, i]
        out += (wp.spatial_bottom(c) + wp.cross(wp.spatial_top(c), r)) * x_in[worldid, i]
        i = dof_parentid[i]
    return out


@wp.func
def point_rows(
    worldid: int,
    body: int,
    idx: int,
    a: sym33,
    g: wp.vec3,
    # Model:
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    jacp_in: wp.array3d[wp.vec3],
    # Data out:
    qfrc_out: wp.array2d[float],
    qH_out: wp.array3d[float],
):
    """Add J_p^T g [N m or N] to qfrc and J_p^T a J_p [kg m^2 ...] to the lower triangle of qH for point idx of
    ``point_jacobian`` on body.

    Rows f_e = D_e (aref_e - u_e^T J_p qacc) along unit world directions u_e of one point (its friction pyramid)
    give g = sum_e D_e aref_e u_e [N] and a = sum_e D_e u_e u_e^T [kg] (``sym33``): one pass over the chain's dof
    pairs for all of them instead of one per row. Only ancestor pairs (i, j <= i) are touched, so qH keeps the
    tree's sparsity.
    """
    i = body_lastdof[body]
    while i >= 0:
        ji = jacp_in[worldid, idx, i]
        qfrc_out[worldid, i] = qfrc_out[worldid, i] + wp.dot(ji, g)
        aji = sym33_mul(a, ji)
        j = i
        while j >= 0:
            qH_out[worldid, i, j] = qH_out[worldid, i, j] + wp.dot(aji, jacp_in[worldid, idx, j])
            j = dof_parentid[j]
        i = dof_parentid[i]


def variant_func(f, cylinders: bool, spin_roll: bool = False) -> wp.Function:
    """f as a Warp function named after its variant (each closure variant its own function in the module)."""
    f.__qualname__ = f.__name__ + ("_cylinders" if cylinders else "_no_cylinders") + ("_spin_roll" if spin_roll else "")
    return wp.func(f)


@wp.func
def pyramid_row(
    worldid: int,
    idx: int,
    e: int,
    b: float,
    mu: float,
    # Data in:
    contact_fref_in: wp.array2d[float],
    contact_normal_in: wp.array2d[wp.vec3],
    contact_vel_in: wp.array2d[wp.vec3],
    contact_frame_in: wp.array2d[wp.vec3],
):
    """Row e of contact point idx's friction pyramid: its unit direction u = n +- mu t [world] (``pyramid_edge``) and
    its reference acceleration aref = -b u.v - k d r [m/s^2] (b [1/s] from the geom's solref)."""
    u = pyramid_edge(contact_normal_in[worldid, idx], contact_frame_in[worldid, idx], mu, e)
    aref = -b * wp.dot(contact_vel_in[worldid, idx], u) - contact_fref_in[worldid, idx]
    return u, aref


@wp.func
def spin_roll_row(
    worldid: int,
    idx: int,
    e: int,
    b: float,
    # Data in:
    contact_fref_in: wp.array2d[float],
    contact_normal_in: wp.array2d[wp.vec3],
    contact_vel_in: wp.array2d[wp.vec3],
    contact_frame_in: wp.array2d[wp.vec3],
    contact_mu_ang_in: wp.array2d[wp.vec2],
    contact_angvel_in: wp.array2d[wp.vec3],
):
    """Torsional or rolling row e (4..9) of contact point idx (``pyramid_row``'s twin): its normal n [world], angular
    part w [m, world] (``spin_roll_edge``; J_e = n^T J_p + w^T J_r) and aref = -b (n . v + w . omega) - k d r
    [m/s^2]."""
    n = contact_normal_in[worldid, idx]
    w = spin_roll_edge(n, contact_frame_in[worldid, idx], contact_mu_ang_in[worldid, idx], e)
    vel = wp.dot(contact_vel_in[worldid, idx], n) + wp.dot(contact_angvel_in[worldid, idx], w)
    return n, w, -b * vel - contact_fref_in[worldid, idx]


@wp.func
def contact_point_update(
    worldid: int,
    idx: int,
    g: int,
    acc: wp.vec3,
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
    # Data out:
    contact_mask_out: wp.array2d[int],
    contact_force_out: wp.array2d[float],
    contact_frc_out: wp.array2d[wp.vec3],
) -> int:
    """``contact_update`` for contact point idx of geom g whose J_p qacc is acc [m/s^2, world]: its rows' forces
    f = D (aref - u.acc) [N], the new active set (rows with f > 0) into contact_mask, the normal force into
    contact_force and the force vector [N, world] into contact_frc; returns 1 if its active set changed, else 0."""
    dcoef = contact_dcoef_in[worldid, idx]
    mask = int(0)
    fn = float(0.0)
    frc = wp.vec3(0.0)
    if dcoef > 0.0:
        _k, b = reference_coefficients(cgeom_solref[g], cgeom_solimp[g][1])
        mu = contact_mu_in[worldid, idx]
        rows = int(4)
        if mu == 0.0:
            rows = 1
        e = int(0)
        while e < rows:
            u, aref = pyramid_row(
                worldid, idx, e, b, mu, contact_fref_in, contact_normal_in, contact_vel_in, contact_frame_in
            )  # fmt: skip
            f = dcoef * (aref - wp.dot(acc, u))
            if f > 0.0:
                mask = mask | (1 << e)
                fn += f
                frc += f * u
            e += 1
    changed = int(0)
    if mask != contact_mask_out[worldid, idx]:
        changed = 1
    contact_mask_out[worldid, idx] = mask
    contact_force_out[worldid, idx] = fn
    contact_frc_out[worldid, idx] = frc
    return changed


@wp.func
def angular_point_rows(
    worldid: int,
    body: int,
    idx: int,
    n: wp.vec3,
    c: wp.vec3,
    a: sym33,
    g: wp.vec3,
    # Model:
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    jacp_in: wp.array3d[wp.vec3],
    cdof_in: wp.array2d[wp.spatial_vector],
    # Data out:
    qfrc_out: wp.array2d[float],
    qH_out: wp.array3d[float],
):
    """The rotational part of point idx's torsional and rolling rows J_e = n^T J_p + w_e^T J_r (``spin_roll_edge``):
    J_r^T g [N m or N] into qfrc and J_p^T n c^T J_r + J_r^T c n^T J_p + J_r^T a J_r into the lower triangle of qH,
    with c = sum_e D_e w_e [kg m], a = sum_e D_e w_e w_e^T [kg m^2], g = sum_e D_e aref_e w_e [N m] over the active
    rows (their n^T J_p part goes through ``point_rows``). J_r's column d is the angular part of cdof_d [world]."""
    i = body_lastdof[body]
    while i >= 0:
        ri = wp.spatial_top(cdof_in[worldid, i])
        qfrc_out[worldid, i] = qfrc_out[worldid, i] + wp.dot(ri, g)
        pi = wp.dot(n, jacp_in[worldid, idx, i])
        ci = wp.dot(c, ri)
        ari = sym33_mul(a, ri)
        j = i
        while j >= 0:
            rj = wp.spatial_top(cdof_in[worldid, j])
            h = pi * wp.dot(c, rj) + ci * wp.dot(n, jacp_in[worldid, idx, j]) + wp.dot(ari, rj)
            qH_out[worldid, i, j] = qH_out[worldid, i, j] + h
            j = dof_parentid[j]
        i = dof_parentid[i]


@wp.func
def body_angular_acc(
    worldid: int,
    body: int,
    # Model:
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    cdof_in: wp.array2d[wp.spatial_vector],
    x_in: wp.array2d[float],
):
    """J_r x: the body's angular velocity [rad/s] (or acceleration [rad/s^2]) [world] for dof velocities
    (accelerations) x."""
    out = wp.vec3(0.0)
    i = body_lastdof[body]
    while i >= 0:
        out += wp.spatial_top(cdof_in[worldid, i]) * x_in[worldid, i]
        i = dof_parentid[i]
    return out


def _contact_row_funcs(spin_roll: bool):
    """The ground-contact rows of the solve (``contacts``) and their active-set update (``contact_update``), with the
    torsional and rolling rows (condim 4 / 6) compiled in or out (``wp.static``): a model without them keeps the
    solve's registers."""

    def contacts(
        worldid: int,
        # Model:
        cgeom_type: wp.array[int],
        cgeom_bodyid: wp.array[int],
        cgeom_solref: wp.array[wp.vec2],
        cgeom_solimp: wp.array[vec5],
        cgeom_pointadr: wp.array[int],
        body_lastdof: wp.array[int],
        dof_parentid: wp.array[int],
        # Data in:
        contact_jacp_in: wp.array3d[wp.vec3],
        contact_dcoef_in: wp.array2d[float],
        contact_fref_in: wp.array2d[float],
        contact_normal_in: wp.array2d[wp.vec3],
        contact_vel_in: wp.array2d[wp.vec3],
        contact_frame_in: wp.array2d[wp.vec3],
        contact_mu_in: wp.array2d[float],
        contact_mu_ang_in: wp.array2d[wp.vec2],
        contact_angvel_in: wp.array2d[wp.vec3],
        contact_mask_in: wp.array2d[int],
        cdof_in: wp.array2d[wp.spatial_vector],
        # Data out:
        qfrc_out: wp.array2d[float],
        qH_out: wp.array3d[float],
    ):
        """MuJoCo's soft geom-plane contact rows (``contact_collide``) into qfrc [N m, N] and qH: each row whose bit is
        set in contact_mask (the active set, ``contact_update``) adds D aref J^T to qfrc and D J^T J to qH, the rows
        of a point being MuJoCo's pyramidal friction cone (condim 3; with spin_roll 4 and 6 too) or its normal alone
        (condim 1)."""
        # while loops over geoms and points (as in contact_update): most points are outside the margin, so the loop
        # itself is most of the cost, and Warp's CPU code for range() loops tests the step's sign every iteration
        g = int(0)
        while g < cgeom_type.shape[0]:
            body = cgeom_bodyid[g]
            npoints = geom_npoints(cgeom_type[g])
            idx = cgeom_pointadr[g]
            while idx < cgeom_pointadr[g] + npoints:
                dcoef = contact_dcoef_in[worldid, idx]
                mask = contact_mask_in[worldid, idx]
                if dcoef > 0.0 and mask != 0:
                    _k, b = reference_coefficients(cgeom_solref[g], cgeom_solimp[g][1])
                    mu = contact_mu_in[worldid, idx]
                    rows = int(4)
                    if mu == 0.0:
                        rows = 1
                    # f_e = D (aref_e - u_e^T J_p qacc) is linear in qacc: (M + J_p^T a J_p) qacc = qfrc + J_p^T force
                    a = sym33(0.0)
                    force = wp.vec3(0.0)
                    e = int(0)
                    while e < rows:
                        if (mask >> e) & 1:
                            u, aref = pyramid_row(
                                worldid, idx, e, b, mu, contact_fref_in, contact_normal_in, contact_vel_in,
                                contact_frame_in,
                            )  # fmt: skip
                            force += (dcoef * aref) * u
                            a += sym33_outer(dcoef * u, u)
                        e += 1
                    if wp.static(spin_roll):
                        nang = int(0)
                        if rows == 4:
                            nang = spin_roll_count(contact_mu_ang_in[worldid, idx])
                        if nang > 0:
                            # J_e = n^T J_p + w^T J_r: n n^T joins a; the rest goes through angular_point_rows
                            n = contact_normal_in[worldid, idx]
                            c = wp.vec3(0.0)
                            ar = sym33(0.0)
                            gr = wp.vec3(0.0)
                            e = int(4)
                            while e < 4 + nang:
                                if (mask >> e) & 1:
                                    _n, w, aref = spin_roll_row(
                                        worldid, idx, e, b, contact_fref_in, contact_normal_in, contact_vel_in,
                                        contact_frame_in, contact_mu_ang_in, contact_angvel_in,
                                    )  # fmt: skip
                                    force += (dcoef * aref) * n
                                    a += sym33_outer(dcoef * n, n)
                                    c += dcoef * w
                                    ar += sym33_outer(dcoef * w, w)
                                    gr += (dcoef * aref) * w
                                e += 1
                            angular_point_rows(
                                worldid, body, idx, n, c, ar, gr, body_lastdof, dof_parentid, contact_jacp_in, cdof_in,
                                qfrc_out, qH_out,
                            )  # fmt: skip
                    point_rows(
                        worldid, body, idx, a, force, body_lastdof, dof_parentid, contact_jacp_in, qfrc_out, qH_out
                    )  # fmt: skip
                idx += 1
            g += 1

    def contact_update(
        worldid: int,
        # Model:
        cgeom_type: wp.array[int],
        cgeom_bodyid: wp.array[int],
        cgeom_solref: wp.array[wp.vec2],
        cgeom_solimp: wp.array[vec5],
        cgeom_pointadr: wp.array[int],
        body_lastdof: wp.array[int],
        dof_parentid: wp.array[int],
        # Data in:
        qacc_in: wp.array2d[float],
        contact_jacp_in: wp.array3d[wp.vec3],
        contact_dcoef_in: wp.array2d[float],
        contact_fref_in: wp.array2d[float],
        contact_normal_in: wp.array2d[wp.vec3],
        contact_vel_in: wp.array2d[wp.vec3],
        contact_frame_in: wp.array2d[wp.vec3],
        contact_mu_in: wp.array2d[float],
        contact_mu_ang_in: wp.array2d[wp.vec2],
        contact_angvel_in: wp.array2d[wp.vec3],
        cdof_in: wp.array2d[wp.spatial_vector],
        # Data out:
        contact_mask_out: wp.array2d[int],
        contact_force_out: wp.array2d[float],
        contact_frc_out: wp.array2d[wp.vec3],
        contact_trq_out: wp.array2d[wp.vec3],
    ):
        """The contact rows' forces f = D (aref - J qacc) [N] at qacc: the new active set (rows with f > 0, MuJoCo's
        primal Newton step) into contact_mask, each point's normal force (the sum of its rows' forces) into
        contact_force and its force vector [N, world] (sum of f u over its rows, MuJoCo's mj_contactForce) into
        contact_frc (``contact_point_update``); with spin_roll the torsional and rolling rows too: their force on the
        normal, their torque sum f_e w_e [N m, world] on the body (mj_contactForce's last three components) into
        contact_trq. Returns the number of points whose active set changed."""
        changed = int(0)
        g = int(0)
        while g < cgeom_type.shape[0]:
            body = cgeom_bodyid[g]
            npoints = geom_npoints(cgeom_type[g])
            idx = cgeom_pointadr[g]
            while idx < cgeom_pointadr[g] + npoints:
                acc = wp.vec3(0.0)
                dcoef = contact_dcoef_in[worldid, idx]
                if dcoef > 0.0:
                    acc = point_acc(worldid, body, idx, body_lastdof, dof_parentid, contact_jacp_in, qacc_in)
                old = contact_mask_out[worldid, idx]
                point_changed = contact_point_update(
                    worldid, idx, g, acc, cgeom_solref, cgeom_solimp, contact_dcoef_in, contact_fref_in,
                    contact_normal_in, contact_vel_in, contact_frame_in, contact_mu_in, contact_mask_out,
                    contact_force_out, contact_frc_out,
                )  # fmt: skip
                if wp.static(spin_roll):
                    nang = int(0)
                    if dcoef > 0.0 and contact_mu_in[worldid, idx] != 0.0:
                        nang = spin_roll_count(contact_mu_ang_in[worldid, idx])
                    trq = wp.vec3(0.0)
                    if nang > 0:
                        # the torsional and rolling rows (``contacts``): f_e = D (aref_e - n . acc - w_e . J_r qacc)
                        _k, b = reference_coefficients(cgeom_solref[g], cgeom_solimp[g][1])
                        n = contact_normal_in[worldid, idx]
                        an = wp.dot(acc, n)
                        alpha = body_angular_acc(worldid, body, body_lastdof, dof_parentid, cdof_in, qacc_in)
                        mask = contact_mask_out[worldid, idx]
                        fn = float(0.0)
                        e = int(4)
                        while e < 4 + nang:
                            _n, w, aref = spin_roll_row(
                                worldid, idx, e, b, contact_fref_in, contact_normal_in, contact_vel_in,
                                contact_frame_in, contact_mu_ang_in, contact_angvel_in,
                            )  # fmt: skip
                            f = dcoef * (aref - an - wp.dot(w, alpha))
                            if f > 0.0:
                                mask = mask | (1 << e)
                                fn += f
                                trq += f * w
                            e += 1
                        contact_mask_out[worldid, idx] = mask
                        contact_force_out[worldid, idx] = contact_force_out[worldid, idx] + fn
                        contact_frc_out[worldid, idx] = contact_frc_out[worldid, idx] + fn * n
                        point_changed = int(mask != old)
                    contact_trq_out[worldid, idx] = trq
                changed += point_changed
                idx += 1
            g += 1
        return changed

    return variant_func(contacts, False, spin_roll), variant_func(contact_update, False, spin_roll)


# condim 1 and 3 (every model without torsional or rolling friction), and with them
contacts, contact_update = _contact_row_funcs(False)
contacts_spin_roll, contact_update_spin_roll = _contact_row_funcs(True)


@wp.func(inline=False)
def _apply_pair_force(
    worldid: int,
    body1: int,
    body2: int,
    point: wp.vec3,
    direction: wp.vec3,
    angular: wp.vec3,
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
    qM_out: wp.array3d[float],
):
    """Add J^T force [N m or N] to qfrc and coef J J^T to the lower triangle of qM for the relative row J = J_2 - J_1
    (the velocity [m/s] of body 2's material point relative to body 1's along a unit world direction, plus body 2's
    angular velocity relative to body 1's along angular [m, world]: a torsional or rolling row); dense over the dofs,
    since the two chains may share dofs (one tree), where their parts cancel."""
    # J = J_2 - J_1 at the one point: row_jacobian's first body minus its second
    row_jacobian(
        worldid, body2, point, body1, point, direction, angular, -1, -1, 0.0, body_rootid, body_lastdof, dof_parentid,
        xpos_in, cdof_in, jac_out,
    )  # fmt: skip
    add_dense_row(worldid, force, coef, jac_out, qfrc_out, qM_out)


@wp.func
def pair_spin_roll_row(
    worldid: int,
    idx: int,
    e: int,
    # Data in:
    pair_aref_in: wp.array2d[wp.vec4],
    pair_normal_in: wp.array2d[wp.vec3],
    pair_frame_in: wp.array2d[wp.vec3],
    pair_mu_ang_in: wp.array2d[wp.vec2],
    pair_aref_rot_in: wp.array2d[wp.vec3],
):
    """Torsional or rolling row e (4..9) of geom-geom point idx (``spin_roll_row``'s twin): its normal n [world],
    angular part w [m, world] (``spin_roll_edge``; J_e = n^T (J_p2 - J_p1) + w^T (J_r2 - J_r1)) and aref = -b (n . v
    + w . omega) - k d r [m/s^2], v and omega geom 2's relative to geom 1's."""
    n = pair_normal_in[worldid, idx]
    w = spin_roll_edge(n, pair_frame_in[worldid, idx], pair_mu_ang_in[worldid, idx], e)
    aref = pair_aref_in[worldid, idx]
    # the sliding edges n +- mu t1 average to the normal's -b n . v - k d r
    return n, w, 0.5 * (aref[0] + aref[1]) + wp.dot(w, pair_aref_rot_in[worldid, idx])


def _pair_row_funcs(spin_roll: bool):
    """The geom-geom contact rows of the solve (``pair_rows``) and their active-set update (``pair_update``), with
    the torsional and rolling rows (condim 4 / 6) compiled in or out (``wp.static``), as ``_contact_row_funcs``."""

    def pair_rows(
        worldid: int,
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
        pair_mask_in: wp.array2d[int],
        # Data out:
        jac_out: wp.array2d[float],
        qfrc_out: wp.array2d[float],
        qM_out: wp.array3d[float],
    ):
        """The geom-geom contact rows (``pair_collide``) of the active set (pair_mask, ``pair_update``) into qfrc [N m,
        N] and qM, as ``contacts`` does for the ground rows: D aref J^T and D J^T J with J = J_2 - J_1, the pyramidal
        cone of the pair's mixed friction (condim 3; with spin_roll 4 and 6 too) or the normal alone (condim 1)."""
        for idx in range(cpair_body1.shape[0]):
            dcoef = pair_dcoef_in[worldid, idx]
            mask = pair_mask_in[worldid, idx]
            if dcoef > 0.0 and mask != 0:
                mu = pair_mu_in[worldid, idx]
                aref = pair_aref_in[worldid, idx]
                for e in range(4):
                    if (mask >> e) & 1:
                        u = pyramid_edge(pair_normal_in[worldid, idx], pair_frame_in[worldid, idx], mu, e)
                        _apply_pair_force(
                            worldid, cpair_body1[idx], cpair_body2[idx], pair_point_in[worldid, idx], u, wp.vec3(0.0),
                            dcoef * component4(aref, e), dcoef, body_rootid, body_lastdof, dof_parentid, xpos_in,
                            cdof_in, jac_out, qfrc_out, qM_out,
                        )  # fmt: skip
                if wp.static(spin_roll):
                    e = int(4)
                    while e < 4 + spin_roll_count(pair_mu_ang_in[worldid, idx]):
                        if (mask >> e) & 1:
                            n, w, aref_e = pair_spin_roll_row(
                                worldid, idx, e, pair_aref_in, pair_normal_in, pair_frame_in, pair_mu_ang_in,
                                pair_aref_rot_in,
                            )  # fmt: skip
                            _apply_pair_force(
                                worldid, cpair_body1[idx], cpair_body2[idx], pair_point_in[worldid, idx], n, w,
                                dcoef * aref_e, dcoef, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in,
                                jac_out, qfrc_out, qM_out,
                            )  # fmt: skip
                        e += 1

    def pair_update(
        worldid: int,
        # Model:
        cpair_body1: wp.array[int],
        cpair_body2: wp.array[int],
        body_rootid: wp.array[int],
        body_lastdof: wp.array[int],
        dof_parentid: wp.array[int],
        # Data in:
        xpos_in: wp.array2d[wp.vec3],
        cdof_in: wp.array2d[wp.spatial_vector],
        qacc_in: wp.array2d[float],
        pair_dcoef_in: wp.array2d[float],
        pair_aref_in: wp.array2d[wp.vec4],
        pair_point_in: wp.array2d[wp.vec3],
        pair_normal_in: wp.array2d[wp.vec3],
        pair_frame_in: wp.array2d[wp.vec3],
        pair_mu_in: wp.array2d[float],
        pair_mu_ang_in: wp.array2d[wp.vec2],
        pair_aref_rot_in: wp.array2d[wp.vec3],
        # Data out:
        pair_mask_out: wp.array2d[int],
        pair_force_out: wp.array2d[float],
        pair_frc_out: wp.array2d[wp.vec3],
        pair_trq_out: wp.array2d[wp.vec3],
    ):
        """The geom-geom rows' forces f = D (aref - J qacc) [N] at qacc, as ``contact_update``: the new active set
        into pair_mask, each point's normal force into pair_force and its force vector on geom 2 [N, world] (geom 1
        takes the opposite) into pair_frc; with spin_roll the torsional and rolling rows' force on the normal too and
        their torque on geom 2 [N m, world] into pair_trq. Returns the number of points whose active set changed."""
        changed = int(0)
        for idx in range(cpair_body1.shape[0]):
            dcoef = pair_dcoef_in[worldid, idx]
            if dcoef > 0.0:
                point = pair_point_in[worldid, idx]
                body1 = cpair_body1[idx]
                body2 = cpair_body2[idx]
                acc = _point_acc(
                    worldid, body2, point, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in, qacc_in
                ) - _point_acc(
                    worldid, body1, point, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in, qacc_in
                )  # fmt: skip
                mu = pair_mu_in[worldid, idx]
                aref = pair_aref_in[worldid, idx]
                rows = int(4)
                if mu == 0.0:
                    rows = 1
                mask = int(0)
                fn = float(0.0)
                frc = wp.vec3(0.0)
                for e in range(rows):
                    u = pyramid_edge(pair_normal_in[worldid, idx], pair_frame_in[worldid, idx], mu, e)
                    f = dcoef * (component4(aref, e) - wp.dot(acc, u))
                    if f > 0.0:
                        mask = mask | (1 << e)
                        fn += f
                        frc += f * u
                if wp.static(spin_roll):
                    nang = spin_roll_count(pair_mu_ang_in[worldid, idx])
                    trq = wp.vec3(0.0)
                    if nang > 0:
                        # f_e = D (aref_e - n . acc - w_e . (J_r2 - J_r1) qacc)
                        alpha = body_angular_acc(
                            worldid, body2, body_lastdof, dof_parentid, cdof_in, qacc_in
                        ) - body_angular_acc(worldid, body1, body_lastdof, dof_parentid, cdof_in, qacc_in)
                        e = int(4)
                        while e < 4 + nang:
                            n, w, aref_e = pair_spin_roll_row(
                                worldid, idx, e, pair_aref_in, pair_normal_in, pair_frame_in, pair_mu_ang_in,
                                pair_aref_rot_in,
                            )  # fmt: skip
                            f = dcoef * (aref_e - wp.dot(acc, n) - wp.dot(alpha, w))
                            if f > 0.0:
                                mask = mask | (1 << e)
                                fn += f
                                frc += f * n
                                trq += f * w
                            e += 1
                    pair_trq_out[worldid, idx] = trq
                if mask != pair_mask_out[worldid, idx]:
                    changed += 1
                pair_mask_out[worldid, idx] = mask
                pair_force_out[worldid, idx] = fn
                pair_frc_out[worldid, idx] = frc
            elif pair_mask_out[worldid, idx] != 0:
                # a point that left the margin; idle slots keep mask 0 and zero force, unwritten
                changed += 1
                pair_mask_out[worldid, idx] = 0
                pair_force_out[worldid, idx] = 0.0
                pair_frc_out[worldid, idx] = wp.vec3(0.0)
                if wp.static(spin_roll):
                    pair_trq_out[worldid, idx] = wp.vec3(0.0)
        return changed

    suffix = "_spin_roll" if spin_roll else ""
    pair_rows.__qualname__ = "pair_rows" + suffix
    pair_update.__qualname__ = "pair_update" + suffix
    return wp.func(inline=False)(pair_rows), wp.func(inline=False)(pair_update)


# condim 1 and 3 between geoms, and with condim 4 / 6
pair_rows, pair_update = _pair_row_funcs(False)
pair_rows_spin_roll, pair_update_spin_roll = _pair_row_funcs(True)


@wp.func
def limit_sides(
    worldid: int,
    j: int,
    mask: int,
    qacc_d: float,
    # Model:
    jnt_qposadr: wp.array[int],
    jnt_dofadr: wp.array[int],
    jnt_range: wp.array[wp.vec2],
    jnt_margin: wp.array[float],
    jnt_solref: wp.array[wp.vec2],
    jnt_solimp: wp.array[vec5],
    dof_invweight: wp.array[float],
    # Data in:
    qpos_in: wp.array2d[float],
    qvel_in: wp.array2d[float],
):
    """The soft limits of limited hinge or slide joint j (see ``joint_limits``): (sum of D [kg m^2 or kg] and of
    sign D aref [N m or N] over the sides whose bit is set in mask, the new active set at its dof's acceleration
    qacc_d [rad/s^2 or m/s^2]: the sides with f = D (aref - sign qacc_d) > 0)."""
    dsum = float(0.0)
    frc = float(0.0)
    new_mask = int(0)
    q = qpos_in[worldid, jnt_qposadr[j]]
    lim = jnt_range[j]
    margin = jnt_margin[j]
    # side 0: the lower limit (the force pushes q up, sign 1); side 1: the upper limit (sign -1)
    r_lower = (q - lim[0]) - margin
    r_upper = (lim[1] - q) - margin
    if r_lower < 0.0 or r_upper < 0.0:
        d = jnt_dofadr[j]
        solimp = jnt_solimp[j]
        k, b = reference_coefficients(jnt_solref[j], solimp[1])
        side = int(0)
        while side < 2:
            sign = float(1.0)
            r = r_lower
            if side == 1:
                sign = -1.0
                r = r_upper
            if r < 0.0:
                imp = impedance(solimp, r)
                aref = -b * sign * qvel_in[worldid, d] - k * imp * r
                if aref > sign * qacc_d:
                    new_mask = new_mask | (1 << side)
                if (mask >> side) & 1:
                    dcoef = imp / (1.0 - imp) / dof_invweight[d]
                    frc += sign * dcoef * aref
                    dsum += dcoef
            side += 1
    return dsum, frc, new_mask


@wp.func
def joint_limits(
    worldid: int,
    # Model:
    jnt_type: wp.array[int],
    jnt_qposadr: wp.array[int],
    jnt_dofadr: wp.array[int],
    jnt_limited: wp.array[int],
    jnt_range: wp.array[wp.vec2],
    jnt_margin: wp.array[float],
    jnt_solref: wp.array[wp.vec2],
    jnt_solimp: wp.array[vec5],
    dof_invweight: wp.array[float],
    # Data in:
    qpos_in: wp.array2d[float],
    qvel_in: wp.array2d[float],
    qacc_in: wp.array2d[float],
    update: int,
    # Data out:
    limit_mask_out: wp.array2d[int],
    qfrc_out: wp.array2d[float],
    qM_out: wp.array3d[float],
):
    """MuJoCo's soft joint limits [N m or N] of hinge and slide joints: the constraint f = D (aref - a) >= 0 of the
    contacts (kernels.contact) on the dof itself, D = d / (1 - d) / dof_invweight0, aref = -b v - k d r.

    update 0: each side whose bit is set in limit_mask (the active set) adds D aref to qfrc and D to the diagonal of
    qM. update 1: the new active set at qacc_in (sides with f > 0) into limit_mask; returns the number of joints
    whose active set changed.
    """
    # while loops and one test for both sides before the per-side work (in limit_sides): this runs 3 times per Newton
    # iteration over every joint, most of them inside their range (Warp's CPU range() loops cost more than these bodies)
    changed = int(0)
    j = int(0)
    while j < jnt_type.shape[0]:
        if jnt_limited[j] != 0 and jnt_type[j] != JNT_FREE:
            d = jnt_dofadr[j]
            mask = limit_mask_out[worldid, j]
            qacc_d = float(0.0)
            if update != 0:
                qacc_d = qacc_in[worldid, d]
            dsum, frc, new_mask = limit_sides(
                worldid, j, mask, qacc_d, jnt_qposadr, jnt_dofadr, jnt_range, jnt_margin, jnt_solref, jnt_solimp,
                dof_invweight, qpos_in, qvel_in,
            )  # fmt: skip
            if update != 0:
                if new_mask != mask:
                    changed += 1
                limit_mask_out[worldid, j] = new_mask
            elif dsum > 0.0:
                qfrc_out[worldid, d] = qfrc_out[worldid, d] + frc
                qM_out[worldid, d, d] = qM_out[worldid, d, d] + dsum
        j += 1
    return changed


@wp.func
def friction_row(
    worldid: int,
    d: int,
    state: int,
    qacc_d: float,
    step: bool,
    # Model:
    dof_invweight: wp.array[float],
    dof_frictionloss: wp.array[float],
    dof_solref: wp.array[wp.vec2],
    dof_solimp: wp.array[vec5],
    # Data in:
    qvel_in: wp.array2d[float],
):
    """MuJoCo's friction-loss row of dof d in state (0: quadratic, 1: saturated at +frictionloss, -1: at
    -frictionloss): (its D [kg m^2 or kg], 0 when saturated; its force [N m or N], D aref or +-frictionloss; its next
    state, from the force D (aref - qacc_d) at the dof's acceleration qacc_d [rad/s^2 or m/s^2]).

    aref = -b v has no position term and d is solimp's at zero violation (solreffriction, solimpfriction); the force
    is bounded by +-frictionloss, MuJoCo's Huber cost on the row. The next state is that force's (the warm start);
    with `step` (a Newton step) it moves one state toward it, from +f to -f through the quadratic state, where
    MuJoCo's line search would stop between them: a full step can cycle forever (two coupled dofs alternating +f and
    -f); 2,000 random states of a chain with three friction rows settle in <= 6 solves.
    """
    floss = dof_frictionloss[d]
    solimp = dof_solimp[d]
    _k, b = reference_coefficients(dof_solref[d], solimp[1])
    imp = impedance(solimp, 0.0)
    dcoef = imp / (1.0 - imp) / dof_invweight[d]
    aref = -b * qvel_in[worldid, d]
    trial = dcoef * (aref - qacc_d)
    target = int(0)
    if trial > floss:
        target = 1
    elif trial < -floss:
        target = -1
    if step and target != state:
        target = state + wp.where(target > state, 1, -1)
    if state != 0:
        return 0.0, float(state) * floss, target
    return dcoef, dcoef * aref, target


@wp.func
def friction_loss(
    worldid: int,
    # Model:
    dof_invweight: wp.array[float],
    dof_frictionloss: wp.array[float],
    dof_solref: wp.array[wp.vec2],
    dof_solimp: wp.array[vec5],
    # Data in:
    qvel_in: wp.array2d[float],
    qacc_in: wp.array2d[float],
    update: int,
    # Data out:
    friction_state_out: wp.array2d[int],
    qfrc_out: wp.array2d[float],
    qM_out: wp.array3d[float],
):
    """MuJoCo's dof friction loss [N m or N]: one row on each dof with frictionloss > 0 (``friction_row``).

    update 0: a row in its quadratic state adds D aref to qfrc and D to the diagonal of qM, a saturated one
    +-frictionloss to qfrc. update 1 (a Newton step) and 2 (the warm start): each row's next state at qacc_in
    (``friction_row``); returns the number of rows whose state changed.
    """
    changed = int(0)
    d = int(0)
    while d < dof_frictionloss.shape[0]:
        if dof_frictionloss[d] > 0.0:
            state = friction_state_out[worldid, d]
            qacc_d = float(0.0)
            if update != 0:
                qacc_d = qacc_in[worldid, d]
            dcoef, frc, new_state = friction_row(
                worldid, d, state, qacc_d, update == 1, dof_invweight, dof_frictionloss, dof_solref, dof_solimp,
                qvel_in,
            )  # fmt: skip
            if update == 0:
                qfrc_out[worldid, d] = qfrc_out[worldid, d] + frc
                qM_out[worldid, d, d] = qM_out[worldid, d, d] + dcoef
            else:
                if new_state != state:
                    changed += 1
                friction_state_out[worldid, d] = new_state
        d += 1
    return changed
