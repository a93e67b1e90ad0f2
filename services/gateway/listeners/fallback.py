"""Catch-alls registered last: whatever no listener claimed is acknowledged and ignored.

Slack would otherwise see a 404 for an event type we don't use and retry it, or show the
person an error for a button that needs no answer (a link button).
"""

from __future__ import annotations

import logging
import re

from slack_bolt.async_app import AsyncAck, AsyncApp

from services.gateway.deps import GatewayDeps

log = logging.getLogger(__name__)
ANYTHING = re.compile(".*")


def register(app: AsyncApp, deps: GatewayDeps) -> None:
    async def ignore(ack: AsyncAck, body: dict) -> None:
        log.debug("ignored a request nobody listens to", extra={"fields": {"type": body.get("type")}})
        await ack()

    app.event(ANYTHING)(ignore)
    app.action(ANYTHING)(ignore)
    app.shortcut(ANYTHING)(ignore)
    app.view(ANYTHING)(ignore)
    app.options(ANYTHING)(ignore)
