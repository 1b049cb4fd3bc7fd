"""A WarpEnv seen through the interfaces of RL libraries: Gymnasium, rsl_rl, skrl and Stable-Baselines3.

    envs.adapters.to_gymnasium(env, numpy=True)  gymnasium.vector.VectorEnv, AutoresetMode.SAME_STEP
    envs.adapters.to_rsl_rl(env)                 rsl_rl.env.VecEnv: OnPolicyRunner(to_rsl_rl(env), cfg).learn(n)
    envs.adapters.to_skrl(env)                   skrl.envs.wrappers.torch.Wrapper for skrl's trainers and agents
    envs.adapters.to_sb3(env)                    stable_baselines3 VecEnv (numpy on the host): PPO("MlpPolicy", ...)

Every view keeps the env's semantics: finished envs are reset inside the step that finished them, so the
observation returned is the new episode's first one and the episode's last observation is handed over the
way each library expects it (Gymnasium: `info["final_obs"]`; Stable-Baselines3: `infos[i]["terminal_observation"]`).
rsl_rl and skrl do not read it: they bootstrap a time-out from their value of the step's observation (rsl_rl) or of
the next episode's first one (skrl's `time_limit_bootstrap`); it is in their info/extras as "final_obs" all the same.
Time-limit truncation is reported separately from termination (rsl_rl: `extras["time_outs"]`; Stable-Baselines3:
`infos[i]["TimeLimit.truncated"]`). Privileged observations (the physical-parameter scales) become the critic's
observation: rsl_rl's "critic" group and skrl's `state()`, both the concatenation (obs, privileged_obs).
Observations are unbounded float32 boxes, actions float32 boxes in [-1, 1].

The env's outputs are views that its next step overwrites; every adapter hands out copies, because each of
these libraries keeps the observation of step t while it steps to t + 1. Each library is imported on first use
(the `adapters` extra of pyproject.toml installs the tested versions), so `import envs` needs none of them.
"""

from __future__ import annotations

import functools
import time

import numpy as np
import torch

from envs.core import WarpEnv


def single_spaces(env: WarpEnv):
    """Return Gymnasium Boxes (observation, action) of one env: obs unbounded, actions in [-1, 1], float32."""
    from gymnasium import spaces

    obs = spaces.Box(-np.inf, np.inf, (env.num_obs,), np.float32)
    act = spaces.Box(-1.0, 1.0, (env.num_actions,), np.float32)
    return obs, act


def _critic_space(env: WarpEnv):
    """The Box of the critic's observation (obs, privileged_obs), or None when the env has no privileged obs."""
    from gymnasium import spaces

    if not env.num_privileged_obs:
        return None
    return spaces.Box(-np.inf, np.inf, (env.num_obs + env.num_privileged_obs,), np.float32)


def _critic_obs(env: WarpEnv, obs: torch.Tensor, info: dict) -> torch.Tensor | None:
    """The critic's observation [N, num_obs + num_privileged_obs], or None when the env has no privileged obs."""
    if not env.num_privileged_obs:
        return None
    return torch.cat([obs, info["privileged_obs"]], dim=1)


def _as_actions(env: WarpEnv, actions) -> torch.Tensor:
    """Actions from a library (numpy or torch, any float dtype or device) as float32 [N, A] on the env's device."""
    actions = torch.as_tensor(actions, dtype=torch.float32, device=env.actions.device)
    return actions.reshape(env.num_envs, env.num_actions)


def _step(env: WarpEnv, actions):
    """Step `env` and return copies of (obs, reward, terminated, truncated, info) that its next step leaves alone."""
    obs, reward, terminated, truncated, info = env.step(_as_actions(env, actions))
    info = {k: v.clone() for k, v in info.items()}
    return obs.clone(), reward.clone(), terminated.clone(), truncated.clone(), info


def _reset_info(env: WarpEnv) -> dict:
    """What a reset reports besides observations: the privileged observations, when the env has any."""
    return {"privileged_obs": env.info["privileged_obs"].clone()} if env.num_privileged_obs else {}


# --- Gymnasium --------------------------------------------------------------------------------------------


@functools.cache
def _gymnasium_class():
    from gymnasium.vector import AutoresetMode, VectorEnv
    from gymnasium.vector.utils import batch_space

    class WarpVectorEnv(VectorEnv):
        """A WarpEnv as a Gymnasium VectorEnv; finished envs reset in the same step (AutoresetMode.SAME_STEP).

        info holds the env's arrays (`final_obs`, `episode_return`, `episode_length`, `reward_terms`,
        `privileged_obs`), each per-episode one with Gymnasium's `_<key>` mask of the envs where it is valid.
        """

        metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}

        def __init__(self, env: WarpEnv, numpy: bool = True):
            self.env, self.numpy = env, bool(numpy)
            self.num_envs = env.num_envs
            self.single_observation_space, self.single_action_space = single_spaces(env)
            self.observation_space = batch_space(self.single_observation_space, self.num_envs)
            self.action_space = batch_space(self.single_action_space, self.num_envs)

        def _out(self, x):
            if isinstance(x, dict):
                return {k: self._out(v) for k, v in x.items()}
            return x.cpu().numpy() if self.numpy else x

        def reset(self, *, seed: int | None = None, options: dict | None = None):
            """Start a new episode in every env; a seed restarts every env's random stream."""
            super().reset(seed=seed)
            obs = self.env.reset(seed=seed).clone()
            return self._out(obs), self._out(_reset_info(self.env))

        def step(self, actions):
            """Step every env; where one finished, obs is the next episode's first and info["final_obs"] its last."""
            obs, reward, terminated, truncated, info = _step(self.env, actions)
            done = terminated | truncated
            for key in ("final_obs", "episode_return", "episode_length"):
                info[f"_{key}"] = done
            return self._out(obs), self._out(reward), self._out(terminated), self._out(truncated), self._out(info)

        def close_extras(self, **kwargs):
            """Release the env."""
            self.env.close()

        def __repr__(self) -> str:
            return f"WarpVectorEnv({self.env!r}, numpy={self.numpy})"

    return WarpVectorEnv


def to_gymnasium(env: WarpEnv, numpy: bool = True):
    """View `env` as a gymnasium.vector.VectorEnv with numpy arrays (host) or torch tensors (env's device)."""
    return _gymnasium_class()(env, numpy=numpy)


# --- rsl_rl -----------------------------------------------------------------------------------------------


@functools.cache
def _rsl_rl_class():
    from rsl_rl.env import VecEnv
    from tensordict import TensorDict

    class RslRlVecEnv(VecEnv):
        """A WarpEnv as an rsl_rl VecEnv: observation groups "policy" (and "critic" = (obs, privileged_obs) when
        the env has privileged observations), dones = terminated | truncated, extras["time_outs"] = truncation."""

        def __init__(self, env: WarpEnv):
            self.env = env
            self.num_envs, self.num_actions = env.num_envs, env.num_actions
            self.max_episode_length = env.max_episode_steps
            self.device = env.device
            self.cfg = {"env": env.name, "max_episode_steps": env.max_episode_steps, **env.config}
            obs = env.reset().clone()
            self._obs = self._groups(obs, _reset_info(env))

        def _groups(self, obs: torch.Tensor, info: dict):
            groups = {"policy": obs}
            critic = _critic_obs(self.env, obs, info)
            if critic is not None:
                groups["critic"] = critic
            return TensorDict(groups, batch_size=[self.num_envs], device=obs.device)

        @property
        def episode_length_buf(self) -> torch.Tensor:
            """Steps taken in each env's current episode [N] (a copy)."""
            return self.env.episode_step.to(self.env.actions.device)

        @episode_length_buf.setter
        def episode_length_buf(self, value) -> None:
            # OnPolicyRunner.learn(init_at_random_ep_len=True) assigns random counts here (legged_gym's train.py)
            self.env.set_episode_step(value)

        def get_observations(self):
            """The current observation groups (a TensorDict of [N, ...] tensors)."""
            return self._obs

        def step(self, actions: torch.Tensor):
            """Step every env: (observation groups, reward [N], dones [N] long, extras with "time_outs" [N])."""
            obs, reward, terminated, truncated, info = _step(self.env, actions)
            self._obs = self._groups(obs, info)
            dones = (terminated | truncated).long()
            # a time-out bootstraps from the value; an env both terminated and truncated has no future value
            extras = {"time_outs": truncated & ~terminated, **info}
            return self._obs, reward, dones, extras

        def close(self) -> None:
            """Release the env."""
            self.env.close()

    return RslRlVecEnv


def to_rsl_rl(env: WarpEnv):
    """View `env` as an rsl_rl VecEnv that rsl_rl's OnPolicyRunner trains unchanged (observations on env.device)."""
    return _rsl_rl_class()(env)


# --- skrl -------------------------------------------------------------------------------------------------


@functools.cache
def _skrl_class():
    from skrl import config
    from skrl.envs.wrappers.torch.base import Wrapper

    class SkrlWrapper(Wrapper):
        """A WarpEnv as an skrl wrapped env: rewards and flags [N, 1], state() = (obs, privileged_obs) or None."""

        def __init__(self, env: WarpEnv):
            super().__init__(env)
            self._obs, self._state, self._info = None, None, {}

        @property
        def observation_space(self):
            """Box of one env's observation."""
            return single_spaces(self._env)[0]

        @property
        def action_space(self):
            """Box of one env's action, [-1, 1]."""
            return single_spaces(self._env)[1]

        @property
        def state_space(self):
            """Box of one env's critic observation (obs, privileged_obs), or None."""
            return _critic_space(self._env)

        def reset(self):
            """Reset every env on the first call (seeded by skrl's `set_seed`); later calls return the current obs,
            as skrl's other vectorized wrappers do (the env resets finished episodes itself)."""
            if self._obs is None:
                obs = self._env.reset(seed=int(config.torch.key)).clone()
                self._info = _reset_info(self._env)
                self._obs, self._state = obs, _critic_obs(self._env, obs, self._info)
            return self._obs, self._info

        def step(self, actions: torch.Tensor):
            """Step every env: (obs [N, O], reward [N, 1], terminated [N, 1], truncated [N, 1], info)."""
            obs, reward, terminated, truncated, self._info = _step(self._env, actions)
            self._obs, self._state = obs, _critic_obs(self._env, obs, self._info)
            return obs, reward.view(-1, 1), terminated.view(-1, 1), truncated.view(-1, 1), self._info

        def state(self):
            """The critic's observation of the last step [N, num_obs + num_privileged_obs], or None."""
            return self._state

        def render(self, *args, **kwargs):
            """Nothing to render: the env has no viewer."""
            return None

        def close(self) -> None:
            """Release the env."""
            self._env.close()

    return SkrlWrapper


def to_skrl(env: WarpEnv):
    """View `env` as an skrl wrapped env (skrl.envs.wrappers.torch.Wrapper) for skrl's trainers and agents."""
    return _skrl_class()(env)


# --- Stable-Baselines3 ------------------------------------------------------------------------------------


@functools.cache
def _sb3_class():
    from stable_baselines3.common.vec_env import VecEnv

    class Sb3VecEnv(VecEnv):
        """A WarpEnv as a Stable-Baselines3 VecEnv: numpy on the host, one info dict per env, episode stats
        in `infos[i]["episode"]` (what VecMonitor would add), the final observation in "terminal_observation"."""

        def __init__(self, env: WarpEnv):
            self.env = env
            self._actions = None
            self._t_start = time.time()
            self.render_mode = None  # read by VecEnv.__init__ through get_attr; the env draws nothing
            super().__init__(env.num_envs, *single_spaces(env))

        def reset(self):
            """Reset every env (with the seed given to `seed()`, if any) and return obs [N, num_obs] float32."""
            obs = self.env.reset(seed=self._seeds[0]).cpu().numpy().copy()
            self.reset_infos = [dict() for _ in range(self.num_envs)]
            self._reset_seeds()
            self._reset_options()
            return obs

        def step_async(self, actions: np.ndarray) -> None:
            """Store the actions [N, num_actions] for `step_wait`."""
            self._actions = actions

        def step_wait(self):
            """Step every env: (obs [N, O], rewards [N], dones [N], infos: one dict per env)."""
            obs, reward, terminated, truncated, info = _step(self.env, self._actions)
            obs, reward, terminated, truncated = (x.cpu().numpy() for x in (obs, reward, terminated, truncated))
            dones = terminated | truncated
            infos = [{} for _ in range(self.num_envs)]
            finished = np.flatnonzero(dones)
            if len(finished):
                final_obs = info["final_obs"].cpu().numpy()
                ep_return = info["episode_return"].cpu().numpy()
                ep_length = info["episode_length"].cpu().numpy()
                elapsed = round(time.time() - self._t_start, 6)
                for i in finished:
                    infos[i] = {
                        "terminal_observation": final_obs[i],
                        "TimeLimit.truncated": bool(truncated[i] and not terminated[i]),
                        "episode": {"r": float(ep_return[i]), "l": int(ep_length[i]), "t": elapsed},
                    }
            return obs, reward, dones, infos

        def close(self) -> None:
            """Release the env."""
            self.env.close()

        def _attr_owner(self, attr_name: str):
            return self.env if hasattr(self.env, attr_name) else self

        def get_attr(self, attr_name: str, indices=None) -> list:
            """The env's attribute (shared by all copies), once per index."""
            value = getattr(self._attr_owner(attr_name), attr_name)
            return [value for _ in self._get_indices(indices)]

        def set_attr(self, attr_name: str, value, indices=None) -> None:
            """Set an attribute of the env; the copies share it, whatever `indices` names."""
            setattr(self._attr_owner(attr_name), attr_name, value)

        def env_method(self, method_name: str, *method_args, indices=None, **method_kwargs) -> list:
            """Call a method of the env once (the copies share it) and return its result once per index."""
            result = getattr(self.env, method_name)(*method_args, **method_kwargs)
            return [result for _ in self._get_indices(indices)]

        def env_is_wrapped(self, wrapper_class, indices=None) -> list[bool]:
            """No Gymnasium wrapper sits between SB3 and the env."""
            return [False for _ in self._get_indices(indices)]

    return Sb3VecEnv


def to_sb3(env: WarpEnv):
    """View `env` as a Stable-Baselines3 VecEnv (numpy arrays on the host, whatever the env's device)."""
    return _sb3_class()(env)
