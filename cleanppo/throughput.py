# Throughput profiler: env sweeps, PPO phase breakdown, peers, GPU report, cost. Results: results/throughput/README.md
"""Where the time goes, how cost grows with num_envs, and how it compares with what a user would run instead.

    python cleanppo/throughput.py env   --env-ids cartpole pendulum   # env-only sweep: steps/s, us/step, bytes/env
    python cleanppo/throughput.py train --env-ids cartpole              # ppo_warp's loop, time per phase, SPS
    python cleanppo/throughput.py peers --env-ids cartpole pendulum ant # side by side with Gymnasium, MuJoCo, EnvPool
    python cleanppo/throughput.py gpu                                   # PTX for sm_80/sm_90, ptxas -v, occupancy
    python cleanppo/throughput.py cost  --usd-per-hour 0.10             # $ per billion env steps, hours to N steps
    python cleanppo/throughput.py report                                # PNGs, results/throughput/README.md, section

Every subcommand writes <name>.csv and <name>.json into --out (results/throughput/ by default); the JSON carries the
machine, versions, commit, date, command and load average. Timing: warm-up excluded, Warp's compile time measured
apart (cold kernel cache), the device synchronized before each clock read (CUDA events on a GPU), repeats reported as
median, min and max. The `train` subcommand copies ppo_warp.py's defaults, Agent, Adam, GAE and update verbatim
(CleanRL: scripts do not import each other); to see that the copy is in sync:
    diff <(sed -n '/^# Per-env defaults/,/^def fail/p' cleanppo/ppo_warp.py) \
         <(sed -n '/^# Per-env defaults/,/^def fail/p' cleanppo/throughput.py)
and `diff cleanppo/ppo_warp.py cleanppo/throughput.py` shows the profiling variant of the loop (profile_train).
"""

import collections
import csv
import ctypes
import dataclasses
import gc
import glob
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn as nn
import tyro
import warp as wp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import envs  # noqa: E402
from benchmarks.common import calibrate, provenance, time_repeats, write_json  # noqa: E402

wp.config.quiet = True
OUT = os.path.join(ROOT, "results", "throughput")
PACKAGES = ("warp-lang", "torch", "numpy", "gymnasium", "mujoco", "mujoco-warp", "envpool")


@dataclass
class EnvArgs:
    """env-only sweep over num_envs"""

    env_ids: tuple[str, ...] = ()
    """env ids to sweep (default: every id of envs.list_envs(), so articulated envs join as they land)"""
    num_envs: tuple[int, ...] = (256, 1024, 4096, 16384, 65536)
    """numbers of parallel envs; the sweep stops early when the next size would not fit in memory"""
    device: str = "cpu"
    """Warp device: cpu, cuda:0 or auto"""
    repeats: int = 5
    """timed repeats per point (median, min and max are reported)"""
    seconds: float = 0.5
    """approximate duration of one repeat"""
    cold_cache: bool = True
    """measure each env's compile time in a fresh process and kernel cache: what a new user waits for"""
    max_point_seconds: float = 90.0
    """skip the rest of an env's sweep once a point's measurement is predicted to take longer than this"""
    out: str = OUT
    """folder for env.csv and env.json"""


@dataclass
class TrainArgs:
    """ppo_warp's loop with a per-phase breakdown"""

    env_ids: tuple[str, ...] = ("cartpole",)
    """the ids of the environments to profile (envs.list_envs())"""
    num_envs: tuple[int, ...] = (1024, 4096, 16384)
    """numbers of parallel envs to profile (the other hyperparameters: ppo_warp.py's ENV_DEFAULTS for env_id)"""
    iterations: int = 5
    """timed PPO iterations per num_envs (median, min and max are reported)"""
    warmup_iterations: int = 1
    """untimed iterations first (first launches, allocator warm-up)"""
    seed: int = 1
    """seed of the experiment (torch, numpy, random and the envs)"""
    torch_deterministic: bool = True
    """if toggled, deterministic torch algorithms (cudnn.deterministic, use_deterministic_algorithms on CUDA)"""
    device: str = "cpu"
    """torch and Warp device: cpu, cuda:0 or auto"""
    cuda_graph: bool = True
    """replay the env step as a captured CUDA graph (CUDA only; on CPU a logged no-op)"""
    torch_threads: int = 1
    """torch intra-op threads on CPU (0: torch's default); ppo_warp.py's default is one"""
    max_point_seconds: float = 120.0
    """skip the rest of an env's sweep once a point is predicted to take longer than this"""
    out: str = OUT
    """folder for train.csv and train.json"""

    # Algorithm specific arguments; None means the env's default from ENV_DEFAULTS below
    num_steps: int | None = None
    """the number of steps to run in each environment per rollout"""
    learning_rate: float | None = None
    """the (initial) learning rate of the optimizer"""
    lr_schedule: Literal["adaptive", "anneal", "constant"] = "adaptive"
    """adaptive: rsl_rl's KL-driven rule (lr / 1.5 if kl > 2 desired_kl, x 1.5 if kl < desired_kl / 2, clamped to
    [1e-5, max_learning_rate]); anneal: CleanRL's linear decay to 0; constant"""
    desired_kl: float | None = None
    """the KL divergence the adaptive schedule steers towards"""
    max_learning_rate: float | None = None
    """the upper clamp of the adaptive schedule (rsl_rl: 1e-2)"""
    gamma: float | None = None
    """the discount factor gamma"""
    gae_lambda: float | None = None
    """the lambda for the generalized advantage estimation"""
    num_minibatches: int | None = None
    """the number of mini-batches per epoch"""
    update_epochs: int | None = None
    """the K epochs to update the policy"""
    norm_adv: bool = True
    """toggles advantage normalization (per minibatch)"""
    norm_obs: bool = True
    """toggles running mean/std observation normalization"""
    clip_coef: float | None = None
    """the surrogate clipping coefficient"""
    clip_vloss: bool = False
    """toggles whether or not to use a clipped loss for the value function, as per the paper (off: CleanRL Isaac Gym)"""
    ent_coef: float | None = None
    """coefficient of the entropy"""
    vf_coef: float | None = None
    """coefficient of the value function"""
    max_grad_norm: float | None = None
    """the maximum norm for the global gradient clipping"""
    hidden: tuple[int, ...] | None = None
    """hidden layer sizes of the actor and of the critic (two separate tanh MLPs)"""
    init_log_std: float | None = None
    """initial log standard deviation of the Gaussian policy (state independent)"""
    reward_scale: float | None = None
    """rewards are multiplied by this for learning (CleanRL Isaac Gym's reward_scaler); returns are logged unscaled"""

    # to be filled in runtime
    batch_size: int = 0
    """the batch size (computed in runtime)"""
    minibatch_size: int = 0
    """the mini-batch size (computed in runtime)"""
    num_iterations: int = 0
    """warmup_iterations + iterations (computed in runtime)"""
    env_id: str = ""
    """the env of one profiled run (set in runtime from env_ids)"""


@dataclass
class PeersArgs:
    """the same env-only work side by side with what a user would run instead"""

    env_ids: tuple[str, ...] = ("cartpole", "pendulum", "ant")
    """tasks: cartpole and pendulum (Warp env vs Gymnasium, EnvPool), ant (Gymnasium MuJoCo, MuJoCo C, mujoco_warp)"""
    num_envs: tuple[int, ...] = (256, 1024, 16384)
    """numbers of parallel envs to measure"""
    repeats: int = 5
    """timed repeats per entry (median, min and max are reported)"""
    seconds: float = 0.5
    """approximate duration of one repeat"""
    sync_max_envs: int = 16384
    """largest num_envs for Gymnasium's sync vector envs of classic control (one Python object per env)"""
    mujoco_max_envs: int = 1024
    """largest num_envs for the Ant peers that step one env at a time (Gymnasium Ant, mj_step loop, EnvPool)"""
    mjwarp_max_envs: int = 256
    """largest num_envs for mujoco_warp on a CPU device (a few ms per world-step there)"""
    out: str = OUT
    """folder for peers.csv and peers.json"""


@dataclass
class GpuArgs:
    """static GPU report: Warp modules to PTX, ptxas -v, theoretical occupancy"""

    archs: tuple[int, ...] = (80, 90)
    """compute capabilities to compile for (80: A100, 90: H100)"""
    block_dim: int = 256
    """threads per block, Warp's default launch block size"""
    modules: tuple[str, ...] = ()
    """only the modules whose name contains one of these strings (default: every module of envs/ and kernels/)"""
    out: str = OUT
    """folder for gpu.csv and gpu.json"""


@dataclass
class CostArgs:
    """dollars per billion env steps and hours to N steps from measured throughput"""

    usd_per_hour: float = 0.10
    """price of the machine that produced the measurements, USD per hour (default: an assumed 2-vCPU cloud VM)"""
    target_steps: tuple[float, ...] = (1e8, 1e9, 1e10)
    """env-step budgets to report hours and dollars for"""
    steps_per_s: float | None = None
    """a throughput to price directly; by default the best measured point of each env in env.csv and train.csv"""
    out: str = OUT
    """folder holding env.csv / train.csv, and where cost.csv and cost.json go"""


@dataclass
class ReportArgs:
    """figures, the markdown record and the README section, from the CSVs"""

    out: str = OUT
    """folder holding the CSV/JSON of the other subcommands; PNGs and README.md are written here"""
    section: str = os.path.join(ROOT, "results", "README_throughput_section.md")
    """path of the README section (table, scaling, cost, H100 projection) the lead merges into README.md"""


# --- shared helpers: provenance, device clocks, memory, progress, files ------------------------------------------


def record_header(notes: str) -> dict:
    """Machine, versions, commit, date, command and load average (benchmarks/common.provenance) plus notes."""
    rec = provenance(*PACKAGES)
    rec["command"] = " ".join([".venv/bin/python", os.path.relpath(os.path.abspath(sys.argv[0]), ROOT), *sys.argv[1:]])
    rec["notes"] = notes
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "cleanppo/throughput.py"], cwd=ROOT).returncode
    rec["throughput_py_dirty"] = bool(dirty)
    return rec


def device_sync(device: str):
    """The function that waits for all work on `device` (Warp and torch), called before reading any clock."""
    if str(device).startswith("cuda"):
        return lambda: (wp.synchronize_device(device), torch.cuda.synchronize(device))
    return lambda: wp.synchronize_device(device)


def time_steps(fn, device: str, repeats: int, seconds: float, warmup: int = 3) -> dict:
    """Warm fn up (excluded), then median/min/max seconds per call over repeats of ~`seconds` each.

    CPU: wall clock between device synchronizations (benchmarks/common.time_repeats). CUDA: CUDA events on the
    current stream, read after a synchronize."""
    sync = device_sync(device)
    for _ in range(warmup):
        fn()
    steps = calibrate(fn, seconds, sync)
    if not str(device).startswith("cuda"):
        return {"steps_per_repeat": steps, **time_repeats(fn, steps, repeats, sync)}
    per_call = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        sync()
        start.record()
        for _ in range(steps):
            fn()
        end.record()
        sync()
        per_call.append(start.elapsed_time(end) / 1e3 / steps)
    return {
        "steps_per_repeat": steps,
        "median_s": float(np.median(per_call)),
        "min_s": min(per_call),
        "max_s": max(per_call),
    }


def rss_bytes() -> int:
    """Resident set size of this process now (Linux /proc; 0 elsewhere), after handing freed heap pages back to the
    OS (glibc malloc_trim), so that memory a previous env released does not hide the next env's growth."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def available_bytes(device: str) -> int:
    """Memory still free for new arrays on `device`: MemAvailable on CPU, free device memory on CUDA."""
    if str(device).startswith("cuda"):
        return int(wp.get_device(device).free_memory)
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable"):
                return int(line.split()[1]) * 1024
    return 2**40


def warp_bytes(obj, depth: int = 2, seen: set | None = None) -> int:
    """Bytes of every Warp array an object owns (sum of `capacity`), following attributes `depth` levels deep, so
    arrays held by a member (an env's Simulator) count; each allocation counted once."""
    seen = set() if seen is None else seen
    total = 0
    for v in vars(obj).values() if hasattr(obj, "__dict__") else ():
        if isinstance(v, wp.array):
            if v.ptr is not None and v.ptr not in seen and v.capacity:
                seen.add(v.ptr)
                total += int(v.capacity)
        elif depth > 0 and hasattr(v, "__dict__") and not isinstance(v, (type, torch.Tensor, nn.Module)):
            total += warp_bytes(v, depth - 1, seen)
    return total


def progress(items, desc: str):
    """A progress bar on stderr for a sweep: `desc [####......] 3/8 label`."""
    items = list(items)
    for i, item in enumerate(items):
        bar = "#" * round(20 * i / len(items))
        print(f"\r{desc} [{bar:20s}] {i}/{len(items)} {str(item)[:40]:40s}", end="", file=sys.stderr, flush=True)
        yield item
    print(f"\r{desc} [{'#' * 20}] {len(items)}/{len(items)}{' ' * 41}", file=sys.stderr, flush=True)


def write_rows(out: str, name: str, record: dict, rows: list[dict], keys: list[str]) -> None:
    """<out>/<name>.json (record + rows) and <out>/<name>.csv (the given columns)."""
    record["rows"] = rows
    write_json(os.path.join(out, f"{name}.json"), record)
    with open(os.path.join(out, f"{name}.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {os.path.join(out, name)}.csv and .json")


def read_csv(out: str, name: str) -> list[dict]:
    """Rows of <out>/<name>.csv with numbers parsed ([] when the file is absent)."""
    path = os.path.join(out, f"{name}.csv")
    if not os.path.exists(path):
        return []
    rows = []
    with open(path) as f:
        for r in csv.DictReader(f):
            for k, v in r.items():
                try:
                    r[k] = None if v in ("", None) else int(v) if re.fullmatch(r"-?\d+", v) else float(v)
                except ValueError:
                    pass
            rows.append(r)
    return rows


# --- env: env-only sweep -----------------------------------------------------------------------------------------


COMPILE_PROBE = """
import sys, time
import warp as wp
wp.config.kernel_cache_dir, wp.config.quiet = sys.argv[2], True
wp.init()
import envs
t0 = time.perf_counter()
envs.make(sys.argv[1], num_envs=1, device=sys.argv[3], validate=False)
wp.synchronize_device(sys.argv[3])
print(time.perf_counter() - t0)
"""


def cold_compile_seconds(env_id: str, device: str) -> float:
    """Seconds of the first envs.make(env_id) in a new process with an empty kernel cache (build + load of every
    Warp module the env uses; Python imports excluded), so envs measured earlier leave nothing compiled."""
    with tempfile.TemporaryDirectory(prefix="warp_cache_") as cache:
        cmd = [sys.executable, "-c", COMPILE_PROBE, env_id, cache, device]
        res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    return float(res.stdout.split()[-1])


def env_sweep(args: EnvArgs) -> None:
    wp.init()
    torch.set_num_threads(1)  # the random actions are made once; one core, as every Warp CPU launch
    device = envs.resolve_device(args.device)
    if device.startswith("cuda"):  # Warp launches on torch's stream, so CUDA events on that stream time both
        wp.set_stream(wp.stream_from_torch(torch.cuda.current_stream(device)), device=device)
    record = record_header(
        "Full step API (action checks off: validate=False, as ppo_warp.py runs it), random actions fixed per run. "
        "compile_s: first envs.make of the env with num_envs=1 in a new process with an empty kernel cache (every "
        "module the env uses built and loaded; imports excluded). "
        "warp_bytes_per_env: Warp arrays the env owns (sum of capacity) / num_envs; rss_bytes_per_env: process RSS "
        "growth from before envs.make to after warm-up, / num_envs. On CPU a Warp launch runs on one core."
    )
    record["device"] = device
    rows = []
    points = [(e, n) for e in args.env_ids or envs.list_envs() for n in args.num_envs]
    compile_s, stopped = {}, set()
    for env_id, n in progress(points, "env"):
        if env_id in stopped:
            continue
        if env_id not in compile_s:
            compile_s[env_id] = cold_compile_seconds(env_id, device) if args.cold_cache else float("nan")
        prev = [r for r in rows if r["env"] == env_id]
        need = prev[-1]["warp_bytes_per_env"] * n * 3 if prev else 0  # env + torch views + headroom
        if need > available_bytes(device):
            print(f"\n{env_id}: stopping before num_envs={n}: ~{need / 2**30:.1f} GiB would not fit", file=sys.stderr)
            stopped.add(env_id)
            continue
        # warm-up, calibration and repeats take about (5 + 2 * repeats) steps of at least args.seconds / 2 each
        predicted = prev[-1]["median_s"] * n / prev[-1]["num_envs"] * (5 + 2 * args.repeats) if prev else 0.0
        if predicted > max(args.max_point_seconds, args.seconds * args.repeats * 2):
            print(f"\n{env_id}: stopping before num_envs={n}: ~{predicted:.0f} s to measure", file=sys.stderr)
            stopped.add(env_id)
            continue
        rss0 = rss_bytes()
        try:
            t0 = time.perf_counter()
            env = envs.make(env_id, num_envs=n, device=device, seed=0, validate=False)
            wp.synchronize_device(device)
            make_s = time.perf_counter() - t0
            actions = torch.rand(n, env.num_actions, device=env.actions.device) * 2 - 1
            t0 = time.perf_counter()
            env.step(actions)
            wp.synchronize_device(device)
            first_step_s = time.perf_counter() - t0
            timing = time_steps(lambda env=env, a=actions: env.step(a), device, args.repeats, args.seconds)
        except (MemoryError, RuntimeError) as e:
            print(f"\n{env_id}: stopping at num_envs={n}: {e}", file=sys.stderr)
            stopped.add(env_id)
            continue
        wbytes = warp_bytes(env)
        row = dict(
            env=env_id,
            num_envs=n,
            device=device,
            steps_per_s=n / timing["median_s"],
            steps_per_s_min=n / timing["max_s"],
            steps_per_s_max=n / timing["min_s"],
            us_per_step=timing["median_s"] * 1e6,
            ns_per_env_step=timing["median_s"] / n * 1e9,
            **timing,
            compile_s=compile_s[env_id],
            make_s=make_s,
            first_step_s=first_step_s,
            warp_bytes=wbytes,
            warp_bytes_per_env=wbytes / n,
            rss_bytes_per_env=max(rss_bytes() - rss0, 0) / n,
            num_obs=env.num_obs,
            num_actions=env.num_actions,
            articulated=getattr(env, "sim", None) is not None,
        )
        rows.append(row)
        del env, actions
    record["loadavg_at_end"] = os.getloadavg()
    keys = [
        "env",
        "num_envs",
        "device",
        "steps_per_s",
        "steps_per_s_min",
        "steps_per_s_max",
        "us_per_step",
        "ns_per_env_step",
        "median_s",
        "min_s",
        "max_s",
        "steps_per_repeat",
        "compile_s",
        "make_s",
        "first_step_s",
        "warp_bytes",
        "warp_bytes_per_env",
        "rss_bytes_per_env",
        "articulated",
    ]
    for r in rows:
        print(f"{r['env']}.{r['num_envs']}.steps_per_s {r['steps_per_s']:.4g}  us_per_step {r['us_per_step']:.1f}")
    write_rows(args.out, "env", record, rows, keys)


# --- train: ppo_warp.py's loop with a per-phase breakdown -------------------------------------------------------
# From here to `profile_train`, the code is ppo_warp.py's, verbatim (keep in sync: diff the two files).

# Per-env defaults, chosen for a 2-core CPU, where the policy network and not the env is the cost, by sweeps over
# 4-7 seeds (results/ppo_cartpole.md, results/ppo_pendulum.md). Taken from: gamma 0.98 for cartpole, the RL Zoo's
# tuned PPO (rl-baselines3-zoo hyperparams/ppo.yml, CartPole-v1); desired_kl 0.01, clip 0.2, lr 1e-3 clamped to
# [1e-5, 1e-2], 5 epochs and the adaptive schedule, rsl_rl (legged_gym's PPO config); no value clipping, CleanRL
# Isaac Gym's default; orthogonal init and Adam eps 1e-5, CleanRL. Measured here: 32x32 networks need no more env
# steps than 64x64 at about half the cost; cartpole reached 475 in 7 of 7 seeds with 64 envs x 32 steps and lambda
# 0.9 (the Zoo's 0.8 with 128 x 16: 4 of 5); pendulum reached -200 in 5 of 5 with gamma 0.95, lambda 0.9,
# desired_kl 0.02 (0.01: 0 of 4) and rewards scaled by 0.1 (64x64 networks: 0 of 4 within 130k steps).
# fmt: off
_COMMON = dict(learning_rate=1e-3, max_learning_rate=1e-2, clip_coef=0.2, ent_coef=0.0, vf_coef=0.5,
               max_grad_norm=1.0, init_log_std=0.0)
ENV_DEFAULTS = {
    "cartpole": dict(_COMMON, total_timesteps=200_000, num_envs=64, num_steps=32, num_minibatches=2, update_epochs=5,
                     hidden=(32, 32), gamma=0.98, gae_lambda=0.9, desired_kl=0.01, reward_scale=1.0),
    "pendulum": dict(_COMMON, total_timesteps=200_000, num_envs=128, num_steps=16, num_minibatches=4, update_epochs=5,
                     hidden=(32, 32), gamma=0.95, gae_lambda=0.9, desired_kl=0.02, reward_scale=0.1),
    # any other env: rsl_rl's legged_gym PPO (24 steps, 5 epochs x 4 minibatches, gamma 0.99, lambda 0.95, entropy
    # 0.01, value coefficient 1.0, [256, 128, 64] hidden units as its smaller configs) with Isaac Gym's 4096 envs
    "default": dict(_COMMON, total_timesteps=50_000_000, num_envs=4096, num_steps=24, num_minibatches=4,
                    update_epochs=5, hidden=(256, 128, 64), gamma=0.99, gae_lambda=0.95, desired_kl=0.01,
                    reward_scale=1.0, ent_coef=0.01, vf_coef=1.0),
}
# fmt: on


def make_env(args: TrainArgs, device: torch.device, num_envs: int | None = None, seed: int | None = None):
    # validate=False: the env's per-step NaN-action check is a host sync; observations are checked per iteration
    return envs.make(
        args.env_id,
        num_envs=num_envs or args.num_envs,
        device=str(device),
        seed=args.seed if seed is None else seed,
        validate=False,
    )


def layer_init(layer: nn.Linear, std: float = np.sqrt(2), bias_const: float = 0.0) -> nn.Linear:
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


def mlp(sizes: list[int], out_std: float) -> nn.Sequential:
    layers = []
    for i in range(len(sizes) - 1):
        last = i == len(sizes) - 2
        layers.append(layer_init(nn.Linear(sizes[i], sizes[i + 1]), std=out_std if last else np.sqrt(2)))
        if not last:
            layers.append(nn.Tanh())
    return nn.Sequential(*layers)


LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


class Agent(nn.Module):
    """Gaussian policy with a state-independent log std, and a separate value network."""

    def __init__(self, num_obs: int, num_actions: int, hidden: tuple[int, ...], init_log_std: float):
        super().__init__()
        self.critic = mlp([num_obs, *hidden, 1], out_std=1.0)
        self.actor_mean = mlp([num_obs, *hidden, num_actions], out_std=0.01)
        self.actor_logstd = nn.Parameter(torch.full((1, num_actions), float(init_log_std)))

    def get_value(self, x: torch.Tensor) -> torch.Tensor:
        return self.critic(x).squeeze(-1)

    def get_action_and_value(self, x: torch.Tensor, action: torch.Tensor | None = None):
        """Return action, log prob, entropy, value and the action mean; samples an action when none is given."""
        mean = self.actor_mean(x)
        logstd = self.actor_logstd.expand_as(mean)
        if action is None:
            noise = torch.randn_like(mean)
            action = mean + noise * logstd.exp()
        else:
            noise = (action - mean) * (-logstd).exp()
        logprob = (-0.5 * noise.square() - logstd - LOG_SQRT_2PI).sum(-1)
        entropy = (0.5 + LOG_SQRT_2PI + logstd).sum(-1)
        return action, logprob, entropy, self.get_value(x), mean


class Adam:
    """Adam as torch.optim.Adam computes it (eps outside the square root, bias-corrected), written out because
    torch.optim imports torch._dynamo on first use: 1.0 s here, a fifth of cartpole's whole time budget."""

    def __init__(self, params, lr: float, eps: float = 1e-5, betas: tuple[float, float] = (0.9, 0.999)):
        self.params, self.lr, self.eps, self.betas = list(params), lr, eps, betas
        self.t = 0
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def clip_grad_norm_(self, max_norm: float) -> torch.Tensor:
        """Scale all gradients so that their global norm is at most max_norm; return the norm before clipping."""
        grads = [p.grad for p in self.params]
        norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
        torch._foreach_mul_(grads, (max_norm / (norm + 1e-6)).clamp(max=1.0))
        return norm

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        beta1, beta2 = self.betas
        grads = [p.grad for p in self.params]
        # one op per line over all parameters (torch._foreach_*), as torch.optim.Adam's foreach path
        torch._foreach_lerp_(self.exp_avg, grads, 1.0 - beta1)
        torch._foreach_mul_(self.exp_avg_sq, beta2)
        torch._foreach_addcmul_(self.exp_avg_sq, grads, grads, value=1.0 - beta2)
        denom = torch._foreach_sqrt(self.exp_avg_sq)
        torch._foreach_div_(denom, math.sqrt(1.0 - beta2**self.t))
        torch._foreach_add_(denom, self.eps)
        torch._foreach_addcdiv_(self.params, self.exp_avg, denom, value=-self.lr / (1.0 - beta1**self.t))

    def state_dict(self) -> dict:
        return {"lr": self.lr, "t": self.t, "exp_avg": self.exp_avg, "exp_avg_sq": self.exp_avg_sq}

    def load_state_dict(self, state: dict) -> None:
        self.lr, self.t = state["lr"], state["t"]
        for mine, saved in zip(self.exp_avg + self.exp_avg_sq, state["exp_avg"] + state["exp_avg_sq"], strict=True):
            mine.copy_(saved)


class RunningMeanStd(nn.Module):
    """Running mean and variance of observations on the device, merged per batch (Chan et al.'s parallel update,
    as in SB3's RunningMeanStd and rsl_rl's EmpiricalNormalization). Buffers, so they are in the checkpoint."""

    def __init__(self, shape: int, clip: float = 10.0):
        super().__init__()
        self.clip = clip
        self.register_buffer("mean", torch.zeros(shape, dtype=torch.float64))
        self.register_buffer("var", torch.ones(shape, dtype=torch.float64))
        self.register_buffer("count", torch.tensor(1e-4, dtype=torch.float64))

    def update(self, x: torch.Tensor) -> None:
        x = x.reshape(-1, x.shape[-1]).double()
        batch_mean, batch_var, n = x.mean(0), x.var(0, unbiased=False), x.shape[0]
        delta, total = batch_mean - self.mean, self.count + n
        m2 = self.var * self.count + batch_var * n + delta.square() * self.count * n / total
        self.mean += delta * n / total
        self.var.copy_(m2 / total)
        self.count.copy_(total)

    def frozen(self) -> tuple[torch.Tensor, torch.Tensor]:
        """float32 (mean, 1/std) used unchanged for a whole rollout, so stored and recomputed inputs agree."""
        return self.mean.float(), (self.var + 1e-8).rsqrt().float()


def normalize(x: torch.Tensor, mean: torch.Tensor, inv_std: torch.Tensor, clip: float) -> torch.Tensor:
    return ((x - mean) * inv_std).clamp_(-clip, clip)


def compute_gae(rewards, values, terminated, truncated, final_values, next_value, gamma, gae_lambda):
    """Generalized advantage estimation over a rollout of T steps (tensors [T, N]; next_value [N]).

    An episode that ended at step t cuts the recursion there. A truncated (time-limit) one is bootstrapped with
    the value of its last observation, folded into the reward as rsl_rl does: r_t + gamma * V(final_obs_t).
    Termination takes precedence when both flags are set."""
    bootstrap = truncated & ~terminated
    rewards = rewards + gamma * torch.where(bootstrap, final_values, torch.zeros_like(final_values))
    not_done = 1.0 - (terminated | truncated).float()
    advantages = torch.zeros_like(rewards)
    lastgaelam = torch.zeros_like(next_value)
    num_steps = rewards.shape[0]
    for t in reversed(range(num_steps)):
        next_values = next_value if t == num_steps - 1 else values[t + 1]
        delta = rewards[t] + gamma * next_values * not_done[t] - values[t]
        lastgaelam = delta + gamma * gae_lambda * not_done[t] * lastgaelam
        advantages[t] = lastgaelam
    return advantages, advantages + values


def fail(message: str) -> None:
    sys.exit(f"{os.path.basename(__file__)}: error: {message}")


PHASES = ("env_step", "policy", "storage", "gae", "update", "logging")


def profile_train(args: TrainArgs) -> dict:
    """One ppo_warp.py run of args.num_iterations iterations at args.num_envs, timed per phase (the profiling
    variant: the device is synchronized at every phase boundary, so phases do not overlap; checkpoints, the
    progress CSV and the console lines are left out)."""
    # TRY NOT TO MODIFY: seeding
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.backends.cudnn.deterministic = args.torch_deterministic
    if args.torch_threads > 0:
        torch.set_num_threads(args.torch_threads)
    device = torch.device(envs.resolve_device(args.device))
    if args.torch_deterministic and device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
    sync = device_sync(str(device))

    def last_good() -> str:
        return "no checkpoint: a profiling run"

    # env setup; on CUDA, torch and Warp share one stream, on which the env step is captured once as a graph
    use_graph = args.cuda_graph and device.type == "cuda"
    if device.type == "cuda":
        torch.cuda.set_stream(torch.cuda.Stream(device))
        wp.set_stream(wp.stream_from_torch(torch.cuda.current_stream(device)), device=str(device))
    t_make = time.perf_counter()
    env = make_env(args, device)
    sync()
    make_s = time.perf_counter() - t_make
    env_step = env.step
    if use_graph:
        with wp.ScopedCapture(device=str(device)) as capture:
            graph_out = env.step(env.actions)  # captured, not run: the graph reads the actions from env.actions

        def env_step(action):
            env.actions.copy_(action)
            wp.capture_launch(capture.graph)
            return graph_out

    from torch.utils.tensorboard import SummaryWriter  # imported late: it costs 0.3 s that the env setup overlaps

    log_dir = tempfile.mkdtemp(prefix="throughput_tb_")
    writer = SummaryWriter(log_dir)

    agent = Agent(env.num_obs, env.num_actions, args.hidden, args.init_log_std).to(device)
    optimizer = Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)
    obs_rms = RunningMeanStd(env.num_obs).to(device)

    # ALGO Logic: storage setup, preallocated on the device
    T, N, O, A = args.num_steps, args.num_envs, env.num_obs, env.num_actions
    obs = torch.zeros((T, N, O), device=device)
    final_obs = torch.zeros((T, N, O), device=device)
    actions = torch.zeros((T, N, A), device=device)
    mus = torch.zeros((T, N, A), device=device)
    logprobs = torch.zeros((T, N), device=device)
    rewards = torch.zeros((T, N), device=device)
    terminateds = torch.zeros((T, N), dtype=torch.bool, device=device)
    truncateds = torch.zeros((T, N), dtype=torch.bool, device=device)
    values = torch.zeros((T, N), device=device)
    ep_returns = torch.zeros((T, N), device=device)
    ep_lengths = torch.zeros((T, N), device=device)
    storage = (obs, final_obs, actions, mus, logprobs, rewards, terminateds, truncateds, values, ep_returns, ep_lengths)
    storage_bytes = sum(x.numel() * x.element_size() for x in storage)

    # TRY NOT TO MODIFY: start the game
    global_step, start_iteration = 0, 1
    recent_returns = collections.deque(maxlen=20)  # the last 20 finished episodes, the threshold measure
    next_obs_buf = torch.zeros((N, O), device=device)
    next_obs_buf.copy_(env.reset(seed=args.seed))

    per_iteration = []  # seconds per phase and in total, one dict per iteration
    for iteration in range(start_iteration, args.num_iterations + 1):
        sync()
        iteration_start = time.perf_counter()
        phase = dict.fromkeys(PHASES, 0.0)
        if args.lr_schedule == "anneal":
            optimizer.lr = (1.0 - (iteration - 1.0) / args.num_iterations) * args.learning_rate
        obs_mean, obs_inv_std = obs_rms.frozen() if args.norm_obs else (torch.zeros(O), torch.ones(O))
        obs_mean, obs_inv_std = obs_mean.to(device), obs_inv_std.to(device)

        # rollout: no host sync in ppo_warp.py; here one per phase boundary to attribute the time
        for step in range(T):
            t0 = time.perf_counter()
            with torch.no_grad():
                x = normalize(next_obs_buf, obs_mean, obs_inv_std, obs_rms.clip)
                action, logprob, _, value, mu = agent.get_action_and_value(x)
            sync()
            t1 = time.perf_counter()
            next_obs, reward, terminated, truncated, info = env_step(action)
            sync()
            t2 = time.perf_counter()
            obs[step] = next_obs_buf
            values[step] = value
            actions[step] = action
            mus[step] = mu
            logprobs[step] = logprob
            next_obs_buf.copy_(next_obs)
            rewards[step] = reward
            terminateds[step] = terminated
            truncateds[step] = truncated
            final_obs[step] = info["final_obs"]
            ep_returns[step] = info["episode_return"]
            ep_lengths[step] = info["episode_length"]
            sync()
            t3 = time.perf_counter()
            phase["policy"] += t1 - t0
            phase["env_step"] += t2 - t1
            phase["storage"] += t3 - t2
        global_step += T * N
        check_start = time.perf_counter()  # ppo_warp.py's one host read of the rollout, counted as logging
        if not bool(torch.isfinite(obs).all() & torch.isfinite(final_obs).all() & torch.isfinite(next_obs_buf).all()):
            bad = torch.nonzero(~torch.isfinite(torch.cat([obs, final_obs, next_obs_buf[None]])))[0].tolist()
            fail(
                f"non-finite observation in the rollout of iteration {iteration} ([step, env, index] = {bad}; "
                f"steps {T}..{2 * T - 1}: final observations, {2 * T}: the last one); {last_good()}"
            )
        phase["logging"] += time.perf_counter() - check_start

        # bootstrap value if not done; a time-limit truncation is bootstrapped from the episode's final observation
        update_start = time.perf_counter()
        with torch.no_grad():
            b_obs = normalize(obs.reshape(-1, O), obs_mean, obs_inv_std, obs_rms.clip)
            final_values = agent.get_value(normalize(final_obs, obs_mean, obs_inv_std, obs_rms.clip))
            next_value = agent.get_value(normalize(next_obs_buf, obs_mean, obs_inv_std, obs_rms.clip))
            advantages, returns = compute_gae(
                rewards * args.reward_scale, values, terminateds, truncateds, final_values, next_value, args.gamma,
                args.gae_lambda,
            )  # fmt: skip
        if args.norm_obs:
            obs_rms.update(obs)
        sync()
        phase["gae"] = time.perf_counter() - update_start
        update_start = time.perf_counter()

        # flatten the batch
        b_logprobs = logprobs.reshape(-1)
        b_actions = actions.reshape(-1, A)
        b_mus = mus.reshape(-1, A)
        b_advantages = advantages.reshape(-1)
        b_returns = returns.reshape(-1)
        b_values = values.reshape(-1)
        old_std = agent.actor_logstd.detach().exp()

        # Optimizing the policy and value network
        clipfracs, kls = [], []
        for epoch in range(args.update_epochs):
            b_inds = torch.randperm(args.batch_size, device=device)
            for start in range(0, args.batch_size, args.minibatch_size):
                mb_inds = b_inds[start : start + args.minibatch_size]
                _, newlogprob, entropy, newvalue, newmu = agent.get_action_and_value(b_obs[mb_inds], b_actions[mb_inds])
                logratio = newlogprob - b_logprobs[mb_inds]
                ratio = logratio.exp()
                with torch.no_grad():
                    # KL(old || new) of the two Gaussians in closed form, as rsl_rl computes it for its schedule
                    new_std = agent.actor_logstd.exp()
                    kl = (
                        torch.log(new_std / old_std)
                        + (old_std.square() + (b_mus[mb_inds] - newmu).square()) / (2.0 * new_std.square())
                        - 0.5
                    ).sum(-1)
                    clipfracs.append(((ratio - 1.0).abs() > args.clip_coef).float().mean())

                mb_advantages = b_advantages[mb_inds]
                if args.norm_adv:
                    mb_advantages = (mb_advantages - mb_advantages.mean()) / (mb_advantages.std() + 1e-8)

                # Policy loss
                pg_loss1 = -mb_advantages * ratio
                pg_loss2 = -mb_advantages * torch.clamp(ratio, 1 - args.clip_coef, 1 + args.clip_coef)
                pg_loss = torch.max(pg_loss1, pg_loss2).mean()

                # Value loss
                if args.clip_vloss:
                    v_loss_unclipped = (newvalue - b_returns[mb_inds]) ** 2
                    v_clipped = b_values[mb_inds] + torch.clamp(
                        newvalue - b_values[mb_inds], -args.clip_coef, args.clip_coef
                    )
                    v_loss_clipped = (v_clipped - b_returns[mb_inds]) ** 2
                    v_loss = 0.5 * torch.max(v_loss_unclipped, v_loss_clipped).mean()
                else:
                    v_loss = 0.5 * ((newvalue - b_returns[mb_inds]) ** 2).mean()

                entropy_loss = entropy.mean()
                loss = pg_loss - args.ent_coef * entropy_loss + v_loss * args.vf_coef

                optimizer.zero_grad()
                loss.backward()
                grad_norm = optimizer.clip_grad_norm_(args.max_grad_norm)
                # one host read per minibatch, in the update only: the finiteness check and the KL rule need it
                kl_mean, loss_value, grad_value = torch.stack([kl.mean(), loss.detach(), grad_norm]).tolist()
                kls.append(kl_mean)
                where = f"at iteration {iteration} (epoch {epoch + 1}, minibatch {start // args.minibatch_size + 1})"
                if not math.isfinite(loss_value):
                    fail(f"non-finite loss {loss_value} {where}; {last_good()}")
                if not math.isfinite(grad_value):
                    fail(f"non-finite gradient (norm {grad_value}) {where}; {last_good()}")
                if args.lr_schedule == "adaptive":  # rsl_rl's rule, applied before the step as rsl_rl does
                    if kl_mean > args.desired_kl * 2.0:
                        optimizer.lr = max(1e-5, optimizer.lr / 1.5)
                    elif 0.0 < kl_mean < args.desired_kl / 2.0:
                        optimizer.lr = min(args.max_learning_rate, optimizer.lr * 1.5)
                optimizer.step()

        sync()
        phase["update"] = time.perf_counter() - update_start

        # logging: the episode statistics leave the device here, once per iteration
        logging_start = time.perf_counter()
        done_mask = terminateds | truncateds
        finished_returns = ep_returns[done_mask].cpu().numpy()
        finished_lengths = ep_lengths[done_mask].cpu().numpy()
        recent_returns.extend(finished_returns.tolist())
        mean_recent = float(np.mean(recent_returns)) if recent_returns else float("nan")
        mean_finished = float(finished_returns.mean()) if len(finished_returns) else float("nan")
        y_pred, y_true = b_values.cpu().numpy(), b_returns.cpu().numpy()
        var_y = np.var(y_true)
        explained_var = np.nan if var_y == 0 else 1 - np.var(y_true - y_pred) / var_y
        sps = int(T * N / (time.perf_counter() - iteration_start))
        action_std = agent.actor_logstd.exp().mean().item()
        scalars = {
            "charts/episodic_return_last20": mean_recent,
            "charts/learning_rate": optimizer.lr,
            "charts/action_std": action_std,
            "charts/SPS": sps,
            "losses/value_loss": v_loss.item(),
            "losses/policy_loss": pg_loss.item(),
            "losses/entropy": entropy_loss.item(),
            "losses/approx_kl": float(np.mean(kls)),
            "losses/clipfrac": torch.stack(clipfracs).mean().item(),
            "losses/explained_variance": explained_var,
        }
        if len(finished_returns):
            scalars["charts/episodic_return"] = mean_finished
            scalars["charts/episodic_length"] = float(finished_lengths.mean())
        for name, value in scalars.items():
            writer.add_scalar(name, value, global_step)
        sync()
        phase["logging"] += time.perf_counter() - logging_start
        phase["total"] = time.perf_counter() - iteration_start
        per_iteration.append(phase)

    writer.close()
    shutil.rmtree(log_dir, ignore_errors=True)
    timed = per_iteration[args.warmup_iterations :]
    sps_all = [T * N / p["total"] for p in timed]
    row = dict(
        env=args.env_id,
        num_envs=N,
        num_steps=T,
        device=str(device),
        iterations=len(timed),
        sps=float(np.median(sps_all)),
        sps_min=min(sps_all),
        sps_max=max(sps_all),
        make_s=make_s,
        warmup_iteration_s=sum(p["total"] for p in per_iteration[: args.warmup_iterations]),
        storage_bytes_per_env=storage_bytes / N,
        env_warp_bytes_per_env=warp_bytes(env) / N,
        hidden="x".join(map(str, args.hidden)),
        update_epochs=args.update_epochs,
        num_minibatches=args.num_minibatches,
    )
    for k in (*PHASES, "total"):
        row[f"{k}_s"] = float(np.median([p[k] for p in timed]))
    for k in PHASES:
        row[f"{k}_frac"] = row[f"{k}_s"] / row["total_s"]
    row["last_return"] = mean_recent
    return row


def train_sweep(targs: TrainArgs) -> None:
    """Profile each (env, num_envs) with ppo_warp.py's per-env defaults (ppo_warp.py's validate, reduced)."""
    for env_id in targs.env_ids:
        if env_id not in envs.list_envs():
            fail(f"unknown env_id {env_id!r}; available: {', '.join(envs.list_envs())}")
    if targs.iterations < 1 or targs.warmup_iterations < 0:
        fail("--iterations must be >= 1 and --warmup-iterations >= 0")
    record = record_header(
        "ppo_warp.py's rollout, GAE, update and logging with the device synchronized at each phase boundary; "
        "hyperparameters: ppo_warp.py's ENV_DEFAULTS for the env, num_envs as given. SPS = num_envs * num_steps / "
        "iteration wall time (median over the timed iterations; warm-up iterations excluded). On CPU torch uses "
        "torch_threads threads; a Warp CPU launch runs on one core."
    )
    record["args"] = asdict(targs)
    rows = []
    for env_id, n in progress([(e, n) for e in targs.env_ids for n in targs.num_envs], "train"):
        prev = [r for r in rows if r["env"] == env_id]
        its = targs.warmup_iterations + targs.iterations
        predicted = prev[-1]["total_s"] * n / prev[-1]["num_envs"] * its if prev else 0.0
        if predicted > targs.max_point_seconds:
            print(f"\n{env_id}: skipping num_envs={n}: ~{predicted:.0f} s predicted", file=sys.stderr)
            continue
        args = dataclasses.replace(targs, env_id=env_id, num_envs=n)
        for name, value in ENV_DEFAULTS.get(env_id, ENV_DEFAULTS["default"]).items():
            if getattr(args, name, 0) is None:
                setattr(args, name, value)
        args.batch_size = n * args.num_steps
        args.minibatch_size = args.batch_size // args.num_minibatches
        args.num_iterations = args.warmup_iterations + args.iterations
        rows.append(profile_train(args))
        r = rows[-1]
        print(f"\n{r['env']}.{n}.sps {r['sps']:.4g}  " + "  ".join(f"{k} {r[k + '_frac']:.2f}" for k in PHASES))
    record["loadavg_at_end"] = os.getloadavg()
    keys = ["env", "num_envs", "num_steps", "device", "iterations", "sps", "sps_min", "sps_max"]
    keys += [f"{k}_s" for k in (*PHASES, "total")] + [f"{k}_frac" for k in PHASES]
    keys += ["make_s", "warmup_iteration_s", "storage_bytes_per_env", "env_warp_bytes_per_env", "hidden"]
    write_rows(targs.out, "train", record, rows, keys)


# --- peers: the same env-only work in what a user would pick instead ---------------------------------------------


def ant_entries(n: int, args: PeersArgs) -> list[dict]:
    """Ant (Gymnasium's ant.xml: 8 actuators, 5 physics steps of 10 ms per env step, contacts on) in every
    implementation installed here; the Warp side is the env when `ant` is registered, else the articulated
    dynamics alone (kernels/articulation.py, contacts and limits off), labelled as such."""
    import gymnasium as gym
    import mujoco

    rows, rng = [], np.random.default_rng(0)
    xml = os.path.join(os.path.dirname(gym.__file__), "envs/mujoco/assets/ant.xml")
    m = mujoco.MjModel.from_xml_path(xml)
    frame_skip = 5
    if "ant" in envs.list_envs():
        from benchmarks.env_throughput import warp_entries

        # the full step only: an articulated env's step is several launches, so "step kernel only" would be a part
        rows += [r for r in warp_entries("ant", n, args) if r["impl"] == "warp (full step API)"]
    else:
        from kernels.articulation import Simulator
        from kernels.mjcf import load_mjcf

        sim = Simulator(load_mjcf(xml), num_envs=n, device="cpu")
        ctrl = torch.rand(n, m.nu) * 2 - 1

        def sim_step():
            ctrl.neg_()  # alternate the torque: a constant one spins free limbs up until the state diverges
            for _ in range(frame_skip):
                sim.step(ctrl)

        rows.append(
            dict(impl="warp articulation only (no contacts)", **time_steps(sim_step, "cpu", args.repeats, args.seconds))
        )
    try:  # Gymnasium's MuJoCo envs need its [mujoco] extra (imageio)
        gym.make("Ant-v5").close()
        gym_mujoco = True
    except (ImportError, gym.error.DependencyNotInstalled):
        gym_mujoco = False
    if n <= args.mujoco_max_envs and gym_mujoco:
        t0 = time.perf_counter()
        venv = gym.make_vec("Ant-v5", num_envs=n, vectorization_mode="sync")
        make_s = time.perf_counter() - t0
        venv.reset(seed=0)
        a = rng.uniform(-1, 1, size=(n, m.nu))
        rows.append(
            dict(
                impl="gymnasium sync Ant-v5",
                **time_steps(lambda: venv.step(a), "cpu", args.repeats, args.seconds),
                make_s=make_s,
            )
        )
        venv.close()
    if n <= args.mujoco_max_envs:
        datas = [mujoco.MjData(m) for _ in range(n)]
        ctrl = rng.uniform(-1, 1, size=(n, m.nu))

        def mj_loop():
            for d, c in zip(datas, ctrl, strict=True):
                d.ctrl[:] = c
                mujoco.mj_step(m, d, nstep=frame_skip)

        rows.append(
            dict(impl="mujoco C mj_step (python loop)", **time_steps(mj_loop, "cpu", args.repeats, args.seconds))
        )
    # MuJoCo C through mujoco.rollout, one MjData (one thread): benchmarks/ant_throughput.py's measurement, repeated
    from benchmarks.ant_throughput import bench_mujoco

    per_env_step = sorted(1.0 / bench_mujoco(min(n, 32), args.seconds)["env_steps_per_s"] for _ in range(args.repeats))
    timing = dict(median_s=n * float(np.median(per_env_step)), min_s=n * per_env_step[0], max_s=n * per_env_step[-1])
    rows.append(dict(impl="mujoco.rollout (1 thread)", **timing))
    try:
        import envpool

        if n > args.mujoco_max_envs:  # one env at a time in C++: as slow as the loop above at large n
            raise ImportError
        pool = envpool.make_gymnasium("Ant-v5", num_envs=n, num_threads=1, seed=0)
        pool.reset()
        a = rng.uniform(-1, 1, size=(n, m.nu))
        rows.append(
            dict(impl="envpool (1 thread)", **time_steps(lambda: pool.step(a), "cpu", args.repeats, args.seconds))
        )
    except ImportError:
        pass
    if n <= args.mjwarp_max_envs:
        try:
            import mujoco_warp as mjw
        except ImportError:
            mjw = None
        if mjw is not None:
            with wp.ScopedDevice("cpu"):
                t0 = time.perf_counter()
                mm, md = mjw.put_model(m), mjw.make_data(m, nworld=n)
                md.ctrl.assign(rng.uniform(-1, 1, size=(n, m.nu)).astype(np.float32))
                mjw.step(mm, md)  # compiles on first use (cached afterwards)
                wp.synchronize_device("cpu")
                make_s = time.perf_counter() - t0

                def mjw_step():
                    for _ in range(frame_skip):
                        mjw.step(mm, md)

                timing = time_steps(mjw_step, "cpu", args.repeats, args.seconds, warmup=1)
            rows.append(dict(impl="mujoco_warp (Warp cpu)", **timing, make_s=make_s))
    return rows


def peers(args: PeersArgs) -> None:
    """Warp envs beside their peers, per env and num_envs. Classic control reuses benchmarks/env_throughput.py's
    entries (the Foundation benchmark), so the two never measure differently."""
    from benchmarks.env_throughput import gym_entries, warp_entries

    torch.set_num_threads(1)
    record = record_header(
        "Env-only steps per second on one CPU core each (torch 1 thread, EnvPool 1 thread, MuJoCo rollout 1 "
        "thread; a Warp CPU launch runs on one core). Ratios are against rows measured in this same run at the "
        "same num_envs. Ant peers step Gymnasium's ant.xml with contacts, 5 x 10 ms physics steps per env step."
    )
    rows = []
    points = [(e, n) for e in args.env_ids for n in args.num_envs]
    for env_id, n in progress(points, "peers"):
        if env_id == "ant":
            entries = ant_entries(n, args)
        elif env_id in ("cartpole", "pendulum"):
            entries = warp_entries(env_id, n, args) + gym_entries(env_id, n, args)
        else:
            entries = warp_entries(env_id, n, args)
        for row in entries:
            row.update(env=env_id, num_envs=n)
            row["steps_per_s"] = n / row["median_s"]
            row["steps_per_s_min"] = n / row["max_s"]
            row["steps_per_s_max"] = n / row["min_s"]
            row["us_per_step"] = row["median_s"] * 1e6
            rows.append(row)
    for row in rows:
        same = [r for r in rows if r["env"] == row["env"] and r["num_envs"] == row["num_envs"]]
        warp = [r["steps_per_s"] for r in same if r["impl"].startswith("warp (full")]
        others = [r["steps_per_s"] for r in same if not r["impl"].startswith("warp")]
        row["x_vs_warp_env"] = row["steps_per_s"] / warp[0] if warp else None
        row["x_vs_best_peer"] = row["steps_per_s"] / max(others) if others else None
        print(f"{row['env']:9s} {row['num_envs']:6d} {row['impl']:38s} {row['steps_per_s']:10.3e} steps/s", end="")
        print(f"  x best peer {row['x_vs_best_peer']:.2f}" if row["x_vs_best_peer"] else "")
    record["loadavg_at_end"] = os.getloadavg()
    keys = ["env", "num_envs", "impl", "steps_per_s", "steps_per_s_min", "steps_per_s_max", "us_per_step"]
    keys += ["x_vs_warp_env", "x_vs_best_peer", "median_s", "min_s", "max_s", "steps_per_repeat", "make_s"]
    write_rows(args.out, "peers", record, rows, keys)


# --- gpu: static report from PTX, no GPU needed -------------------------------------------------------------------

# Per-SM limits of compute capability 8.0 (A100) and 9.0 (H100): CUDA C++ Programming Guide, "Technical
# Specifications per Compute Capability", and the CUDA Occupancy Calculator's tables (register allocation unit 256
# per warp; shared memory allocation unit 128 B; 1 KiB shared memory reserved per block from cc 8.0).
SM_LIMITS = {
    80: dict(name="A100", max_threads=2048, max_warps=64, max_blocks=32, regs=65536, smem=167936, reg_unit=256),
    90: dict(name="H100", max_threads=2048, max_warps=64, max_blocks=32, regs=65536, smem=233472, reg_unit=256),
}
PTX_FLOPS = re.compile(r"^\s*(?:@%p\d+\s+)?(fma|add|sub|mul|div|sqrt|rsqrt|rcp|sin|cos|ex2|lg2|tanh)\.[\w.]*f32\b")
PTX_MEM = re.compile(r"^\s*(?:@%p\d+\s+)?(ld|st)(?:\.global)?(?:\.nc)?(?:\.v(\d))?\.(?:[bsuf])(8|16|32|64)\s")


def occupancy(regs: int, smem: int, block_dim: int, arch: int) -> tuple[float, str]:
    """Theoretical occupancy (active warps / max warps per SM) and its limiter, as the CUDA Occupancy Calculator
    computes it from registers per thread and static shared memory per block."""
    lim = SM_LIMITS[arch]
    warps_per_block = math.ceil(block_dim / 32)
    regs_per_warp = math.ceil(max(regs, 1) * 32 / lim["reg_unit"]) * lim["reg_unit"]
    blocks = {
        "threads": lim["max_threads"] // (warps_per_block * 32),
        "blocks": lim["max_blocks"],
        "registers": (lim["regs"] // regs_per_warp) // warps_per_block,
    }
    if smem:
        blocks["shared memory"] = lim["smem"] // (math.ceil((smem + 1024) / 128) * 128)
    limiter = min(blocks, key=blocks.get)
    return blocks[limiter] * warps_per_block / lim["max_warps"], limiter


def ptx_static_counts(ptx: str) -> dict[str, dict]:
    """Per kernel entry in a PTX file: f32 FLOPs (fma = 2) and bytes of generic/global loads and stores, counted
    once per instruction (a static count: loop bodies once, both sides of every branch)."""
    out, name = {}, None
    for line in ptx.splitlines():
        entry = re.match(r"^\.(?:visible )?\.entry (\w+)", line)
        if entry:
            name = entry.group(1)
            out[name] = {"flops": 0, "bytes": 0}
        elif name:
            if m := PTX_FLOPS.match(line):
                out[name]["flops"] += 2 if m.group(1) == "fma" else 1
            elif (m := PTX_MEM.match(line)) and ".param" not in line and ".local" not in line and ".shared" not in line:
                out[name]["bytes"] += int(m.group(2) or 1) * int(m.group(3)) // 8
    return out


def warp_modules() -> dict:
    """Every Warp module of envs/ and kernels/ that defines kernels, plus each env's fused step kernel module (built
    by a factory, so it has a module of its own), as tests/test_aot.py collects them."""
    import importlib
    import pkgutil

    import kernels

    found = {}
    for package in (envs, kernels):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            importlib.import_module(info.name)
            module = wp.get_module(info.name)
            if module.kernels:
                found[info.name] = module
    for env_id in envs.list_envs():
        env = envs.make(env_id, num_envs=1, device="cpu")
        found[f"{env_id} step kernel"] = env.step_kernel.module
        if getattr(env, "act_kernel", None) is not None:  # articulated envs: action kernel, simulator, step kernel
            found[f"{env_id} act kernel"] = env.act_kernel.module
    return found


def gpu_report(args: GpuArgs) -> None:
    ptxas = shutil.which("ptxas")
    record = record_header(
        "Static: each Warp module compiled ahead of time to PTX (wp.compile_aot_module, use_ptx=True), then "
        "`ptxas -v -arch=sm_XX`. Occupancy: theoretical, block of block_dim threads, from registers per thread and "
        "static shared memory (CUDA Occupancy Calculator method; per-SM limits in SM_LIMITS). flops/bytes: static "
        "PTX counts per thread (f32 arithmetic, fma = 2; generic and global loads/stores), each instruction once. "
        "When the PTX ISA version of Warp's NVRTC is newer than the installed ptxas accepts, the .version line is "
        "lowered to the ptxas one before assembling."
    )
    record["ptxas"] = (
        subprocess.run([ptxas, "--version"], capture_output=True, text=True).stdout.strip() if ptxas else None
    )
    record["sm_limits"] = SM_LIMITS
    rows = []
    modules = {k: v for k, v in warp_modules().items() if not args.modules or any(m in k for m in args.modules)}
    work = tempfile.mkdtemp(prefix="throughput_ptx_")
    for name, arch in progress([(nm, a) for nm in modules for a in args.archs], "gpu"):
        module = modules[name]
        module_dir = os.path.join(work, f"{name.replace(' ', '_')}_sm{arch}")
        t0 = time.perf_counter()
        paths = wp.compile_aot_module(module, arch=arch, use_ptx=True, module_dir=module_dir)
        compile_s = time.perf_counter() - t0
        for path in [str(p) for p in paths if str(p).endswith(".ptx")]:
            with open(path) as f:
                counts = ptx_static_counts(f.read())
            info = run_ptxas(ptxas, path, arch) if ptxas else {}
            for kernel, c in counts.items():
                ki = info.get(kernel, {})
                regs, smem = ki.get("registers"), ki.get("smem_bytes", 0)
                occ, limiter = occupancy(regs, smem, args.block_dim, arch) if regs is not None else (None, None)
                rows.append(
                    dict(
                        module=name,
                        kernel=kernel,
                        arch=f"sm_{arch}",
                        gpu=SM_LIMITS[arch]["name"],
                        registers=regs,
                        spill_stores=ki.get("spill_stores"),
                        spill_loads=ki.get("spill_loads"),
                        stack_bytes=ki.get("stack_bytes"),
                        smem_bytes=smem,
                        cmem_bytes=ki.get("cmem_bytes"),
                        block_dim=args.block_dim,
                        occupancy=occ,
                        limiter=limiter,
                        static_flops=c["flops"],
                        static_bytes=c["bytes"],
                        compile_s=compile_s,
                    )
                )
    shutil.rmtree(work, ignore_errors=True)
    for r in rows:
        print(f"{r['arch']} {r['module']:22s} {r['kernel'][:48]:48s} regs {r['registers']} occ {r['occupancy']}")
    keys = ["module", "kernel", "arch", "gpu", "registers", "spill_stores", "spill_loads", "stack_bytes"]
    keys += [
        "smem_bytes",
        "cmem_bytes",
        "block_dim",
        "occupancy",
        "limiter",
        "static_flops",
        "static_bytes",
        "compile_s",
    ]
    write_rows(args.out, "gpu", record, rows, keys)


def run_ptxas(ptxas: str, path: str, arch: int) -> dict[str, dict]:
    """`ptxas -v` on a PTX file. Warp's NVRTC (CUDA 13.4 here) may write a newer PTX ISA `.version` than the
    installed ptxas (CUDA 13.0: ISA 9.0) accepts; then the directive is lowered to the ptxas version and the file
    assembled again (ptxas still rejects any instruction the older ISA lacks)."""
    with open(path) as f:
        text = f.read().rstrip("\0")  # NVRTC's PTX ends with the C string's NUL, which ptxas reads as text
    with open(path, "w") as f:
        f.write(text)
    cmd = [ptxas, "-v", f"-arch=sm_{arch}", path, "-o", os.devnull]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if m := re.search(r"current version is '([\d.]+)'", res.stderr):
        with open(path, "w") as f:
            f.write(re.sub(r"^\.version [\d.]+", f".version {m[1]}", text, count=1, flags=re.M))
        res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode:
        print(f"\nptxas failed on {path}: {res.stderr.strip()[-300:]}", file=sys.stderr)
    return parse_ptxas(res.stderr)


def parse_ptxas(text: str) -> dict[str, dict]:
    """Registers, spills, stack frame and shared/constant memory per function from `ptxas -v` output."""
    out, name = {}, None
    for line in text.splitlines():
        if m := re.search(r"Compiling entry function '(\w+)'|Function properties for (\w+)", line):
            name = m.group(1) or m.group(2)
            out.setdefault(name, {})
        elif name and (
            m := re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads", line)
        ):
            out[name].update(stack_bytes=int(m[1]), spill_stores=int(m[2]), spill_loads=int(m[3]))
        elif name and (m := re.search(r"Used (\d+) registers", line)):
            out[name]["registers"] = int(m[1])
            s = re.search(r"(\d+) bytes smem", line)
            c = re.search(r"(\d+) bytes cmem\[0\]", line)
            out[name]["smem_bytes"] = int(s[1]) if s else 0
            out[name]["cmem_bytes"] = int(c[1]) if c else None
    return out


# --- cost: dollars and hours from measured throughput -------------------------------------------------------------


def cost(args: CostArgs) -> None:
    if args.usd_per_hour <= 0:
        fail(f"--usd-per-hour must be > 0, got {args.usd_per_hour}")
    record = record_header(
        "usd_per_billion_steps = usd_per_hour / (steps_per_s * 3600) * 1e9; hours_to_N = N / steps_per_s / 3600. "
        "By default the best measured point per env of env.csv (env-only) and train.csv (PPO, SPS)."
    )
    record["usd_per_hour"] = args.usd_per_hour
    points = []
    if args.steps_per_s is not None:
        points.append(dict(source="given", env="-", num_envs=None, steps_per_s=args.steps_per_s))
    else:
        for source, col in (("env", "steps_per_s"), ("train", "sps")):
            rows = read_csv(args.out, source)
            for env_id in sorted({r["env"] for r in rows}):
                best = max((r for r in rows if r["env"] == env_id), key=lambda r: r[col])
                points.append(dict(source=source, env=env_id, num_envs=int(best["num_envs"]), steps_per_s=best[col]))
    if not points:
        fail(f"nothing to price: no env.csv or train.csv in {args.out} and no --steps-per-s")
    rows = []
    for p in points:
        row = dict(**p, usd_per_hour=args.usd_per_hour)
        row["usd_per_billion_steps"] = args.usd_per_hour / (p["steps_per_s"] * 3600) * 1e9
        for target in args.target_steps:
            row[f"hours_to_{target:.0e}"] = target / p["steps_per_s"] / 3600
            row[f"usd_to_{target:.0e}"] = row[f"hours_to_{target:.0e}"] * args.usd_per_hour
        rows.append(row)
        print(f"{row['source']}.{row['env']}.usd_per_billion_steps {row['usd_per_billion_steps']:.4g}")
    keys = ["source", "env", "num_envs", "steps_per_s", "usd_per_hour", "usd_per_billion_steps"]
    keys += [f"{k}_to_{t:.0e}" for t in args.target_steps for k in ("hours", "usd")]
    write_rows(args.out, "cost", record, rows, keys)


# --- report: figures, the markdown record and the README section --------------------------------------------------

# H100 SXM5 datasheet figures used by the projection (NVIDIA H100 Tensor Core GPU datasheet): HBM3 bandwidth and
# non-tensor FP32 peak; launch cost of one CUDA-graph replay of a one-kernel step, an assumption (a few us).
# usd_per_hour: an assumed on-demand cloud price, for orientation only.
H100 = dict(hbm_bytes_per_s=3.35e12, fp32_flops_per_s=67e12, memory_bytes=80e9, launch_s=5e-6, usd_per_hour=3.0)


def fit_launch_and_per_env(rows: list[dict]) -> tuple[float, float, bool]:
    """Seconds per step = a + b * num_envs, read off a sweep: b = seconds per env step at the best point (highest
    steps/s, the fixed cost amortized), a = what remains of the smallest point's time. Returns (a, b, resolved):
    resolved is False when a is within the spread (max - min) of the smallest point's repeats."""
    rows = sorted(rows, key=lambda r: r["num_envs"])
    best = max(rows, key=lambda r: r["steps_per_s"])
    b = best["median_s"] / best["num_envs"]
    small = rows[0]
    a = small["median_s"] - b * small["num_envs"]
    return max(a, 0.0), b, a > small["max_s"] - small["min_s"]


def cache_sizes() -> str:
    """This CPU's L2 and L3 as Linux reports them (/sys), e.g. "L2 512K per core, L3 32768K shared by 2 cores"."""
    parts = []
    for index in sorted(glob.glob("/sys/devices/system/cpu/cpu0/cache/index*")):
        try:
            level, kind, size, shared = (
                open(os.path.join(index, f)).read().strip() for f in ("level", "type", "size", "shared_cpu_list")
            )
        except OSError:
            continue
        if kind != "Instruction" and level in ("2", "3"):
            parts.append(f"L{level} {size} " + ("per core" if shared.isdigit() else f"shared by cores {shared}"))
    return ", ".join(parts) or "cache sizes unknown"


def memcpy_bandwidth() -> float:
    """Single-core copy bandwidth of this machine (bytes read + written per second, 256 MiB arrays, best of 5)."""
    src = np.ones(2**25, dtype=np.float64)
    dst = np.empty_like(src)
    best = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t0)
    return 2 * src.nbytes / best


def sgemm_flops() -> float:
    """Single-thread float32 matrix-multiply rate of this machine (FLOP/s, 512 x 512, best of 20): a practical
    peak of one core."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    a = torch.randn(512, 512)
    best = math.inf
    for _ in range(20):
        t0 = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - t0)
    torch.set_num_threads(threads)
    return 2 * 512**3 / best


def short_kernel(name: str) -> str:
    """A Warp CUDA entry name without its hash and suffix (`_step_kernel_a2e52761_cuda_kernel_forward`)."""
    return re.sub(r"_[0-9a-f]{8}_cuda_kernel_forward$", "", name).replace("make_step_kernel__locals__", "")


def plots(out: str, env_rows: list[dict], train_rows: list[dict], peer_rows: list[dict]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    env_ids = sorted({r["env"] for r in env_rows + peer_rows})
    if env_ids:  # one panel per env: the Warp env's sweep (median, min-max bars) and its peers on the same axes
        fig, axes = plt.subplots(1, len(env_ids), figsize=(4.2 * len(env_ids), 4.6), squeeze=False)
        for ax, env_id in zip(axes[0], env_ids, strict=True):
            rs = [r for r in env_rows if r["env"] == env_id]
            if rs:
                y = np.array([r["steps_per_s"] for r in rs])
                err = [y - [r["steps_per_s_min"] for r in rs], [r["steps_per_s_max"] for r in rs] - y]
                ax.errorbar([r["num_envs"] for r in rs], y, yerr=err, marker="o", lw=2.5, color="k", label="warp env")
            impls = sorted({r["impl"] for r in peer_rows if r["env"] == env_id and not r["impl"].startswith("warp (")})
            for impl in impls:
                ps = [r for r in peer_rows if r["env"] == env_id and r["impl"] == impl]
                x, y = [r["num_envs"] for r in ps], [r["steps_per_s"] for r in ps]
                ax.plot(x, y, marker="s", ls="--", lw=1.2, label=impl)
            ax.set(xscale="log", yscale="log", xlabel="num_envs", title=env_id)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=7, loc="best")
        axes[0][0].set_ylabel("env steps / s (one CPU core each)")
        fig.tight_layout()
        written.append(os.path.join(out, "steps_per_s_vs_num_envs.png"))
        fig.savefig(written[-1], dpi=110)
        plt.close(fig)
    if train_rows:  # absolute time per million env steps, stacked by phase: the bars shrink as num_envs grows
        fig, ax = plt.subplots(figsize=(8.5, 4.5))
        labels = [f"{r['env']}\n{int(r['num_envs'])} envs" for r in train_rows]
        bottom = np.zeros(len(train_rows))
        for k in PHASES:
            v = np.array([r[f"{k}_s"] / (r["num_envs"] * r["num_steps"]) * 1e6 for r in train_rows])
            ax.bar(labels, v, bottom=bottom, label=k)
            bottom += v
        for i, r in enumerate(train_rows):
            ax.text(i, bottom[i] * 1.01, f"{r['sps']:,.0f} SPS", ha="center", va="bottom", fontsize=7)
        ax.set(ylabel="seconds per million env steps", title="PPO iteration by phase (ppo_warp.py's loop, one core)")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        fig.tight_layout()
        written.append(os.path.join(out, "train_phases.png"))
        fig.savefig(written[-1], dpi=120)
        plt.close(fig)
    if env_rows:
        fig, ax = plt.subplots(figsize=(7.5, 4.5))
        for env_id in sorted({r["env"] for r in env_rows}):
            rs = [r for r in env_rows if r["env"] == env_id]
            x = [r["num_envs"] for r in rs]
            ax.plot(x, [r["warp_bytes_per_env"] for r in rs], marker="o", label=f"{env_id}: Warp arrays")
            rss = [(r["num_envs"], r["rss_bytes_per_env"]) for r in rs if r["rss_bytes_per_env"] > 0]
            if rss:
                ax.plot(*zip(*rss, strict=True), marker="x", ls=":", label=f"{env_id}: RSS growth")
        ax.set(xscale="log", yscale="log", xlabel="num_envs", ylabel="bytes per env", title="Memory per env")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        written.append(os.path.join(out, "memory_per_env.png"))
        fig.savefig(written[-1], dpi=120)
        plt.close(fig)
    return written


def report(args: ReportArgs) -> None:
    env_rows, train_rows = read_csv(args.out, "env"), read_csv(args.out, "train")
    peer_rows, gpu_rows, cost_rows = read_csv(args.out, "peers"), read_csv(args.out, "gpu"), read_csv(args.out, "cost")
    records = {}
    for name in ("env", "train", "peers", "gpu", "cost"):
        path = os.path.join(args.out, f"{name}.json")
        if os.path.exists(path):
            with open(path) as f:
                records[name] = json.load(f)
    figures = plots(args.out, env_rows, train_rows, peer_rows)
    bandwidth = memcpy_bandwidth()
    scaling, tables = [], []

    if env_rows:
        tables += ["### Env-only sweep (`env`)", "", "| env | num_envs | steps/s (median) | min - max | us per step |"]
        tables[-1] += " ns per env step | Warp bytes/env | RSS bytes/env | compile s |"
        tables += ["|---|---:|---:|---|---:|---:|---:|---:|---:|"]
        for r in env_rows:
            tables.append(
                f"| {r['env']} | {int(r['num_envs'])} | {r['steps_per_s']:.3e} | {r['steps_per_s_min']:.2e} - "
                f"{r['steps_per_s_max']:.2e} | {r['us_per_step']:.1f} | {r['ns_per_env_step']:.1f} | "
                f"{r['warp_bytes_per_env']:.0f} | {r['rss_bytes_per_env']:.0f} | {r['compile_s']:.2f} |"
            )
        tables.append("")
        caches = cache_sizes()
        for env_id in sorted({r["env"] for r in env_rows}):
            rs = sorted((r for r in env_rows if r["env"] == env_id), key=lambda r: r["num_envs"])
            best = max(rs, key=lambda r: r["steps_per_s"])
            a, b, resolved = fit_launch_and_per_env(rs)
            last, bpe = rs[-1], rs[-1]["warp_bytes_per_env"]
            half = a / b if b > 0 else float("nan")
            line = (
                f"- **{env_id}**: t(step) = a + b x num_envs with b = {b * 1e9:.1f} ns (per env step at the best "
                f"point, {best['steps_per_s']:,.0f} steps/s at {int(best['num_envs'])} envs) and a = "
                + (
                    f"{a * 1e6:.1f} us (what remains at {int(rs[0]['num_envs'])} envs: Python, the launches, the "
                    f"device sync), which halves throughput at {half:,.0f} envs and is amortized (< 10%) above "
                    f"~{10 * half:,.0f}. "
                    if resolved
                    else f"{a * 1e6:.0f} us, not resolved: within the spread of the repeats at "
                    f"{int(rs[0]['num_envs'])} envs, i.e. the fixed cost is already amortized there. "
                )
                + f"The env owns {bpe:.0f} B per env: "
                f"reading and writing each byte once per step at that rate is {2 * bpe / b / 1e9:.1f} GB/s against "
                f"{bandwidth / 1e9:.1f} GB/s single-core copy bandwidth measured by `report`, so in this regime the "
                f"step is compute (instruction) bound. "
            )
            c = last["ns_per_env_step"] * 1e-9
            if c > 1.3 * b:
                line += (
                    f"Past {int(best['num_envs'])} envs ({best['warp_bytes'] / 2**20:.1f} MiB of env arrays) the "
                    f"per-env cost rises to {c * 1e9:.1f} ns at {int(last['num_envs'])} envs "
                    f"({last['warp_bytes'] / 2**20:.1f} MiB; {caches}); the traffic this implies, "
                    f"{2 * bpe / c / 1e9:.1f} GB/s, is still well below the copy bandwidth: memory latency (cache "
                    f"misses on a shared host), not bandwidth, sets the cost there. "
                )
            else:
                line += f"No cliff up to {int(last['num_envs'])} envs ({last['warp_bytes'] / 2**20:.1f} MiB). "
            per_env = max(bpe, last["rss_bytes_per_env"])
            line += (
                f"Memory: {per_env:.0f} B per env (the larger of Warp arrays and RSS growth at "
                f"{int(last['num_envs'])} envs): {int(24 * 2**30 / per_env):,} envs fit 24 GiB and "
                f"{int(H100['memory_bytes'] / per_env):,} fit 80 GB, env alone."
            )
            scaling.append(line)
    if train_rows:
        tables += ["### PPO iteration per phase (`train`)", ""]
        tables += ["| env | num_envs | num_steps | SPS (median) | min - max | " + " | ".join(PHASES) + " |"]
        tables += ["|---|---:|---:|---:|---|" + "---:|" * len(PHASES)]
        for r in train_rows:
            tables.append(
                f"| {r['env']} | {int(r['num_envs'])} | {int(r['num_steps'])} | {r['sps']:,.0f} | "
                f"{r['sps_min']:,.0f} - {r['sps_max']:,.0f} | "
                + " | ".join(f"{100 * r[f'{k}_frac']:.0f}%" for k in PHASES)
                + " |"
            )
        tables.append("")
        for env_id in sorted({r["env"] for r in train_rows}):
            r = max((r for r in train_rows if r["env"] == env_id), key=lambda r: r["num_envs"])
            per_env = r["storage_bytes_per_env"] + r["env_warp_bytes_per_env"]
            dominant = max(PHASES, key=lambda k: r[f"{k}_frac"])
            scaling.append(
                f"- **{env_id} PPO** at {int(r['num_envs'])} envs: {r['sps']:,.0f} SPS; {dominant} takes "
                f"{100 * r[f'{dominant}_frac']:.0f}% of an iteration and the env step {100 * r['env_step_frac']:.0f}%, "
                f"so {'the physics' if dominant == 'env_step' else 'the learner, not the physics,'} bounds training "
                f"throughput here. Rollout storage at num_steps "
                f"{int(r['num_steps'])} adds {r['storage_bytes_per_env']:.0f} B per env ({per_env:.0f} B with the "
                f"env): {int(24 * 2**30 / per_env):,} envs fit 24 GiB and {int(H100['memory_bytes'] / per_env):,} "
                f"fit 80 GB, before the update's activations (minibatch x hidden widths x 4 B per layer)."
            )
    if peer_rows:
        tables += ["### Side by side (`peers`), one CPU core each", ""]
        tables += [
            "Same env API and task; for Ant not the same physics: the Warp env steps Gymnasium's ant.xml with "
            "this repository's soft contacts and implicit substeps (envs/ant.py), the MuJoCo-based peers with "
            "MuJoCo's RK4 and constraint solver. `warp (step kernel only)` and `bare dynamics kernel` are "
            "references for the cost of the step API itself (benchmarks/env_throughput.py).",
            "",
        ]
        tables += ["| env | num_envs | implementation | steps/s (median) | min - max | x Warp env | x best peer |"]
        tables += ["|---|---:|---|---:|---|---:|---:|"]
        for r in peer_rows:
            xw = f"{r['x_vs_warp_env']:.2f}" if r["x_vs_warp_env"] else "-"
            xp = f"{r['x_vs_best_peer']:.2f}" if r["x_vs_best_peer"] else "-"
            tables.append(
                f"| {r['env']} | {int(r['num_envs'])} | {r['impl']} | {r['steps_per_s']:.3e} | "
                f"{r['steps_per_s_min']:.2e} - {r['steps_per_s_max']:.2e} | {xw} | {xp} |"
            )
        tables.append("")
    projection = []
    if gpu_rows and env_rows:
        cpu_flops = sgemm_flops()
        projection += [
            "### H100 projection (a projection, not a measurement)",
            "",
            f"Per env step, from the sm_90 PTX of the env's fused step kernel: static f32 FLOPs and bytes loaded or "
            f"stored (each instruction counted once: both sides of every branch, so an overcount). Roofline on the "
            f"H100 SXM datasheet figures ({H100['hbm_bytes_per_s'] / 1e12:.2f} TB/s HBM3, "
            f"{H100['fp32_flops_per_s'] / 1e12:.0f} TFLOP/s FP32 non-tensor): per-env time = max(bytes / bandwidth, "
            f"FLOPs / peak). The measured CPU figures set the efficiency: the step reaches a fraction of this core's "
            f"roofs (its binding one: {cpu_flops / 1e9:.0f} GFLOP/s single-thread sgemm, {bandwidth / 1e9:.1f} GB/s "
            f"copy bandwidth, both measured by `report`), and the projection assumes the same fraction on the H100. "
            f"Add an assumed {H100['launch_s'] * 1e6:.0f} us per step (one CUDA-graph replay): steps/s = num_envs / "
            f"(launch + num_envs x per-env time). Articulated envs (loops over bodies and substeps, so static "
            f"counts mean little) instead scale the measured CPU time by the ratio of FP32 peaks (this core's sgemm "
            f"rate to the H100's), with registers and occupancy of kernels.forward's heaviest kernel shown; a "
            f"register-limited occupancy below 0.25 hides latency poorly, so read those rows as optimistic. Not "
            f"projected: the PPO update, which dominates training here.",
            "",
            "| env | method | FLOPs / bytes per env step (static) | registers, occupancy sm_90 | CPU ns/env step "
            "(measured) | CPU efficiency | H100 roofline ns/env step | H100 ns/env step (projected) | H100 steps/s "
            f"at 65,536 envs | at 1M envs | x one CPU core | USD per 1e9 steps at {H100['usd_per_hour']:.0f} USD/h |",
            "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for env_id in sorted({r["env"] for r in env_rows}):
            rs = sorted((r for r in env_rows if r["env"] == env_id), key=lambda r: r["num_envs"])
            best = max(rs, key=lambda r: r["steps_per_s"])
            _, b, _ = fit_launch_and_per_env(rs)
            articulated = any(r["module"] == f"{env_id} act kernel" for r in gpu_rows)  # env with a simulator
            # the simulator's kernels: kernels.forward (kernels.articulation in records made before the split)
            modules = ("kernels.forward", "kernels.articulation") if articulated else (f"{env_id} step kernel",)
            k = [r for r in gpu_rows if r["module"] in modules and r["arch"] == "sm_90"]
            if not k:
                continue
            k = max(k, key=lambda r: r["registers"] or 0)  # the heaviest kernel of the step
            occ = f"{k['occupancy']:.2f}" if k["occupancy"] is not None else "-"
            if articulated:
                # loops over bodies and substeps make static PTX counts meaningless: scale the measured CPU time by
                # the ratio of FP32 peaks, i.e. assume the H100 reaches the same fraction of its peak as this core
                roof, efficiency = None, None
                per_env = b * cpu_flops / H100["fp32_flops_per_s"]
                counts, method = "loops: not counted", "CPU time x peak ratio"
            else:
                efficiency = min(1.0, max(k["static_flops"] / b / cpu_flops, k["static_bytes"] / b / bandwidth))
                roof = max(k["static_bytes"] / H100["hbm_bytes_per_s"], k["static_flops"] / H100["fp32_flops_per_s"])
                per_env = roof / efficiency
                counts, method = f"{k['static_flops']} / {k['static_bytes']}", "roofline at CPU efficiency"
            sps = {n: n / (H100["launch_s"] + n * per_env) for n in (65536, 2**20)}
            projection.append(
                f"| {env_id} | {method} | {counts} | {k['registers']}, {occ} | {b * 1e9:.1f} | "
                + (f"{100 * efficiency:.0f}% | {roof * 1e9:.3f} | " if roof else "- | - | ")
                + f"{per_env * 1e9:.3f} | {sps[65536]:.2e} | {sps[2**20]:.2e} | {sps[2**20] * b:,.0f} | "
                + f"{H100['usd_per_hour'] / (sps[2**20] * 3600) * 1e9:.2g} |"
            )
        projection.append("")
    if gpu_rows:
        tables += ["### Static GPU report (`gpu`): ptxas -v, block of 256 threads", ""]
        tables += ["| module | kernel | arch | registers | spill st/ld B | stack B | occupancy | limiter |"]
        tables += ["|---|---|---|---:|---|---:|---:|---|"]
        for r in gpu_rows:
            occ = f"{r['occupancy']:.2f}" if r["occupancy"] is not None else "-"
            tables.append(
                f"| {r['module']} | `{short_kernel(r['kernel'])}` | {r['arch']} | {r['registers']} | "
                f"{r['spill_stores']}/{r['spill_loads']} | {r['stack_bytes']} | {occ} | {r['limiter']} |"
            )
        block = int(gpu_rows[0]["block_dim"])
        budget = {
            target: max(g for g in range(1, 256) if occupancy(g, 0, block, 90)[0] >= target)
            for target in (1.0, 0.5, 0.25)
        }
        tables += [
            "",
            f"Register budget for a target occupancy (blocks of {block}, sm_80 and sm_90 alike: 65,536 registers "
            f"and 64 warps per SM): 100% needs <= {budget[1.0]} registers per thread, 50% <= {budget[0.5]}, 25% <= "
            f"{budget[0.25]}. "
            + (
                f"Spilling: {', '.join(sorted({short_kernel(r['kernel']) for r in spilled}))}. "
                if (spilled := [r for r in gpu_rows if (r["spill_stores"] or 0) > 0])
                else "No kernel spills. "
            )
            + "Where registers limit occupancy, fewer live values per kernel (splitting it) is the lever, not the "
            "block size.",
            "",
        ]
    if cost_rows:
        tables += [f"### Cost (`cost`, {cost_rows[0]['usd_per_hour']} USD per hour)", ""]
        tables += [
            "Source `env`: env steps alone (the best point of the env sweep); `train`: PPO, env steps trained per "
            "second (the best point of the train sweep). One CPU core's worth of work priced at the whole machine's "
            "rate, so a conservative figure for this 2-core machine.",
            "",
        ]
        tables += ["| source | env | num_envs | steps/s | USD per 1e9 steps | hours to 1e9 steps |"]
        tables += ["|---|---|---:|---:|---:|---:|"]
        for r in cost_rows:
            hours = r.get("hours_to_1e+09")
            tables.append(
                f"| {r['source']} | {r['env']} | {r['num_envs'] and int(r['num_envs'])} | {r['steps_per_s']:,.0f} | "
                f"{r['usd_per_billion_steps']:.3g} | {hours:.3g} |"
                if hours is not None
                else f"| {r['source']} | {r['env']} | - | {r['steps_per_s']:,.0f} | "
                f"{r['usd_per_billion_steps']:.3g} | - |"
            )
        tables.append("")

    headlines = []
    for env_id in sorted({r["env"] for r in peer_rows}):
        n = max(r["num_envs"] for r in peer_rows if r["env"] == env_id)
        same = [r for r in peer_rows if r["env"] == env_id and r["num_envs"] == n]
        ours = [r for r in same if r["impl"].startswith("warp (full") or r["impl"].startswith("warp articulation")]
        others = [r for r in same if not r["impl"].startswith("warp")]
        if ours and others:
            peer = max(others, key=lambda r: r["steps_per_s"])
            headlines.append(
                f"- {env_id}, {n:,} envs, one core each: Warp {ours[0]['steps_per_s']:,.0f} env steps/s, "
                f"{ours[0]['steps_per_s'] / peer['steps_per_s']:.1f}x the fastest peer ({peer['impl']}, "
                f"{peer['steps_per_s']:,.0f})."
            )
    for env_id in sorted({r["env"] for r in train_rows}):
        r = max((r for r in train_rows if r["env"] == env_id), key=lambda r: r["sps"])
        dominant = max(PHASES, key=lambda k: r[f"{k}_frac"])
        headlines.append(
            f"- PPO on {env_id}: {r['sps']:,.0f} SPS at {int(r['num_envs']):,} envs; {dominant} "
            f"{100 * r[f'{dominant}_frac']:.0f}% of the iteration, env step {100 * r['env_step_frac']:.0f}%."
        )

    rec = next(iter(records.values()), None)
    machine = ""
    if rec:
        m = rec["machine"]
        machine = f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, GPU: {m['gpu']}; " + ", ".join(
            f"{k} {v}" for k, v in rec["versions"].items()
        )
    commands = [
        f"    {r['command']}    # {r['date_utc']}, commit {r['git_commit'][:12]}, "
        f"load {r['machine']['loadavg_at_start'][0]:.2f}"
        for r in records.values()
    ]
    section = [
        "## Throughput: where the time goes, scaling, cost",
        "",
        "Regenerate every table and figure with `results/throughput/run.sh` (about 15 minutes on 2 cores). Each "
        "line below, the command as it was run, writes a CSV + JSON with provenance into `results/throughput/`; "
        "`report` turns them into the figures, this section and `results/throughput/README.md`:",
        "",
        *commands,
        "    .venv/bin/python cleanppo/throughput.py report",
        "",
        machine,
        "",
        *(
            ["Headlines (medians; every figure below has its min and max in the CSV):", "", *headlines, ""]
            if headlines
            else []
        ),
        *tables,
        "### Scaling",
        "",
        *scaling,
        "",
        "On a CPU the fixed per-step cost is Python dispatch plus one Warp launch; on a GPU it is the kernel launch "
        "(~5 us, one CUDA-graph replay per step), and the per-env cost is set by memory bandwidth for small "
        "envs and by compute (FLOPs, registers and occupancy) for articulated ones.",
        "",
        *projection,
        f"Figures: {', '.join(f'`{os.path.basename(p)}`' for p in figures)} in `results/throughput/`.",
        "",
    ]
    text = "\n".join(section)
    os.makedirs(os.path.dirname(args.section), exist_ok=True)
    with open(args.section, "w") as f:
        f.write(text)
    files = sorted(f for f in os.listdir(args.out) if f.endswith((".csv", ".json", ".png", ".sh")))
    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write("# Throughput record (cleanppo/throughput.py)\n\n" + text.split("\n", 2)[2])
        f.write(
            f"\nFiles here: {', '.join(f'`{name}`' for name in files)}. The JSON files hold every row with its "
            "provenance (machine, versions, commit, date, command, load average); the figures and tables are drawn "
            "from the CSV files by `python cleanppo/throughput.py report` (functions `plots` and `report`).\n"
        )
    print(f"wrote {args.section}, {os.path.join(args.out, 'README.md')} and {len(figures)} figures")


if __name__ == "__main__":
    commands = {
        "env": env_sweep,
        "train": train_sweep,
        "peers": peers,
        "gpu": gpu_report,
        "cost": cost,
        "report": report,
    }
    configs = {
        "env": EnvArgs,
        "train": TrainArgs,
        "peers": PeersArgs,
        "gpu": GpuArgs,
        "cost": CostArgs,
        "report": ReportArgs,
    }
    cfg = tyro.extras.subcommand_cli_from_dict(configs)
    os.makedirs(cfg.out, exist_ok=True)
    commands[next(k for k, v in configs.items() if isinstance(cfg, v))](cfg)
