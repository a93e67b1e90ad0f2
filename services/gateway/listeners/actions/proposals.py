"""A proposal's buttons: Support publishes a (toggling) request, Answer opens the answer modal.

Nothing is decided here: the projects service refuses an author supporting their own
proposal, or an answer by someone who is not a section chief, from its own records.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from services.gateway import flows
from services.gateway.deps import GatewayDeps
from services.gateway.errors import MalformedPayload
from services.gateway.listeners.proposals_forms import AnswerContext, answer_modal
from services.gateway.listeners.proposals_requests import support_requested
from services.gateway.payloads import tenant_of, user_of
from shared.slack_ids import ActionId


def clicked(body: dict) -> tuple[str, str, str | None, str | None]:
    """(proposal id, click marker, channel, message ts) of a proposal button click."""
    action = (body.get("actions") or [{}])[0]
    proposal_id = action.get("value")
    if not isinstance(proposal_id, str) or not proposal_id or len(proposal_id) > 100:
        raise MalformedPayload("proposal button without a proposal id")
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    marker = action.get("action_ts") or body.get("trigger_id") or ""
    return proposal_id, marker, channel, container.get("message_ts")


def register(app: AsyncApp, deps: GatewayDeps) -> None:
    @app.action(ActionId.SUPPORT_PROPOSAL.value)
    async def when_support_clicked_publish_request(ack: AsyncAck, body: dict) -> None:
        proposal_id, marker, channel, message_ts = clicked(body)
        await deps.bus.publish(support_requested(
            tenant=tenant_of(body), user=user_of(body), proposal_id=proposal_id, marker=marker, channel_id=channel,
            message_ts=message_ts, source=deps.source,
        ))
        await ack()

    @app.action(ActionId.ANSWER_PROPOSAL.value)
    async def when_answer_clicked_open_modal(ack: AsyncAck, body: dict, client: AsyncWebClient) -> None:
        proposal_id, _marker, channel, _ts = clicked(body)
        await flows.open_modal(client=client, trigger_id=body.get("trigger_id", ""),
                               view=answer_modal(AnswerContext(proposal_id=proposal_id, channel_id=channel)))
        await ack()
