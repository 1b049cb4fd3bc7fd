"""ANYmal C contacts at low friction (docs/anymal_c.md): divergence under random actions and standing height beside
MuJoCo C on the same XML, per friction_scale.

    PYTHONPATH=$PWD python benchmarks/anymal_contact.py            # about 20 s on one core

1. `envs.make("anymal_c", friction_scale=s)`, 64 envs x 200 steps of uniform random actions (seed 0): the number of
   non-finite rewards and of terminations.
2. The standing keyframe held by the position servos for 2 s (dt 0.005 s): base height [m] of kernels.articulation
   and of MuJoCo C (mj_step, its own solver) with every geom's sliding friction scaled by s.
"""

import argparse
import os

import mujoco
import numpy as np
import torch
import warp as wp

import envs
from envs.core import ASSETS
from kernels.articulation import Simulator
from mjcf import load_mjcf

wp.config.quiet = True
XML = os.path.join(ASSETS, "anymal_c.xml")
DT = 0.005


def random_action_rollouts(scale: float, num_envs: int = 64, steps: int = 200) -> tuple[int, int]:
    """(non-finite rewards, terminations) of num_envs envs under `steps` uniform random actions."""
    env = envs.make("anymal_c", num_envs=num_envs, device="cpu", seed=3, friction_scale=scale)
    gen = torch.Generator().manual_seed(0)
    bad = terms = 0
    for _ in range(steps):
        _, r, te, _, _ = env.step(torch.rand(num_envs, 12, generator=gen) * 2 - 1)
        bad += int((~torch.isfinite(r)).sum())
        terms += int(te.sum())
    return bad, terms


def standing_heights(scales: list[float], seconds: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Base height [m] after `seconds` at the standing targets: ours and MuJoCo C's, per friction scale."""
    model = load_mjcf(XML)
    n = len(scales)
    sim = Simulator(model, n, "cpu", contacts=True, joint_limits=True, substeps=1, timestep=DT)
    sim.set_params(geom_friction_scale=torch.tensor(scales, dtype=torch.float32)[:, None].repeat(1, sim.ngeom))
    key = model.key_qpos[0]
    sim.set_state(torch.tensor(np.tile(key, (n, 1)), dtype=torch.float32), torch.zeros(n, model.nv))
    ctrl = torch.tensor(np.tile(key[7:], (n, 1)), dtype=torch.float32)
    refs = []
    for s in scales:
        m = mujoco.MjModel.from_xml_path(XML)
        m.opt.timestep = DT
        m.geom_friction[:, 0] *= s
        d = mujoco.MjData(m)
        mujoco.mj_resetDataKeyframe(m, d, 0)
        d.ctrl[:] = key[7:]
        refs.append((m, d))
    for _ in range(int(round(seconds / DT))):
        sim.step(ctrl)
        for m, d in refs:
            mujoco.mj_step(m, d)
    return sim.get_state()[0][:, 2].numpy(), np.array([d.qpos[2] for _, d in refs])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 0.5, 0.3, 0.1, 0.05, 0.01])
    a = parser.parse_args()
    print("friction_scale | non-finite rewards | terminations (64 envs x 200 random steps)")
    for s in a.scales:
        bad, terms = random_action_rollouts(s)
        print(f"{s:14g} | {bad:18d} | {terms:d}")
    ours, ref = standing_heights(a.scales)
    print("friction_scale | base z ours [m] | base z MuJoCo [m] (standing targets, 2 s)")
    for s, z, zr in zip(a.scales, ours, ref, strict=True):
        print(f"{s:14g} | {z:15.3f} | {zr:.3f}")
