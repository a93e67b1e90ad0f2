"""Lookups by `_id` as a collection grows, beside the same lookups on a small collection.

    python -m bench.store_lookups [--sizes 2000 20000 100000] [--lookups 300]

Every consumer asks the handled-events ledger whether it has seen an event (almost always
a miss), and the notifier claims, reads and updates deliveries by key: the store's cost of
a lookup by `_id` is paid several times per event. This measures, on the store at
OCO_MONGO_URL, in a database of its own (dropped afterwards):

1. **baseline**: a collection of 100 ledger-shaped documents — the cost of a round trip;
2. the same operations on collections of each `--sizes` documents;

for `find_one` by `_id` that hits, one that misses, `update_one` by `_id`, and `insert_one`,
with the mean time per operation and its ratio to the baseline. With lookups served by an
index the ratios stay near 1 whatever the size; a scan makes them grow with it (FerretDB
1.24.2 as published: a miss at 20,000 documents took 76× the baseline).
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from bench.common import mongo_url, run
from shared.store import connect

BASELINE_SIZE = 100


def ledger_document(n: int) -> dict:
    return {"_id": f"oco-notifier.resident.joined/{uuid.UUID(int=n)}", "topic": "resident.joined",
            "at": datetime.now(UTC)}


async def fill(collection, size: int) -> None:
    have = await collection.count_documents({})
    for start in range(have, size, 1000):
        await collection.insert_many([ledger_document(n) for n in range(start, min(size, start + 1000))])


async def mean_ms(count: int, operation: Callable[[int], Awaitable[object]]) -> float:
    started = time.perf_counter()
    for i in range(count):
        await operation(i)
    return (time.perf_counter() - started) / count * 1000


async def measure(collection, size: int, lookups: int) -> dict[str, float]:
    """Mean milliseconds per operation on `collection` once it holds `size` documents."""
    await fill(collection, size)
    spread = max(1, size // lookups)  # hits all over the table, not only its first rows
    tag = uuid.uuid4().hex[:8]
    return {
        "find hit": await mean_ms(lookups, lambda i: collection.find_one({"_id": ledger_document(i * spread % size)["_id"]})),
        "find miss": await mean_ms(lookups, lambda i: collection.find_one({"_id": f"never/{tag}/{i}"})),
        "update": await mean_ms(lookups, lambda i: collection.update_one(
            {"_id": ledger_document(i * spread % size)["_id"]}, {"$set": {"seen": i}})),
        "insert": await mean_ms(lookups, lambda i: collection.insert_one({"_id": f"new/{tag}/{i}", "at": datetime.now(UTC)})),
    }


async def main(sizes: list[int], lookups: int) -> None:
    client = connect(mongo_url())
    name = f"bench_lookups_{uuid.uuid4().hex[:8]}"
    try:
        db = client[name]
        baseline = await measure(db["baseline"], BASELINE_SIZE, lookups)
        print(f"lookups by _id on {mongo_url()} (database {name}), {lookups} of each, mean ms per operation")
        print(f"  {'documents':>10}  " + "  ".join(f"{op:>18}" for op in baseline))
        print(f"  {BASELINE_SIZE:>10}  " + "  ".join(f"{ms:8.2f} (baseline)" for ms in baseline.values()))
        for size in sizes:
            figures = await measure(db[f"size_{size}"], size, lookups)
            print(f"  {size:>10}  " + "  ".join(f"{figures[op]:8.2f} ({figures[op] / baseline[op]:5.1f}×)" for op in baseline))
    finally:
        await client.drop_database(name)
        await client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000, 20_000, 100_000], help="collection sizes")
    parser.add_argument("--lookups", type=int, default=300, help="operations of each kind per size (default 300)")
    args = parser.parse_args()
    run(main(args.sizes, args.lookups))
