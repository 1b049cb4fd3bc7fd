"""Walker2d: Gymnasium's `Walker2d-v5` (planar biped, 6 motors) on cleanppo's articulated dynamics.

Model: envs/assets/walker2d.xml, written from Gymnasium's walker2d_v5.xml (same kinematics, masses, gears 100, joint
ranges, friction 0.9 and 1.9 at both feet, timestep 0.002 s); frame_skip 4, so dt = 0.008 s, each timestep split
into `substeps` (1: MuJoCo's own 2 ms step) implicit Euler steps with soft contacts (kernels/contact.py). Gymnasium
integrates with RK4; here Euler (benchmarks/sim2sim.py runs a policy trained here in Gymnasium's env).

Action (6, normalized, clipped to [-1, 1]; ctrl = a, torque = 100 a N m):
  | idx | actuator    | idx | actuator         |
  | 0   | thigh_joint | 3   | thigh_left_joint |
  | 1   | leg_joint   | 4   | leg_left_joint   |
  | 2   | foot_joint  | 5   | foot_left_joint  |

Observation (17), Gymnasium Walker2d-v5 (`exclude_current_positions_from_observation=True`); obs_layout "v5" and
"short" are the same:
  | idx   | quantity                                                             | unit      |
  | 0     | rootz (torso height; 1.25 m at qpos0)                                | m         |
  | 1     | rooty (torso pitch)                                                  | rad       |
  | 2-7   | right thigh, leg, foot, then left thigh, leg, foot angles            | rad       |
  | 8-9   | rootx, rootz velocities, clipped to +-obs_qvel_clip (10)             | m/s       |
  | 10    | rooty angular velocity, clipped likewise                             | rad/s     |
  | 11-16 | joint angular velocities, same order as 2-7, clipped likewise        | rad/s     |

Reward = forward + healthy + ctrl_cost (envs/locomotion.py), each term logged (info["reward_terms"], this order):
  forward    forward_reward_weight (1.0) * dx/dt, dx = rootx displacement over the step [m/s]
  healthy    healthy_reward (1.0) while healthy (Walker2d-v5 pays it only when healthy)
  ctrl_cost  -ctrl_cost_weight (0.001) * sum(a^2)

Reset: qpos = qpos0 + U(-reset_noise_scale, reset_noise_scale), qvel = U(-reset_noise_scale, reset_noise_scale),
reset_noise_scale (0.005); qpos0 = (0, 1.25, 0, ..., 0).
Termination: unhealthy (Walker2d-v5's bounds, exclusive): rootz outside healthy_z_range (0.8, 2.0) m, rooty outside
healthy_angle_range (-1.0, 1.0) rad, or a non-finite state. Truncation: 1,000 steps (`max_episode_steps`).

Physical parameters with a `<name>_scale` knob: mass (every body's mass and inertia), friction (every
geom's sliding friction), strength (every motor's gear); privileged observation = (mass_scale, friction_scale,
strength_scale).

State (`get_state`): concat(qpos (9), qvel (9)) in MuJoCo order.
"""

import warp as wp

from envs.locomotion import PlanarEnv


@wp.struct
class Walker2dConfig:
    """Walker2d-v5's reward weights, health bounds, observation clip and reset noise (SI units); each field with a
    default is a constructor parameter with that default, the others come from the model."""

    forward_reward_weight: float = 1.0  # per m/s of forward velocity
    ctrl_cost_weight: float = 1e-3  # per unit of sum(a^2)
    healthy_reward: float = 1.0  # per step while healthy
    healthy_z_range: wp.vec2 = (0.8, 2.0)  # torso heights (rootz) of a healthy walker (exclusive), m
    healthy_angle_range: wp.vec2 = (-1.0, 1.0)  # torso pitches (rooty) of a healthy walker (exclusive), rad
    obs_qvel_clip: float = 10.0  # the observation's velocities clipped to +-this (m/s, rad/s)
    reset_noise_scale: float = 5e-3  # half-width of the uniform qpos and qvel noise (m, rad, m/s, rad/s)
    init_rootz: float  # rootz of qpos0, m
    dt: float  # control step, s


class Walker2d(PlanarEnv):
    """Gymnasium Walker2d-v5 on Warp articulated dynamics with soft contacts; see the module docstring."""

    name = "walker2d"
    asset = "walker2d.xml"
    cfg_type = Walker2dConfig
