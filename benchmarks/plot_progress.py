"""Plot one ppo_warp.py run's progress.csv: return vs env steps and vs wall-clock time from launch.

python benchmarks/plot_progress.py runs/<run>/progress.csv results/ppo_ant.png --title "ant, ppo_warp.py"
"""

import argparse
import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("progress_csv")
    parser.add_argument("out_png")
    parser.add_argument("--title", default="")
    args = parser.parse_args()
    with open(args.progress_csv) as f:
        rows = list(csv.DictReader(f))
    steps = [float(r["global_step"]) for r in rows]
    wall = [float(r["wall_time"]) for r in rows]
    minutes = [(w - wall[0]) / 60 for w in wall]
    ret = [float(r["return_last20"]) for r in rows]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    axes[0].plot(steps, ret)
    axes[0].set_xlabel("env steps")
    axes[0].set_ylabel("mean return, last 20 episodes")
    axes[1].plot(minutes, ret)
    axes[1].set_xlabel("wall-clock minutes from the first iteration")
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.suptitle(args.title)
    fig.tight_layout()
    fig.savefig(args.out_png, dpi=120)


if __name__ == "__main__":
    main()
