"""Small steps several listeners share: opening the profile modal, answering via response_url."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from services.gateway import views
from shared.departments import Department

log = logging.getLogger(__name__)


async def open_profile_modal(*, client: AsyncWebClient, trigger_id: str, departments: list[Department]) -> None:
    """Open the onboarding modal at once: a trigger_id expires 3 s after the click."""
    await client.views_open(trigger_id=trigger_id, view=views.profile_modal(departments=departments))


async def tell(respond: AsyncRespond | None, *, timeout: float = 2.0, **message: Any) -> None:
    """Update the message a button was in; a failure here must not undo what was published."""
    if respond is None or respond.response_url is None:
        return
    try:
        await asyncio.wait_for(respond(**message), timeout)
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        log.warning("could not answer through response_url: %s", type(exc).__name__)
