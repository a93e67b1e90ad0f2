"""Reactions in batches on the in-memory store: the posts their 👍 are on looked up once per
batch, ordinary and imported reactions ignored, and a batch handled again (no ledger) changing
nothing and announcing the same events again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared import topics
from shared.envelope import TypedEvent, new_event
from shared.events import ProposalPosted, ProposalSubmitted, ReactionAdded, ReactionRemoved
from services.projects import handlers
from services.projects.handlers.supports import IMPORTED
from services.projects.memory_store import InMemoryProjectsStore
from tests.unit.test_projects import DEPARTMENTS, TENANT, typed

pytestmark = pytest.mark.unit
T0 = datetime(2026, 3, 1, tzinfo=UTC)


class CountingStore(InMemoryProjectsStore):
    def __init__(self) -> None:
        super().__init__()
        self.post_lookups: list[set[str]] = []

    async def proposals_at_posts(self, keys):
        self.post_lookups.append(set(keys))
        return await super().proposals_at_posts(keys)


async def posted_proposal(store, ts="5.5") -> str:
    data = ProposalSubmitted(user_id="UA", title="Trial stays", problem="Hard to try living here", department="moving")
    [created] = await handlers.when_proposal_submitted_create(typed(topics.PROPOSAL_SUBMITTED, data), store=store,
                                                              departments=DEPARTMENTS)
    pid = created.data["proposal_id"]
    await handlers.when_proposal_posted_record_post(
        typed(topics.PROPOSAL_POSTED, ProposalPosted(proposal_id=pid, channel_id="CIDEAS", ts=ts)), store=store)
    return pid


def reaction(name: str, *, user: str = "U1", ts: str = "5.5", channel: str = "CIDEAS", at=T0, model=ReactionAdded,
             source: str = "oco/gateway") -> TypedEvent:
    topic = topics.REACTION_ADDED if model is ReactionAdded else topics.REACTION_REMOVED
    data = model(user_id=user, channel_id=channel, message_ts=ts, reaction=name, reacted_at=at)
    envelope = new_event(type=topic.name, subject=f"{channel}:{ts}", tenant=TENANT, source=source, data=data, time=at)
    return TypedEvent(envelope, data)


async def test_a_batch_looks_up_the_posts_of_its_thumbs_up_once_and_supports_only_on_proposal_posts():
    store = CountingStore()
    pid = await posted_proposal(store)
    ordinary = [reaction(name, user=f"U{n}", ts=f"{n}.0", channel="CTALK")
                for n in range(200) for name in ("+1", "heart")]
    batch = [*ordinary[:100], reaction("+1::skin-tone-3", user="UFAN"), *ordinary[100:],
             reaction("+1", user="UOLD", source=IMPORTED)]
    emitted = await handlers.when_reactions_added_propose_or_support(batch, store=store, threshold=10)
    assert [e.type for e in emitted] == ["proposal.supported"]
    assert emitted[0].data["proposal_id"] == pid and emitted[0].data["user_id"] == "UFAN"
    [asked] = store.post_lookups
    assert f"{TENANT}:CIDEAS:5.5" in asked and len(asked) == 1 + 200  # one query; hearts and imports not asked
    assert await store.count_supports(TENANT, pid) == 1


async def test_a_batch_handled_again_changes_nothing_and_announces_the_same_events():
    store = CountingStore()
    pid = await posted_proposal(store)
    batch = [reaction("+1", user=f"UF{n}") for n in range(3)]
    first = await handlers.when_reactions_added_propose_or_support(batch, store=store, threshold=10)
    again = await handlers.when_reactions_added_propose_or_support(batch, store=store, threshold=10)
    assert [e.id for e in again] == [e.id for e in first] and len(first) == 3
    assert await store.count_supports(TENANT, pid) == 3


async def test_thumbs_up_taken_back_in_a_batch_withdraws_the_support():
    store = CountingStore()
    pid = await posted_proposal(store)
    await handlers.when_reactions_added_propose_or_support([reaction("+1", user="UF")], store=store, threshold=10)
    removed = [reaction("heart", user="UF", model=ReactionRemoved, at=T0 + timedelta(1)),
               reaction("+1", user="UF", model=ReactionRemoved, at=T0 + timedelta(1)),
               reaction("+1", user="UX", ts="9.9", model=ReactionRemoved, at=T0 + timedelta(1))]
    [off] = await handlers.when_reactions_removed_withdraw_support(removed, store=store, threshold=10)
    assert off.type == "proposal.unsupported" and off.data["supports"] == 0
    assert store.post_lookups[-1] == {f"{TENANT}:CIDEAS:5.5", f"{TENANT}:CIDEAS:9.9"}
    assert await store.count_supports(TENANT, pid) == 0


async def test_a_batch_without_thumbs_up_asks_for_no_posts():
    store = CountingStore()
    batch = [reaction("heart"), reaction("tada"), reaction("+1", source=IMPORTED)]
    assert await handlers.when_reactions_added_propose_or_support(batch, store=store, threshold=10) == []
    assert store.post_lookups == [set()]
