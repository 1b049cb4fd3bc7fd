"""What MuJoCo's elliptic friction cone costs against the pyramid, on one robot file, same process:

    PYTHONPATH=$PWD python benchmarks/cone_cost.py path/to/robot.xml [--num-envs 256] [--steps 50] [--repeats 2]

The file is loaded as benchmarks/mjcf_sim2sim.py loads it (mesh geoms dropped, a floor added), started from its first
keyframe (else qpos0) under its ctrl with small random velocities, and stepped with `opt.cone` set to the pyramid and
to the elliptic cone in turn (`--repeats` rounds, alternating, so both see the same machine load). Prints env steps
per second of each, fused pipeline, on the default device.
"""

import argparse
import time
import warnings

import numpy as np
import torch

from benchmarks.mjcf_sim2sim import mujoco_model, with_floor
from kernels.articulation import Simulator
from mjcf import load_mjcf


def steps_per_second(text: str, qpos: np.ndarray, ctrl: np.ndarray, cone: int, num_envs: int, steps: int) -> float:
    """Env steps per second of the model in `text` with opt.cone = cone (0 pyramidal, 1 elliptic), after one step
    that compiles and warms the kernels."""
    model = load_mjcf(text)
    model.opt.cone = cone
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a file's integrator warnings
        sim = Simulator(model, num_envs, contacts=True, joint_limits=True)
    q = torch.tensor(np.tile(qpos, (num_envs, 1)), dtype=torch.float32)
    v = torch.tensor(np.random.default_rng(0).normal(size=(num_envs, sim.nv)) * 0.2, dtype=torch.float32)
    u = torch.tensor(np.tile(ctrl, (num_envs, 1)), dtype=torch.float32)
    sim.set_state(q, v)
    sim.step(u)
    start = time.perf_counter()
    for _ in range(steps):
        sim.step(u)
    return num_envs * steps / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path")
    p.add_argument("--num-envs", type=int, default=256)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args()
    text = with_floor(open(args.path).read(), args.path)
    ref = mujoco_model(text, args.path)
    import mujoco

    d = mujoco.MjData(ref)
    if ref.nkey:
        mujoco.mj_resetDataKeyframe(ref, d, 0)
    for _ in range(args.repeats):
        for cone, name in ((0, "pyramidal"), (1, "elliptic")):
            sps = steps_per_second(text, d.qpos, d.ctrl, cone, args.num_envs, args.steps)
            print(f"{args.path}: {name} cone, {args.num_envs} envs: {sps:,.0f} env steps/s", flush=True)


if __name__ == "__main__":
    main()
