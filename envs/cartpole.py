"""CartPole: Gymnasium's `CartPole-v1` (Barto, Sutton & Anderson 1983) with a continuous force, as a WarpEnv.

Dynamics, reward, termination, truncation and reset follow `gymnasium/envs/classic_control/cartpole.py`
step for step (explicit Euler, tau = 0.02 s, the pole equations of Florian 2007), in float32.

Action (1, normalized, clipped to [-1, 1]):
  | idx | meaning            | range   | physical                                        |
  | 0   | force on the cart  | [-1, 1] | force_mag * a N (10 N); -1 / +1 = Gymnasium's 0 / 1 |

Observation (4):
  | idx | quantity              | unit  |
  | 0   | cart position x       | m     |
  | 1   | cart velocity         | m/s   |
  | 2   | pole angle theta      | rad (0 upright, positive clockwise seen from Gymnasium's camera) |
  | 3   | pole angular velocity | rad/s |

Reward: `alive_reward` (1.0) every step, the terminating step included. Reward terms: ("alive",).

Reset: each of the 4 state variables uniform in [-reset_noise, reset_noise] (0.05).

Termination: |x| > x_threshold (2.4 m) or |theta| > theta_threshold (12 degrees).
Truncation: 500 steps (`max_episode_steps`), as Gymnasium's TimeLimit for CartPole-v1.

Physical parameters, each with a `<name>_scale` knob (fixed or (lo, hi) per episode):
  pole_length (half length, 0.5 m), pole_mass (0.1 kg), cart_mass (1.0 kg), gravity (9.8 m/s^2).

State (`get_state`): (x, x_dot, theta, theta_dot), Gymnasium's `env.unwrapped.state` order.
"""

import warp as wp

from envs.core import WarpEnv
from kernels.episode import scaled_param

wp.set_module_options({"enable_backward": False})

# cfg layout: the physical parameters first (their index is their scale's index), then the constants.
POLE_LENGTH, POLE_MASS, CART_MASS, GRAVITY = 0, 1, 2, 3
FORCE_MAG, TAU, X_THRESHOLD, THETA_THRESHOLD, RESET_NOISE, ALIVE_REWARD = 4, 5, 6, 7, 8, 9


@wp.func
def cartpole_step(
    cfg: wp.array[float],
    scale: wp.array2d[float],
    worldid: int,
    state: wp.array[wp.vec4],
    action: wp.array2d[float],
    reward_terms: wp.array2d[float],
) -> float:
    """Advance one cart-pole by tau seconds of explicit Euler under force_mag * action (N); return the reward."""
    length = scaled_param(cfg, scale, worldid, POLE_LENGTH)
    masspole = scaled_param(cfg, scale, worldid, POLE_MASS)
    masscart = scaled_param(cfg, scale, worldid, CART_MASS)
    gravity = scaled_param(cfg, scale, worldid, GRAVITY)
    tau = cfg[TAU]
    total_mass = masspole + masscart
    polemass_length = masspole * length

    q = state[worldid]
    x = q[0]
    x_dot = q[1]
    theta = q[2]
    theta_dot = q[3]
    force = cfg[FORCE_MAG] * action[worldid, 0]
    costheta = wp.cos(theta)
    sintheta = wp.sin(theta)

    # Florian (2007), "Correct equations for the dynamics of the cart-pole system", as in Gymnasium.
    temp = (force + polemass_length * theta_dot * theta_dot * sintheta) / total_mass
    thetaacc = (gravity * sintheta - costheta * temp) / (
        length * (4.0 / 3.0 - masspole * costheta * costheta / total_mass)
    )
    xacc = temp - polemass_length * thetaacc * costheta / total_mass

    # Explicit Euler: positions advance with the old velocities (Gymnasium's "euler" integrator).
    state[worldid] = wp.vec4(x + tau * x_dot, x_dot + tau * xacc, theta + tau * theta_dot, theta_dot + tau * thetaacc)

    reward = cfg[ALIVE_REWARD]
    reward_terms[worldid, 0] = reward
    return reward


@wp.func
def cartpole_terminated(cfg: wp.array[float], scale: wp.array2d[float], worldid: int, q: wp.vec4) -> bool:
    """Return whether the cart left [-x_threshold, x_threshold] m or the pole fell past theta_threshold rad."""
    return wp.abs(q[0]) > cfg[X_THRESHOLD] or wp.abs(q[2]) > cfg[THETA_THRESHOLD]


@wp.func
def cartpole_reset(cfg: wp.array[float], scale: wp.array2d[float], worldid: int, rng: wp.uint32):
    """Return an initial state with every variable uniform in [-reset_noise, reset_noise] (SI units), and the RNG."""
    noise = cfg[RESET_NOISE]
    x = wp.randf(rng, -noise, noise)
    x_dot = wp.randf(rng, -noise, noise)
    theta = wp.randf(rng, -noise, noise)
    theta_dot = wp.randf(rng, -noise, noise)
    return wp.vec4(x, x_dot, theta, theta_dot), rng


@wp.func
def cartpole_observe(cfg: wp.array[float], scale: wp.array2d[float], worldid: int, q: wp.vec4) -> wp.vec4:
    """Return the observation (x, x_dot, theta, theta_dot), which is the state itself."""
    return q


class CartPole(WarpEnv):
    """Gymnasium CartPole-v1 with a continuous force in [-1, 1] x 10 N; see the module docstring."""

    name = "cartpole"
    num_obs = 4
    num_actions = 1
    state_dim = 4
    state_type = wp.vec4
    obs_type = wp.vec4
    default_max_episode_steps = 500
    param_names = ("pole_length", "pole_mass", "cart_mass", "gravity")
    reward_term_names = ("alive",)
    task_funcs = (cartpole_step, cartpole_terminated, cartpole_reset, cartpole_observe)

    def __init__(
        self,
        num_envs: int = 1,
        device: str = "auto",
        seed: int = 0,
        *,
        pole_length: float = 0.5,
        pole_mass: float = 0.1,
        cart_mass: float = 1.0,
        gravity: float = 9.8,
        force_mag: float = 10.0,
        tau: float = 0.02,
        x_threshold: float = 2.4,
        theta_threshold: float = 12 * 2 * 3.141592653589793 / 360,
        reset_noise: float = 0.05,
        alive_reward: float = 1.0,
        **knobs,
    ):
        self.dt = tau
        cfg = [
            pole_length,
            pole_mass,
            cart_mass,
            gravity,
            force_mag,
            tau,
            x_threshold,
            theta_threshold,
            reset_noise,
            alive_reward,
        ]
        super().__init__(num_envs, device, seed, cfg=cfg, **knobs)
