"""A proposal end to end: signed Slack requests → gateway → Kafka → projects → notifier → the
Slack stand-in, from `/oco propose` through supports, review and answer to the project's launch."""

from __future__ import annotations

import contextlib
import json
import os
import uuid

import pytest

from services.gateway.config import GatewaySettings
from services.notifier.config import NotifierSettings
from services.notifier.handlers import projects as projects_news
from services.notifier.main import build as build_notifier
from services.projects.config import ProjectsSettings
from services.projects.main import create_app as create_projects_app
from shared import topics
from shared.envelope import new_event
from shared.events import RoleGranted
from shared.slack_ids import ActionId, CallbackId
from shared.store import connect
from tests import slack_signing as slack
from tests.e2e.conftest import SECRET
from tests.e2e.gateway import running_gateway, serve_in_process
from tests.standin_fixture import slack_standin, standin_server  # noqa: F401  (fixture)
from tests.support import publish, raw_producer, unique, wait_for_assignment, wait_until

pytestmark = pytest.mark.e2e

THRESHOLD = 3
IDEAS = "C0E2EIDEAS"
DEPARTMENTS = json.dumps([
    {"key": "ideas", "name_ja": "アイデア課", "name_en": "Ideas", "channel_id": IDEAS, "channel_name": "アイデア課"},
    {"key": "moving", "name_ja": "移住課", "name_en": "Moving Here", "channel_name": "移住課"},
])


@contextlib.asynccontextmanager
async def own_databases():
    """A database prefix of this module's own, dropped afterwards: other test sessions running
    the same services at the same time then can't claim this module's records."""
    prefix = f"t{uuid.uuid4().hex[:8]}_"
    yield prefix
    client = connect(os.environ["OCO_MONGO_URL"])
    try:
        for name in await client.list_database_names():
            if name.startswith(prefix):
                await client.drop_database(name)
    finally:
        await client.close()


@pytest.fixture(scope="module")
async def city():
    """The gateway, the projects service (with its HTTP side) and the notifier, on the stand-in."""
    server = standin_server()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OCO_DEPARTMENTS", DEPARTMENTS)
        async with contextlib.AsyncExitStack() as stack:
            prefix = await stack.enter_async_context(own_databases())
            projects_app = create_projects_app(ProjectsSettings(
                support_threshold=THRESHOLD, handler_backoff_seconds=0.05, database_prefix=prefix))
            notifier = build_notifier(NotifierSettings(
                slack_api_url=server.api_url, slack_bot_token=server.settings.token, departments=DEPARTMENTS,
                handler_backoff_seconds=0.05, slack_backoff_seconds=0.05, slack_timeout_seconds=5,
                database_prefix=prefix,
            ), handler_modules=[projects_news])
            env.setenv("OCO_PROJECTS_URL", await stack.enter_async_context(serve_in_process(projects_app)))
            gateway = await stack.enter_async_context(running_gateway(
                GatewaySettings(signing_secret=SECRET, bot_token=server.settings.token, slack_api_url=server.api_url)))
            await notifier.start()
            stack.push_async_callback(notifier.stop)
            await wait_for_assignment(projects_app.state.runtime)
            await wait_for_assignment(notifier)
            yield gateway, projects_app.state.runtime


async def post(gateway, body: bytes):
    response = await slack.send(gateway.http, gateway.events_url, body, SECRET)
    assert response.status_code == 200, response.text
    return response


def buttons(message: dict) -> dict[str, str]:
    return {e["action_id"]: e.get("value", "") for b in message.get("blocks", []) if b["type"] == "actions"
            for e in b["elements"]}


async def appoint_chief(runtime, tenant: str, chief: str) -> None:
    """A section chief as the roles service announces one (its own e2e covers the appointment)."""
    granted = new_event(type=topics.ROLE_GRANTED.name, subject=chief, tenant=tenant, source="tests",
                        data=RoleGranted(user_id=chief, role="section_chief", department="moving"))
    async with raw_producer() as producer:
        await publish(producer, granted)
    await wait_until(lambda: runtime.db["chief_changes"].find_one({"tenant": tenant, "user_id": chief}), timeout=30)


async def open_modal(gateway, standin, body: bytes, trigger: str, callback_id: str) -> dict:
    await post(gateway, body)
    [opened] = standin.calls("views.open", trigger_id=trigger)
    assert opened["ok"] and opened["args"]["view"]["callback_id"] == callback_id
    return opened["args"]["view"]


async def test_a_proposal_goes_from_oco_propose_through_supports_and_an_answer_to_a_launched_project(city, slack_standin):
    gateway, projects_runtime = city
    tenant, author, chief, resident = unique("T"), unique("U"), unique("U"), unique("U")
    fans = [unique("U") for _ in range(THRESHOLD)]
    await appoint_chief(projects_runtime, tenant, chief)

    # /oco propose opens the form; its submission becomes the post in the ideas channel.
    trigger = f"{unique('')}.propose"
    view = await open_modal(gateway, slack_standin, slack.slash_command(
        "propose", team_id=tenant, user_id=author, trigger_id=trigger, channel_id="C0TALK"), trigger,
        CallbackId.PROPOSAL_MODAL)
    values = {"title": {"title": slack.text_value("お試し移住の家")},
              "problem": {"problem": slack.text_value("移住前に暮らしを試せない")},
              "idea": {"idea": slack.text_value("一週間住める家を用意する")},
              "department": {"department": slack.selected("moving")}}
    await post(gateway, slack.view_submission(CallbackId.PROPOSAL_MODAL, values, team_id=tenant, user_id=author,
                                              private_metadata=view["private_metadata"]))
    [card] = await wait_until(lambda: _posts_with(slack_standin, IDEAS, ActionId.SUPPORT_PROPOSAL), timeout=30)
    proposal_id = buttons(card)[ActionId.SUPPORT_PROPOSAL]

    def support(user: str) -> bytes:
        return slack.block_actions(ActionId.SUPPORT_PROPOSAL, team_id=tenant, user_id=user, value=proposal_id,
                                   channel_id=IDEAS, message_ts=card["ts"])

    # The author can't support their own idea: told ephemerally, nothing counted.
    await post(gateway, support(author))
    [refusal] = await slack_standin.wait_for_calls("chat.postEphemeral", count=1, user=author, timeout=30)
    assert refusal["args"]["channel"] == IDEAS and "自分の提案" in refusal["args"]["text"]

    # Residents support it; /oco proposals lists it with its count; the post's count follows.
    await post(gateway, support(fans[0]))
    await wait_until(lambda: _updated_with(slack_standin, card["ts"], "👍 1"), timeout=30)
    listing = (await post(gateway, slack.slash_command("proposals", team_id=tenant, user_id=resident))).json()
    assert "お試し移住の家" in listing["text"] and "👍 1" in listing["text"]
    for fan in fans[1:]:
        await post(gateway, support(fan))

    # At the threshold the chief is asked to answer; a resident's answer is refused.
    [ask] = await wait_until(lambda: _dms_with(slack_standin, chief, ActionId.ANSWER_PROPOSAL), timeout=30)
    assert buttons(ask)[ActionId.ANSWER_PROPOSAL] == proposal_id
    answer = {"decision": {"decision": slack.radio("accepted")},
              "answer": {"answer": slack.text_value("採用します。来月から始めましょう")}}
    for who in (resident, chief):
        trigger = f"{unique('')}.answer"
        click = slack.block_actions(ActionId.ANSWER_PROPOSAL, team_id=tenant, user_id=who, value=proposal_id,
                                    trigger_id=trigger, channel_id=IDEAS, message_ts=card["ts"])
        view = await open_modal(gateway, slack_standin, click, trigger, CallbackId.ANSWER_MODAL)
        await post(gateway, slack.view_submission(CallbackId.ANSWER_MODAL, answer, team_id=tenant, user_id=who,
                                                  private_metadata=view["private_metadata"]))
    [denied] = await slack_standin.wait_for_calls("chat.postEphemeral", count=1, user=resident, timeout=30)
    assert "課長" in denied["args"]["text"]

    # Accepted: a channel for the project with its team, and everyone is told it has started.
    [created] = await slack_standin.wait_for_calls("conversations.create", count=1, ok=True, timeout=30)
    [invite] = await slack_standin.wait_for_calls("conversations.invite", count=1, timeout=30)
    channel = invite["args"]["channel"]
    assert created["args"]["name"].startswith("pj-お試し移住の家-")
    assert set(invite["args"]["users"].split(",")) == {chief, author, *fans}
    for person in (author, *fans):
        await wait_until(lambda p=person: _dm_mentions(slack_standin, p, f"<#{channel}>"), timeout=30)
    await wait_until(lambda: _thread_mentions(slack_standin, IDEAS, card["ts"], f"<#{channel}>"), timeout=30)
    assert await _thread_mentions(slack_standin, IDEAS, card["ts"], "採用")
    [final] = slack_standin.calls("chat.update", ts=card["ts"])[-1:]
    assert "進行中" in final["args"]["text"] and ActionId.SUPPORT_PROPOSAL not in json.dumps(final["args"]["blocks"])


async def _posts_with(standin, channel: str, action_id: str) -> list[dict]:
    return [m for m in standin.messages(channel) if action_id in buttons(m)]


async def _dms_with(standin, user: str, action_id: str) -> list[dict]:
    return [m for m in standin.dm_messages(user) if action_id in buttons(m)]


async def _dm_mentions(standin, user: str, text: str) -> bool:
    return any(text in m["text"] for m in standin.dm_messages(user))


async def _updated_with(standin, ts: str, text: str) -> bool:
    return any(text in c["args"]["text"] for c in standin.calls("chat.update", ts=ts))


async def _thread_mentions(standin, channel: str, ts: str, text: str) -> bool:
    return any(text in m["text"] for m in standin.messages(channel) if m.get("thread_ts") == ts)


async def test_propose_this_opens_the_form_prefilled_from_the_message_and_keeps_it_as_the_source(city, slack_standin):
    gateway, _ = city
    tenant, user = unique("T"), unique("U")
    message = {"type": "message", "user": unique("U"), "ts": "1700000000.000300",
               "text": "駅前の空き家をお試し住宅に\n週末だけでも泊まれたら"}
    await post(gateway, slack.message_shortcut(CallbackId.PROPOSE_SHORTCUT, team_id=tenant, user_id=user,
                                               channel_id="C0TALK", message=message))
    [opened] = await slack_standin.wait_for_calls("views.open", count=1)
    view = opened["args"]["view"]
    fields = {b.get("block_id"): b.get("element", {}) for b in view["blocks"]}
    assert view["callback_id"] == CallbackId.PROPOSAL_MODAL
    assert fields["title"]["initial_value"] == "駅前の空き家をお試し住宅に"
    assert fields["idea"]["initial_value"] == message["text"]
    assert json.loads(view["private_metadata"]) == {"via": "shortcut", "channel_id": "C0TALK",
                                                    "source_channel_id": "C0TALK", "source_ts": "1700000000.000300"}
