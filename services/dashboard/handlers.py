"""The read model's handlers: each turns one event into rows under natural keys.

They emit nothing. Times are the events' own (`joined_at`, `posted_at`, `reacted_at`, the
envelope `time`), never the arrival time, so an import of last year's history lands in
last year's months and a replay gives the same numbers.

Where the data names the thing (a message's channel and ts, a reaction, a join's person and
time, a proposal, a project, a grant id) that is the key, so even a copy under another event
id collapses. Where it does not (an application, an answer, a leave), the event id is the key:
the bus design makes a redelivery or a re-emission after a crash carry the same id.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial

from shared import topics
from shared.batching import BatchHandler
from shared.bus import Handler
from shared.envelope import CloudEvent, TypedEvent
from shared.events import (
    AnnouncementPublished,
    MessagePosted,
    ProjectChannelCreated,
    ProjectCompleted,
    ProjectLaunched,
    ProjectProgressReported,
    ProposalAnswered,
    ProposalCreated,
    ProposalStatusChanged,
    ProposalSupported,
    ReactionAdded,
    ResidentJoined,
    ResidentLeft,
    ResidentMovedIn,
    ResidentOnboarded,
    ResidentRegistered,
    RoleApplicationRejected,
    RoleApplicationSubmitted,
    RoleGranted,
    RoleRevoked,
)
from shared.logging import redact
from services.dashboard.models import (
    DeadLetter,
    Fact,
    FactKind,
    Message,
    Toggle,
    ToggleKind,
    ToggleOp,
    pseudonym,
    utc,
)
from services.dashboard.store import ReadModel, Rows, RowWriter


def _fact(event: TypedEvent, kind: FactKind, *, natural_key: str, subject: str, at: datetime | None = None, **attrs) -> Fact:
    return Fact(tenant=event.tenant, kind=kind, natural_key=natural_key, subject=subject, at=utc(at or event.time), **attrs)


def _joined(event: TypedEvent, user_id: str, joined_at: datetime | None) -> Fact:
    # Keyed by person and time: the gateway's join and onboarding's registration of it collapse.
    who, at = pseudonym(event.tenant, user_id), utc(joined_at or event.time)
    return _fact(event, FactKind.RESIDENT_JOINED, natural_key=f"{who}|{at.isoformat()}", subject=who, at=at)


async def when_resident_joined_record_join(event: TypedEvent[ResidentJoined], *, store: RowWriter) -> list[CloudEvent]:
    """Count the join at the time it happened (the original time on import)."""
    await store.add_fact(_joined(event, event.data.user_id, event.data.joined_at))
    return []


async def when_resident_registered_record_join(event: TypedEvent[ResidentRegistered], *, store: RowWriter) -> list[CloudEvent]:
    """Onboarding's registration confirms a join; the same join collapses with it."""
    await store.add_fact(_joined(event, event.data.user_id, event.data.joined_at))
    return []


async def when_resident_onboarded_record_category(event: TypedEvent[ResidentOnboarded], *, store: RowWriter) -> list[CloudEvent]:
    """Record the category; a later profile update with another category supersedes it."""
    who = pseudonym(event.tenant, event.data.user_id)
    await store.add_fact(
        _fact(event, FactKind.RESIDENT_ONBOARDED, natural_key=event.id, subject=who, category=event.data.category.value)
    )
    return []


async def when_resident_left_record_leave(event: TypedEvent[ResidentLeft], *, store: RowWriter) -> list[CloudEvent]:
    """Count the leave; the read model never held the person's data, only a pseudonym."""
    who = pseudonym(event.tenant, event.data.user_id)
    await store.add_fact(_fact(event, FactKind.RESIDENT_LEFT, natural_key=event.id, subject=who))
    return []


async def when_resident_moved_in_record_move(event: TypedEvent[ResidentMovedIn], *, store: RowWriter) -> list[CloudEvent]:
    """Count a digital resident who became a real one, on the day they moved."""
    data = event.data
    who, at = pseudonym(event.tenant, data.user_id), utc(data.moved_in_on)
    category = data.from_category.value if data.from_category else None
    await store.add_fact(
        _fact(event, FactKind.RESIDENT_MOVED_IN, natural_key=f"{who}|{at.date()}", subject=who, at=at, category=category)
    )
    return []


async def when_message_posted_count_post(event: TypedEvent[MessagePosted], *, store: RowWriter) -> list[CloudEvent]:
    """Count a message once per (channel, ts); an edit collapses with it, a deletion uncounts it."""
    data = event.data
    if data.deleted:
        await store.add_deletion(event.tenant, data.channel_id, data.ts)
        return []
    await store.add_message(
        Message(
            tenant=event.tenant, channel_id=data.channel_id, ts=data.ts, thread_ts=data.thread_ts,
            who=pseudonym(event.tenant, data.user_id), posted_at=data.posted_at,
        )
    )
    return []


def _reaction(event: TypedEvent[ReactionAdded], op: ToggleOp) -> Toggle:
    data = event.data
    return Toggle(
        tenant=event.tenant, kind=ToggleKind.REACTION, target=f"{data.channel_id}|{data.message_ts}|{data.reaction}",
        who=pseudonym(event.tenant, data.user_id), op=op, at=data.reacted_at,
    )


async def when_reaction_added_count_reaction(event: TypedEvent[ReactionAdded], *, store: RowWriter) -> list[CloudEvent]:
    """Record the reaction; (channel, ts, reaction, person) counts once, whatever the replays."""
    await store.add_toggle(_reaction(event, ToggleOp.ADD))
    return []


async def when_reaction_removed_uncount_reaction(event: TypedEvent[ReactionAdded], *, store: RowWriter) -> list[CloudEvent]:
    """Record the removal; the later of add and remove decides whether the reaction counts."""
    await store.add_toggle(_reaction(event, ToggleOp.REMOVE))
    return []


async def when_application_submitted_count_application(
    event: TypedEvent[RoleApplicationSubmitted], *, store: RowWriter
) -> list[CloudEvent]:
    """Count an application for an office role."""
    who = pseudonym(event.tenant, event.data.user_id)
    await store.add_fact(_fact(event, FactKind.APPLICATION_SUBMITTED, natural_key=event.id, subject=who, role=event.data.role))
    return []


async def when_application_rejected_count_rejection(
    event: TypedEvent[RoleApplicationRejected], *, store: RowWriter
) -> list[CloudEvent]:
    """Count an application a section chief rejected."""
    data = event.data
    await store.add_fact(
        _fact(event, FactKind.APPLICATION_REJECTED, natural_key=data.application_id,
              subject=pseudonym(event.tenant, data.user_id), role=data.role)
    )
    return []


async def when_role_granted_count_grant(event: TypedEvent[RoleGranted], *, store: RowWriter) -> list[CloudEvent]:
    """Count a granted office role."""
    data = event.data
    who = pseudonym(event.tenant, data.user_id)
    await store.add_fact(
        _fact(event, FactKind.ROLE_GRANTED, natural_key=data.grant_id or event.id, subject=who, role=data.role,
              department=data.department)
    )
    return []


async def when_role_revoked_count_revocation(event: TypedEvent[RoleRevoked], *, store: RowWriter) -> list[CloudEvent]:
    """Count a revoked office role."""
    who = pseudonym(event.tenant, event.data.user_id)
    await store.add_fact(_fact(event, FactKind.ROLE_REVOKED, natural_key=event.id, subject=who, role=event.data.role))
    return []


async def when_proposal_created_record_proposal(event: TypedEvent[ProposalCreated], *, store: RowWriter) -> list[CloudEvent]:
    """Record a proposal with its title (public in the workspace) and department."""
    data = event.data
    await store.add_fact(
        _fact(event, FactKind.PROPOSAL_CREATED, natural_key=data.proposal_id, subject=data.proposal_id,
              title=data.title, department=data.department or None)
    )
    return []


def _support(event: TypedEvent[ProposalSupported], op: ToggleOp) -> Toggle:
    return Toggle(
        tenant=event.tenant, kind=ToggleKind.SUPPORT, target=event.data.proposal_id,
        who=pseudonym(event.tenant, event.data.user_id), op=op, at=utc(event.time),
    )


async def when_proposal_supported_count_support(event: TypedEvent[ProposalSupported], *, store: RowWriter) -> list[CloudEvent]:
    """Record a support; each person supports a proposal at most once."""
    await store.add_toggle(_support(event, ToggleOp.ADD))
    return []


async def when_proposal_unsupported_uncount_support(event: TypedEvent[ProposalSupported], *, store: RowWriter) -> list[CloudEvent]:
    """Record a withdrawn support."""
    await store.add_toggle(_support(event, ToggleOp.REMOVE))
    return []


async def when_proposal_answered_record_decision(event: TypedEvent[ProposalAnswered], *, store: RowWriter) -> list[CloudEvent]:
    """Record the section chief's decision; the latest answer decides the status."""
    data = event.data
    await store.add_fact(
        _fact(event, FactKind.PROPOSAL_ANSWERED, natural_key=event.id, subject=data.proposal_id,
              proposal_id=data.proposal_id, decision=data.decision)
    )
    return []


async def when_proposal_status_changed_record_status(
    event: TypedEvent[ProposalStatusChanged], *, store: RowWriter
) -> list[CloudEvent]:
    """Record the projects service's own word on a proposal's status (it knows `under_review`)."""
    data = event.data
    await store.add_fact(
        _fact(event, FactKind.PROPOSAL_STATUS_CHANGED, natural_key=f"{data.proposal_id}|{data.status.value}",
              subject=data.proposal_id, proposal_id=data.proposal_id, decision=data.status.value, title=data.title)
    )
    return []


async def when_project_launched_record_project(event: TypedEvent[ProjectLaunched], *, store: RowWriter) -> list[CloudEvent]:
    """Record a project and the proposal it came from."""
    data = event.data
    await store.add_fact(
        _fact(event, FactKind.PROJECT_LAUNCHED, natural_key=data.project_id, subject=data.project_id,
              proposal_id=data.proposal_id, title=data.name, channel_id=data.channel_id)
    )
    return []


async def when_project_channel_created_record_name(
    event: TypedEvent[ProjectChannelCreated], *, store: RowWriter
) -> list[CloudEvent]:
    """Remember the project channel's name, so the charts can name the channel, not its id."""
    data = event.data
    if data.name:
        await store.add_fact(
            _fact(event, FactKind.CHANNEL_NAMED, natural_key=data.channel_id, subject=data.channel_id,
                  channel_id=data.channel_id, title=data.name)
        )
    return []


async def when_project_completed_record_completion(event: TypedEvent[ProjectCompleted], *, store: RowWriter) -> list[CloudEvent]:
    """Record that a project is done."""
    data = event.data
    await store.add_fact(_fact(event, FactKind.PROJECT_COMPLETED, natural_key=data.project_id, subject=data.project_id))
    return []


async def when_project_progress_reported_count_update(
    event: TypedEvent[ProjectProgressReported], *, store: RowWriter
) -> list[CloudEvent]:
    """Count a project's accepted progress update."""
    data = event.data
    await store.add_fact(
        _fact(event, FactKind.PROJECT_PROGRESS_REPORTED, natural_key=event.id, subject=data.project_id,
              proposal_id=data.proposal_id)
    )
    return []


async def when_announcement_published_count_announcement(
    event: TypedEvent[AnnouncementPublished], *, store: RowWriter
) -> list[CloudEvent]:
    """Count the city's announcements."""
    await store.add_fact(_fact(event, FactKind.ANNOUNCEMENT_PUBLISHED, natural_key=event.id, subject=event.subject))
    return []


# Not consumed: requests that a service has yet to accept (`*_submitted`, `*_requested`,
# `*_reviewed`), refusals, and the notifier's deliveries; the facts they lead to are above.
_HANDLERS: dict[topics.Topic, Callable] = {
    topics.RESIDENT_JOINED: when_resident_joined_record_join,
    topics.RESIDENT_REGISTERED: when_resident_registered_record_join,
    topics.RESIDENT_ONBOARDED: when_resident_onboarded_record_category,
    topics.RESIDENT_LEFT: when_resident_left_record_leave,
    topics.RESIDENT_MOVED_IN: when_resident_moved_in_record_move,
    topics.MESSAGE_POSTED: when_message_posted_count_post,
    topics.REACTION_ADDED: when_reaction_added_count_reaction,
    topics.REACTION_REMOVED: when_reaction_removed_uncount_reaction,
    topics.ROLE_APPLICATION_SUBMITTED: when_application_submitted_count_application,
    topics.ROLE_APPLICATION_REJECTED: when_application_rejected_count_rejection,
    topics.ROLE_GRANTED: when_role_granted_count_grant,
    topics.ROLE_REVOKED: when_role_revoked_count_revocation,
    topics.PROPOSAL_CREATED: when_proposal_created_record_proposal,
    topics.PROPOSAL_SUPPORTED: when_proposal_supported_count_support,
    topics.PROPOSAL_UNSUPPORTED: when_proposal_unsupported_uncount_support,
    topics.PROPOSAL_ANSWERED: when_proposal_answered_record_decision,
    topics.PROPOSAL_STATUS_CHANGED: when_proposal_status_changed_record_status,
    topics.PROJECT_LAUNCHED: when_project_launched_record_project,
    topics.PROJECT_CHANNEL_CREATED: when_project_channel_created_record_name,
    topics.PROJECT_COMPLETED: when_project_completed_record_completion,
    topics.PROJECT_PROGRESS_REPORTED: when_project_progress_reported_count_update,
    topics.ANNOUNCEMENT_PUBLISHED: when_announcement_published_count_announcement,
}


def routes(store: ReadModel) -> dict[topics.Topic, Handler]:
    """Each consumed topic with its handler bound to the store, one event at a time."""
    return {topic: partial(handler, store=store) for topic, handler in _HANDLERS.items()}


def batch_routes(store: ReadModel) -> dict[topics.Topic, BatchHandler]:
    """Each consumed topic with a handler of whole batches; used live and by rebuilds."""
    return {topic: partial(record_batch, handler=handler, store=store) for topic, handler in _HANDLERS.items()}


async def record_batch(events: Sequence[TypedEvent], *, handler: Callable, store: ReadModel) -> list[CloudEvent]:
    """The same handlers write a batch's rows into memory; the rows are then stored together.

    Every row is an insert under its natural key, so the order within a batch does not matter
    and a batch handled again (after a failure, a redelivery) collapses.
    """
    rows = Rows()
    for event in events:
        await handler(event, store=rows)
    await store.add_rows(rows)
    return []


# --- dead letters ----------------------------------------------------------------------


def dead_letter_of(*, topic: str, partition: int, offset: int, headers, value: bytes | None, timestamp_ms: int) -> DeadLetter:
    """A dead-lettered record as a row: the reason and origin from the `dlq-*` headers."""
    found = {k: (v.decode(errors="replace") if isinstance(v, bytes) else str(v)) for k, v in (headers or [])}
    failed_at = _parse_time(found.get("dlq-failed-at")) or utc(datetime.fromtimestamp(timestamp_ms / 1000))
    tenant, event_id = _peek_envelope(value)
    return DeadLetter(
        dlq_topic=topic, partition=partition, offset=offset,
        original_topic=found.get("dlq-original-topic") or topic.removesuffix(topics.DLQ_SUFFIX),
        group=found.get("dlq-consumer-group", ""), reason=redact(found.get("dlq-reason", ""))[:2000],
        error=found.get("dlq-error", ""), failed_at=failed_at, tenant=tenant, event_id=event_id,
    )


async def when_message_dead_lettered_record(dead: DeadLetter, *, store: ReadModel) -> None:
    """Keep the dead letter (once per DLQ offset) so operators see counts and reasons."""
    await store.add_dead_letter(dead)


def _parse_time(text: str | None) -> datetime | None:
    try:
        return utc(datetime.fromisoformat(text)) if text else None
    except ValueError:
        return None


def _peek_envelope(value: bytes | None) -> tuple[str | None, str | None]:
    """Tenant and event id when the dead value is still a readable envelope; it often is not."""
    try:
        envelope = json.loads(value or b"")
    except (ValueError, RecursionError):  # RecursionError: nested past the limit (a poison message)
        return None, None
    if not isinstance(envelope, dict):
        return None, None
    tenant, event_id = envelope.get("tenant"), envelope.get("id")
    return (tenant if isinstance(tenant, str) else None), (event_id if isinstance(event_id, str) else None)
