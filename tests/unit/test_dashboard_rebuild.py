"""The rebuild's record handling on fakes: the same handlers, one tenant or all, dead letters."""

from __future__ import annotations

from collections import namedtuple
from datetime import UTC, datetime

import pytest

from shared import topics
from shared.envelope import new_event
from shared.events import ResidentJoined
from services.dashboard.rebuild import Replay
from services.dashboard.store import InMemoryReadModel

pytestmark = pytest.mark.unit

Record = namedtuple("Record", "topic partition offset key value headers timestamp")


def joined(tenant: str, user: str) -> Record:
    event = new_event(type=topics.RESIDENT_JOINED.name, subject=user, tenant=tenant, source="tests",
                      data=ResidentJoined(user_id=user, joined_at=datetime(2024, 1, 2, tzinfo=UTC)))
    return Record(topics.RESIDENT_JOINED.name, 0, 1, user.encode(), event.to_bytes(), [], 0)


async def replay(store, records, *, tenant=None) -> Replay:
    run = Replay(store, tenant=tenant)
    for record in records:
        if run.wanted(record):
            await run.apply(record)
    return run


async def test_a_tenants_rebuild_applies_only_its_events_and_skips_invalid_ones():
    store = InMemoryReadModel()
    wrong_type = joined("TA", "U9")._replace(topic=topics.RESIDENT_LEFT.name)
    records = [joined("TA", "U1"), joined("TB", "U2"), joined("TA", "U1"), Record("resident.joined", 0, 9, None, b"{TA", [], 0), wrong_type]
    run = await replay(store, records, tenant="TA")
    assert (run.report.applied, run.report.other_tenants, run.report.invalid) == (2, 1, 2)
    assert await store.tenants() == ["TA"]
    assert len(await store.facts("TA")) == 1  # the same join twice is one fact


async def test_a_full_rebuild_also_restores_dead_letters():
    store = InMemoryReadModel()
    dead = Record("resident.joined.dlq", 0, 4, None, b"{not json",
                  [("dlq-reason", b"Invalid JSON"), ("dlq-original-topic", b"resident.joined")], 1_700_000_000_000)
    run = await replay(store, [joined("TA", "U1"), dead, dead])
    assert run.report.dead_letters == 2
    assert await store.dead_letter_counts() == {("resident.joined", ""): 1}
