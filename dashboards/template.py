"""Write the generated blocks of ``template.yaml`` (the rest of the template is written by hand).

Why generated blocks in a hand-written template: the queues, functions and IAM read best as
plain SAM, but the dashboard body, the alarms, their threshold parameters and the visibility
timeout table are derived from Python definitions (the metric catalog, :mod:`dashboards.alarms`,
:mod:`dashboards.deployment`) and must never be copied by hand. Each block sits between marker
comments::

    # >>> generated: NAME (...)
    ...
    # <<< generated: NAME

:func:`render_template` replaces every block's content, at the markers' indentation; a test
fails when ``template.yaml`` differs from its rendering.

The YAML is emitted by a small writer here rather than a YAML library, so the output is stable
(key order as built, every string double-quoted, the dashboard body as a literal block) and the
generator needs nothing beyond the standard library.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from . import alarms as a
from . import cloudwatch
from .deployment import DASHBOARD_LOGICAL_ID, VISIBILITY_MAPPING, visibility_mapping


class Block(str):
    """A string written as a YAML literal block scalar (``|-``)."""


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_:.-]*")


def _key(key: str) -> str:
    return key if _PLAIN_KEY.fullmatch(key) else json.dumps(key)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if value is None:
        return "null"
    if isinstance(value, str):
        return json.dumps(value)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def to_yaml(value: Any, indent: int = 0) -> list[str]:
    """Lines of block-style YAML for ``value`` (dicts, lists, scalars, :class:`Block`)."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            head = f"{pad}{_key(k)}:"
            if isinstance(v, Block):
                lines.append(f"{head} |-")
                lines.extend(f"{pad}  {line}" if line else "" for line in v.split("\n"))
            elif isinstance(v, dict | list) and v:
                lines.append(head)
                lines.extend(to_yaml(v, indent + 2))
            elif isinstance(v, dict | list):
                lines.append(f"{head} {'{}' if isinstance(v, dict) else '[]'}")
            else:
                lines.append(f"{head} {_scalar(v)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict | list) and item:
                inner = to_yaml(item, indent + 2)
                inner[0] = f"{pad}- {inner[0][indent + 2:]}"
                lines.extend(inner)
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    else:
        lines.append(f"{pad}{_scalar(value)}")
    return lines


def _dashboard_and_alarms() -> dict[str, Any]:
    resources: dict[str, Any] = {
        DASHBOARD_LOGICAL_ID: {
            "Type": "AWS::CloudWatch::Dashboard",
            "Properties": {
                "DashboardName": {"Fn::Sub": "${AWS::StackName}-graphworker"},
                "DashboardBody": {"Fn::Sub": Block(cloudwatch.dashboard_body())},
            },
        },
    }
    resources.update(cloudwatch.alarm_resources())
    return resources


def _parameter_group() -> list[Any]:
    return [{"Label": {"default": "Alarm thresholds"}, "Parameters": [alarm.parameter for alarm in a.ALARMS]}]


BLOCKS: dict[str, Callable[[], Any]] = {
    "visibility-timeout": lambda: {VISIBILITY_MAPPING: visibility_mapping()},
    "alarm-thresholds": cloudwatch.threshold_parameters,
    "alarm-parameter-group": _parameter_group,
    "dashboard-and-alarms": _dashboard_and_alarms,
}
"""Block name -> the value written into it."""

_BLOCK = re.compile(
    r"^(?P<indent>[ ]*)# >>> generated: (?P<name>[a-z-]+)[^\n]*\n"
    r"(?P<body>.*?)"
    r"^(?P=indent)# <<< generated: (?P=name)[^\n]*$",
    re.M | re.S)


def render_template(text: str) -> str:
    """``text`` with every generated block re-rendered; raises if a block is missing or unknown."""
    seen: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name, indent = match.group("name"), match.group("indent")
        if name not in BLOCKS:
            raise ValueError(f"template.yaml has an unknown generated block {name!r}")
        seen.append(name)
        body = "\n".join(to_yaml(BLOCKS[name](), len(indent)))
        return (f"{indent}# >>> generated: {name} (python -m dashboards.render --write; do not edit)\n"
                f"{body}\n{indent}# <<< generated: {name}")

    out = _BLOCK.sub(replace, text)
    missing = set(BLOCKS) - set(seen)
    if missing:
        raise ValueError(f"template.yaml lacks the generated block(s) {sorted(missing)}: add the "
                         "'# >>> generated: NAME' / '# <<< generated: NAME' marker lines")
    return out
