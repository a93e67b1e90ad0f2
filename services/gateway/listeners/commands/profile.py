"""`/oco profile`: open the onboarding modal (to set up or change the profile)."""

from __future__ import annotations

from services.gateway import flows
from services.gateway.listeners.commands.oco import CommandContext, subcommand


@subcommand("profile", help_ja="プロフィールの登録・変更", help_en="Set up or change your profile")
async def open_profile(ctx: CommandContext) -> None:
    await flows.open_profile_modal(client=ctx.client, trigger_id=ctx.trigger_id, departments=ctx.deps.departments)
