"""`throughput.py kernels`: where one env step's time goes, kernel by kernel.

The env's step is a fixed sequence of recorded launches (`WarpEnv.launch_sequence()`: the act kernel, the physics
kernels once per substep on the split pipeline, the task kernel, pushes, ...). This replays that sequence with a clock
read between every two launches: CUDA events on the launch stream on a GPU (the kernels' device time, queued back to
back as in an eager step), the wall clock on a CPU (a Warp CPU launch runs to completion before it returns). Each
kernel's time is summed over its launches in a step (the split physics kernels run `substeps` times) and reported per
env step, with its share of the step. The events cost a little; the sum is therefore compared with the plain eager
step timed without them (`eager_ms`), and the graphed step is what `throughput.py env` reports.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict

import numpy as np
import torch
import warp as wp

import envs
from benchmarks.common import progress, tool_record, write_rows
from benchmarks.env_sweep import gpu_info
from benchmarks.env_timing import device_sync, pipeline_kwargs, time_calls

NOTES = (
    "Per kernel of one env step (WarpEnv.launch_sequence replayed with a clock between launches: CUDA events on a "
    "GPU, the wall clock on a CPU), summed over the kernel's launches in a step (the split physics kernels once per "
    "substep): ms_per_step is the median over the repeats of the mean over `steps` steps, share its fraction of "
    "the kernels' sum; eager_ms: the same step through env.step without the clocks (time_calls, no CUDA graph). "
    "pipeline as in `throughput.py env`; block_dim: CUDA threads per block (0: every SM a block)."
)
KEYS = ["env", "num_envs", "device", "pipeline", "block_dim", "kernel", "launches_per_step", "ms_per_step", "share"]
KEYS += ["ms_min", "ms_max", "sum_ms", "eager_ms", "steps", "repeats"]


def make_env(env_id: str, num_envs: int, device: str, pipeline: str = "auto", block_dim: int = 256):
    """envs.make as `throughput.py env` makes it (seed 0, no action checks), on the named physics path."""
    kw = {"block_dim": block_dim, **pipeline_kwargs(pipeline)}
    return envs.make(env_id, num_envs=num_envs, device=device, seed=0, validate=False, **kw)


def kernel_labels(env, seq: list) -> list[str]:
    """A readable name per launch: the kernel's name (a factory's name for kernels made by one), the env's own task
    kernels as "act" and "task", and #2, #3 for further distinct kernels of one name (the v5 read and write passes)."""
    known = {id(getattr(env, "act_kernel", None)): "act", id(getattr(env, "step_kernel", None)): "task"}
    kinds: dict[str, list[int]] = defaultdict(list)
    labels = []
    for cmd in seq:
        k = cmd.kernel
        if id(k) in known:
            labels.append(known[id(k)])
            continue
        base = k.key.split("__locals__")[0]
        if id(k) not in kinds[base]:
            kinds[base].append(id(k))
        i = kinds[base].index(id(k))
        labels.append(base if i == 0 else f"{base}#{i + 1}")
    return labels


def kernel_times(env, device: str, steps: int = 20, repeats: int = 3, warmup: int = 3) -> list[dict]:
    """Seconds per env step spent in each kernel of env.launch_sequence(), in order of first launch: one dict per
    kernel with its name, launches per step, and median/min/max over `repeats` of the mean over `steps` steps."""
    gen = torch.Generator().manual_seed(0)
    env.reset()
    env.actions.copy_((torch.rand(env.num_envs, env.num_actions, generator=gen) * 2 - 1).to(env.actions.device))
    seq = env.launch_sequence()
    names = kernel_labels(env, seq)
    sync = device_sync(device)
    cuda = str(device).startswith("cuda")
    for _ in range(warmup):
        for cmd in seq:
            cmd.launch()
    sync()
    per_repeat = []
    for _ in range(repeats):
        totals = np.zeros(len(seq))
        if cuda:
            marks = [[torch.cuda.Event(enable_timing=True) for _ in range(len(seq) + 1)] for _ in range(steps)]
            for step_marks in marks:
                step_marks[0].record()
                for cmd, mark in zip(seq, step_marks[1:], strict=True):
                    cmd.launch()
                    mark.record()
            sync()
            for step_marks in marks:
                totals += [a.elapsed_time(b) / 1e3 for a, b in zip(step_marks, step_marks[1:], strict=False)]
        else:
            for _ in range(steps):
                t = time.perf_counter()
                for i, cmd in enumerate(seq):
                    cmd.launch()
                    now = time.perf_counter()
                    totals[i] += now - t
                    t = now
        per_kernel = defaultdict(float)
        for name, total in zip(names, totals, strict=True):
            per_kernel[name] += total / steps
        per_repeat.append(per_kernel)
    rows = []
    for name in dict.fromkeys(names):
        values = [r[name] for r in per_repeat]
        rows.append(
            dict(
                kernel=name,
                launches_per_step=names.count(name),
                median_s=float(np.median(values)),
                min_s=min(values),
                max_s=max(values),
            )
        )
    return rows


def run(env_ids, num_envs, device, pipelines, block_dims, steps, repeats, out) -> None:
    """Time each kernel of each env's step at each size; write <out>/kernels.csv and kernels.json and print a table."""
    if min((*num_envs, steps, repeats)) < 1 or not env_ids:
        raise SystemExit("throughput.py kernels: --env-ids must name an env; --num-envs, --steps, --repeats >= 1")
    wp.init()
    torch.set_num_threads(1)
    device = envs.resolve_device(device)
    if device.startswith("cuda"):  # Warp launches on torch's stream, so the events on that stream time its kernels
        wp.set_stream(wp.stream_from_torch(torch.cuda.current_stream(device)), device=device)
    record = tool_record(NOTES)
    record["device"] = device
    record["gpu_info"] = gpu_info(device)
    from envs.articulated import MjcfEnv

    def paths(env_id):
        return pipelines if issubclass(envs.env_class(env_id), MjcfEnv) else ("auto",)

    rows = []
    points = [(e, n, p, b) for e in env_ids for p in paths(e) for b in block_dims for n in num_envs]
    for env_id, n, pipeline, block_dim in progress(points, "kernels"):
        env = make_env(env_id, n, device, pipeline, block_dim)
        kernels = kernel_times(env, device, steps, repeats)
        env.reset()
        eager = time_calls(lambda env=env: env.step(env.actions), device, repeats, 0.2)["median_s"]
        total = sum(k["median_s"] for k in kernels)
        for k in kernels:
            rows.append(
                dict(
                    env=env_id,
                    num_envs=n,
                    device=device,
                    pipeline=pipeline if getattr(env, "sim", None) is not None else "",
                    block_dim=block_dim,
                    kernel=k["kernel"],
                    launches_per_step=k["launches_per_step"],
                    ms_per_step=k["median_s"] * 1e3,
                    ms_min=k["min_s"] * 1e3,
                    ms_max=k["max_s"] * 1e3,
                    share=k["median_s"] / total if total > 0 else float("nan"),
                    sum_ms=total * 1e3,
                    eager_ms=eager * 1e3,
                    steps=steps,
                    repeats=repeats,
                )
            )
        del env
    record["loadavg_at_end"] = os.getloadavg()
    record["gpu_info_at_end"] = gpu_info(device)
    print(format_table(rows))
    write_rows(out, "kernels", record, rows, KEYS)


def format_table(rows: list[dict]) -> str:
    """A markdown table of the rows: one line per (env, size, pipeline, block, kernel)."""
    lines = ["| env | num_envs | pipeline | block | kernel | launches | ms per env step | share | sum / eager ms |"]
    lines.append("|---|---:|---|---:|---|---:|---:|---:|---|")
    for r in rows:
        lines.append(
            f"| {r['env']} | {r['num_envs']} | {r['pipeline'] or '-'} | {r['block_dim']} | `{r['kernel']}` | "
            f"{r['launches_per_step']} | {r['ms_per_step']:.3f} | {r['share']:.0%} | "
            f"{r['sum_ms']:.2f} / {r['eager_ms']:.2f} |"
        )
    return "\n".join(lines)
