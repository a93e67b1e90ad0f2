"""Helpers shared by the benchmarks: percentiles, an open-loop load driver, memory readings."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (f"n={len(ms)} p50={percentile(ms, 50):.1f}ms p99={percentile(ms, 99):.1f}ms "
            f"max={max(ms) if ms else float('nan'):.1f}ms mean={statistics.fmean(ms) if ms else float('nan'):.1f}ms")


async def open_loop(rate: float, count: int, send: Callable[[int], Awaitable[None]]) -> float:
    """Start `send(i)` at a fixed rate regardless of how long earlier ones take (no coordinated
    omission); returns the achieved start rate."""
    interval = 1.0 / rate
    started = time.perf_counter()
    tasks = []
    for i in range(count):
        target = started + i * interval
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(i)))
    await asyncio.gather(*tasks)
    return count / (time.perf_counter() - started)


def rss_mb(pid: int | None = None, field: str = "VmRSS") -> float:
    """Resident memory of a process in MB, from /proc (`field="VmHWM"`: its peak so far)."""
    status = Path(f"/proc/{pid or os.getpid()}/status").read_text()
    for line in status.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- the product as separate processes ----------------------------------------------------
#
# Benchmarks run each service as `python -m oco.cli run <name>`, as a deployment would, so
# the load generator never shares a process (or an event loop) with what it measures and
# each service's memory is its own.

REPO = Path(__file__).resolve().parents[1]
STANDIN_TOKEN = "xoxb-0000000000-0000000000000-standinstandinstandin0"  # the stand-in's made-up default
PORT_VARIABLES = {
    "gateway": ["OCO_GATEWAY_PORT"],
    "onboarding": ["OCO_ONBOARDING_PORT"],
    "roles": ["OCO_ROLES_PORT"],
    # ProjectsSettings names its field `port`, so it reads OCO_PORT, not OCO_PROJECTS_PORT.
    "projects": ["OCO_PROJECTS_PORT", "OCO_PORT"],
    "notifier": ["OCO_NOTIFIER_PORT"],
    "dashboard": ["OCO_DASHBOARD_PORT"],
}


def kafka_bootstrap() -> str:
    return os.environ.get("OCO_KAFKA_BOOTSTRAP", "127.0.0.1:19092")


def mongo_url() -> str:
    return os.environ.get("OCO_MONGO_URL", "mongodb://127.0.0.1:27027/")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ratio_line(name: str, value: float, baseline: float, unit: str = "ms") -> str:
    """`name: value beside baseline (ratio ×)`."""
    ratio = value / baseline if baseline else float("nan")
    return f"{name}: {value:.1f}{unit} vs baseline {baseline:.1f}{unit} → ratio {ratio:.2f}×"


class Proc:
    """One child process of the benchmark, logging to a file; stopped only by its own pid."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_path: Path, *,
                 program: str = sys.executable) -> None:
        self.name, self.args, self.env, self.log_path, self.program = name, args, env, log_path, program
        self.popen: subprocess.Popen | None = None
        self.starts = 0

    @property
    def pid(self) -> int:
        return self.popen.pid if self.popen else -1

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def start(self) -> Proc:
        self.starts += 1
        log = open(self.log_path, "ab")  # noqa: SIM115 (the child holds it; closed with the process)
        log.write(f"\n=== start #{self.starts} ===\n".encode())
        log.flush()
        self.popen = subprocess.Popen([self.program, *self.args], env=self.env, cwd=REPO, stdout=log,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        return self

    def kill(self) -> None:
        """SIGKILL, as a crashing machine would; waits until the process is gone."""
        if self.alive:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(10)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM (graceful shutdown), then SIGKILL if it does not end in time."""
        if not self.alive:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, lines: int = 15) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


async def wait_http_ok(url: str, *, timeout: float = 90, proc: Proc | None = None) -> None:
    """Poll `url` until it answers 200; fail early when the process died."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=3) as http:
        while True:
            if proc is not None and not proc.alive:
                raise RuntimeError(f"{proc.name} exited while starting:\n{proc.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(url)).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} not ready within {timeout:.0f}s" + (f":\n{proc.tail()}" if proc else ""))
            await asyncio.sleep(0.25)


@contextlib.contextmanager
def _environment(**values: str):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


async def consumer_groups(service: str, prefix: str) -> list[tuple[str, str]]:
    """(group, topic) of every consumer `service` will start with group prefix `prefix`."""
    from oco.services import SERVICES

    module = importlib.import_module(SERVICES[service])
    if not hasattr(module, "build") or service == "gateway":
        return []
    with _environment(OCO_CONSUMER_GROUP_PREFIX=prefix):
        built = module.build()
    runtime = getattr(built, "runtime", built)
    await runtime.mongo.close()
    return [(c.group, c.topic.name) for c in runtime.consumers]


async def pin_groups_at_end(groups: list[tuple[str, str]]) -> None:
    """Commit each new group's offsets at its topic's current end before the service starts.

    A fresh group with offset reset `latest` would otherwise skip whatever is published
    between our start and its first assignment, and a service SIGKILLed before its first
    commit would skip more on restart; a committed offset makes both resume exactly here.
    """
    from aiokafka import AIOKafkaConsumer

    for group, topic in groups:
        consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap(), group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            parts = await partitions(consumer, topic)
            consumer.assign(parts)
            ends = await consumer.end_offsets(parts)
            await consumer.commit({tp: offset for tp, offset in ends.items()})
        finally:
            await consumer.stop()


async def partitions(consumer, topic: str) -> list:
    """A topic's partitions, as seen by a started aiokafka client (metadata refreshed if needed)."""
    from aiokafka import TopicPartition

    for _ in range(50):
        found = consumer.partitions_for_topic(topic)
        if found:
            return [TopicPartition(topic, p) for p in sorted(found)]
        await consumer._client.force_metadata_update()
        await asyncio.sleep(0.1)
    raise RuntimeError(f"topic {topic} does not exist (run `oco topics create`, or start any service once)")


class Fleet:
    """The Slack stand-in and some services, each a process on a free port of 127.0.0.1, with
    consumer groups and databases of this run alone; `async with Fleet([...]) as fleet:`
    stops them all and drops the run's databases (unless `keep`).

    Own databases (`OCO_DATABASE_PREFIX`) because every session's services read every tenant's
    events on the shared broker: on shared databases two sessions' notifiers would race for
    the same delivery claims and post each other's DMs. `private_store` goes further: a
    FerretDB process of this run alone (the project's binary, an empty folder)."""

    def __init__(self, services: list[str], *, tag: str, standin: bool = True, private_store: bool = False,
                 keep: bool = False, extra_env: dict[str, str] | None = None) -> None:
        import secrets
        import tempfile
        import uuid

        self.services = list(services)
        self.private_store = private_store
        self.groups: list[tuple[str, str]] = []
        run_id = uuid.uuid4().hex[:8]
        self.prefix = f"bench-{tag}-{run_id}"
        self.database_prefix = f"bench_{tag}_{run_id}_"
        self.keep = keep
        self.signing_secret = secrets.token_hex(16)
        self.ports = {name: free_port() for name in [*services, *(["slack"] if standin else [])]}
        self.logs = Path(tempfile.mkdtemp(prefix=f"oco-bench-{tag}-"))
        if private_store:
            self.ports["store"] = free_port()
        self.mongo_url = f"mongodb://127.0.0.1:{self.ports['store']}/" if private_store else mongo_url()
        self.extra_env = extra_env or {}
        self.procs: dict[str, Proc] = {}

    @property
    def standin_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['slack']}"

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def env(self) -> dict[str, str]:
        """What every child gets: the servers, Slack (the stand-in), ports, its own consumer groups."""
        env = {**os.environ, "OCO_KAFKA_BOOTSTRAP": kafka_bootstrap(), "OCO_MONGO_URL": self.mongo_url,
               "OCO_CONSUMER_GROUP_PREFIX": self.prefix, "OCO_CONSUMER_OFFSET_RESET": "latest",
               "OCO_DATABASE_PREFIX": self.database_prefix,
               "SLACK_SIGNING_SECRET": self.signing_secret, "PYTHONUNBUFFERED": "1"}
        if "slack" in self.ports:
            env.update(SLACK_BOT_TOKEN=STANDIN_TOKEN, SLACK_API_URL=f"{self.standin_url}/api/",
                       OCO_SLACK_STANDIN_PORT=str(self.ports["slack"]), OCO_SLACK_STANDIN_TOKEN=STANDIN_TOKEN)
        for name in self.services:
            for variable in PORT_VARIABLES.get(name, []):
                env[variable] = str(self.ports[name])
        env["OCO_SERVICE_URLS"] = json.dumps({n: self.url(n) for n in self.services if n != "dashboard"})
        return {**env, **self.extra_env}

    async def start(self) -> Fleet:
        env = self.env()
        if self.private_store:
            await self._start_private_store(env)
        if "slack" in self.ports:
            self.procs["slack"] = Proc("slack", ["-m", "oco.cli", "slack-standin", "--port", str(self.ports["slack"])],
                                       env, self.logs / "slack.log").start()
            await wait_http_ok(f"{self.standin_url}/healthz", proc=self.procs["slack"])
        for name in self.services:
            self.groups += await consumer_groups(name, self.prefix)
        await pin_groups_at_end(self.groups)
        for name in self.services:
            self.procs[name] = Proc(name, ["-m", "oco.cli", "run", name], env, self.logs / f"{name}.log").start()
        for name in self.services:
            await self.wait_ready(name)
        return self

    async def _start_private_store(self, env: dict[str, str]) -> None:
        """A FerretDB of this run alone (the project's binary, an empty data folder)."""
        from oco import infra

        data = self.logs / "store"
        data.mkdir()
        self.procs["store"] = Proc("store", [f"-listen=127.0.0.1:{self.ports['store']}", f"-data={data}"], env,
                                   self.logs / "store.log", program=str(infra._ferretdb_binary())).start()
        deadline = time.monotonic() + 30
        while not infra.port_open(self.ports["store"]):
            if not self.procs["store"].alive or time.monotonic() > deadline:
                raise RuntimeError(f"private FerretDB did not start:\n{self.procs['store'].tail()}")
            await asyncio.sleep(0.2)

    async def wait_ready(self, name: str, timeout: float = 120) -> None:
        await wait_http_ok(f"{self.url(name)}/readyz", timeout=timeout, proc=self.procs[name])

    async def restart(self, name: str) -> None:
        self.procs[name].start()
        await self.wait_ready(name)

    def memory_line(self, target_mb: float = 150.0) -> str:
        """Each service's resident memory now (VmRSS) and its peak (VmHWM), against the target."""
        readings = [(name, rss_mb(self.procs[name].pid), rss_mb(self.procs[name].pid, "VmHWM"))
                    for name in self.services if self.procs.get(name) and self.procs[name].alive]
        over = [name for name, now, _ in readings if now >= target_mb]
        figures = ", ".join(f"{name} {now:.1f} MB (peak {peak:.1f})" for name, now, peak in readings)
        return (f"resident memory at the end of the run: {figures} → each under {target_mb:.0f} MB: "
                f"{'NOT MET for ' + ', '.join(over) if over else 'MET'}")

    def database(self, service: str) -> str:
        """The name of `service`'s database in this run."""
        return f"{self.database_prefix}oco_{service}"

    def stop(self) -> None:
        import shutil

        for proc in reversed(list(self.procs.values())):
            if proc.name != "store":
                proc.stop()
        if self.private_store:
            self.procs["store"].stop()
            if not self.keep:
                shutil.rmtree(self.logs / "store", ignore_errors=True)

    async def drop_databases(self) -> list[str]:
        """Drop this run's databases from the store; their names."""
        from pymongo import AsyncMongoClient

        client = AsyncMongoClient(self.mongo_url, serverSelectionTimeoutMS=5000)
        try:
            ours = [n for n in await client.list_database_names() if n.startswith(self.database_prefix)]
            for name in ours:
                await client.drop_database(name)
            return ours
        finally:
            await client.close()

    async def __aenter__(self) -> Fleet:
        try:
            return await self.start()
        except BaseException:
            self.stop()
            raise

    async def __aexit__(self, *exc) -> None:
        try:
            self.stop()
            if not (self.keep or self.private_store):
                dropped = await self.drop_databases()
                print(f"dropped this run's databases: {', '.join(dropped) or 'none'}")
        except Exception as error:  # a failed clean-up must not hide the run's own error
            print(f"clean-up failed: {type(error).__name__}: {error}")

    def describe(self) -> str:
        store = f"a private FerretDB at {self.mongo_url}" if self.private_store else self.mongo_url
        return ("processes: " + ", ".join(f"{n} pid {p.pid} :{self.ports[n]}" for n, p in self.procs.items())
                + f"; store {store}, databases {self.database_prefix}oco_*; consumer groups {self.prefix}-*; "
                f"logs in {self.logs}")


async def standin_calls(base_url: str, method: str) -> list[dict]:
    """Every call of `method` the stand-in recorded (its clock is this machine's clock)."""
    async with httpx.AsyncClient(timeout=60) as http:
        response = await http.get(f"{base_url}/_standin/calls", params={"method": method})
        response.raise_for_status()
        return response.json()["calls"]


def delivery_key(call: dict) -> str | None:
    """The notifier's delivery key carried in a post's metadata (`<event id>/<step>`)."""
    meta = call.get("args", {}).get("metadata") or {}
    return (meta.get("event_payload") or {}).get("delivery_key") if isinstance(meta, dict) else None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.asynccontextmanager
async def throwaway_topics(partitions: dict[str, int]):
    """Topics for a baseline, created for the run and deleted after it."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap(), client_id="oco-bench")
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, count, 1) for name, count in partitions.items()])
        try:
            yield list(partitions)
        finally:
            await admin.delete_topics(list(partitions))
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def event_producer():
    """A plain aiokafka producer for publishing envelopes straight to the product's topics."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap(), acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


async def send_event(producer, event) -> asyncio.Future:
    """Queue one CloudEvent on its topic (keyed by subject); await the result for the ack."""
    from shared.envelope import CONTENT_TYPE

    return await producer.send(event.type, event.to_bytes(), key=event.subject.encode(),
                               headers=[("content-type", CONTENT_TYPE.encode()), ("ce_id", event.id.encode())])


def run(main: Awaitable) -> object:
    """`asyncio.run(main)`, with SIGTERM treated like Ctrl-C so the child processes are
    stopped and the run's documents cleaned up by the `finally` blocks."""

    def interrupt(*_) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    return asyncio.run(main)
