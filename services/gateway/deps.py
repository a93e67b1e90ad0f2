"""What listeners are given: built once in `main.build()`, never at import time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from shared.departments import Department
from shared.envelope import CloudEvent
from services.gateway.config import GatewaySettings

SOURCE = "oco/gateway"


class EventBus(Protocol):
    async def publish(self, event: CloudEvent) -> None: ...
    async def publish_all(self, events: list[CloudEvent]) -> None: ...


@dataclass(frozen=True)
class GatewayDeps:
    settings: GatewaySettings
    bus: EventBus
    departments: list[Department] = field(default_factory=list)
    source: str = SOURCE
