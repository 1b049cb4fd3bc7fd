"""HumanoidStandup: Gymnasium's `HumanoidStandup-v5` (the humanoid starts lying on its back and is paid for its
height; 17 motors) on cleanppo's articulated dynamics and contacts.

Model: envs/assets/humanoidstandup.xml, written from Gymnasium's v5 humanoidstandup.xml: envs/assets/humanoid.xml's
bodies, geoms, joints and motors laid out lying along the torso's x axis, the torso's frame 0.105 m above the floor
(timestep 0.003 s); frame_skip 5, so dt = 0.015 s, each timestep split into `substeps` (1) implicit Euler substeps
with MuJoCo's soft contacts against the floor and between limbs (kernels/constraint.py).

Action (17, normalized, clipped to [-1, 1]; ctrl = 0.4 a, torque = gear * ctrl): the humanoid's (envs/humanoid.py):
abdomen (3), right hip (3) and knee, left hip (3) and knee, shoulders (2 each) and elbows.

Observation (45), the default `obs_layout="short"` (HumanoidStandup-v5 with `include_*_in_observation=False`): torso z
(m), torso orientation quaternion (w, x, y, z), 17 hinge angles (rad), torso linear velocity (world frame, m/s), torso
angular velocity (body frame, rad/s), 17 hinge velocities (rad/s); with `obs_layout="v5"` 348, Gymnasium's default
(`exclude_current_positions_from_observation=True`; cinert, cvel, qfrc_actuator and cfrc_ext of bodies 1-13 after
the state part, the rows of envs/humanoid.py's table).

Reward = linup + healthy + ctrl_cost + contact_cost (envs/locomotion.py), each term logged (info["reward_terms"], this
order); HumanoidStandup-v5's reward_linup, the constant 1, reward_quadctrl and reward_impact:
  linup         uph_cost_weight (1.0) * z / timestep, z the torso's height after the step (m), timestep the MJCF
                step (0.003 s): ~35 per step lying, ~470 standing
  healthy       healthy_reward (1.0) on every step (HumanoidStandup-v5's + 1; the task never terminates)
  ctrl_cost     -ctrl_cost_weight (0.1) * sum(ctrl^2), ctrl = 0.4 a
  contact_cost  -contact_cost_weight (5e-07) * sum of the squared cfrc_ext components of every body (Gymnasium's
                impact_cost_weight 0.5e-6), the cost clipped to contact_cost_range (0.0, 10.0) (Gymnasium's
                impact_cost_range (-inf, 10): the cost is >= 0) (both layouts)

Reset: qpos = qpos0 + U(-reset_noise_scale, reset_noise_scale), qvel = U(-reset_noise_scale, reset_noise_scale),
reset_noise_scale (0.01); qpos0 (from humanoidstandup.xml) = torso at (0, 0, 0.105), identity orientation, joints 0.
Termination: none. Truncation: 1,000 steps (`max_episode_steps`).

Physical parameters with a `<name>_scale` knob: mass (every body's mass and inertia), friction (every geom's sliding
friction), strength (every motor's gear); privileged observation = (mass_scale, friction_scale, strength_scale).

State (`get_state`): concat(qpos (24), qvel (23)) in MuJoCo order.
"""

import warp as wp

from envs.locomotion import LocomotionEnv


@wp.struct
class HumanoidStandupConfig:
    """HumanoidStandup-v5's reward weights and reset noise (SI units); each field with a default is a constructor
    parameter with that default, the others come from the model."""

    uph_cost_weight: float = 1.0  # per m of torso height per s of MJCF timestep
    ctrl_cost_weight: float = 0.1  # per unit of sum(ctrl^2)
    healthy_reward: float = 1.0  # per step, always (HumanoidStandup-v5's constant + 1)
    contact_cost_weight: float = 5e-7  # per unit of the sum of squared cfrc_ext components
    contact_cost_range: wp.vec2 = (0.0, 10.0)  # clip of the contact cost (Gymnasium's (-inf, 10); it is >= 0)
    reset_noise_scale: float = 0.01  # half-width of the uniform qpos (m, rad) and qvel (m/s, rad/s) noise
    init_z: float  # torso height of qpos0, m
    ctrl_scale: float  # ctrl = ctrl_scale * a (the model's symmetric ctrlrange)
    timestep: float  # the MJCF timestep, s
    dt: float  # control step, s


class HumanoidStandup(LocomotionEnv):
    """Gymnasium HumanoidStandup-v5 on Warp articulated dynamics with soft contacts; see the module docstring."""

    name = "humanoid_standup"
    asset = "humanoidstandup.xml"
    cfg_type = HumanoidStandupConfig
    uniform_qvel_noise = True
    v5_blocks = ("cinert", "cvel", "qfrc_actuator", "cfrc_ext")
