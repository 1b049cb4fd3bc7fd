"""mjcf/ (the loader) against MuJoCo's own compiler: Gymnasium's models, random kinematic trees, bad MJCF.

Every compiled field is compared with `mujoco.MjModel` at RTOL/ATOL (float64 on both sides; the only
differences are floating-point summation order).
"""

import math
import os
import pathlib
import re

import gymnasium
import mujoco
import numpy as np
import pytest

from kernels.io import invweight0
from mjcf import MJCFError, Model, load_mjcf, quat_to_mat

RTOL, ATOL = 1e-9, 1e-12
ASSETS = os.path.join(os.path.dirname(gymnasium.__file__), "envs", "mujoco", "assets")

INT_FIELDS = """body_parentid body_rootid body_weldid body_jntnum body_jntadr body_dofnum body_dofadr jnt_type
    jnt_bodyid jnt_qposadr jnt_dofadr jnt_limited jnt_actfrclimited dof_bodyid dof_jntid dof_parentid geom_type
    geom_bodyid geom_contype geom_conaffinity geom_condim geom_priority actuator_trnid actuator_ctrllimited
    actuator_forcelimited actuator_trntype actuator_dyntype actuator_gaintype actuator_biastype
    exclude_signature""".split()
FLOAT_FIELDS = """body_pos body_quat body_ipos body_iquat body_mass body_inertia jnt_pos jnt_axis jnt_stiffness
    jnt_range jnt_actfrcrange jnt_margin jnt_solref jnt_solimp qpos0 qpos_spring dof_armature dof_damping
    dof_frictionloss dof_solref dof_solimp geom_size
    geom_pos geom_quat geom_friction geom_solmix geom_margin geom_gap geom_solref geom_solimp actuator_gear
    actuator_ctrlrange actuator_forcerange actuator_gainprm actuator_biasprm key_time key_qpos key_qvel
    key_ctrl""".split()
SIZES = "nbody njnt nq nv nu ngeom nkey nexclude".split()


def assert_same_as_mujoco(model: Model, ref: mujoco.MjModel):
    """Compare every Model field with MuJoCo's compiled model."""
    for name in SIZES:
        assert getattr(model, name) == getattr(ref, name), name
    for name in INT_FIELDS:
        np.testing.assert_array_equal(getattr(model, name), np.asarray(getattr(ref, name)), err_msg=name)
    for name in FLOAT_FIELDS:
        ours, theirs = getattr(model, name), np.asarray(getattr(ref, name))
        assert ours.shape == theirs.shape, name
        np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL, err_msg=name)
    # the full inertia tensor in the body frame is independent of how principal axes are ordered or signed
    for b in range(model.nbody):
        r_ours, r_ref = quat_to_mat(model.body_iquat[b]), quat_to_mat(ref.body_iquat[b])
        full_ours = r_ours @ np.diag(model.body_inertia[b]) @ r_ours.T
        full_ref = r_ref @ np.diag(ref.body_inertia[b]) @ r_ref.T
        np.testing.assert_allclose(full_ours, full_ref, rtol=RTOL, atol=ATOL, err_msg=f"inertia of body {b}")
    np.testing.assert_allclose(model.opt.timestep, ref.opt.timestep, rtol=0, atol=0)
    np.testing.assert_allclose(model.opt_timestep, ref.opt.timestep, rtol=0, atol=0)
    np.testing.assert_allclose(model.opt.gravity, ref.opt.gravity, rtol=0, atol=0)
    np.testing.assert_allclose(model.opt_gravity, ref.opt.gravity, rtol=0, atol=0)
    assert model.opt.integrator == ref.opt.integrator
    assert model.opt.cone == ref.opt.cone
    assert model.opt.impratio == ref.opt.impratio
    assert model.opt.ccd_tolerance == ref.opt.ccd_tolerance
    assert model.opt.ccd_iterations == ref.opt.ccd_iterations
    assert model.body_names == [ref.body(i).name for i in range(ref.nbody)]
    assert model.joint_names == [ref.joint(i).name for i in range(ref.njnt)]
    assert model.geom_names == [ref.geom(i).name for i in range(ref.ngeom)]
    assert model.actuator_names == [ref.actuator(i).name for i in range(ref.nu)]
    assert model.key_names == [ref.key(i).name for i in range(ref.nkey)]


# ----------------------------------------------------------------------------------------------------
# Gymnasium's models

GYM_MODELS = [
    "ant.xml",
    "half_cheetah.xml",
    "hopper.xml",
    "walker2d_v5.xml",
    "humanoid.xml",
    "humanoidstandup.xml",
    "inverted_pendulum.xml",
    "inverted_double_pendulum.xml",
    "reacher.xml",
    "pusher_v5.xml",
    "point.xml",
    "swimmer.xml",
]


@pytest.mark.parametrize("name", GYM_MODELS)
def test_gymnasium_model_matches_mujoco(name):
    path = os.path.join(ASSETS, name)
    assert_same_as_mujoco(load_mjcf(path), mujoco.MjModel.from_xml_path(path))


@pytest.mark.parametrize("name", GYM_MODELS)
def test_gymnasium_model_invweights_are_mujocos(name):
    """The contacts' and limits' regularizer scales computed for a loaded file (kernels.io.invweight0) are MuJoCo's
    body_invweight0 and dof_invweight0 (hinge and slide dofs), "simple" slider-only bodies included (pusher's object
    and goal, reacher's target, point: 1 / mass, the armature left out; it was 1e4 times too small for the pusher's
    object)."""
    path = os.path.join(ASSETS, name)
    ref = mujoco.MjModel.from_xml_path(path)
    body, dof = invweight0(load_mjcf(path), "cpu")
    np.testing.assert_allclose(body, ref.body_invweight0, rtol=2e-5, atol=1e-9)
    hinge_slide = np.isin(ref.jnt_type[ref.dof_jntid], (2, 3))
    np.testing.assert_allclose(dof[hinge_slide], ref.dof_invweight0[hinge_slide], rtol=2e-5, atol=1e-9)


def test_gymnasium_ant_spot_values():
    """A few values worked out by hand, independent of MuJoCo."""
    model = load_mjcf(pathlib.Path(ASSETS) / "ant.xml")
    assert (model.nq, model.nv, model.nu, model.nbody) == (15, 14, 8, 14)
    np.testing.assert_allclose(model.qpos0[:7], [0, 0, 0.75, 1, 0, 0, 0])
    # torso: sphere r = 0.25 at density 5 -> m = 5 * 4/3 pi r^3
    np.testing.assert_allclose(model.body_mass[1], 5 * 4 / 3 * math.pi * 0.25**3, rtol=1e-12)
    # hip_1 range -30..30 degrees -> radians; ankle axis (-1, 1, 0) normalized
    np.testing.assert_allclose(model.jnt_range[1], np.radians([-30, 30]), rtol=1e-12)
    np.testing.assert_allclose(model.jnt_axis[2], [-(0.5**0.5), 0.5**0.5, 0], rtol=1e-12)
    assert model.jnt_type.tolist() == [0] + [3] * 8
    assert model.actuator_trnid[0].tolist() == [model.joint_names.index("hip_4"), -1]


def test_swimmer_fluid_options_are_mujocos():
    model, ref = (
        load_mjcf(os.path.join(ASSETS, "swimmer.xml")),
        mujoco.MjModel.from_xml_path(os.path.join(ASSETS, "swimmer.xml")),
    )
    assert (model.opt.density, model.opt.viscosity) == (ref.opt.density, ref.opt.viscosity) == (4000.0, 0.1)
    np.testing.assert_array_equal(model.opt.wind, ref.opt.wind)


def test_ellipsoid_fluid_model_is_refused():
    xml = '<mujoco><option density="1"/><worldbody><body>\n<geom size="0.1" fluidshape="ellipsoid"/></body>'
    xml += "</worldbody></mujoco>"
    with pytest.raises(MJCFError, match=r"<string>:2: <geom> attribute 'fluidshape': fluid forces"):
        load_mjcf(xml)


def test_path_string_and_pathlib_agree():
    path = os.path.join(ASSETS, "hopper.xml")
    with open(path) as f:
        text = f.read()
    a, b = load_mjcf(path), load_mjcf(text)
    c = load_mjcf(pathlib.Path(path))
    for name in FLOAT_FIELDS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        np.testing.assert_array_equal(getattr(a, name), getattr(c, name))


# ----------------------------------------------------------------------------------------------------
# Random kinematic trees, written as MJCF and compiled by both loaders


def _fmt(values) -> str:
    return " ".join(f"{v:.6g}" for v in np.atleast_1d(values))


def random_mjcf(seed: int) -> str:
    """A random model exercising defaults, orientations, joint and geom types, motors and compiler options."""
    rng = np.random.default_rng(seed)
    degree = bool(rng.random() < 0.5)
    autolimits = bool(rng.random() < 0.7)
    to_angle = (lambda rad: np.degrees(rad)) if degree else (lambda rad: rad)
    seq = "".join(c.upper() if rng.random() < 0.3 else c for c in rng.permutation(list("xyz")))
    compiler = f'angle="{"degree" if degree else "radian"}" eulerseq="{seq}" autolimits="{str(autolimits).lower()}"'
    compiler += f' inertiafromgeom="{rng.choice(["auto", "true"])}"'
    if rng.random() < 0.3:
        compiler += f' settotalmass="{rng.uniform(1, 20):.4g}"'
    classes = [None, "A", "B"]

    def unit_or_any(n):
        return rng.normal(size=n) * rng.uniform(0.5, 2.0)

    def orientation():
        kind = rng.choice(["none", "quat", "euler", "axisangle", "xyaxes", "zaxis"])
        if kind == "quat":
            return f' quat="{_fmt(unit_or_any(4))}"'
        if kind == "euler":
            return f' euler="{_fmt(to_angle(rng.uniform(-np.pi, np.pi, 3)))}"'
        if kind == "axisangle":
            return f' axisangle="{_fmt(unit_or_any(3))} {_fmt(to_angle(rng.uniform(-np.pi, np.pi)))}"'
        if kind == "xyaxes":
            return f' xyaxes="{_fmt(unit_or_any(6))}"'
        if kind == "zaxis":
            return f' zaxis="{_fmt(unit_or_any(3))}"'
        return ""

    def cls_attr():
        c = rng.choice(classes)
        return f' class="{c}"' if c is not None else ""

    def geom(moving: bool) -> str:
        gtype = rng.choice(["sphere", "capsule", "box", "cylinder", "ellipsoid"])
        attrs = f'type="{gtype}"' + cls_attr()
        if gtype != "sphere" and rng.random() < 0.4:
            a, b = rng.uniform(-0.3, 0.3, 3), rng.uniform(-0.3, 0.3, 3)
            attrs += f' fromto="{_fmt(a)} {_fmt(b)}" size="{rng.uniform(0.02, 0.1):.4g}"'
        else:
            attrs += f' size="{_fmt(rng.uniform(0.02, 0.2, 3))}" pos="{_fmt(rng.uniform(-0.3, 0.3, 3))}"'
            attrs += orientation()
        if rng.random() < 0.3:
            attrs += f' mass="{rng.uniform(0.1, 3):.4g}"'
        elif rng.random() < 0.5:
            attrs += f' density="{rng.uniform(100, 3000):.5g}"'
        if rng.random() < 0.3:
            attrs += f' friction="{_fmt(rng.uniform(0.1, 1.5, rng.integers(1, 4)))}"'
        if rng.random() < 0.3:
            attrs += f' condim="{rng.choice([1, 3, 4, 6])}" contype="{rng.integers(0, 4)}"'
        return f"<geom {attrs}/>"

    def joint(jtype: str, name: str) -> str:
        attrs = f'name="{name}" type="{jtype}"' + cls_attr()
        if jtype in ("hinge", "slide"):
            attrs += f' axis="{_fmt(unit_or_any(3))}" pos="{_fmt(rng.uniform(-0.1, 0.1, 3))}"'
            lo = rng.uniform(-1.5, 0)
            hi = lo + rng.uniform(0.1, 2)
            scale = to_angle if jtype == "hinge" else (lambda x: x)
            if rng.random() < 0.7:
                attrs += f' range="{_fmt(scale(np.array([lo, hi])))}"'
                limited = rng.choice(["true", "false", "auto"] if autolimits else ["true", "false"])
                attrs += f' limited="{limited}"'
            if rng.random() < 0.5:
                attrs += f' ref="{scale(rng.uniform(-0.5, 0.5)):.4g}" springref="{scale(rng.uniform(-0.5, 0.5)):.4g}"'
        elif jtype == "ball" and rng.random() < 0.5:
            attrs += f' range="0 {to_angle(rng.uniform(0.2, 1.5)):.4g}" limited="true"'
        for key in ("armature", "damping", "stiffness", "frictionloss"):
            if rng.random() < 0.5:
                attrs += f' {key}="{rng.uniform(0, 2):.4g}"'
        if rng.random() < 0.3:
            lo = rng.uniform(-50, 5)
            attrs += f' actuatorfrcrange="{_fmt([lo, lo + rng.uniform(0.1, 60)])}"'
            if not autolimits or rng.random() < 0.5:
                attrs += f' actuatorfrclimited="{rng.choice(["true", "false"])}"'
        if rng.random() < 0.3:
            attrs += f' solreffriction="{rng.uniform(0.005, 0.05):.4g} {rng.uniform(0.5, 2):.4g}"'
        if rng.random() < 0.3:
            attrs += f' solimpfriction="{rng.uniform(0.5, 0.8):.4g} {rng.uniform(0.85, 0.99):.4g} 0.01"'
        return f"<joint {attrs}/>"

    nbody = int(rng.integers(2, 9))
    parent = [0] + [int(rng.integers(0, i)) if i > 1 else 0 for i in range(1, nbody)]
    children = {i: [j for j in range(1, nbody) if parent[j] == i] for i in range(nbody)}
    joint_names = []

    def body(i: int, depth: int) -> str:
        attrs = f'name="b{i}" pos="{_fmt(rng.uniform(-0.5, 0.5, 3))}"' + orientation()
        if rng.random() < 0.3:
            attrs += f' childclass="{rng.choice(["A", "B"])}"'
        lines = [f"<body {attrs}>"]
        njoint = int(rng.integers(0, 4))
        if parent[i] == 0 and rng.random() < 0.4:
            joint_names.append(f"j{i}_free")
            lines.append(rng.choice([f'<freejoint name="j{i}_free"/>', f'<joint name="j{i}_free" type="free"/>']))
        else:
            for k in range(njoint):
                # MuJoCo forbids a rotation after a ball joint in the same body: a ball can only come last
                last = k == njoint - 1
                jtype = rng.choice(["hinge", "hinge", "slide", "ball"] if last else ["hinge", "slide"])
                joint_names.append((f"j{i}_{k}", jtype))
                lines.append(joint(jtype, f"j{i}_{k}"))
        moving = njoint > 0 or parent[i] == 0
        for _ in range(int(rng.integers(1, 4)) if moving else int(rng.integers(0, 3))):
            lines.append(geom(moving))
        if rng.random() < 0.2:
            lines.append(f'<site name="s{i}" pos="0 0 0.1"/><camera pos="0 -1 0"/><light pos="0 0 1"/>')
        for c in children[i]:
            lines.append(body(c, depth + 1))
        lines.append("</body>")
        return "\n".join(lines)

    world = ['<geom name="floor" type="plane" size="5 5 0.1"/>'] + [body(c, 1) for c in children[0]]
    motors = []
    for entry in joint_names:
        if isinstance(entry, tuple) and entry[1] in ("hinge", "slide") and rng.random() < 0.6:
            attrs = f'joint="{entry[0]}" gear="{_fmt(rng.uniform(1, 100, rng.integers(1, 4)))}"' + cls_attr()
            if rng.random() < 0.5:
                attrs += f' ctrlrange="{_fmt([-rng.uniform(0.5, 2), rng.uniform(0.5, 2)])}"'
                attrs += f' ctrllimited="{rng.choice(["true", "false"])}"'
            motors.append(f"<motor {attrs}/>")
    arm = rng.uniform(0, 0.5)
    defaults = f"""
  <default>
    <joint armature="{arm:.4g}" damping="{rng.uniform(0, 1):.4g}"/>
    <geom density="{rng.uniform(200, 2000):.5g}" friction="{_fmt(rng.uniform(0.2, 1.2, 3))}"/>
    <motor gear="{rng.uniform(1, 50):.4g}"/>
    <default class="A">
      <joint stiffness="{rng.uniform(0, 5):.4g}" limited="false"/>
      <geom contype="0" conaffinity="2" size="0.05 0.1 0.07" margin="0.01"/>
      <motor ctrlrange="-1 1" ctrllimited="true"/>
      <default class="B">
        <joint damping="{rng.uniform(0, 1):.4g}" frictionloss="0.1"/>
        <geom density="{rng.uniform(200, 2000):.5g}" friction="0.8"/>
      </default>
    </default>
  </default>"""
    option = f'<option timestep="{rng.uniform(0.001, 0.02):.4g}" gravity="{_fmt(rng.uniform(-10, 10, 3))}"/>'
    newline = "\n"
    return f"""<mujoco model="random{seed}">
  <compiler {compiler}/>
  {option}{defaults}
  <worldbody>
{newline.join(world)}
  </worldbody>
  <actuator>
{newline.join(motors)}
  </actuator>
</mujoco>"""


@pytest.mark.parametrize("seed", range(60))
def test_random_tree_matches_mujoco(seed):
    xml = random_mjcf(seed)
    assert_same_as_mujoco(load_mjcf(xml), mujoco.MjModel.from_xml_string(xml))


INERTIAL_XML = """<mujoco>
  <compiler angle="radian"/>
  <worldbody>
    <body name="a" pos="0 0 1">
      <joint type="hinge" axis="0 1 0"/>
      <inertial pos="0.1 0 0" mass="2" diaginertia="0.1 0.2 0.25" euler="0.1 0.2 0.3"/>
      <geom type="sphere" size="0.1"/>
      <body name="b" pos="0.2 0 0">
        <joint type="slide" axis="1 0 0"/>
        <inertial pos="0 0 0.1" mass="1" fullinertia="0.3 0.2 0.25 0.01 -0.02 0.03"/>
      </body>
      <body name="static_child" pos="0 0.3 0"/>
    </body>
  </worldbody>
</mujoco>"""


@pytest.mark.parametrize("inertiafromgeom", ["auto", "true", "false"])
def test_inertial_element_matches_mujoco(inertiafromgeom):
    xml = INERTIAL_XML.replace('angle="radian"', f'angle="radian" inertiafromgeom="{inertiafromgeom}"')
    assert_same_as_mujoco(load_mjcf(xml), mujoco.MjModel.from_xml_string(xml))


def test_compiler_options_match_mujoco():
    xml = """<mujoco>
  <compiler angle="degree" boundmass="0.5" boundinertia="0.01" balanceinertia="true" settotalmass="7"/>
  <option timestep="0.005" integrator="implicitfast" cone="elliptic" impratio="3" ccd_tolerance="1e-5"
    ccd_iterations="50"/>
  <worldbody>
    <body childclass="c">
      <joint name="slide" type="slide" axis="0 0 2"/>
      <geom type="box" size="0.001 0.001 0.3" mass="0.01"/>
      <body pos="0 0 1" xyaxes="0 1 0 -1 0 0">
        <joint name="hinge" range="-90 45" ref="30" springref="10"/>
        <geom type="capsule" fromto="0 0 0 0 0 0.5" size="0.05" class="c"/>
        <geom type="cylinder" fromto="0 0 0 0.3 0 0" size="0.04"/>
        <geom type="box" fromto="0 0 0 0 0.3 0" size="0.03"/>
        <geom type="sphere" size="0.5" group="7" name="outside_inertiagrouprange"/>
      </body>
      <body pos="0 1 0">
        <joint type="ball"/>
        <inertial pos="0 0 0" mass="1" diaginertia="1 1 5"/>
      </body>
    </body>
  </worldbody>
  <default><default class="c"><geom density="300"/><joint armature="0.1"/></default></default>
  <actuator><motor joint="hinge" gear="2" forcerange="-1 1"/></actuator>
</mujoco>"""
    assert_same_as_mujoco(load_mjcf(xml), mujoco.MjModel.from_xml_string(xml))


# ----------------------------------------------------------------------------------------------------
# Bad MJCF: each error is an MJCFError naming the element, the attribute when there is one, and the line

GOOD_BODY = '<body><joint type="hinge"/><geom type="sphere" size="0.1"/></body>'


def wrap(body: str, extra: str = "") -> str:
    """A model whose body XML starts on line 3 and whose `extra` sections start on line 5 + body lines - 1."""
    return f"<mujoco>\n<worldbody>\n{body}\n</worldbody>\n{extra}\n</mujoco>"


BAD_CASES = {
    "non-positive ccd_tolerance": (
        wrap(GOOD_BODY).replace("<mujoco>", '<mujoco>\n<option ccd_tolerance="0"/>'),
        r"ccd_tolerance must be positive",
    ),
    "no ccd_iterations": (
        wrap(GOOD_BODY).replace("<mujoco>", '<mujoco>\n<option ccd_iterations="0"/>'),
        r"ccd_iterations must be at least 1",
    ),
    "unsupported top-level element": (
        wrap(GOOD_BODY, '<deformable>\n<flex name="x"/>\n</deformable>'),
        r"<string>:6: <flex name='x'>: unsupported element in <deformable>: it changes the dynamics",
    ),
    "unsupported equality": (
        wrap(GOOD_BODY, '<equality>\n<tendon tendon1="x"/>\n</equality>'),
        r"<string>:6: <tendon>: unsupported element in <equality> \(connect, weld and joint",
    ),
    "equality between sites": (
        wrap(GOOD_BODY, '<equality>\n<weld site1="a" site2="b"/>\n</equality>'),
        r"<string>:6: <weld> attribute 'site1': site semantics are not supported",
    ),
    "equality with an unknown body": (
        wrap(GOOD_BODY, '<equality>\n<connect body1="x" anchor="0 0 0"/>\n</equality>'),
        r"<string>:6: <connect> attribute 'body1': unknown body 'x'",
    ),
    "connect without an anchor": (
        wrap(GOOD_BODY.replace("<body>", '<body name="b">'), '<equality>\n<connect body1="b"/>\n</equality>'),
        r"<string>:6: <connect> attribute 'anchor': required attribute missing",
    ),
    "weld attribute on a joint coupling": (
        wrap(GOOD_BODY, '<equality>\n<joint joint1="j" torquescale="2"/>\n</equality>'),
        r"<string>:6: <joint> attribute 'torquescale': <joint> has no attribute",
    ),
    "unsupported element in body": (
        wrap('<body>\n<frame pos="0 0 1"/>\n</body>'),
        r"<string>:4: <frame>: unsupported element",
    ),
    "damper actuator": (
        wrap(GOOD_BODY.replace("<joint", '<joint name="j"'), '<actuator>\n<damper joint="j" kv="10"/>\n</actuator>'),
        r"<string>:6: <damper>: unsupported actuator \(only <motor>, <position>, <velocity> and <general>",
    ),
    "missing required attribute": (
        wrap(GOOD_BODY, "<actuator>\n<motor gear='1'/>\n</actuator>"),
        r"<string>:6: <motor> attribute 'joint': required attribute missing",
    ),
    "inertial without mass": (
        wrap('<body>\n<joint/>\n<inertial pos="0 0 0" diaginertia="1 1 1"/>\n</body>'),
        r"<string>:5: <inertial> attribute 'mass': required attribute missing",
    ),
    "malformed XML": (
        "<mujoco>\n<worldbody>\n<body>\n</worldbody>\n</mujoco>",
        r"<string>:4: malformed XML: mismatched tag",
    ),
    "NaN value": (
        wrap('<body name="b" pos="0 nan 0">\n<joint/><geom size="0.1"/>\n</body>'),
        r"<string>:3: <body name='b'> attribute 'pos': 'nan' is not a finite number",
    ),
    "infinite value": (
        wrap('<body>\n<joint/><geom name="g" size="inf"/>\n</body>'),
        r"<string>:4: <geom name='g'> attribute 'size': 'inf' is not a finite number",
    ),
    "overflowing value": (
        wrap('<body>\n<joint damping="1e999"/><geom size="0.1"/>\n</body>'),
        r"<string>:4: <joint> attribute 'damping': non-finite number",
    ),
    "wrong number count": (
        wrap('<body pos="0 0">\n<joint/><geom size="0.1"/>\n</body>'),
        r"<string>:3: <body> attribute 'pos': expected 3 numbers, got 2",
    ),
    "too many sizes": (
        wrap('<body>\n<joint/><geom size="0.1 0.2 0.3 0.4"/>\n</body>'),
        r"<string>:4: <geom> attribute 'size': expected 1 to 3 numbers, got 4",
    ),
    "zero-length joint axis": (
        wrap('<body>\n<joint name="j" axis="0 0 0"/><geom size="0.1"/>\n</body>'),
        r"<string>:4: <joint name='j'> attribute 'axis': zero-length axis",
    ),
    "zero-length axisangle": (
        wrap('<body axisangle="0 0 0 30">\n<joint/><geom size="0.1"/>\n</body>'),
        r"<string>:3: <body> attribute 'axisangle': zero-length axis",
    ),
    "zero-mass moving body": (
        wrap('<body name="light">\n<joint/><geom size="0.1" mass="0"/>\n</body>'),
        r"<string>:3: <body name='light'>: mass and inertia of moving bodies must be larger than mjMINVAL",
    ),
    "moving body without geoms": (
        wrap('<body name="empty">\n<joint type="slide"/>\n</body>'),
        r"<string>:3: <body name='empty'>: mass and inertia of moving bodies",
    ),
    "unknown attribute": (
        wrap('<body>\n<joint/><geom size="0.1" bogus="1"/>\n</body>'),
        r"<string>:4: <geom> attribute 'bogus': unsupported attribute",
    ),
    "mesh geom": (
        wrap('<body>\n<joint/><geom type="mesh" mesh="m"/>\n</body>'),
        r"<string>:4: <geom> attribute 'type': geom type 'mesh' is not supported",
    ),
    "global coordinates": (
        '<mujoco>\n<compiler coordinate="global"/>\n<worldbody/>\n</mujoco>',
        r"<string>:2: <compiler> attribute 'coordinate': only coordinate='local' is supported",
    ),
    "bad enum": (
        wrap('<body>\n<joint type="screw"/><geom size="0.1"/>\n</body>'),
        r"<string>:4: <joint> attribute 'type': expected one of \['free', 'ball', 'slide', 'hinge'\]",
    ),
    "unknown class": (
        wrap('<body>\n<joint class="nope"/><geom size="0.1"/>\n</body>'),
        r"<string>:4: <joint> attribute 'class': unknown default class 'nope'",
    ),
    "unknown joint in motor": (
        wrap(GOOD_BODY, '<actuator>\n<motor name="m" joint="missing"/>\n</actuator>'),
        r"<string>:6: <motor name='m'> attribute 'joint': unknown joint 'missing'",
    ),
    "tendon with stiffness": (
        wrap(
            GOOD_BODY.replace("<joint", '<joint name="j"'),
            '<tendon>\n<fixed stiffness="3"><joint joint="j" coef="1"/></fixed>\n</tendon>',
        ),
        r"<string>:6: <fixed> attribute 'stiffness': tendons that exert forces are not supported",
    ),
    "repeated name": (
        wrap('<body name="x">\n<joint/><geom size="0.1"/>\n</body>\n<body name="x"/>'),
        r"<string>:6: <body name='x'> attribute 'name': repeated name 'x'",
    ),
    "joint actuator force limit from a default without a range": (
        '<mujoco>\n<default><joint actuatorfrclimited="true"/></default>\n<worldbody><body>\n<joint/>'
        '<geom size=".1"/></body></worldbody></mujoco>',
        r"<string>:4: <joint> attribute 'actuatorfrcrange': actuatorfrcrange\[0\] must be smaller than \[1\]",
    ),
    "option flag refused": (
        '<mujoco>\n<option>\n<flag override="enable"/>\n</option>\n</mujoco>',
        r"<string>:3: <flag> attribute 'override': this enable flag changes the dynamics",
    ),
    "option flag value": (
        '<mujoco>\n<option>\n<flag contact="off"/>\n</option>\n</mujoco>',
        r"<string>:3: <flag> attribute 'contact': expected one of",
    ),
    "option child": (
        '<mujoco>\n<option>\n<flags contact="disable"/>\n</option>\n</mujoco>',
        r"<string>:3: <flags>: unsupported element in <option>",
    ),
    "fromto with pos": (
        wrap('<body>\n<joint/><geom type="capsule" size="0.1" pos="1 0 0" fromto="0 0 0 1 0 0"/>\n</body>'),
        r"<string>:4: <geom> attribute 'fromto': both pos and fromto given",
    ),
    "plane on a moving body": (
        wrap('<body>\n<joint/><geom type="plane" size="1 1 1"/><geom size="0.1"/>\n</body>'),
        r"<string>:4: <geom> attribute 'type': planes are only allowed in static bodies",
    ),
    "empty range on a limited joint": (
        wrap('<body>\n<joint limited="true"/><geom size="0.1"/>\n</body>'),
        r"<string>:4: <joint> attribute 'range': range\[0\] must be smaller than range\[1\]",
    ),
    "range without limited and no autolimits": (
        '<mujoco>\n<compiler autolimits="false"/>\n<worldbody>\n<body>\n<joint range="0 1"/><geom size="0.1"/>\n'
        "</body>\n</worldbody>\n</mujoco>",
        r"<string>:5: <joint> attribute 'limited': 'range' given without 'limited'",
    ),
    "free joint below the top level": (
        wrap('<body><geom size="0.1"/>\n<body>\n<freejoint/><geom size="0.1"/>\n</body></body>'),
        r"<string>:5: <freejoint>: free joints are only allowed in top-level bodies",
    ),
    "not mujoco": ("<robot/>", r"<string>:1: <robot>: root element must be <mujoco>"),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_mjcf_raises_clear_error(case):
    xml, pattern = BAD_CASES[case]
    with pytest.raises(MJCFError, match=pattern):
        load_mjcf(xml)


# the cases that MuJoCo itself rejects too: our error is a restriction of MuJoCo's, never an invention
MUJOCO_ALSO_REJECTS = [
    "missing required attribute",
    "malformed XML",
    "wrong number count",
    "zero-length joint axis",
    "zero-mass moving body",
    "moving body without geoms",
    "unknown attribute",
    "bad enum",
    "unknown class",
    "unknown joint in motor",
    "repeated name",
    "fromto with pos",
    "plane on a moving body",
    "empty range on a limited joint",
    "range without limited and no autolimits",
    "free joint below the top level",
]


@pytest.mark.parametrize("case", MUJOCO_ALSO_REJECTS)
def test_mujoco_also_rejects(case):
    with pytest.raises(ValueError):
        mujoco.MjModel.from_xml_string(BAD_CASES[case][0])


@pytest.mark.parametrize(
    "xml",
    [
        "<mujoco/>",
        '<mujoco><worldbody><geom type="plane" size="0 0 1"/><body><geom size="0.1"/></body></worldbody></mujoco>',
    ],
)
def test_models_without_dofs_match_mujoco(xml):
    assert_same_as_mujoco(load_mjcf(xml), mujoco.MjModel.from_xml_string(xml))


def test_model_docstring_documents_every_field():
    doc = Model.__doc__
    for field in Model.__dataclass_fields__:
        assert re.search(rf"\b{field}\b", doc), field


def test_missing_file_is_an_mjcf_error(tmp_path):
    with pytest.raises(MJCFError, match=r"cannot read MJCF file '.*nothing\.xml'"):
        load_mjcf(tmp_path / "nothing.xml")


def test_error_is_a_value_error_with_file_name(tmp_path):
    path = tmp_path / "bad.xml"
    path.write_text(wrap('<body>\n<joint axis="0 0 0"/><geom size="0.1"/>\n</body>'))
    with pytest.raises(ValueError, match=re.escape("bad.xml:4: <joint> attribute 'axis'")):
        load_mjcf(path)


def test_an_element_orientation_replaces_the_default_class_orientation():
    # Menagerie's anymal_b: class `shank` sets euler, its geoms set quat; MuJoCo takes the element's (any kinds, nested
    # classes too); before, the loader saw two specifiers and refused the file
    rng = np.random.default_rng(0)
    kinds = {
        "quat": lambda: _fmt(rng.normal(size=4)),
        "euler": lambda: _fmt(rng.uniform(-90, 90, 3)),
        "axisangle": lambda: _fmt(np.append(rng.normal(size=3), rng.uniform(-90, 90))),
        "zaxis": lambda: _fmt(rng.normal(size=3)),
        "xyaxes": lambda: _fmt(rng.normal(size=6)),
    }
    for _ in range(60):
        parent, child, own = (f' {k}="{kinds[k]()}"' if k else "" for k in rng.choice([None, *kinds], size=3))
        xml = f"""<mujoco><default><geom{parent}/><default class="c"><geom{child}/></default></default>
          <worldbody><body><freejoint/><geom class="c" type="box" size=".1 .2 .3"{own}/></body></worldbody>
        </mujoco>"""
        q, ref = load_mjcf(xml).geom_quat[0], mujoco.MjModel.from_xml_string(xml).geom_quat[0]
        assert np.allclose(q, ref, atol=1e-6) or np.allclose(q, -ref, atol=1e-6), xml
