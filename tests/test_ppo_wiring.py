"""The PPO wiring of every script that trains (cleanppo/ppo_warp.py, cleanppo/ppo_gym.py), driven through the
scripts' own functions with a stub env and a stub agent: the rollout stores what the env returned, the advantages
and returns equal a hand computation (truncations bootstrapped from `final_obs`, not from the reset observation),
every copy of compute_gae agrees with a reference on random inputs, and the clipped loss is checked on a
constructed batch. Fast: no env is compiled, no script runs as a subprocess."""

import ast
import glob
import importlib.util
import math
import os

import numpy as np
import pytest
import torch
import torch.nn as nn
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = [os.path.join(ROOT, "cleanppo", "ppo_warp.py"), os.path.join(ROOT, "cleanppo", "ppo_gym.py")]
_modules = {}


def load(script):
    # the scripts are not a package (CleanRL's rule): load each file as a module; its main block does not run
    if script not in _modules:
        spec = importlib.util.spec_from_file_location(f"{os.path.basename(script)[:-3]}_under_test", script)
        _modules[script] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_modules[script])
    return _modules[script]


# --- a stub env with episodes that end at known steps, and a stub agent ----------------------------------------

T, N = 5, 4
# (step, env) -> how the episode ends there; env 3 never ends (bootstrapped from next_value)
ENDS = {(1, 0): "truncated", (3, 0): "terminated", (2, 1): "terminated", (0, 2): "truncated", (4, 2): "both"}


def reset_obs(n):
    return [-1.0, float(n)]


def final_obs_of(t, n):
    # the last observation of an episode ending at step t: unlike the reset observation and any stored one
    return [10.0 * (t + 1), float(n + 5)]


class StubEnv:
    """Steps a fixed schedule: observations [steps since reset, env index], reward 1 + 0.1 t + n, episodes ending as
    ENDS says, with the Warp env contract's autoreset (obs is the next episode's first) and info["final_obs"]."""

    num_envs, num_obs, num_actions = N, 2, 1

    def __init__(self):
        self.t, self.obs = 0, torch.tensor([reset_obs(n) for n in range(N)])
        self.ep_return = torch.zeros(N)
        self.actions = []

    def step(self, action):
        self.actions.append(action.clone())
        t = self.t
        reward = torch.tensor([1.0 + 0.1 * t + n for n in range(N)])
        terminated = torch.tensor([ENDS.get((t, n)) in ("terminated", "both") for n in range(N)])
        truncated = torch.tensor([ENDS.get((t, n)) in ("truncated", "both") for n in range(N)])
        done = terminated | truncated
        nxt = torch.stack([self.obs[:, 0] + 1.0, self.obs[:, 1]], dim=1)
        final = torch.where(done[:, None], torch.tensor([final_obs_of(t, n) for n in range(N)]), nxt)
        self.obs = torch.where(done[:, None], torch.tensor([reset_obs(n) for n in range(N)]), nxt)
        self.ep_return += reward
        info = {"final_obs": final, "episode_return": self.ep_return.clone(), "episode_length": torch.full((N,), 7.0)}
        self.ep_return[done] = 0.0
        self.t += 1
        return self.obs.clone(), reward, terminated, truncated, info


def stub_value(x):
    return x[..., 0] + 2.0 * x[..., 1]


class StubAgent(nn.Module):
    """V(x) = x0 + 2 x1; the policy's mean is x0, its action mean + 0.5 (no sampling), log prob -x0."""

    def __init__(self):
        super().__init__()
        self.actor_logstd = nn.Parameter(torch.zeros(1, 1))

    def get_value(self, x):
        return stub_value(x)

    def get_action_and_value(self, x, action=None):
        mean = x[..., :1]
        action = mean + 0.5 if action is None else action
        return action, -x[..., 0], torch.zeros(x.shape[:-1]), stub_value(x), mean


def hand_gae(rewards, values, final_values, ends, next_values_last, gamma, lam):
    """Per env, backwards, in Python floats: a termination ends the recursion with no bootstrap; a truncation (and
    only a truncation) ends it bootstrapped with V(final_obs); otherwise the next step's value."""
    T, N = len(rewards), len(rewards[0])
    adv = [[0.0] * N for _ in range(T)]
    for n in range(N):
        a = 0.0
        for t in reversed(range(T)):
            end = ends.get((t, n))
            if end in ("terminated", "both"):
                a = rewards[t][n] - values[t][n]
            elif end == "truncated":
                a = rewards[t][n] + gamma * final_values[t][n] - values[t][n]
            else:
                v_next = next_values_last[n] if t == T - 1 else values[t + 1][n]
                a = rewards[t][n] + gamma * v_next - values[t][n] + gamma * lam * a
            adv[t][n] = a
    return adv


@pytest.mark.parametrize("script", SCRIPTS, ids=os.path.basename)
def test_rollout_and_advantages_equal_hand_computation(script):
    m = load(script)
    env, agent = StubEnv(), StubAgent()
    storage = m.make_storage(T, N, env.num_obs, env.num_actions, torch.device("cpu"))
    next_obs = env.obs.clone()
    obs_norm = (0.0, 1.0, 1e9)  # identity normalization: the stub's values are those of the raw observations
    m.rollout(agent, env.step, storage, next_obs, obs_norm)

    # the rollout stored what the agent chose and what the env returned, step by step
    replay = StubEnv()
    for t in range(T):
        torch.testing.assert_close(storage.obs[t], replay.obs)
        torch.testing.assert_close(storage.actions[t], replay.obs[:, :1] + 0.5)
        torch.testing.assert_close(env.actions[t], replay.obs[:, :1] + 0.5)
        torch.testing.assert_close(storage.values[t], stub_value(replay.obs))
        torch.testing.assert_close(storage.logprobs[t], -replay.obs[:, 0])
        obs, reward, terminated, truncated, info = replay.step(storage.actions[t])
        torch.testing.assert_close(storage.rewards[t], reward)
        assert torch.equal(storage.terminateds[t], terminated) and torch.equal(storage.truncateds[t], truncated)
        torch.testing.assert_close(storage.final_obs[t], info["final_obs"])
        torch.testing.assert_close(storage.ep_returns[t], info["episode_return"])
    torch.testing.assert_close(next_obs, replay.obs)

    gamma, lam = 0.9, 0.8
    args = m.Args(gamma=gamma, gae_lambda=lam, reward_scale=0.5)
    advantages, returns = m.advantages_and_returns(agent, storage, next_obs, obs_norm, args)

    rewards = [[0.5 * (1.0 + 0.1 * t + n) for n in range(N)] for t in range(T)]
    values = storage.values.tolist()
    final_values = [[stub_value(torch.tensor(final_obs_of(t, n))).item() for n in range(N)] for t in range(T)]
    expected = hand_gae(rewards, values, final_values, ENDS, stub_value(next_obs).tolist(), gamma, lam)
    torch.testing.assert_close(advantages, torch.tensor(expected), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(returns, torch.tensor(expected) + storage.values, rtol=1e-5, atol=1e-5)
    # spelled out: env 0 is truncated at t=1 from obs [0, 0] (V = 0) with final_obs [20, 5] (V = 30), reward 0.55
    assert advantages[1, 0].item() == pytest.approx(0.55 + 0.9 * 30.0 - 0.0)


# --- every copy of compute_gae agrees with a reference on random inputs --------------------------------------------


def compute_gae_copies():
    """compute_gae of every cleanppo/ script that defines one, compiled from its source alone (no script runs)."""
    copies = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "cleanppo", "*.py"))):
        source = open(path).read()
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef) and node.name == "compute_gae":
                namespace = {"torch": torch}
                exec(compile(ast.Module(body=[node], type_ignores=[]), path, "exec"), namespace)
                copies[os.path.basename(path)] = namespace["compute_gae"]
    return copies


def reference_gae(rewards, values, terminated, truncated, final_values, next_value, gamma, lam):
    T, N = rewards.shape
    adv = np.zeros((T, N))
    for n in range(N):
        a = 0.0
        for t in reversed(range(T)):
            if terminated[t, n]:
                a = rewards[t, n] - values[t, n]
            elif truncated[t, n]:
                a = rewards[t, n] + gamma * final_values[t, n] - values[t, n]
            else:
                v_next = next_value[n] if t == T - 1 else values[t + 1, n]
                a = rewards[t, n] + gamma * v_next - values[t, n] + gamma * lam * a
            adv[t, n] = a
    return adv


def test_every_training_script_has_a_compute_gae():
    assert {"ppo_warp.py", "ppo_gym.py"} <= set(compute_gae_copies())


@settings(max_examples=60, deadline=None)
@given(
    T=st.integers(1, 7),
    N=st.integers(1, 4),
    seed=st.integers(0, 2**31 - 1),
    p_term=st.floats(0.0, 0.6),
    p_trunc=st.floats(0.0, 0.6),
    gamma=st.floats(0.5, 1.0),
    lam=st.floats(0.0, 1.0),
)
def test_compute_gae_copies_agree_with_reference(T, N, seed, p_term, p_trunc, gamma, lam):
    rng = np.random.default_rng(seed)
    rewards, values, final_values = (rng.normal(size=(T, N)) for _ in range(3))
    terminated, truncated = rng.random((T, N)) < p_term, rng.random((T, N)) < p_trunc
    next_value = rng.normal(size=N)
    expected = reference_gae(rewards, values, terminated, truncated, final_values, next_value, gamma, lam)
    f32 = lambda x: torch.tensor(x, dtype=torch.float32)  # noqa: E731
    for name, compute_gae in compute_gae_copies().items():
        advantages, returns = compute_gae(
            f32(rewards), f32(values), torch.tensor(terminated), torch.tensor(truncated), f32(final_values),
            f32(next_value), gamma, lam,
        )  # fmt: skip
        np.testing.assert_allclose(advantages.numpy(), expected, rtol=1e-4, atol=1e-4, err_msg=name)
        np.testing.assert_allclose(returns.numpy(), expected + values, rtol=1e-4, atol=1e-4, err_msg=name)


# --- the clipped loss on a constructed batch -----------------------------------------------------------------------


class LossStubAgent(nn.Module):
    """New log prob = x0 (the stored ones are 0, so the ratio is exp(x0)), value = x1, entropy = x2, mean 0."""

    def __init__(self):
        super().__init__()
        self.actor_logstd = nn.Parameter(torch.zeros(1, 1))

    def get_action_and_value(self, x, action=None):
        return action, x[:, 0], x[:, 2], x[:, 1], torch.zeros(x.shape[0], 1)


@pytest.mark.parametrize("script", SCRIPTS, ids=os.path.basename)
def test_clipped_loss_on_constructed_batch(script):
    m = load(script)
    ratios = [1.5, 0.5, 1.5, 0.5, 1.1]
    advantages = [1.0, 1.0, -1.0, -1.0, 2.0]
    x = torch.tensor([[math.log(r), 0.0, 0.3] for r in ratios], requires_grad=True)
    returns, values = torch.tensor([1.0, 2.0, 0.0, -1.0, 0.5]), torch.zeros(5)
    b = dict(obs=x, actions=torch.zeros(5, 1), logprobs=torch.zeros(5), mus=torch.zeros(5, 1),
             advantages=torch.tensor(advantages), returns=returns, values=values)  # fmt: skip
    args = m.Args(clip_coef=0.2, norm_adv=False, clip_vloss=False)
    pg_loss, v_loss, entropy, kl, clipfrac = m.ppo_loss(LossStubAgent(), b, torch.arange(5), torch.ones(1, 1), args)

    # per sample, the pessimistic (larger) of -A r and -A clip(r, 0.8, 1.2):
    #   r 1.5, A  1: max(-1.5, -1.2) = -1.2 (clipped)     r 0.5, A  1: max(-0.5, -0.8) = -0.5
    #   r 1.5, A -1: max( 1.5,  1.2) =  1.5               r 0.5, A -1: max( 0.5,  0.8) =  0.8 (clipped)
    #   r 1.1, A  2: -2.2 (inside the clip range)
    assert pg_loss.item() == pytest.approx((-1.2 - 0.5 + 1.5 + 0.8 - 2.2) / 5, abs=1e-6)
    assert v_loss.item() == pytest.approx(0.5 * (1.0 + 4.0 + 0.0 + 1.0 + 0.25) / 5, abs=1e-6)
    assert entropy.item() == pytest.approx(0.3, abs=1e-6)
    assert clipfrac.item() == pytest.approx(0.8) and kl.item() == pytest.approx(0.0, abs=1e-7)
    # the clipped samples get no gradient; the others d(-A r)/d log r / 5 = -A r / 5
    pg_loss.backward()
    torch.testing.assert_close(x.grad[:, 0], torch.tensor([0.0, -0.1, 0.3, 0.0, -0.44]), rtol=1e-5, atol=1e-6)

    # the value loss clipped as in the paper: max of the unclipped and the clipped error
    args = m.Args(clip_coef=0.2, norm_adv=False, clip_vloss=True)
    b["obs"] = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.1, 0.0]])  # new values 1.0 and 0.1, old values 0
    b = {k: v[:2] for k, v in b.items()}
    b["returns"] = torch.tensor([0.5, 1.0])
    _, v_loss, *_ = m.ppo_loss(LossStubAgent(), b, torch.arange(2), torch.ones(1, 1), args)
    # sample 0: unclipped (1 - 0.5)^2 = 0.25, clipped (0.2 - 0.5)^2 = 0.09; sample 1: 0.81 and (0.1 - 1)^2 = 0.81
    assert v_loss.item() == pytest.approx(0.5 * (0.25 + 0.81) / 2, abs=1e-6)
