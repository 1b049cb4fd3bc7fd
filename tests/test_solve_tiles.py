"""benchmarks/solve_tiles.py: both variants of the Newton step solve the same systems."""

import numpy as np
import warp as wp

from benchmarks.solve_tiles import SIZES, _thread_step, main, reference, systems, tile_step


def test_thread_and_tile_variants_match_a_float64_solve(tmp_path):
    rows = main(["--num-envs", "8", "--models", "ant", "anymal_c", "--repeats", "1", "--seconds", "0.01",
                 "--block-dims", "32", "--out", str(tmp_path)])  # fmt: skip
    expected = {(m, v) for m in ("ant", "anymal_c") for v in ("thread", "tile")}
    assert {(r["model"], r["variant"]) for r in rows} == expected
    assert all(r["max_err"] < 1e-5 and r["us_per_call"] > 0 for r in rows)
    assert (tmp_path / "solve_tiles.csv").exists()


def test_inactive_rows_leave_the_mass_matrix_alone():
    nv, rows = SIZES["anymal_c"]
    s = systems(4, nv, rows, seed=3)
    s["D"][:] = 0.0  # no active row: x = M^-1 b
    arrays = {k: wp.array(v, dtype=float, device="cpu") for k, v in s.items()}
    x_thread, x_tile = wp.zeros((4, nv), dtype=float), wp.zeros((4, nv), dtype=float)
    H = wp.zeros((4, nv, nv), dtype=float)
    wp.launch(_thread_step, 4, inputs=[arrays["M"], arrays["J"], arrays["D"], arrays["b"], H, x_thread])
    wp.launch_tiled(tile_step(nv, rows), dim=[4], inputs=[arrays["M"], arrays["J"], arrays["D"], arrays["b"], x_tile],
                    block_dim=32)  # fmt: skip
    expected = np.linalg.solve(s["M"].astype(np.float64), s["b"][..., None].astype(np.float64))[..., 0]
    np.testing.assert_allclose(reference(s, 4), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x_thread.numpy(), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(x_tile.numpy(), expected, rtol=1e-4, atol=1e-5)
    assert (s["D"] == 0).all() and systems(4, nv, rows, seed=3)["D"].min() == 0.0  # a third inactive by default


def test_bad_sizes_stop_with_a_clear_error(capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["--num-envs", "0"])
    assert "must be >= 1" in capsys.readouterr().err
