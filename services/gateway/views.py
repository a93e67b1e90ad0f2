"""Block Kit built by small functions: the profile modal, App Home and the `/oco` answers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.gateway import messages
from services.gateway.models import CONSENT_VALUE, LANGUAGES, MAX_DISPLAY_NAME, MAX_RELATION, ProfileField
from shared.departments import Department
from shared.slack_ids import ActionId, CallbackId

# Slack renders at most 10 checkboxes; a larger catalogue becomes a multi-select.
MAX_CHECKBOXES = 10

Block = dict[str, Any]


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text), "value": value}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def button(text: str, action_id: str, *, value: str = "", style: str | None = None) -> dict[str, Any]:
    element = {"type": "button", "text": plain(text), "action_id": action_id, "value": value or action_id}
    if style:
        element["style"] = style
    return element


def input_block(field: ProfileField, label: str, element: dict[str, Any], *, optional: bool = False) -> Block:
    return {
        "type": "input", "block_id": field.value, "label": plain(label), "optional": optional,
        "element": {**element, "action_id": field.value},
    }


def category_options() -> list[dict[str, Any]]:
    """The three resident categories; office roles are never offered here."""
    return [option(f"{ja} / {en}", c.value) for c, (ja, en) in messages.CATEGORY_LABELS.items()]


def department_options(departments: Iterable[Department]) -> list[dict[str, Any]]:
    return [option(f"{d.name_ja} / {d.name_en}", d.key) for d in departments]


def interests_element(departments: list[Department]) -> dict[str, Any]:
    options = department_options(departments)
    if len(options) <= MAX_CHECKBOXES:
        return {"type": "checkboxes", "options": options}
    return {"type": "multi_static_select", "options": options, "placeholder": plain("課を選ぶ / Choose departments")}


def profile_modal(*, departments: list[Department], display_name: str = "", language: str = "ja") -> dict[str, Any]:
    """The onboarding form: category, name, language, relation, interests, consent."""
    languages = [option(messages.LANGUAGE_LABELS[code], code) for code in LANGUAGES]
    initial_language = next(o for o in languages if o["value"] == (language if language in LANGUAGES else "ja"))
    name_element = {"type": "plain_text_input", "max_length": MAX_DISPLAY_NAME}
    if display_name:
        name_element["initial_value"] = display_name[:MAX_DISPLAY_NAME]
    blocks = [
        section(messages.PROFILE_INTRO),
        input_block(ProfileField.CATEGORY, messages.LABEL_CATEGORY, {
            "type": "static_select", "options": category_options(), "placeholder": plain("選んでください / Choose"),
        }),
        input_block(ProfileField.DISPLAY_NAME, messages.LABEL_DISPLAY_NAME, name_element, optional=True),
        input_block(ProfileField.LANGUAGE, messages.LABEL_LANGUAGE, {
            "type": "radio_buttons", "options": languages, "initial_option": initial_language,
        }),
        input_block(ProfileField.RELATION, messages.LABEL_RELATION, {
            "type": "plain_text_input", "multiline": True, "max_length": MAX_RELATION,
        }, optional=True),
        input_block(ProfileField.INTERESTS, messages.LABEL_INTERESTS, interests_element(departments), optional=True),
        # Optional for Slack so that a missing consent comes back as our own inline error.
        input_block(ProfileField.CONSENT, messages.LABEL_CONSENT, {
            "type": "checkboxes", "options": [option(messages.CONSENT_OPTION, CONSENT_VALUE)],
        }, optional=True),
    ]
    return {
        "type": "modal", "callback_id": CallbackId.PROFILE_MODAL.value, "title": plain(messages.PROFILE_TITLE),
        "submit": plain(messages.PROFILE_SUBMIT), "close": plain(messages.PROFILE_CLOSE), "blocks": blocks,
    }


def home_view(commands: list[tuple[str, str, str]]) -> dict[str, Any]:
    """App Home: a welcome card with the commands and a "Set up my profile" button."""
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": plain(messages.HOME_TITLE)},
            section(messages.HOME_BODY),
            {"type": "actions", "elements": [button(messages.SETUP_PROFILE_BUTTON, ActionId.OPEN_PROFILE, style="primary")]},
            {"type": "divider"},
            section(command_list(commands)),
        ],
    }


def command_list(commands: list[tuple[str, str, str]]) -> str:
    """One line per command: usage, Japanese help, English help."""
    return "\n".join(f"• `{usage}` — {ja} / {en}" for usage, ja, en in commands)


def ephemeral(text: str, blocks: list[Block] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"response_type": "ephemeral", "text": text}
    if blocks:
        message["blocks"] = blocks
    return message


def help_message(commands: list[tuple[str, str, str]]) -> dict[str, Any]:
    text = f"*{messages.HELP_HEADER}*\n{command_list(commands)}"
    return ephemeral(text, [section(text)])


def unknown_subcommand_message(name: str, known: Iterable[str]) -> dict[str, Any]:
    listed = ", ".join(f"`{k}`" for k in sorted(known))
    return ephemeral(messages.UNKNOWN_SUBCOMMAND.format(name=name[:50], known=listed))


def leave_confirmation() -> dict[str, Any]:
    """The question `/oco leave` asks before anything is deleted."""
    return ephemeral(messages.LEAVE_QUESTION, [
        section(messages.LEAVE_QUESTION),
        {"type": "actions", "block_id": "oco_leave", "elements": [
            button(messages.LEAVE_CONFIRM, ActionId.CONFIRM_LEAVE, style="danger"),
            button(messages.LEAVE_CANCEL, ActionId.CANCEL_LEAVE),
        ]},
    ])
