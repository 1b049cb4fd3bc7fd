"""benchmarks/anymal_sim2sim.py: its MuJoCo observation is the env's, and one decision of the env from a state in
contact equals MuJoCo C's mj_step on the same XML from that state.

Tolerances, measured on 3 seeds x 16 states with 2-4 feet in contact and full-scale random actions (servo torques
up to the +-80 N m clamp, joint velocities up to 26 rad/s): observation max |difference| 6e-7 (float32 rounding of
entries up to 2.4), atol 2e-6; one decision (4 x 5 ms) qpos 9e-7 and qvel 1.1e-4 max |difference|, atol 1e-5 and
1e-3; ||qvel ours - MuJoCo|| / ||qvel MuJoCo without contacts - MuJoCo|| 2e-6, bound 1e-4. Before kernels/forward.py
solved the contact rows with M alone (MuJoCo's mj_Euler; it used M + h B) the qvel difference was 2.3 rad/s.
"""

import mujoco
import numpy as np
import pytest
import torch

from benchmarks import anymal_sim2sim as S

N = 8


@pytest.fixture(autouse=True)
def _mujoco_log_in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def walked():
    """An env after 25 decisions of a small fixed action (feet on the floor), the config and a random action."""
    cfg = S.env_config()
    env = S.make_env(N, seed=0)
    env.reset(seed=0)
    gen = torch.Generator().manual_seed(0)
    hold = 0.3 * (torch.rand(N, 12, generator=gen) * 2 - 1)
    for _ in range(25):
        env.step(hold)
    return env, cfg, torch.rand(N, 12, generator=gen) * 2 - 1


def test_observation_builder_matches_the_env(walked):
    env, cfg, _ = walked
    gen = torch.Generator().manual_seed(1)
    for _ in range(3):
        action = torch.rand(N, 12, generator=gen) * 2 - 1
        obs, _, terminated, truncated, _ = env.step(action)
        assert not (terminated | truncated).any()
        state = env.get_state().numpy()
        ours = np.stack(
            [S.observe(s[:19], s[19:37], s[37:40], a, cfg) for s, a in zip(state, action.numpy(), strict=True)]
        )
        np.testing.assert_allclose(ours, obs.numpy(), rtol=0, atol=2e-6)


def test_one_decision_from_a_state_in_contact_matches_mujoco(walked):
    env, cfg, action = walked
    start = env.get_state().numpy().astype(np.float64)[:, : S.NQ + S.NV]
    m = S.mujoco_model(cfg["sim_dt"])
    probe = S.FootProbe(m)
    assert all((probe(s[: S.NQ], s[S.NQ :])[0] < 0.0).sum() >= 2 for s in start)
    env.step(action)
    ours = env.get_state().numpy().astype(np.float64)[:, : S.NQ + S.NV]

    def mujoco_decisions(model):
        out = np.zeros_like(start)
        for i in range(N):
            d = mujoco.MjData(model)
            d.qpos[:], d.qvel[:] = start[i, : S.NQ], start[i, S.NQ :]
            S.mujoco_decision(model, d, action[i].numpy().astype(np.float64), cfg)
            out[i] = np.concatenate([d.qpos, d.qvel])
        return out

    ref = mujoco_decisions(m)
    m.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT
    free = mujoco_decisions(m)
    np.testing.assert_allclose(ours[:, : S.NQ], ref[:, : S.NQ], rtol=0, atol=1e-5)
    np.testing.assert_allclose(ours[:, S.NQ :], ref[:, S.NQ :], rtol=0, atol=1e-3)
    ratio = np.linalg.norm(ours[:, S.NQ :] - ref[:, S.NQ :]) / np.linalg.norm(free[:, S.NQ :] - ref[:, S.NQ :])
    assert ratio < 1e-4, ratio


def test_fell_is_the_envs_termination_rule():
    cfg = S.env_config()
    qpos = mujoco.MjModel.from_xml_path(S.XML).key_qpos[0].copy()
    qvel = np.zeros(S.NV)
    assert not S.fell(qpos, qvel, cfg)
    low = qpos.copy()
    low[2] = cfg["min_base_height"] - 0.01
    assert S.fell(low, qvel, cfg)
    tilted = qpos.copy()
    tilted[3:7] = [np.cos(0.275 * np.pi), np.sin(0.275 * np.pi), 0.0, 0.0]  # rolled 99 degrees
    assert S.fell(tilted, qvel, cfg)
    tilted[3:7] = [np.cos(0.125 * np.pi), np.sin(0.125 * np.pi), 0.0, 0.0]  # rolled 45 degrees: within 60
    assert not S.fell(tilted, qvel, cfg)
    assert S.fell(np.full_like(qpos, np.nan), qvel, cfg)
