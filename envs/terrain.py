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


def generate(
    num_rows: int = 10,
    num_cols: int = 20,
    tile_size: float = 8.0,
    horizontal_scale: float = 0.1,
    vertical_scale: float = 0.005,
    proportions=TERRAIN_PROPORTIONS,
    seed: int = 0,
) -> Terrain:
    """legged_gym's curriculum terrain: tile (row i, column j) has difficulty i / num_rows and the type of choice
    j / num_cols + 0.001; its origin is the tile centre at the highest ground within 1 m of it (add_terrain_to_map)."""
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
    return Terrain(
        heights=(raw * vertical_scale).astype(np.float32),
        spacing=float(horizontal_scale),
        origins=origins.astype(np.float32),
        tile_size=float(n * horizontal_scale),
        difficulty=np.arange(num_rows) / num_rows,
        kind=kinds,
    )
