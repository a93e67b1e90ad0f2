"""The read model's rows. Each row has a natural key, so replays and duplicates collapse.

The read model counts people but never needs to know who they are: residents appear only
as a pseudonym (a hash of tenant and Slack user id), and no names or texts are kept.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, field_validator


def utc(moment: datetime) -> datetime:
    """Aware UTC; a naive time from another system is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def pseudonym(tenant: str, user_id: str) -> str:
    """A stable stand-in for a Slack user id, so counts work without keeping the id."""
    return hashlib.sha256(f"{tenant}:{user_id}".encode()).hexdigest()[:20]


class FactKind(StrEnum):
    RESIDENT_JOINED = "resident_joined"
    RESIDENT_ONBOARDED = "resident_onboarded"
    RESIDENT_LEFT = "resident_left"
    RESIDENT_MOVED_IN = "resident_moved_in"
    APPLICATION_SUBMITTED = "application_submitted"
    APPLICATION_REJECTED = "application_rejected"
    ROLE_GRANTED = "role_granted"
    ROLE_REVOKED = "role_revoked"
    PROPOSAL_CREATED = "proposal_created"
    PROPOSAL_ANSWERED = "proposal_answered"
    PROPOSAL_STATUS_CHANGED = "proposal_status_changed"
    PROJECT_LAUNCHED = "project_launched"
    PROJECT_COMPLETED = "project_completed"
    PROJECT_PROGRESS_REPORTED = "project_progress_reported"
    ANNOUNCEMENT_PUBLISHED = "announcement_published"
    CHANNEL_NAMED = "channel_named"  # a channel whose name an event told (messages carry only ids)


class ToggleKind(StrEnum):
    REACTION = "reaction"
    SUPPORT = "support"


class ToggleOp(StrEnum):
    ADD = "add"
    REMOVE = "remove"


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    @field_validator("at", "posted_at", "failed_at", mode="after", check_fields=False)
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return utc(value) if value is not None else None


class Fact(_Row):
    """Something that happened once: a join, an onboarding, a proposal, a grant."""

    tenant: str
    kind: FactKind
    natural_key: str  # what makes two events the same fact, e.g. the resident and the time
    subject: str  # the resident's pseudonym, or a proposal / project id
    at: datetime
    category: str | None = None
    role: str | None = None
    decision: str | None = None  # accepted / declined, or a proposal status
    proposal_id: str | None = None
    title: str | None = None
    department: str | None = None
    channel_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.tenant}|{self.kind.value}|{self.natural_key}"


class Message(_Row):
    """A message, once per (tenant, channel, ts) however often it is posted, edited or replayed."""

    tenant: str
    channel_id: str
    ts: str
    thread_ts: str | None = None
    who: str
    posted_at: datetime

    @property
    def key(self) -> str:
        return message_key(self.tenant, self.channel_id, self.ts)

    @property
    def is_reply(self) -> bool:
        return bool(self.thread_ts) and self.thread_ts != self.ts


def message_key(tenant: str, channel_id: str, ts: str) -> str:
    return f"{tenant}|{channel_id}|{ts}"


class Toggle(_Row):
    """One add or remove of something a person can undo: a reaction, a support."""

    tenant: str
    kind: ToggleKind
    target: str  # what was reacted to / supported, e.g. "C1|1700000000.000100|bulb"
    who: str
    op: ToggleOp
    at: datetime

    @property
    def key(self) -> str:
        return f"{self.tenant}|{self.kind.value}|{self.target}|{self.who}|{self.op.value}|{self.at.isoformat()}"


class DeadLetter(_Row):
    """A message some consumer dead-lettered, with the reason from its headers."""

    dlq_topic: str
    partition: int
    offset: int
    original_topic: str
    group: str = ""
    reason: str = ""
    error: str = ""
    failed_at: datetime
    tenant: str | None = None
    event_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.dlq_topic}|{self.partition}|{self.offset}"
