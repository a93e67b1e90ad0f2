"""Hostile requests to the services' small read endpoints: 400, never a 500."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from services.projects import api
from services.projects.memory_store import InMemoryProjectsStore

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("limit", ["%C2%B2", "9" * 5000, "%D9%A1%D9%A2", "1e2", "-1"])
async def test_a_proposals_limit_that_is_no_small_whole_number_is_a_400(limit):
    app = Starlette(routes=api.routes(InMemoryProjectsStore()))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://projects") as http:
        response = await http.get(f"/proposals/T1?limit={limit}")
    assert response.status_code == 400
