"""Attribute tables of the supported MJCF subset: per element, the accepted attributes, their defaults, and
the attributes that are read but ignored because they cannot change the compiled dynamics.

A spec is (kind, count): kind in "float", "int", "str", "bool", "limited" (true/false/auto), "enum:<a|b>";
count is an int (exactly that many numbers) or (lo, hi): partial vectors overwrite the leading entries of
the inherited value, as MuJoCo's reader does (friction="0.9" keeps the default torsional/rolling).
Defaults are MuJoCo's.
"""

import numpy as np

from mjcf.model import (
    CONES,
    DISABLE_FLAGS,
    ENABLE_FLAGS,
    GEOM_BOX,
    GEOM_CAPSULE,
    GEOM_CYLINDER,
    GEOM_ELLIPSOID,
    GEOM_PLANE,
    GEOM_SPHERE,
    INTEGRATORS,
    JNT_BALL,
    JNT_FREE,
    JNT_HINGE,
    JNT_SLIDE,
)

JOINT_TYPES = {"free": JNT_FREE, "ball": JNT_BALL, "slide": JNT_SLIDE, "hinge": JNT_HINGE}
JOINT_NDOF = {JNT_FREE: 6, JNT_BALL: 3, JNT_SLIDE: 1, JNT_HINGE: 1}  # dofs (qvel entries) per joint type
GEOM_TYPES = {
    "plane": GEOM_PLANE,
    "sphere": GEOM_SPHERE,
    "capsule": GEOM_CAPSULE,
    "ellipsoid": GEOM_ELLIPSOID,
    "cylinder": GEOM_CYLINDER,
    "box": GEOM_BOX,
}
# number of size parameters that must be positive per geom type (MuJoCo's mjGEOMINFO)
GEOM_NSIZE = {GEOM_SPHERE: 1, GEOM_CAPSULE: 2, GEOM_ELLIPSOID: 3, GEOM_CYLINDER: 2, GEOM_BOX: 3}
# orientation attributes and their number count; at most one per element
ORIENTATION = {"quat": 4, "axisangle": 4, "euler": 3, "xyaxes": 6, "zaxis": 3}

_F, _I, _S, _B, _L = "float", "int", "str", "bool", "limited"
ORIENT_SPECS = {k: (_F, n) for k, n in ORIENTATION.items()}

JOINT_SPECS = {
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
    "solreffriction": (_F, (1, 2)),
    "solimpfriction": (_F, (1, 5)),
    "springdamper": (_F, 2),
    "actuatorfrclimited": (_L, 1),
    "actuatorfrcrange": (_F, 2),
    "actuatorgravcomp": (_B, 1),
}
# group: visualization group; user: custom data
JOINT_IGNORED = frozenset({"group", "user"})
JOINT_DEFAULTS = {
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
    "solreffriction": np.array([0.02, 1.0]),
    "solimpfriction": np.array([0.9, 0.95, 0.001, 0.5, 2.0]),
    "springdamper": np.zeros(2),
    "actuatorfrclimited": "auto",
    "actuatorfrcrange": np.zeros(2),
    "actuatorgravcomp": False,
}

GEOM_SPECS = {
    "name": (_S, 1),
    "type": ("enum:" + "|".join(GEOM_TYPES) + "|mesh|hfield|sdf", 1),
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
    **ORIENT_SPECS,
}
# visual-only attributes; fluidcoef only acts with fluidshape="ellipsoid", which is rejected
GEOM_IGNORED = frozenset({"rgba", "material", "user", "fluidcoef"})
GEOM_DEFAULTS = {
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

MOTOR_SPECS = {
    "name": (_S, 1),
    "joint": (_S, 1),
    "gear": (_F, (1, 6)),
    "ctrlrange": (_F, 2),
    "ctrllimited": (_L, 1),
    "forcerange": (_F, 2),
    "forcelimited": (_L, 1),
}
MOTOR_IGNORED = frozenset({"group", "user"})
# <position kp kv inheritrange>: a servo (inheritrange > 0: ctrlrange from the joint's range, scaled about its
# midpoint); dampratio and timeconst (activation dynamics) are not supported
POSITION_SPECS = {**MOTOR_SPECS, "kp": (_F, 1), "kv": (_F, 1), "inheritrange": (_F, 1)}
POSITION_IGNORED = MOTOR_IGNORED
# <velocity kv>: a velocity servo, force = kv (ctrl - velocity)
VELOCITY_SPECS = {**MOTOR_SPECS, "kv": (_F, 1)}
VELOCITY_IGNORED = MOTOR_IGNORED
# <general>: MuJoCo's full actuator. Every type is read; the compiler accepts dyntype none, gaintype fixed and
# biastype none or affine (the force gainprm[0] ctrl + biasprm[0] + biasprm[1] length + biasprm[2] velocity).
# Activation limits and lengthrange only act on stateful or muscle actuators, which the compiler rejects
# (actlimited="true" on a stateless one is an error, as in MuJoCo).
GENERAL_SPECS = {
    **MOTOR_SPECS,
    "dyntype": ("enum:none|integrator|filter|filterexact|muscle|user", 1),
    "gaintype": ("enum:fixed|affine|muscle|user", 1),
    "biastype": ("enum:none|affine|muscle|user", 1),
    "dynprm": (_F, (1, 10)),
    "gainprm": (_F, (1, 10)),
    "biasprm": (_F, (1, 10)),
}
GENERAL_IGNORED = MOTOR_IGNORED | {"actlimited", "actrange", "actearly", "lengthrange"}
# MuJoCo keeps one actuator default per class, shared by all actuator shortcuts: a <position> default's
# ctrlrange applies to a <motor> of that class too. The table holds MuJoCo's general form (dyntype ... biasprm,
# what a <general> reads), the servo gains a <position> reads (kp, kv) and the gain a <velocity> reads
# (velocity_kv), and a <position>'s inheritrange (position_inheritrange, which, unlike the gains, a later element of
# another kind in the class leaves as it is; the general form's `inheritrange` is what a <general> compiles with: a
# <position> sets it, a <motor> or <velocity> clears it). A shortcut sets the general form
# to its own (mjs_setToMotor, mjs_setToPosition,
# mjs_setToVelocity) and leaves the other shortcuts' gains as the parent class had them (a later element of a
# class resets what an earlier one of another kind set: parser._read_default); a <general> default sets them all
# from its gains (kp = velocity_kv = gainprm[0], kv = -biasprm[2]); all as MuJoCo 4.0 compiles them.
ACTUATOR_DEFAULTS = {
    "gear": np.array([1.0, 0, 0, 0, 0, 0]),
    "ctrlrange": np.zeros(2),
    "ctrllimited": "auto",
    "forcerange": np.zeros(2),
    "forcelimited": "auto",
    "kp": 1.0,
    "kv": 0.0,
    "velocity_kv": 1.0,
    "position_inheritrange": 0.0,
    "inheritrange": 0.0,
    "dyntype": "none",
    "gaintype": "fixed",
    "biastype": "none",
    "dynprm": np.array([1.0] + [0.0] * 9),
    "gainprm": np.array([1.0] + [0.0] * 9),
    "biasprm": np.zeros(10),
}
ACTUATOR_TAGS = ("motor", "position", "velocity", "general")

TENDON_SPECS = {
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
TENDON_IGNORED = frozenset({"group", "user", "rgba", "width", "material"})
TENDON_DEFAULTS = {
    "limited": "auto",
    "range": np.zeros(2),
    "stiffness": 0.0,
    "damping": 0.0,
    "frictionloss": 0.0,
    "armature": 0.0,
    "actuatorfrclimited": "auto",
    "actuatorfrcrange": np.zeros(2),
}

BODY_SPECS = {
    "name": (_S, 1),
    "childclass": (_S, 1),
    "pos": (_F, 3),
    "mocap": (_B, 1),
    "gravcomp": (_F, 1),
    **ORIENT_SPECS,
}
BODY_IGNORED = frozenset({"user", "simple", "sleep"})  # simple/sleep: performance hints only

# <freejoint> takes no defaults (MuJoCo's plain free joint); align="true" is rejected
FREEJOINT_SPECS = {"name": (_S, 1), "align": (_S, 1)}
FREEJOINT_IGNORED = frozenset({"group"})
# <joint> inside a <fixed> tendon
TENDON_JOINT_SPECS = {"joint": (_S, 1), "coef": (_F, 1)}

INERTIAL_SPECS = {"pos": (_F, 3), "mass": (_F, 1), "diaginertia": (_F, 3), "fullinertia": (_F, 6), **ORIENT_SPECS}

COMPILER_SPECS = {
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
COMPILER_IGNORED = frozenset(
    (
        "meshdir texturedir assetdir strippath discardvisual usethread fitaabb saveinertial exactmeshinertia conflict"
    ).split()
)

OPTION_SPECS = {
    "timestep": (_F, 1),
    "gravity": (_F, 3),
    "integrator": ("enum:" + "|".join(INTEGRATORS), 1),
    "cone": ("enum:" + "|".join(CONES), 1),
    "impratio": (_F, 1),
    "density": (_F, 1),
    "viscosity": (_F, 1),
    "wind": (_F, 3),
    "ccd_tolerance": (_F, 1),
    "ccd_iterations": ("int", 1),
}
# numerical settings of MuJoCo's own constraint solver and collision routines: no counterpart here
OPTION_IGNORED = frozenset(
    (
        "tolerance ls_tolerance noslip_tolerance sleep_tolerance jacobian solver iterations "
        "ls_iterations noslip_iterations sdf_iterations sdf_initpoints apirate magnetic "
        "actuatorgroupdisable"
    ).split()
)

# <option><flag>: each of MuJoCo's flags by name, "enable" or "disable"
FLAG_SPECS = {name: ("enum:enable|disable", 1) for name in (*DISABLE_FLAGS, *ENABLE_FLAGS)}
# enable flags that change the dynamics in ways the simulator does not model (contact overrides, sleeping bodies,
# exact constraint diagonals, incremental potential contacts, speculative contacts); energy, fwdinv and invdiscrete
# only add diagnostics or change inverse dynamics
UNSUPPORTED_ENABLE = ("override", "sleep", "diagexact", "ipc", "speculative")

# <keyframe><key>: qpos/qvel/ctrl lengths are checked against nq/nv/nu by the compiler; act, mpos and
# mquat need activations or mocap bodies, which the loader does not compile
KEY_SPECS = {
    "name": (_S, 1),
    "time": (_F, 1),
    "qpos": (_F, (1, 10**9)),
    "qvel": (_F, (1, 10**9)),
    "ctrl": (_F, (1, 10**9)),
}
# <equality>: connect and weld between bodies, joint couplings (mjcf.compiler._compile_equalities); a default class's
# <equality> holds active, solref and solimp
EQUALITY_TAGS = ("connect", "weld", "joint")
EQUALITY_SPECS = {
    "name": (_S, 1),
    "active": (_B, 1),
    "solref": (_F, (1, 2)),
    "solimp": (_F, (1, 5)),
    "body1": (_S, 1),
    "body2": (_S, 1),
    "site1": (_S, 1),
    "site2": (_S, 1),
    "anchor": (_F, 3),
    "relpose": (_F, 7),
    "torquescale": (_F, 1),
    "joint1": (_S, 1),
    "joint2": (_S, 1),
    "polycoef": (_F, (1, 5)),
}
EQUALITY_DEFAULTS = {
    "active": True,
    "solref": np.array([0.02, 1.0]),
    "solimp": np.array([0.9, 0.95, 0.001, 0.5, 2.0]),
}
EQUALITY_DEFAULT_SPECS = {k: EQUALITY_SPECS[k] for k in EQUALITY_DEFAULTS}
# the attributes each kind takes (beyond name, class, active, solref, solimp)
EQUALITY_ATTRS = {
    "connect": ("body1", "body2", "site1", "site2", "anchor"),
    "weld": ("body1", "body2", "site1", "site2", "anchor", "relpose", "torquescale"),
    "joint": ("joint1", "joint2", "polycoef"),
}

# <contact><exclude>: no contacts between the geoms of two bodies
EXCLUDE_SPECS = {"name": (_S, 1), "body1": (_S, 1), "body2": (_S, 1)}
# <contact><pair>: an explicit geom pair with its own contact parameters (MuJoCo 4.0's defaults, not the geoms' mix)
PAIR_SPECS = {
    "name": (_S, 1),
    "class": (_S, 1),
    "geom1": (_S, 1),
    "geom2": (_S, 1),
    "condim": (_I, 1),
    "friction": (_F, (1, 5)),
    "solref": (_F, (1, 2)),
    "solreffriction": (_F, (1, 2)),
    "solimp": (_F, (1, 5)),
    "margin": (_F, 1),
    "gap": (_F, 1),
}
PAIR_DEFAULTS = {
    "condim": 3,
    "friction": np.array([1.0, 1.0, 0.005, 0.0001, 0.0001]),
    "solref": np.array([0.02, 1.0]),
    "solreffriction": np.array([0.0, 0.0]),
    "solimp": np.array([0.9, 0.95, 0.001, 0.5, 2.0]),
    "margin": 0.0,
    "gap": 0.0,
}
PAIR_DEFAULT_SPECS = {k: PAIR_SPECS[k] for k in PAIR_DEFAULTS}

# elements that never change the dynamics: ignored wherever they appear
VISUAL_TOP = frozenset({"asset", "visual", "statistic", "custom", "size", "sensor", "extension"})
VISUAL_IN_BODY = frozenset({"site", "camera", "light"})
VISUAL_IN_DEFAULT = frozenset({"site", "camera", "light", "material", "mesh", "texture", "hfield", "skin"})
FORCE_TOP = frozenset({"deformable"})  # fine only when empty
