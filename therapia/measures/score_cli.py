"""`therapia score`: score one questionnaire and print the result as JSON.

    therapia score PHQ-9 --items 1,2,0,1,3,0,1,2,0
    therapia score CORE-10 --items 2,2,2,2,2,2,2,2,,2        (a blank answer is missing)
    therapia score --fhir response.json                       (a FHIR R4 QuestionnaireResponse)
    therapia score --fhir response.json --questionnaire questionnaire.json
    therapia score --list

Runs without Django or a database: this module imports only the pure measures modules.
Invalid input exits with status 1 and a message that names the item.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from therapia.measures import library, scoring
from therapia.measures.fhir_questionnaire import QuestionnaireRefused, definition_from_questionnaire
from therapia.measures.fhir_response import ResponseNotUnderstood, read_response

Value = int | float


class UsageError(ValueError):
    pass


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        output = _run(args)
    except (scoring.ScoringError, library.UnknownInstrument, ResponseNotUnderstood,
            QuestionnaireRefused, UsageError) as error:
        sys.stderr.write(f"therapia score: {_message(error)}\n")
        return 1
    sys.stdout.write(json.dumps(output, indent=2, ensure_ascii=False) + "\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="therapia score", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("instrument", nargs="?", help="e.g. PHQ-9, GAD-7, CORE-10 (see --list)")
    parser.add_argument("--items", help="answers in item order, comma-separated; blank = missing")
    parser.add_argument("--fhir", type=Path, help="a FHIR R4 QuestionnaireResponse (JSON)")
    parser.add_argument("--questionnaire", type=Path,
                        help="with --fhir: the FHIR Questionnaire of a custom form")
    parser.add_argument("--list", action="store_true", help="list the built-in instruments")
    return parser


def _run(args: argparse.Namespace) -> Any:
    if args.list:
        return {d.id: d.short_name for d in library.definitions().values()}
    if args.fhir:
        if args.instrument or args.items:
            raise UsageError("give either --fhir FILE or INSTRUMENT --items, not both")
        return _score_fhir(args.fhir, args.questionnaire)
    if not args.instrument or args.items is None:
        raise UsageError("give INSTRUMENT --items v1,v2,... or --fhir FILE (see --help)")
    answers = parse_items(args.items)
    return scoring.score(args.instrument, answers).to_dict()


def parse_items(text: str) -> list[Value | None]:
    """'1,,2.5' -> [1, None, 2.5]."""
    answers: list[Value | None] = []
    for number, field in enumerate(text.split(","), 1):
        raw = field.strip()
        if not raw:
            answers.append(None)
            continue
        try:
            answers.append(int(raw))
        except ValueError:
            try:
                answers.append(float(raw))
            except ValueError:
                raise UsageError(f"item {number}: {raw!r} is not a number") from None
    return answers


def _score_fhir(response_path: Path, questionnaire_path: Path | None) -> dict[str, Any]:
    definition = None
    if questionnaire_path is not None:
        definition = definition_from_questionnaire(_load(questionnaire_path))
    read = read_response(_load(response_path), definition)
    result = scoring.Scorer(read.definition).score(read.answers).to_dict()
    result["source"] = {"questionnaire": read.questionnaire, "reported_total": read.reported_total,
                        "ignored_link_ids": list(read.ignored_link_ids)}
    result["warnings"] = _warnings(result, read.reported_total)
    return result


def _warnings(result: dict[str, Any], reported: Value | None) -> list[str]:
    if reported is None or result["total"] is None or reported == result["total"]:
        return []
    return [(f"the response reports a total of {reported:g}; its answers score "
             f"{result['total']:g} (this result uses the answers)")]


def _load(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"{path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(loaded, dict):
        raise UsageError(f"{path}: expected a JSON object (a FHIR resource)")
    return loaded


def _message(error: Exception) -> str:
    # LookupError's str() adds quotes; the other errors are plain messages.
    return error.args[0] if error.args else str(error)
