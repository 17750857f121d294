"""The shape of an instrument definition (one JSON file per instrument in instruments/).

A definition is data: items and their response scales, reverse keys, score rules (total and
subscales) with their missing-item rules and bands, risk-item rules, LOINC codes, licence and
sources. Every number in a built-in definition carries the source it came from; this module
checks that the pieces fit together (contiguous bands covering the score's range, items that
exist, text only where the licence allows it) so a wrong file fails when it is loaded.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

Direction = Literal["lower_is_better", "higher_is_better"]
# A = free including item text; B = free but text needs permission or registration;
# C = proprietary, never ship text; practice = a practice's own imported questionnaire.
LicenceClass = Literal["A", "B", "C", "practice"]
TextWithheld = Literal["licence_restricted", "licence_unconfirmed", "not_sourced"]
# How items combine: sum; mean x 10 (CORE clinical score); sum x 2 (DASS-21 to DASS-42 metric).
Method = Literal["sum", "mean_x10", "sum_x2"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Option(Frozen):
    value: int
    label: str
    code: str | None = None  # e.g. a LOINC answer code (LA6568-5)
    system: str | None = None


class ResponseScale(Frozen):
    """Either a list of options (the value is the option's code as listed here) or a
    continuous line scored to `decimals` places (ORS, SRS)."""

    kind: Literal["options", "continuous"]
    options: tuple[Option, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    decimals: int = 0
    source: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.kind == "options":
            values = [option.value for option in self.options]
            if len(values) < 2 or len(set(values)) != len(values):
                raise ValueError("an option scale needs at least two distinct values")
        elif self.minimum is None or self.maximum is None or self.minimum >= self.maximum:
            raise ValueError("a continuous scale needs minimum < maximum")
        return self

    @property
    def low(self) -> float:
        return min(o.value for o in self.options) if self.options else float(self.minimum or 0)

    @property
    def high(self) -> float:
        return max(o.value for o in self.options) if self.options else float(self.maximum or 0)


class Item(Frozen):
    number: int = Field(ge=1)
    scale: str
    label: str
    text: str | None = None
    link_id: str | None = None
    loinc: str | None = None
    reverse_keyed: bool = False
    required: bool = True  # optional items may be left out at the end of the list
    source: str = ""


class Band(Frozen):
    minimum: float
    maximum: float
    label: str


class MissingRule(Frozen):
    """Up to `max_missing` missing items are prorated: the answered items are scaled up to
    the full scale. Only where the instrument's owner allows it; otherwise 0."""

    max_missing: int = Field(default=0, ge=0)
    source: str = ""

    @model_validator(mode="after")
    def _sourced(self) -> Self:
        if self.max_missing and not self.source:
            raise ValueError("prorating needs the owner's rule as its source")
        return self


class ScoreRule(Frozen):
    id: str
    name: str
    items: tuple[int, ...] = ()
    components: tuple[str, ...] = ()  # a total made of subscales (SDQ total difficulties)
    method: Method = "sum"
    missing: MissingRule = MissingRule()
    bands: tuple[Band, ...] = ()
    bands_source: str = ""
    direction: Direction | None = None  # None: the instrument's direction
    loinc: str | None = None

    @model_validator(mode="after")
    def _items_or_components(self) -> Self:
        if bool(self.items) == bool(self.components):
            raise ValueError(f"score {self.id!r}: give either items or components")
        if self.components and self.method != "sum":
            raise ValueError(f"score {self.id!r}: components can only be summed")
        return self


class RiskRule(Frozen):
    """Flag the item itself, never the total (measures.md §0.3)."""

    id: str
    item: int
    minimum: float
    label: str
    source: str


class SkipRule(Frozen):
    """When every `when_zero` item is 0, the form tells the respondent to skip `skipped`;
    a skipped (blank) item then scores 0 (AUDIT)."""

    when_zero: tuple[int, ...]
    skipped: tuple[int, ...]
    source: str


class Cutoff(Frozen):
    id: str
    label: str
    score: str = "total"
    minimum: float
    source: str


class ItemText(Frozen):
    shipped: bool
    reason_code: TextWithheld | None = None
    reason: str | None = None


class Licence(Frozen):
    licence_class: LicenceClass
    statement: str
    source: str


class FhirForm(Frozen):
    """A known FHIR Questionnaire for this instrument that is not LOINC-coded: its
    canonical URL, which linkId is which item, and what each answer code is worth."""

    questionnaire: str
    items: dict[str, int]
    answer_values: dict[str, int]
    total_link_id: str | None = None
    source: str


class Omission(Frozen):
    what: str
    why: str


class InstrumentDefinition(Frozen):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    name: str
    short_name: str
    version: str = "1"
    population: str = ""
    recall: str = ""
    direction: Direction
    response_scales: dict[str, ResponseScale]
    items: tuple[Item, ...]
    total: ScoreRule | None
    subscales: tuple[ScoreRule, ...] = ()
    risk_rules: tuple[RiskRule, ...] = ()
    skip_rules: tuple[SkipRule, ...] = ()
    cutoffs: tuple[Cutoff, ...] = ()
    loinc_panel: str | None = None
    licence: Licence
    item_text: ItemText
    fhir_forms: tuple[FhirForm, ...] = ()
    citation: str
    sources: dict[str, str] = {}
    omitted: tuple[Omission, ...] = ()

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        self._check_items()
        self._check_item_text()
        rules = self.score_rules
        ids = [rule.id for rule in rules]
        if len(set(ids)) != len(ids):
            raise ValueError("score ids must be unique")
        for rule in rules:
            self._check_rule(rule, {r.id: r for r in rules})
        for risk in self.risk_rules:
            self._check_item_number(risk.item, f"risk rule {risk.id!r}")
        for skip in self.skip_rules:
            for number in (*skip.when_zero, *skip.skipped):
                self._check_item_number(number, "skip rule")
        for cutoff in self.cutoffs:
            if cutoff.score not in ids:
                raise ValueError(f"cut-off {cutoff.id!r} names an unknown score")
        return self

    @property
    def score_rules(self) -> tuple[ScoreRule, ...]:
        return (*self.subscales, *((self.total,) if self.total else ()))

    def scale_of(self, number: int) -> ResponseScale:
        return self.response_scales[self.items[number - 1].scale]

    def _check_items(self) -> None:
        if [item.number for item in self.items] != list(range(1, len(self.items) + 1)):
            raise ValueError("items must be numbered 1, 2, 3, ... in order")
        for item in self.items:
            if item.scale not in self.response_scales:
                raise ValueError(f"item {item.number}: unknown response scale {item.scale!r}")
        required = [item.number for item in self.items if item.required]
        if required and required[-1] != len(required):
            raise ValueError("optional items must come after every required item")

    def _check_item_text(self) -> None:
        has_text = [item.text is not None for item in self.items]
        if self.item_text.shipped:
            if self.licence.licence_class not in ("A", "practice") or not all(has_text):
                raise ValueError("item text is shipped only for class A (or a practice's own) "
                                 "instruments, and then for every item")
        elif any(has_text) or not (self.item_text.reason_code and self.item_text.reason):
            raise ValueError("a scores-only instrument has no item text and says why")

    def _check_item_number(self, number: int, where: str) -> None:
        if not 1 <= number <= len(self.items):
            raise ValueError(f"{where}: there is no item {number}")

    def _check_rule(self, rule: ScoreRule, by_id: dict[str, ScoreRule]) -> None:
        for number in rule.items:
            self._check_item_number(number, f"score {rule.id!r}")
        for component in rule.components:
            if component not in by_id or by_id[component].components:
                raise ValueError(f"score {rule.id!r}: unknown component {component!r}")
        if rule.missing.max_missing >= max(len(rule.items), 1) and rule.items:
            raise ValueError(f"score {rule.id!r}: at least one item must be answered")
        low, high = self.score_range(rule)
        check_bands(rule, low, high)

    def score_range(self, rule: ScoreRule) -> tuple[float, float]:
        if rule.components:
            ranges = [self.score_range(r) for r in self.subscales if r.id in rule.components]
            return sum(r[0] for r in ranges), sum(r[1] for r in ranges)
        low = sum(self.scale_of(n).low for n in rule.items)
        high = sum(self.scale_of(n).high for n in rule.items)
        factor = {"sum": 1.0, "sum_x2": 2.0, "mean_x10": 10 / len(rule.items)}[rule.method]
        return low * factor, high * factor


def check_bands(rule: ScoreRule, low: float, high: float) -> None:
    """Bands are closed intervals that start at the lowest score, end at the highest, and
    leave no gap of a whole point or more between them."""
    if not rule.bands:
        return
    bands = rule.bands
    if bands[0].minimum != low or bands[-1].maximum != high:
        raise ValueError(f"score {rule.id!r}: bands must run from {low:g} to {high:g}")
    for band in bands:
        if band.minimum > band.maximum:
            raise ValueError(f"score {rule.id!r}: band {band.label!r} is empty")
    for before, after in pairwise(bands):
        if not 0 < after.minimum - before.maximum <= 1:
            raise ValueError(f"score {rule.id!r}: bands {before.label!r} and "
                             f"{after.label!r} overlap or leave a gap")
    if not rule.bands_source:
        raise ValueError(f"score {rule.id!r}: bands need a source")
