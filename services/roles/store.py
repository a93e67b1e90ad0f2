"""Where grants and applications are kept: the interface, its MongoDB adapter and a fake.

Collections (one database, `oco_roles`):
- `grants`: every grant ever made, `_id` = grant id, with revoked fields once it ended;
- `active_grants`: `_id` = slot key (tenant, person, role, department); inserting it is
  what grants the role, so two racing grants of one slot cannot both win;
- `revocations`: `_id` = grant id; inserting it is what ends a grant, exactly once;
- `applications`: every application, `_id` = application id;
- `open_applications`: `_id` = (tenant, person, role); one open application per person;
- `decisions`: `_id` = application id; the first decision inserted is the decision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from shared.errors import TransientError
from shared.store import ensure_indexes, insert_once
from services.roles.models import Application, Decision, Grant, RevocationClaim

INDEXES = {
    "grants": [IndexModel([("tenant", ASCENDING), ("user_id", ASCENDING)])],
    "active_grants": [
        IndexModel([("tenant", ASCENDING), ("user_id", ASCENDING)]),
        IndexModel([("tenant", ASCENDING), ("role", ASCENDING)]),
        IndexModel([("term_ends_at", ASCENDING)]),
    ],
    "revocations": [IndexModel([("cause_id", ASCENDING)])],
    "applications": [IndexModel([("tenant", ASCENDING), ("user_id", ASCENDING)])],
    "handled_events": [],
}

_CLAIM_ATTEMPTS = 3


async def ensure_roles_indexes(db: AsyncDatabase) -> None:
    """Create the indexes one by one: FerretDB 1.24 drops the connection when one
    `createIndexes` names several indexes of a collection that already has them."""
    for collection, models in INDEXES.items():
        for model in models:
            await ensure_indexes(db, {collection: [model]})


def open_key(application: Application) -> str:
    return f"{application.tenant}:{application.user_id}:{application.role}"


class RoleStore(Protocol):
    async def active_grants(self, tenant: str, user_id: str) -> list[Grant]: ...
    async def active_in_slots(self, slots: list[str]) -> list[Grant]: ...
    async def holders(self, tenant: str, role: str) -> list[str]: ...
    async def get_grant(self, grant_id: str) -> Grant | None: ...
    async def claim_slot(self, grant: Grant) -> Grant: ...
    async def claim_revocation(self, claim: RevocationClaim) -> RevocationClaim: ...
    async def revocations_caused_by(self, cause_id: str) -> list[RevocationClaim]: ...
    async def record_revocation(self, grant: Grant) -> None: ...
    async def free_slot(self, grant: Grant) -> None: ...
    async def ended_terms(self, now: datetime, limit: int) -> list[Grant]: ...
    async def open_application(self, application: Application) -> Application: ...
    async def get_application(self, tenant: str, application_id: str) -> Application | None: ...
    async def applications_of(self, tenant: str, user_id: str) -> list[Application]: ...
    async def claim_decision(self, decision: Decision) -> Decision: ...
    async def save_application(self, application: Application) -> None: ...


class MongoRoleStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self.grants = db["grants"]
        self.active = db["active_grants"]
        self.revocations = db["revocations"]
        self.applications = db["applications"]
        self.open = db["open_applications"]
        self.decisions = db["decisions"]

    async def active_grants(self, tenant: str, user_id: str) -> list[Grant]:
        cursor = self.active.find({"tenant": tenant, "user_id": user_id})
        return sorted([_grant(doc) async for doc in cursor], key=lambda g: (g.role, g.department or ""))

    async def active_in_slots(self, slots: list[str]) -> list[Grant]:
        """The active grants of these slots (see `slot_key`), one lookup by `_id` each: the
        local store serves only those from an index, so this stays cheap in a big city
        where `active_grants` scans every active grant."""
        found = [await self.active.find_one({"_id": slot}) for slot in slots]
        return [_grant(doc) for doc in found if doc is not None]

    async def holders(self, tenant: str, role: str) -> list[str]:
        return sorted({doc["user_id"] async for doc in self.active.find({"tenant": tenant, "role": role})})

    async def get_grant(self, grant_id: str) -> Grant | None:
        doc = await self.grants.find_one({"_id": grant_id})
        return _grant(doc) if doc else None

    async def claim_slot(self, grant: Grant) -> Grant:
        """Make `grant` the active one of its slot; returns whichever grant holds the slot."""
        recorded = await self.get_grant(grant.grant_id)
        if recorded is not None and not recorded.active:
            return recorded  # a replay of a grant that has ended since: don't revive it
        doc = grant.model_dump(mode="python")
        for _ in range(_CLAIM_ATTEMPTS):
            if await insert_once(self.active, {"_id": grant.slot, **doc}):
                break
            holder = await self.active.find_one({"_id": grant.slot})
            if holder is not None and holder["grant_id"] != grant.grant_id:
                return _grant(holder)
            if holder is not None:
                break  # our own claim, from an earlier attempt at this event
        else:
            raise TransientError("the role's slot kept changing hands")
        await insert_once(self.grants, {"_id": grant.grant_id, **doc})
        return grant

    async def claim_revocation(self, claim: RevocationClaim) -> RevocationClaim:
        if await insert_once(self.revocations, {"_id": claim.grant_id, **claim.model_dump(mode="python")}):
            return claim
        return _claim(await self.revocations.find_one({"_id": claim.grant_id}))

    async def revocations_caused_by(self, cause_id: str) -> list[RevocationClaim]:
        return [_claim(doc) async for doc in self.revocations.find({"cause_id": cause_id})]

    async def record_revocation(self, grant: Grant) -> None:
        # A whole-record upsert: only the revocation's claimant writes it.
        await self.grants.replace_one({"_id": grant.grant_id}, {"_id": grant.grant_id, **grant.model_dump()}, upsert=True)

    async def free_slot(self, grant: Grant) -> None:
        await self.active.delete_one({"_id": grant.slot, "grant_id": grant.grant_id})

    async def ended_terms(self, now: datetime, limit: int) -> list[Grant]:
        cursor = self.active.find({"term_ends_at": {"$lte": now}}).sort("term_ends_at", ASCENDING).limit(limit)
        return [_grant(doc) async for doc in cursor]

    async def open_application(self, application: Application) -> Application:
        """Open `application` unless the person has one open; returns the open one."""
        recorded = await self.get_application(application.tenant, application.application_id)
        if recorded is not None:
            return recorded
        doc = application.model_dump(mode="python")
        for _ in range(_CLAIM_ATTEMPTS):
            if await insert_once(self.open, {"_id": open_key(application), **doc}):
                break
            holder = await self.open.find_one({"_id": open_key(application)})
            if holder is not None and holder["application_id"] != application.application_id:
                return _application(holder)
            if holder is not None:
                break
        else:
            raise TransientError("the open application kept changing")
        await insert_once(self.applications, {"_id": application.application_id, **doc})
        return application

    async def get_application(self, tenant: str, application_id: str) -> Application | None:
        doc = await self.applications.find_one({"_id": application_id, "tenant": tenant})
        return _application(doc) if doc else None

    async def applications_of(self, tenant: str, user_id: str) -> list[Application]:
        return [_application(doc) async for doc in self.applications.find({"tenant": tenant, "user_id": user_id})]

    async def claim_decision(self, decision: Decision) -> Decision:
        if await insert_once(self.decisions, {"_id": decision.application_id, **decision.model_dump(mode="python")}):
            return decision
        return Decision.model_validate(await self.decisions.find_one({"_id": decision.application_id}))

    async def save_application(self, application: Application) -> None:
        """Store the application; a decided one frees the person's open slot."""
        doc = application.model_dump(mode="python")
        await self.applications.replace_one({"_id": application.application_id}, {"_id": application.application_id, **doc}, upsert=True)
        if application.status != "open":
            await self.open.delete_one({"_id": open_key(application), "application_id": application.application_id})


def _grant(doc: dict) -> Grant:
    return Grant.model_validate({k: v for k, v in doc.items() if k != "_id"})


def _claim(doc: dict) -> RevocationClaim:
    return RevocationClaim.model_validate({k: v for k, v in doc.items() if k != "_id"})


def _application(doc: dict) -> Application:
    return Application.model_validate({k: v for k, v in doc.items() if k != "_id"})


class InMemoryRoleStore:
    """Fake for unit tests, with the same once-only rules as the MongoDB adapter."""

    def __init__(self) -> None:
        self.grants: dict[str, Grant] = {}
        self.active: dict[str, Grant] = {}
        self.revocations: dict[str, RevocationClaim] = {}
        self.applications: dict[str, Application] = {}
        self.open: dict[str, Application] = {}
        self.decisions: dict[str, Decision] = {}

    async def active_grants(self, tenant: str, user_id: str) -> list[Grant]:
        found = [g for g in self.active.values() if g.tenant == tenant and g.user_id == user_id]
        return sorted(found, key=lambda g: (g.role, g.department or ""))

    async def active_in_slots(self, slots: list[str]) -> list[Grant]:
        return [self.active[slot] for slot in slots if slot in self.active]

    async def holders(self, tenant: str, role: str) -> list[str]:
        return sorted({g.user_id for g in self.active.values() if g.tenant == tenant and g.role == role})

    async def get_grant(self, grant_id: str) -> Grant | None:
        return self.grants.get(grant_id)

    async def claim_slot(self, grant: Grant) -> Grant:
        recorded = self.grants.get(grant.grant_id)
        if recorded is not None and not recorded.active:
            return recorded
        holder = self.active.setdefault(grant.slot, grant)
        if holder.grant_id != grant.grant_id:
            return holder
        self.grants.setdefault(grant.grant_id, grant)
        return grant

    async def claim_revocation(self, claim: RevocationClaim) -> RevocationClaim:
        return self.revocations.setdefault(claim.grant_id, claim)

    async def revocations_caused_by(self, cause_id: str) -> list[RevocationClaim]:
        return [c for c in self.revocations.values() if c.cause_id == cause_id]

    async def record_revocation(self, grant: Grant) -> None:
        self.grants[grant.grant_id] = grant

    async def free_slot(self, grant: Grant) -> None:
        if (held := self.active.get(grant.slot)) is not None and held.grant_id == grant.grant_id:
            del self.active[grant.slot]

    async def ended_terms(self, now: datetime, limit: int) -> list[Grant]:
        ended = [g for g in self.active.values() if g.term_ends_at is not None and g.term_ends_at <= now]
        return sorted(ended, key=lambda g: g.term_ends_at)[:limit]

    async def open_application(self, application: Application) -> Application:
        if (recorded := self.applications.get(application.application_id)) is not None:
            return recorded
        holder = self.open.setdefault(open_key(application), application)
        if holder.application_id != application.application_id:
            return holder
        self.applications[application.application_id] = application
        return application

    async def get_application(self, tenant: str, application_id: str) -> Application | None:
        found = self.applications.get(application_id)
        return found if found is not None and found.tenant == tenant else None

    async def applications_of(self, tenant: str, user_id: str) -> list[Application]:
        return [a for a in self.applications.values() if a.tenant == tenant and a.user_id == user_id]

    async def claim_decision(self, decision: Decision) -> Decision:
        return self.decisions.setdefault(decision.application_id, decision)

    async def save_application(self, application: Application) -> None:
        self.applications[application.application_id] = application
        held = self.open.get(open_key(application))
        if application.status != "open" and held is not None and held.application_id == application.application_id:
            del self.open[open_key(application)]
