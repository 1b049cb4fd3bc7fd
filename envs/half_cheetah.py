"""HalfCheetah: Gymnasium's `HalfCheetah-v5` (planar runner, 6 motors) on cleanppo's articulated dynamics.

Model: envs/assets/half_cheetah.xml, written from Gymnasium's v5 half_cheetah.xml (same kinematics, masses
(14 kg), joint springs, damping, ranges, gears, timestep 0.01 s); frame_skip 5, so dt = 0.05 s, each timestep
split into `substeps` (1: MuJoCo's own 10 ms step) implicit Euler steps with soft contacts (kernels/contact.py).

Action (6, normalized, clipped to [-1, 1]; ctrl = a, torque = gear * a):
  | idx | actuator | gear [N m] | idx | actuator | gear [N m] |
  | 0   | bthigh   | 120        | 3   | fthigh   | 120        |
  | 1   | bshin    | 90         | 4   | fshin    | 60         |
  | 2   | bfoot    | 60         | 5   | ffoot    | 30         |

Observation (17), Gymnasium HalfCheetah-v5 (`exclude_current_positions_from_observation=True`):
  | idx   | quantity                                                    | unit      |
  | 0     | rootz (torso height above its initial 0.7 m)                | m         |
  | 1     | rooty (torso pitch)                                         | rad       |
  | 2-7   | bthigh, bshin, bfoot, fthigh, fshin, ffoot angles           | rad       |
  | 8-9   | rootx, rootz velocities                                     | m/s       |
  | 10    | rooty angular velocity                                      | rad/s     |
  | 11-16 | joint angular velocities, same order as 2-7                 | rad/s     |

Reward = forward + ctrl_cost (envs/locomotion.py), each term logged (info["reward_terms"], this order):
  forward    forward_reward_weight (1.0) * dx/dt, dx = rootx displacement over the step [m/s]
  ctrl_cost  -ctrl_cost_weight (0.1) * sum(a^2)

Reset: qpos = 0 + U(-reset_noise_scale, reset_noise_scale), qvel = reset_noise_scale * N(0, 1),
reset_noise_scale (0.1).
Termination: none (as Gymnasium). Truncation: 1,000 steps (`max_episode_steps`).

Physical parameters with a `<name>_scale` knob: mass (every body's mass and inertia), friction (every
geom's sliding friction), strength (every motor's gear); privileged observation = (mass_scale, friction_scale,
strength_scale).

State (`get_state`): concat(qpos (9), qvel (9)) in MuJoCo order.
"""

import warp as wp

from envs.locomotion import LocomotionEnv


@wp.struct
class HalfCheetahConfig:
    """HalfCheetah-v5's reward weights and reset noise (SI units); each field with a default is a constructor
    parameter with that default, `dt` comes from the model."""

    forward_reward_weight: float = 1.0  # per m/s of forward velocity
    ctrl_cost_weight: float = 0.1  # per unit of sum(a^2)
    reset_noise_scale: float = 0.1  # half-width of the qpos noise (m, rad), std of the qvel noise (m/s, rad/s)
    dt: float  # control step, s


class HalfCheetah(LocomotionEnv):
    """Gymnasium HalfCheetah-v5 on Warp articulated dynamics with soft contacts; see the module docstring."""

    name = "half_cheetah"
    asset = "half_cheetah.xml"
    cfg_type = HalfCheetahConfig
    obs_skip = 1
