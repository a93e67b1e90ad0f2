"""The Slack stand-in answers like Slack: tokens, arguments, shapes, recorded calls, faults.

It runs in-process on a free port (no Kafka, no store), so these are unit-layer tests of
the stand-in itself; they talk HTTP to it with slack_sdk and with raw httpx.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.standin_fixture import slack_standin  # noqa: F401  (fixture)
from tests.shared_data import SHARED_DATA

pytestmark = pytest.mark.unit

EXAMPLES = SHARED_DATA / "slack-api-specs" / "web-api-examples"

MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Profile"},
         "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}]}


async def _error(call) -> dict:
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value.response.data


async def test_a_call_without_a_token_is_not_authed_and_a_wrong_one_is_invalid_auth(slack_standin):
    anonymous = AsyncWebClient(base_url=slack_standin.url)
    stranger = AsyncWebClient(token="xoxb-1-2-not-the-right-one", base_url=slack_standin.url)
    assert (await _error(anonymous.api_call("auth.test")))["error"] == "not_authed"
    assert (await _error(stranger.auth_test()))["error"] == "invalid_auth"
    assert [c["token_ok"] for c in slack_standin.calls("auth.test")] == [False, False]


def test_the_token_may_come_as_a_form_argument_but_not_inside_a_json_body(slack_standin):
    with httpx.Client(base_url=slack_standin.base_url) as http:
        form = http.post("/api/auth.test", data={"token": slack_standin.token}).json()
        in_json = http.post("/api/auth.test", json={"token": slack_standin.token}).json()
    assert form["ok"] is True and form["team_id"]
    assert in_json == {"ok": False, "error": "not_authed"}
    assert all("token" not in c["args"] for c in slack_standin.calls())


@pytest.mark.parametrize(
    "method, args, error",
    [
        ("chat.postMessage", {"text": "hi"}, "channel_not_found"),
        ("chat.postMessage", {"channel": "C0TOWNHALL"}, "no_text"),
        ("chat.postMessage", {"channel": "nowhere", "text": "hi"}, "channel_not_found"),
        ("chat.update", {"channel": "C0TOWNHALL", "ts": "1700000000.000100", "text": "x"}, "message_not_found"),
        ("chat.postEphemeral", {"channel": "C0TOWNHALL", "text": "hi"}, "user_not_found"),
        ("conversations.open", {}, "users_list_not_supplied"),
        ("conversations.invite", {"channel": "C0TOWNHALL"}, "no_user"),
        ("conversations.create", {}, "invalid_name_required"),
        ("conversations.create", {"name": "Has Spaces"}, "invalid_name_specials"),
        ("conversations.history", {}, "channel_not_found"),
        ("users.info", {"user": "not-a-user"}, "user_not_found"),
        ("views.open", {"view": MODAL}, "invalid_arguments"),
        ("views.open", {"trigger_id": "1.2.3"}, "invalid_arguments"),
        ("views.publish", {"view": {"type": "home", "blocks": []}}, "invalid_arguments"),
        ("views.update", {"view": MODAL}, "invalid_arguments"),
        ("usergroups.users.update", {"usergroup": "S0CHIEFS"}, "invalid_arguments"),
        ("no.such.method", {}, "unknown_method"),
    ],
)
async def test_missing_or_wrong_arguments_get_the_methods_own_error(slack_standin, method, args, error):
    client = slack_standin.web_client()
    answer = await _error(client.api_call(method, json=args))
    assert answer["ok"] is False and answer["error"] == error
    [call] = slack_standin.calls(method)
    assert call["ok"] is False and call["error"] == error and call["status"] == 200


async def test_invalid_blocks_and_views_are_refused_with_slacks_messages(slack_standin):
    client = slack_standin.web_client()
    too_many = [{"type": "divider"}] * 51
    answer = await _error(client.chat_postMessage(channel="C0TOWNHALL", text="x", blocks=too_many))
    assert answer["error"] == "invalid_blocks" and answer["response_metadata"]["messages"]
    long_title = {**MODAL, "title": {"type": "plain_text", "text": "x" * 25}}
    answer = await _error(client.views_open(trigger_id="1.2.3", view=long_title))
    assert answer["error"] == "invalid_arguments"


async def _success_bodies(client: AsyncWebClient) -> dict[str, dict]:
    """One successful answer per method that Slack's examples cover."""
    dm = (await client.conversations_open(users="U0HANAKO"))["channel"]["id"]
    posted = await client.chat_postMessage(channel=dm, text="ようこそ")
    view = await client.views_open(trigger_id="12345.98765.abcd", view=MODAL)
    return {
        "auth.test": (await client.auth_test()).data,
        "conversations.open": (await client.conversations_open(users="U0HANAKO")).data,
        "chat.postMessage": posted.data,
        "chat.update": (await client.chat_update(channel=dm, ts=posted["ts"], text="updated")).data,
        "chat.postEphemeral": (await client.chat_postEphemeral(channel="C0TOWNHALL", user="U0HANAKO", text="psst")).data,
        "chat.getPermalink": (await client.chat_getPermalink(channel=dm, message_ts=posted["ts"])).data,
        "conversations.history": (await client.conversations_history(channel=dm)).data,
        "users.info": (await client.users_info(user="U0HANAKO")).data,
        "views.open": view.data,
        "views.update": (await client.views_update(view_id=view["view"]["id"], view=MODAL)).data,
        "views.publish": (await client.views_publish(user_id="U0HANAKO", view={"type": "home", "blocks": []})).data,
    }


async def test_success_answers_have_the_fields_slacks_own_examples_have(slack_standin):
    bodies = await _success_bodies(slack_standin.web_client())
    for method, body in bodies.items():
        example = json.loads((EXAMPLES / f"{method}.json").read_text())["responses"]["200"]
        missing = set(example) - set(body)
        assert not missing, f"{method} lacks {missing}"
        for nested in ("user", "view"):
            if isinstance(example.get(nested), dict):
                assert not set(example[nested]) - set(body[nested]), f"{method}.{nested} lacks {set(example[nested]) - set(body[nested])}"
    assert bodies["conversations.open"]["channel"]["id"].startswith("D")
    assert bodies["views.open"]["view"]["id"].startswith("V")
    seconds, micros = bodies["chat.postMessage"]["ts"].split(".")
    assert len(seconds) == 10 and len(micros) == 6


async def test_every_call_is_recorded_with_its_parsed_arguments(slack_standin):
    client = slack_standin.web_client()
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    await client.chat_postMessage(channel="C0TOWNHALL", text="hi", blocks=blocks)
    [call] = await slack_standin.wait_for_calls("chat.postMessage", channel="C0TOWNHALL")
    assert call["args"]["blocks"] == blocks and call["args"]["text"] == "hi"
    assert call["token_ok"] is True and call["ok"] is True and call["at"] <= time.time()
    [message] = slack_standin.messages("C0TOWNHALL")
    assert message["text"] == "hi" and message["bot_id"]
    slack_standin.reset()
    assert slack_standin.calls() == [] and slack_standin.messages() == []


async def test_history_shows_metadata_only_when_asked_for_all_metadata(slack_standin):
    client = slack_standin.web_client()
    dm = (await client.conversations_open(users="U0HANAKO"))["channel"]["id"]
    metadata = {"event_type": "oco_delivery", "event_payload": {"delivery_key": "e1/welcome_dm"}}
    await client.chat_postMessage(channel=dm, text="hi", metadata=metadata)
    plain = await client.conversations_history(channel=dm)
    full = await client.conversations_history(channel=dm, include_all_metadata=True)
    assert "metadata" not in plain["messages"][0]
    assert full["messages"][0]["metadata"] == metadata


async def test_a_dm_is_the_same_channel_every_time_and_invites_report_members_already_in(slack_standin):
    client = slack_standin.web_client()
    first = await client.conversations_open(users="U0HANAKO")
    again = await client.conversations_open(users="U0HANAKO")
    assert first["channel"]["id"] == again["channel"]["id"] and again["already_open"] is True
    channel = (await client.conversations_create(name="移住課"))["channel"]["id"]
    await client.conversations_invite(channel=channel, users="U0HANAKO")
    assert (await _error(client.conversations_invite(channel=channel, users="U0HANAKO")))["error"] == "already_in_channel"
    assert (await _error(client.conversations_create(name="移住課")))["error"] == "name_taken"


async def test_registered_users_have_their_locale_and_a_trigger_opens_one_view(slack_standin):
    slack_standin.add_user("U0TARO", locale="en-US", tz="Europe/London", name="taro")
    client = slack_standin.web_client()
    user = (await client.users_info(user="U0TARO", include_locale=True))["user"]
    assert user["locale"] == "en-US" and user["tz"] == "Europe/London"
    await client.views_open(trigger_id="1.2.3", view=MODAL)
    assert (await _error(client.views_open(trigger_id="1.2.3", view=MODAL)))["error"] == "exchanged_trigger_id"


async def test_usergroups_are_listed_and_their_members_replaced(slack_standin):
    group = slack_standin.add_usergroup("S0CHIEFS", handle="section-chiefs")
    client = slack_standin.web_client()
    updated = await client.usergroups_users_update(usergroup=group, users=["U0HANAKO", "U0TARO"])
    assert updated["usergroup"]["users"] == ["U0HANAKO", "U0TARO"]
    [listed] = (await client.usergroups_list(include_users=True))["usergroups"]
    assert listed["handle"] == "section-chiefs" and listed["users"] == ["U0HANAKO", "U0TARO"]


def test_rate_limit_fault_answers_429_with_retry_after_for_k_calls(slack_standin):
    slack_standin.rate_limit("chat.postMessage", count=2, retry_after=7)
    with httpx.Client(base_url=slack_standin.url, headers={"Authorization": f"Bearer {slack_standin.token}"}) as http:
        answers = [http.post("chat.postMessage", json={"channel": "C0TOWNHALL", "text": "hi"}) for _ in range(3)]
        other = http.post("auth.test")
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "7" and answers[0].json()["error"] == "ratelimited"
    assert other.status_code == 200
    assert len(slack_standin.messages("C0TOWNHALL")) == 1
    assert [c["fault"] for c in slack_standin.calls("chat.postMessage")] == ["rate_limited", "rate_limited", None]


def test_server_error_and_refusal_faults(slack_standin):
    slack_standin.server_error("conversations.open", count=1, status=503)
    slack_standin.refuse("*", error="account_inactive", count=1)
    with httpx.Client(base_url=slack_standin.url, headers={"Authorization": f"Bearer {slack_standin.token}"}) as http:
        failed = http.post("conversations.open", json={"users": "U0HANAKO"})
        refused = http.post("auth.test")
        fine = http.post("conversations.open", json={"users": "U0HANAKO"})
    assert failed.status_code == 503 and "json" not in failed.headers["content-type"]
    assert refused.status_code == 200 and refused.json() == {"ok": False, "error": "account_inactive"}
    assert fine.json()["ok"] is True


async def test_a_stalled_call_still_acts_after_the_stall(slack_standin):
    slack_standin.stall("chat.postMessage", seconds=0.5)
    impatient = AsyncWebClient(token=slack_standin.token, base_url=slack_standin.url, timeout=0.1)
    with pytest.raises(TimeoutError):
        await impatient.chat_postMessage(channel="C0TOWNHALL", text="slow")
    [call] = await slack_standin.wait_for_calls("chat.postMessage", ok=True, timeout=5)
    assert call["fault"] == "stall"
    assert [m["text"] for m in slack_standin.messages("C0TOWNHALL")] == ["slow"]


def test_bad_fault_requests_are_refused_and_faults_can_be_cleared(slack_standin):
    with httpx.Client(base_url=slack_standin.base_url) as http:
        assert http.post("/_standin/faults", json={"kind": "volcano"}).status_code == 400
        assert http.post("/_standin/faults", json={"kind": "http_error", "status": 404}).status_code == 400
    slack_standin.refuse("auth.test", count=5)
    slack_standin.clear_faults()
    with httpx.Client(base_url=slack_standin.url) as http:
        assert http.post("auth.test", data={"token": slack_standin.token}).json()["ok"] is True


def test_oco_slack_standin_command_is_registered_and_names_the_api_url():
    from oco.cli import build_parser
    from services.slack_standin.config import DEFAULT_TOKEN, StandinSettings
    from services.slack_standin.main import describe

    args = build_parser().parse_args(["slack-standin", "--port", "0"])
    assert args.port == 0 and callable(args.func)
    text = describe("http://127.0.0.1:3900", StandinSettings())
    assert "SLACK_API_URL=http://127.0.0.1:3900/api/" in text and DEFAULT_TOKEN in text
    assert "xoxb-real" not in describe("http://127.0.0.1:3900", StandinSettings(token="xoxb-real-secret"))


def test_a_fault_can_be_aimed_at_calls_with_given_arguments(slack_standin):
    slack_standin.refuse("chat.postMessage", error="channel_not_found", match={"channel": "C0MINE"})
    with httpx.Client(base_url=slack_standin.url, headers={"Authorization": f"Bearer {slack_standin.token}"}) as http:
        other = http.post("chat.postMessage", json={"channel": "C0OTHER", "text": "hi"}).json()
        mine = http.post("chat.postMessage", json={"channel": "C0MINE", "text": "hi"}).json()
    assert other["ok"] is True and mine == {"ok": False, "error": "channel_not_found"}
