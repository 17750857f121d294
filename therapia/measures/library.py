"""The built-in instrument library: one JSON file per instrument in instruments/,
validated by therapia.measures.definition when first used. No Django here: the `therapia
score` command loads it without settings or a database."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from therapia.measures.definition import InstrumentDefinition

INSTRUMENTS_DIR = Path(__file__).resolve().parent / "instruments"


class UnknownInstrument(LookupError):
    def __init__(self, instrument_id: str) -> None:
        known = ", ".join(sorted(definitions()))
        super().__init__(f"unknown instrument {instrument_id!r} (known: {known})")
        self.instrument_id = instrument_id


@cache
def definitions() -> dict[str, InstrumentDefinition]:
    loaded: dict[str, InstrumentDefinition] = {}
    for path in sorted(INSTRUMENTS_DIR.glob("*.json")):
        definition = InstrumentDefinition.model_validate_json(path.read_text(encoding="utf-8"))
        if definition.id != path.stem:
            raise ValueError(f"{path.name}: the file name must be the instrument id "
                             f"{definition.id!r}")
        loaded[definition.id] = definition
    return loaded


def get(instrument_id: str) -> InstrumentDefinition:
    """The definition for an id, case-insensitive and ignoring '-' (PHQ-9 = phq9)."""
    key = instrument_id.lower().replace("-", "")
    found = definitions().get(key)
    if found is None:
        raise UnknownInstrument(instrument_id)
    return found
