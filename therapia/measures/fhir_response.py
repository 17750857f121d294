"""Reading the answers out of a FHIR R4 QuestionnaireResponse, to score them.

Which instrument, and which item each answer belongs to, is found in one of three ways:
a Questionnaire definition given by the caller (an imported custom instrument: by linkId);
a known non-LOINC form of a built-in instrument (its canonical URL, e.g. the HL7 SDC PHQ-9
example); or LOINC item codes in the linkIds ("/44250-9", as LHC-Forms writes them) or in
item.code. Coded answers are mapped to values through the definition's option codes, never
by display text. A total score written in the response is kept, to compare with ours.
No Django here (used by `therapia score --fhir`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from therapia.measures import library
from therapia.measures.definition import FhirForm, InstrumentDefinition

Value = int | float
LOINC = "http://loinc.org"


class ResponseNotUnderstood(ValueError):
    """The QuestionnaireResponse cannot be read as answers to a known instrument."""


@dataclass(frozen=True)
class ReadResponse:
    definition: InstrumentDefinition
    answers: tuple[Value | None, ...]
    questionnaire: str | None
    reported_total: Value | None
    ignored_link_ids: tuple[str, ...]


@dataclass(frozen=True)
class _ItemMap:
    """linkId -> item number, answer code -> value, and the linkId of a reported total."""

    numbers: dict[str, int]
    values: dict[str, int]
    total_link_ids: frozenset[str]


def read_response(resource: dict[str, Any],
                  definition: InstrumentDefinition | None = None) -> ReadResponse:
    if resource.get("resourceType") != "QuestionnaireResponse":
        raise ResponseNotUnderstood("expected a FHIR QuestionnaireResponse, got "
                                    f"{resource.get('resourceType')!r}")
    leaves = list(_answered_items(resource.get("item", [])))
    questionnaire = resource.get("questionnaire")
    if definition is None:
        definition, item_map = _identify(leaves, questionnaire)
    else:
        item_map = _by_link_id(definition)
    answers: list[Value | None] = [None] * len(definition.items)
    reported: Value | None = None
    ignored = []
    for link_id, item in leaves:
        if link_id in item_map.total_link_ids:
            reported = _number(item, link_id)
        elif link_id in item_map.numbers:
            number = item_map.numbers[link_id]
            answers[number - 1] = _value(item, link_id, definition, number, item_map.values)
        else:
            ignored.append(link_id)
    return ReadResponse(definition, tuple(answers), questionnaire, reported, tuple(ignored))


def _answered_items(items: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Leaf items that carry an answer, with nested groups flattened."""
    for item in items:
        if item.get("answer"):
            yield item["linkId"], item
        yield from _answered_items(item.get("item", []))


def _code_of(link_id: str, item: dict[str, Any]) -> str:
    codes = [c.get("code") for c in item.get("code", []) if c.get("system") == LOINC]
    return codes[0] if codes else link_id.lstrip("/")


def _identify(leaves: list[tuple[str, dict[str, Any]]],
              questionnaire: str | None) -> tuple[InstrumentDefinition, _ItemMap]:
    for definition in library.definitions().values():
        for form in definition.fhir_forms:
            if questionnaire and questionnaire.split("|")[0] == form.questionnaire:
                return definition, _by_form(form)
    codes = {_code_of(link_id, item) for link_id, item in leaves}
    best: tuple[int, int, str] | None = None
    for definition in library.definitions().values():
        matched = len(codes & {i.loinc for i in definition.items if i.loinc})
        total_code = definition.total.loinc if definition.total else None
        weight = matched + (2 if total_code in codes else 0)
        if matched and (best is None or (weight, -len(definition.items)) > best[:2]):
            best = (weight, -len(definition.items), definition.id)
    if best is None:
        raise ResponseNotUnderstood(
            f"no known instrument for questionnaire {questionnaire!r}: its items carry no "
            "LOINC item code of a built-in instrument (give the Questionnaire with "
            "--questionnaire to score a custom form)")
    definition = library.definitions()[best[2]]
    return definition, _by_loinc(definition, leaves)


def _by_form(form: FhirForm) -> _ItemMap:
    totals = frozenset({form.total_link_id} if form.total_link_id else set())
    return _ItemMap(dict(form.items), dict(form.answer_values), totals)


def _by_loinc(definition: InstrumentDefinition,
              leaves: list[tuple[str, dict[str, Any]]]) -> _ItemMap:
    number_of = {item.loinc: item.number for item in definition.items if item.loinc}
    total_code = definition.total.loinc if definition.total else None
    numbers, totals = {}, set()
    for link_id, item in leaves:
        code = _code_of(link_id, item)
        if code in number_of:
            numbers[link_id] = number_of[code]
        elif code == total_code:
            totals.add(link_id)
    return _ItemMap(numbers, {}, frozenset(totals))


def _by_link_id(definition: InstrumentDefinition) -> _ItemMap:
    numbers = {item.link_id: item.number for item in definition.items if item.link_id}
    total = definition.total.loinc if definition.total else None
    return _ItemMap(numbers, {}, frozenset({total, f"/{total}"} if total else set()))


def _value(item: dict[str, Any], link_id: str, definition: InstrumentDefinition,
           number: int, form_values: dict[str, int]) -> Value | None:
    answer = item["answer"][0]
    if "valueCoding" in answer:
        coding = answer["valueCoding"]
        code = coding.get("code")
        if code in form_values:
            return form_values[code]
        for option in definition.scale_of(number).options:
            if option.code == code and (option.system is None or coding.get("system")
                                        in (None, option.system)):
                return option.value
        raise ResponseNotUnderstood(f"item {link_id!r}: answer code {code!r} is not one of "
                                    f"the {definition.short_name} item {number} options")
    if "valueBoolean" in answer:
        return int(answer["valueBoolean"])
    return _number(item, link_id)


def _number(item: dict[str, Any], link_id: str) -> Value:
    answer = item["answer"][0]
    for key in ("valueInteger", "valueDecimal"):
        if key in answer:
            return answer[key]  # type: ignore[no-any-return]
    if "valueQuantity" in answer and "value" in answer["valueQuantity"]:
        return answer["valueQuantity"]["value"]  # type: ignore[no-any-return]
    if "valueString" in answer:  # US Core's 44261-6 example carries "12"
        try:
            number = float(answer["valueString"])
            return int(number) if number.is_integer() else number
        except ValueError:
            pass
    raise ResponseNotUnderstood(f"item {link_id!r}: the answer is not a coding or a number")
