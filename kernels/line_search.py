"""MuJoCo's exact line search of the constraint solve (one env per call, ``@wp.func``): from the third Newton step of a
substep, the step alpha in (0, 1] from the current qacc toward the Newton target at which the slope of the
constraint cost along the step vanishes, over every row family the solve has (joint limits, friction loss, ground
and geom-geom contacts with their torsional / rolling rows, equality constraints), by regula falsi on the
piecewise-linear slope (docs/physics.md).
"""

import functools

import warp as wp

from kernels.constraint import (
    _point_acc,
    body_angular_acc,
    friction_row,
    limit_sides,
    pair_spin_roll_row,
    point_acc,
    pyramid_row,
    spin_roll_row,
)
from kernels.contact import (
    component4,
    geom_npoints,
    pyramid_edge,
    reference_coefficients,
    spin_roll_count,
)
from kernels.elliptic import ground_cones_slope, pair_cones_slope
from kernels.equality import equality_slope
from kernels.types import JNT_FREE, vec5

wp.set_module_options({"enable_backward": False, "max_unroll": 1})


# Newton iterations of the constraint solve that take the full step before the line search joins (the solve settles
# in 1-2 steps in most substeps; later steps are the ones that can cycle between active sets)
LINE_SEARCH_START = wp.constant(2)
# regula-falsi iterations on the line's slope (piecewise linear: a few suffice)
LINE_SEARCH_ITERATIONS = wp.constant(16)


@wp.func
def illinois_step(alpha: float, f: float, lo: float, hi: float, flo: float, fhi: float, side: int):
    """One regula-falsi (Illinois) update of the line search's bracket [lo, hi] on the step length (1) from the
    slope f at alpha: (lo, hi, flo, fhi, side), the stale end's slope halved when the same end moves twice."""
    if f > 0.0:
        hi = alpha
        fhi = f
        if side == 1:
            flo = 0.5 * flo  # the stale end's slope halved, so the bracket shrinks from both sides
        side = 1
    else:
        lo = alpha
        flo = f
        if side == -1:
            fhi = 0.5 * fhi
        side = -1
    return lo, hi, flo, fhi, side


@functools.cache
def line_search_func(
    friction: bool, pairs: bool, spin_roll: bool, equality: bool = False, elliptic: bool = False
) -> wp.Function:
    """``line_search`` with the friction-loss rows, the geom-geom rows, the torsional / rolling rows and the equality
    rows compiled in or out (``wp.static``), as the solve that calls it; `elliptic`: the contacts' rows under MuJoCo's
    elliptic cone (kernels.elliptic) in place of the pyramid's."""

    def rows_slope(
        worldid: int,
        alpha: float,
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
        dof_frictionloss: wp.array[float],
        dof_solref: wp.array[wp.vec2],
        dof_solimp: wp.array[vec5],
        cgeom_type: wp.array[int],
        cgeom_bodyid: wp.array[int],
        cgeom_solref: wp.array[wp.vec2],
        cgeom_solimp: wp.array[vec5],
        cgeom_pointadr: wp.array[int],
        cpair_body1: wp.array[int],
        cpair_body2: wp.array[int],
        body_rootid: wp.array[int],
        body_lastdof: wp.array[int],
        dof_parentid: wp.array[int],
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
        qpos0: wp.array[float],
        gravity: wp.vec3,
        contact_impratio: float,
        # Data in:
        qpos_in: wp.array2d[float],
        qvel_in: wp.array2d[float],
        xpos_in: wp.array2d[wp.vec3],
        xquat_in: wp.array2d[wp.quat],
        cdof_in: wp.array2d[wp.spatial_vector],
        cvel_in: wp.array2d[wp.spatial_vector],
        cacc_in: wp.array2d[wp.spatial_vector],
        contact_jacp_in: wp.array3d[wp.vec3],
        contact_dcoef_in: wp.array2d[float],
        contact_fref_in: wp.array2d[float],
        contact_normal_in: wp.array2d[wp.vec3],
        contact_vel_in: wp.array2d[wp.vec3],
        contact_frame_in: wp.array2d[wp.vec3],
        contact_mu_in: wp.array2d[float],
        contact_mu_ang_in: wp.array2d[wp.vec2],
        contact_angvel_in: wp.array2d[wp.vec3],
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
        """-sum_i f_i(x) J_i d over every constraint row at x = x0 + alpha d, d = x1 - x0: the rows' part of the
        slope of MuJoCo's constraint cost along the line [N m or N times the step], each row's force f_i at x by its
        own law (a one-sided row max(0, D (aref - J x)), a friction-loss row clamped to +-frictionloss)."""
        slope = float(0.0)
        j = int(0)
        while j < jnt_type.shape[0]:
            if jnt_limited[j] != 0 and jnt_type[j] != JNT_FREE:
                dof = jnt_dofadr[j]
                q = x0_in[worldid, dof] + alpha * (x1_in[worldid, dof] - x0_in[worldid, dof])
                _ds, _fr, active = limit_sides(
                    worldid, j, 0, q, jnt_qposadr, jnt_dofadr, jnt_range, jnt_margin, jnt_solref, jnt_solimp,
                    dof_invweight, qpos_in, qvel_in,
                )  # fmt: skip
                dsum, frc, _m = limit_sides(
                    worldid, j, active, q, jnt_qposadr, jnt_dofadr, jnt_range, jnt_margin, jnt_solref, jnt_solimp,
                    dof_invweight, qpos_in, qvel_in,
                )  # fmt: skip
                # the sides' generalized force sum_s s D_s (aref_s - s q) = frc - dsum q
                slope -= (frc - dsum * q) * (x1_in[worldid, dof] - x0_in[worldid, dof])
            j += 1
        if wp.static(friction):
            d = int(0)
            while d < x0_in.shape[1]:
                if dof_frictionloss[d] > 0.0:
                    q = x0_in[worldid, d] + alpha * (x1_in[worldid, d] - x0_in[worldid, d])
                    fd, fa, _s = friction_row(
                        worldid, d, 0, q, False, dof_invweight, dof_frictionloss, dof_solref, dof_solimp, qvel_in
                    )  # fmt: skip
                    f = wp.clamp(fa - fd * q, -dof_frictionloss[d], dof_frictionloss[d])
                    slope -= f * (x1_in[worldid, d] - x0_in[worldid, d])
                d += 1
        if wp.static(elliptic):
            slope += ground_cones_slope(
                worldid, contact_impratio, alpha, cgeom_type, cgeom_bodyid, cgeom_solref, cgeom_solimp,
                cgeom_pointadr, body_lastdof, dof_parentid, cdof_in, contact_jacp_in, contact_dcoef_in,
                contact_fref_in, contact_normal_in, contact_vel_in, contact_frame_in, contact_mu_in, contact_mu_ang_in,
                contact_angvel_in, x0_in, x1_in,
            )  # fmt: skip
            if wp.static(pairs):
                slope += pair_cones_slope(
                    worldid, contact_impratio, alpha, cpair_body1, cpair_body2, body_rootid, body_lastdof,
                    dof_parentid, xpos_in, cdof_in, pair_dcoef_in, pair_aref_in, pair_point_in, pair_normal_in,
                    pair_frame_in, pair_mu_in, pair_mu_ang_in, pair_aref_rot_in, x0_in, x1_in,
                )  # fmt: skip
        else:
            g = int(0)
            while g < cgeom_type.shape[0]:
                body = cgeom_bodyid[g]
                npoints = geom_npoints(cgeom_type[g])
                idx = cgeom_pointadr[g]
                while idx < cgeom_pointadr[g] + npoints:
                    dcoef = contact_dcoef_in[worldid, idx]
                    if dcoef > 0.0:
                        _k, b = reference_coefficients(cgeom_solref[g], cgeom_solimp[g][1])
                        a0 = point_acc(worldid, body, idx, body_lastdof, dof_parentid, contact_jacp_in, x0_in)
                        ad = point_acc(worldid, body, idx, body_lastdof, dof_parentid, contact_jacp_in, x1_in) - a0
                        acc = a0 + alpha * ad
                        mu = contact_mu_in[worldid, idx]
                        rows = int(4)
                        if mu == 0.0:
                            rows = 1
                        e = int(0)
                        while e < rows:
                            u, aref = pyramid_row(
                                worldid, idx, e, b, mu, contact_fref_in, contact_normal_in, contact_vel_in,
                                contact_frame_in,
                            )  # fmt: skip
                            f = dcoef * (aref - wp.dot(u, acc))
                            if f > 0.0:
                                slope -= f * wp.dot(u, ad)
                            e += 1
                        if wp.static(spin_roll):
                            nang = int(0)
                            if rows == 4:
                                nang = spin_roll_count(contact_mu_ang_in[worldid, idx])
                            if nang > 0:
                                n = contact_normal_in[worldid, idx]
                                r0 = body_angular_acc(worldid, body, body_lastdof, dof_parentid, cdof_in, x0_in)
                                rd = body_angular_acc(worldid, body, body_lastdof, dof_parentid, cdof_in, x1_in) - r0
                                rot = r0 + alpha * rd
                                e = int(4)
                                while e < 4 + nang:
                                    _n, w, aref = spin_roll_row(
                                        worldid, idx, e, b, contact_fref_in, contact_normal_in, contact_vel_in,
                                        contact_frame_in, contact_mu_ang_in, contact_angvel_in,
                                    )  # fmt: skip
                                    f = dcoef * (aref - wp.dot(n, acc) - wp.dot(w, rot))
                                    if f > 0.0:
                                        slope -= f * (wp.dot(n, ad) + wp.dot(w, rd))
                                    e += 1
                    idx += 1
                g += 1
            if wp.static(pairs):
                p = int(0)
                while p < cpair_body1.shape[0]:
                    dcoef = pair_dcoef_in[worldid, p]
                    if dcoef > 0.0:
                        point = pair_point_in[worldid, p]
                        b1 = cpair_body1[p]
                        b2 = cpair_body2[p]
                        a0 = _point_acc(
                            worldid, b2, point, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in, x0_in
                        ) - _point_acc(
                            worldid, b1, point, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in, x0_in
                        )
                        a1 = _point_acc(
                            worldid, b2, point, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in, x1_in
                        ) - _point_acc(
                            worldid, b1, point, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in, x1_in
                        )
                        ad = a1 - a0
                        acc = a0 + alpha * ad
                        mu = pair_mu_in[worldid, p]
                        rows = int(4)
                        if mu == 0.0:
                            rows = 1
                        e = int(0)
                        while e < rows:
                            u = pyramid_edge(pair_normal_in[worldid, p], pair_frame_in[worldid, p], mu, e)
                            f = dcoef * (component4(pair_aref_in[worldid, p], e) - wp.dot(u, acc))
                            if f > 0.0:
                                slope -= f * wp.dot(u, ad)
                            e += 1
                        if wp.static(spin_roll):
                            nang = spin_roll_count(pair_mu_ang_in[worldid, p])
                            if nang > 0:
                                r0 = body_angular_acc(
                                    worldid, b2, body_lastdof, dof_parentid, cdof_in, x0_in
                                ) - body_angular_acc(worldid, b1, body_lastdof, dof_parentid, cdof_in, x0_in)
                                rd = (
                                    body_angular_acc(worldid, b2, body_lastdof, dof_parentid, cdof_in, x1_in)
                                    - body_angular_acc(worldid, b1, body_lastdof, dof_parentid, cdof_in, x1_in)
                                    - r0
                                )
                                rot = r0 + alpha * rd
                                e = int(4)
                                while e < 4 + nang:
                                    n, w, aref = pair_spin_roll_row(
                                        worldid, p, e, pair_aref_in, pair_normal_in, pair_frame_in, pair_mu_ang_in,
                                        pair_aref_rot_in,
                                    )  # fmt: skip
                                    f = dcoef * (aref - wp.dot(n, acc) - wp.dot(w, rot))
                                    if f > 0.0:
                                        slope -= f * (wp.dot(n, ad) + wp.dot(w, rd))
                                    e += 1
                    p += 1
        if wp.static(equality):
            slope += equality_slope(
                worldid, alpha, eq_type, eq_obj1, eq_obj2, eq_anchor1, eq_anchor2, eq_relquat, eq_torquescale,
                eq_poly, eq_solref, eq_solimp, eq_invweight, jnt_qposadr, jnt_dofadr, qpos0, gravity, body_rootid,
                body_lastdof, dof_parentid, qpos_in, qvel_in, xpos_in, xquat_in, cdof_in, cvel_in, cacc_in, x0_in,
                x1_in,
            )  # fmt: skip
        return slope

    suffix = ("_friction" if friction else "") + ("_pairs" if pairs else "") + ("_spin_roll" if spin_roll else "")
    suffix += ("_equality" if equality else "") + ("_elliptic" if elliptic else "")
    rows_slope.__qualname__ = "rows_slope" + suffix
    rows_slope = wp.func(rows_slope)

    def line_search(
        worldid: int,
        hd: float,
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
        dof_frictionloss: wp.array[float],
        dof_solref: wp.array[wp.vec2],
        dof_solimp: wp.array[vec5],
        cgeom_type: wp.array[int],
        cgeom_bodyid: wp.array[int],
        cgeom_solref: wp.array[wp.vec2],
        cgeom_solimp: wp.array[vec5],
        cgeom_pointadr: wp.array[int],
        cpair_body1: wp.array[int],
        cpair_body2: wp.array[int],
        body_rootid: wp.array[int],
        body_lastdof: wp.array[int],
        dof_parentid: wp.array[int],
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
        qpos0: wp.array[float],
        gravity: wp.vec3,
        contact_impratio: float,
        # Data in:
        qpos_in: wp.array2d[float],
        qvel_in: wp.array2d[float],
        xpos_in: wp.array2d[wp.vec3],
        xquat_in: wp.array2d[wp.quat],
        cdof_in: wp.array2d[wp.spatial_vector],
        cvel_in: wp.array2d[wp.spatial_vector],
        cacc_in: wp.array2d[wp.spatial_vector],
        qM_in: wp.array3d[float],
        implicit_b_in: wp.array2d[float],
        qfrc_smooth_in: wp.array2d[float],
        contact_jacp_in: wp.array3d[wp.vec3],
        contact_dcoef_in: wp.array2d[float],
        contact_fref_in: wp.array2d[float],
        contact_normal_in: wp.array2d[wp.vec3],
        contact_vel_in: wp.array2d[wp.vec3],
        contact_frame_in: wp.array2d[wp.vec3],
        contact_mu_in: wp.array2d[float],
        contact_mu_ang_in: wp.array2d[wp.vec2],
        contact_angvel_in: wp.array2d[wp.vec3],
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
        """MuJoCo's exact line search on its constraint cost: the step alpha in (0, 1] from x0 toward the Newton
        target x1 at which the cost's slope along d = x1 - x0 vanishes, 1 when the slope is still <= 0 there (the full
        step) or x0 -> x1 is not a descent direction.

        The cost 1/2 x^T (M + h B) x - qfrc_smooth^T x + the rows' terms is convex with a piecewise-linear slope in
        alpha, d^T (M + h B) (x0 + alpha d) - d^T qfrc_smooth - sum_i f_i J_i d (``rows_slope``); its root is found by
        regula falsi (Illinois) on [0, 1]. Without it a full step can cycle between active sets and end at
        solver_iterations away from MuJoCo's solution.
        """
        nv = x0_in.shape[1]
        # A = d^T (M + h B) d and B0 = d^T ((M + h B) x0 - qfrc_smooth), M's lower triangle read symmetrically
        quad = float(0.0)
        lin = float(0.0)
        i = int(0)
        while i < nv:
            di = x1_in[worldid, i] - x0_in[worldid, i]
            mdi = float(0.0)
            mxi = float(0.0)
            j = int(0)
            while j < nv:
                mij = float(0.0)
                if j <= i:
                    mij = qM_in[worldid, i, j]
                else:
                    mij = qM_in[worldid, j, i]
                if j == i:
                    mij = mij - hd * implicit_b_in[worldid, i]
                mdi += mij * (x1_in[worldid, j] - x0_in[worldid, j])
                mxi += mij * x0_in[worldid, j]
                j += 1
            quad += di * mdi
            lin += di * (mxi - qfrc_smooth_in[worldid, i])
            i += 1
        lo = float(0.0)
        flo = lin + rows_slope(
            worldid, 0.0, jnt_type, jnt_qposadr, jnt_dofadr, jnt_limited, jnt_range, jnt_margin, jnt_solref, jnt_solimp,
            dof_invweight, dof_frictionloss, dof_solref, dof_solimp, cgeom_type, cgeom_bodyid, cgeom_solref,
            cgeom_solimp, cgeom_pointadr, cpair_body1, cpair_body2, body_rootid, body_lastdof, dof_parentid, eq_type,
            eq_obj1, eq_obj2, eq_anchor1, eq_anchor2, eq_relquat, eq_torquescale, eq_poly, eq_solref, eq_solimp,
            eq_invweight, qpos0, gravity, contact_impratio, qpos_in, qvel_in, xpos_in, xquat_in, cdof_in, cvel_in,
            cacc_in, contact_jacp_in, contact_dcoef_in, contact_fref_in, contact_normal_in, contact_vel_in,
            contact_frame_in, contact_mu_in, contact_mu_ang_in, contact_angvel_in, pair_dcoef_in, pair_aref_in,
            pair_point_in, pair_normal_in, pair_frame_in, pair_mu_in, pair_mu_ang_in, pair_aref_rot_in, x0_in, x1_in,
        )  # fmt: skip
        hi = float(1.0)
        fhi = quad + lin + rows_slope(
            worldid, 1.0, jnt_type, jnt_qposadr, jnt_dofadr, jnt_limited, jnt_range, jnt_margin, jnt_solref, jnt_solimp,
            dof_invweight, dof_frictionloss, dof_solref, dof_solimp, cgeom_type, cgeom_bodyid, cgeom_solref,
            cgeom_solimp, cgeom_pointadr, cpair_body1, cpair_body2, body_rootid, body_lastdof, dof_parentid, eq_type,
            eq_obj1, eq_obj2, eq_anchor1, eq_anchor2, eq_relquat, eq_torquescale, eq_poly, eq_solref, eq_solimp,
            eq_invweight, qpos0, gravity, contact_impratio, qpos_in, qvel_in, xpos_in, xquat_in, cdof_in, cvel_in,
            cacc_in, contact_jacp_in, contact_dcoef_in, contact_fref_in, contact_normal_in, contact_vel_in,
            contact_frame_in, contact_mu_in, contact_mu_ang_in, contact_angvel_in, pair_dcoef_in, pair_aref_in,
            pair_point_in, pair_normal_in, pair_frame_in, pair_mu_in, pair_mu_ang_in, pair_aref_rot_in, x0_in, x1_in,
        )  # fmt: skip
        if flo >= 0.0 or fhi <= 0.0:
            return 1.0
        alpha = float(1.0)
        side = int(0)
        k = int(0)
        while k < LINE_SEARCH_ITERATIONS:
            alpha = (lo * fhi - hi * flo) / (fhi - flo)
            f = quad * alpha + lin + rows_slope(
                worldid, alpha, jnt_type, jnt_qposadr, jnt_dofadr, jnt_limited, jnt_range, jnt_margin, jnt_solref,
                jnt_solimp, dof_invweight, dof_frictionloss, dof_solref, dof_solimp, cgeom_type, cgeom_bodyid,
                cgeom_solref, cgeom_solimp, cgeom_pointadr, cpair_body1, cpair_body2, body_rootid, body_lastdof,
                dof_parentid, eq_type, eq_obj1, eq_obj2, eq_anchor1, eq_anchor2, eq_relquat, eq_torquescale, eq_poly,
                eq_solref, eq_solimp, eq_invweight, qpos0, gravity, contact_impratio, qpos_in, qvel_in, xpos_in,
                xquat_in, cdof_in, cvel_in, cacc_in, contact_jacp_in, contact_dcoef_in, contact_fref_in,
                contact_normal_in, contact_vel_in, contact_frame_in, contact_mu_in, contact_mu_ang_in,
                contact_angvel_in, pair_dcoef_in, pair_aref_in, pair_point_in, pair_normal_in, pair_frame_in,
                pair_mu_in, pair_mu_ang_in, pair_aref_rot_in, x0_in, x1_in,
            )  # fmt: skip
            lo, hi, flo, fhi, side = illinois_step(alpha, f, lo, hi, flo, fhi, side)
            if wp.abs(f) <= 1.0e-6 * (wp.abs(quad) + wp.abs(lin)) or hi - lo < 1.0e-6:
                k = LINE_SEARCH_ITERATIONS
            k += 1
        return alpha

    line_search.__qualname__ = "line_search" + suffix
    # out of line: the split solve kernel is capped at 128 registers
    return wp.func(inline=False)(line_search)
