"""Hostile records on the bus, one consumer at a time on fakes: each lands somewhere
(handled, or on the DLQ with a reason) and never blocks the partition."""

from __future__ import annotations

import pytest

from services.dashboard import handlers as dashboard

pytestmark = pytest.mark.unit

DEEP = b'{"a":' * 100_000 + b"1" + b"}" * 100_000


@pytest.mark.parametrize("value", [DEEP, b"\xff\xfe\x00", b"[1]", None, b'{"tenant": {"$ne": null}, "id": 5}'])
def test_the_dashboard_reads_any_dead_letter_without_failing(value):
    # A failure here is redelivered forever: the DLQ reader would stop on that partition.
    dead = dashboard.dead_letter_of(topic="resident.joined.dlq", partition=0, offset=1, value=value,
                                    headers=[("dlq-reason", b"(root): Invalid JSON")], timestamp_ms=0)
    assert (dead.tenant, dead.event_id) == (None, None)
    assert dead.reason == "(root): Invalid JSON"
