"""Reacher: Gymnasium's `Reacher-v5` (a two-link arm in the horizontal plane reaching a random target, 2 motors) on
cleanppo's articulated dynamics.

Model: envs/assets/reacher.xml, written from Gymnasium's reacher.xml (same links, armature 1, damping 1, elbow range
+-3 rad, gears 200, the target on two slide joints, timestep 0.01 s); frame_skip 2, so dt = 0.02 s, each timestep
split into `substeps` (1: MuJoCo's own 10 ms step) implicit Euler steps, the elbow's limit one of MuJoCo's soft
constraints. No geom collides. Gymnasium integrates with RK4; here Euler (benchmarks/sim2sim.py runs a policy trained
here in Gymnasium's env).

Action (2, normalized, clipped to [-1, 1]; ctrl = a, torque = 200 a N m): joint0 (shoulder), joint1 (elbow).

Observation (10), Gymnasium Reacher-v5's:
  | idx | quantity                                                       | unit  |
  | 0-1 | cos of joint0, joint1                                          | -     |
  | 2-3 | sin of joint0, joint1                                          | -     |
  | 4-5 | target_x, target_y (the target's position in the plane)        | m     |
  | 6-7 | joint0, joint1 angular velocities                              | rad/s |
  | 8-9 | fingertip - target, x and y (the fingertip's body position)    | m     |

Reward = dist + ctrl_cost, each term logged (info["reward_terms"], this order; Gymnasium's reward_dist, reward_ctrl):
  dist       -reward_dist_weight (1.0) * |fingertip - target| [m] at the stepped state
             (Gymnasium's after its RK4 step: its last stage's, the same to O(h^2))
  ctrl_cost  -reward_control_weight (1.0) * sum(a^2)

Reset: the joint angles U(-reset_noise_scale, reset_noise_scale), reset_noise_scale (0.1) rad; the target uniform
in the disk of radius goal_radius (0.2) m about the shoulder (0.001 to 0.27 m, the target's slide range; drawn uniform
in the square until inside, as Gymnasium); the joint velocities U(-reset_qvel_scale, reset_qvel_scale),
reset_qvel_scale (0.005) rad/s; the target's velocity 0.
Termination: none. Truncation: 50 steps (`max_episode_steps`), as Gymnasium's Reacher-v5.

Physical parameters with a `<name>_scale` knob: mass (every body's mass and inertia), friction (every geom's sliding
friction; no geom collides, so it changes nothing), strength (both motors' gear); privileged observation =
(mass_scale, friction_scale, strength_scale).

State (`get_state`): concat(qpos (4), qvel (4)) in MuJoCo order: joint0, joint1, target_x, target_y.
"""

import numpy as np
import warp as wp

from envs.articulated import MjcfEnv

wp.set_module_options({"enable_backward": False})

vec8 = wp.types.vector(length=8, dtype=wp.float32)  # concat(qpos, qvel)
vec10 = wp.types.vector(length=10, dtype=wp.float32)  # the observation


@wp.struct
class ReacherConfig:
    """Reacher-v5's reward weights and reset distribution (SI units); each field with a default is a constructor
    parameter with that default; the control step and the arm's geometry come from the model."""

    reward_dist_weight: float = 1.0  # per m of fingertip-target distance
    reward_control_weight: float = 1.0  # per unit of sum(a^2)
    reset_noise_scale: float = 0.1  # half-width of the uniform joint-angle noise, rad
    reset_qvel_scale: float = 0.005  # half-width of the uniform joint-velocity noise, rad/s
    goal_radius: float = 0.2  # the target is drawn uniform in this disk about the shoulder, m
    dt: float  # control step, s
    upper_arm: float  # shoulder to elbow, m
    forearm: float  # elbow to fingertip, m


@wp.func
def fingertip_to_target(cfg: ReacherConfig, s: vec8) -> wp.vec2:
    """Return the fingertip's position minus the target's in the arm's plane (world x, y), m."""
    a = s[0]
    b = s[0] + s[1]
    tip = wp.vec2(
        cfg.upper_arm * wp.cos(a) + cfg.forearm * wp.cos(b), cfg.upper_arm * wp.sin(a) + cfg.forearm * wp.sin(b)
    )
    return tip - wp.vec2(s[2], s[3])


@wp.func
def reacher_step(cfg: ReacherConfig, sc: wp.vec3, s: vec8, s_phys: vec8, a: wp.vec2):
    """Return the stepped state (the simulator's) and the reward terms (dist, ctrl_cost) at it."""
    dist = -cfg.reward_dist_weight * wp.length(fingertip_to_target(cfg, s_phys))
    return s_phys, wp.vec2(dist, -cfg.reward_control_weight * wp.dot(a, a))


@wp.func
def reacher_terminated(cfg: ReacherConfig, sc: wp.vec3, s: vec8) -> bool:
    """Return False: Reacher-v5 never terminates (its episodes end at the time limit)."""
    return False


@wp.func
def reacher_reset(cfg: ReacherConfig, sc: wp.vec3, rng: wp.uint32):
    """Return an initial state (module docstring: joint angles and velocities uniform, the target uniform in the
    goal disk by rejection from the square) and the RNG."""
    s = vec8()
    noise = cfg.reset_noise_scale
    s[0] = wp.randf(rng, -noise, noise)
    s[1] = wp.randf(rng, -noise, noise)
    r = cfg.goal_radius
    gx = wp.randf(rng, -r, r)
    gy = wp.randf(rng, -r, r)
    while gx * gx + gy * gy >= r * r:
        gx = wp.randf(rng, -r, r)
        gy = wp.randf(rng, -r, r)
    s[2] = gx
    s[3] = gy
    v = cfg.reset_qvel_scale
    s[4] = wp.randf(rng, -v, v)
    s[5] = wp.randf(rng, -v, v)
    return s, rng


@wp.func
def reacher_observe(cfg: ReacherConfig, sc: wp.vec3, s: vec8) -> vec10:
    """Return the observation: cos and sin of both joint angles, the target (m), the joint velocities (rad/s) and
    fingertip - target (m)."""
    d = fingertip_to_target(cfg, s)
    return vec10(wp.cos(s[0]), wp.cos(s[1]), wp.sin(s[0]), wp.sin(s[1]), s[2], s[3], s[4], s[5], d[0], d[1])


class Reacher(MjcfEnv):
    """Gymnasium Reacher-v5 on Warp articulated dynamics; see the module docstring."""

    name = "reacher"
    asset = "reacher.xml"
    num_obs = 10
    num_actions = 2
    state_dim = 8
    default_max_episode_steps = 50
    reward_term_names = ("dist", "ctrl_cost")
    task_funcs = (reacher_step, reacher_terminated, reacher_reset, reacher_observe)
    cfg_type = ReacherConfig
    frame_skip = 2  # Reacher-v5's: dt = 0.02 s

    def _set_config(self, overrides: dict, constants: dict):
        cfg, ranges = super()._set_config(overrides, constants)
        # a target outside its slide joints' range would sit against their limits; radius 0 never ends the rejection
        reach = float(np.min(np.abs(self.model.jnt_range[2:4])))
        if not 1e-3 <= self.config["goal_radius"] <= reach:  # float32: a tiny radius squares to 0
            raise ValueError(
                f"goal_radius must be in [0.001, {reach:g}] m (the target's range), got {self.config['goal_radius']!r}"
            )
        return cfg, ranges

    def _model_constants(self, dt: float) -> dict[str, float]:
        # the arm's lengths from the model; the task's kinematics assume the layout of envs/assets/reacher.xml
        m, names = self.model, self.model.body_names
        elbow, tip, target = (m.body_pos[names.index(n)] for n in ("body1", "fingertip", "target"))
        shoulder = m.body_pos[names.index("body0")]
        if np.any(shoulder[:2]) or np.any(elbow[1:]) or np.any(tip[1:]):
            raise ValueError(f"{self.asset}: the arm must start at the origin with its links along their x axes")
        if not (np.allclose(target[:2], m.qpos0[2:4]) and target[2] == shoulder[2]):
            raise ValueError(f"{self.asset}: the target's qpos must be its world x, y, in the arm's plane")
        return {"dt": dt, "upper_arm": float(elbow[0]), "forearm": float(tip[0])}
