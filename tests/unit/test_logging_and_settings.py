import json
import logging

import pytest

from shared.logging import JsonFormatter, redact
from shared.settings import ServiceSettings

pytestmark = pytest.mark.unit


def test_tokens_and_connection_passwords_are_redacted():
    text = "posting with xoxb-123-456-abcdef to mongodb://oco:s3cret@db:27017/ and xapp-1-A-2"
    out = redact(text)
    assert "xoxb-123" not in out and "s3cret" not in out and "xapp-1" not in out


def test_json_log_lines_carry_the_service_and_redact():
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "token %s", ("xoxb-1-2-3",), None)
    line = json.loads(JsonFormatter("gateway").format(record))
    assert line["service"] == "gateway" and "xoxb" not in line["message"]


def test_settings_do_not_reveal_secrets(monkeypatch):
    monkeypatch.setenv("OCO_MONGO_URL", "mongodb://u:hunter2@h/")
    monkeypatch.setenv("OCO_KAFKA_SASL_PASSWORD", "hunter3")
    settings = ServiceSettings()
    assert "hunter2" not in repr(settings) and "hunter3" not in repr(settings)
    assert settings.mongo_url.get_secret_value().endswith("@h/")


def test_an_invalid_setting_is_named_by_the_cli_without_its_value_or_a_traceback(monkeypatch, capsys):
    from oco.cli import main

    monkeypatch.setenv("OCO_NOTIFIER_RESIDENT_WORKERS", "0")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-value-1234")
    monkeypatch.setattr("services.notifier.main.serve", lambda *a, **k: pytest.fail("must not start"))
    assert main(["run", "notifier"]) == 2
    err = capsys.readouterr().err
    assert "invalid setting OCO_NOTIFIER_RESIDENT_WORKERS: Input should be greater than or equal to 1" in err
    assert "Traceback" not in err and "xoxb-secret" not in err
