"""CartPole: Gymnasium's `CartPole-v1` (Barto, Sutton & Anderson 1983) with a continuous force, as a WarpEnv.

Dynamics, reward, termination, truncation and reset follow `gymnasium/envs/classic_control/cartpole.py`
step for step (explicit Euler, tau (0.02 s) per step, the pole equations of Florian 2007), in float32.

Action (1, normalized, clipped to [-1, 1]):
  | idx | meaning            | range   | physical                                        |
  | 0   | force on the cart  | [-1, 1] | force_mag (10.0) * a N; -1 / +1 = Gymnasium's 0 / 1 |

Observation (4):
  | idx | quantity              | unit  |
  | 0   | cart position x       | m     |
  | 1   | cart velocity         | m/s   |
  | 2   | pole angle theta      | rad (0 upright, positive clockwise seen from Gymnasium's camera) |
  | 3   | pole angular velocity | rad/s |

Reward: alive_reward (1.0) every step, the terminating step included. Reward terms: ("alive",).

Reset: each of the 4 state variables uniform in [-reset_noise, reset_noise], reset_noise (0.05).

Termination: |x| > x_threshold (2.4 m) or |theta| > theta_threshold (0.2094 rad = 12 degrees).
Truncation: 500 steps (`max_episode_steps`), as Gymnasium's TimeLimit for CartPole-v1.

Physical parameters, each with a `<name>_scale` knob (fixed or (lo, hi) per episode):
  pole_length (0.5 m, half the length), pole_mass (0.1 kg), cart_mass (1.0 kg), gravity (9.8 m/s^2).

State (`get_state`): (x, x_dot, theta, theta_dot), Gymnasium's `env.unwrapped.state` order.
"""

import math

import warp as wp

from envs.core import WarpEnv

wp.set_module_options({"enable_backward": False})

vec1 = wp.types.vector(length=1, dtype=wp.float32)  # one normalized action


@wp.struct
class CartPoleConfig:
    """CartPole-v1's nominal physical parameters (the first four, in `CartPole.param_names` order) and task
    constants, SI units; each field is a constructor parameter with this default."""

    pole_length: float = 0.5  # half the pole's length, m
    pole_mass: float = 0.1  # kg
    cart_mass: float = 1.0  # kg
    gravity: float = 9.8  # m/s^2
    force_mag: float = 10.0  # N at |action| = 1
    tau: float = 0.02  # s per step
    x_threshold: float = 2.4  # m
    theta_threshold: float = 12 * 2 * math.pi / 360  # rad
    reset_noise: float = 0.05  # half-width of the uniform reset distribution (SI units)
    alive_reward: float = 1.0  # reward per step


@wp.func
def cartpole_step(cfg: CartPoleConfig, sc: wp.vec4, s: wp.vec4, a: vec1):
    """Return the state tau seconds later under force force_mag * a (N), explicit Euler, and the reward terms."""
    # Quantities of the parameters alone come first: they do not wait for sin/cos of the state, and one
    # reciprocal replaces Gymnasium's three divisions by the total mass (a long division chain per step
    # otherwise bounds a CPU's throughput; the results agree with Gymnasium's float64 to float32 rounding).
    length = cfg.pole_length * sc[0]
    masspole = cfg.pole_mass * sc[1]
    inv_total_mass = 1.0 / (masspole + cfg.cart_mass * sc[2])
    gravity = cfg.gravity * sc[3]
    polemass_length = masspole * length
    pml_over_total = polemass_length * inv_total_mass
    mp_over_total = masspole * inv_total_mass
    x = s[0]
    x_dot = s[1]
    theta = s[2]
    theta_dot = s[3]
    costheta = wp.cos(theta)
    sintheta = wp.sin(theta)

    # Florian (2007), "Correct equations for the dynamics of the cart-pole system", as in Gymnasium.
    temp = cfg.force_mag * a[0] * inv_total_mass + pml_over_total * theta_dot * theta_dot * sintheta
    inv_den = 1.0 / (length * (4.0 / 3.0 - mp_over_total * costheta * costheta))  # waits on cos only
    thetaacc = (gravity * sintheta - costheta * temp) * inv_den
    xacc = temp - pml_over_total * thetaacc * costheta

    # Explicit Euler: positions advance with the old velocities (Gymnasium's "euler" integrator).
    tau = cfg.tau
    s_next = wp.vec4(x + tau * x_dot, x_dot + tau * xacc, theta + tau * theta_dot, theta_dot + tau * thetaacc)
    return s_next, vec1(cfg.alive_reward)


@wp.func
def cartpole_terminated(cfg: CartPoleConfig, sc: wp.vec4, s: wp.vec4) -> bool:
    """Return whether the cart left [-x_threshold, x_threshold] m or the pole fell past theta_threshold rad."""
    return wp.abs(s[0]) > cfg.x_threshold or wp.abs(s[2]) > cfg.theta_threshold


@wp.func
def cartpole_reset(cfg: CartPoleConfig, sc: wp.vec4, rng: wp.uint32):
    """Return an initial state, each variable uniform in [-reset_noise, reset_noise] (SI units), and the RNG."""
    noise = cfg.reset_noise
    x = wp.randf(rng, -noise, noise)
    x_dot = wp.randf(rng, -noise, noise)
    theta = wp.randf(rng, -noise, noise)
    theta_dot = wp.randf(rng, -noise, noise)
    return wp.vec4(x, x_dot, theta, theta_dot), rng


@wp.func
def cartpole_observe(cfg: CartPoleConfig, sc: wp.vec4, s: wp.vec4) -> wp.vec4:
    """Return the observation (x m, x_dot m/s, theta rad, theta_dot rad/s): the state itself."""
    return s


class CartPole(WarpEnv):
    """Gymnasium CartPole-v1 with a continuous force in [-1, 1] x 10 N; see the module docstring."""

    name = "cartpole"
    num_obs = 4
    num_actions = 1
    state_dim = 4
    default_max_episode_steps = 500
    param_names = ("pole_length", "pole_mass", "cart_mass", "gravity")
    reward_term_names = ("alive",)
    task_funcs = (cartpole_step, cartpole_terminated, cartpole_reset, cartpole_observe)
    cfg_type = CartPoleConfig
    dt_field = "tau"
