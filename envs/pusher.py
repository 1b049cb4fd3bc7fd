"""Pusher: Gymnasium's `Pusher-v5` (a 7-joint arm pushes a cylinder across a table to a goal; 7 motors) on cleanppo's
articulated dynamics and contacts.

Model: envs/assets/pusher.xml, written from Gymnasium's pusher_v5.xml (the PR2-like right arm on hinges with ranges,
damping and armature; the object a light cylinder on two slide joints resting on the table plane; the goal a disk on
two slide joints; no gravity, timestep 0.01 s); frame_skip 5, so dt = 0.05 s, each timestep split into `substeps` (1)
implicit Euler substeps with MuJoCo's soft contacts between the wrist's capsules, the object and the table
(frictionless, condim 1; a capsule against the cylinder through the general convex collider, kernels/convex.py).

Action (7, normalized, clipped to [-1, 1]; ctrl = 2 a, torque = ctrl N m): shoulder pan, shoulder lift, upper-arm roll,
elbow flex, forearm roll, wrist flex, wrist roll.

Observation (23), Gymnasium Pusher-v5's:
  | idx   | quantity                                                            | unit  |
  | 0-6   | the arm's 7 joint angles (qpos[:7])                                 | rad   |
  | 7-13  | their velocities (qvel[:7])                                         | rad/s |
  | 14-16 | the tips_arm body's origin (at the wrist roll hinge), world         | m     |
  | 17-19 | the object body's origin (the cylinder's center), world             | m     |
  | 20-22 | the goal body's origin, world                                       | m     |
Gymnasium calls them get_body_com, which returns MuJoCo's xpos, the body frame's origin. The three points are those
of the stepped state (MuJoCo's body positions after mj_step are its last substep's start;
the difference is O(dt) per step).

Reward = near + dist + ctrl_cost (info["reward_terms"], this order; Pusher-v5's reward_near, reward_dist, reward_ctrl):
  near       -reward_near_weight (0.5) * |object - tips_arm| (m)
  dist       -reward_dist_weight (1.0) * |object - goal| (m)
  ctrl_cost  -reward_control_weight (0.1) * sum(ctrl^2), ctrl = 2 a (Gymnasium's action is the control)

Reset: the arm at rest at qpos0 (joint angles 0) with joint velocities U(-0.005, 0.005) rad/s; the object at slide
offsets (obj_slidey, obj_slidex) drawn U(-0.3, 0) x U(-0.2, 0.2) m until farther than 0.17 m from the goal's (0, 0)
(Pusher-v5's rejection loop), at rest; the goal at (0, 0).
Termination: none. Truncation: 100 steps (`max_episode_steps`).

Physical parameters with a `<name>_scale` knob: mass (every body's mass and inertia), friction (every geom's sliding
friction; the contacts are frictionless, so it changes nothing), strength (every motor's gear); privileged
observation = (mass_scale, friction_scale, strength_scale).

State (`get_state`): concat(qpos (11), qvel (11)) in MuJoCo order: 7 arm hinges, obj_slidey, obj_slidex,
goal_slidey, goal_slidex.
"""

import numpy as np
import warp as wp

from envs.articulated import MjcfEnv

wp.set_module_options({"enable_backward": False})

vec7 = wp.types.vector(length=7, dtype=wp.float32)  # the actions
vec22 = wp.types.vector(length=22, dtype=wp.float32)  # concat(qpos, qvel)
vec23 = wp.types.vector(length=23, dtype=wp.float32)  # the observation
mat73 = wp.types.matrix(shape=(7, 3), dtype=wp.float32)

# The arm's kinematic chain in pusher.xml (checked against the model by Pusher._model_constants): every body frame
# unrotated, each hinge at its body's origin; row i is the offset of hinge i's body from hinge i-1's (the world for
# the first; bodies without a joint in between summed in), m, and hinge i's axis.
ARM_OFFSETS = [(0.0, -0.6, 0.0), (0.1, 0.0, 0.0), (0.0, 0.0, 0.0), (0.4, 0.0, 0.0), (0.0, 0.0, 0.0), (0.321, 0.0, 0.0),
               (0.0, 0.0, 0.0)]  # fmt: skip
ARM_AXES = [(0.0, 0.0, 1.0), (0.0, 1.0, 0.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0),
            (1.0, 0.0, 0.0)]  # fmt: skip
TIP_POS = (0.0, 0.0, 0.0)  # the tips_arm body's origin in the last hinge's frame, m
OBJECT_POS = (0.45, -0.05, -0.275)  # the object's body at slide offsets 0, world, m
GOAL_POS = (0.45, -0.05, -0.323)  # the goal's body at slide offsets 0, world, m

_OFFSETS = wp.constant(mat73(*[x for row in ARM_OFFSETS for x in row]))
_AXES = wp.constant(mat73(*[x for row in ARM_AXES for x in row]))
_TIP = wp.constant(wp.vec3(*TIP_POS))
_OBJECT = wp.constant(wp.vec3(*OBJECT_POS))
_GOAL = wp.constant(wp.vec3(*GOAL_POS))


@wp.struct
class PusherConfig:
    """Pusher-v5's reward weights (SI units); each field with a default is a constructor parameter with that default,
    the control step and the control scale come from the model."""

    reward_near_weight: float = 0.5  # per m of object-to-tips_arm distance
    reward_dist_weight: float = 1.0  # per m of object-to-goal distance
    reward_control_weight: float = 0.1  # per unit of sum(ctrl^2)
    dt: float  # control step, s
    ctrl_scale: float  # ctrl = ctrl_scale * a (the motors' ctrlrange +-2)


@wp.func
def tips_arm(s: vec22) -> wp.vec3:
    """Return the tips_arm body's origin in world coordinates (m): the arm's forward kinematics at the hinge angles
    s[0:7] (rad)."""
    p = wp.vec3(0.0, 0.0, 0.0)
    r = wp.quat_identity()
    for i in range(7):
        p = p + wp.quat_rotate(r, wp.vec3(_OFFSETS[i, 0], _OFFSETS[i, 1], _OFFSETS[i, 2]))
        r = r * wp.quat_from_axis_angle(wp.vec3(_AXES[i, 0], _AXES[i, 1], _AXES[i, 2]), s[i])
    return p + wp.quat_rotate(r, _TIP)


@wp.func
def object_position(s: vec22) -> wp.vec3:
    """Return the object body's origin in world coordinates (m): moved by obj_slidex s[8], obj_slidey s[7]."""
    return _OBJECT + wp.vec3(s[8], s[7], 0.0)


@wp.func
def goal_position(s: vec22) -> wp.vec3:
    """Return the goal body's origin in world coordinates (m): moved by goal_slidex s[10], goal_slidey s[9]."""
    return _GOAL + wp.vec3(s[10], s[9], 0.0)


@wp.func
def pusher_step(cfg: PusherConfig, sc: wp.vec3, s: vec22, s_phys: vec22, a: vec7):
    """Return the stepped state (the simulator's) and the reward terms at it (near, dist, ctrl_cost)."""
    obj = object_position(s_phys)
    near = -cfg.reward_near_weight * wp.length(obj - tips_arm(s_phys))
    dist = -cfg.reward_dist_weight * wp.length(obj - goal_position(s_phys))
    ctrl = -cfg.reward_control_weight * cfg.ctrl_scale * cfg.ctrl_scale * wp.dot(a, a)
    return s_phys, wp.vec3(near, dist, ctrl)


@wp.func
def pusher_terminated(cfg: PusherConfig, sc: wp.vec3, s: vec22) -> bool:
    """Return False: Pusher-v5 never terminates (its episodes end at the time limit)."""
    return False


@wp.func
def pusher_reset(cfg: PusherConfig, sc: wp.vec3, rng: wp.uint32):
    """Return an initial state (module docstring: the arm at rest with small joint velocities, the object drawn away
    from the goal, the goal at its origin) and the RNG."""
    s = vec22()
    oy = wp.randf(rng, -0.3, 0.0)
    ox = wp.randf(rng, -0.2, 0.2)
    while wp.sqrt(oy * oy + ox * ox) <= 0.17:
        oy = wp.randf(rng, -0.3, 0.0)
        ox = wp.randf(rng, -0.2, 0.2)
    s[7] = oy
    s[8] = ox
    for i in range(7):
        s[11 + i] = wp.randf(rng, -0.005, 0.005)
    return s, rng


@wp.func
def pusher_observe(cfg: PusherConfig, sc: wp.vec3, s: vec22) -> vec23:
    """Return the observation: the arm's joint angles (rad) and velocities (rad/s), then the tips_arm, object and goal
    body origins (world, m)."""
    o = vec23()
    for i in range(7):
        o[i] = s[i]
        o[7 + i] = s[11 + i]
    tip = tips_arm(s)
    obj = object_position(s)
    goal = goal_position(s)
    for k in range(3):
        o[14 + k] = tip[k]
        o[17 + k] = obj[k]
        o[20 + k] = goal[k]
    return o


class Pusher(MjcfEnv):
    """Gymnasium Pusher-v5 on Warp articulated dynamics with soft contacts; see the module docstring."""

    name = "pusher"
    asset = "pusher.xml"
    num_obs = 23
    num_actions = 7
    state_dim = 22
    default_max_episode_steps = 100
    reward_term_names = ("near", "dist", "ctrl_cost")
    task_funcs = (pusher_step, pusher_terminated, pusher_reset, pusher_observe)
    cfg_type = PusherConfig
    frame_skip = 5  # Pusher-v5's: dt = 0.05 s

    def _model_constants(self, dt: float) -> dict[str, float]:
        # the task's kinematics are written for pusher.xml's chain (module constants): check that the model is it
        m, names = self.model, self.model.body_names
        path, body = [], names.index("tips_arm")
        while body != 0:
            path.append(body)
            body = m.body_parentid[body]
        offsets, axes, offset = [], [], np.zeros(3)
        for b in reversed(path):  # from the root to tips_arm
            if not np.allclose(m.body_quat[b], (1.0, 0.0, 0.0, 0.0)):
                raise ValueError(f"{self.asset}: the arm's body frames must be unrotated ({names[b]} is not)")
            offset = offset + m.body_pos[b]
            joints = np.flatnonzero(m.jnt_bodyid == b)
            if len(joints) > 1 or (len(joints) and np.any(m.jnt_pos[joints[0]])):
                raise ValueError(f"{self.asset}: one hinge per arm body, at the body's origin ({names[b]})")
            if len(joints):
                offsets.append(offset)
                axes.append(m.jnt_axis[joints[0]])
                offset = np.zeros(3)
        tip = offset
        pos = {n: m.body_pos[names.index(n)] for n in ("object", "goal")}
        expected = (ARM_OFFSETS, ARM_AXES, TIP_POS, OBJECT_POS, GOAL_POS)
        found = (offsets, axes, tip, pos["object"], pos["goal"])
        same = [np.shape(f) == np.shape(e) and np.allclose(f, e) for f, e in zip(found, expected, strict=True)]
        if not all(same):
            raise ValueError(f"{self.asset}: the arm's chain, tips_arm, object or goal differ from pusher.xml's")
        return super()._model_constants(dt)
