#!/usr/bin/env bash
# hopper, walker2d, swimmer and inverted_pendulum on this CPU: cleanppo/ppo_warp.py's preset (the default command
# plus a seed), seeds 1-3 one after another, each final policy run deterministically for 20 episodes in our env and in
# Gymnasium's v5 env from the same start states (benchmarks/sim2sim.py); the tables, progress.csv and the slim policy
# land in results/ppo_planar_cpu/<env>/seed<n>/, the seeds' learning curves in <env>.png. Run from the repository root:
#   bash results/ppo_planar_cpu/run.sh   # ENVS="hopper walker2d swimmer inverted_pendulum" SEEDS="1 2 3" PYTHON=python
#                                        # RUNS=/tmp/ppo_planar_runs
# A run whose folder has DONE is not trained again (the evaluation is repeated).
set -euo pipefail
PY=${PYTHON:-python}
RUNS=${RUNS:-/tmp/ppo_planar_runs}
OUT=results/ppo_planar_cpu
for env in ${ENVS:-hopper walker2d swimmer inverted_pendulum}; do
  for seed in ${SEEDS:-1 2 3}; do
    dir=$RUNS/$env/seed$seed
    if [ ! -f "$dir/DONE" ]; then
      rm -rf "$dir"
      start=$(date +%s)
      $PY cleanppo/ppo_warp.py --env-id "$env" --seed "$seed" --device cpu --log-dir "$dir" --quiet --save-every 0
      echo "$(($(date +%s) - start))" > "$dir/DONE"
    fi
    ckpt=$(ls "$dir"/*/checkpoint.pt)
    dest=$OUT/$env/seed$seed
    mkdir -p "$dest"
    PYTHONPATH=$PWD $PY benchmarks/sim2sim.py "$ckpt" --episodes 20 --out "$dest"
    cp "$(dirname "$ckpt")/progress.csv" "$dest/"
    cp "$dir/DONE" "$dest/train_seconds"
    $PY -c "import sys, torch; c = torch.load(sys.argv[1], weights_only=False); \
torch.save({k: c[k] for k in ('agent', 'obs_rms', 'args')}, sys.argv[2])" "$ckpt" "$dest/policy.pt"
  done
done
for env in ${ENVS:-hopper walker2d swimmer inverted_pendulum}; do
  csvs=() labels=()
  for seed in ${SEEDS:-1 2 3}; do csvs+=("$OUT/$env/seed$seed/progress.csv"); labels+=("seed $seed"); done
  $PY benchmarks/plot_progress.py "${csvs[@]}" "$OUT/$env.png" --labels "${labels[@]}" \
    --title "$env, ppo_warp.py preset, CPU"
done
