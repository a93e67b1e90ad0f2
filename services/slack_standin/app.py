"""The stand-in's HTTP side: `/api/<method>` as Slack answers it, `/_standin/...` for control.

Slack's conventions kept here: GET query or POST form/JSON bodies; the token from
`Authorization: Bearer …` or the `token` form/query argument (never from a JSON body);
refusals are HTTP 200 with `{"ok": false, "error": …}`; rate limits are HTTP 429 with
`Retry-After`. Control endpoints take no token: bind the stand-in to loopback.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import web

from services.slack_standin.config import StandinSettings
from services.slack_standin.faults import Fault, FaultBook, FaultKind
from services.slack_standin.methods import METHODS
from services.slack_standin.world import Conversation, Identity, SlackError, World

STRUCTURED_ARGS = ("blocks", "attachments", "view", "metadata")


class Standin:
    """The stand-in's state: the workspace, the accepted tokens, pending faults, the call log."""

    def __init__(self, settings: StandinSettings) -> None:
        self.settings = settings
        self.tokens = {settings.token, *settings.extra_tokens}
        self.reset()

    def reset(self) -> None:
        """Forget every call, fault and everything the workspace gained."""
        identity = Identity(team_id=self.settings.team_id, team_name=self.settings.team_name)
        self.world = World(identity, strict=self.settings.strict)
        self.faults = FaultBook()
        self.calls: list[dict[str, Any]] = []

    def record(self, method: str, http_method: str, args: dict[str, Any], token_ok: bool) -> dict[str, Any]:
        call = {"seq": len(self.calls) + 1, "method": method, "http_method": http_method, "args": _readable(args),
                "token_ok": token_ok, "at": time.time(), "status": None, "ok": None, "error": None, "fault": None}
        self.calls.append(call)
        return call


STANDIN = web.AppKey("standin", Standin)


def _readable(args: dict[str, Any]) -> dict[str, Any]:
    """Arguments as recorded: structured ones decoded from JSON text when they are text."""
    shown = dict(args)
    for name in STRUCTURED_ARGS:
        if isinstance(shown.get(name), str):
            try:
                shown[name] = json.loads(shown[name])
            except ValueError:
                pass
    return shown


async def read_request(request: web.Request) -> tuple[dict[str, Any], str | None]:
    """The call's arguments and the token it carried (removed from the arguments)."""
    args: dict[str, Any] = dict(request.query)
    form_token = args.pop("token", None)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = json.loads(await request.read() or b"{}")
            except ValueError:
                raise SlackError("invalid_json") from None
            if not isinstance(body, dict):
                raise SlackError("json_not_object")
            body.pop("token", None)  # Slack ignores a token in a JSON body
            args.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
            form_token = args.pop("token", None) or form_token
        else:
            raise SlackError("invalid_post_type")
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else form_token
    return args, token or None


def slack_answer(call: dict[str, Any], body: dict[str, Any], *, status: int = 200,
                 headers: dict[str, str] | None = None) -> web.Response:
    call.update(status=status, ok=bool(body.get("ok")), error=body.get("error"))
    return web.json_response(body, status=status, headers=headers)


async def api(request: web.Request) -> web.Response:
    standin: Standin = request.app[STANDIN]
    name = request.match_info["method"]
    try:
        args, token = await read_request(request)
    except SlackError as exc:
        call = standin.record(name, request.method, {}, token_ok=False)
        return slack_answer(call, {"ok": False, "error": exc.code, **exc.extra})
    call = standin.record(name, request.method, args, token_ok=token in standin.tokens)
    if name not in METHODS:
        return slack_answer(call, {"ok": False, "error": "unknown_method", "req_method": name})
    if not token:
        return slack_answer(call, {"ok": False, "error": "not_authed"})
    if not call["token_ok"]:
        return slack_answer(call, {"ok": False, "error": "invalid_auth"})
    fault = standin.faults.take(name, args)
    if fault is not None:
        call["fault"] = fault.kind.value
        answer = await _faulty_answer(call, fault)
        if answer is not None:
            return answer
    try:
        body = METHODS[name](standin.world, args)
    except SlackError as exc:
        return slack_answer(call, {"ok": False, "error": exc.code, **exc.extra})
    return slack_answer(call, {"ok": True, **body})


async def _faulty_answer(call: dict[str, Any], fault: Fault) -> web.Response | None:
    """The fault's answer, or None when the call should go on (after a stall)."""
    if fault.kind is FaultKind.RATE_LIMITED:
        return slack_answer(call, {"ok": False, "error": "ratelimited"}, status=429,
                            headers={"Retry-After": str(fault.retry_after)})
    if fault.kind is FaultKind.HTTP_ERROR:
        call.update(status=fault.status, ok=False, error=f"http_{fault.status}")
        return web.Response(status=fault.status, text="<html><body>Server error</body></html>", content_type="text/html")
    if fault.kind is FaultKind.ERROR:
        return slack_answer(call, {"ok": False, "error": fault.error})
    await asyncio.sleep(fault.seconds)
    return None


# --- control -----------------------------------------------------------------------------


async def info(request: web.Request) -> web.Response:
    standin: Standin = request.app[STANDIN]
    base = f"{request.scheme}://{request.host}"
    return web.json_response({"api_url": f"{base}/api/", "team_id": standin.world.identity.team_id,
                              "bot_user_id": standin.world.identity.bot_user_id, "methods": sorted(METHODS),
                              "calls": len(standin.calls), "strict": standin.world.strict})


async def calls(request: web.Request) -> web.Response:
    standin: Standin = request.app[STANDIN]
    wanted = request.query.get("method")
    return web.json_response({"calls": [c for c in standin.calls if not wanted or c["method"] == wanted]})


async def reset(request: web.Request) -> web.Response:
    request.app[STANDIN].reset()
    return web.json_response({"ok": True})


async def faults(request: web.Request) -> web.Response:
    book: FaultBook = request.app[STANDIN].faults
    if request.method == "DELETE":
        book.clear()
    elif request.method == "POST":
        body = await _json_body(request)
        try:
            for item in body if isinstance(body, list) else [body]:
                book.add(Fault.parse(item))
        except (ValueError, TypeError) as exc:
            return web.json_response({"ok": False, "error": f"bad fault: {exc}"}, status=400)
    return web.json_response({"ok": True, "faults": [f.as_dict() for f in book.pending]})


def _registrar(kind: str):
    async def register(request: web.Request) -> web.Response:
        world: World = request.app[STANDIN].world
        add = {"users": world.add_user, "channels": world.add_channel, "usergroups": world.add_usergroup}[kind]
        body = await _json_body(request)
        added = []
        try:
            for item in body if isinstance(body, list) else [body]:
                entity_id = item.pop("id", None)
                if kind == "users" and not entity_id:
                    raise KeyError("id")
                entity = add(entity_id, **item)
                added.append(entity.id if isinstance(entity, Conversation) else entity["id"])
        except (KeyError, TypeError, AttributeError) as exc:
            return web.json_response({"ok": False, "error": f"bad {kind} entry: {exc}"}, status=400)
        return web.json_response({"ok": True, "ids": added})

    return register


async def messages(request: web.Request) -> web.Response:
    world: World = request.app[STANDIN].world
    wanted, dm_user = request.query.get("channel"), request.query.get("user")
    conversations = [
        c for c in world.conversations.values()
        if (not wanted or c.id == wanted) and (not dm_user or (c.is_im and c.user == dm_user))
    ]
    found = [{"channel": c.id, **m} for c in conversations for m in c.messages]
    return web.json_response({"messages": found, "ephemerals": [e for e in world.ephemerals if not wanted or e["channel"] == wanted]})


async def views(request: web.Request) -> web.Response:
    return web.json_response({"views": list(request.app[STANDIN].world.views.values())})


async def _json_body(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="body must be JSON") from None


async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "service": "slack-standin"})


def create_app(standin: Standin) -> web.Application:
    """The stand-in as an aiohttp application."""
    app = web.Application()
    app[STANDIN] = standin
    app.router.add_route("GET", "/api/{method}", api)
    app.router.add_route("POST", "/api/{method}", api)
    app.router.add_get("/_standin/", info)
    app.router.add_get("/_standin/calls", calls)
    app.router.add_post("/_standin/reset", reset)
    for verb in ("GET", "POST", "DELETE"):
        app.router.add_route(verb, "/_standin/faults", faults)
    for kind in ("users", "channels", "usergroups"):
        app.router.add_post(f"/_standin/{kind}", _registrar(kind))
    app.router.add_get("/_standin/messages", messages)
    app.router.add_get("/_standin/views", views)
    app.router.add_get("/healthz", healthz)
    return app
