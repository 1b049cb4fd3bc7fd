"""envs/adapters.py against the real libraries: each view's interface (spaces, autoreset with the final observation,
truncation vs termination, episode statistics, copies), then a short PPO run per library on cartpole whose
deterministic policy returns more after training than before, measured on the same 64 seeded episodes.

The libraries come with the `adapters` extra (in `dev` too): a missing one fails these tests, it does not skip them.
"""

import math

import numpy as np
import pytest
import torch

import envs
from envs.adapters import to_gymnasium, to_rsl_rl, to_sb3, to_skrl

N = 16
EPISODE = 200  # shorter than CartPole-v1's 500: training runs reach the time limit, so truncation is exercised
THETA_LIMIT = 12 * 2 * math.pi / 360  # cartpole's termination angle, rad
RESET_NOISE = 0.05  # cartpole's reset half-width


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The networks here are tiny: one thread is faster than several fighting over a loaded machine's cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _cartpole(num_envs=N, seed=0, **knobs):
    return envs.make("cartpole", num_envs=num_envs, device="cpu", seed=seed, **knobs)


def _mean_return(policy, seed=123, num_envs=64) -> float:
    """Mean return of the first episode of `num_envs` seeded cartpoles under `policy` (torch obs -> actions)."""
    env = _cartpole(num_envs, seed, max_episode_steps=EPISODE)
    obs = env.reset()
    total = torch.zeros(num_envs)
    alive = torch.ones(num_envs, dtype=torch.bool)
    with torch.no_grad():
        for _ in range(EPISODE):
            actions = torch.as_tensor(policy(obs.clone()), dtype=torch.float32).reshape(num_envs, 1)
            obs, reward, terminated, truncated, _ = env.step(actions)
            total += reward * alive
            alive &= ~(terminated | truncated)
    assert not alive.any()
    return float(total.mean())


def _assert_learned(before: float, after: float) -> None:
    # an untrained deterministic policy keeps the pole up ~45 steps; these few PPO iterations reach ~160-200
    assert after >= before + 50, f"mean return {before:.1f} before training, {after:.1f} after"


def _is_terminal(obs: np.ndarray) -> np.ndarray:
    """Cartpole's termination condition on observations [..., 4] (x, x_dot, theta, theta_dot)."""
    return (np.abs(obs[..., 0]) > 2.4) | (np.abs(obs[..., 2]) > THETA_LIMIT)


# --- every adapter -----------------------------------------------------------------------------------------


def _np(x) -> np.ndarray:
    return x.numpy() if isinstance(x, torch.Tensor) else x


def _first_obs_and_stepper(name: str, env):
    """(first observation as numpy, a function: action value -> next observation) through the named adapter."""
    actions = torch.full((env.num_envs, env.num_actions), 0.5)
    if name in ("gymnasium", "gymnasium-torch"):
        a = to_gymnasium(env, numpy=name == "gymnasium")
        obs = a.reset(seed=0)[0]
        return obs, lambda: a.step(actions.numpy() if a.numpy else actions)[0]
    if name == "rsl_rl":
        a = to_rsl_rl(env)
        return a.get_observations()["policy"], lambda: a.step(actions)[0]["policy"]
    if name == "skrl":
        a = to_skrl(env)
        return a.reset()[0], lambda: a.step(actions)[0]
    a = to_sb3(env)
    return a.reset(), lambda: a.step(actions.numpy())[0]


@pytest.mark.parametrize("name", ["gymnasium", "gymnasium-torch", "rsl_rl", "skrl", "sb3"])
def test_observations_handed_out_survive_the_next_step(name):
    """The env's outputs are views its next step overwrites; the libraries keep step t's obs while stepping."""
    first, step = _first_obs_and_stepper(name, _cartpole())
    kept = _np(first).copy()
    obs = step()
    np.testing.assert_array_equal(_np(first), kept)
    kept = _np(obs).copy()
    new = step()
    np.testing.assert_array_equal(_np(obs), kept)
    assert not np.array_equal(_np(new), kept)


# --- Gymnasium ---------------------------------------------------------------------------------------------


def test_gymnasium_spaces_metadata_and_seeding():
    from gymnasium.vector import AutoresetMode, VectorEnv

    venv = to_gymnasium(_cartpole())
    assert isinstance(venv, VectorEnv)
    assert venv.metadata["autoreset_mode"] is AutoresetMode.SAME_STEP
    assert venv.num_envs == N
    assert venv.single_observation_space.shape == (4,) and venv.single_observation_space.dtype == np.float32
    assert venv.single_action_space.shape == (1,)
    np.testing.assert_array_equal(venv.single_action_space.low, [-1.0])
    np.testing.assert_array_equal(venv.single_action_space.high, [1.0])
    assert venv.observation_space.shape == (N, 4) and venv.action_space.shape == (N, 1)

    obs, info = venv.reset(seed=7)
    assert venv.observation_space.contains(obs)
    assert info["privileged_obs"].shape == (N, 4)
    again, _ = venv.reset(seed=7)
    other, _ = venv.reset(seed=8)
    np.testing.assert_array_equal(obs, again)
    assert not np.array_equal(obs, other)

    venv.action_space.seed(0)
    obs, reward, terminated, truncated, info = venv.step(venv.action_space.sample())
    assert venv.observation_space.contains(obs)
    assert reward.shape == (N,) and reward.dtype == np.float32
    assert terminated.dtype == bool and truncated.dtype == bool
    venv.close()
    assert venv.closed


def test_gymnasium_same_step_autoreset_hands_over_the_final_observation():
    venv = to_gymnasium(_cartpole())
    raw = _cartpole()  # the same env stepped directly: the adapter must pass its outputs through
    obs, _ = venv.reset(seed=3)
    np.testing.assert_array_equal(obs, raw.reset(seed=3).numpy())
    push = np.ones((N, 1), np.float32)  # a constant push tips every pole within ~10 steps
    for _ in range(30):
        obs, reward, terminated, truncated, info = venv.step(push)
        raw_obs, _, _, _, raw_info = raw.step(torch.from_numpy(push))
        np.testing.assert_array_equal(obs, raw_obs.numpy())
        done = terminated | truncated
        if done.any():
            break
    assert done.any() and terminated[done].all()
    np.testing.assert_array_equal(info["_final_obs"], done)
    np.testing.assert_array_equal(info["final_obs"][done], raw_info["final_obs"].numpy()[done])
    assert _is_terminal(info["final_obs"][done]).all()  # the episode's last observation...
    assert (np.abs(obs[done]) <= RESET_NOISE).all()  # ...while obs is already the next episode's first
    assert not _is_terminal(obs[~done]).any()


def test_gymnasium_episode_statistics_agree_with_gymnasium_record_episode_statistics():
    """Gymnasium's own wrapper counts SAME_STEP episodes from rewards and flags; the env's counters must agree."""
    from gymnasium.wrappers.vector import RecordEpisodeStatistics

    venv = RecordEpisodeStatistics(to_gymnasium(_cartpole(max_episode_steps=25)))
    venv.reset(seed=0)
    rng = np.random.default_rng(0)
    seen = {"terminated": 0, "truncated": 0}
    for _ in range(120):
        # strong random pushes terminate some episodes, weak ones let others reach the 25-step limit
        actions = rng.uniform(-1, 1, (N, 1)).astype(np.float32) * rng.choice([0.05, 1.0], (N, 1))
        _, _, terminated, truncated, info = venv.step(actions)
        done = terminated | truncated
        seen["terminated"] += int(terminated.sum())
        seen["truncated"] += int(truncated.sum())
        if done.any():
            np.testing.assert_array_equal(info["_episode_return"], done)
            np.testing.assert_allclose(info["episode_return"][done], info["episode"]["r"][done], rtol=1e-6)
            np.testing.assert_array_equal(info["episode_length"][done], info["episode"]["l"][done])
            assert (info["episode_length"][truncated] == 25).all()
    assert seen["terminated"] > 0 and seen["truncated"] > 0, seen


def test_gymnasium_torch_outputs_equal_numpy_outputs():
    as_numpy, as_torch = to_gymnasium(_cartpole()), to_gymnasium(_cartpole(), numpy=False)
    np.testing.assert_array_equal(as_numpy.reset(seed=1)[0], as_torch.reset(seed=1)[0].numpy())
    rng = np.random.default_rng(1)
    for _ in range(40):
        actions = rng.uniform(-1, 1, (N, 1)).astype(np.float32)
        out_np = as_numpy.step(actions)
        out_t = as_torch.step(torch.from_numpy(actions))
        for a, b in zip(out_np[:4], out_t[:4], strict=True):
            assert isinstance(b, torch.Tensor) and b.device == torch.device("cpu")
            np.testing.assert_array_equal(a, b.numpy())
        np.testing.assert_array_equal(out_np[4]["final_obs"], out_t[4]["final_obs"].numpy())


# --- rsl_rl ------------------------------------------------------------------------------------------------


def test_rsl_rl_interface_groups_dones_and_time_outs():
    from rsl_rl.env import VecEnv
    from tensordict import TensorDict

    env = _cartpole(max_episode_steps=10)
    venv = to_rsl_rl(env)
    assert isinstance(venv, VecEnv)
    assert (venv.num_envs, venv.num_actions, venv.max_episode_length) == (N, 1, 10)
    obs = venv.get_observations()
    assert isinstance(obs, TensorDict) and set(obs.keys()) == {"policy", "critic"}
    assert obs["policy"].shape == (N, 4) and obs["critic"].shape == (N, 8)
    torch.testing.assert_close(obs["critic"], torch.cat([obs["policy"], env.info["privileged_obs"]], 1))

    # with no force no pole falls within 10 steps: every env reaches the time limit together
    for t in range(1, 11):
        obs, reward, dones, extras = venv.step(torch.zeros(N, 1))
        assert dones.dtype == torch.long and reward.shape == (N,)
        if t < 10:
            assert not dones.any() and not extras["time_outs"].any()
            torch.testing.assert_close(venv.episode_length_buf, torch.full((N,), t, dtype=torch.int32))
    assert dones.all() and extras["time_outs"].all()
    assert (extras["episode_length"] == 10).all()
    assert not torch.equal(extras["final_obs"], obs["policy"])
    assert (obs["policy"].abs() <= RESET_NOISE).all()

    # a pushed pole terminates (within ~12 steps, long before the default limit): no time-out to bootstrap from
    venv = to_rsl_rl(_cartpole())
    ended = torch.zeros(N, dtype=torch.bool)
    for _ in range(30):
        obs, reward, dones, extras = venv.step(torch.ones(N, 1))
        assert not extras["time_outs"].any()
        ended |= dones.bool()
    assert ended.all()

    # episode_length_buf is writable (OnPolicyRunner.learn(init_at_random_ep_len=True)): env i, set i % 10 steps into
    # its episode, times out 10 - i % 10 steps later; nothing else about it changes
    venv = to_rsl_rl(_cartpole(max_episode_steps=10))
    first = venv.get_observations()["policy"].clone()
    venv.episode_length_buf = torch.arange(N, dtype=torch.int32) % 10
    torch.testing.assert_close(venv.episode_length_buf, torch.arange(N, dtype=torch.int32) % 10)
    torch.testing.assert_close(venv.get_observations()["policy"], first)
    for t in range(1, 11):
        obs, reward, dones, extras = venv.step(torch.zeros(N, 1))
        expect = 10 - torch.arange(N) % 10 == t
        assert torch.equal(dones.bool(), expect) and torch.equal(extras["time_outs"], expect), t
    bad_steps = (
        torch.full((N,), 10),
        torch.full((N,), -1),
        torch.full((N,), 2**32),
        torch.zeros(N - 1, dtype=torch.int32),
    )
    for bad in (*bad_steps, torch.zeros(N)):  # 2**32 would wrap to 0 as int32; a float is no step count
        with pytest.raises(ValueError, match="episode steps must"):
            venv.episode_length_buf = bad


def test_rsl_rl_on_policy_runner_learns_cartpole():
    from rsl_rl.runners import OnPolicyRunner
    from tensordict import TensorDict

    torch.manual_seed(0)
    venv = to_rsl_rl(_cartpole(64, max_episode_steps=EPISODE))
    cfg = {
        "num_steps_per_env": 32,
        "save_interval": 1000,
        "obs_groups": {"actor": ["policy"], "critic": ["critic"]},
        "algorithm": {"class_name": "PPO", "num_learning_epochs": 5, "num_mini_batches": 4, "learning_rate": 1e-3},
        "actor": {
            "class_name": "MLPModel",
            "hidden_dims": [64, 64],
            "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 1.0},
        },
        "critic": {"class_name": "MLPModel", "hidden_dims": [64, 64]},
    }
    runner = OnPolicyRunner(venv, cfg, log_dir=None, device="cpu")
    policy = runner.get_inference_policy()

    def act(obs):
        return policy(TensorDict({"policy": obs}, batch_size=[obs.shape[0]]))

    before = _mean_return(act)
    runner.learn(4, init_at_random_ep_len=True)  # as legged_gym's train.py calls it
    _assert_learned(before, _mean_return(act))


# --- skrl --------------------------------------------------------------------------------------------------


def _skrl_ppo(env):
    """A small skrl PPO agent (Gaussian policy, value on `states` when the env has them) for `env`."""
    from skrl.agents.torch.ppo import PPO
    from skrl.memories.torch import RandomMemory
    from skrl.models.torch import DeterministicMixin, GaussianMixin, Model
    from torch import nn

    def mlp(n_in, n_out):
        return nn.Sequential(nn.Linear(n_in, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, n_out))

    class Policy(GaussianMixin, Model):
        def __init__(self, **spaces):
            Model.__init__(self, **spaces)
            GaussianMixin.__init__(self, clip_actions=True)
            self.net = mlp(self.num_observations, self.num_actions)
            self.log_std = nn.Parameter(torch.zeros(self.num_actions))

        def compute(self, inputs, role):
            return self.net(inputs["observations"]), {"log_std": self.log_std}

    class Value(DeterministicMixin, Model):
        def __init__(self, **spaces):
            Model.__init__(self, **spaces)
            DeterministicMixin.__init__(self)
            self.net = mlp(self.num_states or self.num_observations, 1)

        def compute(self, inputs, role):
            states = inputs.get("states")
            return self.net(inputs["observations"] if states is None else states), {}

    spaces = dict(
        observation_space=env.observation_space,
        state_space=env.state_space,
        action_space=env.action_space,
        device=env.device,
    )
    models = {"policy": Policy(**spaces), "value": Value(**spaces)}
    memory = RandomMemory(memory_size=32, num_envs=env.num_envs, device=env.device)
    cfg = {
        "rollouts": 32,
        "learning_epochs": 5,
        "mini_batches": 4,
        "learning_rate": 1e-3,
        "time_limit_bootstrap": True,
        "experiment": {"write_interval": 0, "checkpoint_interval": 0},
    }
    agent = PPO(models=models, memory=memory, cfg=cfg, **spaces)
    return agent, lambda obs: models["policy"].act({"observations": obs}, role="policy")[1]["mean_actions"]


def _skrl_train(env, timesteps=128):
    """Train `env` (an skrl wrapped env) with skrl's PPO and SequentialTrainer; return (before, after) returns."""
    from skrl.trainers.torch import SequentialTrainer

    agent, act = _skrl_ppo(env)
    before = _mean_return(act)
    cfg = {"timesteps": timesteps, "headless": True, "disable_progressbar": True, "close_environment_at_exit": False}
    SequentialTrainer(env=env, agents=agent, cfg=cfg).train()
    return before, _mean_return(act)


def test_skrl_wrapper_interface():
    from skrl.envs.wrappers.torch.base import Wrapper

    env = _cartpole()
    wrapped = to_skrl(env)
    assert isinstance(wrapped, Wrapper)
    assert wrapped.num_envs == N and wrapped.device == torch.device("cpu")
    assert wrapped.observation_space.shape == (4,) and wrapped.action_space.shape == (1,)
    assert wrapped.state_space.shape == (8,)
    assert wrapped.max_episode_steps == env.max_episode_steps  # other attributes reach the env
    obs, info = wrapped.reset()
    assert obs.shape == (N, 4) and info["privileged_obs"].shape == (N, 4)
    torch.testing.assert_close(wrapped.state(), torch.cat([obs, info["privileged_obs"]], 1))
    obs, reward, terminated, truncated, info = wrapped.step(torch.ones(N, 1))
    assert reward.shape == terminated.shape == truncated.shape == (N, 1)
    assert terminated.dtype == truncated.dtype == torch.bool
    # vectorized skrl envs reset once; later resets hand back the current observation
    again, _ = wrapped.reset()
    assert again is obs
    torch.testing.assert_close(wrapped.state()[:, :4], obs)


def test_skrl_ppo_learns_cartpole():
    from skrl.utils import set_seed

    set_seed(0)
    _assert_learned(*_skrl_train(to_skrl(_cartpole(64, max_episode_steps=EPISODE))))


def test_gymnasium_view_trains_with_skrl_gymnasium_wrapper():
    """skrl's own Gymnasium wrapper reads the numpy VectorEnv and treats its autoreset as same-step."""
    from skrl.envs.wrappers.torch import wrap_env
    from skrl.utils import set_seed

    set_seed(0)
    env = wrap_env(to_gymnasium(_cartpole(64, max_episode_steps=EPISODE)), wrapper="gymnasium")
    _assert_learned(*_skrl_train(env))


# --- Stable-Baselines3 -------------------------------------------------------------------------------------


def test_sb3_interface_terminal_observation_and_time_limit():
    from stable_baselines3.common.vec_env import VecEnv

    env = _cartpole(max_episode_steps=10)
    venv = to_sb3(env)
    assert isinstance(venv, VecEnv)
    assert venv.num_envs == N and venv.render_mode is None
    assert venv.observation_space.shape == (4,) and venv.action_space.shape == (1,)
    assert venv.get_attr("max_episode_steps", [0, 1]) == [10, 10]
    assert venv.env_is_wrapped(object) == [False] * N

    venv.seed(5)
    first = venv.reset()
    venv.seed(5)
    np.testing.assert_array_equal(venv.reset(), first)
    assert first.dtype == np.float32 and first.shape == (N, 4)

    for t in range(1, 11):  # no force: every env reaches the time limit at step 10
        obs, rewards, dones, infos = venv.step(np.zeros((N, 1), np.float32))
        assert len(infos) == N
        if t < 10:
            assert not dones.any() and all(info == {} for info in infos)
    assert dones.all()
    for i, info in enumerate(infos):
        assert info["TimeLimit.truncated"] is True
        assert info["episode"]["r"] == 10.0 and info["episode"]["l"] == 10
        np.testing.assert_array_equal(info["terminal_observation"], env.info["final_obs"][i].numpy())
        assert not _is_terminal(info["terminal_observation"])
    assert (np.abs(obs) <= RESET_NOISE).all()

    venv = to_sb3(_cartpole())
    venv.reset()
    ended = np.zeros(N, dtype=bool)
    for _ in range(30):  # a pushed pole terminates: no truncation flag
        obs, rewards, dones, infos = venv.step(np.ones((N, 1), np.float32))
        for i in np.flatnonzero(dones):
            assert infos[i]["TimeLimit.truncated"] is False and _is_terminal(infos[i]["terminal_observation"])
        ended |= dones
    assert ended.all()


def test_sb3_ppo_learns_cartpole():
    from stable_baselines3 import PPO

    venv = to_sb3(_cartpole(16, max_episode_steps=EPISODE))
    model = PPO(
        "MlpPolicy",
        venv,
        n_steps=64,
        batch_size=256,
        n_epochs=5,
        learning_rate=1e-3,
        seed=0,
        device="cpu",
        policy_kwargs={"net_arch": [64, 64]},
    )

    def act(obs):
        return model.predict(obs.numpy(), deterministic=True)[0]

    before = _mean_return(act)
    model.learn(8192)
    _assert_learned(before, _mean_return(act))
    assert len(model.ep_info_buffer) > 0  # SB3 read the episode statistics the adapter put in infos
