"""Supports: the Support button (a toggle) and 👍 on the proposal's post; review at a threshold.

One support document per (proposal, resident) under a unique key, counted with
count_documents, so 200 residents pressing at once make exactly 200 supports.

Reactions come in batches (a city's history is thousands of them). Handling one again is
harmless without the handled ledger: a support remembers the event that last changed it
(a re-run announces it again under the same ids) and a 💡 proposal its creating event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from shared import topics
from shared.envelope import CloudEvent, TypedEvent
from shared.errors import TransientError
from shared.events import (
    ProposalStatus,
    ProposalSupported,
    ProposalSupportRequested,
    ProposalUnsupported,
    ReactionAdded,
    ReactionRemoved,
)
from services.projects.handlers.common import advance, emit, refuse, section_chiefs, status_changed
from services.projects.handlers.proposals import IDEA_REACTION, propose_from_reaction
from services.projects.models import SUPPORTABLE, Proposal, Refusal, Stage, Support, Transition
from services.projects.store import ProjectsStore, post_key

SUPPORT_REACTIONS = frozenset({"+1", "thumbsup"})
# An imported workspace history replays old reactions: they are history, not requests, so an
# old 💡 must not turn a years-old message into a new proposal (and DM its author).
IMPORTED = "oco/importer"


def base_reaction(name: str) -> str:
    """`+1::skin-tone-3` → `+1`."""
    return name.split("::", 1)[0]


def _support_event(cause: TypedEvent, support: Support, count: int) -> CloudEvent:
    topic = topics.PROPOSAL_SUPPORTED if support.active else topics.PROPOSAL_UNSUPPORTED
    model = ProposalSupported if support.active else ProposalUnsupported
    data = model(proposal_id=support.proposal_id, user_id=support.user_id, supports=count, via=support.via,
                 counted_at=datetime.now(UTC))
    return emit(cause, topic, data, topic.name, subject=support.proposal_id)


async def change_support(
    cause: TypedEvent, *, store: ProjectsStore, proposal_id: str, user_id: str, want: bool | None,
    via: str, at: datetime, where: dict | None, threshold: int,
) -> list[CloudEvent]:
    """Support (`want` True), withdraw (False) or toggle (None).

    Refusals are told in `where` (the channel they acted in); with `where` None they are
    silent (a removed 👍 on a closed proposal needs no answer).
    """
    proposal = await store.get_proposal(cause.tenant, proposal_id)
    if proposal is None:
        refusal = Refusal("not_found", "there is no such proposal")
        return [] if where is None else [refuse(cause, refusal, user_id=user_id, action="support",
                                                proposal_id=proposal_id, **where)]
    current = await store.support(cause.tenant, proposal_id, user_id)
    if current is not None and current.last_event_id == cause.id:  # a re-run: announce it again
        count = await store.count_supports(cause.tenant, proposal_id)
        return [_support_event(cause, current, count), *await review_at_threshold(
            cause, store=store, proposal=proposal, count=count, threshold=threshold)]
    active_now = bool(current and current.active)
    target = (not active_now) if want is None else want
    if target == active_now or (current is not None and at < current.changed_at):
        return []  # nothing to change (supported twice), or an event older than the last change
    refusal = _refusal(proposal.author_id, proposal.status, user_id, target)
    if refusal is not None:
        return [] if where is None else [refuse(cause, refusal, user_id=user_id, action="support",
                                                proposal_id=proposal_id, status=proposal.status, **where)]
    support = Support(tenant=cause.tenant, proposal_id=proposal_id, user_id=user_id, active=target,
                      changed_at=at, via=via, last_event_id=cause.id)
    if current is None:
        if not await store.add_support(support):
            raise TransientError("the same resident's support changed concurrently; retrying")
    else:
        await store.save_support(support)
    count = await store.count_supports(cause.tenant, proposal_id)
    review = await review_at_threshold(cause, store=store, proposal=proposal, count=count, threshold=threshold)
    return [_support_event(cause, support, count), *review]


def _refusal(author_id: str, status: ProposalStatus, user_id: str, supporting: bool) -> Refusal | None:
    if supporting and user_id == author_id:
        return Refusal("own_proposal", "you can't support your own proposal")
    if status not in SUPPORTABLE:
        return Refusal("closed", f"the proposal is already {status.value}: supports no longer change it")
    return None


async def when_support_requested_toggle(
    event: TypedEvent[ProposalSupportRequested], *, store: ProjectsStore, threshold: int
) -> list[CloudEvent]:
    """The Support button: supports, or withdraws a support given before."""
    data = event.data
    where = {"channel_id": data.channel_id}
    return await change_support(event, store=store, proposal_id=data.proposal_id, user_id=data.user_id,
                                want=None, via="button", at=event.time, where=where,
                                threshold=threshold)


def _thumbs_up_post(event: TypedEvent[ReactionAdded]) -> str | None:
    """The post a 👍 (given or taken back) is on; None for any other reaction."""
    data = event.data
    if base_reaction(data.reaction) not in SUPPORT_REACTIONS:
        return None
    return post_key(event.tenant, data.channel_id, data.message_ts)


async def _proposals_under(events: Sequence[TypedEvent[ReactionAdded]], store: ProjectsStore) -> dict[str, str]:
    """The proposals whose posts the events' 👍 are on, looked up together."""
    return await store.proposals_at_posts({key for event in events if (key := _thumbs_up_post(event))})


async def when_reaction_added_propose_or_support(
    event: TypedEvent[ReactionAdded], *, store: ProjectsStore, threshold: int
) -> list[CloudEvent]:
    """💡 on any message may make it a proposal; 👍 on a proposal's post supports it."""
    return await when_reactions_added_propose_or_support([event], store=store, threshold=threshold)


async def when_reactions_added_propose_or_support(
    events: Sequence[TypedEvent[ReactionAdded]], *, store: ProjectsStore, threshold: int
) -> list[CloudEvent]:
    """A batch of reactions, one after another; the posts their 👍 are on are looked up once.

    Most reactions are neither 💡 nor a 👍 on a proposal: they cost a share of that one lookup.
    """
    live = [event for event in events if event.envelope.source != IMPORTED]
    proposals = await _proposals_under(live, store)
    emitted: list[CloudEvent] = []
    for event in live:
        data = event.data
        if base_reaction(data.reaction) == IDEA_REACTION:
            emitted += await propose_from_reaction(event, store=store)
        elif (proposal_id := proposals.get(_thumbs_up_post(event) or "")) is not None:
            emitted += await change_support(
                event, store=store, proposal_id=proposal_id, user_id=data.user_id, want=True, via="reaction",
                at=data.reacted_at, where={"channel_id": data.channel_id}, threshold=threshold)
    return emitted


async def when_reaction_removed_withdraw_support(
    event: TypedEvent[ReactionRemoved], *, store: ProjectsStore, threshold: int
) -> list[CloudEvent]:
    """Taking the 👍 back withdraws the support."""
    return await when_reactions_removed_withdraw_support([event], store=store, threshold=threshold)


async def when_reactions_removed_withdraw_support(
    events: Sequence[TypedEvent[ReactionRemoved]], *, store: ProjectsStore, threshold: int
) -> list[CloudEvent]:
    """A batch of removed reactions, one after another; only a 👍 taken back from a proposal's post counts."""
    proposals = await _proposals_under(events, store)
    emitted: list[CloudEvent] = []
    for event in events:
        data = event.data
        if (proposal_id := proposals.get(_thumbs_up_post(event) or "")) is not None:
            emitted += await change_support(
                event, store=store, proposal_id=proposal_id, user_id=data.user_id, want=False, via="reaction",
                at=data.reacted_at, where=None, threshold=threshold)
    return emitted


async def review_at_threshold(
    cause: TypedEvent, *, store: ProjectsStore, proposal: Proposal, count: int, threshold: int
) -> list[CloudEvent]:
    """At `threshold` supports an open proposal goes to review and the chiefs are told, once.

    Every handler that sees the count at or past the threshold tries the review marker;
    its insert lets exactly one win, however many instances race. The count is the store's,
    never an event's, so a replayed or forged `proposal.supported` moves nothing.
    """
    if count < threshold:
        return []
    earlier = await store.transition(cause.tenant, proposal.proposal_id, Stage.REVIEW)
    rerun = earlier is not None and earlier.cause_event_id == cause.id
    if not rerun and proposal.status is not ProposalStatus.OPEN:
        return []
    moved = await advance(cause, store=store, proposal=proposal, target=ProposalStatus.UNDER_REVIEW, by=None)
    if not isinstance(moved, Transition):
        return []  # another handler crossed the threshold first
    now = await store.get_proposal(cause.tenant, proposal.proposal_id)
    if not rerun and now is not None and now.status is not ProposalStatus.UNDER_REVIEW:
        return []  # answered at the same moment: the answer is the news, not the review
    chiefs = await section_chiefs(store, cause.tenant, department=proposal.department, now=cause.time)
    return [await status_changed(cause, store=store, proposal=proposal, status=ProposalStatus.UNDER_REVIEW,
                                 previous=ProposalStatus.OPEN, section_chief_ids=chiefs)]
