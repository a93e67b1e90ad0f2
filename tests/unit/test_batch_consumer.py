"""The batch consumer keeps the consumer's rules on fakes: order, DLQ per record, de-duplication
per event, one ledger read and write per batch, a spoilt batch split so only culprits go to the DLQ."""

from dataclasses import dataclass

import pytest

from shared import topics
from shared.batching import BatchConsumer, Batching, NoLedger
from shared.envelope import new_event
from shared.errors import PermanentError, TransientError
from shared.events import ResidentJoined
from shared.store import InMemoryHandledEvents
from shared.testing import FakePublisher

pytestmark = pytest.mark.unit


@dataclass
class Record:
    value: bytes
    offset: int
    topic: str = "resident.joined"
    partition: int = 0
    key: bytes = b"k"
    headers: tuple = (("content-type", b"application/cloudevents+json"),)


class CountingLedger(InMemoryHandledEvents):
    def __init__(self) -> None:
        super().__init__()
        self.reads = self.writes = 0

    async def seen_many(self, event_ids):
        self.reads += 1
        return await super().seen_many(event_ids)

    async def mark_many(self, event_ids, topic):
        self.writes += 1
        await super().mark_many(event_ids, topic)


def joined(user: str):
    return new_event(type="resident.joined", subject=user, tenant="T1", source="t", data=ResidentJoined(user_id=user))


def records(*values: bytes) -> list[Record]:
    return [Record(value, offset) for offset, value in enumerate(values)]


def batch_consumer(*, handler=None, batch_handler=None, handled=None, publisher=None) -> BatchConsumer:
    return BatchConsumer(
        topic=topics.RESIDENT_JOINED, group="g", handler=handler, batch_handler=batch_handler,
        publisher=publisher or FakePublisher(), handled=handled if handled is not None else CountingLedger(),
        service="test", retries=1, backoff_seconds=0, batching=Batching(max_records=10),
    )


async def test_events_are_handled_in_order_and_the_ledger_is_read_and_written_once():
    order = []

    async def handler(event):
        order.append(event.data.user_id)
        return [joined(f"{event.data.user_id}-next")]

    ledger = CountingLedger()
    c = batch_consumer(handler=handler, handled=ledger)
    events = [joined(f"U{n}") for n in range(5)]
    outcomes = await c.process_batch(records(*(e.to_bytes() for e in events)))
    assert outcomes == ["handled"] * 5 and order == [f"U{n}" for n in range(5)]
    assert ledger.ids == {e.id for e in events} and (ledger.reads, ledger.writes) == (1, 1)
    assert [e.data["user_id"] for e in c.publisher.events] == [f"U{n}-next" for n in range(5)]


async def test_redelivered_and_repeated_events_are_duplicates_and_invalid_records_go_to_the_dlq_alone():
    handled = []

    async def handler(event):
        handled.append(event.id)

    first, second = joined("U1"), joined("U2")
    c = batch_consumer(handler=handler)
    assert await c.process_batch(records(first.to_bytes())) == ["handled"]
    outcomes = await c.process_batch(records(first.to_bytes(), b"{oops", second.to_bytes(), second.to_bytes()))
    assert sorted(outcomes) == ["dead_lettered", "duplicate", "duplicate", "handled"]
    assert handled == [first.id, second.id]
    [(topic, value, headers)] = c.publisher.raw
    assert topic == "resident.joined.dlq" and value == b"{oops" and headers["dlq-original-offset"] == "1"
    assert "Invalid JSON" in headers["dlq-reason"] and headers["content-type"] == "application/cloudevents+json"


async def test_a_failing_event_is_dead_lettered_and_the_rest_of_the_batch_is_handled():
    async def handler(event):
        if event.data.user_id == "U2":
            raise PermanentError("refused")

    ledger = CountingLedger()
    c = batch_consumer(handler=handler, handled=ledger)
    events = [joined(f"U{n}") for n in range(4)]
    assert await c.process_batch(records(*(e.to_bytes() for e in events))) == [
        "handled", "handled", "dead_lettered", "handled"]
    assert ledger.ids == {events[0].id, events[1].id, events[3].id}
    assert "refused" in c.publisher.raw[0][2]["dlq-reason"]


async def test_a_batch_handler_gets_the_whole_batch_once():
    batches = []

    async def handle(events):
        batches.append([e.data.user_id for e in events])
        return [joined("summary")]

    c = batch_consumer(batch_handler=handle)
    events = [joined(f"U{n}") for n in range(3)]
    assert await c.process_batch(records(*(e.to_bytes() for e in events))) == ["handled"] * 3
    assert batches == [["U0", "U1", "U2"]] and len(c.publisher.events) == 1


async def test_a_spoilt_batch_is_split_so_only_the_culprit_reaches_the_dlq():
    calls = []

    async def handle(events):
        calls.append(len(events))
        if any(e.data.user_id == "bad" for e in events):
            raise PermanentError("bad user")
        return [joined(f"{e.data.user_id}-seen") for e in events]

    ledger = CountingLedger()
    c = batch_consumer(batch_handler=handle, handled=ledger)
    events = [joined("U1"), joined("bad"), joined("U3")]
    outcomes = await c.process_batch(records(*(e.to_bytes() for e in events)))
    assert outcomes == ["handled", "dead_lettered", "handled"]
    assert calls == [3, 1, 1, 1]  # a permanent error is not retried: split at once
    assert ledger.ids == {events[0].id, events[2].id}
    assert [e.data["user_id"] for e in c.publisher.events] == ["U1-seen", "U3-seen"]
    assert c.publisher.raw[0][2]["dlq-original-offset"] == "1"


async def test_transient_failures_of_a_batch_are_retried():
    attempts = []

    async def handle(events):
        attempts.append(len(events))
        if len(attempts) == 1:
            raise TransientError("store busy")

    c = batch_consumer(batch_handler=handle)
    assert await c.process_batch(records(joined("U1").to_bytes(), joined("U2").to_bytes())) == ["handled"] * 2
    assert attempts == [2, 2]


async def test_a_batch_that_keeps_failing_for_the_store_is_redelivered_not_split_or_dead_lettered():
    attempts = []

    async def handle(events):
        attempts.append(len(events))
        raise ConnectionError("store unreachable")

    c = batch_consumer(batch_handler=handle)
    with pytest.raises(ConnectionError):
        await c.process_batch(records(joined("U1").to_bytes(), joined("U2").to_bytes()))
    assert attempts == [2, 2] and c.publisher.raw == []  # the retries, then up to Kafka to redeliver


async def test_a_bug_that_spoils_a_batch_is_retried_then_split():
    calls = []

    async def handle(events):
        calls.append(len(events))
        if any(e.data.user_id == "bad" for e in events):
            raise KeyError("bug")

    c = batch_consumer(batch_handler=handle)
    outcomes = await c.process_batch(records(joined("U1").to_bytes(), joined("bad").to_bytes()))
    assert outcomes == ["handled", "dead_lettered"] and calls == [2, 2, 1, 1, 1]
    assert "KeyError" in c.publisher.raw[0][2]["dlq-reason"]


async def test_when_nothing_can_be_dead_lettered_the_batch_fails_but_what_was_handled_is_recorded():
    async def handler(event):
        if event.data.user_id == "bad":
            raise PermanentError("bad user")

    class DownPublisher(FakePublisher):
        async def publish_raw(self, value, *, topic, key, headers):
            raise ConnectionError("bus down")

    ledger = CountingLedger()
    c = batch_consumer(handler=handler, handled=ledger, publisher=DownPublisher())
    good = joined("U1")
    with pytest.raises(ConnectionError):
        await c.process_batch(records(good.to_bytes(), joined("bad").to_bytes()))
    assert ledger.ids == {good.id}  # the redelivered batch skips it as a duplicate


async def test_without_a_ledger_a_redelivery_is_handled_again():
    handled = []

    async def handle(events):
        handled.extend(e.id for e in events)

    c = batch_consumer(batch_handler=handle, handled=NoLedger())
    event = joined("U1")
    await c.process_batch(records(event.to_bytes()))
    await c.process_batch(records(event.to_bytes()))
    assert handled == [event.id, event.id]


def test_a_batch_consumer_needs_exactly_one_kind_of_handler():
    async def handler(event):
        return None

    with pytest.raises(ValueError):
        batch_consumer()
    with pytest.raises(ValueError):
        batch_consumer(handler=handler, batch_handler=handler)
