"""Signed Slack requests over real HTTP → the gateway → real Kafka (no Slack Web API needed)."""

from __future__ import annotations

import json
import time

import pytest

from services.gateway.config import GatewaySettings
from shared import topics
from shared.settings import KafkaSettings
from tests import slack_signing as slack
from tests.e2e.gateway import running_gateway
from tests.support import TopicWatcher, unique

pytestmark = pytest.mark.integration

SECRET = "integration-signing-secret"


@pytest.fixture(scope="module")
async def gw():
    async with running_gateway(GatewaySettings(signing_secret=SECRET, bot_token="xoxb-unused")) as running:
        yield running


def of_tenant(tenant: str):
    return lambda record: json.loads(record.value).get("tenant") == tenant


async def test_a_signed_team_join_is_published_with_the_slack_event_id(gw):
    tenant, user, event_id = unique("T"), unique("U"), unique("Ev")
    body = slack.event_callback(slack.team_join_event(user, team_id=tenant), team_id=tenant, event_id=event_id)
    async with TopicWatcher(topics.RESIDENT_JOINED.name) as joined:
        response = await slack.send(gw.http, gw.events_url, body, SECRET)
        assert response.status_code == 200
        [event] = await joined.events_for(tenant)
    assert event.id == event_id
    assert event.subject == user and event.data["user_id"] == user and event.data["display_name"] == "Hanako"
    assert event.source == "oco/gateway"


async def test_forged_and_stale_requests_are_refused_and_publish_nothing(gw):
    tenant, user = unique("T"), unique("U")
    body = slack.event_callback(slack.team_join_event(user, team_id=tenant), team_id=tenant)
    async with TopicWatcher(topics.RESIDENT_JOINED.name) as joined:
        forged = await slack.send(gw.http, gw.events_url, body, "not-the-secret")
        stale = await slack.send(gw.http, gw.events_url, body, SECRET, timestamp=int(time.time()) - 6 * 60)
        unsigned = await gw.http.post(gw.events_url, content=body, headers={"Content-Type": "application/json"})
        garbage_stamp = await gw.http.post(gw.events_url, content=body, headers={
            **slack.signed_headers(body, SECRET), "X-Slack-Request-Timestamp": "yesterday"})
        await joined.settle(1.5)
    assert [r.status_code for r in (forged, stale, unsigned, garbage_stamp)] == [401, 401, 401, 401]
    assert not [r for r in joined.records if of_tenant(tenant)(r)]


async def test_malformed_bodies_get_400(gw):
    for body in (b"{not json", b"[1, 2]", b'{"no": "type"}', "payload=%7Bbroken".encode(), b"\xff\xfe{"):
        response = await slack.send(gw.http, gw.events_url, body, SECRET)
        assert response.status_code == 400, body


async def test_oversized_bodies_are_refused_and_ssl_checks_answered(gw):
    huge = slack.event_callback({"type": "message", "text": "x" * 1_100_000}, team_id=unique("T"))
    assert (await slack.send(gw.http, gw.events_url, huge, SECRET)).status_code == 413
    probe = await gw.http.post(gw.events_url, content=b"ssl_check=1&token=legacy", headers={"Content-Type": slack.FORM})
    assert probe.status_code == 200 and probe.text == ""


async def test_url_verification_answers_the_challenge(gw):
    response = await slack.send(gw.http, gw.events_url, slack.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"), SECRET)
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


async def test_a_bot_joining_is_acknowledged_and_not_published(gw):
    tenant = unique("T")
    bot = slack.event_callback(slack.team_join_event(unique("U"), team_id=tenant, is_bot=True), team_id=tenant)
    slackbot = slack.event_callback(slack.team_join_event("USLACKBOT", team_id=tenant), team_id=tenant)
    async with TopicWatcher(topics.RESIDENT_JOINED.name) as joined:
        assert (await slack.send(gw.http, gw.events_url, bot, SECRET)).status_code == 200
        assert (await slack.send(gw.http, gw.events_url, slackbot, SECRET)).status_code == 200
        await joined.settle(1.5)
    assert not [r for r in joined.records if of_tenant(tenant)(r)]


async def test_slack_retries_of_one_event_are_one_event_downstream(gw):
    tenant, user, event_id = unique("T"), unique("U"), unique("Ev")
    body = slack.event_callback(slack.team_join_event(user, team_id=tenant), team_id=tenant, event_id=event_id)
    async with TopicWatcher(topics.RESIDENT_JOINED.name) as joined:
        statuses = [(await slack.send(gw.http, gw.events_url, body, SECRET)).status_code]
        for retry in (1, 2, 3):
            statuses.append((await slack.send(gw.http, gw.events_url, body, SECRET, retry_num=retry)).status_code)
        events = await joined.events_for(tenant, count=4)
        await joined.settle(1.0)
    assert statuses == [200, 200, 200, 200]
    assert {e.id for e in events} == {event_id}


async def test_a_deactivated_member_becomes_resident_left(gw):
    tenant, user, event_id = unique("T"), unique("U"), unique("Ev")
    deactivated = slack.event_callback(slack.user_change_event(user, team_id=tenant, deleted=True), team_id=tenant, event_id=event_id)
    renamed = slack.event_callback(slack.user_change_event(user, team_id=tenant, display_name="Hana"), team_id=tenant)
    async with TopicWatcher(topics.RESIDENT_LEFT.name) as left:
        assert (await slack.send(gw.http, gw.events_url, renamed, SECRET)).status_code == 200
        assert (await slack.send(gw.http, gw.events_url, deactivated, SECRET)).status_code == 200
        [event] = await left.events_for(tenant)
        await left.settle(1.0)
    assert event.id == event_id
    assert event.data == {"schema_version": 1, "user_id": user, "reason": "deactivated"}
    assert len([r for r in left.records if of_tenant(tenant)(r)]) == 1


async def test_messages_and_reactions_become_activity_events(gw):
    tenant, user, author, channel = unique("T"), unique("U"), unique("U"), unique("C")
    message = slack.message_event(author, channel, "うちの町の写真です", ts="1717000000.000100")
    reply = slack.message_event(user, channel, "いいですね", ts="1717000100.000200", thread_ts="1717000000.000100")
    joined_notice = slack.message_event(user, channel, "joined", subtype="channel_join")
    reaction = slack.reaction_event(user, channel, "1717000000.000100", reaction="bulb", item_user=author)
    unreacted = slack.reaction_event(user, channel, "1717000000.000100", reaction="bulb", added=False)
    async with (TopicWatcher(topics.MESSAGE_POSTED.name) as posted, TopicWatcher(topics.REACTION_ADDED.name) as added,
                TopicWatcher(topics.REACTION_REMOVED.name) as removed):
        for event in (message, reply, joined_notice, reaction, unreacted):
            response = await slack.send(gw.http, gw.events_url, slack.event_callback(event, team_id=tenant), SECRET)
            assert response.status_code == 200
        messages = await posted.events_for(tenant, count=2)
        [reacted] = await added.events_for(tenant)
        [unreacted_event] = await removed.events_for(tenant)
        await posted.settle(1.0)
    assert sorted((e.data["user_id"], e.data.get("thread_ts")) for e in messages) == sorted(
        [(author, None), (user, "1717000000.000100")])
    assert all(e.data["channel_id"] == channel and e.data["text_length"] > 0 and "text" not in e.data for e in messages)
    assert len([r for r in posted.records if of_tenant(tenant)(r)]) == 2  # the join notice is not activity
    assert reacted.data["reaction"] == "bulb" and reacted.data["message_author_id"] == author
    assert unreacted_event.data["user_id"] == user


async def test_unknown_event_types_are_acknowledged(gw):
    tenant = unique("T")
    for event in ({"type": "emoji_changed", "subtype": "add", "name": "oco"}, {"type": "something_new_from_slack"}):
        response = await slack.send(gw.http, gw.events_url, slack.event_callback(event, team_id=tenant), SECRET)
        assert response.status_code == 200


async def test_health_and_readiness_with_the_bus_up(gw):
    assert (await gw.http.get(f"{gw.url}/healthz")).json()["status"] == "ok"
    ready = await gw.http.get(f"{gw.url}/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"bus": "ok"}
    metrics = await gw.http.get(f"{gw.url}/metrics")
    assert "oco_gateway_requests_total" in metrics.text


async def test_without_the_bus_events_get_5xx_and_readiness_says_why():
    settings = GatewaySettings(
        signing_secret=SECRET, kafka=KafkaSettings(bootstrap="127.0.0.1:1"), bus_connect_timeout_seconds=3,
        bus_reconnect_seconds=60,
    )
    tenant = unique("T")
    async with running_gateway(settings) as down:
        body = slack.event_callback(slack.team_join_event(unique("U"), team_id=tenant), team_id=tenant)
        response = await slack.send(down.http, down.events_url, body, SECRET)
        ready = await down.http.get(f"{down.url}/readyz")
        alive = await down.http.get(f"{down.url}/healthz")
        ignored_bot = await slack.send(down.http, down.events_url, slack.event_callback(
            slack.team_join_event(unique("U"), team_id=tenant, is_bot=True), team_id=tenant), SECRET)
    assert response.status_code == 503
    assert ready.status_code == 503
    assert "unreachable" in ready.json()["checks"]["bus"] and "Kafka" in ready.json()["checks"]["bus"]
    assert alive.status_code == 200
    assert ignored_bot.status_code == 200  # nothing to publish, nothing lost
