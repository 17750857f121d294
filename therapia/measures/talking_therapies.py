"""NHS Talking Therapies (formerly IAPT) outcome rules for one episode, and the national rates.

Definitions from NHS Digital's statistical publications, as collected in
../shared/specs/measures.md §2.4 (source ids S10, S10b, S11, S11b, S39, S40 there):

- Finished a course of treatment: ended having had at least two attended treatment appointments
  [V: S11b]; follow-up appointments do not count [S: S40] (the caller counts only treatment ones).
- Paired scores: the first and the last score of the episode [V: S10].
- Caseness: PHQ-9 >= 10 or GAD-7 >= 8 -- above the cut-off on either measure or both [V: S11b, S11].
- Recovery: at caseness at the start and not at caseness at the end [V: S10].
- Reliable improvement / deterioration: PHQ-9 change >= 6, GAD-7 change >= 4 (inclusive)
  [V: S11, S11c]. Paired rule: a reliable change on at least one measure and no reliable change
  the other way on the other (CORC wording [V: S39]; measures.md marks the adult NHS TT use of the
  same pair logic [U] -- verify against the NHS Talking Therapies Manual). We apply it both ways,
  so an episode that improved reliably on one measure and deteriorated on the other is in neither
  group, nor in "no reliable change" (neither measure changed reliably). The national counts allow
  this: improvement + deterioration + no reliable change fall about 1% short of finished courses
  in every year of england_key_measures_by_year.csv.
- Reliable recovery: both recovery and reliable improvement [V: S10].
- Rates: recovery and reliable recovery over (finished - not at caseness); reliable improvement,
  deterioration and no reliable change over all finished [V: S10, S10b].

Only PHQ-9 with GAD-7 is handled: the pairing of PHQ-9 with an anxiety-disorder-specific measure
by problem descriptor (Clark et al. 2018) needs ADSM thresholds measures.md marks [U].
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from therapia.measures.change import Category, Direction, reliable_change_by_points

PHQ9_CASENESS = 10  # ">9" [V: S11]
GAD7_CASENESS = 8  # ">7" [V: S11]
PHQ9_RELIABLE_CHANGE = 6  # [V: S11, S11c]
GAD7_RELIABLE_CHANGE = 4  # [V: S11, S11c]
MIN_TREATMENT_SESSIONS = 2  # "at least two attended treatment appointments" [V: S11b]


@dataclass(frozen=True)
class EpisodeScores:
    """An episode's first and last PHQ-9 and GAD-7 totals and its attended treatment sessions."""

    first_phq9: int
    last_phq9: int
    first_gad7: int
    last_gad7: int
    attended_treatment_sessions: int


@dataclass(frozen=True)
class EpisodeOutcome:
    """The outcome flags of one finished course of treatment."""

    at_caseness: bool  # at the start
    recovered: bool
    reliable_improvement: bool
    reliable_deterioration: bool
    reliable_recovery: bool
    no_reliable_change: bool  # neither measure changed reliably


def at_caseness(phq9: int, gad7: int) -> bool:
    """A clinical case on either measure or both [V: S11b]."""
    return phq9 >= PHQ9_CASENESS or gad7 >= GAD7_CASENESS


def finished_treatment(scores: EpisodeScores) -> bool:
    return scores.attended_treatment_sessions >= MIN_TREATMENT_SESSIONS


def _measure_changes(scores: EpisodeScores) -> tuple[Category, Category]:
    lower = Direction.LOWER
    phq9 = reliable_change_by_points(
        scores.first_phq9, scores.last_phq9, threshold=PHQ9_RELIABLE_CHANGE, direction=lower
    )
    gad7 = reliable_change_by_points(
        scores.first_gad7, scores.last_gad7, threshold=GAD7_RELIABLE_CHANGE, direction=lower
    )
    return phq9, gad7


def classify_episode(scores: EpisodeScores) -> EpisodeOutcome | None:
    """The episode's outcome, or None when it is not a finished course of treatment (fewer than
    two attended treatment sessions), which the national measures leave out."""
    if not finished_treatment(scores):
        return None
    changes = _measure_changes(scores)
    improved = Category.IMPROVED in changes
    deteriorated = Category.DETERIORATED in changes
    reliable_improvement = improved and not deteriorated
    start = at_caseness(scores.first_phq9, scores.first_gad7)
    recovered = start and not at_caseness(scores.last_phq9, scores.last_gad7)
    return EpisodeOutcome(
        at_caseness=start,
        recovered=recovered,
        reliable_improvement=reliable_improvement,
        reliable_deterioration=deteriorated and not improved,
        reliable_recovery=recovered and reliable_improvement,
        no_reliable_change=changes == (Category.UNCHANGED, Category.UNCHANGED),
    )


# --- Counts and rates, as NHS Digital publishes them ---------------------------------------


@dataclass(frozen=True)
class OutcomeCounts:
    finished_course_treatment: int
    not_at_caseness: int
    recovery: int
    reliable_improvement: int
    reliable_deterioration: int
    no_reliable_change: int
    reliable_recovery: int


@dataclass(frozen=True)
class OutcomeRates:
    """Percentages; None when the denominator is zero."""

    recovery: float | None
    reliable_recovery: float | None
    reliable_improvement: float | None
    reliable_deterioration: float | None
    no_reliable_change: float | None


def count_outcomes(outcomes: Iterable[EpisodeOutcome | None]) -> OutcomeCounts:
    """Counts over finished courses of treatment; None (not finished) is left out."""
    finished = [outcome for outcome in outcomes if outcome is not None]
    return OutcomeCounts(
        finished_course_treatment=len(finished),
        not_at_caseness=sum(not o.at_caseness for o in finished),
        recovery=sum(o.recovered for o in finished),
        reliable_improvement=sum(o.reliable_improvement for o in finished),
        reliable_deterioration=sum(o.reliable_deterioration for o in finished),
        no_reliable_change=sum(o.no_reliable_change for o in finished),
        reliable_recovery=sum(o.reliable_recovery for o in finished),
    )


def _percent(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator * 100


def outcome_rates(counts: OutcomeCounts) -> OutcomeRates:
    """Recovery rate = recovery / (finished - not at caseness) * 100 [V: S10b]; reliable
    improvement rate = reliable improvement / finished * 100, caseness or not [V: S10]."""
    at_caseness_finished = counts.finished_course_treatment - counts.not_at_caseness
    finished = counts.finished_course_treatment
    return OutcomeRates(
        recovery=_percent(counts.recovery, at_caseness_finished),
        reliable_recovery=_percent(counts.reliable_recovery, at_caseness_finished),
        reliable_improvement=_percent(counts.reliable_improvement, finished),
        reliable_deterioration=_percent(counts.reliable_deterioration, finished),
        no_reliable_change=_percent(counts.no_reliable_change, finished),
    )
