"""No silent skips: a test that needs a missing dependency fails, unless it is marked `optional`.

`pytest.importorskip` turns a missing package into a skip, and a skipped reference test reads like a
passing one in CI's summary line. Here a skip raised by `importorskip` (the only skip raised with
`allow_module_level=True` inside a test) fails the test unless it carries `@pytest.mark.optional`; a
module skipped at import time fails unless its skip reason starts with "optional". Explicit
`pytest.skip(...)` calls and `skip`/`skipif` markers (a deliberate decision written in the test) stay skips.
"""

import pytest
from _pytest.outcomes import Skipped

HINT = "install the dev extras (make setup), or mark the test @pytest.mark.optional if it may be skipped"


def _import_skip(excinfo) -> bool:
    return excinfo is not None and isinstance(excinfo.value, Skipped) and excinfo.value.allow_module_level


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and _import_skip(call.excinfo) and item.get_closest_marker("optional") is None:
        report.outcome = "failed"
        report.longrepr = f"a dependency of this test is missing ({call.excinfo.value.msg}); {HINT}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and isinstance(collector, pytest.Module):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if not reason.removeprefix("Skipped: ").startswith("optional"):
            report.outcome = "failed"
            report.longrepr = f"{collector.nodeid} was skipped at import ({reason}); {HINT}"


class _StandInGraph:
    """torch.cuda.CUDAGraph on CPU: replay() runs the update on the fixed tensors, as a captured graph reads them."""

    def replay(self):
        self.run()


@pytest.fixture
def standin_cuda_graph(monkeypatch):
    """CUDA graph capture stood in on CPU for a runs.GraphedUpdate: `arm(graphed)` makes its capture run nothing (the
    update called inside it is undone) and its replay run the update on the fixed tensors the graph would read."""
    import contextlib

    import torch

    armed = []

    @contextlib.contextmanager
    def capture(graph):
        graphed = armed[-1]
        saved = [t.detach().clone() for t in graphed.state]
        yield
        graphed._restore(saved)
        graph.run = lambda: graphed.update(graphed.b, graphed.inds, graphed.old_std, graphed.row)

    stream = type("Stream", (), {"wait_stream": lambda self, other: None})
    monkeypatch.setattr(torch.cuda, "Stream", stream)
    monkeypatch.setattr(torch.cuda, "current_stream", lambda: stream())
    monkeypatch.setattr(torch.cuda, "stream", lambda s: contextlib.nullcontext())
    monkeypatch.setattr(torch.cuda, "CUDAGraph", _StandInGraph)
    monkeypatch.setattr(torch.cuda, "graph", capture)
    return armed.append
