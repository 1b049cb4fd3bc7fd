"""Figures of `throughput.py report`: steps/s against num_envs beside the peers, PPO time per phase, memory per env."""

from __future__ import annotations

import os

import numpy as np

from benchmarks.train_phases import PHASES


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(plt, fig, path: str, dpi: int) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def steps_per_s_figure(path: str, env_rows: list[dict], peer_rows: list[dict]) -> None:
    """One panel per env: the Warp env's sweep (median, min-max bars) and its peers, env steps/s against num_envs."""
    plt = _pyplot()
    env_ids = sorted({r["env"] for r in env_rows + peer_rows})
    fig, axes = plt.subplots(1, len(env_ids), figsize=(4.2 * len(env_ids), 4.6), squeeze=False)
    for ax, env_id in zip(axes[0], env_ids, strict=True):
        rs = [r for r in env_rows if r["env"] == env_id]
        if rs:
            y = np.array([r["steps_per_s"] for r in rs])
            err = [y - [r["steps_per_s_min"] for r in rs], [r["steps_per_s_max"] for r in rs] - y]
            ax.errorbar([r["num_envs"] for r in rs], y, yerr=err, marker="o", lw=2.5, color="k", label="warp env")
        impls = sorted({r["impl"] for r in peer_rows if r["env"] == env_id and not r["impl"].startswith("warp (")})
        for impl in impls:
            ps = [r for r in peer_rows if r["env"] == env_id and r["impl"] == impl]
            ax.plot(
                [r["num_envs"] for r in ps], [r["steps_per_s"] for r in ps], marker="s", ls="--", lw=1.2, label=impl
            )
        ax.set(xscale="log", yscale="log", xlabel="num_envs", title=env_id)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    axes[0][0].set_ylabel("env steps / s (one CPU core each)")
    _save(plt, fig, path, dpi=110)


def train_phases_figure(path: str, train_rows: list[dict]) -> None:
    """Seconds per million env steps of each PPO point, stacked by phase: the bars shrink as num_envs grows."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8.5, 4.5))
    labels = [f"{r['env']}\n{int(r['num_envs'])} envs" for r in train_rows]
    bottom = np.zeros(len(train_rows))
    for k in PHASES:
        v = np.array([r[f"{k}_s"] / (r["num_envs"] * r["num_steps"]) * 1e6 for r in train_rows])
        ax.bar(labels, v, bottom=bottom, label=k)
        bottom += v
    for i, r in enumerate(train_rows):
        ax.text(i, bottom[i] * 1.01, f"{r['sps']:,.0f} SPS", ha="center", va="bottom", fontsize=7)
    ax.set(ylabel="seconds per million env steps", title="PPO iteration by phase (ppo_warp.py's own clocks)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _save(plt, fig, path, dpi=120)


def memory_figure(path: str, env_rows: list[dict]) -> None:
    """Bytes per env against num_envs: the Warp arrays an env owns, and the process RSS growth."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for env_id in sorted({r["env"] for r in env_rows}):
        rs = [r for r in env_rows if r["env"] == env_id]
        ax.plot(
            [r["num_envs"] for r in rs],
            [r["warp_bytes_per_env"] for r in rs],
            marker="o",
            label=f"{env_id}: Warp arrays",
        )
        rss = [(r["num_envs"], r["rss_bytes_per_env"]) for r in rs if r["rss_bytes_per_env"] > 0]
        if rss:
            ax.plot(*zip(*rss, strict=True), marker="x", ls=":", label=f"{env_id}: RSS growth")
    ax.set(xscale="log", yscale="log", xlabel="num_envs", ylabel="bytes per env", title="Memory per env")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    _save(plt, fig, path, dpi=120)


def plots(out: str, env_rows: list[dict], train_rows: list[dict], peer_rows: list[dict]) -> list[str]:
    """Draw every figure the rows allow into out; return their paths."""
    written = []
    if env_rows or peer_rows:
        written.append(os.path.join(out, "steps_per_s_vs_num_envs.png"))
        steps_per_s_figure(written[-1], env_rows, peer_rows)
    if train_rows:
        written.append(os.path.join(out, "train_phases.png"))
        train_phases_figure(written[-1], train_rows)
    if env_rows:
        written.append(os.path.join(out, "memory_per_env.png"))
        memory_figure(written[-1], env_rows)
    return written
