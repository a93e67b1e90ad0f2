"""`/oco propose`, `/oco proposals` and `/oco project update|complete …`.

Nothing is decided here: the projects service checks who may do what, and the notifier
tells the person (an ephemeral in this channel) when something was refused.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from slack_bolt.async_app import AsyncApp

from services.gateway import flows, views
from services.gateway.deps import GatewayDeps
from services.gateway.listeners.commands.oco import CommandContext, subcommand
from services.gateway.listeners.proposals_forms import MAX_TEXT, ProposalContext, proposal_modal
from services.gateway.listeners.proposals_requests import (
    ProjectsLookup,
    ProjectsLookupSettings,
    describe_proposals,
    project_report,
)

log = logging.getLogger(__name__)

PROJECT_USAGE = "/oco project update TEXT | /oco project complete SUMMARY"
PROJECT_SENT = "受け付けました。 / Sent."
LOOKUP_FAILED = "提案を読み込めませんでした。少し待ってからお試しください。 / Could not load the proposals right now; please try again shortly."

_lookup: ProjectsLookup | None = None


@subcommand("propose", help_ja="アイデアを提案する", help_en="Propose an idea for the city")
async def open_proposal_form(ctx: CommandContext) -> None:
    context = ProposalContext(channel_id=ctx.body.get("channel_id"))
    await flows.open_modal(client=ctx.client, trigger_id=ctx.trigger_id,
                           view=proposal_modal(ctx.deps.departments, context))


@subcommand("proposals", help_ja="受付中の提案と応援の数", help_en="Open proposals and their supports")
async def list_proposals(ctx: CommandContext) -> dict[str, Any]:
    try:
        proposals = await _lookup.open_proposals(ctx.tenant)
    except httpx.HTTPError as exc:
        log.warning("projects lookup failed: %s", type(exc).__name__)
        return views.ephemeral(LOOKUP_FAILED)
    return views.ephemeral(describe_proposals(proposals, ctx.deps.departments))


@subcommand("project", usage=PROJECT_USAGE, help_ja="プロジェクトの進捗・完了（プロジェクトのチャンネルで）",
            help_en="Post a project's progress or complete it (in its channel)")
async def report_on_project(ctx: CommandContext) -> dict[str, Any]:
    # The text after "project <action>", as typed (line breaks kept).
    words = (ctx.body.get("text") or "").strip().split(None, 2)
    action = words[1].lower() if len(words) > 1 else ""
    text = words[2].strip() if len(words) > 2 else ""
    if action not in ("update", "complete") or not text:
        return views.ephemeral(f"使い方 / Usage: `{PROJECT_USAGE}`")
    if len(text) > MAX_TEXT:
        return views.ephemeral(f"{MAX_TEXT}文字以内でお願いします。 / Please keep it under {MAX_TEXT} characters.")
    await ctx.deps.bus.publish(project_report(ctx.body, complete=action == "complete", text=text, tenant=ctx.tenant,
                                              user=ctx.user_id, source=ctx.deps.source))
    return views.ephemeral(PROJECT_SENT)


def register(app: AsyncApp, deps: GatewayDeps) -> None:
    """Builds the projects lookup (the subcommands themselves are registered on import)."""
    global _lookup
    _lookup = ProjectsLookup(ProjectsLookupSettings())
