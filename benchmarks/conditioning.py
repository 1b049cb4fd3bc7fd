"""Float32 rounding or a modelling difference? Our float32 kernels, the same kernels built for float64, and MuJoCo.

    python benchmarks/conditioning.py --trees 200 --out results/conditioning.md

The float64 build is generated from the source of kernels/spatial.py, kernels/smooth.py and the smooth_force,
factor_solve and euler stages of kernels/forward.py (types and literals rewritten to wp.float64, nothing else),
composed into one step kernel without contacts or joint limits, and fed the model in float64 as kernels/io.py
builds it. Where the float64 build matches MuJoCo to ~1e-12 and the float32 one does not, the difference is
rounding; where both miss, it is the model. Trees: tests/test_conditioning.py's generator (issue 12, item 5).
"""

import argparse
import ast
import importlib.util
import os
import re
import subprocess
import sys
import tempfile

import mujoco
import numpy as np
import torch
import warp as wp

from benchmarks.common import command_line, provenance

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
# --kernels-root: measure another source tree's kernels (e.g. a worktree of the commit before a fix) on this
# tree's random trees; read before the kernels are imported
KERNELS_ROOT = ROOT
if "--kernels-root" in sys.argv:
    KERNELS_ROOT = os.path.abspath(sys.argv[sys.argv.index("--kernels-root") + 1])
    sys.path.insert(0, KERNELS_ROOT)

from test_conditioning import NUM_STEPS, _model, _mujoco_rollout, _random_states, conditioning_tree_xml  # noqa: E402

from kernels import io  # noqa: E402
from kernels.articulation import Simulator  # noqa: E402
from kernels.forward import launch_inputs  # noqa: E402
from kernels.types import Data, vec5  # noqa: E402

# trees that amplify a 1e-7 change of the start state beyond this in 100 steps are reported apart
FAIR_SENSITIVITY = 2e-5

_STAGES = {
    "kernels/spatial.py": None,  # every @wp.func
    "kernels/smooth.py": None,
    "kernels/forward.py": (
        "actuator_force",
        "body_gravcomp_wrench",
        "dof_gravcomp",
        "smooth_force",
        "factor_solve",
        "euler",
    ),
}

_STEP64 = """
@wp.kernel
def step64(
    body_parentid: wp.array[int], body_rootid: wp.array[int], body_jntnum: wp.array[int], body_jntadr: wp.array[int],
    body_dofnum: wp.array[int], body_dofadr: wp.array[int], body_pos: wp.array[wp.vec3], body_quat: wp.array[wp.quat],
    body_ipos: wp.array[wp.vec3], body_iquat: wp.array[wp.quat], body_mass: wp.array[float],
    body_gravcomp: wp.array[float], body_lastdof: wp.array[int],
    body_inertia: wp.array[wp.vec3], jnt_type: wp.array[int], jnt_bodyid: wp.array[int], jnt_qposadr: wp.array[int],
    jnt_dofadr: wp.array[int], jnt_pos: wp.array[wp.vec3], jnt_axis: wp.array[wp.vec3],
    jnt_stiffness: wp.array[float], qpos0: wp.array[float], qpos_spring: wp.array[float],
    dof_bodyid: wp.array[int], dof_parentid: wp.array[int], dof_armature: wp.array[float],
    dof_damping: wp.array[float], dof_actfrclimited: wp.array[int], dof_actfrcrange: wp.array[wp.vec2],
    dof_actgravcomp: wp.array[int], actuator_dofadr: wp.array[int], actuator_qposadr: wp.array[int],
    actuator_gear: wp.array[float], actuator_ctrlrange: wp.array[wp.vec2], actuator_ctrllimited: wp.array[int],
    actuator_gain: wp.array[float], actuator_bias: wp.array[wp.vec3], actuator_forcerange: wp.array[wp.vec2],
    actuator_forcelimited: wp.array[int], body_mass_scale: wp.array2d[float], actuator_gear_scale: wp.array2d[float],
    dof_damping_scale: wp.array2d[float], actuator_affine: int, implicit_actuators: int, gravity: wp.vec3,
    timestep: float,
    qpos_in: wp.array2d[float], qvel_in: wp.array2d[float], ctrl_in: wp.array2d[float],
    xpos_out: wp.array2d[wp.vec3], xquat_out: wp.array2d[wp.quat], xanchor_out: wp.array2d[wp.vec3],
    xaxis_out: wp.array2d[wp.vec3], cdof_out: wp.array2d[wp.spatial_vector], cmass_out: wp.array2d[float],
    cmc_out: wp.array2d[wp.vec3], crot_out: wp.array2d[wp.mat33], cvel_out: wp.array2d[wp.spatial_vector],
    cacc_out: wp.array2d[wp.spatial_vector], cfrc_out: wp.array2d[wp.spatial_vector],
    qfrc_bias_out: wp.array2d[float], qM_out: wp.array3d[float], implicit_b_out: wp.array2d[float],
    qacc_out: wp.array2d[float],
    qpos_out: wp.array2d[float], qvel_out: wp.array2d[float],
):
    worldid = wp.tid()
    h = timestep
    kinematics(worldid, body_parentid, body_jntnum, body_jntadr, body_pos, body_quat, jnt_type, jnt_qposadr, jnt_pos,
               jnt_axis, qpos0, qpos_in, xpos_out, xquat_out, xanchor_out, xaxis_out)
    com_inertia(worldid, body_rootid, body_ipos, body_iquat, body_mass, body_inertia, body_mass_scale, xpos_out,
                xquat_out, cmass_out, cmc_out, crot_out)
    motion_subspace(worldid, body_rootid, jnt_type, jnt_bodyid, jnt_dofadr, xpos_out, xquat_out, xanchor_out,
                    xaxis_out, cdof_out)
    rne(worldid, body_parentid, body_jntnum, body_jntadr, body_dofnum, body_dofadr, jnt_type, jnt_dofadr, gravity,
        qvel_in, cdof_out, cmass_out, cmc_out, crot_out, cvel_out, cacc_out, cfrc_out, qfrc_bias_out)
    crb(worldid, body_parentid, dof_bodyid, dof_parentid, dof_armature, cdof_out, cmass_out, cmc_out, crot_out, qM_out)
    for d in range(qacc_out.shape[1]):
        qacc_out[worldid, d] = 0.0
    smooth_force(worldid, h, jnt_type, jnt_qposadr, jnt_dofadr, jnt_stiffness, qpos_spring, dof_damping,
                 dof_damping_scale, dof_actfrclimited, dof_actfrcrange, dof_actgravcomp, actuator_dofadr,
                 actuator_qposadr, actuator_gear, actuator_ctrlrange, actuator_ctrllimited, actuator_gain,
                 actuator_bias, actuator_forcerange, actuator_forcelimited, actuator_gear_scale, actuator_affine,
                 implicit_actuators, gravity, body_gravcomp, body_mass, body_mass_scale, body_ipos, body_rootid,
                 body_lastdof, dof_parentid, qpos_in, qvel_in, ctrl_in, qfrc_bias_out, xpos_out, xquat_out, cdof_out,
                 qacc_out, qM_out, implicit_b_out)
    factor_solve(worldid, qM_out, qacc_out)
    euler(worldid, h, jnt_type, jnt_qposadr, jnt_dofadr, qpos_in, qvel_in, qacc_out, qpos_out, qvel_out)
"""

# Warp's float64 spatial vector has no (vec3, vec3) constructor: calls go through this helper
_SPATIAL64 = """
@wp.func
def _spatial(a: wp.vec3d, b: wp.vec3d) -> wp.spatial_vectord:
    return wp.spatial_vectord(a[0], a[1], a[2], b[0], b[1], b[2])
"""

_TYPES = [
    (r"\bwp\.spatial_vector\(\)", "wp.spatial_vectord()"),
    (r"\bwp\.spatial_vector\(", "_spatial("),
    (r"\bwp\.spatial_vector\b", "wp.spatial_vectord"),
    (r"\bwp\.vec2\b", "wp.vec2d"),
    (r"\bwp\.vec3\b", "wp.vec3d"),
    (r"\bwp\.vec4\b", "wp.vec4d"),
    (r"\bwp\.quat\b", "wp.quatd"),
    (r"\bwp\.mat33\b", "wp.mat33d"),
    (r"\bwp\.quat_identity\(\)", "wp.quat_identity(dtype=wp.float64)"),
    (r"\bfloat\b", "wp.float64"),
    # Warp types a bare float literal as float32: wrap each one
    (r"(?<![\w.])(\d+\.\d*(?:[eE][-+]?\d+)?)", r"wp.float64(\1)"),
]


def float64_source() -> str:
    """The stage functions and a one-substep kernel, rewritten for float64 (see the module docstring)."""
    parts = [
        "import warp as wp",
        "from kernels.types import JNT_FREE, JNT_HINGE",
        'wp.set_module_options({"enable_backward": False, "max_unroll": 1})',
    ]
    for path, names in _STAGES.items():
        with open(os.path.join(KERNELS_ROOT, path)) as f:
            text = f.read()
        lines = text.splitlines()
        for node in ast.parse(text).body:
            if isinstance(node, ast.FunctionDef) and node.decorator_list and (names is None or node.name in names):
                if ast.unparse(node.decorator_list[0]) != "wp.func":
                    continue
                parts.append("\n".join(lines[node.decorator_list[0].lineno - 1 : node.end_lineno]))
    src = "\n\n\n".join(parts + [_STEP64])
    for pattern, repl in _TYPES:
        src = re.sub(pattern, repl, src)
    header, body = src.split("\n", 1)
    return "\n".join([header, _SPATIAL64, body])


def load_float64_kernels():
    """Import the generated float64 module (written to a temporary file, as Warp reads a function's source)."""
    folder = tempfile.mkdtemp(prefix="cleanppo_f64_")
    path = os.path.join(folder, "kernels_float64.py")
    with open(path, "w") as f:
        f.write(float64_source())
    spec = importlib.util.spec_from_file_location("kernels_float64", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["kernels_float64"] = module
    spec.loader.exec_module(module)
    return module


_F64 = {
    float: wp.float64,
    wp.float32: wp.float64,
    wp.vec2: wp.vec2d,
    wp.vec3: wp.vec3d,
    wp.quat: wp.quatd,
    wp.mat33: wp.mat33d,
}
_F64[wp.spatial_vector] = wp.spatial_vectord
_F64[vec5] = wp.types.vector(length=5, dtype=wp.float64)


class Float64Sim:
    """Our Euler step built for float64: the Simulator's model and data arrays, every float one in float64."""

    def __init__(self, model, num_envs: int, module):
        def array64(x, dtype, device, shape=None):
            a = np.ascontiguousarray(np.asarray(x))
            if shape is not None:
                a = a.reshape(shape)
            if dtype is int:
                return wp.array(a.astype(np.int32), dtype=int, device=device)
            return wp.array(a.astype(np.float64), dtype=_F64[dtype], device=device)

        original, io._array = io._array, array64
        try:
            m = io.put_model(model, "cpu", False, False, 1, float(model.opt.timestep), 1e-3)
        finally:
            io._array = original
        fields = {k: getattr(m, k) for k in m.__dataclass_fields__}
        for k in ("body_mass_scale", "actuator_gear_scale", "dof_damping_scale"):
            fields[k] = wp.ones(fields[k].shape, dtype=wp.float64, device="cpu")
        fields["gravity"] = wp.vec3d(*np.asarray(model.opt.gravity, dtype=np.float64))
        fields["timestep"] = wp.float64(float(model.opt.timestep))
        d = io.make_data(model, num_envs, "cpu")
        for name in Data.__dataclass_fields__:
            a = getattr(d, name)
            fields[name] = wp.zeros(a.shape, dtype=_F64.get(a.dtype, a.dtype), device="cpu")
        self.fields, self.kernel, self.num_envs = fields, module.step64, num_envs

    def set_state(self, qpos, qvel, ctrl):
        """Copy float64 qpos [N, nq], qvel [N, nv], ctrl [N, nu] into the state."""
        for k, v in (("qpos", qpos), ("qvel", qvel), ("ctrl", ctrl)):
            self.fields[k].assign(np.asarray(v, dtype=np.float64))

    def step(self):
        """One Euler step of model.opt.timestep [s]."""
        wp.launch(self.kernel, dim=self.num_envs, inputs=launch_inputs(self.kernel, self.fields), device="cpu")

    def qpos(self) -> np.ndarray:
        """qpos [N, nq] (float64, a copy)."""
        return self.fields["qpos"].numpy().copy()


def _mujoco_unstable(m: mujoco.MjModel, qpos, qvel, ctrl) -> bool:
    """Whether MuJoCo flagged a bad qacc (and reset the state) in any rollout: explicit springs past Euler's limit."""
    d = mujoco.MjData(m)
    for i in range(qpos.shape[0]):
        mujoco.mj_resetData(m, d)
        d.qpos[:], d.qvel[:], d.ctrl[:] = qpos[i], qvel[i], ctrl[i]
        for _ in range(NUM_STEPS):
            mujoco.mj_step(m, d)
        if d.warning[mujoco.mjtWarning.mjWARN_BADQACC].number > 0:
            return True
    return False


def compare(seed: int, module, device: str = "cpu") -> dict:
    """qpos deviation from MuJoCo after 1 and NUM_STEPS steps: float32 kernels, float64 build, MuJoCo perturbed."""
    m = _model(conditioning_tree_xml(seed))
    qpos, qvel, ctrl = _random_states(m, seed)
    n = qpos.shape[0]
    sim32 = Simulator(m, n, device=device)
    dev = sim32._torch_device
    sim32.set_state(
        torch.tensor(qpos, dtype=torch.float32, device=dev), torch.tensor(qvel, dtype=torch.float32, device=dev)
    )
    ctrl32 = torch.tensor(ctrl, dtype=torch.float32, device=dev)
    sim64 = Float64Sim(m, n, module)
    sim64.set_state(qpos, qvel, ctrl)
    ref1 = _mujoco_rollout(m, qpos, qvel, ctrl, 1)
    ref = _mujoco_rollout(m, qpos, qvel, ctrl)
    out = {"seed": seed, "nv": int(m.nv)}
    for k in range(NUM_STEPS):
        sim32.step(ctrl32)
        sim64.step()
        if k == 0:
            out["f32_1"] = float(np.abs(sim32.get_state()[0].cpu().numpy() - ref1).max())
            out["f64_1"] = float(np.abs(sim64.qpos() - ref1).max())
    out["f32_100"] = float(np.abs(sim32.get_state()[0].cpu().numpy() - ref).max())
    out["f64_100"] = float(np.abs(sim64.qpos() - ref).max())
    out["unstable"] = _mujoco_unstable(m, qpos, qvel, ctrl)
    shifted = qpos + 1e-7 * np.random.default_rng(0).normal(size=qpos.shape)
    out["sensitivity_100"] = float(np.abs(_mujoco_rollout(m, shifted, qvel, ctrl) - ref).max())
    out["max_qpos"] = float(np.abs(ref).max())
    return out


def main():
    """Compare over --trees seeds and write a markdown table (the worst trees by float32 deviation)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", type=int, default=200)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--seeds", type=int, nargs="*", default=None, help="these seeds instead of --first/--trees")
    parser.add_argument("--device", default="cpu", help="device of the float32 kernels (the float64 build: cpu)")
    parser.add_argument("--out", default=None)
    parser.add_argument("--kernels-root", default=ROOT, help="source tree whose kernels/ to measure")
    args = parser.parse_args()
    wp.config.quiet = True
    module = load_float64_kernels()
    seeds = args.seeds if args.seeds else range(args.first, args.first + args.trees)
    rows = [compare(s, module, args.device) for s in seeds]
    stable = [r for r in rows if not r["unstable"]]
    fair = [r for r in stable if r["sensitivity_100"] < FAIR_SENSITIVITY]
    prov = provenance()
    kernels_commit = subprocess.run(
        ["git", "-C", KERNELS_ROOT, "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    lines = [
        "# Float32 conditioning: our float32 kernels, their float64 build and MuJoCo (issue 12, item 5)",
        "",
        f"Command: `{command_line()}`  ",
        f"Commit {prov['git_commit']}, kernels/ of commit {kernels_commit}, {prov['date_utc']}; "
        f"Warp {wp.__version__}, MuJoCo {mujoco.__version__}, float32 kernels on {args.device}.",
        "",
        f"{len(rows)} random trees (tests/test_conditioning.py's generator, {NUM_STEPS} Euler steps of 5 ms, 4 random "
        f"states each, no contacts or limits); {len(rows) - len(stable)} blow up in MuJoCo (explicit stiff "
        f"springs past Euler's stability limit: MuJoCo warns and resets) and are left out; of the {len(stable)} "
        f"others, {len(fair)} amplify a 1e-7 change of the start state by less than {FAIR_SENSITIVITY:.0e} after 100 "
        "steps ('fair': float32's rounding of the mass matrix alone moves a step by up to ~1e-7 of qpos, and what a "
        "tree amplifies more than 200x no float32 simulator can hold within 2e-3).",
        "",
        "qpos deviation from MuJoCo, max over states and coordinates:",
        "",
        "| set | trees | float32 1 step (median / max) | float64 build 1 step (max) | float32 100 steps "
        "(median / max) | float64 build 100 steps (max) | float32 > 2e-3 after 100 steps |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, group in (("all stable", stable), ("fair", fair)):
        if not group:
            continue
        col = {k: np.array([r[k] for r in group]) for k in group[0] if k != "seed"}
        lines.append(
            f"| {name} | {len(group)} | {np.median(col['f32_1']):.1e} / {col['f32_1'].max():.1e} | "
            f"{col['f64_1'].max():.1e} | {np.median(col['f32_100']):.1e} / {col['f32_100'].max():.1e} | "
            f"{col['f64_100'].max():.1e} | {int((col['f32_100'] > 2e-3).sum())} |"
        )
    lines += [
        "",
        "The ten stable trees with the largest float32 deviation after 100 steps, then the five largest after one:",
        "",
        "| seed | nv | float32 1 step | float64 1 step | float32 100 steps | float64 100 steps | MuJoCo, start "
        "moved 1e-7 |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    worst = sorted(stable, key=lambda r: -r["f32_100"])[:10]
    worst += [r for r in sorted(stable, key=lambda r: -r["f32_1"])[:5] if r not in worst]
    for r in worst:
        lines.append(
            f"| {r['seed']} | {r['nv']} | {r['f32_1']:.1e} | {r['f64_1']:.1e} | {r['f32_100']:.1e} | "
            f"{r['f64_100']:.1e} | {r['sensitivity_100']:.1e} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
