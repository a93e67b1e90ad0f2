"""Employee recruiting and appointments end to end: signed Slack requests → gateway → Kafka →
roles → notifier → the Slack stand-in (and `/oco roles` through the roles read endpoint)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest

from services.gateway.config import GatewaySettings
from services.notifier.config import NotifierSettings
from services.notifier.main import build as build_notifier
from services.roles.config import RolesSettings
from services.roles.main import create_app as create_roles_app
from shared import topics
from shared.slack_ids import ActionId, CallbackId
from tests import slack_signing as slack
from tests.e2e.conftest import SECRET
from tests.e2e.gateway import running_gateway, serve_in_process
from tests.standin_fixture import slack_standin, standin_server  # noqa: F401  (fixture)
from tests.support import TopicWatcher, unique, wait_for_assignment, wait_until

pytestmark = pytest.mark.e2e

# The same configured admin as the integration tests: any roles instance of any concurrent test
# session may be the one that ends a term, and it names its configured admins in the event.
ADMIN = "U0ROLESADMIN"
REVIEW = "C0E2EREVIEW"
STAFF_GROUP = "S0E2ESTAFF"


@pytest.fixture(scope="module")
async def city():
    """The gateway, the roles service (with its HTTP side) and the notifier, on the stand-in."""
    server = standin_server()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OCO_REVIEW_CHANNEL_ID", REVIEW)
        env.setenv("OCO_ROLE_USERGROUPS", f'{{"employee": "{STAFF_GROUP}"}}')
        roles_app = create_roles_app(RolesSettings(admins=ADMIN, term_check_seconds=0.3, handler_backoff_seconds=0.05))
        notifier = build_notifier(NotifierSettings(
            slack_api_url=server.api_url, slack_bot_token=server.settings.token,
            handler_backoff_seconds=0.05, slack_backoff_seconds=0.05, slack_timeout_seconds=5,
        ))
        async with contextlib.AsyncExitStack() as stack:
            roles_url = await stack.enter_async_context(serve_in_process(roles_app))
            env.setenv("OCO_ROLES_URL", roles_url)
            gateway = await stack.enter_async_context(running_gateway(
                GatewaySettings(signing_secret=SECRET, bot_token=server.settings.token, slack_api_url=server.api_url)))
            await notifier.start()
            stack.push_async_callback(notifier.stop)
            await wait_for_assignment(roles_app.state.runtime)
            await wait_for_assignment(notifier)
            yield gateway


async def post(gateway, body: bytes):
    response = await slack.send(gateway.http, gateway.events_url, body, SECRET)
    assert response.status_code == 200, response.text
    return response


async def appoint(gateway, tenant: str, actor: str, text: str):
    """`/oco appoint …` typed by `actor`; returns the gateway's immediate answer."""
    return (await post(gateway, slack.slash_command(f"appoint {text}", team_id=tenant, user_id=actor,
                                                    channel_id="C0OFFICE"))).json()


async def appointed_chief(gateway, tenant: str) -> str:
    chief = unique("U")
    async with TopicWatcher(topics.ROLE_GRANTED.name) as granted:
        await appoint(gateway, tenant, ADMIN, f"<@{chief}|chief> section_chief until 2099-03-31 moving")
        [grant] = await granted.events_for(tenant)
    assert grant.data["user_id"] == chief and grant.data["department"] == "moving"
    return chief


async def review_post_of(standin, applicant: str) -> dict:
    async def posted():
        return [m for m in standin.messages(REVIEW) if f"<@{applicant}>" in m["text"]] or None

    [message] = await wait_until(posted)
    return message


def buttons(message: dict) -> dict[str, str]:
    return {e["action_id"]: e["value"] for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]}


async def apply(gateway, standin, tenant: str, applicant: str) -> dict:
    """`/oco apply`, then the modal as Slack would submit it; returns the review post."""
    trigger = f"{unique('')}.trigger"
    await post(gateway, slack.slash_command("apply", team_id=tenant, user_id=applicant, trigger_id=trigger))
    [opened] = standin.calls("views.open", trigger_id=trigger)
    assert opened["args"]["view"]["callback_id"] == CallbackId.APPLICATION_MODAL
    values = {"motivation": {"motivation": slack.text_value("I run the town's photo club")},
              "skills": {"skills": slack.text_value("photography, English")},
              "hours_per_month": {"hours_per_month": {"type": "number_input", "value": "10"}}}
    await post(gateway, slack.view_submission(CallbackId.APPLICATION_MODAL, values, team_id=tenant, user_id=applicant))
    return await review_post_of(standin, applicant)


def click(action: ActionId, post_: dict, *, tenant: str, user: str, trigger: str | None = None) -> bytes:
    return slack.block_actions(action, team_id=tenant, user_id=user, value=buttons(post_)[action],
                               channel_id=REVIEW, message_ts=post_["ts"], trigger_id=trigger)


async def test_an_application_is_reviewed_in_slack_and_approval_makes_an_employee(city, slack_standin):
    tenant, applicant = unique("T"), unique("U")
    chief = await appointed_chief(city, tenant)
    review = await apply(city, slack_standin, tenant, applicant)
    assert "photo club" in str(review["blocks"]) and set(buttons(review)) == {
        ActionId.APPROVE_APPLICATION, ActionId.REJECT_APPLICATION}
    async with TopicWatcher(topics.ROLE_GRANTED.name) as granted:
        await post(city, click(ActionId.APPROVE_APPLICATION, review, tenant=tenant, user=chief))
        [grant] = await granted.events_for(tenant)
    assert (grant.data["user_id"], grant.data["role"], grant.data["granted_by"]) == (applicant, "employee", chief)
    await wait_until(lambda: _dm_count(slack_standin, applicant, 2))  # "received", then the welcome
    assert "ようこそ" in slack_standin.dm_messages(applicant)[-1]["text"]

    async def decided():
        [message] = [m for m in slack_standin.messages(REVIEW) if m["ts"] == review["ts"]]
        return not buttons(message) and "approved by" in message["text"]

    await wait_until(decided)
    await slack_standin.wait_for_calls("usergroups.users.update", usergroup=STAFF_GROUP)
    answer = (await post(city, slack.slash_command(f"roles <@{applicant}>", team_id=tenant, user_id=chief))).json()
    assert "職員 / employee" in answer["text"]


async def test_a_resident_clicking_approve_is_refused_and_a_chief_can_still_reject(city, slack_standin):
    tenant, applicant, resident = unique("T"), unique("U"), unique("U")
    chief = await appointed_chief(city, tenant)
    review = await apply(city, slack_standin, tenant, applicant)
    async with TopicWatcher(topics.ROLE_DENIED.name) as denied:
        await post(city, click(ActionId.APPROVE_APPLICATION, review, tenant=tenant, user=resident))
        [refusal] = await denied.events_for(tenant)
    assert refusal.data["code"] == "not_authorised"

    async def refused():
        return [e for e in slack_standin.ephemerals(REVIEW) if e["user"] == resident] or None

    [shown] = await wait_until(refused)
    assert "権限" in shown["text"]
    assert buttons(next(m for m in slack_standin.messages(REVIEW) if m["ts"] == review["ts"]))  # still open

    trigger = f"{unique('')}.trigger"
    await post(city, click(ActionId.REJECT_APPLICATION, review, tenant=tenant, user=chief, trigger=trigger))
    [modal] = slack_standin.calls("views.open", trigger_id=trigger)
    view = modal["args"]["view"]
    assert view["callback_id"] == CallbackId.REJECTION_MODAL
    reason = {"reason": {"reason": slack.text_value("We need weekend help for now")}}
    await post(city, slack.view_submission(CallbackId.REJECTION_MODAL, reason, team_id=tenant, user_id=chief,
                                           private_metadata=view["private_metadata"]))
    await wait_until(lambda: _dm_count(slack_standin, applicant, 2))
    assert "We need weekend help for now" in slack_standin.dm_messages(applicant)[-1]["text"]


async def test_an_appointment_by_an_admin_ends_with_its_term_and_everyone_is_told(city, slack_standin):
    tenant, chief, resident = unique("T"), unique("U"), unique("U")
    denied_answer = await appoint(city, tenant, resident, f"<@{chief}> section_chief")
    assert denied_answer["response_type"] == "ephemeral"  # accepted for checking; refused by roles

    async def refused():
        return [e for e in slack_standin.ephemerals("C0OFFICE") if e["user"] == resident] or None

    await wait_until(refused)
    ends = (datetime.now(UTC) + timedelta(seconds=3)).isoformat(timespec="seconds")
    async with TopicWatcher(topics.ROLE_REVOKED.name) as revoked:
        await appoint(city, tenant, ADMIN, f"<@{chief}> section_chief until {ends}")
        [ended] = await revoked.events_for(tenant, timeout=30)
        await revoked.settle(1.0)
    assert (ended.data["user_id"], ended.data["cause"]) == (chief, "term_ended")
    assert len([r for r in revoked.records if tenant.encode() in r.value]) == 1
    await wait_until(lambda: _dm_count(slack_standin, chief, 2))  # appointed, then the term's end
    assert "任期" in slack_standin.dm_messages(chief)[-1]["text"]

    async def admin_told():
        return [m for m in slack_standin.dm_messages(ADMIN) if f"<@{chief}>" in m["text"]] or None

    await wait_until(admin_told)
    answer = (await post(city, slack.slash_command(f"roles <@{chief}>", team_id=tenant, user_id=chief))).json()
    assert "no roles" in answer["text"]


async def _dm_count(standin, user: str, count: int) -> bool:
    return len(standin.dm_messages(user)) >= count
