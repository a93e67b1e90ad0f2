"""Data models of every event type on the bus, named in the past tense.

Each model is frozen, keeps unknown fields (forward compatibility) and carries a
`schema_version`. Field descriptions and examples feed the AsyncAPI documentation.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SlackUserId = str
SlackChannelId = str


class Category(StrEnum):
    """How a person relates to the city; self-declared in the onboarding form."""

    CITIZEN = "citizen"
    PROSPECTIVE_MIGRANT = "prospective_migrant"
    REMOTE_CITIZEN = "remote_citizen"


class OfficeRole(StrEnum):
    EMPLOYEE = "employee"
    SECTION_CHIEF = "section_chief"
    AMBASSADOR = "ambassador"
    ADMIN = "admin"


OFFICE_ROLES = frozenset(r.value for r in OfficeRole)


class ProposalStatus(StrEnum):
    OPEN = "open"
    UNDER_REVIEW = "under_review"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    LAUNCHED = "launched"
    COMPLETED = "completed"


class EventData(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    schema_version: int = Field(1, description="Version of this data schema.")


# --- residents -------------------------------------------------------------------------


class ResidentJoined(EventData):
    """A person joined the city's workspace."""

    user_id: SlackUserId = Field(min_length=1, examples=["U024BE7LH"])
    display_name: str = Field("", max_length=200, examples=["Hanako"])
    real_name: str = Field("", max_length=200)
    locale: str | None = Field(None, description="Slack locale such as `ja-JP` or `en-US`.")
    tz: str | None = None
    joined_at: datetime | None = Field(None, description="When they joined (original time on import).")
    via: Literal["slack", "import", "city_system"] = "slack"


class ResidentRegistered(EventData):
    """The onboarding service now knows this person (first join or first profile)."""

    user_id: SlackUserId
    joined_at: datetime | None = None
    first_time: bool = True


class ResidentProfileSubmitted(EventData):
    """The onboarding form was sent; fields are as the person typed them."""

    user_id: SlackUserId = Field(min_length=1)
    category: str = Field(description="One of citizen, prospective_migrant, remote_citizen.")
    display_name: str = Field("", max_length=200)
    language: str = Field("ja", examples=["ja", "en"])
    relation: str = Field("", max_length=2000, description="Free text: how they relate to the city.")
    interests: list[str] = Field(default_factory=list, description="Department keys of interest.")
    consent: bool = Field(description="Agreed to the community rules and data use.")


class ResidentOnboarded(EventData):
    """Category and profile accepted: the person is a digital resident."""

    user_id: SlackUserId
    category: Category
    previous_category: Category | None = None
    display_name: str = ""
    language: str = "ja"
    interests: list[str] = Field(default_factory=list)
    first_time: bool = Field(True, description="False when an onboarded resident updated the profile.")


class ResidentLeft(EventData):
    """Deactivated or left; personal data must go."""

    user_id: SlackUserId
    reason: Literal["deactivated", "left", "requested"] = "left"


class ResidentErased(EventData):
    """Personal data removed everywhere the onboarding service owned it."""

    user_id: SlackUserId


class ResidentMovedIn(EventData):
    """A digital resident actually moved to the city (published by city systems)."""

    user_id: SlackUserId
    moved_in_on: datetime
    from_category: Category | None = None


# --- activity --------------------------------------------------------------------------


class MessagePosted(EventData):
    """A person posted (or edited, or deleted) a message in a channel."""

    user_id: SlackUserId
    channel_id: SlackChannelId
    ts: str = Field(description="Slack message timestamp, unique within the channel.")
    thread_ts: str | None = None
    posted_at: datetime
    text_length: int = Field(0, ge=0, description="Length only: the text itself is not kept on the bus.")
    edited: bool = False
    deleted: bool = False


class ReactionAdded(EventData):
    user_id: SlackUserId
    channel_id: SlackChannelId
    message_ts: str
    message_author_id: SlackUserId | None = None
    reaction: str = Field(examples=["bulb", "+1"])
    reacted_at: datetime


class ReactionRemoved(ReactionAdded):
    pass


# --- roles -----------------------------------------------------------------------------


class RoleApplicationSubmitted(EventData):
    """Someone sent the `/oco apply` form to become an employee (職員)."""

    user_id: SlackUserId
    role: Literal["employee"] = "employee"
    motivation: str = Field(min_length=1, max_length=3000)
    skills: str = Field("", max_length=3000)
    hours_per_month: int = Field(ge=0, le=744)


class RoleApplicationOpened(EventData):
    """The roles service accepted an application; section chiefs are to review it."""

    application_id: str = Field(description="Value of the review message's Approve / Reject buttons.")
    user_id: SlackUserId = Field(description="The applicant.")
    role: str = "employee"
    motivation: str = ""
    skills: str = ""
    hours_per_month: int = 0
    submitted_at: datetime | None = None


class RoleApplicationReviewed(EventData):
    """Someone clicked Approve, or sent the rejection modal; the roles service decides if it counts."""

    application_id: str = Field(min_length=1, max_length=100)
    reviewer_id: SlackUserId = Field(min_length=1, description="Who clicked; authorised by the roles service.")
    decision: Literal["approve", "reject"]
    reason: str = Field("", max_length=3000, description="Required for a rejection; sent to the applicant.")
    channel_id: SlackChannelId | None = Field(None, description="Where the reviewer clicked (for an ephemeral answer).")
    message_ts: str | None = Field(None, description="The review message that was clicked.")
    response_url: str | None = None


class RoleApplicationRejected(EventData):
    """A section chief rejected an application; the applicant is told the reason."""

    application_id: str
    user_id: SlackUserId = Field(description="The applicant.")
    role: str = "employee"
    rejected_by: SlackUserId
    reason: str = ""


class RoleAppointmentRequested(EventData):
    """`/oco appoint @someone ROLE [until DATE] [department]`; the roles service authorises it."""

    actor_id: SlackUserId = Field(min_length=1, description="Who asked for the appointment.")
    target_user_id: SlackUserId = Field(min_length=1)
    role: str = Field(min_length=1, max_length=40, examples=["section_chief", "ambassador"])
    department: str | None = Field(None, max_length=60, description="Department key, for a section chief of one 課.")
    term_ends_on: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="Last day of the term (city time).")
    term_ends_at: datetime | None = Field(None, description="Exact end of the term; wins over `term_ends_on`.")
    reason: str = Field("", max_length=500)
    channel_id: SlackChannelId | None = None
    response_url: str | None = None


class RoleRevocationRequested(EventData):
    """`/oco revoke @someone ROLE [department]`; the roles service authorises it."""

    actor_id: SlackUserId = Field(min_length=1)
    target_user_id: SlackUserId = Field(min_length=1)
    role: str = Field(min_length=1, max_length=40)
    department: str | None = Field(None, max_length=60, description="Only the grant for this 課; all of the role when empty.")
    reason: str = Field("", max_length=500)
    channel_id: SlackChannelId | None = None
    response_url: str | None = None


class RoleGranted(EventData):
    user_id: SlackUserId
    role: str
    granted_by: SlackUserId | None = None
    reason: str = ""
    department: str | None = None
    term_ends_at: datetime | None = None
    grant_id: str | None = Field(None, description="The grant's id in the roles service.")
    application_id: str | None = Field(None, description="Set when the grant approved an application.")
    role_member_ids: list[SlackUserId] | None = Field(
        None, description="Everyone holding the office role in the tenant after this change (for user-group sync); "
        "absent for category roles, which every resident holds."
    )
    members_as_of: datetime | None = Field(None, description="When `role_member_ids` was read.")
    channel_id: SlackChannelId | None = Field(None, description="Where the actor asked (for an ephemeral answer).")
    response_url: str | None = None


class RoleRevoked(EventData):
    user_id: SlackUserId
    role: str
    revoked_by: SlackUserId | None = None
    reason: str = ""
    cause: str = Field("", examples=["revoked", "term_ended", "replaced", "left"])
    grant_id: str | None = None
    department: str | None = None
    role_member_ids: list[SlackUserId] | None = None
    members_as_of: datetime | None = None
    notify_user_ids: list[SlackUserId] = Field(
        default_factory=list, description="Others to tell (the admins when a term ended)."
    )
    channel_id: SlackChannelId | None = None
    response_url: str | None = None


class RoleDenied(EventData):
    user_id: SlackUserId = Field(description="Who attempted the action.")
    action: str = Field(examples=["approve_application", "appoint"])
    reason: str
    code: str = Field("", examples=["not_authorised", "already_decided", "already_applied"])
    attempted_role: str | None = None
    target_user_id: SlackUserId | None = None
    application_id: str | None = None
    channel_id: SlackChannelId | None = Field(None, description="Answer ephemerally here; DM the actor when empty.")
    response_url: str | None = None


# --- proposals and projects ------------------------------------------------------------


class ProposalSubmitted(EventData):
    user_id: SlackUserId
    title: str = Field(min_length=1, max_length=150)
    problem: str = Field("", max_length=3000)
    idea: str = Field("", max_length=3000)
    department: str = ""
    source_channel_id: SlackChannelId | None = None
    source_ts: str | None = None
    via: str = Field("form", examples=["form", "shortcut", "reaction"], description="How the idea was proposed.")
    source_permalink: str | None = Field(None, description="Link to the message the idea came from.")
    channel_id: SlackChannelId | None = Field(None, description="Where the proposer acted (for an ephemeral answer).")


class ProposalCreated(ProposalSubmitted):
    proposal_id: str
    created_by: SlackUserId | None = Field(
        None, description="Who turned it into a proposal when not the author (a section chief's 💡)."
    )


class ProposalSupported(EventData):
    proposal_id: str
    user_id: SlackUserId
    supports: int = Field(ge=0, description="Support count after this change.")
    via: str = Field("button", examples=["button", "reaction"])
    counted_at: datetime | None = Field(
        None, description="When `supports` was counted: the latest count is the true one (for live counters)."
    )


class ProposalUnsupported(ProposalSupported):
    pass


class ProposalAnswered(EventData):
    proposal_id: str
    answered_by: SlackUserId
    decision: Literal["accepted", "declined"]
    answer: str = Field(min_length=1, max_length=3000)


class ProjectLaunched(EventData):
    project_id: str
    proposal_id: str
    name: str
    owner_id: SlackUserId
    member_ids: list[SlackUserId] = Field(default_factory=list)
    channel_id: SlackChannelId | None = Field(None, description="The project's own channel.")
    title: str = ""


class ProjectCompleted(EventData):
    project_id: str
    summary: str
    proposal_id: str | None = None
    completed_by: SlackUserId | None = None


class ProposalPosted(EventData):
    """The notifier posted a proposal to the ideas channel; 👍 on that post supports it."""

    proposal_id: str
    channel_id: SlackChannelId
    ts: str
    permalink: str | None = None
    source_permalink: str | None = None
    source_excerpt: str | None = Field(
        None, max_length=150, description="First line of the source message (titles 💡 proposals)."
    )


class ProposalSupportRequested(EventData):
    """Someone pressed Support on a proposal: toggles their support (the projects service decides)."""

    proposal_id: str = Field(min_length=1, max_length=100)
    user_id: SlackUserId = Field(min_length=1)
    channel_id: SlackChannelId | None = Field(None, description="Where they clicked (for an ephemeral answer).")
    message_ts: str | None = None


class ProposalAnswerSubmitted(EventData):
    """The answer modal was sent; the projects service checks the answerer is a section chief."""

    proposal_id: str = Field(min_length=1, max_length=100)
    user_id: SlackUserId = Field(min_length=1, description="Who answered; authorised by the projects service.")
    decision: Literal["accepted", "declined"]
    answer: str = Field("", max_length=3000, description="The official answer; required, refused when empty.")
    channel_id: SlackChannelId | None = None


class ProposalActionRefused(EventData):
    """An action on a proposal or project was refused; nothing changed. The actor is told why."""

    user_id: SlackUserId = Field(description="Who attempted the action.")
    action: str = Field(examples=["support", "answer", "progress", "complete", "propose"])
    code: str = Field(examples=["not_authorised", "own_proposal", "illegal_transition", "not_found"])
    reason: str
    proposal_id: str | None = None
    project_id: str | None = None
    status: ProposalStatus | None = Field(None, description="The proposal's status when refused.")
    channel_id: SlackChannelId | None = Field(None, description="Answer ephemerally here; DM the actor when empty.")


class ProposalStatusChanged(EventData):
    """A proposal moved along open → under_review → accepted|declined, accepted → launched → completed.

    Carries who is to be told: the author and supporters (DMs), the source thread, and for
    `under_review` the section chiefs who may answer.
    """

    proposal_id: str
    title: str
    status: ProposalStatus
    previous_status: ProposalStatus | None = None
    author_id: SlackUserId
    supporter_ids: list[SlackUserId] = Field(default_factory=list)
    supports: int = 0
    section_chief_ids: list[SlackUserId] = Field(default_factory=list)
    source_channel_id: SlackChannelId | None = None
    source_ts: str | None = None
    post_channel_id: SlackChannelId | None = Field(None, description="The proposal's post in the ideas channel.")
    post_ts: str | None = None
    changed_by: SlackUserId | None = None
    answer: str | None = None
    project_id: str | None = None
    project_channel_id: SlackChannelId | None = None
    summary: str | None = None


class ProjectChannelRequested(EventData):
    """An accepted proposal needs its project channel: the notifier creates it and invites the team."""

    project_id: str
    proposal_id: str
    name: str = Field(description="Suggested channel name (lower case, no spaces, ≤ 80 characters).")
    title: str
    owner_id: SlackUserId
    member_ids: list[SlackUserId] = Field(default_factory=list)


class ProjectChannelCreated(EventData):
    """The notifier created (or found) the project's channel."""

    project_id: str
    proposal_id: str
    channel_id: SlackChannelId
    name: str | None = None


class ProjectProgressSubmitted(EventData):
    """`/oco project update TEXT` in a project channel."""

    user_id: SlackUserId = Field(min_length=1)
    text: str = Field(min_length=1, max_length=3000)
    channel_id: SlackChannelId | None = Field(None, description="Where it was typed; names the project.")
    project_id: str | None = None


class ProjectProgressReported(EventData):
    """A project's progress update, accepted; told in the project channel and the proposal's threads."""

    project_id: str
    proposal_id: str
    user_id: SlackUserId
    text: str
    title: str = ""
    channel_id: SlackChannelId | None = Field(None, description="The project channel.")
    post_channel_id: SlackChannelId | None = None
    post_ts: str | None = None
    source_channel_id: SlackChannelId | None = None
    source_ts: str | None = None


class ProjectCompletionSubmitted(EventData):
    """`/oco project complete SUMMARY` in a project channel."""

    user_id: SlackUserId = Field(min_length=1)
    summary: str = Field(min_length=1, max_length=3000)
    channel_id: SlackChannelId | None = None
    project_id: str | None = None


# --- city systems and notifications ----------------------------------------------------


class AnnouncementPublished(EventData):
    """An announcement from the city to broadcast."""

    title: str = Field(min_length=1, max_length=150)
    body: str = Field(min_length=1, max_length=3000)
    body_en: str | None = None
    interests: list[str] = Field(
        default_factory=list,
        description="Department keys: residents with a matching interest are also told by DM; empty = the channel post only.",
    )


class NotificationDelivered(EventData):
    delivery_key: str
    method: str
    channel: str | None = None
    ts: str | None = None
    cause_event_id: str


class NotificationFailed(EventData):
    delivery_key: str
    method: str
    error: str
    cause_event_id: str
