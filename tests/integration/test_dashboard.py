"""A known history on the real broker → the dashboard's consumers → exact numbers on its API;
replays change nothing, a rebuild gives the same numbers, dead letters show their reasons."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import uvicorn
from aiokafka import TopicPartition
from starlette.applications import Starlette

from shared import topics
from shared.admin import _admin
from shared.envelope import CONTENT_TYPE, CloudEvent, new_event
from shared.events import (
    Category,
    MessagePosted,
    ProjectLaunched,
    ProposalAnswered,
    ProposalCreated,
    ProposalSupported,
    ReactionAdded,
    ReactionRemoved,
    ResidentJoined,
    ResidentLeft,
    ResidentMovedIn,
    ResidentOnboarded,
    RoleApplicationSubmitted,
    RoleGranted,
)
from shared.service import health_routes
from shared.store import connect
from services.dashboard.config import DashboardSettings
from services.dashboard.main import build, create_app
from services.dashboard.rebuild import rebuild
from tests.support import publish, raw_producer, unique, wait_for_assignment, wait_until

pytestmark = pytest.mark.integration

AS_OF = "2024-04-01T00:00:00+00:00"


def at(month: int, day: int, minute: int = 0) -> datetime:
    return datetime(2024, month, day, 9, minute, tzinfo=UTC)


def known_history(tenant: str) -> list[CloudEvent]:
    """Three residents, a few posts and reactions, a proposal that became a project."""
    u1, u2, u3 = unique("U"), unique("U"), unique("U")

    def ev(topic: topics.Topic, data, *, subject: str, time: datetime) -> CloudEvent:
        return new_event(type=topic.name, subject=subject, tenant=tenant, data=data, source="tests", time=time)

    def post(user: str, when: datetime, *, thread: datetime | None = None, deleted: bool = False) -> CloudEvent:
        data = MessagePosted(user_id=user, channel_id="CMOVE", ts=f"{when.timestamp():.6f}", posted_at=when,
                             thread_ts=f"{thread.timestamp():.6f}" if thread else None, deleted=deleted)
        return ev(topics.MESSAGE_POSTED, data, subject=f"CMOVE:{data.ts}", time=when)

    def react(model, user: str, message: datetime, when: datetime) -> CloudEvent:
        topic = topics.REACTION_ADDED if model is ReactionAdded else topics.REACTION_REMOVED
        data = model(user_id=user, channel_id="CMOVE", message_ts=f"{message.timestamp():.6f}", reaction="bulb", reacted_at=when)
        return ev(topic, data, subject=f"CMOVE:{data.message_ts}", time=when)

    question = at(1, 7)
    return [
        ev(topics.RESIDENT_JOINED, ResidentJoined(user_id=u1, joined_at=at(1, 5)), subject=u1, time=at(3, 20)),
        ev(topics.RESIDENT_JOINED, ResidentJoined(user_id=u2, joined_at=at(1, 20)), subject=u2, time=at(3, 20)),
        ev(topics.RESIDENT_JOINED, ResidentJoined(user_id=u3, joined_at=at(2, 10)), subject=u3, time=at(3, 20)),
        ev(topics.RESIDENT_ONBOARDED, ResidentOnboarded(user_id=u1, category=Category.CITIZEN), subject=u1, time=at(1, 6)),
        ev(topics.RESIDENT_ONBOARDED, ResidentOnboarded(user_id=u2, category=Category.REMOTE_CITIZEN), subject=u2, time=at(2, 2)),
        ev(topics.RESIDENT_LEFT, ResidentLeft(user_id=u3), subject=u3, time=at(3, 1)),
        ev(topics.RESIDENT_MOVED_IN, ResidentMovedIn(user_id=u1, moved_in_on=at(3, 15)), subject=u1, time=at(3, 16)),
        post(u1, question),
        post(u2, question + timedelta(minutes=20), thread=question),
        post(u2, at(2, 3)),
        post(u1, at(3, 10)),
        post(u1, at(3, 10), deleted=True),
        post(u2, at(3, 12)),
        react(ReactionAdded, u2, question, at(1, 8)),
        react(ReactionAdded, u1, at(2, 3), at(2, 4)),
        react(ReactionRemoved, u1, at(2, 3), at(2, 5)),
        ev(topics.PROPOSAL_CREATED, ProposalCreated(proposal_id=f"P-{tenant}", user_id=u1, title="Trial stays"),
           subject=f"P-{tenant}", time=at(2, 6)),
        ev(topics.PROPOSAL_SUPPORTED, ProposalSupported(proposal_id=f"P-{tenant}", user_id=u2, supports=1),
           subject=f"P-{tenant}", time=at(2, 7)),
        ev(topics.PROPOSAL_ANSWERED, ProposalAnswered(proposal_id=f"P-{tenant}", answered_by=u2, decision="accepted", answer="Yes"),
           subject=f"P-{tenant}", time=at(2, 20)),
        ev(topics.PROJECT_LAUNCHED, ProjectLaunched(project_id=f"J-{tenant}", proposal_id=f"P-{tenant}", name="Trial stay support",
                                                    owner_id=u1), subject=f"J-{tenant}", time=at(3, 2)),
        ev(topics.ROLE_APPLICATION_SUBMITTED, RoleApplicationSubmitted(user_id=u2, motivation="help", hours_per_month=5),
           subject=u2, time=at(2, 8)),
        ev(topics.ROLE_GRANTED, RoleGranted(user_id=u2, role="employee"), subject=u2, time=at(2, 9)),
    ]


# Topics whose rows are keyed by what the data names, so a copy under a new event id collapses.
NATURALLY_KEYED = {
    t.name for t in (topics.RESIDENT_JOINED, topics.RESIDENT_MOVED_IN, topics.MESSAGE_POSTED, topics.REACTION_ADDED,
                     topics.REACTION_REMOVED, topics.PROPOSAL_CREATED, topics.PROPOSAL_SUPPORTED, topics.PROJECT_LAUNCHED)
}

EXPECTED_TOTALS = {
    "residents": 2, "residents_by_category": {"citizen": 1, "prospective_migrant": 0, "remote_citizen": 1, "unknown": 0},
    "joined": 3, "onboarded": 2, "left": 1, "moved_in": 1, "posts": 4, "reactions": 1, "active_residents": 1,
    "active_by_category": {"citizen": 0, "prospective_migrant": 0, "remote_citizen": 1, "unknown": 0},
    "proposals": 1, "supports": 1, "projects": 1, "applications": 1, "announcements": 0,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def serving(app: Starlette, port: int):
    """Serve an ASGI app on a real port for the duration of the block."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve())
    await wait_until(lambda: asyncio.sleep(0, result=server.started), timeout=60)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def dashboard_settings(**overrides) -> DashboardSettings:
    """Settings for a test: no caching, quick sampling, and a database of its own.

    FerretDB scans a whole collection for every query not by one `_id`, so a read model shared by every test
    run would grow slower with each one; `own_database` drops it afterwards."""
    return DashboardSettings(handler_backoff_seconds=0.01, dashboard_cache_seconds=0, dashboard_poll_seconds=1,
                             database_prefix=f"t{unique('').lower()}_", **overrides)


@contextlib.asynccontextmanager
async def own_database(settings: DashboardSettings):
    """Drop the test's dashboard database when the test is done."""
    try:
        yield
    finally:
        mongo = connect(settings.mongo_url.get_secret_value())
        try:
            await mongo.drop_database(f"{settings.database_prefix}oco_dashboard")
        finally:
            await mongo.close()


@pytest.fixture
async def running():
    """The dashboard on a free port, watching one healthy fake service and one that is down."""

    async def ready() -> dict[str, str]:
        return {"store": "ok", "bus": "ok"}

    roles_port, down_port, port = free_port(), free_port(), free_port()
    settings = dashboard_settings(service_urls={"roles": f"http://127.0.0.1:{roles_port}", "notifier": f"http://127.0.0.1:{down_port}"})
    dashboard = build(settings)
    async with own_database(settings), serving(Starlette(routes=health_routes(ready, "roles")), roles_port):
        async with serving(create_app(dashboard=dashboard), port) as base:
            await wait_for_assignment(dashboard.runtime)
            async with httpx.AsyncClient(base_url=base, timeout=10) as client:
                yield dashboard, client


async def community(client: httpx.AsyncClient, tenant: str) -> dict:
    response = await client.get("/api/community", params={"tenant": tenant, "as_of": AS_OF})
    if response.status_code != 200:
        return {}
    view = response.json()
    view.pop("tenants")  # other tests' tenants come and go
    return view


async def numbers_reach(client: httpx.AsyncClient, tenant: str, totals: dict, timeout: float = 90) -> dict:
    """The community view once its totals are `totals`; on time-out, the difference."""
    last: dict = {}

    async def reached():
        nonlocal last
        last = await community(client, tenant)
        return last.get("totals") == totals

    with contextlib.suppress(AssertionError):
        await wait_until(reached, timeout=timeout, interval=0.5)
    assert last.get("totals") == totals
    return last


async def publish_marked(producer, event: CloudEvent, marks: dict[TopicPartition, int]) -> None:
    """Publish and remember the furthest offset written per partition."""
    sent = await producer.send_and_wait(event.type, event.to_bytes(), key=event.subject.encode(),
                                        headers=[("content-type", CONTENT_TYPE.encode())])
    tp = TopicPartition(sent.topic, sent.partition)
    marks[tp] = max(marks.get(tp, -1), sent.offset)


async def handled_past(settings: DashboardSettings, marks: dict[TopicPartition, int]) -> bool:
    """The dashboard's groups have committed (so handled) every marked offset.

    Lag is no test of that on a shared broker, where others keep publishing."""
    admin = _admin(settings.kafka)
    await admin.start()
    try:
        for tp, offset in marks.items():
            group = f"{settings.consumer_group_prefix}-dashboard.{tp.topic}"
            committed = await admin.list_consumer_group_offsets(group, partitions=[tp])
            if tp not in committed or committed[tp].offset <= offset:
                return False
    finally:
        await admin.close()
    return True


async def test_known_history_gives_exact_numbers_that_replays_and_a_rebuild_keep(running):
    dashboard, client = running
    tenant = unique("T")
    history = known_history(tenant)
    async with raw_producer() as producer:
        for event in history:
            await publish(producer, event)

        first = await numbers_reach(client, tenant, EXPECTED_TOTALS)
        assert first["months"] == ["2024-01", "2024-02", "2024-03", "2024-04"]
        assert first["series"]["posts"] == [2, 1, 1, 0]
        assert first["series"]["reactions"] == [1, 0, 0, 0]
        assert first["series"]["residents_by_category"]["citizen"] == [1, 1, 1, 1]
        assert first["series"]["residents_by_category"]["unknown"] == [1, 1, 0, 0]
        assert first["funnel"]["by_category"]["citizen"] == {"joined": 1, "onboarded": 1, "moved_in": 1}
        assert first["proposals"]["by_status"]["launched"] == 1
        assert first["first_reply"][0]["median_minutes"] == 20.0

        marks: dict[TopicPartition, int] = {}
        for event in history:  # the same events again; where the data names the thing, also under new ids
            await publish_marked(producer, event, marks)
            if event.type in NATURALLY_KEYED:
                await publish_marked(producer, event.model_copy(update={"id": unique("dup-")}), marks)
    await wait_until(lambda: handled_past(dashboard.settings, marks), timeout=90, interval=0.5)
    assert await community(client, tenant) == first

    report = await rebuild(dashboard.settings, tenant=tenant)
    # At least ours: other test sessions' services may have answered our events meanwhile.
    assert report.applied >= 2 * len(history) + sum(e.type in NATURALLY_KEYED for e in history)
    assert await community(client, tenant) == first


async def test_a_dead_letter_shows_up_with_its_reason_in_the_services_view(running):
    dashboard, client = running
    tenant = unique("T")
    broken = new_event(type=topics.RESIDENT_JOINED.name, subject="U1", tenant=tenant, data=ResidentJoined(user_id="U1"), source="tests")
    broken = broken.model_copy(update={"data": {"display_name": "no user id"}})
    async with raw_producer() as producer:
        await publish(producer, broken)

    group = f"{dashboard.settings.consumer_group_prefix}-dashboard.resident.joined"

    async def reported():
        view = (await client.get("/api/services")).json()
        rows = [r for r in view["dead_letters"] if r["topic"] == topics.RESIDENT_JOINED.name]
        # Other test sessions' services may dead-letter the same message under their groups.
        mine = [d for r in rows for d in r["latest"] if d["tenant"] == tenant and d["group"] == group]
        lagging = {g["group"] for g in view["consumer_lag"] if g["service"] == "dashboard"}
        return (view, mine[0]) if mine and group in lagging else None

    view, dead = await wait_until(reported, timeout=60, interval=0.5)
    assert "user_id" in dead["reason"] and dead["error"] == "InvalidEvent"
    services = {s["name"]: s for s in view["services"]}
    assert services["roles"]["healthy"] and services["roles"]["ready"]
    assert not services["notifier"]["healthy"] and services["notifier"]["error"].startswith("unreachable")
    assert services["dashboard"]["ready"]
