"""The events the proposal listeners publish, and the projects lookup behind `/oco proposals`.

Slack's `response_url`s (capabilities to post in a channel) stay off the bus: refusals come
back as ephemerals in the channel, through the notifier. Ids come from the Slack interaction (the modal's view id, the click's action_ts, the
command's trigger_id), so a repeated delivery of one interaction collapses downstream.
`/oco proposals` asks the projects service's read-only endpoint
(`GET /proposals/{tenant}?status=open`): the gateway can't read its database.
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared import topics
from shared.departments import Department
from shared.envelope import CloudEvent, derive_id, new_event
from shared.events import (
    ProjectCompletionSubmitted,
    ProjectProgressSubmitted,
    ProposalAnswerSubmitted,
    ProposalSubmitted,
    ProposalSupportRequested,
)
from services.gateway.listeners.proposals_forms import AnswerContext, ProposalContext, ProposalForm

MAX_LISTED = 20


class ProjectsLookupSettings(BaseSettings):
    """Where the gateway finds the projects service's read endpoint."""

    model_config = SettingsConfigDict(env_prefix="OCO_", extra="ignore")

    projects_url: str = "http://127.0.0.1:8103"
    projects_lookup_timeout_seconds: float = 1.5


class ProjectsLookup:
    """Asks the projects service for the open proposals."""

    def __init__(self, settings: ProjectsLookupSettings) -> None:
        self.base_url = settings.projects_url.rstrip("/")
        self.timeout = settings.projects_lookup_timeout_seconds

    async def open_proposals(self, tenant: str) -> list[dict[str, Any]]:
        """Open proposals, most supported first; raises httpx.HTTPError when the service can't answer."""
        async with httpx.AsyncClient(timeout=self.timeout) as http:
            response = await http.get(f"{self.base_url}/proposals/{tenant}", params={"status": "open"})
            response.raise_for_status()
            return list(response.json().get("proposals") or [])


def describe_proposals(proposals: list[dict[str, Any]], departments: list[Department]) -> str:
    """One line per open proposal with its support count."""
    if not proposals:
        return "受付中の提案はまだありません。`/oco propose` でどうぞ。 / No open proposals yet: try `/oco propose`."
    names = {d.key: d.name_ja for d in departments}
    lines = ["*受付中の提案 / Open proposals*"]
    for p in proposals[:MAX_LISTED]:
        title = str(p.get("title", "")).replace("<", "&lt;").replace(">", "&gt;")
        if p.get("post_permalink"):
            title = f"<{p['post_permalink']}|{title}>"
        department = names.get(p.get("department", ""), p.get("department", ""))
        lines.append(f"• {title} — 👍 {p.get('supports', 0)}（{department}）")
    if len(proposals) > MAX_LISTED:
        lines.append(f"…ほか {len(proposals) - MAX_LISTED} 件 / and {len(proposals) - MAX_LISTED} more")
    return "\n".join(lines)


def proposal_submitted(body: dict[str, Any], form: ProposalForm, context: ProposalContext, *, tenant: str,
                       user: str, source: str) -> CloudEvent:
    """One id per modal, so a double submit is one proposal."""
    view_id = (body.get("view") or {}).get("id") or body.get("trigger_id") or ""
    data = ProposalSubmitted(user_id=user, **form.model_dump(), via=context.via, channel_id=context.channel_id,
                             source_channel_id=context.source_channel_id, source_ts=context.source_ts)
    return new_event(id=derive_id(f"slack:{tenant}:view:{view_id}", "proposal_submitted"),
                     type=topics.PROPOSAL_SUBMITTED.name, subject=user, tenant=tenant, data=data, source=source)


def support_requested(*, tenant: str, user: str, proposal_id: str, marker: str, source: str,
                      channel_id: str | None = None, message_ts: str | None = None) -> CloudEvent:
    """A Support click; keyed by (proposal, resident) so clicks spread over partitions but stay in order per person."""
    data = ProposalSupportRequested(proposal_id=proposal_id, user_id=user, channel_id=channel_id,
                                    message_ts=message_ts)
    return new_event(id=derive_id(f"slack:{tenant}:{user}", f"support/{proposal_id}/{marker}"),
                     type=topics.PROPOSAL_SUPPORT_REQUESTED.name, subject=f"{proposal_id}:{user}", tenant=tenant,
                     data=data, source=source)


def answer_submitted(body: dict[str, Any], context: AnswerContext, *, decision: str, answer: str, tenant: str,
                     user: str, source: str) -> CloudEvent:
    view_id = (body.get("view") or {}).get("id") or body.get("trigger_id") or ""
    data = ProposalAnswerSubmitted(proposal_id=context.proposal_id, user_id=user, decision=decision, answer=answer,
                                   channel_id=context.channel_id)
    return new_event(id=derive_id(f"slack:{tenant}:view:{view_id}", "answer_submitted"),
                     type=topics.PROPOSAL_ANSWER_SUBMITTED.name, subject=context.proposal_id, tenant=tenant,
                     data=data, source=source)


def project_report(body: dict[str, Any], *, complete: bool, text: str, tenant: str, user: str,
                   source: str) -> CloudEvent:
    """`/oco project update|complete TEXT`, typed in the project's channel (which names the project)."""
    channel = body.get("channel_id")
    common = {"user_id": user, "channel_id": channel}
    topic = topics.PROJECT_COMPLETION_SUBMITTED if complete else topics.PROJECT_PROGRESS_SUBMITTED
    data = ProjectCompletionSubmitted(summary=text, **common) if complete else ProjectProgressSubmitted(text=text, **common)
    return new_event(id=derive_id(f"slack:{tenant}:command:{body.get('trigger_id') or ''}", topic.name),
                     type=topic.name, subject=channel or user, tenant=tenant, data=data, source=source)
