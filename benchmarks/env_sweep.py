"""`throughput.py env`: the full step API of each env over num_envs, with compile time and memory per env."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import torch
import warp as wp

import envs
from benchmarks.common import ROOT, progress, tool_record, write_rows
from benchmarks.env_timing import available_bytes, pipeline_kwargs, rss_bytes, time_env_step, warp_bytes
from kernels.forward import launch_block_dim

NOTES = (
    "Full step API (action checks off: validate=False, as ppo_warp.py runs it), random actions fixed per run. "
    "compile_s: first envs.make of the env with num_envs=1 in a new process with an empty kernel cache (every "
    "module the env uses built and loaded; imports excluded). warp_bytes_per_env: Warp arrays the env owns (sum of "
    "capacity) / num_envs; rss_bytes_per_env: process RSS growth from before envs.make to after warm-up, / "
    "num_envs. On CPU a Warp launch runs on one core. cuda_graph: on CUDA each step replays the step captured once "
    "as a CUDA graph (as ppo_warp.py runs it). pipeline: the articulated envs' Simulator path (auto: split on CUDA, "
    "fused on CPU; *_env_major: with the simulator's scratch env-major, as before the split path existed). "
    "block_dim: the CUDA threads per block asked of every env launch (0: the largest of 256, 128, 64, 32 that gives "
    "every SM a block, kernels.forward.launch_block_dim), threads_per_block: the value launched with (empty on CPU). "
    "gpu_info: nvidia-smi's name, driver and SM clocks (current and max, MHz) at the start and end."
)
KEYS = ["env", "num_envs", "device", "steps_per_s", "steps_per_s_min", "steps_per_s_max", "us_per_step"]
KEYS += ["ns_per_env_step", "median_s", "min_s", "max_s", "steps_per_repeat", "compile_s", "make_s", "first_step_s"]
KEYS += ["warp_bytes", "warp_bytes_per_env", "rss_bytes_per_env", "articulated", "cuda_graph", "pipeline"]
KEYS += ["block_dim", "threads_per_block"]

COMPILE_PROBE = """
import sys, time
import warp as wp
wp.config.kernel_cache_dir, wp.config.quiet = sys.argv[2], True
wp.init()
import envs
t0 = time.perf_counter()
envs.make(sys.argv[1], num_envs=1, device=sys.argv[3], validate=False)
wp.synchronize_device(sys.argv[3])
print(time.perf_counter() - t0)
"""


def cold_compile_seconds(env_id: str, device: str) -> float:
    """Seconds of the first envs.make(env_id) in a new process with an empty kernel cache (build + load of every
    Warp module the env uses; Python imports excluded), so envs measured earlier leave nothing compiled."""
    with tempfile.TemporaryDirectory(prefix="warp_cache_") as cache:
        cmd = [sys.executable, "-c", COMPILE_PROBE, env_id, cache, device]
        res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    return float(res.stdout.split()[-1])


def skip_reason(prev: dict | None, n: int, device: str, repeats: int, seconds: float, max_point_seconds: float):
    """Why the point at n envs is not measured (it would not fit in memory, or take too long), else None; both are
    extrapolated from the env's previous point."""
    if prev is None:
        return None
    need = prev["warp_bytes_per_env"] * n * 3  # env + torch views + headroom
    if need > available_bytes(device):
        return f"~{need / 2**30:.1f} GiB would not fit"
    # warm-up, calibration and repeats take about (5 + 2 * repeats) steps of at least seconds / 2 each
    predicted = prev["median_s"] * n / prev["num_envs"] * (5 + 2 * repeats)
    if predicted > max(max_point_seconds, seconds * repeats * 2):
        return f"~{predicted:.0f} s to measure"
    return None


def gpu_info(device: str) -> dict:
    """Name, driver and SM clocks [MHz] (current and max) of a CUDA device from nvidia-smi; {} on CPU or without it."""
    if not str(device).startswith("cuda"):
        return {}
    fields = ["name", "driver_version", "clocks.sm", "clocks.max.sm", "clocks.mem", "power.draw", "temperature.gpu"]
    index = str(device).partition(":")[2] or "0"
    cmd = ["nvidia-smi", f"--id={index}", f"--query-gpu={','.join(fields)}", "--format=csv,noheader,nounits"]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as e:
        return {"error": str(e), "name": torch.cuda.get_device_name(device)}
    return dict(zip(fields, [v.strip() for v in res.stdout.strip().split(",")], strict=False))


def measure_point(
    env_id: str,
    n: int,
    device: str,
    repeats: int,
    seconds: float,
    cuda_graph: bool = True,
    pipeline: str = "auto",
    block_dim: int = 256,
) -> dict:
    """One row of env.csv: the step timing of env_id at n envs, and its memory per env."""
    rss0 = rss_bytes()
    kw = {"block_dim": block_dim, **pipeline_kwargs(pipeline)}
    env, row = time_env_step(env_id, n, device, repeats, seconds, cuda_graph=cuda_graph, **kw)
    wbytes = warp_bytes(env)
    row.update(
        env=env_id,
        num_envs=n,
        device=device,
        ns_per_env_step=row["median_s"] / n * 1e9,
        warp_bytes=wbytes,
        warp_bytes_per_env=wbytes / n,
        rss_bytes_per_env=max(rss_bytes() - rss0, 0) / n,
        num_obs=env.num_obs,
        num_actions=env.num_actions,
        articulated=getattr(env, "sim", None) is not None,
        cuda_graph=cuda_graph and device.startswith("cuda"),
        pipeline=pipeline if getattr(env, "sim", None) is not None else "",
        block_dim=block_dim,
        threads_per_block=launch_block_dim(device, n, block_dim) or "",
    )
    return row


def run(
    env_ids, num_envs, device, repeats, seconds, cold_cache, max_point_seconds, out, cuda_graph, pipelines, block_dims
) -> None:
    """Sweep every env over num_envs; write <out>/env.csv and env.json."""
    wp.init()
    torch.set_num_threads(1)  # the random actions are made once; one core, as every Warp CPU launch
    device = envs.resolve_device(device)
    if device.startswith("cuda"):  # Warp launches on torch's stream, so CUDA events on that stream time both
        wp.set_stream(wp.stream_from_torch(torch.cuda.current_stream(device)), device=device)
    record = tool_record(NOTES)
    record["device"] = device
    record["gpu_info"] = gpu_info(device)
    rows, compile_s, stopped = [], {}, set()
    from envs.articulated import MjcfEnv

    def paths(env_id):  # the physics path is a Simulator keyword: only articulated envs have one
        return pipelines if issubclass(envs.env_class(env_id), MjcfEnv) else ("auto",)

    points = [(e, n, p, b) for e in env_ids or envs.list_envs() for p in paths(e) for b in block_dims for n in num_envs]
    for env_id, n, pipeline, block_dim in progress(points, "env"):
        series = (env_id, pipeline, block_dim)
        if series in stopped:
            continue
        if env_id not in compile_s:
            compile_s[env_id] = cold_compile_seconds(env_id, device) if cold_cache else float("nan")
        prev = ([r for r in rows if r["_series"] == series] or [None])[-1]
        if why := skip_reason(prev, n, device, repeats, seconds, max_point_seconds):
            print(f"\n{env_id}: stopping before num_envs={n}: {why}", file=sys.stderr)
            stopped.add(series)
            continue
        try:
            row = measure_point(env_id, n, device, repeats, seconds, cuda_graph, pipeline, block_dim)
            rows.append(dict(row, compile_s=compile_s[env_id], _series=series))
        except (MemoryError, RuntimeError) as e:
            print(f"\n{env_id}: stopping at num_envs={n}: {e}", file=sys.stderr)
            stopped.add(series)
    for r in rows:
        del r["_series"]
    record["loadavg_at_end"] = os.getloadavg()
    record["gpu_info_at_end"] = gpu_info(device)
    for r in rows:
        name = f"{r['env']}.{r['pipeline']}" if r["pipeline"] else r["env"]
        name += f".block{r['block_dim']}" if len(block_dims) > 1 else ""
        print(f"{name}.{r['num_envs']}.steps_per_s {r['steps_per_s']:.4g}  us_per_step {r['us_per_step']:.1f}")
    write_rows(out, "env", record, rows, KEYS)
