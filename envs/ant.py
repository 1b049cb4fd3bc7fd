"""Ant: Gymnasium's `Ant-v5` (quadruped, 8 hip/ankle motors) on cleanppo's articulated dynamics and contacts.

Model: envs/assets/ant.xml, written from Gymnasium's v5 ant.xml (same kinematics, masses, gears 150, joint
ranges, timestep 0.01 s); frame_skip 5, so one step is dt = 0.05 s, each timestep split into `substeps`
(1: MuJoCo's own 10 ms step) implicit Euler steps with soft contacts (kernels/contact.py).

Action (8, normalized, clipped to [-1, 1]; ctrl = a, torque = 150 a N m):
  | idx | actuator  | joint   | idx | actuator | joint   |
  | 0   | hip_4     | hinge   | 4   | hip_2    | hinge   |
  | 1   | ankle_4   | hinge   | 5   | ankle_2  | hinge   |
  | 2   | hip_1     | hinge   | 6   | hip_3    | hinge   |
  | 3   | ankle_1   | hinge   | 7   | ankle_3  | hinge   |

Observation (27), Gymnasium Ant-v5 with `exclude_current_positions_from_observation=True` and
`include_cfrc_ext_in_observation=False` (external contact forces are not observed):
  | idx     | quantity                                                        | unit  |
  | 0       | torso z                                                         | m     |
  | 1-4     | torso orientation quaternion w, x, y, z                         | -     |
  | 5-12    | hip_1, ankle_1, hip_2, ankle_2, hip_3, ankle_3, hip_4, ankle_4  | rad   |
  | 13-15   | torso linear velocity x, y, z (world frame)                     | m/s   |
  | 16-18   | torso angular velocity (body frame)                             | rad/s |
  | 19-26   | joint velocities, same order as 5-12                            | rad/s |

Reward = forward + healthy + ctrl_cost, each term logged (info["reward_terms"], this order):
  forward    forward_reward_weight (1.0) * dx/dt, dx the torso's x displacement over the step [m/s]
  healthy    healthy_reward (1.0) while healthy (Ant-v5 pays it only when healthy)
  ctrl_cost  -ctrl_cost_weight (0.5) * sum(a^2)
Gymnasium's contact_cost (5e-4 * sum of clipped squared external contact forces) is not computed.

Reset: qpos = qpos0 + U(-reset_noise_scale, reset_noise_scale) per coordinate (the quaternion included, as
Gymnasium), qvel = reset_noise_scale * N(0, 1), reset_noise_scale (0.1); qpos0 (from ant.xml) = torso at
(0, 0, 0.75), identity orientation, joints 0 (the ankles start 30 degrees outside their range; the limits push
them in, as in MuJoCo).

Termination: unhealthy, i.e. torso z outside healthy_z_range (0.2, 1.0) m or a non-finite state.
Truncation: 1,000 steps (`max_episode_steps`).

Physical parameters with a `<name>_scale` knob: mass (every body's mass and inertia), friction (every
geom's sliding friction); privileged observation = (mass_scale, friction_scale).

State (`get_state`): concat(qpos (15), qvel (14)) in MuJoCo order.
"""

import warp as wp

from envs.articulated import MjcfEnv, observe_state_tail
from envs.core import all_finite

wp.set_module_options({"enable_backward": False})

NQ, NV, NU = 15, 14, 8  # ant.xml: free torso (7 qpos, 6 qvel) and 8 hinges; MjcfEnv checks them against the model
NOBS = NQ - 2 + NV  # the state without the torso's x, y
State = wp.types.vector(NQ + NV, wp.float32)
Action = wp.types.vector(NU, wp.float32)


@wp.struct
class AntConfig:
    """Ant-v5's reward weights, health bounds and reset noise (SI units); each field with a default is a
    constructor parameter with that default, the others come from the model."""

    forward_reward_weight: float = 1.0  # per m/s of forward velocity
    ctrl_cost_weight: float = 0.5  # per unit of sum(a^2)
    healthy_reward: float = 1.0  # per step while healthy
    healthy_z_range: wp.vec2 = (0.2, 1.0)  # torso heights of a healthy Ant (inclusive), m
    reset_noise_scale: float = 0.1  # half-width of the qpos noise (m, rad), std of the qvel noise (m/s, rad/s)
    init_z: float  # torso height of qpos0, m
    dt: float  # control step, s


@wp.func
def ant_healthy(cfg: AntConfig, s: State) -> bool:
    """Return whether the state is finite and the torso height [m] is inside the healthy range."""
    return all_finite(s) and s[2] >= cfg.healthy_z_range[0] and s[2] <= cfg.healthy_z_range[1]


@wp.func
def ant_step(cfg: AntConfig, sc: wp.vec2, s: State, s_phys: State, a: Action):
    """Return the state after the physics and the reward terms (forward [m/s], healthy, ctrl cost) of the step."""
    x_velocity = (s_phys[0] - s[0]) / cfg.dt
    healthy = float(0.0)
    if ant_healthy(cfg, s_phys):
        healthy = cfg.healthy_reward
    return s_phys, wp.vec3(cfg.forward_reward_weight * x_velocity, healthy, -cfg.ctrl_cost_weight * wp.dot(a, a))


@wp.func
def ant_terminated(cfg: AntConfig, sc: wp.vec2, s: State) -> bool:
    """Return whether the Ant is unhealthy (torso z [m] out of range or non-finite state)."""
    return not ant_healthy(cfg, s)


@wp.func
def ant_reset(cfg: AntConfig, sc: wp.vec2, rng: wp.uint32):
    """Return qpos0 + uniform noise and Gaussian qvel noise (Gymnasium's Ant reset), and the RNG."""
    s = State()
    s[2] = cfg.init_z
    s[3] = 1.0
    noise = cfg.reset_noise_scale
    for i in range(NQ):
        s[i] = s[i] + wp.randf(rng, -noise, noise)
    for i in range(NV):
        s[NQ + i] = noise * wp.randn(rng)
    return s, rng


class Ant(MjcfEnv):
    """Gymnasium Ant-v5 on Warp articulated dynamics with soft contacts; see the module docstring."""

    name = "ant"
    asset = "ant.xml"
    num_obs = NOBS
    num_actions = NU
    state_dim = NQ + NV
    default_max_episode_steps = 1000
    reward_term_names = ("forward", "healthy", "ctrl_cost")
    task_funcs = (ant_step, ant_terminated, ant_reset, observe_state_tail(2, NOBS))
    cfg_type = AntConfig
