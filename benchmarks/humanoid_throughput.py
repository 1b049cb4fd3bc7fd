"""Humanoid env steps per CPU second on Warp's CPU backend beside MuJoCo C on the same MJCF, one run (issue 12).

    python benchmarks/humanoid_throughput.py                       # prints; --out FILE.json keeps the record
    python benchmarks/humanoid_throughput.py --num-envs 1024 --repeats 5

Warp: `envs.make("humanoid")` (self-collisions, MuJoCo's soft contacts, 5 Euler steps of 3 ms per env step) with the
full step API, 8 fixed batches of uniform random actions stepped in turn. MuJoCo C: `mujoco.rollout` with one
MjData (one thread), 32 rollouts of `mujoco_steps` env steps of 5 physics steps from qpos0 under uniform random
controls, on envs/assets/humanoid.xml (the same MJCF, Euler, its self-collisions) and on Gymnasium's humanoid.xml
(RK4, PGS). The clock is the process CPU time, the fairer one on a shared machine (a descheduled process does not
accrue it); entries are interleaved and repeated, the median repeat is reported.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass

import gymnasium
import mujoco
import numpy as np
import torch
import tyro
import warp as wp
from mujoco import rollout

import envs
from benchmarks.common import provenance, write_json

wp.config.quiet = True
ASSET = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "envs/assets/humanoid.xml")
GYM_HUMANOID = os.path.join(os.path.dirname(gymnasium.__file__), "envs/mujoco/assets/humanoid.xml")
FRAME_SKIP = 5


@dataclass
class Args:
    num_envs: int = 1024
    """parallel Warp envs"""
    warp_steps: int = 10
    """env steps per Warp repeat"""
    mujoco_steps: int = 200
    """env steps per MuJoCo rollout (32 rollouts per repeat)"""
    repeats: int = 5
    """interleaved repeats (median reported)"""
    out: str = ""
    """JSON file for the record ('' prints only)"""


def warp_rate(env, batches: list[torch.Tensor], steps: int) -> float:
    """Env steps per CPU second of `steps` env.step calls."""
    wp.synchronize_device("cpu")
    c0 = time.process_time()
    for s in range(steps):
        env.step(batches[s % len(batches)])
    wp.synchronize_device("cpu")
    return env.num_envs * steps / (time.process_time() - c0)


def mujoco_rate(path: str, steps: int, nbatch: int = 32, seed: int = 0) -> float:
    """Env steps (FRAME_SKIP physics steps each) per CPU second of mujoco.rollout, one MjData (one thread)."""
    m = mujoco.MjModel.from_xml_path(path)
    d = mujoco.MjData(m)
    state0 = np.zeros((nbatch, mujoco.mj_stateSize(m, mujoco.mjtState.mjSTATE_FULLPHYSICS)))
    for i in range(nbatch):
        mujoco.mj_resetData(m, d)
        mujoco.mj_getState(m, d, state0[i], mujoco.mjtState.mjSTATE_FULLPHYSICS)
    rng = np.random.default_rng(seed)
    lo, hi = m.actuator_ctrlrange[:, 0], m.actuator_ctrlrange[:, 1]
    control = np.repeat(rng.uniform(lo, hi, size=(nbatch, steps, m.nu)), FRAME_SKIP, axis=1)
    c0 = time.process_time()
    rollout.rollout(m, d, state0, control)
    return nbatch * steps / (time.process_time() - c0)


def main() -> None:
    """Interleave the three entries `repeats` times and print (and optionally write) the medians."""
    args = tyro.cli(Args)
    torch.set_num_threads(1)
    env = envs.make("humanoid", num_envs=args.num_envs, device="cpu", seed=0)
    env.reset()
    g = torch.Generator().manual_seed(0)
    batches = [torch.rand(args.num_envs, env.num_actions, generator=g) * 2 - 1 for _ in range(8)]
    warp_rate(env, batches, 3)  # compile and warm up
    runs = {"warp": [], "mujoco_same_mjcf_euler": [], "mujoco_gymnasium_rk4": []}
    for _ in range(args.repeats):
        runs["warp"].append(warp_rate(env, batches, args.warp_steps))
        runs["mujoco_same_mjcf_euler"].append(mujoco_rate(ASSET, args.mujoco_steps))
        runs["mujoco_gymnasium_rk4"].append(mujoco_rate(GYM_HUMANOID, args.mujoco_steps))
        print({k: round(v[-1]) for k, v in runs.items()}, flush=True)
    med = {k: statistics.median(v) for k, v in runs.items()}
    ratios = {k: med["warp"] / med[k] for k in med if k != "warp"}
    print("median env steps per CPU second:", {k: round(v) for k, v in med.items()})
    print("warp / mujoco:", {k: round(v, 2) for k, v in ratios.items()})
    if args.out:
        record = {
            "provenance": provenance("warp-lang", "mujoco", "torch", "gymnasium"),
            "args": vars(args),
            "load_average": os.getloadavg(),
            "env_steps_per_cpu_s": runs,
            "median": med,
            "warp_over_mujoco": ratios,
        }
        write_json(args.out, record)


if __name__ == "__main__":
    main()
