"""Who may do what with roles: decided from this service's own grants, never from Slack UI.

- A `section_chief` or an `admin` is appointed by an admin; an `ambassador` by an admin or
  a section chief. Category roles are self-declared; `employee` is gained by applying.
- Revoking follows the same rules (a section chief may also revoke an employee). Admins
  set in the configuration cannot be revoked: the configuration is their record.
- Applications are reviewed by section chiefs, never one's own; a rejection needs a reason.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.events import OfficeRole
from services.roles.models import CATEGORY_ROLES, Actor, Application

ADMIN = OfficeRole.ADMIN.value
SECTION_CHIEF = OfficeRole.SECTION_CHIEF.value
AMBASSADOR = OfficeRole.AMBASSADOR.value
EMPLOYEE = OfficeRole.EMPLOYEE.value
# Roles that may be held for one department (課).
DEPARTMENT_ROLES = frozenset({SECTION_CHIEF, AMBASSADOR})


class Refused(Exception):
    """An attempt the rules do not allow; becomes a `role.denied` event."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def check_appointment(actor: Actor, role: str | None, *, department: str | None, departments: set[str]) -> str:
    """The role to grant, or Refused saying why `actor` may not appoint it."""
    role = _office_role(role)
    if role == EMPLOYEE:
        raise Refused("apply_instead", "employees are recruited through /oco apply and a section chief's approval")
    if department is not None:
        if role not in DEPARTMENT_ROLES:
            raise Refused("no_department", f"the {role} role is not held for a department")
        if department not in departments:
            raise Refused("unknown_department", f"there is no department {department!r}")
    _check_authority(actor, role, verb="appoint")
    return role


def check_revocation(actor: Actor, role: str | None, *, target_admin_by_config: bool) -> str:
    """The role to revoke, or Refused saying why `actor` may not revoke it."""
    role = _office_role(role)
    if role == ADMIN and target_admin_by_config:
        raise Refused("configured_admin", "this admin is set in the configuration (OCO_ADMINS), not by a grant")
    _check_authority(actor, role, verb="revoke")
    return role


def check_review(actor: Actor, application: Application, *, decision: str, reason: str) -> None:
    """Refused unless `actor` may take this decision on `application`."""
    if not actor.is_section_chief:
        raise Refused("not_authorised", "only section chiefs can review applications")
    if actor.user_id == application.user_id:
        raise Refused("own_application", "you cannot review your own application")
    if decision == "reject" and not reason.strip():
        raise Refused("reason_required", "a rejection needs a reason for the applicant")


def term_end(
    role: str, *, ends_on: str | None, ends_at: datetime | None, now: datetime, default_days: int, zone: str
) -> datetime | None:
    """When the appointment ends: exact time, end of the given day in city time, or the default term."""
    if ends_at is None and ends_on is not None:
        try:
            last_day = date.fromisoformat(ends_on)
        except ValueError:
            raise Refused("bad_term", f"{ends_on!r} is not a date (YYYY-MM-DD)") from None
        ends_at = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=ZoneInfo(zone))
    if ends_at is None and role == SECTION_CHIEF:
        ends_at = now + timedelta(days=default_days)  # section chiefs always serve a fixed term
    if ends_at is not None and ends_at <= now:
        raise Refused("term_in_past", "the term would already have ended")
    return ends_at.astimezone(UTC) if ends_at is not None else None


def _office_role(role: str | None) -> str:
    if role is None:
        raise Refused("unknown_role", "unknown role; use section_chief, ambassador, employee or admin")
    if role in CATEGORY_ROLES:
        raise Refused("self_declared", "category roles are declared by residents in their profile")
    return role


def _check_authority(actor: Actor, role: str, *, verb: str) -> None:
    chiefs_may = (verb, role) in _SECTION_CHIEFS_MAY
    if actor.is_admin or (chiefs_may and actor.is_section_chief):
        return
    who = "an admin or a section chief" if chiefs_may else "an admin"
    raise Refused("not_authorised", f"only {who} can {verb} the {role} role")


# What a section chief may do besides the admins; everything else is for admins only.
_SECTION_CHIEFS_MAY = frozenset({("appoint", AMBASSADOR), ("revoke", AMBASSADOR), ("revoke", EMPLOYEE)})
