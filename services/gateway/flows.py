"""Small steps several listeners share: modals, App Home, answers via response_url."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from services.gateway import views
from services.gateway.errors import MalformedPayload, SlackUnavailable
from shared.departments import Department

log = logging.getLogger(__name__)


async def open_profile_modal(*, client: AsyncWebClient, trigger_id: str, departments: list[Department]) -> None:
    """Open the onboarding modal at once: a trigger_id expires 3 s after the click."""
    await open_modal(client=client, trigger_id=trigger_id, view=views.profile_modal(departments=departments))


async def open_modal(*, client: AsyncWebClient, trigger_id: str, view: dict[str, Any]) -> None:
    """`views.open`, with a failure turned into something the person is told (SlackUnavailable)."""
    if not trigger_id:
        raise MalformedPayload("no trigger_id to open a modal with")
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        raise SlackUnavailable("views.open", str(exc.response.get("error") or exc.response.status_code)) from exc
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise SlackUnavailable("views.open", type(exc).__name__) from exc


async def publish_home(*, client: AsyncWebClient, user_id: str, view: dict[str, Any]) -> None:
    """`views.publish` of App Home; a failure is a 5xx, so Slack sends the event again."""
    try:
        await client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:
        raise SlackUnavailable("views.publish", str(exc.response.get("error") or exc.response.status_code)) from exc
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise SlackUnavailable("views.publish", type(exc).__name__) from exc


async def tell(respond: AsyncRespond | None, *, timeout: float = 2.0, **message: Any) -> None:
    """Update the message a button was in; a failure here must not undo what was published."""
    if respond is None or respond.response_url is None:
        return
    try:
        await asyncio.wait_for(respond(**message), timeout)
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        log.warning("could not answer through response_url: %s", type(exc).__name__)
