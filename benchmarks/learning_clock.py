"""Training wall-clock to a level of a deterministic reward term: the snapshots of one ppo_warp.py run, evaluated.

    python cleanppo/ppo_warp.py --env-id anymal_c --log-dir runs/a --save-every 10 &     # checkpoints as it trains
    (benchmarks/gpu_session.sh keeps each one the run writes as a hard link, snap_<inode>.pt, see `snap` there)
    python benchmarks/learning_clock.py runs/a/<run> --term tracking_lin_vel --level 0.016 --device cuda:0

For each snapshot (a checkpoint of the run, found by --glob in the run folder) it runs the deterministic policy (the
actor's mean, clipped to [-1, 1], the checkpoint's observation normalization) in `--episodes` envs of the run's env
for `--steps` steps and takes the mean of the reward term per env step over the episodes still running, as
`ppo_warp.py --eval` does (cleanppo_utils/evaluation.py). The training clock of a snapshot is read from the run's
progress.csv: the median iteration for iteration 1 (its one-off compile and graph capture left out), then each
iteration's wall-clock interval, except that an interval holding a checkpoint save (of 7 KB per ant or anymal_c env:
~120 MB at 16,384 envs) counts as the median iteration: the clock is that of a run without the snapshots. Prints
one line per snapshot and the first that reaches `--level`; writes a JSON with every row when --out is given.

Levels used by benchmarks/gpu_session.sh: anymal_c tracking_lin_vel 0.016 (80% of its maximum 0.02 per step, issue
13); ant forward 3.0 (m/s: Ant-v5's forward reward per step is the torso's x velocity at weight 1, issue 17).
"""

import argparse
import csv
import glob
import json
import os
import statistics

import torch
import torch.nn as nn

import envs
from cleanppo_utils import runs

ACTIVATIONS = {"tanh": nn.Tanh, "elu": nn.ELU, "relu": nn.ReLU}


def load_policy(ckpt: dict, num_obs: int, device: str):
    """The deterministic policy obs [N, num_obs] -> action mean of a ppo_warp checkpoint (rebuilt from its Linear
    layers and saved args, so no cleanppo/ script is imported; benchmarks/anymal_eval.py uses it too)."""
    saved, weights = ckpt["args"], ckpt["agent"]
    act = ACTIVATIONS[str(saved.get("activation", "tanh")).lower()]
    layers, i = [], 0
    while f"actor_mean.{i}.weight" in weights or f"actor_mean.{i + 1}.weight" in weights:
        if f"actor_mean.{i}.weight" in weights:
            w, b = weights[f"actor_mean.{i}.weight"], weights[f"actor_mean.{i}.bias"]
            lin = nn.Linear(w.shape[1], w.shape[0])
            lin.weight.data.copy_(w), lin.bias.data.copy_(b)
            layers += [lin, act()]
        i += 1
    actor = nn.Sequential(*layers[:-1]).to(device)
    mean, inv_std = torch.zeros(num_obs, device=device), torch.ones(num_obs, device=device)
    if saved.get("norm_obs", False):
        rms = ckpt["obs_rms"]
        mean, inv_std = rms["mean"].float().to(device), (rms["var"] + 1e-8).rsqrt().float().to(device)
    return lambda obs: actor(((obs - mean) * inv_std).clamp(-10.0, 10.0))


def term_per_step(env, policy, term: str, steps: int, seed: int) -> float:
    """Mean of one reward term per env step over the episodes not yet ended, deterministic policy, `steps` steps."""
    k = list(env.reward_term_names).index(term)
    obs = env.reset(seed=seed)
    running = torch.ones(env.num_envs, dtype=torch.bool, device=obs.device)
    total, count = torch.zeros((), device=obs.device), torch.zeros((), device=obs.device)
    for _ in range(steps):
        obs, _, terminated, truncated, info = env.step(policy(obs).clamp(-1.0, 1.0))
        total += (info["reward_terms"][:, k] * running).sum()  # (a mask product: no host sync on CUDA)
        count += running.sum()
        running &= ~(terminated | truncated)
    return float(total / count.clamp(min=1))


def train_seconds(progress_csv: str, save_every: int, gap_factor: float = 0.0) -> dict[int, float]:
    """Per iteration: training seconds at its end (module docstring), from a ppo_warp progress.csv whose run saved a
    checkpoint every `save_every` iterations (0: none); with `gap_factor` > 0, an interval longer than gap_factor x
    the median (a resumed run's pause and its restart) also counts as the median."""
    with open(progress_csv) as f:
        rows = [(int(r["iteration"]), float(r["wall_time"])) for r in csv.DictReader(f)]
    if len(rows) < 2:
        return {it: float("nan") for it, _ in rows}
    # an iteration's row is written before its checkpoint, so the save is in the next iteration's interval
    steps = [
        (it, t - t0, save_every and prev % save_every == 0) for (prev, t0), (it, t) in zip(rows, rows[1:], strict=False)
    ]
    median = statistics.median([d for _, d, saved in steps if not saved] or [d for _, d, _ in steps])
    clock, total = {rows[0][0]: median}, median
    for it, d, saved in steps:
        total += median if saved or 0 < gap_factor * median < d else d
        clock[it] = total
    return clock


def main(a) -> list[dict]:
    """Evaluate every snapshot of the run folder a.run_dir; print and return the rows."""
    paths = glob.glob(os.path.join(a.run_dir, a.glob))
    if not paths:
        raise SystemExit(f"learning_clock: no snapshot matches {a.glob!r} in {a.run_dir!r}")
    ckpts = sorted((torch.load(p, map_location="cpu", weights_only=True) | {"path": p} for p in paths),
                   key=lambda c: c["iteration"])  # fmt: skip
    clock = train_seconds(os.path.join(a.run_dir, "progress.csv"), int(ckpts[0]["args"].get("save_every", 0)))
    env_id = ckpts[0]["args"]["env_id"]
    task = runs.env_kwargs(ckpts[0]["args"].get("env_kwargs", ()))  # the task the run trained on (--env-kwargs)
    env = envs.make(env_id, num_envs=a.episodes, device=a.device, seed=a.seed, validate=False, **task)
    steps = a.steps or env.max_episode_steps
    rows, reached = [], None
    with torch.no_grad():
        for c in ckpts:
            value = term_per_step(env, load_policy(c, env.num_obs, a.device), a.term, steps, a.seed)
            row = dict(iteration=c["iteration"], global_step=c["global_step"], train_s=clock.get(c["iteration"]))
            rows.append(row | {a.term: value, "path": os.path.basename(c["path"])})
            print(f"iteration {row['iteration']:5d} step {row['global_step']:10d} train {row['train_s']:7.1f} s  "
                  f"{a.term} {value:.4f} per step", flush=True)  # fmt: skip
            if reached is None and value >= a.level:
                reached = row
    with open(os.path.join(a.run_dir, "progress.csv")) as f:
        sps = statistics.median(float(r["sps"]) for r in csv.DictReader(f))
    summary = f"{env_id}: {a.term} >= {a.level:g} per step (deterministic, {a.episodes} envs x {steps} steps): "
    summary += f"first at {reached['train_s']:.1f} s of training, step {reached['global_step']}" if reached else "never"
    summary += f"; median SPS over its iterations {sps:.4g}"
    print(summary)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(dict(summary=summary, term=a.term, level=a.level, env_id=env_id, sps=sps, rows=rows), f, indent=1)
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", help="a ppo_warp.py run folder (progress.csv and the snapshots)")
    parser.add_argument("--glob", default="snap_*.pt", help="the snapshots, relative to run_dir")
    parser.add_argument("--term", required=True, help="a reward term of the env (env.reward_term_names)")
    parser.add_argument("--level", type=float, required=True, help="the term's level per step")
    parser.add_argument("--episodes", type=int, default=256)
    parser.add_argument("--steps", type=int, default=0, help="steps per evaluation (0: the env's time limit)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default="", help="write the rows to this JSON file")
    main(parser.parse_args())
