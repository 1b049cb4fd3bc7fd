"""Physics throughput of kernels/ (articulation.Simulator) beside MuJoCo C, contacts off, one CPU core each.

Writes results/physics_throughput.json and results/physics_throughput.md. Run from the repo root:

    .venv/bin/python benchmarks/physics.py

Both sides step the same Gymnasium model with MuJoCo's Euler integrator, contacts and joint limits
disabled (the Simulator has neither yet), random controls, from a state near qpos0. Warp's CPU backend
runs a launch on one thread; MuJoCo C runs through `mujoco.rollout.rollout` with a single MjData, i.e.
one thread. The Warp kernel compile is measured cold (fresh kernel cache) and reported apart from the
warm-up (first launch) and from the timed steps.
"""

import argparse
import datetime
import json
import os
import platform
import tempfile
import time

import gymnasium
import mujoco
import numpy as np
import torch
import warp as wp
from mujoco import rollout

from benchmarks.common import ROOT, command_line, cpu_model, git_commit

ASSETS = os.path.join(os.path.dirname(gymnasium.__file__), "envs/mujoco/assets")


def _reference_model(name: str) -> mujoco.MjModel:
    m = mujoco.MjModel.from_xml_path(os.path.join(ASSETS, name))
    m.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    m.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT | mujoco.mjtDisableBit.mjDSBL_LIMIT
    return m


def _initial_state(m: mujoco.MjModel, n: int, rng: np.random.Generator):
    qpos = np.tile(m.qpos0, (n, 1)) + rng.normal(size=(n, m.nq)) * 0.05
    for j in np.flatnonzero(m.jnt_type == mujoco.mjtJoint.mjJNT_FREE):
        a = m.jnt_qposadr[j] + 3
        qpos[:, a : a + 4] /= np.linalg.norm(qpos[:, a : a + 4], axis=1, keepdims=True)
    qvel = rng.normal(size=(n, m.nv)) * 0.1
    return qpos, qvel


def bench_warp(Simulator, m, num_envs: int, env_steps: int, rng) -> dict:
    steps = max(5, env_steps // num_envs)
    sim = Simulator(m, num_envs)
    qpos, qvel = _initial_state(m, num_envs, rng)
    sim.set_state(torch.tensor(qpos, dtype=torch.float32), torch.tensor(qvel, dtype=torch.float32))
    # a fresh random control every step, as on the MuJoCo side (a constant torque spins the limb-free
    # joints up until the explicit Coriolis terms diverge)
    ctrl = torch.tensor(rng.uniform(-1, 1, size=(steps + 1, num_envs, m.nu)), dtype=torch.float32)
    wp.synchronize_device()
    t0 = time.perf_counter()
    sim.step(ctrl[steps])
    wp.synchronize_device()
    warmup = time.perf_counter() - t0
    wp.synchronize_device()
    t0 = time.perf_counter()
    for t in range(steps):
        sim.step(ctrl[t])
    wp.synchronize_device()
    elapsed = time.perf_counter() - t0
    assert bool(torch.isfinite(sim.get_state()[0]).all()), "non-finite state during the benchmark"
    return {
        "num_envs": num_envs,
        "steps": steps,
        "warmup_s": warmup,
        "elapsed_s": elapsed,
        "env_steps_per_s": num_envs * steps / elapsed,
        "us_per_env_step": elapsed / (num_envs * steps) * 1e6,
    }


def bench_mujoco(m, nbatch: int, nstep: int, rng) -> dict:
    d = mujoco.MjData(m)
    qpos, qvel = _initial_state(m, nbatch, rng)
    nstate = mujoco.mj_stateSize(m, mujoco.mjtState.mjSTATE_FULLPHYSICS)
    state0 = np.zeros((nbatch, nstate))
    for i in range(nbatch):
        mujoco.mj_resetData(m, d)
        d.qpos[:], d.qvel[:] = qpos[i], qvel[i]
        mujoco.mj_getState(m, d, state0[i], mujoco.mjtState.mjSTATE_FULLPHYSICS)
    control = rng.uniform(-1, 1, size=(nbatch, nstep, m.nu))
    rollout.rollout(m, d, state0[:1], control[:1, :10])  # warm-up
    t0 = time.perf_counter()
    state, _ = rollout.rollout(m, d, state0, control)  # one MjData: one thread
    elapsed = time.perf_counter() - t0
    assert np.isfinite(state).all()
    return {
        "nbatch": nbatch,
        "nstep": nstep,
        "threads": 1,
        "elapsed_s": elapsed,
        "env_steps_per_s": nbatch * nstep / elapsed,
        "us_per_env_step": elapsed / (nbatch * nstep) * 1e6,
    }


def _median(runs: list[dict]) -> dict:
    """The run with the median throughput, plus every repeat's throughput (the machine is shared)."""
    runs = sorted(runs, key=lambda r: r["env_steps_per_s"])
    return {**runs[len(runs) // 2], "env_steps_per_s_repeats": [r["env_steps_per_s"] for r in runs]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["ant.xml", "humanoid.xml"])
    parser.add_argument("--num-envs", nargs="+", type=int, default=[1024, 16384])
    parser.add_argument("--env-steps", type=int, default=200_000, help="env steps timed per Warp measurement")
    parser.add_argument("--mujoco-batch", type=int, default=64)
    parser.add_argument("--mujoco-steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats; the median is reported")
    parser.add_argument("--out", default=os.path.join(ROOT, "results", "physics_throughput"))
    args = parser.parse_args()

    # cold compile: a fresh kernel cache, as a new user or a CI run sees it
    wp.config.kernel_cache_dir = tempfile.mkdtemp(prefix="warp_cache_")
    wp.config.quiet = True
    wp.init()
    import kernels.articulation as articulation
    import kernels.forward  # the module of the simulator's kernels

    t0 = time.perf_counter()
    wp.load_module(kernels.forward, device="cpu")
    compile_s = time.perf_counter() - t0
    print(f"compile.cpu {compile_s:.2f}")

    rng = np.random.default_rng(0)
    loadavg_start = os.getloadavg()
    rows = []
    for name in args.models:
        m = _reference_model(name)
        ref = _median([bench_mujoco(m, args.mujoco_batch, args.mujoco_steps, rng) for _ in range(args.repeats)])
        print(f"{name}.mujoco_c.env_steps_per_s {ref['env_steps_per_s']:.0f}")
        for n in args.num_envs:
            res = _median([bench_warp(articulation.Simulator, m, n, args.env_steps, rng) for _ in range(args.repeats)])
            res["speedup_vs_mujoco_c"] = res["env_steps_per_s"] / ref["env_steps_per_s"]
            print(f"{name}.warp.{n}.env_steps_per_s {res['env_steps_per_s']:.0f} (x{res['speedup_vs_mujoco_c']:.2f})")
            rows.append({"model": name, "nq": m.nq, "nv": m.nv, "nu": m.nu, "warp_cpu": res, "mujoco_c": ref})

    record = {
        "command": command_line(),
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "machine": {
            "cpu": cpu_model(),
            "logical_cores": os.cpu_count(),
            "platform": platform.platform(),
            "loadavg_1_5_15_start": loadavg_start,
            "loadavg_1_5_15_end": os.getloadavg(),
        },
        "versions": {
            "python": platform.python_version(),
            "warp": wp.__version__,
            "mujoco": mujoco.__version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "gymnasium": gymnasium.__version__,
        },
        "setup": (
            "contacts and joint limits disabled on both sides; MuJoCo Euler integrator; "
            "Warp CPU backend (one thread per launch) vs MuJoCo C via mujoco.rollout with one MjData (one thread); "
            "a new random control in [-1, 1] every step (Warp: copied into the preallocated ctrl buffer by step()); "
            "state near qpos0"
        ),
        "repeats": args.repeats,
        "warp_compile_cpu_cold_s": compile_s,
        "results": rows,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out + ".json", "w") as f:
        json.dump(record, f, indent=2)
    write_markdown(args.out + ".md", record)
    print(f"wrote {args.out}.json and .md")


def write_markdown(path: str, record: dict) -> None:
    """The record as a Markdown page: provenance, setup and one table row per model and num_envs."""
    v = record["versions"]
    lines = [
        "# Physics throughput: Warp articulated dynamics (CPU) vs MuJoCo C, contacts off",
        "",
        f"Command (repo root): `{record['command']}`",
        "",
        f"Commit `{record['git_commit']}`, {record['date_utc']}, {record['machine']['cpu']} "
        f"({record['machine']['logical_cores']} logical cores, load average at start "
        f"{record['machine']['loadavg_1_5_15_start'][0]:.2f}), Warp {v['warp']}, MuJoCo {v['mujoco']}, "
        f"torch {v['torch']}.",
        "",
        f"Setup: {record['setup']}. Steps/s are per CPU core (both sides single-threaded), median of "
        f"{record['repeats']} repeats.",
        "",
        f"Warp kernel compile, CPU, cold cache: {record['warp_compile_cpu_cold_s']:.1f} s (separate from warm-up and "
        "timing).",
        "",
        "| model | num_envs | Warp CPU env steps/s | us per env step | MuJoCo C env steps/s (1 thread) | ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in record["results"]:
        w, c = r["warp_cpu"], r["mujoco_c"]
        lines.append(
            f"| {r['model']} | {w['num_envs']} | {w['env_steps_per_s']:,.0f} | {w['us_per_env_step']:.2f} | "
            f"{c['env_steps_per_s']:,.0f} | {w['speedup_vs_mujoco_c']:.2f} |"
        )
    lines += ["", "Raw numbers: `physics_throughput.json` next to this file."]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
