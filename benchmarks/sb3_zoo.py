"""Stable-Baselines3 PPO with the RL Zoo's tuned hyperparameters: the peer "what a user would run" for
results/ppo_cartpole.md and results/ppo_pendulum.md.

The settings are those of rl-baselines3-zoo `hyperparams/ppo.yml` (commit 00128b5d46d497b772f3bd891ae9f520919e8971,
entries "CartPole-v1" and "Pendulum-v1", both marked "# Tuned"), stated here so rl_zoo3 need not be installed;
`lin_x` is the Zoo's linear schedule from x to 0. Envs are built as the Zoo builds them (`make_vec_env`: a
DummyVecEnv of Monitor-wrapped envs); the policy is SB3's default MlpPolicy (64x64 tanh).

Every finished episode is written to --out as `wall_time,global_step,return` (flushed as it comes, so a killed run
keeps its record); with --stop-at R the run stops once the mean return of the last 20 episodes reaches R (by default
it runs the Zoo's whole budget). --save writes the trained model; --eval runs a saved model's deterministic policy
for --eval-episodes episodes in Gymnasium's env (10 envs, seeded with --seed) and prints `return M +- S`.

    python benchmarks/sb3_zoo.py --env-id CartPole-v1 --seed 1 --out /tmp/sb3_cartpole_1.csv --save /tmp/sb3_1.zip
    python benchmarks/sb3_zoo.py --env-id CartPole-v1 --eval /tmp/sb3_1.zip --eval-episodes 100 --seed 1001
"""

import argparse
import collections
import time

import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy

ZOO_PPO = {
    "CartPole-v1": dict(
        n_envs=8,
        n_timesteps=1e5,
        policy="MlpPolicy",
        n_steps=32,
        batch_size=256,
        gae_lambda=0.8,
        gamma=0.98,
        n_epochs=20,
        ent_coef=0.0,
        learning_rate="lin_0.001",
        clip_range="lin_0.2",
    ),
    "Pendulum-v1": dict(
        n_envs=4,
        n_timesteps=1e5,
        policy="MlpPolicy",
        n_steps=1024,
        gae_lambda=0.95,
        gamma=0.9,
        n_epochs=10,
        ent_coef=0.0,
        learning_rate=1e-3,
        clip_range=0.2,
        use_sde=True,
        sde_sample_freq=4,
    ),
}


def linear_schedule(initial: float):
    """The Zoo's `lin_<x>`: SB3 passes progress_remaining, 1 at the start and 0 at the end."""
    return lambda progress_remaining: progress_remaining * initial


class EpisodeLog(BaseCallback):
    def __init__(self, path: str, stop_at: float | None):
        super().__init__()
        self.file = open(path, "w")
        self.file.write("wall_time,global_step,return\n")
        self.recent = collections.deque(maxlen=20)
        self.stop_at = stop_at

    def _on_step(self) -> bool:
        for info in self.locals["infos"]:
            if "episode" in info:
                r = float(info["episode"]["r"])
                self.recent.append(r)
                self.file.write(f"{time.time():.3f},{self.num_timesteps},{r:.3f}\n")
                self.file.flush()
        full = len(self.recent) == self.recent.maxlen
        return not (self.stop_at is not None and full and sum(self.recent) / len(self.recent) >= self.stop_at)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env-id", choices=sorted(ZOO_PPO), required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=None, help="CSV of finished episodes (required for training)")
    parser.add_argument("--stop-at", type=float, default=None, help="stop when the last-20 mean reaches this")
    parser.add_argument("--save", default=None, help="write the trained model here (.zip)")
    parser.add_argument("--eval", default=None, help="a saved model: evaluate its deterministic policy and exit")
    parser.add_argument("--eval-episodes", type=int, default=100)
    args = parser.parse_args()

    if args.eval is not None:
        torch.set_num_threads(1)
        env = make_vec_env(args.env_id, n_envs=10, seed=args.seed)
        model = PPO.load(args.eval, device="cpu")
        returns, _ = evaluate_policy(
            model, env, n_eval_episodes=args.eval_episodes, deterministic=True, return_episode_rewards=True
        )
        mean, std = float(np.mean(returns)), float(np.std(returns))
        print(
            f"eval {args.eval}: {args.env_id}, {len(returns)} episodes, deterministic policy: "
            f"return {mean:.2f} +- {std:.2f}"
        )
        raise SystemExit(0)
    if args.out is None:
        parser.error("--out is required for training")

    hp = dict(ZOO_PPO[args.env_id])
    n_envs, n_timesteps, policy = hp.pop("n_envs"), int(hp.pop("n_timesteps")), hp.pop("policy")
    for key in ("learning_rate", "clip_range"):
        if isinstance(hp[key], str) and hp[key].startswith("lin_"):
            hp[key] = linear_schedule(float(hp[key][4:]))
    env = make_vec_env(args.env_id, n_envs=n_envs, seed=args.seed)
    model = PPO(policy, env, seed=args.seed, verbose=0, device="cpu", **hp)
    print(f"SB3 PPO + RL Zoo on {args.env_id}, seed {args.seed}, torch threads {torch.get_num_threads()}", flush=True)
    model.learn(total_timesteps=n_timesteps, callback=EpisodeLog(args.out, args.stop_at))
    if args.save is not None:
        model.save(args.save)
