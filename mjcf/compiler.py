"""`Document` -> `Model`: geoms, body inertias, joints and dofs, tendons, actuators, as MuJoCo's compiler does.

`compile_model` runs the stages in one fixed order, so a model with several faults always reports the same
one (tests/test_mjcf_errors.py): bodies with their geoms and inertias, joints and dofs (with body names), geom
names, tendons, actuators, contact excludes, keyframes, then the mass check (before settotalmass scaling, as in
user_model.cc).
"""

from __future__ import annotations

import math

import numpy as np

from mjcf import specs
from mjcf.inertia import body_inertia, check_moving_bodies_have_mass, geom_inertia, geom_volume, scale_to_total_mass
from mjcf.model import (
    BIAS_AFFINE,
    BIAS_NONE,
    DYN_NONE,
    GAIN_FIXED,
    GEOM_BOX,
    GEOM_CAPSULE,
    GEOM_CYLINDER,
    GEOM_ELLIPSOID,
    GEOM_PLANE,
    JNT_BALL,
    JNT_FREE,
    JNT_HINGE,
    MJ_EPS,
    NBIAS,
    NGAIN,
    TRN_JOINT,
    Model,
)
from mjcf.orientation import normalize, orientation, quat_mul, quat_to_mat, z_to_quat
from mjcf.parser import Body, CompilerSettings, Document, Element, read_actuator, read_attrs


def compile_model(doc: Document) -> Model:
    """Compile a parsed document into a `Model` (float64 host arrays, SI units, MuJoCo's frames and order)."""
    names: dict[str, set] = {"body": set(), "joint": set(), "geom": set(), "actuator": set()}
    weldid = _weld_ids(doc.bodies)
    body_fields, geoms = _compile_bodies(doc, weldid)
    joint_fields = _compile_joints(doc, names)
    for gnode, ga, _, _ in geoms:
        _unique(names["geom"], ga.get("name", ""), gnode)
    joint_ids = {n: i for i, n in enumerate(joint_fields["joint_names"]) if n}
    _check_tendons(doc, joint_ids)
    actuators = _compile_actuators(doc, joint_ids, joint_fields["jnt_range"], names["actuator"])
    excludes = _compile_excludes(doc)
    equalities = _compile_equalities(doc, body_fields, joint_ids, joint_fields["jnt_type"])
    sizes = {k: joint_fields[k] for k in ("nq", "nv")} | {"nu": len(actuators)}
    keys = _compile_keys(doc, joint_fields["qpos0"], sizes)
    check_moving_bodies_have_mass(doc.bodies, body_fields["body_mass"], body_fields["body_inertia"])
    scale_to_total_mass(body_fields["body_mass"], body_fields["body_inertia"], doc.compiler.settotalmass)
    kept = [g for g in geoms if g[2] is not None]  # visual-only meshes left out
    pairs = _compile_pairs(doc, kept)
    return Model(
        nbody=len(doc.bodies),
        ngeom=len(kept),
        nu=len(actuators),
        nexclude=len(excludes),
        exclude_signature=np.array(excludes, np.int32),
        **pairs,
        body_parentid=np.array([b.parent for b in doc.bodies], np.int32),
        body_weldid=np.array(weldid, np.int32),
        **body_fields,
        **joint_fields,
        **_geom_fields(kept),
        **_actuator_fields(actuators),
        **keys,
        **equalities,
        opt=doc.opt,
        body_names=[b.name for b in doc.bodies],
    )


def _column(rows: list[dict], key: str, dtype=np.float64, shape=()) -> np.ndarray:
    """One Model field (len(rows), *shape) from a list of per-element dicts."""
    return np.array([r[key] for r in rows], dtype=dtype).reshape((len(rows), *shape))


def _unique(seen: set, name: str, node: Element | None):
    """Record a non-empty name; a name seen before in the same namespace is an error."""
    if name:
        if name in seen:
            raise node.error(f"repeated name '{name}'", "name")
        seen.add(name)


def _resolve_limited(node: Element, flag: str, rng: np.ndarray, attr: str, autolimits: bool) -> bool:
    """Resolve a true/false/auto limit flag the way MuJoCo's compiler does (autolimits)."""
    if flag == "auto":
        hasrange = not (rng[0] == 0 and rng[1] == 0)
        if not autolimits and hasrange:
            raise node.error(
                f"'{attr}range' given without '{attr}limited'; set compiler autolimits='true' or give "
                f"'{attr}limited' explicitly",
                f"{attr}limited",
            )
        return bool(rng[0] < rng[1])
    return flag == "true"


# ----------------------------------------------------------------------------------------------------
# Bodies and geoms


def _weld_ids(bodies: list[Body]) -> list[int]:
    """Per body, the nearest ancestor-or-self with joints (0: welded to the world)."""
    weldid = [0] * len(bodies)
    for i in range(1, len(bodies)):
        weldid[i] = i if bodies[i].joints else weldid[bodies[i].parent]
    return weldid


def _geom_frame(node: Element, a: dict, gtype: int, c: CompilerSettings):
    """Geom size (3,) m, position (3,) m and wxyz orientation in the body frame, from size/pos/fromto/orientation."""
    size = np.array(a["size"], dtype=np.float64)
    pos = np.array(a["pos"], dtype=np.float64)
    if "fromto" not in a:
        return size, pos, orientation(node, a, c.degree, c.eulerseq)
    if gtype not in (GEOM_CAPSULE, GEOM_CYLINDER, GEOM_ELLIPSOID, GEOM_BOX):
        raise node.error("fromto requires a capsule, cylinder, ellipsoid or box", "fromto")
    if np.any(pos != 0):
        raise node.error("both pos and fromto given; use one", "fromto")
    ft = np.asarray(a["fromto"], dtype=np.float64)
    # the geom's z axis points from the second point to the first, as in MuJoCo
    vec, length = normalize(ft[:3] - ft[3:])
    if length / 2 < MJ_EPS:
        raise node.error("the two points coincide", "fromto")
    size[1] = length / 2
    if gtype in (GEOM_ELLIPSOID, GEOM_BOX):
        size[2], size[1] = size[1], size[0]
    # fromto overrides any orientation attribute, as in MuJoCo
    return size, (ft[:3] + ft[3:]) / 2, z_to_quat(vec)


def _geom_mass(node: Element, a: dict, gtype: int, size: np.ndarray):
    """Geom mass (kg) and diagonal inertia (3,) about its center in the geom frame (kg m^2), from mass or density."""
    volume = geom_volume(gtype, size)
    if "mass" in a:
        if a["mass"] < 0:
            raise node.error("mass must be non-negative", "mass")
        if a["mass"] != 0 and volume > MJ_EPS:
            return a["mass"], geom_inertia(gtype, size, a["mass"])
        return 0.0, np.zeros(3)
    if a["density"] < 0:
        raise node.error("density must be non-negative", "density")
    mass = a["density"] * volume
    return mass, geom_inertia(gtype, size, mass)


def _compile_geom(node: Element, a: dict, static: bool, infer_inertia: bool, c: CompilerSettings) -> dict:
    """One geom: type, size, frame in the body frame, and mass/inertia when they count towards the body's."""
    tname = a["type"]
    if tname not in specs.GEOM_TYPES:
        raise node.error(f"geom type '{tname}' is not supported", "type")
    for key in ("mesh", "hfield"):
        if key in a:
            raise node.error("mesh and height-field geoms are not supported", key)
    if a["shellinertia"]:
        raise node.error("shell inertia is not supported", "shellinertia")
    if a["fluidshape"] != "none":
        raise node.error("fluid forces are not supported", "fluidshape")
    gtype = specs.GEOM_TYPES[tname]
    if a["condim"] not in (1, 3, 4, 6):
        raise node.error(f"condim must be 1, 3, 4 or 6, got {a['condim']}", "condim")
    if gtype == GEOM_PLANE and not static:
        raise node.error("planes are only allowed in static bodies (no joints up to the world)", "type")
    size, pos, quat = _geom_frame(node, a, gtype, c)
    if gtype == GEOM_PLANE:
        if size[2] <= 0:
            raise node.error("plane size[2] (grid spacing) must be positive", "size")
    else:
        for i in range(specs.GEOM_NSIZE[gtype]):
            if size[i] <= 0:
                raise node.error(f"size[{i}] must be positive for a {tname}", "size")
    mass, inertia = 0.0, np.zeros(3)
    group_ok = c.inertiagrouprange[0] <= a["group"] <= c.inertiagrouprange[1]
    if infer_inertia and group_ok:
        mass, inertia = _geom_mass(node, a, gtype, size)
    return dict(type=gtype, size=size, pos=pos, quat=quat, mass=mass, inertia=inertia)


def _visual_mesh(node: Element, a: dict, infer_inertia: bool, c: CompilerSettings) -> bool:
    """Whether a geom is a mesh the loader can leave out; False if it is no mesh; raises for meshes that matter.

    A mesh geom (type="mesh", or a primitive sized from a mesh) can be skipped when it never collides
    (contype = conaffinity = 0) and adds no mass to its body (an <inertial> wins, its group is outside
    inertiagrouprange, or its mass or density is zero); the loader cannot compute a mesh's volume or contacts.
    """
    if a["type"] != "mesh" and "mesh" not in a:
        return False
    if a["type"] == "mesh":
        attr, what = "type", "geom type 'mesh' is not supported"
    else:
        attr, what = "mesh", "mesh and height-field geoms are not supported"
    if a["contype"] != 0 or a["conaffinity"] != 0:
        raise node.error(
            f"{what} for geoms that can collide; only visual meshes (contype = conaffinity = 0) are skipped", attr
        )
    in_group = c.inertiagrouprange[0] <= a["group"] <= c.inertiagrouprange[1]
    massless = a["mass"] == 0 if "mass" in a else a["density"] == 0
    if infer_inertia and c.inertiafromgeom != "false" and in_group and not massless:
        raise node.error(
            f"{what}: this visual mesh would add its volume to the body's mass; give the body an <inertial> "
            "or the geom mass='0'",
            attr,
        )
    return True


def _compile_bodies(doc: Document, weldid: list[int]) -> tuple[dict, list[tuple]]:
    """Body frame and inertia fields of the Model, and every geom as (node, attrs, compiled, body id).

    `compiled` is None for a visual-only mesh geom, which the Model leaves out.
    """
    nbody, c = len(doc.bodies), doc.compiler
    shapes = {"pos": (3,), "quat": (4,), "ipos": (3,), "iquat": (4,), "mass": (), "inertia": (3,)}
    fields = {f"body_{k}": np.zeros((nbody, *shape)) for k, shape in shapes.items()}
    fields["body_quat"][0] = fields["body_iquat"][0] = [1, 0, 0, 0]
    fields["body_gravcomp"] = np.array([b.gravcomp for b in doc.bodies], np.float64)
    geoms = []
    for bid, body in enumerate(doc.bodies):
        explicit = body.inertial is not None
        infer = bid > 0 and (not explicit or c.inertiafromgeom == "true")
        compiled = [
            None if _visual_mesh(gnode, ga, infer, c) else _compile_geom(gnode, ga, weldid[bid] == 0, infer, c)
            for gnode, ga in body.geoms
        ]
        geoms.extend((gnode, ga, g, bid) for (gnode, ga), g in zip(body.geoms, compiled, strict=True))
        if bid == 0:
            continue
        mass, ipos, iquat, inertia = body_inertia(body, [g for g in compiled if g is not None], c)
        for key, value in zip(shapes, (body.pos, body.quat, ipos, iquat, mass, inertia), strict=True):
            fields[f"body_{key}"][bid] = value
    return fields, geoms


def _geom_fields(geoms: list[tuple]) -> dict:
    """The geom_* fields and geom_names of the Model from (node, attrs, compiled, body id) tuples."""
    attrs = [ga for _, ga, _, _ in geoms]
    compiled = [g for _, _, g, _ in geoms]
    return dict(
        geom_type=_column(compiled, "type", np.int32),
        geom_bodyid=np.array([bid for *_, bid in geoms], np.int32),
        geom_size=_column(compiled, "size", shape=(3,)),
        geom_pos=_column(compiled, "pos", shape=(3,)),
        geom_quat=_column(compiled, "quat", shape=(4,)),
        geom_friction=_column(attrs, "friction", shape=(3,)),
        geom_contype=_column(attrs, "contype", np.int32),
        geom_conaffinity=_column(attrs, "conaffinity", np.int32),
        geom_condim=_column(attrs, "condim", np.int32),
        geom_priority=_column(attrs, "priority", np.int32),
        geom_solmix=_column(attrs, "solmix"),
        geom_margin=_column(attrs, "margin"),
        geom_gap=_column(attrs, "gap"),
        geom_solref=_column(attrs, "solref", shape=(2,)),
        geom_solimp=_column(attrs, "solimp", shape=(5,)),
        geom_names=[ga.get("name", "") for ga in attrs],
    )


# ----------------------------------------------------------------------------------------------------
# Joints and dofs


def _check_body_joints(body: Body):
    """MuJoCo's per-body joint rules: a free joint alone and top-level, at most 6 dofs, nothing after a ball."""
    types = [ja["type"] for _, ja in body.joints]
    if "free" in types and len(types) > 1:
        raise body.joints[0][0].error("a free joint must be the only joint of its body")
    if "free" in types and body.parent != 0:
        raise body.joints[0][0].error("free joints are only allowed in top-level bodies")
    ndof_body = sum(specs.JOINT_NDOF[specs.JOINT_TYPES[t]] for t in types)
    if ndof_body > 6:
        raise body.node.error(f"more than 6 dofs in one body ({ndof_body})")
    # a rotation after a ball joint would make the rotational dofs redundant (as MuJoCo checks)
    if "ball" in types and any(t in ("ball", "hinge") for t in types[types.index("ball") + 1 :]):
        raise body.joints[types.index("ball")][0].error("a ball joint followed by a rotation in one body")


def _joint_limits(node: Element, a: dict, jtype: int, c: CompilerSettings) -> tuple[bool, np.ndarray]:
    """Whether the joint is limited, and its range (rad for limited hinge/ball joints, else as written)."""
    rng = np.array(a["range"], dtype=np.float64)
    limited = jtype != JNT_FREE and _resolve_limited(node, a["limited"], rng, "", c.autolimits)
    if limited:
        if jtype != JNT_BALL and rng[0] >= rng[1]:
            raise node.error(f"range[0] must be smaller than range[1], got {rng.tolist()}", "range")
        if jtype == JNT_BALL and rng[0] != 0:
            raise node.error("range[0] must be 0 for a ball joint", "range")
        # MuJoCo converts the range only for limited joints; unlimited ranges are kept as written
        if c.degree and jtype in (JNT_HINGE, JNT_BALL):
            rng = rng * (math.pi / 180.0)
    return limited, rng


def _actuator_force_limits(node: Element, a: dict, jtype: int, c: CompilerSettings) -> tuple[bool, np.ndarray]:
    """Whether the summed actuator force on the joint is clamped, and its range [N m or N] (MuJoCo's
    jnt_actfrclimited / jnt_actfrcrange): only hinge and slide joints; MuJoCo ignores it on ball and free joints."""
    rng = np.array(a["actuatorfrcrange"], dtype=np.float64)
    limited = jtype not in (JNT_FREE, JNT_BALL) and _resolve_limited(
        node, a["actuatorfrclimited"], rng, "actuatorfrc", c.autolimits
    )
    if limited and rng[0] >= rng[1]:
        # an explicit actuatorfrclimited="true" with no or an empty range (auto already needs lo < hi)
        raise node.error(f"actuatorfrcrange[0] must be smaller than [1], got {rng.tolist()}", "actuatorfrcrange")
    return limited, rng


def _compile_joint(node: Element, a: dict, body: Body, c: CompilerSettings) -> dict:
    """One joint's jnt_* values plus its qpos0 and qpos_spring entries (addresses are filled by the caller)."""
    jtype = specs.JOINT_TYPES[a["type"]]
    if np.any(a["springdamper"] != 0):
        raise node.error("springdamper is not supported; give stiffness and damping", "springdamper")
    limited, rng = _joint_limits(node, a, jtype, c)
    actfrclimited, actfrcrange = _actuator_force_limits(node, a, jtype, c)
    if jtype in (JNT_FREE, JNT_BALL):
        axis = np.array([0.0, 0.0, 1.0])
    else:
        axis, n = normalize(a["axis"])
        if n < MJ_EPS:
            raise node.error("zero-length axis", "axis")
    pos = np.zeros(3) if jtype == JNT_FREE else np.array(a["pos"], dtype=np.float64)
    ref, springref = a["ref"], a["springref"]
    if jtype == JNT_HINGE and c.degree:
        ref, springref = ref * math.pi / 180.0, springref * math.pi / 180.0
    if jtype == JNT_FREE:
        q0 = qs = list(body.pos) + list(body.quat)
    elif jtype == JNT_BALL:
        q0 = qs = [1.0, 0.0, 0.0, 0.0]
    else:
        q0, qs = [ref], [springref]
    for key in ("stiffness", "damping", "armature", "frictionloss"):
        if a[key] < 0:
            raise node.error("must be non-negative", key)
    return dict(
        type=jtype,
        pos=pos,
        axis=axis,
        stiffness=a["stiffness"],
        range=rng,
        limited=limited,
        actfrclimited=actfrclimited,
        actfrcrange=actfrcrange,
        actgravcomp=bool(a["actuatorgravcomp"]),
        margin=a["margin"],
        solref=a["solreflimit"],
        solimp=a["solimplimit"],
        qpos0=q0,
        qpos_spring=qs,
    )


def _compile_joints(doc: Document, names: dict[str, set]) -> dict:
    """Joint, dof and generalized-coordinate fields of the Model, in body (= document) order."""
    bodies, nbody = doc.bodies, len(doc.bodies)
    jnts, dofs, qpos0, qpos_spring = [], [], [], []
    f = {k: np.zeros(nbody, np.int32) for k in ("body_rootid", "body_jntnum", "body_dofnum")}
    f |= {k: np.full(nbody, -1, np.int32) for k in ("body_jntadr", "body_dofadr")}
    lastdof = [-1] * nbody
    for bid, body in enumerate(bodies):
        if bid > 0:
            _unique(names["body"], body.name, body.node)
        parent = body.parent
        f["body_rootid"][bid] = bid if bid == 0 or parent == 0 else f["body_rootid"][parent]
        lastdof[bid] = lastdof[parent] if bid > 0 else -1
        _check_body_joints(body)
        if body.joints:
            f["body_jntadr"][bid], f["body_jntnum"][bid] = len(jnts), len(body.joints)
        for jnode, ja in body.joints:
            _unique(names["joint"], ja.get("name", ""), jnode)
            row = _compile_joint(jnode, ja, body, doc.compiler)
            row.update(bodyid=bid, qposadr=len(qpos0), dofadr=len(dofs))
            jnts.append(row)
            qpos0.extend(row.pop("qpos0"))
            qpos_spring.extend(row.pop("qpos_spring"))
            if f["body_dofadr"][bid] < 0:
                f["body_dofadr"][bid] = len(dofs)
            ndof = specs.JOINT_NDOF[row["type"]]
            f["body_dofnum"][bid] += ndof
            for _ in range(ndof):
                dof = dict(bodyid=bid, jntid=len(jnts) - 1, parentid=lastdof[bid])
                dofs.append(dof | {k: ja[k] for k in ("armature", "damping", "frictionloss")})
                dofs[-1].update(solref=ja["solreffriction"], solimp=ja["solimpfriction"])
                lastdof[bid] = len(dofs) - 1
    f.update(njnt=len(jnts), nq=len(qpos0), nv=len(dofs))
    f.update(qpos0=np.array(qpos0, np.float64), qpos_spring=np.array(qpos_spring, np.float64))
    f.update({f"jnt_{k}": _column(jnts, k, np.int32) for k in ("type", "bodyid", "qposadr", "dofadr")})
    f.update({f"jnt_{k}": _column(jnts, k, shape=(n,)) for k, n in (("pos", 3), ("axis", 3), ("range", 2))})
    f.update(jnt_limited=_column(jnts, "limited", bool), jnt_stiffness=_column(jnts, "stiffness"))
    f.update(jnt_margin=_column(jnts, "margin"), jnt_solref=_column(jnts, "solref", shape=(2,)))
    f.update(jnt_solimp=_column(jnts, "solimp", shape=(5,)))
    f.update(jnt_actfrclimited=_column(jnts, "actfrclimited", bool))
    f.update(jnt_actfrcrange=_column(jnts, "actfrcrange", shape=(2,)))
    f.update(jnt_actgravcomp=_column(jnts, "actgravcomp", bool))
    f.update({f"dof_{k}": _column(dofs, k, np.int32) for k in ("bodyid", "jntid", "parentid")})
    f.update({f"dof_{k}": _column(dofs, k) for k in ("armature", "damping", "frictionloss")})
    f.update(dof_solref=_column(dofs, "solref", shape=(2,)), dof_solimp=_column(dofs, "solimp", shape=(5,)))
    f["joint_names"] = [ja.get("name", "") for b in bodies for _, ja in b.joints]
    return f


# ----------------------------------------------------------------------------------------------------
# Tendons and actuators


# element tag -> (DefaultClass field holding its defaults, attribute spec, ignored attributes)
_SECTION_SPECS = {
    "fixed": ("tendon", specs.TENDON_SPECS, specs.TENDON_IGNORED),
}


def _section_elements(doc: Document, sections: list[Element], tags: tuple[str, ...], unsupported: str):
    """Yield (element, attributes over the 'main' or `class` defaults) for each child of <tendon>/<actuator>.

    A child whose tag is not in `tags` raises `unsupported`; errors surface as the caller iterates, in
    document order.
    """
    for section in sections:
        section.reject_attributes()
        for node in section.children:
            if node.tag not in tags:
                raise node.error(unsupported)
            cls = doc.default_class(node, "main")
            if node.tag in specs.ACTUATOR_TAGS:
                yield node, read_actuator(node, cls.actuator)
            else:
                field, spec, ignored = _SECTION_SPECS[node.tag]
                yield node, read_attrs(node, spec, ignored, getattr(cls, field))


def _check_tendons(doc: Document, joint_ids: dict):
    """Accept fixed tendons only if they exert no force (Gymnasium's humanoid declares such tendons)."""
    autolimits = doc.compiler.autolimits
    unsupported = "unsupported tendon type (only force-free <fixed> tendons are accepted)"
    for tnode, a in _section_elements(doc, doc.tendon_sections, ("fixed",), unsupported):
        for key in ("stiffness", "damping", "frictionloss", "armature"):
            if a[key] != 0:
                raise tnode.error("tendons that exert forces are not supported", key)
        if _resolve_limited(tnode, a["limited"], a["range"], "", autolimits):
            raise tnode.error("tendon limits are not supported", "limited")
        if _resolve_limited(tnode, a["actuatorfrclimited"], a["actuatorfrcrange"], "actuatorfrc", autolimits):
            raise tnode.error("tendon actuator force limits are not supported", "actuatorfrclimited")
        for jnode in tnode.children:
            if jnode.tag != "joint":
                raise jnode.error("unsupported element in a fixed tendon")
            ja = read_attrs(jnode, specs.TENDON_JOINT_SPECS, frozenset(), {})
            if "joint" not in ja:
                raise jnode.error("required attribute missing", "joint")
            if ja["joint"] not in joint_ids:
                raise jnode.error(f"unknown joint '{ja['joint']}'", "joint")


# the actuator types the kernels compute (kernels/smooth: force = gain ctrl + b0 + b1 length + b2 velocity)
_ACTUATOR_TYPES = {
    "dyntype": {"none": DYN_NONE},
    "gaintype": {"fixed": GAIN_FIXED},
    "biastype": {"none": BIAS_NONE, "affine": BIAS_AFFINE},
}
_ACTUATOR_TYPE_WHY = {
    "dyntype": "activation dynamics are not supported (only dyntype='none')",
    "gaintype": "only a fixed gain is supported (gaintype='fixed')",
    "biastype": "only biastype 'none' or 'affine' is supported",
}


def _compile_actuator(node: Element, a: dict, joint_ids: dict, jnt_range: np.ndarray, autolimits: bool) -> dict:
    """One actuator's (motor, position, velocity, general) actuator_* values: transmission, gear, gain/bias, clamps.

    `a` is the element over its class's shared table (parser.read_actuator): gain and bias are MuJoCo's
    mjs_setTo* for the shortcuts (motor gainprm = (1, ...), no bias; position gainprm = (kp, ...), biasprm =
    (0, -kp, -kv, ...); velocity gainprm = (kv, ...), biasprm = (0, 0, -kv, ...); both biastype affine) and as
    written for a <general>. inheritrange > 0 sets ctrlrange to the joint's range [rad or m] scaled about its
    midpoint by that factor (MuJoCo's mjCActuator::Compile).
    """
    if "joint" not in a:
        raise node.error("required attribute missing (only joint transmissions are supported)", "joint")
    if a["joint"] not in joint_ids:
        raise node.error(f"unknown joint '{a['joint']}'", "joint")
    types = {}
    for key, codes in _ACTUATOR_TYPES.items():
        if a[key] not in codes:
            raise node.error(f"{_ACTUATOR_TYPE_WHY[key]}, got '{a[key]}'", key)
        types[key] = codes[a[key]]
    gainprm, biasprm = np.array(a["gainprm"], dtype=np.float64), np.array(a["biasprm"], dtype=np.float64)
    if biasprm[2] > 0 and gainprm[0] == -biasprm[1]:
        # MuJoCo's compiler reads a positive biasprm[2] of such a servo as a damping ratio (engine_setconst.c)
        raise node.error(
            "biasprm[2] > 0 on a position servo (gainprm[0] = -biasprm[1]) is MuJoCo's damping ratio, which is not "
            "supported: give the damping as biasprm[2] = -kv",
            "biasprm",
        )
    if a["dyntype"] == "none" and "actlimited" in node.attrib and node.attrib["actlimited"] == "true":
        raise node.error("actlimited needs activation dynamics (dyntype is 'none')", "actlimited")
    if a["inheritrange"] > 0:
        lo, hi = jnt_range[joint_ids[a["joint"]]]
        if lo >= hi:
            raise node.error(f"inheritrange needs a range on joint '{a['joint']}'", "inheritrange")
        mid, half = 0.5 * (lo + hi), 0.5 * a["inheritrange"] * (hi - lo)
        a = {**a, "ctrlrange": np.array([mid - half, mid + half])}
    limited = {k: _resolve_limited(node, a[f"{k}limited"], a[f"{k}range"], k, autolimits) for k in ("force", "ctrl")}
    for k in ("force", "ctrl"):
        if limited[k] and a[f"{k}range"][0] >= a[f"{k}range"][1]:
            raise node.error(f"{k}range[0] must be smaller than {k}range[1]", f"{k}range")
    return dict(
        name=a.get("name", ""),
        trntype=TRN_JOINT,
        **types,
        gainprm=gainprm,
        biasprm=biasprm,
        trnid=[joint_ids[a["joint"]], -1],
        gear=np.array(a["gear"], dtype=np.float64),
        ctrlrange=np.array(a["ctrlrange"], dtype=np.float64),
        ctrllimited=limited["ctrl"],
        forcerange=np.array(a["forcerange"], dtype=np.float64),
        forcelimited=limited["force"],
    )


def _compile_actuators(doc: Document, joint_ids: dict, jnt_range: np.ndarray, seen: set) -> list[dict]:
    """Every <motor>, <position>, <velocity> and <general> in document order (other actuator types are errors)."""
    out = []
    unsupported = "unsupported actuator (only <motor>, <position>, <velocity> and <general> are supported)"
    for node, a in _section_elements(doc, doc.actuator_sections, specs.ACTUATOR_TAGS, unsupported):
        _unique(seen, a.get("name", ""), node)
        out.append(_compile_actuator(node, a, joint_ids, jnt_range, doc.compiler.autolimits))
    return out


def _actuator_fields(actuators: list[dict]) -> dict:
    """The actuator_* fields and actuator_names of the Model."""
    return dict(
        **{f"actuator_{k}": _column(actuators, k, np.int32) for k in ("trntype", "dyntype", "gaintype", "biastype")},
        actuator_gainprm=_column(actuators, "gainprm", shape=(NGAIN,)),
        actuator_biasprm=_column(actuators, "biasprm", shape=(NBIAS,)),
        actuator_trnid=_column(actuators, "trnid", np.int32, (2,)),
        actuator_gear=_column(actuators, "gear", shape=(6,)),
        actuator_ctrlrange=_column(actuators, "ctrlrange", shape=(2,)),
        actuator_ctrllimited=_column(actuators, "ctrllimited", bool),
        actuator_forcerange=_column(actuators, "forcerange", shape=(2,)),
        actuator_forcelimited=_column(actuators, "forcelimited", bool),
        actuator_names=[a["name"] for a in actuators],
    )


# ----------------------------------------------------------------------------------------------------
# Contact excludes and keyframes


def _children(sections: list[Element], tags: str | tuple, unsupported: str):
    """Every child of the given sections, which take no attributes; a child with another tag raises."""
    tags = (tags,) if isinstance(tags, str) else tags
    for section in sections:
        section.reject_attributes()
        for node in section.children:
            if node.tag not in tags:
                raise node.error(unsupported)
            yield node


def _compile_pairs(doc: Document, geoms: list[tuple]) -> dict:
    """pair_* fields of the <contact><pair> elements (MuJoCo 4.0's defaults where neither the pair nor its class sets
    a value); geom1 / geom2 swapped so that geom1's body id <= geom2's, the pairs stable-sorted by signature (body1 <<
    16) + body2, as MuJoCo's compiler (mjCPair, comparePair)."""
    geom_ids = {ga.get("name"): i for i, (_, ga, _, _) in enumerate(geoms) if ga.get("name")}
    body_of = [bid for *_, bid in geoms]
    rows, seen = [], set()
    unsupported = "unsupported element in <contact> (<exclude> and <pair> are supported)"
    for node in _children(doc.contact_sections, ("exclude", "pair"), unsupported):
        if node.tag != "pair":
            continue
        a = read_attrs(node, specs.PAIR_SPECS, frozenset(), doc.default_class(node, "main").pair)
        _unique(seen, a.get("name", ""), node)
        ids = []
        for key in ("geom1", "geom2"):
            if key not in a:
                raise node.error("required attribute missing", key)
            if a[key] not in geom_ids:
                raise node.error(f"unknown geom '{a[key]}'", key)
            ids.append(geom_ids[a[key]])
        if a["condim"] not in (1, 3, 4, 6):
            raise node.error(f"condim must be 1, 3, 4 or 6, got {a['condim']}", "condim")
        g1, g2 = ids if body_of[ids[0]] <= body_of[ids[1]] else ids[::-1]
        rows.append(((body_of[g1] << 16) + body_of[g2], g1, g2, a))
    rows.sort(key=lambda r: r[0])  # stable: pairs of one body pair keep their order
    return dict(
        npair=len(rows),
        pair_geom1=np.array([r[1] for r in rows], np.int32),
        pair_geom2=np.array([r[2] for r in rows], np.int32),
        pair_dim=np.array([r[3]["condim"] for r in rows], np.int32),
        pair_friction=np.array([r[3]["friction"] for r in rows], np.float64).reshape(-1, 5),
        pair_solref=np.array([r[3]["solref"] for r in rows], np.float64).reshape(-1, 2),
        pair_solreffriction=np.array([r[3]["solreffriction"] for r in rows], np.float64).reshape(-1, 2),
        pair_solimp=np.array([r[3]["solimp"] for r in rows], np.float64).reshape(-1, 5),
        pair_margin=np.array([r[3]["margin"] for r in rows], np.float64),
        pair_gap=np.array([r[3]["gap"] for r in rows], np.float64),
        pair_signature=np.array([r[0] for r in rows], np.int32),
    )


def _compile_excludes(doc: Document) -> list[int]:
    """exclude_signature of the <contact><exclude> elements: (min body id << 16) + max body id each.

    Sorted ascending with duplicates kept, as MuJoCo's compiler stores them for its binary search.
    """
    body_ids = {b.name: i for i, b in enumerate(doc.bodies) if b.name}
    seen, out = set(), []
    unsupported = "unsupported element in <contact> (<exclude> and <pair> are supported)"
    for node in _children(doc.contact_sections, ("exclude", "pair"), unsupported):
        if node.tag != "exclude":
            continue
        a = read_attrs(node, specs.EXCLUDE_SPECS, frozenset(), {}, skip=())
        _unique(seen, a.get("name", ""), node)
        ids = []
        for key in ("body1", "body2"):
            if key not in a:
                raise node.error("required attribute missing", key)
            if a[key] not in body_ids:
                raise node.error(f"unknown body '{a[key]}'", key)
            ids.append(body_ids[a[key]])
        out.append((min(ids) << 16) + max(ids))
    return sorted(out)


def _world_poses(body_fields: dict, parents: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Every body's world position [m] and orientation (wxyz) at qpos0: its frames composed from the world (every
    joint at its reference, where the MJCF places the bodies)."""
    n = len(parents)
    pos, quat = np.zeros((n, 3)), np.tile([1.0, 0.0, 0.0, 0.0], (n, 1))
    for b in range(1, n):
        p = parents[b]
        pos[b] = pos[p] + quat_to_mat(quat[p]) @ body_fields["body_pos"][b]
        quat[b] = quat_mul(quat[p], body_fields["body_quat"][b])
    return pos, quat


def _compile_equalities(doc: Document, body_fields: dict, joint_ids: dict, jnt_type: np.ndarray) -> dict:
    """eq_* fields of the <equality> elements (connect and weld between bodies, joint couplings), with MuJoCo's
    eq_data: a connect's second anchor and a weld's anchor in body 1 and relpose (unless given: a relpose with a zero
    quaternion, MuJoCo's default, asks for them) from the bodies' poses at qpos0 (mj_setConst)."""
    body_ids = {b.name: i for i, b in enumerate(doc.bodies) if b.name}
    pos, quat = _world_poses(body_fields, [b.parent for b in doc.bodies])
    rows, seen = [], set()
    unsupported = "unsupported element in <equality> (connect, weld and joint are supported)"
    for section in doc.equality_sections:
        section.reject_attributes()
        for node in section.children:
            if node.tag not in specs.EQUALITY_TAGS:
                raise node.error(unsupported)
            a = read_attrs(node, specs.EQUALITY_SPECS, frozenset(), doc.default_class(node, "main").equality)
            for attr in node.attrib:
                if attr not in ("name", "class", *specs.EQUALITY_DEFAULTS, *specs.EQUALITY_ATTRS[node.tag]):
                    raise node.error(f"<{node.tag}> has no attribute '{attr}'", attr)
            _unique(seen, a.get("name", ""), node)
            for attr in ("site1", "site2"):
                if attr in a:
                    raise node.error("site semantics are not supported: give body1 / body2", attr)
            data = np.zeros(11)
            data[10] = 1.0  # torquescale's default, stored for every kind as MuJoCo does
            if node.tag == "joint":
                if "joint1" not in a:
                    raise node.error("required attribute missing", "joint1")
                ids = []
                for key in ("joint1", "joint2"):
                    if key in a and a[key] not in joint_ids:
                        raise node.error(f"unknown joint '{a[key]}'", key)
                    ids.append(joint_ids[a[key]] if key in a else -1)
                    if ids[-1] >= 0 and jnt_type[ids[-1]] < 2:
                        raise node.error("only hinge and slide joints can be coupled", key)
                data[:5] = a.get("polycoef", np.array([0.0, 1.0, 0.0, 0.0, 0.0]))
                etype, objtype = 2, 0  # MuJoCo 4.0 leaves a joint coupling's objtype unset
            else:
                if "body1" not in a:
                    raise node.error("required attribute missing", "body1")
                ids = []
                for key in ("body1", "body2"):
                    if key in a and a[key] not in body_ids:
                        raise node.error(f"unknown body '{a[key]}'", key)
                    ids.append(body_ids[a[key]] if key in a else 0)
                b1, b2 = ids
                anchor = np.asarray(a.get("anchor", np.zeros(3)), dtype=np.float64)
                if node.tag == "connect":
                    if "anchor" not in a:
                        raise node.error("required attribute missing", "anchor")
                    world = pos[b1] + quat_to_mat(quat[b1]) @ anchor
                    data[:3], data[3:6] = anchor, quat_to_mat(quat[b2]).T @ (world - pos[b2])
                    etype = 0
                else:
                    relpose = np.asarray(a.get("relpose", np.array([0.0, 1.0, 0, 0, 0, 0, 0])), dtype=np.float64)
                    data[:3], data[10] = anchor, a.get("torquescale", 1.0)
                    if np.any(relpose[3:] != 0):
                        data[3:6], data[6:10] = relpose[:3], relpose[3:] / np.linalg.norm(relpose[3:])
                    else:
                        world = pos[b2] + quat_to_mat(quat[b2]) @ anchor
                        data[3:6] = quat_to_mat(quat[b1]).T @ (world - pos[b1])
                        conj = quat[b1] * np.array([1.0, -1.0, -1.0, -1.0])
                        data[6:10] = quat_mul(conj, quat[b2])
                    etype = 1
                objtype = 1
            rows.append(dict(type=etype, obj1=ids[0], obj2=ids[1], objtype=objtype, data=data, name=a.get("name", ""),
                             solref=a["solref"], solimp=a["solimp"], active=bool(a["active"])))  # fmt: skip
    return dict(
        neq=len(rows),
        eq_type=_column(rows, "type", np.int32),
        eq_obj1id=_column(rows, "obj1", np.int32),
        eq_obj2id=_column(rows, "obj2", np.int32),
        eq_objtype=_column(rows, "objtype", np.int32),
        eq_data=_column(rows, "data", shape=(11,)),
        eq_solref=_column(rows, "solref", shape=(2,)),
        eq_solimp=_column(rows, "solimp", shape=(5,)),
        eq_active0=_column(rows, "active", bool),
        eq_names=[r["name"] for r in rows],
    )


def _compile_keys(doc: Document, qpos0: np.ndarray, sizes: dict[str, int]) -> dict:
    """key_* fields and key_names: each <key>'s time (s), qpos, qvel and ctrl, with MuJoCo's defaults.

    As MuJoCo does, a vector shorter than nq / nv / nu fills its leading entries (the rest stay qpos0 or
    zero) and a longer one is an error; qpos is stored as written (no degree conversion); <size nkey> adds
    default keys after the given ones.
    """
    rows, seen = [], set()
    nodes = list(_children(doc.keyframe_sections, "key", "unsupported element in <keyframe>"))
    for node in nodes + [None] * (doc.nkey - len(nodes)):
        a = {} if node is None else read_attrs(node, specs.KEY_SPECS, frozenset(), {}, skip=())
        _unique(seen, a.get("name", ""), node)
        row = {"name": a.get("name", ""), "time": a.get("time", 0.0)}
        for key, size, start in (("qpos", "nq", qpos0), ("qvel", "nv", None), ("ctrl", "nu", None)):
            n = sizes[size]
            value = np.zeros(n) if start is None else np.array(start, dtype=np.float64)
            if key in a:
                given = np.atleast_1d(np.asarray(a[key], dtype=np.float64))
                if len(given) > n:
                    raise node.error(f"expected at most {size}={n} numbers, got {len(given)}", key)
                value[: len(given)] = given
            row[key] = value
        rows.append(row)
    return dict(
        nkey=len(rows),
        key_time=_column(rows, "time"),
        key_qpos=_column(rows, "qpos", shape=(sizes["nq"],)),
        key_qvel=_column(rows, "qvel", shape=(sizes["nv"],)),
        key_ctrl=_column(rows, "ctrl", shape=(sizes["nu"],)),
        key_names=[r["name"] for r in rows],
    )
