#!/usr/bin/env bash
# cleanppo/distill_warp.py on a GPU, one env, the algorithms compared at equal env steps: for each algorithm one
# training run at the env's preset (the PPO baselines, asym_ppo and the direct ppo, get the teacher's and the
# student's env steps together), then (unless EVAL=0) results/distill_eval.sh: each run's deterministic evaluation in
# distribution, on held-out parameter ranges and under perturbations, and the table per condition.
#
#   bash results/distill_gpu.sh <env_id> [algo ...]   (repository root; algos default: dagger asym_ppo ppo)
#   ant:      preset 16384 envs, teacher 36M + student 8M env steps (friction x U(0.5, 1.25), mass x U(0.7, 1.3))
#   anymal_c: preset 4096 envs, teacher 300 + student 100 iterations of 4096 x 24 (ppo_warp's anymal_c PPO)
# Writes under ${OUT:-/tmp}/distill_<env_id> (distill_<env_id>_seed<SEED> when SEED is set; the training seed, default
# 1). EVAL=0: train only, for a GPU's short lease; evaluate afterwards on any machine with results/distill_eval.sh.
# TEACHER_CKPT: a ppo_warp.py or distill_warp.py checkpoint as the teacher instead of training one. A CPU smoke run
# shrinks the budgets: TEACHER_STEPS, STUDENT_STEPS, NUM_ENVS, EPISODES, DEVICE. BLOCK: the env's CUDA threads per
# block (distill_warp.py --env-block-dim; 0: enough blocks for every SM).
# Run it again with the same OUT and SEED to go on after an interruption: an algorithm whose run finished (DONE in
# its folder) is skipped, an unfinished one resumes from its checkpoint. SAVE_MINUTES (default 0: none until the end
# or a stop signal) writes one every so many minutes, for runs longer than a machine may stay up (CPU campaigns).
set -euo pipefail
ENV_ID=$1
shift
ALGOS=("$@")
[ ${#ALGOS[@]} -gt 0 ] || ALGOS=(dagger asym_ppo ppo)
PY=${PYTHON:-python}
DEV=${DEVICE:-auto}
DIR=${OUT:-/tmp}/distill_$ENV_ID${SEED:+_seed$SEED}
case $ENV_ID in
  ant) BUDGET=(--teacher-timesteps "${TEACHER_STEPS:-36000000}" --total-timesteps "${STUDENT_STEPS:-8000000}") ;;
  anymal_c) BUDGET=(--teacher-timesteps "${TEACHER_STEPS:-29491200}" --total-timesteps "${STUDENT_STEPS:-9830400}") ;;
  *) echo "distill_gpu.sh: no budget or evaluation conditions for $ENV_ID (ant, anymal_c)" >&2; exit 2 ;;
esac
BUDGET+=(--seed "${SEED:-1}")
[ -n "${NUM_ENVS:-}" ] && BUDGET+=(--num-envs "$NUM_ENVS")
[ -n "${TEACHER_CKPT:-}" ] && BUDGET+=(--teacher-checkpoint "$TEACHER_CKPT")
mkdir -p "$DIR"
start=$(date +%s)
SAVE=(--save-every 0 --save-minutes "${SAVE_MINUTES:-0}" --quiet ${BLOCK:+--env-block-dim $BLOCK})
for algo in "${ALGOS[@]}"; do
  if [ -f "$DIR/$algo/DONE" ]; then
    echo "distill_gpu.sh $ENV_ID $algo: finished before ($DIR/$algo/DONE), skipped"
    continue
  fi
  PREV=$(ls -t "$DIR/$algo"/*/checkpoint.pt 2>/dev/null | head -n 1 || true)
  if [ -n "$PREV" ]; then  # an interrupted run (a signal, a lost session): continue it, bit for bit
    echo "distill_gpu.sh $ENV_ID $algo: resuming $PREV"
    $PY cleanppo/distill_warp.py --resume "$PREV" "${SAVE[@]}"
  else
    $PY cleanppo/distill_warp.py --env-id "$ENV_ID" --device "$DEV" --student-algo "$algo" "${BUDGET[@]}" \
      --log-dir "$DIR/$algo" "${SAVE[@]}"
  fi
  touch "$DIR/$algo/DONE"
  CKPT=$(ls -t "$DIR/$algo"/*/checkpoint.pt | head -n 1)
  cut -d, -f1,2,5,8 "$(dirname "$CKPT")/progress.csv" | awk 'NR == 1 || NR % 20 == 0'  # iteration, step, return, SPS
  echo "distill_gpu.sh $ENV_ID $algo: $(($(date +%s) - start)) s so far"
done
[ "${EVAL:-1}" = 0 ] || DEVICE=$DEV PYTHON=$PY bash "$(dirname "$0")/distill_eval.sh" "$ENV_ID" "$DIR" "${ALGOS[@]}"
echo "distill_gpu.sh $ENV_ID ${ALGOS[*]}: $(($(date +%s) - start)) s in all"
