"""Where the read model is kept: the interface, its MongoDB adapter and an in-memory fake.

Every write is an insert under the row's natural key (`_id`), so a replay or a duplicate
collapses on the unique index, and concurrent consumers never update the same document.
Reading is per tenant; the numbers are computed in Python (see `insights.py`), because
FerretDB's `$group` only has `$sum`/`$count` and there is no `$lookup`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Protocol

from pymongo import DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from shared.store import ensure_indexes, insert_many_once, insert_once
from services.dashboard.models import DeadLetter, Fact, FactKind, Message, Toggle, ToggleKind, message_key

TENANT_COLLECTIONS = ("facts", "messages", "message_deletions", "toggles")
INDEXES = {
    "facts": [IndexModel([("tenant", 1), ("kind", 1)])],
    "messages": [IndexModel([("tenant", 1), ("posted_at", 1)])],
    "message_deletions": [IndexModel([("tenant", 1)])],
    "toggles": [IndexModel([("tenant", 1), ("kind", 1)])],
    "dead_letters": [IndexModel([("failed_at", DESCENDING)]), IndexModel([("original_topic", 1)])],
}
# How many recent dead letters are read to find each topic's latest reasons.
_RECENT_DEAD_LETTERS = 500


class RowWriter(Protocol):
    """What the handlers write: the read model itself, or `Rows` collecting a batch."""

    async def add_fact(self, fact: Fact) -> bool: ...
    async def add_message(self, message: Message) -> bool: ...
    async def add_deletion(self, tenant: str, channel_id: str, ts: str) -> bool: ...
    async def add_toggle(self, toggle: Toggle) -> bool: ...


class ReadModel(RowWriter, Protocol):
    async def add_rows(self, rows: Rows) -> int: ...
    async def add_dead_letter(self, dead: DeadLetter) -> bool: ...
    async def tenants(self) -> list[str]: ...
    async def residents_by_tenant(self) -> dict[str, int]: ...
    async def facts(self, tenant: str) -> list[Fact]: ...
    async def messages(self, tenant: str) -> list[Message]: ...
    async def deleted_messages(self, tenant: str) -> set[str]: ...
    async def toggles(self, tenant: str, kind: ToggleKind) -> list[Toggle]: ...
    async def dead_letter_counts(self) -> dict[tuple[str, str], int]: ...
    async def recent_dead_letters(self) -> list[DeadLetter]: ...
    async def drop(self, tenant: str | None = None) -> None: ...


def _doc(row) -> dict:
    return {"_id": row.key, **row.model_dump(mode="python")}


class Rows:
    """A batch's rows, collected in memory by the handlers, then written together by
    `ReadModel.add_rows` (one insert per collection instead of one per event)."""

    def __init__(self) -> None:
        # collection → key → row; a deletion's row is its tenant. Repeats in a batch collapse here.
        self.by_collection: dict[str, dict[str, object]] = defaultdict(dict)
        self.tenants: set[str] = set()

    def _add(self, collection: str, key: str, row: object, tenant: str) -> bool:
        self.tenants.add(tenant)
        return self.by_collection[collection].setdefault(key, row) is row

    async def add_fact(self, fact: Fact) -> bool:
        return self._add("facts", fact.key, fact, fact.tenant)

    async def add_message(self, message: Message) -> bool:
        return self._add("messages", message.key, message, message.tenant)

    async def add_deletion(self, tenant: str, channel_id: str, ts: str) -> bool:
        return self._add("message_deletions", message_key(tenant, channel_id, ts), tenant, tenant)

    async def add_toggle(self, toggle: Toggle) -> bool:
        return self._add("toggles", toggle.key, toggle, toggle.tenant)

    def __len__(self) -> int:
        return sum(map(len, self.by_collection.values()))


class MongoReadModel:
    def __init__(self, db: AsyncDatabase) -> None:
        self.db = db
        self._known_tenants: set[str] = set()

    async def setup(self) -> None:
        # One index per call: FerretDB 1.24 drops the connection when a call re-creates
        # several indexes of one collection that already exist (a restart does that).
        for collection, models in INDEXES.items():
            for model in models:
                await ensure_indexes(self.db, {collection: [model]})

    async def _note_tenant(self, tenant: str) -> None:
        # Remembered in memory so the common case costs no write.
        if tenant not in self._known_tenants:
            await insert_once(self.db["tenants"], {"_id": tenant, "first_seen": datetime.now(UTC)})
            self._known_tenants.add(tenant)

    async def add_fact(self, fact: Fact) -> bool:
        await self._note_tenant(fact.tenant)
        return await insert_once(self.db["facts"], _doc(fact))

    async def add_message(self, message: Message) -> bool:
        await self._note_tenant(message.tenant)
        return await insert_once(self.db["messages"], _doc(message))

    async def add_deletion(self, tenant: str, channel_id: str, ts: str) -> bool:
        await self._note_tenant(tenant)
        return await insert_once(self.db["message_deletions"], {"_id": message_key(tenant, channel_id, ts), "tenant": tenant})

    async def add_toggle(self, toggle: Toggle) -> bool:
        await self._note_tenant(toggle.tenant)
        return await insert_once(self.db["toggles"], _doc(toggle))

    async def add_rows(self, rows: Rows) -> int:
        """Insert a batch's rows, one call per collection; rows already there are replays."""
        for tenant in rows.tenants:
            await self._note_tenant(tenant)
        added = 0
        for collection, keyed in rows.by_collection.items():
            docs = [
                {"_id": key, "tenant": row} if isinstance(row, str) else _doc(row) for key, row in keyed.items()
            ]
            added += await insert_many_once(self.db[collection], docs)
        return added

    async def add_dead_letter(self, dead: DeadLetter) -> bool:
        return await insert_once(self.db["dead_letters"], _doc(dead))

    async def tenants(self) -> list[str]:
        # By id, not by arrival: the order (and the default tenant) survives a rebuild.
        return [doc["_id"] async for doc in self.db["tenants"].find({}).sort("_id", 1)]

    async def residents_by_tenant(self) -> dict[str, int]:
        """Joins minus leaves per tenant, in one pass: enough to tell a city from a test's leftovers."""
        pipeline = [
            {"$match": {"kind": {"$in": [FactKind.RESIDENT_JOINED.value, FactKind.RESIDENT_LEFT.value]}}},
            {"$group": {"_id": {"tenant": "$tenant", "kind": "$kind"}, "n": {"$sum": 1}}},
        ]
        counts: Counter[str] = Counter()
        async for row in await self.db["facts"].aggregate(pipeline):
            sign = 1 if row["_id"]["kind"] == FactKind.RESIDENT_JOINED.value else -1
            counts[row["_id"]["tenant"]] += sign * row["n"]
        return dict(counts)

    async def facts(self, tenant: str) -> list[Fact]:
        return [Fact.model_validate(doc) async for doc in self.db["facts"].find({"tenant": tenant})]

    async def messages(self, tenant: str) -> list[Message]:
        return [Message.model_validate(doc) async for doc in self.db["messages"].find({"tenant": tenant})]

    async def deleted_messages(self, tenant: str) -> set[str]:
        return {doc["_id"] async for doc in self.db["message_deletions"].find({"tenant": tenant})}

    async def toggles(self, tenant: str, kind: ToggleKind) -> list[Toggle]:
        cursor = self.db["toggles"].find({"tenant": tenant, "kind": kind.value})
        return [Toggle.model_validate(doc) async for doc in cursor]

    async def dead_letter_counts(self) -> dict[tuple[str, str], int]:
        pipeline = [{"$group": {"_id": {"topic": "$original_topic", "group": "$group"}, "n": {"$sum": 1}}}]
        cursor = await self.db["dead_letters"].aggregate(pipeline)
        return {(row["_id"]["topic"], row["_id"].get("group") or ""): row["n"] async for row in cursor}

    async def recent_dead_letters(self) -> list[DeadLetter]:
        cursor = self.db["dead_letters"].find({}).sort("failed_at", DESCENDING).limit(_RECENT_DEAD_LETTERS)
        return [DeadLetter.model_validate(doc) async for doc in cursor]

    async def drop(self, tenant: str | None = None) -> None:
        """Forget one tenant's rows, or (no tenant) the whole read model and its handled ids."""
        if tenant is None:
            for name in (*TENANT_COLLECTIONS, "tenants", "dead_letters", "handled_events"):
                await self.db[name].drop()
            await self.setup()
        else:
            for name in TENANT_COLLECTIONS:
                await self.db[name].delete_many({"tenant": tenant})
            await self.db["tenants"].delete_one({"_id": tenant})
        self._known_tenants.clear()


class InMemoryReadModel:
    """Fake for unit tests, with the same insert-once semantics."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, object]] = defaultdict(dict)
        self._tenants: list[str] = []

    def _insert(self, collection: str, key: str, row: object, tenant: str | None) -> bool:
        if tenant is not None and tenant not in self._tenants:
            self._tenants.append(tenant)
        if key in self.rows[collection]:
            return False
        self.rows[collection][key] = row
        return True

    async def add_fact(self, fact: Fact) -> bool:
        return self._insert("facts", fact.key, fact, fact.tenant)

    async def add_message(self, message: Message) -> bool:
        return self._insert("messages", message.key, message, message.tenant)

    async def add_deletion(self, tenant: str, channel_id: str, ts: str) -> bool:
        return self._insert("message_deletions", message_key(tenant, channel_id, ts), tenant, tenant)

    async def add_toggle(self, toggle: Toggle) -> bool:
        return self._insert("toggles", toggle.key, toggle, toggle.tenant)

    async def add_rows(self, rows: Rows) -> int:
        added = 0
        for collection, keyed in rows.by_collection.items():
            for key, row in keyed.items():
                added += self._insert(collection, key, row, _tenant_of(row))
        return added

    async def add_dead_letter(self, dead: DeadLetter) -> bool:
        return self._insert("dead_letters", dead.key, dead, None)

    async def tenants(self) -> list[str]:
        return sorted(self._tenants)

    async def residents_by_tenant(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for fact in self.rows["facts"].values():
            if fact.kind in (FactKind.RESIDENT_JOINED, FactKind.RESIDENT_LEFT):
                counts[fact.tenant] += 1 if fact.kind is FactKind.RESIDENT_JOINED else -1
        return dict(counts)

    async def facts(self, tenant: str) -> list[Fact]:
        return [f for f in self.rows["facts"].values() if f.tenant == tenant]

    async def messages(self, tenant: str) -> list[Message]:
        return [m for m in self.rows["messages"].values() if m.tenant == tenant]

    async def deleted_messages(self, tenant: str) -> set[str]:
        return {key for key, owner in self.rows["message_deletions"].items() if owner == tenant}

    async def toggles(self, tenant: str, kind: ToggleKind) -> list[Toggle]:
        return [t for t in self.rows["toggles"].values() if t.tenant == tenant and t.kind is kind]

    async def dead_letter_counts(self) -> dict[tuple[str, str], int]:
        return dict(Counter((d.original_topic, d.group) for d in self.rows["dead_letters"].values()))

    async def recent_dead_letters(self) -> list[DeadLetter]:
        rows = sorted(self.rows["dead_letters"].values(), key=lambda d: d.failed_at, reverse=True)
        return rows[:_RECENT_DEAD_LETTERS]

    async def drop(self, tenant: str | None = None) -> None:
        if tenant is None:
            self.rows.clear()
            self._tenants.clear()
            return
        for name in TENANT_COLLECTIONS:
            self.rows[name] = {k: v for k, v in self.rows[name].items() if _tenant_of(v) != tenant}
        self._tenants = [t for t in self._tenants if t != tenant]


def _tenant_of(row: object) -> str | None:
    return row if isinstance(row, str) else getattr(row, "tenant", None)
