"""Events API callbacks → bus events, through the translation the importer shares.

Each function takes the whole signed callback and returns the events to publish (often
none: bots, notices, unfurls). The Slack `event_id` is the bus id of joins and leaves, so
Slack's retries of one event collapse downstream; activity ids come from channel + ts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared import slack, topics
from shared.envelope import CloudEvent, derive_id, new_event
from shared.events import ResidentProfileSubmitted
from services.gateway.errors import MalformedPayload
from services.gateway.models import ProfileForm
from services.gateway.payloads import event_of, tenant_of, user_of


def slack_event_id(body: dict[str, Any]) -> str:
    event_id = body.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        raise MalformedPayload("event_callback without an event_id")
    return event_id


def event_time(body: dict[str, Any]) -> datetime | None:
    stamp = body.get("event_time")
    return slack.ts_to_datetime(stamp) if isinstance(stamp, int | float) and not isinstance(stamp, bool) else None


def _user_object(body: dict[str, Any]) -> dict[str, Any]:
    user = event_of(body).get("user")
    if not isinstance(user, dict) or not user.get("id"):
        raise MalformedPayload("user event without a user object")
    return user


def team_joined(body: dict[str, Any]) -> list[CloudEvent]:
    """`team_join` → `resident.joined`, for people only."""
    joined = slack.resident_joined(
        _user_object(body), tenant=tenant_of(body), event_id=slack_event_id(body), joined_at=event_time(body)
    )
    return [joined] if joined else []


def user_changed(body: dict[str, Any]) -> list[CloudEvent]:
    """`user_change` of a deactivated person → `resident.left`; other profile changes are ignored."""
    user = _user_object(body)
    if user.get("deleted") is not True or not slack.is_person(user):
        return []
    return [slack.resident_left(
        user["id"], tenant=tenant_of(body), event_id=slack_event_id(body), reason="deactivated", time=event_time(body),
    )]


def message_posted(body: dict[str, Any]) -> list[CloudEvent]:
    """A person's message, reply, edit or deletion in a channel → `activity.message_posted`."""
    event = event_of(body)
    channel = event.get("channel")
    if not isinstance(channel, str) or not channel or event.get("channel_type") == "im":
        return []
    # Slack also sends `message_changed` when it adds link previews; only a real edit counts.
    if event.get("subtype") == "message_changed" and not (event.get("message") or {}).get("edited"):
        return []
    posted = slack.message_posted(event, tenant=tenant_of(body), channel_id=channel)
    return [posted] if posted else []


def reaction_changed(body: dict[str, Any], *, added: bool) -> list[CloudEvent]:
    """A person's reaction on a message → `activity.reaction_added` / `_removed`."""
    event = event_of(body)
    item = event.get("item") or {}
    user, reaction = event.get("user"), event.get("reaction")
    if item.get("type") != "message" or not item.get("channel") or not item.get("ts"):
        return []  # reactions on files are not community activity
    if not isinstance(user, str) or not user or user == slack.SLACKBOT or not reaction:
        return []
    return [slack.reaction_changed(
        added=added, tenant=tenant_of(body), user_id=user, channel_id=item["channel"], message_ts=item["ts"],
        reaction=str(reaction), message_author_id=event.get("item_user"), event_ts=event.get("event_ts"),
    )]


def profile_submitted(body: dict[str, Any], form: ProfileForm, *, source: str) -> CloudEvent:
    """A valid profile modal → `resident.profile_submitted`; one id per modal, so a double submit collapses."""
    tenant, user = tenant_of(body), user_of(body)
    view_id = (body.get("view") or {}).get("id") or body.get("trigger_id") or ""
    data = ResidentProfileSubmitted(user_id=user, **form.model_dump())
    return new_event(
        id=derive_id(f"slack:{tenant}:view:{view_id}", "profile_submitted"),
        type=topics.RESIDENT_PROFILE_SUBMITTED.name, subject=user, tenant=tenant, data=data, source=source,
    )


def leave_confirmed(body: dict[str, Any], *, source: str) -> CloudEvent:
    """The person confirmed `/oco leave` → `resident.left` (reason "requested")."""
    tenant, user = tenant_of(body), user_of(body)
    # The confirmation message identifies the request: clicking it twice is one leave.
    container = body.get("container") or {}
    actions = body.get("actions") or [{}]
    marker = container.get("message_ts") or actions[0].get("action_ts") or body.get("trigger_id") or ""
    return slack.resident_left(
        user, tenant=tenant, event_id=derive_id(f"slack:{tenant}:{user}", f"left-requested/{marker}"),
        reason="requested", source=source,
    )
