"""The stand-in's workspace: users, conversations, messages, views and user groups.

Only what the product's calls need, kept in memory. Every refusal is a `SlackError` carrying
Slack's own error code, so the HTTP layer can answer `{"ok": false, "error": ...}`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")


class SlackError(Exception):
    """A refusal, answered as `{"ok": false, "error": code, ...extra}` with HTTP 200."""

    def __init__(self, code: str, *messages: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = dict(extra)
        if messages:
            self.extra["response_metadata"] = {"messages": list(messages)}


def new_id(prefix: str, length: int = 10) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def stable_id(prefix: str, seed: str, length: int = 10) -> str:
    """The same id for the same seed, as Slack keeps one DM per user for good."""
    digest = hashlib.sha256(seed.encode()).digest()
    return prefix + "".join(_ID_ALPHABET[b % len(_ID_ALPHABET)] for b in digest[:length])


@dataclass
class Conversation:
    id: str
    name: str = ""
    is_im: bool = False
    is_mpim: bool = False
    is_private: bool = False
    is_archived: bool = False
    user: str | None = None  # the other party of an IM
    members: set[str] = field(default_factory=set)
    messages: list[dict[str, Any]] = field(default_factory=list)
    created: int = field(default_factory=lambda: int(time.time()))

    def as_slack(self, bot_user: str) -> dict[str, Any]:
        if self.is_im:
            return {"id": self.id, "created": self.created, "is_im": True, "is_org_shared": False,
                    "user": self.user, "is_user_deleted": False, "priority": 0}
        return {
            "id": self.id, "name": self.name, "name_normalized": self.name, "created": self.created,
            "creator": bot_user, "is_channel": not self.is_private and not self.is_mpim,
            "is_group": self.is_private, "is_im": False, "is_mpim": self.is_mpim, "is_private": self.is_private,
            "is_archived": self.is_archived, "is_general": False, "is_shared": False, "is_ext_shared": False,
            "is_org_shared": False, "is_pending_ext_shared": False, "pending_shared": [], "unlinked": 0,
            "is_member": bot_user in self.members, "num_members": len(self.members),
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0}, "previous_names": [],
        }


@dataclass
class Identity:
    """Who the stand-in's bot is."""

    team_id: str
    team_name: str
    bot_user_id: str = "U0STANDINBOT"
    bot_id: str = "B0STANDIN"
    app_id: str = "A0STANDIN"

    @property
    def domain(self) -> str:
        return "oco-standin"


class World:
    """The workspace as Slack would hold it; not thread-safe (the server runs on one loop)."""

    def __init__(self, identity: Identity, *, strict: bool = False) -> None:
        self.identity = identity
        self.strict = strict
        self.users: dict[str, dict[str, Any]] = {}
        self.conversations: dict[str, Conversation] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, str] = {}  # user id -> view id
        self.used_triggers: set[str] = set()
        self.usergroups: dict[str, dict[str, Any]] = {}
        self._last_ts_us = 0

    # --- users ---------------------------------------------------------------------------

    def add_user(self, user_id: str, *, name: str = "", real_name: str = "", locale: str | None = None,
                 tz: str | None = None, deleted: bool = False, is_bot: bool = False, **_: Any) -> dict[str, Any]:
        name = name or user_id.lower()
        self.users[user_id] = {
            "id": user_id, "team_id": self.identity.team_id, "name": name, "deleted": deleted,
            "real_name": real_name or name, "tz": tz or "Asia/Tokyo", "tz_label": "Japan Standard Time",
            "tz_offset": 32400, "is_admin": False, "is_owner": False, "is_primary_owner": False,
            "is_restricted": False, "is_ultra_restricted": False, "is_bot": is_bot, "is_app_user": False,
            "updated": int(time.time()), "has_2fa": False, "color": "9f69e7",
            "profile": {"real_name": real_name or name, "real_name_normalized": real_name or name,
                        "display_name": name, "display_name_normalized": name, "team": self.identity.team_id,
                        "avatar_hash": "g000000000", "image_48": "https://example.invalid/avatar_48.png",
                        "image_72": "https://example.invalid/avatar_72.png"},
            "_locale": locale,
        }
        return self.users[user_id]

    def user(self, user_id: str | None) -> dict[str, Any]:
        if not user_id:
            raise SlackError("user_not_found")
        if user_id not in self.users:
            if self.strict or not USER_ID.match(user_id):
                raise SlackError("user_not_found")
            self.add_user(user_id)
        return self.users[user_id]

    def public_user(self, user: dict[str, Any], *, include_locale: bool) -> dict[str, Any]:
        shown = {k: v for k, v in user.items() if not k.startswith("_")}
        if include_locale:
            shown["locale"] = user["_locale"] or "ja-JP"
        return shown

    # --- conversations -------------------------------------------------------------------

    def add_channel(self, channel_id: str | None = None, *, name: str = "", is_private: bool = False,
                    members: list[str] | None = None, is_archived: bool = False, **_: Any) -> Conversation:
        channel_id = channel_id or new_id("G" if is_private else "C")
        conv = Conversation(id=channel_id, name=name or channel_id.lower(), is_private=is_private,
                            is_archived=is_archived, members=set(members or []) | {self.identity.bot_user_id})
        self.conversations[channel_id] = conv
        return conv

    def conversation(self, channel: str | None) -> Conversation:
        """A conversation by id (`C…`, `G…`, `D…`), by `#name`, or a user id meaning their DM."""
        if not channel:
            raise SlackError("channel_not_found")
        if channel in self.conversations:
            return self.conversations[channel]
        if channel.startswith("#"):
            for conv in self.conversations.values():
                if conv.name == channel[1:] and not conv.is_im:
                    return conv
            raise SlackError("channel_not_found")
        if USER_ID.match(channel) and (channel in self.users or not self.strict):
            return self.open_im(channel)[0]
        if CHANNEL_ID.match(channel) and not self.strict:
            return self.add_channel(channel)
        raise SlackError("channel_not_found")

    def open_im(self, user_id: str) -> tuple[Conversation, bool]:
        """The bot's DM with a user, and whether it was already open."""
        user = self.user(user_id)
        if user["deleted"]:
            raise SlackError("user_disabled")
        dm_id = stable_id("D", f"{self.identity.team_id}/{user_id}")
        existing = self.conversations.get(dm_id)
        if existing:
            return existing, True
        conv = Conversation(id=dm_id, is_im=True, user=user_id, members={user_id, self.identity.bot_user_id})
        self.conversations[dm_id] = conv
        return conv, False

    def open_mpim(self, user_ids: list[str]) -> tuple[Conversation, bool]:
        for user_id in user_ids:
            self.user(user_id)
        members = frozenset(user_ids) | {self.identity.bot_user_id}
        mpim_id = stable_id("G", f"{self.identity.team_id}/mpim/{'/'.join(sorted(members))}")
        existing = self.conversations.get(mpim_id)
        if existing:
            return existing, True
        name = "mpdm-" + "--".join(sorted(self.users[u]["name"] for u in user_ids)) + "-1"
        conv = Conversation(id=mpim_id, name=name, is_mpim=True, is_private=True, members=set(members))
        self.conversations[mpim_id] = conv
        return conv, False

    # --- messages ------------------------------------------------------------------------

    def next_ts(self) -> str:
        """A Slack message timestamp ("1700000000.000100"), strictly increasing."""
        now_us = int(time.time() * 1_000_000)
        self._last_ts_us = max(now_us, self._last_ts_us + 1)
        return f"{self._last_ts_us // 1_000_000}.{self._last_ts_us % 1_000_000:06d}"

    def post(self, conv: Conversation, fields: dict[str, Any]) -> dict[str, Any]:
        message = {
            "type": "message", "user": self.identity.bot_user_id, "bot_id": self.identity.bot_id,
            "app_id": self.identity.app_id, "team": self.identity.team_id, "ts": self.next_ts(),
            **{k: v for k, v in fields.items() if v is not None},
        }
        message.setdefault("text", "")
        conv.messages.append(message)
        return message

    def find_message(self, conv: Conversation, ts: str | None) -> dict[str, Any]:
        for message in conv.messages:
            if message["ts"] == ts:
                return message
        raise SlackError("message_not_found")

    # --- views ---------------------------------------------------------------------------

    def use_trigger(self, trigger_id: str) -> None:
        """A trigger id opens one view only, as in Slack."""
        if trigger_id in self.used_triggers:
            raise SlackError("exchanged_trigger_id")
        self.used_triggers.add(trigger_id)

    def store_view(self, view: dict[str, Any], *, view_id: str | None = None, root_id: str | None = None,
                   previous_id: str | None = None) -> dict[str, Any]:
        view_id = view_id or new_id("V")
        stored = {
            "id": view_id, "team_id": self.identity.team_id, "type": view.get("type"),
            "blocks": view.get("blocks", []), "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""), "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}", "title": view.get("title"),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)), "close": view.get("close"),
            "submit": view.get("submit"), "previous_view_id": previous_id, "root_view_id": root_id or view_id,
            "app_id": self.identity.app_id, "external_id": view.get("external_id", ""),
            "app_installed_team_id": self.identity.team_id, "bot_id": self.identity.bot_id,
        }
        self.views[view_id] = stored
        return stored

    def view_by(self, *, view_id: str | None, external_id: str | None) -> dict[str, Any]:
        if view_id:
            if view_id in self.views:
                return self.views[view_id]
        elif external_id:
            for view in self.views.values():
                if view["external_id"] == external_id:
                    return view
        raise SlackError("not_found")

    # --- user groups ---------------------------------------------------------------------

    def add_usergroup(self, group_id: str | None = None, *, handle: str = "", name: str = "",
                      users: list[str] | None = None, **_: Any) -> dict[str, Any]:
        group_id = group_id or new_id("S")
        handle = handle or group_id.lower()
        now = int(time.time())
        self.usergroups[group_id] = {
            "id": group_id, "team_id": self.identity.team_id, "is_usergroup": True, "is_external": False,
            "name": name or handle, "description": "", "handle": handle, "auto_type": None,
            "created_by": self.identity.bot_user_id, "updated_by": self.identity.bot_user_id,
            "deleted_by": None, "date_create": now, "date_update": now, "date_delete": 0,
            "prefs": {"channels": [], "groups": []}, "users": list(users or []), "user_count": len(users or []),
        }
        return self.usergroups[group_id]

    def usergroup(self, group_id: str | None) -> dict[str, Any]:
        if group_id in self.usergroups:
            return self.usergroups[group_id]
        if group_id and re.match(r"^S[A-Z0-9]{2,}$", group_id) and not self.strict:
            return self.add_usergroup(group_id)
        raise SlackError("no_such_subteam")
