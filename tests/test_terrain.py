"""Height-field terrain: the surface lookups (kernels/terrain.py) against hand computations, contacts on a height
field against the same contacts on MuJoCo-style planes, and the generated terrain (envs/terrain.py) against the
definitions of Isaac Gym's terrain_utils and legged_gym's Terrain."""

import math

import numpy as np
import pytest
import torch
import warp as wp

from envs import terrain
from kernels.articulation import Simulator
from kernels.terrain import hfield_height, hfield_plane, hfield_sphere
from mjcf import load_mjcf

SPACING = 0.1


@wp.kernel
def _lookup_kernel(
    hfield: wp.array2d[float],
    spacing: float,
    points: wp.array[wp.vec3],
    radius: float,
    normal_out: wp.array[wp.vec3],
    offset_out: wp.array[float],
    height_out: wp.array[float],
    dist_out: wp.array[float],
    deepest_out: wp.array[wp.vec3],
    sphere_normal_out: wp.array[wp.vec3],
):
    tid = wp.tid()
    p = points[tid]
    up = wp.vec3(0.0, 0.0, 1.0)
    n, d = hfield_plane(hfield, spacing, p[0], p[1], up, 0.0)
    normal_out[tid] = n
    offset_out[tid] = d
    height_out[tid] = hfield_height(hfield, spacing, p[0], p[1], up, 0.0)
    dist, deepest, sn = hfield_sphere(hfield, spacing, up, 0.0, p, radius)
    dist_out[tid] = dist
    deepest_out[tid] = deepest
    sphere_normal_out[tid] = sn


def _lookup(heights: np.ndarray, points: np.ndarray, radius: float = 0.05) -> dict:
    n = len(points)

    def fill(dtype):
        # prefilled with inf: a missed write fails
        return wp.full(n, dtype(*([np.inf] * 3)) if dtype is wp.vec3 else np.inf, dtype=dtype, device="cpu")

    outs = [fill(wp.vec3), fill(float), fill(float), fill(float), fill(wp.vec3), fill(wp.vec3)]
    field = wp.array(heights.astype(np.float32), dtype=float, device="cpu")
    pts = wp.array(points.astype(np.float32), dtype=wp.vec3, device="cpu")
    wp.launch(_lookup_kernel, n, inputs=[field, SPACING, pts, radius], outputs=outs, device="cpu")
    keys = ("normal", "offset", "height", "dist", "deepest", "sphere_normal")
    return {k: o.numpy() for k, o in zip(keys, outs, strict=True)}


def _grid(nx: int, ny: int):
    return np.meshgrid(np.arange(nx) * SPACING, np.arange(ny) * SPACING, indexing="ij")


def test_flat_field_is_its_height_with_an_up_normal():
    heights = np.full((6, 5), 0.3)
    pts = np.array([[0.12, 0.23, 1.0], [0.0, 0.0, 0.0], [0.5, 0.4, 0.31]])
    out = _lookup(heights, pts)
    np.testing.assert_allclose(out["height"], 0.3, atol=1e-6)
    np.testing.assert_allclose(out["normal"], [[0, 0, 1]] * 3, atol=1e-6)
    np.testing.assert_allclose(out["dist"], pts[:, 2] - 0.3 - 0.05, atol=1e-6)


def test_slope_height_normal_and_a_resting_sphere_by_hand():
    # z = 0.1 + tan(a) x + tan(b) y sampled on the grid: every triangle lies in that one plane
    ta, tb = 0.4, -0.25
    xx, yy = _grid(8, 7)
    heights = 0.1 + ta * xx + tb * yy
    rng = np.random.default_rng(0)
    pts = np.column_stack([rng.uniform(0, 0.7, 20), rng.uniform(0, 0.6, 20), rng.uniform(0, 0.5, 20)])
    out = _lookup(heights, pts)
    n = np.array([-ta, -tb, 1.0]) / math.sqrt(1 + ta * ta + tb * tb)
    np.testing.assert_allclose(out["normal"], np.tile(n, (20, 1)), atol=1e-6)
    np.testing.assert_allclose(out["height"], 0.1 + ta * pts[:, 0] + tb * pts[:, 1], atol=1e-6)
    np.testing.assert_allclose(out["offset"], n[2] * 0.1, atol=1e-6)
    # a sphere resting on the slope: its center one radius along the normal from a surface point
    r = 0.05
    surface = np.array([0.33, 0.27, 0.1 + ta * 0.33 + tb * 0.27])
    for depth in (0.0, 0.004):
        c = surface + (r - depth) * n
        out = _lookup(heights, c[None], radius=r)
        np.testing.assert_allclose(out["dist"], [-depth], atol=1e-6)
        np.testing.assert_allclose(out["deepest"][0], c - r * n, atol=1e-6)
        np.testing.assert_allclose(out["sphere_normal"][0], n, atol=1e-6)


def test_step_splits_each_cell_into_isaacgyms_two_triangles():
    # a unit step along x between samples 2 and 3: the cell (2, j) is a ramp, its neighbours are flat
    heights = np.zeros((6, 4))
    heights[3:] = 0.2
    pts = np.array([[0.1, 0.15, 0], [0.25, 0.12, 0], [0.25, 0.18, 0], [0.45, 0.1, 0]])
    out = _lookup(heights, pts)
    np.testing.assert_allclose(out["height"], [0.0, 0.1, 0.1, 0.2], atol=1e-6)
    ramp = np.array([-2.0, 0.0, 1.0]) / math.sqrt(5.0)  # rises 0.2 m over one 0.1 m cell
    np.testing.assert_allclose(out["normal"], [[0, 0, 1], ramp, ramp, [0, 0, 1]], atol=1e-6)
    # a lone raised sample: (i, j), (i+1, j+1), (i, j+1) above the (i, j)-(i+1, j+1) diagonal, the other below
    heights = np.zeros((3, 3))
    heights[1, 0] = 0.1  # vertex (i+1, j) of cell (0, 0): only the triangle below the diagonal sees it
    out = _lookup(heights, np.array([[0.07, 0.02, 0], [0.02, 0.07, 0]]))
    np.testing.assert_allclose(out["height"], [0.1 * (0.7 - 0.2), 0.0], atol=1e-6)


def test_outside_the_field_is_the_plane():
    heights = np.full((4, 4), 0.5)
    out = _lookup(heights, np.array([[-0.01, 0.1, 0], [0.1, 0.31, 0], [5.0, 5.0, 0]]))
    np.testing.assert_allclose(out["height"], 0.0, atol=1e-7)
    np.testing.assert_allclose(out["normal"], [[0, 0, 1]] * 3, atol=1e-7)


def _body_xml(plane_euler: str, pos, geom: str, mu: float = 0.5) -> str:
    return (
        f'<mujoco><option timestep="0.01"/><worldbody><geom type="plane" size="50 50 .1" euler="{plane_euler}" '
        f'friction="{mu} 0 0"/><body pos="{pos[0]} {pos[1]} {pos[2]}" euler="0 15 10"><freejoint/>{geom}'
        "</body></worldbody></mujoco>"
    )


@pytest.mark.parametrize(
    "geom",
    [
        '<geom type="box" size="0.1 0.1 0.05" friction="0.5 0 0"/>',
        '<geom type="sphere" size="0.08" friction="0.5 0 0"/>',
        '<geom type="capsule" size="0.05" fromto="-0.1 0 0 0.1 0 0" friction="0.5 0 0"/>',
        '<geom type="cylinder" size="0.08 0.05" friction="0.5 0 0"/>',
        # torsional and rolling friction (condim 6, 4): the rows about the field triangle's normal and tangents
        '<geom type="sphere" size="0.08" condim="6" friction="0.5 0.05 0.02"/>',
        '<geom type="capsule" size="0.05" fromto="-0.1 0 0 0.1 0 0" condim="4" friction="0.5 0.05 0"/>',
    ],
)
def test_geom_on_a_sloped_field_moves_as_on_the_same_tilted_plane(geom):
    """A tilted MJCF plane and a height field sampling the same plane give the same contacts, hence the same
    motion (the field's triangles are that plane; outside it the flat plane would hold the body)."""
    theta = math.radians(32.0)  # above atan(0.5) = 26.6 degrees: the box slides, the others roll
    start = (1.0, 1.0, -math.tan(theta) * 1.0 + 0.2)
    tilted = Simulator(load_mjcf(_body_xml(f"0 {math.degrees(theta)} 0", start, geom)), 1, contacts=True, substeps=2)
    field = Simulator(load_mjcf(_body_xml("0 0 0", start, geom)), 1, contacts=True, substeps=2)
    xx, _ = _grid(60, 30)  # 6 m: the rolling sphere stays on the field
    field.set_hfield(-math.tan(theta) * xx, SPACING)  # the tilted plane's surface z = -tan(theta) x
    for _ in range(100):  # 1 s: drop, contact, slide or roll down the slope
        tilted.step()
        field.step()
    q_tilted, q_field = tilted.get_state()[0].numpy(), field.get_state()[0].numpy()
    assert 5.0 > q_tilted[0, 0] > start[0] + 0.2  # went downhill (+x), on the field
    # float32 normal from the grid differences vs the plane's quaternion: measured 9e-6 (qpos) after 1 s
    np.testing.assert_allclose(q_field, q_tilted, atol=1e-4)


def test_stairs_have_legged_gyms_step_height_and_width():
    d = 0.5
    hf = terrain.make_tile("stairs_down", d, 80, np.random.default_rng(0))
    step = int((0.05 + 0.18 * d) / 0.005)  # 0.14 m in 5 mm units: 28
    sw = int(0.31 / 0.1)  # 3 samples
    diag = hf[np.arange(40), np.arange(40)]
    # along the diagonal from the edge: 0, then one step up every sw samples while the square inside is wider than
    # the 3 m (30 sample) platform: 80 - 2 sw k > 30 for k = 0..8, 9 steps, a 26-sample top
    expect = np.minimum(np.arange(40) // sw, 9) * step
    np.testing.assert_array_equal(diag, expect)
    up = terrain.make_tile("stairs_up", d, 80, np.random.default_rng(0))
    np.testing.assert_array_equal(up, -hf)
    centre = hf[40 - 13 : 40 + 13, 40 - 13 : 40 + 13]
    assert np.all(centre == 9 * step) and hf[40 - 14, 40] == 8 * step  # the 2.6 m top platform


def test_slope_angle_and_platform_follow_the_pyramid_definition():
    d = 0.75
    hf = terrain.make_tile("slope_down", d, 80, np.random.default_rng(0)).astype(float) * 0.005
    slope = 0.4 * d
    # pyramid_sloped_terrain: max_height (1 - |x - c| / c)(1 - |y - c| / c) with max_height = slope (tile / 2),
    # clipped at its value at the platform's corner, 1.5 m from the centre: 240 * (25 / 40)^2 units of 5 mm
    top = int(240 * (25 / 40) ** 2) * 0.005
    assert hf.max() == pytest.approx(top) and hf[40, 40] == pytest.approx(top)
    line = hf[:40, 40]  # from the edge to the centre: rises at `slope` until it meets the platform height
    rising = np.flatnonzero(line < top)
    assert line[0] == 0.0 and len(rising) == int(top / slope / 0.1) + 1
    np.testing.assert_allclose(np.diff(line[rising]) / 0.1, slope, atol=0.051)  # 5 mm integer rounding per 0.1 m
    assert np.all(terrain.make_tile("slope_up", d, 80, np.random.default_rng(0)) <= 0)


def test_rough_slope_and_obstacles_stay_in_their_height_ranges():
    rng = np.random.default_rng(1)
    flat = terrain.make_tile("rough_slope", 0.0, 80, rng)
    assert flat.min() >= -10 and flat.max() <= 10 and flat.std() > 2  # uniform noise within +-5 cm
    obstacles = terrain.make_tile("discrete", 1.0, 80, rng)
    mh = int(0.25 / 0.005)
    assert set(np.unique(obstacles)) <= {-mh, -mh // 2, 0, mh // 2, mh} and len(np.unique(obstacles)) > 2
    assert np.all(obstacles[25:55, 25:55] == 0)  # the 3 m platform


def test_generated_grid_layout_types_and_origins():
    t = terrain.generate(num_rows=3, num_cols=10, seed=4)
    assert t.heights.shape == (3 * 80 + 2, 10 * 80 + 2) and t.heights.dtype == np.float32
    # legged_gym's column choices j / 10 + 0.001 against the cumulative proportions 0.1, 0.2, 0.55, 0.8, 1
    assert t.kind == ["slope_up", "rough_slope", "stairs_up", "stairs_up", "stairs_up", "stairs_up",
                      "stairs_down", "stairs_down", "discrete", "discrete"]  # fmt: skip
    frame = np.concatenate([t.heights[0], t.heights[-1], t.heights[:, 0], t.heights[:, -1]])
    assert np.all(frame == 0)
    np.testing.assert_allclose(t.origins[2, 7, :2], [(1 + 2 * 80 + 40) * 0.1, (1 + 7 * 80 + 40) * 0.1], atol=1e-5)
    # origin z: the highest ground within 1 m of the tile centre; row 0 (difficulty 0) of stairs is 5 cm steps
    i, j = 1, 6
    x0, y0 = 1 + i * 80, 1 + j * 80
    assert t.origins[i, j, 2] == pytest.approx(t.heights[x0 + 30 : x0 + 50, y0 + 30 : y0 + 50].max())
    assert terrain.generate(3, 10, seed=4).heights.tobytes() == t.heights.tobytes()
    assert terrain.generate(3, 10, seed=5).heights.tobytes() != t.heights.tobytes()


def test_spheres_dropped_on_a_step_rest_on_its_two_levels():
    """A 0.15 m step in the field: a sphere dropped over the upper level rests on it, one over the lower level rests
    there, each at the soft contact's depth below its surface + radius (measured 0.37 mm on both levels)."""
    xml = (
        '<mujoco><option timestep="0.01"/><worldbody><geom type="plane" size="50 50 .1"/>'
        '<body pos="0 0 1"><freejoint/><geom type="sphere" size="0.05"/></body></worldbody></mujoco>'
    )
    sim = Simulator(load_mjcf(xml), 2, contacts=True, substeps=2)
    heights = np.zeros((40, 20))
    heights[20:] = 0.15  # x >= 2.0 m is the upper level
    sim.set_hfield(heights, SPACING)
    q, v = sim.get_state()
    q, v = q.clone(), v.clone()
    q[:, :3] = torch.tensor([[3.0, 1.0, 0.4], [1.0, 1.0, 0.4]])
    sim.set_state(q, v)
    for _ in range(150):
        sim.step()
    z = sim.get_state()[0][:, 2].numpy()
    assert 0.0 < 0.15 + 0.05 - z[0] < 1e-3 and 0.0 < 0.05 - z[1] < 1e-3, z
    assert np.abs(sim.get_state()[1].numpy()).max() < 1e-3  # at rest


def test_sphere_takes_the_closest_triangle_a_riser_or_an_edge():
    """A sphere above the surface is against the closest point of the triangles within its radius: beside a riser
    (a step 0.2 m high rising over one 0.1 m cell, x 0.2 to 0.3) over the lower level, the ramp; above the step's
    edge, the edge, the normal from it to the center; far from both, the plane under it."""
    heights = np.zeros((8, 5))
    heights[3:] = 0.2
    r = 0.05
    ramp = np.array([-2.0, 0.0, 1.0]) / math.sqrt(5.0)
    # over the lower level (x 0.19 < 0.2) at 0.06 m: the plane under it is out of reach, the ramp 0.036 m away
    c = np.array([0.19, 0.2, 0.06])
    gap_ramp = float(np.dot(c - [0.2, 0.2, 0.0], ramp))  # the closest ramp point lies inside its face
    # 0.04 m from the step's top edge (x 0.3, z 0.2) along (-0.6, 0, 0.8), between the tread's and the ramp's
    # normals: the edge is the closest point
    e = np.array([0.3, 0.2, 0.2]) + 0.04 * np.array([-0.6, 0.0, 0.8])
    far = np.array([0.55, 0.2, 0.24])
    out = _lookup(heights, np.array([c, e, far]), radius=r)
    assert gap_ramp < r < c[2] and out["dist"][0] == pytest.approx(gap_ramp - r, abs=1e-6)
    np.testing.assert_allclose(out["sphere_normal"][0], ramp, atol=1e-6)
    np.testing.assert_allclose(out["deepest"][0], c - r * ramp, atol=1e-6)
    np.testing.assert_allclose(out["sphere_normal"][1], [-0.6, 0.0, 0.8], atol=1e-5)
    assert out["dist"][1] == pytest.approx(0.04 - r, abs=1e-6)
    assert out["dist"][2] == pytest.approx(0.24 - 0.2 - r, abs=1e-6)
    np.testing.assert_allclose(out["sphere_normal"][2], [0, 0, 1], atol=1e-6)
    # below the surface (inside the ramp): the depth along the normal of the plane under the center
    inside = np.array([0.26, 0.2, 0.05])
    out = _lookup(heights, inside[None], radius=r)
    assert out["dist"][0] == pytest.approx(np.dot(inside - [0.2, 0.2, 0.0], ramp) - r, abs=1e-6)
    np.testing.assert_allclose(out["sphere_normal"][0], ramp, atol=1e-6)


def test_sphere_distance_is_the_brute_force_closest_point_on_random_fields():
    """On random fields, a sphere center above the surface: the distance is the smallest over every triangle of the
    field of the closest-point distance (sampled densely on each triangle), minus the radius, where that is below
    the radius (farther, the sphere touches nothing and only the sign matters)."""
    rng = np.random.default_rng(3)
    heights = rng.uniform(0.0, 0.15, (7, 6))
    r = 0.08
    xx, yy = _grid(7, 6)
    pts = np.column_stack([rng.uniform(0.05, 0.55, 300), rng.uniform(0.05, 0.45, 300), rng.uniform(0.0, 0.3, 300)])
    out = _lookup(heights, pts, radius=r)
    # dense barycentric samples of every triangle (the split of hfield_plane)
    w = np.array([(a, b) for a in np.linspace(0, 1, 41) for b in np.linspace(0, 1, 41) if a + b <= 1])
    tris = []
    for i in range(6):
        for j in range(5):
            p = lambda a, b: np.array([xx[a, b], yy[a, b], heights[a, b]])  # noqa: E731
            tris += [(p(i, j), p(i + 1, j + 1), p(i, j + 1)), (p(i, j), p(i + 1, j), p(i + 1, j + 1))]
    surface = np.concatenate([a + w[:, :1] * (b - a) + w[:, 1:] * (c - a) for a, b, c in tris])
    checked = 0
    for k, c in enumerate(pts):
        if c[2] <= out["height"][k]:
            continue
        d = np.sqrt(((surface - c) ** 2).sum(1)).min()
        if d < r:
            # the dense samples are up to ~2 mm from the exact closest point
            assert out["dist"][k] == pytest.approx(d - r, abs=3e-3) and out["dist"][k] <= d - r + 1e-6
            checked += 1
        else:
            assert out["dist"][k] >= -1e-6
    assert checked > 30


def test_vertical_risers_move_each_step_to_its_higher_sample():
    """legged_gym's slope_threshold (0.75) on stairs 0.14 m high and three 0.1 m samples deep, refined 4 times:
    each tread is flat up to the higher sample, the step a ramp one fine cell (0.025 m) wide there, both ways; the
    coarse samples stay; gentle slopes keep their surface; a step under the threshold stays a coarse ramp."""
    levels = np.array([0.0, 0.0, 0.0, 0.14, 0.14, 0.14, 0.28, 0.28, 0.28])
    up = np.repeat(levels[:, None], 4, axis=1)
    fine = terrain.vertical_risers(up, 0.1, 4, 0.75)
    assert fine.shape == (33, 13) and fine.dtype == np.float32
    np.testing.assert_array_equal(fine[::4, ::4], up.astype(np.float32))
    expect = np.concatenate([[0.0] * 12, [0.14] * 12, [0.28] * 9])  # steps at fine samples 12 and 24 (x 0.3, 0.6)
    np.testing.assert_allclose(fine, np.repeat(expect[:, None], 13, axis=1), atol=1e-7)
    down = terrain.vertical_risers(up[::-1], 0.1, 4, 0.75)
    np.testing.assert_array_equal(down, fine[::-1])
    np.testing.assert_array_equal(terrain.vertical_risers(up.T, 0.1, 4, 0.75), fine.T)
    # 0.05 m steps (0.5 m/m): ramps one coarse cell wide, the coarse surface
    low = terrain.vertical_risers(up * 0.05 / 0.14, 0.1, 4, 0.75)
    np.testing.assert_allclose(low[:, 0], np.interp(np.arange(33) / 4, np.arange(9), levels * 0.05 / 0.14), atol=1e-7)
    # a gentle random field: every fine sample on the coarse triangles (hfield_height)
    rng = np.random.default_rng(0)
    gentle = rng.uniform(0.0, 0.07, (9, 7))
    f = terrain.vertical_risers(gentle, 0.1, 3, 0.75)
    fx, fy = np.meshgrid(np.arange(25) / 3 * 0.1, np.arange(19) / 3 * 0.1, indexing="ij")
    pts = np.column_stack([fx.ravel(), fy.ravel(), np.zeros(fx.size)])
    np.testing.assert_allclose(f.ravel(), _lookup(gentle, pts)["height"], atol=1e-6)
    np.testing.assert_array_equal(terrain.vertical_risers(gentle, 0.1, 1, 0.75), gentle.astype(np.float32))
    for bad, match in (
        (dict(refine=0), "refine"),
        (dict(refine=2.0), "refine"),
        (dict(slope_threshold=0.0), "slope_threshold"),
        (dict(slope_threshold="0.75"), "slope_threshold"),
        (dict(slope_threshold=float("nan")), "slope_threshold"),
        (dict(spacing=-0.1), "spacing"),
        (dict(heights=np.zeros(5)), "2D grid"),
        (dict(heights=np.where(np.eye(9, 7) > 0, np.nan, gentle)), "finite"),
    ):
        kw = {"heights": gentle, "spacing": 0.1, "refine": 2, "slope_threshold": 0.75, **bad}
        with pytest.raises(ValueError, match=match):
            terrain.vertical_risers(**kw)


def test_generated_terrain_with_risers_keeps_the_samples_and_a_quarter_of_the_steep_ground():
    raw = terrain.generate(num_rows=3, num_cols=10, seed=4)
    t = terrain.generate(num_rows=3, num_cols=10, seed=4, slope_threshold=0.75, riser_refine=4)
    assert t.spacing == 0.025 and t.heights.shape == ((3 * 80 + 1) * 4 + 1, (10 * 80 + 1) * 4 + 1)
    np.testing.assert_array_equal(t.heights[::4, ::4], raw.heights)
    np.testing.assert_array_equal(t.origins, raw.origins)

    def steep(h, s):
        gx = np.abs(np.diff(h, axis=0))[:, :-1] / s
        gy = np.abs(np.diff(h, axis=1))[:-1, :] / s
        return np.mean(np.maximum(gx, gy) > 0.75)

    # a stairs-up tile of level 2 (0.086 m steps, over the threshold): 28% of its cells are ramps, 7% refined
    n = 80
    a, b = (
        steep(raw.heights[1 + 2 * n : 1 + 3 * n, 1 + 3 * n : 1 + 4 * n], 0.1),
        steep(t.heights[4 * (1 + 2 * n) : 4 * (1 + 3 * n), 4 * (1 + 3 * n) : 4 * (1 + 4 * n)], 0.025),
    )
    assert a > 0.2 and b == pytest.approx(a / 4, rel=0.05)


def test_a_sphere_pushed_against_a_refined_riser_stops_at_it():
    """A foot-sized sphere (0.03 m, on x and z slides) pushed along +x by 10 N toward a 0.14 m step: on the refined
    field (a riser 0.025 m wide at the higher sample, x 1.475 to 1.5) it stops with its surface at the riser; on the
    coarse field (a ramp over x 1.4 to 1.5 at 54 degrees) the same push carries it up the ramp onto the step."""
    xml = (
        '<mujoco><option timestep="0.005"/><worldbody><geom type="plane" size="50 50 .1" friction="0.1 0 0"/>'
        '<body pos="0 0 0"><joint name="x" type="slide" axis="1 0 0"/><joint name="z" type="slide" axis="0 0 1"/>'
        '<geom type="sphere" size="0.03" mass="0.5" friction="0.1 0 0"/></body></worldbody>'
        '<actuator><motor joint="x"/></actuator></mujoco>'
    )
    heights = np.zeros((60, 10))  # 5.9 m: the coarse run stays on the step
    heights[15:] = 0.14
    final = {}
    for name, field, spacing in (
        ("coarse", heights, SPACING),
        ("refined", terrain.vertical_risers(heights, SPACING, 4, 0.75), SPACING / 4),
    ):
        sim = Simulator(load_mjcf(xml), 1, contacts=True, substeps=2)
        sim.set_hfield(field, spacing)
        q, v = sim.get_state()
        q, v = q.clone(), v.clone()
        q[0] = torch.tensor([1.39, 0.03])
        sim.set_state(q, v)
        for _ in range(200):  # 1 s
            sim.step(torch.full((1, 1), 10.0))
        final[name] = sim.get_state()[0][0].numpy()
    assert 1.475 - 0.03 - 0.01 < final["refined"][0] < 1.475 - 0.03 + 0.01 and final["refined"][1] < 0.05, final
    assert final["coarse"][0] > 1.5 and final["coarse"][1] > 0.14, final
