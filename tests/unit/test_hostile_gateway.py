"""Hostile requests at the gateway's Slack edge: refused with a 4xx (or ignored with a 200),
never a 500 or an exception out of the app, and nothing published."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import httpx
import pytest

from services.gateway.bus import InMemoryBus
from services.gateway.config import GatewaySettings
from services.gateway.main import create_app
from tests import slack_signing as slack

pytestmark = pytest.mark.unit

SECRET = "hostile-signing-secret"
TEAM, USER = "T0HOSTILE", "U0MALLORY"


@pytest.fixture
async def gateway():
    bus = InMemoryBus()
    app = create_app(GatewaySettings(signing_secret=SECRET, slack_api_url="http://127.0.0.1:9/api/"), bus=bus)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
        http.bus = bus
        yield http


async def post(http: httpx.AsyncClient, body: bytes, **headers: str | bytes) -> httpx.Response:
    return await http.post("/slack/events", content=body, headers={**slack.signed_headers(body, SECRET), **headers})


@pytest.mark.parametrize("headers", [
    {"X-Slack-Signature": "v0=é".encode()},                      # non-ASCII: compare_digest raised TypeError
    {"X-Slack-Signature": b"v0=\xff\xfe"},
    {"X-Slack-Request-Timestamp": b"9" * 5000},                   # int() of 5000 digits raised ValueError
    {"X-Slack-Request-Timestamp": "١٢٣".encode()},
])
async def test_garbled_signature_headers_are_refused_without_a_signature_check_crash(gateway, headers):
    response = await post(gateway, slack.url_verification("c"), **headers)
    assert response.status_code == 401
    assert gateway.bus.events == []


def interaction(payload: dict) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def callback(event: dict, **envelope) -> bytes:
    body = json.loads(slack.event_callback(event, team_id=TEAM))
    return json.dumps({**body, **envelope}).encode()


WHO = {"team": {"id": TEAM}, "user": {"id": USER, "team_id": TEAM}}
MODAL = {"type": "modal", "id": "V0HOSTILE", "callback_id": "oco_profile"}


@pytest.mark.parametrize("body", [
    pytest.param(b"[" * 100_000 + b"]" * 100_000, id="nested past the recursion limit"),
    pytest.param(b"null", id="JSON null"),
    pytest.param(b'"text"', id="JSON string"),
    pytest.param(urlencode({"payload": "[1]"}).encode(), id="payload a list"),
    pytest.param(callback(slack.team_join_event("U0X"), authorizations="x"), id="authorizations a string"),
])
async def test_bodies_bolt_cannot_even_parse_are_400(gateway, body):
    response = await post(gateway, body, **{"Content-Type": slack.JSON if body[:1] in b'[{"n' else slack.FORM})
    assert response.status_code == 400
    assert gateway.bus.events == []


@pytest.mark.parametrize("body", [
    pytest.param(callback({"type": "team_join", "user": {"id": {"$ne": None}}}), id="user id an operator"),
    pytest.param(callback({"type": "team_join", "user": {"id": "$where.x"}}), id="user id with $ and dot"),
    pytest.param(callback({"type": "team_join", "user": {"id": "U1", "profile": "x"}}), id="profile a string"),
    pytest.param(callback(slack.team_join_event("U0X"), event_id="E" * 10_000), id="event id 10k long"),
    pytest.param(callback(slack.team_join_event("U0X"), event_time=10**30), id="event time overflows"),
    pytest.param(callback(slack.team_join_event("U0X"), team_id={"$gt": ""}), id="team id an operator"),
    pytest.param(callback([]), id="event a list"),
    pytest.param(callback({"type": {"$ne": None}}), id="event type an object"),
    pytest.param(callback(slack.message_event("U0X", "C0X", ts="abc")), id="message ts not a ts"),
    pytest.param(callback(slack.message_event("U0X", "C0X", thread_ts={"a": 1})), id="thread ts an object"),
    pytest.param(callback(slack.message_event({"$ne": 1}, "C0X")), id="message user an object"),
    pytest.param(callback({"type": "message", "subtype": "message_changed", "message": "x", "channel": "C0X", "ts": "1.1"}), id="edited message a string"),
    pytest.param(callback({"type": "reaction_added", "user": "U0X", "reaction": "x", "item": "x"}), id="reaction item a string"),
    pytest.param(callback({"type": "reaction_added", "user": "U0X", "reaction": "x", "item": {"type": "message", "channel": ["C"], "ts": "1.1"}}), id="reaction channel a list"),
    pytest.param(interaction({"type": "block_actions", **WHO, "actions": []}), id="no actions"),
    pytest.param(interaction({"type": "block_actions", **WHO, "actions": {"action_id": "x"}}), id="actions an object"),
    pytest.param(interaction({"type": "block_actions", **WHO, "actions": ["oco_confirm_leave"]}), id="action a string"),
    pytest.param(interaction({"type": "block_actions", **WHO, "actions": [{"action_id": "oco_support_proposal", "value": {"$ne": None}}]}), id="button value an operator"),
    pytest.param(interaction({"type": "block_actions", **WHO, "actions": [{"action_id": "oco_support_proposal", "value": "P1"}], "container": "x"}), id="container a string"),
    pytest.param(interaction({"type": "block_actions", "team": "T1", "user": {"id": USER}, "actions": [{"action_id": "oco_support_proposal", "value": "P1"}]}), id="team a string"),
    pytest.param(interaction({"type": "message_action", "callback_id": "oco_propose_this", **WHO, "trigger_id": "1", "message": "x"}), id="shortcut message a string"),
    pytest.param(interaction({"type": "message_action", "callback_id": "oco_propose_this", **WHO, "trigger_id": "1", "channel": {"id": "C" * 100}, "message": {"text": "x", "ts": "1.1"}}), id="channel id 100 long"),
    pytest.param(interaction({"type": "view_submission", **WHO, "view": {"callback_id": "oco_profile", "id": "V1"}}), id="view without a type"),
    pytest.param(interaction({"type": "view_submission", **WHO, "view": {**MODAL, "state": {"values": [1]}}}), id="state values a list"),
    pytest.param(interaction({"type": "view_submission", **WHO, "view": {**MODAL, "state": {"values": {"category": "x"}}}}), id="block a string"),
    pytest.param(interaction({"type": "view_submission", **WHO, "view": {**MODAL, "state": {"values": {"category": {"category": {"selected_option": {"value": {"$ne": None}}}}}}}}), id="option value an operator"),
    pytest.param(interaction({"type": "view_submission", **WHO, "view": {**MODAL, "state": {"values": {"consent": {"consent": {"selected_options": "agreed"}}}}}}), id="options a string"),
    pytest.param(interaction({"type": "view_submission", **WHO, "view": {**MODAL, "state": {"values": {"relation": {"relation": {"value": "\ud800"}}}}}}), id="lone surrogate"),
    pytest.param(interaction({"type": "view_submission", **WHO, "view": {**MODAL, "state": {"values": {"display_name": {"display_name": {"value": 5}}}}}}), id="text a number"),
])
async def test_signed_bodies_slack_would_never_send_are_400_and_publish_nothing(gateway, body, caplog):
    response = await post(gateway, body)
    assert response.status_code == 400, response.text
    assert response.json() == {"error": "malformed payload"}
    assert gateway.bus.events == []
    assert SECRET not in caplog.text


async def test_extra_fields_slack_may_add_are_accepted(gateway):
    event = slack.team_join_event("U0NEWFIELDS", brand_new_field={"nested": [1, 2]})
    response = await post(gateway, callback(event, another_new_field="x"))
    assert response.status_code == 200
    assert [e.subject for e in gateway.bus.events] == ["U0NEWFIELDS"]


def submission(callback_id: str, values: dict, *, metadata: str = "") -> bytes:
    return slack.view_submission(callback_id, values, team_id=TEAM, user_id=USER, private_metadata=metadata)


def application(hours: str) -> dict:
    return {"motivation": {"motivation": slack.text_value("to help")},
            "hours_per_month": {"hours_per_month": slack.text_value(hours)}}


@pytest.mark.parametrize("hours", ["²", "١٢", "9" * 5000, "-1", "1e3", " "])
async def test_hours_that_are_no_whole_number_get_an_inline_error(gateway, hours):
    answer = (await post(gateway, submission("oco_application", application(hours)))).json()
    assert answer["response_action"] == "errors" and "hours_per_month" in answer["errors"]
    assert gateway.bus.events == []


DEEP = "[" * 5000 + "]" * 5000
REASON = {"reason": {"reason": slack.text_value("not now")}}
PROPOSAL = {"title": {"title": slack.text_value("t")}, "idea": {"idea": slack.text_value("i")},
            "department": {"department": slack.selected("ideas")}}


@pytest.mark.parametrize(("callback_id", "values", "metadata"), [
    ("oco_rejection", REASON, DEEP),
    ("oco_rejection", REASON, json.dumps({"application_id": "A1", "channel_id": "C" * 10_000})),
    ("oco_proposal", PROPOSAL, DEEP),
    ("oco_answer", {}, DEEP),
])
async def test_tampered_modal_metadata_gets_an_inline_error(gateway, callback_id, values, metadata):
    answer = (await post(gateway, submission(callback_id, values, metadata=metadata))).json()
    assert answer["response_action"] == "errors"
    assert gateway.bus.events == []


async def test_a_mention_far_longer_than_a_user_id_is_not_a_person(gateway):
    body = slack.slash_command(f"appoint <@U{'A' * 300}> admin", team_id=TEAM, user_id=USER)
    response = await post(gateway, body)
    assert response.status_code == 200 and "/oco appoint" in response.json()["text"]
    assert gateway.bus.events == []


async def test_apply_when_slack_cannot_open_the_form_tells_the_person(gateway):
    # The fixture's Slack Web API is a closed port.
    response = await post(gateway, slack.slash_command("apply", team_id=TEAM, user_id=USER))
    assert response.status_code == 200
    assert "フォームを開けませんでした" in response.json()["text"]


async def test_reject_button_when_slack_cannot_open_the_form_is_answered_not_a_500(gateway):
    body = slack.block_actions("oco_reject_application", team_id=TEAM, user_id=USER, value="A1",
                               response_url="http://127.0.0.1:9/response")
    response = await post(gateway, body)
    assert response.status_code == 200


@pytest.mark.parametrize("body", [
    pytest.param(json.dumps({"type": "app_rate_limited", "team_id": TEAM, "minute_rate_limited": 1}).encode(), id="app_rate_limited"),
    pytest.param(slack.slash_command("x", team_id=TEAM, user_id=USER, command="/another"), id="another slash command"),
    pytest.param(interaction({"type": "some_future_payload", **WHO}), id="an unknown payload type"),
])
async def test_requests_nobody_listens_to_are_acknowledged(gateway, body):
    response = await post(gateway, body)
    assert response.status_code == 200
    assert gateway.bus.events == []


async def test_a_huge_chunked_body_without_content_length_is_refused_before_it_is_all_read(gateway):
    sent = []

    async def chunks():
        for _ in range(50):  # 50 MB, announced by no Content-Length
            sent.append(1)
            yield b"x" * (1 << 20)

    response = await gateway.post("/slack/events", content=chunks(), headers={"Content-Type": slack.JSON})
    assert response.status_code == 413
    assert len(sent) < 50


async def test_ids_slack_leaves_empty_or_null_are_not_malformed(gateway):
    body = slack.slash_command("help", team_id=TEAM, user_id=USER) + b"&enterprise_id=&enterprise_name="
    assert (await post(gateway, body)).status_code == 200
    event = json.loads(callback(slack.team_join_event("U0EMPTYIDS", tz=None, locale="")))
    event["authorizations"][0].update(enterprise_id=None, team_id=TEAM)
    event["enterprise_id"] = None
    assert (await post(gateway, json.dumps(event).encode())).status_code == 200
    assert [e.subject for e in gateway.bus.events] == ["U0EMPTYIDS"]
