"""legged_gym's rough terrain as a height field (NumPy, on the host): a grid of tiles, one difficulty level per row
and one terrain type per column, and each tile's spawn origin.

Sources: leggedrobotics/legged_gym (legged_gym/utils/terrain.py: Terrain.curiculum, make_terrain,
add_terrain_to_map; legged_robot_config.py: LeggedRobotCfg.terrain) and the functions of Isaac Gym's
isaacgym/terrain_utils.py it calls (pyramid_sloped_terrain, random_uniform_terrain, pyramid_stairs_terrain,
discrete_obstacles_terrain), written here from their published definitions: heights are integers in units of
vertical_scale on a grid of horizontal_scale, as there. Random draws come from a NumPy Generator seeded by
`seed`, so a seed gives one terrain whatever the number of envs (legged_gym draws from NumPy's global state).

Layout: `heights[i, j]` [m] is the surface at world (i spacing, j spacing) (kernels.terrain). Tile (row, col),
tile_size / spacing samples a side, starts at sample 1 + row * that along x and 1 + col * that along y; one sample of
height 0 frames the grid, the border legged_gym lays around the tiles (25 m of flat ground at height 0 there; the
simulator's plane z = 0 continues the field outside it here).
"""

import dataclasses
import math

import numpy as np

# legged_gym's LeggedRobotCfg.terrain: [smooth slope, rough slope, stairs up, stairs down, discrete obstacles]
TERRAIN_PROPORTIONS = (0.1, 0.1, 0.35, 0.25, 0.2)


@dataclasses.dataclass
class Terrain:
    """A generated terrain: the height field, its sample spacing and each tile's spawn origin."""

    heights: np.ndarray  # float32 (num_rows * n + 2, num_cols * n + 2) [m], n = tile samples per side
    spacing: float  # [m] between samples (legged_gym's horizontal_scale)
    origins: np.ndarray  # float32 (num_rows, num_cols, 3) [m, world]: tile centre x, y; highest ground z near it
    tile_size: float  # [m], side of a tile (legged_gym's terrain_length = terrain_width)
    difficulty: np.ndarray  # (num_rows,) row i's difficulty i / num_rows
    kind: list  # (num_cols,) each column's terrain type name


def pyramid_sloped(hf: np.ndarray, slope: float, platform_size: float, hs: float, vs: float) -> None:
    """Isaac Gym's pyramid_sloped_terrain on integer heights hf (units of vs [m]) in place: a pyramid rising (slope >
    0) or falling at `slope` [m/m] from the tile's edges to a flat platform of platform_size [m] at its centre."""
    w, length = hf.shape
    cx, cy = int(w / 2), int(length / 2)
    xx = ((cx - np.abs(cx - np.arange(w))) / cx).reshape(w, 1)
    yy = ((cy - np.abs(cy - np.arange(length))) / cy).reshape(1, length)
    max_height = int(slope * (hs / vs) * (w / 2))
    hf += (max_height * xx * yy).astype(hf.dtype)
    p = int(platform_size / hs / 2)
    x1, y1 = w // 2 - p, length // 2 - p
    lo, hi = min(hf[x1, y1], 0), max(hf[x1, y1], 0)
    np.clip(hf, lo, hi, out=hf)


def random_uniform(
    hf: np.ndarray,
    rng,
    min_height: float,
    max_height: float,
    step: float,
    downsampled_scale: float,
    hs: float,
    vs: float,
) -> None:
    """Isaac Gym's random_uniform_terrain in place: heights uniform in [min_height, max_height] [m] in multiples of
    `step` [m], drawn every downsampled_scale [m] and interpolated bilinearly onto the grid (scipy's interp2d
    there, separable linear interpolation here)."""
    w, length = hf.shape
    lo, hi, st = int(min_height / vs), int(max_height / vs), int(step / vs)
    levels = np.arange(lo, hi + st, st)
    coarse = rng.choice(levels, (int(w * hs / downsampled_scale), int(length * hs / downsampled_scale)))
    xc, yc = np.linspace(0, w * hs, coarse.shape[0]), np.linspace(0, length * hs, coarse.shape[1])
    xf, yf = np.linspace(0, w * hs, w), np.linspace(0, length * hs, length)
    along_y = np.stack([np.interp(yf, yc, row) for row in coarse])  # (coarse x, fine y)
    fine = np.stack([np.interp(xf, xc, col) for col in along_y.T], axis=1)  # (fine x, fine y)
    hf += np.rint(fine).astype(hf.dtype)


def pyramid_stairs(hf: np.ndarray, step_width: float, step_height: float, platform_size: float, hs: float, vs: float):
    """Isaac Gym's pyramid_stairs_terrain in place: concentric square steps step_width [m] deep, each step_height [m]
    above (below, if negative) the one outside it, up to a platform of at most platform_size [m]."""
    sw, sh, p = int(step_width / hs), int(step_height / vs), int(platform_size / hs)
    height, x0, x1, y0, y1 = 0, 0, hf.shape[0], 0, hf.shape[1]
    while (x1 - x0) > p and (y1 - y0) > p:
        x0, x1, y0, y1 = x0 + sw, x1 - sw, y0 + sw, y1 - sw
        height += sh
        hf[x0:x1, y0:y1] = height


def discrete_obstacles(
    hf: np.ndarray,
    rng,
    max_height: float,
    min_size: float,
    max_size: float,
    num_rects: int,
    platform_size: float,
    hs: float,
    vs: float,
) -> None:
    """Isaac Gym's discrete_obstacles_terrain in place: num_rects rectangles of sides in [min_size, max_size) [m]
    at heights from {-max, -max/2, max/2, max} [m], then a flat platform of platform_size [m] at the centre."""
    mh, lo, hi, p = int(max_height / vs), int(min_size / hs), int(max_size / hs), int(platform_size / hs)
    n, m = hf.shape
    heights = [-mh, -mh // 2, mh // 2, mh]
    sizes = range(lo, hi, 4)
    for _ in range(num_rects):
        width, length = rng.choice(sizes), rng.choice(sizes)
        i, j = rng.choice(range(0, n - width, 4)), rng.choice(range(0, m - length, 4))
        hf[i : i + width, j : j + length] = rng.choice(heights)
    hf[(n - p) // 2 : (n + p) // 2, (m - p) // 2 : (m + p) // 2] = 0


def terrain_kind(choice: float, proportions=TERRAIN_PROPORTIONS) -> str:
    """legged_gym's make_terrain type for `choice` in [0, 1): the cumulative proportions pick the type, and the
    lower half of the slope range and the stairs-up range get negative slopes / steps: a pit around the spawn
    platform, so that a robot walking outward climbs (the names say what the robot walking outward does)."""
    cum = np.cumsum(proportions)
    if choice < cum[0]:
        return "slope_up" if choice < cum[0] / 2 else "slope_down"
    if choice < cum[1]:
        return "rough_slope"
    if choice < cum[3]:
        return "stairs_up" if choice < cum[2] else "stairs_down"
    return "discrete"


def make_tile(kind: str, difficulty: float, samples: int, rng, hs: float = 0.1, vs: float = 0.005) -> np.ndarray:
    """One tile's integer heights (units of vs [m]) for a terrain type at a difficulty in [0, 1], with legged_gym's
    make_terrain parameters: slope 0.4 d, step height 0.05 + 0.18 d [m], obstacles 0.05 + 0.2 d [m], 3 m platforms."""
    hf = np.zeros((samples, samples), dtype=np.int16)
    slope = 0.4 * difficulty
    step_height = 0.05 + 0.18 * difficulty
    if kind in ("slope_down", "slope_up"):
        pyramid_sloped(hf, -slope if kind == "slope_up" else slope, 3.0, hs, vs)
    elif kind == "rough_slope":
        pyramid_sloped(hf, slope, 3.0, hs, vs)
        random_uniform(hf, rng, -0.05, 0.05, 0.005, 0.2, hs, vs)
    elif kind in ("stairs_up", "stairs_down"):
        pyramid_stairs(hf, 0.31, -step_height if kind == "stairs_up" else step_height, 3.0, hs, vs)
    elif kind == "discrete":
        discrete_obstacles(hf, rng, 0.05 + 0.2 * difficulty, 1.0, 2.0, 20, 3.0, hs, vs)
    else:
        raise ValueError(f"unknown terrain type {kind!r}")
    return hf


def vertical_risers(heights: np.ndarray, spacing: float, refine: int, slope_threshold: float) -> np.ndarray:
    """The height field [m] refined `refine` times (samples spacing / refine [m] apart) with legged_gym's vertical
    risers: where two neighbouring samples (along x, y or the cell diagonal) differ by more than slope_threshold *
    spacing [m], the lower level runs on under the cell up to the higher sample, so the step is a ramp one fine cell
    wide instead of one coarse cell; elsewhere the fine samples lie on the coarse triangles (the same surface).

    legged_gym's convert_heightfield_to_trimesh(slope_threshold=0.75) moves the lower vertex of such an edge onto
    the higher one, a vertical wall at the higher sample; a regular grid approaches it as refine grows. In a cell
    with such a step, samples more than the threshold above the cell's lowest are replaced by the mean of the others
    for the fine samples inside the cell; on a steep cell edge the inner fine samples take the lower end's height."""
    if isinstance(refine, bool) or not isinstance(refine, (int, np.integer)) or refine < 1:
        raise ValueError(f"refine must be an integer >= 1, got {refine!r}")
    for name, v in (("slope_threshold", slope_threshold), ("spacing", spacing)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.floating)) or not v > 0:
            raise ValueError(f"{name} must be a number > 0, got {v!r}")
    h = np.asarray(heights, dtype=np.float32)
    if h.ndim != 2 or min(h.shape) < 2:
        raise ValueError(f"heights must be a 2D grid of at least 2 x 2 samples, got shape {h.shape}")
    if not np.isfinite(h).all():
        raise ValueError("heights must be finite (a NaN or inf sample would spread through the refined cells)")
    k = int(refine)
    if k == 1:
        return h.copy()
    thr = np.float32(slope_threshold * spacing)
    nrow, ncol = h.shape
    out = np.empty(((nrow - 1) * k + 1, (ncol - 1) * k + 1), dtype=np.float32)
    t = np.arange(k, dtype=np.float32) / k  # fine offsets inside a cell, 0 included
    fu = t[:, None]
    fv = t[None, :]
    upper = fv >= fu  # hfield_plane's triangle split

    def surface(h00, h01, h10, h11):
        # [cells..., k, k]: the two triangles' interpolation at the fine offsets
        h00, h01, h10, h11 = (x[..., None, None] for x in (h00, h01, h10, h11))
        return np.where(upper, h00 + fu * (h11 - h01) + fv * (h01 - h00), h00 + fu * (h10 - h00) + fv * (h11 - h10))

    def edge(a, b):
        # [cells..., k]: the fine samples of the edge a -> b, the inner ones at the lower end's height if it is steep
        lerp = a[..., None] + t * (b - a)[..., None]
        low = np.minimum(a, b)[..., None]
        steep = (np.abs(b - a) > thr)[..., None] & (t > 0)
        return np.where(steep, low, lerp)

    # cells in blocks of rows: the temporaries stay a few hundred MB for legged_gym's 802 x 1602 field at refine 4
    block = max(1, 2_000_000 // (ncol * k * k))
    for r0 in range(0, nrow - 1, block):
        r1 = min(r0 + block, nrow - 1)
        h00, h01 = h[r0:r1, :-1], h[r0:r1, 1:]
        h10, h11 = h[r0 + 1 : r1 + 1, :-1], h[r0 + 1 : r1 + 1, 1:]
        corners = np.stack([h00, h01, h10, h11])
        lowest = corners.min(axis=0)
        high = corners > lowest + thr
        steep = high.any(axis=0)
        nlow = (~high).sum(axis=0)
        mean_low = np.where(high, 0, corners).sum(axis=0) / nlow
        flat = [np.where(high[c], mean_low, corners[c]) for c in range(4)]
        fine = np.where(steep[..., None, None], surface(*flat), surface(h00, h01, h10, h11))
        # the cell's x = i (fu = 0) and y = j (fv = 0) edges by their own rule (a cell edge is shared by two cells)
        fine[..., 0, :] = edge(h00, h01)
        fine[..., :, 0] = edge(h00, h10)
        out[r0 * k : r1 * k, : (ncol - 1) * k] = fine.transpose(0, 2, 1, 3).reshape((r1 - r0) * k, (ncol - 1) * k)
        out[r0 * k : r1 * k, -1] = edge(h[r0:r1, -1], h[r0 + 1 : r1 + 1, -1]).reshape(-1)
    out[-1, :-1] = edge(h[-1, :-1], h[-1, 1:]).reshape(-1)
    out[-1, -1] = h[-1, -1]
    return out


def generate(
    num_rows: int = 10,
    num_cols: int = 20,
    tile_size: float = 8.0,
    horizontal_scale: float = 0.1,
    vertical_scale: float = 0.005,
    proportions=TERRAIN_PROPORTIONS,
    seed: int = 0,
    slope_threshold: float | None = None,
    riser_refine: int = 4,
) -> Terrain:
    """legged_gym's curriculum terrain: tile (row i, column j) has difficulty i / num_rows and the type of choice
    j / num_cols + 0.001; its origin is the tile centre at the highest ground within 1 m of it (add_terrain_to_map).
    With a slope_threshold (legged_gym's slope_treshold, 0.75 there), the field is refined riser_refine times with
    steps steeper than it as near-vertical risers (``vertical_risers``); without, the samples are legged_gym's."""
    for name, v in (("num_rows", num_rows), ("num_cols", num_cols)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
    if len(proportions) != 5 or min(proportions) < 0 or not math.isclose(sum(proportions), 1.0):
        raise ValueError(f"proportions must be 5 fractions >= 0 summing to 1, got {proportions!r}")
    n = int(tile_size / horizontal_scale)
    rng = np.random.default_rng(seed)
    raw = np.zeros((num_rows * n + 2, num_cols * n + 2), dtype=np.int16)
    origins = np.zeros((num_rows, num_cols, 3))
    kinds = [terrain_kind(j / num_cols + 0.001, proportions) for j in range(num_cols)]
    a, b = int((tile_size / 2 - 1) / horizontal_scale), int((tile_size / 2 + 1) / horizontal_scale)
    for j in range(num_cols):
        for i in range(num_rows):
            tile = make_tile(kinds[j], i / num_rows, n, rng, horizontal_scale, vertical_scale)
            x0, y0 = 1 + i * n, 1 + j * n
            raw[x0 : x0 + n, y0 : y0 + n] = tile
            z = float(tile[a:b, a:b].max()) * vertical_scale
            origins[i, j] = ((x0 + n / 2) * horizontal_scale, (y0 + n / 2) * horizontal_scale, z)
    heights = (raw * vertical_scale).astype(np.float32)
    spacing = float(horizontal_scale)
    if slope_threshold is not None:
        heights = vertical_risers(heights, spacing, riser_refine, slope_threshold)
        spacing /= riser_refine
    return Terrain(
        heights=heights,
        spacing=spacing,
        origins=origins.astype(np.float32),
        tile_size=float(n * horizontal_scale),
        difficulty=np.arange(num_rows) / num_rows,
        kind=kinds,
    )
