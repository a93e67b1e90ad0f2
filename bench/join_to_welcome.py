"""Join → welcome DM latency through the whole product, beside a bare Kafka round trip.

    python -m bench.join_to_welcome [--rate 50] [--seconds 30] [--quick]

1. Starts the Slack stand-in, the gateway, onboarding and the notifier as processes (their
   consumer groups new and pinned at the topics' end), and warms the path up with a few joins.
2. Baseline: a bare aiokafka producer (acks=all, idempotent, linger 2 ms, as the services'
   producers) sends at the same rate to a throwaway topic shaped like `resident.joined`;
   a bare consumer in the same process times each record's arrival: what one hop over
   the bus costs on this broker.
3. Sends signed `team_join` callbacks to the gateway at the rate (open loop), one new user
   each under a throwaway team id. Latency of a join = the time the stand-in recorded the
   welcome `chat.postMessage` (found by its delivery key `<Slack event id>/welcome_dm`)
   minus the time the request was sent; both clocks are this machine's wall clock.
4. Prints p50/p99/max for both, welcome DMs found, the ratio (join p99 / bus p99) and the
   target (p99 under 500 ms at 50 joins/s).

`run_joins` is reused by `bench.service_memory` to hold the services under load.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from dataclasses import dataclass, field

import aiohttp
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.common import (Fleet, delivery_key, kafka_bootstrap, open_loop, percentile, run, standin_calls,
                          throwaway_topics)
from tests import slack_signing

TARGET_P99_MS = 500.0
TARGET_RATE = 50.0
SERVICES = ["gateway", "onboarding", "notifier"]


@dataclass
class Joins:
    """Joins sent through the gateway: when each was sent, how the gateway answered."""

    team_id: str
    sent_at: dict[str, float] = field(default_factory=dict)  # Slack event id → wall-clock send time
    refused: dict[str, int] = field(default_factory=dict)
    sent_rate: float = 0.0

    def arrivals(self, posts: list[dict]) -> dict[str, float]:
        """When the stand-in recorded each join's welcome post (the first, if there were more)."""
        arrived: dict[str, float] = {}
        for call in posts:
            event_id, _, step = (delivery_key(call) or "").rpartition("/")
            if step == "welcome_dm" and event_id in self.sent_at and call.get("ok"):
                arrived.setdefault(event_id, call["at"])
        return arrived

    def latencies(self, posts: list[dict]) -> list[float]:
        """Seconds from sending each join to the stand-in's record of its welcome post."""
        return [at - self.sent_at[e] for e, at in self.arrivals(posts).items()]


async def run_joins(fleet: Fleet, joins: Joins, *, rate: float, count: int, first: int = 0) -> None:
    """Send `count` signed team_join callbacks to the gateway at `rate`, open loop."""
    url = f"{fleet.url('gateway')}/slack/events"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:

        async def send(i: int) -> None:
            n = first + i
            event_id = f"EvJ{uuid.uuid4().hex[:16].upper()}"
            user = f"UJ{joins.team_id[-6:]}{n:06d}"
            body = slack_signing.event_callback(
                slack_signing.team_join_event(user, team_id=joins.team_id, display_name=f"Newcomer {n}"),
                team_id=joins.team_id, event_id=event_id)
            headers = slack_signing.signed_headers(body, fleet.signing_secret)
            joins.sent_at[event_id] = time.time()
            try:
                async with http.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        joins.refused[f"http_{response.status}"] = joins.refused.get(f"http_{response.status}", 0) + 1
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                joins.refused[type(exc).__name__] = joins.refused.get(type(exc).__name__, 0) + 1

        joins.sent_rate = await open_loop(rate, count, send)


async def wait_for_welcomes(fleet: Fleet, joins: Joins, *, stall: float, limit: float = 900) -> list[dict]:
    """The stand-in's chat.postMessage calls once every join has its welcome, or once no new
    welcome came for `stall` seconds (or `limit` seconds passed)."""
    started = last_progress = time.monotonic()
    seen = -1
    while True:
        posts = await standin_calls(fleet.standin_url, "chat.postMessage")
        welcomed = len(joins.latencies(posts))
        if welcomed > seen:
            seen, last_progress = welcomed, time.monotonic()
        now = time.monotonic()
        if welcomed >= len(joins.sent_at) or now - last_progress > stall or now - started > limit:
            return posts
        await asyncio.sleep(2.0)


async def bus_round_trip(*, rate: float, count: int) -> list[float]:
    """Seconds from send to consumption of `count` records at `rate`, on a throwaway topic."""
    topic = f"bench.join-baseline-{uuid.uuid4().hex[:8]}"
    async with throwaway_topics({topic: 6}):
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap(), acks="all", enable_idempotence=True, linger_ms=2)
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka_bootstrap(), auto_offset_reset="earliest",
                                    enable_auto_commit=False)
        await producer.start()
        await consumer.start()
        try:
            await producer.partitions_for(topic)
            sent: dict[int, float] = {}
            latencies: list[float] = []

            async def consume() -> None:
                while len(latencies) < count:
                    async for record in consumer:
                        latencies.append(time.perf_counter() - sent[int(record.value)])
                        if len(latencies) >= count:
                            return

            reader = asyncio.create_task(consume())
            await asyncio.sleep(1.0)  # let the consumer take its partitions

            async def send(i: int) -> None:
                sent[i] = time.perf_counter()
                await producer.send_and_wait(topic, str(i).encode(), key=f"U{i:08d}".encode())

            await open_loop(rate, count, send)
            await asyncio.wait_for(reader, 60)
            return latencies
        finally:
            await consumer.stop()
            await producer.stop()


def report(label: str, latencies: list[float], expected: int, extra: str = "") -> float:
    ms = [v * 1000 for v in latencies]
    p99 = percentile(ms, 99)
    print(f"  {label:<22} n={len(ms)}/{expected} p50={percentile(ms, 50):7.1f}ms p99={p99:7.1f}ms "
          f"max={max(ms, default=float('nan')):7.1f}ms {extra}")
    return p99


async def main(rate: float, seconds: float, keep: bool, private_store: bool) -> None:
    count = max(1, int(rate * seconds))
    warm = Joins(team_id=f"TJW{uuid.uuid4().hex[:7].upper()}")
    joins = Joins(team_id=f"TJ{uuid.uuid4().hex[:8].upper()}")
    async with Fleet(SERVICES, tag="join", private_store=private_store, keep=keep) as fleet:
        print(fleet.describe())
        await run_joins(fleet, warm, rate=5, count=10)
        await wait_for_welcomes(fleet, warm, stall=60)
        baseline = await bus_round_trip(rate=rate, count=count)
        await run_joins(fleet, joins, rate=rate, count=count)
        posts = await wait_for_welcomes(fleet, joins, stall=30)
        summarise(joins, posts, baseline, rate=rate, seconds=seconds, count=count)
        print(fleet.memory_line())


def summarise(joins: Joins, posts: list[dict], baseline: list[float], *, rate: float, seconds: float, count: int) -> None:
    latencies = joins.latencies(posts)
    print(f"\nteam_join → welcome DM at {rate:.0f} joins/s for {seconds:.0f}s (sent {joins.sent_rate:.1f}/s), "
          f"team {joins.team_id}")
    bus_p99 = report("bus round trip (base)", baseline, count)
    join_p99 = report("join → welcome DM", latencies, count, f"gateway refusals {joins.refused or 0}")
    if latencies:
        span = max(joins.arrivals(posts).values()) - min(joins.sent_at.values())
        print(f"  welcomes completed at {len(latencies) / max(span, 1e-9):.1f}/s on average (joins sent at {joins.sent_rate:.1f}/s)")
    if len(latencies) < count:
        print(f"  {count - len(latencies)} joins got no welcome before progress stalled: their latency is not in the figures")
    print(f"ratio join p99 / bus round-trip p99: {join_p99 / bus_p99:.2f}×")
    complete = len(latencies) == count and not joins.refused
    verdict = "MET" if join_p99 < TARGET_P99_MS and complete else "NOT MET"
    if rate < TARGET_RATE:
        verdict += f" at this rate (the target is for {TARGET_RATE:.0f} joins/s)"
    print(f"target: p99 under {TARGET_P99_MS:.0f} ms at 50 joins/s → p99 {join_p99:.1f} ms at {rate:.0f}/s, "
          f"{len(latencies)}/{count} welcomed: {verdict}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50, help="joins per second (default 50)")
    parser.add_argument("--seconds", type=float, default=30, help="seconds of joins (default 30)")
    parser.add_argument("--quick", action="store_true", help="a short smoke run: 5 s at the rate")
    parser.add_argument("--keep", action="store_true", help="keep this run's databases (bench_join_<run>_oco_*)")
    parser.add_argument("--private-store", action="store_true",
                        help="a FerretDB process of this run alone instead of the one at OCO_MONGO_URL")
    args = parser.parse_args()
    run(main(args.rate, 5 if args.quick else args.seconds, args.keep, args.private_store))
