"""Joint friction loss (MuJoCo's dof friction rows) against MuJoCo C: one step from random states, and a pendulum
that sticks.

A dof with frictionloss f > 0 gets MuJoCo's friction row: the force D (aref - qacc) with aref = -b qvel (solreffriction,
solimpfriction at zero violation), bounded by +-f. Random chains of hinge and slide joints (some limited, some under a
free root) are stepped once from random states by every pipeline and compared with mj_step: qvel to 1e-5 of the state's
scale (measured: under 1e-6 in float32). Contacts off: the rows under test are the friction and limit rows.
"""

import mujoco
import numpy as np
import pytest
import torch
from chains import perturbed_qpos, random_chain

from kernels.articulation import Simulator
from mjcf import load_mjcf

NUM_STATES = 64
TOL = 1e-5


def _chain_xml(seed: int) -> str:
    """A random forest of hinge / slide chains with friction loss on most joints, a motor on some."""
    rng = np.random.default_rng(seed)

    def joint(i):
        attrs = f' damping="{rng.uniform(0, 0.3) * (rng.random() < 0.5):.4f}"'
        if rng.random() < 0.8:
            attrs += f' frictionloss="{rng.uniform(0.05, 2.0):.4f}"'
        if rng.random() < 0.3:
            attrs += f' solreffriction="{rng.uniform(0.01, 0.05):.4f} {rng.uniform(0.7, 1.5):.3f}"'
        if rng.random() < 0.3:
            attrs += f' solimpfriction="{rng.uniform(0.6, 0.85):.3f} {rng.uniform(0.9, 0.99):.3f} 0.01"'
        if rng.random() < 0.4:
            attrs += ' limited="true" range="-0.3 0.3"'
        joints.append(f"j{i}")
        return attrs

    joints = []
    body, _ = random_chain(rng, 5, joint)
    motors = "".join(f'<motor joint="{j}" gear="{rng.uniform(1, 5):.3f}"/>' for j in joints if rng.random() < 0.5)
    return f"""<mujoco><option timestep="{rng.choice([0.002, 0.005, 0.01])}"/>
  <worldbody>{body}</worldbody><actuator>{motors}</actuator></mujoco>"""


def _random_states(m, seed: int):
    rng = np.random.default_rng(seed)
    qpos = perturbed_qpos(m, rng, NUM_STATES, 0.4)
    # at rest, barely moving (the friction rows' quadratic state) and moving (saturated): all three states
    qvel = rng.normal(size=(NUM_STATES, m.nv)) * rng.choice([0.0, 0.01, 1.0], size=(NUM_STATES, 1))
    ctrl = rng.uniform(-1, 1, (NUM_STATES, m.nu))
    return qpos, qvel, ctrl


def _one_step(model, ref: mujoco.MjModel, seed: int, pipeline: str):
    qpos, qvel, ctrl = _random_states(ref, seed)
    sim = Simulator(model, NUM_STATES, joint_limits=True, pipeline=pipeline)
    sim.set_state(torch.tensor(qpos, dtype=torch.float32), torch.tensor(qvel, dtype=torch.float32))
    sim.step(torch.tensor(ctrl, dtype=torch.float32))
    ours = sim.get_state()[1].numpy()
    d = mujoco.MjData(ref)
    want = np.zeros_like(ours)
    saturated = 0
    for i in range(NUM_STATES):
        mujoco.mj_resetData(ref, d)
        d.qpos[:], d.qvel[:], d.ctrl[:] = qpos[i], qvel[i], ctrl[i]
        mujoco.mj_step(ref, d)
        want[i] = d.qvel
        friction = d.efc_type[: d.nefc] == mujoco.mjtConstraint.mjCNSTR_FRICTION_DOF
        saturated += int(np.sum(np.isclose(np.abs(d.efc_force[: d.nefc][friction]), d.efc_frictionloss[friction])))
    return ours, want, saturated


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("pipeline", ["fused", "split", "split_tiled"])
def test_one_step_with_friction_loss_matches_mujoco(seed, pipeline):
    ref = mujoco.MjModel.from_xml_string(_chain_xml(seed))
    ref.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT
    assert np.any(ref.dof_frictionloss > 0)
    ours, want, saturated = _one_step(ref, ref, seed, pipeline)
    assert saturated > 0  # the states exercise the clamp, not only the quadratic zone
    np.testing.assert_allclose(ours, want, rtol=0, atol=TOL * max(1.0, np.abs(want).max()))


@pytest.mark.parametrize("seed", range(3))
def test_one_step_through_load_mjcf(seed):
    xml = _chain_xml(seed)
    ref = mujoco.MjModel.from_xml_string(xml)
    ref.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT
    ours, want, _ = _one_step(load_mjcf(xml), ref, seed, "fused")
    np.testing.assert_allclose(ours, want, rtol=0, atol=TOL * max(1.0, np.abs(want).max()))


def test_a_pendulum_with_friction_loss_sticks_where_mujoco_does():
    # a hinge pendulum released at 0.6 rad swings down and stops short of the bottom, held by dry friction
    xml = """<mujoco><option timestep="0.002"/><worldbody><body><joint type="hinge" axis="0 1 0" frictionloss="0.5"/>
      <geom type="capsule" fromto="0 0 0 0 0 -0.4" size="0.03" mass="1"/></body></worldbody></mujoco>"""
    ref = mujoco.MjModel.from_xml_string(xml)
    sim = Simulator(load_mjcf(xml), 1)
    sim.set_state(torch.tensor([[0.6]]), torch.zeros(1, 1))
    d = mujoco.MjData(ref)
    d.qpos[0] = 0.6
    for _ in range(1500):
        sim.step(torch.zeros(1, 0))
        mujoco.mj_step(ref, d)
    q, v = (x.numpy()[0, 0] for x in sim.get_state())
    # torque balance at rest: m g l sin(q) = 0.5 N m (l = 0.2 m to the center of mass) -> |q| >= asin(0.255) - slack
    assert abs(d.qvel[0]) < 0.05 and 0.05 < abs(d.qpos[0]) < 0.6
    assert abs(q - d.qpos[0]) < 1e-3 and abs(v - d.qvel[0]) < 1e-2
    free = Simulator(load_mjcf(xml.replace(' frictionloss="0.5"', "")), 1)
    free.set_state(torch.tensor([[0.6]]), torch.zeros(1, 1))
    for _ in range(1500):
        free.step(torch.zeros(1, 0))
    assert abs(free.get_state()[1].numpy()[0, 0]) > 0.1 or abs(free.get_state()[0].numpy()[0, 0]) > 0.3


def test_friction_loss_on_a_free_joint_is_refused():
    xml = '<mujoco><worldbody><body><freejoint/><geom size="0.1"/></body></worldbody></mujoco>'
    m = mujoco.MjModel.from_xml_string(xml)
    m.dof_frictionloss[2] = 0.1
    with pytest.raises(NotImplementedError, match="free joint"):
        Simulator(m, 1)
