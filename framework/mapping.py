"""From a message body to validated upserts, where every failure becomes the message's own reason.

Why a catch-all here: the body is arbitrary text and the mapping function is user code. Whatever
goes wrong for one message (JSON nested deeper than the parser's recursion limit, a body the
model refuses, a ``KeyError`` in the user's function, an upsert with a value Neptune cannot
store) must fail that message alone with a clear reason, and must never stop the batch from
being written for the others. Only cancellation (the invocation's deadline) passes through.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import GraphWorkerError
from .upserts import WRITE_TYPES, UpsertValidationError, Write

Mapper = Callable[[Any], Iterable[Write]] | Callable[[Any], Any]


class MessageFailed(GraphWorkerError):
    """One message cannot be written; ``kind`` is the ``Reason`` dimension of ``MessagesFailed``."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason


def parse_body(body: str, model: type[BaseModel] | None) -> Any:
    """The body as the model (or as plain JSON without one); raises MessageFailed(invalid_message)."""
    try:
        if model is not None:
            return model.model_validate_json(body)
        return json.loads(body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}"
                             for e in exc.errors(include_url=False, include_input=False))
        raise MessageFailed("invalid_message", f"body does not match {model.__name__ if model else 'JSON'}: "
                            f"{_short(problems)}") from exc
    except RecursionError as exc:
        raise MessageFailed("invalid_message", "body is JSON nested too deeply to parse") from exc
    except ValueError as exc:
        raise MessageFailed("invalid_message", f"body is not valid JSON: {_short(str(exc))}") from exc
    except Exception as exc:
        raise MessageFailed("invalid_message", f"body could not be parsed: {type(exc).__name__}: "
                            f"{_short(str(exc))}") from exc


async def run_mapper(mapper: Mapper, payload: Any) -> list[Write]:
    """Run the user's function (sync, async, generator or async generator) and validate what it yields."""
    try:
        produced = mapper(payload)
        if inspect.isawaitable(produced):
            produced = await produced
        if inspect.isasyncgen(produced):
            upserts = [u async for u in produced]
        else:
            upserts = list(produced or ())
    except MessageFailed:
        raise
    except Exception as exc:
        raise MessageFailed("mapping_error", f"the upserts function raised {type(exc).__name__}: "
                            f"{_short(str(exc))}") from exc
    checked: list[Write] = []
    for upsert in upserts:
        if not isinstance(upsert, WRITE_TYPES):
            raise MessageFailed("invalid_upsert", f"the upserts function yielded {type(upsert).__name__}, "
                                "expected Vertex, Edge, DeleteVertex or DeleteEdge")
        try:
            upsert.validate()
        except UpsertValidationError as exc:
            raise MessageFailed("invalid_upsert", str(exc)) from exc
        except Exception as exc:  # e.g. a props mapping whose items() raises
            raise MessageFailed("invalid_upsert", f"the upsert could not be checked: {type(exc).__name__}: "
                                f"{_short(str(exc))}") from exc
        checked.append(upsert)
    return checked


def _short(text: str, limit: int = 1000) -> str:
    """Reasons end up in logs and spans: keep them readable whatever the body held."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[:limit] + f"... ({len(text) - limit} more characters)"
