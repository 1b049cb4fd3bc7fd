"""The Gymnasium v5 locomotion family (Ant, HalfCheetah, Humanoid): one set of task functions, specialized
for each task by its model's sizes, its config table and two flags.

A task of the family declares its `asset`, its `cfg_type` and, where it differs from Ant, `obs_skip`,
`healthy_z_inclusive` and `uniform_qvel_noise`; its sizes come from the model. The config table decides:
  healthy_z_range, healthy_reward  the task pays healthy_reward while healthy and terminates when unhealthy
                                   (torso z outside the range or a non-finite state); without them: neither
  init_z                           qpos0 has a free root at height init_z with identity orientation; else 0
  ctrl_scale                       the control cost is of ctrl = ctrl_scale * a; without it, of a
Reward terms: forward = forward_reward_weight * dx/dt (dx the root's x displacement over the step, m/s),
healthy (when the task has it), ctrl_cost = -ctrl_cost_weight * sum(ctrl^2).
Reset: qpos = qpos0 + U(-reset_noise_scale, reset_noise_scale); qvel = reset_noise_scale * N(0, 1), or
U(-reset_noise_scale, reset_noise_scale) with `uniform_qvel_noise`.
"""

import functools
import os

import warp as wp

from envs.articulated import MjcfEnv, observe_state_tail
from envs.core import ASSETS, all_finite
from mjcf import load_mjcf

wp.set_module_options({"enable_backward": False})


@functools.cache
def locomotion_funcs(
    cfg_type, nq: int, nv: int, nu: int, obs_skip: int, healthy_z_inclusive: bool, uniform_qvel_noise: bool
):
    """Build (task_step, task_terminated, task_reset, task_observe) of a locomotion task with nq + nv state
    coordinates (MuJoCo order) and nu actuators; the module docstring gives what each computes."""
    state_type = wp.types.vector(nq + nv, wp.float32)
    action_type = wp.types.vector(nu, wp.float32)
    num_q, num_v = wp.constant(nq), wp.constant(nv)
    has_health = "healthy_z_range" in cfg_type.vars
    free_root = "init_z" in cfg_type.vars
    scaled_ctrl = "ctrl_scale" in cfg_type.vars

    @wp.func
    def healthy(cfg: cfg_type, s: state_type) -> bool:
        ok = True
        if wp.static(has_health):
            # Ant-v5 counts the range's bounds as healthy, Humanoid-v5 does not
            z = s[2]
            if wp.static(healthy_z_inclusive):
                ok = all_finite(s) and z >= cfg.healthy_z_range[0] and z <= cfg.healthy_z_range[1]
            else:
                ok = all_finite(s) and z > cfg.healthy_z_range[0] and z < cfg.healthy_z_range[1]
        return ok

    @wp.func
    def step(cfg: cfg_type, sc: wp.vec2, s: state_type, s_phys: state_type, a: action_type):
        x_velocity = (s_phys[0] - s[0]) / cfg.dt
        ctrl_sq = wp.dot(a, a)
        if wp.static(scaled_ctrl):
            ctrl_sq = cfg.ctrl_scale * cfg.ctrl_scale * ctrl_sq
        forward = cfg.forward_reward_weight * x_velocity
        ctrl_cost = -cfg.ctrl_cost_weight * ctrl_sq
        if wp.static(has_health):
            alive = float(0.0)
            if healthy(cfg, s_phys):
                alive = cfg.healthy_reward
            return s_phys, wp.vec3(forward, alive, ctrl_cost)
        else:
            return s_phys, wp.vec2(forward, ctrl_cost)

    @wp.func
    def terminated(cfg: cfg_type, sc: wp.vec2, s: state_type) -> bool:
        return not healthy(cfg, s)

    @wp.func
    def reset(cfg: cfg_type, sc: wp.vec2, rng: wp.uint32):
        s = state_type()
        if wp.static(free_root):
            s[2] = cfg.init_z
            s[3] = 1.0
        noise = cfg.reset_noise_scale
        if wp.static(uniform_qvel_noise):
            for i in range(num_q + num_v):
                s[i] = s[i] + wp.randf(rng, -noise, noise)
        else:
            for i in range(num_q):
                s[i] = s[i] + wp.randf(rng, -noise, noise)
            for i in range(num_v):
                s[num_q + i] = noise * wp.randn(rng)
        return s, rng

    return step, terminated, reset, observe_state_tail(obs_skip, nq + nv - obs_skip)


class LocomotionEnv(MjcfEnv):
    """Base of the locomotion family: a subclass declares name, asset, cfg_type and its flags; the sizes,
    reward_term_names and task_funcs follow from them (see the module docstring)."""

    obs_skip: int = 2  # leading qpos coordinates left out of the observation (the root's horizontal position)
    healthy_z_inclusive: bool = True  # whether a torso height equal to a bound of healthy_z_range is healthy
    uniform_qvel_noise: bool = False  # reset qvel uniform instead of Gaussian
    default_max_episode_steps = 1000

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        model = load_mjcf(os.path.join(ASSETS, cls.asset))
        cls.state_dim, cls.num_actions = model.nq + model.nv, model.nu
        cls.num_obs = cls.state_dim - cls.obs_skip
        health = "healthy_z_range" in cls.cfg_type.vars
        cls.reward_term_names = ("forward", "healthy", "ctrl_cost") if health else ("forward", "ctrl_cost")
        flags = (cls.obs_skip, cls.healthy_z_inclusive, cls.uniform_qvel_noise)
        cls.task_funcs = locomotion_funcs(cls.cfg_type, model.nq, model.nv, model.nu, *flags)
