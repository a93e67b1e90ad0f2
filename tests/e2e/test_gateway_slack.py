"""Signed Slack requests → the gateway → the Slack stand-in (modals, App Home) and Kafka."""

from __future__ import annotations

import pytest

from services.gateway import messages
from services.gateway.models import CONSENT_VALUE
from services.onboarding.config import OnboardingSettings
from services.onboarding.main import build as build_onboarding
from shared import topics
from shared.slack_ids import ActionId, CallbackId
from tests import slack_signing as slack
from tests.e2e.conftest import SECRET
from tests.support import TopicWatcher, unique, wait_for_assignment

pytestmark = pytest.mark.e2e


async def post(gateway, body: bytes):
    return await slack.send(gateway.http, gateway.events_url, body, SECRET)


def profile_values(*, consent: bool) -> dict:
    return {
        "category": {"category": slack.selected("prospective_migrant")},
        "display_name": {"display_name": slack.text_value("Hanako")},
        "language": {"language": slack.radio("en")},
        "relation": {"relation": slack.text_value("Visited for the summer festival")},
        "interests": {"interests": slack.checked("moving", "places")},
        "consent": {"consent": slack.checked(CONSENT_VALUE) if consent else slack.checked()},
    }


async def test_the_welcome_button_opens_the_profile_modal_with_its_trigger(gateway, slack_standin):
    tenant, user, trigger = unique("T"), unique("U"), f"{unique('')}.trigger"
    click = slack.block_actions(ActionId.OPEN_PROFILE, team_id=tenant, user_id=user, trigger_id=trigger,
                                channel_id=unique("D"))
    assert (await post(gateway, click)).status_code == 200
    [opened] = slack_standin.calls("views.open", trigger_id=trigger)
    assert opened["ok"] and opened["token_ok"]
    assert opened["args"]["view"]["callback_id"] == CallbackId.PROFILE_MODAL


async def test_oco_profile_opens_the_profile_modal(gateway, slack_standin):
    trigger = f"{unique('')}.trigger"
    response = await post(gateway, slack.slash_command("profile", team_id=unique("T"), user_id=unique("U"), trigger_id=trigger))
    assert response.status_code == 200
    [opened] = slack_standin.calls("views.open", trigger_id=trigger)
    blocks = {b.get("block_id") for b in opened["args"]["view"]["blocks"]}
    assert {"category", "display_name", "language", "relation", "interests", "consent"} <= blocks


async def test_a_modal_slack_refuses_to_open_is_explained_to_the_person(gateway, slack_standin):
    slack_standin.refuse("views.open", error="expired_trigger_id")
    response = await post(gateway, slack.slash_command("profile", team_id=unique("T"), user_id=unique("U")))
    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral" and "try again" in response.json()["text"]


async def test_profile_submissions_are_checked_then_published_and_onboard_the_resident(gateway, slack_standin):
    tenant, user = unique("T"), unique("U")
    onboarding = build_onboarding(OnboardingSettings())
    await onboarding.start()
    try:
        await wait_for_assignment(onboarding)
        async with (TopicWatcher(topics.RESIDENT_PROFILE_SUBMITTED.name) as submitted,
                    TopicWatcher(topics.RESIDENT_ONBOARDED.name) as onboarded):
            refused = await post(gateway, slack.view_submission(
                CallbackId.PROFILE_MODAL, profile_values(consent=False), team_id=tenant, user_id=user))
            accepted = await post(gateway, slack.view_submission(
                CallbackId.PROFILE_MODAL, profile_values(consent=True), team_id=tenant, user_id=user))
            [event] = await submitted.events_for(tenant)
            [resident] = await onboarded.events_for(tenant)
    finally:
        await onboarding.stop()
    assert refused.json()["response_action"] == "errors" and "consent" in refused.json()["errors"]
    assert accepted.status_code == 200 and accepted.text == ""
    assert event.data["category"] == "prospective_migrant" and event.data["interests"] == ["moving", "places"]
    assert resident.data["user_id"] == user and resident.data["category"] == "prospective_migrant"


async def test_oco_leave_asks_then_the_confirmation_publishes_resident_left(gateway, slack_standin, response_urls):
    tenant, user = unique("T"), unique("U")
    question = await post(gateway, slack.slash_command("leave", team_id=tenant, user_id=user))
    buttons = [e for b in question.json()["blocks"] if b["type"] == "actions" for e in b["elements"]]
    confirm = next(b for b in buttons if b["action_id"] == ActionId.CONFIRM_LEAVE)
    answer_url = response_urls.new("leave")
    async with TopicWatcher(topics.RESIDENT_LEFT.name) as left:
        click = slack.block_actions(confirm["action_id"], team_id=tenant, user_id=user, value=confirm["value"],
                                    response_url=answer_url, ephemeral=True)
        assert (await post(gateway, click)).status_code == 200
        [event] = await left.events_for(tenant)
    assert event.data == {"schema_version": 1, "user_id": user, "reason": "requested"}
    assert await response_urls.wait_for(answer_url) == {"text": messages.LEAVE_DONE, "replace_original": True}


async def test_opening_app_home_publishes_the_welcome_card(gateway, slack_standin):
    user = unique("U")
    event = slack.event_callback(slack.app_home_opened_event(user), team_id=unique("T"))
    assert (await post(gateway, event)).status_code == 200
    [published] = slack_standin.calls("views.publish", user_id=user)
    view = published["args"]["view"]
    assert published["ok"] and view["type"] == "home"
    actions = [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert actions == [ActionId.OPEN_PROFILE]


async def test_a_failed_home_publish_is_not_acknowledged_so_slack_retries(gateway, slack_standin):
    slack_standin.server_error("views.publish", count=2)
    event = slack.event_callback(slack.app_home_opened_event(unique("U")), team_id=unique("T"))
    assert (await post(gateway, event)).status_code >= 500
