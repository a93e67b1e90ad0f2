"""The read model's batch writes and its residents per tenant on the real store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.dashboard.models import Fact, FactKind, Message
from services.dashboard.store import MongoReadModel, Rows
from shared.store import connect
from tests.integration.test_dashboard import dashboard_settings, own_database

pytestmark = pytest.mark.integration
AT = datetime(2024, 1, 2, tzinfo=UTC)


def fact(tenant: str, kind: FactKind, who: str) -> Fact:
    return Fact(tenant=tenant, kind=kind, natural_key=f"{who}|{kind.value}", subject=who, at=AT)


async def test_batches_of_rows_collapse_on_their_keys_and_residents_are_counted_per_tenant():
    settings = dashboard_settings()
    mongo = connect(settings.mongo_url.get_secret_value())
    async with own_database(settings):
        try:
            store = MongoReadModel(mongo[f"{settings.database_prefix}oco_dashboard"])
            await store.setup()
            rows = Rows()
            for n in range(5):
                await rows.add_fact(fact("TBIG", FactKind.RESIDENT_JOINED, f"w{n}"))
            for n in range(3):
                await rows.add_fact(fact("TSMALL", FactKind.RESIDENT_JOINED, f"w{n}"))
                await rows.add_fact(fact("TSMALL", FactKind.RESIDENT_LEFT, f"w{n}"))
            await rows.add_fact(fact("TSMALL", FactKind.RESIDENT_ONBOARDED, "w9"))
            await rows.add_message(Message(tenant="TBIG", channel_id="C1", ts="1.0", who="w0", posted_at=AT))
            await rows.add_deletion("TBIG", "C1", "2.0")
            assert await store.add_rows(rows) == 14
            assert await store.add_rows(rows) == 0  # the same batch again: every row a replay
            assert await store.residents_by_tenant() == {"TBIG": 5, "TSMALL": 0}
            assert sorted(await store.tenants()) == ["TBIG", "TSMALL"]
            assert len(await store.messages("TBIG")) == 1 and await store.deleted_messages("TBIG") == {"TBIG|C1|2.0"}
        finally:
            await mongo.close()
