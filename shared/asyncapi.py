"""The AsyncAPI 3.0 document of every topic, built from the topic catalogue.

FastStream can generate AsyncAPI for the subscribers it runs, but many of our topics are
published or read by other city systems that FastStream never sees; the catalogue in
`shared/topics.py` is the source of truth, so the document is built from it: each topic a
channel whose message is the CloudEvents envelope around the topic's data model, keyed by
`subject`, with the `tenant` extension, and each topic's dead-letter channel.

Regenerate the checked-in copies after changing events or topics:

    python -m shared.asyncapi > docs/asyncapi.json
    python -m shared.asyncapi --yaml > docs/asyncapi.yaml
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pydantic.json_schema import models_json_schema

from shared.envelope import CONTENT_TYPE, CloudEvent
from shared.topics import CATALOGUE, Topic

DOCUMENT_VERSION = "1.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
_SCHEMAS = "#/components/schemas/{model}"
DEAD_LETTER = "DeadLetter"

DESCRIPTION = """\
Events of Online City Office. Every message is a CloudEvents 1.0 envelope in structured JSON
mode (the whole envelope is the Kafka value, header `content-type: application/cloudevents+json`),
so any Kafka client can publish and read them. The envelope's `type` equals the topic name, its
`subject` is the entity id and also the Kafka key (one entity's events stay in order), and the
extension attribute `tenant` is the Slack team id of the city. `data` follows the topic's schema,
which carries a `schema_version`; unknown fields are kept, missing or wrong-typed required fields
make the message invalid. Consumers commit after handling and de-duplicate by the envelope `id`.
A message a consumer cannot handle goes, unchanged, to `<topic>.dlq` with the reason in headers.
Domain topics keep their events (retention.ms=-1), so read models can be rebuilt by replaying them.
"""

DEAD_LETTER_HEADERS = {
    "dlq-reason": "Why the message could not be handled (secrets redacted).",
    "dlq-error": "The error type, e.g. `InvalidEvent` or `PermanentError`.",
    "dlq-original-topic": "The topic the message came from.",
    "dlq-consumer-group": "The consumer group that gave up on it.",
    "dlq-failed-at": "When it was dead-lettered (ISO 8601).",
    "dlq-original-partition": "Partition of the original message.",
    "dlq-original-offset": "Offset of the original message.",
}


def _schemas() -> dict[str, Any]:
    """JSON Schemas of the envelope and of every data model, referenced from components."""
    models = [(CloudEvent, "validation")] + [(t.model, "validation") for t in CATALOGUE.values()]
    _, top = models_json_schema(models, ref_template=_SCHEMAS)
    schemas = dict(sorted(top["$defs"].items()))
    envelope = dict(schemas["CloudEvent"])
    envelope["description"] = "CloudEvents 1.0 envelope; `tenant` is an extension attribute."
    envelope["x-cloudevents-extensions"] = ["tenant"]
    schemas["CloudEvent"] = envelope
    return schemas


def _message(topic: Topic) -> dict[str, Any]:
    return {
        "name": topic.model.__name__,
        "title": topic.name,
        "summary": topic.description or (topic.model.__doc__ or "").strip().split("\n")[0],
        "contentType": CONTENT_TYPE,
        "headers": {
            "type": "object",
            "properties": {
                "content-type": {"type": "string", "const": CONTENT_TYPE},
                "ce_id": {"type": "string", "description": "The envelope id (set by the project's publishers)."},
            },
        },
        "payload": {
            "allOf": [
                {"$ref": _SCHEMAS.format(model="CloudEvent")},
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": topic.name},
                        "data": {"$ref": _SCHEMAS.format(model=topic.model.__name__)},
                    },
                    "required": ["data"],
                },
            ]
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The envelope `subject` (entity id)."},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _dead_letter_message() -> dict[str, Any]:
    return {
        "name": DEAD_LETTER,
        "title": "Dead letter",
        "summary": "A message some consumer could not handle, byte for byte, with the reason in headers.",
        "contentType": "application/octet-stream",
        "headers": {
            "type": "object",
            "description": "The original headers are kept; these are added.",
            "properties": {name: {"type": "string", "description": text} for name, text in DEAD_LETTER_HEADERS.items()},
            "required": ["dlq-reason", "dlq-error", "dlq-original-topic", "dlq-consumer-group", "dlq-failed-at"],
        },
        "payload": {"description": "The original message value, unchanged (it may be invalid)."},
        "bindings": {
            "kafka": {"key": {"type": "string", "description": "The original key."}, "bindingVersion": KAFKA_BINDING_VERSION}
        },
    }


def _channels() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    for topic in CATALOGUE.values():
        channels[topic.name] = {
            "address": topic.name,
            "title": topic.name,
            "description": topic.description or (topic.model.__doc__ or "").strip(),
            "messages": {topic.name: {"$ref": f"#/components/messages/{topic.name}"}},
            "bindings": {"kafka": _topic_binding(topic.name, topic.partitions)},
        }
        channels[topic.dlq] = {
            "address": topic.dlq,
            "title": topic.dlq,
            "description": f"Messages from `{topic.name}` that a consumer could not handle.",
            "messages": {DEAD_LETTER: {"$ref": f"#/components/messages/{DEAD_LETTER}"}},
            "bindings": {"kafka": _topic_binding(topic.dlq, 1)},
        }
    return channels


def _topic_binding(name: str, partitions: int) -> dict[str, Any]:
    return {
        "topic": name,
        "partitions": partitions,
        "topicConfiguration": {"retention.ms": -1},
        "bindingVersion": KAFKA_BINDING_VERSION,
    }


def build_document() -> dict[str, Any]:
    """The whole AsyncAPI document as plain data."""
    messages = {topic.name: _message(topic) for topic in CATALOGUE.values()}
    messages[DEAD_LETTER] = _dead_letter_message()
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Online City Office events", "version": DOCUMENT_VERSION, "description": DESCRIPTION},
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "local": {
                "host": "127.0.0.1:19092",
                "protocol": "kafka",
                "description": "The local single-node broker (`oco infra up`). Production uses TLS + SASL.",
            }
        },
        "channels": _channels(),
        "components": {"messages": messages, "schemas": _schemas()},
    }


def render_json(document: dict[str, Any] | None = None) -> str:
    return json.dumps(document or build_document(), indent=2, ensure_ascii=False) + "\n"


def render_yaml(document: dict[str, Any] | None = None) -> str:
    import yaml

    return yaml.safe_dump(document or build_document(), sort_keys=False, allow_unicode=True, width=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.asyncapi", description="Print the AsyncAPI document.")
    parser.add_argument("--yaml", action="store_true", help="YAML instead of JSON")
    args = parser.parse_args(argv)
    sys.stdout.write(render_yaml() if args.yaml else render_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
