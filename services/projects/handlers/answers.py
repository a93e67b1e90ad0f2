"""A section chief's answer: accepted proposals become projects, declined ones are closed."""

from __future__ import annotations

import re
import unicodedata

from shared import topics
from shared.envelope import CloudEvent, TypedEvent, derive_id
from shared.events import ProjectChannelRequested, ProposalAnswered, ProposalAnswerSubmitted, ProposalStatus
from services.projects.handlers.common import advance, emit, is_section_chief, refuse, status_changed
from services.projects.models import Project, Proposal, Refusal, Stage
from services.projects.store import ProjectsStore

NOT_A_CHIEF = Refusal("not_authorised", "only a section chief (課長) can answer proposals")
NO_ANSWER = Refusal("answer_required", "an official answer is required, whether accepting or declining")


def project_id_for(proposal_id: str) -> str:
    return derive_id(proposal_id, "project")


def channel_name(title: str, project_id: str) -> str:
    """A Slack channel name: lower case, no spaces or dots, ≤ 80 characters, unique by the id."""
    slug = unicodedata.normalize("NFKC", title).lower()
    slug = re.sub(r"[^\w\-ー]+", "-", slug).strip("-_")[:60].strip("-_")
    return f"pj-{slug}-{project_id[:6]}" if slug else f"pj-{project_id[:8]}"


async def when_answer_submitted_answer(
    event: TypedEvent[ProposalAnswerSubmitted], *, store: ProjectsStore
) -> list[CloudEvent]:
    """Authorise the answerer from the grants replica, then accept or decline once."""
    data = event.data
    where = {"proposal_id": data.proposal_id, "channel_id": data.channel_id}
    proposal = await store.get_proposal(event.tenant, data.proposal_id)
    if proposal is None:
        return [refuse(event, Refusal("not_found", "there is no such proposal"), user_id=data.user_id,
                       action="answer", **where)]
    refusal = await _answer_refusal(event, store)
    if refusal is not None:
        return [refuse(event, refusal, user_id=data.user_id, action="answer", status=proposal.status, **where)]
    target = ProposalStatus(data.decision)
    reviewed = await store.transition(event.tenant, proposal.proposal_id, Stage.REVIEW)
    previous = ProposalStatus.UNDER_REVIEW if reviewed else ProposalStatus.OPEN
    moved = await advance(event, store=store, proposal=proposal, target=target, by=data.user_id,
                          answer=data.answer.strip())
    if isinstance(moved, Refusal):
        return [refuse(event, moved, user_id=data.user_id, action="answer", status=proposal.status, **where)]
    answered = ProposalAnswered(proposal_id=proposal.proposal_id, answered_by=data.user_id,
                                decision=data.decision, answer=moved.answer)
    events = [emit(event, topics.PROPOSAL_ANSWERED, answered, "answered", subject=proposal.proposal_id)]
    project = await _open_project(event, store, proposal) if target is ProposalStatus.ACCEPTED else None
    events.append(await status_changed(
        event, store=store, proposal=proposal, status=target, previous=previous, changed_by=data.user_id,
        answer=moved.answer, project_id=project.project_id if project else None,
    ))
    if project is not None:
        requested = ProjectChannelRequested(
            project_id=project.project_id, proposal_id=proposal.proposal_id, name=project.name,
            title=project.title, owner_id=project.owner_id, member_ids=project.member_ids,
        )
        events.append(emit(event, topics.PROJECT_CHANNEL_REQUESTED, requested, "channel", subject=project.project_id))
    return events


async def _answer_refusal(event: TypedEvent[ProposalAnswerSubmitted], store: ProjectsStore) -> Refusal | None:
    data = event.data
    earlier = await store.transition(event.tenant, data.proposal_id, Stage.ANSWER)
    if earlier is not None and earlier.cause_event_id == event.id:
        return None  # a re-run of the answer that won: authorised then
    if not await is_section_chief(store, event.tenant, data.user_id, now=event.time):
        return NOT_A_CHIEF
    if not data.answer.strip():
        return NO_ANSWER
    return None


async def _open_project(event: TypedEvent, store: ProjectsStore, proposal: Proposal) -> Project:
    """The project of an accepted proposal: the answerer owns it; author and supporters are its team."""
    project_id = project_id_for(proposal.proposal_id)
    owner = event.data.user_id
    supporters = await store.supporters(proposal.tenant, proposal.proposal_id)
    members = list(dict.fromkeys([owner, proposal.author_id, *supporters]))
    project = Project(
        tenant=proposal.tenant, project_id=project_id, proposal_id=proposal.proposal_id, title=proposal.title,
        name=channel_name(proposal.title, project_id), owner_id=owner, member_ids=members, created_at=event.time,
    )
    if not await store.create_project(project):
        project = await store.get_project(proposal.tenant, project_id) or project
    return project
