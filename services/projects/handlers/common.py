"""What every projects handler shares: emitting events, refusing, moving a status forward."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from shared import topics
from shared.envelope import CloudEvent, TypedEvent, derive_id, new_event
from shared.events import ProposalActionRefused, ProposalStatus, ProposalStatusChanged
from services.projects.models import (
    STAGE_OF,
    Proposal,
    Refusal,
    Transition,
    active_chief_departments,
    illegal_move,
)
from services.projects.store import ProjectsStore

SOURCE = "oco/projects"


def emit(cause: TypedEvent, topic: topics.Topic, data: BaseModel, label: str, *, subject: str) -> CloudEvent:
    """An event caused by `cause`, with an id a re-run derives again."""
    return new_event(
        id=derive_id(cause.id, label), type=topic.name, subject=subject, tenant=cause.tenant,
        data=data, source=SOURCE,
    )


def refuse(cause: TypedEvent, refusal: Refusal, *, user_id: str, action: str, **where) -> CloudEvent:
    """`proposal.action_refused`: nothing changed, and the actor is told why."""
    data = ProposalActionRefused(user_id=user_id, action=action, code=refusal.code, reason=refusal.reason, **where)
    return emit(cause, topics.PROPOSAL_ACTION_REFUSED, data, f"refused/{action}", subject=user_id)


async def advance(
    cause: TypedEvent,
    *,
    store: ProjectsStore,
    proposal: Proposal,
    target: ProposalStatus,
    by: str | None,
    answer: str | None = None,
) -> Transition | Refusal:
    """Move `proposal` to `target` once: the marker's insert decides who wins.

    A re-run of the event that won earlier gets its marker back, so it re-emits what it
    emitted before instead of being refused by its own move.
    """
    stage = STAGE_OF[target]
    earlier = await store.transition(proposal.tenant, proposal.proposal_id, stage)
    if earlier is not None and earlier.cause_event_id == cause.id:
        return earlier
    reason = illegal_move(proposal.status, target)
    if reason is not None:
        return Refusal("illegal_transition", reason)
    marker = Transition(
        tenant=proposal.tenant, proposal_id=proposal.proposal_id, stage=stage, status=target,
        cause_event_id=cause.id, by=by, answer=answer, at=cause.time,
    )
    stored = await store.claim(marker)
    if stored.cause_event_id != cause.id:
        return Refusal("illegal_transition", f"the proposal was just {stored.status.value}")
    after = await store.get_proposal(proposal.tenant, proposal.proposal_id)
    await store.cache_status(proposal.tenant, proposal.proposal_id, after.status if after else target)
    return stored


async def status_changed(
    cause: TypedEvent,
    *,
    store: ProjectsStore,
    proposal: Proposal,
    status: ProposalStatus,
    previous: ProposalStatus,
    **fields,
) -> CloudEvent:
    """`proposal.status_changed`, naming everyone who is to be told."""
    supporters = await store.supporters(proposal.tenant, proposal.proposal_id)
    data = ProposalStatusChanged(
        proposal_id=proposal.proposal_id, title=proposal.title, status=status, previous_status=previous,
        author_id=proposal.author_id, supporter_ids=supporters, supports=len(supporters),
        source_channel_id=proposal.source_channel_id, source_ts=proposal.source_ts,
        post_channel_id=proposal.post_channel_id, post_ts=proposal.post_ts, **fields,
    )
    return emit(cause, topics.PROPOSAL_STATUS_CHANGED, data, f"status/{status.value}", subject=proposal.proposal_id)


async def is_section_chief(store: ProjectsStore, tenant: str, user_id: str, *, now: datetime) -> bool:
    """True when the roles service's grants make `user_id` a section chief right now."""
    return user_id in active_chief_departments(await store.chief_changes(tenant, user_id), now)


async def section_chiefs(store: ProjectsStore, tenant: str, *, department: str, now: datetime) -> list[str]:
    """The chiefs to ask: those of `department` or of every department; all chiefs if none match."""
    chiefs = active_chief_departments(await store.chief_changes(tenant), now)
    matching = [user for user, departments in chiefs.items() if None in departments or department in departments]
    return sorted(matching or chiefs)
