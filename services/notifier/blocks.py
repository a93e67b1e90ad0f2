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


# --- announcements and city facts ---------------------------------------------------------

SECTION_LIMIT = 3000      # Slack's cap on a section's text
FALLBACK_LIMIT = 3900     # Slack advises keeping `text` under 4,000 characters
MAX_TEXT_SECTIONS = 20    # a message holds at most 50 blocks; a long English body stops well short


def context(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn[:SECTION_LIMIT]}]}


def divider() -> Block:
    return {"type": "divider"}


def _pieces(escaped: str, limit: int) -> list[str]:
    """Cut escaped text into pieces of at most `limit`, between lines where it can, never inside an entity."""
    pieces, current = [], ""
    for line in escaped.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while len(line) > limit:
            cut = limit
            amp = line.rfind("&", limit - 5, limit)  # an entity (&amp; &lt; &gt;) must stay whole
            if amp != -1 and ";" not in line[amp:limit]:
                cut = amp
            pieces.append(line[:cut])
            line = line[cut:]
        current = line
    if current.strip():
        pieces.append(current)
    return pieces


def text_sections(text: str) -> list[Block]:
    """`text` as escaped sections within Slack's per-section cap (so `<!channel>` stays text)."""
    return [section(piece) for piece in _pieces(escape(text.strip()), SECTION_LIMIT)[:MAX_TEXT_SECTIONS]]


def _fallback(*parts: str | None) -> str:
    text = "\n".join(escape(p.strip()) for p in parts if p and p.strip())
    return text if len(text) <= FALLBACK_LIMIT else text[: FALLBACK_LIMIT - 1] + "…"


def announcement_post(*, title: str, body: str, body_en: str | None = None) -> SlackMessage:
    """The announcement in its channel: the title, the Japanese text, the English beneath when given."""
    blocks = [header(title), *text_sections(body)]
    if body_en and body_en.strip():
        blocks += [divider(), *text_sections(body_en)]
    return SlackMessage(text=_fallback(title, body, body_en), blocks=blocks)


def announcement_dm(language: str, *, title: str, body: str, body_en: str | None = None,
                    channel_id: str | None = None) -> SlackMessage:
    """The announcement as a DM in `language`: the English text for `en` when there is one."""
    text = body_en if language == "en" and body_en and body_en.strip() else body
    blocks = [context(say(language, "announcement_from")), header(title), *text_sections(text)]
    if channel_id:
        blocks.append(context(say(language, "announcement_also_in", channel=f"<#{channel_id}>")))
    return SlackMessage(text=_fallback(title, text), blocks=blocks)


def moved_in_dm(language: str) -> SlackMessage:
    """Congratulations to a digital resident who moved to the city."""
    title, body = say(language, "moved_in_title"), say(language, "moved_in_body")
    return SlackMessage(text=f"{title}\n{body}", blocks=[header(title), section(body)])
