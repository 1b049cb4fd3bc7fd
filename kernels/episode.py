"""Episode mechanics shared by every WarpEnv, fused with a task's own functions into one step kernel:
action checks, noise and delay; observation noise; per-episode domain randomization; episode statistics
and autoreset.

A task supplies four pure `@wp.func` on Warp vectors (signatures in `make_step_kernel`); this module owns
everything else, so the perturbation knobs behave the same in every env. One launch steps all envs.

Why vectors and one struct per env: on a CPU a small task's step is dominated by array accesses (each one
an index computation and a bounds branch in Warp's generated code), not by its arithmetic. With every
per-env row a vector (state, action, observation, parameter scales, reward terms) and the bookkeeping a
struct, a CartPole step touches each array once.

Array shapes (N = num_envs; vectors have the task's lengths): state (N,) of state_type; scale (N,) of
scale_type; episode (N,) of EpisodeState; action_buf (N * (max_delay + 1),) of action_type; obs (N,) of obs_type.
Articulated envs also pass the simulator's qpos (N, nq), qvel (N, nv), ctrl (N, nu) and per-env mass, friction
and motor strength scale rows (N, nbody), (N, ngeom), (N, nu), each flattened to 1D; other envs pass 1-element
placeholders.
Callers bind the kernel's arguments by parameter name (`kernel_inputs`), never by position.
"""

import functools

import warp as wp

from kernels.rng import env_rng

wp.set_module_options({"enable_backward": False})


@wp.struct
class EpisodeState:
    """Per-env bookkeeping carried from step to step."""

    ep_return: float  # return of the current episode so far (reward units)
    ep_length: wp.int32  # steps taken in the current episode
    rng_counter: wp.int32  # RNG draw batches consumed by this env (counter-based stream position)
    buf_head: wp.int32  # action ring-buffer slot written this step
    delay: wp.int32  # action delay of the current episode (steps)


@wp.func
def store_episode(episode: wp.array[EpisodeState], i: int, ep: EpisodeState):
    """Write env i's bookkeeping field by field."""
    # A whole-struct store copies the struct through the stack right after its fields were written one by
    # one; on x86 that wide reload of narrow stores stalls (no store-to-load forwarding).
    episode[i].ep_return = ep.ep_return
    episode[i].ep_length = ep.ep_length
    episode[i].rng_counter = ep.rng_counter
    episode[i].buf_head = ep.buf_head
    episode[i].delay = ep.delay


@wp.kernel
def set_episode_length_kernel(steps: wp.array[wp.int32], episode: wp.array[EpisodeState]):
    """Set each env's count of steps taken in its current episode (steps, not seconds); nothing else changes."""
    i = wp.tid()
    episode[i].ep_length = steps[i]


def kernel_inputs(kernel: wp.Kernel, values: dict) -> list:
    """Return a kernel's launch arguments in its parameter order from a dict keyed by parameter name."""
    names = [arg.label for arg in kernel.adj.args]
    missing, unexpected = sorted(set(names) - set(values)), sorted(set(values) - set(names))
    if missing or unexpected:
        raise ValueError(f"{kernel.key}: arguments missing {missing}, unexpected {unexpected}")
    return [values[name] for name in names]


@functools.cache
def make_step_kernel(
    task_step,
    task_terminated,
    task_reset,
    task_observe,
    cfg_type,
    sizes,
    phase="fused",
    one_env_per_thread=False,
    obs_head=0,
):
    """Build an env-step kernel (one thread per block of envs) from a task's four functions.

    `sizes` = (state, obs, action, params, reward_terms) vector lengths. The task functions, all `@wp.func`;
    `cfg` is the task's `@wp.struct` of constants and `sc` the env's vector of parameter scales:
      task_step(cfg, sc, s, a) -> (s_next, terms)    one control step of state s under action a
          (normalized, in [-1, 1]); terms are the weighted reward terms, whose sum is the reward.
          Articulated envs (phase "finish"): task_step(cfg, sc, s, s_phys, a) -> (s_next, terms), where
          s_phys = concat(qpos, qvel) after the physics and s the state before it.
      task_terminated(cfg, sc, s) -> bool            state s is terminal
      task_reset(cfg, sc, rng) -> (s, rng)           an initial state and the advanced RNG state
      task_observe(cfg, sc, s) -> obs                the observation of state s

    `phase`: "fused" runs a whole step in one launch (the task integrates its own dynamics): an act pass then
    a finish pass over each thread's block of envs. Articulated envs split the step around the simulator's
    launch: "act" (action noise, clipping, delay; writes the applied action and the actuator controls, mapped
    linearly from [-1, 1] to ctrl_range), then the physics, then "finish" (reward, termination, statistics,
    autoreset: writes the new episode's qpos, qvel and its mass and friction scales into the simulator's
    per-env rows). One kernel body serves the three phases.

    `one_env_per_thread` (CUDA, where envs_per_thread is 1): the finish pass runs for the thread's env without the
    loop over a block of envs. Compiled for sm_90, the loop form holds 168 registers per thread for ant, 254 for
    humanoid; without it, 128 and (see `throughput.py gpu`) fewer envs wait on registers.

    `obs_head` (0: all of them): task_observe returns only the first obs_head observations; the kernel writes the
    others 0 (plus their observation noise) for a later kernel to add to (the v5 blocks of envs/locomotion.py).
    The CUDA variant stores the observation component by component as its noise is drawn, so no observation-wide
    vector is live (sm_90: humanoid's v5 step kernel went from 255 registers and 3,956 B of spill stores to 128 and
    none, its short one from 246 to 128, anymal_c's from 238 to 188; docs/throughput.md). The CPU variant keeps one
    whole-vector store per row (cheaper there: humanoid v5 ran ~5% slower by CPU time with component stores); the
    values are the same either way (tests/test_episodes.py).
    """
    num_state, num_obs, num_actions, num_params, num_terms = sizes
    state_type = wp.types.vector(num_state, wp.float32)
    obs_type = wp.types.vector(num_obs, wp.float32)
    task_obs_type = wp.types.vector(obs_head or num_obs, wp.float32)  # what task_observe returns
    action_type = wp.types.vector(num_actions, wp.float32)
    scale_type = wp.types.vector(num_params, wp.float32)
    terms_type = wp.types.vector(num_terms, wp.float32)
    obs_len = wp.constant(num_obs)
    head_len = wp.constant(obs_head or num_obs)
    obs_by_component = one_env_per_thread
    act_len = wp.constant(num_actions)
    param_len = wp.constant(num_params)
    term_len = wp.constant(num_terms)
    if phase not in ("fused", "act", "finish"):
        raise ValueError(f"phase must be 'fused', 'act' or 'finish', got {phase!r}")
    physics = phase != "fused"
    do_act = phase != "finish"
    do_finish = phase != "act"

    @wp.func
    def noisy(o: obs_type, std: float, rng: wp.uint32):
        # Gaussian observation noise, std in observation units.
        for j in range(obs_len):
            o[j] = o[j] + std * wp.randn(rng)
        return o, rng

    @wp.func
    def widened_row(o: task_obs_type):
        # the whole observation row: the task's head, then 0 in the slots a later kernel adds to
        w = obs_type()
        for j in range(head_len):
            w[j] = o[j]
        return w

    @wp.func
    def whole_row(o: obs_type):
        return o

    widened = widened_row if 0 < obs_head < num_obs else whole_row

    @wp.func
    def store_obs(o: task_obs_type, dst: wp.array[obs_type], i: int, std: float, rng: wp.uint32):
        # Observation row i, component by component (obs_by_component): the head from the task, the rest 0;
        # the noise is drawn in the same order as `noisy` draws it, so the values are those of a whole-vector write.
        if std > 0.0:
            for j in range(head_len):
                dst[i][j] = o[j] + std * wp.randn(rng)
            for j in range(head_len, obs_len):
                dst[i][j] = 0.0 + std * wp.randn(rng)
        else:
            for j in range(head_len):
                dst[i][j] = o[j]
            for j in range(head_len, obs_len):
                dst[i][j] = 0.0
        return rng

    @wp.func
    def perturbed_action(
        a: action_type,
        worldid: int,
        seed: int,
        env_offset: int,
        action_noise_std: float,
        delay_hi: int,
        episode: wp.array[EpisodeState],
        action_buf: wp.array[action_type],
        buf_len: int,
    ):
        # Action noise (before clipping) and delay, which carry per-env state: the RNG stream position and
        # the ring buffer. Returns the action to apply; stores the env's bookkeeping.
        ep = episode[worldid]
        if action_noise_std > 0.0:
            # Counter-based stream, advanced only when drawn from: a knob left at zero costs nothing.
            rng = env_rng(seed, env_offset + worldid, ep.rng_counter)
            ep.rng_counter = ep.rng_counter + 1
            for j in range(act_len):
                a[j] = a[j] + action_noise_std * wp.randn(rng)
        for j in range(act_len):
            a[j] = wp.clamp(a[j], -1.0, 1.0)
        if delay_hi > 0:
            # Ring buffer: apply the action written `delay` steps ago (zero early in an episode).
            row = worldid * buf_len
            a_in = a
            if ep.delay > 0:
                a = action_buf[row + (ep.buf_head - ep.delay + buf_len) % buf_len]
            action_buf[row + ep.buf_head] = a_in
            ep.buf_head = (ep.buf_head + 1) % buf_len
        store_episode(episode, worldid, ep)
        return a

    @wp.func
    def new_episode(
        cfg: cfg_type,
        scale_lo: scale_type,
        scale_hi: scale_type,
        delay_lo: int,
        delay_hi: int,
        rng: wp.uint32,
        ep: EpisodeState,
    ):
        # Domain randomization: parameter scales uniform in [lo, hi], delay uniform in {lo..hi}; fixed
        # values consume no random numbers. Then the task's initial state under those parameters.
        sc = scale_type()
        for k in range(param_len):
            sc[k] = scale_lo[k]
            if scale_hi[k] > scale_lo[k]:
                sc[k] = wp.randf(rng, scale_lo[k], scale_hi[k])
        ep.delay = delay_lo
        if delay_hi > delay_lo:
            ep.delay = wp.randi(rng, delay_lo, delay_hi + 1)
        ep.ep_return = 0.0
        ep.ep_length = 0
        ep.buf_head = 0
        s, rng = task_reset(cfg, sc, rng)
        return s, sc, ep, rng

    @wp.func
    def finish(
        worldid: int,
        cfg: cfg_type,
        seed: int,
        env_offset: int,
        max_episode_steps: int,
        reset_all: int,
        obs_noise_std: float,
        scale_lo: scale_type,
        scale_hi: scale_type,
        delay_lo: int,
        delay_hi: int,
        mass_param: int,
        friction_param: int,
        strength_param: int,
        buf_len: int,
        nq: int,
        nv: int,
        nbody: int,
        ngeom: int,
        nact: int,
        state: wp.array[state_type],
        scale: wp.array[scale_type],
        episode: wp.array[EpisodeState],
        action_buf: wp.array[action_type],
        qpos: wp.array[float],
        qvel: wp.array[float],
        body_mass_scale_out: wp.array[float],
        geom_friction_scale_out: wp.array[float],
        actuator_gear_scale_out: wp.array[float],
        applied_action_out: wp.array[action_type],
        obs_out: wp.array[obs_type],
        reward_out: wp.array[float],
        reward_terms_out: wp.array[terms_type],
        terminated_out: wp.array[wp.bool],
        truncated_out: wp.array[wp.bool],
        final_obs_out: wp.array[obs_type],
        final_return_out: wp.array[float],
        final_length_out: wp.array[int],
    ):
        # The finish pass of one env (reward, termination, statistics, autoreset, observation): a function of its
        # own, so the CUDA variant calls it without the loop over a block of envs (sm_90, ant: 254 registers per
        # thread as the loop's body, 168 as a function called in the loop, 128 without the loop).
        # Loads first, stores last: on a CPU, a store before a read of a kernel argument makes the
        # compiler copy that argument eagerly for every env (it may alias), rare path or not.
        ep = episode[worldid]
        s = state[worldid]
        sc = scale[worldid]
        rng = wp.uint32(0)
        r = float(0.0)
        terms = terms_type()
        terminated = False
        truncated = False
        reset = reset_all != 0

        if not reset:
            if obs_noise_std > 0.0:
                # observation noise draws from a batch of its own (the act pass's stream is gone)
                rng = env_rng(seed, env_offset + worldid, ep.rng_counter)
                ep.rng_counter = ep.rng_counter + 1
            if wp.static(physics):
                s_phys = state_type()
                for i in range(nq):
                    s_phys[i] = qpos[worldid * nq + i]
                for i in range(nv):
                    s_phys[nq + i] = qvel[worldid * nv + i]
                s, terms = task_step(cfg, sc, s, s_phys, applied_action_out[worldid])
            else:
                terms = reward_terms_out[worldid]  # the act pass stepped the state
            for k in range(term_len):
                r = r + terms[k]
            ep.ep_return = ep.ep_return + r
            ep.ep_length = ep.ep_length + 1
            terminated = task_terminated(cfg, sc, s)
            truncated = ep.ep_length >= max_episode_steps
            reset = terminated or truncated
            if reset:
                final_obs = task_observe(cfg, sc, s)
                if wp.static(obs_by_component):
                    rng = store_obs(final_obs, final_obs_out, worldid, obs_noise_std, rng)
                if wp.static(not obs_by_component):  # (Warp parses the else branch of a static if)
                    final_row = widened(final_obs)
                    if obs_noise_std > 0.0:
                        final_row, rng = noisy(final_row, obs_noise_std, rng)
                    final_obs_out[worldid] = final_row
                final_return_out[worldid] = ep.ep_return
                final_length_out[worldid] = ep.ep_length

        if reset:
            # Autoreset (or reset()): the observation returned below is the first of the next episode.
            rng = env_rng(seed, env_offset + worldid, ep.rng_counter)
            ep.rng_counter = ep.rng_counter + 1
            s, sc, ep, rng = new_episode(cfg, scale_lo, scale_hi, delay_lo, delay_hi, rng, ep)
            scale[worldid] = sc
            if delay_hi > 0:
                for i in range(buf_len):
                    action_buf[worldid * buf_len + i] = action_type()
            if wp.static(physics):
                # the new episode's state and parameters, into the simulator's per-env rows
                for i in range(nq):
                    qpos[worldid * nq + i] = s[i]
                for i in range(nv):
                    qvel[worldid * nv + i] = s[nq + i]
                if mass_param >= 0:
                    for b in range(nbody):
                        body_mass_scale_out[worldid * nbody + b] = sc[mass_param]
                if friction_param >= 0:
                    for g in range(ngeom):
                        geom_friction_scale_out[worldid * ngeom + g] = sc[friction_param]
                if strength_param >= 0:
                    for j in range(nact):
                        actuator_gear_scale_out[worldid * nact + j] = sc[strength_param]

        obs_head_row = task_observe(cfg, sc, s)
        if wp.static(not obs_by_component):
            obs = widened(obs_head_row)
            if obs_noise_std > 0.0:
                obs, rng = noisy(obs, obs_noise_std, rng)
        reward_out[worldid] = r
        if wp.static(physics) or reset_all != 0:
            reward_terms_out[worldid] = terms
        if wp.static(physics) or reset:
            state[worldid] = s
        store_episode(episode, worldid, ep)
        if wp.static(obs_by_component):
            rng = store_obs(obs_head_row, obs_out, worldid, obs_noise_std, rng)
        if wp.static(not obs_by_component):
            obs_out[worldid] = obs
        terminated_out[worldid] = terminated
        truncated_out[worldid] = truncated

    @wp.kernel(module="unique", enable_backward=False)
    def env_step(
        # Model:
        cfg: cfg_type,
        num_envs: int,
        envs_per_thread: int,
        seed: int,
        env_offset: int,
        max_episode_steps: int,
        reset_all: int,
        action_noise_std: float,
        obs_noise_std: float,
        scale_lo: scale_type,
        scale_hi: scale_type,
        delay_lo: int,
        delay_hi: int,
        ctrl_range: wp.array[wp.vec2],
        mass_param: int,
        friction_param: int,
        strength_param: int,
        # Data in:
        actions_in: wp.array[action_type],
        # Data in and out (carried from step to step):
        state: wp.array[state_type],
        scale: wp.array[scale_type],
        episode: wp.array[EpisodeState],
        action_buf: wp.array[action_type],
        qpos: wp.array[float],
        qvel: wp.array[float],
        # Data out:
        ctrl_out: wp.array[float],
        body_mass_scale_out: wp.array[float],
        geom_friction_scale_out: wp.array[float],
        actuator_gear_scale_out: wp.array[float],
        applied_action_out: wp.array[action_type],
        obs_out: wp.array[obs_type],
        reward_out: wp.array[float],
        reward_terms_out: wp.array[terms_type],
        terminated_out: wp.array[wp.bool],
        truncated_out: wp.array[wp.bool],
        final_obs_out: wp.array[obs_type],
        final_return_out: wp.array[float],
        final_length_out: wp.array[int],
    ):
        # A CPU thread steps a block of envs: Warp's per-thread prologue (loading every kernel argument) is
        # then paid once per block instead of once per env. On a GPU the block is one env.
        first = wp.tid() * envs_per_thread
        last = wp.min(first + envs_per_thread, num_envs)
        # Every array is 1D (per-env rows flattened), so Warp's CPU backend specializes the kernel for unit
        # strides; the row lengths follow from the sizes.
        buf_len = action_buf.shape[0] // num_envs
        nq = qpos.shape[0] // num_envs
        nv = qvel.shape[0] // num_envs
        nbody = body_mass_scale_out.shape[0] // num_envs
        ngeom = geom_friction_scale_out.shape[0] // num_envs
        nact = actuator_gear_scale_out.shape[0] // num_envs

        # Two passes over the block: the act pass (action noise, clipping, delay; a fused task's dynamics),
        # then the finish pass (reward, termination, statistics, autoreset, observation). On a CPU a step's
        # dynamics is a long dependency chain (sin/cos, a division); in a short loop of its own the processor
        # overlaps several envs' chains and no branch waits on one (~10% faster than one loop for CartPole).
        if wp.static(do_act):
            if reset_all == 0:
                for worldid in range(first, last):
                    a = actions_in[worldid]
                    perturbed = action_noise_std > 0.0 or delay_hi > 0
                    if perturbed:
                        a = perturbed_action(
                            a, worldid, seed, env_offset, action_noise_std, delay_hi, episode, action_buf, buf_len
                        )
                    else:
                        for j in range(act_len):
                            a[j] = wp.clamp(a[j], -1.0, 1.0)
                    if wp.static(physics) or perturbed:
                        # (else the applied action is clip(action, -1, 1), which `applied_actions` computes)
                        applied_action_out[worldid] = a
                    if wp.static(physics):
                        for j in range(act_len):
                            lo = ctrl_range[j][0]
                            ctrl_out[worldid * act_len + j] = lo + 0.5 * (a[j] + 1.0) * (ctrl_range[j][1] - lo)
                    else:
                        s_next, terms_next = task_step(cfg, scale[worldid], state[worldid], a)
                        state[worldid] = s_next
                        reward_terms_out[worldid] = terms_next

        if wp.static(do_finish and one_env_per_thread):
            if first < last:
                finish(
                    first, cfg, seed, env_offset, max_episode_steps, reset_all, obs_noise_std, scale_lo, scale_hi,
                    delay_lo, delay_hi, mass_param, friction_param, strength_param, buf_len, nq, nv, nbody, ngeom, nact,
                    state, scale, episode, action_buf, qpos, qvel, body_mass_scale_out, geom_friction_scale_out,
                    actuator_gear_scale_out, applied_action_out, obs_out, reward_out, reward_terms_out, terminated_out,
                    truncated_out, final_obs_out, final_return_out, final_length_out,
                )  # fmt: skip
        if wp.static(do_finish and not one_env_per_thread):
            for worldid in range(first, last):
                finish(
                    worldid, cfg, seed, env_offset, max_episode_steps, reset_all, obs_noise_std, scale_lo, scale_hi,
                    delay_lo, delay_hi, mass_param, friction_param, strength_param, buf_len, nq, nv, nbody, ngeom, nact,
                    state, scale, episode, action_buf, qpos, qvel, body_mass_scale_out, geom_friction_scale_out,
                    actuator_gear_scale_out, applied_action_out, obs_out, reward_out, reward_terms_out, terminated_out,
                    truncated_out, final_obs_out, final_return_out, final_length_out,
                )  # fmt: skip

    return env_step
