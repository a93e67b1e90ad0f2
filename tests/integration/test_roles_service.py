"""The roles service on the real broker and store: grants, authorisation, applications, terms."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from shared import topics
from shared.envelope import new_event
from shared.events import (
    ResidentOnboarded,
    RoleApplicationReviewed,
    RoleApplicationSubmitted,
    RoleAppointmentRequested,
)
from services.roles.config import RolesSettings
from services.roles.main import build
from services.roles.store import MongoRoleStore
from services.roles.terms import TermKeeper
from tests.support import TopicWatcher, publish, raw_producer, unique, wait_for_assignment, wait_until

pytestmark = pytest.mark.integration
# Shared with the e2e tests: a term may be ended by any session's roles instance (see there).
ADMIN = "U0ROLESADMIN"


def settings() -> RolesSettings:
    return RolesSettings(admins=ADMIN, handler_backoff_seconds=0.01, term_check_seconds=0.3)


@pytest.fixture(scope="module")
async def roles():
    runtime = build(settings())
    await runtime.start()
    await wait_for_assignment(runtime)
    yield runtime
    await runtime.stop()


@pytest.fixture
async def bus():
    async with raw_producer() as producer:
        yield producer


def event(topic: topics.Topic, tenant: str, data, *, subject: str, id: str | None = None):
    return new_event(id=id, type=topic.name, subject=subject, tenant=tenant, data=data, source="tests")


def onboarded(tenant: str, user: str, category: str):
    return event(topics.RESIDENT_ONBOARDED, tenant, ResidentOnboarded(user_id=user, category=category), subject=user)


def appointment(tenant: str, actor: str, target: str, role: str, **kw):
    data = RoleAppointmentRequested(actor_id=actor, target_user_id=target, role=role, channel_id="CADMIN", **kw)
    return event(topics.ROLE_APPOINTMENT_REQUESTED, tenant, data, subject=target)


def review(tenant: str, application_id: str, reviewer: str, decision: str = "approve", reason: str = ""):
    data = RoleApplicationReviewed(application_id=application_id, reviewer_id=reviewer, decision=decision,
                                   reason=reason, channel_id="CREVIEW")
    return event(topics.ROLE_APPLICATION_REVIEWED, tenant, data, subject=application_id)


async def roles_of(runtime, tenant: str, user: str) -> list[str]:
    return [g.role for g in await MongoRoleStore(runtime.db).active_grants(tenant, user)]


async def test_the_category_is_granted_and_replaced_when_it_changes(roles, bus):
    tenant, user = unique("T"), unique("U")
    async with TopicWatcher("role.granted") as granted, TopicWatcher("role.revoked") as revoked:
        await publish(bus, onboarded(tenant, user, "citizen"))
        [first] = await granted.events_for(tenant)
        await publish(bus, onboarded(tenant, user, "remote_citizen"))
        [ended] = await revoked.events_for(tenant)
        await granted.events_for(tenant, count=2)
    assert first.data["role"] == "citizen" and first.subject == user
    assert (ended.data["role"], ended.data["cause"]) == ("citizen", "replaced")
    assert await roles_of(roles, tenant, user) == ["remote_citizen"]
    assert await roles.db["grants"].count_documents({"tenant": tenant, "user_id": user}) == 2


async def test_appointment_by_an_admin_is_granted_and_by_a_resident_denied(roles, bus):
    tenant, resident, target = unique("T"), unique("U"), unique("U")
    async with TopicWatcher("role.granted") as granted, TopicWatcher("role.denied") as denied:
        await publish(bus, appointment(tenant, resident, target, "section_chief"))
        [refusal] = await denied.events_for(tenant)
        await publish(bus, appointment(tenant, ADMIN, target, "section_chief", department="moving"))
        [grant] = await granted.events_for(tenant)
    assert (refusal.data["code"], refusal.data["user_id"], refusal.data["channel_id"]) == ("not_authorised", resident, "CADMIN")
    assert (grant.data["role"], grant.data["department"], grant.data["granted_by"]) == ("section_chief", "moving", ADMIN)
    assert grant.data["role_member_ids"] == [target] and grant.data["term_ends_at"]
    assert await roles_of(roles, tenant, target) == ["section_chief"]


async def _open_application(bus, tenant: str, applicant: str) -> str:
    data = RoleApplicationSubmitted(user_id=applicant, motivation="I want to help newcomers", skills="English", hours_per_month=8)
    async with TopicWatcher("role.application_opened") as opened:
        await publish(bus, event(topics.ROLE_APPLICATION_SUBMITTED, tenant, data, subject=applicant))
        [application] = await opened.events_for(tenant)
    return application.data["application_id"]


async def _appoint_chief(bus, tenant: str, chief: str) -> None:
    async with TopicWatcher("role.granted") as granted:
        await publish(bus, appointment(tenant, ADMIN, chief, "section_chief"))
        await granted.events_for(tenant)


async def test_approval_by_a_non_chief_is_denied_and_changes_nothing(roles, bus):
    tenant, applicant, clicker = unique("T"), unique("U"), unique("U")
    application_id = await _open_application(bus, tenant, applicant)
    async with TopicWatcher("role.denied") as denied, TopicWatcher("role.granted") as granted:
        await publish(bus, review(tenant, application_id, clicker))
        [refusal] = await denied.events_for(tenant)
        await granted.settle(1.0)
    assert (refusal.data["code"], refusal.data["user_id"], refusal.data["channel_id"]) == ("not_authorised", clicker, "CREVIEW")
    assert not [r for r in granted.records if tenant.encode() in r.value]
    application = await roles.db["applications"].find_one({"_id": application_id})
    assert application["status"] == "open"
    assert await roles.db["decisions"].count_documents({"_id": application_id}) == 0
    assert await roles_of(roles, tenant, applicant) == []


async def test_an_approved_application_grants_employee_and_cannot_be_decided_again(roles, bus):
    tenant, applicant, chief, other_chief = unique("T"), unique("U"), unique("U"), unique("U")
    await _appoint_chief(bus, tenant, chief)
    await _appoint_chief(bus, tenant, other_chief)
    application_id = await _open_application(bus, tenant, applicant)
    async with TopicWatcher("role.granted") as granted, TopicWatcher("role.denied") as denied, \
            TopicWatcher("role.application_rejected") as rejected:
        await publish(bus, review(tenant, application_id, chief))
        [grant] = await granted.events_for(tenant)
        await publish(bus, review(tenant, application_id, other_chief, "reject", "too late"))
        [refusal] = await denied.events_for(tenant)
        await rejected.settle(0.5)
    assert (grant.data["role"], grant.data["user_id"], grant.data["application_id"]) == ("employee", applicant, application_id)
    assert refusal.data["code"] == "already_decided" and refusal.data["user_id"] == other_chief
    assert not [r for r in rejected.records if tenant.encode() in r.value]
    application = await roles.db["applications"].find_one({"_id": application_id})
    assert (application["status"], application["decided_by"]) == ("approved", chief)


async def test_replayed_events_change_nothing(roles, bus):
    tenant, target = unique("T"), unique("U")
    appoint = appointment(tenant, ADMIN, target, "ambassador")
    async with TopicWatcher("role.granted") as granted, TopicWatcher("role.denied") as denied:
        await publish(bus, appoint)
        [first] = await granted.events_for(tenant)
        await publish(bus, appoint)  # a redelivery: de-duplicated by event id
        # a replay after a crash that lost the handled mark: the handler re-runs itself
        [consumer] = [c for c in roles.consumers if c.topic is topics.ROLE_APPOINTMENT_REQUESTED]
        mark = {"_id": f"{consumer.group}/{appoint.id}"}
        await wait_until(lambda: roles.db["handled_events"].find_one(mark))  # marked after publishing
        assert (await roles.db["handled_events"].delete_one(mark)).deleted_count == 1
        await publish(bus, appoint)
        await granted.wait_for(lambda r: tenant.encode() in r.value, count=2)
        await denied.settle(1.0)
    ids = {r.key for r in granted.records if tenant.encode() in r.value}
    assert ids == {target.encode()}
    assert {e.id for e in await granted.events_for(tenant, count=2)} == {first.id}
    assert not [r for r in denied.records if tenant.encode() in r.value]
    assert await roles.db["grants"].count_documents({"tenant": tenant}) == 1


async def test_a_term_that_ends_is_revoked_once_although_two_keepers_run(roles, bus):
    tenant, chief = unique("T"), unique("U")
    second_keeper = TermKeeper(MongoRoleStore(roles.db), roles.publisher, settings())
    running = asyncio.create_task(second_keeper.run())
    try:
        async with TopicWatcher("role.revoked") as revoked:
            ends = datetime.now(UTC) + timedelta(seconds=2)
            await _appoint_chief_until(bus, tenant, chief, ends)
            [ended] = await revoked.events_for(tenant, timeout=30)
            await revoked.settle(2.0)
    finally:
        running.cancel()
    assert (ended.data["role"], ended.data["cause"], ended.data["reason"]) == ("section_chief", "term_ended", "term ended")
    assert ADMIN in ended.data["notify_user_ids"] and ended.data["role_member_ids"] == []
    assert len([r for r in revoked.records if tenant.encode() in r.value]) == 1
    assert await roles_of(roles, tenant, chief) == []
    grant = await roles.db["grants"].find_one({"tenant": tenant, "user_id": chief})
    assert grant["revoke_cause"] == "term_ended" and grant["revoked_at"]


async def _appoint_chief_until(bus, tenant: str, chief: str, ends: datetime) -> None:
    async with TopicWatcher("role.granted") as granted:
        await publish(bus, appointment(tenant, ADMIN, chief, "section_chief", term_ends_at=ends))
        await granted.events_for(tenant)


async def test_the_read_endpoint_answers_a_persons_roles(roles, bus):
    import httpx
    from starlette.applications import Starlette

    from services.roles import api

    tenant, target = unique("T"), unique("U")
    await _appoint_chief(bus, tenant, target)
    app = Starlette(routes=api.routes(MongoRoleStore(roles.db), settings()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://roles") as client:
        person = (await client.get(f"/roles/{tenant}/{target}")).json()
        admin = (await client.get(f"/roles/{tenant}/{ADMIN}")).json()
        bad = await client.get(f"/roles/{tenant}/U$where")
    assert [r["role"] for r in person["roles"]] == ["section_chief"] and person["roles"][0]["term_ends_at"]
    assert admin["roles"] == [{"role": "admin", "department": None, "granted_by": None, "granted_at": None,
                               "term_ends_at": None, "by_configuration": True}]
    assert bad.status_code == 400
