"""MuJoCo's gravity compensation (``<body gravcomp="g">``, mj_gravcomp): an upward force g m |gravity| at each such
body's center of mass, a passive force on its chain's dofs; against mj_step on chains and free bodies, loaded from the
MJCF and from a mujoco.MjModel, fused and split."""

import mujoco
import numpy as np
import pytest
import torch

from kernels.articulation import Simulator
from mjcf import load_mjcf

CHAIN = """<mujoco><option timestep="0.002"/><worldbody>
  <body pos="0 0 1" gravcomp="{g1}"><joint type="hinge" axis="0 1 0" damping="0.1"/>
    <geom type="capsule" fromto="0 0 0 0.3 0 0" size="0.03"/>
    <body pos="0.3 0 0" gravcomp="{g2}"><joint type="hinge" axis="0 1 0"/><joint type="hinge" axis="1 0 0"/>
      <geom type="capsule" fromto="0 0 0 0 0.1 -0.3" size="0.025"/>
      <body pos="0 0.1 -0.3" gravcomp="{g3}"><joint type="slide" axis="0 0 1"/><geom type="box" size="0.05 0.04 0.03"/>
      </body></body></body>
  <body pos="1 0 1" euler="0.3 0.2 0.1" gravcomp="{g4}"><freejoint/><geom type="box" size="0.1 0.05 0.02"/></body>
</worldbody></mujoco>"""


def _rollout(xml: str, loader: str, pipeline: str, steps: int = 300):
    ref = mujoco.MjModel.from_xml_string(xml)
    d = mujoco.MjData(ref)
    d.qvel[:] = np.random.default_rng(0).normal(size=ref.nv) * 0.5
    model = load_mjcf(xml) if loader == "mjcf" else ref
    sim = Simulator(model, 1, contacts=False, joint_limits=False, pipeline=pipeline)
    sim.set_state(torch.tensor(d.qpos[None], dtype=torch.float32), torch.tensor(d.qvel[None], dtype=torch.float32))
    err = 0.0
    for _ in range(steps):
        sim.step(torch.zeros(1, 0))
        mujoco.mj_step(ref, d)
        err = max(err, float(np.abs(sim.get_state()[0][0].numpy() - d.qpos).max()))
    return err, d.qpos.copy()


@pytest.mark.parametrize("loader", ["mjcf", "mjmodel"])
@pytest.mark.parametrize("pipeline", ["fused", "split"])
def test_gravity_compensation_follows_mujoco(loader, pipeline):
    """Bodies compensated by 1, 0.5, 0.3 and 0.7 (a hinge chain's root and middle, its leaf, a free box), thrown
    with random velocities: 300 steps within 1e-5 of MuJoCo's qpos (measured 1.3e-6); without the compensation the
    same chain ends far elsewhere."""
    xml = CHAIN.format(g1=1, g2=0.5, g3=0.3, g4=0.7)
    err, want = _rollout(xml, loader, pipeline)
    assert err < 1e-5, err
    _, without = _rollout(CHAIN.format(g1=0, g2=0, g3=0, g4=0), loader, pipeline)
    assert np.abs(without - want).max() > 0.1
    if loader == "mjcf":
        np.testing.assert_array_equal(load_mjcf(xml).body_gravcomp, mujoco.MjModel.from_xml_string(xml).body_gravcomp)


def test_a_fully_compensated_body_floats_at_any_randomized_mass():
    """gravcomp 1 holds a free body at rest whatever its (randomized) mass: the force uses the env's scaled mass."""
    xml = '<mujoco><worldbody><body pos="0 0 1" gravcomp="1"><freejoint/><geom size="0.1"/></body></worldbody></mujoco>'
    sim = Simulator(load_mjcf(xml), 3, contacts=False)
    sim.set_params(body_mass_scale=torch.tensor([[0.5, 0.5], [1.0, 1.0], [2.0, 2.0]]))
    qpos = torch.tensor([[0, 0, 1, 1, 0, 0, 0]], dtype=torch.float32).repeat(3, 1)
    sim.set_state(qpos, torch.zeros(3, 6))
    for _ in range(100):
        sim.step(torch.zeros(3, 0))
    assert torch.abs(sim.get_state()[0] - qpos).max() < 1e-6
