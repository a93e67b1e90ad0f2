"""How the notifier reads Slack's answers: heal, look first, or refuse for good."""

from __future__ import annotations

import pytest

from shared.errors import PermanentError, TransientError
from services.notifier.errors import DeliveryRefused, Refusal, SlackUnavailable, Verdict, classify
from services.notifier.slack_client import retry_after

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "method, status, error, verdict",
    [
        ("chat.postMessage", 429, "ratelimited", Verdict.RATE_LIMITED),
        ("chat.postMessage", 500, None, Verdict.AMBIGUOUS),
        ("chat.postMessage", 503, None, Verdict.AMBIGUOUS),
        ("chat.postMessage", 200, "internal_error", Verdict.AMBIGUOUS),
        ("chat.postMessage", 200, "service_unavailable", Verdict.TRANSIENT),
        ("conversations.invite", 200, "already_in_channel", Verdict.DONE),
        ("chat.postMessage", 200, "already_in_channel", Verdict.REFUSED),
        *[("chat.postMessage", 200, e, Verdict.REFUSED) for e in (
            "invalid_auth", "not_authed", "account_inactive", "channel_not_found", "not_in_channel",
            "user_not_found", "invalid_arguments", "invalid_blocks", "msg_too_long")],
        ("chat.postMessage", 200, "an_error_slack_adds_next_year", Verdict.REFUSED),
        ("chat.postMessage", 404, None, Verdict.REFUSED),
    ],
)
def test_classification(method, status, error, verdict):
    assert classify(method=method, status=status, error=error) is verdict


def test_refusals_are_permanent_and_unavailability_transient():
    refused = DeliveryRefused([Refusal(key="e1/welcome_dm", method="chat.postMessage", error="invalid_auth")])
    assert isinstance(refused, PermanentError) and isinstance(SlackUnavailable("x"), TransientError)
    assert str(refused) == "Slack chat.postMessage refused: invalid_auth (delivery e1/welcome_dm)"


@pytest.mark.parametrize(
    "headers, seconds",
    [({"Retry-After": ["3"]}, 3.0), ({"retry-after": "7"}, 7.0), ({}, 1.0), ({"Retry-After": ["soon"]}, 1.0)],
)
def test_retry_after_is_read_from_slacks_header(headers, seconds):
    assert retry_after(headers) == seconds
