"""Plot ppo_warp.py runs' progress.csv: return vs env steps and vs wall-clock time from launch, one line per run.

python benchmarks/plot_progress.py runs/<run>/progress.csv results/ppo_ant.png --title "ant, ppo_warp.py"
python benchmarks/plot_progress.py results/ppo_planar_cpu/hopper/seed*/progress.csv hopper.png --labels 1 2 3
"""

import argparse
import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("progress_csv", nargs="+", help="one or more progress.csv files (one line each)")
    parser.add_argument("out_png")
    parser.add_argument("--title", default="")
    parser.add_argument("--labels", nargs="*", default=None, help="a legend label per file (default: no legend)")
    args = parser.parse_args()
    if args.labels is not None and len(args.labels) != len(args.progress_csv):
        parser.error(f"--labels needs one label per file: {len(args.progress_csv)} files, {len(args.labels)} labels")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for i, path in enumerate(args.progress_csv):
        with open(path) as f:
            rows = list(csv.DictReader(f))
        steps = [float(r["global_step"]) for r in rows]
        wall = [float(r["wall_time"]) for r in rows]
        minutes = [(w - wall[0]) / 60 for w in wall]
        ret = [float(r["return_last20"]) for r in rows]
        label = args.labels[i] if args.labels else None
        axes[0].plot(steps, ret, label=label)
        axes[1].plot(minutes, ret, label=label)
    axes[0].set_xlabel("env steps")
    axes[0].set_ylabel("mean return, last 20 episodes")
    axes[1].set_xlabel("wall-clock minutes from the first iteration")
    for ax in axes:
        ax.grid(alpha=0.3)
    if args.labels:
        axes[0].legend()
    fig.suptitle(args.title)
    fig.tight_layout()
    fig.savefig(args.out_png, dpi=120)


if __name__ == "__main__":
    main()
