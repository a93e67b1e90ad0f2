"""A member was deactivated → `resident.left`; other profile changes are not our business."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp

from services.gateway import translate
from services.gateway.deps import GatewayDeps


def register(app: AsyncApp, deps: GatewayDeps) -> None:
    @app.event("user_change")
    async def when_member_deactivated_publish_resident_left(ack: AsyncAck, body: dict) -> None:
        await deps.bus.publish_all(translate.user_changed(body))
        await ack()
