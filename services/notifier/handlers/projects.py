"""Proposals and projects news: the proposal's post in the ideas channel (Support / Answer
buttons, a live support count), status changes told to the author, the supporters (DMs) and
the source thread, the chiefs asked to answer, refusals explained, project channels made.

- The post's delivery key is `proposal:<tenant>:<id>/post`: later events find its channel
  and ts through the delivery record. `proposal.posted` tells the projects service where it
  is (👍 on it supports the proposal), with the permalinks and, for 💡 proposals, the first
  line of the source message (its title).
- The live count: `proposal.supported` / `.unsupported` carry the count and when it was
  counted; a count older than the one shown is skipped, so out-of-order events can't roll the
  number back. The post is re-rendered from a card kept here (title, texts, status).
- Project channels: `project.channel_requested` → `conversations.create` (a taken name gets
  a suffix), invite the team, post an introduction, then `project.channel_created` back to
  the projects service, which launches the project.

Channel posts speak both languages; DMs speak the recipient's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared import topics
from shared.departments import Department
from shared.envelope import CloudEvent, TypedEvent, derive_id, new_event
from shared.errors import PermanentError
from shared.events import (
    ProjectChannelCreated,
    ProjectChannelRequested,
    ProjectProgressReported,
    ProposalActionRefused,
    ProposalCreated,
    ProposalPosted,
    ProposalStatusChanged,
    ProposalSupported,
)
from shared.service import ServiceRuntime
from shared.slack_ids import ActionId
from services.notifier.blocks import SlackMessage, actions, button, escape, header, section
from services.notifier.errors import DeliveryRefused
from services.notifier.handlers import SOURCE, NotifierDeps, consume, delivered, open_dm, preferred_language
from services.notifier.slack_client import SlackDelivery
from services.notifier.store import ResidentCache

IDEAS = "ideas"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
STATUS_NAMES = {
    "open": "受付中 / Open", "under_review": "課長が検討中 / Under review", "accepted": "採用 / Accepted",
    "declined": "見送り / Declined", "launched": "プロジェクト進行中 / Project running",
    "completed": "完了 / Completed",
}
TEXTS = {
    "ja": {
        "posted": "提案「{title}」をアイデア課に投稿しました：{link}",
        "under_review": "「{title}」が{supports}人の応援を集め、課長の検討に入りました。",
        "accepted": "「{title}」は採用されました 🎉\n課長の回答：{answer}",
        "declined": "「{title}」は見送りとなりました。\n課長の回答：{answer}",
        "launched": "「{title}」のプロジェクトが始まりました：<#{channel}>",
        "completed": "「{title}」のプロジェクトが完了しました。\nまとめ：{summary}",
        "please_answer": "「{title}」が{supports}人の応援を集めました。課長として回答をお願いします。",
        "refused": "この操作はできませんでした：{reason}",
    },
    "en": {
        "posted": "Your proposal \"{title}\" is posted in the ideas department: {link}",
        "under_review": "\"{title}\" gathered {supports} supports and is now under review by the section chiefs.",
        "accepted": "\"{title}\" was accepted 🎉\nThe section chief's answer: {answer}",
        "declined": "\"{title}\" was declined.\nThe section chief's answer: {answer}",
        "launched": "The project for \"{title}\" has started: <#{channel}>",
        "completed": "The project for \"{title}\" is completed.\nSummary: {summary}",
        "please_answer": "\"{title}\" gathered {supports} supports. Please answer it as a section chief.",
        "refused": "That did not work: {reason}",
    },
}
REFUSALS_JA = {
    "own_proposal": "自分の提案は応援できません。",
    "not_authorised": "この操作は課長（またはプロジェクトのメンバー）だけができます。",
    "closed": "この提案はすでに回答済みのため、応援は変えられません。",
    "illegal_transition": "この提案の今の状態ではできない操作です。",
    "not_found": "対象の提案・プロジェクトが見つかりません。",
    "answer_required": "公式の回答の文面が必要です。",
    "unknown_department": "その課はありません。",
    "incomplete": "タイトルと、課題かアイデアを書いてください。",
}


def say(language: str, key: str, **values: Any) -> str:
    return TEXTS.get(language, TEXTS["ja"])[key].format(**values)


def both(key: str, **values: Any) -> str:
    """Japanese, then English: for posts that everyone in a channel reads."""
    return f"{say('ja', key, **values)}\n{say('en', key, **values)}"


def post_key(tenant: str, proposal_id: str) -> str:
    return f"proposal:{tenant}:{proposal_id}/post"


# --- the proposal card: what the post shows ---------------------------------------------


class Card(BaseModel):
    tenant: str
    proposal_id: str
    title: str
    problem: str = ""
    idea: str = ""
    quote: str = ""
    department: str = ""
    author_id: str
    source_link: str | None = None
    status: str = "open"


class MongoCards:
    """Cards and live counts, one document each (a count is written apart from its card)."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.cards, self.counts = db["proposal_cards"], db["proposal_counts"]

    async def save(self, card: Card) -> None:
        key = f"{card.tenant}:{card.proposal_id}"
        await self.cards.replace_one({"_id": key}, {"_id": key, **card.model_dump()}, upsert=True)

    async def get(self, tenant: str, proposal_id: str) -> Card | None:
        doc = await self.cards.find_one({"_id": f"{tenant}:{proposal_id}"})
        return Card.model_validate(doc) if doc else None

    async def set_status(self, tenant: str, proposal_id: str, status: str) -> None:
        await self.cards.update_one({"_id": f"{tenant}:{proposal_id}"}, {"$set": {"status": status}})

    async def newer_count(self, tenant: str, proposal_id: str, supports: int, counted_at: datetime) -> bool:
        """Keep `supports` unless a later count is kept already; True when it was kept."""
        try:
            await self.counts.update_one({"_id": f"{tenant}:{proposal_id}", "counted_at": {"$lt": counted_at}},
                                         {"$set": {"supports": supports, "counted_at": counted_at}}, upsert=True)
        except DuplicateKeyError:  # the stored count is as new or newer
            return False
        return True

    async def count(self, tenant: str, proposal_id: str) -> int:
        doc = await self.counts.find_one({"_id": f"{tenant}:{proposal_id}"})
        return int(doc["supports"]) if doc else 0


def proposal_post(card: Card, supports: int, departments: dict[str, Department]) -> SlackMessage:
    """The proposal in the ideas channel: its texts, support count, status and buttons."""
    department = departments.get(card.department)
    where = f"{department.name_ja} / {department.name_en}" if department else card.department
    meta = [f"提案 / Proposed by <@{card.author_id}>", f"課 / Department: {escape(where)}"]
    if card.source_link:
        meta.append(f"<{card.source_link}|元の投稿 / Source>")
    blocks = [header(f"💡 {card.title}")]
    blocks += [section(f"> {escape(card.quote)}")] if card.quote else []
    blocks += [section(f"*課題 / Problem*\n{escape(card.problem)}")] if card.problem else []
    blocks += [section(f"*アイデア / Idea*\n{escape(card.idea)}")] if card.idea else []
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(meta)}]})
    status = STATUS_NAMES.get(card.status, card.status)
    blocks.append(section(f"👍 *{supports}* 人が応援 / supporters · {status}"))
    buttons = []
    if card.status in ("open", "under_review"):
        buttons.append(button("👍 応援する / Support", ActionId.SUPPORT_PROPOSAL.value, value=card.proposal_id))
        buttons.append(button("回答する（課長） / Answer (chiefs)", ActionId.ANSWER_PROPOSAL.value,
                              value=card.proposal_id, style=None))
    blocks += [actions(*buttons)] if buttons else []
    return SlackMessage(text=f"💡 {escape(card.title)} — 👍 {supports} · {status}", blocks=blocks)


def plain(text: str) -> SlackMessage:
    return SlackMessage(text=text, blocks=[section(text)])


# --- small Slack steps -------------------------------------------------------------------


async def permalink(slack: SlackDelivery, cause: TypedEvent, channel: str | None, ts: str | None) -> str | None:
    """A message's permalink, or None when Slack won't say (the link is a nicety)."""
    if not (channel and ts):
        return None
    try:
        body = await slack.call("chat.getPermalink", key=f"{cause.id}/permalink/{ts}", channel=channel, message_ts=ts)
    except DeliveryRefused:
        return None
    return body.get("permalink")


async def source_text(slack: SlackDelivery, cause: TypedEvent, channel: str, ts: str) -> str:
    """The text of the message a 💡 made a proposal, or "" when it can't be read."""
    try:
        body = await slack.call("conversations.history", key=f"{cause.id}/source", channel=channel, latest=ts,
                                inclusive=True, limit=1)
    except DeliveryRefused:
        return ""
    found = [m for m in body.get("messages", []) if m.get("ts") == ts]
    return (found[0].get("text") or "").strip() if found else ""


async def post(slack: SlackDelivery, cause: TypedEvent, step: str, message: SlackMessage, *, channel: str,
               thread_ts: str | None = None) -> CloudEvent:
    extra = {"thread_ts": thread_ts} if thread_ts else {}
    done = await slack.deliver(key=f"{cause.id}/{step}", tenant=cause.tenant, cause_event_id=cause.id,
                               method="chat.postMessage", channel=channel, **message.as_args(), **extra)
    return delivered(cause, done)


async def dm(slack: SlackDelivery, cause: TypedEvent, user_id: str, step: str, message: SlackMessage) -> CloudEvent:
    return await post(slack, cause, step, message, channel=await open_dm(slack, cause, user_id))


async def each(deliveries) -> list[CloudEvent]:
    """Run every delivery; refusals (a deactivated supporter) don't stop the others, then raise together."""
    done, refusals = [], []
    for delivery in deliveries:
        try:
            done.append(await delivery())
        except DeliveryRefused as exc:
            refusals += exc.refusals
    if refusals:
        raise DeliveryRefused(refusals, emitted=done)
    return done


async def refresh_post(slack: SlackDelivery, cards: MongoCards, cause: TypedEvent, proposal_id: str,
                       departments: dict[str, Department]) -> None:
    """Re-render the proposal's post (chat.update is idempotent: not recorded)."""
    posted = await slack.store.get(post_key(cause.tenant, proposal_id))
    card = await cards.get(cause.tenant, proposal_id)
    if posted is None or not (posted.channel and posted.ts) or card is None:
        return  # not posted yet: the post will show the count when it is
    count = await cards.count(cause.tenant, proposal_id)
    message = proposal_post(card, count, departments)
    await slack.call("chat.update", key=f"{cause.id}/post_update", channel=posted.channel, ts=posted.ts,
                     **message.as_args())


def emit(cause: TypedEvent, topic: topics.Topic, data: BaseModel, label: str, subject: str) -> CloudEvent:
    return new_event(id=derive_id(cause.id, label), type=topic.name, subject=subject, tenant=cause.tenant,
                     data=data, source=SOURCE)


# --- handlers ----------------------------------------------------------------------------


async def when_proposal_created_post_it(
    event: TypedEvent[ProposalCreated], *, slack: SlackDelivery, residents: ResidentCache, cards: MongoCards,
    departments: dict[str, Department],
) -> list[CloudEvent]:
    """Post the proposal in the ideas channel, tell its source thread and its author, report where."""
    data = event.data
    source_link = data.source_permalink or await permalink(slack, event, data.source_channel_id, data.source_ts)
    quote = await source_text(slack, event, data.source_channel_id, data.source_ts) if (
        data.via == "reaction" and data.source_channel_id and data.source_ts) else ""
    excerpt = next((line.strip() for line in quote.splitlines() if line.strip()), "")[:150]
    card = Card(tenant=event.tenant, proposal_id=data.proposal_id, title=excerpt or data.title,
                problem=data.problem, idea=data.idea, quote=quote[:2000], department=data.department,
                author_id=data.user_id, source_link=source_link)
    earlier = await cards.get(event.tenant, data.proposal_id)
    card.status = earlier.status if earlier else card.status  # a redelivery must not undo a later status
    await cards.save(card)
    ideas = departments.get(IDEAS)
    channel = (ideas.channel_id or f"#{ideas.channel_name}") if ideas else f"#{IDEAS}"
    message = proposal_post(card, await cards.count(event.tenant, data.proposal_id), departments)
    done = await slack.deliver(key=post_key(event.tenant, data.proposal_id), tenant=event.tenant,
                               cause_event_id=event.id, method="chat.postMessage", channel=channel,
                               **message.as_args())
    link = await permalink(slack, event, done.channel, done.ts) or ""
    title = escape(card.title)
    steps = []
    if data.source_channel_id and data.source_ts:
        note = f"💡 この投稿はアイデアとして提案されました / This message became a proposal: {link}"
        steps.append(lambda: post(slack, event, "source_thread", plain(note), channel=data.source_channel_id,
                                  thread_ts=data.source_ts))
    language = await preferred_language(slack, residents, event, data.user_id)
    told_author = plain(say(language, "posted", title=title, link=link))
    steps.append(lambda: dm(slack, event, data.user_id, "author_dm", told_author))
    posted = ProposalPosted(proposal_id=data.proposal_id, channel_id=done.channel or channel, ts=done.ts or "",
                            permalink=link or None, source_permalink=source_link, source_excerpt=excerpt or None)
    reported = emit(event, topics.PROPOSAL_POSTED, posted, "posted", data.proposal_id)
    try:
        told = await each(steps)
    except DeliveryRefused as exc:  # the post stands: still say where it is
        exc.emitted = [delivered(event, done), reported, *exc.emitted]
        raise
    return [delivered(event, done), reported, *told]


async def when_support_changed_update_count(
    event: TypedEvent[ProposalSupported], *, slack: SlackDelivery, cards: MongoCards,
    departments: dict[str, Department],
) -> list[CloudEvent]:
    """Show the new support count on the post, unless a later count is shown already."""
    data = event.data
    if await cards.newer_count(event.tenant, data.proposal_id, data.supports, data.counted_at or event.time):
        await refresh_post(slack, cards, event, data.proposal_id, departments)
    return []


async def when_status_changed_tell_everyone(
    event: TypedEvent[ProposalStatusChanged], *, slack: SlackDelivery, residents: ResidentCache, cards: MongoCards,
    departments: dict[str, Department],
) -> list[CloudEvent]:
    """The author and supporters (DMs), the source thread, the post's thread; the chiefs at review."""
    data = event.data
    await cards.set_status(event.tenant, data.proposal_id, data.status.value)
    await refresh_post(slack, cards, event, data.proposal_id, departments)
    values = {"title": escape(data.title), "supports": data.supports, "answer": escape(data.answer or ""),
              "channel": data.project_channel_id or "", "summary": escape(data.summary or "")}
    key = data.status.value
    if key not in TEXTS["ja"]:
        return []

    def tell(user: str, step: str, text_key: str, with_button: bool = False):
        async def run() -> CloudEvent:
            language = await preferred_language(slack, residents, event, user)
            text = say(language, text_key, **values)
            blocks = [section(text)]
            if with_button:
                answer = button("回答する / Answer", ActionId.ANSWER_PROPOSAL.value, value=data.proposal_id)
                blocks.append(actions(answer))
            return await dm(slack, event, user, step, SlackMessage(text=text, blocks=blocks))
        return run

    steps = [tell(user, f"dm/{user}", key) for user in dict.fromkeys([data.author_id, *data.supporter_ids])]
    for where, channel, ts in (("source_thread", data.source_channel_id, data.source_ts),
                               ("post_thread", data.post_channel_id, data.post_ts)):
        if channel and ts:
            steps.append(lambda w=where, c=channel, t=ts: post(slack, event, w, plain(both(key, **values)),
                                                                channel=c, thread_ts=t))
    if key == "under_review":
        steps += [tell(chief, f"chief/{chief}", "please_answer", True) for chief in data.section_chief_ids]
    return await each(steps)


async def when_action_refused_explain(
    event: TypedEvent[ProposalActionRefused], *, slack: SlackDelivery, residents: ResidentCache
) -> list[CloudEvent]:
    """Explain a refusal to whoever attempted it: ephemeral where they acted, else a DM."""
    data = event.data
    language = await preferred_language(slack, residents, event, data.user_id)
    reason = REFUSALS_JA.get(data.code, data.reason) if language == "ja" else data.reason
    message = plain(say(language, "refused", reason=escape(reason)))
    if not data.channel_id:
        return [await dm(slack, event, data.user_id, "refused", message)]
    done = await slack.deliver(key=f"{event.id}/refused", tenant=event.tenant, cause_event_id=event.id,
                               method="chat.postEphemeral", channel=data.channel_id, user=data.user_id,
                               **message.as_args())
    return [delivered(event, done)]


async def create_channel(slack: SlackDelivery, cause: TypedEvent, name: str) -> str:
    """A new channel named `name`, or `name-2`, `name-3`… when the name is taken."""
    for attempt in range(1, 6):
        candidate = name if attempt == 1 else f"{name[:76]}-{attempt}"
        try:
            done = await slack.deliver(key=f"{cause.id}/create/{attempt}", tenant=cause.tenant,
                                       cause_event_id=cause.id, method="conversations.create", name=candidate)
        except DeliveryRefused as exc:
            if exc.refusals[0].error == "name_taken":
                continue
            raise
        if done.channel:
            return done.channel
    raise PermanentError(f"no free channel name like {name!r}")


async def when_channel_requested_create_it(
    event: TypedEvent[ProjectChannelRequested], *, slack: SlackDelivery
) -> list[CloudEvent]:
    """Create the project's channel, invite its team, introduce it; report the channel back."""
    data = event.data
    channel = await create_channel(slack, event, data.name)
    done = []
    if data.member_ids:
        invited = await slack.deliver(key=f"{event.id}/invite", tenant=event.tenant, cause_event_id=event.id,
                                      method="conversations.invite", channel=channel, users=",".join(data.member_ids))
        done.append(delivered(event, invited))
    intro = (f"🚀 *{escape(data.title)}*\nプロジェクトのチャンネルです。担当課長 / Owner: <@{data.owner_id}>\n"
             "進捗は `/oco project update …`、完了は `/oco project complete …` で。 / "
             "Post progress with `/oco project update …`, finish with `/oco project complete …`.")
    done.append(await post(slack, event, "intro", plain(intro), channel=channel))
    created = ProjectChannelCreated(project_id=data.project_id, proposal_id=data.proposal_id, channel_id=channel,
                                    name=data.name)
    return [*done, emit(event, topics.PROJECT_CHANNEL_CREATED, created, "channel_created", data.project_id)]


async def when_progress_reported_post_it(
    event: TypedEvent[ProjectProgressReported], *, slack: SlackDelivery
) -> list[CloudEvent]:
    """A progress update in the project's channel and in the proposal post's thread."""
    data = event.data
    message = plain(f"📣 *{escape(data.title)}* — 進捗 / Progress (<@{data.user_id}>)\n{escape(data.text)}")
    steps = []
    if data.channel_id:
        steps.append(lambda: post(slack, event, "project_post", message, channel=data.channel_id))
    if data.post_channel_id and data.post_ts:
        steps.append(lambda: post(slack, event, "post_thread", message, channel=data.post_channel_id,
                                  thread_ts=data.post_ts))
    return await each(steps)


def register(runtime: ServiceRuntime, deps: NotifierDeps) -> None:
    cards = MongoCards(runtime.db)
    departments = {d.key: d for d in deps.departments}
    common = {"slack": deps.slack, "residents": deps.residents}
    consume(runtime, deps, topics.PROPOSAL_CREATED, when_proposal_created_post_it, cards=cards,
            departments=departments, **common)
    for topic in (topics.PROPOSAL_SUPPORTED, topics.PROPOSAL_UNSUPPORTED):
        consume(runtime, deps, topic, when_support_changed_update_count, slack=deps.slack, cards=cards,
                departments=departments)
    consume(runtime, deps, topics.PROPOSAL_STATUS_CHANGED, when_status_changed_tell_everyone, cards=cards,
            departments=departments, **common)
    consume(runtime, deps, topics.PROPOSAL_ACTION_REFUSED, when_action_refused_explain, **common)
    consume(runtime, deps, topics.PROJECT_CHANNEL_REQUESTED, when_channel_requested_create_it, slack=deps.slack)
    consume(runtime, deps, topics.PROJECT_PROGRESS_REPORTED, when_progress_reported_post_it, slack=deps.slack)
