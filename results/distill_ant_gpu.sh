#!/usr/bin/env bash
# The ant distillation check of the README, now one case of results/distill_gpu.sh: a DAgger student (teacher 36M +
# student 8M env steps), or with the argument `asym` the asymmetric PPO baseline for the same 44M steps.
#   bash results/distill_ant_gpu.sh [asym]
exec bash "$(dirname "$0")/distill_gpu.sh" ant "$([ "${1:-}" = asym ] && echo asym_ppo || echo dagger)"
