"""Where proposals, supports, markers, projects and the chiefs replica are kept.

The interface, its MongoDB adapter (runs on FerretDB too) and an in-memory fake. Every
decision that must hold under concurrency is an insert under a unique `_id`: one support
per (proposal, resident), one marker per (proposal, stage), one replica entry per event.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection
from typing import Protocol

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from shared.events import ProposalStatus
from shared.store import insert_once
from services.projects.models import (
    RANK,
    ChiefChange,
    Project,
    Proposal,
    Stage,
    Support,
    Transition,
    proposal_key,
    status_from,
    support_key,
    transition_key,
)

INDEXES = {
    "proposals": [IndexModel([("tenant", ASCENDING), ("status", ASCENDING), ("created_at", ASCENDING)])],
    "transitions": [IndexModel([("tenant", ASCENDING), ("proposal_id", ASCENDING)])],
    "supports": [IndexModel([("tenant", ASCENDING), ("proposal_id", ASCENDING), ("active", ASCENDING)])],
    "chief_changes": [IndexModel([("tenant", ASCENDING), ("user_id", ASCENDING)])],
    "projects": [IndexModel([("tenant", ASCENDING), ("channel_id", ASCENDING)])],
    "handled_events": [],
}


class ProjectsStore(Protocol):
    async def create_proposal(self, proposal: Proposal) -> bool: ...
    async def get_proposal(self, tenant: str, proposal_id: str) -> Proposal | None: ...
    async def list_proposals(self, tenant: str, status: ProposalStatus | None, limit: int) -> list[Proposal]: ...
    async def record_post(self, proposal: Proposal) -> None: ...
    async def proposal_at_post(self, tenant: str, channel_id: str, ts: str) -> str | None: ...
    async def proposals_at_posts(self, keys: Collection[str]) -> dict[str, str]: ...
    async def transition(self, tenant: str, proposal_id: str, stage: Stage) -> Transition | None: ...
    async def claim(self, marker: Transition) -> Transition: ...
    async def cache_status(self, tenant: str, proposal_id: str, status: ProposalStatus) -> None: ...
    async def support(self, tenant: str, proposal_id: str, user_id: str) -> Support | None: ...
    async def add_support(self, support: Support) -> bool: ...
    async def save_support(self, support: Support) -> None: ...
    async def count_supports(self, tenant: str, proposal_id: str) -> int: ...
    async def count_supports_of(self, tenant: str, proposal_ids: list[str]) -> dict[str, int]: ...
    async def supporters(self, tenant: str, proposal_id: str) -> list[str]: ...
    async def record_chief_change(self, change: ChiefChange) -> None: ...
    async def chief_changes(self, tenant: str, user_id: str | None = None) -> list[ChiefChange]: ...
    async def create_project(self, project: Project) -> bool: ...
    async def get_project(self, tenant: str, project_id: str) -> Project | None: ...
    async def project_in_channel(self, tenant: str, channel_id: str) -> Project | None: ...
    async def save_project(self, project: Project) -> None: ...


def _apply_markers(proposal: Proposal, markers: list[Transition]) -> Proposal:
    """The proposal with its status and answer as the markers tell them."""
    proposal.status = status_from(markers)
    for marker in markers:
        if marker.stage is Stage.ANSWER:
            proposal.answered_by, proposal.answer = marker.by, marker.answer
    return proposal


def _doc(model, key: str) -> dict:
    return {"_id": key, **model.model_dump(mode="python")}


def post_key(tenant: str, channel_id: str, ts: str) -> str:
    """The id of a proposal's post: the Slack message a 👍 on it names."""
    return f"{tenant}:{channel_id}:{ts}"


# Posts remembered in memory (a few MB at most): 👍 land mostly on recent proposals' posts.
KNOWN_POSTS = 10_000


class MongoProjectsStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self.proposals = db["proposals"]
        self.posts = db["proposal_posts"]
        self.transitions = db["transitions"]
        self.supports = db["supports"]
        self.chiefs = db["chief_changes"]
        self.projects = db["projects"]
        # Post → proposal, for posts read or recorded here. Only what the store holds, so it is
        # never wrong; what it lacks (another instance's posts) is read from the store.
        self._known_posts: OrderedDict[str, str] = OrderedDict()

    async def create_proposal(self, proposal: Proposal) -> bool:
        return await insert_once(self.proposals, _doc(proposal, proposal.key))

    async def get_proposal(self, tenant: str, proposal_id: str) -> Proposal | None:
        doc = await self.proposals.find_one({"_id": proposal_key(tenant, proposal_id)})
        if doc is None:
            return None
        markers = await self.transitions.find({"tenant": tenant, "proposal_id": proposal_id}).to_list()
        return _apply_markers(Proposal.model_validate(doc), [Transition.model_validate(m) for m in markers])

    async def list_proposals(self, tenant: str, status: ProposalStatus | None, limit: int) -> list[Proposal]:
        # The cached status can lag behind the markers but never run ahead of them, so a
        # proposal truly in `status` has a cached rank at or below it; the markers then decide.
        query: dict = {"tenant": tenant}
        if status is not None:
            query["status"] = {"$in": [s.value for s, rank in RANK.items() if rank <= RANK[status]]}
        docs = await self.proposals.find(query).sort("created_at", ASCENDING).to_list(length=max(limit * 4, 200))
        ids = [d["proposal_id"] for d in docs]
        markers: dict[str, list[Transition]] = {}
        async for m in self.transitions.find({"tenant": tenant, "proposal_id": {"$in": ids}}):
            markers.setdefault(m["proposal_id"], []).append(Transition.model_validate(m))
        found = [_apply_markers(Proposal.model_validate(d), markers.get(d["proposal_id"], [])) for d in docs]
        return [p for p in found if status is None or p.status is status][:limit]

    async def record_post(self, proposal: Proposal) -> None:
        key = post_key(proposal.tenant, proposal.post_channel_id, proposal.post_ts)
        if await insert_once(self.posts, {"_id": key, "proposal_id": proposal.proposal_id}):
            self._remember_post(key, proposal.proposal_id)
        fields = ("title", "post_channel_id", "post_ts", "post_permalink", "source_permalink")
        await self.proposals.update_one({"_id": proposal.key}, {"$set": {f: getattr(proposal, f) for f in fields}})

    async def proposal_at_post(self, tenant: str, channel_id: str, ts: str) -> str | None:
        key = post_key(tenant, channel_id, ts)
        return (await self.proposals_at_posts([key])).get(key)

    async def proposals_at_posts(self, keys: Collection[str]) -> dict[str, str]:
        """The proposals posted at `keys` (see `post_key`): remembered ones, the rest in one query.

        On the local store every lookup but one by a single `_id` scans the collection, so a
        batch of 👍 asks once.
        """
        found = {key: self._known_posts[key] for key in keys if key in self._known_posts}
        unknown = list({key for key in keys if key not in found})
        if len(unknown) == 1:  # an equality on `_id` is cheaper than `$in` on FerretDB
            cursor = self.posts.find({"_id": unknown[0]})
        elif unknown:
            cursor = self.posts.find({"_id": {"$in": unknown}})
        else:
            return found
        async for doc in cursor:
            self._remember_post(doc["_id"], doc["proposal_id"])
            found[doc["_id"]] = doc["proposal_id"]
        return found

    def _remember_post(self, key: str, proposal_id: str) -> None:
        self._known_posts[key] = proposal_id
        self._known_posts.move_to_end(key)
        if len(self._known_posts) > KNOWN_POSTS:
            self._known_posts.popitem(last=False)

    async def transition(self, tenant: str, proposal_id: str, stage: Stage) -> Transition | None:
        doc = await self.transitions.find_one({"_id": transition_key(tenant, proposal_id, stage)})
        return Transition.model_validate(doc) if doc else None

    async def claim(self, marker: Transition) -> Transition:
        if await insert_once(self.transitions, _doc(marker, marker.key)):
            return marker
        return Transition.model_validate(await self.transitions.find_one({"_id": marker.key}))

    async def cache_status(self, tenant: str, proposal_id: str, status: ProposalStatus) -> None:
        await self.proposals.update_one({"_id": proposal_key(tenant, proposal_id)}, {"$set": {"status": status.value}})

    async def support(self, tenant: str, proposal_id: str, user_id: str) -> Support | None:
        doc = await self.supports.find_one({"_id": support_key(tenant, proposal_id, user_id)})
        return Support.model_validate(doc) if doc else None

    async def add_support(self, support: Support) -> bool:
        return await insert_once(self.supports, _doc(support, support.key))

    async def save_support(self, support: Support) -> None:
        await self.supports.replace_one({"_id": support.key}, _doc(support, support.key), upsert=True)

    async def count_supports(self, tenant: str, proposal_id: str) -> int:
        return await self.supports.count_documents({"tenant": tenant, "proposal_id": proposal_id, "active": True})

    async def count_supports_of(self, tenant: str, proposal_ids: list[str]) -> dict[str, int]:
        pipeline = [
            {"$match": {"tenant": tenant, "proposal_id": {"$in": proposal_ids}, "active": True}},
            {"$group": {"_id": "$proposal_id", "n": {"$sum": 1}}},
        ]
        counts = {pid: 0 for pid in proposal_ids}
        async for row in await self.supports.aggregate(pipeline):
            counts[row["_id"]] = row["n"]
        return counts

    async def supporters(self, tenant: str, proposal_id: str) -> list[str]:
        cursor = self.supports.find({"tenant": tenant, "proposal_id": proposal_id, "active": True})
        return sorted([d["user_id"] async for d in cursor])

    async def record_chief_change(self, change: ChiefChange) -> None:
        await insert_once(self.chiefs, _doc(change, f"{change.tenant}:{change.event_id}"))

    async def chief_changes(self, tenant: str, user_id: str | None = None) -> list[ChiefChange]:
        query = {"tenant": tenant} | ({"user_id": user_id} if user_id else {})
        return [ChiefChange.model_validate(d) async for d in self.chiefs.find(query)]

    async def create_project(self, project: Project) -> bool:
        return await insert_once(self.projects, _doc(project, project.key))

    async def get_project(self, tenant: str, project_id: str) -> Project | None:
        doc = await self.projects.find_one({"_id": f"{tenant}:{project_id}"})
        return Project.model_validate(doc) if doc else None

    async def project_in_channel(self, tenant: str, channel_id: str) -> Project | None:
        doc = await self.projects.find_one({"tenant": tenant, "channel_id": channel_id})
        return Project.model_validate(doc) if doc else None

    async def save_project(self, project: Project) -> None:
        await self.projects.replace_one({"_id": project.key}, _doc(project, project.key), upsert=True)
