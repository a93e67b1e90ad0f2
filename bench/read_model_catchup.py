"""How fast the read models catch up with a city's history: dashboard and projects (reactions).

    python -m bench.read_model_catchup [--reactions 12000] [--messages 4000] [--max-seconds 300]
                                       [--source oco/gateway]

1. A fresh tenant, consumer-group prefix and database prefix. The services' consumer groups
   (and a bare one for the baseline) are committed at the topics' current end first: the
   shared broker holds a long history that `earliest` would replay.
2. Publishes `--messages` `activity.message_posted` (some of them thread replies) and
   `--reactions` `activity.reaction_added` for the tenant, as the gateway would (`--source
   oco/importer` makes them look imported, which projects skips outright).
3. Baseline: a bare aiokafka consumer reads the same records (no parsing, no store).
4. Starts the dashboard and projects as processes (`oco run`). Each consumer group's progress
   is its committed offsets (commits follow handling): events/second is measured from the
   first commit seen to the last record, so process start-up and group joins don't count.
5. Checks that the dashboard's read model holds every message and reaction, prints the rates
   beside the baseline and the target (500 events/s), and drops the run's databases.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from bench.common import (Proc, consumer_groups, event_producer, free_port, kafka_bootstrap, mongo_url,
                          pin_groups_at_end, send_event, wait_http_ok)
from shared import slack, topics

TARGET = 500.0
SERVICES = {"dashboard": ["OCO_DASHBOARD_PORT"], "projects": ["OCO_PROJECTS_PORT", "OCO_PORT"]}
MEASURED = (topics.MESSAGE_POSTED.name, topics.REACTION_ADDED.name)
EMOJI = ["+1"] * 4 + ["heart", "tada", "eyes", "pray", "clap", "joy"]


@dataclass
class History:
    """What was published for the tenant."""

    tenant: str
    messages: int
    reactions: int
    seconds: float

    @property
    def total(self) -> int:
        return self.messages + self.reactions


def city_history(tenant: str, *, messages: int, reactions: int, source: str, seed: int = 7) -> list:
    """Messages in a few channels (a third are thread replies) and reactions on them."""
    rng = random.Random(seed)
    channels = [f"CB{n:08d}" for n in range(8)]
    users = [f"UB{n:08d}" for n in range(1400)]
    start = datetime(2024, 4, 1, tzinfo=UTC)
    posted, events = [], []
    for n in range(messages):
        channel, user = rng.choice(channels), rng.choice(users)
        ts = f"{(start + timedelta(minutes=3 * n)).timestamp():.6f}"
        parent = rng.choice(posted[-50:]) if posted and n % 3 == 0 else None
        body = {"type": "message", "user": user, "ts": ts, "text": "x" * 20}
        if parent and parent[0] == channel:
            body["thread_ts"] = parent[1]
        events.append(slack.message_posted(body, tenant=tenant, channel_id=channel, source=source))
        posted.append((channel, ts, user))
    for n in range(reactions):
        channel, ts, author = rng.choice(posted)
        reacted = f"{float(ts) + 60 + n % 600:.6f}"
        events.append(slack.reaction_changed(
            added=True, tenant=tenant, user_id=rng.choice(users), channel_id=channel, message_ts=ts,
            reaction=rng.choice(EMOJI), message_author_id=author, event_ts=reacted, source=source))
    return events


async def publish(events: list) -> float:
    """Publish and wait for every acknowledgement; seconds it took."""
    started = time.perf_counter()
    async with event_producer() as producer:
        pending = [await send_event(producer, event) for event in events]
        await asyncio.gather(*pending)
    return time.perf_counter() - started


async def end_offsets() -> dict:
    """Each measured partition's end, right after publishing."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap())
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        parts = [TopicPartition(name, p) for name in MEASURED for p in sorted(consumer.partitions_for_topic(name) or ())]
        return await consumer.end_offsets(parts)
    finally:
        await consumer.stop()


async def bare_consumer_rate(group: str, ends: dict) -> tuple[float, int]:
    """A plain aiokafka consumer in `group` (pinned before publishing) reads up to `ends`."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap(), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(ends))
        remaining = {tp: end for tp, end in ends.items() if await consumer.position(tp) < end}
        count, started = 0, time.perf_counter()
        while remaining:
            for tp, records in (await consumer.getmany(timeout_ms=500, max_records=2000)).items():
                count += len(records)
                if records and records[-1].offset + 1 >= remaining.get(tp, 0):
                    remaining.pop(tp, None)
        return count / (time.perf_counter() - started), count
    finally:
        await consumer.stop()


async def committed(admin: AIOKafkaAdminClient, group: str, ends: dict) -> int:
    """How many records up to `ends` the group has left to handle."""
    offsets = await admin.list_consumer_group_offsets(group)
    left = 0
    for tp, end in ends.items():
        meta = offsets.get(tp)
        # Other sessions may publish meanwhile: past `end` is as good as at it.
        left += max(0, end - (meta.offset if meta is not None and meta.offset >= 0 else 0))
    return left


async def watch_catch_up(groups: dict[str, str], ends: dict, *, max_seconds: float) -> dict[str, tuple[float, int]]:
    """Poll each group's committed offsets: (events/s, records left). The clock of a group starts
    at the last poll before its first commit, so the rate is if anything on the low side."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap())
    await admin.start()
    own = {g: {tp: end for tp, end in ends.items() if tp.topic == topic} for g, topic in groups.items()}
    try:
        initial = {g: await committed(admin, g, own[g]) for g in groups}
        idle: dict[str, float] = {}  # the last poll that saw nothing handled yet
        last: dict[str, tuple[float, int]] = {}
        deadline = time.perf_counter() + max_seconds
        while time.perf_counter() < deadline:
            for g in groups:
                if g in last and last[g][1] == 0:
                    continue
                left, now = await committed(admin, g, own[g]), time.perf_counter()
                if left == initial[g]:
                    idle[g] = now
                last[g] = (now, left)
            if all(last[g][1] == 0 for g in groups):
                break
            await asyncio.sleep(0.1)
        rates = {}
        for g in groups:
            t1, left = last[g]
            t0 = idle.get(g, t1)
            rates[g] = ((initial[g] - left) / (t1 - t0) if t1 > t0 else float("nan"), left)
        return rates
    finally:
        await admin.close()


async def read_model_counts(db_prefix: str, tenant: str) -> tuple[int, int]:
    client = AsyncMongoClient(mongo_url())
    try:
        db = client[f"{db_prefix}oco_dashboard"]
        return (await db["messages"].count_documents({"tenant": tenant}),
                await db["toggles"].count_documents({"tenant": tenant}))
    finally:
        await client.close()


async def drop_databases(db_prefix: str) -> None:
    client = AsyncMongoClient(mongo_url())
    try:
        for name in await client.list_database_names():
            if name.startswith(db_prefix):
                await client.drop_database(name)
    finally:
        await client.close()


def start_services(prefix: str, db_prefix: str, logs: Path) -> dict[str, tuple[Proc, int]]:
    import os

    started = {}
    for name, port_variables in SERVICES.items():
        port = free_port()
        env = {**os.environ, "OCO_KAFKA_BOOTSTRAP": kafka_bootstrap(), "OCO_MONGO_URL": mongo_url(),
               "OCO_CONSUMER_GROUP_PREFIX": prefix, "OCO_CONSUMER_OFFSET_RESET": "latest",
               "OCO_DATABASE_PREFIX": db_prefix, "OCO_SERVICE_URLS": "{}", "PYTHONUNBUFFERED": "1",
               "OCO_LOG_LEVEL": "WARNING", **{variable: str(port) for variable in port_variables}}
        started[name] = (Proc(name, ["-m", "oco.cli", "run", name], env, logs / f"{name}.log").start(), port)
    return started


async def run(args: argparse.Namespace) -> None:
    run_id = uuid.uuid4().hex[:8]
    prefix, db_prefix, tenant = f"bench-catchup-{run_id}", f"bcatch{run_id}_", f"TBENCH{run_id.upper()}"
    logs = Path(tempfile.mkdtemp(prefix="oco-bench-catchup-"))
    every = [pair for name in SERVICES for pair in await consumer_groups(name, prefix)]
    groups = {g: t for g, t in every if t in MEASURED}
    bare = f"{prefix}-bare"
    # Every group the services start with, so none of them replays the broker's history.
    await pin_groups_at_end([*every, *((bare, t) for t in MEASURED)])
    events = city_history(tenant, messages=args.messages, reactions=args.reactions, source=args.source)
    history = History(tenant, args.messages, args.reactions, await publish(events))
    ends = await end_offsets()
    print(f"published {history.total} events for {tenant} in {history.seconds:.1f}s "
          f"({history.total / history.seconds:.0f}/s), source {args.source}")
    bare_rate, bare_count = await bare_consumer_rate(bare, ends)
    print(f"baseline: bare aiokafka consumer read {bare_count} records at {bare_rate:.0f}/s")
    # Watching starts before the services do: a fast service may be done before it says it is up.
    watching = asyncio.create_task(watch_catch_up(groups, ends, max_seconds=args.max_seconds))
    procs = start_services(prefix, db_prefix, logs)
    try:
        for name, (proc, port) in procs.items():
            await wait_http_ok(f"http://127.0.0.1:{port}/healthz", proc=proc)
        rates = await watching
        for group, (rate, left) in rates.items():
            status = "caught up" if left == 0 else f"{left} records still to handle after {args.max_seconds:.0f}s"
            verdict = "meets" if rate >= TARGET else "below"
            print(f"{group.removeprefix(prefix + '-')}: {rate:.0f} events/s ({status}); "
                  f"{100 * rate / bare_rate:.1f}% of the bare consumer's rate; {verdict} the {TARGET:.0f}/s target")
        messages, reactions = await read_model_counts(db_prefix, tenant)
        print(f"dashboard read model: {messages}/{history.messages} messages, {reactions}/{history.reactions} reactions")
    finally:
        watching.cancel()
        for proc, _ in procs.values():
            proc.stop()
        await drop_databases(db_prefix)
    print(f"logs in {logs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reactions", type=int, default=12000)
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--source", default="oco/gateway", help="oco/gateway (live) or oco/importer (imported)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
