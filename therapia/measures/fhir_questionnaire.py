"""Importing a FHIR R4 Questionnaire with SDC scoring as an instrument definition.

The Questionnaire is first parsed by fhirclient's FHIR 4.0.1 models (strict types), so a
malformed resource is refused with the path of what is wrong: the LHC-Forms PHQ-9
(fhir-and-data.md §1.5) has the number 1 where optionPrefix needs a string.

An item is scored when its answers carry weights: SDC 3's ordinalValue extension or SDC 4's
itemWeight, on each answerOption or on the concepts of a contained ValueSet (or a contained
CodeSystem's itemWeight property) named by answerValueSet. The total is the sum of the
scored items; an item with a calculatedExpression is taken as the total, for its code
(e.g. LOINC 44261-6). The expression itself is not evaluated: SDC expressions differ in
how they treat missing answers (LHC-Forms counts a missing answer as 0), and our rule is
no total with a missing item. A Questionnaire has no machine-readable bands, so an
imported instrument has none. No Django here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fhirclient.models.fhirabstractbase import (  # type: ignore[import-untyped]
    FHIRValidationError,
)
from fhirclient.models.questionnaire import Questionnaire  # type: ignore[import-untyped]
from pydantic import ValidationError

from therapia.measures.definition import Direction, InstrumentDefinition

WEIGHT_URLS = ("http://hl7.org/fhir/StructureDefinition/ordinalValue",
               "http://hl7.org/fhir/StructureDefinition/itemWeight")
CALCULATED = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
LOINC = "http://loinc.org"


class QuestionnaireRefused(ValueError):
    """The Questionnaire cannot become an instrument; the message says why and where."""


def definition_from_questionnaire(resource: dict[str, Any], *,
                                  direction: Direction = "lower_is_better") \
        -> InstrumentDefinition:
    if resource.get("resourceType") != "Questionnaire":
        raise QuestionnaireRefused(
            f"expected a FHIR Questionnaire, got {resource.get('resourceType')!r}")
    check_r4_structure(resource)
    contained = {f"#{r.get('id')}": r for r in resource.get("contained", [])}
    scales: dict[tuple[tuple[str, str, int, str], ...], str] = {}
    items: list[dict[str, Any]] = []
    total_code = None
    for item in _leaf_items(resource.get("item", [])):
        weights = _weights(item, contained)
        if weights:
            key = tuple((code.get("system") or "", code["code"], value,
                         code.get("display") or code["code"]) for code, value in weights)
            scale = scales.setdefault(key, f"scale{len(scales) + 1}")
            items.append(_item(item, len(items) + 1, scale))
        elif any(e.get("url") == CALCULATED for e in item.get("extension", [])):
            total_code = _loinc(item)
    if not items:
        raise QuestionnaireRefused("no item has scored answers (ordinalValue or itemWeight)")
    return _definition(resource, items, scales, total_code, direction)


def check_r4_structure(resource: dict[str, Any]) -> None:
    try:
        Questionnaire(resource)
    except FHIRValidationError as error:
        problems = [_describe(path, leaf, resource) for path, leaf in _flatten(error, [])]
        raise QuestionnaireRefused("not a valid FHIR R4 Questionnaire: "
                                   + "; ".join(problems)) from None


def _flatten(error: Exception, path: list[str]) -> Iterator[tuple[list[str], Exception]]:
    step = getattr(error, "path", None)
    here = [*path, step] if step else path
    inner = getattr(error, "errors", None)
    if isinstance(error, FHIRValidationError) and inner:
        for sub in inner:
            yield from _flatten(sub, here)
    else:
        yield here, error


def _describe(path: list[str], error: Exception, resource: dict[str, Any]) -> str:
    """['item.2', 'answerOption.1', 'valueString'] -> "item[2] (linkId '/44259-0')
    .answerOption[1].valueString: <what fhirclient found>"."""
    parts = []
    node: Any = resource
    for step in path:
        name, _, index = step.partition(".")
        node = node.get(name) if isinstance(node, dict) else None
        label = name
        if index.isdigit():
            position = int(index)
            node = node[position] if isinstance(node, list) and position < len(node) else None
            label += f"[{index}]"
            if isinstance(node, dict) and "linkId" in node:
                label += f" (linkId {node['linkId']!r})"
        parts.append(label)
    reason = str(error).replace("<class '", "").replace("'>", "")
    return f"{'.'.join(parts)}: {reason}"


def _leaf_items(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        if item.get("type") == "group":
            yield from _leaf_items(item.get("item", []))
        else:
            yield item


def _weight(extensions: list[dict[str, Any]]) -> float | None:
    for extension in extensions:
        if extension.get("url") in WEIGHT_URLS:
            value = extension.get("valueDecimal", extension.get("valueInteger"))
            return float(value) if value is not None else None
    return None


def _weights(item: dict[str, Any],
             contained: dict[str, dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    """[(coding, weight)] for the item's answers, or [] if they carry no weights."""
    pairs = [(option.get("valueCoding"), _weight(option.get("extension", [])))
             for option in item.get("answerOption", [])]
    if not pairs and item.get("answerValueSet") in contained:
        pairs = _value_set_weights(contained[item["answerValueSet"]], contained)
    if not pairs or all(weight is None for _, weight in pairs):
        return []
    link_id = item.get("linkId")
    scored = []
    for coding, weight in pairs:
        if coding is None or weight is None:
            raise QuestionnaireRefused(f"item {link_id!r}: every answer needs a code and a "
                                       "weight when any of them has one")
        if not weight.is_integer():
            raise QuestionnaireRefused(f"item {link_id!r}: weight {weight:g} of answer "
                                       f"{coding.get('code')!r} is not a whole number")
        scored.append((coding, int(weight)))
    return scored


def _value_set_weights(value_set: dict[str, Any], contained: dict[str, dict[str, Any]]) \
        -> list[tuple[dict[str, Any] | None, float | None]]:
    pairs: list[tuple[dict[str, Any] | None, float | None]] = []
    for include in value_set.get("compose", {}).get("include", []):
        system = include.get("system")
        weights_in_system = _code_system_weights(system, contained)
        for concept in include.get("concept", []):
            weight = _weight(concept.get("extension", []))
            if weight is None:
                weight = weights_in_system.get(concept.get("code", ""))
            pairs.append(({"system": system, "code": concept.get("code"),
                           "display": concept.get("display")}, weight))
    return pairs


def _code_system_weights(system: str | None,
                         contained: dict[str, dict[str, Any]]) -> dict[str, float]:
    """SDC 4: weights as the itemWeight property of a contained CodeSystem's concepts."""
    for resource in contained.values():
        if resource.get("resourceType") == "CodeSystem" and resource.get("url") == system:
            return {c["code"]: float(p["valueDecimal"]) for c in resource.get("concept", [])
                    for p in c.get("property", [])
                    if p.get("code") == "itemWeight" and "valueDecimal" in p}
    return {}


def _loinc(item: dict[str, Any]) -> str | None:
    codes = [c.get("code") for c in item.get("code", []) if c.get("system") == LOINC]
    return codes[0] if codes else None


def _item(item: dict[str, Any], number: int, scale: str) -> dict[str, Any]:
    text = item.get("text") or item["linkId"]
    return {"number": number, "scale": scale, "label": text[:80], "text": text,
            "link_id": item["linkId"], "loinc": _loinc(item)}


def _definition(resource: dict[str, Any], items: list[dict[str, Any]],
                scales: dict[tuple[tuple[str, str, int, str], ...], str], total_code: str | None,
                direction: Direction) -> InstrumentDefinition:
    title = resource.get("title") or resource.get("name") or resource.get("id") or "Questionnaire"
    where = resource.get("url") or f"Questionnaire/{resource.get('id', '?')}"
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:56] or "questionnaire"
    for key in scales:
        if len({value for _, _, value, _ in key}) != len(key):
            raise QuestionnaireRefused("two answers of one item share a weight: "
                                       + ", ".join(code for _, code, _, _ in key))
    response_scales = {
        name: {"kind": "options", "source": where,
               "options": [{"value": value, "label": label, "code": code,
                            "system": system or None} for system, code, value, label in key]}
        for key, name in scales.items()}
    data = {
        "id": f"custom-{slug}", "name": title, "short_name": title[:40],
        "version": resource.get("version") or "1", "direction": direction,
        "response_scales": response_scales, "items": items,
        "total": {"id": "total", "name": f"{title} total", "loinc": total_code,
                  "items": [item["number"] for item in items]},
        "licence": {"licence_class": "practice", "source": where,
                    "statement": resource.get("copyright") or "Imported by the practice"},
        "item_text": {"shipped": True},
        "citation": f"Imported from FHIR Questionnaire {where} (version "
                    f"{resource.get('version') or 'not given'})",
        "omitted": [{"what": "bands", "why": "a FHIR Questionnaire has no machine-readable bands"}],
    }
    try:
        return InstrumentDefinition.model_validate(data)
    except ValidationError as error:
        raise QuestionnaireRefused(f"the Questionnaire does not make a valid instrument: "
                                   f"{error}") from None
