"""Reactions added to and removed from messages → `activity.reaction_added` / `_removed`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp

from services.gateway import translate
from services.gateway.deps import GatewayDeps


def register(app: AsyncApp, deps: GatewayDeps) -> None:
    @app.event("reaction_added")
    async def when_reaction_added_publish_activity(ack: AsyncAck, body: dict) -> None:
        await deps.bus.publish_all(translate.reaction_changed(body, added=True))
        await ack()

    @app.event("reaction_removed")
    async def when_reaction_removed_publish_activity(ack: AsyncAck, body: dict) -> None:
        await deps.bus.publish_all(translate.reaction_changed(body, added=False))
        await ack()
