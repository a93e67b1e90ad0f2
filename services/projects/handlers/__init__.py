"""The projects service's handlers: plain functions of an event and the store, returning new events."""

from services.projects.handlers.answers import when_answer_submitted_answer
from services.projects.handlers.chiefs import when_role_granted_record_chief, when_role_revoked_record_chief
from services.projects.handlers.projects import (
    when_channel_created_launch,
    when_completion_submitted_complete,
    when_progress_submitted_report,
)
from services.projects.handlers.proposals import when_proposal_posted_record_post, when_proposal_submitted_create
from services.projects.handlers.supports import (
    when_reaction_added_propose_or_support,
    when_reaction_removed_withdraw_support,
    when_reactions_added_propose_or_support,
    when_reactions_removed_withdraw_support,
    when_support_requested_toggle,
)

__all__ = [
    "when_answer_submitted_answer",
    "when_channel_created_launch",
    "when_completion_submitted_complete",
    "when_progress_submitted_report",
    "when_proposal_posted_record_post",
    "when_proposal_submitted_create",
    "when_reaction_added_propose_or_support",
    "when_reaction_removed_withdraw_support",
    "when_reactions_added_propose_or_support",
    "when_reactions_removed_withdraw_support",
    "when_role_granted_record_chief",
    "when_role_revoked_record_chief",
    "when_support_requested_toggle",
]
