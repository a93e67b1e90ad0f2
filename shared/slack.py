"""Translation of Slack's payloads into bus events, shared by the gateway and the importer.

Both doors must agree, so an export replayed onto the bus looks like what the gateway would
have published live. Activity event ids come from the message itself (channel + ts), so a
Slack retry, a re-import, or an import of a message that also arrived live all collapse.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from shared import topics
from shared.envelope import CloudEvent, derive_id, new_event
from shared.events import MessagePosted, ReactionAdded, ReactionRemoved, ResidentJoined, ResidentLeft

SLACKBOT = "USLACKBOT"

# Subtypes that are a person saying something; everything else is a notice or a bot.
COUNTED_SUBTYPES = {None, "", "thread_broadcast", "file_share", "me_message", "file_comment"}
# Notices and machinery: skipped without complaint.
NOTICE_SUBTYPES = {
    "channel_join", "channel_leave", "group_join", "group_leave", "channel_purpose", "channel_topic",
    "channel_name", "channel_archive", "channel_unarchive", "group_purpose", "group_topic", "group_name",
    "group_archive", "group_unarchive", "pinned_item", "unpinned_item", "bot_add", "bot_remove",
    "bot_message", "reminder_add", "channel_convert_to_private", "channel_convert_to_public",
    "huddle_thread", "tombstone", "joiner_notification", "sh_room_created", "channel_posting_permissions",
    "ekm_access_denied", "file_mention", "reply_broadcast",
}


def ts_to_datetime(ts: str | float) -> datetime:
    """Slack's `ts` ("1469712345.000012") as an aware UTC datetime; ValueError when it is no time."""
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (OverflowError, OSError) as exc:  # "1e400", Infinity, years past 9999: callers expect ValueError
        raise ValueError(f"ts {str(ts)[:40]!r} is out of range") from exc


def is_person(user: dict[str, Any]) -> bool:
    """People only: no bots, no app users, no Slackbot."""
    return bool(user.get("id")) and user.get("id") != SLACKBOT and not user.get("is_bot") and not user.get("is_app_user")


def resident_joined(
    user: dict[str, Any],
    *,
    tenant: str,
    event_id: str | None = None,
    via: Literal["slack", "import", "city_system"] = "slack",
    joined_at: datetime | None = None,
) -> CloudEvent | None:
    """`resident.joined` for a Slack user object, or None when it is not a person."""
    if not is_person(user):
        return None
    profile = user.get("profile") or {}
    data = ResidentJoined(
        user_id=user["id"],
        display_name=(profile.get("display_name") or user.get("name") or "")[:200],
        real_name=(profile.get("real_name") or user.get("real_name") or "")[:200],
        locale=user.get("locale"),
        tz=user.get("tz"),
        joined_at=joined_at,
        via=via,
    )
    return new_event(
        id=event_id or derive_id(f"slack:{tenant}:{user['id']}", "joined"),
        type=topics.RESIDENT_JOINED.name, subject=user["id"], tenant=tenant, data=data,
        source=f"oco/{'importer' if via == 'import' else 'gateway'}", time=joined_at,
    )


def resident_left(
    user_id: str, *, tenant: str, event_id: str | None = None, reason: str = "deactivated",
    time: datetime | None = None, source: str = "oco/gateway",
) -> CloudEvent:
    return new_event(
        id=event_id or derive_id(f"slack:{tenant}:{user_id}", "left"),
        type=topics.RESIDENT_LEFT.name, subject=user_id, tenant=tenant,
        data=ResidentLeft(user_id=user_id, reason=reason), source=source, time=time,
    )


def with_comment_author(message: dict[str, Any]) -> dict[str, Any]:
    """Older `file_comment` messages name the commenter in `comment.user`, not in `user`."""
    comment = message.get("comment")
    if message.get("subtype") != "file_comment" or message.get("user") or not isinstance(comment, dict):
        return message
    if not comment.get("user"):
        return message
    return {**message, "user": comment["user"], "text": comment.get("comment") or message.get("text") or ""}


def message_posted(message: dict[str, Any], *, tenant: str, channel_id: str, source: str = "oco/gateway") -> CloudEvent | None:
    """`activity.message_posted` for a Slack message event or export entry; None to skip it.

    Edits (`message_changed`) and deletions (`message_deleted`) become the same event with
    `edited` / `deleted` set, about the original message.
    """
    subtype = message.get("subtype")
    edited = deleted = False
    if subtype == "message_changed":
        inner, edited = message.get("message") or {}, True
    elif subtype == "message_deleted":
        inner, deleted = message.get("previous_message") or {}, True
    else:
        inner = message
    inner = with_comment_author(inner)
    if inner.get("subtype") not in COUNTED_SUBTYPES or inner.get("bot_id") or not inner.get("user"):
        return None
    if inner.get("user") == SLACKBOT:
        return None
    ts = inner.get("ts") or message.get("deleted_ts")
    if not ts:
        return None
    label = "deleted" if deleted else f"edited/{message.get('ts') or message.get('event_ts')}" if edited else "posted"
    data = MessagePosted(
        user_id=inner["user"],
        channel_id=channel_id,
        ts=ts,
        thread_ts=inner.get("thread_ts") if inner.get("thread_ts") != ts else None,
        posted_at=ts_to_datetime(ts),
        text_length=len(inner.get("text") or ""),
        edited=edited,
        deleted=deleted,
    )
    return new_event(
        id=derive_id(f"slack:{tenant}:{channel_id}:{ts}", label),
        type=topics.MESSAGE_POSTED.name, subject=f"{channel_id}:{ts}", tenant=tenant, data=data,
        source=source, time=ts_to_datetime(message.get("event_ts") or message.get("ts") or ts),
    )


def reaction_changed(
    *,
    added: bool,
    tenant: str,
    user_id: str,
    channel_id: str,
    message_ts: str,
    reaction: str,
    message_author_id: str | None = None,
    event_ts: str | None = None,
    source: str = "oco/gateway",
) -> CloudEvent:
    """`activity.reaction_added` / `_removed`; ids include `event_ts` so add-remove-add all count."""
    topic = topics.REACTION_ADDED if added else topics.REACTION_REMOVED
    model = ReactionAdded if added else ReactionRemoved
    reacted_at = ts_to_datetime(event_ts or message_ts)
    data = model(
        user_id=user_id, channel_id=channel_id, message_ts=message_ts, message_author_id=message_author_id,
        reaction=reaction, reacted_at=reacted_at,
    )
    key = f"slack:{tenant}:{channel_id}:{message_ts}:{reaction}:{user_id}"
    return new_event(
        id=derive_id(key, f"{topic.name}/{event_ts or 'import'}"),
        type=topic.name, subject=f"{channel_id}:{message_ts}", tenant=tenant, data=data,
        source=source, time=reacted_at,
    )
