"""Test helpers shared by the integration and end-to-end layers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.envelope import CONTENT_TYPE, CloudEvent
from shared.settings import KafkaSettings


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10].upper()}"


class TopicWatcher:
    """Reads a topic from its current end, so a test sees only what happens after it starts."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.records: list = []
        self._consumer: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> TopicWatcher:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=KafkaSettings().bootstrap, enable_auto_commit=False)
        await self._consumer.start()
        parts = await self._wait_for_partitions()
        self._consumer.assign(parts)
        await self._consumer.seek_to_end(*parts)
        for tp in parts:  # resolve positions now, before anything is published
            await self._consumer.position(tp)
        return self

    async def _wait_for_partitions(self) -> list[TopicPartition]:
        for _ in range(50):
            parts = self._consumer.partitions_for_topic(self.topic)
            if parts:
                return [TopicPartition(self.topic, p) for p in sorted(parts)]
            await self._consumer._client.force_metadata_update()
            await asyncio.sleep(0.1)
        raise AssertionError(f"topic {self.topic} does not exist")

    async def __aexit__(self, *exc) -> None:
        await self._consumer.stop()

    async def wait_for(self, predicate: Callable, *, timeout: float = 20.0, count: int = 1) -> list:
        """Records matching `predicate` (called with the record), at least `count` of them."""
        deadline = time.monotonic() + timeout
        while True:
            matched = [r for r in self.records if predicate(r)]
            if len(matched) >= count:
                return matched
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{self.topic}: wanted {count} matching record(s), saw {len(matched)} of {len(self.records)}")
            batch = await self._consumer.getmany(timeout_ms=int(min(remaining, 0.5) * 1000))
            for records in batch.values():
                self.records.extend(records)

    async def events_for(self, tenant: str, *, timeout: float = 20.0, count: int = 1) -> list[CloudEvent]:
        def of_tenant(record) -> bool:
            try:
                return json.loads(record.value).get("tenant") == tenant
            except ValueError:
                return False

        return [CloudEvent.from_bytes(r.value) for r in await self.wait_for(of_tenant, timeout=timeout, count=count)]

    async def settle(self, seconds: float = 1.0) -> None:
        """Read whatever arrives within `seconds`, to prove that nothing more comes."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            batch = await self._consumer.getmany(timeout_ms=int(left * 1000))
            for records in batch.values():
                self.records.extend(records)


@contextlib.asynccontextmanager
async def raw_producer():
    producer = AIOKafkaProducer(bootstrap_servers=KafkaSettings().bootstrap, acks="all")
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


async def publish(producer: AIOKafkaProducer, event: CloudEvent) -> None:
    await producer.send_and_wait(event.type, event.to_bytes(), key=event.subject.encode(),
                                 headers=[("content-type", CONTENT_TYPE.encode())])


async def wait_until(check, *, timeout: float = 20.0, interval: float = 0.1):
    """Poll an async `check` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


def kafka_consumers(subscriber) -> list:
    """The aiokafka consumers behind a FastStream subscriber: one, or one per worker of a
    subscriber with `workers` > 1 (FastStream keeps those in `consumer_subgroup`)."""
    return list(getattr(subscriber, "consumer_subgroup", None) or [getattr(subscriber, "consumer", None)])


async def wait_for_assignment(runtime, timeout: float = 30.0) -> None:
    """Block until every consumer of a started runtime has partitions assigned."""

    async def assigned() -> bool:
        for sub in runtime.broker.subscribers:
            for consumer in kafka_consumers(sub):
                if consumer is None or not consumer.assignment():
                    return False
        return True

    await wait_until(assigned, timeout=timeout, interval=0.2)
    # Tests start new groups at "latest"; pin that starting point now, so a partition that
    # gets no message before a restart does not jump past what was published meanwhile.
    for sub in runtime.broker.subscribers:
        for consumer in kafka_consumers(sub):
            positions = {tp: await consumer.position(tp) for tp in consumer.assignment()}
            await consumer.commit(positions)
