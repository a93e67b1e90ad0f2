"""Opt-in batch consumption, for consumers that must keep up with a city's history.

The one-at-a-time `Consumer` pays a commit and (with the ledger) two store round trips per
message; on the local store every lookup but one by a single `_id` scans its collection
(`$in` included). A `BatchConsumer` keeps the
same rules but pays them per batch:

- records are fetched up to `Batching.max_records` at a time and the offsets are committed
  once, after every record of the batch was handled, skipped as a duplicate or dead-lettered;
  a batch that fails as a whole (the bus is down) is redelivered from its first record;
- each invalid record goes to the DLQ alone, with the reason, as before;
- the ledger is read once (`seen_many`) and written once (`mark_many`) per batch;
- with a per-event handler, events are handled one after another in partition order, each
  with the retry policy, exactly as one at a time; keep `max_records` × the slowest handling
  under Kafka's poll interval (5 minutes);
- with a batch handler, the batch is handled in one call, with the retry policy. If it still
  fails because of the store or the bus (a transient error), the batch is redelivered after a
  pause; if it fails because of an event (a permanent error, a bug), the events are handled
  one by one, so only those that fail alone reach the DLQ. A batch handler must therefore be
  idempotent and indifferent to the order within its batch.

`NoLedger` is for consumers whose handlers collapse a redelivery themselves (every write
under a natural key, or a re-run the handler recognises): it skips the ledger altogether.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiokafka import TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from shared import metrics
from shared.bus import RETRYABLE, Consumer, _describe, raw_body
from shared.envelope import CloudEvent, InvalidEvent, TypedEvent
from shared.logging import event_context

BatchHandler = Callable[[Sequence[TypedEvent]], Awaitable[Sequence[CloudEvent] | None]]
# Failures of what a batch handler depends on, not of its events. (A store error that is not
# about the connection, such as a document too large, may be one event's: those are split.)
ENVIRONMENTAL = RETRYABLE


@dataclass(frozen=True)
class Batching:
    """How a consumer takes its records: up to `max_records` at once, waiting at most
    `timeout_ms` for the first of them."""

    max_records: int = 500
    timeout_ms: int = 100


class NoLedger:
    """Stands in for the handled-event ledger of a consumer whose handler is idempotent by
    itself: a redelivered event is handled again and collapses in the handler's own writes."""

    async def seen(self, event_id: str) -> bool:
        return False

    async def mark(self, event_id: str, topic: str) -> None:
        return None

    async def seen_many(self, event_ids: Sequence[str]) -> set[str]:
        return set()

    async def mark_many(self, event_ids: Sequence[str], topic: str) -> None:
        return None


class BatchConsumer(Consumer):
    """A `Consumer` that takes its topic's records in batches (see the module's rules)."""

    def __init__(self, *, batching: Batching, batch_handler: BatchHandler | None = None, **kwargs) -> None:
        kwargs.setdefault("handler", None)
        super().__init__(**kwargs)
        if (self.handler is None) == (batch_handler is None):
            raise ValueError("a batch consumer needs either a per-event handler or a batch handler")
        self.batching = batching
        self.batch_handler = batch_handler

    def attach(self, broker: KafkaBroker) -> None:
        """Register a batch subscriber; the offsets are committed after `on_batch` returns."""

        @broker.subscriber(
            self.topic.name,
            group_id=self.group,
            auto_offset_reset=self.offset_reset,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            batch=True,
            max_records=self.batching.max_records,
            batch_timeout_ms=self.batching.timeout_ms,
            decoder=raw_body,
            title=f"{self.group}:{self.topic.name}",
        )
        async def on_batch(message: KafkaMessage) -> None:
            await self.on_batch(message)

    async def on_batch(self, message: KafkaMessage) -> None:
        started = time.perf_counter()
        records = message.raw_message if isinstance(message.raw_message, tuple) else (message.raw_message,)
        try:
            outcomes = await self.process_batch(records)
        except Exception:
            # Could not even dead-letter (the bus or the store is down): leave the offsets
            # uncommitted so the batch is redelivered, after a pause so we don't spin.
            metrics.EVENTS_CONSUMED.labels(self.service, self.topic.name, "redelivered").inc(len(records))
            await asyncio.sleep(1.0)
            raise
        finally:
            share = (time.perf_counter() - started) / max(1, len(records))
            for _ in records:  # the histogram is per message: each gets its share of the batch
                metrics.HANDLER_SECONDS.labels(self.service, self.topic.name).observe(share)
            self._record_batch_lag(message, records)
        for outcome, count in Counter(outcomes).items():
            metrics.EVENTS_CONSUMED.labels(self.service, self.topic.name, outcome).inc(count)

    async def process_batch(self, records: Sequence) -> list[str]:
        """Handle a batch of records; the outcome of each (handled, duplicate, dead_lettered)."""
        outcomes: list[str] = []
        parsed: list[tuple[object, TypedEvent]] = []
        for record in records:
            try:
                parsed.append((record, self.parse(record.value)))
            except InvalidEvent as exc:
                await self._dead_letter_record(record, reason=str(exc), error="InvalidEvent")
                outcomes.append("dead_lettered")
        seen = await _seen_many(self.handled, [typed.id for _, typed in parsed])
        fresh: list[tuple[object, TypedEvent]] = []
        for record, typed in parsed:
            if typed.id in seen:  # handled before, or an earlier copy in this very batch
                outcomes.append("duplicate")
            else:
                seen.add(typed.id)
                fresh.append((record, typed))
        handled: list[str] = []
        try:
            if self.batch_handler is not None:
                outcomes += await self._handle_together(fresh, handled)
            else:
                outcomes += await self._handle_each(fresh, handled)
        finally:
            # Also when the batch fails half-way: what was handled is not handled again.
            await _mark_many(self.handled, handled, self.topic.name)
        return outcomes

    async def _handle_each(self, fresh: list[tuple[object, TypedEvent]], handled: list[str]) -> list[str]:
        outcomes = []
        for record, typed in fresh:
            token = event_context.set({"event_id": typed.id, "tenant": typed.tenant, "topic": self.topic.name})
            try:
                error = await self._run_with_retries(typed)
                if error is not None:
                    await self._dead_letter_record(record, reason=_describe(error), error=type(error).__name__)
                    outcomes.append("dead_lettered")
                else:
                    handled.append(typed.id)
                    outcomes.append("handled")
            finally:
                event_context.reset(token)
        return outcomes

    async def _handle_together(self, fresh: list[tuple[object, TypedEvent]], handled: list[str]) -> list[str]:
        if not fresh:
            return []
        events = [typed for _, typed in fresh]
        token = event_context.set({"topic": self.topic.name, "batch": len(events), "tenant": events[0].tenant})
        try:
            error = await self._retrying(lambda: self.batch_handler(events))
        finally:
            event_context.reset(token)
        if error is None:
            handled += [typed.id for typed in events]
            return ["handled"] * len(events)
        if isinstance(error, ENVIRONMENTAL):
            # The store or the bus, not an event: splitting would only repeat the wait per event
            # (and outlast Kafka's poll interval). The batch is redelivered after a pause.
            raise error
        if len(fresh) == 1:
            record, _ = fresh[0]
            await self._dead_letter_record(record, reason=_describe(error), error=type(error).__name__)
            return ["dead_lettered"]
        # One event can spoil a batch: handle them one by one, so only the culprits are dead-lettered.
        outcomes = []
        for one in fresh:
            outcomes += await self._handle_together([one], handled)
        return outcomes

    async def _dead_letter_record(self, record, *, reason: str, error: str) -> None:
        headers = {key: value for key, value in (record.headers or ())}
        await self.dead_letter(record.value, headers, record, reason=reason, error=error)

    def _record_batch_lag(self, message: KafkaMessage, records: Sequence) -> None:
        consumer = getattr(message, "consumer", None)
        last: dict[TopicPartition, int] = {}
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            last[tp] = max(last.get(tp, -1), record.offset)
        for tp, offset in last.items():
            try:
                highwater = consumer.highwater(tp)
            except Exception:  # the fake consumer of tests has no high-water marks
                return
            if highwater is not None:
                metrics.CONSUMER_LAG.labels(self.service, self.group, tp.topic, str(tp.partition)).set(
                    max(0, highwater - offset - 1)
                )


async def _seen_many(ledger, event_ids: list[str]) -> set[str]:
    if not event_ids:
        return set()
    if hasattr(ledger, "seen_many"):
        return set(await ledger.seen_many(event_ids))
    return {event_id for event_id in event_ids if await ledger.seen(event_id)}


async def _mark_many(ledger, event_ids: list[str], topic: str) -> None:
    if not event_ids:
        return
    if hasattr(ledger, "mark_many"):
        await ledger.mark_many(event_ids, topic)
        return
    for event_id in event_ids:
        await ledger.mark(event_id, topic)

