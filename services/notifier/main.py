"""Bootstrap of the notifier: builds the Slack client and stores once, then lets each handler
module register its consumers. Another kind of news (roles, projects, announcements) is a new
module under `handlers/` with `register(runtime, deps)`, added to `HANDLER_MODULES`."""

from __future__ import annotations

import logging
from types import ModuleType

from starlette.applications import Starlette

from shared.departments import load_departments
from shared.logging import configure_logging
from shared.service import ServiceRuntime, http_app, serve
from shared.store import ensure_indexes
from services.notifier.config import NotifierSettings
from services.notifier.handlers import NotifierDeps, announcements, projects, residents, roles
from services.notifier.slack_client import RateLimitGate, RetryPolicy, SlackDelivery, make_web_client
from services.notifier.store import INDEXES, MongoDeliveryStore, MongoResidentCache

NAME = "notifier"
HANDLER_MODULES: list[ModuleType] = [residents, roles, projects, announcements]

log = logging.getLogger(__name__)


def build(settings: NotifierSettings | None = None, *, handler_modules: list[ModuleType] | None = None) -> ServiceRuntime:
    settings = settings or NotifierSettings()
    runtime = ServiceRuntime.create(NAME, settings)
    policy, gate = RetryPolicy.from_settings(settings), RateLimitGate()
    client = make_web_client(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url,
                             policy=policy, gate=gate)
    slack = SlackDelivery(client, MongoDeliveryStore(runtime.db), policy=policy, gate=gate)
    deps = NotifierDeps(slack=slack, residents=MongoResidentCache(runtime.db),
                        departments=load_departments(settings.departments), publisher=runtime.publisher,
                        resident_workers=settings.resident_workers)
    runtime.on_start.append(lambda: ensure_indexes(runtime.db, INDEXES))
    runtime.on_start.append(slack.start)
    runtime.on_stop.append(slack.close)
    for module in HANDLER_MODULES if handler_modules is None else handler_modules:
        module.register(runtime, deps)
    return runtime


def create_app(settings: NotifierSettings | None = None) -> Starlette:
    return http_app(build(settings))


def main() -> None:
    settings = NotifierSettings()
    configure_logging(NAME, settings.log_level)
    if not settings.slack_bot_token.get_secret_value():
        log.warning("SLACK_BOT_TOKEN is not set: every Slack call will be refused (not_authed)")
    serve(create_app(settings), host=settings.http_host, port=settings.port)


if __name__ == "__main__":
    main()
