"""Expected recovery curves: the fit recovers the parameters that generated synthetic data, the
not-on-track signal flags the share of clients it promises, and the documented default is what
the Metapsy data it cites give."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from therapia.measures.change import Direction
from therapia.measures.expected_recovery import (
    PHQ9_DEFAULT,
    BandCurve,
    ExpectedRecoveryCurve,
    IntakeBand,
    Observation,
    check_on_track,
    default_curve,
    fit_expected_recovery,
    predict,
    session_term,
)

METAPSY = Path(__file__).parent / "reference_data" / "metapsy" / "depression_psyctr.csv"

# Three bands far enough apart (intake SD about 2.6) that an episode's observed intake falls in
# the band that generated it.
BANDS = [IntakeBand("low", 0, 20), IntakeBand("middle", 20, 40), IntakeBand("high", 40, 60)]
TRUE_FIXED = {"low": (10.0, -2.0), "middle": (30.0, -5.0), "high": (50.0, -9.0)}
TRUE_G = np.array([[4.0, -1.0], [-1.0, 2.0]])
TRUE_RESIDUAL = 3.0
SESSIONS = range(11)  # intake and ten sessions

# One worker for the module, so the fitted fixture is fitted once.
pytestmark = pytest.mark.xdist_group("expected_recovery")


def simulate(rng, band: str, episodes: int, prefix: str = "") -> list[Observation]:
    intercept, slope = TRUE_FIXED[band]
    observations = []
    for number in range(episodes):
        u0, u1 = rng.multivariate_normal([0.0, 0.0], TRUE_G)
        for session in SESSIONS:
            x = session_term(session)
            score = intercept + slope * x + u0 + u1 * x + rng.normal(0, math.sqrt(TRUE_RESIDUAL))
            observations.append(Observation(f"{prefix}{band}-{number}", session, score))
    return observations


def true_curve() -> ExpectedRecoveryCurve:
    curves = {
        name: BandCurve(intercept, slope, TRUE_G[0, 0], TRUE_G[1, 1], TRUE_G[0, 1],
                        TRUE_RESIDUAL, "generating")
        for name, (intercept, slope) in TRUE_FIXED.items()
    }
    return ExpectedRecoveryCurve(Direction.LOWER, tuple(BANDS), curves)


@pytest.fixture(scope="module")
def fitted() -> ExpectedRecoveryCurve:
    rng = np.random.default_rng(20011)
    observations = [o for band in TRUE_FIXED for o in simulate(rng, band, 150)]
    return fit_expected_recovery(observations, BANDS, default=default_curve(BANDS))


@pytest.mark.parametrize("band", list(TRUE_FIXED))
def test_fit_recovers_fixed_effects(fitted, band):
    curve = fitted.curves[band]
    intercept, slope = TRUE_FIXED[band]
    assert curve.intercept == pytest.approx(intercept, abs=0.6)
    assert curve.slope == pytest.approx(slope, abs=0.6)
    assert curve.source == "fitted (150 episodes)"


def test_fit_recovers_variance_components(fitted):
    curve = fitted.curves["middle"]
    assert curve.var_intercept == pytest.approx(TRUE_G[0, 0], rel=0.3)
    assert curve.var_slope == pytest.approx(TRUE_G[1, 1], rel=0.3)
    assert curve.cov_intercept_slope == pytest.approx(TRUE_G[0, 1], abs=0.6)
    assert curve.residual_var == pytest.approx(TRUE_RESIDUAL, rel=0.1)


def test_a_band_with_too_few_episodes_keeps_the_default():
    rng = np.random.default_rng(5)
    observations = simulate(rng, "middle", 60) + simulate(rng, "high", 10)
    default = default_curve(BANDS)
    curve = fit_expected_recovery(observations, BANDS, default=default)
    assert curve.curves["middle"].source == "fitted (60 episodes)"
    assert curve.curves["high"] == default.curves["high"]
    assert curve.curves["low"] == default.curves["low"]


def test_episodes_without_intake_or_enough_scores_do_not_count():
    rng = np.random.default_rng(6)
    observations = simulate(rng, "middle", 50)
    no_intake = [o for o in observations if not (o.episode == "middle-0" and o.session == 0)]
    too_short = [o for o in no_intake if not (o.episode == "middle-1" and o.session > 1)]
    curve = fit_expected_recovery(too_short, BANDS, default=default_curve(BANDS))
    assert curve.curves["middle"].source.startswith("default")  # 48 usable episodes < 50


def test_not_on_track_flags_the_promised_share():
    """Fresh clients from the generating model: about 10% are beyond the 90% bound."""
    rng = np.random.default_rng(11)
    curve = true_curve()
    session, clients = 5, 4000
    intercept, slope = TRUE_FIXED["middle"]
    x = session_term(session)
    effects = rng.multivariate_normal([0.0, 0.0], TRUE_G, size=clients)
    noise = rng.normal(0, math.sqrt(TRUE_RESIDUAL), size=(clients, 2))
    intakes = intercept + effects[:, 0] + noise[:, 0]
    scores = intercept + slope * x + effects[:, 0] + effects[:, 1] * x + noise[:, 1]
    flagged = sum(
        check_on_track(curve, intake=float(intake), session=session, score=float(score))
        .not_on_track
        for intake, score in zip(intakes, scores, strict=True)
    )
    assert flagged / clients == pytest.approx(0.10, abs=0.015)


def test_prediction_at_intake_is_the_reliability_shrunk_intake():
    band = true_curve().curves["middle"]
    prediction = predict(true_curve(), 34.0, 0)
    share = band.var_intercept / (band.var_intercept + band.residual_var)
    assert prediction.mean == pytest.approx(30 + share * 4)


def test_higher_is_better_flags_scores_below_the_bound():
    # The lower-is-better curve mirrored: a score far below the expected path is not on track.
    lower = true_curve()
    mirrored = ExpectedRecoveryCurve(
        Direction.HIGHER, (IntakeBand("mirror", -40, -20),),
        {"mirror": BandCurve(-30.0, 5.0, 4.0, 2.0, -1.0, 3.0, "mirrored")},
    )
    low = check_on_track(lower, intake=30, session=4, score=35)
    high = check_on_track(mirrored, intake=-30, session=4, score=-35)
    assert low.not_on_track and high.not_on_track
    assert high.bound == pytest.approx(-low.bound)
    assert not check_on_track(mirrored, intake=-30, session=4, score=-20).not_on_track


def test_bad_arguments():
    curve = true_curve()
    with pytest.raises(ValueError, match="quantile"):
        check_on_track(curve, intake=30, session=3, score=30, quantile=0.4)
    with pytest.raises(ValueError, match="session"):
        predict(curve, 30, -1)
    with pytest.raises(ValueError, match="none of the bands"):
        predict(curve, 75, 3)


# --- The documented default (PHQ-9) --------------------------------------------------------------

PHQ9_BANDS = [  # Kroenke et al. 2001 severity bands [measures.md §1.1]
    IntakeBand("minimal", 0, 4), IntakeBand("mild", 5, 9), IntakeBand("moderate", 10, 14),
    IntakeBand("moderately severe", 15, 19), IntakeBand("severe", 20, 27),
]


def test_default_example_client():
    """PHQ-9 intake 18: expected 11.3 at session 6, 90% bound 17.1; 18 is not on track, 12 is."""
    curve = default_curve(PHQ9_BANDS)
    stuck = check_on_track(curve, intake=18, session=6, score=18)
    assert stuck.expected == pytest.approx(11.34, abs=0.01)
    assert stuck.bound == pytest.approx(17.09, abs=0.01)
    assert stuck.not_on_track
    assert not check_on_track(curve, intake=18, session=6, score=12).not_on_track


def test_default_expected_score_is_a_proportional_fall():
    """E[y_t] = (1 - beta * ln(t + 1)) * (a + r * (y0 - a)), as default_band_curve says."""
    curve = default_curve(PHQ9_BANDS)
    beta, r = PHQ9_DEFAULT.reduction_per_log_session, PHQ9_DEFAULT.reliability
    for intake in (3, 8, 12, 17, 24):
        middle = curve.band_of(intake).middle
        for session in (0, 1, 4, 8, 12):
            expected = (1 - beta * session_term(session)) * (middle + r * (intake - middle))
            assert predict(curve, intake, session).mean == pytest.approx(expected)


def test_default_variances_are_a_valid_covariance():
    for band in default_curve(PHQ9_BANDS).curves.values():
        assert band.var_intercept > 0 and band.var_slope > 0 and band.residual_var > 0
        assert band.cov_intercept_slope**2 <= band.var_intercept * band.var_slope
        assert band.var_intercept + band.residual_var == pytest.approx(PHQ9_DEFAULT.intake_sd**2)


def metapsy_phq9_arms():
    """Distinct psychotherapy arms with PHQ-9 baseline and post means and SDs and sessions:
    (baseline mean, post mean, sessions, n, baseline SD, post SD)."""
    def number(text: str) -> float | None:
        return None if text in ("NA", "") else float(text.replace(",", "."))

    columns = ("baseline_m_arm1", "mean_arm1", "n_sessions_arm1", "n_arm1", "baseline_sd_arm1",
               "sd_arm1")
    arms = set()
    with METAPSY.open(encoding="latin-1", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            if row["instrument"] != "phq-9" or row["time"] != "post":
                continue
            values = tuple(number(row[column]) for column in columns)
            if None not in values:
                arms.add((row["study"], row["condition_arm1"], *values))
    return [arm[2:] for arm in arms]


def test_default_parameters_come_from_metapsy():
    arms = metapsy_phq9_arms()
    assert len(arms) == 85
    n = sum(arm[3] for arm in arms)
    assert n == 5255
    x = [math.log(arm[2] + 1) for arm in arms]
    fall = [(arm[0] - arm[1]) / arm[0] for arm in arms]
    beta = sum(a[3] * xi * fi for a, xi, fi in zip(arms, x, fall, strict=True)) / sum(
        a[3] * xi**2 for a, xi in zip(arms, x, strict=True))
    assert beta == pytest.approx(PHQ9_DEFAULT.reduction_per_log_session, abs=5e-5)
    pooled_pre = math.sqrt(sum(a[3] * a[4] ** 2 for a in arms) / n)
    pooled_post = math.sqrt(sum(a[3] * a[5] ** 2 for a in arms) / n)
    assert pooled_pre == pytest.approx(PHQ9_DEFAULT.intake_sd, abs=5e-4)
    assert pooled_post == pytest.approx(PHQ9_DEFAULT.end_sd, abs=5e-4)
    mean_x = sum(a[3] * xi for a, xi in zip(arms, x, strict=True)) / n
    assert mean_x == pytest.approx(PHQ9_DEFAULT.mean_log_sessions, abs=5e-4)
