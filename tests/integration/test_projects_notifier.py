"""The notifier's proposals module on the real broker and store, talking to the Slack stand-in:
the proposal's post and its live count, status news, refusals, and project channels."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared import topics
from shared.envelope import CloudEvent, new_event
from shared.events import (
    ProjectChannelRequested,
    ProjectProgressReported,
    ProposalActionRefused,
    ProposalCreated,
    ProposalStatusChanged,
    ProposalSupported,
)
from shared.slack_ids import ActionId
from services.notifier.config import NotifierSettings
from services.notifier.handlers import projects
from services.notifier.main import build
from shared.store import connect
from tests.standin_fixture import slack_standin, standin_server  # noqa: F401  (fixture)
from tests.support import TopicWatcher, publish, raw_producer, unique, wait_for_assignment, wait_until

pytestmark = pytest.mark.integration

IDEAS = "C0IDEAS"
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
async def notifier():
    server = standin_server()
    async with own_databases() as prefix:
        settings = NotifierSettings(
            slack_api_url=server.api_url, slack_bot_token=server.settings.token, departments=DEPARTMENTS,
            handler_backoff_seconds=0.05, slack_backoff_seconds=0.05, slack_timeout_seconds=5, database_prefix=prefix,
        )
        runtime = build(settings, handler_modules=[projects])  # only the module under test
        await runtime.start()
        await wait_for_assignment(runtime)
        yield runtime
        await runtime.stop()


def event(topic: topics.Topic, tenant: str, data, subject: str) -> CloudEvent:
    return new_event(type=topic.name, subject=subject, tenant=tenant, source="tests", data=data)


def buttons(message: dict) -> list[tuple[str, str]]:
    return [(e["action_id"], e.get("value", "")) for b in message.get("blocks", []) if b["type"] == "actions"
            for e in b["elements"]]


async def create(tenant: str, author: str, **fields) -> tuple[str, CloudEvent]:
    """Publish `proposal.created`; returns the proposal id and the `proposal.posted` that follows."""
    pid = unique("prop-")
    data = ProposalCreated(proposal_id=pid, user_id=author, title="お試し移住の家", problem="Hard to try",
                           idea="A house for a week", department="moving", **fields)
    async with TopicWatcher(topics.PROPOSAL_POSTED.name) as posted, raw_producer() as producer:
        await publish(producer, event(topics.PROPOSAL_CREATED, tenant, data, pid))
        [report] = await posted.events_for(tenant, timeout=30)
    return pid, report


async def test_a_new_proposal_is_posted_with_its_buttons_and_its_place_is_reported(notifier, slack_standin):
    tenant, author = unique("T"), unique("U")
    pid, report = await create(tenant, author)
    [message] = [m for m in slack_standin.messages(IDEAS) if pid in json.dumps(m.get("blocks"))]
    assert buttons(message) == [(ActionId.SUPPORT_PROPOSAL, pid), (ActionId.ANSWER_PROPOSAL, pid)]
    assert "お試し移住の家" in message["text"] and "👍 0" in message["text"]
    assert (report.data["channel_id"], report.data["ts"]) == (IDEAS, message["ts"])
    assert report.data["permalink"].endswith(message["ts"].replace(".", ""))
    [dm] = slack_standin.dm_messages(author)
    assert report.data["permalink"] in dm["text"]


async def test_a_bulb_proposal_quotes_its_source_and_tells_the_thread(notifier, slack_standin):
    tenant, author = unique("T"), unique("U")
    source = await slack_standin.web_client().chat_postMessage(channel="C0TALK", text="週末に駅前でマルシェを開きたい\n誰か一緒に")
    pid, report = await create(tenant, author, via="reaction", source_channel_id="C0TALK", source_ts=source["ts"])
    assert report.data["source_excerpt"] == "週末に駅前でマルシェを開きたい"
    [reply] = [m for m in slack_standin.messages("C0TALK") if m.get("thread_ts") == source["ts"]]
    assert report.data["permalink"] in reply["text"]
    [message] = [m for m in slack_standin.messages(IDEAS) if pid in json.dumps(m.get("blocks"))]
    assert "マルシェ" in message["text"] and report.data["source_permalink"] in json.dumps(message["blocks"])


async def test_the_post_shows_the_latest_count_even_when_counts_arrive_out_of_order(notifier, slack_standin):
    tenant, author = unique("T"), unique("U")
    pid, report = await create(tenant, author)
    now = datetime.now(UTC)
    counts = [(3, now + timedelta(seconds=3)), (2, now + timedelta(seconds=2))]  # the older count arrives last
    async with raw_producer() as producer:
        for supports, counted_at in counts:
            data = ProposalSupported(proposal_id=pid, user_id=unique("U"), supports=supports, counted_at=counted_at)
            await publish(producer, event(topics.PROPOSAL_SUPPORTED, tenant, data, pid))
        updates = await slack_standin.wait_for_calls("chat.update", count=1, ts=report.data["ts"])
        late = ProposalSupported(proposal_id=pid, user_id=unique("U"), supports=4, counted_at=now + timedelta(seconds=4))
        await publish(producer, event(topics.PROPOSAL_SUPPORTED, tenant, late, pid))
        updates = await slack_standin.wait_for_calls("chat.update", count=2, ts=report.data["ts"])
    assert ["👍 3" in u["args"]["text"] for u in updates] == [True, False] and "👍 4" in updates[-1]["args"]["text"]


async def test_a_review_tells_author_supporters_thread_and_asks_the_chiefs(notifier, slack_standin):
    tenant, author, fan, chief = unique("T"), unique("U"), unique("U"), unique("U")
    pid, report = await create(tenant, author)
    data = ProposalStatusChanged(proposal_id=pid, title="お試し移住の家", status="under_review", previous_status="open",
                                 author_id=author, supporter_ids=[fan], supports=10, section_chief_ids=[chief],
                                 post_channel_id=IDEAS, post_ts=report.data["ts"])
    async with raw_producer() as producer:
        await publish(producer, event(topics.PROPOSAL_STATUS_CHANGED, tenant, data, pid))
    [thread] = await slack_standin.wait_for_calls("chat.postMessage", count=1, thread_ts=report.data["ts"])
    [ask] = await wait_until(lambda: _dms(slack_standin, chief), timeout=20)
    assert "検討" in thread["args"]["text"] and "under review" in thread["args"]["text"]
    assert "検討" in slack_standin.dm_messages(author)[-1]["text"]  # DMs speak the person's language (ja by default)
    assert "検討" in slack_standin.dm_messages(fan)[-1]["text"]
    assert buttons(ask) == [(ActionId.ANSWER_PROPOSAL, pid)]
    [update] = slack_standin.calls("chat.update", ts=report.data["ts"])
    assert "検討中" in update["args"]["text"] and ActionId.SUPPORT_PROPOSAL in json.dumps(update["args"]["blocks"])


async def _dms(standin, user: str) -> list[dict]:
    return standin.dm_messages(user)


async def test_a_refusal_is_explained_ephemerally_where_the_person_clicked(notifier, slack_standin):
    tenant, user = unique("T"), unique("U")
    data = ProposalActionRefused(user_id=user, action="support", code="own_proposal",
                                 reason="you can't support your own proposal", channel_id=IDEAS)
    async with raw_producer() as producer:
        await publish(producer, event(topics.PROPOSAL_ACTION_REFUSED, tenant, data, user))
    [call] = await slack_standin.wait_for_calls("chat.postEphemeral", count=1, user=user)
    assert call["args"]["channel"] == IDEAS and "自分の提案は応援できません" in call["args"]["text"]


async def test_an_accepted_proposal_gets_a_channel_with_its_team_and_progress_is_posted(notifier, slack_standin):
    tenant, owner, author = unique("T"), unique("U"), unique("U")
    await slack_standin.web_client().conversations_create(name="pj-trial-stays-abc123")  # the name is taken
    data = ProjectChannelRequested(project_id="proj-1", proposal_id="prop-1", name="pj-trial-stays-abc123",
                                   title="Trial stays", owner_id=owner, member_ids=[owner, author])
    async with TopicWatcher(topics.PROJECT_CHANNEL_CREATED.name) as created, raw_producer() as producer:
        await publish(producer, event(topics.PROJECT_CHANNEL_REQUESTED, tenant, data, "proj-1"))
        [report] = await created.events_for(tenant, timeout=30)
        channel = report.data["channel_id"]
        [made] = slack_standin.calls("conversations.create", ok=True, name="pj-trial-stays-abc123-2")
        [invite] = slack_standin.calls("conversations.invite", channel=channel)
        assert set(invite["args"]["users"].split(",")) == {owner, author}
        progress = ProjectProgressReported(project_id="proj-1", proposal_id="prop-1", user_id=author,
                                           text="First family booked", title="Trial stays", channel_id=channel)
        await publish(producer, event(topics.PROJECT_PROGRESS_REPORTED, tenant, progress, "proj-1"))
        await slack_standin.wait_for_calls("chat.postMessage", count=2, channel=channel)
    intro, update = slack_standin.messages(channel)
    assert "/oco project update" in intro["text"] and "First family booked" in update["text"]
