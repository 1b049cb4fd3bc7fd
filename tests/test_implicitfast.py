"""MuJoCo's implicitfast integrator against MuJoCo C: joint damping and the servos' velocity terms implicit.

implicitfast solves (M - h qDeriv) qacc = qfrc_smooth + qfrc_constraint after the constraint solve, qDeriv holding
-damping and each actuator's d force / d qvel (MuJoCo's mjd_actuator_vel: b2 gear^2 for an affine servo, nothing
where its forcerange clamps the force; implicitfast leaves out the Coriolis derivatives). Random chains with stiff
position and velocity servos (kv large enough that Euler's explicit servo damping diverges at the step) are stepped
from random states and compared with mj_step; the eulerdamp flag does not apply to implicitfast (MuJoCo).
"""

import mujoco
import numpy as np
import pytest
import torch
from chains import perturbed_qpos, random_chain

from kernels.articulation import Simulator
from mjcf import load_mjcf

NUM_STATES = 32


@pytest.fixture(autouse=True)
def _mujoco_log_in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MuJoCo writes MUJOCO_LOG.TXT into the working directory on warnings


def _chain_xml(seed: int, integrator: str = "implicitfast", kv_scale: float = 1.0, flags: str = "") -> str:
    """A random chain of hinge / slide joints, each driven by a position or velocity servo (some force-limited),
    some damped, a limit on some."""
    rng = np.random.default_rng(seed)

    def joint(i):
        attrs = f' damping="{rng.uniform(0, 2) * (rng.random() < 0.5):.4f}"'
        if rng.random() < 0.3:
            attrs += ' limited="true" range="-0.3 0.3"'
        return attrs

    def servo(i):
        kv = kv_scale * rng.uniform(5, 60)
        gear = f'gear="{rng.uniform(0.5, 2) * rng.choice([-1, 1]):.3f}"'
        limit = f' forcerange="-{rng.uniform(2, 20):.3f} {rng.uniform(2, 20):.3f}"' if rng.random() < 0.5 else ""
        if rng.random() < 0.6:
            return [f'<position joint="j{i}" {gear} kp="{rng.uniform(10, 200):.3f}" kv="{kv:.3f}"{limit}/>']
        return [f'<velocity joint="j{i}" {gear} kv="{kv:.3f}"{limit}/>']

    body, actuators = random_chain(rng, 6, joint, servo)
    return f"""<mujoco><compiler autolimits="true"/>
  <option timestep="0.01" integrator="{integrator}">{flags}</option>
  <worldbody>{body}</worldbody><actuator>{"".join(actuators)}</actuator></mujoco>"""


def _rollout(model, ref: mujoco.MjModel, seed: int, steps: int, pipeline: str = "fused"):
    """qpos after `steps` steps from NUM_STATES random states under random controls, ours and MuJoCo's, and how many
    of MuJoCo's actuator forces sat at their forcerange in the first step."""
    rng = np.random.default_rng(seed)
    qpos = perturbed_qpos(ref, rng, NUM_STATES, 0.3)
    qvel = rng.normal(size=(NUM_STATES, ref.nv))
    ctrl = rng.uniform(-1, 1, (NUM_STATES, ref.nu))
    sim = Simulator(model, NUM_STATES, joint_limits=True, pipeline=pipeline)
    sim.set_state(torch.tensor(qpos, dtype=torch.float32), torch.tensor(qvel, dtype=torch.float32))
    c = torch.tensor(ctrl, dtype=torch.float32)
    for _ in range(steps):
        sim.step(c)
    ours = sim.get_state()[0].numpy()
    d = mujoco.MjData(ref)
    want = np.zeros_like(ours)
    clamped = 0
    for i in range(NUM_STATES):
        mujoco.mj_resetData(ref, d)
        d.qpos[:], d.qvel[:], d.ctrl[:] = qpos[i], qvel[i], ctrl[i]
        for k in range(steps):
            mujoco.mj_step(ref, d)
            if k == 0:
                lo, hi = ref.actuator_forcerange.T
                clamped += int(
                    np.sum(
                        ref.actuator_forcelimited.astype(bool) & ((d.actuator_force <= lo) | (d.actuator_force >= hi))
                    )
                )
        want[i] = d.qpos
    return ours, want, clamped


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("pipeline", ["fused", "split", "split_tiled"])
def test_implicitfast_steps_stiff_servos_as_mujoco(seed, pipeline):
    ref = mujoco.MjModel.from_xml_string(_chain_xml(seed))
    ours, want, clamped = _rollout(ref, ref, seed, 20, pipeline)
    assert np.all(np.isfinite(want))
    np.testing.assert_allclose(ours, want, rtol=0, atol=1e-4 * max(1.0, np.abs(want).max()))
    if seed == 0:
        assert clamped > 0  # the states reach the clamp, where the derivative is left out


@pytest.mark.parametrize("seed", range(3))
def test_implicitfast_through_load_mjcf_and_with_eulerdamp_disabled(seed):
    """The loader's model, and the eulerdamp flag off: implicitfast ignores it (MuJoCo), damping stays implicit."""
    xml = _chain_xml(seed, flags='<flag eulerdamp="disable"/>')
    ref = mujoco.MjModel.from_xml_string(xml)
    ours, want, _ = _rollout(load_mjcf(xml), ref, seed, 20)
    np.testing.assert_allclose(ours, want, rtol=0, atol=1e-4 * max(1.0, np.abs(want).max()))


def test_the_same_servos_under_euler_diverge_in_both():
    """Why it matters: stiff kv at 10 ms is past explicit Euler's limit, in MuJoCo and here alike."""
    seed = 0
    xml = _chain_xml(seed, integrator="Euler", kv_scale=20.0)
    ref = mujoco.MjModel.from_xml_string(xml)
    ours, _, _ = _rollout(load_mjcf(xml), ref, seed, 20)
    assert not np.all(np.abs(ours) < 1e3)  # unstable (huge or NaN)
    d = mujoco.MjData(ref)  # MuJoCo's Euler flags a bad qacc (and resets the state) from the first state already
    rng = np.random.default_rng(seed)
    d.qvel[:], d.ctrl[:] = rng.normal(size=ref.nv), rng.uniform(-1, 1, ref.nu)
    for _ in range(20):
        mujoco.mj_step(ref, d)
    assert d.warning[mujoco.mjtWarning.mjWARN_BADQACC].number > 0
    ref_fast = mujoco.MjModel.from_xml_string(_chain_xml(seed, kv_scale=20.0))
    ours_fast, want_fast, _ = _rollout(ref_fast, ref_fast, seed, 20)
    assert np.all(np.abs(want_fast) < 1e3)
    np.testing.assert_allclose(ours_fast, want_fast, rtol=0, atol=1e-4 * max(1.0, np.abs(want_fast).max()))
