"""The resident as the onboarding service owns it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from shared.events import Category

# Fields that are personal data: removed on erasure, never kept in a tombstone.
PERSONAL_FIELDS = ("display_name", "real_name", "locale", "tz", "language", "relation", "interests", "category")


class ResidentStatus(StrEnum):
    JOINED = "joined"
    ONBOARDED = "onboarded"
    LEFT = "left"


class Resident(BaseModel):
    tenant: str
    user_id: str
    status: ResidentStatus = ResidentStatus.JOINED
    display_name: str = ""
    real_name: str = ""
    locale: str | None = None
    tz: str | None = None
    language: str | None = None
    category: Category | None = None
    relation: str = ""
    interests: list[str] = Field(default_factory=list)
    consented_at: datetime | None = None
    joined_at: datetime | None = None
    onboarded_at: datetime | None = None
    left_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def key(self) -> str:
        return resident_key(self.tenant, self.user_id)


def resident_key(tenant: str, user_id: str) -> str:
    return f"{tenant}:{user_id}"
