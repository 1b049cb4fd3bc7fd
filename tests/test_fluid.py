"""MuJoCo's inertia-box fluid forces (option density, viscosity, wind) against MuJoCo C.

Each body with mass is a box of its inertia's equivalent sides moving through the fluid: Stokes drag on its angular
and linear velocity at the center of mass (viscosity) plus quadratic drag along each principal axis (density), the
wind subtracted (mj_inertiaBoxFluidModel), mapped to the dofs by the body's Jacobian. Trees of a free body, a hinge
and a ball are stepped from random velocities and compared with mj_step every step; Gymnasium's Swimmer (density
4000, viscosity 0.1) through the loader as well.
"""

import os

import gymnasium
import mujoco
import numpy as np
import pytest
import torch

from kernels.articulation import Simulator
from mjcf import load_mjcf

TREE = """<mujoco><option {option} timestep="0.005">{flags}</option><worldbody>
<body pos="0 0 1" euler="20 30 40"><freejoint/><geom type="box" size=".1 .2 .05" pos="0.03 0 0.02" euler="10 0 5"/>
 <body pos="0.2 0 0"><joint type="hinge" axis="0 1 0"/><geom type="capsule" fromto="0 0 0 0.3 0.1 0" size="0.04"/>
 <body pos="0.3 0.1 0"><joint type="ball"/><geom type="box" size="0.05 0.02 0.08"/></body></body></body>
</worldbody></mujoco>"""
OPTIONS = {
    "both": 'density="1000" viscosity="0.5"',
    "density": 'density="1200"',
    "viscosity": 'viscosity="2"',
    "wind": 'density="1000" viscosity="0.5" wind="0.3 -0.2 0.1"',
}


def _max_error(model, ref: mujoco.MjModel, steps: int, pipeline: str = "fused", seed: int = 0) -> tuple[float, float]:
    """Max |qvel| error over `steps` steps from random velocities, and MuJoCo's largest fluid force on the way."""
    d = mujoco.MjData(ref)
    d.qvel[:] = np.random.default_rng(seed).normal(size=ref.nv) * 2
    sim = Simulator(model, 1, pipeline=pipeline)
    sim.set_state(torch.tensor(d.qpos[None], dtype=torch.float32), torch.tensor(d.qvel[None], dtype=torch.float32))
    err = fluid = 0.0
    for _ in range(steps):
        mujoco.mj_step(ref, d)
        sim.step()
        err = max(err, float(np.abs(sim.get_state()[1][0].numpy() - d.qvel).max()))
        fluid = max(fluid, float(np.abs(d.qfrc_fluid).max()))
    return err, fluid


@pytest.mark.parametrize("option", sorted(OPTIONS))
@pytest.mark.parametrize("pipeline", ["fused", "split", "split_tiled"])
def test_fluid_forces_on_a_tree_follow_mujoco(option, pipeline):
    """100 steps of 5 ms (measured 1.8e-5 rad/s with everything on); the fluid forces reach tens of N m, so leaving
    them out or a wrong term is off by far more."""
    xml = TREE.format(option=OPTIONS[option], flags="")
    err, fluid = _max_error(load_mjcf(xml), mujoco.MjModel.from_xml_string(xml), 100, pipeline)
    assert fluid > 1.0
    assert err < 1e-4, err


def test_no_fluid_forces_with_springs_and_dampers_disabled():
    """MuJoCo's mj_passive skips the fluid model only when both springs and dampers are disabled."""
    xml = TREE.format(option=OPTIONS["both"], flags='<flag spring="disable" damper="disable"/>')
    ref = mujoco.MjModel.from_xml_string(xml)
    err, fluid = _max_error(load_mjcf(xml), ref, 50)
    assert fluid == 0.0
    assert err < 1e-4, err
    ref.opt.disableflags = int(mujoco.mjtDisableBit.mjDSBL_SPRING)  # one of them off: the fluid acts
    err, fluid = _max_error(ref, ref, 50)
    assert fluid > 1.0 and err < 1e-4


def test_gymnasium_swimmer_follows_mujoco():
    """Swimmer-v5's XML (density 4000, viscosity 0.1) through the loader, both stepped with Euler at its 10 ms."""
    path = os.path.join(os.path.dirname(gymnasium.__file__), "envs", "mujoco", "assets", "swimmer.xml")
    ref = mujoco.MjModel.from_xml_path(path)
    ref.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    model = load_mjcf(path)
    model.opt.integrator = 0
    err, fluid = _max_error(model, ref, 100)
    assert fluid > 0.1
    assert err < 1e-4, err
