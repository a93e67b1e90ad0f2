"""Socket Mode: the gateway opens a WebSocket with its app token and acks only what it published.

A tiny fake of Slack's Socket Mode side stands in: `apps.connections.open` (on SLACK_API_URL)
hands out a ws:// URL, and that socket delivers one Events API envelope.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import WSMsgType, web

from services.gateway.config import GatewaySettings
from shared import topics
from tests import slack_signing as slack
from tests.e2e.gateway import running_gateway
from tests.support import TopicWatcher, unique

pytestmark = pytest.mark.integration

APP_TOKEN = "xapp-1-A0OCO-socket-test"


class FakeSocketModeSlack:
    def __init__(self, envelope: dict) -> None:
        self.envelope = envelope
        self.tokens: list[str] = []
        self.acks: asyncio.Queue = asyncio.Queue()
        self.url = ""

    async def connections_open(self, request: web.Request) -> web.Response:
        self.tokens.append(request.headers.get("Authorization", ""))
        return web.json_response({"ok": True, "url": f"{self.url.replace('http', 'ws')}/link"})

    async def link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {}, "connection_info": {}})
        await ws.send_json(self.envelope)
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                await self.acks.put(json.loads(message.data))
        return ws

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/apps.connections.open", self.connections_open)
        app.router.add_get("/link", self.link)
        return app


async def test_socket_mode_receives_publishes_and_acknowledges():
    tenant, user, event_id = unique("T"), unique("U"), unique("Ev")
    payload = json.loads(slack.event_callback(slack.team_join_event(user, team_id=tenant), team_id=tenant, event_id=event_id))
    fake = FakeSocketModeSlack({"envelope_id": "env-1", "type": "events_api", "payload": payload,
                                "accepts_response_payload": False, "retry_attempt": 0, "retry_reason": ""})
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    settings = GatewaySettings(slack_socket_mode=True, app_token=APP_TOKEN, slack_api_url=f"{fake.url}/api/")
    try:
        async with TopicWatcher(topics.RESIDENT_JOINED.name) as joined, running_gateway(settings) as gw:
            [event] = await joined.events_for(tenant)
            ack = await asyncio.wait_for(fake.acks.get(), 10)
            ready = await gw.http.get(f"{gw.url}/readyz")
            not_served = await gw.http.post(f"{gw.url}/slack/events", content=b"{}")
    finally:
        await runner.cleanup()
    assert fake.tokens == [f"Bearer {APP_TOKEN}"]
    assert event.id == event_id and event.data["user_id"] == user
    assert ack == {"envelope_id": "env-1"}
    assert ready.json()["checks"] == {"bus": "ok", "slack_socket_mode": "ok"}
    assert not_served.status_code in (404, 405)  # Socket Mode: no public request URL
