"""Expected recovery curves by intake severity, and the not-on-track signal.

Finch, Lambert & Schaalje (2001) built expected-recovery curves for the OQ-45 from a linear mixed
model of scores on the log of the session number, by intake severity, and warned when a client's
score fell outside a tolerance interval around the expected score [measures.md §2.5; S42]. Their
coefficients and interval widths are proprietary and unpublished, so this is our own open version
of the recipe measures.md §2.5 lays out:

    y_it = a_band + b_band * x_t + u0_i + u1_i * x_t + e_it,    x_t = ln(t + 1)

with t the session number (0 = intake), (u0, u1) ~ N(0, G) per episode and e ~ N(0, sigma^2).
Given a client's intake score y_0, the score at session t is normal with

    mean = a + b*x_t + Cov(y_t, y_0) / Var(y_0) * (y_0 - a)
    var  = Var(y_t) - Cov(y_t, y_0)^2 / Var(y_0)

(the conditional normal; Cov(y_t, y_0) = G00 + G01*x_t, Var(y_t) = G00 + 2*G01*x_t + G11*x_t^2
+ sigma^2). A client is not on track when the score at session t is beyond the one-sided
prediction bound at `quantile` of that distribution, on the worse side.

A practice's own curve is fitted with statsmodels' MixedLM once a band has MIN_EPISODES_PER_BAND
episodes; until then the band uses the documented default (`default_curve`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from statistics import NormalDist

import numpy as np
from statsmodels.regression.mixed_linear_model import MixedLM

from therapia.measures.change import Direction

# Maas & Hox (2005, Methodology 1(3):86-92, "Sufficient sample sizes for multilevel modeling"):
# with 50 groups the variance components are estimated without bias; fewer groups bias their
# standard errors. We ask for 50 episodes per band, each with an intake and two later scores.
MIN_EPISODES_PER_BAND = 50
MIN_SCORES_PER_EPISODE = 3
DEFAULT_QUANTILE = 0.90  # one-sided; measures.md §2.5 suggests the 80th or 90th percentile


@dataclass(frozen=True)
class IntakeBand:
    """A severity band of intake scores, both bounds inclusive."""

    name: str
    low: float
    high: float

    def contains(self, score: float) -> bool:
        return self.low <= score <= self.high

    @property
    def middle(self) -> float:
        return (self.low + self.high) / 2


@dataclass(frozen=True)
class BandCurve:
    """Fixed effects and variance components of one band's curve."""

    intercept: float  # a: expected intake score of the band
    slope: float  # b: change per unit of ln(session + 1)
    var_intercept: float  # G00
    var_slope: float  # G11
    cov_intercept_slope: float  # G01
    residual_var: float  # sigma^2
    source: str  # "fitted (n episodes)" or "default: ..."


@dataclass(frozen=True)
class ExpectedRecoveryCurve:
    direction: Direction
    bands: tuple[IntakeBand, ...]
    curves: dict[str, BandCurve]

    def band_of(self, intake: float) -> IntakeBand:
        for band in self.bands:
            if band.contains(intake):
                return band
        raise ValueError(f"intake score {intake} is in none of the bands")


@dataclass(frozen=True)
class Prediction:
    mean: float
    sd: float


@dataclass(frozen=True)
class TrackCheck:
    expected: float
    bound: float  # the one-sided prediction bound on the worse side
    not_on_track: bool


def session_term(session: int) -> float:
    """x_t = ln(t + 1): 0 at intake (session 0) [measures.md §2.5, log session number]."""
    if session < 0:
        raise ValueError(f"session number must be 0 (intake) or more, not {session}")
    return math.log(session + 1)


# --- Prediction and the not-on-track signal ------------------------------------------------


def predict(curve: ExpectedRecoveryCurve, intake: float, session: int) -> Prediction:
    """The distribution of the score at `session` for a client who scored `intake` at intake."""
    band = curve.curves[curve.band_of(intake).name]
    x = session_term(session)
    var_intake = band.var_intercept + band.residual_var
    cov_with_intake = band.var_intercept + band.cov_intercept_slope * x
    var_session = (band.var_intercept + 2 * band.cov_intercept_slope * x
                   + band.var_slope * x**2 + band.residual_var)
    shrink = cov_with_intake / var_intake
    mean = band.intercept + band.slope * x + shrink * (intake - band.intercept)
    variance = max(var_session - cov_with_intake**2 / var_intake, 0.0)
    return Prediction(mean, math.sqrt(variance))


def check_on_track(
    curve: ExpectedRecoveryCurve,
    *,
    intake: float,
    session: int,
    score: float,
    quantile: float = DEFAULT_QUANTILE,
) -> TrackCheck:
    """Not on track: the score is worse than the one-sided `quantile` prediction bound (above it
    when lower is better, below it when higher is better) [measures.md §2.5 step 4]."""
    if not 0.5 < quantile < 1:
        raise ValueError(f"quantile must be between 0.5 and 1, not {quantile}")
    prediction = predict(curve, intake, session)
    worse = -curve.direction.sign  # +1 when lower is better
    bound = prediction.mean + worse * NormalDist().inv_cdf(quantile) * prediction.sd
    return TrackCheck(prediction.mean, bound, worse * (score - bound) > 0)


# --- The documented default -----------------------------------------------------------------


@dataclass(frozen=True)
class DefaultParameters:
    """Aggregate figures a default curve is built from (see `default_curve`)."""

    reduction_per_log_session: float  # beta: proportional fall in score per unit ln(t + 1)
    intake_sd: float
    end_sd: float
    mean_log_sessions: float  # mean ln(sessions + 1) at the end score
    reliability: float
    source: str


# PHQ-9, from the 85 psychotherapy arms with PHQ-9 baseline and post-test means and SDs and a
# session count in Metapsy's psychotherapy-for-depression database (metapsy-project/
# data-depression-psyctr 24.0.2, ODC-By 1.0, doi:10.5281/zenodo.7254845; 5,255 patients).
# beta: n-weighted least squares of (pre - post) / pre on ln(sessions + 1) through the origin;
# SDs pooled by n. Reliability: PHQ-9 Cronbach's alpha 0.89 (Kroenke et al. 2001) [measures.md
# §2.3, S21]. test_expected_recovery.py recomputes these from ../shared/reference-data/metapsy.
PHQ9_DEFAULT = DefaultParameters(
    reduction_per_log_session=0.1881,
    intake_sd=4.291,
    end_sd=5.325,
    mean_log_sessions=2.106,
    reliability=0.89,
    source="default: Metapsy depression-psyctr 24.0.2 PHQ-9 arms; alpha 0.89 (Kroenke 2001)",
)


def default_band_curve(band: IntakeBand, parameters: DefaultParameters) -> BandCurve:
    """A curve in which the expected score falls by the proportion beta * ln(t + 1) of intake.

    Classical test theory splits the intake variance into true-score variance (G00 = r * SD^2)
    and error (sigma^2 = (1 - r) * SD^2). G01 = -beta * G00 makes a higher intake fall faster, so
    that the expected score is (1 - beta*x) times the reliability-shrunk intake. G11 is what
    makes the variance at the mean end session equal to the published end SD^2.
    """
    beta = parameters.reduction_per_log_session
    var_intake = parameters.intake_sd**2
    var_intercept = parameters.reliability * var_intake
    residual_var = var_intake - var_intercept
    covariance = -beta * var_intercept
    x = parameters.mean_log_sessions
    var_slope = (parameters.end_sd**2 - var_intercept - 2 * covariance * x - residual_var) / x**2
    # Keep G positive semi-definite if the published SDs say less.
    var_slope = max(var_slope, covariance**2 / var_intercept)
    return BandCurve(
        intercept=band.middle,
        slope=-beta * band.middle,
        var_intercept=var_intercept,
        var_slope=var_slope,
        cov_intercept_slope=covariance,
        residual_var=residual_var,
        source=parameters.source,
    )


def default_curve(
    bands: Sequence[IntakeBand],
    parameters: DefaultParameters = PHQ9_DEFAULT,
    direction: Direction = Direction.LOWER,
) -> ExpectedRecoveryCurve:
    return ExpectedRecoveryCurve(
        direction=direction,
        bands=tuple(bands),
        curves={band.name: default_band_curve(band, parameters) for band in bands},
    )


# --- Fitting a practice's own curve ---------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    episode: str
    session: int  # 0 = intake
    score: float


def episodes_by_band(
    observations: Iterable[Observation], bands: Sequence[IntakeBand]
) -> dict[str, list[list[Observation]]]:
    """Usable episodes (an intake score and MIN_SCORES_PER_EPISODE scores in all) by intake band."""
    by_episode: dict[str, list[Observation]] = defaultdict(list)
    for observation in observations:
        by_episode[observation.episode].append(observation)
    grouped: dict[str, list[list[Observation]]] = {band.name: [] for band in bands}
    for scores in by_episode.values():
        intake = [o.score for o in scores if o.session == 0]
        if len(intake) != 1 or len(scores) < MIN_SCORES_PER_EPISODE:
            continue
        band = next((b for b in bands if b.contains(intake[0])), None)
        if band is not None:
            grouped[band.name].append(sorted(scores, key=lambda o: o.session))
    return grouped


def fit_expected_recovery(
    observations: Iterable[Observation],
    bands: Sequence[IntakeBand],
    *,
    default: ExpectedRecoveryCurve,
    min_episodes: int = MIN_EPISODES_PER_BAND,
) -> ExpectedRecoveryCurve:
    """Fit the bands with at least `min_episodes` usable episodes; the others keep `default`'s.

    One MixedLM over the qualifying bands: a separate intercept and log-session slope per band,
    a random intercept and slope per episode with one shared covariance, REML.
    """
    grouped = episodes_by_band(observations, bands)
    fitted = [band for band in bands if len(grouped[band.name]) >= min_episodes]
    curves = dict(default.curves)
    if fitted:
        curves.update(_fit_bands(fitted, grouped))
    return replace(default, bands=tuple(bands), curves=curves)


def _design(
    fitted: Sequence[IntakeBand], grouped: dict[str, list[list[Observation]]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    rows: list[list[float]] = []
    scores: list[float] = []
    groups: list[int] = []
    episodes = ((column, episode) for column, band in enumerate(fitted)
                for episode in grouped[band.name])
    for group, (column, episode) in enumerate(episodes):
        for observation in episode:
            design = [0.0] * (2 * len(fitted))
            design[2 * column] = 1.0
            design[2 * column + 1] = session_term(observation.session)
            rows.append(design)
            scores.append(observation.score)
            groups.append(group)
    exog = np.asarray(rows)
    sessions = exog.reshape(len(rows), len(fitted), 2).sum(axis=1)  # [1, x] per row
    return np.asarray(scores), exog, sessions, groups


def _fit_bands(
    fitted: Sequence[IntakeBand], grouped: dict[str, list[list[Observation]]]
) -> dict[str, BandCurve]:
    endog, exog, exog_re, groups = _design(fitted, grouped)
    result = MixedLM(endog, exog, groups=np.asarray(groups), exog_re=exog_re).fit(
        reml=True, method=["lbfgs"]
    )
    effects = np.asarray(result.fe_params, dtype=float)
    g = np.asarray(result.cov_re, dtype=float)
    residual_var = float(result.scale)
    return {
        band.name: BandCurve(
            intercept=float(effects[2 * column]),
            slope=float(effects[2 * column + 1]),
            var_intercept=float(g[0, 0]),
            var_slope=float(g[1, 1]),
            cov_intercept_slope=float(g[0, 1]),
            residual_var=residual_var,
            source=f"fitted ({len(grouped[band.name])} episodes)",
        )
        for column, band in enumerate(fitted)
    }
