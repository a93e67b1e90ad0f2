"""The translation of an export into events: what counts, what is left out, and why."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from services.importer.main import read_export
from services.importer.models import DayFile, ExportChannel, ChannelKind, Tally
from services.importer.reader import decode
from services.importer.translate import Translator
from shared.slack import ts_to_datetime
from tests.unit.test_import_fixtures import HOUSTON, PEOPLE, message

pytestmark = pytest.mark.unit

GENERAL = DayFile(channel=ExportChannel(id="CGEN", folder="general", kind=ChannelKind.PUBLIC), path="general/2020-01-01.json", size=1)


def translate_all(path, tenant="TTEST"):
    export = read_export(path, tenant=tenant)
    translator = Translator(tenant=tenant, users=export.users, tally=export.tally)
    events = []
    for file in export.files:
        raw = export.source.read(file.path)
        events += translator.day(file, decode(raw, file.path, export.tally), raw)
    events += translator.residents()
    return events, export.tally, len(export.files)


def test_the_real_export_translates_to_what_its_files_hold():
    """1,382 messages: 964 plain + 61 file_share + 6 file_comment are people talking (1,031);
    the 351 others are notices. No message is by a bot or by someone missing from users.json;
    the 6 file comments name their author in `comment.user`, not in `user`."""
    events, tally, files = translate_all(HOUSTON)
    by_type = Counter(e.type for e in events)
    assert by_type == {"activity.message_posted": 1031, "activity.reaction_added": 199, "resident.joined": 71, "resident.left": 1}
    assert tally.counts["messages"] == 1031 and tally.counts["reactions"] == 199
    assert tally.counts["users"] == 71 and tally.counts["deactivated_users"] == 1
    assert files == 375  # the README's "378 day files" counts users, channels and integration_logs.json too
    assert tally.ignored == {
        "notice: channel_join": 320, "notice: channel_purpose": 13, "notice: channel_archive": 9,
        "notice: channel_leave": 3, "notice: channel_name": 2, "notice: channel_topic": 2,
        "notice: bot_add": 1, "notice: pinned_item": 1,
    }
    assert sum(tally.ignored.values()) + tally.counts["messages"] == 1382
    assert not tally.skipped
    assert len({e.id for e in events}) == len(events)
    assert all(e.source == "oco/importer" and e.tenant == "TTEST" for e in events)


def test_people_join_when_first_seen_and_the_deactivated_leave_at_the_exports_end():
    events, _, _ = translate_all(HOUSTON)
    joined = {e.subject: e for e in events if e.type == "resident.joined"}
    assert all(e.data["via"] == "import" for e in joined.values())
    [left] = [e for e in events if e.type == "resident.left"]
    assert left.data == {"schema_version": 1, "user_id": "U0DS03NHG", "reason": "deactivated"}
    newest = max(e.time for e in events if e.type == "activity.message_posted")
    assert left.time >= newest  # the tombstone wins over everything imported about them
    assert joined["U0DS03NHG"].data["joined_at"] is not None


def test_a_thread_reply_counts_and_keeps_its_thread():
    translator = Translator(tenant="T1", users=PEOPLE, tally=Tally())
    events = translator.day(GENERAL, [message("UALICE", "10.000100"), message("UBOB", "11.000200", thread_ts="10.000100")], b"")
    assert [e.data.get("thread_ts") for e in events] == [None, "10.000100"]
    assert translator.tally.counts["thread_replies"] == 1 and translator.tally.counts["messages"] == 2


def test_edits_and_deletions_are_published_as_the_gateway_does():
    translator = Translator(tenant="T1", users=PEOPLE, tally=Tally())
    entries = [
        {"type": "message", "subtype": "message_changed", "ts": "20.000001",
         "message": {"type": "message", "user": "UALICE", "text": "edited", "ts": "10.000100"}},
        {"type": "message", "subtype": "message_deleted", "ts": "21.000001", "deleted_ts": "10.000100",
         "previous_message": {"type": "message", "user": "UALICE", "text": "edited", "ts": "10.000100"}},
    ]
    edited, deleted = translator.day(GENERAL, entries, b"")
    assert edited.data["edited"] and edited.data["ts"] == "10.000100"
    assert deleted.data["deleted"] and edited.id != deleted.id
    assert translator.tally.counts["edits"] == 1 and translator.tally.counts["deletions"] == 1
    assert translator.tally.counts["messages"] == 0


def test_bots_notices_and_unlisted_reactors_are_told_apart():
    translator = Translator(tenant="T1", users=PEOPLE, tally=Tally())
    raw = b'[\n{"ts": "10.000100"},\n{"ts": "11.000200"},\n{"ts": "12.000300"}\n]'
    entries = [
        message("UROBOT", "10.000100"),  # a bot user in users.json
        message(None, "11.000200", subtype="bot_message", bot_id="B1"),
        message("UALICE", "12.000300", reactions=[
            {"name": "+1", "users": ["UBOB", "UROBOT", "UNOBODY"], "count": 5},
        ]),
    ]
    events = translator.day(GENERAL, entries, raw)
    assert [e.type for e in events] == ["activity.message_posted", "activity.reaction_added"]
    assert events[1].data["message_author_id"] == "UALICE"
    tally = translator.tally
    assert tally.ignored == {"message by a bot": 1, "notice: bot_message": 1, "reaction by a bot": 1,
                             "reactions whose user Slack did not list": 2}
    assert tally.skipped == {"reactor missing from users.json": 1}
    assert tally.problems[0].line == 4  # the line of the message the reaction is on


def test_unknown_subtypes_and_unknown_users_are_problems_with_a_line():
    translator = Translator(tenant="T1", users=PEOPLE, tally=Tally())
    raw = b'[\n  {"ts": "10.000100"},\n  {"ts": "11.000200"},\n  "not an object"\n]'
    entries = [message("UALICE", "10.000100", subtype="huddle_party"), message("UNOBODY", "11.000200"), "not an object"]
    assert translator.day(GENERAL, entries, raw) == []
    assert translator.tally.skipped == {"unknown subtype": 1, "user missing from users.json": 1, "entry not an object": 1}
    assert [(p.file, p.line) for p in translator.tally.problems[:2]] == [(GENERAL.path, 2), (GENERAL.path, 3)]


def test_a_file_comment_counts_for_its_commenter():
    translator = Translator(tenant="T1", users=PEOPLE, tally=Tally())
    entry = {"type": "message", "subtype": "file_comment", "ts": "10.000100", "text": "<@UBOB> commented",
             "comment": {"user": "UBOB", "comment": "Nice notes!"}}
    [event] = translator.day(GENERAL, [entry], b"")
    assert event.data["user_id"] == "UBOB" and event.data["text_length"] == len("Nice notes!")
    assert event.time == ts_to_datetime("10.000100") == datetime(1970, 1, 1, 0, 0, 10, 100, tzinfo=UTC)


def test_odd_values_in_entries_are_problems_not_crashes():
    translator = Translator(tenant="T1", users=PEOPLE, tally=Tally())
    entries = [
        message("UALICE", "not-a-number"),
        message("UALICE", "12.000100", thread_ts=12),
        message("UALICE", "13.000100", reactions="lots"),
        message("UALICE", "14.000100", reactions=[{"name": "+1", "users": "UBOB", "count": "many"}]),
        message("UALICE", "15.000100", reactions=[{"name": 5}, None]),
        {"type": "message", "subtype": "message_changed", "ts": "16.1", "message": "gone"},
        message(["UALICE"], "17.000100"),
    ]
    events = translator.day(GENERAL, entries, b"")
    assert [e.data["ts"] for e in events] == ["13.000100", "14.000100", "15.000100"]
    assert translator.tally.skipped == {"malformed message": 2, "malformed reaction": 2, "message without a user": 2}


def test_a_user_that_can_not_be_read_is_a_problem_and_the_others_join():
    odd = [*PEOPLE, {"id": "UODD", "name": "odd", "profile": "not an object"}, {"id": "UNAME", "name": ["x"]}]
    translator = Translator(tenant="T1", users=odd, tally=Tally())
    joined = [e.subject for e in translator.residents() if e.type == "resident.joined"]
    assert joined == ["UALICE", "UBOB", "UGONE"]
    assert translator.tally.skipped == {"malformed user": 2}
