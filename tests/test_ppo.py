"""cleanppo/ppo_warp.py and cleanppo/ppo_gym.py: GAE by hand, end-to-end runs as subprocesses with tiny budgets,
argument errors, resume after a kill, and one short learning run. Nothing here asserts on wall-clock time."""

import csv
import glob
import importlib.util
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PPO_WARP = os.path.join(ROOT, "cleanppo", "ppo_warp.py")
PPO_GYM = os.path.join(ROOT, "cleanppo", "ppo_gym.py")
TINY = ["--num-envs", "64", "--num-steps", "16", "--total-timesteps", "2048", "--num-minibatches", "4"]


def run(script, *args, cwd, timeout=300, check=True):
    p = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)
    if check:
        assert p.returncode == 0, f"{script} {args} failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p


def only_run_dir(log_dir):
    dirs = glob.glob(os.path.join(log_dir, "*"))
    assert len(dirs) == 1, dirs
    return dirs[0]


def load_compute_gae():
    # the scripts are not a package (CleanRL's rule); load the function from the file
    spec = importlib.util.spec_from_file_location("ppo_warp_under_test", PPO_WARP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.compute_gae


def test_gae_hand_computed():
    """gamma 0.9, lambda 0.8, T = 4. Env 0: truncated at t=1 (V(final_obs) = 2), terminated at t=3 (next_value 5 is
    not used). Env 1: never done, bootstrapped from next_value 1. Env 2: env 0 with both flags at t=3 and
    V(final_obs) = 100 there: termination wins, so the same numbers as env 0."""
    compute_gae = load_compute_gae()
    gamma, lam = 0.9, 0.8
    rewards = torch.tensor([[1.0, 0.0, 1.0]] * 4)
    values = torch.tensor([[0.5, 0.0, 0.5], [0.6, 0.0, 0.6], [0.7, 0.0, 0.7], [0.8, 0.0, 0.8]])
    terminated = torch.zeros(4, 3, dtype=torch.bool)
    truncated = torch.zeros(4, 3, dtype=torch.bool)
    final_values = torch.zeros(4, 3)
    truncated[1, 0] = truncated[1, 2] = True
    final_values[1, 0] = final_values[1, 2] = 2.0
    terminated[3, 0] = terminated[3, 2] = True
    truncated[3, 2] = True
    final_values[3, 2] = 100.0
    next_value = torch.tensor([5.0, 1.0, 5.0])

    # env 0 by hand, backwards:
    #   t=3 terminated:  delta = 1 - 0.8 = 0.2                         A3 = 0.2
    #   t=2:             delta = 1 + 0.9 * 0.8 - 0.7 = 1.02            A2 = 1.02 + 0.72 * 0.2 = 1.164
    #   t=1 truncated:   delta = (1 + 0.9 * 2.0) - 0.6 = 2.2  (cut)   A1 = 2.2
    #   t=0:             delta = 1 + 0.9 * 0.6 - 0.5 = 1.04            A0 = 1.04 + 0.72 * 2.2 = 2.624
    # env 1: A3 = 0.9 * 1 = 0.9, then each earlier step multiplies by gamma * lambda = 0.72
    adv0 = [2.624, 2.2, 1.164, 0.2]
    adv1 = [0.9 * 0.72**3, 0.9 * 0.72**2, 0.9 * 0.72, 0.9]
    expected = torch.tensor([adv0, adv1, adv0]).T
    advantages, returns = compute_gae(rewards, values, terminated, truncated, final_values, next_value, gamma, lam)
    torch.testing.assert_close(advantages, expected, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(returns, expected + values, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("script", [PPO_WARP, PPO_GYM])
@pytest.mark.parametrize("env_id", ["cartpole", "pendulum"])
def test_smoke_run_checkpoint_and_eval(tmp_path, script, env_id):
    log_dir = str(tmp_path / "runs")
    p = run(script, "--env-id", env_id, "--log-dir", log_dir, *TINY, cwd=tmp_path)
    assert "return(last 20)" in p.stdout and "SPS" in p.stdout
    run_dir = only_run_dir(log_dir)
    assert glob.glob(os.path.join(run_dir, "events.out.tfevents.*"))
    with open(os.path.join(run_dir, "progress.csv")) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 and int(rows[-1]["global_step"]) == 2048
    ckpt = torch.load(os.path.join(run_dir, "checkpoint.pt"), weights_only=True)
    assert set(ckpt) >= {"agent", "optimizer", "obs_rms", "args", "iteration"} and ckpt["iteration"] == 2
    import json

    with open(os.path.join(run_dir, "config.json")) as f:
        config = json.load(f)
    assert config["args"]["env_id"] == env_id and "torch" in config["versions"] and "git_commit" in config
    p = run(script, "--eval", os.path.join(run_dir, "checkpoint.pt"), "--eval-episodes", "3", cwd=tmp_path)
    assert "3 episodes" in p.stdout and "+-" in p.stdout


@pytest.mark.parametrize("script", [PPO_WARP, PPO_GYM])
@pytest.mark.parametrize(
    "args, message",
    [
        (["--num-envs", "0"], "--num-envs must be >= 1, got 0"),
        (["--num-envs", "-3"], "--num-envs must be >= 1, got -3"),
        (["--num-envs", "10", "--num-steps", "3", "--num-minibatches", "4"], "does not divide the batch size 30"),
        (["--env-id", "nosuchenv"], "unknown env_id 'nosuchenv'"),
        (["--num-envs", "64", "--num-steps", "16", "--total-timesteps", "100"], "less than one batch (1024 steps)"),
        (["--resume", "no/such/checkpoint.pt"], "checkpoint 'no/such/checkpoint.pt' does not exist"),
    ],
)
def test_bad_arguments_stop_before_any_work(tmp_path, script, args, message):
    log_dir = tmp_path / "runs"
    p = run(script, "--log-dir", str(log_dir), *args, cwd=tmp_path, check=False)
    assert p.returncode != 0
    assert message in p.stderr, p.stderr
    assert not log_dir.exists()  # nothing was started


def test_non_finite_loss_stops_with_iteration(tmp_path):
    p = run(PPO_WARP, "--log-dir", str(tmp_path), "--reward-scale", "nan", *TINY, cwd=tmp_path, check=False)
    assert p.returncode != 0
    assert "non-finite loss nan at iteration 1 (epoch 1, minibatch 1)" in p.stderr, p.stderr


NAN_OBS_RUNNER = """
import runpy, sys, envs
make = envs.make
def make_with_nan(*args, **kwargs):
    env = make(*args, **kwargs)
    step, calls = env.step, [0]
    def bad_step(actions):
        out = step(actions)
        calls[0] += 1
        if calls[0] == 40:  # the 8th step of iteration 2 (32 steps per iteration)
            out[0][3, 1] = float("nan")
        return out
    env.step = bad_step
    return env
envs.make = make_with_nan
sys.argv = [sys.argv[1], *sys.argv[2:]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_non_finite_observation_stops_and_keeps_last_checkpoint(tmp_path):
    runner = tmp_path / "nan_runner.py"
    runner.write_text(NAN_OBS_RUNNER)
    args = ["--log-dir", str(tmp_path / "runs"), "--num-envs", "16", "--num-steps", "32", "--save-every", "1"]
    p = run(str(runner), PPO_WARP, *args, cwd=tmp_path, check=False)
    assert p.returncode != 0
    assert "non-finite observation in the rollout of iteration 2 ([step, env, index] = [8, 3, 1]" in p.stderr, p.stderr
    ckpt_path = os.path.join(only_run_dir(str(tmp_path / "runs")), "checkpoint.pt")
    assert f"the last good checkpoint is {ckpt_path}" in p.stderr
    assert torch.load(ckpt_path, weights_only=True)["iteration"] == 1


def test_resume_after_kill_equals_uninterrupted(tmp_path):
    args = ["--num-envs", "32", "--num-steps", "16", "--total-timesteps", str(32 * 16 * 40), "--save-every", "1"]
    args += ["--env-id", "pendulum", "--quiet"]
    full_dir, killed_dir = str(tmp_path / "full"), str(tmp_path / "killed")
    run(PPO_WARP, "--log-dir", full_dir, *args, cwd=tmp_path)
    full = torch.load(os.path.join(only_run_dir(full_dir), "checkpoint.pt"), weights_only=True)

    proc = subprocess.Popen([sys.executable, PPO_WARP, "--log-dir", killed_dir, *args], cwd=tmp_path)
    deadline = time.time() + 120
    while not glob.glob(os.path.join(killed_dir, "*", "checkpoint.pt")) and time.time() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    ckpt_path = os.path.join(only_run_dir(killed_dir), "checkpoint.pt")
    killed_at = torch.load(ckpt_path, weights_only=True)["iteration"]
    if killed_at >= 40:
        pytest.skip("the run finished before it could be killed")
    run(PPO_WARP, "--resume", ckpt_path, "--save-every", "1", cwd=tmp_path)
    resumed = torch.load(ckpt_path, weights_only=True)
    assert resumed["iteration"] == full["iteration"] == 40 and resumed["global_step"] == full["global_step"]
    for name in ("agent", "obs_rms"):
        for key, value in full[name].items():
            assert torch.equal(value, resumed[name][key]), f"{name}.{key} differs after resume from {killed_at}"
    for a, b in zip(full["optimizer"]["exp_avg"], resumed["optimizer"]["exp_avg"], strict=True):
        assert torch.equal(a, b)
    assert full["recent_returns"] == resumed["recent_returns"]
    assert torch.equal(full["next_obs"], resumed["next_obs"])


@pytest.mark.slow
def test_cartpole_learns(tmp_path):
    """The default cartpole command for a short budget: a random policy returns ~22 per episode."""
    log_dir = str(tmp_path / "runs")
    run(PPO_WARP, "--env-id", "cartpole", "--log-dir", log_dir, "--total-timesteps", "60000", "--quiet", cwd=tmp_path)
    with open(os.path.join(only_run_dir(log_dir), "progress.csv")) as f:
        rows = list(csv.DictReader(f))
    assert float(rows[-1]["return_last20"]) > 150.0, rows[-1]
