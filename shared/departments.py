"""The city hall's departments (課), each a Slack channel. Configuration, not code: the
catalogue comes from `OCO_DEPARTMENTS` (JSON list) or the file it names; this default is
the pilot city's layout, with channel ids to be filled in per workspace."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import BaseModel, Field, TypeAdapter


class Department(BaseModel):
    key: str = Field(description="Stable key used in profiles and proposals.", examples=["moving"])
    name_ja: str
    name_en: str
    channel_id: str | None = Field(None, description="The department's Slack channel id.")
    channel_name: str = Field(description="Channel name, used when no id is configured.")


DEFAULT_DEPARTMENTS = [
    Department(key="moving", name_ja="移住課", name_en="Moving Here", channel_name="移住課"),
    Department(key="childcare", name_ja="子育て課", name_en="Childcare", channel_name="子育て課"),
    Department(key="photos", name_ja="写真課", name_en="Photos", channel_name="写真課"),
    Department(key="ideas", name_ja="アイデア課", name_en="Ideas", channel_name="アイデア課"),
    Department(key="places", name_ja="おすすめスポット課", name_en="Places Worth Visiting", channel_name="おすすめスポット課"),
    Department(key="announcements", name_ja="お知らせ", name_en="Announcements", channel_name="お知らせ"),
]


def load_departments(raw: str | None = None) -> list[Department]:
    """The catalogue from `OCO_DEPARTMENTS` (inline JSON or a path to a JSON file)."""
    raw = raw if raw is not None else os.environ.get("OCO_DEPARTMENTS", "")
    if not raw.strip():
        return list(DEFAULT_DEPARTMENTS)
    text = raw if raw.lstrip().startswith("[") else Path(raw).read_text(encoding="utf-8")
    return TypeAdapter(list[Department]).validate_python(json.loads(text))


def by_key(departments: list[Department]) -> dict[str, Department]:
    return {d.key: d for d in departments}
