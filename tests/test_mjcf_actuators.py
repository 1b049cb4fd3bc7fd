"""Actuator defaults in mjcf/ against MuJoCo 4.0's compiler: <motor>, <position>, <velocity> and <general> share one
actuator default per class, and random trees of default classes (several actuator elements per class, nested
classes before or after a class's own elements, a <position>'s inheritrange) must compile to MuJoCo's gains, biases,
types and control ranges."""

import random

import mujoco
import numpy as np
import pytest

from mjcf import MJCFError, load_mjcf

TAGS = ("motor", "position", "velocity", "general")


def _model(defaults: str, actuators: str) -> str:
    return (
        f"<mujoco><default>{defaults}</default><worldbody><body><joint name='j' axis='0 1 0' range='-20 50'/>"
        f"<geom size='0.1'/>"
        f"</body></worldbody><actuator>{actuators}</actuator></mujoco>"
    )


def _element(tag: str, rng: random.Random) -> str:
    """One actuator element for a default class, each attribute present or not at random."""
    attrs = ""
    if tag == "motor":
        attrs = ' ctrlrange="-1 1"' if rng.random() < 0.5 else ""
    elif tag == "position":
        attrs += f' kp="{rng.randint(2, 9)}"' if rng.random() < 0.6 else ""
        attrs += f' kv="{rng.randint(1, 9)}"' if rng.random() < 0.6 else ""
        # inheritrange (ctrlrange from the joint's range), a ctrlrange that overrides an inherited one, or both
        # (an error in MuJoCo and here)
        attrs += f' inheritrange="{rng.choice(["0", "0.5", "1", "1.2"])}"' if rng.random() < 0.4 else ""
        attrs += ' ctrlrange="-2 2"' if rng.random() < 0.2 else ""
    elif tag == "velocity":
        attrs = f' kv="{rng.randint(2, 9)}"' if rng.random() < 0.6 else ""
    else:
        attrs += f' gainprm="{rng.randint(2, 9)}"' if rng.random() < 0.6 else ""
        attrs += f' biasprm="0 -{rng.randint(2, 9)} -{rng.randint(1, 9)}"' if rng.random() < 0.6 else ""
        attrs += ' biastype="affine"' if rng.random() < 0.5 else ""
    return f"<{tag}{attrs}/>"


def _random_defaults(rng: random.Random) -> str:
    """Three nested classes (main > a > b), each with 0-3 actuator elements of distinct kinds, in random order."""

    def own():
        return "".join(_element(t, rng) for t in rng.sample(TAGS, rng.randint(0, 3)))

    def around(mine: str, nested: str) -> str:
        return mine + nested if rng.random() < 0.5 else nested + mine

    inner = '<default class="b">' + own() + "</default>"
    return around(own(), '<default class="a">' + around(own(), inner) + "</default>")


@pytest.mark.parametrize("seed", range(4))
def test_random_actuator_default_trees_match_mujoco(seed):
    rng = random.Random(seed)
    actuators = "".join(f'<{t} joint="j" class="{c}"/>' for c in ("main", "a", "b") for t in TAGS)
    compared = 0
    for _ in range(60):
        xml = _model(_random_defaults(rng), actuators)
        try:
            ref = mujoco.MjModel.from_xml_string(xml)
        except ValueError:  # MuJoCo rejects a few draws (a general default's damping ratio): so do we
            with pytest.raises(MJCFError):
                load_mjcf(xml)
            continue
        try:
            ours = load_mjcf(xml)
        except MJCFError as e:  # inheritrange beside another actuator element in one class: refused, not guessed
            assert "inheritrange in a default class with other actuator elements" in str(e), str(e)
            continue
        for field in ("gainprm", "biasprm", "biastype", "gaintype", "dyntype", "ctrlrange", "ctrllimited"):
            np.testing.assert_allclose(
                getattr(ours, f"actuator_{field}"),
                getattr(ref, f"actuator_{field}"),
                rtol=1e-12,
                atol=1e-12,
                err_msg=f"{field}\n{xml}",
            )
        compared += 1
    assert compared >= 30


def test_a_nested_class_inherits_elements_written_after_it():
    xml = (
        '<mujoco><default><default class="a"><geom size=".2"/></default><joint damping="3"/><position kp="7"/>'
        '</default><worldbody><body childclass="a"><joint name="j"/><geom size="0.1"/></body></worldbody>'
        '<actuator><position joint="j" class="a"/></actuator></mujoco>'
    )
    ours, ref = load_mjcf(xml), mujoco.MjModel.from_xml_string(xml)
    np.testing.assert_array_equal(ours.dof_damping, ref.dof_damping)
    np.testing.assert_array_equal(ours.actuator_gainprm, ref.actuator_gainprm)
    assert ours.dof_damping[0] == 3.0 and ours.actuator_gainprm[0, 0] == 7.0


@pytest.mark.parametrize(
    "defaults, actuators, match",
    [
        ('<position kp="1"/><position kv="2"/>', "", r"<position>: repeated <position> in one default class"),
        ("", '<general joint="j" gainprm="10" biasprm="0 -10 0.5" biastype="affine"/>', "damping ratio"),
        ('<general gainprm="1 2 3" biasprm="7 8 9"/>', '<position joint="j"/>', r"'kv': kv -9 from the class default"),
        ("", '<general joint="j" actlimited="true" actrange="0 1"/>', "actlimited needs activation dynamics"),
    ],
)
def test_actuators_mujoco_reads_differently_are_refused(defaults, actuators, match):
    with pytest.raises(MJCFError, match=match):
        load_mjcf(_model(defaults, actuators))
