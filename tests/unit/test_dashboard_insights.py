"""The read model's numbers on the in-memory fake: buckets, activity, replies, replays."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared import topics
from shared.departments import Department
from shared.envelope import TypedEvent, new_event
from shared.events import (
    Category,
    MessagePosted,
    ProjectCompleted,
    ProjectLaunched,
    ProjectProgressReported,
    ProposalAnswered,
    ProposalStatus,
    ProposalStatusChanged,
    ProposalCreated,
    ProposalSupported,
    ProposalUnsupported,
    ReactionAdded,
    ReactionRemoved,
    ResidentJoined,
    ResidentLeft,
    ResidentMovedIn,
    ResidentOnboarded,
    ResidentRegistered,
    RoleApplicationRejected,
    RoleApplicationSubmitted,
    RoleGranted,
)
from services.dashboard import handlers
from services.dashboard.community import load_community
from services.dashboard.store import InMemoryReadModel

pytestmark = pytest.mark.unit

T = "TCITY"
UTC_ZONE = ZoneInfo("UTC")
AS_OF = datetime(2024, 4, 15, 12, tzinfo=UTC)


def at(month: int, day: int = 1, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


def event(topic: topics.Topic, data, *, subject: str = "S", time: datetime | None = None, id: str | None = None):
    envelope = new_event(type=topic.name, subject=subject, tenant=T, data=data, source="tests", id=id, time=time or at(1))
    return envelope


async def apply(store, envelope) -> None:
    """Run the dashboard handler of the envelope's topic, as the consumer would."""
    topic = topics.topic(envelope.type)
    await handlers.routes(store)[topic](TypedEvent(envelope, envelope.payload(topic.model)))


async def view(store, as_of: datetime = AS_OF, departments: list[Department] | None = None) -> dict:
    return await load_community(store, tenant=T, as_of=as_of, zone=UTC_ZONE, departments=departments or [])


def joined(user: str, when: datetime, *, arrived: datetime | None = None):
    # The envelope time is when it reached the bus (an import arrives long after the join).
    return event(topics.RESIDENT_JOINED, ResidentJoined(user_id=user, joined_at=when, via="import"), subject=user,
                 time=arrived or AS_OF)


def onboarded(user: str, category: Category, when: datetime):
    return event(topics.RESIDENT_ONBOARDED, ResidentOnboarded(user_id=user, category=category), subject=user, time=when)


def left(user: str, when: datetime):
    return event(topics.RESIDENT_LEFT, ResidentLeft(user_id=user), subject=user, time=when)


def posted(user: str, channel: str, ts: datetime, *, thread: datetime | None = None, deleted: bool = False, edited: bool = False):
    data = MessagePosted(
        user_id=user, channel_id=channel, ts=f"{ts.timestamp():.6f}", posted_at=ts,
        thread_ts=f"{thread.timestamp():.6f}" if thread else None, deleted=deleted, edited=edited,
    )
    return event(topics.MESSAGE_POSTED, data, subject=f"{channel}:{data.ts}", time=AS_OF)


def reaction(user: str, message_ts: datetime, when: datetime, *, removed: bool = False, name: str = "bulb"):
    model, topic = (ReactionRemoved, topics.REACTION_REMOVED) if removed else (ReactionAdded, topics.REACTION_ADDED)
    data = model(user_id=user, channel_id="C1", message_ts=f"{message_ts.timestamp():.6f}", reaction=name, reacted_at=when)
    return event(topic, data, time=AS_OF)


async def test_residents_are_bucketed_by_their_own_time_and_category():
    store = InMemoryReadModel()
    history = [
        joined("U1", at(1, 5)), onboarded("U1", Category.CITIZEN, at(1, 6)),
        joined("U2", at(1, 20)), onboarded("U2", Category.REMOTE_CITIZEN, at(2, 2)),
        joined("U3", at(2, 10)),  # never onboarded
        joined("U4", at(3, 1)), onboarded("U4", Category.PROSPECTIVE_MIGRANT, at(3, 2)), left("U4", at(3, 20)),
        onboarded("U2", Category.PROSPECTIVE_MIGRANT, at(4, 1)),  # changed category in April
    ]
    for envelope in history:
        await apply(store, envelope)
    result = await view(store)
    assert result["months"] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    series = result["series"]["residents_by_category"]
    assert series["citizen"] == [1, 1, 1, 1]
    assert series["remote_citizen"] == [0, 1, 1, 0]
    assert series["prospective_migrant"] == [0, 0, 0, 1]  # U4 came and went within March
    assert series["unknown"] == [1, 1, 1, 1]  # U2 in January, then U3 from February
    assert result["series"]["joined"] == [2, 1, 1, 0]
    assert result["series"]["onboarded"] == [1, 1, 1, 0]
    assert result["series"]["left"] == [0, 0, 1, 0]
    totals = result["totals"]
    assert totals["residents"] == 3 and totals["joined"] == 4 and totals["onboarded"] == 3 and totals["left"] == 1
    assert totals["residents_by_category"] == {"citizen": 1, "prospective_migrant": 1, "remote_citizen": 0, "unknown": 1}


async def test_a_join_and_onboardings_registration_of_it_count_once():
    store = InMemoryReadModel()
    await apply(store, joined("U1", at(2, 3)))
    registered = ResidentRegistered(user_id="U1", joined_at=at(2, 3))
    await apply(store, event(topics.RESIDENT_REGISTERED, registered, subject="U1", time=AS_OF))
    assert (await view(store))["totals"]["joined"] == 1


async def test_a_leave_that_arrives_before_the_join_still_wins_when_it_happened_later():
    store = InMemoryReadModel()
    await apply(store, left("U1", at(3, 5)))
    await apply(store, joined("U1", at(2, 1)))
    await apply(store, left("U2", at(1, 5)))
    await apply(store, joined("U2", at(2, 1)))  # came back after leaving
    result = await view(store)
    assert result["series"]["residents_by_category"]["unknown"] == [0, 2, 1, 1]
    assert result["totals"]["residents"] == 1


async def test_posts_count_once_per_message_and_deleted_ones_not_at_all():
    store = InMemoryReadModel()
    first, second, third = at(1, 10), at(2, 3), at(2, 4)
    for envelope in [
        posted("U1", "C1", first), posted("U1", "C1", first),  # a redelivery with a new event id
        posted("U1", "C1", first, edited=True),
        posted("U2", "C1", second), posted("U2", "C2", second),  # same ts, other channel: another message
        posted("U3", "C1", third), posted("U3", "C1", third, deleted=True),
    ]:
        await apply(store, envelope)
    result = await view(store)
    assert result["series"]["posts"][:2] == [1, 2]
    assert result["totals"]["posts"] == 3


async def test_reactions_count_once_per_person_emoji_and_message_with_removals_tracked():
    store = InMemoryReadModel()
    message = at(1, 2)
    for envelope in [
        reaction("U1", message, at(1, 3)), reaction("U1", message, at(1, 3)),  # duplicate
        reaction("U1", message, at(1, 4), name="+1"),
        reaction("U2", message, at(2, 1)), reaction("U2", message, at(2, 2), removed=True),
        reaction("U3", message, at(2, 5)), reaction("U3", message, at(2, 6), removed=True), reaction("U3", message, at(3, 1)),
    ]:
        await apply(store, envelope)
    result = await view(store)
    # A removal that arrives before its add (another topic) still wins when it happened later.
    await apply(store, reaction("U4", message, at(3, 9), removed=True))
    await apply(store, reaction("U4", message, at(3, 8)))
    again = await view(store)
    assert result["series"]["reactions"] == [2, 0, 1, 0]
    assert result["totals"]["reactions"] == again["totals"]["reactions"] == 3


async def test_active_residents_posted_or_reacted_within_30_days_of_as_of():
    store = InMemoryReadModel()
    as_of = at(4, 15, 12)
    for envelope in [
        joined("U1", at(1, 1)), onboarded("U1", Category.CITIZEN, at(1, 1)),
        posted("U1", "C1", as_of - timedelta(days=29)),  # inside
        posted("U2", "C1", as_of - timedelta(days=31)),  # outside
        reaction("U3", at(1, 1), as_of - timedelta(days=1)),  # inside, by reacting
        posted("U4", "C1", as_of + timedelta(days=1)),  # after as_of: does not count at all
    ]:
        await apply(store, envelope)
    result = await view(store, as_of=as_of)
    assert result["totals"]["active_residents"] == 2
    assert result["totals"]["active_by_category"]["citizen"] == 1
    assert result["totals"]["active_by_category"]["unknown"] == 1
    earlier = await view(store, as_of=as_of - timedelta(days=5))
    assert earlier["totals"]["active_residents"] == 2  # U1 and U2 (31 - 5 = 26 days back)


async def test_median_time_to_a_first_reply_from_someone_else_per_channel():
    store = InMemoryReadModel()
    q1, q2, q3, q4 = at(1, 1, 9), at(1, 2, 9), at(1, 3, 9), at(1, 4, 9)
    for envelope in [
        posted("U1", "CMOVE", q1), posted("U1", "CMOVE", q1 + timedelta(minutes=1), thread=q1),  # own reply: ignored
        posted("U2", "CMOVE", q1 + timedelta(minutes=10), thread=q1),
        posted("U3", "CMOVE", q1 + timedelta(minutes=50), thread=q1),  # not the first
        posted("U1", "CMOVE", q2), posted("U2", "CMOVE", q2 + timedelta(minutes=30), thread=q2),
        posted("U1", "CMOVE", q3), posted("U2", "CMOVE", q3 + timedelta(hours=2), thread=q3),
        posted("U1", "CMOVE", q4),  # unanswered
        posted("U5", "COTHER", q1),
    ]:
        await apply(store, envelope)
    moving = Department(key="moving", name_ja="移住課", name_en="Moving Here", channel_id="CMOVE", channel_name="移住課")
    rows = (await view(store, departments=[moving]))["first_reply"]
    assert rows[0] == {
        "channel_id": "CMOVE", "department": "moving", "name_ja": "移住課", "name_en": "Moving Here",
        "questions": 4, "answered": 3, "median_minutes": 30.0,
    }
    assert rows[1]["channel_id"] == "COTHER" and rows[1]["median_minutes"] is None


async def test_proposals_projects_applications_and_the_funnel():
    store = InMemoryReadModel()
    created = [event(topics.PROPOSAL_CREATED, ProposalCreated(proposal_id=f"P{i}", user_id="U1", title=f"Idea {i}"),
                     subject=f"P{i}", time=at(2, i + 1)) for i in range(4)]
    history = [
        *created,
        event(topics.PROPOSAL_SUPPORTED, ProposalSupported(proposal_id="P0", user_id="U2", supports=1), time=at(2, 9)),
        event(topics.PROPOSAL_SUPPORTED, ProposalSupported(proposal_id="P0", user_id="U3", supports=2), time=at(2, 9)),
        event(topics.PROPOSAL_SUPPORTED, ProposalSupported(proposal_id="P1", user_id="U2", supports=1), time=at(2, 9)),
        event(topics.PROPOSAL_UNSUPPORTED, ProposalUnsupported(proposal_id="P1", user_id="U2", supports=0), time=at(2, 10)),
        event(topics.PROPOSAL_ANSWERED, ProposalAnswered(proposal_id="P0", answered_by="U9", decision="accepted", answer="yes"), time=at(3, 1)),
        event(topics.PROPOSAL_ANSWERED, ProposalAnswered(proposal_id="P1", answered_by="U9", decision="declined", answer="no"), time=at(3, 1)),
        event(topics.PROPOSAL_ANSWERED, ProposalAnswered(proposal_id="P2", answered_by="U9", decision="accepted", answer="ok"), time=at(3, 1)),
        event(topics.PROJECT_LAUNCHED, ProjectLaunched(project_id="J2", proposal_id="P2", name="Trial stay", owner_id="U1"), time=at(3, 2)),
        event(topics.PROJECT_PROGRESS_REPORTED, ProjectProgressReported(project_id="J2", proposal_id="P2", user_id="U1", text="week 1"), time=at(3, 9)),
        event(topics.PROJECT_COMPLETED, ProjectCompleted(project_id="J2", summary="done"), time=at(4, 1)),
        # The projects service's own word: P3 is under review; a late "accepted" for P2 changes nothing.
        event(topics.PROPOSAL_STATUS_CHANGED, ProposalStatusChanged(proposal_id="P3", title="Idea 3", status=ProposalStatus.UNDER_REVIEW, author_id="U1"), time=at(3, 5)),
        event(topics.PROPOSAL_STATUS_CHANGED, ProposalStatusChanged(proposal_id="P2", title="Idea 2", status=ProposalStatus.ACCEPTED, author_id="U1"), time=at(3, 1)),
        event(topics.ROLE_APPLICATION_REJECTED, RoleApplicationRejected(application_id="A9", user_id="U3", rejected_by="U9"), time=at(3, 6)),
        event(topics.ROLE_APPLICATION_SUBMITTED, RoleApplicationSubmitted(user_id="U2", motivation="help", hours_per_month=4), time=at(3, 3)),
        event(topics.ROLE_GRANTED, RoleGranted(user_id="U2", role="employee"), time=at(3, 4)),
        joined("U1", at(1, 1)), onboarded("U1", Category.PROSPECTIVE_MIGRANT, at(1, 2)),
        event(topics.RESIDENT_MOVED_IN, ResidentMovedIn(user_id="U1", moved_in_on=at(3, 15)), subject="U1", time=AS_OF),
        joined("U2", at(1, 1)), onboarded("U2", Category.CITIZEN, at(1, 2)),
        joined("U3", at(1, 1)),
    ]
    for envelope in history:
        await apply(store, envelope)
    result = await view(store)
    assert result["proposals"]["by_status"] == {
        "open": 0, "under_review": 1, "accepted": 1, "declined": 1, "launched": 0, "completed": 1,
    }
    assert result["proposals"]["supports"] == 2
    assert result["proposals"]["top"][0] == {"proposal_id": "P0", "title": "Idea 0", "department": None, "status": "accepted", "supports": 2}
    assert result["projects"]["launched"] == 1 and result["projects"]["completed"] == 1 and result["projects"]["active"] == 0
    assert result["projects"]["recent"][0]["updates"] == 1
    assert result["applications"] == {"submitted": 1, "rejected": 1, "granted_by_role": {"employee": 1}, "revoked_by_role": {}}
    funnel = result["funnel"]
    assert funnel["all"] == {"joined": 3, "onboarded": 2, "moved_in": 1}
    assert funnel["by_category"]["prospective_migrant"] == {"joined": 1, "onboarded": 1, "moved_in": 1}
    assert funnel["by_category"]["unknown"] == {"joined": 1, "onboarded": 0, "moved_in": 0}
    before_completion = await view(store, as_of=at(3, 20))
    assert before_completion["proposals"]["by_status"]["launched"] == 1


async def test_replaying_everything_twice_in_any_order_gives_the_same_numbers():
    history = [
        joined("U1", at(1, 5)), onboarded("U1", Category.CITIZEN, at(1, 6)), joined("U2", at(2, 1)), left("U2", at(3, 1)),
        posted("U1", "C1", at(1, 7)), posted("U2", "C1", at(1, 8), thread=at(1, 7)), reaction("U2", at(1, 7), at(1, 9)),
        reaction("U2", at(1, 7), at(2, 1), removed=True), posted("U1", "C1", at(3, 3)),
    ]
    once = InMemoryReadModel()
    for envelope in history:
        await apply(once, envelope)
    replayed = InMemoryReadModel()
    shuffled = history * 2
    random.Random(7).shuffle(shuffled)
    for envelope in shuffled:
        await apply(replayed, envelope)
    assert await view(replayed) == await view(once)


async def test_the_read_model_keeps_no_slack_user_ids():
    store = InMemoryReadModel()
    await apply(store, joined("UPRIVATE1", at(1, 1)))
    await apply(store, posted("UPRIVATE1", "C1", at(1, 2)))
    assert "UPRIVATE1" not in repr(dict(store.rows))
