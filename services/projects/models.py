"""Proposals, supports, projects and the status machine they move along.

Status is never stored by overwriting: each forward move is one *transition marker*
document under a unique key (proposal, stage), and a proposal's status is the furthest
marker it has. Two handlers racing for the same stage both try to insert; the store lets
one win, so a threshold is crossed once and a proposal is answered once, on FerretDB too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from shared.events import ProposalStatus

S = ProposalStatus

# Forward moves only. An answer may come straight from `open`: a section chief may accept
# (or decline) an idea before it gathers the threshold of supports.
FORWARD: dict[ProposalStatus, frozenset[ProposalStatus]] = {
    S.OPEN: frozenset({S.UNDER_REVIEW, S.ACCEPTED, S.DECLINED}),
    S.UNDER_REVIEW: frozenset({S.ACCEPTED, S.DECLINED}),
    S.ACCEPTED: frozenset({S.LAUNCHED}),
    S.DECLINED: frozenset(),
    S.LAUNCHED: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
}

RANK: dict[ProposalStatus, int] = {
    S.OPEN: 0, S.UNDER_REVIEW: 1, S.ACCEPTED: 2, S.DECLINED: 2, S.LAUNCHED: 3, S.COMPLETED: 4,
}

# Supports count while the proposal still waits for its answer.
SUPPORTABLE = frozenset({S.OPEN, S.UNDER_REVIEW})


class Stage(StrEnum):
    """One marker per stage: accepted and declined share `answer`, so only one answer wins."""

    REVIEW = "review"
    ANSWER = "answer"
    LAUNCH = "launch"
    COMPLETE = "complete"


STAGE_OF: dict[ProposalStatus, Stage] = {
    S.UNDER_REVIEW: Stage.REVIEW, S.ACCEPTED: Stage.ANSWER, S.DECLINED: Stage.ANSWER,
    S.LAUNCHED: Stage.LAUNCH, S.COMPLETED: Stage.COMPLETE,
}


def illegal_move(current: ProposalStatus, target: ProposalStatus) -> str | None:
    """Why `current → target` is not allowed, or None when it is."""
    if target in FORWARD[current]:
        return None
    if current == target:
        return f"the proposal is already {current.value}"
    if RANK[target] <= RANK[current]:
        return f"the proposal is {current.value}: statuses only move forward"
    allowed = ", ".join(sorted(s.value for s in FORWARD[current])) or "nothing (it is final)"
    return f"a proposal that is {current.value} can move only to {allowed}, not {target.value}"


class Transition(BaseModel):
    """The marker of one forward move; its insert under a unique key decides who moved it."""

    tenant: str
    proposal_id: str
    stage: Stage
    status: ProposalStatus
    cause_event_id: str = Field(description="The event whose handling won this move (a re-run recognises itself).")
    by: str | None = None
    answer: str | None = None
    at: datetime

    @property
    def key(self) -> str:
        return transition_key(self.tenant, self.proposal_id, self.stage)


def transition_key(tenant: str, proposal_id: str, stage: Stage) -> str:
    return f"{tenant}:{proposal_id}/{stage.value}"


def status_from(markers: Iterable[Transition]) -> ProposalStatus:
    """The furthest status the markers reached; `open` without any."""
    best = S.OPEN
    for marker in markers:
        if RANK[marker.status] > RANK[best]:
            best = marker.status
    return best


class Proposal(BaseModel):
    tenant: str
    proposal_id: str
    author_id: str
    title: str
    problem: str = ""
    idea: str = ""
    department: str = ""
    via: str = "form"
    created_by: str | None = None
    created_event_id: str
    created_at: datetime
    source_channel_id: str | None = None
    source_ts: str | None = None
    source_permalink: str | None = None
    post_channel_id: str | None = None
    post_ts: str | None = None
    post_permalink: str | None = None
    # Denormalised for listing; the markers are the truth (see `status_from`).
    status: ProposalStatus = S.OPEN
    answered_by: str | None = None
    answer: str | None = None
    project_id: str | None = None

    @property
    def key(self) -> str:
        return proposal_key(self.tenant, self.proposal_id)


def proposal_key(tenant: str, proposal_id: str) -> str:
    return f"{tenant}:{proposal_id}"


class Support(BaseModel):
    """One document per (proposal, resident): supporting twice is one support."""

    tenant: str
    proposal_id: str
    user_id: str
    active: bool = True
    changed_at: datetime = Field(description="Time of the event that last changed it; older events are ignored.")
    via: str = "button"
    last_event_id: str

    @property
    def key(self) -> str:
        return support_key(self.tenant, self.proposal_id, self.user_id)


def support_key(tenant: str, proposal_id: str, user_id: str) -> str:
    return f"{tenant}:{proposal_id}:{user_id}"


class Project(BaseModel):
    tenant: str
    project_id: str
    proposal_id: str
    title: str
    name: str = Field(description="The channel name asked for.")
    owner_id: str
    member_ids: list[str] = Field(default_factory=list)
    channel_id: str | None = None
    summary: str | None = None
    created_at: datetime

    @property
    def key(self) -> str:
        return f"{self.tenant}:{self.project_id}"


class ChiefChange(BaseModel):
    """One `section_chief` grant or revoke as the roles service announced it (insert-only replica)."""

    tenant: str
    user_id: str
    event_id: str
    active: bool
    at: datetime
    grant_key: str = Field(description="The grant's id, else its department; `*` on a revoke means all grants.")
    department: str | None = None
    term_ends_at: datetime | None = None


ALL_GRANTS = "*"


def active_chief_departments(changes: Iterable[ChiefChange], now: datetime) -> dict[str, set[str | None]]:
    """user → departments of their active section-chief grants (None = every department).

    The latest change per grant wins, whatever order the events arrived in; a revoke that
    names no grant ends every grant of that person made before it.
    """
    latest: dict[tuple[str, str], ChiefChange] = {}
    revoke_all: dict[str, datetime] = {}
    for change in changes:
        if not change.active and change.grant_key == ALL_GRANTS:
            revoke_all[change.user_id] = max(change.at, revoke_all.get(change.user_id, change.at))
            continue
        slot = (change.user_id, change.grant_key)
        if slot not in latest or change.at >= latest[slot].at:
            latest[slot] = change
    chiefs: dict[str, set[str | None]] = {}
    for (user, _), change in latest.items():
        if not change.active or (change.term_ends_at and change.term_ends_at <= now):
            continue
        if user in revoke_all and revoke_all[user] >= change.at:
            continue
        chiefs.setdefault(user, set()).add(change.department)
    return chiefs


@dataclass(frozen=True)
class Refusal:
    """Why an action was refused: a stable code and a sentence for the person."""

    code: str
    reason: str
