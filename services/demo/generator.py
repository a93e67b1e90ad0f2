"""Generates a Slack export shaped like the pilot city's first year, deterministic per seed.

About 1,400 residents (a third per category) joining with a launch spike, 200–400 posts a
month over 12 months (~4,500, a third of them thread replies), ~12,000 reactions, join
notices, photo uploads, a city bot's announcements, and the department channels of
`shared/departments.py`. The export is written as Slack writes it (users.json,
channels.json, one folder of `YYYY-MM-DD.json` per channel).
"""

from __future__ import annotations

import bisect
import itertools
import json
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from shared.departments import load_departments
from services.demo import content
from services.demo.models import DemoChannel, DemoCity, DemoResident
from services.demo.people import make_residents, plan_city_activity

JST = timezone(timedelta(hours=9))
RESIDENTS = 1400
# Posts by residents per month (the pilot: 200–400 a month, ~4,500 in the year).
MONTHLY_POSTS = [400, 390, 360, 330, 350, 370, 380, 360, 370, 390, 400, 400]
REPLY_SHARE = 0.3
REACTIONS = 12_000
# Share of top-level posts that go to each kind of channel (departments share the rest).
CHANNEL_WEIGHTS = {"general": 20, "introductions": 8, "moving": 16, "childcare": 12, "photos": 16, "ideas": 12,
                   "places": 16, "announcements": 0}


def tenant_for(seed: int) -> str:
    return f"TDEMO{seed:04d}"


class _Writer:
    """Collects messages per (channel folder, UTC day) and writes them as day files."""

    def __init__(self) -> None:
        self.days: dict[tuple[str, str], list[dict]] = defaultdict(list)
        self.used_ts: set[tuple[str, str]] = set()

    def ts(self, channel: DemoChannel, when: float) -> str:
        """A `ts` unique within the channel, as Slack guarantees."""
        micros = int(round(when * 1_000_000))
        while True:
            ts = f"{micros // 1_000_000}.{micros % 1_000_000:06d}"
            if (channel.id, ts) not in self.used_ts:
                self.used_ts.add((channel.id, ts))
                return ts
            micros += 1

    def add(self, channel: DemoChannel, message: dict) -> dict:
        day = datetime.fromtimestamp(float(message["ts"]), UTC).strftime("%Y-%m-%d")
        self.days[(channel.name, day)].append(message)
        return message

    def write(self, out: Path) -> int:
        for (folder, day), messages in self.days.items():
            messages.sort(key=lambda m: float(m["ts"]))
            target = out / folder
            target.mkdir(parents=True, exist_ok=True)
            (target / f"{day}.json").write_text(_json_lines(messages), encoding="utf-8")
        return len(self.days)


def default_start(today: datetime | None = None) -> datetime:
    """The first day of the month a year before this one: the demo's year ends this month, so
    "active in the last 30 days" has residents in it."""
    today = (today or datetime.now(JST)).astimezone(JST)
    return _add_months(datetime(today.year, today.month, 1, tzinfo=JST), -12)


def generate(out: str | Path, *, seed: int = 1, start: datetime | None = None, tenant: str | None = None) -> DemoCity:
    """Write the demo export into `out` and return the city it describes (team `tenant_for(seed)`)."""
    rng = random.Random(seed)
    start = start or default_start()
    end = _add_months(start, 12)
    tenant = tenant or tenant_for(seed)
    channels = _channels(rng)
    residents = make_residents(rng, count=RESIDENTS, start=start.timestamp(), end=end.timestamp())
    city = DemoCity(seed=seed, tenant=tenant, start=start, end=end, residents=residents, channels=channels,
                    bot_id=f"B{rng.getrandbits(36):09X}")
    writer = _Writer()
    by_key = {c.key: c for c in channels}
    _join_notices(writer, residents, by_key)
    posts = _posts(rng, writer, city, by_key)
    _reactions(rng, city, posts)
    _announcements(rng, writer, city, by_key["announcements"])
    plan_city_activity(rng, city)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    city.day_files = writer.write(out)
    _write_listings(out, city, by_key)
    return city


def _channels(rng: random.Random) -> list[DemoChannel]:
    channels = [DemoChannel(id=_channel_id(rng), name="全体", key="general", purpose=f"{content.CITY} デジタル住民の広場"),
                DemoChannel(id=_channel_id(rng), name="自己紹介", key="introductions", purpose="はじめての方はこちらへ")]
    for department in load_departments():
        channel_id = department.channel_id or _channel_id(rng)
        channels.append(DemoChannel(id=channel_id, name=department.channel_name, key=department.key,
                                    purpose=f"{department.name_ja} / {department.name_en}"))
    return channels


def _channel_id(rng: random.Random) -> str:
    return f"C{rng.getrandbits(40):010X}"


def _join_notices(writer: _Writer, residents: list[DemoResident], by_key: dict[str, DemoChannel]) -> None:
    """Everyone joins the general and introductions channels, and the departments they care about."""
    for r in residents:
        keys = ["general", "introductions", "announcements", *r.interests]
        for offset, key in enumerate(dict.fromkeys(keys)):
            channel = by_key.get(key)
            if channel is not None:
                writer.add(channel, {"type": "message", "subtype": "channel_join", "user": r.user_id,
                                     "text": f"<@{r.user_id}> has joined the channel",
                                     "ts": writer.ts(channel, r.joined_at + offset)})


def _posts(rng: random.Random, writer: _Writer, city: DemoCity, by_key: dict[str, DemoChannel]) -> list[dict]:
    """Top-level posts and thread replies, month by month; returns every post (for reactions)."""
    picker = _Picker(city.residents)
    keys = [k for k, w in CHANNEL_WEIGHTS.items() if w]
    weights = [CHANNEL_WEIGHTS[k] for k in keys]
    everything: list[dict] = []
    for month, planned in enumerate(MONTHLY_POSTS):
        total = min(400, max(200, planned + rng.randint(-15, 15)))
        replies = int(total * REPLY_SHARE)
        lo, hi = _add_months(city.start, month).timestamp(), _add_months(city.start, month + 1).timestamp()
        tops = []
        for _ in range(total - replies):
            channel = by_key[rng.choices(keys, weights)[0]]
            when = _daytime(rng, lo, hi)
            author = picker.pick(rng, when, interest=channel.key)
            if author is None:
                continue
            tops.append((channel, writer.add(channel, _post(rng, writer, channel, author, when))))
        for _ in range(replies):
            channel, parent = rng.choice(tops)
            # Replies stay in the parent's month, so each month's count is the month's posts.
            when = min(float(parent["ts"]) + rng.expovariate(1 / 7200), hi - 1)
            author = picker.pick(rng, when, interest=channel.key, other_than=parent["user"])
            if author is None:
                continue
            reply = writer.add(channel, _reply(rng, writer, channel, author, when, parent))
            everything.append(reply)
            city.thread_replies += 1
        everything.extend(message for _, message in tops)
    city.posts = len(everything)
    return everything


def _post(rng: random.Random, writer: _Writer, channel: DemoChannel, author: DemoResident, when: float) -> dict:
    templates = content.POSTS[channel.key]
    if author.language == "en":
        templates = [t for t in templates if t.isascii() or "{place_en}" in t] or templates
    place = rng.randrange(len(content.PLACES))
    text = rng.choice(templates).format(place=content.PLACES[place], place_en=content.PLACES_EN[place], city=content.CITY)
    message = {"type": "message", "user": author.user_id, "text": text, "ts": writer.ts(channel, when)}
    if rng.random() < (0.6 if channel.key == "photos" else 0.03):
        message.update(subtype="file_share", upload=True,
                       files=[{"id": f"F{rng.getrandbits(40):010X}", "name": "photo.jpg", "mimetype": "image/jpeg"}])
    if rng.random() < 0.04:
        message["edited"] = {"user": author.user_id, "ts": f"{int(when) + 120}.000000"}
    return message


def _reply(rng: random.Random, writer: _Writer, channel: DemoChannel, author: DemoResident, when: float, parent: dict) -> dict:
    ts = writer.ts(channel, when)
    parent.setdefault("thread_ts", parent["ts"])
    parent["reply_count"] = parent.get("reply_count", 0) + 1
    users = parent.setdefault("reply_users", [])
    if author.user_id not in users:
        users.append(author.user_id)
    parent["latest_reply"] = max(parent.get("latest_reply", ts), ts, key=float)
    return {"type": "message", "user": author.user_id, "text": rng.choice(content.REPLIES), "ts": ts,
            "thread_ts": parent["ts"], "parent_user_id": parent["user"]}


def _reactions(rng: random.Random, city: DemoCity, posts: list[dict]) -> None:
    """Exactly REACTIONS (reaction, user) pairs, spread unevenly: some posts are popular."""
    picker = _Picker(city.residents)
    popularity = [rng.paretovariate(1.6) * (1.0 if "thread_ts" not in p or p["thread_ts"] == p["ts"] else 0.4) for p in posts]
    names, weights = zip(*content.REACTIONS)
    cumulative = list(itertools.accumulate(popularity))
    given: set[tuple[int, str, str]] = set()
    while len(given) < REACTIONS:
        index = rng.choices(range(len(posts)), cum_weights=cumulative)[0]
        post = posts[index]
        when = float(post["ts"]) + 3600
        reactor = picker.pick(rng, when, other_than=post["user"])
        name = rng.choices(names, weights)[0]
        if reactor is None or (index, name, reactor.user_id) in given:
            continue
        given.add((index, name, reactor.user_id))
        entry = next((r for r in post.setdefault("reactions", []) if r["name"] == name), None)
        if entry is None:
            entry = {"name": name, "users": [], "count": 0}
            post["reactions"].append(entry)
        entry["users"].append(reactor.user_id)
        entry["count"] += 1
    city.reactions = len(given)


def _announcements(rng: random.Random, writer: _Writer, city: DemoCity, channel: DemoChannel) -> None:
    """Two bot posts a month from the city (skipped by the importer: bots are not residents)."""
    for month in range(12):
        lo, hi = _add_months(city.start, month).timestamp(), _add_months(city.start, month + 1).timestamp()
        for _ in range(2):
            writer.add(channel, {"type": "message", "subtype": "bot_message", "bot_id": city.bot_id,
                                 "username": content.CITY, "text": f"{content.CITY}からのお知らせです。",
                                 "ts": writer.ts(channel, _daytime(rng, lo, hi))})


class _Picker:
    """Picks residents who had joined by a given time, the active ones more often."""

    def __init__(self, residents: list[DemoResident]) -> None:
        self.residents = residents  # sorted by join time
        self.joined = [r.joined_at for r in residents]
        self.cumulative = []
        total = 0.0
        for r in residents:
            total += r.activity
            self.cumulative.append(total)

    def pick(self, rng: random.Random, when: float, *, interest: str | None = None, other_than: str | None = None):
        eligible = bisect.bisect_right(self.joined, when)
        if eligible == 0:
            return None
        for _ in range(8):
            chosen = self.residents[bisect.bisect_left(self.cumulative, rng.random() * self.cumulative[eligible - 1])]
            if chosen.user_id == other_than:
                continue
            if interest and interest in content.POSTS and interest not in ("general", "introductions") \
                    and interest not in chosen.interests and rng.random() < 0.7:
                continue
            return chosen
        return None


def _daytime(rng: random.Random, lo: float, hi: float) -> float:
    """A moment between lo and hi, most often in Japanese daytime."""
    when = rng.uniform(lo, hi)
    hour = datetime.fromtimestamp(when, JST).hour
    if hour < 7 and rng.random() < 0.8:
        when += rng.uniform(7, 12) * 3600
    return min(when, hi - 1)


def _add_months(moment: datetime, months: int) -> datetime:
    year, month = divmod(moment.month - 1 + months, 12)
    return moment.replace(year=moment.year + year, month=month + 1)


def _write_listings(out: Path, city: DemoCity, by_key: dict[str, DemoChannel]) -> None:
    users = [_user_json(city.tenant, r) for r in city.residents]
    users.append({"id": f"U{city.bot_id[1:]}", "team_id": city.tenant, "name": "sakuragawa_bot", "deleted": False,
                  "real_name": f"{content.CITY} bot", "is_bot": True, "profile": {"bot_id": city.bot_id, "real_name": "bot"}})
    (out / "users.json").write_text(_json_lines(users), encoding="utf-8")
    members: dict[str, list[str]] = defaultdict(list)
    for r in city.residents:
        for key in dict.fromkeys(["general", "introductions", "announcements", *r.interests]):
            members[key].append(r.user_id)
    channels = [{"id": c.id, "name": c.name, "created": str(int(city.start.timestamp())), "creator": city.residents[0].user_id,
                 "is_archived": False, "is_general": c.key == "general", "members": members[c.key],
                 "topic": {"value": "", "creator": "", "last_set": "0"},
                 "purpose": {"value": c.purpose, "creator": "", "last_set": "0"}} for c in city.channels]
    (out / "channels.json").write_text(_json_lines(channels), encoding="utf-8")


def _json_lines(items: list[dict]) -> str:
    """A JSON list with one item per line (as readable as Slack's, and fast to write)."""
    return "[\n" + ",\n".join(json.dumps(item, ensure_ascii=False) for item in items) + "\n]\n"


def _user_json(tenant: str, r: DemoResident) -> dict:
    tz = "Asia/Tokyo" if r.language == "ja" else "America/Los_Angeles"
    return {"id": r.user_id, "team_id": tenant, "name": r.name, "deleted": r.deactivated, "real_name": r.real_name,
            "tz": tz, "locale": "ja-JP" if r.language == "ja" else "en-US", "is_bot": False, "is_app_user": False,
            "profile": {"real_name": r.real_name, "display_name": r.display_name}}
