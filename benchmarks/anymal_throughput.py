"""Env steps per second of the Warp ANYmal C (envs/anymal_c.py) beside MuJoCo C stepping the same XML, one CPU core.

    PYTHONPATH=$PWD python benchmarks/anymal_throughput.py                 # 1024 envs, 5 repeats
    PYTHONPATH=$PWD python benchmarks/anymal_throughput.py --num-envs 256 --repeats 3

Warp: the full step API (`envs.make("anymal_c").step` on uniform random actions: act kernel, 4 x 5 ms physics steps
with contacts and joint limits, task kernel with rewards, termination and autoreset, the state hand-off). One launch
runs on one core. MuJoCo C: `mujoco.rollout` with one MjData (one thread) on envs/assets/anymal_c.xml with timestep
0.005 s, 4 physics steps per env step, position targets = the standing pose + 0.5 U(-1, 1) rad (the env's mapping),
from the standing keyframe; its own solver (Newton, pyramidal cone) and integrator (Euler). Physics only for
MuJoCo: no observation, reward or reset, so the ratio favours it. Median of `repeats` timings each.
"""

import argparse
import os
import time

import mujoco
import numpy as np
import torch
import warp as wp
from mujoco import rollout

from benchmarks.env_timing import time_env_step
from envs.core import ASSETS

wp.config.quiet = True
FRAME_SKIP, SIM_DT = 4, 0.005


def mujoco_rollout(nbatch: int, seconds: float, seed: int = 0) -> dict:
    """Env steps/s of MuJoCo C on anymal_c.xml through mujoco.rollout, one MjData (one thread)."""
    m = mujoco.MjModel.from_xml_path(os.path.join(ASSETS, "anymal_c.xml"))
    m.opt.timestep = SIM_DT
    d = mujoco.MjData(m)
    rng = np.random.default_rng(seed)
    nstate = mujoco.mj_stateSize(m, mujoco.mjtState.mjSTATE_FULLPHYSICS)
    state0 = np.zeros((nbatch, nstate))
    for i in range(nbatch):
        mujoco.mj_resetDataKeyframe(m, d, 0)
        mujoco.mj_getState(m, d, state0[i], mujoco.mjtState.mjSTATE_FULLPHYSICS)
    pose = m.key_qpos[0, 7:]

    def controls(steps: int) -> np.ndarray:
        return np.repeat(pose + 0.5 * rng.uniform(-1, 1, size=(nbatch, steps, m.nu)), FRAME_SKIP, axis=1)

    t0 = time.perf_counter()
    rollout.rollout(m, d, state0, controls(4))
    per_env_step = (time.perf_counter() - t0) / (nbatch * 4)
    env_steps = max(4, int(seconds / per_env_step / nbatch))
    ctrl = controls(env_steps)
    t0 = time.perf_counter()
    state, _ = rollout.rollout(m, d, state0, ctrl)
    elapsed = time.perf_counter() - t0
    return {"env_steps_per_s": nbatch * env_steps / elapsed, "finite": bool(np.isfinite(state).all())}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--num-envs", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one timing")
    parser.add_argument("--mujoco-rollouts", type=int, default=32)
    a = parser.parse_args()
    torch.set_num_threads(1)
    env, row = time_env_step("anymal_c", a.num_envs, "cpu", a.repeats, a.seconds)
    warp_sps = a.num_envs / row["median_s"]
    mj = [mujoco_rollout(a.mujoco_rollouts, a.seconds, seed=k) for k in range(a.repeats)]
    mj_sps = float(np.median([r["env_steps_per_s"] for r in mj]))
    print(
        f"anymal_c env steps/s on one CPU core (median of {a.repeats}; {os.cpu_count()} cores, load "
        f"{os.getloadavg()[0]:.1f}): warp {a.num_envs} envs full step {warp_sps:,.0f} "
        f"(min..max {a.num_envs / row['max_s']:,.0f}..{a.num_envs / row['min_s']:,.0f}), make {row['make_s']:.1f} s"
    )
    print(
        f"mujoco.rollout, 1 thread, {a.mujoco_rollouts} rollouts: {mj_sps:,.0f} (finite {all(r['finite'] for r in mj)})"
        f"; ratio warp / mujoco {warp_sps / mj_sps:.1f}"
    )
