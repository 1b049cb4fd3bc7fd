"""Mass properties: geom volumes and inertias, body inertial frames, MuJoCo's mass checks (SI units, float64).

Follows MuJoCo's compiler: src/user/user_objects.cc for geom mass and inertia and the body inertial frame,
src/user/user_util.cc for the Jacobi eigen-decomposition, src/user/user_model.cc for the mass check and
src/engine/engine_support.c mj_setTotalmass.
"""

from __future__ import annotations

import math

import numpy as np

from mjcf.model import GEOM_BOX, GEOM_CAPSULE, GEOM_CYLINDER, GEOM_ELLIPSOID, GEOM_SPHERE, MJ_EPS, MJ_MINVAL
from mjcf.orientation import normalize, orientation, quat_mul, quat_to_mat
from mjcf.parser import Body, CompilerSettings, Element
from mjcf.specs import ORIENTATION

_EIG_EPS = 1e-12  # user_util.cc kEigEPS


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
        q = quat_mul(q, normalize(step)[0])
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


def _explicit_inertial(inode: Element, ia: dict, c: CompilerSettings):
    """(mass kg, center of mass m, principal frame quaternion, principal moments kg m^2) of an <inertial>."""
    for key in ("pos", "mass"):
        if key not in ia:
            raise inode.error("required attribute missing", key)
    ipos = np.asarray(ia["pos"], dtype=np.float64)
    if "fullinertia" in ia:
        if any(k in ia for k in ORIENTATION):
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
        iquat = orientation(inode, ia, c.degree, c.eulerseq)
    else:
        raise inode.error("required attribute missing: one of diaginertia, fullinertia", "diaginertia")
    return ia["mass"], ipos, iquat, inertia


def _inertia_from_geoms(node: Element, geoms: list[dict]):
    """(mass, center of mass, principal quaternion, moments) of a body's massive geoms; None if there are none."""
    sel = [g for g in geoms if g["mass"] > MJ_EPS]
    if not sel:
        return None
    if len(sel) == 1:
        # one geom: its own frame is already principal, copied without re-sorting the moments
        g = sel[0]
        return g["mass"], g["pos"].copy(), g["quat"].copy(), g["inertia"].copy()
    mass = sum(g["mass"] for g in sel)
    ipos = sum(g["mass"] * g["pos"] for g in sel) / mass
    full = np.zeros((3, 3))
    for g in sel:
        rot = quat_to_mat(g["quat"])
        full += rot @ np.diag(g["inertia"]) @ rot.T + _offcenter(g["mass"], g["pos"] - ipos)
    inertia, iquat = principal_axes(full)
    if inertia[2] < MJ_EPS:
        raise node.error("body inertia from geoms must have positive eigenvalues")
    return mass, ipos, iquat, inertia


def body_inertia(body: Body, geoms: list[dict], c: CompilerSettings):
    """Body mass (kg), center of mass (body frame, m), principal frame quaternion (body frame), moments (kg m^2).

    `geoms` are the body's compiled geoms (mjcf/compiler.py) with mass and inertia in their own frames; an
    <inertial> element wins unless compiler inertiafromgeom="true".
    """
    node = body.node
    ipos, iquat, mass, inertia = None, np.array([1.0, 0, 0, 0]), 0.0, np.zeros(3)
    if body.inertial is not None:
        mass, ipos, iquat, inertia = _explicit_inertial(*body.inertial, c)
    if c.inertiafromgeom == "true" or (ipos is None and c.inertiafromgeom == "auto"):
        from_geoms = _inertia_from_geoms(node, geoms)
        if from_geoms is not None:
            mass, ipos, iquat, inertia = from_geoms
    if ipos is None:
        # no inertial information at all: MuJoCo copies the body's own pose into the inertial frame
        ipos, iquat = body.pos.copy(), body.quat.copy()
    mass = max(mass, c.boundmass)
    inertia = np.maximum(inertia, c.boundinertia)
    if mass < 0 or np.any(inertia < 0):
        raise node.error("mass and inertia cannot be negative")
    a, b, cc = inertia
    if a + b < cc or a + cc < b or b + cc < a:
        if c.balanceinertia:
            inertia = np.full(3, (a + b + cc) / 3.0)
        else:
            raise node.error("inertia must satisfy A + B >= C (use compiler balanceinertia to fix)")
    return mass, ipos, iquat, inertia


def check_moving_bodies_have_mass(bodies: list[Body], mass: np.ndarray, inertia: np.ndarray):
    """MuJoCo's check that every body with joints has mass and inertia >= mjMINVAL (itself or welded children).

    `mass` (nbody,) kg and `inertia` (nbody, 3) kg m^2 are the compiled values before settotalmass scaling, as
    in user_model.cc.
    """

    def has_mass(b: int) -> bool:
        if mass[b] >= MJ_MINVAL and np.all(inertia[b] >= MJ_MINVAL):
            return True
        # a welded (joint-less) child carrying mass also makes the body's motion well defined
        return any(not bodies[ch].joints and has_mass(ch) for ch in bodies[b].children)

    for bid in range(1, len(bodies)):
        if bodies[bid].joints and not has_mass(bid):
            raise bodies[bid].node.error(
                f"mass and inertia of moving bodies must be larger than mjMINVAL={MJ_MINVAL:g} "
                f"(mass {mass[bid]:g}, inertia {inertia[bid].tolist()}); "
                "give the body a geom with positive density or mass, or an <inertial>"
            )


def scale_to_total_mass(mass: np.ndarray, inertia: np.ndarray, settotalmass: float):
    """Scale body masses (nbody,) kg and inertias (nbody, 3) kg m^2 in place so the bodies weigh `settotalmass`.

    The world body 0 is left out; `settotalmass` <= 0 leaves everything unchanged (mj_setTotalmass).
    """
    if settotalmass > 0:
        total = mass[1:].sum()
        scale = max(MJ_MINVAL, settotalmass / max(MJ_MINVAL, total))
        mass[1:] *= scale
        inertia[1:] *= scale
