"""MJCF-subset loader: an MJCF file or string -> a host-side (numpy, float64) `Model`, with no Warp code.

The `Model` mirrors `mujoco.MjModel` (mjcf/model.py). Supported: the subset used by Gymnasium's MuJoCo models.

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

Modules: model (the `Model`, `Option` and MuJoCo's type codes), specs (attribute tables and defaults),
parser (XML -> `Document` with defaults applied), orientation (quaternions), inertia (mass properties),
compiler (`Document` -> `Model`). Compilation follows MuJoCo's compiler (google-deepmind/mujoco:
src/user/user_objects.cc, user_util.cc, user_model.cc; src/engine/engine_support.c mj_setTotalmass); the
code is written from those descriptions.
"""

from __future__ import annotations

import os

from mjcf.compiler import compile_model
from mjcf.model import (
    GEOM_BOX,
    GEOM_CAPSULE,
    GEOM_CYLINDER,
    GEOM_ELLIPSOID,
    GEOM_HFIELD,
    GEOM_PLANE,
    GEOM_SPHERE,
    JNT_BALL,
    JNT_FREE,
    JNT_HINGE,
    JNT_SLIDE,
    Model,
    Option,
)
from mjcf.orientation import quat_to_mat
from mjcf.parser import MJCFError, parse_document, parse_xml

__all__ = [
    "GEOM_BOX",
    "GEOM_CAPSULE",
    "GEOM_CYLINDER",
    "GEOM_ELLIPSOID",
    "GEOM_HFIELD",
    "GEOM_PLANE",
    "GEOM_SPHERE",
    "JNT_BALL",
    "JNT_FREE",
    "JNT_HINGE",
    "JNT_SLIDE",
    "MJCFError",
    "Model",
    "Option",
    "load_mjcf",
    "quat_to_mat",
]


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
    return compile_model(parse_document(parse_xml(text, source)))
