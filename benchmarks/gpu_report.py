"""`throughput.py gpu`: a static GPU report without a GPU: each Warp module of envs/ and kernels/ compiled ahead of
time to PTX, `ptxas -v` for registers, spills and shared memory, theoretical occupancy, static FLOP and byte counts."""

from __future__ import annotations

import importlib
import math
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import tempfile
import time

import warp as wp

import envs
import kernels
from benchmarks.common import progress, tool_record, write_rows
from kernels.solve_tiled import TILE_BLOCK_DIM

wp.config.quiet = True

NOTES = (
    "Static: each Warp module compiled ahead of time to PTX (wp.compile_aot_module, use_ptx=True), then "
    "`ptxas -v -arch=sm_XX`. Occupancy: theoretical, block of block_dim threads, from registers per thread and "
    "static shared memory (CUDA Occupancy Calculator method; per-SM limits in SM_LIMITS). flops/bytes: static "
    "PTX counts per thread (f32 arithmetic, fma = 2; generic and global loads/stores), each instruction once. "
    "When the PTX ISA version of Warp's NVRTC is newer than the installed ptxas accepts, the .version line is "
    "lowered to the ptxas one before assembling."
)
KEYS = ["module", "kernel", "arch", "gpu", "registers", "spill_stores", "spill_loads", "stack_bytes", "smem_bytes"]
KEYS += ["cmem_bytes", "block_dim", "occupancy", "limiter", "static_flops", "static_bytes", "compile_s"]

# Per-SM limits of compute capability 8.0 (A100) and 9.0 (H100): CUDA C++ Programming Guide, "Technical
# Specifications per Compute Capability", and the CUDA Occupancy Calculator's tables (register allocation unit 256
# per warp; shared memory allocation unit 128 B; 1 KiB shared memory reserved per block from cc 8.0).
SM_LIMITS = {
    80: dict(name="A100", max_threads=2048, max_warps=64, max_blocks=32, regs=65536, smem=167936, reg_unit=256),
    90: dict(name="H100", max_threads=2048, max_warps=64, max_blocks=32, regs=65536, smem=233472, reg_unit=256),
}
PTX_FLOPS = re.compile(r"^\s*(?:@%p\d+\s+)?(fma|add|sub|mul|div|sqrt|rsqrt|rcp|sin|cos|ex2|lg2|tanh)\.[\w.]*f32\b")
PTX_MEM = re.compile(r"^\s*(?:@%p\d+\s+)?(ld|st)(?:\.global)?(?:\.nc)?(?:\.v(\d))?\.(?:[bsuf])(8|16|32|64)\s")


def occupancy(regs: int, smem: int, block_dim: int, arch: int) -> tuple[float, str]:
    """Theoretical occupancy (active warps / max warps per SM) and its limiter, as the CUDA Occupancy Calculator
    computes it from registers per thread and static shared memory per block."""
    lim = SM_LIMITS[arch]
    warps_per_block = math.ceil(block_dim / 32)
    regs_per_warp = math.ceil(max(regs, 1) * 32 / lim["reg_unit"]) * lim["reg_unit"]
    blocks = {
        "threads": lim["max_threads"] // (warps_per_block * 32),
        "blocks": lim["max_blocks"],
        "registers": (lim["regs"] // regs_per_warp) // warps_per_block,
    }
    if smem:
        blocks["shared memory"] = lim["smem"] // (math.ceil((smem + 1024) / 128) * 128)
    limiter = min(blocks, key=blocks.get)
    return blocks[limiter] * warps_per_block / lim["max_warps"], limiter


def ptx_static_counts(ptx: str) -> dict[str, dict]:
    """Per kernel entry in a PTX file: f32 FLOPs (fma = 2) and bytes of generic/global loads and stores, counted
    once per instruction (a static count: loop bodies once, both sides of every branch)."""
    out, name = {}, None
    for line in ptx.splitlines():
        entry = re.match(r"^\.(?:visible )?\.entry (\w+)", line)
        if entry:
            name = entry.group(1)
            out[name] = {"flops": 0, "bytes": 0}
        elif name:
            if m := PTX_FLOPS.match(line):
                out[name]["flops"] += 2 if m.group(1) == "fma" else 1
            elif (m := PTX_MEM.match(line)) and ".param" not in line and ".local" not in line and ".shared" not in line:
                out[name]["bytes"] += int(m.group(2) or 1) * int(m.group(3)) // 8
    return out


def warp_modules() -> dict:
    """Every Warp module of envs/ and kernels/ that defines kernels, plus the modules of one kernel each: the split
    physics step's stage kernels, the tiled solve per number of dofs and each env's step kernel (built by a
    factory), as tests/test_aot.py collects them."""
    found = {}
    for package in (envs, kernels):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            importlib.import_module(info.name)
            module = wp.get_module(info.name)
            if module.kernels:
                found[info.name] = module
    from kernels.forward import (
        CONTACT_KERNEL_CYLINDERS,
        CONTACT_KERNEL_SPIN_ROLL,
        FORCE_KERNEL_FLUID,
        PAIR_KERNEL_CONVEX,
        PAIR_KERNEL_ELLIPTIC,
        PAIR_KERNEL_SPIN_ROLL,
        SOLVE_KERNEL_ELLIPTIC,
        SOLVE_KERNEL_EQUALITY,
        SOLVE_KERNEL_NO_PAIRS_SPIN_ROLL,
        SOLVE_KERNEL_SPIN_ROLL,
        SOLVE_TAILS,
        SPLIT_KERNELS,
        SPLIT_KERNELS_FRICTION,
        SPLIT_KERNELS_NO_PAIRS,
        SPLIT_KERNELS_NO_PAIRS_FRICTION,
    )

    # the GPU path of the physics step, each kernel in a module of its own (each split solve's tail after them), and
    # the variants the simulator takes for models with friction loss, cylinders on the ground, fluid forces, torsional
    # / rolling friction, equality constraints, pairs for the general convex collider or MuJoCo's elliptic cone
    variants = (
        SPLIT_KERNELS_FRICTION[4:]
        + SPLIT_KERNELS_NO_PAIRS_FRICTION[3:]
        + (CONTACT_KERNEL_CYLINDERS, FORCE_KERNEL_FLUID)
        + (CONTACT_KERNEL_SPIN_ROLL, PAIR_KERNEL_SPIN_ROLL, SOLVE_KERNEL_SPIN_ROLL, SOLVE_KERNEL_NO_PAIRS_SPIN_ROLL)
        + (SOLVE_KERNEL_EQUALITY, PAIR_KERNEL_CONVEX)
        + (PAIR_KERNEL_ELLIPTIC, SOLVE_KERNEL_ELLIPTIC)
    )
    for kernel in SPLIT_KERNELS + SPLIT_KERNELS_NO_PAIRS[3:] + variants + tuple(SOLVE_TAILS.values()):
        found[f"kernels.forward {kernel.key}"] = kernel.module
    from kernels.solve_tiled import solve_kernel

    for env_id in ("half_cheetah", "ant", "anymal_c"):  # pipeline split_tiled's solve: one kernel per number of dofs
        nv = envs.make(env_id, num_envs=1, device="cpu").sim.nv
        found[f"kernels.solve_tiled nv {nv}"] = solve_kernel(nv).module
    for env_id in envs.list_envs():
        env = envs.make(env_id, num_envs=1, device="cpu")
        # the variant a CUDA device runs (one env per thread), not the CPU one this env was built with
        phase = "fused" if env.sim is None else "finish"
        found[f"{env_id} step kernel"] = env._make_step_kernel(phase, True).module
        if getattr(env, "v5_blocks", ()):  # ant, humanoid: Gymnasium's default observation, obs_layout="v5"
            v5 = envs.make(env_id, num_envs=1, device="cpu", obs_layout="v5")
            found[f"{env_id} step kernel (v5 obs)"] = v5._make_step_kernel(phase, True).module
        if getattr(env, "act_kernel", None) is not None:  # articulated envs: action kernel, simulator, step kernel
            found[f"{env_id} act kernel"] = env.act_kernel.module
        if getattr(env, "_v5_cmds", None) is not None:  # ant, humanoid: the v5 observation passes (envs/locomotion.py)
            found[f"{env_id} v5 read kernel"] = env._v5_read.kernel.module
            found[f"{env_id} v5 write kernel"] = env._v5_cmds[0].kernel.module
    return found


def module_rows(name: str, module, arch: int, block_dim: int, ptxas: str | None, work: str) -> list[dict]:
    """Rows of one Warp module compiled for sm_<arch>: one per kernel entry of its PTX."""
    module_dir = os.path.join(work, f"{name.replace(' ', '_')}_sm{arch}")
    t0 = time.perf_counter()
    paths = wp.compile_aot_module(module, arch=arch, use_ptx=True, module_dir=module_dir)
    compile_s = time.perf_counter() - t0
    rows = []
    for path in [str(p) for p in paths if str(p).endswith(".ptx")]:
        with open(path) as f:
            counts = ptx_static_counts(f.read())
        info = run_ptxas(ptxas, path, arch) if ptxas else {}
        for kernel, c in counts.items():
            ki = info.get(kernel, {})
            regs, smem = ki.get("registers"), ki.get("smem_bytes", 0)
            occ, limiter = occupancy(regs, smem, block_dim, arch) if regs is not None else (None, None)
            rows.append(
                dict(module=name, kernel=kernel, arch=f"sm_{arch}", gpu=SM_LIMITS[arch]["name"], registers=regs)
                | {k: ki.get(k) for k in ("spill_stores", "spill_loads", "stack_bytes", "cmem_bytes")}
                | dict(smem_bytes=smem, block_dim=block_dim, occupancy=occ, limiter=limiter)
                | dict(static_flops=c["flops"], static_bytes=c["bytes"], compile_s=compile_s)
            )
    return rows


def run(archs, block_dim, modules, out) -> None:
    """The static report of every module (or those whose name contains one of `modules`) for each arch; write
    <out>/gpu.csv and gpu.json."""
    ptxas = shutil.which("ptxas")
    record = tool_record(NOTES)
    record["ptxas"] = (
        subprocess.run([ptxas, "--version"], capture_output=True, text=True).stdout.strip() if ptxas else None
    )
    record["sm_limits"] = SM_LIMITS
    found = {k: v for k, v in warp_modules().items() if not modules or any(m in k for m in modules)}
    rows = []
    with tempfile.TemporaryDirectory(prefix="throughput_ptx_") as work:
        for name, arch in progress([(nm, a) for nm in found for a in archs], "gpu"):
            # the tiled solve launches blocks of TILE_BLOCK_DIM threads (one env each), not the env's block size
            block = TILE_BLOCK_DIM if name.startswith("kernels.solve_tiled") else block_dim
            rows += module_rows(name, found[name], arch, block, ptxas, work)
    for r in rows:
        print(f"{r['arch']} {r['module']:22s} {r['kernel'][:48]:48s} regs {r['registers']} occ {r['occupancy']}")
    write_rows(out, "gpu", record, rows, KEYS)


def run_ptxas(ptxas: str, path: str, arch: int) -> dict[str, dict]:
    """`ptxas -v` on a PTX file. Warp's NVRTC (CUDA 13.4 here) may write a newer PTX ISA `.version` than the
    installed ptxas (CUDA 13.0: ISA 9.0) accepts; then the directive is lowered to the ptxas version and the file
    assembled again (ptxas still rejects any instruction the older ISA lacks)."""
    with open(path) as f:
        text = f.read().rstrip("\0")  # NVRTC's PTX ends with the C string's NUL, which ptxas reads as text
    with open(path, "w") as f:
        f.write(text)
    cmd = [ptxas, "-v", f"-arch=sm_{arch}", path, "-o", os.devnull]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if m := re.search(r"current version is '([\d.]+)'", res.stderr):
        with open(path, "w") as f:
            f.write(re.sub(r"^\.version [\d.]+", f".version {m[1]}", text, count=1, flags=re.M))
        res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode:
        print(f"\nptxas failed on {path}: {res.stderr.strip()[-300:]}", file=sys.stderr)
    return parse_ptxas(res.stderr)


def parse_ptxas(text: str) -> dict[str, dict]:
    """Registers, spills, stack frame and shared/constant memory per function from `ptxas -v` output."""
    out, name = {}, None
    for line in text.splitlines():
        if m := re.search(r"Compiling entry function '(\w+)'|Function properties for (\w+)", line):
            name = m.group(1) or m.group(2)
            out.setdefault(name, {})
        elif name and (
            m := re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads", line)
        ):
            out[name].update(stack_bytes=int(m[1]), spill_stores=int(m[2]), spill_loads=int(m[3]))
        elif name and (m := re.search(r"Used (\d+) registers", line)):
            out[name]["registers"] = int(m[1])
            s = re.search(r"(\d+) bytes smem", line)
            c = re.search(r"(\d+) bytes cmem\[0\]", line)
            out[name]["smem_bytes"] = int(s[1]) if s else 0
            out[name]["cmem_bytes"] = int(c[1]) if c else None
    return out
