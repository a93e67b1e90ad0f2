"""Where residents are kept: the interface, its MongoDB adapter and an in-memory fake."""

from __future__ import annotations

import asyncio
import weakref
from typing import Protocol

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from services.onboarding.models import Resident, resident_key

INDEXES = {
    "residents": [IndexModel([("tenant", 1), ("status", 1)])],
    "handled_events": [],
}


class ResidentLocks:
    """One lock per resident in this process, held from a handler's read to its write.

    A resident's join, profile and leave arrive on three topics, each with a consumer of its
    own, so two handlers may read the same resident and the later write would undo the
    earlier (a join saved over an onboarding left the resident "joined"; seen under SIGKILL
    restarts, when every topic's backlog is handled at once). Across instances of the service
    the same race remains possible (see the module docstring of `services.onboarding.handlers`)."""

    def __init__(self) -> None:
        # Weak values: a lock exists only while some handler holds or waits for it.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def __call__(self, tenant: str, user_id: str) -> asyncio.Lock:
        key = resident_key(tenant, user_id)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock


class ResidentStore(Protocol):
    lock: ResidentLocks

    async def get(self, tenant: str, user_id: str) -> Resident | None: ...
    async def save(self, resident: Resident) -> None: ...


class MongoResidentStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self.residents = db["residents"]
        self.lock = ResidentLocks()

    async def get(self, tenant: str, user_id: str) -> Resident | None:
        doc = await self.residents.find_one({"_id": resident_key(tenant, user_id)})
        return Resident.model_validate(doc) if doc else None

    async def save(self, resident: Resident) -> None:
        # A whole-document replace: erasure relies on absent fields being gone, not nulled.
        doc = resident.model_dump(mode="python", exclude_defaults=False)
        await self.residents.replace_one({"_id": resident.key}, {"_id": resident.key, **doc}, upsert=True)


class InMemoryResidentStore:
    def __init__(self) -> None:
        self.residents: dict[str, Resident] = {}
        self.lock = ResidentLocks()

    async def get(self, tenant: str, user_id: str) -> Resident | None:
        found = self.residents.get(resident_key(tenant, user_id))
        return found.model_copy(deep=True) if found else None

    async def save(self, resident: Resident) -> None:
        self.residents[resident.key] = resident.model_copy(deep=True)
