"""Ant env throughput on Warp's CPU backend beside MuJoCo C stepping Gymnasium's ant.xml, contacts on, one run.

    python benchmarks/ant_throughput.py                       # writes results/ant_throughput.{json,md}
    python benchmarks/ant_throughput.py --nan-check-envs 16384 --nan-check-steps 1000   # + the stability run,
                                                   # written to results/ant_stability.json (~10 min on one core)

Warp: `envs.make("ant")` with the full step API (action kernel, simulator launch with 5 implicit 10 ms
steps and soft contacts, task kernel with reward, termination and autoreset), random actions, one
launch per stage on one core. MuJoCo C: `mujoco.rollout` with one MjData (one thread) on Gymnasium's own
ant.xml (RK4, 10 ms, its soft-constraint contacts), each random control held for frame_skip = 5 steps,
i.e. what one Gymnasium Ant-v5 env step costs without Python. Entries are interleaved and repeated (the
machine is shared); the median repeat is reported. Compile times are measured in a subprocess with an
empty kernel cache: the first `envs.make("ant")` on CPU, and NVRTC for sm_80 + sm_90 of the same modules.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import gymnasium
import mujoco
import numpy as np
import torch
import tyro
import warp as wp
from mujoco import rollout

import envs
from benchmarks.common import provenance, write_json
from benchmarks.env_timing import time_env_step

wp.config.quiet = True
GYM_ANT = os.path.join(os.path.dirname(gymnasium.__file__), "envs/mujoco/assets/ant.xml")
FRAME_SKIP = 5


@dataclass
class Args:
    num_envs: list[int] = field(default_factory=lambda: [1024, 16384])
    """numbers of parallel Warp envs to measure"""
    repeats: int = 3
    """timed repeats per entry (median reported)"""
    seconds: float = 5.0
    """approximate duration of one repeat"""
    mujoco_batch: int = 32
    """rollouts per mujoco.rollout call"""
    nan_check_envs: int = 0
    """if > 0: also step this many Ants for nan_check_steps random-action steps and record whether all stay finite"""
    nan_check_steps: int = 1000
    """steps of the NaN check"""
    compile: bool = True
    """measure first-run compile times in a subprocess with an empty kernel cache"""
    out: str = "results"
    """folder for ant_throughput.{json,md}"""


def bench_warp(num_envs: int, seconds: float) -> dict:
    """One timed repeat of ~`seconds` of the Ant's full step API (benchmarks/env_timing.py), 16 random action sets
    stepped in turn; the state must stay finite."""
    env, t = time_env_step("ant", num_envs, "cpu", repeats=1, seconds=seconds, action_sets=16)
    assert bool(torch.isfinite(env.get_state()).all()), "non-finite Ant state during the benchmark"
    sps = t["steps_per_s"]
    return {
        "num_envs": num_envs,
        "steps": t["steps_per_repeat"],
        "elapsed_s": t["median_s"] * t["steps_per_repeat"],
        "env_steps_per_s": sps,
        "sim_s_per_wall_s": sps * env.dt,
        "us_per_env_step": 1e6 / sps,
    }


def bench_mujoco(nbatch: int, seconds: float, seed: int = 0) -> dict:
    m = mujoco.MjModel.from_xml_path(GYM_ANT)
    d = mujoco.MjData(m)
    rng = np.random.default_rng(seed)
    nstate = mujoco.mj_stateSize(m, mujoco.mjtState.mjSTATE_FULLPHYSICS)
    state0 = np.zeros((nbatch, nstate))
    for i in range(nbatch):
        mujoco.mj_resetData(m, d)
        d.qpos[:] = m.qpos0 + rng.uniform(-0.1, 0.1, m.nq)
        d.qvel[:] = 0.1 * rng.normal(size=m.nv)
        mujoco.mj_getState(m, d, state0[i], mujoco.mjtState.mjSTATE_FULLPHYSICS)
    probe = np.repeat(rng.uniform(-1, 1, size=(nbatch, 4, m.nu)), FRAME_SKIP, axis=1)
    t0 = time.perf_counter()
    rollout.rollout(m, d, state0, probe)
    per_env_step = (time.perf_counter() - t0) / (nbatch * 4)
    env_steps = max(4, int(seconds / per_env_step / nbatch))
    control = np.repeat(rng.uniform(-1, 1, size=(nbatch, env_steps, m.nu)), FRAME_SKIP, axis=1)
    t0 = time.perf_counter()
    state, _ = rollout.rollout(m, d, state0, control)  # one MjData: one thread
    elapsed = time.perf_counter() - t0
    sps = nbatch * env_steps / elapsed
    return {
        "nbatch": nbatch,
        "env_steps": env_steps,
        "frame_skip": FRAME_SKIP,
        "threads": 1,
        "integrator": "RK4 (Gymnasium's ant.xml)",
        "elapsed_s": elapsed,
        "env_steps_per_s": sps,
        "sim_s_per_wall_s": sps * FRAME_SKIP * m.opt.timestep,
        "finite": bool(np.isfinite(state).all()),
    }


_COMPILE_PROBE = """
import json, sys, time, tempfile
import warp as wp
wp.config.quiet = True
wp.config.kernel_cache_dir = sys.argv[1]
wp.init()
import envs
t0 = time.perf_counter()
env = envs.make("ant", num_envs=1, device="cpu")
cpu = time.perf_counter() - t0
mods = [wp.get_module("kernels.forward"), env.step_kernel.module, env.act_kernel.module]
t0 = time.perf_counter()
for arch in (80, 90):
    for m in mods:
        wp.compile_aot_module(m, arch=arch, module_dir=tempfile.mkdtemp())
cuda = time.perf_counter() - t0
print(json.dumps({"cpu_first_make_s": cpu, "cuda_sm80_sm90_s": cuda}))
"""


def measure_compile() -> dict:
    with tempfile.TemporaryDirectory() as cache:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        out = subprocess.run(
            [sys.executable, "-c", _COMPILE_PROBE, cache], capture_output=True, text=True, cwd=root, check=True
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def nan_check(num_envs: int, steps: int, seed: int = 0) -> dict:
    env = envs.make("ant", num_envs=num_envs, device="cpu", seed=seed, validate=False)
    gen = torch.Generator().manual_seed(seed)
    env.reset()
    finite = True
    resets = 0
    t0 = time.perf_counter()
    for t in range(steps):
        obs, reward, terminated, truncated, _ = env.step(torch.rand(num_envs, env.num_actions, generator=gen) * 2 - 1)
        if t % 50 == 49 or t == steps - 1:
            finite &= bool(torch.isfinite(env.get_state()).all() and torch.isfinite(obs).all())
            finite &= bool(torch.isfinite(reward).all())
        resets += int(terminated.sum())
    return {
        "num_envs": num_envs,
        "steps": steps,
        "all_finite": finite,
        "terminations": resets,
        "elapsed_s": time.perf_counter() - t0,
    }


def main():
    args = tyro.cli(Args)
    torch.set_num_threads(1)
    record = {"provenance": provenance("warp-lang", "mujoco", "torch", "gymnasium"), "args": vars(args)}
    if args.compile:
        record["compile"] = measure_compile()
        print("compile", record["compile"])
    warp_runs = {n: [] for n in args.num_envs}
    mujoco_runs = []
    for _ in range(args.repeats):
        for n in args.num_envs:
            warp_runs[n].append(bench_warp(n, args.seconds))
            print("warp", n, f"{warp_runs[n][-1]['env_steps_per_s']:.4g} steps/s")
        mujoco_runs.append(bench_mujoco(args.mujoco_batch, args.seconds))
        print("mujoco", f"{mujoco_runs[-1]['env_steps_per_s']:.4g} steps/s")

    def median(runs):
        runs = sorted(runs, key=lambda r: r["env_steps_per_s"])
        return {**runs[len(runs) // 2], "all_env_steps_per_s": [r["env_steps_per_s"] for r in runs]}

    mj = median(mujoco_runs)
    record["mujoco_c"] = mj
    record["warp"] = [median(warp_runs[n]) for n in args.num_envs]
    for r in record["warp"]:
        r["ratio_vs_mujoco_c"] = r["env_steps_per_s"] / mj["env_steps_per_s"]
    write_json(os.path.join(args.out, "ant_throughput.json"), record)
    stability = os.path.join(args.out, "ant_stability.json")
    if args.nan_check_envs > 0:
        check = nan_check(args.nan_check_envs, args.nan_check_steps)
        print("nan check", check)
        write_json(stability, {"provenance": record["provenance"], "nan_check": check})
    if os.path.exists(stability):
        with open(stability) as f:
            record["stability"] = json.load(f)
    write_markdown(os.path.join(args.out, "ant_throughput.md"), record)


def write_markdown(path: str, rec: dict) -> None:
    p = rec["provenance"]
    mj = rec["mujoco_c"]
    lines = [
        "# Ant env throughput: Warp CPU (contacts on) vs MuJoCo C",
        "",
        f"Command: `{p['command']}`  ",
        f"Commit: `{p['git_commit']}`, {p['date_utc']}  ",
        f"Machine: {p['machine']['cpu']}, {p['machine']['cores']} cores (shared; load average at start "
        f"{', '.join(f'{x:.2f}' for x in p['machine']['loadavg_at_start'])}), GPU: {p['machine']['gpu']}  ",
        f"Versions: {', '.join(f'{k} {v}' for k, v in p['versions'].items())}",
        "",
        "One core each. Warp: `envs.make('ant')` full step API (action kernel, 5 implicit 10 ms steps "
        "with soft contacts and joint limits, reward/termination/autoreset kernel). MuJoCo C: `mujoco.rollout`, "
        "one MjData, Gymnasium's ant.xml (RK4, contacts on), each control held 5 steps (frame skip). "
        "Control step 0.05 s for both. Median of the repeats (all repeats in the JSON).",
        "",
        "| simulator | envs | env steps/s per core | simulated s per wall s | vs MuJoCo C |",
        "|---|---|---|---|---|",
        f"| MuJoCo C (rollout, 1 thread) | {mj['nbatch']} rollouts | {mj['env_steps_per_s']:,.0f} | "
        f"{mj['sim_s_per_wall_s']:,.0f} | 1.00x |",
    ]
    for r in rec["warp"]:
        lines.append(
            f"| Warp CPU (this repo) | {r['num_envs']:,} | {r['env_steps_per_s']:,.0f} | {r['sim_s_per_wall_s']:,.0f} "
            f"| {r['ratio_vs_mujoco_c']:.2f}x |"
        )
    if "compile" in rec:
        c = rec["compile"]
        lines += [
            "",
            f"First-run compile (empty kernel cache): CPU `envs.make('ant')` {c['cpu_first_make_s']:.1f} s; "
            f"CUDA sm_80 + sm_90 (NVRTC) of the same three modules {c['cuda_sm80_sm90_s']:.1f} s.",
        ]
    if "stability" in rec:
        n = rec["stability"]["nan_check"]
        sp = rec["stability"]["provenance"]
        lines += [
            "",
            f"Stability (results/ant_stability.json, `{sp['command']}` at `{sp['git_commit'][:12]}`): "
            f"{n['num_envs']:,} Ants, {n['steps']:,} steps of uniform random actions in [-1, 1] with autoreset: "
            f"all finite = {n['all_finite']} ({n['terminations']:,} terminations, {n['elapsed_s']:.0f} s on one core).",
        ]
    lines.append("")
    with open(path, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
