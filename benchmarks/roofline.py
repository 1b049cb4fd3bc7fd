"""This machine's roofs and an H100 projection for `throughput.py report`: the fixed + per-env cost fit of a sweep,
single-core copy bandwidth and sgemm rate, and a roofline projection of env steps/s on an H100 (not a measurement)."""

from __future__ import annotations

import glob
import math
import os
import time

import numpy as np
import torch

# H100 SXM5 datasheet figures used by the projection (NVIDIA H100 Tensor Core GPU datasheet): HBM3 bandwidth and
# non-tensor FP32 peak; launch cost of one CUDA-graph replay of a one-kernel step, an assumption (a few us).
# usd_per_hour: an assumed on-demand cloud price, for orientation only.
H100 = dict(hbm_bytes_per_s=3.35e12, fp32_flops_per_s=67e12, memory_bytes=80e9, launch_s=5e-6, usd_per_hour=3.0)
PROJECTION_HEADER = [
    "| env | method | FLOPs / bytes per env step (static) | registers, occupancy sm_90 | CPU ns/env step (measured) | "
    "CPU efficiency | H100 roofline ns/env step | H100 ns/env step (projected) | H100 steps/s at 65,536 envs | at 1M "
    f"envs | x one CPU core | USD per 1e9 steps at {H100['usd_per_hour']:.0f} USD/h |",
    "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
]


def fit_launch_and_per_env(rows: list[dict]) -> tuple[float, float, bool]:
    """Seconds per step = a + b * num_envs, read off a sweep: b = seconds per env step at the best point (highest
    steps/s, the fixed cost amortized), a = what remains of the smallest point's time. Returns (a, b, resolved):
    resolved is False when a is within the spread (max - min) of the smallest point's repeats."""
    rows = sorted(rows, key=lambda r: r["num_envs"])
    best = max(rows, key=lambda r: r["steps_per_s"])
    b = best["median_s"] / best["num_envs"]
    small = rows[0]
    a = small["median_s"] - b * small["num_envs"]
    return max(a, 0.0), b, a > small["max_s"] - small["min_s"]


def cache_sizes() -> str:
    """This CPU's L2 and L3 as Linux reports them (/sys), e.g. "L2 512K per core, L3 32768K shared by cores 0-1"."""
    parts = []
    for index in sorted(glob.glob("/sys/devices/system/cpu/cpu0/cache/index*")):
        try:
            level, kind, size, shared = (
                open(os.path.join(index, f)).read().strip() for f in ("level", "type", "size", "shared_cpu_list")
            )
        except OSError:
            continue
        if kind != "Instruction" and level in ("2", "3"):
            parts.append(f"L{level} {size} " + ("per core" if shared.isdigit() else f"shared by cores {shared}"))
    return ", ".join(parts) or "cache sizes unknown"


def memcpy_bandwidth() -> float:
    """Single-core copy bandwidth of this machine (bytes read + written per second, 256 MiB arrays, best of 5)."""
    src = np.ones(2**25, dtype=np.float64)
    dst = np.empty_like(src)
    best = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t0)
    return 2 * src.nbytes / best


def sgemm_flops() -> float:
    """Single-thread float32 matrix-multiply rate of this machine (FLOP/s, 512 x 512, best of 20): a practical peak
    of one core."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    a = torch.randn(512, 512)
    best = math.inf
    for _ in range(20):
        t0 = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - t0)
    torch.set_num_threads(threads)
    return 2 * 512**3 / best


def project_env(b: float, kernel: dict, articulated: bool, cpu_flops: float, bandwidth: float) -> dict:
    """H100 seconds per env step for an env that takes b seconds per env step on this core. Simple envs: the
    roofline of the kernel's static PTX counts at the efficiency the CPU reaches against its own roofs. Articulated
    envs (loops over bodies and substeps make static counts meaningless): b scaled by the ratio of FP32 peaks."""
    if articulated:
        per_env = b * cpu_flops / H100["fp32_flops_per_s"]
        return dict(
            per_env=per_env, roof=None, efficiency=None, counts="loops: not counted", method="CPU time x peak ratio"
        )
    efficiency = min(1.0, max(kernel["static_flops"] / b / cpu_flops, kernel["static_bytes"] / b / bandwidth))
    roof = max(kernel["static_bytes"] / H100["hbm_bytes_per_s"], kernel["static_flops"] / H100["fp32_flops_per_s"])
    counts = f"{kernel['static_flops']} / {kernel['static_bytes']}"
    return dict(
        per_env=roof / efficiency, roof=roof, efficiency=efficiency, counts=counts, method="roofline at CPU efficiency"
    )


def projection_rows(env_rows: list[dict], gpu_rows: list[dict], cpu_flops: float, bandwidth: float) -> list[str]:
    """One Markdown table row per env with a sm_90 kernel in gpu_rows: the H100 projection and what it rests on."""
    lines = []
    for env_id in sorted({r["env"] for r in env_rows}):
        _, b, _ = fit_launch_and_per_env([r for r in env_rows if r["env"] == env_id])
        articulated = any(r["module"] == f"{env_id} act kernel" for r in gpu_rows)  # env with a simulator
        # the simulator's kernels: kernels.forward (kernels.articulation in records made before the split)
        modules = ("kernels.forward", "kernels.articulation") if articulated else (f"{env_id} step kernel",)
        kernels = [r for r in gpu_rows if r["module"] in modules and r["arch"] == "sm_90"]
        if not kernels:
            continue
        k = max(kernels, key=lambda r: r["registers"] or 0)  # the heaviest kernel of the step
        p = project_env(b, k, articulated, cpu_flops, bandwidth)
        sps = {n: n / (H100["launch_s"] + n * p["per_env"]) for n in (65536, 2**20)}
        occ = f"{k['occupancy']:.2f}" if k["occupancy"] is not None else "-"
        roof = f"{100 * p['efficiency']:.0f}% | {p['roof'] * 1e9:.3f}" if p["roof"] else "- | -"
        lines.append(
            f"| {env_id} | {p['method']} | {p['counts']} | {k['registers']}, {occ} | {b * 1e9:.1f} | {roof} | "
            f"{p['per_env'] * 1e9:.3f} | {sps[65536]:.2e} | {sps[2**20]:.2e} | {sps[2**20] * b:,.0f} | "
            f"{H100['usd_per_hour'] / (sps[2**20] * 3600) * 1e9:.2g} |"
        )
    return lines
