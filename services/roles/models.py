"""Grants and applications as the roles service owns them.

Grants keep their history: one record per grant, with revoked fields once it ends. Which
grants are active is a separate slot per (tenant, person, role, department) taken by an
insert under a unique key, because FerretDB's updates are read-then-write and only a
unique insert decides a race. State transitions that must happen once (a revocation, the
decision on an application) are likewise markers inserted under the id they concern.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from shared.events import OFFICE_ROLES, Category, OfficeRole

CATEGORY_ROLES = frozenset(c.value for c in Category)
ALL_ROLES = CATEGORY_ROLES | OFFICE_ROLES


def parse_role(text: str) -> str | None:
    """The role named by `text` (any case, `-` or `_`), or None."""
    name = text.strip().lower().replace("-", "_")
    return name if name in ALL_ROLES else None


def slot_key(tenant: str, user_id: str, role: str, department: str | None) -> str:
    """The unique key of "an active grant of this role (and department) for this person"."""
    return f"{tenant}:{user_id}:{role}:{department or '*'}"


class RevokeCause(StrEnum):
    REVOKED = "revoked"
    TERM_ENDED = "term_ended"
    REPLACED = "replaced"
    LEFT = "left"


class Grant(BaseModel):
    grant_id: str
    tenant: str
    user_id: str
    role: str
    department: str | None = None
    granted_by: str | None = None
    granted_at: datetime
    reason: str = ""
    term_ends_at: datetime | None = None
    application_id: str | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_reason: str = ""
    revoke_cause: str = ""

    @property
    def slot(self) -> str:
        return slot_key(self.tenant, self.user_id, self.role, self.department)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class RevocationClaim(BaseModel):
    """The once-only marker of a grant's end; whoever inserts it first revokes the grant."""

    grant_id: str
    tenant: str
    cause_id: str = Field(description="The event (or term-end job key) the revocation derives its ids from.")
    claimant: str = Field(description="Who may finish it: the cause itself, or one job instance.")
    claimed_at: datetime
    revoked_by: str | None = None
    reason: str = ""
    cause: RevokeCause = RevokeCause.REVOKED


class ApplicationStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


# Free texts of an application that are personal data: removed on erasure.
PERSONAL_FIELDS = ("motivation", "skills", "hours_per_month", "rejection_reason")


class Application(BaseModel):
    application_id: str
    tenant: str
    user_id: str
    role: str = OfficeRole.EMPLOYEE.value
    motivation: str = ""
    skills: str = ""
    hours_per_month: int | None = None
    submitted_at: datetime
    status: ApplicationStatus = ApplicationStatus.OPEN
    decided_by: str | None = None
    decided_at: datetime | None = None
    rejection_reason: str = ""
    erased: bool = False


class Decision(BaseModel):
    """The once-only marker of an application's decision."""

    application_id: str
    tenant: str
    decision: Literal["approve", "reject", "withdraw"]
    reviewer_id: str | None = None
    reason: str = ""
    cause_id: str
    decided_at: datetime

    @property
    def status(self) -> ApplicationStatus:
        return {
            "approve": ApplicationStatus.APPROVED,
            "reject": ApplicationStatus.REJECTED,
            "withdraw": ApplicationStatus.WITHDRAWN,
        }[self.decision]


@dataclass(frozen=True)
class Actor:
    """Someone attempting an action, with the roles this service has granted them."""

    user_id: str
    grants: tuple[Grant, ...] = ()
    admin_by_config: bool = False

    def holds(self, role: str) -> bool:
        return any(g.role == role and g.active for g in self.grants)

    @property
    def is_admin(self) -> bool:
        return self.admin_by_config or self.holds(OfficeRole.ADMIN)

    @property
    def is_section_chief(self) -> bool:
        return self.holds(OfficeRole.SECTION_CHIEF)
