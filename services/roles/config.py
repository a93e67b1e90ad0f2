"""Settings of the roles service (environment, prefix `OCO_`)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from shared.settings import ServiceSettings


class RolesSettings(ServiceSettings):
    port: int = Field(8102, validation_alias="OCO_ROLES_PORT")
    # Slack user ids of the platform's admins, comma-separated. They are admins in every
    # tenant (city) of the deployment without being seeded: configuration is the record.
    admins: Annotated[frozenset[str], NoDecode] = frozenset()
    # How often the background job looks for terms that have ended.
    term_check_seconds: float = Field(30.0, gt=0)
    # A term-end revocation claimed by an instance that did not finish it within this
    # long (it crashed) is finished by another instance.
    term_claim_stale_seconds: float = Field(120.0, gt=0)
    # A section chief appointed without `until` serves this long.
    section_chief_term_days: int = Field(365, gt=0)
    # `until YYYY-MM-DD` means the end of that day in the city's time zone.
    city_timezone: str = "Asia/Tokyo"

    @field_validator("admins", mode="before")
    @classmethod
    def _split_admins(cls, value):
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("city_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone
        return value
