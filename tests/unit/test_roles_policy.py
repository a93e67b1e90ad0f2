"""The roles service's authorisation rules and term arithmetic, as pure functions."""

from datetime import UTC, datetime, timedelta

import pytest

from services.roles.models import Actor, Application, Grant, parse_role
from services.roles.policy import Refused, check_appointment, check_review, check_revocation, term_end

pytestmark = pytest.mark.unit
T0 = datetime(2026, 4, 1, 3, 0, tzinfo=UTC)
DEPARTMENTS = {"moving", "photos"}


def actor(*roles: str, config_admin: bool = False) -> Actor:
    grants = tuple(Grant(grant_id=f"g-{r}", tenant="T1", user_id="UA", role=r, granted_at=T0) for r in roles)
    return Actor(user_id="UA", grants=grants, admin_by_config=config_admin)


def refusal_code(call) -> str:
    with pytest.raises(Refused) as caught:
        call()
    return caught.value.code


@pytest.mark.parametrize(
    "who, role, allowed",
    [
        (actor(config_admin=True), "section_chief", True),
        (actor("admin"), "section_chief", True),
        (actor("section_chief"), "section_chief", False),
        (actor("citizen"), "section_chief", False),
        (actor("admin"), "ambassador", True),
        (actor("section_chief"), "ambassador", True),
        (actor("employee", "ambassador"), "ambassador", False),
        (actor("admin"), "admin", True),
        (actor("section_chief"), "admin", False),
    ],
)
def test_who_may_appoint_whom(who, role, allowed):
    if allowed:
        assert check_appointment(who, role, department=None, departments=DEPARTMENTS) == role
    else:
        assert refusal_code(lambda: check_appointment(who, role, department=None, departments=DEPARTMENTS)) == "not_authorised"


@pytest.mark.parametrize(
    "role, department, code",
    [
        (None, None, "unknown_role"),
        ("citizen", None, "self_declared"),
        ("employee", None, "apply_instead"),
        ("admin", "moving", "no_department"),
        ("section_chief", "nowhere", "unknown_department"),
    ],
)
def test_appointments_that_no_one_may_make(role, department, code):
    boss = actor(config_admin=True)
    assert refusal_code(lambda: check_appointment(boss, role, department=department, departments=DEPARTMENTS)) == code


def test_a_section_chief_may_be_appointed_for_one_department():
    assert check_appointment(actor("admin"), "section_chief", department="moving", departments=DEPARTMENTS) == "section_chief"


@pytest.mark.parametrize(
    "who, role, allowed",
    [
        (actor("admin"), "section_chief", True),
        (actor("section_chief"), "section_chief", False),
        (actor("section_chief"), "employee", True),
        (actor("section_chief"), "ambassador", True),
        (actor("employee"), "employee", False),
    ],
)
def test_who_may_revoke_what(who, role, allowed):
    if allowed:
        assert check_revocation(who, role, target_admin_by_config=False) == role
    else:
        assert refusal_code(lambda: check_revocation(who, role, target_admin_by_config=False)) == "not_authorised"


def test_configured_admins_cannot_be_revoked_and_categories_are_not_revocable():
    boss = actor(config_admin=True)
    assert refusal_code(lambda: check_revocation(boss, "admin", target_admin_by_config=True)) == "configured_admin"
    assert refusal_code(lambda: check_revocation(boss, "remote_citizen", target_admin_by_config=False)) == "self_declared"


def test_only_a_section_chief_reviews_never_their_own_and_a_rejection_needs_a_reason():
    application = Application(application_id="A1", tenant="T1", user_id="UP", submitted_at=T0)
    check_review(actor("section_chief"), application, decision="approve", reason="")
    assert refusal_code(lambda: check_review(actor("admin", config_admin=True), application, decision="approve", reason="")) == "not_authorised"
    assert refusal_code(lambda: check_review(actor("citizen"), application, decision="approve", reason="")) == "not_authorised"
    own = application.model_copy(update={"user_id": "UA"})
    assert refusal_code(lambda: check_review(actor("section_chief"), own, decision="approve", reason="")) == "own_application"
    assert refusal_code(lambda: check_review(actor("section_chief"), application, decision="reject", reason="  ")) == "reason_required"


def test_terms_end_at_the_end_of_the_given_day_in_city_time_or_after_the_default_for_chiefs():
    common = dict(now=T0, default_days=365, zone="Asia/Tokyo")
    assert term_end("section_chief", ends_on="2026-04-30", ends_at=None, **common) == datetime(2026, 4, 30, 15, 0, tzinfo=UTC)
    assert term_end("section_chief", ends_on=None, ends_at=None, **common) == T0 + timedelta(days=365)
    assert term_end("ambassador", ends_on=None, ends_at=None, **common) is None
    exact = T0 + timedelta(seconds=5)
    assert term_end("ambassador", ends_on="2030-01-01", ends_at=exact, **common) == exact
    assert refusal_code(lambda: term_end("section_chief", ends_on="2026-03-31", ends_at=None, **common)) == "term_in_past"


def test_role_names_are_read_leniently():
    assert parse_role(" Section-Chief ") == "section_chief"
    assert parse_role("mayor") is None
