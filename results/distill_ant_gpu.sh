#!/usr/bin/env bash
# One GPU check of cleanppo/distill_warp.py on ant with randomized friction (0.5-1.25) and mass (0.7-1.3) and
# observation noise 0.02 (the script's ant preset, 16384 envs): a teacher PPO on privileged observations for
# 36M env steps, then a DAgger student for 8M, evaluated deterministically in distribution and on held-out ranges
# (mass 1.3-1.6, friction 0.25-0.5). Planned to take under 90 s on one H100 (ppo_warp.py's ant: 50M steps in 40 s).
# With the argument `asym`, the direct baseline instead: asymmetric actor-critic PPO for the same 44M env steps.
#
#   bash results/distill_ant_gpu.sh [asym]        (repository root; writes under ${OUT:-/tmp}/distill_ant)
# Budgets can be shrunk for a smoke run on a CPU: TEACHER_STEPS, STUDENT_STEPS, NUM_ENVS, EPISODES, DEVICE.
set -euo pipefail
PY=${PYTHON:-python}
DIR=${OUT:-/tmp}/distill_ant${1:+_$1}
FLAGS=(--env-id ant --num-envs "${NUM_ENVS:-16384}" --device "${DEVICE:-auto}")
BUDGET=(--teacher-timesteps "${TEACHER_STEPS:-36000000}" --total-timesteps "${STUDENT_STEPS:-8000000}")
ALGO=(--student-algo "$([ "${1:-}" = asym ] && echo asym_ppo || echo dagger)")
start=$(date +%s)
$PY cleanppo/distill_warp.py "${FLAGS[@]}" "${BUDGET[@]}" "${ALGO[@]}" --save-every 0 --save-minutes 0 \
    --log-dir "$DIR" --quiet
CKPT=$(ls "$DIR"/*/checkpoint.pt | tail -n 1)
EVAL=(--env-id ant --device "${DEVICE:-auto}" --eval "$CKPT" --eval-episodes "${EPISODES:-1024}" --eval-json "$DIR/evals.jsonl")
$PY cleanppo/distill_warp.py "${EVAL[@]}"                                                  # in distribution
$PY cleanppo/distill_warp.py "${EVAL[@]}" --mass-scale 1.3 1.6 --friction-scale 0.25 0.5  # held out
cut -d, -f1,2,5,8 "$(dirname "$CKPT")/progress.csv" | awk 'NR == 1 || NR % 10 == 0'    # iteration, step, return, SPS
echo "distill_ant_gpu.sh ${1:-dagger}: $(( $(date +%s) - start )) s in all"
