"""Fakes of the bus for unit tests of one handler or consumer (never for integration)."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.envelope import CloudEvent


@dataclass
class FakePublisher:
    """Collects what would have been published."""

    service: str = "test"
    events: list[CloudEvent] = field(default_factory=list)
    raw: list[tuple[str, bytes, dict]] = field(default_factory=list)
    fail_times: int = 0

    async def publish(self, event: CloudEvent) -> None:
        if self.fail_times:
            self.fail_times -= 1
            raise ConnectionError("bus unavailable")
        self.events.append(event)

    async def publish_all(self, events) -> None:
        for event in events:
            await self.publish(event)

    async def publish_raw(self, value: bytes, *, topic: str, key, headers: dict) -> None:
        self.raw.append((topic, value, headers))
