"""A person joined the workspace → `resident.joined` (bots and Slackbot are not residents)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp

from services.gateway import translate
from services.gateway.deps import GatewayDeps


def register(app: AsyncApp, deps: GatewayDeps) -> None:
    @app.event("team_join")
    async def when_member_joined_publish_resident_joined(ack: AsyncAck, body: dict) -> None:
        await deps.bus.publish_all(translate.team_joined(body))
        await ack()
