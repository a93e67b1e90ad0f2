"""The Slack stand-in as a pytest fixture, for every test layer that needs a Slack.

Use it by importing the fixture into a test module (or a conftest)::

    from tests.standin_fixture import slack_standin  # noqa: F401  (a pytest fixture)

    async def test_welcome(slack_standin):
        client = AsyncWebClient(token=slack_standin.token, base_url=slack_standin.url)
        ...
        [post] = await slack_standin.wait_for_calls("chat.postMessage", count=1, channel=dm_id)
        assert post["args"]["blocks"][0]["type"] == "section"

One stand-in server runs per test process, on a free port, on a thread of its own (so sync
and async code can both call it); the fixture resets it before each test: no calls, no
faults, an empty workspace. The handle (`SlackStandin`) offers:

- `.url` — the Web API base URL ending in `/api/` (slack_sdk's `base_url`, Bolt's
  `SLACK_API_URL`); `.base_url` — the server root; `.token` — the accepted bot token.
- `.calls(method=None, ok=None, **args)` — recorded calls, oldest first, each
  `{"seq", "method", "http_method", "args", "token_ok", "at", "status", "ok", "error", "fault"}`;
  `args` are the parsed arguments (JSON ones such as `blocks`, `view`, `metadata` decoded),
  never the token. Keyword filters compare argument values, e.g. `channel="D…"`.
- `await .wait_for_calls(method, count=1, timeout=20, ok=None, **args)` — wait until at
  least `count` such calls were recorded (`wait_for_calls_sync` in sync tests).
- `.fault(method, kind, count=1, match=None, ...)` — the next `count` calls of `method`
  (`"*"` = any) whose arguments include `match` (e.g. `{"channel": dm_id}`; use it when other
  test sessions' events may reach your service over the shared broker) fail: `kind="rate_limited", retry_after=N` (HTTP 429 + Retry-After), `kind="http_error",
  status=500`, `kind="stall", seconds=S` (then answers and acts normally), `kind="error",
  error="invalid_auth"` (HTTP 200 `{"ok": false}`). Shortcuts: `.rate_limit`, `.server_error`,
  `.refuse`, `.stall`. `.clear_faults()`.
- `.add_user(id, locale=..., tz=..., name=...)`, `.add_channel(id, name=..., members=[...])`,
  `.add_usergroup(id, handle=..., users=[...])` — register workspace entities (in the
  default lenient mode any well-formed `U…`/`C…`/`S…` id exists anyway, with no locale).
- `.messages(channel=None)`, `.dm_messages(user_id)`, `.ephemerals(channel=None)`, `.views()` — what Slack now shows.
- `.reset()` — forget everything; `.web_client()` — an `AsyncWebClient` aimed at the stand-in;
  `await .dm_channel(user_id)` — the bot's DM channel id with a user (what conversations.open returns).

Control endpoints behind it (also for operators of `oco slack-standin`): `GET /_standin/calls`,
`POST /_standin/reset`, `GET|POST|DELETE /_standin/faults`, `POST /_standin/users`,
`POST /_standin/channels`, `POST /_standin/usergroups`, `GET /_standin/messages`, `GET /_standin/views`.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
import time
from typing import Any

import httpx
import pytest

from services.slack_standin.config import StandinSettings
from services.slack_standin.server import StandinServer

_server: StandinServer | None = None
_server_lock = threading.Lock()


class SlackStandin:
    """A handle on a running stand-in, through its control endpoints."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.url = f"{self.base_url}/api/"
        self.token = token
        self._http = httpx.Client(base_url=self.base_url, timeout=10.0)

    def close(self) -> None:
        self._http.close()

    # --- observing -----------------------------------------------------------------------

    def calls(self, method: str | None = None, ok: bool | None = None, **args: Any) -> list[dict[str, Any]]:
        """Recorded calls, oldest first, filtered by method, outcome and argument values."""
        params = {"method": method} if method else {}
        found = self._http.get("/_standin/calls", params=params).raise_for_status().json()["calls"]
        return [
            c for c in found
            if (ok is None or c["ok"] is ok) and all(c["args"].get(k) == v for k, v in args.items())
        ]

    async def wait_for_calls(self, method: str | None, count: int = 1, timeout: float = 20.0,
                             ok: bool | None = None, **args: Any) -> list[dict[str, Any]]:
        """At least `count` matching calls, waiting up to `timeout` seconds for them."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls(method, ok=ok, **args)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"wanted {count} {method or 'any'} call(s) matching {args or '-'}, saw {len(found)}")
            await asyncio.sleep(0.05)

    def wait_for_calls_sync(self, method: str | None, count: int = 1, timeout: float = 20.0,
                            ok: bool | None = None, **args: Any) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls(method, ok=ok, **args)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"wanted {count} {method or 'any'} call(s) matching {args or '-'}, saw {len(found)}")
            time.sleep(0.05)

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        params = {"channel": channel} if channel else {}
        return self._http.get("/_standin/messages", params=params).raise_for_status().json()["messages"]

    def dm_messages(self, user_id: str) -> list[dict[str, Any]]:
        """Messages in the bot's DM with `user_id`, oldest first."""
        return self._http.get("/_standin/messages", params={"user": user_id}).raise_for_status().json()["messages"]

    def ephemerals(self, channel: str | None = None) -> list[dict[str, Any]]:
        params = {"channel": channel} if channel else {}
        return self._http.get("/_standin/messages", params=params).raise_for_status().json()["ephemerals"]

    def views(self) -> list[dict[str, Any]]:
        return self._http.get("/_standin/views").raise_for_status().json()["views"]

    # --- steering ------------------------------------------------------------------------

    def fault(self, method: str = "*", kind: str = "error", count: int = 1, *,
              match: dict[str, str] | None = None, **options: Any) -> None:
        """Make the next `count` calls of `method` (with arguments including `match`) fail."""
        body = {"method": method, "kind": kind, "count": count, "match": match or {}, **options}
        self._http.post("/_standin/faults", json=body).raise_for_status()

    def rate_limit(self, method: str = "*", count: int = 1, retry_after: int = 1, *, match=None) -> None:
        self.fault(method, "rate_limited", count, match=match, retry_after=retry_after)

    def server_error(self, method: str = "*", count: int = 1, status: int = 500, *, match=None) -> None:
        self.fault(method, "http_error", count, match=match, status=status)

    def refuse(self, method: str = "*", error: str = "invalid_auth", count: int = 1, *, match=None) -> None:
        self.fault(method, "error", count, match=match, error=error)

    def stall(self, method: str = "*", seconds: float = 1.0, count: int = 1, *, match=None) -> None:
        self.fault(method, "stall", count, match=match, seconds=seconds)

    def clear_faults(self) -> None:
        self._http.delete("/_standin/faults").raise_for_status()

    def reset(self) -> None:
        self._http.post("/_standin/reset").raise_for_status()

    def add_user(self, user_id: str, **fields: Any) -> None:
        self._http.post("/_standin/users", json={"id": user_id, **fields}).raise_for_status()

    def add_channel(self, channel_id: str | None = None, **fields: Any) -> str:
        body = {"id": channel_id, **fields} if channel_id else fields
        return self._http.post("/_standin/channels", json=body).raise_for_status().json()["ids"][0]

    def add_usergroup(self, group_id: str | None = None, **fields: Any) -> str:
        body = {"id": group_id, **fields} if group_id else fields
        return self._http.post("/_standin/usergroups", json=body).raise_for_status().json()["ids"][0]

    async def dm_channel(self, user_id: str) -> str:
        """The DM channel id Slack will give for `user_id` (opens it, as a service would)."""
        return (await self.web_client().conversations_open(users=user_id))["channel"]["id"]

    def web_client(self):
        """An AsyncWebClient aimed at the stand-in with its token."""
        from slack_sdk.web.async_client import AsyncWebClient

        return AsyncWebClient(token=self.token, base_url=self.url)


def standin_server() -> StandinServer:
    """The process's stand-in server, started on first use on a free port."""
    global _server
    with _server_lock:
        if _server is None:
            _server = StandinServer(StandinSettings(host="127.0.0.1", port=0)).start()
            atexit.register(_server.stop)
        return _server


@pytest.fixture
def slack_standin():
    """A reset Slack stand-in for this test (see the module docstring)."""
    server = standin_server()
    handle = SlackStandin(server.base_url, server.settings.token)
    handle.reset()
    try:
        yield handle
    finally:
        handle.close()
