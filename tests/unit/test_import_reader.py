"""Reading exports: folders and zips, listings, day-file names, and bytes that can't be read."""

from __future__ import annotations

import json

import pytest

from services.importer.main import read_export, resolve_tenant
from services.importer.models import ChannelKind, ImportFailed, Tally
from services.importer.reader import decode, open_export
from tests.unit.test_import_fixtures import TEAM, broken_days, good_days, write_export, zip_export

pytestmark = pytest.mark.unit


def test_a_folder_export_lists_its_channels_and_day_files_in_order(tmp_path):
    export = read_export(write_export(tmp_path / "e"))
    assert export.tenant == TEAM
    assert sorted(c.id for c in export.channels.values()) == ["CGEN", "CRAND"]
    assert [f.path for f in export.files] == sorted(good_days())
    assert export.tally.counts["channels"] == 2 and not export.tally.skipped


def test_a_zip_with_an_enclosing_folder_reads_like_the_folder(tmp_path):
    archive = zip_export(write_export(tmp_path / "e"), tmp_path / "e.zip", enclosing="My Workspace Slack export/")
    export = read_export(archive)
    assert [f.path for f in export.files] == sorted(good_days())
    assert json.loads(export.source.read("general/2020-01-02.json"))[0]["text"] == "bye"
    export.source.close()


def test_private_conversations_come_from_their_own_listings(tmp_path):
    folder = write_export(tmp_path / "e", days={
        "secret-plans/2020-01-01.json": [{"type": "message", "user": "UALICE", "ts": "1.1"}],
        "DALICEBOB/2020-01-01.json": [{"type": "message", "user": "UBOB", "ts": "1.2"}],
        "mpdm-alice--bob--gone-1/2020-01-01.json": [{"type": "message", "user": "UBOB", "ts": "1.3"}],
    })
    (folder / "groups.json").write_text(json.dumps([{"id": "GSECRET", "name": "secret-plans"}]))
    (folder / "dms.json").write_text(json.dumps([{"id": "DALICEBOB", "members": ["UALICE", "UBOB"]}]))
    (folder / "mpims.json").write_text(json.dumps([{"id": "GMPIM", "name": "mpdm-alice--bob--gone-1"}]))
    export = read_export(folder)
    kinds = {c.folder: c.kind for c in export.channels.values()}
    assert kinds["secret-plans"] is ChannelKind.PRIVATE
    assert kinds["DALICEBOB"] is ChannelKind.DIRECT  # DM folders are named by the conversation id
    assert kinds["mpdm-alice--bob--gone-1"] is ChannelKind.GROUP_DIRECT
    counts = export.tally.counts
    assert (counts["channels"], counts["private_channels"], counts["direct_messages"], counts["group_direct_messages"]) == (2, 1, 1, 1)


def test_file_names_that_are_not_dates_and_unlisted_folders_are_reported(tmp_path):
    days = {k: v for k, v in broken_days().items() if k.endswith(("notes.json", "2020-02-30.json"))}
    days["unlisted/2020-01-01.json"] = []
    export = read_export(write_export(tmp_path / "e", days=days))
    assert export.files == []
    assert export.tally.skipped == {"file name not a date": 2, "folder not in any listing": 1}
    assert {p.file for p in export.tally.problems} == {"general/notes.json", "general/2020-02-30.json", "unlisted/2020-01-01.json"}


def test_truncated_json_is_reported_with_the_decoders_line():
    tally = Tally()
    assert decode(b'[\n  {"ts": "1",\n  "user": "U1"', "general/2020-01-02.json", tally) is None
    [problem] = tally.problems
    assert problem.file == "general/2020-01-02.json" and problem.line == 3
    assert "invalid JSON" in problem.reason and tally.skipped == {"invalid JSON": 1}


def test_json_nested_too_deeply_is_reported_not_a_crash():
    tally = Tally()
    assert decode(b"[" * 100_000, "deep.json", tally) is None
    assert tally.skipped == {"invalid JSON": 1} and "too deeply" in tally.problems[0].reason


def test_bytes_that_are_not_utf8_are_reported_with_their_line():
    tally = Tally()
    assert decode(b'[\n{"text": "caf\xe9"}]', "latin1.json", tally) is None  # Latin-1 é
    assert decode(b'[{"text": "\xff\xfe"}]', "garbage.json", tally) is None
    assert [(p.file, p.line) for p in tally.problems] == [("latin1.json", 2), ("garbage.json", 1)]
    assert "0xe9" in tally.problems[0].reason and tally.skipped == {"file not UTF-8": 2}


def test_a_utf8_byte_order_mark_is_read_past_and_noted():
    tally = Tally()
    assert decode(b"\xef\xbb\xbf[1, 2]", "bom.json", tally) == [1, 2]
    assert not tally.skipped and tally.notes == ["bom.json: UTF-8 byte-order mark ignored"]


def test_the_tenant_is_the_option_else_the_team_of_most_users_else_an_error():
    users = [{"id": "U1", "team_id": "TMAIN"}, {"id": "U2", "team_id": "TMAIN"}, {"id": "U3", "team_id": "TGUEST"}]
    assert resolve_tenant(users, None) == "TMAIN"
    assert resolve_tenant(users, "TOTHER") == "TOTHER"
    with pytest.raises(ImportFailed, match="pass --tenant"):
        resolve_tenant([{"id": "U1"}], None)
    with pytest.raises(ImportFailed, match="not a usable tenant"):
        resolve_tenant(users, "T1; drop")


def test_an_export_without_users_json_can_not_be_imported(tmp_path):
    with pytest.raises(ImportFailed, match="users.json is missing"):
        read_export(write_export(tmp_path / "e", users=False))
    with pytest.raises(ImportFailed, match="does not exist"):
        read_export(tmp_path / "nowhere")
    (tmp_path / "not-a.zip").write_bytes(b"PK nonsense")
    with pytest.raises(ImportFailed, match="not a readable .zip"):
        open_export(tmp_path / "not-a.zip")


def test_a_users_json_that_is_not_a_list_can_not_be_imported(tmp_path):
    folder = write_export(tmp_path / "e")
    (folder / "users.json").write_text('{"members": []}')
    with pytest.raises(ImportFailed, match="not a list"):
        read_export(folder)
