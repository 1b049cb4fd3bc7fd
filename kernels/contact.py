"""Geom-plane contact: pairwise distance functions and the soft contact force law, as pure ``@wp.func``.

Contact model (applied by ``kernels.constraint.contacts``, ``Simulator(contacts=True)``):

- Geometry. Sphere, capsule and box geoms against one static plane n . x = d (the world body's plane geom,
  usually the floor). A sphere gives one contact point, a capsule two (its end-cap centers), a box eight
  (its corners); each point is active while its signed distance is below the contact margin
  (the sum of the pair's ``geom_margin``, MuJoCo 4.0's rule), and then pushes toward distance = margin.
  Geom-geom contacts between bodies (self-collision) are not modeled.
- Normal force: a spring-damper per active point, scaled by the mass m of the contacting kinematic tree,
  F_n = m (k depth - c v_n), depth = margin - dist [m], v_n the normal velocity of the point [m/s]
  (k = ``contact_stiffness`` [1/s^2], c = ``contact_damping`` [1/s]). A single body resting on n points
  sinks by g / (n k): 1 mm for one point at the default k = 1e4 s^-2 (MuJoCo's default soft contact
  sinks 0.1 to 0.4 mm for the same bodies).
- Friction: regularized Coulomb, F_t = -mu F_n v_t / sqrt(|v_t|^2 + eps^2), isotropic in the tangent
  plane, mu = max of the pair's sliding friction (MuJoCo's default mixing), eps = ``friction_eps`` [m/s]:
  below atan(mu) a body on a slope creeps at about eps tan(theta) / mu / sqrt(1 - (tan(theta) / mu)^2).
- Integration: both forces are linear in the point velocity with frozen coefficients, and the simulator
  treats them implicitly, like MuJoCo's Euler integrator treats joint damping: it adds
  h (c + h k) J_n^T J_n + h c_t J_t^T J_t to the mass matrix (h the substep, c_t = mu F_n / sqrt(...)),
  which is backward Euler on the linearized contact. An explicit spring-damper at these stiffnesses
  needs h below ~2 / (c m / m_eff) (about 1 ms for an Ant foot, whose effective mass is ~m/6); the implicit
  one runs at MuJoCo's own 10 ms Ant step (what the locomotion envs use) and cannot gain energy from the
  contact. A point stays in the implicit system while it penetrates, also when it separates faster than
  the spring pushes (then with zero explicit force): gating it on the velocity makes resting contacts
  chatter at 10 ms (points switching on and off every step). At 10 ms the Ant rests 2.6 cm lower than at
  5 ms substeps (0.590 m vs 0.609 m; MuJoCo: 0.616 m Euler, 0.544 m RK4), see tests/test_contact.py.

Known limits: no geom-geom contacts, no torsional or rolling friction, no cylinder/ellipsoid/mesh geoms,
one plane; the implicit linearization makes impacts slightly inelastic (damped) at large substeps.
"""

import warp as wp

wp.set_module_options({"enable_backward": False, "max_unroll": 1})


@wp.func
def plane_sphere(normal: wp.vec3, offset: float, center: wp.vec3, radius: float):
    """Signed distance [m] from a sphere to the plane normal . x = offset, and its deepest point [m, world]."""
    dist = wp.dot(normal, center) - offset - radius
    return dist, center - radius * normal


@wp.func
def plane_capsule(normal: wp.vec3, offset: float, center: wp.vec3, axis: wp.vec3, half_length: float, radius: float):
    """Signed distances [m] and deepest points [m, world] of a capsule's two end caps against a plane.

    axis: the capsule's unit axis in the world frame; the segment is center +- half_length axis.
    """
    d0, p0 = plane_sphere(normal, offset, center + half_length * axis, radius)
    d1, p1 = plane_sphere(normal, offset, center - half_length * axis, radius)
    return d0, p0, d1, p1


@wp.func
def plane_box(normal: wp.vec3, offset: float, center: wp.vec3, rot: wp.mat33, half_size: wp.vec3, corner: int):
    """Signed distance [m] and position [m, world] of box corner `corner` (0..7, bit k = sign of axis k).

    rot: world-from-box rotation; half_size: half extents [m] along the box axes.
    """
    local = wp.vec3(half_size[0], half_size[1], half_size[2])
    for k in range(3):
        if (corner >> k) & 1:
            local[k] = -local[k]
    point = center + rot * local
    return wp.dot(normal, point) - offset, point


@wp.func
def contact_coefficients(
    depth: float,
    vel: wp.vec3,
    normal: wp.vec3,
    mass: float,
    mu: float,
    stiffness: float,
    damping: float,
    friction_eps: float,
    h: float,
):
    """Implicit-Euler coefficients of one contact point, SI units (N, N s/m).

    Returns (f_n, a_n, c_t, tangent): the normal force to apply at the current velocity f_n [N] (>= 0),
    the normal velocity coefficient a_n = h (c + h k) m [N s/m] whose h-multiple goes into the mass matrix,
    the tangential viscous coefficient c_t = mu F_n / sqrt(|v_t|^2 + eps^2) [N s/m], and the unit slip
    direction (any tangent when not slipping). depth: penetration below the margin [m]; vel: point velocity.
    """
    vn = wp.dot(vel, normal)
    k = mass * stiffness
    c = mass * damping
    # backward Euler on the spring: depth after the step is depth - h vn_new, so the damping grows by h k
    cn = c + h * k
    fn = k * depth - cn * vn
    ct = float(0.0)
    tangent = wp.vec3(0.0)
    if fn > 0.0:
        vt = vel - vn * normal
        speed = wp.length(vt)
        # regularized Coulomb: |F_t| -> mu F_n when sliding, viscous below friction_eps
        ct = mu * fn / wp.sqrt(speed * speed + friction_eps * friction_eps)
        if speed > 1.0e-9:
            tangent = vt / speed
        else:
            tangent = wp.normalize(wp.cross(normal, wp.vec3(1.0, 0.0, 0.0)))
            if wp.length(wp.cross(normal, wp.vec3(1.0, 0.0, 0.0))) < 1.0e-3:
                tangent = wp.normalize(wp.cross(normal, wp.vec3(0.0, 1.0, 0.0)))
    else:
        # separating faster than the spring pushes: no force at the current velocity, but the implicit
        # damping stays while the point penetrates (gating it on the velocity makes resting contacts chatter)
        fn = 0.0
    return fn, cn, ct, tangent
