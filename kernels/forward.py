"""Forward dynamics and integration: the smooth force, the factor-solve, the Euler update, and the fused kernels.

One thread per env runs a whole ``step()``: ``substeps`` times, the smooth pass (``kernels.smooth``), the contact
points and the warm-started active set (``kernels.constraint``), the smooth force, up to ``solver_iterations``
dense Cholesky solves of (M + the active joint-limit and contact rows) qacc = qfrc (Newton steps on MuJoCo's
constraint cost, until the active set is unchanged), one of (M + h diag(damping)) qacc = qfrc_smooth +
qfrc_constraint (implicit joint damping, ``implicit_damping``) and MuJoCo's semi-implicit Euler update.
``_forward_kernel`` is the same composition with the step part compiled out (``wp.static`` flags of one factory),
and ``SPLIT_KERNELS`` cut one substep into stage launches for the GPU (fewer registers per thread; the solve as a head
and a tail kernel, ``_split_solve``; the CPU keeps the fused kernel, which is faster there).

Kernel arguments are bound by name: ``launch_inputs`` looks every argument of a kernel up among the fields
of ``kernels.types.Model`` and ``Data`` (``qpos_in`` / ``qpos_out`` -> ``qpos``), so no list repeats the order.
"""

import re

import warp as wp

from kernels.collision import contact_collide, contact_collide_no_cylinders, contact_collide_spin_roll, pair_collide
from kernels.constraint import (
    contact_update,
    contact_update_spin_roll,
    contacts,
    contacts_spin_roll,
    friction_loss,
    joint_limits,
    pair_rows,
    pair_rows_spin_roll,
    pair_update,
    pair_update_spin_roll,
)
from kernels.convex import pair_collide_convex
from kernels.elliptic import ground_cones, pair_cones
from kernels.equality import equality_rows
from kernels.line_search import LINE_SEARCH_START, line_search_func
from kernels.smooth import com_inertia, crb, fluid_forces, kinematics, motion_subspace, rne
from kernels.spatial import quat_from_wxyz, quat_integrate_local
from kernels.types import JNT_BALL, JNT_FREE, vec5

OPTIONS = {"enable_backward": False, "max_unroll": 1}
wp.set_module_options(OPTIONS)


@wp.func
def actuator_force(
    worldid: int,
    a: int,
    affine: int,
    # Model:
    actuator_dofadr: wp.array[int],
    actuator_qposadr: wp.array[int],
    actuator_gear: wp.array[float],
    actuator_ctrlrange: wp.array[wp.vec2],
    actuator_ctrllimited: wp.array[int],
    actuator_gain: wp.array[float],
    actuator_bias: wp.array[wp.vec3],
    actuator_forcerange: wp.array[wp.vec2],
    actuator_forcelimited: wp.array[int],
    actuator_gear_scale: wp.array2d[float],
    # Data in:
    qpos_in: wp.array2d[float],
    qvel_in: wp.array2d[float],
    ctrl_in: wp.array2d[float],
):
    """Generalized force [N m or N] of actuator a on its dof (MuJoCo's mj_fwdActuation, joint transmission), and its
    derivative along the dof's velocity [N m s/rad or N s/m] (MuJoCo's mjd_actuator_vel: b2 gear^2, 0 for a motor or
    a force its forcerange clamps).

    gear ctrl for a motor model (``affine`` 0); else gear clamp(gain ctrl + b0 + b1 gear q + b2 gear qdot): MuJoCo's
    fixed gain and affine bias on the actuator length gear q and velocity gear qdot (a position servo: kp ctrl - kp q
    - kv qdot), explicit as in MuJoCo's Euler (only implicitfast/implicit integrate -kv qdot implicitly). ctrl is
    clamped where ctrllimited; the per-env scale (motor strength) multiplies the force before its clamp.
    """
    c = ctrl_in[worldid, a]
    if actuator_ctrllimited[a] != 0:
        c = wp.clamp(c, actuator_ctrlrange[a][0], actuator_ctrlrange[a][1])
    scale = actuator_gear_scale[worldid % actuator_gear_scale.shape[0], a]
    if affine == 0:
        return actuator_gear[a] * scale * c, 0.0
    gear = actuator_gear[a]
    b = actuator_bias[a]
    force = (
        actuator_gain[a] * c
        + b[0]
        + b[1] * gear * qpos_in[worldid, actuator_qposadr[a]]
        + b[2] * gear * qvel_in[worldid, actuator_dofadr[a]]
    )
    force = force * scale
    dforce = b[2] * gear * scale
    if actuator_forcelimited[a] != 0:
        lo = actuator_forcerange[a][0]
        hi = actuator_forcerange[a][1]
        if force <= lo or force >= hi:
            dforce = 0.0  # clamped: flat in the velocity (MuJoCo skips it)
        force = wp.clamp(force, lo, hi)
    return gear * force, gear * dforce


@wp.func
def smooth_force(
    worldid: int,
    h: float,
    # Model:
    jnt_type: wp.array[int],
    jnt_qposadr: wp.array[int],
    jnt_dofadr: wp.array[int],
    jnt_stiffness: wp.array[float],
    qpos_spring: wp.array[float],
    dof_damping: wp.array[float],
    dof_damping_scale: wp.array2d[float],
    dof_actfrclimited: wp.array[int],
    dof_actfrcrange: wp.array[wp.vec2],
    dof_actgravcomp: wp.array[int],
    actuator_dofadr: wp.array[int],
    actuator_qposadr: wp.array[int],
    actuator_gear: wp.array[float],
    actuator_ctrlrange: wp.array[wp.vec2],
    actuator_ctrllimited: wp.array[int],
    actuator_gain: wp.array[float],
    actuator_bias: wp.array[wp.vec3],
    actuator_forcerange: wp.array[wp.vec2],
    actuator_forcelimited: wp.array[int],
    actuator_gear_scale: wp.array2d[float],
    actuator_affine: int,
    implicit_actuators: int,
    gravity: wp.vec3,
    body_gravcomp: wp.array[float],
    body_mass: wp.array[float],
    body_mass_scale: wp.array2d[float],
    body_ipos: wp.array[wp.vec3],
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    qpos_in: wp.array2d[float],
    qvel_in: wp.array2d[float],
    ctrl_in: wp.array2d[float],
    qfrc_bias_in: wp.array2d[float],
    xpos_in: wp.array2d[wp.vec3],
    xquat_in: wp.array2d[wp.quat],
    cdof_in: wp.array2d[wp.spatial_vector],
    # Data out:
    qfrc_out: wp.array2d[float],
    qM_out: wp.array3d[float],
    implicit_b_out: wp.array2d[float],
):
    """Add MuJoCo's qfrc_smooth [N m, N] = -bias - damping qvel - stiffness (q - q_spring) + actuator forces to qfrc.

    Actuator forces: ``actuator_force`` of each actuator; on a dof whose joint has an actuatorfrcrange their sum is
    clamped to it (MuJoCo's jnt_actfrcrange, applied to qfrc_actuator after the actuators' own clamps), with the
    dof's gravity compensation inside the sum where its joint has actuatorgravcomp (``dof_gravcomp``; elsewhere
    ``gravity_compensation`` adds it).

    Joint damping is implicit, as in MuJoCo's Euler integrator: h B goes on the diagonal of qM (``implicit_b``: B the
    damping), so (M + h B) qacc = qfrc_smooth + qfrc_constraint is stable for any damping; the constraint rows are
    solved with M alone (the solve takes h B off again), as MuJoCo's mj_Euler (``implicit_damping``). With
    ``implicit_actuators`` (MuJoCo's implicitfast) B also holds each servo's -d force / d qvel (-b2 gear^2, where its
    force is not clamped), as MuJoCo's mj_implicit with qDeriv's actuator part: a stiff kv then stays stable.
    """
    # while loops for Warp's CPU code, as in factor_solve
    nv = dof_damping.shape[0]
    d = int(0)
    while d < nv:
        damping = dof_damping[d] * dof_damping_scale[worldid % dof_damping_scale.shape[0], d]
        qfrc_out[worldid, d] = qfrc_out[worldid, d] - qfrc_bias_in[worldid, d] - damping * qvel_in[worldid, d]
        qM_out[worldid, d, d] = qM_out[worldid, d, d] + h * damping
        implicit_b_out[worldid, d] = damping
        d += 1

    # joint springs toward qpos_spring (free- and ball-joint springs are rejected on the host)
    njnt = jnt_type.shape[0]
    j = int(0)
    while j < njnt:
        if jnt_type[j] != JNT_FREE and jnt_type[j] != JNT_BALL:
            qadr = jnt_qposadr[j]
            dadr = jnt_dofadr[j]
            qfrc_out[worldid, dadr] = qfrc_out[worldid, dadr] - jnt_stiffness[j] * (
                qpos_in[worldid, qadr] - qpos_spring[qadr]
            )
        j += 1

    nu = actuator_dofadr.shape[0]
    a = int(0)
    while a < nu:
        dadr = actuator_dofadr[a]
        force, dfdv = actuator_force(
            worldid, a, actuator_affine, actuator_dofadr, actuator_qposadr, actuator_gear, actuator_ctrlrange,
            actuator_ctrllimited, actuator_gain, actuator_bias, actuator_forcerange, actuator_forcelimited,
            actuator_gear_scale, qpos_in, qvel_in, ctrl_in,
        )  # fmt: skip
        if dof_actfrclimited[dadr] == 0:
            qfrc_out[worldid, dadr] = qfrc_out[worldid, dadr] + force
            if implicit_actuators != 0:
                implicit_b_out[worldid, dadr] = implicit_b_out[worldid, dadr] - dfdv
                qM_out[worldid, dadr, dadr] = qM_out[worldid, dadr, dadr] - h * dfdv
        a += 1
    # a joint's actuatorfrcrange clamps the sum of its actuators' forces, so it is summed apart (MuJoCo clamps it
    # even on a joint no actuator drives: 0 clamped to the range)
    d = int(0)
    while d < nv:
        if dof_actfrclimited[d] != 0:
            f = float(0.0)
            dfdv_sum = float(0.0)
            a = int(0)
            while a < nu:
                if actuator_dofadr[a] == d:
                    fa, dfa = actuator_force(
                        worldid, a, actuator_affine, actuator_dofadr, actuator_qposadr, actuator_gear,
                        actuator_ctrlrange, actuator_ctrllimited, actuator_gain, actuator_bias, actuator_forcerange,
                        actuator_forcelimited, actuator_gear_scale, qpos_in, qvel_in, ctrl_in,
                    )  # fmt: skip
                    f += fa
                    dfdv_sum += dfa
                a += 1
            if dof_actgravcomp[d] == 1:
                f += dof_gravcomp(
                    worldid, d, gravity, body_gravcomp, body_mass, body_mass_scale, body_ipos, body_rootid,
                    body_lastdof, dof_parentid, xpos_in, xquat_in, cdof_in,
                )  # fmt: skip
            lo = dof_actfrcrange[d][0]
            hi = dof_actfrcrange[d][1]
            qfrc_out[worldid, d] = qfrc_out[worldid, d] + wp.clamp(f, lo, hi)
            # MuJoCo 4.0 leaves the actuators' velocity derivative out where the joint-level clamp holds the sum
            if implicit_actuators != 0 and f > lo and f < hi:
                implicit_b_out[worldid, d] = implicit_b_out[worldid, d] - dfdv_sum
                qM_out[worldid, d, d] = qM_out[worldid, d, d] - h * dfdv_sum
        d += 1


@wp.func
def body_gravcomp_wrench(
    worldid: int,
    b: int,
    gravity: wp.vec3,
    # Model:
    body_gravcomp: wp.array[float],
    body_mass: wp.array[float],
    body_mass_scale: wp.array2d[float],
    body_ipos: wp.array[wp.vec3],
    body_rootid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    xquat_in: wp.array2d[wp.quat],
):
    """The wrench (torque [N m], force [N]; world axes, about the body's tree reference point) that holds up the share
    body_gravcomp[b] of body b's weight at its center of mass (m the body's mass, randomized scale included)."""
    mass = body_mass[b] * body_mass_scale[worldid % body_mass_scale.shape[0], b]
    force = (-body_gravcomp[b] * mass) * gravity
    com = xpos_in[worldid, b] + wp.quat_rotate(xquat_in[worldid, b], body_ipos[b])
    return wp.spatial_vector(wp.cross(com - xpos_in[worldid, body_rootid[b]], force), force)


@wp.func
def dof_gravcomp(
    worldid: int,
    d: int,
    gravity: wp.vec3,
    # Model:
    body_gravcomp: wp.array[float],
    body_mass: wp.array[float],
    body_mass_scale: wp.array2d[float],
    body_ipos: wp.array[wp.vec3],
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    xquat_in: wp.array2d[wp.quat],
    cdof_in: wp.array2d[wp.spatial_vector],
) -> float:
    """MuJoCo's qfrc_gravcomp of dof d alone [N m or N]: the gravity-compensation wrenches of the bodies whose chain
    holds d, through cdof[d] (what ``gravity_compensation`` adds to d, in the same body order)."""
    g = float(0.0)
    b = int(1)
    while b < body_gravcomp.shape[0]:
        if body_gravcomp[b] != 0.0:
            # a chain's dofs decrease towards the root: walk it down to d
            i = body_lastdof[b]
            while i > d:
                i = dof_parentid[i]
            if i == d:
                wrench = body_gravcomp_wrench(
                    worldid, b, gravity, body_gravcomp, body_mass, body_mass_scale, body_ipos, body_rootid, xpos_in,
                    xquat_in,
                )  # fmt: skip
                g += wp.dot(cdof_in[worldid, d], wrench)
        b += 1
    return g


@wp.func
def gravity_compensation(
    worldid: int,
    gravity: wp.vec3,
    # Model:
    body_gravcomp: wp.array[float],
    body_mass: wp.array[float],
    body_mass_scale: wp.array2d[float],
    body_ipos: wp.array[wp.vec3],
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    dof_actgravcomp: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    xquat_in: wp.array2d[wp.quat],
    cdof_in: wp.array2d[wp.spatial_vector],
    # Data out:
    qfrc_out: wp.array2d[float],
):
    """Add MuJoCo's qfrc_gravcomp [N m, N] to qfrc: on each body with gravcomp g, the force -g m gravity [N, world] at
    its center of mass (mj_gravcomp: the share g of its weight held up; m the body's mass, randomized scale included),
    through the body chain's dofs; not on the dofs whose compensation goes inside an actuatorfrcrange clamp
    (``smooth_force`` adds it there) or nowhere (actuatorgravcomp without actuation)."""
    b = int(1)
    while b < body_gravcomp.shape[0]:
        if body_gravcomp[b] != 0.0:
            wrench = body_gravcomp_wrench(
                worldid, b, gravity, body_gravcomp, body_mass, body_mass_scale, body_ipos, body_rootid, xpos_in,
                xquat_in,
            )  # fmt: skip
            i = body_lastdof[b]
            while i >= 0:
                if dof_actgravcomp[i] == 0 or dof_actgravcomp[i] == 3:
                    qfrc_out[worldid, i] = qfrc_out[worldid, i] + wp.dot(cdof_in[worldid, i], wrench)
                i = dof_parentid[i]
        b += 1


@wp.func
def factor_solve(
    worldid: int,
    # Data out:
    qH_out: wp.array3d[float],
    qacc_out: wp.array2d[float],
):
    """Solve H qacc = qfrc in place for one env: H (nv, nv) SPD, lower triangle becomes L; qacc holds qfrc on entry.

    Dense Cholesky-Banachiewicz H = L L^T, then forward and backward substitution (RBDA ch. 6 solves the
    same system; the tree-sparse LTDL factorization (RBDA ch. 6, what MuJoCo uses) would not hold once a
    self-contact row couples two branches).
    """
    # while loops, not range(): Warp 1.19's CPU code for a range() loop tests the step's sign and keeps a range_t
    # per iteration; the same operations in the same order as while loops ran this solve 1.9x (nv 14) and 2.3x
    # (nv 23) faster on this CPU, with bit-identical results (1024 random SPD systems each)
    a = qH_out
    x = qacc_out
    n = x.shape[1]
    j = int(0)
    while j < n:
        s = a[worldid, j, j]
        k = int(0)
        while k < j:
            s -= a[worldid, j, k] * a[worldid, j, k]
            k += 1
        ljj = wp.sqrt(s)
        a[worldid, j, j] = ljj
        inv = 1.0 / ljj
        i = j + 1
        while i < n:
            t = a[worldid, i, j]
            k = int(0)
            while k < j:
                t -= a[worldid, i, k] * a[worldid, j, k]
                k += 1
            a[worldid, i, j] = t * inv
            i += 1
        j += 1
    i = int(0)
    while i < n:
        t = x[worldid, i]
        k = int(0)
        while k < i:
            t -= a[worldid, i, k] * x[worldid, k]
            k += 1
        x[worldid, i] = t / a[worldid, i, i]
        i += 1
    i = n - 1
    while i >= 0:
        t = x[worldid, i]
        k = i + 1
        while k < n:
            t -= a[worldid, k, i] * x[worldid, k]
            k += 1
        x[worldid, i] = t / a[worldid, i, i]
        i -= 1


@wp.func
def factor_solve_tree(
    worldid: int,
    # Model:
    dof_parentid: wp.array[int],
    # Data out:
    qH_out: wp.array3d[float],
    qacc_out: wp.array2d[float],
):
    """Solve H qacc = qfrc in place for one env whose H (nv, nv) is nonzero only at (dof, ancestor dof) pairs: the
    lower triangle becomes H = L^T D L (L unit lower triangular on those pairs, D on the diagonal); qacc holds qfrc
    on entry.

    MuJoCo's mj_factorI and mj_solveLD (engine_core_smooth.c): eliminating the dofs from the leaves up creates no
    entry outside the ancestor pattern, so only (dof, ancestor) pairs are visited: for an Ant (nv 14) about half the
    multiply-adds of the dense factorization, for ANYmal (nv 18) under 40%. The mass matrix, joint damping, joint
    limits and geom-ground contact rows keep that pattern; a row coupling two branches (a geom pair) does not, and
    needs ``factor_solve``.
    """
    a = qH_out
    x = qacc_out
    n = x.shape[1]
    k = n - 1
    while k >= 0:
        dk = a[worldid, k, k]
        i = dof_parentid[k]
        while i >= 0:
            t = a[worldid, k, i] / dk
            j = i
            while j >= 0:
                a[worldid, i, j] = a[worldid, i, j] - t * a[worldid, k, j]
                j = dof_parentid[j]
            a[worldid, k, i] = t
            i = dof_parentid[i]
        k -= 1
    # x <- L^-T x, D^-1 x, L^-1 x
    k = n - 1
    while k >= 0:
        xk = x[worldid, k]
        i = dof_parentid[k]
        while i >= 0:
            x[worldid, i] = x[worldid, i] - a[worldid, k, i] * xk
            i = dof_parentid[i]
        k -= 1
    k = int(0)
    while k < n:
        x[worldid, k] = x[worldid, k] / a[worldid, k, k]
        k += 1
    k = int(0)
    while k < n:
        t = x[worldid, k]
        i = dof_parentid[k]
        while i >= 0:
            t -= a[worldid, k, i] * x[worldid, i]
            i = dof_parentid[i]
        x[worldid, k] = t
        k += 1


@wp.func
def implicit_damping(
    worldid: int,
    h: float,
    # Model:
    dof_parentid: wp.array[int],
    tree: bool,
    # Data in:
    implicit_b_in: wp.array2d[float],
    qM_in: wp.array3d[float],
    # Data out:
    qacc_prev_out: wp.array2d[float],
    qH_out: wp.array3d[float],
    qacc_out: wp.array2d[float],
):
    """MuJoCo's mj_Euler with joint damping (and mj_implicit's implicitfast, B then holding the servos' velocity terms
    too): qacc [m/s^2, rad/s^2] <- (M + h B)^-1 (qfrc_smooth + qfrc_constraint).

    On entry qacc is the constraint solve's, M qacc = qfrc_smooth + qfrc_constraint with the rows solved against M
    alone; qM holds M + h B (``smooth_force``). As (M + h B)^-1 M = I - (M + h B)^-1 h B, the update is qacc -
    (M + h B)^-1 h B qacc: the solve's float32 error then scales with the small correction, not with qacc. Without
    damping, or with h = 0 (explicit damping), qacc is left as it is. The entry qacc is kept in qacc_prev (MuJoCo's
    qacc before mj_Euler's correction; ``constraint_force`` reads it), qfrc_smooth is left as it is, qH is overwritten
    by the factor of M + h B. `tree`: ``factor_solve_tree`` applies (no geom-pair rows in the model), else
    ``factor_solve``.
    """
    nv = qacc_out.shape[1]
    damped = bool(False)
    # while loops for Warp's CPU code, as in factor_solve
    i = int(0)
    while i < nv:
        qacc_prev_out[worldid, i] = qacc_out[worldid, i]
        if implicit_b_in[worldid, i] != 0.0:
            damped = True
        i += 1
    if h == 0.0 or not damped:
        return  # no damping, or explicit damping (<flag eulerdamp="disable">): -B qvel is in qfrc_smooth already
    i = int(0)
    while i < nv:
        qacc_out[worldid, i] = h * implicit_b_in[worldid, i] * qacc_out[worldid, i]
        j = int(0)
        while j <= i:
            qH_out[worldid, i, j] = qM_in[worldid, i, j]
            j += 1
        i += 1
    if tree:
        factor_solve_tree(worldid, dof_parentid, qH_out, qacc_out)
    else:
        factor_solve(worldid, qH_out, qacc_out)
    i = int(0)
    while i < nv:
        qacc_out[worldid, i] = qacc_prev_out[worldid, i] - qacc_out[worldid, i]
        i += 1


@wp.func
def euler(
    worldid: int,
    h: float,
    # Model:
    jnt_type: wp.array[int],
    jnt_qposadr: wp.array[int],
    jnt_dofadr: wp.array[int],
    # Data in:
    qpos_in: wp.array2d[float],
    qvel_in: wp.array2d[float],
    qacc_in: wp.array2d[float],
    # Data out:
    qpos_out: wp.array2d[float],
    qvel_out: wp.array2d[float],
):
    """Semi-implicit Euler over h [s]: qvel += h qacc, then qpos from the new qvel (MuJoCo's mj_integratePos).

    A free or ball joint's quaternion turns by the body-frame angular velocity; qpos/qvel may alias in/out.
    """
    # while loops for Warp's CPU code, as in factor_solve
    nv = qacc_in.shape[1]
    d = int(0)
    while d < nv:
        qvel_out[worldid, d] = qvel_in[worldid, d] + h * qacc_in[worldid, d]
        d += 1
    njnt = jnt_type.shape[0]
    j = int(0)
    while j < njnt:
        qadr = jnt_qposadr[j]
        dadr = jnt_dofadr[j]
        if jnt_type[j] == JNT_FREE:
            for k in range(3):
                qpos_out[worldid, qadr + k] = qpos_in[worldid, qadr + k] + h * qvel_out[worldid, dadr + k]
            q = quat_from_wxyz(
                qpos_in[worldid, qadr + 3],
                qpos_in[worldid, qadr + 4],
                qpos_in[worldid, qadr + 5],
                qpos_in[worldid, qadr + 6],
            )
            omega = wp.vec3(qvel_out[worldid, dadr + 3], qvel_out[worldid, dadr + 4], qvel_out[worldid, dadr + 5])
            q = quat_integrate_local(q, omega, h)
            qpos_out[worldid, qadr + 3] = q[3]
            qpos_out[worldid, qadr + 4] = q[0]
            qpos_out[worldid, qadr + 5] = q[1]
            qpos_out[worldid, qadr + 6] = q[2]
        elif jnt_type[j] == JNT_BALL:
            q = quat_from_wxyz(
                qpos_in[worldid, qadr],
                qpos_in[worldid, qadr + 1],
                qpos_in[worldid, qadr + 2],
                qpos_in[worldid, qadr + 3],
            )
            omega = wp.vec3(qvel_out[worldid, dadr], qvel_out[worldid, dadr + 1], qvel_out[worldid, dadr + 2])
            q = quat_integrate_local(q, omega, h)
            qpos_out[worldid, qadr] = q[3]
            qpos_out[worldid, qadr + 1] = q[0]
            qpos_out[worldid, qadr + 2] = q[1]
            qpos_out[worldid, qadr + 3] = q[2]
        else:
            qpos_out[worldid, qadr] = qpos_in[worldid, qadr] + h * qvel_out[worldid, dadr]
        j += 1


def _pipeline(
    name: str,
    stages: tuple,
    loop: bool,
    own_module: bool = False,
    cuda_max_registers: int | None = None,
    smem_spilling: bool = False,
    pairs: bool = True,
    friction: bool = False,
    cylinders: bool = True,
    fluids: bool = True,
    spin_roll: bool = False,
    equality: bool = False,
    convex: bool = False,
    elliptic: bool = False,
) -> wp.Kernel:
    """A kernel running the named stages of a substep in order (compiled out otherwise by `wp.static`): smooth
    (kinematics to the mass matrix), collide (the ground contact points, their rows' terms and Jacobians),
    pair_collide (the geom-geom contact points and their rows' terms), force (the smooth force), warm_start (the
    active set at the last substep's qacc) and solve (the active-set Newton solves of the joint-limit, ground and
    geom-geom contact rows, then Euler; split in solve_head and solve_tail by ``_split_solve``); `loop` repeats them
    `substeps` times in the kernel, else the launch does one substep.
    `own_module`: a Warp module of the kernel's own (compiled on first use apart from this one), with this
    module's options; then `cuda_max_registers` caps the registers per CUDA thread and `smem_spilling` lets ptxas
    spill to shared memory. `pairs` False compiles the geom-geom rows out of the solve (models without geom pairs),
    `friction` True compiles the dof friction-loss rows in (models with frictionloss; the kernels of the others keep
    their registers), `cylinders` False the cylinder's and ellipsoid's ground-contact points out (models without
    them touching the ground), `fluids` False the fluid forces out (models without them), `spin_roll` True the
    torsional and rolling friction rows of the ground and geom-geom contacts in (models with condim 4 or 6; with
    every geom type), `equality` True the equality-constraint rows in (kernels.equality; models with connect, weld
    or joint equalities), `convex` True the general convex collider's pairs in (kernels.convex; a cylinder against a
    capsule, cylinder or box, an ellipsoid against any geom), `elliptic` True MuJoCo's elliptic friction cone in place
    of the pyramid for every contact (kernels.elliptic; models with cone="elliptic", with spin_roll on)."""
    collide = contact_collide if cylinders else contact_collide_no_cylinders
    rows, update = contacts, contact_update
    pair_rows_, pair_update_ = pair_rows, pair_update
    if spin_roll:
        collide, rows, update = contact_collide_spin_roll, contacts_spin_roll, contact_update_spin_roll
        pair_rows_, pair_update_ = pair_rows_spin_roll, pair_update_spin_roll
    search = line_search_func(friction, pairs, spin_roll, equality, elliptic)

    def pipeline(
        # Model:
        body_parentid: wp.array[int],
        body_rootid: wp.array[int],
        body_jntnum: wp.array[int],
        body_jntadr: wp.array[int],
        body_dofnum: wp.array[int],
        body_dofadr: wp.array[int],
        body_lastdof: wp.array[int],
        body_pos: wp.array[wp.vec3],
        body_quat: wp.array[wp.quat],
        body_ipos: wp.array[wp.vec3],
        body_iquat: wp.array[wp.quat],
        body_fluid_box: wp.array[wp.vec3],
        body_mass: wp.array[float],
        body_gravcomp: wp.array[float],
        body_inertia: wp.array[wp.vec3],
        jnt_type: wp.array[int],
        jnt_bodyid: wp.array[int],
        jnt_qposadr: wp.array[int],
        jnt_dofadr: wp.array[int],
        jnt_pos: wp.array[wp.vec3],
        jnt_axis: wp.array[wp.vec3],
        jnt_stiffness: wp.array[float],
        jnt_limited: wp.array[int],
        jnt_range: wp.array[wp.vec2],
        jnt_margin: wp.array[float],
        jnt_solref: wp.array[wp.vec2],
        jnt_solimp: wp.array[vec5],
        qpos0: wp.array[float],
        qpos_spring: wp.array[float],
        dof_bodyid: wp.array[int],
        dof_parentid: wp.array[int],
        dof_armature: wp.array[float],
        dof_damping: wp.array[float],
        dof_invweight: wp.array[float],
        dof_frictionloss: wp.array[float],
        dof_solref: wp.array[wp.vec2],
        dof_solimp: wp.array[vec5],
        dof_actfrclimited: wp.array[int],
        dof_actfrcrange: wp.array[wp.vec2],
        dof_actgravcomp: wp.array[int],
        actuator_dofadr: wp.array[int],
        actuator_qposadr: wp.array[int],
        actuator_gear: wp.array[float],
        actuator_ctrlrange: wp.array[wp.vec2],
        actuator_ctrllimited: wp.array[int],
        actuator_gain: wp.array[float],
        actuator_bias: wp.array[wp.vec3],
        actuator_forcerange: wp.array[wp.vec2],
        actuator_forcelimited: wp.array[int],
        cgeom_type: wp.array[int],
        cgeom_bodyid: wp.array[int],
        cgeom_geomid: wp.array[int],
        cgeom_pos: wp.array[wp.vec3],
        cgeom_quat: wp.array[wp.quat],
        cgeom_size: wp.array[wp.vec3],
        cgeom_margin: wp.array[float],
        cgeom_friction: wp.array[float],
        cgeom_condim: wp.array[int],
        cgeom_friction_ang: wp.array[wp.vec2],
        cgeom_solref: wp.array[wp.vec2],
        cgeom_solimp: wp.array[vec5],
        cgeom_invweight: wp.array[float],
        cgeom_pointadr: wp.array[int],
        geom_type: wp.array[int],
        geom_bodyid: wp.array[int],
        geom_pos: wp.array[wp.vec3],
        geom_quat: wp.array[wp.quat],
        geom_size: wp.array[wp.vec3],
        cpair_geom1: wp.array[int],
        cpair_geom2: wp.array[int],
        cpair_margin: wp.array[float],
        cpair_solref: wp.array[wp.vec2],
        cpair_solimp: wp.array[vec5],
        cpair_invweight: wp.array[float],
        cpair_friction: wp.array[float],
        cpair_friction_ang: wp.array[wp.vec2],
        cpair_pointadr: wp.array[int],
        cpair_bound: wp.array[float],
        cpair_rbound: wp.array[float],
        cpair_body1: wp.array[int],
        cpair_body2: wp.array[int],
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
        body_mass_scale: wp.array2d[float],
        actuator_gear_scale: wp.array2d[float],
        dof_damping_scale: wp.array2d[float],
        geom_friction_scale: wp.array2d[float],
        actuator_affine: int,
        gravity: wp.vec3,
        timestep: float,
        substeps: int,
        eulerdamp: int,
        implicit_actuators: int,
        plane_normal: wp.vec3,
        plane_offset: float,
        hfield: wp.array2d[float],
        hfield_spacing: float,
        contact_impratio: float,
        fluid: int,
        fluid_density: float,
        fluid_viscosity: float,
        fluid_wind: wp.vec3,
        contact_pyramidal: int,
        solver_iterations: int,
        ccd_tolerance: float,
        ccd_iterations: int,
        ccd_multi: int,
        # Data in:
        qpos_in: wp.array2d[float],
        qvel_in: wp.array2d[float],
        ctrl_in: wp.array2d[float],
        # Data out:
        xpos_out: wp.array2d[wp.vec3],
        xquat_out: wp.array2d[wp.quat],
        xanchor_out: wp.array2d[wp.vec3],
        xaxis_out: wp.array2d[wp.vec3],
        cdof_out: wp.array2d[wp.spatial_vector],
        cmass_out: wp.array2d[float],
        cmc_out: wp.array2d[wp.vec3],
        crot_out: wp.array2d[wp.mat33],
        cvel_out: wp.array2d[wp.spatial_vector],
        cacc_out: wp.array2d[wp.spatial_vector],
        cfrc_out: wp.array2d[wp.spatial_vector],
        qfrc_bias_out: wp.array2d[float],
        qM_out: wp.array3d[float],
        qH_out: wp.array3d[float],
        qfrc_smooth_out: wp.array2d[float],
        implicit_b_out: wp.array2d[float],
        jac_out: wp.array2d[float],
        contact_jacp_out: wp.array3d[wp.vec3],
        contact_force_out: wp.array2d[float],
        contact_dcoef_out: wp.array2d[float],
        contact_fref_out: wp.array2d[float],
        contact_point_out: wp.array2d[wp.vec3],
        contact_normal_out: wp.array2d[wp.vec3],
        contact_vel_out: wp.array2d[wp.vec3],
        contact_frame_out: wp.array2d[wp.vec3],
        contact_mu_out: wp.array2d[float],
        contact_mu_ang_out: wp.array2d[wp.vec2],
        contact_angvel_out: wp.array2d[wp.vec3],
        contact_mask_out: wp.array2d[int],
        contact_frc_out: wp.array2d[wp.vec3],
        contact_trq_out: wp.array2d[wp.vec3],
        limit_mask_out: wp.array2d[int],
        friction_state_out: wp.array2d[int],
        pair_dcoef_out: wp.array2d[float],
        pair_aref_out: wp.array2d[wp.vec4],
        pair_point_out: wp.array2d[wp.vec3],
        pair_normal_out: wp.array2d[wp.vec3],
        pair_frame_out: wp.array2d[wp.vec3],
        pair_mu_out: wp.array2d[float],
        pair_mu_ang_out: wp.array2d[wp.vec2],
        pair_aref_rot_out: wp.array2d[wp.vec3],
        pair_mask_out: wp.array2d[int],
        pair_force_out: wp.array2d[float],
        pair_frc_out: wp.array2d[wp.vec3],
        pair_trq_out: wp.array2d[wp.vec3],
        epa_vert_out: wp.array3d[wp.vec3],
        epa_face_out: wp.array3d[int],
        epa_plane_out: wp.array2d[wp.vec4],
        epa_work_out: wp.array3d[int],
        qacc_out: wp.array2d[float],
        qacc_prev_out: wp.array2d[float],
        qpos_out: wp.array2d[float],
        qvel_out: wp.array2d[float],
        solve_queue_out: wp.array[int],
        solve_count_out: wp.array[int],
    ):
        worldid = wp.tid()
        h = timestep / float(substeps)
        # the step of the implicit joint damping: h, or 0 under <flag eulerdamp="disable"> (damping explicit)
        hd = h
        if eulerdamp == 0:
            hd = 0.0
        nstep = int(1)
        if wp.static(loop):
            nstep = substeps
            # Warp 1.19 compiles a CPU kernel a second time with constant strides for its 1D arrays (picked at
            # launch when they are contiguous) only if the kernel's own body has a constant-trip loop that
            # max_unroll leaves rolled; loops inside the stage functions do not count. This empty loop asks for
            # that version: 7-10% off an Ant or Humanoid step on this CPU (measured at 2048 envs, 5 substeps).
            for _contiguous_version in range(2):
                pass
        for _substep in range(nstep):
            if wp.static("smooth" in stages):
                kinematics(
                    worldid, body_parentid, body_jntnum, body_jntadr, body_pos, body_quat, jnt_type, jnt_qposadr,
                    jnt_pos, jnt_axis, qpos0, qpos_in, xpos_out, xquat_out, xanchor_out, xaxis_out,
                )  # fmt: skip
                com_inertia(
                    worldid, body_rootid, body_ipos, body_iquat, body_mass, body_inertia, body_mass_scale, xpos_out,
                    xquat_out, cmass_out, cmc_out, crot_out,
                )  # fmt: skip
                motion_subspace(
                    worldid, body_rootid, jnt_type, jnt_bodyid, jnt_dofadr, xpos_out, xquat_out, xanchor_out, xaxis_out,
                    cdof_out,
                )  # fmt: skip
                rne(
                    worldid, body_parentid, body_jntnum, body_jntadr, body_dofnum, body_dofadr, jnt_type, jnt_dofadr,
                    gravity, qvel_in, cdof_out, cmass_out, cmc_out, crot_out, cvel_out, cacc_out, cfrc_out,
                    qfrc_bias_out,
                )  # fmt: skip
                crb(
                    worldid, body_parentid, dof_bodyid, dof_parentid, dof_armature, cdof_out, cmass_out, cmc_out,
                    crot_out, qM_out,
                )  # fmt: skip
            if wp.static("collide" in stages):
                collide(
                    worldid, cgeom_type, cgeom_bodyid, cgeom_geomid, cgeom_pos, cgeom_quat, cgeom_size, cgeom_margin,
                    cgeom_friction, cgeom_condim, cgeom_friction_ang, cgeom_solref, cgeom_solimp, cgeom_invweight,
                    cgeom_pointadr, plane_normal, plane_offset, hfield, hfield_spacing, contact_impratio,
                    contact_pyramidal, body_rootid, body_lastdof, dof_parentid, geom_friction_scale, xpos_out,
                    xquat_out, cvel_out, cdof_out, contact_jacp_out, contact_dcoef_out, contact_fref_out,
                    contact_point_out, contact_normal_out, contact_vel_out, contact_frame_out, contact_mu_out,
                    contact_mu_ang_out, contact_angvel_out,
                )  # fmt: skip
            if wp.static("pair_collide" in stages):
                pair_collide(
                    worldid, cpair_geom1, cpair_geom2, cpair_margin, cpair_friction, cpair_friction_ang, cpair_solref,
                    cpair_solimp, cpair_invweight, cpair_pointadr, cpair_bound, geom_type, geom_bodyid, geom_pos,
                    geom_quat, geom_size, contact_impratio, contact_pyramidal, body_rootid, xpos_out, xquat_out,
                    cvel_out, pair_dcoef_out, pair_aref_out, pair_point_out, pair_normal_out, pair_frame_out,
                    pair_mu_out, pair_mu_ang_out, pair_aref_rot_out,
                )  # fmt: skip
                if wp.static(convex):
                    pair_collide_convex(
                        worldid, cpair_geom1, cpair_geom2, cpair_margin, cpair_friction, cpair_friction_ang,
                        cpair_solref, cpair_solimp, cpair_invweight, cpair_pointadr, cpair_bound, cpair_rbound,
                        geom_type, geom_bodyid, geom_pos, geom_quat, geom_size, contact_impratio, contact_pyramidal,
                        ccd_tolerance, ccd_iterations, ccd_multi, body_rootid, xpos_out, xquat_out, cvel_out,
                        pair_dcoef_out, pair_aref_out, pair_point_out, pair_normal_out, pair_frame_out, pair_mu_out,
                        pair_mu_ang_out, pair_aref_rot_out, epa_vert_out, epa_face_out, epa_plane_out, epa_work_out,
                    )  # fmt: skip
                # the pair rows' first active set at the last substep's qacc (their warm start), here rather than in
                # the warm_start stage: it keeps the split pipeline's solve kernel within its registers
                if wp.static(elliptic):
                    pair_cones(
                        worldid, 1, contact_impratio, cpair_body1, cpair_body2, body_rootid, body_lastdof,
                        dof_parentid, xpos_out, cdof_out, pair_dcoef_out, pair_aref_out, pair_point_out,
                        pair_normal_out, pair_frame_out, pair_mu_out, pair_mu_ang_out, pair_aref_rot_out, qacc_out,
                        pair_mask_out, pair_force_out, pair_frc_out, pair_trq_out, jac_out, qacc_out, qH_out,
                    )  # fmt: skip
                else:
                    pair_update_(
                        worldid, cpair_body1, cpair_body2, body_rootid, body_lastdof, dof_parentid, xpos_out, cdof_out,
                        qacc_out, pair_dcoef_out, pair_aref_out, pair_point_out, pair_normal_out, pair_frame_out,
                        pair_mu_out, pair_mu_ang_out, pair_aref_rot_out, pair_mask_out, pair_force_out, pair_frc_out,
                        pair_trq_out,
                    )  # fmt: skip
            if wp.static("force" in stages):
                d = int(0)
                while d < qfrc_smooth_out.shape[1]:
                    qfrc_smooth_out[worldid, d] = 0.0
                    d += 1
                smooth_force(
                    worldid, hd, jnt_type, jnt_qposadr, jnt_dofadr, jnt_stiffness, qpos_spring, dof_damping,
                    dof_damping_scale, dof_actfrclimited, dof_actfrcrange, dof_actgravcomp, actuator_dofadr,
                    actuator_qposadr, actuator_gear, actuator_ctrlrange, actuator_ctrllimited, actuator_gain,
                    actuator_bias, actuator_forcerange, actuator_forcelimited, actuator_gear_scale, actuator_affine,
                    implicit_actuators, gravity, body_gravcomp, body_mass, body_mass_scale, body_ipos, body_rootid,
                    body_lastdof, dof_parentid, qpos_in, qvel_in, ctrl_in, qfrc_bias_out, xpos_out, xquat_out,
                    cdof_out, qfrc_smooth_out, qM_out, implicit_b_out,
                )  # fmt: skip
                gravity_compensation(
                    worldid, gravity, body_gravcomp, body_mass, body_mass_scale, body_ipos, body_rootid, body_lastdof,
                    dof_parentid, dof_actgravcomp, xpos_out, xquat_out, cdof_out, qfrc_smooth_out,
                )  # fmt: skip
                if wp.static(fluids) and fluid != 0:
                    fluid_forces(
                        worldid, body_rootid, body_lastdof, body_ipos, body_iquat, body_fluid_box, dof_parentid,
                        fluid_density, fluid_viscosity, fluid_wind, xpos_out, xquat_out, cvel_out, cdof_out,
                        qfrc_smooth_out,
                    )  # fmt: skip
            if wp.static("warm_start" in stages):
                # MuJoCo's constraint solve as Newton's method on its convex cost: with the active set fixed, every
                # row's force D (aref - J qacc) is linear in qacc, so one Cholesky solve of (M + sum D J^T J) qacc =
                # qfrc_smooth + sum D aref J^T is a Newton step; the rows with positive force at its qacc are the
                # next active set. The first set is the one at the last substep's qacc (MuJoCo's warm start).
                joint_limits(
                    worldid, jnt_type, jnt_qposadr, jnt_dofadr, jnt_limited, jnt_range, jnt_margin, jnt_solref,
                    jnt_solimp, dof_invweight, qpos_in, qvel_in, qacc_out, 1, limit_mask_out, qacc_out, qH_out,
                )  # fmt: skip
                if wp.static(friction):
                    friction_loss(
                        worldid, dof_invweight, dof_frictionloss, dof_solref, dof_solimp, qvel_in, qacc_out, 2,
                        friction_state_out, qacc_out, qH_out,
                    )  # fmt: skip
                if wp.static(elliptic):
                    ground_cones(
                        worldid, 1, contact_impratio, cgeom_type, cgeom_bodyid, cgeom_solref, cgeom_solimp,
                        cgeom_pointadr, body_rootid, body_lastdof, dof_parentid, xpos_out, cdof_out, contact_jacp_out,
                        contact_dcoef_out, contact_fref_out, contact_point_out, contact_normal_out, contact_vel_out,
                        contact_frame_out, contact_mu_out, contact_mu_ang_out, contact_angvel_out, qacc_out,
                        contact_mask_out, contact_force_out, contact_frc_out, contact_trq_out, jac_out, qacc_out,
                        qH_out,
                    )  # fmt: skip
                else:
                    update(
                        worldid, cgeom_type, cgeom_bodyid, cgeom_solref, cgeom_solimp, cgeom_pointadr, body_lastdof,
                        dof_parentid, qacc_out, contact_jacp_out, contact_dcoef_out, contact_fref_out,
                        contact_normal_out, contact_vel_out, contact_frame_out, contact_mu_out, contact_mu_ang_out,
                        contact_angvel_out, cdof_out, contact_mask_out, contact_force_out, contact_frc_out,
                        contact_trq_out,
                    )  # fmt: skip
            if wp.static("solve" in stages or "solve_head" in stages or "solve_tail" in stages):
                nv = qacc_out.shape[1]
                iteration = int(0)
                # the Newton steps this launch takes: all, the full steps before the line search joins (head), or
                # the rest from there for the envs the head queued (tail)
                last = solver_iterations
                if wp.static("solve_head" in stages):
                    last = wp.min(solver_iterations, LINE_SEARCH_START)
                if wp.static("solve_tail" in stages):
                    iteration = LINE_SEARCH_START
                    if worldid < solve_count_out[0]:
                        worldid = solve_queue_out[worldid]
                    else:
                        last = 0  # no env left for this thread: no step, no update
                while iteration < last:
                    searching = iteration >= LINE_SEARCH_START
                    if wp.static("solve_head" in stages):
                        # the head's full steps keep no iterate for a line search (the copy alone cost it 20/24 B of
                        # local-memory spills on sm_90)
                        searching = False
                    # while loops for Warp's CPU code, as in factor_solve
                    i = int(0)
                    while i < nv:
                        # the elliptic cone's rows read the iterate (kernels.elliptic.cone_rows)
                        if searching or wp.static(elliptic):
                            qacc_prev_out[worldid, i] = qacc_out[worldid, i]
                        qacc_out[worldid, i] = qfrc_smooth_out[worldid, i]
                        j = int(0)
                        while j <= i:
                            qH_out[worldid, i, j] = qM_out[worldid, i, j]
                            j += 1
                        # the rows are solved with M alone, as MuJoCo's: h damping enters after (implicit_damping)
                        qH_out[worldid, i, i] = qH_out[worldid, i, i] - hd * implicit_b_out[worldid, i]
                        i += 1
                    joint_limits(
                        worldid, jnt_type, jnt_qposadr, jnt_dofadr, jnt_limited, jnt_range, jnt_margin, jnt_solref,
                        jnt_solimp, dof_invweight, qpos_in, qvel_in, qacc_out, 0, limit_mask_out, qacc_out, qH_out,
                    )  # fmt: skip
                    if wp.static(friction):
                        friction_loss(
                            worldid, dof_invweight, dof_frictionloss, dof_solref, dof_solimp, qvel_in, qacc_out, 0,
                            friction_state_out, qacc_out, qH_out,
                        )  # fmt: skip
                    if wp.static(elliptic):
                        ground_cones(
                            worldid, 0, contact_impratio, cgeom_type, cgeom_bodyid, cgeom_solref, cgeom_solimp,
                            cgeom_pointadr, body_rootid, body_lastdof, dof_parentid, xpos_out, cdof_out,
                            contact_jacp_out, contact_dcoef_out, contact_fref_out, contact_point_out,
                            contact_normal_out, contact_vel_out, contact_frame_out, contact_mu_out, contact_mu_ang_out,
                            contact_angvel_out, qacc_prev_out, contact_mask_out, contact_force_out, contact_frc_out,
                            contact_trq_out, jac_out, qacc_out, qH_out,
                        )  # fmt: skip
                        if wp.static(pairs):
                            pair_cones(
                                worldid, 0, contact_impratio, cpair_body1, cpair_body2, body_rootid, body_lastdof,
                                dof_parentid, xpos_out, cdof_out, pair_dcoef_out, pair_aref_out, pair_point_out,
                                pair_normal_out, pair_frame_out, pair_mu_out, pair_mu_ang_out, pair_aref_rot_out,
                                qacc_prev_out, pair_mask_out, pair_force_out, pair_frc_out, pair_trq_out, jac_out,
                                qacc_out, qH_out,
                            )  # fmt: skip
                    else:
                        rows(
                            worldid, cgeom_type, cgeom_bodyid, cgeom_solref, cgeom_solimp, cgeom_pointadr, body_lastdof,
                            dof_parentid, contact_jacp_out, contact_dcoef_out, contact_fref_out, contact_normal_out,
                            contact_vel_out, contact_frame_out, contact_mu_out, contact_mu_ang_out, contact_angvel_out,
                            contact_mask_out, cdof_out, qacc_out, qH_out,
                        )  # fmt: skip
                        if wp.static(pairs):
                            pair_rows_(
                                worldid, cpair_body1, cpair_body2, body_rootid, body_lastdof, dof_parentid, xpos_out,
                                cdof_out, pair_dcoef_out, pair_aref_out, pair_point_out, pair_normal_out,
                                pair_frame_out, pair_mu_out, pair_mu_ang_out, pair_aref_rot_out, pair_mask_out, jac_out,
                                qacc_out, qH_out,
                            )  # fmt: skip
                    if wp.static(equality):
                        equality_rows(
                            worldid, eq_type, eq_obj1, eq_obj2, eq_anchor1, eq_anchor2, eq_relquat, eq_torquescale,
                            eq_poly, eq_solref, eq_solimp, eq_invweight, jnt_qposadr, jnt_dofadr, qpos0, gravity,
                            body_rootid, body_lastdof, dof_parentid, qpos_in, qvel_in, xpos_out, xquat_out, cdof_out,
                            cvel_out, cacc_out, jac_out, qacc_out, qH_out,
                        )  # fmt: skip
                    # the geom-geom and equality rows couple dofs of different branches: the dense factorization
                    if cpair_geom1.shape[0] == 0 and eq_type.shape[0] == 0:
                        factor_solve_tree(worldid, dof_parentid, qH_out, qacc_out)
                    else:
                        factor_solve(worldid, qH_out, qacc_out)
                    alpha = float(1.0)
                    # the head's full steps leave the line search out of its code (fewer registers, no spills)
                    if wp.static("solve_head" not in stages):
                        if searching:
                            # past the first full steps: MuJoCo's exact line search toward the Newton target, so the
                            # iterates cannot cycle between active sets (kernels.line_search.line_search_func)
                            alpha = search(
                                worldid, hd, jnt_type, jnt_qposadr, jnt_dofadr, jnt_limited, jnt_range, jnt_margin,
                                jnt_solref, jnt_solimp, dof_invweight, dof_frictionloss, dof_solref, dof_solimp,
                                cgeom_type, cgeom_bodyid, cgeom_solref, cgeom_solimp, cgeom_pointadr, cpair_body1,
                                cpair_body2, body_rootid, body_lastdof, dof_parentid, eq_type, eq_obj1, eq_obj2,
                                eq_anchor1, eq_anchor2, eq_relquat, eq_torquescale, eq_poly, eq_solref, eq_solimp,
                                eq_invweight, qpos0, gravity, contact_impratio, qpos_in, qvel_in, xpos_out, xquat_out,
                                cdof_out, cvel_out, cacc_out, qM_out, implicit_b_out, qfrc_smooth_out, contact_jacp_out,
                                contact_dcoef_out, contact_fref_out, contact_normal_out, contact_vel_out,
                                contact_frame_out, contact_mu_out, contact_mu_ang_out, contact_angvel_out,
                                pair_dcoef_out, pair_aref_out, pair_point_out, pair_normal_out, pair_frame_out,
                                pair_mu_out, pair_mu_ang_out, pair_aref_rot_out, qacc_prev_out, qacc_out,
                            )  # fmt: skip
                            if alpha < 1.0:
                                i = int(0)
                                while i < nv:
                                    x0 = qacc_prev_out[worldid, i]
                                    qacc_out[worldid, i] = x0 + alpha * (qacc_out[worldid, i] - x0)
                                    i += 1
                    changed = joint_limits(
                        worldid, jnt_type, jnt_qposadr, jnt_dofadr, jnt_limited, jnt_range, jnt_margin, jnt_solref,
                        jnt_solimp, dof_invweight, qpos_in, qvel_in, qacc_out, 1, limit_mask_out, qacc_out, qH_out,
                    )  # fmt: skip
                    if wp.static(friction):
                        changed += friction_loss(
                            worldid, dof_invweight, dof_frictionloss, dof_solref, dof_solimp, qvel_in, qacc_out, 1,
                            friction_state_out, qacc_out, qH_out,
                        )  # fmt: skip
                    if wp.static(elliptic):
                        changed += ground_cones(
                            worldid, 1, contact_impratio, cgeom_type, cgeom_bodyid, cgeom_solref, cgeom_solimp,
                            cgeom_pointadr, body_rootid, body_lastdof, dof_parentid, xpos_out, cdof_out,
                            contact_jacp_out, contact_dcoef_out, contact_fref_out, contact_point_out,
                            contact_normal_out, contact_vel_out, contact_frame_out, contact_mu_out, contact_mu_ang_out,
                            contact_angvel_out, qacc_out, contact_mask_out, contact_force_out, contact_frc_out,
                            contact_trq_out, jac_out, qacc_out, qH_out,
                        )  # fmt: skip
                        if wp.static(pairs):
                            changed += pair_cones(
                                worldid, 1, contact_impratio, cpair_body1, cpair_body2, body_rootid, body_lastdof,
                                dof_parentid, xpos_out, cdof_out, pair_dcoef_out, pair_aref_out, pair_point_out,
                                pair_normal_out, pair_frame_out, pair_mu_out, pair_mu_ang_out, pair_aref_rot_out,
                                qacc_out, pair_mask_out, pair_force_out, pair_frc_out, pair_trq_out, jac_out, qacc_out,
                                qH_out,
                            )  # fmt: skip
                    else:
                        changed += update(
                            worldid, cgeom_type, cgeom_bodyid, cgeom_solref, cgeom_solimp, cgeom_pointadr, body_lastdof,
                            dof_parentid, qacc_out, contact_jacp_out, contact_dcoef_out, contact_fref_out,
                            contact_normal_out, contact_vel_out, contact_frame_out, contact_mu_out, contact_mu_ang_out,
                            contact_angvel_out, cdof_out, contact_mask_out, contact_force_out, contact_frc_out,
                            contact_trq_out,
                        )  # fmt: skip
                        if wp.static(pairs):
                            changed += pair_update_(
                                worldid, cpair_body1, cpair_body2, body_rootid, body_lastdof, dof_parentid, xpos_out,
                                cdof_out, qacc_out, pair_dcoef_out, pair_aref_out, pair_point_out, pair_normal_out,
                                pair_frame_out, pair_mu_out, pair_mu_ang_out, pair_aref_rot_out, pair_mask_out,
                                pair_force_out, pair_frc_out, pair_trq_out,
                            )  # fmt: skip
                    if alpha < 1.0:
                        changed += 1  # short of the Newton target: not settled yet
                    iteration += 1
                    if changed == 0:
                        iteration = solver_iterations
                finish = True
                if wp.static("solve_head" in stages):
                    # not settled after the full steps: the tail kernel takes this env on from here, so that the
                    # line search's code and its warps run only for the envs that need it
                    if iteration < solver_iterations:
                        finish = False
                        solve_queue_out[wp.atomic_add(solve_count_out, 0, 1)] = worldid
                if wp.static("solve_tail" in stages):
                    finish = last > 0
                if finish:
                    implicit_damping(
                        worldid, hd, dof_parentid, cpair_geom1.shape[0] == 0, implicit_b_out, qM_out, qacc_prev_out,
                        qH_out, qacc_out,
                    )  # fmt: skip
                    euler(
                        worldid, h, jnt_type, jnt_qposadr, jnt_dofadr, qpos_in, qvel_in, qacc_out, qpos_out, qvel_out
                    )  # fmt: skip

    if own_module:
        return wp.kernel(
            pipeline,
            name=name,
            module="unique",
            module_options=OPTIONS,
            cuda_max_registers=cuda_max_registers,
            enable_cuda_smem_spilling=smem_spilling,
        )
    return wp.kernel(pipeline, name=name)


# `substeps` MuJoCo Euler steps of timestep / substeps [s] per env in one thread; qpos/qvel alias in/out.
_step_kernel = _pipeline("_step_kernel", ("smooth", "collide", "pair_collide", "force", "warm_start", "solve"), True)
# The same with the dof friction-loss rows (models with frictionloss), a module of its own: compiled only for them.
_step_kernel_friction = _pipeline(
    "_step_kernel_friction", ("smooth", "collide", "pair_collide", "force", "warm_start", "solve"), True, True,
    friction=True,
)  # fmt: skip
# With the torsional and rolling friction rows of condim 4 / 6 ground contacts (go1, go2, a1's feet) and the friction
# loss rows: a module of its own, compiled only for such models.
_step_kernel_spin_roll = _pipeline(
    "_step_kernel_spin_roll", ("smooth", "collide", "pair_collide", "force", "warm_start", "solve"), True, True,
    friction=True, spin_roll=True,
)  # fmt: skip


@wp.kernel
def _constraint_force_kernel(
    # Model:
    timestep: float,
    substeps: int,
    eulerdamp: int,
    dof_frictionloss: wp.array[float],
    eq_type: wp.array[int],
    # Data in:
    qM_in: wp.array3d[float],
    implicit_b_in: wp.array2d[float],
    qfrc_smooth_in: wp.array2d[float],
    qacc_prev_in: wp.array2d[float],
    limit_mask_in: wp.array2d[int],
    contact_mask_in: wp.array2d[int],
    pair_mask_in: wp.array2d[int],
    # Data out:
    qfrc_constraint_out: wp.array2d[float],
):
    """MuJoCo's qfrc_constraint [N m or N] of each env's last substep: M qacc - qfrc_smooth, with qacc the constraint
    solve's (``implicit_damping`` keeps it in qacc_prev) and M = qM - h B (``smooth_force`` put h B on qM's
    diagonal; h = 0 under explicit damping). Exactly 0, as MuJoCo's, where no row was active (no limit, contact or
    pair row, and the model has no friction-loss or equality rows): there the difference is float32 rounding."""
    worldid = wp.tid()
    nv = qfrc_constraint_out.shape[1]
    active = bool(eq_type.shape[0] > 0)
    for i in range(dof_frictionloss.shape[0]):
        if dof_frictionloss[i] > 0.0:
            active = True
    for i in range(limit_mask_in.shape[1]):
        if limit_mask_in[worldid, i] != 0:
            active = True
    for i in range(contact_mask_in.shape[1]):
        if contact_mask_in[worldid, i] != 0:
            active = True
    for i in range(pair_mask_in.shape[1]):
        if pair_mask_in[worldid, i] != 0:
            active = True
    hd = timestep / float(substeps)
    if eulerdamp == 0:
        hd = 0.0
    for i in range(nv):
        f = float(0.0)
        if active:
            f = -qfrc_smooth_in[worldid, i] - hd * implicit_b_in[worldid, i] * qacc_prev_in[worldid, i]
            for j in range(nv):
                f += qM_in[worldid, i, j] * qacc_prev_in[worldid, j]
        qfrc_constraint_out[worldid, i] = f


# The tail kernel of each split solve kernel (its head): it takes on the envs the head leaves unsettled after the full
# Newton steps, with the line search (Simulator's split pipeline launches _solve_queue_reset_kernel, head, tail).
SOLVE_TAILS: dict = {}


def _split_solve(name: str, **flags) -> wp.Kernel:
    """The split pipeline's solve as two kernels: the head (warm start, then the full Newton steps before the line
    search joins, finishing the envs they settle and queueing the others in Data.solve_queue) and the tail (the rest
    of the steps, with the line search, for the queued envs only, one per thread: a warp runs only envs that need
    it). The head is returned, the tail kept in SOLVE_TAILS; per env the same operations as the single-loop solve."""
    head = _pipeline(name, ("warm_start", "solve_head"), False, True, 128, True, **flags)
    SOLVE_TAILS[head] = _pipeline(name + "_tail", ("solve_tail",), False, True, 128, True, **flags)
    return head


@wp.kernel
def _solve_queue_reset_kernel(solve_count: wp.array[int]):
    """Empty the split solve's queue before a substep's head kernel."""
    solve_count[0] = 0


# Kinematics, mass matrix and bias forces of every env at its current state, without stepping.
_forward_kernel = _pipeline("_forward_kernel", ("smooth",), False)
# One Euler substep as stage launches (Simulator(pipeline="split"), the default on CUDA). The fused kernel holds 255
# registers per CUDA thread and spills; each of these holds at most 128 (sm_90, `throughput.py gpu --archs 90 --modules
# forward`), so twice as many envs share an SM. The stages hand over through the Data arrays that the fused kernel
# writes and reads as well, in the same order, so both paths compute the same numbers. Modules of their own: a CPU run
# never compiles them, a CUDA step never the fused kernel. Until the geom-geom rows joined the solve (commit 6d8df66)
# the four kernels then held 96, 128, 96 and 128 registers, none spilled to local memory; now the pair and solve
# kernels spill some (see beside them; results/self_contact.md).
SPLIT_KERNELS = (
    _pipeline("_smooth_kernel", ("smooth",), False, True),
    # capped at 128 registers (142 uncapped: 1 block of 256 threads per SM instead of 2); ptxas then puts its spills
    # in shared memory (Warp's enable_cuda_smem_spilling, CUDA 13; 19 KB per block), none in local memory
    _pipeline("_contact_kernel", ("collide",), False, True, 128, True, cylinders=False),
    # the geom-geom collisions and their rows' warm start: 255 registers uncapped (box-box); capped at 128 with 39 KB
    # of shared-memory spills per block and 192 bytes stored to local memory per thread (the box functions out of
    # line, ``inline=False``; inlined: 708)
    _pipeline("_pair_kernel", ("pair_collide",), False, True, 128, True),
    # without the fluid forces (56 registers with none, 72 with them: FORCE_KERNEL_FLUID)
    _pipeline("_force_kernel", ("force",), False, True, fluids=False),
    # the active-set loop in one thread (up to solver_iterations solves); capped at 128 with 39 KB of shared-memory
    # spills per block; the pair rows (out of line) add 92 bytes of local-memory spill stores per thread (inlined: 256;
    # without them: none)
    _split_solve("_solve_kernel"),
)
# The same for a model without geom pairs (ant, half_cheetah, anymal_c): no pair kernel, and a solve kernel without
# the pair rows, which then spills nothing to local memory.
SPLIT_KERNELS_NO_PAIRS = (
    SPLIT_KERNELS[0],
    SPLIT_KERNELS[1],
    SPLIT_KERNELS[3],
    _split_solve("_solve_kernel_no_pairs", pairs=False),
)
# The contact kernel with the cylinder's and ellipsoid's ground-contact points, for the models whose cylinders or
# ellipsoids touch the ground (the others' kernel spills less without them: sm_90, 88/92 B against 132/136 B).
CONTACT_KERNEL_CYLINDERS = _pipeline("_contact_kernel_cylinders", ("collide",), False, True, 128, True)
# The force kernel with MuJoCo's fluid forces, for models with density or viscosity.
FORCE_KERNEL_FLUID = _pipeline("_force_kernel_fluid", ("force",), False, True)
# Both with the dof friction-loss rows in the solve kernel (models with frictionloss; compiled on first use).
SPLIT_KERNELS_FRICTION = (
    *SPLIT_KERNELS[:-1],
    _split_solve("_solve_kernel_friction", friction=True),
)
# The split path of a model with torsional or rolling friction (condim 4 / 6, against the ground or between geoms):
# the contact kernel with every geom type, the pair kernel's warm start and the solves with those rows, the solves
# with the friction-loss rows as well (compiled on first use).
CONTACT_KERNEL_SPIN_ROLL = _pipeline("_contact_kernel_spin_roll", ("collide",), False, True, 128, True, spin_roll=True)
PAIR_KERNEL_SPIN_ROLL = _pipeline("_pair_kernel_spin_roll", ("pair_collide",), False, True, 128, True, spin_roll=True)
SOLVE_KERNEL_SPIN_ROLL = _split_solve("_solve_kernel_spin_roll", friction=True, spin_roll=True)
SOLVE_KERNEL_NO_PAIRS_SPIN_ROLL = _split_solve(
    "_solve_kernel_no_pairs_spin_roll", pairs=False, friction=True, spin_roll=True
)
# The fused and split solves of a model with equality constraints (kernels.equality): every other row family
# compiled in as well (friction loss, geom pairs, torsional / rolling friction), since such models are few.
_step_kernel_equality = _pipeline(
    "_step_kernel_equality", ("smooth", "collide", "pair_collide", "force", "warm_start", "solve"), True, True,
    friction=True, spin_roll=True, equality=True,
)  # fmt: skip
SOLVE_KERNEL_EQUALITY = _split_solve("_solve_kernel_equality", friction=True, spin_roll=True, equality=True)
# A model with pairs for the general convex collider (kernels.convex: a cylinder against a capsule, cylinder or box,
# an ellipsoid against any geom): the fused step with every row family and that collider, and the split path's pair
# kernel with it (its solve is SOLVE_KERNEL_EQUALITY's).
_step_kernel_convex = _pipeline(
    "_step_kernel_convex", ("smooth", "collide", "pair_collide", "force", "warm_start", "solve"), True, True,
    friction=True, spin_roll=True, equality=True, convex=True,
)  # fmt: skip
PAIR_KERNEL_CONVEX = _pipeline(
    "_pair_kernel_convex", ("pair_collide",), False, True, 128, True, spin_roll=True, convex=True
)
# MuJoCo's elliptic friction cone (models with cone="elliptic"; kernels.elliptic): the fused step and the split path's
# pair and solve kernels with every row family, compiled on first use (the split path's contact kernel is
# CONTACT_KERNEL_SPIN_ROLL, which stores the normal's D for such a model)
_step_kernel_elliptic = _pipeline(
    "_step_kernel_elliptic", ("smooth", "collide", "pair_collide", "force", "warm_start", "solve"), True, True,
    friction=True, spin_roll=True, equality=True, convex=True, elliptic=True,
)  # fmt: skip
PAIR_KERNEL_ELLIPTIC = _pipeline(
    "_pair_kernel_elliptic", ("pair_collide",), False, True, 128, True, spin_roll=True, convex=True, elliptic=True
)
SOLVE_KERNEL_ELLIPTIC = _split_solve(
    "_solve_kernel_elliptic", friction=True, spin_roll=True, equality=True, elliptic=True
)
SPLIT_KERNELS_NO_PAIRS_FRICTION = (
    *SPLIT_KERNELS_NO_PAIRS[:-1],
    _split_solve("_solve_kernel_no_pairs_friction", pairs=False, friction=True),
)


# Flat parameters bound by name rather than Warp structs of arrays: a struct-argument twin of _step_kernel (same
# stage functions, same body) ran 5-6% slower per Ant env step on this CPU (2048 envs, 5 substeps, Warp 1.19),
# since Warp's contiguous-array CPU version covers only top-level 1D array arguments; flat parameters also keep
# MuJoCo Warp's Model / Data in / Data out sections in every signature.
def launch_inputs(kernel: wp.Kernel, fields: dict) -> list:
    """The kernel's arguments in its own order, looked up by name in fields (``x_in`` and ``x_out`` read ``x``)."""
    return [fields[re.sub(r"_(in|out)$", "", arg.label)] for arg in kernel.adj.args]


def launch_block_dim(device, num_threads: int, block_dim: int) -> int | None:
    """CUDA threads per block for a launch of num_threads one-env threads; None (Warp's default) on a CPU.

    block_dim 0 picks the largest of 256, 128, 64 and 32 that still gives every SM at least one block. One thread walks
    one env's whole step, so a launch of fewer blocks than SMs leaves SMs idle: 16,384 envs in blocks of 256 are 64
    blocks for the H100's 132 SMs. Any other value is used as given (1 to 1024). The results do not depend on it:
    no kernel here shares work between the threads of a block.
    """
    if isinstance(block_dim, bool) or not isinstance(block_dim, int) or not 0 <= block_dim <= 1024:
        raise ValueError(f"block_dim must be an integer in [0, 1024] (0: auto), got {block_dim!r}")
    device = wp.get_device(device)
    if not device.is_cuda:
        return None  # a CPU launch runs its threads one after another; another block_dim would only recompile
    if block_dim:
        return block_dim
    for candidate in (256, 128, 64):
        if -(-num_threads // candidate) >= device.sm_count:
            return candidate
    return 32
