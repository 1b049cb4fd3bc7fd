"""ppo_warp_ddp.py over torch.distributed on CPU (gloo, 2 ranks), and the env offset that makes a rank's envs draw the
random numbers of their global indices."""

import torch

import envs


def test_env_offset_gives_the_rows_of_the_big_env_bit_for_bit():
    # action noise, observation noise and a randomized delay draw random numbers at every step and reset
    knobs = dict(device="cpu", seed=3, action_noise_std=0.3, obs_noise_std=0.05, action_delay=(0, 2))
    big = envs.make("cartpole", num_envs=12, **knobs)
    small = envs.make("cartpole", num_envs=5, env_offset=4, **knobs)
    other = envs.make("cartpole", num_envs=5, **knobs)  # no offset: envs [0, 5), which must differ
    torch.testing.assert_close(small.reset(), big.reset()[4:9], rtol=0, atol=0)
    assert not torch.equal(other.reset(), small.observations)
    gen = torch.Generator().manual_seed(0)
    finished = 0
    for _ in range(300):
        actions = torch.rand(12, 1, generator=gen) * 2 - 1
        obs, reward, terminated, truncated, info = big.step(actions)
        obs_s, reward_s, terminated_s, truncated_s, info_s = small.step(actions[4:9].clone())
        for a, b in ((obs_s, obs), (reward_s, reward), (info_s["final_obs"], info["final_obs"])):
            torch.testing.assert_close(a, b[4:9], rtol=0, atol=0)
        assert torch.equal(terminated_s, terminated[4:9]) and torch.equal(truncated_s, truncated[4:9])
        finished += int(terminated_s.sum())
    assert finished > 5  # resets happened, so the reset draws were compared too
    torch.testing.assert_close(small.get_state(), big.get_state()[4:9], rtol=0, atol=0)
