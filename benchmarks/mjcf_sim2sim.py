"""Any robot's MJCF in our simulator and in MuJoCo C, side by side: does this file simulate the same here?

    PYTHONPATH=$PWD python benchmarks/mjcf_sim2sim.py path/to/robot.xml [more.xml ...] [--steps 200] [--floor-only]
        [--pyramidal]

For each file: MuJoCo's own MjSpec parses it; geoms of type mesh and the mesh assets are deleted (no asset files are
read; our loader skips mesh geoms that cannot collide and refuses others), a floor plane is added at z = 0 (unless the
world body has a plane already), and
MuJoCo's solver is run to convergence (100 iterations, tolerance 1e-12: MJX files often ask for one iteration). Both
step the file's integrator where this simulator has it (Euler, implicitfast); a file asking for RK4 is stepped with
Euler by both, one asking for implicit with implicitfast. The edited model is written back to XML and loaded twice:
by `mujoco.MjModel.from_xml_string` and by our `mjcf.load_mjcf`. Both start from the first keyframe (else qpos0),
hold its ctrl, and step `--steps` times; reported: max |qpos_ours - qpos_mujoco| after 1, 10, 50 and all steps,
without contacts and with them, MuJoCo's contact count at the end and the geom types that touched the floor.
`--floor-only`: every colliding geom collides with the floor only (contype 1, conaffinity 0), for files whose
geom-geom pairs this simulator refuses. `--pyramidal`: both simulators solve the pyramidal cone where a file asks for
the elliptic one (before kernels.elliptic this simulator solved the pyramid for every file). A model the loader or the
simulator refuses is reported with the reason.

Writes nothing unless --out is given (then <out>/mjcf_sim2sim.json and .md).
"""

import argparse
import json
import os
import warnings

import mujoco
import numpy as np
import torch

from kernels.articulation import Simulator
from mjcf import load_mjcf

FLOOR = "sim2sim_floor"  # the plane added to a file without one
GEOM_NAMES = {int(v): k.removeprefix("mjGEOM_").lower() for k, v in mujoco.mjtGeom.__members__.items()}


def with_floor(text: str, path: str) -> str:
    """The file's text with a floor plane at z = 0 as the first geom of the world body, unless it has a plane."""
    if len(_world_planes(mujoco_model(text, path))):
        return text
    floor = f'<geom name="{FLOOR}" type="plane" size="0 0 0.05" contype="1" conaffinity="1"/>'
    head, sep, tail = text.partition("<worldbody>")
    if not sep:
        raise ValueError("no <worldbody>")
    return head + sep + floor + tail


def _world_planes(model) -> np.ndarray:
    """Ids of the world body's plane geoms (the floor: our model or MuJoCo's)."""
    return np.flatnonzero((np.asarray(model.geom_type) == 0) & (np.asarray(model.geom_bodyid) == 0))


def mujoco_model(text: str, path: str) -> mujoco.MjModel:
    """MuJoCo's model of the text without mesh geoms, mesh assets and textures (none of their files is read), its
    solver run to convergence, RK4 replaced by Euler and implicit by implicitfast."""
    spec = mujoco.MjSpec.from_string(text)
    spec.modelfiledir = os.path.dirname(os.path.abspath(path))
    for g in list(spec.geoms):
        if g.type == mujoco.mjtGeom.mjGEOM_MESH:
            spec.delete(g)
    for g in spec.geoms:
        g.material = ""
    for x in list(spec.meshes) + list(spec.materials) + list(spec.textures):
        spec.delete(x)
    spec.option.integrator = {
        mujoco.mjtIntegrator.mjINT_RK4: mujoco.mjtIntegrator.mjINT_EULER,
        mujoco.mjtIntegrator.mjINT_IMPLICIT: mujoco.mjtIntegrator.mjINT_IMPLICITFAST,
    }.get(spec.option.integrator, spec.option.integrator)
    spec.option.iterations, spec.option.ls_iterations, spec.option.tolerance = 100, 50, 1e-12
    return spec.compile()


def floor_only(contype: np.ndarray, conaffinity: np.ndarray, floor: int) -> None:
    """Every colliding geom but the floor collides with the floor only (in place)."""
    colliding = (contype != 0) | (conaffinity != 0)
    colliding[floor] = False
    contype[colliding], conaffinity[colliding] = 1, 0


def compare(text: str, path: str, contacts: bool, steps: int, only_floor: bool, pyramidal: bool = False) -> dict:
    """Both simulators from the first keyframe under its ctrl: max |dqpos| per step and MuJoCo's floor contacts.
    pyramidal: both solve the pyramidal cone where the file asks for the elliptic one."""
    ref = mujoco_model(text, path)
    model = load_mjcf(text)
    if pyramidal:
        ref.opt.cone = mujoco.mjtCone.mjCONE_PYRAMIDAL
        model.opt.cone = 0
    model.opt.integrator = int(ref.opt.integrator)  # RK4 -> Euler, implicit -> implicitfast, as MuJoCo's side
    floor_ref = int(_world_planes(ref)[0])
    if only_floor:
        floor_only(ref.geom_contype, ref.geom_conaffinity, floor_ref)
        floor_only(model.geom_contype, model.geom_conaffinity, int(_world_planes(model)[0]))
    if not contacts:
        ref.opt.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT
        model.opt.disableflags |= int(mujoco.mjtDisableBit.mjDSBL_CONTACT)
    d = mujoco.MjData(ref)
    if ref.nkey:
        mujoco.mj_resetDataKeyframe(ref, d, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a file's integrator or fluid warnings: the table's notes report them
        sim = Simulator(model, 1, contacts=contacts, joint_limits=True)
    sim.set_state(torch.tensor(d.qpos[None], dtype=torch.float32), torch.tensor(d.qvel[None], dtype=torch.float32))
    ctrl = torch.tensor(d.ctrl[None], dtype=torch.float32) if ref.nu else None
    err, touched = [], set()
    for _ in range(steps):
        mujoco.mj_step(ref, d)
        sim.step(ctrl)
        err.append(float(np.abs(sim.get_state()[0][0].numpy() - d.qpos).max()))
        for c in d.contact[: d.ncon]:
            if floor_ref in c.geom:
                touched.add(GEOM_NAMES[int(ref.geom_type[c.geom[0] + c.geom[1] - floor_ref])])
    at = {n: err[min(n, steps) - 1] for n in (1, 10, 50, steps)}
    return {"max_dqpos": at, "finite": bool(np.all(np.isfinite(err))), "ncon": int(d.ncon), "touched": sorted(touched)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("files", nargs="+")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--floor-only", action="store_true")
    p.add_argument("--pyramidal", action="store_true", help="both solve an elliptic file's cone as the pyramid")
    p.add_argument("--out", default="")
    args = p.parse_args()
    rows = []
    for path in args.files:
        name = os.path.splitext(os.path.basename(path))[0]
        row = {"model": name}
        with open(path) as f:
            text = f.read()
        try:
            text = with_floor(text, path)
            mujoco_model(text, path)
        except Exception as e:  # MuJoCo itself cannot load it without its mesh files
            row["error"] = f"MuJoCo: {str(e).splitlines()[0]}"
            rows.append(row)
            print(name, row["error"])
            continue
        for contacts in (False, True):
            key = "contacts" if contacts else "no_contacts"
            try:
                row[key] = compare(text, path, contacts, args.steps, args.floor_only, args.pyramidal)
            except Exception as e:
                row[key] = {"refused": f"{type(e).__name__}: {str(e).splitlines()[0]}"}
            r = row[key]
            if "refused" in r:
                print(f"{name:22s} {key:11s} refused: {r['refused'][:150]}")
            else:
                e = r["max_dqpos"]
                print(
                    f"{name:22s} {key:11s} max |dqpos| " + " ".join(f"{n}:{v:.1e}" for n, v in e.items())
                    + f"  ncon {r['ncon']} floor touched by {','.join(r['touched']) or '-'}"
                )  # fmt: skip
        rows.append(row)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "mjcf_sim2sim.json"), "w") as f:
            meta = {"steps": args.steps, "floor_only": args.floor_only, "pyramidal": args.pyramidal}
            json.dump({**meta, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
