#!/usr/bin/env bash
# The mutation check behind tests/MUTATIONS.md: reintroduce each one-line bug, run the fast tests that should
# catch it, print the failures, restore the file. Run from the repo root on a clean tree:
#   PY=.venv/bin/python tests/mutations.sh
# A row printing "did not apply" means the code moved: update its pattern (and the table).
set -uo pipefail
PY=${PY:-python}
export PYTHONPATH=$PWD
mutate() {  # name, file, sed expression, pytest arguments...
    local name=$1 file=$2 expr=$3
    shift 3
    local backup
    backup=$(mktemp)
    cp "$file" "$backup"
    sed -i "$expr" "$file"
    if cmp -s "$file" "$backup"; then
        echo "## $name: did not apply"
    else
        echo "## $name"
        $PY -m pytest -q -m "not slow" -p no:cacheprovider "$@" 2>&1 | grep -E "^FAILED|passed|failed" | sed 's/ - .*//'
    fi
    cp "$backup" "$file"
    rm -f "$backup"
}
mutate "1 gravity sign in the RNEA base acceleration" kernels/articulation.py \
    's/wp.spatial_vector(wp.vec3(0.0), -gravity)/wp.spatial_vector(wp.vec3(0.0), gravity)/' \
    tests/test_articulation.py -k "ant or random_trees and 0"
mutate "2 armature dropped from the mass matrix" kernels/articulation.py 's/ + dof_armature\[i\]$//' \
    tests/test_articulation.py -k "ant or random_trees and 0"
mutate "3 friction mixing max -> min" kernels/articulation.py \
    's/max(friction\[g\], friction\[pl\])/min(friction[g], friction[pl])/' \
    tests/test_contact_reference.py tests/test_randomization.py
mutate "5 delay ring buffer read one slot off" kernels/episode.py \
    's/ep.buf_head - ep.delay + buf_len/ep.buf_head - ep.delay + 1 + buf_len/' \
    tests/test_envs.py tests/test_episodes.py -k delay
mutate "6 ant ctrl_cost_weight 0.5 -> 0.25" envs/ant.py 's/ctrl_cost_weight: float = 0.5,/ctrl_cost_weight: float = 0.25,/' \
    tests/test_locomotion.py
mutate "7 delay buffer not cleared at reset" kernels/episode.py \
    's/action_buf\[worldid \* buf_len + i\] = action_type()/pass/' tests/test_envs.py tests/test_episodes.py -k delay
mutate "8 contact ignores the per-env friction scale" kernels/articulation.py \
    's/mu = cgeom_friction\[g\] \* geom_friction_scale\[worldid % geom_friction_scale.shape\[0\], cgeom_geomid\[g\]\]/mu = cgeom_friction[g]/' \
    tests/test_contact_reference.py tests/test_randomization.py
mutate "12 pendulum reset angle pi -> pi/2" envs/pendulum.py \
    's/reset_theta: float = math.pi,/reset_theta: float = math.pi \/ 2,/' tests/test_episodes.py tests/test_envs.py -k pendulum
