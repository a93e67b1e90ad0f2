"""The operators' view on fakes: metric rates, dead-letter rows and the JSON API's edges."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter, generate_latest
from starlette.applications import Starlette

from shared import topics
from shared.envelope import TypedEvent, new_event
from shared.events import ResidentJoined
from services.dashboard import handlers
from services.dashboard.flow import Sample, dead_letter_view, per_minute, read_counters
from services.dashboard.store import InMemoryReadModel
from services.dashboard.views import CommunityCache, dashboard_routes

pytestmark = pytest.mark.unit


def metrics_text() -> str:
    registry = CollectorRegistry()
    consumed = Counter("oco_events_consumed_total", "", ["service", "topic", "outcome"], registry=registry)
    published = Counter("oco_events_published_total", "", ["service", "topic"], registry=registry)
    consumed.labels("roles", "role.granted", "handled").inc(30)
    consumed.labels("roles", "role.granted", "duplicate").inc(2)
    consumed.labels("other", "role.granted", "handled").inc(1000)  # another service in the same process
    published.labels("roles", "role.granted").inc(12)
    return generate_latest(registry).decode()


def test_counters_are_read_per_service_and_rated_per_minute():
    counters = read_counters(metrics_text(), "roles")
    assert counters == {"consumed": 32.0, "published": 12.0, "dead_lettered": 0.0}
    earlier = Sample(at=100.0, counters={"consumed": 2.0, "published": 12.0, "dead_lettered": 0.0})
    rates = per_minute(earlier, Sample(at=130.0, counters=counters))
    assert rates == {"consumed": 60.0, "published": 0.0, "dead_lettered": 0.0}
    assert per_minute(None, Sample(at=1.0, counters=counters))["consumed"] is None
    restarted = Sample(at=200.0, counters={"consumed": 1.0, "published": 0.0, "dead_lettered": 0.0})
    assert per_minute(Sample(at=130.0, counters=counters), restarted)["consumed"] is None


def dead(offset: int, reason: str, *, group: str = "oco-onboarding", minute: int = 0):
    headers = [
        ("dlq-reason", reason.encode()), ("dlq-error", b"InvalidEvent"), ("dlq-original-topic", b"resident.joined"),
        ("dlq-consumer-group", group.encode()), ("dlq-failed-at", datetime(2024, 5, 1, 0, minute, tzinfo=UTC).isoformat().encode()),
    ]
    value = new_event(type="resident.joined", subject="U1", tenant="TX", data=ResidentJoined(user_id="U1"), source="t", id=f"e{offset}").to_bytes()
    return handlers.dead_letter_of(topic="resident.joined.dlq", partition=0, offset=offset, headers=headers,
                                   value=value if offset % 2 else b"{not json", timestamp_ms=0)


async def test_dead_letters_are_counted_once_per_offset_with_the_latest_reasons_first():
    store = InMemoryReadModel()
    for i in range(8):
        await handlers.when_message_dead_lettered_record(dead(i, f"reason {i} xoxb-123-secret", minute=i), store=store)
    await handlers.when_message_dead_lettered_record(dead(3, "reason 3", minute=3), store=store)  # replayed
    await handlers.when_message_dead_lettered_record(dead(9, "other group", group="oco-dashboard", minute=9), store=store)
    [row] = await dead_letter_view(store)
    assert row["topic"] == "resident.joined" and row["count"] == 9
    assert row["by_group"] == {"oco-onboarding": 8, "oco-dashboard": 1}
    assert [r["reason"] for r in row["latest"]][:2] == ["other group", "reason 7 ***"]
    assert len(row["latest"]) == 5
    assert row["latest"][1]["tenant"] == "TX" and row["latest"][1]["event_id"] == "e7"
    assert row["latest"][2]["tenant"] is None  # the value was not even JSON


class FakeMonitor:
    async def latest(self) -> dict:
        return {"sampled_at": "now", "services": [{"name": "roles", "healthy": True}], "consumer_lag": [], "consumer_lag_error": None}


@pytest.fixture
async def api():
    store = InMemoryReadModel()
    routes = dashboard_routes(store=store, monitor=FakeMonitor(), zone=ZoneInfo("UTC"), departments=[], cache=CommunityCache(0))
    transport = httpx.ASGITransport(app=Starlette(routes=routes))
    async with httpx.AsyncClient(transport=transport, base_url="http://dashboard") as client:
        yield client, store


async def test_the_community_api_defaults_to_the_first_tenant_and_refuses_unknown_ones(api):
    client, store = api
    empty = (await client.get("/api/community")).json()
    assert empty["tenant"] is None and empty["totals"]["residents"] == 0
    for tenant in ("TFIRST", "TSECOND"):
        joined = new_event(type=topics.RESIDENT_JOINED.name, subject="U1", tenant=tenant, data=ResidentJoined(user_id="U1"), source="t")
        await handlers.when_resident_joined_record_join(TypedEvent(joined, joined.payload(ResidentJoined)), store=store)
    first = (await client.get("/api/community")).json()
    assert first["tenant"] == "TFIRST" and first["tenants"] == ["TFIRST", "TSECOND"]
    assert (await client.get("/api/community", params={"tenant": "TSECOND"})).json()["totals"]["residents"] == 1
    assert (await client.get("/api/community", params={"tenant": "T{$ne:1}"})).status_code == 404
    assert (await client.get("/api/community", params={"as_of": "yesterday"})).status_code == 400
    past = (await client.get("/api/community", params={"tenant": "TSECOND", "as_of": "2000-01-01T00:00:00Z"})).json()
    assert past["totals"]["residents"] == 0


async def test_services_page_and_asyncapi_are_served(api):
    client, _ = api
    services = (await client.get("/api/services")).json()
    assert services["services"][0]["name"] == "roles" and services["dead_letters"] == []
    page = await client.get("/")
    assert page.status_code == 200 and "/static/dashboard.js" in page.text
    assert (await client.get("/static/dashboard.js")).status_code == 200
    assert (await client.get("/asyncapi.json")).json()["asyncapi"] == "3.0.0"
    assert "resident.joined.dlq" in (await client.get("/asyncapi")).text

