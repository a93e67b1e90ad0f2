"""The "Set up my profile" button (welcome DM, App Home) opens the onboarding modal."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from services.gateway import flows
from services.gateway.deps import GatewayDeps
from shared.slack_ids import ActionId


def register(app: AsyncApp, deps: GatewayDeps) -> None:
    @app.action(ActionId.OPEN_PROFILE.value)
    async def when_profile_button_clicked_open_modal(ack: AsyncAck, body: dict, client: AsyncWebClient) -> None:
        await flows.open_profile_modal(client=client, trigger_id=body.get("trigger_id", ""), departments=deps.departments)
        await ack()
