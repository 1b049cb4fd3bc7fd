"""Constraint-like forces of one env per call (``@wp.func``): joint-limit springs and geom-plane contacts.

Both add a force to qfrc and the implicit (backward-Euler) terms of their damping and stiffness to the
lower triangle of qM before the solve, the way MuJoCo's Euler integrator treats joint damping; the contact
model and its pairwise distance functions are in ``kernels.contact``.
"""

import warp as wp

from kernels.contact import contact_coefficients, plane_box, plane_capsule, plane_sphere
from kernels.types import GEOM_BOX, GEOM_CAPSULE, GEOM_SPHERE, JNT_FREE

wp.set_module_options({"enable_backward": False, "max_unroll": 1})


@wp.func
def _apply_point_force(
    worldid: int,
    body: int,
    point: wp.vec3,
    direction: wp.vec3,
    force: float,
    coef: float,
    # Model:
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    cdof_in: wp.array2d[wp.spatial_vector],
    # Data out:
    jac_out: wp.array2d[float],
    qfrc_out: wp.array2d[float],
    qM_out: wp.array3d[float],
):
    """Add J^T force [N m or N] to qfrc and coef J J^T [kg m^2 ...] to the lower triangle of qM.

    J (1 x nv) maps qvel to the velocity [m/s] of a world point on body along a unit world direction; it is
    cdof_d . (unit wrench at the point), nonzero only on the body's ancestor dofs (force-motion duality).
    """
    ref = xpos_in[worldid, body_rootid[body]]
    wrench = wp.spatial_vector(wp.cross(point - ref, direction), direction)
    i = body_lastdof[body]
    while i >= 0:
        jac_out[worldid, i] = wp.dot(cdof_in[worldid, i], wrench)
        i = dof_parentid[i]
    i = body_lastdof[body]
    while i >= 0:
        ji = jac_out[worldid, i]
        qfrc_out[worldid, i] = qfrc_out[worldid, i] + ji * force
        if coef > 0.0:
            j = i
            while j >= 0:
                qM_out[worldid, i, j] = qM_out[worldid, i, j] + coef * ji * jac_out[worldid, j]
                j = dof_parentid[j]
        i = dof_parentid[i]


@wp.func
def contacts(
    worldid: int,
    h: float,
    # Model:
    cgeom_type: wp.array[int],
    cgeom_bodyid: wp.array[int],
    cgeom_geomid: wp.array[int],
    cgeom_pos: wp.array[wp.vec3],
    cgeom_quat: wp.array[wp.quat],
    cgeom_size: wp.array[wp.vec3],
    cgeom_margin: wp.array[float],
    cgeom_friction: wp.array[float],
    plane_normal: wp.vec3,
    plane_offset: float,
    contact_stiffness: float,
    contact_damping: float,
    friction_eps: float,
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    geom_friction_scale: wp.array2d[float],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    xquat_in: wp.array2d[wp.quat],
    cvel_in: wp.array2d[wp.spatial_vector],
    cmass_in: wp.array2d[float],
    cdof_in: wp.array2d[wp.spatial_vector],
    # Data out:
    jac_out: wp.array2d[float],
    qfrc_out: wp.array2d[float],
    qM_out: wp.array3d[float],
):
    """Soft geom-plane contact forces into qfrc [N m, N] and their implicit terms into qM (kernels.contact)."""
    for g in range(cgeom_type.shape[0]):
        body = cgeom_bodyid[g]
        rot = xquat_in[worldid, body]
        center = xpos_in[worldid, body] + wp.quat_rotate(rot, cgeom_pos[g])
        grot = rot * cgeom_quat[g]
        gtype = cgeom_type[g]
        size = cgeom_size[g]
        npoints = 1
        if gtype == GEOM_CAPSULE:
            npoints = 2
        elif gtype == GEOM_BOX:
            npoints = 8
        for k in range(npoints):
            dist = float(0.0)
            point = wp.vec3(0.0)
            if gtype == GEOM_SPHERE:
                dist, point = plane_sphere(plane_normal, plane_offset, center, size[0])
            elif gtype == GEOM_CAPSULE:
                # capsule axis is the geom's local z; point k is end cap k
                axis = wp.quat_rotate(grot, wp.vec3(0.0, 0.0, 1.0))
                d0, p0, d1, p1 = plane_capsule(plane_normal, plane_offset, center, axis, size[1], size[0])
                dist = d0
                point = p0
                if k == 1:
                    dist = d1
                    point = p1
            else:
                dist, point = plane_box(plane_normal, plane_offset, center, wp.quat_to_matrix(grot), size, k)
            depth = cgeom_margin[g] - dist
            if depth > 0.0:
                root = body_rootid[body]
                vel_ref = cvel_in[worldid, body]
                vel = wp.spatial_bottom(vel_ref) + wp.cross(wp.spatial_top(vel_ref), point - xpos_in[worldid, root])
                mu = cgeom_friction[g] * geom_friction_scale[worldid % geom_friction_scale.shape[0], cgeom_geomid[g]]
                fn, cn, ct, tangent = contact_coefficients(
                    depth,
                    vel,
                    plane_normal,
                    cmass_in[worldid, root],
                    mu,
                    contact_stiffness,
                    contact_damping,
                    friction_eps,
                    h,
                )
                # normal, slip direction and the second tangent: (M + h sum c J^T J) qacc = qfrc
                _apply_point_force(
                    worldid, body, point, plane_normal, fn, h * cn, body_rootid, body_lastdof, dof_parentid,
                    xpos_in, cdof_in, jac_out, qfrc_out, qM_out,
                )  # fmt: skip
                if ct > 0.0:
                    t2 = wp.cross(plane_normal, tangent)
                    vt = wp.dot(vel, tangent)
                    _apply_point_force(
                        worldid, body, point, tangent, -ct * vt, h * ct, body_rootid, body_lastdof, dof_parentid,
                        xpos_in, cdof_in, jac_out, qfrc_out, qM_out,
                    )  # fmt: skip
                    _apply_point_force(
                        worldid, body, point, t2, -ct * wp.dot(vel, t2), h * ct, body_rootid, body_lastdof,
                        dof_parentid, xpos_in, cdof_in, jac_out, qfrc_out, qM_out,
                    )  # fmt: skip


@wp.func
def joint_limits(
    worldid: int,
    h: float,
    # Model:
    jnt_type: wp.array[int],
    jnt_qposadr: wp.array[int],
    jnt_dofadr: wp.array[int],
    jnt_limited: wp.array[int],
    jnt_range: wp.array[wp.vec2],
    limit_stiffness: float,
    limit_damping: float,
    # Data in:
    qpos_in: wp.array2d[float],
    qvel_in: wp.array2d[float],
    # Data out:
    qfrc_out: wp.array2d[float],
    qM_out: wp.array3d[float],
):
    """One-sided spring-damper [N m or N] past each hinge/slide limit, implicit like the contacts.

    Stiffness and damping are per unit of the dof's diagonal inertia M_dd (incl. armature), so the limit's
    time constant is 1 / sqrt(limit_stiffness) whatever the link: F = M_dd (k pen - c v) pushing inward.
    """
    for j in range(jnt_type.shape[0]):
        if jnt_limited[j] != 0 and jnt_type[j] != JNT_FREE:
            q = qpos_in[worldid, jnt_qposadr[j]]
            d = jnt_dofadr[j]
            pen = float(0.0)
            sign = float(0.0)
            if q < jnt_range[j][0]:
                pen = jnt_range[j][0] - q
                sign = 1.0
            elif q > jnt_range[j][1]:
                pen = q - jnt_range[j][1]
                sign = -1.0
            if pen > 0.0:
                m = qM_out[worldid, d, d]
                k = m * limit_stiffness
                cn = m * limit_damping + h * k
                f = k * pen - cn * sign * qvel_in[worldid, d]
                if f > 0.0:
                    qfrc_out[worldid, d] = qfrc_out[worldid, d] + sign * f
                    qM_out[worldid, d, d] = qM_out[worldid, d, d] + h * cn
