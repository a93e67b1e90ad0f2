"""Bootstrap of the projects service: builds dependencies once and wires consumers."""

from __future__ import annotations

from functools import partial

from starlette.applications import Starlette

from shared import topics
from shared.departments import by_key, load_departments
from shared.logging import configure_logging
from shared.service import ServiceRuntime, http_app, serve
from shared.store import ensure_indexes
from services.projects import api, handlers
from services.projects.config import ProjectsSettings
from services.projects.store import INDEXES, MongoProjectsStore, ProjectsStore

NAME = "projects"


def build(settings: ProjectsSettings | None = None) -> ServiceRuntime:
    settings = settings or ProjectsSettings()
    runtime = ServiceRuntime.create(NAME, settings)
    store = MongoProjectsStore(runtime.db)
    runtime.on_start.append(lambda: ensure_indexes(runtime.db, INDEXES))
    wire(runtime, store, settings)
    return runtime


def wire(runtime: ServiceRuntime, store: ProjectsStore, settings: ProjectsSettings) -> None:
    """Every topic the projects service consumes, with its handler."""
    departments = by_key(load_departments())
    consume = runtime.consume
    consume(topics.PROPOSAL_SUBMITTED, partial(
        handlers.when_proposal_submitted_create, store=store, departments=departments))
    consume(topics.PROPOSAL_POSTED, partial(handlers.when_proposal_posted_record_post, store=store))
    supports = {"store": store, "threshold": settings.support_threshold}
    consume(topics.PROPOSAL_SUPPORT_REQUESTED, partial(handlers.when_support_requested_toggle, **supports))
    # Reactions are the bulk of a city's activity: taken in batches, without the handled ledger
    # (the handlers recognise their own re-runs; see handlers/supports.py).
    added = partial(handlers.when_reactions_added_propose_or_support, **supports)
    removed = partial(handlers.when_reactions_removed_withdraw_support, **supports)
    runtime.consume_batches(topics.REACTION_ADDED, added, ledger=False)
    runtime.consume_batches(topics.REACTION_REMOVED, removed, ledger=False)
    consume(topics.PROPOSAL_ANSWER_SUBMITTED, partial(handlers.when_answer_submitted_answer, store=store))
    consume(topics.PROJECT_CHANNEL_CREATED, partial(handlers.when_channel_created_launch, store=store))
    consume(topics.PROJECT_PROGRESS_SUBMITTED, partial(handlers.when_progress_submitted_report, store=store))
    consume(topics.PROJECT_COMPLETION_SUBMITTED, partial(handlers.when_completion_submitted_complete, store=store))
    consume(topics.ROLE_GRANTED, partial(handlers.when_role_granted_record_chief, store=store))
    consume(topics.ROLE_REVOKED, partial(handlers.when_role_revoked_record_chief, store=store))


def create_app(settings: ProjectsSettings | None = None) -> Starlette:
    runtime = build(settings)
    # The adapter is stateless: the HTTP side reads through its own over the same database.
    return http_app(runtime, extra_routes=api.routes(MongoProjectsStore(runtime.db)))


def main() -> None:
    settings = ProjectsSettings()
    configure_logging(NAME, settings.log_level)
    serve(create_app(settings), host=settings.http_host, port=settings.port)


if __name__ == "__main__":
    main()
