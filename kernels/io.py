"""Host to device: ``kernels.types.Model`` from an MjModel-like description, and a zeroed ``Data`` for N envs.

The input ``model`` is anything with mujoco.MjModel's attribute names, shapes and meaning (``load_mjcf``
output or a ``mujoco.MjModel``); quaternions are converted from MuJoCo's w, x, y, z to ``wp.quat`` order.
"""

import dataclasses

import numpy as np
import warp as wp

from kernels.convex import epa_capacity
from kernels.types import Data, Model, vec5
from mjcf.model import DISABLE_FLAGS, ENABLE_FLAGS, MJ_MINVAL
from mjcf.specs import UNSUPPORTED_ENABLE


def _wxyz_to_xyzw(q: np.ndarray) -> np.ndarray:
    q = np.asarray(q, dtype=np.float64).reshape(-1, 4)
    return np.ascontiguousarray(q[:, [1, 2, 3, 0]])


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64).reshape(-1, 3)
    n = np.linalg.norm(v, axis=1, keepdims=True)
    return np.where(n > 0, v / np.where(n > 0, n, 1.0), v)


def _array(x, dtype, device, shape=None) -> wp.array:
    a = np.ascontiguousarray(np.asarray(x))
    if shape is not None:
        a = a.reshape(shape)
    return wp.array(a.astype(np.int32 if dtype is int else np.float32), dtype=dtype, device=device)


def disabled(model, *names: str) -> bool:
    """Whether any of MuJoCo's disable flags ``names`` (``<option><flag name="disable">``) is set in model.opt."""
    flags = int(getattr(model.opt, "disableflags", 0))
    return any(flags & DISABLE_FLAGS[name] for name in names)


def check_model(model) -> None:
    """Raise NotImplementedError / ValueError naming what the device model cannot represent (free joints below the
    root, free or ball springs, ...)."""
    jnt_type = np.asarray(model.jnt_type)
    if np.any((jnt_type < 0) | (jnt_type > 3)):
        raise ValueError(f"model.jnt_type has unknown joint types: {jnt_type}")
    free_bodies = np.asarray(model.jnt_bodyid)[jnt_type == 0]
    if np.any(np.asarray(model.body_parentid)[free_bodies] != 0):
        raise NotImplementedError(f"free joints must be on children of the world body; bodies {free_bodies}")
    floss = np.asarray(getattr(model, "dof_frictionloss", np.zeros(int(model.nv)))).reshape(-1)
    free_dofs = [int(np.asarray(model.jnt_dofadr)[j]) + k for j in np.flatnonzero(jnt_type == 0) for k in range(6)]
    if np.any(floss[free_dofs] != 0):
        raise NotImplementedError("friction loss on a free joint's dofs (model.dof_frictionloss) is not supported")
    if np.any(floss < 0):
        raise ValueError(f"model.dof_frictionloss must be >= 0: {floss}")
    stiff = np.asarray(model.jnt_stiffness)
    if np.any((jnt_type == 0) & (stiff != 0)):
        raise NotImplementedError("free-joint stiffness (model.jnt_stiffness on a free joint) is not supported")
    if np.any((jnt_type == 1) & (stiff != 0)):
        balls = np.flatnonzero((jnt_type == 1) & (stiff != 0))
        raise NotImplementedError(f"ball-joint stiffness (model.jnt_stiffness on ball joints {balls}) is not supported")
    nu = int(model.nu)
    if nu:
        trn = np.asarray(model.actuator_trnid).reshape(nu, 2)[:, 0]
        if np.any(trn < 0) or np.any(trn >= int(model.njnt)) or np.any(jnt_type[trn] < 2):
            raise NotImplementedError(f"actuators must drive hinge or slide joints; actuator_trnid={trn}")
        for name in ("actuator_trntype", "actuator_dyntype", "actuator_gaintype"):
            v = getattr(model, name, None)
            if v is not None and np.any(np.asarray(v) != 0):
                raise NotImplementedError(
                    f"only joint transmission, no activation dynamics and fixed gain are supported: "
                    f"model.{name}={np.asarray(v)}"
                )
        bias = getattr(model, "actuator_biastype", None)
        if bias is not None and np.any((np.asarray(bias) != 0) & (np.asarray(bias) != 1)):
            raise NotImplementedError(f"only motor and affine (position) actuators are supported: biastype={bias}")
        frange = np.asarray(getattr(model, "actuator_forcerange", np.zeros((nu, 2)))).reshape(nu, 2)
        flim = np.asarray(getattr(model, "actuator_forcelimited", np.zeros(nu))).reshape(nu) != 0
        if np.any(flim & (frange[:, 0] > frange[:, 1])):
            raise ValueError(f"actuator_forcerange must have lo <= hi where forcelimited: {frange[flim]}")
    # MjModel fields whose dynamics this simulator does not model: refuse rather than step the model without them
    # (the MJCF loader refuses the elements; a mujoco.MjModel passed in directly is checked here)
    _equalities(model)  # raises on the kinds it does not take
    if int(getattr(model, "ntendon", 0)):
        for name in ("tendon_limited", "tendon_stiffness", "tendon_damping", "tendon_frictionloss", "tendon_armature"):
            v = np.asarray(getattr(model, name, np.zeros(0)))
            if np.any(v != 0):
                raise NotImplementedError(
                    f"tendons that exert force (model.{name} = {v.reshape(-1)}) are not supported; tendons without "
                    "limits, springs, damping, friction loss or armature are"
                )
    npair = int(getattr(model, "npair", 0))
    if npair:
        friction = np.asarray(model.pair_friction, dtype=np.float64).reshape(npair, 5)
        if np.any(friction[:, 0] != friction[:, 1]) or np.any(friction[:, 3] != friction[:, 4]):
            raise NotImplementedError(
                f"explicit contact pairs with anisotropic friction (model.pair_friction = {friction.tolist()}) are not "
                "supported: the two sliding and the two rolling coefficients must be equal"
            )
        solreffriction = np.asarray(getattr(model, "pair_solreffriction", np.zeros((npair, 2)))).reshape(npair, 2)
        if int(getattr(model.opt, "cone", 0)) != 0 and np.any(solreffriction != 0):
            raise NotImplementedError(
                "explicit contact pairs with solreffriction under the elliptic cone are not supported (their friction "
                f"rows take the normal's solref here; model.pair_solreffriction = {solreffriction.tolist()})"
            )
        signatures = [tuple(sorted(p)) for p in zip(model.pair_geom1, model.pair_geom2, strict=True)]
        if len(set(signatures)) != len(signatures):
            raise NotImplementedError(f"a geom pair listed twice in <contact><pair> ({signatures}) is not supported")
    if int(getattr(model, "nflex", 0)):
        raise NotImplementedError(f"flexes (deformable bodies, model.nflex = {int(model.nflex)}) are not supported")
    enabled = [n for n in UNSUPPORTED_ENABLE if int(getattr(model.opt, "enableflags", 0)) & ENABLE_FLAGS[n]]
    if enabled:
        raise NotImplementedError(f"model.opt.enableflags sets {enabled}: dynamics this simulator does not model")
    dt = float(model.opt.timestep)
    if not np.isfinite(dt) or dt <= 0:
        raise ValueError(f"model.opt.timestep must be > 0, got {dt}")


def _actuator_affine(model):
    """Per-actuator (gain [N m or N per ctrl unit], bias b0, b1, b2, force range, forcelimited) and whether any
    actuator is not a plain motor (gain 1, no bias, no force limit): False lets motor-only models skip that path."""
    nu = int(model.nu)
    gain = np.asarray(getattr(model, "actuator_gainprm", np.ones((nu, 10)))).reshape(nu, 10)[:, 0]
    biastype = np.asarray(getattr(model, "actuator_biastype", np.zeros(nu))).reshape(nu)
    biasprm = np.asarray(getattr(model, "actuator_biasprm", np.zeros((nu, 10)))).reshape(nu, 10)[:, :3]
    biasprm = np.where((biastype == 1)[:, None], biasprm, 0.0)
    frange = np.asarray(getattr(model, "actuator_forcerange", np.zeros((nu, 2)))).reshape(nu, 2)
    flim = np.asarray(getattr(model, "actuator_forcelimited", np.zeros(nu))).reshape(nu) != 0
    affine = bool(np.any(gain != 1) or np.any(biasprm != 0) or np.any(flim))
    return gain, biasprm, frange, flim, affine


def _fluid(model) -> bool:
    """Whether MuJoCo applies its fluid forces: density or viscosity positive, springs or dampers enabled."""
    on = float(getattr(model.opt, "density", 0.0)) > 0 or float(getattr(model.opt, "viscosity", 0.0)) > 0
    return on and not (disabled(model, "spring") and disabled(model, "damper"))


def _fluid_boxes(model) -> np.ndarray:
    """Per body, MuJoCo's inertia-equivalent box [m] of the fluid model, sqrt(6 (I_j + I_k - I_i) / m) along each
    principal axis; zeros for massless bodies (MuJoCo skips them) and without fluid forces."""
    nb = int(model.nbody)
    boxes = np.zeros((nb, 3))
    if not _fluid(model):
        return boxes
    mass = np.asarray(model.body_mass, dtype=np.float64).reshape(nb)
    inertia = np.asarray(model.body_inertia, dtype=np.float64).reshape(nb, 3)
    geom_fluid = np.asarray(getattr(model, "geom_fluid", np.zeros((0, 1)))).reshape(int(model.ngeom), -1)
    if geom_fluid.size and np.any(geom_fluid[:, 0] != 0):
        raise NotImplementedError("MuJoCo's ellipsoid fluid model (geom fluidshape='ellipsoid') is not supported")
    for b in range(1, nb):
        if mass[b] >= 1e-15:
            i0, i1, i2 = inertia[b]
            boxes[b] = np.sqrt(np.maximum(1e-15, [i1 + i2 - i0, i0 + i2 - i1, i0 + i1 - i2]) / mass[b] * 6.0)
    return boxes


def _implicit(model) -> bool:
    """Whether the model asks for MuJoCo's implicitfast (3) or implicit (2) integrator: damping and the actuators'
    velocity derivatives integrated implicitly (implicit's Coriolis derivatives are not modelled: Simulator warns)."""
    return int(getattr(model.opt, "integrator", 0)) in (2, 3)


def _dof_actuator_force_limits(model):
    """Per dof, whether the summed actuator force on it is clamped and the range [N m or N]: MuJoCo's
    jnt_actfrclimited / jnt_actfrcrange of its hinge or slide joint (MuJoCo ignores them on ball and free joints)."""
    nj, nv = int(model.njnt), int(model.nv)
    jtype = np.asarray(model.jnt_type).reshape(nj)
    lim = np.asarray(getattr(model, "jnt_actfrclimited", np.zeros(nj))).reshape(nj) != 0
    rng = np.asarray(getattr(model, "jnt_actfrcrange", np.zeros((nj, 2))), dtype=np.float64).reshape(nj, 2)
    scalar = (jtype == 2) | (jtype == 3)
    if np.any(lim & scalar & (rng[:, 0] > rng[:, 1])):
        raise ValueError(f"jnt_actfrcrange must have lo <= hi where jnt_actfrclimited: {rng[lim & scalar].tolist()}")
    dof_lim, dof_rng = np.zeros(nv, dtype=bool), np.zeros((nv, 2))
    if int(model.nu) == 0 or disabled(model, "actuation"):
        return dof_lim, dof_rng  # MuJoCo's mj_fwdActuation returns before the clamp: qfrc_actuator stays 0
    dofadr = np.asarray(model.jnt_dofadr).reshape(nj)[scalar]
    dof_lim[dofadr], dof_rng[dofadr] = lim[scalar], rng[scalar]
    return dof_lim, dof_rng


def _dof_actuator_gravcomp(model, actfrclimited: np.ndarray) -> np.ndarray:
    """Per dof, where MuJoCo applies its gravity compensation (qfrc_gravcomp): 0 as a passive force; 3 through the
    actuators, no joint-level clamp (the same sum); 1 through the actuators, inside the joint's actuatorfrcrange
    clamp; 2 nowhere (actuatorgravcomp on a model without actuators, or with actuation disabled: mj_fwdActuation
    returns before adding it and mj_passive leaves it to the actuators)."""
    nj, nv = int(model.njnt), int(model.nv)
    act = np.asarray(getattr(model, "jnt_actgravcomp", np.zeros(nj))).reshape(nj) != 0
    code = np.zeros(nv, dtype=np.int64)
    dof_jnt = np.asarray(model.dof_jntid).reshape(nv)
    on = act[dof_jnt]
    if int(model.nu) == 0 or disabled(model, "actuation"):
        code[on] = 2
    else:
        code[on] = np.where(actfrclimited[on], 1, 3)
    return code


def _solref_solimp(model, g: int):
    """Geom g's solref (2,) and solimp (5,), MuJoCo's defaults where the model has none."""
    solref = getattr(model, "geom_solref", None)
    solimp = getattr(model, "geom_solimp", None)
    ref = np.array([0.02, 1.0]) if solref is None else np.asarray(solref, dtype=np.float64).reshape(-1, 2)[g]
    imp = (
        np.array([0.9, 0.95, 0.001, 0.5, 2.0])
        if solimp is None
        else np.asarray(solimp, dtype=np.float64).reshape(-1, 5)[g]
    )
    return ref, imp


EQ_TYPES = {0: "connect", 1: "weld", 2: "joint"}  # mjtEq: the equality constraints the simulator takes


def _equalities(model) -> list[tuple]:
    """The active equality constraints (eq_active0, not under <flag equality="disable">), one row each: (mjtEq type,
    obj1, obj2, anchor1 [m, body 1], anchor2 [m, body 2], relpose quat (w, x, y, z), torquescale, polycoef (5), solref,
    solimp). connect and weld between bodies (MuJoCo's eq_data: connect (anchor1, anchor2), weld (anchor2, anchor1,
    relpose, torquescale)), joint couplings of hinge and slide joints; anything else raises NotImplementedError."""
    neq = int(getattr(model, "neq", 0))
    if not neq or disabled(model, "equality"):
        return []
    active = np.asarray(getattr(model, "eq_active0", np.ones(neq))).reshape(neq) != 0
    etype = np.asarray(model.eq_type).reshape(neq)
    objtype = np.asarray(getattr(model, "eq_objtype", np.ones(neq))).reshape(neq)
    obj1, obj2 = np.asarray(model.eq_obj1id).reshape(neq), np.asarray(model.eq_obj2id).reshape(neq)
    data = np.asarray(model.eq_data, dtype=np.float64).reshape(neq, -1)
    solref = np.asarray(model.eq_solref, dtype=np.float64).reshape(neq, 2)
    solimp = np.asarray(model.eq_solimp, dtype=np.float64).reshape(neq, 5)
    jnt_type = np.asarray(model.jnt_type).reshape(-1)
    rows = []
    for i in np.flatnonzero(active):
        t = int(etype[i])
        if t not in EQ_TYPES:
            raise NotImplementedError(
                f"equality constraint {i} has mjtEq type {t}; connect (0), weld (1) and joint (2) are supported"
            )
        if t != 2 and int(objtype[i]) != 1:
            raise NotImplementedError(
                f"equality constraint {i} ({EQ_TYPES[t]}) is between sites (mjtObj {int(objtype[i])}); give it "
                "body1 / body2 (body semantics) instead"
            )
        if t == 2 and any(j >= 0 and jnt_type[j] < 2 for j in (obj1[i], obj2[i])):
            raise NotImplementedError(f"equality constraint {i} couples a free or ball joint; hinge and slide only")
        d = data[i]
        anchor1, anchor2 = (d[0:3], d[3:6]) if t == 0 else (d[3:6], d[0:3])
        quat = d[6:10] if t == 1 else np.array([1.0, 0.0, 0.0, 0.0])
        poly = d[0:5] if t == 2 else np.zeros(5)
        scale = float(d[10]) if t == 1 else 1.0
        rows.append((t, int(obj1[i]), int(obj2[i]), anchor1, anchor2, quat, scale, poly, solref[i], solimp[i]))
    return rows


def _pair_params(model, g1: int, g2: int, h: float):
    """MuJoCo 4.0's contact parameters of the geom pair (g1, g2): margin [m], sliding friction, condim, solref, solimp
    and the (torsional, rolling) friction [m] of a condim 4 / 6 contact (each 0 where the condim leaves it out).

    Margins add up. The geom of higher priority gives condim, friction, solref and solimp; at equal priority condim
    and friction are the max of the two, solimp (and a standard solref) are mixed with weight solmix1 / (solmix1 +
    solmix2), a direct solref takes the elementwise min (MuJoCo's mj_contactParam). Then getsolparam's clamps:
    timeconst >= 2 h, impedances in [1e-4, 0.9999], width >= 0, power >= 1.
    """
    margin = np.asarray(model.geom_margin, dtype=np.float64).reshape(-1)
    friction = np.asarray(model.geom_friction, dtype=np.float64).reshape(-1, 3)
    condim = np.asarray(getattr(model, "geom_condim", np.full(len(margin), 3))).reshape(-1)
    priority = np.asarray(getattr(model, "geom_priority", np.zeros(len(margin)))).reshape(-1)
    solmix = np.asarray(getattr(model, "geom_solmix", np.ones(len(margin))), dtype=np.float64).reshape(-1)
    (ref1, imp1), (ref2, imp2) = _solref_solimp(model, g1), _solref_solimp(model, g2)
    if priority[g1] != priority[g2]:
        w = g1 if priority[g1] > priority[g2] else g2
        dim, mu = int(condim[w]), friction[w]
        ref, imp = (ref1, imp1) if w == g1 else (ref2, imp2)
    else:
        dim, mu = int(max(condim[g1], condim[g2])), np.maximum(friction[g1], friction[g2])
        s1, s2 = solmix[g1], solmix[g2]
        if s1 >= MJ_MINVAL and s2 >= MJ_MINVAL:
            mix = s1 / (s1 + s2)
        elif s1 < MJ_MINVAL and s2 < MJ_MINVAL:
            mix = 0.5
        else:
            mix = 0.0 if s1 < MJ_MINVAL else 1.0
        ref = mix * ref1 + (1 - mix) * ref2 if ref1[0] > 0 and ref2[0] > 0 else np.minimum(ref1, ref2)
        imp = mix * imp1 + (1 - mix) * imp2
    ref, imp = (x[0] for x in _solparams(ref, imp, 1, h, not disabled(model, "refsafe")))
    # MuJoCo's mj_assignFriction: (slide, slide, spin, roll, roll), each at least mjMINMU; the rows use the first
    # dim - 1 of them
    spin = max(float(mu[1]), 1e-5) if dim >= 4 else 0.0
    roll = max(float(mu[2]), 1e-5) if dim >= 6 else 0.0
    return margin[g1] + margin[g2], (float(mu[0]) if dim > 1 else 0.0), dim, ref, imp, (spin, roll)


def _explicit_pairs(model, h: float) -> dict:
    """The <contact><pair> geom pairs (MuJoCo's predefined pairs), keyed by (lower geom id, higher): the row
    parameters of ``_pair_params`` (margin [m], sliding friction, condim, solref, solimp, (spin, roll) friction) taken
    from the pair itself, with getsolparam's clamps. They collide whatever the geoms' contype / conaffinity and
    excludes, and the geoms' own pair (MuJoCo's "merged" dynamic pair) is not added beside them."""
    npair = int(getattr(model, "npair", 0))
    out = {}
    if not npair:
        return out
    friction = np.asarray(model.pair_friction, dtype=np.float64).reshape(npair, 5)
    solref = np.asarray(model.pair_solref, dtype=np.float64).reshape(npair, 2)
    solimp = np.asarray(model.pair_solimp, dtype=np.float64).reshape(npair, 5)
    margin = np.asarray(model.pair_margin, dtype=np.float64).reshape(npair)
    dims = np.asarray(model.pair_dim).reshape(npair)
    ref, imp = _solparams(solref, solimp, npair, h, not disabled(model, "refsafe"))
    for i, (g1, g2) in enumerate(zip(model.pair_geom1, model.pair_geom2, strict=True)):
        dim = int(dims[i])
        spin = max(float(friction[i, 2]), 1e-5) if dim >= 4 else 0.0
        roll = max(float(friction[i, 3]), 1e-5) if dim >= 6 else 0.0
        mu = float(friction[i, 0]) if dim > 1 else 0.0
        out[tuple(sorted((int(g1), int(g2))))] = (float(margin[i]), mu, dim, ref[i], imp[i], (spin, roll))
    return out


def _contact_geoms(model, contacts: bool, h: float):
    """The world plane (normal, offset [m]) and one row (geom id, margin, friction, condim, solref, solimp, (spin,
    roll) friction) per geom touching it (``_pair_params``): condim 1, 3, 4 or 6."""
    gtype = np.asarray(model.geom_type).reshape(-1)
    gbody = np.asarray(model.geom_bodyid).reshape(-1)
    contype = np.asarray(model.geom_contype).reshape(-1)
    conaff = np.asarray(model.geom_conaffinity).reshape(-1)
    weld = np.asarray(model.body_weldid).reshape(-1)
    planes = np.flatnonzero((gtype == 0) & (gbody == 0))
    rows = []
    normal, offset = np.array([0.0, 0.0, 1.0]), 0.0
    if contacts and len(planes):
        if len(planes) > 1:
            raise NotImplementedError(f"contacts support one world plane geom, the model has {len(planes)}")
        pl = int(planes[0])
        q = np.asarray(model.geom_quat, dtype=np.float64).reshape(-1, 4)[pl]
        w, x, y, z = q / np.linalg.norm(q)
        # plane normal = the plane geom's local z axis in the world (the world body is the identity frame)
        normal = np.array([2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y)])
        offset = float(normal @ np.asarray(model.geom_pos, dtype=np.float64).reshape(-1, 3)[pl])
        explicit = _explicit_pairs(model, h)
        for g in range(len(gtype)):
            key = tuple(sorted((g, pl)))
            # bodies welded to the world (no dofs up their chain) cannot move: MuJoCo skips those pairs too
            if g == pl or weld[gbody[g]] == 0:
                continue
            if key not in explicit and not ((contype[g] & conaff[pl]) or (contype[pl] & conaff[g])):
                continue
            if gtype[g] not in (2, 3, 4, 5, 6):
                raise NotImplementedError(
                    "ground contacts support sphere, capsule, ellipsoid, cylinder and box geoms; geom "
                    f"{g} has mjtGeom type {gtype[g]}"
                )
            rows.append((g, *(explicit[key] if key in explicit else _pair_params(model, g, pl, h))))
    return normal, offset, rows


def _self_pairs(model, contacts: bool, h: float, strict: bool = True):
    """Geom pairs that may touch, by MuJoCo's rules (mj_collision's broad phase and filters), and their rows
    (geom1, geom2, margin, friction, solref, solimp, (spin, roll) friction): sphere, capsule, ellipsoid, cylinder
    and box geoms whose
    contype/conaffinity bits
    meet, not both on bodies welded to the world (nor on one weld body), not a parent-child weld pair unless the
    parent is the world (MuJoCo's filterparent, unless that flag is disabled), not a `<contact><exclude>` pair.
    Geoms of the world body itself take part (a plane is the ground's, ``_contact_geoms``). Each pair is ordered by
    geom type, as MuJoCo's collision table: geom1's type <= geom2's (the normal points from geom 1 to geom 2).
    friction: the mixed sliding friction (``_pair_params``), at least MuJoCo's mjMINMU = 1e-5 for condim > 1, 0 for
    condim 1 (one normal row); (spin, roll): the torsional and rolling friction [m] of condim 4 / 6, else 0.
    ``strict``: a pair these rows cannot represent (a height-field, mesh or SDF geom) raises NotImplementedError;
    else (sizing the Data arrays) it is left out.
    """
    if not contacts:
        return []
    gtype = np.asarray(model.geom_type).reshape(-1)
    gbody = np.asarray(model.geom_bodyid).reshape(-1)
    contype = np.asarray(model.geom_contype).reshape(-1)
    conaff = np.asarray(model.geom_conaffinity).reshape(-1)
    weld = np.asarray(model.body_weldid).reshape(-1)
    parent = np.asarray(model.body_parentid).reshape(-1)
    excluded = set(int(x) for x in np.asarray(getattr(model, "exclude_signature", [])).reshape(-1))
    filterparent = not disabled(model, "filterparent")
    explicit = _explicit_pairs(model, h)
    rows = []
    for g1 in range(len(gtype)):
        for g2 in range(g1 + 1, len(gtype)):
            b1, b2 = int(gbody[g1]), int(gbody[g2])
            if gtype[g1] == 0 or gtype[g2] == 0:
                continue  # a plane: the ground's contacts (_contact_geoms)
            w1, w2 = int(weld[b1]), int(weld[b2])
            if (g1, g2) in explicit:
                if w1 == w2:
                    continue  # one rigid body (or both on the world): no relative motion
            elif not ((contype[g1] & conaff[g2]) or (contype[g2] & conaff[g1])):
                continue
            elif w1 == w2 or (
                filterparent and w1 != 0 and w2 != 0 and (w1 == weld[parent[w2]] or w2 == weld[parent[w1]])
            ):
                continue
            elif (min(b1, b2) << 16) + max(b1, b2) in excluded:
                continue
            lo, hi = sorted((int(gtype[g1]), int(gtype[g2])))
            # sphere, capsule, ellipsoid, cylinder and box: MuJoCo's primitives (kernels.collision.pair_collide)
            # and its general convex collider (kernels.convex); height fields, meshes and SDFs are not collided
            supported = lo >= 2 and hi <= 6
            if not supported:
                if not strict:
                    continue
                # MuJoCo collides this pair (its general convex collider): refuse rather than drop it silently
                raise NotImplementedError(
                    f"geom-geom contacts support sphere, capsule, ellipsoid, cylinder and box geoms; "
                    f"geoms {g1} and {g2} (types "
                    f"{int(gtype[g1])} and {int(gtype[g2])}, mjtGeom) may collide: change a type, their contype / "
                    "conaffinity, add a <contact><exclude>, or build the Simulator with contacts=False"
                )
            params = explicit[(g1, g2)] if (g1, g2) in explicit else _pair_params(model, g1, g2, h)
            margin, mu, dim, ref, imp, spin_roll = params
            mu = max(mu, 1e-5) if dim > 1 else 0.0
            a, b = (g1, g2) if gtype[g1] <= gtype[g2] else (g2, g1)
            rows.append((a, b, margin, mu, ref, imp, spin_roll))
    return rows


def invweight0(model, device) -> tuple[np.ndarray, np.ndarray]:
    """MuJoCo's body_invweight0 (nbody, 2) and dof_invweight0 at qpos0: the mean diagonal of J M^-1 J^T of each
    body's center-of-mass Jacobian J (3 x nv), translational [1/kg] and rotational [1/(kg m^2)], world axes, 0 for
    bodies welded to the world, and the diagonal of M^-1 [1/(kg m^2) or 1/kg] (hinge and slide dofs). A
    mujoco.MjModel brings its own."""
    if getattr(model, "body_invweight0", None) is not None:
        body = np.asarray(model.body_invweight0, dtype=np.float64).reshape(-1, 2).copy()
        return body, np.asarray(model.dof_invweight0, dtype=np.float64).reshape(-1).copy()
    from kernels.forward import _forward_kernel, launch_inputs  # forward imports nothing from io: no cycle

    m = put_model(model, device, False, False, 1, float(model.opt.timestep), invweights=False)
    d = make_data(model, 1, device)
    fields = {**{f.name: getattr(m, f.name) for f in dataclasses.fields(m)}}
    fields.update({f.name: getattr(d, f.name) for f in dataclasses.fields(d)})
    wp.launch(_forward_kernel, dim=1, inputs=launch_inputs(_forward_kernel, fields), device=device)
    qM = d.qM.numpy()[0].astype(np.float64)
    qM = np.tril(qM) + np.tril(qM, -1).T
    xpos, xquat = d.xpos.numpy()[0].astype(np.float64), d.xquat.numpy()[0].astype(np.float64)
    cdof = d.cdof.numpy()[0].astype(np.float64)  # (nv, 6): angular, linear at the tree's reference point
    root, dof_parent = np.asarray(model.body_rootid), np.asarray(model.dof_parentid)
    lastdof = m.body_lastdof.numpy()
    ipos = np.asarray(model.body_ipos, dtype=np.float64).reshape(-1, 3)
    minv = np.linalg.inv(qM) if qM.size else qM
    out = np.zeros((int(model.nbody), 2))
    for b in range(1, int(model.nbody)):
        if lastdof[b] < 0:
            continue
        x, y, z, w = xquat[b]
        rot = np.array(
            [
                [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
                [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
                [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
            ]
        )
        arm = xpos[b] + rot @ ipos[b] - xpos[root[b]]
        jac, jac_rot = np.zeros((3, int(model.nv))), np.zeros((3, int(model.nv)))
        i = lastdof[b]
        while i >= 0:
            jac[:, i] = cdof[i, 3:] + np.cross(cdof[i, :3], arm)
            jac_rot[:, i] = cdof[i, :3]
            i = dof_parent[i]
        out[b, 0] = max(MJ_MINVAL, np.trace(jac @ minv @ jac.T) / 3)
        out[b, 1] = max(MJ_MINVAL, np.trace(jac_rot @ minv @ jac_rot.T) / 3)
    dof = np.maximum(np.diag(minv).copy(), MJ_MINVAL)
    # MuJoCo's "simple" bodies with sliders only (mj_setConst): 1 / mass, armature left out, no rotational weight
    mass = np.asarray(model.body_mass, dtype=np.float64).reshape(-1)
    dofadr, dofnum = np.asarray(model.body_dofadr).reshape(-1), np.asarray(model.body_dofnum).reshape(-1)
    for b in np.flatnonzero(_slider_bodies(model)):
        out[b] = (1.0 / max(MJ_MINVAL, mass[b]), 0.0)
        dof[dofadr[b] : dofadr[b] + dofnum[b]] = 1.0 / max(MJ_MINVAL, mass[b])
    return out, dof


def _slider_bodies(model) -> np.ndarray:
    """MuJoCo's body_simple == 2 (user_model.cc): a body whose inertial frame is its own, that is a root (or hangs on
    a dof-less child of the world), parents no body, and moves by slide joints only, at its origin along one axis
    each."""
    nb = int(model.nbody)
    parent = np.asarray(model.body_parentid).reshape(-1)
    dofnum = np.asarray(model.body_dofnum).reshape(-1)
    ipos = np.asarray(model.body_ipos, dtype=np.float64).reshape(-1, 3)
    iquat = np.asarray(model.body_iquat, dtype=np.float64).reshape(-1, 4)
    jtype, jbody = np.asarray(model.jnt_type).reshape(-1), np.asarray(model.jnt_bodyid).reshape(-1)
    jpos = np.asarray(model.jnt_pos, dtype=np.float64).reshape(-1, 3)
    jaxis = np.asarray(model.jnt_axis, dtype=np.float64).reshape(-1, 3)
    out = np.zeros(nb, dtype=bool)
    for b in range(1, nb):
        p = int(parent[b])
        frame = np.abs(ipos[b]).max() < 1e-14 and np.abs(iquat[b] - (1, 0, 0, 0)).max() < 1e-14
        attach = p == 0 or (parent[p] == 0 and dofnum[p] == 0)
        joints = np.flatnonzero(jbody == b)
        sliders = all(
            jtype[j] == 2 and not np.any(jpos[j]) and int(np.sum(np.abs(jaxis[j]) > 1e-14)) == 1 for j in joints
        )
        out[b] = frame and attach and dofnum[b] > 0 and len(joints) > 0 and sliders and not np.any(parent == b)
    return out


def _solparams(solref, solimp, n: int, h: float, refsafe: bool):
    """(n, 2) solref and (n, 5) solimp rows with MuJoCo's getsolparam clamps at step h [s] (contacts, limits, friction
    loss): timeconst >= 2 h (MuJoCo's integrator safety, refsafe), impedances in [1e-4, 0.9999], width >= 0, power
    >= 1."""
    ref = np.asarray(solref, dtype=np.float64).reshape(n, 2).copy()
    imp = np.asarray(solimp, dtype=np.float64).reshape(n, 5).copy()
    if refsafe:
        ref[:, 0] = np.where(ref[:, 0] > 0, np.maximum(ref[:, 0], 2 * h), ref[:, 0])
    imp[:, [0, 1, 3]] = np.clip(imp[:, [0, 1, 3]], 1e-4, 0.9999)
    imp[:, 2], imp[:, 4] = np.maximum(imp[:, 2], 0.0), np.maximum(imp[:, 4], 1.0)
    return ref, imp


def put_model(
    model,
    device,
    contacts: bool,
    joint_limits: bool,
    substeps: int,
    timestep: float,
    invweights: bool = True,
) -> Model:
    """Device copy of an MjModel-like ``model`` (checked by ``check_model``) with the simulator's options;
    ``invweights=False`` leaves the constraint weights (``invweight0``) at placeholders, for ``invweight0`` itself."""
    check_model(model)
    nb, nj, nu = int(model.nbody), int(model.njnt), int(model.nu)
    nv, ngeom = int(model.nv), int(model.ngeom)
    # MuJoCo's disable flags that change the dynamics; the others (warmstart, sensor, midphase, island, the ccd
    # flags, autoreset) leave nothing to change here; equality is read by _equalities
    contacts = contacts and not disabled(model, "constraint", "contact")
    joint_limits = joint_limits and not disabled(model, "constraint", "limit")

    def arr(x, dtype, shape=None):
        return _array(x, dtype, device, shape)

    trn_jnt = np.asarray(model.actuator_trnid, dtype=np.int64).reshape(nu, 2)[:, 0]
    jnt_dofadr = np.asarray(model.jnt_dofadr, dtype=np.int64)
    limited = np.asarray(model.jnt_limited).reshape(nj) != 0
    ball_limits = limited & (np.asarray(model.jnt_type).reshape(nj) == 1)
    if joint_limits and np.any(ball_limits):
        raise NotImplementedError(
            f"limited ball joints {np.flatnonzero(ball_limits)} (MuJoCo's cone limit on the rotation angle) are not "
            "supported with joint_limits=True"
        )
    # last dof of each body or of its nearest ancestor with dofs (-1: none): start of the Jacobian chain
    lastdof = np.full(nb, -1, dtype=np.int64)
    dofadr, dofnum, parent = (np.asarray(getattr(model, k)) for k in ("body_dofadr", "body_dofnum", "body_parentid"))
    for b in range(1, nb):
        lastdof[b] = dofadr[b] + dofnum[b] - 1 if dofnum[b] > 0 else lastdof[parent[b]]

    gain, biasprm, frange, flim, affine = _actuator_affine(model)
    actfrclimited, actfrcrange = _dof_actuator_force_limits(model)
    actgravcomp = _dof_actuator_gravcomp(model, actfrclimited)
    normal, offset, rows = _contact_geoms(model, contacts, float(timestep) / int(substeps))
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    h = float(timestep) / int(substeps)
    pairs = _self_pairs(model, contacts, h)
    eqs = _equalities(model) if not disabled(model, "constraint") else []
    # bounding radius of each geom about its center [m] (MuJoCo's geom_rbound of sphere, capsule, ellipsoid,
    # cylinder, box)
    size = np.asarray(model.geom_size, dtype=np.float64).reshape(-1, 3)
    gtype0 = np.asarray(model.geom_type).reshape(-1)
    rbound = np.select(
        [gtype0 == 2, gtype0 == 3, gtype0 == 4, gtype0 == 5, gtype0 == 6],
        [
            size[:, 0],
            size[:, 0] + size[:, 1],
            size.max(axis=1),
            np.hypot(size[:, 0], size[:, 1]),
            np.linalg.norm(size, axis=1),
        ],
        0.0,
    )
    frictionloss = np.asarray(getattr(model, "dof_frictionloss", np.zeros(nv)), dtype=np.float64).reshape(nv)
    frictionloss = frictionloss * (not disabled(model, "constraint", "frictionloss"))
    need_weights = invweights and (
        len(rows) or len(pairs) or len(eqs) or bool(np.any(limited & joint_limits)) or bool(np.any(frictionloss > 0))
    )
    body_weights, dof_invweight = invweight0(model, device) if need_weights else (np.zeros((nb, 2)), np.ones(nv))
    invweight = body_weights[:, 0]
    # equality constraints: MuJoCo's diagApprox of their rows (mj_diagApprox): the two bodies' translational (and for
    # a weld's rotational rows rotational) body_invweight0 summed, or the two joints' dof_invweight0
    eq_invweight = []
    for t, o1, o2, *_ in eqs:
        if t == 2:
            eq_invweight.append((dof_invweight[jnt_dofadr[o1]] + (dof_invweight[jnt_dofadr[o2]] if o2 >= 0 else 0), 0))
        else:
            eq_invweight.append(tuple(body_weights[o1] + body_weights[o2]))
    refsafe = not disabled(model, "refsafe")
    eq_solref, eq_solimp = _solparams([e[8] for e in eqs], [e[9] for e in eqs], len(eqs), h, refsafe)
    jnt_solref, jnt_solimp = _solparams(model.jnt_solref, model.jnt_solimp, nj, h, refsafe)
    # solreffriction / solimpfriction (MuJoCo's dof_solref / dof_solimp), its defaults where the model has none
    dof_solref, dof_solimp = _solparams(
        getattr(model, "dof_solref", np.tile([0.02, 1.0], (nv, 1))),
        getattr(model, "dof_solimp", np.tile([0.9, 0.95, 0.001, 0.5, 2.0], (nv, 1))),
        nv,
        h,
        refsafe,
    )
    gtype = np.asarray(model.geom_type).reshape(-1)
    gbody = np.asarray(model.geom_bodyid).reshape(-1)
    gsize = np.asarray(model.geom_size, dtype=np.float64).reshape(-1, 3)
    gpos = np.asarray(model.geom_pos, dtype=np.float64).reshape(-1, 3)
    gquat = np.asarray(model.geom_quat, dtype=np.float64).reshape(-1, 4)

    return Model(
        body_parentid=arr(model.body_parentid, int),
        body_rootid=arr(model.body_rootid, int),
        body_jntnum=arr(model.body_jntnum, int),
        body_jntadr=arr(model.body_jntadr, int),
        body_dofnum=arr(model.body_dofnum, int),
        body_dofadr=arr(model.body_dofadr, int),
        body_lastdof=arr(lastdof, int),
        body_pos=arr(model.body_pos, wp.vec3, (nb, 3)),
        body_quat=arr(_wxyz_to_xyzw(model.body_quat), wp.quat),
        body_ipos=arr(model.body_ipos, wp.vec3, (nb, 3)),
        body_iquat=arr(_wxyz_to_xyzw(model.body_iquat), wp.quat),
        body_fluid_box=arr(_fluid_boxes(model), wp.vec3),
        body_mass=arr(model.body_mass, float),
        body_gravcomp=arr(np.asarray(getattr(model, "body_gravcomp", np.zeros(nb)), dtype=np.float64), float),
        body_inertia=arr(model.body_inertia, wp.vec3, (nb, 3)),
        jnt_type=arr(model.jnt_type, int),
        jnt_bodyid=arr(model.jnt_bodyid, int),
        jnt_qposadr=arr(model.jnt_qposadr, int),
        jnt_dofadr=arr(model.jnt_dofadr, int),
        jnt_pos=arr(np.asarray(model.jnt_pos).reshape(nj, 3), wp.vec3),
        jnt_axis=arr(_unit(np.asarray(model.jnt_axis).reshape(nj, 3)), wp.vec3),
        jnt_stiffness=arr(np.asarray(model.jnt_stiffness) * (not disabled(model, "spring")), float),
        jnt_limited=arr(limited & joint_limits, int),
        jnt_range=arr(np.asarray(model.jnt_range, dtype=np.float64).reshape(nj, 2), wp.vec2),
        jnt_margin=arr(np.asarray(model.jnt_margin).reshape(nj), float),
        jnt_solref=arr(jnt_solref, wp.vec2),
        jnt_solimp=arr(jnt_solimp, vec5),
        qpos0=arr(model.qpos0, float),
        qpos_spring=arr(model.qpos_spring, float),
        dof_bodyid=arr(model.dof_bodyid, int),
        dof_parentid=arr(model.dof_parentid, int),
        dof_armature=arr(model.dof_armature, float),
        dof_damping=arr(np.asarray(model.dof_damping) * (not disabled(model, "damper")), float),
        dof_invweight=arr(dof_invweight, float),
        dof_frictionloss=arr(frictionloss, float),
        dof_solref=arr(dof_solref, wp.vec2),
        dof_solimp=arr(dof_solimp, vec5),
        dof_actfrclimited=arr(actfrclimited, int),
        dof_actfrcrange=arr(actfrcrange, wp.vec2),
        dof_actgravcomp=arr(actgravcomp, int),
        actuator_dofadr=arr(jnt_dofadr[trn_jnt] if nu else np.zeros(0), int),
        actuator_qposadr=arr(np.asarray(model.jnt_qposadr)[trn_jnt] if nu else np.zeros(0), int),
        actuator_gear=arr(
            np.asarray(model.actuator_gear).reshape(nu, 6)[:, 0] * (not disabled(model, "actuation")), float
        ),
        actuator_ctrlrange=arr(np.asarray(model.actuator_ctrlrange).reshape(nu, 2), wp.vec2),
        actuator_ctrllimited=arr(
            (np.asarray(model.actuator_ctrllimited).reshape(nu) != 0) & (not disabled(model, "clampctrl")), int
        ),
        actuator_gain=arr(gain, float),
        actuator_bias=arr(biasprm.reshape(nu, 3), wp.vec3),
        actuator_forcerange=arr(frange, wp.vec2),
        actuator_forcelimited=arr(flim, int),
        actuator_affine=int(affine),
        cgeom_type=arr(gtype[ids], int),
        cgeom_bodyid=arr(gbody[ids], int),
        cgeom_geomid=arr(ids, int),
        cgeom_pos=arr(gpos[ids].reshape(-1, 3), wp.vec3),
        cgeom_quat=arr(_wxyz_to_xyzw(gquat[ids]).reshape(-1, 4), wp.quat),
        cgeom_size=arr(gsize[ids].reshape(-1, 3), wp.vec3),
        cgeom_margin=arr(np.array([r[1] for r in rows]), float),
        cgeom_friction=arr(np.array([r[2] for r in rows]), float),
        cgeom_condim=arr(np.array([r[3] for r in rows]), int),
        cgeom_friction_ang=arr(np.array([r[6] for r in rows]).reshape(-1, 2), wp.vec2),
        cgeom_solref=arr(np.array([r[4] for r in rows]).reshape(-1, 2), wp.vec2),
        cgeom_solimp=arr(np.array([r[5] for r in rows]).reshape(-1, 5), vec5),
        cgeom_invweight=arr(invweight[gbody[ids]], float),
        cgeom_pointadr=arr(np.concatenate([[0], np.cumsum(_NPOINTS[gtype[ids]])[:-1]]) if len(ids) else [], int),
        geom_type=arr(gtype, int),
        geom_bodyid=arr(gbody, int),
        geom_pos=arr(gpos, wp.vec3),
        geom_quat=arr(_wxyz_to_xyzw(gquat), wp.quat),
        geom_size=arr(gsize, wp.vec3),
        cpair_geom1=arr([p[0] for p in pairs], int),
        cpair_geom2=arr([p[1] for p in pairs], int),
        cpair_margin=arr([p[2] for p in pairs], float),
        cpair_friction=arr([p[3] for p in pairs], float),
        cpair_friction_ang=arr(np.array([p[6] for p in pairs]).reshape(-1, 2), wp.vec2),
        cpair_solref=arr(np.array([p[4] for p in pairs]).reshape(-1, 2), wp.vec2),
        cpair_solimp=arr(np.array([p[5] for p in pairs]).reshape(-1, 5), vec5),
        # MuJoCo's diagApprox of a contact: the two bodies' body_invweight0 summed (mj_diagApprox)
        cpair_invweight=arr([invweight[gbody[p[0]]] + invweight[gbody[p[1]]] for p in pairs], float),
        cpair_pointadr=arr(_pair_pointadr(gtype, pairs)[:-1], int),
        # each slot's two bodies (geom 1's, geom 2's), read by the solve loop
        cpair_body1=arr(np.repeat(gbody[[p[0] for p in pairs]], np.diff(_pair_pointadr(gtype, pairs))), int),
        cpair_body2=arr(np.repeat(gbody[[p[1] for p in pairs]], np.diff(_pair_pointadr(gtype, pairs))), int),
        cpair_bound=arr([rbound[p[0]] + rbound[p[1]] + max(p[2], 0.0) for p in pairs], float),
        cpair_rbound=arr([min(rbound[p[0]], rbound[p[1]]) for p in pairs], float),
        eq_type=arr([e[0] for e in eqs], int),
        eq_obj1=arr([e[1] for e in eqs], int),
        eq_obj2=arr([e[2] for e in eqs], int),
        eq_anchor1=arr(np.array([e[3] for e in eqs]).reshape(-1, 3), wp.vec3),
        eq_anchor2=arr(np.array([e[4] for e in eqs]).reshape(-1, 3), wp.vec3),
        eq_relquat=arr(_wxyz_to_xyzw(np.array([e[5] for e in eqs]).reshape(-1, 4)), wp.quat),
        eq_torquescale=arr([e[6] for e in eqs], float),
        eq_poly=arr(np.array([e[7] for e in eqs]).reshape(-1, 5), vec5),
        eq_solref=arr(eq_solref, wp.vec2),
        eq_solimp=arr(eq_solimp, vec5),
        eq_invweight=arr(np.array(eq_invweight).reshape(-1, 2), wp.vec2),
        # one shared row (E = 1) until the simulator's set_params gives each env its own
        body_mass_scale=wp.ones((1, nb), dtype=float, device=device),
        actuator_gear_scale=wp.ones((1, nu), dtype=float, device=device),
        dof_damping_scale=wp.ones((1, nv), dtype=float, device=device),
        geom_friction_scale=wp.ones((1, ngeom), dtype=float, device=device),
        gravity=wp.vec3(*(np.asarray(model.opt.gravity, dtype=np.float64) * (not disabled(model, "gravity"))).tolist()),
        timestep=float(timestep),
        substeps=int(substeps),
        # implicitfast (and implicit, stepped as implicitfast) integrate damping implicitly whatever the eulerdamp flag
        eulerdamp=int(_implicit(model) or not disabled(model, "eulerdamp")),
        implicit_actuators=int(_implicit(model)),
        plane_normal=wp.vec3(*normal.tolist()),
        plane_offset=float(offset),
        hfield=wp.zeros((1, 1), dtype=float, device=device),
        hfield_spacing=1.0,
        contact_impratio=float(getattr(model.opt, "impratio", 1.0)),
        contact_pyramidal=int(getattr(model.opt, "cone", 0) == 0),
        fluid=int(_fluid(model)),
        fluid_density=float(getattr(model.opt, "density", 0.0)),
        fluid_viscosity=float(getattr(model.opt, "viscosity", 0.0)),
        fluid_wind=wp.vec3(*np.asarray(getattr(model.opt, "wind", np.zeros(3)), dtype=np.float64)),
        solver_iterations=SOLVER_ITERATIONS,
        ccd_tolerance=float(getattr(model.opt, "ccd_tolerance", 1e-6)),
        ccd_iterations=int(getattr(model.opt, "ccd_iterations", 35)),
        ccd_multi=int(not disabled(model, "multiccd")),
    )


# Newton steps on MuJoCo's constraint cost per substep at most. Warm-started from the last substep's qacc, the
# active set settles in 1.41 solves per substep on average for the Ant and 1.48 for the humanoid under random actions
# (256 envs x 100 steps; 67% / 62% in one, 1% need 4 or more); a box starting to slide needs up to 8 (its stopping
# distance is 10% off with 4: tests/test_contact_reference.py). From the third solve on each step ends at MuJoCo's
# exact line search (kernels.line_search.line_search_func), which ends the full steps' cycling between active sets;
# violent multi-contact states then need up to ~16 (boxes, capsules, cylinders, spheres with torsional and rolling
# friction thrown spinning onto a plane at impratio 10: 11 of 256 one-step states off MuJoCo's by > 5e-4 of the
# velocity scale with 8, none with 16; go2 landing on its trunk, 17 contacts: 1.7e-3 m off MuJoCo 50 steps later with
# 16, 6e-6 with 24). The cap costs only the substeps that have not settled (on a GPU, their warps: not timed).
SOLVER_ITERATIONS = 16

# ground-contact points per mjtGeom (plane, hfield, sphere, capsule, ellipsoid, cylinder, box, mesh, sdf): sphere 1,
# capsule 2 (end caps), ellipsoid 1, cylinder 4 (kernels.contact.plane_cylinder), box 8 (corners), other types none
_NPOINTS = np.array([0, 0, 1, 2, 1, 4, 8, 0, 0])


def convex_pair(type1: int, type2: int) -> bool:
    """Whether MuJoCo collides geom types type1 <= type2 with its general convex collider (kernels.convex): an
    ellipsoid against any of sphere .. box, a cylinder against a capsule, cylinder or box."""
    return type1 == 4 or type2 == 4 or (type2 == 5 and type1 in (3, 5)) or (type1 == 5 and type2 == 6)


def _pair_pointadr(gtype: np.ndarray, pairs: list) -> np.ndarray:
    """First slot of each geom pair's points in the pair_* arrays, and their total last: box-box 8, capsule-box and
    capsule-capsule 2, a cylinder's convex pairs 5 (multiccd), else 1 (``kernels.collision.pair_npoints``)."""

    def count(t1: int, t2: int) -> int:
        if t1 == 6:
            return 8
        if t1 == 3 and t2 in (3, 6):
            return 2
        return 5 if convex_pair(t1, t2) and 4 not in (t1, t2) else 1

    n = [count(int(gtype[p[0]]), int(gtype[p[1]])) for p in pairs]
    return np.concatenate([[0], np.cumsum(n)]).astype(np.int64)


def make_data(model, num_envs: int, device) -> Data:
    """Per-env state at the reference configuration qpos0 and at rest, zero controls, zeroed scratch."""
    n, nb, nj = int(num_envs), int(model.nbody), int(model.njnt)
    nv, nu = int(model.nv), int(model.nu)
    npoint = max(int(_NPOINTS[np.asarray(model.geom_type).reshape(-1)].sum()), 1)
    gtype = np.asarray(model.geom_type).reshape(-1)
    # every geom pair's slots (a bound on those the simulator's pair list uses: the same rules without contacts)
    every_pair = _self_pairs(model, True, float(model.opt.timestep), strict=False)
    npair = max(int(_pair_pointadr(gtype, every_pair)[-1]), 1)
    # EPA's polytope, one per env, only where a pair takes the general convex collider
    convex = any(convex_pair(int(gtype[p[0]]), int(gtype[p[1]])) for p in every_pair)
    nvert, nface = epa_capacity(int(getattr(model.opt, "ccd_iterations", 35))) if convex else (1, 1)

    def zeros(shape, dtype):
        return wp.zeros(shape, dtype=dtype, device=device)

    return Data(
        qpos=wp.array(np.tile(np.asarray(model.qpos0, dtype=np.float32), (n, 1)), dtype=float, device=device),
        qvel=zeros((n, nv), float),
        ctrl=zeros((n, nu), float),
        xpos=zeros((n, nb), wp.vec3),
        xquat=zeros((n, nb), wp.quat),
        xanchor=zeros((n, nj), wp.vec3),
        xaxis=zeros((n, nj), wp.vec3),
        cdof=zeros((n, nv), wp.spatial_vector),
        cmass=zeros((n, nb), float),
        cmc=zeros((n, nb), wp.vec3),
        crot=zeros((n, nb), wp.mat33),
        cvel=zeros((n, nb), wp.spatial_vector),
        cacc=zeros((n, nb), wp.spatial_vector),
        cfrc=zeros((n, nb), wp.spatial_vector),
        qfrc_bias=zeros((n, nv), float),
        qM=zeros((n, nv, nv), float),
        qH=zeros((n, nv, nv), float),
        qfrc_smooth=zeros((n, nv), float),
        implicit_b=zeros((n, nv), float),
        qacc=zeros((n, nv), float),
        qacc_prev=zeros((n, max(nv, 1)), float),
        jac=zeros((n, max(nv, 1)), float),
        # every geom's points: a bound on those of the geoms touching the plane
        contact_jacp=zeros((n, npoint, max(nv, 1)), wp.vec3),
        contact_force=zeros((n, npoint), float),
        contact_dcoef=zeros((n, npoint), float),
        contact_fref=zeros((n, npoint), float),
        contact_point=zeros((n, npoint), wp.vec3),
        contact_normal=zeros((n, npoint), wp.vec3),
        contact_vel=zeros((n, npoint), wp.vec3),
        contact_frame=zeros((n, npoint), wp.vec3),
        contact_mu=zeros((n, npoint), float),
        contact_mu_ang=zeros((n, npoint), wp.vec2),
        contact_angvel=zeros((n, npoint), wp.vec3),
        contact_mask=zeros((n, npoint), int),
        contact_frc=zeros((n, npoint), wp.vec3),
        contact_trq=zeros((n, npoint), wp.vec3),
        limit_mask=zeros((n, max(nj, 1)), int),
        friction_state=zeros((n, max(nv, 1)), int),
        pair_dcoef=zeros((n, npair), float),
        pair_aref=zeros((n, npair), wp.vec4),
        pair_point=zeros((n, npair), wp.vec3),
        pair_normal=zeros((n, npair), wp.vec3),
        pair_frame=zeros((n, npair), wp.vec3),
        pair_mu=zeros((n, npair), float),
        pair_mu_ang=zeros((n, npair), wp.vec2),
        pair_aref_rot=zeros((n, npair), wp.vec3),
        pair_mask=zeros((n, npair), int),
        pair_force=zeros((n, npair), float),
        pair_frc=zeros((n, npair), wp.vec3),
        pair_trq=zeros((n, npair), wp.vec3),
        epa_vert=zeros((n, nvert, 3), wp.vec3),
        epa_face=zeros((n, nface, 7), int),
        epa_plane=zeros((n, nface), wp.vec4),
        epa_work=zeros((n, nface, 6), int),
        solve_queue=zeros((n,), int),
        solve_count=zeros((1,), int),
    )
