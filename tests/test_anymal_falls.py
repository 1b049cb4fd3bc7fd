"""benchmarks/anymal_falls.py reports each terminated episode once, with the base height and tilt before it."""

import torch

from benchmarks.anymal_falls import falls


def test_a_collapsing_policy_falls_and_the_default_pose_stands():
    collapse = falls(lambda obs: torch.full((obs.shape[0], 12), -1.0), (0.0, 0.0, 0.0), num_envs=4, seconds=2.0)
    assert sorted(i for _, i, _, _ in collapse) == [0, 1, 2, 3]  # every env once, though the envs reset and go on
    for step, _, height, tilt in collapse:
        assert 0 < step < 100 and 0.25 <= height < 0.35 and 0.0 <= tilt < 60.0  # it sank below 0.25 m next step
    assert falls(lambda obs: torch.zeros(obs.shape[0], 12), (0.0, 0.0, 0.0), num_envs=4, seconds=2.0) == []
