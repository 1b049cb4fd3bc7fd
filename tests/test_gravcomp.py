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


ARM = """<mujoco><option timestep="0.002" integrator="{integrator}"/><worldbody>
  <body pos="0 0 1" gravcomp="1"><joint name="j1" type="hinge" axis="0 1 0" damping="2" {j1}/>
    <geom type="capsule" fromto="0 0 0 0.4 0 0" size="0.04"/>
    <body pos="0.4 0 0" gravcomp="0.8"><joint name="j2" type="hinge" axis="0 1 0" damping="1" {j2}/>
      <joint name="j3" type="hinge" axis="1 0 0" damping="1" {j3}/>
      <geom type="capsule" fromto="0 0 0 0.3 0.05 0" size="0.03"/>
      <body pos="0.3 0.05 0" gravcomp="1"><joint name="j4" type="slide" axis="1 0 0" damping="5" {j4}/>
        <geom type="box" size="0.06 0.04 0.03"/></body></body></body>
  <body pos="1 0 1" gravcomp="0.6"><joint type="free" {free}/><geom type="box" size="0.1 0.05 0.02"/></body>
</worldbody>
<actuator>{actuators}</actuator></mujoco>"""
# j1: the clamp at 0.5 N m holds the arm's compensation (~13 N m) and the motor's torque back; j2: actuatorgravcomp
# without a clamp; j3: a stiff servo (its kv implicit under implicitfast) that saturates its 3 N m clamp; j4: passive
# compensation under a clamp (the clamp takes the motor only)
ACT_JOINTS = dict(
    j1='actuatorgravcomp="true" actuatorfrcrange="-0.5 0.5"',
    j2='actuatorgravcomp="true"',
    j3='actuatorgravcomp="true" actuatorfrcrange="-3 3"',
    j4='actuatorfrcrange="-0.3 0.3"',
    free='actuatorgravcomp="true"',
)
MOTORS = '<motor joint="j1" gear="2"/><motor joint="j2"/><position joint="j3" kp="30" kv="20"/><motor joint="j4"/>'


def _actuated_rollout(xml: str, loader: str, pipeline: str, steps: int = 250):
    """max |qpos - MuJoCo's| over a rollout under random controls, and MuJoCo's final qpos."""
    ref = mujoco.MjModel.from_xml_string(xml)
    d = mujoco.MjData(ref)
    rng = np.random.default_rng(1)
    d.qvel[:] = rng.normal(size=ref.nv) * 0.3
    model = load_mjcf(xml) if loader == "mjcf" else ref
    sim = Simulator(model, 1, contacts=False, joint_limits=False, pipeline=pipeline)
    sim.set_state(torch.tensor(d.qpos[None], dtype=torch.float32), torch.tensor(d.qvel[None], dtype=torch.float32))
    err = 0.0
    for t in range(steps):
        ctrl = rng.uniform(-1, 1, size=ref.nu) if t % 25 == 0 else d.ctrl.copy()
        d.ctrl[:] = ctrl
        sim.step(torch.tensor(ctrl[None], dtype=torch.float32))
        mujoco.mj_step(ref, d)
        err = max(err, float(np.abs(sim.get_state()[0][0].numpy() - d.qpos).max()))
    return err, d.qpos.copy()


@pytest.mark.parametrize("integrator", ["Euler", "implicitfast"])
@pytest.mark.parametrize("loader", ["mjcf", "mjmodel"])
@pytest.mark.parametrize("pipeline", ["fused", "split"])
def test_actuator_gravity_compensation_follows_mujoco(integrator, loader, pipeline):
    """``<joint actuatorgravcomp="true">``: the dof's compensation counted as actuator force, inside its joint's
    actuatorfrcrange clamp (a 0.5 N m clamp holds a ~13 N m compensation back, so the arm sags), unclamped on a free
    joint and a hinge without a range, and passive on a clamped slide; 250 steps of random controls within 1e-4 of
    MuJoCo's qpos; as a passive force throughout, the same arm ends far elsewhere."""
    xml = ARM.format(integrator=integrator, actuators=MOTORS, **ACT_JOINTS)
    err, want = _actuated_rollout(xml, loader, pipeline)
    assert err < 1e-4, err
    passive = {k: v.replace('actuatorgravcomp="true"', "") for k, v in ACT_JOINTS.items()}
    _, without = _actuated_rollout(ARM.format(integrator=integrator, actuators=MOTORS, **passive), loader, pipeline)
    assert np.abs(without - want).max() > 0.1
    if loader == "mjcf":
        np.testing.assert_array_equal(
            load_mjcf(xml).jnt_actgravcomp, mujoco.MjModel.from_xml_string(xml).jnt_actgravcomp.astype(bool)
        )


@pytest.mark.parametrize("loader", ["mjcf", "mjmodel"])
def test_actuator_gravity_compensation_without_actuators_is_dropped(loader):
    """With no actuator in the model MuJoCo's mj_fwdActuation returns early and mj_passive leaves an actuatorgravcomp
    joint's compensation to it: the arm falls as if uncompensated there, held elsewhere."""
    xml = ARM.format(integrator="Euler", actuators="", **ACT_JOINTS)
    err, want = _actuated_rollout(xml, loader, "fused")
    assert err < 1e-4, err
    held = ARM.format(integrator="Euler", actuators="", j1="", j2="", j3="", j4="", free="")
    _, held_qpos = _actuated_rollout(held, loader, "fused")
    assert np.abs(held_qpos - want).max() > 0.1
