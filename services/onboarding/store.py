"""Where residents are kept: the interface, its MongoDB adapter and an in-memory fake."""

from __future__ import annotations

from typing import Protocol

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from services.onboarding.models import Resident, resident_key

INDEXES = {
    "residents": [IndexModel([("tenant", 1), ("status", 1)])],
    "handled_events": [],
}


class ResidentStore(Protocol):
    async def get(self, tenant: str, user_id: str) -> Resident | None: ...
    async def save(self, resident: Resident) -> None: ...


class MongoResidentStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self.residents = db["residents"]

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

    async def get(self, tenant: str, user_id: str) -> Resident | None:
        found = self.residents.get(resident_key(tenant, user_id))
        return found.model_copy(deep=True) if found else None

    async def save(self, resident: Resident) -> None:
        self.residents[resident.key] = resident.model_copy(deep=True)
