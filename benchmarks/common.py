"""Provenance and timing helpers shared by the benchmark scripts (machine, versions, commit, command)."""

from __future__ import annotations

import csv
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from importlib import metadata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the versions every throughput.py record carries
TOOL_PACKAGES = ("warp-lang", "torch", "numpy", "gymnasium", "mujoco", "mujoco-warp", "envpool")


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
    try:
        sha = subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=ROOT, text=True).strip()
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "envs", "kernels", "benchmarks"], cwd=ROOT)
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


def write_rows(out: str, name: str, record: dict, rows: list[dict], keys: list[str]) -> None:
    """Write <out>/<name>.json (record + rows) and <out>/<name>.csv (the given columns)."""
    record["rows"] = rows
    write_json(os.path.join(out, f"{name}.json"), record)
    with open(os.path.join(out, f"{name}.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {os.path.join(out, name)}.csv and .json")


def parse_number(value: str | None):
    """A CSV cell as int, float or None (empty); text that is not a number is returned unchanged."""
    if value in ("", None):
        return None
    try:
        return int(value) if re.fullmatch(r"-?\d+", value) else float(value)
    except ValueError:
        return value


def read_csv(path: str) -> list[dict]:
    """Rows of a CSV file with numbers parsed ([] when the file is absent)."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [{k: parse_number(v) for k, v in r.items()} for r in csv.DictReader(f)]


def progress(items, desc: str):
    """Yield items while drawing a progress bar on stderr: `desc [####......] 3/8 label`."""
    items = list(items)
    for i, item in enumerate(items):
        bar = "#" * round(20 * i / len(items))
        print(f"\r{desc} [{bar:20s}] {i}/{len(items)} {str(item)[:40]:40s}", end="", file=sys.stderr, flush=True)
        yield item
    print(f"\r{desc} [{'#' * 20}] {len(items)}/{len(items)}{' ' * 41}", file=sys.stderr, flush=True)


def command_line() -> str:
    """This process's command as typed from the repository root: `.venv/bin/python <script> <arguments>`."""
    return " ".join([".venv/bin/python", os.path.relpath(os.path.abspath(sys.argv[0]), ROOT), *sys.argv[1:]])


def tool_record(notes: str) -> dict:
    """provenance() with the command as typed from the repository root, the notes, and whether the tools differ
    from the commit (cleanppo/throughput.py, cleanppo/ppo_warp.py)."""
    rec = provenance(*TOOL_PACKAGES)
    rec["command"] = command_line()
    rec["notes"] = notes
    tools = ["cleanppo/throughput.py", "cleanppo/ppo_warp.py"]
    rec["throughput_py_dirty"] = bool(
        subprocess.run(["git", "diff", "--quiet", "HEAD", "--", *tools], cwd=ROOT).returncode
    )
    return rec
