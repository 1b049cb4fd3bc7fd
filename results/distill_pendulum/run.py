"""The record results/distill_pendulum.md: cleanppo/distill_warp.py on pendulum over seeds, every student algorithm,
evaluated in distribution and under held-out mass/length ranges, more observation noise and action delay.

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
ALGOS = ("dagger", "bc", "rslrl", "asym_ppo")
EVAL_SEED, EPISODES = 1001, 100
# name: the env knobs that differ from the training preset (mass, length x U(0.7, 1.3), obs noise 0.05, no delay)
CONDITIONS = {
    "in_distribution": {},
    "heavy_long (1.3-1.6)": dict(mass_scale=(1.3, 1.6), length_scale=(1.3, 1.6)),
    "light_short (0.4-0.7)": dict(mass_scale=(0.4, 0.7), length_scale=(0.4, 0.7)),
    "obs_noise 0.15": dict(obs_noise_std=0.15),
    "action_delay 1-3": dict(action_delay=(1, 3)),
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
                (s, s_std), (z, _), (t, t_std) = r["student"], r["zero"], teacher
                rows.append(dict(seed=seed, condition=cond, algo=algo, student=s, student_std=s_std, teacher=t,
                                 teacher_std=t_std, zero=z, gap_closed=(s - z) / (t - z),
                                 train_steps=ckpt["global_step"]))  # fmt: skip
                print(json.dumps(rows[-1]), flush=True)
    with open(os.path.join(HERE, "evals.jsonl"), "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    with open(os.path.join(HERE, "summary.csv"), "w") as f:
        f.write("condition,algo,seeds,gap_closed_mean,gap_closed_std,student_mean,teacher_mean,zero_mean,failures\n")
        lines = ["| condition | teacher | zero action | " + " | ".join(ALGOS) + " |", "|" + "---|" * (3 + len(ALGOS))]
        for cond in CONDITIONS:
            sel = [r for r in rows if r["condition"] == cond]
            cells = []
            for algo in ALGOS:
                g = np.array([r["gap_closed"] for r in sel if r["algo"] == algo])
                st = np.array([r["student"] for r in sel if r["algo"] == algo])
                # a failure: the student keeps less than half of the teacher's gain over the zero action
                fails = [r["seed"] for r in sel if r["algo"] == algo and r["gap_closed"] < 0.5]
                f.write(f"{cond},{algo},{len(g)},{g.mean():.3f},{g.std():.3f},{st.mean():.1f},"
                        f"{np.mean([r['teacher'] for r in sel]):.1f},{np.mean([r['zero'] for r in sel]):.1f},"
                        f"{' '.join(map(str, fails))}\n")  # fmt: skip
                cells.append(f"{g.mean():.2f} ± {g.std():.2f} ({st.mean():.0f})" + (f" fail: {fails}" if fails else ""))
            t = np.mean([r["teacher"] for r in sel if r["algo"] == "dagger"])
            z = np.mean([r["zero"] for r in sel if r["algo"] == "dagger"])
            lines.append(f"| {cond} | {t:.0f} | {z:.0f} | " + " | ".join(cells) + " |")
    meta = dict(command=" ".join(sys.argv), seeds=cli.seeds, eval_seed=EVAL_SEED, episodes=EPISODES,
                loadavg_start=start_load, loadavg_end=os.getloadavg(), machine=platform.processor(),
                cpu_count=os.cpu_count(), torch=torch.__version__, python=platform.python_version(),
                commit=subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                      cwd=ROOT).stdout.strip())  # fmt: skip
    with open(os.path.join(HERE, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n\n" + json.dumps(meta) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
