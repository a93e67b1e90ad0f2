"""Where the notifier keeps deliveries and known residents: interfaces, MongoDB adapters and
in-memory fakes. A delivery is claimed by inserting under its unique key, which is what
makes "never post twice" hold on FerretDB and MongoDB alike."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from shared.store import insert_once
from services.notifier.models import Delivery, DeliveryState, KnownResident, resident_key

# One secondary index per collection: FerretDB 1.24 panics when create_indexes is given
# several models of which some already exist (a service's second start).
INDEXES = {
    "deliveries": [IndexModel([("tenant", 1), ("state", 1)])],
    "residents": [IndexModel([("tenant", 1)])],  # broadcasts select a tenant's residents
    "handled_events": [],
}


class DeliveryStore(Protocol):
    async def claim(self, delivery: Delivery) -> tuple[Delivery, bool]: ...
    async def mark_delivered(self, key: str, *, channel: str | None, ts: str | None) -> None: ...
    async def mark_failed(self, key: str, *, error: str) -> None: ...
    async def get(self, key: str) -> Delivery | None: ...


class ResidentCache(Protocol):
    async def get(self, tenant: str, user_id: str) -> KnownResident | None: ...
    async def remember_locale(self, tenant: str, user_id: str, locale: str) -> None: ...
    async def remember(self, tenant: str, user_id: str, *, locale: str | None = None, language: str | None = None,
                       interests: list[str] | None = None, dm_channel: str | None = None) -> None: ...
    async def forget(self, tenant: str, user_id: str) -> None: ...
    async def remember_dm_channel(self, tenant: str, user_id: str, channel: str) -> None: ...
    async def with_interests(self, tenant: str, interests: list[str]) -> list[KnownResident]: ...


def _given(**fields) -> dict:
    """The fields that were given (not None), lists copied."""
    return {name: list(value) if isinstance(value, list) else value for name, value in fields.items() if value is not None}


class MongoDeliveryStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self.deliveries = db["deliveries"]

    async def claim(self, delivery: Delivery) -> tuple[Delivery, bool]:
        """The delivery as stored, and True when this call claimed it first."""
        doc = {"_id": delivery.key, **delivery.model_dump(mode="python", exclude={"key"})}
        if await insert_once(self.deliveries, doc):
            return delivery, True
        return await self.get(delivery.key), False

    async def mark_delivered(self, key: str, *, channel: str | None, ts: str | None) -> None:
        await self.deliveries.update_one({"_id": key}, {"$set": {
            "state": DeliveryState.DELIVERED.value, "channel": channel, "ts": ts, "error": None,
            "updated_at": datetime.now(UTC)}})

    async def mark_failed(self, key: str, *, error: str) -> None:
        await self.deliveries.update_one({"_id": key, "state": {"$ne": DeliveryState.DELIVERED.value}}, {"$set": {
            "state": DeliveryState.FAILED.value, "error": error, "updated_at": datetime.now(UTC)}})

    async def get(self, key: str) -> Delivery | None:
        doc = await self.deliveries.find_one({"_id": key})
        return Delivery.model_validate({**doc, "key": doc["_id"]}) if doc else None


class MongoResidentCache:
    def __init__(self, db: AsyncDatabase) -> None:
        self.residents = db["residents"]

    async def get(self, tenant: str, user_id: str) -> KnownResident | None:
        doc = await self.residents.find_one({"_id": resident_key(tenant, user_id)})
        return KnownResident.model_validate(doc) if doc else None

    async def _set(self, tenant: str, user_id: str, fields: dict) -> None:
        await self.residents.update_one(
            {"_id": resident_key(tenant, user_id)},
            {"$set": {"tenant": tenant, "user_id": user_id, **fields, "updated_at": datetime.now(UTC)}},
            upsert=True,
        )

    async def remember_locale(self, tenant: str, user_id: str, locale: str) -> None:
        await self._set(tenant, user_id, {"locale": locale})

    async def remember(self, tenant: str, user_id: str, *, locale: str | None = None, language: str | None = None,
                       interests: list[str] | None = None, dm_channel: str | None = None) -> None:
        """What a resident event taught us, in one write (each one costs a round trip and a
        read-then-write on the local store); fields left None are kept as they are."""
        await self._set(tenant, user_id, _given(locale=locale, language=language, interests=interests,
                                                dm_channel=dm_channel))

    async def forget(self, tenant: str, user_id: str) -> None:
        await self.residents.delete_one({"_id": resident_key(tenant, user_id)})

    async def remember_dm_channel(self, tenant: str, user_id: str, channel: str) -> None:
        """Only for a resident still known: an erased one must not come back as a channel id."""
        await self.residents.update_one({"_id": resident_key(tenant, user_id)},
                                        {"$set": {"dm_channel": channel, "updated_at": datetime.now(UTC)}})

    async def with_interests(self, tenant: str, interests: list[str]) -> list[KnownResident]:
        """The tenant's known residents sharing at least one of `interests`, in a stable order."""
        wanted = [str(i) for i in interests]
        if not wanted:
            return []
        cursor = self.residents.find({"tenant": str(tenant), "interests": {"$in": wanted}}).sort("_id", 1)
        return [KnownResident.model_validate(doc) async for doc in cursor]


class InMemoryDeliveryStore:
    """Fake for unit tests."""

    def __init__(self) -> None:
        self.deliveries: dict[str, Delivery] = {}

    async def claim(self, delivery: Delivery) -> tuple[Delivery, bool]:
        if delivery.key in self.deliveries:
            return self.deliveries[delivery.key].model_copy(), False
        self.deliveries[delivery.key] = delivery.model_copy()
        return delivery, True

    async def mark_delivered(self, key: str, *, channel: str | None, ts: str | None) -> None:
        self.deliveries[key] = self.deliveries[key].model_copy(
            update={"state": DeliveryState.DELIVERED, "channel": channel, "ts": ts, "error": None})

    async def mark_failed(self, key: str, *, error: str) -> None:
        if self.deliveries[key].state is not DeliveryState.DELIVERED:
            self.deliveries[key] = self.deliveries[key].model_copy(update={"state": DeliveryState.FAILED, "error": error})

    async def get(self, key: str) -> Delivery | None:
        found = self.deliveries.get(key)
        return found.model_copy() if found else None


class InMemoryResidentCache:
    """Fake for unit tests."""

    def __init__(self) -> None:
        self.residents: dict[str, KnownResident] = {}

    async def get(self, tenant: str, user_id: str) -> KnownResident | None:
        found = self.residents.get(resident_key(tenant, user_id))
        return found.model_copy(deep=True) if found else None

    def _entry(self, tenant: str, user_id: str) -> KnownResident:
        return self.residents.setdefault(resident_key(tenant, user_id), KnownResident(tenant=tenant, user_id=user_id))

    async def remember_locale(self, tenant: str, user_id: str, locale: str) -> None:
        self._entry(tenant, user_id).locale = locale

    async def remember(self, tenant: str, user_id: str, *, locale: str | None = None, language: str | None = None,
                       interests: list[str] | None = None, dm_channel: str | None = None) -> None:
        entry = self._entry(tenant, user_id)
        for name, value in _given(locale=locale, language=language, interests=interests, dm_channel=dm_channel).items():
            setattr(entry, name, value)

    async def forget(self, tenant: str, user_id: str) -> None:
        self.residents.pop(resident_key(tenant, user_id), None)

    async def remember_dm_channel(self, tenant: str, user_id: str, channel: str) -> None:
        found = self.residents.get(resident_key(tenant, user_id))
        if found is not None:
            found.dm_channel = channel

    async def with_interests(self, tenant: str, interests: list[str]) -> list[KnownResident]:
        wanted = set(interests)
        return [r.model_copy(deep=True) for key, r in sorted(self.residents.items())
                if r.tenant == tenant and wanted & set(r.interests or ())]
