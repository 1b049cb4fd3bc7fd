"""How an anymal_c_rough policy moves: its deterministic policy in fresh envs on their initial curriculum levels
(0-5, legged_gym's max_init_terrain_level), commands as the env draws them (heading mode), for a fixed time.

    python benchmarks/rough_tracking.py runs/<run>/checkpoint.pt [more checkpoints] [--envs 128 --steps 500]

Prints per checkpoint the mean per step of tracking_lin_vel and tracking_ang_vel with their share of the maximum
(weight x dt: 0.02 and 0.01) and how many envs fell. A policy that stands still keeps about 20% of tracking_lin_vel:
the mean of exp(-|cmd_xy|^2 / 0.25) over the command distribution (vx, vy ~ U(-1, 1), set to 0 below 0.2 m/s).
"""

import argparse

import torch

import envs
from benchmarks.learning_clock import load_policy


def tracking(path: str, num_envs: int, steps: int, seed: int) -> dict:
    """Mean reward terms per env step and the number of terminations of the checkpoint's deterministic policy."""
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    if ckpt["args"].get("env_id") != "anymal_c_rough":
        raise SystemExit(f"{path}: a checkpoint of env {ckpt['args'].get('env_id')!r}, not anymal_c_rough")
    env = envs.make("anymal_c_rough", num_envs=num_envs, device="cpu", seed=seed)
    policy = load_policy(ckpt, env.num_obs, "cpu")
    obs = env.reset(seed=seed)
    terms, fell = torch.zeros(len(env.reward_term_names)), 0
    with torch.no_grad():
        for _ in range(steps):
            obs, _, terminated, _, info = env.step(policy(obs))
            terms += info["reward_terms"].sum(0)
            fell += int(terminated.sum())
    out = dict(zip(env.reward_term_names, (terms / (steps * num_envs)).tolist(), strict=True))
    return out | {"iteration": ckpt.get("iteration"), "fell": fell}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoints", nargs="+")
    p.add_argument("--envs", type=int, default=128)
    p.add_argument("--steps", type=int, default=500, help="env steps of 0.02 s")
    p.add_argument("--seed", type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(1)
    for path in a.checkpoints:
        t = tracking(path, a.envs, a.steps, a.seed)
        lin, ang = t["tracking_lin_vel"], t["tracking_ang_vel"]
        print(
            f"{path}: iteration {t['iteration']}: tracking_lin_vel {lin:.4f} ({lin / 0.02:.0%}), tracking_ang_vel "
            f"{ang:.4f} ({ang / 0.01:.0%}), fell {t['fell']} of {a.envs}"
        )
