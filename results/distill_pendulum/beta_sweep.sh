#!/usr/bin/env bash
# DAgger with beta reaching 0 after 20% of the student's iterations instead of 50%, on the teachers of the record
# (run.py's DAgger checkpoints in $1, default runs/distill_pendulum); in-distribution evaluation appended to
# results/distill_pendulum/beta_sweep.jsonl. Run from the repository root.
set -euo pipefail
LOGS=${1:-runs/distill_pendulum}
PY=${PYTHON:-python}
for seed in 1 2 3 4 5; do
  teacher=$(ls "$LOGS"/dagger_$seed/*/checkpoint.pt)
  OMP_NUM_THREADS=1 $PY cleanppo/distill_warp.py --env-id pendulum --seed $seed --quiet --beta-decay 0.2 \
      --teacher-checkpoint "$teacher" --log-dir "$LOGS/dagger_beta0.2_$seed" | tail -n 1
  OMP_NUM_THREADS=1 $PY cleanppo/distill_warp.py --env-id pendulum --eval "$(ls "$LOGS"/dagger_beta0.2_$seed/*/checkpoint.pt)" \
      --eval-episodes 100 --seed 1001 --eval-json results/distill_pendulum/beta_sweep.jsonl | tail -n 1
done
