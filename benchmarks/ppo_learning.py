"""Learning speed of cleanppo/ppo_warp.py against the same PPO on Gymnasium (cleanppo/ppo_gym.py), CleanRL's PPO
with its defaults and Stable-Baselines3 PPO with the RL Zoo's tuned settings: wall-clock from launch and env steps
until the mean return of the last 20 finished episodes reaches the task's threshold.

Every run is a fresh process launched with its default command (plus a seed and an output folder), one at a time.
The clock starts just before the launch, so imports, env construction and Warp's kernel load count. The load
average of the machine is recorded at the start of each run (other users share these cores).

    python benchmarks/ppo_learning.py --task cartpole --seeds 1 2 3 --cleanrl-dir /tmp/cleanrl_peer
    python benchmarks/ppo_learning.py --task pendulum --seeds 1 2 3 --cleanrl-dir /tmp/cleanrl_peer
    python benchmarks/plot_learning.py   # figures from the JSON files

CleanRL's scripts are not part of this repository: fetch vwxyzjn/cleanrl and point --cleanrl-dir at a folder holding
`ppo.py` and `ppo_continuous_action.py`; they run under the Gymnasium they pin (0.29.1), given by --cleanrl-pythonpath
(e.g. `pip install --target /tmp/cleanrl_deps --no-deps gymnasium==0.29.1`). Writes results/ppo_<task>_runs.json.
"""

import argparse
import collections
import csv
import glob
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TASKS = {
    "cartpole": dict(threshold=475.0, gym_id="CartPole-v1", cleanrl="ppo.py"),
    "pendulum": dict(threshold=-200.0, gym_id="Pendulum-v1", cleanrl="ppo_continuous_action.py"),
}
WINDOW = 20


def last20_curve(episodes):
    """[(wall_time, step, return)] in finishing order -> [(wall_time, step, mean of the last 20 returns)]."""
    recent, curve = collections.deque(maxlen=WINDOW), []
    for wall, step, ret in episodes:
        recent.append(ret)
        if len(recent) == WINDOW:
            curve.append((wall, step, sum(recent) / WINDOW))
    return curve


def read_progress(run_dir):
    """cleanppo scripts: progress.csv has the last-20 mean at the end of every iteration."""
    with open(glob.glob(os.path.join(run_dir, "*", "progress.csv"))[0]) as f:
        rows = list(csv.DictReader(f))
    return [(float(r["wall_time"]), int(r["global_step"]), float(r["return_last20"])) for r in rows]


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


def run_one(task, peer, seed, args):
    spec = TASKS[task]
    work = tempfile.mkdtemp(prefix=f"{task}_{peer}_{seed}_")
    env = dict(os.environ)
    if args.threads > 0:  # torch's intra-op threads, for every implementation alike
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(args.threads)
    py = sys.executable
    if peer in ("ppo_warp", "ppo_gym"):
        cmd = [py, os.path.join(ROOT, "cleanppo", f"{peer}.py"), "--env-id", task, "--seed", str(seed)]
        cmd += ["--log-dir", work, "--quiet"]
        cap = args.cap
    elif peer == "cleanrl":
        cmd = [py, os.path.join(args.cleanrl_dir, spec["cleanrl"]), "--env-id", spec["gym_id"], "--seed", str(seed)]
        env["PYTHONPATH"] = args.cleanrl_pythonpath
        cap = args.peer_cap
    elif peer == "sb3_zoo":
        out = os.path.join(work, "episodes.csv")
        cmd = [py, os.path.join(ROOT, "benchmarks", "sb3_zoo.py"), "--env-id", spec["gym_id"], "--seed", str(seed)]
        cmd += ["--out", out, "--stop-at", str(spec["threshold"])]
        cap = args.peer_cap
    else:
        raise ValueError(peer)
    loadavg = os.getloadavg()
    t0 = time.time()
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    reader = {"cleanrl": lambda: read_cleanrl(work), "sb3_zoo": lambda: read_sb3(out)}.get(peer)
    killed = False
    while proc.poll() is None:
        time.sleep(1.0 if reader else 0.2)
        if time.time() - t0 > cap:
            proc.kill()
            killed = True
        elif reader is not None and peer == "cleanrl":
            # CleanRL runs its full budget (minutes); stop it a few seconds after it reaches the threshold
            curve = reader()
            hit = next((c for c in curve if c[2] >= spec["threshold"]), None)
            if hit is not None and time.time() - hit[0] > 3.0:
                proc.kill()
                killed = True
    wall = time.time() - t0
    stderr = proc.stderr.read()
    if proc.returncode not in (0, None) and not killed:
        print(stderr[-3000:], file=sys.stderr)
        raise RuntimeError(f"{peer} seed {seed} failed: {' '.join(cmd)}")
    curve = reader() if reader else read_progress(work)
    hit = next((c for c in curve if c[2] >= spec["threshold"]), None)
    cpu = None  # cleanppo scripts also log their process CPU time: less sensitive to other users' load
    if reader is None and hit is not None:
        with open(glob.glob(os.path.join(work, "*", "progress.csv"))[0]) as f:
            cpu = next(float(r["cpu_time"]) for r in csv.DictReader(f) if int(r["global_step"]) == hit[1])
    return {
        "task": task,
        "peer": peer,
        "seed": seed,
        "command": " ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in cmd),
        "loadavg_at_start": loadavg,
        "launch_time": t0,
        "process_wall_s": wall,
        "stopped_by_runner": killed,
        "cap_s": cap,
        "time_to_threshold_s": None if hit is None else hit[0] - t0,
        "steps_to_threshold": None if hit is None else hit[1],
        "cpu_s_to_threshold": cpu,
        "best_last20": max((c[2] for c in curve if c[2] == c[2]), default=None),  # skip NaN (no episode yet)
        "curve": [(round(w - t0, 3), s, round(r, 2)) for w, s, r in curve],
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
        "cleanrl": "vwxyzjn/cleanrl fe8d8a03c41a7ef5b523e2e354bd01c363e786bb, run with gymnasium 0.29.1 (its pin)",
    }


def summary(runs):
    lines = ["| implementation | seeds reaching | time to threshold (s) | env steps to threshold | load avg at start |"]
    lines.append("|---|---|---|---|---|")
    for peer in dict.fromkeys(r["peer"] for r in runs):
        rs = [r for r in runs if r["peer"] == peer]
        ok = [r for r in rs if r["time_to_threshold_s"] is not None]
        times = [r["time_to_threshold_s"] for r in ok]
        steps = [r["steps_to_threshold"] for r in ok]

        def fmt(xs, digits):
            if not xs:
                return "not reached"
            sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
            return f"{statistics.mean(xs):.{digits}f} ± {sd:.{digits}f}"

        not_reached = [r for r in rs if r["time_to_threshold_s"] is None]
        note = "" if not not_reached else f" (others: not within {min(r['cap_s'] for r in not_reached):.0f} s)"
        loads = ", ".join(f"{r['loadavg_at_start'][0]:.2f}" for r in rs)
        lines.append(f"| {peer} | {len(ok)}/{len(rs)} | {fmt(times, 1)}{note} | {fmt(steps, 0)} | {loads} |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=sorted(TASKS), required=True)
    parser.add_argument("--peers", nargs="+", default=["ppo_warp", "ppo_gym", "cleanrl", "sb3_zoo"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--cap", type=float, default=120.0, help="seconds before a cleanppo run is killed")
    parser.add_argument("--peer-cap", type=float, default=120.0, help="seconds before a peer run is killed")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="OMP_NUM_THREADS for every run (0: leave unset). On this shared 2-core machine, torch's default of 2 "
        "threads made SB3 + Zoo on CartPole 7x slower under load (22k steps in 114 s against 25k in 15 s)",
    )
    parser.add_argument("--cleanrl-dir", default="/tmp/cleanrl_peer")
    parser.add_argument("--cleanrl-pythonpath", default="/tmp/cleanrl_deps")
    parser.add_argument("--out", default=None, help="default: results/ppo_<task>_runs.json (runs are merged in)")
    args = parser.parse_args()
    out = args.out or os.path.join(ROOT, "results", f"ppo_{args.task}_runs.json")

    record = {"runs": []}
    if os.path.exists(out):
        with open(out) as f:
            record = json.load(f)
    for peer in args.peers:
        for seed in args.seeds:
            run = run_one(args.task, peer, seed, args)
            record["runs"] = [r for r in record["runs"] if (r["peer"], r["seed"]) != (peer, seed)] + [run]
            t = run["time_to_threshold_s"]
            print(
                f"{args.task} {peer} seed {seed}: "
                + (f"{t:.2f} s, {run['steps_to_threshold']} steps" if t is not None else "not reached")
                + f" (best last-20 {run['best_last20']}, load {run['loadavg_at_start'][0]:.2f})",
                flush=True,
            )
            record.update(
                task=args.task,
                threshold=TASKS[args.task]["threshold"],
                measure=f"mean return of the last {WINDOW} finished episodes, wall-clock from process launch",
                command=" ".join(["python", "benchmarks/ppo_learning.py", *sys.argv[1:]]),
                threads=args.threads,
                **provenance(),
            )
            with open(out, "w") as f:
                json.dump(record, f, indent=1)
    print(summary(record["runs"]))
