"""The env contract: each task's config table, sizes and spec docstring agree; launch arguments bind by name."""

import inspect
import re
import sys

import pytest
import warp as wp

import envs
from envs.core import config_defaults
from kernels.episode import kernel_inputs

CLASSES = {env_id: envs.env_class(env_id) for env_id in envs.list_envs()}


def _mentions(doc: str, name: str, default) -> bool:
    # `name (default ...` with the default as Python writes it or to 4 significant digits
    shown = [repr(tuple(default))[1:-1]] if isinstance(default, tuple) else [repr(default), f"{default:.4g}"]
    return any(re.search(rf"\b{name} \({re.escape(s)}\b", doc) for s in shown)


@pytest.mark.parametrize("env_id", sorted(CLASSES))
def test_spec_docstring_agrees_with_the_declarations(env_id):
    cls = CLASSES[env_id]
    doc = sys.modules[cls.__module__].__doc__
    assert int(re.search(r"Action \((\d+)", doc).group(1)) == cls.num_actions
    assert int(re.search(r"Observation \((\d+)", doc).group(1)) == cls.num_obs
    defaults = config_defaults(cls.cfg_type)
    assert defaults, f"{env_id} declares no constructor parameters"
    missing = [f"{k} ({v})" for k, v in defaults.items() if not _mentions(doc, k, v)]
    assert not missing, f"{env_id}: the module docstring does not state these defaults: {missing}"
    assert all(term in doc for term in cls.reward_term_names)
    assert all(f"{p}_scale" in doc or p in doc for p in cls.param_names)


@pytest.mark.parametrize("env_id", sorted(CLASSES))
def test_constructor_signature_is_the_config_table(env_id):
    cls = CLASSES[env_id]
    params = inspect.signature(cls).parameters
    for name, default in config_defaults(cls.cfg_type).items():
        assert params[name].default == default
    for knob in ("obs_noise_std", "action_noise_std", "action_delay", "max_episode_steps", "validate"):
        assert knob in params
    assert [f"{p}_scale" for p in cls.param_names] == list(params)[-len(cls.param_names) :]
    assert "sim" not in params and "constants" not in params
    if "frame_skip" in params:  # the default the signature shows is the one an env built without it steps with
        assert envs.make(env_id, num_envs=1, device="cpu").frame_skip == params["frame_skip"].default


def test_overrides_reach_the_config_and_derived_fields_come_from_the_model():
    env = envs.make("ant", num_envs=1, device="cpu", ctrl_cost_weight=0.25, healthy_z_range=[0.3, 0.9])
    assert env.config["ctrl_cost_weight"] == 0.25 and tuple(env.config["healthy_z_range"]) == (0.3, 0.9)
    assert env.config["dt"] == pytest.approx(0.05) and env.config["init_z"] == pytest.approx(0.75)
    assert envs.make("humanoid", num_envs=1, device="cpu").config["ctrl_scale"] == pytest.approx(0.4)
    with pytest.raises(ValueError, match="healthy_z_range must be a sequence of 2 finite numbers"):
        envs.make("ant", num_envs=1, device="cpu", healthy_z_range=(0.2, 1.0, 2.0))
    # a range may be open (Hopper-v5's healthy_z_range is (0.7, inf)), never NaN; a scalar stays finite
    open_range = envs.make("ant", num_envs=1, device="cpu", healthy_z_range=(0.2, float("inf")))
    assert tuple(open_range.config["healthy_z_range"]) == (0.2, float("inf"))
    with pytest.raises(ValueError, match="healthy_z_range must be a sequence of 2 finite numbers"):
        envs.make("ant", num_envs=1, device="cpu", healthy_z_range=(0.2, float("nan")))
    with pytest.raises(ValueError, match="ctrl_cost_weight must be a finite number"):
        envs.make("ant", num_envs=1, device="cpu", ctrl_cost_weight=float("inf"))
    with pytest.raises(TypeError, match="unknown override 'dt' for env 'ant'"):
        envs.make("ant", num_envs=1, device="cpu", dt=0.1)  # derived from the model, not a parameter


@wp.kernel
def _two_args(a: wp.array[float], b: int):
    a[wp.tid()] = float(b)


def test_kernel_inputs_bind_by_name_and_name_what_is_wrong():
    a = wp.zeros(1, dtype=float, device="cpu")
    assert kernel_inputs(_two_args, {"b": 3, "a": a}) == [a, 3]
    with pytest.raises(ValueError, match=r"missing \['b'\], unexpected \['c'\]"):
        kernel_inputs(_two_args, {"a": a, "c": 3})
