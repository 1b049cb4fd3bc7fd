"""Issue 17's design question, measured in isolation: one Newton step of the constraint solve, per thread or per block.

The solve kernel is half of every articulated step on a CPU (`throughput.py kernels`, docs/throughput.md) and, on a
GPU at the env counts PPO trains with, the step is one thread's serial walk (H200, d62a2cf). Each Newton step of the
solve assembles H = M + J^T diag(D) J over the active rows and solves H x = b. Two ways to run it for N envs:

- thread: one thread per env, as the physics kernels do now: H assembled in a loop over the rows, then
  `kernels.forward.factor_solve` (dense Cholesky and the two substitutions, in global memory).
- tile: one block of `block_dim` threads per env (`wp.launch_tiled`): M, J, D and b loaded as tiles, H by
  `wp.tile_matmul`, the factor by `wp.tile_cholesky` and x by `wp.tile_cholesky_solve` (cooperative, in shared
  memory; cuSolverDx/cuBLASDx where Warp is built with MathDx).

Both read the same random systems (SPD M, J with R rows, D >= 0); x is checked against a float64 solve of a few envs.
Sizes: nv and R of ant (14, 44: 9 contact points x 4 pyramid rows and 8 joint-limit rows), anymal_c (18, 28: 4 feet x
4 and 12 limits) and humanoid (27, 88). On a CPU it runs (a CPU tile launch runs the block's work in one thread) but
says nothing about the GPU; `bash benchmarks/gpu_session.sh <s> <commit> solve_tiles` times it on CUDA.

    python benchmarks/solve_tiles.py --device cuda:0 --num-envs 4096 16384 65536 --out runs/solve_tiles
"""

from __future__ import annotations

import argparse
import functools
import os
import sys

import numpy as np
import warp as wp

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.common import tool_record, write_rows  # noqa: E402
from benchmarks.env_sweep import gpu_info  # noqa: E402
from benchmarks.env_timing import time_calls  # noqa: E402
from kernels.forward import factor_solve  # noqa: E402

SIZES = {"ant": (14, 44), "anymal_c": (18, 28), "humanoid": (27, 88)}
NOTES = (
    "One Newton step of the constraint solve (H = M + J^T diag(D) J, then H x = b) for num_envs random systems of "
    "nv dofs and R rows: `thread` one thread per env (rows assembled in a loop, kernels.forward.factor_solve), `tile` "
    "one block per env (tile_matmul, tile_cholesky, tile_cholesky_solve). us_per_call: median of time_calls (CUDA "
    "events on a GPU). max_err: largest |x - x_float64| over the first envs, relative to max |x_float64|."
)
KEYS = ["model", "nv", "rows", "num_envs", "variant", "block_dim", "us_per_call", "ns_per_env", "max_err", "device"]


@wp.kernel(module="unique", module_options={"enable_backward": False})
def _thread_step(
    M: wp.array3d[float], J: wp.array3d[float], D: wp.array2d[float], b: wp.array2d[float], H: wp.array3d[float],
    x: wp.array2d[float],
):  # fmt: skip
    env = wp.tid()
    nv = M.shape[1]
    rows = J.shape[1]
    i = int(0)
    while i < nv:
        x[env, i] = b[env, i]
        j = int(0)
        while j <= i:
            h = M[env, i, j]
            r = int(0)
            while r < rows:
                h += D[env, r] * J[env, r, i] * J[env, r, j]
                r += 1
            H[env, i, j] = h
            j += 1
        i += 1
    factor_solve(env, H, x)


@functools.cache
def tile_step(nv: int, rows: int) -> wp.Kernel:
    """The per-block Newton step for systems of nv dofs and `rows` rows (tile shapes are compile-time constants)."""

    def step(M: wp.array3d[float], J: wp.array3d[float], D: wp.array2d[float], b: wp.array2d[float],
             x: wp.array2d[float]):  # fmt: skip
        env = wp.tid()
        m = wp.tile_load(M[env], shape=(nv, nv))
        jt = wp.tile_load(J[env], shape=(rows, nv))
        d = wp.tile_load(D[env], shape=(rows,))
        dj = wp.tile_map(wp.mul, wp.tile_broadcast(wp.tile_reshape(d, shape=(rows, 1)), shape=(rows, nv)), jt)
        h = wp.tile_map(wp.add, m, wp.tile_matmul(wp.tile_transpose(jt), dj))
        factor = wp.tile_cholesky(h)
        wp.tile_store(x[env], wp.tile_cholesky_solve(factor, wp.tile_load(b[env], shape=(nv,))))

    return wp.kernel(step, name=f"solve_tile_{nv}_{rows}", module="unique", module_options={"enable_backward": False})


def systems(num_envs: int, nv: int, rows: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Random SPD mass matrices (well conditioned, as M with armature), row Jacobians, stiffnesses D >= 0 (a third of
    the rows inactive, D 0) and right-hand sides, float32."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(num_envs, nv, nv)).astype(np.float32) / np.sqrt(nv)
    m = a @ a.transpose(0, 2, 1) + np.eye(nv, dtype=np.float32)
    d = rng.uniform(0.0, 2.0, size=(num_envs, rows)).astype(np.float32) * (rng.uniform(size=(num_envs, rows)) > 1 / 3)
    return dict(
        M=m,
        J=rng.normal(size=(num_envs, rows, nv)).astype(np.float32),
        D=d.astype(np.float32),
        b=rng.normal(size=(num_envs, nv)).astype(np.float32),
    )


def reference(s: dict[str, np.ndarray], count: int) -> np.ndarray:
    """x of the first `count` systems in float64."""
    J, D = s["J"][:count].astype(np.float64), s["D"][:count].astype(np.float64)
    H = s["M"][:count].astype(np.float64) + np.einsum("erk,er,erl->ekl", J, D, J)
    return np.linalg.solve(H, s["b"][:count, :, None].astype(np.float64))[..., 0]


def measure(model: str, num_envs: int, device: str, variants, block_dims, repeats: int, seconds: float) -> list[dict]:
    """Rows of the table for one model size at num_envs: each variant's time per call and its error."""
    nv, rows = SIZES[model]
    s = systems(num_envs, nv, rows)
    arrays = {k: wp.array(v, dtype=float, device=device) for k, v in s.items()}
    x = wp.zeros((num_envs, nv), dtype=float, device=device)
    check = min(num_envs, 64)
    ref = reference(s, check)
    out = []
    for variant in variants:
        for block_dim in block_dims if variant == "tile" else (1,):
            if variant == "thread":
                H = wp.zeros((num_envs, nv, nv), dtype=float, device=device)
                inputs = [arrays["M"], arrays["J"], arrays["D"], arrays["b"], H, x]

                def call(inputs=inputs):
                    wp.launch(_thread_step, num_envs, inputs=inputs, device=device)
            else:
                kernel = tile_step(nv, rows)
                inputs = [arrays["M"], arrays["J"], arrays["D"], arrays["b"], x]

                def call(kernel=kernel, inputs=inputs, block_dim=block_dim):
                    wp.launch_tiled(kernel, dim=[num_envs], inputs=inputs, block_dim=block_dim, device=device)

            x.zero_()
            timing = time_calls(call, device, repeats, seconds)
            err = float(np.abs(x.numpy()[:check] - ref).max() / np.abs(ref).max())
            out.append(dict(model=model, nv=nv, rows=rows, num_envs=num_envs, variant=variant,
                            block_dim=block_dim if variant == "tile" else "", us_per_call=timing["median_s"] * 1e6,
                            ns_per_env=timing["median_s"] / num_envs * 1e9, max_err=err, device=device))  # fmt: skip
    return out


def static_rows(models, block_dims, arch: int) -> list[dict]:
    """ptxas -v of both variants for sm_<arch> (no GPU needed; benchmarks/gpu_report.py): registers, spills, stack,
    static shared memory and theoretical occupancy per kernel and block size."""
    import shutil
    import tempfile

    from benchmarks.gpu_report import module_rows

    ptxas = shutil.which("ptxas")
    if ptxas is None:
        sys.exit("solve_tiles.py --static-arch: ptxas is not on PATH")
    out = []
    with tempfile.TemporaryDirectory(prefix="solve_tiles_ptx_") as work:
        for model in models:
            for name, kernel, dims in (
                ("thread", _thread_step, (256,)),
                ("tile", tile_step(*SIZES[model]), block_dims),
            ):
                for block_dim in dims:
                    kernel.module.options["block_dim"] = block_dim  # tile shapes per thread depend on it
                    for r in module_rows(f"{model} {name}", kernel.module, arch, block_dim, ptxas, work):
                        out.append(r)
                        print(f"sm_{arch} {model:9s} {name:6s} block {block_dim:3d}: {r['registers']} registers, "
                              f"spills {r['spill_stores']}/{r['spill_loads']} B, stack {r['stack_bytes']} B, "
                              f"smem {r['smem_bytes']} B, occupancy {r['occupancy']}")  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu")
    p.add_argument("--models", nargs="+", default=list(SIZES), choices=list(SIZES))
    p.add_argument("--num-envs", type=int, nargs="+", default=[4096, 16384, 65536])
    p.add_argument("--variants", nargs="+", default=["thread", "tile"], choices=["thread", "tile"])
    p.add_argument("--block-dims", type=int, nargs="+", default=[32, 64], help="threads per block of the tile variant")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seconds", type=float, default=0.2)
    p.add_argument("--no-mathdx", action="store_true", help="the tiles' cooperative fallback instead of MathDx on CUDA")
    p.add_argument("--static-arch", type=int, help="instead of timing: ptxas -v of both variants for sm_<arch>")
    p.add_argument("--out", default=os.path.join("runs", "solve_tiles"))
    a = p.parse_args(argv)
    if min(a.num_envs + a.block_dims + [a.repeats]) < 1 or not a.seconds > 0:
        p.error("--num-envs, --block-dims and --repeats must be >= 1 and --seconds > 0")
    wp.config.quiet = True
    if a.no_mathdx:
        wp.config.enable_mathdx_gemm = wp.config.enable_mathdx_solver = False
    wp.init()
    record = tool_record(NOTES)
    record["device"], record["gpu_info"] = a.device, gpu_info(a.device)
    record["mathdx"] = dict(gemm=wp.config.enable_mathdx_gemm, solver=wp.config.enable_mathdx_solver)
    if a.static_arch:
        rows = static_rows(a.models, a.block_dims, a.static_arch)
        os.makedirs(a.out, exist_ok=True)
        write_rows(a.out, "solve_tiles_static", record, rows, list(rows[0]) if rows else [])
        return rows
    rows = [r for m in a.models for n in a.num_envs for r in measure(m, n, a.device, a.variants, a.block_dims,
                                                                     a.repeats, a.seconds)]  # fmt: skip
    for r in rows:
        print(f"{r['model']:9s} nv {r['nv']:2d} rows {r['rows']:2d} envs {r['num_envs']:6d} {r['variant']:6s} "
              f"block {str(r['block_dim']):3s} {r['us_per_call']:10.1f} us  {r['ns_per_env']:8.1f} ns/env  "
              f"err {r['max_err']:.1e}")  # fmt: skip
    os.makedirs(a.out, exist_ok=True)
    write_rows(a.out, "solve_tiles", record, rows, KEYS)
    return rows


if __name__ == "__main__":
    main()
