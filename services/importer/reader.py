"""Reading a Slack export as Slack writes it: a folder or a .zip, one small file at a time.

Layout: `users.json`, `channels.json` (and `groups.json`, `dms.json`, `mpims.json` when the
export holds private conversations), and one folder per conversation of `YYYY-MM-DD.json`
day files. Day files are decoded one by one, so a big export never sits in memory at once.
Whatever can't be decoded becomes a `Problem` with the file and the decoder's line.
"""

from __future__ import annotations

import json
import re
import os
import zipfile
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from services.importer.models import LISTINGS, ChannelKind, DayFile, ExportChannel, ImportFailed, Tally

_DAY_FILE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})\.json$")
_BOM = b"\xef\xbb\xbf"


# A day file or listing bigger than this is refused: a small zip can inflate to gigabytes.
MAX_FILE_BYTES = int(os.environ.get("OCO_IMPORT_MAX_FILE_BYTES", 256 * 1024 * 1024))


class FileRefused(Exception):
    """A file of the export that is not read: too large once inflated, or a link out of it."""


class ExportSource:
    """Files of an export by their path inside it (`general/2016-01-13.json`)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self, name: str) -> bytes | None:
        raise NotImplementedError

    def files(self) -> list[tuple[str, int]]:
        """Every file as (path inside the export, size in bytes), sorted by path."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class FolderSource(ExportSource):
    def read(self, name: str) -> bytes | None:
        target = self.path / name
        if not target.is_file():
            return None
        if target.is_symlink() or not target.resolve().is_relative_to(self.path.resolve()):
            raise FileRefused(f"{name} is a link, not a file of the export; not followed")
        if target.stat().st_size > MAX_FILE_BYTES:
            raise FileRefused(f"{name} is larger than {MAX_FILE_BYTES:,} bytes; not read")
        return target.read_bytes()

    def files(self) -> list[tuple[str, int]]:
        found = []
        for entry in self.path.rglob("*"):
            if entry.is_file() and not entry.is_symlink():
                found.append((entry.relative_to(self.path).as_posix(), entry.stat().st_size))
        return sorted(found)


class ZipSource(ExportSource):
    """A zipped export; tolerates one enclosing folder (some tools zip the folder itself)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        try:
            self.zip = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise ImportFailed(f"{path} is not a readable .zip file: {exc}") from None
        names = [i.filename for i in self.zip.infolist() if not i.is_dir()]
        self.prefix = ""
        if "users.json" not in names:
            tops = {n.split("/", 1)[0] for n in names if n.endswith("/users.json") and n.count("/") == 1}
            if len(tops) == 1:
                self.prefix = tops.pop() + "/"

    def read(self, name: str) -> bytes | None:
        try:
            member = self.zip.open(self.prefix + name)
        except KeyError:
            return None
        with member:  # read at most the limit, whatever the header claims
            data = member.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise FileRefused(f"{name} inflates past {MAX_FILE_BYTES:,} bytes; not read")
        return data

    def files(self) -> list[tuple[str, int]]:
        found = []
        for info in self.zip.infolist():
            if not info.is_dir() and info.filename.startswith(self.prefix):
                found.append((info.filename[len(self.prefix):], info.file_size))
        return sorted(found)

    def close(self) -> None:
        self.zip.close()


def open_export(path: str | Path) -> ExportSource:
    """The export at `path` (a folder or a .zip), or ImportFailed saying what is wrong."""
    path = Path(path)
    if path.is_dir():
        return FolderSource(path)
    if path.is_file():
        return ZipSource(path)
    raise ImportFailed(f"{path} does not exist (give the export's folder or its .zip file)")


def decode(raw: bytes, name: str, tally: Tally) -> Any | None:
    """The JSON in `raw`, or None after recording why it can't be read (file and line)."""
    if raw.startswith(_BOM):
        raw = raw[len(_BOM):]
        tally.notes.append(f"{name}: UTF-8 byte-order mark ignored")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        tally.problem("file not UTF-8", name, f"not UTF-8: byte 0x{raw[exc.start]:02x} can't be decoded; file skipped", line)
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        tally.problem("invalid JSON", name, f"invalid JSON ({exc.msg}, column {exc.colno}); file skipped", exc.lineno)
    except RecursionError:
        tally.problem("invalid JSON", name, "JSON nested too deeply to read; file skipped")
    return None


def read_list(source: ExportSource, name: str, tally: Tally, *, required: bool = False) -> list[dict] | None:
    """A top-level listing (users.json, channels.json, ...): a list of objects, or None."""
    try:
        raw = source.read(name)
    except FileRefused as exc:
        if required:
            raise ImportFailed(str(exc)) from None
        tally.problem("file refused", name, str(exc))
        return None
    if raw is None:
        if required:
            raise ImportFailed(f"{name} is missing from {source.path}: is this a Slack workspace export?")
        return None
    value = decode(raw, name, tally)
    if value is None and required:
        raise ImportFailed(f"{name} can't be read: {tally.problems[-1] if tally.problems else 'invalid'}")
    if value is not None and not isinstance(value, list):
        if required:
            raise ImportFailed(f"{name} holds a JSON {type(value).__name__}, not a list")
        tally.problem("listing not a list", name, f"holds a JSON {type(value).__name__}, not a list; ignored")
        return None
    return [item for item in value or [] if isinstance(item, dict)]


def read_channels(source: ExportSource, tally: Tally) -> dict[str, ExportChannel]:
    """Every conversation the export lists, by the folder its day files are in."""
    by_folder: dict[str, ExportChannel] = {}
    for listing, kind in LISTINGS.items():
        for item in read_list(source, listing, tally) or []:
            channel_id = item.get("id")
            folder = channel_id if kind is ChannelKind.DIRECT else item.get("name")
            if isinstance(channel_id, str) and channel_id and isinstance(folder, str) and folder:
                by_folder[folder] = ExportChannel(id=channel_id, folder=folder, kind=kind)
    return by_folder


def day_files(source: ExportSource, channels: dict[str, ExportChannel], tally: Tally) -> list[DayFile]:
    """The day files to read, in folder and date order; odd names are reported and left out."""
    found = []
    for name, size in source.files():
        parts = PurePosixPath(name).parts
        if len(parts) != 2:
            continue  # top-level listings and anything deeper are not day files
        folder, filename = parts
        channel = channels.get(folder)
        if channel is None:
            tally.problem("folder not in any listing", name, f"folder {folder!r} is not listed in channels.json, groups.json, dms.json or mpims.json; skipped")
            continue
        if not _is_date(filename):
            tally.problem("file name not a date", name, "file name is not YYYY-MM-DD.json; skipped")
            continue
        found.append(DayFile(channel=channel, path=name, size=size))
    return found


def _is_date(filename: str) -> bool:
    match = _DAY_FILE.match(filename)
    if not match:
        return False
    try:
        date(*(int(g) for g in match.groups()))
    except ValueError:
        return False
    return True
