"""`oco import` and `oco demo` on the command line, where no server is needed."""

from __future__ import annotations

import json

import pytest

from oco.cli import build_parser, main
from tests.unit.test_import_fixtures import write_export

pytestmark = pytest.mark.unit


def test_the_commands_are_registered_with_their_options():
    args = build_parser().parse_args(["import", "export.zip", "--tenant", "T1", "--json"])
    assert (args.path, args.tenant, args.json) == ("export.zip", "T1", True)
    args = build_parser().parse_args(["demo", "--seed", "3", "--no-import"])
    assert (args.seed, args.no_import, args.out) == (3, True, None)


def test_an_export_that_can_not_be_imported_exits_2_and_says_why(tmp_path, capsys):
    assert main(["import", str(write_export(tmp_path / "e", users=False))]) == 2
    assert "users.json is missing" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "nowhere"), "--json"]) == 2
    out, err = capsys.readouterr()
    payload = json.loads(out)
    assert payload["exit_code"] == 2 and "does not exist" in payload["error"] and "does not exist" in err


def test_without_a_team_id_the_message_asks_for_tenant(tmp_path, capsys):
    users = [{"id": "UALICE", "name": "alice"}]
    assert main(["import", str(write_export(tmp_path / "e", users=users))]) == 2
    assert "pass --tenant" in capsys.readouterr().err


def test_demo_without_import_only_writes_the_export(tmp_path, capsys):
    assert main(["demo", "--seed", "5", "--out", str(tmp_path / "city"), "--no-import"]) == 0
    out = capsys.readouterr().out
    assert "Demo city TDEMO0005 (seed 5)" in out and "1,400 residents" in out
    assert (tmp_path / "city" / "users.json").is_file()
