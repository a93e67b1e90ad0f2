"""Granting and revoking, once each, and the events that say so.

A grant is ours when its slot insert won (or an earlier attempt at the same event won it);
a revocation is ours when its marker insert won. Event ids derive from the cause's id, so
a handler re-run after a crash re-emits the very same events.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared import topics
from shared.envelope import CloudEvent, TypedEvent, derive_id, new_event
from shared.events import RoleDenied, RoleGranted, RoleRevoked
from services.roles.models import OFFICE_ROLES, Actor, Grant, RevocationClaim, RevokeCause
from services.roles.policy import Refused
from services.roles.store import RoleStore

SOURCE = "oco/roles"


async def load_actor(store: RoleStore, *, tenant: str, user_id: str, admins: frozenset[str]) -> Actor:
    """The person with the grants this service holds for them."""
    grants = tuple(await store.active_grants(tenant, user_id))
    return Actor(user_id=user_id, grants=grants, admin_by_config=user_id in admins)


async def admin_ids(store: RoleStore, *, tenant: str, admins: frozenset[str]) -> list[str]:
    """Configured admins and those granted the admin role in this tenant."""
    return sorted(admins | set(await store.holders(tenant, "admin")))


async def grant(store: RoleStore, new: Grant) -> Grant | None:
    """`new` once it holds its slot; None when it has ended since (a late re-run).

    Refused when another grant already holds the slot: one active grant per role (and
    department) per person.
    """
    holder = await store.claim_slot(new)
    if holder.grant_id != new.grant_id:
        where = f" for {holder.department}" if holder.department else ""
        raise Refused("already_holds", f"<@{holder.user_id}> already holds the {holder.role} role{where}")
    return holder if holder.active else None


async def revoke(
    store: RoleStore,
    grant_: Grant,
    *,
    cause_id: str,
    claimant: str,
    revoked_by: str | None,
    reason: str,
    cause: RevokeCause,
    stale_after: timedelta | None = None,
) -> tuple[Grant, RevocationClaim] | None:
    """End `grant_` and record it, if this caller wins (or takes over a stale claim)."""
    now = datetime.now(UTC)
    claim = await store.claim_revocation(
        RevocationClaim(
            grant_id=grant_.grant_id, tenant=grant_.tenant, cause_id=cause_id, claimant=claimant,
            claimed_at=now, revoked_by=revoked_by, reason=reason, cause=cause,
        )
    )
    stale = stale_after is not None and now - claim.claimed_at > stale_after
    if claim.claimant != claimant and not stale:
        return None  # someone else revoked it, or is revoking it right now
    revoked = ended(grant_, claim)
    await store.record_revocation(revoked)
    return revoked, claim


def ended(grant_: Grant, claim: RevocationClaim) -> Grant:
    """The grant as its revocation marker says it ended."""
    return grant_.model_copy(
        update={
            "revoked_at": claim.claimed_at,
            "revoked_by": claim.revoked_by,
            "revoke_reason": claim.reason,
            "revoke_cause": claim.cause.value,
        }
    )


async def finish_earlier_revocations(store: RoleStore, cause_id: str) -> list[tuple[Grant, RevocationClaim]]:
    """Revocations this cause already claimed (a re-run after a crash), completed again."""
    finished = []
    for claim in await store.revocations_caused_by(cause_id):
        recorded = await store.get_grant(claim.grant_id)
        if recorded is None:
            continue
        revoked = ended(recorded, claim)
        await store.record_revocation(revoked)
        await store.free_slot(revoked)
        finished.append((revoked, claim))
    return finished


async def granted_event(
    store: RoleStore, cause_id: str, granted: Grant, *, channel_id: str | None = None, response_url: str | None = None
) -> CloudEvent:
    data = RoleGranted(
        user_id=granted.user_id,
        role=granted.role,
        granted_by=granted.granted_by,
        reason=granted.reason,
        department=granted.department,
        term_ends_at=granted.term_ends_at,
        grant_id=granted.grant_id,
        application_id=granted.application_id,
        **await membership(store, granted),
        channel_id=channel_id,
        response_url=response_url,
    )
    return _event(topics.ROLE_GRANTED, derive_id(cause_id, f"granted/{granted.grant_id}"), granted, data)


async def revoked_event(
    store: RoleStore,
    revoked: Grant,
    claim: RevocationClaim,
    *,
    notify: list[str] | None = None,
    channel_id: str | None = None,
    response_url: str | None = None,
) -> CloudEvent:
    data = RoleRevoked(
        user_id=revoked.user_id,
        role=revoked.role,
        revoked_by=claim.revoked_by,
        reason=claim.reason,
        cause=claim.cause.value,
        grant_id=revoked.grant_id,
        department=revoked.department,
        **await membership(store, revoked, ended=True),
        notify_user_ids=notify or [],
        channel_id=channel_id,
        response_url=response_url,
    )
    return _event(topics.ROLE_REVOKED, derive_id(claim.cause_id, f"revoked/{revoked.grant_id}"), revoked, data)


async def membership(store: RoleStore, changed: Grant, *, ended: bool = False) -> dict:
    """`role_member_ids` and `members_as_of` of an event about `changed`: everyone holding
    the office role after the change, for its Slack user group (`OCO_ROLE_USERGROUPS`).

    Nothing for a category role: every resident holds one, so its list grows with the city —
    read on every grant it made the grants of a city quadratic, and the event would pass
    Kafka's record size at some 80,000 residents of one category."""
    if changed.role not in OFFICE_ROLES:
        return {}
    members = await _members_after(store, changed) if ended else await store.holders(changed.tenant, changed.role)
    return {"role_member_ids": members, "members_as_of": datetime.now(UTC)}


async def _members_after(store: RoleStore, revoked: Grant) -> list[str]:
    """Holders of the role once `revoked` is gone (its slot may not be freed yet)."""
    members = set(await store.holders(revoked.tenant, revoked.role))
    others = [
        g for g in await store.active_grants(revoked.tenant, revoked.user_id)
        if g.role == revoked.role and g.grant_id != revoked.grant_id
    ]
    if not others:
        members.discard(revoked.user_id)
    return sorted(members)


def denied_event(cause: TypedEvent, refusal: Refused, *, actor_id: str, action: str, **context) -> CloudEvent:
    """`role.denied` answering `cause`, keyed by the actor; `context` fills the optional fields."""
    data = RoleDenied(user_id=actor_id, action=action, reason=refusal.reason, code=refusal.code, **context)
    return new_event(
        id=derive_id(cause.id, "denied"), type=topics.ROLE_DENIED.name, subject=actor_id,
        tenant=cause.tenant, data=data, source=SOURCE,
    )


def _event(topic: topics.Topic, event_id: str, about: Grant, data) -> CloudEvent:
    return new_event(id=event_id, type=topic.name, subject=about.user_id, tenant=about.tenant, data=data, source=SOURCE)
