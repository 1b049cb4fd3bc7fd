"""Every physical-parameter knob of the MJCF envs changes the physics the way the scaled model does.

`mass_scale` s: one env step equals MuJoCo on the same MJCF with every body mass and inertia multiplied by s
(from an airborne state, where both simulators agree to float32 precision: tests/test_articulation.py).
`friction_scale` s: one env step from a state in contact equals our Simulator on the model whose geom frictions
were multiplied by s (the Simulator's friction against MuJoCo's is checked in tests/test_contact_reference.py).
Each check also shows that the knob matters: the nominal model is far outside the tolerance.
"""

import os

import mujoco
import numpy as np
import pytest
import torch

import envs
from kernels.articulation import Simulator
from mjcf import load_mjcf

DEVICE = "cpu"
MJCF_ENVS = ["ant", "half_cheetah", "humanoid"]
NUM_ENVS = 4
SCALE = 1.6
# One env step (5 timesteps) of float32 against MuJoCo's float64 from the same airborne state: measured
# max |ours - mujoco| over the three envs 4.6e-7 (qpos) and 3.2e-5 (qvel); tolerances ~10x that.
QPOS_ATOL, QVEL_ATOL = 5e-6, 3e-4
# The same physics on two paths (a per-env scale vs a scaled model, float32 rounding apart): measured 2.9e-6.
SAME_ATOL = 3e-5
# No termination in these one-step checks (an airborne Ant or Humanoid is "unhealthy" and would be reset).
NO_TERMINATION = {"ant": dict(healthy_z_range=(0.0, 10.0)), "humanoid": dict(healthy_z_range=(0.0, 10.0))}


@pytest.fixture(autouse=True)
def _mujoco_log_in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _asset(env_id: str) -> str:
    return os.path.join(envs.core.ASSETS, f"{env_id}.xml")


def _airborne_states(m: mujoco.MjModel, n: int, seed: int):
    """qpos with the root 3 m up (free joint: random orientation), hinges mid-range; random velocities."""
    rng = np.random.default_rng(seed)
    qpos = np.tile(m.qpos0, (n, 1))
    qvel = rng.normal(size=(n, m.nv)) * 0.5
    for j in range(m.njnt):
        a = m.jnt_qposadr[j]
        if m.jnt_type[j] == mujoco.mjtJoint.mjJNT_FREE:
            qpos[:, a + 2] = 3.0
            quat = rng.normal(size=(n, 4))
            qpos[:, a + 3 : a + 7] = quat / np.linalg.norm(quat, axis=1, keepdims=True)
        elif m.jnt_limited[j]:
            lo, hi = m.jnt_range[j]
            qpos[:, a] = (lo + hi) / 2 + rng.uniform(-0.1, 0.1, n) * (hi - lo)
    if m.jnt_type[0] == mujoco.mjtJoint.mjJNT_SLIDE:  # half_cheetah: rootx, rootz, rooty
        qpos[:, 1] = 3.0
    return qpos, qvel


def _mujoco_step(m: mujoco.MjModel, qpos, qvel, ctrl, steps: int):
    d = mujoco.MjData(m)
    out = []
    for i in range(len(qpos)):
        mujoco.mj_resetData(m, d)
        d.qpos[:], d.qvel[:], d.ctrl[:] = qpos[i], qvel[i], ctrl[i]
        for _ in range(steps):
            mujoco.mj_step(m, d)
        out.append(np.concatenate([d.qpos, d.qvel]))
    return np.array(out)


def _reference(env_id: str, mass_scale: float) -> mujoco.MjModel:
    m = mujoco.MjModel.from_xml_path(_asset(env_id))
    m.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    m.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT | mujoco.mjtDisableBit.mjDSBL_LIMIT
    m.body_mass[:] *= mass_scale
    m.body_inertia[:] *= mass_scale
    return m


@pytest.mark.parametrize("env_id", MJCF_ENVS)
def test_mass_scale_matches_mujoco_with_scaled_masses(env_id):
    env = envs.make(
        env_id, num_envs=NUM_ENVS, device=DEVICE, seed=0, mass_scale=SCALE, **NO_TERMINATION.get(env_id, {})
    )
    ref = _reference(env_id, SCALE)
    qpos, qvel = _airborne_states(ref, NUM_ENVS, seed=1)
    actions = np.random.default_rng(2).uniform(-1, 1, size=(NUM_ENVS, env.num_actions))
    lo, hi = ref.actuator_ctrlrange.T
    ctrl = lo + 0.5 * (actions + 1) * (hi - lo)
    env.set_state(torch.tensor(np.concatenate([qpos, qvel], 1), dtype=torch.float32))
    _, _, terminated, truncated, _ = env.step(torch.tensor(actions, dtype=torch.float32))
    assert not (terminated | truncated).any()
    ours = env.get_state().numpy()
    expected = _mujoco_step(ref, qpos, qvel, ctrl, env.frame_skip)
    nq = ref.nq
    np.testing.assert_allclose(ours[:, :nq], expected[:, :nq], rtol=0, atol=QPOS_ATOL)
    np.testing.assert_allclose(ours[:, nq:], expected[:, nq:], rtol=0, atol=QVEL_ATOL)
    nominal = _mujoco_step(_reference(env_id, 1.0), qpos, qvel, ctrl, env.frame_skip)
    assert np.abs(nominal[:, nq:] - expected[:, nq:]).max() > 100 * QVEL_ATOL  # the knob matters


def _state_in_contact(env_id: str, steps: int = 20) -> torch.Tensor:
    """States after a random-action rollout from reset and 10 zero-action steps: the robots lie on the floor (random
    actions alone leave some Ants in the air, as MuJoCo's)."""
    env = envs.make(env_id, num_envs=NUM_ENVS, device=DEVICE, seed=3, **NO_TERMINATION.get(env_id, {}))
    gen = torch.Generator().manual_seed(0)
    for _ in range(steps):
        env.step(torch.rand(NUM_ENVS, env.num_actions, generator=gen) * 2 - 1)
    for _ in range(10):
        env.step(torch.zeros(NUM_ENVS, env.num_actions))
    return env.get_state().clone()


def _scaled_friction_sim(env, friction_scale: float) -> Simulator:
    model = load_mjcf(_asset(env.name))
    model.geom_friction[:, 0] *= friction_scale
    sim = Simulator(
        model, NUM_ENVS, DEVICE, contacts=True, joint_limits=True, substeps=env.frame_skip * env.substeps,
        timestep=env.dt,
    )  # fmt: skip
    return sim


@pytest.mark.parametrize("env_id", MJCF_ENVS)
def test_friction_scale_equals_the_model_with_scaled_frictions(env_id):
    state = _state_in_contact(env_id)
    env = envs.make(
        env_id, num_envs=NUM_ENVS, device=DEVICE, seed=0, friction_scale=SCALE, **NO_TERMINATION.get(env_id, {})
    )
    # sliding forward at 1 m/s: a robot at rest on the floor (an Ant on its back) needs no friction in one step
    state[:, env.sim.nq] += 1.0
    actions = torch.rand(NUM_ENVS, env.num_actions, generator=torch.Generator().manual_seed(4)) * 2 - 1
    env.set_state(state)
    _, _, terminated, truncated, _ = env.step(actions)
    assert not (terminated | truncated).any()
    ours = env.get_state().numpy().copy()
    lo, hi = env.sim.actuator_ctrlrange.numpy().T
    ctrl = torch.tensor(lo + 0.5 * (actions.numpy() + 1) * (hi - lo), dtype=torch.float32)
    results = []
    for scale in (SCALE, 1.0):
        sim = _scaled_friction_sim(env, scale)
        sim.set_state(state[:, : sim.nq], state[:, sim.nq :])
        sim.step(ctrl)
        results.append(torch.cat(sim.get_state(), 1).numpy().copy())
    np.testing.assert_allclose(ours, results[0], rtol=0, atol=SAME_ATOL)
    assert np.abs(results[1] - results[0]).max() > 100 * SAME_ATOL  # in contact: the friction matters
