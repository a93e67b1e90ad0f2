"""The projects service on the real broker and store, with two instances in one consumer
group: proposals from submission to completion, refusals that change nothing, replays,
and 200 residents supporting one proposal at once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid

import httpx
import pytest
from starlette.applications import Starlette

from shared import topics
from shared.envelope import CloudEvent, new_event
from shared.events import (
    ProjectChannelCreated,
    ProjectCompletionSubmitted,
    ProjectProgressSubmitted,
    ProposalAnswerSubmitted,
    ProposalPosted,
    ProposalSubmitted,
    ProposalSupportRequested,
    ReactionAdded,
    RoleGranted,
)
from services.projects import api
from services.projects.config import ProjectsSettings
from services.projects.main import build
from services.projects.store import MongoProjectsStore
from shared.store import connect
from tests.support import TopicWatcher, publish, raw_producer, unique, wait_for_assignment, wait_until

pytestmark = pytest.mark.integration

THRESHOLD = 5
WATCHED = {
    "created": topics.PROPOSAL_CREATED, "supported": topics.PROPOSAL_SUPPORTED,
    "status": topics.PROPOSAL_STATUS_CHANGED, "refused": topics.PROPOSAL_ACTION_REFUSED,
    "answered": topics.PROPOSAL_ANSWERED, "channel": topics.PROJECT_CHANNEL_REQUESTED,
    "launched": topics.PROJECT_LAUNCHED, "progress": topics.PROJECT_PROGRESS_REPORTED,
    "completed": topics.PROJECT_COMPLETED,
}


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
async def instances():
    """Two projects-service instances sharing consumer groups, as two replicas would."""
    async with own_databases() as prefix:
        settings = ProjectsSettings(support_threshold=THRESHOLD, handler_backoff_seconds=0.01, database_prefix=prefix)
        instances = [build(settings), build(settings)]
        # Started together, both join each group in the same round instead of forcing a rebalance.
        await asyncio.gather(*(runtime.start() for runtime in instances))
        await asyncio.gather(*(wait_for_assignment(runtime, timeout=60) for runtime in instances))
        yield instances
        for runtime in instances:
            await runtime.stop()


@pytest.fixture(scope="module")
async def service(instances):
    return instances[0]


@pytest.fixture(scope="module")
async def bus():
    """Watchers on every topic the service emits to, and a producer; shared by the module's tests."""
    async with contextlib.AsyncExitStack() as stack:
        watchers = {name: await stack.enter_async_context(TopicWatcher(t.name)) for name, t in WATCHED.items()}
        producer = await stack.enter_async_context(raw_producer())
        yield Bus(producer, watchers)


class Bus:
    def __init__(self, producer, watchers: dict[str, TopicWatcher]) -> None:
        self.producer = producer
        self.w = watchers

    async def send(self, topic: topics.Topic, tenant: str, data, *, subject: str, id: str | None = None) -> CloudEvent:
        event = new_event(id=id, type=topic.name, subject=subject, tenant=tenant, data=data, source="tests")
        await publish(self.producer, event)
        return event

    async def one(self, name: str, tenant: str, *, timeout: float = 30) -> CloudEvent:
        [event] = await self.w[name].events_for(tenant, timeout=timeout)
        return event

    def seen(self, name: str, tenant: str) -> list[CloudEvent]:
        return [CloudEvent.from_bytes(r.value) for r in self.w[name].records if f'"tenant":"{tenant}"'.encode() in r.value]

    async def settle(self, seconds: float = 1.5) -> None:
        await asyncio.gather(*(w.settle(seconds) for w in self.w.values()))


async def appoint_chief(bus: Bus, service, tenant: str, user: str) -> None:
    """A section chief as the roles service would announce it; waits until the replica has it."""
    await bus.send(topics.ROLE_GRANTED, tenant, RoleGranted(user_id=user, role="section_chief"), subject=user)
    await wait_until(lambda: service.db["chief_changes"].find_one({"tenant": tenant, "user_id": user}), timeout=30)


async def propose(bus: Bus, tenant: str, author: str, **kw) -> str:
    data = ProposalSubmitted(user_id=author, title="お試し移住の家", problem="Hard to try living here",
                             idea="A house for week-long trial stays", department="moving", **kw)
    await bus.send(topics.PROPOSAL_SUBMITTED, tenant, data, subject=author)
    return (await bus.one("created", tenant)).data["proposal_id"]


async def support(bus: Bus, tenant: str, proposal_id: str, user: str, *, id: str | None = None) -> CloudEvent:
    data = ProposalSupportRequested(proposal_id=proposal_id, user_id=user, channel_id="CIDEAS")
    return await bus.send(topics.PROPOSAL_SUPPORT_REQUESTED, tenant, data, subject=f"{proposal_id}:{user}", id=id)


async def answer(bus: Bus, tenant: str, proposal_id: str, user: str, decision: str, text: str) -> None:
    data = ProposalAnswerSubmitted(proposal_id=proposal_id, user_id=user, decision=decision, answer=text,
                                   channel_id="CIDEAS")
    await bus.send(topics.PROPOSAL_ANSWER_SUBMITTED, tenant, data, subject=proposal_id)


async def read_api(service, path: str) -> dict:
    app = Starlette(routes=api.routes(MongoProjectsStore(service.db)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://projects") as client:
        response = await client.get(path)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_proposal_goes_from_submission_through_review_and_launch_to_completion(service, bus):
    tenant, author, chief = unique("T"), unique("U"), unique("U")
    await appoint_chief(bus, service, tenant, chief)
    pid = await propose(bus, tenant, author)
    residents = [unique("U") for _ in range(THRESHOLD)]
    for user in residents:
        await support(bus, tenant, pid, user)
    counts = [e.data["supports"] for e in await bus.w["supported"].events_for(tenant, count=THRESHOLD)]
    assert max(counts) == THRESHOLD
    review = await bus.one("status", tenant)
    assert review.data["status"] == "under_review" and review.data["section_chief_ids"] == [chief]
    assert sorted(review.data["supporter_ids"]) == sorted(residents) and review.data["author_id"] == author

    await answer(bus, tenant, pid, chief, "accepted", "採用します。来月から始めましょう")
    answered = await bus.one("answered", tenant)
    requested = await bus.one("channel", tenant)
    assert answered.data["decision"] == "accepted" and answered.data["answered_by"] == chief
    assert requested.data["owner_id"] == chief and set(requested.data["member_ids"]) == {chief, author, *residents}

    project_id = requested.data["project_id"]
    created = ProjectChannelCreated(project_id=project_id, proposal_id=pid, channel_id="CPROJECT1")
    await bus.send(topics.PROJECT_CHANNEL_CREATED, tenant, created, subject=project_id)  # as the notifier does
    launched = await bus.one("launched", tenant)
    assert launched.data["channel_id"] == "CPROJECT1" and launched.data["owner_id"] == chief

    update = ProjectProgressSubmitted(user_id=residents[0], text="First family booked for May", channel_id="CPROJECT1")
    await bus.send(topics.PROJECT_PROGRESS_SUBMITTED, tenant, update, subject=project_id)
    assert (await bus.one("progress", tenant)).data["text"] == "First family booked for May"
    done = ProjectCompletionSubmitted(user_id=chief, summary="12 families stayed; 3 moved in", channel_id="CPROJECT1")
    await bus.send(topics.PROJECT_COMPLETION_SUBMITTED, tenant, done, subject=project_id)
    assert (await bus.one("completed", tenant)).data["summary"] == "12 families stayed; 3 moved in"

    statuses = await bus.w["status"].events_for(tenant, count=4)
    assert [e.data["status"] for e in statuses] == ["under_review", "accepted", "launched", "completed"]
    body = await read_api(service, f"/proposals/{tenant}/{pid}")
    assert body["status"] == "completed" and body["supports"] == THRESHOLD and body["answered_by"] == chief


async def test_a_declined_proposal_carries_its_answer_and_takes_no_more_supports(service, bus):
    tenant, author, chief, late = unique("T"), unique("U"), unique("U"), unique("U")
    await appoint_chief(bus, service, tenant, chief)
    pid = await propose(bus, tenant, author)
    await answer(bus, tenant, pid, chief, "declined", "The budget for this year is spent; let's revisit in April.")
    declined = await bus.one("status", tenant)
    assert declined.data["status"] == "declined" and declined.data["previous_status"] == "open"
    assert declined.data["answer"].startswith("The budget") and declined.data["changed_by"] == chief
    await support(bus, tenant, pid, late)
    refused = await bus.one("refused", tenant)
    assert refused.data["code"] == "closed" and "declined" in refused.data["reason"]
    await bus.settle()
    assert bus.seen("channel", tenant) == [] and bus.seen("supported", tenant) == []


async def test_a_bulb_by_a_section_chief_turns_a_message_into_a_proposal(service, bus):
    tenant, chief, poster, bystander = unique("T"), unique("U"), unique("U"), unique("U")
    await appoint_chief(bus, service, tenant, chief)

    def bulb(user: str, ts: str) -> ReactionAdded:
        return ReactionAdded(user_id=user, channel_id="CTALK", message_ts=ts, message_author_id=poster,
                             reaction="bulb", reacted_at="2026-03-01T10:00:00Z")

    await bus.send(topics.REACTION_ADDED, tenant, bulb(bystander, "1700000000.000200"), subject="CTALK:1700000000.000200")
    await bus.send(topics.REACTION_ADDED, tenant, bulb(chief, "1700000000.000100"), subject="CTALK:1700000000.000100")
    created = await bus.one("created", tenant)
    assert created.data["user_id"] == poster and created.data["created_by"] == chief
    assert (created.data["source_channel_id"], created.data["source_ts"]) == ("CTALK", "1700000000.000100")
    await bus.settle()
    assert len(bus.seen("created", tenant)) == 1  # the bystander's 💡 is just an emoji


async def test_refused_actions_say_why_and_change_nothing(service, bus):
    tenant, author, chief, resident, fan = unique("T"), unique("U"), unique("U"), unique("U"), unique("U")
    await appoint_chief(bus, service, tenant, chief)
    pid = await propose(bus, tenant, author)

    await answer(bus, tenant, pid, resident, "accepted", "I approve!")  # not a section chief
    await support(bus, tenant, pid, author)  # their own proposal
    refusals = await bus.w["refused"].events_for(tenant, count=2)
    assert {(e.data["user_id"], e.data["code"]) for e in refusals} == {(resident, "not_authorised"), (author, "own_proposal")}
    assert all(e.data["reason"] and e.data["channel_id"] == "CIDEAS" for e in refusals)

    first = await support(bus, tenant, pid, fan, id=unique("evt-"))
    await publish(bus.producer, first)  # the same request delivered twice
    await bus.send(topics.PROPOSAL_POSTED, tenant, ProposalPosted(proposal_id=pid, channel_id="CIDEAS", ts="1.5"), subject=pid)
    await wait_until(lambda: service.db["proposal_posts"].find_one({"proposal_id": pid}), timeout=30)
    thumbs = ReactionAdded(user_id=fan, channel_id="CIDEAS", message_ts="1.5", reaction="+1", reacted_at="2030-01-01T00:00:00Z")
    await bus.send(topics.REACTION_ADDED, tenant, thumbs, subject="CIDEAS:1.5")  # 👍 after the button: still one

    await answer(bus, tenant, pid, chief, "declined", "Not this year")
    await answer(bus, tenant, pid, chief, "accepted", "On second thought, yes")  # declined is final
    illegal = await bus.w["refused"].events_for(tenant, count=3, timeout=30)
    assert illegal[-1].data["code"] == "illegal_transition" and "declined" in illegal[-1].data["reason"]
    await bus.settle()
    assert len(bus.seen("supported", tenant)) == 1 and len(bus.seen("answered", tenant)) == 1
    body = await read_api(service, f"/proposals/{tenant}/{pid}")
    assert body["status"] == "declined" and body["supporter_ids"] == [fan] and body["answer"] == "Not this year"


async def test_a_replayed_or_forged_supported_event_changes_nothing(service, bus):
    tenant, author, fan = unique("T"), unique("U"), unique("U")
    pid = await propose(bus, tenant, author)
    await support(bus, tenant, pid, fan)
    [supported] = await bus.w["supported"].events_for(tenant)
    await publish(bus.producer, supported)  # replayed as it was
    forged = supported.model_copy(update={"id": unique("forged-"), "data": {**supported.data, "supports": 999}})
    await publish(bus.producer, forged)
    await bus.settle(2.0)
    assert bus.seen("status", tenant) == [] and bus.seen("refused", tenant) == []
    listed = await read_api(service, f"/proposals/{tenant}?status=open")
    assert [(p["proposal_id"], p["supports"]) for p in listed["proposals"]] == [(pid, 1)]


async def test_two_hundred_residents_supporting_at_once_make_two_hundred_supports_and_one_review(
    instances, service, bus
):
    tenant, author, chief = unique("T"), unique("U"), unique("U")
    await appoint_chief(bus, service, tenant, chief)
    pid = await propose(bus, tenant, author)
    residents = [unique("U") for _ in range(200)]
    requests = [
        new_event(type=topics.PROPOSAL_SUPPORT_REQUESTED.name, subject=f"{pid}:{user}", tenant=tenant, source="tests",
                  data=ProposalSupportRequested(proposal_id=pid, user_id=user))
        for user in residents
    ]
    # All at once, keyed per resident so they spread over the partitions (and both instances).
    sent = [await bus.producer.send(e.type, e.to_bytes(), key=e.subject.encode()) for e in requests]
    partitions = {(await future).partition for future in sent}
    for runtime in instances:  # each instance owns some of the partitions the requests went to
        [consumer] = [c for c in runtime.consumers if c.topic == topics.PROPOSAL_SUPPORT_REQUESTED]
        [subscriber] = [s for s in runtime.broker.subscribers if s.consumer is not None
                        and any(tp.topic == consumer.topic.name for tp in s.consumer.assignment())]
        assert {tp.partition for tp in subscriber.consumer.assignment()} & partitions

    supported = await bus.w["supported"].events_for(tenant, count=200, timeout=120)
    await bus.settle(2.0)
    assert len({e.data["user_id"] for e in supported}) == 200 and len(bus.seen("supported", tenant)) == 200
    [review] = bus.seen("status", tenant)
    assert review.data["status"] == "under_review" and review.data["section_chief_ids"] == [chief]
    assert await service.db["supports"].count_documents({"tenant": tenant, "proposal_id": pid, "active": True}) == 200
    assert await service.db["transitions"].count_documents({"tenant": tenant, "proposal_id": pid}) == 1
    listed = await read_api(service, f"/proposals/{tenant}?status=under_review")
    assert [(p["proposal_id"], p["supports"]) for p in listed["proposals"]] == [(pid, 200)]
