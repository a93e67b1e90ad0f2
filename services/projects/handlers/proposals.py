"""New proposals: from the form or the "Propose this" shortcut, or from a 💡 reaction."""

from __future__ import annotations

from shared import topics
from shared.departments import Department
from shared.envelope import CloudEvent, TypedEvent, derive_id
from shared.events import ProposalCreated, ProposalPosted, ProposalSubmitted, ReactionAdded
from services.projects.handlers.common import emit, is_section_chief, refuse
from services.projects.models import Proposal, Refusal
from services.projects.store import ProjectsStore

DEFAULT_DEPARTMENT = "ideas"
IDEA_REACTION = "bulb"
# Until the notifier has read the source message, a 💡 proposal is titled like this.
REACTION_TITLE = "💡 An idea from a conversation"


def created_event(cause: TypedEvent, proposal: Proposal) -> CloudEvent:
    data = ProposalCreated(
        proposal_id=proposal.proposal_id, user_id=proposal.author_id, title=proposal.title,
        problem=proposal.problem, idea=proposal.idea, department=proposal.department, via=proposal.via,
        created_by=proposal.created_by, source_channel_id=proposal.source_channel_id,
        source_ts=proposal.source_ts, source_permalink=proposal.source_permalink,
    )
    return emit(cause, topics.PROPOSAL_CREATED, data, "created", subject=proposal.proposal_id)


async def when_proposal_submitted_create(
    event: TypedEvent[ProposalSubmitted], *, store: ProjectsStore, departments: dict[str, Department]
) -> list[CloudEvent]:
    """Validate the form and open the proposal; its id derives from the submitted event's id."""
    data = event.data
    department = data.department or DEFAULT_DEPARTMENT
    if department not in departments:
        known = ", ".join(sorted(departments))
        refusal = Refusal("unknown_department", f"unknown department {department!r}; choose one of {known}")
        return [refuse(event, refusal, user_id=data.user_id, action="propose", channel_id=data.channel_id)]
    if not data.title.strip() or not (data.problem.strip() or data.idea.strip()):
        refusal = Refusal("incomplete", "a proposal needs a title and the problem or the idea")
        return [refuse(event, refusal, user_id=data.user_id, action="propose", channel_id=data.channel_id)]
    proposal = Proposal(
        tenant=event.tenant, proposal_id=derive_id(event.id, "proposal"), author_id=data.user_id,
        title=data.title.strip(), problem=data.problem.strip(), idea=data.idea.strip(), department=department,
        via=data.via, created_event_id=event.id, created_at=event.time, source_channel_id=data.source_channel_id,
        source_ts=data.source_ts, source_permalink=data.source_permalink,
    )
    await store.create_proposal(proposal)  # False on a re-run: the same proposal, announced again
    return [created_event(event, proposal)]


async def propose_from_reaction(event: TypedEvent[ReactionAdded], *, store: ProjectsStore) -> list[CloudEvent]:
    """A 💡 by a section chief or by the message's author makes the message a proposal.

    Anyone else's 💡 is just an emoji. The proposal id derives from the message, so many
    💡 on one message make one proposal.
    """
    data = event.data
    reactor, author = data.user_id, data.message_author_id
    if reactor != author and not await is_section_chief(store, event.tenant, reactor, now=data.reacted_at):
        return []
    proposal = Proposal(
        tenant=event.tenant, proposal_id=derive_id(f"{event.tenant}:{data.channel_id}:{data.message_ts}", "idea"),
        author_id=author or reactor, created_by=reactor if reactor != author else None, title=REACTION_TITLE,
        department=DEFAULT_DEPARTMENT, via="reaction", created_event_id=event.id, created_at=data.reacted_at,
        source_channel_id=data.channel_id, source_ts=data.message_ts,
    )
    if not await store.create_proposal(proposal):
        existing = await store.get_proposal(event.tenant, proposal.proposal_id)
        if existing is None or existing.created_event_id != event.id:
            return []  # an earlier 💡 already made it a proposal
    return [created_event(event, proposal)]


async def when_proposal_posted_record_post(
    event: TypedEvent[ProposalPosted], *, store: ProjectsStore
) -> list[CloudEvent]:
    """Remember where the proposal was posted, so 👍 on that post supports it."""
    data = event.data
    proposal = await store.get_proposal(event.tenant, data.proposal_id)
    if proposal is None:
        return []
    proposal.post_channel_id, proposal.post_ts = data.channel_id, data.ts
    proposal.post_permalink = data.permalink or proposal.post_permalink
    proposal.source_permalink = data.source_permalink or proposal.source_permalink
    if proposal.via == "reaction" and proposal.title == REACTION_TITLE and data.source_excerpt:
        proposal.title = data.source_excerpt.strip()[:150] or proposal.title
    await store.record_post(proposal)
    return []
