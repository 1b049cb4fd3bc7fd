"""Device-side model and data of the articulated-body pipeline, and the joint and geom type codes.

``Model`` holds what is fixed for a simulation (mujoco.MjModel's names, one row per body, joint, dof,
actuator or collision geom) plus the per-env randomizable multipliers; ``Data`` holds the state and the
per-env scratch every stage writes. Both are plain dataclasses of Warp arrays, built by ``kernels.io``.
Kernels take their fields as flat parameters of the same names (``qpos`` binds ``qpos_in`` and
``qpos_out``), so a launch is assembled by name from these fields (``kernels.forward.launch_inputs``).

Units are SI, positions in the world frame unless stated, quaternions ``wp.quat`` stored x, y, z, w.
N = num_envs; E = 1 (shared) or N rows of a randomizable multiplier, read as ``arr[worldid % E, i]``.
"""

import dataclasses

import warp as wp

import mjcf.model as mjcf_model

wp.set_module_options({"enable_backward": False, "max_unroll": 1})

# mjtJoint and mjtGeom codes: the host-side ints are defined once, in mjcf.model; kernels see them as constants.
JNT_FREE = wp.constant(mjcf_model.JNT_FREE)
JNT_BALL = wp.constant(mjcf_model.JNT_BALL)
JNT_SLIDE = wp.constant(mjcf_model.JNT_SLIDE)
JNT_HINGE = wp.constant(mjcf_model.JNT_HINGE)
GEOM_PLANE = wp.constant(mjcf_model.GEOM_PLANE)
GEOM_SPHERE = wp.constant(mjcf_model.GEOM_SPHERE)
GEOM_CAPSULE = wp.constant(mjcf_model.GEOM_CAPSULE)
GEOM_ELLIPSOID = wp.constant(mjcf_model.GEOM_ELLIPSOID)
GEOM_CYLINDER = wp.constant(mjcf_model.GEOM_CYLINDER)
GEOM_BOX = wp.constant(mjcf_model.GEOM_BOX)

# MuJoCo's solimp (dmin, dmax, width [m], mid, power) of one contact
vec5 = wp.types.vector(length=5, dtype=float)


@dataclasses.dataclass
class Model:
    """Static model on the device: kinematic tree, inertias, joints, actuators, collision geoms, options."""

    # bodies (nbody,), body 0 is the world
    body_parentid: wp.array  # int: parent body id
    body_rootid: wp.array  # int: the tree's root body (child of the world), its origin is the tree's reference point
    body_jntnum: wp.array  # int: number of joints of the body
    body_jntadr: wp.array  # int: first joint id of the body
    body_dofnum: wp.array  # int: number of dofs of the body
    body_dofadr: wp.array  # int: first dof id of the body
    body_lastdof: wp.array  # int: last dof of the body or its nearest ancestor with dofs, -1 if none
    body_pos: wp.array  # vec3 [m]: body frame origin in the parent frame
    body_quat: wp.array  # quat: body frame orientation in the parent frame
    body_ipos: wp.array  # vec3 [m]: center of mass in the body frame
    body_iquat: wp.array  # quat: principal inertia frame in the body frame
    body_fluid_box: wp.array  # vec3 [m]: the inertia-equivalent box's sides for the fluid forces (0: none)
    body_mass: wp.array  # float [kg]
    body_gravcomp: wp.array  # float: share of the body's weight cancelled at its center of mass (MuJoCo's gravcomp)
    body_inertia: wp.array  # vec3 [kg m^2]: principal moments about the center of mass
    # joints (njnt,)
    jnt_type: wp.array  # int: JNT_FREE, JNT_SLIDE or JNT_HINGE
    jnt_bodyid: wp.array  # int: body the joint moves
    jnt_qposadr: wp.array  # int: first qpos index
    jnt_dofadr: wp.array  # int: first dof index
    jnt_pos: wp.array  # vec3 [m]: anchor in the body frame
    jnt_axis: wp.array  # vec3: unit axis in the body frame
    jnt_stiffness: wp.array  # float [N m/rad or N/m]: spring toward qpos_spring
    jnt_limited: wp.array  # int: 1 where the limit spring acts (limited and joint limits enabled)
    jnt_range: wp.array  # vec2 [rad or m]: lower, upper limit
    jnt_margin: wp.array  # float [rad or m]: the limit acts within this distance of the range
    jnt_solref: wp.array  # vec2: MuJoCo's solref of the limit (timeconst [s] >= 2 h, dampratio) or direct
    jnt_solimp: wp.array  # vec5: MuJoCo's solimp of the limit (dmin, dmax, width, mid, power)
    qpos0: wp.array  # float (nq,): reference configuration, hinge/slide positions are measured from it
    qpos_spring: wp.array  # float (nq,): spring rest positions
    # dofs (nv,)
    dof_bodyid: wp.array  # int: body the dof moves
    dof_parentid: wp.array  # int: previous dof on the path to the root, -1 at the root
    dof_armature: wp.array  # float [kg m^2 or kg]: added to the mass-matrix diagonal
    dof_damping: wp.array  # float [N m s/rad or N s/m]: viscous damping, integrated implicitly
    dof_invweight: wp.array  # float: MuJoCo's dof_invweight0, diagonal of M^-1 at qpos0 [1/(kg m^2) or 1/kg]
    dof_frictionloss: wp.array  # float [N m or N]: dry friction bound of the dof's friction row (0: none)
    dof_solref: wp.array  # vec2: MuJoCo's solreffriction of the friction row (timeconst [s] >= 2 h, dampratio)
    dof_solimp: wp.array  # vec5: MuJoCo's solimpfriction of the friction row (dmin, dmax, width, mid, power)
    dof_actfrclimited: wp.array  # int: 1 where the summed actuator force on the dof is clamped (actuatorfrcrange)
    dof_actfrcrange: wp.array  # vec2 [N m or N]: that clamp (MuJoCo's jnt_actfrcrange of the dof's joint)
    dof_actgravcomp: wp.array  # int: where its gravity compensation goes (kernels.io._dof_actuator_gravcomp)
    # actuators (nu,) on one hinge or slide joint each: force = gain ctrl + b0 + b1 gear q + b2 gear qdot
    # (MuJoCo's fixed gain and affine bias; a motor is gain 1, bias 0), clamped where forcelimited
    actuator_dofadr: wp.array  # int: driven dof
    actuator_qposadr: wp.array  # int: qpos index of the driven joint
    actuator_gear: wp.array  # float: joint torque [N m] or force [N] per unit actuator force
    actuator_ctrlrange: wp.array  # vec2: ctrl clamp where ctrllimited
    actuator_ctrllimited: wp.array  # int
    actuator_gain: wp.array  # float: gainprm[0], actuator force per ctrl unit (kp [N m/rad] of a position servo)
    actuator_bias: wp.array  # vec3: biasprm[0:3] (b0 [N m], -kp [N m/rad], -kv [N m s/rad]); 0 unless affine
    actuator_forcerange: wp.array  # vec2 [N m or N]: actuator force clamp where forcelimited
    actuator_forcelimited: wp.array  # int
    # collision geoms against the world plane (ncgeom,), empty without contacts
    cgeom_type: wp.array  # int: GEOM_SPHERE, GEOM_CAPSULE, GEOM_CYLINDER or GEOM_BOX
    cgeom_bodyid: wp.array  # int: body the geom is attached to
    cgeom_geomid: wp.array  # int: the geom's id in the model (column of geom_friction_scale)
    cgeom_pos: wp.array  # vec3 [m]: geom center in the body frame
    cgeom_quat: wp.array  # quat: geom frame in the body frame
    cgeom_size: wp.array  # vec3 [m]: radius / half-length / half-extents, as mujoco geom_size
    cgeom_margin: wp.array  # float [m]: contact margin of the pair with the plane (sum of the two, MuJoCo 4.0)
    cgeom_friction: wp.array  # float: sliding friction of the pair with the plane (0 for condim 1)
    cgeom_condim: wp.array  # int: contact dimensionality of the pair (1, 3 sliding, 4 + torsional, 6 + rolling)
    cgeom_friction_ang: wp.array  # vec2 [m]: torsional and rolling friction of the pair (0 where condim leaves it out)
    cgeom_solref: wp.array  # vec2: the pair's solref (timeconst [s] >= 2 h, dampratio) or (-stiffness, -damping)
    cgeom_solimp: wp.array  # vec5: the pair's solimp (dmin, dmax, width [m], mid, power), clamped as MuJoCo
    cgeom_invweight: wp.array  # float [1/kg]: MuJoCo's body_invweight0 (translation) of the geom's body
    cgeom_pointadr: wp.array  # int: the geom's first column in Data.contact_force (1 sphere, 2 capsule, 8 box points)
    # all geoms (ngeom,), read by the geom pairs
    geom_type: wp.array  # int: mjtGeom
    geom_bodyid: wp.array  # int: body the geom is attached to
    geom_pos: wp.array  # vec3 [m]: geom center in the body frame
    geom_quat: wp.array  # quat: geom frame in the body frame
    geom_size: wp.array  # vec3 [m]: as mujoco geom_size
    # geom pairs that may touch, by MuJoCo's rules (npair,), empty without contacts (kernels.io._self_pairs)
    cpair_geom1: wp.array  # int: first geom, of type <= the second's (the contact normal points from it to the second)
    cpair_geom2: wp.array  # int: second geom
    cpair_margin: wp.array  # float [m]: sum of the two margins
    cpair_solref: wp.array  # vec2: the pair's mixed solref
    cpair_solimp: wp.array  # vec5: the pair's mixed solimp
    cpair_invweight: wp.array  # float [1/kg]: sum of the two bodies' body_invweight0
    cpair_friction: wp.array  # float: the pair's mixed sliding friction (0 for condim 1: one frictionless row)
    cpair_friction_ang: wp.array  # vec2 [m]: its torsional and rolling friction (0 where condim leaves it out)
    cpair_pointadr: wp.array  # int: the pair's first column in the pair_* Data arrays (1, 2 or 8 points)
    cpair_body1: wp.array  # int (npairpoint,): geom 1's body, for each column of the pair_* Data arrays
    cpair_body2: wp.array  # int (npairpoint,): geom 2's body, likewise
    cpair_bound: wp.array  # float [m]: the two geoms' bounding radii plus the margin: farther apart, no contact
    cpair_rbound: wp.array  # float [m]: the smaller of the two bounding radii (multiccd's distinct-point tolerance)
    # active equality constraints (neq,), kernels.equality: connect and weld between bodies, joint couplings
    eq_type: wp.array  # int: mjtEq (0 connect, 1 weld, 2 joint)
    eq_obj1: wp.array  # int: body 1 (connect, weld) or joint 1
    eq_obj2: wp.array  # int: body 2 (the world: 0) or joint 2 (-1: none)
    eq_anchor1: wp.array  # vec3 [m]: the point held, in body 1's frame
    eq_anchor2: wp.array  # vec3 [m]: where it is held, in body 2's frame
    eq_relquat: wp.array  # quat: a weld's relpose orientation (body 2's frame in body 1's at rest)
    eq_torquescale: wp.array  # float: a weld's torquescale (rotational rows' scale)
    eq_poly: wp.array  # vec5: a joint coupling's polycoef (c0 .. c4)
    eq_solref: wp.array  # vec2: solref, clamped as MuJoCo's (timeconst >= 2 h)
    eq_solimp: wp.array  # vec5: solimp, clamped as MuJoCo's
    eq_invweight: wp.array  # vec2: MuJoCo's diagApprox of its rows (translational [1/kg], rotational [1/(kg m^2)])
    # per-env multipliers (E, ...)
    body_mass_scale: wp.array  # float (E, nbody): scales body mass and inertia
    actuator_gear_scale: wp.array  # float (E, nu): scales the motor gear; of a non-motor model, the actuator
    # force before its clamp (motor strength)
    dof_damping_scale: wp.array  # float (E, nv): scales the dof damping
    geom_friction_scale: wp.array  # float (E, ngeom): scales the geom's sliding friction
    # options
    actuator_affine: int  # 1 when any actuator is not a plain motor: the smooth force takes the general law
    gravity: wp.vec3  # [m/s^2]
    timestep: float  # [s]: one step() of the simulator
    substeps: int  # Euler substeps of timestep / substeps per step()
    eulerdamp: int  # 1: damping integrated implicitly (Euler; always for implicitfast); 0: explicitly (flag disabled)
    implicit_actuators: int  # 1 (implicitfast): the servos' velocity terms -b2 gear^2 join the implicit damping
    plane_normal: wp.vec3  # unit normal of the contact plane n . x = plane_offset
    plane_offset: float  # [m]
    hfield: wp.array  # float (nrow, ncol) [m]: terrain heights at world (i hfield_spacing, j hfield_spacing), the
    # plane outside it; (1, 1): no height field (kernels.terrain, Simulator.set_hfield)
    hfield_spacing: float  # [m]: distance between height-field samples along x and y
    contact_impratio: float  # MuJoCo's opt.impratio: friction-to-normal impedance ratio
    contact_pyramidal: int  # 1: MuJoCo's pyramidal friction cone (its default), 0: elliptic (kernels.elliptic)
    fluid: int  # 1: MuJoCo's inertia-box fluid forces (density or viscosity > 0, springs or dampers enabled)
    fluid_density: float  # [kg/m^3]
    fluid_viscosity: float  # [Pa s]
    fluid_wind: wp.vec3  # [m/s, world]: the fluid's velocity
    solver_iterations: int  # most solves per substep while the constraints' active set changes
    ccd_tolerance: float  # [m]: MuJoCo's opt.ccd_tolerance, the general convex collider's GJK / EPA tolerance
    ccd_iterations: int  # MuJoCo's opt.ccd_iterations: GJK's and EPA's
    ccd_multi: int  # 1: multiccd's extra contact points (MuJoCo's default), 0: <flag multiccd="disable">


@dataclasses.dataclass
class Data:
    """Per-env state and scratch on the device; scratch is valid after a step or ``forward()``."""

    qpos: wp.array  # float (N, nq): generalized positions, MuJoCo order
    qvel: wp.array  # float (N, nv): generalized velocities, MuJoCo order
    ctrl: wp.array  # float (N, nu): motor controls
    xpos: wp.array  # vec3 (N, nbody) [m]: body frame origins
    xquat: wp.array  # quat (N, nbody): body frame orientations
    xanchor: wp.array  # vec3 (N, njnt) [m]: joint anchors
    xaxis: wp.array  # vec3 (N, njnt): joint axes (world z for a free joint)
    cdof: wp.array  # spatial_vector (N, nv): dof motion subspaces at the tree's reference point, world axes
    cmass: wp.array  # float (N, nbody) [kg]: body mass, then composite (subtree) mass after crb
    cmc: wp.array  # vec3 (N, nbody) [kg m]: first moment about the tree's reference point, likewise
    crot: wp.array  # mat33 (N, nbody) [kg m^2]: rotational inertia about the body's center of mass, likewise
    cvel: wp.array  # spatial_vector (N, nbody): body velocity (omega [rad/s], v [m/s]) at the reference point
    cacc: wp.array  # spatial_vector (N, nbody): bias acceleration with qacc = 0, gravity as base acceleration
    cfrc: wp.array  # spatial_vector (N, nbody): body force (torque [N m], force [N]), then subtree sums
    qfrc_bias: wp.array  # float (N, nv) [N m or N]: Coriolis, centrifugal and gravity forces
    qM: wp.array  # float (N, nv, nv): mass matrix incl. armature; plus h B after a step
    implicit_b: wp.array  # float (N, nv) [N m s/rad or N s/m]: B, the diagonal velocity damping integrated implicitly
    # this substep: the dof damping times its scale, with implicitfast minus b2 gear^2 of each unclamped servo
    qH: wp.array  # float (N, nv, nv): qM plus the active limit and contact rows; Cholesky factor (lower) after a step
    qfrc_smooth: wp.array  # float (N, nv) [N m or N]: forces without the limit and contact rows, last substep
    qacc: wp.array  # float (N, nv): generalized forces, then accelerations after the solve [m/s^2, rad/s^2]
    # float (N, nv) [m/s^2, rad/s^2]: the Newton iterate a line search starts from (scratch); after a step, the last
    # substep's constraint-solve qacc before the implicit damping (kernels.forward.implicit_damping)
    qacc_prev: wp.array
    jac: wp.array  # float (N, max(nv, 1)): one contact Jacobian row
    contact_jacp: wp.array  # vec3 (N, max(npoint, 1), max(nv, 1)) [m/s per unit qvel]: each point's translational
    # Jacobian J_p, world frame, columns of its body's chain only, this substep (kernels.constraint.point_jacobian)
    contact_force: wp.array  # float (N, max(npoint, 1)) [N]: normal force of each contact point, last substep
    # float (N, max(npoint, 1)) [kg]: D of each row of the point (the normal's under the elliptic cone), 0 outside the
    # margin
    contact_dcoef: wp.array
    contact_fref: wp.array  # float (N, max(npoint, 1)) [m/s^2]: k d r of the point's aref (kernels.contact)
    contact_point: wp.array  # vec3 (N, max(npoint, 1)) [m]: world position of each point in the margin this substep
    contact_normal: wp.array  # vec3 (N, max(npoint, 1)): unit ground normal of each point in the margin, world frame
    contact_vel: wp.array  # vec3 (N, max(npoint, 1)) [m/s]: its velocity, world frame
    contact_frame: wp.array  # vec3 (N, max(npoint, 1)): first tangent t1 of its contact frame, world frame
    contact_mu: wp.array  # float (N, max(npoint, 1)): friction of its pyramid rows (0: one frictionless row)
    contact_mu_ang: wp.array  # vec2 (N, max(npoint, 1)) [m]: its torsional and rolling friction (0: no such rows)
    contact_angvel: wp.array  # vec3 (N, max(npoint, 1)) [rad/s]: angular velocity of its body, world frame
    # int (N, max(npoint, 1)): active rows of each point (bit e: row e), last substep; under the elliptic cone the
    # point's zone (kernels.elliptic: 0 none, 1 every row, 2 the cone's surface)
    contact_mask: wp.array
    contact_frc: wp.array  # vec3 (N, max(npoint, 1)) [N, world]: force of each point's active rows, last substep
    contact_trq: wp.array  # vec3 (N, max(npoint, 1)) [N m, world]: torque of its active torsional and rolling rows on
    # the body, last substep (0 below condim 4)
    limit_mask: wp.array  # int (N, max(njnt, 1)): active sides of each joint limit (bit 0 lower, 1 upper)
    friction_state: wp.array  # int (N, max(nv, 1)): each friction-loss row's state (0 quadratic, 1 at +f, -1 at -f)
    # geom-geom contact points (N, max(npairpoint, 1)), as the contact_* ones; normal from geom 1 to geom 2
    pair_dcoef: (
        wp.array
    )  # float [kg]: D of each row of the point (elliptic: the normal's), 0 outside the margin or idle
    # vec4 [m/s^2]: aref = -b v_e - k d r of each of its rows (row 0 alone for condim 1); under the elliptic cone the
    # normal's aref, then -b v along t1 and t2
    pair_aref: wp.array
    pair_point: wp.array  # vec3 [m]: world position, midway through the penetration
    pair_normal: wp.array  # vec3: unit normal from geom 1 to geom 2, world frame
    pair_frame: wp.array  # vec3: first tangent t1 of the contact frame, world frame
    pair_mu: wp.array  # float: friction of its pyramid rows (0: one frictionless row)
    pair_mu_ang: wp.array  # vec2 [m]: its torsional and rolling friction (0: no such rows)
    pair_aref_rot: wp.array  # vec3 [1/s^2]: -b (omega_2 - omega_1), geom 2's body's angular velocity relative to geom
    # 1's [world]: a torsional or rolling row's aref is the normal's plus w . pair_aref_rot (``spin_roll_edge``'s w)
    pair_mask: wp.array  # int: active rows of each point (bit e: row e) or its elliptic zone, last substep
    pair_force: wp.array  # float [N]: normal force of each point, last substep
    pair_frc: wp.array  # vec3 [N, world]: force of the point's active rows on geom 2 (geom 1 takes minus it)
    pair_trq: wp.array  # vec3 [N m, world]: torque of its active torsional and rolling rows on geom 2 (geom 1: minus)
    # EPA's polytope of the general convex collider (kernels.convex), one per env; (N, 1, ...) for models without
    # such pairs
    epa_vert: wp.array  # vec3 (N, 5 + ccd_iterations, 3) [m]: vertex of g1 - g2, g1's and g2's support points
    epa_face: wp.array  # int (N, 6 ccd_iterations, 7): a face's three vertices, its neighbours, its place in the map
    epa_plane: wp.array  # vec4 (N, 6 ccd_iterations): the origin's projection on the face [m] and its squared norm
    epa_work: wp.array  # int (N, 6 ccd_iterations, 6): the face map, the horizon's search stack and its edges
    # the split solve's hand-over (kernels.forward.SOLVE_TAILS): the envs its head kernel left unsettled after the full
    # Newton steps, for the tail kernel that takes them on with the line search, and their count
    solve_queue: wp.array  # int (N,)
    solve_count: wp.array  # int (1,)
