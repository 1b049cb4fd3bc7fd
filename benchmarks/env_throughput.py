"""Env-only throughput of the Warp CartPole and Pendulum beside what a user would run instead, in one run.

    python benchmarks/env_throughput.py                      # writes results/env_throughput.{json,csv,md}
    python benchmarks/env_throughput.py --num-envs 1024 --repeats 3 --out /tmp/bench   # a quick look

Measured per env step with the full step API (action checks, autoreset, episode statistics, torch views):
Warp envs on Warp's CPU backend (one launch runs on one core), Gymnasium's numpy-vectorized CartPole-v1
(`vectorization_mode="vector_entry_point"`), Gymnasium's `sync` vector envs (CartPole-v1, Pendulum-v1; one
Python env object per env), EnvPool where installed, and references for the Warp envs: the fused step
kernel launched alone; for CartPole a bare kernel with only the equations of motion (the floor any step API
adds to) and a hand-written minimal step with the API's outputs but none of its knobs (what generality
costs). torch is limited to one thread so every entry uses one core.
"""

from __future__ import annotations

import csv
import os
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import tyro
import warp as wp

from benchmarks.common import provenance, write_json
from benchmarks.env_timing import time_calls, time_env_step
from kernels.rng import env_rng

wp.config.quiet = True


@dataclass
class Args:
    num_envs: list[int] = field(default_factory=lambda: [1024, 16384, 65536])
    """numbers of parallel envs to measure"""
    repeats: int = 5
    """timed repeats per entry (median, min and max are reported)"""
    seconds: float = 0.5
    """approximate duration of one repeat"""
    sync_max_envs: int = 16384
    """largest num_envs for Gymnasium's sync vector envs (one Python object per env: slow to build)"""
    out: str = "results"
    """folder for env_throughput.{json,csv,md}"""


@wp.func
def _cartpole_dynamics(q: wp.vec4, action: float) -> wp.vec4:
    # Gymnasium's CartPole equations (force 10 N x action) with its constants folded in.
    force = 10.0 * action
    c = wp.cos(q[2])
    s = wp.sin(q[2])
    temp = (force + 0.05 * q[3] * q[3] * s) / 1.1
    thetaacc = (9.8 * s - c * temp) / (0.5 * (4.0 / 3.0 - 0.1 * c * c / 1.1))
    xacc = temp - 0.05 * thetaacc * c / 1.1
    return wp.vec4(q[0] + 0.02 * q[1], q[1] + 0.02 * xacc, q[2] + 0.02 * q[3], q[3] + 0.02 * thetaacc)


@wp.kernel(enable_backward=False)
def _bare_cartpole(state_in: wp.array[wp.vec4], action_in: wp.array[float], state_out: wp.array[wp.vec4]):
    # The equations of motion alone: no checks, resets, statistics or outputs. States are read from one
    # array and written to another, so every launch steps the same physical states (a kernel that fed its
    # output back without resets would drive the pole angle to ~1e4 rad within a second of benchmarking,
    # where sin and cos take libm's slow path and the floor looks 2x lower).
    i = wp.tid()
    state_out[i] = _cartpole_dynamics(state_in[i], action_in[i])


@wp.struct
class _Episode:
    ep_return: float
    ep_length: wp.int32
    rng_counter: wp.int32


@wp.kernel(enable_backward=False)
def _minimal_cartpole(
    seed: int,
    num_envs: int,
    envs_per_thread: int,
    action_in: wp.array[float],
    state: wp.array[wp.vec4],
    episode: wp.array[_Episode],
    obs_out: wp.array[wp.vec4],
    reward_out: wp.array[float],
    terminated_out: wp.array[wp.bool],
    truncated_out: wp.array[wp.bool],
    final_obs_out: wp.array[wp.vec4],
    final_return_out: wp.array[float],
    final_length_out: wp.array[wp.int32],
):
    # What the full step API computes for CartPole, written by hand for this one task with constants folded
    # in and no knobs (no noise, delay, parameter scales or reward terms): clip, dynamics, reward,
    # termination, truncation at 500, episode statistics, autoreset with the final observation. A reference
    # for what generality costs; blocks of envs per thread and two passes, as fast as we could write it.
    first = wp.tid() * envs_per_thread
    last = wp.min(first + envs_per_thread, num_envs)
    for i in range(first, last):
        state[i] = _cartpole_dynamics(state[i], wp.clamp(action_in[i], -1.0, 1.0))
    for i in range(first, last):
        q = state[i]
        ep = episode[i]
        ret = ep.ep_return + 1.0
        length = ep.ep_length + 1
        terminated = wp.abs(q[0]) > 2.4 or wp.abs(q[2]) > 0.20943951
        truncated = length >= 500
        if terminated or truncated:
            final_obs_out[i] = q
            final_return_out[i] = ret
            final_length_out[i] = length
            rng = env_rng(seed, i, ep.rng_counter)
            episode[i].rng_counter = ep.rng_counter + 1
            q = wp.vec4(
                wp.randf(rng, -0.05, 0.05),
                wp.randf(rng, -0.05, 0.05),
                wp.randf(rng, -0.05, 0.05),
                wp.randf(rng, -0.05, 0.05),
            )
            state[i] = q
            ret = 0.0
            length = 0
        episode[i].ep_return = ret
        episode[i].ep_length = length
        obs_out[i] = q
        reward_out[i] = 1.0
        terminated_out[i] = terminated
        truncated_out[i] = truncated


TIMING_KEYS = ("steps_per_repeat", "median_s", "min_s", "max_s", "make_s")


def measure(fn, args: Args) -> dict:
    """Warm fn up, then time it over args.repeats repeats of about args.seconds each (benchmarks/env_timing.py)."""
    return time_calls(fn, "cpu", args.repeats, args.seconds)


def warp_entries(env_id: str, n: int, args: Args) -> list[dict]:
    """The Warp env through the full API (action checks on), and its fused kernel launched alone."""
    env, full = time_env_step(env_id, n, "cpu", args.repeats, args.seconds, validate=True)
    rows = [
        dict(impl="warp (full step API)", **{k: full[k] for k in TIMING_KEYS}),
        dict(impl="warp (step kernel only)", **measure(env._step_cmd.launch, args)),
    ]
    if env_id == "cartpole":
        action_1d = wp.from_torch(env.actions[:, 0].contiguous())
        states = np.random.default_rng(0).uniform(-0.05, 0.05, size=(n, 4)).astype(np.float32)  # reset range
        state_in, state_out = wp.array(states, dtype=wp.vec4), wp.zeros(n, dtype=wp.vec4)
        cmd = wp.launch(_bare_cartpole, n, inputs=[state_in, action_1d, state_out], record_cmd=True)
        rows.append(dict(impl="warp (bare dynamics kernel)", **measure(cmd.launch, args)))
        per = env.envs_per_thread
        outs = [wp.zeros(n, dtype=t) for t in (wp.vec4, float, wp.bool, wp.bool, wp.vec4, float, wp.int32)]
        inputs = [0, n, per, action_1d, wp.array(states, dtype=wp.vec4), wp.zeros(n, dtype=_Episode)]
        cmd = wp.launch(_minimal_cartpole, (n + per - 1) // per, inputs=inputs, outputs=outs, record_cmd=True)
        rows.append(dict(impl="warp (hand-written minimal step)", **measure(cmd.launch, args)))
    return rows


def gym_entries(env_id: str, n: int, args: Args) -> list[dict]:
    """Gymnasium's vectorized and sync vector envs, and EnvPool, where they exist for this task."""
    import gymnasium as gym

    gym_id = {"cartpole": "CartPole-v1", "pendulum": "Pendulum-v1"}[env_id]
    rng = np.random.default_rng(0)
    modes = ["vector_entry_point", "sync"] if env_id == "cartpole" else ["sync"]
    rows = []
    for mode in modes:
        if mode == "sync" and n > args.sync_max_envs:
            continue
        t0 = time.perf_counter()
        venv = gym.make_vec(gym_id, num_envs=n, vectorization_mode=mode)
        make_s = time.perf_counter() - t0
        venv.reset(seed=0)
        if env_id == "cartpole":
            actions = rng.integers(0, 2, size=n)
        else:
            actions = rng.uniform(-2, 2, size=(n, 1)).astype(np.float32)
        rows.append(dict(impl=f"gymnasium {mode}", **measure(lambda v=venv, a=actions: v.step(a), args), make_s=make_s))
        venv.close()
    try:
        import envpool

        pool = envpool.make_gymnasium(gym_id, num_envs=n, num_threads=1, seed=0)
        pool.reset()
        actions = rng.integers(0, 2, size=n) if env_id == "cartpole" else rng.uniform(-2, 2, size=(n, 1))
        rows.append(dict(impl="envpool (1 thread)", **measure(lambda: pool.step(actions), args)))
    except ImportError:
        pass
    return rows


def main(args: Args) -> None:
    torch.set_num_threads(1)
    record = provenance("warp-lang", "torch", "numpy", "gymnasium", "envpool")
    record["notes"] = "CPU only: Warp's CPU backend runs a launch on one core; torch set to one thread."
    rows = []
    for env_id in ("cartpole", "pendulum"):
        for n in args.num_envs:
            for row in warp_entries(env_id, n, args) + gym_entries(env_id, n, args):
                row.update(env=env_id, num_envs=n)
                row["steps_per_s"] = n / row["median_s"]
                row["us_per_step"] = row["median_s"] * 1e6
                rows.append(row)
                print(f"{env_id:9s} {n:6d}  {row['impl']:28s} {row['steps_per_s']:10.3e} steps/s", flush=True)
    # Ratios against peers measured in this same run, at the same num_envs.
    for row in rows:
        same = [r for r in rows if r["env"] == row["env"] and r["num_envs"] == row["num_envs"]]
        gym_best = max((r["steps_per_s"] for r in same if r["impl"].startswith("gymnasium")), default=None)
        bare = next((r["steps_per_s"] for r in same if r["impl"] == "warp (bare dynamics kernel)"), None)
        row["x_fastest_gymnasium"] = row["steps_per_s"] / gym_best if gym_best else None
        row["x_bare_kernel"] = row["steps_per_s"] / bare if bare else None
    record["rows"] = rows
    os.makedirs(args.out, exist_ok=True)
    write_json(os.path.join(args.out, "env_throughput.json"), record)
    keys = ["env", "num_envs", "impl", "steps_per_s", "us_per_step", "median_s", "min_s", "max_s", "steps_per_repeat"]
    with open(os.path.join(args.out, "env_throughput.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    write_markdown(os.path.join(args.out, "env_throughput.md"), record)


def write_markdown(path: str, record: dict) -> None:
    """A table per env: steps/s (median of the repeats, min-max) and the ratio to Gymnasium's fastest."""
    m = record["machine"]
    lines = [
        "# Env-only throughput (CPU)",
        "",
        f"Command: `{record['command']}`  ",
        f"Commit: `{record['git_commit']}`, {record['date_utc']}  ",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, GPU: {m['gpu']}; "
        f"load average at start {tuple(round(x, 2) for x in m['loadavg_at_start'])}  ",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in record["versions"].items()) + "  ",
        record["notes"],
        "",
    ]
    for env_id in ("cartpole", "pendulum"):
        lines += [
            f"## {env_id}",
            "",
            "| num_envs | implementation | steps/s (median) | min - max | us per step | x fastest Gymnasium "
            "| x bare kernel |",
            "|---:|---|---:|---|---:|---:|---:|",
        ]
        for r in (r for r in record["rows"] if r["env"] == env_id):
            lo, hi = r["num_envs"] / r["max_s"], r["num_envs"] / r["min_s"]
            ratio = f"{r['x_fastest_gymnasium']:.2f}" if r["x_fastest_gymnasium"] else "-"
            bare = f"{r['x_bare_kernel']:.2f}" if r["x_bare_kernel"] else "-"
            lines.append(
                f"| {r['num_envs']} | {r['impl']} | {r['steps_per_s']:.3e} | {lo:.2e} - {hi:.2e} | "
                f"{r['us_per_step']:.0f} | {ratio} | {bare} |"
            )
        lines.append("")
    with open(path, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main(tyro.cli(Args))
