"""Host-side model of a compiled MJCF file: `Model` and `Option`, and the type codes shared with kernels/.

The `Model` mirrors `mujoco.MjModel`: every field has MuJoCo's name, shape, units and frame, so a test
compares `model.X` with `mj_model.X` directly and the articulated-body simulator (kernels/articulation.py)
can be written against MuJoCo's documentation. The integer codes below are MuJoCo's enum values; the Warp
kernels wrap these same numbers in `wp.constant`, so they are defined here once.
"""

from __future__ import annotations

import dataclasses

import numpy as np

# mjtJoint
JNT_FREE, JNT_BALL, JNT_SLIDE, JNT_HINGE = 0, 1, 2, 3
# mjtGeom (1 is MuJoCo's height field, which the loader rejects)
GEOM_PLANE, GEOM_HFIELD, GEOM_SPHERE, GEOM_CAPSULE, GEOM_ELLIPSOID, GEOM_CYLINDER, GEOM_BOX = 0, 1, 2, 3, 4, 5, 6
# mjtIntegrator, mjtCone
INTEGRATORS = {"Euler": 0, "RK4": 1, "implicit": 2, "implicitfast": 3}
CONES = {"pyramidal": 0, "elliptic": 1}
# mjtDisableBit and mjtEnableBit (MuJoCo 4.0), by their <option><flag> attribute names
DISABLE_FLAGS = {
    name: 1 << i
    for i, name in enumerate(
        "constraint equality frictionloss limit contact spring damper gravity clampctrl warmstart filterparent "
        "actuation refsafe sensor midphase eulerdamp autoreset nativeccd island multiccd".split()
    )
}
ENABLE_FLAGS = {
    name: 1 << i for i, name in enumerate("override energy fwdinv invdiscrete sleep diagexact ipc speculative".split())
}
# mjtTrn, mjtDyn, mjtGain, mjtBias: the actuator types the loader compiles (motor: fixed gain, no bias;
# position servo: fixed gain kp, affine bias -kp q - kv qdot)
TRN_JOINT = 0
DYN_NONE = 0
GAIN_FIXED = 0
BIAS_NONE, BIAS_AFFINE = 0, 1
NGAIN = NBIAS = 10  # mjNGAIN, mjNBIAS: length of actuator_gainprm / actuator_biasprm rows

MJ_EPS = 1e-14  # user_util.h mjEPS: "minimum value in various calculations"
MJ_MINVAL = 1e-15  # mjtype.h mjMINVAL: "minimum value in any denominator"


@dataclasses.dataclass
class Option:
    """Physics options (MuJoCo `mjOption` subset).

    Attributes:
        timestep: integration step, seconds.
        gravity: (3,) gravitational acceleration in the world frame, m/s^2.
        integrator: mjtIntegrator (Euler=0, RK4=1, implicit=2, implicitfast=3).
        cone: mjtCone friction cone of MuJoCo's solver (pyramidal=0, elliptic=1).
        impratio: MuJoCo's frictional-to-normal constraint impedance ratio (dimensionless).
        disableflags, enableflags: mjtDisableBit / mjtEnableBit masks of `<flag>` (DISABLE_FLAGS, ENABLE_FLAGS).
        density: fluid density, kg/m^3; viscosity: fluid viscosity, Pa s; wind: (3,) fluid velocity in the world
            frame, m/s (MuJoCo's inertia-box fluid model when density or viscosity is positive).
        ccd_tolerance: tolerance of the general convex collider's GJK and EPA, m; ccd_iterations: their iterations.
    """

    timestep: float = 0.002
    gravity: np.ndarray = dataclasses.field(default_factory=lambda: np.array([0.0, 0.0, -9.81]))
    integrator: int = 0
    cone: int = 0
    impratio: float = 1.0
    disableflags: int = 0
    enableflags: int = 0
    density: float = 0.0
    viscosity: float = 0.0
    wind: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(3))
    ccd_tolerance: float = 1e-6
    ccd_iterations: int = 35


@dataclasses.dataclass
class Model:
    """Compiled model, field for field as `mujoco.MjModel` (float64 host arrays, SI units, z up).

    Frames: "parent frame" is the parent body's frame, "body frame" the body's own frame; quaternions are
    (w, x, y, z) unit quaternions; world body 0 is included in every body array. Angles are radians
    (the loader converts degrees per `compiler angle`). Indices are int32, -1 meaning "none".

    Sizes:
        nbody: number of bodies including the world body 0.
        njnt: number of joints. nq: generalized positions. nv: degrees of freedom. nu: actuators.
        ngeom: number of geoms (visual-only mesh geoms, which the loader skips, are not counted; MuJoCo
            counts them). nkey: keyframes. nexclude: excluded body pairs.

    Bodies (nbody, ...), in depth-first document order:
        body_parentid: parent body id (world: 0).
        body_rootid: id of the top-level ancestor (a child of the world); world: 0.
        body_weldid: id of the nearest ancestor-or-self with joints (bodies welded to it move with it).
        body_jntnum, body_jntadr: number of joints and first joint id (-1 if none).
        body_dofnum, body_dofadr: number of dofs and first dof id (-1 if none).
        body_pos: (nbody, 3) body frame position in the parent frame, m.
        body_quat: (nbody, 4) body frame orientation in the parent frame.
        body_ipos: (nbody, 3) center of mass (inertial frame origin) in the body frame, m.
        body_iquat: (nbody, 4) principal-axes (inertial) frame orientation in the body frame.
        body_mass: (nbody,) kg.
        body_inertia: (nbody, 3) principal moments of inertia about the center of mass, in the inertial
            frame's axes, kg m^2.
        body_gravcomp: (nbody,) share of the body's weight cancelled by an upward force at its center of mass
            (MuJoCo's gravcomp: 1 floats it).

    Joints (njnt, ...), in document order:
        jnt_type: mjtJoint (FREE=0, BALL=1, SLIDE=2, HINGE=3).
        jnt_bodyid: body the joint moves (relative to its parent).
        jnt_qposadr, jnt_dofadr: first index into qpos / qvel.
        jnt_pos: (njnt, 3) joint anchor in the body frame, m (zero for free joints).
        jnt_axis: (njnt, 3) unit axis in the body frame (hinge: rotation axis, slide: translation axis;
            (0, 0, 1) for free and ball joints).
        jnt_stiffness: spring stiffness, N m/rad (hinge) or N/m (slide); free/ball: per unit of the
            rotation vector and displacement.
        jnt_range: (njnt, 2) limits, rad (hinge, ball: max angle in [1]) or m (slide). Converted from
            degrees only for limited joints, exactly as MuJoCo does.
        jnt_limited: (njnt,) bool, whether the range is enforced.
        jnt_margin: limit activation distance of MuJoCo's solver, rad or m.
        jnt_solref: (njnt, 2), jnt_solimp: (njnt, 5) MuJoCo solver parameters of the joint limit.
        jnt_actfrclimited: (njnt,) bool, jnt_actfrcrange: (njnt, 2) N m or N: clamp of the summed actuator force on
            a hinge or slide joint (actuatorfrcrange; never set on ball and free joints, as MuJoCo).
        jnt_actgravcomp: (njnt,) bool, whether the gravity compensation of the joint's dofs is applied through the
            actuators (actuatorgravcomp: counted in qfrc_actuator and its actuatorfrcrange clamp) instead of as a
            passive force.

    Generalized coordinates:
        qpos0: (nq,) reference configuration (free: body pos + quat in the world frame; ball: identity;
            hinge/slide: `ref`), rad or m.
        qpos_spring: (nq,) spring rest configuration (hinge/slide: `springref`; free/ball: as qpos0).

    Dofs (nv, ...):
        dof_bodyid, dof_jntid: owning body and joint.
        dof_parentid: parent dof in the kinematic tree (-1 for the first dof of a tree).
        dof_armature: rotor inertia added to the mass matrix diagonal, kg m^2 or kg.
        dof_damping: viscous damping, N m s/rad or N s/m.
        dof_frictionloss: dry friction, N m or N.
        dof_solref, dof_solimp: (nv, 2) and (nv, 5) solreffriction / solimpfriction of the friction-loss row.

    Geoms (ngeom, ...), grouped by body in body order (mesh geoms with contype = conaffinity = 0 that add
    no mass are left out, so geom ids differ from MuJoCo's when a model has them; compare by name):
        geom_type: mjtGeom (PLANE=0, SPHERE=2, CAPSULE=3, ELLIPSOID=4, CYLINDER=5, BOX=6).
        geom_bodyid: owning body.
        geom_size: (ngeom, 3) m: sphere (r, -, -), capsule/cylinder (r, half-length, -), box and
            ellipsoid half-sizes, plane (half-x, half-y, grid spacing; 0 half-size = infinite).
        geom_pos: (ngeom, 3) position in the body frame, m.
        geom_quat: (ngeom, 4) orientation in the body frame (capsule/cylinder axis = local z).
        geom_friction: (ngeom, 3) sliding (dimensionless), torsional (m), rolling (m) coefficients.
        geom_contype, geom_conaffinity: contact bitmasks. geom_condim: contact dimensionality (1, 3, 4, 6).
        geom_priority, geom_solmix: contact-mixing parameters.
        geom_margin, geom_gap: contact activation distance and inactive gap, m.
        geom_solref: (ngeom, 2), geom_solimp: (ngeom, 5) MuJoCo contact solver parameters.

    Actuators (nu, ...), in document order. MuJoCo's force law with no activation dynamics:
    force = gainprm[0] * ctrl + biasprm[0] + biasprm[1] * length + biasprm[2] * velocity, with
    length = gear[0] * q and velocity = gear[0] * qdot of the joint, clamped to forcerange when forcelimited;
    the joint receives gear[0] * force. A <motor> has gainprm[0] = 1 and no bias (force = ctrl); a
    <position> servo has gainprm[0] = kp and biasprm = (0, -kp, -kv), i.e. force = kp (ctrl - length) - kv velocity.
        actuator_trntype: mjtTrn transmission type (JOINT=0, the only one compiled).
        actuator_dyntype: mjtDyn activation dynamics (NONE=0, the only one compiled).
        actuator_gaintype: mjtGain (FIXED=0). actuator_biastype: mjtBias (NONE=0 motor, AFFINE=1 position).
        actuator_gainprm: (nu, 10) gain parameters; [0] in N m (or N) per control unit (kp: N m/rad or N/m).
        actuator_biasprm: (nu, 10) bias parameters; [1] = -kp in N m/rad or N/m, [2] = -kv in N m s/rad or N s/m.
        actuator_trnid: (nu, 2) transmission target: [joint id, -1].
        actuator_gear: (nu, 6) gear; [0] scales the control into joint force/torque (N or N m per unit).
        actuator_ctrlrange: (nu, 2), actuator_ctrllimited: (nu,) bool: control clamp.
        actuator_forcerange: (nu, 2), actuator_forcelimited: (nu,) bool: actuator force clamp, N or N m.

    Keyframes (nkey, ...), from <keyframe><key>; entries a key leaves out are qpos0 (qpos) or zero:
        key_time: (nkey,) s. key_qpos: (nkey, nq) as qpos (angles as written, never converted).
        key_qvel: (nkey, nv). key_ctrl: (nkey, nu) control units.

    Contact exclusions, from <contact><exclude body1 body2>: no contacts between geoms of the two bodies.
        exclude_signature: (nexclude,) int32 (min(body1, body2) << 16) + max(body1, body2), as MuJoCo's.

    Explicit contact pairs (npair), from <contact><pair>: geoms that collide whatever their contype / conaffinity,
    with the pair's own parameters (MuJoCo 4.0's defaults where not given, not the geoms' mix), geom1's body id <=
    geom2's, sorted by pair_signature (body1 << 16) + body2 as MuJoCo's compiler does: pair_geom1, pair_geom2,
    pair_dim (condim), pair_friction (5: slide, slide, spin, roll, roll), pair_solref, pair_solreffriction,
    pair_solimp, pair_margin [m], pair_gap [m], pair_signature.

    Equality constraints (neq), from <equality>'s connect, weld (between bodies) and joint elements: eq_type (mjtEq),
    eq_obj1id / eq_obj2id (bodies, or joints), eq_objtype, eq_active0, and MuJoCo's eq_data:
        connect: (anchor in body 1 [m], the same point in body 2's frame at qpos0); weld: (anchor in body 2, the same
        point in body 1's frame, relpose quaternion (wxyz; body 2's frame in body 1's at qpos0 unless given),
        torquescale); joint: polycoef (5). eq_solref / eq_solimp as written (MuJoCo clamps at run time).

    Options: `opt` (an `Option`), also flat as `opt_timestep` (s) and `opt_gravity` (3,), m/s^2.

    Names ("" when unnamed; body 0 is "world"): body_names, joint_names, geom_names, actuator_names,
    key_names, eq_names.
    """

    nbody: int
    njnt: int
    nq: int
    nv: int
    nu: int
    ngeom: int
    nkey: int
    nexclude: int
    body_parentid: np.ndarray  # (nbody,) int32
    body_rootid: np.ndarray  # (nbody,) int32
    body_weldid: np.ndarray  # (nbody,) int32
    body_jntnum: np.ndarray  # (nbody,) int32
    body_jntadr: np.ndarray  # (nbody,) int32
    body_dofnum: np.ndarray  # (nbody,) int32
    body_dofadr: np.ndarray  # (nbody,) int32
    body_pos: np.ndarray  # (nbody, 3) m, parent frame
    body_quat: np.ndarray  # (nbody, 4) wxyz, parent frame
    body_ipos: np.ndarray  # (nbody, 3) m, body frame
    body_iquat: np.ndarray  # (nbody, 4) wxyz, body frame
    body_mass: np.ndarray  # (nbody,) kg
    body_inertia: np.ndarray  # (nbody, 3) kg m^2, inertial frame
    body_gravcomp: np.ndarray  # (nbody,) share of the weight cancelled
    jnt_type: np.ndarray  # (njnt,) int32 mjtJoint
    jnt_bodyid: np.ndarray  # (njnt,) int32
    jnt_qposadr: np.ndarray  # (njnt,) int32
    jnt_dofadr: np.ndarray  # (njnt,) int32
    jnt_pos: np.ndarray  # (njnt, 3) m, body frame
    jnt_axis: np.ndarray  # (njnt, 3) unit, body frame
    jnt_stiffness: np.ndarray  # (njnt,) N m/rad or N/m
    jnt_range: np.ndarray  # (njnt, 2) rad or m
    jnt_limited: np.ndarray  # (njnt,) bool
    jnt_margin: np.ndarray  # (njnt,) rad or m
    jnt_solref: np.ndarray  # (njnt, 2)
    jnt_solimp: np.ndarray  # (njnt, 5)
    jnt_actfrclimited: np.ndarray  # (njnt,) bool
    jnt_actfrcrange: np.ndarray  # (njnt, 2) N m or N
    jnt_actgravcomp: np.ndarray  # (njnt,) bool
    qpos0: np.ndarray  # (nq,) rad, m, quaternion
    qpos_spring: np.ndarray  # (nq,) rad, m, quaternion
    dof_bodyid: np.ndarray  # (nv,) int32
    dof_jntid: np.ndarray  # (nv,) int32
    dof_parentid: np.ndarray  # (nv,) int32
    dof_armature: np.ndarray  # (nv,) kg m^2 or kg
    dof_damping: np.ndarray  # (nv,) N m s/rad or N s/m
    dof_frictionloss: np.ndarray  # (nv,) N m or N
    dof_solref: np.ndarray  # (nv, 2)
    dof_solimp: np.ndarray  # (nv, 5)
    geom_type: np.ndarray  # (ngeom,) int32 mjtGeom
    geom_bodyid: np.ndarray  # (ngeom,) int32
    geom_size: np.ndarray  # (ngeom, 3) m
    geom_pos: np.ndarray  # (ngeom, 3) m, body frame
    geom_quat: np.ndarray  # (ngeom, 4) wxyz, body frame
    geom_friction: np.ndarray  # (ngeom, 3) -, m, m
    geom_contype: np.ndarray  # (ngeom,) int32 bitmask
    geom_conaffinity: np.ndarray  # (ngeom,) int32 bitmask
    geom_condim: np.ndarray  # (ngeom,) int32
    geom_priority: np.ndarray  # (ngeom,) int32
    geom_solmix: np.ndarray  # (ngeom,)
    geom_margin: np.ndarray  # (ngeom,) m
    geom_gap: np.ndarray  # (ngeom,) m
    geom_solref: np.ndarray  # (ngeom, 2)
    geom_solimp: np.ndarray  # (ngeom, 5)
    actuator_trntype: np.ndarray  # (nu,) int32 mjtTrn
    actuator_dyntype: np.ndarray  # (nu,) int32 mjtDyn
    actuator_gaintype: np.ndarray  # (nu,) int32 mjtGain
    actuator_biastype: np.ndarray  # (nu,) int32 mjtBias
    actuator_gainprm: np.ndarray  # (nu, 10) [0]: N m (N) per control unit
    actuator_biasprm: np.ndarray  # (nu, 10) [1]: N m/rad (N/m), [2]: N m s/rad (N s/m)
    actuator_trnid: np.ndarray  # (nu, 2) int32
    actuator_gear: np.ndarray  # (nu, 6)
    actuator_ctrlrange: np.ndarray  # (nu, 2) control units
    actuator_ctrllimited: np.ndarray  # (nu,) bool
    actuator_forcerange: np.ndarray  # (nu, 2) N or N m
    actuator_forcelimited: np.ndarray  # (nu,) bool
    key_time: np.ndarray  # (nkey,) s
    key_qpos: np.ndarray  # (nkey, nq)
    key_qvel: np.ndarray  # (nkey, nv)
    key_ctrl: np.ndarray  # (nkey, nu)
    exclude_signature: np.ndarray  # (nexclude,) int32
    npair: int
    pair_geom1: np.ndarray  # (npair,) int32
    pair_geom2: np.ndarray  # (npair,) int32
    pair_dim: np.ndarray  # (npair,) int32 condim
    pair_friction: np.ndarray  # (npair, 5) -, -, m, m, m
    pair_solref: np.ndarray  # (npair, 2)
    pair_solreffriction: np.ndarray  # (npair, 2)
    pair_solimp: np.ndarray  # (npair, 5)
    pair_margin: np.ndarray  # (npair,) m
    pair_gap: np.ndarray  # (npair,) m
    pair_signature: np.ndarray  # (npair,) int32
    neq: int
    eq_type: np.ndarray  # (neq,) int32 mjtEq: 0 connect, 1 weld, 2 joint
    eq_obj1id: np.ndarray  # (neq,) int32 body (connect, weld) or joint
    eq_obj2id: np.ndarray  # (neq,) int32 body (0: the world) or joint (-1: none)
    eq_objtype: np.ndarray  # (neq,) int32 mjtObj: 1 body (connect, weld), 0 (joint, as MuJoCo 4.0)
    eq_data: np.ndarray  # (neq, 11) MuJoCo's eq_data (see below)
    eq_solref: np.ndarray  # (neq, 2)
    eq_solimp: np.ndarray  # (neq, 5)
    eq_active0: np.ndarray  # (neq,) bool
    opt: Option
    body_names: list[str]  # (nbody,)
    joint_names: list[str]  # (njnt,)
    geom_names: list[str]  # (ngeom,)
    actuator_names: list[str]  # (nu,)
    key_names: list[str]  # (nkey,)
    eq_names: list[str]  # (neq,)

    @property
    def opt_timestep(self) -> float:
        """Integration step, seconds."""
        return self.opt.timestep

    @property
    def opt_gravity(self) -> np.ndarray:
        """Gravity (3,) in the world frame, m/s^2."""
        return self.opt.gravity

    @property
    def timestep(self) -> float:
        """Integration step, seconds (alias of opt.timestep)."""
        return self.opt.timestep
