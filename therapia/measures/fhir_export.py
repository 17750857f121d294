"""A completed questionnaire as FHIR R4: a QuestionnaireResponse and LOINC-coded
Observations (the US Core screening-assessment shape: category survey, the total score's
LOINC code, valueQuantity in {score}, derivedFrom the response, the band as
interpretation text). Pure mappers from plain values; the stored administrations call them.

Item text goes into the response only where the definition ships it (its licence allows);
every resource carries the PSY sensitivity label (fhir-and-data.md §1.2).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from therapia.measures import library
from therapia.measures.definition import InstrumentDefinition, Item
from therapia.measures.scoring import Answers, ScaleScore, Scorer, ScoreResult, Value

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
PSY_LABEL = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "PSY",
             "display": "psychiatry information sensitivity"}
SURVEY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                      "code": "survey", "display": "Survey"}]}


def completed_questionnaire_bundle(*, instrument_id: str, answers: Answers, response_id: str,
                                  patient_id: str, authored: datetime,
                                  result: ScoreResult | None = None) -> dict[str, Any]:
    """A collection Bundle: the QuestionnaireResponse and its score Observations."""
    definition = library.get(instrument_id)
    result = result or Scorer(definition).score(answers)
    response = questionnaire_response(definition=definition, answers=answers, result=result,
                                      response_id=response_id, patient_id=patient_id,
                                      authored=authored)
    scored = observations(definition=definition, result=result, response_id=response_id,
                          patient_id=patient_id, effective=authored)
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": resource} for resource in (response, *scored)]}


def questionnaire_url(definition: InstrumentDefinition) -> str:
    """LOINC's canonical for a LOINC panel; otherwise our own URN for the instrument."""
    if definition.loinc_panel:
        return f"http://loinc.org/q/{definition.loinc_panel}"
    return f"urn:therapia:instrument:{definition.id}|{definition.version}"


def questionnaire_response(*, definition: InstrumentDefinition, answers: Answers,
                           result: ScoreResult, response_id: str, patient_id: str,
                           authored: datetime) -> dict[str, Any]:
    items = [_answer_item(item, value, definition)
             for item, value in zip(definition.items, answers, strict=False)
             if value is not None]
    if result.total is not None:
        items.append({"linkId": _total_link_id(definition), "text": f"{definition.short_name} "
                      "total score", "answer": [_number("value", result.total)]})
    return {
        "resourceType": "QuestionnaireResponse", "id": response_id,
        "meta": {"security": [PSY_LABEL]},
        "questionnaire": questionnaire_url(definition),
        "status": "completed",
        "subject": {"reference": f"Patient/{patient_id}"},
        "authored": _instant(authored),
        "item": items,
    }


def observations(*, definition: InstrumentDefinition, result: ScoreResult, response_id: str,
                 patient_id: str, effective: datetime) -> list[dict[str, Any]]:
    """One Observation for the total (if scored) and one per scored subscale."""
    total = (ScaleScore("total", f"{definition.short_name} total score", result.total,
                        result.band, result.prorated, result.missing_items)
             if result.total is not None and definition.total else None)
    rules = {rule.id: rule for rule in definition.score_rules}
    scores = [s for s in (*result.subscales, total) if s is not None and s.value is not None]
    return [_observation(definition, score, loinc=rules[score.id].loinc,
                         response_id=response_id, patient_id=patient_id, effective=effective)
            for score in scores]


def _observation(definition: InstrumentDefinition, score: ScaleScore, *, loinc: str | None,
                 response_id: str, patient_id: str, effective: datetime) -> dict[str, Any]:
    name = score.name if score.id != "total" else f"{definition.short_name} total score"
    code: dict[str, Any] = {"text": name}
    if loinc:
        code["coding"] = [{"system": LOINC, "code": loinc}]
    resource: dict[str, Any] = {
        "resourceType": "Observation", "id": f"{response_id}-{score.id}".replace("_", "-"),
        "meta": {"security": [PSY_LABEL]},
        "status": "final", "category": [SURVEY], "code": code,
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": _instant(effective),
        "valueQuantity": {"value": score.value, "unit": "{score}", "system": UCUM,
                          "code": "{score}"},
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{response_id}"}],
    }
    if score.band:
        resource["interpretation"] = [{"text": score.band}]
    if score.prorated:
        resource["note"] = [{"text": "Prorated: items " + ", ".join(map(str, score.missing_items))
                             + " missing, scored as the owner's rule allows."}]
    return resource


def _answer_item(item: Item, value: Value, definition: InstrumentDefinition) -> dict[str, Any]:
    entry: dict[str, Any] = {"linkId": item.link_id or str(item.number)}
    if definition.item_text.shipped and item.text:
        entry["text"] = item.text
    scale = definition.scale_of(item.number)
    option = next((o for o in scale.options if o.value == value), None)
    if option is not None and option.code:
        coding = {"code": option.code, "display": option.label}
        entry["answer"] = [{"valueCoding": {"system": option.system, **coding}
                            if option.system else coding}]
    else:
        entry["answer"] = [_number("value", value)]
    return entry


def _total_link_id(definition: InstrumentDefinition) -> str:
    loinc = definition.total.loinc if definition.total else None
    return f"/{loinc}" if loinc else "total"


def _number(prefix: str, value: Value) -> dict[str, Any]:
    if isinstance(value, int) or float(value).is_integer():
        return {f"{prefix}Integer": int(value)}
    return {f"{prefix}Decimal": value}


def _instant(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("a FHIR dateTime with a time needs a time zone")
    return moment.isoformat()
