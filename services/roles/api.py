"""A small read-only HTTP endpoint for the gateway's `/oco roles @someone`.

The gateway keeps no state and may not read this service's database, so it asks here:
`GET /roles/{tenant}/{user}` answers the person's active grants. It is meant for the
internal network only (like `/metrics`); it shows nothing a workspace member can't see.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.roles.config import RolesSettings
from services.roles.store import RoleStore

_SLACK_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def routes(store: RoleStore, settings: RolesSettings) -> list[Route]:
    async def roles_of(request: Request) -> Response:
        tenant, user_id = request.path_params["tenant"], request.path_params["user"]
        if not (_SLACK_ID.match(tenant) and _SLACK_ID.match(user_id)):
            return JSONResponse({"error": "tenant and user must be Slack ids"}, status_code=400)
        grants = await store.active_grants(tenant, user_id)
        roles = [
            {
                "role": g.role,
                "department": g.department,
                "granted_by": g.granted_by,
                "granted_at": g.granted_at.isoformat(),
                "term_ends_at": g.term_ends_at.isoformat() if g.term_ends_at else None,
            }
            for g in grants
        ]
        if user_id in settings.admins and not any(g.role == "admin" for g in grants):
            roles.append({"role": "admin", "department": None, "granted_by": None, "granted_at": None,
                          "term_ends_at": None, "by_configuration": True})
        return JSONResponse({"tenant": tenant, "user_id": user_id, "roles": roles})

    return [Route("/roles/{tenant}/{user}", roles_of, methods=["GET"])]
