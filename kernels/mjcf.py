"""MJCF-subset loader: an MJCF file or string -> a host-side (numpy, float64) `Model`.

The `Model` mirrors `mujoco.MjModel`: every field has MuJoCo's name, shape, units and frame, so a test
compares `model.X` with `mj_model.X` directly and the articulated-body simulator (kernels/articulation.py)
can be written against MuJoCo's documentation. Supported: the subset used by Gymnasium's MuJoCo models.

    compiler   angle, coordinate="local", inertiafromgeom, settotalmass, eulerseq, autolimits, boundmass,
               boundinertia, balanceinertia, inertiagrouprange (+ asset-path attributes, ignored)
    option     timestep, gravity, integrator, cone, impratio (+ MuJoCo solver settings, ignored)
    default    nested classes with joint, geom, motor, tendon; `class` and `childclass`
    body       pos, orientation (quat, euler, axisangle, xyaxes, zaxis), childclass, <inertial>
    joint      free, ball, slide, hinge; <freejoint>; armature, damping, stiffness, frictionloss,
               range, limited (true/false/auto), ref, springref, margin, solreflimit, solimplimit
    geom       plane, sphere, capsule, ellipsoid, cylinder, box; size, fromto, pos, orientation,
               density, mass, friction, condim, contype, conaffinity, margin, gap, solref, solimp, ...
    motor      joint transmission, gear, ctrlrange, ctrllimited, forcerange, forcelimited
    tendon     <fixed> tendons only when they exert no force (no stiffness, damping, friction, limit)

Visual-only and bookkeeping elements (asset, visual, statistic, custom, size, light, camera, site,
sensor, keyframe) are ignored. Anything else that would change the dynamics (equality, contact pairs or
excludes, spatial tendons, non-motor actuators, mesh/hfield geoms, fluid forces, unknown attributes)
raises `MJCFError` naming the source, line, element and attribute.

Compilation follows MuJoCo's compiler (google-deepmind/mujoco: src/user/user_objects.cc for geom mass
and inertia, fromto and the body inertial frame; src/user/user_util.cc for orientation conversions and
the Jacobi eigen-decomposition; src/user/user_model.cc for addresses, qpos0 and the mass check;
src/engine/engine_support.c mj_setTotalmass). The code here is written from those descriptions.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import xml.parsers.expat

import numpy as np

__all__ = ["MJCFError", "Model", "Option", "load_mjcf"]

# mjtJoint
JNT_FREE, JNT_BALL, JNT_SLIDE, JNT_HINGE = 0, 1, 2, 3
# mjtGeom
GEOM_PLANE, GEOM_HFIELD, GEOM_SPHERE, GEOM_CAPSULE, GEOM_ELLIPSOID, GEOM_CYLINDER, GEOM_BOX = 0, 1, 2, 3, 4, 5, 6
# mjtIntegrator, mjtCone
_INTEGRATORS = {"Euler": 0, "RK4": 1, "implicit": 2, "implicitfast": 3}
_CONES = {"pyramidal": 0, "elliptic": 1}

_JOINT_TYPES = {"free": JNT_FREE, "ball": JNT_BALL, "slide": JNT_SLIDE, "hinge": JNT_HINGE}
_GEOM_TYPES = {
    "plane": GEOM_PLANE,
    "sphere": GEOM_SPHERE,
    "capsule": GEOM_CAPSULE,
    "ellipsoid": GEOM_ELLIPSOID,
    "cylinder": GEOM_CYLINDER,
    "box": GEOM_BOX,
}
# number of size parameters that must be positive per geom type (MuJoCo's mjGEOMINFO)
_GEOM_NSIZE = {GEOM_SPHERE: 1, GEOM_CAPSULE: 2, GEOM_ELLIPSOID: 3, GEOM_CYLINDER: 2, GEOM_BOX: 3}

MJ_EPS = 1e-14  # user_util.h mjEPS: "minimum value in various calculations"
MJ_MINVAL = 1e-15  # mjtype.h mjMINVAL: "minimum value in any denominator"
_EIG_EPS = 1e-12  # user_util.cc kEigEPS


class MJCFError(ValueError):
    """Invalid or unsupported MJCF; the message names the source, line, element and attribute."""


# ----------------------------------------------------------------------------------------------------
# Model


@dataclasses.dataclass
class Option:
    """Physics options (MuJoCo `mjOption` subset).

    Attributes:
        timestep: integration step, seconds.
        gravity: (3,) gravitational acceleration in the world frame, m/s^2.
        integrator: mjtIntegrator (Euler=0, RK4=1, implicit=2, implicitfast=3).
        cone: mjtCone friction cone of MuJoCo's solver (pyramidal=0, elliptic=1).
        impratio: MuJoCo's frictional-to-normal constraint impedance ratio (dimensionless).
    """

    timestep: float = 0.002
    gravity: np.ndarray = dataclasses.field(default_factory=lambda: np.array([0.0, 0.0, -9.81]))
    integrator: int = 0
    cone: int = 0
    impratio: float = 1.0


@dataclasses.dataclass
class Model:
    """Compiled model, field for field as `mujoco.MjModel` (float64 host arrays, SI units, z up).

    Frames: "parent frame" is the parent body's frame, "body frame" the body's own frame; quaternions are
    (w, x, y, z) unit quaternions; world body 0 is included in every body array. Angles are radians
    (the loader converts degrees per `compiler angle`). Indices are int32, -1 meaning "none".

    Sizes:
        nbody: number of bodies including the world body 0.
        njnt: number of joints. nq: generalized positions. nv: degrees of freedom. nu: actuators.
        ngeom: number of geoms.

    Bodies (nbody, ...), in depth-first document order:
        body_parentid: parent body id (world: 0).
        body_rootid: id of the top-level ancestor (a child of the world); world: 0.
        body_weldid: id of the nearest ancestor-or-self with joints (bodies welded to it move with it).
        body_jntnum, body_jntadr: number of joints and first joint id (-1 if none).
        body_dofnum, body_dofadr: number of dofs and first dof id (-1 if none).
        body_pos: (nbody, 3) body frame position in the parent frame, m.
        body_quat: (nbody, 4) body frame orientation in the parent frame.
        body_ipos: (nbody, 3) center of mass (inertial frame origin) in the body frame, m.
        body_iquat: (nbody, 4) principal-axes (inertial) frame orientation in the body frame.
        body_mass: (nbody,) kg.
        body_inertia: (nbody, 3) principal moments of inertia about the center of mass, in the inertial
            frame's axes, kg m^2.

    Joints (njnt, ...), in document order:
        jnt_type: mjtJoint (FREE=0, BALL=1, SLIDE=2, HINGE=3).
        jnt_bodyid: body the joint moves (relative to its parent).
        jnt_qposadr, jnt_dofadr: first index into qpos / qvel.
        jnt_pos: (njnt, 3) joint anchor in the body frame, m (zero for free joints).
        jnt_axis: (njnt, 3) unit axis in the body frame (hinge: rotation axis, slide: translation axis;
            (0, 0, 1) for free and ball joints).
        jnt_stiffness: spring stiffness, N m/rad (hinge) or N/m (slide); free/ball: per unit of the
            rotation vector and displacement.
        jnt_range: (njnt, 2) limits, rad (hinge, ball: max angle in [1]) or m (slide). Converted from
            degrees only for limited joints, exactly as MuJoCo does.
        jnt_limited: (njnt,) bool, whether the range is enforced.
        jnt_margin: limit activation distance of MuJoCo's solver, rad or m.
        jnt_solref: (njnt, 2), jnt_solimp: (njnt, 5) MuJoCo solver parameters of the joint limit.

    Generalized coordinates:
        qpos0: (nq,) reference configuration (free: body pos + quat in the world frame; ball: identity;
            hinge/slide: `ref`), rad or m.
        qpos_spring: (nq,) spring rest configuration (hinge/slide: `springref`; free/ball: as qpos0).

    Dofs (nv, ...):
        dof_bodyid, dof_jntid: owning body and joint.
        dof_parentid: parent dof in the kinematic tree (-1 for the first dof of a tree).
        dof_armature: rotor inertia added to the mass matrix diagonal, kg m^2 or kg.
        dof_damping: viscous damping, N m s/rad or N s/m.
        dof_frictionloss: dry friction, N m or N.

    Geoms (ngeom, ...), grouped by body in body order:
        geom_type: mjtGeom (PLANE=0, SPHERE=2, CAPSULE=3, ELLIPSOID=4, CYLINDER=5, BOX=6).
        geom_bodyid: owning body.
        geom_size: (ngeom, 3) m: sphere (r, -, -), capsule/cylinder (r, half-length, -), box and
            ellipsoid half-sizes, plane (half-x, half-y, grid spacing; 0 half-size = infinite).
        geom_pos: (ngeom, 3) position in the body frame, m.
        geom_quat: (ngeom, 4) orientation in the body frame (capsule/cylinder axis = local z).
        geom_friction: (ngeom, 3) sliding (dimensionless), torsional (m), rolling (m) coefficients.
        geom_contype, geom_conaffinity: contact bitmasks. geom_condim: contact dimensionality (1, 3, 4, 6).
        geom_priority, geom_solmix: contact-mixing parameters.
        geom_margin, geom_gap: contact activation distance and inactive gap, m.
        geom_solref: (ngeom, 2), geom_solimp: (ngeom, 5) MuJoCo contact solver parameters.

    Actuators (nu, ...), all motors (force = gear * ctrl):
        actuator_trnid: (nu, 2) transmission target: [joint id, -1].
        actuator_gear: (nu, 6) gear; [0] scales the control into joint force/torque (N or N m per unit).
        actuator_ctrlrange: (nu, 2), actuator_ctrllimited: (nu,) bool: control clamp.
        actuator_forcerange: (nu, 2), actuator_forcelimited: (nu,) bool: actuator force clamp, N or N m.

    Options: `opt` (an `Option`), also flat as `opt_timestep` (s) and `opt_gravity` (3,), m/s^2.

    Names ("" when unnamed; body 0 is "world"): body_names, joint_names, geom_names, actuator_names.
    """

    nbody: int
    njnt: int
    nq: int
    nv: int
    nu: int
    ngeom: int
    body_parentid: np.ndarray
    body_rootid: np.ndarray
    body_weldid: np.ndarray
    body_jntnum: np.ndarray
    body_jntadr: np.ndarray
    body_dofnum: np.ndarray
    body_dofadr: np.ndarray
    body_pos: np.ndarray
    body_quat: np.ndarray
    body_ipos: np.ndarray
    body_iquat: np.ndarray
    body_mass: np.ndarray
    body_inertia: np.ndarray
    jnt_type: np.ndarray
    jnt_bodyid: np.ndarray
    jnt_qposadr: np.ndarray
    jnt_dofadr: np.ndarray
    jnt_pos: np.ndarray
    jnt_axis: np.ndarray
    jnt_stiffness: np.ndarray
    jnt_range: np.ndarray
    jnt_limited: np.ndarray
    jnt_margin: np.ndarray
    jnt_solref: np.ndarray
    jnt_solimp: np.ndarray
    qpos0: np.ndarray
    qpos_spring: np.ndarray
    dof_bodyid: np.ndarray
    dof_jntid: np.ndarray
    dof_parentid: np.ndarray
    dof_armature: np.ndarray
    dof_damping: np.ndarray
    dof_frictionloss: np.ndarray
    geom_type: np.ndarray
    geom_bodyid: np.ndarray
    geom_size: np.ndarray
    geom_pos: np.ndarray
    geom_quat: np.ndarray
    geom_friction: np.ndarray
    geom_contype: np.ndarray
    geom_conaffinity: np.ndarray
    geom_condim: np.ndarray
    geom_priority: np.ndarray
    geom_solmix: np.ndarray
    geom_margin: np.ndarray
    geom_gap: np.ndarray
    geom_solref: np.ndarray
    geom_solimp: np.ndarray
    actuator_trnid: np.ndarray
    actuator_gear: np.ndarray
    actuator_ctrlrange: np.ndarray
    actuator_ctrllimited: np.ndarray
    actuator_forcerange: np.ndarray
    actuator_forcelimited: np.ndarray
    opt: Option
    body_names: list[str]
    joint_names: list[str]
    geom_names: list[str]
    actuator_names: list[str]

    @property
    def opt_timestep(self) -> float:
        """Integration step, seconds."""
        return self.opt.timestep

    @property
    def opt_gravity(self) -> np.ndarray:
        """Gravity (3,) in the world frame, m/s^2."""
        return self.opt.gravity

    @property
    def timestep(self) -> float:
        """Integration step, seconds (alias of opt.timestep)."""
        return self.opt.timestep


# ----------------------------------------------------------------------------------------------------
# XML with line numbers: expat directly, because ElementTree's C parser does not expose line numbers.


@dataclasses.dataclass
class _Node:
    tag: str
    attrib: dict[str, str]
    line: int
    source: str
    children: list[_Node] = dataclasses.field(default_factory=list)

    def where(self) -> str:
        name = self.attrib.get("name")
        label = f"<{self.tag} name='{name}'>" if name else f"<{self.tag}>"
        return f"{self.source}:{self.line}: {label}"

    def error(self, msg: str, attr: str | None = None) -> MJCFError:
        if attr is not None:
            return MJCFError(f"{self.where()} attribute '{attr}': {msg}")
        return MJCFError(f"{self.where()}: {msg}")


def _parse_xml(text: str | bytes, source: str) -> _Node:
    parser = xml.parsers.expat.ParserCreate()
    stack: list[_Node] = []
    roots: list[_Node] = []

    def start(tag, attrib):
        node = _Node(tag, dict(attrib), parser.CurrentLineNumber, source)
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def end(tag):
        stack.pop()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(text, True)
    except xml.parsers.expat.ExpatError as e:
        raise MJCFError(f"{source}:{e.lineno}: malformed XML: {xml.parsers.expat.ErrorString(e.code)}") from None
    root = roots[0]
    if root.tag != "mujoco":
        raise root.error("root element must be <mujoco>")
    return root


# ----------------------------------------------------------------------------------------------------
# Attribute parsing. A spec is (kind, count): kind in "float", "int", "str", "bool", "limited", "enum:<a|b>";
# count is an int (exactly that many numbers) or (lo, hi): partial vectors overwrite the leading entries
# of the inherited value, as MuJoCo's reader does (friction="0.9" keeps the default torsional/rolling).

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_ORIENTATION = {"quat": 4, "axisangle": 4, "euler": 3, "xyaxes": 6, "zaxis": 3}


def _parse_value(node: _Node, attr: str, spec: tuple, inherited=None):
    kind, count = spec
    text = node.attrib[attr]
    if kind == "str":
        return text
    if kind == "bool":
        if text not in ("true", "false"):
            raise node.error(f"expected 'true' or 'false', got '{text}'", attr)
        return text == "true"
    if kind == "limited":
        if text not in ("true", "false", "auto"):
            raise node.error(f"expected 'true', 'false' or 'auto', got '{text}'", attr)
        return text
    if kind.startswith("enum:"):
        options = kind[5:].split("|")
        if text not in options:
            raise node.error(f"expected one of {options}, got '{text}'", attr)
        return text
    tokens = text.split()
    pattern = _INTEGER if kind == "int" else _NUMBER
    for tok in tokens:
        if not pattern.fullmatch(tok):
            what = "an integer" if kind == "int" else "a finite number"
            raise node.error(f"'{tok}' is not {what} (in '{text}')", attr)
    values = [int(t) if kind == "int" else float(t) for t in tokens]
    if kind == "float" and not all(math.isfinite(v) for v in values):  # overflow such as 1e999
        raise node.error(f"non-finite number in '{text}'", attr)
    lo, hi = (count, count) if isinstance(count, int) else count
    if not lo <= len(values) <= hi:
        expected = f"{lo}" if lo == hi else f"{lo} to {hi}"
        raise node.error(f"expected {expected} numbers, got {len(values)} ('{text}')", attr)
    if hi == 1:
        return values[0]
    out = np.array(values, dtype=np.float64 if kind == "float" else np.int64)
    if len(values) < hi and inherited is not None:
        full = np.array(inherited, dtype=out.dtype).copy()
        full[: len(values)] = out
        out = full
    return out


def _read_attrs(node: _Node, specs: dict, ignored: frozenset, base: dict, skip=("class",)) -> dict:
    """Overlay a node's attributes on `base` (inherited values); unknown attributes are errors."""
    out = dict(base)
    for attr in node.attrib:
        if attr in skip or attr in ignored:
            continue
        if attr not in specs:
            raise node.error("unsupported attribute (it is not in the supported MJCF subset)", attr)
        out[attr] = _parse_value(node, attr, specs[attr], base.get(attr))
    return out


_F, _I, _S, _B, _L = "float", "int", "str", "bool", "limited"
_ORIENT_SPECS = {k: (_F, n) for k, n in _ORIENTATION.items()}

_JOINT_SPECS = {
    "name": (_S, 1),
    "type": ("enum:free|ball|slide|hinge", 1),
    "pos": (_F, 3),
    "axis": (_F, 3),
    "limited": (_L, 1),
    "range": (_F, 2),
    "ref": (_F, 1),
    "springref": (_F, 1),
    "stiffness": (_F, 1),
    "damping": (_F, 1),
    "armature": (_F, 1),
    "frictionloss": (_F, 1),
    "margin": (_F, 1),
    "solreflimit": (_F, (1, 2)),
    "solimplimit": (_F, (1, 5)),
    "springdamper": (_F, 2),
    "actuatorfrclimited": (_L, 1),
    "actuatorfrcrange": (_F, 2),
    "actuatorgravcomp": (_B, 1),
}
# group: visualization group; user: custom data; solref/solimpfriction: only meaningful with frictionloss
# in MuJoCo's own solver
_JOINT_IGNORED = frozenset({"group", "user", "solreffriction", "solimpfriction"})
_JOINT_DEFAULTS = {
    "type": "hinge",
    "pos": np.zeros(3),
    "axis": np.array([0.0, 0.0, 1.0]),
    "limited": "auto",
    "range": np.zeros(2),
    "ref": 0.0,
    "springref": 0.0,
    "stiffness": 0.0,
    "damping": 0.0,
    "armature": 0.0,
    "frictionloss": 0.0,
    "margin": 0.0,
    "solreflimit": np.array([0.02, 1.0]),
    "solimplimit": np.array([0.9, 0.95, 0.001, 0.5, 2.0]),
    "springdamper": np.zeros(2),
    "actuatorfrclimited": "auto",
    "actuatorfrcrange": np.zeros(2),
    "actuatorgravcomp": False,
}

_GEOM_SPECS = {
    "name": (_S, 1),
    "type": ("enum:" + "|".join(_GEOM_TYPES) + "|mesh|hfield|sdf", 1),
    "size": (_F, (1, 3)),
    "pos": (_F, 3),
    "fromto": (_F, 6),
    "density": (_F, 1),
    "mass": (_F, 1),
    "friction": (_F, (1, 3)),
    "condim": (_I, 1),
    "contype": (_I, 1),
    "conaffinity": (_I, 1),
    "priority": (_I, 1),
    "solmix": (_F, 1),
    "margin": (_F, 1),
    "gap": (_F, 1),
    "solref": (_F, (1, 2)),
    "solimp": (_F, (1, 5)),
    "group": (_I, 1),
    "shellinertia": (_B, 1),
    "fluidshape": ("enum:none|ellipsoid", 1),
    "mesh": (_S, 1),
    "hfield": (_S, 1),
    **_ORIENT_SPECS,
}
# visual-only attributes; fluidcoef only acts with fluidshape="ellipsoid", which is rejected
_GEOM_IGNORED = frozenset({"rgba", "material", "user", "fluidcoef"})
_GEOM_DEFAULTS = {
    "type": "sphere",
    "size": np.zeros(3),
    "pos": np.zeros(3),
    "density": 1000.0,
    "friction": np.array([1.0, 0.005, 0.0001]),
    "condim": 3,
    "contype": 1,
    "conaffinity": 1,
    "priority": 0,
    "solmix": 1.0,
    "margin": 0.0,
    "gap": 0.0,
    "solref": np.array([0.02, 1.0]),
    "solimp": np.array([0.9, 0.95, 0.001, 0.5, 2.0]),
    "group": 0,
    "shellinertia": False,
    "fluidshape": "none",
}

_MOTOR_SPECS = {
    "name": (_S, 1),
    "joint": (_S, 1),
    "gear": (_F, (1, 6)),
    "ctrlrange": (_F, 2),
    "ctrllimited": (_L, 1),
    "forcerange": (_F, 2),
    "forcelimited": (_L, 1),
}
_MOTOR_IGNORED = frozenset({"group", "user"})
_MOTOR_DEFAULTS = {
    "gear": np.array([1.0, 0, 0, 0, 0, 0]),
    "ctrlrange": np.zeros(2),
    "ctrllimited": "auto",
    "forcerange": np.zeros(2),
    "forcelimited": "auto",
}

_TENDON_SPECS = {
    "name": (_S, 1),
    "limited": (_L, 1),
    "range": (_F, 2),
    "stiffness": (_F, 1),
    "damping": (_F, 1),
    "frictionloss": (_F, 1),
    "armature": (_F, 1),
    "springlength": (_F, (1, 2)),
    "margin": (_F, 1),
    "solreflimit": (_F, (1, 2)),
    "solimplimit": (_F, (1, 5)),
    "solreffriction": (_F, (1, 2)),
    "solimpfriction": (_F, (1, 5)),
    "actuatorfrclimited": (_L, 1),
    "actuatorfrcrange": (_F, 2),
}
_TENDON_IGNORED = frozenset({"group", "user", "rgba", "width", "material"})
_TENDON_DEFAULTS = {
    "limited": "auto",
    "range": np.zeros(2),
    "stiffness": 0.0,
    "damping": 0.0,
    "frictionloss": 0.0,
    "armature": 0.0,
    "actuatorfrclimited": "auto",
    "actuatorfrcrange": np.zeros(2),
}

_BODY_SPECS = {
    "name": (_S, 1),
    "childclass": (_S, 1),
    "pos": (_F, 3),
    "mocap": (_B, 1),
    "gravcomp": (_F, 1),
    **_ORIENT_SPECS,
}
_BODY_IGNORED = frozenset({"user", "simple", "sleep"})  # simple/sleep: performance hints only

_INERTIAL_SPECS = {"pos": (_F, 3), "mass": (_F, 1), "diaginertia": (_F, 3), "fullinertia": (_F, 6), **_ORIENT_SPECS}

_COMPILER_SPECS = {
    "angle": ("enum:degree|radian", 1),
    "coordinate": ("enum:local|global", 1),
    "inertiafromgeom": ("enum:true|false|auto", 1),
    "settotalmass": (_F, 1),
    "eulerseq": (_S, 1),
    "autolimits": (_B, 1),
    "boundmass": (_F, 1),
    "boundinertia": (_F, 1),
    "balanceinertia": (_B, 1),
    "inertiagrouprange": (_I, 2),
    "fusestatic": (_B, 1),
    "alignfree": (_B, 1),
}
# asset paths, mesh processing, threading and output options do not change the compiled dynamics here
_COMPILER_IGNORED = frozenset(
    {
        "meshdir",
        "texturedir",
        "assetdir",
        "strippath",
        "discardvisual",
        "usethread",
        "fitaabb",
        "saveinertial",
        "exactmeshinertia",
        "conflict",
    }
)

_OPTION_SPECS = {
    "timestep": (_F, 1),
    "gravity": (_F, 3),
    "integrator": ("enum:" + "|".join(_INTEGRATORS), 1),
    "cone": ("enum:" + "|".join(_CONES), 1),
    "impratio": (_F, 1),
    "density": (_F, 1),
    "viscosity": (_F, 1),
    "wind": (_F, 3),
}
# numerical settings of MuJoCo's own constraint solver and collision routines: no counterpart here
_OPTION_IGNORED = frozenset(
    {
        "tolerance",
        "ls_tolerance",
        "noslip_tolerance",
        "ccd_tolerance",
        "sleep_tolerance",
        "jacobian",
        "solver",
        "iterations",
        "ls_iterations",
        "noslip_iterations",
        "ccd_iterations",
        "sdf_iterations",
        "sdf_initpoints",
        "apirate",
        "magnetic",
        "actuatorgroupdisable",
    }
)

# elements that never change the dynamics: ignored wherever they appear
_VISUAL_TOP = frozenset({"asset", "visual", "statistic", "custom", "size", "sensor", "keyframe", "extension"})
_VISUAL_IN_BODY = frozenset({"site", "camera", "light"})
_VISUAL_IN_DEFAULT = frozenset({"site", "camera", "light", "material", "mesh", "texture", "hfield", "skin"})
_FORCE_TOP = frozenset({"contact", "equality", "deformable"})  # fine only when empty


# ----------------------------------------------------------------------------------------------------
# Quaternion and orientation helpers (numpy, wxyz), following user_util.cc's conventions.


def _normalize(v: np.ndarray) -> tuple[np.ndarray, float]:
    """Return (v / |v|, |v|); like mjuu_normvec, leaves v unchanged if |v|^2 < mjEPS or |v| within mjEPS of 1."""
    v = np.asarray(v, dtype=np.float64)
    n2 = float(v @ v)
    if n2 < MJ_EPS:
        return v.copy(), 0.0
    n = math.sqrt(n2)
    return (v / n if abs(n - 1.0) > MJ_EPS else v.copy()), n


def quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product a*b of wxyz quaternions, normalized (rotation b then a, as frames compose)."""
    w1, x1, y1, z1 = a
    w2, x2, y2, z2 = b
    q = np.array(
        [
            w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
            w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
            w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
            w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
        ]
    )
    return _normalize(q)[0]


def quat_to_mat(q: np.ndarray) -> np.ndarray:
    """Rotation matrix (3, 3) of a unit wxyz quaternion: columns are the rotated frame's axes."""
    w, x, y, z = q
    return np.array(
        [
            [w * w + x * x - y * y - z * z, 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), w * w - x * x + y * y - z * z, 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), w * w - x * x - y * y + z * z],
        ]
    )


def _z_to_quat(vec: np.ndarray) -> np.ndarray:
    """Minimal rotation taking +z to unit vector `vec` (mjuu_z2quat); 180 degrees turns about x."""
    axis, s = _normalize(np.cross([0.0, 0.0, 1.0], vec))
    if s < 1e-10:
        axis = np.array([1.0, 0.0, 0.0])
    ang = math.atan2(s, vec[2])
    return np.concatenate([[math.cos(ang / 2)], axis * math.sin(ang / 2)])


def _frame_to_quat(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Quaternion of the rotation whose columns are the unit axes x, y, z (mjuu_frame2quat branch order)."""
    m = np.stack([x, y, z])  # m[c][r]: column c, row r
    tr = m[0][0] + m[1][1] + m[2][2]
    q = np.zeros(4)
    # pick the largest quaternion component to divide by, for numerical stability
    if tr > 0:
        q[0] = 0.5 * math.sqrt(1 + tr)
        q[1] = 0.25 * (m[1][2] - m[2][1]) / q[0]
        q[2] = 0.25 * (m[2][0] - m[0][2]) / q[0]
        q[3] = 0.25 * (m[0][1] - m[1][0]) / q[0]
    elif m[0][0] > m[1][1] and m[0][0] > m[2][2]:
        q[1] = 0.5 * math.sqrt(1 + m[0][0] - m[1][1] - m[2][2])
        q[0] = 0.25 * (m[1][2] - m[2][1]) / q[1]
        q[2] = 0.25 * (m[1][0] + m[0][1]) / q[1]
        q[3] = 0.25 * (m[2][0] + m[0][2]) / q[1]
    elif m[1][1] > m[2][2]:
        q[2] = 0.5 * math.sqrt(1 - m[0][0] + m[1][1] - m[2][2])
        q[0] = 0.25 * (m[2][0] - m[0][2]) / q[2]
        q[1] = 0.25 * (m[1][0] + m[0][1]) / q[2]
        q[3] = 0.25 * (m[2][1] + m[1][2]) / q[2]
    else:
        q[3] = 0.5 * math.sqrt(1 - m[0][0] - m[1][1] + m[2][2])
        q[0] = 0.25 * (m[0][1] - m[1][0]) / q[3]
        q[1] = 0.25 * (m[2][0] + m[0][2]) / q[3]
        q[2] = 0.25 * (m[2][1] + m[1][2]) / q[3]
    return _normalize(q)[0]


def _orientation(node: _Node, attrs: dict, degree: bool, eulerseq: str) -> np.ndarray:
    """Unit quaternion of an element's frame from quat/axisangle/euler/xyaxes/zaxis (ResolveOrientation)."""
    given = [k for k in _ORIENTATION if k in attrs]
    if len(given) > 1:
        raise node.error(f"multiple orientation specifiers {given}; use one")
    if not given:
        return np.array([1.0, 0.0, 0.0, 0.0])
    key = given[0]
    v = np.asarray(attrs[key], dtype=np.float64)
    if key == "quat":
        q, n = _normalize(v)
        if n == 0.0:
            raise node.error("zero quaternion", key)
        return q
    if key == "axisangle":
        axis, n = _normalize(v[:3])
        if n < MJ_EPS:
            raise node.error("zero-length axis", key)
        angle = v[3] * math.pi / 180.0 if degree else v[3]
        return np.concatenate([[math.cos(angle / 2)], math.sin(angle / 2) * axis])
    if key == "zaxis":
        z, n = _normalize(v)
        if n < MJ_EPS:
            raise node.error("zero-length axis", key)
        return _z_to_quat(z)
    if key == "xyaxes":
        x, n = _normalize(v[:3])
        if n < MJ_EPS:
            raise node.error("zero-length x axis", key)
        y, n = _normalize(v[3:] - x * (x @ v[3:]))  # Gram-Schmidt: y orthogonal to x
        if n < MJ_EPS:
            raise node.error("y axis is zero or parallel to x", key)
        z, n = _normalize(np.cross(x, y))
        if n < MJ_EPS:
            raise node.error("x and y axes are parallel", key)
        return _frame_to_quat(x, y, z)
    # euler: lowercase letters rotate about the moving (intrinsic) axes, uppercase about the fixed ones
    angles = v * math.pi / 180.0 if degree else v
    q = np.array([1.0, 0.0, 0.0, 0.0])
    for letter, angle in zip(eulerseq, angles, strict=True):
        rot = np.array([math.cos(angle / 2), 0.0, 0.0, 0.0])
        rot["xyz".index(letter.lower()) + 1] = math.sin(angle / 2)
        q = quat_mul(q, rot) if letter.islower() else quat_mul(rot, q)
    return q


# ----------------------------------------------------------------------------------------------------
# Mass properties


def geom_volume(gtype: int, size: np.ndarray) -> float:
    """Volume of a solid geom, m^3 (planes: 0)."""
    r = size[0]
    if gtype == GEOM_SPHERE:
        return 4.0 * math.pi * r**3 / 3.0
    if gtype == GEOM_CAPSULE:
        return math.pi * (r * r * 2 * size[1] + 4.0 * r**3 / 3.0)
    if gtype == GEOM_CYLINDER:
        return math.pi * r * r * 2 * size[1]
    if gtype == GEOM_ELLIPSOID:
        return 4.0 * math.pi * size[0] * size[1] * size[2] / 3.0
    if gtype == GEOM_BOX:
        return 8.0 * size[0] * size[1] * size[2]
    return 0.0


def geom_inertia(gtype: int, size: np.ndarray, mass: float) -> np.ndarray:
    """Diagonal inertia (3,) of a uniform solid geom about its center, in the geom frame, kg m^2."""
    if gtype == GEOM_SPHERE:
        return np.full(3, 2.0 * mass * size[0] ** 2 / 5.0)
    if gtype == GEOM_CAPSULE:
        r, h = size[0], 2.0 * size[1]
        # split the mass by volume into the cylinder and the two hemispheres (one sphere); the
        # hemisphere term is MuJoCo's: 2/5 m r^2 + m h (3 r + 2 h) / 8 about the transverse axes
        m_sphere = mass * 4.0 * r / (4.0 * r + 3.0 * h)
        m_cyl = mass - m_sphere
        transverse = m_cyl * (3 * r * r + h * h) / 12.0
        axial = m_cyl * r * r / 2.0
        i_sphere = 2.0 * m_sphere * r * r / 5.0
        transverse += i_sphere + m_sphere * h * (3 * r + 2 * h) / 8.0
        return np.array([transverse, transverse, axial + i_sphere])
    if gtype == GEOM_CYLINDER:
        r, h = size[0], 2.0 * size[1]
        transverse = mass * (3 * r * r + h * h) / 12.0
        return np.array([transverse, transverse, mass * r * r / 2.0])
    if gtype == GEOM_ELLIPSOID:
        s2 = np.asarray(size) ** 2
        return mass * np.array([s2[1] + s2[2], s2[0] + s2[2], s2[0] + s2[1]]) / 5.0
    if gtype == GEOM_BOX:
        s2 = np.asarray(size) ** 2
        return mass * np.array([s2[1] + s2[2], s2[0] + s2[2], s2[0] + s2[1]]) / 3.0
    return np.zeros(3)


def principal_axes(full: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Principal moments (3,), decreasing, and the wxyz quaternion of the principal frame of a 3x3 inertia.

    Jacobi iteration on a quaternion-parametrized rotation followed by a bubble sort that swaps axes by
    quarter turns, as MuJoCo's mju_eig3/mjuu_eig3 do, so that body_iquat picks MuJoCo's axis order and
    signs. The half-angle of each rotation is computed as sin(theta)/(2 cos(theta/2)) rather than
    sqrt((1 - cos(theta))/2), which cancels catastrophically for small angles; iterating to an
    off-diagonal of mjMINVAL then reproduces MuJoCo 4.0's converged frames to ~1e-12.
    """
    q = np.array([1.0, 0.0, 0.0, 0.0])
    eigval = np.diag(full).copy()
    tol = MJ_MINVAL * float(np.abs(full).max())
    for _ in range(500):
        rot = quat_to_mat(q)
        d = rot.T @ full @ rot
        eigval = np.diag(d).copy()
        # largest off-diagonal element picks the plane (row, col) and the rotation axis
        if abs(d[0, 1]) > abs(d[0, 2]) and abs(d[0, 1]) > abs(d[1, 2]):
            rk, ck, rotk = 0, 1, 2
        elif abs(d[0, 2]) > abs(d[1, 2]):
            rk, ck, rotk = 0, 2, 1
        else:
            rk, ck, rotk = 1, 2, 0
        if abs(d[rk, ck]) <= tol:
            break
        # 2x2 symmetric Schur decomposition: t = tan(theta), the smaller of the two roots
        tau = (d[ck, ck] - d[rk, rk]) / (2 * d[rk, ck])
        t = 1.0 / (tau + math.sqrt(1 + tau * tau)) if tau >= 0 else -1.0 / (-tau + math.sqrt(1 + tau * tau))
        c = 1.0 / math.sqrt(1 + t * t)
        s = abs(t) * c / math.sqrt(2.0 * (1.0 + c))  # sin(theta / 2)
        if s == 0.0:
            break
        step = np.zeros(4)
        step[rotk + 1] = -s if tau >= 0 else s
        if rotk == 1:  # the (0, 2) plane rotates about -y in a right-handed frame
            step[rotk + 1] = -step[rotk + 1]
        step[0] = math.sqrt(1.0 - s * s)
        q = quat_mul(q, _normalize(step)[0])
    # sort decreasing with pairs (0,1), (1,2), (0,1); each swap is a quarter turn about the third axis
    for j in range(3):
        j1 = j % 2
        if eigval[j1] + _EIG_EPS < eigval[j1 + 1]:
            eigval[j1], eigval[j1 + 1] = eigval[j1 + 1], eigval[j1]
            turn = np.zeros(4)
            turn[0] = 0.707106781186548
            turn[(j1 + 2) % 3 + 1] = 0.707106781186548
            q = quat_mul(q, turn)
    return eigval, q


def _offcenter(mass: float, d: np.ndarray) -> np.ndarray:
    """Parallel-axis term m (|d|^2 I - d d^T), kg m^2."""
    return mass * (float(d @ d) * np.eye(3) - np.outer(d, d))


# ----------------------------------------------------------------------------------------------------
# Loader


@dataclasses.dataclass
class _Class:
    joint: dict
    geom: dict
    motor: dict
    tendon: dict


@dataclasses.dataclass
class _Body:
    node: _Node | None  # None for the world
    name: str
    parent: int
    pos: np.ndarray
    quat: np.ndarray
    childclass: str
    joints: list = dataclasses.field(default_factory=list)  # (node, attrs)
    geoms: list = dataclasses.field(default_factory=list)
    inertial: tuple | None = None  # (node, attrs)
    children: list = dataclasses.field(default_factory=list)


class _Loader:
    def __init__(self, root: _Node):
        self.root = root
        self.degree = True
        self.eulerseq = "xyz"
        self.inertiafromgeom = "auto"
        self.settotalmass = -1.0
        self.autolimits = True
        self.boundmass = 0.0
        self.boundinertia = 0.0
        self.balanceinertia = False
        self.inertiagrouprange = (0, 5)
        self.opt = Option()
        self.classes: dict[str, _Class] = {}
        self.bodies: list[_Body] = []

    # --- top level ------------------------------------------------------------------------------

    def load(self) -> Model:
        root = self.root
        known = {"compiler", "option", "default", "worldbody", "actuator", "tendon"} | _VISUAL_TOP | _FORCE_TOP
        for attr in root.attrib:
            if attr != "model":
                raise root.error("unsupported attribute", attr)
        for child in root.children:
            if child.tag not in known:
                raise child.error("unsupported element (not in the supported MJCF subset)")
            if child.tag in _FORCE_TOP and child.children:
                raise child.children[0].error(f"unsupported element in <{child.tag}>: it changes the dynamics")

        def sections(tag):
            return [c for c in root.children if c.tag == tag]

        # MuJoCo applies compiler settings globally whatever their position, so read them first
        for node in sections("compiler"):
            self._compiler(node)
        for node in sections("option"):
            self._option(node)
        self.classes["main"] = _Class(
            dict(_JOINT_DEFAULTS), dict(_GEOM_DEFAULTS), dict(_MOTOR_DEFAULTS), dict(_TENDON_DEFAULTS)
        )
        for node in sections("default"):
            self._default(node, None)
        self.bodies.append(_Body(None, "world", 0, np.zeros(3), np.array([1.0, 0, 0, 0]), "main"))
        for node in sections("worldbody"):
            self._worldbody(node)
        return self._compile(sections("tendon"), sections("actuator"))

    def _compiler(self, node: _Node):
        a = _read_attrs(node, _COMPILER_SPECS, _COMPILER_IGNORED, {})
        if a.get("coordinate", "local") != "local":
            raise node.error("only coordinate='local' is supported", "coordinate")
        if a.get("fusestatic", False):
            raise node.error("fusestatic='true' is not supported", "fusestatic")
        if a.get("alignfree", False):
            raise node.error("alignfree='true' is not supported", "alignfree")
        if "angle" in a:
            self.degree = a["angle"] == "degree"
        if "eulerseq" in a:
            seq = a["eulerseq"]
            if len(seq) != 3 or any(c not in "xyzXYZ" for c in seq):
                raise node.error(f"expected 3 letters from xyzXYZ, got '{seq}'", "eulerseq")
            self.eulerseq = seq
        self.inertiafromgeom = a.get("inertiafromgeom", self.inertiafromgeom)
        self.settotalmass = a.get("settotalmass", self.settotalmass)
        self.autolimits = a.get("autolimits", self.autolimits)
        self.boundmass = a.get("boundmass", self.boundmass)
        self.boundinertia = a.get("boundinertia", self.boundinertia)
        self.balanceinertia = a.get("balanceinertia", self.balanceinertia)
        if "inertiagrouprange" in a:
            self.inertiagrouprange = tuple(int(v) for v in a["inertiagrouprange"])
        for child in node.children:
            raise child.error("unsupported element in <compiler>")

    def _option(self, node: _Node):
        a = _read_attrs(node, _OPTION_SPECS, _OPTION_IGNORED, {})
        for key in ("density", "viscosity"):
            if a.get(key, 0.0) != 0.0:
                raise node.error("fluid forces (density/viscosity) are not supported", key)
        if "wind" in a and np.any(a["wind"] != 0):
            raise node.error("wind (fluid forces) is not supported", "wind")
        if "timestep" in a:
            if a["timestep"] <= 0:
                raise node.error("timestep must be positive", "timestep")
            self.opt.timestep = a["timestep"]
        if "gravity" in a:
            self.opt.gravity = np.array(a["gravity"], dtype=np.float64)
        if "integrator" in a:
            self.opt.integrator = _INTEGRATORS[a["integrator"]]
        if "cone" in a:
            self.opt.cone = _CONES[a["cone"]]
        if "impratio" in a:
            self.opt.impratio = a["impratio"]
        for child in node.children:
            raise child.error("unsupported element in <option> (flags change which forces are computed)")

    def _default(self, node: _Node, parent: str | None):
        for attr in node.attrib:
            if attr != "class":
                raise node.error("unsupported attribute", attr)
        name = node.attrib.get("class")
        if parent is None:
            # the top-level <default> is MuJoCo's "main" class, which every other class inherits from
            if name not in (None, "main"):
                raise node.error("the top-level <default> is the 'main' class", "class")
            name = "main"
            cls = self.classes["main"]
        else:
            if name is None:
                raise node.error("required attribute missing: a nested <default> needs a class name", "class")
            if name in self.classes:
                raise node.error(f"repeated default class '{name}'", "class")
            base = self.classes[parent]
            cls = _Class(dict(base.joint), dict(base.geom), dict(base.motor), dict(base.tendon))
            self.classes[name] = cls
        for child in node.children:
            tag = child.tag
            if tag != "default" and "name" in child.attrib:
                raise child.error("names are not allowed inside <default>", "name")
            if tag == "default":
                self._default(child, name)
            elif tag == "joint":
                cls.joint = _read_attrs(child, _JOINT_SPECS, _JOINT_IGNORED, cls.joint, skip=())
            elif tag == "geom":
                cls.geom = _read_attrs(child, _GEOM_SPECS, _GEOM_IGNORED, cls.geom, skip=())
            elif tag == "motor":
                cls.motor = _read_attrs(child, _MOTOR_SPECS, _MOTOR_IGNORED, cls.motor, skip=())
            elif tag == "tendon":
                cls.tendon = _read_attrs(child, _TENDON_SPECS, _TENDON_IGNORED, cls.tendon, skip=())
            elif tag in _VISUAL_IN_DEFAULT:
                continue
            else:
                # all actuator shortcuts share one default in MuJoCo, so a <position> default would change
                # motors too: reject rather than silently diverge
                raise child.error("unsupported element in <default>")

    def _class(self, node: _Node, inherited: str) -> _Class:
        name = node.attrib.get("class", inherited)
        if name not in self.classes:
            raise node.error(f"unknown default class '{name}'", "class")
        return self.classes[name]

    # --- bodies -----------------------------------------------------------------------------------

    def _worldbody(self, node: _Node):
        for attr in node.attrib:
            raise node.error("unsupported attribute", attr)
        self._body_children(node, 0)

    def _body_children(self, node: _Node, bid: int):
        body = self.bodies[bid]
        for child in node.children:
            tag = child.tag
            if tag == "body":
                self._body(child, bid)
            elif tag == "geom":
                cls = self._class(child, body.childclass)
                body.geoms.append((child, _read_attrs(child, _GEOM_SPECS, _GEOM_IGNORED, cls.geom)))
            elif tag in ("joint", "freejoint"):
                if bid == 0:
                    raise child.error("joints are not allowed in <worldbody>")
                if tag == "joint":
                    cls = self._class(child, body.childclass)
                    attrs = _read_attrs(child, _JOINT_SPECS, _JOINT_IGNORED, cls.joint)
                else:
                    # <freejoint> takes no defaults: MuJoCo's plain free joint
                    attrs = _read_attrs(child, {"name": (_S, 1), "align": (_S, 1)}, frozenset({"group"}), {})
                    if attrs.pop("align", "auto") == "true":
                        raise child.error("align='true' is not supported", "align")
                    attrs = {**_JOINT_DEFAULTS, **attrs, "type": "free"}
                body.joints.append((child, attrs))
            elif tag == "inertial":
                if bid == 0:
                    raise child.error("<inertial> is not allowed in <worldbody>")
                if body.inertial is not None:
                    raise child.error("repeated <inertial>")
                body.inertial = (child, _read_attrs(child, _INERTIAL_SPECS, frozenset(), {}))
            elif tag in _VISUAL_IN_BODY:
                continue
            else:
                raise child.error("unsupported element (not in the supported MJCF subset)")

    def _body(self, node: _Node, parent: int):
        a = _read_attrs(node, _BODY_SPECS, _BODY_IGNORED, {}, skip=())
        if a.get("mocap", False):
            raise node.error("mocap bodies are not supported", "mocap")
        if a.get("gravcomp", 0.0) != 0.0:
            raise node.error("gravity compensation is not supported", "gravcomp")
        childclass = a.get("childclass", self.bodies[parent].childclass)
        if childclass not in self.classes:
            raise node.error(f"unknown default class '{childclass}'", "childclass")
        pos = np.asarray(a.get("pos", np.zeros(3)), dtype=np.float64)
        quat = _orientation(node, a, self.degree, self.eulerseq)
        bid = len(self.bodies)
        self.bodies.append(_Body(node, a.get("name", ""), parent, pos, quat, childclass))
        self.bodies[parent].children.append(bid)
        self._body_children(node, bid)

    # --- compile ----------------------------------------------------------------------------------

    def _compile_geom(self, node: _Node, a: dict, bid: int, infer_inertia: bool) -> dict:
        tname = a["type"]
        if tname not in _GEOM_TYPES:
            raise node.error(f"geom type '{tname}' is not supported", "type")
        for key in ("mesh", "hfield"):
            if key in a:
                raise node.error("mesh and height-field geoms are not supported", key)
        if a["shellinertia"]:
            raise node.error("shell inertia is not supported", "shellinertia")
        if a["fluidshape"] != "none":
            raise node.error("fluid forces are not supported", "fluidshape")
        gtype = _GEOM_TYPES[tname]
        if a["condim"] not in (1, 3, 4, 6):
            raise node.error(f"condim must be 1, 3, 4 or 6, got {a['condim']}", "condim")
        if gtype == GEOM_PLANE and self.weldid[bid] != 0:
            raise node.error("planes are only allowed in static bodies (no joints up to the world)", "type")
        size = np.array(a["size"], dtype=np.float64)
        pos = np.array(a["pos"], dtype=np.float64)
        if "fromto" in a:
            if gtype not in (GEOM_CAPSULE, GEOM_CYLINDER, GEOM_ELLIPSOID, GEOM_BOX):
                raise node.error("fromto requires a capsule, cylinder, ellipsoid or box", "fromto")
            if np.any(pos != 0):
                raise node.error("both pos and fromto given; use one", "fromto")
            ft = np.asarray(a["fromto"], dtype=np.float64)
            # the geom's z axis points from the second point to the first, as in MuJoCo
            vec, length = _normalize(ft[:3] - ft[3:])
            if length / 2 < MJ_EPS:
                raise node.error("the two points coincide", "fromto")
            size[1] = length / 2
            if gtype in (GEOM_ELLIPSOID, GEOM_BOX):
                size[2], size[1] = size[1], size[0]
            pos = (ft[:3] + ft[3:]) / 2
            quat = _z_to_quat(vec)  # fromto overrides any orientation attribute, as in MuJoCo
        else:
            quat = _orientation(node, a, self.degree, self.eulerseq)
        if gtype == GEOM_PLANE:
            if size[2] <= 0:
                raise node.error("plane size[2] (grid spacing) must be positive", "size")
        else:
            for i in range(_GEOM_NSIZE[gtype]):
                if size[i] <= 0:
                    raise node.error(f"size[{i}] must be positive for a {tname}", "size")
        mass, inertia = 0.0, np.zeros(3)
        group_ok = self.inertiagrouprange[0] <= a["group"] <= self.inertiagrouprange[1]
        if infer_inertia and group_ok:
            volume = geom_volume(gtype, size)
            if "mass" in a:
                if a["mass"] < 0:
                    raise node.error("mass must be non-negative", "mass")
                if a["mass"] != 0 and volume > MJ_EPS:
                    mass = a["mass"]
                    inertia = geom_inertia(gtype, size, mass)
            else:
                if a["density"] < 0:
                    raise node.error("density must be non-negative", "density")
                mass = a["density"] * volume
                inertia = geom_inertia(gtype, size, mass)
        return dict(type=gtype, size=size, pos=pos, quat=quat, mass=mass, inertia=inertia)

    def _body_inertia(self, body: _Body, geoms: list[dict], bid: int):
        """Body mass (kg), center of mass (body frame, m), principal frame quaternion, principal moments."""
        node = body.node
        ipos, iquat, mass, inertia = None, np.array([1.0, 0, 0, 0]), 0.0, np.zeros(3)
        if body.inertial is not None:
            inode, ia = body.inertial
            for key in ("pos", "mass"):
                if key not in ia:
                    raise inode.error("required attribute missing", key)
            ipos = np.asarray(ia["pos"], dtype=np.float64)
            mass = ia["mass"]
            if "fullinertia" in ia:
                if any(k in ia for k in _ORIENTATION):
                    raise inode.error("fullinertia and an orientation cannot both be given", "fullinertia")
                if "diaginertia" in ia:
                    raise inode.error("fullinertia and diaginertia cannot both be given", "fullinertia")
                f = ia["fullinertia"]  # (Ixx, Iyy, Izz, Ixy, Ixz, Iyz)
                full = np.array([[f[0], f[3], f[4]], [f[3], f[1], f[5]], [f[4], f[5], f[2]]])
                inertia, iquat = principal_axes(full)
                if inertia[2] < MJ_EPS:
                    raise inode.error("inertia must have positive eigenvalues", "fullinertia")
            elif "diaginertia" in ia:
                inertia = np.asarray(ia["diaginertia"], dtype=np.float64)
                iquat = _orientation(inode, ia, self.degree, self.eulerseq)
            else:
                raise inode.error("required attribute missing: one of diaginertia, fullinertia", "diaginertia")
        if self.inertiafromgeom == "true" or (ipos is None and self.inertiafromgeom == "auto"):
            sel = [g for g in geoms if g["mass"] > MJ_EPS]
            if len(sel) == 1:
                # one geom: its own frame is already principal, copied without re-sorting the moments
                g = sel[0]
                ipos, iquat, mass, inertia = g["pos"].copy(), g["quat"].copy(), g["mass"], g["inertia"].copy()
            elif len(sel) > 1:
                mass = sum(g["mass"] for g in sel)
                ipos = sum(g["mass"] * g["pos"] for g in sel) / mass
                full = np.zeros((3, 3))
                for g in sel:
                    rot = quat_to_mat(g["quat"])
                    full += rot @ np.diag(g["inertia"]) @ rot.T + _offcenter(g["mass"], g["pos"] - ipos)
                inertia, iquat = principal_axes(full)
                if inertia[2] < MJ_EPS:
                    raise node.error("body inertia from geoms must have positive eigenvalues")
        if ipos is None:
            # no inertial information at all: MuJoCo copies the body's own pose into the inertial frame
            ipos, iquat = body.pos.copy(), body.quat.copy()
        mass = max(mass, self.boundmass)
        inertia = np.maximum(inertia, self.boundinertia)
        if mass < 0 or np.any(inertia < 0):
            raise node.error("mass and inertia cannot be negative")
        a, b, c = inertia
        if a + b < c or a + c < b or b + c < a:
            if self.balanceinertia:
                inertia = np.full(3, (a + b + c) / 3.0)
            else:
                raise node.error("inertia must satisfy A + B >= C (use compiler balanceinertia to fix)")
        return mass, ipos, iquat, inertia

    def _compile(self, tendon_sections: list[_Node], actuator_sections: list[_Node]) -> Model:
        bodies = self.bodies
        nbody = len(bodies)
        # weld ids first: planes are checked against them while compiling geoms
        self.weldid = [0] * nbody
        for i in range(1, nbody):
            self.weldid[i] = i if bodies[i].joints else self.weldid[bodies[i].parent]

        body_arrays = {
            k: np.zeros(shape)
            for k, shape in [
                ("pos", (nbody, 3)),
                ("quat", (nbody, 4)),
                ("ipos", (nbody, 3)),
                ("iquat", (nbody, 4)),
                ("mass", nbody),
                ("inertia", (nbody, 3)),
            ]
        }
        body_arrays["quat"][0] = body_arrays["iquat"][0] = [1, 0, 0, 0]
        geoms_out, geom_attrs, geom_body = [], [], []
        for bid, body in enumerate(bodies):
            explicit = body.inertial is not None
            infer = bid > 0 and (not explicit or self.inertiafromgeom == "true")
            compiled = []
            for gnode, ga in body.geoms:
                compiled.append(self._compile_geom(gnode, ga, bid, infer))
                geom_attrs.append((gnode, ga))
                geom_body.append(bid)
            geoms_out.extend(compiled)
            if bid == 0:
                continue
            mass, ipos, iquat, inertia = self._body_inertia(body, compiled, bid)
            body_arrays["pos"][bid] = body.pos
            body_arrays["quat"][bid] = body.quat
            body_arrays["ipos"][bid] = ipos
            body_arrays["iquat"][bid] = iquat
            body_arrays["mass"][bid] = mass
            body_arrays["inertia"][bid] = inertia

        # joints and dofs in body order (= document order for depth-first bodies)
        jnt_rows, dof_rows = [], []
        qpos0, qpos_spring = [], []
        body_jntnum = np.zeros(nbody, np.int32)
        body_jntadr = np.full(nbody, -1, np.int32)
        body_dofnum = np.zeros(nbody, np.int32)
        body_dofadr = np.full(nbody, -1, np.int32)
        body_rootid = np.zeros(nbody, np.int32)
        lastdof = [-1] * nbody
        names_seen: dict[str, set] = {"body": set(), "joint": set(), "geom": set(), "actuator": set()}
        for bid, body in enumerate(bodies):
            if bid > 0:
                self._unique(names_seen["body"], body.name, body.node)
            parent = body.parent
            body_rootid[bid] = bid if bid == 0 or parent == 0 else body_rootid[parent]
            lastdof[bid] = lastdof[parent] if bid > 0 else -1
            nfree = sum(ja["type"] == "free" for _, ja in body.joints)
            if nfree and len(body.joints) > 1:
                raise body.joints[0][0].error("a free joint must be the only joint of its body")
            if nfree and parent != 0:
                raise body.joints[0][0].error("free joints are only allowed in top-level bodies")
            ndof_body = sum({"free": 6, "ball": 3}.get(ja["type"], 1) for _, ja in body.joints)
            if ndof_body > 6:
                raise body.node.error(f"more than 6 dofs in one body ({ndof_body})")
            # a rotation after a ball joint would make the rotational dofs redundant (as MuJoCo checks)
            types = [ja["type"] for _, ja in body.joints]
            if "ball" in types and any(t in ("ball", "hinge") for t in types[types.index("ball") + 1 :]):
                raise body.joints[types.index("ball")][0].error("a ball joint followed by a rotation in one body")
            if body.joints:
                body_jntadr[bid] = len(jnt_rows)
                body_jntnum[bid] = len(body.joints)
            for jnode, ja in body.joints:
                self._unique(names_seen["joint"], ja.get("name", ""), jnode)
                row = self._compile_joint(jnode, ja, bid, len(qpos0), len(dof_rows), body)
                jid = len(jnt_rows)
                jnt_rows.append(row)
                qpos0.extend(row.pop("qpos0"))
                qpos_spring.extend(row.pop("qpos_spring"))
                ndof = {JNT_FREE: 6, JNT_BALL: 3}.get(row["type"], 1)
                if body_dofadr[bid] < 0:
                    body_dofadr[bid] = len(dof_rows)
                body_dofnum[bid] += ndof
                for _ in range(ndof):
                    dof_rows.append(
                        dict(
                            bodyid=bid,
                            jntid=jid,
                            parentid=lastdof[bid],
                            armature=ja["armature"],
                            damping=ja["damping"],
                            frictionloss=ja["frictionloss"],
                        )
                    )
                    lastdof[bid] = len(dof_rows) - 1

        joint_names = [ja.get("name", "") for b in bodies for _, ja in b.joints]
        joint_ids = {n: i for i, n in enumerate(joint_names) if n}
        for gnode, ga in geom_attrs:
            self._unique(names_seen["geom"], ga.get("name", ""), gnode)
        self._check_tendons(tendon_sections, joint_ids)
        actuators = self._actuators(actuator_sections, joint_ids, names_seen["actuator"])

        # MuJoCo's mass check on moving bodies (before settotalmass scaling, as in user_model.cc)
        def has_mass(b: int) -> bool:
            if body_arrays["mass"][b] >= MJ_MINVAL and np.all(body_arrays["inertia"][b] >= MJ_MINVAL):
                return True
            # a welded (joint-less) child carrying mass also makes the body's motion well defined
            return any(not bodies[c].joints and has_mass(c) for c in bodies[b].children)

        for bid in range(1, nbody):
            if bodies[bid].joints and not has_mass(bid):
                raise bodies[bid].node.error(
                    f"mass and inertia of moving bodies must be larger than mjMINVAL={MJ_MINVAL:g} "
                    f"(mass {body_arrays['mass'][bid]:g}, inertia {body_arrays['inertia'][bid].tolist()}); "
                    "give the body a geom with positive density or mass, or an <inertial>"
                )
        if self.settotalmass > 0:
            total = body_arrays["mass"][1:].sum()
            scale = max(MJ_MINVAL, self.settotalmass / max(MJ_MINVAL, total))
            body_arrays["mass"][1:] *= scale
            body_arrays["inertia"][1:] *= scale

        def col(rows, key, dtype=np.float64, shape=()):
            return np.array([r[key] for r in rows], dtype=dtype).reshape((len(rows), *shape))

        def gcol(key, shape=()):
            return np.array([g[key] for g in geoms_out], dtype=np.float64).reshape((len(geoms_out), *shape))

        def gattr(key, dtype=np.float64, shape=()):
            return np.array([ga[key] for _, ga in geom_attrs], dtype=dtype).reshape((len(geom_attrs), *shape))

        nu = len(actuators)
        return Model(
            nbody=nbody,
            njnt=len(jnt_rows),
            nq=len(qpos0),
            nv=len(dof_rows),
            nu=nu,
            ngeom=len(geoms_out),
            body_parentid=np.array([b.parent for b in bodies], np.int32),
            body_rootid=body_rootid,
            body_weldid=np.array(self.weldid, np.int32),
            body_jntnum=body_jntnum,
            body_jntadr=body_jntadr,
            body_dofnum=body_dofnum,
            body_dofadr=body_dofadr,
            body_pos=body_arrays["pos"],
            body_quat=body_arrays["quat"],
            body_ipos=body_arrays["ipos"],
            body_iquat=body_arrays["iquat"],
            body_mass=body_arrays["mass"],
            body_inertia=body_arrays["inertia"],
            jnt_type=col(jnt_rows, "type", np.int32),
            jnt_bodyid=col(jnt_rows, "bodyid", np.int32),
            jnt_qposadr=col(jnt_rows, "qposadr", np.int32),
            jnt_dofadr=col(jnt_rows, "dofadr", np.int32),
            jnt_pos=col(jnt_rows, "pos", shape=(3,)),
            jnt_axis=col(jnt_rows, "axis", shape=(3,)),
            jnt_stiffness=col(jnt_rows, "stiffness"),
            jnt_range=col(jnt_rows, "range", shape=(2,)),
            jnt_limited=col(jnt_rows, "limited", bool),
            jnt_margin=col(jnt_rows, "margin"),
            jnt_solref=col(jnt_rows, "solref", shape=(2,)),
            jnt_solimp=col(jnt_rows, "solimp", shape=(5,)),
            qpos0=np.array(qpos0, np.float64),
            qpos_spring=np.array(qpos_spring, np.float64),
            dof_bodyid=col(dof_rows, "bodyid", np.int32),
            dof_jntid=col(dof_rows, "jntid", np.int32),
            dof_parentid=col(dof_rows, "parentid", np.int32),
            dof_armature=col(dof_rows, "armature"),
            dof_damping=col(dof_rows, "damping"),
            dof_frictionloss=col(dof_rows, "frictionloss"),
            geom_type=np.array([g["type"] for g in geoms_out], np.int32),
            geom_bodyid=np.array(geom_body, np.int32),
            geom_size=gcol("size", (3,)),
            geom_pos=gcol("pos", (3,)),
            geom_quat=gcol("quat", (4,)),
            geom_friction=gattr("friction", shape=(3,)),
            geom_contype=gattr("contype", np.int32),
            geom_conaffinity=gattr("conaffinity", np.int32),
            geom_condim=gattr("condim", np.int32),
            geom_priority=gattr("priority", np.int32),
            geom_solmix=gattr("solmix"),
            geom_margin=gattr("margin"),
            geom_gap=gattr("gap"),
            geom_solref=gattr("solref", shape=(2,)),
            geom_solimp=gattr("solimp", shape=(5,)),
            actuator_trnid=col(actuators, "trnid", np.int32, (2,)),
            actuator_gear=col(actuators, "gear", shape=(6,)),
            actuator_ctrlrange=col(actuators, "ctrlrange", shape=(2,)),
            actuator_ctrllimited=col(actuators, "ctrllimited", bool),
            actuator_forcerange=col(actuators, "forcerange", shape=(2,)),
            actuator_forcelimited=col(actuators, "forcelimited", bool),
            opt=self.opt,
            body_names=[b.name for b in bodies],
            joint_names=joint_names,
            geom_names=[ga.get("name", "") for _, ga in geom_attrs],
            actuator_names=[a["name"] for a in actuators],
        )

    @staticmethod
    def _unique(seen: set, name: str, node: _Node | None):
        if name:
            if name in seen:
                raise node.error(f"repeated name '{name}'", "name")
            seen.add(name)

    def _limited(self, node: _Node, flag: str, rng: np.ndarray, attr: str) -> bool:
        """Resolve a true/false/auto limit flag the way MuJoCo's compiler does (autolimits)."""
        if flag == "auto":
            hasrange = not (rng[0] == 0 and rng[1] == 0)
            if not self.autolimits and hasrange:
                raise node.error(
                    f"'{attr}range' given without '{attr}limited'; set compiler autolimits='true' or give "
                    f"'{attr}limited' explicitly",
                    f"{attr}limited",
                )
            return bool(rng[0] < rng[1])
        return flag == "true"

    def _compile_joint(self, node: _Node, a: dict, bid: int, qposadr: int, dofadr: int, body: _Body) -> dict:
        jtype = _JOINT_TYPES[a["type"]]
        if np.any(a["springdamper"] != 0):
            raise node.error("springdamper is not supported; give stiffness and damping", "springdamper")
        if a["actuatorgravcomp"]:
            raise node.error("actuator gravity compensation is not supported", "actuatorgravcomp")
        rng = np.array(a["range"], dtype=np.float64)
        if jtype in (JNT_FREE, JNT_BALL):
            actfrc = False
        else:
            actfrc = self._limited(node, a["actuatorfrclimited"], a["actuatorfrcrange"], "actuatorfrc")
        if actfrc:
            raise node.error("joint actuator force limits are not supported", "actuatorfrclimited")
        if jtype == JNT_FREE:
            limited = False
        else:
            limited = self._limited(node, a["limited"], rng, "")
        if limited:
            if jtype != JNT_BALL and rng[0] >= rng[1]:
                raise node.error(f"range[0] must be smaller than range[1], got {rng.tolist()}", "range")
            if jtype == JNT_BALL and rng[0] != 0:
                raise node.error("range[0] must be 0 for a ball joint", "range")
            # MuJoCo converts the range only for limited joints; unlimited ranges are kept as written
            if self.degree and jtype in (JNT_HINGE, JNT_BALL):
                rng = rng * (math.pi / 180.0)
        if jtype in (JNT_FREE, JNT_BALL):
            axis = np.array([0.0, 0.0, 1.0])
        else:
            axis, n = _normalize(a["axis"])
            if n < MJ_EPS:
                raise node.error("zero-length axis", "axis")
        pos = np.zeros(3) if jtype == JNT_FREE else np.array(a["pos"], dtype=np.float64)
        ref, springref = a["ref"], a["springref"]
        if jtype == JNT_HINGE and self.degree:
            ref, springref = ref * math.pi / 180.0, springref * math.pi / 180.0
        if jtype == JNT_FREE:
            q0 = list(body.pos) + list(body.quat)
            qs = q0
        elif jtype == JNT_BALL:
            q0 = qs = [1.0, 0.0, 0.0, 0.0]
        else:
            q0, qs = [ref], [springref]
        for key in ("stiffness", "damping", "armature", "frictionloss"):
            if a[key] < 0:
                raise node.error("must be non-negative", key)
        return dict(
            type=jtype,
            bodyid=bid,
            qposadr=qposadr,
            dofadr=dofadr,
            pos=pos,
            axis=axis,
            stiffness=a["stiffness"],
            range=rng,
            limited=limited,
            margin=a["margin"],
            solref=a["solreflimit"],
            solimp=a["solimplimit"],
            qpos0=q0,
            qpos_spring=qs,
        )

    def _check_tendons(self, sections: list[_Node], joint_ids: dict):
        """Accept fixed tendons only if they exert no force (Gymnasium's humanoid declares such tendons)."""
        for section in sections:
            for attr in section.attrib:
                raise section.error("unsupported attribute", attr)
            for tnode in section.children:
                if tnode.tag != "fixed":
                    raise tnode.error("unsupported tendon type (only force-free <fixed> tendons are accepted)")
                cls = self._class(tnode, "main")
                a = _read_attrs(tnode, _TENDON_SPECS, _TENDON_IGNORED, cls.tendon)
                for key in ("stiffness", "damping", "frictionloss", "armature"):
                    if a[key] != 0:
                        raise tnode.error("tendons that exert forces are not supported", key)
                if self._limited(tnode, a["limited"], a["range"], ""):
                    raise tnode.error("tendon limits are not supported", "limited")
                if self._limited(tnode, a["actuatorfrclimited"], a["actuatorfrcrange"], "actuatorfrc"):
                    raise tnode.error("tendon actuator force limits are not supported", "actuatorfrclimited")
                for jnode in tnode.children:
                    if jnode.tag != "joint":
                        raise jnode.error("unsupported element in a fixed tendon")
                    ja = _read_attrs(jnode, {"joint": (_S, 1), "coef": (_F, 1)}, frozenset(), {})
                    if "joint" not in ja:
                        raise jnode.error("required attribute missing", "joint")
                    if ja["joint"] not in joint_ids:
                        raise jnode.error(f"unknown joint '{ja['joint']}'", "joint")

    def _actuators(self, sections: list[_Node], joint_ids: dict, seen: set) -> list[dict]:
        out = []
        for section in sections:
            for attr in section.attrib:
                raise section.error("unsupported attribute", attr)
            for node in section.children:
                if node.tag != "motor":
                    raise node.error("unsupported actuator (only <motor> is supported)")
                cls = self._class(node, "main")
                a = _read_attrs(node, _MOTOR_SPECS, _MOTOR_IGNORED, cls.motor)
                self._unique(seen, a.get("name", ""), node)
                if "joint" not in a:
                    raise node.error("required attribute missing (only joint transmissions are supported)", "joint")
                if a["joint"] not in joint_ids:
                    raise node.error(f"unknown joint '{a['joint']}'", "joint")
                forcelimited = self._limited(node, a["forcelimited"], a["forcerange"], "force")
                ctrllimited = self._limited(node, a["ctrllimited"], a["ctrlrange"], "ctrl")
                if forcelimited and a["forcerange"][0] >= a["forcerange"][1]:
                    raise node.error("forcerange[0] must be smaller than forcerange[1]", "forcerange")
                if ctrllimited and a["ctrlrange"][0] >= a["ctrlrange"][1]:
                    raise node.error("ctrlrange[0] must be smaller than ctrlrange[1]", "ctrlrange")
                out.append(
                    dict(
                        name=a.get("name", ""),
                        trnid=[joint_ids[a["joint"]], -1],
                        gear=np.array(a["gear"], dtype=np.float64),
                        ctrlrange=np.array(a["ctrlrange"], dtype=np.float64),
                        ctrllimited=ctrllimited,
                        forcerange=np.array(a["forcerange"], dtype=np.float64),
                        forcelimited=forcelimited,
                    )
                )
        return out


def load_mjcf(path_or_xml_string: str | os.PathLike) -> Model:
    """Compile an MJCF file path or XML string into a host-side `Model` (float64, SI units, MuJoCo frames)."""
    if isinstance(path_or_xml_string, str) and path_or_xml_string.lstrip().startswith("<"):
        text, source = path_or_xml_string, "<string>"
    else:
        source = os.fspath(path_or_xml_string)
        try:
            with open(source, "rb") as f:
                text = f.read()
        except OSError as e:
            raise MJCFError(f"cannot read MJCF file '{source}': {e.strerror}") from None
        source = os.path.basename(source)
    return _Loader(_parse_xml(text, source)).load()
