# The reproducible experiment panel. Results: results/panel_cartpole_action_delay/, results/panel_ant_friction/
"""A panel: a baseline (cleanppo/ppo_warp.py) and a maintained library (rsl_rl's PPO through envs.adapters) trained
on the same env with the same seeds and budget, every trained policy evaluated on the same episodes twice, nominal
and under one perturbation, with a task contract, failure labels and a postmortem written into one evidence folder.

    python cleanppo/panel.py --env-id cartpole --perturbation action_delay --out results/panel_cartpole_action_delay
    python cleanppo/panel.py --env-id ant --perturbation friction --strength 0.3 --total-timesteps 61440 ...
    python cleanppo/panel.py ... --sim gymnasium      # evaluate in Gymnasium's own env (the sim-to-sim column)
    python cleanppo/panel.py ... --second-panel       # a second seed set, its metrics computed within it alone

Run again with the same --out to resume: a run (method, seed) whose runs/<method>_seed<s>/result.json exists is
kept as it is, the others are trained and evaluated. The evidence folder (--out):
  config.json          the arguments, task contract, labelling rules and versions, written before training
  runs/<m>_seed<s>/    the training run (checkpoint, log) and result.json: every evaluation episode, labelled
  traces/              per (run, condition): the per-step trace (state, obs, action, reward, violation) of its
                       worst episode (worst_key: failures first, then lowest return)
  episodes.csv         one row per evaluation episode; metrics.csv one row per (method, condition)
  worst_failure.csv / .mp4   the panel's worst failure (lowest return among failures): trace and video
  record.json, panel.md      everything above in one JSON; the tables and the postmortem in Markdown
"""

import contextlib
import csv
import dataclasses
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import tyro

import envs
from benchmarks import panel_eval, sim2sim
from envs.video import write_trace, write_video


@dataclass
class Args:
    env_id: str = "cartpole"
    """the env (one of CONTRACTS: cartpole, pendulum, ant, half_cheetah, humanoid)"""
    methods: tuple[str, ...] = ("ppo_warp", "rsl_rl")
    """the baseline and the maintained-library run (rsl_rl's OnPolicyRunner on envs.adapters.to_rsl_rl)"""
    seeds: tuple[int, ...] = (3, 7, 11, 19, 23)
    """training seeds, the same for every method"""
    perturbation: Literal["obs_noise", "action_delay", "friction", "sparse_reward", "param_shift"] = "action_delay"
    """the perturbation column, applied at evaluation to every trained policy"""
    strength: float | None = None
    """its size (default DEFAULT_STRENGTH): noise std in observation units, delay in steps, friction or parameter
    scale; sparse_reward has none"""
    param: str | None = None
    """param_shift's physical parameter (an env `<param>_scale` knob; default mass, or pole_mass for cartpole)"""
    total_timesteps: int | None = None
    """training env steps per run, both methods (default: ppo_warp's for the env)"""
    num_envs: int | None = None
    """training envs, both methods (default: ppo_warp's for the env)"""
    eval_episodes: int = 10
    """evaluation episodes per run and condition (the same starts for every policy)"""
    eval_seed: int = 1000
    """seed of the evaluation envs (starts, noise)"""
    sim: Literal["warp", "gymnasium"] = "warp"
    """the simulator of the evaluation: our Warp env or Gymnasium's implementation of the task"""
    second_panel: bool = False
    """also run the panel with --second-seeds into <out>/second_panel, reported within that panel only"""
    second_seeds: tuple[int, ...] = (29, 31, 37, 41, 43)
    """the second panel's seeds"""
    video: bool = True
    """render the worst failure's video (MP4)"""
    out: str = "runs/panel"
    """the evidence folder"""


DEFAULT_STRENGTH = {"obs_noise": 0.1, "action_delay": 2, "friction": 0.3, "sparse_reward": None, "param_shift": 1.5}
DYNAMICS = ("friction", "param_shift")  # perturbations of the physics (label "state")
# success metric and one safety constraint per env: a bound on a slice of the true state (get_state), checked per step
CONTRACTS = {
    "cartpole": dict(success="return >= 475 (CartPole-v1's reward threshold)", success_return=475.0,
                     safety="pole angular velocity |theta_dot| <= 1.0 rad/s", safety_slice=(3, 4), bound=1.0),
    "pendulum": dict(success="return >= -200", success_return=-200.0,
                     safety="angular velocity |theta_dot| <= 6.0 rad/s", safety_slice=(1, 2), bound=6.0),
    "ant": dict(success="no fall for the whole episode and forward velocity >= 0.5 m/s", success_velocity=0.5,
                safety="joint velocities |qvel[6:14]| <= 10 rad/s", safety_slice=(21, 29), bound=10.0),
    "half_cheetah": dict(success="forward velocity >= 1.0 m/s over the episode", success_velocity=1.0,
                         safety="joint velocities |qvel[3:9]| <= 15 rad/s", safety_slice=(12, 18), bound=15.0),
    "humanoid": dict(success="no fall for the whole episode and forward velocity >= 0.5 m/s", success_velocity=0.5,
                     safety="joint velocities |qvel[6:23]| <= 10 rad/s", safety_slice=(30, 47), bound=10.0),
}  # fmt: skip
LABELS = ("perception", "state", "action", "timing", "reward", "evaluation", "none")
LABEL_RULES = [
    "evaluation: the episode ended on a non-finite state or was cut before the env's end (not the policy's doing)",
    "none: success metric met and no safety violation",
    "reward: success met with safety violations (the reward does not price the constraint), or the episode ran to "
    "the time limit without success (the policy collects reward without the behaviour the success metric asks for)",
    "perception / timing / state: terminated under obs_noise / action_delay / a dynamics change (friction, "
    "param_shift) while the same policy's nominal episode from the same start was not terminated",
    "action: terminated otherwise (the policy's own actions fail the task, perturbed or not)",
]
RECORD_SCHEMA = {  # key -> type, checked by validate_record
    "config": dict, "contract": dict, "label_rules": list, "provenance": dict, "runs": list, "metrics": list,
    "worst_failure": dict, "postmortem": list, "wall_seconds": float,
}  # fmt: skip
EPISODE_KEYS = ("method", "seed", "condition", "episode", "return", "length", "end", "success", "violations", "label")


def contract(args: Args) -> dict:
    """The task contract: observation, action, reward, termination (from the env's spec), success, safety."""
    if args.env_id not in CONTRACTS:
        raise SystemExit(f"panel: no contract for env {args.env_id!r}; known: {', '.join(CONTRACTS)}")
    cls = envs.env_class(args.env_id)
    doc = sys.modules[cls.__module__].__doc__ or ""
    spec = {k: " ".join(ln for ln in doc.splitlines() if ln.startswith(k)) for k in ("Termination", "Truncation")}
    env = envs.make(args.env_id, num_envs=1, device="cpu")
    c = CONTRACTS[args.env_id]
    return {
        "env_id": args.env_id,
        "observation": f"{env.num_obs} floats, layout in envs/{cls.__module__.split('.')[-1]}.py",
        "action": f"{env.num_actions} floats in [-1, 1]",
        "reward": " + ".join(env.reward_term_names),
        "termination": spec["Termination"] + " " + spec["Truncation"],
        "success": c["success"],
        "safety": c["safety"] + " (violations = steps where the bound is exceeded, from the true state)",
        "sparse_reward": "1 at the end of a successful episode, 0 otherwise (the perturbation's return)",
    }


def perturb_kwargs(args: Args) -> dict:
    """The env constructor arguments of the perturbation column (Warp)."""
    s = args.strength
    if args.perturbation == "obs_noise":
        return {"obs_noise_std": float(s)}
    if args.perturbation == "action_delay":
        return {"action_delay": int(s)}
    if args.perturbation == "friction":
        return {"friction_scale": float(s)}
    if args.perturbation == "param_shift":
        return {f"{args.param}_scale": float(s)}
    return {}


# --- training: both methods, the same env, seed and budget ----------------------------------------------------


def train_ppo_warp(args: Args, seed: int, run_dir: str) -> str:
    """Train ppo_warp as a subprocess (scripts do not import each other); return its checkpoint path."""
    cmd = [sys.executable, "cleanppo/ppo_warp.py", "--env-id", args.env_id, "--seed", str(seed), "--device", "cpu"]
    cmd += ["--log-dir", os.path.abspath(os.path.join(run_dir, "train")), "--quiet"]
    if args.total_timesteps:
        cmd += ["--total-timesteps", str(args.total_timesteps)]
    if args.num_envs:
        cmd += ["--num-envs", str(args.num_envs)]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(run_dir, "train.log"), "w") as log:
        subprocess.run(cmd, cwd=root, stdout=log, stderr=subprocess.STDOUT, check=True)
    found = [os.path.join(d, "checkpoint.pt") for d, _, files in os.walk(run_dir) if "checkpoint.pt" in files]
    if len(found) != 1:
        raise RuntimeError(f"panel: expected one ppo_warp checkpoint under {run_dir}, found {found}")
    return found[0]


def train_rsl_rl(args: Args, seed: int, run_dir: str, hp: dict) -> str:
    """Train rsl_rl's PPO with ppo_warp's sizes and shared hyperparameters (hp); return the exported policy."""
    from rsl_rl.runners import OnPolicyRunner

    from envs.adapters import to_rsl_rl

    random.seed(seed), np.random.seed(seed), torch.manual_seed(seed)
    venv = to_rsl_rl(envs.make(args.env_id, num_envs=hp["num_envs"], device="cpu", seed=seed))
    model = dict(class_name="MLPModel", hidden_dims=list(hp["hidden"]), activation="tanh", obs_normalization=True)
    cfg = {
        "num_steps_per_env": hp["num_steps"],
        "save_interval": 10**9,
        "obs_groups": {"actor": ["policy"], "critic": ["policy"]},
        "algorithm": dict(
            class_name="PPO",
            num_learning_epochs=hp["update_epochs"],
            num_mini_batches=hp["num_minibatches"],
            learning_rate=hp["learning_rate"],
            gamma=hp["gamma"],
            lam=hp["gae_lambda"],
            desired_kl=hp["desired_kl"],
            clip_param=hp["clip_coef"],
            entropy_coef=hp["ent_coef"],
            value_loss_coef=hp["vf_coef"],
            max_grad_norm=hp["max_grad_norm"],
            use_clipped_value_loss=hp["clip_vloss"],
            normalize_advantage_per_mini_batch=hp["norm_adv"],
            schedule="adaptive" if hp["lr_schedule"] == "adaptive" else "fixed",
        ),  # fmt: skip
        "actor": dict(model, distribution_cfg={"class_name": "GaussianDistribution", "init_std": 1.0}),
        "critic": model,
    }
    iterations = max(1, hp["total_timesteps"] // (hp["num_envs"] * hp["num_steps"]))
    with open(os.path.join(run_dir, "train.log"), "w") as log, contextlib.redirect_stdout(log):
        print(json.dumps({"iterations": iterations, **cfg}, indent=1))
        runner = OnPolicyRunner(venv, cfg, log_dir=None, device="cpu")
        runner.learn(iterations)
    runner.export_policy_to_jit(run_dir, "policy.pt")  # deterministic: the Gaussian's mean
    return os.path.join(run_dir, "policy.pt")


def load_policy(method: str, path: str):
    """Return policy(obs [B, O]) -> actions [B, A], deterministic, for either method's saved policy."""
    if method == "ppo_warp":
        return sim2sim.load_policy(path)[2]
    jit = torch.jit.load(path, map_location="cpu")
    return lambda obs: jit(obs).detach()


# --- labels, one run, the panel ------------------------------------------------------------------------------


def label(ep: dict, perturbation: str | None, nominal_terminated: bool | None) -> str:
    """The failure label of one episode by LABEL_RULES, first match; perturbation None for the nominal column."""
    if ep["end"] == "non_finite" or not (ep["terminated"] or ep["truncated"]):
        return "evaluation"
    if ep["success"] and ep["violations"] == 0:
        return "none"
    if ep["success"] or not ep["terminated"]:
        return "reward"
    if perturbation is not None and nominal_terminated is False:
        if perturbation == "obs_noise":
            return "perception"
        if perturbation == "action_delay":
            return "timing"
        if perturbation in DYNAMICS:
            return "state"
    return "action"


def worst_key(ep: dict) -> tuple:
    """Order of badness: failures (label != none) first, then lower return, then shorter episode."""
    return (ep["label"] == "none", ep["return"], ep["length"])


def run_dir_of(out: str, method: str, seed: int) -> str:
    """The folder of one training run in the evidence folder."""
    return os.path.join(out, "runs", f"{method}_seed{seed}")


def train_args(ckpt_path: str) -> dict:
    """ppo_warp's resolved hyperparameters (its checkpoint's args): rsl_rl gets the same sizes and shared values."""
    return torch.load(ckpt_path, map_location="cpu", weights_only=True)["args"]


def run_one(args: Args, method: str, seed: int) -> dict:
    """Train one (method, seed), evaluate it nominal and perturbed, label the episodes; write and return result.json."""
    run_dir = run_dir_of(args.out, method, seed)
    shutil.rmtree(run_dir, ignore_errors=True)  # an interrupted run starts over
    os.makedirs(run_dir)
    start = time.time()
    if method == "ppo_warp":
        path = train_ppo_warp(args, seed, run_dir)
    elif method == "rsl_rl":
        base = os.path.join(run_dir_of(args.out, "ppo_warp", seed), "result.json")
        if not os.path.exists(base):
            raise SystemExit("panel: rsl_rl takes ppo_warp's sizes from its run of the same seed: list ppo_warp first")
        with open(base) as f:
            path = train_rsl_rl(args, seed, run_dir, train_args(os.path.join(args.out, json.load(f)["policy"])))
    else:
        raise SystemExit(f"panel: unknown method {method!r} (ppo_warp, rsl_rl)")
    train_s = time.time() - start
    policy = load_policy(method, path)
    conditions = {}
    for cond in ("nominal", args.perturbation):
        perturbed = cond != "nominal"
        if args.sim == "gymnasium":
            results = panel_eval.eval_gymnasium(args, CONTRACTS[args.env_id], policy, perturbed)
        else:
            results = panel_eval.eval_warp(
                args, CONTRACTS[args.env_id], policy, perturb_kwargs(args) if perturbed else {}
            )
        conditions[cond] = results
    episodes = []
    for cond, results in conditions.items():
        perturbed = cond != "nominal"
        for i, r in enumerate(results):
            ep = r["ep"]
            nominal_terminated = conditions["nominal"][i]["ep"]["terminated"]
            ep["label"] = label(ep, args.perturbation if perturbed else None, nominal_terminated)
            if cond == "sparse_reward":
                ep["return"] = float(ep["success"])
            episodes.append({"method": method, "seed": seed, "condition": cond, "episode": i, **ep})
        worst = min(range(len(results)), key=lambda i: worst_key(results[i]["ep"]))
        rows = panel_eval.trace_rows(results[worst]["trace"])
        os.makedirs(os.path.join(args.out, "traces"), exist_ok=True)
        with gzip.open(os.path.join(args.out, "traces", f"{method}_seed{seed}_{cond}.csv.gz"), "wt", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    result = {"method": method, "seed": seed, "policy": os.path.relpath(path, args.out)}
    result.update(train_seconds=train_s, eval_seconds=time.time() - start - train_s, episodes=episodes)
    tmp = os.path.join(run_dir, "result.json.tmp")
    with open(tmp, "w") as f:
        json.dump(result, f, indent=1)
    os.replace(tmp, os.path.join(run_dir, "result.json"))  # the run counts as done only once this file exists
    return result


def metrics(runs: list[dict], conditions: list[str]) -> list[dict]:
    """Per (method, condition): mean and std over seeds of the per-seed success rate, return and violations per
    episode; counts of end causes and labels over all episodes. Computed from `runs` alone."""
    out = []
    for method in dict.fromkeys(r["method"] for r in runs):
        for cond in conditions:
            per_seed = {"success": [], "return": [], "violations": []}
            ends, labels = {}, dict.fromkeys(LABELS, 0)
            for r in runs:
                eps = [e for e in r["episodes"] if r["method"] == method and e["condition"] == cond]
                if not eps:
                    continue
                per_seed["success"].append(np.mean([e["success"] for e in eps]))
                per_seed["return"].append(np.mean([e["return"] for e in eps]))
                per_seed["violations"].append(np.mean([e["violations"] for e in eps]))
                for e in eps:
                    ends[e["end"]] = ends.get(e["end"], 0) + 1
                    labels[e["label"]] += 1
            row = {"method": method, "condition": cond, "seeds": len(per_seed["success"])}
            for k, v in per_seed.items():
                row[f"{k}_mean"], row[f"{k}_std"] = float(np.mean(v)), float(np.std(v))
            out.append({**row, "ends": dict(sorted(ends.items())), "labels": labels})
    return out


def postmortem(rows: list[dict], methods: list[str], perturbation: str) -> list[str]:
    """Five sentences filled from the metrics: did the library improve behaviour, diagnostics, or only the score."""
    m = {(r["method"], r["condition"]): r for r in rows}
    if len(methods) < 2:
        return [f"Only {methods[0]} ran: no comparison."] + [""] * 4
    base, lib = methods[0], methods[1]
    b0, l0, b1, l1 = m[base, "nominal"], m[lib, "nominal"], m[base, perturbation], m[lib, perturbation]

    def pm(r, k, fmt=".1f"):
        return f"{r[k + '_mean']:{fmt}} +- {r[k + '_std']:{fmt}}"

    score = l0["return_mean"] - b0["return_mean"]
    behaviour = l0["success_mean"] - b0["success_mean"]
    drop_b, drop_l = b0["success_mean"] - b1["success_mean"], l0["success_mean"] - l1["success_mean"]
    top = {}
    for r in (b1, l1):
        failures = {k: v for k, v in r["labels"].items() if k != "none" and v}
        top[r["method"]] = max(failures, key=failures.get) if failures else "none (no failure)"
    robust = l1["success_mean"] >= b1["success_mean"]
    # a difference within the seeds' spread (mean of the two stds over seeds) is a tie, not an improvement
    better_behaviour = behaviour > 0.5 * (l0["success_std"] + b0["success_std"])
    better_score = score > 0.5 * (l0["return_std"] + b0["return_std"])
    if better_behaviour and l0["violations_mean"] <= b0["violations_mean"]:
        verdict = "improved nominal behaviour (more successes, no more violations)"
        verdict += f", {'and' if robust else 'but not'} under {perturbation} ({l1['success_mean']:.2f} against "
        verdict += f"{b1['success_mean']:.2f} success)"
    elif better_score:
        verdict = "improved only the headline score (higher return without more successes or fewer violations)"
    else:
        verdict = "improved neither the score nor the behaviour beyond the spread over seeds"
    return [
        f"Headline: nominal return {pm(l0, 'return')} for {lib} against {pm(b0, 'return')} for {base} "
        f"({score:+.1f}), over {l0['seeds']} seeds.",
        f"Behaviour: nominal success rate {pm(l0, 'success', '.2f')} for {lib} against {pm(b0, 'success', '.2f')} "
        f"for {base}, with {l0['violations_mean']:.1f} against {b0['violations_mean']:.1f} safety violations per "
        f"episode.",
        f"Under {perturbation}, success fell by {drop_l:.2f} for {lib} and by {drop_b:.2f} for {base}.",
        f"Diagnostics: the most frequent failure label under {perturbation} is '{top[lib]}' for {lib} and "
        f"'{top[base]}' for {base}; labels of the nominal column: {lib} {_nonzero(l0['labels'])}, "
        f"{base} {_nonzero(b0['labels'])}.",
        f"Verdict: against {base}, {lib} {verdict}; a difference within half the summed spread over seeds is a tie.",
    ]


def _nonzero(d: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in d.items() if v) or "-"


def worst_failure(args: Args, runs: list[dict], out: str) -> dict:
    """The lowest-return failure (label != none) of the panel, or the lowest-return episode when none failed;
    writes its per-step trace to worst_failure.csv and renders worst_failure.mp4 from its states."""
    episodes = [e for r in runs for e in r["episodes"]]
    # each (run, condition) kept the trace of its worst episode by the same key, so the panel's worst has one
    worst = min(episodes, key=worst_key)
    name = f"{worst['method']}_seed{worst['seed']}_{worst['condition']}"
    with gzip.open(os.path.join(out, "traces", f"{name}.csv.gz"), "rt", newline="") as f:
        rows = list(csv.DictReader(f))
    write_trace(rows, os.path.join(out, "worst_failure.csv"))
    info = {**worst, "trace": "worst_failure.csv", "video": None}
    if args.video:
        cols = [k for k in rows[0] if k.startswith("state_")]
        states = np.array([[float(r[k]) for k in cols] for r in rows])
        write_video(
            panel_eval.render_states(args.env_id, states),
            os.path.join(out, "worst_failure.mp4"),
            fps=1.0 / panel_eval.control_dt(args.env_id),
        )
        info.update(video="worst_failure.mp4", frames=len(states))
    return info


def validate_record(record: dict) -> None:
    """Raise ValueError naming the first key of `record` that is missing or of the wrong type (RECORD_SCHEMA)."""
    for key, kind in RECORD_SCHEMA.items():
        if not isinstance(record.get(key), kind):
            raise ValueError(f"record[{key!r}] must be {kind.__name__}, got {type(record.get(key)).__name__}")
    for k in ("observation", "action", "reward", "termination", "success", "safety"):
        if not record["contract"].get(k):
            raise ValueError(f"record['contract'] has no {k!r}")
    if len(record["postmortem"]) != 5:
        raise ValueError(f"the postmortem must have 5 sentences, got {len(record['postmortem'])}")
    for r in record["runs"]:
        for e in r["episodes"]:
            missing = [k for k in EPISODE_KEYS if k not in e]
            if missing or e["label"] not in LABELS:
                raise ValueError(f"episode {e} lacks {missing} or has a label outside {LABELS}")


def markdown(record: dict) -> str:
    """The panel's tables and postmortem, readable without rerunning."""
    c, cfg, p = record["contract"], record["config"], record["provenance"]
    lines = [
        f"# Panel: {cfg['env_id']}, {cfg['perturbation']} ({cfg['sim']} evaluation)",
        "",
        "```",
        p["command"],
        "```",
    ]
    lines += ["", f"Commit {p['git_commit']}, {p['date_utc']}, {p['cpu']}. Time: {record['wall_seconds']:.0f} s"]
    lines[-1] += " of training, evaluation and aggregation (summed over runs: a resumed panel counts the runs it kept)."
    lines.append("")
    lines += [f"Versions: {', '.join(f'{k} {v}' for k, v in p['versions'].items())}.", "", "## Task contract", ""]
    lines += [f"- **{k}**: {v}" for k, v in c.items()]
    lines += ["", f"Seeds {cfg['seeds']}, {cfg['eval_episodes']} evaluation episodes per run and condition, "]
    lines[-1] += f"perturbation {cfg['perturbation']} of strength {cfg['strength']}."
    lines.append("")
    lines += ["| method | condition | success rate | return | violations / episode | ends | labels |"]
    lines += ["|---|---|---:|---:|---:|---|---|"]
    for m in record["metrics"]:
        ends = ", ".join(f"{k} {v}" for k, v in m["ends"].items())
        lines.append(
            f"| {m['method']} | {m['condition']} | {m['success_mean']:.2f} +- {m['success_std']:.2f} | "
            f"{m['return_mean']:.1f} +- {m['return_std']:.1f} | {m['violations_mean']:.1f} | {ends} | "
            f"{_nonzero(m['labels'])} |"
        )
    lines += ["", "Mean +- std over seeds of the per-seed mean. Labels (first matching rule):", ""]
    lines += [f"{i + 1}. {rule}" for i, rule in enumerate(record["label_rules"])]
    w = record["worst_failure"]
    lines += ["", f"Worst failure: {w['method']} seed {w['seed']}, {w['condition']}, episode {w['episode']}: "]
    lines[-1] += f"return {w['return']:.1f}, {w['length']} steps, end {w['end']}, label {w['label']} "
    lines[-1] += f"(trace {w['trace']}, video {w['video']})."
    lines += ["", "| method | seed | train s | eval s |", "|---|---:|---:|---:|"]
    lines += [
        f"| {r['method']} | {r['seed']} | {r['train_seconds']:.1f} | {r['eval_seconds']:.1f} |" for r in record["runs"]
    ]
    lines += ["", "## Postmortem", "", " ".join(record["postmortem"])]
    if record.get("second_panel"):
        lines += ["", "## Second panel", "", "See second_panel/panel.md (metrics computed within that panel only)."]
    return "\n".join(lines) + "\n"


def run_panel(args: Args, seeds: tuple[int, ...], out: str) -> dict:
    """Run (or resume) every (method, seed) of one panel into `out`; write its evidence; return its record."""
    start = time.time()
    args = dataclasses.replace(args, seeds=seeds, out=out)
    os.makedirs(out, exist_ok=True)
    cfg = json.loads(json.dumps(dataclasses.asdict(args)))  # tuples as lists, as config.json holds them
    con = contract(args)
    cfg_path = os.path.join(out, "config.json")
    if os.path.exists(cfg_path):
        with open(cfg_path) as f:
            old = json.load(f)["config"]
        fixed = [
            k
            for k in cfg
            if k not in ("seeds", "second_panel", "second_seeds", "video", "out") and old.get(k) != cfg[k]
        ]
        if fixed:
            raise SystemExit(
                f"panel: {out} holds a panel with other {fixed}; resume with the same or use another --out"
            )
    with open(cfg_path, "w") as f:  # the contract and rules are on disk before any training
        json.dump(
            {"config": cfg, "contract": con, "label_rules": LABEL_RULES, "provenance": sim2sim.provenance()},
            f,
            indent=1,
        )
    runs = []
    for seed in seeds:
        for method in args.methods:
            done = os.path.join(run_dir_of(out, method, seed), "result.json")
            if os.path.exists(done):
                print(f"panel: {method} seed {seed} done before, kept", flush=True)
                with open(done) as f:
                    runs.append(json.load(f))
                continue
            print(f"panel: {method} seed {seed}: training and evaluating", flush=True)
            runs.append(run_one(args, method, seed))
    start = time.time()
    conditions = ["nominal", args.perturbation]
    rows = metrics(runs, conditions)
    record = {
        "config": cfg, "contract": con, "label_rules": LABEL_RULES, "provenance": sim2sim.provenance(), "runs": runs,
        "metrics": rows, "worst_failure": worst_failure(args, runs, out),
        "postmortem": postmortem(rows, list(args.methods), args.perturbation),
        "wall_seconds": 0.0,
    }  # fmt: skip
    # the runs' own times (a resumed panel counts the runs it kept) plus this aggregation
    record["wall_seconds"] = float(sum(r["train_seconds"] + r["eval_seconds"] for r in runs) + time.time() - start)
    validate_record(record)
    with open(os.path.join(out, "record.json"), "w") as f:
        json.dump(record, f, indent=1)
    with open(os.path.join(out, "episodes.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[*EPISODE_KEYS, "terminated", "truncated"])
        writer.writeheader()
        writer.writerows({k: e[k] for k in writer.fieldnames} for r in runs for e in r["episodes"])
    with open(os.path.join(out, "metrics.csv"), "w", newline="") as f:
        flat = [{**{k: v for k, v in m.items() if k not in ("ends", "labels")}, **m["labels"]} for m in rows]
        writer = csv.DictWriter(f, fieldnames=list(flat[0]))
        writer.writeheader()
        writer.writerows(flat)
    return record


if __name__ == "__main__":
    args = tyro.cli(Args)
    if args.strength is None:
        args.strength = DEFAULT_STRENGTH[args.perturbation]
    if args.param is None:
        args.param = "pole_mass" if args.env_id == "cartpole" else "mass"
    if args.eval_episodes < 1 or not args.seeds or not args.methods:
        raise SystemExit("panel: need --eval-episodes >= 1, at least one seed and one method")
    if args.sim == "gymnasium" and args.env_id not in sim2sim.GYM_TASKS:
        raise SystemExit(f"panel: no Gymnasium counterpart of {args.env_id!r}")
    torch.set_num_threads(1)
    record = run_panel(args, args.seeds, args.out)
    if args.second_panel:
        second = run_panel(args, args.second_seeds, os.path.join(args.out, "second_panel"))
        with open(os.path.join(args.out, "second_panel", "panel.md"), "w") as f:
            f.write(markdown(second))
        record["second_panel"] = "second_panel/record.json"
        with open(os.path.join(args.out, "record.json"), "w") as f:
            json.dump(record, f, indent=1)
    with open(os.path.join(args.out, "panel.md"), "w") as f:
        f.write(markdown(record))
    print(markdown(record))
