"""Where 👍 find their proposals, on the real store: posts remembered by the instance that
recorded them, another instance's posts read from the store, many unknown posts in one query;
and the service taking a burst of reactions in batches with exactly the supports it should."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared import topics
from shared.envelope import CloudEvent, new_event
from shared.events import ProposalPosted, ProposalSubmitted, ReactionAdded
from services.projects.config import ProjectsSettings
from services.projects.main import build
from services.projects.models import Proposal
from services.projects.store import MongoProjectsStore, post_key
from tests.integration.test_projects import own_databases
from tests.support import TopicWatcher, publish, raw_producer, unique, wait_for_assignment, wait_until

pytestmark = pytest.mark.integration


def proposal(tenant: str, pid: str, ts: str) -> Proposal:
    return Proposal(tenant=tenant, proposal_id=pid, author_id="UA", title="Trial stays", created_event_id=pid,
                    created_at=datetime(2026, 3, 1, tzinfo=UTC), post_channel_id="CIDEAS", post_ts=ts)


async def test_posts_are_found_from_any_instance_and_many_in_one_query():
    tenant = unique("T")
    async with own_databases() as prefix:
        settings = ProjectsSettings(database_prefix=prefix)
        runtime = build(settings)
        try:
            here, there = MongoProjectsStore(runtime.db), MongoProjectsStore(runtime.db)
            for n in range(3):
                await here.create_proposal(proposal(tenant, f"P{n}", f"{n}.5"))
                await here.record_post(proposal(tenant, f"P{n}", f"{n}.5"))
            keys = [post_key(tenant, "CIDEAS", f"{n}.5") for n in range(3)]
            stranger = post_key(tenant, "CTALK", "1.0")
            assert await here.proposals_at_posts([*keys, stranger]) == dict(zip(keys, ["P0", "P1", "P2"]))
            assert await there.proposal_at_post(tenant, "CIDEAS", "1.5") == "P1"  # recorded by the other
            assert await there.proposals_at_posts([*keys, stranger]) == dict(zip(keys, ["P0", "P1", "P2"]))
            assert await there.proposal_at_post(tenant, "CTALK", "1.0") is None
        finally:
            await runtime.mongo.close()


async def test_a_burst_of_reactions_makes_exactly_the_supports_on_proposal_posts():
    tenant = unique("T")
    async with own_databases() as prefix:
        runtime = build(ProjectsSettings(database_prefix=prefix, handler_backoff_seconds=0.01))
        await runtime.start()
        await wait_for_assignment(runtime, timeout=60)
        try:
            async with TopicWatcher(topics.PROPOSAL_SUPPORTED.name) as supported, \
                    TopicWatcher(topics.PROPOSAL_CREATED.name) as created, raw_producer() as producer:
                submitted = ProposalSubmitted(user_id=unique("U"), title="Trial stays", problem="Hard to try",
                                              department="moving")
                await publish(producer, new_event(type=topics.PROPOSAL_SUBMITTED.name, subject="UA", tenant=tenant,
                                                  source="tests", data=submitted))
                [made] = await created.events_for(tenant, timeout=30)
                pid = made.data["proposal_id"]
                posted = ProposalPosted(proposal_id=pid, channel_id="CIDEAS", ts="7.5")
                await publish(producer, new_event(type=topics.PROPOSAL_POSTED.name, subject=pid, tenant=tenant,
                                                  source="tests", data=posted))
                store = MongoProjectsStore(runtime.db)
                await wait_until(lambda: store.proposal_at_post(tenant, "CIDEAS", "7.5"), timeout=30)
                burst = [thumbs(tenant, f"U{n:03d}", channel="CTALK", ts=f"{n}.1") for n in range(300)]
                burst[150:150] = [thumbs(tenant, "UFAN1", channel="CIDEAS", ts="7.5"),
                                  thumbs(tenant, "UFAN2", channel="CIDEAS", ts="7.5")]
                for event in burst:
                    await publish(producer, event)
                await publish(producer, burst[150])  # one delivered twice
                found = await supported.events_for(tenant, timeout=40, count=2)
                await supported.settle(2.0)
            fans = {e.data["user_id"] for e in found}
            assert fans == {"UFAN1", "UFAN2"} and len({e.id for e in supported_of(supported, tenant)}) == 2
            assert await store.count_supports(tenant, pid) == 2
        finally:
            await runtime.stop()


def thumbs(tenant: str, user: str, *, channel: str, ts: str):
    data = ReactionAdded(user_id=user, channel_id=channel, message_ts=ts, reaction="+1",
                         reacted_at=datetime(2026, 3, 2, tzinfo=UTC))
    return new_event(type=topics.REACTION_ADDED.name, subject=f"{channel}:{ts}", tenant=tenant, source="tests",
                     data=data)


def supported_of(watcher: TopicWatcher, tenant: str) -> list[CloudEvent]:
    return [CloudEvent.from_bytes(r.value) for r in watcher.records if f'"tenant":"{tenant}"'.encode() in r.value]
