"""Several CPU cores for one batch of Warp envs: the batch split into groups stepped by parallel threads.

Warp runs a CPU kernel launch on one core, and releases the GIL while it runs (ctypes), so k env objects over
consecutive slices of the batch, each created with its `env_offset` (the global index of its env 0), step in
parallel from k threads. Each env's random numbers are keyed by its global index, so the groups produce the very
episodes of one env over the whole batch, bit for bit (tests/test_threaded_env.py).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import torch


class ThreadedEnv:
    """One env API (reset, step, info, state_dict, load_state_dict, set_episode_step) over `parts`, envs of
    consecutive slices of one batch (made with env_offset = the slice's start). Outputs are tensors of the whole batch
    that each step overwrites, as a single env's are."""

    def __init__(self, parts: list):
        offsets = [p.env_offset for p in parts]
        starts = [sum(p.num_envs for p in parts[:i]) + offsets[0] for i in range(len(parts))]
        if offsets != starts:
            raise ValueError(f"env groups must hold consecutive slices of one batch: offsets {offsets}")
        self.parts = parts
        self.slices = [slice(s - offsets[0], s - offsets[0] + p.num_envs) for s, p in zip(starts, parts, strict=True)]
        self.num_envs = sum(p.num_envs for p in parts)
        self.pool = ThreadPoolExecutor(len(parts), thread_name_prefix="env-group")

        def batch(t):  # a tensor of the whole batch shaped as group 0's output t
            return torch.empty((self.num_envs, *t.shape[1:]), dtype=t.dtype, device=t.device)

        first = parts[0].info
        self.info = {key: batch(value) for key, value in first.items()}
        self._obs = batch(first["final_obs"])
        self._reward, self._terminated = batch(first["episode_return"]), batch(first["episode_length"]).bool()
        self._truncated = self._terminated.clone()
        self._out = (self._obs, self._reward, self._terminated, self._truncated, self.info)

    def __getattr__(self, name):
        # the env type's sizes, names and settings are the first group's; per-env state (tensors, arrays) and methods
        # are not forwarded: group 0's would be a slice of the batch, silently
        value = getattr(self.__dict__["parts"][0], name)
        if callable(value) or hasattr(value, "shape"):
            raise AttributeError(f"ThreadedEnv does not forward {name!r} (per-env state or a method of one group)")
        return value

    def _gather(self, i: int, obs, reward=None, terminated=None, truncated=None) -> None:
        """Copy group i's outputs into its slice of the batch's tensors (in group i's thread)."""
        s, part = self.slices[i], self.parts[i]
        self._obs[s] = obs
        for key, value in part.info.items():
            self.info[key][s] = value
        if reward is not None:
            self._reward[s], self._terminated[s], self._truncated[s] = reward, terminated, truncated

    def _run(self, fn) -> None:
        for future in [self.pool.submit(fn, i) for i in range(len(self.parts))]:
            future.result()  # re-raises a group's exception here

    def reset(self, seed: int | None = None) -> torch.Tensor:
        """Reset every group (each from `seed` at its own offset); return the batch's observations."""
        self._run(lambda i: self._gather(i, self.parts[i].reset(seed)))
        return self._obs

    def step(self, actions: torch.Tensor):
        """Step every group on its slice of `actions` [num_envs, num_actions], in parallel threads."""

        def step_group(i):
            obs, reward, terminated, truncated, _ = self.parts[i].step(actions[self.slices[i]])
            self._gather(i, obs, reward, terminated, truncated)

        self._run(step_group)
        return self._out

    def set_episode_step(self, steps) -> None:
        """Set each env's steps taken in its current episode [num_envs], each group its slice (WarpEnv's method)."""
        steps = torch.as_tensor(steps)
        if steps.shape != (self.num_envs,):
            raise ValueError(f"episode steps must be {self.num_envs} integers, got shape {tuple(steps.shape)}")
        for s, part in zip(self.slices, self.parts, strict=True):
            part.set_episode_step(steps[s])

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Every group's state_dict, keys prefixed by the group index."""
        return {f"group{i}.{k}": v for i, p in enumerate(self.parts) for k, v in p.state_dict().items()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Restore what state_dict returned, into the same groups (the batch's outputs follow at the next step)."""
        groups = sorted({k.split(".", 1)[0] for k in state})
        if groups != sorted(f"group{i}" for i in range(len(self.parts))):
            raise ValueError(f"{self.parts[0].name}: state_dict of groups {groups}, this env has {len(self.parts)}")
        for i, part in enumerate(self.parts):
            prefix = f"group{i}."
            part.load_state_dict({k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)})
