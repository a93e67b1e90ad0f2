"""Slack stalling past the notifier's time-out, against the stand-in: a post Slack makes late
is still made once."""

from __future__ import annotations

import pytest

from services.notifier.errors import SlackUnavailable

from tests.standin_fixture import slack_standin  # noqa: F401  (fixture)
from tests.support import wait_until
from tests.unit.test_notifier_delivery import _post, make_delivery

pytestmark = pytest.mark.unit


async def test_a_post_slack_makes_after_the_client_gave_up_and_backed_off_is_not_made_twice(slack_standin):
    # The client gives up at 1 s (slack_sdk's least) and backs off 0.05 s; Slack posts at 1.5 s,
    # after the retry has looked for it (1.05 s) and posted again.
    slack = make_delivery(slack_standin, timeout_seconds=1.0, backoff_seconds=0.05)
    await slack.start()
    try:
        slack_standin.stall("chat.postMessage", seconds=1.5)
        done = await _post(slack)
        await wait_until(_all_answered(slack_standin), timeout=10)  # the stalled call has acted too
    finally:
        await slack.close()
    [message] = slack_standin.messages("C0TOWNHALL")
    assert done.ts == message["ts"]


def _all_answered(standin):
    async def check() -> bool:
        return all(call.get("ok") is not None for call in standin.calls("chat.postMessage"))

    return check


async def test_a_post_slack_makes_after_every_attempt_gave_up_is_not_made_again_by_the_next_run(slack_standin):
    # One attempt per run; Slack posts at 1.5 s, after the run gave up (1 s) and before the
    # bus's next run would look for it without waiting.
    slack = make_delivery(slack_standin, attempts=1, timeout_seconds=1.0, backoff_seconds=0.05)
    await slack.start()
    try:
        slack_standin.stall("chat.postMessage", seconds=1.5)
        with pytest.raises(SlackUnavailable):
            await _post(slack)
        done = await _post(slack)  # the bus's next run of the handler
        await wait_until(_all_answered(slack_standin), timeout=10)
    finally:
        await slack.close()
    [message] = slack_standin.messages("C0TOWNHALL")
    assert done.ts == message["ts"]
