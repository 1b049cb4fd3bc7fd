"""The one way env throughput is timed here: device clocks, warm-up, repeats, memory per env.

Used by `cleanppo/throughput.py env` and `peers`, benchmarks/env_throughput.py and benchmarks/ant_throughput.py, so
that every env steps/s figure in results/ comes from the same code. Timing: warm-up calls excluded, the device
synchronized before each clock read, CUDA events on a GPU, repeats reported as median, min and max seconds per call.
"""

from __future__ import annotations

import ctypes
import gc
import os
import time

import numpy as np
import torch
import warp as wp

import envs
from benchmarks.common import calibrate, time_repeats
from cleanppo_utils import runs

wp.config.quiet = True


def device_sync(device: str):
    """Return the function that waits for all work on `device` (Warp and torch), called before any clock read."""
    if str(device).startswith("cuda"):
        return lambda: (wp.synchronize_device(device), torch.cuda.synchronize(device))
    return lambda: wp.synchronize_device(device)


def time_calls(fn, device: str = "cpu", repeats: int = 5, seconds: float = 0.5, warmup: int = 3) -> dict:
    """Warm fn up (excluded), then median/min/max seconds per call over `repeats` repeats of ~`seconds` each.

    CPU: wall clock between device synchronizations. CUDA: CUDA events on the current stream, read after a sync."""
    sync = device_sync(device)
    for _ in range(warmup):
        fn()
    steps = calibrate(fn, seconds, sync)
    if not str(device).startswith("cuda"):
        return {"steps_per_repeat": steps, **time_repeats(fn, steps, repeats, sync)}
    per_call = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        sync()
        start.record()
        for _ in range(steps):
            fn()
        end.record()
        sync()
        per_call.append(start.elapsed_time(end) / 1e3 / steps)
    return {
        "steps_per_repeat": steps,
        "median_s": float(np.median(per_call)),
        "min_s": min(per_call),
        "max_s": max(per_call),
    }


def time_env_step(
    env_id: str,
    num_envs: int,
    device: str = "cpu",
    repeats: int = 5,
    seconds: float = 0.5,
    validate: bool = False,
    action_sets: int = 1,
    cuda_graph: bool = False,
    **overrides,
) -> tuple[object, dict]:
    """Build env_id with num_envs envs (and `overrides`) and time its full step API (envs.make(...).step) on uniform
    random actions in [-1, 1]: `action_sets` sets drawn once (seed 0) and stepped in turn. `cuda_graph` (CUDA only):
    each step replays the step captured once as a CUDA graph, as ppo_warp.py does (cleanppo_utils/runs.graph_step).
    Returns the env (for further entries on it) and a row: make_s (envs.make, seconds), first_step_s,
    steps_per_repeat, median_s, min_s, max_s (seconds per step of all num_envs envs) and the steps/s they imply."""
    graph = cuda_graph and str(device).startswith("cuda")
    if graph:  # as ppo_warp.py: torch and Warp on one stream before the env exists (a capture on Warp's own stream
        runs.share_cuda_stream(torch.device(device))  # failed on an H100 with "Warp error: unknown stream")
    t0 = time.perf_counter()
    env = envs.make(env_id, num_envs=num_envs, device=device, seed=0, validate=validate, **overrides)
    wp.synchronize_device(device)
    make_s = time.perf_counter() - t0
    gen = torch.Generator().manual_seed(0)
    actions = (torch.rand(action_sets, num_envs, env.num_actions, generator=gen) * 2 - 1).to(env.actions.device)
    calls = [0]
    env_step = env.step

    def step():
        env_step(actions[calls[0] % action_sets])
        calls[0] += 1

    t0 = time.perf_counter()
    step()
    device_sync(device)()
    first_step_s = time.perf_counter() - t0
    if graph:
        try:
            env_step = runs.graph_step(env, torch.device(device))  # ppo_warp.py's capture, the same code
        except Exception as e:  # noqa: BLE001 - a capture CUDA refuses: time the eager step and say so
            print(f"{env_id}: CUDA graph capture failed ({str(e).splitlines()[0]}); timing the eager step")

    timing = time_calls(step, device, repeats, seconds)
    return env, dict(make_s=make_s, first_step_s=first_step_s, **timing, **steps_per_s(num_envs, timing))


def pipeline_kwargs(pipeline: str) -> dict:
    """envs.make keywords of a physics path name: split or fused, with _env_major for the simulator's scratch
    env-major (the layout before the split existed); auto: none (split on CUDA, fused on CPU)."""
    if pipeline == "auto":
        return {}
    path, env_major, _ = pipeline.partition("_env_major")
    return {"pipeline": path, "env_fastest": False if env_major else None}


def steps_per_s(num_envs: int, timing: dict) -> dict:
    """Env steps per second from seconds per step of num_envs envs: median, and the min/max over the repeats."""
    return {
        "steps_per_s": num_envs / timing["median_s"],
        "steps_per_s_min": num_envs / timing["max_s"],
        "steps_per_s_max": num_envs / timing["min_s"],
        "us_per_step": timing["median_s"] * 1e6,
    }


def rss_bytes() -> int:
    """Resident set size of this process now (bytes; Linux /proc, 0 elsewhere), after handing freed heap pages back
    to the OS (glibc malloc_trim), so that memory a previous env released does not hide the next env's growth."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def available_bytes(device: str) -> int:
    """Memory still free for new arrays on `device` (bytes): MemAvailable on CPU, free device memory on CUDA."""
    if str(device).startswith("cuda"):
        return int(wp.get_device(device).free_memory)
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable"):
                return int(line.split()[1]) * 1024
    return 2**40


def warp_bytes(obj, depth: int = 2, seen: set | None = None) -> int:
    """Bytes of every Warp array an object owns (sum of `capacity`), following attributes `depth` levels deep, so
    arrays held by a member (an env's Simulator) count; each allocation counted once."""
    seen = set() if seen is None else seen
    total = 0
    values = list(vars(obj).values()) if hasattr(obj, "__dict__") else []
    # an env keeps its device arrays in a dict keyed by the step kernel's argument names
    values += [x for v in values if isinstance(v, dict) for x in v.values()]
    for v in values:
        if isinstance(v, wp.array):
            # a strided view (the simulator's env-fastest scratch) does not carry its buffer's capacity
            nbytes = v.capacity if v.is_contiguous else v.size * wp.types.type_size_in_bytes(v.dtype)
            if v.ptr is not None and v.ptr not in seen and nbytes:
                seen.add(v.ptr)
                total += int(nbytes)
        elif depth > 0 and hasattr(v, "__dict__") and not isinstance(v, (type, torch.Tensor, torch.nn.Module)):
            total += warp_bytes(v, depth - 1, seen)
    return total
