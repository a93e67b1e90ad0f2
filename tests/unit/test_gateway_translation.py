"""Slack Events API callbacks → bus events: who counts as a person, what counts as activity."""

from __future__ import annotations

import json

import pytest

from services.gateway import translate
from services.gateway.errors import MalformedPayload
from tests import slack_signing as slack

pytestmark = pytest.mark.unit

TEAM = "T0CITY"


def callback(event: dict, **kw) -> dict:
    return json.loads(slack.event_callback(event, team_id=TEAM, **kw))


def test_a_person_joining_is_published_under_the_slack_event_id():
    [event] = translate.team_joined(callback(slack.team_join_event("U1"), event_id="Ev123", event_time=1717000000))
    assert (event.id, event.type, event.subject, event.tenant) == ("Ev123", "resident.joined", "U1", TEAM)
    assert event.data["display_name"] == "Hanako" and event.data["locale"] == "ja-JP" and event.data["via"] == "slack"
    assert event.data["joined_at"].startswith("2024-05-29")


@pytest.mark.parametrize("user", [
    {"is_bot": True},
    {"is_app_user": True},
])
def test_bots_and_apps_joining_are_not_residents(user):
    assert translate.team_joined(callback(slack.team_join_event("U1", **user))) == []


def test_slackbot_is_not_a_resident():
    assert translate.team_joined(callback(slack.team_join_event("USLACKBOT"))) == []


def test_only_a_deactivation_is_a_leave():
    assert translate.user_changed(callback(slack.user_change_event("U1", display_name="New name"))) == []
    assert translate.user_changed(callback(slack.user_change_event("U1", deleted=True, is_bot=True))) == []
    [left] = translate.user_changed(callback(slack.user_change_event("U1", deleted=True), event_id="Ev9"))
    assert (left.id, left.type, left.data["reason"]) == ("Ev9", "resident.left", "deactivated")


def test_a_user_event_without_a_user_or_event_id_is_malformed():
    with pytest.raises(MalformedPayload):
        translate.team_joined(callback({"type": "team_join"}))
    body = callback(slack.team_join_event("U1"))
    del body["event_id"]
    with pytest.raises(MalformedPayload):
        translate.team_joined(body)


def test_a_message_counts_with_its_length_but_not_its_text():
    [posted] = translate.message_posted(callback(slack.message_event("U1", "C1", "こんにちは", ts="1717000000.000100")))
    assert posted.type == "activity.message_posted" and posted.subject == "C1:1717000000.000100"
    assert posted.data["text_length"] == 5 and "text" not in posted.data
    assert not posted.data["edited"] and not posted.data["deleted"]


def test_a_thread_reply_counts_and_keeps_its_thread():
    [reply] = translate.message_posted(callback(slack.message_event("U1", "C1", ts="2.0", thread_ts="1.0")))
    assert reply.data["thread_ts"] == "1.0"


def test_the_same_message_delivered_twice_has_one_id():
    event = slack.message_event("U1", "C1", ts="1717000000.000100")
    [first] = translate.message_posted(callback(event))
    [second] = translate.message_posted(callback(event))  # a new event_id, as Slack's retry would not have
    assert first.id == second.id


@pytest.mark.parametrize("extra", [
    {"subtype": "channel_join"},
    {"subtype": "channel_leave"},
    {"subtype": "bot_message", "bot_id": "B1"},
    {"bot_id": "B1"},
    {"channel_type": "im"},
])
def test_notices_bots_and_direct_messages_are_not_activity(extra):
    assert translate.message_posted(callback(slack.message_event("U1", "C1", **extra))) == []


def test_slackbot_messages_are_not_activity():
    assert translate.message_posted(callback(slack.message_event("USLACKBOT", "C1"))) == []


def test_an_edit_is_the_same_message_marked_edited():
    original = slack.message_event("U1", "C1", "hello", ts="1.000100")
    edit = {"type": "message", "subtype": "message_changed", "channel": "C1", "ts": "2.000200", "event_ts": "2.000200",
            "message": {**original, "text": "hello!", "edited": {"user": "U1", "ts": "2.000200"}},
            "previous_message": original, "hidden": True}
    [edited] = translate.message_posted(callback(edit))
    assert edited.data["edited"] and edited.data["ts"] == "1.000100" and edited.data["text_length"] == 6


def test_a_link_preview_is_not_an_edit():
    original = slack.message_event("U1", "C1", "see https://city.example", ts="1.000100")
    unfurl = {"type": "message", "subtype": "message_changed", "channel": "C1", "ts": "2.0", "hidden": True,
              "message": {**original, "attachments": [{"title": "City"}]}, "previous_message": original}
    assert translate.message_posted(callback(unfurl)) == []


def test_a_deletion_is_the_same_message_marked_deleted():
    original = slack.message_event("U1", "C1", ts="1.000100")
    deletion = {"type": "message", "subtype": "message_deleted", "channel": "C1", "ts": "3.0", "deleted_ts": "1.000100",
                "previous_message": original, "hidden": True}
    [deleted] = translate.message_posted(callback(deletion))
    assert deleted.data["deleted"] and deleted.data["ts"] == "1.000100"


def test_reactions_on_messages_are_activity_and_each_add_counts():
    first = slack.reaction_event("U2", "C1", "1.000100", reaction="+1", item_user="U1")
    [added] = translate.reaction_changed(callback(first), added=True)
    assert added.type == "activity.reaction_added" and added.data["message_author_id"] == "U1"
    again = {**first, "event_ts": "9.000000"}
    [re_added] = translate.reaction_changed(callback(again), added=True)
    assert re_added.id != added.id  # add, remove, add again: two adds
    assert translate.reaction_changed(callback(first), added=True)[0].id == added.id  # a retry: the same


def test_reactions_on_files_and_by_slackbot_are_not_activity():
    on_file = {"type": "reaction_added", "user": "U2", "reaction": "eyes", "item": {"type": "file", "file": "F1"}, "event_ts": "1.0"}
    assert translate.reaction_changed(callback(on_file), added=True) == []
    by_slackbot = slack.reaction_event("USLACKBOT", "C1", "1.0")
    assert translate.reaction_changed(callback(by_slackbot), added=True) == []
