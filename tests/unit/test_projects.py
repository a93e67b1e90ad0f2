"""The projects service's logic on the in-memory store: status machine, supports, threshold,
authorisation by the chiefs replica, and re-runs that re-emit instead of acting twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared import topics
from shared.departments import DEFAULT_DEPARTMENTS, by_key
from shared.envelope import TypedEvent, new_event
from shared.events import (
    ProjectChannelCreated,
    ProjectCompletionSubmitted,
    ProjectProgressSubmitted,
    ProposalAnswerSubmitted,
    ProposalPosted,
    ProposalStatus as S,
    ProposalSubmitted,
    ProposalSupportRequested,
    ReactionAdded,
    ReactionRemoved,
    RoleGranted,
    RoleRevoked,
)
from services.projects import handlers
from services.projects.handlers.answers import channel_name
from services.projects.memory_store import InMemoryProjectsStore
from services.projects.models import ChiefChange, active_chief_departments, illegal_move

pytestmark = pytest.mark.unit
T0 = datetime(2026, 3, 1, tzinfo=UTC)
TENANT = "T1"
DEPARTMENTS = by_key(DEFAULT_DEPARTMENTS)


def typed(topic: topics.Topic, data, *, at: datetime = T0, id: str | None = None, subject: str = "s") -> TypedEvent:
    env = new_event(id=id, type=topic.name, subject=subject, tenant=TENANT, source="tests", data=data, time=at)
    return TypedEvent(env, data)


def types(events) -> list[str]:
    return [e.type for e in events]


async def propose(store, author="UA", **kw) -> str:
    data = ProposalSubmitted(user_id=author, title="Trial stays", problem="Hard to try living here",
                             idea="Rent a house for a week", department="moving", **kw)
    [created] = await handlers.when_proposal_submitted_create(typed(topics.PROPOSAL_SUBMITTED, data), store=store,
                                                              departments=DEPARTMENTS)
    assert created.type == "proposal.created"
    return created.data["proposal_id"]


async def appoint_chief(store, user="UC", *, at=T0 - timedelta(days=1), **kw):
    await handlers.when_role_granted_record_chief(
        typed(topics.ROLE_GRANTED, RoleGranted(user_id=user, role="section_chief", **kw), at=at), store=store)


async def press(store, proposal_id, user, threshold=10, **kw):
    data = ProposalSupportRequested(proposal_id=proposal_id, user_id=user, channel_id="CIDEAS")
    return await handlers.when_support_requested_toggle(
        typed(topics.PROPOSAL_SUPPORT_REQUESTED, data, **kw), store=store, threshold=threshold)


async def answer(store, proposal_id, user="UC", decision="accepted", text="Yes, let's do it", **kw):
    data = ProposalAnswerSubmitted(proposal_id=proposal_id, user_id=user, decision=decision, answer=text)
    return await handlers.when_answer_submitted_answer(typed(topics.PROPOSAL_ANSWER_SUBMITTED, data, **kw), store=store)


# --- the status machine ----------------------------------------------------------------


@pytest.mark.parametrize("current,target", [
    (S.OPEN, S.UNDER_REVIEW), (S.OPEN, S.ACCEPTED), (S.OPEN, S.DECLINED), (S.UNDER_REVIEW, S.ACCEPTED),
    (S.UNDER_REVIEW, S.DECLINED), (S.ACCEPTED, S.LAUNCHED), (S.LAUNCHED, S.COMPLETED),
])
def test_forward_moves_are_allowed(current, target):
    assert illegal_move(current, target) is None


@pytest.mark.parametrize("current,target,words", [
    (S.UNDER_REVIEW, S.OPEN, "only move forward"), (S.ACCEPTED, S.DECLINED, "only move forward"),
    (S.DECLINED, S.LAUNCHED, "final"), (S.OPEN, S.LAUNCHED, "can move only to"),
    (S.ACCEPTED, S.COMPLETED, "can move only to launched"), (S.COMPLETED, S.COMPLETED, "already completed"),
])
def test_other_moves_are_refused_with_a_reason(current, target, words):
    assert words in illegal_move(current, target)


def test_channel_names_are_slack_shaped():
    name = channel_name("Trial Stays. For Movers!", "abcdef123")
    assert name == "pj-trial-stays-for-movers-abcdef" and len(name) <= 80
    assert channel_name("お試し 移住", "abcdef123").startswith("pj-お試し-移住")
    assert channel_name("!!!", "abcdef123") == "pj-abcdef12"


# --- proposals -------------------------------------------------------------------------


async def test_a_submission_becomes_a_proposal_whose_id_derives_from_the_event():
    store = InMemoryProjectsStore()
    event = typed(topics.PROPOSAL_SUBMITTED, ProposalSubmitted(user_id="UA", title="Map", idea="A map of places"))
    first = await handlers.when_proposal_submitted_create(event, store=store, departments=DEPARTMENTS)
    again = await handlers.when_proposal_submitted_create(event, store=store, departments=DEPARTMENTS)
    assert first[0].id == again[0].id and first[0].data["department"] == "ideas"
    assert len(store.proposals) == 1


async def test_an_unknown_department_is_refused_and_nothing_is_created():
    store = InMemoryProjectsStore()
    data = ProposalSubmitted(user_id="UA", title="Map", idea="x", department="nowhere", channel_id="C1")
    [refused] = await handlers.when_proposal_submitted_create(typed(topics.PROPOSAL_SUBMITTED, data), store=store,
                                                              departments=DEPARTMENTS)
    assert refused.type == "proposal.action_refused" and refused.data["code"] == "unknown_department"
    assert refused.data["channel_id"] == "C1" and not store.proposals


async def test_a_bulb_by_a_chief_or_the_author_makes_one_proposal_and_anyone_elses_is_ignored():
    store = InMemoryProjectsStore()
    await appoint_chief(store)

    def bulb(user, author="UM", at=T0):
        data = ReactionAdded(user_id=user, channel_id="CTALK", message_ts="1700000000.000100",
                             message_author_id=author, reaction="bulb", reacted_at=at)
        return typed(topics.REACTION_ADDED, data, at=at)

    assert await handlers.when_reaction_added_propose_or_support(bulb("UX"), store=store, threshold=10) == []
    [created] = await handlers.when_reaction_added_propose_or_support(bulb("UC"), store=store, threshold=10)
    assert created.data["user_id"] == "UM" and created.data["created_by"] == "UC"
    assert created.data["source_channel_id"] == "CTALK" and created.data["via"] == "reaction"
    late = bulb("UM", at=T0 + timedelta(1))
    assert await handlers.when_reaction_added_propose_or_support(late, store=store, threshold=10) == []
    assert len(store.proposals) == 1


async def test_an_imported_bulb_is_history_not_a_new_proposal():
    store = InMemoryProjectsStore()
    data = ReactionAdded(user_id="UM", channel_id="CTALK", message_ts="1.2", message_author_id="UM",
                         reaction="bulb", reacted_at=T0)
    env = new_event(type=topics.REACTION_ADDED.name, subject="CTALK:1.2", tenant=TENANT, source="oco/importer", data=data)
    assert await handlers.when_reaction_added_propose_or_support(TypedEvent(env, data), store=store, threshold=10) == []
    assert not store.proposals


async def test_a_posted_bulb_proposal_takes_its_title_from_the_source_message():
    store = InMemoryProjectsStore()
    data = ReactionAdded(user_id="UM", channel_id="CTALK", message_ts="1.2", message_author_id="UM",
                         reaction="bulb", reacted_at=T0)
    [created] = await handlers.when_reaction_added_propose_or_support(
        typed(topics.REACTION_ADDED, data), store=store, threshold=10)
    pid = created.data["proposal_id"]
    posted = ProposalPosted(proposal_id=pid, channel_id="CIDEAS", ts="9.9", source_excerpt="A radio show of our posts")
    await handlers.when_proposal_posted_record_post(typed(topics.PROPOSAL_POSTED, posted), store=store)
    proposal = await store.get_proposal(TENANT, pid)
    assert proposal.title == "A radio show of our posts" and await store.proposal_at_post(TENANT, "CIDEAS", "9.9") == pid


# --- supports --------------------------------------------------------------------------


async def test_the_button_toggles_support_and_counts_from_the_store():
    store = InMemoryProjectsStore()
    pid = await propose(store)
    [on] = await press(store, pid, "U1")
    [on2] = await press(store, pid, "U2")
    [off] = await press(store, pid, "U1", at=T0 + timedelta(seconds=5))
    assert (on.type, on.data["supports"]) == ("proposal.supported", 1)
    assert on2.data["supports"] == 2
    assert (off.type, off.data["supports"]) == ("proposal.unsupported", 1)


async def test_a_redelivered_request_is_announced_again_but_not_toggled_twice():
    store = InMemoryProjectsStore()
    pid = await propose(store)
    data = ProposalSupportRequested(proposal_id=pid, user_id="U1")
    event = typed(topics.PROPOSAL_SUPPORT_REQUESTED, data, id="evt-1")
    [first] = await handlers.when_support_requested_toggle(event, store=store, threshold=10)
    [again] = await handlers.when_support_requested_toggle(event, store=store, threshold=10)  # a re-run after a crash
    assert first.id == again.id and again.type == "proposal.supported"
    assert await store.count_supports(TENANT, pid) == 1


async def test_an_author_cannot_support_their_own_proposal():
    store = InMemoryProjectsStore()
    pid = await propose(store, author="UA")
    [refused] = await press(store, pid, "UA")
    assert refused.type == "proposal.action_refused" and refused.data["code"] == "own_proposal"
    assert refused.data["channel_id"] == "CIDEAS" and await store.count_supports(TENANT, pid) == 0


async def test_thumbs_up_on_the_post_supports_and_removing_it_withdraws():
    store = InMemoryProjectsStore()
    pid = await propose(store)
    await handlers.when_proposal_posted_record_post(
        typed(topics.PROPOSAL_POSTED, ProposalPosted(proposal_id=pid, channel_id="CIDEAS", ts="5.5")), store=store)

    def reaction(model, topic, name, at):
        data = model(user_id="U1", channel_id="CIDEAS", message_ts="5.5", reaction=name, reacted_at=at)
        return typed(topic, data, at=at)

    [on] = await handlers.when_reaction_added_propose_or_support(
        reaction(ReactionAdded, topics.REACTION_ADDED, "+1::skin-tone-2", T0), store=store, threshold=10)
    same = await handlers.when_reaction_added_propose_or_support(
        reaction(ReactionAdded, topics.REACTION_ADDED, "thumbsup", T0 + timedelta(1)), store=store, threshold=10)
    other = await handlers.when_reaction_added_propose_or_support(
        reaction(ReactionAdded, topics.REACTION_ADDED, "heart", T0), store=store, threshold=10)
    assert on.data["via"] == "reaction" and same == [] and other == []
    stale = await handlers.when_reaction_removed_withdraw_support(
        reaction(ReactionRemoved, topics.REACTION_REMOVED, "+1", T0 - timedelta(1)), store=store, threshold=10)
    assert stale == [] and await store.count_supports(TENANT, pid) == 1
    [off] = await handlers.when_reaction_removed_withdraw_support(
        reaction(ReactionRemoved, topics.REACTION_REMOVED, "+1", T0 + timedelta(2)), store=store, threshold=10)
    assert off.type == "proposal.unsupported" and off.data["supports"] == 0


# --- threshold and review --------------------------------------------------------------


async def test_crossing_the_threshold_starts_the_review_once_and_tells_the_chiefs():
    store = InMemoryProjectsStore()
    await appoint_chief(store, "UC1", department="moving")
    await appoint_chief(store, "UC2", department="photos")
    pid = await propose(store)
    out = [await press(store, pid, f"U{i}", threshold=3, id=f"press-{i}") for i in range(4)]
    assert [types(events) for events in out] == [["proposal.supported"]] * 2 + [
        ["proposal.supported", "proposal.status_changed"], ["proposal.supported"]]
    review = out[2][1]
    assert review.data["status"] == "under_review" and review.data["previous_status"] == "open"
    assert review.data["section_chief_ids"] == ["UC1"] and review.data["supports"] == 3
    assert review.data["supporter_ids"] == ["U0", "U1", "U2"]
    assert (await store.get_proposal(TENANT, pid)).status is S.UNDER_REVIEW
    rerun = await press(store, pid, "U2", threshold=3, id="press-2")  # the winner re-run after a crash
    assert [e.id for e in rerun] == [e.id for e in out[2]]


async def test_below_the_threshold_nothing_moves():
    store = InMemoryProjectsStore()
    pid = await propose(store)
    assert types(await press(store, pid, "U1", threshold=2)) == ["proposal.supported"]
    assert (await store.get_proposal(TENANT, pid)).status is S.OPEN


async def test_withdrawing_after_the_review_started_does_not_move_it_back():
    store = InMemoryProjectsStore()
    pid = await propose(store)
    await press(store, pid, "U1", threshold=1)
    assert types(await press(store, pid, "U1", threshold=1, at=T0 + timedelta(1))) == ["proposal.unsupported"]
    assert (await store.get_proposal(TENANT, pid)).status is S.UNDER_REVIEW


# --- answers, projects -----------------------------------------------------------------


async def test_only_a_section_chief_answers_and_an_answer_text_is_required():
    store = InMemoryProjectsStore()
    await appoint_chief(store)
    pid = await propose(store)
    [resident] = await answer(store, pid, user="UX")
    [empty] = await answer(store, pid, text="  ")
    assert resident.data["code"] == "not_authorised" and empty.data["code"] == "answer_required"
    assert (await store.get_proposal(TENANT, pid)).status is S.OPEN


async def test_a_revoked_or_expired_chief_can_no_longer_answer():
    store = InMemoryProjectsStore()
    await appoint_chief(store, "UC1")
    await appoint_chief(store, "UC2", term_ends_at=T0 - timedelta(hours=1))
    await handlers.when_role_revoked_record_chief(
        typed(topics.ROLE_REVOKED, RoleRevoked(user_id="UC1", role="section_chief"), at=T0 - timedelta(hours=2)),
        store=store)
    pid = await propose(store)
    assert [e.data["code"] for e in await answer(store, pid, user="UC1")] == ["not_authorised"]
    assert [e.data["code"] for e in await answer(store, pid, user="UC2")] == ["not_authorised"]


def test_a_late_grant_older_than_the_revoke_does_not_revive_the_chief():
    grant = ChiefChange(tenant=TENANT, user_id="U", event_id="g", active=True, at=T0, grant_key="G1")
    revoke = ChiefChange(tenant=TENANT, user_id="U", event_id="r", active=False, at=T0 + timedelta(1), grant_key="G1")
    assert active_chief_departments([revoke, grant], T0 + timedelta(2)) == {}
    regrant = grant.model_copy(update={"event_id": "g2", "at": T0 + timedelta(3), "department": "moving"})
    assert active_chief_departments([revoke, grant, regrant], T0 + timedelta(4)) == {"U": {"moving"}}


async def test_accepting_opens_a_project_then_launch_progress_and_completion():
    store = InMemoryProjectsStore()
    await appoint_chief(store)
    pid = await propose(store)
    await press(store, pid, "U1")
    out = await answer(store, pid)
    assert types(out) == ["proposal.answered", "proposal.status_changed", "project.channel_requested"]
    request = out[2].data
    assert request["owner_id"] == "UC" and request["member_ids"] == ["UC", "UA", "U1"]
    assert out[1].data["previous_status"] == "open" and out[1].data["answer"] == "Yes, let's do it"
    [again] = await answer(store, pid, decision="declined", text="No")
    assert again.data["code"] == "illegal_transition"

    created = ProjectChannelCreated(project_id=request["project_id"], proposal_id=pid, channel_id="CPJ")
    launched = await handlers.when_channel_created_launch(typed(topics.PROJECT_CHANNEL_CREATED, created), store=store)
    assert types(launched) == ["project.launched", "proposal.status_changed"]
    assert launched[0].data["channel_id"] == "CPJ" and launched[1].data["project_channel_id"] == "CPJ"
    assert await handlers.when_channel_created_launch(typed(topics.PROJECT_CHANNEL_CREATED, created), store=store) == []

    progress = ProjectProgressSubmitted(user_id="U1", text="First guests arrive in May", channel_id="CPJ")
    [reported] = await handlers.when_progress_submitted_report(typed(topics.PROJECT_PROGRESS_SUBMITTED, progress), store=store)
    assert reported.type == "project.progress_reported" and reported.data["channel_id"] == "CPJ"
    outsider = ProjectCompletionSubmitted(user_id="U1", summary="done", channel_id="CPJ")
    [refused] = await handlers.when_completion_submitted_complete(
        typed(topics.PROJECT_COMPLETION_SUBMITTED, outsider), store=store)
    assert refused.data["code"] == "not_authorised"
    owner = ProjectCompletionSubmitted(user_id="UC", summary="12 families stayed", channel_id="CPJ")
    done = await handlers.when_completion_submitted_complete(typed(topics.PROJECT_COMPLETION_SUBMITTED, owner), store=store)
    assert types(done) == ["project.completed", "proposal.status_changed"]
    assert done[1].data["status"] == "completed" and done[1].data["summary"] == "12 families stayed"
    assert (await store.get_proposal(TENANT, pid)).status is S.COMPLETED
    [late] = await handlers.when_progress_submitted_report(
        typed(topics.PROJECT_PROGRESS_SUBMITTED, progress, id="later"), store=store)
    assert late.data["code"] == "illegal_transition"


async def test_a_declined_proposal_cannot_be_supported_or_launched():
    store = InMemoryProjectsStore()
    await appoint_chief(store)
    pid = await propose(store)
    out = await answer(store, pid, decision="declined", text="The budget is spent this year")
    assert types(out) == ["proposal.answered", "proposal.status_changed"]
    [refused] = await press(store, pid, "U9")
    assert refused.data["code"] == "closed" and refused.data["status"] == "declined"
    [wrong_place] = await handlers.when_completion_submitted_complete(
        typed(topics.PROJECT_COMPLETION_SUBMITTED, ProjectCompletionSubmitted(user_id="UC", summary="x", channel_id="CX")),
        store=store)
    assert wrong_place.data["code"] == "not_found"


async def test_a_rerun_of_the_winning_answer_re_emits_instead_of_being_refused():
    store = InMemoryProjectsStore()
    await appoint_chief(store)
    pid = await propose(store)
    first = await answer(store, pid, id="answer-1")
    again = await answer(store, pid, id="answer-1")
    assert [e.id for e in first] == [e.id for e in again]
