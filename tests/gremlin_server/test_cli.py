"""The ``graphworker gremlin-server`` command, run as a real subprocess."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request

from gwlocal.cli import build_parser, main


def test_serves_on_an_os_chosen_port_and_stops_on_sigterm():
    proc = subprocess.Popen(
        [sys.executable, "-m", "gwlocal.cli", "gremlin-server", "--port", "0", "--log-level", "WARNING",
         "--settings", '{"role": "reader"}'],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"ws://127\.0\.0\.1:(\d+)/gremlin", line)
        assert match, line
        port = int(match.group(1))
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=10) as resp:
            status = json.loads(resp.read())
        assert status == {"status": "healthy", "role": "reader", "dbEngineVersion": "graphworker-local",
                          "gremlin": {"version": "tinkerpop-3.7"}}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


def test_bad_settings_fail_with_a_message_naming_the_field(capsys):
    try:
        main(["gremlin-server", "--settings", '{"conflict_rate": 3}'])
    except SystemExit as exc:
        assert "conflict_rate" in str(exc)
    else:
        raise AssertionError("bad settings were accepted")


def test_check_passes_with_every_serializer(capsys):
    assert main(["gremlin-server", "--check", "--log-level", "WARNING"]) == 0
    out = capsys.readouterr().out
    for name in ("graphbinary-v1", "graphson-v3", "graphson-v2"):
        assert re.search(rf"{name}\s+(\d+)/\1\s", out), out


def test_help_documents_every_option():
    sub = build_parser()._subparsers._group_actions[0].choices["gremlin-server"]  # type: ignore[union-attr]
    for action in sub._actions:
        if action.option_strings and action.dest != "help":
            assert action.help, action.option_strings


def test_the_serving_process_tunes_its_garbage_collector():
    # Process-wide, so checked in a process of its own: young collections every 50,000 allocations
    # (CPython: 700) and the start-up heap frozen out of full collections.
    code = ("import gc; from gwlocal.gremlin_server.gc_tuning import tune_for_serving, YOUNG_THRESHOLD; "
            "before = gc.get_threshold()[0]; tune_for_serving(); "
            "print(before != YOUNG_THRESHOLD, gc.get_threshold()[0] == YOUNG_THRESHOLD, gc.get_freeze_count() > 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["True", "True", "True"]
