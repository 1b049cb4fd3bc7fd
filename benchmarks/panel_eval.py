"""The panel's evaluation (cleanppo/panel.py): episodes of a trained policy in the Warp env or in Gymnasium's env
of the task, nominal or perturbed, as per-episode records and per-step traces; frames of a state trace.

`args` is cleanppo/panel.py's Args (env_id, eval_episodes, eval_seed, perturbation, strength, param); `task` is
its CONTRACTS entry for the env (success_return or success_velocity [m/s]; safety_slice of the state, bound).
"""

import functools

import numpy as np
import torch

import envs
from benchmarks import sim2sim
from envs.video import MujocoScene, draw_cartpole, draw_pendulum


@functools.cache
def control_dt(env_id: str) -> float:
    """The env's control step [s]."""
    return envs.make(env_id, num_envs=1, device="cpu").dt


def _finish(args, task: dict, states, obs, actions, rewards, terminated: bool, truncated: bool, end: str) -> dict:
    """One episode's arrays -> its record (return, success, violations, end) and its trace arrays."""
    lo, hi = task["safety_slice"]
    violation = (np.abs(states[:, lo:hi]) > task["bound"]).any(axis=1)
    ret = float(rewards.sum())
    if "success_return" in task:
        success = ret >= task["success_return"]
    else:
        dt = control_dt(args.env_id)
        velocity = (states[-1, 0] - states[0, 0]) / max((len(states) - 1) * dt, dt)
        success = (not terminated) and truncated and velocity >= task["success_velocity"]
    ep = {"return": ret, "length": len(rewards), "end": end, "success": bool(success)}
    ep.update(violations=int(violation.sum()), terminated=terminated, truncated=truncated)
    return {"ep": ep, "trace": (states, obs, actions, rewards, violation)}


def eval_warp(args, task: dict, policy, kwargs: dict) -> list[dict]:
    """Run args.eval_episodes episodes of the Warp env (one env each, seeded starts) with `kwargs` applied."""
    n = args.eval_episodes
    env = envs.make(args.env_id, num_envs=n, device="cpu", seed=args.eval_seed, **kwargs)
    obs = env.reset(seed=args.eval_seed)
    rows = {k: [] for k in ("states", "obs", "actions", "rewards")}
    ends = [None] * n
    for t in range(env.max_episode_steps):
        rows["states"].append(env.get_state().numpy().astype(np.float64))
        rows["obs"].append(obs.numpy().copy())
        action = policy(obs).clamp(-1.0, 1.0)
        rows["actions"].append(action.numpy().copy())
        obs, reward, terminated, truncated, info = env.step(action)
        rows["rewards"].append(reward.numpy().astype(np.float64))
        final_obs = info["final_obs"].numpy()
        for i in np.flatnonzero((terminated | truncated).numpy()):
            if ends[i] is None:
                te, tr = bool(terminated[i]), bool(truncated[i])
                ends[i] = (t + 1, te, tr, sim2sim.end_cause(args.env_id, final_obs[i], te, tr))
        if all(e is not None for e in ends):
            break
    arr = {k: np.stack(v) for k, v in rows.items()}
    out = []
    for i, end in enumerate(ends):
        length, te, tr, cause = end if end is not None else (len(arr["rewards"]), False, False, "running")
        out.append(
            _finish(args, task, *(arr[k][:length, i] for k in ("states", "obs", "actions", "rewards")), te, tr, cause)
        )
    return out


def eval_gymnasium(args, task: dict, policy, perturbed: bool) -> list[dict]:
    """The same episodes in Gymnasium's env of the task, each from the Warp env's start state, perturbed or not."""
    env_id, n = args.env_id, args.eval_episodes
    max_steps = envs.env_class(env_id).default_max_episode_steps
    warp_env = envs.make(env_id, num_envs=n, device="cpu", seed=args.eval_seed)
    warp_env.reset(seed=args.eval_seed)
    starts = warp_env.get_state().numpy().copy()
    gym_env = sim2sim.make_gym(env_id, max_steps)
    u, kind, s = gym_env.unwrapped, args.perturbation if perturbed else None, args.strength
    if kind in ("friction", "param_shift") and env_id not in sim2sim.MUJOCO_TASKS:
        raise SystemExit(f"panel: --sim gymnasium applies {kind} to the MuJoCo tasks only, not {env_id!r}")
    if kind == "friction":
        u.model.geom_friction[:, 0] *= s
    if kind == "param_shift":
        if args.param != "mass":
            raise SystemExit("panel: --sim gymnasium shifts param 'mass' only")
        u.model.body_mass[:] *= s
        u.model.body_inertia[:] *= s
    rng = np.random.default_rng(args.eval_seed)
    out = []
    for i in range(n):
        gym_env.reset(seed=args.eval_seed + i)
        o = sim2sim.gym_set_state(env_id, u, starts[i])
        queue = [np.zeros(gym_env.action_space.shape or (1,), np.float32)] * (int(s) if kind == "action_delay" else 0)
        rows = {k: [] for k in ("states", "obs", "actions", "rewards")}
        terminated = truncated = False
        while not (terminated or truncated):
            mujoco = env_id in sim2sim.MUJOCO_TASKS
            state = np.concatenate([u.data.qpos, u.data.qvel]) if mujoco else np.asarray(u.state)
            if kind == "obs_noise":
                o = o + rng.normal(0.0, s, size=o.shape).astype(np.float32)
            a = np.clip(policy(torch.as_tensor(o, dtype=torch.float32)[None])[0].numpy(), -1.0, 1.0)
            rows["states"].append(np.array(state, dtype=np.float64)), rows["obs"].append(o), rows["actions"].append(a)
            queue.append(a)
            o, reward, terminated, truncated, _ = gym_env.step(sim2sim.gym_action(env_id, gym_env, queue.pop(0)))
            o = np.asarray(o, dtype=np.float32)
            rows["rewards"].append(float(reward))
        cause = sim2sim.end_cause(env_id, o, bool(terminated), bool(truncated))
        arr = [np.stack(rows[k]) for k in ("states", "obs", "actions")] + [np.array(rows["rewards"])]
        out.append(_finish(args, task, *arr, bool(terminated), bool(truncated), cause))
    gym_env.close()
    return out


def trace_rows(trace) -> list[dict]:
    """Per-step rows of one episode: step, state_i, obs_i, action_i, reward, violation (0/1); 7 digits."""
    states, obs, actions, rewards, violation = trace
    rows = []
    for t in range(len(rewards)):
        row = {"step": t, **{f"state_{i}": f"{v:.7g}" for i, v in enumerate(states[t])}}
        row.update({f"obs_{i}": f"{v:.7g}" for i, v in enumerate(obs[t])})
        row.update({f"action_{i}": f"{v:.7g}" for i, v in enumerate(actions[t])})
        rows.append({**row, "reward": f"{rewards[t]:.7g}", "violation": int(violation[t])})
    return rows


def render_states(env_id: str, states: np.ndarray) -> np.ndarray:
    """Frames (uint8 [T, H, W, 3]) of a state trace: MuJoCo's renderer for MJCF envs, 2D drawings otherwise."""
    env = envs.make(env_id, num_envs=1, device="cpu")
    if getattr(env, "sim", None) is None:
        draw = draw_cartpole if env_id == "cartpole" else draw_pendulum
        length = env.config["pole_length" if env_id == "cartpole" else "length"]
        return np.stack([draw(s, length) for s in states])
    scene = MujocoScene(env, 480, 360)
    try:
        frames = []
        for s in states:
            scene.pose(s)
            frames.append(scene.render())
        return np.stack(frames)
    finally:
        scene.close()
