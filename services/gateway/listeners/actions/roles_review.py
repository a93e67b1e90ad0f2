"""The review message's buttons: Approve publishes the attempt, Reject asks for a reason first.

Nothing is decided here: the roles service checks the clicker's own grants, so a click by
someone who is not a section chief is refused there (and answered ephemerally).
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from services.gateway import flows
from services.gateway.deps import GatewayDeps
from services.gateway.errors import MalformedPayload
from services.gateway.listeners.roles_forms import RejectionContext, rejection_modal
from services.gateway.listeners.roles_requests import application_reviewed
from services.gateway.payloads import tenant_of, user_of
from shared.slack_ids import ActionId


def clicked(body: dict) -> tuple[str, str, str | None, str | None]:
    """(application id, click marker, channel, message ts) of a review button click."""
    action = (body.get("actions") or [{}])[0]
    application_id = action.get("value")
    if not isinstance(application_id, str) or not application_id or len(application_id) > 100:
        raise MalformedPayload("review button without an application id")
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    marker = action.get("action_ts") or body.get("trigger_id") or ""
    return application_id, marker, channel, container.get("message_ts")


def register(app: AsyncApp, deps: GatewayDeps) -> None:
    @app.action(ActionId.APPROVE_APPLICATION.value)
    async def when_approve_clicked_publish_review(ack: AsyncAck, body: dict) -> None:
        application_id, marker, channel, message_ts = clicked(body)
        await deps.bus.publish(application_reviewed(
            tenant=tenant_of(body), reviewer=user_of(body), application_id=application_id, decision="approve",
            marker=marker, channel_id=channel, message_ts=message_ts, source=deps.source,
        ))
        await ack()

    @app.action(ActionId.REJECT_APPLICATION.value)
    async def when_reject_clicked_ask_for_reason(ack: AsyncAck, body: dict, client: AsyncWebClient) -> None:
        application_id, _marker, channel, message_ts = clicked(body)
        context = RejectionContext(application_id=application_id, channel_id=channel, message_ts=message_ts)
        await flows.open_modal(client=client, trigger_id=body.get("trigger_id", ""), view=rejection_modal(context))
        await ack()
