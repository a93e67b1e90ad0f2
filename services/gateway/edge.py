"""`POST /slack/events`: signature first, then shape, then Bolt.

Bolt verifies signatures too, but only after decoding and parsing the body, so a forged or
garbled body would surface as a 500. Here a bad signature is always 401 and a signed body that is not a
Slack payload is 400 — and neither reaches a listener, so nothing is published.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request, to_starlette_response
from slack_bolt.async_app import AsyncApp
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.gateway.app import request_kind
from services.gateway.metrics import SLACK_REQUEST_SECONDS, SLACK_REQUESTS
from services.gateway.shape import shape_problem

log = logging.getLogger(__name__)
SIGNATURE_WINDOW_SECONDS = 5 * 60
# Slack's payloads are a few kilobytes; anything far larger is not from Slack.
MAX_BODY_BYTES = 1_000_000


def is_signed(secret: bytes, body: bytes, headers, *, now: float | None = None) -> bool:
    """v0 HMAC-SHA256 over the raw bytes of the body, within Slack's 5-minute window."""
    stamp, signature = headers.get("x-slack-request-timestamp", ""), headers.get("x-slack-signature", "")
    # Unix seconds are a few ASCII digits; a longer string would not even convert to an int.
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12) or not signature:
        return False
    if abs((time.time() if now is None else now) - int(stamp)) > SIGNATURE_WINDOW_SECONDS:
        return False
    expected = "v0=" + hmac.new(secret, b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    # Compared as bytes: compare_digest refuses str with non-ASCII characters (a TypeError).
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "surrogateescape"))


def is_ssl_check(body: bytes) -> bool:
    """Slack's certificate probe of a command URL: answered 200, touches nothing."""
    if b"ssl_check" not in body or body.lstrip().startswith(b"{"):
        return False
    fields = dict(parse_qsl(body.decode("utf-8", "replace")))
    return fields.get("ssl_check") == "1" and "command" not in fields and "payload" not in fields


def looks_like_slack(payload: Any) -> bool:
    """An Events API callback or interaction has a `type`; a slash command a `command`."""
    return isinstance(payload, dict) and bool(payload.get("type") or payload.get("command") or payload.get("ssl_check"))


async def read_at_most(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it passes `limit` bytes: a chunked upload has no
    Content-Length to refuse it by, and must not be held in memory whole first."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class SlackEdge:
    """The one request URL for events, slash commands and interactivity."""

    def __init__(self, app: AsyncApp, signing_secret: str) -> None:
        self.app = app
        self._secret = signing_secret.encode()

    async def endpoint(self, request: Request) -> Response:
        """The Starlette endpoint; counts and times every answer."""
        started = time.perf_counter()
        response, kind = await self.handle(request)
        SLACK_REQUESTS.labels(kind, str(response.status_code)).inc()
        SLACK_REQUEST_SECONDS.labels(kind).observe(time.perf_counter() - started)
        return response

    async def handle(self, request: Request) -> tuple[Response, str]:
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            return JSONResponse({"error": "body too large"}, status_code=413), "too_large"
        body = await read_at_most(request, MAX_BODY_BYTES)
        if body is None:
            return JSONResponse({"error": "body too large"}, status_code=413), "too_large"
        if is_ssl_check(body):
            return Response(status_code=200), "ssl_check"
        if not is_signed(self._secret, body, request.headers):
            log.warning("refused a request without a valid Slack signature")
            return JSONResponse({"error": "invalid signature"}, status_code=401), "unsigned"
        try:
            bolt_request = to_async_bolt_request(request, body)
        # Bolt parses the body and reads its context in the constructor: a body nested past
        # the recursion limit, or JSON that is not an object, fails in there.
        except (UnicodeDecodeError, ValueError, RecursionError, AttributeError, TypeError, KeyError, IndexError):
            return JSONResponse({"error": "malformed body"}, status_code=400), "malformed"
        if not looks_like_slack(bolt_request.body):
            return JSONResponse({"error": "not a Slack payload"}, status_code=400), "malformed"
        if problem := shape_problem(bolt_request.body):
            log.warning("refused a signed body Slack would not send: %s", problem)
            return JSONResponse({"error": "malformed payload"}, status_code=400), "malformed"
        kind = request_kind(bolt_request.body)
        retry = request.headers.get("x-slack-retry-num")
        if retry:
            log.info("Slack retry %s (%s) of a %s", retry, request.headers.get("x-slack-retry-reason", "?"), kind)
        answer = await self.app.async_dispatch(bolt_request)
        if answer.status == 404:
            # No listener for it (another slash command of the app, `app_rate_limited`, a
            # payload type we don't use): acknowledged, or Slack retries it or shows an error.
            log.info("acknowledged a %s nobody listens to", kind)
            return Response(status_code=200), kind
        return to_starlette_response(answer), kind
