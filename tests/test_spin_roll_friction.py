"""Torsional and rolling friction (condim 4 and 6) of ground and geom-geom contacts against MuJoCo C.

A condim-4 contact adds two pyramid edges J_n +- mu_spin J_spin (the relative rotation about the normal), a condim-6
contact four more J_n +- mu_roll J_roll (about the two tangents), with the sliding edges' D and aref on their own
velocity (MuJoCo's mj_instantiateContact, mj_makeImpedance). Random free bodies of every ground-contact geom type,
random condim, friction vectors and priorities resting on a (tilted) plane, or on a box of the world body and on each
other (geom-geom contacts), and random legged chains with condim-6 feet, are stepped once from random spinning and
rolling velocities beside mj_step under MuJoCo's pyramidal cone: qvel to float32 rounding, where the same models at
condim 3 differ from MuJoCo's by far more. (Rollouts of spinning boxes and flailing legs part from MuJoCo's
chaotically after a few dozen steps, at condim 3 as well: one step from many states is the sharper test.)
"""

import re

import mujoco
import numpy as np
import pytest
import torch
import warp as wp
from chains import random_vec

from kernels.articulation import Simulator
from kernels.com import external_forces, tree_com
from kernels.io import put_model
from mjcf import load_mjcf

NUM_STATES = 16


def _friction(rng) -> str:
    return f"{rng.uniform(0.3, 1.2):.3f} {rng.uniform(0.0, 0.05):.4f} {rng.uniform(0.0, 0.01):.4f}"


def _geom(rng, condim: int, gtype: str) -> str:
    size = {
        "sphere": f"{rng.uniform(0.05, 0.12):.3f}",
        "capsule": f"{rng.uniform(0.04, 0.08):.3f} {rng.uniform(0.05, 0.15):.3f}",
        "box": " ".join(f"{x:.3f}" for x in rng.uniform(0.04, 0.12, 3)),
        "cylinder": f"{rng.uniform(0.05, 0.1):.3f} {rng.uniform(0.04, 0.1):.3f}",
    }[gtype]
    extra = f' priority="{int(rng.integers(0, 2))}"' if rng.random() < 0.3 else ""
    if rng.random() < 0.3:
        extra += f' solref="{rng.uniform(0.01, 0.03):.3f} {rng.uniform(0.8, 1.2):.2f}"'
    # contype 2, conaffinity 1: each body collides with the floor (contype 1), not with the others
    return (
        f'<geom type="{gtype}" size="{size}" condim="{condim}" friction="{_friction(rng)}" '
        f'mass="{rng.uniform(0.5, 3):.2f}" contype="2" conaffinity="1"{extra}/>'
    )


def _bodies_xml(seed: int) -> str:
    """Free bodies of random geom types and condim (1, 3, 4, 6) resting in the floor's margin, on a plane that is
    tilted half the time."""
    rng = np.random.default_rng(seed)
    bodies = []
    condims = rng.permutation([int(rng.choice([1, 3])), 4, 6, int(rng.choice([3, 4, 6]))])
    for i, gtype in enumerate(rng.permutation(["sphere", "capsule", "box", "cylinder"])):
        condim = int(condims[i])
        euler = " ".join(f"{x:.1f}" for x in rng.uniform(-20, 20, 3)) if gtype != "sphere" else "0 0 0"
        bodies.append(
            f'<body pos="{i * 0.6 - 0.9:.2f} {rng.uniform(-0.3, 0.3):.2f} 0.1" euler="{euler}"><freejoint/>'
            + _geom(rng, condim, gtype)
            + "</body>"
        )
    tilt = f' euler="{rng.uniform(-8, 8):.1f} {rng.uniform(-8, 8):.1f} 0"' if rng.random() < 0.5 else ""
    return f"""<mujoco><compiler angle="degree"/>
  <option cone="pyramidal" impratio="{rng.choice([1.0, 3.0, 10.0])}" timestep="{rng.choice([0.002, 0.005])}"/>
  <worldbody><geom type="plane" size="5 5 0.1" friction="{_friction(rng)}" condim="{rng.choice([1, 3, 3, 4])}"{tilt}/>
  {"".join(bodies)}</worldbody></mujoco>"""


def _stack_xml(seed: int) -> str:
    """Geom-geom contacts only: free sphere, capsule and box bodies of random condim (4 and 6 among them) on a box of
    the world body (no plane), touching the others they land on, and a small sphere or box resting on the first
    (both sides of its rows move)."""
    rng = np.random.default_rng(seed)
    bodies = []
    condims = rng.permutation([4, 6, int(rng.choice([3, 4, 6]))])
    for i, gtype in enumerate(rng.permutation(["sphere", "capsule", "box"])):
        x, y = i * 0.5 - 0.5, rng.uniform(-0.2, 0.2)
        euler = " ".join(f"{v:.1f}" for v in rng.uniform(-10, 10, 3)) if gtype != "sphere" else "0 0 0"
        geom = _geom(rng, int(condims[i]), str(gtype)).replace('contype="2" conaffinity="1"', 'contype="1"')
        bodies.append(f'<body pos="{x:.2f} {y:.2f} 0.15" euler="{euler}"><freejoint/>{geom}</body>')
        if i == 0:
            shape = 'type="sphere" size="0.04"' if rng.random() < 0.5 else 'type="box" size="0.04 0.04 0.03"'
            bodies.append(
                f'<body pos="{x + rng.uniform(-0.02, 0.02):.3f} {y:.2f} 0.4"><freejoint/><geom {shape} '
                f'condim="{rng.choice([4, 6])}" friction="{_friction(rng)}" mass="{rng.uniform(0.2, 0.5):.2f}"/></body>'
            )
    return f"""<mujoco><compiler angle="degree"/>
  <option cone="pyramidal" impratio="{rng.choice([1.0, 3.0, 10.0])}" timestep="0.002"/>
  <worldbody><geom type="box" size="2 2 0.1" pos="0 0 -0.1" friction="{_friction(rng)}"
    condim="{rng.choice([1, 3, 4])}"/>
  {"".join(bodies)}</worldbody></mujoco>"""


def _legs_xml(seed: int) -> str:
    """A free trunk on two or three hinge legs whose condim-6 sphere feet touch the floor: the rows' rotational
    Jacobian through hinge chains, under motors."""
    rng = np.random.default_rng(seed)
    legs, motors = [], []
    nlegs = int(rng.integers(2, 4))
    for k in range(nlegs):
        angle = 2 * np.pi * k / nlegs
        x, y = 0.15 * np.cos(angle), 0.15 * np.sin(angle)
        legs.append(
            f'<body pos="{x:.3f} {y:.3f} 0"><joint name="h{k}" type="hinge" axis="{random_vec(rng)}" damping="0.1"/>'
            f'<geom type="capsule" fromto="0 0 0 0 0 -0.15" size="0.02" mass="0.3"/>'
            f'<body pos="0 0 -0.15"><joint name="k{k}" type="hinge" axis="{random_vec(rng)}" damping="0.1"/>'
            f'<geom type="capsule" fromto="0 0 0 0 0 -0.1" size="0.015" mass="0.2"/>'
            f'<geom type="sphere" pos="0 0 -0.1" size="0.03" condim="6" friction="{_friction(rng)}" mass="0.05"/>'
            "</body></body>"
        )
        motors += [f'<motor joint="h{k}" gear="2"/>', f'<motor joint="k{k}" gear="2"/>']
    return f"""<mujoco><option cone="pyramidal" impratio="{rng.choice([1.0, 5.0])}" timestep="0.005"/>
  <default><geom contype="2" conaffinity="1"/></default>
  <worldbody><geom type="plane" size="5 5 0.1" contype="1"/>
  <body pos="0 0 0.28"><freejoint/><geom type="box" size="0.12 0.12 0.03" mass="2" contype="0" conaffinity="0"/>
  {"".join(legs)}</body></worldbody><actuator>{"".join(motors)}</actuator></mujoco>"""


def _one_step(model, ref: mujoco.MjModel, seed: int, ctrl_scale: float = 0.0, pipeline: str = "fused"):
    """qvel after one step, ours and MuJoCo's, from NUM_STATES random velocities (the free bodies spinning and
    rolling at up to ~10 rad/s) at the pose MuJoCo's bodies settle to in 200 steps (every geom in contact), and the
    contact dimensions MuJoCo saw."""
    d = mujoco.MjData(ref)
    for _ in range(200):
        mujoco.mj_step(ref, d)
    pose = d.qpos.copy()
    rng = np.random.default_rng(seed + 1000)
    qvel = rng.normal(size=(NUM_STATES, ref.nv)) * 0.5
    for j in np.flatnonzero(ref.jnt_type == 0):  # MuJoCo's free-joint angular velocity is in the body frame
        qvel[:, ref.jnt_dofadr[j] + 3 : ref.jnt_dofadr[j] + 6] = rng.normal(size=(NUM_STATES, 3)) * 4.0
    ctrl = rng.uniform(-1, 1, (NUM_STATES, ref.nu)) * ctrl_scale
    sim = Simulator(model, NUM_STATES, contacts=True, joint_limits=True, pipeline=pipeline)
    sim.set_state(torch.tensor(np.tile(pose, (NUM_STATES, 1)), dtype=torch.float32), torch.tensor(qvel).float())
    sim.step(torch.tensor(ctrl, dtype=torch.float32))
    want, dims = np.zeros((NUM_STATES, ref.nv)), set()
    for i in range(NUM_STATES):
        mujoco.mj_resetData(ref, d)
        d.qpos[:], d.qvel[:], d.ctrl[:] = pose, qvel[i], ctrl[i]
        mujoco.mj_step(ref, d)
        dims |= {int(c.dim) for c in d.contact[: d.ncon]}
        want[i] = d.qvel
    return sim.get_state()[1].numpy(), want, dims


def _check(xml: str, seed: int, pipeline: str, ctrl_scale: float = 0.0):
    """One step against MuJoCo (to 5e-4 of the velocity scale: float32 contact solves) on the model and, as the
    control, MuJoCo on the same model with condim 3: the torsional and rolling rows move qvel far beyond that. Before
    the solve's line search (full Newton steps only) 1-3 of these scenes' 256 states cycled between active sets and
    missed at impratio 3, 11 at impratio 10 (docs/physics.md)."""
    ref = mujoco.MjModel.from_xml_string(xml)
    ours, want, dims = _one_step(ref, ref, seed, ctrl_scale, pipeline)
    assert dims & {4, 6}
    tol = 5e-4 * max(1.0, np.abs(want).max())
    np.testing.assert_allclose(ours, want, rtol=0, atol=tol)
    sliding = mujoco.MjModel.from_xml_string(re.sub(r'condim="[46]"', 'condim="3"', xml))
    _, want3, _ = _one_step(sliding, sliding, seed, ctrl_scale, pipeline)
    assert np.sum(np.abs(want3 - want).max(axis=1) > 20 * tol) >= NUM_STATES // 4


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("pipeline", ["fused", "split"])
def test_spinning_bodies_on_a_plane_match_mujoco(seed, pipeline):
    _check(_bodies_xml(seed), seed, pipeline)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("pipeline", ["fused", "split"])
def test_spinning_bodies_on_each_other_match_mujoco(seed, pipeline):
    """Geom-geom rows: J_e = n^T (J_p2 - J_p1) + w^T (J_r2 - J_r1) between two moving bodies or a body and a world
    geom."""
    _check(_stack_xml(seed), seed, pipeline)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("pipeline", ["fused", "split"])
def test_legged_chain_with_condim6_feet_matches_mujoco(seed, pipeline):
    _check(_legs_xml(seed), seed, pipeline, ctrl_scale=1.0)


@wp.kernel
def _cfrc_ext_kernel(
    body_rootid: wp.array[int],
    body_ipos: wp.array[wp.vec3],
    body_mass: wp.array[float],
    body_mass_scale: wp.array2d[float],
    cgeom_type: wp.array[int],
    cgeom_bodyid: wp.array[int],
    cgeom_pointadr: wp.array[int],
    cpair_body1: wp.array[int],
    cpair_body2: wp.array[int],
    xpos: wp.array2d[wp.vec3],
    xquat: wp.array2d[wp.quat],
    contact_dcoef: wp.array2d[float],
    contact_point: wp.array2d[wp.vec3],
    contact_frc: wp.array2d[wp.vec3],
    contact_trq: wp.array2d[wp.vec3],
    pair_dcoef: wp.array2d[float],
    pair_point: wp.array2d[wp.vec3],
    pair_frc: wp.array2d[wp.vec3],
    pair_trq: wp.array2d[wp.vec3],
    tree_com_out: wp.array2d[wp.vec3],
    tree_mass_out: wp.array2d[float],
    cfrc_ext_out: wp.array2d[wp.spatial_vector],
):
    w = wp.tid()
    tree_com(w, body_rootid, body_ipos, body_mass, body_mass_scale, xpos, xquat, tree_com_out, tree_mass_out)
    external_forces(
        w, body_rootid, cgeom_type, cgeom_bodyid, cgeom_pointadr, cpair_body1, cpair_body2, contact_dcoef,
        contact_point, contact_frc, contact_trq, pair_dcoef, pair_point, pair_frc, pair_trq, tree_com_out,
        cfrc_ext_out,
    )  # fmt: skip


def _cfrc_ext(sim: Simulator, torques: bool = True) -> np.ndarray:
    """kernels.com.external_forces after sim's last step (MuJoCo's cfrc_ext, (N, nbody, 6)); torques False: without
    the torsional and rolling rows' torques."""
    n, nbody = sim.num_envs, sim.body_rootid.shape[0]
    out = wp.zeros((n, nbody), dtype=wp.spatial_vector)
    names = [a.label for a in _cfrc_ext_kernel.adj.args if not a.label.endswith("_out")]
    args = {k: getattr(sim, k) for k in names}
    if not torques:
        args["contact_trq"], args["pair_trq"] = (wp.zeros_like(args[k]) for k in ("contact_trq", "pair_trq"))
    wp.launch(
        _cfrc_ext_kernel, n, inputs=[args[k] for k in names],
        outputs=[wp.zeros((n, nbody), dtype=wp.vec3), wp.zeros((n, nbody), dtype=float), out],
    )  # fmt: skip
    return out.numpy().astype(np.float64)


def cfrc_ext_one_step(ref: mujoco.MjModel, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """cfrc_ext after one step from NUM_STATES random spinning states at the pose MuJoCo settles to in 200 steps:
    (ours, ours without the torsional / rolling torques, MuJoCo's mj_rnePostConstraint), each (N, nbody, 6)."""
    d = mujoco.MjData(ref)
    for _ in range(200):
        mujoco.mj_step(ref, d)
    pose = d.qpos.copy()
    rng = np.random.default_rng(seed)
    qvel = rng.normal(size=(NUM_STATES, ref.nv)) * 0.5
    for j in np.flatnonzero(ref.jnt_type == 0):
        qvel[:, ref.jnt_dofadr[j] + 3 : ref.jnt_dofadr[j] + 6] = rng.normal(size=(NUM_STATES, 3)) * 4.0
    sim = Simulator(ref, NUM_STATES, contacts=True)
    sim.set_state(torch.tensor(np.tile(pose, (NUM_STATES, 1)), dtype=torch.float32), torch.tensor(qvel).float())
    sim.step(torch.zeros(NUM_STATES, 0))
    want = np.zeros((NUM_STATES, ref.nbody, 6))
    for i in range(NUM_STATES):
        mujoco.mj_resetData(ref, d)
        d.qpos[:], d.qvel[:] = pose, qvel[i]
        mujoco.mj_step(ref, d)
        mujoco.mj_rnePostConstraint(ref, d)
        want[i] = d.cfrc_ext
    return _cfrc_ext(sim), _cfrc_ext(sim, torques=False), want


@pytest.mark.parametrize("scene", ["plane", "stack"])
def test_contact_torques_enter_cfrc_ext_as_mujocos(scene):
    """cfrc_ext (MuJoCo's mj_rnePostConstraint) of one step from the random spinning states: the torsional and
    rolling rows' torque (mj_contactForce's last three components) on each body, about its tree's center of mass, as
    MuJoCo's, and the world body's row 0 when a world geom is a pair's second; without those torques it is off by far
    more."""
    seed = 2
    ref = mujoco.MjModel.from_xml_string(_bodies_xml(seed) if scene == "plane" else _stack_xml(seed))
    ours, without, want = cfrc_ext_one_step(ref, seed)
    # float32 contact solves: measured within 2.2e-5 of the largest component (forces up to ~300 N); the torques are
    # about 1% of them
    tol = 5e-5 * np.abs(want).max()
    np.testing.assert_allclose(ours, want, rtol=0, atol=tol)
    assert np.sum(np.abs(without - want).max(axis=(1, 2)) > 10 * tol) >= NUM_STATES // 4


def test_through_load_mjcf():
    xml = _bodies_xml(1)
    ref = mujoco.MjModel.from_xml_string(xml)
    ours, want, _ = _one_step(load_mjcf(xml), ref, 1)
    np.testing.assert_allclose(ours, want, rtol=0, atol=5e-4 * max(1.0, np.abs(want).max()))


@pytest.mark.parametrize("condim", [3, 4, 6])
def test_a_spinning_ball_stops_turning_only_with_torsional_friction(condim):
    """condim 3 leaves the spin about the normal alone; condim 4 brakes it; condim 6 also brakes the rolling."""
    xml = f"""<mujoco><option cone="pyramidal"/><worldbody><geom type="plane" size="2 2 0.1"/>
      <body pos="0 0 0.1"><freejoint/><geom type="sphere" size="0.1" mass="1" condim="{condim}"
      friction="1 0.05 0.02"/></body></worldbody></mujoco>"""
    ref = mujoco.MjModel.from_xml_string(xml)
    sim = Simulator(ref, 1, contacts=True)
    qvel = torch.tensor([[0.0, 0.0, 0.0, 0.0, 3.0, 10.0]])  # rolling about y, spinning about z
    sim.set_state(torch.tensor(ref.qpos0[None], dtype=torch.float32), qvel)
    for _ in range(200):
        sim.step(torch.zeros(1, 0))
    spin, roll = sim.get_state()[1][0, 5].item(), float(torch.linalg.norm(sim.get_state()[1][0, :2]))
    if condim == 3:
        assert spin > 9.0
    else:
        assert abs(spin) < 0.5
    d = mujoco.MjData(ref)
    d.qvel[:] = qvel[0].numpy()
    for _ in range(200):
        mujoco.mj_step(ref, d)
    assert spin == pytest.approx(d.qvel[5], abs=1e-3)
    assert roll == pytest.approx(np.linalg.norm(d.qvel[:2]), abs=1e-3)


def test_pair_friction_matches_mujocos_contacts():
    """cgeom_friction_ang: MuJoCo's mixed (torsional, rolling) friction of each contact (max at equal priority, the
    higher priority's geom otherwise, floored at mjMINMU), 0 where the condim leaves it out."""
    for seed in range(8):
        ref = mujoco.MjModel.from_xml_string(_bodies_xml(seed))
        d = mujoco.MjData(ref)
        for _ in range(50):  # until every body rests in the margin
            mujoco.mj_step(ref, d)
        m = put_model(ref, "cpu", contacts=True, joint_limits=False, substeps=1, timestep=ref.opt.timestep)
        ang = dict(zip(m.cgeom_geomid.numpy().tolist(), m.cgeom_friction_ang.numpy().tolist(), strict=True))
        slide = dict(zip(m.cgeom_geomid.numpy().tolist(), m.cgeom_friction.numpy().tolist(), strict=True))
        for c in d.contact[: d.ncon]:
            g = int(c.geom[1]) if ref.geom_type[c.geom[0]] == 0 else int(c.geom[0])
            spin = c.friction[2] if c.dim >= 4 else 0.0
            roll = c.friction[3] if c.dim >= 6 else 0.0
            np.testing.assert_allclose(ang[g], [spin, roll], rtol=1e-6)
            if c.dim > 1:
                assert slide[g] == pytest.approx(c.friction[0], rel=1e-6)


def test_friction_randomization_scales_every_component():
    """A per-env friction scale of the geom touching the ground multiplies its contact's mixed torsional and rolling
    friction too: the same as MuJoCo with every geom's friction vector scaled."""
    xml = _bodies_xml(2)
    ref = mujoco.MjModel.from_xml_string(xml)
    scaled = mujoco.MjModel.from_xml_string(xml)
    scale = np.full(ref.ngeom, 1.7)
    scaled.geom_friction[:] = ref.geom_friction * 1.7
    sim = Simulator(ref, 1, contacts=True)
    sim.set_params(geom_friction_scale=torch.tensor(scale[None], dtype=torch.float32))
    qvel = np.zeros(ref.nv)
    qvel[[d + 5 for d in ref.jnt_dofadr]] = 6.0  # every body spinning about its local z
    sim.set_state(torch.tensor(ref.qpos0[None], dtype=torch.float32), torch.tensor(qvel[None], dtype=torch.float32))
    for _ in range(30):
        sim.step(torch.zeros(1, 0))
    d = mujoco.MjData(scaled)
    d.qvel[:] = qvel
    for _ in range(30):
        mujoco.mj_step(scaled, d)
    np.testing.assert_allclose(sim.get_state()[1][0].numpy(), d.qvel, rtol=0, atol=2e-3 * max(1, np.abs(d.qvel).max()))


def test_geom_pair_friction_matches_mujocos_contacts():
    """cpair_friction_ang and cpair_friction: the same mixing for geom-geom pairs, each MuJoCo contact's (torsional,
    rolling) and sliding friction, 0 where the condim leaves it out."""
    for seed in range(8):
        ref = mujoco.MjModel.from_xml_string(_stack_xml(seed))
        d = mujoco.MjData(ref)
        for _ in range(200):
            mujoco.mj_step(ref, d)
        m = put_model(ref, "cpu", contacts=True, joint_limits=False, substeps=1, timestep=ref.opt.timestep)
        geoms = zip(m.cpair_geom1.numpy().tolist(), m.cpair_geom2.numpy().tolist(), strict=True)
        index = {frozenset(g): i for i, g in enumerate(geoms)}
        ang, slide = m.cpair_friction_ang.numpy(), m.cpair_friction.numpy()
        for c in d.contact[: d.ncon]:
            i = index[frozenset((int(c.geom[0]), int(c.geom[1])))]
            spin = c.friction[2] if c.dim >= 4 else 0.0
            roll = c.friction[3] if c.dim >= 6 else 0.0
            np.testing.assert_allclose(ang[i], [spin, roll], rtol=1e-6)
            assert slide[i] == pytest.approx(c.friction[0] if c.dim > 1 else 0.0, rel=1e-6)


def test_split_tiled_refuses_torsional_friction():
    with pytest.raises(ValueError, match="condim 4 / 6"):
        Simulator(mujoco.MjModel.from_xml_string(_bodies_xml(0)), 1, contacts=True, pipeline="split_tiled")


@pytest.mark.parametrize("seed", [0, 9])
def test_sliding_friction_states_that_cycled_without_the_line_search_match_mujoco(seed):
    """The same scenes at condim 3 and impratio 10: full Newton steps alone cycle between active sets in some of these
    states and stop off MuJoCo's solution (both seeds fail with the line search compiled out, tests/mutations.sh row
    36); with the solve's exact line search every state lands on it."""
    xml = re.sub(r'impratio="[0-9.]+"', 'impratio="10"', re.sub(r'condim="[46]"', 'condim="3"', _bodies_xml(seed)))
    ref = mujoco.MjModel.from_xml_string(xml)
    ours, want, _ = _one_step(ref, ref, seed)
    np.testing.assert_allclose(ours, want, rtol=0, atol=5e-4 * max(1.0, np.abs(want).max()))
