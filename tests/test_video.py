"""envs.video: videos decode with the recorded frame count and size, the robot moves, traces match the env.

The ant tests render with MuJoCo's renderer through EGL or OSMesa and fail when neither works (`make video-deps`
installs them); they are not optional.
"""

import csv

import imageio.v2 as imageio
import numpy as np
import pytest
import torch

import envs
from envs import video
from envs.video import GL_BACKENDS, RenderError, record_episode, trace_columns


def _policy(env):
    # Deterministic and state dependent, so a replay from the same seed takes the same actions.
    return lambda obs: torch.tanh(3.0 * obs[:, : env.num_actions] + 0.5)


def _read(path):
    # a comprehension, not list(reader): the ffmpeg reader's len() is inf, which list() tries to preallocate
    with imageio.get_reader(path) as reader:
        return np.stack([frame for frame in reader])


def _assert_moves(frames):
    # The first and the last frame differ in a visible share of pixels, not only in compression noise.
    changed = np.abs(frames[0].astype(int) - frames[-1].astype(int)).max(axis=2) > 40
    assert changed.mean() > 0.005, changed.mean()


@pytest.mark.parametrize("env_id, ext", [("cartpole", ".mp4"), ("pendulum", ".gif")])
def test_classic_video_decodes(tmp_path, env_id, ext):
    env = envs.make(env_id, num_envs=3, device="cpu", seed=1)
    path = str(tmp_path / f"{env_id}{ext}")
    episode = record_episode(env, None, path, env_index=2, max_steps=300, width=160, height=120, seed=4)
    frames = _read(path)
    assert frames.shape == (episode.length, 120, 160, 3)
    assert episode.frames.shape == frames.shape
    if env_id == "cartpole":  # random forces drop the pole long before the 300-step cap
        assert episode.length < 300 and episode.trace[-1]["terminated"] == 1
    else:
        assert episode.length == 200 and episode.trace[-1]["truncated"] == 1
    _assert_moves(frames)


def test_ant_video_decodes(tmp_path):
    env = envs.make("ant", num_envs=2, device="cpu", seed=0)
    path = str(tmp_path / "ant.mp4")
    episode = record_episode(env, None, path, env_index=1, max_steps=24, width=160, height=128)
    frames = _read(path)
    # random actions may flip the ant (MuJoCo's friction lets it, as MuJoCo's ant does), ending the episode early
    assert frames.shape == (episode.length, 128, 160, 3) == episode.frames.shape and 8 <= episode.length <= 24
    assert episode.length == 24 or episode.trace[-1]["terminated"] == 1
    assert episode.fps == pytest.approx(1.0 / env.dt)
    _assert_moves(frames)
    # the renderer drew something besides the sky and the floor: the ant's orange sits in the frame's middle
    mid = frames[:, 32:96, 40:120].astype(int)
    assert ((mid[..., 0] - mid[..., 2]) > 60).any(axis=(1, 2)).all()


@pytest.mark.parametrize("env_id", ["cartpole", "ant", "anymal_c"])
def test_trace_rows_match_env(tmp_path, env_id):
    env = envs.make(env_id, num_envs=2, device="cpu", seed=0)
    trace_path = str(tmp_path / "trace.csv")
    steps = 15
    episode = record_episode(env, _policy(env), None, env_index=1, max_steps=steps, trace_path=trace_path, seed=7)
    assert episode.frames is None
    with open(trace_path) as f:
        reader = csv.DictReader(f)
        header, rows = reader.fieldnames, list(reader)
    assert header == trace_columns(env)
    assert [int(r["step"]) for r in rows] == list(range(len(rows))) == list(range(episode.length))
    for name in ("reward", "terminated", "truncated", "obs_0", "action_0", "applied_0"):
        assert name in header
    assert all(f"reward_{t}" in header for t in env.reward_term_names)
    state_cols = [c for c in header if c.startswith(("qpos_", "qvel_", "state_", "task_"))]  # anymal_c: task_
    assert len(state_cols) == env.state_dim
    if env_id == "ant":
        assert state_cols[0] == "qpos_0" and "contacts" in header

    # replay from the same seed: each row's state is the env's state before that step, reward its reward
    replay = envs.make(env_id, num_envs=2, device="cpu", seed=0)
    obs = replay.reset(seed=7)
    policy = _policy(replay)
    for row in rows:
        state = np.array([float(row[c]) for c in state_cols])
        np.testing.assert_array_equal(state, replay.get_state()[1].numpy())
        np.testing.assert_array_equal([float(row[f"obs_{i}"]) for i in range(replay.num_obs)], obs[1].numpy())
        obs, reward, terminated, truncated, info = replay.step(policy(obs))
        assert float(row["reward"]) == float(reward[1])
        terms = [float(row[f"reward_{t}"]) for t in replay.reward_term_names]
        assert sum(terms) == pytest.approx(float(row["reward"]), rel=1e-5, abs=1e-6)
        assert (int(row["terminated"]), int(row["truncated"])) == (int(terminated[1]), int(truncated[1]))
    assert len(rows) == steps or int(rows[-1]["terminated"]) + int(rows[-1]["truncated"]) == 1


def test_rough_terrain_scene_draws_the_height_field_around_the_tile_and_the_robot_as_boxes(tmp_path):
    """anymal_c_rough: the scene's ground is the env's height field (MuJoCo's ray down meets it at our heights) cut
    around the followed env's tile, the plane is gone, and the robot (only feet collide) is drawn as inertia boxes:
    orange in the frame's middle. Ant keeps its own geoms (no boxes)."""
    env = envs.make("anymal_c_rough", num_envs=5, device="cpu", seed=2)
    env.reset(seed=2)
    scene = video.MujocoScene(env, render=False, env_index=4)
    mujoco, model = scene.mujoco, scene.model
    types = list(model.geom_type)
    assert mujoco.mjtGeom.mjGEOM_PLANE not in types and types.count(mujoco.mjtGeom.mjGEOM_HFIELD) == 1
    assert scene.option.flags[mujoco.mjtVisFlag.mjVIS_INERTIA] == 1
    scene.pose(env.get_state()[4].numpy())
    heights, spacing = env.terrain.heights, env.terrain.spacing
    origin = env.env_origins[4].numpy()
    rng = np.random.default_rng(0)
    for dx, dy in rng.uniform(-6.0, 6.0, size=(20, 2)):  # sample points: MuJoCo's surface there is ours
        i, j = int(round(origin[0] / spacing + dx / spacing)), int(round(origin[1] / spacing + dy / spacing))
        i, j = min(max(i, 0), heights.shape[0] - 1), min(max(j, 0), heights.shape[1] - 1)  # a level-0 tile: the edge
        start = np.array([i * spacing, j * spacing, 5.0])
        geomid = np.zeros(1, np.int32)
        dist = mujoco.mj_ray(model, scene.data, start, np.array([0.0, 0.0, -1.0]), None, 1, -1, geomid)
        assert 5.0 - dist == pytest.approx(float(heights[i, j]), abs=1e-4)
    scene.close()
    ant = video.MujocoScene(envs.make("ant", num_envs=1, device="cpu"), render=False)
    assert ant.option.flags[mujoco.mjtVisFlag.mjVIS_INERTIA] == 0
    episode = record_episode(env, None, str(tmp_path / "rough.mp4"), env_index=4, max_steps=6, width=160, height=128)
    mid = _read(str(tmp_path / "rough.mp4"))[:, 32:96, 40:120].astype(int)
    assert episode.length == 6 and ((mid[..., 0] - mid[..., 2]) > 60).any(axis=(1, 2)).all()


def test_ant_trace_counts_contacts():
    # Standing still the ant settles on its feet: MuJoCo's collision finds them at the floor.
    env = envs.make("ant", num_envs=1, device="cpu", seed=0)
    episode = record_episode(env, lambda obs: torch.zeros(1, 8), None, max_steps=30)
    assert episode.trace[0]["contacts"] == 0  # the episode starts in the air (torso at 0.75 m)
    assert episode.trace[-1]["contacts"] >= 3


def test_bogus_gl_backend_names_make_target(tmp_path, monkeypatch):
    monkeypatch.setenv("MUJOCO_GL", "bogus")
    monkeypatch.setattr(video, "_gl_backend", None)
    env = envs.make("ant", num_envs=1, device="cpu", seed=0)
    with pytest.raises(RenderError, match=r"MUJOCO_GL='bogus'.*make video-deps"):
        record_episode(env, None, str(tmp_path / "ant.mp4"), max_steps=2)


def test_no_gl_backend_names_make_target(monkeypatch):
    monkeypatch.setenv("MUJOCO_GL", "")
    monkeypatch.setattr(video, "_gl_backend", None)
    monkeypatch.setattr(video, "_probe_gl", lambda backend: f"{backend} library not found")
    with pytest.raises(RenderError, match=r"egl: egl library not found; osmesa: .*make video-deps"):
        video.select_gl_backend()


def test_gl_backend_chosen_when_unset(monkeypatch):
    monkeypatch.setenv("MUJOCO_GL", "")  # restored after the test, whatever the selection writes
    monkeypatch.setattr(video, "_gl_backend", None)
    backend = video.select_gl_backend()
    assert backend in GL_BACKENDS
    assert video._probe_gl(backend) is None


def test_bad_arguments(tmp_path):
    env = envs.make("cartpole", num_envs=1, device="cpu")
    with pytest.raises(ValueError, match="env_index"):
        record_episode(env, None, None, env_index=1)
    with pytest.raises(ValueError, match=r"\.mp4 or \.gif"):
        record_episode(env, None, str(tmp_path / "x.avi"))


def test_log_video_to_tensorboard(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from torch.utils.tensorboard import SummaryWriter

    env = envs.make("pendulum", num_envs=1, device="cpu", seed=0)
    episode = record_episode(env, None, str(tmp_path / "p.gif"), max_steps=12, width=64, height=48)
    writer = SummaryWriter(str(tmp_path / "run"))
    video.log_video(writer, "videos/eval", episode.frames, global_step=7, fps=episode.fps)
    writer.close()
    events = EventAccumulator(str(tmp_path / "run"))
    events.Reload()
    (image,) = events.Images("videos/eval")
    assert (image.step, image.width, image.height) == (7, 64, 48)
    frames = imageio.mimread(image.encoded_image_string, format="GIF")
    assert len(frames) == 12
    np.testing.assert_array_equal(np.asarray(frames[-1])[..., :3], episode.frames[-1])
    with open(tmp_path / "p.gif", "rb") as f:
        assert f.read() == image.encoded_image_string


def test_add_terrain_keeps_a_fine_fields_crop_under_a_thousand_samples_a_side():
    """A 0.025 m field over 60 m (the refined curriculum terrain's spacing): the crop within 25 m of the centre is
    drawn from every second sample (1,001 a side); MuJoCo's ray down meets that hfield at the field's heights at those
    samples."""
    import mujoco

    sp = 0.025
    n = 2400
    x = np.arange(n) * sp
    heights = (np.floor(x / 0.3)[:, None] * 0.02 + 0.01 * np.sin(x)[None, :]).astype(np.float32)  # steps along x
    spec = mujoco.MjSpec.from_string('<mujoco><worldbody><geom type="plane" size="9 9 .1"/></worldbody></mujoco>')
    centre = (30.0, 30.0)
    video.add_terrain(mujoco, spec, heights, sp, centre)
    m = spec.compile()
    assert (m.hfield_nrow[0], m.hfield_ncol[0]) == (1001, 1001)
    d = mujoco.MjData(m)
    mujoco.mj_forward(m, d)
    lo = int((30.0 - 25.0) / sp)
    for i, j in ((lo, lo), (lo + 2 * 300, lo + 2 * 501), (lo + 2 * 1000, lo + 2 * 1000), (lo + 2 * 777, lo + 2 * 5)):
        geomid = np.zeros(1, np.int32)
        dist = mujoco.mj_ray(m, d, np.array([i * sp, j * sp, 5.0]), np.array([0.0, 0.0, -1.0]), None, 1, -1, geomid)
        assert 5.0 - dist == pytest.approx(float(heights[i, j]), abs=1e-4)
