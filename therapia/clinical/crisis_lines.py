"""Default crisis lines for a practice's jurisdiction, kept as data with their sources
(therapia/clinical/data/crisis_lines.json). Every safety plan prints them under step 5."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "crisis_lines.json"


@dataclass(frozen=True)
class CrisisLine:
    name: str
    contact: str
    hours: str
    source: str


@cache
def _table() -> dict[str, tuple[CrisisLine, ...]]:
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    return {
        country: tuple(CrisisLine(**entry) for entry in entries)
        for country, entries in raw["lines"].items()
    }


def country_of(jurisdiction: str) -> str:
    """"GB-ENG" -> "GB"; "us-ca" -> "US"."""
    return jurisdiction.split("-", 1)[0].strip().upper()


def crisis_lines_for(jurisdiction: str) -> tuple[CrisisLine, ...]:
    """The lines for the jurisdiction's country; none where we hold no data (the plan's
    own step 5 must then name them)."""
    return _table().get(country_of(jurisdiction), ())


def countries() -> list[str]:
    return sorted(_table())
