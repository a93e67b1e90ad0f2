"""Hostile records on the bus, one consumer at a time on fakes: each lands somewhere
(handled, or on the DLQ with a reason) and never blocks the partition."""

from __future__ import annotations

import pytest
from aiokafka.errors import MessageSizeTooLargeError

from services.dashboard import handlers as dashboard
from shared import topics
from shared.bus import Consumer
from shared.store import InMemoryHandledEvents
from shared.testing import FakePublisher

pytestmark = pytest.mark.unit

DEEP = b'{"a":' * 100_000 + b"1" + b"}" * 100_000


@pytest.mark.parametrize("value", [DEEP, b"\xff\xfe\x00", b"[1]", None, b'{"tenant": {"$ne": null}, "id": 5}'])
def test_the_dashboard_reads_any_dead_letter_without_failing(value):
    # A failure here is redelivered forever: the DLQ reader would stop on that partition.
    dead = dashboard.dead_letter_of(topic="resident.joined.dlq", partition=0, offset=1, value=value,
                                    headers=[("dlq-reason", b"(root): Invalid JSON")], timestamp_ms=0)
    assert (dead.tenant, dead.event_id) == (None, None)
    assert dead.reason == "(root): Invalid JSON"


class SizeLimitedPublisher(FakePublisher):
    """Refuses records over `limit` bytes, as the Kafka producer does."""

    limit: int = 1_048_576

    async def publish_raw(self, value: bytes, *, topic: str, key, headers: dict) -> None:
        size = len(value) + sum(len(k) + len(v) for k, v in headers.items())
        if size > self.limit:
            raise MessageSizeTooLargeError(f"The message is {size} bytes")
        await super().publish_raw(value, topic=topic, key=key, headers=headers)


async def test_a_record_too_large_to_copy_to_the_dlq_is_dead_lettered_truncated_not_redelivered_forever():
    async def handler(event):
        raise AssertionError("must not be called")

    consumer = Consumer(topic=topics.RESIDENT_JOINED, group="g", handler=handler, publisher=SizeLimitedPublisher(),
                        handled=InMemoryHandledEvents(), service="test", retries=0, backoff_seconds=0)
    value = b"x" * 1_048_000  # fits on the topic, not with the reason added
    assert await consumer.process(value, headers={"big": b"y" * 500}) == "dead_lettered"
    [(topic, kept, headers)] = consumer.publisher.raw
    assert topic == "resident.joined.dlq" and value.startswith(kept) and len(kept) < len(value)
    assert headers["dlq-value-truncated-from"] == str(len(value))
    assert "Invalid JSON" in headers["dlq-reason"] and "big" not in headers
