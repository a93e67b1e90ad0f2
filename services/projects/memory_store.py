"""The in-memory fake of the projects store, for unit tests of one handler's logic."""

from __future__ import annotations

from shared.events import ProposalStatus
from services.projects.models import (
    ChiefChange,
    Project,
    Proposal,
    Stage,
    Support,
    Transition,
    proposal_key,
    support_key,
    transition_key,
)
from services.projects.store import _apply_markers


class InMemoryProjectsStore:
    def __init__(self) -> None:
        self.proposals: dict[str, Proposal] = {}
        self.posts: dict[str, str] = {}
        self.transitions: dict[str, Transition] = {}
        self.supports: dict[str, Support] = {}
        self.chiefs: dict[str, ChiefChange] = {}
        self.projects: dict[str, Project] = {}

    async def create_proposal(self, proposal: Proposal) -> bool:
        if proposal.key in self.proposals:
            return False
        self.proposals[proposal.key] = proposal.model_copy(deep=True)
        return True

    def _markers(self, tenant: str, proposal_id: str) -> list[Transition]:
        return [m for m in self.transitions.values() if m.tenant == tenant and m.proposal_id == proposal_id]

    async def get_proposal(self, tenant: str, proposal_id: str) -> Proposal | None:
        found = self.proposals.get(proposal_key(tenant, proposal_id))
        if found is None:
            return None
        return _apply_markers(found.model_copy(deep=True), self._markers(tenant, proposal_id))

    async def list_proposals(self, tenant: str, status: ProposalStatus | None, limit: int) -> list[Proposal]:
        found = [await self.get_proposal(tenant, p.proposal_id) for p in self.proposals.values() if p.tenant == tenant]
        found.sort(key=lambda p: p.created_at)
        return [p for p in found if status is None or p.status is status][:limit]

    async def record_post(self, proposal: Proposal) -> None:
        self.posts.setdefault(f"{proposal.tenant}:{proposal.post_channel_id}:{proposal.post_ts}", proposal.proposal_id)
        stored = self.proposals[proposal.key]
        for field in ("title", "post_channel_id", "post_ts", "post_permalink", "source_permalink"):
            setattr(stored, field, getattr(proposal, field))

    async def proposal_at_post(self, tenant: str, channel_id: str, ts: str) -> str | None:
        return self.posts.get(f"{tenant}:{channel_id}:{ts}")

    async def proposals_at_posts(self, keys) -> dict[str, str]:
        return {key: self.posts[key] for key in keys if key in self.posts}

    async def transition(self, tenant: str, proposal_id: str, stage: Stage) -> Transition | None:
        return self.transitions.get(transition_key(tenant, proposal_id, stage))

    async def claim(self, marker: Transition) -> Transition:
        return self.transitions.setdefault(marker.key, marker)

    async def cache_status(self, tenant: str, proposal_id: str, status: ProposalStatus) -> None:
        self.proposals[proposal_key(tenant, proposal_id)].status = status

    async def support(self, tenant: str, proposal_id: str, user_id: str) -> Support | None:
        found = self.supports.get(support_key(tenant, proposal_id, user_id))
        return found.model_copy() if found else None

    async def add_support(self, support: Support) -> bool:
        if support.key in self.supports:
            return False
        self.supports[support.key] = support.model_copy()
        return True

    async def save_support(self, support: Support) -> None:
        self.supports[support.key] = support.model_copy()

    def _active(self, tenant: str, proposal_id: str) -> list[Support]:
        return [s for s in self.supports.values() if s.tenant == tenant and s.proposal_id == proposal_id and s.active]

    async def count_supports(self, tenant: str, proposal_id: str) -> int:
        return len(self._active(tenant, proposal_id))

    async def count_supports_of(self, tenant: str, proposal_ids: list[str]) -> dict[str, int]:
        return {pid: len(self._active(tenant, pid)) for pid in proposal_ids}

    async def supporters(self, tenant: str, proposal_id: str) -> list[str]:
        return sorted(s.user_id for s in self._active(tenant, proposal_id))

    async def record_chief_change(self, change: ChiefChange) -> None:
        self.chiefs.setdefault(f"{change.tenant}:{change.event_id}", change)

    async def chief_changes(self, tenant: str, user_id: str | None = None) -> list[ChiefChange]:
        return [c for c in self.chiefs.values() if c.tenant == tenant and (user_id is None or c.user_id == user_id)]

    async def create_project(self, project: Project) -> bool:
        if project.key in self.projects:
            return False
        self.projects[project.key] = project.model_copy(deep=True)
        return True

    async def get_project(self, tenant: str, project_id: str) -> Project | None:
        found = self.projects.get(f"{tenant}:{project_id}")
        return found.model_copy(deep=True) if found else None

    async def project_in_channel(self, tenant: str, channel_id: str) -> Project | None:
        for project in self.projects.values():
            if project.tenant == tenant and project.channel_id == channel_id:
                return project.model_copy(deep=True)
        return None

    async def save_project(self, project: Project) -> None:
        self.projects[project.key] = project.model_copy(deep=True)
