"""Constraint forces of one env per call (``@wp.func``): joint limits and friction loss, ground and geom-geom contacts.

The ground is the model's plane or, where the simulator has one, a height field (``kernels.terrain``): each
contact point is taken against the plane of the terrain triangle under it, whose normal is the point's contact
normal.

Each is MuJoCo's soft constraint f = D (aref - J qacc): it adds D aref J^T to qfrc and D J^T J to the lower
triangle of qM before the solve; the law and the pairwise distance functions are in ``kernels.contact``.
"""

import functools

import warp as wp

from kernels.contact import (
    box_box_axis,
    box_box_point,
    component4,
    contact_tangent,
    impedance,
    plane_box,
    plane_cylinder,
    pyramid_coefficients,
    pyramid_edge,
    reference_coefficients,
    segment_box_clip,
    segment_nearest,
    segment_segment,
    segments_parallel,
    sphere_box,
    sphere_cylinder,
    sphere_sphere,
    spin_roll_count,
    spin_roll_edge,
)
from kernels.equality import add_dense_row, equality_slope, row_jacobian
from kernels.terrain import hfield_plane, hfield_sphere
from kernels.types import GEOM_BOX, GEOM_CAPSULE, GEOM_CYLINDER, GEOM_ELLIPSOID, GEOM_SPHERE, JNT_FREE, vec5

wp.set_module_options({"enable_backward": False, "max_unroll": 1})

# a symmetric 3x3 matrix as (xx, yy, zz, xy, xz, yz): 6 registers instead of a mat33's 9 where CUDA threads are short
# of them (the split solve kernel is capped at 128)
sym33 = wp.types.vector(length=6, dtype=float)


@wp.func
def sym33_outer(w: wp.vec3, u: wp.vec3):
    """The symmetric part of w u^T for parallel w and u (w = c u): (w_x u_x, w_y u_y, w_z u_z, w_x u_y, w_x u_z,
    w_y u_z)."""
    return sym33(w[0] * u[0], w[1] * u[1], w[2] * u[2], w[0] * u[1], w[0] * u[2], w[1] * u[2])


@wp.func
def sym33_mul(a: sym33, x: wp.vec3):
    """a x for a symmetric 3x3 matrix a stored as ``sym33``."""
    return wp.vec3(
        a[0] * x[0] + a[3] * x[1] + a[4] * x[2],
        a[3] * x[0] + a[1] * x[1] + a[5] * x[2],
        a[4] * x[0] + a[5] * x[1] + a[2] * x[2],
    )


@wp.func
def point_jacobian(
    worldid: int,
    body: int,
    point: wp.vec3,
    idx: int,
    # Model:
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    cdof_in: wp.array2d[wp.spatial_vector],
    # Data out:
    jacp_out: wp.array3d[wp.vec3],
):
    """J_p [m/s per unit dof velocity, world]: the 3 x nv translational Jacobian of a world point on body, column d
    into jacp_out[worldid, idx, d] for the dofs d of the body's chain (the only columns written or read).

    Column d is bottom(cdof_d) + top(cdof_d) x (point - root origin), the point's velocity for a unit qvel_d; a row
    along a unit world direction u is u^T J_p (force-motion duality: cdof_d . (u x r, u)).
    """
    r = point - xpos_in[worldid, body_rootid[body]]
    i = body_lastdof[body]
    while i >= 0:
        c = cdof_in[worldid, i]
        jacp_out[worldid, idx, i] = wp.spatial_bottom(c) + wp.cross(wp.spatial_top(c), r)
        i = dof_parentid[i]


@wp.func
def point_acc(
    worldid: int,
    body: int,
    idx: int,
    # Model:
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    jacp_in: wp.array3d[wp.vec3],
    x_in: wp.array2d[float],
):
    """J_p x: the linear velocity [m/s] (or acceleration [m/s^2]) [world] of point idx of ``point_jacobian`` on body
    for dof velocities (accelerations) x; one walk of the chain serves every direction (J_u x = u . J_p x)."""
    out = wp.vec3(0.0)
    i = body_lastdof[body]
    while i >= 0:
        out += jacp_in[worldid, idx, i] * x_in[worldid, i]
        i = dof_parentid[i]
    return out


@wp.func
def _point_acc(
    worldid: int,
    body: int,
    point: wp.vec3,
    # Model:
    body_rootid: wp.array[int],
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    cdof_in: wp.array2d[wp.spatial_vector],
    x_in: wp.array2d[float],
):
    """J_p x: the linear velocity [m/s] (or acceleration) [world] of a world point on body for dof velocities
    (accelerations) x; one walk of the body's chain serves every direction (J_u x = u . J_p x). Without a stored
    J_p (``point_acc`` reads the one ``point_jacobian`` wrote); kept for rows whose points have none."""
    r = point - xpos_in[worldid, body_rootid[body]]
    out = wp.vec3(0.0)
    i = body_lastdof[body]
    while i >= 0:
        c = cdof_in[worldid, i]
        out += (wp.spatial_bottom(c) + wp.cross(wp.spatial_top(c), r)) * x_in[worldid, i]
        i = dof_parentid[i]
    return out


@wp.func
def point_rows(
    worldid: int,
    body: int,
    idx: int,
    a: sym33,
    g: wp.vec3,
    # Model:
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    jacp_in: wp.array3d[wp.vec3],
    # Data out:
    qfrc_out: wp.array2d[float],
    qH_out: wp.array3d[float],
):
    """Add J_p^T g [N m or N] to qfrc and J_p^T a J_p [kg m^2 ...] to the lower triangle of qH for point idx of
    ``point_jacobian`` on body.

    Rows f_e = D_e (aref_e - u_e^T J_p qacc) along unit world directions u_e of one point (its friction pyramid)
    give g = sum_e D_e aref_e u_e [N] and a = sum_e D_e u_e u_e^T [kg] (``sym33``): one pass over the chain's dof
    pairs for all of them instead of one per row. Only ancestor pairs (i, j <= i) are touched, so qH keeps the
    tree's sparsity.
    """
    i = body_lastdof[body]
    while i >= 0:
        ji = jacp_in[worldid, idx, i]
        qfrc_out[worldid, i] = qfrc_out[worldid, i] + wp.dot(ji, g)
        aji = sym33_mul(a, ji)
        j = i
        while j >= 0:
            qH_out[worldid, i, j] = qH_out[worldid, i, j] + wp.dot(aji, jacp_in[worldid, idx, j])
            j = dof_parentid[j]
        i = dof_parentid[i]


def _warp_func(f, cylinders: bool, spin_roll: bool = False) -> wp.Function:
    """f as a Warp function named after its variant (each closure variant its own function in the module)."""
    f.__qualname__ = f.__name__ + ("_cylinders" if cylinders else "_no_cylinders") + ("_spin_roll" if spin_roll else "")
    return wp.func(f)


def _contact_funcs(cylinders: bool, spin_roll: bool = False):
    """The ground-contact functions (``_contact_point``, ``contact_collide``), with the cylinder's and ellipsoid's
    points compiled in or out (``wp.static``): on CUDA they cost the capped contact kernel spills (sm_90: 88/92 B
    without, 132/136 B with), so a model without cylinders or ellipsoids touching the ground takes the kernel without
    them. ``spin_roll``: the
    torsional and rolling friction and the body's angular velocity stored per point as well (condim 4 / 6)."""

    def _contact_point(
        worldid: int,
        g: int,
        k: int,
        # Model:
        cgeom_type: wp.array[int],
        cgeom_bodyid: wp.array[int],
        cgeom_pos: wp.array[wp.vec3],
        cgeom_quat: wp.array[wp.quat],
        cgeom_size: wp.array[wp.vec3],
        plane_normal: wp.vec3,
        plane_offset: float,
        hfield: wp.array2d[float],
        hfield_spacing: float,
        # Data in:
        xpos_in: wp.array2d[wp.vec3],
        xquat_in: wp.array2d[wp.quat],
    ):
        """Contact point k of collision geom g against the ground: (number of points of the geom, signed distance [m],
        point [m, world], unit normal [world], tangent hint [world]): a sphere has one point, a capsule two (its end
        caps), a cylinder four (``plane_cylinder``), a box eight (its corners), an ellipsoid one (its deepest). The
        ground under each point is the plane, or the height field's triangle there (kernels.terrain). The hint is a
        capsule's axis (MuJoCo's mjc_PlaneCapsule aligns the contact frame with it), else 0."""
        body = cgeom_bodyid[g]
        rot = xquat_in[worldid, body]
        center = xpos_in[worldid, body] + wp.quat_rotate(rot, cgeom_pos[g])
        grot = rot * cgeom_quat[g]
        gtype = cgeom_type[g]
        size = cgeom_size[g]
        npoints = 1
        dist = float(0.0)
        point = wp.vec3(0.0)
        normal = plane_normal
        hint = wp.vec3(0.0)
        if gtype == GEOM_SPHERE:
            dist, point, normal = hfield_sphere(hfield, hfield_spacing, plane_normal, plane_offset, center, size[0])
        elif gtype == GEOM_CAPSULE:
            npoints = 2
            # capsule axis is the geom's local z; point k is end cap k, against the ground under that cap
            axis = wp.quat_rotate(grot, wp.vec3(0.0, 0.0, 1.0))
            hint = axis
            cap = center + size[1] * axis
            if k == 1:
                cap = center - size[1] * axis
            dist, point, normal = hfield_sphere(hfield, hfield_spacing, plane_normal, plane_offset, cap, size[0])
        elif gtype == GEOM_BOX:
            npoints = 8
            dist, point = plane_box(plane_normal, plane_offset, center, wp.quat_to_matrix(grot), size, k)
            # the corner against the ground under it
            n, d = hfield_plane(hfield, hfield_spacing, point[0], point[1], plane_normal, plane_offset)
            normal = n
            dist = wp.dot(n, point) - d
        elif wp.static(cylinders) and gtype == GEOM_CYLINDER:
            npoints = 4
            # the points are chosen against the ground's plane under the center (the model's plane, or the height
            # field's triangle there), then each is taken against the ground under it (as a box corner)
            n0, d0 = hfield_plane(hfield, hfield_spacing, center[0], center[1], plane_normal, plane_offset)
            dist, point = plane_cylinder(n0, d0, center, wp.quat_to_matrix(grot), size, k)
            n, d = hfield_plane(hfield, hfield_spacing, point[0], point[1], plane_normal, plane_offset)
            normal = n
            dist = wp.dot(n, point) - d
        elif wp.static(cylinders) and gtype == GEOM_ELLIPSOID:
            # MuJoCo's mjc_PlaneConvex: the ellipsoid's support point along minus the ground's normal under its center,
            # then against the ground under that point (as a box corner)
            n0, d0 = hfield_plane(hfield, hfield_spacing, center[0], center[1], plane_normal, plane_offset)
            grot_m = wp.quat_to_matrix(grot)
            scaled = wp.cw_mul(wp.transpose(grot_m) * (-n0), size)
            point = center + grot_m * wp.cw_mul(scaled / wp.length(scaled), size)
            n, d = hfield_plane(hfield, hfield_spacing, point[0], point[1], plane_normal, plane_offset)
            normal = n
            dist = wp.dot(n, point) - d
        return npoints, dist, point, normal, hint

    _contact_point = _warp_func(_contact_point, cylinders, spin_roll)

    def contact_collide(
        worldid: int,
        # Model:
        cgeom_type: wp.array[int],
        cgeom_bodyid: wp.array[int],
        cgeom_geomid: wp.array[int],
        cgeom_pos: wp.array[wp.vec3],
        cgeom_quat: wp.array[wp.quat],
        cgeom_size: wp.array[wp.vec3],
        cgeom_margin: wp.array[float],
        cgeom_friction: wp.array[float],
        cgeom_condim: wp.array[int],
        cgeom_friction_ang: wp.array[wp.vec2],
        cgeom_solref: wp.array[wp.vec2],
        cgeom_solimp: wp.array[vec5],
        cgeom_invweight: wp.array[float],
        cgeom_pointadr: wp.array[int],
        plane_normal: wp.vec3,
        plane_offset: float,
        hfield: wp.array2d[float],
        hfield_spacing: float,
        contact_impratio: float,
        body_rootid: wp.array[int],
        body_lastdof: wp.array[int],
        dof_parentid: wp.array[int],
        geom_friction_scale: wp.array2d[float],
        # Data in:
        xpos_in: wp.array2d[wp.vec3],
        xquat_in: wp.array2d[wp.quat],
        cvel_in: wp.array2d[wp.spatial_vector],
        cdof_in: wp.array2d[wp.spatial_vector],
        # Data out:
        contact_jacp_out: wp.array3d[wp.vec3],
        contact_dcoef_out: wp.array2d[float],
        contact_fref_out: wp.array2d[float],
        contact_point_out: wp.array2d[wp.vec3],
        contact_normal_out: wp.array2d[wp.vec3],
        contact_vel_out: wp.array2d[wp.vec3],
        contact_frame_out: wp.array2d[wp.vec3],
        contact_mu_out: wp.array2d[float],
        contact_mu_ang_out: wp.array2d[wp.vec2],
        contact_angvel_out: wp.array2d[wp.vec3],
    ):
        """Every geom-ground contact point of one env at the current positions, once per substep: D of each row [kg] (0:
        outside the margin), k d r [m/s^2] of its aref (``pyramid_coefficients``), the contact position [m, world]
        (midway through the penetration, as MuJoCo's), the ground's unit normal there, the point's velocity [m/s,
        world], the frame's first tangent t1, the friction mu of the pair (0: frictionless, condim 1) and the point's
        J_p (``point_jacobian``), which every Newton iteration of the substep reuses; with spin_roll also the pair's
        torsional and rolling friction [m] (0 below condim 4 / 6) and the body's angular velocity [rad/s, world]."""
        for g in range(cgeom_type.shape[0]):
            body = cgeom_bodyid[g]
            condim = cgeom_condim[g]
            # MuJoCo's mj_assignFriction floor (mjMINMU); the per-env scale (friction randomization) scales every
            # component
            scale = geom_friction_scale[worldid % geom_friction_scale.shape[0], cgeom_geomid[g]]
            mu = wp.max(cgeom_friction[g] * scale, 1.0e-5)
            npoints = int(1)
            k = int(0)
            while k < npoints:
                npoints, dist, point, normal, hint = _contact_point(
                    worldid, g, k, cgeom_type, cgeom_bodyid, cgeom_pos, cgeom_quat, cgeom_size, plane_normal,
                    plane_offset, hfield, hfield_spacing, xpos_in, xquat_in,
                )  # fmt: skip
                r = dist - cgeom_margin[g]
                idx = cgeom_pointadr[g] + k
                contact_dcoef_out[worldid, idx] = 0.0
                if r < 0.0:
                    point = point - 0.5 * dist * normal
                    vel_ref = cvel_in[worldid, body]
                    kr, b, dcoef, rows = pyramid_coefficients(
                        r, cgeom_solref[g], cgeom_solimp[g], cgeom_invweight[g], condim, contact_impratio, mu
                    )
                    contact_dcoef_out[worldid, idx] = dcoef
                    contact_fref_out[worldid, idx] = kr
                    contact_point_out[worldid, idx] = point
                    contact_normal_out[worldid, idx] = normal
                    contact_vel_out[worldid, idx] = wp.spatial_bottom(vel_ref) + wp.cross(
                        wp.spatial_top(vel_ref), point - xpos_in[worldid, body_rootid[body]]
                    )
                    contact_frame_out[worldid, idx] = contact_tangent(normal, hint)
                    point_jacobian(
                        worldid, body, point, idx, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in,
                        contact_jacp_out,
                    )  # fmt: skip
                    if rows == 1:
                        contact_mu_out[worldid, idx] = 0.0
                    else:
                        contact_mu_out[worldid, idx] = mu
                    if wp.static(spin_roll):
                        mu_ang = wp.vec2(0.0)
                        if rows > 4:
                            mu_ang = wp.vec2(
                                wp.max(cgeom_friction_ang[g][0] * scale, 1.0e-5),
                                wp.max(cgeom_friction_ang[g][1] * scale, 1.0e-5),
                            )
                            if rows == 6:
                                mu_ang = wp.vec2(mu_ang[0], 0.0)
                        contact_mu_ang_out[worldid, idx] = mu_ang
                        contact_angvel_out[worldid, idx] = wp.spatial_top(vel_ref)
                k += 1

    return _warp_func(contact_collide, cylinders, spin_roll)


# every geom type (the fused CPU kernel and the models with cylinders), and without the cylinder's points
contact_collide = _contact_funcs(True)
contact_collide_no_cylinders = _contact_funcs(False)
# with the torsional and rolling friction (models with condim 4 or 6 against the ground), every geom type
contact_collide_spin_roll = _contact_funcs(True, True)


@wp.func
def geom_npoints(gtype: int) -> int:
    """Number of ground-contact points of a collision geom of type gtype: a sphere 1, a capsule 2 (its end caps), a
    cylinder 4, a box 8 (its corners), as ``_contact_point`` takes them."""
    npoints = int(1)
    if gtype == GEOM_CAPSULE:
        npoints = 2
    elif gtype == GEOM_CYLINDER:
        npoints = 4
    elif gtype == GEOM_BOX:
        npoints = 8
    return npoints


@wp.func
def pyramid_row(
    worldid: int,
    idx: int,
    e: int,
    b: float,
    mu: float,
    # Data in:
    contact_fref_in: wp.array2d[float],
    contact_normal_in: wp.array2d[wp.vec3],
    contact_vel_in: wp.array2d[wp.vec3],
    contact_frame_in: wp.array2d[wp.vec3],
):
    """Row e of contact point idx's friction pyramid: its unit direction u = n +- mu t [world] (``pyramid_edge``) and
    its reference acceleration aref = -b u.v - k d r [m/s^2] (b [1/s] from the geom's solref)."""
    u = pyramid_edge(contact_normal_in[worldid, idx], contact_frame_in[worldid, idx], mu, e)
    aref = -b * wp.dot(contact_vel_in[worldid, idx], u) - contact_fref_in[worldid, idx]
    return u, aref


@wp.func
def spin_roll_row(
    worldid: int,
    idx: int,
    e: int,
    b: float,
    # Data in:
    contact_fref_in: wp.array2d[float],
    contact_normal_in: wp.array2d[wp.vec3],
    contact_vel_in: wp.array2d[wp.vec3],
    contact_frame_in: wp.array2d[wp.vec3],
    contact_mu_ang_in: wp.array2d[wp.vec2],
    contact_angvel_in: wp.array2d[wp.vec3],
):
    """Torsional or rolling row e (4..9) of contact point idx (``pyramid_row``'s twin): its normal n [world], angular
    part w [m, world] (``spin_roll_edge``; J_e = n^T J_p + w^T J_r) and aref = -b (n . v + w . omega) - k d r
    [m/s^2]."""
    n = contact_normal_in[worldid, idx]
    w = spin_roll_edge(n, contact_frame_in[worldid, idx], contact_mu_ang_in[worldid, idx], e)
    vel = wp.dot(contact_vel_in[worldid, idx], n) + wp.dot(contact_angvel_in[worldid, idx], w)
    return n, w, -b * vel - contact_fref_in[worldid, idx]


@wp.func
def contact_point_update(
    worldid: int,
    idx: int,
    g: int,
    acc: wp.vec3,
    # Model:
    cgeom_solref: wp.array[wp.vec2],
    cgeom_solimp: wp.array[vec5],
    # Data in:
    contact_dcoef_in: wp.array2d[float],
    contact_fref_in: wp.array2d[float],
    contact_normal_in: wp.array2d[wp.vec3],
    contact_vel_in: wp.array2d[wp.vec3],
    contact_frame_in: wp.array2d[wp.vec3],
    contact_mu_in: wp.array2d[float],
    # Data out:
    contact_mask_out: wp.array2d[int],
    contact_force_out: wp.array2d[float],
    contact_frc_out: wp.array2d[wp.vec3],
) -> int:
    """``contact_update`` for contact point idx of geom g whose J_p qacc is acc [m/s^2, world]: its rows' forces
    f = D (aref - u.acc) [N], the new active set (rows with f > 0) into contact_mask, the normal force into
    contact_force and the force vector [N, world] into contact_frc; returns 1 if its active set changed, else 0."""
    dcoef = contact_dcoef_in[worldid, idx]
    mask = int(0)
    fn = float(0.0)
    frc = wp.vec3(0.0)
    if dcoef > 0.0:
        _k, b = reference_coefficients(cgeom_solref[g], cgeom_solimp[g][1])
        mu = contact_mu_in[worldid, idx]
        rows = int(4)
        if mu == 0.0:
            rows = 1
        e = int(0)
        while e < rows:
            u, aref = pyramid_row(
                worldid, idx, e, b, mu, contact_fref_in, contact_normal_in, contact_vel_in, contact_frame_in
            )  # fmt: skip
            f = dcoef * (aref - wp.dot(acc, u))
            if f > 0.0:
                mask = mask | (1 << e)
                fn += f
                frc += f * u
            e += 1
    changed = int(0)
    if mask != contact_mask_out[worldid, idx]:
        changed = 1
    contact_mask_out[worldid, idx] = mask
    contact_force_out[worldid, idx] = fn
    contact_frc_out[worldid, idx] = frc
    return changed


@wp.func
def angular_point_rows(
    worldid: int,
    body: int,
    idx: int,
    n: wp.vec3,
    c: wp.vec3,
    a: sym33,
    g: wp.vec3,
    # Model:
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    jacp_in: wp.array3d[wp.vec3],
    cdof_in: wp.array2d[wp.spatial_vector],
    # Data out:
    qfrc_out: wp.array2d[float],
    qH_out: wp.array3d[float],
):
    """The rotational part of point idx's torsional and rolling rows J_e = n^T J_p + w_e^T J_r (``spin_roll_edge``):
    J_r^T g [N m or N] into qfrc and J_p^T n c^T J_r + J_r^T c n^T J_p + J_r^T a J_r into the lower triangle of qH,
    with c = sum_e D_e w_e [kg m], a = sum_e D_e w_e w_e^T [kg m^2], g = sum_e D_e aref_e w_e [N m] over the active
    rows (their n^T J_p part goes through ``point_rows``). J_r's column d is the angular part of cdof_d [world]."""
    i = body_lastdof[body]
    while i >= 0:
        ri = wp.spatial_top(cdof_in[worldid, i])
        qfrc_out[worldid, i] = qfrc_out[worldid, i] + wp.dot(ri, g)
        pi = wp.dot(n, jacp_in[worldid, idx, i])
        ci = wp.dot(c, ri)
        ari = sym33_mul(a, ri)
        j = i
        while j >= 0:
            rj = wp.spatial_top(cdof_in[worldid, j])
            h = pi * wp.dot(c, rj) + ci * wp.dot(n, jacp_in[worldid, idx, j]) + wp.dot(ari, rj)
            qH_out[worldid, i, j] = qH_out[worldid, i, j] + h
            j = dof_parentid[j]
        i = dof_parentid[i]


@wp.func
def body_angular_acc(
    worldid: int,
    body: int,
    # Model:
    body_lastdof: wp.array[int],
    dof_parentid: wp.array[int],
    # Data in:
    cdof_in: wp.array2d[wp.spatial_vector],
    x_in: wp.array2d[float],
):
    """J_r x: the body's angular velocity [rad/s] (or acceleration [rad/s^2]) [world] for dof velocities
    (accelerations) x."""
    out = wp.vec3(0.0)
    i = body_lastdof[body]
    while i >= 0:
        out += wp.spatial_top(cdof_in[worldid, i]) * x_in[worldid, i]
        i = dof_parentid[i]
    return out


def _contact_row_funcs(spin_roll: bool):
    """The ground-contact rows of the solve (``contacts``) and their active-set update (``contact_update``), with the
    torsional and rolling rows (condim 4 / 6) compiled in or out (``wp.static``): a model without them keeps the
    solve's registers."""

    def contacts(
        worldid: int,
        # Model:
        cgeom_type: wp.array[int],
        cgeom_bodyid: wp.array[int],
        cgeom_solref: wp.array[wp.vec2],
        cgeom_solimp: wp.array[vec5],
        cgeom_pointadr: wp.array[int],
        body_lastdof: wp.array[int],
        dof_parentid: wp.array[int],
        # Data in:
        contact_jacp_in: wp.array3d[wp.vec3],
        contact_dcoef_in: wp.array2d[float],
        contact_fref_in: wp.array2d[float],
        contact_normal_in: wp.array2d[wp.vec3],
        contact_vel_in: wp.array2d[wp.vec3],
        contact_frame_in: wp.array2d[wp.vec3],
        contact_mu_in: wp.array2d[float],
        contact_mu_ang_in: wp.array2d[wp.vec2],
        contact_angvel_in: wp.array2d[wp.vec3],
        contact_mask_in: wp.array2d[int],
        cdof_in: wp.array2d[wp.spatial_vector],
        # Data out:
        qfrc_out: wp.array2d[float],
        qH_out: wp.array3d[float],
    ):
        """MuJoCo's soft geom-plane contact rows (``contact_collide``) into qfrc [N m, N] and qH: each row whose bit is
        set in contact_mask (the active set, ``contact_update``) adds D aref J^T to qfrc and D J^T J to qH, the rows
        of a point being MuJoCo's pyramidal friction cone (condim 3; with spin_roll 4 and 6 too) or its normal alone
        (condim 1)."""
        # while loops over geoms and points (as in contact_update): most points are outside the margin, so the loop
        # itself is most of the cost, and Warp's CPU code for range() loops tests the step's sign every iteration
        g = int(0)
        while g < cgeom_type.shape[0]:
            body = cgeom_bodyid[g]
            npoints = geom_npoints(cgeom_type[g])
            idx = cgeom_pointadr[g]
            while idx < cgeom_pointadr[g] + npoints:
                dcoef = contact_dcoef_in[worldid, idx]
                mask = contact_mask_in[worldid, idx]
                if dcoef > 0.0 and mask != 0:
                    _k, b = reference_coefficients(cgeom_solref[g], cgeom_solimp[g][1])
                    mu = contact_mu_in[worldid, idx]
                    rows = int(4)
                    if mu == 0.0:
                        rows = 1
                    # f_e = D (aref_e - u_e^T J_p qacc) is linear in qacc: (M + J_p^T a J_p) qacc = qfrc + J_p^T force
                    a = sym33(0.0)
                    force = wp.vec3(0.0)
                    e = int(0)
                    while e < rows:
                        if (mask >> e) & 1:
                            u, aref = pyramid_row(
                                worldid, idx, e, b, mu, contact_fref_in, contact_normal_in, contact_vel_in,
                                contact_frame_in,
                            )  # fmt: skip
                            force += (dcoef * aref) * u
                            a += sym33_outer(dcoef * u, u)
                        e += 1
                    if wp.static(spin_roll):
                        nang = int(0)
                        if rows == 4:
                            nang = spin_roll_count(contact_mu_ang_in[worldid, idx])
                        if nang > 0:
                            # J_e = n^T J_p + w^T J_r: n n^T joins a; the rest goes through angular_point_rows
                            n = contact_normal_in[worldid, idx]
                            c = wp.vec3(0.0)
                            ar = sym33(0.0)
                            gr = wp.vec3(0.0)
                            e = int(4)
                            while e < 4 + nang:
                                if (mask >> e) & 1:
                                    _n, w, aref = spin_roll_row(
                                        worldid, idx, e, b, contact_fref_in, contact_normal_in, contact_vel_in,
                                        contact_frame_in, contact_mu_ang_in, contact_angvel_in,
                                    )  # fmt: skip
                                    force += (dcoef * aref) * n
                                    a += sym33_outer(dcoef * n, n)
                                    c += dcoef * w
                                    ar += sym33_outer(dcoef * w, w)
                                    gr += (dcoef * aref) * w
                                e += 1
                            angular_point_rows(
                                worldid, body, idx, n, c, ar, gr, body_lastdof, dof_parentid, contact_jacp_in, cdof_in,
                                qfrc_out, qH_out,
                            )  # fmt: skip
                    point_rows(
                        worldid, body, idx, a, force, body_lastdof, dof_parentid, contact_jacp_in, qfrc_out, qH_out
                    )  # fmt: skip
                idx += 1
            g += 1

    def contact_update(
        worldid: int,
        # Model:
        cgeom_type: wp.array[int],
        cgeom_bodyid: wp.array[int],
        cgeom_solref: wp.array[wp.vec2],
        cgeom_solimp: wp.array[vec5],
        cgeom_pointadr: wp.array[int],
        body_lastdof: wp.array[int],
        dof_parentid: wp.array[int],
        # Data in:
        qacc_in: wp.array2d[float],
        contact_jacp_in: wp.array3d[wp.vec3],
        contact_dcoef_in: wp.array2d[float],
        contact_fref_in: wp.array2d[float],
        contact_normal_in: wp.array2d[wp.vec3],
        contact_vel_in: wp.array2d[wp.vec3],
        contact_frame_in: wp.array2d[wp.vec3],
        contact_mu_in: wp.array2d[float],
        contact_mu_ang_in: wp.array2d[wp.vec2],
        contact_angvel_in: wp.array2d[wp.vec3],
        cdof_in: wp.array2d[wp.spatial_vector],
        # Data out:
        contact_mask_out: wp.array2d[int],
        contact_force_out: wp.array2d[float],
        contact_frc_out: wp.array2d[wp.vec3],
        contact_trq_out: wp.array2d[wp.vec3],
    ):
        """The contact rows' forces f = D (aref - J qacc) [N] at qacc: the new active set (rows with f > 0, MuJoCo's
        primal Newton step) into contact_mask, each point's normal force (the sum of its rows' forces) into
        contact_force and its force vector [N, world] (sum of f u over its rows, MuJoCo's mj_contactForce) into
        contact_frc (``contact_point_update``); with spin_roll the torsional and rolling rows too: their force on the
        normal, their torque sum f_e w_e [N m, world] on the body (mj_contactForce's last three components) into
        contact_trq. Returns the number of points whose active set changed."""
        changed = int(0)
        g = int(0)
        while g < cgeom_type.shape[0]:
            body = cgeom_bodyid[g]
            npoints = geom_npoints(cgeom_type[g])
            idx = cgeom_pointadr[g]
            while idx < cgeom_pointadr[g] + npoints:
                acc = wp.vec3(0.0)
                dcoef = contact_dcoef_in[worldid, idx]
                if dcoef > 0.0:
                    acc = point_acc(worldid, body, idx, body_lastdof, dof_parentid, contact_jacp_in, qacc_in)
                old = contact_mask_out[worldid, idx]
                point_changed = contact_point_update(
                    worldid, idx, g, acc, cgeom_solref, cgeom_solimp, contact_dcoef_in, contact_fref_in,
                    contact_normal_in, contact_vel_in, contact_frame_in, contact_mu_in, contact_mask_out,
                    contact_force_out, contact_frc_out,
                )  # fmt: skip
                if wp.static(spin_roll):
                    nang = int(0)
                    if dcoef > 0.0 and contact_mu_in[worldid, idx] != 0.0:
                        nang = spin_roll_count(contact_mu_ang_in[worldid, idx])
                    trq = wp.vec3(0.0)
                    if nang > 0:
                        # the torsional and rolling rows (``contacts``): f_e = D (aref_e - n . acc - w_e . J_r qacc)
                        _k, b = reference_coefficients(cgeom_solref[g], cgeom_solimp[g][1])
                        n = contact_normal_in[worldid, idx]
                        an = wp.dot(acc, n)
                        alpha = body_angular_acc(worldid, body, body_lastdof, dof_parentid, cdof_in, qacc_in)
                        mask = contact_mask_out[worldid, idx]
                        fn = float(0.0)
                        e = int(4)
                        while e < 4 + nang:
                            _n, w, aref = spin_roll_row(
                                worldid, idx, e, b, contact_fref_in, contact_normal_in, contact_vel_in,
                                contact_frame_in, contact_mu_ang_in, contact_angvel_in,
                            )  # fmt: skip
                            f = dcoef * (aref - an - wp.dot(w, alpha))
                            if f > 0.0:
                                mask = mask | (1 << e)
                                fn += f
                                trq += f * w
                            e += 1
                        contact_mask_out[worldid, idx] = mask
                        contact_force_out[worldid, idx] = contact_force_out[worldid, idx] + fn
                        contact_frc_out[worldid, idx] = contact_frc_out[worldid, idx] + fn * n
                        point_changed = int(mask != old)
                    contact_trq_out[worldid, idx] = trq
                changed += point_changed
                idx += 1
            g += 1
        return changed

    return _warp_func(contacts, False, spin_roll), _warp_func(contact_update, False, spin_roll)


# condim 1 and 3 (every model without torsional or rolling friction), and with them
contacts, contact_update = _contact_row_funcs(False)
contacts_spin_roll, contact_update_spin_roll = _contact_row_funcs(True)


@wp.func
def _point_velocity(
    worldid: int,
    body: int,
    point: wp.vec3,
    # Model:
    body_rootid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    cvel_in: wp.array2d[wp.spatial_vector],
):
    """Velocity [m/s, world] of a world point moving with body."""
    v = cvel_in[worldid, body]
    return wp.spatial_bottom(v) + wp.cross(wp.spatial_top(v), point - xpos_in[worldid, body_rootid[body]])


@wp.func
def pair_npoints(type1: int, type2: int):
    """Contact slots of a geom pair (types ordered type1 <= type2, as the pair list keeps them): 8 for box-box (the
    corners of the overlap polygon of two faces), 2 for capsule-box and capsule-capsule (the end caps), 5 for a
    cylinder against a capsule, cylinder or box (the general convex collider's first point and multiccd's four), 1
    otherwise."""
    if type1 == GEOM_BOX:
        return 8
    if type1 == GEOM_CAPSULE and (type2 == GEOM_BOX or type2 == GEOM_CAPSULE):
        return 2
    if pair_is_convex(type1, type2) and type1 != GEOM_ELLIPSOID and type2 != GEOM_ELLIPSOID:
        return 5
    return 1


@wp.func
def pair_is_convex(type1: int, type2: int):
    """Whether MuJoCo collides geom types type1 <= type2 with its general convex collider (kernels.convex): an
    ellipsoid against any of sphere .. box, a cylinder against a capsule, cylinder or box."""
    if type1 == GEOM_ELLIPSOID or type2 == GEOM_ELLIPSOID:
        return True
    if type2 == GEOM_CYLINDER:
        return type1 == GEOM_CAPSULE or type1 == GEOM_CYLINDER
    return type1 == GEOM_CYLINDER and type2 == GEOM_BOX


@wp.func(inline=False)
def _pair_point(
    worldid: int,
    p: int,
    idx: int,
    dist: float,
    normal: wp.vec3,
    point: wp.vec3,
    # Model:
    cpair_geom1: wp.array[int],
    cpair_geom2: wp.array[int],
    cpair_margin: wp.array[float],
    cpair_friction: wp.array[float],
    cpair_friction_ang: wp.array[wp.vec2],
    cpair_solref: wp.array[wp.vec2],
    cpair_solimp: wp.array[vec5],
    cpair_invweight: wp.array[float],
    geom_bodyid: wp.array[int],
    contact_impratio: float,
    body_rootid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    cvel_in: wp.array2d[wp.spatial_vector],
    # Data out:
    pair_dcoef_out: wp.array2d[float],
    pair_aref_out: wp.array2d[wp.vec4],
    pair_point_out: wp.array2d[wp.vec3],
    pair_normal_out: wp.array2d[wp.vec3],
    pair_frame_out: wp.array2d[wp.vec3],
    pair_mu_out: wp.array2d[float],
    pair_mu_ang_out: wp.array2d[wp.vec2],
    pair_aref_rot_out: wp.array2d[wp.vec3],
):
    """Write slot idx of pair p: a point at signed distance dist [m] along the unit normal from geom 1 to geom 2,
    midway through the gap at point [m, world]; D of its rows (0 outside the margin) and each sliding row's aref = -b
    v_e - k d r [m/s^2] at the relative velocity v_e along ``pyramid_edge`` (fixed for the substep, so the solve loop
    reads one vec4 instead of the velocity and the pair's solref); for condim 4 / 6 the torsional and rolling
    friction and -b times the relative angular velocity (``pair_spin_roll_row``)."""
    r = dist - cpair_margin[p]
    pair_dcoef_out[worldid, idx] = 0.0
    if r < 0.0:
        mu = cpair_friction[p]
        mu_ang = cpair_friction_ang[p]
        condim = int(1)
        if mu > 0.0:
            condim = 3
            if mu_ang[0] > 0.0:
                condim = 4
                if mu_ang[1] > 0.0:
                    condim = 6
        kr, b, dcoef, rows = pyramid_coefficients(
            r, cpair_solref[p], cpair_solimp[p], cpair_invweight[p], condim, contact_impratio, mu
        )
        if rows == 1:
            mu = 0.0
        if rows <= 4:
            mu_ang = wp.vec2(0.0)
        body1 = geom_bodyid[cpair_geom1[p]]
        body2 = geom_bodyid[cpair_geom2[p]]
        # velocity of geom 2 relative to geom 1 at the point: the rows' J = J_2 - J_1
        vel = _point_velocity(worldid, body2, point, body_rootid, xpos_in, cvel_in) - _point_velocity(
            worldid, body1, point, body_rootid, xpos_in, cvel_in
        )
        t1 = contact_tangent(normal, wp.vec3(0.0))
        # the four edges by constant index (a run-time index would put the vec4 in local memory on the GPU)
        aref = wp.vec4(-b * wp.dot(vel, normal) - kr, 0.0, 0.0, 0.0)
        if rows >= 4:
            aref = wp.vec4(
                -b * wp.dot(vel, pyramid_edge(normal, t1, mu, 0)) - kr,
                -b * wp.dot(vel, pyramid_edge(normal, t1, mu, 1)) - kr,
                -b * wp.dot(vel, pyramid_edge(normal, t1, mu, 2)) - kr,
                -b * wp.dot(vel, pyramid_edge(normal, t1, mu, 3)) - kr,
            )
        pair_dcoef_out[worldid, idx] = dcoef
        pair_aref_out[worldid, idx] = aref
        pair_point_out[worldid, idx] = point
        pair_normal_out[worldid, idx] = normal
        pair_frame_out[worldid, idx] = t1
        pair_mu_out[worldid, idx] = mu
        pair_mu_ang_out[worldid, idx] = mu_ang
        omega = wp.spatial_top(cvel_in[worldid, body2]) - wp.spatial_top(cvel_in[worldid, body1])
        pair_aref_rot_out[worldid, idx] = -b * omega


@wp.func
def pair_collide(
    worldid: int,
    # Model:
    cpair_geom1: wp.array[int],
    cpair_geom2: wp.array[int],
    cpair_margin: wp.array[float],
    cpair_friction: wp.array[float],
    cpair_friction_ang: wp.array[wp.vec2],
    cpair_solref: wp.array[wp.vec2],
    cpair_solimp: wp.array[vec5],
    cpair_invweight: wp.array[float],
    cpair_pointadr: wp.array[int],
    cpair_bound: wp.array[float],
    geom_type: wp.array[int],
    geom_bodyid: wp.array[int],
    geom_pos: wp.array[wp.vec3],
    geom_quat: wp.array[wp.quat],
    geom_size: wp.array[wp.vec3],
    contact_impratio: float,
    body_rootid: wp.array[int],
    # Data in:
    xpos_in: wp.array2d[wp.vec3],
    xquat_in: wp.array2d[wp.quat],
    cvel_in: wp.array2d[wp.spatial_vector],
    # Data out:
    pair_dcoef_out: wp.array2d[float],
    pair_aref_out: wp.array2d[wp.vec4],
    pair_point_out: wp.array2d[wp.vec3],
    pair_normal_out: wp.array2d[wp.vec3],
    pair_frame_out: wp.array2d[wp.vec3],
    pair_mu_out: wp.array2d[float],
    pair_mu_ang_out: wp.array2d[wp.vec2],
    pair_aref_rot_out: wp.array2d[wp.vec3],
):
    """Every geom-geom contact point of one env (kernels.io's pair list) at the current positions, once per substep,
    into the pair_* slots as ``contact_collide`` does for the ground: sphere/capsule pairs one point at the closest
    points of their segments (parallel capsules up to two, MuJoCo's end-cap tests); sphere-box one (MuJoCo's
    mjc_SphereBox); capsule-box the ends of the segment's part over the box face it touches (its end caps or where it
    leaves the face), else its point nearest the box; box-box up to 8 (``box_box_point``). Normals point from geom 1
    to geom 2 [world], distances [m]."""
    for p in range(cpair_geom1.shape[0]):
        g1 = cpair_geom1[p]
        g2 = cpair_geom2[p]
        t1 = geom_type[g1]
        t2 = geom_type[g2]
        if pair_is_convex(t1, t2):
            continue  # kernels.convex.pair_collide_convex
        adr = cpair_pointadr[p]
        n = pair_npoints(t1, t2)
        for k in range(n):
            pair_dcoef_out[worldid, adr + k] = 0.0
        rot1 = xquat_in[worldid, geom_bodyid[g1]]
        rot2 = xquat_in[worldid, geom_bodyid[g2]]
        c1 = xpos_in[worldid, geom_bodyid[g1]] + wp.quat_rotate(rot1, geom_pos[g1])
        c2 = xpos_in[worldid, geom_bodyid[g2]] + wp.quat_rotate(rot2, geom_pos[g2])
        # MuJoCo's bounding-sphere test (rbound + margin) before the narrow phase: most pairs are far apart
        if wp.length(c2 - c1) > cpair_bound[p]:
            continue
        r1 = wp.quat_to_matrix(rot1 * geom_quat[g1])
        r2 = wp.quat_to_matrix(rot2 * geom_quat[g2])
        s1 = geom_size[g1]
        s2 = geom_size[g2]
        margin = cpair_margin[p]
        # a capsule's segment: its end-cap centers along its local z (a sphere's are its center)
        a0 = c1
        a1 = c1
        if t1 == GEOM_CAPSULE:
            half = s1[1] * wp.vec3(r1[0, 2], r1[1, 2], r1[2, 2])
            a0 = c1 + half
            a1 = c1 - half
        if t2 == GEOM_CYLINDER:
            # a sphere (geom 1) against a cylinder: MuJoCo's mjc_SphereCylinder
            d0, n0, q0 = sphere_cylinder(segment_nearest(a0, a1, c2, r2, s2, GEOM_CYLINDER, 32), s1[0], c2, r2, s2)
            _pair_point(
                worldid, p, adr, d0, n0, q0, cpair_geom1, cpair_geom2, cpair_margin, cpair_friction,
                cpair_friction_ang, cpair_solref, cpair_solimp, cpair_invweight, geom_bodyid, contact_impratio,
                body_rootid, xpos_in, cvel_in, pair_dcoef_out, pair_aref_out, pair_point_out, pair_normal_out,
                pair_frame_out, pair_mu_out, pair_mu_ang_out, pair_aref_rot_out,
            )  # fmt: skip
        elif t2 != GEOM_BOX:
            b0 = c2
            b1 = c2
            if t2 == GEOM_CAPSULE:
                half = s2[1] * wp.vec3(r2[0, 2], r2[1, 2], r2[2, 2])
                b0 = c2 + half
                b1 = c2 - half
            pa, pb = segment_segment(a0, a1, b0, b1)
            dist, normal, point = sphere_sphere(pa, s1[0], pb, s2[0])
            # parallel capsules: MuJoCo's mjraw_CapsuleCapsule for parallel axes, the first two of the end caps a0,
            # a1, b0, b1 (each against its nearest point on the other segment) within the margin, so a capsule lying
            # along another rests on two points; otherwise the one closest pair above
            candidates = int(1)
            if n == 2 and segments_parallel(a0, a1, b0, b1):
                candidates = 4
            slot = int(0)
            for k in range(candidates):
                if candidates == 4:
                    e = a0
                    if k == 1:
                        e = a1
                    elif k == 2:
                        e = b0
                    elif k == 3:
                        e = b1
                    if k < 2:
                        pa, pb = segment_segment(e, e, b0, b1)
                    else:
                        pb, pa = segment_segment(e, e, a0, a1)
                    dist, normal, point = sphere_sphere(pa, s1[0], pb, s2[0])
                if candidates == 1 or (dist <= margin and slot < 2):
                    _pair_point(
                        worldid, p, adr + slot, dist, normal, point, cpair_geom1, cpair_geom2, cpair_margin,
                        cpair_friction, cpair_friction_ang, cpair_solref, cpair_solimp, cpair_invweight, geom_bodyid,
                        contact_impratio, body_rootid, xpos_in, cvel_in, pair_dcoef_out, pair_aref_out,
                        pair_point_out, pair_normal_out, pair_frame_out, pair_mu_out, pair_mu_ang_out,
                        pair_aref_rot_out,
                    )  # fmt: skip
                    slot += 1
        elif t1 != GEOM_BOX:
            # the segment point nearest the box, then (a capsule) the part of the segment over the box face that the
            # contact normal leaves through, whose two ends are the points (a capsule lying on a face: two points at
            # its caps or where it leaves the face, as MuJoCo's mjc_CapsuleBox)
            d0, n0, q0 = sphere_box(segment_nearest(a0, a1, c2, r2, s2, GEOM_BOX, 32), s1[0], c2, r2, s2)
            d1 = margin
            n1 = n0
            q1 = q0
            if t1 == GEOM_CAPSULE:
                local = wp.transpose(r2) * n0
                face = int(0)
                if wp.abs(local[1]) > wp.abs(local[face]):
                    face = 1
                if wp.abs(local[2]) > wp.abs(local[face]):
                    face = 2
                over, e0, e1 = segment_box_clip(a0, a1, c2, r2, s2, face)
                # only where the nearest box point is on that face (the normal along the face's): at an edge or a
                # corner the one nearest point is the contact
                if over and wp.length(e1 - e0) > 1.0e-6 and wp.abs(local[face]) > 0.9999:
                    d0, n0, q0 = sphere_box(e0, s1[0], c2, r2, s2)
                    d1, n1, q1 = sphere_box(e1, s1[0], c2, r2, s2)
            _pair_point(
                worldid, p, adr, d0, n0, q0, cpair_geom1, cpair_geom2, cpair_margin, cpair_friction,
                cpair_friction_ang, cpair_solref, cpair_solimp, cpair_invweight, geom_bodyid, contact_impratio,
                body_rootid, xpos_in, cvel_in, pair_dcoef_out, pair_aref_out, pair_point_out, pair_normal_out,
                pair_frame_out, pair_mu_out, pair_mu_ang_out, pair_aref_rot_out,
            )  # fmt: skip
            if t1 == GEOM_CAPSULE:
                _pair_point(
                    worldid, p, adr + 1, d1, n1, q1, cpair_geom1, cpair_geom2, cpair_margin, cpair_friction,
                    cpair_friction_ang, cpair_solref, cpair_solimp, cpair_invweight, geom_bodyid, contact_impratio,
                    body_rootid, xpos_in, cvel_in, pair_dcoef_out, pair_aref_out, pair_point_out, pair_normal_out,
                    pair_frame_out, pair_mu_out, pair_mu_ang_out, pair_aref_rot_out,
                )  # fmt: skip
        else:
            pen, normal, kind = box_box_axis(c1, r1, s1, c2, r2, s2)
            if -pen < margin:
                slot = int(0)
                for k in range(16):
                    valid, dist, point = box_box_point(c1, r1, s1, c2, r2, s2, normal, kind, pen, k)
                    if valid and dist < margin and slot < 8:
                        _pair_point(
                            worldid, p, adr + slot, dist, normal, point, cpair_geom1, cpair_geom2, cpair_margin,
                            cpair_friction, cpair_friction_ang, cpair_solref, cpair_solimp, cpair_invweight,
                            geom_bodyid, contact_impratio, body_rootid, xpos_in, cvel_in, pair_dcoef_out,
                            pair_aref_out, pair_point_out, pair_normal_out, pair_frame_out, pair_mu_out,
                            pair_mu_ang_out, pair_aref_rot_out,
                        )  # fmt: skip
                        slot += 1


@wp.func(inline=False)
def _apply_pair_force(
    worldid: int,
    body1: int,
    body2: int,
    point: wp.vec3,
    direction: wp.vec3,
    angular: wp.vec3,
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
    """Add J^T force [N m or N] to qfrc and coef J J^T to the lower triangle of qM for the relative row J = J_2 - J_1
    (the velocity [m/s] of body 2's material point relative to body 1's along a unit world direction, plus body 2's
    angular velocity relative to body 1's along angular [m, world]: a torsional or rolling row); dense over the dofs,
    since the two chains may share dofs (one tree), where their parts cancel."""
    # J = J_2 - J_1 at the one point: row_jacobian's first body minus its second
    row_jacobian(
        worldid, body2, point, body1, point, direction, angular, -1, -1, 0.0, body_rootid, body_lastdof, dof_parentid,
        xpos_in, cdof_in, jac_out,
    )  # fmt: skip
    add_dense_row(worldid, force, coef, jac_out, qfrc_out, qM_out)


@wp.func
def pair_spin_roll_row(
    worldid: int,
    idx: int,
    e: int,
    # Data in:
    pair_aref_in: wp.array2d[wp.vec4],
    pair_normal_in: wp.array2d[wp.vec3],
    pair_frame_in: wp.array2d[wp.vec3],
    pair_mu_ang_in: wp.array2d[wp.vec2],
    pair_aref_rot_in: wp.array2d[wp.vec3],
):
    """Torsional or rolling row e (4..9) of geom-geom point idx (``spin_roll_row``'s twin): its normal n [world],
    angular part w [m, world] (``spin_roll_edge``; J_e = n^T (J_p2 - J_p1) + w^T (J_r2 - J_r1)) and aref = -b (n . v
    + w . omega) - k d r [m/s^2], v and omega geom 2's relative to geom 1's."""
    n = pair_normal_in[worldid, idx]
    w = spin_roll_edge(n, pair_frame_in[worldid, idx], pair_mu_ang_in[worldid, idx], e)
    aref = pair_aref_in[worldid, idx]
    # the sliding edges n +- mu t1 average to the normal's -b n . v - k d r
    return n, w, 0.5 * (aref[0] + aref[1]) + wp.dot(w, pair_aref_rot_in[worldid, idx])


def _pair_row_funcs(spin_roll: bool):
    """The geom-geom contact rows of the solve (``pair_rows``) and their active-set update (``pair_update``), with
    the torsional and rolling rows (condim 4 / 6) compiled in or out (``wp.static``), as ``_contact_row_funcs``."""

    def pair_rows(
        worldid: int,
        # Model:
        cpair_body1: wp.array[int],
        cpair_body2: wp.array[int],
        body_rootid: wp.array[int],
        body_lastdof: wp.array[int],
        dof_parentid: wp.array[int],
        # Data in:
        xpos_in: wp.array2d[wp.vec3],
        cdof_in: wp.array2d[wp.spatial_vector],
        pair_dcoef_in: wp.array2d[float],
        pair_aref_in: wp.array2d[wp.vec4],
        pair_point_in: wp.array2d[wp.vec3],
        pair_normal_in: wp.array2d[wp.vec3],
        pair_frame_in: wp.array2d[wp.vec3],
        pair_mu_in: wp.array2d[float],
        pair_mu_ang_in: wp.array2d[wp.vec2],
        pair_aref_rot_in: wp.array2d[wp.vec3],
        pair_mask_in: wp.array2d[int],
        # Data out:
        jac_out: wp.array2d[float],
        qfrc_out: wp.array2d[float],
        qM_out: wp.array3d[float],
    ):
        """The geom-geom contact rows (``pair_collide``) of the active set (pair_mask, ``pair_update``) into qfrc [N m,
        N] and qM, as ``contacts`` does for the ground rows: D aref J^T and D J^T J with J = J_2 - J_1, the pyramidal
        cone of the pair's mixed friction (condim 3; with spin_roll 4 and 6 too) or the normal alone (condim 1)."""
        for idx in range(cpair_body1.shape[0]):
            dcoef = pair_dcoef_in[worldid, idx]
            mask = pair_mask_in[worldid, idx]
            if dcoef > 0.0 and mask != 0:
                mu = pair_mu_in[worldid, idx]
                aref = pair_aref_in[worldid, idx]
                for e in range(4):
                    if (mask >> e) & 1:
                        u = pyramid_edge(pair_normal_in[worldid, idx], pair_frame_in[worldid, idx], mu, e)
                        _apply_pair_force(
                            worldid, cpair_body1[idx], cpair_body2[idx], pair_point_in[worldid, idx], u, wp.vec3(0.0),
                            dcoef * component4(aref, e), dcoef, body_rootid, body_lastdof, dof_parentid, xpos_in,
                            cdof_in, jac_out, qfrc_out, qM_out,
                        )  # fmt: skip
                if wp.static(spin_roll):
                    e = int(4)
                    while e < 4 + spin_roll_count(pair_mu_ang_in[worldid, idx]):
                        if (mask >> e) & 1:
                            n, w, aref_e = pair_spin_roll_row(
                                worldid, idx, e, pair_aref_in, pair_normal_in, pair_frame_in, pair_mu_ang_in,
                                pair_aref_rot_in,
                            )  # fmt: skip
                            _apply_pair_force(
                                worldid, cpair_body1[idx], cpair_body2[idx], pair_point_in[worldid, idx], n, w,
                                dcoef * aref_e, dcoef, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in,
                                jac_out, qfrc_out, qM_out,
                            )  # fmt: skip
                        e += 1

    def pair_update(
        worldid: int,
        # Model:
        cpair_body1: wp.array[int],
        cpair_body2: wp.array[int],
        body_rootid: wp.array[int],
        body_lastdof: wp.array[int],
        dof_parentid: wp.array[int],
        # Data in:
        xpos_in: wp.array2d[wp.vec3],
        cdof_in: wp.array2d[wp.spatial_vector],
        qacc_in: wp.array2d[float],
        pair_dcoef_in: wp.array2d[float],
        pair_aref_in: wp.array2d[wp.vec4],
        pair_point_in: wp.array2d[wp.vec3],
        pair_normal_in: wp.array2d[wp.vec3],
        pair_frame_in: wp.array2d[wp.vec3],
        pair_mu_in: wp.array2d[float],
        pair_mu_ang_in: wp.array2d[wp.vec2],
        pair_aref_rot_in: wp.array2d[wp.vec3],
        # Data out:
        pair_mask_out: wp.array2d[int],
        pair_force_out: wp.array2d[float],
        pair_frc_out: wp.array2d[wp.vec3],
        pair_trq_out: wp.array2d[wp.vec3],
    ):
        """The geom-geom rows' forces f = D (aref - J qacc) [N] at qacc, as ``contact_update``: the new active set
        into pair_mask, each point's normal force into pair_force and its force vector on geom 2 [N, world] (geom 1
        takes the opposite) into pair_frc; with spin_roll the torsional and rolling rows' force on the normal too and
        their torque on geom 2 [N m, world] into pair_trq. Returns the number of points whose active set changed."""
        changed = int(0)
        for idx in range(cpair_body1.shape[0]):
            dcoef = pair_dcoef_in[worldid, idx]
            if dcoef > 0.0:
                point = pair_point_in[worldid, idx]
                body1 = cpair_body1[idx]
                body2 = cpair_body2[idx]
                acc = _point_acc(
                    worldid, body2, point, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in, qacc_in
                ) - _point_acc(
                    worldid, body1, point, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in, qacc_in
                )  # fmt: skip
                mu = pair_mu_in[worldid, idx]
                aref = pair_aref_in[worldid, idx]
                rows = int(4)
                if mu == 0.0:
                    rows = 1
                mask = int(0)
                fn = float(0.0)
                frc = wp.vec3(0.0)
                for e in range(rows):
                    u = pyramid_edge(pair_normal_in[worldid, idx], pair_frame_in[worldid, idx], mu, e)
                    f = dcoef * (component4(aref, e) - wp.dot(acc, u))
                    if f > 0.0:
                        mask = mask | (1 << e)
                        fn += f
                        frc += f * u
                if wp.static(spin_roll):
                    nang = spin_roll_count(pair_mu_ang_in[worldid, idx])
                    trq = wp.vec3(0.0)
                    if nang > 0:
                        # f_e = D (aref_e - n . acc - w_e . (J_r2 - J_r1) qacc)
                        alpha = body_angular_acc(
                            worldid, body2, body_lastdof, dof_parentid, cdof_in, qacc_in
                        ) - body_angular_acc(worldid, body1, body_lastdof, dof_parentid, cdof_in, qacc_in)
                        e = int(4)
                        while e < 4 + nang:
                            n, w, aref_e = pair_spin_roll_row(
                                worldid, idx, e, pair_aref_in, pair_normal_in, pair_frame_in, pair_mu_ang_in,
                                pair_aref_rot_in,
                            )  # fmt: skip
                            f = dcoef * (aref_e - wp.dot(acc, n) - wp.dot(alpha, w))
                            if f > 0.0:
                                mask = mask | (1 << e)
                                fn += f
                                frc += f * n
                                trq += f * w
                            e += 1
                    pair_trq_out[worldid, idx] = trq
                if mask != pair_mask_out[worldid, idx]:
                    changed += 1
                pair_mask_out[worldid, idx] = mask
                pair_force_out[worldid, idx] = fn
                pair_frc_out[worldid, idx] = frc
            elif pair_mask_out[worldid, idx] != 0:
                # a point that left the margin; idle slots keep mask 0 and zero force, unwritten
                changed += 1
                pair_mask_out[worldid, idx] = 0
                pair_force_out[worldid, idx] = 0.0
                pair_frc_out[worldid, idx] = wp.vec3(0.0)
                if wp.static(spin_roll):
                    pair_trq_out[worldid, idx] = wp.vec3(0.0)
        return changed

    suffix = "_spin_roll" if spin_roll else ""
    pair_rows.__qualname__ = "pair_rows" + suffix
    pair_update.__qualname__ = "pair_update" + suffix
    return wp.func(inline=False)(pair_rows), wp.func(inline=False)(pair_update)


# condim 1 and 3 between geoms, and with condim 4 / 6
pair_rows, pair_update = _pair_row_funcs(False)
pair_rows_spin_roll, pair_update_spin_roll = _pair_row_funcs(True)


@wp.func
def limit_sides(
    worldid: int,
    j: int,
    mask: int,
    qacc_d: float,
    # Model:
    jnt_qposadr: wp.array[int],
    jnt_dofadr: wp.array[int],
    jnt_range: wp.array[wp.vec2],
    jnt_margin: wp.array[float],
    jnt_solref: wp.array[wp.vec2],
    jnt_solimp: wp.array[vec5],
    dof_invweight: wp.array[float],
    # Data in:
    qpos_in: wp.array2d[float],
    qvel_in: wp.array2d[float],
):
    """The soft limits of limited hinge or slide joint j (see ``joint_limits``): (sum of D [kg m^2 or kg] and of
    sign D aref [N m or N] over the sides whose bit is set in mask, the new active set at its dof's acceleration
    qacc_d [rad/s^2 or m/s^2]: the sides with f = D (aref - sign qacc_d) > 0)."""
    dsum = float(0.0)
    frc = float(0.0)
    new_mask = int(0)
    q = qpos_in[worldid, jnt_qposadr[j]]
    lim = jnt_range[j]
    margin = jnt_margin[j]
    # side 0: the lower limit (the force pushes q up, sign 1); side 1: the upper limit (sign -1)
    r_lower = (q - lim[0]) - margin
    r_upper = (lim[1] - q) - margin
    if r_lower < 0.0 or r_upper < 0.0:
        d = jnt_dofadr[j]
        solimp = jnt_solimp[j]
        k, b = reference_coefficients(jnt_solref[j], solimp[1])
        side = int(0)
        while side < 2:
            sign = float(1.0)
            r = r_lower
            if side == 1:
                sign = -1.0
                r = r_upper
            if r < 0.0:
                imp = impedance(solimp, r)
                aref = -b * sign * qvel_in[worldid, d] - k * imp * r
                if aref > sign * qacc_d:
                    new_mask = new_mask | (1 << side)
                if (mask >> side) & 1:
                    dcoef = imp / (1.0 - imp) / dof_invweight[d]
                    frc += sign * dcoef * aref
                    dsum += dcoef
            side += 1
    return dsum, frc, new_mask


@wp.func
def joint_limits(
    worldid: int,
    # Model:
    jnt_type: wp.array[int],
    jnt_qposadr: wp.array[int],
    jnt_dofadr: wp.array[int],
    jnt_limited: wp.array[int],
    jnt_range: wp.array[wp.vec2],
    jnt_margin: wp.array[float],
    jnt_solref: wp.array[wp.vec2],
    jnt_solimp: wp.array[vec5],
    dof_invweight: wp.array[float],
    # Data in:
    qpos_in: wp.array2d[float],
    qvel_in: wp.array2d[float],
    qacc_in: wp.array2d[float],
    update: int,
    # Data out:
    limit_mask_out: wp.array2d[int],
    qfrc_out: wp.array2d[float],
    qM_out: wp.array3d[float],
):
    """MuJoCo's soft joint limits [N m or N] of hinge and slide joints: the constraint f = D (aref - a) >= 0 of the
    contacts (kernels.contact) on the dof itself, D = d / (1 - d) / dof_invweight0, aref = -b v - k d r.

    update 0: each side whose bit is set in limit_mask (the active set) adds D aref to qfrc and D to the diagonal of
    qM. update 1: the new active set at qacc_in (sides with f > 0) into limit_mask; returns the number of joints
    whose active set changed.
    """
    # while loops and one test for both sides before the per-side work (in limit_sides): this runs 3 times per Newton
    # iteration over every joint, most of them inside their range (Warp's CPU range() loops cost more than these bodies)
    changed = int(0)
    j = int(0)
    while j < jnt_type.shape[0]:
        if jnt_limited[j] != 0 and jnt_type[j] != JNT_FREE:
            d = jnt_dofadr[j]
            mask = limit_mask_out[worldid, j]
            qacc_d = float(0.0)
            if update != 0:
                qacc_d = qacc_in[worldid, d]
            dsum, frc, new_mask = limit_sides(
                worldid, j, mask, qacc_d, jnt_qposadr, jnt_dofadr, jnt_range, jnt_margin, jnt_solref, jnt_solimp,
                dof_invweight, qpos_in, qvel_in,
            )  # fmt: skip
            if update != 0:
                if new_mask != mask:
                    changed += 1
                limit_mask_out[worldid, j] = new_mask
            elif dsum > 0.0:
                qfrc_out[worldid, d] = qfrc_out[worldid, d] + frc
                qM_out[worldid, d, d] = qM_out[worldid, d, d] + dsum
        j += 1
    return changed


@wp.func
def friction_row(
    worldid: int,
    d: int,
    state: int,
    qacc_d: float,
    step: bool,
    # Model:
    dof_invweight: wp.array[float],
    dof_frictionloss: wp.array[float],
    dof_solref: wp.array[wp.vec2],
    dof_solimp: wp.array[vec5],
    # Data in:
    qvel_in: wp.array2d[float],
):
    """MuJoCo's friction-loss row of dof d in state (0: quadratic, 1: saturated at +frictionloss, -1: at
    -frictionloss): (its D [kg m^2 or kg], 0 when saturated; its force [N m or N], D aref or +-frictionloss; its next
    state, from the force D (aref - qacc_d) at the dof's acceleration qacc_d [rad/s^2 or m/s^2]).

    aref = -b v has no position term and d is solimp's at zero violation (solreffriction, solimpfriction); the force
    is bounded by +-frictionloss, MuJoCo's Huber cost on the row. The next state is that force's (the warm start);
    with `step` (a Newton step) it moves one state toward it, from +f to -f through the quadratic state, where
    MuJoCo's line search would stop between them: a full step can cycle forever (two coupled dofs alternating +f and
    -f); 2,000 random states of a chain with three friction rows settle in <= 6 solves.
    """
    floss = dof_frictionloss[d]
    solimp = dof_solimp[d]
    _k, b = reference_coefficients(dof_solref[d], solimp[1])
    imp = impedance(solimp, 0.0)
    dcoef = imp / (1.0 - imp) / dof_invweight[d]
    aref = -b * qvel_in[worldid, d]
    trial = dcoef * (aref - qacc_d)
    target = int(0)
    if trial > floss:
        target = 1
    elif trial < -floss:
        target = -1
    if step and target != state:
        target = state + wp.where(target > state, 1, -1)
    if state != 0:
        return 0.0, float(state) * floss, target
    return dcoef, dcoef * aref, target


@wp.func
def friction_loss(
    worldid: int,
    # Model:
    dof_invweight: wp.array[float],
    dof_frictionloss: wp.array[float],
    dof_solref: wp.array[wp.vec2],
    dof_solimp: wp.array[vec5],
    # Data in:
    qvel_in: wp.array2d[float],
    qacc_in: wp.array2d[float],
    update: int,
    # Data out:
    friction_state_out: wp.array2d[int],
    qfrc_out: wp.array2d[float],
    qM_out: wp.array3d[float],
):
    """MuJoCo's dof friction loss [N m or N]: one row on each dof with frictionloss > 0 (``friction_row``).

    update 0: a row in its quadratic state adds D aref to qfrc and D to the diagonal of qM, a saturated one
    +-frictionloss to qfrc. update 1 (a Newton step) and 2 (the warm start): each row's next state at qacc_in
    (``friction_row``); returns the number of rows whose state changed.
    """
    changed = int(0)
    d = int(0)
    while d < dof_frictionloss.shape[0]:
        if dof_frictionloss[d] > 0.0:
            state = friction_state_out[worldid, d]
            qacc_d = float(0.0)
            if update != 0:
                qacc_d = qacc_in[worldid, d]
            dcoef, frc, new_state = friction_row(
                worldid, d, state, qacc_d, update == 1, dof_invweight, dof_frictionloss, dof_solref, dof_solimp,
                qvel_in,
            )  # fmt: skip
            if update == 0:
                qfrc_out[worldid, d] = qfrc_out[worldid, d] + frc
                qM_out[worldid, d, d] = qM_out[worldid, d, d] + dcoef
            else:
                if new_state != state:
                    changed += 1
                friction_state_out[worldid, d] = new_state
        d += 1
    return changed


# Newton iterations of the constraint solve that take the full step before the line search joins (the solve settles
# in 1-2 steps in most substeps; later steps are the ones that can cycle between active sets)
LINE_SEARCH_START = wp.constant(2)
# regula-falsi iterations on the line's slope (piecewise linear: a few suffice)
LINE_SEARCH_ITERATIONS = wp.constant(16)


@functools.cache
def line_search_func(friction: bool, pairs: bool, spin_roll: bool, equality: bool = False) -> wp.Function:
    """``line_search`` with the friction-loss rows, the geom-geom rows, the torsional / rolling rows and the equality
    rows compiled in or out (``wp.static``), as the solve that calls it."""

    def rows_slope(
        worldid: int,
        alpha: float,
        # Model:
        jnt_type: wp.array[int],
        jnt_qposadr: wp.array[int],
        jnt_dofadr: wp.array[int],
        jnt_limited: wp.array[int],
        jnt_range: wp.array[wp.vec2],
        jnt_margin: wp.array[float],
        jnt_solref: wp.array[wp.vec2],
        jnt_solimp: wp.array[vec5],
        dof_invweight: wp.array[float],
        dof_frictionloss: wp.array[float],
        dof_solref: wp.array[wp.vec2],
        dof_solimp: wp.array[vec5],
        cgeom_type: wp.array[int],
        cgeom_bodyid: wp.array[int],
        cgeom_solref: wp.array[wp.vec2],
        cgeom_solimp: wp.array[vec5],
        cgeom_pointadr: wp.array[int],
        cpair_body1: wp.array[int],
        cpair_body2: wp.array[int],
        body_rootid: wp.array[int],
        body_lastdof: wp.array[int],
        dof_parentid: wp.array[int],
        eq_type: wp.array[int],
        eq_obj1: wp.array[int],
        eq_obj2: wp.array[int],
        eq_anchor1: wp.array[wp.vec3],
        eq_anchor2: wp.array[wp.vec3],
        eq_relquat: wp.array[wp.quat],
        eq_torquescale: wp.array[float],
        eq_poly: wp.array[vec5],
        eq_solref: wp.array[wp.vec2],
        eq_solimp: wp.array[vec5],
        eq_invweight: wp.array[wp.vec2],
        qpos0: wp.array[float],
        gravity: wp.vec3,
        # Data in:
        qpos_in: wp.array2d[float],
        qvel_in: wp.array2d[float],
        xpos_in: wp.array2d[wp.vec3],
        xquat_in: wp.array2d[wp.quat],
        cdof_in: wp.array2d[wp.spatial_vector],
        cvel_in: wp.array2d[wp.spatial_vector],
        cacc_in: wp.array2d[wp.spatial_vector],
        contact_jacp_in: wp.array3d[wp.vec3],
        contact_dcoef_in: wp.array2d[float],
        contact_fref_in: wp.array2d[float],
        contact_normal_in: wp.array2d[wp.vec3],
        contact_vel_in: wp.array2d[wp.vec3],
        contact_frame_in: wp.array2d[wp.vec3],
        contact_mu_in: wp.array2d[float],
        contact_mu_ang_in: wp.array2d[wp.vec2],
        contact_angvel_in: wp.array2d[wp.vec3],
        pair_dcoef_in: wp.array2d[float],
        pair_aref_in: wp.array2d[wp.vec4],
        pair_point_in: wp.array2d[wp.vec3],
        pair_normal_in: wp.array2d[wp.vec3],
        pair_frame_in: wp.array2d[wp.vec3],
        pair_mu_in: wp.array2d[float],
        pair_mu_ang_in: wp.array2d[wp.vec2],
        pair_aref_rot_in: wp.array2d[wp.vec3],
        x0_in: wp.array2d[float],
        x1_in: wp.array2d[float],
    ) -> float:
        """-sum_i f_i(x) J_i d over every constraint row at x = x0 + alpha d, d = x1 - x0: the rows' part of the
        slope of MuJoCo's constraint cost along the line [N m or N times the step], each row's force f_i at x by its
        own law (a one-sided row max(0, D (aref - J x)), a friction-loss row clamped to +-frictionloss)."""
        slope = float(0.0)
        j = int(0)
        while j < jnt_type.shape[0]:
            if jnt_limited[j] != 0 and jnt_type[j] != JNT_FREE:
                dof = jnt_dofadr[j]
                q = x0_in[worldid, dof] + alpha * (x1_in[worldid, dof] - x0_in[worldid, dof])
                _ds, _fr, active = limit_sides(
                    worldid, j, 0, q, jnt_qposadr, jnt_dofadr, jnt_range, jnt_margin, jnt_solref, jnt_solimp,
                    dof_invweight, qpos_in, qvel_in,
                )  # fmt: skip
                dsum, frc, _m = limit_sides(
                    worldid, j, active, q, jnt_qposadr, jnt_dofadr, jnt_range, jnt_margin, jnt_solref, jnt_solimp,
                    dof_invweight, qpos_in, qvel_in,
                )  # fmt: skip
                # the sides' generalized force sum_s s D_s (aref_s - s q) = frc - dsum q
                slope -= (frc - dsum * q) * (x1_in[worldid, dof] - x0_in[worldid, dof])
            j += 1
        if wp.static(friction):
            d = int(0)
            while d < x0_in.shape[1]:
                if dof_frictionloss[d] > 0.0:
                    q = x0_in[worldid, d] + alpha * (x1_in[worldid, d] - x0_in[worldid, d])
                    fd, fa, _s = friction_row(
                        worldid, d, 0, q, False, dof_invweight, dof_frictionloss, dof_solref, dof_solimp, qvel_in
                    )  # fmt: skip
                    f = wp.clamp(fa - fd * q, -dof_frictionloss[d], dof_frictionloss[d])
                    slope -= f * (x1_in[worldid, d] - x0_in[worldid, d])
                d += 1
        g = int(0)
        while g < cgeom_type.shape[0]:
            body = cgeom_bodyid[g]
            npoints = geom_npoints(cgeom_type[g])
            idx = cgeom_pointadr[g]
            while idx < cgeom_pointadr[g] + npoints:
                dcoef = contact_dcoef_in[worldid, idx]
                if dcoef > 0.0:
                    _k, b = reference_coefficients(cgeom_solref[g], cgeom_solimp[g][1])
                    a0 = point_acc(worldid, body, idx, body_lastdof, dof_parentid, contact_jacp_in, x0_in)
                    ad = point_acc(worldid, body, idx, body_lastdof, dof_parentid, contact_jacp_in, x1_in) - a0
                    acc = a0 + alpha * ad
                    mu = contact_mu_in[worldid, idx]
                    rows = int(4)
                    if mu == 0.0:
                        rows = 1
                    e = int(0)
                    while e < rows:
                        u, aref = pyramid_row(
                            worldid, idx, e, b, mu, contact_fref_in, contact_normal_in, contact_vel_in,
                            contact_frame_in,
                        )  # fmt: skip
                        f = dcoef * (aref - wp.dot(u, acc))
                        if f > 0.0:
                            slope -= f * wp.dot(u, ad)
                        e += 1
                    if wp.static(spin_roll):
                        nang = int(0)
                        if rows == 4:
                            nang = spin_roll_count(contact_mu_ang_in[worldid, idx])
                        if nang > 0:
                            n = contact_normal_in[worldid, idx]
                            r0 = body_angular_acc(worldid, body, body_lastdof, dof_parentid, cdof_in, x0_in)
                            rd = body_angular_acc(worldid, body, body_lastdof, dof_parentid, cdof_in, x1_in) - r0
                            rot = r0 + alpha * rd
                            e = int(4)
                            while e < 4 + nang:
                                _n, w, aref = spin_roll_row(
                                    worldid, idx, e, b, contact_fref_in, contact_normal_in, contact_vel_in,
                                    contact_frame_in, contact_mu_ang_in, contact_angvel_in,
                                )  # fmt: skip
                                f = dcoef * (aref - wp.dot(n, acc) - wp.dot(w, rot))
                                if f > 0.0:
                                    slope -= f * (wp.dot(n, ad) + wp.dot(w, rd))
                                e += 1
                idx += 1
            g += 1
        if wp.static(pairs):
            p = int(0)
            while p < cpair_body1.shape[0]:
                dcoef = pair_dcoef_in[worldid, p]
                if dcoef > 0.0:
                    point = pair_point_in[worldid, p]
                    b1 = cpair_body1[p]
                    b2 = cpair_body2[p]
                    a0 = _point_acc(
                        worldid, b2, point, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in, x0_in
                    ) - _point_acc(worldid, b1, point, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in, x0_in)
                    a1 = _point_acc(
                        worldid, b2, point, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in, x1_in
                    ) - _point_acc(worldid, b1, point, body_rootid, body_lastdof, dof_parentid, xpos_in, cdof_in, x1_in)
                    ad = a1 - a0
                    acc = a0 + alpha * ad
                    mu = pair_mu_in[worldid, p]
                    rows = int(4)
                    if mu == 0.0:
                        rows = 1
                    e = int(0)
                    while e < rows:
                        u = pyramid_edge(pair_normal_in[worldid, p], pair_frame_in[worldid, p], mu, e)
                        f = dcoef * (component4(pair_aref_in[worldid, p], e) - wp.dot(u, acc))
                        if f > 0.0:
                            slope -= f * wp.dot(u, ad)
                        e += 1
                    if wp.static(spin_roll):
                        nang = spin_roll_count(pair_mu_ang_in[worldid, p])
                        if nang > 0:
                            r0 = body_angular_acc(
                                worldid, b2, body_lastdof, dof_parentid, cdof_in, x0_in
                            ) - body_angular_acc(worldid, b1, body_lastdof, dof_parentid, cdof_in, x0_in)
                            rd = (
                                body_angular_acc(worldid, b2, body_lastdof, dof_parentid, cdof_in, x1_in)
                                - body_angular_acc(worldid, b1, body_lastdof, dof_parentid, cdof_in, x1_in)
                                - r0
                            )
                            rot = r0 + alpha * rd
                            e = int(4)
                            while e < 4 + nang:
                                n, w, aref = pair_spin_roll_row(
                                    worldid, p, e, pair_aref_in, pair_normal_in, pair_frame_in, pair_mu_ang_in,
                                    pair_aref_rot_in,
                                )  # fmt: skip
                                f = dcoef * (aref - wp.dot(n, acc) - wp.dot(w, rot))
                                if f > 0.0:
                                    slope -= f * (wp.dot(n, ad) + wp.dot(w, rd))
                                e += 1
                p += 1
        if wp.static(equality):
            slope += equality_slope(
                worldid, alpha, eq_type, eq_obj1, eq_obj2, eq_anchor1, eq_anchor2, eq_relquat, eq_torquescale,
                eq_poly, eq_solref, eq_solimp, eq_invweight, jnt_qposadr, jnt_dofadr, qpos0, gravity, body_rootid,
                body_lastdof, dof_parentid, qpos_in, qvel_in, xpos_in, xquat_in, cdof_in, cvel_in, cacc_in, x0_in,
                x1_in,
            )  # fmt: skip
        return slope

    suffix = ("_friction" if friction else "") + ("_pairs" if pairs else "") + ("_spin_roll" if spin_roll else "")
    suffix += "_equality" if equality else ""
    rows_slope.__qualname__ = "rows_slope" + suffix
    rows_slope = wp.func(rows_slope)

    def line_search(
        worldid: int,
        hd: float,
        # Model:
        jnt_type: wp.array[int],
        jnt_qposadr: wp.array[int],
        jnt_dofadr: wp.array[int],
        jnt_limited: wp.array[int],
        jnt_range: wp.array[wp.vec2],
        jnt_margin: wp.array[float],
        jnt_solref: wp.array[wp.vec2],
        jnt_solimp: wp.array[vec5],
        dof_invweight: wp.array[float],
        dof_frictionloss: wp.array[float],
        dof_solref: wp.array[wp.vec2],
        dof_solimp: wp.array[vec5],
        cgeom_type: wp.array[int],
        cgeom_bodyid: wp.array[int],
        cgeom_solref: wp.array[wp.vec2],
        cgeom_solimp: wp.array[vec5],
        cgeom_pointadr: wp.array[int],
        cpair_body1: wp.array[int],
        cpair_body2: wp.array[int],
        body_rootid: wp.array[int],
        body_lastdof: wp.array[int],
        dof_parentid: wp.array[int],
        eq_type: wp.array[int],
        eq_obj1: wp.array[int],
        eq_obj2: wp.array[int],
        eq_anchor1: wp.array[wp.vec3],
        eq_anchor2: wp.array[wp.vec3],
        eq_relquat: wp.array[wp.quat],
        eq_torquescale: wp.array[float],
        eq_poly: wp.array[vec5],
        eq_solref: wp.array[wp.vec2],
        eq_solimp: wp.array[vec5],
        eq_invweight: wp.array[wp.vec2],
        qpos0: wp.array[float],
        gravity: wp.vec3,
        # Data in:
        qpos_in: wp.array2d[float],
        qvel_in: wp.array2d[float],
        xpos_in: wp.array2d[wp.vec3],
        xquat_in: wp.array2d[wp.quat],
        cdof_in: wp.array2d[wp.spatial_vector],
        cvel_in: wp.array2d[wp.spatial_vector],
        cacc_in: wp.array2d[wp.spatial_vector],
        qM_in: wp.array3d[float],
        implicit_b_in: wp.array2d[float],
        qfrc_smooth_in: wp.array2d[float],
        contact_jacp_in: wp.array3d[wp.vec3],
        contact_dcoef_in: wp.array2d[float],
        contact_fref_in: wp.array2d[float],
        contact_normal_in: wp.array2d[wp.vec3],
        contact_vel_in: wp.array2d[wp.vec3],
        contact_frame_in: wp.array2d[wp.vec3],
        contact_mu_in: wp.array2d[float],
        contact_mu_ang_in: wp.array2d[wp.vec2],
        contact_angvel_in: wp.array2d[wp.vec3],
        pair_dcoef_in: wp.array2d[float],
        pair_aref_in: wp.array2d[wp.vec4],
        pair_point_in: wp.array2d[wp.vec3],
        pair_normal_in: wp.array2d[wp.vec3],
        pair_frame_in: wp.array2d[wp.vec3],
        pair_mu_in: wp.array2d[float],
        pair_mu_ang_in: wp.array2d[wp.vec2],
        pair_aref_rot_in: wp.array2d[wp.vec3],
        x0_in: wp.array2d[float],
        x1_in: wp.array2d[float],
    ) -> float:
        """MuJoCo's exact line search on its constraint cost: the step alpha in (0, 1] from x0 toward the Newton
        target x1 at which the cost's slope along d = x1 - x0 vanishes, 1 when the slope is still <= 0 there (the full
        step) or x0 -> x1 is not a descent direction.

        The cost 1/2 x^T (M + h B) x - qfrc_smooth^T x + the rows' terms is convex with a piecewise-linear slope in
        alpha, d^T (M + h B) (x0 + alpha d) - d^T qfrc_smooth - sum_i f_i J_i d (``rows_slope``); its root is found by
        regula falsi (Illinois) on [0, 1]. Without it a full step can cycle between active sets and end at
        solver_iterations away from MuJoCo's solution.
        """
        nv = x0_in.shape[1]
        # A = d^T (M + h B) d and B0 = d^T ((M + h B) x0 - qfrc_smooth), M's lower triangle read symmetrically
        quad = float(0.0)
        lin = float(0.0)
        i = int(0)
        while i < nv:
            di = x1_in[worldid, i] - x0_in[worldid, i]
            mdi = float(0.0)
            mxi = float(0.0)
            j = int(0)
            while j < nv:
                mij = float(0.0)
                if j <= i:
                    mij = qM_in[worldid, i, j]
                else:
                    mij = qM_in[worldid, j, i]
                if j == i:
                    mij = mij - hd * implicit_b_in[worldid, i]
                mdi += mij * (x1_in[worldid, j] - x0_in[worldid, j])
                mxi += mij * x0_in[worldid, j]
                j += 1
            quad += di * mdi
            lin += di * (mxi - qfrc_smooth_in[worldid, i])
            i += 1
        lo = float(0.0)
        flo = lin + rows_slope(
            worldid, 0.0, jnt_type, jnt_qposadr, jnt_dofadr, jnt_limited, jnt_range, jnt_margin, jnt_solref, jnt_solimp,
            dof_invweight, dof_frictionloss, dof_solref, dof_solimp, cgeom_type, cgeom_bodyid, cgeom_solref,
            cgeom_solimp, cgeom_pointadr, cpair_body1, cpair_body2, body_rootid, body_lastdof, dof_parentid, eq_type,
            eq_obj1, eq_obj2, eq_anchor1, eq_anchor2, eq_relquat, eq_torquescale, eq_poly, eq_solref, eq_solimp,
            eq_invweight, qpos0, gravity, qpos_in, qvel_in, xpos_in, xquat_in, cdof_in, cvel_in, cacc_in,
            contact_jacp_in, contact_dcoef_in, contact_fref_in, contact_normal_in, contact_vel_in, contact_frame_in,
            contact_mu_in, contact_mu_ang_in, contact_angvel_in, pair_dcoef_in, pair_aref_in, pair_point_in,
            pair_normal_in, pair_frame_in, pair_mu_in, pair_mu_ang_in, pair_aref_rot_in, x0_in, x1_in,
        )  # fmt: skip
        hi = float(1.0)
        fhi = quad + lin + rows_slope(
            worldid, 1.0, jnt_type, jnt_qposadr, jnt_dofadr, jnt_limited, jnt_range, jnt_margin, jnt_solref, jnt_solimp,
            dof_invweight, dof_frictionloss, dof_solref, dof_solimp, cgeom_type, cgeom_bodyid, cgeom_solref,
            cgeom_solimp, cgeom_pointadr, cpair_body1, cpair_body2, body_rootid, body_lastdof, dof_parentid, eq_type,
            eq_obj1, eq_obj2, eq_anchor1, eq_anchor2, eq_relquat, eq_torquescale, eq_poly, eq_solref, eq_solimp,
            eq_invweight, qpos0, gravity, qpos_in, qvel_in, xpos_in, xquat_in, cdof_in, cvel_in, cacc_in,
            contact_jacp_in, contact_dcoef_in, contact_fref_in, contact_normal_in, contact_vel_in, contact_frame_in,
            contact_mu_in, contact_mu_ang_in, contact_angvel_in, pair_dcoef_in, pair_aref_in, pair_point_in,
            pair_normal_in, pair_frame_in, pair_mu_in, pair_mu_ang_in, pair_aref_rot_in, x0_in, x1_in,
        )  # fmt: skip
        if flo >= 0.0 or fhi <= 0.0:
            return 1.0
        alpha = float(1.0)
        side = int(0)
        k = int(0)
        while k < LINE_SEARCH_ITERATIONS:
            alpha = (lo * fhi - hi * flo) / (fhi - flo)
            f = quad * alpha + lin + rows_slope(
                worldid, alpha, jnt_type, jnt_qposadr, jnt_dofadr, jnt_limited, jnt_range, jnt_margin, jnt_solref,
                jnt_solimp, dof_invweight, dof_frictionloss, dof_solref, dof_solimp, cgeom_type, cgeom_bodyid,
                cgeom_solref, cgeom_solimp, cgeom_pointadr, cpair_body1, cpair_body2, body_rootid, body_lastdof,
                dof_parentid, eq_type, eq_obj1, eq_obj2, eq_anchor1, eq_anchor2, eq_relquat, eq_torquescale, eq_poly,
                eq_solref, eq_solimp, eq_invweight, qpos0, gravity, qpos_in, qvel_in, xpos_in, xquat_in, cdof_in,
                cvel_in, cacc_in, contact_jacp_in, contact_dcoef_in, contact_fref_in, contact_normal_in, contact_vel_in,
                contact_frame_in, contact_mu_in, contact_mu_ang_in, contact_angvel_in, pair_dcoef_in, pair_aref_in,
                pair_point_in, pair_normal_in, pair_frame_in, pair_mu_in, pair_mu_ang_in, pair_aref_rot_in, x0_in,
                x1_in,
            )  # fmt: skip
            if f > 0.0:
                hi = alpha
                fhi = f
                if side == 1:
                    flo = 0.5 * flo  # Illinois: the stale end's slope halved, so the bracket shrinks from both sides
                side = 1
            else:
                lo = alpha
                flo = f
                if side == -1:
                    fhi = 0.5 * fhi
                side = -1
            if wp.abs(f) <= 1.0e-6 * (wp.abs(quad) + wp.abs(lin)) or hi - lo < 1.0e-6:
                k = LINE_SEARCH_ITERATIONS
            k += 1
        return alpha

    line_search.__qualname__ = "line_search" + suffix
    # out of line: the split solve kernel is capped at 128 registers
    return wp.func(inline=False)(line_search)
