"""Bootstrap of the gateway: Bolt app + Kafka producer, served by Starlette and uvicorn.

HTTP mode: Slack posts to `/slack/events`. Socket Mode (`OCO_SLACK_SOCKET_MODE=true`):
the same Bolt app receives over a WebSocket, and the HTTP side only serves health.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.routing import Route

from shared.departments import load_departments
from shared.logging import configure_logging
from shared.service import health_routes, serve
from services.gateway.app import build_bolt_app
from services.gateway.bus import NAME, GatewayBus
from services.gateway.config import GatewaySettings
from services.gateway.deps import GatewayDeps
from services.gateway.edge import SlackEdge

log = logging.getLogger(__name__)


@dataclass
class Gateway:
    """What the gateway is made of at run time; built once by `build()`."""

    settings: GatewaySettings
    bus: GatewayBus
    bolt: AsyncApp
    socket_mode: AsyncSocketModeHandler | None = None
    background: list[asyncio.Task] = field(default_factory=list)

    async def start(self) -> None:
        if not await self.bus.connect():
            # Stay up: Slack gets 503s (and retries) and /readyz says why until Kafka is back.
            self.background.append(asyncio.create_task(self.bus.keep_connected(self.settings.bus_reconnect_seconds)))
        if self.socket_mode is not None:
            await self.socket_mode.connect_async()
        log.info("gateway started", extra={"fields": {"socket_mode": self.socket_mode is not None, "bus": self.bus.problem or "ok"}})

    async def stop(self) -> None:
        if self.socket_mode is not None:
            await self.socket_mode.close_async()
        for task in self.background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.bus.close()
        log.info("gateway stopped")

    async def readiness(self) -> dict[str, str]:
        checks = await self.bus.readiness()
        if self.socket_mode is not None:
            connected = await self.socket_mode.client.is_connected()
            checks["slack_socket_mode"] = "ok" if connected else "not connected to Slack"
        return checks


def build(settings: GatewaySettings | None = None, *, bus: GatewayBus | None = None) -> Gateway:
    settings = settings or GatewaySettings()
    bus = bus or GatewayBus(
        settings.kafka, publish_timeout=settings.publish_timeout_seconds,
        connect_timeout=settings.bus_connect_timeout_seconds,
    )
    bolt = build_bolt_app(GatewayDeps(settings=settings, bus=bus, departments=load_departments()))
    gateway = Gateway(settings=settings, bus=bus, bolt=bolt)
    if settings.slack_socket_mode:
        gateway.socket_mode = AsyncSocketModeHandler(bolt, app_token=settings.app_token.get_secret_value())
    return gateway


def create_app(settings: GatewaySettings | None = None, *, bus: GatewayBus | None = None) -> Starlette:
    """The gateway's HTTP side, whose lifespan connects the bus (and Socket Mode)."""
    gateway = build(settings, bus=bus)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette):
        await gateway.start()
        try:
            yield
        finally:
            await gateway.stop()

    routes = health_routes(gateway.readiness, NAME)
    if gateway.socket_mode is None:
        edge = SlackEdge(gateway.bolt, gateway.settings.signing_secret.get_secret_value())
        routes.append(Route("/slack/events", edge.endpoint, methods=["POST"]))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.gateway = gateway
    return app


def main() -> None:
    settings = GatewaySettings()
    configure_logging(NAME, settings.log_level)
    serve(create_app(settings), host=settings.http_host, port=settings.port)


if __name__ == "__main__":
    main()
