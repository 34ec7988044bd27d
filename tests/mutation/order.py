"""pytest plugin for mutmut's runs (loaded with ``-p tests.mutation.order`` by ``[tool.mutmut]``).

mutmut runs the suite once to learn which tests reach which function (its stats run), then forks
one worker per mutant from that process and runs the tests that reached the mutated function.
Three things it does not do on its own:

- **Code that runs at import time.** Workers inherit modules already imported, so a function
  that only runs while its module is imported (``graphbinary_requests`` builds its request-byte
  constants that way) would never run mutated; and mutmut charges such calls to whichever test
  ran first. In the stats run this plugin notes the functions called before the first test
  (``mutmut-import-time.json``) and charges them to every test; a worker whose mutant is one of
  them runs that module's code again in place before its tests run, so what the import computes
  is computed by the mutant (classes and functions are kept, see ``_reimport``).
- **Code that runs in a child process** a test starts (SIGTERM and exit handling): mutmut sees no
  call, and the child would run the original code. ``CHILD_PROCESS_CODE`` names those functions
  by test, and a worker hands its mutant on to the children its tests start.
- **Fastest tests first, slow twins left out.** Each mutant runs its tests until the first failure
  (``-x``). Running them fastest first, by the durations the stats run measured, kills most mutants within the
  first few tests. The order is otherwise irrelevant: every test must pass in any order. A test
  that only waits longer than a faster twin checking the same path is left out (``LEFT_OUT``).

Hypothesis tests run at most ``MAX_EXAMPLES`` examples here (the suite runs 30 to 400): a mutant
that survives every other test meets each property test in full, and at full size the slowest
ones (5 s each) would cost hours over thousands of mutants. The score is then a lower bound. A
failing example is not shrunk (only whether it fails matters), and Hypothesis keeps no example
database under ``mutants/``.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

import pytest
from hypothesis import Phase, settings

# mutmut runs the tests from mutants/, where it keeps its files; these are relative to it.
STATS = Path("mutmut-stats.json")
IMPORT_TIME = Path("mutmut-import-time.json")
STATS_RUN = "stats"  # MUTANT_UNDER_TEST while mutmut records which tests reach what
MUTANT_MARK = "__mutmut_"
MAX_EXAMPLES = 25
TEST_TIMEOUT_S = 30.0

settings.register_profile("mutation", phases=(Phase.explicit, Phase.reuse, Phase.generate), database=None)
settings.load_profile("mutation")

_import_time: set[str] | None = None  # stats run: functions called before the first test began


def _mutant() -> str:
    return os.environ.get("MUTANT_UNDER_TEST", "")


def _hits() -> set[str] | None:
    """mutmut's set of functions reached since the last test ended, in its stats run; else None."""
    if _mutant() != STATS_RUN:
        return None
    from mutmut.state import state  # mutmut's own process state (only imported under mutmut)
    return state()._stats


# Functions that run only in a child process a test starts, by that test. mutmut records calls in
# its own process only, so without this their mutants would have "no tests"; the stats run charges
# them to the test, and in a mutant's worker the child runs the same mutant (see _pass_the_mutant_on).
CHILD_PROCESS_CODE: dict[str, tuple[str, ...]] = {
    "tests/framework/test_lifecycle.py::test_sigterm_closes_the_connection_cleanly_then_terminates": (
        "framework.lifecycle.x__on_sigterm", "framework.lifecycle.x_close_on_shutdown",
        "framework.lifecycle.x_get_client", "framework.lifecycle.x_install_shutdown_hook"),
    "tests/framework/test_lifecycle.py::test_execution_context_closes_its_connection_and_loop_at_exit": (
        "framework.lifecycle.x_close_on_shutdown", "framework.lifecycle.x_get_client",
        "framework.worker.x__close_loop", "framework.worker.xǁGraphWorkerǁ_handle"),
    "tests/framework/test_lifecycle_hooks.py::test_an_ignored_sigterm_does_not_terminate_the_process": (
        "framework.lifecycle.x__on_sigterm",),
}

_popen_init = subprocess.Popen.__init__


def _pass_the_mutant_on() -> None:
    """Child processes started with an explicit environment get ``MUTANT_UNDER_TEST`` too.

    They import framework/ from mutants/ (the tests' working directory), so they then run the
    mutant under test instead of the original code.
    """
    mutant = _mutant()

    def init(self: subprocess.Popen[Any], *args: Any, env: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        if env is not None:
            env = {**env, "MUTANT_UNDER_TEST": mutant}
        _popen_init(self, *args, env=env, **kwargs)

    subprocess.Popen.__init__ = init  # type: ignore[method-assign]


@pytest.hookimpl(trylast=True)  # after pytest-timeout has read its settings
def pytest_configure(config: pytest.Config) -> None:
    """Under mutmut: a test that hangs fails after ``TEST_TIMEOUT_S`` (the suite's is 120 s; its slowest
    test takes 5 s), so a mutant that makes a test hang costs half a minute, not two. In a mutant's
    worker: children run the mutant too; re-import the mutated module if the mutated function runs
    at import."""
    name = _mutant()
    if "MUTANT_UNDER_TEST" in os.environ and getattr(config, "_env_timeout", None):
        config._env_timeout = min(config._env_timeout, TEST_TIMEOUT_S)  # type: ignore[attr-defined]
    if MUTANT_MARK not in name:
        return
    _pass_the_mutant_on()
    function = name.rsplit(MUTANT_MARK, 1)[0]
    try:
        import_time = set(json.loads(IMPORT_TIME.read_text()))
    except (OSError, ValueError):
        return
    module = function.rpartition(".")[0]
    if function in import_time and module in sys.modules:
        _reimport(sys.modules[module])


def _reimport(module: ModuleType) -> None:
    """Run ``module``'s code again in place, keeping its classes and functions as they were.

    Only the values it computes (constants) are replaced: a new class object would make
    ``except``/``isinstance`` checks against the one every other module and test already holds
    fail, whatever the mutant does. Functions keep working either way, as they read the module's
    globals, which the re-run updated.
    """
    kept = {k: v for k, v in vars(module).items() if isinstance(v, (type, FunctionType, ModuleType))}
    importlib.reload(module)
    vars(module).update(kept)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    global _import_time
    hits = _hits()
    if hits is not None and _import_time is None:
        _import_time = set(hits)  # nothing has run yet but imports and collection
        IMPORT_TIME.write_text(json.dumps(sorted(_import_time)))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    hits = _hits()
    if hits is not None:  # before mutmut's own teardown hook files the set under this test
        hits |= _import_time or set()
        hits.update(CHILD_PROCESS_CODE.get(item.nodeid, ()))
    yield


def _durations() -> dict[str, float]:
    try:
        data = json.loads(STATS.read_text())
    except (OSError, ValueError):
        return {}  # the stats run that measures them has not happened yet
    return {k: float(v) for k, v in data.get("duration_by_test", {}).items()}


# Tests left out of mutant runs, with why; each has a twin that checks the same path faster.
LEFT_OUT = {
    "tests/framework/test_connect_faults.py::test_black_hole_endpoint_cannot_hold_the_invocation_past_its_timeout[6.0]":
        "waits out a 6 s invocation; its 3 s twin ([3.0]) checks the same deadline path",
}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "MUTANT_UNDER_TEST" in os.environ:
        left_out = [item for item in items if item.nodeid in LEFT_OUT]
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = [item for item in items if item.nodeid not in LEFT_OUT]
    for item in items:
        test = getattr(item, "obj", None)
        chosen = getattr(test, "_hypothesis_internal_use_settings", None)  # what @settings/@given set
        if chosen is not None and chosen.max_examples > MAX_EXAMPLES:
            test._hypothesis_internal_use_settings = settings(chosen, max_examples=MAX_EXAMPLES)  # type: ignore[union-attr]
    durations = _durations()
    if durations:
        items.sort(key=lambda item: durations.get(item.nodeid, 0.0))  # stable; tests new since then first
