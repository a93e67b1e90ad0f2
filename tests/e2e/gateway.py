"""The gateway served in-process by uvicorn on a free port, for tests that speak HTTP to it.

    async with running_gateway(GatewaySettings(signing_secret=SECRET)) as gw:
        await slack_signing.send(gw.http, gw.events_url, body, SECRET)
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import uvicorn

from services.gateway.config import GatewaySettings
from services.gateway.main import Gateway, create_app


@dataclass
class RunningGateway:
    url: str
    gateway: Gateway
    http: httpx.AsyncClient

    @property
    def events_url(self) -> str:
        return f"{self.url}/slack/events"


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.asynccontextmanager
async def serve_in_process(app, *, timeout: float = 30.0) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn in this event loop (lifespan included); yields its URL."""
    sock = free_socket()
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_config=None, timeout_graceful_shutdown=5))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(timeout):
            while not server.started:
                if task.done():
                    task.result()  # surfaces a failed start-up
                    raise RuntimeError("the server stopped before it started")
                await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@contextlib.asynccontextmanager
async def running_gateway(settings: GatewaySettings) -> AsyncIterator[RunningGateway]:
    """The whole gateway (Bolt, bus, health) on a free port, with an HTTP client for it."""
    app = create_app(settings)
    async with serve_in_process(app) as url, httpx.AsyncClient(timeout=10) as http:
        yield RunningGateway(url=url, gateway=app.state.gateway, http=http)
