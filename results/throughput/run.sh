#!/usr/bin/env bash
# Regenerates every file in results/throughput/ and results/README_throughput_section.md (about 15 minutes on
# 2 CPU cores; run from the repository root on an otherwise idle machine, one command at a time). The tools write
# to runs/throughput/ (untracked) unless given --out, so this committed record is only rewritten from here.
set -euo pipefail
PY=.venv/bin/python
OUT=results/throughput
$PY cleanppo/throughput.py env --num-envs 256 1024 4096 16384 32768 65536 262144 --repeats 3 --out $OUT
$PY cleanppo/throughput.py train --env-ids cartpole pendulum ant --num-envs 256 1024 4096 16384 --iterations 3 --out $OUT
$PY cleanppo/throughput.py peers --env-ids cartpole pendulum ant --num-envs 256 1024 16384 --seconds 0.3 --out $OUT
$PY cleanppo/throughput.py gpu --out $OUT
$PY cleanppo/throughput.py cost --usd-per-hour 0.10 --out $OUT
$PY cleanppo/throughput.py report --out $OUT --section results/README_throughput_section.md
