"""The notifier's handlers, one module per kind of news (residents, roles, projects, …).

Each module exposes `register(runtime, deps)` and is listed in `main.HANDLER_MODULES`.
Handlers are plain `async def when_<trigger>_<action>(event, *, slack, ...)` returning the
events to publish (`notification.delivered` per completed delivery, from `delivered()`).
They are subscribed through `consume()`, which publishes `notification.failed` for every
refused delivery before the bus dead-letters the event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from shared import topics
from shared.bus import Publisher
from shared.departments import Department
from shared.envelope import CloudEvent, TypedEvent, derive_id, new_event
from shared.events import NotificationDelivered, NotificationFailed
from shared.service import ServiceRuntime
from services.notifier.errors import DeliveryRefused, Refusal
from services.notifier.messages import choose_language, language_of
from services.notifier.slack_client import Delivered, SlackDelivery
from services.notifier.store import ResidentCache

SOURCE = "oco/notifier"


@dataclass
class NotifierDeps:
    """What handler modules may use; built once in `main.build()`."""

    slack: SlackDelivery
    residents: ResidentCache
    departments: list[Department]
    publisher: Publisher
    # Kafka consumers per topic for the news every resident gets (welcomes, invites).
    resident_workers: int = 1


def delivered(cause: TypedEvent, done: Delivered) -> CloudEvent:
    """`notification.delivered` for one delivery; the same id however often it is re-emitted."""
    data = NotificationDelivered(delivery_key=done.key, method=done.method, channel=done.channel, ts=done.ts,
                                 cause_event_id=cause.id)
    return new_event(id=derive_id(done.key, "delivered"), type=topics.NOTIFICATION_DELIVERED.name,
                     subject=cause.subject, tenant=cause.tenant, data=data, source=SOURCE)


def failed(cause: TypedEvent, refusal: Refusal) -> CloudEvent:
    data = NotificationFailed(delivery_key=refusal.key, method=refusal.method, error=refusal.error,
                              cause_event_id=cause.id)
    return new_event(id=derive_id(refusal.key, "failed"), type=topics.NOTIFICATION_FAILED.name,
                     subject=cause.subject, tenant=cause.tenant, data=data, source=SOURCE)


def reporting_refusals(handler: Callable[[TypedEvent], Awaitable[list[CloudEvent]]], publisher: Publisher):
    """Wrap a handler so refused deliveries are announced before the bus dead-letters the event."""

    async def run(event: TypedEvent) -> list[CloudEvent]:
        try:
            return await handler(event)
        except DeliveryRefused as exc:
            await publisher.publish_all([*exc.emitted, *(failed(event, r) for r in exc.refusals)])
            raise

    return run


def consume(runtime: ServiceRuntime, deps: NotifierDeps, topic: topics.Topic, handler, *, workers: int = 1,
            **kwargs: Any) -> None:
    """Subscribe `handler` (with `kwargs` bound) to `topic`, reporting refusals; `workers`
    partitions at a time (see `ServiceRuntime.consume`)."""
    runtime.consume(topic, reporting_refusals(partial(handler, **kwargs), deps.publisher), workers=workers)


async def open_dm(slack: SlackDelivery, cause: TypedEvent, user_id: str) -> str:
    """The bot's DM channel with `user_id` (Slack returns the same one every time)."""
    body = await slack.call("conversations.open", key=f"{cause.id}/open_dm/{user_id}", users=user_id)
    return body["channel"]["id"]


async def preferred_language(slack: SlackDelivery, residents: ResidentCache, cause: TypedEvent, user_id: str, *,
                             explicit: str | None = None) -> str:
    """The language to speak to `user_id`: the event's, else their Slack locale's, else ja."""
    if language_of(explicit):
        return choose_language(explicit=explicit)
    known = await residents.get(cause.tenant, user_id)
    locale = known.locale if known else None
    if locale is None:
        try:
            body = await slack.call("users.info", key=f"{cause.id}/users_info/{user_id}", user=user_id, include_locale=True)
        except DeliveryRefused:
            return choose_language()  # e.g. user_not_found: speak the default language, ask again next time
        # "" remembers that Slack had no locale for them, so we don't ask on every message.
        locale = (body.get("user") or {}).get("locale") or ""
        await residents.remember_locale(cause.tenant, user_id, locale)
    return choose_language(locale=locale)
