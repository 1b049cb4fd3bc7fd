# PPO on Warp envs, the flagship. Results: results/ppo_ant.md, results/ppo_cartpole.md, results/ppo_pendulum.md
"""PPO for massively parallel envs: rollout, GAE, update and logging stay on the device, with one host read per
iteration for logging. References, cited where a value is taken: CleanRL's ppo_continuous_action.py and its Isaac Gym
variant, rsl_rl's PPO (legged_gym), the RL Zoo. `diff cleanppo/ppo_warp.py cleanppo/ppo_gym.py` shows only the env.
The run plumbing that is not the algorithm (checks, checkpoints, resume, logs, signals) is cleanppo_utils/runs.py.

Run: python cleanppo/ppo_warp.py [--env-id cartpole] [--num-envs 16384 --device auto]   (--help: the env's defaults)
     python cleanppo/ppo_warp.py --resume runs/<run_name>/checkpoint.pt [--total-timesteps <a larger budget>]
     python cleanppo/ppo_warp.py --eval runs/<run_name>/checkpoint.pt --eval-episodes 100 [--capture-video]
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
import torch.nn as nn
import tyro
import warp as wp

import envs
from cleanppo_utils import runs
from cleanppo_utils.evaluation import capture_video, evaluate
from cleanppo_utils.threaded_env import ThreadedEnv

# Per-env presets: the values that differ from Args' defaults (rsl_rl's legged_gym PPO, used for ant and every env
# not listed). Chosen for a 2-core CPU, where the policy network and not the env is the cost, so that at least 4 of 5
# seeds' final deterministic evaluation meets the threshold (results/ppo_cartpole.md, results/ppo_pendulum.md):
# 32x32 networks need no more env steps than 64x64 at about half the cost; cartpole with 64 envs x 32 steps, lambda
# 0.9 and gamma 0.99 (the RL Zoo's 0.98: 4 of 5, the cart drifted off the track); pendulum with 300k steps, lr 3e-3
# annealed, gamma 0.98, rewards x 0.1 (the former 200k adaptive-lr preset evaluated at -200 in only 2 of 5 seeds).
# anymal_c: rsl_rl's AnymalCFlatCfgPPO over LeggedRobotCfgPPO (legged_gym; [128, 64, 32] ELU, clipped value loss,
# 300 iterations of 4,096 x 24) but ent_coef 0 and init std e^-1: actions are clipped to [-1, 1], so the entropy bonus
# only widens a Gaussian the env never sees; and std >= e^-1.5: without a floor it fell to ~0.06 and the KL-adaptive
# learning rate with it, and tracking stalled near 75% (CPU runs in results/anymal_c_cpu/README.md). anymal_c_rough:
# the first two changes over AnymalCRoughCfgPPO ([512, 256, 128], 1,500 iterations; the floor not measured there), and
# the observation unnormalized (as legged_gym feeds it) with the 187-point height scan at a tenth of legged_gym's scale
# (height_scale 0.5, not 5): with the scan as large as the other 48 inputs or normalized, it drove the first layer
# twice as hard as they did, its noise moved the action by 70-85% of its size and every run stood still; scaled down,
# runs walk and climb the curriculum (results/anymal_c_rough_cpu/README.md, results/h200_2026-11-27_d62a2cf/).
# humanoid: std bounded by 1 (docs/ppo.md). hopper, walker2d: 256 envs x 16 steps (4,096 steps per update, as
# CleanRL's 1 env x 2,048 twice over): the default 4,096 x 24 reached a return of 470 after 7 M steps on hopper,
# this one 2,000 after 5 M (CPU runs in results/ppo_planar_cpu/README.md; on a GPU more envs are cheap, not measured).
# swimmer: the RL Zoo's PPO for Swimmer (gamma 0.9999, 1 M steps) on SB3's PPO defaults (2,048 steps per update,
# minibatches of 64, 10 epochs): at gamma 0.99, or with 4-16 minibatches of 256-1,024, returns stayed under 100 after
# 1-2 M steps on the CPU; with this one seed 1 passes 280 within 250 k and seeds 2 and 3 stay at 80-100, PPO's known
# Swimmer local optimum (results/ppo_planar_cpu/README.md). inverted_pendulum: cartpole's preset with 300 k steps and
# the default vf_coef: at 200 k one seed of 5 balanced 12 of 20 evaluation episodes, at 300 k seeds 1-10 all 1,000 steps
# (CPU runs in results/ppo_planar_cpu/README.md). reacher: hopper's 256 envs x 16 steps, 1 M steps and gamma 0.9 (the
# RL Zoo's for Reacher): with gamma 0.99 seed 1 evaluated at -7.4 (the fingertip 0.14 m from the target on average),
# with 0.9 at -4.1 (0.07 m); lambda 1.0 or 2 M steps changed nothing (-4.1). inverted_double_pendulum: 128 envs x 32
# steps, 4 minibatches, (64, 64) networks, 2 M steps, the adaptive learning rate capped at 3e-3: at inverted_pendulum's
# 64 x 32 seeds 1-3 evaluated at 9,337, 8,898 and 8,117 (episodes that fall), here 9,327, 9,319 and 9,360 (+-2 at
# most); with the default cap (1e-2) one seed's deterministic policy of two fell within 60 steps (565) while its
# stochastic one scored ~7,500 (CPU runs in results/ppo_planar_cpu/README.md). pusher: reacher's 256 envs x
# 16 steps with gamma 0.99 and 1 M steps (one run at seed 1 before the record: -31.7 deterministic, holding still
# -54, random actions -150). humanoid_standup: 1,024 envs x 32 steps, 3 M steps, humanoid's std bound, no entropy
# bonus, rewards x 0.01 (a step pays ~35 lying, ~470 standing), the first episodes' clocks staggered: its episodes
# never end early, so without --random-episode-start all 1,024 end on the same step and the curve has a point per
# 1,000 steps. Seeds 1-2 sat up to 158 k and 155 k (holding still: 30 k; 153 k each unstaggered) in 12-13 minutes on
# this CPU (results/ppo_planar_cpu/README.md#humanoid_standup); other settings not tried.
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
    """seed of the experiment (torch, numpy, random and the envs)"""
    torch_deterministic: bool = True
    """if toggled, deterministic torch algorithms (cudnn.deterministic, use_deterministic_algorithms on CUDA)"""
    device: str = "auto"
    """torch device: auto (cuda:0 when a CUDA device is present, else cpu), cpu, cuda (or gpu), cuda:1, ..."""
    cuda_graph: bool = True
    """replay the env step as a captured CUDA graph (CUDA only; on CPU a logged no-op)"""
    cuda_graph_update: bool = True
    """replay each minibatch update as a captured CUDA graph (CUDA only; checked against an eager update first)"""
    torch_threads: int = 1
    """torch intra-op threads on CPU (0: torch's default); one thread is fastest for these small networks"""
    env_threads: int = 1
    """CPU only: step the envs as this many groups in parallel threads (a Warp CPU kernel runs on one core); the same
    episodes bit for bit (cleanppo_utils/threaded_env.py). On CUDA a logged no-op"""
    env_block_dim: int = 256
    """CUDA threads per block of the env's launches (0: the largest of 256, 128, 64, 32 that gives every SM a block,
    kernels.forward.launch_block_dim): one thread steps one env, so it changes the speed, not the numbers. On CPU a
    no-op"""
    log_dir: str = "runs"
    """TensorBoard runs, config JSON, progress.csv and checkpoints go to <log_dir>/<run_name>/"""
    save_every: int = 50
    """save a checkpoint every this many iterations (and at the end, and on SIGINT/SIGTERM); 0: off"""
    save_minutes: float = 5.0
    """also save a checkpoint when this many minutes have passed since the last one; 0: off"""
    resume: str | None = None
    """checkpoint to continue, in its folder; only total_timesteps, saving, quiet, capture_video and env_block_dim may
    change"""
    eval: str | None = None
    """path of a checkpoint: run its deterministic policy for `eval_episodes` episodes, print mean and std, exit"""
    eval_episodes: int = 10
    """number of episodes run by --eval"""
    quiet: bool = False
    """if toggled, no console line per iteration"""
    capture_video: bool = False
    """if toggled, record one deterministic episode (envs.video, in the Warp env of env_id) at the end of training and
    with --eval: <run folder>/videos/eval_<global_step>.mp4, its per-step trace .csv beside it, and in TensorBoard"""

    # Algorithm specific arguments
    total_timesteps: int = 50_000_000
    """total env steps of the experiment"""
    num_envs: int = 4096
    """the number of parallel environments"""
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
    privileged_critic: bool = False
    """if toggled, the critic reads (obs, info["privileged_obs"]) and the actor obs only (asymmetric actor-critic,
    Pinto et al. 2018): for envs that declare privileged observations (anymal_c: true base velocity, friction, mass,
    motor strength, foot contacts)"""
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


def make_env(args: Args, device: torch.device, num_envs: int | None = None, seed: int | None = None, groups: int = 1):
    # validate=False: the env's per-step NaN-action check is a host sync; observations are checked per iteration
    seed, num_envs = args.seed if seed is None else seed, num_envs or args.num_envs
    kwargs = runs.env_kwargs(args.env_kwargs)
    if groups > 1:  # consecutive slices of the batch, each env knowing its global index (env_offset)
        lo = [num_envs * g // groups for g in range(groups + 1)]
        return ThreadedEnv([envs.make(args.env_id, num_envs=lo[g + 1] - lo[g], device=str(device), seed=seed,
                                      validate=False, env_offset=lo[g], **kwargs) for g in range(groups)])  # fmt: skip
    return envs.make(args.env_id, num_envs=num_envs, device=str(device), seed=seed, validate=False,
                     block_dim=args.env_block_dim, **kwargs)  # fmt: skip


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
    """Gaussian policy with a state-independent log std, and a separate value network. An input row x is the
    observation, then (with num_privileged_obs > 0) the privileged observation: the actor reads the first num_obs
    columns, the critic all of them."""

    def __init__(self, num_obs: int, num_actions: int, hidden: tuple[int, ...], init_log_std: float, activation="tanh",
                 num_privileged_obs: int = 0):  # fmt: skip
        super().__init__()
        self.num_obs = num_obs
        self.critic = mlp([num_obs + num_privileged_obs, *hidden, 1], out_std=1.0, activation=activation)
        self.actor_mean = mlp([num_obs, *hidden, num_actions], out_std=0.01, activation=activation)
        self.actor_logstd = nn.Parameter(torch.full((1, num_actions), float(init_log_std)))

    def get_value(self, x: torch.Tensor) -> torch.Tensor:
        return self.critic(x).squeeze(-1)

    def get_action_and_value(self, x: torch.Tensor, action: torch.Tensor | None = None):
        """Return action, log prob, entropy, value and the action mean; samples an action when none is given."""
        mean = self.actor_mean(x[..., : self.num_obs])
        logstd = self.actor_logstd.expand_as(mean)
        if action is None:
            noise = torch.randn_like(mean)
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


def frozen_norm(obs_rms: RunningMeanStd, privileged_rms: RunningMeanStd | None, enabled: bool):
    """The rollout's normalization of an input row: the observation's statistics, then the privileged ones."""
    obs_norm = obs_rms.frozen(enabled)
    if privileged_rms is None or not enabled:
        return obs_norm
    priv_norm = privileged_rms.frozen(enabled)
    return torch.cat([obs_norm[0], priv_norm[0]]), torch.cat([obs_norm[1], priv_norm[1]]), obs_norm[2]


def observe(next_obs: torch.Tensor, obs: torch.Tensor, info: dict) -> None:
    """Copy the env's outputs into the input-row buffer `next_obs`: obs, then the privileged obs when it has room."""
    num_obs = obs.shape[-1]
    next_obs[:, :num_obs].copy_(obs)
    if next_obs.shape[-1] > num_obs:
        next_obs[:, num_obs:].copy_(info["privileged_obs"])


def make_storage(T: int, N: int, O: int, A: int, device: torch.device, P: int = 0) -> SimpleNamespace:  # noqa: E741
    """The rollout buffers, [T, N, ...] on the device. obs: input rows (O observation and P privileged columns);
    final_obs: the last observation of an episode that ended at that step (before the autoreset); mus: the policy's
    action mean, for the closed-form KL."""
    shapes = dict(obs=(T, N, O + P), final_obs=(T, N, O), actions=(T, N, A), mus=(T, N, A), logprobs=(T, N),
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
        observe(next_obs, obs, info)
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
        # (a privileged critic pairs it with the privileged observation one step before: the env keeps no final one)
        final_obs = storage.final_obs
        if storage.obs.shape[-1] > final_obs.shape[-1]:
            final_obs = torch.cat([final_obs, storage.obs[..., final_obs.shape[-1] :]], -1)
        final_values = agent.get_value(normalize(final_obs, *obs_norm))
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
    grad_norm = nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
    stats_out.copy_(torch.stack([kl, loss, grad_norm, clipfrac, pg_loss, v_loss, entropy_loss]).detach())
    if args.lr_schedule == "adaptive":
        adapt_lr(optimizer.lr, kl, args)
    # a non-finite minibatch leaves the parameters as they are; the iteration's read stops the run, naming it
    optimizer.step(ok=torch.isfinite(loss) & torch.isfinite(grad_norm))
    agent.actor_logstd.data.clamp_(args.min_log_std, args.max_log_std)  # projected: its gradient still flows


if __name__ == "__main__":
    args, resume_ckpt = runs.parse_args(Args, PRESETS, __doc__)
    args.batch_size = int(args.num_envs * args.num_steps)
    args.minibatch_size = int(args.batch_size // max(args.num_minibatches, 1))
    args.num_iterations = args.total_timesteps // max(args.batch_size, 1)
    device = runs.validate(args, envs.list_envs())  # everything is checked before anything is created
    env_type = envs.env_class(args.env_id)
    if not 1 <= args.env_threads <= args.num_envs:
        runs.fail(f"--env-threads must be in [1, --num-envs {args.num_envs}], got {args.env_threads}")
    if args.privileged_critic and not (env_type.privileged_obs_names or env_type.param_names):
        runs.fail(f"--privileged-critic: env {args.env_id!r} declares no privileged observations")
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
        P = env.num_privileged_obs if saved.privileged_critic else 0
        agent = Agent(env.num_obs, env.num_actions, saved.hidden, saved.init_log_std, saved.activation, P).to(device)
        obs_rms = RunningMeanStd(env.num_obs).to(device)
        agent.load_state_dict(ckpt["agent"]), obs_rms.load_state_dict(ckpt["obs_rms"])
        policy = lambda obs: agent.actor_mean(normalize(obs, *obs_rms.frozen(saved.norm_obs)))  # noqa: E731
        evaluate(args.eval, saved.env_id, env, policy, args.seed)
        if args.capture_video:
            capture_video(saved.env_id, policy, os.path.dirname(args.eval), ckpt["global_step"], device, args.seed,
                          env_kwargs=runs.env_kwargs(saved.env_kwargs))  # fmt: skip
        sys.exit(0)
    args.run_name = args.run_name or f"{args.env_id}__{args.exp_name}__{args.seed}__{int(time.time())}"
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
    env_groups = args.env_threads if device.type == "cpu" else 1
    env = make_env(args, device, groups=env_groups)
    env_step = runs.graph_step(env, device) if use_graph else env.step
    print(f"device {device}; CUDA graph: {'on' if use_graph else 'off (only on CUDA)'}; env threads: {env_groups}")
    T, N, O, A = args.num_steps, args.num_envs, env.num_obs, env.num_actions
    P = env.num_privileged_obs if args.privileged_critic else 0  # the critic's extra input columns
    agent = Agent(O, A, args.hidden, args.init_log_std, args.activation, P).to(device)
    optimizer = Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)
    obs_rms = RunningMeanStd(O).to(device)
    privileged_rms = RunningMeanStd(P).to(device) if P else None

    # ALGO Logic: storage setup, preallocated on the device
    storage = make_storage(T, N, O, A, device, P)
    mb_stats = torch.zeros(args.update_epochs * args.num_minibatches, len(runs.MB_STATS), device=device)
    update = lambda *mb: update_minibatch(agent, optimizer, args, *mb)  # noqa: E731
    if args.cuda_graph_update and device.type == "cuda":
        update = runs.GraphedUpdate(
            update, [*agent.parameters(), *optimizer.exp_avg, *optimizer.exp_avg_sq, optimizer.lr]
        )

    # TRY NOT TO MODIFY: start the game
    global_step, start_iteration = 0, 1
    recent_returns = collections.deque(maxlen=20)  # the last 20 finished episodes, the threshold measure
    next_obs = torch.zeros(N, O + P, device=device)  # a buffer of its own: the env's tensors are views it overwrites
    observe(next_obs, env.reset(seed=args.seed), env.info)
    if resume_ckpt is not None:
        global_step, start_iteration = runs.restore_checkpoint(resume_ckpt, args.resume, agent, optimizer, obs_rms,
                                                               recent_returns, env, next_obs, device)  # fmt: skip
        if privileged_rms is not None:
            privileged_rms.load_state_dict(resume_ckpt["privileged_rms"])
    elif args.random_episode_start:  # the same clocks for any --env-threads
        clocks = torch.randint(0, env.max_episode_steps, (N,), generator=torch.Generator().manual_seed(args.seed))
        env.set_episode_step(clocks)
    mark, phase_time = runs.phase_clocks(device, T)  # per-phase clocks without a host sync
    writer, progress = runs.open_logs(run_dir, args, device, {"warp": wp.__version__}, resume_ckpt, start_iteration)
    stop_signal = runs.stop_signals()  # SIGINT/SIGTERM: finish the iteration, save it and exit
    start_time = last_save = time.time()
    for iteration in range(start_iteration, args.num_iterations + 1):
        iteration_start = time.time()
        if args.lr_schedule == "anneal":
            optimizer.lr.fill_((1.0 - (iteration - 1.0) / args.num_iterations) * args.learning_rate)
        obs_norm = frozen_norm(obs_rms, privileged_rms, args.norm_obs)
        rollout(agent, env_step, storage, next_obs, obs_norm, mark)
        global_step += T * N
        runs.check_finite_rollout(storage.obs[..., :O], storage.final_obs, next_obs[:, :O], iteration, ckpt_path)
        collect_time = time.time() - iteration_start  # after the check's host read: on CUDA, the device time too

        update_start = time.time()
        advantages, returns = advantages_and_returns(agent, storage, next_obs, obs_norm, args)
        if args.norm_obs:
            obs_rms.update(storage.obs[..., :O])
            if privileged_rms is not None:
                privileged_rms.update(storage.obs[..., O:])

        # flatten the batch
        b = dict(obs=normalize(storage.obs, *obs_norm), actions=storage.actions, mus=storage.mus,
                 logprobs=storage.logprobs, advantages=advantages, returns=returns, values=storage.values)  # fmt: skip
        b = {k: v.reshape(args.batch_size, *v.shape[2:]) for k, v in b.items()}
        old_std = agent.actor_logstd.detach().exp()

        # Optimizing the policy and value network, with no host sync: the KL rule, the finiteness check and the
        # logged statistics stay on the device until the iteration's one read below
        for epoch in range(args.update_epochs):
            b_inds = torch.randperm(args.batch_size, device=device)
            for start in range(0, args.batch_size, args.minibatch_size):
                mb_inds = b_inds[start : start + args.minibatch_size]
                optimizer.count_step()
                update(b, mb_inds, old_std, mb_stats[epoch * args.num_minibatches + start // args.minibatch_size])

        # the iteration's one host read after the rollout's check: minibatch statistics, episodes, lr, std
        done_mask = storage.terminateds | storage.truncateds
        read = runs.read_iteration(done_mask, storage.ep_returns, storage.ep_lengths, b["returns"], b["values"],
                                   recent_returns.maxlen, mb=mb_stats, lr=optimizer.lr,
                                   std=agent.actor_logstd.detach().exp().mean())  # fmt: skip
        runs.check_finite_update(read.mb, iteration, args.num_minibatches, ckpt_path)
        update_time = time.time() - update_start

        # logging
        recent_returns.extend(read.last_returns)
        mean_recent = float(np.mean(recent_returns)) if recent_returns else float("nan")
        mean_finished = read.return_sum / read.count if read.count else float("nan")
        sps = int(T * N / (time.time() - iteration_start))
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
        for name, value in scalars.items():
            writer.add_scalar(name, value, global_step)
        runs.write_progress(progress, iteration, global_step, mean_recent, mean_finished, read.count, sps,
                            collect_time, policy_time, env_step_time, update_time)  # fmt: skip
        elapsed = time.time() - start_time
        if not args.quiet:
            print(
                f"iter {iteration}/{args.num_iterations} step {global_step} SPS {sps} return(last 20) "
                f"{mean_recent:.1f} lr {lr:.1e} kl {approx_kl:.4f} std {action_std:.2f} | policy "
                f"{policy_time:.3f}s env {env_step_time:.3f}s update {update_time:.3f}s | {elapsed:.1f} s elapsed, "
                f"{runs.eta(elapsed, iteration - start_iteration + 1, args.num_iterations - iteration)}"
            )
        periodic = args.save_every and iteration % args.save_every == 0 or iteration == args.num_iterations
        if stop_signal or periodic or time.time() - last_save >= 60 * args.save_minutes > 0:
            runs.save_checkpoint(ckpt_path, args, iteration, global_step, agent, optimizer, obs_rms, recent_returns,
                                 env, next_obs, device, privileged_rms=privileged_rms)  # fmt: skip
            last_save = time.time()
        runs.exit_on_signal(stop_signal, iteration, ckpt_path)

    progress.close()
    if args.capture_video:  # one deterministic episode of the final policy, as --eval runs it
        policy = lambda obs: agent.actor_mean(normalize(obs, *obs_rms.frozen(args.norm_obs)))  # noqa: E731
        capture_video(
            args.env_id, policy, run_dir, global_step, device, args.seed, writer, runs.env_kwargs(args.env_kwargs)
        )
    writer.close()
    print(f"done: {global_step} steps in {time.time() - start_time:.1f} s; checkpoint {ckpt_path}")
