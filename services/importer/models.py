"""What an import reads and what it reports: channels of the export, problems, the summary."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from pydantic import BaseModel, Field


# A tenant (Slack team) id names a ledger collection: it must be this, never raw input.
TENANT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class ExitCode(IntEnum):
    CLEAN = 0
    SKIPPED_SOMETHING = 1
    COULD_NOT_IMPORT = 2


class ImportFailed(Exception):
    """Nothing (more) can be imported: no users.json, no tenant, the bus or store unreachable."""


class ChannelKind(StrEnum):
    PUBLIC = "public"            # channels.json
    PRIVATE = "private"          # groups.json
    DIRECT = "direct"            # dms.json
    GROUP_DIRECT = "group_direct"  # mpims.json

    @property
    def is_private(self) -> bool:
        return self is not ChannelKind.PUBLIC


# Which listing file names which kind of conversation; folders are named by `name` (by `id` for DMs).
LISTINGS: dict[str, ChannelKind] = {
    "channels.json": ChannelKind.PUBLIC,
    "groups.json": ChannelKind.PRIVATE,
    "dms.json": ChannelKind.DIRECT,
    "mpims.json": ChannelKind.GROUP_DIRECT,
}


@dataclass(frozen=True)
class ExportChannel:
    id: str
    folder: str
    kind: ChannelKind


@dataclass(frozen=True)
class DayFile:
    channel: ExportChannel
    path: str
    size: int


class Problem(BaseModel):
    """Something in the export that was skipped, with where it is."""

    file: str
    line: int | None = Field(None, description="Line in the file, from the JSON decoder or the message's `ts`.")
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}" if self.line else f"{self.file}: {self.reason}"


class ImportSummary(BaseModel):
    """What an import found and did; `--json` prints exactly this."""

    source: str
    tenant: str = ""
    users: int = Field(0, description="People in users.json (bots and Slackbot not counted).")
    deactivated_users: int = Field(0, description="People marked deleted: joined, then left.")
    channels: int = Field(0, description="Public channels.")
    private_channels: int = 0
    direct_messages: int = Field(0, description="One-to-one conversations (dms.json).")
    group_direct_messages: int = Field(0, description="Group conversations (mpims.json).")
    day_files: int = Field(0, description="Day files read (skipped ones not counted).")
    messages: int = Field(0, description="Messages by people, thread replies included.")
    thread_replies: int = 0
    private_messages: int = Field(0, description="Of `messages`, those in private channels or DMs.")
    reactions: int = Field(0, description="One per (reaction, user) on a message.")
    events: int = Field(0, description="Events the export translates to.")
    published: int = Field(0, description="Events published by this run.")
    already_imported: int = Field(0, description="Events an earlier import had already published.")
    edits: int = Field(0, description="Edits (`message_changed`) published as edits of the original.")
    deletions: int = Field(0, description="Deletions (`message_deleted`) published as such.")
    extra_events: int = Field(0, description="Events published alongside the export (the demo's profiles, proposals...).")
    ignored: dict[str, int] = Field(default_factory=dict, description="Left out by design (notices, bots), by reason.")
    skipped: dict[str, int] = Field(default_factory=dict, description="Problems: left out because of bad data, by reason.")
    problems: list[Problem] = Field(default_factory=list, description="The first problems, with file and line.")
    notes: list[str] = Field(default_factory=list, description="Things that were odd but could be read.")
    seconds: float = 0.0
    exit_code: int = ExitCode.CLEAN

    def messages_per_second(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


class Tally:
    """Counters the translation updates while it runs; folded into the summary at the end."""

    def __init__(self, *, problems_listed: int = 200) -> None:
        self.counts: Counter[str] = Counter()
        self.ignored: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.problems_listed = problems_listed

    def ignore(self, reason: str, n: int = 1) -> None:
        self.ignored[reason] += n

    def problem(self, kind: str, file: str, reason: str, line: int | None = None) -> None:
        """Count a problem under `kind` and keep its detail while the list is short."""
        self.skipped[kind] += 1
        if len(self.problems) < self.problems_listed:
            self.problems.append(Problem(file=file, line=line, reason=reason))

    @property
    def problem_count(self) -> int:
        return sum(self.skipped.values())

    def merge(self, other: Tally) -> None:
        """Add what another tally (a worker's) counted."""
        self.counts.update(other.counts)
        self.ignored.update(other.ignored)
        self.skipped.update(other.skipped)
        self.problems.extend(other.problems[: max(0, self.problems_listed - len(self.problems))])
        self.notes.extend(other.notes)

    def fill(self, summary: ImportSummary) -> None:
        for name, value in self.counts.items():
            setattr(summary, name, value)
        summary.ignored = dict(sorted(self.ignored.items()))
        summary.skipped = dict(sorted(self.skipped.items()))
        summary.problems = sorted(self.problems, key=lambda p: (p.file, p.line or 0))
        summary.notes = list(self.notes)
        summary.exit_code = ExitCode.SKIPPED_SOMETHING if self.skipped else ExitCode.CLEAN
