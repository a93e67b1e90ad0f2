"""End-to-end fixtures: the gateway aimed at the Slack stand-in, and a response_url sink.

Slack's `response_url`s are webhooks Slack hosts; the stand-in serves the Web API only, so
tests point response_urls at a small recorder of their own.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from services.gateway.config import GatewaySettings
from tests.e2e.gateway import running_gateway, serve_in_process
from tests.standin_fixture import slack_standin, standin_server  # noqa: F401  (a pytest fixture)

SECRET = "e2e-signing-secret"


class ResponseUrls:
    """Records what was posted to `{url}/<anything>`, as Slack's response_url webhooks would."""

    def __init__(self) -> None:
        self.url = ""
        self.posts: list[dict[str, Any]] = []

    def app(self) -> Starlette:
        async def record(request: Request) -> JSONResponse:
            self.posts.append({"path": request.url.path, "body": await request.json()})
            return JSONResponse({"ok": True})

        return Starlette(routes=[Route("/{path:path}", record, methods=["POST"])])

    def new(self, name: str = "r") -> str:
        return f"{self.url}/{name}/{time.monotonic_ns()}"

    async def wait_for(self, url: str, timeout: float = 10.0) -> dict[str, Any]:
        path = url.removeprefix(self.url)
        async with asyncio.timeout(timeout):
            while True:
                for post in self.posts:
                    if post["path"] == path:
                        return post["body"]
                await asyncio.sleep(0.02)


@pytest.fixture(scope="module")
async def response_urls():
    sink = ResponseUrls()
    async with serve_in_process(sink.app()) as url:
        sink.url = url
        yield sink


@pytest.fixture(scope="module")
async def gateway():
    """The gateway on a free port, calling the stand-in's Web API with its token."""
    server = standin_server()
    settings = GatewaySettings(signing_secret=SECRET, bot_token=server.settings.token, slack_api_url=server.api_url)
    async with running_gateway(settings) as running:
        yield running
