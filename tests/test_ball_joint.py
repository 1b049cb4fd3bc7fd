"""Ball joints against MuJoCo C: kinematics, dynamics and the quaternion update.

A ball joint's qpos is a unit quaternion (w, x, y, z) of the body's rotation about the joint's anchor, not relative
to qpos0; its three dofs are angular velocities about the body's own axes (MuJoCo's mj_kinematics, mj_comPos,
mj_comVel, mj_integratePos). Random trees mixing ball, hinge, slide and free joints (balls off their body's origin,
damped, with armature and friction loss) are stepped from random states, with and without a floor, by every
pipeline and compared with mj_step. A ball's spring and its cone limit are refused
(tests/test_articulation.py::test_unsupported_features_raise).
"""

import mujoco
import numpy as np
import pytest
import torch

from kernels.articulation import Simulator
from mjcf import load_mjcf

NUM_STATES = 16
STEPS = 100


def _tree_xml(seed: int, floor: bool) -> str:
    """A random tree of capsules and boxes, at least two ball joints, some hinges and slides, maybe a free root."""
    rng = np.random.default_rng(seed)

    def vec(scale=1.0):
        return " ".join(f"{x:.4f}" for x in rng.normal(size=3) * scale)

    nbody = int(rng.integers(3, 7))
    parent = [-1] + [int(rng.integers(0, i)) for i in range(1, nbody)]
    # the root's joint (unless free) and two or more balls below it
    below = ["ball", "ball"] + [str(rng.choice(["ball", "hinge", "slide"])) for _ in range(nbody - 3)]
    rng.shuffle(below)
    kinds = [str(rng.choice(["ball", "hinge"]))] + below
    bodies = []
    for b in range(nbody):
        if b == 0 and rng.random() < 0.5:
            joint = "<freejoint/>"
        else:
            attrs = f'type="{kinds[b]}" damping="{rng.uniform(0, 0.3):.3f}" armature="{rng.uniform(0, 0.02):.4f}"'
            if kinds[b] != "ball":
                attrs += f' axis="{vec()}"'
            if rng.random() < 0.6:
                attrs += f' pos="{vec(0.05)}"'
            if rng.random() < 0.3:
                attrs += f' frictionloss="{rng.uniform(0.01, 0.2):.3f}"'
            joint = f"<joint {attrs}/>"
        # the limbs touch the floor only (contype 1, conaffinity 0): no self-collisions
        geom = (
            f'<geom type="capsule" fromto="0 0 0 {vec(0.15)}" size="0.04" mass="{rng.uniform(0.3, 2):.3f}"'
            if rng.random() < 0.6
            else f'<geom type="box" size="0.05 0.08 0.04" pos="{vec(0.05)}" euler="{vec(30)}" mass="1"'
        ) + ' contype="1" conaffinity="0"/>'

        bodies.append((joint, geom))

    def body(b):
        pos = f"0 0 {0.6 if floor else 1.0}" if b == 0 else vec(0.2)
        kids = "".join(body(c) for c in range(nbody) if parent[c] == b)
        return f'<body pos="{pos}">{bodies[b][0]}{bodies[b][1]}{kids}</body>'

    ground = '<geom type="plane" size="5 5 .1" contype="1" conaffinity="1"/>' if floor else ""
    return f'<mujoco><option timestep="0.005"/><worldbody>{ground}{body(0)}</worldbody></mujoco>'


def _random_states(m, seed: int):
    rng = np.random.default_rng(seed)
    qpos = np.tile(m.qpos0, (NUM_STATES, 1))
    qvel = rng.normal(size=(NUM_STATES, m.nv)) * 2
    for j in range(m.njnt):
        a = m.jnt_qposadr[j]
        if m.jnt_type[j] == mujoco.mjtJoint.mjJNT_BALL:
            q = rng.normal(size=(NUM_STATES, 4))
            qpos[:, a : a + 4] = q / np.linalg.norm(q, axis=1, keepdims=True)
        elif m.jnt_type[j] != mujoco.mjtJoint.mjJNT_FREE:
            qpos[:, a] += rng.uniform(-0.3, 0.3, NUM_STATES)
    return qpos, qvel


def _compare(model, ref: mujoco.MjModel, seed: int, contacts: bool, pipeline: str, steps: int = STEPS) -> int:
    """Both from the same random states; returns MuJoCo's contacts summed over the steps. With contacts, only the
    states that start clear of the floor (a limb starting deep in it is a test of deep penetration, not of the
    joint)."""
    if not contacts:
        ref.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT
    qpos, qvel = _random_states(ref, seed)
    if contacts:
        d = mujoco.MjData(ref)
        clear = []
        for i in range(NUM_STATES):
            d.qpos[:], d.qvel[:] = qpos[i], qvel[i]
            mujoco.mj_forward(ref, d)
            clear.append(d.ncon == 0)
        assert sum(clear) >= 4, sum(clear)
        keep = np.flatnonzero(clear)[:4]
        qpos, qvel = np.tile(qpos[keep], (NUM_STATES // 4, 1)), np.tile(qvel[keep], (NUM_STATES // 4, 1))
    sim = Simulator(model, NUM_STATES, contacts=contacts, pipeline=pipeline)
    sim.set_state(torch.tensor(qpos, dtype=torch.float32), torch.tensor(qvel, dtype=torch.float32))
    for _ in range(steps):
        sim.step()
    q, v = (x.numpy() for x in sim.get_state())
    d = mujoco.MjData(ref)
    ncon = 0
    for i in range(NUM_STATES):
        mujoco.mj_resetData(ref, d)
        d.qpos[:], d.qvel[:] = qpos[i], qvel[i]
        for _ in range(steps):
            mujoco.mj_step(ref, d)
            ncon += d.ncon
        # a quaternion and its negative are one rotation: align the signs of the ball and free quaternions
        want = d.qpos.copy()
        for j in range(ref.njnt):
            a = ref.jnt_qposadr[j] + (3 if ref.jnt_type[j] == mujoco.mjtJoint.mjJNT_FREE else 0)
            if ref.jnt_type[j] in (mujoco.mjtJoint.mjJNT_BALL, mujoco.mjtJoint.mjJNT_FREE):
                if want[a : a + 4] @ q[i, a : a + 4] < 0:
                    want[a : a + 4] *= -1
        scale = max(1.0, np.abs(d.qvel).max())
        np.testing.assert_allclose(q[i], want, rtol=0, atol=1e-3)
        np.testing.assert_allclose(v[i], d.qvel, rtol=0, atol=1e-3 * scale)
    return ncon


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("pipeline", ["fused", "split"])
def test_ball_joint_trees_follow_mujoco(seed, pipeline):
    """Without contacts: 100 steps of 5 ms from random states (measured 2.8e-5 on a two-ball tree)."""
    ref = mujoco.MjModel.from_xml_string(_tree_xml(seed, floor=False))
    assert np.sum(ref.jnt_type == mujoco.mjtJoint.mjJNT_BALL) >= 2
    _compare(ref, ref, seed, False, pipeline)


@pytest.mark.parametrize("seed", range(3))
def test_ball_joint_trees_through_load_mjcf(seed):
    xml = _tree_xml(seed, floor=False)
    _compare(load_mjcf(xml), mujoco.MjModel.from_xml_string(xml), seed, False, "fused")


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("pipeline", ["fused", "split_tiled"])
def test_ball_joint_trees_falling_on_a_floor_follow_mujoco(seed, pipeline):
    """With contacts: the limbs swing into the floor (or the free tree falls on it); 80 steps (0.4 s)."""
    xml = _tree_xml(seed, floor=True)
    ref = mujoco.MjModel.from_xml_string(xml)
    assert _compare(load_mjcf(xml), ref, seed, True, pipeline, steps=80) > 0  # the floor is reached


def test_a_ball_pendulum_swings_as_mujocos_one_step_at_a_time():
    """A ball pendulum off its anchor, at a general orientation: each of 50 steps within 1e-5 of MuJoCo's."""
    xml = """<mujoco><option timestep="0.01"/><worldbody><body pos="0 0 1">
      <joint type="ball" pos="0 0 0.2" damping="0.05"/><geom type="capsule" fromto="0 0 0 0.3 0.1 -0.2" size="0.05"/>
      </body></worldbody></mujoco>"""
    ref = mujoco.MjModel.from_xml_string(xml)
    d = mujoco.MjData(ref)
    d.qpos[:] = np.array([0.8, 0.3, -0.4, 0.33]) / np.linalg.norm([0.8, 0.3, -0.4, 0.33])
    d.qvel[:] = [1.0, -2.0, 0.5]
    sim = Simulator(load_mjcf(xml), 1)
    sim.set_state(torch.tensor(d.qpos[None], dtype=torch.float32), torch.tensor(d.qvel[None], dtype=torch.float32))
    for _ in range(50):
        mujoco.mj_step(ref, d)
        sim.step()
        q, v = (x[0].numpy() for x in sim.get_state())
        np.testing.assert_allclose(q * np.sign(q @ d.qpos), d.qpos, atol=1e-5)
        np.testing.assert_allclose(v, d.qvel, atol=1e-4)
