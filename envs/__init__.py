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

__all__ = ["WarpEnv", "list_envs", "make", "register", "resolve_device"]


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
