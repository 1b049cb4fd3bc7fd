"""Sim-to-sim for ANYmal C: an anymal_c ppo_warp policy in our env and in MuJoCo C (mj_step) on the same XML.

    PYTHONPATH=$PWD python benchmarks/anymal_sim2sim.py results/h100_2026-11-26_95c558e/anymal16k_policy.pt
    PYTHONPATH=$PWD python benchmarks/anymal_sim2sim.py A.pt B.pt --envs 16 --impratio 1 100 --out runs/anymal_sim2sim

MuJoCo side: envs/assets/anymal_c.xml loaded by the `mujoco` package (its own Newton solver, float64), timestep the
env's sim_dt (0.005 s), frame_skip (4) mj_step calls per decision with ctrl = default_dof_pos + action_scale * a,
a the policy's mean action clipped to [-1, 1] (the env's map onto its ctrl range); the observation is the env's
(envs/anymal_c.py `observe`) without noise, built from MjData's qpos, qvel (`observe`, checked against the env in
tests/test_anymal_sim2sim.py). Our side: `envs.make("anymal_c")` on the CPU with noise, pushes and command
resampling off, as benchmarks/anymal_eval.py.

1. Closed loop: for each of anymal_eval's COMMANDS, `--envs` episodes of `--seconds` in both simulators from the
   same start states (the env's reset states, put into MjData). Per command, over the live steps after `--settle`
   s: |v_xy - cmd| [m/s] and |yaw rate - cmd| [rad/s] (base frame), mean vx, and the fraction of episodes that fell
   (the env's termination rule, `fell`, applied to both simulators' states after each decision). Per simulator, the
   foot slip: the horizontal speed [m/s] of a foot sphere's lowest point while that point is below the floor
   (the env's contact test), sampled at every decision, and the foot penetration then [mm].
2. Open loop: the actions the policy took in our env during the first `--open-loop-seconds` of the vx 1.0 episodes,
   replayed in MuJoCo from the same start states; per time the median over episodes of |z_ours - z_mujoco| [m],
   |v_ours - v_mujoco| [m/s] (world-frame base velocity) and both simulators' mean stance slip.
3. `--impratio`: the closed loop again with opt.impratio replaced in both simulators (our env loads a copy of the
   XML with the new value), to see how the friction impedance ratio moves the slip in each. The cap of
   kernels/contact.py (MAX_STIFFNESS_RATIO) is reported as the fraction of stance samples where MuJoCo's pyramid
   rows (mj_makeImpedance: D = impratio / (2 mu^2 (1 + mu^2)) d / (1 - d) / diagApprox each, d clamped to 0.9999)
   would exceed it.

Writes <out>/anymal_sim2sim.json and <out>/anymal_sim2sim.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile

import mujoco
import numpy as np
import torch

import envs
from benchmarks.anymal_eval import COMMANDS, _base_velocities, load_policy
from benchmarks.sim2sim import provenance
from envs.anymal_c import CMD, AnymalC
from envs.core import ASSETS
from kernels.contact import MAX_STIFFNESS_RATIO

XML = os.path.join(ASSETS, "anymal_c.xml")
FEET = ("LF_FOOT", "RF_FOOT", "LH_FOOT", "RH_FOOT")
NQ, NV = 19, 18
# legged_gym's observation scales as envs/anymal_c.py applies them
LIN_VEL_SCALE, ANG_VEL_SCALE, DOF_VEL_SCALE = 2.0, 0.25, 0.05
CMD_SCALE = np.array([2.0, 2.0, 0.25])
MAX_IMP = 0.9999  # MuJoCo's mjMAXIMP (engine_core_constraint.c getsolparam clamps solimp[0:2] to it)


def env_config(env=None) -> dict:
    """What the MuJoCo side needs of an anymal_c (or anymal_c_rough) env's config, by default the anymal_c defaults:
    default_dof_pos [rad], action_scale, frame_skip, sim_dt [s], min_base_height [m], max_gravity_z."""
    env = envs.make("anymal_c", num_envs=1, device="cpu") if env is None else env
    c = env.config
    return dict(
        default_dof_pos=np.asarray(c["default_dof_pos"], dtype=np.float64),
        action_scale=float(c["action_scale"]),
        frame_skip=int(env.frame_skip),
        sim_dt=float(env.dt) / int(env.frame_skip),
        min_base_height=float(c["min_base_height"]),
        max_gravity_z=float(c["max_gravity_z"]),
    )


def mujoco_model(sim_dt: float = 0.005, impratio: float | None = None) -> mujoco.MjModel:
    """MuJoCo's model of envs/assets/anymal_c.xml at timestep sim_dt [s], opt.impratio replaced when given."""
    m = mujoco.MjModel.from_xml_path(XML)
    m.opt.timestep = sim_dt
    if impratio is not None:
        m.opt.impratio = impratio
    return m


def _rotation(quat: np.ndarray) -> np.ndarray:
    # world-from-base rotation of a (w, x, y, z) quaternion, normalized first as the env does
    mat = np.zeros(9)
    mujoco.mju_quat2Mat(mat, quat / np.linalg.norm(quat))
    return mat.reshape(3, 3)


def base_frame(qpos: np.ndarray, qvel: np.ndarray):
    """Base linear velocity [m/s] and angular velocity [rad/s] in the base frame, and the gravity direction in it."""
    rot = _rotation(qpos[3:7])
    return rot.T @ qvel[0:3], qvel[3:6].copy(), rot.T @ np.array([0.0, 0.0, -1.0])


def observe(qpos, qvel, cmd, last_action, cfg: dict) -> np.ndarray:
    """The env's noise-free 48-entry observation (envs/anymal_c.py `observe`) of a MuJoCo state, float32."""
    v, w, g = base_frame(np.asarray(qpos, dtype=np.float64), np.asarray(qvel, dtype=np.float64))
    o = np.concatenate(
        [
            LIN_VEL_SCALE * v,
            ANG_VEL_SCALE * w,
            g,
            CMD_SCALE * np.asarray(cmd, dtype=np.float64),
            np.asarray(qpos[7:], dtype=np.float64) - cfg["default_dof_pos"],
            DOF_VEL_SCALE * np.asarray(qvel[6:], dtype=np.float64),
            np.asarray(last_action, dtype=np.float64),
        ]
    )
    return np.clip(o, -100.0, 100.0).astype(np.float32)


def ctrl_of(action: np.ndarray, cfg: dict) -> np.ndarray:
    """Position targets [rad] of a normalized action, as the env maps [-1, 1] onto default -+ action_scale."""
    return cfg["default_dof_pos"] + cfg["action_scale"] * np.clip(action, -1.0, 1.0)


def mujoco_decision(m, d, action: np.ndarray, cfg: dict) -> None:
    """One decision in MuJoCo: the action's targets held for frame_skip mj_step calls."""
    d.ctrl[:] = ctrl_of(action, cfg)
    for _ in range(cfg["frame_skip"]):
        mujoco.mj_step(m, d)


def fell(qpos: np.ndarray, qvel: np.ndarray, cfg: dict) -> bool:
    """The env's termination rule on a state: non-finite, base below min_base_height [m] (flat floor), or tilted
    past max_gravity_z (projected gravity z)."""
    if not (np.isfinite(qpos).all() and np.isfinite(qvel).all()):
        return True
    _, _, g = base_frame(qpos, qvel)
    return bool(qpos[2] < cfg["min_base_height"] or g[2] > cfg["max_gravity_z"])


class FootProbe:
    """Foot sphere heights and contact-point velocities of a state by MuJoCo's kinematics (either simulator's)."""

    def __init__(self, m: mujoco.MjModel):
        self.m, self.d = m, mujoco.MjData(m)
        self.ids = [mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, f) for f in FEET]
        self.radius = np.array([m.geom_size[i, 0] for i in self.ids])
        self._vel = np.zeros(6)

    def __call__(self, qpos: np.ndarray, qvel: np.ndarray):
        """(height [m] of each foot's lowest point above the floor, horizontal speed [m/s] of that point) x 4."""
        m, d = self.m, self.d
        d.qpos[:], d.qvel[:] = qpos, qvel
        mujoco.mj_kinematics(m, d)
        mujoco.mj_comPos(m, d)
        mujoco.mj_comVel(m, d)
        h, slip = np.zeros(4), np.zeros(4)
        for k, (g, r) in enumerate(zip(self.ids, self.radius, strict=True)):
            mujoco.mj_objectVelocity(m, d, mujoco.mjtObj.mjOBJ_GEOM, g, self._vel, 0)
            w, v = self._vel[:3], self._vel[3:]
            point_vel = v + np.cross(w, np.array([0.0, 0.0, -r]))  # the sphere's lowest point
            h[k] = d.geom_xpos[g, 2] - r
            slip[k] = np.hypot(point_vel[0], point_vel[1])
        return h, slip


def make_env(n: int, seed: int, asset: str | None = None):
    """Our anymal_c env on the CPU as anymal_eval's: no noise, no pushes, commands held; `asset` an XML path."""
    kwargs = dict(num_envs=n, device="cpu", seed=seed, resampling_time=1.0e6, max_push_vel_xy=0.0, noise_level=0.0)
    if asset is None:
        return envs.make("anymal_c", **kwargs)
    cls = type("AnymalCVariant", (AnymalC,), {"asset": asset})  # os.path.join(ASSETS, abs) is abs
    return cls(**kwargs)


def start(env, cmds: torch.Tensor, seed: int):
    """Reset the env, hold `cmds` [N, 3]; return the first observation and the start states [N, 37] (qpos, qvel)."""
    obs = env.reset(seed=seed).clone()
    state = env.get_state().clone()
    state[:, CMD : CMD + 3] = cmds
    env.set_state(state)
    obs[:, 9:12] = cmds * torch.tensor(CMD_SCALE, dtype=torch.float32)
    return obs, state[:, : NQ + NV].numpy().astype(np.float64)


def run_ours(env, policy, cmds: torch.Tensor, steps: int, seed: int, actions: np.ndarray | None = None):
    """Roll our env for `steps` decisions under the policy (or the given actions [T, N, 12]); return states
    [T + 1, N, 37], actions [T, N, 12] and alive [T + 1, N] (False from the decision an episode terminated)."""
    obs, s0 = start(env, cmds, seed)
    n = len(cmds)
    states, acts, alive = [s0], [], [np.ones(n, dtype=bool)]
    live = np.ones(n, dtype=bool)
    with torch.no_grad():
        for t in range(steps):
            a = policy(obs).clamp(-1.0, 1.0) if actions is None else torch.as_tensor(actions[t], dtype=torch.float32)
            obs, _, terminated, truncated, _ = env.step(a)
            live &= ~(terminated | truncated).numpy()
            states.append(env.get_state()[:, : NQ + NV].numpy().astype(np.float64))
            acts.append(a.numpy().copy())
            alive.append(live.copy())
    return np.stack(states), np.stack(acts), np.stack(alive)


def run_mujoco(m, policy, s0: np.ndarray, cmds: np.ndarray, steps: int, cfg: dict, actions: np.ndarray | None = None):
    """The same in MuJoCo: episode i from s0[i] with command cmds[i], lockstep over episodes (the policy batched);
    a fallen episode stops there. Returns states [T + 1, N, 37], actions [T, N, 12], alive [T + 1, N]."""
    n = len(s0)
    datas = [mujoco.MjData(m) for _ in range(n)]
    last = np.zeros((n, 12))
    for d, s in zip(datas, s0, strict=True):
        d.qpos[:], d.qvel[:] = s[:NQ], s[NQ:]
        mujoco.mj_forward(m, d)
    live = np.ones(n, dtype=bool)
    states, acts, alive = [s0.copy()], [], [live.copy()]
    with torch.no_grad():
        for t in range(steps):
            if actions is None:
                obs = np.stack([observe(d.qpos, d.qvel, c, a, cfg) for d, c, a in zip(datas, cmds, last, strict=True)])
                a_t = policy(torch.from_numpy(obs)).clamp(-1.0, 1.0).numpy().astype(np.float64)
            else:
                a_t = np.asarray(actions[t], dtype=np.float64)
            for i in np.flatnonzero(live):
                mujoco_decision(m, datas[i], a_t[i], cfg)
                if fell(datas[i].qpos, datas[i].qvel, cfg):
                    live[i] = False
            last = a_t
            states.append(np.stack([np.concatenate([d.qpos, d.qvel]) for d in datas]))
            acts.append(a_t)
            alive.append(live.copy())
    return np.stack(states), np.stack(acts), np.stack(alive)


def tracking(states: np.ndarray, alive: np.ndarray, cmds: np.ndarray, skip: int) -> dict:
    """anymal_eval's metrics over the live decisions after `skip`: lin_err [m/s], yaw_err [rad/s], vx [m/s], fell."""
    steps = len(states) - 1
    lin = yaw = vx = 0.0
    count = 0
    for t in range(max(skip, 0) + 1, steps + 1):
        live = alive[t]
        if not live.any():
            continue
        v, yaw_rate = _base_velocities(torch.from_numpy(states[t][live]))
        v, yaw_rate = v.numpy(), yaw_rate.numpy()
        lin += float(np.linalg.norm(v[:, :2] - cmds[live, :2], axis=1).sum())
        yaw += float(np.abs(yaw_rate - cmds[live, 2]).sum())
        vx += float(v[:, 0].sum())
        count += int(live.sum())
    count = max(count, 1)
    return dict(lin_err=lin / count, yaw_err=yaw / count, vx=vx / count, fell=float((~alive[-1]).mean()))


def cap_binds(pen: np.ndarray, m: mujoco.MjModel, mu: float) -> np.ndarray:
    """Whether MuJoCo's four pyramid rows at penetration pen [m] (> 0) of a foot would be stiffer in sum than
    kernels/contact.py's cap MAX_STIFFNESS_RATIO / diagApprox, i.e. whether our contact differs from MuJoCo's there."""
    g = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, FEET[0])
    dmin, dmax, width, mid, power = m.geom_solimp[g]
    dmin, dmax = min(dmin, MAX_IMP), min(dmax, MAX_IMP)
    x = np.clip(pen / width, 0.0, 1.0)
    low = mid ** (1 - power) * x**power
    high = 1 - (1 - mid) ** (1 - power) * (1 - x) ** power
    d = dmin + np.where(x <= mid, low, high) * (dmax - dmin)
    rows = 4 * d / (1 - d) * m.opt.impratio / (2 * mu * mu * (1 + mu * mu))
    return rows > float(MAX_STIFFNESS_RATIO)


def slip_stats(states: np.ndarray, alive: np.ndarray, probe: FootProbe, m: mujoco.MjModel, skip: int = 0) -> dict:
    """Stance foot slip [m/s] and penetration [mm] over the live decisions after `skip` (module docstring)."""
    slips, pens = [], []
    for t in range(skip + 1, len(states)):
        for i in np.flatnonzero(alive[t]):
            h, s = probe(states[t, i, :NQ], states[t, i, NQ:])
            slips += list(s[h < 0.0])
            pens += list(-h[h < 0.0])
    slips, pens = np.array(slips), np.array(pens)
    if not len(slips):
        return dict(samples=0)
    mu = float(m.geom_friction[probe.ids[0], 0])
    return dict(
        samples=int(len(slips)),
        slip_mean=float(slips.mean()),
        slip_median=float(np.median(slips)),
        slip_p90=float(np.percentile(slips, 90)),
        slip_over_5cm_s=float((slips > 0.05).mean()),
        pen_mean_mm=1e3 * float(pens.mean()),
        pen_p99_mm=1e3 * float(np.percentile(pens, 99)),
        cap_binds=float(cap_binds(pens, m, mu).mean()),
    )


def closed_loop(policy, n: int, seconds: float, settle: float, seed: int, cfg: dict, impratio: float | None) -> dict:
    """Both simulators under the policy for every command (module docstring, 1.); per simulator and command."""
    dt = cfg["frame_skip"] * cfg["sim_dt"]
    steps, skip = int(round(seconds / dt)), int(round(settle / dt))
    cmds = np.repeat(np.array(COMMANDS), n, axis=0)
    m = mujoco_model(cfg["sim_dt"], impratio)
    asset = None
    if impratio is not None:
        with open(XML) as f:
            text = re.sub(r'impratio="[^"]*"', f'impratio="{impratio:g}"', f.read())
        asset = os.path.join(tempfile.mkdtemp(), f"anymal_c_impratio{impratio:g}.xml")
        with open(asset, "w") as f:
            f.write(text)
    env = make_env(len(cmds), seed, asset)
    ours = run_ours(env, policy, torch.tensor(cmds, dtype=torch.float32), steps, seed)
    theirs = run_mujoco(m, policy, ours[0][0], cmds, steps, cfg)
    probe = FootProbe(m)
    out = {}
    for name, (states, _, alive) in (("ours", ours), ("mujoco", theirs)):
        rows = []
        for k, c in enumerate(COMMANDS):
            sl = slice(k * n, (k + 1) * n)
            rows.append(dict(command=c, **tracking(states[:, sl], alive[:, sl], cmds[sl], skip)))
        out[name] = dict(commands=rows, slip=slip_stats(states, alive, probe, m, skip))
    out["impratio"] = float(m.opt.impratio)
    return out


def open_loop(policy, n: int, seconds: float, seed: int, cfg: dict, command=(1.0, 0.0, 0.0)) -> dict:
    """Our env's actions under the policy replayed in MuJoCo from the same states (module docstring, 2.)."""
    dt = cfg["frame_skip"] * cfg["sim_dt"]
    steps = int(round(seconds / dt))
    cmds = np.tile(np.array(command), (n, 1))
    env = make_env(n, seed)
    ours, actions, alive_o = run_ours(env, policy, torch.tensor(cmds, dtype=torch.float32), steps, seed)
    m = mujoco_model(cfg["sim_dt"])
    theirs, _, alive_m = run_mujoco(m, policy, ours[0], cmds, steps, cfg, actions=actions)
    probe = FootProbe(m)
    rows = []
    for t in range(1, steps + 1):
        live = alive_o[t] & alive_m[t]
        dz = np.abs(ours[t, live, 2] - theirs[t, live, 2])
        dv = np.linalg.norm(ours[t, live, NQ : NQ + 3] - theirs[t, live, NQ : NQ + 3], axis=1)
        slip = []
        for states in (ours, theirs):
            s = [probe(states[t, i, :NQ], states[t, i, NQ:]) for i in np.flatnonzero(live)]
            stance = np.concatenate([sl[h < 0.0] for h, sl in s]) if s else np.zeros(0)
            slip.append(float(stance.mean()) if len(stance) else float("nan"))
        rows.append(
            dict(
                t=round(t * dt, 4),
                live=int(live.sum()),
                dz_median=float(np.median(dz)) if live.any() else float("nan"),
                dv_median=float(np.median(dv)) if live.any() else float("nan"),
                slip_ours=slip[0],
                slip_mujoco=slip[1],
                z_ours=float(ours[t, live, 2].mean()) if live.any() else float("nan"),
                z_mujoco=float(theirs[t, live, 2].mean()) if live.any() else float("nan"),
            )
        )
    parted = [r["t"] for r in rows if r["dv_median"] > 0.1]
    return dict(command=list(command), rows=rows, first_dv_over_0p1=parted[0] if parted else None)


def tables(name: str, rec: dict) -> str:
    """Markdown: the closed-loop table per impratio (both simulators), the slip table and the open-loop times."""
    lines = [f"### {name}", ""]
    for cl in rec["closed_loop"]:
        lines += [
            f"impratio {cl['impratio']:g} (both simulators)",
            "",
            "| command (vx, vy, yaw) | sim | \\|v_xy - cmd\\| m/s | \\|yaw rate - cmd\\| rad/s | mean vx m/s | fell |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for k, c in enumerate(COMMANDS):
            for sim in ("ours", "mujoco"):
                r = cl[sim]["commands"][k]
                label = "ours (Warp, CPU)" if sim == "ours" else "MuJoCo C"
                lines.append(
                    f"| {c} | {label} | {r['lin_err']:.3f} | {r['yaw_err']:.3f} | {r['vx']:.3f} | {r['fell']:.2f} |"
                )
        lines += [
            "",
            "| sim | stance samples | slip mean m/s | median | p90 | > 0.05 m/s | penetration mean mm | p99 mm |"
            " MuJoCo rows above our cap |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for sim in ("ours", "mujoco"):
            s = cl[sim]["slip"]
            if not s.get("samples"):
                lines.append(f"| {sim} | 0 | | | | | | | |")
                continue
            lines.append(
                f"| {sim} | {s['samples']} | {s['slip_mean']:.3f} | {s['slip_median']:.3f} | {s['slip_p90']:.3f} | "
                f"{s['slip_over_5cm_s']:.2f} | {s['pen_mean_mm']:.1f} | {s['pen_p99_mm']:.1f} | {s['cap_binds']:.3f} |"
            )
        lines.append("")
    ol = rec["open_loop"]
    lines += [
        f"open loop, command {tuple(ol['command'])}: our actions replayed in MuJoCo (median over episodes); "
        f"|dv| first above 0.1 m/s at t = {ol['first_dv_over_0p1']} s",
        "",
        "| t s | live | \\|dz\\| m | \\|dv\\| m/s | z ours | z MuJoCo | stance slip ours m/s | MuJoCo |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in ol["rows"]:
        if round(r["t"] / 0.02) in (1, 2, 5, 10, 25, 50, 75, 100, 150, 200, 250):
            lines.append(
                f"| {r['t']:.2f} | {r['live']} | {r['dz_median']:.4f} | {r['dv_median']:.3f} | {r['z_ours']:.3f} | "
                f"{r['z_mujoco']:.3f} | {r['slip_ours']:.3f} | {r['slip_mujoco']:.3f} |"
            )
    return "\n".join(lines) + "\n"


def main(a) -> dict:
    """Run every checkpoint; print and write the tables and the JSON record."""
    torch.set_num_threads(1)
    cfg = env_config()
    record = dict(provenance=provenance(), args=vars(a), results={})
    md = []
    for path in a.checkpoints:
        policy = load_policy(path, 48)
        rec = dict(
            closed_loop=[
                closed_loop(policy, a.envs, a.seconds, a.settle, a.seed, cfg, imp) for imp in (a.impratio or [None])
            ],
            open_loop=open_loop(policy, a.envs, a.open_loop_seconds, a.seed, cfg),
        )
        record["results"][path] = rec
        md.append(tables(path, rec))
        print(md[-1], flush=True)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "anymal_sim2sim.json"), "w") as f:
        json.dump(record, f, indent=1)
    with open(os.path.join(a.out, "anymal_sim2sim.md"), "w") as f:
        p = record["provenance"]
        f.write(f"`{p['command']}` at {p['git_commit']}, {p['date_utc']}, {p['cpu']}, {p['versions']}\n\n")
        f.write("\n".join(md))
    return record


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoints", nargs="+", help="cleanppo/ppo_warp.py checkpoints of env anymal_c")
    parser.add_argument("--envs", type=int, default=16, help="episodes per command and simulator")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--settle", type=float, default=1.0, help="seconds left out of the tracking means")
    parser.add_argument("--open-loop-seconds", type=float, default=2.0)
    parser.add_argument("--impratio", type=float, nargs="*", default=None, help="override opt.impratio (both sims)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/anymal_sim2sim")
    main(parser.parse_args())
