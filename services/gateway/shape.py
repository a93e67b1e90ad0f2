"""Is a signed body shaped like something Slack sends? Checked before Bolt sees it.

Bolt and the listeners index into Slack's payloads trusting Slack's shapes (`actions[0]`,
`view["type"]`, `view.state.values`, `event.item.ts`, a user id that is a string). A signed
body that breaks them would otherwise end as a 500 with a traceback, or worse, as a
wrong-typed value on the bus. Every rule here is a shape Slack documents, so a real request
passes; one that does not is answered 400 and reaches no listener.
"""

from __future__ import annotations

import re
from typing import Any

MAX_DEPTH = 48  # Slack's deepest payloads (rich text in blocks) nest about a dozen levels
SLACK_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
EVENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
TS = re.compile(r"^\d{1,12}(\.\d{1,9})?$")
MAX_EVENT_TIME = 10**11  # seconds: far beyond any real date, still a valid datetime

TEXT_KEYS = ("type", "command", "text", "trigger_id", "response_url", "callback_id", "api_app_id", "token")
ID_KEYS = ("team_id", "user_id", "channel_id", "enterprise_id")
# Event types the gateway listens to; others are acknowledged unread, so only need a type.
USER_OBJECT_EVENTS = ("team_join", "user_change")
ACTIVITY_EVENTS = ("message", "reaction_added", "reaction_removed", "app_home_opened")


class Malformed(ValueError):
    """Names the first thing in the body Slack would never send."""


def shape_problem(body: dict[str, Any]) -> str | None:
    """Why `body` is not a Slack payload, or None when it has Slack's shape."""
    try:
        _check_values(body)
        _check_top_level(body)
        if body.get("type") == "event_callback":
            _check_event_callback(body)
        _check_interaction(body)
    except Malformed as problem:
        return str(problem)
    return None


def _check_values(body: Any) -> None:
    """Bounded nesting, and text that can be encoded (JSON's `\\ud800` cannot)."""
    pending = [(body, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise Malformed("nested too deeply")
        if isinstance(value, dict):
            pending.extend((v, depth + 1) for v in value.values())
            pending.extend((k, depth + 1) for k in value)
        elif isinstance(value, list):
            pending.extend((v, depth + 1) for v in value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise Malformed("text is not valid Unicode") from None


def _text(where: dict, key: str, *, pattern: re.Pattern | None = None, required: bool = False) -> None:
    value = where.get(key)
    if (value is None or value == "") and not required:  # Slack leaves some ids empty (no enterprise)
        return
    if not isinstance(value, str) or (pattern is not None and not pattern.match(value)):
        raise Malformed(f"{key} is not what Slack sends")


def _mapping(where: dict, key: str, *, required: bool = False) -> dict:
    value = where.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise Malformed(f"{key} is not an object")
    return value


def _object_with_id(where: dict, key: str) -> None:
    """`team`, `user`, `channel` of an interaction: an object with an id (and a team id)."""
    value = _mapping(where, key)
    _text(value, "id", pattern=SLACK_ID)
    _text(value, "team_id", pattern=SLACK_ID)


def _check_top_level(body: dict) -> None:
    for key in TEXT_KEYS:
        _text(body, key)
    for key in ID_KEYS:
        _text(body, key, pattern=SLACK_ID)
    for key in ("team", "user", "channel"):
        _object_with_id(body, key)
    if not isinstance(body.get("enterprise"), str):  # an id or an object, or null
        _object_with_id(body, "enterprise")
    authorizations = body.get("authorizations")
    if authorizations is not None and not (
        isinstance(authorizations, list) and all(isinstance(a, dict) for a in authorizations)
    ):
        raise Malformed("authorizations is not a list of objects")
    for authorization in authorizations or ():
        for key in ID_KEYS:
            _text(authorization, key, pattern=SLACK_ID)


def _check_event_callback(body: dict) -> None:
    _text(body, "team_id", pattern=SLACK_ID, required=True)
    _text(body, "event_id", pattern=EVENT_ID, required=True)
    stamp = body.get("event_time")
    if stamp is not None and (isinstance(stamp, bool) or not isinstance(stamp, int | float) or not 0 <= stamp < MAX_EVENT_TIME):
        raise Malformed("event_time is not a time")
    event = _mapping(body, "event", required=True)
    _text(event, "type", required=True)
    if event["type"] in USER_OBJECT_EVENTS:
        _check_user_object(_mapping(event, "user", required=True))
    elif event["type"] in ACTIVITY_EVENTS:
        _check_event_fields(event)


def _check_user_object(user: dict) -> None:
    _text(user, "id", pattern=SLACK_ID, required=True)
    for key in ("name", "real_name", "locale", "tz"):
        _text(user, key)
    profile = _mapping(user, "profile")
    for key in ("display_name", "real_name"):
        _text(profile, key)


def _check_event_fields(event: dict, *, nested: bool = False) -> None:
    """Messages (and their edited or deleted originals), reactions, App Home."""
    for key in ("user", "item_user", "bot_id", "channel"):
        _text(event, key, pattern=SLACK_ID)
    for key in ("ts", "event_ts", "thread_ts", "deleted_ts"):
        _text(event, key, pattern=TS)
    for key in ("subtype", "text", "reaction", "channel_type", "tab"):
        _text(event, key)
    item = _mapping(event, "item")
    _text(item, "type")
    _text(item, "channel", pattern=SLACK_ID)
    _text(item, "ts", pattern=TS)
    comment = _mapping(event, "comment")
    _text(comment, "user", pattern=SLACK_ID)
    _text(comment, "comment")
    if not nested:
        for key in ("message", "previous_message"):
            _check_event_fields(_mapping(event, key), nested=True)


def _check_interaction(body: dict) -> None:
    kind = body.get("type")
    container = _mapping(body, "container")
    _text(container, "channel_id", pattern=SLACK_ID)
    _text(container, "message_ts", pattern=TS)
    message = _mapping(body, "message")
    _text(message, "text")
    _text(message, "ts", pattern=TS)
    actions = body.get("actions")
    if kind == "block_actions" or actions is not None:
        if not (isinstance(actions, list) and actions and all(isinstance(a, dict) for a in actions)):
            raise Malformed("actions is not a list of objects")
        for action in actions:
            _text(action, "action_id", required=True)
            for key in ("block_id", "value", "action_ts", "type"):
                _text(action, key)
    view = _mapping(body, "view", required=kind in ("view_submission", "view_closed"))
    if view:
        _check_view(view)


def _check_view(view: dict) -> None:
    _text(view, "type", required=True)
    _text(view, "callback_id")
    _text(view, "id", pattern=SLACK_ID)
    _text(view, "private_metadata")
    values = _mapping(_mapping(view, "state"), "values")
    for block in values.values():
        if not isinstance(block, dict) or not all(isinstance(e, dict) for e in block.values()):
            raise Malformed("view state is not blocks of elements")
        for element in block.values():
            _check_element_state(element)


def _check_element_state(element: dict) -> None:
    _text(element, "value")
    chosen = element.get("selected_option")
    options = [chosen] if chosen is not None else []
    many = element.get("selected_options")
    if many is not None:
        if not isinstance(many, list):
            raise Malformed("selected_options is not a list")
        options += many
    for option in options:
        if not isinstance(option, dict):
            raise Malformed("an option is not an object")
        _text(option, "value", required=True)
