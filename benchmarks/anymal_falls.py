"""How an ANYmal C policy falls: per command, the episodes that terminate and the base height [m] and tilt [deg] on the
step before each termination, with the step it happened at.

    python benchmarks/anymal_falls.py results/h200_2026-11-27_a6d2454/anymal4k_policy.pt --envs 128

The episodes of benchmarks/anymal_eval.py (command held, no pushes, no observation noise, the policy's mean action);
envs/anymal_c.py terminates below min_base_height (0.25 m) or beyond a 60-degree tilt, where legged_gym terminates on
base contact. A base near 0.25 m with a moderate tilt is the robot sinking down, not yet lying on the ground.
"""

import argparse
import math

import torch

import envs
from benchmarks.anymal_eval import load_policy
from envs.anymal_c import CMD


def falls(policy, command, num_envs: int = 128, seconds: float = 10.0, seed: int = 0, device: str = "cpu"):
    """Terminations of `num_envs` episodes under one held command: (step, env, base height m, tilt deg) each."""
    env = envs.make("anymal_c", num_envs=num_envs, device=device, seed=seed, resampling_time=1.0e6,
                    max_push_vel_xy=0.0, noise_level=0.0)  # fmt: skip
    cmd = torch.tensor(command, dtype=torch.float32, device=env.actions.device)
    obs = env.reset(seed=seed).clone()
    state = env.get_state().clone()
    state[:, int(CMD) : int(CMD) + 3] = cmd
    env.set_state(state)
    obs[:, 9:12] = cmd * torch.tensor([2.0, 2.0, 0.25], device=cmd.device)  # the commands' observation scales
    alive = torch.ones(num_envs, dtype=torch.bool, device=cmd.device)
    out = []
    with torch.no_grad():
        for t in range(int(round(seconds / env.dt))):
            before = env.get_state().clone()
            obs, _, terminated, _, _ = env.step(policy(obs).clamp(-1.0, 1.0))
            for i in torch.nonzero(alive & terminated).flatten().tolist():
                w, x, y, z = (float(v) for v in before[i, 3:7])
                up_z = (1 - 2 * (x * x + y * y)) / (w * w + x * x + y * y + z * z)  # base z axis . world z
                out.append((t, i, float(before[i, 2]), math.degrees(math.acos(max(-1.0, min(1.0, up_z))))))
            alive &= ~terminated
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("--envs", type=int, default=128)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--commands", nargs="+", default=["0,0,0", "0,0,0.5", "0.5,0,0"], help="vx,vy,yaw triples")
    a = p.parse_args()
    policy = load_policy(a.checkpoint, 48, "cpu")
    for text in a.commands:
        command = tuple(float(v) for v in text.split(","))
        rows = falls(policy, command, a.envs, a.seconds, a.seed)
        print(f"command {command}: {len(rows)} of {a.envs} episodes terminated in {a.seconds:g} s")
        if rows:
            t = torch.tensor([r[0] for r in rows], dtype=torch.float32) * 0.02
            h = torch.tensor([r[2] for r in rows])
            tilt = torch.tensor([r[3] for r in rows])
            print(f"  at {t.min():.1f}-{t.max():.1f} s (median {t.median():.1f}); base height {h.min():.2f}-"
                  f"{h.max():.2f} m (median {h.median():.2f}); tilt {tilt.min():.0f}-{tilt.max():.0f} deg (median "
                  f"{tilt.median():.0f}); below 0.30 m: {int((h < 0.30).sum())}")  # fmt: skip
