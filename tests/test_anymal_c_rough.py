"""envs/anymal_c_rough.py: the height scan against the height field on constructed states, the terrain curriculum
on constructed distances, the robot on a flat tile against anymal_c, determinism across num_envs with randomization
on, and the layout of observations and privileged observations."""

import functools
import math

import numpy as np
import pytest
import torch
import warp as wp

import envs
from benchmarks.common import ROOT
from envs.anymal_c import STATE_DIM
from envs.anymal_c_rough import NUM_OBS, SCAN_X, SCAN_Y, AnymalCRoughConfig, rough_funcs

FLAT_WEIGHTS = dict(
    orientation_weight=-5.0, torques_weight=-2.5e-5, feet_air_time_weight=2.0, resampling_time=4.0,
    ang_vel_yaw_range=(-1.5, 1.5), heading_command=0.0,
)  # fmt: skip


@pytest.fixture(autouse=True)
def _mujoco_log_in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@functools.cache
def _small_env():
    # 2 levels x 10 types of the curriculum terrain, levels drawn from both rows
    return envs.make("anymal_c_rough", num_envs=6, device="cpu", seed=3, num_rows=2, num_cols=10, max_init_level=1)


def _surface(heights: np.ndarray, spacing: float, x: float, y: float) -> float:
    """The height field's surface at (x, y) in NumPy, written apart from kernels/terrain.py: two triangles per cell
    split along the (i, j)-(i+1, j+1) diagonal; 0 outside the field."""
    u, v = x / spacing, y / spacing
    if not (0 <= u <= heights.shape[0] - 1 and 0 <= v <= heights.shape[1] - 1):
        return 0.0
    i, j = min(int(u), heights.shape[0] - 2), min(int(v), heights.shape[1] - 2)
    fu, fv = u - i, v - j
    h00, h10, h01, h11 = heights[i, j], heights[i + 1, j], heights[i, j + 1], heights[i + 1, j + 1]
    if fv >= fu:
        return h00 + fu * (h11 - h01) + fv * (h01 - h00)
    return h00 + fu * (h10 - h00) + fv * (h11 - h10)


def _expected_scan(env, state: np.ndarray) -> np.ndarray:
    x, y, z = state[:3]
    w, qz = state[3], state[6]
    yaw = 2.0 * math.atan2(qz, w)  # legged_gym's quat_apply_yaw: the rotation of (w, 0, 0, z), normalized
    c, s = math.cos(yaw), math.sin(yaw)
    out = []
    for px in SCAN_X:
        for py in SCAN_Y:
            wx, wy = x + c * px - s * py, y + s * px + c * py
            h = _surface(env.terrain.heights.astype(np.float64), env.terrain.spacing, wx, wy)
            out.append(np.clip(z - 0.5 - h, -1.0, 1.0) * 5.0)
    return np.array(out)


@functools.cache
def _scan_kernel():
    scan = rough_funcs()[1]

    @wp.kernel(module="unique", enable_backward=False)
    def scan_all(
        cfg: AnymalCRoughConfig, s: wp.array[wp.types.vector(STATE_DIM, float)], out: wp.array2d[float]
    ):  # fmt: skip
        i = wp.tid()
        for k in range(out.shape[1]):
            out[i, k] = scan(cfg, s[i], k)

    return scan_all


def test_scan_matches_the_height_field_on_constructed_states():
    env = _small_env()
    rng = np.random.default_rng(0)
    state = env.get_state().clone()
    for i in range(env.num_envs):
        yaw, tilt = rng.uniform(-np.pi, np.pi), rng.uniform(-0.3, 0.3)
        # a base over stairs, slopes and obstacles (tiles of both rows), tilted: the scan follows the yaw only
        state[i, 0] = float(rng.uniform(0.5, 15.5))
        state[i, 1] = float(rng.uniform(0.5, 79.5))
        state[i, 2] = float(rng.uniform(-0.2, 0.9))
        q = np.array([math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)])
        tq = np.array([math.cos(tilt / 2), math.sin(tilt / 2), 0.0, 0.0])  # roll after yaw: q * tq
        w1, x1, y1, z1 = q
        w2, x2, y2, z2 = tq
        state[i, 3:7] = torch.tensor(
            [w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2, w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
             w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2, w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2]
        )  # fmt: skip
    priv = np.full((env.num_envs, 187), np.inf, dtype=np.float32)  # a missed write fails
    out = wp.array(priv, dtype=float, device="cpu")
    states = wp.array(state.numpy(), dtype=wp.types.vector(STATE_DIM, float), device="cpu")
    wp.launch(_scan_kernel(), env.num_envs, inputs=[env._cfg, states], outputs=[out], device="cpu")
    priv = out.numpy()
    for i in range(env.num_envs):
        expected = _expected_scan(env, state[i].numpy().astype(np.float64))
        # float32 coordinates of ~80 m: 1e-5 m, times the scale 5
        np.testing.assert_allclose(priv[i], expected, atol=2e-4)
    assert np.ptp(priv) > 1.0  # the states see varied ground, not a constant


def test_observation_is_the_flat_observation_then_the_noisy_scan():
    env = envs.make("anymal_c_rough", num_envs=3, device="cpu", seed=1, num_rows=2, num_cols=10)
    quiet = envs.make("anymal_c_rough", num_envs=3, device="cpu", seed=1, num_rows=2, num_cols=10, noise_level=0.0)
    assert env.num_obs == NUM_OBS == 235 and env.num_privileged_obs == 200
    a = torch.zeros(3, 12)
    for _ in range(3):
        obs, *_ = env.step(a)
        clean, *_ = quiet.step(a)
    scan, priv = clean[:, 48:], quiet.info["privileged_obs"][:, 13:]
    torch.testing.assert_close(scan, priv, rtol=0, atol=1e-6)  # noise off: the observation is the privileged scan
    # noise on: the privileged scan stays the noise-free one (the curriculum kernel takes the same draws back out)
    torch.testing.assert_close(env.info["privileged_obs"], quiet.info["privileged_obs"], rtol=0, atol=2e-6)
    noise = (obs[:, 48:] - env.info["privileged_obs"][:, 13:]).abs()
    assert 0.2 < float(noise.max()) <= 0.5 + 1e-5  # uniform, half-width 0.1 m x 5
    # Gaussian observation noise on top: the privileged scan is looked up, still noise-free
    gauss = envs.make("anymal_c_rough", num_envs=3, device="cpu", seed=1, num_rows=2, num_cols=10, obs_noise_std=0.3)
    for _ in range(3):
        gauss.step(a)
    torch.testing.assert_close(gauss.info["privileged_obs"], quiet.info["privileged_obs"], rtol=0, atol=2e-6)


def _upside_down(state: torch.Tensor, i: int) -> None:
    # a tilt the task terminates on at the next step, whatever the terrain under the base
    state[i, 2] += 1.0
    state[i, 3:7] = torch.tensor([0.0, 1.0, 0.0, 0.0])


def test_curriculum_moves_levels_by_distance_walked():
    num_rows = 4
    env = envs.make("anymal_c_rough", num_envs=6, device="cpu", seed=2, num_rows=num_rows, num_cols=3, max_init_level=3)
    levels = torch.tensor([1, 1, 1, 0, 3, 2], dtype=torch.int32)
    env.terrain_levels.copy_(levels)
    state = env.get_state().clone()
    for i in range(6):
        _upside_down(state, i)
    env.set_state(state)
    # (distance from the origin [m], |command| [m/s]); a tile is 8 m, an episode 20 s: down below |cmd| * 10 m
    walked = torch.tensor([[4.5, 1.0], [3.0, 0.2], [3.0, 0.5], [0.0, 1.0], [5.0, 0.0], [4.0, 0.0]], dtype=torch.float32)
    wp.to_torch(env._terrain_arrays["progress"]).copy_(walked)
    _, _, terminated, _, _ = env.step(torch.zeros(6, 12))
    assert terminated.all()
    got = env.terrain_levels.clone()
    # up (> 4 m); stay (3 m >= 0.2 * 10 m); down (3 m < 0.5 * 10 m); stays at level 0; past the top: a random
    # level; exactly half a tile is not more than half: stays
    assert got[:4].tolist() == [2, 1, 0, 0] and got[5] == 2
    assert 0 <= int(got[4]) < num_rows
    # each env spawned at its new level's tile of its own column (global index % num_cols), +-1 m around it
    origins = torch.from_numpy(env.terrain.origins)
    for i in range(6):
        o = origins[int(got[i]), i % 3]
        torch.testing.assert_close(env.env_origins[i], o)
        assert float((env.get_state()[i, :2] - o[:2]).abs().max()) <= 1.0
        assert float(env.get_state()[i, 2] - o[2]) == pytest.approx(0.6, abs=1e-5)


def test_without_curriculum_levels_stay():
    env = envs.make("anymal_c_rough", num_envs=4, device="cpu", seed=2, num_rows=3, num_cols=2, curriculum=False)
    before = env.terrain_levels.clone()
    assert int(before.max()) < 3
    state = env.get_state().clone()
    for i in range(4):
        _upside_down(state, i)
    env.set_state(state)
    wp.to_torch(env._terrain_arrays["progress"]).copy_(torch.tensor([[9.0, 0.0]] * 4))
    env.step(torch.zeros(4, 12))
    assert torch.equal(env.terrain_levels, before)


def test_standing_on_a_flat_tile_matches_anymal_c():
    """Level 0 of the first column is a flat tile (slope 0): there the rough task is the flat task moved to the
    tile's origin (flat-task weights, no noise, no pushes), step for step."""
    kw = dict(max_push_vel_xy=0.0, noise_level=0.0)
    rough = envs.make(
        "anymal_c_rough", num_envs=2, device="cpu", seed=4, num_rows=1, num_cols=1, max_init_level=0, **kw,
        **FLAT_WEIGHTS,
    )  # fmt: skip
    flat = envs.make("anymal_c", num_envs=2, device="cpu", seed=4, **kw)
    assert rough.terrain.kind == ["slope_up"] and np.all(rough.terrain.heights == 0)
    state = rough.get_state().clone()
    shift = state[:, :2] - flat.get_state()[:, :2]
    assert float(shift.abs().min()) > 3.0  # the robots stand on the tile, 4 m from the flat env's origin
    moved = state.clone()
    moved[:, :2] -= shift
    flat.set_state(moved)
    gen = torch.Generator().manual_seed(0)
    for _ in range(25):
        a = 0.3 * (torch.rand(2, 12, generator=gen) * 2 - 1)
        o_r, r_r, te_r, tr_r, info_r = rough.step(a)
        o_f, r_f, te_f, tr_f, info_f = flat.step(a)
        assert not (te_r.any() or te_f.any())
        # float32 world coordinates of ~4 m against ~0 m, amplified a little by the dynamics; measured over the 25
        # steps: observations 2.5e-5, rewards 4.4e-7, reward terms 5.9e-7
        torch.testing.assert_close(o_r[:, :48], o_f, rtol=0, atol=2.5e-4)
        torch.testing.assert_close(r_r, r_f, rtol=0, atol=5e-6)
        torch.testing.assert_close(info_r["reward_terms"], info_f["reward_terms"], rtol=0, atol=5e-6)
    s_r, s_f = rough.get_state(), flat.get_state()
    torch.testing.assert_close(s_r[:, :2] - shift, s_f[:, :2], rtol=0, atol=3e-5)  # measured 2.7e-6
    torch.testing.assert_close(s_r[:, 2:37], s_f[:, 2:37], rtol=0, atol=5e-4)  # measured 4.4e-5
    # the scan of a flat tile: the base height above it less 0.5 m, times 5
    torch.testing.assert_close(o_r[:, 48:], ((s_r[:, 2:3] - 0.5) * 5).expand(-1, 187), rtol=0, atol=1e-4)


def _rollout(num_envs: int, steps: int, **kw):
    env = envs.make("anymal_c_rough", num_envs=num_envs, device="cpu", seed=7, num_rows=3, num_cols=4, **kw)
    gen = [torch.Generator().manual_seed(100 + i) for i in range(num_envs)]
    obs_log, priv_log, level_log = [], [], []
    for _ in range(steps):
        a = torch.stack([torch.rand(12, generator=g) * 2 - 1 for g in gen])
        obs, r, te, tr, info = env.step(a)
        obs_log.append(obs.clone())
        priv_log.append(info["privileged_obs"].clone())
        level_log.append(env.terrain_levels.clone())
    return torch.stack(obs_log), torch.stack(priv_log), torch.stack(level_log)


def test_determinism_across_num_envs_with_randomization_on():
    kw = dict(
        friction_scale=(0.5, 1.25),
        base_mass_scale=(0.74, 1.26),
        strength_scale=(0.8, 1.2),
        push_interval_s=0.2,
        resampling_time=0.3,
        max_episode_steps=12,
    )
    o2, p2, l2 = _rollout(2, 30, **kw)
    o5, p5, l5 = _rollout(5, 30, **kw)
    torch.testing.assert_close(o2, o5[:, :2], rtol=0, atol=0, equal_nan=True)
    torch.testing.assert_close(p2, p5[:, :2], rtol=0, atol=0, equal_nan=True)
    assert torch.equal(l2, l5[:, :2])


def test_heading_mode_sets_the_yaw_rate_command():
    """legged_gym's heading mode: yaw-rate command = clip(0.5 wrap(heading target - heading), -1, 1), every step."""
    env = envs.make("anymal_c_rough", num_envs=4, device="cpu", seed=6, num_rows=1, num_cols=1, max_init_level=0)
    env.step(torch.zeros(4, 12))
    targets = torch.tensor([0.3, 3.0, -3.0, -0.1])
    wp.to_torch(env._terrain_arrays["heading"]).copy_(targets)
    state = env.get_state().clone()
    yaws = torch.tensor([0.0, -3.0, 2.9, 0.5])  # errors 0.3, 6.0 -> -0.28, -5.9 -> 0.38, -0.6
    state[:, 3:7] = torch.stack([torch.cos(yaws / 2), 0 * yaws, 0 * yaws, torch.sin(yaws / 2)], 1)
    env.set_state(state)
    obs, *_ = env.step(torch.zeros(4, 12))
    s = env.get_state()
    w, x, y, z = s[:, 3], s[:, 4], s[:, 5], s[:, 6]
    heading = torch.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))  # of the base's forward axis
    err = torch.remainder(targets - heading + math.pi, 2 * math.pi) - math.pi
    expected = torch.clamp(0.5 * err, -1.0, 1.0)
    torch.testing.assert_close(s[:, 39], expected, rtol=0, atol=1e-5)
    torch.testing.assert_close(obs[:, 11], 0.25 * expected, rtol=0, atol=1e-5)
    assert float(expected.abs().min()) > 0.05 and float(expected.abs().max()) > 0.1  # not trivially zero
    off = envs.make("anymal_c_rough", num_envs=4, device="cpu", seed=6, num_rows=1, num_cols=1, heading_command=0.0)
    assert float(off.get_state()[:, 39].abs().max()) > 0.0  # the flat task's own yaw-rate draw


def test_rough_tracking_reads_a_checkpoint_and_refuses_another_env(tmp_path):
    """benchmarks/rough_tracking.py on a one-layer stand-in policy (zero actions: the default pose) and on a
    checkpoint of another env."""
    from benchmarks.rough_tracking import tracking

    num_obs = envs.make("anymal_c_rough", num_envs=1, device="cpu").num_obs
    agent = {"actor_mean.0.weight": torch.zeros(12, num_obs), "actor_mean.0.bias": torch.zeros(12)}
    path = tmp_path / "checkpoint.pt"
    torch.save({"args": {"env_id": "anymal_c_rough", "activation": "elu"}, "agent": agent, "iteration": 7}, path)
    out = tracking(str(path), num_envs=2, steps=3, seed=1)
    assert out["iteration"] == 7 and isinstance(out["fell"], int)
    assert 0.0 < out["tracking_lin_vel"] <= 0.02 and 0.0 < out["tracking_ang_vel"] <= 0.01
    assert 0.0 <= out["reward"] <= 0.03 + 1e-6  # only positive; standing earns at most the tracking maxima
    torch.save({"args": {"env_id": "ant"}, "agent": agent}, path)
    with pytest.raises(SystemExit, match="not anymal_c_rough"):
        tracking(str(path), num_envs=2, steps=3, seed=1)
    with pytest.raises(SystemExit, match="--envs and --steps must be >= 1, got 0 and 3"):
        tracking(str(path), num_envs=0, steps=3, seed=1)
    with pytest.raises(SystemExit, match="cannot read the checkpoint"):
        tracking(str(tmp_path / "missing.pt"), num_envs=2, steps=3, seed=1)


def test_rough_tracking_runs_a_flat_policy_blind_on_every_level(tmp_path):
    """A flat anymal_c checkpoint reads the rough observation's first 48 entries (the flat task's); --all-levels
    draws levels from every row (curriculum off) and tabulates per level and terrain type."""
    from benchmarks.rough_tracking import tracking

    # a zero policy of the flat task's width: its Linear(48, 12) fails on any wider input
    agent = {"actor_mean.0.weight": torch.zeros(12, 48), "actor_mean.0.bias": torch.zeros(12)}
    path = tmp_path / "checkpoint.pt"
    torch.save({"args": {"env_id": "anymal_c", "activation": "elu"}, "agent": agent, "iteration": 3}, path)
    out = tracking(str(path), num_envs=60, steps=2, seed=2, all_levels=True)
    tiles = out["tiles"]
    assert sum(n for n, *_ in tiles.values()) == 60
    assert len({level for level, _ in tiles}) > 6  # levels from all 10 rows, not the initial 0-5
    assert max(level for level, _ in tiles) > 5
    kinds = {kind for _, kind in tiles}
    assert {"stairs_up", "stairs_down", "discrete"} <= kinds
    for n, lin, ang, falls in tiles.values():
        assert n > 0 and 0.0 < lin <= 0.02 and 0.0 < ang <= 0.01 and falls >= 0


def test_rough_tracking_reports_the_base_height_and_tilt_before_each_fall(tmp_path):
    """A constant full-range action folds the legs: every episode ends with the base sinking through the 0.25 m
    termination height, so one step before, each recorded end is just above it and nearly level."""
    from benchmarks.rough_tracking import tracking

    num_obs = envs.make("anymal_c_rough", num_envs=1, device="cpu").num_obs
    agent = {"actor_mean.0.weight": torch.zeros(12, num_obs), "actor_mean.0.bias": torch.ones(12)}
    path = tmp_path / "checkpoint.pt"
    torch.save({"args": {"env_id": "anymal_c_rough", "activation": "elu"}, "agent": agent, "iteration": 1}, path)
    out = tracking(str(path), num_envs=4, steps=60, seed=1)
    assert out["fell"] >= 4 and len(out["ends"]) == out["fell"]
    for height, gravity_z in out["ends"]:
        assert 0.24 <= height < 0.35 and gravity_z < -0.8


def test_rough_tracking_runs_the_task_the_policy_trained_on(tmp_path):
    """A run's --env-kwargs build the evaluation env (its reward weights set the maxima the shares are of);
    own_task=False (--default-task) builds the env's defaults."""
    from benchmarks.rough_tracking import tracking

    num_obs = envs.make("anymal_c_rough", num_envs=1, device="cpu").num_obs
    agent = {"actor_mean.0.weight": torch.zeros(12, num_obs), "actor_mean.0.bias": torch.zeros(12)}
    path = tmp_path / "checkpoint.pt"
    args = {"env_id": "anymal_c_rough", "activation": "elu", "env_kwargs": ["tracking_lin_vel_weight=3.0"]}
    torch.save({"args": args, "agent": agent, "iteration": 2}, path)
    own = tracking(str(path), num_envs=2, steps=2, seed=1)
    default = tracking(str(path), num_envs=2, steps=2, seed=1, own_task=False)
    assert own["max"]["tracking_lin_vel"] == pytest.approx(0.06) and default["max"]["tracking_lin_vel"] == 0.02
    assert own["tracking_lin_vel"] == pytest.approx(3.0 * default["tracking_lin_vel"], rel=1e-5)
    # extra pairs (--env-kwargs) come after the run's own: a later pair wins
    again = tracking(str(path), num_envs=2, steps=2, seed=1, extra=("tracking_lin_vel_weight=2.0",))
    assert again["max"]["tracking_lin_vel"] == pytest.approx(0.04)


def test_rough_tracking_records_an_episode_of_the_chosen_env(tmp_path):
    """--video: the followed env's terrain kind (its column) and level, a decodable video and its trace."""
    from benchmarks.rough_tracking import record

    num_obs = envs.make("anymal_c_rough", num_envs=1, device="cpu").num_obs
    agent = {"actor_mean.0.weight": torch.zeros(12, num_obs), "actor_mean.0.bias": torch.zeros(12)}
    path = tmp_path / "checkpoint.pt"
    torch.save({"args": {"env_id": "anymal_c_rough", "activation": "elu"}, "agent": agent, "iteration": 1}, path)
    out = record(str(path), str(tmp_path / "v.gif"), env_index=11, seed=2, max_steps=4)
    levels = envs.make("anymal_c_rough", num_envs=12, device="cpu", seed=2).terrain_levels
    assert out["kind"] == "stairs_down" and out["level"] == int(levels[11]) and out["length"] == 4
    assert (tmp_path / "v.gif").stat().st_size > 0 and len((tmp_path / "v.csv").read_text().splitlines()) == 5
    with pytest.raises(SystemExit, match="--video-env must be >= 0"):
        record(str(path), str(tmp_path / "v.gif"), env_index=-1, seed=2)


def test_curriculum_moves_counts_where_each_env_goes_after_its_first_episode(tmp_path):
    """A constant full-range action folds the legs: every env's first episode ends in a fall within ~60 steps, so no
    env moves up, every env that started above level 0 moves down (it walked less than half its command), and the
    shares are per terrain kind over all envs."""
    from benchmarks.rough_tracking import curriculum_moves

    num_obs = envs.make("anymal_c_rough", num_envs=1, device="cpu").num_obs
    agent = {"actor_mean.0.weight": torch.zeros(12, num_obs), "actor_mean.0.bias": torch.ones(12)}
    path = tmp_path / "checkpoint.pt"
    torch.save({"args": {"env_id": "anymal_c_rough", "activation": "elu"}, "agent": agent, "iteration": 1}, path)
    out = curriculum_moves(str(path), num_envs=40, seed=3)
    assert out["running"] == 0
    kinds = {k: v for k, v in out.items() if k != "running"}
    assert sum(v["envs"] for v in kinds.values()) == 40 and {"stairs_up", "discrete"} <= set(kinds)
    start = envs.make("anymal_c_rough", num_envs=40, device="cpu", seed=3).terrain_levels.cpu().numpy()
    for v in kinds.values():
        assert v["up"] == 0.0 and v["fell"] == 1.0
    down = sum(v["down"] * v["envs"] for v in kinds.values())
    assert down == pytest.approx(float((start > 0).sum()))
    for v in kinds.values():  # per starting level: level 0 cannot go down, every higher one does
        assert sum(lv["envs"] for lv in v["levels"].values()) == v["envs"]
        for level, lv in v["levels"].items():
            assert lv["down"] == (0.0 if level == 0 else 1.0) and lv["fell"] == 1.0
    with pytest.raises(SystemExit, match="--envs must be >= 1"):
        curriculum_moves(str(path), num_envs=0, seed=3)


def test_rough_tracking_measures_how_much_the_scan_noise_moves_the_policy(tmp_path):
    """A policy that reads only the scan: its action moves with the scan's noise (scan_jitter > 0) and its first
    layer's spread comes from the scan alone; trained without the noise (--env-kwargs height_noise=0) it does not
    move; one that ignores the scan is not moved either."""
    from benchmarks.rough_tracking import tracking

    num_obs = envs.make("anymal_c_rough", num_envs=1, device="cpu").num_obs
    weight = torch.zeros(12, num_obs)
    weight[:, 48:] = 0.01  # the 187 scan entries
    agent = {"actor_mean.0.weight": weight, "actor_mean.0.bias": torch.zeros(12)}
    path = tmp_path / "checkpoint.pt"
    args = {"env_id": "anymal_c_rough", "activation": "elu"}
    torch.save({"args": args, "agent": agent, "iteration": 1}, path)
    noisy = tracking(str(path), num_envs=4, steps=3, seed=1)
    # uniform noise of half-width 0.1 m x 5 per point, 187 points x 0.01: ~0.04 on average per action
    assert 0.01 < noisy["scan_jitter"] < 0.2 and noisy["action_abs"] > 0.0
    # its first layer: all of the pre-activations' spread comes from the scan's 187 inputs, none from the flat 48
    assert noisy["first_layer_std"]["flat"] == 0.0 and noisy["first_layer_std"]["scan"] > 0.0
    torch.save({"args": {**args, "env_kwargs": ["height_noise=0.0"]}, "agent": agent, "iteration": 1}, path)
    assert tracking(str(path), num_envs=4, steps=3, seed=1)["scan_jitter"] < 1e-5
    weight[:, 48:] = 0.0
    torch.save({"args": args, "agent": agent, "iteration": 1}, path)
    assert tracking(str(path), num_envs=4, steps=3, seed=1)["scan_jitter"] == 0.0


def test_horizontal_scale_refines_the_terrain_and_narrows_the_stair_risers():
    """horizontal_scale=0.05 (legged_gym's samples, no riser refinement): the same 8 m tiles with four times the
    samples; a stair riser (one sample wide) is half as wide, so the same step height rises over 0.05 m; the scan and
    the contacts read the finer field."""
    raw = dict(num_envs=12, device="cpu", seed=1, num_rows=3, num_cols=20, slope_threshold=None)
    coarse = envs.make("anymal_c_rough", **raw)
    fine = envs.make("anymal_c_rough", **raw, horizontal_scale=0.05)
    assert fine.terrain.spacing == 0.05 and fine.terrain.tile_size == coarse.terrain.tile_size == 8.0
    assert fine.terrain.heights.shape == (3 * 160 + 2, 20 * 160 + 2)
    # the same tile centres, but for the one-sample border in front of the field (0.05 m here, 0.1 m there)
    np.testing.assert_allclose(fine.terrain.origins[..., :2] + 0.05, coarse.terrain.origins[..., :2], atol=1e-5)
    # the stairs-up tile of level 2 (column 4): the largest jump between neighbouring samples is one step's height
    n = 160
    tile = fine.terrain.heights[1 + 2 * n : 1 + 3 * n, 1 + 4 * n : 1 + 5 * n]
    step = 0.05 + 0.18 * 2 / 3
    assert np.abs(np.diff(tile, axis=0)).max() == pytest.approx(step, abs=0.005)
    # the scan reads the finer field: the noise-free scan is that field's surface under the points
    from benchmarks.rough_sim2sim import scan
    from envs.anymal_c import NUM_PRIV

    obs = fine.reset(seed=1)
    for _ in range(5):
        obs, *_ = fine.step(torch.zeros(12, 12))
    c, state = fine.config, fine.get_state().numpy().astype(np.float64)
    heights = fine.terrain.heights.astype(np.float64)
    expected = np.stack([scan(s[:19], heights, 0.05, c["height_scale"], c["scan_offset"]) for s in state])
    # float32 positions (~4e-6 m at 40 m) on risers rising up to 0.2 m over 0.05 m: up to ~1e-4 apart there
    np.testing.assert_allclose(fine.info["privileged_obs"][:, NUM_PRIV:].numpy(), expected, rtol=0, atol=2e-4)
    assert torch.isfinite(obs).all() and np.ptp(expected) > 0.5
    with pytest.raises(ValueError, match="horizontal_scale must be in"):
        envs.make("anymal_c_rough", num_envs=1, device="cpu", horizontal_scale=0.01)


def test_rough_tracking_command_line_takes_a_checkpoint_after_the_env_kwargs(tmp_path):
    """`--env-kwargs` takes every word after it; a checkpoint given after the pairs is still evaluated."""
    import subprocess
    import sys

    num_obs = envs.make("anymal_c_rough", num_envs=1, device="cpu").num_obs
    agent = {"actor_mean.0.weight": torch.zeros(12, num_obs), "actor_mean.0.bias": torch.zeros(12)}
    path = tmp_path / "checkpoint.pt"
    torch.save({"args": {"env_id": "anymal_c_rough", "activation": "elu"}, "agent": agent, "iteration": 4}, path)
    cmd = [sys.executable, "benchmarks/rough_tracking.py", "--envs", "2", "--steps", "2", "--env-kwargs"]
    out = subprocess.run(cmd + ["resampling_time=10.0", str(path)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and f"{path}: iteration 4:" in out.stdout, out.stderr[-2000:]
    out = subprocess.run(cmd + ["resampling_time=10.0"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2 and "give at least one checkpoint" in out.stderr


def test_default_terrain_has_legged_gyms_vertical_risers():
    """slope_threshold (0.75, legged_gym's slope_treshold) and riser_refine (4) by default: the field is legged_gym's
    samples refined 4 times (0.025 m) with steps over 0.075 m per 0.1 m as risers one fine cell wide; the spawn
    origins are the same; slope_threshold=None keeps the raw samples; bad values are refused."""
    kw = dict(num_envs=2, device="cpu", seed=1, num_rows=2, num_cols=10)
    default = envs.make("anymal_c_rough", **kw)
    raw = envs.make("anymal_c_rough", **kw, slope_threshold=None)
    assert raw.terrain.spacing == 0.1 and default.terrain.spacing == 0.025
    np.testing.assert_array_equal(default.terrain.heights[::4, ::4], raw.terrain.heights)
    np.testing.assert_array_equal(default.terrain.origins, raw.terrain.origins)
    from envs.terrain import vertical_risers

    np.testing.assert_array_equal(default.terrain.heights, vertical_risers(raw.terrain.heights, 0.1, 4, 0.75))
    coarse = envs.make("anymal_c_rough", **kw, riser_refine=2)
    assert coarse.terrain.spacing == 0.05
    for bad, match in (
        (dict(slope_threshold=0.0), "slope_threshold"),
        (dict(slope_threshold="0.75"), "slope_threshold"),
        (dict(riser_refine=0), "riser_refine"),
        (dict(riser_refine=2.0), "riser_refine"),
        (dict(riser_refine=0, slope_threshold=None), "riser_refine"),
        (dict(slope_threshold=float("nan")), "slope_threshold"),
        (dict(horizontal_scale=0.04, riser_refine=4), "horizontal_scale / riser_refine"),
    ):
        with pytest.raises(ValueError, match=match):
            envs.make("anymal_c_rough", num_envs=1, device="cpu", num_rows=1, num_cols=1, **bad)
