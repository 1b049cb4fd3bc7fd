"""cleanppo_utils/threaded_env.py and ppo_warp.py --env-threads: a batch stepped as groups in parallel threads is the
batch of one env, bit for bit (randomization, noise, delays and resets included), and so is the training run; a
threaded run resumes bit for bit; bad groupings and arguments are refused with one line."""

import glob
import os
import runpy
import subprocess
import sys

import pytest
import torch

import envs
from cleanppo_utils.threaded_env import ThreadedEnv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PPO_WARP = os.path.join(ROOT, "cleanppo", "ppo_warp.py")
KNOBS = {
    "anymal_c": dict(friction_scale=(0.05, 1.5), base_mass_scale=(0.74, 1.26), strength_scale=(0.9, 1.1),
                     max_episode_steps=40, obs_noise_std=0.05),
    "cartpole": dict(obs_noise_std=0.1, action_noise_std=0.2, action_delay=(0, 2), pole_length_scale=(0.5, 1.5)),
}  # fmt: skip


def grouped(env_id, sizes, **kw):
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    return ThreadedEnv([envs.make(env_id, num_envs=n, env_offset=s, **kw) for n, s in zip(sizes, starts, strict=True)])


@pytest.mark.parametrize("env_id, sizes", [("anymal_c", [5, 6]), ("cartpole", [4, 1, 7])])
def test_groups_step_the_batch_of_one_env_bit_for_bit(env_id, sizes):
    kw = dict(device="cpu", seed=11, validate=False, **KNOBS[env_id])
    one, many = envs.make(env_id, num_envs=sum(sizes), **kw), grouped(env_id, sizes, **kw)
    assert many.num_envs == sum(sizes) and many.num_obs == one.num_obs and many.num_actions == one.num_actions
    assert torch.equal(one.reset(seed=11), many.reset(seed=11))
    start = torch.arange(one.num_envs) * 7 % 40  # staggered episode clocks (anymal_c's limit here is 40 steps)
    one.set_episode_step(start), many.set_episode_step(start)
    assert torch.equal(torch.cat([p.episode_step for p in many.parts]), start.int())
    g = torch.Generator().manual_seed(0)
    done = 0
    for t in range(100):
        a = torch.rand(one.num_envs, one.num_actions, generator=g) * 2.4 - 1.2  # some outside [-1, 1]
        r1, r2 = one.step(a), many.step(a)
        for name, x, y in zip(("obs", "reward", "terminated", "truncated"), r1[:4], r2[:4], strict=True):
            assert torch.equal(x, y), f"{name} differs at step {t}"
        assert set(r1[4]) == set(r2[4])
        for key in r1[4]:
            assert torch.equal(r1[4][key], r2[4][key]), f"info[{key!r}] differs at step {t}"
        done += int((r1[2] | r1[3]).sum())
    assert done > 0  # resets happened inside the compared steps


def test_state_dict_round_trip_and_mismatched_groups():
    kw = dict(device="cpu", seed=2, validate=False)
    env = grouped("cartpole", [3, 3], **kw)
    env.reset(seed=2)
    for _ in range(5):
        env.step(torch.zeros(6, 1))
    state = {k: v.clone() for k, v in env.state_dict().items()}
    expected = env.step(torch.full((6, 1), 0.5))[0].clone()
    env.load_state_dict(state)
    assert torch.equal(env.step(torch.full((6, 1), 0.5))[0], expected)
    with pytest.raises(ValueError, match="state_dict of groups"):
        grouped("cartpole", [2, 2, 2], **kw).load_state_dict(state)
    assert env.num_obs == 4 and env.reward_term_names == env.parts[0].reward_term_names
    for name in ("get_state", "actions", "applied_actions"):  # group 0's would be a slice of the batch
        with pytest.raises(AttributeError, match="does not forward"):
            getattr(env, name)
    with pytest.raises(ValueError, match="consecutive slices"):
        ThreadedEnv([envs.make("cartpole", num_envs=3, env_offset=o, **kw) for o in (0, 4)])


def _train(tmp_path, name, *extra):
    args = ["--env-id", "anymal_c", "--num-envs", "9", "--num-steps", "8", "--num-minibatches", "2", "--quiet",
            "--random-episode-start"]  # fmt: skip
    p = subprocess.run([sys.executable, PPO_WARP, *args, "--log-dir", name, *extra], cwd=tmp_path, timeout=600,
                       capture_output=True, text=True)  # fmt: skip
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    return glob.glob(str(tmp_path / name / "*" / "checkpoint.pt"))[0]


def test_ppo_warp_env_threads_train_the_same_run_and_resume(tmp_path):
    batch = 9 * 8
    one = torch.load(_train(tmp_path, "one", "--total-timesteps", str(6 * batch)), weights_only=True)
    two_path = _train(tmp_path, "two", "--env-threads", "2", "--total-timesteps", str(3 * batch), "--save-every", "1")
    p = subprocess.run([sys.executable, PPO_WARP, "--resume", two_path, "--total-timesteps", str(6 * batch)],
                       cwd=tmp_path, timeout=600, capture_output=True, text=True)  # fmt: skip
    assert p.returncode == 0, p.stderr[-2000:]
    two = torch.load(two_path, weights_only=True)
    assert two["args"]["env_threads"] == 2 and any(k.startswith("group1.") for k in two["env_state"])
    assert one["iteration"] == two["iteration"] == 6
    for name in ("agent", "obs_rms"):
        for key, value in one[name].items():
            assert torch.equal(value, two[name][key]), f"{name}.{key}: 2 env threads (resumed) differ from 1"
    assert torch.equal(one["next_obs"], two["next_obs"])


@pytest.mark.parametrize("threads", ["0", "10"])
def test_bad_env_threads_stop_before_any_work(tmp_path, monkeypatch, threads):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [PPO_WARP, "--num-envs", "9", "--env-threads", threads])
    with pytest.raises(SystemExit) as e:
        runpy.run_path(PPO_WARP, run_name="__main__")
    assert f"--env-threads must be in [1, --num-envs 9], got {threads}" in str(e.value.code)
    assert not os.path.exists(tmp_path / "runs")
