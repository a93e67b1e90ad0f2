"""The `/api/community` document: one tenant's community numbers as of a moment."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from itertools import chain
from zoneinfo import ZoneInfo

from shared.departments import Department
from shared.events import Category, ProposalStatus
from services.dashboard.insights import (
    ACTIVE_WINDOW,
    CATEGORIES,
    Months,
    Residents,
    active_residents,
    first_reply_by_channel,
    live_toggles,
)
from services.dashboard.models import Fact, FactKind, Message, Toggle, ToggleKind, ToggleOp
from services.dashboard.store import ReadModel

TOP_PROPOSALS = 5
RECENT_PROJECTS = 20


async def load_community(
    store: ReadModel, *, tenant: str, as_of: datetime, zone: ZoneInfo, departments: list[Department]
) -> dict:
    """Read one tenant's rows and compute its community document."""
    return community_view(
        tenant=tenant,
        facts=await store.facts(tenant),
        messages=await store.messages(tenant),
        deleted=await store.deleted_messages(tenant),
        reactions=await store.toggles(tenant, ToggleKind.REACTION),
        supports=await store.toggles(tenant, ToggleKind.SUPPORT),
        as_of=as_of,
        zone=zone,
        departments=departments,
    )


def community_view(
    *,
    tenant: str,
    facts: list[Fact],
    messages: list[Message],
    deleted: set[str],
    reactions: list[Toggle],
    supports: list[Toggle],
    as_of: datetime,
    zone: ZoneInfo,
    departments: list[Department],
) -> dict:
    """The community document. Nothing after `as_of` counts; months are "YYYY-MM" in `zone`.

    {
      "tenant": "T…", "as_of": ISO time, "timezone": "UTC",
      "months": ["2024-01", …],                     # the x axis of every series
      "totals": {"residents": n,                     # members now (joined or onboarded, not left)
                 "residents_by_category": {"citizen"|"prospective_migrant"|"remote_citizen"|"unknown": n},
                 "joined": n, "onboarded": n, "left": n, "moved_in": n,   # people, ever
                 "posts": n, "reactions": n,         # messages once per (channel, ts), minus deleted;
                                                     # reactions once per (message, emoji, person), minus removed
                 "active_residents": n,              # posted or reacted in the 30 days up to as_of
                 "active_by_category": {category: n},
                 "proposals": n, "supports": n, "projects": n, "applications": n, "announcements": n},
      "series": {"residents_by_category": {category: [n per month]},   # members at each month's end
                 "joined"|"onboarded"|"left"|"moved_in"|"posts"|"reactions"|"active_residents"
                 |"proposals"|"applications"|"projects_launched": [n per month]},
      "funnel": {"stages": ["joined", "onboarded", "moved_in"], "all": {stage: n},
                 "by_category": {category: {stage: n}}},
      "proposals": {"by_status": {"open"|"under_review"|"accepted"|"declined"|"launched"|"completed": n},
                    "supports": n, "top": [{"proposal_id", "title", "department", "status", "supports"}]},
      "projects": {"launched": n, "completed": n, "active": n,
                   "recent": [{"project_id", "name", "proposal_id", "status", "updates", "launched_at"}]},
      "applications": {"submitted": n, "rejected": n,
                       "granted_by_role": {office role: n}, "revoked_by_role": {office role: n}},
      "category_roles": {"granted_by_category": {category: n}, "revoked_by_category": {category: n}},
      "first_reply": [{"channel_id", "department", "name_ja", "name_en",
                       "questions": n, "answered": n, "median_minutes": x | null}],
      "channel_names": {channel id: name},          # channels whose names events told (project channels)
    }
    """
    facts = [f for f in facts if f.at <= as_of]
    messages = [m for m in messages if m.posted_at <= as_of and m.key not in deleted]
    reactions = [r for r in reactions if r.at <= as_of]
    supports = [s for s in supports if s.at <= as_of]
    months = Months.spanning(chain((f.at for f in facts), (m.posted_at for m in messages), (r.at for r in reactions)), as_of, zone)
    residents = Residents.replay(facts, months, as_of)
    counted_reactions = live_toggles(reactions)
    active = active_residents(messages, reactions, as_of)
    proposals = proposals_view(facts, supports)
    projects = projects_view(facts)
    applications = applications_view(facts)
    by_kind = _by_kind(facts)
    funnel = residents.funnel()
    names = channel_names(by_kind)
    totals = {
        "residents": sum(residents.current().values()),
        "residents_by_category": residents.current(),
        "joined": funnel["all"]["joined"],
        "onboarded": funnel["all"]["onboarded"],
        "left": len({f.subject for f in by_kind[FactKind.RESIDENT_LEFT]}),
        "moved_in": funnel["all"]["moved_in"],
        "posts": len(messages),
        "reactions": len(counted_reactions),
        "active_residents": len(active),
        "active_by_category": _count_categories(residents.category_of(who) for who in active),
        "proposals": sum(proposals["by_status"].values()),
        "supports": proposals["supports"],
        "projects": projects["launched"],
        "applications": applications["submitted"],
        "announcements": len(by_kind[FactKind.ANNOUNCEMENT_PUBLISHED]),
    }
    return {
        "tenant": tenant,
        "as_of": as_of.isoformat(),
        "timezone": str(zone),
        "active_window_days": ACTIVE_WINDOW.days,
        "months": months.keys,
        "totals": totals,
        "series": _series(months, residents, by_kind, messages, reactions, counted_reactions.values()),
        "funnel": funnel,
        "proposals": proposals,
        "projects": projects,
        "applications": applications,
        "first_reply": first_reply_by_channel(messages, departments, names),
        "channel_names": names,
        "category_roles": category_roles_view(facts),
    }


def _series(
    months: Months, residents: Residents, by_kind: dict[FactKind, list[Fact]], messages: list[Message],
    reactions: list[Toggle], counted_reactions: Iterable[Toggle],
) -> dict:
    """Every monthly series, on the shared axis."""
    def monthly(kind: FactKind) -> list[int]:
        return months.series(Counter(months.of(f.at) for f in by_kind[kind]))

    return {
        "residents_by_category": residents.by_month,
        **_resident_flows(residents, by_kind, months),
        "posts": months.series(Counter(months.of(m.posted_at) for m in messages)),
        "reactions": months.series(Counter(months.of(t.at) for t in counted_reactions)),
        "active_residents": months.series(_monthly_active(messages, reactions, months)),
        "proposals": monthly(FactKind.PROPOSAL_CREATED),
        "applications": monthly(FactKind.APPLICATION_SUBMITTED),
        "projects_launched": monthly(FactKind.PROJECT_LAUNCHED),
    }


def _by_kind(facts: list[Fact]) -> dict[FactKind, list[Fact]]:
    grouped: dict[FactKind, list[Fact]] = {kind: [] for kind in FactKind}
    for fact in facts:
        grouped[fact.kind].append(fact)
    return grouped


def _first_month(facts: list[Fact], months: Months) -> Counter:
    """People counted in the month of their first such fact."""
    first: dict[str, datetime] = {}
    for fact in facts:
        if fact.subject not in first or fact.at < first[fact.subject]:
            first[fact.subject] = fact.at
    return Counter(months.of(at) for at in first.values())


def _resident_flows(residents: Residents, by_kind: dict[FactKind, list[Fact]], months: Months) -> dict[str, list[int]]:
    joined = Counter(months.of(p.first_seen) for p in residents.people.values() if p.first_seen)
    left = Counter(month for _, month in {(f.subject, months.of(f.at)) for f in by_kind[FactKind.RESIDENT_LEFT]})
    return {
        "joined": months.series(joined),
        "onboarded": months.series(_first_month(by_kind[FactKind.RESIDENT_ONBOARDED], months)),
        "left": months.series(left),
        "moved_in": months.series(_first_month(by_kind[FactKind.RESIDENT_MOVED_IN], months)),
    }


def _monthly_active(messages: list[Message], reactions: list[Toggle], months: Months) -> Counter:
    pairs = {(months.of(m.posted_at), m.who) for m in messages}
    pairs |= {(months.of(r.at), r.who) for r in reactions if r.op is ToggleOp.ADD}
    return Counter(month for month, _ in pairs)


def _count_categories(categories) -> dict[str, int]:
    counts = Counter(categories)
    return {c: counts.get(c, 0) for c in CATEGORIES}


# How far along a status is: the furthest evidence wins, whatever order it arrived in.
_PROGRESS = {
    ProposalStatus.OPEN: 0, ProposalStatus.UNDER_REVIEW: 1, ProposalStatus.ACCEPTED: 2,
    ProposalStatus.DECLINED: 2, ProposalStatus.LAUNCHED: 3, ProposalStatus.COMPLETED: 4,
}


def proposal_statuses(facts: list[Fact]) -> dict[str, str]:
    """Each proposal's status from all evidence: creation, status changes, answers, its project."""
    evidence: list[tuple[str, ProposalStatus, datetime]] = []
    launched: dict[str, str] = {}
    for fact in facts:
        if fact.kind is FactKind.PROPOSAL_CREATED:
            evidence.append((fact.subject, ProposalStatus.OPEN, fact.at))
        elif fact.kind in (FactKind.PROPOSAL_STATUS_CHANGED, FactKind.PROPOSAL_ANSWERED):
            evidence.append((fact.proposal_id, ProposalStatus(fact.decision), fact.at))
        elif fact.kind is FactKind.PROJECT_LAUNCHED:
            launched[fact.subject] = fact.proposal_id
            evidence.append((fact.proposal_id, ProposalStatus.LAUNCHED, fact.at))
    for fact in facts:
        if fact.kind is FactKind.PROJECT_COMPLETED and fact.subject in launched:
            evidence.append((launched[fact.subject], ProposalStatus.COMPLETED, fact.at))
    best: dict[str, tuple[int, datetime, ProposalStatus]] = {}
    for proposal_id, status, at in evidence:
        candidate = (_PROGRESS[status], at, status)  # same progress (accepted/declined): the later wins
        if proposal_id not in best or candidate[:2] > best[proposal_id][:2]:
            best[proposal_id] = candidate
    return {pid: status.value for pid, (_, _, status) in best.items()}


def proposals_view(facts: list[Fact], supports: list[Toggle]) -> dict:
    """Proposals by status and supports, with the most supported first."""
    status = proposal_statuses(facts)
    about: dict[str, Fact] = {}
    for fact in facts:  # the creation names a proposal; a status change does when it came first
        if fact.kind is FactKind.PROPOSAL_CREATED or (fact.kind is FactKind.PROPOSAL_STATUS_CHANGED and fact.subject not in about):
            about[fact.subject] = fact
    supporters = Counter(target for target, _ in live_toggles(supports))
    by_status = Counter(status.values())
    top = sorted(status, key=lambda pid: (-supporters[pid], pid))[:TOP_PROPOSALS]
    return {
        "by_status": {s.value: by_status.get(s.value, 0) for s in ProposalStatus},
        "supports": sum(supporters[pid] for pid in status),
        "top": [
            {
                "proposal_id": pid,
                "title": about[pid].title if pid in about else None,
                "department": about[pid].department if pid in about else None,
                "status": status[pid],
                "supports": supporters[pid],
            }
            for pid in top
        ],
    }


def projects_view(facts: list[Fact]) -> dict:
    """Projects launched, completed and still running, the most recent first, with their progress updates."""
    launched = {f.subject: f for f in facts if f.kind is FactKind.PROJECT_LAUNCHED}
    completed = {f.subject for f in facts if f.kind is FactKind.PROJECT_COMPLETED} & launched.keys()
    updates = Counter(f.subject for f in facts if f.kind is FactKind.PROJECT_PROGRESS_REPORTED)
    recent = sorted(launched.values(), key=lambda f: f.at, reverse=True)[:RECENT_PROJECTS]
    return {
        "launched": len(launched),
        "completed": len(completed),
        "active": len(launched) - len(completed),
        "recent": [
            {
                "project_id": f.subject,
                "name": f.title,
                "proposal_id": f.proposal_id,
                "status": "completed" if f.subject in completed else "active",
                "updates": updates[f.subject],
                "launched_at": f.at.isoformat(),
            }
            for f in recent
        ],
    }


_CATEGORY_ROLES = {c.value for c in Category}


def applications_view(facts: list[Fact]) -> dict:
    """Applications for office roles, and office roles granted and revoked (category roles,
    which residents declare themselves, are in `category_roles_view`)."""
    return {
        "submitted": sum(f.kind is FactKind.APPLICATION_SUBMITTED for f in facts),
        "rejected": sum(f.kind is FactKind.APPLICATION_REJECTED for f in facts),
        "granted_by_role": _roles(facts, FactKind.ROLE_GRANTED, office=True),
        "revoked_by_role": _roles(facts, FactKind.ROLE_REVOKED, office=True),
    }


def category_roles_view(facts: list[Fact]) -> dict:
    """Category roles (citizen, prospective migrant, remote citizen) granted and revoked."""
    return {
        "granted_by_category": _roles(facts, FactKind.ROLE_GRANTED, office=False),
        "revoked_by_category": _roles(facts, FactKind.ROLE_REVOKED, office=False),
    }


def _roles(facts: list[Fact], kind: FactKind, *, office: bool) -> dict[str, int]:
    return dict(Counter(f.role for f in facts if f.kind is kind and (f.role not in _CATEGORY_ROLES) is office))


def channel_names(by_kind: dict[FactKind, list[Fact]]) -> dict[str, str]:
    """Channel id → name, where an event said it: a created project channel, else its project's name."""
    names = {f.channel_id: f.title for f in by_kind[FactKind.PROJECT_LAUNCHED] if f.channel_id and f.title}
    names.update({f.channel_id: f.title for f in by_kind[FactKind.CHANNEL_NAMED] if f.channel_id and f.title})
    return names
