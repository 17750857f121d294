"""One client's scores on one questionnaire over an episode, with what a clinician reads off
them: the band of each score, the clinical cut-off, the reliable-change zone around the first
score, the change category from first to latest, and whether each score is on track against
the expected-recovery curve. Pure functions over plain values; the chart (charts.py), the
table alternative and the outcome page all read the same `Trajectory`.

Rules used, each from the module that cites its source:

- bands: the instrument definition's bands for its total score (instruments/*.json);
- cut-off and reliable-change points: `change.INSTRUMENT_CHANGE` (measures.md §2.3), a raw-point
  threshold applied inclusively as NHS Talking Therapies does (PHQ-9 6, GAD-7 4) [S10, S11];
  a score at or beyond the cut-off is in the clinical range (PHQ-9 >= 10, GAD-7 >= 8);
- change category (recovered / improved / unchanged / deteriorated / harmed): Jacobson & Truax
  as `change.combine` defines it, on the first and latest scores, with that threshold and
  cut-off. Instruments without a published threshold get no category (we do not guess an SD);
- not on track: `expected_recovery.check_on_track` at the session number of each score (0 =
  intake), with the practice's fitted curve where it has one and the documented default
  otherwise. Only instruments with a default curve (PHQ-9) are checked.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from therapia.measures import library
from therapia.measures.change import (
    INSTRUMENT_CHANGE,
    Category,
    Direction,
    combine,
    reliable_change_by_points,
)
from therapia.measures.definition import InstrumentDefinition
from therapia.measures.expected_recovery import (
    PHQ9_DEFAULT,
    DefaultParameters,
    ExpectedRecoveryCurve,
    IntakeBand,
    check_on_track,
    default_curve,
)

# Instruments with a documented default expected-recovery curve (expected_recovery.py).
DEFAULT_CURVES: dict[str, DefaultParameters] = {"phq9": PHQ9_DEFAULT}


@dataclass(frozen=True)
class Score:
    """One completed questionnaire's total, as plain data."""

    when: dt.datetime  # completed at (aware)
    value: float
    session: int | None = None  # attended treatment sessions before it; 0 = intake


@dataclass(frozen=True)
class Event:
    """Something that happened in the episode worth seeing beside the scores."""

    when: dt.datetime
    label: str  # plain words, no clinical detail ("Treatment plan revised")


@dataclass(frozen=True)
class BandArea:
    """A band drawn from `low` to `high` (the midpoints between its neighbours' bounds)."""

    label: str
    minimum: float  # the band's own bounds, for the legend
    maximum: float
    low: float
    high: float
    severity: int  # 0 = the best band, increasing toward the worst


@dataclass(frozen=True)
class Point:
    when: dt.datetime
    value: float
    session: int | None
    band: str | None
    change: float  # from the first score
    expected: float | None  # the expected score at this session, when a curve applies
    bound: float | None  # the not-on-track limit at this session
    not_on_track: bool


@dataclass(frozen=True)
class Trajectory:
    instrument_id: str
    short_name: str
    direction: Direction
    low: float  # the score range
    high: float
    bands: tuple[BandArea, ...]
    cutoff: float | None
    reliable_change: float | None  # raw points either side of the first score
    points: tuple[Point, ...]
    sessions: tuple[dt.datetime, ...]
    events: tuple[Event, ...]
    curve_source: str | None  # which expected-recovery curve was used, if any
    category: Category | None  # first to latest; None with fewer than 2 scores or no threshold

    @property
    def first(self) -> Point | None:
        return self.points[0] if self.points else None

    @property
    def latest(self) -> Point | None:
        return self.points[-1] if self.points else None

    @property
    def not_on_track_count(self) -> int:
        return sum(point.not_on_track for point in self.points)

    @property
    def checks_track(self) -> bool:
        return self.curve_source is not None

    @property
    def lower_is_better(self) -> bool:
        return self.direction is Direction.LOWER


def direction_of(definition: InstrumentDefinition) -> Direction:
    return Direction.LOWER if definition.direction == "lower_is_better" else Direction.HIGHER


def band_areas(definition: InstrumentDefinition) -> tuple[BandArea, ...]:
    rule = definition.total
    if rule is None or not rule.bands:
        return ()
    low, high = definition.score_range(rule)
    bands = rule.bands
    edges = [low, *((a.maximum + b.minimum) / 2 for a, b in itertools.pairwise(bands)),
             high]
    worst_last = definition.direction == "lower_is_better"
    count = len(bands)
    return tuple(
        BandArea(label=band.label, minimum=band.minimum, maximum=band.maximum,
                 low=edges[i], high=edges[i + 1],
                 severity=i if worst_last else count - 1 - i)
        for i, band in enumerate(bands))


def band_of(bands: Sequence[BandArea], value: float) -> str | None:
    for band in bands:
        if band.minimum <= value <= band.maximum:
            return band.label
    # A prorated score between two bands belongs to the lower (scoring.py).
    below = [band for band in bands if band.minimum <= value]
    return below[-1].label if below else None


def is_clinical(value: float, cutoff: float, direction: Direction) -> bool:
    """At or beyond the cut-off on the worse side (PHQ-9 >= 10 is a case) [measures.md §2.3]."""
    return value >= cutoff if direction is Direction.LOWER else value <= cutoff


def change_category(instrument_id: str, first: float, last: float) -> Category | None:
    """Jacobson & Truax category with the instrument's raw-point threshold (inclusive) and,
    where it has one, its clinical cut-off; None without a published threshold."""
    params = INSTRUMENT_CHANGE.get(instrument_id)
    if params is None or params.reliable_change_points is None:
        return None
    reliable = reliable_change_by_points(first, last, threshold=params.reliable_change_points,
                                         direction=params.direction)
    if params.clinical_cutoff is None:
        return reliable
    return combine(reliable,
                   clinical_pre=is_clinical(first, params.clinical_cutoff, params.direction),
                   functional_post=not is_clinical(last, params.clinical_cutoff,
                                                   params.direction))


def default_curve_for(definition: InstrumentDefinition) -> ExpectedRecoveryCurve | None:
    """The documented default curve, by the instrument's own intake bands; None if there is
    no default for this instrument."""
    parameters = DEFAULT_CURVES.get(definition.id)
    if parameters is None or definition.total is None or not definition.total.bands:
        return None
    return default_curve(intake_bands(definition), parameters, direction_of(definition))


def intake_bands(definition: InstrumentDefinition) -> list[IntakeBand]:
    rule = definition.total
    if rule is None:
        return []
    return [IntakeBand(band.label, band.minimum, band.maximum) for band in rule.bands]


def build(
    instrument: str | InstrumentDefinition,
    scores: Sequence[Score],
    *,
    sessions: Sequence[dt.datetime] = (),
    events: Sequence[Event] = (),
    curve: ExpectedRecoveryCurve | None = None,
    use_default_curve: bool = True,
) -> Trajectory:
    """The trajectory of `scores` (any order) on an instrument (a built-in id, or a
    definition). `curve` is the practice's fitted curve if it has one; otherwise the default,
    if the instrument has one."""
    definition = library.get(instrument) if isinstance(instrument, str) else instrument
    direction = direction_of(definition)
    rule = definition.total
    low, high = definition.score_range(rule) if rule else (0.0, 1.0)
    bands = band_areas(definition)
    ordered = sorted(scores, key=lambda s: s.when)
    if curve is None and use_default_curve:
        curve = default_curve_for(definition)
    params = INSTRUMENT_CHANGE.get(definition.id)
    first = ordered[0].value if ordered else None
    points = tuple(_point(score, first, bands, curve) for score in ordered)
    category = (change_category(definition.id, ordered[0].value, ordered[-1].value)
                if len(ordered) >= 2 else None)
    return Trajectory(
        instrument_id=definition.id, short_name=definition.short_name, direction=direction,
        low=low, high=high, bands=bands,
        cutoff=params.clinical_cutoff if params else None,
        reliable_change=params.reliable_change_points if params else None,
        points=points, sessions=tuple(sorted(sessions)),
        events=tuple(sorted(events, key=lambda e: e.when)),
        curve_source=_source(curve, first), category=category,
    )


def _source(curve: ExpectedRecoveryCurve | None, intake: float | None) -> str | None:
    if curve is None or intake is None:
        return None
    try:
        return curve.curves[curve.band_of(intake).name].source
    except ValueError:
        return None


def _point(score: Score, first: float | None, bands: Sequence[BandArea],
           curve: ExpectedRecoveryCurve | None) -> Point:
    expected = bound = None
    not_on_track = False
    if curve is not None and first is not None and score.session is not None \
            and score.session > 0:
        try:
            check = check_on_track(curve, intake=first, session=score.session,
                                   score=score.value)
        except ValueError:  # intake outside every band
            check = None
        if check is not None:
            expected, bound, not_on_track = check.expected, check.bound, check.not_on_track
    return Point(when=score.when, value=score.value, session=score.session,
                 band=band_of(bands, score.value), change=score.value - (first or 0.0),
                 expected=expected, bound=bound, not_on_track=not_on_track)


# --- Words -----------------------------------------------------------------------------------

CATEGORY_WORDS = {
    Category.RECOVERED: "recovered (reliable improvement, crossed the cut-off)",
    Category.IMPROVED: "reliably improved",
    Category.UNCHANGED: "no reliable change",
    Category.DETERIORATED: "reliably deteriorated",
    Category.HARMED: "deteriorated into the clinical range",
}


def day(moment: dt.datetime | dt.date) -> str:
    return f"{moment.day} {moment:%b %Y}"


def number(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"


def clinician_summary(trajectory: Trajectory) -> str:
    """What the chart shows, in words (the SVG's <desc>)."""
    t = trajectory
    better = "lower" if t.lower_is_better else "higher"
    if not t.points or t.first is None or t.latest is None:
        return f"No {t.short_name} scores yet."
    first, latest = t.first, t.latest
    parts = [(f"{t.short_name}: {len(t.points)} score{'s' if len(t.points) != 1 else ''} "
             f"from {day(first.when)} to {day(latest.when)}; {better} is better.")]
    parts.append(f"First {number(first.value)}" + (f" ({first.band})" if first.band else "")
                 + f", latest {number(latest.value)}"
                 + (f" ({latest.band})" if latest.band else "") + ".")
    if len(t.points) > 1:
        change = latest.value - first.value
        parts.append(f"Change {'+' if change > 0 else ''}{number(change)}"
                     + (f": {CATEGORY_WORDS[t.category]}" if t.category else "") + ".")
    if t.reliable_change is not None:
        parts.append(f"A change of {number(t.reliable_change)} points or more is reliable.")
    if t.cutoff is not None:
        parts.append(f"Clinical cut-off {number(t.cutoff)}.")
    if t.checks_track:
        flagged = t.not_on_track_count
        parts.append(f"{flagged} score{'s' if flagged != 1 else ''} worse than expected for "
                     f"the session (not on track); the latest is "
                     f"{'not on track' if latest.not_on_track else 'on track'}.")
    return " ".join(parts)


def client_summary(trajectory: Trajectory) -> str:
    """Plain words for the client: no statistics, no jargon."""
    t = trajectory
    better = "lower is better" if t.lower_is_better else "higher is better"
    if not t.points or t.first is None or t.latest is None:
        return "There are no scores yet."
    first, latest = t.first, t.latest
    band = f" That is in the range called \u201c{latest.band}\u201d." if latest.band else ""
    if len(t.points) == 1:
        return f"You have one score so far: {number(first.value)} ({better}).{band}"
    if latest.value == first.value:
        return (f"Your score is the same as when you started: {number(latest.value)} "
                f"\u2014 {better}.{band}")
    way = "down" if latest.value < first.value else "up"
    return (f"Your scores have gone {way} from {number(first.value)} to "
            f"{number(latest.value)} \u2014 {better}.{band}")
