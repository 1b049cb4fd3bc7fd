"""The GRU section of results/distill_pendulum.md: DAgger with the MLP window student against DAgger with the GRU
student (--student-arch gru), the same budgets (200k student env steps) and the same teacher per seed (run.py's
DAgger checkpoints, loaded with --teacher-checkpoint), evaluated as run.py evaluates (100 episodes, env seed 1001,
run.py's conditions).

Run from the repository root, after run.py trained its checkpoints into LOG_DIR:
    python results/distill_pendulum/gru.py --seeds 1 2 3 4 5 --log-dir LOG_DIR
Trains the GRU students into LOG_DIR/dagger_gru_<seed> (skipped where a checkpoint is there), evaluates both students
of each seed; writes gru_evals.jsonl and gru_summary.md beside this file."""

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


def load(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--log-dir", default=os.path.join(ROOT, "runs", "distill_pendulum"))
    cli = parser.parse_args()
    start_load = os.getloadavg()
    sys.path.insert(0, ROOT)
    conditions = load("run", os.path.join(HERE, "run.py")).CONDITIONS
    ckpts = {}
    for seed in cli.seeds:
        mlp = glob.glob(os.path.join(cli.log_dir, f"dagger_{seed}", "*", "checkpoint.pt"))[0]
        out = os.path.join(cli.log_dir, f"dagger_gru_{seed}")
        if not glob.glob(os.path.join(out, "*", "checkpoint.pt")):
            cmd = [sys.executable, SCRIPT, "--env-id", "pendulum", "--seed", str(seed), "--quiet", "--student-arch",
                   "gru", "--teacher-checkpoint", mlp, "--log-dir", out]  # fmt: skip
            start = time.time()
            subprocess.run(cmd, check=True, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"})
            print(f"seed {seed} gru: {time.time() - start:.0f} s, {' '.join(cmd[1:])}", flush=True)
        ckpts[seed] = dict(mlp=mlp, gru=glob.glob(os.path.join(out, "*", "checkpoint.pt"))[0])

    m = load("distill_warp", SCRIPT)
    m.runs.init_torch(1)
    device = torch.device("cpu")
    m.runs.init_warp(device)
    rows = []
    for seed, by_arch in ckpts.items():
        for cond, knobs in conditions.items():
            for arch, path in by_arch.items():
                ckpt = torch.load(path, map_location="cpu", weights_only=True)
                saved = m.runs.saved_args(m.Args, ckpt["args"])
                args = dataclasses.replace(saved, seed=1001, eval_episodes=100, **knobs)
                r = m.evaluate_policies(args, saved, ckpt, device)
                s, z, t = r["student"], r["zero"], r["teacher"]
                rows.append(dict(seed=seed, condition=cond, arch=arch, student=s["mean"], teacher=t["mean"],
                                 zero=z["mean"], gap_closed=(s["mean"] - z["mean"]) / (t["mean"] - z["mean"]),
                                 train_steps=ckpt["global_step"],
                                 **{f"student_{e}": s[e] for e in m.ENDINGS}))  # fmt: skip
                print(json.dumps(rows[-1]), flush=True)
    base = {(r["seed"], r["arch"]): r for r in rows if r["condition"] == "in_distribution"}
    for r in rows:  # run.py's degradation: the loss against the own in-distribution return, per teacher gain
        b = base[r["seed"], r["arch"]]
        r["degradation"] = (b["student"] - r["student"]) / (b["teacher"] - b["zero"])
    with open(os.path.join(HERE, "gru_evals.jsonl"), "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    lines = ["| condition (eval env) | teacher | zero action | DAgger, MLP window (8 steps) | DAgger, GRU (256) | "
             "GRU better (seeds) | degradation MLP | degradation GRU |", "|" + "---|" * 8]  # fmt: skip
    for cond in conditions:
        sel = [r for r in rows if r["condition"] == cond]
        cells, gaps = [], {}
        for arch in ("mlp", "gru"):
            mine = [r for r in sel if r["arch"] == arch]
            g, st = np.array([r["gap_closed"] for r in mine]), np.array([r["student"] for r in mine])
            fails = [r["seed"] for r in mine if r["gap_closed"] < 0.5]  # run.py's failed seed
            nonfinite = sum(r["student_nan"] + r["student_fell"] for r in mine)
            cells.append(f"{g.mean():.2f} ± {g.std():.2f} ({st.mean():.0f})" + (f", fail: {fails}" if fails else "")
                         + (f", {nonfinite} fell/nan" if nonfinite else ""))  # fmt: skip
            gaps[arch] = {r["seed"]: r for r in mine}
        wins = sum(gaps["gru"][s]["gap_closed"] > gaps["mlp"][s]["gap_closed"] for s in gaps["mlp"])
        degs = [np.array([r["degradation"] for r in gaps[a].values()]) for a in ("mlp", "gru")]
        deg = [f"{d.mean():+.2f} ± {d.std():.2f}" if cond != "in_distribution" else "" for d in degs]
        t = np.mean([r["teacher"] for r in sel])
        z = np.mean([r["zero"] for r in sel])
        lines.append(f"| {cond} | {t:.0f} | {z:.0f} | {cells[0]} | {cells[1]} | {wins} of {len(gaps['mlp'])} | "
                     f"{deg[0]} | {deg[1]} |")  # fmt: skip
    per_seed = {a: [round(r["gap_closed"], 3) for r in rows if r["condition"] == "in_distribution" and r["arch"] == a]
                for a in ("mlp", "gru")}  # fmt: skip
    meta = dict(command=" ".join(sys.argv), seeds=cli.seeds, per_seed_in_distribution=per_seed,
                loadavg_start=start_load, loadavg_end=os.getloadavg(), machine=platform.processor(),
                cpu_count=os.cpu_count(), torch=torch.__version__, python=platform.python_version(),
                commit=subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                      cwd=ROOT).stdout.strip())  # fmt: skip
    with open(os.path.join(HERE, "gru_summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n\n" + json.dumps(meta) + "\n")
    print("\n".join(lines) + "\n" + json.dumps(meta))


if __name__ == "__main__":
    main()
