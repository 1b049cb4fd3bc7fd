"""The per-env linear solves of the constraint step (kernels/forward.py) against NumPy in float64.

factor_solve (dense Cholesky) takes any SPD matrix; factor_solve_tree (MuJoCo's LTDL on the dof tree) takes those
whose entries sit only at (dof, ancestor dof) pairs: the mass matrix with joint limits and geom-ground contact rows.
"""

import numpy as np
import pytest
import warp as wp

from kernels.forward import factor_solve, factor_solve_tree

wp.config.quiet = True


@wp.kernel
def _solve_kernel(
    tree: int,
    dof_parentid: wp.array[int],
    qH: wp.array3d[float],
    x: wp.array2d[float],
):
    worldid = wp.tid()
    if tree != 0:
        factor_solve_tree(worldid, dof_parentid, qH, x)
    else:
        factor_solve(worldid, qH, x)


def _tree_system(rng, nv: int):
    """A random dof tree (parent index below the child, -1 at roots) and an SPD matrix on its ancestor pattern."""
    parent = np.array([-1] + [int(rng.integers(-1, i)) for i in range(1, nv)])
    ancestor = np.zeros((nv, nv), bool)
    for k in range(nv):
        i = parent[k]
        while i >= 0:
            ancestor[k, i] = True
            i = parent[i]
    # H = L^T D L with L unit lower triangular on the pattern: SPD, and the pattern is closed under elimination
    lower = np.eye(nv) + np.where(ancestor, rng.uniform(-1, 1, (nv, nv)), 0.0)
    h = lower.T @ np.diag(rng.uniform(0.5, 2.0, nv)) @ lower
    assert np.all(h[~(ancestor | ancestor.T | np.eye(nv, dtype=bool))] == 0.0)
    return parent, h


@pytest.mark.parametrize("tree", [0, 1])
def test_solves_match_numpy_on_tree_patterned_systems(tree):
    rng = np.random.default_rng(7)
    for nv in (1, 6, 14, 23):
        parent, h = _tree_system(rng, nv)
        n = 8
        hs = np.stack([h * s for s in rng.uniform(0.5, 3.0, n)])
        b = rng.normal(size=(n, nv))
        qh = wp.array(hs.astype(np.float32), dtype=float)
        x = wp.array(b.astype(np.float32), dtype=float)
        wp.launch(_solve_kernel, dim=n, inputs=[tree, wp.array(parent, dtype=int), qh, x])
        want = np.linalg.solve(hs, b[..., None])[..., 0]
        np.testing.assert_allclose(x.numpy(), want, rtol=0, atol=2e-4 * np.abs(want).max())


def test_dense_solve_takes_entries_off_the_tree():
    # a geom-pair row J = J_2 - J_1 couples two branches: only the dense solve sees the entries it adds
    rng = np.random.default_rng(3)
    parent = np.array([-1, 0, 1, 0, 3])  # two branches below dof 0
    j = np.array([0.0, 0.0, 1.0, 0.0, -1.0])
    h = np.eye(5) * 2.0 + 5.0 * np.outer(j, j)
    b = rng.normal(size=(1, 5))
    out = {}
    for tree in (0, 1):
        qh = wp.array(h[None].astype(np.float32), dtype=float)
        x = wp.array(b.astype(np.float32), dtype=float)
        wp.launch(_solve_kernel, dim=1, inputs=[tree, wp.array(parent, dtype=int), qh, x])
        out[tree] = x.numpy()[0]
    want = np.linalg.solve(h, b[0])
    np.testing.assert_allclose(out[0], want, rtol=1e-5, atol=1e-6)
    assert np.abs(out[1] - want).max() > 1e-2  # the tree solve drops the (2, 4) coupling
