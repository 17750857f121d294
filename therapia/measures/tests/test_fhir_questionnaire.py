"""Importing FHIR Questionnaires with SDC scoring: the official PHQ-9 examples."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from therapia.measures import scoring
from therapia.measures.fhir_questionnaire import QuestionnaireRefused, definition_from_questionnaire
from therapia.measures.fhir_response import read_response

EXAMPLES = Path(__file__).resolve().parent / "fhir_examples"  # see README.md there


def load(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text())


def test_hl7_sdc_phq9_becomes_a_nine_item_instrument() -> None:
    """Weights from the contained ValueSet's ordinalValue; the total item's LOINC code."""
    definition = definition_from_questionnaire(load("hl7_sdc_questionnaire_PHQ9_2021.json"))
    assert len(definition.items) == 9
    assert [i.link_id for i in definition.items] == [f"H1/T1/Q{n}" for n in range(1, 10)]
    (scale,) = definition.response_scales.values()
    assert [(o.code, o.value) for o in scale.options] == [
        ("Not-at-all", 0), ("Several-days", 1), ("More than half the days", 2),
        ("Nearly every day", 3)]
    assert definition.total is not None and definition.total.loinc == "44261-6"
    assert definition.licence.licence_class == "practice"
    assert definition.total.bands == ()  # a Questionnaire carries no machine-readable bands


def test_the_imported_instrument_scores_the_hl7_response() -> None:
    definition = definition_from_questionnaire(load("hl7_sdc_questionnaire_PHQ9_2021.json"))
    read = read_response(load("hl7_sdc_questionnaireresponse_PHQ9_2021.json"), definition)
    assert read.answers == (0, 0, 0, 1, 2, 1, 3, 2, 1)
    assert scoring.Scorer(definition).score(read.answers).total == 10


def test_the_lhc_phq9_is_refused_naming_the_malformed_element() -> None:
    """fhir-and-data.md §1.5: item[2].answerOption[1] optionPrefix valueString is a number."""
    with pytest.raises(QuestionnaireRefused) as refused:
        definition_from_questionnaire(load("lhc_phq9_questionnaire_R4.json"))
    message = str(refused.value)
    assert message.startswith("not a valid FHIR R4 Questionnaire: ")
    assert ("item[2] (linkId '/44259-0').answerOption[1].extension[0].valueString: Wrong type "
            "int") in message


def test_the_lhc_phq9_once_repaired_imports_with_loinc_codes() -> None:
    """With the one bad value fixed, answerOption ordinalValue gives the weights."""
    repaired = load("lhc_phq9_questionnaire_R4.json")
    repaired["item"][2]["answerOption"][1]["extension"][0]["valueString"] = "1"
    definition = definition_from_questionnaire(repaired)
    assert [i.loinc for i in definition.items] == [
        "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5",
        "44253-3", "44260-8"]  # the difficulty item has no weights, so it is not scored
    assert definition.total is not None and definition.total.loinc == "44261-6"
    us_core = load("us_core_questionnaireresponse_phq9.json")
    assert scoring.Scorer(definition).score(read_response(us_core, definition).answers).total \
        == 12


def sdc4_item_weight(questionnaire: dict[str, Any]) -> dict[str, Any]:
    """The same PHQ-9 as SDC 4 writes it: itemWeight instead of ordinalValue."""
    changed = copy.deepcopy(questionnaire)
    for concept in changed["contained"][0]["compose"]["include"][0]["concept"]:
        concept["extension"][0]["url"] = "http://hl7.org/fhir/StructureDefinition/itemWeight"
    return changed


def test_sdc4_item_weight_is_read_like_ordinal_value() -> None:
    definition = definition_from_questionnaire(
        sdc4_item_weight(load("hl7_sdc_questionnaire_PHQ9_2021.json")))
    (scale,) = definition.response_scales.values()
    assert [o.value for o in scale.options] == [0, 1, 2, 3]


@pytest.mark.parametrize(("change", "message"), [
    (lambda q: q.update(resourceType="QuestionnaireResponse"), "expected a FHIR Questionnaire"),
    (lambda q: q["contained"][0]["compose"]["include"][0]["concept"][1]["extension"][0]
     .update(valueDecimal=1.5), "weight 1.5 of answer 'Several-days' is not a whole number"),
    (lambda q: q["contained"][0]["compose"]["include"][0]["concept"][1].pop("extension"),
     "every answer needs a code and a weight"),
    (lambda q: q["contained"].clear(), "no item has scored answers"),
    (lambda q: q.update(status="draft", item="not a list"), "not a valid FHIR R4 Questionnaire"),
])
def test_a_questionnaire_that_cannot_be_scored_is_refused(change, message: str) -> None:
    questionnaire = load("hl7_sdc_questionnaire_PHQ9_2021.json")
    change(questionnaire)
    with pytest.raises(QuestionnaireRefused, match=message):
        definition_from_questionnaire(questionnaire)
