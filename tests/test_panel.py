"""cleanppo/panel.py: a tiny cartpole panel writes a record that passes the schema, its video decodes with the
worst failure's length, labels follow the written rules, and a killed panel resumes without redoing finished runs.
"""

import csv
import importlib.util
import json
import os
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PANEL = os.path.join(ROOT, "cleanppo", "panel.py")
TINY = ["--env-id", "cartpole", "--total-timesteps", "2048", "--eval-episodes", "2"]


def _panel_module():
    spec = importlib.util.spec_from_file_location("panel_under_test", PANEL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(args, cwd, timeout=600):
    p = subprocess.run([sys.executable, PANEL, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    return p.stdout


@pytest.fixture(scope="module")
def tiny_panel(tmp_path_factory):
    out = tmp_path_factory.mktemp("panel") / "out"
    _run([*TINY, "--seeds", "3", "--perturbation", "action_delay", "--strength", "3", "--out", str(out)], ROOT)
    with open(out / "record.json") as f:
        return out, json.load(f)


def test_tiny_panel_record_passes_schema(tiny_panel):
    out, record = tiny_panel
    panel = _panel_module()
    panel.validate_record(record)
    assert record["config"]["seeds"] == [3] and record["config"]["strength"] == 3
    assert [r["method"] for r in record["runs"]] == ["ppo_warp", "rsl_rl"]
    episodes = [e for r in record["runs"] for e in r["episodes"]]
    assert len(episodes) == 2 * 2 * 2  # methods x conditions x eval episodes
    assert {e["condition"] for e in episodes} == {"nominal", "action_delay"}
    with open(out / "episodes.csv") as f:
        assert len(list(csv.DictReader(f))) == len(episodes)
    with open(out / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert [(r["method"], r["condition"]) for r in rows] == [
        ("ppo_warp", "nominal"), ("ppo_warp", "action_delay"), ("rsl_rl", "nominal"), ("rsl_rl", "action_delay"),
    ]  # fmt: skip
    for name in ("config.json", "panel.md", "worst_failure.csv", "worst_failure.mp4"):
        assert (out / name).stat().st_size > 0, name
    assert len(list((out / "traces").glob("*.csv.gz"))) == 4
    md = (out / "panel.md").read_text()
    assert "## Postmortem" in md and "| ppo_warp | action_delay |" in md
    for key in ("config", "contract", "postmortem"):
        broken = dict(record)
        del broken[key]
        with pytest.raises(ValueError, match=key):
            panel.validate_record(broken)
    broken = json.loads(json.dumps(record))
    broken["runs"][0]["episodes"][0]["label"] = "bad luck"
    with pytest.raises(ValueError, match="label"):
        panel.validate_record(broken)


def test_worst_failure_video_decodes_with_its_length(tiny_panel):
    import imageio.v3 as iio

    out, record = tiny_panel
    worst = record["worst_failure"]
    frames = iio.imread(out / "worst_failure.mp4")
    with open(out / "worst_failure.csv") as f:
        rows = list(csv.DictReader(f))
    assert frames.shape == (worst["length"], 360, 480, 3)
    assert len(rows) == worst["length"] == worst["frames"]
    assert sum(float(r["reward"]) for r in rows) == pytest.approx(worst["return"])
    episodes = [e for r in record["runs"] for e in r["episodes"]]
    failures = [e for e in episodes if e["label"] != "none"] or episodes
    assert worst["return"] == min(e["return"] for e in failures)


def _ep(**kw):
    ep = dict(end="pole_angle_out", terminated=True, truncated=False, success=False, violations=0)
    return {**ep, **kw}


def test_labels_follow_the_written_rules():
    label = _panel_module().label
    time_limit = dict(end="time_limit", terminated=False, truncated=True)
    assert label(_ep(end="non_finite"), None, None) == "evaluation"
    assert label(_ep(terminated=False, end="running"), "obs_noise", False) == "evaluation"
    assert label(_ep(success=True, **time_limit), None, None) == "none"
    assert label(_ep(success=True, violations=3, **time_limit), "action_delay", False) == "reward"
    assert label(_ep(**time_limit), None, None) == "reward"  # survived without success
    assert label(_ep(), "obs_noise", False) == "perception"
    assert label(_ep(), "action_delay", False) == "timing"
    assert label(_ep(), "friction", False) == "state"
    assert label(_ep(), "param_shift", False) == "state"
    assert label(_ep(), "obs_noise", True) == "action"  # failed nominal too: not the perturbation's doing
    assert label(_ep(), "sparse_reward", False) == "action"
    assert label(_ep(), None, None) == "action"


def test_killed_panel_resumes_without_redoing_finished_runs(tmp_path):
    out = tmp_path / "out"
    args = [*TINY, "--seeds", "3", "7", "--no-video", "--out", str(out)]
    first = out / "runs" / "ppo_warp_seed3" / "result.json"
    proc = subprocess.Popen([sys.executable, PANEL, *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while not first.exists() and proc.poll() is None:
            time.sleep(0.02)
    finally:
        proc.kill()
        proc.wait()
    assert first.exists(), "the panel ended before its first run finished: " + proc.stderr.read().decode()[-2000:]
    finished = {p: p.read_text() for p in out.glob("runs/*/result.json")}
    assert len(finished) < 4, "the panel finished every run before it was killed: nothing to resume"
    stdout = _run(args, ROOT)
    for path, text in finished.items():
        assert path.read_text() == text, f"{path} was redone"
        method, seed = path.parent.name.rsplit("_seed", 1)
        assert f"panel: {method} seed {seed} done before, kept" in stdout
    assert stdout.count("training and evaluating") == 4 - len(finished)
    with open(out / "record.json") as f:
        record = json.load(f)
    runs = sorted((r["method"], r["seed"]) for r in record["runs"])
    assert runs == [("ppo_warp", 3), ("ppo_warp", 7), ("rsl_rl", 3), ("rsl_rl", 7)]


def test_resume_refuses_another_configuration(tmp_path):
    out = tmp_path / "out"
    (out).mkdir()
    (out / "config.json").write_text(json.dumps({"config": {"env_id": "pendulum"}}))
    p = subprocess.run(
        [sys.executable, PANEL, *TINY, "--seeds", "3", "--out", str(out)], capture_output=True, text=True, cwd=ROOT
    )
    assert p.returncode != 0 and "holds a panel with other" in p.stderr


def test_second_panel_reports_only_its_own_seeds(tmp_path):
    out = tmp_path / "out"
    args = [*TINY, "--seeds", "3", "--second-panel", "--second-seeds", "5", "--no-video", "--perturbation", "obs_noise"]
    _run([*args, "--out", str(out)], ROOT)
    with open(out / "record.json") as f:
        first = json.load(f)
    with open(out / "second_panel" / "record.json") as f:
        second = json.load(f)
    assert first["second_panel"] == "second_panel/record.json"
    assert {r["seed"] for r in first["runs"]} == {3} and {r["seed"] for r in second["runs"]} == {5}
    assert all(m["seeds"] == 1 for m in first["metrics"] + second["metrics"])
    nominal = [e["return"] for r in second["runs"] for e in r["episodes"] if e["condition"] == "nominal"]
    row = next(m for m in second["metrics"] if m["method"] == "ppo_warp" and m["condition"] == "nominal")
    assert row["return_mean"] == pytest.approx(sum(nominal[:2]) / 2)  # ppo_warp's two episodes of seed 5 alone
    assert "## Postmortem" in (out / "second_panel" / "panel.md").read_text()
