"""The `/oco leave` confirmation's buttons: Confirm publishes `resident.left`, Cancel doesn't."""

from __future__ import annotations

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond

from services.gateway import flows, messages, translate
from services.gateway.deps import GatewayDeps
from shared.slack_ids import ActionId


def register(app: AsyncApp, deps: GatewayDeps) -> None:
    @app.action(ActionId.CONFIRM_LEAVE.value)
    async def when_leave_confirmed_publish_resident_left(ack: AsyncAck, body: dict, respond: AsyncRespond) -> None:
        await deps.bus.publish(translate.leave_confirmed(body, source=deps.source))
        await ack()
        await flows.tell(respond, text=messages.LEAVE_DONE, replace_original=True)

    @app.action(ActionId.CANCEL_LEAVE.value)
    async def when_leave_cancelled_say_so(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await flows.tell(respond, text=messages.LEAVE_CANCELLED, replace_original=True)
