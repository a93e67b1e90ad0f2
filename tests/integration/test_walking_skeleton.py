"""resident.joined on the real broker → onboarding → its store → resident.registered."""

from __future__ import annotations

import pytest

from shared import topics
from shared.envelope import CloudEvent, new_event
from shared.events import ResidentJoined
from services.onboarding.config import OnboardingSettings
from services.onboarding.main import build
from tests.support import TopicWatcher, publish, raw_producer, unique, wait_for_assignment, wait_until

pytestmark = pytest.mark.integration


def joined(tenant: str, user: str, *, id: str | None = None):
    return new_event(
        id=id, type=topics.RESIDENT_JOINED.name, subject=user, tenant=tenant,
        data=ResidentJoined(user_id=user, display_name="Hanako"), source="tests",
    )


@pytest.fixture
async def onboarding():
    runtime = build(OnboardingSettings(handler_backoff_seconds=0.01))
    await runtime.start()
    await wait_for_assignment(runtime)
    yield runtime
    await runtime.stop()


async def test_join_is_stored_and_announced_once_even_when_delivered_twice(onboarding):
    tenant, user = unique("T"), unique("U")
    event = joined(tenant, user)
    async with TopicWatcher(topics.RESIDENT_REGISTERED.name) as registered, raw_producer() as producer:
        await publish(producer, event)
        await publish(producer, event)  # the same event id again: a redelivery
        [announced] = await registered.events_for(tenant)
        await registered.settle(2.0)
    assert announced.data["user_id"] == user
    assert len(_distinct_ids(registered.records, tenant)) == 1
    doc = await onboarding.db["residents"].find_one({"_id": f"{tenant}:{user}"})
    assert doc["status"] == "joined" and doc["display_name"] == "Hanako"


async def test_poison_messages_go_to_the_dlq_with_the_reason_and_the_consumer_keeps_going(onboarding):
    tenant, user = unique("T"), unique("U")
    bad_schema = joined(tenant, user).model_copy(update={"data": {"display_name": "no user id"}})
    async with TopicWatcher(topics.RESIDENT_JOINED.dlq) as dlq, TopicWatcher(topics.RESIDENT_REGISTERED.name) as registered:
        async with raw_producer() as producer:
            await producer.send_and_wait(topics.RESIDENT_JOINED.name, b"{not json", key=tenant.encode())
            await publish(producer, bad_schema)
            await publish(producer, joined(tenant, user))
        [consumer] = [c for c in onboarding.consumers if c.topic == topics.RESIDENT_JOINED]
        ours = consumer.group.encode()  # another onboarding on the broker dead-letters them too

        def mine(record) -> bool:
            return (record.key in (tenant.encode(), user.encode())
                    and dict(record.headers).get("dlq-consumer-group") == ours)

        dead = await dlq.wait_for(mine, count=2)
        await registered.events_for(tenant)
    reasons = [dict(r.headers)["dlq-reason"].decode() for r in dead]
    assert any("Invalid JSON" in reason or "json" in reason.lower() for reason in reasons)
    assert any("user_id" in reason for reason in reasons)
    assert all(dict(r.headers)["dlq-original-topic"] == b"resident.joined" for r in dead)


async def test_a_restarted_consumer_continues_where_it_committed():
    tenant = unique("T")
    first, second = unique("U"), unique("U")
    runtime = build(OnboardingSettings())
    await runtime.start()
    await wait_for_assignment(runtime)
    async with TopicWatcher(topics.RESIDENT_REGISTERED.name) as registered, raw_producer() as producer:
        await publish(producer, joined(tenant, first))
        await registered.events_for(tenant, count=1)
        await runtime.stop()
        await publish(producer, joined(tenant, second))  # arrives while the service is down
        restarted = build(OnboardingSettings())
        await restarted.start()
        try:
            # At-least-once: the first event may be handled again (same id); wait for both users.
            await wait_until(lambda: _users_seen(registered, tenant, want=2), timeout=40)
            await registered.settle(2.0)
        finally:
            await restarted.stop()
    assert _users(registered.records, tenant) == {first, second}
    assert len(_distinct_ids(registered.records, tenant)) == 2

    # The store client is closed after stop; check through a fresh runtime's client.
    check = build(OnboardingSettings())
    try:
        assert await wait_until(lambda: _count(check, tenant), timeout=5)
    finally:
        await check.mongo.close()


async def _count(runtime, tenant: str) -> bool:
    return await runtime.db["residents"].count_documents({"tenant": tenant}) == 2


def _distinct_ids(records, tenant: str) -> set[str]:
    """Event ids seen for a tenant: a re-emission after a redelivery carries the same id, so
    distinct ids are what downstream de-duplication leaves."""
    return {CloudEvent.from_bytes(r.value).id for r in records if tenant.encode() in r.value}


def _users(records, tenant: str) -> set[str]:
    return {CloudEvent.from_bytes(r.value).data["user_id"] for r in records if tenant.encode() in r.value}


async def _users_seen(watcher: TopicWatcher, tenant: str, *, want: int) -> bool:
    await watcher.settle(0.3)
    return len(_users(watcher.records, tenant)) >= want
