"""Bootstrap and driver of an import: read the export, translate it, publish what is new.

`run_import` is the one entry point (`oco import`, `oco demo` and the benchmark use it): it
reads the listings first (so a broken export fails before anything connects), then streams
the day files through the translation into the sink, and folds everything into a summary.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from shared import topics
from shared.admin import ensure_topics
from shared.envelope import CloudEvent
from shared.logging import redact
from shared.store import connect
from services.importer.config import ImporterSettings
from services.importer.models import (
    TENANT_PATTERN, ChannelKind, DayFile, ExportChannel, ImportFailed, ImportSummary, Tally,
)
from services.importer.progress import Progress
from services.importer.reader import ExportSource, day_files, open_export, read_channels, read_list
from services.importer.sink import EventSink, make_producer
from services.importer.store import DATABASE, ImportLedger, MongoImportLedger
from services.importer.stream import Outgoing, TranslationDone, digest, translated_stream
from services.importer.translate import Translator

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
        if "channels.json" not in dict(source.files()):
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
    if not TENANT_PATTERN.match(tenant):
        raise ImportFailed(f"{tenant!r} is not a usable tenant (team) id: letters, digits, '-' and '_' only")
    return tenant


@dataclass
class Importer:
    """Connections an import needs; built by `build`, opened by `start`."""

    settings: ImporterSettings
    mongo: AsyncMongoClient
    ledger: ImportLedger
    producer: AIOKafkaProducer

    async def start(self) -> None:
        try:
            await self.mongo[DATABASE].command("ping")
        except PyMongoError as exc:
            url = redact(self.settings.mongo_url.get_secret_value())
            raise ImportFailed(f"the document store at {url} is not reachable ({type(exc).__name__})") from None
        try:
            await ensure_topics(self.settings.kafka)
            await self.producer.start()
        except (KafkaError, OSError) as exc:
            raise ImportFailed(f"the bus (Kafka at {self.settings.kafka.bootstrap}) is not reachable ({type(exc).__name__})") from None

    async def stop(self) -> None:
        await self.producer.stop()
        await self.mongo.close()

    async def partitions(self) -> dict[str, list[int]]:
        """Partitions of the topics an export translates to, for picking them in the translation."""
        names = [topics.RESIDENT_JOINED.name, topics.RESIDENT_LEFT.name, topics.MESSAGE_POSTED.name, topics.REACTION_ADDED.name]
        return {name: sorted(await self.producer.partitions_for(name)) for name in names}

    async def sink(self, tenant: str) -> EventSink:
        """A sink for `tenant` that knows what earlier imports of it published."""
        return EventSink(
            self.producer, self.ledger, tenant=tenant, known=await self.ledger.digests(tenant),
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
    extra: dict[str, list[CloudEvent]] | None = None,
    progress_stream: TextIO | None = None,
    tty: bool | None = None,
) -> ImportSummary:
    """Import the export at `path`; the summary says what was published and what was skipped."""
    settings = settings or ImporterSettings()
    export = read_export(path, tenant=tenant, problems_listed=settings.import_problems_listed)
    importer = build(settings)
    try:
        await importer.start()
        return await publish_export(importer, export, extra=extra, progress_stream=progress_stream, tty=tty)
    finally:
        export.source.close()
        await importer.stop()


async def publish_export(
    importer: Importer, export: Export, *, extra: dict[str, list[CloudEvent]] | None = None,
    progress_stream: TextIO | None = None, tty: bool | None = None,
) -> ImportSummary:
    """Stream the export's events into a sink; `importer` must be started.

    `extra` holds named groups of events published beside the export (the demo's forms),
    recorded in the ledger like files, so they too are published once.
    """
    started = time.monotonic()
    sink = await importer.sink(export.tenant)
    partitions = await importer.partitions()
    progress = Progress(sum(f.size for f in export.files), stream=progress_stream, tty=tty)
    extra = extra or {}
    try:
        await _publish_day_files(importer, export, sink, partitions, progress)
        for name, events in extra.items():
            await sink.add_file(f"extra/{name}", _digest_ids(events), [Outgoing.of(e, partitions) for e in events])
        await sink.close()
    except BaseException:
        await sink.abort()
        raise
    finally:
        progress.finish()
    summary = export.summary
    export.tally.fill(summary)
    summary.extra_events = sum(len(events) for events in extra.values())
    summary.published, summary.already_imported = sink.published, sink.already_imported
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


async def _publish_day_files(importer: Importer, export: Export, sink: EventSink, partitions: dict, progress: Progress) -> None:
    """The day files' events as they are translated, then the residents (who joined when first seen)."""
    settings = importer.settings
    big = progress.total_bytes >= settings.import_worker_min_bytes
    stream = translated_stream(
        str(export.source.path), workers=settings.import_workers if big else 0, tenant=export.tenant,
        users=export.users, files=export.files, partitions=partitions, problems_listed=settings.import_problems_listed,
    )
    people = Translator(tenant=export.tenant, users=export.users, tally=export.tally)
    try:
        async for item in stream:
            if isinstance(item, TranslationDone):  # a translator's counts and who it saw when
                export.tally.merge(item.tally)
                people.merge_seen(item.first_seen, item.latest)
                continue
            if item.readable:
                await sink.add_file(item.key, item.digest, item.events)
            progress.advance(nbytes=item.nbytes, messages=item.messages)
    finally:
        await stream.aclose()
    residents = people.residents()
    export.tally.counts["events"] += len(residents)
    users_digest = digest(export.source.read("users.json") or b"")
    await sink.add_file("users.json", users_digest, [Outgoing.of(e, partitions) for e in residents])


async def publish_group(importer: Importer, tenant: str, name: str, events: list[CloudEvent]) -> EventSink:
    """Publish a named group of events once per tenant (ledgered like a file); returns the closed sink."""
    sink = await importer.sink(tenant)
    try:
        await sink.add_file(f"extra/{name}", _digest_ids(events), [Outgoing.of(e, {}) for e in events])
        await sink.close()
    except BaseException:
        await sink.abort()
        raise
    return sink


def _digest_ids(events: list[CloudEvent]) -> str:
    return digest("\n".join(sorted(e.id for e in events)).encode())


def run(path: str | Path, **kwargs) -> ImportSummary:
    """Synchronous wrapper for the command line."""
    return asyncio.run(run_import(path, **kwargs))
