#!/usr/bin/env bash
# Regenerates every file in results/throughput/ and results/README_throughput_section.md (about 15 minutes on
# 2 CPU cores; run from the repository root on an otherwise idle machine, one command at a time).
set -euo pipefail
PY=.venv/bin/python
$PY cleanppo/throughput.py env --num-envs 256 1024 4096 16384 32768 65536 262144 --repeats 3
$PY cleanppo/throughput.py train --env-ids cartpole pendulum ant --num-envs 256 1024 4096 16384 --iterations 3
$PY cleanppo/throughput.py peers --env-ids cartpole pendulum ant --num-envs 256 1024 16384 --seconds 0.3
$PY cleanppo/throughput.py gpu
$PY cleanppo/throughput.py cost --usd-per-hour 0.10
$PY cleanppo/throughput.py report
