"""InvertedPendulum against Gymnasium's InvertedPendulum-v5 and MuJoCo: the model, the dynamics with the slider's
joint limit, the observation, reward and termination on the same states."""

import os

import gymnasium as gym
import mujoco
import numpy as np
import pytest
import torch

import envs
from envs.core import ASSETS

DEVICE = "cpu"


@pytest.fixture(autouse=True)
def _mujoco_log_in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _gym_euler():
    # Gymnasium's env with MuJoCo's Euler integrator, the one our kernels implement (Gymnasium's model uses RK4)
    g = gym.make("InvertedPendulum-v5").unwrapped
    g.model.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    g.reset(seed=0)
    return g


def _start_states() -> np.ndarray:
    # near upright (reset-like), two carts running into the slider's limits (+-1 m) and a falling pole
    return np.array(
        [
            [0.005, -0.008, 0.003, 0.006],
            [0.97, 0.05, 2.5, -0.3],
            [-0.95, -0.1, -3.0, 0.5],
            [0.2, 0.15, 0.4, 1.5],
        ]
    )


def test_asset_is_gymnasiums_model():
    import gymnasium

    ours = mujoco.MjModel.from_xml_path(os.path.join(ASSETS, "inverted_pendulum.xml"))
    path = os.path.join(os.path.dirname(gymnasium.__file__), "envs", "mujoco", "assets", "inverted_pendulum.xml")
    theirs = mujoco.MjModel.from_xml_path(path)
    for field in ("body_mass", "body_inertia", "body_ipos", "body_iquat", "dof_damping", "dof_armature", "jnt_range",
                  "jnt_limited", "jnt_solref", "jnt_solimp", "jnt_margin", "actuator_gear", "actuator_ctrlrange",
                  "geom_contype", "geom_conaffinity"):  # fmt: skip
        np.testing.assert_array_equal(getattr(ours, field), getattr(theirs, field), err_msg=field)
    assert ours.opt.timestep == theirs.opt.timestep and np.array_equal(ours.opt.gravity, theirs.opt.gravity)


def test_steps_as_mujoco_euler_into_the_slider_limit():
    """Ten env steps (2 x 20 ms each) under random actions equal MuJoCo Euler's on Gymnasium's model, with two carts
    driven into the slider's limit: the soft joint-limit constraint reaches the env's step (checked: MuJoCo's
    slider passes 0.99 m). Measured 1.4e-6 in the state (float32); without the limit MuJoCo's carts end at +-3.7 m."""
    start = _start_states()
    n = len(start)
    env = envs.make("inverted_pendulum", num_envs=n, device=DEVICE, max_pole_angle=10.0)  # no resets in between
    env.reset()
    env.set_state(torch.as_tensor(start, dtype=torch.float32))
    start = env.get_state().double().numpy()  # the float32 states both simulators start from
    gen = torch.Generator().manual_seed(3)
    acts = torch.rand(10, n, 1, generator=gen) * 2 - 1
    acts[:, 1], acts[:, 2] = 1.0, -1.0  # full force into each limit
    g = _gym_euler()
    m, d = g.model, g.data
    reached = 0.0
    for a in acts:
        env.step(a)
    for i in range(n):
        mujoco.mj_resetData(m, d)
        d.qpos[:], d.qvel[:] = start[i, :2], start[i, 2:]
        for a in acts:
            d.ctrl[:] = 3.0 * a[i].numpy()
            for _ in range(2):
                mujoco.mj_step(m, d)
                reached = max(reached, abs(d.qpos[0]))
        np.testing.assert_allclose(env.get_state()[i].numpy(), np.concatenate([d.qpos, d.qvel]), atol=2e-5)
    assert reached > 0.99


def test_observation_reward_and_termination_as_gymnasium():
    """One step from the same states with the same (mapped) actions: the observation, reward and termination equal
    Gymnasium's (Euler on both sides); the falling pole's step terminates with reward 0 in both."""
    start = _start_states()
    n = len(start)
    env = envs.make("inverted_pendulum", num_envs=n, device=DEVICE)
    env.reset()
    env.set_state(torch.as_tensor(start, dtype=torch.float32))
    start = env.get_state().double().numpy()
    acts = torch.tensor([[0.3], [1.0], [-1.0], [-0.7]])
    obs, reward, terminated, truncated, info = env.step(acts)
    g = _gym_euler()
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


def test_time_limit_termination_and_bad_input():
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
    assert envs.make("inverted_pendulum", num_envs=1, device=DEVICE).dt == pytest.approx(0.04)
