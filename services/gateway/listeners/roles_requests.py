"""The roles commands' syntax, the events they publish, and the roles lookup.

The gateway only checks syntax; whether the person may appoint or revoke is decided by the
roles service from its own grants, and its answer comes back through the notifier (an
ephemeral in the channel, so Slack's `response_url`, a capability, is not put on the bus).
`/oco roles` asks the roles service's read-only endpoint (`GET /roles/{tenant}/{user}`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared import topics
from shared.departments import Department
from shared.envelope import CloudEvent, derive_id, new_event
from shared.events import (
    Category,
    OfficeRole,
    RoleApplicationReviewed,
    RoleApplicationSubmitted,
    RoleAppointmentRequested,
    RoleRevocationRequested,
)
from services.gateway.listeners.roles_forms import ApplicationForm

ROLE_LABELS: dict[str, str] = {
    Category.CITIZEN: "市民 / citizen",
    Category.PROSPECTIVE_MIGRANT: "移住検討中 / prospective migrant",
    Category.REMOTE_CITIZEN: "まちの応援団 / remote citizen",
    OfficeRole.EMPLOYEE: "職員 / employee",
    OfficeRole.SECTION_CHIEF: "課長 / section chief",
    OfficeRole.AMBASSADOR: "アンバサダー / ambassador",
    OfficeRole.ADMIN: "管理者 / admin",
}
# Slack user ids are about a dozen characters; a longer "id" is not a person.
_MENTION = re.compile(r"^<@([UW][A-Z0-9]{2,30})(?:\|[^>]*)?>$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")


class RolesLookupSettings(BaseSettings):
    """Where the gateway finds the roles service's read endpoint."""

    model_config = SettingsConfigDict(env_prefix="OCO_", extra="ignore")

    roles_url: str = "http://127.0.0.1:8102"
    roles_lookup_timeout_seconds: float = 1.5


class CommandSyntaxError(ValueError):
    """The command's words don't parse; the message says how to write it."""


@dataclass(frozen=True)
class RoleRequest:
    """`appoint` / `revoke` as typed: who, which role, and the optional term and department."""

    target_user_id: str
    role: str
    department: str | None = None
    term_ends_on: str | None = None
    term_ends_at: datetime | None = None


def parse_user(word: str) -> str:
    """A Slack user id from a mention (`<@U123|name>`) or a bare id."""
    if match := _MENTION.match(word):
        return match.group(1)
    if _USER_ID.match(word):
        return word
    raise CommandSyntaxError(
        f"`{word[:40]}` は人として読めません。候補から @ で選んでください。 / "
        f"`{word[:40]}` is not a person: pick them from the @ suggestions."
    )


def parse_role_request(args: list[str], *, departments: list[Department], allow_term: bool) -> RoleRequest:
    """`@someone ROLE [until DATE] [department]` (the term only when `allow_term`)."""
    if len(args) < 2:
        raise CommandSyntaxError("人と役割を指定してください。 / Name a person and a role.")
    target, role = parse_user(args[0]), args[1].lower().replace("-", "_")
    if role not in ROLE_LABELS:
        raise CommandSyntaxError(f"役割 `{role[:40]}` はありません。 / There is no role `{role[:40]}`: use {', '.join(ROLE_LABELS)}.")
    ends_on, ends_at, department, rest = None, None, None, list(args[2:])
    while rest:
        word = rest.pop(0)
        if word.lower() == "until" and allow_term and rest:
            ends_on, ends_at = _parse_term(rest.pop(0))
        elif department is None and (found := _department(word, departments)):
            department = found
        else:
            raise CommandSyntaxError(f"`{word[:40]}` が読めません。 / Could not read `{word[:40]}`.")
    return RoleRequest(target, role, department, ends_on, ends_at)


def _parse_term(word: str) -> tuple[str | None, datetime | None]:
    try:
        if len(word) == 10:
            return date.fromisoformat(word).isoformat(), None
        moment = datetime.fromisoformat(word)
    except ValueError:
        raise CommandSyntaxError(f"`{word[:40]}` は日付ではありません（YYYY-MM-DD）。 / `{word[:40]}` is not a date (YYYY-MM-DD).") from None
    if moment.tzinfo is None:
        raise CommandSyntaxError("時刻にはタイムゾーンを付けてください（例 +09:00）。 / Give the time zone, e.g. +09:00.")
    return None, moment


def _department(word: str, departments: list[Department]) -> str | None:
    wanted = word.strip("#").lower()
    for d in departments:
        if wanted in (d.key.lower(), d.name_ja.lower(), d.name_en.lower(), d.channel_name.lower()):
            return d.key
    return None


def _command_id(body: dict[str, Any], tenant: str, label: str) -> str:
    # One id per invocation: a repeated delivery of the same command collapses downstream.
    return derive_id(f"slack:{tenant}:command:{body.get('trigger_id') or ''}", label)


def appointment_requested(body: dict[str, Any], request: RoleRequest, *, tenant: str, actor: str, source: str) -> CloudEvent:
    data = RoleAppointmentRequested(
        actor_id=actor, target_user_id=request.target_user_id, role=request.role, department=request.department,
        term_ends_on=request.term_ends_on, term_ends_at=request.term_ends_at,
        channel_id=body.get("channel_id"),
    )
    return new_event(id=_command_id(body, tenant, "appointment_requested"), type=topics.ROLE_APPOINTMENT_REQUESTED.name,
                     subject=request.target_user_id, tenant=tenant, data=data, source=source)


def revocation_requested(body: dict[str, Any], request: RoleRequest, *, tenant: str, actor: str, source: str) -> CloudEvent:
    data = RoleRevocationRequested(
        actor_id=actor, target_user_id=request.target_user_id, role=request.role, department=request.department,
        channel_id=body.get("channel_id"),
    )
    return new_event(id=_command_id(body, tenant, "revocation_requested"), type=topics.ROLE_REVOCATION_REQUESTED.name,
                     subject=request.target_user_id, tenant=tenant, data=data, source=source)


def application_submitted(body: dict[str, Any], form: ApplicationForm, *, tenant: str, user: str, source: str) -> CloudEvent:
    """One id per modal, so a double submit is one application."""
    view_id = (body.get("view") or {}).get("id") or body.get("trigger_id") or ""
    data = RoleApplicationSubmitted(user_id=user, **form.model_dump())
    return new_event(id=derive_id(f"slack:{tenant}:view:{view_id}", "application_submitted"),
                     type=topics.ROLE_APPLICATION_SUBMITTED.name, subject=user, tenant=tenant, data=data, source=source)


def application_reviewed(
    *, tenant: str, reviewer: str, application_id: str, decision: str, marker: str, source: str,
    reason: str = "", channel_id: str | None = None, message_ts: str | None = None,
) -> CloudEvent:
    """A review attempt; `marker` (the click or the modal) makes a repeated delivery collapse."""
    data = RoleApplicationReviewed(
        application_id=application_id, reviewer_id=reviewer, decision=decision, reason=reason,
        channel_id=channel_id, message_ts=message_ts,
    )
    return new_event(id=derive_id(f"slack:{tenant}:{reviewer}", f"review/{application_id}/{marker}"),
                     type=topics.ROLE_APPLICATION_REVIEWED.name, subject=application_id, tenant=tenant,
                     data=data, source=source)


class RolesLookup:
    """Asks the roles service which roles a person holds."""

    def __init__(self, settings: RolesLookupSettings) -> None:
        self.base_url = settings.roles_url.rstrip("/")
        self.timeout = settings.roles_lookup_timeout_seconds

    async def roles_of(self, tenant: str, user_id: str) -> list[dict[str, Any]]:
        """The person's active roles; raises httpx.HTTPError when the service can't answer."""
        async with httpx.AsyncClient(timeout=self.timeout) as http:
            response = await http.get(f"{self.base_url}/roles/{tenant}/{user_id}")
            response.raise_for_status()
            return list(response.json().get("roles") or [])


def describe_roles(user_id: str, roles: list[dict[str, Any]], departments: list[Department]) -> str:
    """One line per role, with its department and the end of its term."""
    names = {d.key: f"{d.name_ja} / {d.name_en}" for d in departments}
    if not roles:
        return f"<@{user_id}> にはまだ役割がありません。 / <@{user_id}> holds no roles yet."
    lines = [f"<@{user_id}> の役割 / Roles of <@{user_id}>:"]
    for r in roles:
        line = f"• {ROLE_LABELS.get(r['role'], r['role'])}"
        if r.get("department"):
            line += f" — {names.get(r['department'], r['department'])}"
        if r.get("term_ends_at"):
            line += f"（〜{r['term_ends_at'][:10]} / until {r['term_ends_at'][:10]}）"
        lines.append(line)
    return "\n".join(lines)
