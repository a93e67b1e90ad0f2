"""The notifier's proposal post: what it shows and which buttons it offers, by status."""

from __future__ import annotations

import pytest

from shared.departments import DEFAULT_DEPARTMENTS
from shared.slack_ids import ActionId
from services.notifier.handlers.projects import REFUSALS_JA, TEXTS, Card, both, proposal_post

pytestmark = pytest.mark.unit

DEPARTMENTS = {d.key: d for d in DEFAULT_DEPARTMENTS}


def card(**fields) -> Card:
    return Card(**{"tenant": "T1", "proposal_id": "p1", "title": "Trial <stays>", "problem": "Hard to try",
                   "idea": "A house", "department": "moving", "author_id": "UA", **fields})


def buttons(message) -> list[str]:
    return [e["action_id"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def test_an_open_proposal_offers_support_and_answer_and_shows_its_count():
    message = proposal_post(card(source_link="https://city.slack.com/archives/C1/p1"), 7, DEPARTMENTS)
    assert buttons(message) == [ActionId.SUPPORT_PROPOSAL, ActionId.ANSWER_PROPOSAL]
    assert all(e["value"] == "p1" for b in message.blocks if b["type"] == "actions" for e in b["elements"])
    assert "👍 7" in message.text and "Trial &lt;stays&gt;" in message.text
    text = str(message.blocks)
    assert "移住課 / Moving Here" in text and "<https://city.slack.com/archives/C1/p1|" in text and "<@UA>" in text


@pytest.mark.parametrize("status", ["accepted", "declined", "launched", "completed"])
def test_an_answered_proposal_has_no_buttons_left(status):
    message = proposal_post(card(status=status), 12, DEPARTMENTS)
    assert buttons(message) == [] and "👍 12" in message.text


def test_a_bulb_proposal_quotes_its_source_message():
    message = proposal_post(card(problem="", idea="", quote="駅前でマルシェ"), 0, DEPARTMENTS)
    assert message.blocks[1]["text"]["text"] == "> 駅前でマルシェ"


def test_every_status_and_refusal_is_said_in_both_languages():
    assert set(TEXTS["ja"]) == set(TEXTS["en"])
    assert {"under_review", "accepted", "declined", "launched", "completed"} <= set(TEXTS["ja"])
    line = both("accepted", title="Map", answer="Yes")
    assert "採用" in line and "accepted" in line
    assert {"own_proposal", "not_authorised", "closed", "illegal_transition", "answer_required"} <= set(REFUSALS_JA)
