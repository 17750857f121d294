"""Scoring: published worked examples, reverse keys, missing items, risk items, errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from therapia.measures import scoring
from therapia.measures.library import UnknownInstrument

# US Core PHQ-9 example (LHC-Forms): answers 2,2,2,2,1,1,2,0,0 reported as total 12 in the
# QuestionnaireResponse and in Observation 44261-6 (fhir-and-data.md §1.5).
US_CORE_PHQ9 = [2, 2, 2, 2, 1, 1, 2, 0, 0]
# HL7 SDC example QuestionnaireResponse: Q1-Q9 answered Not at all x3, Several days, More than
# half the days, Several days, Nearly every day, More than half the days, Several days.
# The response itself claims 13; the answers sum to 10.
HL7_SDC_PHQ9 = [0, 0, 0, 1, 2, 1, 3, 2, 1]


def test_phq9_us_core_example_totals_12() -> None:
    result = scoring.score("PHQ-9", US_CORE_PHQ9)
    assert (result.total, result.band, result.prorated) == (12, "Moderate", False)
    assert result.risk_flags == ()
    assert result.cutoffs_met == ("screening",)


def test_phq9_hl7_sdc_example_totals_10_and_flags_item_9() -> None:
    result = scoring.score("phq9", HL7_SDC_PHQ9)
    assert (result.total, result.band) == (10, "Moderate")
    assert [(f.id, f.item, f.value) for f in result.risk_flags] == [("phq9_item9", 9, 1)]


@pytest.mark.parametrize(("item9", "flagged"), [(0, False), (1, True), (2, True), (3, True)])
def test_phq9_item_9_is_a_risk_at_one_or_more(item9: int, flagged: bool) -> None:
    """'positive' for item 9 is 1, 2 or 3 [measures.md §1.1, S23]; the total does not matter."""
    result = scoring.score("phq9", [0] * 8 + [item9])
    assert bool(result.risk_flags) is flagged
    assert result.total == item9


def test_phq9_with_a_missing_item_has_no_total() -> None:
    result = scoring.score("phq9", [1, 1, None, 1, 1, 1, 1, 1, 1])
    assert (result.total, result.band, result.prorated) == (None, None, False)
    assert result.missing_items == (3,)  # item 10 (difficulty) is optional, not missing
    assert result.not_scored_reason == ("1 of the items in the PHQ-9 total are missing; "
                                        "none may be")


def test_a_blank_risk_item_is_reported_not_silently_unflagged() -> None:
    result = scoring.score("phq9", [0] * 8 + [None])
    assert result.risk_flags == () and result.risk_items_unanswered == (9,)


def test_phqa_suicide_items_are_risks_and_optional() -> None:
    """Items 9, 12 (past-month serious thoughts) and 13 (lifetime attempt) [S23]."""
    result = scoring.score("PHQ-A", [0] * 9 + [0, 0, 1, 1])
    assert [f.item for f in result.risk_flags] == [12, 13]
    assert result.total == 0
    only_core = scoring.score("PHQ-A", [0] * 9)
    assert only_core.risk_items_unanswered == (12, 13)


# T7 (measures.md §4, CORE System Trust [S14]): complete sum 18 -> clinical score 18;
# 9 items answered summing to 18 -> 10 * 18 / 9 = 20.0; 2 items missing -> not scorable.
def test_core10_t7_complete() -> None:
    answers = [2, 2, 2, 2, 2, 2, 2, 2, 2, 0]  # items 2 and 3 are reverse-keyed: 2 stays 2
    assert scoring.score("CORE-10", answers).total == 18


def test_core10_t7_one_missing_is_prorated() -> None:
    result = scoring.score("CORE-10", [2, 2, 2, 2, 2, 2, 2, 2, None, 2])
    assert (result.total, result.prorated, result.band) == (20.0, True, "Moderate to severe")


def test_core10_t7_two_missing_is_not_scorable() -> None:
    result = scoring.score("CORE-10", [2, 2, 2, 2, 2, 2, 2, None, None, 2])
    assert result.total is None and result.prorated is False


def test_core10_items_2_and_3_are_reverse_keyed() -> None:
    """'0 most or all of the time - 4 not at all' for the positive items (CamCOPS) [S6]:
    answering 'Not at all' (0) to 'someone to turn to' and 'able to cope' scores 4 each."""
    assert scoring.score("CORE-10", [0] * 10).total == 8
    assert scoring.score("CORE-10", [0, 4, 4, 0, 0, 0, 0, 0, 0, 0]).total == 0


def test_core10_item_6_is_the_risk_item() -> None:
    answers = [0, 4, 4, 0, 0, 1, 0, 0, 0, 0]
    assert [f.item for f in scoring.score("CORE-10", answers).risk_flags] == [6]


# T8 (measures.md §4, SDQ score sheet [S32]): a scale with 3 of 5 items answered summing to
# 3 -> 3 * 5 / 3 = 5; with 2 answered -> missing, and then the total difficulties too.
SDQ_EMOTIONAL = (3, 8, 13, 16, 24)


def sdq(emotional: dict[int, int | None]) -> list[int | None]:
    # All other answers chosen to score 0: reverse-keyed items answered 'Certainly true' (2).
    answers: list[int | None] = [2 if n in (7, 11, 14, 21, 25) else 0 for n in range(1, 26)]
    for number, value in emotional.items():
        answers[number - 1] = value
    return answers


def test_sdq_t8_three_of_five_answered_is_prorated() -> None:
    result = scoring.score("SDQ", sdq({3: 1, 8: 1, 13: 1, 16: None, 24: None}))
    emotional = result.subscale("emotional")
    assert (emotional.value, emotional.prorated) == (5.0, True)
    assert (result.total, result.prorated) == (5.0, True)


def test_sdq_t8_two_answered_is_missing_and_so_is_the_total() -> None:
    result = scoring.score("SDQ", sdq({3: 1, 8: 2, 13: None, 16: None, 24: None}))
    assert result.subscale("emotional").value is None
    assert result.total is None
    assert result.not_scored_reason is not None and "emotional" in result.not_scored_reason


def test_sdq_reverse_keyed_items_score_2_1_0() -> None:
    """Items 7, 11, 14, 21, 25 scored 2-1-0 [S32]: all 'Not true' gives conduct 2 (item 7),
    hyperactivity 4 (21, 25), peer 4 (11, 14), and a total difficulties of 10."""
    result = scoring.score("SDQ", [0] * 25)
    values = {s.id: s.value for s in result.subscales}
    assert values == {"emotional": 0, "conduct": 2, "hyperactivity": 4, "peer": 4,
                      "prosocial": 0}
    assert result.total == 10


def test_dass21_subscales_are_doubled_and_there_is_no_total() -> None:
    answers = [0] * 21
    for number in (3, 5, 10, 13, 16, 17, 21):  # depression items
        answers[number - 1] = 1
    result = scoring.score("DASS-21", answers)
    assert result.subscale("depression").value == 14
    assert result.subscale("anxiety").value == 0
    assert result.total is None and result.not_scored_reason


def test_dast10_item_3_scores_for_no() -> None:
    """'Assign 1 point for a NO answer to the third question'."""
    assert scoring.score("DAST-10", [0] * 10).total == 1
    assert scoring.score("DAST-10", [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]).total == 0


def test_pcl5_clusters() -> None:
    answers = [1] * 5 + [2] * 2 + [3] * 7 + [4] * 6
    result = scoring.score("PCL-5", answers)
    assert {s.id: s.value for s in result.subscales} == {"B": 5, "C": 4, "D": 21, "E": 24}
    assert result.total == 54 and result.cutoffs_met == ("probable_ptsd",)


class TestAuditSkips:
    """WHO interview version: Q1 'Never' -> skip to Q9; Q2 + Q3 = 0 -> skip to Q9 [S19]."""

    def test_never_drinks_skips_to_question_9(self) -> None:
        result = scoring.score("AUDIT", [0, None, None, None, None, None, None, None, 0, 2])
        assert (result.total, result.missing_items) == (2, ())

    def test_questions_2_and_3_zero_skip_4_to_8(self) -> None:
        result = scoring.score("AUDIT", [1, 0, 0, None, None, None, None, None, 2, 0])
        assert result.total == 3 and result.subscale("audit_c").value == 1

    def test_a_blank_that_was_not_a_skip_is_missing(self) -> None:
        result = scoring.score("AUDIT", [1, 1, 0, None, 0, 0, 0, 0, 0, 0])
        assert result.total is None and result.missing_items == (4,)

    def test_questions_9_and_10_take_0_2_4(self) -> None:
        with pytest.raises(scoring.InvalidAnswer, match="item 9: 1 is not an allowed answer "
                                                        r"\(allowed: 0, 2, 4\)"):
            scoring.score("AUDIT", [1, 1, 1, 0, 0, 0, 0, 0, 1, 0])


def test_auditc_positive_screens_by_sex() -> None:
    """LOINC 75626-2: '>= 4 men, >= 3 women positive' [S20]."""
    assert scoring.score("AUDIT-C", [1, 1, 1]).cutoffs_met == ("positive_women",)
    assert scoring.score("AUDIT-C", [2, 1, 1]).cutoffs_met == ("positive_men", "positive_women")
    assert scoring.score("AUDIT-C", [1, 1, 0]).cutoffs_met == ()


def test_ors_scores_marks_to_one_decimal() -> None:
    result = scoring.score("ORS", [7.3, 8.1, 6.2, 9.0])
    assert (result.total, result.band) == (30.6, "Non-clinical range")


class TestInvalidInput:
    def test_out_of_range_names_the_item(self) -> None:
        with pytest.raises(scoring.InvalidAnswer) as caught:
            scoring.score("GAD-7", [0, 1, 2, 3, 4, 0, 0])
        assert caught.value.item == 5
        assert str(caught.value) == ("GAD-7 item 5: 4 is not an allowed answer "
                                     "(allowed: 0, 1, 2, 3)")

    def test_a_fraction_on_an_option_scale(self) -> None:
        with pytest.raises(scoring.InvalidAnswer, match=r"PHQ-9 item 2: 1\.5"):
            scoring.score("PHQ-9", [1, 1.5, 0, 0, 0, 0, 0, 0, 0])

    def test_a_vas_mark_beyond_the_line_or_too_precise(self) -> None:
        with pytest.raises(scoring.InvalidAnswer, match=r"SRS item 4: 10\.1 .*0 to 10 in steps"):
            scoring.score("SRS", [5, 5, 5, 10.1])
        with pytest.raises(scoring.InvalidAnswer, match=r"ORS item 1: 7\.25"):
            scoring.score("ORS", [7.25, 5, 5, 5])

    def test_k10_starts_at_one(self) -> None:
        with pytest.raises(scoring.InvalidAnswer, match="K10 item 1: 0 "):
            scoring.score("K10", [0] + [1] * 9)

    @pytest.mark.parametrize("count", [0, 8, 11])
    def test_wrong_item_count(self, count: int) -> None:
        with pytest.raises(scoring.WrongItemCount,
                           match=f"PHQ-9 takes 9 to 10 answers .*; got {count}"):
            scoring.score("PHQ-9", [0] * count)

    def test_unknown_instrument(self) -> None:
        with pytest.raises(UnknownInstrument, match="unknown instrument 'BDI-II'"):
            scoring.score("BDI-II", [0] * 21)


def test_the_result_is_frozen() -> None:
    result = scoring.score("PHQ-9", US_CORE_PHQ9)
    with pytest.raises(AttributeError):
        result.total = 0  # type: ignore[misc]


# Property tests: the compiled scorer agrees with the plain definition of the rules.
phq9_answers = st.lists(st.integers(0, 3), min_size=9, max_size=9)


@given(phq9_answers)
def test_phq9_total_is_the_sum_and_item_9_alone_decides_the_flag(answers: list[int]) -> None:
    result = scoring.score("phq9", answers)
    assert result.total == sum(answers)
    assert bool(result.risk_flags) == (answers[8] >= 1)
    expected = next(label for top, label in [(4, "None-minimal"), (9, "Mild"), (14, "Moderate"),
                                             (19, "Moderately severe"), (27, "Severe")]
                    if sum(answers) <= top)
    assert result.band == expected


@given(st.lists(st.integers(0, 4), min_size=10, max_size=10), st.integers(0, 9))
def test_core10_one_missing_item_is_ten_times_the_mean(answers: list[int], gap: int) -> None:
    scored = [4 - a if n in (2, 3) else a for n, a in enumerate(answers, 1)]
    with_gap: list[int | None] = list(answers)
    with_gap[gap] = None
    result = scoring.score("core10", with_gap)
    expected = round(10 * (sum(scored) - scored[gap]) / 9, 2)
    assert (result.total, result.prorated) == (expected, True)


@given(phq9_answers, st.integers(0, 8), st.integers(4, 100))
def test_any_invalid_answer_is_named(answers: list[int], position: int, bad: int) -> None:
    answers = list(answers)
    answers[position] = bad
    with pytest.raises(scoring.InvalidAnswer) as caught:
        scoring.score("phq9", answers)
    assert caught.value.item == position + 1
