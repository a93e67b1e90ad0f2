"""Publishing an import's events: pipelined sends, acknowledged batches, then the ledger.

Events are sent without waiting for each acknowledgement; a batch's futures are awaited in a
background task that then records the files the batch completed, so the producer keeps
sending while earlier batches are acknowledged and recorded. At most `max_in_flight` batches
are outstanding. The producer is idempotent with acks=all, like every producer of the project.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from shared import metrics
from shared.envelope import CONTENT_TYPE
from shared.settings import KafkaSettings
from services.importer.models import ImportFailed
from services.importer.store import FileRecord, ImportLedger, id_digest
from services.importer.stream import Outgoing

SERVICE = "importer"
_CONTENT_TYPE = CONTENT_TYPE.encode()


def make_producer(kafka: KafkaSettings, *, linger_ms: int, max_batch_bytes: int, client_id: str = "oco-importer") -> AIOKafkaProducer:
    """An idempotent acks=all producer with the project's security settings."""
    from shared.bus import _security

    kwargs = {}
    security = _security(kafka)
    if security is not None:
        from faststream.kafka.security import parse_security

        kwargs = parse_security(security)
    return AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap, client_id=client_id, acks="all", enable_idempotence=True,
        linger_ms=linger_ms, max_batch_size=max_batch_bytes, request_timeout_ms=30000, **kwargs,
    )


class EventSink:
    """Takes events in order, publishes them in batches, records finished files after the acks."""

    def __init__(
        self,
        producer: AIOKafkaProducer,
        ledger: ImportLedger,
        *,
        tenant: str,
        known: dict[str, str] | None = None,
        batch_size: int = 2000,
        max_in_flight: int = 8,
    ) -> None:
        self.producer = producer
        self.ledger = ledger
        self.tenant = tenant
        self.known = dict(known or {})  # file key → digest of what earlier imports published
        self.batch_size = batch_size
        self.max_in_flight = max_in_flight
        self.batch: list[Outgoing] = []
        self.finished_files: list[FileRecord] = []
        self.pending: deque[asyncio.Task] = deque()
        self.published = 0
        self.already_imported = 0

    async def add(self, events: Iterable[Outgoing]) -> None:
        self.batch.extend(events)
        if len(self.batch) >= self.batch_size:
            await self._dispatch()

    async def add_file(self, key: str, digest: str, events: list[Outgoing]) -> None:
        """A file's events: none if these exact bytes were imported before, only new ones if it changed."""
        known = self.known.get(key)
        if known == digest:
            self.already_imported += len(events)
            return
        ids, fresh = frozenset(id_digest(e[0]) for e in events), events
        if known is not None:
            before = await self.ledger.ids_of(self.tenant, key)
            fresh = [e for e in events if id_digest(e[0]) not in before]
            self.already_imported += len(events) - len(fresh)
            ids |= before
        await self.add(fresh)
        self.file_finished(FileRecord(key, digest, ids, previously_recorded=known is not None))
        self.known[key] = digest

    def file_finished(self, record: FileRecord) -> None:
        """Record the file once every event added so far is acknowledged."""
        self.finished_files.append(record)

    async def close(self) -> None:
        """Publish what is left and wait until every batch is acknowledged and recorded."""
        if self.batch or self.finished_files:
            await self._dispatch()
        while self.pending:
            await self._settle_oldest()
        await self.producer.flush()

    async def abort(self) -> None:
        for task in self.pending:
            task.cancel()
        await asyncio.gather(*self.pending, return_exceptions=True)
        self.pending.clear()

    async def _dispatch(self) -> None:
        batch, files = self.batch, self.finished_files
        self.batch, self.finished_files = [], []
        try:
            futures = await self._send_all(batch)
        except KafkaError as exc:
            raise ImportFailed(f"the bus refused an event: {type(exc).__name__}: {exc}") from None
        previous = self.pending[-1] if self.pending else None
        self.pending.append(asyncio.create_task(self._acknowledged(futures, batch, files, previous)))
        while len(self.pending) > self.max_in_flight:
            await self._settle_oldest()

    async def _send_all(self, events: list[Outgoing]) -> list[asyncio.Future]:
        """Send events; those whose partition is known go as record batches, one future each.

        Filling the producer's own batch builder (C code) costs a fraction of `send()` per
        event; the batches take the same path through the accumulator, idempotence included.
        """
        futures = []
        by_partition: dict[tuple[str, int], list[Outgoing]] = {}
        for event in events:
            if event[4] is None:
                futures.append(await self._send(event))
            else:
                by_partition.setdefault((event[1], event[4]), []).append(event)
        for (topic, partition), group in by_partition.items():
            futures += await self._send_batches(topic, partition, group)
        return futures

    async def _send_batches(self, topic: str, partition: int, events: list[Outgoing]) -> list[asyncio.Future]:
        futures = []
        builder = self.producer.create_batch()
        for event_id, _, key, value, _ in events:
            headers = [("content-type", _CONTENT_TYPE), ("ce_id", event_id.encode())]
            if builder.append(timestamp=None, key=key, value=value, headers=headers) is None:  # full
                futures.append(await self.producer.send_batch(builder, topic, partition=partition))
                builder = self.producer.create_batch()
                builder.append(timestamp=None, key=key, value=value, headers=headers)  # a new batch takes any first record
        futures.append(await self.producer.send_batch(builder, topic, partition=partition))
        return futures

    async def _send(self, event: Outgoing) -> asyncio.Future:
        event_id, topic, key, value, partition = event  # a plain tuple when it came from the worker
        return await self.producer.send(
            topic, value, key=key, partition=partition,
            headers=[("content-type", _CONTENT_TYPE), ("ce_id", event_id.encode())],
        )

    async def _acknowledged(self, futures, events: list[Outgoing], files: list[FileRecord], previous: asyncio.Task | None) -> None:
        results = await asyncio.gather(*futures, return_exceptions=True)
        failed = next((r for r in results if isinstance(r, BaseException)), None)
        if failed is not None:
            raise ImportFailed(f"the bus did not acknowledge an event: {type(failed).__name__}: {failed}")
        self.published += len(events)
        for event_type, count in Counter(e[1] for e in events).items():
            metrics.EVENTS_PUBLISHED.labels(SERVICE, event_type).inc(count)
        if previous is not None:
            await previous  # a file's events may be in earlier batches: those must be acknowledged too
        await self.ledger.record(self.tenant, files)

    async def _settle_oldest(self) -> None:
        task = self.pending.popleft()
        try:
            await task
        except BaseException:
            await self.abort()
            raise
