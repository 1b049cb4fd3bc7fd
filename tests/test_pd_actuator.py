"""Position (PD) actuators in the simulator against MuJoCo C's `<position>` actuator, Euler integrator.

MuJoCo's law (mj_fwdActuation, joint transmission, gear g): force = gainprm[0] ctrl + biasprm[0] + biasprm[1] g q
+ biasprm[2] g qdot, ctrl clamped to ctrlrange and force to forcerange; qfrc_actuator = g force. With Euler the
joint damping is implicit and the actuator's -kv qdot explicit, as here.

Tolerances: after one step from random states (contacts and limits off, both sides) qvel agrees to
atol 1e-4 * max(1, max|reference|) as in tests/test_articulation.py; the accelerations qacc = (qvel' - qvel) / h
are compared to mj_step's implied qacc through the same difference, so the actuator force enters at full weight.
"""

import os

import mujoco
import numpy as np
import pytest
import torch

from envs.core import ASSETS
from kernels.articulation import Simulator
from kernels.io import check_model
from mjcf import load_mjcf

ANYMAL = os.path.join(ASSETS, "anymal_c.xml")
STATE_TOL = 1e-4

# a hinge and a slide joint on one floating-free chain, servos with velocity gain, gear 2 and a force clamp, and a
# motor beside them: every term of the general law is non-zero somewhere
SERVO_XML = """
<mujoco>
  <option timestep="0.004"/>
  <worldbody>
    <body name="a" pos="0 0 1">
      <joint name="h" type="hinge" axis="0 1 0" damping="0.3"/>
      <geom type="capsule" fromto="0 0 0 0.3 0 0" size="0.05"/>
      <body name="b" pos="0.3 0 0">
        <joint name="s" type="slide" axis="1 0 0.2" damping="0.1"/>
        <geom type="box" size="0.1 0.05 0.05"/>
        <body name="c" pos="0.2 0 0">
          <joint name="m" type="hinge" axis="1 0 0"/>
          <geom type="sphere" size="0.05"/>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <position joint="h" kp="40" kv="3" gear="2" ctrlrange="-1 1" forcerange="-15 15"/>
    <position joint="s" kp="200" kv="0.5" ctrlrange="-0.2 0.2"/>
    <motor joint="m" gear="5" ctrlrange="-1 1"/>
  </actuator>
</mujoco>
"""


# the same chain driven by <general> actuators as Menagerie's Go2 and Barkour write their servos (a class default
# with biastype affine), with a constant bias biasprm[0] and a gain that is not 1 on the plain motor
GENERAL_XML = SERVO_XML.replace(
    "<worldbody>",
    """<default><default class="servo">
    <general biastype="affine" gainprm="40" biasprm="2 -40 -3" gear="2" ctrlrange="-1 1" forcerange="-15 15"/>
  </default></default>
  <worldbody>""",
).replace(
    """<position joint="h" kp="40" kv="3" gear="2" ctrlrange="-1 1" forcerange="-15 15"/>
    <position joint="s" kp="200" kv="0.5" ctrlrange="-0.2 0.2"/>
    <motor joint="m" gear="5" ctrlrange="-1 1"/>""",
    """<general class="servo" joint="h"/>
    <general class="servo" joint="s" gainprm="200" biasprm="-1 -200 -0.5" gear="1" ctrlrange="-0.2 0.2"
      forcelimited="false"/>
    <general joint="m" gainprm="0.7" gear="5" ctrlrange="-1 1"/>
    <velocity joint="m" kv="0.4" ctrlrange="-2 2"/>""",
)


@pytest.fixture(autouse=True)
def _mujoco_log_in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _reference(m: mujoco.MjModel) -> mujoco.MjModel:
    m.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    m.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT | mujoco.mjtDisableBit.mjDSBL_LIMIT
    return m


def _random_states(m: mujoco.MjModel, n: int, rng: np.random.Generator):
    # the servo chain has hinge and slide joints only: qpos and qvel have the same layout
    qpos = np.tile(m.qpos0, (n, 1)) + rng.uniform(-1.0, 1.0, (n, m.nq))
    qvel = rng.normal(0.0, 1.0, (n, m.nv))
    lo, hi = m.actuator_ctrlrange[:, 0], m.actuator_ctrlrange[:, 1]
    # half the controls inside the range, half beyond it (the ctrl clamp); a wide spread saturates forcerange
    ctrl = rng.uniform(1.5 * lo, 1.5 * hi, (n, m.nu))
    return qpos, qvel, ctrl


def _step_both(m: mujoco.MjModel, model, qpos, qvel, ctrl):
    n = len(qpos)
    sim = Simulator(model, num_envs=n, device="cpu", contacts=False, joint_limits=False)
    sim.set_state(torch.tensor(qpos, dtype=torch.float32), torch.tensor(qvel, dtype=torch.float32))
    sim.step(torch.tensor(ctrl, dtype=torch.float32))
    ours = sim.get_state()[1].numpy().astype(np.float64)
    d = mujoco.MjData(m)
    ref, force = np.zeros((n, m.nv)), np.zeros((n, m.nu))
    for i in range(n):
        d.qpos[:], d.qvel[:], d.ctrl[:] = qpos[i], qvel[i], ctrl[i]
        mujoco.mj_step(m, d)
        ref[i], force[i] = d.qvel, d.actuator_force
    return ours, ref, force


@pytest.mark.parametrize("source", ["mujoco", "load_mjcf"])
def test_servo_chain_one_step_matches_mujoco(source):
    m = _reference(mujoco.MjModel.from_xml_string(SERVO_XML))
    model = m if source == "mujoco" else load_mjcf(SERVO_XML)
    rng = np.random.default_rng(0)
    qpos, qvel, ctrl = _random_states(m, 16, rng)
    ours, ref, force = _step_both(m, model, qpos, qvel, ctrl)
    # the states exercise the clamps: some servo forces saturate at forcerange, some do not
    assert np.any(np.abs(force[:, 0]) == 15.0) and np.any(np.abs(force[:, 0]) < 15.0)
    h = m.opt.timestep
    np.testing.assert_allclose((ours - qvel) / h, (ref - qvel) / h, atol=STATE_TOL * max(1.0, np.abs(ref).max()) / h)


@pytest.mark.parametrize("source", ["mujoco", "load_mjcf"])
def test_general_and_velocity_actuators_one_step_match_mujoco(source):
    m = _reference(mujoco.MjModel.from_xml_string(GENERAL_XML))
    assert "<general" in GENERAL_XML and "<velocity" in GENERAL_XML and "<position" not in GENERAL_XML
    np.testing.assert_array_equal(m.actuator_biasprm[:2, 0], [2.0, -1.0])  # the constant bias is exercised
    model = m if source == "mujoco" else load_mjcf(GENERAL_XML)
    qpos, qvel, ctrl = _random_states(m, 16, np.random.default_rng(3))
    ours, ref, force = _step_both(m, model, qpos, qvel, ctrl)
    assert np.any(np.abs(force[:, 0]) == 15.0) and np.any(np.abs(force[:, 0]) < 15.0)
    h = m.opt.timestep
    np.testing.assert_allclose((ours - qvel) / h, (ref - qvel) / h, atol=STATE_TOL * max(1.0, np.abs(ref).max()) / h)


def test_anymal_one_step_matches_mujoco():
    m = _reference(mujoco.MjModel.from_xml_path(ANYMAL))
    model = load_mjcf(ANYMAL)
    rng = np.random.default_rng(1)
    n = 12
    qpos = np.tile(m.key_qpos[0], (n, 1))
    qpos[:, 7:] += rng.uniform(-0.5, 0.5, (n, 12))
    quat = rng.normal(size=(n, 4))
    qpos[:, 3:7] = quat / np.linalg.norm(quat, axis=1, keepdims=True)
    qvel = rng.normal(0.0, 1.0, (n, m.nv))
    # targets near the pose (unsaturated servo) and far from it (force clamped at +-80 N m)
    ctrl = qpos[:, 7:] + rng.uniform(-1.5, 1.5, (n, 12))
    ours, ref, force = _step_both(m, model, qpos, qvel, ctrl)
    assert np.any(np.abs(force) == 80.0) and np.any(np.abs(force) < 79.0)
    np.testing.assert_allclose(ours, ref, atol=STATE_TOL * max(1.0, np.abs(ref).max()))
    h = m.opt.timestep
    np.testing.assert_allclose((ours - qvel) / h, (ref - qvel) / h, rtol=2e-4, atol=0.05)


def test_gear_scale_is_motor_strength_before_the_force_clamp():
    m = _reference(mujoco.MjModel.from_xml_string(SERVO_XML))
    rng = np.random.default_rng(2)
    qpos, qvel, ctrl = _random_states(m, 8, rng)
    # strength s on every actuator == MuJoCo with kp, kv, the motor's gain scaled by s and the same force clamp
    s = 0.6
    scaled = _reference(mujoco.MjModel.from_xml_string(SERVO_XML))
    scaled.actuator_gainprm[:, 0] *= s
    scaled.actuator_biasprm[:, :3] *= s
    sim = Simulator(m, num_envs=8, device="cpu", contacts=False, joint_limits=False)
    sim.set_params(actuator_gear_scale=torch.full((1, m.nu), s))
    sim.set_state(torch.tensor(qpos, dtype=torch.float32), torch.tensor(qvel, dtype=torch.float32))
    sim.step(torch.tensor(ctrl, dtype=torch.float32))
    _, ref, _ = _step_both(scaled, scaled, qpos, qvel, ctrl)
    np.testing.assert_allclose(sim.get_state()[1].numpy(), ref, rtol=2e-4, atol=STATE_TOL * max(1.0, np.abs(ref).max()))


def test_anymal_keyframe_stands_under_the_keyframe_targets():
    # MuJoCo settles the base near 0.51 m with ctrl = the keyframe pose; ours (contacts on) stays standing for 3 s
    model = load_mjcf(ANYMAL)
    n = 2
    sim = Simulator(model, num_envs=n, device="cpu", contacts=True, joint_limits=True, substeps=1)
    qpos = torch.tensor(np.tile(model.key_qpos[0], (n, 1)), dtype=torch.float32)
    sim.set_state(qpos, torch.zeros(n, model.nv))
    ctrl = torch.tensor(np.tile(model.key_ctrl[0], (n, 1)), dtype=torch.float32)
    heights = []
    for _ in range(int(3.0 / model.opt.timestep)):
        sim.step(ctrl)
        heights.append(sim.get_state()[0][:, 2].clone())
    q, v = sim.get_state()
    z = torch.stack(heights)
    assert torch.isfinite(q).all() and torch.isfinite(v).all()
    assert float(z[-1].min()) > 0.4 and float(z.min()) > 0.35, float(z.min())
    # at rest and upright: projected gravity's z of the base near -1, joint velocities near 0
    assert float(v.abs().max()) < 0.05
    assert float(q[:, 3].abs().min()) > 0.99


def test_bad_actuators_are_named():
    m = mujoco.MjModel.from_xml_string(SERVO_XML)
    m.actuator_dyntype[0] = mujoco.mjtDyn.mjDYN_FILTER
    with pytest.raises(NotImplementedError, match="actuator_dyntype"):
        check_model(m)
    m = mujoco.MjModel.from_xml_string(SERVO_XML)
    m.actuator_biastype[0] = mujoco.mjtBias.mjBIAS_MUSCLE
    with pytest.raises(NotImplementedError, match="biastype"):
        check_model(m)
