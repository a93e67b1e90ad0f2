"""Document store helpers: one database per service, indexes created at start-up.

The code is plain MongoDB so it runs unchanged on MongoDB and on FerretDB (which stands in
locally). FerretDB lacks transactions, change streams, TTL indexes and `$lookup`, and its
updates are read-then-write: correctness rests on inserts under unique indexes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError


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


@dataclass
class InMemoryHandledEvents:
    """Fake for unit tests."""

    ids: set[str] = field(default_factory=set)

    async def seen(self, event_id: str) -> bool:
        return event_id in self.ids

    async def mark(self, event_id: str, topic: str) -> None:
        self.ids.add(event_id)
