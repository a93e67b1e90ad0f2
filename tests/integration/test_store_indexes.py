"""The document store finds documents by `_id` through an index, so the handled-events
ledger, delivery claims and every other lookup by key stay cheap as history grows.

FerretDB 1.24.2 as published scans the whole table for these (its query expression differs
from its index's); `oco infra` builds it patched (see `oco.infra.FERRETDB_PATCHES`)."""

from __future__ import annotations

import pytest

from shared.store import connect
from tests.support import unique

pytestmark = pytest.mark.integration


@pytest.fixture
async def collection(infrastructure):
    client = connect(infrastructure["mongo"])
    name = f"{unique('probe_')}".lower()
    db = client[name]
    yield db["ledger"]
    await client.drop_database(name)
    await client.close()


async def plan_of_find_by_id(collection, key: str) -> str:
    explained = await collection.database.command("explain", {"find": collection.name, "filter": {"_id": key}})
    planner = explained["queryPlanner"]
    if "Plan" in planner:  # FerretDB on SQLite: SQLite's own EXPLAIN QUERY PLAN lines
        return " | ".join(planner["Plan"])
    return str(planner.get("winningPlan"))  # MongoDB: IDHACK / EXPRESS_IXSCAN / IXSCAN


async def test_a_lookup_by_id_uses_an_index_and_finds_hits_and_misses(collection):
    await collection.insert_many([{"_id": f"group/{n:05d}", "topic": "resident.joined"} for n in range(500)])
    plan = await plan_of_find_by_id(collection, "group/00042")
    assert "SCAN" not in plan.replace("IXSCAN", ""), plan
    assert any(word in plan for word in ("USING INDEX", "IDHACK", "IXSCAN", "EXPRESS")), plan
    # The rewritten lookup must still mean "_id equals": hits, misses, updates, deletes.
    assert (await collection.find_one({"_id": "group/00042"}))["topic"] == "resident.joined"
    assert await collection.find_one({"_id": "group/99999"}) is None
    assert (await collection.update_one({"_id": "group/00007"}, {"$set": {"topic": "x"}})).modified_count == 1
    assert (await collection.find_one({"_id": "group/00007"}))["topic"] == "x"
    assert (await collection.delete_one({"_id": "group/00008"})).deleted_count == 1
    assert await collection.count_documents({}) == 499


async def test_ids_that_look_like_json_paths_or_quotes_are_found_exactly(collection):
    keys = ["$._id", "a.b", "it's", 'say "hi"', "日本語/キー", "$[0]"]
    await collection.insert_many([{"_id": key, "n": n} for n, key in enumerate(keys)])
    for n, key in enumerate(keys):
        assert (await collection.find_one({"_id": key}))["n"] == n
    assert await collection.find_one({"_id": "a"}) is None
