"""Random MJCF chains for the tests that step one joint feature against MuJoCo C (friction loss, actuator force
limits, implicitfast): a body on an optional free root, then a chain of hinge / slide joints with capsules; each test
says what its joints carry and which actuators drive them."""

from collections.abc import Callable

import numpy as np


def random_vec(rng: np.random.Generator, scale: float = 1.0) -> str:
    """Three normal draws times scale, as an MJCF attribute value."""
    return " ".join(f"{x:.4f}" for x in rng.normal(size=3) * scale)


def random_chain(
    rng: np.random.Generator,
    max_depth: int,
    joint_attrs: Callable[[int], str],
    actuators: Callable[[int], list[str]] = lambda i: [],
) -> tuple[str, list[str]]:
    """The worldbody of a random chain (root on a free joint half the time, 2 to max_depth - 1 jointed bodies) and its
    actuators: joint_attrs(i) returns the attributes after joint ji's name, type and axis; actuators(i) the actuator
    elements on ji, drawn after its body."""
    parts, acts = [], []
    free_root = rng.random() < 0.5
    depth = int(rng.integers(2, max_depth))
    parts.append(f'<body pos="{random_vec(rng, 0.2)}">' + ("<freejoint/>" if free_root else ""))
    parts.append('<geom size="0.08" mass="1"/>')
    for i in range(depth):
        kind = "hinge" if rng.random() < 0.7 else "slide"
        attrs = f'name="j{i}" type="{kind}" axis="{random_vec(rng)}"' + joint_attrs(i)
        parts.append(f'<body pos="{random_vec(rng, 0.25)}"><joint {attrs}/>')
        capsule = f'fromto="0 0 0 {random_vec(rng, 0.2)}" size="0.04" mass="{rng.uniform(0.2, 2):.3f}"'
        parts.append(f'<geom type="capsule" {capsule}/>')
        acts += actuators(i)
    parts.append("</body>" * (depth + 1))
    return "".join(parts), acts


def perturbed_qpos(ref, rng: np.random.Generator, num: int, spread: float) -> np.ndarray:
    """num copies of ref.qpos0 with each hinge and slide coordinate moved by U(-spread, spread)."""
    qpos = np.tile(ref.qpos0, (num, 1))
    hinge_slide = [ref.jnt_qposadr[j] for j in range(ref.njnt) if ref.jnt_type[j] >= 2]
    qpos[:, hinge_slide] += rng.uniform(-spread, spread, (num, len(hinge_slide)))
    return qpos
