"""MJCF text -> `Document`: the XML tree with line numbers, attributes parsed and default classes applied.

The parser checks everything that can be checked element by element (unknown elements and attributes,
number counts, enums, classes, orientations) and leaves cross-element checks to mjcf/compiler.py. Tendon,
actuator, keyframe and contact sections are kept as raw elements: they name joints and bodies, and key sizes
depend on nq, nv and nu, so the compiler reads them once the joints are compiled.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import xml.parsers.expat

import numpy as np

from mjcf import specs
from mjcf.model import CONES, DISABLE_FLAGS, ENABLE_FLAGS, INTEGRATORS, Option
from mjcf.orientation import orientation


class MJCFError(ValueError):
    """Invalid or unsupported MJCF; the message names the source, line, element and attribute."""


# ----------------------------------------------------------------------------------------------------
# XML with line numbers: expat directly, because ElementTree's C parser does not expose line numbers.


@dataclasses.dataclass
class Element:
    """One XML element: tag, raw attributes, 1-based line in `source`, children in document order."""

    tag: str
    attrib: dict[str, str]
    line: int
    source: str
    children: list[Element] = dataclasses.field(default_factory=list)

    def where(self) -> str:
        """Location prefix of an error message: 'source:line: <tag name='...'>'."""
        name = self.attrib.get("name")
        label = f"<{self.tag} name='{name}'>" if name else f"<{self.tag}>"
        return f"{self.source}:{self.line}: {label}"

    def error(self, msg: str, attr: str | None = None) -> MJCFError:
        """An MJCFError naming this element, its line and, when given, the attribute."""
        if attr is not None:
            return MJCFError(f"{self.where()} attribute '{attr}': {msg}")
        return MJCFError(f"{self.where()}: {msg}")

    def reject_attributes(self, allowed: tuple[str, ...] = ()):
        """Raise on the first attribute not in `allowed` (elements that take no attributes of their own)."""
        for attr in self.attrib:
            if attr not in allowed:
                raise self.error("unsupported attribute", attr)


def parse_xml(text: str | bytes, source: str) -> Element:
    """The <mujoco> root element of an XML text; `source` names the file in error messages."""
    parser = xml.parsers.expat.ParserCreate()
    stack: list[Element] = []
    roots: list[Element] = []

    def start(tag, attrib):
        node = Element(tag, dict(attrib), parser.CurrentLineNumber, source)
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def end(tag):
        stack.pop()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(text, True)
    except xml.parsers.expat.ExpatError as e:
        raise MJCFError(f"{source}:{e.lineno}: malformed XML: {xml.parsers.expat.ErrorString(e.code)}") from None
    root = roots[0]
    if root.tag != "mujoco":
        raise root.error("root element must be <mujoco>")
    return root


def expand_includes(node: Element, directory: str, seen: set | None = None) -> None:
    """Replace every <include file="..."/> below `node` (in place, recursively) by the children of the included file's
    <mujoco> root, as MuJoCo's <include>: the file's path relative to `directory`, the main model file's; a file
    included twice is an error."""
    seen = set() if seen is None else seen
    children = []
    for child in node.children:
        if child.tag != "include":
            expand_includes(child, directory, seen)
            children.append(child)
            continue
        child.reject_attributes(allowed=("file",))
        if "file" not in child.attrib:
            raise child.error("required attribute missing", "file")
        path = os.path.normpath(os.path.join(directory, child.attrib["file"]))
        if path in seen:
            raise child.error(f"'{child.attrib['file']}' is included twice", "file")
        seen.add(path)
        try:
            with open(path, "rb") as f:
                text = f.read()
        except OSError as e:
            raise child.error(f"cannot read '{path}': {e.strerror}", "file") from None
        root = parse_xml(text, os.path.basename(path))
        expand_includes(root, directory, seen)
        children.extend(root.children)
    node.children = children


# ----------------------------------------------------------------------------------------------------
# Attribute values (see mjcf/specs.py for the spec format)

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")


def _parse_word(node: Element, attr: str, kind: str, text: str):
    """A non-numeric attribute value: the text itself, checked against its kind."""
    if kind == "bool":
        if text not in ("true", "false"):
            raise node.error(f"expected 'true' or 'false', got '{text}'", attr)
        return text == "true"
    if kind == "limited":
        if text not in ("true", "false", "auto"):
            raise node.error(f"expected 'true', 'false' or 'auto', got '{text}'", attr)
        return text
    if kind.startswith("enum:"):
        options = kind[5:].split("|")
        if text not in options:
            raise node.error(f"expected one of {options}, got '{text}'", attr)
    return text


def parse_value(node: Element, attr: str, spec: tuple, inherited=None):
    """Value of `node.attrib[attr]` per its spec: str, bool, float/int, or a float64/int64 array."""
    kind, count = spec
    text = node.attrib[attr]
    if kind not in ("float", "int"):
        return _parse_word(node, attr, kind, text)
    tokens = text.split()
    pattern = _INTEGER if kind == "int" else _NUMBER
    for tok in tokens:
        if not pattern.fullmatch(tok):
            what = "an integer" if kind == "int" else "a finite number"
            raise node.error(f"'{tok}' is not {what} (in '{text}')", attr)
    values = [int(t) if kind == "int" else float(t) for t in tokens]
    if kind == "float" and not all(math.isfinite(v) for v in values):  # overflow such as 1e999
        raise node.error(f"non-finite number in '{text}'", attr)
    lo, hi = (count, count) if isinstance(count, int) else count
    if not lo <= len(values) <= hi:
        expected = f"{lo}" if lo == hi else f"{lo} to {hi}"
        raise node.error(f"expected {expected} numbers, got {len(values)} ('{text}')", attr)
    if hi == 1:
        return values[0]
    out = np.array(values, dtype=np.float64 if kind == "float" else np.int64)
    if len(values) < hi and inherited is not None:
        full = np.array(inherited, dtype=out.dtype).copy()
        full[: len(values)] = out
        out = full
    return out


def read_attrs(node: Element, spec: dict, ignored: frozenset, base: dict, skip=("class",)) -> dict:
    """Overlay a node's attributes on `base` (inherited values); unknown attributes are errors. An orientation
    given on the node (quat, axisangle, euler, xyaxes or zaxis) replaces an inherited one of any kind, as MuJoCo's."""
    out = dict(base)
    if any(k in specs.ORIENTATION for k in node.attrib):
        for k in specs.ORIENTATION:
            out.pop(k, None)
    for attr in node.attrib:
        if attr in skip or attr in ignored:
            continue
        if attr not in spec:
            raise node.error("unsupported attribute (it is not in the supported MJCF subset)", attr)
        out[attr] = parse_value(node, attr, spec[attr], base.get(attr))
    return out


# ----------------------------------------------------------------------------------------------------
# The parsed document


@dataclasses.dataclass
class CompilerSettings:
    """<compiler> attributes that change compiled values, with MuJoCo's defaults."""

    degree: bool = True  # angles in degrees (compiler angle="degree")
    eulerseq: str = "xyz"
    inertiafromgeom: str = "auto"
    settotalmass: float = -1.0  # kg; <= 0: keep the masses as compiled
    autolimits: bool = True
    boundmass: float = 0.0  # kg
    boundinertia: float = 0.0  # kg m^2
    balanceinertia: bool = False
    inertiagrouprange: tuple = (0, 5)


@dataclasses.dataclass
class DefaultClass:
    """Attribute defaults of one <default> class, per element kind (joint, geom, actuator, tendon, equality, pair).

    `actuator` is the one table that all actuator kinds share, as in MuJoCo (specs.ACTUATOR_DEFAULTS).
    """

    joint: dict
    geom: dict
    actuator: dict
    tendon: dict
    equality: dict
    pair: dict = dataclasses.field(default_factory=lambda: dict(specs.PAIR_DEFAULTS))

    def copy(self) -> DefaultClass:
        """A child class's starting point: a shallow copy of each table."""
        return DefaultClass(
            dict(self.joint), dict(self.geom), dict(self.actuator), dict(self.tendon), dict(self.equality),
            dict(self.pair),
        )  # fmt: skip


@dataclasses.dataclass
class Body:
    """One body as read: frame in the parent frame (m, wxyz) and its elements with defaults applied."""

    node: Element | None  # None for the world
    name: str
    parent: int
    pos: np.ndarray
    quat: np.ndarray
    childclass: str
    joints: list = dataclasses.field(default_factory=list)  # (node, attrs)
    geoms: list = dataclasses.field(default_factory=list)  # (node, attrs)
    inertial: tuple | None = None  # (node, attrs)
    children: list = dataclasses.field(default_factory=list)  # body ids
    gravcomp: float = 0.0  # MuJoCo's gravity compensation: the share of its weight cancelled


@dataclasses.dataclass
class Document:
    """A parsed MJCF model: settings, classes, bodies in depth-first order (world first), raw sections."""

    compiler: CompilerSettings
    opt: Option
    classes: dict[str, DefaultClass]
    bodies: list[Body]
    tendon_sections: list[Element]
    actuator_sections: list[Element]
    keyframe_sections: list[Element]
    contact_sections: list[Element]
    equality_sections: list[Element]
    nkey: int = 0  # <size nkey>: keyframes to allocate at least (the rest of <size> is memory sizing)

    def default_class(self, node: Element, inherited: str) -> DefaultClass:
        """The class an element uses: its `class` attribute, else `inherited` (the body's childclass)."""
        name = node.attrib.get("class", inherited)
        if name not in self.classes:
            raise node.error(f"unknown default class '{name}'", "class")
        return self.classes[name]


def parse_document(root: Element) -> Document:
    """Read the <mujoco> element's sections in MuJoCo's order: compiler, option, defaults, bodies."""
    root.reject_attributes(allowed=("model",))
    parsed = {"compiler", "option", "default", "worldbody", "actuator", "tendon", "keyframe", "contact", "equality"}
    known = parsed | specs.VISUAL_TOP | specs.FORCE_TOP
    for child in root.children:
        if child.tag not in known:
            raise child.error("unsupported element (not in the supported MJCF subset)")
        if child.tag in specs.FORCE_TOP and child.children:
            raise child.children[0].error(f"unsupported element in <{child.tag}>: it changes the dynamics")

    def sections(tag):
        return [c for c in root.children if c.tag == tag]

    main = DefaultClass(
        dict(specs.JOINT_DEFAULTS),
        dict(specs.GEOM_DEFAULTS),
        dict(specs.ACTUATOR_DEFAULTS),
        dict(specs.TENDON_DEFAULTS),
        dict(specs.EQUALITY_DEFAULTS),
    )
    world = Body(None, "world", 0, np.zeros(3), np.array([1.0, 0, 0, 0]), "main")
    raw = [sections(tag) for tag in ("tendon", "actuator", "keyframe", "contact", "equality")]
    doc = Document(CompilerSettings(), Option(), {"main": main}, [world], *raw)
    # MuJoCo applies compiler settings globally whatever their position, so read them first
    for node in sections("compiler"):
        _read_compiler(node, doc.compiler)
    for node in sections("option"):
        _read_option(node, doc.opt)
    for node in sections("size"):
        if "nkey" in node.attrib:
            doc.nkey = parse_value(node, "nkey", ("int", 1))
            if doc.nkey < 0:
                raise node.error("must be non-negative", "nkey")
    for node in sections("default"):
        _read_default(node, None, doc.classes)
    for node in sections("worldbody"):
        node.reject_attributes()
        _read_body_children(node, 0, doc)
    return doc


def _read_compiler(node: Element, c: CompilerSettings):
    a = read_attrs(node, specs.COMPILER_SPECS, specs.COMPILER_IGNORED, {})
    if a.get("coordinate", "local") != "local":
        raise node.error("only coordinate='local' is supported", "coordinate")
    for flag in ("fusestatic", "alignfree"):
        if a.get(flag, False):
            raise node.error(f"{flag}='true' is not supported", flag)
    if "angle" in a:
        c.degree = a["angle"] == "degree"
    if "eulerseq" in a:
        seq = a["eulerseq"]
        if len(seq) != 3 or any(ch not in "xyzXYZ" for ch in seq):
            raise node.error(f"expected 3 letters from xyzXYZ, got '{seq}'", "eulerseq")
        c.eulerseq = seq
    for key in ("inertiafromgeom", "settotalmass", "autolimits", "boundmass", "boundinertia", "balanceinertia"):
        setattr(c, key, a.get(key, getattr(c, key)))
    if "inertiagrouprange" in a:
        c.inertiagrouprange = tuple(int(v) for v in a["inertiagrouprange"])
    for child in node.children:
        raise child.error("unsupported element in <compiler>")


def _read_option(node: Element, opt: Option):
    a = read_attrs(node, specs.OPTION_SPECS, specs.OPTION_IGNORED, {})
    for key in ("density", "viscosity"):
        if key in a:
            if a[key] < 0:
                raise node.error("must be non-negative", key)
            setattr(opt, key, a[key])
    if "wind" in a:
        opt.wind = np.array(a["wind"], dtype=np.float64)
    if "timestep" in a:
        if a["timestep"] <= 0:
            raise node.error("timestep must be positive", "timestep")
        opt.timestep = a["timestep"]
    if "gravity" in a:
        opt.gravity = np.array(a["gravity"], dtype=np.float64)
    if "integrator" in a:
        opt.integrator = INTEGRATORS[a["integrator"]]
    if "cone" in a:
        opt.cone = CONES[a["cone"]]
    if "impratio" in a:
        opt.impratio = a["impratio"]
    # the general convex collider's (kernels.convex): GJK / EPA tolerance [m] and iterations
    if "ccd_tolerance" in a:
        if a["ccd_tolerance"] <= 0:
            raise node.error("ccd_tolerance must be positive", "ccd_tolerance")
        opt.ccd_tolerance = a["ccd_tolerance"]
    if "ccd_iterations" in a:
        if a["ccd_iterations"] < 1:
            raise node.error("ccd_iterations must be at least 1", "ccd_iterations")
        opt.ccd_iterations = a["ccd_iterations"]
    for child in node.children:
        if child.tag != "flag":
            raise child.error("unsupported element in <option>")
        for name, value in read_attrs(child, specs.FLAG_SPECS, frozenset(), {}).items():
            if name in specs.UNSUPPORTED_ENABLE and value == "enable":
                raise child.error("this enable flag changes the dynamics in a way the simulator does not model", name)
            # a disable bit is set by "disable", an enable bit by "enable"; the other value clears it
            if name in DISABLE_FLAGS:
                bit, on = DISABLE_FLAGS[name], value == "disable"
                opt.disableflags = (opt.disableflags | bit) if on else (opt.disableflags & ~bit)
            else:
                bit, on = ENABLE_FLAGS[name], value == "enable"
                opt.enableflags = (opt.enableflags | bit) if on else (opt.enableflags & ~bit)


# element kind inside <default> -> (DefaultClass field, attribute spec, ignored attributes)
_DEFAULT_KINDS = {
    "joint": ("joint", specs.JOINT_SPECS, specs.JOINT_IGNORED),
    "geom": ("geom", specs.GEOM_SPECS, specs.GEOM_IGNORED),
    "tendon": ("tendon", specs.TENDON_SPECS, specs.TENDON_IGNORED),
    "equality": ("equality", specs.EQUALITY_DEFAULT_SPECS, frozenset()),
    "pair": ("pair", specs.PAIR_DEFAULT_SPECS, frozenset()),
}


def check_servo_gains(node: Element, a: dict):
    """Raise unless a <position>'s kp (N m/rad or N/m) and kv (N m s/rad or N s/m) are non-negative.

    MuJoCo rejects a negative kv and accepts a negative kp; a negative kp pushes the joint away from its
    target (an unstable servo), so the loader rejects it too.
    """
    for key in ("kp", "kv"):
        if a[key] < 0:
            if key in node.attrib:
                raise node.error(f"{key} must be non-negative, got {a[key]:g}", key)
            # a <general> default's positive biasprm[2] gives a negative kv: MuJoCo's damping ratio
            raise node.error(
                f"{key} {a[key]:g} from the class default (a <general> biasprm[2] > 0, MuJoCo's damping ratio) "
                "is not supported: give kv",
                key,
            )


_ACTUATOR_SPECS = {
    "motor": (specs.MOTOR_SPECS, specs.MOTOR_IGNORED),
    "position": (specs.POSITION_SPECS, specs.POSITION_IGNORED),
    "velocity": (specs.VELOCITY_SPECS, specs.VELOCITY_IGNORED),
    "general": (specs.GENERAL_SPECS, specs.GENERAL_IGNORED),
}


# the shortcut gains (specs.ACTUATOR_DEFAULTS) each actuator element sets in a default class
_SHORTCUT_GAINS = {
    "motor": (),
    "position": ("kp", "kv"),
    "velocity": ("velocity_kv",),
    "general": ("kp", "kv", "velocity_kv"),
}


def read_actuator(node: Element, base: dict, skip=("class",)) -> dict:
    """Overlay a <motor>, <position>, <velocity> or <general> (an actuator or a default) on the shared table `base`.

    The result holds MuJoCo's general form (dyntype, gaintype, biastype, dynprm, gainprm, biasprm) as this
    element leaves it, and the gains a later shortcut starts from: a <position>'s kp (N m/rad or N/m) and kv
    (N m s/rad or N s/m), a <velocity>'s velocity_kv (specs.ACTUATOR_DEFAULTS says how the shortcuts share them).
    """
    spec, ignored = _ACTUATOR_SPECS[node.tag]
    if node.tag == "velocity":  # its kv is not a <position>'s
        a = read_attrs(node, spec, ignored, {**base, "kv": base["velocity_kv"]}, skip=skip)
        a["velocity_kv"], a["kv"] = a["kv"], base["kv"]
    elif node.tag == "position":  # its inheritrange, as its gains, is the position shortcut's own
        a = read_attrs(node, spec, ignored, {**base, "inheritrange": base["position_inheritrange"]}, skip=skip)
        if a["inheritrange"] > 0 and "inheritrange" in node.attrib and "ctrlrange" in node.attrib:
            raise node.error("ctrlrange and inheritrange cannot both be given", "inheritrange")
        if a["inheritrange"] < 0:
            raise node.error(f"must be non-negative (0: off), got {a['inheritrange']:g}", "inheritrange")
        # MuJoCo keeps one of the two: a ctrlrange given here clears an inherited inheritrange, an inheritrange > 0
        # given here clears the shared ctrlrange (a <motor> of the class then has none)
        if "ctrlrange" in node.attrib:
            a["inheritrange"] = 0.0
        elif a["inheritrange"] > 0 and "inheritrange" in node.attrib:
            a["ctrlrange"] = np.zeros(2)
        a["position_inheritrange"] = a["inheritrange"]
    else:
        a = read_attrs(node, spec, ignored, base, skip=skip)
    unit = np.zeros(10)
    unit[0] = 1.0
    if node.tag == "general":
        a["kp"], a["kv"] = float(a["gainprm"][0]), -float(a["biasprm"][2])
        a["velocity_kv"] = float(a["gainprm"][0])
        return a
    a.update(dyntype="none", gaintype="fixed", dynprm=unit, gainprm=unit.copy(), biasprm=np.zeros(10))
    if node.tag != "position":
        a["inheritrange"] = 0.0  # a <motor> or <velocity> clears the general form's
    if node.tag == "position":
        check_servo_gains(node, a)
        a["biastype"] = "affine"
        a["gainprm"][0], a["biasprm"][1], a["biasprm"][2] = a["kp"], -a["kp"], -a["kv"]
    elif node.tag == "velocity":
        if a["velocity_kv"] < 0:
            raise node.error(f"kv must be non-negative, got {a['velocity_kv']:g}", "kv")
        a["biastype"] = "affine"
        a["gainprm"][0], a["biasprm"][2] = a["velocity_kv"], -a["velocity_kv"]
    else:
        a["biastype"] = "none"
    return a


def _read_default(node: Element, parent: str | None, classes: dict[str, DefaultClass]):
    node.reject_attributes(allowed=("class",))
    name = node.attrib.get("class")
    if parent is None:
        # the top-level <default> is MuJoCo's "main" class, which every other class inherits from
        if name not in (None, "main"):
            raise node.error("the top-level <default> is the 'main' class", "class")
        name = "main"
        cls = classes["main"]
    else:
        if name is None:
            raise node.error("required attribute missing: a nested <default> needs a class name", "class")
        if name in classes:
            raise node.error(f"repeated default class '{name}'", "class")
        cls = classes[parent].copy()
        classes[name] = cls
    # the gains each shortcut starts from when a class has several actuator elements: MuJoCo reads each of them
    # over the parent class's, so a later element resets the gains an earlier one of another kind set
    inherited = dict(specs.ACTUATOR_DEFAULTS if parent is None else classes[parent].actuator)
    seen = set()
    # a class's own elements first, then its nested classes (which inherit them wherever they are written)
    for child in [c for c in node.children if c.tag != "default"] + [c for c in node.children if c.tag == "default"]:
        tag = child.tag
        if tag != "default" and "name" in child.attrib:
            raise child.error("names are not allowed inside <default>", "name")
        if tag != "default" and tag in seen:
            raise child.error(f"repeated <{tag}> in one default class")
        seen.add(tag)
        if tag == "default":
            _read_default(child, name, classes)
        elif tag in _DEFAULT_KINDS:
            field, spec, ignored = _DEFAULT_KINDS[tag]
            setattr(cls, field, read_attrs(child, spec, ignored, getattr(cls, field), skip=()))
        elif tag in specs.ACTUATOR_TAGS:
            kinds = [c for c in node.children if c.tag in specs.ACTUATOR_TAGS]
            if tag == "position" and "inheritrange" in child.attrib and len(kinds) > 1:
                # MuJoCo 4.0 then keeps or clears the servo's inheritrange by rules this loader does not reproduce
                # (the order of the elements matters, and not as it does for the gains): refuse, not guess
                raise child.error(
                    "inheritrange in a default class with other actuator elements is not supported", "inheritrange"
                )
            table = read_actuator(child, cls.actuator, skip=())
            for key in ("kp", "kv", "velocity_kv"):
                if key not in _SHORTCUT_GAINS[tag]:
                    table[key] = inherited[key]
            cls.actuator = table
        elif tag not in specs.VISUAL_IN_DEFAULT:
            # the other actuator shortcuts (intvelocity, damper, cylinder, muscle, ...) would write the shared actuator
            # default in ways the loader does not reproduce: reject rather than silently diverge
            raise child.error("unsupported element in <default>")


def _read_joint(child: Element, body: Body, doc: Document) -> dict:
    if child.tag == "joint":
        cls = doc.default_class(child, body.childclass)
        return read_attrs(child, specs.JOINT_SPECS, specs.JOINT_IGNORED, cls.joint)
    attrs = read_attrs(child, specs.FREEJOINT_SPECS, specs.FREEJOINT_IGNORED, {})
    if attrs.pop("align", "auto") == "true":
        raise child.error("align='true' is not supported", "align")
    return {**specs.JOINT_DEFAULTS, **attrs, "type": "free"}


def _read_body_children(node: Element, bid: int, doc: Document):
    body = doc.bodies[bid]
    for child in node.children:
        tag = child.tag
        if tag == "body":
            _read_body(child, bid, doc)
        elif tag == "geom":
            cls = doc.default_class(child, body.childclass)
            body.geoms.append((child, read_attrs(child, specs.GEOM_SPECS, specs.GEOM_IGNORED, cls.geom)))
        elif tag in ("joint", "freejoint"):
            if bid == 0:
                raise child.error("joints are not allowed in <worldbody>")
            body.joints.append((child, _read_joint(child, body, doc)))
        elif tag == "inertial":
            if bid == 0:
                raise child.error("<inertial> is not allowed in <worldbody>")
            if body.inertial is not None:
                raise child.error("repeated <inertial>")
            body.inertial = (child, read_attrs(child, specs.INERTIAL_SPECS, frozenset(), {}))
        elif tag not in specs.VISUAL_IN_BODY:
            raise child.error("unsupported element (not in the supported MJCF subset)")


def _read_body(node: Element, parent: int, doc: Document):
    a = read_attrs(node, specs.BODY_SPECS, specs.BODY_IGNORED, {}, skip=())
    if a.get("mocap", False):
        raise node.error("mocap bodies are not supported", "mocap")
    childclass = a.get("childclass", doc.bodies[parent].childclass)
    if childclass not in doc.classes:
        raise node.error(f"unknown default class '{childclass}'", "childclass")
    pos = np.asarray(a.get("pos", np.zeros(3)), dtype=np.float64)
    quat = orientation(node, a, doc.compiler.degree, doc.compiler.eulerseq)
    bid = len(doc.bodies)
    doc.bodies.append(
        Body(node, a.get("name", ""), parent, pos, quat, childclass, gravcomp=float(a.get("gravcomp", 0.0)))
    )
    doc.bodies[parent].children.append(bid)
    _read_body_children(node, bid, doc)
