"""cleanppo/ppo_warp.py and cleanppo/ppo_gym.py: GAE by hand, end-to-end runs as subprocesses with tiny budgets,
argument and checkpoint errors, --help, resume after a kill or a SIGTERM, and one short learning run. Nothing here
asserts on wall-clock time. The wiring of rollout, GAE and loss with a stub env: tests/test_ppo_wiring.py."""

import csv
import glob
import importlib.util
import json
import os
import re
import runpy
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
PROGRESS_COLUMNS = (
    "iteration,global_step,wall_time,cpu_time,return_last20,return_iteration,episodes,sps,"
    "collect_time,policy_time,env_step_time,update_time"
).split(",")


def run(script, *args, cwd, timeout=300, check=True):
    p = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)
    if check:
        assert p.returncode == 0, f"{script} {args} failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p


def exit_message(script, *args, cwd, monkeypatch) -> str:
    """Run the script's main block in this process (no interpreter start-up per case) until it exits; return the
    message it exits with (the scripts' fail() raises SystemExit(message), which Python prints as one line)."""
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "argv", [script, *args])
    with pytest.raises(SystemExit) as e:
        runpy.run_path(script, run_name="__main__")
    return str(e.value.code)


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
    assert re.search(r"iter 1/2 .* \d+\.\d s elapsed, ETA \d+m\d\ds", p.stdout), p.stdout
    # no Warp banner, no "CUDA driver not found" warning from Warp's native library on a CPU run
    assert "Warp" not in p.stdout + p.stderr and "CUDA driver" not in p.stdout + p.stderr, p.stdout + p.stderr
    run_dir = only_run_dir(log_dir)
    assert glob.glob(os.path.join(run_dir, "events.out.tfevents.*"))
    with open(os.path.join(run_dir, "progress.csv")) as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == PROGRESS_COLUMNS
    assert len(rows) == 2 and int(rows[-1]["global_step"]) == 2048
    for row in rows:  # the collect phase is the policy and the env step plus the storage copies and one check
        assert 0 < float(row["policy_time"]) + float(row["env_step_time"]) <= float(row["collect_time"])
        assert float(row["update_time"]) > 0
    ckpt = torch.load(os.path.join(run_dir, "checkpoint.pt"), weights_only=True)
    assert set(ckpt) >= {"agent", "optimizer", "obs_rms", "args", "iteration"} and ckpt["iteration"] == 2

    with open(os.path.join(run_dir, "config.json")) as f:
        config = json.load(f)
    assert config["args"]["env_id"] == env_id and "torch" in config["versions"] and "git_commit" in config
    p = run(script, "--eval", os.path.join(run_dir, "checkpoint.pt"), "--eval-episodes", "3", cwd=tmp_path)
    assert "3 episodes" in p.stdout and "+-" in p.stdout
    # the slim policy files of results/ (agent, normalizer, arguments) evaluate to the same numbers
    slim = os.path.join(run_dir, "policy.pt")
    torch.save({k: ckpt[k] for k in ("agent", "obs_rms", "args")}, slim)
    q = run(script, "--eval", slim, "--eval-episodes", "3", cwd=tmp_path)
    assert q.stdout.split(": ", 1)[1] == p.stdout.split(": ", 1)[1]


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
        (["--learning-rate", "nan"], "--learning-rate must be finite, got nan"),
        (["--learning-rate", "inf"], "--learning-rate must be finite, got inf"),
        (["--reward-scale", "nan"], "--reward-scale must be finite, got nan"),
        (["--hidden", "0"], "--hidden needs one or more layer sizes >= 1, got 0"),
        (["--hidden", "64", "0"], "--hidden needs one or more layer sizes >= 1, got 64 0"),
        (["--hidden"], "--hidden needs one or more layer sizes >= 1, got none"),
        (["--device", "tpu"], "unknown --device 'tpu'"),
    ],
)
def test_bad_arguments_stop_before_any_work(tmp_path, monkeypatch, script, args, message):
    log_dir = tmp_path / "runs"
    assert message in exit_message(script, "--log-dir", str(log_dir), *args, cwd=tmp_path, monkeypatch=monkeypatch)
    assert not log_dir.exists()  # nothing was started


@pytest.mark.parametrize("value", ["-1", "1025"])
def test_bad_env_block_dim_stops_before_any_work(tmp_path, monkeypatch, value):
    log_dir = tmp_path / "runs"
    message = exit_message(PPO_WARP, "--log-dir", str(log_dir), "--env-block-dim", value, cwd=tmp_path,
                           monkeypatch=monkeypatch)  # fmt: skip
    assert f"--env-block-dim must be 0 (one block per SM at least) or 1 to 1024 threads, got {value}" in message
    assert not log_dir.exists()


def test_bad_argument_is_one_line_on_stderr(tmp_path):
    p = run(PPO_GYM, "--log-dir", str(tmp_path / "runs"), "--num-envs", "0", cwd=tmp_path, check=False)
    assert p.returncode == 1 and p.stderr == "ppo_gym.py: error: --num-envs must be >= 1, got 0\n"
    assert not (tmp_path / "runs").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without a CUDA device")
@pytest.mark.parametrize("script", [PPO_WARP, PPO_GYM])
@pytest.mark.parametrize("device", ["cuda", "gpu", "cuda:1"])
def test_cuda_without_gpu_stops_before_any_work(tmp_path, monkeypatch, script, device):
    log_dir = tmp_path / "runs"
    message = exit_message(script, "--log-dir", str(log_dir), "--device", device, cwd=tmp_path, monkeypatch=monkeypatch)
    assert message == f"{os.path.basename(script)}: error: --device {device}: no such CUDA device here (torch sees 0)"
    assert not log_dir.exists()


def test_log_dir_that_cannot_be_created(tmp_path, monkeypatch):
    (tmp_path / "a_file").write_text("")
    for log_dir in ["/proc/nope", str(tmp_path / "a_file" / "runs")]:
        message = exit_message(
            PPO_WARP, "--log-dir", log_dir, "--env-id", "cartpole", cwd=tmp_path, monkeypatch=monkeypatch
        )
        assert f"cannot create the run folder '{log_dir}/cartpole__ppo_warp__1__" in message, message
        assert not os.path.exists(log_dir)


def test_help_shows_real_defaults_and_presets():
    def help_text(*args):
        p = run(PPO_WARP, *args, "--help", cwd=ROOT)
        return " ".join(p.stdout.replace("│", " ").split())  # tyro's box, unwrapped

    pendulum, default = help_text("--env-id", "pendulum"), help_text()
    assert "--num-envs INT the number of parallel environments (default: 128)" in pendulum
    assert "--num-envs INT the number of parallel environments (default: 4096)" in default
    assert "--gamma FLOAT the discount factor gamma (default: 0.98)" in pendulum
    assert "Defaults below are for --env-id pendulum" in pendulum and "cartpole: total_timesteps=200000" in pendulum
    for text in (pendulum, default):
        for computed in ("--batch-size", "--minibatch-size", "--num-iterations", "--run-name"):
            assert computed not in text
        assert text.count("(default: None)") == 2  # --resume and --eval; every hyperparameter shows its value


NAN_REWARD_RUNNER = """
import runpy, sys, envs
make = envs.make
def make_with_nan(*args, **kwargs):
    env = make(*args, **kwargs)
    step = env.step
    def bad_step(actions):
        obs, reward, *rest = step(actions)
        return (obs, reward * float("nan"), *rest)
    env.step = bad_step
    return env
envs.make = make_with_nan
sys.argv = [sys.argv[1], *sys.argv[2:]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_non_finite_loss_stops_with_iteration(tmp_path):
    runner = tmp_path / "nan_runner.py"
    runner.write_text(NAN_REWARD_RUNNER)
    p = run(str(runner), PPO_WARP, "--log-dir", str(tmp_path), "--env-id", "cartpole", *TINY, cwd=tmp_path, check=False)
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
    for key in ("exp_avg", "exp_avg_sq"):  # Adam's moments, step count and (adaptive) learning rate
        for a, b in zip(full["optimizer"][key], resumed["optimizer"][key], strict=True):
            assert torch.equal(a, b), f"optimizer {key} differs after resume from {killed_at}"
    assert (full["optimizer"]["t"], full["optimizer"]["lr"]) == (resumed["optimizer"]["t"], resumed["optimizer"]["lr"])
    assert full["recent_returns"] == resumed["recent_returns"]
    assert torch.equal(full["next_obs"], resumed["next_obs"])


@pytest.mark.parametrize("script", [PPO_WARP, PPO_GYM])
def test_random_episode_start_staggers_the_first_episodes(tmp_path, script):
    """pendulum never terminates (200-step limit): one iteration of 16 steps ends no episode from a common start, and
    with --random-episode-start exactly the envs whose drawn clock (uniform in [0, 200) from the seed) is within 16
    steps of the limit, in our env and in Gymnasium's Pendulum-v1 (its TimeLimit counters set)."""
    n, steps = 256, 16
    flags = [
        "--env-id",
        "pendulum",
        "--num-envs",
        str(n),
        "--num-steps",
        str(steps),
        "--total-timesteps",
        str(n * steps),
    ]
    episodes = {}
    for name, extra in (("common", []), ("staggered", ["--random-episode-start"])):
        run(script, *flags, *extra, "--seed", "5", "--log-dir", name, "--quiet", cwd=tmp_path)
        with open(os.path.join(only_run_dir(str(tmp_path / name)), "progress.csv")) as f:
            (row,) = list(csv.DictReader(f))
        episodes[name] = int(row["episodes"])
    clocks = torch.randint(0, 200, (n,), generator=torch.Generator().manual_seed(5))
    assert episodes["common"] == 0
    assert episodes["staggered"] == int((clocks >= 200 - steps).sum()) > 0


def test_gym_vec_env_refuses_bad_episode_steps():
    """GymVecEnv.set_episode_step (ppo_gym.py's staggered start) takes N integer steps below the time limit only."""
    from cleanppo_utils.gym_env import GymVecEnv

    env = GymVecEnv("pendulum", 4, torch.device("cpu"), seed=0)
    env.reset()
    for bad in (torch.full((4,), 200), torch.full((4,), -1), torch.zeros(3, dtype=torch.int64), torch.full((4,), 1.5)):
        with pytest.raises(ValueError, match="episode steps must be 4 integers"):
            env.set_episode_step(bad)
    env.set_episode_step(torch.tensor([199, 0, 5, 198]))
    truncated = [env.step(torch.zeros(4, 1))[3].tolist() for _ in range(2)]
    assert truncated == [[True, False, False, False], [False, False, False, True]]


@pytest.mark.slow
def test_cartpole_learns(tmp_path):
    """The default cartpole command for a short budget: a random policy returns ~22 per episode."""
    log_dir = str(tmp_path / "runs")
    run(PPO_WARP, "--env-id", "cartpole", "--log-dir", log_dir, "--total-timesteps", "60000", "--quiet", cwd=tmp_path)
    with open(os.path.join(only_run_dir(log_dir), "progress.csv")) as f:
        rows = list(csv.DictReader(f))
    assert float(rows[-1]["return_last20"]) > 150.0, rows[-1]


@pytest.mark.slow
def test_inverted_pendulum_preset_learns_to_balance(tmp_path):
    """The inverted_pendulum preset (300 k steps, ~10 s here): its deterministic policy balances the pole for the whole
    1,000-step episode (seeds 1-10 all did; a random policy falls within ~10 steps)."""
    log_dir = str(tmp_path / "runs")
    run(PPO_WARP, "--env-id", "inverted_pendulum", "--device", "cpu", "--log-dir", log_dir, "--quiet", cwd=tmp_path)
    ckpt = os.path.join(only_run_dir(log_dir), "checkpoint.pt")
    out = run(PPO_WARP, "--eval", ckpt, "--eval-episodes", "10", cwd=tmp_path).stdout
    mean = float(re.search(r"return (-?[\d.]+) \+- ", out)[1])
    assert mean >= 950.0, out


@pytest.mark.slow
def test_inverted_double_pendulum_preset_learns_to_balance(tmp_path):
    """The inverted_double_pendulum preset's first 1 M steps (of its 2 M; ~50 s here): its deterministic policy keeps
    both poles up for most of the 1,000-step episodes (seed 1 does in all 10 at 1 M, 9,321; seeds 1-5 at 2 M in
    results/ppo_planar_cpu/README.md; the most a policy can earn is ~9,360; random actions fall within ~6 steps, ~46,
    zero actions within ~10, ~86)."""
    log_dir = str(tmp_path / "runs")
    args = ["--env-id", "inverted_double_pendulum", "--device", "cpu", "--log-dir", log_dir, "--quiet"]
    run(PPO_WARP, *args, "--total-timesteps", "1000000", cwd=tmp_path)
    ckpt = os.path.join(only_run_dir(log_dir), "checkpoint.pt")
    out = run(PPO_WARP, "--eval", ckpt, "--eval-episodes", "10", cwd=tmp_path).stdout
    mean = float(re.search(r"return (-?[\d.]+) \+- ", out)[1])
    assert mean >= 7000.0, out


def test_saves_by_wall_clock_while_running(tmp_path):
    """--save-minutes saves mid-run with --save-every 0: a killed run (SIGKILL, no handler) leaves a checkpoint."""
    log_dir = str(tmp_path / "runs")
    args = ["--env-id", "cartpole", "--num-envs", "16", "--num-steps", "8", "--num-minibatches", "1"]
    args += ["--update-epochs", "1", "--total-timesteps", str(16 * 8 * 5000), "--save-every", "0"]
    args += ["--save-minutes", "1e-6", "--quiet", "--log-dir", log_dir]  # due after every iteration
    proc = subprocess.Popen([sys.executable, PPO_WARP, *args], cwd=tmp_path, stdout=subprocess.DEVNULL)
    deadline = time.time() + 120
    progress = os.path.join(log_dir, "*", "progress.csv")
    while time.time() < deadline and not (glob.glob(progress) and len(open(glob.glob(progress)[0]).readlines()) > 3):
        time.sleep(0.05)
    proc.kill()
    proc.wait(timeout=60)
    ckpt = torch.load(glob.glob(os.path.join(log_dir, "*", "checkpoint.pt"))[0], weights_only=True)
    assert 1 <= ckpt["iteration"] < 5000 and ckpt["args"]["save_every"] == 0


@pytest.mark.parametrize("script", [PPO_WARP, PPO_GYM])
def test_sigterm_saves_the_iteration_and_resumes(tmp_path, script):
    log_dir = str(tmp_path / "runs")
    args = ["--env-id", "cartpole", "--num-envs", "16", "--num-steps", "8", "--num-minibatches", "1"]
    args += ["--update-epochs", "1", "--total-timesteps", str(16 * 8 * 5000), "--save-every", "0"]
    args += ["--save-minutes", "0", "--quiet", "--log-dir", log_dir]
    proc = subprocess.Popen([sys.executable, script, *args], cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    progress = os.path.join(log_dir, "*", "progress.csv")
    while time.time() < deadline and not (glob.glob(progress) and len(open(glob.glob(progress)[0]).readlines()) > 3):
        time.sleep(0.05)
    assert not glob.glob(os.path.join(log_dir, "*", "checkpoint.pt"))  # saving is off until the signal
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, out
    stopped = re.search(r"stopped by SIGTERM after iteration (\d+): checkpoint (\S+) ", out)
    assert stopped, out
    ckpt_path = os.path.join(only_run_dir(log_dir), "checkpoint.pt")
    assert stopped[2] == ckpt_path
    at = int(stopped[1])
    assert torch.load(ckpt_path, weights_only=True)["iteration"] == at >= 3
    # the resumed run honours a new (here smaller than the original) budget and finishes it
    run(script, "--resume", ckpt_path, "--total-timesteps", str(16 * 8 * (at + 2)), "--quiet", cwd=tmp_path)
    assert torch.load(ckpt_path, weights_only=True)["iteration"] == at + 2
    with open(os.path.join(only_run_dir(log_dir), "progress.csv")) as f:
        assert [int(row["iteration"]) for row in csv.DictReader(f)] == list(range(1, at + 3))


def test_resume_changes_only_safe_arguments(tmp_path, monkeypatch):
    log_dir = str(tmp_path / "runs")
    run(PPO_WARP, "--env-id", "cartpole", "--log-dir", log_dir, *TINY, cwd=tmp_path)
    ckpt_path = os.path.join(only_run_dir(log_dir), "checkpoint.pt")

    def resume(*args):
        return exit_message(PPO_WARP, "--resume", ckpt_path, *args, cwd=tmp_path, monkeypatch=monkeypatch)

    message = resume("--learning-rate", "0.1")
    assert message == "ppo_warp.py: error: cannot change learning_rate on resume (checkpoint has 0.001)"
    message = resume("--num-envs", "32", "--seed", "2")
    assert message.endswith("cannot change seed on resume (checkpoint has 1); cannot change num_envs on resume "
                            "(checkpoint has 64)"), message  # fmt: skip
    # the checkpoint's own values are not a change; a finished run says so
    message = resume("--num-envs", "64", "--learning-rate", "0.001")
    assert "has finished its 2 iterations (2048 steps); pass a --total-timesteps larger than 2048" in message
    p = run(PPO_WARP, "--resume", ckpt_path, "--total-timesteps", "4096", "--save-minutes", "1", cwd=tmp_path)
    assert "iter 4/4 step 4096" in p.stdout and "iter 2/" not in p.stdout
    ckpt = torch.load(ckpt_path, weights_only=True)
    assert ckpt["iteration"] == 4 and ckpt["args"]["total_timesteps"] == 4096 and ckpt["args"]["save_minutes"] == 1


@pytest.mark.parametrize("script", [PPO_WARP, PPO_GYM])
@pytest.mark.parametrize("flag", ["--resume", "--eval"])
def test_damaged_or_foreign_checkpoints_give_one_line(tmp_path, monkeypatch, script, flag):
    good = tmp_path / "good.pt"
    torch.save({"agent": {}, "args": {}}, good)
    cases = {
        "random.pt": (os.urandom(4096), "is not a PyTorch checkpoint"),
        # random bytes that begin like a pickle header: torch warns ("Detected pickle protocol 9") before failing
        "pickle_header.pt": (b"\x80\x09" + bytes(range(256)) * 4, "is not a PyTorch checkpoint"),
        "truncated.pt": (good.read_bytes()[:100], "is damaged (truncated?)"),
    }
    for name, (data, _) in cases.items():
        (tmp_path / name).write_bytes(data)
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.pt")
    # --resume needs a training checkpoint, --eval only a policy (agent, normalizer, arguments: results/'s policy.pt)
    if flag == "--eval":
        cases["foreign.pt"] = (None, "missing: agent, obs_rms, args)")
        cases["good.pt"] = (None, "missing: obs_rms)")
    else:
        cases["foreign.pt"] = (None, "missing: agent, optimizer, obs_rms, args, iteration, global_step")
        cases["good.pt"] = (None, "missing: optimizer, obs_rms, iteration, global_step")
    for name, (_, message) in cases.items():
        path = str(tmp_path / name)
        text = exit_message(
            script, flag, path, "--log-dir", str(tmp_path / "runs"), cwd=tmp_path, monkeypatch=monkeypatch
        )
        assert path in text and message in text and "weights_only" not in text and "\n" not in text, text
    assert not (tmp_path / "runs").exists()
    # the same line on stderr, with no traceback
    for name in ("random.pt", "pickle_header.pt"):
        p = run(script, flag, str(tmp_path / name), cwd=tmp_path, check=False)
        assert p.returncode == 1 and p.stderr.endswith("is not a PyTorch checkpoint\n"), p.stderr
        assert len(p.stderr.splitlines()) == 1, p.stderr


@pytest.mark.parametrize("script", [PPO_WARP, PPO_GYM])
def test_capture_video_at_the_end_and_with_eval(tmp_path, script):
    """--capture-video records one deterministic episode of the final policy: an MP4 whose frames match its trace's
    rows, in TensorBoard as videos/eval at the last step; --eval --capture-video on the checkpoint replays it."""
    import imageio.v2 as imageio
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    log_dir = str(tmp_path / "runs")
    p = run(script, "--env-id", "cartpole", "--log-dir", log_dir, *TINY, "--capture-video", cwd=tmp_path)
    run_dir = only_run_dir(log_dir)
    video, trace = (os.path.join(run_dir, "videos", f"eval_2048.{ext}") for ext in ("mp4", "csv"))
    assert f"video {video}: " in p.stdout, p.stdout
    with imageio.get_reader(video) as reader:
        frames = [frame for frame in reader]  # not list(reader): the ffmpeg reader's len() is inf
    with open(trace) as f:
        rows = list(csv.DictReader(f))
    assert len(frames) == len(rows) >= 8 and frames[0].shape == (360, 480, 3)  # a random cartpole lasts ~8+ steps
    assert int(rows[-1]["terminated"]) + int(rows[-1]["truncated"]) == 1
    events = EventAccumulator(run_dir, size_guidance={"images": 0})
    events.Reload()
    (image,) = events.Images("videos/eval")
    # the GIF writer merges identical consecutive frames (a cart that holds still), so at most one per row
    assert image.step == 2048 and 1 <= len(imageio.mimread(image.encoded_image_string, format="GIF")) <= len(rows)

    os.rename(trace, trace + ".train")
    p = run(script, "--eval", os.path.join(run_dir, "checkpoint.pt"), "--eval-episodes", "2", "--capture-video",
            cwd=tmp_path)  # fmt: skip
    assert "2 episodes" in p.stdout and f"video {video}: " in p.stdout, p.stdout
    with open(trace) as f, open(trace + ".train") as g:
        assert f.read() == g.read()  # the same policy, normalization and seed: the same episode


def test_env_kwargs_reach_training_resume_eval_and_video(tmp_path, monkeypatch):
    """--env-kwargs max_episode_steps=5: every cartpole episode (reward 1 per step) returns at most 5, in training,
    after resume, in --eval and in the recorded video; the run keeps the overrides in its config and checkpoint."""
    log_dir = str(tmp_path / "runs")
    run(
        PPO_WARP,
        "--env-id",
        "cartpole",
        "--log-dir",
        log_dir,
        *TINY,
        "--env-kwargs",
        "max_episode_steps=5",
        cwd=tmp_path,
    )
    run_dir = only_run_dir(log_dir)
    ckpt_path = os.path.join(run_dir, "checkpoint.pt")
    assert torch.load(ckpt_path, weights_only=True)["args"]["env_kwargs"] == ("max_episode_steps=5",)
    with open(os.path.join(run_dir, "config.json")) as f:
        assert json.load(f)["args"]["env_kwargs"] == ["max_episode_steps=5"]
    message = exit_message(PPO_WARP, "--resume", ckpt_path, "--env-kwargs", "max_episode_steps=6", cwd=tmp_path,
                           monkeypatch=monkeypatch)  # fmt: skip
    assert "cannot change env_kwargs on resume" in message
    run(PPO_WARP, "--resume", ckpt_path, "--total-timesteps", "4096", cwd=tmp_path)
    with open(os.path.join(run_dir, "progress.csv")) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 and all(0 < float(r["return_iteration"]) <= 5 for r in rows), rows
    p = run(PPO_WARP, "--eval", ckpt_path, "--eval-episodes", "3", "--capture-video", cwd=tmp_path)
    assert re.search(r"return [1-5]\.00 \+- ", p.stdout), p.stdout
    assert re.search(r"video .*: [1-5] steps", p.stdout), p.stdout


@pytest.mark.parametrize(
    "value, message",
    [
        ("max_episode_steps", "--env-kwargs: 'max_episode_steps' is not KEY=VALUE"),
        ("max_episode_steps=five", "--env-kwargs: the value of max_episode_steps ('five') is not a Python literal"),
        ("no_such_field=1", "--env-kwargs: unknown override 'no_such_field' for env 'cartpole'"),
        ("seed=3", "--env-kwargs: seed is set by the script's own flags (--seed), not here"),
    ],
)
def test_bad_env_kwargs_stop_before_any_work(tmp_path, monkeypatch, value, message):
    log_dir = tmp_path / "runs"
    args = ("--env-id", "cartpole", "--log-dir", str(log_dir), "--env-kwargs", value)
    assert message in exit_message(PPO_WARP, *args, cwd=tmp_path, monkeypatch=monkeypatch)
    assert not log_dir.exists()
