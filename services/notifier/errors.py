"""How the notifier reads Slack's answers: which failures may heal and which never will.

A refusal that won't heal (a revoked token, a missing channel, a malformed message) goes to
the DLQ with its reason and is announced as `notification.failed`; retrying it would only
repeat the refusal. Errors Slack may add later are treated as refusals too: Slack answered
deliberately, and a DLQ entry is visible where an endless retry is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from shared.errors import PermanentError, TransientError

if TYPE_CHECKING:
    from shared.envelope import CloudEvent


class Verdict(StrEnum):
    DONE = "done"                  # success, or an error that means "already so"
    RATE_LIMITED = "rate_limited"  # 429: nothing happened; wait for Retry-After
    TRANSIENT = "transient"        # nothing happened; try again later
    AMBIGUOUS = "ambiguous"        # may have happened (5xx, time-out): look before re-posting
    REFUSED = "refused"            # will not heal


# Slack errors that may heal by themselves.
TRANSIENT_ERRORS = frozenset({"ratelimited", "rate_limited", "service_unavailable", "team_added_to_org"})
# Slack errors after which "some aspect of the operation may have succeeded" (Slack's words).
AMBIGUOUS_ERRORS = frozenset({"internal_error", "fatal_error", "request_timeout"})
# Errors that mean the call's purpose is already achieved, per method.
ALREADY_DONE = {
    "conversations.invite": frozenset({"already_in_channel"}),
    "conversations.join": frozenset({"already_in_channel"}),
    "conversations.create": frozenset(),
}
# Documented for readers and tests: the refusals the product meets most. Anything not
# transient or ambiguous is a refusal, listed here or not.
KNOWN_REFUSALS = frozenset({
    "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "no_permission",
    "missing_scope", "not_allowed_token_type", "org_login_required", "ekm_access_denied",
    "channel_not_found", "not_in_channel", "is_archived", "user_not_found", "user_not_visible",
    "user_disabled", "cant_invite", "cant_invite_self", "user_is_bot", "user_is_restricted",
    "method_not_supported_for_channel_type", "restricted_action", "invalid_arguments", "invalid_arg_name",
    "invalid_array_arg", "invalid_charset", "invalid_form_data", "invalid_post_type", "missing_post_type",
    "invalid_json", "json_not_object", "invalid_blocks", "invalid_attachments", "invalid_metadata_format",
    "invalid_metadata_schema", "msg_too_long", "no_text", "too_many_attachments", "no_such_subteam",
    "unknown_method", "message_not_found", "cant_update_message", "not_found", "expired_trigger_id",
    "exchanged_trigger_id", "invalid_trigger_id", "view_too_large", "hash_conflict",
})


def classify(*, method: str, status: int | None, error: str | None) -> Verdict:
    """The verdict on one Slack answer (HTTP status and Slack `error`)."""
    if status == 429:
        return Verdict.RATE_LIMITED
    if status is not None and (status >= 500 or status == 408):
        return Verdict.AMBIGUOUS
    if error is None:
        return Verdict.DONE if status in (None, 200) else Verdict.REFUSED
    if error in ALREADY_DONE.get(method, ()):
        return Verdict.DONE
    if error in TRANSIENT_ERRORS:
        return Verdict.TRANSIENT
    if error in AMBIGUOUS_ERRORS:
        return Verdict.AMBIGUOUS
    return Verdict.REFUSED


@dataclass(frozen=True)
class Refusal:
    """One Slack call refused for good."""

    key: str
    method: str
    error: str


class DeliveryRefused(PermanentError):
    """Slack refused one or more deliveries of an event: DLQ, and `notification.failed` for each.

    `emitted` holds what the handler had already completed, so it is published too.
    """

    def __init__(self, refusals: list[Refusal], emitted: list[CloudEvent] | None = None) -> None:
        self.refusals = list(refusals)
        self.emitted = list(emitted or [])
        what = "; ".join(f"{r.method} refused: {r.error} (delivery {r.key})" for r in self.refusals)
        super().__init__(f"Slack {what}")


class SlackUnavailable(TransientError):
    """Slack did not take a call after the bounded attempts (5xx, time-outs, rate limits)."""
