"""Submissions of the application modal and the rejection modal: inline errors, or publish."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp

from services.gateway.deps import GatewayDeps
from services.gateway.listeners.roles_forms import read_application_form, read_rejection
from services.gateway.listeners.roles_requests import application_reviewed, application_submitted
from services.gateway.models import FormInvalid
from services.gateway.payloads import tenant_of, user_of
from shared.slack_ids import CallbackId


def register(app: AsyncApp, deps: GatewayDeps) -> None:
    @app.view_submission(CallbackId.APPLICATION_MODAL.value)
    async def when_application_sent_publish_it(ack: AsyncAck, body: dict, view: dict) -> None:
        try:
            form = read_application_form((view.get("state") or {}).get("values") or {})
        except FormInvalid as invalid:
            await ack(response_action="errors", errors=invalid.errors)
            return
        await deps.bus.publish(application_submitted(body, form, tenant=tenant_of(body), user=user_of(body), source=deps.source))
        await ack()

    @app.view_submission(CallbackId.REJECTION_MODAL.value)
    async def when_rejection_sent_publish_review(ack: AsyncAck, body: dict, view: dict) -> None:
        try:
            context, reason = read_rejection(view)
        except FormInvalid as invalid:
            await ack(response_action="errors", errors=invalid.errors)
            return
        await deps.bus.publish(application_reviewed(
            tenant=tenant_of(body), reviewer=user_of(body), application_id=context.application_id,
            decision="reject", reason=reason, marker=f"view:{view.get('id') or ''}", channel_id=context.channel_id,
            message_ts=context.message_ts, source=deps.source,
        ))
        await ack()
