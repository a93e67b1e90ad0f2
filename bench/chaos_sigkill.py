"""SIGKILL services while 10,000 events flow; afterwards nothing is lost or done twice.

    python -m bench.chaos_sigkill [--events 10000] [--victim each|onboarding|notifier|roles]
                                  [--kills 6] [--kill-every 25] [--rate 200] [--private-store] [--quick]

1. Starts the Slack stand-in, onboarding, the notifier and roles as processes (consumer
   groups new and pinned at the topics' end, so a restart resumes where it committed).
2. Baseline phase: publishes `--events` events straight to Kafka at `--rate` — for each of
   events/2 new people a `resident.joined` and a `resident.profile_submitted` (a category
   each) — and times how long the services take to drain them: every person onboarded,
   two DMs each delivered (welcome, resident welcome), a category grant each, every
   consumer group caught up. No kills.
3. Chaos phase: the same with new people, while the victim (`--victim`; by default each
   service in turn) is SIGKILLed `--kills` times, about every `--kill-every` seconds, and
   restarted each time.
4. Checks both phases: every person registered and onboarded (onboarding's store); exactly
   one welcome `chat.postMessage` and two DM posts per person at the stand-in; exactly one
   category grant per person, active and in the record (roles' store); nothing of the
   run's tenant in the dead-letter topics. Prints counts and PASS/FAIL per check, and the
   drain times side by side.

The services keep their data in databases of this run alone (`bench_chaos_<run>_oco_*` on
OCO_MONGO_URL, dropped afterwards unless `--keep`): every session's services read these
topics, and two notifiers on one database would race for each delivery claim, so another
session could post one of our welcomes to its own Slack. `--private-store` runs a FerretDB
process of this run alone instead. Progress is followed on Kafka, not in the stores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from pymongo import AsyncMongoClient


from aiokafka.admin import AIOKafkaAdminClient

from bench.common import (Fleet, delivery_key, event_producer, kafka_bootstrap, partitions, run, send_event,
                          standin_calls)
from shared import topics
from shared.envelope import CloudEvent, derive_id, new_event
from shared.events import ResidentJoined, ResidentProfileSubmitted

VICTIMS = ["onboarding", "notifier", "roles"]
CATEGORIES = ["citizen", "prospective_migrant", "remote_citizen"]


@dataclass
class Phase:
    """One phase's people, the ids of their events, and what happened during it."""

    label: str
    tenant: str
    joined: dict[str, str] = field(default_factory=dict)     # user id → resident.joined id
    category: dict[str, str] = field(default_factory=dict)   # user id → the category they chose
    onboarded: dict[str, str] = field(default_factory=dict)  # user id → resident.onboarded id (derived)
    kills: list[str] = field(default_factory=list)
    published_in: float = 0.0
    drained_in: float | None = None
    last_progress: dict[str, int] = field(default_factory=dict)
    done_at: dict[str, float] = field(default_factory=dict)  # seconds until each count was complete

    @property
    def users(self) -> list[str]:
        return list(self.joined)


def make_events(phase: Phase, people: int) -> list[CloudEvent]:
    """A join and a profile per person, in that order; remembers the ids checks need."""
    events = []
    for n in range(people):
        user = f"UK{phase.tenant[-6:]}{n:06d}"
        joined = new_event(type=topics.RESIDENT_JOINED.name, subject=user, tenant=phase.tenant, source="oco/bench",
                           data=ResidentJoined(user_id=user, display_name=f"Chaos {n}", locale="ja-JP", via="slack"))
        profile = new_event(type=topics.RESIDENT_PROFILE_SUBMITTED.name, subject=user, tenant=phase.tenant,
                            source="oco/bench", data=ResidentProfileSubmitted(
                                user_id=user, category=CATEGORIES[n % 3], display_name=f"Chaos {n}", consent=True))
        phase.joined[user] = joined.id
        phase.category[user] = CATEGORIES[n % 3]
        phase.onboarded[user] = derive_id(profile.id, "onboarded")  # onboarding's id for what it emits
        events += [joined, profile]
    return events


async def publish(events: list[CloudEvent], rate: float) -> float:
    """Publish at `rate` per second; seconds until Kafka acknowledged the last one."""
    started = time.perf_counter()
    async with event_producer() as producer:
        futures = []
        for i, event in enumerate(events):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            futures.append(await send_event(producer, event))
        await asyncio.gather(*futures)
    return time.perf_counter() - started


class TenantTrail:
    """Follows the services' topics from a phase's start: what the services announced for the
    phase's tenant (people onboarded, grants, DMs delivered) and the last offset of the
    tenant on each input partition — a group has caught up with the phase once it committed
    past those. Progress comes from Kafka, not from the stores: counting in FerretDB scans
    whole collections, and polling it would slow the very services being measured.
    (Other sessions publish on these topics too; their records are counted, not waited for.)"""

    def __init__(self, groups: list[tuple[str, str]], tenant: str) -> None:
        self.groups, self.tenant = groups, tenant
        self.last: dict[TopicPartition, int] = {}
        self.records = self.ours = 0
        self.onboarded: set[str] = set()
        self.granted: set[str] = set()
        self.delivered: set[str] = set()  # delivery keys of chat.postMessage
        self.reader = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap(), enable_auto_commit=False)
        self.admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap(), client_id="oco-bench")

    async def start(self) -> None:
        await self.reader.start()
        await self.admin.start()
        followed = sorted({topic for _, topic in self.groups} | {topics.NOTIFICATION_DELIVERED.name})
        parts = [tp for topic in followed for tp in await partitions(self.reader, topic)]
        self.reader.assign(parts)
        await self.reader.seek_to_end(*parts)
        for tp in parts:
            await self.reader.position(tp)

    async def stop(self) -> None:
        await self.reader.stop()
        await self.admin.close()

    async def read(self) -> None:
        """Take in what was published since the last call."""
        while batch := await self.reader.getmany(timeout_ms=200, max_records=5000):
            for tp, records in batch.items():
                for record in records:
                    self.records += 1
                    if self.tenant.encode() in (record.value or b"") and _tenant(record.value) == self.tenant:
                        self.ours += 1
                        self.last[tp] = record.offset
                        self._note(json.loads(record.value))

    def _note(self, event: dict) -> None:
        data = event.get("data") or {}
        if event.get("type") == topics.RESIDENT_ONBOARDED.name:
            self.onboarded.add(data.get("user_id"))
        elif event.get("type") == topics.ROLE_GRANTED.name:
            self.granted.add(data.get("user_id"))
        elif event.get("type") == topics.NOTIFICATION_DELIVERED.name and data.get("method") == "chat.postMessage":
            self.delivered.add(data.get("delivery_key"))

    async def progress(self) -> dict[str, int]:
        await self.read()
        return {"onboarded": len(self.onboarded), "dms": len(self.delivered), "grants": len(self.granted),
                "behind": await self.behind()}

    async def behind(self) -> int:
        """(group, partition) pairs not yet committed past the tenant's last record there."""
        count = 0
        for group, topic in self.groups:
            mine = {tp: offset for tp, offset in self.last.items() if tp.topic == topic}
            if mine:
                committed = await self.admin.list_consumer_group_offsets(group, partitions=list(mine))
                count += sum(1 for tp, offset in mine.items() if tp not in committed or committed[tp].offset <= offset)
        return count


async def wait_drained(phase: Phase, trail: TenantTrail, *, started: float, stall: float) -> None:
    """Until every person is through and every group is past the tenant's records, or
    nothing moved for `stall` seconds."""
    people = len(phase.users)
    expected = {"onboarded": people, "dms": 2 * people, "grants": people, "behind": 0}
    moved_at, last = time.monotonic(), None
    while True:
        now = await trail.progress()
        for name, count in now.items():
            if count == expected[name] and name != "behind":
                phase.done_at.setdefault(name, time.perf_counter() - started)
        if now != last:
            moved_at, last = time.monotonic(), now
            phase.last_progress = now
        if now == expected:
            phase.drained_in = time.perf_counter() - started
            return
        if time.monotonic() - moved_at > stall:
            print(f"  {phase.label}: no progress for {stall:.0f}s at {now} (expected {expected})")
            return
        await asyncio.sleep(3.0)


async def kill_now_and_then(fleet: Fleet, phase: Phase, victims: list[str], *, kills: int, every: float,
                            rng: random.Random, done: asyncio.Event) -> None:
    """SIGKILL the victims in turn about every `every` seconds, restarting each at once."""
    for k in range(kills):
        try:
            await asyncio.wait_for(done.wait(), every * rng.uniform(0.5, 1.5))
            return  # drained before this kill: the remaining ones would test nothing
        except asyncio.TimeoutError:
            pass
        victim = victims[k % len(victims)]
        fleet.procs[victim].kill()
        phase.kills.append(victim)
        print(f"  {phase.label}: SIGKILL {victim} ({len(phase.kills)}/{kills}), restarting", flush=True)
        await fleet.restart(victim)


async def run_phase(fleet: Fleet, phase: Phase, *, events: int, rate: float,
                    victims: list[str], kills: int, every: float, stall: float, seed: int) -> None:
    batch = make_events(phase, events // 2)
    trail = TenantTrail(fleet.groups, phase.tenant)
    try:
        await trail.start()
        started = time.perf_counter()
        done = asyncio.Event()
        killer = asyncio.create_task(kill_now_and_then(fleet, phase, victims, kills=kills, every=every,
                                                       rng=random.Random(seed), done=done))
        phase.published_in = await publish(batch, rate)
        print(f"  {phase.label}: {len(batch)} events published in {phase.published_in:.1f}s", flush=True)
        await wait_drained(phase, trail, started=started, stall=stall)
        steps = ", ".join(f"{name} complete at {at:.0f}s" for name, at in sorted(phase.done_at.items(), key=lambda i: i[1]))
        print(f"  {phase.label}: " + (f"drained {phase.drained_in:.1f}s after the first event" if phase.drained_in
                                       else "did not drain") + f" ({steps})", flush=True)
        done.set()
        await killer
        await asyncio.sleep(5)  # let a late redelivery show itself before counting
        await trail.read()
        print(f"  {phase.label}: the services' input topics carried {trail.records} records meanwhile, "
              f"{trail.ours} of them this phase's", flush=True)
    finally:
        await trail.stop()


async def main(args: argparse.Namespace) -> bool:
    victims = VICTIMS if args.victim == "each" else [args.victim]
    phases = [Phase("baseline", f"TK{uuid.uuid4().hex[:8].upper()}"), Phase("chaos", f"TK{uuid.uuid4().hex[:8].upper()}")]
    async with Fleet(VICTIMS, tag="chaos", private_store=args.private_store, keep=args.keep) as fleet:
        print(fleet.describe(), flush=True)
        store = AsyncMongoClient(fleet.mongo_url, tz_aware=True)
        dlq_from = await dead_letter_ends(fleet)
        try:
            for phase, kills in zip(phases, [0, args.kills]):
                print(f"{phase.label}: {args.events} events, tenant {phase.tenant}, "
                      f"{kills} kills of {'/'.join(victims) if kills else '-'}", flush=True)
                await run_phase(fleet, phase, events=args.events, rate=args.rate, victims=victims, kills=kills,
                                every=args.kill_every, stall=args.stall, seed=args.seed)
            posts = [c for c in await standin_calls(fleet.standin_url, "chat.postMessage") if c.get("ok")]
            dead = await dead_letters(dlq_from)
            results = [await verify(phase, Stores(store, fleet), posts, dead) for phase in phases]
        finally:
            await store.close()
    summarise(phases, results)
    return all(results)


# --- checks ------------------------------------------------------------------------------


def check(name: str, ok: bool, detail: str) -> bool:
    print(f"  {'PASS' if ok else 'FAIL'}  {name}: {detail}")
    return ok


@dataclass
class Stores:
    """The run's databases of each service."""

    client: AsyncMongoClient
    fleet: Fleet

    def __getitem__(self, service: str):
        return self.client[self.fleet.database(service)]


async def verify(phase: Phase, store: Stores, posts: list[dict], dead: Counter) -> bool:
    """Every check of one phase, printed; True when all pass."""
    n = len(phase.users)
    print(f"\n{phase.label} (tenant {phase.tenant}, {n} people, {2 * n} events, kills: {', '.join(phase.kills) or 'none'})")
    results = [
        *await check_onboarding(phase, store),
        *check_dms(phase, posts),
        *await check_grants(phase, store),
        check("nothing dead-lettered", dead[phase.tenant] == 0, f"{dead[phase.tenant]} records of the tenant in DLQs"),
    ]
    return all(results)


async def check_onboarding(phase: Phase, store: Stores) -> list[bool]:
    status = {d["user_id"]: d.get("status") async for d in store["onboarding"]["residents"].find({"tenant": phase.tenant})}
    n = len(phase.users)
    registered = sum(1 for u in phase.users if u in status)
    onboarded = sum(1 for u in phase.users if status.get(u) == "onboarded")
    odd = ", ".join([f"{u}: {status.get(u)}" for u in phase.users if status.get(u) != "onboarded"][:5])
    return [check("every person registered (onboarding store)", registered == n, f"{registered}/{n}"),
            check("every person onboarded (onboarding store)", onboarded == n,
                  f"{onboarded}/{n}" + (f" (status of the others: {odd})" if odd else ""))]


def check_dms(phase: Phase, posts: list[dict]) -> list[bool]:
    keys = Counter(delivery_key(c) for c in posts)
    welcome_key = {u: f"{phase.joined[u]}/welcome_dm" for u in phase.users}
    welcomes = Counter({u: keys[welcome_key[u]] for u in phase.users})
    person_of = {k: u for u, k in welcome_key.items()}
    channel_of = {c["args"].get("channel"): person_of[k] for c in posts if (k := delivery_key(c)) in person_of}
    per_person = Counter(channel_of[c["args"]["channel"]] for c in posts if c["args"].get("channel") in channel_of)
    lost = sum(1 for u in phase.users if welcomes[u] == 0)
    twice = sum(1 for u in phase.users if welcomes[u] > 1)
    not_two = sum(1 for u in phase.users if u in channel_of.values() and per_person[u] != 2)
    welcome_detail = f"{sum(1 for u in phase.users if welcomes[u] == 1)} once, {twice} more than once, {lost} missing"
    return [check("exactly one welcome chat.postMessage per person (stand-in)", twice == 0 and lost == 0, welcome_detail),
            check("exactly two DM posts per welcomed person (welcome + resident welcome)", not_two == 0,
                  f"{not_two} people with another number of posts in their DM")]


async def check_grants(phase: Phase, store: Stores) -> list[bool]:
    roles = store["roles"]
    active = [d async for d in roles["active_grants"].find({"tenant": phase.tenant})]
    recorded = Counter([d["user_id"] async for d in roles["grants"].find({"tenant": phase.tenant})])
    held = Counter(d["user_id"] for d in active)
    right = sum(1 for d in active if d.get("role") == phase.category.get(d["user_id"]))
    n = len(phase.users)
    once = sum(1 for u in phase.users if held[u] == 1)
    return [check("exactly one active category grant per person (roles store)", once == n and len(active) == n,
                  f"{once}/{n} with one, {sum(1 for u in phase.users if held[u] > 1)} with more, {right} of the chosen category"),
            check("no duplicate grant recorded (roles store)", all(recorded[u] == 1 for u in phase.users),
                  f"{sum(1 for u in phase.users if recorded[u] > 1)} people with more than one grant record, "
                  f"{sum(1 for u in phase.users if recorded[u] == 0)} with none")]


async def dead_letter_ends(fleet: Fleet) -> dict[TopicPartition, int]:
    """Where the dead-letter topics of the services' inputs end now."""
    dlqs = sorted({f"{topic}.dlq" for _, topic in fleet.groups})
    reader = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap(), enable_auto_commit=False)
    await reader.start()
    try:
        parts = [tp for topic in dlqs for tp in await partitions(reader, topic)]
        return await reader.end_offsets(parts)
    finally:
        await reader.stop()


async def dead_letters(since: dict[TopicPartition, int]) -> Counter:
    """Dead letters per tenant published since `since`."""
    reader = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap(), enable_auto_commit=False)
    await reader.start()
    tenants: Counter = Counter()
    try:
        reader.assign(list(since))
        ends = await reader.end_offsets(list(since))
        for tp, offset in since.items():
            reader.seek(tp, offset)
        while [tp for tp in since if await reader.position(tp) < ends[tp]]:
            for records in (await reader.getmany(timeout_ms=1000)).values():
                for record in records:
                    tenants[_tenant(record.value)] += 1
        return tenants
    finally:
        await reader.stop()


def _tenant(value: bytes | None) -> str | None:
    try:
        return json.loads(value or b"{}").get("tenant")
    except (ValueError, AttributeError, RecursionError):  # other sessions publish poison on purpose
        return None


def summarise(phases: list[Phase], results: list[bool]) -> None:
    base, chaos = phases
    timing = [f"{p.label} {p.drained_in:.1f}s" if p.drained_in else f"{p.label} did not drain" for p in phases]
    print(f"\ntime to drain (publish → every person through, every group caught up): {', '.join(timing)}")
    if base.drained_in and chaos.drained_in:
        print(f"ratio chaos / baseline: {chaos.drained_in / base.drained_in:.2f}× with {len(chaos.kills)} SIGKILLs "
              f"({', '.join(chaos.kills)})")
    verdicts = {p.label: "PASS" if ok else "FAIL" for p, ok in zip(phases, results)}
    print(f"target: SIGKILL during {len(chaos.users) * 2:,} events → nothing lost, no duplicate DM, no duplicate grant: "
          f"chaos phase {verdicts['chaos']} (baseline phase without kills: {verdicts['baseline']}"
          + ("; what fails there is not caused by the kills)" if not results[0] else ")"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000, help="events per phase (half joins, half profiles)")
    parser.add_argument("--victim", choices=["each", *VICTIMS], default="each", help="service to kill (default each in turn)")
    parser.add_argument("--kills", type=int, default=6, help="SIGKILLs in the chaos phase (default 6)")
    parser.add_argument("--kill-every", type=float, default=25, help="mean seconds between kills (default 25)")
    parser.add_argument("--rate", type=float, default=200, help="events published per second (default 200)")
    parser.add_argument("--stall", type=float, default=180, help="give up after this long without progress (default 180)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the kill timing")
    parser.add_argument("--private-store", action="store_true",
                        help="a FerretDB process of this run alone instead of the one at OCO_MONGO_URL")
    parser.add_argument("--keep", action="store_true", help="keep this run's databases (bench_chaos_<run>_oco_*)")
    parser.add_argument("--quick", action="store_true", help="a short smoke run: 1,000 events, 3 kills about every 10 s")
    args = parser.parse_args()
    if args.quick:
        args.events, args.kills, args.kill_every = 1_000, 3, 10
    raise SystemExit(0 if run(main(args)) else 1)
