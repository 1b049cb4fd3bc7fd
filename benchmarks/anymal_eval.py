"""Velocity-tracking error of an ANYmal C policy (envs/anymal_c.py) for a fixed set of commands.

    python benchmarks/anymal_eval.py runs/<run>/checkpoint.pt            # a cleanppo/ppo_warp.py checkpoint
    python benchmarks/anymal_eval.py --policy zero                        # the baseline: hold the default pose

For each command (vx, vy [m/s], yaw rate [rad/s]) it runs `--envs` episodes of `--seconds` with the command held
(no resampling, no pushes, no observation noise, as legged_gym's play.py), the policy's mean action, and prints per
command the mean over envs and steps (after the first `--settle` s) of |v_xy - cmd_xy| [m/s] (base frame) and
|omega_z - cmd_yaw| [rad/s], the mean forward speed and the fraction of episodes that fell (terminated). legged_gym's
tracking rewards are exp(-error^2 / 0.25), so an error of 0.25 m/s keeps 78% of tracking_lin_vel.

The policy is rebuilt from the checkpoint alone (Linear layers of `agent.actor_mean`, the activation in its saved
args, Tanh if none is saved, and its observation normalization), so this script needs no cleanppo/ import.
"""

import argparse
import math

import numpy as np
import torch

import envs
from benchmarks.learning_clock import load_policy as policy_of_checkpoint
from envs.anymal_c import CMD

COMMANDS = ((0.5, 0.0, 0.0), (1.0, 0.0, 0.0), (0.0, 0.5, 0.0), (0.0, 0.0, 0.5), (0.0, 0.0, 0.0))


def load_policy(path: str, num_obs: int, device: str = "cpu"):
    """The deterministic policy obs [N, 48] -> action mean [N, 12] of a ppo_warp checkpoint, on `device`."""
    ckpt = torch.load(path, map_location=device, weights_only=True)
    saved = ckpt["args"]
    if saved.get("env_id") != "anymal_c":
        raise ValueError(f"{path}: a checkpoint of env {saved.get('env_id')!r}, not anymal_c")
    return policy_of_checkpoint(ckpt, num_obs, device)


def _base_velocities(state: torch.Tensor):
    # base-frame linear velocity and the yaw rate (the free joint's angular velocity is in the body frame already)
    w, x, y, z = state[:, 3], state[:, 4], state[:, 5], state[:, 6]
    rot = torch.stack(
        [
            torch.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
            torch.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
            torch.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
        ],
        -2,
    )
    rot = rot / torch.linalg.norm(state[:, 3:7], dim=-1)[:, None, None] ** 2
    v_body = torch.einsum("nji,nj->ni", rot, state[:, 19:22])
    return v_body, state[:, 24]


def evaluate(policy, commands=COMMANDS, num_envs=16, seconds=10.0, settle=1.0, seed=0, device="cpu"):
    """Per command: dict(command, lin_err [m/s], yaw_err [rad/s], vx [m/s], fell), means over envs and steps."""
    n = len(commands) * num_envs
    env = envs.make(
        "anymal_c", num_envs=n, device=device, seed=seed, resampling_time=1.0e6, max_push_vel_xy=0.0, noise_level=0.0
    )
    cmd = torch.tensor(commands, dtype=torch.float32, device=env.actions.device).repeat_interleave(num_envs, 0)
    obs = env.reset(seed=seed).clone()
    state = env.get_state().clone()
    state[:, CMD : CMD + 3] = cmd
    env.set_state(state)
    obs[:, 9:12] = cmd * torch.tensor(
        [2.0, 2.0, 0.25], device=cmd.device
    )  # the commands' observation scales (envs/anymal_c.py)
    steps = int(round(seconds / env.dt))
    skip = int(round(settle / env.dt))
    alive = torch.ones(n, dtype=torch.bool, device=cmd.device)
    lin_sum, yaw_sum, vx_sum, count = torch.zeros(4, n, device=cmd.device)
    with torch.no_grad():
        for t in range(steps):
            obs, _, terminated, truncated, info = env.step(policy(obs).clamp(-1.0, 1.0))
            alive &= ~(terminated | truncated)
            if t >= skip:
                v, yaw_rate = _base_velocities(env.get_state())
                live = alive.float()
                lin_sum += live * torch.linalg.norm(v[:, :2] - cmd[:, :2], dim=-1)
                yaw_sum += live * (yaw_rate - cmd[:, 2]).abs()
                vx_sum += live * v[:, 0]
                count += live
    rows = []
    for k, c in enumerate(commands):
        sl = slice(k * num_envs, (k + 1) * num_envs)
        steps_k = float(count[sl].sum())
        rows.append(
            dict(
                command=c,
                lin_err=float(lin_sum[sl].sum()) / max(steps_k, 1.0),
                yaw_err=float(yaw_sum[sl].sum()) / max(steps_k, 1.0),
                vx=float(vx_sum[sl].sum()) / max(steps_k, 1.0),
                fell=float((~alive[sl]).float().mean()),
            )
        )
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", nargs="?", help="a cleanppo/ppo_warp.py checkpoint of env anymal_c")
    parser.add_argument("--policy", choices=("checkpoint", "zero"), default="checkpoint")
    parser.add_argument("--envs", type=int, default=16, help="episodes per command")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--settle", type=float, default=1.0, help="seconds left out of the means at the start")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="cpu or cuda:0")
    a = parser.parse_args()
    torch.set_grad_enabled(False)
    if a.policy == "zero":
        policy, name = (lambda obs: torch.zeros_like(obs[:, :12])), "zero action (default pose)"
    else:
        if not a.checkpoint:
            parser.error("give a checkpoint or --policy zero")
        policy, name = load_policy(a.checkpoint, 48, a.device), a.checkpoint
    rows = evaluate(policy, num_envs=a.envs, seconds=a.seconds, settle=a.settle, seed=a.seed, device=a.device)
    print(
        f"anymal_c velocity tracking, {name}: {a.envs} episodes x {a.seconds:g} s per command, first {a.settle:g} s out"
    )
    print("  vx    vy    yaw  | |v_xy - cmd| m/s  |yaw rate - cmd| rad/s  mean vx m/s  fell")
    for r in rows:
        vx, vy, yaw = r["command"]
        print(
            f"{vx:5.2f} {vy:5.2f} {yaw:5.2f} | {r['lin_err']:16.3f}  {r['yaw_err']:21.3f}  {r['vx']:11.3f}  "
            f"{r['fell']:.2f}"
        )
    moving = [r for r in rows if any(r["command"])]
    mean_lin = float(np.mean([r["lin_err"] for r in moving]))
    print(
        f"mean |v_xy - cmd| over the moving commands: {mean_lin:.3f} m/s (tracking reward kept: "
        f"{math.exp(-(mean_lin**2) / 0.25):.2f})"
    )
