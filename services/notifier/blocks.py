"""Block Kit for the notifier's messages, built by small functions; each message also has a
plain-text `text` fallback (notifications and screen readers use it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.departments import Department
from shared.events import Category
from shared.slack_ids import ActionId
from services.notifier.messages import category_name, say

Block = dict[str, Any]


@dataclass(frozen=True)
class SlackMessage:
    text: str
    blocks: list[Block]

    def as_args(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def escape(text: str) -> str:
    """Slack's mrkdwn escaping, so a name can't become a mention or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150], "emoji": True}}


def section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn[:3000]}}


def button(label: str, action_id: str, *, value: str = "", style: str | None = "primary") -> Block:
    element: Block = {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": label[:75]}}
    if value:
        element["value"] = value
    if style:
        element["style"] = style
    return element


def actions(*elements: Block) -> Block:
    return {"type": "actions", "elements": list(elements)}


def department_line(language: str, department: Department) -> str:
    """One recommended department: a channel link when it has one, else a note why not."""
    name = department.name_ja if language == "ja" else department.name_en
    if department.channel_id:
        return f"• {name} — " + say(language, "invited", channel=f"<#{department.channel_id}>")
    return f"• {name} — " + say(language, "not_invitable", channel_name=escape(department.channel_name))


def welcome_dm(language: str, *, display_name: str = "") -> SlackMessage:
    """The first DM after joining, with the "Set up my profile" button."""
    title = say(language, "welcome_title_named", name=display_name) if display_name else say(language, "welcome_title")
    body = say(language, "welcome_body")
    blocks = [
        header(title),
        section(escape(body)),
        actions(button(say(language, "open_profile"), ActionId.OPEN_PROFILE.value, value="open_profile")),
    ]
    return SlackMessage(text=f"{escape(title)}\n{escape(body)}", blocks=blocks)


def recommendations(language: str, departments: list[Department]) -> tuple[str, list[Block]]:
    if not departments:
        line = say(language, "recommend_none")
        return line, [section(line)]
    lines = [say(language, "recommend_intro"), *(department_line(language, d) for d in departments)]
    return "\n".join(lines), [section("\n".join(lines))]


def resident_welcome_dm(language: str, *, category: Category | str, departments: list[Department]) -> SlackMessage:
    """The DM after the first profile: the category and the departments that fit."""
    title = say(language, "resident_title")
    body = say(language, "resident_body", category=category_name(language, category))
    recommended_text, recommended_blocks = recommendations(language, departments)
    blocks = [header(title), section(body), *recommended_blocks]
    return SlackMessage(text=f"{title}\n{body}\n{recommended_text}".replace("*", ""), blocks=blocks)


def profile_updated_dm(language: str, *, category: Category | str, added: list[Department]) -> SlackMessage:
    """The short DM after a profile update, naming newly added departments if any."""
    title = say(language, "updated_title")
    body = say(language, "updated_body", category=category_name(language, category))
    blocks = [section(f"*{title}*\n{body}")]
    lines = [title, body]
    if added:
        added_lines = [say(language, "updated_new"), *(department_line(language, d) for d in added)]
        blocks.append(section("\n".join(added_lines)))
        lines += added_lines
    return SlackMessage(text="\n".join(lines).replace("*", ""), blocks=blocks)
