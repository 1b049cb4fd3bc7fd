"""Gymnasium's own implementations of the Warp envs' tasks behind the Warp env contract (DESIGN.md), so
cleanppo/ppo_gym.py runs the same PPO as cleanppo/ppo_warp.py on them. All act on the Warp envs' action definition,
actions in [-1, 1]: CartPole-v1's Discrete(2) action is its sign (a > 0 pushes right, as the Warp cartpole at
|a| = 1); every Box action space (Pendulum-v1's torque in [-2, 2] N m, the MuJoCo tasks' ctrlrange) is mapped
linearly from clip(a, -1, 1), as the Warp envs map it. The MuJoCo tasks are built with the options that give the
Warp env's default observation (ant and humanoid: qpos[2:], qvel, obs_layout="short")."""

import gymnasium as gym
import numpy as np
import torch

import envs


class GymVecEnv:
    """Gymnasium vector env behind the Warp env contract: torch tensors in and out, autoreset in the same step,
    info["final_obs"], info["episode_return"] and info["episode_length"] (valid where terminated | truncated)."""

    GYM_IDS = envs.GYM_IDS
    GYM_KWARGS = envs.GYM_SHORT_LAYOUT  # the Warp env's default observation is obs_layout="short"

    def __init__(self, env_id: str, num_envs: int, device: torch.device, seed: int):
        self.gym_id, self.device, self.seed = self.GYM_IDS[env_id], device, seed
        if env_id == "cartpole":
            # Gymnasium's numpy-vectorized CartPole: autoreset is NEXT_STEP only, so finished envs are reset here
            # from its own reset distribution (uniform in [-0.05, 0.05]), as SAME_STEP would
            self.envs = gym.make_vec(self.gym_id, num_envs=num_envs, vectorization_mode="vector_entry_point")
        else:
            self.envs = gym.make_vec(
                self.gym_id,
                num_envs=num_envs,
                vectorization_mode="sync",
                vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP},
                **self.GYM_KWARGS.get(env_id, {}),
            )
        self.num_envs = num_envs
        self.num_obs = self.envs.single_observation_space.shape[0]
        space = self.envs.single_action_space
        self.num_actions = 1 if env_id == "cartpole" else space.shape[0]
        if env_id != "cartpole":  # a = mid + half * clip(a, -1, 1): Pendulum-v1's 2 a exactly
            self.action_mid, self.action_half = (space.high + space.low) / 2, (space.high - space.low) / 2
        self.max_episode_steps = self.envs.spec.max_episode_steps if self.envs.spec else None
        self.max_episode_steps = self.max_episode_steps or {"cartpole": 500, "pendulum": 200}[env_id]
        self.env_id = env_id
        self.ep_return = np.zeros(num_envs, dtype=np.float32)
        self.ep_length = np.zeros(num_envs, dtype=np.int64)

    def reset(self, seed: int | None = None) -> torch.Tensor:
        """Reset every env (seeded with `seed`, else the constructor's seed); return the observations [N, num_obs]."""
        obs, _ = self.envs.reset(seed=self.seed if seed is None else seed)
        self.ep_return[:] = 0.0
        self.ep_length[:] = 0
        return torch.as_tensor(obs, dtype=torch.float32, device=self.device)

    def set_episode_step(self, steps) -> None:
        """Set each env's steps taken in its current episode [N] (as WarpEnv's method): Gymnasium's TimeLimit counter
        (CartPole-v1's vectorized step counter) and the episode length reported at its end."""
        steps = torch.as_tensor(steps).cpu()
        if steps.dtype.is_floating_point or steps.dtype == torch.bool:  # a float would be truncated silently
            raise ValueError(f"episode steps must be {self.num_envs} integers, got {steps.dtype}")
        steps = steps.numpy().astype(np.int64)
        if steps.shape != (self.num_envs,) or steps.min() < 0 or steps.max() >= self.max_episode_steps:
            raise ValueError(f"episode steps must be {self.num_envs} integers in [0, {self.max_episode_steps})")
        if self.env_id == "cartpole":
            self.envs.unwrapped.steps[:] = steps
        else:
            for env, k in zip(self.envs.envs, steps, strict=True):
                while not isinstance(env, gym.wrappers.TimeLimit):
                    env = env.env
                env._elapsed_steps = int(k)
        self.ep_length[:] = steps

    def step(self, actions: torch.Tensor):
        """Step with actions [N, num_actions] in [-1, 1]; return torch (obs, reward, terminated, truncated, info),
        finished envs already reset (obs is the new episode's first; info["final_obs"] the ended one's last)."""
        a = actions.detach().cpu().numpy()
        if self.env_id == "cartpole":
            a = (a[:, 0] > 0.0).astype(np.int64)
        else:
            a = self.action_mid + self.action_half * np.clip(a, -1.0, 1.0)
        obs, reward, terminated, truncated, info = self.envs.step(a)
        done = terminated | truncated
        final_obs = obs.copy()
        if self.env_id == "cartpole" and done.any():
            u = self.envs.unwrapped
            u.state[:, done] = u.np_random.uniform(low=u.low, high=u.high, size=(4, int(done.sum())))
            u.steps[done] = 0
            u.prev_done[:] = False
            obs = u.state.T.astype(np.float32)
        elif done.any():
            final_obs[done] = np.stack(info["final_obs"][done])
        self.ep_return += reward
        self.ep_length += 1
        ep_return, ep_length = self.ep_return.copy(), self.ep_length.copy()
        self.ep_return[done] = 0.0
        self.ep_length[done] = 0
        t = lambda x, dtype=torch.float32: torch.as_tensor(x, dtype=dtype, device=self.device)  # noqa: E731
        info = {"final_obs": t(final_obs), "episode_return": t(ep_return), "episode_length": t(ep_length)}
        return t(obs), t(reward), t(terminated, torch.bool), t(truncated, torch.bool), info

    def state_dict(self) -> dict:
        """Nothing: the Gymnasium env state is not checkpointed (a resumed run restarts its episodes)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Nothing to load (see state_dict)."""
        pass
