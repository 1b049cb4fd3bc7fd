"""ANYmal C, flat ground: legged_gym's `anymal_c_flat` velocity-tracking task on cleanppo's dynamics and contacts.

Sources (leggedrobotics/legged_gym at ae614c0): envs/base/legged_robot.py (rewards, observations, resets,
pushes), envs/base/legged_robot_config.py (defaults), envs/anymal_c/mixed_terrains/anymal_c_rough_config.py and
envs/anymal_c/flat/anymal_c_flat_config.py (the flat task's overrides). Model: envs/assets/anymal_c.xml (12
position servos, kp 100 N m/rad, torque clamp +-80 N m, joint damping 1 N m s/rad; legged_gym uses kp 80, kd 2 or
an actuator network). One control step is dt = 0.02 s (50 Hz): frame_skip 4 (legged_gym's decimation) physics
steps of sim_dt 0.005 s, each split into `substeps` implicit Euler substeps with soft contacts.

Action (12, normalized, clipped to [-1, 1]): joint position targets ctrl = default_dof_pos + action_scale (0.5) * a
[rad], tracked by the servos; actuators in the order LF_HAA, LF_HFE, LF_KFE, RF_*, LH_*, RH_* (HAA hip abduction,
HFE hip flexion, KFE knee), default_dof_pos = the asset's "standing" keyframe. legged_gym clips actions at 100
(targets up to 50 rad away); here the normalized range bounds the offset to +-0.5 rad.

Observation (48), legged_gym's order and scales, clipped to +-100, plus uniform noise noise_level (1.0) * scale:
  | idx   | quantity                                              | scale | noise (before scale)  |
  | 0-2   | base linear velocity, base frame [m/s]                | 2.0   | 0.1                   |
  | 3-5   | base angular velocity, base frame [rad/s]             | 0.25  | 0.2                   |
  | 6-8   | gravity direction in the base frame (unit)            | 1     | 0.05                  |
  | 9-11  | commands vx, vy [m/s], yaw rate [rad/s]               | 2, 2, 0.25 | 0                |
  | 12-23 | joint positions - default_dof_pos [rad]               | 1.0   | 0.01                  |
  | 24-35 | joint velocities [rad/s]                              | 0.05  | 1.5                   |
  | 36-47 | last action (normalized)                              | 1     | 0                     |

Reward: each term times dt, as legged_gym (weights from anymal_c_flat; in info["reward_terms"], this order):
  tracking_lin_vel  tracking_lin_vel_weight (1.0) * exp(-|cmd_xy - v_xy|^2 / tracking_sigma (0.25))
  tracking_ang_vel  tracking_ang_vel_weight (0.5) * exp(-(cmd_yaw - omega_z)^2 / tracking_sigma)
  lin_vel_z         lin_vel_z_weight (-2.0) * v_z^2  (base frame)
  ang_vel_xy        ang_vel_xy_weight (-0.05) * (omega_x^2 + omega_y^2)
  orientation       orientation_weight (-5.0) * (g_x^2 + g_y^2), g the projected gravity
  torques           torques_weight (-2.5e-05) * sum(tau^2), tau the servo torque at the step's final state
  dof_acc           dof_acc_weight (-2.5e-07) * sum(((qdot_prev - qdot) / dt)^2)
  action_rate       action_rate_weight (-0.01) * sum((a_prev - a)^2)
  feet_air_time     feet_air_time_weight (2.0) * sum over first touchdowns of (air time - 0.5 s), paid only
                    while |cmd_xy| > 0.1 m/s; a foot is in contact when its sphere's lowest point is below the floor
                    (the soft contact pushes it), or was so the step before (legged_gym's contact filter)
  positive_clip     only_positive_rewards (1.0): when on, -min(0, sum of the terms above), so the reward is >= 0
Not computed: collision (legged_gym penalizes thigh and shank contacts; the asset's only colliding geoms are the
feet), termination (weight 0 in the config), the zero-weight terms.

Commands: vx ~ U(lin_vel_x_range (-1.0, 1.0)), vy ~ U(lin_vel_y_range (-1.0, 1.0)) m/s, yaw rate ~
U(ang_vel_yaw_range (-1.5, 1.5)) rad/s; (vx, vy) set to 0 when shorter than 0.2 m/s; drawn at reset and every
resampling_time (4.0) s of an episode (the flat config's value; heading commands off, as there).
Pushes: every push_interval_s (15.0) s of an episode the base's world-frame horizontal velocity is set to
U(-max_push_vel_xy (1.0), max_push_vel_xy) m/s per axis (legged_gym counts steps globally, here per episode).
Random numbers of commands, pushes and observation noise come from a per-env key drawn at reset and the step
count (counter-based: the same episodes whatever num_envs).

Reset (legged_gym's reset_idx): base at (0, 0, init_z (0.6)) m, upright; joint angles default_dof_pos * U(0.5, 1.5),
joint velocities 0; base linear and angular velocity U(-reset_base_vel (0.5), reset_base_vel) per axis.

Termination: base height below min_base_height (0.25) m, projected gravity z above max_gravity_z (-0.5) (tilt
beyond 60 degrees) or a non-finite state. legged_gym terminates on base contact; the asset's base has no
colliding geom, so height and tilt stand in for it.
Truncation: 1,000 steps (20 s).

Domain randomization (per env, drawn per episode when given as a (lo, hi) range; default off, 1.0):
  friction_scale   every geom's sliding friction (pair friction = the priority-1 foot's 0.8, as MuJoCo, * scale;
                   legged_gym's flat range [0, 1.5] is friction_scale=(0.05, 1.5))
  base_mass_scale  the base's mass and inertia (legged_gym adds U(-5, 5) kg to 19.2 kg: (0.74, 1.26))
  strength_scale   every servo's torque before the +-80 N m clamp (motor strength)
info["privileged_obs"] (13): base linear velocity (3, base frame, m/s), angular velocity (3, rad/s), the three
scales above, foot contact states LF, RF, LH, RH (4, 0 or 1).

State (`get_state`, 62): qpos (19), qvel (18) in MuJoCo order, then the task's own state: commands (3), last
action (12), feet air time (4, s), last foot contacts (4), the episode's random key and step count.
"""

import functools
import os

import numpy as np
import torch
import warp as wp

from envs.articulated import MjcfEnv
from envs.core import ASSETS, all_finite
from mjcf import load_mjcf

wp.set_module_options({"enable_backward": False})

ASSET = "anymal_c.xml"
NQ, NV, NU = wp.constant(19), wp.constant(18), wp.constant(12)
# offsets of the task's own state after concat(qpos, qvel)
CMD, LAST_ACT, AIR, CONTACT, KEY, COUNT = (wp.constant(i) for i in (37, 40, 52, 56, 60, 61))
STATE_DIM = wp.constant(62)
NUM_OBS = wp.constant(48)
NUM_PRIV = 13
KEY_RANGE = wp.constant(1 << 24)  # reset keys are integers below 2^24, exact in float32
TERMS = (
    "tracking_lin_vel",
    "tracking_ang_vel",
    "lin_vel_z",
    "ang_vel_xy",
    "orientation",
    "torques",
    "dof_acc",
    "action_rate",
    "feet_air_time",
    "positive_clip",
)

vec12 = wp.types.vector(12, float)
scale_type = wp.types.vector(3, float)  # friction, base_mass, strength


@wp.struct
class AnymalCConfig:
    """legged_gym anymal_c_flat's reward weights, command ranges, noise, pushes and resets (SI units); each field
    with a default is a constructor parameter with that default, the others come from the model."""

    tracking_lin_vel_weight: float = 1.0
    tracking_ang_vel_weight: float = 0.5
    lin_vel_z_weight: float = -2.0
    ang_vel_xy_weight: float = -0.05
    orientation_weight: float = -5.0
    torques_weight: float = -2.5e-5  # per (N m)^2
    dof_acc_weight: float = -2.5e-7  # per (rad/s^2)^2
    action_rate_weight: float = -0.01
    feet_air_time_weight: float = 2.0  # per s of air time beyond 0.5 s at touchdown
    tracking_sigma: float = 0.25  # (m/s)^2, (rad/s)^2
    only_positive_rewards: float = 1.0  # 1: clip the step's reward at 0 (the positive_clip term)
    action_scale: float = 0.5  # rad of joint target per unit action
    lin_vel_x_range: wp.vec2 = (-1.0, 1.0)  # m/s
    lin_vel_y_range: wp.vec2 = (-1.0, 1.0)  # m/s
    ang_vel_yaw_range: wp.vec2 = (-1.5, 1.5)  # rad/s
    resampling_time: float = 4.0  # s between command draws
    push_interval_s: float = 15.0  # s between pushes
    max_push_vel_xy: float = 1.0  # m/s; 0 disables pushes
    noise_level: float = 1.0  # multiplies every observation noise scale; 0 disables the noise
    init_z: float = 0.6  # m, base height at reset
    reset_base_vel: float = 0.5  # m/s and rad/s, half-width of the base velocity at reset
    min_base_height: float = 0.25  # m
    max_gravity_z: float = -0.5  # projected gravity z above this terminates
    dt: float  # control step, s
    default_dof_pos: vec12  # rad, the standing keyframe
    kp: float  # servo stiffness, N m/rad
    kv: float  # servo velocity gain, N m s/rad
    torque_limit: float  # N m


def _foot_chains(model):
    """Per foot (LF, RF, LH, RH): the three leg bodies' (pos, quat w,x,y,z, joint axis, qpos index) from the base,
    the foot sphere's center in the shank frame and its radius; checks the tree is the one the FK assumes."""
    names = ["LF_FOOT", "RF_FOOT", "LH_FOOT", "RH_FOOT"]
    pos, quat, axis, qadr, feet = [], [], [], [], []
    for name in names:
        g = model.geom_names.index(name)
        chain = [int(model.geom_bodyid[g])]
        while int(model.body_parentid[chain[-1]]) != 1:
            chain.append(int(model.body_parentid[chain[-1]]))
        chain = chain[::-1]
        if len(chain) != 3:
            raise ValueError(f"{ASSET}: {name} is not three bodies below the base")
        for b in chain:
            j = int(model.body_jntadr[b])
            if int(model.body_jntnum[b]) != 1 or int(model.jnt_type[j]) != 3 or np.any(model.jnt_pos[j] != 0):
                raise ValueError(f"{ASSET}: body {b} must have one hinge at its origin")
            pos.append(model.body_pos[b])
            quat.append(model.body_quat[b])
            axis.append(model.jnt_axis[j] / np.linalg.norm(model.jnt_axis[j]))
            qadr.append(int(model.jnt_qposadr[j]))
        feet.append(model.geom_pos[g])
    radius = float(model.geom_size[model.geom_names.index(names[0]), 0])
    return np.array(pos), np.array(quat), np.array(axis), np.array(qadr), np.array(feet), radius


@functools.cache
def anymal_funcs(cfg_type=AnymalCConfig, ground=None):
    """Build the task's (task_step, task_terminated, task_reset, task_observe), its foot_heights(s) (world frame, m)
    and base_frame(s) (base linear and angular velocity in the base frame, m/s and rad/s, and projected gravity).

    Hook for other grounds (envs/anymal_c_rough.py): `cfg_type`, a config struct with at least AnymalCConfig's
    fields, and `ground`, a `@wp.func ground(cfg, x, y) -> (unit normal, offset [m])`, the plane n . p = offset of
    the ground under world (x, y) [m]; foot contacts and the base height are then measured against it (default: the
    floor z = 0). foot_heights stays the height above z = 0.
    """
    model = load_mjcf(os.path.join(ASSETS, ASSET))
    pos, quat, axis, qadr, feet, radius = _foot_chains(model)
    mat12x3 = wp.types.matrix(shape=(12, 3), dtype=wp.float32)
    mat12x4 = wp.types.matrix(shape=(12, 4), dtype=wp.float32)
    mat4x3 = wp.types.matrix(shape=(4, 3), dtype=wp.float32)
    body_pos = wp.constant(mat12x3(*pos.flatten().tolist()))
    body_quat = wp.constant(mat12x4(*quat[:, [1, 2, 3, 0]].flatten().tolist()))
    jnt_axis = wp.constant(mat12x3(*axis.flatten().tolist()))
    foot_pos = wp.constant(mat4x3(*feet.flatten().tolist()))
    if list(qadr) != list(range(7, 19)):
        raise ValueError(f"{ASSET}: the legs' joints must be qpos 7..18 in foot order, got {qadr}")
    foot_radius = wp.constant(radius)
    state_type = wp.types.vector(STATE_DIM, wp.float32)
    obs_type = wp.types.vector(NUM_OBS, wp.float32)
    terms_type = wp.types.vector(len(TERMS), wp.float32)

    @wp.func
    def foot_center(s: state_type, leg: int) -> wp.vec3:
        # the foot sphere's centre [m, world] of leg 0..3 (LF, RF, LH, RH) by the legs' forward kinematics
        p = wp.vec3(s[0], s[1], s[2])
        r = wp.quat(s[4], s[5], s[6], s[3])
        for k in range(3):
            i = 3 * leg + k
            p = p + wp.quat_rotate(r, wp.vec3(body_pos[i, 0], body_pos[i, 1], body_pos[i, 2]))
            bq = wp.quat(body_quat[i, 0], body_quat[i, 1], body_quat[i, 2], body_quat[i, 3])
            ax = wp.vec3(jnt_axis[i, 0], jnt_axis[i, 1], jnt_axis[i, 2])
            r = r * bq * wp.quat_from_axis_angle(ax, s[7 + i])
        return p + wp.quat_rotate(r, wp.vec3(foot_pos[leg, 0], foot_pos[leg, 1], foot_pos[leg, 2]))

    @wp.func
    def foot_heights(s: state_type) -> wp.vec4:
        """Height [m] of each foot sphere's lowest point above the floor z = 0, LF, RF, LH, RH (world frame)."""
        h = wp.vec4()
        for leg in range(4):
            h[leg] = foot_center(s, leg)[2] - foot_radius
        return h

    if ground is None:

        @wp.func
        def ground(cfg: cfg_type, x: float, y: float):
            # the floor z = 0
            return wp.vec3(0.0, 0.0, 1.0), 0.0

    @wp.func
    def foot_clearance(cfg: cfg_type, s: state_type) -> wp.vec4:
        # signed distance [m] of each foot sphere to the ground plane under its centre
        h = wp.vec4()
        for leg in range(4):
            c = foot_center(s, leg)
            n, d = ground(cfg, c[0], c[1])
            h[leg] = wp.dot(n, c) - d - foot_radius
        return h

    @wp.func
    def base_height(cfg: cfg_type, s: state_type) -> float:
        # the base's height [m] above the ground under it
        n, d = ground(cfg, s[0], s[1])
        return s[2] - (d - n[0] * s[0] - n[1] * s[1]) / n[2]

    @wp.func
    def base_frame(s: state_type):
        # base linear velocity, angular velocity (both base frame) and projected gravity
        q = wp.quat(s[4], s[5], s[6], s[3])
        q = wp.normalize(q)
        v = wp.quat_rotate_inv(q, wp.vec3(s[19], s[20], s[21]))
        w = wp.vec3(s[22], s[23], s[24])
        g = wp.quat_rotate_inv(q, wp.vec3(0.0, 0.0, -1.0))
        return v, w, g

    @wp.func
    def draw_command(cfg: cfg_type, s: state_type, rng: wp.uint32):
        vx = wp.randf(rng, cfg.lin_vel_x_range[0], cfg.lin_vel_x_range[1])
        vy = wp.randf(rng, cfg.lin_vel_y_range[0], cfg.lin_vel_y_range[1])
        s[CMD + 2] = wp.randf(rng, cfg.ang_vel_yaw_range[0], cfg.ang_vel_yaw_range[1])
        if wp.sqrt(vx * vx + vy * vy) <= 0.2:
            vx = 0.0
            vy = 0.0
        s[CMD] = vx
        s[CMD + 1] = vy
        return s, rng

    @wp.func
    def servo_torque(cfg: cfg_type, strength: float, s: state_type, a: vec12, j: int) -> float:
        target = cfg.default_dof_pos[j] + cfg.action_scale * a[j]
        tau = strength * (cfg.kp * (target - s[7 + j]) - cfg.kv * s[25 + j])
        return wp.clamp(tau, -cfg.torque_limit, cfg.torque_limit)

    @wp.func
    def step(cfg: cfg_type, sc: scale_type, s: state_type, s_phys: state_type, a: vec12):
        ns = s_phys
        for i in range(CMD, STATE_DIM):
            ns[i] = s[i]
        v, w, g = base_frame(ns)
        cx, cy, cyaw = s[CMD], s[CMD + 1], s[CMD + 2]
        t = terms_type()
        ex = cx - v[0]
        ey = cy - v[1]
        t[0] = cfg.tracking_lin_vel_weight * wp.exp(-(ex * ex + ey * ey) / cfg.tracking_sigma)
        eyaw = cyaw - w[2]
        t[1] = cfg.tracking_ang_vel_weight * wp.exp(-(eyaw * eyaw) / cfg.tracking_sigma)
        t[2] = cfg.lin_vel_z_weight * v[2] * v[2]
        t[3] = cfg.ang_vel_xy_weight * (w[0] * w[0] + w[1] * w[1])
        t[4] = cfg.orientation_weight * (g[0] * g[0] + g[1] * g[1])
        torque_sq = float(0.0)
        acc_sq = float(0.0)
        rate_sq = float(0.0)
        for j in range(12):
            tau = servo_torque(cfg, sc[2], ns, a, j)
            torque_sq += tau * tau
            acc = (s[25 + j] - ns[25 + j]) / cfg.dt
            acc_sq += acc * acc
            da = s[LAST_ACT + j] - a[j]
            rate_sq += da * da
            ns[LAST_ACT + j] = a[j]
        t[5] = cfg.torques_weight * torque_sq
        t[6] = cfg.dof_acc_weight * acc_sq
        t[7] = cfg.action_rate_weight * rate_sq
        # legged_gym's _reward_feet_air_time, with its contact filter (this step's or the last step's contact)
        h = foot_clearance(cfg, ns)
        air_reward = float(0.0)
        for f in range(4):
            contact = float(0.0)
            if h[f] < 0.0:
                contact = 1.0
            filt = wp.max(contact, s[CONTACT + f])
            air = s[AIR + f]
            if air > 0.0 and filt > 0.0:
                air_reward += air + cfg.dt - 0.5
            air = air + cfg.dt
            ns[AIR + f] = air * (1.0 - filt)
            ns[CONTACT + f] = contact
        if wp.sqrt(cx * cx + cy * cy) <= 0.1:
            air_reward = 0.0
        t[8] = cfg.feet_air_time_weight * air_reward
        total = float(0.0)
        for k in range(9):
            t[k] = t[k] * cfg.dt
            total += t[k]
        if cfg.only_positive_rewards != 0.0 and total < 0.0:
            t[9] = -total
        # episode clock, then command resampling and pushes from the episode's counter-based stream
        count = ns[COUNT] + 1.0
        ns[COUNT] = count
        rng = wp.rand_init(int(ns[KEY]), 2 * int(count))
        resample = int(wp.round(cfg.resampling_time / cfg.dt))
        if resample > 0 and int(count) % resample == 0:
            ns, rng = draw_command(cfg, ns, rng)
        push = int(wp.round(cfg.push_interval_s / cfg.dt))
        if cfg.max_push_vel_xy > 0.0 and push > 0 and int(count) % push == 0:
            ns[19] = wp.randf(rng, -cfg.max_push_vel_xy, cfg.max_push_vel_xy)
            ns[20] = wp.randf(rng, -cfg.max_push_vel_xy, cfg.max_push_vel_xy)
        return ns, t

    @wp.func
    def terminated(cfg: cfg_type, sc: scale_type, s: state_type) -> bool:
        v, w, g = base_frame(s)
        return (not all_finite(s)) or base_height(cfg, s) < cfg.min_base_height or g[2] > cfg.max_gravity_z

    @wp.func
    def reset(cfg: cfg_type, sc: scale_type, rng: wp.uint32):
        s = state_type()
        s[2] = cfg.init_z
        s[3] = 1.0
        for j in range(12):
            s[7 + j] = cfg.default_dof_pos[j] * wp.randf(rng, 0.5, 1.5)
        for i in range(6):
            s[19 + i] = wp.randf(rng, -cfg.reset_base_vel, cfg.reset_base_vel)
        s, rng = draw_command(cfg, s, rng)
        s[KEY] = float(wp.randi(rng, 0, KEY_RANGE))
        return s, rng

    @wp.func
    def observe(cfg: cfg_type, sc: scale_type, s: state_type):
        v, w, g = base_frame(s)
        o = obs_type()
        for i in range(3):
            o[i] = 2.0 * v[i]
            o[3 + i] = 0.25 * w[i]
            o[6 + i] = g[i]
        o[9] = 2.0 * s[CMD]
        o[10] = 2.0 * s[CMD + 1]
        o[11] = 0.25 * s[CMD + 2]
        for j in range(12):
            o[12 + j] = s[7 + j] - cfg.default_dof_pos[j]
            o[24 + j] = 0.05 * s[25 + j]
            o[36 + j] = s[LAST_ACT + j]
        if cfg.noise_level > 0.0:
            rng = wp.rand_init(int(s[KEY]), 2 * int(s[COUNT]) + 1)
            for i in range(3):
                o[i] += cfg.noise_level * 0.1 * 2.0 * wp.randf(rng, -1.0, 1.0)
                o[3 + i] += cfg.noise_level * 0.2 * 0.25 * wp.randf(rng, -1.0, 1.0)
                o[6 + i] += cfg.noise_level * 0.05 * wp.randf(rng, -1.0, 1.0)
            for j in range(12):
                o[12 + j] += cfg.noise_level * 0.01 * wp.randf(rng, -1.0, 1.0)
                o[24 + j] += cfg.noise_level * 1.5 * 0.05 * wp.randf(rng, -1.0, 1.0)
        for i in range(NUM_OBS):
            # a NaN must survive the clip: the trainer's finiteness check reads the observations (final_obs
            # of a diverged episode), and a clamped NaN would let its NaN reward through silently
            if wp.isfinite(o[i]):
                o[i] = wp.clamp(o[i], -100.0, 100.0)
        return o

    return (step, terminated, reset, observe), foot_heights, base_frame


@functools.cache
def _sync_kernel():
    """Kernel copying each env's physical state and parameters into the simulator and writing privileged obs."""
    _, foot_heights, base_frame = anymal_funcs()
    state_type = wp.types.vector(STATE_DIM, wp.float32)

    @wp.kernel(module="unique", enable_backward=False)
    def sync(
        # Model:
        base_body: int,
        # Data in:
        state_in: wp.array[state_type],
        scale_in: wp.array[scale_type],
        # Data out:
        qpos_out: wp.array2d[float],
        qvel_out: wp.array2d[float],
        body_mass_scale_out: wp.array2d[float],
        privileged_out: wp.array2d[float],
    ):
        worldid = wp.tid()
        s = state_in[worldid]
        sc = scale_in[worldid]
        # pushes change the state's velocity after the physics: the simulator takes the state as it is
        for i in range(NQ):
            qpos_out[worldid, i] = s[i]
        for i in range(NV):
            qvel_out[worldid, i] = s[NQ + i]
        body_mass_scale_out[worldid, base_body] = sc[1]
        v, w, g = base_frame(s)
        for i in range(3):
            privileged_out[worldid, i] = v[i]
            privileged_out[worldid, 3 + i] = w[i]
            privileged_out[worldid, 6 + i] = sc[i]
        for f in range(4):
            privileged_out[worldid, 9 + f] = s[CONTACT + f]

    return sync


class AnymalC(MjcfEnv):
    """legged_gym's anymal_c_flat on Warp articulated dynamics with PD servos; see the module docstring."""

    name = "anymal_c"
    asset = ASSET
    cfg_type = AnymalCConfig
    num_obs = NUM_OBS
    num_actions = NU
    state_dim = STATE_DIM
    task_state_dim = STATE_DIM - NQ - NV
    default_max_episode_steps = 1000
    param_names = ("friction", "base_mass", "strength")
    reward_term_names = TERMS
    task_funcs = property(lambda self: self._task_functions())  # built on first use (cached): reads the asset

    def __init__(
        self,
        num_envs: int = 1,
        device: str = "auto",
        seed: int = 0,
        *,
        frame_skip: int = 4,
        sim_dt: float = 0.005,
        substeps: int = 1,
        pipeline: str = "auto",
        env_fastest: bool | None = None,
        **overrides,
    ):
        """Load the model and build the env on it: frame_skip (legged_gym's decimation) x sim_dt per control step."""
        super().__init__(
            num_envs, device, seed, frame_skip=frame_skip, substeps=substeps, sim_dt=sim_dt, pipeline=pipeline,
            env_fastest=env_fastest, **overrides,
        )  # fmt: skip

    def _task_functions(self) -> tuple:
        # the four task functions (a hook: envs/anymal_c_rough.py builds them for its terrain)
        return anymal_funcs()[0]

    def _model_constants(self, dt: float) -> dict:
        m = self.model
        kp = m.actuator_gainprm[:, 0]
        kv = -m.actuator_biasprm[:, 2]
        lim = m.actuator_forcerange[:, 1]
        if not (np.all(kp == kp[0]) and np.all(kv == kv[0]) and np.all(lim == lim[0])):
            raise ValueError(f"{self.asset}: the task assumes one kp, kv and force range for every servo")
        return {
            "dt": dt,
            "default_dof_pos": tuple(float(x) for x in m.key_qpos[0, 7:]),
            "kp": float(kp[0]),
            "kv": float(kv[0]),
            "torque_limit": float(lim[0]),
        }

    def _simulator_rows(self, sim) -> dict:
        rows = super()._simulator_rows(sim)
        # the act kernel maps a in [-1, 1] linearly onto ctrl_range: default pose -+ action_scale
        lo = np.asarray(self.config["default_dof_pos"], dtype=np.float32) - self.config["action_scale"]
        hi = lo + 2.0 * self.config["action_scale"]
        self._target_range = wp.array(np.stack([lo, hi], 1), dtype=wp.vec2, device=self.device)
        return {**rows, "ctrl_range": self._target_range}

    def _build_views(self) -> None:
        super()._build_views()
        self.num_privileged_obs = NUM_PRIV
        with wp.ScopedDevice(self.device):
            self._privileged = wp.zeros((self.num_envs, NUM_PRIV), dtype=float)
        self.info["privileged_obs"] = wp.to_torch(self._privileged)

    def _build_launches(self, cfg, scale_ranges, sim) -> None:
        super()._build_launches(cfg, scale_ranges, sim)
        k = _sync_kernel()
        state = self._arrays["state"]
        scale = self._arrays["scale"]
        base = self.model.body_names.index("base")
        args = [base, state, scale, sim.qpos, sim.qvel, sim.body_mass_scale, self._privileged]
        self._sync_cmd = self.record_launch(k, self.num_envs, args)

    def reset(self, seed: int | None = None) -> torch.Tensor:
        """Start a new episode in every env (see WarpEnv.reset) and hand the states to the simulator."""
        obs = super().reset(seed)
        if hasattr(self, "_sync_cmd"):
            self._sync_cmd.launch()
        return obs

    def step(self, actions: torch.Tensor):
        """One 50 Hz control step (see WarpEnv.step), then the state (pushes included) into the simulator."""
        out = super().step(actions)
        self._sync_cmd.launch()
        return out

    def launch_sequence(self) -> list:
        """The parent's launches, then the state into the simulator."""
        return super().launch_sequence() + [self._sync_cmd]

    def set_state(self, state: torch.Tensor) -> None:
        """Overwrite every env's state [N, 62] (layout in the module docstring) and the simulator's qpos, qvel."""
        self._check_tensor("state", state, (self.num_envs, self.state_dim))
        if not bool(torch.isfinite(state).all()):
            bad = torch.nonzero(~torch.isfinite(state))[0].tolist()
            raise ValueError(f"{self.name}: state contains a non-finite value at [env, index] = {bad}")
        self._state_t.copy_(state)
        self._sync_cmd.launch()

    def foot_heights(self) -> torch.Tensor:
        """Height [m] of each foot sphere's lowest point above the floor, [N, 4] (LF, RF, LH, RH), from the state."""
        return wp.to_torch(_foot_height_launch(self._arrays["state"], self.device))


@functools.cache
def _foot_height_kernel():
    _, foot_heights, _ = anymal_funcs()
    state_type = wp.types.vector(STATE_DIM, wp.float32)

    @wp.kernel(module="unique", enable_backward=False)
    def heights(state_in: wp.array[state_type], heights_out: wp.array[wp.vec4]):
        worldid = wp.tid()
        heights_out[worldid] = foot_heights(state_in[worldid])

    return heights


def _foot_height_launch(state: wp.array, device) -> wp.array:
    out = wp.zeros(state.shape[0], dtype=wp.vec4, device=device)
    wp.launch(_foot_height_kernel(), state.shape[0], inputs=[state], outputs=[out], device=device)
    return out
