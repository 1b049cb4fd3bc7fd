# PPO on Warp envs over several GPUs or hosts (torch.distributed). Scaling figures: docs/scaling_out.md
"""ppo_warp.py's PPO split over the ranks of a torchrun job: `diff cleanppo/ppo_warp.py cleanppo/ppo_warp_ddp.py`
shows only the distributed parts. Rank r steps envs [r * n, (r + 1) * n) of the run's num_envs (n = num_envs /
world_size) with their global indices, so the counter-based env random numbers and the policy's action noise are those
of one process holding every env. Per minibatch the gradients are averaged over the ranks (one all-reduce that also
carries the KL, so the adaptive learning rate is the same everywhere); advantages are normalized per rank's minibatch
(rsl_rl's multi-GPU PPO does the same); the observation normalizer merges every rank's batch moments. Rank 0 logs and
writes checkpoints, which hold every env in global order: resume on any world size that divides num_envs (or with
ppo_warp.py). NCCL on CUDA (cuda:<local rank>), gloo on CPU; a collective that waits past --collective-timeout, or
that loses a rank, ends the rank with one line. Plumbing: cleanppo_utils/distributed.py.

Run: torchrun --standalone --nproc_per_node 2 cleanppo/ppo_warp_ddp.py [--env-id cartpole] [--num-envs 16384]
     torchrun --nnodes 2 --nproc_per_node 8 --rdzv-backend c10d --rdzv-endpoint <host0>:29500 --rdzv-id <job> \
         cleanppo/ppo_warp_ddp.py ...   (the same command on every host; docs/scaling_out.md)
     torchrun ... cleanppo/ppo_warp_ddp.py --resume runs/<run_name>/checkpoint.pt [--total-timesteps <larger>]
     python cleanppo/ppo_warp_ddp.py --eval runs/<run_name>/checkpoint.pt --eval-episodes 100   (one process)
"""

import collections
import math
import os
import random
import sys
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Literal

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import tyro
import warp as wp

import envs
from cleanppo_utils import distributed as ddp
from cleanppo_utils import runs
from cleanppo_utils.evaluation import capture_video, evaluate

# Per-env presets: the values that differ from Args' defaults (rsl_rl's legged_gym PPO, used for ant and every env
# not listed). Chosen for a 2-core CPU, where the policy network and not the env is the cost, so that at least 4 of 5
# seeds' final deterministic evaluation meets the threshold (results/ppo_cartpole.md, results/ppo_pendulum.md):
# 32x32 networks need no more env steps than 64x64 at about half the cost; cartpole with 64 envs x 32 steps, lambda
# 0.9 and gamma 0.99 (the RL Zoo's 0.98: 4 of 5, the cart drifted off the track); pendulum with 300k steps, lr 3e-3
# annealed, gamma 0.98, rewards x 0.1 (the former 200k adaptive-lr preset evaluated at -200 in only 2 of 5 seeds).
# anymal_c: rsl_rl's AnymalCFlatCfgPPO over LeggedRobotCfgPPO (legged_gym; [128, 64, 32] ELU, clipped value loss,
# 300 iterations of 4,096 x 24) but ent_coef 0 and init std e^-1: actions are clipped to [-1, 1], so the entropy bonus
# only widens a Gaussian the env never sees, and std >= e^-1.5 (CPU runs in docs/anymal_c.md). anymal_c_rough: the
# first two changes over AnymalCRoughCfgPPO ([512, 256, 128], 1,500 iterations), the observation unnormalized and the
# height scan at a tenth of legged_gym's scale (ppo_warp.py's comment says why). humanoid: std bounded by 1
# (docs/ppo.md). hopper, walker2d: 256 envs x 16 steps; swimmer: the RL Zoo's; inverted_pendulum: cartpole's;
# reacher: gamma 0.9; inverted_double_pendulum: the learning rate capped at 3e-3; pusher: 256 envs x 16 steps;
# humanoid_standup: 1,024 x 32, rewards x 0.01 (ppo_warp.py's comment). The same presets as ppo_warp.py
# (tests/test_ppo_ddp.py).
# fmt: off
PRESETS = {
    "cartpole": dict(total_timesteps=200_000, num_envs=64, num_steps=32, num_minibatches=2, hidden=(32, 32), gamma=0.99, gae_lambda=0.9, ent_coef=0.0, vf_coef=0.5),  # noqa: E501
    "pendulum": dict(total_timesteps=300_000, num_envs=128, num_steps=16, num_minibatches=4, hidden=(32, 32), gamma=0.98, gae_lambda=0.9, ent_coef=0.0, vf_coef=0.5, learning_rate=3e-3, lr_schedule="anneal", reward_scale=0.1),  # noqa: E501
    "anymal_c": dict(total_timesteps=300 * 4096 * 24, hidden=(128, 64, 32), activation="elu", clip_vloss=True, ent_coef=0.0, init_log_std=-1.0, min_log_std=-1.5, max_log_std=0.0),  # noqa: E501
    "anymal_c_rough": dict(total_timesteps=1500 * 4096 * 24, hidden=(512, 256, 128), activation="elu", clip_vloss=True, ent_coef=0.0, init_log_std=-1.0, max_log_std=0.0, norm_obs=False, env_kwargs=("height_scale=0.5",)),  # noqa: E501
    "humanoid": dict(max_log_std=0.0),
    "humanoid_standup": dict(total_timesteps=3_000_000, num_envs=1024, num_steps=32, ent_coef=0.0, max_log_std=0.0, reward_scale=0.01, random_episode_start=True),  # noqa: E501
    "hopper": dict(total_timesteps=5_000_000, num_envs=256, num_steps=16),
    "walker2d": dict(total_timesteps=10_000_000, num_envs=256, num_steps=16),
    "swimmer": dict(total_timesteps=1_000_000, num_envs=16, num_steps=128, num_minibatches=32, update_epochs=10, gamma=0.9999),  # noqa: E501
    "inverted_double_pendulum": dict(total_timesteps=2_000_000, num_envs=128, num_steps=32, num_minibatches=4, hidden=(64, 64), gamma=0.99, gae_lambda=0.95, ent_coef=0.0, max_learning_rate=3e-3),  # noqa: E501
    "inverted_pendulum": dict(total_timesteps=300_000, num_envs=64, num_steps=32, num_minibatches=2, hidden=(32, 32), gamma=0.99, gae_lambda=0.9, ent_coef=0.0),  # noqa: E501
    "pusher": dict(total_timesteps=1_000_000, num_envs=256, num_steps=16),
    "reacher": dict(total_timesteps=1_000_000, num_envs=256, num_steps=16, gamma=0.9),
}
# fmt: on


@dataclass
class Args:
    exp_name: str = os.path.basename(__file__)[: -len(".py")]
    """the name of this experiment"""
    env_id: str = "ant"
    """the id of the environment (envs.list_envs()); presets for some envs change the defaults below"""
    env_kwargs: tuple[str, ...] = ()
    """KEY=VALUE overrides of the env's config fields and constructor arguments, values as Python literals (e.g.
    --env-kwargs heading_command=0 "ang_vel_yaw_range=(-1.5, 1.5)"; the env's docstring lists its fields)"""
    seed: int = 1
    """seed of the experiment (torch, numpy, random and the envs), the same on every rank"""
    torch_deterministic: bool = True
    """if toggled, deterministic torch algorithms (cudnn.deterministic, use_deterministic_algorithms on CUDA)"""
    device: str = "auto"
    """torch device: auto (cuda:0 when a CUDA device is present, else cpu), cpu, cuda (or gpu), cuda:1, ..."""
    cuda_graph: bool = True
    """replay the env step as a captured CUDA graph (CUDA only; on CPU a logged no-op)"""
    cuda_graph_update: bool = False
    """not in this script: the minibatch update holds an all-reduce (ppo_warp.py replays it as a CUDA graph)"""
    torch_threads: int = 1
    """torch intra-op threads on CPU (0: torch's default); one thread is fastest for these small networks"""
    env_block_dim: int = 256
    """CUDA threads per block of the env's launches (0: the largest of 256, 128, 64, 32 that gives every SM a block,
    kernels.forward.launch_block_dim): one thread steps one env, so it changes the speed, not the numbers"""
    log_dir: str = "runs"
    """TensorBoard runs, config JSON, progress.csv and checkpoints go to <log_dir>/<run_name>/"""
    save_every: int = 50
    """save a checkpoint every this many iterations (and at the end, and on SIGINT/SIGTERM); 0: off"""
    save_minutes: float = 5.0
    """also save a checkpoint when this many minutes have passed since the last one; 0: off"""
    resume: str | None = None
    """checkpoint to continue, in its folder; only total_timesteps, saving, quiet and capture_video may change"""
    eval: str | None = None
    """path of a checkpoint: run its deterministic policy for `eval_episodes` episodes, print mean and std, exit"""
    eval_episodes: int = 10
    """number of episodes run by --eval"""
    collective_timeout: float = 300.0
    """seconds a collective may wait for the other ranks before this rank exits with an error naming it"""
    quiet: bool = False
    """if toggled, no console line per iteration"""
    capture_video: bool = False
    """if toggled, record one deterministic episode (envs.video, in the Warp env of env_id) at the end of training and
    with --eval: <run folder>/videos/eval_<global_step>.mp4, its per-step trace .csv beside it, and in TensorBoard"""

    # Algorithm specific arguments
    total_timesteps: int = 50_000_000
    """total env steps of the experiment"""
    num_envs: int = 4096
    """the number of parallel environments, over all ranks (each rank steps num_envs / world_size)"""
    num_steps: int = 24
    """the number of steps to run in each environment per rollout"""
    learning_rate: float = 1e-3
    """the (initial) learning rate of the optimizer"""
    lr_schedule: Literal["adaptive", "anneal", "constant"] = "adaptive"
    """adaptive: rsl_rl's KL-driven rule (lr / 1.5 if kl > 2 desired_kl, x 1.5 if kl < desired_kl / 2, clamped to
    [1e-5, max_learning_rate]); anneal: CleanRL's linear decay to 0; constant"""
    desired_kl: float = 0.01
    """the KL divergence the adaptive schedule steers towards"""
    max_learning_rate: float = 1e-2
    """the upper clamp of the adaptive schedule (rsl_rl: 1e-2)"""
    gamma: float = 0.99
    """the discount factor gamma"""
    gae_lambda: float = 0.95
    """the lambda for the generalized advantage estimation"""
    num_minibatches: int = 4
    """the number of mini-batches per epoch"""
    update_epochs: int = 5
    """the K epochs to update the policy"""
    norm_adv: bool = True
    """toggles advantage normalization (per minibatch)"""
    norm_obs: bool = True
    """toggles running mean/std observation normalization"""
    clip_coef: float = 0.2
    """the surrogate clipping coefficient"""
    clip_vloss: bool = False
    """toggles whether or not to use a clipped loss for the value function, as per the paper (off: CleanRL Isaac Gym)"""
    ent_coef: float = 0.01
    """coefficient of the entropy"""
    vf_coef: float = 1.0
    """coefficient of the value function"""
    max_grad_norm: float = 1.0
    """the maximum norm for the global gradient clipping"""
    random_episode_start: bool = False
    """if toggled, each env's first episode starts a random number of steps in (uniform in [0, max_episode_steps), drawn
    from the seed), so envs reset together do not all end on the same step: rsl_rl's init_at_random_ep_len, as
    legged_gym's train.py runs it. Without it a task that rarely terminates early (humanoid_standup) ends every episode
    at once and its learning curve gets a point per time limit"""
    hidden: tuple[int, ...] = (256, 128, 64)
    """hidden layer sizes of the actor and of the critic (two separate MLPs)"""
    activation: Literal["tanh", "elu"] = "tanh"
    """the MLPs' activation (CleanRL: tanh; rsl_rl's legged_gym configs: elu)"""
    init_log_std: float = 0.0
    """initial log standard deviation of the Gaussian policy (state independent)"""
    min_log_std: float = -20.0
    """the log std is projected into [min_log_std, max_log_std] after every step (SB3's SAC bounds, -20 and 2)"""
    max_log_std: float = 2.0
    """upper bound of the log std: with actions clipped to [-1, 1] the entropy bonus can widen it without end"""
    reward_scale: float = 1.0
    """rewards are multiplied by this for learning (CleanRL Isaac Gym's reward_scaler); returns are logged unscaled"""

    # to be filled in runtime (not flags)
    batch_size: tyro.conf.Suppress[int] = 0
    minibatch_size: tyro.conf.Suppress[int] = 0
    num_iterations: tyro.conf.Suppress[int] = 0
    run_name: tyro.conf.Suppress[str] = ""
    """<env_id>__<exp_name>__<seed>__<unix time>, kept on resume"""


def make_env(args: Args, device: torch.device, num_envs: int | None = None, seed: int | None = None, env_offset=0):
    # validate=False: the env's per-step NaN-action check is a host sync; observations are checked per iteration
    seed, num_envs = args.seed if seed is None else seed, num_envs or args.num_envs
    return envs.make(
        args.env_id,
        num_envs=num_envs,
        device=str(device),
        seed=seed,
        validate=False,
        env_offset=env_offset,
        block_dim=args.env_block_dim,
        **runs.env_kwargs(args.env_kwargs),
    )


def layer_init(layer: nn.Linear, std: float = np.sqrt(2), bias_const: float = 0.0) -> nn.Linear:
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


def mlp(sizes: list[int], out_std: float, activation: str = "tanh") -> nn.Sequential:
    layers = []
    for i in range(len(sizes) - 1):
        last = i == len(sizes) - 2
        layers.append(layer_init(nn.Linear(sizes[i], sizes[i + 1]), std=out_std if last else np.sqrt(2)))
        if not last:
            layers.append(nn.ELU() if activation == "elu" else nn.Tanh())
    return nn.Sequential(*layers)


LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


class Agent(nn.Module):
    """Gaussian policy with a state-independent log std, and a separate value network."""

    def __init__(self, num_obs: int, num_actions: int, hidden: tuple[int, ...], init_log_std: float, activation="tanh",
                 env_rows: slice = slice(None), num_envs: int = 0):  # fmt: skip
        super().__init__()
        self.env_rows, self.num_envs = env_rows, num_envs  # this rank's rows of the run's num_envs
        self.critic = mlp([num_obs, *hidden, 1], out_std=1.0, activation=activation)
        self.actor_mean = mlp([num_obs, *hidden, num_actions], out_std=0.01, activation=activation)
        self.actor_logstd = nn.Parameter(torch.full((1, num_actions), float(init_log_std)))

    def get_value(self, x: torch.Tensor) -> torch.Tensor:
        return self.critic(x).squeeze(-1)

    def get_action_and_value(self, x: torch.Tensor, action: torch.Tensor | None = None):
        """Return action, log prob, entropy, value and the action mean; samples an action when none is given."""
        mean = self.actor_mean(x)
        logstd = self.actor_logstd.expand_as(mean)
        if action is None:
            # every rank draws the noise of all envs and keeps its rows: the actions of one process with every env
            shape = (self.num_envs or mean.shape[0], mean.shape[1])
            noise = torch.randn(shape, device=mean.device)[self.env_rows] if self.num_envs else torch.randn_like(mean)
            action = mean + noise * logstd.exp()
        else:
            noise = (action - mean) * (-logstd).exp()
        logprob = (-0.5 * noise.square() - logstd - LOG_SQRT_2PI).sum(-1)
        entropy = (0.5 + LOG_SQRT_2PI + logstd).sum(-1)
        return action, logprob, entropy, self.get_value(x), mean


class Adam:
    """Adam as torch.optim.Adam(foreach=True) computes it (eps outside the square root, bias-corrected), written out
    because torch.optim costs cartpole's default run ~2.1 s of CPU time, +38% (measured here, the results identical):
    its first use imports torch._dynamo (0.9 s) and its step costs ~2x this one (so does torch.optim.adam.adam).
    The learning rate is a float64 0-dim tensor on the device, so the KL rule can change it without a host sync."""

    def __init__(self, params, lr: float, eps: float = 1e-5, betas: tuple[float, float] = (0.9, 0.999)):
        self.params, self.eps, self.betas, self.t = list(params), eps, betas, 0
        self.lr = torch.tensor(lr, dtype=torch.float64, device=self.params[0].device)
        self.bias = torch.ones(2, dtype=torch.float64, device=self.lr.device)  # 1 - beta1^t, sqrt(1 - beta2^t)
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def count_step(self) -> None:
        """Count the next step and set its bias corrections on the device: before step(), outside a CUDA graph."""
        self.t += 1
        self.bias[0].fill_(1.0 - self.betas[0] ** self.t)
        self.bias[1].fill_(math.sqrt(1.0 - self.betas[1] ** self.t))

    @torch.no_grad()
    def step(self, ok: torch.Tensor) -> None:
        """One step; where `ok` (0-dim bool on the device) is False the parameters stay as they are, with no sync."""
        beta1, beta2 = self.betas
        grads = [torch.where(ok, p.grad, 0.0) for p in self.params]  # a NaN gradient must not reach the moments
        torch._foreach_lerp_(self.exp_avg, grads, 1.0 - beta1)
        torch._foreach_mul_(self.exp_avg_sq, beta2)
        torch._foreach_addcmul_(self.exp_avg_sq, grads, grads, value=1.0 - beta2)
        denom = torch._foreach_sqrt(self.exp_avg_sq)
        torch._foreach_div_(denom, self.bias[1].float())
        torch._foreach_add_(denom, self.eps)
        # addcdiv_(value=-lr / (1 - beta1^t)) with a tensor lr, rounded as addcdiv_ rounds: (value * exp_avg) / denom
        step_size = torch.where(ok, self.lr / -self.bias[0], 0.0).float()
        update = torch._foreach_mul(self.exp_avg, step_size)
        torch._foreach_div_(update, denom)
        torch._foreach_add_(self.params, update)

    def state_dict(self) -> dict:
        return {"lr": float(self.lr), "t": self.t, "exp_avg": self.exp_avg, "exp_avg_sq": self.exp_avg_sq}

    def load_state_dict(self, state: dict) -> None:
        self.lr.fill_(state["lr"])
        self.t = state["t"]
        self.bias.fill_(1.0)  # count_step() sets it before each step
        for mine, saved in zip(self.exp_avg + self.exp_avg_sq, state["exp_avg"] + state["exp_avg_sq"], strict=True):
            mine.copy_(saved)


class RunningMeanStd(nn.Module):
    """Running mean and variance of observations on the device, merged per batch (Chan et al.'s parallel update,
    as in SB3's RunningMeanStd and rsl_rl's EmpiricalNormalization). Buffers, so they are in the checkpoint."""

    def __init__(self, shape: int, clip: float = 10.0):
        super().__init__()
        self.clip = clip
        self.register_buffer("mean", torch.zeros(shape, dtype=torch.float64))
        self.register_buffer("var", torch.ones(shape, dtype=torch.float64))
        self.register_buffer("count", torch.tensor(1e-4, dtype=torch.float64))

    def update(self, x: torch.Tensor) -> None:
        x = x.reshape(-1, x.shape[-1]).double()
        batch_mean, batch_var, n = x.mean(0), x.var(0, unbiased=False), x.shape[0]
        if dist.is_initialized():  # every rank has n rows: the global moments are the means of the ranks' moments
            moments = ddp.all_mean(torch.stack([batch_mean, batch_var + batch_mean.square()]))
            batch_mean, batch_var, n = moments[0], moments[1] - moments[0].square(), n * dist.get_world_size()
        delta, total = batch_mean - self.mean, self.count + n
        m2 = self.var * self.count + batch_var * n + delta.square() * self.count * n / total
        self.mean += delta * n / total
        self.var.copy_(m2 / total)
        self.count.copy_(total)

    def frozen(self, enabled: bool = True) -> tuple[torch.Tensor, torch.Tensor, float]:
        """float32 (mean, 1/std, clip) used unchanged for a whole rollout, so stored and recomputed inputs agree;
        (0, 1, clip) when observation normalization is off."""
        return (self.mean.float(), (self.var + 1e-8).rsqrt().float(), self.clip) if enabled else (0.0, 1.0, self.clip)


def normalize(x: torch.Tensor, mean: torch.Tensor, inv_std: torch.Tensor, clip: float) -> torch.Tensor:
    return ((x - mean) * inv_std).clamp(-clip, clip)


def make_storage(T: int, N: int, O: int, A: int, device: torch.device) -> SimpleNamespace:  # noqa: E741
    """The rollout buffers, [T, N, ...] on the device. final_obs: the last observation of an episode that ended at
    that step (before the autoreset); mus: the policy's action mean, for the closed-form KL."""
    shapes = dict(obs=(T, N, O), final_obs=(T, N, O), actions=(T, N, A), mus=(T, N, A), logprobs=(T, N),
                  rewards=(T, N), values=(T, N), ep_returns=(T, N), ep_lengths=(T, N))  # fmt: skip
    storage = SimpleNamespace(**{k: torch.zeros(shape, device=device) for k, shape in shapes.items()})
    storage.terminateds = torch.zeros((T, N), dtype=torch.bool, device=device)
    storage.truncateds = torch.zeros((T, N), dtype=torch.bool, device=device)
    return storage


def rollout(agent, env_step, storage: SimpleNamespace, next_obs: torch.Tensor, obs_norm, mark=lambda step, k: None):
    """Fill `storage` with one rollout, with no host sync; `next_obs` (a buffer) is advanced in place. Observations
    are normalized with statistics frozen for the rollout; mark(step, k) records the phase clocks."""
    for step in range(storage.obs.shape[0]):
        mark(step, 0)
        storage.obs[step] = next_obs
        with torch.no_grad():
            action, logprob, _, value, mu = agent.get_action_and_value(normalize(next_obs, *obs_norm))
        storage.values[step] = value
        storage.actions[step] = action
        storage.mus[step] = mu
        storage.logprobs[step] = logprob
        mark(step, 1)
        obs, reward, terminated, truncated, info = env_step(action)
        next_obs.copy_(obs)
        storage.rewards[step] = reward
        storage.terminateds[step] = terminated
        storage.truncateds[step] = truncated
        storage.final_obs[step] = info["final_obs"]
        storage.ep_returns[step] = info["episode_return"]
        storage.ep_lengths[step] = info["episode_length"]
        mark(step, 2)


def compute_gae(rewards, values, terminated, truncated, final_values, next_value, gamma, gae_lambda):
    """Generalized advantage estimation over a rollout of T steps (tensors [T, N]; next_value [N]).

    An episode that ended at step t cuts the recursion there. A truncated (time-limit) one is bootstrapped with
    the value of its last observation, folded into the reward as rsl_rl does: r_t + gamma * V(final_obs_t).
    Termination takes precedence when both flags are set."""
    bootstrap = truncated & ~terminated
    rewards = rewards + gamma * torch.where(bootstrap, final_values, torch.zeros_like(final_values))
    not_done = 1.0 - (terminated | truncated).float()
    advantages = torch.zeros_like(rewards)
    lastgaelam = torch.zeros_like(next_value)
    num_steps = rewards.shape[0]
    for t in reversed(range(num_steps)):
        next_values = next_value if t == num_steps - 1 else values[t + 1]
        delta = rewards[t] + gamma * next_values * not_done[t] - values[t]
        lastgaelam = delta + gamma * gae_lambda * not_done[t] * lastgaelam
        advantages[t] = lastgaelam
    return advantages, advantages + values


def advantages_and_returns(agent, storage: SimpleNamespace, next_obs: torch.Tensor, obs_norm, args: Args):
    """GAE advantages and returns [T, N] of a rollout, with the rollout's observation normalization."""
    with torch.no_grad():
        # bootstrap value if not done; a time-limit truncation is bootstrapped from the episode's final observation
        final_values = agent.get_value(normalize(storage.final_obs, *obs_norm))
        next_value = agent.get_value(normalize(next_obs, *obs_norm))
        return compute_gae(
            storage.rewards * args.reward_scale, storage.values, storage.terminateds, storage.truncateds,
            final_values, next_value, args.gamma, args.gae_lambda,
        )  # fmt: skip


def ppo_loss(agent, b: dict, mb_inds: torch.Tensor, old_std: torch.Tensor, args: Args):
    """Clipped surrogate policy loss, value loss and mean entropy of one minibatch of the flat batch `b`, with
    (no grad) the mean KL(old || new) of the two Gaussians and the fraction of clipped ratios."""
    _, newlogprob, entropy, newvalue, newmu = agent.get_action_and_value(b["obs"][mb_inds], b["actions"][mb_inds])
    logratio = newlogprob - b["logprobs"][mb_inds]
    ratio = logratio.exp()
    with torch.no_grad():
        # KL(old || new) in closed form, as rsl_rl computes it for its schedule
        new_std = agent.actor_logstd.exp()
        mus = b["mus"][mb_inds]
        kl = (new_std / old_std).log() + (old_std.square() + (mus - newmu).square()) / (2.0 * new_std.square()) - 0.5
        clipfrac = ((ratio - 1.0).abs() > args.clip_coef).float().mean()

    mb_advantages = b["advantages"][mb_inds]
    if args.norm_adv:
        mb_advantages = (mb_advantages - mb_advantages.mean()) / (mb_advantages.std() + 1e-8)

    # Policy loss
    pg_loss1 = -mb_advantages * ratio
    pg_loss2 = -mb_advantages * torch.clamp(ratio, 1 - args.clip_coef, 1 + args.clip_coef)
    pg_loss = torch.max(pg_loss1, pg_loss2).mean()

    # Value loss
    mb_returns, mb_values = b["returns"][mb_inds], b["values"][mb_inds]
    if args.clip_vloss:
        v_loss_unclipped = (newvalue - mb_returns) ** 2
        v_clipped = mb_values + torch.clamp(newvalue - mb_values, -args.clip_coef, args.clip_coef)
        v_loss = 0.5 * torch.max(v_loss_unclipped, (v_clipped - mb_returns) ** 2).mean()
    else:
        v_loss = 0.5 * ((newvalue - mb_returns) ** 2).mean()
    return pg_loss, v_loss, entropy.mean(), kl.sum(-1).mean(), clipfrac


def adapt_lr(lr: torch.Tensor, kl: torch.Tensor, args: Args) -> None:
    """rsl_rl's KL rule on the device, before the step: lr / 1.5 if the minibatch's KL > 2 desired_kl, x 1.5 if
    0 < KL < desired_kl / 2, clamped to [1e-5, max_learning_rate]; `lr` (float64, 0-dim) is changed in place."""
    kl = kl.double()  # float64 comparisons, as the host rule compared the float32 KL read as a Python float
    lower, higher = (lr / 1.5).clamp(min=1e-5), (lr * 1.5).clamp(max=args.max_learning_rate)
    keep = torch.where((kl > 0.0) & (kl < args.desired_kl / 2.0), higher, lr)
    lr.copy_(torch.where(kl > args.desired_kl * 2.0, lower, keep))


def update_minibatch(agent, optimizer, args: Args, b: dict, mb_inds, old_std, stats_out: torch.Tensor) -> None:
    """One minibatch step with no host sync (so it can be captured as a CUDA graph): the loss and its gradients,
    rsl_rl's lr rule, an Adam step that a non-finite loss or gradient skips, the log std projected into its bounds.
    The minibatch's statistics (runs.MB_STATS) go to `stats_out`; optimizer.count_step() comes before it."""
    pg_loss, v_loss, entropy_loss, kl, clipfrac = ppo_loss(agent, b, mb_inds, old_std, args)
    loss = pg_loss - args.ent_coef * entropy_loss + v_loss * args.vf_coef
    optimizer.zero_grad()
    loss.backward()
    # gradients averaged over the ranks, with the KL and the loss, in one all-reduce
    grads = [p.grad for p in agent.parameters()]
    flat = torch.cat([g.reshape(-1) for g in grads] + [torch.stack([kl, loss.detach()])])
    ddp.all_mean(flat)
    for g, averaged in zip(grads, flat[:-2].split([g.numel() for g in grads]), strict=True):
        g.copy_(averaged.view_as(g))
    kl, loss = flat[-2], flat[-1]
    grad_norm = nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
    stats_out.copy_(torch.stack([kl, loss, grad_norm, clipfrac, pg_loss, v_loss, entropy_loss]).detach())
    if args.lr_schedule == "adaptive":
        adapt_lr(optimizer.lr, kl, args)
    # a non-finite minibatch leaves the parameters as they are; the iteration's read stops the run, naming it
    optimizer.step(ok=torch.isfinite(loss) & torch.isfinite(grad_norm))
    agent.actor_logstd.data.clamp_(args.min_log_std, args.max_log_std)  # projected: its gradient still flows


if __name__ == "__main__":
    runs.SAFE_ON_RESUME += ("collective_timeout",)  # how long to wait for peers does not change what is learned
    args, resume_ckpt = runs.parse_args(Args, PRESETS, __doc__)
    args.batch_size = int(args.num_envs * args.num_steps)
    args.minibatch_size = int(args.batch_size // max(args.num_minibatches, 1))
    args.num_iterations = args.total_timesteps // max(args.batch_size, 1)
    device = runs.validate(args, envs.list_envs())  # everything is checked before anything is created
    runs.init_torch(args.torch_threads)
    runs.init_warp(device)
    if args.env_kwargs:  # one env built here, so that a wrong name or value stops the run before anything is written
        try:
            envs.make(args.env_id, num_envs=1, device=str(device), **runs.env_kwargs(args.env_kwargs))
        except (TypeError, ValueError) as e:
            runs.fail(f"--env-kwargs: {e}")
    if args.eval is not None:  # the checkpoint's deterministic policy for args.eval_episodes episodes, then exit
        ckpt = runs.load_checkpoint(args.eval, runs.POLICY_KEYS)  # a training checkpoint or a slim policy file
        saved = runs.saved_args(Args, ckpt["args"])
        env = make_env(saved, device, num_envs=args.eval_episodes, seed=args.seed)
        agent = Agent(env.num_obs, env.num_actions, saved.hidden, saved.init_log_std, saved.activation).to(device)
        obs_rms = RunningMeanStd(env.num_obs).to(device)
        agent.load_state_dict(ckpt["agent"]), obs_rms.load_state_dict(ckpt["obs_rms"])
        policy = lambda obs: agent.actor_mean(normalize(obs, *obs_rms.frozen(saved.norm_obs)))  # noqa: E731
        evaluate(args.eval, saved.env_id, env, policy, args.seed)
        if args.capture_video:
            capture_video(saved.env_id, policy, os.path.dirname(args.eval), ckpt["global_step"], device, args.seed,
                          env_kwargs=runs.env_kwargs(saved.env_kwargs))  # fmt: skip
        sys.exit(0)
    rank, world_size, local_rank, device = ddp.init(args.device, args.collective_timeout)
    if args.num_envs % world_size or (args.batch_size // world_size) % args.num_minibatches:
        runs.fail(f"--num-envs {args.num_envs} x --num-steps {args.num_steps} must split into {world_size} ranks x "
                  f"{args.num_minibatches} minibatches of whole envs")  # fmt: skip
    num_envs, first_env = args.num_envs // world_size, rank * (args.num_envs // world_size)  # this rank's envs
    args.run_name = ddp.broadcast_object(
        args.run_name or f"{args.env_id}__{args.exp_name}__{args.seed}__{int(time.time())}"
    )  # rank 0's clock names the run
    run_dir, ckpt_path = runs.make_run_dir(args, resume_ckpt)  # on resume, the checkpoint's folder and run_name

    # TRY NOT TO MODIFY: seeding
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.backends.cudnn.deterministic = args.torch_deterministic
    if args.torch_deterministic and device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)

    # env setup; on CUDA, torch and Warp share one stream, on which the env step is captured once as a graph
    use_graph = args.cuda_graph and device.type == "cuda"
    runs.share_cuda_stream(device)
    env = make_env(args, device, num_envs=num_envs, env_offset=first_env)
    env_layout = ddp.env_layout(lambda n: make_env(args, device, num_envs=n))  # how to gather and split env states
    env_step = runs.graph_step(env, device) if use_graph else env.step
    backend = dist.get_backend()
    if rank == 0:
        graph = "on" if use_graph else "off (only on CUDA)"
        print(f"device {device} x {world_size} ranks ({backend}); CUDA graph: {graph}")
    env_rows = slice(first_env, first_env + num_envs)
    agent = Agent(env.num_obs, env.num_actions, args.hidden, args.init_log_std, args.activation, env_rows,
                  args.num_envs).to(device)  # fmt: skip
    optimizer = Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)
    obs_rms = RunningMeanStd(env.num_obs).to(device)

    # ALGO Logic: storage setup, preallocated on the device
    T, N, O, A = args.num_steps, num_envs, env.num_obs, env.num_actions
    batch_size, minibatch_size = T * N, T * N // args.num_minibatches  # this rank's share of the batch
    storage = make_storage(T, N, O, A, device)
    mb_stats = torch.zeros(args.update_epochs * args.num_minibatches, len(runs.MB_STATS), device=device)
    # the update is not captured as a CUDA graph here: its all-reduce would have to be captured with it
    update = lambda *mb: update_minibatch(agent, optimizer, args, *mb)  # noqa: E731

    # TRY NOT TO MODIFY: start the game
    global_step, start_iteration = 0, 1
    recent_returns = collections.deque(maxlen=20)  # the last 20 finished episodes, the threshold measure
    next_obs = env.reset(seed=args.seed).clone()  # a buffer of its own: the env's tensors are views it overwrites
    if resume_ckpt is not None:  # this rank's envs of the checkpoint's global ones (saved by any world size)
        resume_ckpt["env_state"] = ddp.shard_env_state(resume_ckpt["env_state"], env_layout, first_env, num_envs)
        resume_ckpt["next_obs"] = resume_ckpt["next_obs"][env_rows]
        global_step, start_iteration = runs.restore_checkpoint(resume_ckpt, args.resume, agent, optimizer, obs_rms,
                                                               recent_returns, env, next_obs, device)  # fmt: skip
    elif args.random_episode_start:  # this rank's slice of the clocks a single process draws
        clocks = torch.randint(
            0, env.max_episode_steps, (args.num_envs,), generator=torch.Generator().manual_seed(args.seed)
        )
        env.set_episode_step(clocks[first_env : first_env + num_envs])
    mark, phase_time = runs.phase_clocks(device, T)  # per-phase clocks without a host sync
    if rank == 0:
        versions = {"warp": wp.__version__, "torch.distributed": f"{backend} x {world_size} ranks"}
        writer, progress = runs.open_logs(run_dir, args, device, versions, resume_ckpt, start_iteration)
    stop_signal = runs.stop_signals()  # SIGINT/SIGTERM: finish the iteration, save it and exit
    start_time = last_save = time.time()
    for iteration in range(start_iteration, args.num_iterations + 1):
        iteration_start = time.time()
        if args.lr_schedule == "anneal":
            optimizer.lr.fill_((1.0 - (iteration - 1.0) / args.num_iterations) * args.learning_rate)
        obs_norm = obs_rms.frozen(args.norm_obs)
        rollout(agent, env_step, storage, next_obs, obs_norm, mark)
        global_step += T * args.num_envs
        runs.check_finite_rollout(storage.obs, storage.final_obs, next_obs, iteration, ckpt_path)
        collect_time = time.time() - iteration_start  # after the check's host read: on CUDA, the device time too

        update_start = time.time()
        advantages, returns = advantages_and_returns(agent, storage, next_obs, obs_norm, args)
        if args.norm_obs:
            obs_rms.update(storage.obs)

        # flatten the batch
        b = dict(obs=normalize(storage.obs, *obs_norm), actions=storage.actions, mus=storage.mus,
                 logprobs=storage.logprobs, advantages=advantages, returns=returns, values=storage.values)  # fmt: skip
        b = {k: v.reshape(batch_size, *v.shape[2:]) for k, v in b.items()}
        old_std = agent.actor_logstd.detach().exp()

        # Optimizing the policy and value network, with no host sync: the KL rule, the finiteness check and the
        # logged statistics stay on the device until the iteration's one read below
        for epoch in range(args.update_epochs):
            b_inds = torch.randperm(batch_size, device=device)
            for start in range(0, batch_size, minibatch_size):
                mb_inds = b_inds[start : start + minibatch_size]
                optimizer.count_step()
                update(b, mb_inds, old_std, mb_stats[epoch * args.num_minibatches + start // minibatch_size])

        # the iteration's one host read after the rollout's check: minibatch statistics, episodes, lr, std
        done_mask = storage.terminateds | storage.truncateds
        read = runs.read_iteration(done_mask, storage.ep_returns, storage.ep_lengths, b["returns"], b["values"],
                                   recent_returns.maxlen, mb=mb_stats, lr=optimizer.lr,
                                   std=agent.actor_logstd.detach().exp().mean())  # fmt: skip
        runs.check_finite_update(read.mb, iteration, args.num_minibatches, ckpt_path)
        update_time = time.time() - update_start

        # logging: a fixed-size summary of every rank's episodes and values leaves the device here, once per iteration
        episodes, read.last_returns, read.explained_var = ddp.episode_summary(
            storage.ep_returns, storage.ep_lengths, done_mask, returns, storage.values, first_env, args.num_envs,
            keep=recent_returns.maxlen,
        )  # fmt: skip
        read.count, read.return_sum, read.length_sum = episodes["count"], episodes["return_sum"], episodes["length_sum"]
        recent_returns.extend(read.last_returns)
        mean_recent = float(np.mean(recent_returns)) if recent_returns else float("nan")
        mean_finished = read.return_sum / read.count if read.count else float("nan")
        sps = int(T * args.num_envs / (time.time() - iteration_start))
        lr, policy_time, env_step_time = float(read.lr), phase_time(0), phase_time(1)
        action_std, approx_kl = float(read.std), float(read.mb[:, 0].mean())
        last = dict(zip(runs.MB_STATS, read.mb[-1], strict=True))  # the last minibatch's losses, as CleanRL logs
        scalars = {"charts/episodic_return_last20": mean_recent, "charts/learning_rate": lr,
                   "charts/action_std": action_std, "charts/SPS": sps, "losses/value_loss": last["v_loss"],
                   "losses/policy_loss": last["pg_loss"], "losses/entropy": last["entropy"],
                   "losses/approx_kl": approx_kl, "losses/clipfrac": float(read.mb[:, 3].mean()),
                   "losses/explained_variance": read.explained_var, "perf/collect_time": collect_time,
                   "perf/policy_time": policy_time, "perf/env_step_time": env_step_time,
                   "perf/learn_time": update_time}  # fmt: skip
        if read.count:
            scalars["charts/episodic_return"] = mean_finished
            scalars["charts/episodic_length"] = read.length_sum / read.count
        for name, value in scalars.items() if rank == 0 else ():
            writer.add_scalar(name, value, global_step)
        if rank == 0:
            runs.write_progress(progress, iteration, global_step, mean_recent, mean_finished, read.count,
                                sps, collect_time, policy_time, env_step_time, update_time)  # fmt: skip
        elapsed = time.time() - start_time
        if not args.quiet and rank == 0:
            print(
                f"iter {iteration}/{args.num_iterations} step {global_step} SPS {sps} return(last 20) "
                f"{mean_recent:.1f} lr {lr:.1e} kl {approx_kl:.4f} std {action_std:.2f} | policy "
                f"{policy_time:.3f}s env {env_step_time:.3f}s update {update_time:.3f}s | {elapsed:.1f} s elapsed, "
                f"{runs.eta(elapsed, iteration - start_iteration + 1, args.num_iterations - iteration)}"
            )
        periodic = args.save_every and iteration % args.save_every == 0 or iteration == args.num_iterations
        # every rank must take part in a save and stop with the others: the signal and the clock are agreed on
        timed_save = time.time() - last_save >= 60 * args.save_minutes > 0
        flags = torch.tensor([stop_signal[0] if stop_signal else 0, int(timed_save)], device=device)
        stop, timed_save = ddp.all_max(flags).tolist()
        if stop or periodic or timed_save:
            # every env of every rank, in global order, so that any world size can resume it
            global_env_state = ddp.gather_env_state(env.state_dict(), env_layout)
            global_env = SimpleNamespace(state_dict=global_env_state.copy)
            global_next_obs = ddp.all_gather_cat(next_obs)
            if rank == 0:
                runs.save_checkpoint(ckpt_path, args, iteration, global_step, agent, optimizer, obs_rms, recent_returns,
                                     global_env, global_next_obs, device)  # fmt: skip
            last_save = time.time()
        runs.exit_on_signal([stop] if stop else [], iteration, ckpt_path)

    if rank == 0:
        progress.close()
    if args.capture_video and rank == 0:  # one deterministic episode of the final policy, as --eval runs it
        policy = lambda obs: agent.actor_mean(normalize(obs, *obs_rms.frozen(args.norm_obs)))  # noqa: E731
        capture_video(
            args.env_id, policy, run_dir, global_step, device, args.seed, writer, runs.env_kwargs(args.env_kwargs)
        )
    if rank == 0:
        writer.close()
        print(f"done: {global_step} steps in {time.time() - start_time:.1f} s; checkpoint {ckpt_path}")
    dist.destroy_process_group()
