"""``graphworker dashboard``: the CloudWatch dashboard, drawn from a local run's output folder.

:func:`render_dashboard` reads the folder (see :mod:`gwlocal.dashboard.rundata` for the files),
fills the widgets of :mod:`dashboards.layout` (:mod:`gwlocal.dashboard.model`), and writes a
self-contained HTML page (:mod:`gwlocal.dashboard.html`) and one PNG per chart
(:mod:`gwlocal.dashboard.png`). The local runner calls it at the end of a run.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DashboardOutput", "render_dashboard"]


def __getattr__(name: str) -> Any:
    """``render_dashboard`` and ``DashboardOutput``, imported on first use so that building the
    ``graphworker`` parser (which imports this package's ``cli``) stays fast."""
    if name in __all__:
        from . import output

        return getattr(output, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
