"""The Gymnasium v5 locomotion family (Ant, HalfCheetah, Humanoid, Swimmer; Hopper and Walker2d through PlanarEnv):
one set of task functions, specialized for each task by its model's sizes, its config table and a few flags.

A task of the family declares its `asset`, its `cfg_type` and, where it differs from Ant, `obs_skip`,
`healthy_z_inclusive`, `uniform_qvel_noise`, `v5_blocks` and `com_forward`; its sizes come from the model. The
config table decides:
  healthy_z_range, healthy_reward  the task pays healthy_reward while healthy and terminates when unhealthy
                                   (torso z outside the range or a non-finite state); without them: neither;
                                   healthy_reward alone: paid on every step, no termination (HumanoidStandup-v5)
    healthy_angle_range              unhealthy too when the planar root's pitch qpos[2] is outside it (Hopper-v5,
                                     Walker2d-v5)
    healthy_state_range              unhealthy too when any of concat(qpos, qvel)[2:] is outside it (Hopper-v5)
  init_z                           qpos0 has a free root at height init_z with identity orientation; else 0
  init_rootz                       a planar root (slide x, slide z, hinge y): qpos0 has rootz = init_rootz (its
                                   `ref`), the torso height that healthy_z_range bounds; else 0
  obs_qvel_clip                    the observation's qvel entries clipped to +-obs_qvel_clip (Hopper-v5, Walker2d-v5)
  ctrl_scale                       the control cost is of ctrl = ctrl_scale * a; without it, of a
  contact_cost_weight              the task pays Gymnasium's contact_cost on MuJoCo's cfrc_ext (kernels.com):
    contact_force_range              each component clipped to the range first (Ant-v5), or
    contact_cost_range               the cost clipped to the range (Humanoid-v5)
  uph_cost_weight                  the first term is linup = uph_cost_weight * z / timestep (z the free root's height
                                   after the step, m; timestep the MJCF step, s), HumanoidStandup-v5's, not forward
Reward terms: forward = forward_reward_weight * dx/dt (dx the root's x displacement over the step, m/s; with
`com_forward`, Humanoid-v5's: the x displacement of the whole body's center of mass, Gymnasium's mass_center),
healthy (when the task has it), ctrl_cost = -ctrl_cost_weight * sum(ctrl^2), contact_cost (when the task has it).
Observation (`obs_layout`): "v5", Gymnasium's default observation: qpos[obs_skip:], qvel, then the task's `v5_blocks`
in Gymnasium's order, MuJoCo's cinert[1:], cvel[1:], qfrc_actuator[6:], cfrc_ext[1:] (kernels.com); "short":
qpos[obs_skip:], qvel only. After a step, cinert, cvel, qfrc_actuator and the center of mass are those of the stepped
state: MuJoCo's data after mj_step holds its last forward evaluation, which Gymnasium's RK4 (ant.xml, humanoid.xml)
makes at the step's end state (to O(h^2)); cfrc_ext are the contact forces our law applied in the last substep.
After a reset: those of the reset state, with qfrc_actuator and cfrc_ext 0, as after Gymnasium's reset.
Reset: qpos = qpos0 + U(-reset_noise_scale, reset_noise_scale); qvel = reset_noise_scale * N(0, 1), or
U(-reset_noise_scale, reset_noise_scale) with `uniform_qvel_noise`.

The v5 terms and blocks come from the simulator's data, which the task kernel (built by WarpEnv from the task
functions) does not see: a read pass between the physics and the task kernel computes them per env, a write pass
after it adds the blocks to the observation slots the task kernel left 0 (its observation noise is already there),
fills the reward terms it left 0 and adds them to the reward and the episode's return (v5_kernel).
"""

import functools
import os

import numpy as np
import torch
import warp as wp

from envs.articulated import MjcfEnv
from envs.core import ASSETS, all_finite
from kernels.com import actuator_dof_force, body_com_inertia, body_com_velocity, external_forces, tree_com
from kernels.episode import EpisodeState
from kernels.forward import launch_inputs
from kernels.smooth import com_inertia, kinematics, motion_subspace, rne
from mjcf import load_mjcf

wp.set_module_options({"enable_backward": False})

OBS_LAYOUTS = ("v5", "short")
# MuJoCo's com-based blocks of Gymnasium's v5 observations, in Gymnasium's order, and their numbers per body or dof
V5_BLOCKS = ("cinert", "cvel", "qfrc_actuator", "cfrc_ext")
_SIZES: dict[int, int] = {}  # observation sizes, interned (LocomotionEnv._num_obs)


def v5_block_sizes(blocks: tuple, nbody: int, nv: int) -> dict[str, int]:
    """Length of each v5 observation block of a model with nbody bodies (the world included) and nv dofs."""
    per = {"cinert": 10 * (nbody - 1), "cvel": 6 * (nbody - 1), "qfrc_actuator": nv - 6, "cfrc_ext": 6 * (nbody - 1)}
    return {k: per[k] for k in V5_BLOCKS if k in blocks}


@functools.cache
def locomotion_funcs(
    cfg_type,
    nq: int,
    nv: int,
    nu: int,
    obs_skip: int,
    healthy_z_inclusive: bool,
    uniform_qvel_noise: bool,
    num_obs: int,
    com_forward: bool,
):
    """Build (task_step, task_terminated, task_reset, task_observe) of a locomotion task with nq + nv state
    coordinates (MuJoCo order), nu actuators and num_obs (= nq + nv - obs_skip) observations, the state part of either
    layout; the module docstring gives what each computes (the v5 kernel's reward terms are left 0, its observation
    blocks written by the step kernel as 0, `obs_head`)."""
    state_type = wp.types.vector(nq + nv, wp.float32)
    action_type = wp.types.vector(nu, wp.float32)
    obs_type = wp.types.vector(num_obs, wp.float32)
    num_q, num_v = wp.constant(nq), wp.constant(nv)
    tail = wp.constant(nq + nv - obs_skip)
    first = wp.constant(obs_skip)
    has_health = "healthy_z_range" in cfg_type.vars
    has_alive = "healthy_reward" in cfg_type.vars
    has_uph = "uph_cost_weight" in cfg_type.vars
    has_angle = "healthy_angle_range" in cfg_type.vars
    has_state_range = "healthy_state_range" in cfg_type.vars
    has_contact = "contact_cost_weight" in cfg_type.vars
    free_root = "init_z" in cfg_type.vars
    planar_root = "init_rootz" in cfg_type.vars
    clip_qvel = "obs_qvel_clip" in cfg_type.vars
    scaled_ctrl = "ctrl_scale" in cfg_type.vars
    z_index = wp.constant(1 if planar_root else 2)  # rootz of a planar root, a free root's z
    qvel_obs = wp.constant(nq - obs_skip)  # first qvel entry of the observation

    @wp.func
    def within(x: float, lo: float, hi: float) -> bool:
        # Ant-v5 counts a range's bounds as healthy; Humanoid-v5, Hopper-v5 and Walker2d-v5 do not
        if wp.static(healthy_z_inclusive):
            return x >= lo and x <= hi
        return x > lo and x < hi

    @wp.func
    def healthy(cfg: cfg_type, s: state_type) -> bool:
        ok = True
        if wp.static(has_health):
            ok = all_finite(s) and within(s[z_index], cfg.healthy_z_range[0], cfg.healthy_z_range[1])
            if wp.static(has_angle):
                ok = ok and within(s[2], cfg.healthy_angle_range[0], cfg.healthy_angle_range[1])
            if wp.static(has_state_range):
                for i in range(2, num_q + num_v):
                    ok = ok and within(s[i], cfg.healthy_state_range[0], cfg.healthy_state_range[1])
        return ok

    @wp.func
    def step(cfg: cfg_type, sc: wp.vec3, s: state_type, s_phys: state_type, a: action_type):
        forward = float(0.0)
        if wp.static(has_uph):
            forward = cfg.uph_cost_weight * s_phys[z_index] / cfg.timestep
        elif wp.static(not com_forward):
            forward = cfg.forward_reward_weight * (s_phys[0] - s[0]) / cfg.dt
        ctrl_sq = wp.dot(a, a)
        if wp.static(scaled_ctrl):
            ctrl_sq = cfg.ctrl_scale * cfg.ctrl_scale * ctrl_sq
        ctrl_cost = -cfg.ctrl_cost_weight * ctrl_sq
        if wp.static(has_alive):
            alive = float(0.0)
            if healthy(cfg, s_phys):
                alive = cfg.healthy_reward
            if wp.static(has_contact):
                return s_phys, wp.vec4(forward, alive, ctrl_cost, 0.0)
            else:
                return s_phys, wp.vec3(forward, alive, ctrl_cost)
        else:
            return s_phys, wp.vec2(forward, ctrl_cost)

    @wp.func
    def terminated(cfg: cfg_type, sc: wp.vec3, s: state_type) -> bool:
        return not healthy(cfg, s)

    @wp.func
    def reset(cfg: cfg_type, sc: wp.vec3, rng: wp.uint32):
        s = state_type()
        if wp.static(free_root):
            s[2] = cfg.init_z
            s[3] = 1.0
        if wp.static(planar_root):
            s[1] = cfg.init_rootz
        noise = cfg.reset_noise_scale
        if wp.static(uniform_qvel_noise):
            for i in range(num_q + num_v):
                s[i] = s[i] + wp.randf(rng, -noise, noise)
        else:
            for i in range(num_q):
                s[i] = s[i] + wp.randf(rng, -noise, noise)
            for i in range(num_v):
                s[num_q + i] = noise * wp.randn(rng)
        return s, rng

    @wp.func
    def observe(cfg: cfg_type, sc: wp.vec3, s: state_type):
        # the state without its first obs_skip coordinates; the v5 blocks after it are the v5 kernel's
        o = obs_type()
        for i in range(tail):
            o[i] = s[first + i]
        if wp.static(clip_qvel):
            for i in range(qvel_obs, tail):
                o[i] = wp.clamp(o[i], -cfg.obs_qvel_clip, cfg.obs_qvel_clip)
        return o

    return step, terminated, reset, observe


@functools.cache
def v5_kernel(cfg_type, num_obs: int, num_terms: int, base: int, blocks: tuple, com_forward: bool, phase: str):
    """Build a kernel of the v5 pass of a locomotion task (module docstring), one thread per env.

    phase "read", after the simulator's step and before the task kernel: each body's cfrc_ext and the contact cost
    from the last substep's data (kernels.com), then, at the stepped state (qpos, qvel), the kinematics, the center
    of mass and the `blocks` (names of V5_BLOCKS): the blocks into v5_obs, (contact_cost, forward) into v5_terms.
    phase "write", after the task kernel: `mode` 0 (a step): v5_obs into obs (continuing envs) or final_obs (ended
    ones) from index `base`, v5_terms into the reward terms, the reward and the episode's return; then, in every env
    that was reset (mode 1: all, after reset()), the blocks of the reset state into obs (qfrc_actuator and cfrc_ext
    0, as after Gymnasium's reset). Mode 2 (after set_state): only each env's center of mass. Both phases record
    the center of mass x of the state they end at in com_x, for the next step's forward term.
    """
    has_cinert, has_cvel, has_qfrc, has_cfrc = (k in blocks for k in V5_BLOCKS)
    clip_forces = "contact_force_range" in cfg_type.vars
    clip_cost = "contact_cost_range" in cfg_type.vars
    has_contact = "contact_cost_weight" in cfg_type.vars
    read = phase == "read"
    obs_len = wp.constant(num_obs)
    term_len = wp.constant(num_terms)
    first_block = wp.constant(base)
    block_len = wp.constant(max(num_obs - base, 1))

    @wp.func
    def clipped(cfg: cfg_type, x: float) -> float:
        if wp.static(clip_forces):
            return wp.clamp(x, cfg.contact_force_range[0], cfg.contact_force_range[1])
        return x

    @wp.func
    def state_blocks(
        w: int,
        observed: bool,
        actuated: bool,
        # Model:
        body_parentid: wp.array[int],
        body_rootid: wp.array[int],
        body_jntnum: wp.array[int],
        body_jntadr: wp.array[int],
        body_dofnum: wp.array[int],
        body_dofadr: wp.array[int],
        body_pos: wp.array[wp.vec3],
        body_quat: wp.array[wp.quat],
        body_ipos: wp.array[wp.vec3],
        body_iquat: wp.array[wp.quat],
        body_mass: wp.array[float],
        body_inertia: wp.array[wp.vec3],
        body_mass_scale: wp.array2d[float],
        jnt_type: wp.array[int],
        jnt_bodyid: wp.array[int],
        jnt_qposadr: wp.array[int],
        jnt_dofadr: wp.array[int],
        jnt_pos: wp.array[wp.vec3],
        jnt_axis: wp.array[wp.vec3],
        qpos0: wp.array[float],
        actuator_dofadr: wp.array[int],
        actuator_gear: wp.array[float],
        actuator_ctrlrange: wp.array[wp.vec2],
        actuator_ctrllimited: wp.array[int],
        actuator_gear_scale: wp.array2d[float],
        gravity: wp.vec3,
        # Data in:
        qpos_in: wp.array2d[float],
        qvel_in: wp.array2d[float],
        ctrl_in: wp.array2d[float],
        # Data out:
        xpos_out: wp.array2d[wp.vec3],
        xquat_out: wp.array2d[wp.quat],
        xanchor_out: wp.array2d[wp.vec3],
        xaxis_out: wp.array2d[wp.vec3],
        cdof_out: wp.array2d[wp.spatial_vector],
        cmass_out: wp.array2d[float],
        cmc_out: wp.array2d[wp.vec3],
        crot_out: wp.array2d[wp.mat33],
        cvel_out: wp.array2d[wp.spatial_vector],
        cacc_out: wp.array2d[wp.spatial_vector],
        cfrc_out: wp.array2d[wp.spatial_vector],
        qfrc_bias_out: wp.array2d[float],
        tree_com_out: wp.array2d[wp.vec3],
        tree_mass_out: wp.array2d[float],
        dst_out: wp.array[float],
        row: int,
    ) -> float:
        # the state's kinematics (what MuJoCo's data holds after mj_forward there); when observed, its cinert, cvel
        # and (actuated) qfrc_actuator blocks added to dst_out from row; returns its center of mass x (Humanoid-v5's
        # mass_center)
        kinematics(
            w, body_parentid, body_jntnum, body_jntadr, body_pos, body_quat, jnt_type, jnt_qposadr, jnt_pos, jnt_axis,
            qpos0, qpos_in, xpos_out, xquat_out, xanchor_out, xaxis_out,
        )  # fmt: skip
        tree_com(
            w, body_rootid, body_ipos, body_mass, body_mass_scale, xpos_out, xquat_out, tree_com_out, tree_mass_out
        )
        nbody = body_rootid.shape[0]
        k = row
        if wp.static(has_cinert) and observed:
            for b in range(1, nbody):
                c = body_com_inertia(w, b, body_rootid, body_ipos, body_iquat, body_mass, body_inertia,
                                     body_mass_scale, xpos_out, xquat_out, tree_com_out)  # fmt: skip
                for i in range(10):
                    dst_out[k + i] = dst_out[k + i] + c[i]
                k += 10
        if wp.static(has_cvel) and observed:
            com_inertia(w, body_rootid, body_ipos, body_iquat, body_mass, body_inertia, body_mass_scale, xpos_out,
                        xquat_out, cmass_out, cmc_out, crot_out)  # fmt: skip
            motion_subspace(w, body_rootid, jnt_type, jnt_bodyid, jnt_dofadr, xpos_out, xquat_out, xanchor_out,
                            xaxis_out, cdof_out)  # fmt: skip
            rne(w, body_parentid, body_jntnum, body_jntadr, body_dofnum, body_dofadr, jnt_type, jnt_dofadr, gravity,
                qvel_in, cdof_out, cmass_out, cmc_out, crot_out, cvel_out, cacc_out, cfrc_out,
                qfrc_bias_out)  # fmt: skip
            for b in range(1, nbody):
                v = body_com_velocity(w, b, body_rootid, xpos_out, cvel_out, tree_com_out)
                for i in range(6):
                    dst_out[k + i] = dst_out[k + i] + v[i]
                k += 6
        if wp.static(has_qfrc):
            if observed and actuated:
                for d in range(6, qvel_in.shape[1]):
                    dst_out[k] = dst_out[k] + actuator_dof_force(w, d, actuator_dofadr, actuator_gear,
                        actuator_ctrlrange, actuator_ctrllimited, actuator_gear_scale, ctrl_in)  # fmt: skip
                    k += 1
        num = float(0.0)
        den = float(0.0)
        for b in range(1, nbody):
            if body_rootid[b] == b:
                num += tree_mass_out[w, b] * tree_com_out[w, b][0]
                den += tree_mass_out[w, b]
        return num / den

    def kernel(
        # Model:
        cfg: cfg_type,
        mode: int,
        body_parentid: wp.array[int],
        body_rootid: wp.array[int],
        body_jntnum: wp.array[int],
        body_jntadr: wp.array[int],
        body_dofnum: wp.array[int],
        body_dofadr: wp.array[int],
        body_lastdof: wp.array[int],
        body_pos: wp.array[wp.vec3],
        body_quat: wp.array[wp.quat],
        body_ipos: wp.array[wp.vec3],
        body_iquat: wp.array[wp.quat],
        body_mass: wp.array[float],
        body_inertia: wp.array[wp.vec3],
        body_mass_scale: wp.array2d[float],
        jnt_type: wp.array[int],
        jnt_bodyid: wp.array[int],
        jnt_qposadr: wp.array[int],
        jnt_dofadr: wp.array[int],
        jnt_pos: wp.array[wp.vec3],
        jnt_axis: wp.array[wp.vec3],
        qpos0: wp.array[float],
        dof_parentid: wp.array[int],
        actuator_dofadr: wp.array[int],
        actuator_gear: wp.array[float],
        actuator_ctrlrange: wp.array[wp.vec2],
        actuator_ctrllimited: wp.array[int],
        actuator_gear_scale: wp.array2d[float],
        cgeom_type: wp.array[int],
        cgeom_bodyid: wp.array[int],
        cgeom_pointadr: wp.array[int],
        cpair_geom1: wp.array[int],
        cpair_geom2: wp.array[int],
        cpair_body1: wp.array[int],
        cpair_body2: wp.array[int],
        geom_type: wp.array[int],
        geom_bodyid: wp.array[int],
        geom_pos: wp.array[wp.vec3],
        geom_quat: wp.array[wp.quat],
        geom_size: wp.array[wp.vec3],
        gravity: wp.vec3,
        # Data in:
        qpos_in: wp.array2d[float],
        qvel_in: wp.array2d[float],
        ctrl_in: wp.array2d[float],
        qacc_in: wp.array2d[float],
        contact_dcoef_in: wp.array2d[float],
        contact_point_in: wp.array2d[wp.vec3],
        contact_frc_in: wp.array2d[wp.vec3],
        contact_trq_in: wp.array2d[wp.vec3],
        pair_dcoef_in: wp.array2d[float],
        pair_point_in: wp.array2d[wp.vec3],
        pair_frc_in: wp.array2d[wp.vec3],
        pair_trq_in: wp.array2d[wp.vec3],
        terminated_in: wp.array[wp.bool],
        truncated_in: wp.array[wp.bool],
        # Data out (the simulator's kinematics at the state observed; its next step recomputes them):
        xpos_out: wp.array2d[wp.vec3],
        xquat_out: wp.array2d[wp.quat],
        xanchor_out: wp.array2d[wp.vec3],
        xaxis_out: wp.array2d[wp.vec3],
        cdof_out: wp.array2d[wp.spatial_vector],
        cmass_out: wp.array2d[float],
        cmc_out: wp.array2d[wp.vec3],
        crot_out: wp.array2d[wp.mat33],
        cvel_out: wp.array2d[wp.spatial_vector],
        cacc_out: wp.array2d[wp.spatial_vector],
        cfrc_out: wp.array2d[wp.spatial_vector],
        qfrc_bias_out: wp.array2d[float],
        tree_com_out: wp.array2d[wp.vec3],
        tree_mass_out: wp.array2d[float],
        cfrc_ext_out: wp.array2d[wp.spatial_vector],
        v5_obs_out: wp.array[float],
        v5_terms_out: wp.array[wp.vec2],
        com_x_out: wp.array[float],
        episode_out: wp.array[EpisodeState],
        obs_out: wp.array[float],
        final_obs_out: wp.array[float],
        reward_out: wp.array[float],
        reward_terms_out: wp.array[float],
        final_return_out: wp.array[float],
    ):
        w = wp.tid()
        nbody = body_rootid.shape[0]
        if wp.static(read):
            # the contact forces of the last substep, about the center of mass of the state they were solved at
            tree_com(w, body_rootid, body_ipos, body_mass, body_mass_scale, xpos_out, xquat_out, tree_com_out,
                     tree_mass_out)  # fmt: skip
            external_forces(
                w, body_rootid, cgeom_type, cgeom_bodyid, cgeom_pointadr, cpair_body1, cpair_body2, contact_dcoef_in,
                contact_point_in, contact_frc_in, contact_trq_in, pair_dcoef_in, pair_point_in, pair_frc_in,
                pair_trq_in, tree_com_out, cfrc_ext_out,
            )  # fmt: skip
            row = w * block_len
            for i in range(block_len):
                v5_obs_out[row + i] = 0.0
            # the other blocks at the stepped state, as MuJoCo's data holds them after an RK4 step (Gymnasium's ant.xml
            # and humanoid.xml): its last stage evaluates the forward dynamics at the step's end, to O(h^2); a task
            # with neither blocks nor the com-based forward term (the ant's short layout) skips these kinematics
            x_now = float(0.0)
            if wp.static(len(blocks) > 0 or com_forward):
                x_now = state_blocks(
                    w, True, True, body_parentid, body_rootid, body_jntnum, body_jntadr, body_dofnum, body_dofadr,
                    body_pos, body_quat, body_ipos, body_iquat, body_mass, body_inertia, body_mass_scale, jnt_type,
                    jnt_bodyid, jnt_qposadr, jnt_dofadr, jnt_pos, jnt_axis, qpos0, actuator_dofadr, actuator_gear,
                    actuator_ctrlrange, actuator_ctrllimited, actuator_gear_scale, gravity, qpos_in, qvel_in, ctrl_in,
                    xpos_out, xquat_out, xanchor_out, xaxis_out, cdof_out, cmass_out, cmc_out, crot_out, cvel_out,
                    cacc_out, cfrc_out, qfrc_bias_out, tree_com_out, tree_mass_out, v5_obs_out, row,
                )  # fmt: skip
            k = row + block_len - 6 * (nbody - 1)
            cost = float(0.0)
            for b in range(1, nbody):
                e = cfrc_ext_out[w, b]
                for i in range(6):
                    x = clipped(cfg, e[i])
                    cost += x * x
                    if wp.static(has_cfrc):
                        v5_obs_out[k + i] = x
                k += 6
            if wp.static(has_contact):
                cost = cfg.contact_cost_weight * cost
                if wp.static(clip_cost):
                    cost = wp.clamp(cost, cfg.contact_cost_range[0], cfg.contact_cost_range[1])
            forward = float(0.0)
            if wp.static(com_forward):
                forward = cfg.forward_reward_weight * (x_now - com_x_out[w]) / cfg.dt
                com_x_out[w] = x_now
            v5_terms_out[w] = wp.vec2(-cost, forward)
        else:
            ended = False
            if mode == 0:
                ended = terminated_in[w] or truncated_in[w]
                terms = v5_terms_out[w]
                delta = float(0.0)
                if wp.static(has_contact):
                    reward_terms_out[w * term_len + term_len - 1] = terms[0]
                    delta = terms[0]
                if wp.static(com_forward):
                    reward_terms_out[w * term_len] = terms[1]
                    delta += terms[1]
                reward_out[w] = reward_out[w] + delta
                # the task kernel has added this step's reward to the return, and moved it to final_return if it ended
                if ended:
                    final_return_out[w] = final_return_out[w] + delta
                else:
                    episode_out[w].ep_return = episode_out[w].ep_return + delta
                if wp.static(len(blocks) > 0):
                    row = w * obs_len + first_block
                    for i in range(block_len):
                        if ended:
                            final_obs_out[row + i] = final_obs_out[row + i] + v5_obs_out[w * block_len + i]
                        else:
                            obs_out[row + i] = obs_out[row + i] + v5_obs_out[w * block_len + i]
            if ended or mode != 0:
                # a reset (or set) state: observed as after Gymnasium's reset (mj_forward, ctrl 0, no contact forces)
                x_reset = state_blocks(
                    w, mode != 2, False, body_parentid, body_rootid, body_jntnum, body_jntadr, body_dofnum, body_dofadr,
                    body_pos, body_quat, body_ipos, body_iquat, body_mass, body_inertia, body_mass_scale, jnt_type,
                    jnt_bodyid, jnt_qposadr, jnt_dofadr, jnt_pos, jnt_axis, qpos0, actuator_dofadr, actuator_gear,
                    actuator_ctrlrange, actuator_ctrllimited, actuator_gear_scale, gravity, qpos_in, qvel_in, ctrl_in,
                    xpos_out, xquat_out, xanchor_out, xaxis_out, cdof_out, cmass_out, cmc_out, crot_out, cvel_out,
                    cacc_out, cfrc_out, qfrc_bias_out, tree_com_out, tree_mass_out, obs_out, w * obs_len + first_block,
                )  # fmt: skip
                com_x_out[w] = x_reset

    # compile time is user time: the stage functions inside are built rolled, as in kernels/ (DESIGN.md)
    return wp.kernel(kernel, enable_backward=False, module="unique", module_options={"max_unroll": 1})


class LocomotionEnv(MjcfEnv):
    """Base of the locomotion family: a subclass declares name, asset, cfg_type and its flags; the sizes,
    reward_term_names and task_funcs follow from them and `obs_layout` (see the module docstring)."""

    obs_skip: int = 2  # leading qpos coordinates left out of the observation (the root's horizontal position)
    healthy_z_inclusive: bool = True  # whether a value on a bound of a healthy range (height, pitch, state) is healthy
    uniform_qvel_noise: bool = False  # reset qvel uniform instead of Gaussian
    v5_blocks: tuple = ()  # the V5_BLOCKS of Gymnasium's default observation of this task
    com_forward: bool = False  # the forward term follows the whole body's center of mass (Humanoid-v5)
    default_max_episode_steps = 1000

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.asset:  # a shared base (PlanarEnv): flags only, no model
            return
        model = load_mjcf(os.path.join(ASSETS, cls.asset))
        cls.state_dim, cls.num_actions = model.nq + model.nv, model.nu
        cls.num_obs = cls._num_obs(model, "short")  # the default layout (see LocomotionEnv.__init__)
        first = "linup" if "uph_cost_weight" in cls.cfg_type.vars else "forward"
        alive = "healthy_reward" in cls.cfg_type.vars
        names = (first, "healthy", "ctrl_cost") if alive else (first, "ctrl_cost")
        cls.reward_term_names = names + ("contact_cost",) * ("contact_cost_weight" in cls.cfg_type.vars)
        cls.task_funcs = cls._task_funcs(model)

    @classmethod
    def _num_obs(cls, model, obs_layout: str) -> int:
        extra = v5_block_sizes(cls.v5_blocks, model.nbody, model.nv) if obs_layout == "v5" else {}
        # one int object per size: Warp 1.19 compares vector lengths with `is` (types.scalars_equal_generic), so
        # wp.types.vector(348, float) and wp.types.vector(348, wp.float32) built from two equal ints above 256
        # (Python's small-int cache) are different types to a kernel launch
        n = model.nq + model.nv - cls.obs_skip + sum(extra.values())
        return _SIZES.setdefault(n, n)

    @classmethod
    def _task_funcs(cls, model) -> tuple:
        # task_observe returns the state part (the short layout); the v5 write kernel adds the blocks after it
        num_state_obs = model.nq + model.nv - cls.obs_skip
        flags = (cls.obs_skip, cls.healthy_z_inclusive, cls.uniform_qvel_noise, num_state_obs, cls.com_forward)
        return locomotion_funcs(cls.cfg_type, model.nq, model.nv, model.nu, *flags)

    def __init__(self, num_envs: int = 1, device: str = "auto", seed: int = 0, *, obs_layout: str = "short", **kwargs):
        """Build the env with the state-only observation ("short", the default) or Gymnasium's default one ("v5").

        short is the default: every record and trained policy uses it (docs/envs.md)."""
        if obs_layout not in OBS_LAYOUTS:
            raise ValueError(f"{self.name}: obs_layout must be one of {OBS_LAYOUTS}, got {obs_layout!r}")
        self.obs_layout = obs_layout
        model = load_mjcf(os.path.join(ASSETS, self.asset))
        self.num_obs = self._num_obs(model, obs_layout)
        # v5: the task kernel writes the state part and zeros (plus noise) in the block slots, never holding the
        # whole observation (on CUDA that vector spilled: docs/envs.md)
        self.obs_head = model.nq + model.nv - self.obs_skip if obs_layout == "v5" else 0
        self._v5_cmds = None
        super().__init__(num_envs, device, seed, **kwargs)

    def _build_launches(self, cfg, scale_ranges, sim) -> None:
        super()._build_launches(cfg, scale_ranges, sim)
        if not self.v5_blocks and not self.com_forward and "contact_cost_weight" not in self.cfg_type.vars:
            return
        n, nbody = self.num_envs, sim.nbody
        blocks = self.v5_blocks if self.obs_layout == "v5" else ()
        plain = not (
            sim.actuator_affine or np.any(sim.dof_actfrclimited.numpy()) or np.any(sim.dof_actgravcomp.numpy())
        )
        if "qfrc_actuator" in blocks and not plain:
            # kernels.com.actuator_dof_force is the motor law: gear clamp(ctrl), no servo, no joint-level clamp, no
            # gravity compensation through the actuators
            raise NotImplementedError(f"{self.name}: the v5 qfrc_actuator block needs motor actuators only")
        base = self.state_dim - self.obs_skip
        with wp.ScopedDevice(self.device):
            self._v5_arrays = {
                "tree_com": wp.zeros((n, nbody), dtype=wp.vec3),
                "tree_mass": wp.zeros((n, nbody), dtype=float),
                "cfrc_ext": wp.zeros((n, nbody), dtype=wp.spatial_vector),
                "v5_obs": wp.zeros(n * max(self.num_obs - base, 1), dtype=float),
                "v5_terms": wp.zeros(n, dtype=wp.vec2),
                "com_x": wp.zeros(n, dtype=float),
            }

        def flat(a: wp.array) -> wp.array:
            # a float view of an array of per-env vectors: the kernel indexes env * length + component
            return wp.array(ptr=a.ptr, dtype=float, shape=(a.size * a.dtype._length_,), device=a.device)

        a = self._arrays
        fields = {
            **vars(sim),
            **self._v5_arrays,
            "cfg": cfg,
            "mode": 0,
            "terminated": a["terminated_out"],
            "truncated": a["truncated_out"],
            "episode": a["episode"],
            "obs": flat(a["obs_out"]),
            "final_obs": flat(a["final_obs_out"]),
            "reward": a["reward_out"],
            "reward_terms": flat(a["reward_terms_out"]),
            "final_return": a["final_return_out"],
        }
        v5 = (self.cfg_type, self.num_obs, len(self.reward_term_names), base, blocks, self.com_forward)
        read, write = v5_kernel(*v5, "read"), v5_kernel(*v5, "write")
        self._v5_read = self.record_launch(read, n, launch_inputs(read, fields))
        self._v5_cmds = []
        for mode in range(3):
            cmd = self.record_launch(write, n, launch_inputs(write, fields))
            cmd.set_param_by_name("mode", mode)
            self._v5_cmds.append(cmd)

    def _after_physics_launches(self) -> list:
        return [self._v5_read] if self._v5_cmds is not None else []

    def reset(self, seed: int | None = None) -> torch.Tensor:
        """Start a new episode in every env (WarpEnv.reset), then add the v5 blocks of the reset states."""
        obs = super().reset(seed)
        if self._v5_cmds is not None:
            self._v5_cmds[1].launch()
        return obs

    def step(self, actions: torch.Tensor):
        """One control step (WarpEnv.step, with the v5 read pass after the physics), then the v5 write pass."""
        out = super().step(actions)
        if self._v5_cmds is not None:
            self._v5_cmds[0].launch()
        return out

    def launch_sequence(self) -> list:
        """WarpEnv.launch_sequence, then the v5 write pass."""
        return super().launch_sequence() + ([self._v5_cmds[0]] if self._v5_cmds is not None else [])

    def set_state(self, state: torch.Tensor) -> None:
        """Overwrite every env's state (WarpEnv.set_state); the next step's com-based forward term starts there."""
        super().set_state(state)
        if self._v5_cmds is not None:
            self._v5_cmds[2].launch()

    def _device_arrays(self) -> dict[str, wp.array]:
        arrays = super()._device_arrays()
        if self._v5_cmds is not None:
            arrays["v5.com_x"] = self._v5_arrays["com_x"]
        return arrays


class PlanarEnv(LocomotionEnv):
    """Base of Gymnasium's planar Hopper-v5 and Walker2d-v5: a planar root (rootz, rooty observed, rootx not),
    exclusive health bounds, uniform reset qvel noise and frame_skip 4 (dt = 0.008 s at the 2 ms timestep)."""

    obs_skip = 1
    healthy_z_inclusive = False
    uniform_qvel_noise = True
    frame_skip = 4
