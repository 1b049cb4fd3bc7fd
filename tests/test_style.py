"""House rules checked mechanically: every public function and class in envs/, kernels/ and mjcf/ has a docstring;
mjcf/ stays free of Warp (and of every other device or simulator library)."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("envs", "kernels", "mjcf")
# an __init__.py counts when it holds code (mjcf/__init__.py defines load_mjcf)
FILES = sorted(p for d in PACKAGES for p in (ROOT / d).glob("*.py") if p.name != "__init__.py" or p.read_text().strip())


def _public_defs(tree: ast.Module):
    """Module-level functions and classes, and methods of public classes, whose names are public."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            yield node
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and not item.name.startswith("_"):
                        yield item


def test_the_check_sees_the_packages():
    names = {p.name for p in FILES}
    assert {"core.py", "cartpole.py", "episode.py", "rng.py", "parser.py", "compiler.py"} <= names
    assert ROOT / "mjcf" / "__init__.py" in FILES


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_public_functions_have_docstrings(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    missing = [f"{path.name}:{n.lineno} {n.name}" for n in _public_defs(tree) if not ast.get_docstring(n)]
    assert not missing, f"public functions without a docstring: {missing}"
    assert ast.get_docstring(tree), f"{path.name} has no module docstring"


def _imported_modules(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


@pytest.mark.parametrize("path", sorted((ROOT / "mjcf").glob("*.py")), ids=lambda p: p.name)
def test_mjcf_is_host_only(path):
    """The loader is plain numpy: importing it must not pull in Warp, torch or a simulator."""
    tree = ast.parse(path.read_text(), filename=str(path))
    banned = {"warp", "torch", "mujoco", "mujoco_warp", "newton", "envs", "kernels"}
    found = [m for m in _imported_modules(tree) if m.split(".")[0] in banned]
    assert not found, f"{path.name} imports {found}"
