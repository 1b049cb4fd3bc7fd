"""Contacts and joint limits (kernels/contact.py, Simulator(contacts=True, joint_limits=True)).

Invariants and MuJoCo references: resting heights of dropped geoms and of Gymnasium's Ant, stick/slide on a
slope at the friction-cone angle, no energy gained at rest, joint limits, geometry of the pairwise functions.
"""

import math
import os

import gymnasium
import mujoco
import numpy as np
import pytest
import torch
import warp as wp

from kernels.articulation import Simulator
from kernels.contact import impedance, plane_box, plane_capsule, plane_sphere, pyramid_coefficients
from kernels.types import vec5
from mjcf import load_mjcf

ASSETS = os.path.join(os.path.dirname(gymnasium.__file__), "envs/mujoco/assets")
SUBSTEPS = 2  # 5 ms substeps of the 10 ms timestep: the contact model at the accuracy the tests state
ENV_SUBSTEPS = 1  # what envs/ant.py and envs/half_cheetah.py use: one 10 ms step, as MuJoCo

GEOMS = {
    "sphere": '<geom type="sphere" size="0.1"/>',
    "box": '<geom type="box" size="0.1 0.2 0.05"/>',
    "capsule": '<geom type="capsule" size="0.05" fromto="-0.2 0 0 0.2 0 0"/>',
}


@pytest.fixture(autouse=True)
def _mujoco_log_in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MuJoCo writes MUJOCO_LOG.TXT into the working directory on warnings


def _drop_xml(geom: str, timestep: float, euler: str = "10 20 5", friction: str = "1 0.005 0.0001") -> str:
    return (
        f'<mujoco><option timestep="{timestep}"/><worldbody><geom type="plane" size="5 5 .1" friction="{friction}"/>'
        f'<body pos="0 0 0.3" euler="{euler}"><freejoint/>{geom}</body></worldbody></mujoco>'
    )


def _run(sim: Simulator, steps: int, ctrl=None):
    for _ in range(steps):
        sim.step(ctrl)
    q, v = sim.get_state()
    return q.numpy().copy(), v.numpy().copy()


@pytest.mark.parametrize("name", sorted(GEOMS))
def test_dropped_geom_rests_at_mujocos_height(name):
    ref = mujoco.MjModel.from_xml_string(_drop_xml(GEOMS[name], 0.002))
    data = mujoco.MjData(ref)
    for _ in range(1500):
        mujoco.mj_step(ref, data)
    sim = Simulator(load_mjcf(_drop_xml(GEOMS[name], 0.01)), 2, contacts=True, substeps=SUBSTEPS)
    q, v = _run(sim, 300)
    # penalty contact sinks ~g / (n k) = 1 mm (sphere), MuJoCo's soft constraint 0.1 to 0.4 mm
    np.testing.assert_allclose(q[:, 2], data.qpos[2], atol=2e-3)
    assert np.abs(v).max() < 1e-3, v
    # resting orientation: the same face down as MuJoCo (sign of the quaternion aside)
    np.testing.assert_allclose(np.abs(q[0, 3:7] @ data.qpos[3:7]), 1.0, atol=1e-5)  # measured 6.3e-7


def _ant_mujoco_euler(steps: int, timestep: float) -> np.ndarray:
    ref = mujoco.MjModel.from_xml_path(os.path.join(ASSETS, "ant.xml"))
    ref.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    ref.opt.timestep = timestep
    data = mujoco.MjData(ref)
    for _ in range(steps):
        mujoco.mj_step(ref, data)
    return data.qpos.copy()


# (substeps, height tolerance [m], joint-angle tolerance [rad]). Measured against MuJoCo Euler at the same step:
# 5 ms: 0.5697 vs 0.5737 m, 10 ms: 0.586 vs 0.616 m (the folded ankles differ by 0.12 rad).
@pytest.mark.parametrize("substeps, height_tol, angle_tol", [(SUBSTEPS, 0.005, 0.05), (ENV_SUBSTEPS, 0.04, 0.15)])
def test_gymnasium_ant_settles_near_mujocos_torso_height_and_stays_at_rest(substeps, height_tol, angle_tol):
    m = load_mjcf(os.path.join(ASSETS, "ant.xml"))
    m.opt.integrator = 0  # Euler, as the reference (Gymnasium's ant.xml asks for RK4)
    sim = Simulator(m, 2, contacts=True, joint_limits=True, substeps=substeps)
    zero = torch.zeros(2, m.nu)
    q, _ = _run(sim, 300, zero)
    ref = _ant_mujoco_euler(300 * substeps, m.opt.timestep / substeps)
    # qpos0 starts the ankles 30 degrees outside their range: the limit kicks the legs down, and where they stop
    # (the ankles keep folding while the feet slide) depends on the integration of that kick: MuJoCo Euler rests at
    # 0.616 m at 10 ms, 0.574 m at 5 ms, 0.568 m at 2.5 ms, its RK4 (Gymnasium's setting) at 0.544 m
    assert abs(q[0, 2] - ref[2]) < height_tol, (q[0, 2], ref[2])
    np.testing.assert_allclose(np.abs(q[0, 7:]), np.abs(ref[7:]), atol=angle_tol)
    # at rest the feet creep outward as MuJoCo's do (its soft friction resists slip with a finite D b mu^2, it does
    # not stop it): over the next 200 steps the torso sinks about as far as MuJoCo's, measured 9.1 vs 8.6 mm at
    # 5 ms and 7.3 vs 4.2 mm at 10 ms, at a speed like MuJoCo's (largest |qvel| 0.015 vs 0.014 and 0.013 vs 0.009)
    q2, v2 = _run(sim, 200, zero)
    ref2 = _ant_mujoco_euler(500 * substeps, m.opt.timestep / substeps)
    assert abs((q2[0, 2] - q[0, 2]) - (ref2[2] - ref[2])) < 5e-3, (q2[0, 2] - q[0, 2], ref2[2] - ref[2])
    assert np.abs(v2).max() < 3e-2, np.abs(v2).max()


def _slope_xml(theta: float, mu: float) -> str:
    deg = math.degrees(theta)
    # the plane is tilted about y; the box starts resting on it in the tilted frame
    n = np.array([math.sin(theta), 0.0, math.cos(theta)])
    pos = 0.05 * n
    return (
        f'<mujoco><option timestep="0.01"/><worldbody><geom type="plane" size="5 5 .1" euler="0 {deg} 0" '
        f'friction="{mu} 0 0"/><body pos="{pos[0]} {pos[1]} {pos[2]}" euler="0 {deg} 0"><freejoint/>'
        f'<geom type="box" size="0.1 0.1 0.05" friction="{mu} 0 0"/></body></worldbody></mujoco>'
    )


@pytest.mark.parametrize("ratio, sticks", [(0.8, True), (1.2, False)])
def test_block_on_slope_sticks_below_friction_angle_and_slides_above(ratio, sticks):
    mu = 0.5
    theta = ratio * math.atan(mu)
    sim = Simulator(load_mjcf(_slope_xml(theta, mu)), 1, contacts=True, substeps=SUBSTEPS)
    q, _ = _run(sim, 200)  # 2 s
    travel = float(np.linalg.norm(q[0, :3] - q[0, :3] * 0 - _start(theta)))
    if sticks:
        assert travel < 5e-3, travel  # MuJoCo's soft friction creeps: a few mm at most
    else:
        # Coulomb sliding: a = g (sin - mu cos), d = a t^2 / 2 after 2 s
        expected = 0.5 * 9.81 * (math.sin(theta) - mu * math.cos(theta)) * 4.0
        assert 0.8 * expected < travel < 1.1 * expected, (travel, expected)


def _start(theta: float) -> np.ndarray:
    return 0.05 * np.array([math.sin(theta), 0.0, math.cos(theta)])


def _energy(m, q: np.ndarray, v: np.ndarray) -> float:
    """Kinetic + potential energy [J] of a single free body with principal inertia aligned to its frame."""
    mass = float(m.body_mass[1])
    inertia = np.asarray(m.body_inertia).reshape(-1, 3)[1]
    return 0.5 * mass * v[:3] @ v[:3] + 0.5 * v[3:] @ (inertia * v[3:]) + mass * 9.81 * q[2]


@pytest.mark.parametrize("substeps", [SUBSTEPS, ENV_SUBSTEPS])
@pytest.mark.parametrize("name", ["box", "capsule"])
def test_body_at_rest_gains_no_energy_over_10_s(name, substeps):
    m = load_mjcf(_drop_xml(GEOMS[name], 0.01, euler="0 0 0"))
    sim = Simulator(m, 1, contacts=True, substeps=substeps)
    q, v = _run(sim, 200)  # settle
    e0 = _energy(m, q[0], v[0])
    energies = []
    for _ in range(1000):  # 10 s
        q, v = _run(sim, 1)
        energies.append(_energy(m, q[0], v[0]))
    assert max(energies) <= e0 + 1e-6, max(energies) - e0


def test_joint_limit_holds_a_pendulum_at_its_range():
    xml = (
        '<mujoco><option timestep="0.01"/><worldbody><body><joint type="hinge" axis="0 1 0" limited="true" '
        'range="-30 30"/><geom type="capsule" fromto="0 0 0 0.5 0 0" size="0.05"/></body></worldbody></mujoco>'
    )
    m = load_mjcf(xml)
    sim = Simulator(m, 1, joint_limits=True, substeps=SUBSTEPS)
    q, v = _run(sim, 300)
    # gravity pulls the horizontal arm down (positive rotation about y): it rests just past the upper limit
    assert math.radians(30.0) <= q[0, 0] < math.radians(31.0), math.degrees(q[0, 0])
    assert abs(v[0, 0]) < 1e-3
    free = Simulator(m, 1, joint_limits=False)
    qf, _ = _run(free, 100)
    assert qf[0, 0] > math.radians(60.0)  # without the limit it swings through


@wp.kernel
def _pairwise_kernel(
    normal: wp.vec3,
    offset: float,
    center: wp.vec3,
    rot: wp.mat33,
    size: wp.vec3,
    dist_out: wp.array[float],
    point_out: wp.array[wp.vec3],
):
    d, p = plane_sphere(normal, offset, center, size[0])
    dist_out[0] = d
    point_out[0] = p
    d0, p0, d1, p1 = plane_capsule(normal, offset, center, rot * wp.vec3(0.0, 0.0, 1.0), size[1], size[0])
    dist_out[1] = d0
    point_out[1] = p0
    dist_out[2] = d1
    point_out[2] = p1
    for k in range(8):
        d, p = plane_box(normal, offset, center, rot, size, k)
        dist_out[3 + k] = d
        point_out[3 + k] = p


def test_pairwise_functions_match_numpy():
    rng = np.random.default_rng(0)
    normal = rng.normal(size=3)
    normal /= np.linalg.norm(normal)
    offset, center, size = 0.3, rng.normal(size=3), np.array([0.2, 0.3, 0.1])
    rot, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    dist = wp.full(11, np.inf, dtype=float, device="cpu")
    point = wp.full(11, wp.vec3(np.inf, np.inf, np.inf), dtype=wp.vec3, device="cpu")
    wp.launch(
        _pairwise_kernel, 1, inputs=[wp.vec3(*normal), offset, wp.vec3(*center), wp.mat33(*rot.ravel()),
                                     wp.vec3(*size), dist, point], device="cpu",
    )  # fmt: skip
    ends = [center + size[1] * rot[:, 2], center - size[1] * rot[:, 2]]
    corners = [center + rot @ (size * [(-1) ** ((k >> i) & 1) for i in range(3)]) for k in range(8)]
    exp_points = [center - size[0] * normal] + [e - size[0] * normal for e in ends] + corners
    exp_dist = [normal @ center - offset - size[0]] + [normal @ e - offset - size[0] for e in ends]
    exp_dist += [normal @ c - offset for c in corners]
    # float32 geometry against float64: measured 5.8e-8
    np.testing.assert_allclose(dist.numpy(), exp_dist, atol=1e-6)
    np.testing.assert_allclose(point.numpy(), np.array(exp_points), atol=1e-6)


def test_many_ants_under_random_actions_stay_finite():
    """CI-sized version of benchmarks/ant_throughput.py's 16,384-Ant, 1,000-step NaN check (results/)."""
    m = load_mjcf(os.path.join(ASSETS, "ant.xml"))
    m.opt.integrator = 0  # the env's Euler (Gymnasium's ant.xml asks for RK4)
    n = 256
    sim = Simulator(m, n, contacts=True, joint_limits=True, substeps=ENV_SUBSTEPS)
    gen = torch.Generator().manual_seed(0)
    for _ in range(100):  # 100 control steps of 5 timesteps, a new random action per control step
        ctrl = torch.rand(n, m.nu, generator=gen) * 2 - 1
        for _ in range(5):
            sim.step(ctrl)
    q, v = sim.get_state()
    assert torch.isfinite(q).all() and torch.isfinite(v).all()
    assert (q[:, 2] > 0.0).all() and (q[:, 2] < 3.0).all(), q[:, 2]


@wp.kernel(module="unique", enable_backward=False)
def _coefficients_kernel(
    r: float,
    solref: wp.vec2,
    solimp: vec5,
    invweight: float,
    impratio: float,
    mu: float,
    dcoef_out: wp.array[float],
):
    kr, b, dcoef, rows = pyramid_coefficients(r, solref, solimp, invweight, 3, impratio, mu)
    # the normal's D: the sum over the pyramid's rows, each J_n +- mu J_t
    dcoef_out[0] = float(rows) * dcoef


@pytest.mark.parametrize("mu", [1.0, 0.8, 0.3, 0.05, 1.0e-3])
def test_pyramidal_normal_stiffness_is_mujocos_up_to_the_stiffest_row(mu):
    # MuJoCo's D of the pyramid's 4 rows summed is the normal's D; it grows as impratio / mu^2, and ours stops at
    # 0.9999 / 0.0001 / diagApprox (kernels/contact.py), where float32 still solves M + sum D J^T J
    xml = (
        '<mujoco><option cone="pyramidal" impratio="100" timestep="0.005"/>'
        '<worldbody><geom type="plane" size="1 1 .1"/>'
        f'<body pos="0 0 0.075"><freejoint/><geom type="sphere" size="0.1" mass="2" friction="{mu} 0 0" priority="1" '
        'solimp="0.015 1 0.031" solref="0.02 1"/></body></worldbody></mujoco>'
    )
    m = mujoco.MjModel.from_xml_string(xml)
    d = mujoco.MjData(m)
    mujoco.mj_forward(m, d)
    assert d.nefc == 4
    d_mujoco = float(d.efc_D.sum())
    solimp = m.geom_solimp[1].copy()
    solimp[[0, 1, 3]] = np.clip(solimp[[0, 1, 3]], 1e-4, 0.9999)  # getsolparam's clamp, done by kernels/io.py
    invweight = float(m.body_invweight0[1, 0])
    out = wp.full(1, np.nan, dtype=float, device="cpu")
    r = float(d.efc_pos[0] - d.efc_margin[0])
    args = [r, wp.vec2(*m.geom_solref[1]), vec5(*solimp), invweight, float(m.opt.impratio), mu, out]
    wp.launch(_coefficients_kernel, 1, inputs=args, device="cpu")
    cap = 0.9999 / 0.0001 / invweight
    np.testing.assert_allclose(out.numpy()[0], min(d_mujoco, cap), rtol=1e-4)
    if mu <= 0.05:
        assert d_mujoco > 10 * cap  # the case the cap exists for
    elif mu >= 0.8:
        assert d_mujoco < cap


@wp.kernel(module="unique", enable_backward=False)
def _impedance_kernel(r: wp.array[float], solimp: vec5, imp_out: wp.array[float]):
    i = wp.tid()
    imp_out[i] = impedance(solimp, r[i])


@pytest.mark.parametrize("power", [1.0, 2.0, 3.0, 6.0])
@pytest.mark.parametrize("mid", [0.2, 0.5, 0.8])
def test_impedance_is_mujocos_on_both_halves_of_its_sigmoid(power, mid):
    # solimp's power 2 (MuJoCo's default) takes squares instead of powf, the others powf (kernels/contact.py): both
    # against MuJoCo's efc_KBIP impedance of a sphere's normal row at depths across and beyond the width
    solimp = (0.3, 0.95, 0.01, mid, power)
    depths = np.array([1e-5, 1e-3, 2e-3, 0.01 * mid, 5e-3, 7e-3, 9.9e-3, 0.012])
    want = []
    for depth in depths:
        xml = (
            '<mujoco><option timestep="0.005"/><worldbody><geom type="plane" size="1 1 .1"/>'
            f'<body pos="0 0 {0.1 - depth}"><freejoint/><geom type="sphere" size="0.1" condim="1" priority="1" '
            f'solimp="{" ".join(map(str, solimp))}"/></body></worldbody></mujoco>'
        )
        m = mujoco.MjModel.from_xml_string(xml)
        d = mujoco.MjData(m)
        mujoco.mj_forward(m, d)
        assert d.nefc == 1
        want.append(d.efc_KBIP[0, 2])
    r = wp.array(-depths, dtype=float, device="cpu")
    out = wp.full(len(depths), np.nan, dtype=float, device="cpu")
    wp.launch(_impedance_kernel, len(depths), inputs=[r, vec5(*solimp), out], device="cpu")
    np.testing.assert_allclose(out.numpy(), want, rtol=0, atol=2e-6)
