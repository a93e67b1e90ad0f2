"""Document store helpers: one database per service, indexes created at start-up.

The code is plain MongoDB so it runs unchanged on MongoDB and on FerretDB (which stands in
locally). FerretDB lacks transactions, change streams, TTL indexes and `$lookup`, and its
updates are read-then-write: correctness rests on inserts under unique indexes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

DUPLICATE_KEY = 11000


def connect(url: str) -> AsyncMongoClient:
    """A client with short server-selection time-outs, so a missing store fails fast."""
    return AsyncMongoClient(url, serverSelectionTimeoutMS=5000, connectTimeoutMS=5000, tz_aware=True)


async def ensure_indexes(db: AsyncDatabase, indexes: dict[str, Iterable[IndexModel]]) -> None:
    # One index per call: FerretDB 1.24 drops the connection when one createIndexes names
    # several indexes that already exist, which would break every restart.
    for collection, models in indexes.items():
        for model in models:
            await db[collection].create_indexes([model])


async def insert_once(collection, document: dict) -> bool:
    """Insert under a unique key; False when it was already there (a replay)."""
    try:
        await collection.insert_one(document)
    except DuplicateKeyError:
        return False
    return True


async def insert_many_once(collection, documents: list[dict]) -> int:
    """Insert each under its unique key in one round trip; how many were new (the rest are replays)."""
    if not documents:
        return 0
    try:
        return len((await collection.insert_many(documents, ordered=False)).inserted_ids)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(error.get("code") != DUPLICATE_KEY for error in errors):
            raise
        return exc.details.get("nInserted", 0)


class HandledEvents:
    """Event ids a consumer group has fully handled, one document each under a unique `_id`."""

    def __init__(self, db: AsyncDatabase, *, group: str) -> None:
        self.collection = db["handled_events"]
        self.group = group

    def _key(self, event_id: str) -> str:
        return f"{self.group}/{event_id}"

    async def seen(self, event_id: str) -> bool:
        return await self.collection.find_one({"_id": self._key(event_id)}) is not None

    async def mark(self, event_id: str, topic: str) -> None:
        await insert_once(
            self.collection,
            {"_id": self._key(event_id), "topic": topic, "at": datetime.now(UTC)},
        )

    async def seen_many(self, event_ids: Sequence[str]) -> set[str]:
        """Which of `event_ids` were handled: one query for a whole batch."""
        keys = {self._key(event_id): event_id for event_id in event_ids}
        return {keys[doc["_id"]] async for doc in self.collection.find({"_id": {"$in": list(keys)}}, {"_id": 1})}

    async def mark_many(self, event_ids: Sequence[str], topic: str) -> None:
        """Record a batch as handled in one insert; ids recorded before stay as they are."""
        now = datetime.now(UTC)
        await insert_many_once(self.collection, [{"_id": self._key(e), "topic": topic, "at": now} for e in event_ids])


@dataclass
class InMemoryHandledEvents:
    """Fake for unit tests."""

    ids: set[str] = field(default_factory=set)

    async def seen(self, event_id: str) -> bool:
        return event_id in self.ids

    async def mark(self, event_id: str, topic: str) -> None:
        self.ids.add(event_id)

    async def seen_many(self, event_ids: Sequence[str]) -> set[str]:
        return self.ids.intersection(event_ids)

    async def mark_many(self, event_ids: Sequence[str], topic: str) -> None:
        self.ids.update(event_ids)
