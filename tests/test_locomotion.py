"""Locomotion envs on the articulated simulator: observation layout and reward terms against Gymnasium's v5 envs
on the same state, termination and truncation, determinism across num_envs, randomized mass and friction."""

import gymnasium as gym
import mujoco
import numpy as np
import pytest
import torch
import warp as wp
from gymnasium.envs.mujoco.humanoid_v5 import mass_center

import envs
from mjcf import load_mjcf

DEVICE = "cpu"


@pytest.fixture(autouse=True)
def _mujoco_log_in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _actions(n: int, steps: int, num_actions: int, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(steps, n, num_actions, generator=gen) * 2 - 1


# env id -> (Gymnasium id, Gymnasium kwargs for the short observation (obs_layout="short"), expected reward terms,
# sizes with the default (v5) observation); the v5 blocks are checked in tests/test_v5_obs.py
SPECS = {
    "ant": (
        "Ant-v5",
        dict(include_cfrc_ext_in_observation=False),
        lambda ref, a, x_velocity, com_velocity: [
            x_velocity,
            ref.healthy_reward,
            -ref.control_cost(a),
            -ref.contact_cost,
        ],
        (105, 8, 29),
    ),
    "half_cheetah": (
        "HalfCheetah-v5",
        {},
        lambda ref, a, x_velocity, com_velocity: [x_velocity, -ref.control_cost(a)],
        (17, 6, 18),
    ),
    "hopper": (
        "Hopper-v5",
        {},
        lambda ref, a, x_velocity, com_velocity: [x_velocity, ref.healthy_reward, -ref.control_cost(a)],
        (11, 3, 12),
    ),
    "swimmer": (
        "Swimmer-v5",
        {},
        lambda ref, a, x_velocity, com_velocity: [x_velocity, -ref.control_cost(a)],
        (8, 2, 10),
    ),
    "walker2d": (
        "Walker2d-v5",
        {},
        lambda ref, a, x_velocity, com_velocity: [x_velocity, ref.healthy_reward, -ref.control_cost(a)],
        (17, 6, 18),
    ),
    # Humanoid's forward term is the center of mass's velocity (Gymnasium's mass_center)
    "humanoid": (
        "Humanoid-v5",
        {f"include_{k}_in_observation": False for k in ("cinert", "cvel", "qfrc_actuator", "cfrc_ext")},
        lambda ref, a, x_velocity, com_velocity: [
            1.25 * com_velocity,
            ref.healthy_reward,
            -_humanoid_ctrl_cost(ref, a),
            -ref.contact_cost,
        ],
        (348, 17, 47),
    ),
    # HumanoidStandup's: the torso's height over the MJCF timestep, + 1, its quadctrl and impact costs
    "humanoid_standup": (
        "HumanoidStandup-v5",
        {f"include_{k}_in_observation": False for k in ("cinert", "cvel", "qfrc_actuator", "cfrc_ext")},
        lambda ref, a, x_velocity, com_velocity: _standup_terms(ref, a),
        (348, 17, 47),
    ),
}


def _standup_terms(ref, a):
    ref.data.ctrl[:] = 0.4 * a  # HumanoidStandup-v5's costs read data.ctrl and data.cfrc_ext
    _, info = ref._get_rew(ref.data.qpos[2], a)
    return [info["reward_linup"], 1.0, info["reward_quadctrl"], info["reward_impact"]]


def _humanoid_ctrl_cost(ref, a):
    ref.data.ctrl[:] = 0.4 * a  # Gymnasium's Humanoid control cost reads data.ctrl (range +-0.4)
    return ref.control_cost(a)


@pytest.mark.parametrize("env_id", sorted(SPECS))
def test_asset_matches_gymnasium_v5_model(env_id):
    gym_id, _, _, sizes = SPECS[env_id]
    env = envs.make(env_id, num_envs=1, device=DEVICE, obs_layout="v5")
    ours = load_mjcf(envs.core.os.path.join(envs.core.ASSETS, env.asset))
    ref_env = gym.make(gym_id).unwrapped
    ref = ref_env.model
    for name in ("body_mass", "body_inertia", "body_pos", "jnt_range", "jnt_stiffness", "actuator_gear",
                 "actuator_ctrlrange", "qpos0", "dof_armature", "dof_damping", "geom_size", "geom_margin",
                 "geom_friction"):  # fmt: skip
        np.testing.assert_allclose(np.asarray(getattr(ours, name)), np.asarray(getattr(ref, name)), atol=1e-6)
    assert ours.opt.timestep == ref.opt.timestep
    assert (ours.opt.density, ours.opt.viscosity) == (ref.opt.density, ref.opt.viscosity)  # Swimmer's fluid
    assert env.dt == pytest.approx(ref_env.dt)
    assert (env.num_obs, env.num_actions, env.state_dim, env.max_episode_steps) == (*sizes, 1000)
    short = envs.make(env_id, num_envs=1, device=DEVICE, obs_layout="short")
    assert short.num_obs == gym.make(gym_id, **SPECS[env_id][1]).observation_space.shape[0]
    assert env.num_obs == ref_env.observation_space.shape[0]  # Gymnasium's default observation


@pytest.mark.parametrize("env_id", sorted(SPECS))
def test_observation_and_reward_terms_match_gymnasium_on_the_same_state(env_id):
    gym_id, gym_kwargs, expected_terms, (_, num_actions, _) = SPECS[env_id]
    n = 8
    env = envs.make(env_id, num_envs=n, device=DEVICE, seed=1, obs_layout="short")
    ref = gym.make(gym_id, **gym_kwargs).unwrapped
    nq = ref.model.nq
    ref.reset(seed=0)
    env.reset()
    clip = env.config.get("obs_qvel_clip")
    if clip is not None:  # two envs start fast enough that their observed velocities are clipped (Hopper, Walker2d)
        state = env.get_state().clone()
        signs = torch.tensor([1.0, -1.0]).repeat(ref.model.nv)[: ref.model.nv]
        state[:2, nq:] = 1.5 * clip * torch.stack([signs, -signs])
        env.set_state(state)
    acts = _actions(n, 10, num_actions)
    checked = clipped = 0
    for t in range(10):
        before = env.get_state().clone()
        obs, reward, terminated, truncated, info = env.step(acts[t])
        after = env.get_state()
        terms = info["reward_terms"]
        for i in range(n):
            if terminated[i] or truncated[i]:
                continue
            ref.set_state(before[i, :nq].double().numpy(), before[i, nq:].double().numpy())
            com_before = mass_center(ref.model, ref.data)[0]
            ref.set_state(after[i, :nq].double().numpy(), after[i, nq:].double().numpy())
            np.testing.assert_allclose(obs[i].numpy(), ref._get_obs(), rtol=1e-6, atol=1e-6)
            clipped += clip is not None and bool((after[i, nq:].abs() > clip).any())
            a = acts[t, i].numpy()
            x_velocity = (after[i, 0] - before[i, 0]).item() / ref.dt
            com_velocity = (mass_center(ref.model, ref.data)[0] - com_before) / ref.dt
            if "contact_cost" in env.reward_term_names:
                ref.data.cfrc_ext[:] = (
                    wp.to_torch(env._v5_arrays["cfrc_ext"])[i].double().numpy()
                )  # ours, their formula
            expected = expected_terms(ref, a, x_velocity, com_velocity)
            # float32 reward terms against Gymnasium's float64 on the same state: measured 2.4e-7 (the com-based forward
            # term, a difference of two float32 centers of mass over 15 ms: 1e-4)
            np.testing.assert_allclose(
                terms[i].numpy(), expected, rtol=1e-6, atol=2e-4 if env_id == "humanoid" else 2e-6
            )
            assert reward[i].item() == pytest.approx(terms[i].sum().item(), abs=1e-5)
            checked += 1
    assert checked > 50
    assert clip is None or clipped >= 2  # the clip was exercised, not only the range below it


def test_ant_terminates_when_unhealthy_and_truncates_at_the_time_limit():
    env = envs.make("ant", num_envs=3, device=DEVICE, max_episode_steps=4)
    env.reset()
    state = env.get_state().clone()
    state[1, 17] = 20.0  # torso flying up at 20 m/s: above healthy_z_range (1 m) after the step
    state[2, 2] = 1.5  # above it, and falling: still unhealthy after one step
    env.set_state(state)
    _, _, terminated, truncated, info = env.step(torch.zeros(3, 8))
    assert terminated.tolist() == [False, True, True]
    assert info["episode_length"][1].item() == 1
    assert info["reward_terms"][1, 1].item() == 0.0  # no healthy reward on the unhealthy step
    assert info["final_obs"][1, 0].item() > 1.0
    # the reset env starts again near qpos0
    assert abs(env.get_state()[1, 2].item() - 0.75) <= 0.1 + 1e-6
    for _ in range(3):
        _, _, terminated, truncated, _ = env.step(torch.zeros(3, 8))
    assert truncated[0] and not terminated[0]
    low = envs.make("ant", num_envs=2, device=DEVICE, healthy_z_range=(0.2, 0.5))  # qpos0's 0.75 m is unhealthy
    low.reset()
    assert low.step(torch.zeros(2, 8))[2].all()


def test_swimmer_env_steps_as_mujoco_euler_in_its_fluid():
    """Ten Swimmer env steps (4 x 10 ms each) from the env's reset states under random actions equal MuJoCo Euler's on
    Gymnasium's swimmer.xml: the fluid's drag (density 4000, viscosity 0.1) reaches the env's step. Measured 3.8e-6
    in the state (float32); MuJoCo without the fluid ends 2.6 away."""
    import mujoco

    n = 4
    env = envs.make("swimmer", num_envs=n, device=DEVICE, seed=2)
    env.reset()
    start = env.get_state().double().numpy()
    acts = _actions(n, 10, 2, seed=5)
    for a in acts:
        env.step(a)
    m = gym.make("Swimmer-v5").unwrapped.model
    m.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    d = mujoco.MjData(m)
    for i in range(n):
        mujoco.mj_resetData(m, d)
        d.qpos[:], d.qvel[:] = start[i, :5], start[i, 5:]
        for a in acts:
            d.ctrl[:] = a[i].numpy()
            for _ in range(4):
                mujoco.mj_step(m, d)
        np.testing.assert_allclose(env.get_state()[i].numpy(), np.concatenate([d.qpos, d.qvel]), atol=2e-4)


@pytest.mark.parametrize("env_id", ["hopper", "walker2d"])
def test_planar_walkers_terminate_as_gymnasium(env_id):
    """Hopper-v5 and Walker2d-v5 end an episode when the torso's height (rootz) or pitch (rooty) leaves its open range,
    Hopper-v5 also when any of concat(qpos, qvel)[2:] leaves (-100, 100): each case against Gymnasium's is_healthy on
    the state our step ended at (info["final_obs"] holds the clipped velocities, so the state is read before)."""
    gym_id = SPECS[env_id][0]
    ref = gym.make(gym_id).unwrapped
    nq, nu = ref.model.nq, ref.model.nu
    cases = {"upright": {}, "low": {1: 0.5}, "tilted": {2: 1.1 if env_id == "walker2d" else 0.3}}
    cases |= {"tilted back": {2: -1.2 if env_id == "walker2d" else -0.4}, "flung": {nq: 150.0}}
    env = envs.make(env_id, num_envs=len(cases), device=DEVICE)
    env.reset()
    state = env.get_state().clone()
    for i, change in enumerate(cases.values()):
        for col, value in change.items():
            state[i, col] = value
    env.set_state(state)
    stepped = envs.make(env_id, num_envs=len(cases), device=DEVICE)  # the same physics step, no autoreset
    stepped.reset()
    stepped.set_state(state)
    _, _, terminated, truncated, info = env.step(torch.zeros(len(cases), nu))
    stepped.sim.step(torch.zeros(len(cases), nu))
    after = torch.cat(stepped.sim.get_state(), dim=1)
    for i, name in enumerate(cases):
        ref.set_state(after[i, :nq].double().numpy(), after[i, nq:].double().numpy())
        assert bool(terminated[i]) == (not ref.is_healthy), name
        assert bool(terminated[i]) == (name != "upright" and (name != "flung" or env_id == "hopper")), name
        assert info["reward_terms"][i, 1].item() == (0.0 if terminated[i] else 1.0), name
    assert not truncated.any()


@pytest.mark.parametrize("env_id", sorted(SPECS))
def test_is_deterministic_across_num_envs(env_id):
    steps = 15
    knobs = dict(seed=7, mass_scale=(0.8, 1.2), friction_scale=(0.5, 1.5), obs_noise_std=0.01, action_delay=(0, 1))
    small = envs.make(env_id, num_envs=3, device=DEVICE, **knobs)
    large = envs.make(env_id, num_envs=9, device=DEVICE, **knobs)
    acts = _actions(9, steps, SPECS[env_id][3][1], seed=3)
    small.reset()
    large.reset()
    np.testing.assert_array_equal(small.observations.numpy(), large.observations[:3].numpy())
    for t in range(steps):
        o_s, r_s, *_ = small.step(acts[t, :3].contiguous())
        o_l, r_l, *_ = large.step(acts[t])
        np.testing.assert_array_equal(o_s.numpy(), o_l[:3].numpy())
        np.testing.assert_array_equal(r_s.numpy(), r_l[:3].numpy())


def test_ant_mass_friction_and_strength_scales_reach_the_simulator():
    env = envs.make("ant", num_envs=16, device=DEVICE, seed=0, mass_scale=(0.5, 1.5), friction_scale=(0.2, 0.4),
                    strength_scale=(0.6, 0.9))  # fmt: skip
    env.reset()
    priv = env.info["privileged_obs"]
    assert priv.shape == (16, 13)  # scales first (envs/ant.py's privileged layout)
    assert ((priv[:, 0] >= 0.5) & (priv[:, 0] <= 1.5)).all() and priv[:, 0].std() > 0.05
    assert ((priv[:, 2] >= 0.6) & (priv[:, 2] <= 0.9)).all() and priv[:, 2].std() > 0.05
    rows = [wp.to_torch(a) for a in (env.sim.body_mass_scale, env.sim.geom_friction_scale, env.sim.actuator_gear_scale)]
    for k, row in enumerate(rows):
        np.testing.assert_allclose(row.numpy(), priv[:, k : k + 1].expand(16, row.shape[1]).numpy())


@pytest.mark.parametrize("env_id", ["ant", "half_cheetah", "humanoid"])
def test_motor_strength_scales_the_torque(env_id):
    # torque = gear * strength * ctrl: strength s with action a is the physics of strength 1 with action s * a, up to
    # the rounding of the action-to-ctrl map; the control cost is of the action, so only the state is compared
    n, steps, nu = 4, 5, SPECS[env_id][3][1]
    weak, full, same = (envs.make(env_id, num_envs=n, device=DEVICE, seed=2, strength_scale=s) for s in (0.5, 1, 1))
    for env in (weak, full, same):
        env.reset()
    np.testing.assert_array_equal(weak.get_state().numpy(), full.get_state().numpy())
    assert weak.sim.actuator_gear_scale.shape == (1, nu)  # a fixed strength: one row shared by every env
    for a in _actions(n, steps, nu, seed=5):
        weak.step(a)
        full.step(0.5 * a)
        same.step(a)
        np.testing.assert_allclose(weak.get_state().numpy(), full.get_state().numpy(), rtol=1e-3, atol=1e-3)
    assert (weak.get_state() - same.get_state()).abs().max() > 1e-2  # and the strength matters


def test_ant_perturbation_knobs_and_set_state():
    env = envs.make("ant", num_envs=4, device=DEVICE, obs_noise_std=0.1, action_noise_std=0.1, action_delay=(0, 2))
    env.reset()
    clean = envs.make("ant", num_envs=4, device=DEVICE)
    clean.reset()
    state = clean.get_state().clone()
    env.set_state(state)
    q, v = env.sim.get_state()
    np.testing.assert_array_equal(q.numpy(), state[:, :15].numpy())
    np.testing.assert_array_equal(v.numpy(), state[:, 15:].numpy())
    obs, *_ = env.step(torch.zeros(4, 8))
    assert torch.isfinite(obs).all()
    assert set(env.action_delays.tolist()) <= {0, 1, 2}


@pytest.mark.parametrize("env_id", sorted(SPECS))
def test_random_actions_with_autoreset_stay_finite(env_id):
    # a sanity check of the whole pipeline: random actions, autoreset, no NaN
    n = 64
    env = envs.make(env_id, num_envs=n, device=DEVICE, seed=0, max_episode_steps=25)
    env.reset()
    for a in _actions(n, 60, SPECS[env_id][3][1]):
        obs, reward, *_ = env.step(a)
        assert torch.isfinite(obs).all() and torch.isfinite(reward).all()


def test_mujoco_reference_model_loads():
    # guards the MuJoCo-side reference used above
    assert mujoco.MjModel.from_xml_path(envs.core.os.path.join(envs.core.ASSETS, "ant.xml")).nq == 15


def test_physics_module_is_built_for_short_compiles():
    # first-run compile is user time (DESIGN.md): the simulator kernel must not be unrolled nor differentiated;
    # measured first-run times are in results/ant_throughput.md (tests never assert on wall-clock time)
    envs.make("ant", num_envs=1, device=DEVICE)
    options = wp.get_module("kernels.forward").options
    assert options["max_unroll"] == 1 and options["enable_backward"] is False
    assert wp.get_module("kernels.contact").options["max_unroll"] == 1


@wp.kernel
def _all_finite_kernel(values: wp.array[wp.vec3], out: wp.array[int]):
    i = wp.tid()
    out[i] = int(envs.core.all_finite(values[i]))


def test_all_finite_flags_nan_and_inf():
    values = wp.array([[0.0, 1.0, -2.0], [0.0, np.nan, 0.0], [np.inf, 0.0, 0.0]], dtype=wp.vec3, device=DEVICE)
    out = wp.full(3, -1, dtype=int, device=DEVICE)
    wp.launch(_all_finite_kernel, 3, inputs=[values, out], device=DEVICE)
    assert out.numpy().tolist() == [1, 0, 0]
