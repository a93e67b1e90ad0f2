"""What the demo city's people said through forms and city systems, as bus events.

Ids derive from the tenant and the person or item, so running the demo again publishes the
same ids (the import ledger and every consumer's de-duplication collapse them). Times are
the original ones, so read models bucket them into the right months.
"""

from __future__ import annotations

from datetime import UTC, datetime

from shared import topics
from shared.envelope import CloudEvent, derive_id, new_event
from shared.events import (
    ProposalSubmitted,
    ResidentMovedIn,
    ResidentProfileSubmitted,
    RoleApplicationSubmitted,
)
from services.demo.models import DemoCity

SOURCE = "oco/demo"
SUPPORT_TOPIC = "proposal.support_requested"


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _event(city: DemoCity, topic: topics.Topic, key: str, label: str, subject: str, data, when: float) -> CloudEvent:
    return new_event(id=derive_id(f"demo:{city.tenant}:{key}", label), type=topic.name, subject=subject,
                     tenant=city.tenant, data=data, source=SOURCE, time=_at(when))


def city_events(city: DemoCity) -> list[CloudEvent]:
    """Profiles, employee applications, proposals and move-ins, in time order."""
    events = []
    for r in city.residents:
        if r.profile_at is None:
            continue
        data = ResidentProfileSubmitted(user_id=r.user_id, category=r.category, display_name=r.display_name,
                                        language=r.language, relation=r.relation, interests=r.interests, consent=True)
        events.append(_event(city, topics.RESIDENT_PROFILE_SUBMITTED, r.user_id, "profile", r.user_id, data, r.profile_at))
    for a in city.applications:
        data = RoleApplicationSubmitted(user_id=a.user_id, motivation=a.motivation, skills=a.skills,
                                        hours_per_month=a.hours_per_month)
        events.append(_event(city, topics.ROLE_APPLICATION_SUBMITTED, a.user_id, "application/employee", a.user_id, data, a.at))
    for p in city.proposals:
        events.append(proposal_submitted(city, p.index))
    for user_id, when, category in city.moved_in:
        data = ResidentMovedIn(user_id=user_id, moved_in_on=_at(when), from_category=category)
        events.append(_event(city, topics.RESIDENT_MOVED_IN, user_id, "moved_in", user_id, data, when))
    return sorted(events, key=lambda e: e.time)


def proposal_submitted(city: DemoCity, index: int) -> CloudEvent:
    p = next(p for p in city.proposals if p.index == index)
    data = ProposalSubmitted(user_id=p.user_id, title=p.title, problem=p.problem, idea=p.idea, department=p.department)
    return _event(city, topics.PROPOSAL_SUBMITTED, f"proposal/{p.index}", "submitted", p.user_id, data, p.at)


def proposal_id(city: DemoCity, index: int) -> str:
    """The id the projects service gives the proposal: derived from the submitted event's id."""
    return derive_id(proposal_submitted(city, index).id, "proposal")


def support_events(city: DemoCity) -> list[CloudEvent]:
    """One support request per (proposal, supporter), when the catalogue has that topic."""
    topic = topics.CATALOGUE.get(SUPPORT_TOPIC)
    if topic is None:
        return []
    events = []
    for p in city.proposals:
        pid = proposal_id(city, p.index)
        for user_id, when in p.supporters:
            data = topic.model(proposal_id=pid, user_id=user_id)
            events.append(_event(city, topic, f"proposal/{p.index}/{user_id}", "support", pid, data, when))
    return sorted(events, key=lambda e: e.time)
