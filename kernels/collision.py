"""Contact points of one env per call (``@wp.func``), once per substep: every collision geom against the ground (the
model's plane or the height-field triangle under the point, ``kernels.terrain``) and the geom-geom pairs that MuJoCo
collides with its primitive functions, each point stored with the constants of its rows (D, k d r, the pyramid's
friction, the point Jacobian J_p) that every Newton iteration of the substep's solve reuses.

The pairwise distance functions and the contact law are in ``kernels.contact``, MuJoCo's general convex collider
(GJK, EPA, multiccd) in ``kernels.convex``, and the rows these points feed in ``kernels.constraint``.
"""

import warp as wp

from kernels.constraint import point_jacobian, variant_func
from kernels.contact import (
    box_box_axis,
    box_box_point,
    contact_tangent,
    plane_box,
    plane_cylinder,
    pyramid_coefficients,
    pyramid_edge,
    segment_box_clip,
    segment_nearest,
    segment_segment,
    segments_parallel,
    sphere_box,
    sphere_cylinder,
    sphere_sphere,
)
from kernels.terrain import hfield_plane, hfield_sphere
from kernels.types import GEOM_BOX, GEOM_CAPSULE, GEOM_CYLINDER, GEOM_ELLIPSOID, GEOM_SPHERE, vec5

wp.set_module_options({"enable_backward": False, "max_unroll": 1})


def _contact_funcs(cylinders: bool, spin_roll: bool = False):
    """The ground-contact functions (``_contact_point``, ``contact_collide``), with the cylinder's and ellipsoid's
    points compiled in or out (``wp.static``): on CUDA they cost the capped contact kernel spills (sm_90: 88/92 B
    without, 132/136 B with), so a model without cylinders or ellipsoids touching the ground takes the kernel without
    them. ``spin_roll``: the torsional and rolling friction and the body's angular velocity stored per point as well
    (condim 4 / 6)."""

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

    _contact_point = variant_func(_contact_point, cylinders, spin_roll)

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
        contact_pyramidal: int,
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
        torsional and rolling friction [m] (0 below condim 4 / 6) and the body's angular velocity [rad/s, world].
        contact_pyramidal 0 (MuJoCo's elliptic cone, kernels.elliptic): D is the normal row's."""
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
                    # the elliptic cone's rows (kernels.elliptic) take D of the normal, the frictionless row's: one
                    # call either way (a second one cost the CUDA contact kernel 28 B of spills)
                    kr, b, dcoef, _rows = pyramid_coefficients(
                        r, cgeom_solref[g], cgeom_solimp[g], cgeom_invweight[g], wp.where(contact_pyramidal == 0, 1,
                        condim), contact_impratio, mu,
                    )  # fmt: skip
                    rows = wp.where(condim > 1, 2 * (condim - 1), 1)
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

    return variant_func(contact_collide, cylinders, spin_roll)


# every geom type (the fused CPU kernel and the models with cylinders), and without the cylinder's points
contact_collide = _contact_funcs(True)
contact_collide_no_cylinders = _contact_funcs(False)
# with the torsional and rolling friction (models with condim 4 or 6 against the ground), every geom type
contact_collide_spin_roll = _contact_funcs(True, True)


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
    contact_pyramidal: int,
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
    friction and -b times the relative angular velocity (``pair_spin_roll_row``). contact_pyramidal 0 (MuJoCo's
    elliptic cone, kernels.elliptic): D of the normal row, and the vec4 holds the normal's aref and -b v along t1 and
    t2."""
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
        # the elliptic cone's rows (kernels.elliptic) take D of the normal, the frictionless row's (one call either way)
        kr, b, dcoef, _rows = pyramid_coefficients(
            r, cpair_solref[p], cpair_solimp[p], cpair_invweight[p], wp.where(contact_pyramidal == 0, 1, condim),
            contact_impratio, mu,
        )  # fmt: skip
        rows = wp.where(condim > 1, 2 * (condim - 1), 1)
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
        if rows >= 4 and contact_pyramidal == 0:
            # the elliptic cone's rows: the normal's, then -b v along t1 and t2 (friction rows have no position term)
            aref = wp.vec4(aref[0], -b * wp.dot(vel, t1), -b * wp.dot(vel, wp.cross(normal, t1)), 0.0)
        elif rows >= 4:
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
    contact_pyramidal: int,
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
                worldid, p, adr, d0, n0, q0, cpair_geom1, cpair_geom2, cpair_margin, cpair_friction, cpair_friction_ang,
                cpair_solref, cpair_solimp, cpair_invweight, geom_bodyid, contact_impratio, contact_pyramidal,
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
                        contact_impratio, contact_pyramidal, body_rootid, xpos_in, cvel_in, pair_dcoef_out,
                        pair_aref_out, pair_point_out, pair_normal_out, pair_frame_out, pair_mu_out, pair_mu_ang_out,
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
                worldid, p, adr, d0, n0, q0, cpair_geom1, cpair_geom2, cpair_margin, cpair_friction, cpair_friction_ang,
                cpair_solref, cpair_solimp, cpair_invweight, geom_bodyid, contact_impratio, contact_pyramidal,
                body_rootid, xpos_in, cvel_in, pair_dcoef_out, pair_aref_out, pair_point_out, pair_normal_out,
                pair_frame_out, pair_mu_out, pair_mu_ang_out, pair_aref_rot_out,
            )  # fmt: skip
            if t1 == GEOM_CAPSULE:
                _pair_point(
                    worldid, p, adr + 1, d1, n1, q1, cpair_geom1, cpair_geom2, cpair_margin, cpair_friction,
                    cpair_friction_ang, cpair_solref, cpair_solimp, cpair_invweight, geom_bodyid, contact_impratio,
                    contact_pyramidal, body_rootid, xpos_in, cvel_in, pair_dcoef_out, pair_aref_out, pair_point_out,
                    pair_normal_out, pair_frame_out, pair_mu_out, pair_mu_ang_out, pair_aref_rot_out,
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
                            geom_bodyid, contact_impratio, contact_pyramidal, body_rootid, xpos_in, cvel_in,
                            pair_dcoef_out, pair_aref_out, pair_point_out, pair_normal_out, pair_frame_out, pair_mu_out,
                            pair_mu_ang_out, pair_aref_rot_out,
                        )  # fmt: skip
                        slot += 1
