"""The dashboard's HTTP side: the page, its JSON API and the AsyncAPI document."""

from __future__ import annotations

import html
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from shared.asyncapi import build_document
from shared.departments import Department
from services.dashboard.community import community_view, load_community
from services.dashboard.flow import FlowMonitor, dead_letter_view
from services.dashboard.store import ReadModel

WEB = Path(__file__).resolve().parent / "web"


class CommunityCache:
    """Reuses a computed view for a few seconds: a tenant's page asks often, the numbers move slowly."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[tuple[str, str | None], tuple[float, dict]] = {}

    def get(self, key: tuple[str, str | None]) -> dict | None:
        entry = self._entries.get(key)
        if entry and time.monotonic() - entry[0] < self.seconds:
            return entry[1]
        return None

    def put(self, key: tuple[str, str | None], view: dict) -> None:
        if self.seconds > 0:
            now = time.monotonic()
            # Keys come from the query (`as_of`): drop expired views, or every distinct
            # `as_of` ever asked for would stay in memory.
            self._entries = {k: e for k, e in self._entries.items() if now - e[0] < self.seconds}
            self._entries[key] = (now, view)


class _BadRequest(ValueError):
    pass


def _as_of(raw: str | None) -> datetime:
    if not raw:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise _BadRequest("as_of must be an ISO 8601 time, e.g. 2024-06-30T00:00:00Z") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def dashboard_routes(
    *, store: ReadModel, monitor: FlowMonitor, zone: ZoneInfo, departments: list[Department], cache: CommunityCache
) -> list:
    """Routes of the page, `/api/community`, `/api/services` and the AsyncAPI document."""
    asyncapi = build_document()

    busiest = CommunityCache(cache.seconds)

    async def residents_by_tenant() -> dict:
        """Residents per tenant, reused like a view (it reads every tenant's joins and leaves)."""
        counts = busiest.get(("", "residents_by_tenant"))
        if counts is None:
            counts = await store.residents_by_tenant()
            busiest.put(("", "residents_by_tenant"), counts)
        return counts

    async def community(request: Request) -> Response:
        tenants = await store.tenants()
        tenants = by_residents(tenants, await residents_by_tenant()) if len(tenants) > 1 else tenants
        tenant = request.query_params.get("tenant") or (tenants[0] if tenants else None)
        if tenant is not None and tenant not in tenants:  # only known tenants reach a store filter
            return JSONResponse({"error": "unknown tenant"}, status_code=404)
        raw_as_of = request.query_params.get("as_of")
        try:
            as_of = _as_of(raw_as_of)
        except _BadRequest as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        view = cache.get((tenant or "", raw_as_of))
        if view is None:
            if tenant is None:
                view = community_view(tenant="", facts=[], messages=[], deleted=set(), reactions=[], supports=[],
                                      as_of=as_of, zone=zone, departments=departments) | {"tenant": None}
            else:
                view = await load_community(store, tenant=tenant, as_of=as_of, zone=zone, departments=departments)
            cache.put((tenant or "", raw_as_of), view)
        return JSONResponse({**view, "tenants": tenants})

    async def services(_: Request) -> Response:
        """{"sampled_at", "services": [{"name", "url", "healthy", "ready", "checks", "error",
        "totals": {"consumed", "published", "dead_lettered"} | null, "per_minute": {same keys: n | null}}],
        "consumer_lag": [{"group", "service", "lag", "by_topic": {topic: n}}], "consumer_lag_error",
        "dead_letters": [{"topic", "count", "by_group": {group: n}, "latest": [{"reason", "error", "group",
        "failed_at", "tenant", "event_id"}]}]}"""
        snapshot = await monitor.latest()
        return JSONResponse({**snapshot, "dead_letters": await dead_letter_view(store)})

    async def page(_: Request) -> Response:
        return FileResponse(WEB / "index.html", media_type="text/html; charset=utf-8")

    async def asyncapi_json(_: Request) -> Response:
        return JSONResponse(asyncapi)

    async def asyncapi_page(_: Request) -> Response:
        return HTMLResponse(render_asyncapi_page(asyncapi))

    return [
        Route("/", page),
        Route("/api/community", community),
        Route("/api/services", services),
        Route("/asyncapi.json", asyncapi_json),
        Route("/asyncapi", asyncapi_page),
        Mount("/static", app=StaticFiles(directory=WEB), name="static"),
    ]


def by_residents(tenants: list[str], residents: dict[str, int]) -> list[str]:
    """Cities with the most residents first (ties by id): the first is shown when no `?tenant=`
    is asked for, so the leftovers of test runs sharing the broker never hide the real city."""
    return sorted(tenants, key=lambda t: (-residents.get(t, 0), t))


def render_asyncapi_page(document: dict) -> str:
    """A readable page of the channels and their message schemas, with no scripts from elsewhere."""
    messages = document["components"]["messages"]
    rows = []
    for name, channel in document["channels"].items():
        ref = next(iter(channel["messages"].values()))["$ref"].rsplit("/", 1)[-1]
        message = messages[ref]
        rows.append(
            f"<section><h2 id='{html.escape(name)}'>{html.escape(name)}</h2>"
            f"<p>{html.escape(channel.get('description', ''))}</p>"
            f"<details><summary>message {html.escape(message['name'])}</summary>"
            f"<pre>{html.escape(json.dumps(message, indent=2, ensure_ascii=False))}</pre></details></section>"
        )
    info = document["info"]
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(info['title'])}</title><link rel='stylesheet' href='/static/dashboard.css'></head>"
        f"<body><main><h1>{html.escape(info['title'])} <small>AsyncAPI {html.escape(document['asyncapi'])}"
        f" · v{html.escape(info['version'])}</small></h1><p><a href='/asyncapi.json'>asyncapi.json</a> · "
        f"<a href='/'>dashboard</a></p><pre class='about'>{html.escape(info['description'])}</pre>"
        f"{''.join(rows)}</main></body></html>"
    )
