"""Bootstrap and driver of an import: read the export, translate it, publish what is new.

`run_import` is the one entry point (`oco import`, `oco demo` and the benchmark use it): it
reads the listings first (so a broken export fails before anything connects), then streams
the day files through the translation into the sink, and folds everything into a summary.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from aiokafka.errors import KafkaError
from pymongo.errors import PyMongoError

from shared.admin import ensure_topics
from shared.envelope import CloudEvent
from shared.logging import redact
from shared.store import connect, ensure_indexes
from services.importer.config import ImporterSettings
from services.importer.models import ChannelKind, DayFile, ExportChannel, ImportFailed, ImportSummary, Tally
from services.importer.progress import Progress
from services.importer.reader import ExportSource, day_files, decode, open_export, read_channels, read_list
from services.importer.sink import EventSink, make_producer
from services.importer.store import DATABASE, INDEXES, ImportLedger, MongoImportLedger
from services.importer.translate import Translator

_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_KIND_FIELDS = {
    ChannelKind.PUBLIC: "channels", ChannelKind.PRIVATE: "private_channels",
    ChannelKind.DIRECT: "direct_messages", ChannelKind.GROUP_DIRECT: "group_direct_messages",
}


@dataclass
class Export:
    """An export's listings, read and checked before anything is published."""

    source: ExportSource
    tenant: str
    users: list[dict]
    channels: dict[str, ExportChannel]
    files: list[DayFile]
    tally: Tally
    summary: ImportSummary = field(init=False)

    def __post_init__(self) -> None:
        self.summary = ImportSummary(source=str(self.source.path), tenant=self.tenant)


def read_export(path: str | Path, *, tenant: str | None = None, problems_listed: int = 200) -> Export:
    """Open an export and read its listings; ImportFailed if it can't be imported at all."""
    source = open_export(path)
    tally = Tally(problems_listed=problems_listed)
    try:
        users = read_list(source, "users.json", tally, required=True) or []
        tenant = resolve_tenant(users, tenant)
        channels = read_channels(source, tally)
        if source.read("channels.json") is None:
            tally.notes.append("channels.json is missing: only conversations of the other listings can be read")
        files = day_files(source, channels, tally)
    except BaseException:
        source.close()
        raise
    kinds = Counter(c.kind for c in channels.values())
    for kind, name in _KIND_FIELDS.items():
        tally.counts[name] = kinds.get(kind, 0)
    return Export(source=source, tenant=tenant, users=users, channels=channels, files=files, tally=tally)


def resolve_tenant(users: list[dict], tenant: str | None) -> str:
    """`--tenant`, else the team id most users carry, else ImportFailed asking for --tenant."""
    if not tenant:
        teams = Counter(u.get("team_id") for u in users if isinstance(u.get("team_id"), str) and u.get("team_id"))
        if not teams:
            raise ImportFailed("no team id found in users.json: pass --tenant TEAM_ID")
        tenant = teams.most_common(1)[0][0]
    if not _TENANT.match(tenant):
        raise ImportFailed(f"{tenant!r} is not a usable tenant (team) id: letters, digits, '-' and '_' only")
    return tenant


@dataclass
class Importer:
    """Connections an import needs; built by `build`, opened by `start`."""

    settings: ImporterSettings
    mongo: object
    ledger: ImportLedger
    producer: object

    async def start(self) -> None:
        try:
            await self.mongo[DATABASE].command("ping")
        except PyMongoError as exc:
            url = redact(self.settings.mongo_url.get_secret_value())
            raise ImportFailed(f"the document store at {url} is not reachable ({type(exc).__name__})") from None
        await ensure_indexes(self.mongo[DATABASE], INDEXES)
        try:
            await ensure_topics(self.settings.kafka)
            await self.producer.start()
        except (KafkaError, OSError) as exc:
            raise ImportFailed(f"the bus (Kafka at {self.settings.kafka.bootstrap}) is not reachable ({type(exc).__name__})") from None

    async def stop(self) -> None:
        await self.producer.stop()
        await self.mongo.close()

    def sink(self, tenant: str, *, check_ledger: bool) -> EventSink:
        return EventSink(
            self.producer, self.ledger, tenant=tenant, check_ledger=check_ledger,
            batch_size=self.settings.import_batch_size, max_in_flight=self.settings.import_max_in_flight_batches,
        )


def build(settings: ImporterSettings | None = None) -> Importer:
    settings = settings or ImporterSettings()
    mongo = connect(settings.mongo_url.get_secret_value())
    producer = make_producer(settings.kafka, linger_ms=settings.import_linger_ms, max_batch_bytes=settings.import_max_batch_bytes)
    return Importer(settings=settings, mongo=mongo, ledger=MongoImportLedger(mongo[DATABASE]), producer=producer)


async def run_import(
    path: str | Path,
    *,
    tenant: str | None = None,
    settings: ImporterSettings | None = None,
    extra_events: Iterable[CloudEvent] = (),
    progress_stream: TextIO | None = None,
    tty: bool | None = None,
) -> ImportSummary:
    """Import the export at `path`; the summary says what was published and what was skipped."""
    settings = settings or ImporterSettings()
    export = read_export(path, tenant=tenant, problems_listed=settings.import_problems_listed)
    importer = build(settings)
    try:
        await importer.start()
        return await publish_export(importer, export, extra_events=extra_events, progress_stream=progress_stream, tty=tty)
    finally:
        export.source.close()
        await importer.stop()


async def publish_export(
    importer: Importer, export: Export, *, extra_events: Iterable[CloudEvent] = (),
    progress_stream: TextIO | None = None, tty: bool | None = None,
) -> ImportSummary:
    """Stream the export's events into the sink; `importer` must be started."""
    started = time.monotonic()
    tenant, tally = export.tenant, export.tally
    check_ledger = await importer.ledger.tenant_seen(tenant)
    if not check_ledger:
        await importer.ledger.mark_tenant(tenant)  # before any id of this tenant is recorded
    done = await importer.ledger.done_files(tenant) if check_ledger else set()
    sink = importer.sink(tenant, check_ledger=check_ledger)
    translator = Translator(tenant=tenant, users=export.users, tally=tally)
    progress = Progress(sum(f.size for f in export.files), stream=progress_stream, tty=tty)
    try:
        for file in export.files:
            before = tally.counts["messages"]
            raw = export.source.read(file.path) or b""
            await _publish_day(export, file, raw, translator, sink, done)
            progress.advance(nbytes=file.size, messages=tally.counts["messages"] - before)
        residents = translator.residents()
        users_key = "users.json:" + _digest(export.source.read("users.json") or b"")
        tally.counts["events"] += len(residents)
        await _publish_file(sink, users_key, residents, done)
        extra = list(extra_events)
        if extra:
            await _publish_file(sink, "extra:" + _digest("\n".join(e.id for e in extra).encode()), extra, done)
        await sink.close()
    except BaseException:
        await sink.abort()
        raise
    finally:
        progress.finish()
    summary = export.summary
    tally.fill(summary)
    summary.extra_events = len(extra)
    summary.published, summary.already_imported = sink.published, sink.already_imported
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


async def _publish_day(export: Export, file: DayFile, raw: bytes, translator: Translator, sink: EventSink, done: set[str]) -> None:
    tally = export.tally
    entries = decode(raw, file.path, tally)
    if entries is None:
        return
    if not isinstance(entries, list):
        tally.problem("day file not a list", file.path, f"holds a JSON {type(entries).__name__}, not a list of messages; skipped", 1)
        return
    tally.counts["day_files"] += 1
    events = translator.day(file, entries, raw)
    tally.counts["events"] += len(events)
    await _publish_file(sink, f"{file.path}:{_digest(raw)}", events, done)


async def _publish_file(sink: EventSink, file_key: str, events: list[CloudEvent], done: set[str]) -> None:
    """Publish one file's events, unless an earlier import published this exact file."""
    if file_key in done:
        sink.skipped_as_imported(len(events))
        return
    await sink.add(events)
    sink.file_finished(file_key)


def _digest(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=12).hexdigest()


def run(path: str | Path, **kwargs) -> ImportSummary:
    """Synchronous wrapper for the command line."""
    return asyncio.run(run_import(path, **kwargs))
