"""The terrain curriculum of one anymal_c_rough ppo_warp.py run over training time, read from its snapshots.

    python cleanppo/ppo_warp.py --env-id anymal_c_rough --log-dir runs/r --save-every 50 &   # checkpoints as it trains
    (benchmarks/gpu_session.sh keeps each one the run writes as a hard link, snap_<inode>.pt, see `snap` there)
    python benchmarks/terrain_levels.py runs/r/<run> --out runs/r/<run>/terrain_levels.json
    python benchmarks/terrain_levels.py --from-json runs/r/<run>/terrain_levels.json --plot levels.png   # a figure

legged_gym's measure of rough-terrain progress is the curriculum itself: each env walks one terrain type (column
i % num_cols) and moves up a level (row) when it crosses half a tile in an episode, down when it walks less than
half its command (envs/anymal_c_rough.py). Each snapshot holds every env's current level in its env state
(`terrain.level`); per snapshot this prints the training seconds (benchmarks/learning_clock.py's clock, from the
run's progress.csv; a resumed run's pause and restart count as one iteration), the mean level of all envs and of
each terrain type's envs, and for the stairs the step height of the mean level (0.05 + 0.18 level / num_rows m,
envs/terrain.py) and the share of their envs on the top two levels. Reads the checkpoints only: no env is stepped.
A type whose every episode is promoted settles at mean level 2 (num_rows - 1) / 3 (``mastery_level``: 6.0 for 10
levels), the dashed line of the figure.
"""

import argparse
import glob
import json
import os

import numpy as np
import torch

from benchmarks.learning_clock import train_seconds
from envs.terrain import terrain_kind

KINDS = ("slope_up", "slope_down", "rough_slope", "stairs_up", "stairs_down", "discrete")


def levels_by_kind(levels: np.ndarray, num_rows: int, num_cols: int) -> dict:
    """Mean level (row index, 0..num_rows - 1) over all envs and over each terrain type's envs (env i walks column
    i % num_cols); for the stairs also the step height [m] at that mean and the share of envs on the top two levels."""
    kinds = np.array([terrain_kind(j / num_cols + 0.001) for j in range(num_cols)])
    of_env = kinds[np.arange(len(levels)) % num_cols]
    out = {"all": float(levels.mean())}
    for kind in KINDS:
        mine = levels[of_env == kind]
        if len(mine):
            out[kind] = float(mine.mean())
            if kind.startswith("stairs"):
                out[f"{kind}_step_m"] = 0.05 + 0.18 * out[kind] / num_rows
                out[f"{kind}_top2"] = float((mine >= num_rows - 2).mean())
    return out


def mastery_level(num_rows: int) -> float:
    """The mean level a terrain type's envs settle at when every episode is promoted: past the last level an env goes
    to a uniformly drawn one (legged_gym's rule, envs/anymal_c_rough.py), so level k is reached from k + 1 draws and
    holds weight k + 1: mean 2 (num_rows - 1) / 3 (6.0 for 10 levels). A type levelling off there is climbed at every
    level."""
    return 2.0 * (num_rows - 1) / 3.0


def snapshot_levels(path: str) -> tuple[int, dict, np.ndarray]:
    """(iteration, saved args, every env's terrain level) of one ppo_warp.py checkpoint of anymal_c_rough."""
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    if ckpt["args"].get("env_id") != "anymal_c_rough":
        raise SystemExit(f"{path}: a checkpoint of env {ckpt['args'].get('env_id')!r}, not anymal_c_rough")
    raw = ckpt.get("env_state", {}).get("terrain.level")
    if raw is None or raw.numel() == 0:
        raise SystemExit(f"{path}: no env state (terrain.level) in this checkpoint")
    return int(ckpt["iteration"]), ckpt["args"], raw.view(torch.int32).numpy()


def main(a) -> list[dict]:
    """Read every snapshot of the run folder a.run_dir; print and return one row per snapshot."""
    paths = sorted(set(glob.glob(os.path.join(a.run_dir, a.glob))))
    if not paths:
        raise SystemExit(f"no checkpoint matches {os.path.join(a.run_dir, a.glob)}")
    snaps = sorted((snapshot_levels(p) + (p,) for p in paths), key=lambda s: s[0])
    saved = snaps[-1][1]
    # a run resumed across calls (gpu_session.sh's rough_long): the pause and the restart count as one iteration
    clock = train_seconds(os.path.join(a.run_dir, "progress.csv"), int(saved.get("save_every") or 0), gap_factor=10)
    rows = []
    for iteration, _, levels, path in snaps:
        row = dict(iteration=iteration, train_s=clock.get(iteration, float("nan")), snapshot=os.path.basename(path))
        row.update(levels_by_kind(levels, a.num_rows, a.num_cols))
        rows.append(row)
        print(
            f"iteration {iteration:5d} train {row['train_s']:7.1f} s  mean level {row['all']:.2f}  "
            + "  ".join(f"{k} {row[k]:.2f}" for k in KINDS if k in row)
            + f"  stairs up: {row.get('stairs_up_step_m', float('nan')):.3f} m steps, "
            + f"{row.get('stairs_up_top2', float('nan')):.0%} on the top two levels"
        )
    if a.out:
        with open(a.out, "w") as f:
            json.dump(dict(run_dir=a.run_dir, num_rows=a.num_rows, num_cols=a.num_cols, rows=rows), f, indent=1)
    return rows


def levels_figure(path: str, rows: list[dict], num_rows: int, title: str = "") -> None:
    """The mean terrain level of each terrain type's envs and of all envs against training seconds, as a PNG."""
    from benchmarks.plots import _pyplot, _save

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 4.2))
    seconds = [r["train_s"] for r in rows]
    for kind in KINDS:
        if all(kind in r for r in rows):
            ax.plot(seconds, [r[kind] for r in rows], marker=".", label=kind.replace("_", " "))
    ax.plot(seconds, [r["all"] for r in rows], color="k", lw=2.5, label="all envs")
    ax.axhline(mastery_level(num_rows), color="0.5", ls="--", lw=1, label="every episode promoted")
    ax.set_xlabel("training time [s]")
    ax.set_ylabel(f"mean terrain level (0-{num_rows - 1})")
    ax.set_ylim(0, num_rows - 1)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(title, fontsize=9)
    _save(plt, fig, path, dpi=120)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir", nargs="?", help="a run folder with snapshots (or --from-json)")
    p.add_argument("--glob", default="snap_*.pt", help="the snapshots inside run_dir (default: gpu_session's links)")
    p.add_argument("--num-rows", type=int, default=10, help="terrain levels of the run's env (its default: 10)")
    p.add_argument("--num-cols", type=int, default=20, help="terrain types' columns of the run's env (default: 20)")
    p.add_argument("--out", help="write the rows as JSON here")
    p.add_argument("--from-json", help="the rows of an earlier --out instead of reading snapshots")
    p.add_argument("--plot", help="write the levels against training time as a PNG here")
    p.add_argument("--title", default="", help="the figure's title")
    a = p.parse_args()
    if a.from_json:
        with open(a.from_json) as f:
            saved = json.load(f)
        rows, a.num_rows = saved["rows"], saved["num_rows"]
    elif a.run_dir:
        rows = main(a)
    else:
        p.error("give a run folder or --from-json")
    if a.plot:
        levels_figure(a.plot, rows, a.num_rows, a.title)
        print(f"wrote {a.plot}")
