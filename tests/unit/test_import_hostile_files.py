"""Exports that try to make the importer read what it must not: links out, inflating zips."""

import io
import json
import os
import zipfile

import pytest

from services.importer import reader
from services.importer.models import Tally

pytestmark = pytest.mark.unit


def test_a_symlinked_file_is_not_followed(tmp_path):
    (tmp_path / "users.json").write_text("[]")
    secret = tmp_path.parent / "secret.txt"
    secret.write_text("do not read")
    os.symlink(secret, tmp_path / "channels.json")
    source = reader.open_export(tmp_path)
    assert "channels.json" not in [name for name, _ in source.files()]
    tally = Tally()
    assert reader.read_list(source, "channels.json", tally) is None
    assert "link" in tally.problems[0].reason


def test_a_zip_member_that_inflates_past_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("users.json", json.dumps([]))
        z.writestr("general/2016-01-01.json", "[" + " " * 100_000 + "]")
    source = reader.open_export(path)
    with pytest.raises(reader.FileRefused, match="inflates past"):
        source.read("general/2016-01-01.json")
    assert source.read("users.json") == b"[]"
