"""The projects service's read-only HTTP endpoints, for the gateway (which can't read this DB).

- `GET /proposals/{tenant}?status=open&limit=50` → `{"tenant", "status", "proposals": [...]}`,
  each proposal `{proposal_id, title, department, status, supports, author_id, created_at,
  post_channel_id, post_ts, post_permalink}`, most supported first. `status` is one of the
  proposal statuses or `all` (default `open`); `limit` 1–200 (default 50).
- `GET /proposals/{tenant}/{proposal_id}` → one proposal with its answer and supporters, or 404.

Only validated path and query values reach a store filter.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shared.events import ProposalStatus
from services.projects.models import Proposal
from services.projects.store import ProjectsStore

_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")


def _summary(proposal: Proposal, supports: int) -> dict:
    return {
        "proposal_id": proposal.proposal_id, "title": proposal.title, "department": proposal.department,
        "status": proposal.status.value, "supports": supports, "author_id": proposal.author_id,
        "created_at": proposal.created_at.isoformat(), "post_channel_id": proposal.post_channel_id,
        "post_ts": proposal.post_ts, "post_permalink": proposal.post_permalink,
    }


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400)


def routes(store: ProjectsStore) -> list[Route]:
    """The endpoints above, reading from `store`."""

    async def list_proposals(request: Request) -> JSONResponse:
        tenant = request.path_params["tenant"]
        wanted = request.query_params.get("status", ProposalStatus.OPEN.value)
        raw_limit = request.query_params.get("limit", "50")
        if not _ID.match(tenant):
            return _bad("invalid tenant")
        if wanted != "all" and wanted not in {s.value for s in ProposalStatus}:
            return _bad(f"unknown status {wanted!r}")
        # ASCII digits, and few: "²" passes isdigit() but not int(), 5,000 digits not int() either.
        if not (raw_limit.isascii() and raw_limit.isdigit() and len(raw_limit) <= 3) or not 1 <= int(raw_limit) <= 200:
            return _bad("limit must be 1-200")
        status = None if wanted == "all" else ProposalStatus(wanted)
        proposals = await store.list_proposals(tenant, status, int(raw_limit))
        counts = await store.count_supports_of(tenant, [p.proposal_id for p in proposals])
        listed = sorted((_summary(p, counts.get(p.proposal_id, 0)) for p in proposals),
                        key=lambda item: (-item["supports"], item["created_at"]))
        return JSONResponse({"tenant": tenant, "status": wanted, "proposals": listed})

    async def one_proposal(request: Request) -> JSONResponse:
        tenant, proposal_id = request.path_params["tenant"], request.path_params["proposal_id"]
        if not (_ID.match(tenant) and _ID.match(proposal_id)):
            return _bad("invalid tenant or proposal id")
        proposal = await store.get_proposal(tenant, proposal_id)
        if proposal is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        supporters = await store.supporters(tenant, proposal_id)
        body = _summary(proposal, len(supporters)) | {
            "problem": proposal.problem, "idea": proposal.idea, "answer": proposal.answer,
            "answered_by": proposal.answered_by, "supporter_ids": supporters, "project_id": proposal.project_id,
            "source_channel_id": proposal.source_channel_id, "source_ts": proposal.source_ts,
        }
        return JSONResponse(body)

    return [
        Route("/proposals/{tenant}", list_proposals),
        Route("/proposals/{tenant}/{proposal_id}", one_proposal),
    ]
