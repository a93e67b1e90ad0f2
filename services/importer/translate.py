"""The translation driver: export entries → bus events, through the gateway's own translation.

`shared.slack` decides what a message or a person becomes, so an imported history looks
like what the gateway would have published live (and carries the same event ids). This
module only walks the export's structures, classifies what it skips and counts.
"""

from __future__ import annotations

from typing import Any

from shared.envelope import CloudEvent
from shared.slack import (
    COUNTED_SUBTYPES,
    NOTICE_SUBTYPES,
    SLACKBOT,
    is_person,
    message_posted,
    reaction_changed,
    resident_joined,
    resident_left,
    ts_to_datetime,
    with_comment_author,
)
from services.importer.models import DayFile, Tally

SOURCE = "oco/importer"
_EDITS = {"message_changed", "message_deleted"}


class Translator:
    """Turns one tenant's export into events; remembers when each person was first seen."""

    def __init__(self, *, tenant: str, users: list[dict[str, Any]], tally: Tally) -> None:
        self.tenant = tenant
        self.tally = tally
        self.users = {u["id"]: u for u in users if isinstance(u.get("id"), str)}
        self.people = {uid for uid, u in self.users.items() if is_person(u)}
        self.first_seen: dict[str, float] = {}
        self.latest: float | None = None  # the newest moment in the export

    def merge_seen(self, first_seen: dict[str, float], latest: float | None) -> None:
        """Fold in what another translator (a worker's) saw."""
        for user, when in first_seen.items():
            if when < self.first_seen.get(user, float("inf")):
                self.first_seen[user] = when
        if latest is not None and (self.latest is None or latest > self.latest):
            self.latest = latest

    # --- people ---------------------------------------------------------------------------

    def residents(self) -> list[CloudEvent]:
        """`resident.joined` per person (joined when first seen); deactivated ones also left.

        When a deactivated person left is not in the export; the export's newest moment is
        the latest it can have been, and a tombstone that late wins over everything imported.
        """
        events = []
        for uid, user in self.users.items():
            if uid not in self.people:
                self.tally.ignore("bot or app user in users.json")
                continue
            first = self.first_seen.get(uid)
            joined_at = ts_to_datetime(first) if first is not None else None
            try:
                events.append(resident_joined(user, tenant=self.tenant, via="import", joined_at=joined_at))
            except (ValueError, TypeError, AttributeError) as exc:  # e.g. a profile that is not an object
                self.tally.problem("malformed user", "users.json", f"user {uid} can't be read ({_first_line(exc)}); skipped")
                continue
            self.tally.counts["users"] += 1
            if user.get("deleted"):
                left_at = ts_to_datetime(self.latest) if self.latest is not None else None
                events.append(resident_left(uid, tenant=self.tenant, reason="deactivated", time=left_at, source=SOURCE))
                self.tally.counts["deactivated_users"] += 1
        return events

    # --- a day file -----------------------------------------------------------------------

    def day(self, file: DayFile, entries: list[Any], raw: bytes) -> list[CloudEvent]:
        """Events for one day file's messages and their reactions."""
        events: list[CloudEvent] = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                self.tally.problem("entry not an object", file.path, f"entry #{index + 1} is not a JSON object; skipped",
                                   _line_of(raw, None))
                continue
            author = self._message(file, entry, raw, events)
            self._reactions(file, entry, author, raw, events)
        return events

    def _message(self, file: DayFile, entry: dict, raw: bytes, events: list[CloudEvent]) -> str | None:
        """Append the message's event (if it is one a person posted); returns its author."""
        subtype = entry.get("subtype")
        inner = entry.get("message") if subtype == "message_changed" else entry.get("previous_message") if subtype == "message_deleted" else entry
        inner = with_comment_author(inner if isinstance(inner, dict) else {})
        author = inner.get("user") if isinstance(inner.get("user"), str) else None
        self._seen(author, entry.get("ts"))
        if subtype in NOTICE_SUBTYPES:
            self.tally.ignore(f"notice: {subtype}")
            return author
        if subtype not in COUNTED_SUBTYPES and subtype not in _EDITS:
            self._problem(file, raw, entry, "unknown subtype", f"unknown message subtype {subtype!r}; skipped")
            return author
        if inner.get("subtype") in NOTICE_SUBTYPES:
            self.tally.ignore(f"edit of a notice: {inner.get('subtype')}")
            return author
        if not author:
            if inner.get("bot_id"):
                self.tally.ignore("bot message")
            else:
                self._problem(file, raw, entry, "message without a user", "message names no user; skipped")
            return None
        if author == SLACKBOT or (author in self.users and author not in self.people):
            self.tally.ignore("message by a bot")
            return author
        if author not in self.users:
            self._problem(file, raw, entry, "user missing from users.json", f"user {author} is not in users.json; message skipped")
            return author
        try:
            event = message_posted(entry, tenant=self.tenant, channel_id=file.channel.id, source=SOURCE)
        except (ValueError, TypeError) as exc:  # a ts that is no number, a thread_ts that is no string...
            self._problem(file, raw, entry, "malformed message", f"message can't be read ({_first_line(exc)}); skipped")
            return author
        if event is None:
            self._problem(file, raw, entry, "message without ts", "message has no ts; skipped")
            return author
        events.append(event)
        self._count_message(file, event)
        return author

    def _count_message(self, file: DayFile, event: CloudEvent) -> None:
        data = event.data
        if data.get("deleted"):
            self.tally.counts["deletions"] += 1
        elif data.get("edited"):
            self.tally.counts["edits"] += 1
        else:
            self.tally.counts["messages"] += 1
            self.tally.counts["thread_replies"] += 1 if data.get("thread_ts") else 0
            self.tally.counts["private_messages"] += 1 if file.channel.kind.is_private else 0

    def _reactions(self, file: DayFile, entry: dict, author: str | None, raw: bytes, events: list[CloudEvent]) -> None:
        """One `activity.reaction_added` per (reaction, user) in the message's `reactions`."""
        reactions = entry.get("reactions")
        ts = entry.get("ts")
        if not reactions or not isinstance(reactions, list) or not isinstance(ts, str):
            return
        for reaction in reactions:
            if not isinstance(reaction, dict) or not isinstance(reaction.get("name"), str):
                self._problem(file, raw, entry, "malformed reaction", "a reaction without a name; skipped")
                continue
            listed = reaction.get("users")
            users = [u for u in listed if isinstance(u, str)] if isinstance(listed, list) else []
            count = reaction.get("count")
            if isinstance(count, int) and count > len(users):  # Slack lists only the first reactors
                self.tally.ignore("reactions whose user Slack did not list", count - len(users))
            for user in users:
                if user not in self.users:
                    self._problem(file, raw, entry, "reactor missing from users.json",
                                  f"reaction :{reaction['name']}: by {user}, who is not in users.json; skipped")
                    continue
                if user not in self.people:
                    self.tally.ignore("reaction by a bot")
                    continue
                try:
                    events.append(reaction_changed(
                        added=True, tenant=self.tenant, user_id=user, channel_id=file.channel.id, message_ts=ts,
                        reaction=reaction["name"], message_author_id=author, source=SOURCE,
                    ))
                except (ValueError, TypeError) as exc:
                    self._problem(file, raw, entry, "malformed reaction", f"reaction can't be read ({_first_line(exc)}); skipped")
                    return
                self.tally.counts["reactions"] += 1

    def _seen(self, user: str | None, ts: Any) -> None:
        if not user or not isinstance(ts, str):
            return
        try:
            when = float(ts)
        except ValueError:
            return
        if when < self.first_seen.get(user, float("inf")):
            self.first_seen[user] = when
        if self.latest is None or when > self.latest:
            self.latest = when

    def _problem(self, file: DayFile, raw: bytes, entry: dict, kind: str, reason: str) -> None:
        ts = entry.get("ts") if isinstance(entry.get("ts"), str) else None
        self.tally.problem(kind, file.path, reason, _line_of(raw, ts))


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _line_of(raw: bytes, ts: str | None) -> int | None:
    """The line a message starts near, found by its `ts` (only computed for problems)."""
    if not ts:
        return None
    at = raw.find(f'"{ts}"'.encode())
    return raw[:at].count(b"\n") + 1 if at >= 0 else None
