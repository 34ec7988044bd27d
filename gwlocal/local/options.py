"""Options of ``graphworker local`` (import-light, shared by the CLI and the runner)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class LocalOptions:
    handler: str = "transactions"
    messages: int = 300
    rate: float = 300.0
    from_file: Path | None = None
    poison_rate: float = 0.03
    duplicate_rate: float = 0.05
    batch_size: int = 10
    batching_window_s: float = 0.1
    concurrency: int = 4
    function_timeout_s: float = 5.0
    deadline_margin_s: float = 1.0
    visibility_timeout_s: int = 2
    max_receive_count: int = 5
    idle_recycle_s: float = 30.0
    max_invocations: int = 50
    fifo: bool = False
    out_of_order: bool = False
    scenario: str | None = None
    """``overload`` or ``outage``: the endpoint pushes back mid-run (see gwlocal/local/scenarios.py)."""
    scenario_start_s: float = 5.0
    scenario_duration_s: float = 20.0
    outage_mode: str = "throttle"
    """Send histories (several versions of the same elements), shuffled: convergence is checked."""
    sqs: str = "fauxqs"
    chaos: bool = False
    iam: bool = False
    output: Path = Path(".graphworker/local")
    report_json: Path | None = None
    seed: int = 0
    gremlin_endpoint: str | None = None
    sqs_endpoint: str | None = None
    max_duration_s: float = 120.0
    max_rss_growth_pct: float | None = None
    """RED when the handler's memory grows more than this percentage (``handler_rss_mb.growth_pct``:
    with waves, the smaller of the run's two halves' median rise of the memory level from one
    wave to the next, times the rises, against the first wave's level; without, from the first
    to the last tenth of the run; see
    ``runner.rss_figures``). Set by --soak (10), whose waves tell a leak, rising every wave, from
    warm-up paid once (lazy imports, first clients, connections, caches)."""
    waves: int = 1
    """Send the load in this many waves, each once the queue is drained, after ``lull_s`` (soak)."""
    lull_s: float = 0.0
    progress: bool = True
    dashboard: bool = True
    dashboard_pngs: bool = True
