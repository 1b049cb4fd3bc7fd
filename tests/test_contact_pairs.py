"""Explicit contact pairs (``<contact><pair>``, MuJoCo's predefined pairs): geoms that collide whatever their contype /
conaffinity, with the pair's own condim, friction, solref, solimp and margin (MuJoCo 4.0's defaults where not given,
not the geoms' mix), the geoms' dynamic pair not added beside them. MuJoCo Playground's G1 (g1_mjx_feetonly.xml)
collides its feet with the floor this way (its geoms contype 0). Against mj_step, loaded from the MJCF and from a
mujoco.MjModel, fused and split."""

import mujoco
import numpy as np
import pytest
import torch

from kernels.articulation import Simulator
from mjcf import load_mjcf

SCENE = """<mujoco><option timestep="0.002" cone="{cone}"/>
  <default><pair friction="0.3 0.3 0.01 0.001 0.001"/><default class="grippy"><pair condim="6"/></default></default>
  <worldbody><geom name="floor" type="plane" size="5 5 .1" friction="1"/>
    <body pos="0 0 0.2"><freejoint/>
      <geom name="box" type="box" size="0.1 0.08 0.05" friction="1" contype="0" conaffinity="0"/></body>
    <body pos="0.5 0 0.2"><freejoint/><geom name="ball" size="0.06"/></body>
    <body pos="0.55 0.02 0.4"><freejoint/><geom name="ball2" size="0.05" contype="0" conaffinity="0"/></body>
  </worldbody>
  <contact>
    <pair geom1="box" geom2="floor" condim="4"/>
    <pair geom1="ball2" geom2="ball" class="grippy" friction="0.8 0.8 0.02 0.005 0.005"/>
    <pair geom1="ball" geom2="floor" margin="0.01" solref="0.01 1"/>
    <pair name="last" geom1="ball2" geom2="floor" friction="0.5 0.5"/>
  </contact></mujoco>"""
FIELDS = ("pair_geom1", "pair_geom2", "pair_dim", "pair_friction", "pair_solref", "pair_solreffriction", "pair_solimp",
          "pair_margin", "pair_gap", "pair_signature")  # fmt: skip


def _rollout(xml: str, loader: str, pipeline: str, steps: int = 300):
    ref = mujoco.MjModel.from_xml_string(xml)
    d = mujoco.MjData(ref)
    d.qvel[:] = np.random.default_rng(0).normal(size=ref.nv) * 0.5
    sim = Simulator(load_mjcf(xml) if loader == "mjcf" else ref, 1, contacts=True, pipeline=pipeline)
    sim.set_state(torch.tensor(d.qpos[None], dtype=torch.float32), torch.tensor(d.qvel[None], dtype=torch.float32))
    err, ncon = 0.0, 0
    for _ in range(steps):
        sim.step(torch.zeros(1, 0))
        mujoco.mj_step(ref, d)
        err, ncon = max(err, float(np.abs(sim.get_state()[0][0].numpy() - d.qpos).max())), max(ncon, d.ncon)
    return err, ncon, d.qpos.copy()


def test_pair_fields_are_mujocos():
    """Geoms swapped to body order, pairs sorted by body signature (stable), a default class's values and MuJoCo's
    defaults filling what a pair leaves out (a lone friction value: the rest from the defaults)."""
    for xml in (SCENE.format(cone="pyramidal"), SCENE.format(cone="pyramidal").replace('"0.5 0.5"', '"0.5"')):
        ref, ours = mujoco.MjModel.from_xml_string(xml), load_mjcf(xml)
        assert ours.npair == ref.npair == 4
        for name in FIELDS:
            np.testing.assert_allclose(getattr(ours, name), getattr(ref, name), err_msg=name)
    # (0.5, 0.3, ...): two sliding coefficients, which the rows here do not represent
    with pytest.raises(NotImplementedError, match="anisotropic friction"):
        Simulator(ours, 1, contacts=True)


@pytest.mark.parametrize("cone", ["pyramidal", "elliptic"])
@pytest.mark.parametrize("loader", ["mjcf", "mjmodel"])
@pytest.mark.parametrize("pipeline", ["fused", "split"])
def test_explicit_pairs_follow_mujoco(cone, loader, pipeline):
    """A box and a ball that collide with nothing by their contype (0) fall, tumble and slide on explicit pairs (the
    floor at condim 4 and its default class's low friction; the balls at condim 6): 300 steps within 3e-5 m of
    MuJoCo's qpos (measured 7e-6), six contacts at the most; without the pairs the box falls through the floor."""
    xml = SCENE.format(cone=cone)
    err, ncon, want = _rollout(xml, loader, pipeline)
    assert err < 3e-5 and ncon >= 4, (err, ncon)
    _, _, without = _rollout(xml.split("<contact>")[0] + "</mujoco>", loader, pipeline)
    assert np.abs(without - want).max() > 0.5


def test_a_pair_overrides_the_geoms_mix():
    """The pair's friction replaces the geoms' (their own pair is not added beside it): a box thrown along the floor
    slides as far as MuJoCo's on the pair's 0.2, farther than on the geoms' 1.0."""
    base = """<mujoco><worldbody><geom name="floor" type="plane" size="5 5 .1" friction="1"/>
      <body pos="0 0 0.05"><freejoint/><geom name="box" type="box" size="0.1 0.1 0.05" friction="1"/></body>
      </worldbody>{pairs}</mujoco>"""
    qvel = np.array([2.0, 0, 0, 0, 0, 0])
    far = []
    for pairs in ("", '<contact><pair geom1="floor" geom2="box" friction="0.2 0.2 0.005 0.0001 0.0001"/></contact>'):
        xml = base.format(pairs=pairs)
        ref = mujoco.MjModel.from_xml_string(xml)
        d = mujoco.MjData(ref)
        d.qvel[:] = qvel
        sim = Simulator(load_mjcf(xml), 1, contacts=True)
        sim.set_state(torch.tensor(d.qpos[None], dtype=torch.float32), torch.tensor(qvel[None], dtype=torch.float32))
        for _ in range(500):
            sim.step(torch.zeros(1, 0))
            mujoco.mj_step(ref, d)
        assert abs(float(sim.get_state()[0][0, 0]) - d.qpos[0]) < 1e-4
        far.append(d.qpos[0])
    assert far[1] > far[0] + 0.3, far


@pytest.mark.parametrize(
    "contact, match",
    [
        ('<pair geom1="a"/>', "geom2.*required attribute missing"),
        ('<pair geom1="a" geom2="nope"/>', "unknown geom 'nope'"),
        ('<pair geom1="a" geom2="b" condim="2"/>', "condim must be 1, 3, 4 or 6"),
        ('<pair geom1="a" geom2="b" rgba="1 0 0 1"/>', "unsupported attribute"),
    ],
)
def test_bad_pairs_are_refused_with_the_line(contact, match):
    xml = f"""<mujoco><worldbody><body><freejoint/><geom name="a" size="0.1"/></body>
      <body pos="1 0 0"><freejoint/><geom name="b" size="0.1"/></body></worldbody>
      <contact>{contact}</contact></mujoco>"""
    with pytest.raises(ValueError, match=match):
        load_mjcf(xml)


ROBOT = """<mujoco model="robot"><compiler angle="radian"/>
  <default><default class="leg"><geom contype="0" conaffinity="0"/><joint damping="0.5"/></default></default>
  <worldbody><body name="base" pos="0 0 0.3" childclass="leg"><freejoint/><geom type="box" size="0.15 0.1 0.04"/>
    <body pos="0.1 0 -0.04"><joint name="j1" axis="0 1 0" range="-1 1"/>
      <geom name="foot1" type="capsule" fromto="0 0 0 0 0 -0.2" size="0.02"/></body>
    <body pos="-0.1 0 -0.04"><joint name="j2" axis="0 1 0" range="-1 1"/>
      <geom name="foot2" type="capsule" fromto="0 0 0 0 0 -0.2" size="0.02"/></body></body></worldbody>
  <contact><pair geom1="foot1" geom2="floor" friction="0.6 0.6"/><pair geom1="foot2" geom2="floor"/></contact>
  <actuator><position joint="j1" kp="20"/><position joint="j2" kp="20"/></actuator>
  <keyframe><key name="home" qpos="0 0 0.3 1 0 0 0 0.2 -0.2" ctrl="0.2 -0.2"/></keyframe>
</mujoco>"""
SCENE_FILE = """<mujoco model="scene"><include file="parts/robot.xml"/>
  <worldbody><geom name="floor" type="plane" size="0 0 0.05"/></worldbody>
  <keyframe><key name="crouch" qpos="0 0 0.25 1 0 0 0 0.5 -0.5"/></keyframe>
</mujoco>"""


def test_an_included_robot_with_pairs_to_the_scenes_floor_loads_and_steps_as_mujocos(tmp_path):
    """MuJoCo Playground's layout: a scene file includes the robot's (paths relative to the scene), whose pairs name the
    scene's floor; the fields equal MuJoCo's loading the same files, and 200 steps from each keyframe follow mj_step
    within 1e-5 m."""
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "robot.xml").write_text(ROBOT)
    (tmp_path / "scene.xml").write_text(SCENE_FILE)
    ref, ours = mujoco.MjModel.from_xml_path(str(tmp_path / "scene.xml")), load_mjcf(tmp_path / "scene.xml")
    assert ours.nkey == ref.nkey == 2 and ours.npair == ref.npair == 2
    for name in FIELDS + ("key_qpos", "body_pos", "geom_contype"):
        np.testing.assert_allclose(getattr(ours, name), getattr(ref, name), err_msg=name)
    d = mujoco.MjData(ref)
    for key in range(ref.nkey):
        mujoco.mj_resetDataKeyframe(ref, d, key)
        sim = Simulator(ours, 1, contacts=True, joint_limits=True)
        sim.set_state(torch.tensor(d.qpos[None], dtype=torch.float32), torch.zeros(1, ref.nv))
        ctrl = torch.tensor(d.ctrl[None], dtype=torch.float32)
        for _ in range(200):
            sim.step(ctrl)
            mujoco.mj_step(ref, d)
        assert d.ncon >= 2 and np.abs(sim.get_state()[0][0].numpy() - d.qpos).max() < 1e-5


def test_include_errors_name_the_file_and_line(tmp_path):
    (tmp_path / "a.xml").write_text('<mujoco><include file="b.xml"/><include file="b.xml"/></mujoco>')
    (tmp_path / "b.xml").write_text("<mujoco><worldbody/></mujoco>")
    with pytest.raises(ValueError, match=r"a.xml:1: <include> attribute 'file': 'b.xml' is included twice"):
        load_mjcf(tmp_path / "a.xml")
    (tmp_path / "c.xml").write_text('<mujoco>\n<include file="missing.xml"/></mujoco>')
    with pytest.raises(ValueError, match=r"c.xml:2: <include> attribute 'file': cannot read"):
        load_mjcf(tmp_path / "c.xml")
