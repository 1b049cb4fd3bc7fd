"""ppo_warp.py --privileged-critic (asymmetric actor-critic): the rollout stores (obs, privileged_obs) rows, the actor
reads the observation columns only and the critic all of them, a truncation is bootstrapped from the final
observation paired with the privileged observation of the step before, and a run checkpoints, evaluates and
resumes bit for bit on anymal_c. An env that declares no privileged observations is refused before any work."""

import glob
import os
import runpy
import subprocess
import sys

import pytest
import torch
from test_ppo_wiring import ENDS, N, StubEnv, T, final_obs_of, hand_gae, load

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PPO_WARP = os.path.join(ROOT, "cleanppo", "ppo_warp.py")


def privileged_of(t, n):
    # the privileged observation after step t (t = -1: after the reset): unlike any observation column
    return [1000.0 + 10.0 * t + n]


class PrivilegedStubEnv(StubEnv):
    """StubEnv with a one-column info["privileged_obs"] that changes every step."""

    def __init__(self):
        super().__init__()
        self.info = {"privileged_obs": torch.tensor([privileged_of(-1, n) for n in range(N)])}

    def step(self, action):
        t = self.t
        out = super().step(action)
        self.info = {**out[4], "privileged_obs": torch.tensor([privileged_of(t, n) for n in range(N)])}
        return (*out[:4], self.info)


def critic_value(x):
    return x[..., 0] + 2.0 * x[..., 1] + 0.01 * x[..., 2]


class ActorOnObsAgent(torch.nn.Module):
    """The actor's mean is x0 (it must not see column 2); the critic V = x0 + 2 x1 + 0.01 x2."""

    def __init__(self):
        super().__init__()
        self.actor_logstd = torch.nn.Parameter(torch.zeros(1, 1))

    def get_value(self, x):
        return critic_value(x)

    def get_action_and_value(self, x, action=None):
        mean = x[..., :1]
        action = mean + 0.5 if action is None else action
        return action, -x[..., 0], torch.zeros(x.shape[:-1]), critic_value(x), mean


def test_rollout_stores_privileged_columns_and_bootstraps_with_them():
    m = load(PPO_WARP)
    env, agent = PrivilegedStubEnv(), ActorOnObsAgent()
    storage = m.make_storage(T, N, env.num_obs, env.num_actions, torch.device("cpu"), P=1)
    next_obs = torch.zeros(N, 3)
    m.observe(next_obs, env.obs.clone(), env.info)
    m.rollout(agent, env.step, storage, next_obs, (0.0, 1.0, 1e9))
    for t in range(T):  # row t: the observation before step t, then the privileged observation before it
        assert storage.obs[t, :, 2].tolist() == [privileged_of(t - 1, n)[0] for n in range(N)]
        torch.testing.assert_close(storage.values[t], critic_value(storage.obs[t]))
    assert next_obs[:, 2].tolist() == [privileged_of(T - 1, n)[0] for n in range(N)]
    assert storage.final_obs.shape == (T, N, 2)

    args = m.Args(gamma=0.9, gae_lambda=0.8)
    advantages, _ = m.advantages_and_returns(agent, storage, next_obs, (0.0, 1.0, 1e9), args)
    rewards = [[1.0 + 0.1 * t + n for n in range(N)] for t in range(T)]
    final_values = [
        [critic_value(torch.tensor(final_obs_of(t, n) + privileged_of(t - 1, n))).item() for n in range(N)]
        for t in range(T)
    ]
    values = storage.values.tolist()
    expected = hand_gae(rewards, values, final_values, ENDS, critic_value(next_obs).tolist(), 0.9, 0.8)
    torch.testing.assert_close(advantages, torch.tensor(expected), rtol=1e-5, atol=1e-5)


def test_actor_never_reads_privileged_columns_and_critic_does():
    m = load(PPO_WARP)
    torch.manual_seed(0)
    agent = m.Agent(5, 3, (16, 16), -1.0, "elu", num_privileged_obs=4)
    x = torch.randn(64, 9)
    poisoned = x.clone()
    poisoned[:, 5:] = float("nan")
    action = torch.randn(64, 3)
    a, logp, _, value, mean = agent.get_action_and_value(x, action)
    _, logp_p, _, value_p, mean_p = agent.get_action_and_value(poisoned, action)
    assert torch.equal(mean, mean_p) and torch.equal(logp, logp_p)  # bit-identical without the privileged columns
    assert torch.isnan(value_p).all() and torch.isfinite(value).all()  # the critic reads them
    shifted = x.clone()
    shifted[:, 5:] += 1.0
    assert not torch.equal(agent.get_value(shifted), value)


def test_frozen_norm_joins_both_statistics():
    m = load(PPO_WARP)
    obs_rms, priv_rms = m.RunningMeanStd(2), m.RunningMeanStd(3)
    obs_rms.update(torch.tensor([[1.0, 2.0], [3.0, 6.0]]))
    priv_rms.update(torch.tensor([[10.0, 0.0, 5.0], [30.0, 4.0, 5.0]]))
    mean, inv_std, clip = m.frozen_norm(obs_rms, priv_rms, True)
    torch.testing.assert_close(mean, torch.tensor([2.0, 4.0, 20.0, 2.0, 5.0]), rtol=1e-4, atol=1e-3)
    assert inv_std.shape == (5,) and clip == obs_rms.clip
    assert m.frozen_norm(obs_rms, priv_rms, False)[:2] == (0.0, 1.0)


def _run(*args, cwd):
    p = subprocess.run([sys.executable, PPO_WARP, *args], capture_output=True, text=True, cwd=cwd, timeout=600)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    return p


def test_anymal_c_run_evaluates_and_resumes_bit_for_bit(tmp_path):
    batch = 8 * 8
    common = ["--env-id", "anymal_c", "--privileged-critic", "--num-envs", "8", "--num-steps", "8"]
    common += ["--num-minibatches", "2", "--save-every", "1", "--quiet"]
    _run(*common, "--total-timesteps", str(6 * batch), "--log-dir", "full", cwd=tmp_path)
    _run(*common, "--total-timesteps", str(3 * batch), "--log-dir", "part", cwd=tmp_path)
    (part,) = glob.glob(str(tmp_path / "part" / "*" / "checkpoint.pt"))
    _run("--resume", part, "--total-timesteps", str(6 * batch), cwd=tmp_path)
    (full,) = glob.glob(str(tmp_path / "full" / "*" / "checkpoint.pt"))
    full, resumed = torch.load(full, weights_only=True), torch.load(part, weights_only=True)
    assert full["iteration"] == resumed["iteration"] == 6
    assert full["agent"]["critic.0.weight"].shape[1] == 48 + 13  # anymal_c: 48 observations, 13 privileged
    assert full["agent"]["actor_mean.0.weight"].shape[1] == 48 and full["obs_rms"]["mean"].shape == (48,)
    for name in ("agent", "obs_rms", "privileged_rms"):
        for key, value in full[name].items():
            assert torch.equal(value, resumed[name][key]), f"{name}.{key} differs after resume"
    assert torch.equal(full["next_obs"], resumed["next_obs"]) and full["next_obs"].shape == (8, 61)
    p = _run("--eval", part, "--eval-episodes", "2", cwd=tmp_path)
    assert "2 episodes" in p.stdout and "tracking_lin_vel" in p.stdout


def test_env_without_privileged_obs_is_refused(tmp_path, monkeypatch):
    # every registered env declares some (its parameter scales at least): a stand-in class declares none
    import envs

    class NoPrivileged:
        param_names, privileged_obs_names = (), ()

    monkeypatch.setattr(envs, "env_class", lambda env_id: NoPrivileged)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [PPO_WARP, "--env-id", "cartpole", "--privileged-critic"])
    with pytest.raises(SystemExit) as e:
        runpy.run_path(PPO_WARP, run_name="__main__")
    assert "--privileged-critic: env 'cartpole' declares no privileged observations" in str(e.value.code)
    assert not os.path.exists(tmp_path / "runs")
