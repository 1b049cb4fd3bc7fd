"""Gymnasium's InvertedPendulum-v5, InvertedDoublePendulum-v5, Reacher-v5 and Pusher-v5 (MJCF tasks with their own
task functions) against Gymnasium and MuJoCo: the models, the dynamics into their joint limits or through contact,
the observation, reward and termination on the same states."""

import os

import gymnasium as gym
import mujoco
import numpy as np
import pytest
import torch
import warp as wp

import envs
from envs.core import ASSETS
from envs.inverted_double_pendulum import InvertedDoublePendulumConfig, inverted_double_pendulum_fell, vec6
from envs.inverted_pendulum import InvertedPendulumConfig, inverted_pendulum_fell

DEVICE = "cpu"
# fields of our asset that must equal Gymnasium's model
MODEL_FIELDS = ("body_mass", "body_inertia", "body_ipos", "body_iquat", "body_pos", "dof_damping", "dof_armature",
                "jnt_range", "jnt_limited", "jnt_solref", "jnt_solimp", "jnt_margin", "qpos0", "actuator_gear",
                "actuator_ctrlrange", "geom_contype", "geom_conaffinity")  # fmt: skip


@pytest.fixture(autouse=True)
def _mujoco_log_in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _gym_euler(gym_id: str, **kwargs):
    # Gymnasium's env with MuJoCo's Euler integrator, the one our kernels implement (Gymnasium's models use RK4)
    g = gym.make(gym_id, **kwargs).unwrapped
    g.model.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    g.reset(seed=0)
    return g


def _mujoco_euler_rollout(gym_id: str, start: np.ndarray, acts: torch.Tensor, ctrl_scale: float, joint: int):
    """Step Gymnasium's model with MuJoCo's Euler from each start state (concat(qpos, qvel)) through the actions
    (ctrl = ctrl_scale * a, frame_skip mj_steps each); return the end states and the largest |qpos[joint]| passed."""
    g = _gym_euler(gym_id)
    m, d = g.model, g.data
    ends, reached = [], 0.0
    for i in range(len(start)):
        mujoco.mj_resetData(m, d)
        d.qpos[:], d.qvel[:] = start[i, : m.nq], start[i, m.nq :]
        for a in acts:
            d.ctrl[:] = ctrl_scale * a[i].numpy()
            for _ in range(g.frame_skip):
                mujoco.mj_step(m, d)
                reached = max(reached, abs(d.qpos[joint]))
        ends.append(np.concatenate([d.qpos, d.qvel]))
    return np.array(ends), reached


@pytest.mark.parametrize(
    ("asset", "theirs"),
    [("inverted_pendulum.xml", None), ("inverted_double_pendulum.xml", None), ("reacher.xml", None),
     ("pusher.xml", "pusher_v5.xml")],
)  # fmt: skip
def test_asset_is_gymnasiums_model(asset, theirs):
    ours = mujoco.MjModel.from_xml_path(os.path.join(ASSETS, asset))
    path = os.path.join(os.path.dirname(gym.__file__), "envs", "mujoco", "assets", theirs or asset)
    theirs = mujoco.MjModel.from_xml_path(path)
    for field in MODEL_FIELDS:
        np.testing.assert_array_equal(getattr(ours, field), getattr(theirs, field), err_msg=field)
    assert ours.opt.timestep == theirs.opt.timestep and np.array_equal(ours.opt.gravity, theirs.opt.gravity)


# --- InvertedPendulum-v5 ---------------------------------------------------------------------------------------


def _pendulum_states() -> np.ndarray:
    # near upright (reset-like), two carts running into the slider's limits (+-1 m) and a falling pole
    return np.array(
        [
            [0.005, -0.008, 0.003, 0.006],
            [0.97, 0.05, 2.5, -0.3],
            [-0.95, -0.1, -3.0, 0.5],
            [0.2, 0.15, 0.4, 1.5],
        ]
    )


def test_inverted_pendulum_steps_as_mujoco_euler_into_the_slider_limit():
    """Ten env steps (2 x 20 ms each) under random actions equal MuJoCo Euler's on Gymnasium's model, with two carts
    driven into the slider's limit: the soft joint-limit constraint reaches the env's step (checked: MuJoCo's
    slider passes 0.99 m). Measured 1.4e-6 in the state (float32); without the limit MuJoCo's carts end at +-3.7 m."""
    start = _pendulum_states()
    n = len(start)
    env = envs.make("inverted_pendulum", num_envs=n, device=DEVICE, max_pole_angle=10.0)  # no resets in between
    env.reset()
    env.set_state(torch.as_tensor(start, dtype=torch.float32))
    start = env.get_state().double().numpy()  # the float32 states both simulators start from
    gen = torch.Generator().manual_seed(3)
    acts = torch.rand(10, n, 1, generator=gen) * 2 - 1
    acts[:, 1], acts[:, 2] = 1.0, -1.0  # full force into each limit
    for a in acts:
        env.step(a)
    ends, reached = _mujoco_euler_rollout("InvertedPendulum-v5", start, acts, 3.0, joint=0)
    np.testing.assert_allclose(env.get_state().numpy(), ends, atol=2e-5)
    assert reached > 0.99


def test_inverted_pendulum_observation_reward_and_termination_as_gymnasium():
    """One step from the same states with the same (mapped) actions: the observation, reward and termination equal
    Gymnasium's (Euler on both sides); the falling pole's step terminates with reward 0 in both."""
    start = _pendulum_states()
    n = len(start)
    env = envs.make("inverted_pendulum", num_envs=n, device=DEVICE)
    env.reset()
    env.set_state(torch.as_tensor(start, dtype=torch.float32))
    start = env.get_state().double().numpy()
    acts = torch.tensor([[0.3], [1.0], [-1.0], [-0.7]])
    obs, reward, terminated, truncated, info = env.step(acts)
    g = _gym_euler("InvertedPendulum-v5")
    ended = 0
    for i in range(n):
        g.set_state(start[i, :2], start[i, 2:])
        gym_obs, gym_reward, gym_terminated, _, gym_info = g.step(3.0 * acts[i].numpy())
        observed = info["final_obs"][i] if terminated[i] else obs[i]
        np.testing.assert_allclose(observed.numpy(), gym_obs, atol=1e-4, rtol=1e-4)
        assert reward[i].item() == gym_reward == gym_info["reward_survive"]
        assert bool(terminated[i]) == gym_terminated and not truncated[i]
        ended += gym_terminated
    assert 1 <= ended < n  # both outcomes checked (the falling pole passes 0.2 rad)


def test_inverted_pendulum_time_limit_termination_and_bad_input():
    env = envs.make("inverted_pendulum", num_envs=2, device=DEVICE, max_episode_steps=3)
    env.reset()
    for _ in range(3):
        _, reward, terminated, truncated, _ = env.step(torch.zeros(2, 1))
    assert truncated.all() and not terminated.any() and (reward == 1.0).all()
    state = env.get_state().clone()
    state[1, 1] = 0.25  # past max_pole_angle (0.2 rad): still past it after the step
    env.set_state(state)
    _, reward, terminated, _, info = env.step(torch.zeros(2, 1))
    assert terminated.tolist() == [False, True] and reward.tolist() == [1.0, 0.0]
    assert info["final_obs"][1, 1].item() > 0.2 and abs(env.get_state()[1, 1].item()) <= 0.01  # reset
    with pytest.raises(ValueError, match="max_pole_angle must be a finite number"):
        envs.make("inverted_pendulum", num_envs=1, device=DEVICE, max_pole_angle=float("nan"))
    with pytest.raises(ValueError, match="frame_skip must be an integer >= 1"):
        envs.make("inverted_pendulum", num_envs=1, device=DEVICE, frame_skip=0)
    default = envs.make("inverted_pendulum", num_envs=1, device=DEVICE)
    assert default.dt == pytest.approx(0.04) and default.max_episode_steps == 1000


@wp.kernel
def _fell(cfg: InvertedPendulumConfig, states: wp.array[wp.vec4], out: wp.array[int]):
    i = wp.tid()
    out[i] = int(inverted_pendulum_fell(cfg, wp.vec3(1.0, 1.0, 1.0), states[i]))


def test_inverted_pendulum_terminates_on_a_non_finite_state():
    """As Gymnasium's `not np.isfinite(observation).all()`: a NaN or inf anywhere in the state ends the episode (the
    state cannot be set non-finite through set_state, so the task function is called directly)."""
    cfg = InvertedPendulumConfig()
    cfg.max_pole_angle, cfg.survive_reward, cfg.reset_noise_scale, cfg.dt = 0.2, 1.0, 0.01, 0.04
    nan, inf = float("nan"), float("inf")
    rows = [
        (0.0, 0.1, 0.0, 0.0),
        (0.0, 0.3, 0.0, 0.0),
        (nan, 0.0, 0.0, 0.0),
        (0.0, 0.0, 0.0, inf),
        (0.0, nan, 0.0, 0.0),
    ]
    states = wp.array(rows, dtype=wp.vec4, device=DEVICE)
    out = wp.zeros(len(rows), dtype=int, device=DEVICE)
    wp.launch(_fell, dim=len(rows), inputs=[cfg, states, out], device=DEVICE)
    assert out.numpy().tolist() == [0, 1, 1, 1, 1]


# --- InvertedDoublePendulum-v5 ---------------------------------------------------------------------------------


def _double_pendulum_states() -> np.ndarray:
    # (slider, hinge, hinge2, their velocities): reset-like, two carts running into the slider's limits (+-1 m, margin
    # 0.01 m) with the poles up, one at the limit and moving out of it, and falling poles
    return np.array(
        [
            [0.05, -0.03, 0.02, 0.1, -0.05, 0.08],
            [0.95, 0.05, -0.04, 2.0, -0.3, 0.2],
            [-0.96, -0.1, 0.05, -2.5, 0.5, -0.2],
            [0.995, 0.02, 0.0, -0.5, 0.1, 0.0],
            [0.2, 0.6, 0.3, 0.4, 1.5, 0.5],
            [-0.1, -0.3, -0.5, 0.0, -1.0, -2.0],
        ]
    )


def test_inverted_double_pendulum_steps_as_mujoco_euler_into_the_slider_limit():
    """Ten env steps (5 x 10 ms each) under random actions equal MuJoCo Euler's on Gymnasium's model, with two carts
    driven into the slider's limit (checked: MuJoCo's slider passes 0.99 m, the limit's margin). Measured 4.6e-6 in
    qpos and 4e-5 in qvel (float32 against float64)."""
    start = _double_pendulum_states()
    n = len(start)
    env = envs.make("inverted_double_pendulum", num_envs=n, device=DEVICE, min_tip_height=-10.0)  # no resets
    env.reset()
    env.set_state(torch.as_tensor(start, dtype=torch.float32))
    start = env.get_state().double().numpy()
    gen = torch.Generator().manual_seed(5)
    acts = torch.rand(10, n, 1, generator=gen) * 2 - 1
    acts[:, 1], acts[:, 2] = 1.0, -1.0  # full force into each limit
    for a in acts:
        env.step(a)
    ends, reached = _mujoco_euler_rollout("InvertedDoublePendulum-v5", start, acts, 1.0, joint=0)
    np.testing.assert_allclose(env.get_state().numpy(), ends, atol=5e-5)
    assert reached > 0.99


def test_inverted_double_pendulum_observation_reward_and_termination_as_gymnasium():
    """One step from the same states with the same actions: the observation (the slider limit's constraint force
    included, non-zero for the carts driven into it) equals Gymnasium's (Euler on both sides); the reward and
    termination equal Gymnasium's formulas at the stepped state's tip (Gymnasium reads MuJoCo's site_xpos, which
    mj_step leaves at its last substep's start: its own reward differs from that by O(dt))."""
    start = _double_pendulum_states()
    n = len(start)
    env = envs.make("inverted_double_pendulum", num_envs=n, device=DEVICE, healthy_reward=7.0)
    env.reset()
    env.set_state(torch.as_tensor(start, dtype=torch.float32))
    start = env.get_state().double().numpy()
    acts = torch.tensor([[0.3], [1.0], [-1.0], [-0.8], [0.5], [-0.2]])
    obs, reward, terminated, truncated, info = env.step(acts)
    g = _gym_euler("InvertedDoublePendulum-v5", healthy_reward=7.0)
    ended, pushed = 0, 0
    for i in range(n):
        g.set_state(start[i, :3], start[i, 3:])
        gym_obs, gym_reward, _, _, _ = g.step(acts[i].numpy())
        observed = info["final_obs"][i] if terminated[i] else obs[i]
        np.testing.assert_allclose(observed.numpy(), gym_obs, atol=1e-4, rtol=1e-4)
        pushed += abs(gym_obs[8]) > 1.0
        mujoco.mj_kinematics(g.model, g.data)  # the tip at the stepped state
        x, _, y = g.data.site_xpos[0]
        want, terms = g._get_rew(x, y, bool(y <= 1))
        assert reward[i].item() == pytest.approx(want, rel=1e-5, abs=1e-5)
        got = info["reward_terms"][i].tolist()
        names = ("reward_survive", "distance_penalty", "velocity_penalty")
        assert got == pytest.approx([terms[k] for k in names], rel=1e-5, abs=1e-5)
        assert bool(terminated[i]) == bool(y <= 1) and not truncated[i]
        assert abs(gym_reward - want) < 0.5  # Gymnasium's own, at the lagged tip
        ended += bool(y <= 1)
    assert 1 <= ended < n and pushed >= 2  # both outcomes, and the constraint force observed


def test_inverted_double_pendulum_time_limit_reset_and_bad_input():
    env = envs.make("inverted_double_pendulum", num_envs=2, device=DEVICE, max_episode_steps=2, reset_noise_scale=0.0)
    obs = env.reset()
    assert torch.equal(obs, torch.tensor([[0.0, 0, 0, 1, 1, 0, 0, 0, 0]] * 2))  # the upright pendulum at rest
    for _ in range(2):
        _, reward, terminated, truncated, _ = env.step(torch.zeros(2, 1))
    assert truncated.all() and not terminated.any()
    assert reward.tolist() == pytest.approx([10.0 - 0.8**2] * 2)  # (z - 2)^2 with the tip 1.2 m up, x = 0, at rest
    with pytest.raises(ValueError, match=r"reset_noise_scale must be in \[0, 0.99\)"):
        envs.make("inverted_double_pendulum", num_envs=1, device=DEVICE, reset_noise_scale=0.995)
    with pytest.raises(ValueError, match="healthy_reward must be a finite number"):
        envs.make("inverted_double_pendulum", num_envs=1, device=DEVICE, healthy_reward=float("inf"))
    default = envs.make("inverted_double_pendulum", num_envs=1, device=DEVICE)
    assert default.dt == pytest.approx(0.05) and default.max_episode_steps == 1000
    assert default.config["pole_length"] == pytest.approx(0.6) and default.config["tip_length"] == pytest.approx(0.6)


@wp.kernel
def _tip_fell(cfg: InvertedDoublePendulumConfig, states: wp.array[vec6], out: wp.array[int]):
    i = wp.tid()
    out[i] = int(inverted_double_pendulum_fell(cfg, wp.vec3(1.0, 1.0, 1.0), states[i]))


def test_inverted_double_pendulum_terminates_on_a_low_tip_or_a_non_finite_state():
    """The tip at or below 1 m ends the episode (InvertedDoublePendulum-v5's y <= 1), and so does a NaN or inf anywhere
    in the state (Gymnasium's env would go on; its observation would be non-finite)."""
    cfg = InvertedDoublePendulumConfig()
    cfg.healthy_reward, cfg.reset_noise_scale, cfg.min_tip_height, cfg.dt = 10.0, 0.1, 1.0, 0.05
    cfg.pole_length, cfg.tip_length = 0.6, 0.6
    nan, inf = float("nan"), float("inf")
    # upright; both poles tilted 0.5 rad (tip at 1.2 cos 0.5 = 1.05 m); 0.6 rad (0.99 m); non-finite entries
    rows = [(0.0,) * 6, (0.0, 0.5, 0.0, 0, 0, 0), (0.0, 0.6, 0.0, 0, 0, 0), (nan, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, inf)]
    states = wp.array(rows, dtype=vec6, device=DEVICE)
    out = wp.zeros(len(rows), dtype=int, device=DEVICE)
    wp.launch(_tip_fell, dim=len(rows), inputs=[cfg, states, out], device=DEVICE)
    assert out.numpy().tolist() == [0, 0, 1, 1, 1]


# --- Reacher-v5 ------------------------------------------------------------------------------------------------


def _reacher_states() -> np.ndarray:
    # (joint0, joint1, target_x, target_y, their velocities): reset-like, two elbows swinging into their +-3 rad limits
    # and a fast shoulder
    return np.array(
        [
            [0.05, -0.08, 0.12, -0.05, 0.003, -0.002, 0.0, 0.0],
            [1.0, 2.85, -0.1, 0.15, 0.5, 6.0, 0.0, 0.0],
            [-2.0, -2.9, 0.05, 0.05, -1.0, -5.0, 0.0, 0.0],
            [3.5, 0.4, -0.15, -0.1, 8.0, -3.0, 0.0, 0.0],
        ]
    )


def test_reacher_steps_as_mujoco_euler_into_the_elbow_limit():
    """Ten env steps (2 x 10 ms each) under random actions equal MuJoCo Euler's on Gymnasium's model, two elbows
    driven into their +-3 rad limit (checked: MuJoCo's elbow passes 2.95 rad); the targets stay where they are.
    Measured 2.7e-6 in the state (float32); without the limit MuJoCo's elbows end at +-7.8 rad."""
    start = _reacher_states()
    n = len(start)
    env = envs.make("reacher", num_envs=n, device=DEVICE)
    env.reset()
    env.set_state(torch.as_tensor(start, dtype=torch.float32))
    start = env.get_state().double().numpy()
    gen = torch.Generator().manual_seed(4)
    acts = torch.rand(10, n, 2, generator=gen) * 2 - 1
    acts[:, 1, 1], acts[:, 2, 1] = 1.0, -1.0  # full torque into each limit
    for a in acts:
        env.step(a)
    ends, reached = _mujoco_euler_rollout("Reacher-v5", start, acts, 1.0, joint=1)
    np.testing.assert_allclose(env.get_state().numpy(), ends, atol=2e-5, rtol=2e-6)
    assert np.array_equal(env.get_state()[:, 2:4].double().numpy(), start[:, 2:4])  # our targets do not move
    assert reached > 2.95


def test_reacher_observation_and_reward_terms_as_gymnasium():
    """One step from the same states with the same actions: observation and reward terms (dist, ctrl_cost) equal
    Gymnasium's (Euler on both sides), and the observation of a reset state Gymnasium's _get_obs there."""
    start = _reacher_states()
    n = len(start)
    weights = dict(reward_dist_weight=0.7, reward_control_weight=0.5)
    env = envs.make("reacher", num_envs=n, device=DEVICE, **weights)
    g = _gym_euler("Reacher-v5", **weights)
    obs = env.reset()
    reset_states = env.get_state().double().numpy()
    for i in range(n):  # the observation of a reset state
        g.set_state(reset_states[i, :4], reset_states[i, 4:])
        np.testing.assert_allclose(obs[i].numpy(), g._get_obs(), atol=1e-6)
    env.set_state(torch.as_tensor(start, dtype=torch.float32))
    start = env.get_state().double().numpy()
    acts = torch.tensor([[0.3, -0.2], [1.0, 1.0], [-0.5, -1.0], [0.0, 0.8]])
    obs, reward, terminated, truncated, info = env.step(acts)
    for i in range(n):
        g.set_state(start[i, :4], start[i, 4:])
        _, _, gym_terminated, _, gym_info = g.step(acts[i].numpy())
        # MuJoCo's body positions after an Euler mj_step are those of its last substep's start (its last forward
        # pass); after Gymnasium's RK4 step they are of the last stage, the end state to O(h^2); ours are the end
        # state's: the comparison takes Gymnasium's observation and distance at the end state
        mujoco.mj_kinematics(g.model, g.data)
        np.testing.assert_allclose(obs[i].numpy(), g._get_obs(), atol=2e-5)
        terms = info["reward_terms"][i].numpy()
        dist = -0.7 * np.linalg.norm(g.get_body_com("fingertip") - g.get_body_com("target"))
        assert terms[0] == pytest.approx(dist, abs=1e-5)
        assert terms[1] == pytest.approx(gym_info["reward_ctrl"], rel=1e-6)
        assert reward[i].item() == pytest.approx(dist + gym_info["reward_ctrl"], abs=1e-5)
        assert not terminated[i] and not gym_terminated
    assert np.ptp(info["reward_terms"][:, 0].numpy()) > 0.05  # the states are far apart


def test_reacher_goal_stays_in_its_disk_episodes_truncate_and_bad_input():
    env = envs.make("reacher", num_envs=4000, device=DEVICE, seed=5, goal_radius=0.15)
    env.reset()
    goal = env.get_state()[:, 2:4]
    assert goal.norm(dim=1).max() < 0.15 and goal.norm(dim=1).max() > 0.14  # fills the disk, never leaves it
    assert (goal.abs().max(0).values > 0.14).all()
    short = envs.make("reacher", num_envs=2, device=DEVICE)
    assert short.max_episode_steps == 50 and short.dt == pytest.approx(0.02)
    short.reset()
    for t in range(50):
        _, _, terminated, truncated, _ = short.step(torch.zeros(2, 2))
        assert not terminated.any() and bool(truncated.all()) == (t == 49)
    with pytest.raises(ValueError, match="goal_radius must be a finite number"):
        envs.make("reacher", num_envs=1, device=DEVICE, goal_radius=float("inf"))
    for bad in (0.0, 1e-30, -0.1, 0.3):  # 0 (or 1e-30, squared in float32) would never end the target's rejection
        with pytest.raises(ValueError, match=r"goal_radius must be in \[0.001, 0.27\] m"):
            envs.make("reacher", num_envs=1, device=DEVICE, goal_radius=bad)


# --- cleanppo/ppo_gym.py's Gymnasium side ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "env_id", ["inverted_pendulum", "inverted_double_pendulum", "reacher", "pusher", "hopper", "ant"]
)
def test_gym_vec_env_observes_and_acts_as_the_warp_env(env_id):
    """ppo_gym.py's GymVecEnv on a MuJoCo task: the Warp env's observation size and action count (ant: the short
    layout), actions mapped linearly onto the ctrlrange as the Warp env maps them, and the reacher's 50-step episodes
    ended with their last observation in final_obs."""
    from cleanppo_utils.gym_env import GymVecEnv

    warp = envs.make(env_id, num_envs=1, device=DEVICE)
    env = GymVecEnv(env_id, 3, torch.device("cpu"), seed=0)
    assert (env.num_obs, env.num_actions) == (warp.num_obs, warp.num_actions)
    env.reset()
    a = torch.linspace(-1.5, 1.5, 3 * env.num_actions).reshape(3, env.num_actions)
    env.step(a)
    lo, hi = warp.model.actuator_ctrlrange[:, 0], warp.model.actuator_ctrlrange[:, 1]
    for i, sub in enumerate(env.envs.envs):
        expected = lo + 0.5 * (a[i].clamp(-1, 1).numpy() + 1.0) * (hi - lo)
        np.testing.assert_allclose(sub.unwrapped.data.ctrl, expected, rtol=1e-6, atol=1e-7)
    if env_id == "reacher":
        for _ in range(49):
            obs, _, terminated, truncated, info = env.step(torch.zeros(3, 2))
        assert truncated.all() and not terminated.any() and (info["episode_length"] == 50).all()
        assert not torch.equal(info["final_obs"], obs)  # the next episode's first observation, a new target


# --- Pusher-v5 -------------------------------------------------------------------------------------------------


def _pusher_contact_starts(num: int):
    """States of MuJoCo's own Pusher-v5 episodes (held random actions) two env steps before a wrist capsule first
    touches the object, with the actions of the next three env steps: rollouts through arm-object contact."""
    g = _gym_euler("Pusher-v5")
    m, d = g.model, g.data
    cylinder = next(i for i in range(m.ngeom) if m.geom_type[i] == mujoco.mjtGeom.mjGEOM_CYLINDER)
    rng = np.random.default_rng(0)
    starts, actions = [], []
    for episode in range(200):
        g.reset(seed=episode)
        history, a = [], rng.uniform(-1, 1, 7)
        for t in range(100):
            if t % 10 == 0:
                a = rng.uniform(-1, 1, 7)
            history.append((np.concatenate([d.qpos, d.qvel]), a))
            for _ in range(g.frame_skip):
                d.ctrl[:] = 2.0 * a
                mujoco.mj_step(m, d)
            if t >= 2 and any(
                cylinder in (c.geom1, c.geom2) and 0 not in (c.geom1, c.geom2) for c in d.contact[: d.ncon]
            ):
                starts.append(history[t - 2][0])
                actions.append([history[t - 2][1], history[t - 1][1], history[t][1]])
                break
        if len(starts) == num:
            break
    return np.array(starts), torch.tensor(np.array(actions), dtype=torch.float32).transpose(0, 1)


def test_pusher_steps_as_mujoco_euler_through_arm_object_contact():
    """From states of MuJoCo's own episodes, three env steps (5 x 10 ms each) into a wrist capsule's first touch of the
    object (a capsule against a cylinder: the general convex collider): the two steps before it equal MuJoCo Euler's
    on Gymnasium's model to float32 rounding; through the touch the arm stays within 1e-3 rad and the object within
    2 mm of MuJoCo's and moves in both (without the contact it would stay put: no gravity, no friction). Not closer:
    MuJoCo 4.0 gives a cylinder's pairs a multicontact of its own (tests/test_convex.py), one point where multiccd
    here keeps two or three, so the first push here is up to ~2x MuJoCo's (measured: object displacement 2.6 mm
    against 1.3 mm in the strongest touch)."""
    start, acts = _pusher_contact_starts(6)
    n = len(start)
    assert n == 6
    env = envs.make("pusher", num_envs=n, device=DEVICE)
    env.reset()
    env.set_state(torch.as_tensor(start, dtype=torch.float32))
    start = env.get_state().double().numpy()
    for a in acts[:2]:
        env.step(a)
    before, _ = _mujoco_euler_rollout("Pusher-v5", start, acts[:2], 2.0, joint=7)
    np.testing.assert_allclose(env.get_state().numpy(), before, atol=2e-5)
    env.step(acts[2])
    ends, _ = _mujoco_euler_rollout("Pusher-v5", start, acts, 2.0, joint=7)
    ours = env.get_state().numpy()
    np.testing.assert_allclose(ours[:, :7], ends[:, :7], atol=1e-3)
    np.testing.assert_allclose(ours[:, 7:9], ends[:, 7:9], atol=2e-3)
    for moved in (ends[:, 7:9] - start[:, 7:9], ours[:, 7:9] - start[:, 7:9]):
        assert np.all(np.abs(moved).max(axis=1) > 1e-5), moved  # at rest before the touch


def test_pusher_observation_and_reward_terms_as_gymnasium():
    """One step from the same states with the same actions (the wrist touching the object): the joints of the
    observation equal Gymnasium's; its three body positions and the reward terms equal Gymnasium's at the stepped
    state (Gymnasium reads MuJoCo's xpos, which mj_step leaves at its last substep's start); ctrl_cost is of the
    control 2 a, Gymnasium's action."""
    start, acts = _pusher_contact_starts(4)
    n = len(start)
    env = envs.make("pusher", num_envs=n, device=DEVICE, reward_near_weight=0.7, reward_control_weight=0.3)
    env.reset()
    env.set_state(torch.as_tensor(start, dtype=torch.float32))
    start = env.get_state().double().numpy()
    obs, reward, terminated, truncated, info = env.step(acts[0])
    g = _gym_euler("Pusher-v5", reward_near_weight=0.7, reward_control_weight=0.3)
    for i in range(n):
        g.set_state(start[i, :11], start[i, 11:])
        gym_obs, _, gym_terminated, _, _ = g.step(2.0 * acts[0, i].numpy())
        np.testing.assert_allclose(obs[i, :14].numpy(), gym_obs[:14], atol=2e-5, rtol=1e-5)  # the joints
        assert np.abs(obs[i, 14:].numpy() - gym_obs[14:]).max() < 0.05  # Gymnasium's bodies, one substep behind
        mujoco.mj_kinematics(g.model, g.data)  # the bodies at the stepped state
        np.testing.assert_allclose(obs[i].numpy(), g._get_obs(), atol=2e-5, rtol=1e-5)
        want, terms = g._get_rew(2.0 * acts[0, i].numpy())
        got = info["reward_terms"][i].tolist()
        assert got == pytest.approx([terms[k] for k in ("reward_near", "reward_dist", "reward_ctrl")], abs=2e-5)
        assert reward[i].item() == pytest.approx(want, abs=5e-5)
        assert not terminated[i] and not truncated[i] and not gym_terminated


def test_pusher_object_starts_away_from_the_goal_episodes_truncate_and_bad_input():
    env = envs.make("pusher", num_envs=512, device=DEVICE, seed=3, max_episode_steps=2)
    env.reset()
    state = env.get_state()
    offset = state[:, 7:9]
    assert (offset.norm(dim=1) > 0.17).all()  # Pusher-v5's rejection: farther than 0.17 m from the goal
    assert (offset[:, 0] >= -0.3).all() and (offset[:, 0] <= 0).all() and (offset[:, 1].abs() <= 0.2).all()
    assert (state[:, :7] == 0).all() and (state[:, 9:11] == 0).all() and (state[:, 18:] == 0).all()
    assert (state[:, 11:18].abs() <= 0.005).all() and (state[:, 11:18] != 0).all()
    for _ in range(2):
        _, _, terminated, truncated, _ = env.step(torch.zeros(512, 7))
    assert truncated.all() and not terminated.any()
    with pytest.raises(ValueError, match="reward_dist_weight must be a finite number"):
        envs.make("pusher", num_envs=1, device=DEVICE, reward_dist_weight=float("nan"))
    default = envs.make("pusher", num_envs=1, device=DEVICE)
    assert default.dt == pytest.approx(0.05) and default.max_episode_steps == 100
