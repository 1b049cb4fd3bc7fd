"""Humanoid: Gymnasium's `Humanoid-v5` (17 motors) on cleanppo's articulated dynamics and contacts.

Model: envs/assets/humanoid.xml, written from Gymnasium's v5 humanoid.xml (same kinematics, masses, joint
ranges, springs, gears, control range, timestep 0.003 s); frame_skip 5, so dt = 0.015 s, each timestep split
into `substeps` (1) implicit Euler substeps with MuJoCo's soft contacts against the floor and between limbs
(frictionless capsule/sphere self-collisions, as the MJCF's contype/conaffinity allow; kernels/constraint.py).

Action (17, normalized, clipped to [-1, 1]; ctrl = 0.4 a, torque = gear * ctrl):
  | idx   | actuators (gear N m)                                                                   |
  | 0-2   | abdomen_y, abdomen_z, abdomen_x (100)                                                  |
  | 3-6   | right_hip_x, right_hip_z (100), right_hip_y (300), right_knee (200)                    |
  | 7-10  | left_hip_x, left_hip_z (100), left_hip_y (300), left_knee (200)                        |
  | 11-16 | right_shoulder1, right_shoulder2, right_elbow, left_shoulder1, left_shoulder2, left_elbow (25) |

Observation (45), the default `obs_layout="short"` (Humanoid-v5 with `include_*_in_observation=False`); with
`obs_layout="v5"` 348, Gymnasium Humanoid-v5's default (`exclude_current_positions_from_observation=True`, cinert,
cvel, qfrc_actuator and cfrc_ext included: rows 45-347 below; envs/locomotion.py). MuJoCo's
com-based quantities (kernels.com) are about the whole body's center of mass with world axes; bodies 1-13 are
torso, lwaist, pelvis, right_thigh, right_shin, right_foot, left_thigh, ..., left_lower_arm in MJCF order:
  | idx     | quantity                                                              | unit       |
  | 0       | torso z                                                               | m          |
  | 1-4     | torso orientation quaternion w, x, y, z                               | -          |
  | 5-21    | 17 hinge angles in MJCF order (abdomen_z, abdomen_y, abdomen_x, right_hip_x, ...) | rad |
  | 22-24   | torso linear velocity (world frame)                                   | m/s        |
  | 25-27   | torso angular velocity (body frame)                                   | rad/s      |
  | 28-44   | hinge angular velocities, same order as 5-21                          | rad/s      |
  | 45-174  | cinert of bodies 1-13: inertia (xx, yy, zz, xy, xz, yz), mass * com offset (3), mass | kg m^2, kg m, kg |
  | 175-252 | cvel of bodies 1-13: angular, linear velocity at the center of mass   | rad/s, m/s |
  | 253-269 | qfrc_actuator of the 17 hinges (gear * ctrl)                          | N m        |
  | 270-347 | cfrc_ext of bodies 1-13: contact torque, force about the center of mass | N m, N   |
The v5 layout is the default so that a policy trained here sees what a policy trained on Gymnasium's default
Humanoid-v5 sees (benchmarks/sim2sim.py runs it there); the contact forces are ours, not MuJoCo's solver's.

Reward = forward + healthy + ctrl_cost + contact_cost (envs/locomotion.py), each term logged (info["reward_terms"],
this order):
  forward    forward_reward_weight (1.25) * dx/dt, dx the x displacement of the whole body's center of mass (mass-
             weighted body centers of mass, Gymnasium's mass_center) between the states MuJoCo's data holds after this
             step and after the previous one (or the reset) [m/s]
  healthy    healthy_reward (5.0) while healthy
  ctrl_cost  -ctrl_cost_weight (0.1) * sum(ctrl^2), ctrl = 0.4 a (the model's ctrlrange +-0.4)
  contact_cost  -contact_cost_weight (5e-07) * sum of the squared cfrc_ext components of every body, the cost clipped
             to contact_cost_range (0.0, 10.0) (Gymnasium's (-inf, 10): the cost is >= 0) (both layouts)

Reset: qpos = qpos0 + U(-reset_noise_scale, reset_noise_scale), qvel = U(-reset_noise_scale, reset_noise_scale),
reset_noise_scale (0.01); qpos0 (from humanoid.xml) = torso at (0, 0, 1.4), identity orientation, joints 0.
Termination: unhealthy, i.e. torso z outside healthy_z_range (1.0, 2.0) m (exclusive) or a non-finite state.
Truncation: 1,000 steps (`max_episode_steps`).

Physical parameters with a `<name>_scale` knob: mass (every body's mass and inertia), friction (every
geom's sliding friction), strength (every motor's gear); privileged observation = (mass_scale, friction_scale,
strength_scale).

State (`get_state`): concat(qpos (24), qvel (23)) in MuJoCo order.
"""

import warp as wp

from envs.locomotion import LocomotionEnv


@wp.struct
class HumanoidConfig:
    """Humanoid-v5's reward weights, health bounds and reset noise (SI units); each field with a default is a
    constructor parameter with that default, the others come from the model."""

    forward_reward_weight: float = 1.25  # per m/s of forward velocity
    ctrl_cost_weight: float = 0.1  # per unit of sum(ctrl^2)
    healthy_reward: float = 5.0  # per step while healthy
    contact_cost_weight: float = 5e-7  # per unit of the sum of squared cfrc_ext components
    contact_cost_range: wp.vec2 = (0.0, 10.0)  # clip of the contact cost (Gymnasium's (-inf, 10); it is >= 0)
    healthy_z_range: wp.vec2 = (1.0, 2.0)  # torso heights of a healthy Humanoid (exclusive), m
    reset_noise_scale: float = 0.01  # half-width of the uniform qpos (m, rad) and qvel (m/s, rad/s) noise
    init_z: float  # torso height of qpos0, m
    ctrl_scale: float  # ctrl = ctrl_scale * a (the model's symmetric ctrlrange)
    dt: float  # control step, s


class Humanoid(LocomotionEnv):
    """Gymnasium Humanoid-v5 on Warp articulated dynamics with soft contacts; see the module docstring."""

    name = "humanoid"
    asset = "humanoid.xml"
    cfg_type = HumanoidConfig
    healthy_z_inclusive = False
    uniform_qvel_noise = True
    v5_blocks = ("cinert", "cvel", "qfrc_actuator", "cfrc_ext")
    com_forward = True
