"""`oco topics list|create`: the topic catalogue on the broker."""

from __future__ import annotations

import asyncio

from shared.admin import ensure_topics, list_topics
from shared.settings import KafkaSettings


def register(sub) -> None:
    parser = sub.add_parser("topics", help="list the broker's topics or create the catalogue's")
    parser.add_argument("action", choices=["list", "create"])
    parser.set_defaults(func=run)


def run(args) -> int:
    kafka = KafkaSettings()
    if args.action == "create":
        created = asyncio.run(ensure_topics(kafka))
        print(f"created {len(created)} topics" + (": " + ", ".join(created) if created else " (all existed)"))
    else:
        for name in asyncio.run(list_topics(kafka)):
            print(name)
    return 0
