"""Announcements and move-ins in the notifier: who is DMed, in which language, with which
blocks; handlers on in-memory stores talking to the Slack stand-in (no Kafka)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared import topics
from shared.departments import Department
from shared.envelope import TypedEvent, new_event
from shared.errors import PermanentError
from shared.events import AnnouncementPublished, ResidentMovedIn
from services.notifier import blocks
from services.notifier.errors import DeliveryRefused, SlackUnavailable
from services.notifier.handlers.announcements import (
    resident_language,
    when_announcement_published_broadcast,
    when_resident_moved_in_congratulate,
)
from services.notifier.models import KnownResident
from services.notifier.store import InMemoryResidentCache
from tests.standin_fixture import slack_standin  # noqa: F401  (fixture)
from tests.unit.test_notifier_delivery import make_delivery

pytestmark = pytest.mark.unit

TENANT = "T0CITY"
CHANNEL = "C0NEWS"
DEPARTMENTS = [
    Department(key="moving", name_ja="移住課", name_en="Moving Here", channel_id="C0MOVING", channel_name="移住課"),
    Department(key="announcements", name_ja="お知らせ", name_en="Announcements", channel_id=CHANNEL,
               channel_name="お知らせ"),
]


def announcement(**fields) -> TypedEvent:
    data = AnnouncementPublished(**{"title": "ごみ収集日の変更", "body": "来月から火曜日です。",
                                    "body_en": "From next month, collection is on Tuesdays.", **fields})
    envelope = new_event(type=topics.ANNOUNCEMENT_PUBLISHED.name, subject="a1", tenant=TENANT, data=data,
                         source="tests")
    return TypedEvent(envelope, envelope.payload(topics.ANNOUNCEMENT_PUBLISHED.model))


def moved_in(user: str, moved_in_on: datetime) -> TypedEvent:
    envelope = new_event(type=topics.RESIDENT_MOVED_IN.name, subject=user, tenant=TENANT, source="tests",
                         data=ResidentMovedIn(user_id=user, moved_in_on=moved_in_on))
    return TypedEvent(envelope, envelope.payload(topics.RESIDENT_MOVED_IN.model))


async def resident(cache: InMemoryResidentCache, user: str, interests: list[str] | None, *, locale: str | None = None,
                   language: str | None = None, tenant: str = TENANT) -> None:
    if locale is not None:
        await cache.remember_locale(tenant, user, locale)
    if language is not None or interests is not None:
        await cache.remember(tenant, user, language=language, interests=interests)


@pytest.fixture
async def deps(slack_standin):
    slack = make_delivery(slack_standin)
    await slack.start()
    yield {"slack": slack, "residents": InMemoryResidentCache(), "departments": DEPARTMENTS}
    await slack.close()


def dm_texts(standin, user: str) -> list[str]:
    return [m["text"] for m in standin.dm_messages(user)]


# --- who is DMed -------------------------------------------------------------------------


async def test_residents_match_when_they_share_any_interest_in_the_same_tenant():
    cache = InMemoryResidentCache()
    await resident(cache, "U0A", ["moving", "photos"])
    await resident(cache, "U0B", ["childcare"])
    await resident(cache, "U0C", None, locale="ja-JP")  # joined, never onboarded
    await resident(cache, "U0D", ["moving"], tenant="T0OTHER")
    await resident(cache, "U0E", ["childcare", "moving"])
    await cache.forget(TENANT, "U0E")
    assert [r.user_id for r in await cache.with_interests(TENANT, ["moving", "childcare"])] == ["U0A", "U0B"]
    assert await cache.with_interests(TENANT, []) == []


async def test_the_dm_channel_is_remembered_only_for_a_resident_still_known():
    cache = InMemoryResidentCache()
    await resident(cache, "U0A", ["moving"])
    await cache.remember_dm_channel(TENANT, "U0A", "D0A")
    await cache.remember_dm_channel(TENANT, "U0GONE", "D0GONE")
    assert (await cache.get(TENANT, "U0A")).dm_channel == "D0A" and await cache.get(TENANT, "U0GONE") is None


# --- in which language -------------------------------------------------------------------


@pytest.mark.parametrize("language, locale, expected", [
    ("en", "ja-JP", "en"),   # the profile's choice wins
    (None, "en-GB", "en"),
    (None, "ja-JP", "ja"),
    (None, "", "ja"),        # Slack had no locale for them: the default
    ("fr", "en-US", "en"),   # a language we don't speak falls through to the locale
])
async def test_a_residents_language_is_their_profiles_then_their_locales(deps, slack_standin, language, locale,
                                                                          expected):
    known = KnownResident(tenant=TENANT, user_id="U0A", locale=locale, language=language)
    assert await resident_language(deps["slack"], deps["residents"], announcement(), known) == expected
    assert slack_standin.calls("users.info") == []


async def test_without_language_or_locale_slack_is_asked_once_and_the_answer_kept(deps, slack_standin):
    slack_standin.add_user("U0A", locale="en-US")
    event, known = announcement(), KnownResident(tenant=TENANT, user_id="U0A")
    assert await resident_language(deps["slack"], deps["residents"], event, known) == "en"
    assert (await deps["residents"].get(TENANT, "U0A")).locale == "en-US"


# --- the messages ------------------------------------------------------------------------


def test_the_channel_post_has_the_title_the_japanese_and_the_english_beneath():
    message = blocks.announcement_post(title="ごみ収集日の変更", body="来月から火曜日です。", body_en="Tuesdays from next month.")
    assert [b["type"] for b in message.blocks] == ["header", "section", "divider", "section"]
    assert message.blocks[0]["text"]["text"] == "ごみ収集日の変更"
    assert message.blocks[1]["text"]["text"] == "来月から火曜日です。"
    assert message.blocks[3]["text"]["text"] == "Tuesdays from next month."
    assert message.text.index("来月") < message.text.index("Tuesdays")


def test_without_english_the_post_is_japanese_only():
    message = blocks.announcement_post(title="お知らせ", body="本文", body_en=None)
    assert [b["type"] for b in message.blocks] == ["header", "section"]


def test_an_announcement_cannot_mention_everyone_or_smuggle_a_link():
    message = blocks.announcement_post(title="t", body="<!channel> 見て <https://evil.example|ここ>")
    assert "<!channel>" not in message.text and "<!channel>" not in message.blocks[1]["text"]["text"]
    assert "&lt;!channel&gt;" in message.blocks[1]["text"]["text"]


def test_a_long_text_is_split_into_sections_within_slacks_cap_without_breaking_an_entity():
    body = ("あ" * 2000 + "\n") * 2 + "&" * 2000
    sections = blocks.text_sections(body)
    texts = [s["text"]["text"] for s in sections]
    assert all(len(t) <= 3000 for t in texts) and len(texts) >= 3
    assert "".join(texts).replace("&amp;", "").count("&") == 0  # every entity whole
    assert "".join(texts).count("&amp;") == 2000


@pytest.mark.parametrize("language, body_en, expected", [
    ("en", "Tuesdays from next month.", "Tuesdays from next month."),
    ("en", None, "来月から火曜日です。"),  # no English text: the Japanese one
    ("ja", "Tuesdays from next month.", "来月から火曜日です。"),
])
def test_a_dm_speaks_the_residents_language_when_the_text_exists(language, body_en, expected):
    message = blocks.announcement_dm(language, title="ごみ収集日", body="来月から火曜日です。", body_en=body_en,
                                     channel_id=CHANNEL)
    assert [b["type"] for b in message.blocks] == ["context", "header", "section", "context"]
    assert message.blocks[2]["text"]["text"] == expected and expected in message.text
    assert f"<#{CHANNEL}>" in message.blocks[3]["elements"][0]["text"]


# --- the broadcast -----------------------------------------------------------------------


async def test_an_announcement_is_posted_once_in_the_channel_and_dmed_to_matching_residents(deps, slack_standin):
    cache = deps["residents"]
    await resident(cache, "U0EN", ["moving"], locale="en-US")
    await resident(cache, "U0JA", ["moving", "photos"], locale="ja-JP")
    await resident(cache, "U0PHOTO", ["photos"], locale="ja-JP")
    event = announcement(interests=["moving"])
    emitted = await when_announcement_published_broadcast(event, **deps)
    [post] = slack_standin.messages(CHANNEL)
    assert "来月から火曜日です。" in post["text"] and "Tuesdays" in post["text"]
    assert dm_texts(slack_standin, "U0EN") == ["ごみ収集日の変更\nFrom next month, collection is on Tuesdays."]
    assert dm_texts(slack_standin, "U0JA") == ["ごみ収集日の変更\n来月から火曜日です。"]
    assert dm_texts(slack_standin, "U0PHOTO") == []
    assert sorted(e.data["delivery_key"] for e in emitted) == sorted(
        [f"{event.id}/channel_post", f"{event.id}/dm/U0EN", f"{event.id}/dm/U0JA"])
    assert {e.type for e in emitted} == {"notification.delivered"}


async def test_a_redelivered_announcement_posts_nothing_again_and_reports_the_same_deliveries(deps, slack_standin):
    await resident(deps["residents"], "U0EN", ["moving"], locale="en-US")
    event = announcement(interests=["moving"])
    first = await when_announcement_published_broadcast(event, **deps)
    again = await when_announcement_published_broadcast(event, **deps)
    assert len(slack_standin.calls("chat.postMessage")) == 2
    assert len(slack_standin.calls("conversations.open")) == 1  # the DM channel is remembered
    assert sorted(e.id for e in again) == sorted(e.id for e in first)


async def test_without_interests_only_the_channel_gets_it(deps, slack_standin):
    await resident(deps["residents"], "U0EN", ["moving"], locale="en-US")
    [emitted] = await when_announcement_published_broadcast(announcement(interests=[]), **deps)
    assert emitted.data["channel"] == CHANNEL and slack_standin.dm_messages("U0EN") == []


async def test_without_a_channel_id_the_announcement_is_refused_with_the_reason_and_nothing_sent(deps, slack_standin):
    await resident(deps["residents"], "U0EN", ["moving"], locale="en-US")
    no_channel = [Department(key="announcements", name_ja="お知らせ", name_en="News", channel_name="お知らせ")]
    with pytest.raises(PermanentError, match="no channel id for the 'announcements' department"):
        await when_announcement_published_broadcast(announcement(interests=["moving"]),
                                                    **{**deps, "departments": no_channel})
    assert slack_standin.calls() == []


async def test_an_erased_resident_is_not_dmed(deps, slack_standin):
    await resident(deps["residents"], "U0GONE", ["moving"], locale="ja-JP")
    await deps["residents"].forget(TENANT, "U0GONE")
    emitted = await when_announcement_published_broadcast(announcement(interests=["moving"]), **deps)
    assert len(emitted) == 1 and slack_standin.dm_messages("U0GONE") == []


async def test_a_refused_dm_does_not_stop_the_others_and_is_reported_with_what_was_delivered(deps, slack_standin):
    for user in ("U0A", "U0B", "U0C"):
        await resident(deps["residents"], user, ["moving"], locale="ja-JP")
    dm_b = await slack_standin.dm_channel("U0B")
    slack_standin.refuse("chat.postMessage", error="user_disabled", match={"channel": dm_b})
    event = announcement(interests=["moving"])
    with pytest.raises(DeliveryRefused) as refused:
        await when_announcement_published_broadcast(event, **deps)
    assert [r.key for r in refused.value.refusals] == [f"{event.id}/dm/U0B"]
    assert sorted(e.data["delivery_key"] for e in refused.value.emitted) == sorted(
        [f"{event.id}/channel_post", f"{event.id}/dm/U0A", f"{event.id}/dm/U0C"])
    assert len(slack_standin.dm_messages("U0A")) == len(slack_standin.dm_messages("U0C")) == 1


async def test_a_broadcast_cut_short_by_slack_resumes_where_it_stopped(deps, slack_standin):
    for user in ("U0A", "U0B", "U0C"):
        await resident(deps["residents"], user, ["moving"], locale="ja-JP")
    dm_b = await slack_standin.dm_channel("U0B")
    slack_standin.server_error("chat.postMessage", count=3, match={"channel": dm_b})  # all of one run's attempts
    event = announcement(interests=["moving"])
    with pytest.raises(SlackUnavailable):
        await when_announcement_published_broadcast(event, **deps)
    assert len(slack_standin.messages(CHANNEL)) == 1 and len(slack_standin.dm_messages("U0C")) == 1
    emitted = await when_announcement_published_broadcast(event, **deps)  # the bus runs it again
    assert len(emitted) == 4 and len(slack_standin.messages(CHANNEL)) == 1
    assert [len(slack_standin.dm_messages(u)) for u in ("U0A", "U0B", "U0C")] == [1, 1, 1]


# --- move-ins ----------------------------------------------------------------------------


async def test_a_known_resident_who_just_moved_in_is_congratulated_once_in_their_language(deps, slack_standin):
    await resident(deps["residents"], "U0NEW", ["moving"], locale="en-US")
    event = moved_in("U0NEW", datetime.now(UTC) - timedelta(days=2))
    [emitted] = await when_resident_moved_in_congratulate(event, **{k: deps[k] for k in ("slack", "residents")})
    await when_resident_moved_in_congratulate(event, **{k: deps[k] for k in ("slack", "residents")})
    [message] = slack_standin.dm_messages("U0NEW")
    assert "Congratulations" in message["text"] and emitted.data["delivery_key"] == f"{event.id}/moved_in_dm"


@pytest.mark.parametrize("user, days_ago", [("U0OLD", 400), ("U0UNKNOWN", 1)])
async def test_an_old_move_or_an_unknown_person_gets_no_dm(deps, slack_standin, user, days_ago):
    await resident(deps["residents"], "U0OLD", ["moving"], locale="ja-JP")
    event = moved_in(user, datetime.now(UTC) - timedelta(days=days_ago))
    assert await when_resident_moved_in_congratulate(event, **{k: deps[k] for k in ("slack", "residents")}) == []
    assert slack_standin.calls() == []
