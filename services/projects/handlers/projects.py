"""Projects: launched once their channel exists, then progress updates, then completion."""

from __future__ import annotations

from shared import topics
from shared.envelope import CloudEvent, TypedEvent
from shared.events import (
    ProjectChannelCreated,
    ProjectCompleted,
    ProjectCompletionSubmitted,
    ProjectLaunched,
    ProjectProgressReported,
    ProjectProgressSubmitted,
    ProposalStatus,
)
from services.projects.handlers.common import advance, emit, is_section_chief, refuse, status_changed
from services.projects.models import Project, Proposal, Refusal
from services.projects.store import ProjectsStore

NO_PROJECT = Refusal("not_found", "this is not a project's channel: use the command in the project's own channel")


async def when_channel_created_launch(
    event: TypedEvent[ProjectChannelCreated], *, store: ProjectsStore
) -> list[CloudEvent]:
    """The notifier made the project's channel: the project is launched (accepted → launched)."""
    data = event.data
    project = await store.get_project(event.tenant, data.project_id)
    proposal = await store.get_proposal(event.tenant, data.proposal_id)
    if project is None or proposal is None:
        return []  # not a project this service opened
    if project.channel_id is None:  # the first channel reported is the project's
        project.channel_id = data.channel_id
        await store.save_project(project)
    elif project.channel_id != data.channel_id:
        return []
    moved = await advance(event, store=store, proposal=proposal, target=ProposalStatus.LAUNCHED, by=project.owner_id)
    if isinstance(moved, Refusal):
        return []  # launched already (a second channel report changes nothing)
    launched = ProjectLaunched(
        project_id=project.project_id, proposal_id=proposal.proposal_id, name=project.name, title=project.title,
        owner_id=project.owner_id, member_ids=project.member_ids, channel_id=data.channel_id,
    )
    return [
        emit(event, topics.PROJECT_LAUNCHED, launched, "launched", subject=project.project_id),
        await status_changed(event, store=store, proposal=proposal, status=ProposalStatus.LAUNCHED,
                             previous=ProposalStatus.ACCEPTED, changed_by=project.owner_id,
                             project_id=project.project_id, project_channel_id=data.channel_id),
    ]


async def _project_of(event: TypedEvent, store: ProjectsStore) -> tuple[Project | None, Proposal | None]:
    data = event.data
    project = None
    if data.project_id:
        project = await store.get_project(event.tenant, data.project_id)
    elif data.channel_id:
        project = await store.project_in_channel(event.tenant, data.channel_id)
    proposal = await store.get_proposal(event.tenant, project.proposal_id) if project else None
    return project, proposal


async def _is_chief(event: TypedEvent, store: ProjectsStore) -> bool:
    return await is_section_chief(store, event.tenant, event.data.user_id, now=event.time)


async def when_progress_submitted_report(
    event: TypedEvent[ProjectProgressSubmitted], *, store: ProjectsStore
) -> list[CloudEvent]:
    """A progress update by the project's team (or a section chief) while it runs."""
    data = event.data
    where = {"channel_id": data.channel_id}
    project, proposal = await _project_of(event, store)
    if project is None or proposal is None:
        return [refuse(event, NO_PROJECT, user_id=data.user_id, action="progress", project_id=data.project_id, **where)]
    where |= {"project_id": project.project_id, "proposal_id": proposal.proposal_id, "status": proposal.status}
    if data.user_id not in project.member_ids and not await _is_chief(event, store):
        refusal = Refusal("not_authorised", "only the project's team or a section chief can post its progress")
        return [refuse(event, refusal, user_id=data.user_id, action="progress", **where)]
    if proposal.status is not ProposalStatus.LAUNCHED:
        reason = f"the project is {proposal.status.value}: progress is for running projects"
        refusal = Refusal("illegal_transition", reason)
        return [refuse(event, refusal, user_id=data.user_id, action="progress", **where)]
    reported = ProjectProgressReported(
        project_id=project.project_id, proposal_id=proposal.proposal_id, user_id=data.user_id, text=data.text,
        title=project.title, channel_id=project.channel_id, post_channel_id=proposal.post_channel_id,
        post_ts=proposal.post_ts, source_channel_id=proposal.source_channel_id, source_ts=proposal.source_ts,
    )
    return [emit(event, topics.PROJECT_PROGRESS_REPORTED, reported, "progress", subject=project.project_id)]


async def when_completion_submitted_complete(
    event: TypedEvent[ProjectCompletionSubmitted], *, store: ProjectsStore
) -> list[CloudEvent]:
    """The owner (or a section chief) completes the project with a summary (launched → completed)."""
    data = event.data
    where = {"channel_id": data.channel_id}
    project, proposal = await _project_of(event, store)
    if project is None or proposal is None:
        return [refuse(event, NO_PROJECT, user_id=data.user_id, action="complete", project_id=data.project_id, **where)]
    where |= {"project_id": project.project_id, "proposal_id": proposal.proposal_id, "status": proposal.status}
    if data.user_id != project.owner_id and not await _is_chief(event, store):
        refusal = Refusal("not_authorised", "only the project's owner or a section chief can complete it")
        return [refuse(event, refusal, user_id=data.user_id, action="complete", **where)]
    moved = await advance(event, store=store, proposal=proposal, target=ProposalStatus.COMPLETED, by=data.user_id)
    if isinstance(moved, Refusal):
        return [refuse(event, moved, user_id=data.user_id, action="complete", **where)]
    project.summary = data.summary
    await store.save_project(project)
    completed = ProjectCompleted(project_id=project.project_id, proposal_id=proposal.proposal_id,
                                 summary=data.summary, completed_by=data.user_id)
    return [
        emit(event, topics.PROJECT_COMPLETED, completed, "completed", subject=project.project_id),
        await status_changed(event, store=store, proposal=proposal, status=ProposalStatus.COMPLETED,
                             previous=ProposalStatus.LAUNCHED, changed_by=data.user_id,
                             project_id=project.project_id, project_channel_id=project.channel_id,
                             summary=data.summary),
    ]
