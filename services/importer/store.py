"""The import ledger: what earlier imports published (database `oco_importer`).

One collection per tenant (`imported_files_<tenant>`), one document per imported file
(`_id` = its path in the export) holding the digest of the bytes imported and the ids of the
events published from them, packed as 12-byte digests in one binary field. A document is
written only after Kafka acknowledged every one of its file's events. So:

- a file whose bytes are unchanged is skipped whole (a second import publishes nothing);
- a changed file (a newer export of the same workspace) publishes only the events whose ids
  its document does not hold yet, then the document gets the union;
- a first import lists the tenant's documents once and finds none: no per-event checks.

Why this shape, measured on FerretDB (the local store): one document per event id capped the
import at a tenth of the producer's rate (every insert is an index write, every `$in` a scan
of the collection); arrays cost ~30 µs per element, a binary field almost nothing; and FerretDB
uses no secondary index, so one collection per tenant keeps listing a tenant's files from
scanning every city's. Correctness does not rest on the ledger: event ids are deterministic,
so downstream de-duplication collapses anything published twice (e.g. by two imports of one
tenant running at once).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from bson import Binary
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from services.importer.models import TENANT_PATTERN

DATABASE = "oco_importer"
# A file with more events than this keeps only its digest: if it changes, all of it is re-sent.
MAX_IDS_PER_FILE = 1_000_000
ID_DIGEST_BYTES = 12
_DUPLICATE_KEY = 11000


def id_digest(event_id: str) -> bytes:
    """How the ledger remembers an event id: 96 bits, so a collision within one file is not a concern."""
    return hashlib.blake2b(event_id.encode(), digest_size=ID_DIGEST_BYTES).digest()


@dataclass(frozen=True)
class FileRecord:
    """One imported file: the digest of its bytes and its events' id digests."""

    key: str
    digest: str
    ids: frozenset[bytes] = field(default_factory=frozenset)
    previously_recorded: bool = False  # an update of an earlier record, not a new one


class ImportLedger(Protocol):
    async def digests(self, tenant: str) -> dict[str, str]: ...
    async def ids_of(self, tenant: str, key: str) -> set[bytes]: ...
    async def record(self, tenant: str, files: Sequence[FileRecord]) -> None: ...
    async def forget_tenant(self, tenant: str) -> int: ...


class MongoImportLedger:
    def __init__(self, db: AsyncDatabase) -> None:
        self.db = db

    def _files(self, tenant: str):
        if not TENANT_PATTERN.match(tenant):  # it names a collection: validated, never raw input
            raise ValueError(f"not a tenant id: {tenant!r}")
        return self.db[f"imported_files_{tenant}"]

    async def digests(self, tenant: str) -> dict[str, str]:
        """Every file imported for `tenant`, by key, with its digest (one query)."""
        return {doc["_id"]: doc.get("digest", "") async for doc in self._files(tenant).find({}, {"digest": 1})}

    async def ids_of(self, tenant: str, key: str) -> set[bytes]:
        """Id digests of the events published from the file (see `id_digest`)."""
        doc = await self._files(tenant).find_one({"_id": key})
        packed = bytes(doc.get("ids") or b"") if doc else b""
        return {packed[i:i + ID_DIGEST_BYTES] for i in range(0, len(packed), ID_DIGEST_BYTES)}

    async def record(self, tenant: str, files: Sequence[FileRecord]) -> None:
        """New files in one insert; updated ones one by one (rare: a newer export)."""
        collection = self._files(tenant)
        new = [_document(f) for f in files if not f.previously_recorded]
        if new:
            try:
                await collection.insert_many(new, ordered=False)
            except BulkWriteError as exc:  # recorded meanwhile by a concurrent import: fine
                if any(e.get("code") != _DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
                    raise
        for f in files:
            if f.previously_recorded:
                await collection.replace_one({"_id": f.key}, _document(f), upsert=True)

    async def forget_tenant(self, tenant: str) -> int:
        """Drop a tenant's ledger (throwaway tenants of benchmarks); returns files removed."""
        collection = self._files(tenant)
        count = await collection.count_documents({})
        await collection.drop()
        return count


def _document(record: FileRecord) -> dict:
    packed = b"".join(sorted(record.ids)) if len(record.ids) <= MAX_IDS_PER_FILE else b""
    return {"_id": record.key, "digest": record.digest, "events": len(record.ids), "ids": Binary(packed),
            "imported_at": datetime.now(UTC)}


def _id(tenant: str, key: str) -> str:
    return f"{tenant}/{key}"


@dataclass
class InMemoryImportLedger:
    """Fake for unit tests."""

    files: dict[str, FileRecord] = field(default_factory=dict)

    async def digests(self, tenant: str) -> dict[str, str]:
        prefix = f"{tenant}/"
        return {k[len(prefix):]: r.digest for k, r in self.files.items() if k.startswith(prefix)}

    async def ids_of(self, tenant: str, key: str) -> set[bytes]:
        record = self.files.get(_id(tenant, key))
        return set(record.ids) if record else set()

    async def record(self, tenant: str, files: Sequence[FileRecord]) -> None:
        for f in files:
            self.files[_id(tenant, f.key)] = f

    async def forget_tenant(self, tenant: str) -> int:
        gone = [k for k in self.files if k.startswith(f"{tenant}/")]
        for k in gone:
            del self.files[k]
        return len(gone)
