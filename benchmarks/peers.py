"""`throughput.py peers`: the same env-only work in what a user would run instead, one CPU core each.

Classic control reuses benchmarks/env_throughput.py's entries (Warp env, its kernel alone, Gymnasium, EnvPool), so
the two never measure differently; Ant is measured beside Gymnasium's Ant-v5, MuJoCo C (a Python mj_step loop and
mujoco.rollout), EnvPool and mujoco_warp on Gymnasium's ant.xml with contacts, 5 x 10 ms physics steps per env step.
"""

from __future__ import annotations

import os
import time

import numpy as np
import torch
import warp as wp

from benchmarks import env_throughput
from benchmarks.ant_throughput import FRAME_SKIP, GYM_ANT, bench_mujoco
from benchmarks.common import progress, tool_record, write_rows
from benchmarks.env_timing import steps_per_s, time_calls, time_env_step

NOTES = (
    "Env-only steps per second on one CPU core each (torch 1 thread, EnvPool 1 thread, MuJoCo rollout 1 "
    "thread; a Warp CPU launch runs on one core). Ratios are against rows measured in this same run at the "
    "same num_envs. Ant peers step Gymnasium's ant.xml with contacts, 5 x 10 ms physics steps per env step."
)
KEYS = ["env", "num_envs", "impl", "steps_per_s", "steps_per_s_min", "steps_per_s_max", "us_per_step"]
KEYS += ["x_vs_warp_env", "x_vs_best_peer", "median_s", "min_s", "max_s", "steps_per_repeat", "make_s"]


def gymnasium_ant(n: int, repeats: int, seconds: float, rng) -> list[dict]:
    """Gymnasium's Ant-v5 in sync vector envs ([] without Gymnasium's MuJoCo extra)."""
    import gymnasium as gym

    try:
        gym.make("Ant-v5").close()
    except (ImportError, gym.error.DependencyNotInstalled):
        return []
    t0 = time.perf_counter()
    venv = gym.make_vec("Ant-v5", num_envs=n, vectorization_mode="sync")
    make_s = time.perf_counter() - t0
    venv.reset(seed=0)
    a = rng.uniform(-1, 1, size=(n, venv.single_action_space.shape[0]))
    row = dict(impl="gymnasium sync Ant-v5", **time_calls(lambda: venv.step(a), "cpu", repeats, seconds), make_s=make_s)
    venv.close()
    return [row]


def mujoco_loop(n: int, repeats: int, seconds: float, rng) -> list[dict]:
    """MuJoCo C through a Python loop of mj_step over n MjData."""
    import mujoco

    m = mujoco.MjModel.from_xml_path(GYM_ANT)
    datas = [mujoco.MjData(m) for _ in range(n)]
    ctrl = rng.uniform(-1, 1, size=(n, m.nu))

    def mj_loop():
        for d, c in zip(datas, ctrl, strict=True):
            d.ctrl[:] = c
            mujoco.mj_step(m, d, nstep=FRAME_SKIP)

    return [dict(impl="mujoco C mj_step (python loop)", **time_calls(mj_loop, "cpu", repeats, seconds))]


def mujoco_rollout(n: int, repeats: int, seconds: float) -> list[dict]:
    """MuJoCo C through mujoco.rollout with one MjData (one thread), benchmarks/ant_throughput.py's measurement
    repeated: seconds per env step of up to 32 rollouts, scaled to n envs."""
    per_env_step = sorted(1.0 / bench_mujoco(min(n, 32), seconds)["env_steps_per_s"] for _ in range(repeats))
    timing = dict(median_s=n * float(np.median(per_env_step)), min_s=n * per_env_step[0], max_s=n * per_env_step[-1])
    return [dict(impl="mujoco.rollout (1 thread)", **timing)]


def envpool_ant(n: int, repeats: int, seconds: float, rng) -> list[dict]:
    """EnvPool's Ant-v5 with one thread ([] where EnvPool is not installed)."""
    try:
        import envpool
    except ImportError:
        return []
    pool = envpool.make_gymnasium("Ant-v5", num_envs=n, num_threads=1, seed=0)
    pool.reset()
    a = rng.uniform(-1, 1, size=(n, 8))
    return [dict(impl="envpool (1 thread)", **time_calls(lambda: pool.step(a), "cpu", repeats, seconds))]


def mujoco_warp_ant(n: int, repeats: int, seconds: float, rng) -> list[dict]:
    """mujoco_warp on Warp's CPU device, nworld = n ([] where mujoco_warp is not installed)."""
    try:
        import mujoco
        import mujoco_warp as mjw
    except ImportError:
        return []
    m = mujoco.MjModel.from_xml_path(GYM_ANT)
    with wp.ScopedDevice("cpu"):
        t0 = time.perf_counter()
        mm, md = mjw.put_model(m), mjw.make_data(m, nworld=n)
        md.ctrl.assign(rng.uniform(-1, 1, size=(n, m.nu)).astype(np.float32))
        mjw.step(mm, md)  # compiles on first use (cached afterwards)
        wp.synchronize_device("cpu")
        make_s = time.perf_counter() - t0

        def mjw_step():
            for _ in range(FRAME_SKIP):
                mjw.step(mm, md)

        timing = time_calls(mjw_step, "cpu", repeats, seconds, warmup=1)
    return [dict(impl="mujoco_warp (Warp cpu)", **timing, make_s=make_s)]


def ant_entries(n: int, bench: env_throughput.Args, mujoco_max_envs: int, mjwarp_max_envs: int) -> list[dict]:
    """The Warp Ant's full step beside every Ant peer installed here; the peers that step one env at a time only up
    to mujoco_max_envs envs, mujoco_warp on CPU up to mjwarp_max_envs."""
    rng = np.random.default_rng(0)
    # the full step only: an articulated env's step is several launches, so "step kernel only" would be a part
    _, full = time_env_step("ant", n, "cpu", bench.repeats, bench.seconds, validate=True)
    rows = [dict(impl="warp (full step API)", **{k: full[k] for k in env_throughput.TIMING_KEYS})]
    if n <= mujoco_max_envs:
        rows += gymnasium_ant(n, bench.repeats, bench.seconds, rng)
        rows += mujoco_loop(n, bench.repeats, bench.seconds, rng)
    rows += mujoco_rollout(n, bench.repeats, bench.seconds)
    if n <= mujoco_max_envs:  # one env at a time in C++: as slow as the loop above at large n
        rows += envpool_ant(n, bench.repeats, bench.seconds, rng)
    if n <= mjwarp_max_envs:
        rows += mujoco_warp_ant(n, bench.repeats, bench.seconds, rng)
    return rows


def add_ratios(rows: list[dict]) -> None:
    """x_vs_warp_env and x_vs_best_peer of each row, against rows of the same env and num_envs (same run)."""
    for row in rows:
        same = [r for r in rows if r["env"] == row["env"] and r["num_envs"] == row["num_envs"]]
        warp = [r["steps_per_s"] for r in same if r["impl"].startswith("warp (full")]
        others = [r["steps_per_s"] for r in same if not r["impl"].startswith("warp")]
        row["x_vs_warp_env"] = row["steps_per_s"] / warp[0] if warp else None
        row["x_vs_best_peer"] = row["steps_per_s"] / max(others) if others else None


def run(env_ids, num_envs, repeats, seconds, sync_max_envs, mujoco_max_envs, mjwarp_max_envs, out) -> None:
    """Warp envs beside their peers per env and num_envs; write <out>/peers.csv and peers.json."""
    torch.set_num_threads(1)
    bench = env_throughput.Args(repeats=repeats, seconds=seconds, sync_max_envs=sync_max_envs)
    record = tool_record(NOTES)
    rows = []
    for env_id, n in progress([(e, n) for e in env_ids for n in num_envs], "peers"):
        if env_id == "ant":
            entries = ant_entries(n, bench, mujoco_max_envs, mjwarp_max_envs)
        elif env_id in ("cartpole", "pendulum"):
            entries = env_throughput.warp_entries(env_id, n, bench) + env_throughput.gym_entries(env_id, n, bench)
        else:
            entries = env_throughput.warp_entries(env_id, n, bench)
        rows += [dict(row, env=env_id, num_envs=n, **steps_per_s(n, row)) for row in entries]
    add_ratios(rows)
    for row in rows:
        print(f"{row['env']:9s} {row['num_envs']:6d} {row['impl']:38s} {row['steps_per_s']:10.3e} steps/s", end="")
        print(f"  x best peer {row['x_vs_best_peer']:.2f}" if row["x_vs_best_peer"] else "")
    record["loadavg_at_end"] = os.getloadavg()
    write_rows(out, "peers", record, rows, KEYS)
