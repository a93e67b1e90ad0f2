"""The roles service's handlers and term keeper on the in-memory store."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from shared.envelope import TypedEvent, new_event
from shared.events import (
    ResidentErased,
    ResidentOnboarded,
    RoleApplicationReviewed,
    RoleApplicationSubmitted,
    RoleAppointmentRequested,
    RoleRevocationRequested,
)
from shared.testing import FakePublisher
from services.roles import handlers
from services.roles.config import RolesSettings
from services.roles.models import ApplicationStatus
from services.roles.store import InMemoryRoleStore
from services.roles.terms import TermKeeper

pytestmark = pytest.mark.unit
T0 = datetime(2026, 4, 1, tzinfo=UTC)
SETTINGS = RolesSettings(admins="UADMIN", term_claim_stale_seconds=60)
DEPARTMENTS = frozenset({"moving"})


def typed(topic: str, data, *, at=T0, subject="U1", id=None):
    return TypedEvent(new_event(id=id, type=topic, subject=subject, tenant="T1", source="t", data=data, time=at), data)


def onboarded(category: str, **kw):
    return typed("resident.onboarded", ResidentOnboarded(user_id="U1", category=category), **kw)


async def appoint(store, actor, target, role, **kw):
    data = RoleAppointmentRequested(actor_id=actor, target_user_id=target, role=role, **kw)
    return await handlers.when_appointment_requested_appoint(
        typed("role.appointment_requested", data), store=store, settings=SETTINGS, departments=DEPARTMENTS)


async def apply(store, user="U1"):
    data = RoleApplicationSubmitted(user_id=user, motivation="I love this town", skills="photos", hours_per_month=10)
    return await handlers.when_application_submitted_open(typed("role.application_submitted", data), store=store, settings=SETTINGS)


async def review(store, application_id, reviewer, decision="approve", reason=""):
    data = RoleApplicationReviewed(application_id=application_id, reviewer_id=reviewer, decision=decision, reason=reason, channel_id="CREVIEW")
    return await handlers.when_application_reviewed_decide(typed("role.application_reviewed", data), store=store, settings=SETTINGS)


async def test_the_category_is_granted_and_a_new_category_replaces_it():
    store = InMemoryRoleStore()
    [granted] = await handlers.when_resident_onboarded_grant_category(onboarded("citizen"), store=store)
    assert (granted.type, granted.data["role"]) == ("role.granted", "citizen")
    # Every resident holds a category: its member list would grow with the city, so none is sent.
    assert "role_member_ids" not in granted.data and "members_as_of" not in granted.data
    assert await handlers.when_resident_onboarded_grant_category(onboarded("citizen"), store=store) == []
    revoked, granted = await handlers.when_resident_onboarded_grant_category(onboarded("remote_citizen"), store=store)
    assert (revoked.type, revoked.data["role"], revoked.data["cause"]) == ("role.revoked", "citizen", "replaced")
    assert "role_member_ids" not in revoked.data and granted.data["role"] == "remote_citizen"
    assert [g.role for g in await store.active_grants("T1", "U1")] == ["remote_citizen"]


async def test_a_rerun_of_the_same_event_re_emits_the_same_events_and_changes_nothing():
    store = InMemoryRoleStore()
    await handlers.when_resident_onboarded_grant_category(onboarded("citizen"), store=store)
    change = onboarded("prospective_migrant")
    first = await handlers.when_resident_onboarded_grant_category(change, store=store)
    again = await handlers.when_resident_onboarded_grant_category(change, store=store)
    assert [e.id for e in again] == [e.id for e in first] and len(first) == 2
    assert [g.role for g in await store.active_grants("T1", "U1")] == ["prospective_migrant"]
    assert len(store.grants) == 2


async def test_appointment_by_admin_is_granted_and_by_a_resident_denied():
    store = InMemoryRoleStore()
    [denied] = await appoint(store, "U2", "U1", "section_chief", channel_id="C1")
    assert denied.type == "role.denied" and denied.subject == "U2"
    assert (denied.data["code"], denied.data["channel_id"], denied.data["target_user_id"]) == ("not_authorised", "C1", "U1")
    [granted] = await appoint(store, "UADMIN", "U1", "section_chief", department="moving", term_ends_on="2026-06-30")
    assert granted.data["department"] == "moving" and granted.data["granted_by"] == "UADMIN"
    assert granted.data["term_ends_at"].startswith("2026-06-30T15:00:00")  # end of the day in Tokyo
    [again] = await appoint(store, "UADMIN", "U1", "section_chief", department="moving")
    assert again.data["code"] == "already_holds"


async def test_a_section_chief_appoints_ambassadors_and_revocation_is_authorised_too():
    store = InMemoryRoleStore()
    await appoint(store, "UADMIN", "UCHIEF", "section_chief")
    [granted] = await appoint(store, "UCHIEF", "U1", "ambassador")
    assert granted.data["role"] == "ambassador"
    attempt = RoleRevocationRequested(actor_id="U3", target_user_id="U1", role="ambassador")
    [denied] = await handlers.when_revocation_requested_revoke(typed("role.revocation_requested", attempt), store=store, settings=SETTINGS)
    assert denied.data["code"] == "not_authorised"
    revocation = typed("role.revocation_requested", attempt.model_copy(update={"actor_id": "UCHIEF"}))
    [revoked] = await handlers.when_revocation_requested_revoke(revocation, store=store, settings=SETTINGS)
    assert (revoked.data["revoked_by"], revoked.data["cause"]) == ("UCHIEF", "revoked")
    assert await store.active_grants("T1", "U1") == []


async def test_an_application_is_opened_once_and_a_second_one_is_denied():
    store = InMemoryRoleStore()
    [opened] = await apply(store)
    assert opened.type == "role.application_opened" and opened.data["motivation"] == "I love this town"
    [denied] = await apply(store)
    assert denied.data["code"] == "already_applied" and denied.data["application_id"] == opened.data["application_id"]


async def test_approval_by_a_non_chief_is_denied_and_changes_nothing():
    store = InMemoryRoleStore()
    [opened] = await apply(store)
    application_id = opened.data["application_id"]
    [denied] = await review(store, application_id, "U2")
    assert (denied.data["code"], denied.data["channel_id"], denied.data["user_id"]) == ("not_authorised", "CREVIEW", "U2")
    application = await store.get_application("T1", application_id)
    assert application.status is ApplicationStatus.OPEN and store.decisions == {}
    assert await store.active_grants("T1", "U1") == []


async def test_approval_grants_employee_and_a_decided_application_cannot_be_decided_again():
    store = InMemoryRoleStore()
    await appoint(store, "UADMIN", "UCHIEF", "section_chief")
    await appoint(store, "UADMIN", "UCHIEF2", "section_chief")
    [opened] = await apply(store)
    application_id = opened.data["application_id"]
    [granted] = await review(store, application_id, "UCHIEF")
    assert (granted.data["role"], granted.data["application_id"], granted.data["user_id"]) == ("employee", application_id, "U1")
    [denied] = await review(store, application_id, "UCHIEF2", decision="reject", reason="late")
    assert denied.data["code"] == "already_decided" and "approved" in denied.data["reason"]
    assert (await store.get_application("T1", application_id)).status is ApplicationStatus.APPROVED
    [denied_again] = await apply(store)
    assert denied_again.data["code"] == "already_holds"


async def test_a_rejection_needs_a_reason_and_frees_the_way_for_a_new_application():
    store = InMemoryRoleStore()
    await appoint(store, "UADMIN", "UCHIEF", "section_chief")
    [opened] = await apply(store)
    application_id = opened.data["application_id"]
    [denied] = await review(store, application_id, "UCHIEF", decision="reject")
    assert denied.data["code"] == "reason_required"
    [rejected] = await review(store, application_id, "UCHIEF", decision="reject", reason="We need more hours")
    assert rejected.type == "role.application_rejected" and rejected.data["reason"] == "We need more hours"
    [reopened] = await apply(store)
    assert reopened.type == "role.application_opened"


async def test_erasure_ends_grants_withdraws_and_erases_the_application_texts():
    store = InMemoryRoleStore()
    await handlers.when_resident_onboarded_grant_category(onboarded("citizen"), store=store)
    [opened] = await apply(store)
    [revoked] = await handlers.when_resident_erased_forget(typed("resident.erased", ResidentErased(user_id="U1")), store=store)
    assert revoked.data["cause"] == "left"
    application = await store.get_application("T1", opened.data["application_id"])
    assert application.status is ApplicationStatus.WITHDRAWN and application.erased
    assert (application.motivation, application.skills, application.hours_per_month) == ("", "", None)
    assert application.submitted_at == T0 and application.user_id == "U1"


class HeldPublisher(FakePublisher):
    """Holds the first publish until released, so another keeper runs in between."""

    def __init__(self) -> None:
        super().__init__()
        self.reached, self.release = asyncio.Event(), asyncio.Event()

    async def publish(self, event) -> None:
        self.reached.set()
        await self.release.wait()
        await super().publish(event)


async def test_a_term_that_ends_is_revoked_once_even_with_two_keepers():
    store = InMemoryRoleStore()
    await appoint(store, "UADMIN", "U1", "section_chief", term_ends_at=T0 + timedelta(days=30))
    first, second = HeldPublisher(), FakePublisher()
    assert await TermKeeper(store, first, SETTINGS).end_terms(T0 + timedelta(days=29)) == 0
    running = asyncio.create_task(TermKeeper(store, first, SETTINGS).end_terms(T0 + timedelta(days=31)))
    await first.reached.wait()  # the first keeper claimed the grant and is publishing
    assert await TermKeeper(store, second, SETTINGS).end_terms(T0 + timedelta(days=31)) == 0
    first.release.set()
    assert await running == 1
    [revoked] = first.events
    assert (revoked.data["cause"], revoked.data["reason"], revoked.data["notify_user_ids"]) == ("term_ended", "term ended", ["UADMIN"])
    assert second.events == [] and await store.active_grants("T1", "U1") == []


async def test_a_term_end_left_unfinished_by_a_crashed_instance_is_finished_by_another():
    store = InMemoryRoleStore()
    await appoint(store, "UADMIN", "U1", "section_chief", term_ends_at=T0 + timedelta(days=1))
    [grant] = await store.active_grants("T1", "U1")
    crashed = TermKeeper(store, FakePublisher(fail_times=1), SETTINGS, instance="crashed")
    with pytest.raises(ConnectionError):
        await crashed.end_terms(T0 + timedelta(days=2))
    claim = store.revocations[grant.grant_id]
    store.revocations[grant.grant_id] = claim.model_copy(update={"claimed_at": claim.claimed_at - timedelta(minutes=5)})
    other = FakePublisher()
    assert await TermKeeper(store, other, SETTINGS).end_terms(T0 + timedelta(days=2)) == 1
    assert other.events[0].data["cause"] == "term_ended" and await store.active_grants("T1", "U1") == []
