"""The topic catalogue: every topic, the model of its events, its partitions."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from shared import events as ev

DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True)
class Topic:
    name: str
    model: type[BaseModel]
    partitions: int = 6
    description: str = ""

    @property
    def dlq(self) -> str:
        return self.name + DLQ_SUFFIX


RESIDENT_JOINED = Topic("resident.joined", ev.ResidentJoined, description="A person joined the workspace.")
RESIDENT_REGISTERED = Topic("resident.registered", ev.ResidentRegistered, description="Onboarding registered a new resident.")
RESIDENT_PROFILE_SUBMITTED = Topic("resident.profile_submitted", ev.ResidentProfileSubmitted, description="The onboarding form was sent.")
RESIDENT_ONBOARDED = Topic("resident.onboarded", ev.ResidentOnboarded, description="Category and profile accepted.")
RESIDENT_LEFT = Topic("resident.left", ev.ResidentLeft, description="Deactivated or left; personal data must go.")
RESIDENT_ERASED = Topic("resident.erased", ev.ResidentErased, description="Personal data removed.")
RESIDENT_MOVED_IN = Topic("resident.moved_in", ev.ResidentMovedIn, description="A digital resident became a real resident.")
ROLE_APPLICATION_SUBMITTED = Topic("role.application_submitted", ev.RoleApplicationSubmitted)
ROLE_GRANTED = Topic("role.granted", ev.RoleGranted)
ROLE_REVOKED = Topic("role.revoked", ev.RoleRevoked)
ROLE_DENIED = Topic("role.denied", ev.RoleDenied)
ROLE_APPLICATION_OPENED = Topic("role.application_opened", ev.RoleApplicationOpened, description="An application awaits review by the section chiefs.")
ROLE_APPLICATION_REVIEWED = Topic("role.application_reviewed", ev.RoleApplicationReviewed, description="Someone approved or rejected an application (not yet authorised).")
ROLE_APPLICATION_REJECTED = Topic("role.application_rejected", ev.RoleApplicationRejected, description="A section chief rejected an application.")
ROLE_APPOINTMENT_REQUESTED = Topic("role.appointment_requested", ev.RoleAppointmentRequested, description="Someone asked to appoint a person to a role.")
ROLE_REVOCATION_REQUESTED = Topic("role.revocation_requested", ev.RoleRevocationRequested, description="Someone asked to revoke a person's role.")
PROPOSAL_SUBMITTED = Topic("proposal.submitted", ev.ProposalSubmitted)
PROPOSAL_CREATED = Topic("proposal.created", ev.ProposalCreated)
PROPOSAL_SUPPORTED = Topic("proposal.supported", ev.ProposalSupported)
PROPOSAL_UNSUPPORTED = Topic("proposal.unsupported", ev.ProposalUnsupported)
PROPOSAL_ANSWERED = Topic("proposal.answered", ev.ProposalAnswered)
PROJECT_LAUNCHED = Topic("project.launched", ev.ProjectLaunched)
PROJECT_COMPLETED = Topic("project.completed", ev.ProjectCompleted)
MESSAGE_POSTED = Topic("activity.message_posted", ev.MessagePosted, partitions=12)
REACTION_ADDED = Topic("activity.reaction_added", ev.ReactionAdded, partitions=12)
REACTION_REMOVED = Topic("activity.reaction_removed", ev.ReactionRemoved, partitions=12)
ANNOUNCEMENT_PUBLISHED = Topic("city.announcement_published", ev.AnnouncementPublished)
NOTIFICATION_DELIVERED = Topic("notification.delivered", ev.NotificationDelivered)
NOTIFICATION_FAILED = Topic("notification.failed", ev.NotificationFailed)
PROPOSAL_POSTED = Topic("proposal.posted", ev.ProposalPosted, description="The notifier posted a proposal to the ideas channel.")
PROPOSAL_SUPPORT_REQUESTED = Topic("proposal.support_requested", ev.ProposalSupportRequested, description="Support button pressed (toggle; not yet checked).")
PROPOSAL_ANSWER_SUBMITTED = Topic("proposal.answer_submitted", ev.ProposalAnswerSubmitted, description="A proposal's answer modal was sent (not yet authorised).")
PROPOSAL_ACTION_REFUSED = Topic("proposal.action_refused", ev.ProposalActionRefused, description="An action on a proposal or project was refused, with the reason.")
PROPOSAL_STATUS_CHANGED = Topic("proposal.status_changed", ev.ProposalStatusChanged, description="A proposal's status moved forward; who is to be told.")
PROJECT_CHANNEL_REQUESTED = Topic("project.channel_requested", ev.ProjectChannelRequested, description="An accepted proposal needs its project channel.")
PROJECT_CHANNEL_CREATED = Topic("project.channel_created", ev.ProjectChannelCreated, description="The notifier created the project's channel.")
PROJECT_PROGRESS_SUBMITTED = Topic("project.progress_submitted", ev.ProjectProgressSubmitted, description="A progress update was typed (not yet checked).")
PROJECT_PROGRESS_REPORTED = Topic("project.progress_reported", ev.ProjectProgressReported, description="A project's progress update, accepted.")
PROJECT_COMPLETION_SUBMITTED = Topic("project.completion_submitted", ev.ProjectCompletionSubmitted, description="Someone asked to complete a project (not yet authorised).")

CATALOGUE: dict[str, Topic] = {
    t.name: t
    for t in [
        RESIDENT_JOINED, RESIDENT_REGISTERED, RESIDENT_PROFILE_SUBMITTED, RESIDENT_ONBOARDED, RESIDENT_LEFT,
        RESIDENT_ERASED, RESIDENT_MOVED_IN, ROLE_APPLICATION_SUBMITTED, ROLE_GRANTED,
        ROLE_REVOKED, ROLE_DENIED, PROPOSAL_SUBMITTED, PROPOSAL_CREATED, PROPOSAL_SUPPORTED,
        PROPOSAL_UNSUPPORTED, PROPOSAL_ANSWERED, PROJECT_LAUNCHED, PROJECT_COMPLETED,
        MESSAGE_POSTED, REACTION_ADDED, REACTION_REMOVED, ANNOUNCEMENT_PUBLISHED,
        NOTIFICATION_DELIVERED, NOTIFICATION_FAILED,
        ROLE_APPLICATION_OPENED, ROLE_APPLICATION_REVIEWED, ROLE_APPLICATION_REJECTED,
        ROLE_APPOINTMENT_REQUESTED, ROLE_REVOCATION_REQUESTED,
        PROPOSAL_POSTED, PROPOSAL_SUPPORT_REQUESTED, PROPOSAL_ANSWER_SUBMITTED, PROPOSAL_ACTION_REFUSED,
        PROPOSAL_STATUS_CHANGED, PROJECT_CHANNEL_REQUESTED, PROJECT_CHANNEL_CREATED,
        PROJECT_PROGRESS_SUBMITTED, PROJECT_PROGRESS_REPORTED, PROJECT_COMPLETION_SUBMITTED,
    ]
}


def all_topic_names() -> list[str]:
    """Every domain topic and its dead-letter topic."""
    names = []
    for topic in CATALOGUE.values():
        names += [topic.name, topic.dlq]
    return names


def topic(name: str) -> Topic:
    try:
        return CATALOGUE[name]
    except KeyError:
        raise KeyError(f"unknown topic {name!r}; known: {', '.join(sorted(CATALOGUE))}") from None
