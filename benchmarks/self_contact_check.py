"""Geom-geom contacts on a device against the CPU: small scenes of tests/test_self_contact.py (box on a turned box,
box on two capsules, capsule on a box, two limbs of one tree with friction) and the humanoid under random controls,
stepped with the split pipeline on `--device` and with the fused kernel on the CPU; prints the largest qpos
difference and the geom-geom contact points in use per scene, and exits 1 if a box scene differs by more than 1e-4 m
(float32 rounding differs between the two compilers; the resting scenes do not amplify it).

    python benchmarks/self_contact_check.py --device cuda:0      # the GPU session's `selfcontact` stage
    python benchmarks/self_contact_check.py --device cpu         # the same comparison of split and fused on the CPU
"""

import argparse
import os
import sys

import numpy as np
import torch

import envs
from kernels.articulation import Simulator
from mjcf import load_mjcf

FALLING_BOX = '<geom type="box" size="0.1 0.08 0.05"/>'
SCENES = {
    "box-on-small-box": ('<geom type="box" size="0.06 0.06 0.05" euler="0 0 45"/>', FALLING_BOX),
    "box-on-capsules": (
        '<geom type="capsule" size="0.05" fromto="-0.3 0 0 0.3 0 0"/>'
        '<geom type="capsule" size="0.05" fromto="-0.3 0.15 0 0.3 0.15 0"/>',
        '<geom type="box" size="0.2 0.15 0.04"/>',
    ),
    "capsule-on-box": (
        '<geom type="box" size="0.3 0.3 0.05"/>',
        '<geom type="capsule" size="0.04" fromto="-0.1 0 0.01 0.1 0 -0.01"/>',
    ),
}
LIMBS = (
    '<mujoco><option timestep="0.005" gravity="0 0 0"/><worldbody><body name="root">'
    '<joint name="yaw" type="hinge" axis="0 0 1" damping="1"/><geom type="sphere" size="0.02" contype="0"/>'
    '<body name="limb"><joint name="push" type="hinge" axis="1 0 0"/>'
    '<geom type="capsule" size="0.04" fromto="0 0 0 0 0 -0.4" condim="3" friction="0.5"/></body>'
    '<body name="bar" pos="0 0.085 -0.2"><joint name="slide" type="slide" axis="0 0 1"/>'
    '<geom type="capsule" size="0.04" fromto="-0.2 0 0 0.2 0 0" condim="3" friction="0.5"/></body>'
    '</body></worldbody><actuator><motor joint="push" gear="2"/><motor joint="slide" gear="3"/></actuator></mujoco>'
)


def _drop_xml(lower: str, upper: str) -> str:
    return (
        '<mujoco><option timestep="0.005"/><worldbody><geom type="plane" size="5 5 .1"/>'
        f'<body pos="0 0 0.05">{lower}</body>'
        f'<body pos="0.03 0.02 0.3" euler="0 0 20"><freejoint/>{upper}</body>'
        "</worldbody></mujoco>"
    )


def _rollout(model, device: str, pipeline: str, num_envs: int, steps: int, ctrl: torch.Tensor | None):
    sim = Simulator(model, num_envs, device, contacts=True, pipeline=pipeline)
    c = None if ctrl is None else ctrl.to(device)
    for _ in range(steps):
        sim.step(c)
    points = int((sim.pair_dcoef.numpy() > 0).sum())
    return sim.get_state()[0].cpu().numpy(), points


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cuda:0")
    args = parser.parse_args()
    failed = False
    cases = {k: (_drop_xml(*v), 1, 300, None) for k, v in SCENES.items()}
    cases["limbs"] = (LIMBS, 1, 100, torch.tensor([[1.0, -1.0]]))
    humanoid = open(os.path.join(envs.core.ASSETS, "humanoid.xml")).read()
    gen = torch.Generator().manual_seed(0)
    cases["humanoid"] = (humanoid, 64, 20, torch.rand(64, 17, generator=gen) * 0.8 - 0.4)
    for name, (xml, n, steps, ctrl) in cases.items():
        model = load_mjcf(xml)
        q_dev, p_dev = _rollout(model, args.device, "split", n, steps, ctrl)
        q_cpu, p_cpu = _rollout(model, "cpu", "fused", n, steps, ctrl)
        err = float(np.abs(q_dev - q_cpu).max())
        bad = name in SCENES and err > 1e-4
        failed |= bad
        print(f"{name}: max |qpos {args.device} split - cpu fused| {err:.2e} after {steps} steps; pair points "
              f"{p_dev} / {p_cpu}{'  FAIL' if bad else ''}", flush=True)  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
