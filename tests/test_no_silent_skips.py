"""tests/conftest.py turns a skip for a missing dependency into a failure unless the test is marked `optional`."""

import pathlib

pytest_plugins = ["pytester"]

CONFTEST = (pathlib.Path(__file__).parent / "conftest.py").read_text()


def test_missing_dependency_fails_unless_marked_optional(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makeini("[pytest]\nmarkers =\n    optional: may be skipped\n")
    pytester.makepyfile(
        test_probe="""
import pytest

def test_needs_missing_package():
    pytest.importorskip("no_such_package_cleanppo")

@pytest.mark.optional
def test_optional_missing_package():
    pytest.importorskip("no_such_package_cleanppo")

def test_deliberate_skip():
    pytest.skip("a decision written in the test")
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1, skipped=2)
    result.stdout.fnmatch_lines(["*test_needs_missing_package*"])


def test_module_skipped_at_import_fails_unless_its_reason_says_optional(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        test_required='import pytest\npytest.importorskip("no_such_package_cleanppo")\n\ndef test_a():\n    pass\n',
        test_optional=(
            'import pytest\npytest.importorskip("no_such_package_cleanppo", reason="optional: a peer library")\n\n'
            "def test_b():\n    pass\n"
        ),
    )
    result = pytester.runpytest("--continue-on-collection-errors")
    result.assert_outcomes(errors=1, skipped=1)
