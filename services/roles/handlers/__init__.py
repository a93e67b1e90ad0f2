"""The roles service's handlers: plain functions of an event and their dependencies."""

from services.roles.handlers.applications import when_application_reviewed_decide, when_application_submitted_open
from services.roles.handlers.grants import (
    when_appointment_requested_appoint,
    when_resident_erased_forget,
    when_resident_onboarded_grant_category,
    when_revocation_requested_revoke,
)

__all__ = [
    "when_application_reviewed_decide",
    "when_application_submitted_open",
    "when_appointment_requested_appoint",
    "when_resident_erased_forget",
    "when_resident_onboarded_grant_category",
    "when_revocation_requested_revoke",
]
