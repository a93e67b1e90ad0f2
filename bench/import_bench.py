"""Import throughput beside a bare aiokafka producer, on the same broker in the same run.

    python -m bench.import_bench [--messages 200000] [--workers N] [--keep]

1. Generates a large Slack export (default 200,000 messages, ~1 reaction in 5 messages)
   in a temporary folder.
2. Baseline: a bare AIOKafkaProducer (acks=all, idempotent, the importer's linger and batch
   size) sends as many messages of the import's average event size as the import will
   publish, to a throwaway topic, as fast as it can; then waits for every ack.
3. The importer's own code path (`run_import`, in-process) imports the export under a
   throwaway tenant: reading, translating, publishing, acknowledging, ledger.
4. The baseline again, since the machine's load may have changed meanwhile.
5. Prints events/second of each and the ratio to the mean baseline (target: ≥ 0.5).

The throwaway topic and the tenant's ledger are removed afterwards; the imported events stay
on the activity topics under the throwaway tenant (topics keep their events forever).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.envelope import CONTENT_TYPE
from shared.settings import KafkaSettings
from shared.store import connect
from services.importer.config import ImporterSettings
from services.importer.main import run_import
from services.importer.store import DATABASE, MongoImportLedger
from services.importer.sink import make_producer

USERS = 500
CHANNELS = 20
DAYS = 365
WORDS = ["データ", "meetup", "地図", "写真", "idea", "イベント", "移住", "子育て", "カフェ", "駅前", "the", "a", "river"]


def generate_export(out: Path, *, messages: int, seed: int = 7) -> dict[str, int]:
    """A plain export: USERS people, CHANNELS channels, one day file per channel per day."""
    rng = random.Random(seed)
    team = "TBENCH"
    users = [{"id": f"U{i:08d}", "team_id": team, "name": f"user{i}", "real_name": f"User {i}", "deleted": False,
              "is_bot": False, "profile": {"real_name": f"User {i}", "display_name": f"user{i}"}} for i in range(USERS)]
    (out / "users.json").write_text(json.dumps(users))
    channels = [{"id": f"C{i:08d}", "name": f"channel-{i}", "members": []} for i in range(CHANNELS)]
    (out / "channels.json").write_text(json.dumps(channels))
    per_file = messages // (CHANNELS * DAYS)
    extra = messages - per_file * CHANNELS * DAYS
    start = 1_600_000_000
    reactions = 0
    for c, channel in enumerate(channels):
        folder = out / channel["name"]
        folder.mkdir()
        for day in range(DAYS):
            count = per_file + (1 if c * DAYS + day < extra else 0)
            base = start + day * 86400
            day_messages = []
            for n in range(count):
                message = {"type": "message", "user": rng.choice(users)["id"],
                           "text": " ".join(rng.choices(WORDS, k=rng.randint(3, 25))), "ts": f"{base + n * 7}.{n:06d}"}
                if rng.random() < 0.15:
                    reactors = rng.sample(users, rng.randint(1, 2))
                    message["reactions"] = [{"name": "+1", "users": [u["id"] for u in reactors], "count": len(reactors)}]
                    reactions += len(reactors)
                day_messages.append(message)
            stamp = time.strftime("%Y-%m-%d", time.gmtime(base))
            (folder / f"{stamp}.json").write_text("[\n" + ",\n".join(json.dumps(m, ensure_ascii=False) for m in day_messages) + "\n]")
    return {"messages": messages, "reactions": reactions, "users": USERS, "events": messages + reactions + USERS}


async def bare_producer(kafka: KafkaSettings, settings: ImporterSettings, *, count: int, size: int,
                       batches: bool = False) -> float:
    """Events/second of a bare producer sending `count` messages of `size` bytes, all acknowledged.

    With `batches`, it fills record batches per partition itself (`create_batch`/`send_batch`),
    as the importer does, instead of calling `send()` per message.
    """
    topic = f"bench.import-baseline-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 12, 1)])
    producer = make_producer(kafka, linger_ms=settings.import_linger_ms, max_batch_bytes=settings.import_max_batch_bytes,
                             client_id="oco-bench-baseline")
    await producer.start()
    try:
        await _wait_for_leaders(producer, topic)
        value = os.urandom(size // 2).hex().encode()
        headers = [("content-type", CONTENT_TYPE.encode()), ("ce_id", b"0" * 36)]
        started = time.perf_counter()
        send = _send_in_batches if batches else _send_one_by_one
        await send(producer, topic, value, headers, count, window=settings.import_batch_size * settings.import_max_in_flight_batches)
        return count / (time.perf_counter() - started)
    finally:
        await producer.stop()
        await admin.delete_topics([topic])
        await admin.close()


async def _wait_for_leaders(producer, topic: str) -> None:
    """A new topic's partitions get leaders a moment after creation; sending earlier only retries."""
    for _ in range(100):
        partitions = await producer.partitions_for(topic)
        cluster = producer.client.cluster
        if partitions and all((cluster.leader_for_partition(TopicPartition(topic, p)) or -1) >= 0 for p in partitions):
            return
        await producer.client.force_metadata_update()
        await asyncio.sleep(0.1)


async def _send_one_by_one(producer, topic: str, value: bytes, headers: list, count: int, *, window: int) -> None:
    futures = []
    for i in range(count):
        futures.append(await producer.send(topic, value, key=f"C{i % 2000:08d}:{i}".encode(), headers=headers))
        if len(futures) >= window:
            await asyncio.gather(*futures)
            futures = []
    await asyncio.gather(*futures)


async def _send_in_batches(producer, topic: str, value: bytes, headers: list, count: int, *, window: int) -> None:
    partitions = sorted(await producer.partitions_for(topic))
    futures, builders = [], {}
    for i in range(count):
        partition = partitions[i % len(partitions)]
        builder = builders.get(partition) or builders.setdefault(partition, producer.create_batch())
        if builder.append(timestamp=None, key=f"C{i % 2000:08d}:{i}".encode(), value=value, headers=headers) is None:
            futures.append(await producer.send_batch(builder, topic, partition=partition))
            builders[partition] = producer.create_batch()
            builders[partition].append(timestamp=None, key=f"C{i % 2000:08d}:{i}".encode(), value=value, headers=headers)
        if i % window == window - 1:
            for p, b in builders.items():
                futures.append(await producer.send_batch(b, topic, partition=p))
            builders = {}
            await asyncio.gather(*futures)
            futures = []
    futures += [await producer.send_batch(b, topic, partition=p) for p, b in builders.items()]
    await asyncio.gather(*futures)


async def main(messages: int, keep: bool, workers: int | None) -> None:
    settings = ImporterSettings(**({"import_workers": workers} if workers else {}))
    folder = Path(tempfile.mkdtemp(prefix="oco-import-bench-"))
    tenant = f"TBENCH{uuid.uuid4().hex[:8].upper()}"
    try:
        began = time.perf_counter()
        counts = generate_export(folder, messages=messages)
        print(f"export: {counts['messages']:,} messages, {counts['reactions']:,} reactions, {counts['users']} users "
              f"in {CHANNELS * DAYS:,} day files ({_size_mb(folder):.0f} MB), generated in {time.perf_counter() - began:.1f}s")
        size = _typical_event_size(folder, tenant)
        before = await bare_producer(settings.kafka, settings, count=counts["events"], size=size)
        print(f"bare aiokafka producer: {counts['events']:,} events of {size} bytes, {before:,.0f} events/s "
              f"(load average {os.getloadavg()[0]:.1f})")
        began = time.perf_counter()
        summary = await run_import(folder, tenant=tenant, settings=settings)
        wall = time.perf_counter() - began
        rate = summary.published / wall
        print(f"oco import (in-process): {summary.published:,} events published, {summary.messages:,} messages, "
              f"{wall:.1f}s including connecting → {rate:,.0f} events/s, {summary.messages / wall:,.0f} messages/s "
              f"(publishing loop alone: {summary.published / summary.seconds:,.0f} events/s)")
        after = await bare_producer(settings.kafka, settings, count=counts["events"], size=size)
        baseline = (before + after) / 2
        print(f"bare aiokafka producer again: {after:,.0f} events/s (load average {os.getloadavg()[0]:.1f})")
        print(f"ratio importer / bare producer: {rate / baseline:.2f} (target ≥ 0.50; "
              f"{settings.import_workers} translation worker(s), {os.cpu_count()} CPUs)")
        batched = await bare_producer(settings.kafka, settings, count=counts["events"], size=size, batches=True)
        print(f"for comparison, a bare producer filling record batches itself (as the importer does): "
              f"{batched:,.0f} events/s → importer at {rate / batched:.2f} of that")
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
        mongo = connect(settings.mongo_url.get_secret_value())
        removed = await MongoImportLedger(mongo[DATABASE]).forget_tenant(tenant)
        await mongo.close()
        print(f"cleaned up: export folder{' kept at ' + str(folder) if keep else ''}, ledger of {tenant} ({removed:,} files)")


def _typical_event_size(folder: Path, tenant: str) -> int:
    """Mean size of the envelopes the import publishes, from the first channel's first day files."""
    from shared.slack import message_posted, reaction_changed

    sizes = []
    for day_file in sorted((folder / "channel-0").glob("*.json"))[:20]:
        for m in json.loads(day_file.read_text()):
            sizes.append(len(message_posted(m, tenant=tenant, channel_id="C00000000", source="oco/importer").to_bytes()))
            for r in m.get("reactions", []):
                event = reaction_changed(added=True, tenant=tenant, user_id=r["users"][0], channel_id="C00000000",
                                         message_ts=m["ts"], reaction=r["name"], message_author_id=m["user"], source="oco/importer")
                sizes += [len(event.to_bytes())] * len(r["users"])
    return round(sum(sizes) / len(sizes))


def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*.json")) / 1e6


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated export")
    parser.add_argument("--workers", type=int, help="translation worker processes (default: the importer's setting)")
    args = parser.parse_args()
    logging.getLogger("aiokafka").setLevel(logging.ERROR)  # leader elections of the new topic are retried
    asyncio.run(main(args.messages, args.keep, args.workers))
