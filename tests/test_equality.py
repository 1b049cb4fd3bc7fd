"""Equality constraints (kernels/equality.py) against MuJoCo C: connect, weld and joint couplings.

Random scenes of hinge chains closed into loops by connect constraints, free and hinged bodies welded to others (random
anchors, relpose and torquescale), and slide / hinge joints coupled by random quartic polynomials, with random solref
and solimp, are stepped once from random states (the loops and welds violated by up to a few centimetres) beside
mj_step: qvel to float32 rounding, where the same scenes without the constraints differ by far more. MuJoCo's rows
include the Jdot qvel term it subtracts from a connect's and a weld's aref (mj_Jdotv); a closed four-bar linkage
then follows MuJoCo's over a second of motion.
"""

import mujoco
import numpy as np
import pytest
import torch

from kernels.articulation import Simulator
from mjcf import load_mjcf

NUM_STATES = 12


def _solver(rng) -> str:
    if rng.random() < 0.5:
        return ""
    return (
        f' solref="{rng.uniform(0.01, 0.05):.3f} {rng.uniform(0.5, 1.5):.2f}"'
        f' solimp="{rng.uniform(0.8, 0.9):.3f} {rng.uniform(0.92, 0.99):.3f} {rng.uniform(0.001, 0.02):.3f}"'
    )


def _scene_xml(seed: int) -> str:
    """A two-link chain whose tip is connected to a third hinged link (a loop), a free box welded to the chain's
    first link, a slide joint and a hinge coupled by a polynomial, and a free capsule welded to the world; gravity on,
    contacts off."""
    rng = np.random.default_rng(seed)
    axis = " ".join(f"{x:.3f}" for x in rng.normal(size=3))
    anchor = " ".join(f"{x:.3f}" for x in rng.uniform(-0.05, 0.05, 3))
    relpose = " ".join(f"{x:.3f}" for x in np.r_[rng.uniform(-0.1, 0.1, 3), rng.normal(size=4)])
    weld_world = "" if rng.random() < 0.5 else f' relpose="{relpose}"'
    poly = " ".join(f"{x:.3f}" for x in np.r_[rng.uniform(-0.1, 0.1), rng.uniform(-1, 1, 2), rng.uniform(-0.3, 0.3, 2)])
    return f"""<mujoco><option timestep="{rng.choice([0.002, 0.005])}"><flag contact="disable"/></option>
  <worldbody>
    <body name="a" pos="0 0 1"><joint name="j1" axis="0 1 0" damping="0.05"/>
      <geom type="capsule" fromto="0 0 0 0.5 0 0" size="0.03"/>
      <body name="b" pos="0.5 0 0"><joint name="j2" axis="0 1 0"/>
        <geom type="capsule" fromto="0 0 0 0.5 0 0" size="0.03"/></body></body>
    <body name="c" pos="1.0 0 1"><joint name="j3" axis="0 1 0"/>
      <geom type="capsule" fromto="0 0 0 0 0 -0.5" size="0.03"/></body>
    <body name="f" pos="0.2 0.4 1.1" euler="{" ".join(f"{x:.1f}" for x in rng.uniform(-30, 30, 3))}"><freejoint/>
      <geom type="box" size="0.1 0.05 0.04"/></body>
    <body name="g" pos="-0.4 0 0.8"><freejoint/><geom type="capsule" fromto="0 0 0 0.2 0 0" size="0.04"/></body>
    <body name="s" pos="0 -0.5 1"><joint name="s1" type="slide" axis="{axis}"/><geom type="sphere" size="0.05"/>
      <body name="s2" pos="0 0 -0.2"><joint name="h1" axis="1 0 0"/><geom type="sphere" size="0.05"/></body></body>
  </worldbody>
  <equality>
    <connect body1="b" body2="c" anchor="0.5 0 0"{_solver(rng)}/>
    <weld body1="f" body2="a" anchor="{anchor}" torquescale="{rng.uniform(0.2, 2):.2f}"{_solver(rng)}/>
    <weld body1="g"{weld_world}{_solver(rng)}/>
    <joint joint1="h1" joint2="s1" polycoef="{poly}"{_solver(rng)}/>
  </equality></mujoco>"""


def _states(ref: mujoco.MjModel, seed: int):
    rng = np.random.default_rng(seed + 100)
    qpos = np.tile(ref.qpos0, (NUM_STATES, 1))
    qpos[:, :3] += rng.normal(size=(NUM_STATES, 3)) * 0.05  # the loop's hinges off its closure
    qpos[:, 3:6] += rng.normal(size=(NUM_STATES, 3)) * 0.02  # the welded box off its weld
    return qpos, rng.normal(size=(NUM_STATES, ref.nv))


def _one_step(ref: mujoco.MjModel, qpos: np.ndarray, qvel: np.ndarray, pipeline: str, model=None):
    """qvel after one step from each state, ours (of `model`, default ref) and MuJoCo's."""
    sim = Simulator(ref if model is None else model, NUM_STATES, contacts=True, pipeline=pipeline)
    sim.set_state(torch.tensor(qpos, dtype=torch.float32), torch.tensor(qvel, dtype=torch.float32))
    sim.step(torch.zeros(NUM_STATES, 0))
    d = mujoco.MjData(ref)
    want = np.zeros_like(qvel)
    for i in range(NUM_STATES):
        mujoco.mj_resetData(ref, d)
        d.qpos[:], d.qvel[:] = qpos[i], qvel[i]
        mujoco.mj_step(ref, d)
        want[i] = d.qvel
    return sim.get_state()[1].numpy(), want


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("pipeline", ["fused", "split"])
def test_one_step_matches_mujoco(seed, pipeline):
    ref = mujoco.MjModel.from_xml_string(_scene_xml(seed))
    assert list(ref.eq_type) == [0, 1, 1, 2]
    qpos, qvel = _states(ref, seed)
    ours, want = _one_step(ref, qpos, qvel, pipeline)
    tol = 1e-4 * max(1.0, np.abs(want).max())
    np.testing.assert_allclose(ours, want, rtol=0, atol=tol)
    # the control: without the constraints the step is far off
    free = mujoco.MjModel.from_xml_string(_scene_xml(seed))
    free.eq_active0[:] = 0
    _, unconstrained = _one_step(free, qpos, qvel, pipeline)
    assert np.all(np.abs(unconstrained - want).max(axis=1) > 100 * tol)


@pytest.mark.parametrize("kind", ["connect", "weld", "joint"])
def test_each_kind_alone_matches_mujoco(kind):
    """One constraint at a time (the others inactive): each kind's rows, diagApprox and Jdot qvel on their own."""
    ref = mujoco.MjModel.from_xml_string(_scene_xml(7))
    keep = {"connect": [0], "weld": [1, 2], "joint": [3]}[kind]
    ref.eq_active0[:] = 0
    ref.eq_active0[keep] = 1
    qpos, qvel = _states(ref, 7)
    ours, want = _one_step(ref, qpos, qvel, "fused")
    np.testing.assert_allclose(ours, want, rtol=0, atol=1e-4 * max(1.0, np.abs(want).max()))


def test_four_bar_linkage_follows_mujoco():
    """A closed four-bar linkage (three hinged links, the coupler's end connected to the ground) swinging under
    gravity for one second: the loop stays closed and the motion is MuJoCo's."""
    xml = """<mujoco><option timestep="0.002"><flag contact="disable"/></option><worldbody>
      <body name="crank" pos="0 0 1"><joint name="a" axis="0 1 0" damping="0.01"/>
        <geom type="capsule" fromto="0 0 0 0.2 0 0.1" size="0.02"/>
        <body name="coupler" pos="0.2 0 0.1"><joint axis="0 1 0"/>
          <geom type="capsule" fromto="0 0 0 0.5 0 0" size="0.02"/>
          <body name="rocker" pos="0.5 0 0"><joint axis="0 1 0"/>
            <geom type="capsule" fromto="0 0 0 0 0 -0.3" size="0.02"/></body></body></body></worldbody>
      <equality><connect body1="rocker" body2="world" anchor="0 0 -0.3"/></equality></mujoco>"""
    ref = mujoco.MjModel.from_xml_string(xml)
    d = mujoco.MjData(ref)
    sim = Simulator(ref, 1)
    sim.set_state(torch.zeros(1, 3), torch.tensor([[3.0, 0.0, 0.0]]))
    d.qvel[0] = 3.0
    for _ in range(500):
        mujoco.mj_step(ref, d)
        sim.step(torch.zeros(1, 0))
    qpos = sim.get_state()[0][0].numpy()
    np.testing.assert_allclose(qpos, d.qpos, atol=2e-3)
    mujoco.mj_forward(ref, d)
    assert np.abs(d.efc_pos[:3]).max() < 2e-3  # the loop is (softly) closed


def test_loader_compiles_mujocos_eq_fields_and_steps_the_same():
    """mjcf.load_mjcf's eq_* fields equal MuJoCo's compiler's (a connect's second anchor, a weld's anchor in body 1 and
    relpose from the poses at qpos0 unless given, defaults from a default class), and the loaded model steps as
    MuJoCo's (its body_invweight0, rotational part included, computed here)."""
    for seed in range(4):
        xml = _scene_xml(seed).replace(
            "<worldbody>", '<default><equality solref="0.03 0.9"/><default class="stiff"><equality '
            'solimp="0.95 0.99 0.002"/></default></default><worldbody>'
        ).replace('<joint joint1="h1"', '<joint class="stiff" joint1="h1"')  # fmt: skip
        ref, ours = mujoco.MjModel.from_xml_string(xml), load_mjcf(xml)
        for name in ("eq_type", "eq_obj1id", "eq_obj2id", "eq_objtype", "eq_solref", "eq_solimp", "eq_active0"):
            np.testing.assert_array_equal(np.asarray(getattr(ours, name)), np.asarray(getattr(ref, name)), name)
        np.testing.assert_allclose(ours.eq_data, ref.eq_data[:, :11], atol=1e-12)
    qpos, qvel = _states(ref, 3)
    got, want = _one_step(ref, qpos, qvel, "fused", model=ours)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4 * max(1.0, np.abs(want).max()))


def test_unsupported_equalities_are_refused():
    base = """<mujoco><worldbody><body name="a"><joint name="j" type="{jt}"/><geom size=".1"/><site name="s1"/>
      </body><body name="b" pos="1 0 0"><joint name="k"/><geom size=".1"/><site name="s2"/></body></worldbody>
      <tendon><fixed name="t"><joint joint="k" coef="1"/></fixed></tendon><equality>{eq}</equality></mujoco>"""
    cases = [
        ("hinge", '<connect site1="s1" site2="s2"/>', "between sites"),
        ("hinge", '<tendon tendon1="t"/>', "mjtEq type 3"),
    ]
    for jt, eq, match in cases:
        ref = mujoco.MjModel.from_xml_string(base.format(jt=jt, eq=eq))
        with pytest.raises(NotImplementedError, match=match):
            Simulator(ref, 1)
    # inactive (eq_active0 0) or disabled equalities leave nothing to refuse
    ref = mujoco.MjModel.from_xml_string(base.format(jt="hinge", eq='<tendon tendon1="t" active="false"/>'))
    assert not Simulator(ref, 1)._equality
    xml = base.format(jt="hinge", eq='<connect site1="s1" site2="s2"/>')
    ref = mujoco.MjModel.from_xml_string(xml.replace("<worldbody>", '<option><flag equality="disable"/></option>'
                                                     "<worldbody>"))  # fmt: skip
    assert not Simulator(ref, 1)._equality
    with pytest.raises(ValueError, match="split_tiled"):
        Simulator(mujoco.MjModel.from_xml_string(_scene_xml(0)), 1, pipeline="split_tiled")
