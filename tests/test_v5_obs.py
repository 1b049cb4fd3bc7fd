"""Gymnasium v5 default observations of ant and humanoid (envs/locomotion.py, kernels/com.py) against MuJoCo on the
same state: cinert, cvel and qfrc_actuator to float32 precision; cfrc_ext and contact_cost of our contact law against
MuJoCo's solver at rest and in moving contact, within the measured differences; the reward terms built from them."""

import gymnasium as gym
import mujoco
import numpy as np
import pytest
import torch
import warp as wp
from gymnasium.envs.mujoco.humanoid_v5 import mass_center

import envs

DEVICE = "cpu"
# Humanoid-v5's default observation: qpos[2:] (22), qvel (23), then these blocks
HUMANOID_BLOCKS = {"cinert": (45, 175), "cvel": (175, 253), "qfrc_actuator": (253, 270), "cfrc_ext": (270, 348)}


@pytest.fixture(autouse=True)
def _mujoco_log_in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _actions(n: int, steps: int, num_actions: int, seed: int = 0, scale: float = 1.0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return (torch.rand(steps, n, num_actions, generator=gen) * 2 - 1) * scale


def _mujoco_at(ref, state: np.ndarray, ctrl: np.ndarray | None = None) -> np.ndarray:
    """Gymnasium's observation with MuJoCo's data at `state` (mj_forward) under ctrl (None: 0, as after a reset)."""
    nq = ref.model.nq
    ref.data.ctrl[:] = 0.0 if ctrl is None else ctrl
    ref.set_state(np.asarray(state[:nq], np.float64), np.asarray(state[nq:], np.float64))
    return ref._get_obs()


def _ctrl(ref, a: np.ndarray) -> np.ndarray:
    lo, hi = ref.action_space.low, ref.action_space.high
    return lo + 0.5 * (np.clip(a, -1.0, 1.0) + 1.0) * (hi - lo)


@pytest.mark.parametrize(
    ("env_id", "v5", "short"),
    [("ant", 105, 27), ("humanoid", 348, 45), ("humanoid_standup", 348, 45), ("half_cheetah", 17, 17)],
)
def test_short_layout_is_the_default_and_the_head_of_the_v5_layout(env_id, v5, short):
    full = envs.make(env_id, num_envs=4, device=DEVICE, seed=2, obs_layout="v5")
    head = envs.make(env_id, num_envs=4, device=DEVICE, seed=2)
    assert (full.num_obs, head.num_obs, envs.env_class(env_id).num_obs, head.obs_layout) == (v5, short, short, "short")
    np.testing.assert_array_equal(full.reset()[:, :short].numpy(), head.reset().numpy())
    for a in _actions(4, 5, full.num_actions):
        o_full, r_full, *_ = full.step(a)
        o_head, r_head, *_ = head.step(a)
        np.testing.assert_array_equal(o_full[:, :short].numpy(), o_head.numpy())
        np.testing.assert_array_equal(r_full.numpy(), r_head.numpy())  # the reward does not depend on the layout
    with pytest.raises(ValueError, match="obs_layout must be one of"):
        envs.make(env_id, num_envs=1, device=DEVICE, obs_layout="full")


@pytest.mark.parametrize("env_id", ["ant", "humanoid"])
def test_observation_noise_covers_every_v5_slot_in_the_short_layouts_order(env_id):
    # the step kernel writes the state part and the blocks' noise (kernels.episode obs_head), the v5 kernel adds
    # the blocks: the head draws the short layout's noise, every block slot its own draw of the same std
    n, std = 64, 0.1
    noisy = envs.make(env_id, num_envs=n, device=DEVICE, seed=4, obs_layout="v5", obs_noise_std=std)
    clean = envs.make(env_id, num_envs=n, device=DEVICE, seed=4, obs_layout="v5")
    short = envs.make(env_id, num_envs=n, device=DEVICE, seed=4, obs_noise_std=std)
    head = short.num_obs
    noisy.reset(), clean.reset(), short.reset()
    for a in _actions(n, 3, noisy.num_actions):
        o_noisy, o_clean, o_short = (e.step(a)[0].numpy() for e in (noisy, clean, short))
        np.testing.assert_array_equal(o_noisy[:, :head], o_short)
        tail = o_noisy[:, head:] - o_clean[:, head:]
        assert abs(tail.std() - std) < 0.1 * std and abs(tail.mean()) < 0.1 * std, (tail.mean(), tail.std())
        assert (np.abs(tail) > 0).mean() > 0.99  # no slot left without its draw


def test_humanoid_cinert_cvel_qfrc_actuator_match_mujoco_on_the_same_state():
    # after a step: MuJoCo's data at the stepped state (an RK4 step's last stage evaluates there) under the step's
    # ctrl; after a reset (time limit 6 below): at the reset state with ctrl 0; final_obs: at the episode's last state
    n = 6
    env = envs.make("humanoid", num_envs=n, device=DEVICE, seed=1, max_episode_steps=6, obs_layout="v5")
    ref = gym.make("Humanoid-v5").unwrapped
    ref.reset(seed=0)
    obs = env.reset()
    checked = {"step": 0, "reset": 0, "final": 0}

    def check(ours: np.ndarray, theirs: np.ndarray, what: str):
        for name, (lo, hi) in HUMANOID_BLOCKS.items():
            # float32 kinematics against MuJoCo's float64 (measured: 3e-6 relative); cfrc_ext is checked below
            if name != "cfrc_ext" or what == "reset":
                np.testing.assert_allclose(ours[lo:hi], theirs[lo:hi], rtol=2e-5, atol=2e-5, err_msg=f"{what} {name}")
        checked[what] += 1

    for i in range(n):
        check(obs[i].numpy(), _mujoco_at(ref, env.get_state()[i].numpy()), "reset")
    for a in _actions(n, 9, 17, scale=0.5):
        obs, _, terminated, truncated, info = env.step(a)
        state = env.get_state().numpy()
        for i in range(n):
            if terminated[i] or truncated[i]:
                final = info["final_obs"][i].numpy()
                last = np.concatenate([[0.0, 0.0], final[:45]])  # cinert and cvel do not depend on x, y
                check(final, _mujoco_at(ref, last, _ctrl(ref, a[i].numpy())), "final")
                check(obs[i].numpy(), _mujoco_at(ref, state[i]), "reset")
            else:
                check(obs[i].numpy(), _mujoco_at(ref, state[i], _ctrl(ref, a[i].numpy())), "step")
    assert min(checked.values()) >= n


def _ant_contact_state(n: int, prep: int, scale: float, env_id: str = "ant", seed: int = 0):
    env = envs.make(env_id, num_envs=n, device=DEVICE, seed=seed, obs_layout="v5")
    env.reset()
    for a in _actions(n, prep, env.num_actions, seed=2, scale=scale):
        env.step(a)
    return env


def _contact_forces_both(env, a: torch.Tensor, gym_id: str):
    """cfrc_ext[1:] [N, nbody - 1, 6] of our law (one substep from env's state: the state alone decides it) and of
    MuJoCo's solver (mj_forward, mj_rnePostConstraint) at the same state and ctrl."""
    n = env.num_envs
    one = envs.make(env.name, num_envs=n, device=DEVICE, frame_skip=1, obs_layout="v5")
    state = env.get_state().clone()
    one.set_state(state)
    one.step(a)
    ours = wp.to_torch(one._v5_arrays["cfrc_ext"]).numpy()[:, 1:].astype(np.float64)
    ref = gym.make(gym_id).unwrapped
    ref.reset(seed=0)
    theirs = np.zeros_like(ours)
    for i in range(n):
        _mujoco_at(ref, state[i].numpy(), _ctrl(ref, a[i].numpy()))
        mujoco.mj_rnePostConstraint(ref.model, ref.data)
        theirs[i] = ref.data.cfrc_ext[1:]
    return ours, theirs, ref


def test_ant_contact_forces_at_rest_match_mujoco():
    # resting on its legs after 5 s: the floor contacts are MuJoCo's pyramid rows with its active set, so each leg
    # carries MuJoCo's share (measured per-body difference below 5e-3 N of the 8.9 N weight, contact_cost equal to
    # 4 digits; the regularized Coulomb friction before gave up to 1.4 N and contact_cost 30% above MuJoCo's)
    n = 8
    env = _ant_contact_state(n, 100, 0.0)
    ours, theirs, ref = _contact_forces_both(env, torch.zeros(n, 8), "Ant-v5")
    weight = ref.model.body_mass.sum() * 9.81
    for i in range(n):
        assert theirs[i, :, 5].sum() == pytest.approx(weight, rel=0.02)
        np.testing.assert_allclose(ours[i].sum(0)[3:], theirs[i].sum(0)[3:], atol=0.005 * weight)
        np.testing.assert_allclose(ours[i].sum(0)[:3], theirs[i].sum(0)[:3], atol=0.005)
        np.testing.assert_allclose(ours[i], theirs[i], atol=0.05)
        cost = [5e-4 * (np.clip(f, -1.0, 1.0) ** 2).sum() for f in (ours[i], theirs[i])]
        assert cost[0] == pytest.approx(cost[1], rel=0.02)


def test_ant_contact_forces_in_moving_contact_match_mujoco():
    # random actions at full scale: legs strike and slide; measured per-body difference up to 0.14 N of forces up to
    # 70 N (the regularized Coulomb friction before: up to 95 N, forces of a few N where MuJoCo's were 100-230 N)
    n = 16
    env = _ant_contact_state(n, 30, 1.0)
    a = _actions(n, 1, 8, seed=5)[0]
    ours, theirs, ref = _contact_forces_both(env, a, "Ant-v5")
    touching = 0
    for i in range(n):
        touching += int(np.abs(theirs[i]).max() > 0.0)
        np.testing.assert_allclose(ours[i], theirs[i], atol=0.3)
    assert touching >= 3


def test_humanoid_contact_forces_in_moving_contact_match_mujoco():
    # random actions until feet and hands hit the floor: measured total contact force within 5.2% of the weight,
    # torque about the center of mass within 9.6 N m, per-body gap up to 16 N, contact_cost within 20% (7e-4 on the
    # smallest; self-contacts are frictionless in both, condim 1, and none occurs in these states)
    n = 8
    env = _ant_contact_state(n, 60, 0.3, "humanoid")
    a = _actions(n, 1, 17, seed=5, scale=0.3)[0]
    ours, theirs, ref = _contact_forces_both(env, a, "Humanoid-v5")
    weight = ref.model.body_mass.sum() * 9.81
    touching = 0
    for i in range(n):
        if np.abs(theirs[i]).max() == 0.0:
            assert np.abs(ours[i]).max() == 0.0
            continue
        touching += 1
        np.testing.assert_allclose(ours[i].sum(0)[3:], theirs[i].sum(0)[3:], atol=0.1 * weight)
        np.testing.assert_allclose(ours[i].sum(0)[:3], theirs[i].sum(0)[:3], atol=25.0)
        cost = [min(5e-7 * (f**2).sum(), 10.0) for f in (ours[i], theirs[i])]
        assert cost[0] == pytest.approx(cost[1], rel=0.15, abs=1e-3)
    assert touching >= 3


@pytest.mark.parametrize("env_id", ["ant", "humanoid"])
def test_contact_cost_and_forward_terms_are_gymnasiums_formulas(env_id):
    # Gymnasium's own contact_cost on our cfrc_ext; Humanoid-v5's forward term from its mass_center at the states
    # before and after the step; the terms sum to the reward and the episode return is the sum of the rewards
    n = 6
    gym_id = {"ant": "Ant-v5", "humanoid": "Humanoid-v5"}[env_id]
    env = envs.make(env_id, num_envs=n, device=DEVICE, seed=3, max_episode_steps=8, obs_layout="v5")
    ref = gym.make(gym_id).unwrapped
    ref.reset(seed=0)
    env.reset()
    k_contact = env.reward_term_names.index("contact_cost")
    returns = torch.zeros(n)
    ended = 0
    for a in _actions(n, 30, env.num_actions, scale=0.7):
        before = env.get_state().clone().numpy()
        obs, reward, terminated, truncated, info = env.step(a)
        cfrc = wp.to_torch(env._v5_arrays["cfrc_ext"]).numpy().astype(np.float64)
        terms = info["reward_terms"].numpy()
        after = env.get_state().numpy()
        for i in range(n):
            ref.data.cfrc_ext[:] = cfrc[i]
            assert terms[i, k_contact] == pytest.approx(-ref.contact_cost, rel=1e-5, abs=1e-9)
            if env_id == "ant":
                np.testing.assert_allclose(obs[i, 27:].numpy() if not (terminated[i] or truncated[i]) else
                                           info["final_obs"][i, 27:].numpy(), np.clip(cfrc[i, 1:], -1, 1).ravel(),
                                           rtol=1e-6, atol=1e-6)  # fmt: skip
            if env_id == "humanoid" and not (terminated[i] or truncated[i]):
                _mujoco_at(ref, before[i])
                x0 = mass_center(ref.model, ref.data)[0]
                _mujoco_at(ref, after[i])
                x1 = mass_center(ref.model, ref.data)[0]
                assert terms[i, 0] == pytest.approx(1.25 * (x1 - x0) / ref.dt, rel=1e-4, abs=2e-4)
        assert reward.numpy() == pytest.approx(terms.sum(1), abs=1e-5)
        returns += reward
        done = terminated | truncated
        for i in torch.nonzero(done).flatten().tolist():
            assert info["episode_return"][i].item() == pytest.approx(returns[i].item(), rel=1e-5, abs=1e-4)
            returns[i] = 0.0
            ended += 1
    assert ended >= n


def test_v5_envs_resume_exactly_from_state_dict():
    # the center of mass of the last step is carried from step to step (humanoid's forward term): state_dict has it
    env = envs.make("humanoid", num_envs=3, device=DEVICE, seed=4, obs_layout="v5")
    acts = _actions(3, 6, 17)
    for a in acts[:3]:
        env.step(a)
    saved = env.state_dict()
    copy = envs.make("humanoid", num_envs=3, device=DEVICE, seed=4, obs_layout="v5")
    copy.load_state_dict(saved)
    for a in acts[3:]:
        o1, r1, *_ = env.step(a)
        o2, r2, *_ = copy.step(a)
        np.testing.assert_array_equal(o1.numpy(), o2.numpy())
        np.testing.assert_array_equal(r1.numpy(), r2.numpy())
