"""`oco announce`: what it turns its arguments into, and how it refuses bad ones (no Kafka)."""

from __future__ import annotations

import json

import pytest

from oco.cli import build_parser, main
from shared import topics
from shared.envelope import CloudEvent

pytestmark = pytest.mark.unit


def parse(*argv: str):
    return build_parser().parse_args(["announce", *argv])


def test_the_arguments_become_a_valid_announcement_on_its_topic_keyed_by_its_id(capsys):
    code = main(["announce", "--tenant", "T0CITY", "--title", "断水のお知らせ", "--body", "3日は断水します。",
                 "--body-en", "No water on the 3rd.", "--interests", "moving, childcare,,moving", "--id", "ann-42",
                 "--dry-run"])
    event = CloudEvent.model_validate(json.loads(capsys.readouterr().out))
    assert code == 0 and event.type == topics.ANNOUNCEMENT_PUBLISHED.name
    assert (event.id, event.subject, event.tenant, event.source) == ("ann-42", "ann-42", "T0CITY", "oco/cli")
    data = event.payload(topics.ANNOUNCEMENT_PUBLISHED.model)
    assert (data.title, data.body, data.body_en, data.interests) == (
        "断水のお知らせ", "3日は断水します。", "No water on the 3rd.", ["moving", "childcare"])


def test_texts_can_come_from_files(tmp_path, capsys):
    (tmp_path / "ja.txt").write_text("一行目\n二行目\n", encoding="utf-8")
    main(["announce", "--tenant", "T0CITY", "--title", "t", "--body", f"@{tmp_path / 'ja.txt'}", "--dry-run"])
    event = CloudEvent.model_validate(json.loads(capsys.readouterr().out))
    assert event.data["body"] == "一行目\n二行目\n" and "body_en" not in event.data and event.data["interests"] == []


@pytest.mark.parametrize("argv, complaint", [
    (["--tenant", "T0CITY", "--title", " ", "--body", "x"], "title"),
    (["--tenant", "T0CITY", "--title", "x" * 151, "--body", "x"], "title"),
    (["--tenant", "T0CITY", "--title", "t", "--body", "@/nonexistent/body.txt"], "body.txt"),
    (["--tenant", "", "--title", "t", "--body", "x"], "tenant"),
])
def test_an_invalid_announcement_is_refused_before_anything_is_sent(argv, complaint, capsys):
    assert main(["announce", *argv, "--dry-run"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and complaint in captured.err


def test_an_unknown_department_key_is_warned_about(capsys, monkeypatch):
    monkeypatch.delenv("OCO_DEPARTMENTS", raising=False)
    assert main(["announce", "--tenant", "T0CITY", "--title", "t", "--body", "b", "--interests", "movng",
                 "--dry-run"]) == 0
    assert "movng" in capsys.readouterr().err


def test_every_run_without_an_id_is_a_new_announcement():
    from oco.commands.announce import announcement_event

    args = parse("--tenant", "T0CITY", "--title", "t", "--body", "b")
    assert announcement_event(args).id != announcement_event(args).id
