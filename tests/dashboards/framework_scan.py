"""What the framework's source really does, found by reading it (``ast``), not by trusting a list.

- :func:`env_reads`: every environment variable ``framework/`` reads: ``env.get("X")``,
  ``os.environ.get("X")``, ``os.environ["X"]``, ``os.getenv("X")``, and calls of local helpers
  that read the variable named by one of their parameters (``pick(field, "X", ...)`` where
  ``pick`` does ``env.get(var)``).
- :func:`env_like_constants`: every string constant that looks like a variable name, so a test
  can insist each one is accounted for (a read the scanner does not understand fails loudly
  instead of being missed).
- :func:`emitted_metrics`: every catalog metric passed to ``<sink>.add(m.NAME, ...)`` and the
  literal dimension values it is emitted with.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

from framework.telemetry import catalog

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORK = ROOT / "framework"
ENV_NAME = re.compile(r"^(?:NEPTUNE|GRAPHWORKER|OTEL|POWERTOOLS|AWS|USE)_[A-Z0-9_]+$")


def _sources() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(), str(path))) for path in sorted(FRAMEWORK.rglob("*.py"))]


def _is_env(node: ast.expr) -> bool:
    """``env`` (the modules' name for an injected mapping), ``environ``, or ``<x>.environ``."""
    if isinstance(node, ast.Name):
        return node.id in ("env", "environ")
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def _read_key(node: ast.AST) -> ast.expr | None:
    """The key expression if ``node`` reads the environment, else None."""
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "get" and _is_env(func.value):
            return node.args[0]
        if isinstance(func, ast.Attribute) and func.attr == "getenv":
            return node.args[0]
    if isinstance(node, ast.Subscript) and _is_env(node.value):
        return node.slice
    return None


def env_reads() -> dict[str, set[str]]:
    """Variable name -> where it is read (``file:line``)."""
    found: dict[str, set[str]] = defaultdict(set)
    for path, tree in _sources():
        where = path.relative_to(ROOT)
        helpers: dict[str, tuple[int, str]] = {}  # helper name -> (index of the variable parameter, its name)
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            params = [a.arg for a in fn.args.args]
            for node in ast.walk(fn):
                key = _read_key(node)
                if isinstance(key, ast.Name) and key.id in params:
                    helpers[fn.name] = (params.index(key.id), key.id)
        for node in ast.walk(tree):
            key = _read_key(node)
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                found[key.value].add(f"{where}:{getattr(node, 'lineno', 0)}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in helpers:
                index, name = helpers[node.func.id]
                arg: ast.expr | None = node.args[index] if index < len(node.args) else None
                arg = next((k.value for k in node.keywords if k.arg == name), arg)
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found[arg.value].add(f"{where}:{node.lineno}")
        for var, line in _settings_table_vars(tree):
            found[var].add(f"{where}:{line}")
    return dict(found)


def _settings_table_vars(tree: ast.Module) -> list[tuple[str, int]]:
    """Variables named in a settings table: ``NUMBER_SETTINGS = {"field": ("VAR", ...), ...}``.

    Such a table is how a module reads several variables in one loop (``env.get(var)``); a table
    only counts when the module also reads the environment with a non-constant key.
    """
    reads_by_name = any(isinstance(_read_key(node), ast.Name) for node in ast.walk(tree))
    out: list[tuple[str, int]] = []
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None)
        value = node.value if isinstance(node, ast.AnnAssign | ast.Assign) else None
        if not (reads_by_name and isinstance(target, ast.Name) and target.id.endswith("_SETTINGS")
                and isinstance(value, ast.Dict)):
            continue
        for entry in value.values:
            if (isinstance(entry, ast.Tuple) and entry.elts and isinstance(entry.elts[0], ast.Constant)
                    and isinstance(entry.elts[0].value, str)):
                out.append((entry.elts[0].value, entry.elts[0].lineno))
    return out


def env_like_constants() -> dict[str, set[str]]:
    """String constants shaped like environment variable names, outside docstrings."""
    found: dict[str, set[str]] = defaultdict(set)
    for path, tree in _sources():
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                      and node.body and isinstance(node.body[0], ast.Expr)
                      and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                    and ENV_NAME.match(node.value)):
                found[node.value].add(f"{path.relative_to(ROOT)}:{node.lineno}")
    return dict(found)


def emitted_metrics() -> dict[str, dict[str, set[str]]]:
    """Metric name -> {dimension: literal values seen} for every catalog metric the code uses.

    A metric counts as emitted when code outside the catalog refers to its definition through
    an alias of :mod:`framework.telemetry.catalog` (``m.GREMLIN_RETRIES``), which is the only way
    to emit one (``MetricsSink.add`` takes a ``MetricDef``); that also covers a definition chosen
    first and added later (``metric = m.A if ... else m.B``). Dimension values are collected from
    ``.add(m.CONST, ..., Dim=...)`` calls: literals only (``ErrorClass=exc.error_class`` adds
    nothing), including a literal inside ``x or "unknown"``.
    """
    out: dict[str, dict[str, set[str]]] = {}
    for path, tree in _sources():
        if path.name == "catalog.py":
            continue
        aliases = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                   for alias in node.names if alias.name == "catalog"}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and isinstance(getattr(catalog, node.attr, None), catalog.MetricDef)):
                out.setdefault(getattr(catalog, node.attr).name, {})
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add"
                    and node.args and isinstance(node.args[0], ast.Attribute)
                    and isinstance(node.args[0].value, ast.Name) and node.args[0].value.id in aliases):
                continue
            dims = out.setdefault(getattr(catalog, node.args[0].attr).name, {})
            for keyword in node.keywords:
                if keyword.arg is None:
                    continue
                values = dims.setdefault(keyword.arg, set())
                for sub in ast.walk(keyword.value):
                    if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                        values.add(sub.value)
    return out
