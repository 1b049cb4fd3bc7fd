"""The WarpEnv base: batched envs whose whole step is one Warp kernel launch, seen from torch without copies.

A subclass declares its sizes, its physical parameters and four `@wp.func` task functions (see
`kernels.episode.make_step_kernel`); this base owns the device buffers, the step API of DESIGN.md,
autoreset with `info["final_obs"]`, episode statistics on the device, `get_state`/`set_state`,
counter-based per-env random numbers, and the perturbation knobs every env has:

  obs_noise_std      Gaussian noise (std, observation units) added to every returned observation
  action_noise_std   Gaussian noise (std, normalized action units) added before clipping to [-1, 1]
  action_delay       k: the action passed at step t is applied at step t + k (zero action before);
                     (lo, hi): k drawn per env per episode, uniform in {lo, ..., hi}
  <param>_scale      s: that physical parameter is s times nominal in every env;
                     (lo, hi): drawn per env per episode, uniform in [lo, hi] (domain randomization)
  max_episode_steps  time limit (truncation)

The current scales are the privileged observation (`info["privileged_obs"]`, [N, P]) a teacher can use.
"""

from __future__ import annotations

import math
import os
from numbers import Integral, Real
from typing import Any

import torch
import warp as wp

from kernels.articulation import Simulator
from kernels.episode import EpisodeState, make_step_kernel
from mjcf import load_mjcf

wp.config.quiet = True

ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "assets")


@wp.func
def all_finite(v: Any) -> bool:
    """Return whether every component of a Warp vector (any length) is finite (no NaN or inf)."""
    finite = int(1)
    for i in range(len(v)):
        if not wp.isfinite(v[i]):
            finite = 0
    return finite == 1


def resolve_device(device: str | None) -> str:
    """Map "auto" to "cuda:0" when Warp sees a CUDA device, else "cpu"; validate any other name."""
    if device is None or device == "auto":
        return "cuda:0" if wp.is_cuda_available() else "cpu"
    if not isinstance(device, str):
        raise TypeError(f"device must be a string such as 'cpu', 'cuda:0' or 'auto', got {device!r}")
    try:
        return str(wp.get_device(device))
    except Exception as e:  # Warp raises RuntimeError/ValueError depending on the name
        raise ValueError(f"unknown or unavailable device {device!r}: {e}") from None


def _parse_range(name: str, value, integer: bool = False, positive: bool = False) -> tuple:
    """Parse a knob given as one value or a (lo, hi) pair; values must be >= 0 (> 0 when `positive`)."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    kind = Integral if integer else Real
    ok = len(pair) == 2 and all(
        isinstance(v, kind) and not isinstance(v, bool) and math.isfinite(v) and (v > 0 if positive else v >= 0)
        for v in pair
    )
    if not ok:
        what = "an integer" if integer else "a finite number"
        bound = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} must be {what} {bound} or a (lo, hi) pair of them, got {value!r}")
    if pair[0] > pair[1]:
        raise ValueError(f"{name} range must have lo <= hi, got {value!r}")
    return pair


class WarpEnv:
    """Base class of every env: N independent copies stepped by one kernel, with the DESIGN.md step API."""

    # Declared by each subclass.
    name: str = ""
    num_obs: int = 0
    num_actions: int = 0
    state_dim: int = 0
    dt: float = 0.0
    default_max_episode_steps: int = 0
    param_names: tuple[str, ...] = ()
    reward_term_names: tuple[str, ...] = ()
    task_funcs: tuple = ()  # (task_step, task_terminated, task_reset, task_observe), all @wp.func
    cfg_type: type = None  # the task's @wp.struct of constants; its first fields are the physical parameters

    def __init__(
        self,
        num_envs: int = 1,
        device: str = "auto",
        seed: int = 0,
        *,
        cfg: dict[str, float],
        obs_noise_std: float = 0.0,
        action_noise_std: float = 0.0,
        action_delay: int | tuple[int, int] = 0,
        max_episode_steps: int | None = None,
        validate: bool = True,
        **overrides,
    ):
        if isinstance(num_envs, bool) or not isinstance(num_envs, Integral) or num_envs < 1:
            raise ValueError(f"num_envs must be an integer >= 1, got {num_envs!r}")
        if isinstance(seed, bool) or not isinstance(seed, Integral):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        valid_scales = {f"{p}_scale" for p in self.param_names}
        unknown = sorted(set(overrides) - valid_scales)
        if unknown:
            knobs = ["obs_noise_std", "action_noise_std", "action_delay", "max_episode_steps", "validate"]
            raise TypeError(
                f"unknown override {unknown[0]!r} for env {self.name!r}; valid overrides: "
                f"{sorted(valid_scales) + knobs} and the constructor arguments of {type(self).__name__}"
            )
        for knob, value in (("obs_noise_std", obs_noise_std), ("action_noise_std", action_noise_std)):
            if isinstance(value, (tuple, list)):
                raise ValueError(f"{knob} takes one value, not a range, got {value!r}")
            if isinstance(value, bool) or not isinstance(value, Real) or not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{knob} must be a finite number >= 0, got {value!r}")
        self.obs_noise_std = float(obs_noise_std)
        self.action_noise_std = float(action_noise_std)
        delay_lo, delay_hi = _parse_range("action_delay", action_delay, integer=True)
        if max_episode_steps is None:
            max_episode_steps = self.default_max_episode_steps
        if isinstance(max_episode_steps, bool) or not isinstance(max_episode_steps, Integral) or max_episode_steps < 1:
            raise ValueError(f"max_episode_steps must be an integer >= 1, got {max_episode_steps!r}")
        scale_lo, scale_hi = [], []
        for p in self.param_names:
            lo, hi = _parse_range(f"{p}_scale", overrides.get(f"{p}_scale", 1.0), positive=True)
            scale_lo.append(lo)
            scale_hi.append(hi)
        if not (isinstance(self.dt, Real) and math.isfinite(self.dt) and self.dt > 0):
            raise ValueError(f"{self.name}: the control time step must be > 0 s, got {self.dt!r}")
        for key, value in cfg.items():
            if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
                raise ValueError(f"{self.name}: {key} must be a finite number, got {value!r}")

        self.num_envs = int(num_envs)
        self.device = resolve_device(device)
        self.seed = int(seed)
        self.max_episode_steps = int(max_episode_steps)
        self.action_delay = (int(delay_lo), int(delay_hi))
        self.validate = bool(validate)
        self.num_privileged_obs = len(self.param_names)
        self.config = dict(cfg)

        num_params = max(len(self.param_names), 1)  # vectors need a length >= 1
        num_terms = max(len(self.reward_term_names), 1)
        sizes = (self.state_dim, self.num_obs, self.num_actions, num_params, num_terms)
        vec = [wp.types.vector(k, wp.float32) for k in sizes]
        state_type, obs_type, action_type, scale_type, terms_type = vec
        cfg_struct = self.cfg_type()
        for key, value in cfg.items():
            setattr(cfg_struct, key, float(value))

        n, d = self.num_envs, self.device
        with wp.ScopedDevice(d):
            self._actions = wp.zeros(n, dtype=action_type)
            self._state = wp.zeros(n, dtype=state_type)
            self._scale = wp.ones(n, dtype=scale_type)
            self._episode = wp.zeros(n, dtype=EpisodeState)
            self._action_buf = wp.zeros(n * (delay_hi + 1), dtype=action_type)
            self._applied = wp.zeros(n, dtype=action_type)
            self._obs = wp.zeros(n, dtype=obs_type)
            self._reward = wp.zeros(n, dtype=float)
            self._reward_terms = wp.zeros(n, dtype=terms_type)
            self._terminated = wp.zeros(n, dtype=wp.bool)
            self._truncated = wp.zeros(n, dtype=wp.bool)
            self._final_obs = wp.zeros(n, dtype=obs_type)
            self._final_return = wp.zeros(n, dtype=float)
            self._final_length = wp.zeros(n, dtype=int)

        # Zero-copy torch views: the API hands these out, and the next step overwrites them.
        self.actions = wp.to_torch(self._actions)
        self._state_t = wp.to_torch(self._state)
        self._obs_t = wp.to_torch(self._obs)
        self._reward_t = wp.to_torch(self._reward)
        self._terminated_t = wp.to_torch(self._terminated)
        self._truncated_t = wp.to_torch(self._truncated)
        self.param_scales = wp.to_torch(self._scale)[:, : len(self.param_names)]
        self._applied_t = wp.to_torch(self._applied)
        self.info = {
            "final_obs": wp.to_torch(self._final_obs),
            "episode_return": wp.to_torch(self._final_return),
            "episode_length": wp.to_torch(self._final_length),
            "reward_terms": wp.to_torch(self._reward_terms)[:, : len(self.reward_term_names)],
        }
        if self.num_privileged_obs:
            self.info["privileged_obs"] = self.param_scales
        self._actions_ptr = self.actions.data_ptr()

        # Articulated envs (a subclass sets `self.sim`, a kernels.articulation.Simulator, before this
        # constructor runs) split the step: action kernel, the simulator's launch, then the task kernel.
        sim = getattr(self, "sim", None)
        if sim is None:
            kernel = make_step_kernel(*self.task_funcs, self.cfg_type, sizes)
            with wp.ScopedDevice(d):
                placeholder = wp.zeros(1, dtype=float)
                sim_arrays = [placeholder] * 5
                ctrl_range = wp.zeros(1, dtype=wp.vec2)
        else:
            kernel = make_step_kernel(*self.task_funcs, self.cfg_type, sizes, "finish")
            # the per-env mass and friction rows the task kernel writes at each reset
            sim.set_params(
                body_mass_scale=torch.ones(n, sim.nbody, device=self.actions.device),
                geom_friction_scale=torch.ones(n, sim.ngeom, device=self.actions.device),
            )
            rows = (sim.qpos, sim.qvel, sim.ctrl, sim.body_mass_scale, sim.geom_friction_scale)
            sim_arrays = [a.flatten() for a in rows]  # 1D views: the step kernel takes only 1D arrays
            ctrl_range = sim.actuator_ctrlrange
        names = list(self.param_names)
        mass_param = names.index("mass") if "mass" in names else -1
        friction_param = names.index("friction") if "friction" in names else -1
        # Envs per CPU thread: large enough to amortize the per-thread argument loads, small enough that the
        # block of state stays in cache. A GPU runs one env per thread.
        self.envs_per_thread = 1 if wp.get_device(d).is_cuda else 256
        num_threads = (n + self.envs_per_thread - 1) // self.envs_per_thread
        inputs = [
            cfg_struct,
            n,
            self.envs_per_thread,
            self.seed,
            self.max_episode_steps,
            0,
            self.action_noise_std,
            self.obs_noise_std,
            scale_type(*(scale_lo or [1.0])),
            scale_type(*(scale_hi or [1.0])),
            delay_lo,
            delay_hi,
            ctrl_range,
            mass_param,
            friction_param,
            self._actions,
            self._state,
            self._scale,
            self._episode,
            self._action_buf,
            *sim_arrays[:2],
        ]
        outputs = [
            *sim_arrays[2:],
            self._applied,
            self._obs,
            self._reward,
            self._reward_terms,
            self._terminated,
            self._truncated,
            self._final_obs,
            self._final_return,
            self._final_length,
        ]
        # Recorded launches skip Warp's per-call argument packing: a few microseconds instead of ~15 per step.
        self._launch_inputs, self._launch_outputs = inputs, outputs
        self._step_cmd = wp.launch(kernel, num_threads, inputs=inputs, outputs=outputs, device=d, record_cmd=True)
        self._reset_cmd = wp.launch(kernel, num_threads, inputs=inputs, outputs=outputs, device=d, record_cmd=True)
        self._reset_cmd.set_param_by_name("reset_all", 1)
        self.step_kernel = kernel
        self.act_kernel = None
        self._act_cmd = None
        if sim is not None:
            self.act_kernel = make_step_kernel(*self.task_funcs, self.cfg_type, sizes, "act")
            self._act_cmd = wp.launch(
                self.act_kernel, num_threads, inputs=inputs, outputs=outputs, device=d, record_cmd=True
            )
        self.reset()

    # --- the step API ----------------------------------------------------------------------------------

    def reset(self, seed: int | None = None) -> torch.Tensor:
        """Start a new episode in every env; with a seed, restart every env's random stream from it."""
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, Integral):
                raise ValueError(f"seed must be an integer or None, got {seed!r}")
            self._set_seed(int(seed))
            self._episode.zero_()
        self._reset_cmd.launch()
        return self._obs_t

    def step(self, actions: torch.Tensor):
        """Advance every env one control step; finished envs are reset in the same call (DESIGN.md contract)."""
        if self.validate:
            self._check_actions(actions)
        if actions.data_ptr() != self._actions_ptr:
            self.actions.copy_(actions)
        if self._act_cmd is not None:
            self._act_cmd.launch()
            self.sim.step()
        self._step_cmd.launch()
        return self._obs_t, self._reward_t, self._terminated_t, self._truncated_t, self.info

    @property
    def applied_actions(self) -> torch.Tensor:
        """The actions the last step applied [num_envs, num_actions], normalized: after noise, clipping, delay."""
        if getattr(self, "sim", None) is None and self.action_noise_std == 0.0 and self.action_delay[1] == 0:
            return self.actions.clamp(-1.0, 1.0)  # the kernel skips this store when nothing else changes it
        return self._applied_t

    def get_state(self) -> torch.Tensor:
        """Return the physical state [num_envs, state_dim] (layout in the env's docstring) as a live view."""
        return self._state_t

    def set_state(self, state: torch.Tensor) -> None:
        """Overwrite every env's physical state (episode counters and RNG streams are left as they are)."""
        self._check_tensor("state", state, (self.num_envs, self.state_dim))
        if not bool(torch.isfinite(state).all()):
            bad = torch.nonzero(~torch.isfinite(state))[0].tolist()
            raise ValueError(f"{self.name}: state contains a non-finite value at [env, index] = {bad}")
        self._state_t.copy_(state)
        if getattr(self, "sim", None) is not None:
            self.sim.set_state(state[:, : self.sim.nq], state[:, self.sim.nq :])

    def _device_arrays(self) -> dict[str, wp.array]:
        # Every Warp array the env (and its simulator, for MJCF envs) owns, by attribute name.
        owners = [("", self)] + ([("sim.", self.sim)] if getattr(self, "sim", None) is not None else [])
        return {
            prefix + name: a
            for prefix, owner in owners
            for name, a in sorted(vars(owner).items())
            if isinstance(a, wp.array) and a.is_contiguous and a.size > 0
        }

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Copy every device array of the env as bytes: physics (the simulator's too), episode counters, RNG
        stream positions, delay buffers, parameter scales and last outputs; `load_state_dict` continues exactly."""
        out = {}
        for name, a in self._device_arrays().items():
            nbytes = a.size * wp.types.type_size_in_bytes(a.dtype)
            raw = wp.array(ptr=a.ptr, dtype=wp.uint8, shape=(nbytes,), device=a.device)
            out[name] = wp.to_torch(raw).clone()
        out["seed"] = torch.tensor(self.seed, dtype=torch.int64)
        return out

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Restore what `state_dict` returned, from an env built with the same id, num_envs and overrides."""
        arrays = self._device_arrays()
        state = dict(state)
        seed = state.pop("seed", None)
        if set(state) != set(arrays) or seed is None:
            raise ValueError(
                f"{self.name}: state_dict keys differ from this env's arrays: missing "
                f"{sorted(set(arrays) - set(state))}, unexpected {sorted(set(state) - set(arrays))}"
            )
        for name, a in arrays.items():
            nbytes = a.size * wp.types.type_size_in_bytes(a.dtype)
            if state[name].numel() != nbytes:
                raise ValueError(
                    f"{self.name}: state_dict[{name!r}] has {state[name].numel()} bytes, this env's array {nbytes} "
                    "(another num_envs or override?)"
                )
            raw = wp.array(ptr=a.ptr, dtype=wp.uint8, shape=(nbytes,), device=a.device)
            wp.to_torch(raw).copy_(state[name])
        self._set_seed(int(seed))

    def _set_seed(self, seed: int) -> None:
        self.seed = seed
        for cmd in (self._step_cmd, self._reset_cmd, self._act_cmd):
            if cmd is not None:
                cmd.set_param_by_name("seed", seed)

    @property
    def observations(self) -> torch.Tensor:
        """The current observations [num_envs, num_obs] (a live view)."""
        return self._obs_t

    @property
    def episode_step(self) -> torch.Tensor:
        """Steps taken in each env's current episode [num_envs] (int32, a copy: for inspection, not the loop)."""
        return torch.from_numpy(self._episode.numpy()["ep_length"].copy())

    @property
    def action_delays(self) -> torch.Tensor:
        """Each env's action delay in the current episode, in steps [num_envs] (int32, a copy)."""
        return torch.from_numpy(self._episode.numpy()["delay"].copy())

    def close(self) -> None:
        """Nothing to release: device memory goes with the object."""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(num_envs={self.num_envs}, device={self.device!r}, seed={self.seed}, "
            f"num_obs={self.num_obs}, num_actions={self.num_actions}, dt={self.dt}, "
            f"max_episode_steps={self.max_episode_steps})"
        )

    # --- input checks ----------------------------------------------------------------------------------

    def _check_tensor(self, what: str, x, shape: tuple[int, ...]) -> None:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{self.name}: {what} must be a torch.Tensor, got {type(x).__name__}")
        if tuple(x.shape) != shape:
            raise ValueError(f"{self.name}: {what} must have shape {shape}, got {tuple(x.shape)}")
        if x.dtype != torch.float32:
            raise ValueError(f"{self.name}: {what} must be torch.float32, got {x.dtype}")
        if x.device != self.actions.device:
            raise ValueError(f"{self.name}: {what} is on {x.device}, the env is on {self.actions.device}")

    def _check_actions(self, actions) -> None:
        self._check_tensor("actions", actions, (self.num_envs, self.num_actions))
        # A sum is non-finite if any element is (or, rarely, if finite values overflow): one cheap reduction
        # and one scalar read per step, ~3 us at 16,384 envs (a host sync on CUDA: throughput runs pass
        # validate=False).
        if not math.isfinite(actions.sum().item()):
            bad = torch.nonzero(~torch.isfinite(actions).all(1)).flatten()
            if len(bad):
                first = int(bad[0])
                raise ValueError(
                    f"{self.name}: actions contain non-finite values in {len(bad)} env(s), first at env {first} "
                    f"(actions[{first}] = {actions[first].tolist()}); no env was stepped"
                )


class MjcfEnv(WarpEnv):
    """Base of the MJCF-based envs: a kernels.articulation.Simulator (contacts and joint limits on) advances
    the physics between the action kernel and the task kernel; state = concat(qpos, qvel) in MuJoCo order.

    One control step = frame_skip MJCF timesteps, each split into `substeps` implicit Euler substeps, all in
    one simulator launch. `mass_scale` multiplies every body's mass and inertia, `friction_scale` every
    geom's sliding friction (both per env, fixed or drawn per episode like any `<param>_scale` knob).
    """

    asset: str = ""  # MJCF file name in envs/assets

    def __init__(
        self,
        num_envs: int,
        device: str,
        seed: int,
        *,
        cfg: dict[str, float],
        frame_skip: int,
        substeps: int,
        **knobs,
    ):
        for name, value in (("num_envs", num_envs), ("frame_skip", frame_skip), ("substeps", substeps)):
            if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        self.model = load_mjcf(os.path.join(ASSETS, self.asset))
        self.frame_skip, self.substeps = int(frame_skip), int(substeps)
        self.dt = float(self.model.opt.timestep) * self.frame_skip
        if self.state_dim != self.model.nq + self.model.nv or self.num_actions != self.model.nu:
            raise ValueError(f"{self.name}: state_dim / num_actions disagree with {self.asset}")
        self.sim = Simulator(
            self.model,
            int(num_envs),
            resolve_device(device),
            contacts=True,
            joint_limits=True,
            substeps=self.frame_skip * self.substeps,
            timestep=self.dt,
        )
        # the task's struct receives the control step (e.g. for velocities from displacements)
        super().__init__(num_envs, device, seed, cfg={**cfg, "dt": self.dt}, **knobs)
