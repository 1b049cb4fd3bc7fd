"""envs/assets/anymal_c.xml and the loader features it needs (position actuators, contact excludes, keyframes,
visual meshes skipped), against MuJoCo compiling the same XML and against the numbers of MuJoCo Menagerie's
model that the asset was written from.
"""

import os

import mujoco
import numpy as np
import pytest

from mjcf import BIAS_AFFINE, BIAS_NONE, MJCFError, Model, load_mjcf

ANYMAL = os.path.join(os.path.dirname(__file__), os.pardir, "envs", "assets", "anymal_c.xml")
RTOL, ATOL = 1e-9, 1e-12

# MuJoCo Menagerie, anybotics_anymal_c/anymal_c_mjx.xml (google-deepmind/mujoco_menagerie, commit 4035abd3),
# the <inertial> of each body as written there: mass (kg) and diaginertia (kg m^2)
MENAGERIE_INERTIAL = {
    "base": (19.2035, (0.639559, 0.624031, 0.217374)),
    "LF_HIP": (2.781, (0.00585729, 0.00491868, 0.00329081)),
    "RF_HIP": (2.781, (0.00585928, 0.0049205, 0.00329064)),
    "LH_HIP": (2.781, (0.00585928, 0.0049205, 0.00329064)),
    "RH_HIP": (2.781, (0.00585729, 0.00491868, 0.00329081)),
    "LF_THIGH": (3.071, (0.03025, 0.0298943, 0.00418465)),
    "RF_THIGH": (3.071, (0.0302511, 0.0298933, 0.0041845)),
    "LH_THIGH": (3.071, (0.0302511, 0.0298933, 0.0041845)),
    "RH_THIGH": (3.071, (0.03025, 0.0298943, 0.00418465)),
    "LF_SHANK": (0.58842, (0.0101637, 0.00923838, 0.00111927)),
    "RF_SHANK": (0.58842, (0.0101637, 0.00923838, 0.00111927)),
    "LH_SHANK": (0.58842, (0.0101637, 0.00923838, 0.00111927)),
    "RH_SHANK": (0.58842, (0.0101637, 0.00923838, 0.00111927)),
}
MENAGERIE_TOTAL_MASS = 19.2035 + 4 * (2.781 + 3.071 + 0.58842)  # 44.96518 kg
# the "standing" key's qpos and the actuator defaults (class "affine") and joint damping (class "anymal_c")
MENAGERIE_STANDING_QPOS = [0.0, 0.0, 0.56, 1.0, 0.0, 0.0, 0.0] + [
    0.0, 0.5235987755982988, -0.7853981, 0.0, 0.5235987755982988, -0.7853981,
    0.0, -0.5235987755982988, 0.7853981, 0.0, -0.5235987755982988, 0.7853981,
]  # fmt: skip
MENAGERIE_KP, MENAGERIE_CTRLRANGE, MENAGERIE_FORCERANGE, MENAGERIE_DAMPING = 100.0, (-6.28, 6.28), (-80.0, 80.0), 1.0
# joint ranges (rad): abduction per leg, hip flexion and knee +-3 pi on every leg
MENAGERIE_HAA_RANGE = {"LF": (-0.72, 0.49), "RF": (-0.49, 0.72), "LH": (-0.72, 0.49), "RH": (-0.49, 0.72)}
MENAGERIE_HFE_KFE_RANGE = (-9.42478, 9.42478)
LEGS = ("LF", "RF", "LH", "RH")
JOINTS = [f"{leg}_{j}" for leg in LEGS for j in ("HAA", "HFE", "KFE")]

INT_FIELDS = """body_parentid body_rootid body_weldid body_jntnum body_jntadr body_dofnum body_dofadr jnt_type
    jnt_bodyid jnt_qposadr jnt_dofadr jnt_limited dof_bodyid dof_jntid dof_parentid geom_type geom_bodyid
    geom_contype geom_conaffinity geom_condim geom_priority actuator_trntype actuator_dyntype actuator_gaintype
    actuator_biastype actuator_trnid actuator_ctrllimited actuator_forcelimited exclude_signature""".split()
FLOAT_FIELDS = """body_pos body_quat body_ipos body_iquat body_mass body_inertia jnt_pos jnt_axis jnt_range
    jnt_stiffness jnt_margin jnt_solref jnt_solimp qpos0 qpos_spring dof_armature dof_damping dof_frictionloss
    dof_solref dof_solimp geom_size geom_pos geom_quat geom_friction geom_solmix geom_margin geom_gap geom_solref
    geom_solimp actuator_gear actuator_ctrlrange actuator_forcerange actuator_gainprm actuator_biasprm key_time key_qpos
    key_qvel key_ctrl""".split()
GEOM_FIELDS = [f for f in INT_FIELDS + FLOAT_FIELDS if f.startswith("geom_") and f != "geom_bodyid"]


def assert_matches_mujoco(model: Model, ref: mujoco.MjModel, skip=()):
    """Every compiled field named above equals MuJoCo's (sizes and ints exactly, floats at RTOL/ATOL)."""
    for name in "nbody njnt nq nv nu ngeom nkey nexclude".split():
        if name not in skip:
            assert getattr(model, name) == getattr(ref, name), name
    for name in INT_FIELDS + FLOAT_FIELDS:
        if name in skip:
            continue
        ours, theirs = getattr(model, name), np.asarray(getattr(ref, name))
        assert ours.shape == theirs.shape, name
        np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL, err_msg=name)
    assert model.body_names == [ref.body(i).name for i in range(ref.nbody)]
    assert model.joint_names == [ref.joint(i).name for i in range(ref.njnt)]
    assert model.actuator_names == [ref.actuator(i).name for i in range(ref.nu)]
    assert model.key_names == [ref.key(i).name for i in range(ref.nkey)]
    assert (model.opt.timestep, model.opt.cone, model.opt.impratio) == (
        ref.opt.timestep,
        ref.opt.cone,
        ref.opt.impratio,
    )


@pytest.fixture(scope="module")
def anymal():
    return load_mjcf(ANYMAL), mujoco.MjModel.from_xml_path(ANYMAL)


def test_anymal_matches_mujoco(anymal):
    model, ref = anymal
    assert (model.nbody, model.nq, model.nv, model.nu, model.ngeom) == (14, 19, 18, 12, 5)
    assert_matches_mujoco(model, ref)
    assert model.geom_names == [ref.geom(i).name for i in range(ref.ngeom)]


def test_anymal_has_menagerie_inertials(anymal):
    model, _ = anymal
    for name, (mass, diaginertia) in MENAGERIE_INERTIAL.items():
        b = model.body_names.index(name)
        assert model.body_mass[b] == pytest.approx(mass, rel=1e-12), name
        # an <inertial> with quat and diaginertia is kept as written: principal moments in its own frame
        np.testing.assert_allclose(model.body_inertia[b], diaginertia, rtol=1e-12, err_msg=name)
    assert model.body_mass.sum() == pytest.approx(MENAGERIE_TOTAL_MASS, abs=1e-6)
    assert model.body_mass.sum() == pytest.approx(44.96518, abs=1e-6)


def test_anymal_joints_actuators_and_keyframe(anymal):
    model, _ = anymal
    assert model.joint_names == ["", *JOINTS] and model.actuator_names == JOINTS
    np.testing.assert_array_equal(model.dof_damping, [0.0] * 6 + [MENAGERIE_DAMPING] * 12)
    np.testing.assert_array_equal(model.dof_armature, np.zeros(18))
    # each actuator drives the joint of its name: a position servo tau = kp (ctrl - q) with no velocity gain
    np.testing.assert_array_equal(model.actuator_trnid[:, 0], [model.joint_names.index(n) for n in JOINTS])
    np.testing.assert_array_equal(model.actuator_biastype, [BIAS_AFFINE] * 12)
    np.testing.assert_array_equal(model.actuator_gainprm[:, 0], [MENAGERIE_KP] * 12)
    np.testing.assert_array_equal(model.actuator_biasprm[:, :3], [[0.0, -MENAGERIE_KP, 0.0]] * 12)
    np.testing.assert_array_equal(model.actuator_ctrlrange, [MENAGERIE_CTRLRANGE] * 12)
    np.testing.assert_array_equal(model.actuator_forcerange, [MENAGERIE_FORCERANGE] * 12)
    assert model.actuator_ctrllimited.all() and model.actuator_forcelimited.all()
    np.testing.assert_array_equal(model.actuator_gear[:, 0], np.ones(12))
    assert model.key_names == ["standing"]
    np.testing.assert_array_equal(model.key_qpos[0], MENAGERIE_STANDING_QPOS)
    np.testing.assert_array_equal(model.key_ctrl[0], MENAGERIE_STANDING_QPOS[7:])
    for name in JOINTS:
        rng = MENAGERIE_HAA_RANGE[name[:2]] if name.endswith("HAA") else MENAGERIE_HFE_KFE_RANGE
        np.testing.assert_array_equal(model.jnt_range[model.joint_names.index(name)], rng, err_msg=name)
    assert model.jnt_limited[1:].all()


def test_anymal_feet_are_the_only_colliding_geoms(anymal):
    model, _ = anymal
    collides = (model.geom_contype != 0) | (model.geom_conaffinity != 0)
    assert [n for n, c in zip(model.geom_names, collides, strict=True) if c] == ["floor"] + [f"{x}_FOOT" for x in LEGS]
    feet = [model.geom_names.index(f"{x}_FOOT") for x in LEGS]
    np.testing.assert_array_equal(model.geom_size[feet, 0], [0.03] * 4)
    np.testing.assert_array_equal(model.geom_friction[feet], [[0.8, 0.02, 0.01]] * 4)
    np.testing.assert_array_equal(model.geom_priority[feet], [1] * 4)
    np.testing.assert_array_equal(model.geom_solref[feet], [[0.02, 1.0]] * 4)
    # solimp="0.015 1 0.031" overwrites the first three of MuJoCo's defaults (0.9 0.95 0.001 0.5 2)
    np.testing.assert_array_equal(model.geom_solimp[feet], [[0.015, 1.0, 0.031, 0.5, 2.0]] * 4)
    shank = {model.body_names[b] for b in model.geom_bodyid[feet]}
    assert shank == {f"{x}_SHANK" for x in LEGS}
    assert model.nexclude == 10


def test_position_actuator_force_law_matches_mujoco(anymal):
    """clamp(gainprm[0] ctrl + biasprm[1] q + biasprm[2] qdot, forcerange) from our fields = MuJoCo's force."""
    model, ref = anymal
    rng = np.random.default_rng(0)
    data = mujoco.MjData(ref)
    adr = model.jnt_qposadr[model.actuator_trnid[:, 0]]
    dof = model.jnt_dofadr[model.actuator_trnid[:, 0]]
    for _ in range(5):
        data.qpos[:] = model.key_qpos[0]
        data.qpos[7:] += rng.uniform(-1.5, 1.5, 12)
        data.qvel[:] = rng.normal(0, 3, 18)
        data.ctrl[:] = rng.uniform(-6.28, 6.28, 12)
        mujoco.mj_forward(ref, data)
        gear = model.actuator_gear[:, 0]
        force = (
            model.actuator_gainprm[:, 0] * data.ctrl
            + model.actuator_biasprm[:, 1] * gear * data.qpos[adr]
            + model.actuator_biasprm[:, 2] * gear * data.qvel[dof]
        )
        force = np.clip(force, model.actuator_forcerange[:, 0], model.actuator_forcerange[:, 1])
        np.testing.assert_allclose(force, data.actuator_force, rtol=1e-12, atol=1e-9)
        assert np.any(np.abs(force) == 80.0)  # the clamp is exercised


# ----------------------------------------------------------------------------------------------------
# The loader features on their own, against MuJoCo on small models

# a Menagerie-style body: visual meshes (inline vertices, so MuJoCo compiles them), materials, textures,
# a camera and a light beside a colliding sphere
MESH_XML = """<mujoco>
  <compiler angle="radian" autolimits="true"/>
  <default>
    <material specular="0"/>
    <default class="visual"><geom type="mesh" contype="0" conaffinity="0" group="2"/></default>
    <default class="servo"><position kp="30" kv="2" ctrlrange="-1 1"/></default>
  </default>
  <asset>
    <texture name="t" type="2d" builtin="checker" width="8" height="8"/>
    <material name="m" texture="t"/>
    <mesh name="tet" vertex="0 0 0 0.1 0 0 0 0.1 0 0 0 0.1"/>
  </asset>
  <worldbody>
    <light pos="0 0 2"/>
    <geom name="floor" type="plane" size="0 0 1"/>
    <body name="a" pos="0 0 1">
      <camera name="c" pos="0 -1 0"/>
      <freejoint/>
      <inertial pos="0 0 0" mass="2" diaginertia="0.1 0.2 0.25"/>
      <geom class="visual" mesh="tet" material="m"/>
      <geom name="a_sphere" size="0.1" friction="0.7" solref="0.01 0.9" solimp="0.8 0.9 0.01" priority="2"/>
      <body name="b" pos="0.2 0 0">
        <joint name="hinge" axis="0 1 0" range="-1 1" damping="0.5" armature="0.01"/>
        <geom class="visual" mesh="tet" name="b_visual" mass="0"/>
        <geom name="b_capsule" type="capsule" fromto="0 0 0 0.3 0 0" size="0.03" condim="1" margin="0.01"/>
      </body>
    </body>
  </worldbody>
  <contact><exclude body1="b" body2="a"/></contact>
  <actuator>
    <position name="servo" class="servo" joint="hinge" forcerange="-5 5"/>
    <motor name="motor" class="servo" joint="hinge" gear="2"/>
  </actuator>
  <keyframe><key name="k" qpos="0 0 1 1 0 0 0 0.3" ctrl="0.3"/><key time="2" qvel="1 2 3"/></keyframe>
</mujoco>"""


def test_visual_meshes_are_skipped_and_the_rest_matches_mujoco():
    model, ref = load_mjcf(MESH_XML), mujoco.MjModel.from_xml_string(MESH_XML)
    assert (model.ngeom, ref.ngeom) == (3, 5)
    assert_matches_mujoco(model, ref, skip=["ngeom", "geom_bodyid", *GEOM_FIELDS])
    # MuJoCo counts the meshes; the colliding geoms compare by name
    assert model.geom_names == ["floor", "a_sphere", "b_capsule"]
    for name in model.geom_names:
        ours, theirs = model.geom_names.index(name), ref.geom(name).id
        assert model.geom_bodyid[ours] == ref.geom_bodyid[theirs], name
        for field in GEOM_FIELDS:
            np.testing.assert_allclose(
                getattr(model, field)[ours], getattr(ref, field)[theirs], rtol=RTOL, atol=ATOL, err_msg=field
            )
    # the position servo and the motor share the class's actuator default (ctrlrange), as in MuJoCo
    np.testing.assert_array_equal(model.actuator_biastype, [BIAS_AFFINE, BIAS_NONE])
    np.testing.assert_array_equal(model.actuator_gainprm[:, 0], [30.0, 1.0])
    np.testing.assert_array_equal(model.actuator_biasprm[0, :3], [0.0, -30.0, -2.0])


@pytest.mark.parametrize(
    "defaults, actuators",
    [
        # a motor default resets the general form to a motor's but keeps the servo gains a later position reads
        ('<motor gear="3"/><default class="p"><position kv="4"/></default>', '<position joint="j"/>'),
        ('<position kp="5" kv="2"/><default class="p"><motor/></default>', '<position class="p" joint="j"/>'),
        ('<position kp="5" kv="2" forcerange="-1 1"/>', '<motor joint="j"/><position joint="j" kp="7"/>'),
        ("", '<position joint="j" kv="0.5" ctrllimited="false" gear="2"/>'),
        # <general> shares the table: its default sets a position's kp and kv, a position or motor default sets
        # the general form a <general> starts from, and partial vectors keep the inherited tail
        ('<general gainprm="5 1 2" biasprm="3 -5 -7" biastype="affine"/>', '<position joint="j"/><motor joint="j"/>'),
        ('<general gainprm="5 1 2" biasprm="3 -5 -7"/>', '<general joint="j" gainprm="4" biasprm="1"/>'),
        ('<position kp="9" kv="2"/>', '<general joint="j"/><general joint="j" gainprm="4" biastype="none"/>'),
        (
            '<position kp="9" kv="2"/><default class="c"><motor gear="2"/><default class="g">'
            '<general dyntype="filter"/></default></default>',
            '<position class="c" joint="j"/><general class="c" joint="j"/><position class="g" joint="j"/>',
        ),
        ('<general gainprm="6" biasprm="1 2 3"/>', '<position joint="j" kv="4"/>'),
        ("", '<general joint="j" gainprm="30" biasprm="0.5 -30 -2" biastype="affine" forcerange="-3 3" gear="2"/>'),
        ("", '<general joint="j" actlimited="false" lengthrange="0 1" actearly="true" group="2"/>'),
        # <velocity> reads its own kv: a position default does not set it, a general default's gainprm[0] does
        ("", '<velocity joint="j"/><velocity joint="j" kv="3" gear="2" forcerange="-1 1"/>'),
        ('<position kp="9" kv="2"/>', '<velocity joint="j"/><position joint="j"/>'),
        ('<general gainprm="5 1" biasprm="3 -5 -7" dyntype="filter"/>', '<velocity joint="j"/>'),
        ('<velocity kv="4"/>', '<position joint="j"/><general joint="j"/><motor joint="j"/>'),
        ('<velocity kv="4"/><default class="c"><motor/></default>', '<velocity class="c" joint="j"/>'),
        ('<position kp="9" kv="2"/><default class="c"><velocity kv="4"/></default>', '<position class="c" joint="j"/>'),
    ],
)
def test_shared_actuator_defaults_match_mujoco(defaults, actuators):
    xml = f"""<mujoco><default>{defaults}</default><worldbody><body><joint name="j"/><geom size="0.1"/></body>
    </worldbody><actuator>{actuators}</actuator></mujoco>"""
    assert_matches_mujoco(load_mjcf(xml), mujoco.MjModel.from_xml_string(xml))


@pytest.mark.parametrize(
    "xml",
    [
        # short keys fill their leading entries; <size nkey> adds default keys; angles in keys are never converted
        '<mujoco><size nkey="3"/><worldbody><body><joint ref="30"/><geom size="0.1"/></body></worldbody>'
        '<keyframe><key name="k" qpos="90"/></keyframe></mujoco>',
        '<mujoco><worldbody><body name="a"><joint/><geom size="0.1"/><body name="b"><joint/><geom size="0.1"/>'
        '</body></body></worldbody><contact><exclude body1="b" body2="a"/><exclude body1="world" body2="b"/>'
        '<exclude body1="a" body2="b"/></contact><keyframe><key qvel="1"/></keyframe></mujoco>',
    ],
)
def test_keyframes_and_excludes_match_mujoco(xml):
    assert_matches_mujoco(load_mjcf(xml), mujoco.MjModel.from_xml_string(xml))


def wrap(body: str, extra: str = "") -> str:
    """A model whose body XML starts on line 3 and whose `extra` sections start on line 5 + body lines - 1."""
    return f"<mujoco>\n<worldbody>\n{body}\n</worldbody>\n{extra}\n</mujoco>"


HINGE = '<body name="b"><joint name="j"/><geom size="0.1"/></body>'
INERTIAL = '<inertial pos="0 0 0" mass="1" diaginertia="1 1 1"/>'

BAD_CASES = {
    "colliding mesh": (
        wrap(f'<body>\n<joint/>{INERTIAL}<geom name="m" type="mesh" mesh="tet" contype="1" conaffinity="0"/>\n</body>'),
        r"<string>:4: <geom name='m'> attribute 'type': geom type 'mesh' is not supported for geoms that can collide",
    ),
    "mesh that adds mass": (
        wrap('<body>\n<joint/><geom type="mesh" mesh="tet" contype="0" conaffinity="0"/>\n</body>'),
        r"<string>:4: <geom> attribute 'type': .*would add its volume to the body's mass; give the body an <inertial>",
    ),
    "primitive sized from a mesh": (
        wrap(f'<body>\n<joint/>{INERTIAL}<geom type="box" mesh="tet"/>\n</body>'),
        r"<string>:4: <geom> attribute 'mesh': mesh and height-field geoms are not supported for geoms that can",
    ),
    "negative kp": (
        wrap(HINGE, '<actuator>\n<position name="p" joint="j" kp="-100"/>\n</actuator>'),
        r"<string>:6: <position name='p'> attribute 'kp': kp must be non-negative, got -100",
    ),
    "negative kp in a default": (
        '<mujoco>\n<default>\n<position kp="-1"/>\n</default>\n</mujoco>',
        r"<string>:3: <position> attribute 'kp': kp must be non-negative, got -1",
    ),
    "kp not a number": (
        wrap(HINGE, '<actuator>\n<position joint="j" kp="stiff"/>\n</actuator>'),
        r"<string>:6: <position> attribute 'kp': 'stiff' is not a finite number",
    ),
    "negative kv": (
        wrap(HINGE, '<actuator>\n<position joint="j" kv="-1"/>\n</actuator>'),
        r"<string>:6: <position> attribute 'kv': kv must be non-negative",
    ),
    "position dampratio": (
        wrap(HINGE, '<actuator>\n<position joint="j" dampratio="1"/>\n</actuator>'),
        r"<string>:6: <position> attribute 'dampratio': unsupported attribute",
    ),
    "position without joint": (
        wrap(HINGE, '<actuator>\n<position kp="1"/>\n</actuator>'),
        r"<string>:6: <position> attribute 'joint': required attribute missing",
    ),
    "general with activation dynamics": (
        wrap(HINGE, '<actuator>\n<general joint="j" dyntype="filter" dynprm="0.1"/>\n</actuator>'),
        r"<string>:6: <general> attribute 'dyntype': activation dynamics are not supported .*got 'filter'",
    ),
    "general with activation dynamics from its class": (
        wrap(HINGE, '<actuator>\n<general joint="j"/>\n</actuator>').replace(
            "<worldbody>", '<default><general dyntype="integrator"/></default><worldbody>'
        ),
        r"<string>:6: <general> attribute 'dyntype': activation dynamics are not supported .*got 'integrator'",
    ),
    "general with an affine gain": (
        wrap(HINGE, '<actuator>\n<general joint="j" gaintype="affine" gainprm="1 2 3"/>\n</actuator>'),
        r"<string>:6: <general> attribute 'gaintype': only a fixed gain is supported .*got 'affine'",
    ),
    "general muscle bias": (
        wrap(HINGE, '<actuator>\n<general joint="j" biastype="muscle"/>\n</actuator>'),
        r"<string>:6: <general> attribute 'biastype': only biastype 'none' or 'affine' .*got 'muscle'",
    ),
    "general unknown type": (
        wrap(HINGE, '<actuator>\n<general joint="j" biastype="quadratic"/>\n</actuator>'),
        r"<string>:6: <general> attribute 'biastype': expected one of .*got 'quadratic'",
    ),
    "general tendon transmission": (
        wrap(HINGE, '<actuator>\n<general tendon="t"/>\n</actuator>'),
        r"<string>:6: <general> attribute 'tendon': unsupported attribute",
    ),
    "general with 11 gains": (
        wrap(HINGE, '<actuator>\n<general joint="j" gainprm="1 2 3 4 5 6 7 8 9 10 11"/>\n</actuator>'),
        r"<string>:6: <general> attribute 'gainprm': expected 1 to 10 numbers, got 11",
    ),
    "intvelocity default": (
        '<mujoco>\n<default>\n<intvelocity kp="1"/>\n</default>\n</mujoco>',
        r"<string>:3: <intvelocity>: unsupported element in <default>",
    ),
    "negative velocity kv": (
        wrap(HINGE, '<actuator>\n<velocity joint="j" kv="-2"/>\n</actuator>'),
        r"<string>:6: <velocity> attribute 'kv': kv must be non-negative, got -2",
    ),
    "exclude of an unknown body": (
        wrap(HINGE, '<contact>\n<exclude body1="b" body2="nope"/>\n</contact>'),
        r"<string>:6: <exclude> attribute 'body2': unknown body 'nope'",
    ),
    "exclude without body2": (
        wrap(HINGE, '<contact>\n<exclude body1="b"/>\n</contact>'),
        r"<string>:6: <exclude> attribute 'body2': required attribute missing",
    ),
    "contact pair with an unknown geom": (
        wrap(HINGE, '<contact>\n<pair geom1="a" geom2="b"/>\n</contact>'),
        r"<string>:6: <pair> attribute 'geom1': unknown geom 'a'",
    ),
    "unsupported contact element": (
        wrap(HINGE, "<contact>\n<flex/>\n</contact>"),
        r"<string>:6: <flex>: unsupported element in <contact> \(<exclude> and <pair> are supported\)",
    ),
    "key qpos too long": (
        wrap(HINGE, '<keyframe>\n<key qpos="0 1"/>\n</keyframe>'),
        r"<string>:6: <key> attribute 'qpos': expected at most nq=1 numbers, got 2",
    ),
    "key ctrl without actuators": (
        wrap(HINGE, '<keyframe>\n<key ctrl="0"/>\n</keyframe>'),
        r"<string>:6: <key> attribute 'ctrl': expected at most nu=0 numbers, got 1",
    ),
    "key act": (
        wrap(HINGE, '<keyframe>\n<key act="0"/>\n</keyframe>'),
        r"<string>:6: <key> attribute 'act': unsupported attribute",
    ),
    "repeated key name": (
        wrap(HINGE, '<keyframe>\n<key name="k"/>\n<key name="k"/>\n</keyframe>'),
        r"<string>:7: <key name='k'> attribute 'name': repeated name 'k'",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_mjcf_raises_clear_error(case):
    xml, pattern = BAD_CASES[case]
    with pytest.raises(MJCFError, match=pattern):
        load_mjcf(xml)


# MuJoCo rejects these too (it accepts a negative kp, and cannot compile a mesh with no vertices)
MUJOCO_ALSO_REJECTS = [
    "negative kv",
    "position without joint",
    "exclude of an unknown body",
    "exclude without body2",
    "key qpos too long",
    "key ctrl without actuators",
    "key act",
    "repeated key name",
    "general unknown type",
    "general with 11 gains",
]


@pytest.mark.parametrize("case", MUJOCO_ALSO_REJECTS)
def test_mujoco_also_rejects(case):
    with pytest.raises(ValueError):
        mujoco.MjModel.from_xml_string(BAD_CASES[case][0])
