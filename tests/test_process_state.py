"""The guard around every test (tests/process_state.py) fails a test that leaves state behind, and
puts the state back so the next test does not inherit it. Run on a small suite in a subprocess."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LEAKY = '''
import asyncio, os, signal

from framework import lifecycle
from framework.config import GraphConfig


def test_leaks_an_environment_variable():
    os.environ["GW_LEAKED"] = "1"


def test_leaks_a_signal_handler():
    signal.signal(signal.SIGUSR1, lambda *_: None)


def test_leaks_the_execution_context_client():
    async def first_invocation():
        lifecycle.get_client(GraphConfig.from_env({"NEPTUNE_ENDPOINT": "ws://127.0.0.1:1/gremlin"}))
    asyncio.run(first_invocation())


def test_zz_finds_everything_put_back(monkeypatch):
    monkeypatch.setenv("GW_FINE", "1")  # undone by monkeypatch: not a leak
    assert "GW_LEAKED" not in os.environ
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL
    assert lifecycle._client is None and lifecycle._hook_installed is False


def test_zz_uses_the_fixture(execution_context):
    async def invocation():
        return lifecycle.get_client(GraphConfig.from_env({"NEPTUNE_ENDPOINT": "ws://127.0.0.1:1/gremlin"}))
    assert asyncio.run(invocation()) is lifecycle._client
'''


def test_leaks_fail_the_test_that_leaked_and_are_undone(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # so the subprocess imports tests.process_state
    pytester.makepyfile(test_leaky=LEAKY)
    result = pytester.runpytest_subprocess("-p", "tests.process_state", "-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5, errors=3)
    result.stdout.fnmatch_lines_random([
        "*ERROR at teardown of test_leaks_an_environment_variable*",
        "*environment variables changed: GW_LEAKED*",
        "*signal handlers changed: SIGUSR1*",
        "*module state changed: framework.lifecycle._atexit_installed, framework.lifecycle._client, *"
        "(use the execution_context fixture); signal handlers changed: SIGTERM*",
    ])
