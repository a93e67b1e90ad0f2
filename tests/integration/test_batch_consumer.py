"""Batch consumers on the real broker and store: handled once, poison and undecodable records to the DLQ,
the ledger read and written per batch, and a restart resuming where the batches were committed."""

from __future__ import annotations

import pytest

from shared import topics
from shared.batching import Batching
from shared.envelope import CloudEvent, new_event
from shared.events import ResidentMovedIn
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings
from shared.store import HandledEvents
from tests.support import TopicWatcher, publish, raw_producer, unique, wait_for_assignment, wait_until

pytestmark = pytest.mark.integration

TOPIC = topics.RESIDENT_MOVED_IN


def moved_in(tenant: str, user: str) -> CloudEvent:
    return new_event(type=TOPIC.name, subject=user, tenant=tenant, source="tests",
                     data=ResidentMovedIn(user_id=user, moved_in_on="2024-05-01"))


async def started(runtime: ServiceRuntime) -> ServiceRuntime:
    await runtime.start()
    await wait_for_assignment(runtime)
    return runtime


async def test_per_event_handling_in_batches_handles_each_event_once_and_dead_letters_poison():
    tenant = unique("T")
    handled: list[str] = []

    async def handler(event):
        if event.tenant == tenant:
            handled.append(event.data.user_id)

    runtime = ServiceRuntime.create("batchtest", ServiceSettings(handler_backoff_seconds=0.01))
    consumer = runtime.consume(TOPIC, handler, batch=Batching(max_records=25))
    await started(runtime)
    events = [moved_in(tenant, f"U{n:03d}") for n in range(60)]
    try:
        async with TopicWatcher(TOPIC.dlq) as dlq, raw_producer() as producer:
            await producer.send_and_wait(TOPIC.name, b"{not json", key=tenant.encode())
            for event in events:
                await publish(producer, event)
            await publish(producer, events[0])  # a redelivery of one handled, likely in a later batch
            await wait_until(lambda: _async(len(handled) >= 60), timeout=40)
            [dead] = await dlq.wait_for(lambda r: r.key == tenant.encode())
            await dlq.settle(1.5)
        assert sorted(handled) == sorted(e.data["user_id"] for e in events)
        assert dict(dead.headers)["dlq-reason"].startswith(b"(root): Invalid JSON")
        ledger = HandledEvents(runtime.db, group=consumer.group)
        assert await ledger.seen_many([e.id for e in events] + ["never-seen"]) == {e.id for e in events}
    finally:
        await runtime.stop()


async def test_a_batch_handler_resumes_after_a_restart_where_its_batches_were_committed():
    tenant = unique("T")
    batches: list[list[str]] = []

    async def handle(events):
        ours = [e.data.user_id for e in events if e.tenant == tenant]
        if ours:
            batches.append(ours)

    def build() -> ServiceRuntime:
        runtime = ServiceRuntime.create("batchtest", ServiceSettings())
        runtime.consume_batches(TOPIC, handle, batch=Batching(max_records=100), ledger=False)
        return runtime

    runtime = await started(build())
    async with raw_producer() as producer:
        for n in range(30):
            await publish(producer, moved_in(tenant, f"A{n:03d}"))
        await wait_until(lambda: _async(sum(map(len, batches)) >= 30), timeout=40)
        await runtime.stop()
        for n in range(30):
            await publish(producer, moved_in(tenant, f"B{n:03d}"))  # while the service is down
    runtime = await started(build())
    try:
        await wait_until(lambda: _async(sum(map(len, batches)) >= 60), timeout=40)
    finally:
        await runtime.stop()
    seen = [user for batch in batches for user in batch]
    assert sorted(seen) == sorted([f"A{n:03d}" for n in range(30)] + [f"B{n:03d}" for n in range(30)])
    assert len([batch for batch in batches if batch[0].startswith("B")]) < 30  # the backlog came several at a time


async def test_records_that_cannot_be_decoded_are_dead_lettered_and_the_batch_goes_on():
    tenant = unique("T")
    handled: list[str] = []

    async def handle(events):
        handled.extend(e.data.user_id for e in events if e.tenant == tenant)

    runtime = ServiceRuntime.create("batchtest", ServiceSettings(handler_backoff_seconds=0.01))
    consumer = runtime.consume_batches(TOPIC, handle, ledger=False)
    await started(runtime)
    key = tenant.encode()  # one partition: the valid events come after the hostile ones
    nested = b'{"id":"x","data":' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}"
    try:
        async with TopicWatcher(TOPIC.dlq) as dlq, raw_producer() as producer:
            await producer.send_and_wait(TOPIC.name, nested, key=key)
            await producer.send_and_wait(TOPIC.name, b"\xff\xfe not utf-8", key=key)
            for n in range(3):
                await producer.send_and_wait(TOPIC.name, moved_in(tenant, f"U{n}").to_bytes(), key=key)
            await wait_until(lambda: _async(len(handled) >= 3), timeout=40)
            dead = await dlq.wait_for(
                lambda r: r.key == key and dict(r.headers).get("dlq-consumer-group") == consumer.group.encode(), count=2)
        assert sorted(handled) == ["U0", "U1", "U2"]
        assert all(b"Invalid JSON" in dict(r.headers)["dlq-reason"] for r in dead)
    finally:
        await runtime.stop()


async def _async(value):
    return value
