"""The gateway's one way onto the bus: publish within a deadline, or say why not.

The gateway starts even when Kafka is down, so Slack gets a 5xx (and retries) instead of a
connection refused, and `/readyz` can say what is wrong. It reconnects in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from aiokafka.errors import KafkaError
from faststream.exceptions import FastStreamException
from faststream.kafka import KafkaBroker

from shared.admin import ensure_topics
from shared.bus import Publisher, make_broker
from shared.envelope import CloudEvent
from shared.logging import redact
from shared.settings import KafkaSettings
from services.gateway.errors import BusUnavailable

log = logging.getLogger(__name__)

NAME = "gateway"
# What a publish raises when Kafka is away; anything else is a bug and surfaces as one.
BUS_FAILURES = (KafkaError, FastStreamException, OSError, asyncio.TimeoutError)


def _describe(exc: BaseException) -> str:
    detail = str(exc) or ("no answer in time" if isinstance(exc, asyncio.TimeoutError) else "no details")
    return redact(f"{type(exc).__name__}: {detail}")[:300]


class GatewayBus:
    """Publishes the gateway's events; knows whether the bus can take them."""

    def __init__(
        self,
        kafka: KafkaSettings,
        *,
        publish_timeout: float = 2.0,
        connect_timeout: float = 10.0,
        broker_factory: Callable[[KafkaSettings], KafkaBroker] | None = None,
    ) -> None:
        self.kafka = kafka
        self.publish_timeout = publish_timeout
        self.connect_timeout = connect_timeout
        self._broker_factory = broker_factory or (lambda k: make_broker(k, service=NAME))
        self._publisher: Publisher | None = None
        self.problem: str | None = "not connected yet"

    @property
    def connected(self) -> bool:
        return self._publisher is not None

    async def connect(self) -> bool:
        """Create missing topics and connect the producer; False (and `problem` set) on failure."""
        broker = self._broker_factory(self.kafka)
        try:
            await asyncio.wait_for(ensure_topics(self.kafka), self.connect_timeout)
            await asyncio.wait_for(broker.connect(), self.connect_timeout)
        except BUS_FAILURES as exc:
            self.problem = f"cannot connect to Kafka: {_describe(exc)}"
            log.warning("bus not available: %s", self.problem)
            with contextlib.suppress(*BUS_FAILURES):
                await broker.stop()
            return False
        self._publisher = Publisher(broker, service=NAME)
        self.problem = None
        return True

    async def keep_connected(self, interval: float) -> None:
        """Retry `connect` until it succeeds; run as a background task."""
        while not self.connected:
            await asyncio.sleep(interval)
            if await self.connect():
                log.info("bus connected")

    async def close(self) -> None:
        if self._publisher is not None:
            await self._publisher.broker.stop()
            self._publisher = None
        self.problem = "stopped"

    async def publish(self, event: CloudEvent) -> None:
        await self.publish_all([event])

    async def publish_all(self, events: Sequence[CloudEvent]) -> None:
        """Publish every event and wait for Kafka's acknowledgement, or raise BusUnavailable."""
        if not events:
            return
        if self._publisher is None:
            raise BusUnavailable(self.problem or "not connected")
        try:
            await asyncio.wait_for(self._publisher.publish_all(events), self.publish_timeout)
        except BUS_FAILURES as exc:
            # A timed-out record may still reach Kafka later; its id is deterministic, so
            # Slack's retry of the same event collapses with it downstream.
            self.problem = f"publish failed: {_describe(exc)}"
            raise BusUnavailable(self.problem) from exc
        self.problem = None

    async def readiness(self) -> dict[str, str]:
        """`ok`, or why the bus cannot take events now."""
        if self._publisher is None:
            return {"bus": f"unreachable: {self.problem}"}
        try:
            alive = await asyncio.wait_for(self._publisher.broker.ping(timeout=self.publish_timeout), self.publish_timeout + 1)
        except BUS_FAILURES as exc:
            alive, self.problem = False, _describe(exc)
        if not alive:
            return {"bus": f"unreachable: {self.problem or 'no answer from Kafka'}"}
        self.problem = None
        return {"bus": "ok"}


class InMemoryBus:
    """The bus for unit tests: keeps what was published; `fail_with` makes it refuse."""

    def __init__(self) -> None:
        self.events: list[CloudEvent] = []
        self.fail_with: str | None = None
        self.problem: str | None = None

    async def connect(self) -> bool:
        return True

    async def keep_connected(self, interval: float) -> None:
        return None

    async def close(self) -> None:
        return None

    async def publish(self, event: CloudEvent) -> None:
        await self.publish_all([event])

    async def publish_all(self, events: Sequence[CloudEvent]) -> None:
        if self.fail_with and events:
            raise BusUnavailable(self.fail_with)
        self.events.extend(events)

    async def readiness(self) -> dict[str, str]:
        return {"bus": f"unreachable: {self.fail_with}" if self.fail_with else "ok"}

    def of_type(self, type_: str) -> list[CloudEvent]:
        return [e for e in self.events if e.type == type_]
