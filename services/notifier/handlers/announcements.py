"""The city's announcements, and facts other city systems publish.

- `city.announcement_published` → one post in the announcements department's channel
  (Japanese, the English text beneath when given), then a DM to every resident of the tenant
  whose interests match the announcement's, in their language. No interests: the post only.
- Each post and DM is a delivery under its own key (`<event id>/channel_post`,
  `<event id>/dm/<user>`): a redelivered announcement repeats none of them, and a run cut
  short (a crash, Slack down for a while) resumes where it stopped when the bus runs the
  event again. Residents erased meanwhile are looked up again just before their DM.
- Pace: a few DMs in flight at a time; a 429 pauses chat.postMessage for the whole process
  (the client waits out Retry-After), which is what really sets the pace. The bot's DM
  channel is remembered per resident, so a broadcast costs one Slack call per resident and
  not two (conversations.open has a far lower rate limit than chat.postMessage).
- `resident.moved_in` → congratulations by DM to a resident the notifier knows, unless the
  move is old (a city system backfilling its records must not DM everyone who ever moved).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from shared import topics
from shared.departments import Department, by_key
from shared.envelope import CloudEvent, TypedEvent
from shared.errors import PermanentError
from shared.events import AnnouncementPublished, ResidentMovedIn
from shared.service import ServiceRuntime
from services.notifier import blocks
from services.notifier.errors import DeliveryRefused
from services.notifier.handlers import NotifierDeps, consume, delivered, open_dm, preferred_language
from services.notifier.messages import LANGUAGES, choose_language, language_of
from services.notifier.models import DeliveryState, KnownResident
from services.notifier.slack_client import Delivered, SlackDelivery
from services.notifier.store import ResidentCache

ANNOUNCEMENTS = "announcements"
DM_CONCURRENCY = 4  # DMs in flight per broadcast: bursts are fine, 429s set the pace
MOVED_IN_NEWS_WINDOW = timedelta(days=30)

Step = Callable[[], Awaitable[CloudEvent | None]]


def announcements_channel(departments: list[Department]) -> str:
    """The announcements department's channel id; without one the event can't be handled."""
    found = by_key(departments).get(ANNOUNCEMENTS)
    if found is None or not found.channel_id:
        raise PermanentError(
            f"no channel id for the {ANNOUNCEMENTS!r} department: set its channel_id in OCO_DEPARTMENTS, "
            "then replay this announcement from the DLQ")
    return found.channel_id


async def resident_language(slack: SlackDelivery, residents: ResidentCache, cause: TypedEvent,
                            known: KnownResident) -> str:
    """The profile's language, else the Slack locale's; Slack is asked only when neither is known."""
    if language_of(known.language) or known.locale is not None:
        return choose_language(explicit=known.language, locale=known.locale)
    return await preferred_language(slack, residents, cause, known.user_id)


async def dm_channel(slack: SlackDelivery, residents: ResidentCache, cause: TypedEvent, known: KnownResident) -> str:
    """The bot's DM channel with a resident, remembered after the first time."""
    if known.dm_channel:
        return known.dm_channel
    channel = await open_dm(slack, cause, known.user_id)
    await residents.remember_dm_channel(cause.tenant, known.user_id, channel)
    return channel


async def dm_resident(slack: SlackDelivery, residents: ResidentCache, cause: TypedEvent, user_id: str, *,
                      key: str, message_in: Callable[[str], blocks.SlackMessage]) -> CloudEvent | None:
    """DM one resident `message_in(their language)` under `key`; None when they were erased meanwhile."""
    earlier = await slack.store.get(key)
    if earlier is not None and earlier.state is DeliveryState.DELIVERED:  # a resumed run skips Slack entirely
        return delivered(cause, Delivered(key, earlier.method, cause.id, earlier.channel, earlier.ts, repeated=True))
    known = await residents.get(cause.tenant, user_id)
    if known is None:
        return None
    language = await resident_language(slack, residents, cause, known)
    channel = await dm_channel(slack, residents, cause, known)
    done = await slack.deliver(key=key, tenant=cause.tenant, cause_event_id=cause.id, method="chat.postMessage",
                               channel=channel, **message_in(language).as_args())
    return delivered(cause, done)


async def deliver_all(steps: list[Step], *, concurrency: int) -> list[CloudEvent]:
    """Run `steps` a few at a time; one refused or failing doesn't stop the others.

    Refusals are raised together (the DLQ, and `notification.failed` for each). Any other
    failure is raised after the rest ran, so the bus runs the event again and only what is
    missing is delivered then.
    """
    pending = iter(steps)  # shared by the workers: each step is taken once
    done: list[CloudEvent] = []
    refusals, failures = [], []

    async def worker() -> None:
        for step in pending:
            try:
                result = await step()
            except DeliveryRefused as exc:
                refusals.extend(exc.refusals)
            except Exception as exc:  # raised below, once the others had their turn
                failures.append(exc)
            else:
                done.extend([result] if result is not None else [])

    await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    if failures:
        raise failures[0]
    if refusals:
        raise DeliveryRefused(refusals, emitted=done)
    return done


async def when_announcement_published_broadcast(
    event: TypedEvent[AnnouncementPublished], *, slack: SlackDelivery, residents: ResidentCache,
    departments: list[Department], concurrency: int = DM_CONCURRENCY,
) -> list[CloudEvent]:
    """Post the announcement in its channel, then DM the residents whose interests match."""
    data = event.data
    channel = announcements_channel(departments)
    post = blocks.announcement_post(title=data.title, body=data.body, body_en=data.body_en)
    dms = {language: blocks.announcement_dm(language, title=data.title, body=data.body, body_en=data.body_en,
                                            channel_id=channel) for language in LANGUAGES}

    async def channel_post() -> CloudEvent:
        done = await slack.deliver(key=f"{event.id}/channel_post", tenant=event.tenant, cause_event_id=event.id,
                                   method="chat.postMessage", channel=channel, **post.as_args())
        return delivered(event, done)

    recipients = await residents.with_interests(event.tenant, data.interests) if data.interests else []
    steps: list[Step] = [channel_post]
    steps += [partial(dm_resident, slack, residents, event, r.user_id, key=f"{event.id}/dm/{r.user_id}",
                      message_in=lambda language: dms.get(language, dms["ja"])) for r in recipients]
    return await deliver_all(steps, concurrency=concurrency)


async def when_resident_moved_in_congratulate(
    event: TypedEvent[ResidentMovedIn], *, slack: SlackDelivery, residents: ResidentCache,
) -> list[CloudEvent]:
    """Congratulate a resident we know on a recent move, in their language."""
    data = event.data
    moved_on = data.moved_in_on if data.moved_in_on.tzinfo else data.moved_in_on.replace(tzinfo=UTC)
    if moved_on < datetime.now(UTC) - MOVED_IN_NEWS_WINDOW:
        return []
    found = await dm_resident(slack, residents, event, data.user_id, key=f"{event.id}/moved_in_dm",
                              message_in=blocks.moved_in_dm)
    return [found] if found is not None else []


def register(runtime: ServiceRuntime, deps: NotifierDeps) -> None:
    consume(runtime, deps, topics.ANNOUNCEMENT_PUBLISHED, when_announcement_published_broadcast,
            slack=deps.slack, residents=deps.residents, departments=deps.departments)
    consume(runtime, deps, topics.RESIDENT_MOVED_IN, when_resident_moved_in_congratulate,
            slack=deps.slack, residents=deps.residents)
