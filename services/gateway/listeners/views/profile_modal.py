"""The profile modal's submission: inline errors, or `resident.profile_submitted` and close."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp

from services.gateway import translate
from services.gateway.deps import GatewayDeps
from services.gateway.models import FormInvalid, read_profile_form
from shared.slack_ids import CallbackId


def register(app: AsyncApp, deps: GatewayDeps) -> None:
    @app.view_submission(CallbackId.PROFILE_MODAL.value)
    async def when_profile_sent_publish_it(ack: AsyncAck, body: dict, view: dict) -> None:
        try:
            form = read_profile_form((view.get("state") or {}).get("values") or {}, departments=deps.departments)
        except FormInvalid as invalid:
            await ack(response_action="errors", errors=invalid.errors)
            return
        await deps.bus.publish(translate.profile_submitted(body, form, source=deps.source))
        await ack()
