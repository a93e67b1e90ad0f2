"""`oco demo` into the running system: the export, the forms, and supports the projects service counts."""

from __future__ import annotations

import io

import pytest

from shared import topics
from services.demo.events import support_events
from services.demo.main import run_demo
from services.projects.config import ProjectsSettings
from services.projects.main import build as build_projects
from tests.integration.test_import_export import close, tenant_counts, watching
from tests.support import unique, wait_for_assignment

pytestmark = pytest.mark.integration


@pytest.fixture
async def projects():
    runtime = build_projects(ProjectsSettings(handler_backoff_seconds=0.01))
    await runtime.start()
    await wait_for_assignment(runtime)
    yield runtime
    await runtime.stop()


async def test_the_demo_city_is_imported_once_and_its_proposals_are_supported(projects, tmp_path):
    tenant = unique("T")
    names = [topics.RESIDENT_PROFILE_SUBMITTED.name, topics.ROLE_APPLICATION_SUBMITTED.name, topics.PROPOSAL_CREATED.name,
             topics.PROPOSAL_SUPPORT_REQUESTED.name, topics.RESIDENT_MOVED_IN.name, topics.PROPOSAL_SUPPORTED.name]
    watchers = await watching(names)
    try:
        first = await run_demo(tmp_path / "city", seed=11, tenant=tenant, support_wait=90, progress_stream=io.StringIO())
        city = first.city
        expected = {
            topics.RESIDENT_PROFILE_SUBMITTED.name: sum(r.profile_at is not None for r in city.residents),
            topics.ROLE_APPLICATION_SUBMITTED.name: 52,
            topics.PROPOSAL_CREATED.name: len(city.proposals),
            topics.PROPOSAL_SUPPORT_REQUESTED.name: sum(len(p.supporters) for p in city.proposals),
            topics.RESIDENT_MOVED_IN.name: len(city.moved_in),
        }
        # The projects service counts the supports at its own pace (it is also reading 12,000
        # reactions); that it counts them at all is what this test needs.
        supported = await watchers[topics.PROPOSAL_SUPPORTED.name].events_for(tenant, timeout=60)
        counts = await tenant_counts({n: w for n, w in watchers.items() if n in expected}, tenant, expected)
        again = await run_demo(tmp_path / "again", seed=11, tenant=tenant, support_wait=90, progress_stream=io.StringIO())
    finally:
        await close(watchers)
    assert counts == expected
    summary = first.summary
    assert summary.exit_code == 0 and summary.tenant == tenant
    assert summary.messages == city.posts and summary.reactions == 12_000 and summary.users == 1400
    assert summary.published == summary.events + summary.extra_events
    assert first.supports_published == expected[topics.PROPOSAL_SUPPORT_REQUESTED.name] and not first.supports_note
    assert supported[0].data["proposal_id"] in {s.data["proposal_id"] for s in support_events(city)}
    assert again.summary.published == 0 and again.supports_published == 0
