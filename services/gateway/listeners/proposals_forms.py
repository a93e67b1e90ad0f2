"""The proposal and answer modals, and what the gateway reads back from them.

Shared by `commands/proposals.py`, `shortcuts/proposals.py`, `actions/proposals.py` and
`views/proposals.py` (this module has no `register`, so it is not a listener itself).
The gateway checks only the form; who may answer is decided by the projects service.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.gateway.models import FormInvalid
from services.gateway.views import option, plain, section
from shared.departments import Department
from shared.slack_ids import CallbackId

MAX_TITLE = 150
MAX_TEXT = 3000
DEFAULT_DEPARTMENT = "ideas"

PROPOSAL_TITLE = "アイデアを提案 / Propose"
PROPOSAL_INTRO = (
    "まちをよくするアイデアを提案してください。アイデア課に投稿され、住民の応援が集まると課長が検討します。\n"
    "Propose an idea for the city. It is posted in the ideas department; with enough support a section chief reviews it."
)
ANSWER_TITLE = "提案に回答 / Answer"
ANSWER_INTRO = (
    "課長として公式に回答します。回答は提案者と応援した人に届きます。\n"
    "Your official answer as a section chief; the proposer and supporters will read it."
)
LABEL_TITLE = "タイトル / Title"
LABEL_PROBLEM = "どんな課題？ / The problem"
LABEL_IDEA = "アイデア / The idea"
LABEL_DEPARTMENT = "担当の課 / Department"
LABEL_DECISION = "判断 / Decision"
LABEL_ANSWER = "公式の回答 / Official answer"
DECISIONS = {"accepted": "採用する / Accept", "declined": "見送る / Decline"}
SUBMIT, CLOSE = "送信 / Send", "閉じる / Close"
ERROR_REQUIRED = "入力してください。 / Please fill this in."
ERROR_PROBLEM_OR_IDEA = "課題かアイデアのどちらかを書いてください。 / Describe the problem or the idea."
ERROR_TOO_LONG = "長すぎます。 / This is too long."
ERROR_DEPARTMENT = "課を選んでください。 / Pick a department."
ERROR_DECISION = "採用か見送りを選んでください。 / Choose accept or decline."
ERROR_GONE = "この提案は見つかりません。 / This proposal could not be found."


class ProposalContext(BaseModel):
    """The proposal modal's `private_metadata`: where it was opened from."""

    model_config = ConfigDict(frozen=True)

    via: Literal["form", "shortcut"] = "form"
    channel_id: str | None = Field(None, max_length=40, description="Where /oco propose was typed.")
    source_channel_id: str | None = Field(None, max_length=40)
    source_ts: str | None = Field(None, max_length=40)


class AnswerContext(BaseModel):
    """The answer modal's `private_metadata`: which proposal, clicked where."""

    model_config = ConfigDict(frozen=True)

    proposal_id: str = Field(min_length=1, max_length=100)
    channel_id: str | None = Field(None, max_length=40)


class ProposalForm(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    problem: str = Field("", max_length=MAX_TEXT)
    idea: str = Field("", max_length=MAX_TEXT)
    department: str


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False) -> dict[str, Any]:
    return {"type": "input", "block_id": block_id, "label": plain(label), "optional": optional,
            "element": {**element, "action_id": block_id}}


def _text(max_length: int, *, multiline: bool = True, initial: str = "") -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "multiline": multiline, "max_length": max_length}
    if initial:
        element["initial_value"] = initial[:max_length]
    return element


def _modal(callback_id: str, title: str, blocks: list[dict[str, Any]], metadata: BaseModel) -> dict[str, Any]:
    return {"type": "modal", "callback_id": callback_id, "title": plain(title), "submit": plain(SUBMIT),
            "close": plain(CLOSE), "private_metadata": metadata.model_dump_json(exclude_none=True), "blocks": blocks}


def proposal_modal(departments: list[Department], context: ProposalContext, *, title: str = "",
                   idea: str = "") -> dict[str, Any]:
    """The proposal form; the "Propose this" shortcut prefills it from the message."""
    options = [option(f"{d.name_ja} / {d.name_en}", d.key) for d in departments]
    initial = next((o for o in options if o["value"] == DEFAULT_DEPARTMENT), options[0] if options else None)
    select: dict[str, Any] = {"type": "static_select", "options": options}
    if initial:
        select["initial_option"] = initial
    return _modal(CallbackId.PROPOSAL_MODAL.value, PROPOSAL_TITLE, [
        section(PROPOSAL_INTRO),
        _input("title", LABEL_TITLE, _text(MAX_TITLE, multiline=False, initial=title)),
        _input("problem", LABEL_PROBLEM, _text(MAX_TEXT), optional=True),
        _input("idea", LABEL_IDEA, _text(MAX_TEXT, initial=idea), optional=True),
        _input("department", LABEL_DEPARTMENT, select),
    ], context)


def answer_modal(context: AnswerContext) -> dict[str, Any]:
    """Accept or decline, with the official answer (always required)."""
    radios = {"type": "radio_buttons", "options": [option(label, value) for value, label in DECISIONS.items()]}
    return _modal(CallbackId.ANSWER_MODAL.value, ANSWER_TITLE, [
        section(ANSWER_INTRO),
        _input("decision", LABEL_DECISION, radios),
        _input("answer", LABEL_ANSWER, _text(MAX_TEXT)),
    ], context)


def _element(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    element = (values.get(block_id) or {}).get(block_id)
    return element if isinstance(element, dict) else {}


def _value(values: dict[str, Any], block_id: str) -> str:
    value = _element(values, block_id).get("value")
    return value.strip() if isinstance(value, str) else ""


def _selected(values: dict[str, Any], block_id: str) -> str:
    chosen = _element(values, block_id).get("selected_option") or {}
    return chosen.get("value", "") if isinstance(chosen, dict) else ""


def read_proposal_form(values: dict[str, Any], *, departments: list[Department]) -> ProposalForm:
    """The form's values, or FormInvalid with an inline error per bad input."""
    title, problem, idea = _value(values, "title"), _value(values, "problem"), _value(values, "idea")
    department = _selected(values, "department")
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = ERROR_REQUIRED
    elif len(title) > MAX_TITLE:
        errors["title"] = ERROR_TOO_LONG
    if not (problem or idea):
        errors["idea"] = ERROR_PROBLEM_OR_IDEA
    for field, text in (("problem", problem), ("idea", idea)):
        if len(text) > MAX_TEXT:
            errors[field] = ERROR_TOO_LONG
    if department not in {d.key for d in departments}:
        errors["department"] = ERROR_DEPARTMENT
    if errors:
        raise FormInvalid(errors)
    return ProposalForm(title=title, problem=problem, idea=idea, department=department)


def read_context(view: dict[str, Any], model: type[BaseModel], error_block: str) -> BaseModel:
    """The modal's `private_metadata` as `model`, or FormInvalid when it was tampered with."""
    try:
        return model.model_validate(json.loads(view.get("private_metadata") or "{}"))
    except (ValueError, ValidationError, RecursionError):  # tampered: not JSON, or nested past the limit
        raise FormInvalid({error_block: ERROR_GONE}) from None


def read_answer_form(view: dict[str, Any]) -> tuple[AnswerContext, str, str]:
    """(context, decision, answer), or FormInvalid: both a decision and an answer are required."""
    context = read_context(view, AnswerContext, "answer")
    values = (view.get("state") or {}).get("values") or {}
    decision, answer = _selected(values, "decision"), _value(values, "answer")
    errors: dict[str, str] = {}
    if decision not in DECISIONS:
        errors["decision"] = ERROR_DECISION
    if not answer:
        errors["answer"] = ERROR_REQUIRED
    elif len(answer) > MAX_TEXT:
        errors["answer"] = ERROR_TOO_LONG
    if errors:
        raise FormInvalid(errors)
    return context, decision, answer


def prefill_from_message(text: str) -> tuple[str, str]:
    """(title, idea) from a message: its first line as the title, the whole text as the idea."""
    text = (text or "").strip()
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first_line[:MAX_TITLE], text[:MAX_TEXT]
