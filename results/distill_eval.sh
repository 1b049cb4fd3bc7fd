#!/usr/bin/env bash
# The evaluations of results/distill_gpu.sh's runs, on any machine (the GPU trains, the evaluations can run here on the
# CPU afterwards): for each algorithm's latest checkpoint under <dir>/<algo>/ (checkpoint.pt, or the policy.pt that
# benchmarks/gpu_session.sh packs), cleanppo/distill_warp.py --eval on env seed 1001 in distribution, on each held-out
# parameter range alone (mass, friction, motor strength outside the training ranges), and under perturbations
# (observation noise, action delay 1-3 steps, pushes), appended to <dir>/evals.jsonl with how the episodes ended
# (fell / timeout / nan); then a table per condition: returns, the student/teacher ratio and the gap closed against
# the teacher of the first distilled run (same env draws).
#
#   bash results/distill_eval.sh <env_id> <dir> [algo ...]   (repository root; algos: those with a run under <dir>)
# EPISODES (default 512), DEVICE (default auto), PYTHON.
set -euo pipefail
ENV_ID=$1
DIR=$2
shift 2
ALGOS=("$@")
if [ ${#ALGOS[@]} -eq 0 ]; then
  for a in dagger bc rslrl asym_ppo ppo; do [ -d "$DIR/$a" ] && ALGOS+=("$a"); done
fi
PY=${PYTHON:-python}
case $ENV_ID in
  ant)  # trained on friction x U(0.5, 1.25), mass x U(0.7, 1.3), strength 1
    HELD=("mass:--mass-scale 1.3 1.6" "friction:--friction-scale 0.25 0.5" "strength:--strength-scale 0.7 0.8")
    PUSH=(--push-vel 1.0 --push-interval-s 2.0)
    NOISE=(--obs-noise-std 0.06) ;;
  anymal_c)  # trained on friction x U(0.5, 1.25), base mass x U(0.74, 1.26), strength 1; all three held-out ranges
    # at once made every teacher and zero-action episode fall (results/h200_2026-11-27_a6d2454), so one at a time
    HELD=("mass:--mass-scale 1.26 1.5" "friction:--friction-scale 0.25 0.5" "strength:--strength-scale 0.7 0.8")
    PUSH=(--push-vel 1.5 --push-interval-s 3.0)
    NOISE=(--obs-noise-std 0.05) ;;  # Gaussian, on top of the env's own uniform noise
  *) echo "distill_eval.sh: no evaluation conditions for $ENV_ID (ant, anymal_c)" >&2; exit 2 ;;
esac
for algo in "${ALGOS[@]}"; do
  CKPT=$(ls -t "$DIR/$algo"/*/checkpoint.pt "$DIR/$algo"/*/policy.pt 2>/dev/null | head -n 1 || true)
  [ -n "$CKPT" ] || { echo "distill_eval.sh: no checkpoint under $DIR/$algo" >&2; exit 2; }
  EVAL=(--env-id "$ENV_ID" --device "${DEVICE:-auto}" --eval "$CKPT" --eval-episodes "${EPISODES:-512}" --seed 1001
        --eval-json "$DIR/evals.jsonl")
  $PY cleanppo/distill_warp.py "${EVAL[@]}" --eval-label in_distribution
  for held in "${HELD[@]}"; do
    # shellcheck disable=SC2086  # the range's flags, split on purpose
    $PY cleanppo/distill_warp.py "${EVAL[@]}" --eval-label "held_out_${held%%:*}" ${held#*:}
  done
  $PY cleanppo/distill_warp.py "${EVAL[@]}" --eval-label obs_noise "${NOISE[@]}"
  $PY cleanppo/distill_warp.py "${EVAL[@]}" --eval-label action_delay_1_3 --action-delay 1 3
  $PY cleanppo/distill_warp.py "${EVAL[@]}" --eval-label pushes "${PUSH[@]}"
done
$PY - "$DIR/evals.jsonl" <<'PYEOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
teacher = {r["label"]: r for r in rows if "teacher_return" in r}  # the last distilled run's teacher
algos = list(dict.fromkeys(r["student_algo"] for r in rows))
print("condition | teacher | zero | " + " | ".join(f"{a}: return, /teacher, gap closed, fell" for a in algos))
for label, t in teacher.items():
    T, Z = t["teacher_return"], t["zero_return"]
    cells = []
    for a in algos:
        r = [r for r in rows if r["student_algo"] == a and r["label"] == label]
        if not r:
            cells.append("-")
            continue
        S = r[-1]["student_return"]
        cells.append(f"{S:.1f}, {S / T:.2f}, {(S - Z) / (T - Z):.2f}, {r[-1]['student_fell']}/{r[-1]['episodes']}")
    print(f"{label} | {T:.1f} (fell {t['teacher_fell']}/{t['episodes']}) | {Z:.1f} | " + " | ".join(cells))
PYEOF
