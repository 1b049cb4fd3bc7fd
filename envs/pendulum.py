"""Pendulum: Gymnasium's `Pendulum-v1` swing-up with a normalized torque, as a WarpEnv.

Dynamics, reward, truncation and reset follow `gymnasium/envs/classic_control/pendulum.py` step for step
(semi-implicit Euler, dt (0.05 s) per step, angular velocity clipped to +-max_speed (8.0 rad/s)), in float32.
The pendulum is a uniform rod pivoting at one end: thdot' = 3 g / (2 l) sin(th) + 3 / (m l^2) u.

Action (1, normalized, clipped to [-1, 1]):
  | idx | meaning          | range   | physical                                      |
  | 0   | torque at pivot  | [-1, 1] | u = clip(max_torque * a, +-max_torque) N m, max_torque (2.0) |

Observation (3):
  | idx | quantity            | unit  |
  | 0   | cos(theta)          | -     |
  | 1   | sin(theta)          | -     |
  | 2   | angular velocity    | rad/s |
  theta = 0 is upright; theta is not wrapped in the state, as in Gymnasium.

Reward: -(angle_cost * normalize(theta)^2 + velocity_cost * thdot^2 + action_cost * u^2), with
  angle_cost (1.0), velocity_cost (0.1), action_cost (0.001), theta and thdot before the step.
  Reward terms (each already weighted and negative): ("angle", "velocity", "action").

Reset: theta uniform in [-reset_theta, reset_theta] rad, reset_theta (3.142 = pi); thdot uniform in
[-reset_theta_dot, reset_theta_dot] rad/s, reset_theta_dot (1.0).

Termination: never. Truncation: 200 steps (`max_episode_steps`), as Gymnasium's TimeLimit for Pendulum-v1.

Pushes (off by default; not in Gymnasium): after a step, with probability dt / push_interval_s (4.0 s), U(-max_push_vel,
max_push_vel) rad/s is added to the angular velocity (an angular impulse at the pivot); max_push_vel (0.0).

Physical parameters, each with a `<name>_scale` knob (fixed or (lo, hi) per episode):
  mass (1.0 kg), length (1.0 m), gravity (10.0 m/s^2).

Privileged observation (6, `info["privileged_obs"]`, for a teacher; never in the observation):
  | idx | quantity                                             | unit  |
  | 0-2 | mass_scale, length_scale, gravity_scale (this episode) | -     |
  | 3-5 | cos(theta), sin(theta), angular velocity, noise-free  | -, -, rad/s |

State (`get_state`): (theta, theta_dot), Gymnasium's `env.unwrapped.state` order.
"""

import math

import warp as wp

from envs.core import WarpEnv

wp.set_module_options({"enable_backward": False})

vec1 = wp.types.vector(length=1, dtype=wp.float32)  # one normalized action


@wp.struct
class PendulumConfig:
    """Pendulum-v1's nominal physical parameters (the first three, in `Pendulum.param_names` order) and task
    constants, SI units; each field is a constructor parameter with this default."""

    mass: float = 1.0  # kg
    length: float = 1.0  # m
    gravity: float = 10.0  # m/s^2
    max_torque: float = 2.0  # N m at |action| = 1
    max_speed: float = 8.0  # rad/s
    dt: float = 0.05  # s per step
    angle_cost: float = 1.0  # per rad^2
    velocity_cost: float = 0.1  # per (rad/s)^2
    action_cost: float = 0.001  # per (N m)^2
    reset_theta: float = math.pi  # rad, half-width of the uniform reset angle
    reset_theta_dot: float = 1.0  # rad/s, half-width of the uniform reset velocity
    max_push_vel: float = 0.0  # rad/s, largest angular velocity kick of a push (0: no pushes)
    push_interval_s: float = 4.0  # s, mean time between pushes


@wp.func
def angle_normalize(x: float) -> float:
    """Wrap an angle (rad) to [-pi, pi), with Python's floor modulo as Gymnasium's `angle_normalize`."""
    two_pi = 2.0 * wp.pi
    y = x + wp.pi
    return y - two_pi * wp.floor(y / two_pi) - wp.pi


@wp.func
def pendulum_step(cfg: PendulumConfig, sc: wp.vec3, s: wp.vec2, a: vec1):
    """Return the state dt seconds later under torque max_torque * a (N m), and the reward terms."""
    m = cfg.mass * sc[0]
    l = cfg.length * sc[1]
    g = cfg.gravity * sc[2]
    th = s[0]
    thdot = s[1]
    u = wp.clamp(cfg.max_torque * a[0], -cfg.max_torque, cfg.max_torque)

    # The cost is of the state before the step, as in Gymnasium.
    angle = angle_normalize(th)
    terms = wp.vec3(-cfg.angle_cost * angle * angle, -cfg.velocity_cost * thdot * thdot, -cfg.action_cost * u * u)

    # Semi-implicit Euler: the angle advances with the new, clipped velocity.
    newthdot = thdot + (3.0 * g / (2.0 * l) * wp.sin(th) + 3.0 / (m * l * l) * u) * cfg.dt
    newthdot = wp.clamp(newthdot, -cfg.max_speed, cfg.max_speed)
    return wp.vec2(th + newthdot * cfg.dt, newthdot), terms


@wp.func
def pendulum_terminated(cfg: PendulumConfig, sc: wp.vec3, s: wp.vec2) -> bool:
    """Return False: the swing-up task has no terminal state, only the time limit."""
    return False


@wp.func
def pendulum_reset(cfg: PendulumConfig, sc: wp.vec3, rng: wp.uint32):
    """Return theta uniform in [-pi, pi] rad and theta_dot uniform in [-1, 1] rad/s, and the RNG state."""
    th = wp.randf(rng, -cfg.reset_theta, cfg.reset_theta)
    thdot = wp.randf(rng, -cfg.reset_theta_dot, cfg.reset_theta_dot)
    return wp.vec2(th, thdot), rng


@wp.func
def pendulum_observe(cfg: PendulumConfig, sc: wp.vec3, s: wp.vec2) -> wp.vec3:
    """Return the observation (cos theta, sin theta, theta_dot in rad/s)."""
    return wp.vec3(wp.cos(s[0]), wp.sin(s[0]), s[1])


@wp.kernel
def _pendulum_privileged(
    # Model:
    cfg: PendulumConfig,
    # Data in:
    state_in: wp.array[wp.vec2],
    scale_in: wp.array[wp.vec3],
    # Data out:
    privileged_out: wp.array2d[float],
):
    # the observation without the obs_noise_std noise the step kernel adds, beside the episode's scales
    worldid = wp.tid()
    sc = scale_in[worldid]
    o = pendulum_observe(cfg, sc, state_in[worldid])
    for k in range(3):
        privileged_out[worldid, k] = sc[k]
        privileged_out[worldid, 3 + k] = o[k]


class Pendulum(WarpEnv):
    """Gymnasium Pendulum-v1 with a torque in [-1, 1] x 2 N m; see the module docstring."""

    name = "pendulum"
    num_obs = 3
    num_actions = 1
    state_dim = 2
    default_max_episode_steps = 200
    param_names = ("mass", "length", "gravity")
    reward_term_names = ("angle", "velocity", "action")
    task_funcs = (pendulum_step, pendulum_terminated, pendulum_reset, pendulum_observe)
    cfg_type = PendulumConfig
    privileged_obs_names = ("mass_scale", "length_scale", "gravity_scale", "cos_theta", "sin_theta", "theta_dot")
    push_fields, push_state_cols, push_adds = ("max_push_vel", "push_interval_s"), (1,), True

    def _privileged_launch(self, cfg):
        """Recorded launch writing info["privileged_obs"] (layout in the module docstring) from state and scales."""
        inputs = [cfg, self._arrays["state"], self._arrays["scale"], self._privileged]
        return self.record_launch(_pendulum_privileged, self.num_envs, inputs)
