"""MjcfEnv, the base of the envs on an MJCF model stepped by the articulated simulator, and the task functions
those envs share.

An MjcfEnv task declares its `asset` (an MJCF file in envs/assets) besides the WarpEnv contract; its sizes are
checked against the model, and config fields declared without a default are derived from the model:
  dt          control step, s: frame_skip MJCF timesteps (or frame_skip sim_dt when the task sets sim_dt)
  init_z      height of the root body in qpos0, m (a free joint's qpos[2])
  init_rootz  a planar root's rootz in qpos0, m (qpos[1], the slide's ref)
  ctrl_scale  half-width of the actuators' one symmetric control range (ctrl = ctrl_scale * a)
  timestep    one simulated MJCF step, s: dt / frame_skip (the MJCF timestep, or sim_dt)
"""

import os
from numbers import Integral, Real

import numpy as np
import warp as wp

from envs.core import ASSETS, WarpEnv, config_defaults, resolve_device
from kernels.articulation import Simulator
from mjcf import load_mjcf

wp.set_module_options({"enable_backward": False})


def _symmetric_ctrl_scale(model, asset: str) -> float:
    lo, hi = model.actuator_ctrlrange[:, 0], model.actuator_ctrlrange[:, 1]
    if not (np.all(hi == hi[0]) and np.all(lo == -hi)):
        raise ValueError(f"{asset}: ctrl_scale needs one symmetric ctrlrange for every actuator")
    return float(hi[0])


class MjcfEnv(WarpEnv):
    """Base of the MJCF-based envs: a kernels.articulation.Simulator (contacts and joint limits on) advances
    the physics between the action kernel and the task kernel; state = concat(qpos, qvel) in MuJoCo order.

    One control step = frame_skip MJCF timesteps, each split into `substeps` implicit Euler substeps, all in
    one simulator launch (`pipeline="split"`, the default on CUDA: five launches per substep; `env_fastest`: the
    simulator's scratch layout; both as kernels.articulation.Simulator, same results). `mass_scale` multiplies
    every body's mass and inertia, `friction_scale` every geom's sliding friction, `strength_scale` every
    actuator's force (motor strength: a motor's gear, a servo's force before its clamp); each per env, fixed or
    drawn per episode like any `<param>_scale` knob.
    """

    asset: str = ""  # MJCF file name in envs/assets
    param_names = ("mass", "friction", "strength")
    task_state_dim: int = 0  # the task's own state after concat(qpos, qvel) (commands, last action, ...)
    frame_skip: int = 5  # MJCF timesteps per control step when the constructor is not told (the task's default)

    def __init_subclass__(cls, **kwargs):
        # The signature shows the task's own frame_skip default rather than the None the constructor declares.
        super().__init_subclass__(**kwargs)
        sig = vars(cls).get("__signature__")
        if sig is not None and sig.parameters["frame_skip"].default is None:
            params = [
                q.replace(default=cls.frame_skip) if q.name == "frame_skip" else q for q in sig.parameters.values()
            ]
            cls.__signature__ = sig.replace(parameters=params)

    def __init__(
        self,
        num_envs: int = 1,
        device: str = "auto",
        seed: int = 0,
        *,
        frame_skip: int | None = None,
        substeps: int = 1,
        sim_dt: float | None = None,
        pipeline: str = "auto",
        env_fastest: bool | None = None,
        block_dim: int = 256,
        **overrides,
    ):
        """Load the task's model, build its simulator (frame_skip steps of sim_dt, default the MJCF timestep, per
        control step; None: the class's frame_skip) and hand both to WarpEnv with the derived config fields."""
        frame_skip = type(self).frame_skip if frame_skip is None else frame_skip
        for name, value in (("num_envs", num_envs), ("frame_skip", frame_skip), ("substeps", substeps)):
            if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if sim_dt is not None and (isinstance(sim_dt, bool) or not isinstance(sim_dt, Real) or not sim_dt > 0):
            raise ValueError(f"sim_dt must be a number > 0 s, got {sim_dt!r}")
        self.model = load_mjcf(os.path.join(ASSETS, self.asset))
        self.frame_skip, self.substeps = int(frame_skip), int(substeps)
        nq, nv = self.model.nq, self.model.nv
        if self.state_dim != nq + nv + self.task_state_dim or self.num_actions != self.model.nu:
            raise ValueError(f"{self.name}: state_dim / num_actions disagree with {self.asset}")
        dt = float(self.model.opt.timestep if sim_dt is None else sim_dt) * self.frame_skip
        sim = Simulator(
            self.model,
            int(num_envs),
            resolve_device(device),
            contacts=True,
            joint_limits=True,
            substeps=self.frame_skip * self.substeps,
            timestep=dt,
            pipeline=pipeline,
            env_fastest=env_fastest,
            block_dim=block_dim,
        )
        constants = self._model_constants(dt)
        super().__init__(num_envs, device, seed, sim=sim, constants=constants, block_dim=block_dim, **overrides)

    def _model_constants(self, dt: float) -> dict[str, float]:
        # the config fields this task declares without a default, from the model (see the module docstring)
        derive = {
            "dt": lambda: dt,
            "init_z": lambda: float(self.model.qpos0[2]),
            "init_rootz": lambda: float(self.model.qpos0[1]),
            "ctrl_scale": lambda: _symmetric_ctrl_scale(self.model, self.asset),
            "timestep": lambda: dt / self.frame_skip,
        }
        wanted = set(self.cfg_type.vars) - set(config_defaults(self.cfg_type))
        return {name: derive[name]() for name in sorted(wanted) if name in derive}
