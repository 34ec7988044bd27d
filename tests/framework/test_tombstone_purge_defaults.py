"""Purging tombstones with the defaults: 500 per request, and the age measured from the current UTC time."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator

import pytest
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.structure.graph import Graph

from framework.tombstones import purge_tombstones
from framework.versions import DELETED_AT_KEY, TOMBSTONE_LABEL

g = traversal().with_graph(Graph())
HOUR = 3600.0


async def _tombstones(client, count: int, deleted_at: dt.datetime) -> None:
    await client.submit(g.inject(*range(count)).add_v(TOMBSTONE_LABEL).property(DELETED_AT_KEY, deleted_at).count())


async def test_a_purge_drops_500_tombstones_per_request_by_default(make_client):
    client = make_client()
    await _tombstones(client, 500, dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    result = await purge_tombstones(client, older_than_s=HOUR)
    assert (result.purged, result.requests, result.complete) == (500, 2, True)  # a full request: one more


@pytest.fixture
def east_of_utc() -> Iterator[None]:
    """The machine's local time zone 9 hours ahead of UTC (restored afterwards)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "JST-9"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


async def test_the_age_is_measured_in_utc_whatever_the_local_time_zone(east_of_utc, make_client):
    client = make_client()
    await _tombstones(client, 1, dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
    young = await purge_tombstones(client, older_than_s=5 * HOUR)
    assert (young.purged, young.complete) == (0, True)
    old = await purge_tombstones(client, older_than_s=HOUR)
    assert (old.purged, old.complete) == (1, True)
