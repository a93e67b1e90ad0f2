"""The notifier's door to Slack: `await slack.deliver(key=..., method=..., **args)`.

Guarantees, so handlers don't have to think about them:
- 429: slack_sdk waits `Retry-After` (capped) and retries; the wait also pauses every other
  call of that method in this process, as Slack's limits are per method and workspace.
- 5xx, time-outs and dropped connections back off and retry a bounded number of times, then
  raise `SlackUnavailable` (a TransientError: the bus retries, then dead-letters).
- Refusals that won't heal raise `DeliveryRefused` (a PermanentError).
- Each delivery is claimed under its unique key before the call and marked delivered after,
  so a redelivered event never repeats it. Posts carry the key in message metadata: when a
  claim is found still "sending" (a crash or an ambiguous failure between call and mark),
  the channel's history is searched for the key before posting again.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from prometheus_client import Counter
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from services.notifier.errors import DeliveryRefused, Refusal, SlackUnavailable, Verdict, classify
from services.notifier.models import Delivery, DeliveryState
from services.notifier.store import DeliveryStore

log = logging.getLogger(__name__)

DELIVERY_METADATA_TYPE = "oco_delivery"
# Methods Slack wants as query/form arguments rather than a JSON body.
READ_METHODS = frozenset({
    "auth.test", "users.info", "conversations.history", "conversations.info", "conversations.members",
    "chat.getPermalink", "usergroups.list", "usergroups.users.list",
})
# Posting again could make a second message: look for the first one before retrying.
NOT_IDEMPOTENT = frozenset({"chat.postMessage"})

SLACK_CALLS = Counter("oco_slack_calls_total", "Slack Web API calls by method and verdict.", ["method", "verdict"])
DELIVERIES = Counter("oco_deliveries_total", "Deliveries by method and outcome.", ["method", "outcome"])


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    backoff_seconds: float = 0.5
    rate_limit_retries: int = 5
    max_retry_after_seconds: float = 60.0
    timeout_seconds: float = 10.0

    @classmethod
    def from_settings(cls, settings) -> RetryPolicy:
        return cls(
            attempts=max(1, settings.slack_attempts), backoff_seconds=settings.slack_backoff_seconds,
            rate_limit_retries=settings.slack_rate_limit_retries,
            max_retry_after_seconds=settings.slack_max_retry_after_seconds,
            timeout_seconds=settings.slack_timeout_seconds,
        )


@dataclass(frozen=True)
class Delivered:
    """A completed delivery; `repeated` when it had been completed before this call."""

    key: str
    method: str
    cause_event_id: str
    channel: str | None = None
    ts: str | None = None
    repeated: bool = False


class RateLimitGate:
    """Per-method pauses after a 429, shared by every call of this process."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def hold(self, method: str, seconds: float) -> None:
        self._until[method] = max(self._until.get(method, 0.0), time.monotonic() + seconds)

    async def wait(self, method: str) -> None:
        delay = self._until.get(method, 0.0) - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


class HonourRetryAfter(AsyncRetryHandler):
    """slack_sdk retry handler for 429: waits `Retry-After` (capped) and pauses the method."""

    def __init__(self, *, gate: RateLimitGate, max_retry_count: int, max_wait: float) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.gate = gate
        self.max_wait = max_wait

    async def _can_retry_async(self, *, state, request, response=None, error=None) -> bool:
        return response is not None and response.status_code == 429

    async def prepare_for_next_attempt_async(self, *, state, request, response=None, error=None) -> None:
        wait = min(retry_after(response.headers), self.max_wait)
        self.gate.hold(request.url.rstrip("/").rsplit("/", 1)[-1], wait)
        log.info("Slack rate limit: waiting %.1fs", wait)
        state.next_attempt_requested = True
        await asyncio.sleep(wait)
        state.increment_current_attempt()


def retry_after(headers: dict[str, Any]) -> float:
    """Seconds from a `Retry-After` header (slack_sdk gives header values as lists); 1 if absent."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                break
    return 1.0


def make_web_client(*, token: str, base_url: str, policy: RetryPolicy, gate: RateLimitGate) -> AsyncWebClient:
    """An AsyncWebClient that retries 429s and failed connects only (nothing sent yet)."""
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=max(1, math.ceil(policy.timeout_seconds)),
        retry_handlers=[
            # Only errors before the request left: a read time-out may mean Slack acted.
            AsyncConnectionErrorRetryHandler(
                max_retry_count=2, error_types=[aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError]),
            HonourRetryAfter(gate=gate, max_retry_count=policy.rate_limit_retries,
                             max_wait=policy.max_retry_after_seconds),
        ],
    )


class SlackDelivery:
    """Calls Slack with the guarantees in the module docstring."""

    def __init__(self, client: AsyncWebClient, store: DeliveryStore, *, policy: RetryPolicy | None = None,
                 gate: RateLimitGate | None = None) -> None:
        self.client = client
        self.store = store
        self.policy = policy or RetryPolicy()
        self.gate = gate or RateLimitGate()

    async def start(self) -> None:
        """Give the client a pooled HTTP session (needs the running loop)."""
        if getattr(self.client, "session", None) is None:
            timeout = aiohttp.ClientTimeout(total=self.policy.timeout_seconds)
            self.client.session = aiohttp.ClientSession(timeout=timeout)

    async def close(self) -> None:
        session = getattr(self.client, "session", None)
        if session is not None and not session.closed:
            await session.close()

    async def call(self, method: str, *, key: str, **args: Any) -> dict[str, Any]:
        """One Slack call that is safe to repeat (reads, opening a DM); not recorded."""
        return await self._send(method, args, key=key)

    async def deliver(self, *, key: str, tenant: str, cause_event_id: str, method: str, **args: Any) -> Delivered:
        """Make the call once for `key`, however often the event is redelivered."""
        claim = Delivery(key=key, tenant=tenant, method=method, cause_event_id=cause_event_id,
                         channel=args.get("channel") if isinstance(args.get("channel"), str) else None)
        record, fresh = await self.store.claim(claim)
        if record.state is DeliveryState.DELIVERED:
            DELIVERIES.labels(method, "repeated").inc()
            return Delivered(key, method, cause_event_id, record.channel, record.ts, repeated=True)
        posted = None
        if method in NOT_IDEMPOTENT:
            args = {**args, "metadata": {"event_type": DELIVERY_METADATA_TYPE, "event_payload": {"delivery_key": key}}}
            posted = _Lookup(self, channel=args.get("channel"), key=key, since=record.claimed_at)
            found = None if fresh else await posted()
            if found is not None:
                return await self._completed(record, found, outcome="recovered")
        try:
            body = await self._send(method, args, key=key, posted=posted)
        except DeliveryRefused as exc:
            await self.store.mark_failed(key, error=exc.refusals[0].error)
            DELIVERIES.labels(method, "refused").inc()
            raise
        return await self._completed(record, body, outcome="delivered")

    async def _completed(self, record: Delivery, body: dict[str, Any], *, outcome: str) -> Delivered:
        channel, ts = _where(body, record.channel)
        await self.store.mark_delivered(record.key, channel=channel, ts=ts)
        DELIVERIES.labels(record.method, outcome).inc()
        return Delivered(record.key, record.method, record.cause_event_id, channel, ts)

    async def _send(self, method: str, args: dict[str, Any], *, key: str, posted=None) -> dict[str, Any]:
        """The answer's body; retries what may heal, raises what won't."""
        last = "no attempt"
        for attempt in range(1, self.policy.attempts + 1):
            if attempt > 1 and posted is not None and (found := await posted()) is not None:
                return found
            await self.gate.wait(method)
            try:
                return (await self._api_call(method, args)).data
            except SlackApiError as exc:
                status, error = exc.response.status_code, _error_of(exc.response)
                verdict = classify(method=method, status=status, error=error)
                SLACK_CALLS.labels(method, verdict.value).inc()
                if verdict is Verdict.DONE:
                    return dict(exc.response.data) if isinstance(exc.response.data, dict) else {}
                if verdict is Verdict.REFUSED:
                    raise DeliveryRefused([Refusal(key=key, method=method, error=error or f"http_{status}")]) from None
                last = error or f"HTTP {status}"
            except (TimeoutError, aiohttp.ClientError) as exc:
                SLACK_CALLS.labels(method, Verdict.AMBIGUOUS.value).inc()
                last = type(exc).__name__
                if posted is not None and not isinstance(exc, aiohttp.ClientConnectorError):
                    # The request may still be in Slack's hands: give it as long again before
                    # anyone (the next attempt, or the bus's next run) looks for it in the
                    # history, or a post Slack makes late is made twice. A refused connect sent nothing.
                    await asyncio.sleep(self.policy.timeout_seconds)
            if attempt < self.policy.attempts:
                await asyncio.sleep(self.policy.backoff_seconds * 2 ** (attempt - 1))
        raise SlackUnavailable(f"Slack did not take {method} after {self.policy.attempts} attempts: {last}")

    async def _api_call(self, method: str, args: dict[str, Any]):
        if method in READ_METHODS:
            params = {k: ",".join(v) if isinstance(v, list) else v for k, v in args.items()}
            response = await self.client.api_call(method, http_verb="GET", params=params)
        else:
            response = await self.client.api_call(method, json=args)
        SLACK_CALLS.labels(method, Verdict.DONE.value).inc()
        return response

    async def find_posted(self, *, channel: str | None, key: str, since: datetime) -> dict[str, Any] | None:
        """The message posted earlier under `key`, found by its metadata, or None."""
        if not channel:
            return None
        oldest = (since - timedelta(minutes=5)).timestamp()
        try:
            body = await self.call("conversations.history", key=f"{key}/lookup", channel=channel,
                                   oldest=f"{oldest:.6f}", limit=200, include_all_metadata=True)
        except DeliveryRefused as exc:
            # Without history access (im:history scope) we can't look; posting again is the
            # lesser harm than never posting. Operators see this warning.
            log.warning("cannot search %s for an earlier post: %s", channel, exc)
            return None
        for message in body.get("messages", []):
            meta = message.get("metadata") or {}
            if meta.get("event_type") == DELIVERY_METADATA_TYPE and (meta.get("event_payload") or {}).get("delivery_key") == key:
                return {"channel": channel, "ts": message.get("ts"), "message": message}
        return None


@dataclass
class _Lookup:
    """A deferred `find_posted` for one delivery."""

    slack: SlackDelivery
    channel: str | None
    key: str
    since: datetime

    async def __call__(self) -> dict[str, Any] | None:
        return await self.slack.find_posted(channel=self.channel, key=self.key, since=self.since)


def _error_of(response) -> str | None:
    data = getattr(response, "data", None)
    return data.get("error") if isinstance(data, dict) else None


def _where(body: dict[str, Any], channel: str | None) -> tuple[str | None, str | None]:
    """Channel id and message ts of a Slack answer, where it has them."""
    found = body.get("channel")
    if isinstance(found, dict):
        found = found.get("id")
    ts = body.get("ts") or body.get("message_ts")
    return (found if isinstance(found, str) else channel), ts
