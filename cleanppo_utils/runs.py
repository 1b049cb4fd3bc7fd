"""Run plumbing of the cleanppo/ PPO scripts that is not the algorithm (CleanRL keeps the same in cleanrl_utils/):
argument parsing over presets or a checkpoint, argument checks, checkpoints written and read safely, the run folder,
config metadata, progress.csv, per-phase clocks, SIGINT/SIGTERM handling, ETA, the CUDA-graph env step. Every error
is one line on stderr, `<script>.py: error: ...`, before any work is started where it can be."""

import ast
import json
import math
import os
import platform
import signal
import subprocess
import sys
import time
import warnings
from dataclasses import asdict, fields, replace
from types import SimpleNamespace
from typing import NoReturn

import numpy as np
import torch
import tyro

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECKPOINT_KEYS = ("agent", "optimizer", "obs_rms", "args", "iteration", "global_step")
# what --eval needs: the slim policy files in results/ (agent, observation normalizer, arguments) are enough
POLICY_KEYS = ("agent", "obs_rms", "args")
COMPUTED = ("batch_size", "minibatch_size", "num_iterations", "run_name")
# the Args fields a --resume may change: they do not change what is learned
SAFE_ON_RESUME = ("total_timesteps", "save_every", "save_minutes", "quiet", "resume", "eval", "eval_episodes",
                  "capture_video", "env_block_dim")  # fmt: skip
# the columns of the per-minibatch statistics that the update keeps on the device until the iteration's one read
MB_STATS = ("kl", "loss", "grad_norm", "clipfrac", "pg_loss", "v_loss", "entropy")
PROGRESS_COLUMNS = ("iteration,global_step,wall_time,cpu_time,return_last20,return_iteration,episodes,sps,"
                    "collect_time,policy_time,env_step_time,update_time")  # fmt: skip


def fail(message: str) -> NoReturn:
    """Exit with `<script>: error: <message>` on stderr and status 1, as argparse does."""
    sys.exit(f"{os.path.basename(sys.argv[0])}: error: {message}")


def load_checkpoint(path: str, keys: tuple[str, ...] = CHECKPOINT_KEYS) -> dict:
    """The checkpoint at `path` (tensors on the CPU) holding `keys`, or a one-line error naming the file and what is
    wrong with it."""
    if not os.path.isfile(path):
        fail(f"checkpoint {path!r} does not exist")
    try:
        # warnings held back: a damaged file can make torch warn before it fails (random bytes that begin like a
        # pickle header: "Detected pickle protocol ..."), which would break the one-line error
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
        for w in caught:  # a readable checkpoint keeps its warnings
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    except Exception as e:  # torch.load's messages are long and advise unsafe loading: replaced by one line
        with open(path, "rb") as f:
            is_zip = f.read(4) == b"PK\x03\x04"  # torch.save writes a zip archive
        what = (
            "holds Python objects other than tensors" if "Unsupported global" in str(e) else "is damaged (truncated?)"
        )
        fail(f"cannot read checkpoint {path!r}: the file {what if is_zip else 'is not a PyTorch checkpoint'}")
    missing = [k for k in keys if k not in ckpt] if isinstance(ckpt, dict) else list(keys)
    if missing or not isinstance(ckpt["args"], dict):
        script = os.path.basename(sys.argv[0])
        fail(f"{path!r} is not a checkpoint of {script} (missing: {', '.join(missing) or 'args'})")
    return ckpt


def saved_args(args_type, saved: dict):
    """An `args_type` (the script's Args dataclass) holding a checkpoint's saved args; unknown names are dropped."""
    names = {f.name for f in fields(args_type)}
    return args_type(
        **{
            k: tuple(v) if k in ("hidden", "student_hidden", "env_kwargs") and v is not None else v
            for k, v in saved.items()
            if k in names
        }
    )


# envs.make's arguments that the scripts set themselves, from these flags or from their own work split
ENV_ARGS_SET_BY_FLAGS = {"num_envs": "--num-envs", "device": "--device", "seed": "--seed",
                         "block_dim": "--env-block-dim", "validate": "off in training",
                         "env_offset": "the env threads or ranks"}  # fmt: skip


def env_kwargs(pairs) -> dict:
    """The dict of --env-kwargs' KEY=VALUE strings, each VALUE a Python literal (0, 2.5, True, (-1.5, 1.5))."""
    out = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.isidentifier():
            fail(f"--env-kwargs: {pair!r} is not KEY=VALUE")
        if key in ENV_ARGS_SET_BY_FLAGS:
            fail(f"--env-kwargs: {key} is set by the script's own flags ({ENV_ARGS_SET_BY_FLAGS[key]}), not here")
        try:
            out[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            fail(f"--env-kwargs: the value of {key} ({text!r}) is not a Python literal")
    return out


def parse_args(args_type, presets: dict, doc: str):
    """(args, checkpoint or None): the command line over the defaults of --env-id's preset, or of the checkpoint on
    --resume, where only the SAFE_ON_RESUME fields may change; --env-kwargs pairs follow the preset's own."""

    def argv_value(flag: str) -> str | None:  # read before tyro parses: it picks the defaults
        argv = sys.argv[1:]
        values = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == flag]
        return ([a[len(flag) + 1 :] for a in argv if a.startswith(flag + "=")] + values or [None])[-1]

    resume = argv_value("--resume")
    ckpt = load_checkpoint(resume) if resume else None
    if ckpt is not None:
        default = saved_args(args_type, ckpt["args"])
    else:
        env_id = argv_value("--env-id") or args_type.env_id
        default = args_type(**{"env_id": env_id, **presets.get(env_id, {})})
    text = "\n".join(f"  {env_id}: " + ", ".join(f"{k}={v}" for k, v in p.items()) for env_id, p in presets.items())
    description = f"{doc}\nDefaults below are for --env-id {default.env_id}. Presets:\n{text}\n"
    args = tyro.cli(args_type, default=default, description=description)
    preset_kwargs = tuple(presets.get(default.env_id, {}).get("env_kwargs", ()))
    if preset_kwargs and tuple(args.env_kwargs) != tuple(default.env_kwargs):
        # --env-kwargs adds to the preset's pairs (a later pair wins), so that one override keeps the rest of its task;
        # on resume the same command line then names the checkpoint's pairs
        merged = preset_kwargs + tuple(args.env_kwargs)
        if ckpt is None or merged == tuple(default.env_kwargs):
            args = replace(args, env_kwargs=merged)
    if ckpt is not None:
        changed = [f.name for f in fields(args_type) if f.name not in SAFE_ON_RESUME + COMPUTED]
        changed = [n for n in changed if getattr(args, n) != getattr(default, n)]
        if changed:
            fail("; ".join(f"cannot change {n} on resume (checkpoint has {getattr(default, n)})" for n in changed))
    return args, ckpt


def validate(args, env_ids: list[str]) -> torch.device:
    """Stop before any work on arguments that cannot run; return the torch device that --device names."""
    if args.env_id not in env_ids:
        fail(f"unknown env_id {args.env_id!r}; available: {', '.join(env_ids)}")
    for name in ("num_envs", "num_steps", "num_minibatches", "update_epochs", "eval_episodes"):
        if getattr(args, name) < 1:
            fail(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if not args.hidden or min(args.hidden) < 1:
        fail(f"--hidden needs one or more layer sizes >= 1, got {' '.join(map(str, args.hidden)) or 'none'}")
    for f in fields(args):
        if f.type is float and not math.isfinite(getattr(args, f.name)):
            fail(f"--{f.name.replace('_', '-')} must be finite, got {getattr(args, f.name)}")
    if args.batch_size % args.num_minibatches:
        fail(
            f"--num-minibatches {args.num_minibatches} does not divide the batch size {args.batch_size} (envs x steps)"
        )
    if args.num_iterations < 1:  # total_timesteps < 1 included
        fail(f"--total-timesteps {args.total_timesteps} is less than one batch ({args.batch_size} steps)")
    if args.learning_rate <= 0 or args.gamma <= 0 or args.gamma > 1 or not 0 <= args.gae_lambda <= 1:
        fail(f"need learning_rate > 0, 0 < gamma <= 1, 0 <= gae_lambda <= 1; got {args}")
    if not args.min_log_std <= args.init_log_std <= args.max_log_std:
        fail(
            f"need --min-log-std <= --init-log-std <= --max-log-std, got {args.min_log_std}, {args.init_log_std}, "
            f"{args.max_log_std}"
        )
    if args.save_every < 0 or args.save_minutes < 0:
        fail(f"--save-every and --save-minutes must be >= 0, got {args.save_every} and {args.save_minutes}")
    if not 0 <= getattr(args, "env_block_dim", 0) <= 1024:  # the scripts that step Warp envs (envs.make's block_dim)
        fail(f"--env-block-dim must be 0 (one block per SM at least) or 1 to 1024 threads, got {args.env_block_dim}")
    # auto is cuda:0 when torch sees a CUDA device; gpu is cuda
    name = "cuda" + args.device[3:] if args.device.startswith("gpu") else args.device
    name = ("cuda:0" if torch.cuda.is_available() else "cpu") if name == "auto" else name
    if not (name == "cpu" or name == "cuda" or name.startswith("cuda:") and name[5:].isdigit()):
        fail(f"unknown --device {args.device!r}; use auto, cpu, cuda (or gpu) or cuda:<index>")
    if name != "cpu" and (int(name[5:] or 0) >= torch.cuda.device_count() or not torch.cuda.is_available()):
        fail(f"--device {args.device}: no such CUDA device here (torch sees {torch.cuda.device_count()})")
    return torch.device(name)


def init_torch(threads: int) -> None:
    """Torch's intra-op threads on CPU (0: torch's default)."""
    if threads > 0:
        torch.set_num_threads(threads)


def init_warp(device: torch.device) -> None:
    """wp.init() without the banner (an INFO log: Warp 1.19 has no `config.quiet`) and, on CPU, without the "Could not
    find or load the NVIDIA CUDA driver" line that Warp's native library (cuda_util.cpp) writes to fd 2 unasked."""
    import warp as wp

    wp.config.log_level = wp.LOG_WARNING
    saved_stderr, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    sys.stderr.flush()
    os.dup2(devnull if device.type == "cpu" else saved_stderr, 2)
    try:
        wp.init()
    finally:
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
        os.close(devnull)


def make_run_dir(args, resume_ckpt: dict | None) -> tuple[str, str]:
    """(run folder, checkpoint path): <log_dir>/<run_name>/, or the folder of the --resume checkpoint, created."""
    if resume_ckpt is not None and resume_ckpt["iteration"] >= args.num_iterations:
        fail(
            f"{args.resume} has finished its {resume_ckpt['iteration']} iterations ({resume_ckpt['global_step']} "
            f"steps); pass a --total-timesteps larger than {args.total_timesteps} to continue it"
        )
    run_dir = os.path.join(args.log_dir, args.run_name) if resume_ckpt is None else os.path.dirname(args.resume)
    try:
        os.makedirs(run_dir or ".", exist_ok=True)
    except OSError as e:
        fail(f"cannot create the run folder {run_dir!r} (--log-dir {args.log_dir}): {e.strerror}")
    return run_dir, os.path.join(run_dir, "checkpoint.pt")


def last_good(ckpt_path: str) -> str:
    """What an error message says about the checkpoint a user can go back to."""
    return f"the last good checkpoint is {ckpt_path}" if os.path.exists(ckpt_path) else "no checkpoint written yet"


def run_metadata(args, device: torch.device, versions: dict) -> dict:
    """The run's config.json: args, command, git commit and state, device, machine load and library versions."""

    def git(*cmd):
        try:
            return subprocess.run(["git", *cmd], capture_output=True, text=True, timeout=5, cwd=ROOT).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
    versions = {"python": platform.python_version(), "torch": torch.__version__, **versions}
    return dict(args=asdict(args), command=" ".join(sys.argv), git_commit=git("rev-parse", "HEAD"),
                git_dirty=bool(git("status", "--porcelain", "--untracked-files=no")), device=str(device),
                device_name=name, cpu_count=os.cpu_count(), loadavg_at_start=os.getloadavg(), versions=versions,
                start_time=time.time())  # fmt: skip


def save_checkpoint(path: str, args, iteration: int, global_step: int, agent, optimizer, obs_rms, recent_returns,
                    env, next_obs: torch.Tensor, device: torch.device, **modules) -> None:  # fmt: skip
    """Write everything a resumed run needs to continue bit for bit; a kill leaves the previous file or the new one.
    `modules`: further state (e.g. privileged_rms=...), each saved by name as its state_dict (None: left out)."""
    extra = {name: m.state_dict() for name, m in modules.items() if m is not None}
    state = dict(**extra, agent=agent.state_dict(), optimizer=optimizer.state_dict(), obs_rms=obs_rms.state_dict(),
                 args=asdict(args), iteration=iteration, global_step=global_step, recent_returns=list(recent_returns),
                 torch_rng=torch.get_rng_state(),
                 cuda_rng=torch.cuda.get_rng_state(device) if device.type == "cuda" else torch.zeros(0),
                 env_state=env.state_dict(), next_obs=next_obs)  # fmt: skip
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)


def restore_checkpoint(ckpt: dict, path: str, agent, optimizer, obs_rms, recent_returns, env, next_obs: torch.Tensor,
                       device: torch.device) -> tuple[int, int]:  # fmt: skip
    """Load what save_checkpoint wrote into the run's objects; return (global_step, first iteration to run)."""
    try:
        agent.load_state_dict(ckpt["agent"])
        optimizer.load_state_dict(ckpt["optimizer"])
        obs_rms.load_state_dict(ckpt["obs_rms"])
    except (RuntimeError, ValueError, KeyError) as e:
        fail(f"checkpoint {path!r} does not fit this script: {str(e).splitlines()[0]}")
    recent_returns.extend(ckpt["recent_returns"])
    torch.set_rng_state(ckpt["torch_rng"])
    if device.type == "cuda":
        torch.cuda.set_rng_state(ckpt["cuda_rng"], device)
    if ckpt["env_state"]:  # every device array of the env: physics, episode counters, RNG streams
        env.load_state_dict(ckpt["env_state"])
        next_obs.copy_(ckpt["next_obs"])
    return ckpt["global_step"], ckpt["iteration"] + 1


def check_finite_rollout(obs, final_obs, next_obs, iteration: int, ckpt_path: str) -> None:
    """Stop with the first [step, env, index] of a non-finite observation in the rollout ([T, N, O] each)."""
    all_obs = torch.cat([obs, final_obs, next_obs[None]])
    if not bool(torch.isfinite(all_obs).all()):
        T = obs.shape[0]
        fail(
            f"non-finite observation in the rollout of iteration {iteration} ([step, env, index] = "
            f"{torch.nonzero(~torch.isfinite(all_obs))[0].tolist()}; steps {T}..{2 * T - 1}: final observations, "
            f"{2 * T}: the last one); {last_good(ckpt_path)}"
        )


def check_finite_update(mb_stats, iteration: int, num_minibatches: int, ckpt_path: str) -> None:
    """Stop at the first minibatch of the iteration's update (rows of MB_STATS, epoch-major) whose loss or gradient
    norm is not finite, saying where it was and which checkpoint to go back to."""
    for k, row in enumerate(mb_stats):
        where = f"at iteration {iteration} (epoch {k // num_minibatches + 1}, minibatch {k % num_minibatches + 1})"
        check_finite_loss(float(row[1]), float(row[2]), where, ckpt_path)


def check_finite_loss(loss: float, grad_norm: float, where: str, ckpt_path: str) -> None:
    """Stop with one line when a loss or gradient norm read on the host is not finite, saying `where`."""
    if not math.isfinite(loss):
        fail(f"non-finite loss {loss} {where}; {last_good(ckpt_path)}")
    if not math.isfinite(grad_norm):
        fail(f"non-finite gradient (norm {grad_norm}) {where}; {last_good(ckpt_path)}")


def read_iteration(done, ep_returns, ep_lengths, returns, values, keep: int, **tensors):
    """The iteration's one host read, a single device-to-host copy: of the finished episodes (`done` [T, N]) their
    count, return_sum and length_sum and the returns of the last `keep` of them (step, then env order), the explained
    variance of `values` for `returns`, and each of `tensors` as a float64 numpy array of its shape."""
    flat_done = done.flatten()
    position = torch.where(flat_done, torch.arange(flat_done.numel(), device=done.device), -1)
    last = position.topk(min(keep, position.numel())).indices.flip(0)  # a boolean mask's index would be a sync
    y, d = returns.double().flatten(), (returns - values).double().flatten()
    var_y, var_d = y.var(unbiased=False), d.var(unbiased=False)
    sums = torch.stack([flat_done.sum().double(), torch.where(done, ep_returns, 0.0).double().sum(),
                        torch.where(done, ep_lengths, 0.0).double().sum(), var_y, var_d])  # fmt: skip
    parts = [sums, flat_done[last].double(), ep_returns.flatten()[last].double()]
    parts += [t.detach().double().flatten() for t in tensors.values()]
    host = torch.cat(parts).cpu().numpy()
    count, return_sum, length_sum, var_y, var_d = host[:5]
    valid, rets, offset = host[5 : 5 + len(last)], host[5 + len(last) : 5 + 2 * len(last)], 5 + 2 * len(last)
    out = dict(count=int(count), return_sum=float(return_sum), length_sum=float(length_sum))
    out.update(last_returns=rets[valid > 0].tolist(), explained_var=np.nan if var_y == 0 else 1.0 - var_d / var_y)
    for name, t in tensors.items():
        out[name], offset = host[offset : offset + t.numel()].reshape(t.shape), offset + t.numel()
    return SimpleNamespace(**out)


def phase_clocks(device: torch.device, num_steps: int):
    """(mark, phase_time): mark(step, k) stamps point k in 0..2 of a rollout step, phase_time(k) sums the seconds
    from point k to k + 1 over the rollout. CUDA events on CUDA (no host sync until read), the host clock on CPU."""
    if device.type == "cuda":
        marks = [[torch.cuda.Event(enable_timing=True) for _ in range(3)] for _ in range(num_steps)]

        def mark(step: int, k: int) -> None:
            marks[step][k].record()

        def phase_time(k: int) -> float:
            marks[-1][2].synchronize()
            return sum(m[k].elapsed_time(m[k + 1]) for m in marks) / 1e3

        return mark, phase_time
    marks = [[0.0] * 3 for _ in range(num_steps)]

    def mark(step: int, k: int) -> None:
        marks[step][k] = time.perf_counter()

    return mark, lambda k: sum(m[k + 1] - m[k] for m in marks)


def open_logs(run_dir: str, args, device: torch.device, versions: dict, resume_ckpt: dict | None, start_iteration: int):
    """(TensorBoard writer, progress.csv open for appending): writes config.json (config_resume.json on resume) and
    the hyperparameter table; on resume, TensorBoard events and progress rows that the interrupted run wrote after its
    checkpoint are dropped."""
    from torch.utils.tensorboard import SummaryWriter  # imported here: it costs 0.3 s, after the argument checks

    with open(os.path.join(run_dir, "config.json" if resume_ckpt is None else "config_resume.json"), "w") as f:
        json.dump(run_metadata(args, device, versions), f, indent=2)
    writer = SummaryWriter(run_dir, purge_step=resume_ckpt["global_step"] if resume_ckpt else None)
    table = "\n".join(f"|{key}|{value}|" for key, value in asdict(args).items())
    writer.add_text("hyperparameters", f"|param|value|\n|-|-|\n{table}")
    path = os.path.join(run_dir, "progress.csv")
    old_rows = open(path).readlines()[1:] if resume_ckpt is not None else []
    with open(path, "w") as f:
        f.write(PROGRESS_COLUMNS + "\n")
        f.writelines([row for row in old_rows if int(row.split(",")[0]) < start_iteration])
    return writer, open(path, "a")


def write_progress(progress, iteration: int, global_step: int, return_last20: float, return_iteration: float,
                   episodes: int, sps: int, *times: float) -> None:  # fmt: skip
    """Append one row of PROGRESS_COLUMNS (times: collect, policy, env step and update seconds) and flush it."""
    row = (f"{iteration},{global_step},{time.time():.3f},{time.process_time():.3f},{return_last20:.3f},"
           f"{return_iteration:.3f},{episodes},{sps}," + ",".join(f"{t:.6f}" for t in times))  # fmt: skip
    progress.write(row + "\n")
    progress.flush()


def stop_signals() -> list:
    """A list that SIGINT or SIGTERM appends its number to, so the loop can save and exit after the iteration; a
    second signal of the same kind stops at once (the default handler is put back)."""
    received = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda signum, _: [received.append(signum), signal.signal(signum, signal.SIG_DFL)])
    return received


def exit_on_signal(received: list, iteration: int, ckpt_path: str) -> None:
    """After the checkpoint of `iteration` is saved: exit with 128 + signal number if a stop signal came."""
    if received:
        name = signal.Signals(received[0]).name
        print(f"stopped by {name} after iteration {iteration}: checkpoint {ckpt_path} (continue: --resume it)")
        sys.exit(128 + received[0])


def eta(elapsed: float, iterations_done: int, iterations_left: int) -> str:
    """Remaining time at the mean iteration time so far, as `ETA 3m07s`."""
    seconds = round(elapsed / iterations_done * iterations_left)
    return f"ETA {seconds // 60}m{seconds % 60:02d}s"


def share_cuda_stream(device: torch.device) -> None:
    """On CUDA, put torch and Warp on one new stream, so env steps and the policy's kernels run in order without a
    host sync; call it before the env is made. Nothing on CPU."""
    import warp as wp

    if device.type == "cuda":
        torch.cuda.set_stream(torch.cuda.Stream(device))
        wp.set_stream(wp.stream_from_torch(torch.cuda.current_stream(device)), device=str(device))


def graph_step(env, device: torch.device):
    """A function that does env.step(action) by replaying the step captured once as a CUDA graph on the current
    stream (share_cuda_stream), without Python launch overhead."""
    import warp as wp

    with wp.ScopedCapture(device=str(device)) as capture:
        graph_out = env.step(env.actions)  # captured, not run: the graph reads the actions from env.actions

    def env_step(action):
        env.actions.copy_(action)
        wp.capture_launch(capture.graph)
        return graph_out

    return env_step


class GraphedUpdate:
    """update(b, mb_inds, old_std, stats_out), one minibatch step with no host sync, replayed as a CUDA graph (as
    LeanRL does for CleanRL): the batch and the old std (when `b` is a new dict, once per iteration) and the
    minibatch's indices are copied into fixed tensors that the graph reads. Captured at the first call after 3 warm-up
    calls; then one eager call and one replay from the same state are compared, and on a mismatch (or a capture error)
    it says so and stays eager. `state`: every tensor the update changes, restored after the warm-up and the check."""

    def __init__(self, update, state: list[torch.Tensor]):
        self.update, self.state, self.graph, self.b_src = update, state, None, None

    def _restore(self, saved: list[torch.Tensor]) -> None:
        with torch.no_grad():
            for t, s in zip(self.state, saved, strict=True):
                t.copy_(s)

    def _capture(self, b: dict, mb_inds: torch.Tensor, old_std: torch.Tensor, stats_out: torch.Tensor) -> None:
        self.b = {k: v.clone() for k, v in b.items()}
        self.inds, self.old_std, self.row = mb_inds.clone(), old_std.clone(), stats_out.clone()
        saved = [t.detach().clone() for t in self.state]
        args = (self.b, self.inds, self.old_std, self.row)
        try:
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):  # warm-up (autograd, cuBLAS workspaces) off the capture, as torch's docs do
                for _ in range(3):
                    self.update(*args)
            torch.cuda.current_stream().wait_stream(side)
            self._restore(saved)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                self.update(*args)
            self.update(*args)
            eager = [t.detach().clone() for t in self.state]
            self._restore(saved)
            graph.replay()
            diff = max(float((a - t.detach()).abs().max()) for a, t in zip(eager, self.state, strict=True))
            self._restore(saved)
        except RuntimeError as e:  # a capture that CUDA refuses: the eager update still works
            self._restore(saved)
            print(f"CUDA-graph update: capture failed ({str(e).splitlines()[0]}); the update stays eager")
            self.graph = False
            return
        ok = diff <= 1e-6 * max(1.0, max(float(t.abs().max()) for t in saved))
        print(f"CUDA-graph update: replay vs eager, max difference {diff:.3g}: {'on' if ok else 'off, eager'}")
        self.graph = graph if ok else False

    def __call__(self, b: dict, mb_inds: torch.Tensor, old_std: torch.Tensor, stats_out: torch.Tensor) -> None:
        if self.graph is None:
            self._capture(b, mb_inds, old_std, stats_out)
        if self.graph is False:
            return self.update(b, mb_inds, old_std, stats_out)
        if b is not self.b_src:
            for k, v in b.items():
                self.b[k].copy_(v)
            self.old_std.copy_(old_std)
            self.b_src = b
        self.inds.copy_(mb_inds)
        self.graph.replay()
        stats_out.copy_(self.row)
