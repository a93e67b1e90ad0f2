"""Slack ids the product owns (action, callback and block ids), shared by the gateway,
which receives them, and the notifier, which puts them into messages."""

from enum import StrEnum


class ActionId(StrEnum):
    OPEN_PROFILE = "oco_open_profile"        # the welcome DM's "Set up my profile" button
    CONFIRM_LEAVE = "oco_confirm_leave"      # "/oco leave" confirmation
    CANCEL_LEAVE = "oco_cancel_leave"
    APPROVE_APPLICATION = "oco_approve_application"
    REJECT_APPLICATION = "oco_reject_application"
    SUPPORT_PROPOSAL = "oco_support_proposal"
    ANSWER_PROPOSAL = "oco_answer_proposal"


class CallbackId(StrEnum):
    PROFILE_MODAL = "oco_profile"
    APPLICATION_MODAL = "oco_application"
    REJECTION_MODAL = "oco_rejection"
    PROPOSAL_MODAL = "oco_proposal"
    ANSWER_MODAL = "oco_answer"
    PROPOSE_SHORTCUT = "oco_propose_this"    # message shortcut "Propose this"
