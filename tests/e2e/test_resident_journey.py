"""A person's whole journey over Slack's own protocol, through every real part:
signed Slack request → gateway → Kafka → onboarding / notifier → FerretDB → Slack stand-in."""

from __future__ import annotations

import json

import pytest

from services.gateway.models import CONSENT_VALUE
from services.notifier.config import NotifierSettings
from services.notifier.main import build as build_notifier
from services.onboarding.config import OnboardingSettings
from services.onboarding.main import build as build_onboarding
from services.onboarding.models import PERSONAL_FIELDS
from shared.slack_ids import ActionId, CallbackId
from tests import slack_signing as slack
from tests.e2e.conftest import SECRET
from tests.standin_fixture import standin_server
from tests.support import unique, wait_for_assignment, wait_until

pytestmark = pytest.mark.e2e

DEPARTMENTS = json.dumps([
    {"key": "moving", "name_ja": "移住課", "name_en": "Moving Here", "channel_id": "C0MOVING", "channel_name": "移住課"},
    {"key": "places", "name_ja": "おすすめスポット課", "name_en": "Places", "channel_id": "C0PLACES", "channel_name": "spots"},
    {"key": "photos", "name_ja": "写真課", "name_en": "Photos", "channel_id": "C0PHOTOS", "channel_name": "写真課"},
])


@pytest.fixture(scope="module")
async def services():
    server = standin_server()
    onboarding = build_onboarding(OnboardingSettings())
    notifier = build_notifier(NotifierSettings(
        slack_api_url=server.api_url, slack_bot_token=server.settings.token, departments=DEPARTMENTS,
        slack_backoff_seconds=0.05, handler_backoff_seconds=0.05,
    ))
    for runtime in (onboarding, notifier):
        await runtime.start()
        await wait_for_assignment(runtime)
    yield {"onboarding": onboarding, "notifier": notifier}
    for runtime in (notifier, onboarding):
        await runtime.stop()


async def post(gateway, body: bytes):
    response = await slack.send(gateway.http, gateway.events_url, body, SECRET)
    assert response.status_code == 200, response.text
    return response


def buttons(message: dict) -> list[str]:
    return [e["action_id"] for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


async def dm(standin, user: str, count: int) -> list[dict]:
    async def enough():
        found = standin.dm_messages(user)
        return found if len(found) >= count else None

    return await wait_until(enough, timeout=60)


async def test_join_welcome_profile_resident_welcome_invites_and_leave(gateway, slack_standin, services, response_urls):
    tenant, user = unique("T"), unique("U")

    # 1. The person joins: a welcome DM with the profile button, exactly once despite retries.
    join = slack.event_callback(slack.team_join_event(user, team_id=tenant), team_id=tenant)
    await post(gateway, join)
    await slack.send(gateway.http, gateway.events_url, join, SECRET, retry_num=1)
    [welcome] = await dm(slack_standin, user, 1)
    assert ActionId.OPEN_PROFILE in buttons(welcome)

    # 2. The button opens the onboarding modal with the click's trigger.
    trigger = f"{unique('')}.trigger"
    await post(gateway, slack.block_actions(ActionId.OPEN_PROFILE, team_id=tenant, user_id=user, trigger_id=trigger,
                                            channel_id=welcome["channel"]))
    assert slack_standin.calls("views.open", trigger_id=trigger)

    # 3. The form is sent: onboarding accepts it; the notifier welcomes the resident and
    #    invites them to the departments of their interests (and only those).
    values = {
        "category": {"category": slack.selected("prospective_migrant")},
        "display_name": {"display_name": slack.text_value("Hanako")},
        "language": {"language": slack.radio("en")},
        "relation": {"relation": slack.text_value("Thinking of moving next spring")},
        "interests": {"interests": slack.checked("moving", "places")},
        "consent": {"consent": slack.checked(CONSENT_VALUE)},
    }
    await post(gateway, slack.view_submission(CallbackId.PROFILE_MODAL, values, team_id=tenant, user_id=user))
    welcome_again = (await dm(slack_standin, user, 2))[1]
    assert "resident" in json.dumps(welcome_again).lower()
    await slack_standin.wait_for_calls("conversations.invite", count=2, users=user, timeout=60)
    invited = {c["args"]["channel"] for c in slack_standin.calls("conversations.invite", users=user)}
    assert invited == {"C0MOVING", "C0PLACES"}
    residents = services["onboarding"].db["residents"]
    stored = await residents.find_one({"_id": f"{tenant}:{user}"})
    assert stored["status"] == "onboarded" and stored["category"] == "prospective_migrant"

    # 4. They leave with /oco leave and confirm: their personal data is gone from the store.
    question = await post(gateway, slack.slash_command("leave", team_id=tenant, user_id=user))
    confirm = next(e for b in question.json()["blocks"] if b["type"] == "actions" for e in b["elements"]
                   if e["action_id"] == ActionId.CONFIRM_LEAVE)
    await post(gateway, slack.block_actions(confirm["action_id"], team_id=tenant, user_id=user, value=confirm["value"],
                                            response_url=response_urls.new("leave"), ephemeral=True))

    async def erased():
        doc = await residents.find_one({"_id": f"{tenant}:{user}"})
        return doc if doc and doc["status"] == "left" else None

    tombstone = await wait_until(erased, timeout=60)
    assert all(tombstone.get(f) in (None, "", []) for f in PERSONAL_FIELDS)
    assert "Hanako" not in json.dumps(tombstone, default=str)
    # Still exactly one welcome of each kind: nothing was posted twice.
    assert len(slack_standin.dm_messages(user)) == 2
