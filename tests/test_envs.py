"""CartPole and Pendulum against Gymnasium step for step, determinism, perturbation knobs and bad input."""

import math

import gymnasium as gym
import numpy as np
import pytest
import torch
import warp as wp
from gymnasium.envs.classic_control.cartpole import CartPoleEnv
from gymnasium.envs.classic_control.pendulum import PendulumEnv

import envs

DEVICE = "cpu"
# float32 kernels against Gymnasium's float64, re-anchored every step: a few ulp. Measured max |error| of obs and
# final_obs: cartpole 2.4e-7 (4.8e-7 with a parameter scaled 1.7x), pendulum 2.2e-6; tolerances ~10x that.
CARTPOLE_ATOL = 5e-6
PENDULUM_ATOL = 2e-5


def _gym_cartpole(**params):
    env = CartPoleEnv()
    for name, value in params.items():
        setattr(env, name, value)
    env.total_mass = env.masspole + env.masscart
    env.polemass_length = env.masspole * env.length
    return env


def _run_parity(env, gym_envs, policy, steps, atol, to_gym_action, state_atol=None):
    """Step a WarpEnv and one Gymnasium env per row side by side; re-sync rows that finished."""
    n = env.num_envs
    limit = env.max_episode_steps
    elapsed = np.zeros(n, dtype=int)
    rng = np.random.default_rng(0)
    states = []
    for i, g in enumerate(gym_envs):
        g.reset(seed=1000 + i)
        states.append(np.array(g.state, dtype=np.float64))
    env.reset()
    env.set_state(torch.tensor(np.array(states), dtype=torch.float32))
    done_count = {"terminated": 0, "truncated": 0}
    for t in range(steps):
        gym_states = np.array([g.state for g in gym_envs], dtype=np.float64)
        actions = policy(gym_states, rng)
        obs, reward, terminated, truncated, info = env.step(torch.tensor(actions, dtype=torch.float32))
        new_states = env.get_state().numpy().copy()
        for i, g in enumerate(gym_envs):
            g_obs, g_rew, g_term, _, _ = g.step(to_gym_action(actions[i]))
            elapsed[i] += 1
            g_trunc = elapsed[i] >= limit
            assert bool(terminated[i]) == g_term, f"env {i} step {t}: terminated {bool(terminated[i])} vs {g_term}"
            assert bool(truncated[i]) == g_trunc, f"env {i} step {t}: truncated"
            # reward: measured relative error 1.1e-6 (pendulum, |r| <= 16.3), cartpole's is exact
            np.testing.assert_allclose(float(reward[i]), g_rew, rtol=1e-5, atol=atol, err_msg=f"env {i} step {t}")
            if g_term or g_trunc:
                done_count["terminated" if g_term else "truncated"] += 1
                np.testing.assert_allclose(info["final_obs"][i].numpy(), g_obs, atol=atol, err_msg=f"final_obs {i}")
                assert int(info["episode_length"][i]) == elapsed[i]
                g.reset(seed=int(rng.integers(1 << 30)))
                elapsed[i] = 0
                new_states[i] = g.state
            else:
                np.testing.assert_allclose(obs[i].numpy(), g_obs, atol=atol, err_msg=f"env {i} step {t}")
                new_states[i] = g.state  # re-anchor on the float64 reference so errors do not compound
        env.set_state(torch.tensor(new_states, dtype=torch.float32))
        # A re-synced row starts its episode at step 0 on both sides only if the env reset it too.
    return done_count


def test_cartpole_matches_gymnasium_random_actions_through_termination():
    n = 32
    env = envs.make("cartpole", num_envs=n, device=DEVICE, seed=3, max_episode_steps=60)
    gyms = [_gym_cartpole() for _ in range(n)]

    def policy(states, rng):
        return rng.choice([-1.0, 1.0], size=(len(states), 1))

    counts = _run_parity(env, gyms, policy, 150, CARTPOLE_ATOL, lambda a: int(a[0] > 0))
    assert counts["terminated"] > 10 and counts["truncated"] > 0, counts


def test_cartpole_matches_gymnasium_balancing_to_truncation_at_500():
    """A balancing controller keeps the pole up, so episodes end by Gymnasium's 500-step time limit."""
    n = 8
    env = envs.make("cartpole", num_envs=n, device=DEVICE, seed=5)
    gyms = [_gym_cartpole() for _ in range(n)]

    def policy(states, rng):
        push = states[:, 2] + 0.3 * states[:, 3] + 0.01 * states[:, 0] + 0.1 * states[:, 1]
        return np.where(push > 0, 1.0, -1.0)[:, None]

    counts = _run_parity(env, gyms, policy, 520, CARTPOLE_ATOL, lambda a: int(a[0] > 0))
    assert counts["truncated"] == n, counts


def test_pendulum_matches_gymnasium_to_truncation():
    n = 16
    env = envs.make("pendulum", num_envs=n, device=DEVICE, seed=1)
    gyms = [PendulumEnv() for _ in range(n)]

    def policy(states, rng):
        return rng.uniform(-1.3, 1.3, size=(len(states), 1))  # beyond [-1, 1]: exercises clipping

    counts = _run_parity(env, gyms, policy, 420, PENDULUM_ATOL, lambda a: np.clip(2.0 * a, -2.0, 2.0))
    assert counts["truncated"] == 2 * n and counts["terminated"] == 0, counts


def test_pendulum_free_rollout_stays_close_to_gymnasium():
    """Without re-anchoring: 200 steps of float32 against float64 from the same initial states."""
    n = 16
    env = envs.make("pendulum", num_envs=n, device=DEVICE, seed=1)
    gyms = [PendulumEnv() for _ in range(n)]
    for i, g in enumerate(gyms):
        g.reset(seed=i)
    env.set_state(torch.tensor(np.array([g.state for g in gyms]), dtype=torch.float32))
    rng = np.random.default_rng(1)
    for _ in range(199):
        a = rng.uniform(-1, 1, size=(n, 1)).astype(np.float32)
        obs, *_ = env.step(torch.from_numpy(a))
        g_obs = np.array([g.step(2.0 * a[i])[0] for i, g in enumerate(gyms)])
    np.testing.assert_allclose(obs.numpy(), g_obs, atol=2e-3)  # measured 2.2e-4 after 199 free steps


def test_cartpole_action_mapping_matches_discrete_actions():
    env = envs.make("cartpole", num_envs=2, device=DEVICE)
    g0, g1 = _gym_cartpole(), _gym_cartpole()
    for g in (g0, g1):
        g.reset(seed=0)
    env.set_state(torch.tensor(np.array([g0.state, g1.state]), dtype=torch.float32))
    obs, *_ = env.step(torch.tensor([[-1.0], [1.0]]))
    np.testing.assert_allclose(obs[0].numpy(), g0.step(0)[0], atol=1e-6)
    np.testing.assert_allclose(obs[1].numpy(), g1.step(1)[0], atol=1e-6)


# --- determinism -----------------------------------------------------------------------------------------


def _rollout(env_id, num_envs, seed, steps=120, **kw):
    env = envs.make(env_id, num_envs=num_envs, device=DEVICE, seed=seed, **kw)
    gen = torch.Generator().manual_seed(123)
    # Actions depend only on (step, env index), so env i sees the same actions whatever num_envs is.
    table = torch.rand(steps, 700, env.num_actions, generator=gen) * 2 - 1
    out = [torch.cat([env.reset(), torch.zeros(num_envs, 3)], 1)]
    for t in range(steps):
        obs, reward, term, trunc, info = env.step(table[t, :num_envs].contiguous())
        out.append(torch.cat([obs, reward[:, None], term[:, None].float(), trunc[:, None].float()], 1).clone())
    return torch.stack(out)


KNOBS = dict(obs_noise_std=0.1, action_noise_std=0.2, action_delay=(0, 2), max_episode_steps=40)


@pytest.mark.parametrize("env_id,scales", [("cartpole", {"pole_length_scale": (0.5, 1.5)}), ("pendulum", {})])
def test_same_seed_same_rollout_and_env_i_independent_of_num_envs(env_id, scales):
    a = _rollout(env_id, 8, seed=7, **KNOBS, **scales)
    b = _rollout(env_id, 8, seed=7, **KNOBS, **scales)
    assert torch.equal(a, b)
    big = _rollout(env_id, 700, seed=7, **KNOBS, **scales)  # several CPU thread blocks of envs
    assert torch.equal(a, big[:, :8])
    assert torch.equal(_rollout(env_id, 300, seed=7, **KNOBS, **scales), big[:, :300])
    other_seed = _rollout(env_id, 8, seed=8, **KNOBS, **scales)
    assert not torch.equal(a, other_seed)


def test_reset_with_seed_restarts_the_streams():
    env = envs.make("pendulum", num_envs=16, device=DEVICE, seed=0)
    first = env.reset(seed=42).clone()
    env.reset()
    assert not torch.equal(env.observations, first)
    assert torch.equal(env.reset(seed=42), first)


def test_rng_golden_values():
    """Pins the counter-based stream, so a change to it (and to every seeded result) is deliberate."""
    from kernels.rng import sample_uniform

    draws = sample_uniform(seed=0, counter=0, num_envs=2, num_draws=3).numpy()
    golden = np.array([[0.46597, 0.64538, 0.39192], [0.78658, 0.46621, 0.34634]])
    np.testing.assert_allclose(draws, golden, atol=1e-5)  # golden values rounded to 5 decimals: error <= 5e-6
    later = sample_uniform(seed=0, counter=5, num_envs=2, num_draws=3).numpy()
    assert not np.allclose(later, draws)


# --- perturbation knobs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("delay", [1, 3])
def test_action_delay_applies_the_action_k_steps_later(delay):
    n, steps = 16, 25  # short enough that no episode ends
    delayed = envs.make("pendulum", num_envs=n, device=DEVICE, seed=0, action_delay=delay)
    direct = envs.make("pendulum", num_envs=n, device=DEVICE, seed=0)
    delayed.set_state(direct.get_state().clone())
    actions = torch.rand(steps, n, 1) * 2 - 1
    for t in range(steps):
        o1, *_ = delayed.step(actions[t])
        expected = actions[t - delay] if t >= delay else torch.zeros(n, 1)
        torch.testing.assert_close(delayed.applied_actions, expected)
        o2, *_ = direct.step(expected)
        torch.testing.assert_close(o1, o2, rtol=0, atol=0)


def test_action_delay_range_draws_per_env_delays():
    env = envs.make("cartpole", num_envs=512, device=DEVICE, action_delay=(1, 3))
    delays = env.action_delays
    assert set(delays.tolist()) == {1, 2, 3}


def test_observation_noise_has_the_stated_std():
    std = 0.3
    env = envs.make("pendulum", num_envs=20000, device=DEVICE, seed=2, obs_noise_std=std)
    obs = env.reset()
    th, thdot = env.get_state().unbind(1)
    clean = torch.stack([torch.cos(th), torch.sin(th), thdot], 1)
    noise = obs - clean
    assert noise.mean().abs() < 0.01
    torch.testing.assert_close(noise.std(0), torch.full((3,), std), atol=0.01, rtol=0)
    obs, *_ = env.step(torch.zeros(20000, 1))
    th, thdot = env.get_state().unbind(1)
    noise = obs - torch.stack([torch.cos(th), torch.sin(th), thdot], 1)
    torch.testing.assert_close(noise.std(0), torch.full((3,), std), atol=0.01, rtol=0)


def test_action_noise_has_the_stated_std_and_is_clipped():
    std = 0.1
    env = envs.make("cartpole", num_envs=20000, device=DEVICE, seed=2, action_noise_std=std)
    env.step(torch.zeros(20000, 1))
    applied = env.applied_actions[:, 0]
    assert abs(float(applied.std()) - std) < 0.005 and abs(float(applied.mean())) < 0.005
    env.step(torch.ones(20000, 1))
    assert float(env.applied_actions.max()) <= 1.0 and float(env.applied_actions.min()) < 1.0


@pytest.mark.parametrize("env_id", ["cartpole", "ant"])
def test_applied_actions_without_knobs_are_the_clipped_actions(env_id):
    env = envs.make(env_id, num_envs=4, device=DEVICE, seed=0)
    actions = torch.linspace(-2.0, 2.0, 4 * env.num_actions).reshape(4, env.num_actions)
    env.step(actions)
    torch.testing.assert_close(env.applied_actions, actions.clamp(-1.0, 1.0), rtol=0, atol=0)


def test_cartpole_parameter_scales_follow_the_equations():
    """Scaled pole length, masses and gravity equal Gymnasium's CartPole with those values."""
    scales = dict(pole_length_scale=2.0, pole_mass_scale=3.0, cart_mass_scale=0.5, gravity_scale=1.5)
    n = 8
    env = envs.make("cartpole", num_envs=n, device=DEVICE, seed=1, max_episode_steps=40, **scales)
    gyms = [_gym_cartpole(length=1.0, masspole=0.3, masscart=0.5, gravity=14.7) for _ in range(n)]

    def policy(states, rng):
        return rng.choice([-1.0, 1.0], size=(len(states), 1))

    _run_parity(env, gyms, policy, 60, CARTPOLE_ATOL, lambda a: int(a[0] > 0))
    torch.testing.assert_close(env.info["privileged_obs"], torch.tensor([[2.0, 3.0, 0.5, 1.5]] * n))


def test_pendulum_parameter_scales_follow_the_equations():
    n = 8
    env = envs.make("pendulum", num_envs=n, device=DEVICE, seed=1, mass_scale=2.0, length_scale=0.5, gravity_scale=0.9)
    gyms = [PendulumEnv(g=9.0) for _ in range(n)]
    for g in gyms:
        g.m, g.l = 2.0, 0.5

    def policy(states, rng):
        return rng.uniform(-1, 1, size=(len(states), 1))

    _run_parity(env, gyms, policy, 50, PENDULUM_ATOL, lambda a: 2.0 * a)


# knob -> (Gymnasium attribute, nominal value): one knob at a time, each against Gymnasium with that value
CARTPOLE_KNOBS = {
    "pole_length": ("length", 0.5),
    "pole_mass": ("masspole", 0.1),
    "cart_mass": ("masscart", 1.0),
    "gravity": ("gravity", 9.8),
}
PENDULUM_KNOBS = {"mass": ("m", 1.0), "length": ("l", 1.0), "gravity": ("g", 10.0)}


def _random_sign(states, rng):
    return rng.choice([-1.0, 1.0], size=(len(states), 1))


def _random_torque(states, rng):
    return rng.uniform(-1, 1, size=(len(states), 1))


def _knob_parity(env_id, knob, attr, value, scale):
    """Parity of env_id with `<knob>_scale=scale` against Gymnasium whose `attr` is value (AssertionError if not)."""
    n = 8
    env = envs.make(env_id, num_envs=n, device=DEVICE, seed=1, max_episode_steps=40, **{f"{knob}_scale": scale})
    if env_id == "cartpole":
        gyms = [_gym_cartpole(**{attr: value}) for _ in range(n)]
        _run_parity(env, gyms, _random_sign, 60, CARTPOLE_ATOL, lambda a: int(a[0] > 0))
    else:
        gyms = [PendulumEnv() for _ in range(n)]
        for g in gyms:
            setattr(g, attr, value)
        _run_parity(env, gyms, _random_torque, 60, PENDULUM_ATOL, lambda a: 2.0 * a)


@pytest.mark.parametrize(
    "env_id, knob",
    [("cartpole", k) for k in CARTPOLE_KNOBS] + [("pendulum", k) for k in PENDULUM_KNOBS],
)
def test_each_parameter_knob_equals_gymnasium_with_that_parameter(env_id, knob):
    attr, nominal = (CARTPOLE_KNOBS if env_id == "cartpole" else PENDULUM_KNOBS)[knob]
    scale = 1.7
    _knob_parity(env_id, knob, attr, nominal * scale, scale)
    with pytest.raises(AssertionError):  # the knob matters: Gymnasium's nominal model is outside the tolerance
        _knob_parity(env_id, knob, attr, nominal, scale)


def test_parameter_ranges_are_redrawn_per_episode():
    env = envs.make("cartpole", num_envs=256, device=DEVICE, seed=0, gravity_scale=(0.5, 2.0), max_episode_steps=5)
    first = env.param_scales[:, 3].clone()
    assert float(first.min()) >= 0.5 and float(first.max()) <= 2.0 and float(first.std()) > 0.2
    for _ in range(5):
        env.step(torch.zeros(256, 1))
    second = env.param_scales[:, 3]
    assert float(second.min()) >= 0.5 and float(second.max()) <= 2.0
    assert not torch.equal(first, second)
    torch.testing.assert_close(env.param_scales[:, 0], torch.ones(256))  # unrandomized parameters stay nominal


# --- the step contract ------------------------------------------------------------------------------------


def test_autoreset_final_obs_and_episode_statistics():
    env = envs.make("pendulum", num_envs=4, device=DEVICE, seed=0, max_episode_steps=10)
    twin = envs.make("pendulum", num_envs=4, device=DEVICE, seed=0)  # same episodes, no time limit
    total = torch.zeros(4)
    actions = torch.rand(10, 4, 1) * 2 - 1
    for t in range(10):
        obs, reward, term, trunc, info = env.step(actions[t])
        twin_obs, *_ = twin.step(actions[t])
        total += reward
        assert bool(trunc.all()) == (t == 9) and not term.any()
    torch.testing.assert_close(info["final_obs"], twin_obs)
    torch.testing.assert_close(info["episode_return"], total)
    assert info["episode_length"].tolist() == [10] * 4
    assert not torch.allclose(obs, twin_obs)  # obs is the next episode's first observation
    assert env.episode_step.tolist() == [0] * 4
    assert sorted(info) == ["episode_length", "episode_return", "final_obs", "privileged_obs", "reward_terms"]


def test_reward_terms_sum_to_the_reward():
    env = envs.make("pendulum", num_envs=64, device=DEVICE, seed=0)
    _, reward, _, _, info = env.step(torch.rand(64, 1) * 2 - 1)
    torch.testing.assert_close(info["reward_terms"].sum(1), reward)
    assert env.reward_term_names == ("angle", "velocity", "action")


def test_contract_attributes():
    assert {"cartpole", "pendulum"} <= set(envs.list_envs())
    env = envs.make("cartpole", num_envs=3, device="auto", seed=0)
    assert (env.num_envs, env.num_obs, env.num_actions, env.num_privileged_obs) == (3, 4, 1, 4)
    assert env.device == "cpu" and env.dt == 0.02 and env.max_episode_steps == 500
    obs = env.reset(seed=1)
    assert obs.dtype == torch.float32 and obs.shape == (3, 4)
    obs, reward, term, trunc, info = env.step(torch.zeros(3, 1))
    assert reward.dtype == torch.float32 and term.dtype == torch.bool and trunc.dtype == torch.bool
    assert env.get_state().shape == (3, 4)
    penv = envs.make("pendulum", num_envs=2, device="cpu")
    assert penv.dt == 0.05 and penv.max_episode_steps == 200 and penv.get_state().shape == (2, 2)


def test_set_state_round_trip_and_gymnasium_registration_unchanged():
    env = envs.make("cartpole", num_envs=2, device=DEVICE)
    s = torch.tensor([[0.1, 0.2, 0.03, -0.1], [-1.0, 0.0, 0.1, 0.5]])
    env.set_state(s)
    torch.testing.assert_close(env.get_state(), s)
    assert gym.spec("CartPole-v1").max_episode_steps == 500  # our truncation constant mirrors it


# --- bad input --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(env_id="catpole"), "unknown env id 'catpole'"),
        (dict(num_envs=0), "num_envs must be an integer >= 1, got 0"),
        (dict(num_envs=-5), "got -5"),
        (dict(num_envs=2.5), "got 2.5"),
        (dict(seed="x"), "seed must be an integer"),
        (dict(device="tpu"), "device 'tpu'"),
        (dict(obs_noise_std=-0.1), "obs_noise_std must be a finite number >= 0.*-0.1"),
        (dict(action_noise_std=math.nan), "action_noise_std.*nan"),
        (dict(obs_noise_std=(0.1, 0.2)), "obs_noise_std takes one value"),
        (dict(action_delay=-1), "action_delay must be an integer >= 0.*-1"),
        (dict(action_delay=1.5), "action_delay.*1.5"),
        (dict(action_delay=(3, 1)), r"action_delay range must have lo <= hi, got \(3, 1\)"),
        (dict(pole_length_scale=0.0), "pole_length_scale must be a finite number > 0.*0.0"),
        (dict(gravity_scale=(1.0, math.inf)), "gravity_scale"),
        (dict(gravity_scale=(1, 2, 3)), "gravity_scale"),
        (dict(max_episode_steps=0), "max_episode_steps must be an integer >= 1, got 0"),
        (dict(pole_length=math.nan), "pole_length must be a finite number, got nan"),
        (dict(tau=0.0), "control time step must be > 0 s, got 0.0"),
    ],
)
def test_bad_make_arguments_raise_naming_the_value(kwargs, match):
    kwargs = dict(kwargs)
    env_id = kwargs.pop("env_id", "cartpole")
    with pytest.raises(ValueError, match=match):
        envs.make(env_id, **{"num_envs": 2, "device": DEVICE, **kwargs})


def test_unknown_override_names_it():
    with pytest.raises(TypeError, match="unknown override 'mass_scale' for env 'cartpole'"):
        envs.make("cartpole", num_envs=2, device=DEVICE, mass_scale=2.0)


@pytest.mark.parametrize(
    "actions,exc,match",
    [
        (torch.zeros(3, 1), ValueError, r"shape \(4, 1\), got \(3, 1\)"),
        (torch.zeros(4), ValueError, r"shape \(4, 1\), got \(4,\)"),
        (torch.zeros(4, 1, dtype=torch.float64), ValueError, "torch.float32, got torch.float64"),
        (np.zeros((4, 1), dtype=np.float32), TypeError, "torch.Tensor, got ndarray"),
    ],
)
def test_bad_actions_raise(actions, exc, match):
    env = envs.make("cartpole", num_envs=4, device=DEVICE)
    with pytest.raises(exc, match=match):
        env.step(actions)


def test_nan_action_raises_naming_the_env_and_leaves_it_unstepped():
    env = envs.make("pendulum", num_envs=4, device=DEVICE)
    before = env.get_state().clone()
    actions = torch.zeros(4, 1)
    actions[2, 0] = math.nan
    with pytest.raises(ValueError, match=r"non-finite values in 1 env\(s\), first at env 2.*no env was stepped"):
        env.step(actions)
    torch.testing.assert_close(env.get_state()[2], before[2])
    torch.testing.assert_close(env.get_state(), before)  # no env was stepped
    env.step(torch.zeros(4, 1))  # the env keeps working afterwards


def test_bad_state_raises():
    env = envs.make("cartpole", num_envs=2, device=DEVICE)
    with pytest.raises(ValueError, match=r"state must have shape \(2, 4\)"):
        env.set_state(torch.zeros(2, 3))
    bad = torch.zeros(2, 4)
    bad[1, 2] = math.inf
    with pytest.raises(ValueError, match=r"non-finite value at \[env, index\] = \[1, 2\]"):
        env.set_state(bad)
    with pytest.raises(ValueError, match="seed must be an integer or None"):
        env.reset(seed=1.5)


@pytest.mark.parametrize("env_id", ["cartpole", "ant"])
def test_state_dict_round_trip_continues_exactly(env_id):
    """A fresh env loaded with another's state_dict continues step for step (simulator arrays included)."""
    kw = dict(num_envs=6, device=DEVICE, seed=3, obs_noise_std=0.05, action_delay=(0, 2), max_episode_steps=7)
    a = envs.make(env_id, **kw)
    gen = torch.Generator().manual_seed(0)
    actions = torch.rand(12, 6, a.num_actions, generator=gen) * 2 - 1
    for t in range(5):
        a.step(actions[t])
    saved = a.state_dict()
    expected = [
        torch.cat([o.clone(), r[:, None].clone()], 1) for o, r, *_ in (a.step(actions[t]) for t in range(5, 12))
    ]
    b = envs.make(env_id, **{**kw, "seed": 99})
    b.load_state_dict(saved)
    for t in range(5, 12):
        o, r, *_ = b.step(actions[t])
        torch.testing.assert_close(torch.cat([o, r[:, None]], 1), expected[t - 5], rtol=0, atol=0)
    with pytest.raises(ValueError, match="bytes"):
        envs.make(env_id, **{**kw, "num_envs": 5}).load_state_dict(saved)
    if env_id == "ant":
        # the model's constants (rebuilt from the env's arguments) are not saved, the randomized scales are; a
        # checkpoint that holds the constants (written before they were left out) and one from before the simulator
        # gained arrays it rebuilds itself (the torsional / rolling friction fields: scratch arrays and the torque
        # readouts every step rewrites) both load and continue exactly; dropping a state array (qvel) or a randomized
        # scale does not load
        assert "sim.body_mass" not in saved and "sim.geom_friction_scale" in saved and "sim.qvel" in saved
        constants = {}
        for name, x in a._device_arrays().items():
            if name not in saved:
                nbytes = x.size * wp.types.type_size_in_bytes(x.dtype)
                constants[name] = wp.to_torch(wp.array(ptr=x.ptr, dtype=wp.uint8, shape=(nbytes,), device=x.device))
        assert "sim.body_mass" in constants and not any(k.endswith("_scale") for k in constants)
        added = ("contact_angvel", "pair_mu_ang", "pair_aref_rot", "contact_trq", "pair_trq")
        old = {k: v for k, v in saved.items() if k.removeprefix("sim.") not in added}
        assert {"sim.contact_angvel", "sim.contact_trq"} <= set(saved) - set(old)
        for state in ({**saved, **constants}, old):
            c = envs.make(env_id, **{**kw, "seed": 99})
            c.load_state_dict(state)
            for t in range(5, 12):
                o, r, *_ = c.step(actions[t])
                torch.testing.assert_close(torch.cat([o, r[:, None]], 1), expected[t - 5], rtol=0, atol=0)
        for key in ("sim.qvel", "sim.geom_friction_scale"):
            with pytest.raises(ValueError, match="keys differ"):
                c.load_state_dict({k: v for k, v in saved.items() if k != key})
