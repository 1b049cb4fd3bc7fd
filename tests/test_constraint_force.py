"""Simulator.constraint_force against MuJoCo C's qfrc_constraint after one mj_step (Euler unless the model says
otherwise): the generalized force of the joint-limit, friction-loss, ground-contact and geom-pair rows of the step's
(last) substep, M qacc - qfrc_smooth with the constraint solve's qacc, before the implicit damping."""

import os

import gymnasium as gym
import mujoco
import numpy as np
import pytest
import torch
from chains import perturbed_qpos, random_chain

from envs.core import ASSETS
from kernels.articulation import Simulator
from mjcf import load_mjcf

NUM_STATES = 16


@pytest.fixture(autouse=True)
def _mujoco_log_in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MuJoCo writes MUJOCO_LOG.TXT into the working directory on warnings


def _chain_xml(seed: int, option: str = "") -> str:
    """A random chain with joint limits on most joints, damping and friction loss on some, a motor on each."""
    rng = np.random.default_rng(seed)

    def joint(i):
        attrs = f' damping="{rng.uniform(0, 1) * (rng.random() < 0.6):.4f}"'
        if rng.random() < 0.4:
            attrs += f' frictionloss="{rng.uniform(0.05, 1.0):.4f}"'
        if rng.random() < 0.7:
            attrs += ' limited="true" range="-0.2 0.2"'
        return attrs

    def motor(i):
        return [f'<motor joint="j{i}" gear="{rng.uniform(1, 5):.3f}"/>']

    body, acts = random_chain(rng, 6, joint, motor)
    return f"""<mujoco><option timestep="0.005" {option}/>
  <worldbody>{body}</worldbody><actuator>{"".join(acts)}</actuator></mujoco>"""


def _chain_states(ref: mujoco.MjModel, seed: int):
    rng = np.random.default_rng(seed)
    qpos = perturbed_qpos(ref, rng, NUM_STATES, 0.4)
    qvel = rng.normal(size=(NUM_STATES, ref.nv))
    ctrl = rng.uniform(-1, 1, (NUM_STATES, ref.nu))
    return qpos, qvel, ctrl


def _settled_states(ref: mujoco.MjModel, seed: int, steps: int):
    """States of MuJoCo's own rollout under random controls (a body on the ground, a cart against its limit)."""
    rng = np.random.default_rng(seed)
    d = mujoco.MjData(ref)
    qpos, qvel, ctrl = [], [], []
    for _ in range(NUM_STATES):
        mujoco.mj_resetData(ref, d)
        d.qpos[:] = perturbed_qpos(ref, rng, 1, 0.1)[0]
        d.qvel[:] = rng.normal(size=ref.nv) * 0.5
        for _ in range(int(rng.integers(steps // 2, steps))):
            d.ctrl[:] = rng.uniform(-1, 1, ref.nu)
            mujoco.mj_step(ref, d)
        qpos.append(d.qpos.copy())
        qvel.append(d.qvel.copy())
        ctrl.append(rng.uniform(-1, 1, ref.nu))
    return np.array(qpos), np.array(qvel), np.array(ctrl)


def _compare(model, ref: mujoco.MjModel, qpos, qvel, ctrl, pipeline: str, contacts: bool):
    """Our constraint force after one step from each state, and MuJoCo's, both from the float32 start states."""
    sim = Simulator(model, len(qpos), contacts=contacts, joint_limits=True, pipeline=pipeline)
    sim.set_state(torch.tensor(qpos, dtype=torch.float32), torch.tensor(qvel, dtype=torch.float32))
    qpos, qvel = (t.double().numpy().copy() for t in sim.get_state())
    sim.step(torch.tensor(ctrl, dtype=torch.float32))
    ours = sim.constraint_force().numpy().astype(np.float64)
    d = mujoco.MjData(ref)
    want = np.zeros_like(ours)
    for i in range(len(qpos)):
        mujoco.mj_resetData(ref, d)
        d.qpos[:], d.qvel[:], d.ctrl[:] = qpos[i], qvel[i], ctrl[i]
        mujoco.mj_step(ref, d)
        want[i] = d.qfrc_constraint
    return ours, want


@pytest.mark.filterwarnings("ignore:implicitfast with a free joint")
@pytest.mark.parametrize("pipeline", ["fused", "split"])
@pytest.mark.parametrize(
    "option", ["", 'integrator="implicitfast"', '><flag eulerdamp="disable"/></option><option'], ids=str
)
def test_joint_limits_and_friction_loss_as_mujoco(pipeline, option):
    """Random chains with limits, friction loss and damping (implicit, implicitfast, explicit): every dof's
    constraint force within float32 rounding of MuJoCo's (measured 3e-7 of the largest force); the integrator changes
    only how qacc is corrected after the solve, not the force, but it changes how qM holds the damping."""
    active = 0
    for seed in range(3):
        xml = _chain_xml(seed, option)
        ref = mujoco.MjModel.from_xml_string(xml)
        ours, want = _compare(load_mjcf(xml), ref, *_chain_states(ref, seed), pipeline, contacts=False)
        np.testing.assert_allclose(ours, want, atol=1e-5 * max(1.0, np.abs(want).max()), err_msg=f"seed {seed}")
        active += int(np.sum(np.abs(want).max(axis=1) > 1e-2))
    assert active >= NUM_STATES  # not vacuous: constraint forces in at least a third of the states


def test_slider_limit_of_gymnasiums_inverted_double_pendulum():
    """Gymnasium's InvertedDoublePendulum-v5 observes qfrc_constraint[0]: the slider limit's force (margin 0.01 m)
    with carts pushed into it, equal to MuJoCo Euler's; zero on the hinges, which have no limits."""
    path = os.path.join(os.path.dirname(gym.__file__), "envs", "mujoco", "assets", "inverted_double_pendulum.xml")
    ref = mujoco.MjModel.from_xml_path(path)
    ref.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    model = load_mjcf(path)
    model.opt.integrator = int(mujoco.mjtIntegrator.mjINT_EULER)
    rng = np.random.default_rng(0)
    # carts within the limit's margin (|slider| > 0.99 m), most driven into it, some out of it; a quarter far from it
    side = rng.choice([-1.0, 1.0], NUM_STATES)
    into = np.where(np.arange(NUM_STATES) < 3 * NUM_STATES // 4, side, -side)  # pushed into the limit, or out
    cart = side * rng.uniform(0.985, 1.005, NUM_STATES)
    cart[: NUM_STATES // 4] = rng.uniform(-0.5, 0.5, NUM_STATES // 4)
    qpos = np.column_stack([cart, rng.uniform(-0.3, 0.3, (NUM_STATES, 2))])
    qvel = rng.normal(size=(NUM_STATES, 3))
    qvel[:, 0] = into * np.abs(qvel[:, 0])
    ctrl = (into * rng.uniform(0.2, 1.0, NUM_STATES))[:, None]
    for pipeline in ("fused", "split", "split_tiled"):
        ours, want = _compare(model, ref, qpos, qvel, ctrl, pipeline, contacts=True)
        np.testing.assert_allclose(ours, want, atol=1e-5 * np.abs(want).max(), err_msg=pipeline)
    assert np.sum(np.abs(want[:, 0]) > 1.0) >= NUM_STATES // 4 and np.all(want[:, 1:] == 0)
    free = np.all(want == 0, axis=1)  # no row active: exactly 0 in MuJoCo, and here (not float32 rounding)
    assert free.sum() >= NUM_STATES // 4 and np.all(ours[free] == 0)


@pytest.mark.parametrize("asset", ["ant.xml", "humanoid.xml"])
def test_ground_contacts_and_geom_pairs_as_mujoco(asset):
    """Ant and humanoid on the ground (states of MuJoCo's own rollouts): the contact rows' generalized force equal to
    MuJoCo's to the agreement of the two solves (the same active sets; float32 against float64): measured 5e-7 (ant)
    and 1.4e-5 (humanoid) of the largest force."""
    path = os.path.join(ASSETS, asset)
    ref = mujoco.MjModel.from_xml_path(path)
    ours, want = _compare(load_mjcf(path), ref, *_settled_states(ref, 1, 60), "fused", contacts=True)
    scale = np.abs(want).max()
    np.testing.assert_allclose(ours, want, atol=1e-4 * scale)
    assert scale > 10.0  # bodies on the ground: contact forces of tens of newtons
