"""Pendulum: Gymnasium's `Pendulum-v1` swing-up with a normalized torque, as a WarpEnv.

Dynamics, reward, truncation and reset follow `gymnasium/envs/classic_control/pendulum.py` step for step
(semi-implicit Euler, dt = 0.05 s, angular velocity clipped to +-8 rad/s), in float32. The pendulum is a
uniform rod pivoting at one end: thdot' = 3 g / (2 l) sin(th) + 3 / (m l^2) u.

Action (1, normalized, clipped to [-1, 1]):
  | idx | meaning          | range   | physical                                      |
  | 0   | torque at pivot  | [-1, 1] | u = clip(max_torque * a, +-max_torque) N m (2) |

Observation (3):
  | idx | quantity            | unit  |
  | 0   | cos(theta)          | -     |
  | 1   | sin(theta)          | -     |
  | 2   | angular velocity    | rad/s |
  theta = 0 is upright; theta is not wrapped in the state, as in Gymnasium.

Reward: -(angle_cost * normalize(theta)^2 + velocity_cost * thdot^2 + action_cost * u^2), with
  angle_cost 1.0, velocity_cost 0.1, action_cost 0.001, theta and thdot before the step.
  Reward terms (each already weighted and negative): ("angle", "velocity", "action").

Reset: theta uniform in [-pi, pi] rad, thdot uniform in [-1, 1] rad/s.

Termination: never. Truncation: 200 steps (`max_episode_steps`), as Gymnasium's TimeLimit for Pendulum-v1.

Physical parameters, each with a `<name>_scale` knob (fixed or (lo, hi) per episode):
  mass (1.0 kg), length (1.0 m), gravity (10.0 m/s^2).

State (`get_state`): (theta, theta_dot), Gymnasium's `env.unwrapped.state` order.
"""

import warp as wp

from envs.core import WarpEnv
from kernels.episode import scaled_param

wp.set_module_options({"enable_backward": False})

MASS, LENGTH, GRAVITY = 0, 1, 2
MAX_TORQUE, MAX_SPEED, DT, ANGLE_COST, VELOCITY_COST, ACTION_COST, RESET_THETA, RESET_THDOT = 3, 4, 5, 6, 7, 8, 9, 10


@wp.func
def angle_normalize(x: float) -> float:
    """Wrap an angle (rad) to [-pi, pi), with Python's floor modulo as Gymnasium's `angle_normalize`."""
    two_pi = 2.0 * wp.pi
    y = x + wp.pi
    return y - two_pi * wp.floor(y / two_pi) - wp.pi


@wp.func
def pendulum_step(
    cfg: wp.array[float],
    scale: wp.array2d[float],
    worldid: int,
    state: wp.array[wp.vec2],
    action: wp.array2d[float],
    reward_terms: wp.array2d[float],
) -> float:
    """Advance one pendulum by dt seconds under torque max_torque * action (N m); return the reward."""
    m = scaled_param(cfg, scale, worldid, MASS)
    l = scaled_param(cfg, scale, worldid, LENGTH)
    g = scaled_param(cfg, scale, worldid, GRAVITY)
    dt = cfg[DT]
    max_torque = cfg[MAX_TORQUE]
    max_speed = cfg[MAX_SPEED]

    q = state[worldid]
    th = q[0]
    thdot = q[1]
    u = wp.clamp(max_torque * action[worldid, 0], -max_torque, max_torque)

    # The cost is of the state before the step, as in Gymnasium.
    angle = angle_normalize(th)
    angle_term = -cfg[ANGLE_COST] * angle * angle
    velocity_term = -cfg[VELOCITY_COST] * thdot * thdot
    action_term = -cfg[ACTION_COST] * u * u
    reward_terms[worldid, 0] = angle_term
    reward_terms[worldid, 1] = velocity_term
    reward_terms[worldid, 2] = action_term

    # Semi-implicit Euler: the angle advances with the new, clipped velocity.
    newthdot = thdot + (3.0 * g / (2.0 * l) * wp.sin(th) + 3.0 / (m * l * l) * u) * dt
    newthdot = wp.clamp(newthdot, -max_speed, max_speed)
    state[worldid] = wp.vec2(th + newthdot * dt, newthdot)
    return angle_term + velocity_term + action_term


@wp.func
def pendulum_terminated(cfg: wp.array[float], scale: wp.array2d[float], worldid: int, q: wp.vec2) -> bool:
    """Return False: the swing-up task has no terminal state, only the time limit."""
    return False


@wp.func
def pendulum_reset(cfg: wp.array[float], scale: wp.array2d[float], worldid: int, rng: wp.uint32):
    """Return theta uniform in [-pi, pi] rad and theta_dot uniform in [-1, 1] rad/s, and the RNG state."""
    th = wp.randf(rng, -cfg[RESET_THETA], cfg[RESET_THETA])
    thdot = wp.randf(rng, -cfg[RESET_THDOT], cfg[RESET_THDOT])
    return wp.vec2(th, thdot), rng


@wp.func
def pendulum_observe(cfg: wp.array[float], scale: wp.array2d[float], worldid: int, q: wp.vec2) -> wp.vec3:
    """Return the observation (cos theta, sin theta, theta_dot in rad/s)."""
    return wp.vec3(wp.cos(q[0]), wp.sin(q[0]), q[1])


class Pendulum(WarpEnv):
    """Gymnasium Pendulum-v1 with a torque in [-1, 1] x 2 N m; see the module docstring."""

    name = "pendulum"
    num_obs = 3
    num_actions = 1
    state_dim = 2
    state_type = wp.vec2
    obs_type = wp.vec3
    default_max_episode_steps = 200
    param_names = ("mass", "length", "gravity")
    reward_term_names = ("angle", "velocity", "action")
    task_funcs = (pendulum_step, pendulum_terminated, pendulum_reset, pendulum_observe)

    def __init__(
        self,
        num_envs: int = 1,
        device: str = "auto",
        seed: int = 0,
        *,
        mass: float = 1.0,
        length: float = 1.0,
        gravity: float = 10.0,
        max_torque: float = 2.0,
        max_speed: float = 8.0,
        dt: float = 0.05,
        angle_cost: float = 1.0,
        velocity_cost: float = 0.1,
        action_cost: float = 0.001,
        reset_theta: float = 3.141592653589793,
        reset_theta_dot: float = 1.0,
        **knobs,
    ):
        self.dt = dt
        cfg = [
            mass,
            length,
            gravity,
            max_torque,
            max_speed,
            dt,
            angle_cost,
            velocity_cost,
            action_cost,
            reset_theta,
            reset_theta_dot,
        ]
        super().__init__(num_envs, device, seed, cfg=cfg, **knobs)
