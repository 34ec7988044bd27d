"""pytest plugin for mutmut's runs (loaded with ``-p tests.mutation.order`` by ``[tool.mutmut]``).

Two things mutmut does not do on its own, both about which tests a mutant meets:

- **Code run at import time reaches every test.** mutmut links a function to the tests during
  which it was called, and charges everything called before the first test (importing
  ``framework`` while collecting) to that first test only. ``graphbinary_requests`` builds its
  request-byte constants at import, so a mutant there would be run against one unrelated test
  and "survive". In mutmut's stats run this plugin charges those import-time calls to every
  test, as every test runs with what the import computed.
- **Fastest tests first.** Each mutant runs the tests that reached its function and stops at the
  first failure (``-x``). Running them fastest first, by the durations mutmut measured in its
  stats run, kills most mutants in the first few tests instead of after a 5-second black-hole
  test. The order is otherwise irrelevant: every test must pass in any order.

A failing Hypothesis test is not shrunk here (only whether it fails matters, and shrinking can
take longer than the run), and Hypothesis keeps no example database under ``mutants/``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import Phase, settings

STATS = Path("mutmut-stats.json")  # mutmut runs the tests from mutants/, where it keeps this file
STATS_RUN = "stats"                 # MUTANT_UNDER_TEST while mutmut records which tests reach what

settings.register_profile("mutation", phases=(Phase.explicit, Phase.reuse, Phase.generate), database=None)
settings.load_profile("mutation")

_import_time: set[str] | None = None  # functions called before the first test began (stats run only)


def _hits() -> set[str] | None:
    """mutmut's set of functions reached since the last test ended, in its stats run; else None."""
    if os.environ.get("MUTANT_UNDER_TEST") != STATS_RUN:
        return None
    from mutmut.state import state  # mutmut's own process state; only present under mutmut
    return state()._stats


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    global _import_time
    hits = _hits()
    if hits is not None and _import_time is None:
        _import_time = set(hits)  # nothing has run but imports and collection


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    hits = _hits()
    if hits is not None and _import_time:
        hits |= _import_time  # before mutmut's own teardown hook files the set under this test
    yield


def _durations() -> dict[str, float]:
    try:
        data = json.loads(STATS.read_text())
    except (OSError, ValueError):
        return {}  # the stats run that measures them has not happened yet
    return {k: float(v) for k, v in data.get("duration_by_test", {}).items()}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    durations = _durations()
    if durations:
        items.sort(key=lambda item: durations.get(item.nodeid, 0.0))  # stable; tests new since then first
