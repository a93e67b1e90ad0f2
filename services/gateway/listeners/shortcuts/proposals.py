"""The "Propose this" message shortcut: the proposal form, prefilled, keeping the message as its source."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from services.gateway import flows
from services.gateway.deps import GatewayDeps
from services.gateway.listeners.proposals_forms import ProposalContext, prefill_from_message, proposal_modal
from shared.slack_ids import CallbackId


def register(app: AsyncApp, deps: GatewayDeps) -> None:
    @app.shortcut(CallbackId.PROPOSE_SHORTCUT.value)
    async def when_propose_this_chosen_open_form(ack: AsyncAck, body: dict, client: AsyncWebClient) -> None:
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id")
        title, idea = prefill_from_message(message.get("text", ""))
        context = ProposalContext(via="shortcut", channel_id=channel, source_channel_id=channel,
                                  source_ts=message.get("ts"))
        await flows.open_modal(client=client, trigger_id=body.get("trigger_id", ""),
                               view=proposal_modal(deps.departments, context, title=title, idea=idea))
        await ack()
