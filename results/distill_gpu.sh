#!/usr/bin/env bash
# cleanppo/distill_warp.py on a GPU, one env, the algorithms compared at equal env steps: for each algorithm one
# training run at the env's preset (the PPO baselines, asym_ppo and the direct ppo, get the teacher's and the
# student's env steps together), then its deterministic evaluation on env seed 1001 in distribution, on held-out
# parameter ranges and under perturbations (observation noise, action delay 1-3 steps, pushes), appended to
# evals.jsonl with how the episodes ended (fell / timeout / nan); at the end a table per condition: returns, the
# student/teacher ratio and the gap closed against the teacher of the first distilled run (same env draws).
#
#   bash results/distill_gpu.sh <env_id> [algo ...]   (repository root; algos default: dagger asym_ppo ppo)
#   ant:      preset 16384 envs, teacher 36M + student 8M env steps (friction x U(0.5, 1.25), mass x U(0.7, 1.3))
#   anymal_c: preset 4096 envs, teacher 300 + student 100 iterations of 4096 x 24 (ppo_warp's anymal_c PPO)
# Writes under ${OUT:-/tmp}/distill_<env_id>. TEACHER_CKPT: a ppo_warp.py or distill_warp.py checkpoint as the
# teacher instead of training one. A CPU smoke run shrinks the budgets: TEACHER_STEPS, STUDENT_STEPS, NUM_ENVS,
# EPISODES, DEVICE.
set -euo pipefail
ENV_ID=$1
shift
ALGOS=("$@")
[ ${#ALGOS[@]} -gt 0 ] || ALGOS=(dagger asym_ppo ppo)
PY=${PYTHON:-python}
DEV=${DEVICE:-auto}
DIR=${OUT:-/tmp}/distill_$ENV_ID
case $ENV_ID in
  ant)
    BUDGET=(--teacher-timesteps "${TEACHER_STEPS:-36000000}" --total-timesteps "${STUDENT_STEPS:-8000000}")
    HELD=(--mass-scale 1.3 1.6 --friction-scale 0.25 0.5 --strength-scale 0.7 0.8)
    PUSH=(--push-vel 1.0 --push-interval-s 2.0)
    NOISE=(--obs-noise-std 0.06) ;;
  anymal_c)
    BUDGET=(--teacher-timesteps "${TEACHER_STEPS:-29491200}" --total-timesteps "${STUDENT_STEPS:-9830400}")
    HELD=(--mass-scale 1.26 1.5 --friction-scale 0.25 0.5 --strength-scale 0.7 0.8)
    PUSH=(--push-vel 1.5 --push-interval-s 3.0)
    NOISE=(--obs-noise-std 0.05) ;;  # Gaussian, on top of the env's own uniform noise
  *) echo "distill_gpu.sh: no evaluation conditions for $ENV_ID (ant, anymal_c)" >&2; exit 2 ;;
esac
[ -n "${NUM_ENVS:-}" ] && BUDGET+=(--num-envs "$NUM_ENVS")
[ -n "${TEACHER_CKPT:-}" ] && BUDGET+=(--teacher-checkpoint "$TEACHER_CKPT")
mkdir -p "$DIR"
start=$(date +%s)
for algo in "${ALGOS[@]}"; do
  $PY cleanppo/distill_warp.py --env-id "$ENV_ID" --device "$DEV" --student-algo "$algo" "${BUDGET[@]}" \
    --save-every 0 --save-minutes 0 --log-dir "$DIR/$algo" --quiet
  CKPT=$(ls -t "$DIR/$algo"/*/checkpoint.pt | head -n 1)
  cut -d, -f1,2,5,8 "$(dirname "$CKPT")/progress.csv" | awk 'NR == 1 || NR % 20 == 0'  # iteration, step, return, SPS
  EVAL=(--env-id "$ENV_ID" --device "$DEV" --eval "$CKPT" --eval-episodes "${EPISODES:-512}" --seed 1001
        --eval-json "$DIR/evals.jsonl")
  $PY cleanppo/distill_warp.py "${EVAL[@]}" --eval-label in_distribution
  $PY cleanppo/distill_warp.py "${EVAL[@]}" --eval-label held_out "${HELD[@]}"
  $PY cleanppo/distill_warp.py "${EVAL[@]}" --eval-label obs_noise "${NOISE[@]}"
  $PY cleanppo/distill_warp.py "${EVAL[@]}" --eval-label action_delay_1_3 --action-delay 1 3
  $PY cleanppo/distill_warp.py "${EVAL[@]}" --eval-label pushes "${PUSH[@]}"
  echo "distill_gpu.sh $ENV_ID $algo: $(($(date +%s) - start)) s so far"
done
$PY - "$DIR/evals.jsonl" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
teacher = {r["label"]: r for r in rows if "teacher_return" in r}  # the last distilled run's teacher
algos = list(dict.fromkeys(r["student_algo"] for r in rows))
print("condition | teacher | zero | " + " | ".join(f"{a}: return, /teacher, gap closed, fell" for a in algos))
for label, t in teacher.items():
    T, Z = t["teacher_return"], t["zero_return"]
    cells = []
    for a in algos:
        r = [r for r in rows if r["student_algo"] == a and r["label"] == label][-1]
        S = r["student_return"]
        cells.append(f"{S:.1f}, {S / T:.2f}, {(S - Z) / (T - Z):.2f}, {r['student_fell']}/{r['episodes']}")
    print(f"{label} | {T:.1f} (fell {t['teacher_fell']}) | {Z:.1f} | " + " | ".join(cells))
EOF
echo "distill_gpu.sh $ENV_ID ${ALGOS[*]}: $(($(date +%s) - start)) s in all"
