"""torch.distributed plumbing of cleanppo/ppo_warp_ddp.py that is not the algorithm: process-group set-up from
torchrun's environment (NCCL on CUDA, gloo on CPU, collective timeouts), one-line errors when a peer rank is lost, the
averaging collectives, and the env checkpoint gathered from every rank and split again for any world size."""

import datetime
import functools
import os
import sys

import torch
import torch.distributed as dist

from cleanppo_utils.runs import fail

TORCHRUN_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


def init(device_name: str, timeout_s: float) -> tuple[int, int, int, torch.device]:
    """(rank, world_size, local_rank, device): join the process group torchrun describes in the environment. The
    device is cuda:<local_rank> for --device auto/cuda when CUDA is present (NCCL), else the CPU (gloo)."""
    missing = [v for v in TORCHRUN_VARS if v not in os.environ]
    if missing:
        fail(
            f"not launched by torchrun (missing {', '.join(missing)}); run e.g. "
            "`torchrun --standalone --nproc_per_node 2 cleanppo/ppo_warp_ddp.py --env-id cartpole`"
        )
    rank, world_size, local_rank = (int(os.environ[v]) for v in ("RANK", "WORLD_SIZE", "LOCAL_RANK"))
    name = "cuda" + device_name[3:] if device_name.startswith("gpu") else device_name
    use_cuda = name in ("auto", "cuda") and torch.cuda.is_available() or name.startswith("cuda:")
    if use_cuda and local_rank >= torch.cuda.device_count():
        fail(f"rank {rank}: local rank {local_rank} has no CUDA device (torch sees {torch.cuda.device_count()})")
    device = torch.device(f"cuda:{local_rank}") if use_cuda else torch.device("cpu")
    if use_cuda:
        torch.cuda.set_device(device)
        # a collective that passes its timeout raises instead of hanging (torch's default for NCCL since 2.2)
        os.environ.setdefault("TORCH_NCCL_ASYNC_ERROR_HANDLING", "3")
    timeout = datetime.timedelta(seconds=timeout_s)
    try:
        dist.init_process_group("nccl" if use_cuda else "gloo", rank=rank, world_size=world_size, timeout=timeout)
    except Exception as e:  # rendezvous errors are long tracebacks: one line instead
        fail(f"rank {rank}: cannot join the process group ({type(e).__name__}: {str(e).splitlines()[0]})")
    return rank, world_size, local_rank, device


def collective(fn):
    """Decorate a function that calls collectives: when one fails because another rank died, or stalled past the
    timeout, this rank exits with one line instead of a traceback (torchrun's summary names the rank that failed)."""

    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (RuntimeError, dist.DistBackendError) as e:
            message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            print(
                f"{os.path.basename(sys.argv[0])}: error: rank {dist.get_rank()}: lost the other ranks in "
                f"{fn.__name__} ({message}); a rank died or waited longer than --collective-timeout: torchrun's "
                "summary names the rank that failed first",
                file=sys.stderr,
                flush=True,
            )
            os._exit(1)  # not sys.exit: tearing down a process group whose peer is gone can hang

    return guarded


@collective
def all_mean(x: torch.Tensor) -> torch.Tensor:
    """The mean of `x` over the ranks (every rank gets it), in place."""
    dist.all_reduce(x)
    return x.div_(dist.get_world_size())


@collective
def all_max(x: torch.Tensor) -> torch.Tensor:
    """The element-wise maximum of `x` over the ranks (every rank gets it), in place."""
    dist.all_reduce(x, op=dist.ReduceOp.MAX)
    return x


@collective
def all_gather_cat(x: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """The ranks' `x` (same shape on every rank) concatenated along `dim` in rank order, on every rank."""
    parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, x.contiguous())
    return torch.cat(parts, dim)


@collective
def broadcast_object(obj, src: int = 0):
    """Rank `src`'s picklable `obj`, on every rank."""
    box = [obj]
    dist.broadcast_object_list(box, src=src)
    return box[0]


@collective
def episode_summary(ep_returns, ep_lengths, done, returns, values, first_env: int, num_envs: int, keep: int):
    """Every rank's rollout ([T, n] each, this rank's envs from `first_env` of `num_envs`) summed up for logging, from
    a fixed-size message per rank (47 float64 for keep=20, whatever the number of envs): ({count, return_sum,
    length_sum} of the finished episodes, the returns of the last `keep` of them in the order one process would list
    them (step, then global env index), the explained variance of the values for the returns)."""
    T, n = done.shape
    step_env = torch.arange(T, device=done.device)[:, None] * num_envs + first_env
    position = (step_env + torch.arange(n, device=done.device)[None]).double()[done][-keep:]
    last = torch.full((2, keep), -1.0, dtype=torch.float64, device=done.device)
    last[0, keep - len(position) :], last[1, keep - len(position) :] = position, ep_returns[done][-keep:].double()
    y, d = returns.double(), (returns - values).double()
    sums = torch.stack([done.sum().double(), ep_returns[done].double().sum(), ep_lengths[done].double().sum(),
                        y.sum(), y.square().sum(), d.sum(), d.square().sum()])  # fmt: skip
    parts = all_gather_cat(torch.cat([sums, last.flatten()])[None]).cpu()
    count, return_sum, length_sum, y1, y2, d1, d2 = parts[:, :7].sum(0).tolist()
    positions, rets = parts[:, 7 : 7 + keep].flatten(), parts[:, 7 + keep :].flatten()
    order = positions.argsort()
    last_returns = rets[order][positions[order] >= 0][-keep:].tolist()
    total = y.numel() * dist.get_world_size()
    var_y, var_d = y2 / total - (y1 / total) ** 2, d2 / total - (d1 / total) ** 2
    explained = float("nan") if var_y == 0 else 1.0 - var_d / var_y
    return dict(count=int(count), return_sum=return_sum, length_sum=length_sum), last_returns, explained


def env_layout(make_env) -> dict[str, int]:
    """Bytes per env of each array in an env's state_dict (0: the same on every env and rank, e.g. the seed), from
    throwaway 1- and 2-env copies; make_env(n) builds one. Per-env arrays have the env as leading index."""
    one, two = make_env(1).state_dict(), make_env(2).state_dict()
    layout = {}
    for k in one:
        per_env = two[k].numel() - one[k].numel()
        if per_env and one[k].numel() != per_env:  # neither per-env nor shared: cannot split it by env
            raise ValueError(f"env array {k!r} has {one[k].numel()} bytes for 1 env, {two[k].numel()} for 2")
        layout[k] = per_env
    return layout


def gather_env_state(state: dict[str, torch.Tensor], layout: dict[str, int]) -> dict[str, torch.Tensor]:
    """The state_dict of one env holding every rank's envs in rank order (global env index order), on every rank."""
    return {k: all_gather_cat(v) if layout[k] else v for k, v in state.items()}


def shard_env_state(state: dict, layout: dict[str, int], first_env: int, num_envs: int) -> dict[str, torch.Tensor]:
    """The state_dict of envs [first_env, first_env + num_envs) of a gathered one."""
    return {
        k: v[first_env * layout[k] : (first_env + num_envs) * layout[k]] if layout[k] else v for k, v in state.items()
    }
