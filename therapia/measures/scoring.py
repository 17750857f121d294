"""Scoring questionnaires: pure functions from raw answers to a frozen result.

Answers are the option codes as listed in the instrument's definition, one per item in
item order; None is a missing answer. The rules themselves are data (instruments/*.json),
each with its published source; this module applies them:

- reverse-keyed items score (lowest + highest - answer) (e.g. CORE-10 items 2 and 3,
  CamCOPS core10.py [measures.md §1.5, S6]; SDQ items 7, 11, 14, 21, 25 [S32]);
- a score is missing when more items are missing than its rule allows; where the owner
  allows prorating, the answered items are scaled up to the full scale (CORE System Trust:
  CORE-10 with one item missing, mean of the rest [S14]; SDQ scales with at least 3 of 5
  items [S32]); everywhere else one missing item means no score;
- bands are closed intervals; a prorated score between two bands belongs to the lower;
- risk flags are read from the item, never the total (measures.md §0.3), and a risk item
  left blank is reported as such, because "no flag" would otherwise mean "not asked".

Each definition is compiled once into a Scorer (tuples, dicts, bisect) so scoring one
questionnaire costs a few microseconds (benchmarks/scoring.py).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import Any

from therapia.measures import library
from therapia.measures.definition import InstrumentDefinition, ResponseScale, ScoreRule

Value = int | float
Answers = Sequence[Value | None]


class ScoringError(ValueError):
    """The answers cannot be scored; the message names the instrument and the item."""


class WrongItemCount(ScoringError):
    pass


class InvalidAnswer(ScoringError):
    def __init__(self, message: str, *, item: int) -> None:
        super().__init__(message)
        self.item = item


@dataclass(frozen=True, slots=True)
class RiskFlag:
    id: str
    item: int
    value: Value
    label: str


@dataclass(frozen=True, slots=True)
class ScaleScore:
    id: str
    name: str
    value: Value | None
    band: str | None
    prorated: bool
    missing_items: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """missing_items: required items with no score (skipped AUDIT questions score 0);
    risk_items_unanswered: risk items left blank, so their flag is unknown."""

    instrument: str
    total: Value | None
    band: str | None
    prorated: bool
    subscales: tuple[ScaleScore, ...]
    risk_flags: tuple[RiskFlag, ...]
    risk_items_unanswered: tuple[int, ...]
    cutoffs_met: tuple[str, ...]
    missing_items: tuple[int, ...]
    not_scored_reason: str | None

    def subscale(self, subscale_id: str) -> ScaleScore:
        for scale in self.subscales:
            if scale.id == subscale_id:
                return scale
        raise KeyError(subscale_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "total": self.total,
            "band": self.band,
            "prorated": self.prorated,
            "not_scored_reason": self.not_scored_reason,
            "missing_items": list(self.missing_items),
            "subscales": {s.id: {"name": s.name, "value": s.value, "band": s.band,
                                 "prorated": s.prorated, "missing_items": list(s.missing_items)}
                          for s in self.subscales},
            "risk_flags": [{"id": f.id, "item": f.item, "value": f.value, "label": f.label}
                           for f in self.risk_flags],
            "risk_items_unanswered": list(self.risk_items_unanswered),
            "cutoffs_met": list(self.cutoffs_met),
        }


def score(instrument_id: str, answers: Answers) -> ScoreResult:
    """Score one completed questionnaire of a built-in instrument."""
    return scorer_for(instrument_id).score(answers)


@cache
def scorer_for(instrument_id: str) -> Scorer:
    return Scorer(library.get(instrument_id))


class _Continuous:
    """A visual-analogue answer (ORS, SRS): a number on the line, to `places` decimals.
    Subscripted like the option tables so the hot loop treats every item alike."""

    __slots__ = ("high", "low", "places", "reverse")

    def __init__(self, scale: ResponseScale, reverse: bool) -> None:
        self.low, self.high, self.places, self.reverse = (scale.low, scale.high,
                                                          scale.decimals, reverse)

    def __getitem__(self, answer: Any) -> Value | None:
        if answer is None:
            return None
        if isinstance(answer, bool) or not self.low <= answer <= self.high \
                or round(answer, self.places) != answer:
            raise ValueError(answer)
        if self.reverse:
            flipped: Value = round(self.low + self.high - answer, self.places)
            return flipped
        return answer  # type: ignore[no-any-return]


# An item's answer -> score table (reverse keys applied). Subscripting raises KeyError or
# ValueError for an answer the item does not allow.
Table = dict[Any, Value | None] | _Continuous


def _table(scale: ResponseScale, reverse: bool) -> Table:
    if scale.kind == "continuous":
        return _Continuous(scale, reverse)
    flip = scale.low + scale.high
    table: dict[Any, Value | None] = {None: None}
    for option in scale.options:
        table[option.value] = int(flip - option.value) if reverse else option.value
    return table


Picker = Callable[[list[Value | None]], tuple[Value | None, ...]]


def _picker(indexes: tuple[int, ...]) -> Picker:
    """The rule's answers as a tuple, picked in C (itemgetter of one index returns the value
    itself, so that case is wrapped)."""
    if len(indexes) > 1:
        picker: Picker = itemgetter(*indexes)
        return picker
    return lambda scored: tuple(scored[i] for i in indexes)


class _Rule:
    """One compiled score rule: which answers it adds up, how, and its bands."""

    def __init__(self, definition: InstrumentDefinition, rule: ScoreRule) -> None:
        self.id, self.name = rule.id, rule.name
        self.numbers = rule.items
        self.pick = _picker(tuple(n - 1 for n in rule.items))
        self.components = rule.components
        self.max_missing = rule.missing.max_missing
        n = len(rule.items) or 1
        # value = sum x numerator / denominator: sum (1/1), doubled (2/1), 10 x mean (10/n)
        self.numerator, self.denominator = {"sum": (1, 1), "sum_x2": (2, 1),
                                            "mean_x10": (10, n)}[rule.method]
        self.whole = self.numerator % self.denominator == 0
        self.factor = self.numerator // self.denominator
        self.places = max((definition.scale_of(i).decimals for i in rule.items), default=0)
        self.minima = tuple(band.minimum for band in rule.bands)
        self.labels = tuple(band.label for band in rule.bands)

    def band(self, value: Value | None) -> str | None:
        if value is None or not self.labels:
            return None
        return self.labels[bisect_right(self.minima, value) - 1]

    def value(self, scored: list[Value | None]) -> tuple[Value | None, tuple[int, ...]]:
        """The score and the missing item numbers (prorated if there are any)."""
        values = self.pick(scored)
        if None in values:
            return self._incomplete(values)
        total = sum(values)  # type: ignore[arg-type]  # no None left
        if self.places:
            return round(total, self.places), ()
        if self.whole:
            return total * self.factor, ()
        return total * self.numerator / self.denominator, ()

    def _incomplete(self, values: Sequence[Value | None]) -> tuple[Value | None,
                                                                   tuple[int, ...]]:
        missing = tuple(n for n, v in zip(self.numbers, values, strict=True) if v is None)
        if len(missing) > self.max_missing:
            return None, missing
        answered = [v for v in values if v is not None]
        # Prorated: the mean of the answered items, scaled to the full scale.
        value = round(sum(answered) * self.numerator * len(values)
                      / (self.denominator * len(answered)), max(self.places, 2))
        return value, missing

    def from_items(self, scored: list[Value | None]) -> ScaleScore:
        value, missing = self.value(scored)
        return ScaleScore(self.id, self.name, value, self.band(value), bool(missing)
                          and value is not None, missing)

    def from_components(self, parts: dict[str, ScaleScore]) -> ScaleScore:
        chosen = [parts[c] for c in self.components]
        missing = tuple(sorted({n for part in chosen for n in part.missing_items}))
        if any(part.value is None for part in chosen):
            return ScaleScore(self.id, self.name, None, None, False, missing)
        value = sum(part.value for part in chosen)  # type: ignore[misc]  # checked above
        prorated = any(part.prorated for part in chosen)
        return ScaleScore(self.id, self.name, value, self.band(value), prorated, missing)


class Scorer:
    """A definition compiled for fast, repeated scoring (a few microseconds each)."""

    def __init__(self, definition: InstrumentDefinition) -> None:
        self.definition = definition
        self.instrument = definition.id
        self.count = len(definition.items)
        self.required = sum(1 for item in definition.items if item.required)
        self.tables = tuple(_table(definition.response_scales[item.scale], item.reverse_keyed)
                            for item in definition.items)
        self.subscales = tuple(_Rule(definition, rule) for rule in definition.subscales)
        self.total = _Rule(definition, definition.total) if definition.total else None
        self.risks = tuple((r.item - 1, r.minimum, r.id, r.label)
                           for r in definition.risk_rules)
        self.skips = tuple((tuple(n - 1 for n in s.when_zero), tuple(n - 1 for n in s.skipped))
                           for s in definition.skip_rules)
        self.total_cutoffs = tuple((c.minimum, c.id) for c in definition.cutoffs
                                   if c.score == "total")
        self.subscale_cutoffs = tuple((c.score, c.minimum, c.id) for c in definition.cutoffs
                                      if c.score != "total")

    def score(self, answers: Answers) -> ScoreResult:
        # Complete: every item answered, none left out at the end (checked in C).
        complete = len(answers) == self.count and None not in answers
        if len(answers) != self.count:
            answers = self._padded(answers)
        try:
            scored = [table[answer] for table, answer in zip(self.tables, answers)]  # noqa: B905 (length checked)
        except (KeyError, ValueError, TypeError):
            raise self._explain(answers) from None
        if self.skips:
            scored = self._apply_skips(answers, scored)
        parts = {rule.id: rule.from_items(scored) for rule in self.subscales} \
            if self.subscales else {}
        total, prorated, band, reason = self._total(scored, parts)
        return ScoreResult(
            self.instrument, total, band, prorated, tuple(parts.values()),
            self._risk_flags(answers) if self.risks else (),
            () if complete else tuple(i + 1 for i, *_ in self.risks if answers[i] is None),
            self._cutoffs_met(total, parts) if self.total_cutoffs or parts else (),
            () if complete else self._missing(scored),
            reason)

    def _missing(self, scored: list[Value | None]) -> tuple[int, ...]:
        """Required items without a score (a skipped AUDIT question scores 0, so is not
        missing; an optional item at the end is not missing either)."""
        required = scored[:self.required]
        if None not in required:
            return ()
        return tuple(n for n, v in enumerate(required, 1) if v is None)

    def _total(self, scored: list[Value | None], parts: dict[str, ScaleScore]) \
            -> tuple[Value | None, bool, str | None, str | None]:
        rule = self.total
        if rule is None:
            name = self.definition.short_name
            return None, False, None, f"{name} has no total score; see its subscales"
        if rule.components:
            combined = rule.from_components(parts)
            value, missing, prorated = (combined.value, combined.missing_items,
                                        combined.prorated)
        else:
            value, missing = rule.value(scored)
            prorated = bool(missing)
        if value is None:
            return None, False, None, self._not_scored(rule, missing)
        return value, prorated, rule.band(value), None

    def _padded(self, answers: Answers) -> Answers:
        """Optional items at the end may be left out of the list."""
        if self.required <= len(answers) < self.count:
            return [*answers, *([None] * (self.count - len(answers)))]
        expected = (f"{self.count} answers" if self.required == self.count else
                    f"{self.required} to {self.count} answers (items after {self.required} are "
                    "optional)")
        raise WrongItemCount(f"{self.definition.short_name} takes {expected}; "
                             f"got {len(answers)}")

    def _explain(self, answers: Answers) -> InvalidAnswer:
        for number, (table, answer) in enumerate(zip(self.tables, answers, strict=True), 1):
            try:
                table[answer]
            except (KeyError, ValueError, TypeError):
                return InvalidAnswer(
                    f"{self.definition.short_name} item {number}: {answer!r} is not an "
                    f"allowed answer (allowed: {self._allowed(number)})", item=number)
        return InvalidAnswer(f"{self.definition.short_name}: invalid answers", item=0)

    def _allowed(self, number: int) -> str:
        scale = self.definition.scale_of(number)
        if scale.kind == "options":
            return ", ".join(str(option.value) for option in scale.options)
        return f"{scale.low:g} to {scale.high:g} in steps of {10 ** -scale.decimals:g}"

    def _apply_skips(self, answers: Answers, scored: list[Value | None]) -> list[Value | None]:
        for when_zero, skipped in self.skips:
            if all(answers[i] == 0 for i in when_zero):
                for i in skipped:
                    if scored[i] is None:
                        scored[i] = 0
        return scored

    def _risk_flags(self, answers: Answers) -> tuple[RiskFlag, ...]:
        flags: tuple[RiskFlag, ...] = ()
        for i, minimum, rule_id, label in self.risks:
            answer = answers[i]
            if answer is not None and answer >= minimum:
                flags += (RiskFlag(rule_id, i + 1, answer, label),)
        return flags

    def _cutoffs_met(self, total: Value | None,
                     parts: dict[str, ScaleScore]) -> tuple[str, ...]:
        met: tuple[str, ...] = ()
        if total is not None:
            for minimum, cutoff_id in self.total_cutoffs:
                if total >= minimum:
                    met += (cutoff_id,)
        for score_id, minimum, cutoff_id in self.subscale_cutoffs:
            value = parts[score_id].value
            if value is not None and value >= minimum:
                met += (cutoff_id,)
        return met

    def _not_scored(self, rule: _Rule, missing: tuple[int, ...]) -> str:
        name = self.definition.short_name
        if rule.components:
            scales = ", ".join(rule.components)
            return f"{name} total needs every one of its scales ({scales})"
        allowed = rule.max_missing
        return (f"{len(missing)} of the items in the {name} total are missing; "
                f"{'none' if not allowed else f'at most {allowed}'} may be")
