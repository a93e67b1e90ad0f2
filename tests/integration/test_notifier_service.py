"""The notifier on the real broker and store, posting to the Slack stand-in: events in,
Slack calls and `notification.*` events out, once, through rate limits, outages and refusals.

Other test sessions on the same broker may run notifiers of their own that also react to
these events (and publish `notification.delivered` for them): completion is therefore read
from this session's stand-in, which only this session's notifier talks to. Their events also
reach this notifier (an import burst is thousands), hence the generous waits.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from shared import topics
from shared.envelope import CloudEvent, new_event
from shared.events import ResidentErased, ResidentJoined, ResidentOnboarded
from shared.slack_ids import ActionId
from services.notifier.config import NotifierSettings
from services.notifier.handlers import residents
from services.notifier.main import build
from tests.standin_fixture import slack_standin, standin_server  # noqa: F401  (fixture)
from tests.support import TopicWatcher, publish, raw_producer, unique, wait_for_assignment, wait_until

pytestmark = pytest.mark.integration

WAIT = 60.0  # seconds; generous because the broker is shared (see the module docstring)

DEPARTMENTS = json.dumps([
    {"key": "moving", "name_ja": "移住課", "name_en": "Moving Here", "channel_id": "C0MOVING", "channel_name": "移住課"},
    {"key": "photos", "name_ja": "写真課", "name_en": "Photos", "channel_name": "写真課"},
])


@pytest.fixture(scope="module")
async def notifier():
    server = standin_server()
    settings = NotifierSettings(
        slack_api_url=server.api_url, slack_bot_token=server.settings.token, departments=DEPARTMENTS,
        handler_backoff_seconds=0.05, slack_backoff_seconds=0.05, slack_timeout_seconds=5,
    )
    runtime = build(settings, handler_modules=[residents])  # only the modules under test
    await runtime.start()
    await wait_for_assignment(runtime)
    yield runtime
    await runtime.stop()


def joined(tenant: str, user: str, **fields) -> CloudEvent:
    return new_event(type=topics.RESIDENT_JOINED.name, subject=user, tenant=tenant, source="tests",
                     data=ResidentJoined(user_id=user, display_name="Hanako", **fields))


def _buttons(message: dict) -> list[str]:
    return [e["action_id"] for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


async def dm_posts(standin, user: str, *, count: int = 1, timeout: float = WAIT) -> list[dict]:
    """The bot's messages in its DM with `user`, once there are at least `count`."""

    async def enough():
        found = standin.dm_messages(user)
        return found if len(found) >= count else None

    return await wait_until(enough, timeout=timeout)


async def _handled(runtime, topic: topics.Topic, event_id: str) -> bool:
    [consumer] = [c for c in runtime.consumers if c.topic == topic]
    return await consumer.handled.seen(event_id)


async def test_a_join_on_the_bus_becomes_a_welcome_dm_with_the_profile_button(notifier, slack_standin):
    tenant, user = unique("T"), unique("U")
    event = joined(tenant, user, locale="en-US")
    async with TopicWatcher(topics.NOTIFICATION_DELIVERED.name) as delivered, raw_producer() as producer:
        await publish(producer, event)
        [message] = await dm_posts(slack_standin, user)
        # Other sessions' notifiers may announce the same delivery (same id, their own ts).
        [note] = await delivered.wait_for(lambda r: tenant.encode() in r.value and message["ts"].encode() in r.value,
                                          timeout=WAIT)
    [opened] = slack_standin.calls("conversations.open", users=user)
    assert opened["ok"] and _buttons(message) == [ActionId.OPEN_PROFILE]
    assert "Welcome" in message["text"]
    assert CloudEvent.from_bytes(note.value).data == {"schema_version": 1, "delivery_key": f"{event.id}/welcome_dm", "method": "chat.postMessage",
                         "channel": message["channel"], "ts": message["ts"], "cause_event_id": event.id}


async def test_the_same_join_delivered_twice_posts_once(notifier, slack_standin):
    tenant, user = unique("T"), unique("U")
    event = joined(tenant, user, locale="ja-JP")
    async with raw_producer() as producer:
        await publish(producer, event)
        await publish(producer, event)
    [message] = await dm_posts(slack_standin, user)
    await asyncio.sleep(2.0)  # room for a second post, which must not come
    assert len(slack_standin.dm_messages(user)) == 1
    assert len(slack_standin.calls("chat.postMessage", channel=message["channel"])) == 1


async def test_an_imported_join_sends_no_dm(notifier, slack_standin):
    tenant, user = unique("T"), unique("U")
    event = joined(tenant, user, via="import")
    async with raw_producer() as producer:
        await publish(producer, event)
    await wait_until(lambda: _handled(notifier, topics.RESIDENT_JOINED, event.id), timeout=WAIT)
    assert slack_standin.calls("conversations.open", users=user) == [] and slack_standin.dm_messages(user) == []


async def test_an_onboarded_resident_gets_a_dm_and_an_invite_to_their_department(notifier, slack_standin):
    tenant, user = unique("T"), unique("U")
    data = ResidentOnboarded(user_id=user, category="prospective_migrant", interests=["moving", "photos"])
    event = new_event(type=topics.RESIDENT_ONBOARDED.name, subject=user, tenant=tenant, data=data, source="tests")
    async with TopicWatcher(topics.NOTIFICATION_DELIVERED.name) as delivered, raw_producer() as producer:
        await publish(producer, event)
        [invite] = await slack_standin.wait_for_calls("conversations.invite", users=user, timeout=WAIT)
        await delivered.wait_for(lambda r: f"{event.id}/invite/moving".encode() in r.value, timeout=WAIT)
        notes = await delivered.events_for(tenant, count=2, timeout=WAIT)
    [message] = slack_standin.dm_messages(user)
    assert "移住検討中" in message["text"] and "写真課" in message["text"]
    assert invite["args"]["channel"] == "C0MOVING" and invite["ok"]
    assert {n.data["delivery_key"] for n in notes} == {f"{event.id}/resident_welcome_dm", f"{event.id}/invite/moving"}


async def test_a_rate_limit_storm_is_waited_out_and_the_welcome_posted_once(notifier, slack_standin):
    tenant, user = unique("T"), unique("U")
    dm = await slack_standin.dm_channel(user)
    slack_standin.rate_limit("chat.postMessage", count=3, retry_after=1, match={"channel": dm})
    async with raw_producer() as producer:
        await publish(producer, joined(tenant, user, locale="ja-JP"))
    await slack_standin.wait_for_calls("chat.postMessage", channel=dm, ok=True, timeout=WAIT)
    assert [c["status"] for c in slack_standin.calls("chat.postMessage", channel=dm)] == [429, 429, 429, 200]
    assert len(slack_standin.dm_messages(user)) == 1


async def test_a_refused_token_dead_letters_the_event_with_the_reason_and_reports_the_failure(notifier, slack_standin):
    tenant, user = unique("T"), unique("U")
    dm = await slack_standin.dm_channel(user)
    slack_standin.refuse("chat.postMessage", error="invalid_auth", match={"channel": dm})
    event = joined(tenant, user, locale="ja-JP")
    async with TopicWatcher(topics.RESIDENT_JOINED.dlq) as dlq, TopicWatcher(topics.NOTIFICATION_FAILED.name) as failures:
        async with raw_producer() as producer:
            await publish(producer, event)
        [dead] = await dlq.wait_for(lambda r: r.key == user.encode(), timeout=WAIT)
        [failed, *_] = await failures.events_for(tenant, timeout=WAIT)
    headers = {k: v.decode() for k, v in dead.headers}
    assert "invalid_auth" in headers["dlq-reason"] and headers["dlq-error"] == "DeliveryRefused"
    assert slack_standin.token not in headers["dlq-reason"]
    assert failed.data["error"] == "invalid_auth" and failed.data["delivery_key"] == f"{event.id}/welcome_dm"
    assert len(slack_standin.calls("chat.postMessage", channel=dm)) == 1 and slack_standin.dm_messages(user) == []


async def test_slack_answering_500_for_a_while_still_gets_the_welcome_once(notifier, slack_standin):
    tenant, user = unique("T"), unique("U")
    dm = await slack_standin.dm_channel(user)
    slack_standin.server_error("chat.postMessage", count=5, status=500, match={"channel": dm})
    async with raw_producer() as producer:
        await publish(producer, joined(tenant, user, locale="ja-JP"))
    await slack_standin.wait_for_calls("chat.postMessage", channel=dm, ok=True, timeout=WAIT)
    assert [c["status"] for c in slack_standin.calls("chat.postMessage", channel=dm)] == [500] * 5 + [200]
    assert len(slack_standin.dm_messages(user)) == 1


async def test_an_erased_resident_leaves_no_cached_personal_data(notifier, slack_standin):
    tenant, user = unique("T"), unique("U")
    async with raw_producer() as producer:
        await publish(producer, joined(tenant, user, locale="en-US"))
        await dm_posts(slack_standin, user)
        cached = notifier.db["residents"]
        assert (await cached.find_one({"_id": f"{tenant}:{user}"}))["locale"] == "en-US"
        await publish(producer, new_event(type=topics.RESIDENT_ERASED.name, subject=user, tenant=tenant,
                                          data=ResidentErased(user_id=user), source="tests"))

    async def gone() -> bool:
        return await cached.find_one({"_id": f"{tenant}:{user}"}) is None

    await wait_until(gone, timeout=WAIT)
    delivery = await notifier.db["deliveries"].find_one({"tenant": tenant})
    assert set(delivery) <= {"_id", "tenant", "method", "cause_event_id", "state", "channel", "ts", "error",
                             "claimed_at", "updated_at"}
