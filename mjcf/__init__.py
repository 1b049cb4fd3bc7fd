"""MJCF-subset loader: an MJCF file or string -> a host-side (numpy, float64) `Model`, with no Warp code.

The `Model` mirrors `mujoco.MjModel` (mjcf/model.py). Supported: the subset used by Gymnasium's MuJoCo models.

    compiler   angle, coordinate="local", inertiafromgeom, settotalmass, eulerseq, autolimits, boundmass,
               boundinertia, balanceinertia, inertiagrouprange (+ asset-path attributes, ignored)
    option     timestep, gravity, integrator, cone, impratio, density, viscosity, wind (MuJoCo's inertia-box fluid
               model; a geom's fluidshape="ellipsoid" is refused), ccd_tolerance, ccd_iterations (the general convex
               collider's) (+ MuJoCo solver settings, ignored); <flag> into
               opt.disableflags / enableflags (enable override, sleep, diagexact, ipc, speculative: refused)
    default    nested classes with joint, geom, motor, position, velocity, general, tendon; `class` and `childclass`
    body       pos, orientation (quat, euler, axisangle, xyaxes, zaxis), childclass, gravcomp, <inertial>
    joint      free, ball, slide, hinge; <freejoint>; armature, damping, stiffness, frictionloss,
               range, limited (true/false/auto), ref, springref, margin, solreflimit, solimplimit,
               solreffriction, solimpfriction, actuatorfrcrange / actuatorfrclimited (hinge and slide: the summed
               actuator force clamped; ignored on ball and free joints, as MuJoCo), actuatorgravcomp (the
               gravity compensation of the joint's dofs applied through the actuators, inside that clamp)
    geom       plane, sphere, capsule, ellipsoid, cylinder, box; size, fromto, pos, orientation,
               density, mass, friction, condim, contype, conaffinity, priority, margin, gap, solref,
               solimp, ...; mesh geoms that never collide (contype = conaffinity = 0) and add no mass
               are skipped (they are not in the Model; MuJoCo counts them in ngeom)
    motor      joint transmission, gear, ctrlrange, ctrllimited, forcerange, forcelimited
    position   as motor, plus kp and kv: gainprm = (kp, ...), biasprm = (0, -kp, -kv, ...); inheritrange (ctrlrange
               from the joint's range; beside other actuator elements of one default class: refused)
    velocity   as motor, plus kv: gainprm = (kv, ...), biasprm = (0, 0, -kv, ...)
    general    as motor, plus gainprm and biasprm with dyntype none, gaintype fixed, biastype none or affine;
               the four actuator kinds share one default per class, as in MuJoCo
    tendon     <fixed> tendons only when they exert no force (no stiffness, damping, friction, limit)
    contact    <exclude body1 body2> (exclude_signature); <pair geom1 geom2 condim friction solref solreffriction solimp
               margin gap> (MuJoCo's predefined pairs, with a default class's <pair>)
    include    <include file>: the file's <mujoco> children in its place (paths relative to the main file)
    equality   connect and weld between bodies (anchor, relpose, torquescale), joint couplings (joint1, joint2,
               polycoef); active, solref, solimp and a default class's <equality>; site semantics and tendon, flex
               and distance equalities are refused
    keyframe   <key name time qpos qvel ctrl>

Visual-only and bookkeeping elements (asset with its mesh/material/texture, visual, statistic, custom, size, light,
camera, site, sensor) are ignored. Anything else that would change the dynamics (spatial tendons,
other actuators, colliding or massive mesh geoms, hfield geoms, fluid forces, unknown attributes) raises `MJCFError`
naming the source, line, element and attribute.

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
    BIAS_AFFINE,
    BIAS_NONE,
    DYN_NONE,
    GAIN_FIXED,
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
    TRN_JOINT,
    Model,
    Option,
)
from mjcf.orientation import quat_to_mat
from mjcf.parser import MJCFError, expand_includes, parse_document, parse_xml

__all__ = [
    "BIAS_AFFINE",
    "BIAS_NONE",
    "DYN_NONE",
    "GAIN_FIXED",
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
    "TRN_JOINT",
    "Model",
    "Option",
    "load_mjcf",
    "quat_to_mat",
]


def load_mjcf(path_or_xml_string: str | os.PathLike) -> Model:
    """Compile an MJCF file path or XML string into a host-side `Model` (float64, SI units, MuJoCo frames)."""
    if isinstance(path_or_xml_string, str) and path_or_xml_string.lstrip().startswith("<"):
        text, source, directory = path_or_xml_string, "<string>", os.getcwd()
    else:
        source = os.fspath(path_or_xml_string)
        try:
            with open(source, "rb") as f:
                text = f.read()
        except OSError as e:
            raise MJCFError(f"cannot read MJCF file '{source}': {e.strerror}") from None
        directory = os.path.dirname(os.path.abspath(source))
        source = os.path.basename(source)
    root = parse_xml(text, source)
    # MuJoCo's <include file>: paths relative to the main file's directory (a string's: the working directory)
    expand_includes(root, directory)
    return compile_model(parse_document(root))
