#!/usr/bin/env bash
# final_eval.sh: rough_tracking.py (256 envs, 500 steps, seed 5) on each run's snapshot nearest below 175 and its
# last, in two processes (one per core); prints both outputs in run order
cd /work/main
pick() {
.venv/bin/python - "$@" <<'PY'
import glob, sys, torch
out = []
for run in sys.argv[1:]:
    its = {}
    for f in glob.glob(f"/work/runs/{run}/*/snap_*.pt"):
        its[torch.load(f, map_location="cpu", weights_only=False)["iteration"]] = f
    pick = sorted({max(i for i in its if i <= 175), max(its)})
    out += [its[i] for i in pick]
print(" ".join(out))
PY
}
A=$(pick e1_heading0 e2_flatcfg e3_blind e5_noisefree e6_privcritic)
B=$(pick e7_noiseonly e8_nonorm e9_nonorm_scan01 e10_nonorm_blind)
.venv/bin/python benchmarks/rough_tracking.py $A --envs 256 > /tmp/fa.txt 2>&1 &
.venv/bin/python benchmarks/rough_tracking.py $B --envs 256 > /tmp/fb.txt 2>&1
wait
cat /tmp/fa.txt /tmp/fb.txt | grep -v Warp
