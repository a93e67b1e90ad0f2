"""The demo city as the generator builds it, before it is written out as an export."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class DemoResident:
    user_id: str
    name: str            # Slack handle
    real_name: str
    display_name: str
    category: str
    interests: list[str]
    language: str
    joined_at: float     # epoch seconds
    activity: float      # how much they post and react, relative to others
    deactivated: bool = False
    profile_at: float | None = None  # when they sent the onboarding form (None: never)
    relation: str = ""


@dataclass
class DemoChannel:
    id: str
    name: str
    key: str             # department key, or "general" / "introductions"
    purpose: str = ""


@dataclass
class DemoProposal:
    index: int
    user_id: str
    title: str
    problem: str
    idea: str
    department: str
    at: float
    supporters: list[tuple[str, float]] = field(default_factory=list)  # (user, when)


@dataclass
class DemoApplication:
    user_id: str
    motivation: str
    skills: str
    hours_per_month: int
    at: float


@dataclass
class DemoCity:
    """Everything the export holds, plus what the city's forms and systems said."""

    seed: int
    tenant: str
    start: datetime
    end: datetime
    residents: list[DemoResident]
    channels: list[DemoChannel]
    bot_id: str
    proposals: list[DemoProposal] = field(default_factory=list)
    applications: list[DemoApplication] = field(default_factory=list)
    moved_in: list[tuple[str, float, str]] = field(default_factory=list)  # (user, when, from category)
    posts: int = 0
    thread_replies: int = 0
    reactions: int = 0
    day_files: int = 0
