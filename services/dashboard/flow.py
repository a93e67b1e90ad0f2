"""The operators' view: each service's health and throughput, consumer lag, dead letters.

Health comes from each service's `/healthz` and `/readyz`; throughput is the rate between
two scrapes of its `/metrics` counters; lag is computed here from Kafka (each group's
committed offsets against the partitions' high-water marks), so it is right even for a
service that is down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from prometheus_client.parser import text_string_to_metric_families

from shared.admin import _admin, kafka_client_kwargs
from shared.settings import KafkaSettings
from services.dashboard.store import ReadModel

log = logging.getLogger(__name__)

LATEST_REASONS = 5
_COUNTERS = {
    "consumed": "oco_events_consumed_total",
    "published": "oco_events_published_total",
    "dead_lettered": "oco_dead_letters_total",
}


@dataclass(frozen=True)
class Sample:
    """One scrape of a service's counters."""

    at: float  # monotonic seconds
    counters: dict[str, float]


def read_counters(metrics_text: str, service: str) -> dict[str, float]:
    """Totals of the counters we chart, only this service's samples when they are labelled."""
    totals = dict.fromkeys(_COUNTERS, 0.0)
    wanted = {metric: key for key, metric in _COUNTERS.items()}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            key = wanted.get(sample.name)
            if key and sample.labels.get("service", service) == service:
                totals[key] += sample.value
    return totals


def per_minute(previous: Sample | None, current: Sample) -> dict[str, float | None]:
    """Events per minute between two scrapes; None until there are two, or after a restart."""
    rates: dict[str, float | None] = dict.fromkeys(_COUNTERS)
    if previous is None or current.at <= previous.at:
        return rates
    for key in _COUNTERS:
        delta = current.counters[key] - previous.counters[key]
        rates[key] = round(delta * 60 / (current.at - previous.at), 1) if delta >= 0 else None
    return rates


@dataclass
class LocalService:
    """The dashboard itself, read in-process instead of over HTTP."""

    name: str
    readiness: Callable[[], Awaitable[dict[str, str]]]
    metrics_text: Callable[[], str]


class ServiceProbe:
    """Polls every service and keeps its last scrape, so rates come from two of them."""

    def __init__(self, urls: dict[str, str], *, timeout: float, local: LocalService | None = None) -> None:
        self.urls = dict(urls)
        self.timeout = timeout
        self.local = local
        self.samples: dict[str, Sample] = {}

    async def poll(self) -> list[dict]:
        """The status of every service, polled concurrently."""
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            remote = [self._probe(client, name, url) for name, url in sorted(self.urls.items())]
            statuses = await asyncio.gather(*remote)
        if self.local:
            statuses.append(await self._probe_local(self.local))
        return list(statuses)

    async def _probe(self, client: httpx.AsyncClient, name: str, url: str) -> dict:
        base = url.rstrip("/")
        status = {"name": name, "url": base, "healthy": False, "ready": False, "checks": {}, "error": None}
        try:
            health = await client.get(f"{base}/healthz")
            ready = await client.get(f"{base}/readyz")
            metrics = await client.get(f"{base}/metrics")
        except httpx.HTTPError as exc:
            status["error"] = f"unreachable: {type(exc).__name__}"
            return status | self._throughput(name, None)
        status["healthy"] = health.status_code == 200
        status["ready"] = ready.status_code == 200
        status["checks"] = _json_field(ready, "checks")
        counters = read_counters(metrics.text, name) if metrics.status_code == 200 else None
        return status | self._throughput(name, counters)

    async def _probe_local(self, local: LocalService) -> dict:
        checks = await local.readiness()
        ready = all(v == "ok" for v in checks.values())
        status = {"name": local.name, "url": None, "healthy": True, "ready": ready, "checks": checks, "error": None}
        return status | self._throughput(local.name, read_counters(local.metrics_text(), local.name))

    def _throughput(self, name: str, counters: dict[str, float] | None) -> dict:
        if counters is None:
            self.samples.pop(name, None)
            return {"totals": None, "per_minute": dict.fromkeys(_COUNTERS)}
        current = Sample(at=time.monotonic(), counters=counters)
        rates = per_minute(self.samples.get(name), current)
        self.samples[name] = current
        return {"totals": counters, "per_minute": rates}


def _json_field(response: httpx.Response, key: str) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    value = body.get(key) if isinstance(body, dict) else None
    return value if isinstance(value, dict) else {}


async def consumer_lag(kafka: KafkaSettings, *, group_prefix: str) -> list[dict]:
    """Per consumer group of this deployment: messages not yet committed, in total and by topic."""
    admin = _admin(kafka)
    consumer = AIOKafkaConsumer(enable_auto_commit=False, **kafka_client_kwargs(kafka))
    try:
        await admin.start()
        await consumer.start()
        listed = await admin.list_consumer_groups()
        groups = sorted(g[0] for g in listed if g[0].startswith(f"{group_prefix}-"))
        committed = {group: await admin.list_consumer_group_offsets(group) for group in groups}
        partitions = {tp for offsets in committed.values() for tp in offsets}
        ends = await consumer.end_offsets(list(partitions)) if partitions else {}
    finally:
        await consumer.stop()
        await admin.close()
    rows = []
    for group, offsets in committed.items():
        by_topic: dict[str, int] = defaultdict(int)
        for tp, meta in offsets.items():
            if meta.offset >= 0:
                by_topic[tp.topic] += max(0, ends.get(tp, meta.offset) - meta.offset)
        # Groups are `<prefix>-<service>.<topic>` (one per service and topic) or `<prefix>-<name>`.
        service = group.removeprefix(f"{group_prefix}-").partition(".")[0]
        rows.append({"group": group, "service": service, "lag": sum(by_topic.values()), "by_topic": dict(sorted(by_topic.items()))})
    return rows


async def dead_letter_view(store: ReadModel) -> list[dict]:
    """Dead letters per original topic: how many, from which groups, and the latest reasons."""
    counts = await store.dead_letter_counts()
    recent = await store.recent_dead_letters()
    topics: dict[str, dict] = {}
    for (topic, group), count in counts.items():
        row = topics.setdefault(topic, {"topic": topic, "count": 0, "by_group": {}, "latest": []})
        row["count"] += count
        row["by_group"][group] = count
    for dead in recent:
        row = topics.get(dead.original_topic)
        if row is not None and len(row["latest"]) < LATEST_REASONS:
            row["latest"].append({
                "reason": dead.reason, "error": dead.error, "group": dead.group,
                "failed_at": dead.failed_at.isoformat(), "tenant": dead.tenant, "event_id": dead.event_id,
            })
    return sorted(topics.values(), key=lambda r: (-r["count"], r["topic"]))


class FlowMonitor:
    """Samples services and lag in the background; `/api/services` reads the latest snapshot."""

    def __init__(self, probe: ServiceProbe, *, kafka: KafkaSettings, group_prefix: str, interval: float) -> None:
        self.probe = probe
        self.kafka = kafka
        self.group_prefix = group_prefix
        self.interval = interval
        self.snapshot: dict | None = None
        self._lock = asyncio.Lock()

    async def sample(self) -> dict:
        """Poll everything once and keep the result."""
        async with self._lock:
            services = await self.probe.poll()
            try:
                lag, lag_error = await consumer_lag(self.kafka, group_prefix=self.group_prefix), None
            except (KafkaError, OSError, asyncio.TimeoutError) as exc:
                lag, lag_error = [], f"could not read offsets: {type(exc).__name__}"
            self.snapshot = {
                "sampled_at": datetime.now(UTC).isoformat(),
                "services": services,
                "consumer_lag": lag,
                "consumer_lag_error": lag_error,
            }
            return self.snapshot

    async def latest(self) -> dict:
        return self.snapshot if self.snapshot is not None else await self.sample()

    async def run(self) -> None:
        """Sample forever, every `interval` seconds (a background task of the service)."""
        while True:
            try:
                await self.sample()
            except Exception:  # keep sampling: one bad round must not blind the operators
                log.exception("sampling services failed")
            await asyncio.sleep(self.interval)
