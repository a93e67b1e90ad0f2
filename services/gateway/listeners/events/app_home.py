"""App Home opened → publish the welcome card (the gateway keeps no state, so it is generic)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from services.gateway import flows, views
from services.gateway.deps import GatewayDeps
from services.gateway.listeners.commands.oco import command_help


def register(app: AsyncApp, deps: GatewayDeps) -> None:
    @app.event("app_home_opened")
    async def when_home_opened_publish_welcome_card(ack: AsyncAck, event: dict, client: AsyncWebClient) -> None:
        if event.get("tab", "home") == "home" and event.get("user"):
            await flows.publish_home(client=client, user_id=event["user"], view=views.home_view(command_help()))
        await ack()
