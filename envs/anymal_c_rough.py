"""ANYmal C on rough terrain: legged_gym's `anymal_c_rough` velocity-tracking task with its terrain curriculum.

Sources (leggedrobotics/legged_gym at 8fa29ac): envs/anymal_c/mixed_terrains/anymal_c_rough_config.py,
envs/base/legged_robot_config.py (LeggedRobotCfg.terrain, rewards, commands, noise), envs/base/legged_robot.py
(_get_heights, _init_height_points, _get_env_origins, _update_terrain_curriculum, compute_observations),
utils/terrain.py (envs/terrain.py here). Everything the flat task (envs/anymal_c.py, its docstring) does, this task
does on a height-field terrain: same robot, servos, action, commands, pushes, reset, randomization and state; the
differences are listed here.

Action (12): as anymal_c, joint position targets default_dof_pos + action_scale (0.5) * a [rad], a in [-1, 1].

Observation (235): anymal_c's 48 (idx 0-47, same scales and noise), then the terrain scan:
  | idx    | quantity                                                                 | scale | noise (before scale) |
  | 48-234 | clip(base z - 0.5 - ground height, -1, 1) at 187 points [m]              | 5.0   | 0.1                  |
The points are legged_gym's measured_points_x (-0.8 to 0.8 m, step 0.1) x measured_points_y (-0.5 to 0.5 m, step
0.1), point k = (x[k // 11], y[k % 11]), around the base in its yaw frame (quat_apply_yaw); ground height = the
terrain surface there (kernels.terrain.hfield_height; legged_gym takes the lowest of three grid samples).

Terrain (envs/terrain.py, one height field for all envs, generated from terrain_seed): num_rows (10) difficulty levels x
num_cols (20) terrain types of 8 m x 8 m tiles, horizontal_scale (0.1) m x 0.005 m resolution; types by legged_gym's
proportions (smooth slope, rough slope, stairs up, stairs down, discrete obstacles = 0.1, 0.1, 0.35, 0.25, 0.2); level
i has difficulty i / num_rows: slope 0.4 d, step height 0.05 + 0.18 d m, obstacles 0.05 + 0.2 d m. With slope_threshold
(0.75, legged_gym's slope_treshold) the field is refined riser_refine (4) times and every step steeper than it is a
riser one fine cell (0.025 m) wide at the higher sample (legged_gym's trimesh: vertical), the treads flat
(envs.terrain.vertical_risers); None keeps the samples (risers are 0.1 m ramps). Foot contacts: each foot sphere
against the closest point of the terrain's triangles (kernels.terrain.hfield_sphere), MuJoCo's soft contact law as on
the plane.

Reward: anymal_c's terms (tracking_lin_vel, tracking_ang_vel, lin_vel_z, ang_vel_xy, orientation, torques, dof_acc,
action_rate, feet_air_time, positive_clip), with LeggedRobotCfg's rough weights as defaults:
tracking_lin_vel_weight (1.0), tracking_ang_vel_weight (0.5), lin_vel_z_weight (-2.0), ang_vel_xy_weight (-0.05),
orientation_weight (0.0), torques_weight (-1e-05), dof_acc_weight (-2.5e-07), action_rate_weight (-0.01),
feet_air_time_weight (1.0), tracking_sigma (0.25), only_positive_rewards (1.0). A foot is in contact when its sphere
reaches the ground plane under it. legged_gym's collision term (thighs and shanks) is not computed: the asset's only
colliding geoms are the feet.

Commands: lin_vel_x_range (-1.0, 1.0), lin_vel_y_range (-1.0, 1.0) m/s, resampled every resampling_time (10.0) s
(legged_gym's rough defaults). With heading_command (1.0) (legged_gym's heading mode) a heading target U(-3.14, 3.14)
rad is drawn with each command and every step the yaw-rate command becomes clip(0.5 wrap(target - base heading), -1, 1)
rad/s (set after the step's reward, so the reward uses the previous step's; legged_gym's the current one); with 0,
the yaw rate is drawn from ang_vel_yaw_range (-1.0, 1.0) rad/s. Pushes: every push_interval_s (15.0) s, up to
max_push_vel_xy (1.0) m/s.
Other flat-task fields keep their defaults: action_scale (0.5), noise_level (1.0), init_z (0.6),
reset_base_vel (0.5), min_base_height (0.25), max_gravity_z (-0.5); height_scale (5.0), height_noise (0.1) and
scan_offset (0.5) set the scan's observation as above (legged_gym's values; ppo_warp.py's preset trains with
height_scale 0.5, docs/anymal_c_rough.md says why).

Reset and curriculum: env i (global index) walks terrain type column i % num_cols (legged_gym assigns blocks of envs
to columns, which depends on num_envs); its first level is drawn uniformly from 0..max_init_level (5) (0..num_rows - 1
without the curriculum). At each reset the base starts at its tile's origin (centre, the highest ground within 1 m)
+ init_z, shifted by U(-1, 1) m in x and y. With curriculum (True), an env that ends an episode more than half a tile
from its origin moves up a level, one that walked less than half the distance its command asks for over a full
episode (|cmd_xy| * 20 s / 2) moves down; past the last level it goes to a random level; the distance is measured at
the episode's second-to-last step (one step before legged_gym's).

Termination: base height above the ground under it below min_base_height, tilt beyond 60 degrees, non-finite state.
Truncation: 1,000 steps (20 s).

Domain randomization: anymal_c's friction_scale, base_mass_scale, strength_scale (per env, per episode).
info["privileged_obs"] (200): anymal_c's 13 (base velocities, the three scales, foot contacts) and the noise-free
scan (187).

State (`get_state`, 62): anymal_c's layout (qpos, qvel in world coordinates, then the task's state). The terrain
level and origin of each env live beside it (`terrain_levels`, `env_origins`) and in `state_dict`.
"""

import functools

import torch
import warp as wp

from envs import terrain as terrain_gen
from envs.anymal_c import (
    CMD,
    COUNT,
    KEY,
    KEY_RANGE,
    NUM_PRIV,
    STATE_DIM,
    AnymalC,
    AnymalCConfig,
    anymal_funcs,
    scale_type,
)
from envs.anymal_c import NUM_OBS as FLAT_OBS
from envs.core import config_defaults, resolve_device
from kernels.episode import EpisodeState
from kernels.rng import env_rng
from kernels.terrain import hfield_height, hfield_plane

wp.set_module_options({"enable_backward": False})

# legged_gym's LeggedRobotCfg.terrain.measured_points_x / _y [m]
SCAN_X = tuple(round(-0.8 + 0.1 * i, 1) for i in range(17))
SCAN_Y = tuple(round(-0.5 + 0.1 * i, 1) for i in range(11))
NUM_SCAN = wp.constant(len(SCAN_X) * len(SCAN_Y))
NUM_OBS = wp.constant(FLAT_OBS + len(SCAN_X) * len(SCAN_Y))
NUM_PRIV_ROUGH = NUM_PRIV + len(SCAN_X) * len(SCAN_Y)
SCAN_NY = wp.constant(len(SCAN_Y))

# LeggedRobotCfg's rough-terrain values where they differ from anymal_c_flat's (anymal_c_rough keeps them)
ROUGH_DEFAULTS = {
    "orientation_weight": 0.0,
    "torques_weight": -1.0e-5,
    "feet_air_time_weight": 1.0,
    "resampling_time": 10.0,
    "ang_vel_yaw_range": (-1.0, 1.0),
}


def _config_struct():
    """AnymalCConfig's table with the rough defaults, the scan's scales and the terrain height field."""
    defaults = {**config_defaults(AnymalCConfig), **ROUGH_DEFAULTS}
    annotations = {name: var.type for name, var in AnymalCConfig.vars.items()}
    annotations.update(
        height_scale=float,  # observation units per m of scan
        height_noise=float,  # m, uniform scan noise half-width (times noise_level)
        scan_offset=float,  # m, subtracted from the base height above each scan point
        heading_command=float,  # 1: legged_gym's heading mode sets the yaw-rate command, 0: drawn as anymal_c
        hfield=wp.array2d[float],  # m, terrain heights at world (i hfield_spacing, j hfield_spacing)
        hfield_spacing=float,  # m
    )
    defaults.update(height_scale=5.0, height_noise=0.1, scan_offset=0.5, heading_command=1.0)
    namespace = {"__annotations__": annotations, "__module__": __name__, **defaults}
    namespace["__doc__"] = "anymal_c_rough's config: AnymalCConfig's fields, the scan's scales and the height field."
    return wp.struct(type("AnymalCRoughConfig", (), namespace))


AnymalCRoughConfig = _config_struct()


@wp.func
def terrain_ground(cfg: AnymalCRoughConfig, x: float, y: float):
    """Plane (unit normal, offset [m]) of the terrain under world (x, y) [m]; outside the field the floor z = 0,
    the plane of anymal_c.xml that the simulator falls back to there."""
    return hfield_plane(cfg.hfield, cfg.hfield_spacing, x, y, wp.vec3(0.0, 0.0, 1.0), 0.0)


@functools.cache
def rough_funcs():
    """Build the task's four functions (anymal_c's on the terrain, and the 235-long observation) and scan(cfg, s, k),
    scan point k's noise-free observation: clip(base z - scan_offset - ground height, -1, 1) * height_scale."""
    (step, terminated, reset, flat_observe), _, _ = anymal_funcs(AnymalCRoughConfig, terrain_ground)
    state_type = wp.types.vector(STATE_DIM, wp.float32)
    obs_type = wp.types.vector(NUM_OBS, wp.float32)
    scan_x = wp.constant(wp.types.vector(len(SCAN_X), wp.float32)(*SCAN_X))
    scan_y = wp.constant(wp.types.vector(len(SCAN_Y), wp.float32)(*SCAN_Y))

    @wp.func
    def scan(cfg: AnymalCRoughConfig, s: state_type, k: int) -> float:
        # legged_gym's quat_apply_yaw: the base quaternion with its x, y parts zeroed, normalized
        yaw = wp.normalize(wp.quat(0.0, 0.0, s[6], s[3]))
        p = wp.quat_rotate(yaw, wp.vec3(scan_x[k // SCAN_NY], scan_y[k % SCAN_NY], 0.0))
        x = s[0] + p[0]
        y = s[1] + p[1]
        h = hfield_height(cfg.hfield, cfg.hfield_spacing, x, y, wp.vec3(0.0, 0.0, 1.0), 0.0)
        return wp.clamp(s[2] - cfg.scan_offset - h, -1.0, 1.0) * cfg.height_scale

    @wp.func
    def observe(cfg: AnymalCRoughConfig, sc: scale_type, s: state_type):
        flat = flat_observe(cfg, sc, s)
        o = obs_type()
        for i in range(FLAT_OBS):
            o[i] = flat[i]
        rng = scan_rng(s)
        noise = cfg.noise_level * cfg.height_noise * cfg.height_scale
        for k in range(NUM_SCAN):
            v = scan(cfg, s, k)
            if noise > 0.0:
                v += noise * wp.randf(rng, -1.0, 1.0)
            o[FLAT_OBS + k] = wp.clamp(v, -100.0, 100.0)
        return o

    return (step, terminated, reset, observe), scan


@wp.func
def scan_rng(s: wp.types.vector(STATE_DIM, wp.float32)) -> wp.uint32:
    """RNG state of the scan noise at state s (a stream beside the flat observation's (key, 2 count + 1)): the scan's
    k-th draw is its k-th randf, so the curriculum kernel can take the noise back out for the privileged scan."""
    return wp.rand_init(int(s[KEY]) + KEY_RANGE, 2 * int(s[COUNT]) + 1)


@functools.cache
def _place_kernel():
    """Kernel: terrain levels and spawn origins at resets (the curriculum), progress, the privileged scan."""
    _, scan = rough_funcs()
    state_type = wp.types.vector(STATE_DIM, wp.float32)
    obs_type = wp.types.vector(NUM_OBS, wp.float32)

    @wp.kernel(module="unique", enable_backward=False)
    def place(
        # Model:
        cfg: AnymalCRoughConfig,
        seed: int,
        env_offset: int,
        first_reset: int,
        curriculum: int,
        obs_noise_std: float,
        max_init_level: int,
        tile_size: float,
        episode_s: float,
        origins: wp.array2d[wp.vec3],
        # Data in:
        episode_in: wp.array[EpisodeState],
        # Data in and out:
        state: wp.array[state_type],
        level: wp.array[int],
        env_origin: wp.array[wp.vec3],
        progress: wp.array[wp.vec2],
        heading: wp.array[float],
        # Data out:
        obs_out: wp.array[obs_type],
        privileged_out: wp.array2d[float],
    ):
        worldid = wp.tid()
        gid = env_offset + worldid
        num_rows = origins.shape[0]
        noise = cfg.noise_level * cfg.height_noise * cfg.height_scale
        s = state[worldid]
        ob = obs_out[worldid]
        just_reset = episode_in[worldid].ep_length == 0
        if just_reset:
            lvl = level[worldid]
            if first_reset != 0:
                # legged_gym's _get_env_origins: levels uniform in 0..max_init_level, all levels without curriculum
                rng = env_rng(seed, gid, -1)
                top = num_rows - 1
                if curriculum != 0:
                    top = wp.min(max_init_level, num_rows - 1)
                lvl = wp.randi(rng, 0, top + 1)
            elif curriculum != 0:
                # legged_gym's _update_terrain_curriculum on the ended episode's distance from its origin
                walked = progress[worldid]
                up = walked[0] > 0.5 * tile_size
                down = walked[0] < walked[1] * episode_s * 0.5 and not up
                if up:
                    lvl += 1
                if down:
                    lvl -= 1
                if lvl >= num_rows:
                    rng = wp.rand_init(int(s[KEY]) + 2 * KEY_RANGE, 1)
                    lvl = wp.randi(rng, 0, num_rows)
                lvl = wp.max(lvl, 0)
            level[worldid] = lvl
            o = origins[lvl, gid % origins.shape[1]]
            env_origin[worldid] = o
            # legged_gym's _reset_root_states: base at the origin + init pos, x and y shifted by U(-1, 1) m
            rng = wp.rand_init(int(s[KEY]) + 2 * KEY_RANGE, 0)
            s[0] = s[0] + o[0] + wp.randf(rng, -1.0, 1.0)
            s[1] = s[1] + o[1] + wp.randf(rng, -1.0, 1.0)
            s[2] = s[2] + o[2]
            # the new episode's scan at its spawn point (the rest of its first observation holds no position)
            rng = scan_rng(s)
            for k in range(NUM_SCAN):
                v = scan(cfg, s, k)
                privileged_out[worldid, NUM_PRIV + k] = v
                if noise > 0.0:
                    v += noise * wp.randf(rng, -1.0, 1.0)
                ob[FLAT_OBS + k] = wp.clamp(v, -100.0, 100.0)
        elif obs_noise_std > 0.0:
            # the env's Gaussian observation noise is in the scan too: look the privileged scan up again
            for k in range(NUM_SCAN):
                privileged_out[worldid, NUM_PRIV + k] = scan(cfg, s, k)
        else:
            # the privileged scan is the observed one less its noise (the same draws, |scan| <= 5: 1e-6 rounding)
            rng = scan_rng(s)
            for k in range(NUM_SCAN):
                v = ob[FLAT_OBS + k]
                if noise > 0.0:
                    v -= noise * wp.randf(rng, -1.0, 1.0)
                privileged_out[worldid, NUM_PRIV + k] = v
        if cfg.heading_command != 0.0:
            # legged_gym's heading mode (_resample_commands, _post_physics_step_callback): a heading in
            # [-3.14, 3.14] rad drawn with each command, the yaw-rate command clip(0.5 wrap(target - heading), -1, 1)
            count = int(s[COUNT])
            every = int(wp.round(cfg.resampling_time / cfg.dt))
            if just_reset or (every > 0 and count % every == 0):
                rng = wp.rand_init(int(s[KEY]) + 3 * KEY_RANGE, count)
                heading[worldid] = wp.randf(rng, -3.14, 3.14)
            forward = wp.quat_rotate(wp.quat(s[4], s[5], s[6], s[3]), wp.vec3(1.0, 0.0, 0.0))
            err = heading[worldid] - wp.atan2(forward[1], forward[0])
            err = err - 2.0 * wp.pi * wp.floor((err + wp.pi) / (2.0 * wp.pi))
            s[CMD + 2] = wp.clamp(0.5 * err, -1.0, 1.0)
            ob[11] = 0.25 * s[CMD + 2]  # anymal_c's command scale; commands carry no noise
        state[worldid] = s
        obs_out[worldid] = ob
        o = env_origin[worldid]
        dx = s[0] - o[0]
        dy = s[1] - o[1]
        cx = s[CMD]
        cy = s[CMD + 1]
        progress[worldid] = wp.vec2(wp.sqrt(dx * dx + dy * dy), wp.sqrt(cx * cx + cy * cy))

    return place


class AnymalCRough(AnymalC):
    """legged_gym's anymal_c_rough: AnymalC on a height-field terrain with its curriculum; see the module docstring."""

    name = "anymal_c_rough"
    cfg_type = AnymalCRoughConfig
    num_obs = NUM_OBS

    def __init__(
        self,
        num_envs: int = 1,
        device: str = "auto",
        seed: int = 0,
        *,
        num_rows: int = 10,
        num_cols: int = 20,
        terrain_seed: int = 0,
        horizontal_scale: float = 0.1,
        slope_threshold: float | None = 0.75,
        riser_refine: int = 4,
        curriculum: bool = True,
        max_init_level: int = 5,
        frame_skip: int = 4,
        sim_dt: float = 0.005,
        substeps: int = 1,
        **overrides,
    ):
        """Generate the terrain (num_rows levels x num_cols types, from terrain_seed, samples horizontal_scale [m]
        apart), then build AnymalC on it."""
        if isinstance(max_init_level, bool) or not isinstance(max_init_level, int) or max_init_level < 0:
            raise ValueError(f"max_init_level must be an integer >= 0, got {max_init_level!r}")
        if isinstance(terrain_seed, bool) or not isinstance(terrain_seed, int):
            raise ValueError(f"terrain_seed must be an integer, got {terrain_seed!r}")
        if isinstance(horizontal_scale, bool) or not isinstance(horizontal_scale, (int, float)):
            raise ValueError(f"horizontal_scale must be a number of metres, got {horizontal_scale!r}")
        if not 0.02 <= horizontal_scale <= 0.2:  # finer: the field's memory grows as 1 / scale^2
            raise ValueError(f"horizontal_scale must be in [0.02, 0.2] m, got {horizontal_scale!r}")
        if isinstance(riser_refine, bool) or not isinstance(riser_refine, int) or not 1 <= riser_refine <= 8:
            raise ValueError(f"riser_refine must be an integer in [1, 8], got {riser_refine!r}")
        if slope_threshold is not None:
            bad = isinstance(slope_threshold, bool) or not isinstance(slope_threshold, (int, float))
            if bad or not slope_threshold > 0:
                raise ValueError(f"slope_threshold must be a slope > 0 [m/m] or None, got {slope_threshold!r}")
            if horizontal_scale / riser_refine < 0.0125:  # the field's memory grows as (riser_refine / scale)^2
                raise ValueError(
                    f"horizontal_scale / riser_refine must be >= 0.0125 m, got {horizontal_scale} / {riser_refine}"
                )
        self.terrain = terrain_gen.generate(
            num_rows,
            num_cols,
            horizontal_scale=float(horizontal_scale),
            seed=terrain_seed,
            slope_threshold=None if slope_threshold is None else float(slope_threshold),
            riser_refine=riser_refine,
        )
        self.curriculum = bool(curriculum)
        self.max_init_level = int(max_init_level)
        self._terrain_device = resolve_device(device)
        super().__init__(num_envs, device, seed, frame_skip=frame_skip, sim_dt=sim_dt, substeps=substeps, **overrides)

    def _task_functions(self) -> tuple:
        return rough_funcs()[0]

    def _model_constants(self, dt: float) -> dict:
        heights = wp.array(self.terrain.heights, dtype=float, device=self._terrain_device)
        return {**super()._model_constants(dt), "hfield": heights, "hfield_spacing": self.terrain.spacing}

    def _build_views(self) -> None:
        super()._build_views()
        self.num_privileged_obs = NUM_PRIV_ROUGH
        with wp.ScopedDevice(self.device):
            self._privileged = wp.zeros((self.num_envs, NUM_PRIV_ROUGH), dtype=float)
        self.info["privileged_obs"] = wp.to_torch(self._privileged)

    def _build_launches(self, cfg, scale_ranges, sim) -> None:
        sim.set_hfield(self.terrain.heights, self.terrain.spacing)
        super()._build_launches(cfg, scale_ranges, sim)
        n = self.num_envs
        with wp.ScopedDevice(self.device):
            self._terrain_arrays = {
                "level": wp.zeros(n, dtype=int),
                "env_origin": wp.zeros(n, dtype=wp.vec3),
                "progress": wp.zeros(n, dtype=wp.vec2),
                "heading": wp.zeros(n, dtype=float),
            }
            origins = wp.array(self.terrain.origins, dtype=wp.vec3)
        args = {
            "cfg": cfg,
            "seed": self.seed,
            "env_offset": self.env_offset,
            "first_reset": 0,
            "curriculum": int(self.curriculum),
            "obs_noise_std": self.obs_noise_std,
            "max_init_level": self.max_init_level,
            "tile_size": self.terrain.tile_size,
            "episode_s": self.max_episode_steps * self.dt,
            "origins": origins,
            "episode_in": self._arrays["episode"],
            "state": self._arrays["state"],
            **self._terrain_arrays,
            "obs_out": self._arrays["obs_out"],
            "privileged_out": self._privileged,
        }
        self._cfg = cfg
        k = _place_kernel()
        inputs = [args[a.label] for a in k.adj.args]
        self._place_cmd = self.record_launch(k, n, inputs)
        self._first_place_cmd = self.record_launch(k, n, inputs)
        self._first_place_cmd.set_param_by_name("first_reset", 1)

    def reset(self, seed: int | None = None) -> torch.Tensor:
        """Start a new episode in every env at a freshly drawn initial terrain level (see WarpEnv.reset)."""
        obs = super(AnymalC, self).reset(seed)
        if hasattr(self, "_place_cmd"):
            for cmd in (self._place_cmd, self._first_place_cmd):
                cmd.set_param_by_name("seed", self.seed)
            self._first_place_cmd.launch()
            self._sync_cmd.launch()
        return obs

    def step(self, actions: torch.Tensor):
        """One 50 Hz control step (see WarpEnv.step), the curriculum at resets, then the state into the simulator."""
        out = super(AnymalC, self).step(actions)
        self._place_cmd.launch()
        self._sync_cmd.launch()
        return out

    def launch_sequence(self) -> list:
        """AnymalC's parent's launches, then the curriculum's placement and the state into the simulator."""
        return super(AnymalC, self).launch_sequence() + [self._place_cmd, self._sync_cmd]

    @property
    def terrain_levels(self) -> torch.Tensor:
        """Each env's current terrain level (row of the terrain grid) [num_envs] (int32, a live view)."""
        return wp.to_torch(self._terrain_arrays["level"])

    @property
    def env_origins(self) -> torch.Tensor:
        """Each env's current tile origin [num_envs, 3] (m, world; a live view)."""
        return wp.to_torch(self._terrain_arrays["env_origin"])

    def _device_arrays(self) -> dict[str, wp.array]:
        return {**super()._device_arrays(), **{f"terrain.{k}": a for k, a in self._terrain_arrays.items()}}
