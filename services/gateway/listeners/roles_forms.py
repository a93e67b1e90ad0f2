"""The roles flows' modals and what the gateway reads back from them.

Shared by the listeners `commands/roles.py`, `actions/roles_review.py` and
`views/roles_modals.py` (this module has no `register`, so it is not a listener itself).
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.gateway.models import FormInvalid
from services.gateway.views import plain, section
from shared.slack_ids import CallbackId

MAX_TEXT = 3000
MAX_HOURS = 744  # hours in a 31-day month

APPLICATION_TITLE = "職員に応募 / Apply"
APPLICATION_INTRO = (
    "職員（ボランティア）として市役所の運営に参加しませんか。課長が応募を確認します。\n"
    "Join the office as a volunteer employee. A section chief will review your application."
)
LABEL_MOTIVATION = "応募の動機 / Why you want to help"
LABEL_SKILLS = "できること / What you can do"
LABEL_HOURS = "月に使える時間 / Hours a month"
REJECTION_TITLE = "応募を見送る / Reject"
LABEL_REASON = "理由（応募者に伝えます） / Reason (sent to the applicant)"
SUBMIT = "送信 / Send"
CLOSE = "閉じる / Close"
ERROR_REQUIRED = "入力してください。 / Please fill this in."
ERROR_TOO_LONG = f"{MAX_TEXT}文字以内でお願いします。 / Please keep it under {MAX_TEXT} characters."
ERROR_HOURS = f"0〜{MAX_HOURS}の整数でお願いします。 / Please give a whole number from 0 to {MAX_HOURS}."


class ApplicationField(StrEnum):
    """Block ids (and action ids) of the application modal's inputs."""

    MOTIVATION = "motivation"
    SKILLS = "skills"
    HOURS = "hours_per_month"


REASON_FIELD = "reason"


class ApplicationForm(BaseModel):
    model_config = ConfigDict(frozen=True)

    motivation: str = Field(min_length=1, max_length=MAX_TEXT)
    skills: str = Field("", max_length=MAX_TEXT)
    hours_per_month: int = Field(ge=0, le=MAX_HOURS)


class RejectionContext(BaseModel):
    """The rejection modal's `private_metadata`: which application, clicked where."""

    model_config = ConfigDict(frozen=True)

    application_id: str = Field(min_length=1, max_length=100)
    channel_id: str | None = Field(None, max_length=40)
    message_ts: str | None = Field(None, max_length=40)


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False) -> dict[str, Any]:
    return {"type": "input", "block_id": block_id, "label": plain(label), "optional": optional,
            "element": {**element, "action_id": block_id}}


def _modal(callback_id: str, title: str, blocks: list[dict[str, Any]], *, metadata: str = "") -> dict[str, Any]:
    return {"type": "modal", "callback_id": callback_id, "title": plain(title), "submit": plain(SUBMIT),
            "close": plain(CLOSE), "private_metadata": metadata, "blocks": blocks}


def application_modal() -> dict[str, Any]:
    """The `/oco apply` form: motivation, what they can do, hours a month."""
    text = {"type": "plain_text_input", "multiline": True, "max_length": MAX_TEXT}
    return _modal(CallbackId.APPLICATION_MODAL.value, APPLICATION_TITLE, [
        section(APPLICATION_INTRO),
        _input(ApplicationField.MOTIVATION, LABEL_MOTIVATION, text),
        _input(ApplicationField.SKILLS, LABEL_SKILLS, text, optional=True),
        _input(ApplicationField.HOURS, LABEL_HOURS, {
            "type": "number_input", "is_decimal_allowed": False, "min_value": "0", "max_value": str(MAX_HOURS),
        }),
    ])


def rejection_modal(context: RejectionContext) -> dict[str, Any]:
    """Asks the section chief for the reason the applicant will read."""
    return _modal(CallbackId.REJECTION_MODAL.value, REJECTION_TITLE, [
        _input(REASON_FIELD, LABEL_REASON, {"type": "plain_text_input", "multiline": True, "max_length": MAX_TEXT}),
    ], metadata=context.model_dump_json(exclude_none=True))


def _value(values: dict[str, Any], block_id: str) -> str:
    element = (values.get(block_id) or {}).get(block_id) or {}
    value = element.get("value") if isinstance(element, dict) else None
    return value.strip() if isinstance(value, str) else ""


def read_application_form(values: dict[str, Any]) -> ApplicationForm:
    """The form's values, or FormInvalid with an inline error per bad input."""
    motivation, skills = _value(values, ApplicationField.MOTIVATION), _value(values, ApplicationField.SKILLS)
    hours = _value(values, ApplicationField.HOURS)
    errors: dict[str, str] = {}
    if not motivation:
        errors[ApplicationField.MOTIVATION] = ERROR_REQUIRED
    for field, text in ((ApplicationField.MOTIVATION, motivation), (ApplicationField.SKILLS, skills)):
        if len(text) > MAX_TEXT:
            errors[field] = ERROR_TOO_LONG
    # ASCII digits only: "²" is a digit to isdigit() but not to int().
    if not (hours.isascii() and hours.isdigit() and len(hours) <= 3 and int(hours) <= MAX_HOURS):
        errors[ApplicationField.HOURS] = ERROR_HOURS
    if errors:
        raise FormInvalid({str(k): v for k, v in errors.items()})
    return ApplicationForm(motivation=motivation, skills=skills, hours_per_month=int(hours))


def read_rejection(view: dict[str, Any]) -> tuple[RejectionContext, str]:
    """The application and the reason, or FormInvalid when the reason is missing."""
    try:
        context = RejectionContext.model_validate(json.loads(view.get("private_metadata") or "{}"))
    except (ValueError, ValidationError, RecursionError):  # tampered: not JSON, or nested past the limit
        raise FormInvalid({REASON_FIELD: "この応募は見つかりません。 / This application could not be found."}) from None
    reason = _value((view.get("state") or {}).get("values") or {}, REASON_FIELD)
    if not reason:
        raise FormInvalid({REASON_FIELD: ERROR_REQUIRED})
    if len(reason) > MAX_TEXT:
        raise FormInvalid({REASON_FIELD: ERROR_TOO_LONG})
    return context, reason
