#!/usr/bin/env bash
# One GPU session's checks in priority order under one deadline (the device tool of this workplace: a lent GPU for a
# few minutes). Run from the project root after `source .gpu/b/gpu-setup.sh`:
#   bash benchmarks/gpu_session.sh <seconds> <commit> <stage> [<stage> ...]
# Stages: see `case` below. Each stage is
# skipped when less time is left than it needs. Writes $OUT/log.txt (everything printed) and $OUT/runs.tar.gz
# (progress.csv, config, the final policies' agent + obs_rms + args, sweep CSVs); the env state of checkpoints is
# dropped to fit the transfer limits.
set -u
START=$(date +%s); DEADLINE=$((START + $1)); COMMIT=$2; shift 2
OUT=${OUT:-/tmp/out}; R=/tmp/gpu_runs; mkdir -p "$OUT" "$R"
LOG="$OUT/log.txt"
left() { echo $((DEADLINE - $(date +%s))); }
say() { echo "== $* (+$(($(date +%s) - START)) s, $(left) s left)" | tee -a "$LOG"; }
run() {  # run <needs seconds> <label> <command...>: with a timeout at the deadline, output to the log
  local need=$1 label=$2; shift 2
  if [ "$(left)" -lt "$need" ]; then say "SKIP $label (needs $need s)"; return 1; fi
  say "$label: $*"
  timeout --signal=INT --kill-after=10 "$(left)" "$@" >>"$LOG" 2>&1
  local rc=$?; say "$label rc=$rc"; return $rc
}
train() {  # train <label> <needs> <args...>: ppo_warp.py into $R/<label>, then a 256-episode deterministic eval
  local label=$1 need=$2; shift 2
  run "$need" "$label" python3 cleanppo/ppo_warp.py --log-dir "$R/$label" --save-minutes 0 --save-every 0 "$@"
  local ck; ck=$(ls -t "$R/$label"/*/checkpoint.pt 2>/dev/null | head -1)
  [ -n "$ck" ] && run 20 "$label-eval" python3 cleanppo/ppo_warp.py --eval "$ck" --eval-episodes 256
}
for stage in "$@"; do
  case $stage in
    info)
      say "commit $COMMIT"
      nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm --format=csv >>"$LOG" 2>&1
      python3 -c "import torch, warp as wp, numpy; print('torch', torch.__version__, 'warp', wp.__version__, \
'numpy', numpy.__version__, torch.cuda.get_device_name(0))" >>"$LOG" 2>&1 ;;
    ant) train ant 60 --num-envs 16384 ;;
    half_cheetah) train half_cheetah 50 --env-id half_cheetah --num-envs 16384 ;;
    humanoid) train humanoid 70 --env-id humanoid --num-envs 16384 ;;
    humanoid_long) train humanoid_long 120 --env-id humanoid --num-envs 16384 --total-timesteps 100000000 ;;
    anymal)  # the preset (rsl_rl's flat ANYmal PPO, 300 iterations of 4,096 x 24), then the tracking error
      train anymal 120 --env-id anymal_c --num-envs 4096 && run 30 anymal-track python3 benchmarks/anymal_eval.py \
        "$(ls -t "$R"/anymal/*/checkpoint.pt | head -1)" --device cuda:0 ;;
    ant_pair)  # the same 20 M-step ant run of a base tree (/tmp/base, unpacked beforehand) and of this one
      [ -d /tmp/base ] && run 40 ant-base env -C /tmp/base PYTHONPATH=/tmp/site:/tmp/base python3 \
        cleanppo/ppo_warp.py --num-envs 16384 --total-timesteps 20000000 --quiet --save-minutes 0 --save-every 0 \
        --log-dir "$R/ant_base20"
      run 40 ant-new python3 cleanppo/ppo_warp.py --num-envs 16384 --total-timesteps 20000000 --quiet \
        --save-minutes 0 --save-every 0 --log-dir "$R/ant_new20" ;;
    syncs)  # host syncs per code line over 10 iterations (torch's sync debug mode)
      run 40 syncs python3 -W always -c "import runpy,sys,torch; torch.cuda.set_sync_debug_mode('warn'); \
sys.argv=['cleanppo/ppo_warp.py','--num-envs','16384','--total-timesteps','3932160','--log-dir','$R/sync','--quiet']; \
runpy.run_path(sys.argv[0], run_name='__main__')" ;;
    rough)
      run 40 rough python3 cleanppo/ppo_warp.py --env-id anymal_c_rough --num-envs 4096 --hidden 512 256 128 \
        --clip-vloss --init-log-std -1 --ent-coef 0 --max-log-std 0 --total-timesteps 4915200 --log-dir "$R/rough" \
        --save-minutes 0 ;;
    distill) OUT=$R PYTHON=python3 run 100 distill bash results/distill_ant_gpu.sh ;;
    distill_asym) OUT=$R PYTHON=python3 run 70 distill-asym bash results/distill_ant_gpu.sh asym ;;
    ant15)  # ant's default run stopped after 85 iterations (~15 s on an H100), evaluated, then resumed to the end
      train ant15 45 --num-envs 16384 --total-timesteps 33423360 && run 40 ant15-resume python3 cleanppo/ppo_warp.py \
        --resume "$(ls -t "$R"/ant15/*/checkpoint.pt | head -1)" --total-timesteps 50000000 && run 20 ant15-eval-end \
        python3 cleanppo/ppo_warp.py --eval "$(ls -t "$R"/ant15/*/checkpoint.pt | head -1)" --eval-episodes 256 ;;
    ddp)
      run 40 ddp torchrun --standalone --nproc_per_node 1 cleanppo/ppo_warp_ddp.py --env-id ant --num-envs 16384 \
        --total-timesteps 2000000 --log-dir "$R/ddp" --save-minutes 0 ;;
    sweep)  # env steps/s of the old (fused_env_major), fused and split pipelines, CUDA graph on
      run 50 sweep python3 cleanppo/throughput.py env --device cuda:0 --env-ids ant humanoid --num-envs 65536 262144 \
        --pipelines ${PIPELINES:-fused_env_major split} --repeats 3 --seconds 0.1 --no-cold-cache --max-point-seconds 10 \
        --out "$R/sweep" ;;
    report) run 60 report python3 cleanppo/throughput.py gpu --out "$R/report" ;;
    perf)  # the CPU contact-solve work (J_p per point, tree-sparse solve) on CUDA: split-pipeline env steps/s of this
      # tree and of a base tree (/tmp/base, unpacked beforehand), ant (tree solve) and humanoid (dense, geom pairs)
      args="env --device cuda:0 --env-ids ant humanoid --num-envs 65536 --pipelines split --repeats 3 --seconds 0.1"
      args="$args --no-cold-cache --max-point-seconds 5"
      run 30 perf-new python3 cleanppo/throughput.py $args --out "$R/perf_new"
      [ -d /tmp/base ] && run 30 perf-base env -C /tmp/base PYTHONPATH=/tmp/site:/tmp/base python3 \
        cleanppo/throughput.py $args --out "$R/perf_base" ;;
    *) say "unknown stage $stage" ;;
  esac
done
say "packing"
python3 - "$R" <<'EOF' >>"$LOG" 2>&1
import pathlib, sys, torch
for ck in pathlib.Path(sys.argv[1]).rglob("checkpoint.pt"):  # keep the policy, drop the env state (size)
    c = torch.load(ck, map_location="cpu", weights_only=False)
    torch.save({k: c[k] for k in ("agent", "obs_rms", "args", "global_step") if k in c}, ck.with_name("policy.pt"))
    ck.unlink()
EOF
tar -czf "$OUT/runs.tar.gz" --exclude='events.out.tfevents*' --exclude='*.mp4' -C "$R" . 2>>"$LOG"
ls -la "$OUT" | tee -a "$LOG"
