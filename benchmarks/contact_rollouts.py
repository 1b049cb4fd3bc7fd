"""Ant under random actions, ours beside MuJoCo from the same states: torso height, flips and active contacts.

    PYTHONPATH=$PWD python benchmarks/contact_rollouts.py --rollouts 64 --steps 200 --out results/sim2sim_rollouts.json

Both simulators step envs/assets/ant.xml with contacts and joint limits, one control step = frame_skip 5 timesteps
of 10 ms (Ant-v5's 50 ms), from the same initial states (qpos0 with uniform(-0.1, 0.1) noise on qpos, 0.1 normal
noise on qvel), under the same random controls, uniform in ctrlrange and held for the control step. MuJoCo runs
twice: with its Euler integrator (ours is the same scheme, so this isolates the contact model) and with RK4
(what Gymnasium's ant.xml uses, so what a policy meets in Ant-v5). Each control step records the torso height,
whether the torso is upside down (its z axis below horizontal), and the number of contact points that push:
ours, points with an active row (Data.contact_mask > 0); MuJoCo, contacts whose normal force (the sum of the
pyramid edges' forces) is > 0.

Measures, over all rollouts and steps: quantiles of the torso height and its Wasserstein-1 distance to MuJoCo's
(mean |difference of the sorted samples|, m); the fraction of steps upside down; the mean and histogram of the
active contact count. The same per-step samples for MuJoCo Euler against MuJoCo RK4 give the scale of a
difference that is only the integrator. `--out` also writes the printed numbers as JSON.
"""

import argparse
import os

import mujoco
import numpy as np
import torch

import envs
from benchmarks.common import provenance, write_json
from kernels.articulation import Simulator
from mjcf import load_mjcf

FRAME_SKIP = 5  # Ant-v5


def mujoco_rollouts(path: str, integrator: int, qpos, qvel, ctrl) -> dict:
    """Torso height [m], upright z-axis component and active contact count per (control step, rollout)."""
    m = mujoco.MjModel.from_xml_path(path)
    m.opt.integrator = integrator
    steps, n = ctrl.shape[:2]
    z, up, contacts = (np.zeros((steps, n)) for _ in range(3))
    d = mujoco.MjData(m)
    for i in range(n):
        mujoco.mj_resetData(m, d)
        d.qpos[:], d.qvel[:] = qpos[i], qvel[i]
        for t in range(steps):
            d.ctrl[:] = ctrl[t, i]
            for _ in range(FRAME_SKIP):
                mujoco.mj_step(m, d)
            z[t, i] = d.qpos[2]
            up[t, i] = 1 - 2 * (d.qpos[4] ** 2 + d.qpos[5] ** 2)  # world z of the torso's z axis
            contacts[t, i] = sum(
                d.efc_force[c.efc_address : c.efc_address + max(1, 2 * (c.dim - 1))].sum() > 0
                for c in d.contact[: d.ncon]
                if c.efc_address >= 0
            )
    return {"z": z, "up": up, "contacts": contacts}


def our_rollouts(path: str, qpos, qvel, ctrl) -> dict:
    """The same record from our Simulator, one launch of FRAME_SKIP 10 ms Euler steps per control step."""
    model = load_mjcf(path)
    steps, n = ctrl.shape[:2]
    sim = Simulator(
        model, n, contacts=True, joint_limits=True, substeps=FRAME_SKIP, timestep=FRAME_SKIP * model.opt.timestep
    )
    sim.set_state(torch.tensor(qpos, dtype=torch.float32), torch.tensor(qvel, dtype=torch.float32))
    z, up, contacts = (np.zeros((steps, n)) for _ in range(3))
    for t in range(steps):
        sim.step(torch.tensor(ctrl[t], dtype=torch.float32))
        q = sim.get_state()[0].numpy()
        z[t], up[t] = q[:, 2], 1 - 2 * (q[:, 4] ** 2 + q[:, 5] ** 2)
        contacts[t] = (sim.contact_mask.numpy() > 0).sum(axis=1)
    return {"z": z, "up": up, "contacts": contacts}


def summary(run: dict, ref: dict) -> dict:
    """The measures of one run, distances against ref."""
    q = [5, 25, 50, 75, 95]
    return {
        "torso_z_quantiles_5_25_50_75_95_m": np.round(np.percentile(run["z"], q), 4).tolist(),
        "torso_z_mean_m": round(float(run["z"].mean()), 4),
        "torso_z_wasserstein1_to_mujoco_euler_m": round(
            float(np.abs(np.sort(run["z"].ravel()) - np.sort(ref["z"].ravel())).mean()), 4
        ),
        "upside_down_fraction": round(float((run["up"] < 0).mean()), 3),
        "active_contacts_mean": round(float(run["contacts"].mean()), 3),
        "active_contacts_histogram_0_to_6": np.round(
            np.bincount(run["contacts"].ravel().astype(int), minlength=7)[:7] / run["contacts"].size, 3
        ).tolist(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rollouts", type=int, default=64)
    parser.add_argument("--steps", type=int, default=200, help="control steps of 5 timesteps (50 ms) each")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="", help="write the summary as JSON here")
    args = parser.parse_args()
    path = os.path.join(envs.core.ASSETS, "ant.xml")
    m = mujoco.MjModel.from_xml_path(path)
    rng = np.random.default_rng(args.seed)
    n = args.rollouts
    qpos = m.qpos0 + rng.uniform(-0.1, 0.1, (n, m.nq))
    qvel = 0.1 * rng.standard_normal((n, m.nv))
    lo, hi = m.actuator_ctrlrange.T
    ctrl = lo + (hi - lo) * rng.uniform(0, 1, (args.steps, n, m.nu))

    euler = mujoco_rollouts(path, mujoco.mjtIntegrator.mjINT_EULER, qpos, qvel, ctrl)
    runs = {
        "ours": our_rollouts(path, qpos, qvel, ctrl),
        "mujoco_euler": euler,
        "mujoco_rk4": mujoco_rollouts(path, mujoco.mjtIntegrator.mjINT_RK4, qpos, qvel, ctrl),
    }
    record = {
        "provenance": provenance("mujoco", "warp-lang", "torch"),
        "rollouts": n,
        "control_steps": args.steps,
        "seed": args.seed,
        "results": {name: summary(run, euler) for name, run in runs.items()},
    }
    print(f"ant, {n} rollouts x {args.steps} control steps of 50 ms, random controls, seed {args.seed}")
    for name, s in record["results"].items():
        print(
            f"{name:13s} torso z q5/25/50/75/95 {s['torso_z_quantiles_5_25_50_75_95_m']} m, mean "
            f"{s['torso_z_mean_m']:.3f}, W1 to mujoco_euler {s['torso_z_wasserstein1_to_mujoco_euler_m']:.4f} m; "
            f"upside down {s['upside_down_fraction']:.2f}; contacts mean {s['active_contacts_mean']:.2f}, "
            f"histogram 0..6 {s['active_contacts_histogram_0_to_6']}"
        )
    if args.out:
        write_json(args.out, record)


if __name__ == "__main__":
    main()
