"""MuJoCo's `<option><flag>`: the loader's disable / enable masks against MuJoCo's, and the simulator honouring the
flags that change the dynamics, stepped beside MuJoCo with each flag set.

The flags compared step by step: constraint, frictionloss, limit, contact, spring, damper, gravity, clampctrl,
actuation, refsafe, filterparent, eulerdamp, one at a time and in random pairs. The model has every term they switch
off: a free box on a plane, a hinge arm with damping, stiffness, friction loss, a limit and a servo whose control
exceeds its range, a child whose sphere overlaps its parent's capsule (filterparent), a limit stiffer than 2 h allows
(refsafe). 40 steps, qpos and qvel to 1e-4 of the state's scale (measured: <= 1e-6 in float32 but for the contacts
of the falling box).
"""

import itertools

import mujoco
import numpy as np
import pytest
import torch

from kernels.articulation import Simulator
from mjcf import MJCFError, load_mjcf
from mjcf.model import DISABLE_FLAGS, ENABLE_FLAGS
from mjcf.specs import UNSUPPORTED_ENABLE

HONOURED = (
    "constraint frictionloss limit contact spring damper gravity clampctrl actuation refsafe filterparent eulerdamp"
).split()
STEPS = 40
TOL = 1e-4

MODEL = """<mujoco>
  <option timestep="0.004">{flags}</option>
  <worldbody>
    <geom type="plane" size="5 5 0.1"/>
    <body pos="0.8 0 0.059"><freejoint/><geom type="box" size="0.1 0.08 0.06" mass="1"/></body>
    <body name="arm" pos="0 0 1">
      <joint name="shoulder" type="hinge" axis="0 1 0" damping="3" stiffness="30" springref="-0.4" frictionloss="0.2"
             range="-0.5 0.5" solreflimit="0.006 1"/>
      <geom type="capsule" fromto="0 0 0 0.4 0 0" size="0.05" mass="1"/>
      <body pos="0.4 0 0">
        <joint name="elbow" type="hinge" axis="0 1 0" damping="0.5"/>
        <geom type="sphere" pos="-0.1 0 0.08" size="0.06" mass="0.5"/>
      </body>
    </body>
  </worldbody>
  <actuator>
    <position joint="shoulder" kp="20" ctrlrange="-0.2 0.2" ctrllimited="true"/>
    <motor joint="elbow" gear="2" ctrlrange="-1 1" ctrllimited="true"/>
  </actuator>
</mujoco>"""


def _xml(disable=(), enable=()) -> str:
    attrs = " ".join([f'{n}="disable"' for n in disable] + [f'{n}="enable"' for n in enable])
    return MODEL.format(flags=f"<flag {attrs}/>" if attrs else "")


def _rollout(xml: str, through_loader: bool):
    ref = mujoco.MjModel.from_xml_string(xml)
    sim = Simulator(load_mjcf(xml) if through_loader else ref, 1, contacts=True, joint_limits=True)
    ctrl = np.array([0.45, 1.7])  # both beyond their ctrlrange: clampctrl matters
    qvel = np.zeros(ref.nv)
    qvel[6] = 2.0  # the arm swings into its limit
    d = mujoco.MjData(ref)
    d.qvel[:], d.ctrl[:] = qvel, ctrl
    sim.set_state(torch.tensor(ref.qpos0[None], dtype=torch.float32), torch.tensor(qvel[None], dtype=torch.float32))
    ct = torch.tensor(ctrl[None], dtype=torch.float32)
    ours, want = [], []
    for _ in range(STEPS):
        sim.step(ct)
        mujoco.mj_step(ref, d)
        q, v = (x.numpy()[0].copy() for x in sim.get_state())
        ours.append(np.concatenate([q, v]))
        want.append(np.concatenate([d.qpos, d.qvel]))
    return np.array(ours), np.array(want)


def _assert_close(ours, want):
    assert np.all(np.isfinite(want))
    np.testing.assert_allclose(ours, want, rtol=0, atol=TOL * max(1.0, np.abs(want).max()))


def test_the_loader_sets_mujocos_masks():
    rng = np.random.default_rng(0)
    names = [n for n in (*DISABLE_FLAGS, *ENABLE_FLAGS) if n not in UNSUPPORTED_ENABLE]
    for _ in range(40):
        chosen = rng.choice(names, size=int(rng.integers(1, 6)), replace=False)
        attrs = " ".join(f'{n}="{rng.choice(["enable", "disable"])}"' for n in chosen)
        xml = f"<mujoco><option><flag {attrs}/></option><worldbody/></mujoco>"
        ours, ref = load_mjcf(xml).opt, mujoco.MjModel.from_xml_string(xml).opt
        assert (ours.disableflags, ours.enableflags) == (ref.disableflags, ref.enableflags), attrs


@pytest.mark.parametrize("name", UNSUPPORTED_ENABLE)
def test_enable_flags_the_simulator_does_not_model_are_refused(name):
    with pytest.raises(MJCFError, match=f"attribute '{name}'"):
        load_mjcf(f'<mujoco><option><flag {name}="enable"/></option><worldbody/></mujoco>')
    m = mujoco.MjModel.from_xml_string("<mujoco><worldbody/></mujoco>")
    m.opt.enableflags |= ENABLE_FLAGS[name]
    with pytest.raises(NotImplementedError, match=name):
        Simulator(m, 1)


def test_every_honoured_flag_changes_this_model():
    # a flag test that passes with the flag ignored proves nothing: each flag moves MuJoCo's trajectory
    _, base = _rollout(_xml(), through_loader=False)
    for name in HONOURED:
        _, flagged = _rollout(_xml([name]), through_loader=False)
        assert np.abs(flagged - base).max() > 1e-3, name


@pytest.mark.parametrize("name", [None, *HONOURED])
def test_one_flag_against_mujoco(name):
    _assert_close(*_rollout(_xml([name] if name else []), through_loader=False))


@pytest.mark.parametrize("pair", list(itertools.combinations(HONOURED, 2))[::7])
def test_flag_pairs_through_the_loader_against_mujoco(pair):
    _assert_close(*_rollout(_xml(pair), through_loader=True))


def test_flags_without_an_effect_here_are_accepted():
    xml = _xml(["warmstart", "sensor", "midphase", "island", "nativeccd", "multiccd", "autoreset"], ["energy"])
    _assert_close(*_rollout(xml, through_loader=True))
