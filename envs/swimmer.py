"""Swimmer: Gymnasium's `Swimmer-v5` (three-link planar swimmer in a viscous fluid, 2 motors) on cleanppo's
articulated dynamics.

Model: envs/assets/swimmer.xml, written from Gymnasium's swimmer.xml (same capsules, armature, gears 150, fluid
density 4000 and viscosity 0.1, timestep 0.01 s); frame_skip 4, so dt = 0.04 s, each timestep split into `substeps`
(1: MuJoCo's own 10 ms step) implicit Euler steps. The fluid is MuJoCo's inertia-box model (kernels.forward); no geom
collides. Gymnasium integrates with RK4; here Euler (benchmarks/sim2sim.py runs a policy trained here in
Gymnasium's env).

Action (2, normalized, clipped to [-1, 1]; ctrl = a, torque = 150 a N m): motor1_rot, motor2_rot.

Observation (8), Gymnasium Swimmer-v5 (`exclude_current_positions_from_observation=True`); obs_layout "v5" and
"short" are the same:
  | idx | quantity                                                    | unit  |
  | 0   | free_body_rot (heading of the front link)                  | rad   |
  | 1-2 | motor1_rot, motor2_rot angles                              | rad   |
  | 3-4 | slider1, slider2 velocities (x, y of the front link's root) | m/s   |
  | 5   | free_body_rot angular velocity                             | rad/s |
  | 6-7 | motor1_rot, motor2_rot angular velocities                  | rad/s |

Reward = forward + ctrl_cost (envs/locomotion.py), each term logged (info["reward_terms"], this order):
  forward    forward_reward_weight (1.0) * dx/dt, dx = slider1 (x) displacement over the step [m/s]
  ctrl_cost  -ctrl_cost_weight (0.0001) * sum(a^2)

Reset: qpos = 0 + U(-reset_noise_scale, reset_noise_scale), qvel = U(-reset_noise_scale, reset_noise_scale),
reset_noise_scale (0.1).
Termination: none (as Gymnasium). Truncation: 1,000 steps (`max_episode_steps`).

Physical parameters with a `<name>_scale` knob: mass (every body's mass and inertia), friction (every geom's sliding
friction; no geom collides, so it changes nothing), strength (every motor's gear); privileged observation =
(mass_scale, friction_scale, strength_scale).

State (`get_state`): concat(qpos (5), qvel (5)) in MuJoCo order.
"""

import warp as wp

from envs.locomotion import LocomotionEnv


@wp.struct
class SwimmerConfig:
    """Swimmer-v5's reward weights and reset noise (SI units); each field with a default is a constructor parameter
    with that default, `dt` comes from the model."""

    forward_reward_weight: float = 1.0  # per m/s of forward velocity
    ctrl_cost_weight: float = 1e-4  # per unit of sum(a^2)
    reset_noise_scale: float = 0.1  # half-width of the uniform qpos and qvel noise (m, rad, m/s, rad/s)
    dt: float  # control step, s


class Swimmer(LocomotionEnv):
    """Gymnasium Swimmer-v5 on Warp articulated dynamics in MuJoCo's inertia-box fluid; see the module docstring."""

    name = "swimmer"
    asset = "swimmer.xml"
    cfg_type = SwimmerConfig
    uniform_qvel_noise = True
    frame_skip = 4  # Swimmer-v5's: dt = 0.04 s
