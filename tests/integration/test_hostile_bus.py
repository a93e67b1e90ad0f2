"""Hostile records on the real broker: each is dead-lettered with its reason (or handled),
and the consumer goes on to the next record of the partition."""

from __future__ import annotations

import pytest

from shared import topics
from services.onboarding.config import OnboardingSettings
from services.onboarding.main import build
from tests.integration.test_walking_skeleton import joined
from tests.support import TopicWatcher, publish, raw_producer, unique, wait_for_assignment, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
async def onboarding():
    runtime = build(OnboardingSettings(handler_backoff_seconds=0.01))
    await runtime.start()
    await wait_for_assignment(runtime)
    yield runtime
    await runtime.stop()


async def test_records_that_cannot_be_handled_never_block_the_partition(onboarding):
    tenant, user = unique("T"), unique("U")
    key = user.encode()  # one partition: the valid event comes after every hostile one
    near_limit = b"x" * 1_045_300  # fits on the topic, not on the DLQ once the reason is added
    nested = b'{"id":"x","data":' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}"
    odd_tenant = joined("$where.x", user)  # a value, never an operator: handled like any other
    valid = joined(tenant, user)
    async with TopicWatcher(topics.RESIDENT_JOINED.dlq) as dlq, raw_producer() as producer:
        await producer.send_and_wait(topics.RESIDENT_JOINED.name, near_limit, key=key, headers=[("h", b"y" * 3000)])
        await producer.send_and_wait(topics.RESIDENT_JOINED.name, nested, key=key)
        await publish(producer, odd_tenant)
        await publish(producer, valid)
        [consumer] = [c for c in onboarding.consumers if c.topic == topics.RESIDENT_JOINED]
        await wait_until(lambda: consumer.handled.seen(valid.id), timeout=60)
        dead = await dlq.wait_for(lambda r: r.key == key and dict(r.headers).get("dlq-consumer-group") == consumer.group.encode(), count=2)
    assert await consumer.handled.seen(odd_tenant.id)
    headers = [dict(r.headers) for r in dead]
    assert headers[0]["dlq-value-truncated-from"] == str(len(near_limit)).encode()
    assert all(b"Invalid JSON" in h["dlq-reason"] for h in headers)
