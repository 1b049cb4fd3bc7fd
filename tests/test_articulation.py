"""kernels/articulation.py against MuJoCo C on the same model, contacts and joint limits disabled, Euler integrator.

The Simulator reads only mujoco.MjModel attribute names, so it runs on `mujoco.MjModel` itself here
(dynamics isolated from the loader) and on `mjcf.load_mjcf` output too.
Models: Gymnasium's MuJoCo assets and kinematic trees generated at random as MJCF strings.

Tolerances reached in float32 (MuJoCo runs in float64), all as |ours - mujoco| <= atol + rtol |mujoco|:
- body poses xpos, xquat: atol 5e-6 (m, quaternion components); measured <= 4.3e-7;
- mass matrix vs mj_fullM, bias forces vs qfrc_bias (== mj_rne with flg_acc=0): rtol 5e-6, atol 5e-6 * max|reference|;
  measured at most 0.4% of a 1e-4 tolerance (qM, random trees), i.e. 0.08 of this one;
- qpos, qvel after 100 steps from random states under random controls: atol 1e-4 * max(1, max|reference|);
  measured 2e-7 .. 2.1e-5 of that scale (0.2 of the tolerance; worst: a Gymnasium model's qvel), the same through
  load_mjcf.
"""

import os
import warnings

import gymnasium
import mujoco
import numpy as np
import pytest
import torch
import warp as wp

from kernels.articulation import Simulator
from mjcf import load_mjcf

ASSETS = os.path.join(os.path.dirname(gymnasium.__file__), "envs/mujoco/assets")
GYM_MODELS = ["ant.xml", "half_cheetah.xml", "hopper.xml", "walker2d_v5.xml", "humanoid.xml"]
NUM_ENVS = 3
NUM_STEPS = 100
POSE_ATOL = 5e-6
FORCE_RTOL = 5e-6
STATE_TOL = 1e-4


@pytest.fixture(autouse=True)
def _mujoco_log_in_tmp(tmp_path, monkeypatch):
    # MuJoCo appends compiler warnings (humanoid.xml's deprecated settotalmass) to ./MUJOCO_LOG.TXT
    monkeypatch.chdir(tmp_path)


def _reference_model(m: mujoco.MjModel) -> mujoco.MjModel:
    m.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    m.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT | mujoco.mjtDisableBit.mjDSBL_LIMIT
    return m


def _gym_model(name: str) -> mujoco.MjModel:
    return _reference_model(mujoco.MjModel.from_xml_path(os.path.join(ASSETS, name)))


def _random_tree_xml(seed: int) -> str:
    """MJCF of a random kinematic forest: free/hinge/slide joints, random axes, sphere/capsule/box geoms, motors."""
    rng = np.random.default_rng(seed)

    def vec(scale=1.0, n=3):
        return " ".join(f"{x:.4f}" for x in rng.normal(size=n) * scale)

    joints, bodies = [], []

    def body(depth: int, top: bool) -> str:
        name = f"b{len(bodies)}"
        bodies.append(name)
        parts = [f'<body name="{name}" pos="{vec(0.3)}" euler="{vec(1.0)}">']
        if top and rng.random() < 0.5:
            parts.append(f'<freejoint name="j{len(joints)}"/>')
            joints.append(None)
        else:
            for _ in range(int(rng.choice([0, 1, 1, 2]))):
                kind = "hinge" if rng.random() < 0.7 else "slide"
                jname = f"j{len(joints)}"
                joints.append(jname)
                parts.append(
                    f'<joint name="{jname}" type="{kind}" axis="{vec()}" pos="{vec(0.1)}" '
                    f'armature="{rng.uniform(0, 0.1):.4f}" damping="{rng.uniform(0, 2):.4f}" '
                    f'stiffness="{rng.uniform(0, 5) if rng.random() < 0.5 else 0:.4f}" '
                    f'springref="{rng.normal() * 0.3:.4f}" ref="{rng.normal() * 0.3:.4f}"/>'
                )
        for _ in range(int(rng.integers(1, 3))):
            kind = rng.choice(["sphere", "capsule", "box"])
            sizes = rng.uniform(0.03, 0.15, {"sphere": 1, "capsule": 2, "box": 3}[kind])
            parts.append(
                f'<geom type="{kind}" size="{" ".join(f"{x:.3f}" for x in sizes)}" pos="{vec(0.1)}" '
                f'euler="{vec(1.0)}" density="{rng.uniform(300, 2000):.1f}"/>'
            )
        if depth < 3:
            for _ in range(int(rng.choice([0, 1, 1, 2]))):
                parts.append(body(depth + 1, top=False))
        parts.append("</body>")
        return "\n".join(parts)

    trees = [body(0, top=True) for _ in range(int(rng.integers(1, 3)))]
    motors = []
    for jname in joints:
        if jname is not None and rng.random() < 0.7:
            limited = "true" if rng.random() < 0.7 else "false"
            motors.append(
                f'<motor joint="{jname}" gear="{rng.uniform(-3, 3):.3f}" ctrllimited="{limited}" ctrlrange="-1 1"/>'
            )
    dt = rng.choice([0.002, 0.005, 0.01])
    return f"""<mujoco>
  <compiler angle="radian"/>
  <option timestep="{dt}" gravity="{vec(1.0, 2)} -9.81"/>
  <worldbody>{"".join(trees)}</worldbody>
  <actuator>{"".join(motors)}</actuator>
</mujoco>"""


def _random_states(m: mujoco.MjModel, n: int, seed: int, vel_scale: float = 0.5):
    """Random (qpos, qvel, ctrl) rows near qpos0; controls exceed ctrlrange to exercise clamping."""
    rng = np.random.default_rng(seed)
    qpos = np.tile(m.qpos0, (n, 1)) + rng.normal(size=(n, m.nq)) * 0.3
    for j in np.flatnonzero(m.jnt_type == mujoco.mjtJoint.mjJNT_FREE):
        a = m.jnt_qposadr[j]
        qpos[:, a + 3 : a + 7] = rng.normal(size=(n, 4))
        qpos[:, a + 3 : a + 7] /= np.linalg.norm(qpos[:, a + 3 : a + 7], axis=1, keepdims=True)
    qvel = rng.normal(size=(n, m.nv)) * vel_scale
    ctrl = rng.uniform(-1.5, 1.5, size=(n, m.nu))
    return qpos, qvel, ctrl


def _torch(x):
    return torch.tensor(np.asarray(x), dtype=torch.float32)


def _check_forward(m: mujoco.MjModel, seed: int):
    qpos, qvel, _ = _random_states(m, NUM_ENVS, seed, vel_scale=1.0)
    sim = Simulator(m, NUM_ENVS)
    sim.set_state(_torch(qpos), _torch(qvel))
    # NaN prefill: a missed write shows up as a mismatch
    for a in (sim.xpos, sim.xquat, sim.qM, sim.qfrc_bias):
        a.fill_(float("nan"))
    out = {k: v.numpy().copy() for k, v in sim.forward().items()}
    d = mujoco.MjData(m)
    for i in range(NUM_ENVS):
        d.qpos[:], d.qvel[:] = qpos[i], qvel[i]
        mujoco.mj_forward(m, d)
        np.testing.assert_allclose(out["xpos"][i], d.xpos, rtol=0, atol=POSE_ATOL)
        np.testing.assert_allclose(out["xquat"][i], d.xquat, rtol=0, atol=POSE_ATOL)
        mass = np.zeros((m.nv, m.nv))
        mujoco.mj_fullM(m, d, mass)
        np.testing.assert_allclose(out["qM"][i], mass, rtol=FORCE_RTOL, atol=FORCE_RTOL * np.abs(mass).max())
        # mj_rne with flg_acc=0 is qfrc_bias recomputed from the same state, an independent entry point
        rne = np.zeros(m.nv)
        mujoco.mj_rne(m, d, 0, rne)
        np.testing.assert_allclose(rne, d.qfrc_bias, rtol=1e-12, atol=1e-12)
        scale = max(1.0, np.abs(d.qfrc_bias).max())
        np.testing.assert_allclose(out["qfrc_bias"][i], d.qfrc_bias, rtol=FORCE_RTOL, atol=FORCE_RTOL * scale)


def _rollout_errors(m: mujoco.MjModel, seed: int, sim: Simulator | None = None):
    """Step NUM_ENVS different random states NUM_STEPS times in both simulators; return (ours, mujoco) states."""
    qpos, qvel, ctrl = _random_states(m, NUM_ENVS, seed)
    sim = sim or Simulator(m, NUM_ENVS)
    sim.set_state(_torch(qpos), _torch(qvel))
    ctrl_t = _torch(ctrl)
    for _ in range(NUM_STEPS):
        sim.step(ctrl_t)
    q, v = (x.numpy().copy() for x in sim.get_state())
    d = mujoco.MjData(m)
    ref_q, ref_v = np.zeros_like(q), np.zeros_like(v)
    for i in range(NUM_ENVS):
        mujoco.mj_resetData(m, d)
        d.qpos[:], d.qvel[:], d.ctrl[:] = qpos[i], qvel[i], ctrl[i]
        for _ in range(NUM_STEPS):
            mujoco.mj_step(m, d)
        ref_q[i], ref_v[i] = d.qpos, d.qvel
    return q, v, ref_q, ref_v


def _assert_states_close(q, v, ref_q, ref_v):
    for ours, ref in ((q, ref_q), (v, ref_v)):
        assert np.all(np.isfinite(ref))
        atol = STATE_TOL * max(1.0, np.abs(ref).max())
        np.testing.assert_allclose(ours, ref, rtol=0, atol=atol)


@pytest.mark.parametrize("name", GYM_MODELS)
def test_forward_gym_models(name):
    _check_forward(_gym_model(name), seed=1)


@pytest.mark.parametrize("name", GYM_MODELS)
def test_step_gym_models(name):
    _assert_states_close(*_rollout_errors(_gym_model(name), seed=2))


@pytest.mark.parametrize("seed", range(8))
def test_forward_random_trees(seed):
    _check_forward(_reference_model(mujoco.MjModel.from_xml_string(_random_tree_xml(seed))), seed=seed)


@pytest.mark.parametrize("seed", range(8))
def test_step_random_trees(seed):
    m = _reference_model(mujoco.MjModel.from_xml_string(_random_tree_xml(seed)))
    _assert_states_close(*_rollout_errors(m, seed=seed))


def test_random_trees_cover_joint_kinds():
    models = [mujoco.MjModel.from_xml_string(_random_tree_xml(s)) for s in range(8)]
    kinds = set(np.concatenate([m.jnt_type for m in models]).tolist())
    assert {0, 2, 3} <= kinds
    assert any(m.nu > 0 and not m.actuator_ctrllimited.all() for m in models)
    assert any((m.body_parentid[1:] > 0).any() and (m.body_jntnum > 1).any() for m in models)


def test_per_env_parameters_match_scaled_mujoco_models():
    """Row i of the per-env scales equals MuJoCo on a model whose mass, inertia, gear and damping were scaled."""
    base = _gym_model("ant.xml")
    rng = np.random.default_rng(3)
    mass_scale = rng.uniform(0.7, 1.3, size=(NUM_ENVS, base.nbody))
    gear_scale = rng.uniform(0.5, 1.5, size=(NUM_ENVS, base.nu))
    damp_scale = rng.uniform(0.5, 2.0, size=(NUM_ENVS, base.nv))
    sim = Simulator(base, NUM_ENVS)
    sim.set_params(_torch(mass_scale), _torch(gear_scale), _torch(damp_scale))
    qpos, qvel, ctrl = _random_states(base, NUM_ENVS, seed=4)
    sim.set_state(_torch(qpos), _torch(qvel))
    for _ in range(NUM_STEPS):
        sim.step(_torch(ctrl))
    q, v = (x.numpy() for x in sim.get_state())
    for i in range(NUM_ENVS):
        m = _gym_model("ant.xml")
        m.body_mass[:] *= mass_scale[i]
        m.body_inertia[:] *= mass_scale[i][:, None]
        m.actuator_gear[:, 0] *= gear_scale[i]
        m.dof_damping[:] *= damp_scale[i]
        d = mujoco.MjData(m)
        d.qpos[:], d.qvel[:], d.ctrl[:] = qpos[i], qvel[i], ctrl[i]
        for _ in range(NUM_STEPS):
            mujoco.mj_step(m, d)
        _assert_states_close(q[i : i + 1], v[i : i + 1], d.qpos[None], d.qvel[None])


def test_shared_parameter_row_applies_to_all_envs():
    m = _gym_model("hopper.xml")
    sim = Simulator(m, NUM_ENVS)
    sim.set_params(dof_damping_scale=torch.full((1, m.nv), 2.0))
    assert sim.dof_damping_scale.shape == (1, m.nv)
    sim.set_params(dof_damping_scale=torch.full((NUM_ENVS, m.nv), 2.0))
    assert sim.dof_damping_scale.shape == (NUM_ENVS, m.nv)
    sim.step(torch.zeros(NUM_ENVS, m.nu))  # launches rebuilt with the new array


def test_get_state_is_zero_copy_view_of_device_state():
    m = _gym_model("hopper.xml")
    sim = Simulator(m, 2)
    q, v = sim.get_state()
    assert q.data_ptr() == sim.qpos.ptr and v.data_ptr() == sim.qvel.ptr
    assert tuple(q.shape) == (2, m.nq) and tuple(v.shape) == (2, m.nv)
    np.testing.assert_allclose(q.numpy(), np.tile(m.qpos0, (2, 1)), atol=1e-7)
    assert wp.to_torch(sim.ctrl).shape == (2, m.nu)
    sim.step(torch.ones(2, m.nu))
    assert not torch.equal(q, torch.tensor(np.tile(m.qpos0, (2, 1)), dtype=torch.float32))


def test_kernel_arguments_are_bound_by_name_to_the_model_and_data_fields():
    # every kernel argument is a field of kernels.types.Model or Data (x_in / x_out -> x), every field is an
    # argument of the step kernel, and the launch passes the simulator's own array for each
    import dataclasses

    from kernels.forward import _forward_kernel, _step_kernel, launch_inputs
    from kernels.types import Data, Model

    fields = {f.name for cls in (Model, Data) for f in dataclasses.fields(cls)}
    step_args = {a.label.removesuffix("_in").removesuffix("_out") for a in _step_kernel.adj.args}
    assert step_args == fields
    forward_args = {a.label.removesuffix("_in").removesuffix("_out") for a in _forward_kernel.adj.args}
    assert forward_args <= fields
    sim = Simulator(_gym_model("hopper.xml"), 2)
    inputs = launch_inputs(_step_kernel, vars(sim))
    for arg, value in zip(_step_kernel.adj.args, inputs, strict=True):
        assert value is getattr(sim, arg.label.removesuffix("_in").removesuffix("_out")), arg.label
    with pytest.raises(KeyError, match="qpos"):
        launch_inputs(_step_kernel, {k: v for k, v in vars(sim).items() if k != "qpos"})


def test_unsupported_features_raise():
    m = _gym_model("hopper.xml")
    mesh = mujoco.MjModel.from_xml_string(
        '<mujoco><asset><mesh name="tet" vertex="0 0 0  .1 0 0  0 .1 0  0 0 .1"/></asset><worldbody>'
        '<geom type="plane" size="1 1 1"/><body><freejoint/><geom type="mesh" mesh="tet"/></body></worldbody></mujoco>'
    )
    with pytest.raises(NotImplementedError, match="ellipsoid, cylinder and box geoms; geom 1 has mjtGeom type 7"):
        Simulator(mesh, 1, contacts=True)
    Simulator(mesh, 1, contacts=False)
    with pytest.raises(ValueError, match="substeps"):
        Simulator(m, 1, substeps=0)
    ball = mujoco.MjModel.from_xml_string(
        '<mujoco><worldbody><body><joint type="ball" stiffness="1"/><geom size="0.1"/></body></worldbody></mujoco>'
    )
    with pytest.raises(NotImplementedError, match="ball-joint stiffness"):
        Simulator(ball, 1)
    ball = mujoco.MjModel.from_xml_string(
        '<mujoco><worldbody><body><joint type="ball" range="0 1"/><geom size="0.1"/></body></worldbody></mujoco>'
    )
    with pytest.raises(NotImplementedError, match="limited ball joints"):
        Simulator(ball, 1, joint_limits=True)
    Simulator(ball, 1, joint_limits=False)
    # torsional (condim 4) and rolling (condim 6) friction, against the ground or between two geoms (from either geom:
    # the larger applies), take the kernels with those rows (tests/test_spin_roll_friction.py steps them against
    # MuJoCo), which the tiled solve does not have
    for world_dim, body_dim, body2, spin_roll in [
        (3, 4, "", True),
        (1, 6, "", True),
        (3, 3, '<body pos="0 0 0.3"><freejoint/><geom size=".1" condim="6"/></body>', True),
        (3, 3, '<body pos="0 0 0.3"><freejoint/><geom size=".1" condim="1"/></body>', False),
    ]:
        xml = (
            f'<mujoco><worldbody><geom type="plane" size="1 1 1" condim="{world_dim}"/><body><freejoint/>'
            f'<geom size="0.1" condim="{body_dim}"/></body>{body2}</worldbody></mujoco>'
        )
        assert Simulator(mujoco.MjModel.from_xml_string(xml), 1, contacts=True)._spin_roll == spin_roll
        assert not Simulator(mujoco.MjModel.from_xml_string(xml), 1, contacts=False)._spin_roll
        if spin_roll:
            with pytest.raises(ValueError, match="pipeline 'split_tiled' solves"):
                Simulator(mujoco.MjModel.from_xml_string(xml), 1, contacts=True, pipeline="split_tiled")
    # a mujoco.MjModel with dynamics this simulator does not model is refused (the MJCF loader refuses the elements;
    # connect, weld and joint equalities are simulated: tests/test_equality.py)
    chain = '<body><joint name="a"/><geom name="g1" size=".1"/><body pos="0 0 -.3"><joint name="b"/>'
    chain += '<geom name="g2" size=".1"/></body></body>'
    for extra, match in [
        (
            '<tendon><fixed name="t"><joint joint="a" coef="1"/></fixed></tendon><equality><tendon tendon1="t"/>'
            "</equality>",
            "mjtEq type 3",
        ),
        ('<tendon><fixed limited="true" range="-1 1"><joint joint="a" coef="1"/></fixed></tendon>', "tendon_limited"),
        ('<tendon><fixed stiffness="3"><joint joint="a" coef="1"/></fixed></tendon>', "tendon_stiffness"),
        ('<contact><pair geom1="g1" geom2="g2" friction="1 0.5 .005 .0001 .0001"/></contact>', "anisotropic friction"),
    ]:
        xml = f"<mujoco><worldbody>{chain}</worldbody>{extra}</mujoco>"
        with pytest.raises(NotImplementedError, match=match):
            Simulator(mujoco.MjModel.from_xml_string(xml), 1)
    # an inactive equality and a tendon that exerts no force (Gymnasium's humanoid has two) step as without them
    Simulator(mujoco.MjModel.from_xml_string(
        f'<mujoco><worldbody>{chain}</worldbody><equality><joint joint1="a" joint2="b" active="false"/></equality>'
        '<tendon><fixed><joint joint="a" coef="1"/></fixed></tendon></mujoco>'
    ), 1)  # fmt: skip


@pytest.mark.parametrize(
    "qpos, qvel, match",
    [
        (torch.zeros(2, 6, dtype=torch.float64), torch.zeros(2, 6), "qpos must be torch.float32"),
        (torch.zeros(2, 5), torch.zeros(2, 6), r"qpos must have shape \(2, 6\)"),
        (torch.zeros(2, 6), torch.zeros(3, 6), r"qvel must have shape \(2, 6\)"),
        (torch.full((2, 6), float("nan")), torch.zeros(2, 6), "qpos contains NaN"),
        (np.zeros((2, 6), np.float32), torch.zeros(2, 6), "qpos must be a torch.Tensor"),
        (torch.zeros(2, 6, device="meta"), torch.zeros(2, 6), "qpos must be on device cpu"),
    ],
)
def test_set_state_validates_inputs(qpos, qvel, match):
    sim = Simulator(_gym_model("hopper.xml"), 2)
    with pytest.raises(ValueError, match=match):
        sim.set_state(qpos, qvel)


def test_step_and_params_validate_inputs():
    sim = Simulator(_gym_model("hopper.xml"), 2)
    with pytest.raises(ValueError, match=r"ctrl must have shape \(2, 3\)"):
        sim.step(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="ctrl must be torch.float32"):
        sim.step(torch.zeros(2, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="body_mass_scale must have shape"):
        sim.set_params(body_mass_scale=torch.ones(2, 3))
    with pytest.raises(ValueError, match="dof_damping_scale must be finite"):
        sim.set_params(dof_damping_scale=torch.full((1, 6), float("nan")))
    with pytest.raises(ValueError, match="num_envs"):
        Simulator(_gym_model("hopper.xml"), 0)


@pytest.mark.parametrize("name", GYM_MODELS)
def test_step_gym_models_through_load_mjcf(name):
    """Same rollout comparison, the Simulator built from our loader's Model instead of mujoco.MjModel."""
    ref = _gym_model(name)
    model = load_mjcf(os.path.join(ASSETS, name))
    model.opt.integrator = ref.opt.integrator  # Euler, as the reference (Gymnasium's files ask for RK4)
    q, v, ref_q, ref_v = _rollout_errors(ref, seed=5, sim=Simulator(model, NUM_ENVS))
    _assert_states_close(q, v, ref_q, ref_v)


@pytest.mark.parametrize("seed", range(4))
def test_step_random_trees_through_load_mjcf(seed):
    xml = _random_tree_xml(seed)
    ref = _reference_model(mujoco.MjModel.from_xml_string(xml))
    q, v, ref_q, ref_v = _rollout_errors(ref, seed=seed, sim=Simulator(load_mjcf(xml), NUM_ENVS))
    _assert_states_close(q, v, ref_q, ref_v)


def test_rk4_and_implicit_are_stepped_with_a_warning_euler_and_implicitfast_without():
    xml = '<mujoco><option integrator="{}"/><worldbody><body><joint/><geom size="0.1"/></body></worldbody></mujoco>'
    with pytest.warns(UserWarning, match="RK4.*steps MuJoCo's semi-implicit Euler"):
        Simulator(load_mjcf(xml.format("RK4")), 1)
    with pytest.warns(UserWarning, match="implicit.*steps it as implicitfast"):
        Simulator(load_mjcf(xml.format("implicit")), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Simulator(load_mjcf(xml.format("Euler")), 1)
        Simulator(load_mjcf(xml.format("implicitfast")), 1)


def test_an_elliptic_cone_steps_its_own_kernels_without_a_warning():
    """MuJoCo's elliptic cone is solved as such (kernels.elliptic; tests/test_elliptic_cone.py), not as the pyramid."""
    from kernels.forward import _step_kernel_elliptic

    xml = (
        '<mujoco><option cone="{}"/><worldbody><geom type="plane" size="1 1 .1"/><body><freejoint/><geom size="0.1"/>'
        "</body></worldbody></mujoco>"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sim = Simulator(load_mjcf(xml.format("elliptic")), 1, contacts=True)
        assert [c.kernel for c in sim._step_cmds] == [_step_kernel_elliptic]
        Simulator(load_mjcf(xml.format("elliptic")), 1, contacts=False)
        assert Simulator(load_mjcf(xml.format("pyramidal")), 1, contacts=True)._step_cmds[0].kernel is not (
            _step_kernel_elliptic
        )
