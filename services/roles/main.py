"""Bootstrap of the roles service: builds dependencies once and wires consumers."""

from __future__ import annotations

from functools import partial

from starlette.applications import Starlette

from shared import topics
from shared.departments import load_departments
from shared.logging import configure_logging
from shared.service import ServiceRuntime, http_app, serve
from services.roles import api, handlers
from services.roles.config import RolesSettings
from services.roles.store import MongoRoleStore, ensure_roles_indexes
from services.roles.terms import TermKeeper

NAME = "roles"


def build(settings: RolesSettings | None = None) -> ServiceRuntime:
    settings = settings or RolesSettings()
    runtime = ServiceRuntime.create(NAME, settings)
    store = MongoRoleStore(runtime.db)
    departments = frozenset(d.key for d in load_departments())
    runtime.on_start.append(lambda: ensure_roles_indexes(runtime.db))
    runtime.consume(topics.RESIDENT_ONBOARDED, partial(handlers.when_resident_onboarded_grant_category, store=store))
    runtime.consume(topics.RESIDENT_ERASED, partial(handlers.when_resident_erased_forget, store=store))
    runtime.consume(
        topics.ROLE_APPOINTMENT_REQUESTED,
        partial(handlers.when_appointment_requested_appoint, store=store, settings=settings, departments=departments),
    )
    runtime.consume(
        topics.ROLE_REVOCATION_REQUESTED, partial(handlers.when_revocation_requested_revoke, store=store, settings=settings)
    )
    runtime.consume(
        topics.ROLE_APPLICATION_SUBMITTED, partial(handlers.when_application_submitted_open, store=store, settings=settings)
    )
    runtime.consume(
        topics.ROLE_APPLICATION_REVIEWED, partial(handlers.when_application_reviewed_decide, store=store, settings=settings)
    )
    runtime.run_in_background(TermKeeper(store, runtime.publisher, settings).run)
    return runtime


def create_app(settings: RolesSettings | None = None) -> Starlette:
    settings = settings or RolesSettings()
    runtime = build(settings)
    return http_app(runtime, extra_routes=api.routes(MongoRoleStore(runtime.db), settings))


def main() -> None:
    settings = RolesSettings()
    configure_logging(NAME, settings.log_level)
    serve(create_app(settings), host=settings.http_host, port=settings.port)


if __name__ == "__main__":
    main()
