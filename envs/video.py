"""Videos and per-step traces of one env's episode: `record_episode(env, policy, "ant.mp4", trace_path="ant.csv")`.

Frames: MJCF envs (ant, hopper, swimmer, ...) are drawn by MuJoCo's own renderer (`mujoco.Renderer`) from
the env's MJCF file (envs/assets), with qpos set from the env's state each step (`mj_forward`: kinematics only,
our simulator stays the physics) and a camera tracking the root body. A height-field env (anymal_c_rough) gets
its terrain as a MuJoCo hfield in place of the plane, cut to 25 m around the followed env's tile; a model whose
bodies carry no visible geom (anymal_c: only the feet collide) is drawn as MuJoCo's equivalent-inertia boxes.
Rendering needs an OpenGL context without a display: when MUJOCO_GL is unset, EGL is tried first, then OSMesa
(each probed in a subprocess, because MuJoCo and PyOpenGL fix their backend on first import); `make video-deps`
installs both. Cartpole and pendulum are drawn in 2D with numpy (no GL). A video is written as MP4 (imageio-ffmpeg,
H.264) or GIF, chosen by the path's extension.

Trace: one row per control step t, columns in this order:
  step, time                     t and t * env.dt [s], before the step
  qpos_i, qvel_i  (MJCF envs)    the physical state before the step (`env.get_state()`, MuJoCo order)
  task_i          (some of them) the rest of `env.get_state()` (anymal_c: commands, timers, last actions, ...)
  state_i         (other envs)   the same for the classic envs (layout in the env's docstring)
  obs_i                          the observation the policy saw
  action_i                       the policy's action, normalized, as passed to `env.step`
  applied_i                      the action the step applied (after noise, clipping and delay: `env.applied_actions`)
  reward                         the step's reward
  reward_<term>                  each reward term (`env.reward_term_names`, already weighted)
  terminated, truncated          0 or 1
  contacts        (MJCF envs)    geom pairs within contact margin at qpos, from MuJoCo's collision detection on the
                                 same MJCF; envs/core.py does not expose the simulator's own contact forces
"""

from __future__ import annotations

import csv
import importlib
import os
import subprocess
import sys
from dataclasses import dataclass, field

import numpy as np
import torch

from envs.core import ASSETS, WarpEnv

GL_BACKENDS = ("egl", "osmesa")  # tried in this order when MUJOCO_GL is unset
_VALID_MUJOCO_GL = ("egl", "osmesa", "glfw", "glx")
_INSTALL_HINT = (
    "Headless rendering needs EGL or OSMesa: run `make video-deps` (apt-get install libegl1 libopengl0 "
    "libegl-mesa0 libgl1-mesa-dri libosmesa6), or set MUJOCO_GL to a backend that works on this machine."
)
_gl_backend: str | None = None  # chosen once per process

# One tiny offscreen render: what a backend must manage before we pick it.
_PROBE = (
    "import mujoco; m = mujoco.MjModel.from_xml_string('<mujoco><worldbody><geom size=\".1\"/></worldbody></mujoco>');"
    "r = mujoco.Renderer(m, 8, 8); d = mujoco.MjData(m); mujoco.mj_forward(m, d); r.update_scene(d); r.render();"
    "r.close()"
)


class RenderError(RuntimeError):
    """No OpenGL backend could render (the message says what was tried and how to install one)."""


def _probe_gl(backend: str) -> str | None:
    """Return None when MuJoCo renders offscreen with `backend` in a fresh process, else the error's last line."""
    env = dict(os.environ, MUJOCO_GL=backend, PYOPENGL_PLATFORM=backend)
    try:
        out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return "timed out after 120 s"
    if out.returncode == 0:
        return None
    lines = [line for line in out.stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else f"exit code {out.returncode}"


def select_gl_backend() -> str:
    """Return the OpenGL backend MuJoCo renders with here (a MUJOCO_GL value); raise RenderError if none works.

    The user's MUJOCO_GL when set, else the first of EGL and OSMesa that renders offscreen in a fresh process;
    that choice is written to os.environ["MUJOCO_GL"] for MuJoCo.
    """
    global _gl_backend
    requested = os.environ.get("MUJOCO_GL", "").strip().lower()
    if _gl_backend is not None and requested == _gl_backend:
        return _gl_backend
    if requested:
        if requested not in _VALID_MUJOCO_GL:
            raise RenderError(
                f"MUJOCO_GL={requested!r} is not an OpenGL backend MuJoCo knows ({', '.join(_VALID_MUJOCO_GL)}); "
                f"unset it to let envs.video choose. {_INSTALL_HINT}"
            )
        _gl_backend = requested
        return requested
    errors = {}
    for backend in GL_BACKENDS:
        errors[backend] = _probe_gl(backend)
        if errors[backend] is None:
            os.environ["MUJOCO_GL"] = backend
            os.environ.setdefault("PYOPENGL_PLATFORM", backend)
            _gl_backend = backend
            return backend
    tried = "; ".join(f"{b}: {e}" for b, e in errors.items())
    raise RenderError(f"no OpenGL backend renders on this machine (tried {tried}). {_INSTALL_HINT}")


def _import_mujoco(backend: str | None = None):
    # MuJoCo reads MUJOCO_GL once, when first imported (a bad value makes the import itself fail).
    try:
        import mujoco
    except ImportError as e:
        raise ImportError(f"envs.video needs the `mujoco` package for MJCF envs (the dev extra): {e}") from None
    except RuntimeError as e:
        raise RenderError(f"importing mujoco failed: {e}. {_INSTALL_HINT}") from None
    if backend in GL_BACKENDS:
        from mujoco.rendering.classic import gl_context

        module = f"mujoco.{backend}"
        if getattr(gl_context.GLContext, "__module__", None) != module:
            # mujoco was imported before MUJOCO_GL was set (by a test, or gymnasium's MuJoCo envs) and chose GLFW,
            # which needs a display; the Renderer reads this attribute when it opens a context.
            os.environ.setdefault("PYOPENGL_PLATFORM", backend)
            try:
                gl_context.GLContext = importlib.import_module(module).GLContext
            except Exception as e:
                raise RenderError(f"MuJoCo's {backend} backend failed to load: {e}. {_INSTALL_HINT}") from None
    return mujoco


# --- MJCF envs: MuJoCo's renderer -------------------------------------------------------------------------


class MujocoScene:
    """The env's MJCF as a MuJoCo model, posed from our state: renders frames and counts contacts (no physics). A
    height-field env's terrain replaces the plane, cut around env `env_index`'s tile."""

    def __init__(self, env: WarpEnv, width: int = 480, height: int = 360, render: bool = True, env_index: int = 0):
        backend = select_gl_backend() if render else None
        mujoco = self.mujoco = _import_mujoco(backend)
        spec = mujoco.MjSpec.from_file(os.path.join(ASSETS, env.asset))
        if getattr(env, "terrain", None) is not None:  # a height-field env (anymal_c_rough): its ground, not the plane
            origin = env.env_origins[env_index].detach().cpu().numpy()
            add_terrain(mujoco, spec, env.terrain.heights, env.terrain.spacing, origin[:2])
            light = spec.worldbody.add_light(name="cleanppo_sun", pos=[0, 0, 10], dir=[0.4, 0.3, -1.0])
            light.type, light.diffuse = mujoco.mjtLightType.mjLIGHT_DIRECTIONAL, [0.5, 0.5, 0.5]
        # Our assets leave out visual-only elements; a checker floor makes motion visible under a tracking camera.
        spec.add_texture(
            name="cleanppo_grid",
            type=mujoco.mjtTexture.mjTEXTURE_2D,
            builtin=mujoco.mjtBuiltin.mjBUILTIN_CHECKER,
            width=256,
            height=256,
            rgb1=[0.25, 0.32, 0.40],
            rgb2=[0.15, 0.20, 0.26],
        )
        material = spec.add_material(name="cleanppo_grid", texrepeat=[1, 1], texuniform=True, reflectance=0.1)
        material.textures[mujoco.mjtTextureRole.mjTEXROLE_RGB] = "cleanppo_grid"
        for geom in spec.geoms:
            if geom.type == mujoco.mjtGeom.mjGEOM_PLANE:
                geom.material = "cleanppo_grid"
            elif geom.type == mujoco.mjtGeom.mjGEOM_HFIELD:  # plain: a checker hides steps and slopes
                geom.rgba = [0.55, 0.6, 0.65, 1.0]
            elif geom.rgba[0] == geom.rgba[1] == geom.rgba[2] == 0.5:  # MuJoCo's default grey
                geom.rgba = [0.85, 0.55, 0.25, 1.0]
        spec.add_texture(
            name="cleanppo_sky",
            type=mujoco.mjtTexture.mjTEXTURE_SKYBOX,
            builtin=mujoco.mjtBuiltin.mjBUILTIN_GRADIENT,
            width=64,
            height=64,
            rgb1=[0.55, 0.7, 0.85],
            rgb2=[0.1, 0.15, 0.2],
        )
        spec.visual.headlight.ambient = [0.35, 0.35, 0.35]
        spec.visual.headlight.diffuse = [0.7, 0.7, 0.7]
        spec.visual.global_.offwidth = max(int(width), 640)
        spec.visual.global_.offheight = max(int(height), 480)
        spec.visual.rgba.inertia = [0.85, 0.55, 0.25, 1.0]
        self.model = spec.compile()
        # A model whose bodies carry no visible geom (anymal_c: only its four foot spheres collide, the meshes are left
        # out) is drawn as MuJoCo's equivalent-inertia boxes, one per body: the robot's shape from its masses.
        visible = np.zeros(self.model.nbody, dtype=bool)
        shown = (self.model.geom_group <= 2) & (self.model.geom_rgba[:, 3] > 0)
        visible[self.model.geom_bodyid[shown]] = True
        self.option = mujoco.MjvOption()
        self.option.flags[mujoco.mjtVisFlag.mjVIS_INERTIA] = int(visible[1:].mean() < 0.5)
        if (self.model.nq, self.model.nv) != (env.sim.nq, env.sim.nv):
            raise ValueError(
                f"{env.asset}: MuJoCo compiles nq, nv = {self.model.nq}, {self.model.nv}; "
                f"the env's simulator has {env.sim.nq}, {env.sim.nv}"
            )
        self.data = mujoco.MjData(self.model)
        self.renderer = None
        if render:
            try:
                self.renderer = mujoco.Renderer(self.model, int(height), int(width))
            except Exception as e:
                raise RenderError(
                    f"MuJoCo could not open an offscreen OpenGL context with MUJOCO_GL={backend!r}: {e}. "
                    + _INSTALL_HINT
                ) from None
            self.camera = mujoco.MjvCamera()
            self.camera.type = mujoco.mjtCamera.mjCAMERA_TRACKING
            self.camera.trackbodyid = 1  # the root body (torso)
            self.camera.distance = 3.0 * self._robot_extent()
            self.camera.elevation = -20.0
            self.camera.azimuth = 90.0  # looking along +y: motion in +x goes left to right

    def _robot_extent(self) -> float:
        # The model's own extent includes the floor plane; frame the robot instead: its geoms' reach from the root
        # body at qpos0 [m].
        self.mujoco.mj_forward(self.model, self.data)
        robot = self.model.geom_bodyid > 0
        reach = np.linalg.norm(self.data.geom_xpos[robot] - self.data.xpos[1], axis=1) + self.model.geom_rbound[robot]
        return float(reach.max()) if reach.size else 1.0

    def pose(self, state: np.ndarray) -> None:
        """Set qpos, qvel from one env's state (concat(qpos, qvel), MuJoCo order) and run MuJoCo's mj_forward."""
        nq = self.model.nq
        self.data.qpos[:] = state[:nq]
        self.data.qvel[:] = state[nq : nq + self.model.nv]  # a task's own state may follow (anymal_c)
        self.mujoco.mj_forward(self.model, self.data)

    def contacts(self) -> int:
        """Number of geom pairs within contact margin at the posed qpos (MuJoCo's collision detection)."""
        return int(self.data.ncon)

    def render(self) -> np.ndarray:
        """Render the posed model from the tracking camera: uint8 [height, width, 3] RGB."""
        self.renderer.update_scene(self.data, self.camera, scene_option=self.option)
        return self.renderer.render().copy()

    def close(self) -> None:
        """Release the GL context now (an OSMesa context freed at interpreter exit prints an error)."""
        if self.renderer is not None:
            self.renderer.close()
            self.renderer = None


# --- cartpole and pendulum: 2D drawings with numpy --------------------------------------------------------


def add_terrain(
    mujoco, spec, heights: np.ndarray, spacing: float, centre, half_size: float = 25.0, max_side: int | None = 1001
) -> None:
    """Replace the MJCF's plane in `spec` by a MuJoCo height field of heights[i, j] [m] at world (i spacing, j spacing)
    [m], cropped to the samples within half_size [m] of `centre` (x, y) [m, world] (a whole curriculum terrain is
    ~1.3 M samples: too many triangles to draw per frame; a 20 s episode walks at most ~28 m, usually far less, and
    beyond the crop the video shows no ground), every stride-th sample where the crop is over max_side a side (None:
    every sample, for simulating on it)."""
    heights = np.asarray(heights, dtype=np.float64)
    lo = np.clip(np.floor((np.asarray(centre, dtype=np.float64) - half_size) / spacing).astype(int), 0, None)
    hi = np.minimum(
        np.ceil((np.asarray(centre, dtype=np.float64) + half_size) / spacing).astype(int) + 1, heights.shape
    )
    if np.any(hi - lo < 2):
        raise ValueError(f"the terrain has no samples within {half_size} m of {tuple(centre)}")
    # at most max_side samples a side for drawing (a refined field's 0.025 m over 50 m is 2,000): every stride-th
    stride = 1 if max_side is None else max(1, int(np.ceil((hi - lo).max() / max_side)))
    crop = heights[lo[0] : hi[0] : stride, lo[1] : hi[1] : stride]
    start = lo * spacing
    spacing = spacing * stride
    bottom, top = float(crop.min()), float(crop.max())
    rise = max(top - bottom, 1e-3)  # MuJoCo scales the data [0, 1] by size[2]; a flat crop still needs a height
    half = (np.array(crop.shape) - 1) * spacing / 2.0
    for geom in list(spec.geoms):
        if geom.type == mujoco.mjtGeom.mjGEOM_PLANE:
            spec.delete(geom)
    # MuJoCo's hfield data is row-major over (y, x): row r at y = -size[1] + r dy, column c at x = -size[0] + c dx
    spec.add_hfield(name="terrain", size=[half[0], half[1], rise, 0.1], nrow=crop.shape[1], ncol=crop.shape[0],
                    userdata=((crop.T - bottom) / rise).ravel().tolist())  # fmt: skip
    centre_xyz = [start[0] + half[0], start[1] + half[1], bottom]
    spec.worldbody.add_geom(name="terrain", type=mujoco.mjtGeom.mjGEOM_HFIELD, hfieldname="terrain", pos=centre_xyz)


def _fill_convex(img: np.ndarray, pts: np.ndarray, color) -> None:
    # Pixel centers on the inner side of every edge of the convex polygon `pts` ([k, 2], pixels, x right, y down).
    h, w = img.shape[:2]
    x0, y0 = np.maximum(np.floor(pts.min(0)).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(pts.max(0)).astype(int) + 1, (w, h))
    if x0 >= x1 or y0 >= y1:
        return
    gx, gy = np.meshgrid(np.arange(x0, x1) + 0.5, np.arange(y0, y1) + 0.5)
    edges = np.roll(pts, -1, axis=0) - pts
    area = np.sum(pts[:, 0] * np.roll(pts[:, 1], -1) - np.roll(pts[:, 0], -1) * pts[:, 1])
    inside = np.ones(gx.shape, dtype=bool)
    for (px, py), (ex, ey) in zip(pts, edges, strict=True):
        inside &= (ex * (gy - py) - ey * (gx - px)) * np.sign(area) >= 0
    img[y0:y1, x0:x1][inside] = color


def _fill_circle(img: np.ndarray, cx: float, cy: float, r: float, color) -> None:
    angles = np.linspace(0.0, 2.0 * np.pi, 32, endpoint=False)
    _fill_convex(img, np.stack([cx + r * np.cos(angles), cy + r * np.sin(angles)], 1), color)


def _segment(x0: float, y0: float, x1: float, y1: float, half_width: float) -> np.ndarray:
    # The rectangle around a segment, as a convex polygon.
    d = np.array([x1 - x0, y1 - y0])
    n = np.array([-d[1], d[0]]) / max(np.hypot(*d), 1e-9) * half_width
    a, b = np.array([x0, y0]), np.array([x1, y1])
    return np.stack([a + n, b + n, b - n, a - n])


def draw_cartpole(state: np.ndarray, pole_length: float, width: int = 480, height: int = 360) -> np.ndarray:
    """Draw one cart-pole state as a uint8 RGB image [height, width, 3], seen as Gymnasium's CartPole camera.

    state = (x [m], x_dot, theta [rad, 0 upright, positive clockwise], theta_dot); pole_length is the half
    length [m]; the image spans x in [-2.88, 2.88] m.
    """
    img = np.full((height, width, 3), 255, dtype=np.uint8)
    scale = width / 5.76  # pixels per meter
    ground = 0.7 * height
    x, theta = float(state[0]), float(state[2])
    cx = width / 2 + x * scale
    img[int(ground) : int(ground) + 2, :] = 0
    cart_w, cart_h = 0.4 * scale, 0.24 * scale
    _fill_convex(
        img,
        np.array([[cx - cart_w / 2, ground - cart_h], [cx + cart_w / 2, ground - cart_h], [cx + cart_w / 2, ground],
                  [cx - cart_w / 2, ground]]),
        (0, 0, 0),
    )  # fmt: skip
    axle_y = ground - 0.75 * cart_h
    tip_x = cx + 2.0 * pole_length * scale * np.sin(theta)
    tip_y = axle_y - 2.0 * pole_length * scale * np.cos(theta)
    _fill_convex(img, _segment(cx, axle_y, tip_x, tip_y, 0.05 * scale), (202, 152, 101))
    _fill_circle(img, cx, axle_y, 0.05 * scale, (129, 132, 203))
    return img


def draw_pendulum(state: np.ndarray, length: float, width: int = 480, height: int = 360) -> np.ndarray:
    """Draw one pendulum state as a uint8 RGB image [height, width, 3], seen as Gymnasium's Pendulum camera.

    state = (theta [rad, 0 upright, positive counterclockwise], theta_dot); length is the rod's [m]; the pivot
    sits at the image center, 2.2 rod lengths from the nearest edge.
    """
    img = np.full((height, width, 3), 255, dtype=np.uint8)
    scale = min(width, height) / (4.4 * length)
    cx, cy = width / 2, height / 2
    theta = float(state[0])
    tip_x = cx - length * scale * np.sin(theta)
    tip_y = cy - length * scale * np.cos(theta)
    _fill_convex(img, _segment(cx, cy, tip_x, tip_y, 0.1 * length * scale), (204, 77, 77))
    _fill_circle(img, tip_x, tip_y, 0.1 * length * scale, (204, 77, 77))
    _fill_circle(img, cx, cy, 0.05 * length * scale, (0, 0, 0))
    return img


# --- recording --------------------------------------------------------------------------------------------


@dataclass
class Episode:
    """One recorded episode: frames (uint8 [T, H, W, 3] RGB, None when not rendered) and one trace row per step."""

    frames: np.ndarray | None
    trace: list[dict] = field(default_factory=list)
    fps: float = 0.0
    episode_return: float = 0.0
    length: int = 0
    path: str | None = None
    trace_path: str | None = None


def trace_columns(env: WarpEnv) -> list[str]:
    """Return the trace's column names for `env`, in order (see the module docstring)."""
    sim = getattr(env, "sim", None)
    if sim is not None:
        state = [f"qpos_{i}" for i in range(sim.nq)] + [f"qvel_{i}" for i in range(sim.nv)]
        state += [f"task_{i}" for i in range(env.state_dim - sim.nq - sim.nv)]  # e.g. anymal_c's commands, timers
    else:
        state = [f"state_{i}" for i in range(env.state_dim)]
    cols = ["step", "time", *state, *(f"obs_{i}" for i in range(env.num_obs))]
    cols += [f"action_{i}" for i in range(env.num_actions)] + [f"applied_{i}" for i in range(env.num_actions)]
    cols += ["reward", *(f"reward_{t}" for t in env.reward_term_names), "terminated", "truncated"]
    return cols + (["contacts"] if sim is not None else [])


def write_trace(rows: list[dict], path: str) -> None:
    """Write trace rows (dicts with the same keys, e.g. `Episode.trace`) as CSV with a header line."""
    if not rows:
        raise ValueError(f"no trace rows to write to {path!r}")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def write_video(frames: np.ndarray, path: str, fps: float) -> None:
    """Write uint8 frames [T, H, W, 3] as MP4 (H.264 through imageio-ffmpeg) or GIF, chosen by the extension."""
    import imageio.v2 as imageio

    ext = os.path.splitext(path)[1].lower()
    if ext not in (".mp4", ".gif"):
        raise ValueError(f"video path must end in .mp4 or .gif, got {path!r}")
    if len(frames) == 0:
        raise ValueError(f"no frames to write to {path!r}")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if ext == ".gif":
        with open(path, "wb") as f:
            f.write(_gif_bytes(frames, fps))
        return
    try:
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        raise ImportError("writing MP4 needs imageio-ffmpeg (`pip install imageio-ffmpeg`, in the dev extra)") from None
    # macro_block_size 2: H.264 in yuv420p needs even sizes only; imageio's default 16 would resize most frames.
    with imageio.get_writer(path, fps=fps, codec="libx264", macro_block_size=2, quality=7) as writer:
        for frame in frames:
            writer.append_data(frame)


def _gif_bytes(frames: np.ndarray, fps: float) -> bytes:
    import imageio.v3 as iio

    # Pillow's GIF writer takes the frame duration in milliseconds; loop=0 repeats forever.
    return iio.imwrite("<bytes>", np.asarray(frames), extension=".gif", duration=1000.0 / fps, loop=0)


def log_video(writer, tag: str, frames: np.ndarray, global_step: int, fps: float) -> None:
    """Log uint8 frames [T, H, W, 3] to a torch SummaryWriter as an animated GIF (TensorBoard's Images tab).

    This is what `SummaryWriter.add_video` writes, encoded with imageio: add_video needs moviepy < 2.
    """
    from tensorboard.compat.proto.summary_pb2 import Summary

    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or len(frames) == 0:
        raise ValueError(f"frames must be uint8 [T, H, W, 3] with T >= 1, got {frames.dtype} {frames.shape}")
    _, h, w, c = frames.shape
    image = Summary.Image(height=h, width=w, colorspace=c, encoded_image_string=_gif_bytes(frames, fps))
    # the same file writer add_video uses
    writer._get_file_writer().add_summary(Summary(value=[Summary.Value(tag=tag, image=image)]), global_step)


def _host(x: torch.Tensor) -> np.ndarray:
    # A float64 copy: on the CPU, .numpy() shares memory with the env's live views, which the next step overwrites.
    return x.detach().cpu().numpy().astype(np.float64)


def _to_row(values: np.ndarray) -> list[float]:
    return [float(v) for v in values.ravel()]


def record_episode(
    env: WarpEnv,
    policy=None,
    path: str | None = None,
    env_index: int = 0,
    max_steps: int | None = None,
    fps: float | None = None,
    width: int = 480,
    height: int = 360,
    trace_path: str | None = None,
    seed: int | None = None,
) -> Episode:
    """Run one episode of env `env_index` and record its frames (video at `path`) and per-step trace rows.

    Resets `env` (every env in it, reseeded when `seed` is given), then steps until env `env_index`'s episode
    ends or after `max_steps` steps (default env.max_episode_steps). One frame is rendered before each step
    and written to `path` (.mp4 or .gif) when a path is given; one trace row per step (module docstring) is
    returned and written to `trace_path` as CSV when given. `policy(obs [N, num_obs]) -> actions [N,
    num_actions]` runs under torch.no_grad(); None draws uniform random actions in [-1, 1] (seeded by `seed`,
    default 0). fps defaults to real time, 1 / env.dt. Give it an env of its own for evaluation: the reset
    ends the episodes running in `env`.
    """
    if not isinstance(env, WarpEnv):
        raise TypeError(f"env must be a WarpEnv (envs.make), got {type(env).__name__}")
    if not (0 <= env_index < env.num_envs):
        raise ValueError(f"env_index must be in [0, {env.num_envs}), got {env_index!r}")
    max_steps = env.max_episode_steps if max_steps is None else int(max_steps)
    if max_steps < 1:
        raise ValueError(f"max_steps must be >= 1, got {max_steps!r}")
    fps = float(fps) if fps is not None else 1.0 / env.dt
    render = path is not None
    if render and not str(path).lower().endswith((".mp4", ".gif")):
        raise ValueError(f"video path must end in .mp4 or .gif, got {path!r}")
    if render and (width < 16 or height < 16):
        raise ValueError(f"width and height must be >= 16 pixels, got {width} x {height}")

    scene = None
    if getattr(env, "sim", None) is None and render and env.name not in ("cartpole", "pendulum"):
        raise NotImplementedError(f"no drawing for env {env.name!r}: only MJCF envs, cartpole and pendulum")
    generator = torch.Generator(device=env.actions.device).manual_seed(0 if seed is None else int(seed))
    columns = trace_columns(env)
    frames, rows = [], []
    episode_return = 0.0
    try:
        obs = env.reset(seed=seed)
        if getattr(env, "sim", None) is not None:  # after the reset: a terrain env's scene is cut around its tile
            scene = MujocoScene(env, width, height, render=render, env_index=env_index)
        for t in range(max_steps):
            state = _host(env.get_state()[env_index])
            obs_row = _host(obs[env_index])
            contacts = []
            if scene is not None:
                scene.pose(state)
                contacts = [scene.contacts()]
            if render:
                frames.append(
                    scene.render() if scene is not None else _draw_classic(env, env_index, state, width, height)
                )
            if policy is None:
                actions = torch.rand(env.num_envs, env.num_actions, device=env.actions.device, generator=generator)
                actions = actions * 2.0 - 1.0
            else:
                with torch.no_grad():
                    actions = policy(obs)
                actions = torch.as_tensor(actions, dtype=torch.float32, device=env.actions.device)
            action_row = _host(actions[env_index])
            obs, reward, terminated, truncated, info = env.step(actions)
            r = float(reward[env_index])
            done = (bool(terminated[env_index]), bool(truncated[env_index]))
            values = [t, t * env.dt, *_to_row(state), *_to_row(obs_row), *_to_row(action_row)]
            values += _to_row(_host(env.applied_actions[env_index]))
            values += [r, *_to_row(_host(info["reward_terms"][env_index])), int(done[0]), int(done[1])]
            rows.append(dict(zip(columns, values + contacts, strict=True)))
            episode_return += r
            if any(done):
                break
    finally:
        if scene is not None:
            scene.close()

    episode = Episode(np.stack(frames) if frames else None, rows, fps, episode_return, len(rows), path, trace_path)
    if render:
        write_video(episode.frames, path, fps)
    if trace_path is not None:
        write_trace(rows, trace_path)
    return episode


def _draw_classic(env: WarpEnv, env_index: int, state: np.ndarray, width: int, height: int) -> np.ndarray:
    # The drawn length follows the env's current (possibly randomized) physical parameters.
    scales = dict(zip(env.param_names, env.param_scales[env_index].tolist(), strict=True))
    if env.name == "cartpole":
        return draw_cartpole(state, env.config["pole_length"] * scales["pole_length"], width, height)
    return draw_pendulum(state, env.config["length"] * scales["length"], width, height)
