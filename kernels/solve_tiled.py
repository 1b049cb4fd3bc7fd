"""The split pipeline's constraint solve with one block of threads per env (``Simulator(pipeline="split_tiled")``).

``kernels.forward``'s solve kernel walks an env's whole active-set Newton loop in one thread: up to
``solver_iterations`` times H = M + sum D J^T J over the active rows, its tree-sparse factorization, the solve and
the new active set. Here a block of ``TILE_BLOCK_DIM`` threads shares that work (``wp.launch_tiled``): lane l holds
contact point l and joint l (points and joints beyond the block's width are taken in further chunks of the block),
builds its rows sqrt(D_e) J_e^T (one length-nv vector per pyramid edge; a joint limit's row is its one dof, so the
block adds the limits' D to H's diagonal with one block-wide sum), and the block forms H from them with
``wp.tile_matmul``, factors it with ``wp.tile_cholesky`` and solves with ``wp.tile_cholesky_solve``;
every lane then reads the solution to update its own points' and joints' active sets, and the block stops when no
lane saw a change. From the third Newton step each step ends at MuJoCo's exact line search toward the Newton target,
as the split solve's (``kernels.line_search``; full steps can cycle between active sets and stop at the cap off the
solution): each lane sums its own dofs' part of the quadratic term and its own joint limits', friction-loss rows'
and contact points' part of the slope, the block adds them (``wp.tile_sum``) at every regula-falsi step, and every
lane takes the same steps on those sums, so all move x by the same alpha. Implicit joint damping is one more tile
factor-solve; the Euler update runs on lane 0.

It computes what the stages "warm_start" and "solve" of ``kernels.forward._pipeline`` compute for a model without
geom pairs, in another summation order (dense Cholesky instead of the tree-sparse LDL^T, rows summed over lanes):
the same qacc, qpos, qvel, contact_mask, contact_force, contact_frc and limit_mask to float32 rounding, and the
constraint solve's qacc in qacc_prev, as ``implicit_damping`` leaves it. qH (scratch, rebuilt before every read) is not
written.

Tile shapes are compile-time constants: one kernel per number of dofs nv (``solve_kernel``). On a CPU a tiled launch
runs its block as one lane unless ``wp.config.enable_cpu_blocks`` is set (Warp 1.19); the kernel is written for any
block width, so both give the same numbers to rounding.
"""

import functools

import warp as wp

from kernels.constraint import contact_point_update, friction_row, limit_sides, pyramid_row
from kernels.contact import geom_npoints, reference_coefficients
from kernels.forward import OPTIONS, euler
from kernels.line_search import LINE_SEARCH_ITERATIONS, LINE_SEARCH_START, illinois_step
from kernels.types import JNT_FREE, vec5

wp.set_module_options(OPTIONS)

# threads per block of the tiled solve on CUDA: one warp, a lane for each of an Ant's 25 contact points and 9 joints
# (ANYmal: 4 and 13) in one chunk
TILE_BLOCK_DIM = 32


@wp.func
def point_geom(p: int, cgeom_type: wp.array[int], cgeom_pointadr: wp.array[int]) -> int:
    """Index of the ground-contact geom (``Model.cgeom_*``) whose contact points include slot p, -1 for none."""
    g = int(0)
    while g < cgeom_type.shape[0]:
        start = cgeom_pointadr[g]
        if p >= start and p < start + geom_npoints(cgeom_type[g]):
            return g
        g += 1
    return -1


@wp.func
def edge_row(
    worldid: int,
    p: int,
    g: int,
    e: int,
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
    contact_mask_in: wp.array2d[int],
):
    """Row e of contact point p (geom g) if it is in the active set: (True, its direction u = n +- mu t [world], D
    [kg], D aref [N]) as ``kernels.constraint.contacts`` adds it (``pyramid_row``); else (False, 0, 0, 0)."""
    dcoef = contact_dcoef_in[worldid, p]
    mask = contact_mask_in[worldid, p]
    mu = contact_mu_in[worldid, p]
    rows = int(4)
    if mu == 0.0:
        rows = 1
    if dcoef > 0.0 and e < rows and ((mask >> e) & 1) != 0:
        _k, b = reference_coefficients(cgeom_solref[g], cgeom_solimp[g][1])
        u, aref = pyramid_row(
            worldid, p, e, b, mu, contact_fref_in, contact_normal_in, contact_vel_in, contact_frame_in
        )  # fmt: skip
        return True, u, dcoef, dcoef * aref
    return False, wp.vec3(0.0), 0.0, 0.0


@wp.func
def limit_terms(
    worldid: int,
    j: int,
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
    limit_mask_in: wp.array2d[int],
    qacc_d: float,
):
    """Joint j's soft limits (``kernels.constraint.limit_sides``): (dof, sum of D [kg m^2 or kg] and sum of sign D
    aref [N m or N] over the sides in limit_mask, the new active set at qacc_d [rad/s^2 or m/s^2] of the dof); dof -1
    for a joint without limits."""
    dof = int(-1)
    dsum = float(0.0)
    frc = float(0.0)
    new_mask = int(0)
    if jnt_limited[j] != 0 and jnt_type[j] != JNT_FREE:
        dof = jnt_dofadr[j]
        dsum, frc, new_mask = limit_sides(
            worldid, j, limit_mask_in[worldid, j], qacc_d, jnt_qposadr, jnt_dofadr, jnt_range, jnt_margin,
            jnt_solref, jnt_solimp, dof_invweight, qpos_in, qvel_in,
        )  # fmt: skip
    return dof, dsum, frc, new_mask


@wp.func
def towards(x0: float, x1: float, alpha: float) -> float:
    """x0 + alpha (x1 - x0): the point at step alpha from x0 toward x1, as the split solve moves its qacc."""
    return x0 + alpha * (x1 - x0)


@wp.func
def limit_slope(
    worldid: int,
    j: int,
    q: float,
    dq: float,
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
) -> float:
    """Joint j's soft limits' term of the line search's slope, -f(q) dq [N m or N times the step], f the sides' force
    at its dof's acceleration q [rad/s^2 or m/s^2], dq the step's part on that dof (``kernels.line_search``'s
    rows_slope); 0 for a joint without limits."""
    if jnt_limited[j] == 0 or jnt_type[j] == JNT_FREE:
        return 0.0
    _ds, _fr, active = limit_sides(
        worldid, j, 0, q, jnt_qposadr, jnt_dofadr, jnt_range, jnt_margin, jnt_solref, jnt_solimp, dof_invweight,
        qpos_in, qvel_in,
    )  # fmt: skip
    dsum, frc, _m = limit_sides(
        worldid, j, active, q, jnt_qposadr, jnt_dofadr, jnt_range, jnt_margin, jnt_solref, jnt_solimp, dof_invweight,
        qpos_in, qvel_in,
    )  # fmt: skip
    # the sides' generalized force sum_s s D_s (aref_s - s q) = frc - dsum q
    return -(frc - dsum * q) * dq


@wp.func
def point_slope(
    worldid: int,
    p: int,
    g: int,
    acc: wp.vec3,
    dacc: wp.vec3,
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
) -> float:
    """Contact point p's (geom g) pyramid rows' term of the line search's slope, -sum_e max(0, D (aref_e - u_e.acc))
    u_e.dacc [N m/s^2 times the step], acc [m/s^2, world] its J_p qacc at the point of the line, dacc J_p of the step
    (``kernels.line_search``'s rows_slope: every row by its one-sided law, whatever the active set)."""
    dcoef = contact_dcoef_in[worldid, p]
    slope = float(0.0)
    if dcoef > 0.0:
        _k, b = reference_coefficients(cgeom_solref[g], cgeom_solimp[g][1])
        mu = contact_mu_in[worldid, p]
        rows = int(4)
        if mu == 0.0:
            rows = 1
        e = int(0)
        while e < rows:
            u, aref = pyramid_row(
                worldid, p, e, b, mu, contact_fref_in, contact_normal_in, contact_vel_in, contact_frame_in
            )  # fmt: skip
            f = dcoef * (aref - wp.dot(u, acc))
            if f > 0.0:
                slope -= f * wp.dot(u, dacc)
            e += 1
    return slope


@functools.cache
def solve_kernel(nv: int, friction: bool = False) -> wp.Kernel:
    """The tiled warm start, Newton loop (line search included), implicit damping and Euler update for models of nv
    dofs without geom pairs (launch with ``wp.launch_tiled(..., block_dim=TILE_BLOCK_DIM)``; arguments bound by name,
    ``launch_inputs``); ``friction`` compiles in the dof friction-loss rows (``kernels.constraint.friction_loss``),
    lane l holding dof l."""
    vecnv = wp.types.vector(length=nv, dtype=float)

    @wp.func
    def row_walk(
        worldid: int,
        p: int,
        body: int,
        u: wp.vec3,
        s: float,
        da: float,
        r: vecnv,
        g: vecnv,
        body_lastdof: wp.array[int],
        dof_parentid: wp.array[int],
        contact_jacp_in: wp.array3d[wp.vec3],
    ):
        # the row sqrt(D) u^T J_p into r and D aref J_p^T u into g, over the body's dof chain (zero elsewhere)
        d = body_lastdof[body]
        while d >= 0:
            jd = wp.dot(u, contact_jacp_in[worldid, p, d])
            r[d] = s * jd
            g[d] = g[d] + da * jd
            d = dof_parentid[d]
        return r, g

    @wp.func
    def tile_point_acc(
        worldid: int,
        p: int,
        body: int,
        x: wp.tile[float, nv],
        body_lastdof: wp.array[int],
        dof_parentid: wp.array[int],
        contact_jacp_in: wp.array3d[wp.vec3],
    ) -> wp.vec3:
        """J_p x [m/s^2, world] of contact point p on body for the dof accelerations x held in the block's tile
        (``kernels.constraint.point_acc``, the same walk)."""
        acc = wp.vec3(0.0)
        d = body_lastdof[body]
        while d >= 0:
            acc += contact_jacp_in[worldid, p, d] * x[d]
            d = dof_parentid[d]
        return acc

    @wp.func
    def lane_slope(
        worldid: int,
        lane: int,
        width: int,
        nchunk: int,
        alpha: float,
        x0: wp.tile[float, nv],
        x1: wp.tile[float, nv],
        # Model:
        body_lastdof: wp.array[int],
        jnt_type: wp.array[int],
        jnt_qposadr: wp.array[int],
        jnt_dofadr: wp.array[int],
        jnt_limited: wp.array[int],
        jnt_range: wp.array[wp.vec2],
        jnt_margin: wp.array[float],
        jnt_solref: wp.array[wp.vec2],
        jnt_solimp: wp.array[vec5],
        dof_parentid: wp.array[int],
        dof_invweight: wp.array[float],
        dof_frictionloss: wp.array[float],
        dof_solref: wp.array[wp.vec2],
        dof_solimp: wp.array[vec5],
        cgeom_type: wp.array[int],
        cgeom_bodyid: wp.array[int],
        cgeom_solref: wp.array[wp.vec2],
        cgeom_solimp: wp.array[vec5],
        cgeom_pointadr: wp.array[int],
        # Data in:
        qpos_in: wp.array2d[float],
        qvel_in: wp.array2d[float],
        contact_jacp_in: wp.array3d[wp.vec3],
        contact_dcoef_in: wp.array2d[float],
        contact_fref_in: wp.array2d[float],
        contact_normal_in: wp.array2d[wp.vec3],
        contact_vel_in: wp.array2d[wp.vec3],
        contact_frame_in: wp.array2d[wp.vec3],
        contact_mu_in: wp.array2d[float],
    ) -> float:
        """This lane's rows' part of the constraint cost's slope at x0 + alpha (x1 - x0) along x1 - x0 (its slots'
        joint limits, friction-loss rows and contact points; ``kernels.line_search``'s rows_slope summed over the
        block gives the whole)."""
        slope = float(0.0)
        c = int(0)
        while c < nchunk:
            slot = c * width + lane
            if slot < jnt_type.shape[0]:
                dof = jnt_dofadr[slot]
                if dof >= 0:
                    dq = x1[dof] - x0[dof]
                    slope += limit_slope(
                        worldid, slot, x0[dof] + alpha * dq, dq, jnt_type, jnt_qposadr, jnt_dofadr, jnt_limited,
                        jnt_range, jnt_margin, jnt_solref, jnt_solimp, dof_invweight, qpos_in, qvel_in,
                    )  # fmt: skip
            if wp.static(friction):
                # MuJoCo's Huber cost: the row's force clamped to +-frictionloss at any point of the line
                if slot < nv:
                    if dof_frictionloss[slot] > 0.0:
                        dq = x1[slot] - x0[slot]
                        q = x0[slot] + alpha * dq
                        fd, fa, _s = friction_row(
                            worldid, slot, 0, q, False, dof_invweight, dof_frictionloss, dof_solref, dof_solimp,
                            qvel_in,
                        )  # fmt: skip
                        f = wp.clamp(fa - fd * q, -dof_frictionloss[slot], dof_frictionloss[slot])
                        slope -= f * dq
            if slot < contact_dcoef_in.shape[1]:
                geom = point_geom(slot, cgeom_type, cgeom_pointadr)
                if geom >= 0:
                    if contact_dcoef_in[worldid, slot] > 0.0:
                        body = cgeom_bodyid[geom]
                        a0 = tile_point_acc(worldid, slot, body, x0, body_lastdof, dof_parentid, contact_jacp_in)
                        ad = tile_point_acc(worldid, slot, body, x1, body_lastdof, dof_parentid, contact_jacp_in) - a0
                        slope += point_slope(
                            worldid, slot, geom, a0 + alpha * ad, ad, cgeom_solref, cgeom_solimp, contact_dcoef_in,
                            contact_fref_in, contact_normal_in, contact_vel_in, contact_frame_in, contact_mu_in,
                        )  # fmt: skip
            c += 1
        return slope

    @wp.func
    def line_search(
        worldid: int,
        lane: int,
        width: int,
        nchunk: int,
        hd: float,
        x0: wp.tile[float, nv],
        x1: wp.tile[float, nv],
        # Model:
        body_lastdof: wp.array[int],
        jnt_type: wp.array[int],
        jnt_qposadr: wp.array[int],
        jnt_dofadr: wp.array[int],
        jnt_limited: wp.array[int],
        jnt_range: wp.array[wp.vec2],
        jnt_margin: wp.array[float],
        jnt_solref: wp.array[wp.vec2],
        jnt_solimp: wp.array[vec5],
        dof_parentid: wp.array[int],
        dof_invweight: wp.array[float],
        dof_frictionloss: wp.array[float],
        dof_solref: wp.array[wp.vec2],
        dof_solimp: wp.array[vec5],
        cgeom_type: wp.array[int],
        cgeom_bodyid: wp.array[int],
        cgeom_solref: wp.array[wp.vec2],
        cgeom_solimp: wp.array[vec5],
        cgeom_pointadr: wp.array[int],
        # Data in:
        qpos_in: wp.array2d[float],
        qvel_in: wp.array2d[float],
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
    ) -> float:
        """``kernels.line_search``'s exact line search by the block: the step alpha in (0, 1] from x0 toward the
        Newton target x1 where the constraint cost's slope along x1 - x0 vanishes (1: the full step), every lane
        summing its own dofs' and rows' terms and every lane taking the same regula-falsi steps on the block's
        sums (so all return the same alpha)."""
        # A = d^T (M - h B) d and B0 = d^T ((M - h B) x0 - qfrc_smooth), d = x1 - x0, lane l taking rows l, l + width,
        # ... of M (its lower triangle read symmetrically, as the split solve's)
        quad = float(0.0)
        lin = float(0.0)
        i = lane
        while i < nv:
            di = x1[i] - x0[i]
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
                mdi += mij * (x1[j] - x0[j])
                mxi += mij * x0[j]
                j += 1
            quad += di * mdi
            lin += di * (mxi - qfrc_smooth_in[worldid, i])
            i += width
        quad_sum = wp.tile_sum(wp.tile(quad))
        lin_sum = wp.tile_sum(wp.tile(lin))
        quad = quad_sum[0]
        lin = lin_sum[0]
        # one call site of lane_slope: k = -2 takes the slope at 0, k = -1 at 1, then regula falsi (Illinois) on
        # [lo, hi]; the slope is quad alpha + lin + the rows' sum, as kernels.line_search's
        lo = float(0.0)
        hi = float(1.0)
        flo = float(0.0)
        fhi = float(0.0)
        alpha = float(0.0)  # where the next slope is taken
        result = float(1.0)
        side = int(0)
        k = int(-2)
        while k < LINE_SEARCH_ITERATIONS:
            rows = wp.tile_sum(wp.tile(lane_slope(
                worldid, lane, width, nchunk, alpha, x0, x1, body_lastdof, jnt_type, jnt_qposadr, jnt_dofadr,
                jnt_limited, jnt_range, jnt_margin, jnt_solref, jnt_solimp, dof_parentid, dof_invweight,
                dof_frictionloss, dof_solref, dof_solimp, cgeom_type, cgeom_bodyid, cgeom_solref, cgeom_solimp,
                cgeom_pointadr, qpos_in, qvel_in, contact_jacp_in, contact_dcoef_in, contact_fref_in,
                contact_normal_in, contact_vel_in, contact_frame_in, contact_mu_in,
            )))  # fmt: skip
            f = quad * alpha + lin + rows[0]
            if k == -2:
                flo = f
                alpha = 1.0
            elif k == -1:
                fhi = f
                if flo >= 0.0 or fhi <= 0.0:
                    # not a descent direction, or the slope still <= 0 at the target: the full step
                    k = LINE_SEARCH_ITERATIONS
            else:
                result = alpha
                lo, hi, flo, fhi, side = illinois_step(alpha, f, lo, hi, flo, fhi, side)
                if wp.abs(f) <= 1.0e-6 * (wp.abs(quad) + wp.abs(lin)) or hi - lo < 1.0e-6:
                    k = LINE_SEARCH_ITERATIONS
            if k >= -1 and k < LINE_SEARCH_ITERATIONS:
                alpha = (lo * fhi - hi * flo) / (fhi - flo)
            k += 1
        return result

    def solve(
        # Model:
        body_lastdof: wp.array[int],
        jnt_type: wp.array[int],
        jnt_qposadr: wp.array[int],
        jnt_dofadr: wp.array[int],
        jnt_limited: wp.array[int],
        jnt_range: wp.array[wp.vec2],
        jnt_margin: wp.array[float],
        jnt_solref: wp.array[wp.vec2],
        jnt_solimp: wp.array[vec5],
        dof_parentid: wp.array[int],
        dof_invweight: wp.array[float],
        dof_frictionloss: wp.array[float],
        dof_solref: wp.array[wp.vec2],
        dof_solimp: wp.array[vec5],
        cgeom_type: wp.array[int],
        cgeom_bodyid: wp.array[int],
        cgeom_solref: wp.array[wp.vec2],
        cgeom_solimp: wp.array[vec5],
        cgeom_pointadr: wp.array[int],
        timestep: float,
        substeps: int,
        eulerdamp: int,
        solver_iterations: int,
        # Data in:
        qpos_in: wp.array2d[float],
        qvel_in: wp.array2d[float],
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
        # Data out:
        contact_mask_out: wp.array2d[int],
        contact_force_out: wp.array2d[float],
        contact_frc_out: wp.array2d[wp.vec3],
        limit_mask_out: wp.array2d[int],
        friction_state_out: wp.array2d[int],
        qacc_out: wp.array2d[float],
        qacc_prev_out: wp.array2d[float],
        qpos_out: wp.array2d[float],
        qvel_out: wp.array2d[float],
    ):
        worldid, lane = wp.tid()
        width = wp.block_dim()
        h = timestep / float(substeps)
        # lane l holds slot c * width + l of chunk c, for the contact points and the joints alike
        nslot = wp.max(contact_dcoef_in.shape[1], jnt_type.shape[0])
        if wp.static(friction):
            nslot = wp.max(nslot, nv)
        nchunk = (nslot + width - 1) // width

        # h B (implicit_b, on qM's diagonal: smooth_force); the rows are solved with M alone, as MuJoCo's
        hb = wp.tile_load(implicit_b_in[worldid], shape=nv, storage="shared")
        # h B with the implicit damping's step: h, or 0 under <flag eulerdamp="disable"> (damping explicit)
        hd = h
        if eulerdamp == 0:
            hd = 0.0
        hb = wp.tile_map(wp.mul, wp.tile_full(shape=nv, value=hd, dtype=float), hb)
        m = wp.tile_load(qM_in[worldid], shape=(nv, nv), storage="shared")
        neg_hb = wp.tile_map(wp.neg, hb)
        qfrc = wp.tile_load(qfrc_smooth_in[worldid], shape=nv, storage="shared")
        # the last substep's qacc: the warm start's active set is the one at it
        x = wp.tile_load(qacc_out[worldid], shape=nv, storage="shared")

        # the iterate before a Newton step that ends at the line search (x0 of kernels.line_search)
        x0 = wp.tile_zeros(shape=nv, dtype=float, storage="shared")

        iteration = int(-1)
        while iteration < solver_iterations:
            alpha = float(1.0)
            if iteration >= 0:
                # from the third Newton step the split solve stops at the exact line search toward the Newton target
                # (full steps can cycle between active sets): keep the iterate the line starts from
                searching = iteration >= LINE_SEARCH_START
                if searching:
                    wp.tile_assign(x0, x)
                # one Newton step with the active set fixed (kernels.forward._pipeline's solve stage)
                # the limit rows are single dofs: D on the diagonal (one block-wide sum, no matmul)
                g = vecnv()
                ld = vecnv()
                c = int(0)
                while c < nchunk:
                    slot = c * width + lane
                    if slot < jnt_type.shape[0]:
                        dof, dsum, frc, _new = limit_terms(
                            worldid, slot, jnt_type, jnt_qposadr, jnt_dofadr, jnt_limited, jnt_range, jnt_margin,
                            jnt_solref, jnt_solimp, dof_invweight, qpos_in, qvel_in, limit_mask_out, 0.0,
                        )  # fmt: skip
                        if dof >= 0 and dsum > 0.0:
                            ld[dof] = ld[dof] + dsum
                            g[dof] = g[dof] + frc
                    if wp.static(friction):
                        # a friction row is a single dof as well: D on the diagonal (quadratic state) or +-f
                        if slot < nv:
                            if dof_frictionloss[slot] > 0.0:
                                fd, ff, _next = friction_row(
                                    worldid, slot, friction_state_out[worldid, slot], 0.0, False, dof_invweight,
                                    dof_frictionloss, dof_solref, dof_solimp, qvel_in,
                                )  # fmt: skip
                                ld[slot] = ld[slot] + fd
                                g[slot] = g[slot] + ff
                    c += 1
                # a fresh M every step (the products accumulate into it); only its lower triangle is read
                hmat = wp.tile_diag_add(m, wp.tile_map(wp.add, neg_hb, wp.tile_sum(wp.tile(ld), axis=1)))
                c = int(0)
                while c < nchunk:
                    slot = c * width + lane
                    geom = int(-1)
                    body = int(0)
                    if slot < contact_dcoef_in.shape[1]:
                        geom = point_geom(slot, cgeom_type, cgeom_pointadr)
                    if geom >= 0:
                        body = cgeom_bodyid[geom]
                    e = int(0)
                    while e < 4:
                        r = vecnv()
                        if geom >= 0:
                            active, u, dcoef, da = edge_row(
                                worldid, slot, geom, e, cgeom_solref, cgeom_solimp, contact_dcoef_in,
                                contact_fref_in, contact_normal_in, contact_vel_in, contact_frame_in, contact_mu_in,
                                contact_mask_out,
                            )  # fmt: skip
                            if active:
                                r, g = row_walk(
                                    worldid, slot, body, u, wp.sqrt(dcoef), da, r, g, body_lastdof, dof_parentid,
                                    contact_jacp_in,
                                )  # fmt: skip
                        rt = wp.tile(r)
                        wp.tile_matmul(rt, wp.tile_transpose(rt), hmat)
                        e += 1
                    c += 1
                # factor and solve in place: no copies of H and x in shared memory (and fewer registers on sm_90)
                wp.tile_assign(x, wp.tile_map(wp.add, qfrc, wp.tile_sum(wp.tile(g), axis=1)))
                wp.tile_cholesky_inplace(hmat)
                wp.tile_cholesky_solve_inplace(hmat, x)
                if searching:
                    # every lane gets the same alpha (the block's sums), so the branch is uniform over the block
                    alpha = line_search(
                        worldid, lane, width, nchunk, hd, x0, x, body_lastdof, jnt_type, jnt_qposadr, jnt_dofadr,
                        jnt_limited, jnt_range, jnt_margin, jnt_solref, jnt_solimp, dof_parentid, dof_invweight,
                        dof_frictionloss, dof_solref, dof_solimp, cgeom_type, cgeom_bodyid, cgeom_solref, cgeom_solimp,
                        cgeom_pointadr, qpos_in, qvel_in, qM_in, implicit_b_in, qfrc_smooth_in, contact_jacp_in,
                        contact_dcoef_in, contact_fref_in, contact_normal_in, contact_vel_in, contact_frame_in,
                        contact_mu_in,
                    )  # fmt: skip
                    if alpha < 1.0:
                        wp.tile_assign(x, wp.tile_map(towards, x0, x, alpha))
            # the rows' forces and the active set at x (iteration -1: the warm start), each lane its own slots
            changed = int(0)
            c = int(0)
            while c < nchunk:
                slot = c * width + lane
                if slot < contact_dcoef_in.shape[1]:
                    geom = point_geom(slot, cgeom_type, cgeom_pointadr)
                    if geom >= 0:
                        # J_p x (kernels.constraint.point_acc), x read from the block's shared tile
                        acc = tile_point_acc(
                            worldid, slot, cgeom_bodyid[geom], x, body_lastdof, dof_parentid, contact_jacp_in
                        )  # fmt: skip
                        changed += contact_point_update(
                            worldid, slot, geom, acc, cgeom_solref, cgeom_solimp, contact_dcoef_in, contact_fref_in,
                            contact_normal_in, contact_vel_in, contact_frame_in, contact_mu_in, contact_mask_out,
                            contact_force_out, contact_frc_out,
                        )  # fmt: skip
                if slot < jnt_type.shape[0]:
                    dof = jnt_dofadr[slot]
                    xd = float(0.0)
                    if dof >= 0:
                        xd = x[dof]
                    dof, _dsum, _frc, new_mask = limit_terms(
                        worldid, slot, jnt_type, jnt_qposadr, jnt_dofadr, jnt_limited, jnt_range, jnt_margin,
                        jnt_solref, jnt_solimp, dof_invweight, qpos_in, qvel_in, limit_mask_out, xd,
                    )  # fmt: skip
                    if dof >= 0:
                        if new_mask != limit_mask_out[worldid, slot]:
                            changed += 1
                        limit_mask_out[worldid, slot] = new_mask
                if wp.static(friction):
                    # kernels.constraint.friction_loss's update (iteration -1: the warm start)
                    if slot < nv:
                        if dof_frictionloss[slot] > 0.0:
                            state = friction_state_out[worldid, slot]
                            _fd, _ff, new_state = friction_row(
                                worldid, slot, state, x[slot], iteration >= 0, dof_invweight, dof_frictionloss,
                                dof_solref, dof_solimp, qvel_in,
                            )  # fmt: skip
                            if new_state != state:
                                changed += 1
                            friction_state_out[worldid, slot] = new_state
                c += 1
            total = wp.tile_sum(wp.tile(changed))
            iteration += 1
            # a step short of its Newton target has not settled (the split solve's rule)
            if iteration > 0 and total[0] == 0 and alpha >= 1.0:
                iteration = solver_iterations

        # implicit joint damping (kernels.forward.implicit_damping): qacc - (M + h B)^-1 h B qacc, qM holding M + h B
        damped = bool(False)
        for d in range(nv):
            if implicit_b_in[worldid, d] != 0.0 and eulerdamp != 0:
                damped = True
        if damped:
            correction = wp.tile_cholesky_solve(wp.tile_cholesky(m), wp.tile_map(wp.mul, hb, x))
            if lane == 0:
                for d in range(nv):
                    qacc_prev_out[worldid, d] = x[d]
                    qacc_out[worldid, d] = x[d] - correction[d]
        elif lane == 0:
            for d in range(nv):
                qacc_prev_out[worldid, d] = x[d]
                qacc_out[worldid, d] = x[d]
        if lane == 0:
            euler(worldid, h, jnt_type, jnt_qposadr, jnt_dofadr, qpos_in, qvel_in, qacc_out, qpos_out, qvel_out)

    # ptxas for sm_90 (`throughput.py gpu --archs 90 --modules solve_tiled --block-dim 32`, Warp 1.19, ptxas 13.0):
    # with the line search nv 9 / 14 / 18 (half_cheetah / ant / anymal_c) 255 registers with 56 / 216 / 432 B of spill
    # stores (92 / 624 / 704 B loads, 192 / 408 / 560 B stack); before it, same toolchain: 230 and 246 without spills,
    # 255 with 36 B; 1/8 occupancy either way, set by registers (lane_slope out of line, __noinline__: more spills,
    # 256 / 304 / 560 B). Earlier figures (other ptxas): before the eulerdamp flag 246 and 255; the limits as a fifth
    # tile_matmul per chunk: 244 and 255 with 4 B; 9073ae1: 248 and 255 with 32 B; the bare Newton step of
    # benchmarks/solve_tiles.py: 185 and 243. With the friction rows compiled in (only for models with friction
    # loss) ant's nv 14 held 255 with 84 / 88 B of spills before the line search.
    name = f"_solve_kernel_tiled_{nv}" + ("_friction" if friction else "")
    return wp.kernel(solve, name=name, module="unique", module_options=OPTIONS)
