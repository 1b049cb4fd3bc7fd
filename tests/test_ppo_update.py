"""The PPO update of cleanppo/ppo_warp.py and ppo_gym.py without per-minibatch host syncs: the adaptive learning rate
decided on the device against rsl_rl's host rule over a real run, Adam with a tensor learning rate against
torch.optim.Adam and its device-side skip of a non-finite step, the CUDA-graph update's bookkeeping with a stand-in
for capture (no GPU here), the bounded log std, the --activation flag and the per-env presets (in --help and kept on
--resume)."""

import glob
import importlib.util
import json
import os
import re
import subprocess
import sys
from dataclasses import asdict

import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PPO_WARP = os.path.join(ROOT, "cleanppo", "ppo_warp.py")
PPO_GYM = os.path.join(ROOT, "cleanppo", "ppo_gym.py")
_modules = {}


def load(script):
    # the scripts are not a package (CleanRL's rule): load each file as a module; its main block does not run
    if script not in _modules:
        spec = importlib.util.spec_from_file_location(f"{os.path.basename(script)[:-3]}_update_test", script)
        _modules[script] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_modules[script])
    return _modules[script]


def run(*args, cwd, timeout=300):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")])}
    p = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout, env=env)
    assert p.returncode == 0, f"{args} failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p


# Runs a script's main block with runs.read_iteration (the iteration's one host read) wrapped to record, per
# iteration, each minibatch's KL and the learning rate after the update, as the device computed them.
RECORD_RUNNER = """
import json, runpy, sys
from cleanppo_utils import runs
read_iteration, rows, record = runs.read_iteration, [], sys.argv[1]
def recording(*args, **kwargs):
    out = read_iteration(*args, **kwargs)
    rows.append(dict(kl=out.mb[:, 0].tolist(), lr=float(out.lr), std=float(out.std)))
    with open(record, "w") as f:
        json.dump(rows, f)
    return out
runs.read_iteration = recording
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def recorded_run(tmp_path, script, *flags) -> list[dict]:
    runner, record = tmp_path / "record_runner.py", tmp_path / "record.json"
    runner.write_text(RECORD_RUNNER)
    run(str(runner), str(record), script, "--log-dir", str(tmp_path / "runs"), "--quiet", *flags, cwd=tmp_path)
    return json.loads(record.read_text())


def host_rule(lr: float, kl: float, desired_kl: float, max_lr: float) -> float:
    # rsl_rl's PPO.update (schedule "adaptive"), as the scripts ran it on the host before, per minibatch
    if kl > desired_kl * 2.0:
        return max(1e-5, lr / 1.5)
    if 0.0 < kl < desired_kl / 2.0:
        return min(max_lr, lr * 1.5)
    return lr


@pytest.mark.parametrize("script", [PPO_WARP, PPO_GYM], ids=os.path.basename)
def test_device_lr_rule_follows_the_host_rule_over_a_cartpole_run(tmp_path, script):
    # desired_kl 0.003 and max 3e-3: the run's KLs cross both thresholds and the upper clamp binds
    flags = ["--env-id", "cartpole", "--total-timesteps", str(12 * 2048), "--desired-kl", "0.003"]
    rows = recorded_run(tmp_path, script, *flags, "--max-learning-rate", "3e-3")
    lr, moves = 1e-3, set()
    for i, row in enumerate(rows):
        assert len(row["kl"]) == 10  # the preset's 5 epochs x 2 minibatches
        for kl in row["kl"]:
            new = host_rule(lr, kl, 0.003, 3e-3)
            moves.add("down" if new < lr else "up" if new > lr else "clamped" if new == 3e-3 else "kept")
            lr = new
        assert row["lr"] == lr, f"iteration {i + 1}: the device's lr {row['lr']!r}, the host rule's {lr!r}"
    assert moves >= {"down", "up", "clamped"}, moves


def test_adam_with_a_tensor_lr_equals_torch_optim_and_skips_a_non_finite_step():
    ppo = load(PPO_WARP)
    gen = torch.Generator().manual_seed(0)
    params = [torch.randn(17, 5, generator=gen), torch.randn(5, generator=gen)]
    mine, ref = [p.clone().requires_grad_() for p in params], [p.clone().requires_grad_() for p in params]
    adam, ref_adam = ppo.Adam(mine, lr=3e-3, eps=1e-5), torch.optim.Adam(ref, lr=3e-3, eps=1e-5, foreach=True)
    for step in range(30):
        grads = [torch.randn(p.shape, generator=gen) for p in params]
        for p, q, g in zip(mine, ref, grads, strict=True):
            p.grad, q.grad = g.clone(), g.clone()
        adam.count_step()
        adam.step(ok=torch.tensor(True))
        ref_adam.step()
        if step == 20:  # a changed lr, as the KL rule changes it between steps
            adam.lr.fill_(1e-3)
            ref_adam.param_groups[0]["lr"] = 1e-3
        for p, q in zip(mine, ref, strict=True):
            torch.testing.assert_close(p, q, rtol=0, atol=0)
    before = [p.detach().clone() for p in mine]
    for p in mine:
        p.grad = torch.full_like(p, float("nan"))
    adam.count_step()
    adam.step(ok=torch.tensor(False))
    for p, b in zip(mine, before, strict=True):
        assert torch.equal(p, b), "a skipped (non-finite) step moved the parameters"
    for p in mine:  # and the moments stayed finite: the next good step moves the parameters to finite values
        p.grad = torch.ones_like(p)
    adam.count_step()
    adam.step(ok=torch.tensor(True))
    assert all(bool(torch.isfinite(p).all()) and not torch.equal(p, b) for p, b in zip(mine, before, strict=True))


@pytest.mark.parametrize("script", [PPO_WARP, PPO_GYM], ids=os.path.basename)
def test_log_std_stays_within_its_bound_where_the_entropy_bonus_widens_it(tmp_path, script):
    # a large entropy bonus widens the Gaussian at every step: unbounded, 30 Adam steps of ~0.01 raise the log std
    flags = ["--env-id", "cartpole", "--total-timesteps", str(3 * 2048), "--ent-coef", "1.0", "--learning-rate", "0.01"]
    flags += ["--lr-schedule", "constant", "--init-log-std", "-0.5", "--max-log-std", "-0.5"]
    rows = recorded_run(tmp_path, script, *flags)
    assert [row["std"] for row in rows] == [pytest.approx(torch.tensor(-0.5).exp().item(), rel=1e-6)] * 3
    (ckpt,) = glob.glob(str(tmp_path / "runs" / "*" / "checkpoint.pt"))
    assert torch.load(ckpt, weights_only=True)["agent"]["actor_logstd"].max().item() == pytest.approx(-0.5, abs=1e-7)


def test_activation_flag_builds_elu_or_tanh_mlps():
    ppo = load(PPO_WARP)
    for activation, kind in (("elu", torch.nn.ELU), ("tanh", torch.nn.Tanh)):
        agent = ppo.Agent(8, 2, (16, 4), 0.0, activation)
        for net in (agent.actor_mean, agent.critic):
            acts = [m for m in net if not isinstance(m, torch.nn.Linear)]
            assert len(acts) == 2 and all(type(m) is kind for m in acts), net


def help_text(*args):
    p = run(PPO_WARP, *args, "--help", cwd=ROOT)
    return " ".join(p.stdout.replace("│", " ").split())  # tyro's box, unwrapped


def test_presets_show_in_help():
    anymal, humanoid, ant = help_text("--env-id", "anymal_c"), help_text("--env-id", "humanoid"), help_text()
    assert re.search(r"--hidden \[INT \[INT \.\.\.\]\] hidden layer sizes .*? \(default: 128 64 32\)", anymal)
    assert "(default: elu)" in anymal and "--clip-vloss, --no-clip-vloss" in anymal
    assert "--total-timesteps INT total env steps of the experiment (default: 29491200)" in anymal
    for text, max_log_std in ((anymal, "0.0"), (humanoid, "0.0"), (ant, "2.0")):
        assert re.search(rf"--max-log-std FLOAT .*? \(default: {max_log_std}\)", text), text
    assert "(default: tanh)" in humanoid and "(default: tanh)" in ant


def write_checkpoint(path, args) -> None:
    torch.save(dict(agent={}, optimizer={}, obs_rms={}, args=asdict(args), iteration=1, global_step=1), path)


@pytest.mark.parametrize("env_id", ["anymal_c", "anymal_c_rough", "humanoid"])
def test_resume_keeps_the_presets_and_refuses_to_change_them(tmp_path, monkeypatch, env_id):
    from cleanppo_utils import runs

    ppo = load(PPO_WARP)
    preset = ppo.PRESETS[env_id]
    path = str(tmp_path / "checkpoint.pt")
    write_checkpoint(path, ppo.Args(env_id=env_id, **preset))
    monkeypatch.setattr(sys, "argv", ["ppo_warp.py", "--resume", path, "--total-timesteps", str(10**9)])
    args, _ = runs.parse_args(ppo.Args, ppo.PRESETS, ppo.__doc__)
    kept = {k: v for k, v in preset.items() if k != "total_timesteps"}  # the one preset value a resume may change
    assert {k: getattr(args, k) for k in kept} == kept and args.env_id == env_id and args.total_timesteps == 10**9
    monkeypatch.setattr(sys, "argv", ["ppo_warp.py", "--resume", path, "--max-log-std", "1.0"])
    with pytest.raises(SystemExit) as e:
        runs.parse_args(ppo.Args, ppo.PRESETS, ppo.__doc__)
    assert "cannot change max_log_std on resume (checkpoint has 0.0)" in str(e.value.code)


def test_ppo_warp_and_its_ddp_twin_share_their_presets():
    """A preset fixed in one script and not the other trains a different task on several GPUs."""
    assert load(os.path.join(ROOT, "cleanppo", "ppo_warp_ddp.py")).PRESETS == load(PPO_WARP).PRESETS


def test_ppo_gym_takes_ppo_warps_presets_for_the_tasks_both_run():
    """ppo_gym.py is the same PPO on Gymnasium's implementation of each task: the same preset, or the two learning
    curves differ in more than the simulator; it knows every MuJoCo task of GymVecEnv."""
    from cleanppo_utils.gym_env import GymVecEnv

    gym_presets, warp_presets = load(PPO_GYM).PRESETS, load(PPO_WARP).PRESETS
    for env_id in GymVecEnv.GYM_IDS:
        assert gym_presets.get(env_id) == warp_presets.get(env_id), env_id


def test_env_kwargs_add_to_the_presets_own(monkeypatch):
    """anymal_c_rough's preset sets height_scale through env_kwargs: --env-kwargs adds pairs after it (a later pair
    wins in runs.env_kwargs), so one override keeps the preset's scan scale unless it names height_scale itself."""
    from cleanppo_utils import runs

    ppo = load(PPO_WARP)
    assert ppo.PRESETS["anymal_c_rough"]["env_kwargs"] == ("height_scale=0.5",)
    for extra, scale in (((), 0.5), (("heading_command=0",), 0.5), (("height_scale=5.0",), 5.0)):
        argv = ["ppo_warp.py", "--env-id", "anymal_c_rough"] + (["--env-kwargs", *extra] if extra else [])
        monkeypatch.setattr(sys, "argv", argv)
        args, _ = runs.parse_args(ppo.Args, ppo.PRESETS, ppo.__doc__)
        assert args.env_kwargs[0] == "height_scale=0.5" and runs.env_kwargs(args.env_kwargs)["height_scale"] == scale
        assert set(extra) <= set(args.env_kwargs) and not args.norm_obs
    monkeypatch.setattr(sys, "argv", ["ppo_warp.py", "--env-id", "ant", "--env-kwargs", "ctrl_cost_weight=0.1"])
    assert runs.parse_args(ppo.Args, ppo.PRESETS, ppo.__doc__)[0].env_kwargs == ("ctrl_cost_weight=0.1",)


def test_resume_takes_the_same_env_kwargs_the_run_started_with(tmp_path, monkeypatch):
    """A run started with --env-kwargs over the rough preset resumes with the same command line (gpu_session.sh's
    ROUGH_ARGS), and still refuses other pairs."""
    from cleanppo_utils import runs

    ppo = load(PPO_WARP)
    argv = ["ppo_warp.py", "--env-id", "anymal_c_rough", "--env-kwargs", "heading_command=0"]
    monkeypatch.setattr(sys, "argv", argv)
    started, _ = runs.parse_args(ppo.Args, ppo.PRESETS, ppo.__doc__)
    path = str(tmp_path / "checkpoint.pt")
    write_checkpoint(path, started)
    monkeypatch.setattr(sys, "argv", argv + ["--resume", path])
    assert runs.parse_args(ppo.Args, ppo.PRESETS, ppo.__doc__)[0].env_kwargs == started.env_kwargs
    monkeypatch.setattr(sys, "argv", ["ppo_warp.py", "--resume", path])
    assert runs.parse_args(ppo.Args, ppo.PRESETS, ppo.__doc__)[0].env_kwargs == started.env_kwargs
    monkeypatch.setattr(sys, "argv", ["ppo_warp.py", "--resume", path, "--env-kwargs", "heading_command=1"])
    with pytest.raises(SystemExit) as e:
        runs.parse_args(ppo.Args, ppo.PRESETS, ppo.__doc__)
    assert "cannot change env_kwargs on resume" in str(e.value.code)


def test_graphed_update_feeds_the_graph_each_iteration_and_minibatch(standin_cuda_graph):
    """runs.GraphedUpdate with a stand-in for CUDA capture (capture runs nothing, replay runs the update on the fixed
    tensors): 2 iterations x 2 minibatches give the parameters and statistics of the eager update, so new batches
    and indices reach the fixed tensors and the warm-up and the check leave the state as it was."""
    from cleanppo_utils import runs

    ppo = load(PPO_WARP)
    args = ppo.Args(env_id="cartpole", hidden=(8, 8))
    gen = torch.Generator().manual_seed(3)

    def batch():
        n = 32
        return dict(obs=torch.randn(n, 4, generator=gen), actions=torch.randn(n, 1, generator=gen),
                    mus=torch.randn(n, 1, generator=gen), logprobs=torch.randn(n, generator=gen) - 1.0,
                    advantages=torch.randn(n, generator=gen), returns=torch.randn(n, generator=gen),
                    values=torch.randn(n, generator=gen))  # fmt: skip

    agents, optimizers = [], []
    for _ in range(2):
        torch.manual_seed(0)
        agents.append(ppo.Agent(4, 1, args.hidden, args.init_log_std))
        optimizers.append(ppo.Adam(agents[-1].parameters(), lr=args.learning_rate))
    eager = lambda *mb: ppo.update_minibatch(agents[0], optimizers[0], args, *mb)  # noqa: E731
    state = [*agents[1].parameters(), *optimizers[1].exp_avg, *optimizers[1].exp_avg_sq, optimizers[1].lr]
    graphed = runs.GraphedUpdate(lambda *mb: ppo.update_minibatch(agents[1], optimizers[1], args, *mb), state)

    standin_cuda_graph(graphed)
    stats = torch.zeros(2, 4, len(runs.MB_STATS))
    for iteration in range(2):
        b = batch()
        old_std = agents[0].actor_logstd.detach().exp()
        inds = torch.randperm(32, generator=gen)
        for k in range(2):
            for i, (update, opt) in enumerate(((eager, optimizers[0]), (graphed, optimizers[1]))):
                opt.count_step()
                update(b, inds[16 * k : 16 * (k + 1)], old_std.clone(), stats[i, 2 * iteration + k])
    assert graphed.graph is not None and graphed.graph is not False  # captured, and the check passed
    torch.testing.assert_close(stats[1], stats[0], rtol=0, atol=0)
    for p, q in zip(agents[0].parameters(), agents[1].parameters(), strict=True):
        torch.testing.assert_close(q, p, rtol=0, atol=0)
