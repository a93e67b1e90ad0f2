"""The notifier's roles module against the Slack stand-in (in-process; in-memory stores)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.envelope import TypedEvent, new_event
from shared.errors import PermanentError
from shared.events import RoleApplicationOpened, RoleApplicationRejected, RoleDenied, RoleGranted, RoleRevoked
from shared.slack_ids import ActionId
from services.notifier.handlers import roles
from services.notifier.slack_client import RateLimitGate, RetryPolicy, SlackDelivery, make_web_client
from services.notifier.store import InMemoryDeliveryStore, InMemoryResidentCache
from tests.standin_fixture import slack_standin  # noqa: F401  (fixture)

pytestmark = pytest.mark.unit
REVIEW = "C0REVIEW"
SETTINGS = roles.RolesNotifierSettings(review_channel_id=REVIEW, role_usergroups={"employee": "S0STAFF"})


@pytest.fixture
async def slack(slack_standin):
    policy = RetryPolicy(attempts=2, backoff_seconds=0.01, timeout_seconds=5.0)
    gate = RateLimitGate()
    client = make_web_client(token=slack_standin.token, base_url=slack_standin.url, policy=policy, gate=gate)
    delivery = SlackDelivery(client, InMemoryDeliveryStore(), policy=policy, gate=gate)
    await delivery.start()
    yield delivery
    await delivery.close()


def typed(topic: str, data, subject="U0HANAKO"):
    return TypedEvent(new_event(type=topic, subject=subject, tenant="T1", source="t", data=data), data)


def opened(application_id="app-1"):
    return typed("role.application_opened", RoleApplicationOpened(
        application_id=application_id, user_id="U0HANAKO", motivation="I <3 the town", skills="photos", hours_per_month=6))


async def test_an_application_is_posted_once_for_review_with_buttons_and_the_applicant_told(slack, slack_standin):
    event = opened()
    for _ in range(2):  # a redelivery posts nothing more
        await roles.when_application_opened_post_for_review(event, slack=slack, residents=InMemoryResidentCache(), settings=SETTINGS)
    [post] = slack_standin.messages(REVIEW)
    buttons = [e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (ActionId.APPROVE_APPLICATION, "app-1"), (ActionId.REJECT_APPLICATION, "app-1")]
    assert "I &lt;3 the town" in str(post["blocks"])
    assert len(slack_standin.dm_messages("U0HANAKO")) == 1


async def test_without_a_review_channel_the_application_goes_to_the_dlq(slack):
    with pytest.raises(PermanentError, match="OCO_REVIEW_CHANNEL_ID"):
        await roles.when_application_opened_post_for_review(
            opened(), slack=slack, residents=InMemoryResidentCache(), settings=roles.RolesNotifierSettings(review_channel_id=""))


async def test_approval_welcomes_the_employee_updates_the_post_and_the_user_group(slack, slack_standin):
    residents = InMemoryResidentCache()
    await roles.when_application_opened_post_for_review(opened(), slack=slack, residents=residents, settings=SETTINGS)
    granted = typed("role.granted", RoleGranted(
        user_id="U0HANAKO", role="employee", granted_by="U0CHIEF", application_id="app-1",
        role_member_ids=["U0HANAKO", "U0TARO"], members_as_of=datetime.now(UTC)))
    await roles.when_role_granted_tell_and_sync(granted, slack=slack, residents=residents, settings=SETTINGS,
                                               clock=roles.InMemoryMembershipClock())
    [post] = slack_standin.messages(REVIEW)
    assert "approved by <@U0CHIEF>" in post["text"] and not [b for b in post["blocks"] if b["type"] == "actions"]
    assert len(slack_standin.dm_messages("U0HANAKO")) == 2  # received, then welcome
    [update] = slack_standin.calls("usergroups.users.update")
    assert update["args"]["usergroup"] == "S0STAFF" and update["args"]["users"] == "U0HANAKO,U0TARO"


async def test_an_older_member_list_does_not_roll_the_user_group_back(slack, slack_standin):
    clock, now = roles.InMemoryMembershipClock(), datetime.now(UTC)
    newer = typed("role.revoked", RoleRevoked(user_id="U0TARO", role="employee", cause="left",
                                              role_member_ids=["U0HANAKO"], members_as_of=now))
    older = typed("role.granted", RoleGranted(user_id="U0TARO", role="employee",
                                              role_member_ids=["U0HANAKO", "U0TARO"], members_as_of=now - timedelta(seconds=1)))
    await roles.when_role_revoked_tell_and_sync(newer, slack=slack, residents=InMemoryResidentCache(), settings=SETTINGS, clock=clock)
    await roles.when_role_granted_tell_and_sync(older, slack=slack, residents=InMemoryResidentCache(), settings=SETTINGS, clock=clock)
    assert [c["args"]["users"] for c in slack_standin.calls("usergroups.users.update")] == ["U0HANAKO"]


async def test_a_refused_click_is_answered_ephemerally_where_it_happened(slack, slack_standin):
    denied = typed("role.denied", RoleDenied(user_id="U0CLICKER", action="approve_application", code="not_authorised",
                                             reason="only section chiefs can review applications", channel_id=REVIEW),
                   subject="U0CLICKER")
    await roles.when_role_denied_explain(denied, slack=slack, residents=InMemoryResidentCache())
    [shown] = slack_standin.ephemerals(REVIEW)
    assert shown["user"] == "U0CLICKER" and "権限" in shown["text"]


async def test_a_rejection_tells_the_applicant_the_reason(slack, slack_standin):
    residents = InMemoryResidentCache()
    await residents.remember_locale("T1", "U0HANAKO", "en-US")
    await roles.when_application_opened_post_for_review(opened(), slack=slack, residents=residents, settings=SETTINGS)
    rejected = typed("role.application_rejected", RoleApplicationRejected(
        application_id="app-1", user_id="U0HANAKO", rejected_by="U0CHIEF", reason="We need weekend help"))
    await roles.when_application_rejected_tell_applicant(rejected, slack=slack, residents=residents)
    assert "Reason: We need weekend help" in slack_standin.dm_messages("U0HANAKO")[-1]["text"]
    assert "rejected by <@U0CHIEF>" in slack_standin.messages(REVIEW)[0]["text"]


async def test_a_term_end_tells_the_person_and_the_admins(slack, slack_standin):
    ended = typed("role.revoked", RoleRevoked(user_id="U0HANAKO", role="section_chief", cause="term_ended",
                                              reason="term ended", notify_user_ids=["U0ADMIN"]))
    await roles.when_role_revoked_tell_and_sync(ended, slack=slack, residents=InMemoryResidentCache(), settings=SETTINGS,
                                               clock=roles.InMemoryMembershipClock())
    assert "任期" in slack_standin.dm_messages("U0HANAKO")[0]["text"]
    assert "<@U0HANAKO>" in slack_standin.dm_messages("U0ADMIN")[0]["text"]
