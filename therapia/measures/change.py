"""Reliable and clinically significant change for one client's pre and post scores.

Pure functions; every formula cites its source (ids as in ../shared/specs/measures.md §9):

- Jacobson & Truax (1991) reliable change index, with the sqrt(2) of Christensen & Mendoza (1986)
  [measures.md §2.1; S37, S38].
- Jacobson & Truax cut-offs a, b, c between the clinical and the functional population
  [measures.md §2.2; S1 calc_cutoff.R, S3 JT-RCI.R].
- The five categories recovered / improved / unchanged / deteriorated / harmed as the R package
  clinicalsignificance defines them (``calc_recovered.R``) [measures.md §2.2; S1].

Conventions (measures.md §0.4, §2.2): reliable means |RCI| > 1.96, strictly; "clinical before" and
"functional after" are strict comparisons with the cut-off, so a score exactly on the cut-off is
neither. Cut-off b uses the functional SD as Jacobson & Truax define it, not the clinical SD that
clinicalsignificance uses (measures.md §2.2 "known implementation discrepancies").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

# Two-tailed p < .05 (Jacobson & Truax 1991) [measures.md §2.1].
JT_CRITICAL_VALUE = 1.96


class Direction(StrEnum):
    """Which way a score gets better."""

    LOWER = "lower"
    HIGHER = "higher"

    @property
    def sign(self) -> int:
        """+1 if higher is better, -1 if lower is (clinicalsignificance's `direction`)."""
        return 1 if self is Direction.HIGHER else -1


class Category(StrEnum):
    RECOVERED = "recovered"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    DETERIORATED = "deteriorated"
    HARMED = "harmed"


class Criterion(StrEnum):
    """Jacobson & Truax (1991) cut-off criteria [measures.md §2.2]."""

    A = "a"  # two SDs beyond the clinical mean, toward health
    B = "b"  # within two SDs of the functional mean
    C = "c"  # the point equally likely to belong to either population


@dataclass(frozen=True)
class Population:
    """Mean and standard deviation of a reference population on the instrument."""

    mean: float
    sd: float


# --- Reliable change (Jacobson & Truax 1991) ------------------------------------------------


def _check_reliability(reliability: float) -> None:
    if not 0 < reliability < 1:
        raise ValueError(f"reliability must be between 0 and 1 (exclusive), not {reliability}")


def _check_sd(sd: float) -> None:
    if not sd > 0:
        raise ValueError(f"standard deviation must be positive, not {sd}")


def standard_error_of_measurement(sd: float, reliability: float) -> float:
    """SEm = SD_pre * sqrt(1 - r_xx) [measures.md §2.1]."""
    _check_sd(sd)
    _check_reliability(reliability)
    return sd * math.sqrt(1 - reliability)


def difference_error_from_sem(sem: float) -> float:
    """S_diff = sqrt(2 * SEm^2) [measures.md §2.1; Christensen & Mendoza 1986 via S37]."""
    return math.sqrt(2 * sem**2)


def standard_error_of_difference(sd: float, reliability: float) -> float:
    """S_diff from the SD and reliability: sqrt(2) * SD * sqrt(1 - r_xx) [measures.md §2.1]."""
    return difference_error_from_sem(standard_error_of_measurement(sd, reliability))


def reliable_change_index(pre: float, post: float, *, sd: float, reliability: float) -> float:
    """RCI = (post - pre) / S_diff [measures.md §2.1]."""
    return (post - pre) / standard_error_of_difference(sd, reliability)


def reliable_change_points(
    sd: float, reliability: float, critical_value: float = JT_CRITICAL_VALUE
) -> float:
    """The smallest raw change that is reliable: RC = 1.96 * S_diff [measures.md §2.1; S38]."""
    return critical_value * standard_error_of_difference(sd, reliability)


def reliable_change(
    rci: float, direction: Direction, critical_value: float = JT_CRITICAL_VALUE
) -> Category:
    """Improved, deteriorated or unchanged by the RCI alone, strictly beyond the critical value.

    clinicalsignificance `.calc_improvement`: improved if direction * rci > critical value
    [measures.md §2.1; S1].
    """
    signed = direction.sign * rci
    if signed > critical_value:
        return Category.IMPROVED
    if signed < -critical_value:
        return Category.DETERIORATED
    return Category.UNCHANGED


def reliable_change_by_points(
    pre: float, post: float, *, threshold: float, direction: Direction
) -> Category:
    """Reliable change by an instrument's raw-point threshold, inclusive (NHS Talking Therapies:
    PHQ-9 change >= 6, GAD-7 change >= 4) [measures.md §0.4, §2.4; S10, S11]."""
    gain = direction.sign * (post - pre)
    if gain >= threshold:
        return Category.IMPROVED
    if gain <= -threshold:
        return Category.DETERIORATED
    return Category.UNCHANGED


# --- Clinical significance cut-offs (Jacobson & Truax 1991) --------------------------------


def cutoff_a(clinical: Population, direction: Direction) -> float:
    """a = M1 -/+ 2*s1: two clinical SDs toward health [measures.md §2.2]."""
    _check_sd(clinical.sd)
    return clinical.mean + direction.sign * 2 * clinical.sd


def cutoff_b(functional: Population, direction: Direction) -> float:
    """b = M0 +/- 2*s0: two functional SDs toward illness, with s0 as J&T define it
    [measures.md §2.2; clinicalsignificance uses s1 here, which we do not follow]."""
    _check_sd(functional.sd)
    return functional.mean - direction.sign * 2 * functional.sd


def cutoff_c(clinical: Population, functional: Population) -> float:
    """c = (s0*M1 + s1*M0) / (s0 + s1) [measures.md §2.2]; the same for either direction."""
    _check_sd(clinical.sd)
    _check_sd(functional.sd)
    return (functional.sd * clinical.mean + clinical.sd * functional.mean) / (
        functional.sd + clinical.sd
    )


def cutoff(
    criterion: Criterion,
    *,
    direction: Direction,
    clinical: Population | None = None,
    functional: Population | None = None,
) -> float:
    """The cut-off for a criterion; raises ValueError naming the population it lacks."""
    needs_clinical = criterion in (Criterion.A, Criterion.C)
    needs_functional = criterion in (Criterion.B, Criterion.C)
    if needs_clinical and clinical is None:
        raise ValueError(f"criterion {criterion} needs the clinical population's mean and SD")
    if needs_functional and functional is None:
        raise ValueError(f"criterion {criterion} needs the functional population's mean and SD")
    if clinical is not None and functional is not None and criterion is Criterion.C:
        return cutoff_c(clinical, functional)
    if clinical is not None and criterion is Criterion.A:
        return cutoff_a(clinical, direction)
    if functional is None:  # unreachable after the checks above; keeps the types honest
        raise ValueError(f"criterion {criterion} needs the functional population's mean and SD")
    return cutoff_b(functional, direction)


def is_clinical(score: float, cutoff_value: float, direction: Direction) -> bool:
    """On the dysfunctional side of the cut-off, strictly (clinicalsignificance
    `direction * pre < direction * cutoff`) [measures.md §2.2; S1]."""
    return direction.sign * score < direction.sign * cutoff_value


def is_functional(score: float, cutoff_value: float, direction: Direction) -> bool:
    """On the functional side of the cut-off, strictly [measures.md §2.2; S1]."""
    return direction.sign * score > direction.sign * cutoff_value


# --- One client's change ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeResult:
    change: float
    rci: float
    category: Category
    clinical_pre: bool | None  # None when no cut-off was given
    functional_post: bool | None


def combine(reliable: Category, *, clinical_pre: bool, functional_post: bool) -> Category:
    """The five categories of measures.md §2.2 (clinicalsignificance `calc_recovered.R`, S1):

    recovered = reliably improved AND clinical before AND functional after;
    harmed = reliably deteriorated AND NOT clinical before AND NOT functional after;
    otherwise the reliable-change category (improved, unchanged, deteriorated).
    """
    if reliable is Category.IMPROVED and clinical_pre and functional_post:
        return Category.RECOVERED
    if reliable is Category.DETERIORATED and not clinical_pre and not functional_post:
        return Category.HARMED
    return reliable


def classify_change(
    pre: float,
    post: float,
    *,
    sd: float,
    reliability: float,
    direction: Direction,
    cutoff_value: float | None = None,
    critical_value: float = JT_CRITICAL_VALUE,
) -> ChangeResult:
    """Jacobson & Truax classification of one pre/post pair; without a cut-off, only improved,
    unchanged or deteriorated."""
    rci = reliable_change_index(pre, post, sd=sd, reliability=reliability)
    reliable = reliable_change(rci, direction, critical_value)
    if cutoff_value is None:
        return ChangeResult(post - pre, rci, reliable, None, None)
    clinical_pre = is_clinical(pre, cutoff_value, direction)
    functional_post = is_functional(post, cutoff_value, direction)
    category = combine(reliable, clinical_pre=clinical_pre, functional_post=functional_post)
    return ChangeResult(post - pre, rci, category, clinical_pre, functional_post)


# --- Per-instrument parameters (measures.md §2.3) --------------------------------------------


@dataclass(frozen=True)
class InstrumentChange:
    """What measures.md §2.3 gives for an instrument's change statistics, with its source.

    Values marked [U] (unverified) there are left out (None): CORE-OM's reliable change (~5),
    OQ-45's clinical cut-off (63/64) and ORS's reliable change (5). measures.md §2.3 gives no
    population means or SDs, so the RCI needs the service's own SD (or the sample's).
    """

    direction: Direction
    reliable_change_points: float | None  # raw points, inclusive
    clinical_cutoff: float | None  # a score at or beyond this is in the clinical range
    reliability: float | None
    source: str


INSTRUMENT_CHANGE: dict[str, InstrumentChange] = {
    "phq9": InstrumentChange(
        Direction.LOWER, 6, 10, 0.89,
        "RC 6 and caseness >= 10: NHS Talking Therapies [V: S10, S11]; "
        "Cronbach's alpha 0.89: Kroenke, Spitzer & Williams 2001 [V: S21]",
    ),
    "gad7": InstrumentChange(
        Direction.LOWER, 4, 8, None,
        "RC 4 and caseness >= 8: NHS Talking Therapies [V: S10, S11]",
    ),
    "core10": InstrumentChange(
        Direction.LOWER, 6, 11, None,
        "RC 6 and cut-off 11 (clinical score): secondary sources only [S: S15c, S15]",
    ),
    "core_om": InstrumentChange(
        Direction.LOWER, None, 10, None,
        "cut-off 10 (9.9): Connell et al. 2007 BJP 190:69 [V: S17]; RC ~5 is [U], left out",
    ),
    "oq45": InstrumentChange(
        Direction.LOWER, 14, None, None,
        "RC 14: OQ-45 scoring sheet [V: S36b]; cut-off 63/64 is [U], left out",
    ),
    "ors": InstrumentChange(
        Direction.HIGHER, None, 25, None,
        "adult cut-off 25: vendor knowledge base [S: S27]; RC 5 is [U], left out",
    ),
    "wsas": InstrumentChange(
        Direction.LOWER, None, None, 0.73,
        "test-retest r 0.73: Mundt et al. 2002 [V: S18]",
    ),
}
