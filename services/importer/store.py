"""The import ledger: which events an import has already published (database `oco_importer`).

One document per published event id under the unique `_id` (inserted after Kafka
acknowledged it), so a second import of the same export publishes nothing. Batches are
checked with one `$in` each. Two markers keep that rare, because on FerretDB every lookup is
a scan of the collection: a per-tenant marker (no marker → no id of that tenant can be in
the ledger, so a first import checks nothing), and a marker per file content (a file whose
exact bytes were fully imported before is not checked event by event; a tenant's markers are
read once per import). Correctness rests on the unique ids; markers are recorded after them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from shared.store import insert_once

DATABASE = "oco_importer"
# Lookups are by `_id`; files are listed per tenant at the start of an import.
INDEXES = {"imported_files": [IndexModel([("tenant", 1)])]}
_DUPLICATE_KEY = 11000


@dataclass(frozen=True)
class LedgerEntry:
    event_id: str
    type: str


class ImportLedger(Protocol):
    async def tenant_seen(self, tenant: str) -> bool: ...
    async def mark_tenant(self, tenant: str) -> None: ...
    async def known(self, ids: Sequence[str]) -> set[str]: ...
    async def record(self, tenant: str, entries: Sequence[LedgerEntry]) -> None: ...
    async def done_files(self, tenant: str) -> set[str]: ...
    async def mark_files(self, tenant: str, file_keys: Iterable[str]) -> None: ...
    async def forget_tenant(self, tenant: str) -> int: ...


class MongoImportLedger:
    def __init__(self, db: AsyncDatabase) -> None:
        self.events = db["imported_events"]
        self.files = db["imported_files"]
        self.tenants = db["imported_tenants"]

    async def tenant_seen(self, tenant: str) -> bool:
        return await self.tenants.find_one({"_id": tenant}) is not None

    async def mark_tenant(self, tenant: str) -> None:
        await insert_once(self.tenants, {"_id": tenant, "first_import_at": datetime.now(UTC)})

    async def known(self, ids: Sequence[str]) -> set[str]:
        """The ids among `ids` already in the ledger (one `$in` query)."""
        if not ids:
            return set()
        return {doc["_id"] async for doc in self.events.find({"_id": {"$in": list(ids)}}, {"_id": 1})}

    async def record(self, tenant: str, entries: Sequence[LedgerEntry]) -> None:
        """Insert the ids; ids already there (a concurrent or crashed import) are fine."""
        if entries:
            docs = [{"_id": e.event_id, "tenant": tenant, "type": e.type} for e in entries]
            await _insert_many_once(self.events, docs)

    async def done_files(self, tenant: str) -> set[str]:
        """Keys of the files fully imported for `tenant` (one query, not one per file)."""
        prefix = len(tenant) + 1
        return {doc["_id"][prefix:] async for doc in self.files.find({"tenant": tenant}, {"_id": 1})}

    async def mark_files(self, tenant: str, file_keys: Iterable[str]) -> None:
        docs = [{"_id": f"{tenant}/{key}", "tenant": tenant} for key in file_keys]
        if docs:
            await _insert_many_once(self.files, docs)

    async def forget_tenant(self, tenant: str) -> int:
        """Drop a tenant's ledger (throwaway tenants of benchmarks); returns ids removed."""
        await self.tenants.delete_one({"_id": tenant})
        await self.files.delete_many({"tenant": tenant})
        return (await self.events.delete_many({"tenant": tenant})).deleted_count


async def _insert_many_once(collection, docs: list[dict]) -> None:
    try:
        await collection.insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        others = [e for e in exc.details.get("writeErrors", []) if e.get("code") != _DUPLICATE_KEY]
        if others:
            raise


@dataclass
class InMemoryImportLedger:
    """Fake for unit tests."""

    tenants: set[str] = field(default_factory=set)
    ids: dict[str, str] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)
    checks: int = 0

    async def tenant_seen(self, tenant: str) -> bool:
        return tenant in self.tenants

    async def mark_tenant(self, tenant: str) -> None:
        self.tenants.add(tenant)

    async def known(self, ids: Sequence[str]) -> set[str]:
        self.checks += 1
        return {i for i in ids if i in self.ids}

    async def record(self, tenant: str, entries: Sequence[LedgerEntry]) -> None:
        for e in entries:
            self.ids.setdefault(e.event_id, tenant)

    async def done_files(self, tenant: str) -> set[str]:
        prefix = f"{tenant}/"
        return {f[len(prefix):] for f in self.files if f.startswith(prefix)}

    async def mark_files(self, tenant: str, file_keys: Iterable[str]) -> None:
        self.files.update(f"{tenant}/{k}" for k in file_keys)

    async def forget_tenant(self, tenant: str) -> int:
        self.tenants.discard(tenant)
        self.files = {f for f in self.files if not f.startswith(f"{tenant}/")}
        gone = [i for i, t in self.ids.items() if t == tenant]
        for i in gone:
            del self.ids[i]
        return len(gone)
