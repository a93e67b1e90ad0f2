"""The consumer rules on fakes: DLQ with reason, retries, de-duplication, commit decisions."""

import pytest

from shared import topics
from shared.bus import Consumer
from shared.envelope import new_event
from shared.errors import PermanentError, TransientError
from shared.events import ResidentJoined
from shared.store import InMemoryHandledEvents
from shared.testing import FakePublisher

pytestmark = pytest.mark.unit


def consumer(handler, publisher=None, handled=None):
    return Consumer(
        topic=topics.RESIDENT_JOINED, group="g", handler=handler, publisher=publisher or FakePublisher(),
        handled=handled or InMemoryHandledEvents(), service="test", retries=2, backoff_seconds=0,
    )


def joined(user="U1"):
    return new_event(type="resident.joined", subject=user, tenant="T1", source="t", data=ResidentJoined(user_id=user))


async def test_handled_once_then_duplicate():
    calls = []

    async def handler(event):
        calls.append(event.id)
        return [joined("U2")]

    c = consumer(handler)
    raw = joined().to_bytes()
    assert await c.process(raw, headers={}) == "handled"
    assert await c.process(raw, headers={}) == "duplicate"
    assert len(calls) == 1 and len(c.publisher.events) == 1


@pytest.mark.parametrize("raw, reason", [
    (b"{oops", "Invalid JSON"),
    (b"", "empty message"),
    (joined().model_copy(update={"type": "role.granted"}).to_bytes(), "does not belong"),
    (joined().model_copy(update={"data": {}}).to_bytes(), "user_id"),
])
async def test_invalid_messages_are_dead_lettered_with_the_reason(raw, reason):
    async def handler(event):
        raise AssertionError("must not be called")

    c = consumer(handler)
    assert await c.process(raw, headers={"x": b"1"}) == "dead_lettered"
    [(topic, value, headers)] = c.publisher.raw
    assert topic == "resident.joined.dlq" and value == raw
    assert reason in headers["dlq-reason"] and headers["x"] == "1"


async def test_transient_failures_are_retried_then_succeed():
    attempts = []

    async def handler(event):
        attempts.append(1)
        if len(attempts) < 3:
            raise TransientError("timeout")
        return []

    assert await consumer(handler).process(joined().to_bytes(), headers={}) == "handled"
    assert len(attempts) == 3


async def test_persistent_transient_failure_goes_to_the_dlq_and_is_not_marked_handled():
    async def handler(event):
        raise TransientError("still down")

    handled = InMemoryHandledEvents()
    c = consumer(handler, handled=handled)
    assert await c.process(joined().to_bytes(), headers={}) == "dead_lettered"
    assert "still down" in c.publisher.raw[0][2]["dlq-reason"]
    assert not handled.ids


async def test_permanent_errors_are_not_retried():
    attempts = []

    async def handler(event):
        attempts.append(1)
        raise PermanentError("channel_not_found")

    c = consumer(handler)
    assert await c.process(joined().to_bytes(), headers={}) == "dead_lettered"
    assert attempts == [1] and c.publisher.raw[0][2]["dlq-error"] == "PermanentError"


async def test_outputs_that_cannot_be_published_are_retried_before_marking_handled():
    async def handler(event):
        return [joined("U9")]

    publisher = FakePublisher(fail_times=1)
    handled = InMemoryHandledEvents()
    c = consumer(handler, publisher=publisher, handled=handled)
    assert await c.process(joined().to_bytes(), headers={}) == "handled"
    assert len(publisher.events) == 1 and handled.ids
