"""Ant under random actions, ours beside MuJoCo from the same states: torso height and active contact count.

    PYTHONPATH=$PWD python benchmarks/contact_rollouts.py --rollouts 64 --steps 200

Both simulators step envs/assets/ant.xml with contacts and joint limits at its 10 ms timestep, MuJoCo with its
Euler integrator (ours is the same scheme), from the same initial states (qpos0 with uniform(-0.1, 0.1) noise on
qpos, 0.1 normal noise on qvel), under the same random controls, uniform in ctrlrange and held for frame_skip = 5
timesteps. Each control step records the torso height, whether the torso is upside down, and the number of active
contacts: ours, contact points inside the margin (nonzero constraint D, kernels.constraint.contacts); MuJoCo,
contacts whose normal force (sum of the pyramid edges) is > 0. Prints quantiles, means and the Wasserstein-1
distance between the two height distributions (mean |sorted difference|). Prints only; nothing goes to results/.
"""

import argparse
import os

import mujoco
import numpy as np
import torch

import envs
from kernels.articulation import Simulator
from mjcf import load_mjcf


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rollouts", type=int, default=64)
    parser.add_argument("--steps", type=int, default=200, help="control steps of 5 timesteps each")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    path = os.path.join(envs.core.ASSETS, "ant.xml")
    m = mujoco.MjModel.from_xml_path(path)
    m.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    rng = np.random.default_rng(args.seed)
    n = args.rollouts
    qpos = m.qpos0 + rng.uniform(-0.1, 0.1, (n, m.nq))
    qvel = 0.1 * rng.standard_normal((n, m.nv))
    lo, hi = m.actuator_ctrlrange.T
    ctrl = lo + (hi - lo) * rng.uniform(0, 1, (args.steps, n, m.nu))

    ref_z, ref_c, ref_up = np.zeros((args.steps, n)), np.zeros((args.steps, n)), np.zeros((args.steps, n))
    d = mujoco.MjData(m)
    for i in range(n):
        mujoco.mj_resetData(m, d)
        d.qpos[:], d.qvel[:] = qpos[i], qvel[i]
        for t in range(args.steps):
            d.ctrl[:] = ctrl[t, i]
            for _ in range(5):
                mujoco.mj_step(m, d)
            ref_z[t, i] = d.qpos[2]
            ref_up[t, i] = 1 - 2 * (d.qpos[4] ** 2 + d.qpos[5] ** 2)  # world z of the torso's z axis
            ref_c[t, i] = sum(
                d.efc_force[c.efc_address : c.efc_address + max(1, 2 * (c.dim - 1))].sum() > 0
                for c in d.contact[: d.ncon]
                if c.efc_address >= 0
            )

    sim = Simulator(load_mjcf(path), n, contacts=True, joint_limits=True, substeps=5)
    sim.set_state(torch.tensor(qpos, dtype=torch.float32), torch.tensor(qvel, dtype=torch.float32))
    our_z, our_c, our_up = np.zeros((args.steps, n)), np.zeros((args.steps, n)), np.zeros((args.steps, n))
    for t in range(args.steps):
        sim.step(torch.tensor(ctrl[t], dtype=torch.float32))
        q = sim.get_state()[0].numpy()
        our_z[t], our_up[t] = q[:, 2], 1 - 2 * (q[:, 4] ** 2 + q[:, 5] ** 2)
        our_c[t] = (sim.contact_dcoef.numpy() > 0).sum(axis=1)

    q = [5, 25, 50, 75, 95]
    w1 = np.abs(np.sort(our_z.ravel()) - np.sort(ref_z.ravel())).mean()
    print(f"ant, {n} rollouts x {args.steps} control steps, random controls, seed {args.seed}")
    print("torso z quantiles", q, "[m]: ours", np.round(np.percentile(our_z, q), 3))
    print("                              MuJoCo", np.round(np.percentile(ref_z, q), 3))
    print(f"torso z mean: ours {our_z.mean():.3f} MuJoCo {ref_z.mean():.3f} m; Wasserstein-1 {w1:.4f} m")
    print(
        f"upside down (torso z axis below horizontal), fraction of steps: ours {(our_up < 0).mean():.2f} "
        f"MuJoCo {(ref_up < 0).mean():.2f}"
    )
    print(f"active contacts per step, mean: ours {our_c.mean():.2f} MuJoCo {ref_c.mean():.2f}")
    print("active contacts histogram 0..6: ours", np.bincount(our_c.ravel().astype(int), minlength=7)[:7] / our_c.size)
    print("                              MuJoCo", np.bincount(ref_c.ravel().astype(int), minlength=7)[:7] / ref_c.size)


if __name__ == "__main__":
    main()
