"""The demo city: shaped like the pilot's first year, deterministic per seed, importable."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from collections import Counter
from datetime import datetime, timedelta

import pytest

from shared.departments import load_departments
from shared.envelope import derive_id
from services.demo.events import city_events, proposal_id, support_events
from services.demo.generator import JST, generate
from services.importer.main import publish_export, read_export
from tests.unit.test_import_pipeline import importer

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return generate(out, seed=7), out


def _digest_of(folder) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.json")):
        digest.update(path.relative_to(folder).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def test_the_city_is_shaped_like_the_pilots_first_year(city):
    city, out = city
    assert len(city.residents) == 1400
    categories = Counter(r.category for r in city.residents)
    assert set(categories) == {"citizen", "prospective_migrant", "remote_citizen"}
    assert all(466 <= n <= 467 for n in categories.values())
    assert 4200 <= city.posts <= 4800 and city.thread_replies > 1000
    assert city.reactions == 12_000
    assert 24 <= len(city.proposals) <= 60 and len(city.applications) == 52
    assert all(a.at <= city.start.timestamp() + 21 * 86400 for a in city.applications)
    assert city.moved_in and all(category != "citizen" for _, _, category in city.moved_in)
    names = {c["name"] for c in json.loads((out / "channels.json").read_text())}
    assert {d.channel_name for d in load_departments()} <= names


def test_every_month_has_200_to_400_posts(city):
    city, out = city
    months = Counter()
    for path in out.glob("*/*.json"):
        for m in json.loads(path.read_text()):
            if m.get("subtype") in (None, "file_share"):
                months[datetime.fromtimestamp(float(m["ts"]), JST).strftime("%Y-%m")] += 1
    assert len(months) == 12 and all(200 <= n <= 400 for n in months.values()), months
    assert sum(months.values()) == city.posts


def test_the_same_seed_writes_the_same_export_and_another_seed_another(city, tmp_path):
    city, out = city
    generate(tmp_path / "again", seed=7)
    assert _digest_of(tmp_path / "again") == _digest_of(out)
    generate(tmp_path / "other", seed=8)
    assert _digest_of(tmp_path / "other") != _digest_of(out)


def test_the_import_counts_what_the_generator_made(city):
    city, out = city
    summary = asyncio.run(publish_export(importer(), read_export(out), progress_stream=io.StringIO()))
    assert summary.tenant == city.tenant and summary.exit_code == 0
    assert summary.users == 1400 and summary.deactivated_users == sum(r.deactivated for r in city.residents)
    assert summary.messages == city.posts and summary.thread_replies == city.thread_replies
    assert summary.reactions == 12_000
    assert summary.ignored["notice: bot_message"] == 24 and summary.ignored["bot or app user in users.json"] == 1


def test_the_forms_and_city_systems_speak_with_stable_ids_and_original_times(city):
    city, _ = city
    events = city_events(city)
    by_type = Counter(e.type for e in events)
    onboarded = [r for r in city.residents if r.profile_at is not None]
    assert by_type["resident.profile_submitted"] == len(onboarded) >= 0.85 * 1400
    assert by_type["role.application_submitted"] == 52 and by_type["proposal.submitted"] == len(city.proposals)
    assert by_type["resident.moved_in"] == len(city.moved_in)
    assert [e.id for e in city_events(city)] == [e.id for e in events]
    assert all(city.start - timedelta(days=1) <= e.time <= city.end for e in events)
    profile = next(e for e in events if e.type == "resident.profile_submitted")
    assert profile.data["consent"] is True and profile.data["category"] in {"citizen", "prospective_migrant", "remote_citizen"}


def test_supports_name_the_proposal_as_the_projects_service_will(city):
    city, _ = city
    supports = support_events(city)
    assert len(supports) == sum(len(p.supporters) for p in city.proposals) > 0
    first = next(e for e in city_events(city) if e.type == "proposal.submitted")  # both in time order
    assert proposal_id(city, city.proposals[0].index) == derive_id(first.id, "proposal")
    authors = {proposal_id(city, p.index): p.user_id for p in city.proposals}
    assert all(s.data["user_id"] != authors[s.data["proposal_id"]] for s in supports)


def test_waiting_for_proposals_reads_past_records_of_any_shape():
    from services.demo.main import _created_id

    mine = json.dumps({"tenant": "TDEMO", "data": {"proposal_id": "P1"}}).encode()
    assert _created_id(mine, "TDEMO") == "P1"
    assert _created_id(mine, "TOTHER") is None
    assert _created_id(b"[" * 100_000 + b'"TDEMO"', "TDEMO") is None  # too deep to decode
    assert _created_id(b'{"tenant": "TDEMO", "data": 3', "TDEMO") is None
    assert _created_id(b'{"tenant": "TDEMO", "data": 3}', "TDEMO") is None
    assert _created_id(None, "TDEMO") is None
