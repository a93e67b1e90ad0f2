"""Publishing an import's events: pipelined sends, acknowledged batches, then the ledger.

Events are sent without waiting for each acknowledgement; a batch's futures are awaited in a
background task that then records the batch in the ledger, so the producer keeps sending
while earlier batches are acknowledged and recorded. At most `max_in_flight` batches are
outstanding. The producer is idempotent with acks=all, like every producer of the project.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from shared import metrics
from shared.envelope import CONTENT_TYPE, CloudEvent
from shared.settings import KafkaSettings
from services.importer.models import ImportFailed
from services.importer.store import ImportLedger, LedgerEntry

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
    """Takes events in order; publishes the ones the ledger does not know, records them after the acks."""

    def __init__(
        self,
        producer: AIOKafkaProducer,
        ledger: ImportLedger,
        *,
        tenant: str,
        check_ledger: bool,
        batch_size: int = 2000,
        max_in_flight: int = 8,
    ) -> None:
        self.producer = producer
        self.ledger = ledger
        self.tenant = tenant
        self.check_ledger = check_ledger
        self.batch_size = batch_size
        self.max_in_flight = max_in_flight
        self.batch: list[CloudEvent] = []
        self.finished_files: list[str] = []
        self.pending: deque[asyncio.Task] = deque()
        self.sent = 0
        self.published = 0
        self.already_imported = 0

    async def add(self, events: Iterable[CloudEvent]) -> None:
        self.batch.extend(events)
        if len(self.batch) >= self.batch_size:
            await self._dispatch()

    def file_finished(self, file_key: str) -> None:
        """Mark `file_key` done once every event added so far is acknowledged and recorded."""
        self.finished_files.append(file_key)

    def skipped_as_imported(self, count: int) -> None:
        """Events of a file an earlier import fully published: not sent again."""
        self.already_imported += count

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
        fresh = batch
        if self.check_ledger and batch:
            known = await self.ledger.known([e.id for e in batch])
            fresh = [e for e in batch if e.id not in known]
            self.already_imported += len(batch) - len(fresh)
        try:
            futures = [await self._send(event) for event in fresh]
        except KafkaError as exc:
            raise ImportFailed(f"the bus refused an event: {type(exc).__name__}: {exc}") from None
        self.sent += len(fresh)
        previous = self.pending[-1] if self.pending else None
        self.pending.append(asyncio.create_task(self._acknowledged(futures, fresh, files, previous)))
        while len(self.pending) > self.max_in_flight:
            await self._settle_oldest()

    async def _send(self, event: CloudEvent) -> asyncio.Future:
        return await self.producer.send(
            event.type, event.to_bytes(), key=event.subject.encode(),
            headers=[("content-type", _CONTENT_TYPE), ("ce_id", event.id.encode())],
        )

    async def _acknowledged(self, futures, events: list[CloudEvent], files: list[str], previous: asyncio.Task | None) -> None:
        results = await asyncio.gather(*futures, return_exceptions=True)
        failed = next((r for r in results if isinstance(r, BaseException)), None)
        if failed is not None:
            raise ImportFailed(f"the bus did not acknowledge an event: {type(failed).__name__}: {failed}")
        await self.ledger.record(self.tenant, [LedgerEntry(e.id, e.type) for e in events])
        self.published += len(events)
        for event_type in {e.type for e in events}:
            metrics.EVENTS_PUBLISHED.labels(SERVICE, event_type).inc(sum(1 for e in events if e.type == event_type))
        if previous is not None:
            await previous  # a file is done only when every earlier batch is recorded too
        await self.ledger.mark_files(self.tenant, files)

    async def _settle_oldest(self) -> None:
        task = self.pending.popleft()
        try:
            await task
        except BaseException:
            await self.abort()
            raise
