"""The read model's batch handlers on the fake: the same rows as one event at a time, repeats
in a batch and replays of a batch collapsing, every topic batched."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import pytest

from shared import topics
from shared.envelope import TypedEvent, new_event
from shared.events import ReactionAdded
from services.dashboard import handlers
from services.dashboard.models import Toggle, ToggleKind, ToggleOp
from services.dashboard.store import InMemoryReadModel, Rows
from tests.integration.test_dashboard import known_history

pytestmark = pytest.mark.unit


def typed(event) -> TypedEvent:
    topic = topics.topic(event.type)
    return TypedEvent(event, event.payload(topic.model))


def by_topic(events) -> dict[topics.Topic, list[TypedEvent]]:
    grouped = defaultdict(list)
    for event in events:
        grouped[topics.topic(event.type)].append(typed(event))
    return grouped


async def test_batches_write_the_same_rows_as_one_event_at_a_time():
    history = known_history("TA")
    one_by_one, batched = InMemoryReadModel(), InMemoryReadModel()
    for event in history:
        topic = topics.topic(event.type)
        await handlers.routes(one_by_one)[topic](typed(event))
    routes = handlers.batch_routes(batched)
    for topic, events in by_topic(history).items():
        assert await routes[topic](events) == []
    assert set(routes) == set(handlers.routes(batched))
    assert batched.rows == one_by_one.rows and await batched.tenants() == ["TA"]


async def test_a_batch_handled_again_adds_nothing():
    store = InMemoryReadModel()
    routes = handlers.batch_routes(store)
    grouped = by_topic(known_history("TA"))
    for topic, events in grouped.items():
        await routes[topic](events)
    before = {name: dict(rows) for name, rows in store.rows.items()}
    for topic, events in grouped.items():
        await routes[topic](events)
    assert store.rows == before


async def test_repeats_within_a_batch_collapse_into_one_row():
    rows = Rows()
    reaction = Toggle(tenant="TA", kind=ToggleKind.REACTION, target="C1|1.0|+1", who="w", op=ToggleOp.ADD,
                      at=datetime(2024, 1, 1, tzinfo=UTC))
    assert await rows.add_toggle(reaction) is True
    assert await rows.add_toggle(reaction.model_copy()) is False
    await rows.add_deletion("TB", "C1", "1.0")
    assert len(rows) == 2 and rows.tenants == {"TA", "TB"}
    store = InMemoryReadModel()
    assert await store.add_rows(rows) == 2 and await store.add_rows(rows) == 0
    assert await store.deleted_messages("TB") == {"TB|C1|1.0"}


async def test_a_reaction_batch_counts_each_reaction_once():
    store = InMemoryReadModel()
    at = datetime(2024, 2, 1, tzinfo=UTC)
    data = [ReactionAdded(user_id=f"U{n % 7}", channel_id="C1", message_ts=f"{n % 5}.0", reaction="+1", reacted_at=at)
            for n in range(70)]  # every (person, message) twice: a replay inside the batch
    events = [typed(new_event(type=topics.REACTION_ADDED.name, subject="C1", tenant="TA", source="t", data=d))
              for d in data]
    await handlers.batch_routes(store)[topics.REACTION_ADDED](events)
    assert len(await store.toggles("TA", ToggleKind.REACTION)) == 35  # 7 people × 5 messages
