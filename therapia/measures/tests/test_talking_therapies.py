"""NHS Talking Therapies rules: the threshold edges of measures.md §4 T9, and the rate definitions
checked against NHS Digital's published national figures (measures.md §2.4 worked numbers, and
reference_data/nhs_talking_therapies/england_key_measures_by_year.csv, OGL v3.0).

The parquet files beside that CSV need pyarrow, which the project does not install; the CSV was
derived from them (MANIFEST.md), so these tests read the CSV only.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from therapia.measures.talking_therapies import (
    EpisodeOutcome,
    EpisodeScores,
    OutcomeCounts,
    at_caseness,
    classify_episode,
    count_outcomes,
    outcome_rates,
)

KEY_MEASURES = (
    Path(__file__).parent / "reference_data" / "nhs_talking_therapies"
    / "england_key_measures_by_year.csv"
)


def episode(phq9: tuple[int, int], gad7: tuple[int, int], sessions: int = 6) -> EpisodeScores:
    return EpisodeScores(first_phq9=phq9[0], last_phq9=phq9[1], first_gad7=gad7[0],
                         last_gad7=gad7[1], attended_treatment_sessions=sessions)


def outcome(phq9: tuple[int, int], gad7: tuple[int, int]) -> EpisodeOutcome:
    result = classify_episode(episode(phq9, gad7))
    assert result is not None
    return result


# --- Caseness and the two-session rule ---------------------------------------------------------


@pytest.mark.parametrize(
    ("phq9", "gad7", "case"),
    [(10, 0, True), (9, 7, False), (0, 8, True), (9, 8, True), (27, 21, True)],
)
def test_caseness_on_either_measure(phq9, gad7, case):
    # PHQ-9 >= 10 or GAD-7 >= 8 [measures.md §2.4; T9: PHQ-9 10 is caseness, 9 is not].
    assert at_caseness(phq9, gad7) is case


@pytest.mark.parametrize("sessions", [0, 1])
def test_fewer_than_two_treatment_sessions_is_not_a_finished_course(sessions):
    assert classify_episode(episode((20, 5), (15, 3), sessions=sessions)) is None


def test_two_treatment_sessions_is_a_finished_course():
    assert classify_episode(episode((20, 5), (15, 3), sessions=2)) is not None


# --- measures.md §4 T9 -------------------------------------------------------------------------


def test_t9_phq9_reduction_of_6_is_reliable_improvement():
    assert outcome((16, 10), (5, 5)).reliable_improvement


def test_t9_phq9_reduction_of_5_is_not():
    result = outcome((16, 11), (5, 5))
    assert not result.reliable_improvement
    assert result.no_reliable_change


def test_t9_phq9_increase_of_6_is_reliable_deterioration():
    result = outcome((10, 16), (5, 5))
    assert result.reliable_deterioration
    assert not result.reliable_improvement


def test_t9_gad7_reduction_of_4_is_reliable_improvement():
    assert outcome((5, 5), (12, 8)).reliable_improvement


def test_t9_recovery_without_reliable_improvement():
    # PHQ-9 14 -> 9 and GAD-7 9 -> 7: both below caseness at the end, so recovered; -5 and -2
    # are not reliable, so not reliable recovery [measures.md §4 T9].
    result = outcome((14, 9), (9, 7))
    assert result.at_caseness
    assert result.recovered
    assert not result.reliable_improvement
    assert not result.reliable_recovery


def test_reliable_recovery_needs_both():
    result = outcome((18, 6), (12, 5))
    assert result.recovered
    assert result.reliable_recovery


def test_not_recovered_while_one_measure_is_still_a_case():
    # PHQ-9 falls below 10 but GAD-7 stays >= 8: still a case at the end.
    result = outcome((18, 6), (12, 8))
    assert not result.recovered
    assert result.reliable_improvement


def test_not_at_caseness_at_start_cannot_recover():
    result = outcome((8, 2), (6, 1))
    assert not result.at_caseness
    assert not result.recovered
    assert result.reliable_improvement  # improvement counts caseness or not [measures.md §2.4]


def test_improvement_on_one_and_deterioration_on_the_other_is_neither():
    # The paired rule: improvement on one measure and no reliable deterioration on the other
    # [measures.md §2.4, S39]; applied both ways.
    result = outcome((16, 10), (4, 8))
    assert not result.reliable_improvement
    assert not result.reliable_deterioration
    assert not result.no_reliable_change


phq9_scores = st.integers(min_value=0, max_value=27)
gad7_scores = st.integers(min_value=0, max_value=21)


@given(phq9_scores, phq9_scores, gad7_scores, gad7_scores)
def test_outcome_flags_are_consistent(first_phq9, last_phq9, first_gad7, last_gad7):
    result = outcome((first_phq9, last_phq9), (first_gad7, last_gad7))
    assert not (result.reliable_improvement and result.reliable_deterioration)
    assert result.reliable_recovery == (result.recovered and result.reliable_improvement)
    assert not (result.recovered and not result.at_caseness)
    if result.no_reliable_change:
        assert not (result.reliable_improvement or result.reliable_deterioration)


# --- Rates as NHS Digital defines them ---------------------------------------------------------


def test_counting_episodes():
    episodes = [
        classify_episode(episode((18, 6), (12, 5))),  # reliable recovery
        classify_episode(episode((14, 9), (9, 7))),  # recovery only
        classify_episode(episode((8, 2), (6, 1))),  # not at caseness, reliable improvement
        classify_episode(episode((10, 16), (5, 5))),  # reliable deterioration
        classify_episode(episode((20, 5), (15, 3), sessions=1)),  # not finished: left out
    ]
    counts = count_outcomes(episodes)
    assert counts == OutcomeCounts(
        finished_course_treatment=4, not_at_caseness=1, recovery=2, reliable_improvement=2,
        reliable_deterioration=1, no_reliable_change=1, reliable_recovery=1,
    )
    rates = outcome_rates(counts)
    assert rates.recovery == pytest.approx(200 / 3)  # 2 of the 3 at caseness
    assert rates.reliable_improvement == pytest.approx(50)  # 2 of all 4 finished


def test_no_finished_courses_gives_no_rates():
    rates = outcome_rates(count_outcomes([None]))
    assert rates.recovery is None
    assert rates.reliable_improvement is None


def national(recovery=0, improvement=0, finished=0, not_at_caseness=0) -> OutcomeCounts:
    return OutcomeCounts(
        finished_course_treatment=finished, not_at_caseness=not_at_caseness, recovery=recovery,
        reliable_improvement=improvement, reliable_deterioration=0, no_reliable_change=0,
        reliable_recovery=0,
    )


# measures.md §2.4 worked numbers [V: S10, S10b].
def test_june_2020_published_rates():
    rates = outcome_rates(national(recovery=27_884, improvement=39_417, finished=57_060,
                                   not_at_caseness=3_200))
    assert rates.recovery == pytest.approx(51.771, abs=5e-4)
    assert round(rates.recovery or 0, 1) == 51.8
    assert rates.reliable_improvement == pytest.approx(69.080, abs=5e-4)


def test_december_2020_published_recovery_rate():
    rates = outcome_rates(national(recovery=23_291, finished=48_111, not_at_caseness=2_957))
    assert rates.recovery == pytest.approx(51.581, abs=5e-4)


def key_measures() -> dict[str, dict[str, dict[str, str]]]:
    """{year: {measure: {statistic: value}}} from the published CSV."""
    table: dict[str, dict[str, dict[str, str]]] = {}
    with KEY_MEASURES.open() as handle:
        for row in csv.DictReader(handle):
            for year, value in row.items():
                if year not in ("measure_name", "measure_statistic"):
                    table.setdefault(year, {}).setdefault(row["measure_name"], {})[
                        row["measure_statistic"]] = value
    return table


YEARS = ["2017-18", "2018-19", "2019-20", "2020-21", "2021-22", "2022-23", "2023-24", "2024-25"]


@pytest.mark.parametrize("year", YEARS)
def test_national_rates_reproduce_from_published_counts(year):
    """Every published England percentage, 2017-18 to 2024-25, from the published counts with our
    denominators: recovery and reliable recovery over (finished - not at caseness), the others
    over all finished courses."""
    measures = key_measures()[year]

    def count(name: str) -> int:
        return int(measures[name]["count"])

    counts = OutcomeCounts(
        finished_course_treatment=count("finished_course_treatment"),
        not_at_caseness=count("not_at_caseness"),
        recovery=count("recovery"),
        reliable_improvement=count("improvement"),
        reliable_deterioration=count("deterioration"),
        no_reliable_change=count("no_reliable_change"),
        reliable_recovery=count("reliable_recovery"),
    )
    rates = outcome_rates(counts)
    published = {
        "recovery": rates.recovery, "reliable_recovery": rates.reliable_recovery,
        "improvement": rates.reliable_improvement, "deterioration": rates.reliable_deterioration,
        "no_reliable_change": rates.no_reliable_change,
    }
    for name, rate in published.items():
        assert rate is not None
        assert round(rate, 1) == pytest.approx(float(measures[name]["percentage"])), name
    # The definitions nest: reliable recovery is recovery that also improved reliably.
    assert counts.reliable_recovery <= min(counts.recovery, counts.reliable_improvement)
    # Improvement, deterioration and no reliable change are disjoint and leave a small remainder
    # (about 1%): consistent with mixed-change episodes being in none of them.
    rest = counts.finished_course_treatment - (
        counts.reliable_improvement + counts.reliable_deterioration + counts.no_reliable_change)
    assert 0 < rest < 0.02 * counts.finished_course_treatment


def test_recovery_denominator_is_finished_minus_not_at_caseness():
    """The published `at_caseness` count (all referrals) is not the recovery denominator: for
    2017-18, 263,295 / 517,393 rounds to 50.9%, but NHS Digital publishes 50.8% =
    263,295 / (554,709 - 36,767)."""
    measures = key_measures()["2017-18"]
    recovered = int(measures["recovery"]["count"])
    assert round(recovered / int(measures["at_caseness"]["count"]) * 100, 1) == 50.9
    rates = outcome_rates(national(
        recovery=recovered, finished=int(measures["finished_course_treatment"]["count"]),
        not_at_caseness=int(measures["not_at_caseness"]["count"])))
    assert round(rates.recovery or 0, 1) == float(measures["recovery"]["percentage"]) == 50.8
