"""FHIR export, validated by fhirclient (FHIR 4.0.1 models) and fhir.resources R4B."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fhir.resources.R4B.bundle import Bundle as R4BBundle
from fhirclient.models.bundle import Bundle  # type: ignore[import-untyped]
from fhirclient.models.observation import Observation  # type: ignore[import-untyped]
from fhirclient.models.questionnaireresponse import (  # type: ignore[import-untyped]
    QuestionnaireResponse,
)

from therapia.measures import fhir_export, library, scoring
from therapia.measures.fhir_response import read_response

AUTHORED = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
US_CORE_PHQ9 = [2, 2, 2, 2, 1, 1, 2, 0, 0]  # total 12 (US Core example)


def bundle(instrument: str, answers: list) -> dict:
    return fhir_export.completed_questionnaire_bundle(
        instrument_id=instrument, answers=answers, response_id="qr-1", patient_id="p-7",
        authored=AUTHORED)


def resources(found: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in found["entry"] if e["resource"]["resourceType"] == kind]


def test_phq9_response_and_total_observation() -> None:
    exported = bundle("phq9", US_CORE_PHQ9)
    (response,) = resources(exported, "QuestionnaireResponse")
    (total,) = resources(exported, "Observation")
    assert response["questionnaire"] == "http://loinc.org/q/44249-1"
    assert response["item"][0] == {
        "linkId": "/44250-9", "text": "Little interest or pleasure in doing things?",
        "answer": [{"valueCoding": {"system": "http://loinc.org", "code": "LA6570-1",
                                    "display": "More than half the days"}}]}
    assert response["item"][-1]["answer"] == [{"valueInteger": 12}]
    assert total["code"]["coding"] == [{"system": "http://loinc.org", "code": "44261-6"}]
    assert total["valueQuantity"]["value"] == 12
    assert total["interpretation"] == [{"text": "Moderate"}]
    assert total["derivedFrom"] == [{"reference": "QuestionnaireResponse/qr-1"}]
    assert total["effectiveDateTime"] == "2026-11-21T09:30:00+00:00"


@pytest.mark.parametrize(("instrument", "answers"), [
    ("phq9", US_CORE_PHQ9), ("gad7", [3] * 7 + [1]), ("core10", [2] * 8 + [None, 2]),
    ("audit", [2, 1, 1, 0, 0, 0, 0, 0, 4, 2]), ("dass21", [1] * 21), ("ors", [7.3, 8, 6.2, 9]),
    ("sdq", [1] * 25), ("pcl5", [2] * 20), ("phqa", [1] * 9 + [1, 2, 0, 1]),
])
def test_every_resource_is_valid_r4_and_r4b(instrument: str, answers: list) -> None:
    exported = bundle(instrument, answers)
    Bundle(exported)  # fhirclient: strict FHIR 4.0.1 parse; raises on any structural fault
    R4BBundle.model_validate(exported)
    for entry in exported["entry"]:
        resource = entry["resource"]
        model = QuestionnaireResponse if resource["resourceType"] != "Observation" else Observation
        assert model(resource).as_json() == resource  # round-trips unchanged


def test_scores_only_instruments_export_no_item_text() -> None:
    (response,) = resources(bundle("core10", [1] * 10), "QuestionnaireResponse")
    assert all("text" not in item for item in response["item"][:-1])
    assert response["item"][0] == {"linkId": "1", "answer": [{"valueInteger": 1}]}


def test_prorated_score_says_so() -> None:
    (total,) = resources(bundle("core10", [2] * 8 + [None, 1]), "Observation")
    assert total["valueQuantity"]["value"] == 18.89
    assert total["note"][0]["text"].startswith("Prorated: items 9 missing")


def test_subscales_become_observations_with_their_loinc_code() -> None:
    found = {o["code"]["text"]: o for o in resources(bundle("audit", [2, 1, 1] + [0] * 7),
                                                     "Observation")}
    assert found["AUDIT-C (consumption, items 1-3)"]["code"]["coding"][0]["code"] == "75626-2"
    assert found["AUDIT total score"]["code"]["coding"][0]["code"] == "75624-7"


def test_an_exported_response_reads_back_to_the_same_score() -> None:
    answers = [3, 2, 1, 0, 1, 2, 3, 0, 1]
    (response,) = resources(bundle("phq9", answers), "QuestionnaireResponse")
    read = read_response(response)
    assert read.definition is library.get("phq9")
    assert list(read.answers[:9]) == answers and read.reported_total == 13
    assert scoring.score("phq9", read.answers).total == 13


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        fhir_export.completed_questionnaire_bundle(
            instrument_id="phq9", answers=US_CORE_PHQ9, response_id="qr-1", patient_id="p",
            authored=datetime(2026, 11, 21, 9, 30))  # noqa: DTZ001 (the point of the test)
