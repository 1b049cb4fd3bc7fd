"""Evaluation of a trained policy for the cleanppo/ PPO scripts: mean return over episodes (--eval) and one
recorded episode, video and per-step trace (--capture-video, through envs/video.py)."""

import os

import torch

from cleanppo_utils.runs import init_warp


def evaluate(path: str, env_id: str, env, policy, seed: int) -> None:
    """Run `policy` deterministically for one episode in each of env's envs (until the time limit); print the mean
    return and, for Warp envs, the mean of each reward term per step of the unfinished episodes."""
    obs = env.reset(seed=seed)
    returns = torch.zeros(env.num_envs, device=obs.device)
    finished = torch.zeros(env.num_envs, dtype=torch.bool, device=obs.device)
    names = getattr(env, "reward_term_names", None)
    term_sums, steps = torch.zeros(len(names or []), device=obs.device), 0
    with torch.no_grad():
        for _ in range(env.max_episode_steps):  # every episode ends by its time limit
            obs, _, terminated, truncated, info = env.step(policy(obs))
            if names:
                term_sums += info["reward_terms"][~finished].sum(0)
                steps += int((~finished).sum())
            done = (terminated | truncated) & ~finished
            returns = torch.where(done, info["episode_return"], returns)
            finished |= done
    returns = returns.cpu().numpy()
    line = f"eval {path}: env {env_id}, {len(returns)} episodes, deterministic policy: "
    line += f"return {returns.mean():.2f} +- {returns.std():.2f}"
    if names:
        terms = ", ".join(f"{n} {v:.3f}" for n, v in zip(names, (term_sums / steps).tolist(), strict=True))
        line += f"; mean reward terms per step: {terms}"
    print(line)


def capture_video(env_id: str, policy, run_dir: str, global_step: int, device: torch.device, seed: int, writer=None,
                  env_kwargs: dict | None = None):  # fmt: skip
    """Record one episode of `policy` in the Warp env `env_id` built with `env_kwargs` (envs.video.record_episode,
    an env of its own) to <run_dir>/videos/eval_<global_step>.mp4 with its per-step trace .csv beside it, log it to
    TensorBoard as videos/eval (through `writer`, or a new writer in run_dir), print and return the video's path."""
    import envs
    from envs.video import log_video, record_episode

    init_warp(device)
    stem = os.path.join(run_dir, "videos", f"eval_{global_step}")
    os.makedirs(os.path.dirname(stem), exist_ok=True)
    env = envs.make(env_id, num_envs=1, device=str(device), seed=seed, **(env_kwargs or {}))
    episode = record_episode(env, policy, stem + ".mp4", trace_path=stem + ".csv", seed=seed)
    if writer is None:
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(run_dir)
    log_video(writer, "videos/eval", episode.frames, global_step, episode.fps)
    writer.flush()
    print(f"video {stem}.mp4: {episode.length} steps, return {episode.episode_return:.2f} (trace {stem}.csv)")
    return stem + ".mp4"
