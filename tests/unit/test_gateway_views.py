"""Block Kit builders and the profile modal's validation."""

from __future__ import annotations

import pytest

from services.gateway import views
from services.gateway.models import CONSENT_VALUE, FormInvalid, ProfileField, read_profile_form
from shared.departments import DEFAULT_DEPARTMENTS, Department
from shared.slack_ids import ActionId, CallbackId
from tests import slack_signing as slack

pytestmark = pytest.mark.unit


def walk(node):
    """Every dict inside a Block Kit structure."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def block(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def test_the_profile_modal_offers_the_three_categories_and_never_an_office_role():
    modal = views.profile_modal(departments=DEFAULT_DEPARTMENTS)
    assert modal["callback_id"] == CallbackId.PROFILE_MODAL
    values = [o["value"] for o in block(modal, "category")["element"]["options"]]
    assert values == ["citizen", "prospective_migrant", "remote_citizen"]
    labels = " ".join(o["text"]["text"] for o in block(modal, "category")["element"]["options"])
    assert "市民" in labels and "Citizen" in labels
    assert not {"employee", "section_chief", "ambassador", "admin"} & set(values)


def test_the_profile_modal_has_every_field_with_matching_block_and_action_ids():
    modal = views.profile_modal(departments=DEFAULT_DEPARTMENTS)
    for field in ProfileField:
        assert block(modal, field.value)["element"]["action_id"] == field.value
    interests = block(modal, "interests")["element"]
    assert interests["type"] == "checkboxes"
    assert [o["value"] for o in interests["options"]] == [d.key for d in DEFAULT_DEPARTMENTS]
    assert [o["value"] for o in block(modal, "consent")["element"]["options"]] == [CONSENT_VALUE]
    assert block(modal, "language")["element"]["initial_option"]["value"] == "ja"


def test_the_profile_modal_stays_within_slack_limits():
    modal = views.profile_modal(departments=DEFAULT_DEPARTMENTS)
    assert len(modal["title"]["text"]) <= 24 and len(modal["submit"]["text"]) <= 24 and len(modal["close"]["text"]) <= 24
    for element in walk(modal):
        if "options" in element and isinstance(element["options"], list):
            assert all(len(o["text"]["text"]) <= 75 for o in element["options"]), element
        if element.get("type") == "input":
            assert len(element["label"]["text"]) <= 2000


def test_many_departments_become_a_multi_select():
    many = [Department(key=f"d{i}", name_ja=f"課{i}", name_en=f"Dept {i}", channel_name=f"d{i}") for i in range(12)]
    interests = block(views.profile_modal(departments=many), "interests")["element"]
    assert interests["type"] == "multi_static_select" and len(interests["options"]) == 12


def test_the_home_card_has_the_profile_button_and_the_commands():
    home = views.home_view([("/oco profile", "プロフィール", "Profile"), ("/oco help", "説明", "Help")])
    assert home["type"] == "home"
    buttons = [e for e in walk(home) if e.get("type") == "button"]
    assert [b["action_id"] for b in buttons] == [ActionId.OPEN_PROFILE]
    text = " ".join(e["text"] for e in walk(home) if e.get("type") == "mrkdwn")
    assert "/oco profile" in text and "/oco help" in text


def test_the_leave_confirmation_has_confirm_and_cancel():
    message = views.leave_confirmation()
    assert message["response_type"] == "ephemeral"
    actions = [e["action_id"] for e in walk(message) if e.get("type") == "button"]
    assert actions == [ActionId.CONFIRM_LEAVE, ActionId.CANCEL_LEAVE]


def test_unknown_subcommands_list_the_known_ones():
    message = views.unknown_subcommand_message("dance", ["help", "profile"])
    assert "dance" in message["text"] and "`help`" in message["text"] and "`profile`" in message["text"]


# --- the submission -----------------------------------------------------------------------


def values(**override) -> dict:
    state = {
        "category": {"category": slack.selected("prospective_migrant")},
        "display_name": {"display_name": slack.text_value("  Hanako ")},
        "language": {"language": slack.radio("en")},
        "relation": {"relation": slack.text_value("I grew up here")},
        "interests": {"interests": slack.checked("moving", "childcare", "moving")},
        "consent": {"consent": slack.checked(CONSENT_VALUE)},
    }
    for key, element in override.items():
        state[key] = {key: element}
    return state


def test_a_complete_form_is_read_and_cleaned():
    form = read_profile_form(values(), departments=DEFAULT_DEPARTMENTS)
    assert form.category == "prospective_migrant" and form.display_name == "Hanako" and form.language == "en"
    assert form.interests == ["moving", "childcare"] and form.consent is True


def test_missing_consent_is_an_inline_error_on_the_consent_block():
    with pytest.raises(FormInvalid) as caught:
        read_profile_form(values(consent=slack.checked()), departments=DEFAULT_DEPARTMENTS)
    assert set(caught.value.errors) == {"consent"}


@pytest.mark.parametrize("category", [None, "section_chief", "admin", "martian"])
def test_a_missing_or_unknown_category_is_an_inline_error(category):
    with pytest.raises(FormInvalid) as caught:
        read_profile_form(values(category=slack.selected(category)), departments=DEFAULT_DEPARTMENTS)
    assert set(caught.value.errors) == {"category"}


def test_every_problem_is_reported_at_once():
    bad = values(consent=slack.checked(), language=slack.radio("fr"), interests=slack.checked("casino"),
                 relation=slack.text_value("x" * 2001))
    with pytest.raises(FormInvalid) as caught:
        read_profile_form(bad, departments=DEFAULT_DEPARTMENTS)
    assert set(caught.value.errors) == {"consent", "language", "interests", "relation"}


def test_optional_fields_may_be_empty():
    state = values(display_name=slack.text_value(None), relation=slack.text_value(None), interests=slack.checked())
    del state["language"]
    form = read_profile_form(state, departments=DEFAULT_DEPARTMENTS)
    assert (form.display_name, form.relation, form.interests, form.language) == ("", "", [], "ja")
