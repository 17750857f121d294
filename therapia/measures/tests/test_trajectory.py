"""The trajectory of one client's scores: bands, change category, not-on-track, words."""

from __future__ import annotations

import datetime as dt

import pytest

from therapia.measures import library
from therapia.measures.change import Category
from therapia.measures.expected_recovery import BandCurve, ExpectedRecoveryCurve
from therapia.measures.trajectory import (
    Event,
    Score,
    band_areas,
    build,
    change_category,
    client_summary,
    clinician_summary,
)

START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def weekly(*values: float) -> list[Score]:
    return [Score(when=START + dt.timedelta(weeks=i), value=v, session=i)
            for i, v in enumerate(values)]


def test_band_areas_meet_halfway_between_bands_and_cover_the_range():
    areas = band_areas(library.get("phq9"))
    assert [(a.low, a.high) for a in areas] == [(0, 4.5), (4.5, 9.5), (9.5, 14.5),
                                                 (14.5, 19.5), (19.5, 27)]
    assert [a.severity for a in areas] == [0, 1, 2, 3, 4]


def test_higher_is_better_bands_are_worst_first():
    areas = band_areas(library.get("ors"))  # clinical range below 25 is the worse band
    assert next(a.label for a in areas).startswith("Clinical")
    assert [a.severity for a in areas] == [1, 0]
    assert areas[0].high == pytest.approx(24.95)


@pytest.mark.parametrize(("instrument", "first", "last", "expected"), [
    ("phq9", 16, 10, Category.IMPROVED),  # -6 reliable, 10 is still a case
    ("phq9", 16, 9, Category.RECOVERED),  # -7, crossed below 10
    ("phq9", 16, 11, Category.UNCHANGED),  # -5 is not reliable (threshold 6, inclusive)
    ("phq9", 10, 16, Category.DETERIORATED),  # a case at the start, worse by 6
    ("phq9", 4, 10, Category.HARMED),  # not a case, +6 into caseness
    ("gad7", 12, 8, Category.IMPROVED),  # -4 reliable; 8 is still a case (>= 8)
    ("gad7", 12, 7, Category.RECOVERED),
    ("core10", 20, 14, Category.IMPROVED),  # cut-off 11: 14 still clinical
    ("core10", 20, 10, Category.RECOVERED),
])
def test_change_category_with_published_thresholds(instrument, first, last, expected):
    assert change_category(instrument, first, last) is expected


def test_no_category_without_a_published_threshold():
    assert change_category("wsas", 30, 5) is None  # reliability only, no SD: we do not guess
    assert change_category("k10", 30, 12) is None


def test_points_carry_band_change_and_not_on_track_from_the_default_curve():
    """The documented example (docs/outcomes.md): intake 18, session 6 -- expected 11.3, 90%
    limit 17.1; 18 is not on track, 12 is."""
    stuck = build("phq9", weekly(18, 18, 18, 18, 18, 18, 18))
    assert stuck.curve_source and stuck.curve_source.startswith("default")
    latest = stuck.latest
    assert latest is not None and latest.session == 6
    assert latest.expected == pytest.approx(11.34, abs=0.01)
    assert latest.bound == pytest.approx(17.09, abs=0.01)
    assert latest.not_on_track
    assert stuck.first is not None and not stuck.first.not_on_track  # intake is never flagged
    assert stuck.first.expected is None
    improving = build("phq9", weekly(18, 17, 16, 15, 14, 13, 12))
    assert improving.not_on_track_count == 0
    assert [p.band for p in improving.points][:2] == ["Moderately severe", "Moderately severe"]
    assert improving.latest is not None and improving.latest.change == -6
    assert improving.category is Category.IMPROVED


def test_a_practice_curve_replaces_the_default():
    flat = BandCurve(intercept=15, slope=0, var_intercept=1, var_slope=0.01,
                     cov_intercept_slope=0, residual_var=1, source="fitted (60 episodes)")
    definition = library.get("phq9")
    from therapia.measures.trajectory import intake_bands
    curve = ExpectedRecoveryCurve(
        direction=build("phq9", []).direction, bands=tuple(intake_bands(definition)),
        curves={band.name: flat for band in intake_bands(definition)})
    trajectory = build("phq9", weekly(15, 15, 15), curve=curve)
    assert trajectory.curve_source == "fitted (60 episodes)"
    assert trajectory.not_on_track_count == 0  # a flat expected curve: staying at 15 is on track


def test_instruments_without_a_curve_are_not_checked():
    trajectory = build("gad7", weekly(15, 15, 15, 15))
    assert not trajectory.checks_track
    assert all(p.expected is None and not p.not_on_track for p in trajectory.points)
    assert "on track" not in clinician_summary(trajectory)


def test_scores_without_a_session_number_are_not_checked():
    scores = [Score(when=START + dt.timedelta(days=i * 10), value=20) for i in range(3)]
    assert build("phq9", scores).not_on_track_count == 0


def test_scores_are_ordered_by_time_and_events_kept():
    scores = list(reversed(weekly(18, 12, 9)))
    event = Event(when=START + dt.timedelta(days=10), label="Treatment plan revised")
    trajectory = build("phq9", scores, events=[event])
    assert [p.value for p in trajectory.points] == [18, 12, 9]
    assert trajectory.events == (event,)


def test_client_summary_in_plain_words():
    assert client_summary(build("phq9", weekly(18, 12, 9))) == (
        "Your scores have gone down from 18 to 9 \u2014 lower is better. "
        "That is in the range called \u201cMild\u201d.")
    assert client_summary(build("ors", weekly(20, 31))).startswith(
        "Your scores have gone up from 20 to 31 \u2014 higher is better.")
    assert client_summary(build("phq9", weekly(12, 12))).startswith(
        "Your score is the same as when you started: 12")
    assert client_summary(build("phq9", weekly(7))).startswith("You have one score so far: 7")
    assert client_summary(build("phq9", [])) == "There are no scores yet."
    words = client_summary(build("phq9", weekly(18, 18, 18, 18, 18, 18, 18))).lower()
    for jargon in ("rci", "reliable", "track", "cut-off", "clinical"):
        assert jargon not in words


def test_clinician_summary_names_the_statistics():
    text = clinician_summary(build("phq9", weekly(18, 18, 18, 18, 18, 18, 18)))
    assert "PHQ-9: 7 scores from 5 Jan 2026 to 16 Feb 2026; lower is better." in text
    assert "First 18 (Moderately severe), latest 18 (Moderately severe)." in text
    assert "Change 0: no reliable change." in text
    assert "A change of 6 points or more is reliable." in text
    assert "Clinical cut-off 10." in text
    assert "the latest is not on track." in text
