"""Smooth dynamics of one env per call (``@wp.func``): kinematics, com inertias, motion subspaces, RNE, CRB.

The order of a pass is kinematics -> com_inertia -> motion_subspace -> rne -> crb: rne reads the body
inertias that crb then turns into composite (subtree) inertias in place, saving a second set of arrays.
Spatial quantities are at each kinematic tree's reference point (the root body's origin) in world
orientation, MuJoCo's com-based frame with the root origin in place of the subtree center of mass.

References: MuJoCo documentation, Computation chapter (smooth dynamics); Featherstone, "Rigid Body
Dynamics Algorithms" (RBDA) ch. 2 (spatial algebra), ch. 5 (RNEA), ch. 6 (CRBA).
"""

import warp as wp

from kernels.spatial import (
    hinge_motion,
    inertia_com_mul_motion,
    motion_cross_force,
    motion_cross_motion,
    quat_from_wxyz,
    slide_motion,
)
from kernels.types import JNT_BALL, JNT_FREE, JNT_HINGE

wp.set_module_options({"enable_backward": False, "max_unroll": 1})


@wp.func
def kinematics(
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
    # while loops, not range(), in every stage here: Warp 1.19's CPU code for a range() loop keeps a range_t and
    # tests its step's sign every iteration, which costs more than these small bodies (same operations, same order)
    nbody = body_parentid.shape[0]
    b = int(1)
    while b < nbody:
        parent = body_parentid[b]
        pos = xpos_out[worldid, parent] + wp.quat_rotate(xquat_out[worldid, parent], body_pos[b])
        rot = xquat_out[worldid, parent] * body_quat[b]
        j = body_jntadr[b]
        jend = j + body_jntnum[b]
        while j < jend:
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
            elif jtype == JNT_BALL:
                # qpos is the rotation itself (not relative to qpos0), about the anchor, which stays put (MuJoCo's
                # mj_kinematics); the compiler keeps a ball the body's last rotation
                jpos = jnt_pos[j]
                anchor = pos + wp.quat_rotate(rot, jpos)
                xanchor_out[worldid, j] = anchor
                xaxis_out[worldid, j] = wp.quat_rotate(rot, jnt_axis[j])
                qball = wp.normalize(
                    quat_from_wxyz(
                        qpos_in[worldid, qadr],
                        qpos_in[worldid, qadr + 1],
                        qpos_in[worldid, qadr + 2],
                        qpos_in[worldid, qadr + 3],
                    )
                )
                rot = rot * qball
                pos = anchor - wp.quat_rotate(rot, jpos)
            else:
                # a joint at its body's origin (most MJCF joints: pos defaults to 0) moves no point off the
                # origin, and the two rotations of its zero offset are skipped (the same values)
                jpos = jnt_pos[j]
                offset = jpos[0] != 0.0 or jpos[1] != 0.0 or jpos[2] != 0.0
                anchor = pos
                if offset:
                    anchor = pos + wp.quat_rotate(rot, jpos)
                axis = wp.quat_rotate(rot, jnt_axis[j])
                xanchor_out[worldid, j] = anchor
                xaxis_out[worldid, j] = axis
                dq = qpos_in[worldid, qadr] - qpos0[qadr]
                if jtype == JNT_HINGE:
                    # rotate about the anchor, so the anchor stays put
                    rot = rot * wp.quat_from_axis_angle(jnt_axis[j], dq)
                    if offset:
                        pos = anchor - wp.quat_rotate(rot, jpos)
                else:
                    pos = pos + axis * dq
            j += 1
        xpos_out[worldid, b] = pos
        xquat_out[worldid, b] = wp.normalize(rot)
        b += 1


@wp.func
def com_inertia(
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
    """Spatial inertia of every body: mass [kg], first moment [kg m] about its tree's reference point (root body
    origin) and rotational inertia [kg m^2] about its own center of mass, world orientation.

    The rotational inertia stays at the center of mass: moved to the reference point it would carry terms of
    size m |c|^2 that cancel in float32 wherever c is large next to the body (see ``crb``).
    """
    nbody = body_rootid.shape[0]
    b = int(1)
    while b < nbody:
        scale = body_mass_scale[worldid % body_mass_scale.shape[0], b]
        mass = body_mass[b] * scale
        rot = xquat_in[worldid, b]
        offset = xpos_in[worldid, b] + wp.quat_rotate(rot, body_ipos[b]) - xpos_in[worldid, body_rootid[b]]
        cmass_out[worldid, b] = mass
        cmc_out[worldid, b] = mass * offset
        r = wp.quat_to_matrix(rot * body_iquat[b])
        # r diag(I) as its columns scaled: a 3 x 3 product with a diagonal matrix multiplies by its zeros too (the
        # same values; only a zero's sign could differ)
        inertia = body_inertia[b] * scale
        rd = wp.mat33(
            r[0, 0] * inertia[0], r[0, 1] * inertia[1], r[0, 2] * inertia[2],
            r[1, 0] * inertia[0], r[1, 1] * inertia[1], r[1, 2] * inertia[2],
            r[2, 0] * inertia[0], r[2, 1] * inertia[1], r[2, 2] * inertia[2],
        )  # fmt: skip
        crot_out[worldid, b] = rd * wp.transpose(r)
        b += 1


@wp.func
def motion_subspace(
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
    njnt = jnt_type.shape[0]
    j = int(0)
    while j < njnt:
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
        elif jtype == JNT_BALL:
            # rotations about the body axes through the anchor, as a free joint's (MuJoCo's mj_comPos)
            rmat = wp.quat_to_matrix(xquat_in[worldid, body])
            for k in range(3):
                e = wp.vec3(0.0)
                e[k] = 1.0
                cdof_out[worldid, dadr + k] = hinge_motion(rmat * e, xanchor_in[worldid, j], point)
        elif jtype == JNT_HINGE:
            cdof_out[worldid, dadr] = hinge_motion(xaxis_in[worldid, j], xanchor_in[worldid, j], point)
        else:
            cdof_out[worldid, dadr] = slide_motion(xaxis_in[worldid, j])
        j += 1


@wp.func
def rne(
    worldid: int,
    # Model:
    body_parentid: wp.array[int],
    body_jntnum: wp.array[int],
    body_jntadr: wp.array[int],
    body_dofnum: wp.array[int],
    body_dofadr: wp.array[int],
    jnt_type: wp.array[int],
    jnt_dofadr: wp.array[int],
    gravity: wp.vec3,
    # Data in:
    qvel_in: wp.array2d[float],
    cdof_in: wp.array2d[wp.spatial_vector],
    cmass_in: wp.array2d[float],
    cmc_in: wp.array2d[wp.vec3],
    crot_in: wp.array2d[wp.mat33],
    # Data out:
    cvel_out: wp.array2d[wp.spatial_vector],
    cacc_out: wp.array2d[wp.spatial_vector],
    cfrc_out: wp.array2d[wp.spatial_vector],
    qfrc_bias_out: wp.array2d[float],
):
    """Bias forces C(q, qdot) + g(q) [N m, N] in joint space by recursive Newton-Euler with qacc = 0 (RBDA ch. 5).

    Also leaves the body velocities in cvel_out (read by the contacts) and the subtree forces in cfrc_out.
    """
    nbody = body_parentid.shape[0]

    # forward pass; gravity enters as a fictitious base acceleration -g (RBDA ch. 5), a pure translation,
    # hence the same at every tree's reference point
    cvel_out[worldid, 0] = wp.spatial_vector()
    cacc_out[worldid, 0] = wp.spatial_vector(wp.vec3(0.0), -gravity)
    b = int(1)
    while b < nbody:
        parent = body_parentid[b]
        vel = cvel_out[worldid, parent]
        acc = cacc_out[worldid, parent]
        j = body_jntadr[b]
        jend = j + body_jntnum[b]
        while j < jend:
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
            elif jnt_type[j] == JNT_BALL:
                # the three body-fixed rotation axes, all carried by the velocity before the ball (mj_comVel)
                before = vel
                for k in range(3):
                    qd = qvel_in[worldid, dadr + k]
                    acc = acc + motion_cross_motion(before, cdof_in[worldid, dadr + k]) * qd
                    vel = vel + cdof_in[worldid, dadr + k] * qd
            else:
                qd = qvel_in[worldid, dadr]
                acc = acc + motion_cross_motion(vel, cdof_in[worldid, dadr]) * qd
                vel = vel + cdof_in[worldid, dadr] * qd
            j += 1
        cvel_out[worldid, b] = vel
        cacc_out[worldid, b] = acc
        mass = cmass_in[worldid, b]
        com = wp.vec3(0.0)  # a massless body has no momentum wherever its center is put
        if mass > 0.0:
            com = cmc_in[worldid, b] * (1.0 / mass)
        rot = crot_in[worldid, b]
        cfrc_out[worldid, b] = inertia_com_mul_motion(mass, com, rot, acc) + motion_cross_force(
            vel, inertia_com_mul_motion(mass, com, rot, vel)
        )
        b += 1

    # backward pass: project body forces on the dofs, pass subtree forces to the parent
    b = nbody - 1
    while b > 0:
        d = body_dofadr[b]
        dend = d + body_dofnum[b]
        while d < dend:
            qfrc_bias_out[worldid, d] = wp.dot(cdof_in[worldid, d], cfrc_out[worldid, b])
            d += 1
        parent = body_parentid[b]
        if parent > 0:
            cfrc_out[worldid, parent] = cfrc_out[worldid, parent] + cfrc_out[worldid, b]
        b -= 1


@wp.func
def crb(
    worldid: int,
    # Model:
    body_parentid: wp.array[int],
    dof_bodyid: wp.array[int],
    dof_parentid: wp.array[int],
    dof_armature: wp.array[float],
    # Data in:
    cdof_in: wp.array2d[wp.spatial_vector],
    # Data out:
    cmass_out: wp.array2d[float],
    cmc_out: wp.array2d[wp.vec3],
    crot_out: wp.array2d[wp.mat33],
    qM_out: wp.array3d[float],
):
    """Mass matrix M(q) incl. armature [kg m^2, kg m, kg] by composite rigid bodies (RBDA ch. 6), joint space.

    The body inertias in cmass/cmc/crot become composite (subtree) inertias in place: mass, first moment about
    the reference point, rotational inertia about the subtree's center of mass.

    Why at the center of mass: a small body far from its tree's reference point has an inertia about that point
    of size m |c|^2 and motion subspaces of size |c|, whose products cancel down to M_ii ~ m |c - anchor|^2 +
    I_c. In float32 that cancellation cost M_ii up to 1.5e-4 of its value (3e-4 of qacc) on random trees of
    0.1-0.9 kg bodies 1-2 m from the root, where MuJoCo (float64, the same com-based formulation) loses nothing
    (docs/physics.md, tests/test_conditioning.py).
    Composites combined at their centers of mass and each dof's motion taken at that center keep every term of
    the size of the result.
    """
    b = body_parentid.shape[0] - 1
    while b > 0:
        parent = body_parentid[b]
        if parent > 0:
            # parallel-axis combination of two inertias at their own centers (positive terms only):
            # I = I_1 + I_2 + m_1 m_2 / (m_1 + m_2) (|d|^2 1 - d d^T), d = c_1 - c_2 = e / (m_1 m_2) with
            # e = m_2 h_1 - m_1 h_2 (one division instead of six)
            m1 = cmass_out[worldid, parent]
            m2 = cmass_out[worldid, b]
            h1 = cmc_out[worldid, parent]
            h2 = cmc_out[worldid, b]
            rot = crot_out[worldid, parent] + crot_out[worldid, b]
            if m1 > 0.0 and m2 > 0.0:
                e = m2 * h1 - m1 * h2
                k = 1.0 / (m1 * m2 * (m1 + m2))
                rot = rot + k * (wp.dot(e, e) * wp.identity(n=3, dtype=float) - wp.outer(e, e))
            cmass_out[worldid, parent] = m1 + m2
            cmc_out[worldid, parent] = h1 + h2
            crot_out[worldid, parent] = rot
        b -= 1

    # M[i, j] = cdof_j . (Ic_body(i) cdof_i) for j = i and the dof ancestors of i; every other entry is
    # structurally zero
    nv = dof_bodyid.shape[0]
    # while loops: Warp 1.19's CPU code for a range() loop keeps a range_t and tests its step's sign every
    # iteration; this zeroing took 0.81 us per 23 x 23 matrix that way and 0.16 us as while loops on this CPU
    i = int(0)
    while i < nv:
        j = int(0)
        while j < nv:
            qM_out[worldid, i, j] = 0.0
            j += 1
        i += 1
    i = int(0)
    while i < nv:
        b = dof_bodyid[i]
        mass = cmass_out[worldid, b]
        mc = cmc_out[worldid, b]
        inv_mass = float(0.0)
        if mass > 0.0:
            inv_mass = 1.0 / mass
        w = wp.spatial_top(cdof_in[worldid, i])
        # the momentum the dof gives the subtree at its center of mass c = mc / m: lin = m (v + w x c), and
        # M_ii = w . I_c w + m |v + w x c|^2 = w . I_c w + |lin|^2 / m
        lin = mass * wp.spatial_bottom(cdof_in[worldid, i]) + wp.cross(w, mc)
        ang = crot_out[worldid, b] * w
        qM_out[worldid, i, i] = wp.dot(w, ang) + wp.dot(lin, lin) * inv_mass + dof_armature[i]
        # the momentum moved to the reference point, where the ancestors' cdof live
        f = wp.spatial_vector(ang + wp.cross(mc, lin) * inv_mass, lin)
        j = dof_parentid[i]
        while j >= 0:
            mij = wp.dot(cdof_in[worldid, j], f)
            qM_out[worldid, i, j] = mij
            qM_out[worldid, j, i] = mij
            j = dof_parentid[j]
        i += 1


@wp.func
def fluid_forces(
    worldid: int,
    # Model:
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    body_ipos: wp.array[wp.vec3],
    body_iquat: wp.array[wp.quat],
    body_fluid_box: wp.array[wp.vec3],
    dof_parentid: wp.array[int],
    fluid_density: float,
    fluid_viscosity: float,
    fluid_wind: wp.vec3,
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    xquat_in: wp.array2d[wp.quat],
    cvel_in: wp.array2d[wp.spatial_vector],
    cdof_in: wp.array2d[wp.spatial_vector],
    # Data out:
    qfrc_out: wp.array2d[float],
):
    """Add MuJoCo's inertia-box fluid forces [N m, N] (mj_inertiaBoxFluidModel) to qfrc: each body with mass is a box
    of its inertia's equivalent dimensions (body_fluid_box [m], full lengths along its principal axes) moving through
    a fluid of density [kg/m^3] and viscosity [Pa s] at the wind's velocity [m/s, world]; Stokes drag, -pi d^3 mu w
    and -3 pi d mu v (d the boxes' mean side), plus quadratic drag on each principal axis, in the inertial frame at
    the center of mass, mapped to the dofs by the body's Jacobian."""
    nbody = body_rootid.shape[0]
    b = int(1)
    while b < nbody:
        box = body_fluid_box[b]
        if box[0] > 0.0:
            rot = xquat_in[worldid, b] * body_iquat[b]
            com = xpos_in[worldid, b] + wp.quat_rotate(xquat_in[worldid, b], body_ipos[b])
            offset = com - xpos_in[worldid, body_rootid[b]]
            vel = cvel_in[worldid, b]
            w = wp.quat_rotate_inv(rot, wp.spatial_top(vel))
            v = wp.quat_rotate_inv(rot, wp.spatial_bottom(vel) + wp.cross(wp.spatial_top(vel), offset) - fluid_wind)
            torque = wp.vec3(0.0)
            force = wp.vec3(0.0)
            if fluid_viscosity > 0.0:
                diam = (box[0] + box[1] + box[2]) / 3.0
                torque = -wp.pi * diam * diam * diam * fluid_viscosity * w
                force = -3.0 * wp.pi * diam * fluid_viscosity * v
            if fluid_density > 0.0:
                rho = fluid_density
                b0 = box[0]
                b1 = box[1]
                b2 = box[2]
                force = force - 0.5 * rho * wp.vec3(
                    b1 * b2 * wp.abs(v[0]) * v[0], b0 * b2 * wp.abs(v[1]) * v[1], b0 * b1 * wp.abs(v[2]) * v[2]
                )
                torque = torque - rho / 64.0 * wp.vec3(
                    b0 * (b1 * b1 * b1 * b1 + b2 * b2 * b2 * b2) * wp.abs(w[0]) * w[0],
                    b1 * (b0 * b0 * b0 * b0 + b2 * b2 * b2 * b2) * wp.abs(w[1]) * w[1],
                    b2 * (b0 * b0 * b0 * b0 + b1 * b1 * b1 * b1) * wp.abs(w[2]) * w[2],
                )
            # the wrench at the tree's reference point, world axes (cdof's frame): torque + offset x force
            fw = wp.quat_rotate(rot, force)
            wrench = wp.spatial_vector(wp.quat_rotate(rot, torque) + wp.cross(offset, fw), fw)
            d = body_lastdof[b]
            while d >= 0:
                qfrc_out[worldid, d] = qfrc_out[worldid, d] + wp.dot(cdof_in[worldid, d], wrench)
                d = dof_parentid[d]
        b += 1
