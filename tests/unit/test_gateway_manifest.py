"""deploy/slack/manifest.yml names what the gateway serves: URL, command, events, shortcut, scopes."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
import yaml

from services.gateway.bus import InMemoryBus
from services.gateway.config import GatewaySettings
from services.gateway.listeners.commands.oco import COMMAND
from services.gateway.main import create_app
from shared.slack_ids import CallbackId
from tests import slack_signing as slack

pytestmark = pytest.mark.unit

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "slack" / "manifest.yml"
SECRET = "manifest-secret"
SCOPES = {
    "chat:write", "im:write", "im:history", "channels:manage", "channels:read", "groups:read", "users:read", "reactions:read",
    "channels:history", "groups:history", "commands", "usergroups:write", "usergroups:read",
}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def gateway_paths() -> set[str]:
    return {route.path for route in create_app(GatewaySettings(signing_secret=SECRET), bus=InMemoryBus()).routes}


def test_every_request_url_is_the_gateways_one_endpoint(manifest):
    urls = [
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
        *[c["url"] for c in manifest["features"]["slash_commands"]],
    ]
    assert {urlparse(u).path for u in urls} == {"/slack/events"}
    assert "/slack/events" in gateway_paths()
    assert all(urlparse(u).scheme == "https" for u in urls)
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_the_command_and_the_shortcut_are_the_ones_the_gateway_handles(manifest):
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [COMMAND]
    [shortcut] = manifest["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", CallbackId.PROPOSE_SHORTCUT)
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_the_bot_has_exactly_the_scopes_it_needs(manifest):
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == SCOPES


async def test_every_subscribed_event_has_a_listener_of_its_own(manifest, caplog):
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert set(events) == {"team_join", "user_change", "message.channels", "message.groups", "reaction_added",
                           "reaction_removed", "app_home_opened"}
    app = create_app(GatewaySettings(signing_secret=SECRET), bus=InMemoryBus())
    samples = {
        "team_join": slack.team_join_event("U1"), "user_change": slack.user_change_event("U1"),
        "message": slack.message_event("U1", "C1"), "reaction_added": slack.reaction_event("U1", "C1", "1.0"),
        "reaction_removed": slack.reaction_event("U1", "C1", "1.0", added=False),
        "app_home_opened": slack.app_home_opened_event("U1", tab="messages"),  # no Web API call
    }
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
        for name in events:
            event = samples[name.split(".")[0]]
            with caplog.at_level(logging.DEBUG, logger="services.gateway.listeners.fallback"):
                caplog.clear()
                response = await slack.send(http, "/slack/events", slack.event_callback(event, team_id="T1"), SECRET)
            assert response.status_code == 200, name
            assert not [r for r in caplog.records if r.name.endswith("fallback")], f"{name} fell through to the catch-all"
        # The control: an event nobody subscribed to does reach the catch-all.
        with caplog.at_level(logging.DEBUG, logger="services.gateway.listeners.fallback"):
            caplog.clear()
            await slack.send(http, "/slack/events", slack.event_callback({"type": "emoji_changed"}, team_id="T1"), SECRET)
        assert [r for r in caplog.records if r.name.endswith("fallback")]
