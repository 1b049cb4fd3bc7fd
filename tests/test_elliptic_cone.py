"""MuJoCo's elliptic friction cone (``<option cone="elliptic">``, kernels.elliptic) against MuJoCo C.

The Menagerie's quadrupeds (go1, go2, a1, anymal_b, spot) ask for it. The same random scenes as the pyramid's tests
(test_spin_roll_friction: free bodies of every geom type and condim 1, 3, 4, 6 on a plane, bodies stacked on each
other and on a world box, legged chains with condim-6 feet under motors), stepped once from random spinning and
sliding states beside mj_step under the elliptic cone: qvel to float32 rounding, where MuJoCo's own pyramid on the same
model differs by far more. A box sliding to rest and a standing leg at impratio 100 follow MuJoCo over whole rollouts.
"""

import mujoco
import numpy as np
import pytest
import torch
from test_spin_roll_friction import NUM_STATES, _bodies_xml, _legs_xml, _one_step, _stack_xml, cfrc_ext_one_step

from kernels.articulation import Simulator
from mjcf import load_mjcf

SCENES = {"plane": _bodies_xml, "stack": _stack_xml, "legs": _legs_xml}


def _elliptic(xml: str) -> str:
    assert 'cone="pyramidal"' in xml
    return xml.replace('cone="pyramidal"', 'cone="elliptic"')


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("scene", sorted(SCENES))
@pytest.mark.parametrize("pipeline", ["fused", "split"])
def test_one_step_matches_mujocos_elliptic_cone(scene, seed, pipeline):
    """qvel after one step within 1e-4 of the velocity scale (measured: 7e-7 to 2.6e-5, the legs' motors the
    largest); MuJoCo's pyramid on the same model moves a quarter of the states or more by 20x that."""
    xml = _elliptic(SCENES[scene](seed))
    ctrl_scale = 1.0 if scene == "legs" else 0.0
    ref = mujoco.MjModel.from_xml_string(xml)
    ours, want, dims = _one_step(ref, ref, seed, ctrl_scale, pipeline)
    assert dims - {1}, dims  # frictional contacts, whose cone is the elliptic one
    tol = 1e-4 * max(1.0, np.abs(want).max())
    np.testing.assert_allclose(ours, want, rtol=0, atol=tol)
    pyramid = mujoco.MjModel.from_xml_string(xml.replace('cone="elliptic"', 'cone="pyramidal"'))
    _, want_pyramid, _ = _one_step(pyramid, pyramid, seed, ctrl_scale, pipeline)
    assert np.sum(np.abs(want_pyramid - want).max(axis=1) > 20 * tol) >= NUM_STATES // 4


@pytest.mark.parametrize("scene", ["plane", "stack"])
def test_contact_forces_enter_cfrc_ext_as_mujocos(scene):
    """The contacts' force and torque (each row's force in the contact frame, mj_contactForce) on each body as
    MuJoCo's cfrc_ext after one step from the random spinning states."""
    ref = mujoco.MjModel.from_xml_string(_elliptic(SCENES[scene](2)))
    ours, _without, want = cfrc_ext_one_step(ref, 2)
    scale = np.abs(want).max()
    assert scale > 1.0
    np.testing.assert_allclose(ours, want, rtol=0, atol=1e-4 * scale)


def _rollout(xml: str, qvel0: np.ndarray, steps: int, pipeline: str = "fused"):
    """qpos over `steps` steps from the model's qpos0 and qvel0, ours (float32) and MuJoCo's."""
    ref = mujoco.MjModel.from_xml_string(xml)
    d = mujoco.MjData(ref)
    d.qvel[:] = qvel0
    sim = Simulator(load_mjcf(xml), 1, contacts=True, joint_limits=True, pipeline=pipeline)
    sim.set_state(torch.tensor(d.qpos[None], dtype=torch.float32), torch.tensor(qvel0[None], dtype=torch.float32))
    ours, want = [], []
    for _ in range(steps):
        sim.step(torch.zeros(1, ref.nu))
        mujoco.mj_step(ref, d)
        ours.append(sim.get_state()[0][0].numpy().copy())
        want.append(d.qpos.copy())
    return np.array(ours), np.array(want)


@pytest.mark.parametrize("impratio", [1.0, 100.0])
@pytest.mark.parametrize("pipeline", ["fused", "split"])
def test_a_box_sliding_to_rest_follows_mujoco(impratio, pipeline):
    """A box thrown sideways and spinning slides (the cone's middle zone), slows and sticks (its top and bottom
    zones): the whole path within 1e-4 m of MuJoCo's; under the pyramid it stops elsewhere."""
    xml = f"""<mujoco><option cone="elliptic" impratio="{impratio}" timestep="0.002"/>
      <worldbody><geom type="plane" size="5 5 .1" friction="0.6"/>
      <body pos="0 0 0.049"><freejoint/><geom type="box" size="0.1 0.06 0.05" mass="1" friction="0.6"/></body>
      </worldbody></mujoco>"""
    qvel0 = np.array([1.5, 0.7, 0.0, 0.0, 0.0, 3.0])
    ours, want = _rollout(xml, qvel0, 400, pipeline)
    assert np.linalg.norm(want[-1, :2] - want[0, :2]) > 0.1  # it slid
    assert np.abs(ours - want).max() < 1e-4, np.abs(ours - want).max()
    _, pyramid = _rollout(xml.replace("elliptic", "pyramidal"), qvel0, 400, pipeline)
    assert np.abs(pyramid[-1, :2] - want[-1, :2]).max() > 1e-3


def test_a_leg_standing_at_impratio_100_follows_mujoco():
    """A go1-like contact (condim 6 sphere foot, impratio 100) under a loaded hinge leg: 500 steps within 1e-5 of
    MuJoCo's qpos."""
    xml = """<mujoco><option cone="elliptic" impratio="100" timestep="0.004"/>
      <worldbody><geom type="plane" size="5 5 .1"/>
      <body pos="0 0 0.3"><joint type="slide" axis="0 0 1"/><joint type="slide" axis="1 0 0"/>
        <geom type="box" size="0.1 0.05 0.03" mass="3"/>
        <body><joint type="hinge" axis="0 1 0" range="-1 1" stiffness="40" springref="0.3"/>
          <geom type="capsule" fromto="0 0 0 0.05 0 -0.25" size="0.02" mass="0.3" contype="0" conaffinity="0"/>
          <geom type="sphere" pos="0.05 0 -0.25" size="0.025" condim="6" friction="0.8 0.02 0.01"/>
        </body></body></worldbody></mujoco>"""
    ours, want = _rollout(xml, np.zeros(3), 500)
    assert np.abs(ours - want).max() < 1e-5, np.abs(ours - want).max()


def test_the_tiled_pipeline_refuses_the_elliptic_cone_and_contacts_off_ignore_it():
    xml = (
        '<mujoco><option cone="elliptic"/><worldbody><geom type="plane" size="1 1 .1"/><body><freejoint/>'
        '<geom size="0.1"/></body></worldbody></mujoco>'
    )
    with pytest.raises(ValueError, match="pyramidal friction cone only"):
        Simulator(load_mjcf(xml), 1, contacts=True, pipeline="split_tiled")
    assert Simulator(load_mjcf(xml), 1, contacts=True)._elliptic
    assert not Simulator(load_mjcf(xml), 1, contacts=False)._elliptic


def test_cone_cost_benchmark_steps_both_cones(tmp_path):
    """benchmarks/cone_cost.py's timing of one file under each cone runs (its figures are in docs/throughput.md)."""
    from benchmarks.cone_cost import steps_per_second

    path = tmp_path / "ball.xml"
    path.write_text(
        '<mujoco><option cone="elliptic"/><worldbody><body pos="0 0 0.1"><freejoint/><geom size="0.1" condim="6"/>'
        "</body></worldbody></mujoco>"
    )
    from benchmarks.mjcf_sim2sim import with_floor

    text = with_floor(path.read_text(), str(path))
    qpos = np.array([0, 0, 0.1, 1, 0, 0, 0], dtype=float)
    for cone in (0, 1):
        assert np.isfinite(steps_per_second(text, qpos, np.zeros(0), cone, num_envs=2, steps=2))


def test_anymal_c_under_the_elliptic_cone_does_not_diverge_at_low_friction(monkeypatch):
    """ANYmal C's feet (impratio 100, solimp dmax 1: the normal's D at MuJoCo's cap, the friction rows' 100 times
    that) under random actions and friction scaled down to 0.02, the env's asset switched to the elliptic cone: no
    NaN in float32 (the pyramid needed its normal's stiffness capped for this, kernels/contact.py)."""
    import envs
    import envs.anymal_c
    import envs.articulated

    def elliptic(*args, **kwargs):
        model = load_mjcf(*args, **kwargs)
        model.opt.cone = 1
        return model

    for module in (envs.anymal_c, envs.articulated):
        monkeypatch.setattr(module, "load_mjcf", elliptic)
    env = envs.make("anymal_c", num_envs=8, device="cpu", seed=7, friction_scale=(0.02, 1.5), max_episode_steps=25)
    assert env.sim._elliptic
    gen = torch.Generator().manual_seed(0)
    for _ in range(100):
        _obs, reward, *_ = env.step(torch.rand((8, 12), generator=gen) * 2 - 1)
        assert torch.isfinite(reward).all()
    assert torch.isfinite(env.sim.get_state()[1]).all()
