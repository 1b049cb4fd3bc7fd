"""mjcf/ error paths beyond tests/test_mjcf.py: every stage of the parser and compiler names the source line,
the element and the attribute of the first fault it meets, and some models compile only with a compiler flag.
"""

import mujoco
import numpy as np
import pytest

from mjcf import MJCFError, load_mjcf


def wrap(body: str, extra: str = "") -> str:
    """A model whose body XML starts on line 3 and whose `extra` sections start on line 5 + body lines - 1."""
    return f"<mujoco>\n<worldbody>\n{body}\n</worldbody>\n{extra}\n</mujoco>"


HINGE = '<body><joint name="j"/><geom size="0.1"/></body>'

# one case per raise site that tests/test_mjcf.py does not reach, grouped by the module that raises it
BAD_CASES = {
    # parser: XML sections, attribute words, defaults, bodies
    "worldbody attribute": (
        '<mujoco>\n<worldbody pos="0 0 0"/>\n</mujoco>',
        r"<string>:2: <worldbody> attribute 'pos'",
    ),
    "bool word": (
        wrap(HINGE, '<compiler autolimits="yes"/>'),
        r"<string>:5: <compiler> attribute 'autolimits': expected 'true' or 'false', got 'yes'",
    ),
    "limited word": (
        wrap('<body>\n<joint limited="on"/><geom size="0.1"/>\n</body>'),
        r"<string>:4: <joint> attribute 'limited': expected 'true', 'false' or 'auto'",
    ),
    "alignfree": (
        '<mujoco>\n<compiler alignfree="true"/>\n</mujoco>',
        r"<string>:2: <compiler> attribute 'alignfree': alignfree='true' is not supported",
    ),
    "eulerseq": (
        '<mujoco>\n<compiler eulerseq="xyw"/>\n</mujoco>',
        r"<string>:2: <compiler> attribute 'eulerseq': expected 3 letters",
    ),
    "element in compiler": (
        "<mujoco>\n<compiler>\n<lengthrange/>\n</compiler>\n</mujoco>",
        r"<string>:3: <lengthrange>: unsupported element in <compiler>",
    ),
    "negative viscosity": (
        '<mujoco>\n<option viscosity="-1"/>\n</mujoco>',
        r"<string>:2: <option> attribute 'viscosity': must be non-negative",
    ),
    "timestep": (
        '<mujoco>\n<option timestep="0"/>\n</mujoco>',
        r"<string>:2: <option> attribute 'timestep': timestep must be positive",
    ),
    "top default class": (
        '<mujoco>\n<default class="x"/>\n</mujoco>',
        r"<string>:2: <default> attribute 'class': the top-level <default> is the 'main' class",
    ),
    "nameless nested default": (
        "<mujoco>\n<default>\n<default/>\n</default>\n</mujoco>",
        r"<string>:3: <default> attribute 'class': required attribute missing",
    ),
    "repeated class": (
        '<mujoco>\n<default>\n<default class="a"/>\n<default class="a"/>\n</default>\n</mujoco>',
        r"<string>:4: <default> attribute 'class': repeated default class 'a'",
    ),
    "name in default": (
        '<mujoco>\n<default>\n<geom name="g"/>\n</default>\n</mujoco>',
        r"<string>:3: <geom name='g'> attribute 'name': names are not allowed",
    ),
    "cylinder default": (
        '<mujoco>\n<default>\n<cylinder area="1"/>\n</default>\n</mujoco>',
        r"<string>:3: <cylinder>: unsupported element in <default>",
    ),
    "freejoint align": (
        wrap('<body>\n<freejoint align="true"/><geom size="0.1"/>\n</body>'),
        r"<string>:4: <freejoint> attribute 'align'",
    ),
    "joint in worldbody": (
        wrap('<joint name="w"/>'),
        r"<string>:3: <joint name='w'>: joints are not allowed in <worldbody>",
    ),
    "inertial in worldbody": (
        wrap('<inertial pos="0 0 0" mass="1"/>'),
        r"<string>:3: <inertial>: <inertial> is not allowed in <worldbody>",
    ),
    "repeated inertial": (
        wrap('<body>\n<joint/><inertial pos="0 0 0" mass="1" diaginertia="1 1 1"/>\n<inertial/>\n</body>'),
        r"<string>:5: <inertial>: repeated <inertial>",
    ),
    "mocap": (wrap('<body mocap="true">\n<geom size="0.1"/>\n</body>'), r"<string>:3: <body> attribute 'mocap'"),
    "unknown childclass": (
        wrap('<body name="b" childclass="c">\n<joint/><geom size="0.1"/>\n</body>'),
        r"<string>:3: <body name='b'> attribute 'childclass': unknown default class 'c'",
    ),
    # orientation
    "two orientations": (
        wrap('<body quat="1 0 0 0" euler="0 0 0">\n<joint/><geom size="0.1"/>\n</body>'),
        r"<string>:3: <body>: multiple orientation specifiers \['quat', 'euler'\]",
    ),
    "zero quat": (
        wrap('<body>\n<joint/><geom size="0.1" quat="0 0 0 0"/>\n</body>'),
        r"<string>:4: <geom> attribute 'quat': zero quaternion",
    ),
    "zero zaxis": (
        wrap('<body zaxis="0 0 0">\n<joint/><geom size="0.1"/>\n</body>'),
        r"<string>:3: <body> attribute 'zaxis': zero-length axis",
    ),
    "parallel xyaxes": (
        wrap('<body xyaxes="1 0 0 2 0 0">\n<joint/><geom size="0.1"/>\n</body>'),
        r"<string>:3: <body> attribute 'xyaxes': y axis is zero or parallel to x",
    ),
    # compiler: joints
    "ball range": (
        wrap('<body>\n<joint type="ball" range="0.1 1" limited="true"/><geom size="0.1"/>\n</body>'),
        r"<string>:4: <joint> attribute 'range': range\[0\] must be 0 for a ball joint",
    ),
    "springdamper": (
        wrap('<body>\n<joint springdamper="1 1"/><geom size="0.1"/>\n</body>'),
        r"<string>:4: <joint> attribute 'springdamper'",
    ),
    "joint actuator force limit with an empty range": (
        wrap('<body>\n<joint actuatorfrclimited="true" actuatorfrcrange="1 1"/><geom size="0.1"/>\n</body>'),
        r"<string>:4: <joint> attribute 'actuatorfrcrange'",
    ),
    "negative damping": (
        wrap('<body>\n<joint damping="-1"/><geom size="0.1"/>\n</body>'),
        r"<string>:4: <joint> attribute 'damping': must be non-negative",
    ),
    "ball then hinge": (
        wrap('<body>\n<joint type="ball"/><joint/><geom size="0.1"/>\n</body>'),
        r"<string>:4: <joint>: a ball joint followed by a rotation",
    ),
    # compiler: geoms and inertia
    "negative density": (
        wrap('<body>\n<joint/><geom size="0.1" density="-1"/>\n</body>'),
        r"<string>:4: <geom> attribute 'density': density must be non-negative",
    ),
    "fromto on a sphere": (
        wrap('<body>\n<joint/><geom type="sphere" size="0.1" fromto="0 0 0 0 0 1"/>\n</body>'),
        r"<string>:4: <geom> attribute 'fromto': fromto requires",
    ),
    "inertial without inertia": (
        wrap('<body>\n<joint/><inertial pos="0 0 0" mass="1"/>\n</body>'),
        r"<string>:4: <inertial> attribute 'diaginertia': required attribute missing: one of",
    ),
    "fullinertia with diaginertia": (
        wrap('<body>\n<joint/><inertial pos="0 0 0" mass="1" diaginertia="1 1 1" fullinertia="1 1 1 0 0 0"/>\n</body>'),
        r"<string>:4: <inertial> attribute 'fullinertia': fullinertia and diaginertia",
    ),
    "fullinertia with orientation": (
        wrap('<body>\n<joint/><inertial pos="0 0 0" mass="1" quat="1 0 0 0" fullinertia="1 1 1 0 0 0"/>\n</body>'),
        r"<string>:4: <inertial> attribute 'fullinertia': fullinertia and an orientation",
    ),
    "triangle inequality": (
        wrap('<body name="b">\n<joint/><inertial pos="0 0 0" mass="1" diaginertia="1 1 5"/>\n</body>'),
        r"<string>:3: <body name='b'>: inertia must satisfy A \+ B >= C",
    ),
    # compiler: tendons and actuators
    "tendon section attribute": (
        wrap(HINGE, '<tendon group="1"/>'),
        r"<string>:5: <tendon> attribute 'group': unsupported attribute",
    ),
    "spatial tendon": (
        wrap(HINGE, "<tendon>\n<spatial/>\n</tendon>"),
        r"<string>:6: <spatial>: unsupported tendon type",
    ),
    "tendon limit": (
        wrap(HINGE, '<tendon>\n<fixed range="-1 1"><joint joint="j" coef="1"/></fixed>\n</tendon>'),
        r"<string>:6: <fixed> attribute 'limited': tendon limits",
    ),
    "tendon force limit": (
        wrap(HINGE, '<tendon>\n<fixed actuatorfrcrange="-1 1"/>\n</tendon>'),
        r"<string>:6: <fixed> attribute 'actuatorfrclimited': tendon actuator force limits",
    ),
    "site in tendon": (
        wrap(HINGE, '<tendon>\n<fixed>\n<site site="s"/>\n</fixed>\n</tendon>'),
        r"<string>:7: <site>: unsupported element in a fixed tendon",
    ),
    "tendon joint missing": (
        wrap(HINGE, '<tendon>\n<fixed>\n<joint coef="1"/>\n</fixed>\n</tendon>'),
        r"<string>:7: <joint> attribute 'joint': required attribute missing",
    ),
    "tendon unknown joint": (
        wrap(HINGE, '<tendon>\n<fixed>\n<joint joint="k" coef="1"/>\n</fixed>\n</tendon>'),
        r"<string>:7: <joint> attribute 'joint': unknown joint 'k'",
    ),
    "tendon unknown class": (
        wrap(HINGE, '<tendon>\n<fixed class="nope"/>\n</tendon>'),
        r"<string>:6: <fixed> attribute 'class': unknown default class 'nope'",
    ),
    "actuator section attribute": (
        wrap(HINGE, '<actuator group="1"/>'),
        r"<string>:5: <actuator> attribute 'group': unsupported attribute",
    ),
    "empty ctrlrange": (
        wrap(HINGE, '<actuator>\n<motor joint="j" ctrlrange="1 -1" ctrllimited="true"/>\n</actuator>'),
        r"<string>:6: <motor> attribute 'ctrlrange': ctrlrange\[0\] must be smaller than ctrlrange\[1\]",
    ),
    "empty forcerange": (
        wrap(HINGE, '<actuator>\n<motor joint="j" forcerange="0 0" forcelimited="true"/>\n</actuator>'),
        r"<string>:6: <motor> attribute 'forcerange': forcerange\[0\] must be smaller",
    ),
    "repeated motor name": (
        wrap(HINGE, '<actuator>\n<motor name="m" joint="j"/>\n<motor name="m" joint="j"/>\n</actuator>'),
        r"<string>:7: <motor name='m'> attribute 'name': repeated name 'm'",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_mjcf_names_line_element_and_attribute(case):
    xml, pattern = BAD_CASES[case]
    with pytest.raises(MJCFError, match=pattern):
        load_mjcf(xml)


def test_first_fault_in_document_order_is_reported():
    """Stages run in MuJoCo's order: a bad geom is reported before a bad actuator that comes earlier in the file."""
    xml = (
        '<mujoco>\n<actuator>\n<motor joint="nope"/>\n</actuator>\n<worldbody>\n'
        '<body>\n<joint/><geom size="0.1" condim="2"/>\n</body>\n</worldbody>\n</mujoco>'
    )
    with pytest.raises(MJCFError, match=r"<string>:7: <geom> attribute 'condim'"):
        load_mjcf(xml)


def test_balanceinertia_compiles_what_the_triangle_inequality_rejects():
    xml = BAD_CASES["triangle inequality"][0].replace("<mujoco>", '<mujoco>\n<compiler balanceinertia="true"/>')
    model, ref = load_mjcf(xml), mujoco.MjModel.from_xml_string(xml)
    np.testing.assert_allclose(model.body_inertia, ref.body_inertia, rtol=1e-12)
    np.testing.assert_allclose(model.body_inertia[1], [7 / 3] * 3, rtol=1e-12)
