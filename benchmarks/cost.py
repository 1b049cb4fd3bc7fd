"""`throughput.py cost`: dollars per billion env steps and hours to N steps from measured throughput."""

from __future__ import annotations

import os
import sys

from benchmarks.common import read_csv, tool_record, write_rows

NOTES = (
    "usd_per_billion_steps = usd_per_hour / (steps_per_s * 3600) * 1e9; hours_to_N = N / steps_per_s / 3600. "
    "By default the best measured point per env of env.csv (env-only) and train.csv (PPO, SPS)."
)


def best_points(out: str) -> list[dict]:
    """The highest-throughput point of each env in <out>/env.csv (steps_per_s) and <out>/train.csv (sps)."""
    points = []
    for source, col in (("env", "steps_per_s"), ("train", "sps")):
        rows = read_csv(os.path.join(out, f"{source}.csv"))
        for env_id in sorted({r["env"] for r in rows}):
            best = max((r for r in rows if r["env"] == env_id), key=lambda r: r[col])
            points.append(dict(source=source, env=env_id, num_envs=int(best["num_envs"]), steps_per_s=best[col]))
    return points


def run(usd_per_hour, target_steps, steps_per_s, out) -> None:
    """Price the given throughput, or the best measured points; write <out>/cost.csv and cost.json."""
    if usd_per_hour <= 0:
        sys.exit(f"throughput.py: error: --usd-per-hour must be > 0, got {usd_per_hour}")
    record = tool_record(NOTES)
    record["usd_per_hour"] = usd_per_hour
    if steps_per_s is not None:
        points = [dict(source="given", env="-", num_envs=None, steps_per_s=steps_per_s)]
    else:
        points = best_points(out)
    if not points:
        sys.exit(f"throughput.py: error: nothing to price: no env.csv or train.csv in {out} and no --steps-per-s")
    rows = []
    for p in points:
        row = dict(**p, usd_per_hour=usd_per_hour)
        row["usd_per_billion_steps"] = usd_per_hour / (p["steps_per_s"] * 3600) * 1e9
        for target in target_steps:
            row[f"hours_to_{target:.0e}"] = target / p["steps_per_s"] / 3600
            row[f"usd_to_{target:.0e}"] = row[f"hours_to_{target:.0e}"] * usd_per_hour
        rows.append(row)
        print(f"{row['source']}.{row['env']}.usd_per_billion_steps {row['usd_per_billion_steps']:.4g}")
    keys = ["source", "env", "num_envs", "steps_per_s", "usd_per_hour", "usd_per_billion_steps"]
    keys += [f"{k}_to_{t:.0e}" for t in target_steps for k in ("hours", "usd")]
    write_rows(out, "cost", record, rows, keys)
