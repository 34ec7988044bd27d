"""Read a local run's output folder: EMF metrics, spans, endpoint and SQS samples, the report.

The folder contract (written by ``graphworker local``):

- ``metrics.emf.jsonl``: one CloudWatch EMF object per line, as Powertools serializes them.
- ``spans.jsonl``: one finished span per line (name, ids, start/end ns, attributes, status, events).
- ``endpoint-stats.jsonl``: the local Gremlin endpoint's ``GET /stats`` JSON plus ``t`` (unix s).
- ``sqs-stats.jsonl``: ``{"t", "queue_visible", "queue_in_flight", "dlq_visible", "oldest_message_age_s"}``.
- ``report.json``: the run's report.

Why tolerant: a run that was interrupted may have left a half-written last line or no report;
the dashboard of what *did* happen is still worth drawing. Bad lines and missing files are
skipped and listed in :attr:`RunData.warnings`, which the page shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EMF_FILE = "metrics.emf.jsonl"
SPANS_FILE = "spans.jsonl"
ENDPOINT_FILE = "endpoint-stats.jsonl"
SQS_FILE = "sqs-stats.jsonl"
REPORT_FILE = "report.json"


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """The values of one metric in one EMF object, with every dimension it was published under."""

    t: float
    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    values: tuple[float, ...]

    def dimension(self, name: str) -> str | None:
        for key, value in self.dimensions:
            if key == name:
                return value
        return None


@dataclass
class RunData:
    directory: Path
    points: list[MetricPoint] = field(default_factory=list)
    spans: list[dict[str, Any]] = field(default_factory=list)
    endpoint: list[dict[str, Any]] = field(default_factory=list)
    sqs: list[dict[str, Any]] = field(default_factory=list)
    report: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)

    def time_range(self) -> tuple[float, float] | None:
        """First and last instant (unix s) any file mentions; None for an empty run."""
        times = [p.t for p in self.points]
        times += [float(s["t"]) for s in self.endpoint + self.sqs]
        for span in self.spans:
            times += [span["start_ns"] / 1e9, span["end_ns"] / 1e9]
        return (min(times), max(times)) if times else None


def _lines(path: Path, warnings: list[str]) -> list[dict[str, Any]]:
    if not path.exists():
        warnings.append(f"{path.name}: missing")
        return []
    out: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            warnings.append(f"{path.name}:{number}: not JSON ({exc.msg}); skipped")
            continue
        if not isinstance(value, dict):
            warnings.append(f"{path.name}:{number}: not a JSON object; skipped")
            continue
        out.append(value)
    return out


def parse_emf(blob: dict[str, Any]) -> list[MetricPoint]:
    """The metric points of one EMF object (one per metric and dimension set).

    Raises ``ValueError`` when the object is not EMF.
    """
    try:
        meta = blob["_aws"]
        t = float(meta["Timestamp"]) / 1000.0
        directives = meta["CloudWatchMetrics"]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not an EMF object: missing {exc}") from None
    points: list[MetricPoint] = []
    for directive in directives:
        namespace = str(directive.get("Namespace", ""))
        dimension_sets = directive.get("Dimensions") or [[]]
        for definition in directive.get("Metrics", []):
            name = definition["Name"]
            raw = blob.get(name)
            if raw is None:
                continue
            values = tuple(float(v) for v in (raw if isinstance(raw, list) else [raw]))
            for dimension_set in dimension_sets:
                dims = tuple(sorted((str(d), str(blob.get(d, ""))) for d in dimension_set))
                points.append(MetricPoint(t, namespace, name, dims, values))
    return points


def load_run(directory: Path) -> RunData:
    """Everything in a local run's folder (see the module docstring)."""
    run = RunData(directory=directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} is not a directory (expected a local run's output folder)")
    emf_path = directory / EMF_FILE
    for number, blob in enumerate(_lines(emf_path, run.warnings), 1):
        try:
            run.points.extend(parse_emf(blob))
        except (ValueError, KeyError, TypeError) as exc:
            run.warnings.append(f"{EMF_FILE}: object {number}: {exc}; skipped")
    for span in _lines(directory / SPANS_FILE, run.warnings):
        if isinstance(span.get("start_ns"), int | float) and isinstance(span.get("end_ns"), int | float):
            run.spans.append(span)
        else:
            run.warnings.append(f"{SPANS_FILE}: span {span.get('name')!r} without start_ns/end_ns; skipped")
    for name, target in ((ENDPOINT_FILE, run.endpoint), (SQS_FILE, run.sqs)):
        for sample in _lines(directory / name, run.warnings):
            if isinstance(sample.get("t"), int | float):
                target.append(sample)
            else:
                run.warnings.append(f"{name}: a sample without 't'; skipped")
        target.sort(key=lambda s: float(s["t"]))
    report_path = directory / REPORT_FILE
    if report_path.exists():
        try:
            report = json.loads(report_path.read_text())
            run.report = report if isinstance(report, dict) else None
        except json.JSONDecodeError as exc:
            run.warnings.append(f"{REPORT_FILE}: not JSON ({exc.msg})")
    else:
        run.warnings.append(f"{REPORT_FILE}: missing")
    return run
