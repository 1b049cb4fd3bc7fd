"""envs/anymal_c.py: observation layout and scales, each reward term against a hand computation (NumPy, MuJoCo's
kinematics for the feet) on constructed states, determinism across num_envs with randomization on, standing
under zero action, privileged observations and bad input.

The task functions are `@wp.func`; the unit tests run them through one-thread wrapper kernels on states built
here, so a term is checked alone, not through an episode.
"""

import functools
import os

import mujoco
import numpy as np
import pytest
import torch
import warp as wp

import envs
from envs.anymal_c import AIR, CMD, CONTACT, COUNT, KEY, LAST_ACT, STATE_DIM, TERMS, AnymalCConfig, anymal_funcs
from envs.core import ASSETS, _config_value

state_type = wp.types.vector(STATE_DIM, float)
obs_type = wp.types.vector(48, float)
terms_type = wp.types.vector(len(TERMS), float)
act_type = wp.types.vector(12, float)
scale_type = wp.types.vector(3, float)


@pytest.fixture(autouse=True)
def _mujoco_log_in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@functools.cache
def _env():
    return envs.make("anymal_c", num_envs=1, device="cpu", seed=0)


def _cfg(**overrides):
    env = _env()
    cfg = AnymalCConfig()
    for key, var in AnymalCConfig.vars.items():
        setattr(cfg, key, _config_value("anymal_c", key, {**env.config, **overrides}[key], var.type))
    return cfg, {**env.config, **overrides}


@functools.cache
def _wrappers():
    step, terminated, reset, observe = anymal_funcs()[0]

    @wp.kernel(module="unique", enable_backward=False)
    def step_one(
        cfg: AnymalCConfig,
        sc: scale_type,
        s: wp.array[state_type],
        s_phys: wp.array[state_type],
        a: wp.array[act_type],
        ns_out: wp.array[state_type],
        terms_out: wp.array[terms_type],
    ):
        ns, t = step(cfg, sc, s[0], s_phys[0], a[0])
        ns_out[0] = ns
        terms_out[0] = t

    @wp.kernel(module="unique", enable_backward=False)
    def observe_one(cfg: AnymalCConfig, sc: scale_type, s: wp.array[state_type], obs_out: wp.array[obs_type]):
        obs_out[0] = observe(cfg, sc, s[0])

    @wp.kernel(module="unique", enable_backward=False)
    def terminated_one(cfg: AnymalCConfig, sc: scale_type, s: wp.array[state_type], out: wp.array[int]):
        out[0] = int(terminated(cfg, sc, s[0]))

    return step_one, observe_one, terminated_one


def _arr(x, dtype):
    return wp.array(np.asarray(x, dtype=np.float32)[None], dtype=dtype, device="cpu")


def _run_step(cfg, sc, s, s_phys, a):
    ns = wp.full(1, np.inf, dtype=state_type, device="cpu")
    terms = wp.full(1, np.inf, dtype=terms_type, device="cpu")
    args = [cfg, scale_type(*sc), _arr(s, state_type), _arr(s_phys, state_type), _arr(a, act_type), ns, terms]
    wp.launch(_wrappers()[0], 1, inputs=args, device="cpu")
    return ns.numpy()[0].astype(np.float64), terms.numpy()[0].astype(np.float64)


def _observe(cfg, s):
    out = wp.full(1, np.inf, dtype=obs_type, device="cpu")
    wp.launch(_wrappers()[1], 1, inputs=[cfg, scale_type(1.0, 1.0, 1.0), _arr(s, state_type), out], device="cpu")
    return out.numpy()[0].astype(np.float64)


def _terminated(cfg, s):
    out = wp.full(1, -1, dtype=int, device="cpu")
    wp.launch(_wrappers()[2], 1, inputs=[cfg, scale_type(1.0, 1.0, 1.0), _arr(s, state_type), out], device="cpu")
    return bool(out.numpy()[0])


def _rot(quat_wxyz):
    m = np.zeros(9)
    mujoco.mju_quat2Mat(m, np.asarray(quat_wxyz, dtype=np.float64) / np.linalg.norm(quat_wxyz))
    return m.reshape(3, 3)


def _state(rng, z=0.55):
    s = np.zeros(STATE_DIM)
    key = _env().model.key_qpos[0]
    s[:19] = key
    s[2] = z
    quat = np.array([1.0, 0.0, 0.0, 0.0]) + rng.normal(0, 0.2, 4)
    s[3:7] = quat / np.linalg.norm(quat)
    s[7:19] += rng.uniform(-0.3, 0.3, 12)
    s[19:37] = rng.normal(0, 0.7, 18)
    s[CMD : CMD + 3] = [0.8, -0.4, 0.6]
    s[LAST_ACT : LAST_ACT + 12] = rng.uniform(-1, 1, 12)
    s[KEY] = 12345.0
    s[COUNT] = 7.0
    return s


def _foot_heights_mujoco(s):
    m = mujoco.MjModel.from_xml_path(os.path.join(ASSETS, "anymal_c.xml"))
    d = mujoco.MjData(m)
    d.qpos[:] = s[:19]
    mujoco.mj_kinematics(m, d)
    ids = [m.geom(n).id for n in ("LF_FOOT", "RF_FOOT", "LH_FOOT", "RH_FOOT")]
    return d.geom_xpos[ids, 2] - m.geom_size[ids, 0]


def test_observation_layout_and_scales():
    cfg, c = _cfg(noise_level=0.0)
    s = _state(np.random.default_rng(0))
    obs = _observe(cfg, s)
    r = _rot(s[3:7])
    np.testing.assert_allclose(obs[0:3], 2.0 * r.T @ s[19:22], atol=1e-5)
    np.testing.assert_allclose(obs[3:6], 0.25 * s[22:25], atol=1e-5)
    np.testing.assert_allclose(obs[6:9], r.T @ [0, 0, -1], atol=1e-5)
    np.testing.assert_allclose(obs[9:12], s[CMD : CMD + 3] * [2.0, 2.0, 0.25], atol=1e-6)
    np.testing.assert_allclose(obs[12:24], s[7:19] - np.array(c["default_dof_pos"]), atol=1e-6)
    np.testing.assert_allclose(obs[24:36], 0.05 * s[25:37], atol=1e-6)
    np.testing.assert_allclose(obs[36:48], s[LAST_ACT : LAST_ACT + 12], atol=1e-6)
    # legged_gym's uniform noise: bounded by noise_level * scale per component, zero on commands and actions
    noisy_cfg, _ = _cfg(noise_level=1.0)
    noise = _observe(noisy_cfg, s) - obs
    bound = np.r_[[0.2] * 3, [0.05] * 3, [0.05] * 3, [0] * 3, [0.01] * 12, [0.075] * 12, [0] * 12]
    assert np.all(np.abs(noise) <= bound + 1e-6) and np.all(np.abs(noise[bound > 0]) > 0)


def test_each_reward_term_against_a_hand_computation():
    cfg, c = _cfg()
    rng = np.random.default_rng(1)
    s, s_phys = _state(rng), _state(rng, z=0.5)
    s_phys[CMD:] = 0.0  # the step carries the task state over from s
    # feet: put the base so that two feet touch (lowest point below the floor) and two are in the air
    h = _foot_heights_mujoco(s_phys)
    s_phys[2] -= np.sort(h)[1] + 0.003
    h = _foot_heights_mujoco(s_phys)
    assert (h < 0).sum() == 2
    s[AIR : AIR + 4] = [0.7, 0.0, 0.3, 0.9]
    s[CONTACT : CONTACT + 4] = [0.0, 1.0, 0.0, 1.0]
    a = rng.uniform(-1, 1, 12)
    sc = (1.0, 1.0, 0.9)
    ns, terms = _run_step(cfg, sc, s, s_phys, a)
    dt = c["dt"]
    assert dt == pytest.approx(0.02)
    r = _rot(s_phys[3:7])
    v, w, g = r.T @ s_phys[19:22], s_phys[22:25], r.T @ [0, 0, -1]
    cmd = s[CMD : CMD + 3]
    target = np.array(c["default_dof_pos"]) + 0.5 * a
    tau = np.clip(0.9 * (c["kp"] * (target - s_phys[7:19]) - c["kv"] * s_phys[25:37]), -80, 80)
    assert c["kp"] == 100.0 and c["torque_limit"] == 80.0
    contact = (h < 0).astype(float)
    filt = np.maximum(contact, s[CONTACT : CONTACT + 4])
    first = (s[AIR : AIR + 4] > 0) * filt
    air_reward = np.sum((s[AIR : AIR + 4] + dt - 0.5) * first) * (np.linalg.norm(cmd[:2]) > 0.1)
    expected = {
        "tracking_lin_vel": 1.0 * np.exp(-np.sum((cmd[:2] - v[:2]) ** 2) / 0.25),
        "tracking_ang_vel": 0.5 * np.exp(-((cmd[2] - w[2]) ** 2) / 0.25),
        "lin_vel_z": -2.0 * v[2] ** 2,
        "ang_vel_xy": -0.05 * np.sum(w[:2] ** 2),
        "orientation": -5.0 * np.sum(g[:2] ** 2),
        "torques": -2.5e-5 * np.sum(tau**2),
        "dof_acc": -2.5e-7 * np.sum(((s[25:37] - s_phys[25:37]) / dt) ** 2),
        "action_rate": -0.01 * np.sum((s[LAST_ACT : LAST_ACT + 12] - a) ** 2),
        "feet_air_time": 2.0 * air_reward,
    }
    expected = {k: v * dt for k, v in expected.items()}
    expected["positive_clip"] = max(0.0, -sum(expected.values()))
    for k, name in enumerate(TERMS):
        np.testing.assert_allclose(terms[k], expected[name], rtol=2e-4, atol=1e-7, err_msg=name)
    assert air_reward != 0 and expected["torques"] != 0
    # the carried task state: last action, air time reset where in contact, contact memory, clock
    np.testing.assert_allclose(ns[LAST_ACT : LAST_ACT + 12], a, atol=1e-6)
    np.testing.assert_allclose(ns[AIR : AIR + 4], (s[AIR : AIR + 4] + dt) * (1 - filt), atol=1e-6)
    np.testing.assert_array_equal(ns[CONTACT : CONTACT + 4], contact)
    assert ns[COUNT] == s[COUNT] + 1 and ns[KEY] == s[KEY]
    np.testing.assert_allclose(ns[:37], s_phys[:37], atol=1e-6)


def test_positive_clip_makes_the_reward_nonnegative_only_when_on():
    rng = np.random.default_rng(2)
    s = _state(rng)
    s_phys = _state(rng, z=0.5)
    s_phys[3:7] = [0.7, 0.7, 0.0, 0.0]  # tipped 90 degrees: a large orientation penalty
    a = rng.uniform(-1, 1, 12)
    on, _ = _cfg()
    off, _ = _cfg(only_positive_rewards=0.0)
    _, t_on = _run_step(on, (1.0, 1.0, 1.0), s, s_phys, a)
    _, t_off = _run_step(off, (1.0, 1.0, 1.0), s, s_phys, a)
    assert t_off[:9].sum() < 0 and t_off[9] == 0.0
    assert t_on[9] == pytest.approx(-t_on[:9].sum()) and t_on.sum() == pytest.approx(0.0, abs=1e-6)


def test_commands_resample_and_pushes_on_their_clock():
    cfg, c = _cfg(resampling_time=0.1, push_interval_s=0.1, max_push_vel_xy=1.0)
    rng = np.random.default_rng(3)
    s = _state(rng)
    s[COUNT] = 3.0  # the step makes it 4: neither fires
    ns, _ = _run_step(cfg, (1.0, 1.0, 1.0), s, s.copy(), np.zeros(12))
    np.testing.assert_allclose(ns[CMD : CMD + 3], s[CMD : CMD + 3], atol=1e-6)
    assert ns[19] == pytest.approx(s[19]) and ns[20] == pytest.approx(s[20])
    s[COUNT] = 4.0  # -> 5 = 0.1 s / 0.02 s: a new command and a push of the world-frame horizontal velocity
    ns, _ = _run_step(cfg, (1.0, 1.0, 1.0), s, s.copy(), np.zeros(12))
    assert not np.allclose(ns[CMD : CMD + 3], s[CMD : CMD + 3])
    assert -1.5 <= ns[CMD + 2] <= 1.5 and abs(ns[CMD]) <= 1 and abs(ns[CMD + 1]) <= 1
    assert ns[19] != pytest.approx(s[19]) and abs(ns[19]) <= 1 and abs(ns[20]) <= 1


def test_termination_on_height_and_tilt():
    cfg, _ = _cfg()
    s = _state(np.random.default_rng(4))
    s[3:7] = [1, 0, 0, 0]
    assert not _terminated(cfg, s)
    low = s.copy()
    low[2] = 0.2
    assert _terminated(cfg, low)
    tilted = s.copy()
    tilted[3:7] = [np.cos(0.55), np.sin(0.55), 0, 0]  # 63 degrees
    assert _terminated(cfg, tilted)
    tilted[3:7] = [np.cos(0.45), np.sin(0.45), 0, 0]  # 52 degrees
    assert not _terminated(cfg, tilted)


def test_foot_heights_match_mujoco_kinematics():
    env = envs.make("anymal_c", num_envs=3, device="cpu", seed=5)
    state = env.get_state().clone()
    rng = np.random.default_rng(5)
    for i in range(3):
        state[i, :37] = torch.tensor(_state(rng)[:37], dtype=torch.float32)
    env.set_state(state)
    for i in range(3):
        np.testing.assert_allclose(env.foot_heights()[i].numpy(), _foot_heights_mujoco(state[i].numpy()), atol=2e-5)


def _rollout(num_envs, steps, seed=7, **kw):
    env = envs.make("anymal_c", num_envs=num_envs, device="cpu", seed=seed, **kw)
    obs_log, priv_log, rew_log = [], [], []
    gen = [torch.Generator().manual_seed(100 + i) for i in range(num_envs)]
    for _ in range(steps):
        a = torch.stack([torch.rand(12, generator=g) * 2 - 1 for g in gen])
        obs, r, te, tr, info = env.step(a)
        obs_log.append(obs.clone())
        priv_log.append(info["privileged_obs"].clone())
        rew_log.append(r.clone())
    return torch.stack(obs_log), torch.stack(priv_log), torch.stack(rew_log)


def test_determinism_across_num_envs_with_randomization_on():
    kw = dict(
        friction_scale=(0.3, 1.5),
        base_mass_scale=(0.74, 1.26),
        strength_scale=(0.8, 1.2),
        push_interval_s=0.2,
        resampling_time=0.3,
        max_episode_steps=15,
    )
    o2, p2, r2 = _rollout(2, 40, **kw)
    o5, p5, r5 = _rollout(5, 40, **kw)
    torch.testing.assert_close(o2, o5[:, :2], rtol=0, atol=0)
    torch.testing.assert_close(p2, p5[:, :2], rtol=0, atol=0)
    torch.testing.assert_close(r2, r5[:, :2], rtol=0, atol=0)
    # the randomized parameters differ between envs and episodes, within their ranges
    scales = p5[:, :, 6:9]
    assert len(torch.unique(scales[:, :, 0])) > 5
    for k, (lo, hi) in enumerate([(0.3, 1.5), (0.74, 1.26), (0.8, 1.2)]):
        assert float(scales[:, :, k].min()) >= lo and float(scales[:, :, k].max()) <= hi


def test_no_divergence_under_friction_randomization():
    # MuJoCo's pyramidal normal stiffness grows as impratio / mu^2 (impratio 100 here); kernels/contact.py caps it at
    # the stiffest row MuJoCo allows, without which random actions gave NaN within 20 steps at any friction
    _, _, rewards = _rollout(4, 60, friction_scale=(0.02, 1.5), max_episode_steps=25)
    assert torch.isfinite(rewards).all()


def test_a_diverged_state_shows_in_the_observation_and_terminates():
    # the trainer checks observations (final_obs included) for finiteness, not rewards: the +-100 clip must keep NaN
    cfg, _ = _cfg(noise_level=0.0)
    s = _state(np.random.default_rng(1))
    s[20] = np.nan
    obs = _observe(cfg, s)
    assert np.isnan(obs[0:3]).any() and np.isfinite(obs[9:12]).all()
    assert _terminated(cfg, s)
    s = _state(np.random.default_rng(1))
    s[25] = 1.0e5  # a finite joint velocity beyond the clip is clipped
    assert _observe(cfg, s)[24] == 100.0


def test_privileged_obs_is_the_true_base_velocity_scales_and_contacts():
    env = envs.make("anymal_c", num_envs=3, device="cpu", seed=9, strength_scale=(0.8, 1.2))
    for _ in range(5):
        env.step(torch.zeros(3, 12))
    s = env.get_state().numpy().astype(np.float64)
    p = env.info["privileged_obs"].numpy()
    for i in range(3):
        np.testing.assert_allclose(p[i, 0:3], _rot(s[i, 3:7]).T @ s[i, 19:22], atol=1e-5)
        np.testing.assert_allclose(p[i, 3:6], s[i, 22:25], atol=1e-6)
        np.testing.assert_array_equal(p[i, 9:13], s[i, CONTACT : CONTACT + 4])
    np.testing.assert_array_equal(p[:, 6:9], env.param_scales.numpy())
    assert env.num_privileged_obs == p.shape[1] == 13


def test_standing_keyframe_stays_standing_under_zero_action():
    env = envs.make("anymal_c", num_envs=2, device="cpu", seed=0, max_push_vel_xy=0.0, noise_level=0.0)
    state = env.get_state().clone()
    state[:, :19] = torch.tensor(env.model.key_qpos[0], dtype=torch.float32)
    state[:, 19:37] = 0.0
    env.set_state(state)
    heights = []
    for _ in range(150):  # 3 s
        _, _, terminated, truncated, _ = env.step(torch.zeros(2, 12))
        assert not terminated.any() and not truncated.any()
        heights.append(env.get_state()[:, 2].clone())
    z = torch.stack(heights)
    assert float(z.min()) > 0.45 and float(z[-25:].max() - z[-25:].min()) < 0.01
    # joints at rest near the pose: kp 100 N m/rad servos sag under the robot's weight, 0.165 rad at the knees and
    # 0.095 at the hips (abduction) here and in MuJoCo on envs/assets/anymal_c.xml (3 s from the keyframe, ctrl =
    # the pose: measured within 1e-3 rad of each other)
    state = env.get_state().numpy()
    np.testing.assert_allclose(state[:, 7:19], np.tile(env.config["default_dof_pos"], (2, 1)), atol=0.2)
    # still creeping, as in MuJoCo (its soft friction lets the feet slip slowly): largest |qvel| 0.0265 here, 0.0266
    # in MuJoCo at 3 s
    assert np.abs(state[:, 19:37]).max() < 0.04
    # all four feet on the floor
    assert (env.info["privileged_obs"][:, 9:13] == 1).all()


def test_episode_contract_sizes_and_time_limit():
    env = envs.make("anymal_c", num_envs=4, device="cpu", seed=1, max_push_vel_xy=0.0)
    assert (env.num_obs, env.num_actions, env.state_dim, env.max_episode_steps) == (48, 12, 62, 1000)
    assert env.dt == pytest.approx(0.02)
    assert env.info["reward_terms"].shape == (4, len(TERMS))
    obs, r, te, tr, info = env.step(torch.zeros(4, 12))
    assert torch.allclose(r, info["reward_terms"].sum(1)) and bool((r >= 0).all())


def test_bad_input_is_named():
    env = _env()
    with pytest.raises(ValueError, match="non-finite"):
        env.step(torch.full((1, 12), float("nan")))
    with pytest.raises(ValueError, match=r"shape \(1, 12\)"):
        env.step(torch.zeros(1, 11))
    with pytest.raises(ValueError, match=r"shape \(1, 62\)"):
        env.set_state(torch.zeros(1, 37))
    with pytest.raises(TypeError, match="unknown override 'kp'"):
        envs.make("anymal_c", num_envs=1, device="cpu", kp=80.0)
    with pytest.raises(ValueError, match="frame_skip"):
        envs.make("anymal_c", num_envs=1, device="cpu", frame_skip=0)
    with pytest.raises(ValueError, match="strength_scale"):
        envs.make("anymal_c", num_envs=1, device="cpu", strength_scale=(1.2, 0.8))


def test_eval_script_holds_the_commands_and_measures_the_error(tmp_path):
    from benchmarks.anymal_eval import evaluate, load_policy

    # the default pose barely moves: the error is about the command itself, the yaw error the yaw command
    cmds = ((1.0, 0.0, 0.0), (0.0, 0.0, 0.5))
    rows = evaluate(lambda obs: torch.zeros(obs.shape[0], 12), cmds, num_envs=1, seconds=1.5, settle=0.5)
    assert abs(rows[0]["lin_err"] - 1.0) < 0.15 and abs(rows[1]["yaw_err"] - 0.5) < 0.1
    assert rows[0]["fell"] == 0.0 and abs(rows[0]["vx"]) < 0.15
    # a checkpoint's actor (ELU, observation normalization) rebuilt from its weights alone
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(48, 8), torch.nn.ELU(), torch.nn.Linear(8, 12))
    weights = {f"actor_mean.{k}": v for k, v in net.state_dict().items()}
    rms = {"mean": torch.randn(48, dtype=torch.float64), "var": torch.rand(48, dtype=torch.float64) + 0.5}
    path = tmp_path / "ckpt.pt"
    args = {"env_id": "anymal_c", "activation": "elu", "norm_obs": True}
    torch.save({"agent": weights, "obs_rms": rms, "args": args}, path)
    obs = torch.randn(5, 48) * 3
    expected = net(((obs - rms["mean"].float()) / (rms["var"] + 1e-8).sqrt().float()).clamp(-10, 10))
    torch.testing.assert_close(load_policy(str(path), 48)(obs), expected)


def test_feet_take_their_priority_friction_as_mujoco():
    # the foot geoms have priority 1 over the floor: the pair takes the foot's 0.8, not max(0.8, floor 1.0)
    m = mujoco.MjModel.from_xml_path(os.path.join(ASSETS, "anymal_c.xml"))
    d = mujoco.MjData(m)
    mujoco.mj_resetDataKeyframe(m, d, 0)
    d.qpos[2] -= 0.05  # feet into the floor
    mujoco.mj_forward(m, d)
    assert d.ncon == 4
    sim = _env().sim
    assert [_env().model.geom_names[g] for g in sim.cgeom_geomid.numpy()] == [
        "LF_FOOT",
        "RF_FOOT",
        "LH_FOOT",
        "RH_FOOT",
    ]
    np.testing.assert_allclose(sim.cgeom_friction.numpy(), d.contact.friction[:, 0], rtol=1e-6)
    assert float(d.contact.friction[0, 0]) == pytest.approx(0.8)
