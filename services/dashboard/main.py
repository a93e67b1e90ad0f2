"""Bootstrap of the dashboard: the read model's consumers, the service monitor, the page."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from faststream import AckPolicy
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import generate_latest
from starlette.applications import Starlette

from shared.batching import Batching
from shared.departments import Department, load_departments
from shared.logging import configure_logging
from shared.bus import raw_body
from shared.service import ServiceRuntime, http_app, serve
from shared.topics import CATALOGUE
from services.dashboard import handlers
from services.dashboard.config import DashboardSettings
from services.dashboard.flow import FlowMonitor, LocalService, ServiceProbe
from services.dashboard.store import MongoReadModel, ReadModel
from services.dashboard.views import CommunityCache, dashboard_routes

NAME = "dashboard"


@dataclass
class Dashboard:
    """The built service: its runtime and what its HTTP side reads."""

    runtime: ServiceRuntime
    store: ReadModel
    monitor: FlowMonitor
    settings: DashboardSettings
    departments: list[Department]


def build(settings: DashboardSettings | None = None) -> Dashboard:
    settings = settings or DashboardSettings()
    runtime = ServiceRuntime.create(NAME, settings)
    store = MongoReadModel(runtime.db)
    runtime.on_start.append(store.setup)
    # Batches: a city's imported history is thousands of events a second. Every row is an
    # insert under its natural key, so a redelivery collapses without the handled ledger.
    for topic, handler in handlers.batch_routes(store).items():
        runtime.consume_batches(topic, handler, batch=Batching(max_records=settings.dashboard_batch_records),
                                ledger=False)
    consume_dead_letters(runtime, store)
    local = LocalService(NAME, runtime.readiness, lambda: generate_latest().decode())
    probe = ServiceProbe(settings.service_urls, timeout=settings.dashboard_probe_timeout_seconds, local=local)
    monitor = FlowMonitor(
        probe, kafka=settings.kafka, group_prefix=settings.consumer_group_prefix, interval=settings.dashboard_poll_seconds
    )
    runtime.run_in_background(monitor.run)
    return Dashboard(runtime=runtime, store=store, monitor=monitor, settings=settings, departments=load_departments())


def consume_dead_letters(runtime: ServiceRuntime, store: ReadModel) -> None:
    """Read every `<topic>.dlq` in a group of its own; the records are raw, so no envelope parsing."""
    settings = runtime.settings

    @runtime.broker.subscriber(
        *[topic.dlq for topic in CATALOGUE.values()],
        group_id=f"{settings.consumer_group_prefix}-{NAME}-dlq",
        auto_offset_reset=settings.consumer_offset_reset,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=raw_body,
        title=f"{NAME}:dead-letters",
    )
    async def on_dead_letter(message: KafkaMessage) -> None:
        raw = message.raw_message
        dead = handlers.dead_letter_of(
            topic=raw.topic, partition=raw.partition, offset=raw.offset,
            headers=raw.headers, value=raw.value, timestamp_ms=raw.timestamp,
        )
        try:
            await handlers.when_message_dead_lettered_record(dead, store=store)
        except Exception:
            await asyncio.sleep(1.0)  # the store is down: redelivered after a pause, not in a spin
            raise


def create_app(settings: DashboardSettings | None = None, *, dashboard: Dashboard | None = None) -> Starlette:
    dashboard = dashboard or build(settings)
    settings = dashboard.settings
    routes = dashboard_routes(
        store=dashboard.store,
        monitor=dashboard.monitor,
        zone=ZoneInfo(settings.dashboard_timezone),
        departments=dashboard.departments,
        cache=CommunityCache(settings.dashboard_cache_seconds),
    )
    app = http_app(dashboard.runtime, routes)
    app.state.dashboard = dashboard
    return app


def main() -> None:
    settings = DashboardSettings()
    configure_logging(NAME, settings.log_level)
    serve(create_app(settings), host=settings.http_host, port=settings.dashboard_port)


if __name__ == "__main__":
    main()
