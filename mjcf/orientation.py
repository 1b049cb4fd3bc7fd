"""Quaternions and MJCF orientation attributes (numpy float64, wxyz), following MuJoCo's user_util.cc.

Every function reproduces its MuJoCo counterpart's branch order and thresholds, so that compiled frames match
MuJoCo's to rounding (mjuu_normvec, mjuu_z2quat, mjuu_frame2quat, ResolveOrientation).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from mjcf.model import MJ_EPS
from mjcf.specs import ORIENTATION

if TYPE_CHECKING:  # the parser resolves body frames while reading, so it imports this module
    from mjcf.parser import Element


def normalize(v: np.ndarray) -> tuple[np.ndarray, float]:
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
    return normalize(q)[0]


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


def z_to_quat(vec: np.ndarray) -> np.ndarray:
    """Minimal rotation taking +z to unit vector `vec` (mjuu_z2quat); 180 degrees turns about x."""
    axis, s = normalize(np.cross([0.0, 0.0, 1.0], vec))
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
    return normalize(q)[0]


def orientation(node: Element, attrs: dict, degree: bool, eulerseq: str) -> np.ndarray:
    """Unit wxyz quaternion of an element's frame in its parent's frame, from quat/axisangle/euler/xyaxes/zaxis.

    `degree` says whether axisangle and euler angles are in degrees; `eulerseq` is the compiler's 3-letter axis
    sequence. Mirrors MuJoCo's ResolveOrientation; errors name the element and the attribute.
    """
    given = [k for k in ORIENTATION if k in attrs]
    if len(given) > 1:
        raise node.error(f"multiple orientation specifiers {given}; use one")
    if not given:
        return np.array([1.0, 0.0, 0.0, 0.0])
    key = given[0]
    v = np.asarray(attrs[key], dtype=np.float64)
    if key == "quat":
        q, n = normalize(v)
        if n == 0.0:
            raise node.error("zero quaternion", key)
        return q
    if key == "axisangle":
        axis, n = normalize(v[:3])
        if n < MJ_EPS:
            raise node.error("zero-length axis", key)
        angle = v[3] * math.pi / 180.0 if degree else v[3]
        return np.concatenate([[math.cos(angle / 2)], math.sin(angle / 2) * axis])
    if key == "zaxis":
        z, n = normalize(v)
        if n < MJ_EPS:
            raise node.error("zero-length axis", key)
        return z_to_quat(z)
    if key == "xyaxes":
        x, n = normalize(v[:3])
        if n < MJ_EPS:
            raise node.error("zero-length x axis", key)
        y, n = normalize(v[3:] - x * (x @ v[3:]))  # Gram-Schmidt: y orthogonal to x
        if n < MJ_EPS:
            raise node.error("y axis is zero or parallel to x", key)
        z, n = normalize(np.cross(x, y))
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
