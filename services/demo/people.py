"""The demo city's people and what they did outside the channels: profiles, applications,
proposals and supports, and moving in."""

from __future__ import annotations

import random

from services.demo import content
from services.demo.models import DemoApplication, DemoCity, DemoProposal, DemoResident

CATEGORIES = ["citizen", "prospective_migrant", "remote_citizen"]
DEPARTMENT_KEYS = ["moving", "childcare", "photos", "ideas", "places"]
# Share of the year's joins per month: a launch spike, then a steady trickle.
JOINS_BY_MONTH = [30, 12, 9, 8, 7, 6, 6, 5, 5, 4, 4, 4]
FAVOURITE = {"citizen": "places", "prospective_migrant": "moving", "remote_citizen": "photos"}
PROFILE_SHARE = 0.9
DEACTIVATED_SHARE = 0.015
APPLICATIONS = 52
PROPOSALS = 36
MOVED_IN_SHARE = 0.05
DAY = 86400.0


def make_residents(rng: random.Random, *, count: int, start: float, end: float) -> list[DemoResident]:
    """`count` residents sorted by join time; categories split in exact thirds."""
    categories = [CATEGORIES[i % 3] for i in range(count)]
    rng.shuffle(categories)
    month = (end - start) / 12
    joins = sorted(start + rng.choices(range(12), JOINS_BY_MONTH)[0] * month + rng.uniform(0, month) for _ in range(count))
    ids: set[str] = set()
    residents = []
    for index, (category, joined_at) in enumerate(zip(categories, joins)):
        user_id = _unique_id(rng, ids)
        language = "en" if rng.random() < (0.2 if category == "remote_citizen" else 0.05) else "ja"
        real, display = _name(rng, language)
        interests = _interests(rng, category)
        resident = DemoResident(
            user_id=user_id, name=f"resident{index + 1}", real_name=real, display_name=display, category=category,
            interests=interests, language=language, joined_at=joined_at, activity=rng.paretovariate(1.3),
            deactivated=index > 50 and rng.random() < DEACTIVATED_SHARE,
        )
        if not resident.deactivated and rng.random() < PROFILE_SHARE:
            resident.profile_at = min(joined_at + rng.uniform(300, 4 * 3600), end - 1)
            place = rng.choice(content.PLACES)
            resident.relation = rng.choice(content.RELATIONS[category]).format(city=content.CITY, place=place)
        residents.append(resident)
    return residents


def plan_city_activity(rng: random.Random, city: DemoCity) -> None:
    """Applications in the first three weeks, proposals with supports, and people moving in."""
    onboarded = [r for r in city.residents if r.profile_at is not None]
    start, end = city.start.timestamp(), city.end.timestamp()
    early = [r for r in onboarded if r.profile_at < start + 20 * DAY]
    for r in rng.sample(early, min(APPLICATIONS, len(early))):
        at = rng.uniform(r.profile_at, start + 21 * DAY)
        city.applications.append(DemoApplication(
            user_id=r.user_id, at=at, hours_per_month=rng.choice([4, 8, 10, 16, 20, 30]), skills=rng.choice(content.SKILLS),
            motivation=rng.choice(content.MOTIVATIONS).format(city=content.CITY),
        ))
    city.applications.sort(key=lambda a: a.at)
    for index in range(PROPOSALS):
        title, problem, idea, department = content.PROPOSALS[index % len(content.PROPOSALS)]
        if index >= len(content.PROPOSALS):
            title = f"{title}（{content.PLACES[index % len(content.PLACES)]}）"
        author = rng.choice(onboarded)
        at = rng.uniform(max(author.profile_at, start + 14 * DAY), end - 30 * DAY)
        proposal = DemoProposal(index=index, user_id=author.user_id, title=title, problem=problem, idea=idea,
                                department=department, at=at)
        _supporters(rng, proposal, onboarded, end)
        city.proposals.append(proposal)
    city.proposals.sort(key=lambda p: p.at)
    for r in onboarded:
        share = MOVED_IN_SHARE if r.category == "prospective_migrant" else 0.005 if r.category == "remote_citizen" else 0
        if rng.random() < share:
            when = r.profile_at + rng.uniform(60, 300) * DAY
            if when < end:
                city.moved_in.append((r.user_id, when, r.category))


def _supporters(rng: random.Random, proposal: DemoProposal, onboarded: list[DemoResident], end: float) -> None:
    """A few proposals gather many supports; most gather some."""
    wanted = min(int(rng.paretovariate(1.1) * 2) - 1, 40)
    candidates = [r for r in onboarded if r.user_id != proposal.user_id and r.profile_at < end - DAY]
    for r in rng.sample(candidates, max(0, min(wanted, len(candidates)))):
        when = max(proposal.at, r.profile_at) + rng.uniform(600, 10 * DAY)
        proposal.supporters.append((r.user_id, min(when, end - 1)))
    proposal.supporters.sort(key=lambda s: s[1])


def _unique_id(rng: random.Random, taken: set[str]) -> str:
    while True:
        user_id = f"U{rng.getrandbits(40):010X}"
        if user_id not in taken:
            taken.add(user_id)
            return user_id


def _name(rng: random.Random, language: str) -> tuple[str, str]:
    if language == "en":
        name = rng.choice(content.FOREIGN_NAMES)
        return name, name.split()[0]
    family, given = rng.choice(content.FAMILY_NAMES), rng.choice(content.GIVEN_NAMES)
    real = f"{family[0]} {given[0]}"
    return real, rng.choice([real, given[0], f"{given[1].lower()}_{family[1].lower()}"])


def _interests(rng: random.Random, category: str) -> list[str]:
    chosen = {FAVOURITE[category]} if rng.random() < 0.6 else set()
    chosen.update(rng.sample(DEPARTMENT_KEYS, rng.randint(1, 2)))
    return sorted(chosen)
