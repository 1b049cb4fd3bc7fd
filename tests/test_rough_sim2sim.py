"""benchmarks/rough_sim2sim.py: MuJoCo's copy of the terrain is the env's surface, the MuJoCo side's observation is
the env's noise-free one, and a short comparison runs in both simulators."""

import mujoco
import numpy as np
import pytest
import torch

import envs
from benchmarks import anymal_sim2sim as flat
from benchmarks import rough_sim2sim as R
from envs.anymal_c import NUM_PRIV

N = 8


@pytest.fixture(autouse=True)
def _mujoco_log_in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def walked():
    """A noise-free rough env (the run's defaults and rough_sim2sim's held commands) after 20 decisions of a small
    random action: bases over slopes, steps and obstacles at several heights and yaws."""
    env = envs.make("anymal_c_rough", num_envs=N, device="cpu", seed=3, **{
        k: float(v) for k, v in (p.split("=") for p in R.HELD)})  # fmt: skip
    env.reset(seed=3)
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        obs, *_ = env.step(0.3 * (torch.rand(N, 12, generator=gen) * 2 - 1))
    return env, obs


def test_scan_from_a_state_is_the_envs_noise_free_scan(walked):
    env, _ = walked
    c, state = env.config, env.get_state().numpy().astype(np.float64)
    hs, sp = env.terrain.heights.astype(np.float64), float(env.terrain.spacing)
    ours = np.stack([R.scan(s[: flat.NQ], hs, sp, c["height_scale"], c["scan_offset"]) for s in state])
    # float32 positions (~4e-6 m at 40 m) on the refined field's risers (up to 0.2 m over 0.025 m): ~1e-4 apart there
    np.testing.assert_allclose(ours, env.info["privileged_obs"][:, NUM_PRIV:].numpy(), rtol=0, atol=2e-4)
    assert np.ptp(ours) > 0.5  # not a flat patch: the scan sees steps and slopes


def test_mujoco_terrain_is_the_envs_surface():
    """MuJoCo's ray down meets the hfield at ground_height (the env's triangles) everywhere, rough cells included."""
    env = envs.make("anymal_c_rough", num_envs=1, device="cpu", seed=0)
    hs, sp = env.terrain.heights.astype(np.float64), float(env.terrain.spacing)
    m = R.mujoco_terrain_model(hs, sp, 0.005)
    d = mujoco.MjData(m)
    mujoco.mj_forward(m, d)
    assert mujoco.mjtGeom.mjGEOM_PLANE not in list(m.geom_type)
    rng = np.random.default_rng(1)
    for x, y in rng.uniform(0.0, 1.0, size=(100, 2)) * (np.array(hs.shape) - 1) * sp:
        geomid = np.zeros(1, np.int32)
        dist = mujoco.mj_ray(m, d, np.array([x, y, 5.0]), np.array([0.0, 0.0, -1.0]), None, 1, -1, geomid)
        assert 5.0 - dist == pytest.approx(float(R.ground_height(hs, sp, x, y)), abs=1e-6)
    assert float(R.ground_height(hs, sp, -1.0, 3.0)) == 0.0  # outside the field: the floor plane's height


def test_mujoco_side_observation_is_the_envs(walked):
    """flat.observe + scan of the env's state give the env's observation (noise off), command and last action
    included."""
    env, obs = walked
    c, state = env.config, env.get_state().numpy().astype(np.float64)
    hs, sp = env.terrain.heights.astype(np.float64), float(env.terrain.spacing)
    cfg = flat.env_config()
    cmd = state[:, flat.CMD : flat.CMD + 3]
    last = obs[:, 36:48].numpy()  # the flat observation's last action
    mine = np.stack([np.concatenate([flat.observe(s[: flat.NQ], s[flat.NQ : flat.NQ + flat.NV], k, a, cfg),
                                     R.scan(s[: flat.NQ], hs, sp, c["height_scale"], c["scan_offset"])])
                     for s, k, a in zip(state, cmd, last, strict=True)])  # fmt: skip
    np.testing.assert_allclose(mine[:, :48], obs[:, :48].numpy(), rtol=0, atol=2e-5)
    # the scan: float32 positions on the refined risers, as in test_scan_from_a_state_is_the_envs_noise_free_scan
    np.testing.assert_allclose(mine[:, 48:], obs[:, 48:].numpy(), rtol=0, atol=2e-4)


def test_compare_runs_both_simulators_per_terrain_type(tmp_path):
    num_obs = envs.make("anymal_c_rough", num_envs=1, device="cpu").num_obs
    agent = {"actor_mean.0.weight": torch.zeros(12, num_obs), "actor_mean.0.bias": torch.zeros(12)}
    path = tmp_path / "checkpoint.pt"
    torch.save({"args": {"env_id": "anymal_c_rough", "activation": "elu"}, "agent": agent, "iteration": 1}, path)
    rec = R.compare(str(path), n=20, seconds=0.2, vx=0.5, seed=2)
    assert set(rec["ours"]) == set(rec["mujoco"]) and {"stairs_up", "stairs_down", "discrete"} <= set(rec["ours"])
    for side in ("ours", "mujoco"):
        assert sum(v["envs"] for v in rec[side].values()) == 20
        for v in rec[side].values():  # the default pose stands: it drops onto the ground and stays
            assert v["fell"] == 0.0 and 0.0 <= v["dist"] < 0.3
    assert "| stairs_up |" in R.table(rec) and rec["contacts_per_foot"] >= 1.0  # MuJoCo: one per touched prism
    ctl = R.control(str(path), n=2, seconds=0.2, vx=0.5, seed=2)
    assert ctl["plane"]["contacts_per_foot"] == 1.0 and ctl["hfield"]["contacts_per_foot"] >= 1.0
    assert ctl["plane"]["fell"] == ctl["hfield"]["fell"] == 0.0
    flat_agent = {"actor_mean.0.weight": torch.zeros(12, 48), "actor_mean.0.bias": torch.zeros(12)}
    torch.save({"args": {"env_id": "anymal_c", "activation": "elu"}, "agent": flat_agent}, path)
    with pytest.raises(SystemExit, match="a flat anymal_c policy"):
        R.compare(str(path), n=2, seconds=0.1, vx=0.5, seed=2)


def test_compare_reports_the_starting_levels_and_falls_in_both(tmp_path):
    """A constant full-range action folds the legs: the episodes fall in both simulators (the base sinks to the
    termination height; in a pit or on a step, not always within the time), and the levels reported are those the
    episodes started on (the curriculum moves the fallen envs down afterwards)."""
    num_obs = envs.make("anymal_c_rough", num_envs=1, device="cpu").num_obs
    agent = {"actor_mean.0.weight": torch.zeros(12, num_obs), "actor_mean.0.bias": torch.ones(12)}
    path = tmp_path / "checkpoint.pt"
    torch.save({"args": {"env_id": "anymal_c_rough", "activation": "elu"}, "agent": agent, "iteration": 1}, path)
    rec = R.compare(str(path), n=12, seconds=1.6, vx=0.5, seed=4)
    start = envs.make("anymal_c_rough", num_envs=12, device="cpu", seed=4).terrain_levels.tolist()
    assert rec["levels"] == sorted(set(start)) and max(start) > 1
    for side in ("ours", "mujoco"):
        fell = sum(v["fell"] * v["envs"] for v in rec[side].values())
        assert fell >= 10, rec[side]
