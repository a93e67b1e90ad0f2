"""The examples in docs/city-systems.md are events the services accept, so the page can't go stale."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from shared.bus import Consumer
from shared.envelope import CloudEvent
from shared.testing import FakePublisher
from shared.store import InMemoryHandledEvents
from shared.topics import CATALOGUE

pytestmark = pytest.mark.unit

PAGE = Path(__file__).resolve().parents[2] / "docs" / "city-systems.md"


def code_blocks(language: str) -> list[str]:
    """The page's fenced code blocks in `language`."""
    return re.findall(rf"```{language}\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)


def kcat_events() -> list[tuple[str, str, str]]:
    """(topic, key, value) of every `echo '…' | kcat -P … -t TOPIC -k KEY` example."""
    found = []
    for block in code_blocks("sh"):
        for value, topic, key in re.findall(r"echo '(\{.*?\})'.*?kcat -P .*?-t (\S+) -k (\S+)", block, flags=re.S):
            found.append((topic, key, value))
    return found


def examples() -> list[tuple[str, str, bytes]]:
    events = [CloudEvent.model_validate_json(b) for b in code_blocks("json")]
    return [(e.type, e.subject, e.to_bytes()) for e in events] + [(t, k, v.encode()) for t, k, v in kcat_events()]


def test_the_page_has_an_example_of_each_topic_for_city_systems():
    assert {topic for topic, _, _ in examples()} == {"city.announcement_published", "resident.moved_in"}


@pytest.mark.parametrize("topic, key, value", examples())
async def test_each_example_is_handled_and_keyed_by_its_subject(topic, key, value):
    handled = []

    async def handler(event):
        handled.append(event)

    consumer = Consumer(topic=CATALOGUE[topic], group="docs", handler=handler, publisher=FakePublisher(),
                        handled=InMemoryHandledEvents(), service="docs")
    assert await consumer.process(value, headers={}) == "handled"
    assert handled[0].subject == key and json.loads(value)["type"] == topic
