"""Gateway acknowledgement latency under open-loop load, beside a bare Starlette endpoint.

    python -m bench.gateway_ack [--rate 200] [--seconds 30] [--quick]

1. Starts the Slack stand-in and the gateway (`python -m oco.cli run gateway`) as processes,
   and a bare Starlette + uvicorn endpoint (this module with `--serve-bare PORT`) that only
   reads the body and answers 200: the cost of HTTP in Python on this machine (the
   baseline). A second bare endpoint also publishes each body with acks=all to throwaway
   topics shaped like the gateway's (6, 12 and 12 partitions) before answering: what
   HTTP plus the bus cost without Bolt, translation and envelopes (a diagnostic line).
2. Sends signed Events API callbacks at a fixed rate (open loop: a slow answer never delays
   the next request) — a third each of `team_join`, `message` and `reaction_added`, each
   with a unique event id, under a throwaway team id — to each endpoint in turn, the
   gateway last; it verifies, translates and publishes to Kafka before it answers.
3. Prints p50/p99/max of the time to the answer, achieved rates, errors and the server's
   CPU for each, the ratio gateway p99 / baseline p99, and the target (99% within 50 ms at
   200 requests/s). The team_join callbacks reach `resident.joined` under the throwaway
   team id; services of other sessions that read it will DM those made-up users.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
import uuid

import aiohttp

from bench.common import (Fleet, Proc, cpu_seconds, free_port, kafka_bootstrap, open_loop, percentile, run,
                          throwaway_topics, wait_http_ok)
from tests import slack_signing

TARGET_P99_MS = 50.0
TARGET_RATE = 200.0


def event_bodies(team_id: str):
    """Signed-to-be Events API callbacks, cycling team_join → message → reaction_added."""
    channel = "C0BENCH01"
    for n in itertools.count():
        user = f"UB{n:08d}"
        ts = f"{time.time():.6f}"
        event = [
            slack_signing.team_join_event(user, team_id=team_id, name=f"bench{n}", display_name=f"Bench {n}"),
            slack_signing.message_event(user, channel, f"bench message {n}", ts=f"{int(time.time())}.{n:06d}"),
            slack_signing.reaction_event(user, channel, ts, reaction="bulb", item_user="UB00000000"),
        ][n % 3]
        yield slack_signing.event_callback(event, team_id=team_id, event_id=f"EvB{uuid.uuid4().hex[:16].upper()}")


class Run:
    """One open-loop run against one URL: latencies of 2xx answers, and what went wrong."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.sent_rate = 0.0
        self.wall = 0.0
        self.cpu = 0.0  # CPU seconds the server process used during the run

    def fail(self, why: str) -> None:
        self.errors[why] = self.errors.get(why, 0) + 1

    def line(self) -> str:
        ms = [v * 1000 for v in self.latencies]
        answered = len(ms) / self.wall if self.wall else 0.0
        return (f"{self.label:<10} p50={percentile(ms, 50):6.1f}ms p99={percentile(ms, 99):6.1f}ms "
                f"max={max(ms, default=float('nan')):6.1f}ms  sent {self.sent_rate:6.1f}/s, answered 2xx "
                f"{answered:6.1f}/s, errors {sum(self.errors.values())} {self.errors or ''}\n"
                f"{'':<12}server CPU {self.cpu / self.wall * 100 if self.wall else 0:5.1f}% of one core, "
                f"{self.cpu / max(1, len(ms) + sum(self.errors.values())) * 1000:.2f} ms CPU per request")


async def drive(url: str, secret: str, *, rate: float, seconds: float, team_id: str, label: str, pid: int) -> Run:
    """Send `rate × seconds` signed callbacks to `url`, open loop, and time each answer."""
    run, bodies = Run(label), event_bodies(team_id)
    cpu_before = cpu_seconds(pid)
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:

        async def send(_: int) -> None:
            body = next(bodies)
            headers = slack_signing.signed_headers(body, secret)
            started = time.perf_counter()
            try:
                async with http.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if 200 <= response.status < 300:
                        run.latencies.append(time.perf_counter() - started)
                    else:
                        run.fail(f"http_{response.status}")
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                run.fail(type(exc).__name__)

        began = time.perf_counter()
        run.sent_rate = await open_loop(rate, max(1, int(rate * seconds)), send)
        run.wall = time.perf_counter() - began
    run.cpu = cpu_seconds(pid) - cpu_before
    return run


def serve_bare(port: int, topics: list[str]) -> None:
    """The baseline: Starlette + uvicorn as the gateway runs them, reading the body and
    answering 200 — after publishing it with acks=all to one of `topics` when given."""
    import contextlib

    import uvicorn
    from aiokafka import AIOKafkaProducer
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    producer: AIOKafkaProducer | None = None  # made in the lifespan: aiokafka needs the running loop
    kinds = {b'"team_join"': 0, b'"message"': 1, b'"reaction_added"': 2}

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        if topics:
            topic = topics[next((i for kind, i in kinds.items() if kind in body), 0)]
            await producer.send_and_wait(topic, body, key=body[-40:])
        return Response(status_code=200)

    async def healthz(_: Request) -> Response:
        return Response("ok")

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        nonlocal producer
        if topics:
            producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap(), acks="all", enable_idempotence=True, linger_ms=2)
            await producer.start()
        yield
        if producer is not None:
            await producer.stop()

    app = Starlette(routes=[Route("/slack/events", endpoint, methods=["POST"]), Route("/readyz", healthz)], lifespan=lifespan)
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, timeout_graceful_shutdown=5)


async def start_bare(fleet: Fleet, label: str, topics: list[str]) -> tuple[str, int]:
    """A bare endpoint as a process of `fleet`; its URL and pid."""
    port = free_port()
    args = ["-m", "bench.gateway_ack", "--serve-bare", str(port), *(["--publish-to", *topics] if topics else [])]
    proc = fleet.procs[label] = Proc(label, args, fleet.env(), fleet.logs / f"{label}.log").start()
    fleet.ports[label] = port
    await wait_http_ok(f"http://127.0.0.1:{port}/readyz", proc=proc)
    return f"http://127.0.0.1:{port}/slack/events", proc.pid


async def main(rate: float, seconds: float, warmup: float) -> None:
    team_id = f"TB{uuid.uuid4().hex[:8].upper()}"
    tag = uuid.uuid4().hex[:8]
    shapes = {f"bench.ack-{tag}-joined": 6, f"bench.ack-{tag}-messages": 12, f"bench.ack-{tag}-reactions": 12}
    async with Fleet(["gateway"], tag="ack") as fleet, throwaway_topics(shapes) as topics:
        targets = {"baseline": await start_bare(fleet, "bare", []),
                   "bare+kafka": await start_bare(fleet, "bare+kafka", topics),
                   "gateway": (f"{fleet.url('gateway')}/slack/events", fleet.procs["gateway"].pid)}
        print(fleet.describe())
        runs = {}
        for label, (url, pid) in targets.items():
            common = dict(team_id=team_id, label=label, pid=pid, rate=rate)
            await drive(url, fleet.signing_secret, seconds=warmup, **common)
            runs[label] = await drive(url, fleet.signing_secret, seconds=seconds, **common)
        report(runs, rate=rate, seconds=seconds, team_id=team_id)
        print(fleet.memory_line())


def report(runs: dict[str, Run], *, rate: float, seconds: float, team_id: str) -> None:
    print(f"\nsigned Events API callbacks (team_join/message/reaction_added), {rate:.0f}/s for {seconds:.0f}s, "
          f"open loop, team {team_id}")
    for measured in runs.values():
        print("  " + measured.line())
    bus = percentile([v * 1000 for v in runs["bare+kafka"].latencies], 99)
    gateway, baseline = (percentile([v * 1000 for v in runs[k].latencies], 99) for k in ("gateway", "baseline"))
    print(f"ratio gateway p99 / baseline p99: {gateway / baseline:.2f}×  "
          f"(gateway p99 / bare+kafka p99: {gateway / bus:.2f}×)")
    errors = sum(runs["gateway"].errors.values())
    verdict = "MET" if gateway <= TARGET_P99_MS and errors == 0 else "NOT MET"
    if rate < TARGET_RATE:
        verdict += f" at this rate (the target is for {TARGET_RATE:.0f} requests/s)"
    print(f"target: 99% acknowledged within {TARGET_P99_MS:.0f} ms at 200 requests/s → gateway p99 {gateway:.1f} ms "
          f"at {rate:.0f}/s with {errors} errors: {verdict}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200, help="requests per second (default 200)")
    parser.add_argument("--seconds", type=float, default=30, help="measured seconds per target (default 30)")
    parser.add_argument("--quick", action="store_true", help="a short smoke run: 5 s at the rate")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--publish-to", nargs="*", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare, args.publish_to)
    else:
        run(main(args.rate, 5 if args.quick else args.seconds, warmup=1 if args.quick else 3))
