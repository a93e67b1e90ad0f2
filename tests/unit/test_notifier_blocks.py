"""The notifier's messages: language choice, Block Kit, fallback text, department advice."""

from __future__ import annotations

import pytest

from shared.departments import Department
from shared.slack_ids import ActionId
from services.notifier import blocks
from services.notifier.handlers.residents import recommended
from services.notifier.messages import TEXTS, choose_language
from services.slack_standin.arguments import check_blocks

pytestmark = pytest.mark.unit

MOVING = Department(key="moving", name_ja="移住課", name_en="Moving Here", channel_id="C0MOVING", channel_name="移住課")
PHOTOS = Department(key="photos", name_ja="写真課", name_en="Photos", channel_name="写真課")
IDEAS = Department(key="ideas", name_ja="アイデア課", name_en="Ideas", channel_id="C0IDEAS", channel_name="アイデア課")


@pytest.mark.parametrize(
    "explicit, locale, expected",
    [
        ("en", "ja-JP", "en"),     # the event's language wins
        ("ja", "en-US", "ja"),
        ("fr", "en-US", "en"),     # a language we don't speak falls through to the locale
        (None, "en-GB", "en"),
        (None, "ja_JP", "ja"),
        (None, "de-DE", "ja"),     # neither: Japanese
        (None, None, "ja"),
        ("", "", "ja"),
    ],
)
def test_language_is_the_events_then_the_locales_then_japanese(explicit, locale, expected):
    assert choose_language(explicit=explicit, locale=locale) == expected


def test_both_languages_have_every_text():
    assert set(TEXTS["ja"]) == set(TEXTS["en"])


def _buttons(message: blocks.SlackMessage) -> list[dict]:
    return [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def test_the_welcome_has_the_profile_button_and_a_plain_text_fallback():
    ja = blocks.welcome_dm("ja", display_name="Hanako")
    en = blocks.welcome_dm("en", display_name="Hanako")
    [button] = _buttons(ja)
    assert button["action_id"] == ActionId.OPEN_PROFILE == _buttons(en)[0]["action_id"]
    assert button["text"]["text"] == "プロフィールを設定する" and _buttons(en)[0]["text"]["text"] == "Set up my profile"
    assert "Hanako" in ja.text and "ようこそ" in ja.text and "Welcome" in en.text
    for message in (ja, en):
        check_blocks(message.blocks, limit=50, error="invalid_blocks")  # the stand-in's Block Kit rules


def test_a_name_cannot_smuggle_a_mention_into_the_fallback_text():
    message = blocks.welcome_dm("en", display_name="<!channel>")
    assert "<!channel>" not in message.text and "&lt;!channel&gt;" in message.text


def test_the_resident_welcome_names_the_category_and_the_matching_departments():
    message = blocks.resident_welcome_dm("ja", category="prospective_migrant", departments=[MOVING, PHOTOS])
    body = " ".join(b["text"]["text"] for b in message.blocks if b["type"] == "section")
    assert "移住検討中" in body and "移住検討中" in message.text
    assert "<#C0MOVING>" in body                      # invited: a channel link
    assert "#写真課" in body and "招待できません" in body  # no channel id: say so, don't fail
    assert "*" not in message.text
    check_blocks(message.blocks, limit=50, error="invalid_blocks")


def test_without_interests_the_welcome_says_how_to_add_them():
    message = blocks.resident_welcome_dm("en", category="remote_citizen", departments=[])
    assert "remote citizen" in message.text and "interests" in message.text


def test_a_profile_update_is_short_and_names_only_new_departments():
    with_new = blocks.profile_updated_dm("en", category="citizen", added=[IDEAS])
    without = blocks.profile_updated_dm("en", category="citizen", added=[])
    assert "updated" in with_new.text and "Ideas" in with_new.text and "<#C0IDEAS>" in with_new.blocks[-1]["text"]["text"]
    assert len(without.blocks) == 1 and "Ideas" not in without.text


def test_recommended_departments_follow_the_catalogue_and_ignore_unknown_keys():
    catalogue = [MOVING, PHOTOS, IDEAS]
    assert recommended(catalogue, ["ideas", "nonsense", "moving"]) == [MOVING, IDEAS]
    assert recommended(catalogue, []) == []
