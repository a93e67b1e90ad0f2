"""Hostile values in a Slack export: reported as problems, never a traceback out of `oco import`."""

from __future__ import annotations

import pytest

from services.importer.models import Tally
from services.importer.translate import Translator
from shared.slack import message_posted, ts_to_datetime
from tests.unit.test_import_translate import GENERAL

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("ts", ["1e400", float("inf"), "-1e300", "99999999999999", float("nan"), "abc"])
def test_a_ts_that_is_no_time_is_a_value_error(ts):
    with pytest.raises(ValueError):
        ts_to_datetime(ts)


@pytest.mark.parametrize("ts", [float("inf"), "1e400", float("nan")])
def test_an_exported_message_with_an_impossible_ts_is_a_reported_problem(ts):
    # json.loads accepts NaN and Infinity; the day file had `"ts": Infinity`.
    entry = {"type": "message", "user": "U1", "text": "x", "ts": ts}
    with pytest.raises(ValueError):
        message_posted(entry, tenant="T1", channel_id="C1")
    tally = Tally()
    translator = Translator(tenant="T1", users=[{"id": "U1", "name": "a"}], tally=tally)
    assert translator.day(GENERAL, [entry], b"[]") == []
    assert tally.problems
