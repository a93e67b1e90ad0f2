"""`oco announce`: publish a city announcement (`city.announcement_published`) the way any city
system would: the project's CloudEvents envelope, keyed by its subject, on the catalogue topic.

The notifier posts it in the announcements department's channel and DMs the residents whose
interests match `--interests` (none: the channel post only). Sending again with the same
`--id` announces once: the id is the event id every consumer de-duplicates on.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import uuid
from pathlib import Path

from aiokafka.errors import KafkaError
from pydantic import ValidationError

from shared import topics
from shared.admin import desired_topics, ensure_topics
from shared.bus import Publisher, make_broker
from shared.departments import load_departments
from shared.envelope import CloudEvent, new_event
from shared.events import AnnouncementPublished
from shared.settings import KafkaSettings

SOURCE = "oco/cli"
CONNECT_TIMEOUT = 20.0


def register(sub) -> None:
    parser = sub.add_parser("announce", help="publish a city announcement to its channel and interested residents")
    parser.add_argument("--tenant", required=True, help="the city's Slack team id, e.g. T0123ABCD")
    parser.add_argument("--title", required=True, help="the title (at most 150 characters)")
    parser.add_argument("--body", required=True, help="the Japanese text; @FILE reads it from a file")
    parser.add_argument("--body-en",
                        help="the English text (beneath the Japanese, and in English DMs); @FILE reads a file")
    parser.add_argument("--interests", default="",
                        help="comma-separated department keys whose residents also get a DM, e.g. moving,childcare")
    parser.add_argument("--id", help="the announcement's id; re-sending the same id announces once (default: a new id)")
    parser.add_argument("--source", default=SOURCE, help=f"who publishes it (default: {SOURCE})")
    parser.add_argument("--dry-run", action="store_true", help="print the event instead of publishing it")
    parser.set_defaults(func=run)


def text_argument(value: str | None) -> str | None:
    """The value itself, or a file's text for `@path`."""
    if value is None or not value.startswith("@"):
        return value
    return Path(value[1:]).read_text(encoding="utf-8")


def interest_keys(raw: str) -> list[str]:
    return list(dict.fromkeys(key.strip() for key in raw.split(",") if key.strip()))


def announcement_event(args) -> CloudEvent:
    """The envelope `args` describe; raises ValidationError for an invalid announcement."""
    data = AnnouncementPublished(title=args.title.strip(), body=text_argument(args.body),
                                 body_en=text_argument(args.body_en) or None, interests=interest_keys(args.interests))
    event_id = args.id or str(uuid.uuid4())
    return new_event(id=event_id, type=topics.ANNOUNCEMENT_PUBLISHED.name, subject=event_id, tenant=args.tenant,
                     data=data, source=args.source)


def unknown_interests(interests: list[str]) -> list[str]:
    known = {d.key for d in load_departments()}
    return [key for key in interests if key not in known]


async def publish(event: CloudEvent, kafka: KafkaSettings) -> None:
    broker = make_broker(kafka, service="cli")
    wanted = {event.type, topics.topic(event.type).dlq}
    # A city system's Kafka user may not create topics (the services do): then just publish.
    with contextlib.suppress(KafkaError):
        await asyncio.wait_for(ensure_topics(kafka, [t for t in desired_topics() if t.name in wanted]), CONNECT_TIMEOUT)
    try:
        await asyncio.wait_for(broker.connect(), CONNECT_TIMEOUT)
        await Publisher(broker, service="cli").publish(event)
    finally:
        await broker.stop()


def reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors())
    return str(exc)


def run(args) -> int:
    try:
        event = announcement_event(args)
    except (ValidationError, OSError) as exc:
        print(f"oco announce: not a valid announcement: {reason(exc)}", file=sys.stderr)
        return 2
    unknown = unknown_interests(event.data.get("interests", []))
    if unknown:
        print(f"oco announce: warning: no department has the key(s) {', '.join(unknown)} "
              "(OCO_DEPARTMENTS); nobody is interested in them", file=sys.stderr)
    if args.dry_run:
        print(event.model_dump_json(indent=2, exclude_none=True))
        return 0
    try:
        asyncio.run(publish(event, KafkaSettings()))
    except (KafkaError, OSError, TimeoutError) as exc:
        print(f"oco announce: could not publish to Kafka: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"published announcement {event.id} to {event.type} (tenant {event.tenant})")
    return 0
