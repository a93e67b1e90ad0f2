"""The gateway's roles listeners on an in-memory bus: syntax, modals, review clicks."""

from __future__ import annotations

import json

import httpx
import pytest

from services.gateway.bus import InMemoryBus
from services.gateway.config import GatewaySettings
from services.gateway.listeners.roles_forms import RejectionContext, read_application_form
from services.gateway.listeners.roles_requests import CommandSyntaxError, describe_roles, parse_role_request
from services.gateway.main import create_app
from shared.departments import DEFAULT_DEPARTMENTS
from shared.slack_ids import ActionId, CallbackId
from tests import slack_signing as slack

pytestmark = pytest.mark.unit

SECRET = "unit-signing-secret"
TEAM, USER = "T0CITY", "U0ADMIN"


@pytest.fixture
async def edge():
    bus = InMemoryBus()
    app = create_app(GatewaySettings(signing_secret=SECRET), bus=bus)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:

        async def post(body: bytes) -> httpx.Response:
            return await slack.send(http, "/slack/events", body, SECRET)

        post.bus = bus
        yield post


def command(text: str) -> bytes:
    return slack.slash_command(text, team_id=TEAM, user_id=USER, channel_id="C0OFFICE")


def test_appointments_parse_mentions_terms_and_departments():
    request = parse_role_request(["<@U0HANAKO|hanako>", "Section-Chief", "until", "2026-06-30", "移住課"],
                                 departments=DEFAULT_DEPARTMENTS, allow_term=True)
    assert (request.target_user_id, request.role, request.term_ends_on, request.department) == (
        "U0HANAKO", "section_chief", "2026-06-30", "moving")
    exact = parse_role_request(["U0TARO", "ambassador", "until", "2026-06-30T12:00:00+09:00"],
                               departments=DEFAULT_DEPARTMENTS, allow_term=True)
    assert exact.term_ends_at.isoformat() == "2026-06-30T12:00:00+09:00" and exact.term_ends_on is None


@pytest.mark.parametrize("words", [
    [], ["<@U0HANAKO>"], ["@hanako", "employee"], ["<@U0HANAKO>", "mayor"],
    ["<@U0HANAKO>", "ambassador", "until", "someday"], ["<@U0HANAKO>", "ambassador", "until", "2026-06-30T12:00"],
    ["<@U0HANAKO>", "ambassador", "nowhere"],
])
def test_bad_role_commands_say_what_is_wrong(words):
    with pytest.raises(CommandSyntaxError):
        parse_role_request(words, departments=DEFAULT_DEPARTMENTS, allow_term=True)


def test_the_application_form_is_checked_before_anything_is_published():
    values = {"motivation": {"motivation": slack.text_value(" I like it ")},
              "hours_per_month": {"hours_per_month": {"type": "number_input", "value": "12"}}}
    form = read_application_form(values)
    assert (form.motivation, form.skills, form.hours_per_month) == ("I like it", "", 12)
    from services.gateway.models import FormInvalid

    with pytest.raises(FormInvalid) as invalid:
        read_application_form({"hours_per_month": {"hours_per_month": {"type": "number_input", "value": "-3"}}})
    assert set(invalid.value.errors) == {"motivation", "hours_per_month"}


def test_roles_are_described_with_department_and_term():
    text = describe_roles("U1", [{"role": "section_chief", "department": "moving", "term_ends_at": "2026-06-30T15:00:00+00:00"}],
                          DEFAULT_DEPARTMENTS)
    assert "課長 / section chief" in text and "移住課" in text and "2026-06-30" in text
    assert "no roles" in describe_roles("U1", [], DEFAULT_DEPARTMENTS)


async def test_appoint_publishes_a_request_and_answers_ephemerally(edge):
    answer = (await edge(command("appoint <@U0HANAKO|hanako> section_chief until 2026-06-30 moving"))).json()
    assert answer["response_type"] == "ephemeral"
    [event] = edge.bus.of_type("role.appointment_requested")
    assert event.tenant == TEAM and event.subject == "U0HANAKO"
    assert (event.data["actor_id"], event.data["role"], event.data["department"], event.data["channel_id"]) == (
        USER, "section_chief", "moving", "C0OFFICE")


async def test_a_mistyped_command_publishes_nothing(edge):
    answer = (await edge(command("revoke hanako"))).json()
    assert "/oco revoke @someone ROLE" in answer["text"]
    assert edge.bus.events == []


async def test_an_approve_click_publishes_the_attempt_with_where_it_was_clicked(edge):
    body = slack.block_actions(ActionId.APPROVE_APPLICATION, team_id=TEAM, user_id="U0CLICKER", value="app-1",
                               channel_id="C0REVIEW", message_ts="1700000000.000100")
    assert (await edge(body)).status_code == 200
    [event] = edge.bus.of_type("role.application_reviewed")
    assert (event.data["application_id"], event.data["reviewer_id"], event.data["decision"]) == ("app-1", "U0CLICKER", "approve")
    assert (event.data["channel_id"], event.data["message_ts"]) == ("C0REVIEW", "1700000000.000100")


async def test_a_rejection_needs_a_reason_before_it_is_published(edge):
    metadata = RejectionContext(application_id="app-1", channel_id="C0REVIEW").model_dump_json()
    empty = slack.view_submission(CallbackId.REJECTION_MODAL, {"reason": {"reason": slack.text_value("  ")}},
                                  team_id=TEAM, user_id="U0CHIEF", private_metadata=metadata)
    assert (await edge(empty)).json()["response_action"] == "errors" and edge.bus.events == []
    sent = slack.view_submission(CallbackId.REJECTION_MODAL, {"reason": {"reason": slack.text_value("Not now")}},
                                 team_id=TEAM, user_id="U0CHIEF", private_metadata=metadata)
    assert (await edge(sent)).status_code == 200
    [event] = edge.bus.of_type("role.application_reviewed")
    assert (event.data["decision"], event.data["reason"], event.data["channel_id"]) == ("reject", "Not now", "C0REVIEW")


async def test_the_application_modal_publishes_one_application_per_modal(edge):
    values = {"motivation": {"motivation": slack.text_value("help")},
              "hours_per_month": {"hours_per_month": {"type": "number_input", "value": "5"}}}
    body = slack.view_submission(CallbackId.APPLICATION_MODAL, values, team_id=TEAM, user_id="U0HANAKO", view_id="V0APPLY")
    await edge(body)
    await edge(body)
    first, second = edge.bus.of_type("role.application_submitted")
    assert first.id == second.id and first.data["hours_per_month"] == 5
    assert json.loads(first.to_bytes())["subject"] == "U0HANAKO"
