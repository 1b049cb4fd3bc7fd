"""Sim-to-sim: a ppo_warp policy in the Warp env it was trained in and in Gymnasium's env of the same task.

    PYTHONPATH=$PWD python benchmarks/sim2sim.py runs/<run>/checkpoint.pt               # 10 episodes -> runs/sim2sim/
    PYTHONPATH=$PWD python benchmarks/sim2sim.py ant_policy.pt humanoid_policy.pt --episodes 10 --out DIR

A checkpoint is what cleanppo/ppo_warp.py saves (a full training checkpoint or a slim one): `agent` (its state
dict), `obs_rms` (the observation normalizer's mean, var, count) and `args`. The actor is rebuilt from the state
dict (Linear layers with Tanh between them, as ppo_warp's `mlp`) and acts deterministically (the actor mean).

Both simulators run the same episodes: episode i starts in Gymnasium from the state (qpos, qvel) that the Warp env
drew for env i after `reset(seed)` (`--no-same-start`: Gymnasium's own reset with seed + i), with the same time
limit. The observation layout is the checkpoint's: ant and humanoid policies trained on `obs_layout="v5"`
(Gymnasium's default observation, with MuJoCo's cfrc_ext, and for humanoid cinert, cvel, qfrc_actuator) or on the
default `obs_layout="short"` (qpos[2:], qvel), told apart by the checkpoint's
observation size. What is matched (GYM_TASKS, per layout):
  ant          Ant-v5 (v5: its defaults; short: include_cfrc_ext_in_observation=False); contact_cost in both
  half_cheetah HalfCheetah-v5
  hopper       Hopper-v5; walker2d Walker2d-v5; swimmer Swimmer-v5 (Gymnasium integrates the three with RK4, our
               envs with Euler)
  humanoid     Humanoid-v5 (v5: its defaults; short: include_{cinert,cvel,qfrc_actuator,cfrc_ext}_in_observation=False);
               contact_cost and the center-of-mass forward reward in both; humanoid_standup HumanoidStandup-v5, the
               same layouts
  inverted_pendulum InvertedPendulum-v5; inverted_double_pendulum InvertedDoublePendulum-v5; reacher Reacher-v5
               (Gymnasium integrates the three with RK4, our envs with Euler); pusher Pusher-v5 (Euler in both)
  cartpole     CartPole-v1, our force 10 a N applied by setting Gymnasium's force_mag to 10 |a| each step
  pendulum     Pendulum-v1, torque 2 a N m
every locomotion task with exclude_current_positions_from_observation=True, and the reward weights, healthy range,
reset noise, contact cost and frame skip of our env's constructor defaults passed to Gymnasium under the same names.
In the v5 layout each simulator observes its own contact forces: the policy meets MuJoCo's solver's in Gymnasium.
Actions are
clipped to [-1, 1] and mapped linearly onto Gymnasium's action space (MuJoCo's ctrlrange), as our envs map them.
`--env-kwargs '{"healthy_z_range": [0.2, 100.0]}'` changes a constructor argument on both sides alike.

Reported per simulator: return, episode length, forward velocity (the torso's x displacement over the episode /
its duration, m/s, computed the same way in both; none for the pendulums, reacher, pusher and humanoid_standup),
torso height range (ant, humanoid), and how episodes ended: time_limit, or the termination condition that fired
(torso_z_below / torso_z_above the healthy range, hopper and walker2d also torso_pitch_out and (hopper) state_out,
non_finite state, cart_x_out / pole_angle_out, tip_too_low). Writes
<out>/sim2sim.json and <out>/sim2sim.md.
"""

from __future__ import annotations

import datetime
import inspect
import json
import math
import os
import platform
import shlex
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata

import gymnasium as gym
import numpy as np
import torch
import tyro
from gymnasium.envs.registration import load_env_creator
from torch import nn

import envs
from mjcf import load_mjcf

OBS_CLIP = 10.0  # ppo_warp's RunningMeanStd.clip (a constructor default, not stored in the checkpoint)
OBS_EPS = 1e-8  # ppo_warp's RunningMeanStd.frozen: 1 / sqrt(var + 1e-8)
MUJOCO_TASKS = (
    "ant", "half_cheetah", "hopper", "humanoid", "humanoid_standup", "inverted_double_pendulum", "inverted_pendulum",
    "pusher", "reacher", "swimmer", "walker2d",
)  # fmt: skip
# MuJoCo tasks that go nowhere: no forward velocity reported
IN_PLACE_TASKS = ("humanoid_standup", "inverted_double_pendulum", "inverted_pendulum", "pusher", "reacher")
HEIGHT_TASKS = ("ant", "humanoid")  # obs[0] is the torso height and the healthy range applies to it
PLANAR_TASKS = ("hopper", "walker2d")  # obs[0] the torso height (rootz), obs[1] its pitch, each with a healthy range
# the locomotion tasks, whose Gymnasium observation leaves out the root's x (and y) position by default
LOCOMOTION_TASKS = ("ant", "half_cheetah", "hopper", "humanoid", "humanoid_standup", "swimmer", "walker2d")
_NO_POSITIONS = dict(exclude_current_positions_from_observation=True)
# env id -> (Gymnasium id, the Gymnasium options that give our env's default (v5) observation layout)
GYM_TASKS = {k: (v, dict(_NO_POSITIONS) if k in LOCOMOTION_TASKS else {}) for k, v in envs.GYM_IDS.items()}
SHORT_LAYOUT = envs.GYM_SHORT_LAYOUT  # added to the above for obs_layout="short"


@dataclass
class Args:
    checkpoints: tyro.conf.Positional[list[str]]
    """ppo_warp checkpoints (keys agent, obs_rms, args); each is run on the env id saved in its args"""
    episodes: int = 10
    """episodes per simulator"""
    seed: int = 0
    """seed of the Warp env's reset (and of Gymnasium's reset, seed + episode index)"""
    max_steps: int | None = None
    """time limit in steps for both simulators (default: the env's own; 1000 for locomotion, 50 for reacher)"""
    same_start: bool = True
    """start each Gymnasium episode from the Warp episode's initial state (else Gymnasium's own reset noise)"""
    env_kwargs: str = "{}"
    """JSON object of constructor arguments given to both simulators' envs (names both accept), e.g.
    '{"healthy_z_range": [0.2, 1.2]}'; the default is our env's defaults on both sides"""
    out: str = "runs/sim2sim"
    """folder for sim2sim.json and sim2sim.md"""


def _gym_params(env_id: str) -> set[str]:
    return set(inspect.signature(load_env_creator(gym.spec(GYM_TASKS[env_id][0]).entry_point).__init__).parameters)


def env_params(env_id: str, overrides: dict | None = None) -> dict:
    """Return our env's constructor defaults (reward weights, healthy range, reset noise, ...) with overrides."""
    params = inspect.signature(envs.env_class(env_id)).parameters
    out = {k: p.default for k, p in params.items() if p.default is not inspect.Parameter.empty}
    for k, v in (overrides or {}).items():
        if k not in out or k not in _gym_params(env_id) or k in ("num_envs", "device", "seed"):
            raise ValueError(f"{k!r} is not a constructor argument of both {env_id!r} and {GYM_TASKS[env_id][0]}")
        out[k] = tuple(v) if isinstance(v, list) else v
    return out


def gym_kwargs(env_id: str, overrides: dict | None = None, obs_layout: str = "v5") -> dict:
    """Return the Gymnasium kwargs for `env_id`: the layout options plus our values for parameters both share."""
    theirs = _gym_params(env_id) - {"num_envs", "device", "seed"}
    shared = {k: v for k, v in env_params(env_id, overrides).items() if k in theirs}
    layout = SHORT_LAYOUT.get(env_id, {}) if obs_layout == "short" else {}
    return {**shared, **GYM_TASKS[env_id][1], **layout}


def make_gym(env_id: str, max_steps: int, overrides: dict | None = None, obs_layout: str = "v5") -> gym.Env:
    """Build Gymnasium's env of the same task, observation layout, reward weights and time limit as ours."""
    return gym.make(GYM_TASKS[env_id][0], max_episode_steps=max_steps, **gym_kwargs(env_id, overrides, obs_layout))


def obs_layout_of(env_id: str, num_obs: int) -> str:
    """The obs_layout of our env whose observation has num_obs entries ("v5" for envs without the option)."""
    cls = envs.env_class(env_id)
    sizes = {"v5": cls.num_obs}
    if "obs_layout" in inspect.signature(cls).parameters:
        model = load_mjcf(os.path.join(envs.core.ASSETS, cls.asset))
        sizes = {layout: cls._num_obs(model, layout) for layout in ("v5", "short")}
    for layout, size in sizes.items():
        if size == num_obs:
            return layout
    raise ValueError(f"{env_id}: no observation layout of our env has {num_obs} entries ({sizes})")


def layout_kwargs(env_id: str, obs_layout: str) -> dict:
    """The constructor argument that selects obs_layout in our env (none for envs without the option)."""
    has = "obs_layout" in inspect.signature(envs.env_class(env_id)).parameters
    return {"obs_layout": obs_layout} if has else {}


def gym_observe(env_id: str, u) -> np.ndarray:
    """Return the unwrapped Gymnasium env's current observation (float32), in our env's layout."""
    return np.asarray(u.state if env_id == "cartpole" else u._get_obs(), dtype=np.float32)


def gym_set_state(env_id: str, u, state: np.ndarray) -> np.ndarray:
    """Put the unwrapped Gymnasium env in our env's state (get_state layout); return the observation there."""
    state = np.asarray(state, dtype=np.float64)
    if env_id in MUJOCO_TASKS:
        u.set_state(state[: u.model.nq], state[u.model.nq :])
    else:
        u.state = state.copy()
    return gym_observe(env_id, u)


def gym_action(env_id: str, env: gym.Env, a: np.ndarray):
    """Map our normalized action (clipped to [-1, 1]) onto Gymnasium's action space as our env maps it."""
    a = np.clip(a, -1.0, 1.0)
    if env_id == "cartpole":
        # CartPole-v1 is discrete, force = +-force_mag; setting force_mag per step applies our force_mag * a
        env.unwrapped.force_mag = env_params("cartpole")["force_mag"] * abs(float(a[0]))
        return int(a[0] > 0.0)
    low, high = env.action_space.low, env.action_space.high
    return (low + 0.5 * (a + 1.0) * (high - low)).astype(env.action_space.dtype)


def end_cause(env_id: str, final_obs: np.ndarray, terminated: bool, truncated: bool, params: dict | None = None) -> str:
    """Name why an episode ended, from its last observation: time_limit or the termination condition."""
    if not terminated:
        return "time_limit" if truncated else "running"
    if not np.isfinite(final_obs).all():
        return "non_finite"
    if env_id in HEIGHT_TASKS:
        lo, hi = (params or env_params(env_id))["healthy_z_range"]
        return "torso_z_below" if final_obs[0] < 0.5 * (lo + hi) else "torso_z_above"
    if env_id in PLANAR_TASKS:
        p = params or env_params(env_id)
        (zlo, zhi), (alo, ahi) = p["healthy_z_range"], p["healthy_angle_range"]
        if not zlo < final_obs[0] < zhi:
            return "torso_z_below" if final_obs[0] <= zlo else "torso_z_above"
        return "torso_pitch_out" if not alo < final_obs[1] < ahi else "state_out"  # Hopper-v5's state range
    if env_id == "inverted_pendulum":
        return "pole_angle_out"
    if env_id == "inverted_double_pendulum":
        return "tip_too_low"
    if env_id == "cartpole":
        return "cart_x_out" if abs(final_obs[0]) > (params or env_params(env_id))["x_threshold"] else "pole_angle_out"
    return "terminated"


def load_policy(path: str):
    """Return (env id, train args, policy): policy maps raw observations [B, O] to actor-mean actions [B, A]
    (O: policy.num_obs)."""
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    args, sd = ckpt["args"], ckpt["agent"]
    actor_sd = {k.removeprefix("actor_mean."): v for k, v in sd.items() if k.startswith("actor_mean.")}
    # ppo_warp's mlp: Linear at even indices of an nn.Sequential, its activation (args, tanh before it had one) after
    # every Linear but the last
    indices = sorted(int(k.split(".")[0]) for k in actor_sd if k.endswith(".weight"))
    layers = []
    for j, idx in enumerate(indices):
        if j > 0:
            layers.append(nn.ELU() if args.get("activation", "tanh") == "elu" else nn.Tanh())
        if len(layers) != idx:
            raise ValueError(f"{path}: not ppo_warp's actor layout (Linear, Tanh, ...): {sorted(actor_sd)}")
        out_features, in_features = actor_sd[f"{idx}.weight"].shape
        layers.append(nn.Linear(in_features, out_features))
    actor = nn.Sequential(*layers)
    actor.load_state_dict(actor_sd)
    actor.eval()
    rms = ckpt["obs_rms"]
    mean, inv_std = rms["mean"].float(), (rms["var"] + OBS_EPS).rsqrt().float()
    norm_obs = args.get("norm_obs", True)

    @torch.no_grad()
    def policy(obs: torch.Tensor) -> torch.Tensor:
        x = ((obs - mean) * inv_std).clamp(-OBS_CLIP, OBS_CLIP) if norm_obs else obs
        return actor(x)

    policy.num_obs = int(mean.numel())
    return args["env_id"], args, policy


def _new_track(n: int) -> dict:
    return {
        "return": np.zeros(n),
        "length": np.zeros(n, dtype=np.int64),
        "forward_sum": np.zeros(n),  # sum of per-step torso x velocities, m/s
        "z_min": np.full(n, np.inf),
        "z_max": np.full(n, -np.inf),
        "end": ["running"] * n,
    }


def run_warp(
    env_id: str, policy, n: int, seed: int, max_steps: int, overrides: dict, obs_layout: str = "v5"
) -> tuple[dict, np.ndarray]:
    """Run n episodes in the Warp env on the CPU (one env each); return the tracks and the initial states."""
    params = env_params(env_id, overrides)
    kwargs = {**{k: params[k] for k in overrides}, **layout_kwargs(env_id, obs_layout)}
    env = envs.make(env_id, num_envs=n, device="cpu", seed=seed, max_episode_steps=max_steps, **kwargs)
    obs = env.reset(seed=seed)
    start = env.get_state().clone().numpy()
    forward_weight = params.get("forward_reward_weight")
    fwd = env.reward_term_names.index("forward") if "forward" in env.reward_term_names else None
    track = _new_track(n)
    finished = np.zeros(n, dtype=bool)
    for _ in range(env.max_episode_steps):
        z = obs[:, 0].numpy().copy()
        live = ~finished
        track["z_min"][live] = np.minimum(track["z_min"][live], z[live])
        track["z_max"][live] = np.maximum(track["z_max"][live], z[live])
        obs, _, terminated, truncated, info = env.step(policy(obs))
        if fwd is not None:
            track["forward_sum"][live] += info["reward_terms"][:, fwd].numpy()[live] / forward_weight
        done = (terminated | truncated).numpy() & live
        final_obs = info["final_obs"].numpy()
        for i in np.flatnonzero(done):
            track["return"][i] = info["episode_return"][i].item()
            track["length"][i] = int(info["episode_length"][i].item())
            track["end"][i] = end_cause(env_id, final_obs[i], bool(terminated[i]), bool(truncated[i]), params)
            track["z_min"][i] = min(track["z_min"][i], final_obs[i, 0])
            track["z_max"][i] = max(track["z_max"][i], final_obs[i, 0])
        finished |= done
        if finished.all():
            break
    return track, start


def run_gym(
    env_id: str,
    policy,
    n: int,
    seed: int,
    max_steps: int,
    start: np.ndarray | None,
    overrides: dict,
    obs_layout: str = "v5",
) -> dict:
    """Run n episodes in Gymnasium's env, episode i from start[i] (or Gymnasium's reset with seed + i)."""
    params = env_params(env_id, overrides)
    env = make_gym(env_id, max_steps, overrides, obs_layout)
    u = env.unwrapped
    track = _new_track(n)
    for i in range(n):
        obs, _ = env.reset(seed=seed + i)
        obs = gym_set_state(env_id, u, start[i]) if start is not None else np.asarray(obs, dtype=np.float32)
        while True:
            track["z_min"][i] = min(track["z_min"][i], obs[0])
            track["z_max"][i] = max(track["z_max"][i], obs[0])
            a = policy(torch.as_tensor(obs, dtype=torch.float32)[None])[0].numpy()
            x_before = float(u.data.qpos[0]) if env_id in MUJOCO_TASKS else 0.0
            obs, reward, terminated, truncated, _ = env.step(gym_action(env_id, env, a))
            obs = np.asarray(obs, dtype=np.float32)
            track["return"][i] += float(reward)
            track["length"][i] += 1
            if env_id in MUJOCO_TASKS:
                track["forward_sum"][i] += (float(u.data.qpos[0]) - x_before) / u.dt
            if terminated or truncated:
                track["z_min"][i] = min(track["z_min"][i], obs[0])
                track["z_max"][i] = max(track["z_max"][i], obs[0])
                track["end"][i] = end_cause(env_id, obs, bool(terminated), bool(truncated), params)
                break
    env.close()
    return track


def summarize(env_id: str, track: dict) -> dict:
    """Mean and std over episodes of return, length and forward velocity [m/s]; torso z range [m]; end causes."""
    length = track["length"]
    has_forward = env_id in MUJOCO_TASKS and env_id not in IN_PLACE_TASKS
    velocity = track["forward_sum"] / np.maximum(length, 1) if has_forward else None
    ends = {}
    for cause in track["end"]:
        ends[cause] = ends.get(cause, 0) + 1
    episodes = [
        {
            "return": float(track["return"][i]),
            "length": int(length[i]),
            "forward_velocity": float(velocity[i]) if has_forward else None,
            "torso_z_min": float(track["z_min"][i]) if env_id in HEIGHT_TASKS else None,
            "torso_z_max": float(track["z_max"][i]) if env_id in HEIGHT_TASKS else None,
            "end": track["end"][i],
        }
        for i in range(len(length))
    ]
    return {
        "return_mean": float(track["return"].mean()),
        "return_std": float(track["return"].std()),
        "length_mean": float(length.mean()),
        "length_std": float(length.std()),
        "forward_velocity_mean": float(velocity.mean()) if has_forward else None,
        "forward_velocity_std": float(velocity.std()) if has_forward else None,
        "torso_z_min": float(track["z_min"].min()) if env_id in HEIGHT_TASKS else None,
        "torso_z_max": float(track["z_max"].max()) if env_id in HEIGHT_TASKS else None,
        "ends": dict(sorted(ends.items())),
        "episodes": episodes,
    }


def compare(path: str, args: Args) -> dict:
    """Run one checkpoint in both simulators and return its record (summaries, MuJoCo/Warp return ratio)."""
    env_id, train_args, policy = load_policy(path)
    if env_id not in GYM_TASKS:
        raise SystemExit(f"sim2sim: no Gymnasium counterpart for env {env_id!r}; known: {', '.join(GYM_TASKS)}")
    max_steps = args.max_steps or envs.env_class(env_id).default_max_episode_steps
    overrides = json.loads(args.env_kwargs)
    layout = obs_layout_of(env_id, policy.num_obs)
    warp_track, start = run_warp(env_id, policy, args.episodes, args.seed, max_steps, overrides, layout)
    gym_start = start if args.same_start else None
    gym_track = run_gym(env_id, policy, args.episodes, args.seed, max_steps, gym_start, overrides, layout)
    warp, gymnasium = summarize(env_id, warp_track), summarize(env_id, gym_track)
    ratio = gymnasium["return_mean"] / warp["return_mean"] if warp["return_mean"] != 0 else math.nan
    return {
        "checkpoint": path,
        "env_id": env_id,
        "gym_id": GYM_TASKS[env_id][0],
        "obs_layout": layout,
        "gym_kwargs": {
            k: list(v) if isinstance(v, tuple) else v for k, v in gym_kwargs(env_id, overrides, layout).items()
        },
        "env_kwargs": overrides,
        "train": {k: train_args.get(k) for k in ("run_name", "seed", "total_timesteps", "num_envs", "hidden")},
        "max_steps": max_steps,
        "warp": warp,
        "gymnasium": gymnasium,
        "return_ratio_gymnasium_over_warp": ratio,
    }


def _pm(mean: float | None, std: float | None, fmt: str) -> str:
    return "-" if mean is None else f"{mean:{fmt}} +- {std:{fmt}}"


def table(records: list[dict]) -> str:
    """Return a Markdown table: one row per checkpoint and simulator."""
    lines = [
        "| env | simulator | return | ratio | episode length | forward velocity [m/s] | torso z [m] | episode ends |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    for r in records:
        for key, label in (("warp", f"Warp `{r['env_id']}` (CPU)"), ("gymnasium", f"Gymnasium {r['gym_id']}")):
            s = r[key]
            ratio = f"{r['return_ratio_gymnasium_over_warp']:.2f}" if key == "gymnasium" else "1"
            z = "-" if s["torso_z_min"] is None else f"{s['torso_z_min']:.2f} - {s['torso_z_max']:.2f}"
            ends = ", ".join(f"{k} {v}" for k, v in s["ends"].items())
            lines.append(
                f"| {r['env_id']} | {label} | {_pm(s['return_mean'], s['return_std'], ',.1f')} | {ratio} | "
                f"{_pm(s['length_mean'], s['length_std'], '.0f')} | "
                f"{_pm(s['forward_velocity_mean'], s['forward_velocity_std'], '.2f')} | {z} | {ends} |"
            )
    return "\n".join(lines)


def provenance() -> dict:
    """Return the command, commit, date and package versions of this run."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        commit = subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=root, text=True, timeout=5).strip()
        changed = ["git", "status", "--porcelain", "--", "benchmarks", "envs", "kernels", "mjcf"]
        if subprocess.check_output(changed, cwd=root, text=True, timeout=5).strip():
            commit += "-dirty"
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    cpu = platform.processor() or platform.machine()
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    versions = {"python": platform.python_version()}
    for p in ("torch", "warp-lang", "gymnasium", "mujoco"):
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            versions[p] = "not installed"
    return {
        "command": "python " + shlex.join(sys.argv),
        "git_commit": commit,
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu,
        "versions": versions,
    }


def main(args: Args) -> dict:
    """Compare every checkpoint, print the table, write <out>/sim2sim.json and <out>/sim2sim.md; return the record."""
    if args.episodes < 1 or (args.max_steps is not None and args.max_steps < 1):
        raise SystemExit(f"sim2sim: need --episodes >= 1 and --max-steps >= 1, got {args.episodes}, {args.max_steps}")
    for path in args.checkpoints:
        if not os.path.isfile(path):
            raise SystemExit(f"sim2sim: checkpoint {path!r} does not exist")
    try:
        if not isinstance(json.loads(args.env_kwargs), dict):
            raise ValueError("not an object")
    except ValueError as e:
        raise SystemExit(f"sim2sim: --env-kwargs must be a JSON object, got {args.env_kwargs!r} ({e})") from None
    torch.set_num_threads(1)
    records = [compare(path, args) for path in args.checkpoints]
    record = {
        "provenance": provenance(),
        "episodes": args.episodes,
        "seed": args.seed,
        "same_start": args.same_start,
        "env_kwargs": json.loads(args.env_kwargs),
        "results": records,
    }
    md = table(records)
    print(md)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "sim2sim.json"), "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.out, "sim2sim.md"), "w") as f:
        p = record["provenance"]
        run = f"{args.episodes} episodes, seed {args.seed}, same_start {args.same_start}, env_kwargs {args.env_kwargs}"
        f.write(f"`{p['command']}` at {p['git_commit']}, {p['date_utc']}, {p['versions']}; {run}\n\n{md}\n")
    return record


if __name__ == "__main__":
    main(tyro.cli(Args))
