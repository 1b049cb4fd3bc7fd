"""Humanoid: Gymnasium's `Humanoid-v5` (17 motors) on cleanppo's articulated dynamics and contacts.

Model: envs/assets/humanoid.xml, written from Gymnasium's v5 humanoid.xml (same kinematics, masses, joint
ranges, springs, gears, control range, timestep 0.003 s); frame_skip 5, so dt = 0.015 s, each timestep split
into `substeps` (1) implicit Euler substeps with soft contacts against the floor (kernels/contact.py).
Known differences from Gymnasium: no self-collision between limbs (floor contacts only), and the forward
term uses the torso's displacement instead of the whole-body center of mass.

Action (17, normalized, clipped to [-1, 1]; ctrl = 0.4 a, torque = gear * ctrl):
  | idx   | actuators (gear N m)                                                                   |
  | 0-2   | abdomen_y, abdomen_z, abdomen_x (100)                                                  |
  | 3-6   | right_hip_x, right_hip_z (100), right_hip_y (300), right_knee (200)                    |
  | 7-10  | left_hip_x, left_hip_z (100), left_hip_y (300), left_knee (200)                        |
  | 11-16 | right_shoulder1, right_shoulder2, right_elbow, left_shoulder1, left_shoulder2, left_elbow (25) |

Observation (45), Gymnasium Humanoid-v5 with `exclude_current_positions_from_observation=True` and the
cinert, cvel, qfrc_actuator and cfrc_ext parts turned off (`include_*_in_observation=False`):
  | idx   | quantity                                                              | unit       |
  | 0     | torso z                                                               | m          |
  | 1-4   | torso orientation quaternion w, x, y, z                               | -          |
  | 5-21  | 17 hinge angles in MJCF order (abdomen_z, abdomen_y, abdomen_x, right_hip_x, ...) | rad |
  | 22-24 | torso linear velocity (world frame)                                   | m/s        |
  | 25-27 | torso angular velocity (body frame)                                   | rad/s      |
  | 28-44 | hinge angular velocities, same order as 5-21                          | rad/s      |

Reward = forward + healthy + ctrl_cost, each term logged (info["reward_terms"], this order):
  forward    forward_reward_weight (1.25) * dx/dt, dx the torso's x displacement over the step [m/s]
  healthy    healthy_reward (5.0) while healthy
  ctrl_cost  -ctrl_cost_weight (0.1) * sum(ctrl^2), ctrl = 0.4 a
Gymnasium's contact_cost (5e-7 * sum of squared external contact forces) is not computed.

Reset: qpos = qpos0 + U(-reset_noise_scale, reset_noise_scale), qvel = U(-reset_noise_scale, reset_noise_scale)
(0.01); qpos0 = torso at (0, 0, 1.4), identity orientation, joints 0.
Termination: unhealthy, i.e. torso z outside healthy_z_range [1.0, 2.0] m or a non-finite state.
Truncation: 1,000 steps (`max_episode_steps`).

Physical parameters with a `<name>_scale` knob: mass (every body's mass and inertia), friction (every
geom's sliding friction); privileged observation = (mass_scale, friction_scale).

State (`get_state`): concat(qpos (24), qvel (23)) in MuJoCo order.
"""

import warp as wp

from envs.core import MjcfEnv, all_finite

wp.set_module_options({"enable_backward": False})

NQ = 24
NV = 23
vec17 = wp.types.vector(length=17, dtype=wp.float32)
vec45 = wp.types.vector(length=45, dtype=wp.float32)
vec47 = wp.types.vector(length=47, dtype=wp.float32)


@wp.struct
class HumanoidConfig:
    """Reward weights, health bounds and reset noise of Humanoid-v5 (SI units)."""

    forward_reward_weight: float  # per m/s of forward velocity
    ctrl_cost_weight: float  # per unit of sum(ctrl^2)
    healthy_reward: float  # per step while healthy
    healthy_z_min: float  # m
    healthy_z_max: float  # m
    reset_noise_scale: float  # half-width of the uniform qpos (m, rad) and qvel (m/s, rad/s) noise
    init_z: float  # torso height of qpos0, m
    ctrl_scale: float  # ctrl = ctrl_scale * a (the model's symmetric ctrlrange)
    dt: float  # control step, s


@wp.func
def humanoid_healthy(cfg: HumanoidConfig, s: vec47) -> bool:
    """Return whether the state is finite and the torso height [m] is inside the healthy range."""
    return all_finite(s) and s[2] > cfg.healthy_z_min and s[2] < cfg.healthy_z_max


@wp.func
def humanoid_step(cfg: HumanoidConfig, sc: wp.vec2, s: vec47, s_phys: vec47, a: vec17):
    """Return the state after the physics and the reward terms (forward [m/s], healthy, ctrl cost) of the step."""
    x_velocity = (s_phys[0] - s[0]) / cfg.dt
    healthy = float(0.0)
    if humanoid_healthy(cfg, s_phys):
        healthy = cfg.healthy_reward
    ctrl_sq = cfg.ctrl_scale * cfg.ctrl_scale * wp.dot(a, a)
    return s_phys, wp.vec3(cfg.forward_reward_weight * x_velocity, healthy, -cfg.ctrl_cost_weight * ctrl_sq)


@wp.func
def humanoid_terminated(cfg: HumanoidConfig, sc: wp.vec2, s: vec47) -> bool:
    """Return whether the Humanoid is unhealthy (torso z [m] out of range or non-finite state)."""
    return not humanoid_healthy(cfg, s)


@wp.func
def humanoid_reset(cfg: HumanoidConfig, sc: wp.vec2, rng: wp.uint32):
    """Return qpos0 + uniform noise and uniform qvel noise (Gymnasium's Humanoid reset), and the RNG."""
    s = vec47()
    s[2] = cfg.init_z
    s[3] = 1.0
    noise = cfg.reset_noise_scale
    for i in range(NQ + NV):
        s[i] = s[i] + wp.randf(rng, -noise, noise)
    return s, rng


@wp.func
def humanoid_observe(cfg: HumanoidConfig, sc: wp.vec2, s: vec47) -> vec45:
    """Return qpos[2:] (m, quaternion, rad) then qvel (m/s, rad/s): the state without the torso's x, y."""
    o = vec45()
    for i in range(45):
        o[i] = s[i + 2]
    return o


class Humanoid(MjcfEnv):
    """Gymnasium Humanoid-v5 on Warp articulated dynamics with soft contacts; see the module docstring."""

    name = "humanoid"
    asset = "humanoid.xml"
    num_obs = 45
    num_actions = 17
    state_dim = NQ + NV
    default_max_episode_steps = 1000
    param_names = ("mass", "friction")
    reward_term_names = ("forward", "healthy", "ctrl_cost")
    task_funcs = (humanoid_step, humanoid_terminated, humanoid_reset, humanoid_observe)
    cfg_type = HumanoidConfig

    def __init__(
        self,
        num_envs: int = 1,
        device: str = "auto",
        seed: int = 0,
        *,
        forward_reward_weight: float = 1.25,
        ctrl_cost_weight: float = 0.1,
        healthy_reward: float = 5.0,
        healthy_z_range: tuple[float, float] = (1.0, 2.0),
        reset_noise_scale: float = 0.01,
        frame_skip: int = 5,
        substeps: int = 1,
        **knobs,
    ):
        cfg = dict(
            forward_reward_weight=forward_reward_weight,
            ctrl_cost_weight=ctrl_cost_weight,
            healthy_reward=healthy_reward,
            healthy_z_min=healthy_z_range[0],
            healthy_z_max=healthy_z_range[1],
            reset_noise_scale=reset_noise_scale,
            init_z=1.4,
            ctrl_scale=0.4,
        )
        super().__init__(num_envs, device, seed, cfg=cfg, frame_skip=frame_skip, substeps=substeps, **knobs)
