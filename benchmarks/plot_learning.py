"""Learning curves from results/ppo_<task>_runs.json (written by benchmarks/ppo_learning.py): the mean return of the
last 20 finished episodes against env steps and against wall-clock seconds since launch, one colour per
implementation, one line per seed, the task's threshold dashed. Also writes results/ppo_<task>_summary.csv.

    python benchmarks/plot_learning.py [folder]   # every <folder>/ppo_*_runs.json, default results/
"""

import csv
import glob
import json
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLORS = {"ppo_warp": "tab:red", "ppo_gym": "tab:blue", "cleanrl": "tab:gray", "sb3_zoo": "tab:green"}
LABELS = {
    "ppo_warp": "cleanppo ppo_warp.py (Warp env)",
    "ppo_gym": "cleanppo ppo_gym.py (Gymnasium env)",
    "cleanrl": "CleanRL defaults",
    "sb3_zoo": "SB3 PPO + RL Zoo",
}


def plot(path, out_dir):
    with open(path) as f:
        record = json.load(f)
    task, threshold, runs = record["task"], record["threshold"], record["runs"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for run in runs:
        if not run["curve"]:
            continue
        t, steps, ret = zip(*run["curve"], strict=True)
        label = LABELS.get(run["peer"], run["peer"]) if run["seed"] == min(r["seed"] for r in runs) else None
        kw = dict(color=COLORS.get(run["peer"]), alpha=0.8, linewidth=1.2)
        axes[0].plot(steps, ret, label=label, **kw)
        axes[1].plot(t, ret, label=label, **kw)
    for ax, xlabel in zip(axes, ("env steps", "wall-clock seconds since launch"), strict=True):
        ax.axhline(threshold, color="black", linestyle="--", linewidth=0.8)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("mean return, last 20 episodes")
        ax.grid(alpha=0.3)
    axes[1].set_xscale("log")
    axes[0].set_xscale("log")
    axes[0].legend(loc="lower right", fontsize=8)
    fig.suptitle(f"{task}: PPO implementations, {len({r['seed'] for r in runs})} seeds each (threshold {threshold})")
    fig.tight_layout()
    png = os.path.join(out_dir, f"ppo_{task}_learning.png")
    fig.savefig(png, dpi=110)
    plt.close(fig)

    rows = []
    for run in runs:
        rows.append(
            {
                "task": task,
                "implementation": run["peer"],
                "seed": run["seed"],
                "time_to_threshold_s": run["time_to_threshold_s"],
                "steps_to_threshold": run["steps_to_threshold"],
                "best_last20": run["best_last20"],
                "cpu_s_to_threshold": run.get("cpu_s_to_threshold"),
                "loadavg_1min_at_start": run["loadavg_at_start"][0],
                "command": run["command"],
            }
        )
    with open(os.path.join(out_dir, f"ppo_{task}_summary.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{task} (threshold {threshold}), wrote {png}")
    print(
        "| implementation | seeds reaching | time to threshold, s (mean ± std) | env steps to threshold | per seed, s "
        "| process CPU s (cleanppo) | load avg at start |"
    )
    print("|---|---|---|---|---|---|---|")
    for peer in dict.fromkeys(r["peer"] for r in runs):
        rs = sorted((r for r in runs if r["peer"] == peer), key=lambda r: r["seed"])
        ok = [r for r in rs if r["time_to_threshold_s"] is not None]

        def fmt(xs, digits):
            sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
            return f"{statistics.mean(xs):.{digits}f} ± {sd:.{digits}f}" if xs else "not reached"

        per_seed = ", ".join(
            f"{r['time_to_threshold_s']:.1f}"
            if r["time_to_threshold_s"] is not None
            else f"> {r['process_wall_s']:.0f}"
            for r in rs
        )
        times, steps = [r["time_to_threshold_s"] for r in ok], [r["steps_to_threshold"] for r in ok]
        cpus = [r["cpu_s_to_threshold"] for r in ok if r.get("cpu_s_to_threshold") is not None]
        loads = ", ".join(f"{r['loadavg_at_start'][0]:.1f}" for r in rs)
        print(
            f"| {LABELS.get(peer, peer)} | {len(ok)}/{len(rs)} | {fmt(times, 1)} | {fmt(steps, 0)} | {per_seed} "
            f"| {fmt(cpus, 1) if cpus else '-'} | {loads} |"
        )


if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "results")
    for path in sorted(glob.glob(os.path.join(out_dir, "ppo_*_runs.json"))):
        plot(path, out_dir)
