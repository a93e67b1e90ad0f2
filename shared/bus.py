"""The project's Kafka conventions on top of FastStream.

- Producers are idempotent with acks=all; the envelope is the value, the subject the key.
- Subscribers commit only after a message was handled (FastStream's Kafka default commits
  *before*): handled, skipped as a duplicate, or safely dead-lettered.
- Invalid messages go to `<topic>.dlq` with the reason in headers; transient failures retry
  with back-off and then go there too, so a partition is never blocked forever.
- Handled event ids are recorded per consumer group, so a redelivery is handled once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError, MessageSizeTooLargeError, RecordTooLargeError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.security import SASLPlaintext, SASLScram256, SASLScram512, BaseSecurity
from pymongo.errors import ConnectionFailure, OperationFailure

from shared import metrics
from shared.envelope import CONTENT_TYPE, CloudEvent, InvalidEvent, TypedEvent
from shared.errors import PermanentError, TransientError
from shared.logging import event_context
from shared.settings import KafkaSettings
from shared.topics import Topic

log = logging.getLogger(__name__)

Handler = Callable[[TypedEvent], Awaitable[Sequence[CloudEvent] | None]]

RETRYABLE = (TransientError, ConnectionFailure, KafkaError, asyncio.TimeoutError, OSError)
# What a dead letter keeps of a value too large to be copied whole to the DLQ.
MAX_DEAD_VALUE_BYTES = 64 * 1024


async def raw_body(message) -> bytes:
    """FastStream's decoder for our subscribers: the record's bytes, untouched.

    By default FastStream json-decodes a value before the handler runs, even a handler that
    takes no body; a value it cannot decode (JSON nested past the recursion limit) then fails
    outside our handler, is never dead-lettered and is redelivered forever, blocking its
    partition. Parsing is ours (`Consumer.parse`), where every failure reaches the DLQ."""
    return message.body


def make_broker(kafka: KafkaSettings, *, service: str) -> KafkaBroker:
    """A broker whose producer is idempotent and waits for all in-sync replicas."""
    return KafkaBroker(
        kafka.bootstrap,
        client_id=f"oco-{service}",
        acks="all",
        enable_idempotence=True,
        linger_ms=2,
        security=_security(kafka),
        logger=logging.getLogger(f"oco.{service}.broker"),
        log_level=logging.DEBUG,
        graceful_timeout=20.0,
    )


def _security(kafka: KafkaSettings) -> BaseSecurity | None:
    if kafka.security_protocol == "PLAINTEXT":
        return None
    ssl_context = None
    if kafka.security_protocol.endswith("SSL"):
        import ssl

        ssl_context = ssl.create_default_context(cafile=kafka.ssl_cafile)
    if kafka.security_protocol == "SSL":
        return BaseSecurity(ssl_context=ssl_context)
    password = kafka.sasl_password.get_secret_value() if kafka.sasl_password else ""
    cls = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}[kafka.sasl_mechanism]
    return cls(kafka.sasl_username or "", password, ssl_context=ssl_context)


class Publisher:
    """Publishes envelopes to the topic named by their type, keyed by subject."""

    def __init__(self, broker: KafkaBroker, *, service: str) -> None:
        self.broker = broker
        self.service = service

    async def publish(self, event: CloudEvent) -> None:
        await self.broker.publish(
            event.to_bytes(),
            topic=event.type,
            key=event.subject.encode(),
            headers={"content-type": CONTENT_TYPE, "ce_id": event.id},
        )
        metrics.EVENTS_PUBLISHED.labels(self.service, event.type).inc()

    async def publish_raw(self, value: bytes, *, topic: str, key: bytes | None, headers: dict[str, str]) -> None:
        """Publish bytes as they are (dead letters keep the original value untouched)."""
        await self.broker.publish(value, topic=topic, key=key, headers=headers)

    async def publish_all(self, events: Sequence[CloudEvent]) -> None:
        for event in events:
            await self.publish(event)


class Consumer:
    """Turns one topic's messages into calls of a plain handler, with the rules above."""

    def __init__(
        self,
        *,
        topic: Topic,
        group: str,
        handler: Handler,
        publisher: Publisher,
        handled,  # HandledEvents or its in-memory fake
        service: str,
        retries: int = 4,
        backoff_seconds: float = 0.2,
        offset_reset: str = "earliest",
        workers: int = 1,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self.topic = topic
        self.group = group
        self.handler = handler
        self.publisher = publisher
        self.handled = handled
        self.service = service
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.offset_reset = offset_reset
        self.workers = workers

    def attach(self, broker: KafkaBroker) -> None:
        """Register the subscriber; offsets are committed after `on_message` returns.

        With `workers` > 1 the group has that many Kafka consumers in this process, each
        handling its own partitions one message at a time (FastStream's concurrency
        between partitions): one entity's events, keyed to one partition, stay in order and
        each consumer commits only what it handled, while a slow call (Slack) holds up
        only its own partitions."""
        @broker.subscriber(
            self.topic.name,
            group_id=self.group,
            auto_offset_reset=self.offset_reset,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            decoder=raw_body,
            title=f"{self.group}:{self.topic.name}",
            max_workers=self.workers,
        )
        async def on_message(message: KafkaMessage) -> None:
            await self.on_message(message)

    async def on_message(self, message: KafkaMessage) -> None:
        started = time.perf_counter()
        raw = message.raw_message
        try:
            outcome = await self.process(raw.value, headers=dict(message.headers or {}), record=raw)
        except Exception:
            # Could not even dead-letter (the bus is down): leave the offset uncommitted so
            # the message is redelivered, after a pause so we don't spin.
            metrics.EVENTS_CONSUMED.labels(self.service, self.topic.name, "redelivered").inc()
            await asyncio.sleep(1.0)
            raise
        finally:
            metrics.HANDLER_SECONDS.labels(self.service, self.topic.name).observe(time.perf_counter() - started)
            self._record_lag(message)
        metrics.EVENTS_CONSUMED.labels(self.service, self.topic.name, outcome).inc()

    async def process(self, value: bytes | None, *, headers: dict, record=None) -> str:
        """Handle one message's bytes; returns the outcome (handled, duplicate, dead_lettered)."""
        try:
            typed = self.parse(value)
        except InvalidEvent as exc:
            await self.dead_letter(value, headers, record, reason=str(exc), error="InvalidEvent")
            return "dead_lettered"

        token = event_context.set({"event_id": typed.id, "tenant": typed.tenant, "topic": self.topic.name})
        try:
            if await self.handled.seen(typed.id):
                return "duplicate"
            error = await self._run_with_retries(typed)
            if error is not None:
                await self.dead_letter(value, headers, record, reason=_describe(error), error=type(error).__name__)
                return "dead_lettered"
            await self.handled.mark(typed.id, self.topic.name)
            return "handled"
        finally:
            event_context.reset(token)

    def parse(self, value: bytes | None) -> TypedEvent:
        if not value:
            raise InvalidEvent("empty message")
        envelope = CloudEvent.from_bytes(value)
        if envelope.type != self.topic.name:
            raise InvalidEvent(f"event type {envelope.type!r} does not belong on topic {self.topic.name!r}")
        return TypedEvent(envelope, envelope.payload(self.topic.model))

    async def _run_with_retries(self, typed: TypedEvent) -> Exception | None:
        """Run the handler and publish what it returns; the final error if it never succeeds."""
        return await self._retrying(lambda: self.handler(typed))

    async def _retrying(self, run_once: Callable[[], Awaitable[Sequence[CloudEvent] | None]]) -> Exception | None:
        """`run_once` and publish what it returns, with the retry policy; the final error, or None."""
        for attempt in range(self.retries + 1):
            try:
                emitted = await run_once() or ()
                await self.publisher.publish_all(emitted)
                return None
            except (PermanentError, InvalidEvent) as exc:
                metrics.HANDLER_ERRORS.labels(self.service, self.topic.name, type(exc).__name__).inc()
                return exc
            except OperationFailure as exc:  # a store error that is not about the connection
                metrics.HANDLER_ERRORS.labels(self.service, self.topic.name, type(exc).__name__).inc()
                if attempt == self.retries:
                    return exc
            except RETRYABLE as exc:
                metrics.HANDLER_ERRORS.labels(self.service, self.topic.name, type(exc).__name__).inc()
                log.warning("transient failure, attempt %d: %s", attempt + 1, _describe(exc))
                if attempt == self.retries:
                    return exc
            except Exception as exc:  # a bug: retry a little in case it is load-related, then DLQ
                metrics.HANDLER_ERRORS.labels(self.service, self.topic.name, type(exc).__name__).inc()
                log.exception("handler failed, attempt %d", attempt + 1)
                if attempt == self.retries:
                    return exc
            await asyncio.sleep(self.backoff_seconds * 2**attempt)
        return None

    async def dead_letter(self, value, headers: dict, record, *, reason: str, error: str) -> None:
        dlq_headers = {k: _header_text(v) for k, v in headers.items()}
        dlq_headers.update(
            {
                "dlq-reason": reason[:2000],
                "dlq-error": error,
                "dlq-original-topic": self.topic.name,
                "dlq-consumer-group": self.group,
                "dlq-failed-at": datetime.now(UTC).isoformat(),
            }
        )
        if record is not None:
            dlq_headers["dlq-original-partition"] = str(record.partition)
            dlq_headers["dlq-original-offset"] = str(record.offset)
        key = record.key if record is not None else None
        try:
            await self.publisher.publish_raw(value or b"", topic=self.topic.dlq, key=key, headers=dlq_headers)
        except (MessageSizeTooLargeError, RecordTooLargeError):
            # A record near Kafka's size limit no longer fits once the reason is added; it
            # would be redelivered forever and block its partition. Keep the reason, the
            # origin (partition, offset) and the start of the value instead.
            kept = {k: v for k, v in dlq_headers.items() if k.startswith("dlq-")}
            kept["dlq-value-truncated-from"] = str(len(value or b""))
            await self.publisher.publish_raw((value or b"")[:MAX_DEAD_VALUE_BYTES], topic=self.topic.dlq, key=key, headers=kept)
        metrics.DEAD_LETTERS.labels(self.service, self.topic.name).inc()
        log.warning("dead-lettered a message from %s: %s", self.topic.name, reason)

    def _record_lag(self, message: KafkaMessage) -> None:
        raw = message.raw_message
        consumer = getattr(message, "consumer", None)
        try:
            tp = TopicPartition(raw.topic, raw.partition)
            highwater = consumer.highwater(tp)
        except Exception:  # the fake consumer of tests has no high-water marks
            return
        if highwater is not None:
            metrics.CONSUMER_LAG.labels(self.service, self.group, raw.topic, str(raw.partition)).set(
                max(0, highwater - raw.offset - 1)
            )


def _header_text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _describe(exc: BaseException) -> str:
    from shared.logging import redact

    return redact(f"{type(exc).__name__}: {exc}")[:2000]
