"""Learning curves and tables from results/ppo_<task>_runs.json (written by benchmarks/ppo_learning.py): the mean
return of the last 20 training episodes against env steps and against wall-clock seconds since launch, one colour
per implementation, one line per seed, the task's threshold dashed and each seed's final deterministic evaluation
as a marker at the end of its curve. Writes results/ppo_<task>_summary.csv and results/ppo_<task>_learning.png and
prints the markdown tables of results/ppo_<task>.md; for results/ppo_<task>_sweep.json (candidate settings), prints
the sweep table.

    python benchmarks/plot_learning.py [folder]   # <folder>/ppo_*_runs.json and ppo_*_sweep.json (default: results/)
"""

import csv
import glob
import json
import os
import statistics
import sys

import matplotlib
import matplotlib.ticker

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


def mean_std(xs, digits):
    if not xs:
        return "-"
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return f"{statistics.mean(xs):.{digits}f} ± {sd:.{digits}f}"


def group(run):
    """Runs are grouped by implementation and the flags appended to its default command (a proposed preset)."""
    return run["peer"], run.get("extra", "")


def label(peer, extra):
    return LABELS.get(peer, peer) + (f" + `{extra}`" if extra else "")


def crossing(run, threshold):
    return run["first_crossing"].get(str(threshold))


def tables(runs, threshold, extra_crossings):
    """The summary table and the per-seed table, as markdown lines."""
    lines = [
        "| implementation | seeds meeting the threshold (final eval) | final eval return, mean ± std over seeds "
        "| wall time of the full run, s (median) | first crossing of the last-20 mean: seeds, median s, median steps "
        "| load avg at start |",
        "|---|---|---|---|---|---|",
    ]
    for peer, extra in dict.fromkeys(group(r) for r in runs):
        rs = sorted((r for r in runs if group(r) == (peer, extra)), key=lambda r: r["seed"])
        evs = [r["eval_return_mean"] for r in rs if r["eval_return_mean"] is not None]
        hits = [crossing(r, threshold) for r in rs if crossing(r, threshold)]
        walls = [r["train_wall_s"] for r in rs]
        cross = f"{len(hits)}/{len(rs)}"
        if hits:
            cross += f", {statistics.median(h['time_s'] for h in hits):.1f} s"
            cross += f", {statistics.median(h['steps'] for h in hits):.0f}"
        loads = [r["loadavg_at_start"][0] for r in rs]
        meets = sum(r["meets_threshold"] for r in rs)
        lines.append(
            f"| {label(peer, extra)} | **{meets}/{len(rs)}** | {mean_std(evs, 1)} | {statistics.median(walls):.1f} "
            f"| {cross} | {min(loads):.1f}-{max(loads):.1f} |"
        )
    extra_head = "".join(f" | steps, s to {th:g}" for th in extra_crossings)
    lines += [
        "",
        f"| implementation | seed | final eval return (mean ± std, episodes) | meets | steps to {threshold:g} "
        f"| s to {threshold:g}{extra_head} | full run, s | trained steps | load avg start / end |",
        "|---|---|---|---|---|---|" + "---|" * len(extra_crossings) + "---|---|---|",
    ]
    groups = list(dict.fromkeys(group(r) for r in runs))
    for run in sorted(runs, key=lambda r: (groups.index(group(r)), r["seed"])):
        hit = crossing(run, threshold)
        ev = run["eval_return_mean"]
        ev = f"{ev:.1f} ± {run['eval_return_std']:.1f} ({run['eval_episodes']})" if ev is not None else "not evaluated"
        extra = ""
        for th in extra_crossings:
            h = crossing(run, th)
            extra += f" | {h['steps']}, {h['time_s']:.1f}" if h else " | never"
        lines.append(
            f"| {run['peer']}{' + flags' if run.get('extra') else ''} | {run['seed']} | {ev} "
            f"| {'yes' if run['meets_threshold'] else 'no'} "
            f"| {hit['steps'] if hit else 'never'} | {format(hit['time_s'], '.1f') if hit else '-'}{extra} "
            f"| {run['train_wall_s']:.1f}{' (cap)' if run['killed_at_cap'] else ''} | {run['final_steps']} "
            f"| {run['loadavg_at_start'][0]:.1f} / {run['loadavg_at_end'][0]:.1f} |"
        )
    return lines


def sweep_table(runs, threshold):
    """One line per candidate (flags appended to the default command) and seed set (1-5, or the held-out 6-10):
    seeds meeting, eval per seed."""
    lines = [
        "| flags appended to the default command | seeds meeting | final eval per seed | mean ± std "
        "| full run, s (median) | first crossing (seeds) | load avg at start (median) |",
        "|---|---|---|---|---|---|---|",
    ]
    for key in dict.fromkeys((r["peer"], r.get("extra", ""), r["seed"] > 5) for r in runs):
        rs = sorted((r for r in runs if (r["peer"], r.get("extra", ""), r["seed"] > 5) == key), key=lambda r: r["seed"])
        evs = [r["eval_return_mean"] for r in rs if r["eval_return_mean"] is not None]
        per_seed = ", ".join(f"{e:.0f}" for e in evs)
        hits = sum(1 for r in rs if crossing(r, threshold))
        meets = sum(r["meets_threshold"] for r in rs)
        lines.append(
            f"| {key[0]} `{key[1] or '(default)'}`{' (seeds 6-10)' if key[2] else ''} | {meets}/{len(rs)} | {per_seed} "
            f"| {mean_std(evs, 1)} "
            f"| {statistics.median(r['train_wall_s'] for r in rs):.1f} | {hits}/{len(rs)} "
            f"| {statistics.median(r['loadavg_at_start'][0] for r in rs):.1f} |"
        )
    return lines


def plot(path, out_dir):
    with open(path) as f:
        record = json.load(f)
    task, threshold, runs = record["task"], record["threshold"], record["runs"]
    extra_crossings = [float(k) for k in runs[0]["first_crossing"] if float(k) != threshold]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    groups = list(dict.fromkeys(group(r) for r in runs))
    for run in runs:
        if not run["curve"]:
            continue
        t, steps, ret = zip(*run["curve"], strict=True)
        first = run["seed"] == min(r["seed"] for r in runs if group(r) == group(run))
        # a peer's group drawn before another of the same peer is the superseded one (the old default): dotted
        old = any(g[0] == run["peer"] for g in groups[groups.index(group(run)) + 1 :])
        kw = dict(
            color=COLORS.get(run["peer"]), alpha=0.4 if old else 0.8, linewidth=1.2, linestyle=":" if old else "-"
        )
        kw["label"] = LABELS.get(run["peer"], run["peer"]) + (" + flags" if run.get("extra") else "") if first else None
        axes[0].plot(steps, ret, **kw)
        axes[1].plot(t, ret, **{**kw, "label": None})
        if run["eval_return_mean"] is not None:  # the final evaluation, at the end of training
            mk = dict(color=COLORS.get(run["peer"]), marker="o" if run["meets_threshold"] else "x", zorder=3)
            mk["alpha"] = kw["alpha"]
            axes[0].scatter([run["final_steps"]], [run["eval_return_mean"]], **mk)
            axes[1].scatter([run["train_wall_s"]], [run["eval_return_mean"]], **mk)
    for ax, xlabel in zip(axes, ("env steps", "wall-clock seconds since launch"), strict=True):
        ax.axhline(threshold, color="black", linestyle="--", linewidth=0.8)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("mean return, last 20 training episodes")
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())  # overlapping 2x10^0, 3x10^0 labels
        ax.grid(alpha=0.3)
    fig.legend(loc="lower center", ncol=3, fontsize=8)  # "+ flags": the proposed preset, see the record
    n = len({r["seed"] for r in runs})
    fig.suptitle(
        f"{task}: {n} seeds each; lines: last-20 training mean, markers: final deterministic evaluation "
        f"(o meets {threshold:g}, x misses)",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    png = os.path.join(out_dir, f"ppo_{task}_learning.png")
    fig.savefig(png, dpi=110)
    plt.close(fig)

    rows = []
    for run in runs:
        hit = crossing(run, threshold)
        rows.append(
            {
                "task": task,
                "implementation": run["peer"],
                "flags": run.get("extra", ""),
                "seed": run["seed"],
                "eval_return_mean": run["eval_return_mean"],
                "eval_return_std": run["eval_return_std"],
                "eval_episodes": run["eval_episodes"],
                "meets_threshold": run["meets_threshold"],
                "train_wall_s": run["train_wall_s"],
                "trained_steps": run["final_steps"],
                "steps_to_first_crossing": hit["steps"] if hit else None,
                "time_to_first_crossing_s": hit["time_s"] if hit else None,
                "final_last20": run["final_last20"],
                "loadavg_1min_at_start": run["loadavg_at_start"][0],
                "loadavg_1min_at_end": run["loadavg_at_end"][0],
                "command": run["command"],
                "eval_command": run["eval_command"],
            }
        )
    with open(os.path.join(out_dir, f"ppo_{task}_summary.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{task} (threshold {threshold:g}), wrote {png}\n")
    print("\n".join(tables(runs, threshold, extra_crossings)))


if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "results")
    for path in sorted(glob.glob(os.path.join(out_dir, "ppo_*_runs.json"))):
        plot(path, out_dir)
    for path in sorted(glob.glob(os.path.join(out_dir, "ppo_*_sweep.json"))):
        with open(path) as f:
            record = json.load(f)
        print(f"\n{record['task']} sweep ({path}):\n")
        print("\n".join(sweep_table(record["runs"], record["threshold"])))
