"""`oco import` on the real broker and store: exact counts from the real export, replays that
add nothing, a zip through worker processes, broken exports, an unreachable bus."""

from __future__ import annotations

import asyncio
import io
import json
import os
import socket
import sys
from collections import Counter

import pytest

from shared import topics
from services.importer.config import ImporterSettings
from services.importer.main import run_import
from tests.support import TopicWatcher, unique
from tests.unit.test_import_fixtures import HOUSTON, broken_days, write_export, zip_export

pytestmark = pytest.mark.integration

WATCHED = [topics.MESSAGE_POSTED.name, topics.REACTION_ADDED.name, topics.RESIDENT_JOINED.name, topics.RESIDENT_LEFT.name]
# What the real export's files hold (see tests/unit/test_import_translate.py for the derivation).
HOUSTON_EVENTS = {topics.MESSAGE_POSTED.name: 1031, topics.REACTION_ADDED.name: 199,
                  topics.RESIDENT_JOINED.name: 71, topics.RESIDENT_LEFT.name: 1}


def of_tenant(tenant: str):
    key = f'"tenant":"{tenant}"'.encode()
    return lambda record: key in record.value


async def tenant_counts(watchers: dict[str, TopicWatcher], tenant: str, expected: dict[str, int]) -> dict[str, int]:
    """Wait for the expected numbers, read a little longer, and return what each topic holds for `tenant`."""
    for name, watcher in watchers.items():
        if expected.get(name):
            await watcher.wait_for(of_tenant(tenant), count=expected[name], timeout=60)
    for watcher in watchers.values():
        await watcher.settle(1.0)
    return {name: sum(1 for r in w.records if of_tenant(tenant)(r)) for name, w in watchers.items()}


async def watching(names: list[str]):
    watchers = {name: TopicWatcher(name) for name in names}
    for watcher in watchers.values():
        await watcher.__aenter__()
    return watchers


async def close(watchers) -> None:
    for watcher in watchers.values():
        await watcher.__aexit__(None, None, None)


async def test_the_real_export_lands_on_the_bus_exactly_once_even_imported_twice():
    tenant = unique("T")
    watchers = await watching(WATCHED)
    try:
        first = await run_import(HOUSTON, tenant=tenant, progress_stream=io.StringIO())
        assert await tenant_counts(watchers, tenant, HOUSTON_EVENTS) == HOUSTON_EVENTS
        second = await run_import(HOUSTON, tenant=tenant, progress_stream=io.StringIO())
        assert await tenant_counts(watchers, tenant, {}) == HOUSTON_EVENTS  # nothing more arrived
    finally:
        await close(watchers)
    assert (first.messages, first.reactions, first.users, first.deactivated_users) == (1031, 199, 71, 1)
    assert first.published == first.events == 1302 and first.exit_code == 0
    assert (second.published, second.already_imported, second.exit_code) == (0, 1302, 0)
    records = [r for r in watchers[topics.MESSAGE_POSTED.name].records if of_tenant(tenant)(r)]
    event = json.loads(records[0].value)
    assert records[0].key == event["subject"].encode() and event["source"] == "oco/importer"
    assert dict(records[0].headers)["content-type"] == b"application/cloudevents+json"


async def test_a_zipped_export_translated_by_worker_processes_publishes_the_same(tmp_path):
    tenant = unique("T")
    archive = zip_export(HOUSTON, tmp_path / "houston.zip", enclosing="houstondatavis Slack export/")
    settings = ImporterSettings(import_worker_min_bytes=0, import_workers=2)
    watchers = await watching([topics.MESSAGE_POSTED.name, topics.REACTION_ADDED.name])
    try:
        summary = await run_import(archive, tenant=tenant, settings=settings, progress_stream=io.StringIO())
        counts = await tenant_counts(watchers, tenant, HOUSTON_EVENTS)
    finally:
        await close(watchers)
    assert counts == {topics.MESSAGE_POSTED.name: 1031, topics.REACTION_ADDED.name: 199}
    assert (summary.messages, summary.reactions, summary.users, summary.published) == (1031, 199, 71, 1302)


async def _oco(*args: str, env: dict | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "oco.cli", *args, env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, out.decode(), err.decode()


async def test_broken_files_are_reported_with_file_and_line_and_the_rest_is_imported(tmp_path):
    tenant = unique("T")
    folder = write_export(tmp_path / "broken", days=broken_days())
    watchers = await watching([topics.MESSAGE_POSTED.name])
    try:
        code, out, err = await _oco("import", str(folder), "--tenant", tenant, "--json")
        counts = await tenant_counts(watchers, tenant, {topics.MESSAGE_POSTED.name: 4})
    finally:
        await close(watchers)
    assert code == 1, err
    summary = json.loads(out)
    assert summary["messages"] == 4 and counts == {topics.MESSAGE_POSTED.name: 4}
    assert summary["skipped"] == {"day file not a list": 1, "file name not a date": 2, "file not UTF-8": 2,
                                  "invalid JSON": 1, "unknown subtype": 1, "user missing from users.json": 1}
    where = Counter((p["file"], p["line"]) for p in summary["problems"])
    assert where[("general/2020-01-02.json", 3)] == 1  # the truncated file, at the decoder's line
    assert where[("general/2020-01-06.json", 3)] == 1  # the Latin-1 byte
    assert summary["notes"] == ["general/2020-01-05.json: UTF-8 byte-order mark ignored"]


async def test_an_unreachable_bus_exits_2_with_a_clear_message(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = write_export(tmp_path / "e")
    code, out, err = await _oco("import", str(folder), env={"OCO_KAFKA_BOOTSTRAP": f"127.0.0.1:{port}"})
    assert code == 2
    assert f"the bus (Kafka at 127.0.0.1:{port}) is not reachable" in err
    assert "Traceback" not in err
