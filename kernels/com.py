"""MuJoCo's com-based body quantities of one env per call (``@wp.func``): what Gymnasium's v5 observations add.

Definitions from MuJoCo's documentation (Computation chapter) and engine_core_smooth.c: every spatial quantity is
about the center of mass of the body's kinematic tree (``subtree_com[body_rootid]``) with world axes, torque or
angular part first.

- ``tree_com``: MuJoCo's subtree_com of each root body (mj_comPos), the mass-weighted body centers of mass.
- ``body_com_inertia``: MuJoCo's cinert (mj_comPos, mju_inertCom): (I_xx, I_yy, I_zz, I_xy, I_xz, I_yz) of the body
  about the tree's center of mass [kg m^2], mass times the offset of the body's center of mass from it [kg m], mass.
- ``body_com_velocity``: MuJoCo's cvel (mj_comVel): (angular [rad/s], linear [m/s]) velocity of the body at the
  tree's center of mass.
- ``actuator_dof_forces``: MuJoCo's qfrc_actuator of a motor model: gear ctrl on each driven dof [N m or N].
- ``external_forces``: MuJoCo's cfrc_ext (mj_rnePostConstraint): the contact forces on each body as a wrench about
  the tree's center of mass (torque [N m], force [N]). Ours are the forces our contact law applied in the last
  substep (kernels.constraint): each geom-ground point's force, the sum of its active pyramid rows' forces along
  their directions after the solve (``Data.contact_frc``, MuJoCo's mj_contactForce of the same rows) with the torque
  of its torsional and rolling rows (condim 4 / 6, ``Data.contact_trq``), and each geom-geom point's likewise
  (``Data.pair_frc``, ``Data.pair_trq``), equal and opposite on its two bodies.

The first four read the kinematics of whatever state the caller computed them for (xpos, xquat, cvel).
``external_forces`` reads the simulator's Data as a step leaves it: the last substep's state before its Euler update
(kinematics, cvel, cdof), its solved qacc and its contact points and forces.
"""

import warp as wp

from kernels.contact import geom_npoints

wp.set_module_options({"enable_backward": False, "max_unroll": 1})

vec10 = wp.types.vector(length=10, dtype=float)


@wp.func
def tree_com(
    worldid: int,
    # Model:
    body_rootid: wp.array[int],
    body_ipos: wp.array[wp.vec3],
    body_mass: wp.array[float],
    body_mass_scale: wp.array2d[float],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    xquat_in: wp.array2d[wp.quat],
    # Data out:
    tree_com_out: wp.array2d[wp.vec3],
    tree_mass_out: wp.array2d[float],
):
    """Center of mass [m, world] and mass [kg] of each kinematic tree, in its root body's row (MuJoCo's
    subtree_com and subtree mass of the root); rows of other bodies are left as scratch."""
    nbody = body_rootid.shape[0]
    for b in range(1, nbody):
        tree_com_out[worldid, b] = wp.vec3(0.0)
        tree_mass_out[worldid, b] = 0.0
    for b in range(1, nbody):
        root = body_rootid[b]
        mass = body_mass[b] * body_mass_scale[worldid % body_mass_scale.shape[0], b]
        xipos = xpos_in[worldid, b] + wp.quat_rotate(xquat_in[worldid, b], body_ipos[b])
        tree_com_out[worldid, root] = tree_com_out[worldid, root] + mass * xipos
        tree_mass_out[worldid, root] = tree_mass_out[worldid, root] + mass
    for b in range(1, nbody):
        if body_rootid[b] == b and tree_mass_out[worldid, b] > 0.0:
            tree_com_out[worldid, b] = tree_com_out[worldid, b] / tree_mass_out[worldid, b]


@wp.func
def body_com_inertia(
    worldid: int,
    b: int,
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
    tree_com_in: wp.array2d[wp.vec3],
) -> vec10:
    """MuJoCo's cinert of body b: its inertia about the tree's center of mass, world axes [kg m^2] (xx, yy, zz, xy,
    xz, yz), mass times its center of mass offset from the tree's [kg m], mass [kg] (mju_inertCom)."""
    scale = body_mass_scale[worldid % body_mass_scale.shape[0], b]
    mass = body_mass[b] * scale
    rot = xquat_in[worldid, b]
    d = xpos_in[worldid, b] + wp.quat_rotate(rot, body_ipos[b]) - tree_com_in[worldid, body_rootid[b]]
    r = wp.quat_to_matrix(rot * body_iquat[b])
    inertia = r * wp.diag(body_inertia[b] * scale) * wp.transpose(r)
    # parallel axis theorem: I_point = I_com + m (|d|^2 1 - d d^T)
    out = vec10()
    out[0] = inertia[0, 0] + mass * (d[1] * d[1] + d[2] * d[2])
    out[1] = inertia[1, 1] + mass * (d[0] * d[0] + d[2] * d[2])
    out[2] = inertia[2, 2] + mass * (d[0] * d[0] + d[1] * d[1])
    out[3] = inertia[0, 1] - mass * d[0] * d[1]
    out[4] = inertia[0, 2] - mass * d[0] * d[2]
    out[5] = inertia[1, 2] - mass * d[1] * d[2]
    out[6] = mass * d[0]
    out[7] = mass * d[1]
    out[8] = mass * d[2]
    out[9] = mass
    return out


@wp.func
def body_com_velocity(
    worldid: int,
    b: int,
    # Model:
    body_rootid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    cvel_in: wp.array2d[wp.spatial_vector],
    tree_com_in: wp.array2d[wp.vec3],
) -> wp.spatial_vector:
    """MuJoCo's cvel of body b: (angular [rad/s], linear [m/s]) at the tree's center of mass, world axes; the
    simulator's cvel is at the tree's root body origin, so the linear part moves by omega x (com - origin)."""
    root = body_rootid[b]
    v = cvel_in[worldid, b]
    w = wp.spatial_top(v)
    return wp.spatial_vector(w, wp.spatial_bottom(v) + wp.cross(w, tree_com_in[worldid, root] - xpos_in[worldid, root]))


@wp.func
def actuator_dof_force(
    worldid: int,
    d: int,
    # Model:
    actuator_dofadr: wp.array[int],
    actuator_gear: wp.array[float],
    actuator_ctrlrange: wp.array[wp.vec2],
    actuator_ctrllimited: wp.array[int],
    actuator_gear_scale: wp.array2d[float],
    # Data in:
    ctrl_in: wp.array2d[float],
) -> float:
    """MuJoCo's qfrc_actuator of dof d [N m or N] for motor actuators: the sum of gear clamp(ctrl) over the motors
    driving it (the law of kernels.forward.smooth_force with actuator_affine 0)."""
    f = float(0.0)
    for a in range(actuator_dofadr.shape[0]):
        if actuator_dofadr[a] == d:
            c = ctrl_in[worldid, a]
            if actuator_ctrllimited[a] != 0:
                c = wp.clamp(c, actuator_ctrlrange[a][0], actuator_ctrlrange[a][1])
            f += actuator_gear[a] * actuator_gear_scale[worldid % actuator_gear_scale.shape[0], a] * c
    return f


@wp.func
def _point_acceleration(
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
    qacc_in: wp.array2d[float],
) -> wp.vec3:
    """J qacc of a world point on body [m/s^2, world]: the part of its acceleration linear in qacc, which is what
    the contact constraints of kernels.constraint hold implicitly."""
    arm = point - xpos_in[worldid, body_rootid[body]]
    a = wp.vec3(0.0)
    i = body_lastdof[body]
    while i >= 0:
        s = cdof_in[worldid, i]
        a += (wp.spatial_bottom(s) + wp.cross(wp.spatial_top(s), arm)) * qacc_in[worldid, i]
        i = dof_parentid[i]
    return a


@wp.func
def _add_point_force(
    worldid: int,
    body: int,
    point: wp.vec3,
    force: wp.vec3,
    torque: wp.vec3,
    # Model:
    body_rootid: wp.array[int],
    # Data in:
    tree_com_in: wp.array2d[wp.vec3],
    # Data out:
    cfrc_ext_out: wp.array2d[wp.spatial_vector],
):
    """Add a force [N] at a world point and a torque [N m] (world axes) to body's wrench about its tree's center of
    mass (mju_transformSpatial)."""
    arm = point - tree_com_in[worldid, body_rootid[body]]
    wrench = wp.spatial_vector(torque + wp.cross(arm, force), force)
    cfrc_ext_out[worldid, body] = cfrc_ext_out[worldid, body] + wrench


@wp.func
def external_forces(
    worldid: int,
    # Model:
    body_rootid: wp.array[int],
    cgeom_type: wp.array[int],
    cgeom_bodyid: wp.array[int],
    cgeom_pointadr: wp.array[int],
    cpair_body1: wp.array[int],
    cpair_body2: wp.array[int],
    # Data in:
    contact_dcoef_in: wp.array2d[float],
    contact_point_in: wp.array2d[wp.vec3],
    contact_frc_in: wp.array2d[wp.vec3],
    contact_trq_in: wp.array2d[wp.vec3],
    pair_dcoef_in: wp.array2d[float],
    pair_point_in: wp.array2d[wp.vec3],
    pair_frc_in: wp.array2d[wp.vec3],
    pair_trq_in: wp.array2d[wp.vec3],
    tree_com_in: wp.array2d[wp.vec3],
    # Data out:
    cfrc_ext_out: wp.array2d[wp.spatial_vector],
):
    """MuJoCo's cfrc_ext: the contact wrench (torque [N m], force [N]) on every body about its tree's center of mass,
    world axes, from the forces the last substep applied (see the module docstring); 0 for the world body."""
    for b in range(cfrc_ext_out.shape[1]):
        cfrc_ext_out[worldid, b] = wp.spatial_vector()
    for g in range(cgeom_type.shape[0]):
        body = cgeom_bodyid[g]
        for k in range(geom_npoints(cgeom_type[g])):
            idx = cgeom_pointadr[g] + k
            if contact_dcoef_in[worldid, idx] > 0.0:
                _add_point_force(
                    worldid, body, contact_point_in[worldid, idx], contact_frc_in[worldid, idx],
                    contact_trq_in[worldid, idx], body_rootid, tree_com_in, cfrc_ext_out,
                )  # fmt: skip
    for idx in range(cpair_body1.shape[0]):
        # the geom-geom contacts (kernels.constraint.pair_update): pair_frc acts on geom 2, its opposite on geom 1
        if pair_dcoef_in[worldid, idx] > 0.0:
            point = pair_point_in[worldid, idx]
            f = pair_frc_in[worldid, idx]
            t = pair_trq_in[worldid, idx]
            # a static geom of the world body (geom 1 or, a box against a lower type, geom 2): MuJoCo's cfrc_ext of
            # the world stays 0
            body2 = cpair_body2[idx]
            if body2 != 0:
                _add_point_force(worldid, body2, point, f, t, body_rootid, tree_com_in, cfrc_ext_out)
            body1 = cpair_body1[idx]
            if body1 != 0:
                _add_point_force(worldid, body1, point, -f, -t, body_rootid, tree_com_in, cfrc_ext_out)
