"""pipeline="split_tiled" (kernels.solve_tiled: the constraint solve in one block of threads per env) against the split
pipeline, on the CPU with Warp's cooperative CPU blocks, so that the block's 32 lanes share the work as on a GPU.

Both solve the same Newton systems in another summation order (a dense Cholesky of H = M + the lanes' R R^T instead of
the tree-sparse LDL^T with the rows added point by point), so they agree to float32 rounding, not bit for bit. How
far rounding alone moves a rollout is measured beside them: the split pipeline from the same states moved by 1 ulp.
Stiff contacts make the solve ill-conditioned (an ANYmal foot's contact rows reach 9999 / invweight, MuJoCo's cap),
so that spread reaches 1e-5 of the velocities' scale for an Ant and 4e-4 for an ANYmal within 12 steps (contact
dynamics amplify it from step to step); the tiled pipeline has to stay within 10 times it (measured: 0.5 to 2.7
times). One step of an Ant from the same state agrees to 5e-5 of each quantity's scale (measured: 9e-6). One step of
an ANYmal from states where the split solve's line search decides the answer (picked from the 4,096-env check's kind
of rollout) agrees state by state within 10 times the 1-ulp spread (measured: 0.15 times; the solve without the line
search was off in every state, by up to 4e4 times it).
"""

import os

import numpy as np
import pytest
import torch
import warp as wp

import envs
import kernels.io
from kernels.articulation import Simulator
from kernels.line_search import LINE_SEARCH_START
from kernels.solve_tiled import TILE_BLOCK_DIM
from mjcf import load_mjcf

ASSETS = os.path.join(os.path.dirname(envs.__file__), "assets")
NUM_ENVS = 8
STEPS = 12
# domain randomization on (per-episode ranges, drawn per env), so each env solves with its own masses and frictions
CASES = {
    "ant": dict(mass_scale=(0.8, 1.2), friction_scale=(0.5, 1.5), strength_scale=(0.8, 1.2)),
    "anymal_c": dict(friction_scale=(0.05, 1.5), base_mass_scale=(0.74, 1.26), strength_scale=(0.5, 1.5)),
}


@pytest.fixture
def cpu_blocks(monkeypatch):
    """Warp's CPU blocks of more than one lane (cooperative fibers), read when a simulator records its launches."""
    assert hasattr(wp.config, "enable_cpu_blocks")
    monkeypatch.setattr(wp.config, "enable_cpu_blocks", True)


def _pair(env_id: str, **kw):
    make = dict(num_envs=NUM_ENVS, device="cpu", seed=5, env_fastest=True, **CASES[env_id], **kw)
    split = envs.make(env_id, pipeline="split", **make)
    tiled = envs.make(env_id, pipeline="split_tiled", **make)
    return split, tiled


def _physics(env) -> dict[str, np.ndarray]:
    sim = env.sim
    out = {"qpos": sim.qpos, "qvel": sim.qvel, "qacc": sim.qacc, "contact_force": sim.contact_force}
    out |= {"contact_frc": sim.contact_frc, "contact_mask": sim.contact_mask, "limit_mask": sim.limit_mask}
    return {k: v.numpy().copy() for k, v in out.items()}


def _actions(env, steps: int) -> torch.Tensor:
    return torch.rand(steps, env.num_envs, env.num_actions, generator=torch.Generator().manual_seed(7)) * 2 - 1


def _ulp(x: torch.Tensor, seed: int) -> torch.Tensor:
    """x moved by one float32 ulp up or down (at random) in every element."""
    x = x.numpy()
    up = np.random.default_rng(seed).random(x.shape) < 0.5
    return torch.from_numpy(np.nextafter(x, np.where(up, np.float32(np.inf), np.float32(-np.inf))).astype(np.float32))


def _rollouts(env_id: str, steps: int) -> dict[str, np.ndarray]:
    """(split, split_tiled, split from 1-ulp-moved states) stacked over `steps` steps from the same reset states under
    the same random actions: one array [3, steps, ...] per quantity of ``_physics``."""
    split, tiled = _pair(env_id)
    spread = envs.make(env_id, pipeline="split", num_envs=NUM_ENVS, device="cpu", seed=5, **CASES[env_id])
    trio = (split, tiled, spread)
    for env in trio:
        env.reset()
    state = split.get_state().clone()
    moved = state.clone()
    n = split.sim.nq + split.sim.nv
    moved[:, :n] = _ulp(state[:, :n], seed=0)
    for env, s in zip(trio, (state, state, moved), strict=True):
        env.set_state(s)
    out = []
    for act in _actions(split, steps):
        for env in trio:
            env.step(act)
        out.append([_physics(env) for env in trio])
    return {k: np.stack([[s[i][k] for s in out] for i in range(3)]) for k in out[0][0]}


@pytest.mark.parametrize("env_id", list(CASES))
def test_split_tiled_rollout_matches_split_within_the_rounding_spread(env_id, cpu_blocks):
    r = _rollouts(env_id, STEPS)
    # the block's lanes share the solve (checked on a fresh env: _rollouts keeps none)
    assert _pair(env_id)[1].sim._step_cmds[-1].block_dim == TILE_BLOCK_DIM > 1
    # the rows at work: points in contact in most steps (and for the Ant joints at their limits)
    assert (r["contact_mask"][0] > 0).any(axis=(1, 2)).sum() >= STEPS - 2
    if env_id == "ant":
        assert (r["limit_mask"][0] > 0).any(axis=(1, 2)).sum() >= STEPS // 2
    for name in ("contact_mask", "limit_mask"):
        np.testing.assert_array_equal(r[name][1], r[name][0], err_msg=name)
    for name in ("qpos", "qvel", "qacc", "contact_force", "contact_frc"):
        ref, tiled, moved = r[name]
        scale = np.abs(ref).max()
        err, spread = np.abs(tiled - ref).max(), np.abs(moved - ref).max()
        assert err <= 10 * spread + 1e-6 * scale, f"{name}: |split_tiled - split| {err:.3g}, 1-ulp spread {spread:.3g}"
        # the bound is far below what a step changes: a wrong solve could not pass it
        assert 10 * spread + 1e-6 * scale < 0.1 * np.abs(np.diff(ref, axis=0)).max(), name


def test_one_step_from_the_same_state_agrees_to_rounding(cpu_blocks):
    # an Ant's solve is well conditioned: one step from the same state agrees to a few float32 ulp of each scale
    split, tiled = _pair("ant")
    split.reset()
    worst = dict.fromkeys(("qpos", "qvel", "qacc", "contact_force", "contact_frc"), 0.0)
    active = np.zeros(2, dtype=int)  # steps with contact rows, with joint-limit rows
    for act in _actions(split, 12):
        # the tiled env starts each step from the split env's state, the warm start's qacc and active sets included
        tiled.load_state_dict(split.state_dict())
        split.step(act)
        tiled.step(act)
        ref, got = _physics(split), _physics(tiled)
        for name in ("contact_mask", "limit_mask"):
            np.testing.assert_array_equal(got[name], ref[name], err_msg=name)
        for name in worst:
            worst[name] = max(worst[name], np.abs(got[name] - ref[name]).max() / max(np.abs(ref[name]).max(), 1.0))
        active += [(ref["contact_mask"] > 0).any(), (ref["limit_mask"] > 0).any()]
    assert max(worst.values()) < 5e-5, worst  # float32 epsilon 1.2e-7; a step is 5 substeps of 1 to 8 solves
    assert (active >= 4).all(), active


# (step, env) of benchmarks/split_tiled_check.py's anymal_c rollout at 1024 envs (split, seed 5, uniform random
# actions from torch seed 7, no domain randomization): states in which the split solve needs its line-searched Newton
# steps. Two full steps alone end 0.18 to 18 rad/s (qvel) off split's one step later; the tiled solve before the line
# search (full steps to the cap, cycling between active sets) ended 0.4 to 18 rad/s off, with contact forces up to
# 4.4e5 N where split's are at most 640 N. Found by stepping the old tiled solve from split's state every step (26 of
# 24,576 env-steps differed by > 2 rad/s or 1e3 N, none after the fix); each kept state moves by < 0.01 rad/s under
# 1-ulp changes of its qpos and qvel (8 draws), so rounding alone cannot move it past the bound.
LINE_SEARCH_NUM_ENVS = 1024
LINE_SEARCH_PICKS = ((8, 933), (10, 416), (11, 542), (12, 205), (14, 253), (15, 969), (16, 1), (16, 721), (17, 51),
                     (18, 48), (19, 46))  # fmt: skip


def _line_search_states() -> tuple[torch.Tensor, torch.Tensor]:
    """The states [n, 62] (anymal_c's layout) at LINE_SEARCH_PICKS and the actions [n, 12] stepped from them."""
    big = envs.make("anymal_c", num_envs=LINE_SEARCH_NUM_ENVS, device="cpu", seed=5, pipeline="split")
    big.reset()
    gen = torch.Generator().manual_seed(7)
    states, acts = {}, {}
    for step in range(max(s for s, _ in LINE_SEARCH_PICKS) + 1):
        act = torch.rand(big.num_envs, big.num_actions, generator=gen) * 2 - 1
        for pick in LINE_SEARCH_PICKS:
            if pick[0] == step:
                states[pick], acts[pick] = big.get_state()[pick[1]].clone(), act[pick[1]].clone()
        big.step(act)
    return torch.stack([states[p] for p in LINE_SEARCH_PICKS]), torch.stack([acts[p] for p in LINE_SEARCH_PICKS])


@pytest.mark.parametrize("blocks", [True, False], ids=["32_lanes", "1_lane"])
def test_one_step_where_the_line_search_decides_matches_split(blocks, monkeypatch):
    # the split solve's exact line search from its third Newton step (kernels.line_search): the tiled solve must take
    # the same steps, or it ends elsewhere (before it did, these states came out up to 4e5 N off)
    monkeypatch.setattr(wp.config, "enable_cpu_blocks", blocks)
    states, acts = _line_search_states()
    n = len(LINE_SEARCH_PICKS)
    make = dict(num_envs=n, device="cpu", seed=5)
    split, tiled, moved = (envs.make("anymal_c", pipeline=p, **make) for p in ("split", "split_tiled", "split"))
    assert tiled.sim._step_cmds[-1].block_dim == (TILE_BLOCK_DIM if blocks else 1)
    for env in (split, tiled, moved):
        env.reset()
    split.set_state(states)
    tiled.load_state_dict(split.state_dict())
    nx = split.sim.nq + split.sim.nv
    ulp_states = states.clone()
    ulp_states[:, :nx] = _ulp(states[:, :nx], seed=0)
    moved.set_state(ulp_states)
    # the same states with the solve stopped after LINE_SEARCH_START full Newton steps (no line search reached)
    monkeypatch.setattr(kernels.io, "SOLVER_ITERATIONS", int(LINE_SEARCH_START))
    short = envs.make("anymal_c", pipeline="split", **make)
    short.reset()
    short.set_state(states)
    for env in (split, tiled, moved, short):
        env.step(acts)
    ref, got, ulp, two = (_physics(env) for env in (split, tiled, moved, short))
    assert (ref["contact_mask"] > 0).any(axis=1).all()  # every state has feet on the ground
    for name in ("contact_mask", "limit_mask"):
        np.testing.assert_array_equal(got[name], ref[name], err_msg=name)
    for name in ("qpos", "qvel", "qacc", "contact_force", "contact_frc"):
        scale = np.abs(ref[name]).max()
        bound = 10 * np.abs(ulp[name] - ref[name]).max() + 1e-6 * scale
        err = np.abs(got[name] - ref[name]).reshape(n, -1).max(axis=1)
        assert (err <= bound).all(), f"{name}: |split_tiled - split| per state {err}, bound {bound:.3g}"
        if name == "qvel":
            # each state needs the line-searched steps: two full steps alone could not pass the bound
            off = np.abs(two[name] - ref[name]).reshape(n, -1).max(axis=1)
            assert (off > bound).all(), f"2 Newton steps end within {bound:.3g} of split in some states: {off}"


def test_one_lane_blocks_match_the_block_of_32():
    # wp.config.enable_cpu_blocks off (Warp's default): a CPU block is one lane that takes every slot in turn
    split, tiled = _pair("ant")
    assert tiled.sim._step_cmds[-1].block_dim == 1
    wp.config.enable_cpu_blocks = True
    try:
        wide = _pair("ant")[1]
    finally:
        wp.config.enable_cpu_blocks = False
    assert wide.sim._step_cmds[-1].block_dim == TILE_BLOCK_DIM
    wide.reset(), tiled.reset()
    for act in _actions(tiled, 6):
        tiled.step(act)
        wide.step(act)
        ref, got = _physics(wide), _physics(tiled)
        for name in ("contact_mask", "limit_mask"):
            np.testing.assert_array_equal(got[name], ref[name], err_msg=name)
        for name in ("qpos", "qvel", "contact_force"):
            np.testing.assert_allclose(got[name], ref[name], rtol=0, atol=1e-5 * max(np.abs(ref[name]).max(), 1.0))


def test_models_with_geom_pairs_are_refused():
    with pytest.raises(ValueError, match="split_tiled.*geom pairs"):
        Simulator(load_mjcf(os.path.join(ASSETS, "humanoid.xml")), 2, "cpu", contacts=True, pipeline="split_tiled")
    with pytest.raises(ValueError, match="split_tiled"):
        envs.make("humanoid", num_envs=2, device="cpu", pipeline="split_tiled")
    with pytest.raises(ValueError, match="pipeline must be"):
        Simulator(load_mjcf(os.path.join(ASSETS, "ant.xml")), 2, "cpu", pipeline="tiled")
