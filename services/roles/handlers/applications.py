"""Handlers of employee recruiting: open an application, decide it once, erase its texts."""

from __future__ import annotations

from functools import partial

from shared import topics
from shared.envelope import CloudEvent, TypedEvent, derive_id, new_event
from shared.events import RoleApplicationOpened, RoleApplicationRejected, RoleApplicationReviewed, RoleApplicationSubmitted
from services.roles import grants
from services.roles.config import RolesSettings
from services.roles.models import PERSONAL_FIELDS, Application, ApplicationStatus, Decision, Grant
from services.roles.policy import Refused, check_review
from services.roles.store import RoleStore


async def when_application_submitted_open(
    event: TypedEvent[RoleApplicationSubmitted], *, store: RoleStore, settings: RolesSettings
) -> list[CloudEvent]:
    """Open the application for review, unless the person has one open or holds the role."""
    data = event.data
    application_id = derive_id(event.id, "application")
    recorded = await store.get_application(event.tenant, application_id)
    if recorded is not None:  # a re-run: the application was opened then
        return [_opened_event(event, recorded)] if recorded.status is ApplicationStatus.OPEN else []
    deny = partial(grants.denied_event, event, actor_id=data.user_id, action="apply", attempted_role=data.role)
    applicant = await grants.load_actor(store, tenant=event.tenant, user_id=data.user_id, admins=settings.admins)
    if applicant.holds(data.role):
        return [deny(Refused("already_holds", f"you already hold the {data.role} role"))]
    opened = await store.open_application(Application(
        application_id=application_id, tenant=event.tenant, user_id=data.user_id, role=data.role,
        motivation=data.motivation, skills=data.skills, hours_per_month=data.hours_per_month, submitted_at=event.time,
    ))
    if opened.application_id != application_id:
        refusal = Refused("already_applied", "you already have an application waiting for review")
        return [deny(refusal, application_id=opened.application_id)]
    return [_opened_event(event, opened)]


async def when_application_reviewed_decide(
    event: TypedEvent[RoleApplicationReviewed], *, store: RoleStore, settings: RolesSettings
) -> list[CloudEvent]:
    """Approve (grant the role) or reject an application, once, if the reviewer is a section chief."""
    data = event.data
    deny = partial(
        grants.denied_event, event, actor_id=data.reviewer_id, action=f"{data.decision}_application",
        application_id=data.application_id, channel_id=data.channel_id, response_url=data.response_url,
    )
    application = await store.get_application(event.tenant, data.application_id)
    if application is None:
        return [deny(Refused("unknown_application", "there is no such application"))]
    reviewer = await grants.load_actor(store, tenant=event.tenant, user_id=data.reviewer_id, admins=settings.admins)
    try:
        check_review(reviewer, application, decision=data.decision, reason=data.reason)
    except Refused as refusal:
        return [deny(refusal, target_user_id=application.user_id, attempted_role=application.role)]
    decision = await store.claim_decision(Decision(
        application_id=application.application_id, tenant=event.tenant, decision=data.decision,
        reviewer_id=data.reviewer_id, reason=data.reason.strip(), cause_id=event.id, decided_at=event.time,
    ))
    if decision.cause_id != event.id:
        return [deny(_already_decided(decision), target_user_id=application.user_id, attempted_role=application.role)]
    decided = _decided(application, decision)
    await store.save_application(decided)
    if decision.decision == "reject":
        return [_rejected_event(event, decided)]
    return await _grant_applied_role(store, event, decided)


async def withdraw_and_erase(store: RoleStore, cause: TypedEvent, user_id: str) -> None:
    """Withdraw the person's open application and erase the texts of all of them."""
    for application in await store.applications_of(cause.tenant, user_id):
        if application.status is ApplicationStatus.OPEN:
            decision = await store.claim_decision(Decision(
                application_id=application.application_id, tenant=cause.tenant, decision="withdraw",
                cause_id=cause.id, decided_at=cause.time,
            ))
            application = _decided(application, decision)
        erased = application.model_copy(update={field: Application.model_fields[field].default for field in PERSONAL_FIELDS})
        await store.save_application(erased.model_copy(update={"erased": True}))


async def _grant_applied_role(store: RoleStore, event: TypedEvent, approved: Application) -> list[CloudEvent]:
    new = Grant(
        grant_id=derive_id(event.id, "grant"), tenant=event.tenant, user_id=approved.user_id, role=approved.role,
        granted_by=approved.decided_by, granted_at=event.time, reason="application approved",
        application_id=approved.application_id,
    )
    try:
        granted = await grants.grant(store, new)
    except Refused:
        return []  # they hold the role already (granted since they applied): nothing changes
    if granted is None:
        return []
    return [await grants.granted_event(store, event.id, granted, channel_id=event.data.channel_id)]


def _decided(application: Application, decision: Decision) -> Application:
    return application.model_copy(update={
        "status": decision.status,
        "decided_by": decision.reviewer_id,
        "decided_at": decision.decided_at,
        "rejection_reason": decision.reason if decision.decision == "reject" else "",
    })


def _already_decided(decision: Decision) -> Refused:
    if decision.decision == "withdraw":
        return Refused("already_decided", "this application was withdrawn: the applicant left")
    return Refused("already_decided", f"this application was already {decision.status.value} by <@{decision.reviewer_id}>")


def _opened_event(cause: TypedEvent, application: Application) -> CloudEvent:
    data = RoleApplicationOpened(
        application_id=application.application_id, user_id=application.user_id, role=application.role,
        motivation=application.motivation, skills=application.skills,
        hours_per_month=application.hours_per_month or 0, submitted_at=application.submitted_at,
    )
    return _emit(cause, topics.ROLE_APPLICATION_OPENED, data, application, "opened")


def _rejected_event(cause: TypedEvent, application: Application) -> CloudEvent:
    data = RoleApplicationRejected(
        application_id=application.application_id, user_id=application.user_id, role=application.role,
        rejected_by=application.decided_by or "", reason=application.rejection_reason,
    )
    return _emit(cause, topics.ROLE_APPLICATION_REJECTED, data, application, "rejected")


def _emit(cause: TypedEvent, topic: topics.Topic, data, application: Application, label: str) -> CloudEvent:
    return new_event(
        id=derive_id(cause.id, label), type=topic.name, subject=application.user_id,
        tenant=cause.tenant, data=data, source=grants.SOURCE,
    )
