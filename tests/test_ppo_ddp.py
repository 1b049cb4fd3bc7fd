"""ppo_warp_ddp.py over torch.distributed on CPU (gloo, 2 ranks), and the env offset that makes a rank's envs draw the
random numbers of their global indices."""

import csv
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
import torch

import envs


def test_env_offset_gives_the_rows_of_the_big_env_bit_for_bit():
    # action noise, observation noise and a randomized delay draw random numbers at every step and reset
    knobs = dict(device="cpu", seed=3, action_noise_std=0.3, obs_noise_std=0.05, action_delay=(0, 2))
    big = envs.make("cartpole", num_envs=12, **knobs)
    small = envs.make("cartpole", num_envs=5, env_offset=4, **knobs)
    other = envs.make("cartpole", num_envs=5, **knobs)  # no offset: envs [0, 5), which must differ
    torch.testing.assert_close(small.reset(), big.reset()[4:9], rtol=0, atol=0)
    assert not torch.equal(other.reset(), small.observations)
    gen = torch.Generator().manual_seed(0)
    finished = 0
    for _ in range(300):
        actions = torch.rand(12, 1, generator=gen) * 2 - 1
        obs, reward, terminated, truncated, info = big.step(actions)
        obs_s, reward_s, terminated_s, truncated_s, info_s = small.step(actions[4:9].clone())
        for a, b in ((obs_s, obs), (reward_s, reward), (info_s["final_obs"], info["final_obs"])):
            torch.testing.assert_close(a, b[4:9], rtol=0, atol=0)
        assert torch.equal(terminated_s, terminated[4:9]) and torch.equal(truncated_s, truncated[4:9])
        finished += int(terminated_s.sum())
    assert finished > 5  # resets happened, so the reset draws were compared too
    torch.testing.assert_close(small.get_state(), big.get_state()[4:9], rtol=0, atol=0)


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PPO_DDP = os.path.join(ROOT, "cleanppo", "ppo_warp_ddp.py")
PPO_WARP = os.path.join(ROOT, "cleanppo", "ppo_warp.py")
CARTPOLE = ["--env-id", "cartpole", "--num-envs", "64", "--quiet"]  # the preset: 32 steps, 2048 steps per iteration
# Runs the script's main block under torchrun, then saves what each rank holds (the script saves rank 0's only).
RANK_DUMP = """
import os, runpy, sys, torch
out, script = sys.argv[1], sys.argv[2]
sys.argv = sys.argv[2:]
g = runpy.run_path(script, run_name="__main__")
state = {"agent": g["agent"].state_dict(), "obs_rms": g["obs_rms"].state_dict(), "lr": g["optimizer"].lr}
torch.save(state, os.path.join(out, f"rank{os.environ['RANK']}.pt"))
"""


def subprocess_env() -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")])}


def torchrun(nproc: int, out, *flags: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ppo_warp_ddp.py on `nproc` CPU ranks (gloo) with runs under out/runs and each rank's state in out/."""
    os.makedirs(out, exist_ok=True)
    wrapper = os.path.join(out, "rank_dump.py")
    with open(wrapper, "w") as f:
        f.write(RANK_DUMP)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc), wrapper,
           str(out), PPO_DDP, *CARTPOLE, *flags]  # fmt: skip
    if "--resume" not in flags:  # a resumed run writes into its checkpoint's folder
        cmd += ["--log-dir", os.path.join(out, "runs")]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=out, timeout=timeout, env=subprocess_env())
    assert p.returncode == 0, f"{cmd} failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p


def checkpoint(out) -> dict:
    (path,) = glob.glob(os.path.join(out, "runs", "*", "checkpoint.pt"))
    return torch.load(path, weights_only=True)


def progress(out) -> list[dict]:
    (path,) = glob.glob(os.path.join(out, "runs", "*", "progress.csv"))
    with open(path) as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    """3 iterations of the cartpole preset (2 minibatches x 5 epochs, normalized advantages, adaptive lr) on 2 ranks."""
    out = tmp_path_factory.mktemp("two_ranks")
    torchrun(2, out, "--total-timesteps", str(3 * 2048))
    return out


def test_parameters_are_bit_identical_across_ranks_after_several_updates(two_ranks):
    rank0, rank1 = (torch.load(os.path.join(two_ranks, f"rank{r}.pt"), weights_only=True) for r in (0, 1))
    for part in ("agent", "obs_rms"):
        for name, value in rank0[part].items():
            assert torch.equal(value, rank1[part][name]), f"{part}.{name} differs between the ranks"
    assert rank0["lr"] == rank1["lr"]
    ckpt = checkpoint(two_ranks)
    assert ckpt["iteration"] == 3 and ckpt["global_step"] == 3 * 2048 and ckpt["next_obs"].shape == (64, 4)
    assert not torch.equal(ckpt["agent"]["actor_logstd"], torch.zeros(1, 1))  # it did learn something


def test_two_ranks_make_the_first_update_of_one_process(tmp_path):
    # one minibatch, one epoch, no per-minibatch advantage normalization: the averaged gradient is the one process's
    flags = ["--num-minibatches", "1", "--update-epochs", "1", "--no-norm-adv", "--total-timesteps", "2048"]
    flags += ["--random-episode-start"]  # each rank takes its slice of the clocks one process draws
    torchrun(2, tmp_path / "ddp", *flags)
    single = tmp_path / "single"
    p = subprocess.run([sys.executable, PPO_WARP, *CARTPOLE, "--log-dir", str(single / "runs"), *flags],
                       capture_output=True, text=True, timeout=300, env=subprocess_env())  # fmt: skip
    assert p.returncode == 0, p.stderr[-3000:]
    ddp, one = checkpoint(tmp_path / "ddp"), checkpoint(single)
    # same start states and episode clocks, same actions: the rollout and the envs' state after it agree bit for bit
    assert torch.equal(ddp["next_obs"], one["next_obs"])
    for name, value in one["env_state"].items():
        assert torch.equal(ddp["env_state"][name], value), name
    # the update: sums over 1024 vs 2048 samples and the all-reduce round differently (float32; seen: 3e-8)
    diffs = {name: float((ddp["agent"][name] - value).abs().max()) for name, value in one["agent"].items()}
    print("max |ddp - one process| per parameter after the first update:", diffs)
    for name, value in one["agent"].items():
        torch.testing.assert_close(ddp["agent"][name], value, rtol=1e-5, atol=1e-6, msg=name)
    # rank 0's log summarizes both ranks' episodes as one process lists them (the last 20 in step, then env order)
    (ddp_row,), (one_row,) = progress(tmp_path / "ddp"), progress(single)
    assert ddp_row["episodes"] == one_row["episodes"] and int(one_row["episodes"]) > 20
    for column in ("return_last20", "return_iteration"):
        assert float(ddp_row[column]) == pytest.approx(float(one_row[column]), rel=1e-6), column
    for name, value in one["obs_rms"].items():  # float64 moments merged from the two ranks
        torch.testing.assert_close(ddp["obs_rms"][name], value, rtol=1e-9, atol=1e-12, msg=name)


def test_a_short_run_on_two_ranks_improves_cartpole(tmp_path):
    torchrun(2, tmp_path, "--total-timesteps", str(20 * 2048))
    rows = progress(tmp_path)
    assert len(rows) == 20 and int(rows[-1]["global_step"]) == 20 * 2048
    first, last = float(rows[0]["return_iteration"]), float(rows[-1]["return_last20"])
    assert first < 40 and last > 3 * first, (first, last)  # a random policy balances ~22 steps


def test_resume_a_two_rank_checkpoint_on_one_rank(two_ranks, tmp_path):
    # the 2-rank checkpoint continued one iteration by 1 rank, by 2 ranks and by ppo_warp.py (one process)
    (path,) = glob.glob(os.path.join(two_ranks, "runs", "*", "checkpoint.pt"))
    for name in ("one", "two", "single"):  # a resumed run writes into its checkpoint's folder: one copy each
        shutil.copytree(os.path.dirname(path), tmp_path / name / "runs" / "saved")
    resume = lambda name: ["--resume", str(tmp_path / name / "runs" / "saved" / "checkpoint.pt")]  # noqa: E731
    torchrun(1, tmp_path / "one", *resume("one"), "--total-timesteps", str(4 * 2048))
    torchrun(2, tmp_path / "two", *resume("two"), "--total-timesteps", str(4 * 2048))
    p = subprocess.run([sys.executable, PPO_WARP, *resume("single"), "--total-timesteps", str(4 * 2048)],
                       capture_output=True, text=True, timeout=300, env=subprocess_env())  # fmt: skip
    assert p.returncode == 0, p.stderr[-3000:]
    one, two, single = (checkpoint(tmp_path / name) for name in ("one", "two", "single"))
    assert one["iteration"] == two["iteration"] == single["iteration"] == 4 and one["global_step"] == 4 * 2048
    # the rollout of iteration 4 comes from the restored policy and envs: the same whatever the world size
    assert torch.equal(one["next_obs"], two["next_obs"]) and torch.equal(one["next_obs"], single["next_obs"])
    for name, value in single["env_state"].items():
        assert torch.equal(one["env_state"][name], value) and torch.equal(two["env_state"][name], value), name
    # 1 rank is ppo_warp.py bit for bit (2 ranks normalize advantages and shuffle per rank: another update)
    for part in ("agent", "obs_rms"):
        for name, value in single[part].items():
            assert torch.equal(one[part][name], value), f"{part}.{name}"
    assert [int(r["iteration"]) for r in progress(tmp_path / "one")] == [1, 2, 3, 4]  # appended to the 2-rank rows


def test_env_kwargs_reach_every_rank(tmp_path):
    """--env-kwargs max_episode_steps=5 on 2 ranks: every cartpole episode (reward 1 per step) returns at most 5."""
    torchrun(2, tmp_path, "--total-timesteps", str(2 * 2048), "--env-kwargs", "max_episode_steps=5")
    rows = progress(tmp_path)
    assert len(rows) == 2 and all(0 < float(r["return_iteration"]) <= 5 for r in rows), rows
    assert checkpoint(tmp_path)["args"]["env_kwargs"] == ("max_episode_steps=5",)


def test_not_under_torchrun_is_a_clear_error(tmp_path):
    env = {k: v for k, v in subprocess_env().items() if k not in ("RANK", "WORLD_SIZE", "MASTER_ADDR")}
    p = subprocess.run([sys.executable, PPO_DDP, *CARTPOLE, "--log-dir", str(tmp_path)], capture_output=True,
                       text=True, timeout=120, env=env)  # fmt: skip
    assert p.returncode == 1
    assert "ppo_warp_ddp.py: error: not launched by torchrun (missing RANK, WORLD_SIZE" in p.stderr
    assert "torchrun --standalone --nproc_per_node" in p.stderr


@pytest.mark.parametrize("how", ["killed", "stopped"])
def test_a_rank_that_dies_or_hangs_ends_the_other_with_a_message(tmp_path, how):
    # the two ranks launched by hand with torchrun's variables, so that the test can kill (SIGKILL: its connections
    # close) or stop (SIGSTOP: it hangs, connections open, so only the collective timeout ends the wait) one of them
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    flags = [*CARTPOLE, "--log-dir", str(tmp_path), "--total-timesteps", "100000000", "--collective-timeout", "10"]
    ranks = []
    for rank in (0, 1):
        env = {**subprocess_env(), "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "2",
               "LOCAL_WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)}  # fmt: skip
        ranks.append(subprocess.Popen([sys.executable, PPO_DDP, *flags], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))  # fmt: skip
    try:
        deadline = time.time() + 240
        while True:  # wait until both ranks are in the training loop: rank 0 has logged 3 iterations
            rows = glob.glob(str(tmp_path / "*" / "progress.csv"))
            if rows and len(open(rows[0]).readlines()) > 3:
                break
            if time.time() > deadline or ranks[0].poll() is not None:
                pytest.fail(f"rank 0 did not reach its third iteration (exit status {ranks[0].poll()})")
            time.sleep(0.5)
        ranks[1].send_signal(signal.SIGKILL if how == "killed" else signal.SIGSTOP)
        _, stderr = ranks[0].communicate(timeout=120)  # the 10 s timeout plus an iteration, on a loaded machine
    finally:
        for p in ranks:
            if p.poll() is None:
                p.kill()
    assert ranks[0].returncode == 1, stderr[-2000:]
    assert "ppo_warp_ddp.py: error: rank 0: lost the other ranks in" in stderr, stderr[-2000:]
