"""Does the tiled solve (pipeline="split_tiled", kernels.solve_tiled) step as the split pipeline does, on this device?

    python benchmarks/split_tiled_check.py --device cuda:0 --num-envs 4096 --out runs/split_tiled_check.json

tests/test_solve_tiled.py checks it on the CPU (8 envs, Warp's cooperative CPU blocks); this runs the same comparison
at a GPU's env counts, where the block's 32 lanes run as a CUDA warp. Three envs per env id from the same reset
states under the same uniform random actions: split, split_tiled, and split from the states moved by one float32 ulp
(each coordinate of qpos and qvel, random direction). The two solves sum in different orders, so they agree to
rounding, not bit for bit; how far rounding alone carries a rollout is the 1-ulp run's distance from split. Per
quantity (qpos, qvel, qacc, contact forces) it reports the largest |split_tiled - split| and |1-ulp - split| over the
steps, the same for split_tiled restarted from split's state before every step (one step's difference), and the
share of active-set bits (contact and joint-limit rows) that differ from split's. It passes when every
quantity's tiled difference is within 10 times the 1-ulp spread plus 1e-6 of its scale (the test's bound) and
nothing is non-finite; the exit status says which.
"""

import argparse
import json
import os
import sys

import torch
import warp as wp

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import envs  # noqa: E402
from benchmarks.common import tool_record  # noqa: E402
from benchmarks.env_sweep import gpu_info  # noqa: E402

QUANTITIES = ("qpos", "qvel", "qacc", "contact_force", "contact_frc")
MASKS = ("contact_mask", "limit_mask")


def _physics(env) -> dict[str, torch.Tensor]:
    """The simulator's state and solve outputs after a step, as torch tensors on the env's device."""
    return {k: wp.to_torch(getattr(env.sim, k)).clone() for k in QUANTITIES + MASKS}


def compare(env_id: str, num_envs: int, steps: int, device: str, seed: int = 5) -> dict:
    """split, split_tiled and split from 1-ulp-moved states for `steps` steps: the largest differences from split."""
    trio = [
        envs.make(env_id, num_envs=num_envs, device=device, seed=seed, pipeline=p) for p in ("split", "split_tiled")
    ]
    trio.append(envs.make(env_id, num_envs=num_envs, device=device, seed=seed, pipeline="split"))
    # split_tiled restarted from split's full state (warm start and active sets included) before every step
    onestep = envs.make(env_id, num_envs=num_envs, device=device, seed=seed, pipeline="split_tiled")
    for env in trio:
        env.reset()
    state = trio[0].get_state().clone()
    n = trio[0].sim.nq + trio[0].sim.nv
    up = torch.rand(state[:, :n].shape, generator=torch.Generator(device=state.device).manual_seed(0),
                    device=state.device) < 0.5  # fmt: skip
    moved = state.clone()
    inf = torch.full_like(state[:, :n], float("inf"))
    moved[:, :n] = torch.nextafter(state[:, :n], torch.where(up, inf, -inf))
    for env, s in zip(trio, (state, state, moved), strict=True):
        env.set_state(s)
    gen = torch.Generator(device=state.device).manual_seed(7)
    out = {q: dict(tiled=0.0, ulp=0.0, scale=0.0, one_step=0.0) for q in QUANTITIES}
    out |= {m: dict(tiled=0.0, ulp=0.0, bits=0) for m in MASKS}
    finite = True
    for _ in range(steps):
        act = torch.rand(num_envs, trio[0].num_actions, generator=gen, device=state.device) * 2 - 1
        onestep.load_state_dict(trio[0].state_dict())
        onestep.step(act)
        for env in trio:
            env.step(act)
        ref, tiled, ulp = (_physics(env) for env in trio)
        one = _physics(onestep)
        finite &= all(bool(torch.isfinite(tiled[q]).all()) for q in QUANTITIES)
        for q in QUANTITIES:
            o = out[q]
            o["scale"] = max(o["scale"], ref[q].abs().max().item())
            o["tiled"] = max(o["tiled"], (tiled[q] - ref[q]).abs().max().item())
            o["ulp"] = max(o["ulp"], (ulp[q] - ref[q]).abs().max().item())
            o["one_step"] = max(o["one_step"], (one[q] - ref[q]).abs().max().item())
        for m in MASKS:
            bits = max(ref[m].numel(), 1)
            out[m]["tiled"] = max(out[m]["tiled"], (tiled[m] != ref[m]).sum().item() / bits)
            out[m]["ulp"] = max(out[m]["ulp"], (ulp[m] != ref[m]).sum().item() / bits)
            out[m]["bits"] += int((ref[m] != 0).sum().item())
    ok = finite and all(out[q]["tiled"] <= 10 * out[q]["ulp"] + 1e-6 * out[q]["scale"] for q in QUANTITIES)
    return dict(env_id=env_id, num_envs=num_envs, steps=steps, finite=finite, ok=ok, **out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu", help="Warp device (cuda:0 on a GPU machine)")
    p.add_argument("--env-ids", nargs="+", default=["ant", "anymal_c", "anymal_c_rough"])
    p.add_argument("--num-envs", type=int, default=4096)
    p.add_argument("--steps", type=int, default=12)
    p.add_argument("--out", help="write the results (with the command, commit and device) as JSON here")
    a = p.parse_args(argv)
    if a.num_envs < 1 or a.steps < 1:
        p.error("--num-envs and --steps must be >= 1")
    rows = []
    for env_id in a.env_ids:
        r = compare(env_id, a.num_envs, a.steps, a.device)
        rows.append(r)
        print(f"{env_id} {a.num_envs} envs, {a.steps} steps: {'OK' if r['ok'] else 'FAIL'}" + ("" if r["finite"] else
              " (non-finite values)"))  # fmt: skip
        for q in QUANTITIES:
            print(f"  {q:14s} |tiled - split| {r[q]['tiled']:.3g}  |1 ulp - split| {r[q]['ulp']:.3g}  "
                  f"scale {r[q]['scale']:.3g}  one step from split's state {r[q]['one_step']:.3g}")  # fmt: skip
        for m in MASKS:
            print(
                f"  {m:14s} differing {r[m]['tiled']:.2%} (1 ulp: {r[m]['ulp']:.2%}); active bits seen {r[m]['bits']}"
            )
    if a.out:
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w") as f:
            record = tool_record(__doc__.split("\n\n")[1].replace("\n", " "))
            json.dump(dict(record, device=a.device, gpu_info=gpu_info(a.device), rows=rows), f, indent=1)
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
