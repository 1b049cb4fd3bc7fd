"""Is a CPU-vs-CUDA difference rounding? The spread of one env step under rounding-only changes.

    python benchmarks/rounding_spread.py --out results/rounding_spread.json                  # CPU only
    python benchmarks/rounding_spread.py --runs cpu:default cpu:ulp cuda:default cuda:nofma   # on a GPU machine

On an H100 at 5a01bc4 the observation after one step differed from the CPU's by 2.2e-4 for half_cheetah against
2e-6 to 2e-5 for the other articulated envs (`shared/h100-2026-11-26/parity_cuda_vs_cpu.json`). The two devices
run the same kernels with different rounding: NVRTC contracts a*b+c into FMAs (Warp's fuse_fp module option, on by
default: --fmad=true), which Warp's CPU backend does not do (measured here: with fuse_fp on or off, a*b+c on the CPU
equals the separately rounded product and sum in 100% of 1e5 random cases), and CUDA's sin, cos, exp, sqrt differ
from the CPU's by an ulp or two. Each run is `device:variant`, compared with cpu:default:

  default  the build every run uses;
  nofma    every Warp module built with fuse_fp off (on CUDA: no contraction, as on the CPU);
  ulp      the default build, each coordinate of qpos and qvel moved by 1 ulp (random direction) before the steps.

Each run is a subprocess of its own (module options are fixed at import; the runs go in parallel), from the same
reset states (seed 0) under the same uniform random actions. Error of an observation: max over envs and components
of |a - b| / max(|b|, 1e-3) (relative, absolute near 0) and of |a - b|, after 1 and 10 steps. If an env's 1-ulp
spread matches its CPU-vs-CUDA difference, that difference is float32 rounding that the env's dynamics amplify,
not a branch taken differently or a bug.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ENVS = ("cartpole", "pendulum", "ant", "half_cheetah", "humanoid", "anymal_c")
NUM_ENVS, STEPS = 256, 10


def worker(device: str, variant: str, env_ids: list[str], out: str) -> None:
    """Step each env from its reset states; save the observations after each step to `out` (npz)."""
    if variant == "nofma":
        from warp._src import context

        init = context.Module.__init__

        def no_contraction(self, *args, **kwargs):
            init(self, *args, **kwargs)
            self.options["fuse_fp"] = False  # part of the module hash: a build of its own in the kernel cache

        context.Module.__init__ = no_contraction
    import torch
    import warp as wp

    wp.config.quiet = True
    import envs

    saved = {}
    for env_id in env_ids:
        env = envs.make(env_id, num_envs=NUM_ENVS, device=device, seed=0)
        env.reset()
        if variant == "ulp":  # qpos and qvel only: a task's own state (anymal_c's RNG key) is no rounding
            s = env.get_state().cpu().numpy().copy()
            n = env.sim.nq + env.sim.nv if getattr(env, "sim", None) is not None else s.shape[1]
            up = np.random.default_rng(1).random((s.shape[0], n)) < 0.5
            s[:, :n] = np.where(up, np.nextafter(s[:, :n], np.inf), np.nextafter(s[:, :n], -np.inf))
            env.set_state(torch.from_numpy(s).to(env.actions.device))
        rng = np.random.default_rng(0)
        for t in range(STEPS):
            a = torch.from_numpy(rng.uniform(-1, 1, (NUM_ENVS, env.num_actions)).astype(np.float32))
            saved[f"{env_id}/{t + 1}"] = env.step(a.to(env.actions.device))[0].cpu().numpy().copy()
    np.savez(out, **saved)


def errors(a: np.ndarray, b: np.ndarray) -> dict:
    """Max relative (absolute near 0) and absolute difference of two observation batches, and where the largest is."""
    d = np.abs(a.astype(np.float64) - b)
    rel = d / np.maximum(np.abs(b), 1e-3)
    env, comp = np.unravel_index(np.argmax(rel), rel.shape)
    return dict(rel=float(rel.max()), abs=float(d.max()), worst_env=int(env), worst_obs=int(comp))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", nargs="+", default=["cpu:default", "cpu:nofma", "cpu:ulp"], help="device:variant")
    parser.add_argument("--envs", nargs="+", default=list(ENVS))
    parser.add_argument("--out", default="", help="write the table as JSON here")
    parser.add_argument("--worker", nargs=4, metavar=("DEVICE", "VARIANT", "ENVS", "NPZ"), help=argparse.SUPPRESS)
    a = parser.parse_args()
    if a.worker:
        return worker(a.worker[0], a.worker[1], a.worker[2].split(","), a.worker[3])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    runs = sorted(set(a.runs) | {"cpu:default"})
    with tempfile.TemporaryDirectory() as tmp:
        paths = {r: os.path.join(tmp, r.replace(":", "_") + ".npz") for r in runs}
        procs = {r: subprocess.Popen([sys.executable, __file__, "--worker", *r.split(":"), ",".join(a.envs), paths[r]],
                                     env=env) for r in runs}  # fmt: skip
        failed = [r for r, p in procs.items() if p.wait() != 0]
        if failed:
            raise SystemExit(f"rounding_spread: run(s) {failed} failed")
        obs = {r: dict(np.load(paths[r])) for r in runs}
    table = {}
    for env_id in a.envs:
        row = {}
        for r in runs:
            if r != "cpu:default":
                for t in (1, STEPS):
                    row[f"{r}_t{t}"] = errors(obs[r][f"{env_id}/{t}"], obs["cpu:default"][f"{env_id}/{t}"])
        table[env_id] = row
        print(env_id, " | ".join(f"{k} rel {v['rel']:.1e} abs {v['abs']:.1e} (obs {v['worst_obs']})"
                                 for k, v in row.items()))  # fmt: skip
    if a.out:
        with open(a.out, "w") as f:
            record = dict(command=" ".join(["python", "benchmarks/rounding_spread.py", *sys.argv[1:]]), envs=table)
            json.dump(record | dict(num_envs=NUM_ENVS, steps=STEPS, notes=__doc__), f, indent=1)


if __name__ == "__main__":
    main()
