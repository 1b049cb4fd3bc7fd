"""House rules checked mechanically: every public function and class in envs/ and kernels/ has a docstring."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
FILES = sorted(p for d in ("envs", "kernels") for p in (ROOT / d).glob("*.py") if p.name != "__init__.py")


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
    assert {"core.py", "cartpole.py", "episode.py", "rng.py"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_public_functions_have_docstrings(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    missing = [f"{path.name}:{n.lineno} {n.name}" for n in _public_defs(tree) if not ast.get_docstring(n)]
    assert not missing, f"public functions without a docstring: {missing}"
    assert ast.get_docstring(tree), f"{path.name} has no module docstring"
