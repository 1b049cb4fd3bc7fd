"""Articulated rigid-body dynamics in Warp kernels, matching MuJoCo's smooth dynamics and Euler integrator.

One thread per env runs a whole step: forward kinematics, com-based motion subspaces, recursive
Newton-Euler bias forces, composite-rigid-body mass matrix, passive and actuator forces, a dense
Cholesky solve of (M + dt diag(damping)) qacc = qfrc, and MuJoCo's semi-implicit Euler update.
With ``contacts`` / ``joint_limits``, soft geom-plane contacts (``kernels.contact``) and one-sided limit
springs add forces to qfrc and their implicit (backward-Euler) damping and stiffness terms to the matrix
before the solve; ``substeps`` Euler steps of timestep / substeps run per ``step()`` in the same launch.

References: MuJoCo documentation, Computation chapter (smooth dynamics, "Numerical integration":
the Euler integrator treats joint damping implicitly); Featherstone, "Rigid Body Dynamics Algorithms"
(RBDA) ch. 2 (spatial algebra), ch. 5 (RNEA), ch. 6 (CRBA and factorization of the joint-space inertia).

Generalized coordinates follow MuJoCo exactly: free qpos = position (3) + quaternion w, x, y, z (4),
free qvel = linear velocity of the joint anchor in the world frame (3) + angular velocity in the body
frame (3); hinge = angle [rad]; slide = displacement [m]; hinge and slide positions are measured from
qpos0 (MuJoCo's reference configuration) in the kinematics.

Device arrays (float32 unless stated; N = num_envs, E = 1 or N rows of a randomizable parameter):

- model: body_* (nbody,), jnt_* (njnt,), dof_* (nv,), actuator_* (nu,), as in mujoco.MjModel;
  quaternions as ``wp.quat`` (x, y, z, w).
- per-env parameters, read as ``arr[worldid % arr.shape[0], i]``: body_mass_scale (E, nbody) scales
  mass and inertia, actuator_gear_scale (E, nu) scales the motor gear, dof_damping_scale (E, nv).
- state: qpos (N, nq), qvel (N, nv), ctrl (N, nu).
- scratch, valid after a step or ``forward()``: xpos (N, nbody) vec3, xquat (N, nbody) quat,
  qM (N, nv, nv) (lower triangle holds the Cholesky factor after a step), qfrc_bias (N, nv).
"""

import numpy as np
import torch
import warp as wp

import mjcf.model as mjcf_model
from kernels.contact import (
    GEOM_BOX,
    GEOM_CAPSULE,
    GEOM_SPHERE,
    contact_coefficients,
    plane_box,
    plane_capsule,
    plane_sphere,
)
from kernels.spatial import (
    hinge_motion,
    inertia_about_point,
    inertia_mul_motion,
    motion_cross_force,
    motion_cross_motion,
    quat_from_wxyz,
    quat_integrate_local,
    slide_motion,
)

wp.set_module_options({"enable_backward": False, "max_unroll": 1})

JNT_FREE = wp.constant(mjcf_model.JNT_FREE)
JNT_BALL = wp.constant(mjcf_model.JNT_BALL)
JNT_SLIDE = wp.constant(mjcf_model.JNT_SLIDE)
JNT_HINGE = wp.constant(mjcf_model.JNT_HINGE)


# ---------------------------------------------------------------------------------------------------
# Stages (@wp.func, one env per call)
# ---------------------------------------------------------------------------------------------------


@wp.func
def _kinematics(
    worldid: int,
    # Model:
    body_parentid: wp.array[int],
    body_jntnum: wp.array[int],
    body_jntadr: wp.array[int],
    body_pos: wp.array[wp.vec3],
    body_quat: wp.array[wp.quat],
    jnt_type: wp.array[int],
    jnt_qposadr: wp.array[int],
    jnt_pos: wp.array[wp.vec3],
    jnt_axis: wp.array[wp.vec3],
    qpos0: wp.array[float],
    # Data in:
    qpos_in: wp.array2d[float],
    # Data out:
    xpos_out: wp.array2d[wp.vec3],
    xquat_out: wp.array2d[wp.quat],
    xanchor_out: wp.array2d[wp.vec3],
    xaxis_out: wp.array2d[wp.vec3],
):
    """World pose of every body frame [m, unit quat] and world anchor/axis of every joint, in body order."""
    xpos_out[worldid, 0] = wp.vec3(0.0)
    xquat_out[worldid, 0] = wp.quat_identity()
    for b in range(1, body_parentid.shape[0]):
        parent = body_parentid[b]
        pos = xpos_out[worldid, parent] + wp.quat_rotate(xquat_out[worldid, parent], body_pos[b])
        rot = xquat_out[worldid, parent] * body_quat[b]
        jadr = body_jntadr[b]
        for j in range(jadr, jadr + body_jntnum[b]):
            qadr = jnt_qposadr[j]
            jtype = jnt_type[j]
            if jtype == JNT_FREE:
                # a free joint overrides the parent chain: qpos is the world pose itself
                pos = wp.vec3(qpos_in[worldid, qadr], qpos_in[worldid, qadr + 1], qpos_in[worldid, qadr + 2])
                rot = wp.normalize(
                    quat_from_wxyz(
                        qpos_in[worldid, qadr + 3],
                        qpos_in[worldid, qadr + 4],
                        qpos_in[worldid, qadr + 5],
                        qpos_in[worldid, qadr + 6],
                    )
                )
                xanchor_out[worldid, j] = pos
                xaxis_out[worldid, j] = wp.vec3(0.0, 0.0, 1.0)
            else:
                anchor = pos + wp.quat_rotate(rot, jnt_pos[j])
                axis = wp.quat_rotate(rot, jnt_axis[j])
                xanchor_out[worldid, j] = anchor
                xaxis_out[worldid, j] = axis
                dq = qpos_in[worldid, qadr] - qpos0[qadr]
                if jtype == JNT_HINGE:
                    # rotate about the anchor, so the anchor stays put
                    rot = rot * wp.quat_from_axis_angle(jnt_axis[j], dq)
                    pos = anchor - wp.quat_rotate(rot, jnt_pos[j])
                else:
                    pos = pos + axis * dq
        xpos_out[worldid, b] = pos
        xquat_out[worldid, b] = wp.normalize(rot)


@wp.func
def _com_inertia(
    worldid: int,
    # Model:
    body_rootid: wp.array[int],
    body_ipos: wp.array[wp.vec3],
    body_iquat: wp.array[wp.quat],
    body_mass: wp.array[float],
    body_inertia: wp.array[wp.vec3],
    body_mass_scale: wp.array2d[float],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    xquat_in: wp.array2d[wp.quat],
    # Data out:
    cmass_out: wp.array2d[float],
    cmc_out: wp.array2d[wp.vec3],
    crot_out: wp.array2d[wp.mat33],
):
    """Spatial inertia of every body about its tree's reference point (root body origin), world orientation."""
    for b in range(1, body_rootid.shape[0]):
        scale = body_mass_scale[worldid % body_mass_scale.shape[0], b]
        mass = body_mass[b] * scale
        rot = xquat_in[worldid, b]
        offset = xpos_in[worldid, b] + wp.quat_rotate(rot, body_ipos[b]) - xpos_in[worldid, body_rootid[b]]
        cmass_out[worldid, b] = mass
        cmc_out[worldid, b] = mass * offset
        crot_out[worldid, b] = inertia_about_point(mass, body_inertia[b] * scale, rot * body_iquat[b], offset)


@wp.func
def _motion_subspace(
    worldid: int,
    # Model:
    body_rootid: wp.array[int],
    jnt_type: wp.array[int],
    jnt_bodyid: wp.array[int],
    jnt_dofadr: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    xquat_in: wp.array2d[wp.quat],
    xanchor_in: wp.array2d[wp.vec3],
    xaxis_in: wp.array2d[wp.vec3],
    # Data out:
    cdof_out: wp.array2d[wp.spatial_vector],
):
    """Motion subspace of every dof, at its tree's reference point in world orientation (MuJoCo's cdof)."""
    for j in range(jnt_type.shape[0]):
        body = jnt_bodyid[j]
        point = xpos_in[worldid, body_rootid[body]]
        dadr = jnt_dofadr[j]
        jtype = jnt_type[j]
        if jtype == JNT_FREE:
            # translations along the world axes, rotations about the body axes through the anchor
            rmat = wp.quat_to_matrix(xquat_in[worldid, body])
            for k in range(3):
                e = wp.vec3(0.0)
                e[k] = 1.0
                cdof_out[worldid, dadr + k] = slide_motion(e)
                cdof_out[worldid, dadr + 3 + k] = hinge_motion(rmat * e, xanchor_in[worldid, j], point)
        elif jtype == JNT_HINGE:
            cdof_out[worldid, dadr] = hinge_motion(xaxis_in[worldid, j], xanchor_in[worldid, j], point)
        else:
            cdof_out[worldid, dadr] = slide_motion(xaxis_in[worldid, j])


@wp.func
def _rne_crba(
    worldid: int,
    # Model:
    body_parentid: wp.array[int],
    body_jntnum: wp.array[int],
    body_jntadr: wp.array[int],
    body_dofnum: wp.array[int],
    body_dofadr: wp.array[int],
    jnt_type: wp.array[int],
    jnt_dofadr: wp.array[int],
    dof_bodyid: wp.array[int],
    dof_parentid: wp.array[int],
    dof_armature: wp.array[float],
    gravity: wp.vec3,
    # Data in:
    qvel_in: wp.array2d[float],
    cdof_in: wp.array2d[wp.spatial_vector],
    # Data out:
    cmass_out: wp.array2d[float],
    cmc_out: wp.array2d[wp.vec3],
    crot_out: wp.array2d[wp.mat33],
    cvel_out: wp.array2d[wp.spatial_vector],
    cacc_out: wp.array2d[wp.spatial_vector],
    cfrc_out: wp.array2d[wp.spatial_vector],
    qfrc_bias_out: wp.array2d[float],
    qM_out: wp.array3d[float],
):
    """Bias forces C(q, qdot) + g(q) [N, N m] by RNEA and mass matrix M(q) incl. armature by CRBA, joint space.

    Body inertias in c* are replaced in place by composite (subtree) inertias.
    """
    nbody = body_parentid.shape[0]
    nv = dof_bodyid.shape[0]

    # RNEA forward pass with qacc = 0; gravity enters as a fictitious base acceleration -g (RBDA ch. 5),
    # a pure translation, hence the same at every tree's reference point
    cvel_out[worldid, 0] = wp.spatial_vector()
    cacc_out[worldid, 0] = wp.spatial_vector(wp.vec3(0.0), -gravity)
    for b in range(1, nbody):
        parent = body_parentid[b]
        vel = cvel_out[worldid, parent]
        acc = cacc_out[worldid, parent]
        jadr = body_jntadr[b]
        for j in range(jadr, jadr + body_jntnum[b]):
            # d/dt of a dof axis is (velocity of the frame carrying it) x cdof (RBDA ch. 2): a joint's
            # axis is carried by the parent and the joints before it in the same body
            dadr = jnt_dofadr[j]
            if jnt_type[j] == JNT_FREE:
                # translations along fixed world axes (a free body's parent is the world): no derivative;
                # the three rotation axes are body-fixed, so all are carried by the full body velocity,
                # whose own rotation part drops out of sum_k (omega x axis_k) qvel_k = omega x omega = 0
                for k in range(3):
                    vel = vel + cdof_in[worldid, dadr + k] * qvel_in[worldid, dadr + k]
                carrier = vel
                for k in range(3, 6):
                    qd = qvel_in[worldid, dadr + k]
                    acc = acc + motion_cross_motion(carrier, cdof_in[worldid, dadr + k]) * qd
                    vel = vel + cdof_in[worldid, dadr + k] * qd
            else:
                qd = qvel_in[worldid, dadr]
                acc = acc + motion_cross_motion(vel, cdof_in[worldid, dadr]) * qd
                vel = vel + cdof_in[worldid, dadr] * qd
        cvel_out[worldid, b] = vel
        cacc_out[worldid, b] = acc
        mass = cmass_out[worldid, b]
        mc = cmc_out[worldid, b]
        rot = crot_out[worldid, b]
        cfrc_out[worldid, b] = inertia_mul_motion(mass, mc, rot, acc) + motion_cross_force(
            vel, inertia_mul_motion(mass, mc, rot, vel)
        )

    # backward pass: project body forces on the dofs, pass forces and composite inertias to the parent
    for b in range(nbody - 1, 0, -1):
        dadr = body_dofadr[b]
        for d in range(dadr, dadr + body_dofnum[b]):
            qfrc_bias_out[worldid, d] = wp.dot(cdof_in[worldid, d], cfrc_out[worldid, b])
        parent = body_parentid[b]
        if parent > 0:
            cfrc_out[worldid, parent] = cfrc_out[worldid, parent] + cfrc_out[worldid, b]
            cmass_out[worldid, parent] = cmass_out[worldid, parent] + cmass_out[worldid, b]
            cmc_out[worldid, parent] = cmc_out[worldid, parent] + cmc_out[worldid, b]
            crot_out[worldid, parent] = crot_out[worldid, parent] + crot_out[worldid, b]

    # CRBA: M[i, j] = cdof_j . (Ic_body(i) cdof_i) for j = i and the dof ancestors of i (RBDA ch. 6);
    # every other entry is structurally zero
    for i in range(nv):
        for j in range(nv):
            qM_out[worldid, i, j] = 0.0
    for i in range(nv):
        b = dof_bodyid[i]
        f = inertia_mul_motion(cmass_out[worldid, b], cmc_out[worldid, b], crot_out[worldid, b], cdof_in[worldid, i])
        qM_out[worldid, i, i] = wp.dot(cdof_in[worldid, i], f) + dof_armature[i]
        j = dof_parentid[i]
        while j >= 0:
            mij = wp.dot(cdof_in[worldid, j], f)
            qM_out[worldid, i, j] = mij
            qM_out[worldid, j, i] = mij
            j = dof_parentid[j]


@wp.func
def _cholesky_solve(
    worldid: int,
    # Data out:
    qH_out: wp.array3d[float],
    qacc_out: wp.array2d[float],
):
    """Solve H qacc = qfrc in place for one env: H (nv, nv) SPD, lower triangle becomes L; qacc holds qfrc on entry.

    Dense Cholesky-Banachiewicz H = L L^T, then forward and backward substitution (RBDA ch. 6 solves the
    same system; the tree-sparse LTDL factorization (RBDA ch. 6, what MuJoCo uses) is a later optimization).
    """
    a = qH_out
    x = qacc_out
    n = x.shape[1]
    for j in range(n):
        s = a[worldid, j, j]
        for k in range(j):
            s -= a[worldid, j, k] * a[worldid, j, k]
        ljj = wp.sqrt(s)
        a[worldid, j, j] = ljj
        inv = 1.0 / ljj
        for i in range(j + 1, n):
            t = a[worldid, i, j]
            for k in range(j):
                t -= a[worldid, i, k] * a[worldid, j, k]
            a[worldid, i, j] = t * inv
    for i in range(n):
        t = x[worldid, i]
        for k in range(i):
            t -= a[worldid, i, k] * x[worldid, k]
        x[worldid, i] = t / a[worldid, i, i]
    for i in range(n - 1, -1, -1):
        t = x[worldid, i]
        for k in range(i + 1, n):
            t -= a[worldid, k, i] * x[worldid, k]
        x[worldid, i] = t / a[worldid, i, i]


@wp.func
def _apply_point_force(
    worldid: int,
    body: int,
    point: wp.vec3,
    direction: wp.vec3,
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
    """Add J^T force [N m or N] to qfrc and coef J J^T [kg m^2 ...] to the lower triangle of qM.

    J (1 x nv) maps qvel to the velocity [m/s] of a world point on body along a unit world direction; it is
    cdof_d . (unit wrench at the point), nonzero only on the body's ancestor dofs (force-motion duality).
    """
    ref = xpos_in[worldid, body_rootid[body]]
    wrench = wp.spatial_vector(wp.cross(point - ref, direction), direction)
    i = body_lastdof[body]
    while i >= 0:
        jac_out[worldid, i] = wp.dot(cdof_in[worldid, i], wrench)
        i = dof_parentid[i]
    i = body_lastdof[body]
    while i >= 0:
        ji = jac_out[worldid, i]
        qfrc_out[worldid, i] = qfrc_out[worldid, i] + ji * force
        if coef > 0.0:
            j = i
            while j >= 0:
                qM_out[worldid, i, j] = qM_out[worldid, i, j] + coef * ji * jac_out[worldid, j]
                j = dof_parentid[j]
        i = dof_parentid[i]


@wp.func
def _contacts(
    worldid: int,
    h: float,
    # Model:
    cgeom_type: wp.array[int],
    cgeom_bodyid: wp.array[int],
    cgeom_geomid: wp.array[int],
    cgeom_pos: wp.array[wp.vec3],
    cgeom_quat: wp.array[wp.quat],
    cgeom_size: wp.array[wp.vec3],
    cgeom_margin: wp.array[float],
    cgeom_friction: wp.array[float],
    plane_normal: wp.vec3,
    plane_offset: float,
    contact_stiffness: float,
    contact_damping: float,
    friction_eps: float,
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    geom_friction_scale: wp.array2d[float],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    xquat_in: wp.array2d[wp.quat],
    cvel_in: wp.array2d[wp.spatial_vector],
    cmass_in: wp.array2d[float],
    cdof_in: wp.array2d[wp.spatial_vector],
    # Data out:
    jac_out: wp.array2d[float],
    qfrc_out: wp.array2d[float],
    qM_out: wp.array3d[float],
):
    """Soft geom-plane contact forces into qfrc [N m, N] and their implicit terms into qM (kernels.contact)."""
    for g in range(cgeom_type.shape[0]):
        body = cgeom_bodyid[g]
        rot = xquat_in[worldid, body]
        center = xpos_in[worldid, body] + wp.quat_rotate(rot, cgeom_pos[g])
        grot = rot * cgeom_quat[g]
        gtype = cgeom_type[g]
        size = cgeom_size[g]
        npoints = 1
        if gtype == GEOM_CAPSULE:
            npoints = 2
        elif gtype == GEOM_BOX:
            npoints = 8
        for k in range(npoints):
            dist = float(0.0)
            point = wp.vec3(0.0)
            if gtype == GEOM_SPHERE:
                dist, point = plane_sphere(plane_normal, plane_offset, center, size[0])
            elif gtype == GEOM_CAPSULE:
                # capsule axis is the geom's local z; point k is end cap k
                axis = wp.quat_rotate(grot, wp.vec3(0.0, 0.0, 1.0))
                d0, p0, d1, p1 = plane_capsule(plane_normal, plane_offset, center, axis, size[1], size[0])
                dist = d0
                point = p0
                if k == 1:
                    dist = d1
                    point = p1
            else:
                dist, point = plane_box(plane_normal, plane_offset, center, wp.quat_to_matrix(grot), size, k)
            depth = cgeom_margin[g] - dist
            if depth > 0.0:
                root = body_rootid[body]
                vel_ref = cvel_in[worldid, body]
                vel = wp.spatial_bottom(vel_ref) + wp.cross(wp.spatial_top(vel_ref), point - xpos_in[worldid, root])
                mu = cgeom_friction[g] * geom_friction_scale[worldid % geom_friction_scale.shape[0], cgeom_geomid[g]]
                fn, cn, ct, tangent = contact_coefficients(
                    depth,
                    vel,
                    plane_normal,
                    cmass_in[worldid, root],
                    mu,
                    contact_stiffness,
                    contact_damping,
                    friction_eps,
                    h,
                )
                # normal, slip direction and the second tangent: (M + h sum c J^T J) qacc = qfrc
                _apply_point_force(
                    worldid, body, point, plane_normal, fn, h * cn, body_rootid, body_lastdof, dof_parentid,
                    xpos_in, cdof_in, jac_out, qfrc_out, qM_out,
                )  # fmt: skip
                if ct > 0.0:
                    t2 = wp.cross(plane_normal, tangent)
                    vt = wp.dot(vel, tangent)
                    _apply_point_force(
                        worldid, body, point, tangent, -ct * vt, h * ct, body_rootid, body_lastdof, dof_parentid,
                        xpos_in, cdof_in, jac_out, qfrc_out, qM_out,
                    )  # fmt: skip
                    _apply_point_force(
                        worldid, body, point, t2, -ct * wp.dot(vel, t2), h * ct, body_rootid, body_lastdof,
                        dof_parentid, xpos_in, cdof_in, jac_out, qfrc_out, qM_out,
                    )  # fmt: skip


@wp.func
def _joint_limits(
    worldid: int,
    h: float,
    # Model:
    jnt_type: wp.array[int],
    jnt_qposadr: wp.array[int],
    jnt_dofadr: wp.array[int],
    jnt_limited: wp.array[int],
    jnt_range: wp.array[wp.vec2],
    limit_stiffness: float,
    limit_damping: float,
    # Data in:
    qpos_in: wp.array2d[float],
    qvel_in: wp.array2d[float],
    # Data out:
    qfrc_out: wp.array2d[float],
    qM_out: wp.array3d[float],
):
    """One-sided spring-damper [N m or N] past each hinge/slide limit, implicit like the contacts.

    Stiffness and damping are per unit of the dof's diagonal inertia M_dd (incl. armature), so the limit's
    time constant is 1 / sqrt(limit_stiffness) whatever the link: F = M_dd (k pen - c v) pushing inward.
    """
    for j in range(jnt_type.shape[0]):
        if jnt_limited[j] != 0 and jnt_type[j] != JNT_FREE:
            q = qpos_in[worldid, jnt_qposadr[j]]
            d = jnt_dofadr[j]
            pen = float(0.0)
            sign = float(0.0)
            if q < jnt_range[j][0]:
                pen = jnt_range[j][0] - q
                sign = 1.0
            elif q > jnt_range[j][1]:
                pen = q - jnt_range[j][1]
                sign = -1.0
            if pen > 0.0:
                m = qM_out[worldid, d, d]
                k = m * limit_stiffness
                cn = m * limit_damping + h * k
                f = k * pen - cn * sign * qvel_in[worldid, d]
                if f > 0.0:
                    qfrc_out[worldid, d] = qfrc_out[worldid, d] + sign * f
                    qM_out[worldid, d, d] = qM_out[worldid, d, d] + h * cn


# ---------------------------------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------------------------------


@wp.kernel
def _step_kernel(
    # Model:
    body_parentid: wp.array[int],
    body_rootid: wp.array[int],
    body_jntnum: wp.array[int],
    body_jntadr: wp.array[int],
    body_dofnum: wp.array[int],
    body_dofadr: wp.array[int],
    body_pos: wp.array[wp.vec3],
    body_quat: wp.array[wp.quat],
    body_ipos: wp.array[wp.vec3],
    body_iquat: wp.array[wp.quat],
    body_mass: wp.array[float],
    body_inertia: wp.array[wp.vec3],
    jnt_type: wp.array[int],
    jnt_bodyid: wp.array[int],
    jnt_qposadr: wp.array[int],
    jnt_dofadr: wp.array[int],
    jnt_pos: wp.array[wp.vec3],
    jnt_axis: wp.array[wp.vec3],
    jnt_stiffness: wp.array[float],
    qpos0: wp.array[float],
    qpos_spring: wp.array[float],
    dof_bodyid: wp.array[int],
    dof_parentid: wp.array[int],
    dof_armature: wp.array[float],
    dof_damping: wp.array[float],
    actuator_dofadr: wp.array[int],
    actuator_gear: wp.array[float],
    actuator_ctrlrange: wp.array[wp.vec2],
    actuator_ctrllimited: wp.array[int],
    body_mass_scale: wp.array2d[float],
    actuator_gear_scale: wp.array2d[float],
    dof_damping_scale: wp.array2d[float],
    gravity: wp.vec3,
    timestep: float,
    substeps: int,
    jnt_limited: wp.array[int],
    jnt_range: wp.array[wp.vec2],
    limit_stiffness: float,
    limit_damping: float,
    body_lastdof: wp.array[int],
    cgeom_type: wp.array[int],
    cgeom_bodyid: wp.array[int],
    cgeom_geomid: wp.array[int],
    cgeom_pos: wp.array[wp.vec3],
    cgeom_quat: wp.array[wp.quat],
    cgeom_size: wp.array[wp.vec3],
    cgeom_margin: wp.array[float],
    cgeom_friction: wp.array[float],
    plane_normal: wp.vec3,
    plane_offset: float,
    contact_stiffness: float,
    contact_damping: float,
    friction_eps: float,
    geom_friction_scale: wp.array2d[float],
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
    jac_out: wp.array2d[float],
    qacc_out: wp.array2d[float],
    qpos_out: wp.array2d[float],
    qvel_out: wp.array2d[float],
):
    """`substeps` MuJoCo Euler steps of timestep / substeps [s] per env: qvel += h qacc, then qpos from the new qvel.

    qpos/qvel may alias in/out. Contacts (no collision geoms: none) and joint limits (jnt_limited) are implicit.
    """
    worldid = wp.tid()
    h = timestep / float(substeps)
    for _substep in range(substeps):
        _kinematics(
            worldid,
            body_parentid,
            body_jntnum,
            body_jntadr,
            body_pos,
            body_quat,
            jnt_type,
            jnt_qposadr,
            jnt_pos,
            jnt_axis,
            qpos0,
            qpos_in,
            xpos_out,
            xquat_out,
            xanchor_out,
            xaxis_out,
        )
        _com_inertia(
            worldid,
            body_rootid,
            body_ipos,
            body_iquat,
            body_mass,
            body_inertia,
            body_mass_scale,
            xpos_out,
            xquat_out,
            cmass_out,
            cmc_out,
            crot_out,
        )
        _motion_subspace(
            worldid,
            body_rootid,
            jnt_type,
            jnt_bodyid,
            jnt_dofadr,
            xpos_out,
            xquat_out,
            xanchor_out,
            xaxis_out,
            cdof_out,
        )
        _rne_crba(
            worldid,
            body_parentid,
            body_jntnum,
            body_jntadr,
            body_dofnum,
            body_dofadr,
            jnt_type,
            jnt_dofadr,
            dof_bodyid,
            dof_parentid,
            dof_armature,
            gravity,
            qvel_in,
            cdof_out,
            cmass_out,
            cmc_out,
            crot_out,
            cvel_out,
            cacc_out,
            cfrc_out,
            qfrc_bias_out,
            qM_out,
        )

        # constraint-like forces first: the limit law reads M_dd before the damping term is added to it
        nv = dof_bodyid.shape[0]
        for d in range(nv):
            qacc_out[worldid, d] = 0.0
        _joint_limits(
            worldid, h, jnt_type, jnt_qposadr, jnt_dofadr, jnt_limited, jnt_range, limit_stiffness, limit_damping,
            qpos_in, qvel_in, qacc_out, qM_out,
        )  # fmt: skip
        _contacts(
            worldid, h, cgeom_type, cgeom_bodyid, cgeom_geomid, cgeom_pos, cgeom_quat, cgeom_size, cgeom_margin,
            cgeom_friction, plane_normal, plane_offset, contact_stiffness, contact_damping, friction_eps, body_rootid,
            body_lastdof, dof_parentid, geom_friction_scale, xpos_out, xquat_out, cvel_out, cmass_out, cdof_out,
            jac_out, qacc_out, qM_out,
        )  # fmt: skip

        # smooth force: -bias - damping qvel, plus damping on the left: MuJoCo's Euler integrator solves
        # (M + dt D) qacc = qfrc_smooth, which makes joint damping implicit (stable for any damping)
        for d in range(nv):
            damping = dof_damping[d] * dof_damping_scale[worldid % dof_damping_scale.shape[0], d]
            qacc_out[worldid, d] = qacc_out[worldid, d] - qfrc_bias_out[worldid, d] - damping * qvel_in[worldid, d]
            qM_out[worldid, d, d] = qM_out[worldid, d, d] + h * damping

        # joint springs toward qpos_spring (free-joint springs are rejected on the host)
        for j in range(jnt_type.shape[0]):
            if jnt_type[j] != JNT_FREE:
                qadr = jnt_qposadr[j]
                dadr = jnt_dofadr[j]
                qacc_out[worldid, dadr] = qacc_out[worldid, dadr] - jnt_stiffness[j] * (
                    qpos_in[worldid, qadr] - qpos_spring[qadr]
                )

        # motors: force = gear * ctrl, ctrl clamped to ctrlrange when ctrllimited
        for a in range(actuator_dofadr.shape[0]):
            c = ctrl_in[worldid, a]
            if actuator_ctrllimited[a] != 0:
                c = wp.clamp(c, actuator_ctrlrange[a][0], actuator_ctrlrange[a][1])
            gear = actuator_gear[a] * actuator_gear_scale[worldid % actuator_gear_scale.shape[0], a]
            dadr = actuator_dofadr[a]
            qacc_out[worldid, dadr] = qacc_out[worldid, dadr] + gear * c

        _cholesky_solve(worldid, qM_out, qacc_out)

        # semi-implicit Euler: velocity first, then positions with the new velocity (mj_integratePos)
        for d in range(nv):
            qvel_out[worldid, d] = qvel_in[worldid, d] + h * qacc_out[worldid, d]
        for j in range(jnt_type.shape[0]):
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
            else:
                qpos_out[worldid, qadr] = qpos_in[worldid, qadr] + h * qvel_out[worldid, dadr]


@wp.kernel
def _forward_kernel(
    # Model:
    body_parentid: wp.array[int],
    body_rootid: wp.array[int],
    body_jntnum: wp.array[int],
    body_jntadr: wp.array[int],
    body_dofnum: wp.array[int],
    body_dofadr: wp.array[int],
    body_pos: wp.array[wp.vec3],
    body_quat: wp.array[wp.quat],
    body_ipos: wp.array[wp.vec3],
    body_iquat: wp.array[wp.quat],
    body_mass: wp.array[float],
    body_inertia: wp.array[wp.vec3],
    jnt_type: wp.array[int],
    jnt_bodyid: wp.array[int],
    jnt_qposadr: wp.array[int],
    jnt_dofadr: wp.array[int],
    jnt_pos: wp.array[wp.vec3],
    jnt_axis: wp.array[wp.vec3],
    qpos0: wp.array[float],
    dof_bodyid: wp.array[int],
    dof_parentid: wp.array[int],
    dof_armature: wp.array[float],
    body_mass_scale: wp.array2d[float],
    gravity: wp.vec3,
    # Data in:
    qpos_in: wp.array2d[float],
    qvel_in: wp.array2d[float],
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
):
    """Kinematics, mass matrix and bias forces of every env at its current state, without stepping."""
    worldid = wp.tid()
    _kinematics(
        worldid,
        body_parentid,
        body_jntnum,
        body_jntadr,
        body_pos,
        body_quat,
        jnt_type,
        jnt_qposadr,
        jnt_pos,
        jnt_axis,
        qpos0,
        qpos_in,
        xpos_out,
        xquat_out,
        xanchor_out,
        xaxis_out,
    )
    _com_inertia(
        worldid,
        body_rootid,
        body_ipos,
        body_iquat,
        body_mass,
        body_inertia,
        body_mass_scale,
        xpos_out,
        xquat_out,
        cmass_out,
        cmc_out,
        crot_out,
    )
    _motion_subspace(
        worldid, body_rootid, jnt_type, jnt_bodyid, jnt_dofadr, xpos_out, xquat_out, xanchor_out, xaxis_out, cdof_out
    )
    _rne_crba(
        worldid,
        body_parentid,
        body_jntnum,
        body_jntadr,
        body_dofnum,
        body_dofadr,
        jnt_type,
        jnt_dofadr,
        dof_bodyid,
        dof_parentid,
        dof_armature,
        gravity,
        qvel_in,
        cdof_out,
        cmass_out,
        cmc_out,
        crot_out,
        cvel_out,
        cacc_out,
        cfrc_out,
        qfrc_bias_out,
        qM_out,
    )


# ---------------------------------------------------------------------------------------------------
# Host side
# ---------------------------------------------------------------------------------------------------


def _wxyz_to_xyzw(q: np.ndarray) -> np.ndarray:
    q = np.asarray(q, dtype=np.float64).reshape(-1, 4)
    return np.ascontiguousarray(q[:, [1, 2, 3, 0]])


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64).reshape(-1, 3)
    n = np.linalg.norm(v, axis=1, keepdims=True)
    return np.where(n > 0, v / np.where(n > 0, n, 1.0), v)


class Simulator:
    """Batched articulated-body simulator: num_envs copies of one model stepped by MuJoCo's Euler integrator.

    ``model`` is anything with mujoco.MjModel's attribute names, shapes and meaning (``kernels.mjcf.load_mjcf``
    output or a ``mujoco.MjModel``). Contacts and joint limits are not implemented yet.
    """

    def __init__(
        self,
        model,
        num_envs: int,
        device: str = "cpu",
        contacts: bool = False,
        joint_limits: bool = False,
        substeps: int = 1,
        timestep: float | None = None,
        contact_stiffness: float = 1.0e4,
        contact_damping: float = 200.0,
        friction_eps: float = 1.0e-3,
        limit_stiffness: float = 2770.0,
        limit_damping: float = 105.0,
    ):
        for name, value in (
            ("contact_stiffness", contact_stiffness),
            ("contact_damping", contact_damping),
            ("friction_eps", friction_eps),
            ("limit_stiffness", limit_stiffness),
            ("limit_damping", limit_damping),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if friction_eps <= 0:
            raise ValueError(f"friction_eps must be > 0, got {friction_eps!r}")
        if isinstance(substeps, bool) or not isinstance(substeps, (int, np.integer)) or substeps < 1:
            raise ValueError(f"substeps must be an int >= 1, got {substeps!r}")
        self.substeps = int(substeps)
        self.contacts = bool(contacts)
        self.joint_limits = bool(joint_limits)
        self.contact_stiffness = float(contact_stiffness)
        self.contact_damping = float(contact_damping)
        self.friction_eps = float(friction_eps)
        self.limit_stiffness = float(limit_stiffness)
        self.limit_damping = float(limit_damping)
        if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs must be an int >= 1, got {num_envs!r}")
        self.num_envs = int(num_envs)
        if device == "auto":
            device = "cuda:0" if wp.is_cuda_available() else "cpu"
        self.device = wp.get_device(device)
        self._torch_device = torch.device(wp.device_to_torch(self.device))
        self._check_model(model)

        self.nbody, self.njnt = int(model.nbody), int(model.njnt)
        self.nq, self.nv, self.nu = int(model.nq), int(model.nv), int(model.nu)
        self.timestep = float(model.opt.timestep if timestep is None else timestep)
        if not np.isfinite(self.timestep) or self.timestep <= 0:
            raise ValueError(f"timestep must be > 0 s, got {timestep!r}")
        self.gravity = wp.vec3(*np.asarray(model.opt.gravity, dtype=np.float64).tolist())

        def arr(x, dtype, shape=None):
            a = np.ascontiguousarray(np.asarray(x))
            if shape is not None:
                a = a.reshape(shape)
            if dtype is int:
                return wp.array(a.astype(np.int32), dtype=int, device=self.device)
            return wp.array(a.astype(np.float32), dtype=dtype, device=self.device)

        nb, nj, nv, nu = self.nbody, self.njnt, self.nv, self.nu
        # Model arrays, one row per body / joint / dof / actuator
        self.body_parentid = arr(model.body_parentid, int)
        self.body_rootid = arr(model.body_rootid, int)
        self.body_jntnum = arr(model.body_jntnum, int)
        self.body_jntadr = arr(model.body_jntadr, int)
        self.body_dofnum = arr(model.body_dofnum, int)
        self.body_dofadr = arr(model.body_dofadr, int)
        self.body_pos = arr(model.body_pos, wp.vec3, (nb, 3))
        self.body_quat = arr(_wxyz_to_xyzw(model.body_quat), wp.quat)
        self.body_ipos = arr(model.body_ipos, wp.vec3, (nb, 3))
        self.body_iquat = arr(_wxyz_to_xyzw(model.body_iquat), wp.quat)
        self.body_mass = arr(model.body_mass, float)
        self.body_inertia = arr(model.body_inertia, wp.vec3, (nb, 3))
        self.jnt_type = arr(model.jnt_type, int)
        self.jnt_bodyid = arr(model.jnt_bodyid, int)
        self.jnt_qposadr = arr(model.jnt_qposadr, int)
        self.jnt_dofadr = arr(model.jnt_dofadr, int)
        self.jnt_pos = arr(np.asarray(model.jnt_pos).reshape(nj, 3), wp.vec3)
        self.jnt_axis = arr(_unit(np.asarray(model.jnt_axis).reshape(nj, 3)), wp.vec3)
        self.jnt_stiffness = arr(model.jnt_stiffness, float)
        self.qpos0 = arr(model.qpos0, float)
        self.qpos_spring = arr(model.qpos_spring, float)
        self.dof_bodyid = arr(model.dof_bodyid, int)
        self.dof_parentid = arr(model.dof_parentid, int)
        self.dof_armature = arr(model.dof_armature, float)
        self.dof_damping = arr(model.dof_damping, float)
        trn_jnt = np.asarray(model.actuator_trnid, dtype=np.int64).reshape(nu, 2)[:, 0]
        jnt_dofadr = np.asarray(model.jnt_dofadr, dtype=np.int64)
        self.actuator_dofadr = arr(jnt_dofadr[trn_jnt] if nu else np.zeros(0), int)
        self.actuator_gear = arr(np.asarray(model.actuator_gear).reshape(nu, 6)[:, 0], float)
        self.actuator_ctrlrange = arr(np.asarray(model.actuator_ctrlrange).reshape(nu, 2), wp.vec2)
        self.actuator_ctrllimited = arr(np.asarray(model.actuator_ctrllimited).reshape(nu) != 0, int)

        # joint limits (hinge and slide; MuJoCo's limited flag and range)
        limited = np.asarray(model.jnt_limited).reshape(nj) != 0
        self.jnt_limited = arr(limited & self.joint_limits, int)
        self.jnt_range = arr(np.asarray(model.jnt_range, dtype=np.float64).reshape(nj, 2), wp.vec2)
        # last dof of each body or of its nearest ancestor with dofs (-1: none): start of the Jacobian chain
        lastdof = np.full(nb, -1, dtype=np.int64)
        dofadr, dofnum, parent = (
            np.asarray(getattr(model, k)) for k in ("body_dofadr", "body_dofnum", "body_parentid")
        )
        for b in range(1, nb):
            lastdof[b] = dofadr[b] + dofnum[b] - 1 if dofnum[b] > 0 else lastdof[parent[b]]
        self.body_lastdof = arr(lastdof, int)
        self._setup_contacts(model)

        # per-env randomizable parameters (E, ...), E = 1 (shared) until set_params gives one row per env
        self.body_mass_scale = wp.ones((1, nb), dtype=float, device=self.device)
        self.actuator_gear_scale = wp.ones((1, nu), dtype=float, device=self.device)
        self.dof_damping_scale = wp.ones((1, nv), dtype=float, device=self.device)
        self.geom_friction_scale = wp.ones((1, self.ngeom), dtype=float, device=self.device)

        # state, initialized to the reference configuration qpos0 at rest
        n = self.num_envs
        self.qpos = wp.array(
            np.tile(np.asarray(model.qpos0, dtype=np.float32), (n, 1)), dtype=float, device=self.device
        )
        self.qvel = wp.zeros((n, nv), dtype=float, device=self.device)
        self.ctrl = wp.zeros((n, nu), dtype=float, device=self.device)

        # scratch, also read by forward() / tests
        self.xpos = wp.zeros((n, nb), dtype=wp.vec3, device=self.device)
        self.xquat = wp.zeros((n, nb), dtype=wp.quat, device=self.device)
        self.xanchor = wp.zeros((n, nj), dtype=wp.vec3, device=self.device)
        self.xaxis = wp.zeros((n, nj), dtype=wp.vec3, device=self.device)
        self.cdof = wp.zeros((n, nv), dtype=wp.spatial_vector, device=self.device)
        self.cmass = wp.zeros((n, nb), dtype=float, device=self.device)
        self.cmc = wp.zeros((n, nb), dtype=wp.vec3, device=self.device)
        self.crot = wp.zeros((n, nb), dtype=wp.mat33, device=self.device)
        self.cvel = wp.zeros((n, nb), dtype=wp.spatial_vector, device=self.device)
        self.cacc = wp.zeros((n, nb), dtype=wp.spatial_vector, device=self.device)
        self.cfrc = wp.zeros((n, nb), dtype=wp.spatial_vector, device=self.device)
        self.qfrc_bias = wp.zeros((n, nv), dtype=float, device=self.device)
        self.qM = wp.zeros((n, nv, nv), dtype=float, device=self.device)
        self.qacc = wp.zeros((n, nv), dtype=float, device=self.device)
        self.jac = wp.zeros((n, max(nv, 1)), dtype=float, device=self.device)

        # zero-copy torch views, created once
        self._qpos_t = wp.to_torch(self.qpos)
        self._qvel_t = wp.to_torch(self.qvel)
        self._ctrl_t = wp.to_torch(self.ctrl)
        self._build_launches()

    def _setup_contacts(self, model) -> None:
        """Collect the geoms that collide with the world plane into flat device arrays (empty: no contacts)."""
        self.ngeom = int(model.ngeom)
        gtype = np.asarray(model.geom_type).reshape(-1)
        gbody = np.asarray(model.geom_bodyid).reshape(-1)
        contype = np.asarray(model.geom_contype).reshape(-1)
        conaff = np.asarray(model.geom_conaffinity).reshape(-1)
        planes = np.flatnonzero((gtype == 0) & (gbody == 0))
        rows = []
        normal, offset = np.array([0.0, 0.0, 1.0]), 0.0
        if self.contacts and len(planes):
            if len(planes) > 1:
                raise NotImplementedError(f"contacts support one world plane geom, the model has {len(planes)}")
            pl = int(planes[0])
            q = np.asarray(model.geom_quat, dtype=np.float64).reshape(-1, 4)[pl]
            w, x, y, z = q / np.linalg.norm(q)
            # plane normal = the plane geom's local z axis in the world (the world body is the identity frame)
            normal = np.array([2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y)])
            offset = float(normal @ np.asarray(model.geom_pos, dtype=np.float64).reshape(-1, 3)[pl])
            margin = np.asarray(model.geom_margin).reshape(-1)
            friction = np.asarray(model.geom_friction).reshape(-1, 3)[:, 0]
            for g in range(self.ngeom):
                if gbody[g] == 0 or not ((contype[g] & conaff[pl]) or (contype[pl] & conaff[g])):
                    continue
                if gtype[g] not in (2, 3, 6):
                    raise NotImplementedError(
                        f"contacts support sphere, capsule and box geoms; geom {g} has mjtGeom type {gtype[g]}"
                    )
                # MuJoCo's pair mixing at equal priority: max margin, max friction
                rows.append((g, max(margin[g], margin[pl]), max(friction[g], friction[pl])))
        self.plane_normal = wp.vec3(*normal.tolist())
        self.plane_offset = float(offset)
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        size = np.asarray(model.geom_size, dtype=np.float64).reshape(-1, 3)
        pos = np.asarray(model.geom_pos, dtype=np.float64).reshape(-1, 3)
        quat = np.asarray(model.geom_quat, dtype=np.float64).reshape(-1, 4)

        def arr(x, dtype):
            a = np.ascontiguousarray(np.asarray(x))
            return wp.array(a.astype(np.int32 if dtype is int else np.float32), dtype=dtype, device=self.device)

        self.cgeom_geomid = arr(ids, int)
        self.cgeom_type = arr(gtype[ids], int)
        self.cgeom_bodyid = arr(gbody[ids], int)
        self.cgeom_pos = arr(pos[ids].reshape(-1, 3), wp.vec3)
        self.cgeom_quat = arr(_wxyz_to_xyzw(quat[ids]).reshape(-1, 4), wp.quat)
        self.cgeom_size = arr(size[ids].reshape(-1, 3), wp.vec3)
        self.cgeom_margin = arr(np.array([r[1] for r in rows]), float)
        self.cgeom_friction = arr(np.array([r[2] for r in rows]), float)

    # -- validation ------------------------------------------------------------------------------

    @staticmethod
    def _check_model(model) -> None:
        jnt_type = np.asarray(model.jnt_type)
        if np.any(jnt_type == 1):
            raise NotImplementedError(
                f"ball joints (jnt_type 1) are not supported: joints {np.flatnonzero(jnt_type == 1)}"
            )
        if np.any((jnt_type < 0) | (jnt_type > 3)):
            raise ValueError(f"model.jnt_type has unknown joint types: {jnt_type}")
        free_bodies = np.asarray(model.jnt_bodyid)[jnt_type == 0]
        if np.any(np.asarray(model.body_parentid)[free_bodies] != 0):
            raise NotImplementedError(f"free joints must be on children of the world body; bodies {free_bodies}")
        stiff = np.asarray(model.jnt_stiffness)
        if np.any((jnt_type == 0) & (stiff != 0)):
            raise NotImplementedError("free-joint stiffness (model.jnt_stiffness on a free joint) is not supported")
        nu = int(model.nu)
        if nu:
            trn = np.asarray(model.actuator_trnid).reshape(nu, 2)[:, 0]
            if np.any(trn < 0) or np.any(trn >= int(model.njnt)) or np.any(jnt_type[trn] < 2):
                raise NotImplementedError(f"actuators must drive hinge or slide joints; actuator_trnid={trn}")
            for name, ok in (("actuator_trntype", 0), ("actuator_dyntype", 0), ("actuator_gaintype", 0)):
                v = getattr(model, name, None)
                if v is not None and np.any(np.asarray(v) != ok):
                    raise NotImplementedError(f"only motor actuators are supported: model.{name}={np.asarray(v)}")
            bias = getattr(model, "actuator_biastype", None)
            if bias is not None and np.any(np.asarray(bias) != 0):
                raise NotImplementedError(f"only motor actuators are supported: model.actuator_biastype={bias}")
            gain = getattr(model, "actuator_gainprm", None)
            if gain is not None and np.any(np.asarray(gain)[:, 0] != 1):
                raise NotImplementedError("only motor actuators (actuator_gainprm[:, 0] == 1) are supported")
            flim = getattr(model, "actuator_forcelimited", None)
            if flim is not None and np.any(np.asarray(flim) != 0):
                raise NotImplementedError("actuator force limits (actuator_forcelimited) are not supported")
        dt = float(model.opt.timestep)
        if not np.isfinite(dt) or dt <= 0:
            raise ValueError(f"model.opt.timestep must be > 0, got {dt}")

    def _check_tensor(self, name: str, x, cols: int, check_nan: bool = True) -> None:
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
        if x.dtype != torch.float32:
            raise ValueError(f"{name} must be torch.float32, got {x.dtype}")
        if tuple(x.shape) != (self.num_envs, cols):
            raise ValueError(f"{name} must have shape ({self.num_envs}, {cols}), got {tuple(x.shape)}")
        if x.device != self._torch_device:
            raise ValueError(f"{name} must be on device {self._torch_device}, got {x.device}")
        if check_nan and not bool(torch.isfinite(x).all()):
            raise ValueError(f"{name} contains NaN or inf")

    # -- launches --------------------------------------------------------------------------------

    def _model_inputs(self):
        return [
            self.body_parentid,
            self.body_rootid,
            self.body_jntnum,
            self.body_jntadr,
            self.body_dofnum,
            self.body_dofadr,
            self.body_pos,
            self.body_quat,
            self.body_ipos,
            self.body_iquat,
            self.body_mass,
            self.body_inertia,
            self.jnt_type,
            self.jnt_bodyid,
            self.jnt_qposadr,
            self.jnt_dofadr,
            self.jnt_pos,
            self.jnt_axis,
        ]

    def _scratch(self):
        return [
            self.xpos,
            self.xquat,
            self.xanchor,
            self.xaxis,
            self.cdof,
            self.cmass,
            self.cmc,
            self.crot,
            self.cvel,
            self.cacc,
            self.cfrc,
            self.qfrc_bias,
            self.qM,
        ]

    def _build_launches(self) -> None:
        # recorded once, replayed by step(): no per-call argument packing or allocation
        self._step_cmd = wp.launch(
            _step_kernel,
            dim=self.num_envs,
            inputs=[
                *self._model_inputs(),
                self.jnt_stiffness,
                self.qpos0,
                self.qpos_spring,
                self.dof_bodyid,
                self.dof_parentid,
                self.dof_armature,
                self.dof_damping,
                self.actuator_dofadr,
                self.actuator_gear,
                self.actuator_ctrlrange,
                self.actuator_ctrllimited,
                self.body_mass_scale,
                self.actuator_gear_scale,
                self.dof_damping_scale,
                self.gravity,
                self.timestep,
                self.substeps,
                self.jnt_limited,
                self.jnt_range,
                self.limit_stiffness,
                self.limit_damping,
                self.body_lastdof,
                self.cgeom_type,
                self.cgeom_bodyid,
                self.cgeom_geomid,
                self.cgeom_pos,
                self.cgeom_quat,
                self.cgeom_size,
                self.cgeom_margin,
                self.cgeom_friction,
                self.plane_normal,
                self.plane_offset,
                self.contact_stiffness,
                self.contact_damping,
                self.friction_eps,
                self.geom_friction_scale,
                self.qpos,
                self.qvel,
                self.ctrl,
            ],
            outputs=[*self._scratch(), self.jac, self.qacc, self.qpos, self.qvel],
            device=self.device,
            record_cmd=True,
        )
        self._forward_cmd = wp.launch(
            _forward_kernel,
            dim=self.num_envs,
            inputs=[
                *self._model_inputs(),
                self.qpos0,
                self.dof_bodyid,
                self.dof_parentid,
                self.dof_armature,
                self.body_mass_scale,
                self.gravity,
                self.qpos,
                self.qvel,
            ],
            outputs=self._scratch(),
            device=self.device,
            record_cmd=True,
        )

    # -- public API ------------------------------------------------------------------------------

    def set_state(self, qpos: torch.Tensor, qvel: torch.Tensor) -> None:
        """Copy generalized positions [N, nq] and velocities [N, nv] (MuJoCo conventions) into the device state."""
        self._check_tensor("qpos", qpos, self.nq)
        self._check_tensor("qvel", qvel, self.nv)
        self._qpos_t.copy_(qpos)
        self._qvel_t.copy_(qvel)

    def get_state(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Zero-copy torch views (qpos [N, nq], qvel [N, nv]) of the device state; the next step overwrites them."""
        return self._qpos_t, self._qvel_t

    def step(self, ctrl: torch.Tensor | None = None) -> None:
        """Advance every env by timestep [s] under controls ctrl [N, nu] (None: keep the last ctrl).

        Checks shape, dtype and device only (NaN checks would need a host sync); no allocation.
        """
        if ctrl is not None:
            self._check_tensor("ctrl", ctrl, self.nu, check_nan=False)
            self._ctrl_t.copy_(ctrl)
        self._step_cmd.launch()

    def forward(self) -> dict[str, torch.Tensor]:
        """Kinematics, mass matrix and bias forces at the current state, as torch views (debug and tests).

        Returns xpos [N, nbody, 3] (world, m), xquat [N, nbody, 4] (w, x, y, z, a copy), qM [N, nv, nv]
        (incl. armature, as mujoco.mj_fullM), qfrc_bias [N, nv] (Coriolis, centrifugal and gravity, as
        MjData.qfrc_bias).
        """
        self._forward_cmd.launch()
        xquat = wp.to_torch(self.xquat)
        return {
            "xpos": wp.to_torch(self.xpos),
            "xquat": xquat[..., [3, 0, 1, 2]],
            "qM": wp.to_torch(self.qM),
            "qfrc_bias": wp.to_torch(self.qfrc_bias),
        }

    def set_params(
        self,
        body_mass_scale: torch.Tensor | None = None,
        actuator_gear_scale: torch.Tensor | None = None,
        dof_damping_scale: torch.Tensor | None = None,
        geom_friction_scale: torch.Tensor | None = None,
    ) -> None:
        """Set per-env multipliers of body mass and inertia [E, nbody], motor gear [E, nu], dof damping [E, nv],
        geom sliding friction [E, ngeom].

        E = 1 shares one row across envs, E = num_envs gives each env its own; env i reads row i % E.
        """
        for name, value, cols in (
            ("body_mass_scale", body_mass_scale, self.nbody),
            ("actuator_gear_scale", actuator_gear_scale, self.nu),
            ("dof_damping_scale", dof_damping_scale, self.nv),
            ("geom_friction_scale", geom_friction_scale, self.ngeom),
        ):
            if value is None:
                continue
            if not isinstance(value, torch.Tensor):
                raise ValueError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
            if value.dtype != torch.float32:
                raise ValueError(f"{name} must be torch.float32, got {value.dtype}")
            if value.ndim != 2 or value.shape[1] != cols or value.shape[0] not in (1, self.num_envs):
                raise ValueError(f"{name} must have shape (1 or {self.num_envs}, {cols}), got {tuple(value.shape)}")
            if value.device != self._torch_device:
                raise ValueError(f"{name} must be on device {self._torch_device}, got {value.device}")
            if not bool(torch.isfinite(value).all()):
                raise ValueError(f"{name} must be finite")
            if name == "body_mass_scale" and not bool((value > 0).all()):
                raise ValueError("body_mass_scale must be > 0 (a massless moving body makes M singular)")
            if bool((value < 0).any()):
                raise ValueError(f"{name} must be >= 0")
            current = getattr(self, name)
            if current.shape[0] != value.shape[0]:
                setattr(self, name, wp.zeros((value.shape[0], cols), dtype=float, device=self.device))
                wp.to_torch(getattr(self, name)).copy_(value)
                self._build_launches()
            else:
                wp.to_torch(current).copy_(value)
