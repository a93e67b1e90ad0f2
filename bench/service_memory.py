"""Resident memory of every service after a steady load, beside an idle Python that imports
the same libraries.

    python -m bench.service_memory [--rate 30] [--seconds 20] [--settle 10] [--quick]

1. Baseline: an idle Python process that imports what the services are built on
   (faststream + aiokafka, pymongo, slack_sdk + slack_bolt, starlette + uvicorn, pydantic,
   prometheus_client) and nothing of the product; its VmRSS once the imports are done.
2. Starts the Slack stand-in and every service (gateway, onboarding, roles, projects,
   notifier, dashboard) as processes, and reads each one's VmRSS once it is ready.
3. Load: signed Events API callbacks to the gateway at `--rate` for `--seconds` (a third
   each of team_join, message, reaction_added) and, for every joined person, a
   `resident.profile_submitted` published straight to Kafka, so onboarding, roles, the
   notifier and the dashboard all work. VmRSS is sampled every 2 s.
4. After `--settle` seconds without new load, reads VmRSS (steady state) and VmHWM (peak).
5. Prints a table: idle / sampled peak / steady / VmHWM per service, the ratio steady /
   baseline, and the target (each service under 150 MB resident at steady state).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
import uuid

from bench.common import Fleet, event_producer, rss_mb, run, send_event
from bench.gateway_ack import drive
from shared import topics
from shared.envelope import new_event
from shared.events import ResidentProfileSubmitted

TARGET_MB = 150.0
SERVICES = ["gateway", "onboarding", "roles", "projects", "notifier", "dashboard"]
LIBRARIES = ["faststream", "faststream.kafka", "aiokafka", "pymongo", "slack_sdk", "slack_sdk.web.async_client",
             "slack_bolt", "slack_bolt.async_app", "starlette.applications", "uvicorn", "pydantic",
             "pydantic_settings", "prometheus_client", "aiohttp", "httpx"]
CATEGORIES = ["citizen", "prospective_migrant", "remote_citizen"]


def idle_python(imports: list[str]) -> float:
    """VmRSS (MB) of a Python process that imported `imports` and then waits."""
    code = "".join(f"import {name}\n" for name in imports) + "import sys, time\nprint('ready', flush=True)\ntime.sleep(300)\n"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        proc.stdout.readline()
        time.sleep(0.5)
        return rss_mb(proc.pid)
    finally:
        proc.kill()
        proc.wait()


async def profiles(team_id: str, count: int, rate: float) -> None:
    """A profile for every third person (the team_join ones of `gateway_ack.event_bodies`)."""
    async with event_producer() as producer:
        futures = []
        for n in range(0, count, 3):
            data = ResidentProfileSubmitted(user_id=f"UB{n:08d}", category=CATEGORIES[n % 3], display_name=f"Bench {n}",
                                            interests=["moving", "photos"], consent=True)
            event = new_event(type=topics.RESIDENT_PROFILE_SUBMITTED.name, subject=data.user_id, tenant=team_id,
                              data=data, source="oco/bench")
            futures.append(await send_event(producer, event))
            await asyncio.sleep(3 / rate)
        await asyncio.gather(*futures)


async def sample(fleet: Fleet, peaks: dict[str, float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for name in SERVICES:
            peaks[name] = max(peaks.get(name, 0.0), rss_mb(fleet.procs[name].pid))
        try:
            await asyncio.wait_for(stop.wait(), 2.0)
        except asyncio.TimeoutError:
            pass


async def load(fleet: Fleet, team_id: str, *, rate: float, seconds: float, peaks: dict[str, float]) -> None:
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample(fleet, peaks, stop))
    gateway = fleet.procs["gateway"].pid
    run, _ = await asyncio.gather(
        drive(f"{fleet.url('gateway')}/slack/events", fleet.signing_secret, rate=rate, seconds=seconds,
              team_id=team_id, label="load", pid=gateway),
        profiles(team_id, int(rate * seconds), rate),
    )
    print(f"load: {run.line()}")
    stop.set()
    await sampler


async def main(rate: float, seconds: float, settle: float, keep: bool, private_store: bool) -> None:
    baseline = idle_python(LIBRARIES)
    bare = idle_python([])
    team_id = f"TM{uuid.uuid4().hex[:8].upper()}"
    async with Fleet(SERVICES, tag="mem", private_store=private_store, keep=keep) as fleet:
        print(fleet.describe())
        idle = {name: rss_mb(fleet.procs[name].pid) for name in SERVICES}
        peaks: dict[str, float] = {}
        await load(fleet, team_id, rate=rate, seconds=seconds, peaks=peaks)
        await asyncio.sleep(settle)
        steady = {name: rss_mb(fleet.procs[name].pid) for name in SERVICES}
        hwm = {name: rss_mb(fleet.procs[name].pid, "VmHWM") for name in SERVICES}
        report(idle, peaks, steady, hwm, baseline=baseline, bare=bare, rate=rate, seconds=seconds, settle=settle)


def report(idle, peaks, steady, hwm, *, baseline: float, bare: float, rate: float, seconds: float, settle: float) -> None:
    print(f"\nresident memory (VmRSS, MB) after {seconds:.0f}s of load at {rate:.0f} requests/s and {settle:.0f}s settling")
    print(f"  baseline: idle Python importing the same libraries {baseline:.1f} MB (bare Python {bare:.1f} MB)")
    print(f"  {'service':<11} {'idle':>7} {'peak':>7} {'steady':>7} {'VmHWM':>7} {'steady/base':>12}  target <{TARGET_MB:.0f} MB")
    for name in SERVICES:
        verdict = "MET" if steady[name] < TARGET_MB else "NOT MET"
        print(f"  {name:<11} {idle[name]:7.1f} {peaks.get(name, 0):7.1f} {steady[name]:7.1f} {hwm[name]:7.1f} "
              f"{steady[name] / baseline:11.2f}×  {verdict}")
    worst = max(steady, key=steady.get)
    print(f"target: each service under {TARGET_MB:.0f} MB at steady state → largest {worst} {steady[worst]:.1f} MB: "
          f"{'MET' if steady[worst] < TARGET_MB else 'NOT MET'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=30, help="gateway requests per second during the load (default 30)")
    parser.add_argument("--seconds", type=float, default=20, help="seconds of load (default 20)")
    parser.add_argument("--settle", type=float, default=10, help="seconds between the load and the reading (default 10)")
    parser.add_argument("--quick", action="store_true", help="a short smoke run: 5 s of load, 3 s settling")
    parser.add_argument("--keep", action="store_true", help="keep this run's databases (bench_mem_<run>_oco_*)")
    parser.add_argument("--private-store", action="store_true",
                        help="a FerretDB process of this run alone instead of the one at OCO_MONGO_URL")
    args = parser.parse_args()
    run(main(args.rate, 5 if args.quick else args.seconds, 3 if args.quick else args.settle, args.keep, args.private_store))
