"""The WarpEnv base: batched envs whose whole step is one Warp kernel launch, seen from torch without copies.

The env contract. A task module declares, once each:
  - its sizes: num_obs, num_actions, state_dim (class attributes; envs/locomotion.py reads them from the
    model), the lengths of the Warp vectors its task functions take and return;
  - its config table: one `@wp.struct` whose fields carry their defaults. A field with a default is a constructor
    parameter with that default (reward weights, physical parameters, reset noise; SI units); a field without
    one is derived by the env class and passed as `constants` (MJCF envs: the control step `dt` from the model);
  - param_names: the physical parameters with a `<name>_scale` knob (the privileged observation);
  - reward_term_names, in the order its step function returns the weighted terms;
  - task_funcs: four `@wp.func` (task_step, task_terminated, task_reset, task_observe; signatures in
    `kernels.episode.make_step_kernel`); an env with its own dynamics integrates them in task_step, an MJCF env
    hands `WarpEnv.__init__` the simulator that does (`sim=`).
This base owns the device buffers, the step API of DESIGN.md, autoreset with `info["final_obs"]`, episode
statistics on the device, `get_state`/`set_state`, counter-based per-env random numbers, and the perturbation
knobs every env has:

  obs_noise_std      Gaussian noise (std, observation units) added to every returned observation
  action_noise_std   Gaussian noise (std, normalized action units) added before clipping to [-1, 1]
  action_delay       k: the action passed at step t is applied at step t + k (zero action before);
                     (lo, hi): k drawn per env per episode, uniform in {lo, ..., hi}
  <param>_scale      s: that physical parameter is s times nominal in every env;
                     (lo, hi): drawn per env per episode, uniform in [lo, hi] (domain randomization)
  max_episode_steps  time limit (truncation)

Envs that declare `push_fields` have pushes too (legged_gym's push_robots): a velocity kick U(-v, v) on the
declared state columns at random times, on average every push_interval_s (a config field; v another, 0: off).

The current scales are the privileged observation (`info["privileged_obs"]`, [N, P]) a teacher can use; an env
that declares `privileged_obs_names` writes its own columns instead (scales first, then e.g. the noise-free state),
through a kernel launched after each step and reset (`_privileged_launch`).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import os
from numbers import Integral, Real
from typing import Any

import torch
import warp as wp

from kernels.episode import EpisodeState, kernel_inputs, make_step_kernel, set_episode_length_kernel
from kernels.forward import launch_block_dim
from kernels.rng import env_rng

wp.config.log_level = wp.LOG_WARNING  # no init banner (an INFO log; Warp 1.19 has no config.quiet)

ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "assets")


@wp.func
def all_finite(v: Any) -> bool:
    """Return whether every component of a Warp vector (any length) is finite (no NaN or inf)."""
    finite = int(1)
    for i in range(len(v)):
        if not wp.isfinite(v[i]):
            finite = 0
    return finite == 1


@wp.kernel
def _push_kernel(
    # Model:
    seed: int,
    env_offset: int,
    probability: float,
    max_vel: float,
    add: int,
    state_cols: wp.array[int],
    qvel_cols: wp.array[int],
    # Data in:
    episode_in: wp.array[EpisodeState],
    # Data out:
    state_out: wp.array2d[float],
    qvel_out: wp.array2d[float],
):
    worldid = wp.tid()
    ep = episode_in[worldid]
    if ep.ep_length == 0:  # an episode that just began keeps its reset state
        return
    # a stream of its own: a hash of the env's stream state at (rng_counter, ep_length), so the step kernel's
    # draws are not reused and an env pushes at the same steps whatever num_envs
    rng = wp.rand_init(wp.int32(env_rng(seed, env_offset + worldid, ep.rng_counter)), ep.ep_length)
    if wp.randf(rng) >= probability:
        return
    for k in range(state_cols.shape[0]):
        v = wp.randf(rng, -max_vel, max_vel)
        if add != 0:
            v = v + state_out[worldid, state_cols[k]]
        state_out[worldid, state_cols[k]] = v
        if qvel_cols.shape[0] > 0:
            qvel_out[worldid, qvel_cols[k]] = v


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


def config_defaults(cfg_type) -> dict[str, Any]:
    """Return a task config struct's constructor parameters: each field declared with a default, by name."""
    return {name: getattr(cfg_type.cls, name) for name in cfg_type.vars if hasattr(cfg_type.cls, name)}


def _is_number(v) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v)


def _config_value(env: str, key: str, value, field_type):
    # A float field takes one finite number, a Warp vector field (e.g. a (lo, hi) range) as many as its length; an
    # array field (a lookup table the env derives, e.g. a terrain height field) a Warp array of its dtype and ndim.
    if wp.types.is_array(field_type):
        if not (isinstance(value, wp.array) and value.dtype == field_type.dtype and value.ndim == field_type.ndim):
            what = f"a {field_type.ndim}D Warp array of {field_type.dtype.__name__}"
            raise ValueError(f"{env}: {key} must be {what}, got {value!r}")
        return value
    length = field_type._length_ if wp.types.type_is_vector(field_type) else None
    values = tuple(value) if length and isinstance(value, (tuple, list)) else (value,)
    # a (lo, hi) range may be open on either side (Hopper-v5's healthy_z_range is (0.7, inf)); nothing may be NaN
    bound = key.endswith("_range")
    ok = all(
        _is_number(v) or (bound and isinstance(v, Real) and not isinstance(v, bool) and math.isinf(v)) for v in values
    )
    if len(values) != (length or 1) or not ok:
        what = f"a sequence of {length} finite numbers" if length else "a finite number"
        what = f"{what} (a range's bounds may also be +-inf)" if length and bound else what
        raise ValueError(f"{env}: {key} must be {what}, got {value!r}")
    return field_type(*values) if length else float(value)


def _parse_range(name: str, value, integer: bool = False, positive: bool = False) -> tuple:
    """Parse a knob given as one value or a (lo, hi) pair; values must be >= 0 (> 0 when `positive`)."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    kind = Integral if integer else Real
    ok = len(pair) == 2 and all(isinstance(v, kind) and _is_number(v) and (v > 0 if positive else v >= 0) for v in pair)
    if not ok:
        what = "an integer" if integer else "a finite number"
        bound = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} must be {what} {bound} or a (lo, hi) pair of them, got {value!r}")
    if pair[0] > pair[1]:
        raise ValueError(f"{name} range must have lo <= hi, got {value!r}")
    return pair


class WarpEnv:
    """Base class of every env: N independent copies stepped by one kernel, with the DESIGN.md step API."""

    # Declared by each subclass (see the module docstring).
    name: str = ""
    num_obs: int = 0
    num_actions: int = 0
    state_dim: int = 0
    default_max_episode_steps: int = 0
    param_names: tuple[str, ...] = ()
    reward_term_names: tuple[str, ...] = ()
    task_funcs: tuple = ()  # (task_step, task_terminated, task_reset, task_observe), all @wp.func
    obs_head: int = 0  # observations task_observe returns (0: all); a later kernel adds to the others
    cpu_envs_per_thread: int = 256  # envs one CPU thread steps (1: the CUDA variant of the step kernel)
    cfg_type: type = None  # the task's @wp.struct config table
    dt_field: str = "dt"  # the config field holding the control step, s
    # columns of info["privileged_obs"] when the env writes its own after each step (`_privileged_launch`);
    # empty: the privileged observation is the parameter scales
    privileged_obs_names: tuple[str, ...] = ()
    # pushes (legged_gym's push_robots, at random times): the config fields of the largest velocity kick and the
    # mean time between pushes (0: off), the state columns kicked, and whether a kick adds to the velocity or sets it
    push_fields: tuple[str, str] = ("", "")
    push_state_cols: tuple[int, ...] = ()
    push_adds: bool = False

    def __init_subclass__(cls, **kwargs):
        # The constructor's signature, spelled out from the config table (inspect.signature, help(), IDEs).
        super().__init_subclass__(**kwargs)
        if cls.cfg_type is None:
            return
        p = inspect.Parameter
        params = {
            k: p(k, p.POSITIONAL_OR_KEYWORD, default=v) for k, v in (("num_envs", 1), ("device", "auto"), ("seed", 0))
        }
        for name, default in config_defaults(cls.cfg_type).items():
            params[name] = p(name, p.KEYWORD_ONLY, default=default)
        for klass in reversed(cls.__mro__):
            for q in inspect.signature(vars(klass).get("__init__", object.__init__)).parameters.values():
                if q.kind == p.KEYWORD_ONLY and q.name not in ("sim", "constants"):
                    params[q.name] = q
        for name in cls.param_names:
            params[f"{name}_scale"] = p(f"{name}_scale", p.KEYWORD_ONLY, default=1.0)
        cls.__signature__ = inspect.Signature(list(params.values()))

    def __init__(
        self,
        num_envs: int = 1,
        device: str = "auto",
        seed: int = 0,
        *,
        sim=None,
        constants: dict[str, float] | None = None,
        obs_noise_std: float = 0.0,
        action_noise_std: float = 0.0,
        action_delay: int | tuple[int, int] = 0,
        max_episode_steps: int | None = None,
        validate: bool = True,
        env_offset: int = 0,
        block_dim: int = 256,
        **overrides,
    ):
        """Build `num_envs` copies; `sim` (a kernels.articulation.Simulator) steps the physics of MJCF envs,
        `constants` are the config fields the subclass derives; overrides are config fields and scale knobs.
        `env_offset`: the global index of env 0, so that a process holding envs [k, k + num_envs) of a run split
        over several processes draws the same random numbers as one process holding them all. `block_dim`: CUDA
        threads per block of every launch (0: enough blocks for every SM; kernels.forward.launch_block_dim)."""
        launch_block_dim("cpu", 1, block_dim)  # validates it before anything is built
        self.block_dim = block_dim
        self._set_knobs(num_envs, device, seed, obs_noise_std, action_noise_std, action_delay, max_episode_steps)
        if isinstance(env_offset, bool) or not isinstance(env_offset, Integral) or env_offset < 0:
            raise ValueError(f"env_offset must be an integer >= 0, got {env_offset!r}")
        self.env_offset = int(env_offset)
        self.validate = bool(validate)
        cfg, scale_ranges = self._set_config(overrides, constants or {})
        self._allocate()
        self._build_views()
        self._build_launches(cfg, scale_ranges, sim)
        self.reset()

    # --- construction, step by step ------------------------------------------------------------------

    def _set_knobs(self, num_envs, device, seed, obs_noise_std, action_noise_std, action_delay, max_episode_steps):
        """Validate and store the run shape and the perturbation knobs every env has."""
        if isinstance(num_envs, bool) or not isinstance(num_envs, Integral) or num_envs < 1:
            raise ValueError(f"num_envs must be an integer >= 1, got {num_envs!r}")
        if isinstance(seed, bool) or not isinstance(seed, Integral):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        for knob, value in (("obs_noise_std", obs_noise_std), ("action_noise_std", action_noise_std)):
            if isinstance(value, (tuple, list)):
                raise ValueError(f"{knob} takes one value, not a range, got {value!r}")
            if not (_is_number(value) and value >= 0):
                raise ValueError(f"{knob} must be a finite number >= 0, got {value!r}")
        delay_lo, delay_hi = _parse_range("action_delay", action_delay, integer=True)
        if max_episode_steps is None:
            max_episode_steps = self.default_max_episode_steps
        if isinstance(max_episode_steps, bool) or not isinstance(max_episode_steps, Integral) or max_episode_steps < 1:
            raise ValueError(f"max_episode_steps must be an integer >= 1, got {max_episode_steps!r}")
        self.num_envs = int(num_envs)
        self.device = resolve_device(device)
        self.seed = int(seed)
        self.obs_noise_std = float(obs_noise_std)
        self.action_noise_std = float(action_noise_std)
        self.action_delay = (int(delay_lo), int(delay_hi))
        self.max_episode_steps = int(max_episode_steps)

    def _set_config(self, overrides: dict, constants: dict) -> tuple[Any, list[tuple]]:
        """Resolve the config table (defaults, overrides, derived constants) into the task's struct, set
        `config` and `dt`; return the struct and the (lo, hi) range of every parameter scale."""
        defaults = config_defaults(self.cfg_type)
        scale_knobs = [f"{p}_scale" for p in self.param_names]
        unknown = sorted(set(overrides) - set(defaults) - set(scale_knobs))
        if unknown:
            valid = [k for k in inspect.signature(type(self)).parameters if k not in ("num_envs", "device", "seed")]
            raise TypeError(f"unknown override {unknown[0]!r} for env {self.name!r}; valid overrides: {valid}")
        derived = sorted(set(self.cfg_type.vars) - set(defaults))
        if sorted(constants) != derived:
            raise ValueError(
                f"{self.name}: the env class must derive the config fields {derived}, got {sorted(constants)}"
            )
        given = {k: v for k, v in overrides.items() if k in defaults}
        self.config = {k: {**defaults, **constants, **given}[k] for k in self.cfg_type.vars}
        cfg = self.cfg_type()
        for key, var in self.cfg_type.vars.items():
            setattr(cfg, key, _config_value(self.name, key, self.config[key], var.type))
        self.dt = self.config[self.dt_field]
        if not self.dt > 0:
            raise ValueError(f"{self.name}: the control time step must be > 0 s, got {self.dt!r}")
        self.num_privileged_obs = len(self.privileged_obs_names or self.param_names)
        ranges = [_parse_range(k, overrides.get(k, 1.0), positive=True) for k in scale_knobs]
        self._scale_ranges = dict(zip(self.param_names, ranges, strict=True))
        return cfg, ranges

    def _allocate(self) -> None:
        """Allocate the env's device arrays, each keyed by the name of the step kernel parameter it is bound to."""
        # vectors need a length >= 1: an env without parameters or reward terms still has one slot
        self._sizes = (
            self.state_dim,
            self.num_obs,
            self.num_actions,
            max(len(self.param_names), 1),
            max(len(self.reward_term_names), 1),
        )
        state_type, obs_type, action_type, scale_type, terms_type = (wp.types.vector(k, float) for k in self._sizes)
        n = self.num_envs
        with wp.ScopedDevice(self.device):
            self._arrays = {
                "actions_in": wp.zeros(n, dtype=action_type),
                "state": wp.zeros(n, dtype=state_type),
                "scale": wp.ones(n, dtype=scale_type),
                "episode": wp.zeros(n, dtype=EpisodeState),
                "action_buf": wp.zeros(n * (self.action_delay[1] + 1), dtype=action_type),
                "applied_action_out": wp.zeros(n, dtype=action_type),
                "obs_out": wp.zeros(n, dtype=obs_type),
                "reward_out": wp.zeros(n, dtype=float),
                "reward_terms_out": wp.zeros(n, dtype=terms_type),
                "terminated_out": wp.zeros(n, dtype=wp.bool),
                "truncated_out": wp.zeros(n, dtype=wp.bool),
                "final_obs_out": wp.zeros(n, dtype=obs_type),
                "final_return_out": wp.zeros(n, dtype=float),
                "final_length_out": wp.zeros(n, dtype=int),
            }

    def _build_views(self) -> None:
        """Make the zero-copy torch views the API hands out (the next step overwrites them)."""
        t = {name: wp.to_torch(a) for name, a in self._arrays.items() if name != "episode"}
        self.actions = t["actions_in"]
        self._actions_ptr = self.actions.data_ptr()
        self._state_t, self._obs_t, self._reward_t = t["state"], t["obs_out"], t["reward_out"]
        self._terminated_t, self._truncated_t, self._applied_t = (
            t["terminated_out"],
            t["truncated_out"],
            t["applied_action_out"],
        )
        self.param_scales = t["scale"][:, : len(self.param_names)]
        self.info = {
            "final_obs": t["final_obs_out"],
            "episode_return": t["final_return_out"],
            "episode_length": t["final_length_out"],
            "reward_terms": t["reward_terms_out"][:, : len(self.reward_term_names)],
        }
        if self.privileged_obs_names:
            with wp.ScopedDevice(self.device):
                self._privileged = wp.zeros((self.num_envs, self.num_privileged_obs), dtype=float)
            self.info["privileged_obs"] = wp.to_torch(self._privileged)
        elif self.num_privileged_obs:
            self.info["privileged_obs"] = self.param_scales

    @property
    def _per_env_strength(self) -> bool:
        # a strength_scale range: the task kernel writes each env's motor strength row at its resets
        lo, hi = self._scale_ranges.get("strength", (1.0, 1.0))
        return hi > lo

    def _simulator_rows(self, sim) -> dict[str, wp.array]:
        """The simulator arrays the step kernel reads and writes, by kernel parameter name: its per-env rows
        flattened to 1D (the kernel takes only 1D arrays) and the control range; placeholders without one."""
        if sim is None:
            with wp.ScopedDevice(self.device):
                zero = wp.zeros(1, dtype=float)
                names = ("qpos", "qvel", "ctrl_out", "body_mass_scale_out", "geom_friction_scale_out")
                rows = dict.fromkeys((*names, "actuator_gear_scale_out"), zero)
                return {**rows, "ctrl_range": wp.zeros(1, dtype=wp.vec2)}
        # the per-env mass and friction rows the task kernel writes at each reset; motor strength likewise when it is
        # drawn per episode, else one row shared by every env (the physics reads a row per env only when needed)
        ones = functools.partial(torch.ones, device=self.actions.device)
        n = self.num_envs
        sim.set_params(body_mass_scale=ones(n, sim.nbody), geom_friction_scale=ones(n, sim.ngeom))
        lo = self._scale_ranges.get("strength", (1.0, 1.0))[0]
        if self._per_env_strength:
            sim.set_params(actuator_gear_scale=ones(n, sim.nu))
            gear = sim.actuator_gear_scale.flatten()
        else:
            if lo != 1.0:
                sim.set_params(actuator_gear_scale=torch.full((1, sim.nu), lo, device=self.actions.device))
            with wp.ScopedDevice(self.device):
                gear = wp.zeros(1, dtype=float)
        return {
            "qpos": sim.qpos.flatten(),
            "qvel": sim.qvel.flatten(),
            "ctrl_out": sim.ctrl.flatten(),
            "body_mass_scale_out": sim.body_mass_scale.flatten(),
            "geom_friction_scale_out": sim.geom_friction_scale.flatten(),
            "actuator_gear_scale_out": gear,
            "ctrl_range": sim.actuator_ctrlrange,
        }

    def _build_launches(self, cfg, scale_ranges: list[tuple], sim) -> None:
        """Build the step kernels and record their launches, every argument bound by its parameter name.

        Without `sim` one fused kernel steps the task's own dynamics; with it, an act kernel (actions to the
        simulator's controls), the simulator's launch, then the finish kernel (reward, termination, autoreset).
        """
        self.sim = sim
        scale_type = wp.types.vector(self._sizes[3], float)
        names = list(self.param_names)
        values = {
            "cfg": cfg,
            "num_envs": self.num_envs,
            # Envs per CPU thread: large enough to amortize the per-thread argument loads, small enough that the
            # block of state stays in cache. A GPU runs one env per thread (the kernel's CUDA variant, which a CPU
            # runs too with cpu_envs_per_thread 1: tests/test_episodes.py compares the two).
            "envs_per_thread": 1 if wp.get_device(self.device).is_cuda else self.cpu_envs_per_thread,
            "seed": self.seed,
            "env_offset": self.env_offset,
            "max_episode_steps": self.max_episode_steps,
            "reset_all": 0,
            "action_noise_std": self.action_noise_std,
            "obs_noise_std": self.obs_noise_std,
            "scale_lo": scale_type(*([lo for lo, _ in scale_ranges] or [1.0])),
            "scale_hi": scale_type(*([hi for _, hi in scale_ranges] or [1.0])),
            "delay_lo": self.action_delay[0],
            "delay_hi": self.action_delay[1],
            "mass_param": names.index("mass") if "mass" in names else -1,
            "friction_param": names.index("friction") if "friction" in names else -1,
            "strength_param": names.index("strength") if sim is not None and self._per_env_strength else -1,
            **self._arrays,
            **self._simulator_rows(sim),
        }
        self.envs_per_thread = values["envs_per_thread"]
        num_threads = (self.num_envs + self.envs_per_thread - 1) // self.envs_per_thread

        def record(kernel):
            # Recorded launches skip Warp's per-call argument packing: a few microseconds instead of ~15 per step.
            return self.record_launch(kernel, num_threads, kernel_inputs(kernel, values))

        def kernel(phase):
            return self._make_step_kernel(phase, self.envs_per_thread == 1)

        self.step_kernel = kernel("fused" if sim is None else "finish")
        self.act_kernel = None if sim is None else kernel("act")
        self._step_cmd = record(self.step_kernel)
        self._reset_cmd = record(self.step_kernel)
        self._reset_cmd.set_param_by_name("reset_all", 1)
        self._act_cmd = None if sim is None else record(self.act_kernel)
        self._privileged_cmd = self._privileged_launch(cfg) if self.privileged_obs_names else None
        self._push_cmd = self._push_launch()

    def _push_launch(self):
        """A recorded launch of the push kernel after each step: with probability dt / push_interval_s per step
        (a Poisson process of that mean interval) each of `push_state_cols` gets U(-v, v) (m/s or rad/s) added or
        set, in the simulator's qvel too (the free joint's first columns); None when the env has no pushes."""
        vel_field, interval_field = self.push_fields
        if not self.push_state_cols or self.config[vel_field] <= 0 or self.config[interval_field] <= 0:
            return None
        a = self._arrays
        n, cols = self.num_envs, list(self.push_state_cols)
        with wp.ScopedDevice(self.device):
            # a float view of the state [N, state_dim] and the simulator's qvel rows: the kernel writes both
            state = wp.array(ptr=a["state"].ptr, dtype=float, shape=(n, self.state_dim), device=self.device)
            if self.sim is not None:
                qvel, qvel_cols = self.sim.qvel, wp.array([c - self.sim.nq for c in cols], dtype=int)
            else:
                qvel, qvel_cols = wp.zeros((1, 1), dtype=float), wp.zeros(0, dtype=int)
            self._push_arrays = (state, wp.array(cols, dtype=int), qvel, qvel_cols)  # alive as long as the launch
        probability = min(1.0, self.dt / self.config[interval_field])
        inputs = [self.seed, self.env_offset, probability, self.config[vel_field], int(self.push_adds),
                  self._push_arrays[1], qvel_cols, a["episode"], state, qvel]  # fmt: skip
        return self.record_launch(_push_kernel, n, inputs)

    def record_launch(self, kernel: wp.Kernel, num_threads: int, inputs: list):
        """A recorded launch (wp.Launch, replayed by .launch()) of kernel over num_threads on the env's device, in
        blocks of the env's block_dim."""
        block_dim = launch_block_dim(self.device, num_threads, self.block_dim)
        return wp.launch(kernel, num_threads, inputs=inputs, device=self.device, record_cmd=True, block_dim=block_dim)

    def _make_step_kernel(self, phase: str, one_env_per_thread: bool) -> wp.Kernel:
        """This env's step kernel of one phase ("fused", "act", "finish"), in the CUDA variant (one env per thread)
        or the CPU one (kernels.episode.make_step_kernel)."""
        args = (self.cfg_type, self._sizes, phase, one_env_per_thread, self.obs_head)
        return make_step_kernel(*self.task_funcs, *args)

    def _privileged_launch(self, cfg):
        """A recorded launch (record_cmd=True) that writes `self._privileged` [N, num_privileged_obs] from the
        state after a step; envs that declare `privileged_obs_names` define it."""
        raise NotImplementedError(f"{self.name} declares privileged_obs_names but no _privileged_launch")

    # --- the step API ----------------------------------------------------------------------------------

    def reset(self, seed: int | None = None) -> torch.Tensor:
        """Start a new episode in every env; with a seed, restart every env's random stream from it."""
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, Integral):
                raise ValueError(f"seed must be an integer or None, got {seed!r}")
            self._set_seed(int(seed))
            self._arrays["episode"].zero_()
        self._reset_cmd.launch()
        if self._privileged_cmd is not None:
            self._privileged_cmd.launch()
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
            for cmd in self._after_physics_launches():
                cmd.launch()
        self._step_cmd.launch()
        if self._push_cmd is not None:
            self._push_cmd.launch()
        if self._privileged_cmd is not None:
            self._privileged_cmd.launch()
        return self._obs_t, self._reward_t, self._terminated_t, self._truncated_t, self.info

    def _after_physics_launches(self) -> list:
        """What a subclass launches between the simulator's step and the task kernel (reads of the simulator's
        data; none here)."""
        return []

    def launch_sequence(self) -> list:
        """The recorded launches (wp.Launch) one step() replays after copying the actions, in step()'s order, the
        simulator's included; subclasses that launch more in step() add theirs. Replaying them is step() without its
        checks (tests/test_kernel_times.py); benchmarks/kernel_times.py times them one by one."""
        seq = []
        if self._act_cmd is not None:
            seq += [self._act_cmd, *self.sim.launch_sequence(), *self._after_physics_launches()]
        return seq + [c for c in (self._step_cmd, self._push_cmd, self._privileged_cmd) if c is not None]

    @property
    def applied_actions(self) -> torch.Tensor:
        """The actions the last step applied [num_envs, num_actions], normalized: after noise, clipping, delay."""
        if self.sim is None and self.action_noise_std == 0.0 and self.action_delay[1] == 0:
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
        if self.sim is not None:
            self.sim.set_state(state[:, : self.sim.nq], state[:, self.sim.nq :])
        if self._privileged_cmd is not None:
            self._privileged_cmd.launch()

    def _device_arrays(self) -> dict[str, wp.array]:
        # Every Warp array the env and its simulator own, by name.
        from kernels.articulation import TRANSIENT

        sim = sorted((k, v) for k, v in vars(self.sim).items() if k not in TRANSIENT) if self.sim is not None else []
        arrays = {**self._arrays, **{f"sim.{name}": a for name, a in sim}}
        return {name: a for name, a in arrays.items() if isinstance(a, wp.array) and a.is_contiguous and a.size > 0}

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Copy every device array of the env as bytes: physics (the simulator's too), episode counters, RNG
        stream positions, delay buffers, parameter scales and last outputs; `load_state_dict` continues exactly.
        The simulator's model constants are left out: the env rebuilds them from its arguments (anymal_c_rough's
        height field alone is 82 MB)."""
        out = {}
        for name, a in self._device_arrays().items():
            if _model_constant(name):
                continue
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
        # a checkpoint written before the simulator gained an array loads without it when the env rebuilds that array
        # itself (a model constant from the XML, or scratch every substep recomputes before reading it)
        rebuilt = {name for name in set(arrays) - set(state) if _rebuilt_sim_array(name)}
        arrays = {name: a for name, a in arrays.items() if name not in rebuilt}
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
        for cmd in (self._step_cmd, self._reset_cmd, self._act_cmd, self._push_cmd):
            if cmd is not None:
                cmd.set_param_by_name("seed", seed)

    @property
    def observations(self) -> torch.Tensor:
        """The current observations [num_envs, num_obs] (a live view)."""
        return self._obs_t

    @property
    def episode_step(self) -> torch.Tensor:
        """Steps taken in each env's current episode [num_envs] (int32, a copy: for inspection, not the loop)."""
        return torch.from_numpy(self._arrays["episode"].numpy()["ep_length"].copy())

    def set_episode_step(self, steps) -> None:
        """Set each env's steps taken in its current episode ([num_envs] integers in [0, max_episode_steps)): its
        episode is truncated max_episode_steps - steps later. rsl_rl's init_at_random_ep_len (ppo_warp.py's
        --random-episode-start) draws these once at the start, so that envs reset together do not end together."""
        steps = torch.as_tensor(steps)
        if steps.shape != (self.num_envs,) or steps.dtype.is_floating_point or steps.dtype == torch.bool:
            raise ValueError(
                f"{self.name}: episode steps must be {self.num_envs} integers, got {steps.dtype} {tuple(steps.shape)}"
            )
        lo, hi = int(steps.min()), int(steps.max())  # before the int32 cast, which would wrap a large value
        if lo < 0 or hi >= self.max_episode_steps:
            raise ValueError(
                f"{self.name}: episode steps must lie in [0, max_episode_steps {self.max_episode_steps}), "
                f"got [{lo}, {hi}]"
            )
        steps = wp.array(steps.to("cpu", torch.int32).numpy(), dtype=wp.int32, device=self.device)
        wp.launch(
            set_episode_length_kernel, dim=self.num_envs, inputs=[steps, self._arrays["episode"]], device=self.device
        )

    @property
    def action_delays(self) -> torch.Tensor:
        """Each env's action delay in the current episode, in steps [num_envs] (int32, a copy)."""
        return torch.from_numpy(self._arrays["episode"].numpy()["delay"].copy())

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


def _rebuilt_sim_array(name: str) -> bool:
    """Whether env array `name` ("sim.<field>") is one the simulator rebuilds: a Model field other than the per-env
    scales (randomized state), a Data field of kernels.articulation.SCRATCH, or a contact readout that every step
    rewrites before it is read (the torsional and rolling torques, 0 in the models without them; the constraint force,
    recomputed from the step's data)."""
    from kernels.articulation import SCRATCH

    field = name.removeprefix("sim.")
    if field == name:
        return False
    readouts = ("contact_trq", "pair_trq", "qfrc_constraint")
    return field in SCRATCH or field in readouts or _model_constant(name)


def _model_constant(name: str) -> bool:
    """Whether env array `name` ("sim.<field>") is a Model field the simulator builds from the env's arguments (not
    the per-env scales, which domain randomization draws): left out of state_dict, rebuilt on load."""
    from kernels.types import Model

    field = name.removeprefix("sim.")
    return field != name and field in {f.name for f in dataclasses.fields(Model)} and not field.endswith("_scale")
