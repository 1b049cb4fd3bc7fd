"""benchmarks/gpu_session.sh, the lent GPU minutes' one command, on the CPU (DRY_RUN=1, tiny budgets): a stage that
would fail on the GPU for a typo or a changed flag fails here; benchmarks/learning_clock.py's training clock."""

import os
import re
import subprocess
import sys
import tarfile
from types import SimpleNamespace

import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "gpu_session.sh")


def _dry_run(tmp_path, *stages: str, env: dict | None = None) -> tuple[subprocess.CompletedProcess, str]:
    """The script in a dry run with `env` (variables over the defaults: RUNS, BASE, ROUGH_RESUME, ...)."""
    env = {**os.environ, "DRY_RUN": "1", "OUT": str(tmp_path / "out"), "RUNS": str(tmp_path / "runs"), **(env or {})}
    env["PYTHON"] = sys.executable
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    p = subprocess.run(["bash", SCRIPT, "600", "test", *stages], cwd=ROOT, env=env, capture_output=True, text=True)
    with open(tmp_path / "out" / "log.txt") as f:
        return p, f.read()


def test_every_stage_of_the_plan_has_a_case():
    text = open(SCRIPT).read()
    plan = re.search(r"^PLAN=\((.*)\)$", text, re.M).group(1).split()
    cases = {c for alt in re.findall(r"^    ([\w|]+)\)", text, re.M) for c in alt.split("|")}
    assert plan and set(plan) <= cases, set(plan) - cases


def test_dry_run_of_the_mission_stage_clocks_its_snapshots_and_packs_the_policy(tmp_path):
    p, log = _dry_run(tmp_path, "info", "ant")
    assert p.returncode == 0, log[-3000:]
    assert "== ant rc=0" in log and "== ant-clock rc=0" in log and "done: 0 failed" in log
    assert re.search(r"ant: forward >= 3 per step .*: (never|first at)", log)
    names = tarfile.open(tmp_path / "out" / "runs.tar.gz").getnames()
    assert any(n.endswith("learning_clock.json") for n in names) and any(n.endswith("policy.pt") for n in names)
    assert not any("snap_" in n or n.endswith("checkpoint.pt") for n in names)  # snapshots and env state dropped
    with tarfile.open(tmp_path / "out" / "runs.tar.gz") as tar:  # the packed policy is a checkpoint --eval reads
        tar.extract(next(n for n in names if n.endswith("policy.pt")), tmp_path / "unpacked", filter="data")
    from cleanppo_utils import runs

    ckpt = runs.load_checkpoint(str(next((tmp_path / "unpacked").rglob("policy.pt"))))
    assert "env_state" not in ckpt and ckpt["agent"] and ckpt["obs_rms"] and ckpt["args"]["env_id"] == "ant"


def test_dry_run_of_the_block_size_stages_sweeps_both_sizes_and_trains_with_auto_blocks(tmp_path):
    p, log = _dry_run(tmp_path, "blocks", "ant_auto")
    assert p.returncode == 0, log[-3000:]
    assert "== blocks rc=0" in log and "== ant_auto rc=0" in log and "done: 0 failed" in log
    import csv
    import json

    with tarfile.open(tmp_path / "out" / "runs.tar.gz") as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    sweep = next((tmp_path / "unpacked").rglob("blocks/env.csv"))
    rows = list(csv.DictReader(open(sweep)))
    assert {(r["env"], r["block_dim"]) for r in rows} == {(e, b) for e in ("ant", "anymal_c") for b in ("256", "0")}
    config = json.load(open(next((tmp_path / "unpacked").rglob("ant_auto/*/config.json"))))
    assert config["args"]["env_block_dim"] == 0


def test_dry_run_of_the_cones_stage_times_both_friction_cones(tmp_path):
    p, log = _dry_run(tmp_path, "cones")
    assert p.returncode == 0 and "== cones rc=0" in log, log[-3000:]
    assert "pyramidal cone, 4 envs" in log and "elliptic cone, 4 envs" in log


def test_dry_run_of_the_planar_stage_trains_and_evaluates_hopper_and_walker2d(tmp_path):
    p, log = _dry_run(tmp_path, "planar")
    assert p.returncode == 0 and "done: 0 failed" in log, log[-3000:]
    for label in ("hopper", "walker2d", "hopper4k"):
        assert f"== {label} rc=0" in log and f"== {label}-eval rc=0" in log


def test_a_failed_or_unknown_stage_fails_the_session(tmp_path):
    p, log = _dry_run(tmp_path, "no_such_stage")
    assert p.returncode != 0 and "unknown stage no_such_stage" in log and "done: 1 failed" in log


def test_training_clock_counts_from_the_end_of_the_first_iteration(tmp_path):
    from benchmarks.learning_clock import train_seconds

    csv = tmp_path / "progress.csv"
    csv.write_text("iteration,global_step,wall_time\n1,10,100.0\n2,20,100.5\n3,30,101.0\n4,40,102.0\n5,50,102.5\n")
    # the median iteration (0.5 s) stands for iteration 1 (its compile and capture left out)
    assert train_seconds(str(csv), 0) == pytest.approx({1: 0.5, 2: 1.0, 3: 1.5, 4: 2.5, 5: 3.0})
    # and for the interval after each checkpoint save (iteration 3's: 1.0 s, the save included)
    assert train_seconds(str(csv), 3) == pytest.approx({1: 0.5, 2: 1.0, 3: 1.5, 4: 2.0, 5: 2.5})
    # a run resumed after a 60 s pause: with gap_factor the pause counts as the median iteration, without it in full
    csv.write_text("iteration,global_step,wall_time\n1,10,100.0\n2,20,100.5\n3,30,101.0\n4,40,161.0\n5,50,161.5\n")
    assert train_seconds(str(csv), 0, gap_factor=10) == pytest.approx({1: 0.5, 2: 1.0, 3: 1.5, 4: 2.0, 5: 2.5})
    assert train_seconds(str(csv), 0)[5] == pytest.approx(62.0)


def test_dry_run_of_rough_long_resumes_on_a_second_call_and_reads_the_terrain_levels(tmp_path):
    """rough_long twice on the same machine (the same RUNS folder): the second call resumes the first's full
    checkpoint (kept out of the transfer), and terrain_levels.json spans both calls' snapshots; a later session (a
    fresh machine: another RUNS folder) goes on from the first call's packed resume file (ROUGH_RESUME)."""
    import json

    carried = tmp_path / "carried"
    carried.mkdir()
    for call in range(2):
        p, log = _dry_run(tmp_path, "rough_long")
        assert p.returncode == 0 and "rough_long-levels rc=0" in log, log[-3000:]
        assert ("--resume" in log) == (call == 1)
        if call == 0:  # what a session takes home: the resume file, env state included, and the run's progress
            packed = torch.load(tmp_path / "out" / "rough_long_resume.pt", map_location="cpu", weights_only=False)
            assert packed["iteration"] == 3 and packed["env_state"] and "sim.hfield" not in packed["env_state"]
            (tmp_path / "out" / "rough_long_resume.pt").rename(carried / "rough_long_resume.pt")
            (run,) = (tmp_path / "runs" / "rough_long").iterdir()
            (carried / "rough_long_progress.csv").write_text((run / "progress.csv").read_text())
    assert (run / "config_resume.json").exists() and (run / "checkpoint_full.pt").exists()
    rows = json.load(open(run / "terrain_levels.json"))["rows"]
    assert rows[-1]["iteration"] == 6 and 0 <= rows[-1]["stairs_up"] <= 9
    names = tarfile.open(tmp_path / "out" / "runs.tar.gz").getnames()
    assert not any("checkpoint_full" in n or n.endswith("resume.pt") for n in names)
    env = dict(RUNS=str(tmp_path / "runs2"), ROUGH_RESUME=str(carried / "rough_long_resume.pt"))
    p, log = _dry_run(tmp_path, "rough_long", env=env)
    assert p.returncode == 0 and "--resume" in log, log[-3000:]
    (run2,) = (tmp_path / "runs2" / "rough_long").iterdir()
    assert run2.name == run.name
    iterations = [int(r.split(",")[0]) for r in (run2 / "progress.csv").read_text().split("\n")[1:] if r]
    assert iterations == list(range(1, 7))  # the earlier session's three rows, then three more from its state
    resumed = torch.load(run2 / "checkpoint_full.pt", map_location="cpu", weights_only=False)
    assert resumed["iteration"] == 6 and resumed["args"]["log_dir"] == str(tmp_path / "runs2" / "rough_long")
    (tmp_path / "garbage.pt").write_text("not a checkpoint")
    for bad in (tmp_path / "missing.pt", tmp_path / "garbage.pt"):  # no file, not a checkpoint: said, failed
        env = dict(RUNS=str(tmp_path / "runs3"), OUT=str(tmp_path / "out3" / bad.stem), ROUGH_RESUME=str(bad))
        p, _ = _dry_run(tmp_path, "rough_long", env=env)
        log = (tmp_path / "out3" / bad.stem / "log.txt").read_text()
        assert p.returncode != 0 and "rough_long: " in log and "done: 1 failed" in log, log[-2000:]
        assert "--resume" not in log and not (tmp_path / "runs3" / "rough_long").exists()


def test_dry_run_of_rough_ab_trains_each_variant_with_its_flags_and_tracks_it(tmp_path, monkeypatch):
    """rough_ab: one short preset run per variant in $AB, its flags in the run's config (after the preset's own
    env_kwargs), its curriculum's levels and rough_tracking.py (with --moves) on each; an unknown variant fails the
    session."""
    import json

    monkeypatch.setenv("AB", "preset legacy nosuch")  # (blind, seed2: more flag variants, left out for time)
    p, log = _dry_run(tmp_path, "rough_ab")
    assert p.returncode != 0 and "unknown rough_ab variant nosuch" in log and "done: 1 failed" in log, log[-3000:]
    for v in ("preset", "legacy"):
        for step in ("", "-levels", "-track"):
            assert f"== rough_ab_{v}{step} rc=0" in log, log[-3000:]
    args = {v: json.load(open(next((tmp_path / "runs" / f"rough_ab_{v}").rglob("config.json"))))["args"]
            for v in ("preset", "legacy")}  # fmt: skip
    assert args["preset"]["hidden"] == [512, 256, 128] and args["preset"]["env_kwargs"] == ["height_scale=0.5"]
    assert not args["preset"]["norm_obs"] and args["legacy"]["norm_obs"]
    assert args["legacy"]["env_kwargs"] == ["height_scale=0.5", "height_scale=5.0"]
    assert len(re.findall(r"tracking_lin_vel [\d.]+ \(\d+%\)", log)) == 2
    assert len(re.findall(r"curriculum after the first episode", log)) == 2
    for v in ("preset", "legacy"):  # the levels table, and no snapshot left for the packing
        run = next((tmp_path / "runs" / f"rough_ab_{v}").iterdir())
        assert (run / "terrain_levels.json").exists() and not list(run.glob("snap_*.pt"))


def test_terrain_levels_figure_from_the_saved_rows(tmp_path):
    """--from-json plots an earlier --out's rows (the record keeps the rows, not the snapshots) as a PNG."""
    import json

    from benchmarks.terrain_levels import KINDS

    rows = [dict(iteration=i, train_s=10.0 * i, all=0.1 * i, **{k: 0.2 * i for k in KINDS}) for i in (1, 2, 3)]
    saved = tmp_path / "levels.json"
    saved.write_text(json.dumps(dict(run_dir="r", num_rows=10, num_cols=20, rows=rows)))
    png = tmp_path / "levels.png"
    p = subprocess.run([sys.executable, "benchmarks/terrain_levels.py", "--from-json", str(saved), "--plot", str(png)],
                       cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ROOT})  # fmt: skip
    assert p.returncode == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", p.stderr
    p = subprocess.run([sys.executable, "benchmarks/terrain_levels.py"], cwd=ROOT, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": ROOT})  # fmt: skip
    assert p.returncode == 2 and "give a run folder or --from-json" in p.stderr


def test_terrain_levels_by_kind_follow_the_columns():
    """Env i walks column i % num_cols: levels set per column give each terrain type's mean and the stairs' step."""
    import numpy as np

    from benchmarks.terrain_levels import levels_by_kind
    from envs.terrain import terrain_kind

    num_rows, num_cols = 10, 20
    kinds = [terrain_kind(j / num_cols + 0.001) for j in range(num_cols)]
    levels = np.array([9 if kinds[i % num_cols] == "stairs_up" else 2 for i in range(60)], dtype=np.int32)
    out = levels_by_kind(levels, num_rows, num_cols)
    assert out["stairs_up"] == 9 and out["stairs_down"] == 2 and out["discrete"] == 2
    assert out["stairs_up_top2"] == 1.0 and out["stairs_down_top2"] == 0.0
    assert abs(out["stairs_up_step_m"] - (0.05 + 0.18 * 0.9)) < 1e-12
    assert abs(out["all"] - levels.mean()) < 1e-12


@pytest.mark.parametrize("num_rows", [2, 5, 10])
def test_terrain_levels_mastery_is_the_always_promoted_chains_stationary_mean(num_rows):
    """Every episode promoted: level k -> k + 1, past the last a uniform draw; the chain's stationary mean."""
    import numpy as np

    from benchmarks.terrain_levels import mastery_level

    P = np.zeros((num_rows, num_rows))
    for k in range(num_rows - 1):
        P[k, k + 1] = 1.0
    P[num_rows - 1, :] = 1.0 / num_rows
    w, v = np.linalg.eig(P.T)
    pi = np.real(v[:, np.argmin(abs(w - 1.0))])
    pi /= pi.sum()
    assert abs(mastery_level(num_rows) - pi @ np.arange(num_rows)) < 1e-9
    assert abs(pi[-2:].sum() - (2 * num_rows - 1) / (num_rows * (num_rows + 1) / 2)) < 1e-9  # 35% at 10 levels


def test_terrain_levels_refuses_another_env_and_a_checkpoint_without_env_state(tmp_path):
    import torch

    from benchmarks.terrain_levels import snapshot_levels

    base = dict(iteration=5, agent={}, obs_rms={}, optimizer={}, global_step=0)
    torch.save(dict(base, args={"env_id": "anymal_c"}, env_state={}), tmp_path / "flat.pt")
    with pytest.raises(SystemExit, match="not anymal_c_rough"):
        snapshot_levels(str(tmp_path / "flat.pt"))
    torch.save(dict(base, args={"env_id": "anymal_c_rough"}, env_state={}), tmp_path / "packed.pt")
    with pytest.raises(SystemExit, match="no env state"):
        snapshot_levels(str(tmp_path / "packed.pt"))
    levels = torch.tensor([0, 3, 9], dtype=torch.int32).view(torch.uint8)
    torch.save(dict(base, args={"env_id": "anymal_c_rough"}, env_state={"terrain.level": levels}), tmp_path / "ok.pt")
    iteration, _, got = snapshot_levels(str(tmp_path / "ok.pt"))
    assert iteration == 5 and got.tolist() == [0, 3, 9]


def test_distill_gpu_sh_skips_finished_runs_and_resumes_interrupted_ones(tmp_path):
    # PYTHON is a stand-in that records its arguments: what the script would run, without training anything
    calls, fake = tmp_path / "calls.txt", tmp_path / "fake_python.sh"
    fake.write_text(
        f'#!/bin/bash\necho "$*" >> {calls}\nd=$(echo "$*" | grep -o -- "--log-dir [^ ]*" | cut -d" " -f2)\n'
        '[ -n "$d" ] && mkdir -p "$d/run" && touch "$d/run/checkpoint.pt" "$d/run/progress.csv"\nexit 0\n'
    )
    fake.chmod(0o755)
    out = tmp_path / "out"
    env = dict(os.environ, OUT=str(out), SEED="3", EVAL="0", PYTHON=str(fake), SAVE_MINUTES="5")
    script = os.path.join(ROOT, "results", "distill_gpu.sh")
    run_dir = out / "distill_anymal_c_seed3"
    (run_dir / "dagger").mkdir(parents=True)
    (run_dir / "dagger" / "DONE").touch()  # finished before: skipped
    (run_dir / "ppo" / "old").mkdir(parents=True)
    (run_dir / "ppo" / "old" / "checkpoint.pt").touch()  # interrupted: resumed
    (run_dir / "ppo" / "old" / "progress.csv").touch()
    p = subprocess.run(["bash", script, "anymal_c", "dagger", "ppo", "asym_ppo"], cwd=ROOT, env=env,
                       capture_output=True, text=True)  # fmt: skip
    assert p.returncode == 0, p.stderr
    lines = calls.read_text().splitlines()
    assert len(lines) == 2 and "dagger: finished before" in p.stdout
    assert lines[0].startswith(f"cleanppo/distill_warp.py --resume {run_dir / 'ppo' / 'old' / 'checkpoint.pt'} ")
    assert "--save-minutes 5" in lines[0] and "--env-id" not in lines[0]  # a resume changes only the safe flags
    assert "--student-algo asym_ppo" in lines[1] and "--seed 3" in lines[1] and "--save-minutes 5" in lines[1]
    assert all((run_dir / a / "DONE").exists() for a in ("dagger", "ppo", "asym_ppo"))


def test_learning_clock_evaluates_in_the_task_the_run_trained_on(tmp_path, monkeypatch):
    """A run's --env-kwargs (saved in its snapshots' args) build the env the clock evaluates in."""
    import torch

    from benchmarks import learning_clock

    run = tmp_path / "run"
    run.mkdir()
    (run / "progress.csv").write_text("iteration,global_step,wall_time\n1,10,100.0\n2,20,100.5\n")
    args = {"env_id": "cartpole", "env_kwargs": ["max_episode_steps=7"], "save_every": 1}
    torch.save({"args": args, "iteration": 1, "global_step": 10, "agent": {}}, run / "snap_1.pt")
    seen = {}

    def make(env_id, **kwargs):
        seen.update(kwargs, env_id=env_id)
        raise KeyboardInterrupt  # stop before any evaluation

    monkeypatch.setattr(learning_clock.envs, "make", make)
    a = SimpleNamespace(run_dir=str(run), glob="snap_*.pt", episodes=2, device="cpu", seed=0, steps=3)
    with pytest.raises(KeyboardInterrupt):
        learning_clock.main(a)
    assert seen["env_id"] == "cartpole" and seen["max_episode_steps"] == 7


def test_dry_run_of_the_pipeline_stages_sweeps_three_paths_times_kernels_and_solves_and_trains_fused(tmp_path):
    import csv
    import json

    p, log = _dry_run(tmp_path, "pipelines", "kernels", "solve_tiles", "ant_fused")
    assert p.returncode == 0 and "== pipelines rc=0" in log and "== ant_fused rc=0" in log, log[-3000:]
    assert "== kernels rc=0" in log and "== solve_tiles rc=0" in log and "== solve_tiles_fallback rc=0" in log
    with tarfile.open(tmp_path / "out" / "runs.tar.gz") as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    rows = list(csv.DictReader(open(next((tmp_path / "unpacked").rglob("pipelines/env.csv")))))
    assert {(r["env"], r["pipeline"]) for r in rows} == {
        (e, q) for e in ("ant", "anymal_c") for q in ("split", "fused", "fused_env_major")
    }
    kernels = list(csv.DictReader(open(next((tmp_path / "unpacked").rglob("kernels/kernels.csv")))))
    smooth = [r for r in kernels if r["kernel"] == "_smooth_kernel"]  # split only: once per substep
    assert {(r["env"], r["pipeline"]) for r in smooth} == {("ant", "split"), ("anymal_c", "split")}
    assert {r["kernel"] for r in kernels if r["pipeline"] == "fused"} >= {"act", "_step_kernel", "task"}
    tiles = list(csv.DictReader(open(next((tmp_path / "unpacked").rglob("solve_tiles/solve_tiles.csv")))))
    assert {r["variant"] for r in tiles} == {"thread", "tile"} and all(float(r["max_err"]) < 1e-5 for r in tiles)
    config = json.load(open(next((tmp_path / "unpacked").rglob("ant_fused/*/config.json"))))
    assert config["args"]["env_kwargs"] == ["pipeline='fused'"]


def test_dry_run_of_the_tiled_stages_checks_sweeps_times_and_trains_with_the_tiled_solve(tmp_path):
    import csv
    import json

    p, log = _dry_run(tmp_path, "tiled", "ant_tiled")
    assert p.returncode == 0, log[-3000:]
    for label in ("tiled-check", "tiled-env", "tiled-kernels", "ant_tiled"):
        assert f"== {label} rc=0" in log, label
    # on a CPU split_tiled (one lane per block) steps slower than split: the long rough run keeps split
    assert "anymal_c env steps/s, smallest size" in log and "will train with pipeline split_tiled" not in log
    with tarfile.open(tmp_path / "out" / "runs.tar.gz") as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    check = json.load(open(next((tmp_path / "unpacked").rglob("tiled/check.json"))))
    assert [r["env_id"] for r in check["rows"]] == ["ant", "anymal_c", "anymal_c_rough"]
    assert all(r["ok"] and r["finite"] for r in check["rows"])
    rows = list(csv.DictReader(open(next((tmp_path / "unpacked").rglob("tiled/env/env.csv")))))
    assert {(r["env"], r["pipeline"]) for r in rows} == {
        (e, q) for e in ("ant", "anymal_c") for q in ("split", "split_tiled", "fused")
    }
    kernels = list(csv.DictReader(open(next((tmp_path / "unpacked").rglob("tiled/kernels/kernels.csv")))))
    assert any(r["kernel"].startswith("_solve_kernel_tiled") for r in kernels)
    config = json.load(open(next((tmp_path / "unpacked").rglob("ant_tiled/*/config.json"))))
    assert config["args"]["env_kwargs"] == ["pipeline='split_tiled'"]


def test_dry_run_of_solve_ab_sweeps_this_tree_and_the_unpacked_base_tree_and_times_head_and_tail(tmp_path):
    import csv

    archive = tmp_path / "base.tar.gz"
    git = subprocess.run(
        f"git archive HEAD cleanppo envs kernels mjcf benchmarks | gzip > {archive}", shell=True, cwd=ROOT
    )
    assert git.returncode == 0
    env = dict(BASE=str(tmp_path / "base"), BASE_TAR=str(archive))
    p, log = _dry_run(tmp_path, "solve_ab", env=env)
    assert p.returncode == 0, log[-3000:]
    for label in ("solve_ab-new", "solve_ab-base", "solve_ab-kernels"):
        assert f"== {label} rc=0" in log, label
    assert (tmp_path / "base" / "kernels" / "forward.py").is_file()  # the archive was unpacked where BASE says
    with tarfile.open(tmp_path / "out" / "runs.tar.gz") as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    for side in ("new", "base"):
        rows = list(csv.DictReader(open(next((tmp_path / "unpacked").rglob(f"solve_ab/{side}/env.csv")))))
        assert {(r["env"], r["pipeline"]) for r in rows} == {(e, "split") for e in ("ant", "anymal_c", "humanoid")}
    kernels = {r["kernel"] for r in csv.DictReader(open(next((tmp_path / "unpacked").rglob("solve_ab/kernels/*.csv"))))}
    assert {"_solve_kernel_no_pairs", "_solve_kernel_no_pairs_tail"} <= kernels, kernels
