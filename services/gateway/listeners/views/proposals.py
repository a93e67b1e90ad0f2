"""Submissions of the proposal modal and the answer modal: inline errors, or publish and close."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp

from services.gateway.deps import GatewayDeps
from services.gateway.listeners.proposals_forms import ProposalContext, read_answer_form, read_context, read_proposal_form
from services.gateway.listeners.proposals_requests import answer_submitted, proposal_submitted
from services.gateway.models import FormInvalid
from services.gateway.payloads import tenant_of, user_of
from shared.slack_ids import CallbackId


def register(app: AsyncApp, deps: GatewayDeps) -> None:
    @app.view_submission(CallbackId.PROPOSAL_MODAL.value)
    async def when_proposal_sent_publish_it(ack: AsyncAck, body: dict, view: dict) -> None:
        try:
            context = read_context(view, ProposalContext, "title")
            form = read_proposal_form((view.get("state") or {}).get("values") or {}, departments=deps.departments)
        except FormInvalid as invalid:
            await ack(response_action="errors", errors=invalid.errors)
            return
        await deps.bus.publish(proposal_submitted(body, form, context, tenant=tenant_of(body), user=user_of(body),
                                                  source=deps.source))
        await ack()

    @app.view_submission(CallbackId.ANSWER_MODAL.value)
    async def when_answer_sent_publish_it(ack: AsyncAck, body: dict, view: dict) -> None:
        try:
            context, decision, answer = read_answer_form(view)
        except FormInvalid as invalid:
            await ack(response_action="errors", errors=invalid.errors)
            return
        await deps.bus.publish(answer_submitted(body, context, decision=decision, answer=answer,
                                                tenant=tenant_of(body), user=user_of(body), source=deps.source))
        await ack()
