"""`oco demo`'s work: generate the demo export, import it, publish what the forms said.

Supports go to the projects service by proposal id, which it derives from the submitted
event's id; a support for a proposal it has not created yet would be refused, so supports
are published once `proposal.created` shows the proposals exist (or skipped, saying so).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared import topics
from shared.settings import KafkaSettings
from services.demo.events import city_events, proposal_id, support_events
from services.demo.generator import generate
from services.demo.models import DemoCity
from services.importer.config import ImporterSettings
from services.importer.main import build, publish_export, publish_group, read_export
from services.importer.models import ImportSummary


@dataclass
class DemoResult:
    city: DemoCity
    out: Path
    summary: ImportSummary | None = None
    supports_published: int = 0
    supports_note: str = ""


async def run_demo(
    out: Path, *, seed: int = 1, start: datetime | None = None, tenant: str | None = None, do_import: bool = True,
    settings: ImporterSettings | None = None, support_wait: float = 30.0, progress_stream: TextIO | None = None,
) -> DemoResult:
    """Generate into `out`; unless `do_import` is False, import it and publish the city's events."""
    city = generate(out, seed=seed, start=start, tenant=tenant)
    result = DemoResult(city=city, out=out)
    if not do_import:
        return result
    settings = settings or ImporterSettings()
    export = read_export(out, tenant=city.tenant)
    importer = build(settings)
    try:
        await importer.start()
        result.summary = await publish_export(importer, export, extra={"demo-city": city_events(city)},
                                              progress_stream=progress_stream)
        supports = support_events(city)
        if not supports:
            result.supports_note = "no support topic in the catalogue: supports not published"
            return result
        wanted = {proposal_id(city, p.index) for p in city.proposals}
        missing = await wait_for_proposals(settings.kafka, city.tenant, wanted, timeout=support_wait)
        if missing:
            result.supports_note = (f"{len(missing)} of {len(wanted)} proposals were not created within {support_wait:.0f}s "
                                    "(is the projects service running?): supports not published; run `oco demo` again later")
            return result
        sink = await publish_group(importer, city.tenant, "demo-supports", supports)
        result.supports_published = sink.published
    finally:
        export.source.close()
        await importer.stop()
    return result


async def wait_for_proposals(kafka: KafkaSettings, tenant: str, wanted: set[str], *, timeout: float) -> set[str]:
    """Read `proposal.created` from its start until every wanted id was seen; the ids still missing."""
    missing = set(wanted)
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap, enable_auto_commit=False, client_id="oco-demo")
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topics.PROPOSAL_CREATED.name) or set()
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topics.PROPOSAL_CREATED.name) or set()
        assigned = [TopicPartition(topics.PROPOSAL_CREATED.name, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        deadline = time.monotonic() + timeout
        while missing and (left := deadline - time.monotonic()) > 0:
            batch = await consumer.getmany(timeout_ms=int(min(left, 1.0) * 1000), max_records=5000)
            for records in batch.values():
                for record in records:
                    missing.discard(_created_id(record.value, tenant))
    finally:
        await consumer.stop()
    return missing


def _created_id(value: bytes | None, tenant: str) -> str | None:
    """The proposal id in a `proposal.created` record of `tenant`; None for anything else."""
    if not value or tenant.encode() not in value:
        return None
    try:
        envelope = json.loads(value)
    except (ValueError, RecursionError):  # other publishers' records may be anything
        return None
    if not isinstance(envelope, dict) or envelope.get("tenant") != tenant or not isinstance(envelope.get("data"), dict):
        return None
    return envelope["data"].get("proposal_id")


def run(out: Path, **kwargs) -> DemoResult:
    """Synchronous wrapper for the command line."""
    return asyncio.run(run_demo(out, **kwargs))
