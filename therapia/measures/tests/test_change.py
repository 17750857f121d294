"""Reliable and clinically significant change against the published worked examples of
../shared/specs/measures.md §4 (T1, T2, T5) and properties that must hold for any scores."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from therapia.measures.change import (
    INSTRUMENT_CHANGE,
    JT_CRITICAL_VALUE,
    Category,
    Criterion,
    Direction,
    Population,
    classify_change,
    cutoff,
    cutoff_a,
    cutoff_b,
    cutoff_c,
    difference_error_from_sem,
    reliable_change,
    reliable_change_by_points,
    reliable_change_index,
    reliable_change_points,
    standard_error_of_difference,
    standard_error_of_measurement,
)

LOWER, HIGHER = Direction.LOWER, Direction.HIGHER


# T1: clinicalsignificance tests test-rci-utils.R / test-calc_rci.R [measures.md §4; S1].
def test_t1_standard_errors():
    assert standard_error_of_measurement(5, 0.80) == pytest.approx(2.2360680, abs=1e-7)
    assert standard_error_of_difference(5, 0.80) == pytest.approx(3.1622777, abs=1e-7)


@pytest.mark.parametrize(
    ("change", "rci"),
    [(-8, -2.5298221), (-4, -1.2649111), (0, 0.0), (4, 1.2649111), (8, 2.5298221)],
)
def test_t1_rci(change, rci):
    assert reliable_change_index(20, 20 + change, sd=5, reliability=0.80) == pytest.approx(
        rci, abs=1e-7
    )


@pytest.mark.parametrize(
    ("rci", "category"),
    [
        (-2, Category.IMPROVED),
        (-0.5, Category.UNCHANGED),
        (0, Category.UNCHANGED),
        (0.5, Category.UNCHANGED),
        (2, Category.DETERIORATED),
    ],
)
def test_t1_reliable_change_lower_is_better(rci, category):
    assert reliable_change(rci, LOWER) is category


def test_reliable_change_is_strictly_beyond_196():
    # measures.md §0.4: strict, as clinicalsignificance; the boundary itself is not reliable.
    assert reliable_change(-JT_CRITICAL_VALUE, LOWER) is Category.UNCHANGED
    assert reliable_change(JT_CRITICAL_VALUE, LOWER) is Category.UNCHANGED
    assert reliable_change(-1.9600001, LOWER) is Category.IMPROVED
    assert reliable_change(1.9600001, HIGHER) is Category.IMPROVED


# T2: Jacobson et al. (1991) example in clinicalsignificance test-calc_cutoff.R [measures.md §4].
CLINICAL_T2 = Population(40, 7.5)  # lower is dysfunctional when higher is better
FUNCTIONAL_T2 = Population(60, 7.5)


@pytest.mark.parametrize(
    ("criterion", "direction", "expected"),
    [
        (Criterion.A, HIGHER, 55),
        (Criterion.B, HIGHER, 45),
        (Criterion.C, HIGHER, 50),
        (Criterion.C, LOWER, 50),
    ],
)
def test_t2_cutoffs_higher_is_better(criterion, direction, expected):
    value = cutoff(criterion, direction=direction, clinical=CLINICAL_T2, functional=FUNCTIONAL_T2)
    assert value == pytest.approx(expected)


def test_t2_cutoffs_lower_is_better():
    # The same example mirrored for a lower-is-better scale: a = 25, b = 75 [measures.md §4 T2].
    assert cutoff_a(Population(40, 7.5), LOWER) == pytest.approx(25)
    assert cutoff_b(Population(60, 7.5), LOWER) == pytest.approx(75)


def test_cutoff_b_uses_the_functional_sd():
    # J&T define b with s0; clinicalsignificance uses s1 (measures.md §2.2). 10 - 2*3, not 10 - 2*8.
    assert cutoff_b(Population(10, 3), HIGHER) == pytest.approx(4)


def test_cutoff_c_weights_by_the_other_populations_sd():
    # c = (s0*M1 + s1*M0) / (s0 + s1) with M1 = 30, s1 = 10, M0 = 10, s0 = 5: (150 + 100) / 15.
    assert cutoff_c(Population(30, 10), Population(10, 5)) == pytest.approx(250 / 15)


@pytest.mark.parametrize("criterion", [Criterion.B, Criterion.C])
def test_cutoff_without_the_functional_population_names_it(criterion):
    with pytest.raises(ValueError, match="functional population"):
        cutoff(criterion, direction=LOWER, clinical=Population(30, 5))


def test_cutoff_a_without_the_clinical_population_names_it():
    with pytest.raises(ValueError, match="clinical population"):
        cutoff(Criterion.A, direction=LOWER, functional=Population(8, 8))


# T5: Piers-Harris-2 textbook example [measures.md §4; S38]: SEM 3.07, pre 24, post 35.
def test_t5_textbook_example():
    s_diff = difference_error_from_sem(3.07)
    assert s_diff == pytest.approx(4.3416, abs=5e-5)
    assert 1.96 * s_diff == pytest.approx(8.5096, abs=5e-5)
    assert (35 - 24) / s_diff == pytest.approx(2.5336, abs=5e-5)
    assert reliable_change((35 - 24) / s_diff, HIGHER) is Category.IMPROVED


def test_reliable_change_points_is_196_s_diff():
    assert reliable_change_points(5, 0.8) == pytest.approx(1.96 * 3.1622777, abs=1e-6)


@pytest.mark.parametrize("reliability", [0, 1, -0.8, 1.1])
def test_reliability_outside_0_1_is_refused(reliability):
    with pytest.raises(ValueError, match="reliability"):
        standard_error_of_measurement(5, reliability)


def test_sd_must_be_positive():
    with pytest.raises(ValueError, match="standard deviation"):
        reliable_change_index(10, 5, sd=0, reliability=0.8)


# The five categories of measures.md §2.2 (clinicalsignificance calc_recovered.R, S1).
# SD 5, r 0.8: S_diff 3.162, reliable change beyond 6.198 points; cut-off 15, lower is better.
@pytest.mark.parametrize(
    ("pre", "post", "category"),
    [
        (25, 10, Category.RECOVERED),  # reliable, clinical before, functional after
        (30, 20, Category.IMPROVED),  # reliable, still clinical
        (20, 16, Category.UNCHANGED),
        (20, 30, Category.DETERIORATED),  # was clinical, reliably worse
        (10, 20, Category.HARMED),  # functional before, clinical after, reliably worse
        (15, 5, Category.IMPROVED),  # on the cut-off before: not clinical, so not recovered
        (25, 15, Category.IMPROVED),  # on the cut-off after: not functional
    ],
)
def test_categories_with_cutoff(pre, post, category):
    result = classify_change(pre, post, sd=5, reliability=0.8, direction=LOWER, cutoff_value=15)
    assert result.category is category


def test_without_cutoff_only_three_categories():
    result = classify_change(25, 10, sd=5, reliability=0.8, direction=LOWER)
    assert result.category is Category.IMPROVED
    assert result.clinical_pre is None


@pytest.mark.parametrize(
    ("pre", "post", "threshold", "category"),
    [
        (16, 10, 6, Category.IMPROVED),  # T9: PHQ-9 16 -> 10, change 6
        (16, 11, 6, Category.UNCHANGED),  # T9: change 5
        (10, 16, 6, Category.DETERIORATED),  # T9: +6
        (12, 8, 4, Category.IMPROVED),  # T9: GAD-7 12 -> 8
    ],
)
def test_t9_raw_point_thresholds_are_inclusive(pre, post, threshold, category):
    assert reliable_change_by_points(pre, post, threshold=threshold, direction=LOWER) is category


def test_instrument_parameters_leave_out_unverified_values():
    # measures.md §2.3 marks CORE-OM's RC, OQ-45's cut-off and ORS's RC [U].
    assert INSTRUMENT_CHANGE["core_om"].reliable_change_points is None
    assert INSTRUMENT_CHANGE["oq45"].clinical_cutoff is None
    assert INSTRUMENT_CHANGE["ors"].reliable_change_points is None
    assert INSTRUMENT_CHANGE["phq9"].reliable_change_points == 6
    assert INSTRUMENT_CHANGE["gad7"].clinical_cutoff == 8
    assert all(parameters.source for parameters in INSTRUMENT_CHANGE.values())


# --- Properties --------------------------------------------------------------------------------

scores = st.floats(min_value=-100, max_value=100, allow_nan=False)
sds = st.floats(min_value=0.1, max_value=50)
reliabilities = st.floats(min_value=0.01, max_value=0.99)


@given(pre=scores, post=scores, sd=sds, reliability=reliabilities, cut=scores)
def test_direction_symmetry(pre, post, sd, reliability, cut):
    """Lower-is-better scores are higher-is-better scores with the sign flipped."""
    lower = classify_change(pre, post, sd=sd, reliability=reliability, direction=LOWER,
                            cutoff_value=cut)
    higher = classify_change(-pre, -post, sd=sd, reliability=reliability, direction=HIGHER,
                             cutoff_value=-cut)
    assert lower.category is higher.category
    assert lower.rci == pytest.approx(-higher.rci)


@given(pre=scores, post=scores, sd=sds, reliability=reliabilities)
def test_swapping_pre_and_post_swaps_improvement_and_deterioration(pre, post, sd, reliability):
    swap = {Category.IMPROVED: Category.DETERIORATED, Category.DETERIORATED: Category.IMPROVED,
            Category.UNCHANGED: Category.UNCHANGED}
    forward = classify_change(pre, post, sd=sd, reliability=reliability, direction=LOWER)
    backward = classify_change(post, pre, sd=sd, reliability=reliability, direction=LOWER)
    assert backward.category is swap[forward.category]


@given(pre=scores, post=scores, sd=sds, reliability=reliabilities,
       scale=st.floats(min_value=0.01, max_value=100))
def test_rci_does_not_depend_on_the_unit(pre, post, sd, reliability, scale):
    plain = reliable_change_index(pre, post, sd=sd, reliability=reliability)
    scaled = reliable_change_index(pre * scale, post * scale, sd=sd * scale,
                                   reliability=reliability)
    assert math.isclose(plain, scaled, rel_tol=1e-9, abs_tol=1e-9)


@given(pre=scores, post=scores, sd=sds, reliability=reliabilities, cut=scores)
def test_recovered_and_harmed_refine_reliable_change(pre, post, sd, reliability, cut):
    plain = classify_change(pre, post, sd=sd, reliability=reliability, direction=LOWER)
    full = classify_change(pre, post, sd=sd, reliability=reliability, direction=LOWER,
                           cutoff_value=cut)
    refinement = {Category.RECOVERED: Category.IMPROVED, Category.HARMED: Category.DETERIORATED}
    assert refinement.get(full.category, full.category) is plain.category
    if full.category is Category.RECOVERED:
        assert pre > cut > post
