"""InvertedDoublePendulum: Gymnasium's `InvertedDoublePendulum-v5` (two poles balanced on a cart driven along a rail,
1 motor) on cleanppo's articulated dynamics.

Model: envs/assets/inverted_double_pendulum.xml, written from Gymnasium's inverted_double_pendulum.xml (same cart and
pole capsules, slider range +-1 m with a 0.01 m limit margin, unlimited hinges, joint damping 0.05, gear 500,
ctrlrange +-1, timestep 0.01 s); frame_skip 5, so dt = 0.05 s, each timestep split into `substeps` (1: MuJoCo's own
10 ms step) implicit Euler steps, the slider's limit MuJoCo's soft constraint (kernels/contact.py). No geom collides.
Gymnasium integrates with RK4; here Euler (benchmarks/sim2sim.py runs a policy trained here in Gymnasium's env).

Action (1, normalized, clipped to [-1, 1]; ctrl = a, force = 500 a N on the cart): slide.

Observation (9), Gymnasium InvertedDoublePendulum-v5's:
  | idx | quantity                                                        | unit  |
  | 0   | slider (cart position along the rail)                           | m     |
  | 1-2 | sin of hinge (first pole from upright), of hinge2 (second from first) | -  |
  | 3-4 | cos of hinge, of hinge2                                         | -     |
  | 5-7 | slider, hinge, hinge2 velocities, each clipped to +-10          | m/s, rad/s |
  | 8   | MuJoCo's qfrc_constraint[0], the slider limit's force, clipped to +-10 | N |
Row 8 is MuJoCo's value after mj_step: the constraint force of the step's last substep (at that substep's start
state; kernels.articulation.Simulator.constraint_force), 0 after a reset (the reset cart is out of the limit's margin:
`reset_noise_scale` < 0.99 m) and after set_state until the next step.

Reward: survive (healthy_reward (10.0) on every step that does not terminate; 0 on the one that does) + distance
(-(0.01 x^2 + (z - 2)^2), the second pole's tip at world (x, z) m) + velocity (-(1e-3 w1^2 + 5e-3 w2^2), the hinges'
angular velocities, rad/s): InvertedDoublePendulum-v5's reward and its info terms ("reward_survive",
"distance_penalty", "velocity_penalty"). Reward terms (info["reward_terms"]): ("survive", "distance", "velocity").
The tip is at the stepped state (MuJoCo's site_xpos after mj_step is its last substep's start; the difference is
O(dt) per step).

Reset: qpos = 0 + U(-s, s), qvel = N(0, s^2), s = reset_noise_scale (0.1), below 0.99 (m, rad).
Termination: the tip's height z <= min_tip_height (1.0) m (Gymnasium's y <= 1, the site's third coordinate), or a
non-finite state.
Truncation: 1,000 steps (`max_episode_steps`).

Physical parameters with a `<name>_scale` knob: mass (every body's mass and inertia), friction (no geom collides, so
it changes nothing), strength (the motor's gear); privileged observation = (mass_scale, friction_scale,
strength_scale).

State (`get_state`): concat(qpos (3), qvel (3)) in MuJoCo order.
"""

import numpy as np
import warp as wp

from envs.articulated import MjcfEnv
from envs.core import all_finite

wp.set_module_options({"enable_backward": False})

vec6 = wp.types.vector(length=6, dtype=wp.float32)  # concat(qpos, qvel)
vec8 = wp.types.vector(length=8, dtype=wp.float32)  # the observation but the constraint force
vec1 = wp.types.vector(length=1, dtype=wp.float32)  # the one action

# InvertedDoublePendulum-v5's clip of the observed joint velocities and of the constraint force
OBS_CLIP = 10.0


@wp.struct
class InvertedDoublePendulumConfig:
    """InvertedDoublePendulum-v5's reward, termination and reset noise (SI units); each field with a default is a
    constructor parameter with that default; the control step and the poles' lengths come from the model."""

    healthy_reward: float = 10.0  # reward per step that does not terminate
    reset_noise_scale: float = 0.1  # half-width of the uniform qpos noise (m, rad), std of the normal qvel noise
    min_tip_height: float = 1.0  # the tip's height z at or below it terminates, m
    dt: float  # control step, s
    pole_length: float  # first hinge to second hinge, m
    tip_length: float  # second hinge to the tip, m


@wp.func
def tip_position(cfg: InvertedDoublePendulumConfig, s: vec6) -> wp.vec2:
    """Return the second pole's tip in world (x, z), m: the cart's slide plus both poles, each turned about world y
    from upright by its hinge angle."""
    a = s[1]
    b = s[1] + s[2]
    return wp.vec2(
        s[0] + cfg.pole_length * wp.sin(a) + cfg.tip_length * wp.sin(b),
        cfg.pole_length * wp.cos(a) + cfg.tip_length * wp.cos(b),
    )


@wp.func
def inverted_double_pendulum_fell(cfg: InvertedDoublePendulumConfig, sc: wp.vec3, s: vec6) -> bool:
    """Return whether the tip's height (m) is at or below min_tip_height or the state is not finite."""
    return not all_finite(s) or tip_position(cfg, s)[1] <= cfg.min_tip_height


@wp.func
def inverted_double_pendulum_step(cfg: InvertedDoublePendulumConfig, sc: wp.vec3, s: vec6, s_phys: vec6, a: vec1):
    """Return the stepped state (the simulator's) and the reward terms at it: survive (healthy_reward unless it
    fell), distance and velocity penalties."""
    tip = tip_position(cfg, s_phys)
    survive = float(0.0)
    if not inverted_double_pendulum_fell(cfg, sc, s_phys):
        survive = cfg.healthy_reward
    distance = 0.01 * tip[0] * tip[0] + (tip[1] - 2.0) * (tip[1] - 2.0)
    velocity = 1.0e-3 * s_phys[4] * s_phys[4] + 5.0e-3 * s_phys[5] * s_phys[5]
    return s_phys, wp.vec3(survive, -distance, -velocity)


@wp.func
def inverted_double_pendulum_reset(cfg: InvertedDoublePendulumConfig, sc: wp.vec3, rng: wp.uint32):
    """Return an initial state (qpos uniform in +-reset_noise_scale, qvel normal of std reset_noise_scale) and the
    RNG."""
    noise = cfg.reset_noise_scale
    s = vec6()
    for i in range(3):
        s[i] = wp.randf(rng, -noise, noise)
    for i in range(3):
        s[3 + i] = noise * wp.randn(rng)
    return s, rng


@wp.func
def inverted_double_pendulum_observe(cfg: InvertedDoublePendulumConfig, sc: wp.vec3, s: vec6) -> vec8:
    """Return the observation but its constraint force: slider (m), sin and cos of both hinges, the three velocities
    clipped to +-10 (m/s, rad/s)."""
    o = vec8(s[0], wp.sin(s[1]), wp.sin(s[2]), wp.cos(s[1]), wp.cos(s[2]), 0.0, 0.0, 0.0)
    for i in range(3):
        o[5 + i] = wp.clamp(s[3 + i], -OBS_CLIP, OBS_CLIP)
    return o


@wp.kernel
def _constraint_obs_kernel(
    row: int,
    stride: int,
    qfrc_constraint: wp.array2d[float],
    terminated: wp.array[wp.bool],
    truncated: wp.array[wp.bool],
    obs: wp.array[float],
    final_obs: wp.array[float],
):
    """Add the slider's constraint force [N] of the step, clipped to +-10, to observation `row` of each env: the
    final observation of an env that ended (its new episode's is 0), else the observation."""
    w = wp.tid()
    f = wp.clamp(qfrc_constraint[w, 0], -OBS_CLIP, OBS_CLIP)
    if terminated[w] or truncated[w]:
        final_obs[w * stride + row] = final_obs[w * stride + row] + f
    else:
        obs[w * stride + row] = obs[w * stride + row] + f


class InvertedDoublePendulum(MjcfEnv):
    """Gymnasium InvertedDoublePendulum-v5 on Warp articulated dynamics; see the module docstring."""

    name = "inverted_double_pendulum"
    asset = "inverted_double_pendulum.xml"
    num_obs = 9
    obs_head = 8  # task_observe returns all but the constraint force, which _constraint_obs_kernel adds
    num_actions = 1
    state_dim = 6
    default_max_episode_steps = 1000
    reward_term_names = ("survive", "distance", "velocity")
    task_funcs = (
        inverted_double_pendulum_step,
        inverted_double_pendulum_fell,
        inverted_double_pendulum_reset,
        inverted_double_pendulum_observe,
    )
    cfg_type = InvertedDoublePendulumConfig
    frame_skip = 5  # InvertedDoublePendulum-v5's: dt = 0.05 s

    def _set_config(self, overrides: dict, constants: dict):
        cfg, ranges = super()._set_config(overrides, constants)
        # a reset cart within the slider limit's margin would start with a constraint force the reset does not observe
        margin = float(self.model.jnt_range[0, 1] - self.model.jnt_margin[0])
        if not 0.0 <= self.config["reset_noise_scale"] < margin:
            raise ValueError(
                f"reset_noise_scale must be in [0, {margin:g}) (m, rad; out of the slider limit's margin), got "
                f"{self.config['reset_noise_scale']!r}"
            )
        return cfg, ranges

    def _model_constants(self, dt: float) -> dict[str, float]:
        # the poles' lengths from the model; the task's kinematics assume the layout of the asset: hinges about y,
        # the second pole's body on the first one's z axis, its capsule from its hinge up its z axis (the tip site of
        # Gymnasium's model sits at that capsule's end)
        m = self.model
        pole2 = m.body_names.index("pole2")
        geom = int(np.flatnonzero(m.geom_bodyid == pole2)[0])
        if np.any(m.jnt_axis[1:] != (0.0, 1.0, 0.0)) or np.any(m.body_pos[pole2][:2]) or np.any(m.geom_pos[geom][:2]):
            raise ValueError(f"{self.asset}: hinges about y with the poles along their z axes expected")
        tip = float(m.geom_pos[geom][2] + m.geom_size[geom][1])
        return {"dt": dt, "pole_length": float(m.body_pos[pole2][2]), "tip_length": tip}

    def _build_launches(self, cfg, scale_ranges, sim) -> None:
        super()._build_launches(cfg, scale_ranges, sim)
        a = self._arrays

        def flat(x: wp.array) -> wp.array:
            return wp.array(ptr=x.ptr, dtype=float, shape=(x.size * self.num_obs,), device=x.device)

        self._obs_arrays = (flat(a["obs_out"]), flat(a["final_obs_out"]))  # alive as long as the launch
        inputs = [self.obs_head, self.num_obs, sim.qfrc_constraint, a["terminated_out"], a["truncated_out"]]
        self._constraint_obs_cmd = self.record_launch(
            _constraint_obs_kernel, self.num_envs, inputs + [*self._obs_arrays]
        )

    def _after_physics_launches(self) -> list:
        return [self.sim.constraint_force_launch()]

    def step(self, actions):
        """One control step (WarpEnv.step), then the slider's constraint force into the observations."""
        out = super().step(actions)
        self._constraint_obs_cmd.launch()
        return out

    def launch_sequence(self) -> list:
        """WarpEnv.launch_sequence, then the constraint-force observation."""
        return super().launch_sequence() + [self._constraint_obs_cmd]
