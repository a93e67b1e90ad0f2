"""Residents' news: the welcome DM on joining, the resident welcome and department invites
on onboarding (or a short note on a profile update), and forgetting erased residents."""

from __future__ import annotations

from shared import topics
from shared.departments import Department
from shared.envelope import CloudEvent, TypedEvent
from shared.events import ResidentErased, ResidentJoined, ResidentOnboarded
from shared.service import ServiceRuntime
from services.notifier import blocks
from services.notifier.errors import DeliveryRefused
from services.notifier.handlers import NotifierDeps, consume, delivered, open_dm, preferred_language
from services.notifier.messages import choose_language
from services.notifier.slack_client import SlackDelivery
from services.notifier.store import ResidentCache


async def when_resident_joined_send_welcome(
    event: TypedEvent[ResidentJoined], *, slack: SlackDelivery, residents: ResidentCache
) -> list[CloudEvent]:
    """DM the newcomer a welcome with the "Set up my profile" button; imports get nothing."""
    data = event.data
    if data.via == "import":  # an imported history must not DM everyone who ever joined
        return []
    # Slack sent the locale with the join (users:read): no need to ask, or to look it up.
    language = choose_language(locale=data.locale) if data.locale else await preferred_language(
        slack, residents, event, data.user_id)
    channel = await open_dm(slack, event, data.user_id)
    # The locale for later messages, the DM channel so broadcasts skip conversations.open.
    await residents.remember(event.tenant, data.user_id, locale=data.locale or None, dm_channel=channel)
    message = blocks.welcome_dm(language, display_name=data.display_name)
    done = await slack.deliver(key=f"{event.id}/welcome_dm", tenant=event.tenant, cause_event_id=event.id,
                               method="chat.postMessage", channel=channel, **message.as_args())
    return [delivered(event, done)]


def recommended(departments: list[Department], interests: list[str]) -> list[Department]:
    """The catalogue's departments matching `interests`, in catalogue order; unknown keys ignored."""
    wanted = set(interests)
    return [d for d in departments if d.key in wanted]


async def when_resident_onboarded_welcome_and_invite(
    event: TypedEvent[ResidentOnboarded], *, slack: SlackDelivery, residents: ResidentCache,
    departments: list[Department],
) -> list[CloudEvent]:
    """Welcome a new resident (or confirm a profile update) and invite them to their departments."""
    data = event.data
    explicit = data.language if "language" in data.model_fields_set else None
    language = await preferred_language(slack, residents, event, data.user_id, explicit=explicit)
    matching = recommended(departments, data.interests)
    if data.first_time:
        to_invite, message = matching, blocks.resident_welcome_dm(language, category=data.category, departments=matching)
        step = "resident_welcome_dm"
    else:
        known = await residents.get(event.tenant, data.user_id)
        before = set(known.interests) if known and known.interests is not None else set()
        to_invite = [d for d in matching if d.key not in before]
        message = blocks.profile_updated_dm(language, category=data.category, added=to_invite)
        step = "profile_updated_dm"
    channel = await open_dm(slack, event, data.user_id)
    done = await slack.deliver(key=f"{event.id}/{step}", tenant=event.tenant, cause_event_id=event.id,
                               method="chat.postMessage", channel=channel, **message.as_args())
    welcomed = delivered(event, done)
    emitted = [welcomed, *await invite(slack, event, data.user_id, to_invite, emitted=[welcomed])]
    # Remembered last, so a retry after a failed invite computes the same newly added set.
    await residents.remember(event.tenant, data.user_id, interests=data.interests, language=language, dm_channel=channel)
    return emitted


async def invite(slack: SlackDelivery, cause: TypedEvent, user_id: str, departments: list[Department], *,
                 emitted: list[CloudEvent]) -> list[CloudEvent]:
    """Invite to each department with a channel; refusals are collected and raised together."""
    done_events, refusals = [], []
    for department in departments:
        if not department.channel_id:  # the message already told them to join by hand
            continue
        try:
            done = await slack.deliver(key=f"{cause.id}/invite/{department.key}", tenant=cause.tenant,
                                       cause_event_id=cause.id, method="conversations.invite",
                                       channel=department.channel_id, users=user_id)
        except DeliveryRefused as exc:
            refusals += exc.refusals
            continue
        done_events.append(delivered(cause, done))
    if refusals:
        raise DeliveryRefused(refusals, emitted=emitted + done_events)
    return done_events


async def when_resident_erased_forget(event: TypedEvent[ResidentErased], *, residents: ResidentCache) -> list[CloudEvent]:
    """Drop the cached locale and interests; delivery records hold ids only and stay."""
    await residents.forget(event.tenant, event.data.user_id)
    return []


def register(runtime: ServiceRuntime, deps: NotifierDeps) -> None:
    # Every newcomer waits on these: several partitions at a time, so one slow Slack call
    # (or a 429's Retry-After) does not hold up every other welcome.
    consume(runtime, deps, topics.RESIDENT_JOINED, when_resident_joined_send_welcome, workers=deps.resident_workers,
            slack=deps.slack, residents=deps.residents)
    consume(runtime, deps, topics.RESIDENT_ONBOARDED, when_resident_onboarded_welcome_and_invite,
            workers=deps.resident_workers, slack=deps.slack, residents=deps.residents, departments=deps.departments)
    consume(runtime, deps, topics.RESIDENT_ERASED, when_resident_erased_forget, residents=deps.residents)
