"""Hostile requests at the gateway's Slack edge: refused with a 4xx (or ignored with a 200),
never a 500 or an exception out of the app, and nothing published."""

from __future__ import annotations

import httpx
import pytest

from services.gateway.bus import InMemoryBus
from services.gateway.config import GatewaySettings
from services.gateway.main import create_app
from tests import slack_signing as slack

pytestmark = pytest.mark.unit

SECRET = "hostile-signing-secret"
TEAM, USER = "T0HOSTILE", "U0MALLORY"


@pytest.fixture
async def gateway():
    bus = InMemoryBus()
    app = create_app(GatewaySettings(signing_secret=SECRET, slack_api_url="http://127.0.0.1:9/api/"), bus=bus)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
        http.bus = bus
        yield http


async def post(http: httpx.AsyncClient, body: bytes, **headers: str | bytes) -> httpx.Response:
    return await http.post("/slack/events", content=body, headers={**slack.signed_headers(body, SECRET), **headers})


@pytest.mark.parametrize("headers", [
    {"X-Slack-Signature": "v0=é".encode()},                      # non-ASCII: compare_digest raised TypeError
    {"X-Slack-Signature": b"v0=\xff\xfe"},
    {"X-Slack-Request-Timestamp": b"9" * 5000},                   # int() of 5000 digits raised ValueError
    {"X-Slack-Request-Timestamp": "١٢٣".encode()},
])
async def test_garbled_signature_headers_are_refused_without_a_signature_check_crash(gateway, headers):
    response = await post(gateway, slack.url_verification("c"), **headers)
    assert response.status_code == 401
    assert gateway.bus.events == []
