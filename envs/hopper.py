"""Hopper: Gymnasium's `Hopper-v5` (planar one-legged hopper, 3 motors) on cleanppo's articulated dynamics.

Model: envs/assets/hopper.xml, written from Gymnasium's v5 hopper.xml (same kinematics, masses, gears 200, joint
ranges, contact parameters, timestep 0.002 s); frame_skip 4, so dt = 0.008 s, each timestep split into `substeps`
(1: MuJoCo's own 2 ms step) implicit Euler steps with soft contacts (kernels/contact.py). Gymnasium integrates
with RK4; here Euler (benchmarks/sim2sim.py runs a policy trained here in Gymnasium's env).

Action (3, normalized, clipped to [-1, 1]; ctrl = a, torque = 200 a N m): thigh_joint, leg_joint, foot_joint.

Observation (11), Gymnasium Hopper-v5 (`exclude_current_positions_from_observation=True`); obs_layout "v5" and
"short" are the same:
  | idx   | quantity                                                             | unit      |
  | 0     | rootz (torso height; 1.25 m at qpos0)                                | m         |
  | 1     | rooty (torso pitch)                                                  | rad       |
  | 2-4   | thigh, leg, foot angles                                              | rad       |
  | 5-6   | rootx, rootz velocities, clipped to +-obs_qvel_clip (10)             | m/s       |
  | 7     | rooty angular velocity, clipped likewise                             | rad/s     |
  | 8-10  | joint angular velocities, same order as 2-4, clipped likewise        | rad/s     |

Reward = forward + healthy + ctrl_cost (envs/locomotion.py), each term logged (info["reward_terms"], this order):
  forward    forward_reward_weight (1.0) * dx/dt, dx = rootx displacement over the step [m/s]
  healthy    healthy_reward (1.0) while healthy (Hopper-v5 pays it only when healthy)
  ctrl_cost  -ctrl_cost_weight (0.001) * sum(a^2)

Reset: qpos = qpos0 + U(-reset_noise_scale, reset_noise_scale), qvel = U(-reset_noise_scale, reset_noise_scale),
reset_noise_scale (0.005); qpos0 = (0, 1.25, 0, 0, 0, 0).
Termination: unhealthy (Hopper-v5's bounds, all exclusive): rootz outside healthy_z_range (0.7, inf) m, rooty outside
healthy_angle_range (-0.2, 0.2) rad, any of concat(qpos, qvel)[2:] outside healthy_state_range (-100.0, 100.0), or a
non-finite state. Truncation: 1,000 steps (`max_episode_steps`).

Physical parameters with a `<name>_scale` knob: mass (every body's mass and inertia), friction (every
geom's sliding friction), strength (every motor's gear); privileged observation = (mass_scale, friction_scale,
strength_scale).

State (`get_state`): concat(qpos (6), qvel (6)) in MuJoCo order.
"""

import warp as wp

from envs.locomotion import PlanarEnv


@wp.struct
class HopperConfig:
    """Hopper-v5's reward weights, health bounds, observation clip and reset noise (SI units); each field with a
    default is a constructor parameter with that default, the others come from the model."""

    forward_reward_weight: float = 1.0  # per m/s of forward velocity
    ctrl_cost_weight: float = 1e-3  # per unit of sum(a^2)
    healthy_reward: float = 1.0  # per step while healthy
    healthy_z_range: wp.vec2 = (0.7, float("inf"))  # torso heights (rootz) of a healthy hopper (exclusive), m
    healthy_angle_range: wp.vec2 = (-0.2, 0.2)  # torso pitches (rooty) of a healthy hopper (exclusive), rad
    healthy_state_range: wp.vec2 = (-100.0, 100.0)  # bounds of concat(qpos, qvel)[2:] (exclusive)
    obs_qvel_clip: float = 10.0  # the observation's velocities clipped to +-this (m/s, rad/s)
    reset_noise_scale: float = 5e-3  # half-width of the uniform qpos and qvel noise (m, rad, m/s, rad/s)
    init_rootz: float  # rootz of qpos0, m
    dt: float  # control step, s


class Hopper(PlanarEnv):
    """Gymnasium Hopper-v5 on Warp articulated dynamics with soft contacts; see the module docstring."""

    name = "hopper"
    asset = "hopper.xml"
    cfg_type = HopperConfig
