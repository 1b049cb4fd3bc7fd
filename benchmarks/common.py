"""Provenance and timing helpers shared by the benchmark scripts (machine, versions, commit, command)."""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from importlib import metadata


def cpu_model() -> str:
    """Return the CPU model name from /proc/cpuinfo (or platform.processor())."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_commit() -> str:
    """Return the current commit hash, with '-dirty' when tracked files have uncommitted changes."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        sha = subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=root, text=True).strip()
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "envs", "kernels", "benchmarks"], cwd=root)
        return sha + ("-dirty" if dirty.returncode else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def versions(*packages: str) -> dict[str, str]:
    """Return installed versions of the named distributions ('not installed' where absent)."""
    out = {"python": platform.python_version()}
    for p in packages:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def machine() -> dict:
    """Describe this machine: CPU model, cores, memory, GPU (none here), OS, load average at start."""
    try:
        mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem_gib = float("nan")
    gpu = "none"
    try:
        import torch

        if torch.cuda.is_available():
            gpu = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(mem_gib, 1),
        "gpu": gpu,
        "os": platform.platform(),
        "loadavg_at_start": os.getloadavg(),
    }


def provenance(*packages: str) -> dict:
    """Everything a result record needs to be reproduced: command, commit, date, machine and versions."""
    return {
        "command": "python " + " ".join(sys.argv),
        "git_commit": git_commit(),
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(*packages),
    }


def time_repeats(fn, steps: int, repeats: int, sync=lambda: None) -> dict:
    """Run fn() `steps` times per repeat; return median/min/max seconds per call over the repeats."""
    per_call = []
    for _ in range(repeats):
        sync()
        t0 = time.perf_counter()
        for _ in range(steps):
            fn()
        sync()
        per_call.append((time.perf_counter() - t0) / steps)
    return {"median_s": statistics.median(per_call), "min_s": min(per_call), "max_s": max(per_call)}


def calibrate(fn, target_s: float, sync=lambda: None, max_steps: int = 100_000) -> int:
    """Return how many calls of fn take about target_s seconds (at least 2)."""
    sync()
    t0 = time.perf_counter()
    fn()
    fn()
    sync()
    dt = max((time.perf_counter() - t0) / 2, 1e-7)
    return int(min(max(target_s / dt, 2), max_steps))


def write_json(path: str, record: dict) -> None:
    """Write a record as indented JSON, creating the folder."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
