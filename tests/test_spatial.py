"""Unit tests of kernels/spatial.py: each @wp.func runs in a one-thread kernel and is compared with NumPy.

References are written independently of the Warp code: spatial cross products and inertias as the 6x6
matrices of Featherstone's RBDA (ch. 2), quaternion integration by MuJoCo's
mju_quatIntegrate. Output arrays are pre-filled with NaN so a missed write fails. Tolerance: float32
round-off, rtol 1e-5 / atol 1e-5 on O(1) inputs.
"""

import mujoco
import numpy as np
import pytest
import warp as wp

from kernels.spatial import (
    hinge_motion,
    inertia_about_point,
    inertia_com_mul_motion,
    inertia_mul_motion,
    motion_cross_force,
    motion_cross_motion,
    quat_from_wxyz,
    quat_integrate_local,
    quat_to_wxyz,
    slide_motion,
)

wp.set_module_options({"enable_backward": False, "max_unroll": 1})

TOL = {"rtol": 1e-5, "atol": 1e-5}


@wp.kernel
def _quat_roundtrip_kernel(wxyz_in: wp.array[wp.vec4], xyzw_out: wp.array[wp.quat], wxyz_out: wp.array[wp.vec4]):
    a = wxyz_in[0]
    q = quat_from_wxyz(a[0], a[1], a[2], a[3])
    xyzw_out[0] = q
    wxyz_out[0] = quat_to_wxyz(q)


@wp.kernel
def _quat_integrate_kernel(q_in: wp.array[wp.quat], omega_in: wp.array[wp.vec3], dt: float, q_out: wp.array[wp.quat]):
    q_out[0] = quat_integrate_local(q_in[0], omega_in[0], dt)


@wp.kernel
def _cross_kernel(
    a_in: wp.array[wp.spatial_vector],
    b_in: wp.array[wp.spatial_vector],
    crm_out: wp.array[wp.spatial_vector],
    crf_out: wp.array[wp.spatial_vector],
):
    crm_out[0] = motion_cross_motion(a_in[0], b_in[0])
    crf_out[0] = motion_cross_force(a_in[0], b_in[0])


@wp.kernel
def _inertia_kernel(
    mass: float,
    principal_in: wp.array[wp.vec3],
    rot_in: wp.array[wp.quat],
    offset_in: wp.array[wp.vec3],
    v_in: wp.array[wp.spatial_vector],
    inertia_out: wp.array[wp.mat33],
    f_out: wp.array[wp.spatial_vector],
):
    i_o = inertia_about_point(mass, principal_in[0], rot_in[0], offset_in[0])
    inertia_out[0] = i_o
    f_out[0] = inertia_mul_motion(mass, mass * offset_in[0], i_o, v_in[0])


@wp.kernel
def _com_inertia_kernel(
    mass: float,
    com_in: wp.array[wp.vec3],
    icom_in: wp.array[wp.mat33],
    v_in: wp.array[wp.spatial_vector],
    f_out: wp.array[wp.spatial_vector],
):
    f_out[0] = inertia_com_mul_motion(mass, com_in[0], icom_in[0], v_in[0])


@wp.kernel
def _motion_kernel(
    axis_in: wp.array[wp.vec3],
    anchor_in: wp.array[wp.vec3],
    point_in: wp.array[wp.vec3],
    hinge_out: wp.array[wp.spatial_vector],
    slide_out: wp.array[wp.spatial_vector],
):
    hinge_out[0] = hinge_motion(axis_in[0], anchor_in[0], point_in[0])
    slide_out[0] = slide_motion(axis_in[0])


def _nan(dtype, shape=1):
    a = wp.zeros(shape, dtype=dtype, device="cpu")
    a.fill_(float("nan"))
    return a


def _in(x, dtype):
    return wp.array(np.asarray(x, dtype=np.float32)[None], dtype=dtype, device="cpu")


def _skew(v):
    return np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])


def _crm(v):
    """Motion cross-product matrix (RBDA ch. 2), (angular, linear) order."""
    out = np.zeros((6, 6))
    out[:3, :3] = _skew(v[:3])
    out[3:, :3] = _skew(v[3:])
    out[3:, 3:] = _skew(v[:3])
    return out


def _unit_quat(rng):
    q = rng.normal(size=4)
    return q / np.linalg.norm(q)


def _mat_wxyz(q):
    m = np.zeros(9)
    mujoco.mju_quat2Mat(m, np.asarray(q, dtype=np.float64))
    return m.reshape(3, 3)


def test_quat_wxyz_roundtrip():
    wxyz = np.array([0.1, 0.2, 0.3, 0.4])
    xyzw_out, wxyz_out = _nan(wp.quat), _nan(wp.vec4)
    wp.launch(_quat_roundtrip_kernel, 1, inputs=[_in(wxyz, wp.vec4)], outputs=[xyzw_out, wxyz_out], device="cpu")
    np.testing.assert_allclose(xyzw_out.numpy()[0], wxyz[[1, 2, 3, 0]], **TOL)
    np.testing.assert_allclose(wxyz_out.numpy()[0], wxyz, **TOL)


@pytest.mark.parametrize("seed", range(3))
def test_quat_integrate_local(seed):
    rng = np.random.default_rng(seed)
    q_wxyz = _unit_quat(rng)
    omega = rng.normal(size=3) * 3.0
    dt = 0.01 * (seed + 1)
    ref = q_wxyz.copy()
    mujoco.mju_quatIntegrate(ref, omega, dt)
    q_out = _nan(wp.quat)
    wp.launch(_quat_integrate_kernel, 1, inputs=[_in(q_wxyz[[1, 2, 3, 0]], wp.quat), _in(omega, wp.vec3), dt],
              outputs=[q_out], device="cpu")  # fmt: skip
    np.testing.assert_allclose(q_out.numpy()[0][[3, 0, 1, 2]], ref, **TOL)


def test_quat_integrate_zero_velocity_normalizes():
    q_out = _nan(wp.quat)
    q = np.array([0.0, 0.0, 0.0, 2.0])  # x, y, z, w
    wp.launch(_quat_integrate_kernel, 1, inputs=[_in(q, wp.quat), _in(np.zeros(3), wp.vec3), 0.01],
              outputs=[q_out], device="cpu")  # fmt: skip
    np.testing.assert_allclose(q_out.numpy()[0], [0, 0, 0, 1], **TOL)


@pytest.mark.parametrize("seed", range(3))
def test_spatial_cross_products(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=6), rng.normal(size=6)
    crm_out, crf_out = _nan(wp.spatial_vector), _nan(wp.spatial_vector)
    wp.launch(_cross_kernel, 1, inputs=[_in(a, wp.spatial_vector), _in(b, wp.spatial_vector)],
              outputs=[crm_out, crf_out], device="cpu")  # fmt: skip
    np.testing.assert_allclose(crm_out.numpy()[0], _crm(a) @ b, **TOL)
    # force cross product: v x* = -(v x)^T
    np.testing.assert_allclose(crf_out.numpy()[0], -_crm(a).T @ b, **TOL)


@pytest.mark.parametrize("seed", range(3))
def test_spatial_inertia(seed):
    rng = np.random.default_rng(seed)
    mass = float(rng.uniform(0.5, 3.0))
    principal = rng.uniform(0.1, 1.0, size=3)
    rot_wxyz = _unit_quat(rng)
    offset = rng.normal(size=3)
    v = rng.normal(size=6)
    inertia_out, f_out = _nan(wp.mat33), _nan(wp.spatial_vector)
    wp.launch(
        _inertia_kernel,
        1,
        inputs=[mass, _in(principal, wp.vec3), _in(rot_wxyz[[1, 2, 3, 0]], wp.quat), _in(offset, wp.vec3),
                _in(v, wp.spatial_vector)],
        outputs=[inertia_out, f_out],
        device="cpu",
    )  # fmt: skip
    r = _mat_wxyz(rot_wxyz)
    i_com = r @ np.diag(principal) @ r.T
    cx = _skew(offset)
    # rigid-body spatial inertia (RBDA ch. 2), (angular, linear) order, about a point the center of mass is offset from
    i6 = np.block([[i_com + mass * cx @ cx.T, mass * cx], [mass * cx.T, mass * np.eye(3)]])
    np.testing.assert_allclose(inertia_out.numpy()[0], i6[:3, :3], **TOL)
    np.testing.assert_allclose(f_out.numpy()[0], i6 @ v, **TOL)


@pytest.mark.parametrize("mass", [0.7, 0.0])
def test_inertia_at_the_center_of_mass(mass):
    """inertia_com_mul_motion is the 6x6 inertia about the point (as above) applied to v; massless: (I_c w, 0)."""
    rng = np.random.default_rng(1)
    offset = rng.normal(size=3)
    a = rng.normal(size=(3, 3))
    i_com = a @ a.T
    v = rng.normal(size=6)
    cx = _skew(offset)
    i6 = np.block([[i_com + mass * cx @ cx.T, mass * cx], [mass * cx.T, mass * np.eye(3)]])
    f_out = _nan(wp.spatial_vector)
    wp.launch(
        _com_inertia_kernel,
        1,
        inputs=[mass, _in(offset, wp.vec3), _in(i_com, wp.mat33), _in(v, wp.spatial_vector)],
        outputs=[f_out],
        device="cpu",
    )
    np.testing.assert_allclose(f_out.numpy()[0], i6 @ v, **TOL)


def test_joint_motion_subspaces():
    rng = np.random.default_rng(0)
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    anchor, point = rng.normal(size=3), rng.normal(size=3)
    hinge_out, slide_out = _nan(wp.spatial_vector), _nan(wp.spatial_vector)
    wp.launch(_motion_kernel, 1, inputs=[_in(axis, wp.vec3), _in(anchor, wp.vec3), _in(point, wp.vec3)],
              outputs=[hinge_out, slide_out], device="cpu")  # fmt: skip
    # velocity of the material point at `point` when rotating at 1 rad/s about the axis through anchor
    np.testing.assert_allclose(hinge_out.numpy()[0], np.concatenate([axis, np.cross(axis, point - anchor)]), **TOL)
    np.testing.assert_allclose(slide_out.numpy()[0], np.concatenate([np.zeros(3), axis]), **TOL)
