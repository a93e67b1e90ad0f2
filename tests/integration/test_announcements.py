"""Announcements on the real broker and store, posted to the Slack stand-in: residents come
from real `resident.onboarded` events; the announcement is published as a city system would.

Other test sessions' notifiers share the broker and also see these events (they post to
their own stand-ins, and dead-letter under their own consumer groups): completion is read
from this session's stand-in, and dead letters are picked by this notifier's group.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from oco.cli import main as oco
from shared import topics
from shared.envelope import CONTENT_TYPE, CloudEvent, new_event
from shared.events import AnnouncementPublished, ResidentErased, ResidentMovedIn, ResidentOnboarded
from shared.settings import KafkaSettings
from services.notifier.config import NotifierSettings
from services.notifier.handlers import announcements, residents
from services.notifier.main import build
from tests.standin_fixture import slack_standin, standin_server  # noqa: F401  (fixture)
from tests.support import TopicWatcher, publish, raw_producer, unique, wait_for_assignment, wait_until

pytestmark = pytest.mark.integration

WAIT = 60.0  # seconds; generous because the broker is shared (see the module docstring)
NEWS = "C0ANNOUNCE"
DEPARTMENTS = json.dumps([
    {"key": "moving", "name_ja": "移住課", "name_en": "Moving Here", "channel_id": "C0MOVING", "channel_name": "移住課"},
    {"key": "photos", "name_ja": "写真課", "name_en": "Photos", "channel_name": "写真課"},
    {"key": "announcements", "name_ja": "お知らせ", "name_en": "Announcements", "channel_id": NEWS,
     "channel_name": "お知らせ"},
])


@pytest.fixture(scope="module")
async def notifier():
    server = standin_server()
    settings = NotifierSettings(
        slack_api_url=server.api_url, slack_bot_token=server.settings.token, departments=DEPARTMENTS,
        handler_backoff_seconds=0.05, slack_backoff_seconds=0.05, slack_timeout_seconds=5,
    )
    runtime = build(settings, handler_modules=[residents, announcements])  # residents fill the cache
    await runtime.start()
    await wait_for_assignment(runtime)
    yield runtime
    await runtime.stop()


def announcement(tenant: str, title: str, **fields) -> CloudEvent:
    data = AnnouncementPublished(title=title, body=f"{title} の本文です。", **fields)
    return new_event(type=topics.ANNOUNCEMENT_PUBLISHED.name, subject=unique("A"), tenant=tenant, data=data,
                     source="tests/city-cms")


async def onboard(standin, producer, tenant: str, interests: list[str], *, locale: str = "ja-JP") -> str:
    """A resident known to the notifier: onboarded through the bus, welcomed in the stand-in."""
    user = unique("U")
    standin.add_user(user, locale=locale)
    # The profile's language agrees with the Slack locale: either may decide (see resident_language).
    data = ResidentOnboarded(user_id=user, category="remote_citizen", interests=interests, language=locale[:2])
    await publish(producer, new_event(type=topics.RESIDENT_ONBOARDED.name, subject=user, tenant=tenant, data=data,
                                      source="tests"))
    return user


async def known(runtime, tenant: str, *users: str) -> None:
    """Wait until the notifier's cache has each resident's interests (written after the welcome)."""

    async def cached() -> bool:
        found = [await runtime.db["residents"].find_one({"_id": f"{tenant}:{u}"}) for u in users]
        return all(doc and doc.get("interests") is not None for doc in found)

    await wait_until(cached, timeout=WAIT)


async def dm_posts(standin, user: str, *, count: int) -> list[dict]:
    async def enough():
        found = standin.dm_messages(user)
        return found if len(found) >= count else None

    return await wait_until(enough, timeout=WAIT)


async def channel_posts(standin, title: str) -> list[dict]:
    async def posted():
        return [m for m in standin.messages(NEWS) if title in m["text"]]

    return await wait_until(posted, timeout=WAIT)


async def test_an_announcement_is_posted_and_dmed_only_to_matching_residents_in_their_language(notifier,
                                                                                                 slack_standin):
    tenant, title = unique("T"), unique("Water ")
    async with raw_producer() as producer:
        english = await onboard(slack_standin, producer, tenant, ["moving"], locale="en-US")
        japanese = await onboard(slack_standin, producer, tenant, ["photos", "moving"])
        photos_only = await onboard(slack_standin, producer, tenant, ["photos"])
        erased = await onboard(slack_standin, producer, tenant, ["moving"])
        await known(notifier, tenant, english, japanese, photos_only, erased)
        await publish(producer, new_event(type=topics.RESIDENT_ERASED.name, subject=erased, tenant=tenant,
                                          data=ResidentErased(user_id=erased), source="tests"))
        await wait_until(lambda: _forgotten(notifier, tenant, erased), timeout=WAIT)
        event = announcement(tenant, title, body_en="The English text.", interests=["moving"])
        async with TopicWatcher(topics.NOTIFICATION_DELIVERED.name) as delivered:
            await publish(producer, event)
            [post] = await channel_posts(slack_standin, title)
            to_english = (await dm_posts(slack_standin, english, count=2))[-1]
            to_japanese = (await dm_posts(slack_standin, japanese, count=2))[-1]
            notes = await delivered.wait_for(lambda r: event.id.encode() in r.value and tenant.encode() in r.value,
                                             count=3, timeout=WAIT)
    assert "の本文です。" in post["text"] and "The English text." in post["text"]
    assert "The English text." in to_english["text"] and "の本文です。" not in to_english["text"]
    assert "の本文です。" in to_japanese["text"] and "English" not in to_japanese["text"]
    assert len(slack_standin.dm_messages(photos_only)) == 1 and len(slack_standin.dm_messages(erased)) == 1
    keys = {CloudEvent.from_bytes(n.value).data["delivery_key"] for n in notes}
    assert keys == {f"{event.id}/channel_post", f"{event.id}/dm/{english}", f"{event.id}/dm/{japanese}"}


async def test_a_broadcast_cut_short_resumes_and_a_redelivery_posts_nothing_twice(notifier, slack_standin):
    tenant, title = unique("T"), unique("Festival ")
    async with raw_producer() as producer:
        users = [await onboard(slack_standin, producer, tenant, ["moving"]) for _ in range(3)]
        await known(notifier, tenant, *users)
        # Slack fails one resident's DM for a whole run: the bus runs the event again.
        failing_dm = await slack_standin.dm_channel(users[1])
        slack_standin.server_error("chat.postMessage", count=3, match={"channel": failing_dm})
        event = announcement(tenant, title, interests=["moving"])
        await publish(producer, event)
        for user in users:
            await dm_posts(slack_standin, user, count=2)
        await publish(producer, event)  # delivered again, as Kafka may after a crash
        await publish(producer, event)
    await asyncio.sleep(2.0)  # room for a repeat, which must not come
    assert len(await channel_posts(slack_standin, title)) == 1
    assert [len(slack_standin.dm_messages(user)) for user in users] == [2, 2, 2]
    failing = [c["status"] for c in slack_standin.calls("chat.postMessage", ok=False) if title in json.dumps(c["args"])]
    assert failing == [500, 500, 500]  # the fault did cut one run short


async def test_invalid_announcements_are_dead_lettered_with_the_reason_and_the_next_one_is_handled(notifier,
                                                                                                     slack_standin):
    tenant, title = unique("T"), unique("Valid ")
    [consumer] = [c for c in notifier.consumers if c.topic == topics.ANNOUNCEMENT_PUBLISHED]
    valid = announcement(tenant, title)
    missing_title = valid.model_copy(update={"id": unique("bad-"), "data": {"body": "本文"}})
    wrong_types = valid.model_copy(update={"id": unique("bad-"),
                                           "data": {"title": "t", "body": "b", "interests": "moving"}})
    invalid = {unique("K"): b"not json {", unique("K"): missing_title.to_bytes(), unique("K"): wrong_types.to_bytes()}
    async with TopicWatcher(topics.ANNOUNCEMENT_PUBLISHED.dlq) as dlq, raw_producer() as producer:
        for key, value in invalid.items():
            await producer.send_and_wait(topics.ANNOUNCEMENT_PUBLISHED.name, value, key=key.encode(),
                                         headers=[("content-type", CONTENT_TYPE.encode())])
        await publish(producer, valid)

        def ours(record) -> bool:
            headers = dict(record.headers)
            return record.key.decode() in invalid and headers.get("dlq-consumer-group") == consumer.group.encode()

        dead = await dlq.wait_for(ours, count=3, timeout=WAIT)
        [post] = await channel_posts(slack_standin, title)
    reasons = {r.key.decode(): dict(r.headers)["dlq-reason"].decode() for r in dead}
    bad_json, no_title, bad_types = invalid
    assert "Invalid JSON" in reasons[bad_json]
    assert "title" in reasons[no_title] and "Field required" in reasons[no_title]
    assert "interests" in reasons[bad_types] and "list" in reasons[bad_types]
    assert {r.value for r in dead} == set(invalid.values())  # the original bytes, untouched
    assert "の本文です。" in post["text"]


async def test_oco_announce_reaches_the_channel(notifier, slack_standin):
    tenant, title = unique("T"), unique("Cli ")
    code = await asyncio.to_thread(oco, ["announce", "--tenant", tenant, "--title", title, "--body", "市からです。",
                                         "--body-en", "From the city."])
    assert code == 0
    [post] = await channel_posts(slack_standin, title)
    assert "市からです。" in post["text"] and "From the city." in post["text"]


async def test_the_python_example_for_city_systems_reaches_the_channel(notifier, slack_standin):
    page = Path(__file__).resolve().parents[2] / "docs" / "city-systems.md"
    [example] = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)
    namespace = {"__name__": "city_system"}  # not "__main__": define, don't run its demo call
    exec(compile(example, str(page), "exec"), namespace)
    tenant, title = unique("T"), unique("Docs ")
    sent = await namespace["publish_announcement"](KafkaSettings().bootstrap, tenant, title, "ドキュメントの例です。",
                                                   body_en="The documented example.")
    [post] = await channel_posts(slack_standin, title)
    assert "ドキュメントの例です。" in post["text"] and "The documented example." in post["text"]
    [call] = [c for c in slack_standin.calls("chat.postMessage", channel=NEWS, ok=True) if title in c["args"]["text"]]
    assert call["args"]["metadata"]["event_payload"]["delivery_key"] == f"{sent}/channel_post"


async def test_a_resident_who_moved_in_is_congratulated(notifier, slack_standin):
    tenant = unique("T")
    async with raw_producer() as producer:
        user = await onboard(slack_standin, producer, tenant, ["moving"], locale="en-US")
        await known(notifier, tenant, user)
        data = ResidentMovedIn(user_id=user, moved_in_on=datetime.now(UTC) - timedelta(days=1),
                               from_category="prospective_migrant")
        await publish(producer, new_event(type=topics.RESIDENT_MOVED_IN.name, subject=user, tenant=tenant, data=data,
                                          source="tests/city-registry"))
        congratulated = (await dm_posts(slack_standin, user, count=2))[-1]
    assert "Congratulations" in congratulated["text"]


async def _forgotten(runtime, tenant: str, user: str) -> bool:
    return await runtime.db["residents"].find_one({"_id": f"{tenant}:{user}"}) is None
