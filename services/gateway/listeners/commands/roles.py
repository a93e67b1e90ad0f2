"""`/oco apply`, `/oco roles [@someone]`, `/oco appoint …` and `/oco revoke …`.

Appointments and revocations are published as requests; the roles service decides from its
own grants and the notifier tells the person who asked (an ephemeral in this channel).
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from slack_bolt.async_app import AsyncApp

from services.gateway import flows, views
from services.gateway.deps import GatewayDeps
from services.gateway.listeners.commands.oco import CommandContext, subcommand
from services.gateway.listeners.roles_forms import application_modal
from services.gateway.listeners.roles_requests import (
    CommandSyntaxError,
    RolesLookup,
    RolesLookupSettings,
    appointment_requested,
    describe_roles,
    parse_role_request,
    parse_user,
    revocation_requested,
)

log = logging.getLogger(__name__)

APPOINT_USAGE = "/oco appoint @someone ROLE [until YYYY-MM-DD] [department]"
REVOKE_USAGE = "/oco revoke @someone ROLE [department]"
REQUEST_SENT = "受け付けました。結果はこのチャンネルでお知らせします。 / Sent; you'll see the outcome here shortly."
LOOKUP_FAILED = "役割を確認できませんでした。少し待ってからお試しください。 / Could not look up roles right now; please try again shortly."

_lookup: RolesLookup | None = None


@subcommand("apply", help_ja="職員（ボランティア）に応募", help_en="Apply to be a volunteer employee")
async def open_application(ctx: CommandContext) -> None:
    await flows.open_modal(client=ctx.client, trigger_id=ctx.trigger_id, view=application_modal())


@subcommand("roles", usage="/oco roles [@someone]", help_ja="役割を見る", help_en="Show someone's roles")
async def show_roles(ctx: CommandContext) -> dict[str, Any]:
    try:
        user_id = parse_user(ctx.args[0]) if ctx.args else ctx.user_id
    except CommandSyntaxError as bad:
        return views.ephemeral(str(bad))
    try:
        roles = await _lookup.roles_of(ctx.tenant, user_id)
    except httpx.HTTPError as exc:
        log.warning("roles lookup failed: %s", type(exc).__name__)
        return views.ephemeral(LOOKUP_FAILED)
    return views.ephemeral(describe_roles(user_id, roles, ctx.deps.departments))


@subcommand("appoint", usage=APPOINT_USAGE, help_ja="役割に任命（管理者・課長）", help_en="Appoint someone (admins, section chiefs)")
async def request_appointment(ctx: CommandContext) -> dict[str, Any]:
    try:
        request = parse_role_request(ctx.args, departments=ctx.deps.departments, allow_term=True)
    except CommandSyntaxError as bad:
        return views.ephemeral(f"{bad}\n`{APPOINT_USAGE}`")
    await ctx.deps.bus.publish(
        appointment_requested(ctx.body, request, tenant=ctx.tenant, actor=ctx.user_id, source=ctx.deps.source)
    )
    return views.ephemeral(REQUEST_SENT)


@subcommand("revoke", usage=REVOKE_USAGE, help_ja="役割を解く（管理者・課長）", help_en="Revoke a role (admins, section chiefs)")
async def request_revocation(ctx: CommandContext) -> dict[str, Any]:
    try:
        request = parse_role_request(ctx.args, departments=ctx.deps.departments, allow_term=False)
    except CommandSyntaxError as bad:
        return views.ephemeral(f"{bad}\n`{REVOKE_USAGE}`")
    await ctx.deps.bus.publish(
        revocation_requested(ctx.body, request, tenant=ctx.tenant, actor=ctx.user_id, source=ctx.deps.source)
    )
    return views.ephemeral(REQUEST_SENT)


def register(app: AsyncApp, deps: GatewayDeps) -> None:
    """Builds the roles lookup (the subcommands themselves are registered on import)."""
    global _lookup
    _lookup = RolesLookup(RolesLookupSettings())
