"""Onboarding's handlers: plain functions of an event and the store, returning new events.

Events of one resident arrive on separate topics and so may come out of order: a profile
before the join, a join after the leave. The resident's timestamps decide: a tombstone is
only lifted by a join that happened after the leave.

They may also be handled at the same time, by the consumers of different topics: each
handler reads the resident and writes it whole, so within this process it holds the
resident's lock (`one_resident_at_a_time`) from the read to the write. Two instances of the
service can still interleave a join with a profile or a leave of the same person (the
store's updates are read-then-write, without transactions); the fix that holds there too is
one document per fact (join, profile, tombstone), each written by one handler — not done yet.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from shared import topics
from shared.envelope import CloudEvent, TypedEvent, derive_id, new_event
from shared.errors import PermanentError
from shared.events import (
    Category,
    ResidentErased,
    ResidentJoined,
    ResidentLeft,
    ResidentOnboarded,
    ResidentProfileSubmitted,
    ResidentRegistered,
)
from services.onboarding.models import PERSONAL_FIELDS, Resident, ResidentStatus
from services.onboarding.store import ResidentStore

SOURCE = "oco/onboarding"


def _emit(cause: TypedEvent, topic: topics.Topic, data, label: str) -> CloudEvent:
    # The fact dates from its cause (a profile sent last spring was accepted last spring),
    # so read models that bucket by time put replayed history where it belongs.
    return new_event(
        id=derive_id(cause.id, label),
        type=topic.name,
        subject=cause.subject,
        tenant=cause.tenant,
        data=data,
        source=SOURCE,
        time=cause.time,
    )


def one_resident_at_a_time(handler):
    """Run `handler` holding its resident's lock (see `ResidentLocks`): read and write of one
    resident never interleave with another handler's in this process."""

    @functools.wraps(handler)
    async def run(event: TypedEvent, *, store: ResidentStore) -> list[CloudEvent]:
        async with store.lock(event.tenant, event.data.user_id):
            return await handler(event, store=store)

    return run


def _left_after(resident: Resident | None, when: datetime) -> bool:
    """True when the resident's tombstone is newer than `when`: the event is stale."""
    return bool(resident and resident.status is ResidentStatus.LEFT and resident.left_at and resident.left_at >= when)


@one_resident_at_a_time
async def when_resident_joined_register(event: TypedEvent[ResidentJoined], *, store: ResidentStore) -> list[CloudEvent]:
    """Register the person; a join older than their leave is ignored (the tombstone wins)."""
    data = event.data
    joined_at = data.joined_at or event.time
    resident = await store.get(event.tenant, data.user_id)
    if _left_after(resident, joined_at):
        return []
    first_time = resident is None or resident.status is ResidentStatus.LEFT
    if first_time:
        resident = Resident(tenant=event.tenant, user_id=data.user_id)
    resident.display_name = resident.display_name or data.display_name
    resident.real_name = resident.real_name or data.real_name
    resident.locale = resident.locale or data.locale
    resident.tz = resident.tz or data.tz
    resident.joined_at = resident.joined_at or joined_at
    resident.updated_at = datetime.now(UTC)
    await store.save(resident)
    registered = ResidentRegistered(user_id=data.user_id, joined_at=joined_at, first_time=first_time)
    return [_emit(event, topics.RESIDENT_REGISTERED, registered, "registered")]


def validate_profile(data: ResidentProfileSubmitted) -> Category:
    """The category, or a PermanentError saying what is wrong with the form."""
    if not data.consent:
        raise PermanentError("consent is required to become a digital resident")
    try:
        return Category(data.category)
    except ValueError:
        allowed = ", ".join(c.value for c in Category)
        raise PermanentError(f"unknown category {data.category!r}; choose one of {allowed}") from None


@one_resident_at_a_time
async def when_profile_submitted_onboard(
    event: TypedEvent[ResidentProfileSubmitted], *, store: ResidentStore
) -> list[CloudEvent]:
    """Accept the profile (first time or an update) and announce the resident."""
    data = event.data
    category = validate_profile(data)
    resident = await store.get(event.tenant, data.user_id)
    if _left_after(resident, event.time):
        return []
    if resident is None or resident.status is ResidentStatus.LEFT:
        resident = Resident(tenant=event.tenant, user_id=data.user_id)
    first_time = resident.status is not ResidentStatus.ONBOARDED
    previous = resident.category
    resident.status = ResidentStatus.ONBOARDED
    resident.category = category
    resident.display_name = data.display_name or resident.display_name
    resident.language = data.language
    resident.relation = data.relation
    resident.interests = list(data.interests)
    resident.consented_at = resident.consented_at or event.time
    resident.onboarded_at = resident.onboarded_at or event.time
    resident.updated_at = datetime.now(UTC)
    await store.save(resident)
    onboarded = ResidentOnboarded(
        user_id=data.user_id,
        category=category,
        previous_category=previous if previous != category else None,
        display_name=resident.display_name,
        language=data.language,
        interests=resident.interests,
        first_time=first_time,
    )
    return [_emit(event, topics.RESIDENT_ONBOARDED, onboarded, "onboarded")]


@one_resident_at_a_time
async def when_resident_left_erase(event: TypedEvent[ResidentLeft], *, store: ResidentStore) -> list[CloudEvent]:
    """Erase personal data and keep a tombstone, so late events can't bring it back."""
    data = event.data
    resident = await store.get(event.tenant, data.user_id)
    left_at = event.time
    if resident and resident.status is ResidentStatus.LEFT and resident.left_at and resident.left_at >= left_at:
        left_at = resident.left_at
    tombstone = Resident(
        tenant=event.tenant,
        user_id=data.user_id,
        status=ResidentStatus.LEFT,
        joined_at=resident.joined_at if resident else None,
        left_at=left_at,
        updated_at=datetime.now(UTC),
    )
    assert all(getattr(tombstone, f) in (None, "", []) for f in PERSONAL_FIELDS)
    await store.save(tombstone)
    return [_emit(event, topics.RESIDENT_ERASED, ResidentErased(user_id=data.user_id), "erased")]
