"""Onboarding's handlers on the in-memory store: out-of-order events and erasure."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from shared.envelope import TypedEvent, new_event
from shared.errors import PermanentError
from shared.events import ResidentJoined, ResidentLeft, ResidentProfileSubmitted
from services.onboarding import handlers
from services.onboarding.models import PERSONAL_FIELDS, ResidentStatus
from services.onboarding.store import InMemoryResidentStore

pytestmark = pytest.mark.unit
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def typed(topic, data, at):
    env = new_event(type=topic, subject=data.user_id, tenant="T1", source="t", data=data, time=at)
    return TypedEvent(env, data)


def profile(category="citizen", consent=True, **kw):
    return ResidentProfileSubmitted(user_id="U1", category=category, consent=consent, display_name="Taro",
                                    interests=["moving"], **kw)


async def test_profile_before_join_is_kept_and_the_join_does_not_downgrade():
    store = InMemoryResidentStore()
    out = await handlers.when_profile_submitted_onboard(typed("resident.profile_submitted", profile(), T0), store=store)
    assert out[0].type == "resident.onboarded" and out[0].data["first_time"] is True
    await handlers.when_resident_joined_register(typed("resident.joined", ResidentJoined(user_id="U1", display_name="t"), T0 - timedelta(1)), store=store)
    resident = await store.get("T1", "U1")
    assert resident.status is ResidentStatus.ONBOARDED and resident.display_name == "Taro"


async def test_resubmission_updates_and_reports_the_previous_category():
    store = InMemoryResidentStore()
    await handlers.when_profile_submitted_onboard(typed("resident.profile_submitted", profile(), T0), store=store)
    out = await handlers.when_profile_submitted_onboard(
        typed("resident.profile_submitted", profile("remote_citizen"), T0 + timedelta(1)), store=store)
    assert out[0].data["first_time"] is False and out[0].data["previous_category"] == "citizen"


@pytest.mark.parametrize("bad, message", [(dict(consent=False), "consent"), (dict(category="section_chief"), "unknown category")])
async def test_invalid_profiles_are_refused(bad, message):
    with pytest.raises(PermanentError, match=message):
        await handlers.when_profile_submitted_onboard(typed("resident.profile_submitted", profile(**bad), T0), store=InMemoryResidentStore())


async def test_leaving_erases_personal_data_and_late_events_cannot_bring_it_back():
    store = InMemoryResidentStore()
    await handlers.when_profile_submitted_onboard(typed("resident.profile_submitted", profile(), T0), store=store)
    out = await handlers.when_resident_left_erase(typed("resident.left", ResidentLeft(user_id="U1"), T0 + timedelta(2)), store=store)
    assert out[0].type == "resident.erased"
    # a late profile and a late join, both from before the leave
    assert await handlers.when_profile_submitted_onboard(typed("resident.profile_submitted", profile(), T0 + timedelta(1)), store=store) == []
    assert await handlers.when_resident_joined_register(typed("resident.joined", ResidentJoined(user_id="U1", display_name="x"), T0 + timedelta(1)), store=store) == []
    resident = await store.get("T1", "U1")
    assert resident.status is ResidentStatus.LEFT
    assert all(getattr(resident, f) in (None, "", []) for f in PERSONAL_FIELDS)


async def test_leave_before_join_keeps_the_tombstone():
    store = InMemoryResidentStore()
    await handlers.when_resident_left_erase(typed("resident.left", ResidentLeft(user_id="U1"), T0 + timedelta(1)), store=store)
    assert await handlers.when_resident_joined_register(typed("resident.joined", ResidentJoined(user_id="U1", display_name="x"), T0), store=store) == []
    assert (await store.get("T1", "U1")).display_name == ""


async def test_a_join_after_leaving_is_a_rejoin():
    store = InMemoryResidentStore()
    await handlers.when_resident_left_erase(typed("resident.left", ResidentLeft(user_id="U1"), T0), store=store)
    out = await handlers.when_resident_joined_register(typed("resident.joined", ResidentJoined(user_id="U1", display_name="back"), T0 + timedelta(30)), store=store)
    assert out[0].data["first_time"] is True
    assert (await store.get("T1", "U1")).status is ResidentStatus.JOINED


class SlowStore(InMemoryResidentStore):
    """Reads that take a while, as the real store's round trips do: handlers running at
    once interleave between their read and their write unless something stops them."""

    async def get(self, tenant, user_id):
        found = await super().get(tenant, user_id)
        await asyncio.sleep(0.01)
        return found


async def test_a_join_and_a_profile_handled_at_once_leave_the_resident_onboarded():
    store = SlowStore()
    join = typed("resident.joined", ResidentJoined(user_id="U1", display_name="t"), T0)
    await asyncio.gather(
        handlers.when_resident_joined_register(join, store=store),
        handlers.when_profile_submitted_onboard(typed("resident.profile_submitted", profile(), T0), store=store),
    )
    resident = await store.get("T1", "U1")
    assert resident.status is ResidentStatus.ONBOARDED and resident.category == "citizen"
    assert resident.joined_at == T0 and resident.display_name == "Taro"


async def test_a_leave_handled_at_once_with_a_join_keeps_the_tombstone_and_no_personal_data():
    store = SlowStore()
    await handlers.when_resident_joined_register(
        typed("resident.joined", ResidentJoined(user_id="U1", display_name="Hanako"), T0), store=store)
    late_join = typed("resident.joined", ResidentJoined(user_id="U1", display_name="Hanako"), T0 + timedelta(seconds=1))
    leave = typed("resident.left", ResidentLeft(user_id="U1"), T0 + timedelta(1))
    await asyncio.gather(handlers.when_resident_joined_register(late_join, store=store),
                         handlers.when_resident_left_erase(leave, store=store))
    resident = await store.get("T1", "U1")
    assert resident.status is ResidentStatus.LEFT
    assert all(getattr(resident, f) in (None, "", []) for f in PERSONAL_FIELDS)
