"""The residents' handlers on in-memory stores, talking to the Slack stand-in (no Kafka)."""

from __future__ import annotations

import pytest

from shared import topics
from shared.departments import Department
from shared.envelope import TypedEvent, new_event
from shared.events import ResidentErased, ResidentJoined, ResidentOnboarded
from shared.slack_ids import ActionId
from shared.testing import FakePublisher
from services.notifier.errors import DeliveryRefused
from services.notifier.handlers import reporting_refusals
from services.notifier.handlers.residents import (
    when_resident_erased_forget,
    when_resident_joined_send_welcome,
    when_resident_onboarded_welcome_and_invite,
)
from services.notifier.store import InMemoryResidentCache
from tests.standin_fixture import slack_standin  # noqa: F401  (fixture)
from tests.unit.test_notifier_delivery import make_delivery

pytestmark = pytest.mark.unit

DEPARTMENTS = [
    Department(key="moving", name_ja="移住課", name_en="Moving Here", channel_id="C0MOVING", channel_name="移住課"),
    Department(key="photos", name_ja="写真課", name_en="Photos", channel_name="写真課"),
    Department(key="ideas", name_ja="アイデア課", name_en="Ideas", channel_id="C0IDEAS", channel_name="アイデア課"),
]


def typed(topic: topics.Topic, data) -> TypedEvent:
    envelope = new_event(type=topic.name, subject=data.user_id, tenant="T0CITY", data=data, source="tests")
    return TypedEvent(envelope, envelope.payload(topic.model))


@pytest.fixture
async def deps(slack_standin):
    slack = make_delivery(slack_standin)
    await slack.start()
    yield {"slack": slack, "residents": InMemoryResidentCache()}
    await slack.close()


async def test_a_newcomer_gets_a_welcome_dm_with_the_profile_button_in_their_locale(deps, slack_standin):
    event = typed(topics.RESIDENT_JOINED, ResidentJoined(user_id="U0HANAKO", display_name="Hanako", locale="en-US"))
    [emitted] = await when_resident_joined_send_welcome(event, **deps)
    [opened] = slack_standin.calls("conversations.open")
    [post] = slack_standin.calls("chat.postMessage")
    assert opened["args"]["users"] == "U0HANAKO" and post["args"]["channel"].startswith("D")
    buttons = [e for b in post["args"]["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons[0]["action_id"] == ActionId.OPEN_PROFILE and "Welcome" in post["args"]["text"]
    assert emitted.type == "notification.delivered" and emitted.data["delivery_key"] == f"{event.id}/welcome_dm"
    assert slack_standin.calls("users.info") == []  # the event's locale was enough
    known = await deps["residents"].get("T0CITY", "U0HANAKO")
    assert (known.locale, known.dm_channel) == ("en-US", post["args"]["channel"])  # for later messages and broadcasts


async def test_an_imported_join_sends_nothing(deps, slack_standin):
    event = typed(topics.RESIDENT_JOINED, ResidentJoined(user_id="U0HANAKO", via="import"))
    assert await when_resident_joined_send_welcome(event, **deps) == []
    assert slack_standin.calls() == []


async def test_without_a_locale_on_the_event_the_slack_locale_is_asked_once_and_cached(deps, slack_standin):
    slack_standin.add_user("U0TARO", locale="en-GB")
    for _ in range(2):
        await when_resident_joined_send_welcome(typed(topics.RESIDENT_JOINED, ResidentJoined(user_id="U0TARO")), **deps)
    assert len(slack_standin.calls("users.info")) == 1
    assert all("Welcome" in c["args"]["text"] for c in slack_standin.calls("chat.postMessage"))
    assert (await deps["residents"].get("T0CITY", "U0TARO")).locale == "en-GB"


async def test_a_new_resident_is_welcomed_and_invited_to_departments_with_channels(deps, slack_standin):
    data = ResidentOnboarded(user_id="U0HANAKO", category="prospective_migrant", interests=["moving", "photos"])
    emitted = await when_resident_onboarded_welcome_and_invite(typed(topics.RESIDENT_ONBOARDED, data),
                                                               departments=DEPARTMENTS, **deps)
    [post] = slack_standin.calls("chat.postMessage")
    assert "移住検討中" in post["args"]["text"] and "写真課" in post["args"]["text"]  # ja by default
    assert [(c["args"]["channel"], c["args"]["users"]) for c in slack_standin.calls("conversations.invite")] == [("C0MOVING", "U0HANAKO")]
    assert [e.data["method"] for e in emitted] == ["chat.postMessage", "conversations.invite"]


async def test_a_profile_update_gets_a_short_note_and_invites_only_to_new_departments(deps, slack_standin):
    first = ResidentOnboarded(user_id="U0HANAKO", category="citizen", interests=["moving"], language="en")
    await when_resident_onboarded_welcome_and_invite(typed(topics.RESIDENT_ONBOARDED, first), departments=DEPARTMENTS, **deps)
    slack_standin.reset()
    update = ResidentOnboarded(user_id="U0HANAKO", category="citizen", interests=["moving", "ideas"], language="en",
                               first_time=False)
    await when_resident_onboarded_welcome_and_invite(typed(topics.RESIDENT_ONBOARDED, update), departments=DEPARTMENTS, **deps)
    [post] = slack_standin.calls("chat.postMessage")
    assert "profile was updated" in post["args"]["text"] and "Ideas" in post["args"]["text"]
    assert [c["args"]["channel"] for c in slack_standin.calls("conversations.invite")] == ["C0IDEAS"]


async def test_a_refused_invite_is_reported_with_what_was_delivered_and_then_dead_lettered(deps, slack_standin):
    slack_standin.refuse("conversations.invite", error="not_in_channel")
    data = ResidentOnboarded(user_id="U0HANAKO", category="citizen", interests=["moving", "ideas"])
    event = typed(topics.RESIDENT_ONBOARDED, data)
    publisher = FakePublisher()
    handler = reporting_refusals(
        lambda e: when_resident_onboarded_welcome_and_invite(e, departments=DEPARTMENTS, **deps), publisher)
    with pytest.raises(DeliveryRefused, match="not_in_channel"):
        await handler(event)
    kinds = [(e.type, e.data.get("method"), e.data.get("error")) for e in publisher.events]
    assert kinds == [
        ("notification.delivered", "chat.postMessage", None),
        ("notification.delivered", "conversations.invite", None),   # ideas went through
        ("notification.failed", "conversations.invite", "not_in_channel"),  # moving did not
    ]
    assert publisher.events[-1].data["delivery_key"] == f"{event.id}/invite/moving"


async def test_an_erased_resident_is_forgotten(deps):
    await deps["residents"].remember_locale("T0CITY", "U0HANAKO", "ja-JP")
    await when_resident_erased_forget(typed(topics.RESIDENT_ERASED, ResidentErased(user_id="U0HANAKO")),
                                      residents=deps["residents"])
    assert await deps["residents"].get("T0CITY", "U0HANAKO") is None
