"""Every band boundary of every instrument, both sides of each cut-off, as published.

The numbers are typed here from the published sources (not read back from the JSON
definitions), so a wrong number in a definition fails. Sources as in measures.md.
"""

from __future__ import annotations

from itertools import pairwise

import pytest

from therapia.measures import library, scoring
from therapia.measures.tests.answers import answers_for

# (instrument, score, value, expected band)
BOUNDARIES = [
    # PHQ-9 and PHQ-A: "scores of 5, 10, 15, and 20 represented mild, moderate, moderately
    # severe, and severe" (Kroenke, Spitzer & Williams 2001, JGIM 16:606) [S21]; PHQ-A the
    # same bands (PHQ-9 Modified for Teens scoring instructions) [S23].
    *[(instrument, "total", value, band) for instrument in ("phq9", "phqa") for value, band in [
        (0, "None-minimal"), (4, "None-minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"),
        (14, "Moderate"), (15, "Moderately severe"), (19, "Moderately severe"),
        (20, "Severe"), (27, "Severe")]],
    # GAD-7: "Cut points of 5, 10, and 15 ... mild, moderate, and severe" (Spitzer 2006).
    ("gad7", "total", 0, "Minimal"), ("gad7", "total", 4, "Minimal"),
    ("gad7", "total", 5, "Mild"), ("gad7", "total", 9, "Mild"),
    ("gad7", "total", 10, "Moderate"), ("gad7", "total", 14, "Moderate"),
    ("gad7", "total", 15, "Severe"), ("gad7", "total", 21, "Severe"),
    # PCL-5: probable PTSD at 31-33 (NC-PTSD) [S12]; our default cut-off 33.
    ("pcl5", "total", 0, "Below the probable-PTSD cut-off"),
    ("pcl5", "total", 32, "Below the probable-PTSD cut-off"),
    ("pcl5", "total", 33, "Probable PTSD (at or above 33)"),
    ("pcl5", "total", 80, "Probable PTSD (at or above 33)"),
    # CORE-10: <=10 healthy/low, 11-14 mild, 15-19 moderate, 20-24 moderate-to-severe,
    # >=25 severe (SOCAS hub) [S15].
    ("core10", "total", 0, "Healthy / low"), ("core10", "total", 10, "Healthy / low"),
    ("core10", "total", 11, "Mild"), ("core10", "total", 14, "Mild"),
    ("core10", "total", 15, "Moderate"), ("core10", "total", 19, "Moderate"),
    ("core10", "total", 20, "Moderate to severe"), ("core10", "total", 24, "Moderate to severe"),
    ("core10", "total", 25, "Severe"), ("core10", "total", 40, "Severe"),
    # WSAS: < 10 subclinical; 10-20 significant impairment; > 20 moderately severe or worse
    # (Mundt et al. 2002) [S18b].
    ("wsas", "total", 0, "Subclinical"), ("wsas", "total", 9, "Subclinical"),
    ("wsas", "total", 10, "Significant functional impairment"),
    ("wsas", "total", 20, "Significant functional impairment"),
    ("wsas", "total", 21, "Moderately severe or worse"),
    ("wsas", "total", 40, "Moderately severe or worse"),
    # AUDIT zones: I 0-7, II 8-15, III 16-19, IV 20-40 (Babor et al. 2001, WHO) [S19].
    ("audit", "total", 0, "Zone I: low risk"), ("audit", "total", 7, "Zone I: low risk"),
    ("audit", "total", 8, "Zone II: hazardous"), ("audit", "total", 15, "Zone II: hazardous"),
    ("audit", "total", 16, "Zone III: harmful"), ("audit", "total", 19, "Zone III: harmful"),
    ("audit", "total", 20, "Zone IV: possible dependence"),
    ("audit", "total", 40, "Zone IV: possible dependence"),
    # DAST-10: 0 none; 1-2 low; 3-5 moderate; 6-8 substantial; 9-10 severe (NIDA CDE) [S20c].
    ("dast10", "total", 0, "No problems reported"), ("dast10", "total", 1, "Low level"),
    ("dast10", "total", 2, "Low level"), ("dast10", "total", 3, "Moderate level"),
    ("dast10", "total", 5, "Moderate level"), ("dast10", "total", 6, "Substantial level"),
    ("dast10", "total", 8, "Substantial level"), ("dast10", "total", 9, "Severe level"),
    ("dast10", "total", 10, "Severe level"),
    # K10: 10-15 low; 16-21 moderate; 22-29 high; 30-50 very high (ABS, Andrews & Slade) [S34].
    ("k10", "total", 10, "Low"), ("k10", "total", 15, "Low"), ("k10", "total", 16, "Moderate"),
    ("k10", "total", 21, "Moderate"), ("k10", "total", 22, "High"), ("k10", "total", 29, "High"),
    ("k10", "total", 30, "Very high"), ("k10", "total", 50, "Very high"),
    # DASS-21 on doubled scores (Lovibond & Lovibond 1995) [S35]; doubled scores are even,
    # so each side of a cut-off is the nearest even score.
    ("dass21", "depression", 8, "Normal"), ("dass21", "depression", 10, "Mild"),
    ("dass21", "depression", 12, "Mild"), ("dass21", "depression", 14, "Moderate"),
    ("dass21", "depression", 20, "Moderate"), ("dass21", "depression", 22, "Severe"),
    ("dass21", "depression", 26, "Severe"), ("dass21", "depression", 28, "Extremely severe"),
    ("dass21", "anxiety", 6, "Normal"), ("dass21", "anxiety", 8, "Mild"),
    ("dass21", "anxiety", 10, "Moderate"), ("dass21", "anxiety", 14, "Moderate"),
    ("dass21", "anxiety", 16, "Severe"), ("dass21", "anxiety", 18, "Severe"),
    ("dass21", "anxiety", 20, "Extremely severe"), ("dass21", "anxiety", 42, "Extremely severe"),
    ("dass21", "stress", 14, "Normal"), ("dass21", "stress", 16, "Mild"),
    ("dass21", "stress", 18, "Mild"), ("dass21", "stress", 20, "Moderate"),
    ("dass21", "stress", 24, "Moderate"), ("dass21", "stress", 26, "Severe"),
    ("dass21", "stress", 32, "Severe"), ("dass21", "stress", 34, "Extremely severe"),
    # ORS: adult clinical cut-off 25; SRS: "below 36 indicating dissatisfaction" [S27].
    ("ors", "total", 0.0, "Clinical range (below 25)"),
    ("ors", "total", 24.9, "Clinical range (below 25)"),
    ("ors", "total", 25.0, "Non-clinical range"), ("ors", "total", 40.0, "Non-clinical range"),
    ("srs", "total", 35.9, "Possible concern about the alliance (below 36)"),
    ("srs", "total", 36.0, "At or above the cut-off"),
]


@pytest.mark.parametrize(("instrument", "score_id", "value", "band"), BOUNDARIES)
def test_band_boundary(instrument: str, score_id: str, value: float, band: str) -> None:
    answers = answers_for(library.get(instrument), score_id, value)
    result = scoring.score(instrument, answers)
    if score_id == "total":
        assert (result.total, result.band) == (value, band)
    else:
        assert (result.subscale(score_id).value, result.subscale(score_id).band) == (value, band)


def test_every_banded_score_has_its_boundaries_in_the_table() -> None:
    """A new band (or instrument) must come with its published boundary tests."""
    tested = {(instrument, score_id) for instrument, score_id, _, _ in BOUNDARIES}
    banded = {(d.id, rule.id) for d in library.definitions().values()
              for rule in d.score_rules if rule.bands}
    assert banded == tested


def test_the_table_covers_both_sides_of_every_cut_off() -> None:
    for definition in library.definitions().values():
        for rule in definition.score_rules:
            values = {(v, b) for i, s, v, b in BOUNDARIES if (i, s) == (definition.id, rule.id)}
            # Within a point of each side (doubled DASS scores cannot be odd).
            for below, above in pairwise(rule.bands):
                assert any(b == below.label and below.maximum - 1 <= v <= below.maximum
                           for v, b in values), (definition.id, below.label)
                assert any(b == above.label and above.minimum <= v <= above.minimum + 1
                           for v, b in values), (definition.id, above.label)
