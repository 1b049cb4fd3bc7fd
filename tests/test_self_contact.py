"""Geom-geom contacts between bodies of one env against MuJoCo on small MJCF files: boxes resting on boxes, capsules
and spheres (rest height, contact count), a box sliding on a box with and without friction (condim 3 / 1), two
capsule limbs of one tree pressed together with friction, and the pair list by MuJoCo's rules.

Our rows are MuJoCo's soft constraints in the same active-set Newton solve as the ground's (kernels/constraint.py
``pair_collide`` / ``pair_rows`` / ``pair_update``); the contact points are MuJoCo's for sphere, capsule and the
face-on cases of boxes that these scenes make (kernels/contact.py ``box_box_point``).
"""

import mujoco
import numpy as np
import pytest
import torch
import warp as wp

from kernels.articulation import Simulator
from kernels.contact import box_box_axis, box_box_point, segment_nearest
from kernels.io import _self_pairs
from kernels.types import GEOM_BOX
from mjcf import load_mjcf


@pytest.fixture(autouse=True)
def _mujoco_log_in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MuJoCo writes MUJOCO_LOG.TXT into the working directory on warnings


def _pair_count(m: mujoco.MjModel, d: mujoco.MjData) -> int:
    """MuJoCo's contacts between two geoms of which neither is the plane."""
    return sum(1 for c in d.contact[: d.ncon] if m.geom_type[c.geom[0]] != 0 and m.geom_type[c.geom[1]] != 0)


def _run_both(xml: str, steps: int, qvel0=None, num_envs: int = 1):
    m = mujoco.MjModel.from_xml_string(xml)
    d = mujoco.MjData(m)
    sim = Simulator(load_mjcf(xml), num_envs, contacts=True)
    if qvel0 is not None:
        d.qvel[:] = qvel0
        q = torch.tensor(np.tile(d.qpos, (num_envs, 1)), dtype=torch.float32)
        sim.set_state(q, torch.tensor(np.tile(d.qvel, (num_envs, 1)), dtype=torch.float32))
    for _ in range(steps):
        mujoco.mj_step(m, d)
        sim.step()
    return m, d, sim


# The lower body of each scene, static (welded to the world) unless it has a joint; a box (0.1 x 0.08 x 0.05 half
# sizes, yawed 20 degrees) or a capsule falls onto it from 0.3 m and rests there after 1.5 s.
FALLING_BOX = '<geom type="box" size="0.1 0.08 0.05"/>'
DROPS = {
    # face on face, the upper face inside the lower: its four corners
    "box-on-box": ('<geom type="box" size="0.2 0.2 0.05"/>', FALLING_BOX),
    # the lower face inside the upper, turned 45 degrees: the overlap octagon's corners, 6 inside the margin
    "box-on-small-box": ('<geom type="box" size="0.06 0.06 0.05" euler="0 0 45"/>', FALLING_BOX),
    # the lower box free on the floor: box-box and box-plane contacts together
    "box-on-free-box": ('<freejoint/><geom type="box" size="0.2 0.2 0.05"/>', FALLING_BOX),
    # two capsules longer than the box: two points each where they leave its face
    "box-on-capsules": (
        '<geom type="capsule" size="0.05" fromto="-0.3 0 0 0.3 0 0"/>'
        '<geom type="capsule" size="0.05" fromto="-0.3 0.15 0 0.3 0.15 0"/>',
        '<geom type="box" size="0.2 0.15 0.04"/>',
    ),
    "capsule-on-box": (
        '<geom type="box" size="0.3 0.3 0.05"/>',
        '<geom type="capsule" size="0.04" fromto="-0.1 0 0.01 0.1 0 -0.01"/>',
    ),
    "sphere-on-box": ('<geom type="box" size="0.3 0.3 0.05"/>', '<geom type="sphere" size="0.05"/>'),
}


def _drop_xml(lower: str, upper: str) -> str:
    return (
        '<mujoco><option timestep="0.005"/><worldbody><geom type="plane" size="5 5 .1"/>'
        f'<body pos="0 0 0.05">{lower}</body>'
        f'<body pos="0.03 0.02 0.3" euler="0 0 20"><freejoint/>{upper}</body>'
        "</worldbody></mujoco>"
    )


# Rest height of the falling body after 1.5 s, ours vs MuJoCo (Euler, 5 ms). Measured differences: 2e-5 to 5e-5 mm
# over the six scenes, and the same number of geom-geom contact points as MuJoCo in each (4, 6, 4, 4, 2, 1).
# Tolerance 0.01 mm (the issue asks for 1 mm); one point per capsule under the box instead of MuJoCo's two tilted
# it by 0.56 mm.
@pytest.mark.parametrize("scene", sorted(DROPS))
def test_body_dropped_on_another_body_rests_as_in_mujoco(scene):
    m, d, sim = _run_both(_drop_xml(*DROPS[scene]), 300)
    q = sim.get_state()[0].numpy()[0]
    z = m.jnt_qposadr[-1] + 2
    assert d.qpos[z] > 0.1  # it rests on the lower body, not on the floor
    assert abs(q[z] - d.qpos[z]) < 1e-5, (q[z], d.qpos[z])
    assert int((sim.pair_dcoef.numpy()[0] > 0).sum()) == _pair_count(m, d)


# A capsule dropped along a groove of two parallel static capsules rests on two points per pair, as MuJoCo's
# mjraw_CapsuleCapsule gives parallel axes (its end caps against the other segment). Measured: rest height 4e-8 m from
# MuJoCo's, 4 points as MuJoCo's 4; with one point per pair (the closest points of the segments) it tilted and rested
# 8.2 mm lower. Off the middle (the capsule's end past the groove's) both simulators rock it end to end, so only the
# case that comes to rest is compared.
def test_capsule_along_parallel_capsules_rests_on_two_points_per_pair_as_in_mujoco():
    xml = (
        '<mujoco><option timestep="0.005"/><worldbody><geom type="plane" size="5 5 .1"/>'
        '<body pos="0 0 0.05"><geom type="capsule" size="0.04" fromto="-0.3 0.06 0 0.3 0.06 0"/>'
        '<geom type="capsule" size="0.04" fromto="-0.3 -0.06 0 0.3 -0.06 0"/></body>'
        '<body pos="0.03 0 0.25"><freejoint/><geom type="capsule" size="0.04" fromto="-0.2 0 0 0.2 0 0"/></body>'
        "</worldbody></mujoco>"
    )
    m, d, sim = _run_both(xml, 300)
    q = sim.get_state()[0].numpy()[0]
    assert d.qpos[2] > 0.1  # in the groove, not on the floor
    assert abs(q[2] - d.qpos[2]) < 1e-5, (q[2], d.qpos[2])
    assert int((sim.pair_dcoef.numpy()[0] > 0).sum()) == _pair_count(m, d) == 4


def _slide_xml(condim: int) -> str:
    return (
        '<mujoco><option timestep="0.005"/><worldbody><geom type="plane" size="5 5 .1"/>'
        '<body pos="0 0 0.05"><geom type="box" size="2 0.5 0.05" friction="0.4"/></body>'
        f'<body pos="0 0 0.1495"><freejoint/><geom type="box" size="0.1 0.1 0.05" condim="{condim}"/></body>'
        "</worldbody></mujoco>"
    )


# A box thrown at 2 m/s along a static box, both geoms of the given condim (MuJoCo mixes condim as the max): with
# condim 3 (the pair's friction is the max, 1.0) it stops after v0^2 / (2 mu g) = 0.20 m; with condim 1 it keeps
# its speed. Measured: MuJoCo stops it at 0.2007 m, ours within 1e-9 m of that; condim 1 travels 1.5 m in 0.75 s
# in both (ours 1e-6 m off). Tolerance 1 mm on the distance, 0.01 mm on the height.
@pytest.mark.parametrize("condim", [1, 3])
def test_box_sliding_on_box_decelerates_as_in_mujoco(condim):
    xml = _slide_xml(condim).replace('friction="0.4"', f'friction="0.4" condim="{condim}"')
    qvel0 = np.zeros(6)
    qvel0[0] = 2.0
    m, d, sim = _run_both(xml, 150, qvel0)
    q, v = (x.numpy()[0] for x in sim.get_state())
    if condim == 3:
        assert abs(d.qvel[0]) < 1e-3 and abs(v[0]) < 1e-3
        assert 0.15 < d.qpos[0] < 0.25
    else:
        assert d.qvel[0] > 1.99 and v[0] > 1.99
    assert abs(q[0] - d.qpos[0]) < 1e-3, (q[0], d.qpos[0])
    assert abs(q[2] - d.qpos[2]) < 1e-5


def _limbs_xml(condim: int) -> str:
    # one tree: a root turning about z (damped) carries a limb on a hinge about x, pushed by its motor against a
    # crossing bar on a vertical slide, which its own motor pushes down along the limb: friction resists the slide
    return (
        '<mujoco><option timestep="0.005" gravity="0 0 0"/><worldbody><body name="root">'
        '<joint name="yaw" type="hinge" axis="0 0 1" damping="1"/><geom type="sphere" size="0.02" contype="0"/>'
        '<body name="limb"><joint name="push" type="hinge" axis="1 0 0"/>'
        f'<geom type="capsule" size="0.04" fromto="0 0 0 0 0 -0.4" condim="{condim}" friction="0.5"/></body>'
        '<body name="bar" pos="0 0.085 -0.2"><joint name="slide" type="slide" axis="0 0 1"/>'
        f'<geom type="capsule" size="0.04" fromto="-0.2 0 0 0.2 0 0" condim="{condim}" friction="0.5"/></body>'
        '</body></worldbody><actuator><motor joint="push" gear="2"/><motor joint="slide" gear="3"/></actuator>'
        "</mujoco>"
    )


# The limb presses the bar with ~9 N; the bar's motor pushes it along the limb with 3 N, less than the friction
# bound 0.5 x 9 N. Measured after 0.5 s: with condim 3 the bar creeps 3.3 mm in MuJoCo (the soft pyramid) and ours
# is within 1e-8 m of every qpos; with condim 1 it slides 0.154 m in both (4e-8 m apart); our force on the bar has
# a tangential part of 2.78 N with condim 3, 5e-7 N with condim 1. Tolerance 1e-4 m on every qpos.
@pytest.mark.parametrize("condim", [1, 3])
def test_limbs_of_one_tree_pressed_together_take_friction_as_in_mujoco(condim):
    xml = _limbs_xml(condim)
    m = mujoco.MjModel.from_xml_string(xml)
    d = mujoco.MjData(m)
    sim = Simulator(load_mjcf(xml), 1, contacts=True)
    ctrl = np.array([1.0, -1.0])
    d.ctrl[:] = ctrl
    for _ in range(100):
        mujoco.mj_step(m, d)
        sim.step(torch.tensor(ctrl[None], dtype=torch.float32))
    q = sim.get_state()[0].numpy()[0]
    assert _pair_count(m, d) == 1 and int((sim.pair_dcoef.numpy()[0] > 0).sum()) == 1
    np.testing.assert_allclose(q, d.qpos, rtol=0, atol=1e-4)
    slide = q[2]
    frc = sim.pair_frc.numpy()[0][0]
    normal = sim.pair_normal.numpy()[0][0]
    tangential = np.linalg.norm(frc - np.dot(frc, normal) * normal)
    if condim == 3:
        assert abs(slide) < 5e-3
        assert tangential > 2.5, tangential
    else:
        assert slide < -0.1
        assert tangential < 1e-4


PAIR_RULES_XML = """
<mujoco><worldbody>
  <geom name="floor" type="plane" size="5 5 .1"/>
  <geom name="wall" type="box" size="0.1 1 1" pos="2 0 1"/>
  <body name="torso" pos="0 0 1"><freejoint/>
    <geom name="torso_box" type="box" size="0.2 0.1 0.1"/>
    <body name="arm" pos="0.3 0 0"><joint type="hinge" axis="0 1 0"/>
      <geom name="arm_cap" type="capsule" size="0.04" fromto="0 0 0 0.3 0 0"/>
      <body name="hand" pos="0.3 0 0"><joint type="hinge" axis="0 1 0"/>
        <geom name="hand_ball" type="sphere" size="0.05"/>
        <body name="finger" pos="0.05 0 0"><geom name="finger_box" type="box" size="0.02 0.02 0.02"/></body>
      </body>
    </body>
    <body name="leg" pos="0 0 -0.3"><joint type="hinge" axis="0 1 0"/>
      <geom name="leg_cap" type="capsule" size="0.05" fromto="0 0 0 0 0 -0.3"/>
      <geom name="leg_ghost" type="sphere" size="0.03" contype="2" conaffinity="2"/>
    </body>
    <body name="tail" pos="-0.3 0 0"><joint type="hinge" axis="0 0 1"/>
      <geom name="tail_cap" type="capsule" size="0.03" fromto="0 0 0 -0.3 0 0" contype="2" conaffinity="1"/>
    </body>
  </body>
  <body name="crate" pos="0.43 0 1"><freejoint/><geom name="crate_box" type="box" size="0.25 0.25 0.25"/></body>
  <body name="post" pos="-1 0 0.5"><geom name="post_cap" type="capsule" size="0.05" fromto="0 0 -0.5 0 0 0.5"/></body>
</worldbody>
<contact><exclude body1="leg" body2="arm"/></contact>
</mujoco>
"""


def test_pair_list_is_mujocos_candidate_list():
    """With margins too large to miss anything, MuJoCo's contacts between two non-plane geoms are exactly the pairs
    its filters keep (contype/conaffinity, weld and parent-child filters, <contact><exclude>, static-static); our
    pair list must be the same set. The model has each rule: a leg/arm exclude, a finger welded to its hand, a
    ghost geom in another collision class, a tail colliding one way only, static world and child-of-world geoms."""
    # the margin in the MJCF: MuJoCo sizes its broad phase's bounding volumes with it when it compiles. Boxes 1 m
    # apart with it are missed by its box-box test, so the crate overlaps the torso and the finger.
    m = mujoco.MjModel.from_xml_string(
        PAIR_RULES_XML.replace("<worldbody>", '<default><geom margin="10"/></default><worldbody>', 1)
    )
    d = mujoco.MjData(m)
    mujoco.mj_forward(m, d)
    theirs = {
        (min(c.geom), max(c.geom)) for c in d.contact[: d.ncon] if m.geom_type[c.geom[0]] and m.geom_type[c.geom[1]]
    }
    ours = {(min(a, b), max(a, b)) for a, b, *_ in _self_pairs(load_mjcf(PAIR_RULES_XML), True, 0.002)}
    assert theirs == {(int(a), int(b)) for a, b in theirs}
    assert ours == {(int(a), int(b)) for a, b in theirs}, (ours - theirs, theirs - ours)
    name = {mujoco.mj_id2name(m, mujoco.mjtObj.mjOBJ_GEOM, i): i for i in range(m.ngeom)}
    # the rules the model exercises, so that a vacuous match (both empty) cannot pass
    assert (name["arm_cap"], name["leg_cap"]) not in ours  # <contact><exclude>
    assert (name["hand_ball"], name["finger_box"]) not in ours  # one weld body
    assert (name["torso_box"], name["arm_cap"]) not in ours  # parent-child
    assert (name["wall"], name["post_cap"]) not in ours  # both static
    assert (name["torso_box"], name["hand_ball"]) in ours and (name["wall"], name["crate_box"]) in ours


def test_box_contacts_are_identical_across_num_envs():
    """Env 0 of a batch steps exactly as a batch of one (one thread per env, no shared state)."""
    xml = _drop_xml(*DROPS["box-on-small-box"])
    one = Simulator(load_mjcf(xml), 1, contacts=True)
    many = Simulator(load_mjcf(xml), 3, contacts=True)
    q, v = (x.clone() for x in many.get_state())
    v[1:, 0] = torch.tensor([0.3, -0.2])
    many.set_state(q, v)
    for _ in range(120):
        one.step()
        many.step()
    assert torch.equal(one.get_state()[0][0], many.get_state()[0][0])


@wp.kernel
def _box_box_kernel(
    c1: wp.vec3,
    r1: wp.mat33,
    h1: wp.vec3,
    c2: wp.vec3,
    r2: wp.mat33,
    h2: wp.vec3,
    dist: wp.array[float],
    pos: wp.array[wp.vec3],
    count: wp.array[int],
):
    pen, normal, kind = box_box_axis(c1, r1, h1, c2, r2, h2)
    slot = int(0)  # noqa: UP018 (a Warp variable the loop may change, not a constant)
    if pen > 0.0:
        for k in range(16):
            valid, d, p = box_box_point(c1, r1, h1, c2, r2, h2, normal, kind, pen, k)
            if valid and d < 0.0 and slot < 8:
                dist[slot] = d
                pos[slot] = p
                slot += 1
    count[0] = slot


# Two boxes (0.4 x 0.3 x 0.2 and 0.24 x 0.2 x 0.16 m) in 40 random poses (20 tilted by a few degrees from
# face-to-face, 20 at random orientations), box 2 moved along a random direction until MuJoCo's deepest contact is at
# the given depth; MuJoCo's mjc_BoxBox points (mj_forward) against ``box_box_point``. Measured at 2 mm: the same
# number of points in all 40 (35 x 1, 5 x 2), every MuJoCo point within 1e-6 m of one of ours, depths within 3.4e-8
# m. At 1 cm: the same counts (25 x 1, 8 x 2, 6 x 3, 1 x 4), 39 poses within 1e-6 m; one edge-edge pose 2.2 mm and
# 0.31 mm of depth off (our edge case: one point midway between the support edges, not MuJoCo's construction).
@pytest.mark.parametrize("depth, off_poses", [(0.002, 0), (0.01, 1)])
def test_box_box_points_match_mujoco_in_random_poses(depth, off_poses):
    rng = np.random.default_rng(0)
    h1, h2 = np.array([0.2, 0.15, 0.1]), np.array([0.12, 0.1, 0.08])
    xml = (
        '<mujoco><option gravity="0 0 0"/><worldbody>'
        f'<body><freejoint/><geom type="box" size="{h1[0]} {h1[1]} {h1[2]}"/></body>'
        f'<body><freejoint/><geom type="box" size="{h2[0]} {h2[1]} {h2[2]}"/></body></worldbody></mujoco>'
    )
    m = mujoco.MjModel.from_xml_string(xml)
    d = mujoco.MjData(m)
    dist, pos = wp.zeros(8, dtype=float, device="cpu"), wp.zeros(8, dtype=wp.vec3, device="cpu")
    count = wp.zeros(1, dtype=int, device="cpu")
    off = 0
    for trial in range(40):
        q1, q2 = rng.normal(size=4), rng.normal(size=4)
        if trial < 20:
            q1, q2 = np.array([1, *rng.normal(scale=0.05, size=3)]), np.array([1, *rng.normal(scale=0.05, size=3)])
        q1, q2 = q1 / np.linalg.norm(q1), q2 / np.linalg.norm(q2)
        direction = rng.normal(size=3)
        direction /= np.linalg.norm(direction)
        lo, hi = 0.0, 2.0
        for _ in range(40):
            mid = (lo + hi) / 2
            d.qpos[:] = [0, 0, 0, *q1, *(mid * direction), *q2]
            mujoco.mj_forward(m, d)
            if d.ncon and min(c.dist for c in d.contact[: d.ncon]) < -depth:
                lo = mid
            else:
                hi = mid
        d.qpos[:] = [0, 0, 0, *q1, *(lo * direction), *q2]
        mujoco.mj_forward(m, d)
        frames = [(wp.vec3(*d.geom_xpos[g]), wp.mat33(*d.geom_xmat[g])) for g in range(2)]
        args = [frames[0][0], frames[0][1], wp.vec3(*h1), frames[1][0], frames[1][1], wp.vec3(*h2), dist, pos, count]
        wp.launch(_box_box_kernel, 1, inputs=args, device="cpu")
        n = int(count.numpy()[0])
        assert n == d.ncon, (trial, n, d.ncon)
        theirs = np.array([c.pos for c in d.contact[: d.ncon]])
        nearest = max(np.linalg.norm(pos.numpy()[:n] - t, axis=1).min() for t in theirs)
        depths = np.abs(np.sort(dist.numpy()[:n]) - np.sort([c.dist for c in d.contact[: d.ncon]])).max()
        off += nearest > 1e-5 or depths > 1e-6
    assert off == off_poses


def test_a_pair_the_rows_cannot_represent_is_refused_not_dropped():
    # a mesh and a capsule that may collide (their contype / conaffinity bits meet) but never touch the ground:
    # MuJoCo collides them (its general convex collider on the mesh's hull); the pair rows cover sphere, capsule,
    # ellipsoid, cylinder and box, so the simulator refuses the model
    xml = """<mujoco><asset><mesh name="tet" vertex="0 0 0  .1 0 0  0 .1 0  0 0 .1"/></asset>
      <worldbody><geom type="plane" size="5 5 .1" contype="1" conaffinity="1"/>
      <body pos="0 0 .5"><freejoint/><geom type="capsule" size=".05 .2" contype="3" conaffinity="3"/></body>
      <body pos="0.3 0 .5"><freejoint/><geom type="mesh" mesh="tet" contype="2" conaffinity="2"/></body>
    </worldbody></mujoco>"""
    m = mujoco.MjModel.from_xml_string(xml)
    with pytest.raises(NotImplementedError, match=r"contacts support sphere, capsule, ellipsoid, cylinder and box"):
        Simulator(m, 1, contacts=True)
    Simulator(m, 1, contacts=False)
    # with bits that no longer meet, the pair is gone and the model is accepted
    Simulator(mujoco.MjModel.from_xml_string(xml.replace('contype="2" conaffinity="2"', 'contype="4" conaffinity="4"')),
              1, contacts=True)  # fmt: skip


@wp.kernel
def _segment_box_kernel(a0: wp.vec3, a1: wp.vec3, c: wp.vec3, r: wp.mat33, h: wp.vec3, out: wp.array[wp.vec3]):
    out[0] = segment_nearest(a0, a1, c, r, h, GEOM_BOX, 32)


def _unit(rng):
    q = rng.normal(size=4)
    return q / np.linalg.norm(q)


def test_segment_nearest_a_box_is_the_brute_force_minimum_in_random_poses():
    """The capsule segment's point nearest a box (deepest in it where they overlap), against a dense search of the
    box's signed distance along the segment, in 300 random poses: within 1e-5 m of the minimum. Alternating
    projections (the method before) stalled more than 1 mm off in 73 of these poses after 8 rounds."""
    rng = np.random.default_rng(1)
    h = np.array([0.12, 0.1, 0.08])
    out = wp.zeros(1, dtype=wp.vec3, device="cpu")

    def signed(p, c, rot):
        local = rot.T @ (p - c)
        gap = local - np.clip(local, -h, h)
        return np.linalg.norm(gap) if np.any(gap) else -np.min(h - np.abs(local))

    for _ in range(300):
        rot = np.zeros(9)
        mujoco.mju_quat2Mat(rot, _unit(rng))
        rot = rot.reshape(3, 3)
        c = rng.normal(size=3) * 0.15
        axis = _unit(rng)[1:] * 0.15
        a0, a1 = -axis, axis
        inputs = [wp.vec3(*a0), wp.vec3(*a1), wp.vec3(*c), wp.mat33(*rot.flatten()), wp.vec3(*h), out]
        wp.launch(_segment_box_kernel, 1, inputs=inputs, device="cpu")
        ours = signed(out.numpy()[0], c, rot)
        best = min(signed(a0 + s * (a1 - a0), c, rot) for s in np.linspace(0, 1, 4001))
        assert ours <= best + 1e-5, (ours, best)


def test_capsule_box_contact_exists_exactly_where_mujocos_does_in_random_poses():
    """A capsule against a box in 120 random poses at 2 mm, 1 cm and 3 cm of MuJoCo's deepest penetration and 40
    clear of it: a contact wherever MuJoCo has one and none where it has none (before the exact nearest point, 6 of
    the 40 poses at 2 mm had none). The second point follows a simpler rule than MuJoCo's mjc_CapsuleBox (both ends
    of the segment's part over a face, where the nearest box point lies on that face), so counts may differ by one."""
    want, points, _ = _pair_poses(
        '<geom type="capsule" size="0.04" fromto="-0.15 0 0 0.15 0 0"/>', '<geom type="box" size="0.12 0.1 0.08"/>', 0
    )
    counts = [len(w) for w in want]
    assert sum(c > 0 for c in counts) == 120 and sum(c == 0 for c in counts[120:]) == 40
    for i, (p, n_mj) in enumerate(zip(points, counts, strict=True)):
        assert (len(p) > 0) == (n_mj > 0), (i, len(p), n_mj)
        assert abs(len(p) - n_mj) <= 1, (i, len(p), n_mj)


def _pair_poses(first: str, second: str, seed: int, depths=(0.002, 0.01, 0.03, -1.0)):
    """Geom `first` against geom `second` (two free bodies) in 40 poses per depth of MuJoCo's deepest penetration (a
    negative depth: 3 cm clear of the first touch), half tilted a few degrees from aligned, half at random, the second
    body moved along a random direction by bisection; per pose MuJoCo's contacts (position, normal) and ours, taken by
    one substep at the state set."""
    xml = (
        '<mujoco><option gravity="0 0 0"/><worldbody>'
        f"<body><freejoint/>{first}</body><body><freejoint/>{second}</body>"
        "</worldbody></mujoco>"
    )
    m = mujoco.MjModel.from_xml_string(xml)
    d = mujoco.MjData(m)
    rng = np.random.default_rng(seed)
    poses, want = [], []
    for depth in depths:
        for trial in range(40):
            q1, q2 = _unit(rng), _unit(rng)
            if trial < 20:
                q1 = np.array([1, *rng.normal(scale=0.05, size=3)])
                q2 = np.array([1, *rng.normal(scale=0.05, size=3)])
                q1, q2 = q1 / np.linalg.norm(q1), q2 / np.linalg.norm(q2)
            direction = _unit(rng)[1:]
            direction /= np.linalg.norm(direction)
            lo, hi = 0.0, 2.0
            for _ in range(40):
                mid = (lo + hi) / 2
                d.qpos[:] = [0, 0, 0, *q1, *(mid * direction), *q2]
                mujoco.mj_forward(m, d)
                if d.ncon and min(c.dist for c in d.contact[: d.ncon]) < -depth:
                    lo = mid
                else:
                    hi = mid
            d.qpos[:] = [0, 0, 0, *q1, *((lo + (0.03 if depth < 0 else 0.0)) * direction), *q2]
            mujoco.mj_forward(m, d)
            poses.append(d.qpos.copy())
            want.append([(c.pos.copy(), c.frame[:3].copy()) for c in d.contact[: d.ncon]])
    sim = Simulator(load_mjcf(xml), len(poses), contacts=True)
    sim.set_state(torch.tensor(np.array(poses), dtype=torch.float32), torch.zeros(len(poses), 12))
    sim.step()  # one substep: its contact points are taken at the state set
    active = sim.pair_dcoef.numpy() > 0
    return (
        want,
        [sim.pair_point.numpy()[i][active[i]] for i in range(len(poses))],
        [sim.pair_normal.numpy()[i][active[i]] for i in range(len(poses))],
    )


def test_sphere_cylinder_contact_is_mujocos_in_random_poses():
    """MuJoCo's mjc_SphereCylinder (side, cap or rim, one point): the same contacts in 200 random poses (the last 40
    with the sphere's center inside the cylinder), positions within 1e-6 m and normals within 1e-5 (measured 5e-8 and
    7e-7)."""
    sphere, cylinder = '<geom type="sphere" size="0.06"/>', '<geom type="cylinder" size="0.1 0.08"/>'
    want, points, normals = _pair_poses(sphere, cylinder, 0, (0.002, 0.01, 0.03, -1.0, 0.08))
    assert sum(len(w) == 1 for w in want) == 160
    for w, p, n in zip(want, points, normals, strict=True):
        assert len(p) == len(w)
        if w:
            np.testing.assert_allclose(p[0], w[0][0], atol=1e-6)
            np.testing.assert_allclose(n[0], w[0][1], atol=1e-5)
