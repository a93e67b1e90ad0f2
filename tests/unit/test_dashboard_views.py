"""What the page shows by default and how it names things: the city with the most residents
first, first-reply channels by department or known channel name, office roles apart from
the categories residents declare."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from starlette.applications import Starlette

from shared import topics
from shared.departments import Department
from shared.envelope import TypedEvent, new_event
from shared.events import ProjectChannelCreated, ProjectLaunched, ResidentJoined, ResidentLeft, RoleGranted, RoleRevoked
from services.dashboard import handlers
from services.dashboard.store import InMemoryReadModel
from services.dashboard.views import CommunityCache, by_residents, dashboard_routes
from tests.unit.test_dashboard_flow import FakeMonitor
from tests.unit.test_dashboard_insights import AS_OF, T, apply, at, event, posted, view

pytestmark = pytest.mark.unit


async def join(store, tenant: str, user: str, *, leave: bool = False) -> None:
    for topic, data in [(topics.RESIDENT_JOINED, ResidentJoined(user_id=user))] + (
            [(topics.RESIDENT_LEFT, ResidentLeft(user_id=user))] if leave else []):
        envelope = new_event(type=topic.name, subject=user, tenant=tenant, data=data, source="t")
        await handlers.routes(store)[topic](TypedEvent(envelope, envelope.payload(topic.model)))


async def test_without_a_tenant_the_page_shows_the_city_with_the_most_residents():
    store = InMemoryReadModel()
    for n in range(3):
        await join(store, "TBIG", f"U{n}")
    await join(store, "TA-LEFTOVER", "U1")
    for n in range(4):  # many joined, but all of them left again
        await join(store, "TB-LEFTOVER", f"U{n}", leave=True)
    routes = dashboard_routes(store=store, monitor=FakeMonitor(), zone=ZoneInfo("UTC"), departments=[],
                              cache=CommunityCache(30))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=Starlette(routes=routes)), base_url="http://d") as c:
        shown = (await c.get("/api/community")).json()
        assert shown["tenant"] == "TBIG" and shown["totals"]["residents"] == 3
        assert shown["tenants"] == ["TBIG", "TA-LEFTOVER", "TB-LEFTOVER"]
        assert (await c.get("/api/community", params={"tenant": "TA-LEFTOVER"})).json()["tenant"] == "TA-LEFTOVER"
        page = (await c.get("/")).text
    assert "?tenant=" in page


def test_cities_are_ordered_by_residents_then_by_id():
    assert by_residents(["TC", "TA", "TB"], {"TB": 2, "TC": 2}) == ["TB", "TC", "TA"]
    assert by_residents([], {}) == []


async def test_first_reply_channels_are_named_by_department_or_by_a_known_channel_name():
    store = InMemoryReadModel()
    q = at(2, 1, 9)
    for channel in ("CMOVE", "CPHOTO", "CPROJ", "CRANDOM"):
        await apply(store, posted("U1", channel, q))
        await apply(store, posted("U2", channel, q + timedelta(minutes=5), thread=q))
    launched = ProjectLaunched(project_id="PR1", proposal_id="P1", name="Trial stays", owner_id="U1",
                               channel_id="CPROJ")
    await apply(store, event(topics.PROJECT_LAUNCHED, launched, subject="PR1", time=at(2)))
    created = ProjectChannelCreated(project_id="PR1", proposal_id="P1", channel_id="CPROJ", name="proj-trial-stays")
    await apply(store, event(topics.PROJECT_CHANNEL_CREATED, created, subject="PR1", time=at(2)))
    photos_named = ProjectChannelCreated(project_id="PR2", proposal_id="P2", channel_id="CPHOTO", name="写真課")
    await apply(store, event(topics.PROJECT_CHANNEL_CREATED, photos_named, subject="PR2", time=at(2)))
    departments = [
        Department(key="moving", name_ja="移住課", name_en="Moving Here", channel_id="CMOVE", channel_name="移住課"),
        Department(key="photos", name_ja="写真課", name_en="Photos", channel_name="写真課"),  # no id configured
    ]
    result = await view(store, departments=departments)
    rows = {r["channel_id"]: r for r in result["first_reply"]}
    assert rows["CMOVE"]["name_en"] == "Moving Here" and rows["CPHOTO"]["department"] == "photos"
    assert rows["CPROJ"]["department"] is None and rows["CRANDOM"]["department"] is None
    assert result["channel_names"]["CPROJ"] == "proj-trial-stays" and "CRANDOM" not in result["channel_names"]
    assert [r["channel_id"] for r in result["first_reply"]][:2] == ["CMOVE", "CPHOTO"]  # departments first


async def test_office_roles_are_counted_apart_from_category_roles():
    store = InMemoryReadModel()
    for n, role in enumerate(["employee", "employee", "section_chief", "citizen", "remote_citizen", "ambassador"]):
        await apply(store, event(topics.ROLE_GRANTED, RoleGranted(user_id=f"U{n}", role=role, grant_id=f"G{n}"),
                                 time=at(2, n + 1)))
    for n, role in enumerate(["citizen", "employee"]):
        await apply(store, event(topics.ROLE_REVOKED, RoleRevoked(user_id=f"U{n}", role=role), time=at(3, n + 1)))
    result = await view(store)
    assert result["applications"]["granted_by_role"] == {"employee": 2, "section_chief": 1, "ambassador": 1}
    assert result["applications"]["revoked_by_role"] == {"employee": 1}
    assert result["category_roles"] == {"granted_by_category": {"citizen": 1, "remote_citizen": 1},
                                        "revoked_by_category": {"citizen": 1}}
    assert result["tenant"] == T and result["as_of"] == AS_OF.isoformat()
