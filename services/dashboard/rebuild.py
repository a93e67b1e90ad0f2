"""Rebuild the read model from the topics, which keep every event (retention.ms=-1).

Drops the read model (or one tenant's part of it) and replays each consumed topic from its
beginning up to the high-water marks taken after the drop, with a plain consumer that joins
no group. A dashboard running meanwhile keeps consuming: whatever it writes after the drop
is either replayed here too or newer than the marks, and natural keys collapse the overlap.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.admin import kafka_client_kwargs
from shared.envelope import CloudEvent, InvalidEvent, TypedEvent
from shared.store import connect
from shared.topics import CATALOGUE, Topic
from services.dashboard import handlers
from services.dashboard.config import DashboardSettings
from services.dashboard.store import MongoReadModel, ReadModel

log = logging.getLogger(__name__)

_BATCH = 500


@dataclass
class RebuildReport:
    records: int = 0
    applied: int = 0
    other_tenants: int = 0
    invalid: int = 0
    dead_letters: int = 0
    seconds: float = 0.0


async def rebuild(settings: DashboardSettings, *, tenant: str | None = None) -> RebuildReport:
    """Drop the read model (all of it, or one tenant's rows) and replay the topics into it."""
    started = time.monotonic()
    mongo = connect(settings.mongo_url.get_secret_value())
    try:
        store = MongoReadModel(mongo[f"{settings.database_prefix}oco_dashboard"])  # the runtime's database
        await store.setup()
        await store.drop(tenant)
        # Dead letters belong to no tenant: a tenant's rebuild leaves them alone.
        dead_letter_topics = [t.dlq for t in CATALOGUE.values()] if tenant is None else []
        replay = Replay(store, tenant=tenant)
        await replay.read(settings, [t.name for t in replay.routes] + dead_letter_topics)
    finally:
        await mongo.close()
    replay.report.seconds = round(time.monotonic() - started, 2)
    return replay.report


async def _partitions(consumer: AIOKafkaConsumer, names: list[str]) -> list[TopicPartition]:
    """Every partition of the topics that exist (a topic nobody created yet has nothing to replay)."""
    await consumer._client.force_metadata_update()  # no public call refreshes the partition map
    return [TopicPartition(n, p) for n in names for p in sorted(consumer.partitions_for_topic(n) or ())]


class Replay:
    """Feeds records to the same handlers the live consumers use."""

    def __init__(self, store: ReadModel, *, tenant: str | None) -> None:
        self.store = store
        self.tenant = tenant
        self.routes = handlers.routes(store)
        self.by_name: dict[str, Topic] = {t.name: t for t in self.routes}
        self.report = RebuildReport()

    async def read(self, settings: DashboardSettings, names: list[str]) -> None:
        """Read every partition of `names` from the beginning to the marks taken now."""
        consumer = AIOKafkaConsumer(enable_auto_commit=False, **kafka_client_kwargs(settings.kafka))
        await consumer.start()
        try:
            partitions = await _partitions(consumer, names)
            if not partitions:
                return
            ends = await consumer.end_offsets(partitions)
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            await self._drain(consumer, ends)
        finally:
            await consumer.stop()

    async def _drain(self, consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> None:
        remaining = {tp for tp, end in ends.items() if end > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000, max_records=_BATCH)
            records = [r for tp, rs in batch.items() for r in rs if r.offset < ends[tp] and self.wanted(r)]
            # Every write is an insert under a natural key, so order within a batch does not matter.
            await asyncio.gather(*(self.apply(r) for r in records))
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)

    def wanted(self, record) -> bool:
        """A cheap first look: when rebuilding one tenant, skip records that cannot be theirs."""
        self.report.records += 1
        if self.tenant is None or record.topic not in self.by_name or self.tenant.encode() in (record.value or b""):
            return True
        self.report.other_tenants += 1
        return False

    async def apply(self, record) -> None:
        """One record into the read model; invalid ones were dead-lettered live and are skipped."""
        if record.topic not in self.by_name:
            dead = handlers.dead_letter_of(
                topic=record.topic, partition=record.partition, offset=record.offset,
                headers=record.headers, value=record.value, timestamp_ms=record.timestamp,
            )
            await handlers.when_message_dead_lettered_record(dead, store=self.store)
            self.report.dead_letters += 1
            return
        topic = self.by_name[record.topic]
        try:
            envelope = CloudEvent.from_bytes(record.value or b"")
            typed = TypedEvent(envelope, envelope.payload(topic.model))
        except InvalidEvent:
            self.report.invalid += 1
            return
        if envelope.type != topic.name:
            self.report.invalid += 1
            return
        if self.tenant is not None and envelope.tenant != self.tenant:
            self.report.other_tenants += 1
            return
        await self.routes[topic](typed)
        self.report.applied += 1
