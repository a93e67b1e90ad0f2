"""Bootstrap of the onboarding service: builds dependencies once and wires consumers."""

from __future__ import annotations

from functools import partial

from starlette.applications import Starlette

from shared import topics
from shared.logging import configure_logging
from shared.service import ServiceRuntime, http_app, serve
from shared.store import ensure_indexes
from services.onboarding import handlers
from services.onboarding.config import OnboardingSettings
from services.onboarding.store import INDEXES, MongoResidentStore

NAME = "onboarding"


def build(settings: OnboardingSettings | None = None) -> ServiceRuntime:
    settings = settings or OnboardingSettings()
    runtime = ServiceRuntime.create(NAME, settings)
    store = MongoResidentStore(runtime.db)
    runtime.on_start.append(lambda: ensure_indexes(runtime.db, INDEXES))
    runtime.consume(topics.RESIDENT_JOINED, partial(handlers.when_resident_joined_register, store=store))
    runtime.consume(topics.RESIDENT_PROFILE_SUBMITTED, partial(handlers.when_profile_submitted_onboard, store=store))
    runtime.consume(topics.RESIDENT_LEFT, partial(handlers.when_resident_left_erase, store=store))
    return runtime


def create_app(settings: OnboardingSettings | None = None) -> Starlette:
    return http_app(build(settings))


def main() -> None:
    settings = OnboardingSettings()
    configure_logging(NAME, settings.log_level)
    serve(create_app(settings), host=settings.http_host, port=settings.port)


if __name__ == "__main__":
    main()
