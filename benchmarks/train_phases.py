"""`throughput.py train`: cleanppo/ppo_warp.py itself, run per (env, num_envs), timed by its own per-phase clocks.

Each point is one `python cleanppo/ppo_warp.py ... --log-dir <temporary> --quiet` run of warmup + timed iterations;
its progress.csv gives, per iteration, collect_time (the rollout, wall clock), policy_time and env_step_time (inside
the rollout: the host clock on CPU, CUDA events on a GPU), update_time (GAE and the PPO epochs) and wall_time. The
iteration's total is the difference of consecutive wall_time stamps; what is not collect or update is logging.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

import envs
from benchmarks.common import ROOT, progress, read_csv, tool_record, write_rows
from benchmarks.env_timing import warp_bytes

PPO_WARP = os.path.join(ROOT, "cleanppo", "ppo_warp.py")
# collect_other: the part of collect_time outside the policy and env-step clocks (the rollout's finiteness check)
PHASES = ("policy", "env_step", "collect_other", "update", "logging")
NOTES = (
    "cleanppo/ppo_warp.py run as is (a subprocess per point, --quiet, a temporary --log-dir), timed by its own "
    "per-phase clocks in progress.csv: policy and env_step inside the rollout (host clock on CPU, CUDA events on a "
    "GPU), collect_other = collect_time - policy - env_step, update = GAE + PPO epochs, logging = the rest of the "
    "iteration (wall_time difference - collect - update). Hyperparameters: ppo_warp.py's preset for the env, "
    "num_envs as given. SPS = num_envs * num_steps / iteration time (median over the timed iterations; warm-up "
    "iterations excluded). On CPU torch uses torch_threads threads; a Warp CPU launch runs on one core."
)
KEYS = ["env", "num_envs", "num_steps", "device", "iterations", "sps", "sps_min", "sps_max"]
KEYS += [f"{k}_s" for k in (*PHASES, "collect", "total")] + [f"{k}_frac" for k in PHASES]
KEYS += ["setup_s", "warmup_iteration_s", "storage_bytes_per_env", "env_warp_bytes_per_env", "hidden"]


def preset_num_steps(env_id: str) -> int:
    """ppo_warp.py's default rollout length for env_id (its PRESETS over Args, read from the script, not copied)."""
    spec = importlib.util.spec_from_file_location("ppo_warp", PPO_WARP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # definitions only: the training loop is under `if __name__ == "__main__"`
    return module.PRESETS.get(env_id, {}).get("num_steps", module.Args.num_steps)


def ppo_flags(ppo_args: dict) -> list[str]:
    """ppo_warp.py command-line flags for the given Args fields; None leaves ppo_warp.py's default."""
    flags = []
    for name, value in ppo_args.items():
        flag = "--" + name.replace("_", "-")
        if value is None:
            continue
        if isinstance(value, bool):
            flags.append(flag if value else "--no-" + name.replace("_", "-"))
        elif isinstance(value, (tuple, list)):
            flags += [flag, *map(str, value)]
        else:
            flags += [flag, str(value)]
    return flags


def run_ppo(
    env_id: str, num_envs: int, num_iterations: int, num_steps: int, ppo_args: dict
) -> tuple[list, dict, float]:
    """Run ppo_warp.py for num_iterations iterations; return its progress.csv rows, its config.json and the seconds
    from launch to the start of training (imports, env build and Warp compile, as config.json's start_time)."""
    with tempfile.TemporaryDirectory(prefix="throughput_train_") as log_dir:
        cmd = [sys.executable, PPO_WARP, "--env-id", env_id, "--num-envs", str(num_envs)]
        cmd += ["--total-timesteps", str(num_iterations * num_envs * num_steps), "--log-dir", log_dir]
        cmd += ["--quiet", "--save-every", "0", *ppo_flags(ppo_args)]
        launch = time.time()
        res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if res.returncode:
            sys.exit(f"throughput.py train: {' '.join(cmd[1:])} failed:\n{res.stderr[-3000:]}")
        (run_dir,) = [os.path.join(log_dir, d) for d in os.listdir(log_dir)]
        with open(os.path.join(run_dir, "config.json")) as f:
            config = json.load(f)
        return read_csv(os.path.join(run_dir, "progress.csv")), config, config["start_time"] - launch


def iteration_phases(rows: list[dict], batch: int) -> list[dict]:
    """Seconds per phase and in total for each progress.csv row. An iteration's total is the wall_time difference to
    the previous row; the first row has none, so its total is batch / sps (sps is taken before its logging)."""
    out = []
    for i, r in enumerate(rows):
        total = r["wall_time"] - rows[i - 1]["wall_time"] if i else batch / r["sps"]
        p = dict(policy=r["policy_time"], env_step=r["env_step_time"], update=r["update_time"])
        p.update(collect=r["collect_time"], total=total)
        p["collect_other"] = r["collect_time"] - r["policy_time"] - r["env_step_time"]
        p["logging"] = max(total - r["collect_time"] - r["update_time"], 0.0)
        out.append(p)
    return out


def measure_point(env_id: str, n: int, iterations: int, warmup: int, ppo_args: dict) -> dict:
    """One row of train.csv: ppo_warp.py at n envs, medians of the timed iterations per phase."""
    num_steps = ppo_args.get("num_steps") or preset_num_steps(env_id)
    progress_rows, config, setup_s = run_ppo(env_id, n, warmup + iterations, num_steps, ppo_args)
    phases = iteration_phases(progress_rows, n * num_steps)
    timed = phases[warmup:]
    sps_all = [n * num_steps / p["total"] for p in timed]
    env = envs.make(env_id, num_envs=n, device=config["device"], validate=False)
    O, A = env.num_obs, env.num_actions  # noqa: N806
    # ppo_warp.py's rollout storage: obs, final_obs (O), actions, mus (A), 5 float32 per step, 2 bool flags
    storage_bytes_per_env = num_steps * (4 * (2 * O + 2 * A + 5) + 2)
    row = dict(env=env_id, num_envs=n, num_steps=num_steps, device=config["device"], iterations=len(timed))
    row.update(sps=float(np.median(sps_all)), sps_min=min(sps_all), sps_max=max(sps_all), setup_s=setup_s)
    row["warmup_iteration_s"] = sum(p["total"] for p in phases[:warmup])
    row.update(storage_bytes_per_env=storage_bytes_per_env, env_warp_bytes_per_env=warp_bytes(env) / n)
    args = config["args"]
    row.update(hidden="x".join(map(str, args["hidden"])), update_epochs=args["update_epochs"])
    row.update(num_minibatches=args["num_minibatches"], last_return=progress_rows[-1]["return_last20"])
    for k in (*PHASES, "collect", "total"):
        row[f"{k}_s"] = float(np.median([p[k] for p in timed]))
    for k in PHASES:
        row[f"{k}_frac"] = row[f"{k}_s"] / row["total_s"]
    return row


def run(env_ids, num_envs, iterations, warmup_iterations, max_point_seconds, out, **ppo_args) -> None:
    """Profile each (env, num_envs) with ppo_warp.py; write <out>/train.csv and train.json. ppo_args: Args fields of
    ppo_warp.py passed through as flags (None: ppo_warp.py's default for the env)."""
    for env_id in env_ids:
        if env_id not in envs.list_envs():
            sys.exit(f"throughput.py: error: unknown env_id {env_id!r}; available: {', '.join(envs.list_envs())}")
    if iterations < 1 or warmup_iterations < 0:
        sys.exit("throughput.py: error: --iterations must be >= 1 and --warmup-iterations >= 0")
    record = tool_record(NOTES)
    record["args"] = dict(env_ids=env_ids, num_envs=num_envs, iterations=iterations, **ppo_args)
    record["args"]["warmup_iterations"] = warmup_iterations
    rows = []
    for env_id, n in progress([(e, n) for e in env_ids for n in num_envs], "train"):
        prev = [r for r in rows if r["env"] == env_id]
        its = warmup_iterations + iterations
        predicted = prev[-1]["total_s"] * n / prev[-1]["num_envs"] * its if prev else 0.0
        if predicted > max_point_seconds:
            print(f"\n{env_id}: skipping num_envs={n}: ~{predicted:.0f} s predicted", file=sys.stderr)
            continue
        rows.append(measure_point(env_id, n, iterations, warmup_iterations, ppo_args))
        r = rows[-1]
        print(f"\n{r['env']}.{n}.sps {r['sps']:.4g}  " + "  ".join(f"{k} {r[k + '_frac']:.2f}" for k in PHASES))
    record["loadavg_at_end"] = os.getloadavg()
    write_rows(out, "train", record, rows, KEYS)
