"""Handlers that grant and revoke: category roles, appointments, revocations, erasure."""

from __future__ import annotations

from shared.envelope import CloudEvent, TypedEvent, derive_id
from shared.events import ResidentErased, ResidentOnboarded, RoleAppointmentRequested, RoleRevocationRequested
from services.roles import grants
from services.roles.config import RolesSettings
from services.roles.handlers.applications import withdraw_and_erase
from services.roles.models import CATEGORY_ROLES, Grant, RevokeCause, parse_role, slot_key
from services.roles.policy import Refused, check_appointment, check_revocation, term_end
from services.roles.store import RoleStore


async def when_resident_onboarded_grant_category(
    event: TypedEvent[ResidentOnboarded], *, store: RoleStore
) -> list[CloudEvent]:
    """Grant the self-declared category; a changed category replaces the old one."""
    data = event.data
    category = data.category.value
    out = [await grants.revoked_event(store, *done) for done in await grants.finish_earlier_revocations(store, event.id)]
    categories = [slot_key(event.tenant, data.user_id, role, None) for role in sorted(CATEGORY_ROLES)]
    for held in await store.active_in_slots(categories):
        if held.role != category:
            done = await grants.revoke(
                store, held, cause_id=event.id, claimant=event.id, revoked_by=None,
                reason=f"category changed to {category}", cause=RevokeCause.REPLACED,
            )
            if done is not None:
                await store.free_slot(done[0])
                out.append(await grants.revoked_event(store, *done))
    new = Grant(
        grant_id=derive_id(event.id, "grant"), tenant=event.tenant, user_id=data.user_id, role=category,
        granted_at=event.time, reason="self-declared category",
    )
    try:
        granted = await grants.grant(store, new)
    except Refused:
        return out  # the category was already granted: a profile update that kept it
    if granted is not None:
        out.append(await grants.granted_event(store, event.id, granted))
    return out


async def when_appointment_requested_appoint(
    event: TypedEvent[RoleAppointmentRequested], *, store: RoleStore, settings: RolesSettings, departments: frozenset[str]
) -> list[CloudEvent]:
    """Appoint the person if the actor's own grants allow it; otherwise say why not."""
    data = event.data
    answer = {"channel_id": data.channel_id, "response_url": data.response_url}
    actor = await grants.load_actor(store, tenant=event.tenant, user_id=data.actor_id, admins=settings.admins)
    try:
        role = check_appointment(actor, parse_role(data.role), department=data.department, departments=departments)
        ends_at = term_end(
            role, ends_on=data.term_ends_on, ends_at=data.term_ends_at, now=event.time,
            default_days=settings.section_chief_term_days, zone=settings.city_timezone,
        )
        granted = await grants.grant(store, Grant(
            grant_id=derive_id(event.id, "grant"), tenant=event.tenant, user_id=data.target_user_id, role=role,
            department=data.department, granted_by=data.actor_id, granted_at=event.time,
            reason=data.reason or "appointed", term_ends_at=ends_at,
        ))
    except Refused as refusal:
        return [grants.denied_event(
            event, refusal, actor_id=data.actor_id, action="appoint", attempted_role=data.role,
            target_user_id=data.target_user_id, **answer,
        )]
    return [await grants.granted_event(store, event.id, granted, **answer)] if granted else []


async def when_revocation_requested_revoke(
    event: TypedEvent[RoleRevocationRequested], *, store: RoleStore, settings: RolesSettings
) -> list[CloudEvent]:
    """Revoke the person's grants of the role if the actor's own grants allow it."""
    data = event.data
    answer = {"channel_id": data.channel_id, "response_url": data.response_url}
    earlier = await grants.finish_earlier_revocations(store, event.id)
    if earlier:  # a re-run after a crash: the revocations were decided then
        return [await grants.revoked_event(store, *done, **answer) for done in earlier]
    actor = await grants.load_actor(store, tenant=event.tenant, user_id=data.actor_id, admins=settings.admins)
    try:
        role = check_revocation(actor, parse_role(data.role), target_admin_by_config=data.target_user_id in settings.admins)
        held = [
            g for g in await store.active_grants(event.tenant, data.target_user_id)
            if g.role == role and data.department in (None, g.department)
        ]
        if not held:
            raise Refused("not_held", f"<@{data.target_user_id}> does not hold the {role} role")
    except Refused as refusal:
        return [grants.denied_event(
            event, refusal, actor_id=data.actor_id, action="revoke", attempted_role=data.role,
            target_user_id=data.target_user_id, **answer,
        )]
    out = []
    for grant in held:
        done = await grants.revoke(
            store, grant, cause_id=event.id, claimant=event.id, revoked_by=data.actor_id,
            reason=data.reason or "revoked", cause=RevokeCause.REVOKED,
        )
        if done is not None:
            await store.free_slot(done[0])
            out.append(await grants.revoked_event(store, *done, **answer))
    return out


async def when_resident_erased_forget(event: TypedEvent[ResidentErased], *, store: RoleStore) -> list[CloudEvent]:
    """End the person's grants, withdraw an open application and erase its texts."""
    user_id = event.data.user_id
    out = [await grants.revoked_event(store, *done) for done in await grants.finish_earlier_revocations(store, event.id)]
    for held in await store.active_grants(event.tenant, user_id):
        done = await grants.revoke(
            store, held, cause_id=event.id, claimant=event.id, revoked_by=None,
            reason="left the city", cause=RevokeCause.LEFT,
        )
        if done is not None:
            await store.free_slot(done[0])
            out.append(await grants.revoked_event(store, *done))
    await withdraw_and_erase(store, event, user_id)
    return out
