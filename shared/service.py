"""The runtime every consuming service shares: broker, store, consumers and an HTTP side.

A service declares its consumers in a bootstrap function; `ServiceRuntime` builds the
dependencies once (never at import time), starts the consumers in the app's lifespan and
serves `/healthz`, `/readyz` and `/metrics`. Uvicorn's shutdown drives the graceful stop:
stop fetching, finish in-flight work, commit, close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared.admin import ensure_topics
from shared.batching import BatchConsumer, BatchHandler, Batching, NoLedger
from shared.bus import Consumer, Handler, Publisher, make_broker
from shared.settings import ServiceSettings
from shared.store import HandledEvents, connect
from shared.topics import Topic

log = logging.getLogger(__name__)


@dataclass
class ServiceRuntime:
    """What a service is made of at run time; built once by its bootstrap."""

    name: str
    settings: ServiceSettings
    mongo: AsyncMongoClient
    db: AsyncDatabase
    publisher: Publisher
    consumers: list[Consumer] = field(default_factory=list)
    on_start: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    background: list[asyncio.Task] = field(default_factory=list)

    @classmethod
    def create(cls, name: str, settings: ServiceSettings, *, database: str | None = None) -> ServiceRuntime:
        mongo = connect(settings.mongo_url.get_secret_value())
        broker = make_broker(settings.kafka, service=name)
        return cls(
            name=name,
            settings=settings,
            mongo=mongo,
            db=mongo[database or f"{settings.database_prefix}oco_{name}"],
            publisher=Publisher(broker, service=name),
        )

    @property
    def broker(self):
        return self.publisher.broker

    def consume(
        self, topic: Topic, handler: Handler, *, group: str | None = None, batch: Batching | None = None,
        ledger: bool = True, workers: int = 1,
    ) -> Consumer:
        """Subscribe `handler` to `topic` in this service's consumer group.

        `batch` opts into taking records in batches (one commit and one ledger read and write
        per batch, events still handled one by one in order); `ledger=False` skips the handled
        ledger, for a handler that collapses redeliveries by itself (see `shared.batching`).
        `workers` > 1 handles that many groups of partitions at once (see `Consumer.attach`),
        for handlers that mostly wait on another system, as the notifier waits on Slack.
        """
        if batch is None:
            return self._add(Consumer, topic, group=group, ledger=ledger, handler=handler, workers=workers)
        if workers != 1:
            raise ValueError("a batch consumer takes its partitions in one consumer; workers must be 1")
        return self._add(BatchConsumer, topic, group=group, ledger=ledger, handler=handler, batching=batch)

    def consume_batches(
        self, topic: Topic, handler: BatchHandler, *, group: str | None = None, batch: Batching | None = None,
        ledger: bool = True,
    ) -> BatchConsumer:
        """Subscribe a handler of whole batches (idempotent, order-insensitive) to `topic`."""
        return self._add(BatchConsumer, topic, group=group, ledger=ledger, batch_handler=handler,
                         batching=batch or Batching())

    def _add(self, kind: type[Consumer], topic: Topic, *, group: str | None, ledger: bool, **handling) -> Consumer:
        # One group per (service, topic): subscribers of one service then never make each
        # other rebalance, so a start or restart settles in one join instead of a cascade.
        group = group or f"{self.settings.consumer_group_prefix}-{self.name}.{topic.name}"
        consumer = kind(
            topic=topic,
            group=group,
            publisher=self.publisher,
            handled=HandledEvents(self.db, group=group) if ledger else NoLedger(),
            service=self.name,
            retries=self.settings.handler_retries,
            backoff_seconds=self.settings.handler_backoff_seconds,
            offset_reset=self.settings.consumer_offset_reset,
            **handling,
        )
        consumer.attach(self.broker)
        self.consumers.append(consumer)
        return consumer

    def run_in_background(self, factory: Callable[[], Awaitable[None]]) -> None:
        """A periodic job (term expiry, lag sampling) started with the service."""

        async def start() -> None:
            self.background.append(asyncio.create_task(factory()))

        self.on_start.append(start)

    async def start(self) -> None:
        await self.db.command("ping")
        await ensure_topics(self.settings.kafka)
        for hook in self.on_start:
            await hook()
        await self.broker.start()
        log.info("service started", extra={"fields": {"consumers": len(self.consumers)}})

    async def stop(self) -> None:
        for task in self.background:
            task.cancel()
        for task in self.background:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.broker.stop()
        for hook in self.on_stop:
            await hook()
        await self.mongo.close()
        log.info("service stopped")

    async def readiness(self) -> dict[str, str]:
        """Why the service is or is not ready, per dependency."""
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(self.db.command("ping"), 2)
            checks["store"] = "ok"
        except Exception as exc:
            checks["store"] = f"unreachable: {type(exc).__name__}"
        try:
            ok = await asyncio.wait_for(self.broker.ping(timeout=2), 3)
            checks["bus"] = "ok" if ok else "unreachable"
        except Exception as exc:
            checks["bus"] = f"unreachable: {type(exc).__name__}"
        return checks


def health_routes(readiness: Callable[[], Awaitable[dict[str, str]]], name: str) -> list[Route]:
    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok", "service": name})

    async def readyz(_: Request) -> Response:
        checks = await readiness()
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"ready": ready, "service": name, "checks": checks}, status_code=200 if ready else 503)

    async def metrics_endpoint(_: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
    ]


def http_app(runtime: ServiceRuntime, extra_routes: list[Route] | None = None) -> Starlette:
    """The service's HTTP side, whose lifespan starts and stops the runtime."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette):
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = Starlette(routes=health_routes(runtime.readiness, runtime.name) + (extra_routes or []), lifespan=lifespan)
    app.state.runtime = runtime
    return app


def serve(app: Starlette, *, host: str, port: int) -> None:
    """Run until SIGTERM/SIGINT, then shut down gracefully."""
    uvicorn.run(app, host=host, port=port, log_config=None, timeout_graceful_shutdown=25)
