# PPO on Warp envs, the flagship. Results: results/ppo_ant.md, results/ppo_cartpole.md, results/ppo_pendulum.md
"""PPO for massively parallel envs, read top to bottom: the whole rollout, GAE, update and logging stay on the
device, with one host read per iteration for logging. References, cited where a value is taken: CleanRL's
ppo_continuous_action.py and its Isaac Gym variant, rsl_rl's PPO (legged_gym), the RL Zoo's tuned settings.
cleanppo/ppo_gym.py is the same algorithm on Gymnasium's envs: `diff` the two files to see only the env.

Run:    python cleanppo/ppo_warp.py                              (ant; per-env defaults: ENV_DEFAULTS below)
        python cleanppo/ppo_warp.py --env-id cartpole
        python cleanppo/ppo_warp.py --env-id pendulum --num-envs 16384 --device auto
Resume: python cleanppo/ppo_warp.py --resume runs/<run_name>/checkpoint.pt (same result as an uninterrupted run)
Eval:   python cleanppo/ppo_warp.py --eval runs/<run_name>/checkpoint.pt --eval-episodes 100
"""

import collections
import json
import math
import os
import platform
import random
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn as nn
import tyro
import warp as wp

import envs


@dataclass
class Args:
    exp_name: str = os.path.basename(__file__)[: -len(".py")]
    """the name of this experiment"""
    env_id: str = "ant"
    """the id of the environment (envs.list_envs()); each has its own defaults in ENV_DEFAULTS"""
    seed: int = 1
    """seed of the experiment (torch, numpy, random and the envs)"""
    torch_deterministic: bool = True
    """if toggled, deterministic torch algorithms (cudnn.deterministic, use_deterministic_algorithms on CUDA)"""
    device: str = "auto"
    """torch device: auto (cuda:0 when a CUDA device is present, else cpu), cpu, cuda, cuda:1, ..."""
    cuda_graph: bool = True
    """replay the env step as a captured CUDA graph (CUDA only; on CPU a logged no-op)"""
    torch_threads: int = 1
    """torch intra-op threads on CPU (0: torch's default); one thread is fastest for these small networks"""
    log_dir: str = "runs"
    """TensorBoard runs, config JSON and checkpoints go to <log_dir>/<run_name>/"""
    save_every: int = 50
    """save a checkpoint every this many iterations (and always at the end); 0: only at the end"""
    resume: str | None = None
    """path of a checkpoint to continue (its args are used; the run keeps writing into the checkpoint's folder)"""
    eval: str | None = None
    """path of a checkpoint: run its deterministic policy for `eval_episodes` episodes, print mean and std, exit"""
    eval_episodes: int = 10
    """number of episodes run by --eval"""
    quiet: bool = False
    """if toggled, no console line per iteration"""

    # Algorithm specific arguments; None means the env's default from ENV_DEFAULTS below
    total_timesteps: int | None = None
    """total env steps of the experiment (default: the env's, or 20 iterations if that is more)"""
    num_envs: int | None = None
    """the number of parallel environments"""
    num_steps: int | None = None
    """the number of steps to run in each environment per rollout"""
    learning_rate: float | None = None
    """the (initial) learning rate of the optimizer"""
    lr_schedule: Literal["adaptive", "anneal", "constant"] = "adaptive"
    """adaptive: rsl_rl's KL-driven rule (lr / 1.5 if kl > 2 desired_kl, x 1.5 if kl < desired_kl / 2, clamped to
    [1e-5, max_learning_rate]); anneal: CleanRL's linear decay to 0; constant"""
    desired_kl: float | None = None
    """the KL divergence the adaptive schedule steers towards"""
    max_learning_rate: float | None = None
    """the upper clamp of the adaptive schedule (rsl_rl: 1e-2)"""
    gamma: float | None = None
    """the discount factor gamma"""
    gae_lambda: float | None = None
    """the lambda for the generalized advantage estimation"""
    num_minibatches: int | None = None
    """the number of mini-batches per epoch"""
    update_epochs: int | None = None
    """the K epochs to update the policy"""
    norm_adv: bool = True
    """toggles advantage normalization (per minibatch)"""
    norm_obs: bool = True
    """toggles running mean/std observation normalization"""
    clip_coef: float | None = None
    """the surrogate clipping coefficient"""
    clip_vloss: bool = False
    """toggles whether or not to use a clipped loss for the value function, as per the paper (off: CleanRL Isaac Gym)"""
    ent_coef: float | None = None
    """coefficient of the entropy"""
    vf_coef: float | None = None
    """coefficient of the value function"""
    max_grad_norm: float | None = None
    """the maximum norm for the global gradient clipping"""
    hidden: tuple[int, ...] | None = None
    """hidden layer sizes of the actor and of the critic (two separate tanh MLPs)"""
    init_log_std: float | None = None
    """initial log standard deviation of the Gaussian policy (state independent)"""
    reward_scale: float | None = None
    """rewards are multiplied by this for learning (CleanRL Isaac Gym's reward_scaler); returns are logged unscaled"""

    # to be filled in runtime
    batch_size: int = 0
    """the batch size (computed in runtime)"""
    minibatch_size: int = 0
    """the mini-batch size (computed in runtime)"""
    num_iterations: int = 0
    """the number of iterations (computed in runtime)"""
    run_name: str = ""
    """<env_id>__<exp_name>__<seed>__<unix time> (computed in runtime; kept on resume)"""


# Per-env defaults, chosen for a 2-core CPU, where the policy network and not the env is the cost, by sweeps over
# 4-7 seeds (results/ppo_cartpole.md, results/ppo_pendulum.md). Taken from: gamma 0.98 for cartpole, the RL Zoo's
# tuned PPO (rl-baselines3-zoo hyperparams/ppo.yml, CartPole-v1); desired_kl 0.01, clip 0.2, lr 1e-3 clamped to
# [1e-5, 1e-2], 5 epochs and the adaptive schedule, rsl_rl (legged_gym's PPO config); no value clipping, CleanRL
# Isaac Gym's default; orthogonal init and Adam eps 1e-5, CleanRL. Measured here: 32x32 networks need no more env
# steps than 64x64 at about half the cost; cartpole reached 475 in 7 of 7 seeds with 64 envs x 32 steps and lambda
# 0.9 (the Zoo's 0.8 with 128 x 16: 4 of 5); pendulum reached -200 in 5 of 5 with gamma 0.95, lambda 0.9,
# desired_kl 0.02 (0.01: 0 of 4) and rewards scaled by 0.1 (64x64 networks: 0 of 4 within 130k steps).
# fmt: off
_COMMON = dict(learning_rate=1e-3, max_learning_rate=1e-2, clip_coef=0.2, ent_coef=0.0, vf_coef=0.5,
               max_grad_norm=1.0, init_log_std=0.0)
ENV_DEFAULTS = {
    "cartpole": dict(_COMMON, total_timesteps=200_000, num_envs=64, num_steps=32, num_minibatches=2, update_epochs=5,
                     hidden=(32, 32), gamma=0.98, gae_lambda=0.9, desired_kl=0.01, reward_scale=1.0),
    "pendulum": dict(_COMMON, total_timesteps=200_000, num_envs=128, num_steps=16, num_minibatches=4, update_epochs=5,
                     hidden=(32, 32), gamma=0.95, gae_lambda=0.9, desired_kl=0.02, reward_scale=0.1),
    # any other env: rsl_rl's legged_gym PPO (24 steps, 5 epochs x 4 minibatches, gamma 0.99, lambda 0.95, entropy
    # 0.01, value coefficient 1.0, [256, 128, 64] hidden units as its smaller configs) with Isaac Gym's 4096 envs
    "default": dict(_COMMON, total_timesteps=50_000_000, num_envs=4096, num_steps=24, num_minibatches=4,
                    update_epochs=5, hidden=(256, 128, 64), gamma=0.99, gae_lambda=0.95, desired_kl=0.01,
                    reward_scale=1.0, ent_coef=0.01, vf_coef=1.0),
}
# fmt: on


def make_env(args: Args, device: torch.device, num_envs: int | None = None, seed: int | None = None):
    # validate=False: the env's per-step NaN-action check is a host sync; observations are checked per iteration
    return envs.make(
        args.env_id,
        num_envs=num_envs or args.num_envs,
        device=str(device),
        seed=args.seed if seed is None else seed,
        validate=False,
    )


def env_full_state(env) -> dict:
    # every device array of the env (physics, simulator, episode counters, RNG streams, delay buffers): what
    # `get_state` leaves out but a resumed run needs to continue exactly
    return env.state_dict()


def set_env_full_state(env, state: dict) -> None:
    env.load_state_dict(state)


def layer_init(layer: nn.Linear, std: float = np.sqrt(2), bias_const: float = 0.0) -> nn.Linear:
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


def mlp(sizes: list[int], out_std: float) -> nn.Sequential:
    layers = []
    for i in range(len(sizes) - 1):
        last = i == len(sizes) - 2
        layers.append(layer_init(nn.Linear(sizes[i], sizes[i + 1]), std=out_std if last else np.sqrt(2)))
        if not last:
            layers.append(nn.Tanh())
    return nn.Sequential(*layers)


LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


class Agent(nn.Module):
    """Gaussian policy with a state-independent log std, and a separate value network."""

    def __init__(self, num_obs: int, num_actions: int, hidden: tuple[int, ...], init_log_std: float):
        super().__init__()
        self.critic = mlp([num_obs, *hidden, 1], out_std=1.0)
        self.actor_mean = mlp([num_obs, *hidden, num_actions], out_std=0.01)
        self.actor_logstd = nn.Parameter(torch.full((1, num_actions), float(init_log_std)))

    def get_value(self, x: torch.Tensor) -> torch.Tensor:
        return self.critic(x).squeeze(-1)

    def get_action_and_value(self, x: torch.Tensor, action: torch.Tensor | None = None):
        """Return action, log prob, entropy, value and the action mean; samples an action when none is given."""
        mean = self.actor_mean(x)
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
    """Adam as torch.optim.Adam computes it (eps outside the square root, bias-corrected), written out because
    torch.optim imports torch._dynamo on first use: 1.0 s here, a fifth of cartpole's whole time budget."""

    def __init__(self, params, lr: float, eps: float = 1e-5, betas: tuple[float, float] = (0.9, 0.999)):
        self.params, self.lr, self.eps, self.betas = list(params), lr, eps, betas
        self.t = 0
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def clip_grad_norm_(self, max_norm: float) -> torch.Tensor:
        """Scale all gradients so that their global norm is at most max_norm; return the norm before clipping."""
        grads = [p.grad for p in self.params]
        norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
        torch._foreach_mul_(grads, (max_norm / (norm + 1e-6)).clamp(max=1.0))
        return norm

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        beta1, beta2 = self.betas
        grads = [p.grad for p in self.params]
        # one op per line over all parameters (torch._foreach_*), as torch.optim.Adam's foreach path
        torch._foreach_lerp_(self.exp_avg, grads, 1.0 - beta1)
        torch._foreach_mul_(self.exp_avg_sq, beta2)
        torch._foreach_addcmul_(self.exp_avg_sq, grads, grads, value=1.0 - beta2)
        denom = torch._foreach_sqrt(self.exp_avg_sq)
        torch._foreach_div_(denom, math.sqrt(1.0 - beta2**self.t))
        torch._foreach_add_(denom, self.eps)
        torch._foreach_addcdiv_(self.params, self.exp_avg, denom, value=-self.lr / (1.0 - beta1**self.t))

    def state_dict(self) -> dict:
        return {"lr": self.lr, "t": self.t, "exp_avg": self.exp_avg, "exp_avg_sq": self.exp_avg_sq}

    def load_state_dict(self, state: dict) -> None:
        self.lr, self.t = state["lr"], state["t"]
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

    def frozen(self) -> tuple[torch.Tensor, torch.Tensor]:
        """float32 (mean, 1/std) used unchanged for a whole rollout, so stored and recomputed inputs agree."""
        return self.mean.float(), (self.var + 1e-8).rsqrt().float()


def normalize(x: torch.Tensor, mean: torch.Tensor, inv_std: torch.Tensor, clip: float) -> torch.Tensor:
    return ((x - mean) * inv_std).clamp_(-clip, clip)


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


def fail(message: str) -> None:
    sys.exit(f"{os.path.basename(__file__)}: error: {message}")


def validate(args: Args) -> None:
    """Stop before any work on arguments that cannot run."""
    if args.env_id not in envs.list_envs():
        fail(f"unknown env_id {args.env_id!r}; available: {', '.join(envs.list_envs())}")
    for name, value in ENV_DEFAULTS.get(args.env_id, ENV_DEFAULTS["default"]).items():
        if getattr(args, name) is None and name != "total_timesteps":
            setattr(args, name, value)
    for name in ("num_envs", "num_steps", "num_minibatches", "update_epochs", "eval_episodes"):
        if getattr(args, name) < 1:
            fail(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    args.batch_size = args.num_envs * args.num_steps
    if args.total_timesteps is None:  # the env's budget, but at least 20 iterations when --num-envs is raised
        args.total_timesteps = max(
            ENV_DEFAULTS.get(args.env_id, ENV_DEFAULTS["default"])["total_timesteps"], 20 * args.batch_size
        )
    if args.batch_size % args.num_minibatches:
        fail(
            f"--num-minibatches {args.num_minibatches} does not divide the batch size {args.batch_size} "
            f"(num_envs {args.num_envs} x num_steps {args.num_steps})"
        )
    args.minibatch_size = args.batch_size // args.num_minibatches
    args.num_iterations = args.total_timesteps // args.batch_size
    if args.num_iterations < 1:  # total_timesteps < 1 included
        fail(f"--total-timesteps {args.total_timesteps} is less than one batch ({args.batch_size} steps)")
    if args.learning_rate <= 0 or args.gamma <= 0 or args.gamma > 1 or not 0 <= args.gae_lambda <= 1:
        fail(f"need learning_rate > 0, 0 < gamma <= 1, 0 <= gae_lambda <= 1; got {args}")
    if args.save_every < 0:
        fail(f"--save-every must be >= 0, got {args.save_every}")
    for path in (args.resume, args.eval):
        if path is not None and not os.path.isfile(path):
            fail(f"checkpoint {path!r} does not exist")


def save_checkpoint(path: str, state: dict) -> None:
    """Write to a temporary file, then rename: a kill leaves either the previous checkpoint or the new one."""
    tmp = f"{path}.tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def run_metadata(args: Args, device: torch.device) -> dict:
    def git(*cmd):
        try:
            out = subprocess.run(
                ["git", *cmd], capture_output=True, text=True, timeout=5, cwd=os.path.dirname(__file__)
            )
            return out.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {
        "args": asdict(args),
        "command": " ".join(sys.argv),
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor(),
        "cpu_count": os.cpu_count(),
        "loadavg_at_start": os.getloadavg(),
        "versions": {"python": platform.python_version(), "torch": torch.__version__, "warp": wp.__version__},
        "start_time": time.time(),
    }


def evaluate(path: str, args: Args) -> None:
    if args.torch_threads > 0:
        torch.set_num_threads(args.torch_threads)
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    saved = Args(**{k: tuple(v) if k == "hidden" else v for k, v in ckpt["args"].items()})
    device = torch.device(envs.resolve_device(args.device))
    env = make_env(saved, device, num_envs=args.eval_episodes, seed=args.seed)
    agent = Agent(env.num_obs, env.num_actions, saved.hidden, saved.init_log_std).to(device)
    agent.load_state_dict(ckpt["agent"])
    obs_rms = RunningMeanStd(env.num_obs).to(device)
    obs_rms.load_state_dict(ckpt["obs_rms"])
    obs_mean, obs_inv_std = obs_rms.frozen() if saved.norm_obs else (0.0, 1.0)
    obs = env.reset(seed=args.seed)
    returns = torch.zeros(env.num_envs, device=device)
    finished = torch.zeros(env.num_envs, dtype=torch.bool, device=device)
    term_sums = torch.zeros(len(env.reward_term_names), device=device)  # per-step reward terms of unfinished episodes
    steps = 0
    with torch.no_grad():
        for _ in range(env.max_episode_steps):  # every episode ends by its time limit
            action = agent.actor_mean(normalize(obs, obs_mean, obs_inv_std, obs_rms.clip))
            obs, _, terminated, truncated, info = env.step(action)
            term_sums += info["reward_terms"][~finished].sum(0)
            steps += int((~finished).sum())
            done = (terminated | truncated) & ~finished
            returns = torch.where(done, info["episode_return"], returns)
            finished |= done
    returns = returns.cpu().numpy()
    terms = ", ".join(f"{n} {v:.3f}" for n, v in zip(env.reward_term_names, (term_sums / steps).tolist(), strict=True))
    print(
        f"eval {path}: env {saved.env_id}, {len(returns)} episodes, deterministic policy: "
        f"return {returns.mean():.2f} +- {returns.std():.2f}; mean reward terms per step: {terms}"
    )


if __name__ == "__main__":
    args = tyro.cli(Args)
    if args.eval is not None:
        validate(args)
        evaluate(args.eval, args)
        sys.exit(0)
    resume_ckpt = None
    if args.resume is not None:
        validate(args)
        resume_ckpt = torch.load(args.resume, map_location="cpu", weights_only=True)
        save_every, resume = args.save_every, args.resume
        args = Args(**{k: tuple(v) if k == "hidden" else v for k, v in resume_ckpt["args"].items()})
        args.save_every, args.resume = save_every, resume
    validate(args)
    if not args.run_name:
        args.run_name = f"{args.env_id}__{args.exp_name}__{args.seed}__{int(time.time())}"
    run_dir = os.path.join(args.log_dir, args.run_name)
    os.makedirs(run_dir, exist_ok=True)
    ckpt_path = os.path.join(run_dir, "checkpoint.pt")

    def last_good() -> str:
        return f"the last good checkpoint is {ckpt_path}" if os.path.exists(ckpt_path) else "no checkpoint written yet"

    # TRY NOT TO MODIFY: seeding
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.backends.cudnn.deterministic = args.torch_deterministic
    if args.torch_threads > 0:
        torch.set_num_threads(args.torch_threads)
    device = torch.device(envs.resolve_device(args.device))
    if args.torch_deterministic and device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)

    # env setup; on CUDA, torch and Warp share one stream, on which the env step is captured once as a graph
    use_graph = args.cuda_graph and device.type == "cuda"
    if device.type == "cuda":
        torch.cuda.set_stream(torch.cuda.Stream(device))
        wp.set_stream(wp.stream_from_torch(torch.cuda.current_stream(device)), device=str(device))
    env = make_env(args, device)
    env_step = env.step
    if use_graph:
        with wp.ScopedCapture(device=str(device)) as capture:
            graph_out = env.step(env.actions)  # captured, not run: the graph reads the actions from env.actions

        def env_step(action):
            env.actions.copy_(action)
            wp.capture_launch(capture.graph)
            return graph_out

    print(f"device {device}; CUDA graph: {'on' if use_graph else 'off (only on CUDA)'}")
    meta = run_metadata(args, device)
    with open(os.path.join(run_dir, "config.json" if resume_ckpt is None else "config_resume.json"), "w") as f:
        json.dump(meta, f, indent=2)
    from torch.utils.tensorboard import SummaryWriter  # imported late: it costs 0.3 s that the env setup overlaps

    # on resume, TensorBoard drops the events that the interrupted run wrote after its checkpoint
    writer = SummaryWriter(run_dir, purge_step=resume_ckpt["global_step"] if resume_ckpt else None)
    writer.add_text(
        "hyperparameters",
        "|param|value|\n|-|-|\n" + "\n".join(f"|{key}|{value}|" for key, value in asdict(args).items()),
    )

    agent = Agent(env.num_obs, env.num_actions, args.hidden, args.init_log_std).to(device)
    optimizer = Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)
    obs_rms = RunningMeanStd(env.num_obs).to(device)

    # ALGO Logic: storage setup, preallocated on the device
    T, N, O, A = args.num_steps, args.num_envs, env.num_obs, env.num_actions
    obs = torch.zeros((T, N, O), device=device)
    final_obs = torch.zeros((T, N, O), device=device)
    actions = torch.zeros((T, N, A), device=device)
    mus = torch.zeros((T, N, A), device=device)
    logprobs = torch.zeros((T, N), device=device)
    rewards = torch.zeros((T, N), device=device)
    terminateds = torch.zeros((T, N), dtype=torch.bool, device=device)
    truncateds = torch.zeros((T, N), dtype=torch.bool, device=device)
    values = torch.zeros((T, N), device=device)
    ep_returns = torch.zeros((T, N), device=device)
    ep_lengths = torch.zeros((T, N), device=device)

    # TRY NOT TO MODIFY: start the game
    global_step, start_iteration = 0, 1
    recent_returns = collections.deque(maxlen=20)  # the last 20 finished episodes, the threshold measure
    next_obs_buf = torch.zeros((N, O), device=device)
    next_obs_buf.copy_(env.reset(seed=args.seed))
    if resume_ckpt is not None:
        agent.load_state_dict(resume_ckpt["agent"])
        optimizer.load_state_dict(resume_ckpt["optimizer"])
        obs_rms.load_state_dict(resume_ckpt["obs_rms"])
        global_step, start_iteration = resume_ckpt["global_step"], resume_ckpt["iteration"] + 1
        recent_returns.extend(resume_ckpt["recent_returns"])
        torch.set_rng_state(resume_ckpt["torch_rng"])
        if device.type == "cuda":
            torch.cuda.set_rng_state(resume_ckpt["cuda_rng"], device)
        if resume_ckpt["env_state"]:
            set_env_full_state(env, resume_ckpt["env_state"])
            next_obs_buf.copy_(resume_ckpt["next_obs"])

    def checkpoint(iteration: int) -> dict:
        return {
            "agent": agent.state_dict(),
            "optimizer": optimizer.state_dict(),
            "obs_rms": obs_rms.state_dict(),
            "args": asdict(args),
            "iteration": iteration,
            "global_step": global_step,
            "recent_returns": list(recent_returns),
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda" else torch.zeros(0),
            "env_state": env_full_state(env),
            "next_obs": next_obs_buf.clone(),
        }

    # per-phase clocks without a host sync: CUDA events on CUDA (read at logging time), the host clock on CPU
    if device.type == "cuda":
        marks = [[torch.cuda.Event(enable_timing=True) for _ in range(3)] for _ in range(T)]

        def mark(step: int, k: int) -> None:
            marks[step][k].record()

        def phase_time(k: int) -> float:
            marks[-1][2].synchronize()
            return sum(m[k].elapsed_time(m[k + 1]) for m in marks) / 1e3
    else:
        marks = [[0.0] * 3 for _ in range(T)]

        def mark(step: int, k: int) -> None:
            marks[step][k] = time.perf_counter()

        def phase_time(k: int) -> float:
            return sum(m[k + 1] - m[k] for m in marks)

    progress_path = os.path.join(run_dir, "progress.csv")
    if resume_ckpt is None:
        with open(progress_path, "w") as f:
            f.write(
                "iteration,global_step,wall_time,cpu_time,return_last20,return_iteration,episodes,sps,"
                "collect_time,policy_time,env_step_time,update_time\n"
            )
    else:  # drop what the interrupted run logged after its checkpoint
        with open(progress_path) as f:
            lines = f.readlines()
        with open(progress_path, "w") as f:
            f.writelines([lines[0]] + [line for line in lines[1:] if int(line.split(",")[0]) < start_iteration])
    progress = open(progress_path, "a")
    start_time = time.time()
    for iteration in range(start_iteration, args.num_iterations + 1):
        iteration_start = time.time()
        if args.lr_schedule == "anneal":
            optimizer.lr = (1.0 - (iteration - 1.0) / args.num_iterations) * args.learning_rate
        obs_mean, obs_inv_std = obs_rms.frozen() if args.norm_obs else (torch.zeros(O), torch.ones(O))
        obs_mean, obs_inv_std = obs_mean.to(device), obs_inv_std.to(device)

        # rollout, with no host sync: observations are normalized with statistics frozen for the iteration
        for step in range(T):
            mark(step, 0)
            obs[step] = next_obs_buf
            with torch.no_grad():
                x = normalize(next_obs_buf, obs_mean, obs_inv_std, obs_rms.clip)
                action, logprob, _, value, mu = agent.get_action_and_value(x)
            values[step] = value
            actions[step] = action
            mus[step] = mu
            logprobs[step] = logprob
            mark(step, 1)
            next_obs, reward, terminated, truncated, info = env_step(action)
            next_obs_buf.copy_(next_obs)
            rewards[step] = reward
            terminateds[step] = terminated
            truncateds[step] = truncated
            final_obs[step] = info["final_obs"]
            ep_returns[step] = info["episode_return"]
            ep_lengths[step] = info["episode_length"]
            mark(step, 2)
        global_step += T * N
        if not bool(torch.isfinite(obs).all() & torch.isfinite(final_obs).all() & torch.isfinite(next_obs_buf).all()):
            bad = torch.nonzero(~torch.isfinite(torch.cat([obs, final_obs, next_obs_buf[None]])))[0].tolist()
            fail(
                f"non-finite observation in the rollout of iteration {iteration} ([step, env, index] = {bad}; "
                f"steps {T}..{2 * T - 1}: final observations, {2 * T}: the last one); {last_good()}"
            )

        collect_time = time.time() - iteration_start  # after the check's host read: on CUDA, the device time too

        # bootstrap value if not done; a time-limit truncation is bootstrapped from the episode's final observation
        update_start = time.time()
        with torch.no_grad():
            b_obs = normalize(obs.reshape(-1, O), obs_mean, obs_inv_std, obs_rms.clip)
            final_values = agent.get_value(normalize(final_obs, obs_mean, obs_inv_std, obs_rms.clip))
            next_value = agent.get_value(normalize(next_obs_buf, obs_mean, obs_inv_std, obs_rms.clip))
            advantages, returns = compute_gae(
                rewards * args.reward_scale, values, terminateds, truncateds, final_values, next_value, args.gamma,
                args.gae_lambda,
            )  # fmt: skip
        if args.norm_obs:
            obs_rms.update(obs)

        # flatten the batch
        b_logprobs = logprobs.reshape(-1)
        b_actions = actions.reshape(-1, A)
        b_mus = mus.reshape(-1, A)
        b_advantages = advantages.reshape(-1)
        b_returns = returns.reshape(-1)
        b_values = values.reshape(-1)
        old_std = agent.actor_logstd.detach().exp()

        # Optimizing the policy and value network
        clipfracs, kls = [], []
        for epoch in range(args.update_epochs):
            b_inds = torch.randperm(args.batch_size, device=device)
            for start in range(0, args.batch_size, args.minibatch_size):
                mb_inds = b_inds[start : start + args.minibatch_size]
                _, newlogprob, entropy, newvalue, newmu = agent.get_action_and_value(b_obs[mb_inds], b_actions[mb_inds])
                logratio = newlogprob - b_logprobs[mb_inds]
                ratio = logratio.exp()
                with torch.no_grad():
                    # KL(old || new) of the two Gaussians in closed form, as rsl_rl computes it for its schedule
                    new_std = agent.actor_logstd.exp()
                    kl = (
                        torch.log(new_std / old_std)
                        + (old_std.square() + (b_mus[mb_inds] - newmu).square()) / (2.0 * new_std.square())
                        - 0.5
                    ).sum(-1)
                    clipfracs.append(((ratio - 1.0).abs() > args.clip_coef).float().mean())

                mb_advantages = b_advantages[mb_inds]
                if args.norm_adv:
                    mb_advantages = (mb_advantages - mb_advantages.mean()) / (mb_advantages.std() + 1e-8)

                # Policy loss
                pg_loss1 = -mb_advantages * ratio
                pg_loss2 = -mb_advantages * torch.clamp(ratio, 1 - args.clip_coef, 1 + args.clip_coef)
                pg_loss = torch.max(pg_loss1, pg_loss2).mean()

                # Value loss
                if args.clip_vloss:
                    v_loss_unclipped = (newvalue - b_returns[mb_inds]) ** 2
                    v_clipped = b_values[mb_inds] + torch.clamp(
                        newvalue - b_values[mb_inds], -args.clip_coef, args.clip_coef
                    )
                    v_loss_clipped = (v_clipped - b_returns[mb_inds]) ** 2
                    v_loss = 0.5 * torch.max(v_loss_unclipped, v_loss_clipped).mean()
                else:
                    v_loss = 0.5 * ((newvalue - b_returns[mb_inds]) ** 2).mean()

                entropy_loss = entropy.mean()
                loss = pg_loss - args.ent_coef * entropy_loss + v_loss * args.vf_coef

                optimizer.zero_grad()
                loss.backward()
                grad_norm = optimizer.clip_grad_norm_(args.max_grad_norm)
                # one host read per minibatch, in the update only: the finiteness check and the KL rule need it
                kl_mean, loss_value, grad_value = torch.stack([kl.mean(), loss.detach(), grad_norm]).tolist()
                kls.append(kl_mean)
                where = f"at iteration {iteration} (epoch {epoch + 1}, minibatch {start // args.minibatch_size + 1})"
                if not math.isfinite(loss_value):
                    fail(f"non-finite loss {loss_value} {where}; {last_good()}")
                if not math.isfinite(grad_value):
                    fail(f"non-finite gradient (norm {grad_value}) {where}; {last_good()}")
                if args.lr_schedule == "adaptive":  # rsl_rl's rule, applied before the step as rsl_rl does
                    if kl_mean > args.desired_kl * 2.0:
                        optimizer.lr = max(1e-5, optimizer.lr / 1.5)
                    elif 0.0 < kl_mean < args.desired_kl / 2.0:
                        optimizer.lr = min(args.max_learning_rate, optimizer.lr * 1.5)
                optimizer.step()
        update_time = time.time() - update_start

        # logging: the episode statistics leave the device here, once per iteration
        done_mask = terminateds | truncateds
        finished_returns = ep_returns[done_mask].cpu().numpy()
        finished_lengths = ep_lengths[done_mask].cpu().numpy()
        recent_returns.extend(finished_returns.tolist())
        mean_recent = float(np.mean(recent_returns)) if recent_returns else float("nan")
        mean_finished = float(finished_returns.mean()) if len(finished_returns) else float("nan")
        y_pred, y_true = b_values.cpu().numpy(), b_returns.cpu().numpy()
        var_y = np.var(y_true)
        explained_var = np.nan if var_y == 0 else 1 - np.var(y_true - y_pred) / var_y
        sps = int(T * N / (time.time() - iteration_start))
        action_std = agent.actor_logstd.exp().mean().item()
        scalars = {
            "charts/episodic_return_last20": mean_recent,
            "charts/learning_rate": optimizer.lr,
            "charts/action_std": action_std,
            "charts/SPS": sps,
            "losses/value_loss": v_loss.item(),
            "losses/policy_loss": pg_loss.item(),
            "losses/entropy": entropy_loss.item(),
            "losses/approx_kl": float(np.mean(kls)),
            "losses/clipfrac": torch.stack(clipfracs).mean().item(),
            "losses/explained_variance": explained_var,
            "perf/collect_time": collect_time,
            "perf/policy_time": phase_time(0),
            "perf/env_step_time": phase_time(1),
            "perf/learn_time": update_time,
        }
        if len(finished_returns):
            scalars["charts/episodic_return"] = mean_finished
            scalars["charts/episodic_length"] = float(finished_lengths.mean())
        for name, value in scalars.items():
            writer.add_scalar(name, value, global_step)
        progress.write(
            f"{iteration},{global_step},{time.time():.3f},{time.process_time():.3f},{mean_recent:.3f},"
            f"{mean_finished:.3f},{len(finished_returns)},{sps},{collect_time:.6f},{scalars['perf/policy_time']:.6f},"
            f"{scalars['perf/env_step_time']:.6f},{update_time:.6f}\n"
        )
        progress.flush()
        if not args.quiet:
            print(
                f"iter {iteration}/{args.num_iterations} step {global_step} SPS {sps} "
                f"return(last 20) {mean_recent:.1f} lr {optimizer.lr:.1e} kl {scalars['losses/approx_kl']:.4f} "
                f"std {action_std:.2f} | policy {scalars['perf/policy_time']:.3f}s "
                f"env {scalars['perf/env_step_time']:.3f}s update {update_time:.3f}s"
            )
        if (args.save_every and iteration % args.save_every == 0) or iteration == args.num_iterations:
            save_checkpoint(ckpt_path, checkpoint(iteration))

    progress.close()
    writer.close()
    print(f"done: {global_step} steps in {time.time() - start_time:.1f} s; checkpoint {ckpt_path}")
