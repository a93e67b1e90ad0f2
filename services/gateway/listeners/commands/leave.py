"""`/oco leave`: ask first; the Confirm button (actions/leave.py) publishes `resident.left`."""

from __future__ import annotations

from typing import Any

from services.gateway import views
from services.gateway.listeners.commands.oco import CommandContext, subcommand


@subcommand("leave", help_ja="住民登録をやめる（データを削除）", help_en="Leave the city office (deletes your data)")
async def ask_to_confirm_leaving(ctx: CommandContext) -> dict[str, Any]:
    return views.leave_confirmation()
