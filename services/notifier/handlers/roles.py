"""Roles news: review posts with Approve / Reject, the applicant's and the appointee's DMs,
ephemeral answers to whoever asked (or was refused), term ends, and user-group membership.

User groups: `OCO_ROLE_USERGROUPS` maps an office role to a Slack user group id. The roles
service puts the role's full member list (read after the change) into every `role.granted`
and `role.revoked` of an office role (a category role, which every resident holds, carries
none: the list would grow with the city); this module sets the group to that list with `usergroups.users.update`,
skipping a list older than the one it last applied (`members_as_of`), so events of one role
arriving out of order can't roll the group back. Slack cannot empty a group through that
method: when the last member goes, the group keeps them and a warning is logged.

The review post's delivery key is `application:<id>/review_post`, so the decision can find
the message again and replace its buttons with the outcome.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from pydantic_settings import BaseSettings, SettingsConfigDict
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared import topics
from shared.envelope import CloudEvent, TypedEvent
from shared.errors import PermanentError
from shared.events import (OFFICE_ROLES, RoleApplicationOpened, RoleApplicationRejected, RoleDenied, RoleGranted,
                           RoleRevoked)
from shared.service import ServiceRuntime
from shared.slack_ids import ActionId
from services.notifier.blocks import SlackMessage, actions, button, escape, header, section
from services.notifier.handlers import NotifierDeps, consume, delivered, open_dm, preferred_language
from services.notifier.slack_client import SlackDelivery
from services.notifier.store import ResidentCache

log = logging.getLogger(__name__)


class RolesNotifierSettings(BaseSettings):
    """The section chiefs' review channel and the role → user group map."""

    model_config = SettingsConfigDict(env_prefix="OCO_", extra="ignore")

    review_channel_id: str = ""
    role_usergroups: dict[str, str] = {}


ROLE_NAMES = {
    "ja": {"employee": "職員", "section_chief": "課長", "ambassador": "アンバサダー", "admin": "管理者"},
    "en": {"employee": "employee", "section_chief": "section chief", "ambassador": "ambassador", "admin": "admin"},
}
TEXTS = {
    "ja": {
        "received": "職員への応募を受け付けました。課長が確認します。",
        "welcome_employee": "ようこそ、職員の仲間へ！応募が承認されました 🎉",
        "rejected": "職員への応募は今回は見送りとなりました。理由：{reason}",
        "appointed": "{role}に任命されました{where}{until}。",
        "appoint_done": "<@{user}> を{role}に任命しました{where}{until}。",
        "revoked": "{role}の役割が解かれました。",
        "revoke_done": "<@{user}> の{role}の役割を解きました。",
        "term_ended": "{role}の任期が終わりました。ありがとうございました！",
        "term_ended_admin": "<@{user}> の{role}の任期が終わりました。",
        "denied": "できませんでした：{reason}",
        "where": "（{department}）",
        "until": "（{date}まで）",
    },
    "en": {
        "received": "We received your application to be an employee; a section chief will review it.",
        "welcome_employee": "Welcome to the office staff! Your application was approved 🎉",
        "rejected": "Your application to be an employee was not accepted this time. Reason: {reason}",
        "appointed": "You were appointed {role}{where}{until}.",
        "appoint_done": "<@{user}> is now {role}{where}{until}.",
        "revoked": "Your {role} role was revoked.",
        "revoke_done": "<@{user}> no longer holds the {role} role.",
        "term_ended": "Your term as {role} has ended. Thank you!",
        "term_ended_admin": "<@{user}>'s term as {role} has ended.",
        "denied": "That could not be done: {reason}",
        "where": " ({department})",
        "until": " until {date}",
    },
}
# Refusals people meet most, in Japanese; other reasons are shown as the roles service gave them.
DENIALS_JA = {
    "not_authorised": "この操作をする権限がありません",
    "already_decided": "この応募はすでに判断されています",
    "already_applied": "審査待ちの応募がすでにあります",
    "already_holds": "すでにその役割を持っています",
    "own_application": "自分の応募は審査できません",
    "reason_required": "見送りには理由が必要です",
}


def say(language: str, key: str, **values: str) -> str:
    return TEXTS.get(language, TEXTS["ja"])[key].format(**values)


def role_name(language: str, role: str) -> str:
    return ROLE_NAMES.get(language, ROLE_NAMES["ja"]).get(role, role)


def term_words(language: str, *, department: str | None, ends_at: datetime | None) -> dict[str, str]:
    return {
        "where": say(language, "where", department=department) if department else "",
        "until": say(language, "until", date=ends_at.date().isoformat()) if ends_at else "",
    }


def review_key(application_id: str) -> str:
    return f"application:{application_id}/review_post"


# --- Block Kit -----------------------------------------------------------------------------


def review_post(data: RoleApplicationOpened) -> SlackMessage:
    """The application as section chiefs see it, with Approve / Reject (value = application id)."""
    title = "職員への応募 / Employee application"
    who = f"<@{data.user_id}> が職員に応募しました / applied to be an employee"
    details = (
        f"*動機 / Motivation*\n{escape(data.motivation) or '—'}\n"
        f"*できること / Can do*\n{escape(data.skills) or '—'}\n"
        f"*月の時間 / Hours a month*: {data.hours_per_month}"
    )
    blocks = [
        header(title), section(who), section(details),
        actions(
            button("承認 / Approve", ActionId.APPROVE_APPLICATION.value, value=data.application_id),
            button("見送る / Reject", ActionId.REJECT_APPLICATION.value, value=data.application_id, style="danger"),
        ),
    ]
    return SlackMessage(text=f"{title}: <@{data.user_id}>", blocks=blocks)


def review_decided(*, applicant: str, reviewer: str, approved: bool, reason: str = "") -> SlackMessage:
    """The review post once decided: the outcome instead of the buttons (and the texts)."""
    if approved:
        line = f"✅ <@{applicant}> の応募は <@{reviewer}> が承認しました / approved by <@{reviewer}>"
    else:
        line = f"✖️ <@{applicant}> の応募は <@{reviewer}> が見送りました / rejected by <@{reviewer}>: {escape(reason)}"
    return SlackMessage(text=line, blocks=[section(line)])


def plain_message(text: str) -> SlackMessage:
    return SlackMessage(text=text, blocks=[section(text)])


# --- deliveries ----------------------------------------------------------------------------


async def dm(slack: SlackDelivery, event: TypedEvent, user_id: str, step: str, message: SlackMessage) -> CloudEvent:
    channel = await open_dm(slack, event, user_id)
    done = await slack.deliver(key=f"{event.id}/{step}", tenant=event.tenant, cause_event_id=event.id,
                               method="chat.postMessage", channel=channel, **message.as_args())
    return delivered(event, done)


async def answer(slack: SlackDelivery, event: TypedEvent, *, user_id: str, channel_id: str | None, step: str,
                 message: SlackMessage) -> CloudEvent:
    """An ephemeral to `user_id` where they acted; a DM when we don't know where."""
    if not channel_id:
        return await dm(slack, event, user_id, step, message)
    done = await slack.deliver(key=f"{event.id}/{step}", tenant=event.tenant, cause_event_id=event.id,
                               method="chat.postEphemeral", channel=channel_id, user=user_id, **message.as_args())
    return delivered(event, done)


async def update_review_post(slack: SlackDelivery, event: TypedEvent, application_id: str,
                             message: SlackMessage) -> list[CloudEvent]:
    """Replace the review post's buttons with the decision, when we posted it."""
    posted = await slack.store.get(review_key(application_id))
    if posted is None or not (posted.channel and posted.ts):
        return []
    done = await slack.deliver(key=f"{event.id}/review_update", tenant=event.tenant, cause_event_id=event.id,
                               method="chat.update", channel=posted.channel, ts=posted.ts, **message.as_args())
    return [delivered(event, done)]


class MembershipClock(Protocol):
    async def newer(self, tenant: str, role: str, as_of: datetime) -> bool: ...


class MongoMembershipClock:
    """When each (tenant, role) group was last set; an older member list is skipped."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.applied = db["role_usergroups"]

    async def newer(self, tenant: str, role: str, as_of: datetime) -> bool:
        try:
            await self.applied.update_one({"_id": f"{tenant}:{role}", "as_of": {"$lt": as_of}},
                                          {"$set": {"as_of": as_of}}, upsert=True)
        except DuplicateKeyError:  # the stored list is as new or newer
            return False
        return True


class InMemoryMembershipClock:
    def __init__(self) -> None:
        self.applied: dict[str, datetime] = {}

    async def newer(self, tenant: str, role: str, as_of: datetime) -> bool:
        key = f"{tenant}:{role}"
        if key in self.applied and self.applied[key] >= as_of:
            return False
        self.applied[key] = as_of
        return True


async def sync_usergroup(slack: SlackDelivery, event: TypedEvent, data: RoleGranted | RoleRevoked, *,
                         settings: RolesNotifierSettings, clock: MembershipClock) -> list[CloudEvent]:
    """Set the role's user group to the event's member list, unless a newer one was applied."""
    group = settings.role_usergroups.get(data.role)
    if not group or data.role_member_ids is None:
        return []
    if not data.role_member_ids:
        log.warning("user group %s of role %s would be empty; Slack keeps its last member", group, data.role)
        return []
    if data.members_as_of is not None and not await clock.newer(event.tenant, data.role, data.members_as_of):
        return []
    done = await slack.deliver(key=f"{event.id}/usergroup", tenant=event.tenant, cause_event_id=event.id,
                               method="usergroups.users.update", usergroup=group, users=",".join(data.role_member_ids))
    return [delivered(event, done)]


# --- handlers ------------------------------------------------------------------------------


async def when_application_opened_post_for_review(
    event: TypedEvent[RoleApplicationOpened], *, slack: SlackDelivery, residents: ResidentCache,
    settings: RolesNotifierSettings,
) -> list[CloudEvent]:
    """Post the application to the review channel and tell the applicant it arrived."""
    data = event.data
    if not settings.review_channel_id:
        raise PermanentError("OCO_REVIEW_CHANNEL_ID is not set: applications cannot be posted for review")
    done = await slack.deliver(key=review_key(data.application_id), tenant=event.tenant, cause_event_id=event.id,
                               method="chat.postMessage", channel=settings.review_channel_id,
                               **review_post(data).as_args())
    language = await preferred_language(slack, residents, event, data.user_id)
    told = await dm(slack, event, data.user_id, "received_dm", plain_message(say(language, "received")))
    return [delivered(event, done), told]


async def when_role_granted_tell_and_sync(
    event: TypedEvent[RoleGranted], *, slack: SlackDelivery, residents: ResidentCache,
    settings: RolesNotifierSettings, clock: MembershipClock,
) -> list[CloudEvent]:
    """Welcome an approved employee, tell an appointee and the appointer; keep the user group."""
    data = event.data
    out: list[CloudEvent] = []
    if data.application_id:
        language = await preferred_language(slack, residents, event, data.user_id)
        out.append(await dm(slack, event, data.user_id, "welcome_dm", plain_message(say(language, "welcome_employee"))))
        decided = review_decided(applicant=data.user_id, reviewer=data.granted_by or "", approved=True)
        out += await update_review_post(slack, event, data.application_id, decided)
    elif data.granted_by:
        language = await preferred_language(slack, residents, event, data.user_id)
        words = term_words(language, department=data.department, ends_at=data.term_ends_at)
        appointed = say(language, "appointed", role=role_name(language, data.role), **words)
        out.append(await dm(slack, event, data.user_id, "appointed_dm", plain_message(appointed)))
        if data.channel_id:
            actor_language = await preferred_language(slack, residents, event, data.granted_by)
            words = term_words(actor_language, department=data.department, ends_at=data.term_ends_at)
            done = say(actor_language, "appoint_done", user=data.user_id, role=role_name(actor_language, data.role), **words)
            out.append(await answer(slack, event, user_id=data.granted_by, channel_id=data.channel_id,
                                    step="appoint_answer", message=plain_message(done)))
    return out + await sync_usergroup(slack, event, data, settings=settings, clock=clock)


async def when_role_revoked_tell_and_sync(
    event: TypedEvent[RoleRevoked], *, slack: SlackDelivery, residents: ResidentCache,
    settings: RolesNotifierSettings, clock: MembershipClock,
) -> list[CloudEvent]:
    """Tell the person (and the admins when a term ended, the revoker otherwise); keep the user group."""
    data = event.data
    out: list[CloudEvent] = []
    if data.cause in ("term_ended", "revoked"):
        language = await preferred_language(slack, residents, event, data.user_id)
        key = "term_ended" if data.cause == "term_ended" else "revoked"
        text = say(language, key, role=role_name(language, data.role))
        out.append(await dm(slack, event, data.user_id, f"{key}_dm", plain_message(text)))
        for admin in data.notify_user_ids if data.cause == "term_ended" else []:
            admin_language = await preferred_language(slack, residents, event, admin)
            note = say(admin_language, "term_ended_admin", user=data.user_id, role=role_name(admin_language, data.role))
            out.append(await dm(slack, event, admin, f"notify_dm/{admin}", plain_message(note)))
        if data.revoked_by and data.channel_id:
            actor_language = await preferred_language(slack, residents, event, data.revoked_by)
            done = say(actor_language, "revoke_done", user=data.user_id, role=role_name(actor_language, data.role))
            out.append(await answer(slack, event, user_id=data.revoked_by, channel_id=data.channel_id,
                                    step="revoke_answer", message=plain_message(done)))
    return out + await sync_usergroup(slack, event, data, settings=settings, clock=clock)


async def when_role_denied_explain(
    event: TypedEvent[RoleDenied], *, slack: SlackDelivery, residents: ResidentCache
) -> list[CloudEvent]:
    """Explain the refusal to whoever attempted it: ephemeral where they clicked, else a DM."""
    data = event.data
    language = await preferred_language(slack, residents, event, data.user_id)
    reason = DENIALS_JA.get(data.code, data.reason) if language == "ja" else data.reason
    message = plain_message(say(language, "denied", reason=escape(reason)))
    return [await answer(slack, event, user_id=data.user_id, channel_id=data.channel_id, step="denied", message=message)]


async def when_application_rejected_tell_applicant(
    event: TypedEvent[RoleApplicationRejected], *, slack: SlackDelivery, residents: ResidentCache
) -> list[CloudEvent]:
    """DM the applicant the reason, and mark the review post as decided."""
    data = event.data
    language = await preferred_language(slack, residents, event, data.user_id)
    told = await dm(slack, event, data.user_id, "rejected_dm", plain_message(say(language, "rejected", reason=escape(data.reason))))
    decided = review_decided(applicant=data.user_id, reviewer=data.rejected_by, approved=False, reason=data.reason)
    return [told, *await update_review_post(slack, event, data.application_id, decided)]


def register(runtime: ServiceRuntime, deps: NotifierDeps) -> None:
    settings = RolesNotifierSettings()
    if unsynced := sorted(set(settings.role_usergroups) - OFFICE_ROLES):
        log.warning("OCO_ROLE_USERGROUPS names %s: only office roles (%s) are kept in step with a user group",
                    ", ".join(unsynced), ", ".join(sorted(OFFICE_ROLES)))
    clock = MongoMembershipClock(runtime.db)
    common = {"slack": deps.slack, "residents": deps.residents}
    consume(runtime, deps, topics.ROLE_APPLICATION_OPENED, when_application_opened_post_for_review,
            settings=settings, **common)
    consume(runtime, deps, topics.ROLE_GRANTED, when_role_granted_tell_and_sync, settings=settings, clock=clock, **common)
    consume(runtime, deps, topics.ROLE_REVOKED, when_role_revoked_tell_and_sync, settings=settings, clock=clock, **common)
    consume(runtime, deps, topics.ROLE_DENIED, when_role_denied_explain, **common)
    consume(runtime, deps, topics.ROLE_APPLICATION_REJECTED, when_application_rejected_tell_applicant, **common)
