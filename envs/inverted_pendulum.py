"""InvertedPendulum: Gymnasium's `InvertedPendulum-v5` (a pole balanced on a cart driven along a rail, 1 motor) on
cleanppo's articulated dynamics.

Model: envs/assets/inverted_pendulum.xml, written from Gymnasium's inverted_pendulum.xml (same cart and pole capsules,
slider range +-1 m, hinge range +-90 degrees, joint damping 1, gear 100, ctrlrange +-3, timestep 0.02 s); frame_skip
2, so dt = 0.04 s, each timestep split into `substeps` (1: MuJoCo's own 20 ms step) implicit Euler steps, the joint
limits MuJoCo's soft constraints (kernels/contact.py). No geom collides. Gymnasium integrates with RK4; here Euler
(benchmarks/sim2sim.py runs a policy trained here in Gymnasium's env).

Action (1, normalized, clipped to [-1, 1]; ctrl = 3 a, force = 300 a N on the cart): slide.

Observation (4), Gymnasium InvertedPendulum-v5's: concat(qpos, qvel):
  | idx | quantity                                   | unit  |
  | 0   | slider (cart position along the rail)      | m     |
  | 1   | hinge (pole angle from upright)            | rad   |
  | 2   | slider velocity                            | m/s   |
  | 3   | hinge angular velocity                     | rad/s |

Reward: survive_reward (1.0) on every step that does not terminate, 0 on the one that does (InvertedPendulum-v5's
int(not terminated)). Reward terms (info["reward_terms"]): ("survive",).

Reset: qpos = 0 + U(-reset_noise_scale, reset_noise_scale), qvel = U(-reset_noise_scale, reset_noise_scale),
reset_noise_scale (0.01).
Termination: |hinge| > max_pole_angle (0.2 rad), or a non-finite state (as Gymnasium's non-finite observation).
Truncation: 1,000 steps (`max_episode_steps`).

Physical parameters with a `<name>_scale` knob: mass (both bodies' mass and inertia), friction (every geom's sliding
friction; no geom collides, so it changes nothing), strength (the motor's gear); privileged observation =
(mass_scale, friction_scale, strength_scale).

State (`get_state`): concat(qpos (2), qvel (2)) in MuJoCo order, the observation itself.
"""

import warp as wp

from envs.articulated import MjcfEnv
from envs.core import all_finite

wp.set_module_options({"enable_backward": False})

vec1 = wp.types.vector(length=1, dtype=wp.float32)  # the one action, the one reward term


@wp.struct
class InvertedPendulumConfig:
    """InvertedPendulum-v5's termination angle, reward and reset noise (SI units); each field with a default is a
    constructor parameter with that default, `dt` comes from the model."""

    max_pole_angle: float = 0.2  # |hinge| beyond it terminates, rad
    survive_reward: float = 1.0  # reward per step that does not terminate
    reset_noise_scale: float = 0.01  # half-width of the uniform qpos and qvel noise (m, rad, m/s, rad/s)
    dt: float  # control step, s


@wp.func
def inverted_pendulum_fell(cfg: InvertedPendulumConfig, sc: wp.vec3, s: wp.vec4) -> bool:
    """Return whether the pole's angle s[1] (rad) is beyond max_pole_angle or the state is not finite."""
    return not all_finite(s) or wp.abs(s[1]) > cfg.max_pole_angle


@wp.func
def inverted_pendulum_step(cfg: InvertedPendulumConfig, sc: wp.vec3, s: wp.vec4, s_phys: wp.vec4, a: vec1):
    """Return the stepped state (the simulator's) and the reward term: survive_reward unless it fell."""
    survive = float(0.0)
    if not inverted_pendulum_fell(cfg, sc, s_phys):
        survive = cfg.survive_reward
    return s_phys, vec1(survive)


@wp.func
def inverted_pendulum_reset(cfg: InvertedPendulumConfig, sc: wp.vec3, rng: wp.uint32):
    """Return an initial state (qpos, qvel), each coordinate U(-reset_noise_scale, reset_noise_scale), and the RNG."""
    noise = cfg.reset_noise_scale
    s = wp.vec4()
    for i in range(4):
        s[i] = wp.randf(rng, -noise, noise)
    return s, rng


@wp.func
def inverted_pendulum_observe(cfg: InvertedPendulumConfig, sc: wp.vec3, s: wp.vec4) -> wp.vec4:
    """Return the observation (slider m, hinge rad, their velocities m/s and rad/s): the state itself."""
    return s


class InvertedPendulum(MjcfEnv):
    """Gymnasium InvertedPendulum-v5 on Warp articulated dynamics; see the module docstring."""

    name = "inverted_pendulum"
    asset = "inverted_pendulum.xml"
    num_obs = 4
    num_actions = 1
    state_dim = 4
    default_max_episode_steps = 1000
    reward_term_names = ("survive",)
    task_funcs = (inverted_pendulum_step, inverted_pendulum_fell, inverted_pendulum_reset, inverted_pendulum_observe)
    cfg_type = InvertedPendulumConfig
    frame_skip = 2  # InvertedPendulum-v5's: dt = 0.04 s
