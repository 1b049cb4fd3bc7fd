# Teacher-student distillation with privileged information. Results: results/distill_pendulum.md
"""A teacher trained by PPO on privileged observations (randomized physical parameters, the noise-free state), then
a student that sees only what a robot measures (noisy observations, its own past actions), trained to act like the
teacher: the sim-to-real recipe of legged locomotion (Lee et al. 2020, "Learning quadrupedal locomotion over
challenging terrain"; RMA, Kumar et al. 2021; rsl_rl's `Distillation` algorithm and `StudentTeacher` module).

--student-algo:
  dagger    DAgger (Ross et al. 2011): in each step an env follows the teacher with probability beta, else the student;
            the teacher labels every visited state; action MSE; beta falls linearly from 1 to 0 (--beta-decay);
            online, as rsl_rl trains: each rollout serves --update-epochs and is dropped, not aggregated
  bc        behaviour cloning: the teacher always acts (beta = 1), the student learns from its rollouts
  rslrl     rsl_rl's Distillation: the student always acts (beta = 0), the teacher labels
  asym_ppo  no teacher: PPO whose actor sees the student's inputs and whose critic sees (obs, privileged_obs),
            given the teacher's and the student's env steps together (--teacher-timesteps + --total-timesteps)
--student-arch:
  mlp  an MLP over the last --history-len observations and actions (the window of RMA's adaptation module; rsl_rl's
       StudentTeacher is an MLP too): it trains on shuffled minibatches like the teacher, with no backpropagation
       through time, and a window of k steps is enough to estimate a pendulum's mass and length from its motion
  gru  rsl_rl's StudentTeacherRecurrent (its Memory module): one GRU layer (--gru-hidden units) reads the (observation,
       previous action) pair of each step, the MLP head reads its output; the hidden state is kept per env, zeroed
       where an episode ends and carried from rollout to rollout. It trains by truncated backpropagation through the
       rollout (num_steps long) from the hidden state stored at the rollout's start, with minibatches of whole envs
       (not of shuffled steps), as rsl_rl trains recurrent policies; the episode starts inside the rollout zero the
       hidden state there. Distilled students only (dagger, bc, rslrl): the PPO baselines refuse it.

Run: python cleanppo/distill_warp.py [--env-id pendulum] [--student-algo dagger]   (--help: the env's defaults)
     python cleanppo/distill_warp.py --teacher-checkpoint runs/<run>/checkpoint.pt --student-algo bc
     python cleanppo/distill_warp.py --env-id pendulum --student-arch gru   (the recurrent student)
     python cleanppo/distill_warp.py --resume runs/<run_name>/checkpoint.pt [--total-timesteps <a larger budget>]
     python cleanppo/distill_warp.py --eval runs/<run>/checkpoint.pt --eval-episodes 100 [--mass-scale 1.3 1.6 ...]
"""

import collections
import json
import os
import random
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
from cleanppo_utils import runs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # ppo_warp.py beside this file (not a package)
from ppo_warp import (  # noqa: E402
    LOG_SQRT_2PI,
    Adam,
    RunningMeanStd,
    compute_gae,
    mlp,
    normalize,
    update_minibatch,
)

# Per-env presets. Pendulum: ppo_warp.py's pendulum preset for the PPO phases (gamma 0.98, rewards x 0.1, lr 3e-3
# annealed), mass and length randomized by +-30% and noise on every observation; ant: ppo_warp.py's defaults (rsl_rl's
# legged_gym PPO) at 16384 envs (its H100 mission command) with friction and mass randomized; the teacher's budget is
# where ppo_warp's ant return takes off (31M steps: 357, 47M: 1947; results/h100_2026-11-26_3a3d89e/ant_progress.csv);
# anymal_c: ppo_warp.py's anymal_c preset (rsl_rl's flat ANYmal PPO, 300 iterations of 4096 x 24, its std floor
# e^-1.5 included) for the teacher, legged_gym's friction and base-mass randomization (its noise and pushes are the
# env's defaults), a 100-iteration student on the plain 48-dim observation, wider than the teacher: its window of 8
# (observation, action) pairs is 480 inputs, and a (512, 256, 128) student kept 0.87 of seed 5's teacher where the
# teacher-sized (128, 64, 32) one kept 0.83 and ten epochs instead of five 0.82 (results/distill_anymal_c_cpu); the
# same width on the ant's 280 inputs kept 0.96, 0.95, 0.94, 0.92, 0.96 of seeds 1-5's teachers where the teacher-sized
# (256, 128, 64) student kept 0.94, 0.93, 0.89, 0.86, 0.96 (results/distill_ant_cpu/student512).
# fmt: off
PRESETS = {
    "pendulum": dict(teacher_timesteps=600_000, total_timesteps=200_000, num_envs=128, num_steps=16, num_minibatches=4,
                     hidden=(64, 64), gamma=0.98, gae_lambda=0.9, ent_coef=0.0, vf_coef=0.5, learning_rate=3e-3,
                     lr_schedule="anneal", reward_scale=0.1, mass_scale=(0.7, 1.3), length_scale=(0.7, 1.3),
                     obs_noise_std=0.05),
    "ant": dict(teacher_timesteps=40_000_000, total_timesteps=10_000_000, num_envs=16384, mass_scale=(0.7, 1.3),
                friction_scale=(0.5, 1.25), obs_noise_std=0.02, student_hidden=(512, 256, 128)),
    "anymal_c": dict(teacher_timesteps=300 * 4096 * 24, total_timesteps=100 * 4096 * 24, num_envs=4096,
                     hidden=(128, 64, 32), activation="elu", clip_vloss=True, ent_coef=0.0, init_log_std=-1.0,
                     min_log_std=-1.5, max_log_std=0.0, mass_scale=(0.74, 1.26), friction_scale=(0.5, 1.25),
                     student_hidden=(512, 256, 128)),
}
# fmt: on
# the eval's env knobs, written into each --eval-json record, and how its episodes can end
EVAL_KNOBS = (
    "mass_scale",
    "length_scale",
    "friction_scale",
    "strength_scale",
    "obs_noise_std",
    "action_delay",
    "push_vel",
    "push_interval_s",
)  # fmt: skip
ENDINGS = ("fell", "timeout", "nan")


@dataclass
class Args:
    exp_name: str = os.path.basename(__file__)[: -len(".py")]
    """the name of this experiment"""
    env_id: str = "ant"
    """the id of the environment (envs.list_envs()); it must declare privileged observations"""
    seed: int = 1
    """seed of the experiment (torch, numpy, random and the envs)"""
    torch_deterministic: bool = True
    """if toggled, deterministic torch algorithms (cudnn.deterministic, use_deterministic_algorithms on CUDA)"""
    device: str = "auto"
    """torch device: auto (cuda:0 when a CUDA device is present, else cpu), cpu, cuda (or gpu), cuda:1, ..."""
    cuda_graph: bool = True
    """replay the env step as a captured CUDA graph (CUDA only; on CPU a logged no-op)"""
    cuda_graph_update: bool = True
    """replay each minibatch step (PPO's or the MLP student's distillation loss) as a captured CUDA graph (CUDA only;
    checked against an eager step first; the GRU student's step stays eager)"""
    torch_threads: int = 1
    """torch intra-op threads on CPU (0: torch's default)"""
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
    """checkpoint to continue, in its folder; only total_timesteps, saving and quiet may change"""
    eval: str | None = None
    """path of a checkpoint: run its student, its teacher and the zero action deterministically for `eval_episodes`
    episodes in the env this command line describes (held-out ranges, noise, delay), print the returns, exit"""
    eval_episodes: int = 10
    """number of episodes run by --eval"""
    eval_json: str | None = None
    """with --eval: also append the result as one JSON line to this file"""
    eval_label: str = ""
    """with --eval-json: the condition's name, written into the record"""
    quiet: bool = False
    """if toggled, no console line per iteration"""
    capture_video: bool = False
    """not supported by this script (the student needs its history); kept so that the run plumbing reads the flag"""

    # Environment: what the student measures and what is randomized (each used when the env has the parameter)
    mass_scale: tuple[float, float] = (1.0, 1.0)
    """mass scale range, drawn per env per episode (envs with a `mass` parameter)"""
    length_scale: tuple[float, float] = (1.0, 1.0)
    """length scale range (pendulum)"""
    friction_scale: tuple[float, float] = (1.0, 1.0)
    """friction scale range (MJCF envs)"""
    obs_noise_std: float = 0.0
    """Gaussian noise (std, observation units) on every observation; the privileged observation has none"""
    action_delay: tuple[int, int] = (0, 0)
    """action delay range in steps, drawn per env per episode"""
    strength_scale: tuple[float, float] = (1.0, 1.0)
    """motor strength range, drawn per env per episode (MJCF envs: anymal_c's servo torque, the motors' gear of ant,
    half_cheetah, humanoid); pendulum: max_torque times the scale (one value: lo == hi)"""
    push_vel: float | None = None
    """pushes (legged_gym's push_robots): the largest velocity kick, per axis (anymal_c, ant: max_push_vel_xy, the
    base's horizontal velocity set to U(-v, v) m/s; pendulum: max_push_vel, U(-v, v) rad/s added); None: the env's
    default (anymal_c 1.0, the others 0, off)"""
    push_interval_s: float | None = None
    """pushes: anymal_c every push_interval_s of an episode; ant and pendulum at random times, on average every
    push_interval_s; None: the env's default"""

    # Algorithm specific arguments
    student_algo: Literal["dagger", "bc", "rslrl", "asym_ppo", "ppo"] = "dagger"
    """how the student learns (the module docstring)"""
    teacher_timesteps: int = 30_000_000
    """env steps of the teacher's PPO (ignored with --teacher-checkpoint; asym_ppo adds them to its own budget)"""
    teacher_checkpoint: str | None = None
    """a checkpoint of the same env id whose teacher is used instead of training one: a distill_warp.py checkpoint
    (its teacher reads (obs, privileged_obs)) or a ppo_warp.py one (its policy reads obs only)"""
    total_timesteps: int = 20_000_000
    """env steps of the student's phase"""
    student_arch: Literal["mlp", "gru"] = "mlp"
    """the student's network (the module docstring): an MLP over a window, or a GRU with an MLP head"""
    history_len: int = 8
    """mlp: the student's input, the last history_len (observation, previous action) pairs, zeros before the episode"""
    gru_hidden: int = 256
    """gru: the GRU's hidden units (rsl_rl's StudentTeacherRecurrent default rnn_hidden_dim, 256)"""
    beta_decay: float = 0.5
    """dagger: beta falls linearly from 1 to 0 over this fraction of the student's iterations"""
    student_learning_rate: float = 1e-3
    """learning rate of the distilled students (dagger, bc, rslrl), constant"""
    num_envs: int = 4096
    """the number of parallel environments"""
    num_steps: int = 24
    """the number of steps to run in each environment per rollout"""
    learning_rate: float = 1e-3
    """the (initial) learning rate of the PPO phases"""
    lr_schedule: Literal["adaptive", "anneal", "constant"] = "adaptive"
    """PPO: adaptive (rsl_rl's KL rule), anneal (linear to 0 over the phase) or constant"""
    desired_kl: float = 0.01
    """the KL divergence the adaptive schedule steers towards"""
    max_learning_rate: float = 1e-2
    """the upper clamp of the adaptive schedule"""
    gamma: float = 0.99
    """the discount factor gamma"""
    gae_lambda: float = 0.95
    """the lambda for the generalized advantage estimation"""
    num_minibatches: int = 4
    """the number of mini-batches per epoch (PPO and distillation)"""
    update_epochs: int = 5
    """the K epochs per rollout (PPO and distillation)"""
    norm_adv: bool = True
    """toggles advantage normalization (per minibatch)"""
    clip_coef: float = 0.2
    """the surrogate clipping coefficient"""
    ent_coef: float = 0.01
    """coefficient of the entropy"""
    vf_coef: float = 1.0
    """coefficient of the value function"""
    max_grad_norm: float = 1.0
    """the maximum norm for the global gradient clipping"""
    clip_vloss: bool = False
    """toggles whether or not to use a clipped loss for the value function, as per the paper"""
    hidden: tuple[int, ...] = (256, 128, 64)
    """hidden layer sizes of the teacher's actor and critic (and of the student's, unless --student-hidden)"""
    student_hidden: tuple[int, ...] | None = None
    """hidden layer sizes of the student's network (the GRU's head; the PPO baselines' actor and critic); None:
    --hidden"""
    activation: Literal["tanh", "elu"] = "tanh"
    """the hidden layers' activation (rsl_rl's legged robots use elu)"""
    init_log_std: float = 0.0
    """initial log standard deviation of the PPO policies (state independent)"""
    min_log_std: float = -20.0
    """the log std is projected into [min_log_std, max_log_std] after every step (SB3's SAC bounds, -20 and 2)"""
    max_log_std: float = 2.0
    """the upper bound of the log std"""
    reward_scale: float = 1.0
    """rewards are multiplied by this for learning; returns are logged unscaled"""

    # to be filled in runtime (not flags)
    batch_size: tyro.conf.Suppress[int] = 0
    minibatch_size: tyro.conf.Suppress[int] = 0
    num_iterations: tyro.conf.Suppress[int] = 0
    """teacher_iterations + student_iterations: the iterations of the whole run"""
    teacher_iterations: tyro.conf.Suppress[int] = 0
    teacher_obs: tyro.conf.Suppress[str] = "privileged"
    """what the teacher reads: "privileged" (obs, privileged_obs) or "obs" (a ppo_warp.py policy)"""
    run_name: tyro.conf.Suppress[str] = ""


def make_env(args: Args, device: torch.device, num_envs: int | None = None, seed: int | None = None):
    # the perturbation knobs the env has; validate=False: the per-step NaN-action check is a host sync
    env_type = envs.env_class(args.env_id)
    config = envs.core.config_defaults(env_type.cfg_type)
    knobs = dict(obs_noise_std=args.obs_noise_std, action_delay=tuple(args.action_delay))
    for p in ("mass", "length", "friction", "strength"):
        if p in env_type.param_names:
            knobs[f"{p}_scale"] = tuple(getattr(args, f"{p}_scale"))
    if "base_mass" in env_type.param_names:  # anymal_c randomizes the base's mass only
        knobs["base_mass_scale"] = tuple(args.mass_scale)
    if "strength" not in env_type.param_names and tuple(args.strength_scale) != (1.0, 1.0):
        lo, hi = args.strength_scale
        if "max_torque" not in config or lo != hi:
            runs.fail(f"--strength-scale: {args.env_id} takes no strength range (pendulum: one value, lo == hi)")
        knobs["max_torque"] = config["max_torque"] * lo
    # the env's own names of its push settings (anymal_c and ant: horizontal velocity, pendulum: angular velocity)
    for name, fields in (("push_vel", ("max_push_vel_xy", "max_push_vel")), ("push_interval_s", ("push_interval_s",))):
        field = next((f for f in fields if f in config), None)
        if getattr(args, name) is not None:
            if field is None:
                runs.fail(f"--{name.replace('_', '-')}: env {args.env_id} has no pushes")
            knobs[field] = getattr(args, name)
    seed, num_envs = args.seed if seed is None else seed, num_envs or args.num_envs
    return envs.make(args.env_id, num_envs=num_envs, device=str(device), seed=seed, validate=False,
                     block_dim=args.env_block_dim, **knobs)  # fmt: skip


class Agent(nn.Module):
    """ppo_warp.py's Agent, with the actor on the first `num_actor_obs` input columns and the critic on the last
    `num_critic_obs` (from column `critic_start` when given): the teacher's actor and critic read all of (obs,
    privileged_obs); a student's row is (window, obs, privileged_obs), its actor reads the window only and its critic
    (asymmetric actor-critic, Pinto et al. 2018) the rest, or the window too (direct PPO, critic_start 0)."""

    def __init__(self, num_actor_obs: int, num_critic_obs: int, num_actions: int, hidden, init_log_std: float,
                 activation: str = "tanh", critic_start: int | None = None):  # fmt: skip
        super().__init__()
        self.num_actor_obs, self.num_critic_obs, self.critic_start = num_actor_obs, num_critic_obs, critic_start
        self.critic = mlp([num_critic_obs, *hidden, 1], out_std=1.0, activation=activation)
        self.actor_mean = mlp([num_actor_obs, *hidden, num_actions], out_std=0.01, activation=activation)
        self.actor_logstd = nn.Parameter(torch.full((1, num_actions), float(init_log_std)))

    def act(self, x: torch.Tensor) -> torch.Tensor:
        """The deterministic action (the Gaussian's mean) from the actor's columns of x."""
        return self.actor_mean(x[..., : self.num_actor_obs])

    def get_value(self, x: torch.Tensor) -> torch.Tensor:
        start = x.shape[-1] - self.num_critic_obs if self.critic_start is None else self.critic_start
        return self.critic(x[..., start : start + self.num_critic_obs]).squeeze(-1)

    def get_action_and_value(self, x: torch.Tensor, action: torch.Tensor | None = None):
        """Return action, log prob, entropy, value and the action mean; samples an action when none is given."""
        mean = self.act(x)
        logstd = self.actor_logstd.expand_as(mean)
        if action is None:
            noise = torch.randn_like(mean)
            action = mean + noise * logstd.exp()
        else:
            noise = (action - mean) * (-logstd).exp()
        logprob = (-0.5 * noise.square() - logstd - LOG_SQRT_2PI).sum(-1)
        entropy = (0.5 + LOG_SQRT_2PI + logstd).sum(-1)
        return action, logprob, entropy, self.get_value(x), mean


def push_window(window: torch.Tensor, obs: torch.Tensor, prev_action: torch.Tensor, done: torch.Tensor):
    """The student's input one step later: the window [N, k * (O + A)] shifted by one (obs, previous action) pair;
    an env whose episode just ended starts from zeros, with a zero previous action."""
    window = torch.where(done[:, None], torch.zeros_like(window), window)
    prev_action = torch.where(done[:, None], torch.zeros_like(prev_action), prev_action)
    step = obs.shape[1] + prev_action.shape[1]
    return torch.cat([window[:, step:], obs, prev_action], dim=1)


class GruStudent(nn.Module):
    """rsl_rl's recurrent student (StudentTeacherRecurrent with its Memory module: rsl_rl/modules/
    student_teacher_recurrent.py, rsl_rl/networks/memory.py): one GRU layer over the actor's columns of each step's
    normalized batch row, the (observation, previous action) pair, and an MLP head from the GRU's output to the
    action mean. It has no critic and no log std: a distilled student is its deterministic action."""

    def __init__(self, num_actor_obs: int, num_actions: int, hidden, gru_hidden: int, activation: str = "tanh"):
        super().__init__()
        self.num_actor_obs, self.gru_hidden = num_actor_obs, gru_hidden
        self.memory = nn.GRU(num_actor_obs, gru_hidden)
        self.actor_mean = mlp([gru_hidden, *hidden, num_actions], out_std=0.01, activation=activation)

    def step(self, x: torch.Tensor, hidden: torch.Tensor, first: torch.Tensor):
        """(action mean [N, A], next hidden state [N, gru_hidden]) of one step of every env, from the batch rows x
        [N, ...] and the hidden state, which is zeroed where `first` (the step begins an episode; rsl_rl's reset)."""
        hidden = torch.where(first[:, None], torch.zeros_like(hidden), hidden)
        out, hidden = self.memory(x[None, :, : self.num_actor_obs], hidden[None])
        return self.actor_mean(out[0]), hidden[0]

    def unroll(self, x: torch.Tensor, hidden: torch.Tensor, firsts: torch.Tensor) -> torch.Tensor:
        """The action means [T, N, A] along a rollout's rows x [T, N, ...] from the hidden state at its start [N,
        gru_hidden], zeroed at every episode start (firsts [T, N]): the graph of truncated backpropagation through
        time. A step loop rather than rsl_rl's padded trajectories: the same numbers, with no split and pad."""
        means = []
        for t in range(x.shape[0]):
            mean, hidden = self.step(x[t], hidden, firsts[t])
            means.append(mean)
        return torch.stack(means)


def distill_minibatch(student, optimizer, args: Args, b: dict, mb_inds, stats_out: torch.Tensor) -> None:
    """One minibatch step of action MSE between the student's deterministic action and the teacher's label, with no
    host sync: the loss and gradient norm go to `stats_out` (runs.MB_STATS columns, the rest 0); a non-finite loss
    or gradient skips the step, and the iteration's read stops the run; optimizer.count_step() comes before it."""
    loss = (student.act(b["obs"][mb_inds]) - b["labels"][mb_inds]).square().mean()
    optimizer.zero_grad()
    loss.backward()
    grad_norm = nn.utils.clip_grad_norm_(student.actor_mean.parameters(), args.max_grad_norm)
    stats_out.zero_()
    stats_out[1:3] = torch.stack([loss, grad_norm]).detach()
    optimizer.step(ok=torch.isfinite(loss) & torch.isfinite(grad_norm))


def graphed_step(step, optimizer, use_graph: bool):
    """`step(b, mb_inds, old_std, stats_out)` replayed as a CUDA graph (runs.GraphedUpdate, as ppo_warp.py's update)
    when `use_graph`; its state is what a step changes: the optimizer's parameters, moments and learning rate."""
    if not use_graph:
        return step
    return runs.GraphedUpdate(step, [*optimizer.params, *optimizer.exp_avg, *optimizer.exp_avg_sq, optimizer.lr])


def distill_sequence_minibatch(student: GruStudent, optimizer, args: Args, seq: dict, mb_envs, stats_out) -> None:
    """distill_minibatch for the GRU student: the action MSE along the whole rollout of the envs `mb_envs`, unrolled
    from the hidden state stored at the rollout's start (seq: obs, labels, firsts [T, N, ...], hidden0 [N, H])."""
    means = student.unroll(seq["obs"][:, mb_envs], seq["hidden0"][mb_envs], seq["firsts"][:, mb_envs])
    loss = (means - seq["labels"][:, mb_envs]).square().mean()
    optimizer.zero_grad()
    loss.backward()
    grad_norm = nn.utils.clip_grad_norm_(student.parameters(), args.max_grad_norm)
    stats_out.zero_()
    stats_out[1:3] = torch.stack([loss, grad_norm]).detach()
    optimizer.step(ok=torch.isfinite(loss) & torch.isfinite(grad_norm))


def window_width(args: Args, O: int, A: int) -> int:  # noqa: E741
    """The width of the student's input window: history_len (observation, previous action) pairs for the MLP, the
    current pair for the GRU (its hidden state holds the past)."""
    return (args.history_len if args.student_arch == "mlp" else 1) * (O + A)


def make_agents(args: Args, arch: dict, O: int, A: int, P: int, device: torch.device):  # noqa: E741
    """(teacher, teacher_rms, student, student_rms) for `args` (the run's) and `arch` (the teacher's hidden sizes,
    activation and initial log std); the teacher is None for the PPO baselines, which have none."""
    W, hidden = window_width(args, O, A), args.student_hidden or args.hidden
    teacher, teacher_rms = None, None
    if args.student_algo not in ("asym_ppo", "ppo"):
        TO = O + P if args.teacher_obs == "privileged" else O  # a ppo_warp.py policy reads the observation only
        # the critic of a ppo_warp.py --privileged-critic teacher is wider (critic_obs): kept with it, never run
        teacher = Agent(TO, arch.get("critic_obs", TO), A, arch["hidden"], arch["init_log_std"], arch["activation"],
                        critic_start=0)  # fmt: skip
        teacher, teacher_rms = teacher.to(device), RunningMeanStd(TO).to(device)
    if args.student_arch == "gru":
        student = GruStudent(W, A, hidden, args.gru_hidden, args.activation).to(device)
    else:
        student = Agent(W, W if args.student_algo == "ppo" else O + P, A, hidden, args.init_log_std,
                        args.activation, critic_start=0 if args.student_algo == "ppo" else None).to(device)  # fmt: skip
    return teacher, teacher_rms, student, RunningMeanStd(W + O + P).to(device)


def evaluate_policies(args: Args, saved: Args, ckpt: dict, device: torch.device) -> dict:
    """For the student, the teacher (when the checkpoint has one) and the zero action, each deterministic for one
    episode in each of `eval_episodes` envs of the env `args` describes (the same seed, so the same parameter draws,
    initial states, noise and pushes for the three): the mean and std of the returns and how the episodes ended,
    `fell` (terminated), `timeout` (the time limit) or `nan` (a non-finite observation or return)."""
    O, A, P = (lambda e: (e.num_obs, e.num_actions, e.num_privileged_obs))(make_env(saved, device, num_envs=1))
    W = window_width(saved, O, A)
    arch = ckpt.get("teacher_arch") or dict(hidden=saved.hidden, activation=saved.activation,
                                            init_log_std=saved.init_log_std)  # fmt: skip
    teacher, teacher_rms, student, student_rms = make_agents(saved, arch, O, A, P, device)
    student.load_state_dict(ckpt["agent"]), student_rms.load_state_dict(ckpt["obs_rms"])
    names = ["student", "zero"]
    if teacher is not None and ckpt.get("teacher"):
        teacher.load_state_dict(ckpt["teacher"]), teacher_rms.load_state_dict(ckpt["teacher_obs_rms"])
        names.append("teacher")
    out = {}
    for name in names:
        env = make_env(args, device, num_envs=args.eval_episodes, seed=args.seed)
        obs = env.reset(seed=args.seed)
        window = torch.zeros(env.num_envs, W, device=device)
        done = torch.ones(env.num_envs, dtype=torch.bool, device=device)
        action = torch.zeros(env.num_envs, A, device=device)
        hidden = torch.zeros(env.num_envs, getattr(student, "gru_hidden", 0), device=device)  # GRU student only
        returns = torch.zeros(env.num_envs, device=device)
        ending = torch.zeros(env.num_envs, dtype=torch.long, device=device)  # 0 running, 1 fell, 2 timeout, 3 nan
        with torch.no_grad():
            for _ in range(env.max_episode_steps):  # every episode ends by its time limit at the latest
                window = push_window(window, obs, action, done)
                if name == "student":  # the window only: no privileged column is in its input
                    mean, inv_std, clip = student_rms.frozen()
                    x = normalize(window, mean[:W], inv_std[:W], clip)
                    if saved.student_arch == "gru":
                        action, hidden = student.step(x, hidden, done)
                    else:
                        action = student.act(x)
                    action = action.clamp(-1.0, 1.0)
                elif name == "teacher":
                    x = torch.cat([obs, env.info["privileged_obs"]], 1)[:, : teacher.num_actor_obs]
                    action = teacher.act(normalize(x, *teacher_rms.frozen())).clamp(-1.0, 1.0)
                obs, _, terminated, truncated, info = env.step(action)
                done = terminated | truncated
                bad = ~(torch.isfinite(obs).all(1) & torch.isfinite(info["episode_return"]))
                end = torch.where(bad, 3, torch.where(terminated, 1, torch.where(truncated, 2, 0)))
                first = (ending == 0) & (end > 0)
                returns = torch.where(first & done, info["episode_return"], returns)
                ending = torch.where(first, end, ending)
        counts = torch.bincount(ending, minlength=4).tolist()
        finite = returns[ending != 3]
        mean, std = (float(finite.mean()), float(finite.std())) if len(finite) else (float("nan"), float("nan"))
        out[name] = dict(mean=mean, std=std, fell=counts[1], timeout=counts[2], nan=counts[3], running=counts[0])
    return out


def student_inputs(window, obs, privileged):
    """A student's batch row: (window, obs, privileged_obs); its actor reads the window, its critic the rest."""
    return torch.cat([window, obs, privileged], dim=1)


def save(path: str, args: Args, iteration: int, global_step: int, student, optimizer, student_rms, teacher,
         teacher_optimizer, teacher_rms, teacher_arch: dict, recent_returns, env, loop: dict,
         device: torch.device) -> None:  # fmt: skip
    """Write everything a resumed run needs (both phases); a kill leaves the previous file or the new one."""
    state = dict(agent=student.state_dict(), optimizer=optimizer.state_dict(), obs_rms=student_rms.state_dict(),
                 teacher=teacher.state_dict() if teacher is not None else {},
                 teacher_optimizer=teacher_optimizer.state_dict() if teacher_optimizer is not None else {},
                 teacher_obs_rms=teacher_rms.state_dict() if teacher is not None else {}, teacher_arch=teacher_arch,
                 args=asdict(args), iteration=iteration, global_step=global_step, recent_returns=list(recent_returns),
                 torch_rng=torch.get_rng_state(),
                 cuda_rng=torch.cuda.get_rng_state(device) if device.type == "cuda" else torch.zeros(0),
                 env_state=env.state_dict(), loop=loop)  # fmt: skip
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    args, resume_ckpt = runs.parse_args(Args, PRESETS, __doc__)
    args.batch_size = int(args.num_envs * args.num_steps)
    args.minibatch_size = int(args.batch_size // max(args.num_minibatches, 1))
    baseline = args.student_algo in ("asym_ppo", "ppo")  # PPO on the student's inputs: no teacher
    student_steps = args.total_timesteps + (args.teacher_timesteps if baseline else 0)
    train_teacher = not baseline and args.teacher_checkpoint is None
    args.teacher_iterations = args.teacher_timesteps // max(args.batch_size, 1) if train_teacher else 0
    args.num_iterations = args.teacher_iterations + student_steps // max(args.batch_size, 1)
    device = runs.validate(args, envs.list_envs())  # everything is checked before anything is created
    env_type = envs.env_class(args.env_id)
    if not (env_type.privileged_obs_names or env_type.param_names):
        runs.fail(f"env {args.env_id!r} declares no privileged observations")
    if args.history_len < 1 or not 0.0 < args.beta_decay <= 1.0 or args.student_learning_rate <= 0:
        runs.fail("need --history-len >= 1, 0 < --beta-decay <= 1 and --student-learning-rate > 0")
    if args.student_hidden is not None and (not args.student_hidden or min(args.student_hidden) < 1):
        runs.fail(f"--student-hidden: layer sizes must be >= 1, got {args.student_hidden}")
    if args.student_arch == "gru" and baseline:
        runs.fail(f"--student-arch gru trains distilled students only (dagger, bc, rslrl), not {args.student_algo}: "
                  "PPO with a recurrent actor is not implemented here")  # fmt: skip
    if args.student_arch == "gru" and (args.gru_hidden < 1 or args.num_envs % max(args.num_minibatches, 1)):
        runs.fail("--student-arch gru needs --gru-hidden >= 1 and --num-envs divisible by --num-minibatches "
                  "(its minibatches are whole envs)")  # fmt: skip
    runs.init_torch(args.torch_threads)
    runs.init_warp(device)
    if args.eval is not None:  # the checkpoint's student and teacher in the env of this command line, then exit
        ckpt = runs.load_checkpoint(args.eval)
        saved = runs.saved_args(Args, ckpt["args"])
        if saved.env_id != args.env_id:  # the env's knobs come from this command line and --env-id's preset
            runs.fail(f"{args.eval!r} was trained on {saved.env_id}: pass --env-id {saved.env_id}")
        result = evaluate_policies(args, saved, ckpt, device)
        s, z = result["student"]["mean"], result["zero"]["mean"]
        line = (
            f"eval {args.eval}: env {args.env_id}, {args.eval_episodes} episodes: student {s:.2f} +- "
            f"{result['student']['std']:.2f} (" + ", ".join(f"{k} {result['student'][k]}" for k in ENDINGS) + ")"
        )
        record = dict(checkpoint=args.eval, label=args.eval_label, student_algo=saved.student_algo,
                      train_seed=saved.seed, seed=args.seed, episodes=args.eval_episodes,
                      **{k: getattr(args, k) for k in EVAL_KNOBS},
                      **{f"{k}_return": v["mean"] for k, v in result.items()},
                      **{f"{k}_return_std": v["std"] for k, v in result.items()},
                      **{f"{k}_{e}": v[e] for k, v in result.items() for e in ENDINGS})  # fmt: skip
        if "teacher" in result:
            t = result["teacher"]["mean"]
            # the share of the teacher's improvement over the zero action that the student keeps: returns of
            # pendulum are negative, where a plain student/teacher ratio means nothing
            record["gap_closed"] = (s - z) / (t - z) if t != z else float("nan")
            line += f", teacher {t:.2f}, zero action {z:.2f}: student/teacher {s / t:.3f}, gap closed "
            line += f"{record['gap_closed']:.3f}"
        print(line)
        if args.eval_json:
            with open(args.eval_json, "a") as f:
                f.write(json.dumps(record) + "\n")
        sys.exit(0)
    teacher_ckpt = runs.load_checkpoint(args.teacher_checkpoint) if args.teacher_checkpoint else None
    if teacher_ckpt is not None:
        # a distill_warp.py checkpoint holds a teacher on (obs, privileged_obs); a ppo_warp.py one, a policy on obs
        from_ppo = "norm_obs" in teacher_ckpt["args"] and "teacher" not in teacher_ckpt
        if not (teacher_ckpt.get("teacher") or from_ppo) or teacher_ckpt["args"]["env_id"] != args.env_id:
            runs.fail(f"{args.teacher_checkpoint!r} holds no teacher for env {args.env_id!r}")
        args.teacher_obs = "obs" if from_ppo else "privileged"
    args.run_name = (
        args.run_name or f"{args.env_id}__{args.exp_name}__{args.student_algo}__{args.seed}__{int(time.time())}"
    )
    run_dir, ckpt_path = runs.make_run_dir(args, resume_ckpt)

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
    env = make_env(args, device)
    env_step = runs.graph_step(env, device) if use_graph else env.step
    print(f"device {device}; CUDA graph: {'on' if use_graph else 'off (only on CUDA)'}; student: {args.student_algo}")
    T, N, O, A, P = args.num_steps, args.num_envs, env.num_obs, env.num_actions, env.num_privileged_obs
    W = window_width(args, O, A)  # the student's input width
    recurrent = args.student_arch == "gru"

    # the teacher: actor and critic on (obs, privileged_obs) (or a ppo_warp.py policy on obs); the student: actor
    # on the window, critic (PPO baselines only) on (obs, privileged_obs) or on the window (direct PPO)
    saved = runs.saved_args(Args, teacher_ckpt["args"]) if teacher_ckpt else args
    teacher_arch = dict(hidden=saved.hidden, activation=saved.activation, init_log_std=saved.init_log_std)
    if teacher_ckpt is not None and teacher_ckpt["args"].get("privileged_critic"):
        teacher_arch["critic_obs"] = O + P
    if resume_ckpt is not None:
        teacher_arch = resume_ckpt.get("teacher_arch") or teacher_arch
    teacher, teacher_rms, student, student_rms = make_agents(args, teacher_arch, O, A, P, device)
    teacher_optimizer = Adam(teacher.parameters(), lr=args.learning_rate, eps=1e-5) if teacher is not None else None
    if teacher_ckpt is not None and args.teacher_obs == "obs":
        teacher.load_state_dict(teacher_ckpt["agent"])
        if teacher_ckpt["args"].get("norm_obs", True):
            teacher_rms.load_state_dict(teacher_ckpt["obs_rms"])
        else:  # a policy trained on raw observations: the identity normalization (up to the clip, as there)
            teacher_rms.var.fill_(1.0 - 1e-8)
    elif teacher_ckpt is not None:
        teacher.load_state_dict(teacher_ckpt["teacher"])
        teacher_rms.load_state_dict(teacher_ckpt["teacher_obs_rms"])
    if baseline or recurrent:  # the GRU student: its memory and its head
        optimizer = Adam(student.parameters(), lr=args.learning_rate if baseline else args.student_learning_rate,
                         eps=1e-5)  # fmt: skip
    else:  # a distilled student is its actor's mean: the critic and the log std are not trained
        optimizer = Adam(student.actor_mean.parameters(), lr=args.student_learning_rate, eps=1e-5)
    mb_stats = torch.zeros(args.update_epochs * args.num_minibatches, len(runs.MB_STATS), device=device)
    use_graph_update = args.cuda_graph_update and device.type == "cuda"
    teacher_step = graphed_step(lambda *mb: update_minibatch(teacher, teacher_optimizer, args, *mb),
                                teacher_optimizer, use_graph_update and args.teacher_iterations > 0)  # fmt: skip
    if baseline:
        student_step = graphed_step(lambda *mb: update_minibatch(student, optimizer, args, *mb), optimizer,
                                    use_graph_update)  # fmt: skip
    else:  # old_std, which the distillation loss does not read, only fills the step's signature
        student_step = graphed_step(lambda b, inds, old_std, row: distill_minibatch(student, optimizer, args, b, inds,
                                    row), optimizer, use_graph_update and not recurrent)  # fmt: skip

    # ALGO Logic: storage setup, preallocated on the device; x is a batch row (teacher: (obs, privileged_obs);
    # student: (window, obs, privileged_obs)); labels are the teacher's actions
    X = max(O + P, W + O + P)
    storage = {k: torch.zeros((T, N, *shape), device=device) for k, shape in dict(
        x=(X,), actions=(A,), mus=(A,), labels=(A,), logprobs=(), rewards=(), values=(), ep_returns=(), ep_lengths=(),
        terminateds=(), truncateds=()).items()}  # fmt: skip
    if recurrent:  # where a step begins an episode: the GRU's hidden state is zeroed there
        storage["firsts"] = torch.zeros((T, N), dtype=torch.bool, device=device)

    # TRY NOT TO MODIFY: start the game
    global_step, start_iteration = 0, 1
    recent_returns = collections.deque(maxlen=20)
    obs = env.reset(seed=args.seed)
    # what the rollout carries from step to step: the step's observations, the student's window, the last action
    loop = dict(
        obs=obs.clone(),
        privileged=env.info["privileged_obs"].clone(),
        window=torch.zeros(N, W, device=device),
        action=torch.zeros(N, A, device=device),
        done=torch.ones(N, dtype=torch.bool, device=device),
    )
    if recurrent:  # the GRU's hidden state per env, carried from rollout to rollout (and in the checkpoint)
        loop["hidden"] = torch.zeros(N, args.gru_hidden, device=device)
    if resume_ckpt is not None:
        try:
            student.load_state_dict(resume_ckpt["agent"])
            optimizer.load_state_dict(resume_ckpt["optimizer"])
            student_rms.load_state_dict(resume_ckpt["obs_rms"])
            if teacher is not None:
                teacher.load_state_dict(resume_ckpt["teacher"])
                teacher_rms.load_state_dict(resume_ckpt["teacher_obs_rms"])
                teacher_optimizer.load_state_dict(resume_ckpt["teacher_optimizer"])
        except (RuntimeError, ValueError, KeyError) as e:
            runs.fail(f"checkpoint {args.resume!r} does not fit this script: {str(e).splitlines()[0]}")
        recent_returns.extend(resume_ckpt["recent_returns"])
        torch.set_rng_state(resume_ckpt["torch_rng"])
        if device.type == "cuda":
            torch.cuda.set_rng_state(resume_ckpt["cuda_rng"], device)
        env.load_state_dict(resume_ckpt["env_state"])
        loop = {k: v.to(device) for k, v in resume_ckpt["loop"].items()}
        global_step, start_iteration = resume_ckpt["global_step"], resume_ckpt["iteration"] + 1
    writer, progress = runs.open_logs(run_dir, args, device, {"warp": wp.__version__}, resume_ckpt, start_iteration)
    stop_signal = runs.stop_signals()  # SIGINT/SIGTERM: finish the iteration, save it and exit
    start_time = last_save = time.time()
    for iteration in range(start_iteration, args.num_iterations + 1):
        iteration_start = time.time()
        teacher_phase = iteration <= args.teacher_iterations
        ppo = teacher_phase or baseline
        agent, opt, rms = (
            (teacher, teacher_optimizer, teacher_rms) if teacher_phase else (student, optimizer, student_rms)
        )
        phase_iteration = iteration - (0 if teacher_phase else args.teacher_iterations)
        phase_iterations = args.teacher_iterations if teacher_phase else args.num_iterations - args.teacher_iterations
        if ppo and args.lr_schedule == "anneal":
            opt.lr.fill_((1.0 - (phase_iteration - 1.0) / phase_iterations) * args.learning_rate)
        # DAgger's mixing probability; bc: the teacher always acts, rslrl: the student always does
        beta = dict(bc=1.0, rslrl=0.0).get(args.student_algo, max(0.0, 1.0 - (phase_iteration - 1) / max(
            args.beta_decay * phase_iterations, 1.0)))  # fmt: skip
        x_width = O + P if teacher_phase else W + O + P
        xs = storage["x"][..., :x_width]
        norm = rms.frozen()
        teacher_norm = teacher_rms.frozen() if teacher is not None else None
        if recurrent:  # truncated BPTT starts from here
            hidden0 = loop["hidden"].clone()

        # rollout: no host sync
        for step in range(T):
            loop["window"] = push_window(loop["window"], loop["obs"], loop["action"], loop["done"])
            x = torch.cat([loop["obs"], loop["privileged"]], 1)
            if not teacher_phase:
                x = student_inputs(loop["window"], loop["obs"], loop["privileged"])
            xs[step] = x
            with torch.no_grad():
                if ppo:
                    action, logprob, _, value, mu = agent.get_action_and_value(normalize(x, *norm))
                    storage["logprobs"][step], storage["values"][step], storage["mus"][step] = logprob, value, mu
                else:
                    # the env clips actions to [-1, 1]: the teacher's label is the action it would apply
                    label = teacher.act(normalize(x[:, W : W + teacher.num_actor_obs], *teacher_norm)).clamp(-1, 1)
                    if recurrent:
                        storage["firsts"][step] = loop["done"]
                        own, loop["hidden"] = student.step(normalize(x, *norm), loop["hidden"], loop["done"])
                        own = own.clamp(-1.0, 1.0)
                    else:
                        own = student.act(normalize(x, *norm)).clamp(-1.0, 1.0)
                    use_teacher = torch.rand(N, 1, device=device) < beta
                    action = torch.where(use_teacher, label, own)
                    storage["labels"][step] = label
            storage["actions"][step] = action
            obs, reward, terminated, truncated, info = env_step(action)
            loop["obs"].copy_(obs)
            loop["privileged"].copy_(info["privileged_obs"])
            loop["action"] = action.clamp(-1.0, 1.0)  # what the robot commanded, as it knows it
            loop["done"] = terminated | truncated
            storage["rewards"][step] = reward
            storage["terminateds"][step] = terminated
            storage["truncateds"][step] = truncated
            storage["ep_returns"][step] = info["episode_return"]
            storage["ep_lengths"][step] = info["episode_length"]
        global_step += T * N
        runs.check_finite_rollout(xs, xs[:0], xs[-1], iteration, ckpt_path)
        collect_time = time.time() - iteration_start

        update_start = time.time()
        terminateds, truncateds = storage["terminateds"].bool(), storage["truncateds"].bool()
        if ppo:
            with torch.no_grad():
                # a time-limit truncation is bootstrapped with the value of the step's own input (rsl_rl's rule:
                # the privileged observation of the episode's final state is not kept)
                x_next = torch.cat([loop["obs"], loop["privileged"]], 1)
                if not teacher_phase:
                    x_next = student_inputs(push_window(loop["window"], loop["obs"], loop["action"], loop["done"]),
                                            loop["obs"], loop["privileged"])  # fmt: skip
                next_value = agent.get_value(normalize(x_next, *norm))
                advantages, returns = compute_gae(
                    storage["rewards"] * args.reward_scale, storage["values"], terminateds, truncateds,
                    storage["values"], next_value, args.gamma, args.gae_lambda,
                )  # fmt: skip
        rms.update(xs)
        b = dict(obs=normalize(xs, *norm), actions=storage["actions"], labels=storage["labels"], mus=storage["mus"],
                 logprobs=storage["logprobs"], values=storage["values"])  # fmt: skip
        if ppo:
            b.update(advantages=advantages, returns=returns)
        b = {k: v.reshape(args.batch_size, *v.shape[2:]) for k, v in b.items()}
        old_std = agent.actor_logstd.detach().exp() if not recurrent or ppo else None
        if recurrent and not ppo:  # the rollout as sequences [T, N, ...]; minibatches of whole envs (rsl_rl)
            seq = dict(obs=b["obs"].reshape(T, N, -1), labels=b["labels"].reshape(T, N, -1), firsts=storage["firsts"],
                       hidden0=hidden0)  # fmt: skip
            mb_envs_size = N // args.num_minibatches

        # PPO (ppo_warp.py's minibatch step) or the distillation loss, with no host sync: the KL rule, the
        # finiteness check and the logged statistics stay on the device until the iteration's one read below
        for epoch in range(args.update_epochs):
            if recurrent and not ppo:
                env_perm = torch.randperm(N, device=device)
                for i in range(args.num_minibatches):
                    opt.count_step()
                    mb_envs = env_perm[i * mb_envs_size : (i + 1) * mb_envs_size]
                    distill_sequence_minibatch(student, optimizer, args, seq, mb_envs,
                                               mb_stats[epoch * args.num_minibatches + i])  # fmt: skip
                continue
            b_inds = torch.randperm(args.batch_size, device=device)
            for start in range(0, args.batch_size, args.minibatch_size):
                mb_inds = b_inds[start : start + args.minibatch_size]
                row = mb_stats[epoch * args.num_minibatches + start // args.minibatch_size]
                opt.count_step()
                (teacher_step if teacher_phase else student_step)(b, mb_inds, old_std, row)

        # the iteration's one host read after the rollout's check: minibatch statistics, episodes, lr
        read = runs.read_iteration(terminateds | truncateds, storage["ep_returns"], storage["ep_lengths"],
                                   b.get("returns", b["values"]), b["values"], recent_returns.maxlen, mb=mb_stats,
                                   lr=opt.lr)  # fmt: skip
        runs.check_finite_update(read.mb, iteration, args.num_minibatches, ckpt_path)
        update_time = time.time() - update_start

        # logging
        recent_returns.extend(read.last_returns)
        mean_recent = float(np.mean(recent_returns)) if recent_returns else float("nan")
        mean_finished = read.return_sum / read.count if read.count else float("nan")
        sps = int(T * N / (time.time() - iteration_start))
        last = dict(zip(runs.MB_STATS, read.mb[-1], strict=True))  # the last minibatch's losses, as CleanRL logs
        if ppo:
            losses = dict(policy_loss=last["pg_loss"], value_loss=last["v_loss"], entropy=last["entropy"],
                          approx_kl=float(read.mb[:, 0].mean()), clipfrac=float(read.mb[:, 3].mean()),
                          explained_variance=read.explained_var)  # fmt: skip
        else:
            losses = dict(distill_loss=last["loss"])
        phase = "teacher" if teacher_phase else "student"
        scalars = {f"{phase}/episodic_return_last20": mean_recent, "charts/SPS": sps, "charts/beta": beta,
                   "charts/learning_rate": float(read.lr), "perf/collect_time": collect_time,
                   "perf/learn_time": update_time, **{f"losses/{phase}_{k}": v for k, v in losses.items()}}  # fmt: skip
        if read.count:
            scalars[f"{phase}/episodic_return"] = mean_finished
            if not teacher_phase:
                scalars["charts/episodic_return"] = mean_finished
        for name, value in scalars.items():
            writer.add_scalar(name, value, global_step)
        runs.write_progress(progress, iteration, global_step, mean_recent, mean_finished, read.count, sps,
                            collect_time, 0.0, 0.0, update_time)  # fmt: skip
        elapsed = time.time() - start_time
        if not args.quiet:
            loss_text = " ".join(f"{k} {v:.4f}" for k, v in losses.items() if k in ("distill_loss", "approx_kl"))
            print(
                f"iter {iteration}/{args.num_iterations} {phase} step {global_step} SPS {sps} return(last 20) "
                f"{mean_recent:.1f} beta {beta:.2f} {loss_text} | {elapsed:.1f} s elapsed, "
                f"{runs.eta(elapsed, iteration - start_iteration + 1, args.num_iterations - iteration)}"
            )
        if iteration == args.teacher_iterations:
            recent_returns.clear()  # the student's returns from here on
        periodic = args.save_every and iteration % args.save_every == 0 or iteration == args.num_iterations
        if stop_signal or periodic or time.time() - last_save >= 60 * args.save_minutes > 0:
            save(ckpt_path, args, iteration, global_step, student, optimizer, student_rms, teacher, teacher_optimizer,
                 teacher_rms, teacher_arch, recent_returns, env, loop, device)  # fmt: skip
            last_save = time.time()
        runs.exit_on_signal(stop_signal, iteration, ckpt_path)

    progress.close()
    writer.close()
    print(f"done: {global_step} steps in {time.time() - start_time:.1f} s; checkpoint {ckpt_path}")
