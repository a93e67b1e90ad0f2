"""The gateway's proposal listeners on an in-memory bus: forms, clicks and `/oco` subcommands."""

from __future__ import annotations

import json

import httpx
import pytest

from services.gateway.bus import InMemoryBus
from services.gateway.config import GatewaySettings
from services.gateway.listeners.commands import proposals as proposal_commands
from services.gateway.listeners.proposals_forms import (
    AnswerContext,
    ProposalContext,
    answer_modal,
    prefill_from_message,
    proposal_modal,
    read_proposal_form,
)
from services.gateway.listeners.proposals_requests import describe_proposals
from services.gateway.main import create_app
from services.gateway.models import FormInvalid
from shared.departments import DEFAULT_DEPARTMENTS
from shared.slack_ids import ActionId, CallbackId
from tests import slack_signing as slack

pytestmark = pytest.mark.unit

SECRET = "unit-signing-secret"
TEAM, USER = "T0CITY", "U0HANAKO"


@pytest.fixture
async def edge():
    bus = InMemoryBus()
    app = create_app(GatewaySettings(signing_secret=SECRET), bus=bus)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:

        async def post(body: bytes) -> httpx.Response:
            return await slack.send(http, "/slack/events", body, SECRET)

        post.bus = bus
        yield post


def proposal_values(title="Trial stays", problem="", idea="A house for a week", department="moving") -> dict:
    return {"title": {"title": slack.text_value(title)}, "problem": {"problem": slack.text_value(problem)},
            "idea": {"idea": slack.text_value(idea)}, "department": {"department": slack.selected(department)}}


def test_the_proposal_form_needs_a_title_something_to_propose_and_a_known_department():
    form = read_proposal_form(proposal_values(title=" Trial stays "), departments=DEFAULT_DEPARTMENTS)
    assert (form.title, form.idea, form.department) == ("Trial stays", "A house for a week", "moving")
    with pytest.raises(FormInvalid) as invalid:
        read_proposal_form(proposal_values(title="", idea="", department="nowhere"), departments=DEFAULT_DEPARTMENTS)
    assert set(invalid.value.errors) == {"title", "idea", "department"}


def test_the_modals_carry_their_context_and_default_to_the_ideas_department():
    modal = proposal_modal(DEFAULT_DEPARTMENTS, ProposalContext(via="shortcut", source_channel_id="C1", source_ts="1.2"),
                           title="A title", idea="The text")
    assert modal["callback_id"] == CallbackId.PROPOSAL_MODAL
    assert json.loads(modal["private_metadata"]) == {"via": "shortcut", "source_channel_id": "C1", "source_ts": "1.2"}
    department = next(b for b in modal["blocks"] if b.get("block_id") == "department")
    assert department["element"]["initial_option"]["value"] == "ideas"
    assert next(b for b in modal["blocks"] if b.get("block_id") == "title")["element"]["initial_value"] == "A title"
    answer = answer_modal(AnswerContext(proposal_id="p1", channel_id="C2"))
    assert answer["callback_id"] == CallbackId.ANSWER_MODAL and json.loads(answer["private_metadata"])["proposal_id"] == "p1"


def test_a_message_prefills_title_and_idea():
    assert prefill_from_message("\n  Radio show \nmade from our posts") == ("Radio show", "Radio show \nmade from our posts")
    assert prefill_from_message("") == ("", "")
    assert len(prefill_from_message("x" * 500)[0]) == 150


def test_open_proposals_are_listed_with_their_supports():
    text = describe_proposals([{"title": "Map <of> places", "supports": 7, "department": "places",
                                "post_permalink": "https://city.slack.com/archives/C1/p1"}], DEFAULT_DEPARTMENTS)
    assert "👍 7" in text and "おすすめスポット課" in text and "<https://city.slack.com/archives/C1/p1|Map &lt;of&gt; places>" in text
    assert "No open proposals" in describe_proposals([], DEFAULT_DEPARTMENTS)


async def test_a_support_click_publishes_a_request_keyed_by_proposal_and_resident(edge):
    body = slack.block_actions(ActionId.SUPPORT_PROPOSAL, team_id=TEAM, user_id=USER, value="prop-1",
                               channel_id="C0IDEAS", message_ts="1700000000.000100")
    assert (await edge(body)).status_code == 200
    assert (await edge(body)).status_code == 200  # the same click delivered twice
    first, second = edge.bus.of_type("proposal.support_requested")
    assert first.id == second.id and first.subject == f"prop-1:{USER}"
    assert (first.data["proposal_id"], first.data["user_id"], first.data["channel_id"]) == ("prop-1", USER, "C0IDEAS")


async def test_a_proposal_submission_is_checked_then_published_with_its_source(edge):
    metadata = ProposalContext(via="shortcut", channel_id="C0TALK", source_channel_id="C0TALK",
                               source_ts="1700000000.000200").model_dump_json()
    bad = slack.view_submission(CallbackId.PROPOSAL_MODAL, proposal_values(title="", idea=""), team_id=TEAM,
                                user_id=USER, private_metadata=metadata)
    answer = (await edge(bad)).json()
    assert answer["response_action"] == "errors" and set(answer["errors"]) == {"title", "idea"} and edge.bus.events == []
    good = slack.view_submission(CallbackId.PROPOSAL_MODAL, proposal_values(), team_id=TEAM, user_id=USER,
                                 private_metadata=metadata, view_id="V0PROPOSE")
    assert (await edge(good)).status_code == 200
    [event] = edge.bus.of_type("proposal.submitted")
    assert event.tenant == TEAM and event.subject == USER
    assert (event.data["title"], event.data["via"], event.data["source_channel_id"], event.data["source_ts"]) == (
        "Trial stays", "shortcut", "C0TALK", "1700000000.000200")


async def test_an_answer_needs_a_decision_and_an_official_answer(edge):
    metadata = AnswerContext(proposal_id="prop-1", channel_id="C0IDEAS").model_dump_json()
    empty = slack.view_submission(CallbackId.ANSWER_MODAL, {"decision": {"decision": slack.radio(None)},
                                  "answer": {"answer": slack.text_value(" ")}}, team_id=TEAM, user_id="U0CHIEF",
                                  private_metadata=metadata)
    assert set((await edge(empty)).json()["errors"]) == {"decision", "answer"} and edge.bus.events == []
    sent = slack.view_submission(CallbackId.ANSWER_MODAL, {"decision": {"decision": slack.radio("declined")},
                                 "answer": {"answer": slack.text_value("Not this year")}}, team_id=TEAM,
                                 user_id="U0CHIEF", private_metadata=metadata)
    assert (await edge(sent)).status_code == 200
    [event] = edge.bus.of_type("proposal.answer_submitted")
    assert (event.data["proposal_id"], event.data["user_id"], event.data["decision"], event.data["answer"]) == (
        "prop-1", "U0CHIEF", "declined", "Not this year")


async def test_project_updates_are_published_from_the_project_channel(edge):
    command = slack.slash_command("project update First guests arrive\nin May", team_id=TEAM, user_id=USER,
                                  channel_id="C0PROJECT")
    assert (await edge(command)).json()["response_type"] == "ephemeral"
    [event] = edge.bus.of_type("project.progress_submitted")
    assert (event.data["text"], event.data["channel_id"]) == ("First guests arrive\nin May", "C0PROJECT")
    done = slack.slash_command("project complete 12 families stayed", team_id=TEAM, user_id=USER, channel_id="C0PROJECT")
    await edge(done)
    [completed] = edge.bus.of_type("project.completion_submitted")
    assert completed.data["summary"] == "12 families stayed"


async def test_a_mistyped_project_command_publishes_nothing(edge):
    answer = (await edge(slack.slash_command("project finish", team_id=TEAM, user_id=USER))).json()
    assert "/oco project update" in answer["text"] and edge.bus.events == []


async def test_proposals_are_listed_from_the_projects_service(edge, monkeypatch):
    class Lookup:
        async def open_proposals(self, tenant):
            assert tenant == TEAM
            return [{"title": "Trial stays", "supports": 3, "department": "moving"}]

    monkeypatch.setattr(proposal_commands, "_lookup", Lookup())
    answer = (await edge(slack.slash_command("proposals", team_id=TEAM, user_id=USER))).json()
    assert "Trial stays" in answer["text"] and "👍 3" in answer["text"]


async def test_an_unreachable_projects_service_is_explained(edge, monkeypatch):
    class Down:
        async def open_proposals(self, tenant):
            raise httpx.ConnectError("refused")

    monkeypatch.setattr(proposal_commands, "_lookup", Down())
    answer = (await edge(slack.slash_command("proposals", team_id=TEAM, user_id=USER))).json()
    assert "Could not load the proposals" in answer["text"]
