"""Episode mechanics shared by every WarpEnv: action delay and noise, observation noise, per-episode
domain randomization, episode statistics and autoreset, fused with a task's own functions into one
step kernel.

A task supplies four `@wp.func` (signatures in `make_step_kernel`); this module owns everything else,
so the perturbation knobs behave the same in every env. One launch does a whole env step for all envs:
on a CPU the launch overhead, not the arithmetic, is what a small task like CartPole pays for.

Array shapes (N = num_envs, A = num_actions, O = num_obs, P = number of physical parameters):
  state (N, S); scale (N, P); action_buf (N, max_delay + 1, A); obs (N, O).
"""

import functools

import warp as wp

from kernels.rng import env_rng

wp.set_module_options({"enable_backward": False})


@wp.func
def scaled_param(cfg: wp.array[float], scale: wp.array2d[float], worldid: int, k: int) -> float:
    """Return physical parameter k of env `worldid`: nominal value cfg[k] times its per-env scale (SI units)."""
    return cfg[k] * scale[worldid, k]


@wp.func
def delayed_action(action_buf: wp.array3d[float], worldid: int, head: int, delay: int, j: int, a: float) -> float:
    """Store normalized action `a` at ring slot `head` and return component j as it was `delay` steps earlier."""
    length = action_buf.shape[1]
    action_buf[worldid, head, j] = a
    return action_buf[worldid, (head - delay + length) % length, j]


@wp.func
def draw_episode_params(
    scale_lo: wp.array[float],
    scale_hi: wp.array[float],
    delay_lo: int,
    delay_hi: int,
    worldid: int,
    rng: wp.uint32,
    scale: wp.array2d[float],
    delay: wp.array[int],
    action_buf: wp.array3d[float],
    buf_head: wp.array[int],
) -> wp.uint32:
    """Draw env `worldid`'s parameter scales (uniform in [lo, hi]) and action delay (steps) for a new episode.

    Also empties its action ring buffer, so a delayed env applies zero action until its first action arrives.
    Fixed values (lo == hi) consume no random numbers.
    """
    for k in range(scale.shape[1]):
        lo = scale_lo[k]
        hi = scale_hi[k]
        if hi > lo:
            scale[worldid, k] = wp.randf(rng, lo, hi)
        else:
            scale[worldid, k] = lo
    d = delay_lo
    if delay_hi > delay_lo:
        d = wp.randi(rng, delay_lo, delay_hi + 1)
    delay[worldid] = d
    for i in range(action_buf.shape[1]):
        for j in range(action_buf.shape[2]):
            action_buf[worldid, i, j] = 0.0
    buf_head[worldid] = 0
    return rng


@functools.cache
def make_step_kernel(task_step, task_terminated, task_reset, task_observe, state_type, obs_type):
    """Build the fused env-step kernel (one thread per env) from a task's four functions and vector types.

    State and observation rows are Warp vectors (`state_type`, `obs_type`, e.g. wp.vec4): one load or store
    per env instead of one per component, which on a CPU is most of the cost of a small task's step.
    The task functions, all `@wp.func`; `cfg` holds the task's constants, `scale[worldid, k]` the per-env
    scale of physical parameter k, whose nominal value is cfg[k]:
      task_step(cfg, scale, worldid, state, action, reward_terms) -> float
          advance state[worldid] by one control step under action[worldid] (normalized, in [-1, 1]);
          write each weighted reward term to reward_terms[worldid, k] and return the reward.
      task_terminated(cfg, scale, worldid, s) -> bool           state vector s is terminal
      task_reset(cfg, scale, worldid, rng) -> (state_type, wp.uint32)  an initial state and the advanced RNG
      task_observe(cfg, scale, worldid, s) -> obs_type          the observation of state vector s
    """
    obs_len = wp.constant(obs_type._length_)

    @wp.func
    def noisy(o: obs_type, std: float, rng: wp.uint32):
        if std > 0.0:
            for j in range(obs_len):
                o[j] = o[j] + std * wp.randn(rng)
        return o, rng

    @wp.kernel(module="unique", enable_backward=False)
    def env_step(
        # Model:
        cfg: wp.array[float],
        seed: int,
        max_episode_steps: int,
        reset_all: int,
        action_noise_std: float,
        obs_noise_std: float,
        scale_lo: wp.array[float],
        scale_hi: wp.array[float],
        delay_lo: int,
        delay_hi: int,
        # Data in:
        actions_in: wp.array2d[float],
        # Data in and out (carried from step to step):
        state: wp.array[state_type],
        scale: wp.array2d[float],
        delay: wp.array[int],
        action_buf: wp.array3d[float],
        buf_head: wp.array[int],
        rng_counter: wp.array[int],
        ep_return: wp.array[float],
        ep_length: wp.array[int],
        # Data out:
        applied_action_out: wp.array2d[float],
        obs_out: wp.array[obs_type],
        reward_out: wp.array[float],
        reward_terms_out: wp.array2d[float],
        terminated_out: wp.array[wp.bool],
        truncated_out: wp.array[wp.bool],
        final_obs_out: wp.array[obs_type],
        final_return_out: wp.array[float],
        final_length_out: wp.array[int],
        bad_action_out: wp.array[int],
    ):
        worldid = wp.tid()

        if reset_all == 0:
            # A non-finite action never reaches the state: the env is left as it was and the host is told.
            for j in range(actions_in.shape[1]):
                if not wp.isfinite(actions_in[worldid, j]):
                    wp.atomic_add(bad_action_out, 0, 1)
                    wp.atomic_min(bad_action_out, 1, worldid)
                    return

        # Counter-based draws: the counter advances every step whether or not a draw is needed, and the
        # (comparatively costly) hash runs only when one is.
        counter = rng_counter[worldid]
        rng_counter[worldid] = counter + 1
        rng = wp.uint32(0)
        if action_noise_std > 0.0 or obs_noise_std > 0.0 or reset_all != 0:
            rng = env_rng(seed, worldid, counter)

        done = reset_all != 0
        s = state_type()
        ret = float(0.0)
        length = int(0)
        if reset_all == 0:
            if delay_hi > 0:
                head = buf_head[worldid]
                d = delay[worldid]
                for j in range(actions_in.shape[1]):
                    a = actions_in[worldid, j]
                    if action_noise_std > 0.0:
                        a = a + action_noise_std * wp.randn(rng)
                    a = wp.clamp(a, -1.0, 1.0)
                    applied_action_out[worldid, j] = delayed_action(action_buf, worldid, head, d, j, a)
                buf_head[worldid] = (head + 1) % action_buf.shape[1]
            else:
                for j in range(actions_in.shape[1]):
                    a = actions_in[worldid, j]
                    if action_noise_std > 0.0:
                        a = a + action_noise_std * wp.randn(rng)
                    applied_action_out[worldid, j] = wp.clamp(a, -1.0, 1.0)

            r = task_step(cfg, scale, worldid, state, applied_action_out, reward_terms_out)
            s = state[worldid]
            ret = ep_return[worldid] + r
            length = ep_length[worldid] + 1
            terminated = task_terminated(cfg, scale, worldid, s)
            truncated = length >= max_episode_steps
            reward_out[worldid] = r
            terminated_out[worldid] = terminated
            truncated_out[worldid] = truncated
            if terminated or truncated:
                done = True
                if action_noise_std == 0.0 and obs_noise_std == 0.0:
                    rng = env_rng(seed, worldid, counter)
                final_obs, rng = noisy(task_observe(cfg, scale, worldid, s), obs_noise_std, rng)
                final_obs_out[worldid] = final_obs
                final_return_out[worldid] = ret
                final_length_out[worldid] = length
        else:
            reward_out[worldid] = 0.0
            terminated_out[worldid] = False
            truncated_out[worldid] = False
            for k in range(reward_terms_out.shape[1]):
                reward_terms_out[worldid, k] = 0.0

        if done:
            # Autoreset: the returned observation is the first of the next episode.
            rng = draw_episode_params(
                scale_lo, scale_hi, delay_lo, delay_hi, worldid, rng, scale, delay, action_buf, buf_head
            )
            s, rng = task_reset(cfg, scale, worldid, rng)
            state[worldid] = s
            ret = 0.0
            length = 0
        ep_return[worldid] = ret
        ep_length[worldid] = length

        obs, rng = noisy(task_observe(cfg, scale, worldid, s), obs_noise_std, rng)
        obs_out[worldid] = obs

    return env_step
