"""Reading Web API arguments the way Slack does: form values are strings, JSON values are
typed, and structured arguments (blocks, view, metadata) may come as JSON text."""

from __future__ import annotations

import json
from typing import Any

from services.slack_standin.world import SlackError

MAX_TEXT = 40_000
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100


def required(args: dict[str, Any], name: str, error: str = "invalid_arguments") -> str:
    """A required string argument; `error` is the method's own code for a missing one."""
    value = args.get(name)
    if value is None or value == "":
        if error == "invalid_arguments":
            raise SlackError(error, f"[ERROR] missing required field: {name}")
        raise SlackError(error)
    return str(value)


def flag(args: dict[str, Any], name: str) -> bool:
    value = args.get(name)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def listed(value: Any) -> list[str]:
    """A comma-separated string or a JSON list, as a list of non-empty strings."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def structured(args: dict[str, Any], name: str, *, error: str = "invalid_arguments") -> Any:
    """An argument that is JSON (blocks, view, metadata), given as text or as a value."""
    value = args.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise SlackError(error, f"[ERROR] failed to parse {name} as JSON") from None
    return value


def number(args: dict[str, Any], name: str, default: float | None, error: str) -> float | None:
    value = args.get(name)
    if value in (None, ""):
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SlackError(error) from None


def message_content(args: dict[str, Any]) -> dict[str, Any]:
    """text / blocks / attachments of a message, checked as chat.postMessage checks them."""
    text = args.get("text")
    blocks = structured(args, "blocks", error="invalid_blocks") if args.get("blocks") not in (None, "") else None
    attachments = structured(args, "attachments", error="invalid_attachments") if args.get("attachments") else None
    if not text and not blocks and not attachments:
        raise SlackError("no_text")
    if text is not None and len(str(text)) > MAX_TEXT:
        raise SlackError("msg_too_long")
    if blocks is not None:
        check_blocks(blocks, limit=MAX_MESSAGE_BLOCKS, error="invalid_blocks")
    if attachments is not None and not isinstance(attachments, list):
        raise SlackError("invalid_attachments")
    return {"text": "" if text is None else str(text), "blocks": blocks, "attachments": attachments}


def check_blocks(blocks: Any, *, limit: int, error: str) -> None:
    """The structural rules of Block Kit the product could break."""
    if not isinstance(blocks, list):
        raise SlackError(error, "[ERROR] must be an array [json-pointer:/blocks]")
    if len(blocks) > limit:
        raise SlackError(error, f"[ERROR] no more than {limit} items allowed [json-pointer:/blocks]")
    for i, block in enumerate(blocks):
        where = f"[json-pointer:/blocks/{i}]"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise SlackError(error, f"[ERROR] missing required field: type {where}")
        text = block.get("text")
        if isinstance(text, dict) and len(str(text.get("text", ""))) > (150 if block["type"] == "header" else 3000):
            raise SlackError(error, f"[ERROR] must be less than 3001 characters {where}/text/text")
        if block["type"] == "section" and not text and not block.get("fields"):
            raise SlackError(error, f"[ERROR] must provide either text or fields {where}")
        elements = block.get("elements", [])
        if block["type"] == "actions" and (not isinstance(elements, list) or not 0 < len(elements) <= 25):
            raise SlackError(error, f"[ERROR] must have 1 to 25 elements {where}/elements")
        for j, element in enumerate(elements if isinstance(elements, list) else []):
            action_id = element.get("action_id") if isinstance(element, dict) else None
            if action_id is not None and len(str(action_id)) > 255:
                raise SlackError(error, f"[ERROR] must be less than 256 characters {where}/elements/{j}/action_id")


def metadata(args: dict[str, Any]) -> dict[str, Any] | None:
    """Message metadata: `{"event_type": str, "event_payload": {...}}`, or None."""
    if args.get("metadata") in (None, ""):
        return None
    value = structured(args, "metadata", error="invalid_metadata_format")
    if not isinstance(value, dict):
        raise SlackError("invalid_metadata_format")
    if not isinstance(value.get("event_type"), str) or not isinstance(value.get("event_payload"), dict):
        raise SlackError("invalid_metadata_schema")
    return {"event_type": value["event_type"], "event_payload": value["event_payload"]}


def view_definition(args: dict[str, Any], *, allowed_types: tuple[str, ...]) -> dict[str, Any]:
    """A view object as views.open/publish/update/push accept it."""
    view = structured(args, "view")
    if view is None:
        raise SlackError("invalid_arguments", "[ERROR] missing required field: view")
    if not isinstance(view, dict):
        raise SlackError("invalid_arguments", "[ERROR] must be an object [json-pointer:/view]")
    if view.get("type") not in allowed_types:
        raise SlackError("invalid_arguments", f"[ERROR] must be one of {', '.join(allowed_types)} [json-pointer:/view/type]")
    if view["type"] == "modal":
        title = view.get("title")
        if not isinstance(title, dict) or not title.get("text"):
            raise SlackError("invalid_arguments", "[ERROR] missing required field: title [json-pointer:/view]")
        if len(str(title["text"])) > 24:
            raise SlackError("invalid_arguments", "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]")
    check_blocks(view.get("blocks"), limit=MAX_VIEW_BLOCKS, error="invalid_arguments")
    if view["type"] == "modal" and any(b.get("type") == "input" for b in view["blocks"]) and not view.get("submit"):
        raise SlackError("invalid_arguments", "[ERROR] submit is required when an input block is present [json-pointer:/view]")
    if len(str(view.get("private_metadata", ""))) > 3000:
        raise SlackError("invalid_arguments", "[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]")
    return view
