"""The general convex collider (kernels/convex.py) against MuJoCo: the numbers behind the convex collider's part of
docs/physics.md's contact table. Per pair type, over the random poses of tests/test_convex.py (150 per type: MuJoCo's
deepest contact at 2 mm, 1 cm, 3 cm and 5 cm, and 1 cm clear; multiccd off): the poses where each finds a contact,
and the median and largest difference of the depth [m], the point [m] and the normal (largest component); then
multiccd's four probes (both geoms turned +-1e-3 rad about the first contact's tangents, 40 poses in contact per
cylinder pair) against MuJoCo's own contact of the turned geoms. The tests assert bounds on the same numbers; this
prints them.

    python benchmarks/convex_contacts.py                 # markdown tables on stdout
"""

import argparse
import os
import sys

import mujoco
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
from test_convex import PAIRS, _geom_frames, _ours, _poses, _turned_geoms, _xml  # noqa: E402


def first_contacts(pair: tuple[str, str]) -> dict:
    """Our first contact against MuJoCo's (multiccd off) in the 150 poses of seed 0."""
    m = mujoco.MjModel.from_xml_string(_xml(*pair, multiccd="disable"))
    d = mujoco.MjData(m)
    poses = _poses(m, d, 0)
    hit, dist, normal, point = _ours(m, *_geom_frames(m, d, poses))
    want = []
    for q in poses:
        d.qpos[:] = q
        mujoco.mj_forward(m, d)
        want.append([(c.dist, c.frame[:3].copy(), c.pos.copy()) for c in d.contact[: d.ncon]])
    agree = sum(int(len(w) == h) for w, h in zip(want, hit, strict=True))
    rows = [i for i in range(len(poses)) if hit[i] and want[i]]
    ddist = np.array([abs(dist[i] - want[i][0][0]) for i in rows])
    dpoint = np.array([np.abs(point[i] - want[i][0][2]).max() for i in rows])
    dnormal = np.array([np.abs(normal[i] - want[i][0][1]).max() for i in rows])
    return {
        "poses": len(poses),
        "agree": agree,
        "contacts": len(rows),
        "dist": ddist,
        "point": dpoint,
        "normal": dnormal,
    }


def probes(pair: tuple[str, str]) -> np.ndarray:
    """Point differences [m] of multiccd's four probes against MuJoCo's contact of the turned geoms (40 poses,
    seed 1)."""
    m = mujoco.MjModel.from_xml_string(_xml(*pair, multiccd="disable"))
    d = mujoco.MjData(m)
    poses = _poses(m, d, 1, per_depth=10)[:40]
    frames = _geom_frames(m, d, poses)
    errors = []
    for probe in range(4):
        want, turned = _turned_geoms(m, d, poses, probe)
        hit, _dist, _normal, point = _ours(m, *frames, probes=turned)
        errors += [np.abs(point[i] - want[i][0][2]).max() for i in range(len(poses)) if hit[i] and want[i]]
    return np.array(errors)


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    os.chdir(os.environ.get("TMPDIR", "/tmp"))  # MuJoCo writes MUJOCO_LOG.TXT into the working directory
    print(f"MuJoCo {mujoco.__version__}; first contact, multiccd off, 150 poses per pair (seed 0)\n")
    print("| pair | contact where MuJoCo has one | depth: median / max [m] | point: median / max [m] | "
          "normal: median / max |")  # fmt: skip
    print("|---|---:|---|---|---|")
    for pair in PAIRS:
        r = first_contacts(pair)
        cells = [f"{np.median(r[k]):.1e} / {r[k].max():.1e}" for k in ("dist", "point", "normal")]
        print(
            f"| {'-'.join(pair)} | {r['agree']}/{r['poses']} ({r['contacts']} in contact) | " + " | ".join(cells) + " |"
        )
    print("\nmulticcd's probes against MuJoCo's contact of the same turned geoms (40 poses, seed 1)\n")
    print("| pair | probe contacts | point: median / max [m] |")
    print("|---|---:|---|")
    for pair in PAIRS[:3]:
        e = probes(pair)
        print(f"| {'-'.join(pair)} | {len(e)} | {np.median(e):.1e} / {e.max():.1e} |")


if __name__ == "__main__":
    main()
