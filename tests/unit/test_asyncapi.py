"""The AsyncAPI document: complete, self-consistent, and the checked-in copies are fresh."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from shared.asyncapi import build_document, render_json, render_yaml
from shared.topics import CATALOGUE

pytestmark = pytest.mark.unit

DOCS = Path(__file__).resolve().parents[2] / "docs"
REGENERATE = "regenerate: python -m shared.asyncapi > docs/asyncapi.json && python -m shared.asyncapi --yaml > docs/asyncapi.yaml"


def test_the_checked_in_documents_equal_a_fresh_generation():
    assert (DOCS / "asyncapi.json").read_text(encoding="utf-8") == render_json(), REGENERATE
    assert (DOCS / "asyncapi.yaml").read_text(encoding="utf-8") == render_yaml(), REGENERATE
    assert yaml.safe_load((DOCS / "asyncapi.yaml").read_text(encoding="utf-8")) == json.loads(render_json())


def test_every_topic_and_its_dead_letter_topic_is_a_channel_with_its_schema():
    document = build_document()
    assert document["asyncapi"] == "3.0.0"
    for topic in CATALOGUE.values():
        channel = document["channels"][topic.name]
        assert channel["address"] == topic.name
        assert channel["bindings"]["kafka"]["partitions"] == topic.partitions
        message = document["components"]["messages"][topic.name]
        assert message["bindings"]["kafka"]["key"]["type"] == "string"
        data_ref = message["payload"]["allOf"][1]["properties"]["data"]["$ref"]
        schema = _resolve(document, data_ref)
        assert set(topic.model.model_fields) <= set(schema["properties"])
        assert document["channels"][topic.dlq]["messages"]["DeadLetter"]
    envelope = document["components"]["schemas"]["CloudEvent"]
    assert "tenant" in envelope["required"] and "subject" in envelope["required"]
    assert "dlq-reason" in document["components"]["messages"]["DeadLetter"]["headers"]["properties"]


def test_every_reference_resolves():
    document = build_document()
    for ref in _refs(document):
        assert _resolve(document, ref) is not None, ref


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _resolve(document: dict, ref: str):
    node = document
    for part in ref.removeprefix("#/").split("/"):
        node = node.get(part) if isinstance(node, dict) else None
    return node
