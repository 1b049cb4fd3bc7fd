"""benchmarks/sim2sim.py: the Gymnasium options it picks reproduce our observations on the same state, its action
mapping reproduces our control, its rebuilt actor equals ppo_warp's, and it runs end to end on a tiny checkpoint."""

import importlib.util
import json
import math
import os
import subprocess
import sys
from dataclasses import asdict

import numpy as np
import pytest
import torch

import envs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load(name: str, path: str):
    # benchmarks/ and cleanppo/ hold scripts, not packages: load the file
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


sim2sim = _load("sim2sim_under_test", os.path.join(ROOT, "benchmarks", "sim2sim.py"))
SIM2SIM = os.path.join(ROOT, "benchmarks", "sim2sim.py")


@pytest.fixture(autouse=True)
def _mujoco_log_in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _random_actions(steps: int, n: int, num_actions: int, scale: float = 1.0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(0)
    return (torch.rand(steps, n, num_actions, generator=gen) * 2 - 1) * scale


@pytest.mark.parametrize(
    ("env_id", "layout"),
    [("ant", "v5"), ("ant", "short"), ("half_cheetah", "v5"), ("humanoid", "v5"), ("humanoid", "short"),
     ("cartpole", "v5"), ("pendulum", "v5"), ("hopper", "v5"), ("walker2d", "v5"), ("swimmer", "v5"),
     ("inverted_pendulum", "v5"), ("inverted_double_pendulum", "v5"), ("reacher", "v5"), ("pusher", "v5")],
)  # fmt: skip
def test_gymnasium_observation_equals_ours_on_the_same_state(env_id, layout):
    # Gymnasium's set_state runs mj_forward: its qfrc_actuator is of ctrl 0 and its cfrc_ext 0, as after its reset;
    # so in the v5 layout the whole observation is compared at reset states, the state-only part after steps (the
    # actuator and contact blocks after a step are checked against MuJoCo in tests/test_v5_obs.py)
    n, steps = 4, 6
    env = envs.make(env_id, num_envs=n, device="cpu", seed=3, **sim2sim.layout_kwargs(env_id, layout))
    assert sim2sim.obs_layout_of(env_id, env.num_obs) == layout
    # the constraint force (inverted_double_pendulum's last) is the step's: Gymnasium's set_state gives the state's
    stateless = {"ant": 27, "humanoid": 253, "inverted_double_pendulum": 8}.get(env_id, env.num_obs)
    stateless = stateless if layout == "v5" else env.num_obs
    ref = sim2sim.make_gym(env_id, max_steps=1000, obs_layout=layout)
    ref.reset(seed=0)
    obs = env.reset()
    acts = _random_actions(steps, n, env.num_actions)
    checked = 0
    for t in range(steps + 1):
        state = env.get_state().numpy()
        for i in range(n):
            expected = sim2sim.gym_set_state(env_id, ref.unwrapped, state[i])
            assert expected.shape == (env.num_obs,)
            k = env.num_obs if t == 0 else stateless
            # cinert and cvel: float32 against MuJoCo's float64 (measured 3e-6 relative)
            np.testing.assert_allclose(obs[i, :k].numpy(), expected[:k], rtol=2e-5, atol=2e-5)
            checked += 1
        if t < steps:
            obs, *_ = env.step(acts[t])  # finished envs are reset: obs and state are the new episode's
    assert checked == n * (steps + 1)


@pytest.mark.parametrize("env_id", ["ant", "half_cheetah", "humanoid", "hopper", "walker2d", "swimmer", "reacher"])
def test_gymnasium_control_cost_equals_ours_for_the_mapped_action(env_id):
    # actions beyond [-1, 1] included: both sides must clip before scaling onto the ctrlrange
    n = 6
    env = envs.make(env_id, num_envs=n, device="cpu", seed=1)
    ref = sim2sim.make_gym(env_id, max_steps=1000)
    ref.reset(seed=0)
    env.reset()
    start = env.get_state().numpy().copy()
    acts = _random_actions(1, n, env.num_actions, scale=1.5)[0]
    _, _, _, _, info = env.step(acts)
    ours = info["reward_terms"][:, env.reward_term_names.index("ctrl_cost")].numpy()
    for i in range(n):
        sim2sim.gym_set_state(env_id, ref.unwrapped, start[i])
        *_, gym_info = ref.step(sim2sim.gym_action(env_id, ref, acts[i].numpy()))
        assert gym_info["reward_ctrl"] == pytest.approx(ours[i], rel=1e-5, abs=1e-6)
        # both pay a contact cost in ant and humanoid, each on its own contact forces (tests/test_v5_obs.py)
        assert ("reward_contact" in gym_info) == ("contact_cost" in env.reward_term_names)
    assert np.ptp(ours) > 0.0


@pytest.mark.parametrize("env_id", ["cartpole", "pendulum"])
def test_classic_control_step_from_the_same_state_equals_ours(env_id):
    # same dynamics in both: one step with the mapped action lands on the same observation and reward
    n = 8
    env = envs.make(env_id, num_envs=n, device="cpu", seed=2)
    ref = sim2sim.make_gym(env_id, max_steps=1000)
    ref.reset(seed=0)
    env.reset()
    start = env.get_state().numpy().copy()
    acts = _random_actions(1, n, 1, scale=1.5)[0]
    obs, reward, terminated, _, info = env.step(acts)
    for i in range(n):
        sim2sim.gym_set_state(env_id, ref.unwrapped, start[i])
        gym_obs, gym_reward, gym_terminated, *_ = ref.step(sim2sim.gym_action(env_id, ref, acts[i].numpy()))
        ours = info["final_obs"][i] if terminated[i] else obs[i]
        np.testing.assert_allclose(ours.numpy(), gym_obs, rtol=1e-5, atol=1e-5)
        assert reward[i].item() == pytest.approx(gym_reward, rel=1e-5, abs=1e-5)
        assert bool(terminated[i]) == gym_terminated


def _tiny_checkpoint(path: str, env_id: str) -> torch.nn.Module:
    """Save a random ppo_warp agent and a non-trivial observation normalizer in ppo_warp's checkpoint format."""
    ppo = _load("ppo_warp_for_sim2sim", os.path.join(ROOT, "cleanppo", "ppo_warp.py"))
    env = envs.make(env_id, num_envs=1, device="cpu")
    torch.manual_seed(0)
    agent = ppo.Agent(env.num_obs, env.num_actions, (16, 8), 0.0)
    with torch.no_grad():
        agent.actor_mean[-1].weight.mul_(100.0)  # layer_init's 0.01 would make every action ~0
    obs_rms = ppo.RunningMeanStd(env.num_obs)
    obs_rms.update(torch.randn(64, env.num_obs) * 3.0 + 1.0)
    args = asdict(ppo.Args(env_id=env_id, hidden=(16, 8)))
    torch.save({"agent": agent.state_dict(), "obs_rms": obs_rms.state_dict(), "args": args}, path)
    mean, inv_std, _ = obs_rms.frozen()
    return lambda x: agent.actor_mean(ppo.normalize(x, mean, inv_std, obs_rms.clip))


def test_rebuilt_actor_equals_ppo_warp_actor(tmp_path):
    path = str(tmp_path / "ckpt.pt")
    reference = _tiny_checkpoint(path, "ant")
    env_id, args, policy = sim2sim.load_policy(path)
    assert env_id == "ant" and tuple(args["hidden"]) == (16, 8) and policy.num_obs == 27
    x = torch.randn(32, 27) * 5.0  # beyond the normalizer's clip for some entries
    with torch.no_grad():
        expected = reference(x)
    torch.testing.assert_close(policy(x), expected, rtol=1e-6, atol=1e-6)
    assert expected.abs().max() > 0.1


def test_same_dynamics_give_the_same_returns(tmp_path):
    # Pendulum is the same physics in both simulators: from the same start states the tool must report the same
    # episodes (a wrong start state, action mapping or return accounting shows here)
    path = str(tmp_path / "pendulum.pt")
    _tiny_checkpoint(path, "pendulum")
    record = sim2sim.main(sim2sim.Args(checkpoints=[path], episodes=3, max_steps=30, out=str(tmp_path / "out")))
    r = record["results"][0]
    warp, gym = r["warp"], r["gymnasium"]
    assert r["gym_id"] == "Pendulum-v1" and warp["ends"] == gym["ends"] == {"time_limit": 3}
    for ours, theirs in zip(warp["episodes"], gym["episodes"], strict=True):
        assert ours["length"] == theirs["length"] == 30
        assert ours["return"] == pytest.approx(theirs["return"], rel=1e-3)
    assert r["return_ratio_gymnasium_over_warp"] == pytest.approx(1.0, rel=1e-3)
    assert len({round(e["return"], 3) for e in warp["episodes"]}) == 3  # three different start states


def test_end_causes_name_the_condition_that_fired():
    env = envs.make("humanoid", num_envs=3, device="cpu", max_episode_steps=1)
    env.reset()
    state = env.get_state().clone()
    state[0, 26] = 80.0  # torso flying up at 80 m/s: above healthy_z_range (2 m) after the step
    state[1, 2:7] = torch.tensor([0.5, math.cos(math.pi / 4), 0.0, math.sin(math.pi / 4), 0.0])  # lying, z 0.5 m
    env.set_state(state)
    _, _, terminated, truncated, info = env.step(torch.zeros(3, 17))
    causes = [
        sim2sim.end_cause("humanoid", info["final_obs"][i].numpy(), bool(terminated[i]), bool(truncated[i]))
        for i in range(3)
    ]
    assert causes == ["torso_z_above", "torso_z_below", "time_limit"]
    assert sim2sim.end_cause("humanoid", np.array([1.3, np.nan]), True, False) == "non_finite"
    assert sim2sim.end_cause("hopper", np.array([0.6, 0.0, 0.0]), True, False) == "torso_z_below"
    assert sim2sim.end_cause("hopper", np.array([1.2, 0.25, 0.0]), True, False) == "torso_pitch_out"
    assert sim2sim.end_cause("hopper", np.array([1.2, 0.1, 0.0]), True, False) == "state_out"
    assert sim2sim.end_cause("walker2d", np.array([2.1, 0.0]), True, False) == "torso_z_above"
    assert sim2sim.end_cause("walker2d", np.array([1.2, -1.1]), True, False) == "torso_pitch_out"
    assert sim2sim.end_cause("cartpole", np.array([2.5, 0.0, 0.0, 0.0]), True, False) == "cart_x_out"
    assert sim2sim.end_cause("cartpole", np.array([0.0, 0.0, -0.3, 0.0]), True, True) == "pole_angle_out"


def test_cli_runs_end_to_end_on_a_tiny_checkpoint(tmp_path):
    path = str(tmp_path / "ant.pt")
    _tiny_checkpoint(path, "ant")
    out = tmp_path / "out"
    cmd = [sys.executable, SIM2SIM, path, "--episodes", "2", "--max-steps", "8", "--seed", "4", "--out", str(out)]
    cmd += ["--env-kwargs", '{"healthy_z_range": [0.2, 1.2]}']
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": ROOT})
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    record = json.loads((out / "sim2sim.json").read_text())
    assert record["episodes"] == 2 and record["seed"] == 4 and record["same_start"] is True
    (r,) = record["results"]
    assert r["env_id"] == "ant" and r["gym_id"] == "Ant-v5" and r["max_steps"] == 8
    assert r["obs_layout"] == "short" and r["gym_kwargs"]["include_cfrc_ext_in_observation"] is False
    assert r["gym_kwargs"]["healthy_z_range"] == [0.2, 1.2]
    for side in ("warp", "gymnasium"):
        s = r[side]
        assert len(s["episodes"]) == 2 and sum(s["ends"].values()) == 2
        assert all(1 <= e["length"] <= 8 and np.isfinite(e["return"]) for e in s["episodes"])
        assert np.isfinite(s["forward_velocity_mean"]) and 0.0 < s["torso_z_min"] <= s["torso_z_max"]
    assert np.isfinite(r["return_ratio_gymnasium_over_warp"])
    assert "| ant | Gymnasium Ant-v5 |" in (out / "sim2sim.md").read_text()
    assert "Gymnasium Ant-v5" in p.stdout


def test_env_kwargs_reach_both_sides_or_are_refused():
    ref = sim2sim.make_gym("ant", max_steps=5, overrides={"healthy_z_range": [0.3, 1.5], "ctrl_cost_weight": 0.25})
    assert ref.unwrapped._healthy_z_range == (0.3, 1.5) and ref.unwrapped._ctrl_cost_weight == 0.25
    assert ref.unwrapped._contact_cost_weight == 5e-4 and ref.unwrapped._contact_force_range == (-1.0, 1.0)
    assert sim2sim.make_gym("ant", 5, {"contact_cost_weight": 1.0}).unwrapped._contact_cost_weight == 1.0
    short = sim2sim.make_gym("ant", 5, obs_layout="short").unwrapped
    assert short._include_cfrc_ext_in_observation is False and sim2sim.obs_layout_of("ant", 27) == "short"
    with pytest.raises(ValueError, match="no observation layout"):
        sim2sim.obs_layout_of("ant", 30)
    params = sim2sim.env_params("ant", {"healthy_z_range": [0.3, 2.5]})
    assert params["healthy_z_range"] == (0.3, 2.5) and params["ctrl_cost_weight"] == 0.5
    # a terminated episode that ended at 0.25 m: below this range; 2.6 m: above it; 1.1 m: above the default range
    assert sim2sim.end_cause("ant", np.array([0.25]), True, False, params) == "torso_z_below"
    assert sim2sim.end_cause("ant", np.array([2.6]), True, False, params) == "torso_z_above"
    assert sim2sim.end_cause("ant", np.array([1.1]), True, False) == "torso_z_above"
    for bad in ({"obs_layout": "short"}, {"mass_scale": 2.0}, {"seed": 3}):  # only one side knows these
        with pytest.raises(ValueError, match="constructor argument of both"):
            sim2sim.env_params("ant", bad)


def _ant_states_in_contact(m, n: int, seed: int = 0):
    """(qpos, qvel) of n MuJoCo Euler states under random controls (10 ms steps), each with >= 2 contacts pushing."""
    import mujoco

    rng = np.random.default_rng(seed)
    d = mujoco.MjData(m)
    rows = []
    for t in range(1, 20000):
        if t % 5 == 1:
            d.ctrl[:] = rng.uniform(-1, 1, m.nu)
        mujoco.mj_step(m, d)
        if t > 100 and t % 37 == 0 and (d.efc_force[d.ne + d.nf + d.nl :] > 0).sum() >= 2:
            rows.append((d.qpos.copy(), d.qvel.copy()))
            if len(rows) == n:
                return np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
    raise AssertionError("the rollout found too few states in contact")


def test_ant_env_step_in_contact_follows_mujoco():
    """One Ant env step (5 x 10 ms, contacts and joint limits) from MuJoCo's own states in contact, under full-scale
    random actions, equals MuJoCo Euler's on the same ant.xml: the contact rows, their friction pyramid and the active
    set are MuJoCo's. Ratio ||ours - MuJoCo|| / ||MuJoCo without contacts and limits - MuJoCo|| over qvel: measured
    2.5e-7, float32 rounding (the constraints solved with M + h D instead of MuJoCo's M then (M + h D) qacc =
    qfrc_smooth + qfrc_constraint: 0.0079; the regularized Coulomb friction before: 0.073); tolerance 1e-4."""
    import mujoco

    n = 8
    path = os.path.join(envs.core.ASSETS, "ant.xml")
    m = mujoco.MjModel.from_xml_path(path)
    m.opt.integrator = mujoco.mjtIntegrator.mjINT_EULER
    qpos, qvel = _ant_states_in_contact(m, n)
    actions = np.random.default_rng(1).uniform(-1, 1, (n, m.nu))

    def mujoco_step(model):
        d = mujoco.MjData(model)
        out = np.zeros((n, model.nv))
        for i in range(n):
            mujoco.mj_resetData(model, d)
            d.qpos[:], d.qvel[:], d.ctrl[:] = qpos[i], qvel[i], actions[i]
            for _ in range(5):
                mujoco.mj_step(model, d)
            out[i] = d.qvel
        return out

    ref = mujoco_step(m)
    m.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT | mujoco.mjtDisableBit.mjDSBL_LIMIT
    free = mujoco_step(m)
    env = envs.make("ant", num_envs=n, device="cpu", seed=0, healthy_z_range=(-10.0, 10.0))
    env.set_state(torch.tensor(np.concatenate([qpos, qvel], 1), dtype=torch.float32))
    env.step(torch.tensor(actions, dtype=torch.float32))
    ours = env.get_state().numpy()[:, m.nq :]
    ratio = np.linalg.norm(ours - ref) / np.linalg.norm(free - ref)
    assert ratio < 1e-4, ratio
