"""The measurements behind docs/envs.md's "Gymnasium v5 observations" section (prints only; nothing is written).

    PYTHONPATH=$PWD python benchmarks/v5_obs.py cost       # share of an env step spent in the v5 kernels, per layout
    PYTHONPATH=$PWD python benchmarks/v5_obs.py contacts   # our cfrc_ext against MuJoCo's solver on the same states
    PYTHONPATH=$PWD python benchmarks/v5_obs.py gpu [ant|humanoid]  # on CUDA: compile, steps/s, agreement with CPU

cost: process CPU time of `env.step` and of the v5 read and write kernels alone, interleaved in one process, median
of 15 repeats at 1,024 envs (zero actions: the ant rests on its legs, the humanoid falls). contacts: 8 envs brought
to contact by zero or random actions, then from the same state and ctrl one substep of ours (with the env's last
normal forces, which our friction reads) against MuJoCo's mj_forward + mj_rnePostConstraint.
"""

import statistics
import sys
import time

import gymnasium as gym
import mujoco
import numpy as np
import torch
import warp as wp

import envs

wp.config.quiet = True


def cost() -> None:
    """Print steps/s per core and the v5 kernels' share of the step for ant and humanoid, both layouts."""
    for name, layout, n, steps in [("ant", "v5", 1024, 10), ("ant", "short", 1024, 10),
                                   ("humanoid", "v5", 1024, 5), ("humanoid", "short", 1024, 5)]:  # fmt: skip
        env = envs.make(name, num_envs=n, device="cpu", seed=0, obs_layout=layout, validate=False)
        env.reset()
        a = torch.zeros(n, env.num_actions)
        for _ in range(3):
            env.step(a)
        full, v5 = [], []
        for _ in range(15):
            c0 = time.process_time()
            for _ in range(steps):
                env.step(a)
            full.append((time.process_time() - c0) / steps)
            c0 = time.process_time()
            for _ in range(steps):
                env._v5_read.launch()
                env._v5_cmds[0].launch()
            v5.append((time.process_time() - c0) / steps)
        f, v = statistics.median(full), statistics.median(v5)
        print(f"{name} {layout} {n} envs: {n / f:,.0f} env steps/s per core, v5 kernels {100 * v / f:.1f}% of the step")


def contacts() -> None:
    """Print, per env, the total contact force, torque about the com, per-body gap and contact cost in both."""
    n = 8
    for name, gym_id, prep, scale in [("ant", "Ant-v5", 100, 0.0), ("humanoid", "Humanoid-v5", 40, 0.3),
                                      ("ant", "Ant-v5", 30, 1.0)]:  # fmt: skip
        env = envs.make(name, num_envs=n, device="cpu", seed=0)
        env.reset()
        gen = torch.Generator().manual_seed(2)
        for _ in range(prep):
            env.step((torch.rand(n, env.num_actions, generator=gen) * 2 - 1) * scale)
        one = envs.make(name, num_envs=n, device="cpu", seed=0, frame_skip=1)
        state = env.get_state().clone()
        one.set_state(state)
        a = (torch.rand(n, env.num_actions, generator=gen) * 2 - 1) * scale
        one.step(a)
        ours = wp.to_torch(one._v5_arrays["cfrc_ext"]).numpy()[:, 1:].astype(np.float64)
        ref = gym.make(gym_id).unwrapped
        ref.reset(seed=0)
        lo, hi = ref.action_space.low, ref.action_space.high
        print(f"{name}, {prep} steps of random actions x {scale}:")
        for i in range(n):
            ref.data.ctrl[:] = lo + 0.5 * (np.clip(a[i].numpy(), -1, 1) + 1) * (hi - lo)
            ref.set_state(state[i, : ref.model.nq].double().numpy(), state[i, ref.model.nq :].double().numpy())
            mujoco.mj_rnePostConstraint(ref.model, ref.data)
            theirs = ref.data.cfrc_ext[1:]
            if name == "ant":
                costs = [5e-4 * (np.clip(f, -1, 1) ** 2).sum() for f in (ours[i], theirs)]
            else:
                costs = [min(5e-7 * (f**2).sum(), 10.0) for f in (ours[i], theirs)]
            print(
                f"  env {i}: force ours {np.round(ours[i].sum(0)[3:], 2)} MuJoCo {np.round(theirs.sum(0)[3:], 2)} N, "
                f"torque gap {np.abs(ours[i].sum(0)[:3] - theirs.sum(0)[:3]).max():.3f} N m, per-body gap "
                f"{np.abs(ours[i] - theirs).max():.2f}, contact_cost {costs[0]:.4f} vs {costs[1]:.4f}"
            )


def gpu() -> None:
    """On cuda:0, for ant and humanoid in both layouts: first make + step time (compile), env steps/s at 16,384 envs,
    and the largest gap to the same envs on the CPU after a reset and after one step (float32 on both)."""
    n, m, steps = 16384, 64, 30
    for name in sys.argv[2:] or ("ant", "humanoid"):
        for layout in ("v5", "short"):
            t0 = time.perf_counter()
            env = envs.make(name, num_envs=n, device="cuda:0", seed=0, obs_layout=layout, validate=False)
            a = torch.zeros(n, env.num_actions, device="cuda:0")
            obs = env.reset().clone()
            env.step(a)
            wp.synchronize_device("cuda:0")
            first = time.perf_counter() - t0
            wp.synchronize_device("cuda:0")
            t0 = time.perf_counter()
            for _ in range(steps):
                env.step(a)
            wp.synchronize_device("cuda:0")
            rate = n * steps / (time.perf_counter() - t0)
            cpu = envs.make(name, num_envs=m, device="cpu", seed=0, obs_layout=layout)
            gap_reset = (cpu.reset() - obs[:m].cpu()).abs().max().item()
            small = envs.make(name, num_envs=m, device="cuda:0", seed=0, obs_layout=layout)
            small.reset()
            o_gpu = small.step(torch.zeros(m, env.num_actions, device="cuda:0"))[0].cpu()
            o_cpu = cpu.step(torch.zeros(m, env.num_actions))[0]
            gap_step = ((o_gpu - o_cpu).abs() / (1 + o_cpu.abs())).max().item()
            print(
                f"{name} {layout}: first make+step {first:.1f} s, {rate:,.0f} env steps/s at {n} envs, finite "
                f"{bool(torch.isfinite(env.observations).all())}, CPU gap after reset {gap_reset:.1e}, "
                f"after a step {gap_step:.1e} (relative)",
                flush=True,
            )


if __name__ == "__main__":
    {"cost": cost, "contacts": contacts, "gpu": gpu}[sys.argv[1] if len(sys.argv) > 1 else "cost"]()
