"""The export as a stream of translated files, in this process or in a worker process.

Translating (pydantic models, envelopes, JSON) costs about as much CPU per event as the
Kafka producer's `send`, so a big export is translated in a separate process: the
publishing process then only sends, and the import keeps up with a bare producer. The
worker also picks each event's partition the way the producer's default partitioner does
(murmur2 of the key, as every Kafka client), with a faster murmur2 than aiokafka's byte
loop. Small exports are translated in-process: starting a worker costs more than it saves.
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import queue
import struct
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from shared.envelope import CloudEvent
from services.importer.models import DayFile, ImportFailed, Tally
from services.importer.reader import FileRefused, decode, open_export
from services.importer.translate import Translator

_M = 0x5BD1E995
_MASK = 0xFFFFFFFF
_CHUNK_EVENTS = 2000  # events per message from the worker: amortises the pickling round trip


class Outgoing(NamedTuple):
    """An event ready for the producer: serialized, keyed, and (when known) its partition.

    Crosses from the worker as a plain tuple (pickling named tuples costs five times more),
    so whoever reads one unpacks it by position.
    """

    id: str
    type: str
    key: bytes
    value: bytes
    partition: int | None = None

    @classmethod
    def of(cls, event: CloudEvent, partitions: dict[str, list[int]]) -> Outgoing:
        key = event.subject.encode()
        known = partitions.get(event.type)
        partition = partition_for(key, known) if known else None
        return cls(event.id, event.type, key, event.to_bytes(), partition)


def partition_for(key: bytes, partitions: list[int]) -> int:
    """The partition Kafka's default partitioner picks for `key` among sorted `partitions`."""
    return partitions[(murmur2(key) & 0x7FFFFFFF) % len(partitions)]


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 (as Java's `Utils.murmur2`), reading the body four bytes at a time."""
    length = len(data)
    h = 0x9747B28C ^ length
    body = length & ~3
    for k in struct.unpack(f"<{body >> 2}I", data[:body]):
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ (((k ^ (k >> 24)) * _M) & _MASK)
    tail = data[body:]
    if tail:
        if len(tail) >= 3:
            h ^= tail[2] << 16
        if len(tail) >= 2:
            h ^= tail[1] << 8
        h = ((h ^ tail[0]) * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    return h ^ (h >> 15)


@dataclass
class TranslatedFile:
    """One day file's events, with what progress needs; `readable` False when it was skipped."""

    key: str
    digest: str
    events: list[Outgoing]
    nbytes: int = 0
    messages: int = 0
    readable: bool = True


@dataclass
class TranslationDone:
    """What a translation found besides events: counts and problems, and who was seen when."""

    tally: Tally
    first_seen: dict[str, float] = field(default_factory=dict)
    latest: float | None = None


def translate_files(
    path: str, *, tenant: str, users: list[dict], files: list[DayFile], partitions: dict[str, list[int]],
    problems_listed: int = 200,
) -> Iterator[TranslatedFile | TranslationDone]:
    """Day file by day file; then what was counted and seen (residents are built from that)."""
    source = open_export(path)
    tally = Tally(problems_listed=problems_listed)
    translator = Translator(tenant=tenant, users=users, tally=tally)
    try:
        for file in files:
            try:
                raw = source.read(file.path) or b""
            except FileRefused as exc:
                tally.problem("file refused", file.path, str(exc))
                yield TranslatedFile(file.path, "", [], nbytes=file.size, readable=False)
                continue
            before = tally.counts["messages"]
            events = _day_events(file, raw, translator, tally)
            if events is None:
                yield TranslatedFile(file.path, "", [], nbytes=file.size, readable=False)
                continue
            tally.counts["events"] += len(events)
            outgoing = [Outgoing.of(e, partitions) for e in events]
            yield TranslatedFile(file.path, digest(raw), outgoing, nbytes=file.size, messages=tally.counts["messages"] - before)
        yield TranslationDone(tally=tally, first_seen=translator.first_seen, latest=translator.latest)
    finally:
        source.close()


def digest(raw: bytes) -> str:
    """Identifies a file's exact bytes in the ledger."""
    return hashlib.blake2b(raw, digest_size=12).hexdigest()


def _day_events(file: DayFile, raw: bytes, translator: Translator, tally: Tally) -> list[CloudEvent] | None:
    entries = decode(raw, file.path, tally)
    if entries is None:
        return None
    if not isinstance(entries, list):
        tally.problem("day file not a list", file.path, f"holds a JSON {type(entries).__name__}, not a list of messages; skipped", 1)
        return None
    tally.counts["day_files"] += 1
    return translator.day(file, entries, raw)


def _worker(out: multiprocessing.Queue, path: str, kwargs: dict) -> None:
    """A worker process: translate its share of the files, sending them in chunks of whole files."""
    try:
        chunk: list[TranslatedFile] = []
        size = 0
        for item in translate_files(path, **kwargs):
            if isinstance(item, TranslationDone):
                if chunk:
                    out.put(chunk)
                out.put(item)
                return
            item.events = [tuple(e) for e in item.events]
            chunk.append(item)
            size += len(item.events)
            if size >= _CHUNK_EVENTS:
                out.put(chunk)
                chunk, size = [], 0
    except BaseException as exc:  # tell the parent, whatever it was
        out.put(ImportFailed(f"translation failed: {type(exc).__name__}: {exc}"))


async def translated_stream(
    path: str, *, workers: int, files: list[DayFile], **kwargs
) -> AsyncIterator[TranslatedFile | TranslationDone]:
    """The export's translated files, from `workers` processes (0: in this one).

    Each worker takes every n-th file, so all of them advance through the export together;
    each ends with its own `TranslationDone`.
    """
    if workers <= 0:
        for item in translate_files(path, files=files, **kwargs):
            yield item
        return
    async for item in _from_workers(path, workers, files, kwargs):
        yield item


async def _from_workers(path: str, workers: int, files: list[DayFile], kwargs: dict) -> AsyncIterator[TranslatedFile | TranslationDone]:
    context = multiprocessing.get_context("spawn")  # no fork of a process running an event loop
    queues = [context.Queue(maxsize=8) for _ in range(workers)]
    processes = [
        context.Process(target=_worker, args=(queues[i], path, {**kwargs, "files": files[i::workers]}),
                        name=f"oco-import-translate-{i}", daemon=True)
        for i in range(workers)
    ]
    for process in processes:
        process.start()
    loop = asyncio.get_running_loop()
    try:
        active = list(range(workers))
        while active:
            for i in list(active):
                item = await loop.run_in_executor(None, _get, queues[i], processes[i])
                if isinstance(item, ImportFailed):
                    raise item
                if isinstance(item, TranslationDone):
                    active.remove(i)
                    yield item
                    continue
                for translated in item:
                    yield translated
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join(timeout=5)
        for results in queues:
            results.close()


def _get(results: multiprocessing.Queue, process) -> object:
    """A worker's next message; ImportFailed if it died without a word."""
    while True:
        try:
            return results.get(timeout=1.0)
        except queue.Empty:
            if not process.is_alive():
                return ImportFailed(f"the translation process ended unexpectedly (exit code {process.exitcode})")
