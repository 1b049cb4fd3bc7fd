"""WarpEnv.launch_sequence is the step, and benchmarks/kernel_times.py times each of its kernels."""

import pytest
import torch

import envs
from benchmarks.kernel_times import format_table, kernel_labels, kernel_times

CASES = [
    ("cartpole", {}),
    ("ant", {"pipeline": "split"}),  # v5 observation: read and write passes around the task kernel
    ("ant", {"pipeline": "fused", "obs_layout": "short"}),
    ("humanoid", {"pipeline": "split"}),  # the pair kernel
    ("ant", {"pipeline": "split_tiled"}),  # the tiled solve (kernels.solve_tiled), recorded with launch_tiled
    ("anymal_c", {"pipeline": "split_tiled", "push_interval_s": 0.06}),
    ("anymal_c", {"push_interval_s": 0.06}),  # privileged rows, pushes every 3 steps, the sync kernel
    ("anymal_c_rough", {"push_interval_s": 0.06}),  # the curriculum's placement
]


def _pair(env_id, kw, num_envs=6):
    # a time limit of 5 steps: the launches after the physics must also carry each reset into the simulator
    return [envs.make(env_id, num_envs=num_envs, device="cpu", seed=3, max_episode_steps=5, **kw) for _ in range(2)]


IDS = [f"{e}-{'-'.join(map(str, k.values())) or 'default'}" for e, k in CASES]


@pytest.mark.parametrize("env_id,kw", CASES, ids=IDS)
def test_replaying_launch_sequence_is_the_step(env_id, kw):
    stepped, replayed = _pair(env_id, kw)
    stepped.reset(), replayed.reset()
    gen = torch.Generator().manual_seed(0)
    for _ in range(12):
        actions = torch.rand(stepped.num_envs, stepped.num_actions, generator=gen) * 2 - 1
        obs, reward, terminated, truncated, _ = stepped.step(actions)
        replayed.actions.copy_(actions)
        for cmd in replayed.launch_sequence():
            cmd.launch()
        assert torch.equal(replayed.get_state(), stepped.get_state())
        assert torch.equal(replayed._obs_t, obs) and torch.equal(replayed._reward_t, reward)
        assert torch.equal(replayed._terminated_t, terminated) and torch.equal(replayed._truncated_t, truncated)
    a, b = stepped.state_dict(), replayed.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_split_sequence_runs_each_physics_kernel_once_per_substep():
    env = envs.make("ant", num_envs=4, device="cpu", pipeline="split", obs_layout="short")
    seq = env.launch_sequence()
    labels = kernel_labels(env, seq)
    physics = {id(cmd.kernel) for cmd in env.sim._step_cmds}
    # smooth, contact, force, the solve queue's reset, the solve's head and tail: six per substep
    assert sum(id(cmd.kernel) in physics for cmd in seq) == env.sim.substeps * len(physics) == 30
    assert labels[0] == "act" and labels[1] == "_smooth_kernel" and labels.count("task") == 1
    rows = kernel_times(env, "cpu", steps=2, repeats=2, warmup=1)
    by_name = {r["kernel"]: r for r in rows}
    assert by_name["_smooth_kernel"]["launches_per_step"] == env.sim.substeps
    assert by_name["act"]["launches_per_step"] == 1
    assert all(r["min_s"] <= r["median_s"] <= r["max_s"] and r["min_s"] > 0 for r in rows)


def test_distinct_kernels_of_one_name_are_told_apart():
    env = envs.make("ant", num_envs=2, device="cpu", obs_layout="v5")
    labels = kernel_labels(env, env.launch_sequence())
    assert "v5_kernel" in labels and "v5_kernel#2" in labels  # the read pass and the write pass
    assert labels.count("task") == 1 and labels.count("act") == 1


def test_table_has_a_line_per_row():
    row = dict(env="ant", num_envs=4, pipeline="split", block_dim=256, kernel="_smooth_kernel", launches_per_step=5)
    row |= dict(ms_per_step=1.0, share=0.25, sum_ms=4.0, eager_ms=4.1)
    table = format_table([row, dict(row, kernel="act", launches_per_step=1)])
    assert table.count("\n") == 3 and "`_smooth_kernel` | 5 | 1.000 | 25% | 4.00 / 4.10" in table


def test_bad_sizes_stop_with_a_clear_error(tmp_path):
    from benchmarks.kernel_times import run

    with pytest.raises(SystemExit, match="--steps, --repeats >= 1"):
        run(("ant",), (0,), "cpu", ("auto",), (256,), 2, 1, str(tmp_path))
