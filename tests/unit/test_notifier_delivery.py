"""The delivering Slack client against the Slack stand-in (in-process; in-memory store):
once per key, rate limits honoured, 5xx and time-outs retried without double posts."""

from __future__ import annotations

import pytest

from services.notifier.errors import DeliveryRefused, SlackUnavailable
from services.notifier.models import Delivery, DeliveryState
from services.notifier.slack_client import RateLimitGate, RetryPolicy, SlackDelivery, make_web_client
from services.notifier.store import InMemoryDeliveryStore
from tests.standin_fixture import slack_standin  # noqa: F401  (fixture)

pytestmark = pytest.mark.unit


def make_delivery(standin, **policy) -> SlackDelivery:
    policy = RetryPolicy(**{"attempts": 3, "backoff_seconds": 0.05, "timeout_seconds": 5.0, **policy})
    gate = RateLimitGate()
    client = make_web_client(token=standin.token, base_url=standin.url, policy=policy, gate=gate)
    return SlackDelivery(client, InMemoryDeliveryStore(), policy=policy, gate=gate)


@pytest.fixture
async def slack(slack_standin):
    delivery = make_delivery(slack_standin)
    await delivery.start()
    yield delivery
    await delivery.close()


async def _post(slack: SlackDelivery, key: str = "e1/welcome_dm", channel: str = "C0TOWNHALL"):
    return await slack.deliver(key=key, tenant="T1", cause_event_id="e1", method="chat.postMessage",
                               channel=channel, text="ようこそ")


async def test_a_key_is_delivered_once_and_the_post_carries_it_in_metadata(slack, slack_standin):
    first = await _post(slack)
    again = await _post(slack)
    assert not first.repeated and again.repeated and again.ts == first.ts and first.channel == "C0TOWNHALL"
    [message] = slack_standin.messages("C0TOWNHALL")
    assert message["metadata"] == {"event_type": "oco_delivery", "event_payload": {"delivery_key": "e1/welcome_dm"}}
    assert (await slack.store.get("e1/welcome_dm")).state is DeliveryState.DELIVERED


async def test_a_claim_left_sending_by_a_crash_finds_the_earlier_post_instead_of_posting_again(slack, slack_standin):
    await _post(slack)
    # The crash: Slack took the post but the "delivered" mark was never written.
    record = slack.store.deliveries["e1/welcome_dm"]
    slack.store.deliveries["e1/welcome_dm"] = record.model_copy(update={"state": DeliveryState.SENDING, "ts": None})
    recovered = await _post(slack)
    assert recovered.ts == record.ts
    assert len(slack_standin.messages("C0TOWNHALL")) == 1
    assert len(slack_standin.calls("conversations.history", include_all_metadata="1")) == 1


async def test_a_claim_left_sending_before_slack_got_the_post_posts_it(slack, slack_standin):
    await slack.store.claim(Delivery(key="e2/welcome_dm", tenant="T1", method="chat.postMessage",
                                     cause_event_id="e2", channel="C0TOWNHALL"))
    done = await _post(slack, key="e2/welcome_dm")
    assert done.ts and len(slack_standin.messages("C0TOWNHALL")) == 1


async def test_rate_limits_are_waited_out_and_the_post_made_once(slack, slack_standin):
    slack_standin.rate_limit("chat.postMessage", count=2, retry_after=1)
    done = await _post(slack)
    calls = slack_standin.calls("chat.postMessage")
    assert [c["status"] for c in calls] == [429, 429, 200]
    assert calls[1]["at"] - calls[0]["at"] >= 1.0  # Retry-After was honoured
    assert done.ts and len(slack_standin.messages("C0TOWNHALL")) == 1


async def test_server_errors_are_retried_after_looking_for_an_earlier_post(slack, slack_standin):
    slack_standin.server_error("chat.postMessage", count=2, status=500)
    await _post(slack)
    assert [c["status"] for c in slack_standin.calls("chat.postMessage")] == [500, 500, 200]
    assert len(slack_standin.calls("conversations.history")) == 2  # one look before each re-post
    assert len(slack_standin.messages("C0TOWNHALL")) == 1


async def test_slack_down_for_longer_than_the_attempts_is_transient_and_the_claim_stays(slack, slack_standin):
    slack_standin.server_error("chat.postMessage", count=3, status=503)
    with pytest.raises(SlackUnavailable):
        await _post(slack)
    assert (await slack.store.get("e1/welcome_dm")).state is DeliveryState.SENDING
    await _post(slack)  # the bus's next attempt
    assert len(slack_standin.messages("C0TOWNHALL")) == 1


async def test_a_timed_out_post_that_slack_made_anyway_is_not_made_twice(slack_standin):
    # Slack acts after 0.6 s; the client gives up at 0.3 s and looks again 1.5 s later.
    slack = make_delivery(slack_standin, timeout_seconds=0.3, backoff_seconds=1.5)
    await slack.start()
    try:
        slack_standin.stall("chat.postMessage", seconds=0.6)
        done = await _post(slack)
    finally:
        await slack.close()
    [message] = slack_standin.messages("C0TOWNHALL")
    assert done.ts == message["ts"] and len(slack_standin.calls("chat.postMessage")) == 1


async def test_a_refusal_is_permanent_recorded_and_a_later_replay_can_succeed(slack, slack_standin):
    slack_standin.refuse("chat.postMessage", error="invalid_auth")
    with pytest.raises(DeliveryRefused) as refused:
        await _post(slack)
    assert [(r.method, r.error, r.key) for r in refused.value.refusals] == [("chat.postMessage", "invalid_auth", "e1/welcome_dm")]
    assert (await slack.store.get("e1/welcome_dm")).state is DeliveryState.FAILED
    assert len(slack_standin.calls("chat.postMessage")) == 1  # not retried
    await _post(slack)  # replayed from the DLQ once the token is fixed
    assert len(slack_standin.messages("C0TOWNHALL")) == 1


async def test_an_invite_to_a_channel_the_resident_is_already_in_counts_as_done(slack, slack_standin):
    channel = slack_standin.add_channel("C0MOVING", name="移住課", members=["U0HANAKO"])
    done = await slack.deliver(key="e1/invite/moving", tenant="T1", cause_event_id="e1",
                               method="conversations.invite", channel=channel, users="U0HANAKO")
    assert done.channel == "C0MOVING"
    assert (await slack.store.get("e1/invite/moving")).state is DeliveryState.DELIVERED
