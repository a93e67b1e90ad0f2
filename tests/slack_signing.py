"""Build and sign Slack requests the way Slack does, for tests of anything behind the gateway.

    body = slack_signing.event_callback(slack_signing.team_join_event("U1"), team_id="T1")
    response = await slack_signing.send(http, f"{url}/slack/events", body, secret)

Events API callbacks and `url_verification` are JSON; slash commands are form-encoded;
interactivity (block_actions, view_submission, shortcuts) is a form with one `payload=` field.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def _id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10].upper()}"


def signature(body: bytes, secret: str, timestamp: int | str) -> str:
    """Slack's v0 signature: HMAC-SHA256 of `v0:<timestamp>:<raw body>`."""
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(body: bytes, secret: str, timestamp: int | None = None, *, content_type: str | None = None) -> dict[str, str]:
    """Headers Slack sends with `body`; the content type is guessed from the body unless given."""
    stamp = int(time.time()) if timestamp is None else int(timestamp)
    return {
        "Content-Type": content_type or (JSON if body.lstrip().startswith(b"{") else FORM),
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": signature(body, secret, stamp),
    }


async def send(http, url: str, body: bytes, secret: str, *, timestamp: int | None = None,
               retry_num: int | None = None, headers: dict[str, str] | None = None):
    """POST a signed body with an httpx.AsyncClient; `retry_num` adds Slack's retry headers."""
    all_headers = signed_headers(body, secret, timestamp)
    if retry_num:
        all_headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"})
    all_headers.update(headers or {})
    return await http.post(url, content=body, headers=all_headers)


# --- Events API ---------------------------------------------------------------------------


def event_callback(event: dict[str, Any], *, team_id: str, event_id: str | None = None,
                   event_time: int | None = None, api_app_id: str = "A0OCOAPP") -> bytes:
    """An Events API `event_callback` envelope around `event`."""
    return json.dumps({
        "token": "legacy-verification-token", "team_id": team_id, "api_app_id": api_app_id,
        "event": event, "type": "event_callback", "event_id": event_id or _id("Ev"),
        "event_time": event_time or int(time.time()),
        "authorizations": [{"team_id": team_id, "user_id": "UOCOBOT", "is_bot": True, "is_enterprise_install": False}],
    }).encode()


def url_verification(challenge: str) -> bytes:
    return json.dumps({"token": "legacy-verification-token", "challenge": challenge, "type": "url_verification"}).encode()


def user_object(user_id: str, *, team_id: str = "T0", name: str = "hanako", display_name: str = "Hanako",
                is_bot: bool = False, deleted: bool = False, **extra: Any) -> dict[str, Any]:
    """A Slack user object as team_join / user_change carry it."""
    return {
        "id": user_id, "team_id": team_id, "name": name, "deleted": deleted, "real_name": display_name,
        "tz": "Asia/Tokyo", "locale": "ja-JP", "is_bot": is_bot, "is_app_user": False,
        "profile": {"display_name": display_name, "real_name": display_name, "team": team_id},
        **extra,
    }


def team_join_event(user_id: str, **user: Any) -> dict[str, Any]:
    return {"type": "team_join", "user": user_object(user_id, **user), "event_ts": f"{time.time():.6f}"}


def user_change_event(user_id: str, **user: Any) -> dict[str, Any]:
    return {"type": "user_change", "user": user_object(user_id, **user), "event_ts": f"{time.time():.6f}"}


def message_event(user_id: str, channel: str, text: str = "hello", *, ts: str | None = None, **extra: Any) -> dict[str, Any]:
    ts = ts or f"{time.time():.6f}"
    return {"type": "message", "channel": channel, "user": user_id, "text": text, "ts": ts,
            "event_ts": ts, "channel_type": "channel", **extra}


def reaction_event(user_id: str, channel: str, message_ts: str, *, reaction: str = "bulb", added: bool = True,
                   item_user: str | None = None) -> dict[str, Any]:
    return {
        "type": "reaction_added" if added else "reaction_removed", "user": user_id, "reaction": reaction,
        "item": {"type": "message", "channel": channel, "ts": message_ts}, "item_user": item_user,
        "event_ts": f"{time.time():.6f}",
    }


def app_home_opened_event(user_id: str, *, channel: str = "D0HOME", tab: str = "home") -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user_id, "channel": channel, "tab": tab, "event_ts": f"{time.time():.6f}"}


# --- slash commands -----------------------------------------------------------------------


def slash_command(text: str, *, team_id: str, user_id: str, command: str = "/oco", channel_id: str = "C0GENERAL",
                  trigger_id: str | None = None, response_url: str | None = None, user_name: str = "hanako") -> bytes:
    """A slash command as Slack posts it: form-encoded fields."""
    return urlencode({
        "token": "legacy-verification-token", "team_id": team_id, "team_domain": "city", "channel_id": channel_id,
        "channel_name": "general", "user_id": user_id, "user_name": user_name, "command": command, "text": text,
        "api_app_id": "A0OCOAPP", "is_enterprise_install": "false",
        "response_url": response_url or f"https://hooks.slack.com/commands/{team_id}/1/x",
        "trigger_id": trigger_id or f"{int(time.time())}.1.{uuid.uuid4().hex}",
    }).encode()


# --- interactivity ------------------------------------------------------------------------


def _interaction(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def _who(team_id: str, user_id: str) -> dict[str, Any]:
    return {
        "team": {"id": team_id, "domain": "city"},
        "user": {"id": user_id, "username": "hanako", "name": "hanako", "team_id": team_id},
        "api_app_id": "A0OCOAPP", "token": "legacy-verification-token", "is_enterprise_install": False,
    }


def block_actions(action_id: str, *, team_id: str, user_id: str, value: str = "", block_id: str = "b1",
                  trigger_id: str | None = None, response_url: str | None = None, message_ts: str | None = None,
                  channel_id: str = "C0GENERAL", ephemeral: bool = False, view: dict[str, Any] | None = None) -> bytes:
    """A button click; in a message (with a response_url) unless `view` is given (App Home, modal)."""
    action = {"type": "button", "action_id": action_id, "block_id": block_id, "value": value or action_id,
              "action_ts": f"{time.time():.6f}", "text": {"type": "plain_text", "text": action_id}}
    payload: dict[str, Any] = {"type": "block_actions", **_who(team_id, user_id),
                               "trigger_id": trigger_id or f"{int(time.time())}.1.{uuid.uuid4().hex}", "actions": [action]}
    if view is not None:
        payload.update(view=view, container={"type": "view", "view_id": view.get("id", "V0")})
    else:
        ts = message_ts or f"{time.time():.6f}"
        payload.update(
            container={"type": "message", "message_ts": ts, "channel_id": channel_id, "is_ephemeral": ephemeral},
            channel={"id": channel_id, "name": "general"},
            response_url=response_url or f"https://hooks.slack.com/actions/{team_id}/1/x",
        )
        if not ephemeral:
            payload["message"] = {"type": "message", "ts": ts, "text": "", "blocks": []}
    return _interaction(payload)


def view_submission(callback_id: str, values: dict[str, dict[str, Any]], *, team_id: str, user_id: str,
                    view_id: str | None = None, private_metadata: str = "") -> bytes:
    """A modal submission; `values` is `view.state.values` (block id → action id → element state)."""
    view = {"id": view_id or _id("V"), "team_id": team_id, "type": "modal", "callback_id": callback_id,
            "private_metadata": private_metadata, "state": {"values": values}, "hash": uuid.uuid4().hex[:16]}
    return _interaction({"type": "view_submission", **_who(team_id, user_id), "view": view,
                         "trigger_id": f"{int(time.time())}.1.{uuid.uuid4().hex}"})


def message_shortcut(callback_id: str, *, team_id: str, user_id: str, channel_id: str = "C0GENERAL",
                     message: dict[str, Any] | None = None, response_url: str | None = None) -> bytes:
    """A message shortcut (e.g. "Propose this") on `message`."""
    message = message or {"type": "message", "user": user_id, "ts": f"{time.time():.6f}", "text": "an idea"}
    return _interaction({
        "type": "message_action", **_who(team_id, user_id), "callback_id": callback_id,
        "trigger_id": f"{int(time.time())}.1.{uuid.uuid4().hex}", "message_ts": message["ts"], "message": message,
        "channel": {"id": channel_id, "name": "general"},
        "response_url": response_url or f"https://hooks.slack.com/app/{team_id}/1/x",
    })


# --- element states for view_submission values -------------------------------------------


def selected(value: str | None) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}} if value else None}


def radio(value: str | None) -> dict[str, Any]:
    return {"type": "radio_buttons", "selected_option": {"value": value} if value else None}


def checked(*values: str) -> dict[str, Any]:
    return {"type": "checkboxes", "selected_options": [{"value": v, "text": {"type": "plain_text", "text": v}} for v in values]}


def text_value(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}
