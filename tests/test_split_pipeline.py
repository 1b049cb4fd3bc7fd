"""The GPU path of the articulated step (kernels.forward.SPLIT_KERNELS, env-fastest scratch) against the fused
kernel, on the CPU (Warp runs every kernel there): the same stage functions in the same order, so the results are
compared bit for bit; and the static GPU report's ptxas parser."""

import math
import os
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import warp as wp

import envs
from benchmarks.gpu_report import occupancy, parse_ptxas
from kernels.articulation import SCRATCH, Simulator
from mjcf import load_mjcf

ASSETS = os.path.join(os.path.dirname(envs.__file__), "assets")
NUM_ENVS = 16


def _rollout(asset: str, steps: int, nan_scratch: bool = False, **kw) -> np.ndarray:
    model = load_mjcf(os.path.join(ASSETS, asset))
    sim = Simulator(model, NUM_ENVS, "cpu", contacts=True, joint_limits=True, substeps=3, **kw)
    g = torch.Generator().manual_seed(1)
    qpos, _ = sim.get_state()
    q0 = qpos.clone()
    q0[:, 2] -= 0.1 * torch.rand(NUM_ENVS, generator=g)  # free joints: dropped from near the model's own height
    sim.set_state(q0, 0.5 * torch.randn(NUM_ENVS, sim.nv, generator=g))
    if nan_scratch:
        for name in SCRATCH:  # a value carried over from an earlier substep would now be NaN (or a bad index)
            t = wp.to_torch(getattr(sim, name))
            t.fill_(math.nan if t.is_floating_point() else -123456)
    states = []
    for _ in range(steps):
        ctrl = 2.0 * torch.rand(NUM_ENVS, sim.nu, generator=g) - 1.0
        sim.step(ctrl)
        q, v = sim.get_state()
        states.append(torch.cat([q, v, wp.to_torch(sim.contact_force)], 1).numpy().copy())
    return np.stack(states)


@pytest.mark.parametrize("asset", ["ant.xml", "humanoid.xml", "half_cheetah.xml"])
def test_split_pipeline_and_env_fastest_scratch_match_fused_bit_for_bit(asset):
    fused = _rollout(asset, 30, pipeline="fused", env_fastest=False)
    model = load_mjcf(os.path.join(ASSETS, asset))
    assert np.isfinite(fused).all() and (fused[..., model.nq + model.nv :] > 0).any()  # contacts pushed
    np.testing.assert_array_equal(_rollout(asset, 30, pipeline="split", env_fastest=True), fused)
    np.testing.assert_array_equal(_rollout(asset, 30, pipeline="split", env_fastest=False), fused)
    np.testing.assert_array_equal(_rollout(asset, 30, pipeline="fused", env_fastest=True), fused)


def test_scratch_is_recomputed_before_it_is_read():
    # SCRATCH may be stored env-fastest (excluded from state_dict) only if no step reads a value left by the last one
    clean = _rollout("humanoid.xml", 3, pipeline="split", env_fastest=True)
    np.testing.assert_array_equal(_rollout("humanoid.xml", 3, nan_scratch=True, pipeline="split"), clean)


def test_env_fastest_views_keep_the_env_major_shape():
    sim = Simulator(load_mjcf(os.path.join(ASSETS, "ant.xml")), 5, "cpu", contacts=True, env_fastest=True)
    for name in SCRATCH:
        a = getattr(sim, name)
        assert a.shape[0] == 5 and a.strides[0] == wp.types.type_size_in_bytes(a.dtype), name
    assert sim.qpos.is_contiguous and sim.contact_force.is_contiguous
    assert sim.pipeline == "fused"  # the default on a CPU


def test_env_passes_the_pipeline_to_its_simulator():
    env = envs.make("ant", num_envs=4, device="cpu", pipeline="split", env_fastest=True)
    assert (env.sim.pipeline, env.sim.env_fastest) == ("split", True)
    base = envs.make("ant", num_envs=4, device="cpu")
    actions = torch.rand(6, 4, env.num_actions, generator=torch.Generator().manual_seed(0)) * 2 - 1
    for a in actions:
        obs, reward, *_ = env.step(a)
        obs0, reward0, *_ = base.step(a)
        assert torch.equal(obs, obs0) and torch.equal(reward, reward0)


@pytest.mark.parametrize(("kw", "match"), [({"pipeline": "tiled"}, "pipeline"), ({"env_fastest": 1}, "env_fastest")])
def test_bad_pipeline_arguments_raise(kw, match):
    with pytest.raises(ValueError, match=match):
        Simulator(load_mjcf(os.path.join(ASSETS, "ant.xml")), 2, "cpu", **kw)


PTXAS = """ptxas info    : 11 bytes gmem
ptxas info    : Compiling entry function '_step_kernel_2feeb025_cuda_kernel_forward' for 'sm_90'
ptxas info    : Function properties for _step_kernel_2feeb025_cuda_kernel_forward
    88 bytes stack frame, 60 bytes spill stores, 64 bytes spill loads
ptxas info    : Used 255 registers, used 1 barriers, 1024 bytes smem, 5336 bytes cmem[0]
ptxas info    : Compiling entry function '_smooth_kernel_590290f3_cuda_kernel_forward' for 'sm_90'
ptxas info    : Function properties for _smooth_kernel_590290f3_cuda_kernel_forward
    32 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 96 registers, 5336 bytes cmem[0]
"""


def test_ptxas_report_is_parsed_per_kernel():
    info = parse_ptxas(PTXAS)
    assert info["_step_kernel_2feeb025_cuda_kernel_forward"] == dict(
        stack_bytes=88, spill_stores=60, spill_loads=64, registers=255, smem_bytes=1024, cmem_bytes=5336
    )
    assert info["_smooth_kernel_590290f3_cuda_kernel_forward"] == dict(
        stack_bytes=32, spill_stores=0, spill_loads=0, registers=96, smem_bytes=0, cmem_bytes=5336
    )
    # CUDA Occupancy Calculator, sm_90, 256 threads per block: 255 registers -> 1 block (8 of 64 warps); 96 -> 2
    assert occupancy(255, 1024, 256, 90) == (0.125, "registers")
    assert occupancy(96, 0, 256, 90) == (0.25, "registers")


def test_env_fastest_env_resumes_exactly_from_its_state_dict():
    # the scratch views are left out of state_dict (not contiguous); what a step carries over is not
    env = envs.make("ant", num_envs=4, device="cpu", pipeline="split", env_fastest=True)
    actions = torch.rand(3, 4, env.num_actions, generator=torch.Generator().manual_seed(0)) * 2 - 1
    env.step(actions[0])
    state = env.state_dict()
    assert not any(f"sim.{name}" in state for name in SCRATCH) and "sim.contact_force" in state
    first = [env.step(a)[0].clone() for a in actions]
    env.load_state_dict(state)
    assert all(torch.equal(env.step(a)[0], obs) for a, obs in zip(actions, first, strict=True))


def test_launch_block_dim_gives_every_sm_a_block(monkeypatch):
    """0 picks the largest block of 256, 128, 64, 32 that still makes as many blocks as the GPU has SMs; a CPU launch
    keeps Warp's default (None: another value would compile a module variant with the same code)."""
    import kernels.forward as forward

    assert forward.launch_block_dim("cpu", 16384, 0) is None
    assert forward.launch_block_dim("cpu", 16384, 64) is None
    h100 = SimpleNamespace(is_cuda=True, sm_count=132)
    monkeypatch.setattr(forward.wp, "get_device", lambda device: h100)
    picks = {65536: 256, 131 * 256 + 1: 256, 131 * 256: 128, 16384: 64, 131 * 64 + 1: 64, 131 * 64: 32, 4096: 32, 1: 32}
    for num_threads, want in picks.items():
        assert forward.launch_block_dim("cuda:0", num_threads, 0) == want, num_threads
    assert forward.launch_block_dim("cuda:0", 16384, 256) == 256
    assert forward.launch_block_dim("cuda:0", 16384, 96) == 96
    for bad in (-1, 1025, True, 64.0, None, "auto"):
        with pytest.raises(ValueError, match="block_dim must be an integer in"):
            forward.launch_block_dim("cuda:0", 16384, bad)
    with pytest.raises(ValueError, match="block_dim must be an integer in"):
        envs.make("cartpole", num_envs=2, device="cpu", block_dim=2048)


@pytest.mark.parametrize(
    "env_id, kw", [("anymal_c", {}), ("anymal_c_rough", {}), ("ant", {"obs_layout": "v5"}), ("pendulum", {})]
)
def test_every_recorded_env_launch_takes_the_env_block_dim(monkeypatch, env_id, kw):
    """The env's block_dim reaches each launch it records (simulator, task, privileged, pushes, terrain, v5 blocks):
    a launch that bypasses it would keep 256 threads per block on CUDA. Checked on the CPU by standing in for the
    CUDA choice (a marker value) and watching wp.launch."""
    import envs.core
    import kernels.articulation

    def cuda_choice(device, num_threads, block_dim):
        return 1000 + block_dim

    monkeypatch.setattr(envs.core, "launch_block_dim", cuda_choice)
    monkeypatch.setattr(kernels.articulation, "launch_block_dim", cuda_choice)
    seen, real_launch = [], wp.launch

    def spy(kernel, dim, *args, block_dim=None, **kwargs):
        if kwargs.get("record_cmd"):
            seen.append((kernel.key, block_dim))
        return real_launch(kernel, dim, *args, **kwargs)  # the CPU's own block size: the marker is not a real one

    monkeypatch.setattr(wp, "launch", spy)
    env = envs.make(env_id, num_envs=2, device="cpu", block_dim=64, **kw)
    env.step(torch.zeros(2, env.num_actions))
    assert len(seen) >= (4 if env_id != "pendulum" else 3), seen
    assert all(b == 1064 for _, b in seen), [k for k, b in seen if b != 1064]
