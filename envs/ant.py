"""Ant: Gymnasium's `Ant-v5` (quadruped, 8 hip/ankle motors) on cleanppo's articulated dynamics and contacts.

Model: envs/assets/ant.xml, written from Gymnasium's v5 ant.xml (same kinematics, masses, gears 150, joint
ranges, timestep 0.01 s); frame_skip 5, so one step is dt = 0.05 s, each timestep split into `substeps`
(1: MuJoCo's own 10 ms step) implicit Euler steps with soft contacts (kernels/contact.py).

Action (8, normalized, clipped to [-1, 1]; ctrl = a, torque = 150 a N m):
  | idx | actuator  | joint   | idx | actuator | joint   |
  | 0   | hip_4     | hinge   | 4   | hip_2    | hinge   |
  | 1   | ankle_4   | hinge   | 5   | ankle_2  | hinge   |
  | 2   | hip_1     | hinge   | 6   | hip_3    | hinge   |
  | 3   | ankle_1   | hinge   | 7   | ankle_3  | hinge   |

Observation (27), the default `obs_layout="short"` (Ant-v5 with `include_cfrc_ext_in_observation=False`); with
`obs_layout="v5"` 105, Gymnasium Ant-v5's default (`exclude_current_positions_from_observation=True`,
`include_cfrc_ext_in_observation=True`: rows 27-104 below; envs/locomotion.py):
  | idx     | quantity                                                        | unit  |
  | 0       | torso z                                                         | m     |
  | 1-4     | torso orientation quaternion w, x, y, z                         | -     |
  | 5-12    | hip_1, ankle_1, hip_2, ankle_2, hip_3, ankle_3, hip_4, ankle_4  | rad   |
  | 13-15   | torso linear velocity x, y, z (world frame)                     | m/s   |
  | 16-18   | torso angular velocity (body frame)                             | rad/s |
  | 19-26   | joint velocities, same order as 5-12                            | rad/s |
  | 27-104  | MuJoCo's cfrc_ext of bodies 1-13 (torso, then each leg's 3 bodies in MJCF order): | N m, N |
  |         | contact torque and force about the center of mass, world axes, each component     |        |
  |         | clipped to contact_force_range                                                    |        |
The v5 layout is the default so that a policy trained here sees what a policy trained on Gymnasium's default Ant-v5
sees (benchmarks/sim2sim.py runs it there); the contact forces are ours (kernels.com), not MuJoCo's solver's.

Reward = forward + healthy + ctrl_cost + contact_cost (envs/locomotion.py), each term logged (info["reward_terms"],
this order):
  forward    forward_reward_weight (1.0) * dx/dt, dx the torso's x displacement over the step [m/s]
  healthy    healthy_reward (1.0) while healthy (Ant-v5 pays it only when healthy)
  ctrl_cost  -ctrl_cost_weight (0.5) * sum(a^2)
  contact_cost  -contact_cost_weight (0.0005) * sum of the squared cfrc_ext components of every body, each clipped
             to contact_force_range (-1.0, 1.0) [N m, N] (both layouts)

Reset: qpos = qpos0 + U(-reset_noise_scale, reset_noise_scale) per coordinate (the quaternion included, as
Gymnasium), qvel = reset_noise_scale * N(0, 1), reset_noise_scale (0.1); qpos0 (from ant.xml) = torso at
(0, 0, 0.75), identity orientation, joints 0 (the ankles start 30 degrees outside their range; the limits push
them in, as in MuJoCo).

Termination: unhealthy, i.e. torso z outside healthy_z_range (0.2, 1.0) m or a non-finite state.
Truncation: 1,000 steps (`max_episode_steps`).

Pushes (off by default; not in Gymnasium; legged_gym's push_robots at random times): after a step, with probability
dt / push_interval_s (15.0 s), the torso's world-frame x and y velocity are set to U(-max_push_vel_xy, max_push_vel_xy)
m/s each; max_push_vel_xy (0.0).

Physical parameters with a `<name>_scale` knob: mass (every body's mass and inertia), friction (every
geom's sliding friction), strength (every motor's gear: torque = strength * 150 a N m).

Privileged observation (13, `info["privileged_obs"]`, for a teacher; never in the observation):
  | idx   | quantity                                                                  | unit  |
  | 0-2   | mass_scale, friction_scale, strength_scale (this episode)                 | -     |
  | 3-5   | torso linear velocity x, y, z (world frame), noise-free                   | m/s   |
  | 6-8   | torso angular velocity (body frame), noise-free                           | rad/s |
  | 9-12  | foot contacts of the 4 ankle capsules, legs 1-4 (front left, front right,  | 0 / 1 |
  |       | back, right back): a normal force > 0 in the last substep; 0 at a reset    |       |

State (`get_state`): concat(qpos (15), qvel (14)) in MuJoCo order.
"""

import numpy as np
import warp as wp

from envs.locomotion import LocomotionEnv
from kernels.episode import EpisodeState

wp.set_module_options({"enable_backward": False})

FOOT_GEOMS = ("left_ankle_geom", "right_ankle_geom", "third_ankle_geom", "fourth_ankle_geom")  # legs 1-4


@wp.struct
class AntConfig:
    """Ant-v5's reward weights, health bounds and reset noise (SI units); each field with a default is a
    constructor parameter with that default, the others come from the model."""

    forward_reward_weight: float = 1.0  # per m/s of forward velocity
    ctrl_cost_weight: float = 0.5  # per unit of sum(a^2)
    healthy_reward: float = 1.0  # per step while healthy
    contact_cost_weight: float = 5e-4  # per unit of the sum of squared clipped cfrc_ext components
    contact_force_range: wp.vec2 = (-1.0, 1.0)  # clip of each cfrc_ext component (N m, N), observation and cost
    healthy_z_range: wp.vec2 = (0.2, 1.0)  # torso heights of a healthy Ant (inclusive), m
    reset_noise_scale: float = 0.1  # half-width of the qpos noise (m, rad), std of the qvel noise (m/s, rad/s)
    max_push_vel_xy: float = 0.0  # m/s, a push sets the torso's world x and y velocity to U(-v, v) (0: no pushes)
    push_interval_s: float = 15.0  # s, mean time between pushes (legged_gym's push_interval_s)
    init_z: float  # torso height of qpos0, m
    dt: float  # control step, s


@wp.kernel
def _ant_privileged(
    # Model:
    foot_pointadr: wp.array[int],
    # Data in:
    scale_in: wp.array[wp.vec3],
    episode_in: wp.array[EpisodeState],
    qvel_in: wp.array2d[float],
    contact_force_in: wp.array2d[float],
    # Data out:
    privileged_out: wp.array2d[float],
):
    worldid = wp.tid()
    sc = scale_in[worldid]
    for i in range(3):
        privileged_out[worldid, i] = sc[i]
    # the free joint's qvel: world-frame linear, body-frame angular velocity (MuJoCo), before observation noise
    for i in range(6):
        privileged_out[worldid, 3 + i] = qvel_in[worldid, i]
    fresh = episode_in[worldid].ep_length == 0  # the forces still belong to the episode that just ended
    for f in range(4):
        touch = float(0.0)
        for k in range(2):  # a capsule has two contact points (kernels/io.py)
            if contact_force_in[worldid, foot_pointadr[f] + k] > 0.0 and not fresh:
                touch = 1.0
        privileged_out[worldid, 9 + f] = touch


class Ant(LocomotionEnv):
    """Gymnasium Ant-v5 on Warp articulated dynamics with soft contacts; see the module docstring."""

    name = "ant"
    asset = "ant.xml"
    cfg_type = AntConfig
    privileged_obs_names = ("mass_scale", "friction_scale", "strength_scale", "vx", "vy", "vz", "wx", "wy", "wz",
                            "contact_1", "contact_2", "contact_3", "contact_4")  # fmt: skip

    push_fields = ("max_push_vel_xy", "push_interval_s")
    push_state_cols = property(lambda self: (self.model.nq, self.model.nq + 1))  # the free joint's world vx, vy

    def _privileged_launch(self, cfg):
        """Recorded launch writing info["privileged_obs"] (layout in the module docstring) after the physics."""
        geom_ids = [self.model.geom_names.index(name) for name in FOOT_GEOMS]
        cgeom = list(self.sim.cgeom_geomid.numpy())
        pointadr = self.sim.cgeom_pointadr.numpy()[[cgeom.index(g) for g in geom_ids]]
        self._foot_pointadr = wp.array(pointadr.astype(np.int32), dtype=int, device=self.device)
        a, sim = self._arrays, self.sim
        inputs = [self._foot_pointadr, a["scale"], a["episode"], sim.qvel, sim.contact_force, self._privileged]
        return self.record_launch(_ant_privileged, self.num_envs, inputs)

    v5_blocks = ("cfrc_ext",)
