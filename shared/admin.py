"""Topic administration through Kafka's admin API (the CLI tools are a separate artifact)."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.settings import KafkaSettings
from shared.topics import CATALOGUE, DLQ_SUFFIX


def _admin(kafka: KafkaSettings) -> AIOKafkaAdminClient:
    from shared.bus import _security

    kwargs = {}
    security = _security(kafka)
    if security is not None:
        from faststream.kafka.security import parse_security

        kwargs = parse_security(security)
    return AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap, client_id="oco-admin", **kwargs)


def desired_topics() -> list[NewTopic]:
    """Every catalogue topic and its DLQ; domain topics keep their events (no time-based deletion)."""
    keep = {"retention.ms": "-1"}
    topics = []
    for t in CATALOGUE.values():
        topics.append(NewTopic(t.name, t.partitions, 1, topic_configs=keep))
        topics.append(NewTopic(t.name + DLQ_SUFFIX, 1, 1, topic_configs=keep))
    return topics


async def list_topics(kafka: KafkaSettings) -> list[str]:
    admin = _admin(kafka)
    await admin.start()
    try:
        return sorted(await admin.list_topics())
    finally:
        await admin.close()


async def ensure_topics(kafka: KafkaSettings, topics: list[NewTopic] | None = None) -> list[str]:
    """Create the missing topics; returns the names created. Safe to call from every service."""
    admin = _admin(kafka)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in (topics or desired_topics()) if t.name not in existing]
        created = []
        for new in missing:
            try:
                await admin.create_topics([new])
                created.append(new.name)
            except TopicAlreadyExistsError:
                pass
        return created
    finally:
        await admin.close()


def kafka_client_kwargs(kafka: KafkaSettings) -> dict:
    """Connection keyword arguments (servers, TLS, SASL) for a plain aiokafka client."""
    from faststream.kafka.security import parse_security

    from shared.bus import _security

    security = _security(kafka)
    return {"bootstrap_servers": kafka.bootstrap, **(parse_security(security) if security is not None else {})}
