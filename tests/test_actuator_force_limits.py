"""Joint-level actuator force limits (MuJoCo's actuatorfrcrange) against MuJoCo C.

A hinge or slide joint with actuatorfrcrange clamps the sum of the forces its actuators put on it (MuJoCo's
jnt_actfrcrange, applied to qfrc_actuator after each actuator's own forcerange); MuJoCo clamps even a joint no
actuator drives (0 clamped into the range) unless the model has no actuators or actuation is disabled. Random chains
with zero to three motors and position servos per joint are stepped once from random states by every pipeline and
compared with mj_step: qvel to 1e-5 of the state's scale. Contacts off: the forces under test are the actuators'.
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


def _chain_xml(seed: int, actuated: bool = True, integrator: str = "Euler") -> str:
    """A random chain of hinge / slide joints, most with actuatorfrcrange (some not containing 0), each driven by
    zero to three motors and position servos."""
    rng = np.random.default_rng(seed)

    def joint(i):
        attrs = f' damping="{rng.uniform(0, 0.3):.4f}"'
        if rng.random() < 0.8:
            # mostly around 0; a range above 0 pushes the joint even at zero control, as MuJoCo's clamp does
            lo = rng.uniform(-3, -0.2) if rng.random() < 0.8 else rng.uniform(0.1, 0.5)
            attrs += f' actuatorfrcrange="{lo:.4f} {lo + rng.uniform(0.3, 4):.4f}"'
        if rng.random() < 0.3:
            attrs += ' limited="true" range="-0.3 0.3"'
        return attrs

    def drives(i):
        out = []
        for _ in range(int(rng.integers(0, 4)) if actuated else 0):
            gear = f'gear="{rng.uniform(0.5, 3) * rng.choice([-1, 1]):.3f}"'
            if rng.random() < 0.5:
                out.append(f'<motor joint="j{i}" {gear}/>')
            else:
                servo = f'<position joint="j{i}" {gear} kp="{rng.uniform(1, 20):.3f}" kv="{rng.uniform(0, 1):.3f}"'
                if rng.random() < 0.5:
                    servo += f' forcerange="-{rng.uniform(0.5, 4):.3f} {rng.uniform(0.5, 4):.3f}"'
                out.append(servo + "/>")
        return out

    body, actuators = random_chain(rng, 6, joint, drives)
    return f"""<mujoco><compiler autolimits="true"/>
  <option timestep="{rng.choice([0.002, 0.005, 0.01])}" integrator="{integrator}"/>
  <worldbody>{body}</worldbody><actuator>{"".join(actuators)}</actuator></mujoco>"""


def _one_step(model, ref: mujoco.MjModel, seed: int, pipeline: str):
    """qvel after one step from NUM_STATES random states, ours and MuJoCo's, and how many of MuJoCo's
    qfrc_actuator entries the joint-level clamp changed."""
    rng = np.random.default_rng(seed)
    qpos = perturbed_qpos(ref, rng, NUM_STATES, 0.4)
    qvel = rng.normal(size=(NUM_STATES, ref.nv))
    ctrl = rng.uniform(-2, 2, (NUM_STATES, ref.nu))
    sim = Simulator(model, NUM_STATES, joint_limits=True, pipeline=pipeline)
    sim.set_state(torch.tensor(qpos, dtype=torch.float32), torch.tensor(qvel, dtype=torch.float32))
    sim.step(torch.tensor(ctrl, dtype=torch.float32))
    ours = sim.get_state()[1].numpy()
    d = mujoco.MjData(ref)
    want = np.zeros_like(ours)
    clamped = 0
    dof = ref.jnt_dofadr[ref.jnt_actfrclimited.astype(bool)]
    for i in range(NUM_STATES):
        mujoco.mj_resetData(ref, d)
        d.qpos[:], d.qvel[:], d.ctrl[:] = qpos[i], qvel[i], ctrl[i]
        mujoco.mj_forward(ref, d)
        # the unclamped sum per dof: the actuators' forces through their gears
        unclamped = np.zeros(ref.nv)
        for a in range(ref.nu):
            unclamped[ref.jnt_dofadr[ref.actuator_trnid[a, 0]]] += ref.actuator_gear[a, 0] * d.actuator_force[a]
        clamped += int(np.sum(~np.isclose(unclamped[dof], d.qfrc_actuator[dof])))
        mujoco.mj_step(ref, d)
        want[i] = d.qvel
    return ours, want, clamped


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("pipeline", ["fused", "split", "split_tiled"])
def test_one_step_with_joint_actuator_force_limits_matches_mujoco(seed, pipeline):
    ref = mujoco.MjModel.from_xml_string(_chain_xml(seed))
    ref.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT
    assert np.any(ref.jnt_actfrclimited) and ref.nu > 0
    ours, want, clamped = _one_step(ref, ref, seed, pipeline)
    assert clamped > NUM_STATES // 4  # the states exercise the clamp, not only the free range
    np.testing.assert_allclose(ours, want, rtol=0, atol=TOL * max(1.0, np.abs(want).max()))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("pipeline", ["fused", "split_tiled"])
def test_implicitfast_leaves_a_clamped_sums_velocity_derivative_out_as_mujoco(seed, pipeline):
    """implicitfast: the servos' -b2 gear^2 joins the implicit damping only where the joint-level clamp does not
    hold their sum (MuJoCo 4.0)."""
    ref = mujoco.MjModel.from_xml_string(_chain_xml(seed, integrator="implicitfast"))
    ref.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT
    assert np.any(ref.jnt_actfrclimited) and ref.nu > 0
    ours, want, clamped = _one_step(ref, ref, seed, pipeline)
    assert clamped > NUM_STATES // 4  # the states exercise the clamp, not only the free range
    np.testing.assert_allclose(ours, want, rtol=0, atol=TOL * max(1.0, np.abs(want).max()))


@pytest.mark.parametrize("seed", range(3))
def test_one_step_through_load_mjcf(seed):
    xml = _chain_xml(seed)
    ref = mujoco.MjModel.from_xml_string(xml)
    ref.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT
    model = load_mjcf(xml)
    np.testing.assert_array_equal(model.jnt_actfrclimited, ref.jnt_actfrclimited.astype(bool))
    np.testing.assert_array_equal(model.jnt_actfrcrange, ref.jnt_actfrcrange)
    ours, want, _ = _one_step(model, ref, seed, "fused")
    np.testing.assert_allclose(ours, want, rtol=0, atol=TOL * max(1.0, np.abs(want).max()))


@pytest.mark.parametrize("case", ["no actuators", "actuation disabled"])
def test_no_clamp_without_actuation(case):
    """MuJoCo skips the clamp (a range above 0 would push an undriven joint) without actuators or actuation."""
    seed = next(s for s in range(100) if "actuatorfrcrange" in _chain_xml(s, False))
    ref = mujoco.MjModel.from_xml_string(_chain_xml(seed, actuated=case != "no actuators"))
    ref.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT
    if case == "actuation disabled":
        ref.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_ACTUATION
    ours, want, _ = _one_step(ref, ref, seed, "fused")
    np.testing.assert_allclose(ours, want, rtol=0, atol=TOL * max(1.0, np.abs(want).max()))


def test_a_positive_range_drives_an_undriven_joint_as_mujoco_does():
    """A hinge with actuatorfrcrange="0.5 3" and no actuator of its own, in a model with one: MuJoCo puts 0.5 N m on
    it (the clamp of a zero sum); a weightless pendulum then turns at 0.5 / I."""
    xml = """<mujoco><compiler autolimits="true"/><option gravity="0 0 0" timestep="0.01"/><worldbody>
      <body><joint name="a" axis="0 0 1" actuatorfrcrange="0.5 3"/><geom size=".1" pos=".3 0 0" mass="1"/></body>
      <body pos="2 0 0"><joint name="b" axis="0 0 1"/><geom size=".1" pos=".3 0 0" mass="1"/></body>
      </worldbody><actuator><motor joint="b"/></actuator></mujoco>"""
    ref = mujoco.MjModel.from_xml_string(xml)
    d = mujoco.MjData(ref)
    mujoco.mj_step(ref, d)
    sim = Simulator(load_mjcf(xml), 2)
    sim.step(torch.tensor([[0.0], [1.0]]))
    qvel = sim.get_state()[1].numpy()
    assert d.qvel[0] > 0 and d.qvel[1] == 0
    np.testing.assert_allclose(qvel[0], d.qvel, rtol=1e-5)
    assert qvel[1, 0] == qvel[0, 0] and qvel[1, 1] > 0  # the other joint's motor leaves it as it was


def test_bad_range_on_a_device_model_is_refused():
    ref = mujoco.MjModel.from_xml_string(_chain_xml(0))
    j = int(np.flatnonzero(ref.jnt_actfrclimited)[0])
    ref.jnt_actfrcrange[j] = [1.0, -1.0]
    with pytest.raises(ValueError, match="jnt_actfrcrange"):
        Simulator(ref, 1)
