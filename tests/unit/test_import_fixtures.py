"""Small Slack exports built in tmp_path, good and broken, for the importer's tests.

The real export (`slack-export-houstondatavis` in the shared data, see `tests.shared_data`) is read
in place, never copied.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.shared_data import SHARED_DATA

REPO = Path(__file__).resolve().parents[2]
HOUSTON = SHARED_DATA / "slack-export-houstondatavis"

TEAM = "TSMALL01"
PEOPLE = [
    {"id": "UALICE", "team_id": TEAM, "name": "alice", "deleted": False, "is_bot": False,
     "profile": {"real_name": "Alice", "display_name": "alice"}},
    {"id": "UBOB", "team_id": TEAM, "name": "bob", "deleted": False, "is_bot": False, "profile": {"real_name": "Bob"}},
    {"id": "UGONE", "team_id": TEAM, "name": "gone", "deleted": True, "is_bot": False, "profile": {}},
    {"id": "UROBOT", "team_id": TEAM, "name": "robot", "deleted": False, "is_bot": True, "profile": {"bot_id": "B1"}},
]
CHANNELS = [{"id": "CGEN", "name": "general"}, {"id": "CRAND", "name": "random"}]


def message(user: str | None, ts: str, text: str = "hello", **extra) -> dict:
    entry = {"type": "message", "text": text, "ts": ts, **extra}
    if user:
        entry["user"] = user
    return entry


def good_days() -> dict[str, list[dict]]:
    """Two channels, a thread, reactions, a notice, a bot post: 5 counted messages, 4 reactions."""
    return {
        "general/2020-01-01.json": [
            message("UALICE", "1577836800.000100", subtype="channel_join"),
            message("UALICE", "1577836900.000200", reactions=[{"name": "+1", "users": ["UBOB", "UGONE"], "count": 2}]),
            message("UBOB", "1577837000.000300", thread_ts="1577836900.000200"),
            message(None, "1577837100.000400", subtype="bot_message", bot_id="B1"),
        ],
        "general/2020-01-02.json": [message("UGONE", "1577923200.000100", "bye")],
        "random/2020-01-02.json": [
            message("UBOB", "1577923300.000100", reactions=[{"name": "tada", "users": ["UALICE", "UBOB"], "count": 2}]),
            message("UALICE", "1577923400.000200", "a file", subtype="file_share"),
        ],
    }


def write_export(root: Path, *, days: dict[str, list | bytes | str] | None = None, users: list | bool | None = None,
                 channels: list | None = None, extra_files: dict[str, bytes] | None = None) -> Path:
    """A folder laid out as Slack writes exports (`users=False`: without users.json); day files
    given as objects, text or raw bytes."""
    root.mkdir(parents=True, exist_ok=True)
    if users is not False:
        (root / "users.json").write_text(json.dumps(PEOPLE if users is None else users))
    (root / "channels.json").write_text(json.dumps(CHANNELS if channels is None else channels))
    for name, content in {**(good_days() if days is None else days), **(extra_files or {})}.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        elif isinstance(content, str):
            target.write_text(content, encoding="utf-8")
        else:
            target.write_text(json.dumps(content, indent=4))
    return root


def zip_export(folder: Path, target: Path, *, enclosing: str = "") -> Path:
    """The export zipped, optionally inside one enclosing folder."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, enclosing + path.relative_to(folder).as_posix())
    return target


def broken_days() -> dict[str, list | bytes | str]:
    """One good file, and one of each kind of bad file or entry the importer must report."""
    good = json.dumps([message("UALICE", "1577836900.000200"), message("UBOB", "1577837000.000300")], indent=4)
    return {
        "general/2020-01-01.json": good,
        "general/2020-01-02.json": '[\n    {"type": "message", "user": "UALICE",\n    "ts": "1577923200.0001"',  # truncated
        "general/2020-01-03.json": {"type": "message", "user": "UALICE", "ts": "1578009600.000100"},  # not a list
        "general/2020-01-04.json": [
            message("UALICE", "1578096000.000100"),
            message("UALICE", "1578096100.000200", subtype="huddle_party"),  # unknown subtype
            message("UNOBODY", "1578096200.000300"),  # user missing from users.json
        ],
        "general/2020-01-05.json": b"\xef\xbb\xbf" + json.dumps([message("UBOB", "1578182400.000100")]).encode(),  # BOM
        "general/2020-01-06.json": b'[\n{"type": "message", "user": "UBOB",\n "text": "caf\xe9", "ts": "1578268800.000100"}]',
        "general/2020-01-07.json": b'[{"type": "message", "user": "UBOB", "text": "\xff\xfe", "ts": "1578355200.000100"}]',
        "general/notes.json": [message("UBOB", "1578441600.000100")],  # name is not a date
        "general/2020-02-30.json": [message("UBOB", "1582934400.000100")],  # not a real date
    }


@pytest.mark.unit
def test_the_builders_write_what_slack_writes(tmp_path):
    folder = write_export(tmp_path / "export")
    assert json.loads((folder / "users.json").read_text())[0]["team_id"] == TEAM
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.json")) == sorted(
        ["users.json", "channels.json", *good_days()])
    archive = zip_export(folder, tmp_path / "export.zip", enclosing="export/")
    assert "export/users.json" in zipfile.ZipFile(archive).namelist()


@pytest.mark.unit
def test_the_real_export_is_there_to_read():
    assert (HOUSTON / "users.json").is_file(), (
        f"expected the shared test data at {HOUSTON.resolve()} (../shared/data beside the clone, or set OCO_SHARED_DATA)")
