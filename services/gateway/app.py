"""The Bolt app: listeners, authorization and the one error handler at the Slack edge."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from services.gateway import flows, views
from services.gateway.config import GatewaySettings
from services.gateway.deps import GatewayDeps
from services.gateway.errors import GatewayError, MalformedPayload
from services.gateway.listeners import register_all

log = logging.getLogger(__name__)


def web_client(settings: GatewaySettings) -> AsyncWebClient:
    """Every outbound Web API call goes to SLACK_API_URL (Slack, or the stand-in offline)."""
    # No token here: `authorize` hands it to each request's client, so Bolt never calls
    # auth.test on the request path (a slow or unreachable Slack must not delay an ack).
    return AsyncWebClient(base_url=settings.web_api_url, timeout=int(max(1, settings.slack_timeout_seconds)))


def authorizer(settings: GatewaySettings):
    """The bot token for any team: tenant is the payload's team id; the token is the app's."""
    token = settings.bot_token.get_secret_value() if settings.bot_token else None

    async def authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, bot_token=token)

    return authorize


def request_kind(body: dict[str, Any]) -> str:
    if "command" in body:
        return "command"
    return str(body.get("type") or "unknown")


async def answer_error(error: Exception, body: dict[str, Any], respond: AsyncRespond | None) -> BoltResponse:
    """Known errors → the person hears about it (or Slack retries); unknown → an id and 500."""
    kind = request_kind(body)
    if isinstance(error, MalformedPayload):
        log.warning("malformed %s payload: %s", kind, error.reason)
        return BoltResponse(status=400, body={"error": "malformed payload"})
    if isinstance(error, GatewayError):
        log.warning("could not handle a %s: %s", kind, error)
        if kind == "command":
            return BoltResponse(status=200, body=views.ephemeral(error.user_text))
        if kind == "block_actions":
            await flows.tell(respond, text=error.user_text, response_type="ephemeral", replace_original=False)
            return BoltResponse(status=200, body="")
        # Events (and modal submissions) must not look acknowledged: Slack retries or the
        # modal stays open for another try.
        return BoltResponse(status=error.status, body={"error": type(error).__name__})
    error_id = uuid.uuid4().hex[:12]
    log.error("unexpected error %s handling a %s", error_id, kind, exc_info=error, extra={"fields": {"error_id": error_id}})
    return BoltResponse(status=500, body={"error": "internal", "error_id": error_id})


def build_bolt_app(deps: GatewayDeps) -> AsyncApp:
    """The AsyncApp with every listener registered; it publishes before it acknowledges."""
    settings = deps.settings
    app = AsyncApp(
        name="oco-gateway",
        logger=logging.getLogger("oco.gateway.bolt"),
        signing_secret=settings.signing_secret.get_secret_value() if settings.signing_secret else "",
        client=web_client(settings),
        authorize=authorizer(settings),
        # Publish first, acknowledge after: an event the bus did not take gets a 5xx.
        process_before_response=True,
        request_verification_enabled=not settings.slack_socket_mode,
        # Without auth.test Bolt doesn't know its own bot user; bots are filtered in translation.
        ignoring_self_events_enabled=False,
    )

    @app.error
    async def on_error(error: Exception, body: dict, respond: AsyncRespond | None = None) -> BoltResponse:
        return await answer_error(error, body or {}, respond)

    register_all(app, deps)
    return app
