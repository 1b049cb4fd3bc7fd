"""CUDA readiness without a GPU: every Warp module in envs/ and kernels/ compiles for sm_80 and sm_90 (NVRTC)."""

import importlib
import pkgutil

import pytest
import warp as wp

import envs
import kernels

ARCHS = (80, 90)


def _warp_modules_with_kernels():
    """Import every module of envs/ and kernels/; return the Warp modules that define kernels, plus env kernels."""
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

    # the CUDA path of the physics step: one module per stage kernel (the solves' tails too), the solves with friction
    # loss, the contact kernel with cylinders, the torsional / rolling friction and the elliptic cone's variants
    for kernel in (
        SPLIT_KERNELS
        + SPLIT_KERNELS_NO_PAIRS[3:]
        + SPLIT_KERNELS_FRICTION[4:]
        + SPLIT_KERNELS_NO_PAIRS_FRICTION[3:]
        + (CONTACT_KERNEL_CYLINDERS, FORCE_KERNEL_FLUID)
        + (CONTACT_KERNEL_SPIN_ROLL, PAIR_KERNEL_SPIN_ROLL, SOLVE_KERNEL_SPIN_ROLL, SOLVE_KERNEL_NO_PAIRS_SPIN_ROLL)
        + (SOLVE_KERNEL_EQUALITY,)
        + (PAIR_KERNEL_ELLIPTIC, SOLVE_KERNEL_ELLIPTIC)  # MuJoCo's elliptic cone (kernels.elliptic)
        + tuple(SOLVE_TAILS.values())  # each split solve's tail (the envs left unsettled, with the line search)
    ):
        found[f"kernels.forward {kernel.key}"] = kernel.module
    from kernels.solve_tiled import solve_kernel

    for env_id in ("half_cheetah", "ant", "anymal_c"):  # pipeline split_tiled's solve: one kernel per number of dofs
        nv = envs.make(env_id, num_envs=1, device="cpu").sim.nv
        found[f"kernels.solve_tiled nv {nv}"] = solve_kernel(nv).module
    found["kernels.solve_tiled nv 14 friction"] = solve_kernel(14, True).module  # models with friction loss
    # Each env's fused step kernel lives in a module of its own, built from the task's functions.
    for env_id in envs.list_envs():
        env = envs.make(env_id, num_envs=1, device="cpu")
        found[f"{env_id} step kernel"] = env.step_kernel.module
        # and the variant a CUDA device builds (one env per thread)
        phase = "fused" if env.sim is None else "finish"
        found[f"{env_id} step kernel (CUDA)"] = env._make_step_kernel(phase, True).module
        if getattr(env, "v5_blocks", ()):  # with Gymnasium's default observation (the task writes its state part)
            v5 = envs.make(env_id, num_envs=1, device="cpu", obs_layout="v5")
            found[f"{env_id} step kernel (v5 obs, CUDA)"] = v5._make_step_kernel(phase, True).module
        if env.act_kernel is not None:  # articulated envs: action kernel, simulator, task kernel
            found[f"{env_id} act kernel"] = env.act_kernel.module
        if getattr(env, "_v5_cmds", None) is not None:  # ant, humanoid: the v5 observation passes (envs/locomotion.py)
            found[f"{env_id} v5 read kernel"] = env._v5_read.kernel.module
            found[f"{env_id} v5 write kernel"] = env._v5_cmds[0].kernel.module
    return found


MODULES = _warp_modules_with_kernels()


def test_every_env_and_kernels_module_is_covered():
    assert {"cartpole step kernel", "pendulum step kernel", "kernels.rng", "kernels.forward"} <= set(MODULES)
    assert {"ant step kernel", "ant act kernel", "humanoid v5 read kernel", "humanoid v5 write kernel"} <= set(MODULES)
    assert {"kernels.solve_tiled nv 14", "kernels.solve_tiled nv 18"} <= set(MODULES)


# The tails of the rarer solves (friction loss, torsional / rolling friction, equality constraints, the elliptic cone)
# compile for sm_90 alone: the same _pipeline code as their heads and as the common tails, which compile for both
# (~65 s of CI saved)
COMMON_TAILS = ("kernels.forward _solve_kernel_tail", "kernels.forward _solve_kernel_no_pairs_tail")
CASES = [
    (name, arch)
    for name in sorted(MODULES)
    for arch in ARCHS
    if arch == 90 or not name.endswith("_tail") or name in COMMON_TAILS
]


@pytest.mark.parametrize("name,arch", CASES)
def test_module_compiles_for_cuda(name, arch, tmp_path):
    paths = wp.compile_aot_module(MODULES[name], arch=arch, module_dir=tmp_path)
    assert paths and all(p.exists() and p.stat().st_size > 0 for p in paths), paths
