"""A consumer with several workers on the real broker: each worker holds its own partitions,
events of one subject stay in order, each event is handled once, and a restart resumes
from what each worker committed."""

from __future__ import annotations

import asyncio

import pytest

from shared import topics
from shared.envelope import CloudEvent, new_event
from shared.events import ResidentMovedIn
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings
from tests.support import TopicWatcher, kafka_consumers, publish, raw_producer, unique, wait_for_assignment, wait_until

pytestmark = pytest.mark.integration

TOPIC = topics.RESIDENT_MOVED_IN


def moved_in(tenant: str, user: str, day: int) -> CloudEvent:
    return new_event(type=TOPIC.name, subject=user, tenant=tenant, source="tests",
                     data=ResidentMovedIn(user_id=user, moved_in_on=f"2024-05-{day:02d}"))


class Recorder:
    """What the handler saw of one tenant, and how many ran at once."""

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.seen: list[tuple[str, str]] = []
        self.running = self.most_at_once = 0

    async def __call__(self, event) -> None:
        if event.tenant != self.tenant:
            return
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            await asyncio.sleep(0.02)  # a Slack call's worth of waiting
            self.seen.append((event.data.user_id, event.data.moved_in_on.date().isoformat()))
        finally:
            self.running -= 1

    def days_of(self, user: str) -> list[str]:
        return [day for who, day in self.seen if who == user]


def runtime_with(recorder: Recorder, workers: int) -> ServiceRuntime:
    runtime = ServiceRuntime.create("workerstest", ServiceSettings(handler_backoff_seconds=0.01))
    runtime.consume(TOPIC, recorder, workers=workers)
    return runtime


async def test_workers_share_the_partitions_keep_each_subject_in_order_and_handle_each_event_once():
    tenant = unique("T")
    recorder = Recorder(tenant)
    runtime = runtime_with(recorder, workers=3)
    await runtime.start()
    try:
        await wait_for_assignment(runtime)
        [subscriber] = runtime.broker.subscribers
        workers = kafka_consumers(subscriber)
        assigned = [{tp.partition for tp in c.assignment()} for c in workers]
        assert len(workers) == 3 and all(assigned)
        assert set().union(*assigned) == set(range(TOPIC.partitions)) and sum(map(len, assigned)) == TOPIC.partitions
        users = [f"U{n:02d}" for n in range(24)]
        events = [moved_in(tenant, user, day) for day in range(1, 6) for user in users]
        async with TopicWatcher(TOPIC.dlq) as dlq, raw_producer() as producer:
            await producer.send_and_wait(TOPIC.name, b"{not json", key=tenant.encode())
            for event in events:
                await publish(producer, event)
            await publish(producer, events[3])  # a redelivery
            await wait_until(lambda: _async(len(recorder.seen) >= len(events)), timeout=60)
            [dead] = await dlq.wait_for(lambda r: r.key == tenant.encode())
            await dlq.settle(1.5)
        assert len(recorder.seen) == len(events)
        in_order = [f"2024-05-{d:02d}" for d in range(1, 6)]
        assert {u: recorder.days_of(u) for u in users if recorder.days_of(u) != in_order} == {}
        assert recorder.most_at_once > 1  # partitions were handled side by side
        assert dict(dead.headers)["dlq-reason"].startswith(b"(root): Invalid JSON")
    finally:
        await runtime.stop()


async def test_a_restarted_consumer_with_workers_resumes_where_each_worker_committed():
    tenant = unique("T")
    recorder = Recorder(tenant)
    runtime = runtime_with(recorder, workers=2)
    await runtime.start()
    await wait_for_assignment(runtime)
    users = [f"U{n:02d}" for n in range(12)]
    async with raw_producer() as producer:
        for user in users:
            await publish(producer, moved_in(tenant, user, 1))
        await wait_until(lambda: _async(len(recorder.seen) >= 12), timeout=40)
        await runtime.stop()
        for user in users:  # published while nobody consumes
            await publish(producer, moved_in(tenant, user, 2))
        runtime = runtime_with(recorder, workers=2)
        await runtime.start()
        try:
            await wait_until(lambda: _async(len(recorder.seen) >= 24), timeout=60)
            await asyncio.sleep(1.5)
        finally:
            await runtime.stop()
    assert sorted(recorder.seen) == sorted((u, f"2024-05-{d:02d}") for u in users for d in (1, 2))


def test_workers_must_be_a_positive_count_and_batch_consumers_take_one():
    runtime = ServiceRuntime.create("workerstest", ServiceSettings())
    with pytest.raises(ValueError, match="at least 1"):
        runtime.consume(TOPIC, Recorder("T"), workers=0)
    from shared.batching import Batching

    with pytest.raises(ValueError, match="workers must be 1"):
        runtime.consume(TOPIC, Recorder("T"), workers=2, batch=Batching())


async def _async(value):
    return value
