"""Batched articulated-body simulation on the host side: the ``Simulator`` the envs step.

The device work is in the stage modules: ``kernels.smooth`` (kinematics, com inertias, RNE bias forces,
CRB mass matrix), ``kernels.constraint`` (joint limits, geom-plane contacts), ``kernels.forward`` (smooth
force, factor-solve, Euler, and the fused one-thread-per-env kernels built from them); ``kernels.types``
describes the device model and data and ``kernels.io`` builds them from an MjModel-like description.

Generalized coordinates follow MuJoCo exactly: free qpos = position (3) + quaternion w, x, y, z (4),
free qvel = linear velocity of the joint anchor in the world frame (3) + angular velocity in the body
frame (3); hinge = angle [rad]; slide = displacement [m].
"""

import dataclasses
import warnings

import numpy as np
import torch
import warp as wp

from kernels.forward import (
    CONTACT_KERNEL_CYLINDERS,
    CONTACT_KERNEL_SPIN_ROLL,
    FORCE_KERNEL_FLUID,
    PAIR_KERNEL_CONVEX,
    PAIR_KERNEL_ELLIPTIC,
    PAIR_KERNEL_SPIN_ROLL,
    SOLVE_KERNEL_ELLIPTIC,
    SOLVE_KERNEL_EQUALITY,
    SOLVE_KERNEL_NO_PAIRS_SPIN_ROLL,
    SOLVE_KERNEL_SPIN_ROLL,
    SOLVE_TAILS,
    SPLIT_KERNELS,
    SPLIT_KERNELS_FRICTION,
    SPLIT_KERNELS_NO_PAIRS,
    SPLIT_KERNELS_NO_PAIRS_FRICTION,
    _constraint_force_kernel,
    _forward_kernel,
    _solve_queue_reset_kernel,
    _step_kernel,
    _step_kernel_convex,
    _step_kernel_elliptic,
    _step_kernel_equality,
    _step_kernel_friction,
    _step_kernel_spin_roll,
    launch_block_dim,
    launch_inputs,
)
from kernels.io import convex_pair, make_data, put_model
from kernels.solve_tiled import TILE_BLOCK_DIM, solve_kernel
from kernels.types import GEOM_CYLINDER, GEOM_ELLIPSOID

# Data fields recomputed every substep before they are read: stored env-fastest on request. qacc is not: the next
# substep's constraint solve starts from the active set at it (MuJoCo's warm start); it, qpos, qvel, ctrl, the
# contact forces the observations read and the active-set masks (int) stay env-major for state_dict and torch views.
SCRATCH = (
    "xpos", "xquat", "xanchor", "xaxis", "cdof", "cmass", "cmc", "crot", "cvel", "cacc", "cfrc", "qfrc_bias", "qM",
    "qH", "qfrc_smooth", "implicit_b", "jac", "qacc_prev", "contact_jacp", "contact_dcoef", "contact_fref",
    "contact_point", "contact_normal", "contact_vel", "contact_frame", "contact_mu", "contact_mu_ang", "contact_angvel",
    "pair_dcoef", "pair_aref", "pair_point", "pair_normal", "pair_frame", "pair_mu", "pair_mu_ang", "pair_aref_rot",
    *("epa_vert", "epa_face", "epa_plane", "epa_work"),
)  # fmt: skip
# scratch written before it is read within one pair's collision (kernels.convex's EPA polytope) or one substep's
# solve (the split solve's queue): left out of an env's state_dict (16 KB per env for a model with convex pairs)
TRANSIENT = ("epa_vert", "epa_face", "epa_plane", "epa_work", "solve_queue", "solve_count")


# physics paths of Simulator(pipeline=...): split_tiled is split with the constraint solve in blocks of threads
# (kernels.solve_tiled; models without geom pairs)
PIPELINES = ("fused", "split", "split_tiled")


class Simulator:
    """Batched articulated-body simulator: num_envs copies of one model stepped by MuJoCo's Euler integrator (or its
    implicitfast, where the model asks for it).

    ``model`` is anything with mujoco.MjModel's attribute names, shapes and meaning (``mjcf.load_mjcf``
    output or a ``mujoco.MjModel``). ``contacts`` adds geom-plane contacts, ``joint_limits`` hinge/slide limits,
    both MuJoCo's soft constraints from the model's solref/solimp/margin (``kernels.contact``), linear in qacc
    and solved with the mass matrix. Each ``step()`` runs
    ``substeps`` Euler steps of timestep / substeps [s]: in one launch (``pipeline="fused"``, the default on a CPU)
    or five to seven launches per substep (``"split"``, the default on CUDA: fewer registers per thread, see
    ``kernels.forward.SPLIT_KERNELS``; the solve as a head and a tail kernel, ``kernels.forward._split_solve``);
    both compute the same numbers. ``"split_tiled"`` (models without geom pairs): the split launches with the
    constraint solve in one block of threads per env (``kernels.solve_tiled``),
    the same numbers to float32 rounding. ``env_fastest`` (default: on CUDA) stores
    the per-substep scratch (kinematics, inertias, mass matrix, forces) with the env index fastest in memory, so the
    threads of a GPU warp read and write neighbouring addresses; the arrays keep their (N, ...) shapes as strided
    views, and qpos, qvel, qacc, ctrl and the contact forces (carried between steps) stay env-major. ``block_dim``:
    CUDA threads per block of its launches (0: enough blocks for every SM, ``kernels.forward.launch_block_dim``),
    but for the tiled solve's (``kernels.solve_tiled.TILE_BLOCK_DIM``).

    The fields of ``kernels.types.Model`` and ``Data`` are attributes of the simulator (``sim.qpos``,
    ``sim.body_mass_scale``, ``sim.qM``, ...), so code that walks the simulator's arrays sees them all.
    """

    def __init__(
        self,
        model,
        num_envs: int,
        device: str = "cpu",
        contacts: bool = False,
        joint_limits: bool = False,
        substeps: int = 1,
        timestep: float | None = None,
        pipeline: str = "auto",
        env_fastest: bool | None = None,
        block_dim: int = 256,
    ):
        if isinstance(substeps, bool) or not isinstance(substeps, (int, np.integer)) or substeps < 1:
            raise ValueError(f"substeps must be an int >= 1, got {substeps!r}")
        self.contacts = bool(contacts)
        self.joint_limits = bool(joint_limits)
        if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs must be an int >= 1, got {num_envs!r}")
        self.num_envs = int(num_envs)
        if device == "auto":
            device = "cuda:0" if wp.is_cuda_available() else "cpu"
        self.device = wp.get_device(device)
        if pipeline == "auto":
            pipeline = "split" if self.device.is_cuda else "fused"
        if pipeline not in PIPELINES:
            raise ValueError(f"pipeline must be 'auto', 'fused', 'split' or 'split_tiled', got {pipeline!r}")
        self.pipeline = pipeline
        if env_fastest is None:
            env_fastest = self.device.is_cuda
        if not isinstance(env_fastest, bool):
            raise ValueError(f"env_fastest must be None, True or False, got {env_fastest!r}")
        self.env_fastest = env_fastest
        launch_block_dim(self.device, self.num_envs, block_dim)  # validates it
        self.block_dim = block_dim
        self._torch_device = torch.device(wp.device_to_torch(self.device))
        integrator = int(getattr(model.opt, "integrator", 0))
        if integrator == 1:
            # stepping an RK4 model with Euler changes its trajectories: say so once, do not refuse, as
            # Gymnasium-style models often name an integrator their tasks do not depend on
            warnings.warn(
                "model.opt.integrator is 1 (RK4): this Simulator steps MuJoCo's semi-implicit Euler with implicit "
                "joint damping",
                stacklevel=2,
            )
        elif integrator == 2:
            # implicitfast (3) is MuJoCo's: damping and the servos' velocity terms implicit (forward.smooth_force)
            warnings.warn(
                "model.opt.integrator is 2 (implicit): this Simulator steps it as implicitfast (damping and the "
                "actuators' velocity derivatives implicit, without implicit's Coriolis and centrifugal derivatives)",
                stacklevel=2,
            )
        if integrator in (2, 3) and np.any(np.asarray(model.jnt_type) == 0):
            # measured against MuJoCo 4.0.0: a free box spinning at 20 rad/s drifts 4.7e-3 m from MuJoCo's implicitfast
            # in 100 steps (Euler: 8e-8); a slowly turning base (the Menagerie robots' keyframes) agrees to 5e-6
            warnings.warn(
                "implicitfast with a free joint: MuJoCo 4.0 also integrates part of a free body's rotational velocity "
                "terms implicitly, which this Simulator does not; fast-spinning free bodies drift from MuJoCo's",
                stacklevel=2,
            )
        fluid = float(getattr(model.opt, "density", 0.0)) > 0 or float(getattr(model.opt, "viscosity", 0.0)) > 0
        if integrator in (2, 3) and fluid:
            warnings.warn(
                "implicitfast with fluid forces: MuJoCo also integrates the fluid forces' velocity derivatives "
                "implicitly; this Simulator applies them explicitly",
                stacklevel=2,
            )
        # MuJoCo's elliptic friction cone (go1, go2, a1, anymal_b, spot): kernels of its own (kernels.elliptic)
        self._elliptic = self.contacts and int(getattr(model.opt, "cone", 0)) != 0
        if pipeline == "split_tiled" and self._elliptic:
            raise ValueError(
                "pipeline 'split_tiled' solves MuJoCo's pyramidal friction cone only; this model asks for the elliptic "
                "cone (opt.cone): use 'split' or 'fused'"
            )
        timestep = float(model.opt.timestep if timestep is None else timestep)
        if not np.isfinite(timestep) or timestep <= 0:
            raise ValueError(f"timestep must be > 0 s, got {timestep!r}")

        self.nbody, self.njnt, self.ngeom = int(model.nbody), int(model.njnt), int(model.ngeom)
        self.nq, self.nv, self.nu = int(model.nq), int(model.nv), int(model.nu)
        m = put_model(
            model,
            self.device,
            contacts=self.contacts,
            joint_limits=self.joint_limits,
            substeps=int(substeps),
            timestep=timestep,
        )
        if pipeline == "split_tiled" and m.cpair_body1.shape[0] != 0:
            raise ValueError(
                f"pipeline 'split_tiled' solves models without geom pairs only (ground contacts and joint limits); "
                f"this model has {m.cpair_geom1.shape[0]} geom pairs that may touch: use 'split' or 'fused'"
            )
        # torsional / rolling friction rows (condim 4 / 6, against the ground or between geoms): kernels of their own
        self._spin_roll = any(
            a.shape[0] and bool(np.any(a.numpy()[:, 0] > 0)) for a in (m.cgeom_friction_ang, m.cpair_friction_ang)
        )
        if pipeline == "split_tiled" and self._spin_roll:
            raise ValueError(
                "pipeline 'split_tiled' solves sliding friction only (condim 1 and 3); this model has condim 4 / 6 "
                "contacts (torsional or rolling friction): use 'split' or 'fused'"
            )
        self._equality = m.eq_type.shape[0] > 0
        # pairs for the general convex collider (kernels.convex): kernels of their own
        gtype = m.geom_type.numpy()
        self._convex = any(
            convex_pair(*sorted((int(gtype[a]), int(gtype[b]))))
            for a, b in zip(m.cpair_geom1.numpy(), m.cpair_geom2.numpy(), strict=True)
        )
        if pipeline == "split_tiled" and self._equality:
            raise ValueError(
                f"pipeline 'split_tiled' solves no equality constraints; this model has {m.eq_type.shape[0]}: use "
                "'split' or 'fused'"
            )
        d = make_data(model, self.num_envs, self.device)
        if self.env_fastest:
            for name in SCRATCH:
                a = getattr(d, name)
                # allocated (..., N) and viewed as (N, ...): element [w, i, j] sits at i * stride + w
                axes = tuple(range(1, a.ndim)) + (0,)
                base = wp.zeros(tuple(a.shape[k] for k in axes), dtype=a.dtype, device=self.device)
                setattr(d, name, base.transpose((a.ndim - 1,) + tuple(range(a.ndim - 1))))
        # flat attributes rather than sim.m / sim.d: envs (state_dict) walk vars(sim) for its arrays, and
        # set_params swaps the per-env rows in place of the shared one
        for obj in (m, d):
            for f in dataclasses.fields(obj):
                setattr(self, f.name, getattr(obj, f.name))

        self._friction = bool(np.any(self.dof_frictionloss.numpy() > 0))
        # zero-copy torch views, created once
        self._qpos_t = wp.to_torch(self.qpos)
        self._qvel_t = wp.to_torch(self.qvel)
        self._ctrl_t = wp.to_torch(self.ctrl)
        # the last step's qfrc_constraint (constraint_force), env-major: written on request only
        self.qfrc_constraint = wp.zeros((self.num_envs, self.nv), dtype=float, device=self.device)
        self._qfrc_constraint_t = wp.to_torch(self.qfrc_constraint)
        self._build_launches()

    # -- validation ------------------------------------------------------------------------------

    def _check_tensor(self, name: str, x, cols: int, check_nan: bool = True) -> None:
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
        if x.dtype != torch.float32:
            raise ValueError(f"{name} must be torch.float32, got {x.dtype}")
        if tuple(x.shape) != (self.num_envs, cols):
            raise ValueError(f"{name} must have shape ({self.num_envs}, {cols}), got {tuple(x.shape)}")
        if x.device != self._torch_device:
            raise ValueError(f"{name} must be on device {self._torch_device}, got {x.device}")
        if check_nan and not bool(torch.isfinite(x).all()):
            raise ValueError(f"{name} contains NaN or inf")

    # -- launches --------------------------------------------------------------------------------

    def _build_launches(self) -> None:
        # recorded once, replayed by step(): no per-call argument packing or allocation; arguments bound
        # by name from the Model/Data fields held as attributes. Only the pipeline in use is recorded (recording
        # compiles a kernel's module) and forward()'s kernel on first use.
        # the kernels with the dof friction-loss rows only for a model that has them (they cost registers on CUDA)
        friction = self._friction
        kernels = (_step_kernel_friction if friction else _step_kernel,)
        if self._spin_roll:
            kernels = (_step_kernel_spin_roll,)
        if self._equality:
            kernels = (_step_kernel_equality,)
        if self._convex:
            kernels = (_step_kernel_convex,)
        if self._elliptic:
            kernels = (_step_kernel_elliptic,)
        if self.pipeline != "fused":
            if self.cpair_body1.shape[0] == 0:
                kernels = SPLIT_KERNELS_NO_PAIRS_FRICTION if friction else SPLIT_KERNELS_NO_PAIRS
            else:
                kernels = SPLIT_KERNELS_FRICTION if friction else SPLIT_KERNELS
            if np.any(np.isin(self.cgeom_type.numpy(), (GEOM_CYLINDER, GEOM_ELLIPSOID))):
                kernels = tuple(CONTACT_KERNEL_CYLINDERS if k is SPLIT_KERNELS[1] else k for k in kernels)
            if self._spin_roll:
                solve = SOLVE_KERNEL_NO_PAIRS_SPIN_ROLL if self.cpair_body1.shape[0] == 0 else SOLVE_KERNEL_SPIN_ROLL
                kernels = (SPLIT_KERNELS[0], CONTACT_KERNEL_SPIN_ROLL, *kernels[2:-1], solve)
                kernels = tuple(PAIR_KERNEL_SPIN_ROLL if k is SPLIT_KERNELS[2] else k for k in kernels)
            if self._equality or self._convex:
                # the pair kernel (its contact points, when the model has pairs) and the solve with every row family
                pairs = self.cpair_body1.shape[0] > 0
                pair_kernel = PAIR_KERNEL_CONVEX if self._convex else PAIR_KERNEL_SPIN_ROLL
                kernels = (SPLIT_KERNELS[0], CONTACT_KERNEL_SPIN_ROLL) + ((pair_kernel,) if pairs else ())
                kernels += (SPLIT_KERNELS[3], SOLVE_KERNEL_EQUALITY)
            if self._elliptic:
                pair_kernel = (PAIR_KERNEL_ELLIPTIC,) if self.cpair_body1.shape[0] > 0 else ()
                kernels = (
                    SPLIT_KERNELS[0],
                    CONTACT_KERNEL_SPIN_ROLL,
                    *pair_kernel,
                    SPLIT_KERNELS[3],
                    SOLVE_KERNEL_ELLIPTIC,
                )
            if self.fluid:
                kernels = tuple(FORCE_KERNEL_FLUID if k is SPLIT_KERNELS[3] else k for k in kernels)
        if self.pipeline == "split_tiled":
            # the solve kernel's place (not recorded: that would compile it): one block of TILE_BLOCK_DIM threads per
            # env (a CPU runs a block as one lane unless wp.config.enable_cpu_blocks is set when this is recorded)
            self._step_cmds = [self._record(k) for k in kernels[:-1]]
            kernel = solve_kernel(self.nv, friction)
            inputs = launch_inputs(kernel, vars(self))
            tiled = dict(dim=[self.num_envs], inputs=inputs, device=self.device, block_dim=TILE_BLOCK_DIM)
            self._step_cmds.append(wp.launch_tiled(kernel, record_cmd=True, **tiled))
        elif self.pipeline == "fused":
            self._step_cmds = [self._record(k) for k in kernels]
        else:
            # the solve as its head and tail kernels (kernels.forward.SOLVE_TAILS), the queue between them emptied first
            reset = wp.launch(_solve_queue_reset_kernel, 1, [self.solve_count], device=self.device, record_cmd=True)
            solve = kernels[-1]
            self._step_cmds = [self._record(k) for k in kernels[:-1]]
            self._step_cmds += [reset, self._record(solve), self._record(SOLVE_TAILS[solve])]
        self._forward_cmd = None
        self._constraint_cmd = None

    def _record(self, kernel: wp.Kernel):
        inputs = launch_inputs(kernel, vars(self))
        block_dim = launch_block_dim(self.device, self.num_envs, self.block_dim)
        return wp.launch(kernel, self.num_envs, inputs=inputs, device=self.device, record_cmd=True, block_dim=block_dim)

    # -- public API ------------------------------------------------------------------------------

    def set_state(self, qpos: torch.Tensor, qvel: torch.Tensor) -> None:
        """Copy generalized positions [N, nq] and velocities [N, nv] (MuJoCo conventions) into the device state."""
        self._check_tensor("qpos", qpos, self.nq)
        self._check_tensor("qvel", qvel, self.nv)
        self._qpos_t.copy_(qpos)
        self._qvel_t.copy_(qvel)
        # the constraint solve starts from the active set at the last substep's qacc: none for a new state, so that
        # the state alone decides the next step
        self.qacc.zero_()
        self.contact_force.zero_()
        self.pair_force.zero_()

    def get_state(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Zero-copy torch views (qpos [N, nq], qvel [N, nv]) of the device state; the next step overwrites them."""
        return self._qpos_t, self._qvel_t

    def step(self, ctrl: torch.Tensor | None = None) -> None:
        """Advance every env by timestep [s] under controls ctrl [N, nu] (None: keep the last ctrl).

        Checks shape, dtype and device only (NaN checks would need a host sync); no allocation.
        """
        if ctrl is not None:
            self._check_tensor("ctrl", ctrl, self.nu, check_nan=False)
            self._ctrl_t.copy_(ctrl)
        for _ in range(1 if self.pipeline == "fused" else self.substeps):
            for cmd in self._step_cmds:
                cmd.launch()

    def launch_sequence(self) -> list:
        """The recorded launches (wp.Launch) one step() replays after copying ctrl, in order: the fused kernel, or
        substeps x the split kernels (profiling: benchmarks/kernel_times.py)."""
        return [cmd for _ in range(1 if self.pipeline == "fused" else self.substeps) for cmd in self._step_cmds]

    def forward(self) -> dict[str, torch.Tensor]:
        """Kinematics, mass matrix and bias forces at the current state, as torch views (debug and tests).

        Returns xpos [N, nbody, 3] (world, m), xquat [N, nbody, 4] (w, x, y, z, a copy), qM [N, nv, nv]
        (incl. armature, as mujoco.mj_fullM), qfrc_bias [N, nv] (Coriolis, centrifugal and gravity, as
        MjData.qfrc_bias).
        """
        if self._forward_cmd is None:
            self._forward_cmd = self._record(_forward_kernel)
        self._forward_cmd.launch()
        xquat = wp.to_torch(self.xquat)
        return {
            "xpos": wp.to_torch(self.xpos),
            "xquat": xquat[..., [3, 0, 1, 2]],
            "qM": wp.to_torch(self.qM),
            "qfrc_bias": wp.to_torch(self.qfrc_bias),
        }

    def constraint_force(self) -> torch.Tensor:
        """MuJoCo's qfrc_constraint [N, nv] (N m or N per dof, MjData.qfrc_constraint after mj_step): the generalized
        force of the joint-limit, friction-loss, contact and equality rows in the last substep of the last step(), at
        that substep's start state. A torch view that the next call overwrites; meaningless before the first step()
        and after set_state() until the next step()."""
        self.constraint_force_launch().launch()
        return self._qfrc_constraint_t

    def constraint_force_launch(self):
        """The recorded launch (wp.Launch) that writes ``constraint_force()``'s array ``qfrc_constraint`` from the
        last step's data, for envs that replay it after each step."""
        if self._constraint_cmd is None:
            self._constraint_cmd = self._record(_constraint_force_kernel)
        return self._constraint_cmd

    def set_hfield(self, heights, spacing: float = 0.1) -> None:
        """Collide the geoms with a height field, heights[i, j] [m] at world (i spacing, j spacing) [m], two
        triangles per cell (kernels.terrain), and with the model's plane outside it; heights None: the plane alone.

        One field serves every env. The array is copied to the device; the launches are rebuilt (not in a loop).
        """
        if heights is None:
            heights, spacing = np.zeros((1, 1), dtype=np.float32), 1.0
        else:
            heights = np.asarray(heights, dtype=np.float32)
            if heights.ndim != 2 or min(heights.shape) < 2 or not np.all(np.isfinite(heights)):
                raise ValueError(f"heights must be a finite 2D array of >= 2 x 2 samples, got shape {heights.shape}")
            if isinstance(spacing, bool) or not isinstance(spacing, (int, float)) or not spacing > 0:
                raise ValueError(f"spacing must be a number > 0 m, got {spacing!r}")
        self.hfield = wp.array(heights, dtype=float, device=self.device)
        self.hfield_spacing = float(spacing)
        self._build_launches()

    def set_params(
        self,
        body_mass_scale: torch.Tensor | None = None,
        actuator_gear_scale: torch.Tensor | None = None,
        dof_damping_scale: torch.Tensor | None = None,
        geom_friction_scale: torch.Tensor | None = None,
    ) -> None:
        """Set per-env multipliers of body mass and inertia [E, nbody], motor gear [E, nu], dof damping [E, nv],
        geom friction [E, ngeom] (the friction of each of its ground contacts, sliding, torsional and rolling).

        E = 1 shares one row across envs, E = num_envs gives each env its own; env i reads row i % E.
        """
        for name, value, cols in (
            ("body_mass_scale", body_mass_scale, self.nbody),
            ("actuator_gear_scale", actuator_gear_scale, self.nu),
            ("dof_damping_scale", dof_damping_scale, self.nv),
            ("geom_friction_scale", geom_friction_scale, self.ngeom),
        ):
            if value is None:
                continue
            if not isinstance(value, torch.Tensor):
                raise ValueError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
            if value.dtype != torch.float32:
                raise ValueError(f"{name} must be torch.float32, got {value.dtype}")
            if value.ndim != 2 or value.shape[1] != cols or value.shape[0] not in (1, self.num_envs):
                raise ValueError(f"{name} must have shape (1 or {self.num_envs}, {cols}), got {tuple(value.shape)}")
            if value.device != self._torch_device:
                raise ValueError(f"{name} must be on device {self._torch_device}, got {value.device}")
            if not bool(torch.isfinite(value).all()):
                raise ValueError(f"{name} must be finite")
            if name == "body_mass_scale" and not bool((value > 0).all()):
                raise ValueError("body_mass_scale must be > 0 (a massless moving body makes M singular)")
            if bool((value < 0).any()):
                raise ValueError(f"{name} must be >= 0")
            current = getattr(self, name)
            if current.shape[0] != value.shape[0]:
                setattr(self, name, wp.zeros((value.shape[0], cols), dtype=float, device=self.device))
                wp.to_torch(getattr(self, name)).copy_(value)
                self._build_launches()
            else:
                wp.to_torch(current).copy_(value)
