"""Host to device: ``kernels.types.Model`` from an MjModel-like description, and a zeroed ``Data`` for N envs.

The input ``model`` is anything with mujoco.MjModel's attribute names, shapes and meaning (``load_mjcf``
output or a ``mujoco.MjModel``); quaternions are converted from MuJoCo's w, x, y, z to ``wp.quat`` order.
"""

import numpy as np
import warp as wp

from kernels.types import Data, Model


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


def check_model(model) -> None:
    """Raise NotImplementedError / ValueError naming what the device model cannot represent (ball joints, ...)."""
    jnt_type = np.asarray(model.jnt_type)
    if np.any(jnt_type == 1):
        raise NotImplementedError(f"ball joints (jnt_type 1) are not supported: joints {np.flatnonzero(jnt_type == 1)}")
    if np.any((jnt_type < 0) | (jnt_type > 3)):
        raise ValueError(f"model.jnt_type has unknown joint types: {jnt_type}")
    free_bodies = np.asarray(model.jnt_bodyid)[jnt_type == 0]
    if np.any(np.asarray(model.body_parentid)[free_bodies] != 0):
        raise NotImplementedError(f"free joints must be on children of the world body; bodies {free_bodies}")
    stiff = np.asarray(model.jnt_stiffness)
    if np.any((jnt_type == 0) & (stiff != 0)):
        raise NotImplementedError("free-joint stiffness (model.jnt_stiffness on a free joint) is not supported")
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


def _contact_geoms(model, contacts: bool):
    """The world plane (normal, offset [m]) and the rows (geom id, margin [m], friction) of the geoms touching it."""
    gtype = np.asarray(model.geom_type).reshape(-1)
    gbody = np.asarray(model.geom_bodyid).reshape(-1)
    contype = np.asarray(model.geom_contype).reshape(-1)
    conaff = np.asarray(model.geom_conaffinity).reshape(-1)
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
        margin = np.asarray(model.geom_margin).reshape(-1)
        friction = np.asarray(model.geom_friction).reshape(-1, 3)[:, 0]
        for g in range(len(gtype)):
            if gbody[g] == 0 or not ((contype[g] & conaff[pl]) or (contype[pl] & conaff[g])):
                continue
            if gtype[g] not in (2, 3, 6):
                raise NotImplementedError(
                    f"contacts support sphere, capsule and box geoms; geom {g} has mjtGeom type {gtype[g]}"
                )
            # MuJoCo's pair mixing at equal priority: max margin, max friction
            rows.append((g, max(margin[g], margin[pl]), max(friction[g], friction[pl])))
    return normal, offset, rows


def put_model(
    model,
    device,
    contacts: bool,
    joint_limits: bool,
    substeps: int,
    timestep: float,
    contact_stiffness: float,
    contact_damping: float,
    friction_eps: float,
    limit_stiffness: float,
    limit_damping: float,
) -> Model:
    """Device copy of an MjModel-like ``model`` (checked by ``check_model``) with the simulator's options."""
    check_model(model)
    nb, nj, nu = int(model.nbody), int(model.njnt), int(model.nu)
    nv, ngeom = int(model.nv), int(model.ngeom)

    def arr(x, dtype, shape=None):
        return _array(x, dtype, device, shape)

    trn_jnt = np.asarray(model.actuator_trnid, dtype=np.int64).reshape(nu, 2)[:, 0]
    jnt_dofadr = np.asarray(model.jnt_dofadr, dtype=np.int64)
    limited = np.asarray(model.jnt_limited).reshape(nj) != 0
    # last dof of each body or of its nearest ancestor with dofs (-1: none): start of the Jacobian chain
    lastdof = np.full(nb, -1, dtype=np.int64)
    dofadr, dofnum, parent = (np.asarray(getattr(model, k)) for k in ("body_dofadr", "body_dofnum", "body_parentid"))
    for b in range(1, nb):
        lastdof[b] = dofadr[b] + dofnum[b] - 1 if dofnum[b] > 0 else lastdof[parent[b]]

    gain, biasprm, frange, flim, affine = _actuator_affine(model)
    normal, offset, rows = _contact_geoms(model, contacts)
    ids = np.array([r[0] for r in rows], dtype=np.int64)
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
        body_mass=arr(model.body_mass, float),
        body_inertia=arr(model.body_inertia, wp.vec3, (nb, 3)),
        jnt_type=arr(model.jnt_type, int),
        jnt_bodyid=arr(model.jnt_bodyid, int),
        jnt_qposadr=arr(model.jnt_qposadr, int),
        jnt_dofadr=arr(model.jnt_dofadr, int),
        jnt_pos=arr(np.asarray(model.jnt_pos).reshape(nj, 3), wp.vec3),
        jnt_axis=arr(_unit(np.asarray(model.jnt_axis).reshape(nj, 3)), wp.vec3),
        jnt_stiffness=arr(model.jnt_stiffness, float),
        jnt_limited=arr(limited & joint_limits, int),
        jnt_range=arr(np.asarray(model.jnt_range, dtype=np.float64).reshape(nj, 2), wp.vec2),
        qpos0=arr(model.qpos0, float),
        qpos_spring=arr(model.qpos_spring, float),
        dof_bodyid=arr(model.dof_bodyid, int),
        dof_parentid=arr(model.dof_parentid, int),
        dof_armature=arr(model.dof_armature, float),
        dof_damping=arr(model.dof_damping, float),
        actuator_dofadr=arr(jnt_dofadr[trn_jnt] if nu else np.zeros(0), int),
        actuator_qposadr=arr(np.asarray(model.jnt_qposadr)[trn_jnt] if nu else np.zeros(0), int),
        actuator_gear=arr(np.asarray(model.actuator_gear).reshape(nu, 6)[:, 0], float),
        actuator_ctrlrange=arr(np.asarray(model.actuator_ctrlrange).reshape(nu, 2), wp.vec2),
        actuator_ctrllimited=arr(np.asarray(model.actuator_ctrllimited).reshape(nu) != 0, int),
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
        # one shared row (E = 1) until the simulator's set_params gives each env its own
        body_mass_scale=wp.ones((1, nb), dtype=float, device=device),
        actuator_gear_scale=wp.ones((1, nu), dtype=float, device=device),
        dof_damping_scale=wp.ones((1, nv), dtype=float, device=device),
        geom_friction_scale=wp.ones((1, ngeom), dtype=float, device=device),
        gravity=wp.vec3(*np.asarray(model.opt.gravity, dtype=np.float64).tolist()),
        timestep=float(timestep),
        substeps=int(substeps),
        plane_normal=wp.vec3(*normal.tolist()),
        plane_offset=float(offset),
        contact_stiffness=float(contact_stiffness),
        contact_damping=float(contact_damping),
        friction_eps=float(friction_eps),
        limit_stiffness=float(limit_stiffness),
        limit_damping=float(limit_damping),
    )


def make_data(model, num_envs: int, device) -> Data:
    """Per-env state at the reference configuration qpos0 and at rest, zero controls, zeroed scratch."""
    n, nb, nj = int(num_envs), int(model.nbody), int(model.njnt)
    nv, nu = int(model.nv), int(model.nu)

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
        qacc=zeros((n, nv), float),
        jac=zeros((n, max(nv, 1)), float),
    )
