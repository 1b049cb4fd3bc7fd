"""Smoke tests of cleanppo/throughput.py: a tiny run of every subcommand as a subprocess into a temporary folder,
then the schema of what it wrote (JSON provenance, CSV columns, figures, README section). `train` runs
cleanppo/ppo_warp.py itself with a tiny budget. No measured number is asserted."""

import csv
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "cleanppo", "throughput.py")
PROVENANCE = {"command", "git_commit", "date_utc", "machine", "versions", "notes", "rows"}
MACHINE = {"cpu", "cores", "memory_gib", "gpu", "os", "loadavg_at_start"}

# subcommand -> (arguments of a tiny run, columns its CSV must have)
RUNS = {
    "env": (
        ["--env-ids", "cartpole", "--num-envs", "16", "64", "--repeats", "2", "--seconds", "0.01", "--no-cold-cache"]
        + ["--block-dims", "256", "0"],
        ["env", "num_envs", "steps_per_s", "steps_per_s_min", "steps_per_s_max", "us_per_step", "median_s", "min_s"]
        + ["max_s", "compile_s", "make_s", "first_step_s", "warp_bytes_per_env", "rss_bytes_per_env", "block_dim"]
        + ["threads_per_block"],
    ),
    "train": (
        ["--env-ids", "cartpole", "--num-envs", "16", "--num-steps", "8", "--iterations", "2"],
        ["env", "num_envs", "num_steps", "sps", "sps_min", "sps_max", "env_step_s", "policy_s", "collect_other_s"]
        + ["collect_s", "update_s", "logging_s", "total_s", "env_step_frac", "update_frac", "storage_bytes_per_env"]
        + ["setup_s", "warmup_iteration_s", "env_warp_bytes_per_env"],
    ),
    "peers": (
        ["--env-ids", "cartpole", "ant", "--num-envs", "8", "--repeats", "2", "--seconds", "0.01"]
        + ["--mujoco-max-envs", "8", "--mjwarp-max-envs", "0"],
        ["env", "num_envs", "impl", "steps_per_s", "steps_per_s_min", "steps_per_s_max", "us_per_step"]
        + ["x_vs_warp_env", "x_vs_best_peer", "median_s", "min_s", "max_s"],
    ),
    "gpu": (
        ["--modules", "cartpole", "solve_tiled nv 9", "--archs", "80"],
        ["module", "kernel", "arch", "gpu", "registers", "spill_stores", "spill_loads", "stack_bytes", "smem_bytes"]
        + ["block_dim", "occupancy", "limiter", "static_flops", "static_bytes", "compile_s"],
    ),
    "cost": (
        ["--usd-per-hour", "1.5", "--target-steps", "1e9"],
        ["source", "env", "num_envs", "steps_per_s", "usd_per_hour", "usd_per_billion_steps", "hours_to_1e+09"],
    ),
}


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    """One folder for the whole sequence: `cost` and `report` read what the others wrote."""
    return tmp_path_factory.mktemp("throughput")


def tree_env() -> dict:
    """The environment of a subprocess that imports envs/ and benchmarks/ from this tree, installed or not."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))


def run(*args: str, cwd: str = ROOT) -> str:
    res = subprocess.run(
        [sys.executable, SCRIPT, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=tree_env()
    )
    assert res.returncode == 0, f"throughput.py {' '.join(args)} failed:\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}"
    return res.stdout


def is_number_or_empty(value: str) -> bool:
    if value == "":
        return True
    try:
        float(value)  # nan and inf parse too: no number is judged here, only that it is one
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("command", list(RUNS))
def test_subcommand_writes_csv_and_json(command, out):
    args, columns = RUNS[command]
    run(command, *args, "--out", str(out))
    with open(out / f"{command}.json") as f:
        record = json.load(f)
    assert PROVENANCE <= set(record), sorted(PROVENANCE - set(record))
    assert MACHINE <= set(record["machine"])
    assert record["command"].endswith(f"throughput.py {command} " + " ".join(args) + f" --out {out}")
    assert record["rows"], f"{command}: no rows"
    with open(out / f"{command}.csv") as f:
        reader = csv.DictReader(f)
        assert set(columns) <= set(reader.fieldnames), sorted(set(columns) - set(reader.fieldnames))
        rows = list(reader)
    assert len(rows) == len(record["rows"])
    text_columns = {"env", "impl", "module", "kernel", "arch", "gpu", "limiter", "source", "device", "hidden"}
    for row in rows:
        for k in set(columns) - text_columns:
            assert is_number_or_empty(row[k]), (command, k, row[k])


def test_gpu_report_takes_the_tiled_solve_at_its_block_width(out):
    with open(out / "gpu.json") as f:
        rows = json.load(f)["rows"]
    tiled = [r for r in rows if r["module"] == "kernels.solve_tiled nv 9"]
    cartpole = [r for r in rows if r["module"].startswith("cartpole")]
    assert tiled and all(r["block_dim"] == 32 for r in tiled)
    assert cartpole and all(r["block_dim"] == 256 for r in cartpole)


def test_peers_has_reference_and_ratios(out):
    with open(out / "peers.json") as f:
        rows = json.load(f)["rows"]
    cartpole = [r for r in rows if r["env"] == "cartpole"]
    assert any(r["impl"] == "warp (full step API)" for r in cartpole)
    assert any(r["impl"].startswith("gymnasium") for r in cartpole)
    assert all(r["x_vs_best_peer"] is not None for r in cartpole)
    assert any(r["impl"].startswith("mujoco.rollout") for r in rows if r["env"] == "ant")


def test_report_writes_figures_and_readme_section(out):
    section = out / "section.md"
    run("report", "--out", str(out), "--section", str(section))
    for name in ("steps_per_s_vs_num_envs.png", "train_phases.png", "memory_per_env.png", "README.md"):
        assert (out / name).stat().st_size > 0, name
    text = section.read_text()
    for heading in ("Env-only sweep", "PPO iteration per phase", "Side by side", "Static GPU report", "Cost"):
        assert heading in text, heading
    assert "Scaling" in text and "throughput.py report" in text


def test_bad_arguments_fail_clearly(tmp_path):
    res = subprocess.run(
        [sys.executable, SCRIPT, "train", "--env-ids", "nope", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=tree_env(),
    )
    assert res.returncode != 0 and "unknown env_id 'nope'" in res.stderr


def test_train_reads_ppo_warp_clocks(out):
    """train's phases come from ppo_warp.py's progress.csv: they add up to the iteration and the run is ppo_warp's."""
    with open(out / "train.json") as f:
        record = json.load(f)
    assert "ppo_warp.py run as is" in record["notes"]
    (row,) = record["rows"]
    assert row["iterations"] == 2 and row["num_steps"] == 8 and row["hidden"] == "32x32"
    assert all(row[f"{k}_s"] >= 0 for k in ("policy", "env_step", "update", "logging"))
    assert row["policy_s"] + row["env_step_s"] <= row["collect_s"] + 1e-6


def test_iteration_phases_split_progress_rows():
    """Synthetic progress.csv rows: totals are wall_time differences (the first from sps), logging the rest."""
    from benchmarks.train_phases import iteration_phases

    rows = [
        dict(wall_time=10.0, sps=100, collect_time=0.5, policy_time=0.2, env_step_time=0.25, update_time=0.3),
        dict(wall_time=11.5, sps=80, collect_time=0.6, policy_time=0.3, env_step_time=0.2, update_time=0.7),
    ]
    first, second = iteration_phases(rows, batch=100)
    assert first["total"] == pytest.approx(1.0) and first["logging"] == pytest.approx(0.2)
    assert second["total"] == pytest.approx(1.5) and second["logging"] == pytest.approx(0.2)
    assert second["collect_other"] == pytest.approx(0.1)


def test_default_out_is_untracked_runs_folder(tmp_path):
    """Without --out a tool writes under runs/throughput/ of the working directory (runs/ is git-ignored)."""
    run("cost", "--steps-per-s", "1e6", cwd=str(tmp_path))
    assert (tmp_path / "runs" / "throughput" / "cost.csv").exists()


def test_report_template_has_every_block():
    """Every prose block the report formats exists in benchmarks/templates/throughput_report.md."""
    from benchmarks.report import prose

    assert {"intro", "peers", "scaling", "projection", "gpu", "cost", "files"} <= set(prose())
