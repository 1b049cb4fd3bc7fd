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

Reward = forward + ctrl_cost, each term logged (info["reward_terms"], this order):
  forward    forward_reward_weight (1.0) * dx/dt, dx = rootx displacement over the step [m/s]
  ctrl_cost  -ctrl_cost_weight (0.1) * sum(a^2)

Reset: qpos = 0 + U(-reset_noise_scale, reset_noise_scale), qvel = reset_noise_scale * N(0, 1),
reset_noise_scale (0.1).
Termination: none (as Gymnasium). Truncation: 1,000 steps (`max_episode_steps`).

Physical parameters with a `<name>_scale` knob: mass (every body's mass and inertia), friction (every
geom's sliding friction); privileged observation = (mass_scale, friction_scale).

State (`get_state`): concat(qpos (9), qvel (9)) in MuJoCo order.
"""

import warp as wp

from envs.articulated import MjcfEnv, observe_state_tail

wp.set_module_options({"enable_backward": False})

NQ, NV, NU = 9, 9, 6  # half_cheetah.xml: rootx, rootz, rooty and 6 hinges; MjcfEnv checks them against the model
NOBS = NQ - 1 + NV  # the state without rootx
State = wp.types.vector(NQ + NV, wp.float32)
Action = wp.types.vector(NU, wp.float32)


@wp.struct
class HalfCheetahConfig:
    """HalfCheetah-v5's reward weights and reset noise (SI units); each field with a default is a constructor
    parameter with that default, `dt` comes from the model."""

    forward_reward_weight: float = 1.0  # per m/s of forward velocity
    ctrl_cost_weight: float = 0.1  # per unit of sum(a^2)
    reset_noise_scale: float = 0.1  # half-width of the qpos noise (m, rad), std of the qvel noise (m/s, rad/s)
    dt: float  # control step, s


@wp.func
def half_cheetah_step(cfg: HalfCheetahConfig, sc: wp.vec2, s: State, s_phys: State, a: Action):
    """Return the state after the physics and the reward terms (forward [m/s], ctrl cost) of the step."""
    x_velocity = (s_phys[0] - s[0]) / cfg.dt
    return s_phys, wp.vec2(cfg.forward_reward_weight * x_velocity, -cfg.ctrl_cost_weight * wp.dot(a, a))


@wp.func
def half_cheetah_terminated(cfg: HalfCheetahConfig, sc: wp.vec2, s: State) -> bool:
    """Return False: HalfCheetah never terminates (time limit only)."""
    return False


@wp.func
def half_cheetah_reset(cfg: HalfCheetahConfig, sc: wp.vec2, rng: wp.uint32):
    """Return uniform qpos noise around 0 and Gaussian qvel noise (Gymnasium's reset), and the RNG."""
    s = State()
    noise = cfg.reset_noise_scale
    for i in range(NQ):
        s[i] = wp.randf(rng, -noise, noise)
    for i in range(NV):
        s[NQ + i] = noise * wp.randn(rng)
    return s, rng


class HalfCheetah(MjcfEnv):
    """Gymnasium HalfCheetah-v5 on Warp articulated dynamics with soft contacts; see the module docstring."""

    name = "half_cheetah"
    asset = "half_cheetah.xml"
    num_obs = NOBS
    num_actions = NU
    state_dim = NQ + NV
    default_max_episode_steps = 1000
    reward_term_names = ("forward", "ctrl_cost")
    task_funcs = (half_cheetah_step, half_cheetah_terminated, half_cheetah_reset, observe_state_tail(1, NOBS))
    cfg_type = HalfCheetahConfig
