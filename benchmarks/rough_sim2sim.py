"""Sim-to-sim on rough terrain: an anymal_c_rough ppo_warp policy in our env and in MuJoCo C on the same terrain.

    PYTHONPATH=$PWD python benchmarks/rough_sim2sim.py results/h200_2026-11-27_d62a2cf/rough_long_policy.pt --envs 60

MuJoCo side: envs/assets/anymal_c.xml with the env's whole height field as a MuJoCo hfield in place of the floor plane
(envs/video.py `add_terrain`; MuJoCo collides the foot spheres with the field's triangular prisms, our env with the
plane of the triangle under each sphere), its own solver in float64, decisions as benchmarks/anymal_sim2sim.py
(frame_skip mj_step calls at the env's sim_dt, ctrl = default pose + action_scale * a). Its observation is
anymal_sim2sim's 48 entries and the 187-point height scan computed from MjData's base pose on the env's heights
(`scan`: the env's triangles and legged_gym's yaw-only rotation), noise-free. Our side: envs.make("anymal_c_rough") on
the CPU in the run's task (its --env-kwargs) with noise, pushes, heading mode and command resampling off.

Both simulators start from the env's reset states (the curriculum's initial levels, as in training: 0-5) and hold the
command (--vx, 0, 0): walk straight ahead at --vx m/s in the base frame for --seconds. Per terrain type (env i walks
column i % num_cols), in each simulator: the share of episodes that fell (the env's rule: base within min_base_height of
the ground under it, or tilted past max_gravity_z), the mean distance [m] of the base from its start after --seconds (a
fallen episode at its last decision before the fall), and the mean base-frame forward velocity over the live decisions;
and how many contacts MuJoCo makes per foot in contact (its height field collides a sphere with every triangular prism
it touches: one to six contacts per foot where our env makes one). A policy that holds up in MuJoCo falls as often there
and gets as far. `--control` also runs MuJoCo alone on flat ground, on its plane and on an all-zero hfield, from the
same joint states: the difference MuJoCo's height field alone makes. Writes <out>/rough_sim2sim.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os

import mujoco
import numpy as np
import torch

from benchmarks import anymal_sim2sim as flat
from benchmarks.rough_tracking import setup
from benchmarks.sim2sim import provenance
from benchmarks.terrain_levels import KINDS
from envs.anymal_c_rough import SCAN_X, SCAN_Y
from envs.video import add_terrain

HELD = ("resampling_time=1e6", "heading_command=0", "max_push_vel_xy=0.0", "noise_level=0.0")


def ground_height(heights: np.ndarray, spacing: float, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Height [m, world] of the terrain surface at world (x, y) [m]: kernels.terrain.hfield_height's two triangles per
    cell (split along (i, j)-(i + 1, j + 1)); 0 (the floor plane) outside the field."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    u, v = x / spacing, y / spacing
    inside = (u >= 0) & (v >= 0) & (u <= heights.shape[0] - 1) & (v <= heights.shape[1] - 1)
    i = np.clip(np.floor(u).astype(int), 0, heights.shape[0] - 2)
    j = np.clip(np.floor(v).astype(int), 0, heights.shape[1] - 2)
    fu, fv = u - i, v - j
    h00, h11 = heights[i, j], heights[i + 1, j + 1]
    h01, h10 = heights[i, j + 1], heights[i + 1, j]
    upper = h00 + fu * (h11 - h01) + fv * (h01 - h00)
    lower = h00 + fu * (h10 - h00) + fv * (h11 - h10)
    return np.where(inside, np.where(fv >= fu, upper, lower), 0.0)


def scan(qpos: np.ndarray, heights: np.ndarray, spacing: float, height_scale: float, scan_offset: float) -> np.ndarray:
    """The env's 187 noise-free scan entries of a base pose: clip(base z - scan_offset - ground, -1, 1) * height_scale
    at legged_gym's points (x[k // 11], y[k % 11]) rotated by the base's yaw about its position."""
    w, z = qpos[3], qpos[6]
    norm = np.hypot(w, z)
    c, s = (w * w - z * z) / norm**2, 2.0 * w * z / norm**2  # cos and sin of the yaw of (w, 0, 0, z)
    px, py = np.meshgrid(np.array(SCAN_X), np.array(SCAN_Y), indexing="ij")
    px, py = px.ravel(), py.ravel()
    x, y = qpos[0] + c * px - s * py, qpos[1] + s * px + c * py
    return np.clip(qpos[2] - scan_offset - ground_height(heights, spacing, x, y), -1.0, 1.0) * height_scale


def mujoco_terrain_model(heights: np.ndarray, spacing: float, sim_dt: float) -> mujoco.MjModel:
    """MuJoCo's model of envs/assets/anymal_c.xml on the whole height field (no plane), timestep sim_dt [s]."""
    spec = mujoco.MjSpec.from_file(flat.XML)
    extent = (np.array(heights.shape) - 1) * spacing
    add_terrain(mujoco, spec, heights, spacing, extent / 2.0, half_size=float(extent.max()), max_side=None)
    m = spec.compile()
    m.opt.timestep = sim_dt
    return m


def fell_on_terrain(qpos: np.ndarray, qvel: np.ndarray, cfg: dict, heights: np.ndarray, spacing: float) -> bool:
    """The env's termination rule: non-finite, base within min_base_height [m] of the ground under it, or tilted."""
    if not (np.isfinite(qpos).all() and np.isfinite(qvel).all()):
        return True
    _, _, g = flat.base_frame(qpos, qvel)
    ground = float(ground_height(heights, spacing, qpos[0], qpos[1]))
    return bool(qpos[2] - ground < cfg["min_base_height"] or g[2] > cfg["max_gravity_z"])


def run_mujoco(m, policy, s0: np.ndarray, cmds: np.ndarray, steps: int, cfg: dict, terrain: dict):
    """MuJoCo from s0 [N, 37] under the policy with the commands [N, 3] held, lockstep over episodes; a fallen
    episode stops there. Returns states [T + 1, N, 37], alive [T + 1, N] and MuJoCo's mean number of contacts per
    foot in contact over the live decisions."""
    n = len(s0)
    datas = [mujoco.MjData(m) for _ in range(n)]
    for d, s in zip(datas, s0, strict=True):
        d.qpos[:], d.qvel[:] = s[: flat.NQ], s[flat.NQ :]
        mujoco.mj_forward(m, d)
    last, live = np.zeros((n, 12)), np.ones(n, dtype=bool)
    hs, sp = terrain["heights"], terrain["spacing"]
    states, alive = [s0.copy()], [live.copy()]
    feet = [mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, f) for f in flat.FEET]
    touching = pairs = 0  # feet in contact, and MuJoCo's contacts of those feet, over the live decisions
    with torch.no_grad():
        for _ in range(steps):
            obs = np.stack(
                [
                    np.concatenate(
                        [
                            flat.observe(d.qpos, d.qvel, c, a, cfg),
                            scan(d.qpos, hs, sp, terrain["height_scale"], terrain["scan_offset"]),
                        ]
                    )
                    for d, c, a in zip(datas, cmds, last, strict=True)
                ]
            ).astype(np.float32)
            a_t = policy(torch.from_numpy(obs)).clamp(-1.0, 1.0).numpy().astype(np.float64)
            for i in np.flatnonzero(live):
                d = datas[i]
                flat.mujoco_decision(m, d, a_t[i], cfg)
                per_foot = [sum(f in (c.geom[0], c.geom[1]) for c in d.contact[: d.ncon]) for f in feet]
                touching += sum(k > 0 for k in per_foot)
                pairs += sum(per_foot)
                if fell_on_terrain(d.qpos, d.qvel, cfg, hs, sp):
                    live[i] = False
            last = a_t
            states.append(np.stack([np.concatenate([d.qpos, d.qvel]) for d in datas]))
            alive.append(live.copy())
    return np.stack(states), np.stack(alive), pairs / max(touching, 1)


def by_kind(states: np.ndarray, alive: np.ndarray, kinds: np.ndarray) -> dict:
    """Per terrain type: envs, fell (share), dist [m] from the start to the last live state, forward velocity vx [m/s]
    over the live steps."""
    last = np.array([np.flatnonzero(alive[:, i])[-1] for i in range(alive.shape[1])])
    end = states[last, np.arange(states.shape[1])]
    dist = np.linalg.norm(end[:, :2] - states[0, :, :2], axis=1)
    v, _ = flat._base_velocities(torch.from_numpy(states[1:].reshape(-1, states.shape[2])))
    vx = v[:, 0].numpy().reshape(states.shape[0] - 1, -1)
    out = {}
    for kind in KINDS:
        mine = kinds == kind
        if mine.any():
            live = alive[1:, mine]
            forward = float(vx[:, mine][live].mean()) if live.any() else 0.0
            out[kind] = dict(envs=int(mine.sum()), fell=float((~alive[-1, mine]).mean()), dist=float(dist[mine].mean()),
                             vx=forward)  # fmt: skip
    return out


def compare(path: str, n: int, seconds: float, vx: float, seed: int) -> dict:
    """Both simulators from the same reset states under the checkpoint's policy (module docstring)."""
    _, env, policy, width = setup(path, n, seed, True, True, HELD, "cpu")
    if width != env.num_obs:
        raise SystemExit(f"{path}: a flat anymal_c policy; this compares rough-terrain policies (their scan)")
    c = env.config
    cfg = flat.env_config(env)  # the run's own --env-kwargs reach both simulators
    terrain = dict(heights=env.terrain.heights.astype(np.float64), spacing=float(env.terrain.spacing),
                   height_scale=float(c["height_scale"]), scan_offset=float(c["scan_offset"]))  # fmt: skip
    steps = int(round(seconds / env.dt))
    cmds = torch.tensor([[vx, 0.0, 0.0]] * n, dtype=torch.float32)
    env.reset(seed=seed)  # run_ours resets with the same seed: these are its starting levels
    levels = env.terrain_levels.numpy().copy()
    ours, _, alive_ours = flat.run_ours(env, policy, cmds, steps, seed)
    m = mujoco_terrain_model(terrain["heights"], terrain["spacing"], cfg["sim_dt"])
    theirs, alive_mj, per_foot = run_mujoco(m, policy, ours[0], cmds.numpy().astype(np.float64), steps, cfg, terrain)
    num_cols = env.terrain.origins.shape[1]
    kinds = np.array(env.terrain.kind)[np.arange(n) % num_cols]  # env i walks column i % num_cols
    return dict(ours=by_kind(ours, alive_ours, kinds), mujoco=by_kind(theirs, alive_mj, kinds),
                contacts_per_foot=per_foot, levels=sorted(set(levels.tolist())), seconds=seconds,
                vx=vx, envs=n, seed=seed)  # fmt: skip


def control(path: str, n: int, seconds: float, vx: float, seed: int) -> dict:
    """MuJoCo alone on flat ground two ways, from the env's reset joint states moved onto a flat spot 0.6 m up: on
    anymal_c.xml's floor plane and on an all-zero hfield in its place (the scan reads 0 ground in both). Per way:
    fell (share), mean distance [m] after `seconds`, MuJoCo's contacts per foot in contact: what MuJoCo's height
    field does to the dynamics on ground where the two surfaces are the same."""
    _, env, policy, _ = setup(path, n, seed, True, True, HELD, "cpu")
    cfg, c = flat.env_config(env), env.config
    env.reset(seed=seed)
    s0 = env.get_state()[:, : flat.NQ + flat.NV].numpy().astype(np.float64)
    s0[:, 0:3] = (20.0, 20.0, 0.6)
    zeros = np.zeros((401, 401))
    terrain = dict(
        heights=zeros, spacing=0.1, height_scale=float(c["height_scale"]), scan_offset=float(c["scan_offset"])
    )
    cmds, steps = np.tile([vx, 0.0, 0.0], (n, 1)), int(round(seconds / env.dt))
    out = {}
    for name, m in (
        ("plane", flat.mujoco_model(cfg["sim_dt"])),
        ("hfield", mujoco_terrain_model(zeros, 0.1, cfg["sim_dt"])),
    ):
        states, alive, per_foot = run_mujoco(m, policy, s0, cmds, steps, cfg, terrain)
        last = np.array([np.flatnonzero(alive[:, i])[-1] for i in range(n)])
        dist = np.linalg.norm(states[last, np.arange(n), :2] - states[0, :, :2], axis=1)
        out[name] = dict(fell=float((~alive[-1]).mean()), dist=float(dist.mean()), contacts_per_foot=per_foot)
    return out


def table(rec: dict) -> str:
    """Markdown: per terrain type, fell / distance / forward velocity in each simulator."""
    lines = [
        "| terrain | envs | fell (ours / MuJoCo) | distance [m] | forward velocity [m/s] |",
        "|---|---:|---|---|---|",
    ]
    for kind, o in rec["ours"].items():
        j = rec["mujoco"][kind]
        lines.append(f"| {kind} | {o['envs']} | {o['fell']:.0%} / {j['fell']:.0%} | {o['dist']:.2f} / {j['dist']:.2f}"
                     f" | {o['vx']:.2f} / {j['vx']:.2f} |")  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoints", nargs="+")
    p.add_argument("--envs", type=int, default=60, help="episodes per simulator (env i walks column i %% 20)")
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--vx", type=float, default=0.8, help="the held forward command [m/s]")
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--out", default="runs/rough_sim2sim")
    p.add_argument("--control", action="store_true", help="also MuJoCo on its plane against a flat hfield (control)")
    a = p.parse_args()
    torch.set_num_threads(1)
    os.makedirs(a.out, exist_ok=True)
    record, md = {"provenance": provenance()}, []
    for path in a.checkpoints:
        rec = compare(path, a.envs, a.seconds, a.vx, a.seed)
        record[path] = rec
        text = f"{path} (levels {rec['levels']}, vx {a.vx} m/s held for {a.seconds} s)\n\n" + table(rec)
        text += f"\n\nMuJoCo's contacts per foot in contact: {rec['contacts_per_foot']:.2f} (ours: 1)"
        if a.control:
            rec["control"] = ctl = control(path, a.envs, a.seconds, a.vx, a.seed)
            text += "\n\nMuJoCo on flat ground: " + "; ".join(
                f"{k}: fell {v['fell']:.0%}, {v['dist']:.2f} m, {v['contacts_per_foot']:.2f} contacts per foot"
                for k, v in ctl.items()
            )
        print(text + "\n")
        md.append(text)
    with open(os.path.join(a.out, "rough_sim2sim.json"), "w") as f:
        json.dump(record, f, indent=1)
    with open(os.path.join(a.out, "rough_sim2sim.md"), "w") as f:
        f.write("\n\n".join(md) + "\n")
