"""Episode boundaries: action delays, randomized parameters and observation noise across many short episodes, and
the reset distribution of every env against Gymnasium's own reset."""

import gymnasium as gym
import numpy as np
import pytest
import torch
import warp as wp

import envs

DEVICE = "cpu"


@pytest.fixture(autouse=True)
def _mujoco_log_in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


# --- action delay over episodes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("delay", [2, (0, 3)])
def test_action_delay_applies_zero_after_every_autoreset_then_the_delayed_action(delay):
    """Over ~7 episodes of 6 steps: zero action for the first d_i steps of each episode, a[t - d_i] afterwards."""
    n, steps = 16, 40
    env = envs.make("pendulum", num_envs=n, device=DEVICE, seed=0, action_delay=delay, max_episode_steps=6)
    env.reset()
    actions = (torch.rand(steps, n, 1, generator=torch.Generator().manual_seed(0)) * 2 - 1) * 0.9 + 0.05
    seen_delays = [set() for _ in range(n)]
    boundaries = 0
    for t in range(steps):
        k, d = env.episode_step.clone(), env.action_delays.clone()  # this step's place in its episode, its delay
        _, _, terminated, truncated, _ = env.step(actions[t])
        applied = env.applied_actions.clone()
        for i in range(n):
            di, ki = int(d[i]), int(k[i])
            seen_delays[i].add(di)
            expected = torch.zeros(1) if ki < di else actions[t - di, i]
            torch.testing.assert_close(applied[i], expected, rtol=0, atol=0, msg=f"env {i} step {t} (k={ki}, d={di})")
        boundaries += int((terminated | truncated).sum())
    assert boundaries >= 6 * n
    if isinstance(delay, tuple):  # a range is re-drawn per episode: each env saw several delays
        assert all(len(s) >= 2 for s in seen_delays), seen_delays
        assert set().union(*seen_delays) == {0, 1, 2, 3}
    else:
        assert all(s == {delay} for s in seen_delays)


# --- randomized parameters and observation noise ----------------------------------------------------------------


def test_parameter_ranges_are_redrawn_at_each_autoreset_and_reach_the_simulator():
    """mass_scale and strength_scale (lo, hi): a new draw per env per episode, constant inside it; friction_scale
    fixed: never redrawn. After every step the simulator's per-env rows hold the current episode's scales."""
    n = 8
    env = envs.make("ant", num_envs=n, device=DEVICE, seed=0, mass_scale=(0.5, 1.5), friction_scale=0.7,
                    strength_scale=(0.8, 1.2), max_episode_steps=3)  # fmt: skip
    env.reset()
    gen = torch.Generator().manual_seed(0)
    previous = env.param_scales.clone()
    changes = 0
    for _ in range(10):
        _, _, terminated, truncated, _ = env.step(torch.rand(n, 8, generator=gen) * 2 - 1)
        scales = env.param_scales.clone()
        done = terminated | truncated
        changed = scales[:, 0] != previous[:, 0]
        assert torch.equal(changed, done), (changed, done)  # redrawn exactly at the episode boundaries
        assert torch.equal(scales[:, 2] != previous[:, 2], done)
        changes += int(changed.sum())
        assert ((scales[:, 0] >= 0.5) & (scales[:, 0] <= 1.5)).all()
        torch.testing.assert_close(scales[:, 1], torch.full((n,), 0.7), rtol=0, atol=0)
        mass_rows = wp.to_torch(env.sim.body_mass_scale)
        friction_rows = wp.to_torch(env.sim.geom_friction_scale)
        gear_rows = wp.to_torch(env.sim.actuator_gear_scale)
        torch.testing.assert_close(mass_rows, scales[:, :1].expand_as(mass_rows), rtol=0, atol=0)
        torch.testing.assert_close(friction_rows, scales[:, 1:2].expand_as(friction_rows), rtol=0, atol=0)
        torch.testing.assert_close(gear_rows, scales[:, 2:].expand_as(gear_rows), rtol=0, atol=0)
        previous = scales
    assert changes >= 3 * n


def test_observation_noise_is_drawn_afresh_every_step():
    n, std = 4000, 0.2
    env = envs.make("pendulum", num_envs=n, device=DEVICE, seed=1, obs_noise_std=std, max_episode_steps=3)
    noises = []
    for _ in range(6):  # two episodes
        obs, *_ = env.step(torch.zeros(n, 1))
        th, thdot = env.get_state().unbind(1)
        noises.append((obs - torch.stack([torch.cos(th), torch.sin(th), thdot], 1)).clone())
    for a, b in zip(noises, noises[1:], strict=False):
        corr = float((a * b).mean() / (a.std() * b.std()))
        assert abs(corr) < 0.05, corr  # independent draws, within and across episodes
        assert abs(float(b.std()) - std) < 0.01


# --- the step kernel's CUDA variant, run on the CPU -------------------------------------------------------------


@pytest.mark.parametrize(
    ("env_id", "kw"),
    [
        ("ant", {"obs_layout": "v5"}),
        ("humanoid", {}),
        ("anymal_c", {}),
        ("half_cheetah", {}),
        ("cartpole", {}),
        ("hopper", {}),
    ],
)
def test_cuda_variant_of_the_step_kernel_matches_the_cpu_one_bit_for_bit(env_id, kw, monkeypatch):
    # A GPU runs one env per thread (kernels.episode.make_step_kernel's one_env_per_thread variant, which writes the
    # observation component by component); a CPU a block of 256. Noise knobs on and short episodes, so the noise
    # draws, final_obs and the autoreset path are compared too.
    n = 300  # two CPU blocks, the second partial
    knobs = dict(seed=3, obs_noise_std=0.05, action_noise_std=0.1, max_episode_steps=4, **kw)
    cpu = envs.make(env_id, num_envs=n, device=DEVICE, **knobs)
    monkeypatch.setattr(envs.core.WarpEnv, "cpu_envs_per_thread", 1)
    one = envs.make(env_id, num_envs=n, device=DEVICE, **knobs)
    assert (cpu.envs_per_thread, one.envs_per_thread) == (256, 1)
    np.testing.assert_array_equal(cpu.reset().numpy(), one.reset().numpy())
    gen = torch.Generator().manual_seed(0)
    ended = 0
    for _ in range(9):
        a = torch.rand(n, cpu.num_actions, generator=gen) * 2 - 1
        out_cpu, out_one = cpu.step(a), one.step(a)
        for x, y in zip(out_cpu[:4], out_one[:4], strict=True):
            np.testing.assert_array_equal(x.numpy(), y.numpy())
        np.testing.assert_array_equal(out_cpu[4]["final_obs"].numpy(), out_one[4]["final_obs"].numpy())
        ended += int((out_cpu[2] | out_cpu[3]).sum())
    assert ended >= n  # every env's episode ended (and was reset) at least once


# --- reset distributions against Gymnasium ----------------------------------------------------------------------

NUM_RESETS = 20000
# the state compared is get_state() against Gymnasium's (state, or concat(qpos, qvel))
GYM_IDS = envs.GYM_IDS


def _gym_reset_states(gym_id: str, num: int) -> np.ndarray:
    """Gymnasium's own reset, `num` times from one seed: the states it starts episodes from."""
    g = gym.make(gym_id).unwrapped
    g.reset(seed=0)
    out = []
    for _ in range(num):
        g.reset()
        out.append(np.array(g.state) if hasattr(g, "state") else np.concatenate([g.data.qpos, g.data.qvel]))
    return np.array(out)


@pytest.mark.parametrize("env_id", sorted(GYM_IDS))
def test_reset_distribution_matches_gymnasium(env_id):
    """min, max, mean and std of each state coordinate over 20,000 resets, ours against Gymnasium's.

    Sampling error at n = 20,000 per side: mean within 6 sqrt(2 / n) std (= 0.06 std), std within 5%. Uniform
    coordinates (spread < 4 std; a uniform's is 3.46) reach their bounds to ~1e-4 of the width: min and max
    within 1% of the spread. Gaussian ones (Ant's and HalfCheetah's qvel) have no bounds and their extremes
    wander (4.9 vs 3.8 std seen): there the 1% and 99% quantiles, within 0.2 std (5 standard errors of the
    difference of two such quantiles, 0.037 std). Halving a reset range (e.g. pendulum's angle to +-pi/2) moves
    std by 50% and the bounds by 25%.
    """
    env = envs.make(env_id, num_envs=NUM_RESETS, device=DEVICE, seed=0)
    env.reset()
    ours = env.get_state().numpy().astype(np.float64)
    ref = _gym_reset_states(GYM_IDS[env_id], NUM_RESETS)
    assert ours.shape == ref.shape
    ref_std = ref.std(0)
    varies = ref_std > 0
    np.testing.assert_array_equal(ours[:, ~varies], ref[:, ~varies])  # coordinates without noise
    spread = ref.max(0) - ref.min(0)
    uniform = spread < 4 * ref_std
    low, high = (np.where(uniform, f(ours, 0), np.quantile(ours, q, 0)) for f, q in ((np.min, 0.01), (np.max, 0.99)))
    ref_low = np.where(uniform, ref.min(0), np.quantile(ref, 0.01, 0))
    ref_high = np.where(uniform, ref.max(0), np.quantile(ref, 0.99, 0))
    bound_tol = np.where(uniform, 0.01 * spread, 0.2 * ref_std)
    checks = {
        "mean": (ours.mean(0), ref.mean(0), 6 * np.sqrt(2 / NUM_RESETS) * ref_std),
        "std": (ours.std(0), ref_std, 0.05 * ref_std),
        "min (1% quantile where Gaussian)": (low, ref_low, bound_tol),
        "max (99% quantile where Gaussian)": (high, ref_high, bound_tol),
    }
    for stat, (a, b, tol) in checks.items():
        bad = np.flatnonzero(np.abs(a - b) > tol + 1e-7)
        assert not len(bad), f"{env_id} reset {stat} differs at state index {bad.tolist()}: {a[bad]} vs {b[bad]}"
    assert uniform.sum() >= min(2, ours.shape[1])  # the bounds check ran
