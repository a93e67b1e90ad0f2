"""People's messages, replies, edits and deletions → `activity.message_posted`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp

from services.gateway import translate
from services.gateway.deps import GatewayDeps


def register(app: AsyncApp, deps: GatewayDeps) -> None:
    @app.event("message")
    async def when_message_posted_publish_activity(ack: AsyncAck, body: dict) -> None:
        await deps.bus.publish_all(translate.message_posted(body))
        await ack()
