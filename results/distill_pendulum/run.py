"""The record results/distill_pendulum.md: cleanppo/distill_warp.py on pendulum over seeds, every student algorithm
and both PPO baselines, evaluated in distribution, on held-out mass/length ranges and motor strength, and under
perturbations (more observation noise, action delay, pushes), with how the episodes ended.

Run from the repository root:  python results/distill_pendulum/run.py [--seeds 1 2 3 4 5] [--skip-training]
Trains with the script's own command lines (subprocesses, the pendulum preset), then evaluates each checkpoint with
the script's evaluate_policies in this process (one process instead of one per evaluation); writes evals.jsonl,
summary.csv and the tables of summary.md beside this file."""

import argparse
import dataclasses
import glob
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(ROOT, "cleanppo", "distill_warp.py")
ALGOS = ("dagger", "bc", "rslrl", "asym_ppo", "ppo")
EVAL_SEED, EPISODES = 1001, 100
# name: the env knobs that differ from the training preset (mass, length x U(0.7, 1.3), obs noise 0.05, no delay)
CONDITIONS = {
    "in_distribution": {},
    "heavy_long (1.3-1.6)": dict(mass_scale=(1.3, 1.6), length_scale=(1.3, 1.6)),
    "light_short (0.4-0.7)": dict(mass_scale=(0.4, 0.7), length_scale=(0.4, 0.7)),
    "motor strength 0.7": dict(strength_scale=(0.7, 0.7)),
    "obs_noise 0.15": dict(obs_noise_std=0.15),
    "action_delay 1-3": dict(action_delay=(1, 3)),
    "pushes 3 rad/s, every 1 s": dict(push_vel=3.0, push_interval_s=1.0),
}


def train(seed: int, log_dir: str) -> dict:
    base = [sys.executable, SCRIPT, "--env-id", "pendulum", "--seed", str(seed), "--quiet", "--log-dir"]
    ckpts = {}
    for algo in ALGOS:
        out = os.path.join(log_dir, f"{algo}_{seed}")
        cmd = base + [out, "--student-algo", algo]
        if algo in ("bc", "rslrl"):  # the teacher the DAgger run trained
            cmd += ["--teacher-checkpoint", ckpts["dagger"]]
        start = time.time()
        subprocess.run(cmd, check=True, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"})
        ckpts[algo] = glob.glob(os.path.join(out, "*", "checkpoint.pt"))[0]
        print(f"seed {seed} {algo}: {time.time() - start:.0f} s, {' '.join(cmd[1:])}", flush=True)
    return ckpts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--log-dir", default=os.path.join(ROOT, "runs", "distill_pendulum"))
    parser.add_argument("--skip-training", action="store_true", help="evaluate the checkpoints already in --log-dir")
    cli = parser.parse_args()
    start_load = os.getloadavg()
    ckpts = {}
    for seed in cli.seeds:
        if cli.skip_training:
            ckpts[seed] = {
                a: glob.glob(os.path.join(cli.log_dir, f"{a}_{seed}", "*", "checkpoint.pt"))[0] for a in ALGOS
            }
        else:
            ckpts[seed] = train(seed, cli.log_dir)

    sys.path.insert(0, ROOT)
    spec = importlib.util.spec_from_file_location("distill_warp", SCRIPT)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    m.runs.init_torch(1)
    device = torch.device("cpu")
    m.runs.init_warp(device)
    rows = []
    for seed, by_algo in ckpts.items():
        for cond, knobs in CONDITIONS.items():
            teacher = None
            for algo in ALGOS:  # dagger first: its teacher is the seed's teacher for every algorithm
                ckpt = torch.load(by_algo[algo], map_location="cpu", weights_only=True)
                saved = m.runs.saved_args(m.Args, ckpt["args"])
                args = dataclasses.replace(saved, seed=EVAL_SEED, eval_episodes=EPISODES, **knobs)
                r = m.evaluate_policies(args, saved, ckpt, device)
                teacher = r.get("teacher", teacher)
                s, z, t = r["student"], r["zero"], teacher
                rows.append(dict(seed=seed, condition=cond, algo=algo, student=s["mean"], student_std=s["std"],
                                 teacher=t["mean"], teacher_std=t["std"], zero=z["mean"],
                                 gap_closed=(s["mean"] - z["mean"]) / (t["mean"] - z["mean"]),
                                 train_steps=ckpt["global_step"],
                                 **{f"{who}_{e}": v[e] for who, v in (("student", s), ("teacher", t))
                                    for e in m.ENDINGS}))  # fmt: skip
                print(json.dumps(rows[-1]), flush=True)
    # a policy's degradation under a condition: the return it loses against its own in-distribution return, as a
    # share of the teacher's in-distribution gain over the zero action (same seed; 0: no loss)
    base = {(r["seed"], r["algo"]): r for r in rows if r["condition"] == "in_distribution"}
    for r in rows:
        b = base[r["seed"], r["algo"]]
        r["degradation"] = (b["student"] - r["student"]) / (b["teacher"] - b["zero"])
    with open(os.path.join(HERE, "evals.jsonl"), "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    with open(os.path.join(HERE, "summary.csv"), "w") as f:
        f.write("condition,algo,seeds,gap_closed_mean,gap_closed_std,degradation_mean,degradation_std,student_mean,"
                "teacher_mean,zero_mean,failed_seeds,episodes_fell,episodes_timeout,episodes_nan\n")  # fmt: skip
        lines = ["| condition | teacher | zero action | " + " | ".join(ALGOS) + " |", "|" + "---|" * (3 + len(ALGOS))]
        deg = ["| condition | " + " | ".join(ALGOS) + " | DAgger degrades less than direct PPO |",
               "|" + "---|" * (2 + len(ALGOS))]  # fmt: skip
        for cond in CONDITIONS:
            sel = [r for r in rows if r["condition"] == cond]
            cells, dcells = [], []
            for algo in ALGOS:
                mine = [r for r in sel if r["algo"] == algo]
                g, d = np.array([r["gap_closed"] for r in mine]), np.array([r["degradation"] for r in mine])
                st = np.array([r["student"] for r in mine])
                # a failed seed: the student keeps less than half of the teacher's gain over the zero action
                fails = [r["seed"] for r in mine if r["gap_closed"] < 0.5]
                ends = {e: sum(r[f"student_{e}"] for r in mine) for e in m.ENDINGS}
                f.write(f"{cond},{algo},{len(g)},{g.mean():.3f},{g.std():.3f},{d.mean():.3f},{d.std():.3f},"
                        f"{st.mean():.1f},{np.mean([r['teacher'] for r in sel]):.1f},"
                        f"{np.mean([r['zero'] for r in sel]):.1f},{' '.join(map(str, fails))},{ends['fell']},"
                        f"{ends['timeout']},{ends['nan']}\n")  # fmt: skip
                label = "".join(f", {n} {e}" for e, n in ends.items() if e != "timeout" and n)
                cells.append(f"{g.mean():.2f} ± {g.std():.2f} ({st.mean():.0f})" + (f" fail: {fails}" if fails else "")
                             + label)  # fmt: skip
                dcells.append(f"{d.mean():+.2f} ± {d.std():.2f}")
            t = np.mean([r["teacher"] for r in sel if r["algo"] == "dagger"])
            z = np.mean([r["zero"] for r in sel if r["algo"] == "dagger"])
            lines.append(f"| {cond} | {t:.0f} | {z:.0f} | " + " | ".join(cells) + " |")
            if cond != "in_distribution":
                pairs = [(r["degradation"], p["degradation"]) for r in sel if r["algo"] == "dagger"
                         for p in sel if p["algo"] == "ppo" and p["seed"] == r["seed"]]  # fmt: skip
                wins = sum(a < b for a, b in pairs)
                deg.append(f"| {cond} | " + " | ".join(dcells) + f" | {wins} of {len(pairs)} seeds |")
    meta = dict(command=" ".join(sys.argv), seeds=cli.seeds, eval_seed=EVAL_SEED, episodes=EPISODES,
                loadavg_start=start_load, loadavg_end=os.getloadavg(), machine=platform.processor(),
                cpu_count=os.cpu_count(), torch=torch.__version__, python=platform.python_version(),
                commit=subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                      cwd=ROOT).stdout.strip())  # fmt: skip
    with open(os.path.join(HERE, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n\n" + "\n".join(deg) + "\n\n" + json.dumps(meta) + "\n")
    print("\n".join(lines + [""] + deg))


if __name__ == "__main__":
    main()
