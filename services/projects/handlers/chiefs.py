"""The replica of section-chief grants, kept from the roles service's events.

Answering proposals is authorised by these grants, never by what a Slack message showed.
One document per role event (insert-only), so grants and revokes arriving out of order
resolve by their time, not by their arrival.
"""

from __future__ import annotations

from shared.envelope import CloudEvent, TypedEvent
from shared.events import OfficeRole, RoleGranted, RoleRevoked
from services.projects.models import ALL_GRANTS, ChiefChange
from services.projects.store import ProjectsStore


async def when_role_granted_record_chief(event: TypedEvent[RoleGranted], *, store: ProjectsStore) -> list[CloudEvent]:
    """Remember a section-chief grant; other roles are not the projects service's business."""
    data = event.data
    if data.role != OfficeRole.SECTION_CHIEF:
        return []
    await store.record_chief_change(ChiefChange(
        tenant=event.tenant, user_id=data.user_id, event_id=event.id, active=True, at=event.time,
        grant_key=data.grant_id or f"department:{data.department or ''}", department=data.department,
        term_ends_at=data.term_ends_at,
    ))
    return []


async def when_role_revoked_record_chief(event: TypedEvent[RoleRevoked], *, store: ProjectsStore) -> list[CloudEvent]:
    """Remember the end of a section-chief grant (one grant, or all when it names none)."""
    data = event.data
    if data.role != OfficeRole.SECTION_CHIEF:
        return []
    grant_key = data.grant_id or (f"department:{data.department}" if data.department else ALL_GRANTS)
    await store.record_chief_change(ChiefChange(
        tenant=event.tenant, user_id=data.user_id, event_id=event.id, active=False, at=event.time,
        grant_key=grant_key, department=data.department,
    ))
    return []
