"""The gateway's Slack edge on an in-memory bus: commands, buttons, modals, errors, wiring."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from slack_sdk.socket_mode.request import SocketModeRequest

from services.gateway import flows, listeners, messages
from services.gateway.bus import InMemoryBus
from services.gateway.config import GatewaySettings
from services.gateway.listeners.commands import oco
from services.gateway.main import build, create_app
from services.gateway.models import CONSENT_VALUE
from shared.slack_ids import ActionId, CallbackId
from tests import slack_signing as slack

pytestmark = pytest.mark.unit

SECRET = "unit-signing-secret"
TEAM, USER = "T0CITY", "U0HANAKO"
NOWHERE = "http://127.0.0.1:9/response"  # never called: `flows.tell` is recorded instead


@pytest.fixture
async def edge(monkeypatch):
    told: list[dict] = []

    async def tell(respond, **message) -> None:  # what would go to the response_url
        told.append(message)

    monkeypatch.setattr(flows, "tell", tell)
    bus = InMemoryBus()
    app = create_app(GatewaySettings(signing_secret=SECRET), bus=bus)
    transport = httpx.ASGITransport(app=app)  # no lifespan: the in-memory bus needs no connection
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:

        async def post(body: bytes, **kw) -> httpx.Response:
            return await slack.send(http, "/slack/events", body, SECRET, **kw)

        post.bus, post.told = bus, told
        yield post


def command(text: str) -> bytes:
    return slack.slash_command(text, team_id=TEAM, user_id=USER, response_url=NOWHERE)


def profile_values(consent: bool = True) -> dict:
    return {
        "category": {"category": slack.selected("remote_citizen")},
        "language": {"language": slack.radio("ja")},
        "consent": {"consent": slack.checked(CONSENT_VALUE) if consent else slack.checked()},
    }


async def test_help_lists_every_subcommand_in_both_languages(edge):
    for text in ("help", "", "HELP"):
        answer = (await edge(command(text))).json()
        assert answer["response_type"] == "ephemeral"
        for name in oco.SUBCOMMANDS:
            assert f"/oco {name}" in answer["text"]
    assert "Explains the commands" in answer["text"] and "使えるコマンド" in answer["text"]


async def test_an_unknown_subcommand_gets_a_helpful_answer(edge):
    response = await edge(command("dance now"))
    assert response.status_code == 200
    assert "dance" in response.json()["text"] and "/oco help" in response.json()["text"]


async def test_leave_asks_for_confirmation_and_publishes_nothing_yet(edge):
    answer = (await edge(command("leave"))).json()
    buttons = [e["action_id"] for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == [ActionId.CONFIRM_LEAVE, ActionId.CANCEL_LEAVE]
    assert edge.bus.events == []


async def test_confirming_leave_publishes_one_requested_leave_even_when_clicked_twice(edge):
    click = slack.block_actions(ActionId.CONFIRM_LEAVE, team_id=TEAM, user_id=USER, response_url=NOWHERE,
                                message_ts="1717000000.000100", ephemeral=True)
    assert (await edge(click)).status_code == 200
    again = slack.block_actions(ActionId.CONFIRM_LEAVE, team_id=TEAM, user_id=USER, response_url=NOWHERE,
                                message_ts="1717000000.000100", ephemeral=True)
    assert (await edge(again)).status_code == 200
    left = edge.bus.of_type("resident.left")
    assert len({e.id for e in left}) == 1
    assert left[0].data == {"schema_version": 1, "user_id": USER, "reason": "requested"}
    assert (left[0].tenant, left[0].subject) == (TEAM, USER)
    assert edge.told[0] == {"text": messages.LEAVE_DONE, "replace_original": True}


async def test_cancelling_leave_publishes_nothing(edge):
    click = slack.block_actions(ActionId.CANCEL_LEAVE, team_id=TEAM, user_id=USER, response_url=NOWHERE, ephemeral=True)
    assert (await edge(click)).status_code == 200
    assert edge.bus.events == []
    assert edge.told == [{"text": messages.LEAVE_CANCELLED, "replace_original": True}]


async def test_a_profile_without_consent_comes_back_with_an_inline_error(edge):
    body = slack.view_submission(CallbackId.PROFILE_MODAL, profile_values(consent=False), team_id=TEAM, user_id=USER)
    response = await edge(body)
    assert response.status_code == 200
    assert response.json()["response_action"] == "errors" and set(response.json()["errors"]) == {"consent"}
    assert edge.bus.events == []


async def test_a_valid_profile_is_published_and_the_modal_closes(edge):
    body = slack.view_submission(CallbackId.PROFILE_MODAL, profile_values(), team_id=TEAM, user_id=USER, view_id="V1")
    response = await edge(body)
    assert response.status_code == 200 and response.text == ""
    [submitted] = edge.bus.of_type("resident.profile_submitted")
    assert submitted.data["category"] == "remote_citizen" and submitted.data["consent"] is True
    assert (submitted.tenant, submitted.subject, submitted.data["user_id"]) == (TEAM, USER, USER)
    await edge(body)  # a double submit of the same modal
    assert len({e.id for e in edge.bus.of_type("resident.profile_submitted")}) == 1


async def test_when_the_bus_refuses_events_get_503_and_people_are_told(edge):
    edge.bus.fail_with = "publish failed: KafkaTimeoutError"
    event = slack.event_callback(slack.team_join_event("U1"), team_id=TEAM)
    assert (await edge(event)).status_code == 503
    submission = slack.view_submission(CallbackId.PROFILE_MODAL, profile_values(), team_id=TEAM, user_id=USER)
    assert (await edge(submission)).status_code == 503  # the modal stays open for another try
    click = slack.block_actions(ActionId.CONFIRM_LEAVE, team_id=TEAM, user_id=USER, response_url=NOWHERE)
    assert (await edge(click)).status_code == 200
    assert edge.bus.events == []
    [told] = edge.told  # through response_url: try again
    assert told["response_type"] == "ephemeral" and "try again" in told["text"]


async def test_an_unexpected_error_is_logged_with_an_id_and_answered_500(edge, caplog, monkeypatch):
    from services.gateway import translate

    def broken(body):
        raise RuntimeError("a bug")

    monkeypatch.setattr(translate, "team_joined", broken)
    with caplog.at_level(logging.ERROR, logger="services.gateway.app"):
        response = await edge(slack.event_callback(slack.team_join_event("U1"), team_id=TEAM))
    assert response.status_code == 500
    error_id = response.json()["error_id"]
    assert any(error_id in record.getMessage() and record.exc_info for record in caplog.records)


async def test_a_signed_event_without_a_team_or_user_is_malformed(edge):
    body = json.loads(slack.event_callback({"type": "team_join"}, team_id=TEAM))
    assert (await edge(json.dumps(body).encode())).status_code == 400


async def test_shortcuts_and_buttons_nobody_handles_are_acknowledged(edge):
    shortcut = slack.message_shortcut("something_else", team_id=TEAM, user_id=USER)
    assert (await edge(shortcut)).status_code == 200
    link = slack.block_actions("a_link_button", team_id=TEAM, user_id=USER, response_url=NOWHERE)
    assert (await edge(link)).status_code == 200


# --- the registry and the wiring ------------------------------------------------------------


def test_a_subcommand_name_cannot_be_claimed_twice():
    with pytest.raises(ValueError):
        oco.subcommand("help", help_ja="x", help_en="x")(lambda ctx: None)


def test_other_modules_add_subcommands_that_help_lists(monkeypatch):
    monkeypatch.setattr(oco, "SUBCOMMANDS", dict(oco.SUBCOMMANDS))

    @oco.subcommand("census", help_ja="国勢調査", help_en="Take part in the census")
    async def census(ctx):
        return None

    usages = [usage for usage, _, _ in oco.command_help()]
    assert "/oco census" in usages and usages[-1] == "/oco help"


def test_every_listener_module_is_found_and_registers():
    names = [m.__name__.rsplit(".", 2)[-2:] for m in listeners.listener_modules()]
    assert ["events", "team_join"] in names and ["commands", "oco"] in names and ["views", "profile_modal"] in names


def test_command_text_is_split_into_a_subcommand_and_arguments():
    assert oco.parse("  Apply   now please ") == ("apply", ["now", "please"])
    assert oco.parse("") == ("help", [])


def test_settings_use_slack_names_and_refuse_a_missing_secret(monkeypatch):
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "from-env")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:3900/api")
    monkeypatch.setenv("OCO_GATEWAY_PORT", "3123")
    settings = GatewaySettings()
    assert settings.signing_secret.get_secret_value() == "from-env" and settings.port == 3123
    assert settings.web_api_url == "http://127.0.0.1:3900/api/"
    assert "from-env" not in repr(settings)
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    with pytest.raises(ValueError, match="SLACK_SIGNING_SECRET"):
        GatewaySettings()


def test_socket_mode_needs_an_app_token():
    with pytest.raises(ValueError, match="SLACK_APP_TOKEN"):
        GatewaySettings(slack_socket_mode=True)
    with pytest.raises(ValueError, match="SLACK_APP_TOKEN"):
        GatewaySettings(slack_socket_mode=True, app_token="xoxb-not-an-app-token")


class FakeSocketClient:
    """Stands in for the Socket Mode WebSocket: records what would be sent back to Slack."""

    logger = logging.getLogger("tests.socket")

    def __init__(self) -> None:
        self.acks: list = []

    async def send_socket_mode_response(self, response) -> None:
        self.acks.append(response)


async def test_socket_mode_is_wired_to_the_same_app_and_acks_only_what_was_published():
    bus = InMemoryBus()
    settings = GatewaySettings(slack_socket_mode=True, app_token="xapp-1-unit", slack_api_url="http://127.0.0.1:9/api/")
    gateway = build(settings, bus=bus)
    handler = gateway.socket_mode
    assert handler.app is gateway.bolt and handler.app_token == "xapp-1-unit"
    assert handler.client.web_client.base_url == "http://127.0.0.1:9/api/"
    http_side = create_app(settings, bus=bus)
    assert "/slack/events" not in [r.path for r in http_side.routes]
    await http_side.state.gateway.socket_mode.client.close()

    socket = FakeSocketClient()
    payload = json.loads(slack.event_callback(slack.team_join_event("U1"), team_id=TEAM, event_id="EvSock"))
    await handler.handle(socket, SocketModeRequest(type="events_api", envelope_id="env-1", payload=payload))
    assert [a.envelope_id for a in socket.acks] == ["env-1"] and [e.id for e in bus.events] == ["EvSock"]

    bus.fail_with = "down"
    await handler.handle(socket, SocketModeRequest(type="events_api", envelope_id="env-2", payload=payload))
    assert [a.envelope_id for a in socket.acks] == ["env-1"]  # not acknowledged: Slack redelivers
    await handler.client.close()
