"""What the notifier keeps: a record per delivery (ids only) and, per resident, the little
it needs to speak to them (Slack locale, last known interests) until they are erased."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class DeliveryState(StrEnum):
    SENDING = "sending"      # claimed; the Slack call may or may not have happened
    DELIVERED = "delivered"  # Slack accepted it; channel and ts recorded
    FAILED = "failed"        # Slack refused it; a replay from the DLQ may try again


class Delivery(BaseModel):
    """One outbound Slack call made on behalf of one event, under a unique `key`."""

    key: str = Field(description="`<cause event id>/<step>`, e.g. `…/welcome_dm`.")
    tenant: str
    method: str
    cause_event_id: str
    state: DeliveryState = DeliveryState.SENDING
    channel: str | None = None
    ts: str | None = None
    error: str | None = None
    claimed_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class KnownResident(BaseModel):
    """Personal data the notifier caches; deleted when the resident is erased."""

    tenant: str
    user_id: str
    locale: str | None = Field(None, description="Slack locale; empty string = asked Slack, none given.")
    interests: list[str] | None = Field(None, description="Department keys of the last profile seen.")
    language: str | None = Field(None, description="Language chosen in the profile (ja/en); wins over the locale.")
    dm_channel: str | None = Field(None, description="The bot's DM channel with them, so broadcasts skip conversations.open.")


def resident_key(tenant: str, user_id: str) -> str:
    return f"{tenant}:{user_id}"
