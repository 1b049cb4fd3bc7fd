#!/usr/bin/env bash
# One GPU session's checks in priority order under one deadline (the device tool of this workplace: a lent GPU for a
# few minutes, one command of at most 600 s). Run from the project root after `source .gpu/b/gpu-setup.sh`:
#   bash benchmarks/gpu_session.sh <seconds> <commit> [<stage> ...]      (no stage: the PLAN below, in its order)
# Each stage is skipped when less time is left than it needs (the seconds in `run`/`train` calls: its expected
# device seconds on an H100 with a warm Warp kernel cache, plus the first CUDA compile of its env). Writes
# $OUT/log.txt (everything printed) and $OUT/runs.tar.gz (progress.csv, config, learning_clock JSONs, sweep CSVs, the
# final checkpoints without their env state as policy.pt; rough terrain's checkpoint, to resume from, its env state
# dropped if the file is over 8 MB, as it is at 4,096 envs: the resumed run then starts fresh episodes).
#
# DRY_RUN=1: every stage on the CPU with tiny budgets (envs, steps, episodes), so a typo or a changed flag fails
# here and not in the lent minutes: `DRY_RUN=1 OUT=/tmp/dry bash benchmarks/gpu_session.sh 900 dry` (tests/
# test_gpu_session.py runs the cheap stages so).
#
# Expected device seconds (H100 and H200, from the b009c84, 50ef3ad, 95c558e, a6d2454, d62a2cf and 967edbc sessions;
#   first CUDA compiles included): info 5, rough_long ~390 (967edbc: the preset's 1,500 iterations in 365 s of
#   training, 0.24 s per iteration, or the call's deadline), rough_ab ~110 per variant (400 iterations), distill_anymal
#   150 per seed (a guess: a6d2454's DAgger run alone took 134 s of training with an eager update, now a CUDA graph),
#   pipelines 50, kernels 25, solve_tiles 130 (its MathDx compiles ~60 s) and its fallback 25, tiled 150 (a guess:
#   check 40, env 80, kernels 20; its kernel's first CUDA compile ~7 s per model), ant_tiled and ant_fused 100,
#   ant_auto 125, blocks 55, parity 35, distill_ant_compare 200, anymal16k_2min 175, anymal4k_2min 170, ant 125,
#   sweep 40, half_cheetah 60, humanoid_long 180, anymal4k 130, anymal16k 90, rough 60, cones ~40 (a guess: the
#   elliptic solve's first CUDA compile included), planar ~270 (a guess: hopper and walker2d's presets, 5 M and 10 M
#   steps at 256 envs, where the update, not the env, is the cost, and hopper at 4,096 envs), solve_ab ~150 (a guess:
#   two sweeps of 9 points with their first compiles, and the kernels). The PLAN: whether the split solve's head and
#   tail kernels win back what the one-kernel solve lost (90aaf02's session: split at half its earlier speed), the
#   tiled solve with its line search (90aaf02: anymal_c wrong without it), the mission command on the default
#   pipeline, then rough_long until 45 s before the deadline (with the tiled solve if stage tiled found it right and
#   faster). With the machine's start (~30-60 s) and the transfers, one call of `bash benchmarks/gpu_session.sh 540
#   <commit>` fits the 15-minute budget,
#   and whatever does not fit the deadline is skipped; the second call, at once on the warm machine, `bash
#   benchmarks/gpu_session.sh 200 <commit> rough_long rough_ab`, resumes the curriculum (rough_long's own comment) and
#   runs what the first left. SEEDS="1 2 3" runs the distillation stages for several seeds; BLOCK=0 (or a number)
#   runs every training stage with that --env-block-dim (stage blocks says whether it pays). The device tool takes at
#   most 64 MiB per call, the working tree included (`git ls-files -z | xargs -0 du -cb | tail -1`: 33.7 MB at the
#   end of the 967edbc session), so Warp's wheel goes over in pieces of at most 64 MiB minus the tree, minus a margin:
#   after gpu-pack.sh, `cat .gpu/a/warp.so.xz.part1 .gpu/b/warp.so.xz.part2 | split -b 30000000 -d -a 1 - /tmp/wpart`
#   (three pieces at 30 MB), the old pieces removed, /tmp/wpart0 -> .gpu/a/warp.so.xz.part1, wpart1 -> .gpu/c/
#   warp.so.xz.part2, wpart2 -> .gpu/b/warp.so.xz.part3 (with warp-clang.so.xz and the wheels: ~42 MB, too big beside
#   the tree, so move warp-clang.so.xz to .gpu/d); then one `run` call per folder, at once one after another:
#   .gpu/a, .gpu/c and .gpu/d each copied to /tmp/s, then .gpu/b (gpu-setup.sh joins warp.so.xz.part* in name order
#   and unpacks warp-clang.so.xz from /tmp/s). At 90aaf02 the tracked .pt, .mp4 and .png files under results/ were 92 MB,
#   the code 11.5 MB: send a commit without them (`git checkout -b gpu-<commit> && git rm -q $(git ls-files | grep -E
#   '\.(pt|mp4|png)$') && git commit -qm tmp`; then .gpu/a's 52 MB and .gpu/b's 45 MB each fit beside the tree in two
#   transfers) and go back to main afterwards.
set -u
START=$(date +%s); DEADLINE=$((START + $1)); COMMIT=$2; shift 2
PLAN=(info solve_ab tiled ant rough_long rough_ab ant_tiled distill_anymal cones planar)
[ $# -eq 0 ] && set -- "${PLAN[@]}"
OUT=${OUT:-/tmp/out}; R=${RUNS:-/tmp/gpu_runs}; mkdir -p "$OUT" "$R"
LOG="$OUT/log.txt"
PY=${PYTHON:-python3}
DRY=${DRY_RUN:-}
BASE=${BASE:-/tmp/base}; BASE_TAR=${BASE_TAR:-/tmp/s/base.tar.gz}  # a base tree for the same-session A/B stages
DEV=$([ -n "$DRY" ] && echo cpu || echo cuda:0)
pick() { [ -n "$DRY" ] && echo "$2" || echo "$1"; }  # pick <GPU value> <dry-run value>
# tiny budgets in a dry run (appended last: tyro keeps the last value of a repeated flag)
TINY=$(pick "" "--num-envs 32 --num-steps 8 --num-minibatches 2 --update-epochs 1 --device cpu")
left() { echo $((DEADLINE - $(date +%s))); }
say() { echo "== $* (+$(($(date +%s) - START)) s, $(left) s left)" | tee -a "$LOG"; }
FAILED=0
run() {  # run <needs seconds> <label> <command...>: with a timeout at the deadline, output to the log
  local need=$1 label=$2; shift 2
  [ -n "$DRY" ] && need=0
  if [ "$(left)" -lt "$need" ]; then say "SKIP $label (needs $need s)"; return 1; fi
  say "$label: $*"
  timeout --signal=INT --kill-after=10 "$(left)" "$@" >>"$LOG" 2>&1
  local rc=$?; say "$label rc=$rc"; [ $rc -eq 0 ] || FAILED=$((FAILED + 1)); return $rc
}
latest() { ls -t "$R/$1"/*/checkpoint.pt 2>/dev/null | head -1; }
link_checkpoints() {  # hard-link each checkpoint.pt under $1 as snap_<inode>.pt beside it (save_checkpoint
  local f              # replaces the file atomically: each save is a new, complete inode)
  for f in "$1"/*/checkpoint.pt; do
    [ -f "$f" ] && ln -f "$f" "$(dirname "$f")/snap_$(stat -c %i "$f").pt" 2>/dev/null
  done
}
snap() {  # snap <folder> <pid>: while the run lives, and once after, keep each checkpoint it writes
  while kill -0 "$2" 2>/dev/null; do link_checkpoints "$1"; sleep 0.1; done
  link_checkpoints "$1"
}
train() {  # train <label> <needs> <args...>: ppo_warp.py into $R/<label>, then a 256-episode deterministic eval
  local label=$1 need=$2; shift 2
  run "$need" "$label" $PY cleanppo/ppo_warp.py --log-dir "$R/$label" --save-minutes 0 --save-every 0 --quiet "$@" \
    ${BLOCK:+--env-block-dim $BLOCK} $TINY
  local ck; ck=$(latest "$label")
  [ -n "$ck" ] && run 20 "$label-eval" $PY cleanppo/ppo_warp.py --eval "$ck" --eval-episodes "$(pick 256 4)" \
    --device "$DEV"
}
clocked() {  # clocked <label> <needs> <term> <level> <eval steps> <args...>: train with a checkpoint every $SNAP
  # (default 10) iterations kept as a snapshot, then the training seconds to the level of a deterministic reward term
  local label=$1 need=$2 term=$3 level=$4 steps=$5; shift 5
  [ -n "$DRY" ] && need=0
  if [ "$(left)" -lt "$need" ]; then say "SKIP $label (needs $need s)"; return 1; fi
  say "$label: ppo_warp.py $* (snapshots every $(pick "${SNAP:-10}" 1) iterations)"
  timeout --signal=INT --kill-after=10 "$(left)" $PY cleanppo/ppo_warp.py --log-dir "$R/$label" --save-minutes 0 \
    --save-every "$(pick "${SNAP:-10}" 1)" --quiet "$@" ${BLOCK:+--env-block-dim $BLOCK} $TINY >>"$LOG" 2>&1 &
  local pid=$!
  snap "$R/$label" $pid &
  local watcher=$!
  wait $pid; local rc=$?; wait $watcher
  say "$label rc=$rc"; [ $rc -eq 0 ] || FAILED=$((FAILED + 1))
  local ck; ck=$(latest "$label"); [ -n "$ck" ] || return 1
  local dir; dir=$(dirname "$ck")
  run 30 "$label-clock" $PY benchmarks/learning_clock.py "$dir" --term "$term" --level "$level" \
    --episodes "$(pick 256 4)" --steps "$(pick "$steps" 3)" --device "$DEV" --out "$dir/learning_clock.json"
  rm -f "$dir"/snap_*.pt
}
for stage in "$@"; do
  case $stage in
    info)
      say "commit $COMMIT"
      [ -z "$DRY" ] && nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm \
        --format=csv >>"$LOG" 2>&1
      $PY -c "import torch, warp as wp, numpy; print('torch', torch.__version__, 'warp', wp.__version__, \
'numpy', numpy.__version__, torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no CUDA')" >>"$LOG" 2>&1 ;;
    anymal4k)  # issue 13: the flat preset (4,096 envs, 300 iterations) under the current contact law; training
      # seconds to tracking_lin_vel 0.016 per step (80% of its maximum 0.02), then the per-command tracking error
      # (95c558e: 45% at 300 iterations, 47.6 s)
      clocked anymal4k 90 tracking_lin_vel 0.016 500 --env-id anymal_c --num-envs "$(pick 4096 32)" \
        --total-timesteps "$(pick 29491200 512)" && run 30 anymal4k-track $PY benchmarks/anymal_eval.py \
        "$(latest anymal4k)" --device "$DEV" --envs "$(pick 16 1)" --seconds "$(pick 10 0.1)" --settle "$(pick 1 0)" ;;
    anymal16k)  # the same at 16,384 envs, twice the preset's env steps (150 iterations; 95c558e: 72%, 33.3 s)
      clocked anymal16k 90 tracking_lin_vel 0.016 500 --env-id anymal_c --num-envs "$(pick 16384 32)" \
        --total-timesteps "$(pick 58982400 512)" && run 30 anymal16k-track $PY benchmarks/anymal_eval.py \
        "$(latest anymal16k)" --device "$DEV" --envs "$(pick 16 1)" --seconds "$(pick 10 0.1)" --settle "$(pick 1 0)" ;;
    anymal4k_2min|anymal16k_2min)  # issue 13's target, flat under 2 minutes: the preset (its std floor since
      # e416cb8; on the CPU 80% at iteration 350 of 4,096 envs) run on for 600 / 400 iterations (~95 / ~90 s at
      # 95c558e's iteration times: 0.159 s at 4,096 envs, 0.222 s at 16,384), a snapshot every 50 / 25 iterations,
      # the seconds to 80% of tracking_lin_vel's maximum
      n_envs=$([ "$stage" = anymal4k_2min ] && echo 4096 || echo 16384)
      n_iter=$([ "$stage" = anymal4k_2min ] && echo 600 || echo 400)
      SNAP=$([ "$stage" = anymal4k_2min ] && echo 50 || echo 25) clocked "$stage" 150 tracking_lin_vel 0.016 500 \
        --env-id anymal_c --num-envs "$(pick "$n_envs" 32)" --total-timesteps "$(pick $((n_iter * n_envs * 24)) 512)" \
        && run 30 "$stage-track" $PY benchmarks/anymal_eval.py "$(latest "$stage")" --device "$DEV" \
        --envs "$(pick 16 1)" --seconds "$(pick 10 0.1)" --settle "$(pick 1 0)" ;;
    anymal4k_rsl)  # the flat preset with rsl_rl's own exploration (init std 1, entropy 0.01) instead of the preset's
      # (std e^-1, no entropy bonus; the std falls to ~0.1 by iteration 300 on the CPU): which reaches 80% sooner
      clocked anymal4k_rsl 90 tracking_lin_vel 0.016 500 --env-id anymal_c --num-envs "$(pick 4096 32)" \
        --total-timesteps "$(pick 29491200 512)" --init-log-std 0 --ent-coef 0.01 ;;
    sweep)  # issue 17: env steps/s by pipeline, CUDA graph on (env_timing.py captures as ppo_warp.py does)
      run 60 sweep $PY cleanppo/throughput.py env --device "$DEV" --env-ids ant humanoid --num-envs \
        $(pick "65536 262144 1048576" "16 32") --pipelines ${PIPELINES:-split fused_env_major} --repeats \
        "$(pick 3 1)" --seconds "$(pick 0.1 0.01)" --no-cold-cache --max-point-seconds 10 --out "$R/sweep" ;;
    blocks)  # issue 17: env steps/s with Warp's 256 threads per block against enough blocks for every SM
      # (--block-dims 0: 32 threads at 4,096 envs, 64 at 16,384 on 132 SMs; 256 from 33,537 envs); one thread steps one
      # env, so only the speed can change. At 16,384 envs, 256 per block fill 64 of the H100's 132 SMs, and the
      # mission command's env step took half the time per env step of the 65,536-env sweep point (a6d2454)
      run 90 blocks $PY cleanppo/throughput.py env --device "$DEV" --env-ids ant anymal_c --num-envs \
        $(pick "4096 16384 65536" "16 32") --block-dims 256 0 --repeats "$(pick 3 1)" --seconds "$(pick 0.1 0.01)" \
        --no-cold-cache --max-point-seconds 10 --out "$R/blocks" ;;
    pipelines)  # issue 17: at the env counts PPO trains with, the step is one thread's serial walk (stage blocks,
      # d62a2cf: 4,096 and 16,384 envs take the same 5-7 ms per step, whatever the block size). The split pipeline
      # (CUDA's default: three kernels per substep, the scratch in global memory) against the fused one (one kernel
      # per step, the values in registers; a6d2454: 0.6x split's speed at 65,536 envs and up) at 4,096-65,536 envs:
      # whether fusing shortens the walk where the chip is not full
      run 60 pipelines $PY cleanppo/throughput.py env --device "$DEV" --env-ids ant anymal_c --num-envs \
        $(pick "4096 16384 65536" "16 32") --pipelines split fused fused_env_major --repeats "$(pick 3 1)" --seconds \
        "$(pick 0.1 0.01)" --no-cold-cache --max-point-seconds 10 --out "$R/pipelines" ;;
    kernels)  # issue 17: which kernel of the step holds the serial walk (the split pipeline's smooth, contact, force
      # and solve kernels per substep; the fused kernel; the task kernels), per env step, at the sizes PPO trains with
      run 40 kernels $PY cleanppo/throughput.py kernels --device "$DEV" --env-ids ant anymal_c --num-envs \
        $(pick "4096 16384 65536" "16") --pipelines split fused --steps "$(pick 20 2)" --repeats "$(pick 3 1)" \
        --out "$R/kernels" ;;
    solve_tiles)  # issue 17: one Newton step of the constraint solve for ant- and anymal_c-sized systems (models
      # without geom pairs, whose solve kernel a tiled one would replace first), one thread per env (as now) against
      # one block per env (Warp tiles: tile_matmul, tile_cholesky), with Warp's MathDx paths and without (the
      # cooperative fallback): whether a block per env pays before the solve kernel is rewritten
      run 30 solve_tiles $PY benchmarks/solve_tiles.py --device "$DEV" --num-envs $(pick "4096 16384 65536" "8") \
        --models ant anymal_c --block-dims 32 64 --repeats "$(pick 3 1)" --seconds \
        "$(pick 0.1 0.01)" --out "$R/solve_tiles"
      run 30 solve_tiles_fallback $PY benchmarks/solve_tiles.py --device "$DEV" --no-mathdx --variants tile \
        --num-envs $(pick "4096 16384 65536" "8") --models ant anymal_c --block-dims 32 64 \
        --repeats "$(pick 3 1)" --seconds "$(pick 0.1 0.01)" --out "$R/solve_tiles_fallback" ;;
    tiled)  # issue 17: the solve in one block of 32 threads per env (pipeline split_tiled, kernels.solve_tiled; 967edbc:
      # the solve kernel is 80-88% of a GPU step, and one block per env ran solve_tiles' Newton step 8-33x faster).
      # First whether it steps as split does on CUDA (split_tiled_check.py, 4,096 envs: within 10x the 1-ulp spread),
      # then env steps/s of split, split_tiled and fused (4,096 to 262,144 envs: issue 17's env target is at 262,144
      # and up), then its kernels. If the check passes and split_tiled steps anymal_c's 4,096 envs faster than split,
      # $R/use_tiled makes rough_long train with it
      run 40 tiled-check $PY benchmarks/split_tiled_check.py --device "$DEV" --num-envs "$(pick 4096 16)" --steps \
        "$(pick 12 2)" --out "$R/tiled/check.json" && check=ok || check=
      run 80 tiled-env $PY cleanppo/throughput.py env --device "$DEV" --env-ids ant anymal_c --num-envs \
        $(pick "4096 16384 65536 262144" "16 32") --pipelines split split_tiled fused --repeats "$(pick 3 1)" \
        --seconds "$(pick 0.1 0.01)" --no-cold-cache --max-point-seconds 10 --out "$R/tiled/env"
      run 30 tiled-kernels $PY cleanppo/throughput.py kernels --device "$DEV" --env-ids ant anymal_c --num-envs \
        $(pick "4096 16384 65536" "16") --pipelines split_tiled --steps "$(pick 20 2)" --repeats "$(pick 3 1)" \
        --out "$R/tiled/kernels"
      [ -n "$check" ] && $PY - "$R/tiled/env/env.csv" "$R/use_tiled" <<'PYEOF' >>"$LOG" 2>&1
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["env"] == "anymal_c"]
smallest = min(int(r["num_envs"]) for r in rows)
sps = {r["pipeline"]: float(r["steps_per_s"]) for r in rows if int(r["num_envs"]) == smallest}
print("anymal_c env steps/s, smallest size:", sps)
if sps.get("split_tiled", 0) > sps.get("split", float("inf")):
    open(sys.argv[2], "w").write("split_tiled\n")
    print("rough_long will train with pipeline split_tiled")
PYEOF
      ;;
    ant_tiled)  # the mission command with the tiled solve: SPS and the seconds to 3 m/s beside stage ant's
      clocked ant_tiled 70 forward 3.0 1000 --num-envs "$(pick 16384 32)" --total-timesteps "$(pick 50000000 512)" \
        --env-kwargs "pipeline='split_tiled'" ;;
    ant_fused)  # the mission command with the fused pipeline (what stage pipelines measures; the env's pipeline
      # argument through --env-kwargs): SPS and the seconds to 3 m/s beside stage ant's
      clocked ant_fused 70 forward 3.0 1000 --num-envs "$(pick 16384 32)" --total-timesteps "$(pick 50000000 512)" \
        --env-kwargs "pipeline='fused'" ;;
    ant_auto)  # the mission command (stage ant) with the env's blocks sized for the SMs (--env-block-dim 0)
      BLOCK=0 clocked ant_auto 70 forward 3.0 1000 --num-envs "$(pick 16384 32)" --total-timesteps \
        "$(pick 50000000 512)" ;;
    ant)  # the mission command (16,384 envs, 50 M steps): SPS, and the training seconds to a deterministic forward
      # velocity of 3 m/s (issue 17's target: within 15 s)
      clocked ant 70 forward 3.0 1000 --num-envs "$(pick 16384 32)" --total-timesteps "$(pick 50000000 512)" ;;
    rough)  # the first chunk of the rough preset (100 of its 1,500 iterations), its checkpoint packed to resume from
      run 60 rough $PY cleanppo/ppo_warp.py --env-id anymal_c_rough --num-envs "$(pick 4096 32)" --total-timesteps \
        "$(pick 9830400 512)" --log-dir "$R/rough" --save-minutes 0 --quiet $TINY ;;
    rough_long)  # issue 13's rough target (legged_gym: the curriculum's top levels after ~1,000 iterations, "twenty
      # minutes"): the rough preset (1,500 iterations of 4,096 envs) until 45 s before the deadline (SIGINT: the
      # iteration is finished and saved), a snapshot every 50 iterations; then the terrain levels per terrain type
      # over training time (benchmarks/terrain_levels.py). A later call on the same warm machine resumes it where it
      # stopped, env state and curriculum included (the packing keeps its full checkpoint on the machine); a later
      # session goes on from $OUT/rough_long_resume.pt (env state included since state_dict leaves the 82 MB height
      # field out: ~13 MB at 4,096 envs), carried over in a transfer of its own with the run's progress.csv beside it
      # as rough_long_progress.csv, by ROUGH_RESUME=<that file>.
      # ROUGH_ARGS: more ppo_warp.py flags (give the resuming call the same: a checkpoint's args stay). d62a2cf (H200):
      # the flat task's recipe with the scan scaled down (the preset's scan since) walked and climbed to a mean level
      # of 2.8 in 2,000 iterations (406 s), stairs down 5.8, stairs up 0.7, under the flat task's commands (resampled
      # every 4 s, no heading), which hold the curriculum's levels down (rough_tracking.py --moves); the preset keeps
      # legged_gym's commands. 967edbc (H100): the preset's 1,500 iterations in 365 s, stopped there with 71 s left;
      # ROUGH_ITERS (default 5,000, issue 13's 20 minutes at 0.24 s per iteration) lets it run on to the deadline
      # (the preset's learning rate is adaptive, not annealed over the run, so only the stopping point changes)
      [ -n "$DRY" ] || [ "$(left)" -ge 150 ] || { say "SKIP rough_long (needs 150 s)"; continue; }
      full=$(ls -t "$R"/rough_long/*/checkpoint_full.pt 2>/dev/null | head -1)
      if [ -z "$full" ] && [ -n "${ROUGH_RESUME:-}" ]; then  # an earlier session's run (its packed resume file, env
        # state and curriculum included, and its progress.csv as rough_long_progress.csv beside it) goes on from there,
        # its log folder made this machine's (ppo_warp.py keeps a checkpoint's arguments)
        [ -f "$ROUGH_RESUME" ] || { say "rough_long: ROUGH_RESUME $ROUGH_RESUME is not a file"; FAILED=$((FAILED + 1))
          continue; }
        name=$($PY - "$ROUGH_RESUME" "$R/rough_long" 2>>"$LOG" <<'PYEOF'
import os, sys, torch
c = torch.load(sys.argv[1], map_location="cpu", weights_only=False)
c["args"]["log_dir"] = sys.argv[2]
os.makedirs(os.path.join(sys.argv[2], c["args"]["run_name"]), exist_ok=True)
torch.save(c, os.path.join(sys.argv[2], c["args"]["run_name"], "checkpoint_full.pt"))
print(c["args"]["run_name"])
PYEOF
) && full="$R/rough_long/$name/checkpoint_full.pt" || { say "rough_long: cannot read $ROUGH_RESUME (above)"
          FAILED=$((FAILED + 1)); continue; }
        [ -n "$full" ] && [ -f "$(dirname "$ROUGH_RESUME")/rough_long_progress.csv" ] \
          && cp "$(dirname "$ROUGH_RESUME")/rough_long_progress.csv" "$R/rough_long/$name/progress.csv"
      fi
      say "rough_long: ppo_warp.py --env-id anymal_c_rough ${full:+--resume $full} (until 45 s before the deadline)\
$([ -z "$full" ] && [ -f "$R/use_tiled" ] && echo " with pipeline split_tiled (stage tiled)")"
      timeout --signal=INT --kill-after=30 "$(( $(left) > 90 ? $(left) - 45 : 45 ))" $PY cleanppo/ppo_warp.py \
        --env-id anymal_c_rough --log-dir "$R/rough_long" --save-minutes 0 --save-every "$(pick 50 1)" --quiet \
        ${BLOCK:+--env-block-dim $BLOCK} ${ROUGH_ARGS:-} \
        $([ -z "$full" ] && [ -f "$R/use_tiled" ] && echo "--env-kwargs pipeline='split_tiled'") \
        $([ -z "$DRY" ] && echo "--total-timesteps $((${ROUGH_ITERS:-5000} * 4096 * 24))") \
        ${full:+--resume "$full"} $([ -n "$DRY" ] && echo "--num-envs 32 --num-steps 8 --num-minibatches 2 \
        --update-epochs 1 --device cpu --total-timesteps $([ -n "$full" ] && echo 1536 || echo 768)") >>"$LOG" 2>&1 &
      pid=$!; snap "$R/rough_long" $pid & watcher=$!
      wait $pid; rc=$?; wait $watcher; say "rough_long rc=$rc (124: stopped at the deadline, saved)"
      [ $rc -eq 0 ] || [ $rc -eq 124 ] || FAILED=$((FAILED + 1))
      ck=$(latest rough_long)
      [ -n "$ck" ] && run 20 rough_long-levels $PY benchmarks/terrain_levels.py "$(dirname "$ck")" \
        --out "$(dirname "$ck")/terrain_levels.json" --plot "$(dirname "$ck")/terrain_levels.png" ;;
    rough_ab)  # issue 13: which of the rough task's inputs keep PPO standing. On the CPU (results/anymal_c_rough_cpu,
      # "What keeps it standing") the flat task's recipe on this env stood at 300 iterations with the 187-point scan at
      # legged_gym's scale in the observation, noisy or not, normalized or not, and walked with the scan zeroed or,
      # unnormalized, scaled down tenfold (so that the 48 flat inputs drive the first layer): the preset since
      # (h200_2026-11-27_d62a2cf: walking at 550 iterations on an H200). Each variant in $AB (default: seed2; the
      # others on request) runs the rough preset with its flags for $AB_ITERS (default 400) iterations of 4,096 envs,
      # a snapshot every 50 kept, then the curriculum's levels over its training time (terrain_levels.py) and
      # rough_tracking.py on its last checkpoint (tracking share, falls, the scan noise's action jitter, the first
      # layer's spread, where the curriculum sends each env after one episode). ~110 s per variant on an H200 (d62a2cf:
      # 0.23 s per iteration at 4,096 envs with the preset's 512-256-128 networks)
      for v in ${AB:-seed2}; do
        case $v in
          preset) flags=() ;;
          seed2) flags=(--seed 2) ;;  # the preset on another seed: its levels beside rough_long's at the same iteration
          legacy) flags=(--norm-obs --env-kwargs height_scale=5.0) ;;  # the preset before d62a2cf: normalized, x5
          scale5) flags=(--env-kwargs height_scale=5.0) ;;  # legged_gym's own inputs: unnormalized, scan x 5
          scale1) flags=(--env-kwargs height_scale=1.0) ;;  # the scan at a fifth of legged_gym's, twice the preset's:
            # 967edbc's preset policy climbs every slope level but stairs up stop at 0.10-0.12 m, with the scan's
            # inputs moving its first layer 0.07 against the flat inputs' 0.18
          blind) flags=(--env-kwargs height_scale=0) ;;  # the scan entries are all 0: the flat task's information
          noisefree) flags=(--env-kwargs height_noise=0) ;;
          flatcmd) flags=(--env-kwargs heading_command=0 resampling_time=4) ;;  # the flat task's commands
          ramps) flags=(--env-kwargs slope_threshold=None) ;;  # the terrain before the vertical risers (967edbc's
            # rough_long: every step a ramp one 0.1 m cell wide, steeper than the feet's friction above ~0.08 m)
          fine) flags=(--env-kwargs horizontal_scale=0.05 slope_threshold=None) ;;  # ramps half as wide, no refining
          privileged) flags=(--privileged-critic) ;;  # the critic also reads the noise-free scan
          rsl) flags=(--init-log-std 0 --ent-coef 0.01) ;;  # rsl_rl's exploration
          stagger) flags=(--random-episode-start) ;;  # legged_gym's init_at_random_ep_len: the first episodes' ends
            # spread over 1,000 steps, so the curriculum moves envs every iteration instead of in bursts
          *) say "unknown rough_ab variant $v"; FAILED=$((FAILED + 1)); continue ;;
        esac
        label="rough_ab_$v"
        [ -n "$DRY" ] || [ "$(left)" -ge 110 ] || { say "SKIP $label (needs 110 s)"; continue; }
        say "$label: ppo_warp.py --env-id anymal_c_rough ${flags[*]} (snapshots every $(pick 50 1) iterations)"
        timeout --signal=INT --kill-after=10 "$(( $(left) > 10 ? $(left) : 10 ))" $PY cleanppo/ppo_warp.py \
          --env-id anymal_c_rough \
          --num-envs "$(pick 4096 32)" --total-timesteps "$(pick $((${AB_ITERS:-400} * 4096 * 24)) 512)" \
          --log-dir "$R/$label" --save-minutes 0 --save-every "$(pick 50 1)" --quiet "${flags[@]}" \
          ${BLOCK:+--env-block-dim $BLOCK} $TINY >>"$LOG" 2>&1 &
        pid=$!; snap "$R/$label" $pid & watcher=$!
        wait $pid; rc=$?; wait $watcher; say "$label rc=$rc (124: stopped at the deadline, saved)"
        [ $rc -eq 0 ] || [ $rc -eq 124 ] || FAILED=$((FAILED + 1))
        ck=$(latest "$label"); [ -n "$ck" ] || continue
        run 20 "$label-levels" $PY benchmarks/terrain_levels.py "$(dirname "$ck")" \
          --out "$(dirname "$ck")/terrain_levels.json" --plot "$(dirname "$ck")/terrain_levels.png"
        rm -f "$(dirname "$ck")"/snap_*.pt
        run 40 "$label-track" $PY benchmarks/rough_tracking.py "$ck" --device "$DEV" --envs "$(pick 1024 4)" \
          --steps "$(pick 500 3)" --moves
      done ;;
    distill) OUT=$R PYTHON=$PY run 100 distill env ${DRY:+NUM_ENVS=32 TEACHER_STEPS=1536 \
      STUDENT_STEPS=1536 EPISODES=4 DEVICE=cpu} bash results/distill_ant_gpu.sh ;;
    distill_asym) OUT=$R PYTHON=$PY run 70 distill-asym env ${DRY:+NUM_ENVS=32 TEACHER_STEPS=1536 \
      STUDENT_STEPS=1536 EPISODES=4 DEVICE=cpu} bash results/distill_ant_gpu.sh asym ;;
    parity)  # issue 17: CUDA against the CPU after 1 and 10 steps, with and without CUDA's FMA contraction,
      # beside the CPU's spread under 1-ulp state changes (benchmarks/rounding_spread.py; results/rounding_spread.json)
      run 90 parity $PY benchmarks/rounding_spread.py --runs cpu:ulp $(pick "cuda:default cuda:nofma" cpu:nofma) \
        --envs ant half_cheetah humanoid --out "$R/rounding_spread.json" ;;
    planar)  # hopper and walker2d (never on a GPU): the presets (256 envs, trained and tuned on the CPU) and at
      # 4,096 envs x 16 steps with 16 minibatches for 4x the steps, each evaluated over 256 episodes
      train hopper 60 --env-id hopper --total-timesteps "$(pick 5000000 512)"
      train walker2d 90 --env-id walker2d --total-timesteps "$(pick 10000000 512)"
      train hopper4k 60 --env-id hopper --num-envs "$(pick 4096 32)" --num-steps 16 --num-minibatches 16 \
        --total-timesteps "$(pick 20000000 512)" ;;
    half_cheetah) train half_cheetah 50 --env-id half_cheetah --num-envs "$(pick 16384 32)" \
      --total-timesteps "$(pick 50000000 512)" ;;
    humanoid_long) train humanoid_long 120 --env-id humanoid --num-envs "$(pick 16384 32)" \
      --total-timesteps "$(pick 100000000 512)" ;;
    syncs)  # host syncs per code line over 10 iterations (torch's sync debug mode)
      run 40 syncs $PY -W always -c "import runpy,sys,torch; torch.cuda.is_available() and \
torch.cuda.set_sync_debug_mode('warn'); sys.argv=['cleanppo/ppo_warp.py','--num-envs','$(pick 16384 32)', \
'--total-timesteps','$(pick 3932160 512)','--log-dir','$R/sync','--quiet']+'$TINY'.split(); \
runpy.run_path(sys.argv[0], run_name='__main__')" ;;
    ant_pair)  # the same 20 M-step ant run of a base tree (/tmp/base, unpacked beforehand) and of this one
      [ -d "$BASE" ] && run 40 ant-base env -C "$BASE" PYTHONPATH="/tmp/site:$BASE" $PY cleanppo/ppo_warp.py \
        --num-envs "$(pick 16384 32)" --total-timesteps "$(pick 20000000 512)" --quiet --save-minutes 0 \
        --save-every 0 --log-dir "$R/ant_base20" $TINY
      run 40 ant-new $PY cleanppo/ppo_warp.py --num-envs "$(pick 16384 32)" --total-timesteps "$(pick 20000000 512)" \
        --quiet --save-minutes 0 --save-every 0 --log-dir "$R/ant_new20" $TINY ;;
    distill_syncs)  # host syncs per code line in distill_warp.py: 3 teacher + 3 DAgger iterations on ant (torch's
      # sync debug mode; expected: the rollout's finiteness check and the one read per iteration, none per minibatch)
      run 40 distill-syncs $PY -W always -c "import runpy,sys,torch; torch.cuda.is_available() and \
torch.cuda.set_sync_debug_mode('warn'); sys.argv=['cleanppo/distill_warp.py','--env-id','ant','--teacher-timesteps',\
'$(pick 1179648 1536)','--total-timesteps','$(pick 1179648 1536)','--log-dir','$R/distill_sync','--quiet',\
'--save-every','0','--save-minutes','0']+'$(pick "" "--num-envs 32 --device cpu")'.split(); \
runpy.run_path(sys.argv[0], run_name='__main__')" ;;
    distill_gru_syncs)  # distill_syncs with the GRU student (--student-arch gru; never run on a GPU before): cuDNN's
      # GRU under torch's deterministic mode, and the host syncs of its rollout and truncated-BPTT update (expected:
      # as distill_syncs, none per minibatch)
      run 40 distill-gru-syncs $PY -W always -c "import runpy,sys,torch; torch.cuda.is_available() and \
torch.cuda.set_sync_debug_mode('warn'); sys.argv=['cleanppo/distill_warp.py','--env-id','ant','--teacher-timesteps',\
'$(pick 1179648 1536)','--total-timesteps','$(pick 1179648 1536)','--log-dir','$R/distill_gru_sync','--quiet',\
'--student-arch','gru','--save-every','0','--save-minutes','0']+'$(pick "" "--num-envs 32 --device cpu")'.split(); \
runpy.run_path(sys.argv[0], run_name='__main__')" ;;
    distill_anymal|distill_ant_compare)  # issue 14, training only (EVAL=0; the evaluations run afterwards on any
      # machine: results/distill_eval.sh on the packed policy.pt files), one run per seed in $SEEDS (default 1):
      # anymal_c: privileged teacher (300 it.) + DAgger student (100 it.) vs direct PPO on the student's window for the
      # same 400 iterations (a6d2454's DAgger run: 134 s before its update was a CUDA graph); ant: DAgger vs
      # asymmetric PPO vs direct PPO at 44M env steps
      env_id=$([ "$stage" = distill_anymal ] && echo anymal_c || echo ant)
      algos=$([ "$stage" = distill_anymal ] && echo "dagger ppo" || echo "dagger asym_ppo ppo")
      for seed in ${SEEDS:-1}; do
        OUT=$R PYTHON=$PY SEED=$seed EVAL=$(pick 0 1) EPISODES=4 run 150 "$stage-seed$seed" env ${DRY:+NUM_ENVS=32 \
          TEACHER_STEPS=1536 STUDENT_STEPS=1536 DEVICE=cpu} bash results/distill_gpu.sh $env_id $algos
      done ;;
    ddp)
      run 40 ddp $PY -m torch.distributed.run --standalone --nproc_per_node 1 cleanppo/ppo_warp_ddp.py --env-id ant --num-envs \
        "$(pick 16384 32)" --total-timesteps "$(pick 2000000 512)" --log-dir "$R/ddp" --save-minutes 0 $TINY ;;
    report) run 60 report $PY cleanppo/throughput.py gpu --out "$R/report" ;;
    cones)  # MuJoCo's elliptic cone (kernels.elliptic, af5f3ad; never timed on a GPU): anymal_c's file stepped as the
      # pyramid and as the elliptic cone in one process, the split pipeline's kernels (benchmarks/cone_cost.py)
      run 40 cones $PY benchmarks/cone_cost.py envs/assets/anymal_c.xml --num-envs "$(pick 16384 4)" \
        --steps "$(pick 100 2)" ;;
    selfcontact)  # geom-geom contacts (boxes, friction) on CUDA's split pipeline against the CPU's fused kernel
      run 60 selfcontact $PY benchmarks/self_contact_check.py --device "$DEV" ;;
    solve_ab)  # issue 17: the split solve as a head and a tail kernel (6aa19b7) against the one-kernel solve of 90aaf02,
      # whose H200 session measured split at half its earlier speed (results/h200_2026-11-29_90aaf02): env steps/s of
      # the split pipeline, this tree and the base tree in the same session (ant: the tree solve without pairs;
      # anymal_c: 59% of its env-substeps reach the line search; humanoid: geom pairs, the dense solve), then this
      # tree's split kernels one by one (head and tail). The base tree: $BASE (/tmp/base), or $BASE_TAR
      # (/tmp/s/base.tar.gz: `git archive 90aaf02 cleanppo envs kernels mjcf benchmarks | gzip > .gpu/a/base.tar.gz`
      # after gpu-pack.sh, and the first call's copy to /tmp/s takes it along) unpacked there
      [ -d "$BASE" ] || [ ! -f "$BASE_TAR" ] || { mkdir -p "$BASE" && tar -xzf "$BASE_TAR" -C "$BASE"; }
      args="env --device $DEV --env-ids ant anymal_c humanoid --num-envs $(pick "4096 16384 65536" 16) --pipelines"
      args="$args split --repeats $(pick 3 1) --seconds $(pick 0.1 0.01) --no-cold-cache --max-point-seconds 10"
      run 60 solve_ab-new $PY cleanppo/throughput.py $args --out "$R/solve_ab/new"
      if [ -d "$BASE" ]; then
        run 60 solve_ab-base env -C "$BASE" PYTHONPATH="/tmp/site:$BASE" $PY cleanppo/throughput.py $args \
          --out "$R/solve_ab/base"
      else
        say "solve_ab: no base tree ($BASE or $BASE_TAR)"
      fi
      run 30 solve_ab-kernels $PY cleanppo/throughput.py kernels --device "$DEV" --env-ids ant anymal_c --num-envs \
        $(pick "4096 16384 65536" "16") --pipelines split --steps "$(pick 20 2)" --repeats "$(pick 3 1)" \
        --out "$R/solve_ab/kernels" ;;
    perf)  # the CPU contact-solve work (J_p per point, tree-sparse solve) on CUDA: split-pipeline env steps/s of this
      # tree and of a base tree (/tmp/base, unpacked beforehand), ant (tree solve) and humanoid (dense, geom pairs)
      args="env --device $DEV --env-ids ant humanoid --num-envs $(pick 65536 16) --pipelines split --repeats 3"
      args="$args --seconds $(pick 0.1 0.01) --no-cold-cache --max-point-seconds 5"
      run 30 perf-new $PY cleanppo/throughput.py $args --out "$R/perf_new"
      [ -d "$BASE" ] && run 30 perf-base env -C "$BASE" PYTHONPATH="/tmp/site:$BASE" $PY \
        cleanppo/throughput.py $args --out "$R/perf_base" ;;
    *) say "unknown stage $stage"; FAILED=$((FAILED + 1)) ;;
  esac
done
say "packing"
$PY - "$R" "$OUT" <<'EOF' >>"$LOG" 2>&1
import pathlib, sys, torch
out = sys.argv[2]
for ck in pathlib.Path(sys.argv[1]).rglob("checkpoint.pt"):
    c, size = torch.load(ck, map_location="cpu", weights_only=False), ck.stat().st_size
    if "rough_long" in ck.parts[-3]:  # the full checkpoint stays on the machine for a later call to resume
        ck.rename(ck.with_name("checkpoint_full.pt"))
    if "rough_long" in ck.parts[-3]:  # a file of its own in $OUT, to resume from in a later session (ROUGH_RESUME):
        # everything, the env state (curriculum levels, episodes; ~13 MB at 4,096 envs) too where it fits the transfer
        if size > 15.5e6:
            c["env_state"], c["next_obs"] = {}, c["next_obs"][:0]  # the resumed run then starts fresh episodes
        torch.save(c, pathlib.Path(out, "rough_long_resume.pt"))
    elif "rough" in ck.parts[-3]:  # to resume from (--resume): everything but, where it is too big for the transfer,
        if size > 8e6:  # the env state: the resumed run starts fresh episodes (restore_checkpoint skips an empty one)
            c["env_state"], c["next_obs"] = {}, c["next_obs"][:0]
        torch.save(c, ck.with_name("resume.pt"))
    else:  # the policies (for --eval and the benchmarks; distill_warp.py's student and teacher for its evaluations
        # here, results/distill_eval.sh) without the env state and the optimizers' moments (size)
        c = {k: v for k, v in c.items() if k not in ("env_state", "next_obs", "loop", "teacher_optimizer")}
        torch.save({**c, "optimizer": {}}, ck.with_name("policy.pt"))
    if ck.exists():
        ck.unlink()
EOF
tar -czf "$OUT/runs.tar.gz" --exclude='events.out.tfevents*' --exclude='*.mp4' --exclude='snap_*.pt' \
  --exclude='checkpoint_full.pt' -C "$R" . \
  2>>"$LOG"
ls -la "$OUT" | tee -a "$LOG"
say "done: $FAILED failed command(s)"
[ "$FAILED" -eq 0 ]
