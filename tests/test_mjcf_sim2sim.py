"""benchmarks/mjcf_sim2sim.py: an MJCF file here and in MuJoCo C, side by side (the script, run small).

Gymnasium's hopper (its own floor) and a file without a floor (one is added) for 100 steps: both columns are
reported, the keyframe-less hopper starts at qpos0, and a model the simulator refuses is reported, not raised.
"""

import json
import os
import subprocess
import sys

import gymnasium

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASSETS = os.path.join(os.path.dirname(gymnasium.__file__), "envs", "mujoco", "assets")


def test_mjcf_sim2sim_reports_agreement_and_refusals(tmp_path):
    floorless = tmp_path / "pendulum.xml"
    floorless.write_text(
        '<mujoco><worldbody><body pos="0 0 1"><joint axis="0 1 0"/><geom type="capsule" fromto="0 0 0 0.3 0 0" '
        'size="0.05"/></body></worldbody></mujoco>'
    )
    refused = tmp_path / "two_floors.xml"  # two world planes: refused with contacts only (one ground plane)
    refused.write_text(
        '<mujoco><worldbody><geom type="plane" size="1 1 .1"/><geom type="plane" size="1 1 .1" pos="0 0 -1"/>'
        '<body pos="0 0 1"><freejoint/><geom type="sphere" size=".1"/></body></worldbody></mujoco>'
    )
    out = tmp_path / "out"
    files = [os.path.join(ASSETS, "hopper.xml"), str(floorless), str(refused)]
    cmd = [sys.executable, "benchmarks/mjcf_sim2sim.py", *files, "--steps", "100", "--out", str(out)]
    subprocess.run(cmd, cwd=ROOT, check=True, env={**os.environ, "PYTHONPATH": ROOT}, capture_output=True)
    rows = {r["model"]: r for r in json.loads((out / "mjcf_sim2sim.json").read_text())["rows"]}
    for name in ("hopper", "pendulum"):
        for key in ("no_contacts", "contacts"):
            assert rows[name][key]["finite"]
            assert max(rows[name][key]["max_dqpos"].values()) < 1e-4, rows[name]
    assert rows["hopper"]["contacts"]["touched"] == ["capsule"]  # the hopper's foot lands on its own floor
    assert "refused" not in rows["two_floors"]["no_contacts"]
    assert "one world plane geom" in rows["two_floors"]["contacts"]["refused"]
