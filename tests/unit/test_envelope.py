import pytest

from shared import topics
from shared.envelope import CloudEvent, InvalidEvent, derive_id, new_event
from shared.events import ResidentJoined

pytestmark = pytest.mark.unit


def test_round_trip_keeps_unknown_fields_for_forward_compatibility():
    event = new_event(type="resident.joined", subject="U1", tenant="T1", source="t", data=ResidentJoined(user_id="U1"))
    raw = event.to_bytes().replace(b'"tenant"', b'"futureattr":"x","tenant"').replace(b'"user_id"', b'"future_field":1,"user_id"')
    parsed = CloudEvent.from_bytes(raw)
    assert parsed.model_extra["futureattr"] == "x"
    assert parsed.payload(ResidentJoined).model_extra["future_field"] == 1


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b'{"id": "1"}', b""])
def test_malformed_envelopes_are_invalid(raw):
    with pytest.raises(InvalidEvent):
        CloudEvent.from_bytes(raw)


def test_missing_or_wrong_typed_required_data_is_invalid():
    event = new_event(type="resident.joined", subject="U1", tenant="T1", source="t", data=ResidentJoined(user_id="U1"))
    broken = event.model_copy(update={"data": {"user_id": ["not", "a", "string"]}})
    with pytest.raises(InvalidEvent, match="user_id"):
        broken.payload(topics.RESIDENT_JOINED.model)


def test_derived_ids_are_stable_and_distinct():
    assert derive_id("e1", "welcome") == derive_id("e1", "welcome")
    assert derive_id("e1", "welcome") != derive_id("e2", "welcome")
    assert derive_id("e1", "welcome") != derive_id("e1", "onboarded")


def test_every_topic_has_a_dlq_and_a_model():
    names = topics.all_topic_names()
    for name, topic in topics.CATALOGUE.items():
        assert topic.dlq in names and topic.model is not None
        assert name == topic.name


@pytest.mark.parametrize("parent, label", [("e1", "welcome"), ("slack:T1:C1:1469712345.000012", "posted"), ("日本", "ラベル/x")])
def test_derived_ids_are_rfc4122_uuid5_so_ids_already_on_the_bus_stay_valid(parent, label):
    import uuid

    from shared.envelope import _DERIVED_ID_NAMESPACE

    assert derive_id(parent, label) == str(uuid.uuid5(_DERIVED_ID_NAMESPACE, f"{parent}/{label}"))
