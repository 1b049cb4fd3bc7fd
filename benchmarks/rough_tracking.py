"""How an anymal_c_rough policy moves: its deterministic policy in fresh envs of the task it trained on (the run's
--env-kwargs; `--default-task`: the env's defaults), commands as the env draws them (by default heading mode), for a
fixed time; by default on the curriculum's initial levels (0-5, legged_gym's max_init_terrain_level).

    python benchmarks/rough_tracking.py runs/<run>/checkpoint.pt [more checkpoints] [--envs 128 --steps 500]
    python benchmarks/rough_tracking.py <anymal_c checkpoint> --all-levels --envs 400   # a blind flat policy

Prints per checkpoint the mean per step of tracking_lin_vel and tracking_ang_vel with their share of the maximum
(weight x dt: 0.02 and 0.01), of the reward PPO maximizes, how many envs fell and, one step before each fall, the
range of the base's height above the ground under it (the privileged, noise-free scan) and of its projected gravity
z: collapses or a wrong ground. For a rough policy also its mean |action| and how far the scan's noise moves it: the
mean |policy(obs) - policy(obs with the noise-free scan)|, the action jitter the noisy scan injects, and how much of
the spread of the actor's first-layer pre-activations comes from the 48 flat inputs and how much from the 187 scan
inputs (normalized as in training). A policy that stands still keeps about 20% of tracking_lin_vel: the mean of
exp(-|cmd_xy|^2 / 0.25) over the command distribution (vx, vy ~ U(-1, 1), set to 0 below 0.2 m/s).

A checkpoint of the flat task (anymal_c) runs blind: it reads the first 48 observation entries, which are the flat
task's (the scan follows them). `--all-levels` turns the curriculum off, so levels are drawn from all rows (legged_gym
without curriculum), and adds a table per level and terrain type: which terrain a policy can walk on, and so whether
the terrain or the learning stops a rough policy. `--moves` also runs each policy, curriculum on, until every env has
ended one episode and prints per terrain type the share the curriculum moves up and down (legged_gym's rule: up past
half a tile from the origin, down under half the commanded distance), and that fell: what holds a run's levels down.
`--env-kwargs KEY=VALUE ...` changes the task after the run's own overrides, e.g. `resampling_time=10
heading_command=1` to judge a policy under legged_gym's commands. `--video out.mp4 [--video-env K]` records one
episode of env K (its terrain type is column K % 20) on the CPU, the terrain drawn around its tile.
"""

import argparse
import os

import numpy as np
import torch

import envs
from benchmarks.learning_clock import load_policy
from benchmarks.terrain_levels import KINDS
from cleanppo_utils import runs
from envs.anymal_c import NUM_OBS as FLAT_WIDTH
from envs.anymal_c import NUM_PRIV
from envs.anymal_c_rough import SCAN_X, SCAN_Y


def first_layer_parts(ckpt: dict, device: str):
    """obs -> (W_flat x_flat, W_scan x_scan): the actor's first layer applied to the normalized flat inputs (the first
    48) and to the normalized scan separately (bias left out); their spreads say which part drives the hidden units."""
    w = ckpt["agent"]["actor_mean.0.weight"].float().to(device)
    mean, inv_std = torch.zeros(w.shape[1], device=device), torch.ones(w.shape[1], device=device)
    if ckpt["args"].get("norm_obs", False):
        rms = ckpt["obs_rms"]
        mean, inv_std = rms["mean"].float().to(device), (rms["var"] + 1e-8).rsqrt().float().to(device)

    def parts(obs):
        x = ((obs - mean) * inv_std).clamp(-10.0, 10.0)
        return x[:, :FLAT_WIDTH] @ w[:, :FLAT_WIDTH].T, x[:, FLAT_WIDTH:] @ w[:, FLAT_WIDTH:].T

    return parts


def setup(path: str, num_envs: int, seed: int, curriculum: bool, own_task: bool, extra: tuple, device: str):
    """(checkpoint, env, deterministic policy, observation width it reads): the checkpoint's policy and an
    anymal_c_rough env of the task it trained on (its --env-kwargs, then `extra`'s KEY=VALUE pairs)."""
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
    except (OSError, RuntimeError) as e:
        raise SystemExit(f"{path}: cannot read the checkpoint ({str(e).splitlines()[0]})") from None
    env_id = ckpt["args"].get("env_id")
    if env_id not in ("anymal_c_rough", "anymal_c"):
        raise SystemExit(f"{path}: a checkpoint of env {env_id!r}, not anymal_c_rough (or a flat anymal_c policy)")
    pairs = list(extra)
    if own_task and env_id == "anymal_c_rough":  # a flat policy's overrides are the flat task's: left out
        pairs = list(ckpt["args"].get("env_kwargs", ())) + pairs
    kwargs = runs.env_kwargs(pairs) | {"curriculum": curriculum}
    env = envs.make("anymal_c_rough", num_envs=num_envs, device=device, seed=seed, **kwargs)
    width = FLAT_WIDTH if env_id == "anymal_c" else env.num_obs  # the flat observation is the rough one's first 48
    return ckpt, env, load_policy(ckpt, width, device), width


def tracking(path: str, num_envs: int, steps: int, seed: int, all_levels: bool = False, own_task: bool = True,
             device: str = "cpu", extra: tuple = ()) -> dict:  # fmt: skip
    """Mean reward terms per env step and the number of terminations of the checkpoint's deterministic policy, in the
    task it trained on (its --env-kwargs, then `extra`; with `own_task` False, the default task and `extra`); with
    `all_levels`, also `tiles`: {(level, terrain kind): (envs, tracking_lin_vel, tracking_ang_vel, falls)}."""
    if num_envs < 1 or steps < 1:
        raise SystemExit(f"--envs and --steps must be >= 1, got {num_envs} and {steps}")
    ckpt, env, policy, width = setup(path, num_envs, seed, not all_levels, own_task, extra, device)
    first = first_layer_parts(ckpt, device) if width > FLAT_WIDTH else None
    parts = []  # the first layer's pre-activations from the flat and from the scan inputs, every 10th step
    obs = env.reset(seed=seed)
    levels = env.terrain_levels.cpu().numpy().copy()  # without curriculum a level never changes
    per_env = torch.zeros(num_envs, len(env.reward_term_names), device=device)
    fell = torch.zeros(num_envs, device=device)
    reward, jitter, action_abs = (torch.zeros((), device=device) for _ in range(3))
    ends = []  # (base height above the ground [m], projected gravity z) one step before each termination
    # the noise-free scan's point under the base (x = y = 0) in the privileged observation, and its scale
    centre = NUM_PRIV + SCAN_X.index(0.0) * len(SCAN_Y) + SCAN_Y.index(0.0)
    cfg = env.config
    with torch.no_grad():
        for step in range(steps):
            # clip(z - scan_offset - ground, -1, 1) * height_scale
            height = env.info["privileged_obs"][:, centre] / cfg["height_scale"] + cfg["scan_offset"]
            q = env.get_state()[:, 3:7]  # base orientation (w, x, y, z)
            gravity_z = -(1.0 - 2.0 * (q[:, 1] ** 2 + q[:, 2] ** 2))
            action = policy(obs[:, :width])
            if first is not None and len(parts) < steps // 10 + 1 and step % 10 == 0:
                parts.append(first(obs))
            action_abs += action.abs().mean()
            if width > FLAT_WIDTH:  # the same policy on the noise-free scan: how much the scan's noise moves it
                clean = torch.cat([obs[:, :FLAT_WIDTH], env.info["privileged_obs"][:, NUM_PRIV:]], dim=1)
                jitter += (action - policy(clean)).abs().mean()
            obs, r, terminated, _, info = env.step(action)
            reward += r.sum()
            per_env += info["reward_terms"]
            fell += terminated.float()
            if bool(terminated.any()):
                ends += list(zip(height[terminated].tolist(), gravity_z[terminated].tolist(), strict=True))
    names = list(env.reward_term_names)
    out = dict(zip(names, (per_env.sum(0) / (steps * num_envs)).tolist(), strict=True))
    out |= {"iteration": ckpt.get("iteration"), "fell": int(fell.sum()), "ends": ends}
    out["reward"] = float(reward) / (steps * num_envs)  # the env's reward (only-positive clip included) per step
    out["scan_jitter"] = float(jitter) / steps if width > FLAT_WIDTH else None
    out["action_abs"] = float(action_abs) / steps
    if parts:  # per hidden unit, the std over envs and steps of each part; their means over the units
        flat, scan = (torch.cat([p[i] for p in parts]).std(0).mean().item() for i in (0, 1))
        out["first_layer_std"] = {"flat": flat, "scan": scan}
    # the terms' maxima per step (weight x dt) and the termination limits, for the printed shares and fall labels
    out["max"] = {k: cfg[f"{k}_weight"] * cfg["dt"] for k in ("tracking_lin_vel", "tracking_ang_vel")}
    out["limits"] = (cfg["min_base_height"], cfg["max_gravity_z"])
    if all_levels:
        num_cols = env.terrain.origins.shape[1]
        kinds = np.array(env.terrain.kind)[np.arange(num_envs) % num_cols]  # env i walks column i % num_cols
        per_env, fell = per_env.cpu(), fell.cpu()
        lin = per_env[:, names.index("tracking_lin_vel")] / steps
        ang = per_env[:, names.index("tracking_ang_vel")] / steps
        out["tiles"] = {}
        for level in sorted(set(levels.tolist())):
            for kind in KINDS:
                mine = torch.from_numpy((levels == level) & (kinds == kind))
                if mine.any():
                    out["tiles"][(int(level), kind)] = (
                        int(mine.sum()), float(lin[mine].mean()), float(ang[mine].mean()), int(fell[mine].sum())
                    )  # fmt: skip
    return out


def curriculum_moves(path: str, num_envs: int, seed: int, own_task: bool = True, device: str = "cpu",
                     extra: tuple = ()) -> dict:  # fmt: skip
    """Where the curriculum sends each env at the end of its first episode, run by the checkpoint's deterministic
    policy from the curriculum's initial levels in the task it trained on (and `extra`): per terrain kind {"envs",
    "up", "down", "fell", "levels"}, the three shares of its envs, and the same per starting level in "levels"
    ({level: {"envs", "up", "down", "fell"}}); the envs whose first episode had not ended within 1,100 steps (20 s
    episodes) are left out and counted in "running"."""
    if num_envs < 1:
        raise SystemExit(f"--envs must be >= 1, got {num_envs}")
    _, env, policy, width = setup(path, num_envs, seed, True, own_task, extra, device)
    obs = env.reset(seed=seed)
    start = env.terrain_levels.cpu().numpy().copy()
    end, fell = start.copy(), np.zeros(num_envs, dtype=bool)
    ended = np.zeros(num_envs, dtype=bool)
    with torch.no_grad():
        for _ in range(int(1.1 * env.max_episode_steps)):
            obs, _, terminated, truncated, _ = env.step(policy(obs[:, :width]))
            done = (terminated | truncated).cpu().numpy()
            first = done & ~ended
            if first.any():  # the level the reset just assigned: the curriculum's verdict on the episode
                end[first] = env.terrain_levels.cpu().numpy()[first]
                fell[first] = terminated.cpu().numpy()[first]
                ended |= first
            if ended.all():
                break
    num_cols = env.terrain.origins.shape[1]
    kinds = np.array(env.terrain.kind)[np.arange(num_envs) % num_cols]  # env i walks column i % num_cols
    out = {"running": int((~ended).sum())}

    def shares(mine):
        moved = end[mine] - start[mine]
        return {"envs": int(mine.sum()), "up": float(np.mean(moved > 0)), "down": float(np.mean(moved < 0)),
                "fell": float(fell[mine].mean())}  # fmt: skip

    for kind in KINDS:
        mine = (kinds == kind) & ended
        if mine.any():
            levels = {int(lv): shares(mine & (start == lv)) for lv in np.unique(start[mine])}
            out[kind] = shares(mine) | {"levels": levels}
    return out


def record(path: str, video: str, env_index: int, seed: int, all_levels: bool = False, own_task: bool = True,
           extra: tuple = (), max_steps: int | None = None) -> dict:  # fmt: skip
    """One episode of the checkpoint's deterministic policy in env `env_index` of the task it trained on, as a video
    (envs.video.record_episode: the terrain around its tile, the robot as equivalent-inertia boxes) with its per-step
    trace beside it (.csv); returns the env's terrain kind and level, the episode's length and return."""
    if env_index < 0:
        raise SystemExit(f"--video-env must be >= 0, got {env_index}")
    from envs.video import record_episode

    _, env, policy, width = setup(path, env_index + 1, seed, not all_levels, own_task, extra, "cpu")
    env.reset(seed=seed)  # record_episode resets with the same seed: the same levels
    level = int(env.terrain_levels[env_index])
    num_cols = env.terrain.origins.shape[1]
    kind = env.terrain.kind[env_index % num_cols]
    episode = record_episode(env, lambda obs: policy(obs[:, :width]), video, env_index=env_index, seed=seed,
                             trace_path=video.rsplit(".", 1)[0] + ".csv", max_steps=max_steps)  # fmt: skip
    return dict(kind=kind, level=level, length=episode.length, episode_return=episode.episode_return)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoints", nargs="*", help="ppo_warp.py checkpoints of anymal_c_rough (at least one)")
    p.add_argument("--envs", type=int, default=128)
    p.add_argument("--steps", type=int, default=500, help="env steps of 0.02 s")
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--all-levels", action="store_true", help="curriculum off: every level, a table per level and type")
    p.add_argument("--default-task", action="store_true", help="the env's defaults, not the run's --env-kwargs")
    p.add_argument("--device", default="cpu", help="the env's and the policy's device (cpu, cuda:0)")
    p.add_argument(
        "--env-kwargs",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="after the run's own (ppo_warp.py's); a word without '=' after them is a checkpoint",
    )
    p.add_argument("--moves", action="store_true", help="also where the curriculum sends each env after its episode")
    p.add_argument("--video", help="also record one episode as a video here (.mp4 or .gif; on the CPU)")
    p.add_argument("--video-env", type=int, default=4, help="the env it follows (env i walks terrain column i %% 20;"
                   " 4-10 stairs up, 11-15 stairs down, 16-19 obstacles; default 4)")  # fmt: skip
    a = p.parse_args()
    # --env-kwargs takes every word after it: a checkpoint given after the pairs is one of them until moved back
    a.checkpoints += [w for w in a.env_kwargs if "=" not in w]
    a.env_kwargs = [w for w in a.env_kwargs if "=" in w]
    if not a.checkpoints:
        p.error("give at least one checkpoint")
    if a.video and not a.video.lower().endswith((".mp4", ".gif")):
        p.error(f"--video must end in .mp4 or .gif, got {a.video!r}")
    torch.set_num_threads(1)
    extra = tuple(a.env_kwargs)
    for number, path in enumerate(a.checkpoints):
        t = tracking(path, a.envs, a.steps, a.seed, a.all_levels, not a.default_task, a.device, extra)
        lin, ang = t["tracking_lin_vel"], t["tracking_ang_vel"]
        lin_max, ang_max = t["max"]["tracking_lin_vel"], t["max"]["tracking_ang_vel"]
        print(
            f"{path}: iteration {t['iteration']}: tracking_lin_vel {lin:.4f} ({lin / lin_max:.0%}), tracking_ang_vel "
            f"{ang:.4f} ({ang / ang_max:.0%}), reward per env step {t['reward']:.4f}, fell {t['fell']} of {a.envs}"
        )
        if t["scan_jitter"] is not None:
            print(
                f"  policy mean |action| {t['action_abs']:.3f}; moved by the scan's noise (its mean on the noisy minus "
                f"on the noise-free scan) {t['scan_jitter']:.3f} on average; first layer's pre-activation spread "
                f"(std per unit) from the 48 flat inputs {t['first_layer_std']['flat']:.2f}, from the 187 scan inputs "
                f"{t['first_layer_std']['scan']:.2f}"
            )
        if t["ends"]:
            h, g = np.array(t["ends"]).T
            low, tilt = t["limits"]  # within 5 cm of the height limit or 0.1 of the tilt limit counts as explained
            print(
                f"  one step before each fall: base {h.min():.2f}-{h.max():.2f} m above the ground under it "
                f"(standing ~0.55), projected gravity z {g.min():.2f} to {g.max():.2f} (-1: level); "
                f"{int(((h > low + 0.05) & (g < tilt - 0.1)).sum())} of {len(h)} neither near the {low} m "
                f"termination height nor near the tilt limit (gravity z {tilt}; what a wrong ground height under the "
                "base would end)"
            )
        if a.all_levels:
            print("level | " + " | ".join(KINDS) + "   (each: tracking_lin_vel share, falls / envs)")
            for level in sorted({lv for lv, _ in t["tiles"]}):
                cells = []
                for kind in KINDS:
                    n, lv_lin, _, falls = t["tiles"].get((level, kind), (0, 0.0, 0.0, 0))
                    cells.append(f"{lv_lin / lin_max:.0%} {falls}/{n}" if n else "-")
                print(f"{level} | " + " | ".join(cells))
        if a.moves:
            m = curriculum_moves(path, a.envs, a.seed, not a.default_task, a.device, extra)
            print(
                "  curriculum after the first episode (initial levels 0-5): "
                + "; ".join(
                    f"{k} {v['up']:.0%} up, {v['down']:.0%} down, {v['fell']:.0%} fell ({v['envs']} envs)"
                    for k, v in m.items()
                    if k != "running"
                )
                + (f"; {m['running']} still running" if m["running"] else "")
            )
            for kind in ("stairs_up", "stairs_down"):  # the stairs per starting level: which step height stops it
                if kind in m:
                    print(f"    {kind} by starting level (up / down / fell): " + "; ".join(
                        f"{lv} ({0.05 + 0.18 * lv / 10:.3f} m): {v['up']:.0%} / {v['down']:.0%} / {v['fell']:.0%}"
                        for lv, v in m[kind]["levels"].items()))  # fmt: skip
        if a.video:  # one file per checkpoint: out.mp4, out_1.mp4, ...
            stem, ext = os.path.splitext(a.video)
            video = a.video if number == 0 else f"{stem}_{number}{ext}"
            v = record(path, video, a.video_env, a.seed, a.all_levels, not a.default_task, extra)
            print(f"  video {video}: env {a.video_env} on {v['kind']} level {v['level']}, {v['length']} steps, "
                  f"return {v['episode_return']:.2f}")  # fmt: skip
