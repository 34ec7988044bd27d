"""The ``--chaos`` mix of ``graphworker local`` (kept import-light: ``--help`` shows it)."""

from __future__ import annotations

CHAOS_IDLE_TIMEOUT_S = 1.5
"""Connections idle this long are closed by the endpoint (a soak's lulls outlast it)."""
CHAOS = {
    "conflict_rate": 0.05,
    "hold_ms": 5.0,
    "drop": {"rate": 0.02, "mode": "before_execute"},
    "inject": {"code": "ThrottlingException", "rate": 0.03, "writes_only": True},
    "idle_timeout_s": CHAOS_IDLE_TIMEOUT_S,
}
"""The ``--chaos`` mix, plus a failover every ``CHAOS_FAILOVER_EVERY_S`` and the drop mode
alternating between "before_execute" and "after_commit"."""
CHAOS_FAILOVER_EVERY_S = 4.0
