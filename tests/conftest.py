"""Session-wide infrastructure: the real Kafka broker and document store.

When OCO_KAFKA_BOOTSTRAP and OCO_MONGO_URL point at running servers they are used as they
are; otherwise the local ones are started with `oco.infra` (and left running for the next
run). A missing server is a test failure, never a skip.
"""

from __future__ import annotations

import os
import socket
import uuid

import pytest

from oco import infra


# Consumer groups of this test session are its own; they start at the topics' end.
SESSION = uuid.uuid4().hex[:8]
os.environ.setdefault("OCO_CONSUMER_GROUP_PREFIX", f"test-{SESSION}")
os.environ.setdefault("OCO_CONSUMER_OFFSET_RESET", "latest")
# ...and so are its databases, dropped when the session ends.
os.environ.setdefault("OCO_DATABASE_PREFIX", f"t{SESSION}_")


@pytest.fixture(autouse=True)
def own_consumer_groups(monkeypatch, request):
    """Each test gets consumer groups of its own, so it never inherits another test's
    backlog; services it restarts within the test share them, as a real restart would."""
    monkeypatch.setenv("OCO_CONSUMER_GROUP_PREFIX", f"test-{SESSION}-{uuid.uuid4().hex[:6]}")


def _reachable(hostport: str) -> bool:
    host, _, port = hostport.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def infrastructure() -> dict[str, str]:
    """Real Kafka and FerretDB/MongoDB, reachable, with the catalogue's topics created."""
    if not (os.environ.get("OCO_KAFKA_BOOTSTRAP") and os.environ.get("OCO_MONGO_URL")):
        try:
            infra.up()
        except infra.InfraError as exc:
            pytest.fail(f"could not start the local infrastructure: {exc}")
        os.environ.update(infra.local_env())
    bootstrap = os.environ["OCO_KAFKA_BOOTSTRAP"]
    if not _reachable(bootstrap.split(",")[0]):
        pytest.fail(f"Kafka is not reachable at {bootstrap}")
    import asyncio

    from shared.admin import ensure_topics
    from shared.settings import KafkaSettings

    asyncio.run(ensure_topics(KafkaSettings()))
    yield {"kafka": bootstrap, "mongo": os.environ["OCO_MONGO_URL"]}
    asyncio.run(_drop_session_databases(os.environ["OCO_MONGO_URL"], os.environ["OCO_DATABASE_PREFIX"]))


async def _drop_session_databases(url: str, prefix: str) -> None:
    from shared.store import connect

    client = connect(url)
    try:
        for name in await client.list_database_names():
            if prefix and name.startswith(prefix):
                await client.drop_database(name)
    finally:
        await client.close()


def pytest_collection_modifyitems(items):
    """Integration and e2e tests need the real servers: give them the fixture."""
    for item in items:
        if item.get_closest_marker("integration") or item.get_closest_marker("e2e") or item.get_closest_marker("browser"):
            item.fixturenames.insert(0, "infrastructure")
