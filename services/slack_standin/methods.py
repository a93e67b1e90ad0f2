"""The Web API methods the stand-in answers: one function each, `(world, args) -> body`.

Bodies follow Slack's success examples (web-api-examples in the API specs); refusals raise
`SlackError` with the method's own error codes.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

from services.slack_standin.arguments import (
    flag,
    listed,
    message_content,
    metadata,
    number,
    required,
    view_definition,
)
from services.slack_standin.world import SlackError, World

Method = Callable[[World, dict[str, Any]], dict[str, Any]]
METHODS: dict[str, Method] = {}

_CHANNEL_NAME = re.compile(r"^[a-z0-9_\-\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]+$")


def method(name: str) -> Callable[[Method], Method]:
    def register(func: Method) -> Method:
        METHODS[name] = func
        return func

    return register


@method("auth.test")
def auth_test(world: World, args: dict[str, Any]) -> dict[str, Any]:
    me = world.identity
    return {"url": f"https://{me.domain}.slack.com/", "team": me.team_name, "user": "oco",
            "team_id": me.team_id, "user_id": me.bot_user_id, "bot_id": me.bot_id, "is_enterprise_install": False}


# --- users -------------------------------------------------------------------------------


@method("users.info")
def users_info(world: World, args: dict[str, Any]) -> dict[str, Any]:
    user = world.user(args.get("user"))
    return {"user": world.public_user(user, include_locale=flag(args, "include_locale"))}


# --- conversations -----------------------------------------------------------------------


@method("conversations.open")
def conversations_open(world: World, args: dict[str, Any]) -> dict[str, Any]:
    users = listed(args.get("users"))
    if args.get("channel"):
        conv, already = world.conversation(str(args["channel"])), True
    elif not users:
        raise SlackError("users_list_not_supplied")
    elif len(users) > 8:
        raise SlackError("too_many_users")
    elif len(users) == 1:
        conv, already = world.open_im(users[0])
    else:
        conv, already = world.open_mpim(users)
    body: dict[str, Any] = {"channel": conv.as_slack(world.identity.bot_user_id) if flag(args, "return_im") else {"id": conv.id}}
    if already:
        body.update(no_op=True, already_open=True)
    return body


@method("conversations.create")
def conversations_create(world: World, args: dict[str, Any]) -> dict[str, Any]:
    name = required(args, "name", "invalid_name_required")
    if len(name) > 80:
        raise SlackError("invalid_name_maxlength")
    if not _CHANNEL_NAME.match(name):
        raise SlackError("invalid_name_specials")
    if any(c.name == name and not c.is_im for c in world.conversations.values()):
        raise SlackError("name_taken")
    conv = world.add_channel(name=name, is_private=flag(args, "is_private"))
    return {"channel": conv.as_slack(world.identity.bot_user_id)}


@method("conversations.invite")
def conversations_invite(world: World, args: dict[str, Any]) -> dict[str, Any]:
    conv = world.conversation(required(args, "channel", "channel_not_found"))
    users = listed(args.get("users"))
    if not users:
        raise SlackError("no_user")
    if conv.is_im or conv.is_mpim:
        raise SlackError("method_not_supported_for_channel_type")
    if conv.is_archived:
        raise SlackError("is_archived")
    if len(users) > 1000:
        raise SlackError("too_many_users")
    for user_id in users:
        if user_id == world.identity.bot_user_id:
            raise SlackError("cant_invite_self")
        world.user(user_id)
    new = [u for u in users if u not in conv.members]
    if not new:
        raise SlackError("already_in_channel", errors=[{"user": u, "ok": False, "error": "already_in_channel"} for u in users])
    conv.members.update(new)
    return {"channel": conv.as_slack(world.identity.bot_user_id)}


@method("conversations.info")
def conversations_info(world: World, args: dict[str, Any]) -> dict[str, Any]:
    conv = world.conversation(required(args, "channel", "channel_not_found"))
    return {"channel": conv.as_slack(world.identity.bot_user_id)}


@method("conversations.members")
def conversations_members(world: World, args: dict[str, Any]) -> dict[str, Any]:
    conv = world.conversation(required(args, "channel", "channel_not_found"))
    return {"members": sorted(conv.members), "response_metadata": {"next_cursor": ""}}


@method("conversations.history")
def conversations_history(world: World, args: dict[str, Any]) -> dict[str, Any]:
    conv = world.conversation(required(args, "channel", "channel_not_found"))
    oldest = number(args, "oldest", 0.0, "invalid_ts_oldest")
    latest = number(args, "latest", float("inf"), "invalid_ts_latest")
    inclusive = flag(args, "inclusive")
    limit = int(number(args, "limit", 100, "invalid_limit") or 100)
    limit = max(1, min(limit, 999))
    start = _cursor_offset(args.get("cursor"))
    def in_range(ts: float) -> bool:
        return oldest <= ts <= latest if inclusive else oldest < ts < latest

    newest_first = [m for m in reversed(conv.messages) if in_range(float(m["ts"]))]
    page = newest_first[start:start + limit]
    with_metadata = flag(args, "include_all_metadata")
    messages = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in page]
    has_more = start + limit < len(newest_first)
    next_cursor = base64.b64encode(f"offset:{start + limit}".encode()).decode() if has_more else ""
    return {"messages": messages, "has_more": has_more, "pin_count": 0,
            "response_metadata": {"next_cursor": next_cursor}}


def _cursor_offset(cursor: Any) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(str(cursor)).decode().removeprefix("offset:"))
    except ValueError:
        raise SlackError("invalid_cursor") from None


# --- chat --------------------------------------------------------------------------------


@method("chat.postMessage")
def chat_post_message(world: World, args: dict[str, Any]) -> dict[str, Any]:
    conv = world.conversation(required(args, "channel", "channel_not_found"))
    if conv.is_archived:
        raise SlackError("is_archived")
    content = message_content(args)
    meta = metadata(args)
    thread_ts = args.get("thread_ts") or None
    if thread_ts:
        world.find_message(conv, str(thread_ts))
    message = world.post(conv, {**content, "metadata": meta, "thread_ts": thread_ts})
    return {"channel": conv.id, "ts": message["ts"], "message": dict(message)}


@method("chat.update")
def chat_update(world: World, args: dict[str, Any]) -> dict[str, Any]:
    conv = world.conversation(required(args, "channel", "channel_not_found"))
    message = world.find_message(conv, required(args, "ts", "message_not_found"))
    if message.get("bot_id") != world.identity.bot_id:
        raise SlackError("cant_update_message")
    content = message_content(args)
    message.update({k: v for k, v in content.items() if v is not None})
    if (meta := metadata(args)) is not None:
        message["metadata"] = meta
    message["edited"] = {"user": world.identity.bot_user_id, "ts": world.next_ts()}
    return {"channel": conv.id, "ts": message["ts"], "text": message["text"], "message": dict(message)}


@method("chat.delete")
def chat_delete(world: World, args: dict[str, Any]) -> dict[str, Any]:
    conv = world.conversation(required(args, "channel", "channel_not_found"))
    message = world.find_message(conv, required(args, "ts", "message_not_found"))
    if message.get("bot_id") != world.identity.bot_id:
        raise SlackError("cant_delete_message")
    conv.messages.remove(message)
    return {"channel": conv.id, "ts": message["ts"]}


@method("chat.postEphemeral")
def chat_post_ephemeral(world: World, args: dict[str, Any]) -> dict[str, Any]:
    conv = world.conversation(required(args, "channel", "channel_not_found"))
    user = world.user(required(args, "user", "user_not_found"))
    if world.strict and not conv.is_im and user["id"] not in conv.members:
        raise SlackError("user_not_in_channel")
    content = message_content(args)
    ts = world.next_ts()
    world.ephemerals.append({"channel": conv.id, "user": user["id"], "ts": ts, **content})
    return {"message_ts": ts}


@method("chat.getPermalink")
def chat_get_permalink(world: World, args: dict[str, Any]) -> dict[str, Any]:
    conv = world.conversation(required(args, "channel", "channel_not_found"))
    message = world.find_message(conv, required(args, "message_ts", "message_not_found"))
    ts = message["ts"].replace(".", "")
    return {"channel": conv.id, "permalink": f"https://{world.identity.domain}.slack.com/archives/{conv.id}/p{ts}"}


# --- views -------------------------------------------------------------------------------


@method("views.open")
def views_open(world: World, args: dict[str, Any]) -> dict[str, Any]:
    trigger_id = required(args, "trigger_id")
    view = view_definition(args, allowed_types=("modal",))
    world.use_trigger(trigger_id)
    return {"view": world.store_view(view)}


@method("views.push")
def views_push(world: World, args: dict[str, Any]) -> dict[str, Any]:
    trigger_id = required(args, "trigger_id")
    view = view_definition(args, allowed_types=("modal",))
    world.use_trigger(trigger_id)
    return {"view": world.store_view(view)}


@method("views.update")
def views_update(world: World, args: dict[str, Any]) -> dict[str, Any]:
    view_id, external_id = args.get("view_id") or None, args.get("external_id") or None
    if not view_id and not external_id:
        raise SlackError("invalid_arguments", "[ERROR] either view_id or external_id is required")
    view = view_definition(args, allowed_types=("modal", "home"))
    current = world.view_by(view_id=view_id, external_id=external_id)
    if args.get("hash") and args["hash"] != current["hash"]:
        raise SlackError("hash_conflict")
    return {"view": world.store_view(view, view_id=current["id"], root_id=current["root_view_id"],
                                      previous_id=current["previous_view_id"])}


@method("views.publish")
def views_publish(world: World, args: dict[str, Any]) -> dict[str, Any]:
    user_id = required(args, "user_id")
    view = view_definition(args, allowed_types=("home",))
    world.user(user_id)
    current_id = world.home_views.get(user_id)
    if current_id and args.get("hash") and args["hash"] != world.views[current_id]["hash"]:
        raise SlackError("hash_conflict")
    stored = world.store_view(view, view_id=current_id)
    world.home_views[user_id] = stored["id"]
    return {"view": stored}


# --- user groups -------------------------------------------------------------------------


@method("usergroups.list")
def usergroups_list(world: World, args: dict[str, Any]) -> dict[str, Any]:
    with_users = flag(args, "include_users")
    groups = []
    for group in world.usergroups.values():
        if group["date_delete"] and not flag(args, "include_disabled"):
            continue
        groups.append(group if with_users else {k: v for k, v in group.items() if k != "users"})
    return {"usergroups": groups}


@method("usergroups.users.update")
def usergroups_users_update(world: World, args: dict[str, Any]) -> dict[str, Any]:
    group = world.usergroup(required(args, "usergroup"))
    users = listed(required(args, "users"))
    for user_id in users:
        world.user(user_id)
    group.update(users=users, user_count=len(users), date_update=int(float(world.next_ts())))
    return {"usergroup": group}


@method("usergroups.users.list")
def usergroups_users_list(world: World, args: dict[str, Any]) -> dict[str, Any]:
    group = world.usergroup(required(args, "usergroup"))
    return {"users": list(group["users"])}
