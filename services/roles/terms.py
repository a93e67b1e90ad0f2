"""The background job that ends appointments whose term is over.

Every instance of the service runs it. The revocation marker decides which instance ends
a grant; the winner records it, publishes `role.revoked` (telling the person and the
admins) and only then frees the slot, so a crash in between leaves the grant visible
as ended-but-active, and after `term_claim_stale_seconds` another instance finishes it
with the same event id.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta

from services.roles import grants
from services.roles.config import RolesSettings
from services.roles.models import Grant, RevokeCause
from services.roles.store import RoleStore

log = logging.getLogger(__name__)

BATCH = 100


class TermKeeper:
    """Ends grants whose `term_ends_at` has passed, once across all instances."""

    def __init__(self, store: RoleStore, publisher, settings: RolesSettings, *, instance: str | None = None) -> None:
        self.store = store
        self.publisher = publisher
        self.settings = settings
        self.instance = instance or f"terms-{uuid.uuid4()}"

    async def run(self) -> None:
        """Check every `term_check_seconds` until cancelled; a failed round is logged and retried."""
        while True:
            try:
                await self.end_terms()
            except asyncio.CancelledError:
                raise
            except Exception:  # the store or the bus is away: try again next round
                log.exception("ending terms failed; retrying in %.0fs", self.settings.term_check_seconds)
            await asyncio.sleep(self.settings.term_check_seconds)

    async def end_terms(self, now: datetime | None = None) -> int:
        """End every term over by `now`; returns how many this instance ended."""
        ended = 0
        for grant in await self.store.ended_terms(now or datetime.now(UTC), BATCH):
            ended += await self._end(grant)
        return ended

    async def _end(self, grant: Grant) -> int:
        done = await grants.revoke(
            self.store, grant, cause_id=f"term-end/{grant.grant_id}", claimant=self.instance,
            revoked_by=None, reason="term ended", cause=RevokeCause.TERM_ENDED,
            stale_after=timedelta(seconds=self.settings.term_claim_stale_seconds),
        )
        if done is None:
            return 0  # another instance is ending it
        revoked, claim = done
        admins = await grants.admin_ids(self.store, tenant=grant.tenant, admins=self.settings.admins)
        event = await grants.revoked_event(self.store, revoked, claim, notify=[a for a in admins if a != grant.user_id])
        await self.publisher.publish(event)
        await self.store.free_slot(revoked)
        log.info("term ended", extra={"fields": {"tenant": grant.tenant, "role": grant.role, "grant_id": grant.grant_id}})
        return 1
