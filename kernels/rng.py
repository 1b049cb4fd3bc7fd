"""Counter-based random numbers per env.

A stream is addressed by (seed, worldid, counter) only, never by launch order or by the number of envs
in a launch, so env i of seed s draws the same numbers whether it runs among 4 or 65,536 envs, on one
device or another. Warp's PCG hash (`wp.rand_init(seed, offset) = pcg(seed + pcg(offset))`) is applied
twice: once to mix the env index into the seed, once to mix in the per-env counter.
"""

import warp as wp

wp.set_module_options({"enable_backward": False})


@wp.func
def env_rng(seed: int, worldid: int, counter: int) -> wp.uint32:
    """Return the RNG state of env `worldid` at its `counter`-th draw batch for `seed` (dimensionless)."""
    return wp.rand_init(wp.int32(wp.rand_init(seed, worldid)), counter)


@wp.kernel(enable_backward=False)
def _env_rng_kernel(
    # Model:
    seed: int,
    counter: int,
    # Data out:
    draws_out: wp.array2d[float],
):
    worldid = wp.tid()
    state = env_rng(seed, worldid, counter)
    for k in range(draws_out.shape[1]):
        draws_out[worldid, k] = wp.randf(state)


def sample_uniform(seed: int, counter: int, num_envs: int, num_draws: int, device="cpu") -> wp.array2d:
    """Return [num_envs, num_draws] uniform draws in [0, 1) from each env's stream at `counter` (for tests)."""
    out = wp.empty((num_envs, num_draws), dtype=float, device=device)
    wp.launch(_env_rng_kernel, num_envs, inputs=[seed, counter], outputs=[out], device=device)
    return out
