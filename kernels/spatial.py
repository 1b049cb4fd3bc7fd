"""Quaternion and spatial-algebra building blocks (``@wp.func``) for articulated-body dynamics.

Conventions (shared with ``kernels/articulation.py``):

- Quaternions on the device are Warp's ``wp.quat`` stored x, y, z, w; MuJoCo's qpos/body_quat order
  w, x, y, z is converted at the boundary with ``quat_from_wxyz`` / ``quat_to_wxyz``.
- Spatial vectors are ``wp.spatial_vector`` with the angular part first, as in MuJoCo: a motion is
  ``(omega, v)`` [rad/s, m/s], a force is ``(torque, force)`` [N m, N]. They are expressed in world
  orientation about a reference point that is instantaneously fixed in space (one per kinematic tree),
  like the "com-based" quantities of MuJoCo's Computation chapter (there the point is the subtree center of
  mass) and the fixed-frame formulation of Featherstone's RBDA ch. 2.
- A spatial inertia about that point is kept as three parts (mass [kg], first moment m*c [kg m],
  rotational inertia about the point [kg m^2]) rather than a 6x6 matrix: 13 floats instead of 36.
"""

import warp as wp

wp.set_module_options({"enable_backward": False, "max_unroll": 1})


@wp.func
def quat_from_wxyz(w: float, x: float, y: float, z: float) -> wp.quat:
    """Warp quaternion (x, y, z, w storage) from MuJoCo's w, x, y, z components; not normalized."""
    return wp.quat(x, y, z, w)


@wp.func
def quat_to_wxyz(q: wp.quat) -> wp.vec4:
    """MuJoCo-order (w, x, y, z) components of a Warp quaternion."""
    return wp.vec4(q[3], q[0], q[1], q[2])


@wp.func
def quat_integrate_local(q: wp.quat, omega: wp.vec3, dt: float) -> wp.quat:
    """Unit quaternion after rotating for dt [s] at angular velocity omega [rad/s] given in the rotated (body) frame.

    q_new = q * exp(omega dt / 2), normalized: MuJoCo's free-joint position update (mj_integratePos).
    """
    speed = wp.length(omega)
    if speed > 0.0:
        q = q * wp.quat_from_axis_angle(omega / speed, speed * dt)
    return wp.normalize(q)


@wp.func
def motion_cross_motion(v: wp.spatial_vector, m: wp.spatial_vector) -> wp.spatial_vector:
    """Spatial cross product v x m of two motion vectors (RBDA ch. 2), same frame and point as the inputs."""
    w = wp.spatial_top(v)
    u = wp.spatial_bottom(v)
    a = wp.spatial_top(m)
    b = wp.spatial_bottom(m)
    return wp.spatial_vector(wp.cross(w, a), wp.cross(w, b) + wp.cross(u, a))


@wp.func
def motion_cross_force(v: wp.spatial_vector, f: wp.spatial_vector) -> wp.spatial_vector:
    """Spatial cross product v x* f of a motion and a force vector (RBDA ch. 2), same frame and point."""
    w = wp.spatial_top(v)
    u = wp.spatial_bottom(v)
    n = wp.spatial_top(f)
    g = wp.spatial_bottom(f)
    return wp.spatial_vector(wp.cross(w, n) + wp.cross(u, g), wp.cross(w, g))


@wp.func
def inertia_about_point(mass: float, principal: wp.vec3, rot: wp.quat, offset: wp.vec3) -> wp.mat33:
    """Rotational inertia [kg m^2] in world orientation about a point, for a body whose center of mass is at offset.

    principal: diagonal inertia about the center of mass in the principal frame rot (world from principal);
    offset: center of mass minus the point [m]. Parallel-axis theorem: I_c + m (|c|^2 1 - c c^T).
    """
    r = wp.quat_to_matrix(rot)
    i_com = r * wp.diag(principal) * wp.transpose(r)
    return i_com + mass * (wp.dot(offset, offset) * wp.identity(n=3, dtype=float) - wp.outer(offset, offset))


@wp.func
def inertia_mul_motion(mass: float, mc: wp.vec3, rot_inertia: wp.mat33, v: wp.spatial_vector) -> wp.spatial_vector:
    """Spatial momentum (or force) I v of a spatial inertia (mass, first moment mc, rotational inertia about the point).

    Angular part: I_o w + mc x v; linear part: m v - mc x w (RBDA ch. 2, with c = mc / m).
    """
    w = wp.spatial_top(v)
    u = wp.spatial_bottom(v)
    return wp.spatial_vector(rot_inertia * w + wp.cross(mc, u), mass * u - wp.cross(mc, w))


@wp.func
def inertia_com_mul_motion(mass: float, com: wp.vec3, com_inertia: wp.mat33, v: wp.spatial_vector) -> wp.spatial_vector:
    """Spatial momentum (or force) I v about the point, for an inertia given at its center of mass com [m].

    com: center of mass minus the point; com_inertia: rotational inertia about the center of mass [kg m^2], world
    orientation. The same product as ``inertia_mul_motion`` with I_o = I_c + m (|c|^2 1 - c c^T), formed as
    (I_c w + c x p, p) with p = m (v + w x c), the momentum of the center of mass: no term of size m |c|^2 that
    cancels when the point is far from the body (RBDA ch. 2, spatial inertia at the center of mass).
    """
    w = wp.spatial_top(v)
    p = mass * (wp.spatial_bottom(v) + wp.cross(w, com))
    return wp.spatial_vector(com_inertia * w + wp.cross(com, p), p)


@wp.func
def hinge_motion(axis: wp.vec3, anchor: wp.vec3, point: wp.vec3) -> wp.spatial_vector:
    """Motion subspace (unit rotation about a world axis through anchor) expressed at point, world orientation."""
    return wp.spatial_vector(axis, wp.cross(axis, point - anchor))


@wp.func
def slide_motion(axis: wp.vec3) -> wp.spatial_vector:
    """Motion subspace of a unit translation along a world axis (independent of the reference point)."""
    return wp.spatial_vector(wp.vec3(0.0), axis)
