"""Learning records that hold up: for each implementation and seed, the final deterministic evaluation of the
trained policy (100 episodes), the wall time from launch to the end of training with the default command, and,
separately, the wall time and env steps until the mean return of the last 20 training episodes first crosses the
task's threshold (cartpole 500, the maximum of CartPole-v1; pendulum -200).

A seed *meets* the threshold when its final evaluated return (mean over the evaluation episodes) does. Every run is
a fresh process launched with the implementation's default command (plus a seed and an output folder), one at a
time, with no early stop; the clock starts just before the launch, so imports, env construction and Warp's kernel
load count. The evaluation runs afterwards in its own process, on env seeds the training never used (1000 + seed),
and is not part of the training time. The load average is recorded at the start and the end of each run (other
users may share the cores).

    python benchmarks/ppo_learning.py --task cartpole --seeds 1 2 3 4 5 --peers ppo_warp ppo_gym sb3_zoo
    python benchmarks/ppo_learning.py --task pendulum --seeds 1 2 3 4 5 --peers ppo_warp ppo_gym sb3_zoo
    python benchmarks/plot_learning.py   # figures, CSV and the markdown tables from the JSON files

Candidate settings for the cleanppo scripts: `--extra "--total-timesteps 300000 --gamma 0.97"` appends the flags to
their command and writes results/ppo_<task>_sweep.json instead (runs keyed by peer, flags and seed).

Peers: `sb3_zoo` is Stable-Baselines3 PPO with the RL Zoo's tuned settings and budget (benchmarks/sb3_zoo.py, which
saves and evaluates its model deterministically in Gymnasium's env). `cleanrl` runs CleanRL's scripts with their
defaults and full budget (500k steps on CartPole, 1M on Pendulum: minutes on a CPU); they save no model by default,
so its row has the first crossing and the last-20 training mean only. CleanRL's scripts are not part of this
repository: fetch vwxyzjn/cleanrl, point --cleanrl-dir at a folder holding `ppo.py` and `ppo_continuous_action.py`,
and give the Gymnasium they pin (0.29.1) with --cleanrl-pythonpath
(`pip install --target /tmp/cleanrl_deps --no-deps gymnasium==0.29.1`). Writes results/ppo_<task>_runs.json.
"""

import argparse
import collections
import csv
import glob
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TASKS = {
    # extra_crossings: also recorded, for comparison with Gymnasium's reward_threshold (CartPole-v1: 475)
    "cartpole": dict(threshold=500.0, extra_crossings=(475.0,), gym_id="CartPole-v1", cleanrl="ppo.py"),
    "pendulum": dict(threshold=-200.0, extra_crossings=(), gym_id="Pendulum-v1", cleanrl="ppo_continuous_action.py"),
}
WINDOW = 20
EVAL_SEED_OFFSET = 1000
RETURN_RE = re.compile(r"return (-?[0-9.]+(?:e[-+]?\d+)?) \+- ([0-9.]+(?:e[-+]?\d+)?)")


def last20_curve(episodes):
    """[(wall_time, step, return)] in finishing order -> [(wall_time, step, mean of the last 20 returns)]."""
    recent, curve = collections.deque(maxlen=WINDOW), []
    for wall, step, ret in episodes:
        recent.append(ret)
        if len(recent) == WINDOW:
            curve.append((wall, step, sum(recent) / WINDOW))
    return curve


def read_progress(run_dir):
    """cleanppo scripts: progress.csv has the last-20 mean and the process CPU time at the end of every iteration."""
    with open(glob.glob(os.path.join(run_dir, "*", "progress.csv"))[0]) as f:
        rows = list(csv.DictReader(f))
    return [
        (float(r["wall_time"]), int(r["global_step"]), float(r["return_last20"]), float(r["cpu_time"])) for r in rows
    ]


def read_cleanrl(run_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    files = glob.glob(os.path.join(run_dir, "runs", "*", "events.out.tfevents.*"))
    if not files:
        return []
    acc = EventAccumulator(files[0], size_guidance={"scalars": 0})
    acc.Reload()
    if "charts/episodic_return" not in acc.Tags()["scalars"]:
        return []
    return last20_curve([(e.wall_time, e.step, e.value) for e in acc.Scalars("charts/episodic_return")])


def read_sb3(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return last20_curve([(float(r["wall_time"]), int(r["global_step"]), float(r["return"])) for r in rows])


def first_crossing(curve, threshold, t0):
    """Wall seconds since launch, env steps (and process CPU seconds where logged) at the first point of the
    last-20 curve at or above the threshold; None where it never gets there."""
    hit = next((c for c in curve if c[2] >= threshold), None)
    if hit is None:
        return None
    return {"time_s": round(hit[0] - t0, 3), "steps": hit[1], "cpu_s": hit[3] if len(hit) > 3 else None}


def evaluate(peer, seed, work, args, env):
    """Final deterministic evaluation of the trained policy in its own process: (mean, std, episodes, command)."""
    py, eval_seed = sys.executable, EVAL_SEED_OFFSET + seed
    if peer in ("ppo_warp", "ppo_gym"):
        ckpt = glob.glob(os.path.join(work, "*", "checkpoint.pt"))
        if not ckpt:
            return None
        cmd = [py, os.path.join(ROOT, "cleanppo", f"{peer}.py"), "--eval", ckpt[0]]
        cmd += ["--eval-episodes", str(args.eval_episodes), "--seed", str(eval_seed)]
    elif peer == "sb3_zoo":
        model = os.path.join(work, "model.zip")
        if not os.path.exists(model):
            return None
        cmd = [py, os.path.join(ROOT, "benchmarks", "sb3_zoo.py"), "--env-id", TASKS[args.task]["gym_id"]]
        cmd += ["--eval", model, "--eval-episodes", str(args.eval_episodes), "--seed", str(eval_seed)]
    else:
        return None
    out = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
    match = RETURN_RE.search(out.stdout)
    if out.returncode != 0 or match is None:
        print(out.stdout[-2000:], out.stderr[-3000:], file=sys.stderr)
        raise RuntimeError(f"evaluation failed: {' '.join(cmd)}")
    return float(match.group(1)), float(match.group(2)), args.eval_episodes, shorten(cmd)


def shorten(cmd):
    return " ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in cmd)


def run_one(task, peer, seed, args):
    spec = TASKS[task]
    work = tempfile.mkdtemp(prefix=f"{task}_{peer}_{seed}_")
    env = dict(os.environ)
    if args.threads > 0:  # torch's intra-op threads, for every implementation alike
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(args.threads)
    py = sys.executable
    if peer in ("ppo_warp", "ppo_gym"):
        cmd = [py, os.path.join(ROOT, "cleanppo", f"{peer}.py"), "--env-id", task, "--seed", str(seed)]
        cmd += ["--log-dir", work, "--quiet", *shlex.split(args.extra)]
        cap = args.cap
    elif peer == "cleanrl":
        cmd = [py, os.path.join(args.cleanrl_dir, spec["cleanrl"]), "--env-id", spec["gym_id"], "--seed", str(seed)]
        env["PYTHONPATH"] = args.cleanrl_pythonpath
        cap = args.peer_cap
    elif peer == "sb3_zoo":
        out = os.path.join(work, "episodes.csv")
        cmd = [py, os.path.join(ROOT, "benchmarks", "sb3_zoo.py"), "--env-id", spec["gym_id"], "--seed", str(seed)]
        cmd += ["--out", out, "--save", os.path.join(work, "model.zip")]
        cap = args.peer_cap
    else:
        raise ValueError(peer)
    loadavg = os.getloadavg()
    t0 = time.time()
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _, stderr = proc.communicate(timeout=cap)
        killed = False
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate()
        killed = True
    wall = time.time() - t0
    loadavg_end = os.getloadavg()
    if proc.returncode != 0 and not killed:
        print(stderr[-3000:], file=sys.stderr)
        raise RuntimeError(f"{peer} seed {seed} failed: {' '.join(cmd)}")
    curve = {"cleanrl": lambda: read_cleanrl(work), "sb3_zoo": lambda: read_sb3(out)}.get(
        peer, lambda: read_progress(work)
    )()
    final = None if killed else evaluate(peer, seed, work, args, env)
    crossings = {str(th): first_crossing(curve, th, t0) for th in (spec["threshold"], *spec["extra_crossings"])}
    finite = [c[2] for c in curve if c[2] == c[2]]  # skip NaN (no episode yet)
    return {
        "task": task,
        "peer": peer,
        "extra": args.extra,
        "seed": seed,
        "command": shorten(cmd),
        "loadavg_at_start": loadavg,
        "loadavg_at_end": loadavg_end,
        "launch_time": t0,
        "train_wall_s": round(wall, 3),  # launch to the end of training (process exit)
        "killed_at_cap": killed,
        "cap_s": cap,
        "eval_return_mean": None if final is None else final[0],
        "eval_return_std": None if final is None else final[1],
        "eval_episodes": None if final is None else final[2],
        "eval_command": None if final is None else final[3],
        "meets_threshold": final is not None and final[0] >= spec["threshold"],
        "first_crossing": crossings,
        "final_last20": finite[-1] if finite else None,
        "best_last20": max(finite, default=None),
        "final_steps": curve[-1][1] if curve else None,
        "curve": [(round(c[0] - t0, 3), c[1], round(c[2], 2)) for c in curve],
    }


def provenance():
    git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()  # noqa: E731
    from importlib import metadata

    def version(name):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "")
    packages = ("torch", "warp-lang", "gymnasium", "stable-baselines3", "numpy")
    return {
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty_files": git("status", "--porcelain", "--untracked-files=no", "cleanppo", "benchmarks", "envs"),
        "machine": {"cpu": cpu or platform.processor(), "cpu_count": os.cpu_count(), "gpu": "none"},
        "versions": {"python": platform.python_version(), **{p: version(p) for p in packages}},
    }


def line(run, threshold):
    """One console line per run."""
    hit = run["first_crossing"][str(threshold)]
    ev = run["eval_return_mean"]
    return (
        f"{run['task']} {run['peer']} {run['extra']} seed {run['seed']}: "
        + (f"eval {ev:.1f} +- {run['eval_return_std']:.1f}" if ev is not None else "no eval")
        + (" (meets)" if run["meets_threshold"] else " (misses)")
        + f", trained in {run['train_wall_s']:.1f} s; first crossing "
        + (f"{hit['time_s']:.1f} s, {hit['steps']} steps" if hit else "never")
        + f"; load {run['loadavg_at_start'][0]:.2f}"
    )


def summary(runs, threshold):
    """Per (peer, extra): seeds meeting the threshold, final evaluated return mean +- std, median times."""
    out = []
    for key in dict.fromkeys((r["peer"], r["extra"]) for r in runs):
        rs = [r for r in runs if (r["peer"], r["extra"]) == key]
        evs = [r["eval_return_mean"] for r in rs if r["eval_return_mean"] is not None]
        hits = [r["first_crossing"][str(threshold)] for r in rs if r["first_crossing"][str(threshold)]]
        sd = statistics.stdev(evs) if len(evs) > 1 else 0.0
        out.append(
            f"{key[0]} {key[1]!r}: meets {sum(r['meets_threshold'] for r in rs)}/{len(rs)}, eval "
            + (f"{statistics.mean(evs):.1f} +- {sd:.1f}" if evs else "-")
            + f", median train wall {statistics.median(r['train_wall_s'] for r in rs):.1f} s"
            + f", crossing {len(hits)}/{len(rs)}"
            + (f" (median {statistics.median(h['time_s'] for h in hits):.1f} s)" if hits else "")
        )
    return "\n".join(out)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=sorted(TASKS), required=True)
    parser.add_argument("--peers", nargs="+", default=["ppo_warp", "ppo_gym", "sb3_zoo"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4, 5])
    parser.add_argument("--extra", default="", help="flags appended to the cleanppo scripts' command (a candidate)")
    parser.add_argument("--eval-episodes", type=int, default=100)
    parser.add_argument("--cap", type=float, default=600.0, help="seconds before a cleanppo run is killed")
    parser.add_argument("--peer-cap", type=float, default=900.0, help="seconds before a peer run is killed")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="OMP_NUM_THREADS for every run (0: leave unset). On this shared 2-core machine, torch's default of 2 "
        "threads made SB3 + Zoo on CartPole 7x slower under load (22k steps in 114 s against 25k in 15 s)",
    )
    parser.add_argument("--cleanrl-dir", default="/tmp/cleanrl_peer")
    parser.add_argument("--cleanrl-pythonpath", default="/tmp/cleanrl_deps")
    parser.add_argument("--out", default=None, help="default: results/ppo_<task>_runs.json (_sweep.json with --extra)")
    args = parser.parse_args()
    threshold = TASKS[args.task]["threshold"]
    out = args.out or os.path.join(ROOT, "results", f"ppo_{args.task}_{'sweep' if args.extra else 'runs'}.json")

    record = {"runs": []}
    if os.path.exists(out):
        with open(out) as f:
            record = json.load(f)
    for peer in args.peers:
        for seed in args.seeds:
            run = run_one(args.task, peer, seed, args)
            key = (peer, args.extra, seed)
            record["runs"] = [r for r in record["runs"] if (r["peer"], r.get("extra", ""), r["seed"]) != key] + [run]
            print(line(run, threshold), flush=True)
            record.update(
                task=args.task,
                threshold=threshold,
                measure=(
                    f"final: deterministic policy, mean return over {args.eval_episodes} evaluation episodes on env "
                    f"seeds {EVAL_SEED_OFFSET} + seed; first crossing: mean return of the last {WINDOW} finished "
                    "training episodes, wall-clock from process launch"
                ),
                command=" ".join(["python", "benchmarks/ppo_learning.py", *sys.argv[1:]]),
                threads=args.threads,
                **provenance(),
            )
            with open(out, "w") as f:
                json.dump(record, f, indent=1)
    print(summary(record["runs"], threshold))
