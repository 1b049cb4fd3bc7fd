"""Humanoid: Gymnasium's `Humanoid-v5` (17 motors) on cleanppo's articulated dynamics and contacts.

Model: envs/assets/humanoid.xml, written from Gymnasium's v5 humanoid.xml (same kinematics, masses, joint
ranges, springs, gears, control range, timestep 0.003 s); frame_skip 5, so dt = 0.015 s, each timestep split
into `substeps` (1) implicit Euler substeps with MuJoCo's soft contacts against the floor and between limbs
(frictionless capsule/sphere self-collisions, as the MJCF's contype/conaffinity allow; kernels/constraint.py).
Known differences from Gymnasium: the forward term uses the torso's displacement instead of the whole-body center of
mass.

Action (17, normalized, clipped to [-1, 1]; ctrl = 0.4 a, torque = gear * ctrl):
  | idx   | actuators (gear N m)                                                                   |
  | 0-2   | abdomen_y, abdomen_z, abdomen_x (100)                                                  |
  | 3-6   | right_hip_x, right_hip_z (100), right_hip_y (300), right_knee (200)                    |
  | 7-10  | left_hip_x, left_hip_z (100), left_hip_y (300), left_knee (200)                        |
  | 11-16 | right_shoulder1, right_shoulder2, right_elbow, left_shoulder1, left_shoulder2, left_elbow (25) |

Observation (45), Gymnasium Humanoid-v5 with `exclude_current_positions_from_observation=True` and the
cinert, cvel, qfrc_actuator and cfrc_ext parts turned off (`include_*_in_observation=False`):
  | idx   | quantity                                                              | unit       |
  | 0     | torso z                                                               | m          |
  | 1-4   | torso orientation quaternion w, x, y, z                               | -          |
  | 5-21  | 17 hinge angles in MJCF order (abdomen_z, abdomen_y, abdomen_x, right_hip_x, ...) | rad |
  | 22-24 | torso linear velocity (world frame)                                   | m/s        |
  | 25-27 | torso angular velocity (body frame)                                   | rad/s      |
  | 28-44 | hinge angular velocities, same order as 5-21                          | rad/s      |

Reward = forward + healthy + ctrl_cost (envs/locomotion.py), each term logged (info["reward_terms"], this order):
  forward    forward_reward_weight (1.25) * dx/dt, dx the torso's x displacement over the step [m/s]
  healthy    healthy_reward (5.0) while healthy
  ctrl_cost  -ctrl_cost_weight (0.1) * sum(ctrl^2), ctrl = 0.4 a (the model's ctrlrange +-0.4)
Gymnasium's contact_cost (5e-7 * sum of squared external contact forces) is not computed.

Reset: qpos = qpos0 + U(-reset_noise_scale, reset_noise_scale), qvel = U(-reset_noise_scale, reset_noise_scale),
reset_noise_scale (0.01); qpos0 (from humanoid.xml) = torso at (0, 0, 1.4), identity orientation, joints 0.
Termination: unhealthy, i.e. torso z outside healthy_z_range (1.0, 2.0) m (exclusive) or a non-finite state.
Truncation: 1,000 steps (`max_episode_steps`).

Physical parameters with a `<name>_scale` knob: mass (every body's mass and inertia), friction (every
geom's sliding friction); privileged observation = (mass_scale, friction_scale).

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
