"""What the gateway reads from Slack's interactive payloads, validated before it is published."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.gateway import messages
from shared.departments import Department
from shared.events import Category

LANGUAGES = ("ja", "en")
MAX_DISPLAY_NAME = 80
MAX_RELATION = 2000


class ProfileField(StrEnum):
    """Block ids (and action ids) of the profile modal's inputs."""

    CATEGORY = "category"
    DISPLAY_NAME = "display_name"
    LANGUAGE = "language"
    RELATION = "relation"
    INTERESTS = "interests"
    CONSENT = "consent"


CONSENT_VALUE = "agreed"


class ProfileForm(BaseModel):
    """A valid profile modal submission."""

    model_config = ConfigDict(frozen=True)

    category: Category
    display_name: str = Field("", max_length=MAX_DISPLAY_NAME)
    language: str = "ja"
    relation: str = Field("", max_length=MAX_RELATION)
    interests: list[str] = Field(default_factory=list)
    consent: bool


class FormInvalid(Exception):
    """The modal's inputs were not acceptable; `errors` maps block ids to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(sorted(errors)))
        self.errors = errors


def _element(values: dict[str, Any], field: ProfileField) -> dict[str, Any]:
    block = values.get(field.value) or {}
    element = block.get(field.value) or {}
    return element if isinstance(element, dict) else {}


def _text(values: dict[str, Any], field: ProfileField) -> str:
    return str(_element(values, field).get("value") or "").strip()


def _selected(values: dict[str, Any], field: ProfileField) -> str | None:
    option = _element(values, field).get("selected_option") or {}
    return option.get("value") if isinstance(option, dict) else None


def _selected_many(values: dict[str, Any], field: ProfileField) -> list[str]:
    options = _element(values, field).get("selected_options") or []
    return [o["value"] for o in options if isinstance(o, dict) and isinstance(o.get("value"), str)]


def read_profile_form(values: dict[str, Any], *, departments: list[Department]) -> ProfileForm:
    """The submission as a ProfileForm, or FormInvalid naming every block that is wrong."""
    errors: dict[str, str] = {}
    category = _selected(values, ProfileField.CATEGORY)
    if category not in {c.value for c in Category}:
        errors[ProfileField.CATEGORY] = messages.ERROR_CATEGORY
    language = _selected(values, ProfileField.LANGUAGE) or "ja"
    if language not in LANGUAGES:
        errors[ProfileField.LANGUAGE] = messages.ERROR_LANGUAGE
    display_name = _text(values, ProfileField.DISPLAY_NAME)
    if len(display_name) > MAX_DISPLAY_NAME:
        errors[ProfileField.DISPLAY_NAME] = messages.ERROR_TOO_LONG.format(limit=MAX_DISPLAY_NAME)
    relation = _text(values, ProfileField.RELATION)
    if len(relation) > MAX_RELATION:
        errors[ProfileField.RELATION] = messages.ERROR_TOO_LONG.format(limit=MAX_RELATION)
    interests = _selected_many(values, ProfileField.INTERESTS)
    if not set(interests) <= {d.key for d in departments}:
        errors[ProfileField.INTERESTS] = messages.ERROR_INTERESTS
    if CONSENT_VALUE not in _selected_many(values, ProfileField.CONSENT):
        errors[ProfileField.CONSENT] = messages.ERROR_CONSENT
    if errors:
        raise FormInvalid(errors)
    return ProfileForm(
        category=Category(category), display_name=display_name, language=language,
        relation=relation, interests=list(dict.fromkeys(interests)), consent=True,
    )
