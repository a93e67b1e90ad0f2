"""The community numbers, computed in Python from one tenant's rows.

Pure functions of the rows and an `as_of` moment: nothing after `as_of` counts, so the
same rows always give the same numbers (a replay, a rebuild, a look back in time). Months
are calendar months in the configured zone, keyed "YYYY-MM".
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from shared.departments import Department
from shared.events import Category
from services.dashboard.models import Fact, FactKind, Message, Toggle, ToggleOp

ACTIVE_WINDOW = timedelta(days=30)
UNKNOWN = "unknown"  # joined, but no category said yet
CATEGORIES = [c.value for c in Category] + [UNKNOWN]
_INSTANT = timedelta(microseconds=1)
MAX_MONTHS = 240  # a history older than this is summed in totals but not drawn month by month
_RESIDENT_KINDS = {FactKind.RESIDENT_JOINED, FactKind.RESIDENT_ONBOARDED, FactKind.RESIDENT_LEFT, FactKind.RESIDENT_MOVED_IN}


@dataclass(frozen=True)
class Months:
    """The x axis every series shares: calendar months from the first data to `as_of`."""

    zone: ZoneInfo
    keys: list[str]

    def of(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).strftime("%Y-%m")

    def series(self, counts: Counter) -> list[int]:
        return [counts.get(key, 0) for key in self.keys]

    @classmethod
    def spanning(cls, moments: Iterable[datetime], as_of: datetime, zone: ZoneInfo) -> Months:
        local_end = as_of.astimezone(zone)
        first = min(moments, default=as_of).astimezone(zone)
        year, month, keys = first.year, first.month, []
        while (year, month) <= (local_end.year, local_end.month):
            keys.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return cls(zone=zone, keys=keys[-MAX_MONTHS:])

    def ends(self, as_of: datetime) -> list[datetime]:
        """Where each month ends (the next one's start, exclusive); the last ends just after `as_of`."""
        ends = []
        for key in self.keys:
            year, month = int(key[:4]), int(key[5:])
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            ends.append(min(datetime(year, month, 1, tzinfo=self.zone), as_of + _INSTANT))
        return ends


@dataclass
class _Resident:
    present: bool = False
    category: str = UNKNOWN
    ever_onboarded: bool = False
    moved_in: bool = False
    moved_in_category: str | None = None
    first_seen: datetime | None = None

    @property
    def status(self) -> str | None:
        """The category a resident counts under, or None while they are gone."""
        return self.category if self.present else None

    def apply(self, fact: Fact) -> None:
        if fact.kind is FactKind.RESIDENT_MOVED_IN:
            self.moved_in, self.moved_in_category = True, fact.category
            return
        self.present = fact.kind is not FactKind.RESIDENT_LEFT
        if self.present and self.first_seen is None:
            self.first_seen = fact.at
        if fact.kind is FactKind.RESIDENT_ONBOARDED:
            self.category, self.ever_onboarded = fact.category or UNKNOWN, True


def _in_time_order(facts: Iterable[Fact]) -> list[Fact]:
    # At the same moment a leave comes last: the tombstone wins, as in onboarding.
    return sorted(facts, key=lambda f: (f.at, f.kind is FactKind.RESIDENT_LEFT, f.key))


@dataclass
class Residents:
    """Every resident's state at `as_of`, and the monthly count by category on the way."""

    people: dict[str, _Resident] = field(default_factory=lambda: defaultdict(_Resident))
    by_month: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def replay(cls, facts: list[Fact], months: Months, as_of: datetime) -> Residents:
        """Apply the facts (none after `as_of`) in time order, counting members by category at each month's end."""
        state, counts = cls(), Counter()
        ordered = _in_time_order(f for f in facts if f.kind in _RESIDENT_KINDS)
        series: dict[str, list[int]] = {c: [] for c in CATEGORIES}
        i = 0
        for end in months.ends(as_of):
            while i < len(ordered) and ordered[i].at < end:
                person = state.people[ordered[i].subject]
                before = person.status
                person.apply(ordered[i])
                if before:
                    counts[before] -= 1
                if person.status:
                    counts[person.status] += 1
                i += 1
            for category in CATEGORIES:
                series[category].append(counts[category])
        state.by_month = series
        return state

    def category_of(self, who: str) -> str:
        person = self.people.get(who)
        return person.category if person else UNKNOWN

    def current(self) -> dict[str, int]:
        counts = Counter(p.status for p in self.people.values() if p.status)
        return {c: counts.get(c, 0) for c in CATEGORIES}

    def funnel(self) -> dict:
        """joined → onboarded → moved in, overall and by (latest) category."""
        by_category = {c: {"joined": 0, "onboarded": 0, "moved_in": 0} for c in CATEGORIES}
        for person in self.people.values():
            category = person.category if person.ever_onboarded else (person.moved_in_category or UNKNOWN)
            row = by_category[category]
            row["joined"] += person.first_seen is not None or person.moved_in
            row["onboarded"] += person.ever_onboarded
            row["moved_in"] += person.moved_in
        overall = {stage: sum(row[stage] for row in by_category.values()) for stage in ("joined", "onboarded", "moved_in")}
        return {"stages": ["joined", "onboarded", "moved_in"], "all": overall, "by_category": by_category}


def live_toggles(toggles: Iterable[Toggle]) -> dict[tuple[str, str], Toggle]:
    """Per (target, person), the add that is in force: the later of add and remove decides."""
    latest: dict[tuple[str, str], Toggle] = {}
    for toggle in sorted(toggles, key=lambda t: (t.at, t.op is ToggleOp.REMOVE)):
        latest[(toggle.target, toggle.who)] = toggle
    return {key: t for key, t in latest.items() if t.op is ToggleOp.ADD}


def active_residents(messages: Iterable[Message], reactions: Iterable[Toggle], as_of: datetime) -> set[str]:
    """Who posted or reacted in the 30 days up to `as_of`."""
    since = as_of - ACTIVE_WINDOW
    posters = {m.who for m in messages if since < m.posted_at <= as_of}
    reactors = {r.who for r in reactions if r.op is ToggleOp.ADD and since < r.at <= as_of}
    return posters | reactors


def first_reply_minutes(messages: Iterable[Message]) -> dict[str, list[float | None]]:
    """Per channel, for each question (a top-level message), minutes until another person replied."""
    replies: dict[tuple[str, str], list[Message]] = defaultdict(list)
    questions: list[Message] = []
    for message in messages:
        if message.is_reply:
            replies[(message.channel_id, message.thread_ts)].append(message)
        else:
            questions.append(message)
    waits: dict[str, list[float | None]] = defaultdict(list)
    for question in questions:
        answers = [r.posted_at for r in replies[(question.channel_id, question.ts)] if r.who != question.who]
        first = min(answers, default=None)
        waits[question.channel_id].append(
            max(0.0, (first - question.posted_at).total_seconds() / 60) if first is not None else None
        )
    return waits


def first_reply_by_channel(
    messages: list[Message], departments: list[Department], channel_names: dict[str, str] | None = None
) -> list[dict]:
    """Median time to the first reply by someone else, per channel, department channels first.

    A channel is a department's when the catalogue names its id or, for a department without
    one, when an event told the channel's name (`channel_names`) and it is the department's.
    """
    channel_names = channel_names or {}
    by_id = {d.channel_id: d for d in departments if d.channel_id}
    by_name = {d.channel_name: d for d in departments if not d.channel_id}
    rows = []
    for channel_id, waits in first_reply_minutes(messages).items():
        answered = sorted(w for w in waits if w is not None)
        name = channel_names.get(channel_id)
        department = by_id.get(channel_id) or (by_name.get(name) if name else None)
        rows.append({
            "channel_id": channel_id,
            "department": department.key if department else None,
            "name_ja": department.name_ja if department else None,
            "name_en": department.name_en if department else None,
            "questions": len(waits),
            "answered": len(answered),
            "median_minutes": round(statistics.median(answered), 1) if answered else None,
        })
    return sorted(rows, key=lambda r: (r["department"] is None, -r["questions"], r["channel_id"]))
