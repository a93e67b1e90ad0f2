"""The import from export to producer on fakes: what is sent, what the ledger keeps, replays."""

from __future__ import annotations

import asyncio
import io
import json
import os
from collections import Counter

import pytest
from aiokafka.errors import KafkaTimeoutError
from aiokafka.partitioner import DefaultPartitioner, murmur2 as aiokafka_murmur2

from shared import topics
from shared.envelope import CloudEvent
from services.importer.config import ImporterSettings
from services.importer.main import Importer, publish_export, read_export
from services.importer.models import ImportFailed
from services.importer.progress import Progress, render_summary
from services.importer.store import InMemoryImportLedger
from services.importer.stream import murmur2, partition_for, translated_stream
from tests.unit.test_import_fixtures import HOUSTON, good_days, message, write_export

pytestmark = pytest.mark.unit


class FakeBatch:
    """Like the producer's batch builder: takes records until it holds `room` of them."""

    def __init__(self, room: int) -> None:
        self.records: list[dict] = []
        self.room = room

    def append(self, *, timestamp, key, value, headers):
        if len(self.records) >= self.room:
            return None
        self.records.append({"key": key, "value": value, "headers": dict(headers)})
        return object()


class FakeProducer:
    """Records what it is asked to send, one by one or in batches; acks can be made to fail."""

    def __init__(self, *, fail: bool = False, batch_room: int = 3) -> None:
        self.sent: list[dict] = []
        self.batches = 0
        self.fail = fail
        self.batch_room = batch_room

    async def partitions_for(self, topic: str) -> set[int]:
        return set(range(topics.topic(topic).partitions))

    def _ack(self) -> asyncio.Future:
        ack = asyncio.get_running_loop().create_future()
        if self.fail:
            ack.set_exception(KafkaTimeoutError())
        else:
            ack.set_result(None)
        return ack

    async def send(self, topic, value, *, key=None, partition=None, headers=None):
        if not self.fail:
            self.sent.append({"topic": topic, "value": value, "key": key, "partition": partition, "headers": dict(headers)})
        return self._ack()

    def create_batch(self) -> FakeBatch:
        return FakeBatch(self.batch_room)

    async def send_batch(self, batch: FakeBatch, topic: str, *, partition: int):
        if not self.fail:
            self.batches += 1
            self.sent += [{"topic": topic, "partition": partition, **record} for record in batch.records]
        return self._ack()

    async def flush(self) -> None:
        pass


def importer(ledger=None, producer=None, **settings) -> Importer:
    return Importer(settings=ImporterSettings(import_batch_size=4, import_max_in_flight_batches=2, **settings),
                    mongo=None, ledger=ledger or InMemoryImportLedger(), producer=producer or FakeProducer())


async def run(path, imp: Importer, **kwargs):
    return await publish_export(imp, read_export(path, tenant=kwargs.pop("tenant", None)), progress_stream=io.StringIO(), **kwargs)


async def test_every_event_is_sent_keyed_by_subject_to_the_partition_kafka_would_pick(tmp_path):
    imp = importer()
    summary = await run(write_export(tmp_path / "e"), imp)
    assert imp.producer.batches >= 5  # per topic and partition, at most three records each
    assert (summary.messages, summary.thread_replies, summary.reactions, summary.users) == (5, 1, 4, 3)
    assert summary.published == summary.events == 5 + 4 + 3 + 1 and summary.exit_code == 0
    assert summary.ignored == {"bot or app user in users.json": 1, "notice: bot_message": 1, "notice: channel_join": 1}
    sent = imp.producer.sent
    assert Counter(s["topic"] for s in sent) == {"activity.message_posted": 5, "activity.reaction_added": 4,
                                                 "resident.joined": 3, "resident.left": 1}
    for record in sent:
        event = CloudEvent.from_bytes(record["value"])
        assert record["key"] == event.subject.encode() and event.type == record["topic"]
        assert record["headers"] == {"content-type": b"application/cloudevents+json", "ce_id": event.id.encode()}
        partitions = sorted(await imp.producer.partitions_for(record["topic"]))
        assert record["partition"] == DefaultPartitioner()(record["key"], partitions, partitions)


async def test_a_second_import_sends_nothing_and_a_newer_export_only_what_is_new(tmp_path):
    folder = write_export(tmp_path / "e")
    ledger = InMemoryImportLedger()
    first = await run(folder, importer(ledger))
    again = importer(ledger)
    second = await run(folder, again)
    assert (second.published, second.already_imported, again.producer.sent) == (0, first.published, [])
    assert "nothing new" in render_summary(second)

    days = good_days()
    days["random/2020-01-02.json"].append(message("UBOB", "1577923500.000300", "one more"))
    write_export(folder, days=days)
    newer = importer(ledger)
    third = await run(folder, newer)
    assert third.published == 1 and third.already_imported == first.published
    [record] = newer.producer.sent
    assert CloudEvent.from_bytes(record["value"]).data["ts"] == "1577923500.000300"
    assert (await run(folder, importer(ledger))).published == 0


async def test_nothing_is_recorded_when_the_bus_does_not_acknowledge(tmp_path):
    ledger = InMemoryImportLedger()
    with pytest.raises(ImportFailed, match="did not acknowledge"):
        await run(write_export(tmp_path / "e"), importer(ledger, FakeProducer(fail=True)))
    assert ledger.files == {}
    assert (await run(tmp_path / "e", importer(ledger))).published == 13  # all of it, on the next try


async def test_extra_groups_are_published_once_per_tenant(tmp_path):
    folder = write_export(tmp_path / "e")
    ledger = InMemoryImportLedger()
    event = CloudEvent(id="demo-1", source="tests", type="resident.moved_in", subject="UALICE", tenant="TSMALL01",
                       data={"user_id": "UALICE", "moved_in_on": "2020-02-01T00:00:00Z"})
    first = await run(folder, importer(ledger), extra={"city": [event]})
    second = await run(folder, importer(ledger), extra={"city": [event]})
    assert (first.extra_events, first.published, second.published) == (1, 14, 0)


async def test_bad_files_are_skipped_and_reported_and_the_rest_imported(tmp_path):
    from tests.unit.test_import_fixtures import broken_days

    imp = importer()
    summary = await run(write_export(tmp_path / "e", days=broken_days()), imp)
    assert summary.exit_code == 1
    assert summary.skipped == {"day file not a list": 1, "file name not a date": 2, "file not UTF-8": 2,
                               "invalid JSON": 1, "unknown subtype": 1, "user missing from users.json": 1}
    assert summary.messages == 4  # two in the good file, one beside the bad entries, one after a BOM
    assert summary.notes == ["general/2020-01-05.json: UTF-8 byte-order mark ignored"]
    where = {(p.file, p.line) for p in summary.problems}
    assert ("general/2020-01-02.json", 3) in where and ("general/2020-01-06.json", 3) in where
    assert ("general/2020-01-07.json", 1) in where and ("general/2020-01-03.json", 1) in where
    text = render_summary(summary)
    assert "SKIPPED (bad data)" in text and "general/2020-01-02.json:3: invalid JSON" in text


async def test_worker_processes_translate_like_this_process():
    export = read_export(HOUSTON)
    kwargs = dict(tenant=export.tenant, users=export.users, files=export.files,
                  partitions={"activity.message_posted": list(range(12))}, problems_listed=200)
    found = {}
    for workers in (0, 2):
        items = [item async for item in translated_stream(str(HOUSTON), workers=workers, **kwargs)]
        files = [i for i in items if hasattr(i, "events")]
        counts = Counter()
        for done in (i for i in items if not hasattr(i, "events")):
            counts.update(done.tally.counts)
        found[workers] = ({tuple(e) for f in files for e in f.events}, counts["messages"], len(files))
    assert found[0] == found[2]
    assert found[0][1:] == (1031, 375)


def test_murmur2_and_the_partition_are_kafkas():
    for length in range(40):
        data = os.urandom(length)
        assert murmur2(data) == aiokafka_murmur2(data)
    partitions = list(range(12))
    for n in range(200):
        key = f"C061A2UGJ:1452876787.{n:06d}".encode()
        assert partition_for(key, partitions) == DefaultPartitioner()(key, partitions, partitions)


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_elsewhere():
    bar = Progress(1000, stream=io.StringIO(), tty=True)
    bar.advance(nbytes=250, messages=40)
    assert bar.line().startswith("\rimporting ") and " 25% " in bar.line() and "ETA" in bar.line()
    plain_stream = io.StringIO()
    plain = Progress(1000, stream=plain_stream, tty=False, interval=0)
    plain.advance(nbytes=500, messages=80)
    assert plain_stream.getvalue().startswith("import: 50% of the day files, 80 messages") and "\r" not in plain_stream.getvalue()


def test_the_json_summary_is_one_object(tmp_path):
    summary = asyncio.run(run(write_export(tmp_path / "e"), importer()))
    decoded = json.loads(summary.model_dump_json())
    assert decoded["messages"] == 5 and decoded["exit_code"] == 0 and decoded["tenant"] == "TSMALL01"
