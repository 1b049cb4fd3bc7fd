"""Contacts against MuJoCo on the same MJCF: friction mixing of a geom pair, per-env friction scales, and short
trajectories of the locomotion models in contact.

Our contact law (kernels/contact.py) is MuJoCo's soft constraint with its pyramidal friction cone, solved by Newton
steps on the active set; states agree to the tolerances stated beside each check: the friction coefficient a pair
uses, how far a sliding body travels before friction stops it, drops, and short trajectories of the robots.
"""

import math
import os

import mujoco
import numpy as np
import pytest
import torch

import envs
from kernels.articulation import Simulator
from mjcf import load_mjcf

G = 9.81
V0 = 2.0  # m/s, initial sliding speed


@pytest.fixture(autouse=True)
def _mujoco_log_in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MuJoCo writes MUJOCO_LOG.TXT into the working directory on warnings


def _slide_xml(mu_plane: float, mu_box: float) -> str:
    return (
        f'<mujoco><option timestep="0.005"/><worldbody><geom type="plane" size="5 5 .1" friction="{mu_plane} 0 0"/>'
        f'<body pos="0 0 0.05"><freejoint/><geom type="box" size="0.1 0.1 0.05" friction="{mu_box} 0 0"/></body>'
        "</worldbody></mujoco>"
    )


def _mujoco_stopping_distance(xml: str, friction_scale: float = 1.0) -> float:
    m = mujoco.MjModel.from_xml_string(xml)
    m.geom_friction[:, 0] *= friction_scale
    d = mujoco.MjData(m)
    for _ in range(100):  # settle onto the plane
        mujoco.mj_step(m, d)
    x0 = d.qpos[0]
    d.qvel[0] = V0
    for _ in range(300):  # 1.5 s: the box stops within 0.7 s at mu >= 0.3
        mujoco.mj_step(m, d)
    assert abs(d.qvel[0]) < 1e-3
    return float(d.qpos[0] - x0)


def _our_stopping_distances(xml: str, friction_scales: list[float]) -> np.ndarray:
    n = len(friction_scales)
    sim = Simulator(load_mjcf(xml), n, contacts=True)
    sim.set_params(geom_friction_scale=torch.tensor(friction_scales, dtype=torch.float32)[:, None].repeat(1, 2))
    for _ in range(100):
        sim.step()
    q, v = (x.clone() for x in sim.get_state())
    x0 = q[:, 0].numpy().copy()
    v[:, 0] = V0
    sim.set_state(q, v)
    for _ in range(300):
        sim.step()
    q, v = sim.get_state()
    assert float(v[:, 0].abs().max()) < 1e-3
    return q[:, 0].numpy() - x0


# Sliding to rest from 2 m/s travels v0^2 / (2 mu g): 0.255 m at mu = 0.8, 0.680 m at mu = 0.3. Measured: MuJoCo
# 0.250 / 0.675 m, ours within 3e-6 of its distance (the regularized Coulomb friction this replaced: 3.7% and 1.4%
# off; 4 Newton steps per substep instead of 8: 10% off at mu 0.4); a wrong mixing rule (min instead of max) is off
# by a factor 2.7. Tolerance 0.2% of MuJoCo's distance.
SLIDE_RTOL = 2e-3


@pytest.mark.parametrize("mu_plane, mu_box", [(0.3, 0.8), (0.8, 0.3), (0.3, 0.3)])
def test_unequal_pair_frictions_mix_as_mujoco_max_rule(mu_plane, mu_box):
    """MuJoCo mixes a pair's sliding friction as the max of the two geoms' (equal priorities), both ways round."""
    xml = _slide_xml(mu_plane, mu_box)
    ref = _mujoco_stopping_distance(xml)
    assert ref == pytest.approx(V0**2 / (2 * max(mu_plane, mu_box) * G), rel=0.05)  # the reference obeys the rule
    ours = _our_stopping_distances(xml, [1.0])
    np.testing.assert_allclose(ours, ref, rtol=SLIDE_RTOL)


def test_per_env_friction_scale_matches_mujoco_with_scaled_frictions():
    """Row i of geom_friction_scale equals MuJoCo on the model whose frictions were multiplied by scale i."""
    xml = _slide_xml(0.4, 0.4)
    scales = [0.75, 1.0, 2.0]
    ours = _our_stopping_distances(xml, scales)
    ref = [_mujoco_stopping_distance(xml, s) for s in scales]
    np.testing.assert_allclose(ours, ref, rtol=SLIDE_RTOL)
    assert ours[0] > 2.4 * ours[2]  # the scale changed the physics: distance ~ 1 / mu


def _slope_xml(theta: float, mu: float) -> str:
    deg = math.degrees(theta)
    pos = 0.05 * np.array([math.sin(theta), 0.0, math.cos(theta)])
    return (
        f'<mujoco><option timestep="0.01"/><worldbody><geom type="plane" size="5 5 .1" euler="0 {deg} 0" '
        f'friction="{mu} 0 0"/><body pos="{pos[0]} {pos[1]} {pos[2]}" euler="0 {deg} 0"><freejoint/>'
        f'<geom type="box" size="0.1 0.1 0.05" friction="{mu} 0 0"/></body></worldbody></mujoco>'
    )


def test_box_on_slope_sticks_or_slides_with_the_per_env_friction_scale():
    """tan(slope) = 0.5 with nominal mu = 0.5: scale 0.5 (mu 0.25) slides, scale 2.0 (mu 1.0) sticks."""
    theta = math.atan(0.5)
    sim = Simulator(load_mjcf(_slope_xml(theta, 0.5)), 2, contacts=True, substeps=2)
    sim.set_params(geom_friction_scale=torch.tensor([[0.5, 0.5], [2.0, 2.0]]))
    start = sim.get_state()[0].clone()
    for _ in range(100):  # 1 s
        sim.step()
    travel = (sim.get_state()[0][:, :3] - start[:, :3]).norm(dim=1).numpy()
    expected = 0.5 * G * (math.sin(theta) - 0.25 * math.cos(theta))  # Coulomb sliding, d = a t^2 / 2 at 1 s
    assert 0.85 * expected < travel[0] < 1.1 * expected, (travel, expected)
    assert travel[1] < 5e-3, travel  # sticks (MuJoCo's soft friction creeps: a few mm at most)


def test_pair_margin_matches_mujoco():
    """MuJoCo 4.0 sums the two geoms' margins: a sphere 15 mm above a floor, both margins 10 mm, is in contact."""
    xml = (
        '<mujoco><worldbody><geom type="plane" size="5 5 .1" margin="0.01"/><body pos="0 0 0.115"><freejoint/>'
        '<geom type="sphere" size="0.1" margin="0.01"/></body></worldbody></mujoco>'
    )
    m = mujoco.MjModel.from_xml_string(xml)
    d = mujoco.MjData(m)
    mujoco.mj_step(m, d)
    sim = Simulator(load_mjcf(xml), 1, contacts=True)
    sim.step()
    free_fall = -G * m.opt.timestep
    assert d.qvel[2] > free_fall + 1e-3  # MuJoCo: the contact pushes already
    assert float(sim.get_state()[1][0, 2]) > free_fall + 1e-3


# --- drops: MuJoCo's soft contact from solref/solimp, priority and solmix ------------------------------------

DROP_GEOMS = {
    "sphere": '<geom type="sphere" size="0.1" {attrs}/>',
    "box": '<geom type="box" size="0.1 0.2 0.05" {attrs}/>',
    "capsule": '<geom type="capsule" size="0.05" fromto="-0.2 0 0 0.2 0 0" {attrs}/>',
    # on its cap (parallel to the plane: MuJoCo's degenerate branch, three points) and on its side (two)
    "cylinder": '<geom type="cylinder" size="0.1 0.05" {attrs}/>',
    "cylinder_side": '<geom type="cylinder" size="0.05" fromto="-0.2 0 0 0.2 0 0" {attrs}/>',
}
# (plane attributes, body-geom attributes): MuJoCo's defaults; a bouncy solref (dampratio 0.1) that rebounds; the
# half_cheetah's soft solimp and friction 0.4 (the pyramidal cone stiffens the normal 10.8x); the plane's priority
# deciding solref and condim; solmix weighting the two solrefs 3:1; a direct (-stiffness, -damping) solref
DROP_PARAMS = {
    "default": ("", ""),
    "bouncy": ("", 'solref="0.04 0.1"'),
    "soft_solimp": ('friction="0.4 0.1 0.1"', 'solimp="0.0 0.8 0.01" friction="0.4 0.1 0.1"'),
    "priority": ('priority="1" solref="0.06 0.3"', 'solref="0.02 1" condim="1"'),
    "solmix": ('solref="0.06 0.3" solmix="3"', 'solref="0.02 1"'),
    "direct": ("", 'solref="-2000 -40"'),
}


def _drop_xml(geom: str, params: str, timestep: float) -> str:
    plane, attrs = DROP_PARAMS[params]
    return (
        f'<mujoco><option timestep="{timestep}"/><worldbody><geom type="plane" size="5 5 .1" {plane}/>'
        f'<body pos="0 0 0.5"><freejoint/>{DROP_GEOMS[geom].format(attrs=attrs)}</body></worldbody></mujoco>'
    )


# Height of a geom dropped flat from 0.5 m, every 10 ms step for 1.5 s, ours vs MuJoCo (Euler, same step): measured max
# |dz| 5.4e-7 m over sphere, box, capsule x the six parameter sets (6.2e-7 with the two cylinders, a212a81+). What the
# drops span (sphere): peak penetration 24 to 39 mm (at 10 ms the first contact step lands deep), rebound 0 (default) to
# 101 mm (priority: the plane's dampratio 0.3), time below rest + 0.1 mm 0.35 to 1.2 s. A wrong D, b, k or impedance
# moves these by millimetres; tolerance 0.1 mm (float32 here, float64 in MuJoCo), 10x under the 1 mm rest
# target.
DROP_ATOL = 1e-4


@pytest.mark.parametrize("params", sorted(DROP_PARAMS))
@pytest.mark.parametrize("geom", sorted(DROP_GEOMS))
def test_dropped_geom_follows_mujocos_soft_contact(geom, params):
    xml = _drop_xml(geom, params, 0.01)
    m = mujoco.MjModel.from_xml_string(xml)
    d = mujoco.MjData(m)
    sim = Simulator(load_mjcf(xml), 1, contacts=True)
    ours, ref = [], []
    for _ in range(150):
        mujoco.mj_step(m, d)
        sim.step()
        ref.append(d.qpos[2])
        ours.append(float(sim.get_state()[0][0, 2]))
    ours, ref = np.array(ours), np.array(ref)
    rest = ref[-1]
    assert ref.min() < rest - 3e-3  # the drop does penetrate: the check sees the contact law, not only the rest
    np.testing.assert_allclose(ours, ref, rtol=0, atol=DROP_ATOL)
    if params == "bouncy":
        land = int(np.argmax(ref < rest))
        assert ref[land:].max() > rest + 3e-3  # MuJoCo rebounds, so ours (within 0.1 mm) does too


def test_pair_priority_friction_matches_mujoco():
    """The plane's priority gives its friction (0.3) to the pair, though the box's (0.8) is larger."""
    xml = _slide_xml(0.3, 0.8).replace('friction="0.3 0 0"', 'friction="0.3 0 0" priority="1"')
    ref = _mujoco_stopping_distance(xml)
    assert ref == pytest.approx(V0**2 / (2 * 0.3 * G), rel=0.05)
    np.testing.assert_allclose(_our_stopping_distances(xml, [1.0]), ref, rtol=SLIDE_RTOL)


# --- geom-geom contacts between moving bodies -----------------------------------------------------------------

PAIR_GEOMS = {
    "capsule-capsule": (
        '<geom type="capsule" size="0.05" fromto="0 -0.2 0 0 0.2 0" condim="1"/>',
        '<geom type="capsule" size="0.05" fromto="-0.2 0 0 0.2 0 0" condim="1"/>',
    ),
    "sphere-capsule": (
        '<geom type="sphere" size="0.08" condim="1"/>',
        '<geom type="capsule" size="0.05" fromto="-0.2 0 0.03 0.2 0 -0.03" condim="1"/>',
    ),
    "sphere-sphere": (
        '<geom type="sphere" size="0.08" condim="1"/>',
        '<geom type="sphere" size="0.05" pos="0.02 0 0" condim="1"/>',
    ),
}


# Two free bodies without gravity, the upper one thrown down at 2 m/s onto the other off-center (they tumble):
# positions after 0.5 s, ours vs MuJoCo (Euler, 5 ms). Measured max error 5.9e-7 m over the three pairs; the
# collision moves each body by ~0.2 m. Tolerance 1e-4 m.
@pytest.mark.parametrize("pair", sorted(PAIR_GEOMS))
def test_geom_pair_collision_matches_mujoco(pair):
    g1, g2 = PAIR_GEOMS[pair]
    xml = (
        '<mujoco><option timestep="0.005" gravity="0 0 0"/><worldbody>'
        f'<body pos="0 0 0.5"><freejoint/>{g1}</body><body pos="0.05 0.03 0.8037"><freejoint/>{g2}</body>'
        "</worldbody></mujoco>"
    )
    m = mujoco.MjModel.from_xml_string(xml)
    d = mujoco.MjData(m)
    d.qvel[8] = -2.0
    sim = Simulator(load_mjcf(xml), 1, contacts=True)
    sim.set_state(torch.tensor(d.qpos[None], dtype=torch.float32), torch.tensor(d.qvel[None], dtype=torch.float32))
    touched = False
    for _ in range(100):
        mujoco.mj_step(m, d)
        sim.step()
        touched |= d.ncon > 0
    assert touched
    assert d.qvel[2] < -0.2  # the lower body was hit
    np.testing.assert_allclose(sim.get_state()[0].numpy()[0], d.qpos, rtol=0, atol=1e-4)


def test_humanoid_self_contact_pairs_cover_mujocos():
    """Every geom pair MuJoCo puts in contact over a random-control rollout is one of ours; parent-child and
    excluded pairs are not (MuJoCo's filterparent and <contact><exclude>)."""
    from kernels.io import _self_pairs

    path = os.path.join(envs.core.ASSETS, "humanoid.xml")
    m = mujoco.MjModel.from_xml_path(path)
    ours = {
        (min(int(a), int(b)), max(int(a), int(b))) for a, b, *_ in _self_pairs(load_mjcf(path), True, m.opt.timestep)
    }
    d = mujoco.MjData(m)
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(3000):
        d.ctrl[:] = rng.uniform(-1, 1, m.nu)
        mujoco.mj_step(m, d)
        for c in d.contact[: d.ncon]:
            if m.geom_bodyid[c.geom[0]] != 0 and m.geom_bodyid[c.geom[1]] != 0:
                seen.add((min(c.geom), max(c.geom)))
    assert len(seen) >= 3, seen
    assert seen <= ours, seen - ours
    parent = m.body_parentid
    body = m.geom_bodyid
    assert not [p for p in ours if parent[body[p[1]]] == body[p[0]] or parent[body[p[0]]] == body[p[1]]]
    with open(path) as f:
        exclude = '</worldbody><contact><exclude body1="left_thigh" body2="right_thigh"/></contact>'
        excl = f.read().replace("</worldbody>", exclude, 1)
    pairs_excl = {(int(a), int(b)) for a, b, *_ in _self_pairs(load_mjcf(excl), True, m.opt.timestep)}
    thighs = {i for i in range(m.ngeom) if m.body(m.geom_bodyid[i]).name in ("left_thigh", "right_thigh")}
    assert [p for p in ours if set(p) <= thighs] and not [p for p in pairs_excl if set(p) <= thighs]


# --- short trajectories of the locomotion models in contact --------------------------------------------------

TRAJ_STATES = 8
TRAJ_STEPS = 5  # one control step of the envs (frame_skip 5)
# Per env: (qpos index of the torso height, bound on the qvel ratio, bound on the height error [m]).
# Ratio: ||ours - MuJoCo|| / ||MuJoCo without contacts - MuJoCo|| over qvel after TRAJ_STEPS timesteps, all
# TRAJ_STATES states together: 0 = MuJoCo's contact response, 1 = no better than no contacts at all. Measured:
# ant 9.5e-6, half_cheetah 5.0e-6, humanoid 1.1e-5 (humanoid with its self-collisions in both), float32 rounding:
# floor and self contacts are MuJoCo's pyramidal-cone rows with its active set (kernels/constraint.py), solved with
# M alone before the implicit joint damping, as MuJoCo's mj_Euler (kernels.forward.implicit_damping). Solving them
# with M + h B instead gave 0.0012, 0.0091 and 0.020; the regularized Coulomb friction before that 0.60 and 0.058,
# the penalty law before it 0.55 and 0.22; the humanoid's self-contacts in a one-pass rule 0.12. Height error
# measured: ant 6.2e-8 m, half_cheetah 1.2e-7 m, humanoid 1.3e-7 m (with M + h B: 2.5e-5, 1.4e-4, 6.3e-5 m).
TRAJ_BOUNDS = {"ant": (2, 1e-4, 2e-6), "half_cheetah": (1, 1e-4, 2e-6), "humanoid": (2, 1e-4, 2e-6)}


def _reference_model(path: str, contacts: bool) -> mujoco.MjModel:
    m = mujoco.MjModel.from_xml_path(path)
    m.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    # contacts as the MJCF has them (floor and, for the humanoid, self-collisions), joint limits off here
    # (tests/test_contact.py checks them)
    m.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_LIMIT
    if not contacts:
        m.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT
    return m


def _states_in_contact(m: mujoco.MjModel, seed: int = 0):
    """(qpos, qvel, ctrl) rows from one MuJoCo rollout under random controls, each with >= 2 floor contacts."""
    rng = np.random.default_rng(seed)
    d = mujoco.MjData(m)
    lo, hi = m.actuator_ctrlrange.T
    rows = []
    for t in range(1, 5000):
        d.ctrl[:] = (lo + hi) / 2 + 0.3 * (hi - lo) / 2 * rng.uniform(-1, 1, m.nu)
        mujoco.mj_step(m, d)
        if t > 100 and t % 25 == 0 and d.ncon >= 2:
            rows.append((d.qpos.copy(), d.qvel.copy(), d.ctrl.copy()))
            if len(rows) == TRAJ_STATES:
                return [np.array(x) for x in zip(*rows, strict=True)]
    raise AssertionError("the rollout found too few states in contact")


def _mujoco_steps(m: mujoco.MjModel, qpos, qvel, ctrl):
    d = mujoco.MjData(m)
    out_q, out_v = np.zeros_like(qpos), np.zeros_like(qvel)
    for i in range(len(qpos)):
        mujoco.mj_resetData(m, d)
        d.qpos[:], d.qvel[:], d.ctrl[:] = qpos[i], qvel[i], ctrl[i]
        for _ in range(TRAJ_STEPS):
            mujoco.mj_step(m, d)
        out_q[i], out_v[i] = d.qpos, d.qvel
    return out_q, out_v


@pytest.mark.parametrize("env_id", sorted(TRAJ_BOUNDS))
def test_short_trajectory_in_contact_follows_mujoco(env_id):
    height, max_ratio, height_atol = TRAJ_BOUNDS[env_id]
    path = os.path.join(envs.core.ASSETS, f"{env_id}.xml")
    ref = _reference_model(path, contacts=True)
    qpos, qvel, ctrl = _states_in_contact(ref)
    ref_q, ref_v = _mujoco_steps(ref, qpos, qvel, ctrl)
    _, free_v = _mujoco_steps(_reference_model(path, contacts=False), qpos, qvel, ctrl)
    sim = Simulator(load_mjcf(path), TRAJ_STATES, contacts=True, joint_limits=False)
    sim.set_state(torch.tensor(qpos, dtype=torch.float32), torch.tensor(qvel, dtype=torch.float32))
    for _ in range(TRAJ_STEPS):
        sim.step(torch.tensor(ctrl, dtype=torch.float32))
    q, v = (x.numpy() for x in sim.get_state())
    ratio = np.linalg.norm(v - ref_v) / np.linalg.norm(free_v - ref_v)
    assert ratio < max_ratio, ratio
    np.testing.assert_allclose(q[:, height], ref_q[:, height], rtol=0, atol=height_atol)


# --- cylinders on the plane: MuJoCo's mjc_PlaneCylinder ----------------------------------------------------------


def _cylinder_xml(euler: str, size: str = "0.1 0.05", pos: str = "0 0 0.5") -> str:
    return (
        '<mujoco><option timestep="0.01"/><worldbody><geom type="plane" size="5 5 .1"/>'
        f'<body pos="{pos}" euler="{euler}"><freejoint/><geom type="cylinder" size="{size}"/></body>'
        "</worldbody></mujoco>"
    )


@pytest.mark.parametrize("pipeline", ["fused", "split"])
@pytest.mark.parametrize("seed", range(4))
def test_cylinder_contact_points_are_mujocos_in_random_poses(seed, pipeline):
    """Random cylinders (some nearly parallel to the plane: tilts down to 1e-4 rad, and exactly parallel) at
    heights where zero to four of MuJoCo's points touch: the same points, positions within 1e-6 m (a one-substep step
    takes its contact points at the state set, before it moves)."""
    rng = np.random.default_rng(seed)
    n = 32
    radius, half = rng.uniform(0.03, 0.2), rng.uniform(0.02, 0.3)
    xml = _cylinder_xml("0 0 0", f"{radius:.4f} {half:.4f}")
    m = mujoco.MjModel.from_xml_string(xml)
    d = mujoco.MjData(m)
    tilt = np.where(rng.random(n) < 0.5, 10.0 ** rng.uniform(-4, -1, n), rng.uniform(0, np.pi, n))
    tilt[0] = 0.0
    qpos = np.zeros((n, 7))
    counts = set()
    want = []
    for i in range(n):
        axis = np.array([*rng.normal(size=2), 0.0])
        quat = np.zeros(4)
        mujoco.mju_axisAngle2Quat(quat, axis / np.linalg.norm(axis), tilt[i])
        yaw = rng.uniform(0, np.pi)
        mujoco.mju_mulQuat(quat, quat, np.array([np.cos(yaw), 0.0, 0.0, np.sin(yaw)]))
        # lowest point of the cylinder at a depth between -2 cm (above) and 2 cm (below)
        c = np.cos(tilt[i])
        low = abs(c) * half + np.sqrt(max(1 - c * c, 0.0)) * radius
        qpos[i, :3] = [*rng.uniform(-1, 1, 2), low + rng.uniform(-0.02, 0.02)]
        qpos[i, 3:] = quat
        mujoco.mj_resetData(m, d)
        d.qpos[:] = qpos[i]
        mujoco.mj_forward(m, d)
        want.append(np.array([c.pos for c in d.contact[: d.ncon]]).reshape(-1, 3))
        counts.add(d.ncon)
    assert len(counts) >= 3, counts  # the poses reach several of MuJoCo's cases (0 to 4 points)
    # split: the contact kernel compiled with the cylinder's points (the models without cylinders take one without)
    sim = Simulator(load_mjcf(xml), n, contacts=True, pipeline=pipeline)
    sim.set_state(torch.tensor(qpos, dtype=torch.float32), torch.zeros(n, 6))
    sim.step()
    active = sim.contact_dcoef.numpy() > 0
    points = sim.contact_point.numpy()
    for i in range(n):
        ours = points[i][active[i]]
        assert len(ours) == len(want[i]), (i, tilt[i], len(ours), len(want[i]))
        for p in want[i]:  # each of MuJoCo's points is one of ours (the order differs)
            assert np.min(np.abs(ours - p).max(axis=1)) < 1e-6, (i, p, ours)


def test_cylinder_dropped_on_its_rim_settles_flat_as_mujocos():
    """A cylinder dropped tilted lands on its rim, rocks and comes to rest on its cap, every 10 ms step within
    1e-5 m of MuJoCo's (measured 8.5e-8). With the direction to the deepest rim point computed as MuJoCo writes it
    (axis prjaxis - normal) in float32, the points jumped around the resting cap and the cylinder rocked forever
    (0.2 mm off MuJoCo's rest, tilts up to 6e-3 rad)."""
    xml = _cylinder_xml("10 20 5")
    m = mujoco.MjModel.from_xml_string(xml)
    d = mujoco.MjData(m)
    sim = Simulator(load_mjcf(xml), 1, contacts=True)
    err, tilt = [], []
    for _ in range(300):
        mujoco.mj_step(m, d)
        sim.step()
        q = sim.get_state()[0][0].numpy()
        err.append(np.abs(q[:3] - d.qpos[:3]).max())
        tilt.append(2 * np.hypot(q[4], q[5]))
    assert d.ncon == 3  # at rest on its cap: MuJoCo's triangle of points
    assert max(err) < 1e-5, max(err)
    assert max(tilt[100:]) < 1e-5, max(tilt[100:])
