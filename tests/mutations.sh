#!/usr/bin/env bash
# The mutation check behind tests/MUTATIONS.md: reintroduce each one-line bug, run the fast tests that should
# catch it, print the failures and the row's time, restore the file. Run from the repo root on a clean tree:
#   PY=.venv/bin/python tests/mutations.sh            (all rows)
#   PY=.venv/bin/python tests/mutations.sh 4 13       (rows whose name starts with these numbers)
# A row printing "did not apply" means the code moved: update its pattern (and the table).
set -uo pipefail
PY=${PY:-python}
export PYTHONPATH=$PWD
ROWS=" $* "
BACKUP=""
FILE=""
# an interrupted run must not leave a mutated file behind
trap '[ -n "$BACKUP" ] && cp "$BACKUP" "$FILE" && rm -f "$BACKUP"; exit 1' INT TERM
mutate() {  # name, file, sed expression, pytest arguments...
    local name=$1 expr=$3
    FILE=$2
    shift 3
    if [ "$ROWS" != "  " ] && [[ "$ROWS" != *" ${name%% *} "* ]]; then
        return
    fi
    BACKUP=$(mktemp)
    cp "$FILE" "$BACKUP"
    sed -i "$expr" "$FILE"
    if cmp -s "$FILE" "$BACKUP"; then
        echo "## $name: did not apply"
    else
        local start=$SECONDS
        echo "## $name"
        local out
        out=$($PY -m pytest -q -m "not slow" -p no:cacheprovider "$@" 2>&1 |
            grep -E "^(FAILED|ERROR) |^[0-9]+ (passed|failed|errors?|deselected)|no tests ran" | sed 's/ - .*//')
        echo "$out"
        if ! grep -qE "^[0-9]+ (passed|failed|errors?|deselected)" <<<"$out"; then
            echo "   NO RESULT: pytest printed no summary (interrupted or crashed)"
        elif ! grep -qE "^(FAILED|ERROR) " <<<"$out"; then
            echo "   NOT CAUGHT: no fast test failed"
        fi
        echo "   ($((SECONDS - start)) s)"
    fi
    cp "$BACKUP" "$FILE"
    rm -f "$BACKUP"
    BACKUP=""
}
# --- the twelve bugs of issue 18 ------------------------------------------------------------------------------
mutate "1 gravity sign in the RNEA base acceleration" kernels/smooth.py \
    's/wp.spatial_vector(wp.vec3(0.0), -gravity)/wp.spatial_vector(wp.vec3(0.0), gravity)/' \
    tests/test_articulation.py -k "ant or random_trees and 0"
mutate "2 armature dropped from the mass matrix" kernels/smooth.py 's/ + dof_armature\[i\]$//' \
    tests/test_articulation.py -k "ant or random_trees and 0"
mutate "3 friction mixing max -> min" kernels/io.py \
    's/np.maximum(friction\[g1\], friction\[g2\])/np.minimum(friction[g1], friction[g2])/' \
    tests/test_contact_reference.py -k "friction"
mutate "4 PPO bootstraps truncations from obs, not final_obs (ppo_warp.py)" cleanppo/ppo_warp.py \
    's/final_values = agent.get_value(normalize(storage.final_obs, \*obs_norm))/final_values = agent.get_value(normalize(storage.obs, *obs_norm))/' \
    tests/test_ppo_wiring.py
mutate "5 delay ring buffer read one slot off" kernels/episode.py \
    's/(ep.buf_head - ep.delay + buf_len)/(ep.buf_head - ep.delay + 1 + buf_len)/' \
    tests/test_envs.py tests/test_episodes.py -k delay
mutate "6 ant ctrl_cost_weight 0.5 -> 0.25" envs/ant.py \
    's/ctrl_cost_weight: float = 0.5  #/ctrl_cost_weight: float = 0.25  #/' tests/test_locomotion.py
mutate "7 delay buffer not cleared at reset" kernels/episode.py \
    's/action_buf\[worldid \* buf_len + i\] = action_type()/pass/' tests/test_envs.py tests/test_episodes.py -k delay
mutate "8 contact ignores the per-env friction scale" kernels/collision.py \
    's/mu = wp.max(cgeom_friction\[g\] \* scale, 1.0e-5)/mu = wp.max(cgeom_friction[g], 1.0e-5)/' \
    tests/test_contact_reference.py tests/test_randomization.py -k friction
mutate "9 clipped surrogate max -> min (ppo_warp.py)" cleanppo/ppo_warp.py \
    's/pg_loss = torch.max(pg_loss1, pg_loss2).mean()/pg_loss = torch.min(pg_loss1, pg_loss2).mean()/' \
    tests/test_ppo_wiring.py tests/test_ppo.py
mutate "10 truncation bootstrap removed from compute_gae (ppo_warp.py)" cleanppo/ppo_warp.py \
    's/^    rewards = rewards + gamma \* torch.where(bootstrap, final_values, torch.zeros_like(final_values))$/    rewards = rewards/' \
    tests/test_ppo_wiring.py tests/test_ppo.py
mutate "11 truncation bootstrap removed from compute_gae (ppo_gym.py)" cleanppo/ppo_gym.py \
    's/^    rewards = rewards + gamma \* torch.where(bootstrap, final_values, torch.zeros_like(final_values))$/    rewards = rewards/' \
    tests/test_ppo_wiring.py tests/test_ppo.py
mutate "12 pendulum reset angle pi -> pi/2" envs/pendulum.py \
    's/reset_theta: float = math.pi  #/reset_theta: float = math.pi \/ 2  #/' \
    tests/test_episodes.py tests/test_envs.py -k pendulum
# --- comparable bugs in the code added since ------------------------------------------------------------------
mutate "13 contact pair margin sum -> max" kernels/io.py \
    's/return margin\[g1\] + margin\[g2\], /return max(margin[g1], margin[g2]), /' \
    tests/test_contact_reference.py -k "margin or dropped"
mutate "14 geom priority ignored (equal-priority rule always)" kernels/io.py \
    's/if priority\[g1\] != priority\[g2\]:/if False:/' tests/test_contact_reference.py -k "priority"
mutate "15 adapters hand out the env's views, not copies" envs/adapters.py \
    's/return obs.clone(), reward.clone(), terminated.clone(), truncated.clone(), info/return obs, reward, terminated, truncated, info/' \
    tests/test_adapters.py
mutate "16 launch arguments bound by dict order, not by name" kernels/episode.py \
    's/return \[values\[name\] for name in names\]/return list(values.values())/' \
    tests/test_env_contract.py tests/test_envs.py -k "kernel_inputs or cartpole"
mutate "17 mass scale bound to the friction parameter" envs/core.py \
    's/"mass_param": names.index("mass") if "mass" in names else -1,/"mass_param": names.index("friction") if "friction" in names else -1,/' \
    tests/test_randomization.py tests/test_episodes.py

mutate "18 the device-side lr rule divides by 1.2, not rsl_rl's 1.5" cleanppo/ppo_warp.py \
    's/lower, higher = (lr \/ 1.5)/lower, higher = (lr \/ 1.2)/' tests/test_ppo_update.py
mutate "19 the log std not projected into its bounds" cleanppo/ppo_warp.py \
    's/    agent.actor_logstd.data.clamp_(args.min_log_std, args.max_log_std)/    pass/' tests/test_ppo_update.py
mutate "20 the pyramidal normal stiffness not capped" kernels/contact.py \
    's/dcoef = wp.min(dcoef, MAX_STIFFNESS_RATIO \/ (float(rows) \* invweight))/pass/' tests/test_anymal_c.py tests/test_contact.py
mutate "21 solimp power 2 as a / m instead of a^2 / m" kernels/contact.py \
    's/ratio = a \* a \/ m$/ratio = a \/ m/' tests/test_contact.py -k impedance
mutate "22 a geom-geom row without body 1's Jacobian" kernels/equality.py \
    '/^def row_jacobian/,/^def add_dense_row/s/            sign = -1.0/            sign = 0.0/' tests/test_self_contact.py
mutate "23 the implicit joint damping left out after the constraint solve" kernels/forward.py \
    's/qacc_out\[worldid, i\] = qfrc_smooth_out\[worldid, i\] - qacc_out\[worldid, i\]/qacc_out[worldid, i] = qfrc_smooth_out[worldid, i]/' \
    tests/test_anymal_sim2sim.py tests/test_sim2sim.py
mutate "24 parallel capsules get one point per pair" kernels/collision.py \
    's/if n == 2 and segments_parallel(a0, a1, b0, b1):/if False:/' tests/test_self_contact.py -k parallel
mutate "25 a recorded env launch that bypasses the env's block size" envs/anymal_c.py \
    's/self._sync_cmd = self.record_launch(k, self.num_envs, args)/self._sync_cmd = wp.launch(k, self.num_envs, inputs=args, device=self.device, record_cmd=True)/' \
    tests/test_split_pipeline.py -k block_dim
mutate "26 a sphere on a height field against the plane under its centre only" kernels/terrain.py \
    's/    if wp.dot(n, center) - d <= 0.0:/    if True:/' tests/test_terrain.py
mutate "27 vertical risers at the lower sample instead of the higher" envs/terrain.py \
    's/        low = np.minimum(a, b)\[..., None\]/        low = np.maximum(a, b)[..., None]/' tests/test_terrain.py tests/test_anymal_c_rough.py -k risers
mutate "28 the tiled solve leaves the joint limits out of H" kernels/solve_tiled.py \
    's/hmat = wp.tile_diag_add(m, wp.tile_map(wp.add, neg_hb, wp.tile_sum(wp.tile(ld), axis=1)))/hmat = wp.tile_diag_add(m, neg_hb)/' \
    tests/test_solve_tiled.py
mutate "29 a contact row's force with J qacc added instead of subtracted" kernels/constraint.py \
    's/            f = dcoef \* (aref - wp.dot(acc, u))/            f = dcoef * (aref + wp.dot(acc, u))/' tests/test_contact.py
mutate "30 the joint-level actuator force clamp dropped" kernels/forward.py \
    's/+ wp.clamp(f, dof_actfrcrange\[d\]\[0\], dof_actfrcrange\[d\]\[1\])/+ f/' tests/test_actuator_force_limits.py
mutate "31 the cylinder's direction to its deepest rim point by MuJoCo's difference form (float32 cancellation)" kernels/contact.py \
    's/    vec = wp.cross(wp.cross(normal, axis), axis)/    vec = axis * prjaxis - normal/' tests/test_contact_reference.py -k cylinder
mutate "32 implicitfast's servo velocity terms left out of the implicit damping" kernels/io.py \
    's/        implicit_actuators=int(_implicit(model)),/        implicit_actuators=0,/' tests/test_implicitfast.py
mutate "33 a ball joint's axes carried by the velocity after its own dofs" kernels/smooth.py \
    's/motion_cross_motion(before, cdof_in/motion_cross_motion(vel, cdof_in/' tests/test_ball_joint.py
mutate "34 both rolling edge pairs about the first tangent" kernels/contact.py \
    's/            axis = wp.cross(normal, t1)/            axis = t1/' tests/test_spin_roll_friction.py
mutate "35 the torsional and rolling rows' cross term J_p^T n c^T J_r left out of H" kernels/constraint.py \
    's/h = pi \* wp.dot(c, rj) + /h = /' tests/test_spin_roll_friction.py
mutate "36 the constraint solve without its line search (full Newton steps only)" kernels/line_search.py \
    's/^LINE_SEARCH_START = wp.constant(2)/LINE_SEARCH_START = wp.constant(1000)/' tests/test_spin_roll_friction.py \
    tests/test_contact_reference.py
mutate "37 a geom-geom torsional / rolling row without its rotational Jacobian (w^T (J_r2 - J_r1))" kernels/equality.py \
    's/wrench = wp.spatial_vector(wp.cross(point - ref, a) + w, a)/wrench = wp.spatial_vector(wp.cross(point - ref, a), a)/' \
    tests/test_spin_roll_friction.py
mutate "38 a geom-geom torsional / rolling row's aref on body 1's spin relative to body 2's" kernels/collision.py \
    's/omega = wp.spatial_top(cvel_in\[worldid, body2\]) - wp.spatial_top(cvel_in\[worldid, body1\])/omega = wp.spatial_top(cvel_in[worldid, body1]) - wp.spatial_top(cvel_in[worldid, body2])/' \
    tests/test_spin_roll_friction.py
mutate "39 the torsional / rolling rows' torque left out of contact_trq and pair_trq (cfrc_ext)" kernels/constraint.py \
    's/                                trq += f \* w$/                                pass/' tests/test_spin_roll_friction.py
mutate "40 a connect's and a weld's aref without MuJoCo's Jdot qvel term" kernels/equality.py \
    's/    return dcoef, -b \* vel - kk \* imp \* r - bias/    return dcoef, -b * vel - kk * imp * r/' tests/test_equality.py
mutate "41 an equality's impedance at each row's residual instead of the constraint's residual norm" kernels/equality.py \
    's/    imp = impedance(eq_solimp\[i\], norm)/    imp = impedance(eq_solimp[i], r)/' tests/test_equality.py
mutate "42 GJK without its stop where a step brings it no closer (float32 cycling)" kernels/convex.py \
    's/        if k > 0 and wp.length(x_new) >= x_norm:/        if k < 0:/' tests/test_convex.py -k first_contact
mutate "43 multiccd's turn about the contact point with the displacement's sign flipped" kernels/convex.py \
    's/    return convex_geom(g.gtype, g.pos - (rot \* rel - rel), rot \* g.rot, g.size, g.margin)/    return convex_geom(g.gtype, g.pos + (rot * rel - rel), rot * g.rot, g.size, g.margin)/' \
    tests/test_convex.py -k multiccd
mutate "44 an ellipsoid's support point without its second scaling by the radii" kernels/convex.py \
    's/            s = wp.cw_mul(e \/ wp.sqrt(n2), g.size)/            s = e \/ wp.sqrt(n2)/' tests/test_convex.py -k "first_contact and ellipsoid"
mutate "45 MuJoCo's simple slider-only bodies weighted from the mass matrix (armature in)" kernels/io.py \
    's/    for b in np.flatnonzero(_slider_bodies(model)):/    for b in []:/' tests/test_mjcf.py tests/test_convex.py \
    -k "invweights or pusher"
mutate "46 an ellipsoid's ground point along the ground's normal instead of against it" kernels/collision.py \
    's/            scaled = wp.cw_mul(wp.transpose(grot_m) \* (-n0), size)/            scaled = wp.cw_mul(wp.transpose(grot_m) * n0, size)/' \
    tests/test_convex.py -k ellipsoid_thrown
mutate "47 the elliptic cone's regularized mu = f_1 / impratio instead of f_1 / sqrt(impratio)" kernels/elliptic.py \
    's/vec6(mu \/ wp.sqrt(ratio), mu, mu/vec6(mu \/ ratio, mu, mu/' tests/test_elliptic_cone.py
mutate "48 the elliptic cone's friction rows with the normal's D (impratio left out)" kernels/elliptic.py \
    's/vec6(1.0, ratio, ratio, ratio \* spin \* spin/vec6(1.0, 1.0, 1.0, ratio * spin * spin/' tests/test_elliptic_cone.py
mutate "49 the elliptic cone's middle-zone force along e_0 - mu T u instead of e_0 - mu u" kernels/elliptic.py \
    's/(mu \/ t) \* tangent)/(mu * t) * tangent)/' tests/test_elliptic_cone.py
mutate "50 a geom-geom contact's elliptic tangent aref with its sign flipped" kernels/collision.py \
    's/aref = wp.vec4(aref\[0\], -b \* wp.dot(vel, t1), -b \* wp.dot(vel, wp.cross(normal, t1)), 0.0)/aref = wp.vec4(aref[0], b * wp.dot(vel, t1), b * wp.dot(vel, wp.cross(normal, t1)), 0.0)/' \
    tests/test_elliptic_cone.py -k stack
mutate "51 gravity compensation's force at the body's frame origin instead of its center of mass" kernels/forward.py \
    's/    com = xpos_in\[worldid, b\] + wp.quat_rotate(xquat_in\[worldid, b\], body_ipos\[b\])/    com = xpos_in[worldid, b]/' \
    tests/test_gravcomp.py
mutate "52 an explicit pair against the floor with the geoms' mixed parameters instead of its own" kernels/io.py \
    's/            rows.append((g, \*(explicit\[key\] if key in explicit else _pair_params(model, g, pl, h))))/            rows.append((g, *_pair_params(model, g, pl, h)))/' \
    tests/test_contact_pairs.py
mutate "53 actuatorgravcomp left out of its joint's actuatorfrcrange clamp" kernels/forward.py \
    's/            if dof_actgravcomp\[d\] == 1:/            if dof_actgravcomp[d] == 7:/' tests/test_gravcomp.py -k actuator
mutate "54 actuatorgravcomp inside the clamp and again as a passive force" kernels/forward.py \
    's/if dof_actgravcomp\[i\] == 0 or dof_actgravcomp\[i\] == 3:/if dof_actgravcomp[i] != 2:/' \
    tests/test_gravcomp.py -k actuator
mutate "55 Hopper-v5's healthy_state_range not checked" envs/locomotion.py \
    's/                for i in range(2, num_q + num_v):/                for i in range(2, 2):/' \
    tests/test_locomotion.py -k "hopper or walker"
mutate "56 the planar walkers' observed qvel not clipped" envs/locomotion.py \
    's/            for i in range(qvel_obs, tail):/            for i in range(tail, tail):/' \
    tests/test_locomotion.py tests/test_sim2sim.py -k "hopper or walker"
mutate "57 a planar walker reset with rootz 0 instead of its qpos0's" envs/locomotion.py \
    's/            s\[1\] = cfg.init_rootz/            s[1] = 0.0/' \
    tests/test_locomotion.py tests/test_episodes.py -k "hopper or walker"
mutate "58 Swimmer's reset velocities Gaussian instead of uniform" envs/swimmer.py \
    's/    uniform_qvel_noise = True/    uniform_qvel_noise = False/' \
    tests/test_episodes.py tests/test_locomotion.py -k swimmer
mutate "59 Swimmer's fluid without its viscosity" envs/assets/swimmer.xml \
    's/viscosity="0.1"/viscosity="0"/' \
    tests/test_locomotion.py -k swimmer
mutate "60 InvertedPendulum pays the survive reward on the step that terminates" envs/inverted_pendulum.py \
    's/    if not inverted_pendulum_fell(cfg, sc, s_phys):/    if True:/' \
    tests/test_gym_tasks.py -k "inverted_pendulum"
mutate "61 InvertedPendulum's reset velocities left at 0" envs/inverted_pendulum.py \
    's/    for i in range(4):/    for i in range(2):/' \
    tests/test_episodes.py tests/test_gym_tasks.py -k inverted_pendulum
mutate "62 Reacher's target drawn in the square, not in its disk" envs/reacher.py \
    's/    while gx \* gx + gy \* gy >= r \* r:/    while gx * gx + gy * gy >= 4.0 * r * r:/' \
    tests/test_episodes.py tests/test_gym_tasks.py -k reacher
mutate "63 Reacher's fingertip with the two links' lengths swapped in x" envs/reacher.py \
    's/        cfg.upper_arm \* wp.cos(a) + cfg.forearm \* wp.cos(b),/        cfg.forearm * wp.cos(a) + cfg.upper_arm * wp.cos(b),/' \
    tests/test_gym_tasks.py -k reacher
mutate "64 InvertedPendulum does not end on a non-finite state" envs/inverted_pendulum.py \
    's/    return not all_finite(s) or wp.abs(s\[1\]) > cfg.max_pole_angle/    return wp.abs(s[1]) > cfg.max_pole_angle/' \
    tests/test_gym_tasks.py -k inverted_pendulum
mutate "65 the constraint force without the damping taken off qM's diagonal" kernels/forward.py \
    's/            f = -qfrc_smooth_in\[worldid, i\] - hd \* implicit_b_in\[worldid, i\] \* qacc_prev_in\[worldid, i\]/            f = -qfrc_smooth_in[worldid, i]/' \
    tests/test_constraint_force.py
mutate "66 the constraint force from the damped qacc, not the constraint solve's" kernels/forward.py \
    's/^        qacc_prev_out\[worldid, i\] = qacc_out\[worldid, i\]$/        qacc_prev_out[worldid, i] = 0.0/' \
    tests/test_constraint_force.py
mutate "67 InvertedDoublePendulum observes no constraint force" envs/inverted_double_pendulum.py \
    's/    f = wp.clamp(qfrc_constraint\[w, 0\], -OBS_CLIP, OBS_CLIP)/    f = float(0.0)/' \
    tests/test_gym_tasks.py -k double
mutate "68 InvertedDoublePendulum's second pole not turned by the first hinge" envs/inverted_double_pendulum.py \
    's/    b = s\[1\] + s\[2\]/    b = s[2]/' \
    tests/test_gym_tasks.py -k double
mutate "69 InvertedDoublePendulum's reset velocities uniform instead of normal" envs/inverted_double_pendulum.py \
    's/        s\[3 + i\] = noise \* wp.randn(rng)/        s[3 + i] = wp.randf(rng, -noise, noise)/' \
    tests/test_episodes.py -k double
mutate "70 Pusher's object moved along its slides swapped (x by obj_slidey)" envs/pusher.py \
    's/    return _OBJECT + wp.vec3(s\[8\], s\[7\], 0.0)/    return _OBJECT + wp.vec3(s[7], s[8], 0.0)/' \
    tests/test_gym_tasks.py -k pusher
mutate "71 Pusher's object drawn without Pusher-v5's rejection from the goal" envs/pusher.py \
    's/    while wp.sqrt(oy \* oy + ox \* ox) <= 0.17:/    while wp.sqrt(oy * oy + ox * ox) <= 0.0:/' \
    tests/test_gym_tasks.py tests/test_episodes.py -k pusher
mutate "72 HumanoidStandup's height reward over the control step, not the MJCF timestep" envs/locomotion.py \
    's/            forward = cfg.uph_cost_weight \* s_phys\[z_index\] \/ cfg.timestep/            forward = cfg.uph_cost_weight * s_phys[z_index] \/ cfg.dt/' \
    tests/test_locomotion.py -k standup
mutate "73 --eval asks a slim policy file for the optimizer and counters of a training checkpoint" cleanppo/ppo_warp.py \
    's/        ckpt = runs.load_checkpoint(args.eval, runs.POLICY_KEYS)/        ckpt = runs.load_checkpoint(args.eval)/' \
    tests/test_ppo.py -k "smoke_run_checkpoint_and_eval and ppo_warp"
mutate "74 ThreadedEnv gives every group the first envs' episode clocks" cleanppo_utils/threaded_env.py \
    's/            part.set_episode_step(steps\[s\])/            part.set_episode_step(steps[: part.num_envs])/' \
    tests/test_threaded_env.py -k bit_for_bit
mutate "75 a DDP rank takes the first envs' episode clocks, not its own" cleanppo/ppo_warp_ddp.py \
    's/        env.set_episode_step(clocks\[first_env : first_env + num_envs\])/        env.set_episode_step(clocks[:num_envs])/' \
    tests/test_ppo_ddp.py -k first_update
mutate "76 ppo_gym's staggered start leaves Gymnasium's TimeLimit counters at 0" cleanppo_utils/gym_env.py \
    's/                env._elapsed_steps = int(k)/                pass/' \
    tests/test_ppo.py -k "random_episode and ppo_gym"
mutate "77 set_episode_step leaves every episode clock at 0" kernels/episode.py \
    's/    episode\[i\].ep_length = steps\[i\]/    episode[i].ep_length = 0/' \
    tests/test_adapters.py -k rsl_rl_interface
mutate "78 the split solve's head finishes its unsettled envs instead of queueing them for the tail" kernels/forward.py \
    's/                        finish = False/                        finish = True/' \
    tests/test_split_pipeline.py -k bit_for_bit
mutate "79 the tiled solve never starts its line search" kernels/solve_tiled.py \
    's/                searching = iteration >= LINE_SEARCH_START/                searching = False/' \
    tests/test_solve_tiled.py -k line_search
