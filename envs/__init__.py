"""Batched environments written as NVIDIA Warp kernels: `envs.make(env_id, num_envs, device, seed, **overrides)`."""

from __future__ import annotations

import importlib

from envs.core import WarpEnv, resolve_device

# env id -> "module:Class", imported on first use so `import envs` compiles nothing.
_REGISTRY = {
    "ant": "envs.ant:Ant",
    "anymal_c": "envs.anymal_c:AnymalC",
    "anymal_c_rough": "envs.anymal_c_rough:AnymalCRough",
    "cartpole": "envs.cartpole:CartPole",
    "half_cheetah": "envs.half_cheetah:HalfCheetah",
    "hopper": "envs.hopper:Hopper",
    "humanoid": "envs.humanoid:Humanoid",
    "humanoid_standup": "envs.humanoid_standup:HumanoidStandup",
    "inverted_double_pendulum": "envs.inverted_double_pendulum:InvertedDoublePendulum",
    "inverted_pendulum": "envs.inverted_pendulum:InvertedPendulum",
    "pendulum": "envs.pendulum:Pendulum",
    "pusher": "envs.pusher:Pusher",
    "reacher": "envs.reacher:Reacher",
    "swimmer": "envs.swimmer:Swimmer",
    "walker2d": "envs.walker2d:Walker2d",
}

# env id -> the Gymnasium id of the same task, for the envs written after one: ppo_gym.py trains on it, sim2sim.py
# replays policies in it, the tests compare resets and steps with it. The one place to add a new env's counterpart.
GYM_IDS = {
    "cartpole": "CartPole-v1",
    "pendulum": "Pendulum-v1",
    "ant": "Ant-v5",
    "half_cheetah": "HalfCheetah-v5",
    "hopper": "Hopper-v5",
    "humanoid": "Humanoid-v5",
    "humanoid_standup": "HumanoidStandup-v5",
    "inverted_double_pendulum": "InvertedDoublePendulum-v5",
    "inverted_pendulum": "InvertedPendulum-v5",
    "pusher": "Pusher-v5",
    "reacher": "Reacher-v5",
    "swimmer": "Swimmer-v5",
    "walker2d": "Walker2d-v5",
}
# Gymnasium's options that give the observation of obs_layout="short" (qpos[2:], qvel; envs/locomotion.py)
GYM_SHORT_LAYOUT = {
    "ant": dict(include_cfrc_ext_in_observation=False),
    "humanoid": {f"include_{k}_in_observation": False for k in ("cinert", "cvel", "qfrc_actuator", "cfrc_ext")},
}
GYM_SHORT_LAYOUT["humanoid_standup"] = GYM_SHORT_LAYOUT["humanoid"]

__all__ = ["GYM_IDS", "GYM_SHORT_LAYOUT", "WarpEnv", "list_envs", "make", "register", "resolve_device"]


def list_envs() -> list[str]:
    """Return the ids `make` accepts, sorted."""
    return sorted(_REGISTRY)


def register(env_id: str, entry_point: str) -> None:
    """Register an env class given as "module:Class" under `env_id`."""
    if env_id in _REGISTRY and _REGISTRY[env_id] != entry_point:
        raise ValueError(f"env id {env_id!r} is already registered to {_REGISTRY[env_id]!r}")
    _REGISTRY[env_id] = entry_point


def env_class(env_id: str) -> type[WarpEnv]:
    """Return the WarpEnv subclass registered under `env_id`."""
    if not isinstance(env_id, str) or env_id not in _REGISTRY:
        raise ValueError(f"unknown env id {env_id!r}; available: {', '.join(list_envs())}")
    module, cls = _REGISTRY[env_id].split(":")
    return getattr(importlib.import_module(module), cls)


def make(env_id: str, num_envs: int = 1, device: str = "auto", seed: int = 0, **overrides) -> WarpEnv:
    """Build `num_envs` copies of env `env_id` on `device`; overrides are constructor arguments and knobs."""
    return env_class(env_id)(num_envs=num_envs, device=device, seed=seed, **overrides)
