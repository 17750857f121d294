"""Reads behind the outcome page and the charts: one episode's completed questionnaires as
trajectories, the NHS Talking Therapies outcome and the not-on-track status.

Access: the client's clinical care team (CLINICAL access through
therapia.security.policy), and only when no consent directive withholds the client's
questionnaires and scores (RecordCategory.MEASURES) from the actor; otherwise 404. Every read
leaves an audit row naming the fields read. The number of queries does not depend on how many
scores there are (the outcome page's test pins it).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Count, Max
from django.http import Http404

from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import Client, Episode
from therapia.clients.selectors import client_get_for
from therapia.measures import charts, library, trajectory
from therapia.measures.definition import InstrumentDefinition
from therapia.measures.expected_recovery import (
    MIN_EPISODES_PER_BAND,
    MIN_SCORES_PER_EPISODE,
    ExpectedRecoveryCurve,
    Observation,
    fit_expected_recovery,
)
from therapia.measures.models import Administration, AdministrationStatus
from therapia.measures.talking_therapies import (
    MIN_TREATMENT_SESSIONS,
    EpisodeOutcome,
    EpisodeScores,
    classify_episode,
)
from therapia.scheduling.models import Appointment, Attendance, SessionKind, Status
from therapia.scheduling.models import Purpose as SessionPurpose
from therapia.scheduling.selectors import attended_treatment_sessions
from therapia.security import policy
from therapia.security.actor import Actor
from therapia.security.models import RecordCategory
from therapia.security.policy import Access

NAME_FIELDS = ("legal_given_name", "legal_family_name", "preferred_name")
SCORE_FIELDS = ["instrument_id", "completed_at", "total", "band"]
TT_INSTRUMENTS = ("phq9", "gad7")
EXPORT_LINKS = 10  # export links to single questionnaires on the page; the rest in the bundle


def can_view_outcomes(actor: Actor, client: Client) -> bool:
    """Clinical access, and no directive withholding questionnaires and scores."""
    return policy.can_view_category(actor, client, RecordCategory.MEASURES)


def measures_client(*, actor: Actor, public_id: uuid.UUID) -> Client:
    """The client, when the actor may see their scores; else 404 (audited when found)."""
    client = client_get_for(actor=actor, public_id=public_id, need=Access.CLINICAL,
                            purpose=Purpose.TREATMENT, fields=NAME_FIELDS)
    if not can_view_outcomes(actor, client):
        raise Http404("No such client")
    return client


# --- The outcome page -----------------------------------------------------------------------


@dataclass(frozen=True)
class InstrumentOutcome:
    trajectory: trajectory.Trajectory
    audience: charts.Audience
    chart: str  # SVG for the audience
    table: str  # the table alternative (HTML) for the audience
    summary: str  # in words for the audience
    category_words: str | None
    events: Sequence[tuple[int, str, str]]
    dom_id: str

    @property
    def short_name(self) -> str:
        return self.trajectory.short_name


@dataclass(frozen=True)
class TalkingTherapies:
    """The NHS Talking Therapies outcome of the episode, or why there is none yet."""

    outcome: EpisodeOutcome | None
    scores: EpisodeScores | None
    attended: int
    reason: str  # why there is no outcome ("" when there is one)
    provisional: bool  # the episode is still open


@dataclass(frozen=True)
class EpisodeOutcomes:
    client: Client
    episode: Episode | None
    episodes: list[Episode]
    instruments: list[InstrumentOutcome]
    talking_therapies: TalkingTherapies | None
    unscored: int  # completed questionnaires without a total (too many items missing)
    administrations: list[Administration]  # the latest completed, newest first (export links)
    completed_count: int

    def outcome_for(self, instrument_id: str) -> InstrumentOutcome | None:
        return next((i for i in self.instruments
                     if i.trajectory.instrument_id == instrument_id), None)

    @property
    def not_on_track(self) -> bool | None:
        """At the latest score of the first instrument checked against a curve; None when
        no instrument in the episode has one."""
        for outcome in self.instruments:
            if outcome.trajectory.checks_track and outcome.trajectory.latest is not None:
                return outcome.trajectory.latest.not_on_track
        return None


def _episode(client: Client, episodes: list[Episode],
             public_id: uuid.UUID | None) -> Episode | None:
    if public_id is not None:
        chosen = next((e for e in episodes if e.public_id == public_id), None)
        if chosen is None:
            raise Http404("No such episode")
        return chosen
    open_ = [e for e in episodes if e.discharged_on is None]
    candidates = open_ or episodes
    return candidates[0] if candidates else None


def episode_outcomes(*, actor: Actor, client_public_id: uuid.UUID,
                     episode_public_id: uuid.UUID | None = None,
                     audience: charts.Audience = "clinician") -> EpisodeOutcomes:
    client = measures_client(actor=actor, public_id=client_public_id)
    episodes = list(Episode.objects.filter(client=client).order_by("-opened_on", "-id"))
    episode = _episode(client, episodes, episode_public_id)
    if episode is None:
        audit_record(actor=actor, action=Action.LIST, purpose=Purpose.TREATMENT,
                     object_type=Administration._meta.label, client=client,
                     fields=SCORE_FIELDS)
        return EpisodeOutcomes(client, None, episodes, [], None, 0, [], 0)
    completed = list(
        Administration.objects.filter(episode=episode, status=AdministrationStatus.COMPLETED)
        .select_related("custom_instrument").order_by("completed_at", "id"))
    audit_record(actor=actor, action=Action.LIST, purpose=Purpose.TREATMENT,
                 object_type=Administration._meta.label, client=client, fields=SCORE_FIELDS)
    attended_at = _attended_sessions(episode)
    events = list(_events(actor, client, episode)) if audience == "clinician" else []
    by_instrument: dict[str, list[Administration]] = defaultdict(list)
    for administration in completed:
        if administration.total is not None:
            by_instrument[_instrument_key(administration)].append(administration)
    instruments = [
        _instrument_outcome(actor, rows, attended_at=attended_at, events=events, index=index,
                            audience=audience)
        for index, rows in enumerate(sorted(by_instrument.values(), key=_order))]
    return EpisodeOutcomes(
        client=client, episode=episode, episodes=episodes, instruments=instruments,
        talking_therapies=_talking_therapies(episode, instruments),
        unscored=sum(1 for a in completed if a.total is None),
        administrations=list(reversed(completed[-EXPORT_LINKS:])), completed_count=len(completed),
    )


def _instrument_key(administration: Administration) -> str:
    if administration.custom_instrument_id is not None:
        return f"custom:{administration.custom_instrument_id}"
    return administration.instrument_id


def _order(rows: list[Administration]) -> tuple[int, str]:
    """PHQ-9 and GAD-7 first (the national outcome measures), then by name."""
    instrument_id = rows[0].instrument_id
    rank = TT_INSTRUMENTS.index(instrument_id) if instrument_id in TT_INSTRUMENTS else 9
    return rank, instrument_id


def _definition(administration: Administration) -> InstrumentDefinition:
    if administration.custom_instrument is not None:
        return administration.custom_instrument.instrument
    return library.get(administration.instrument_id)


def _instrument_outcome(actor: Actor, rows: list[Administration], *,
                        attended_at: list[dt.datetime], events: list[trajectory.Event],
                        index: int, audience: charts.Audience) -> InstrumentOutcome:
    definition = _definition(rows[0])
    scores = _scores(rows, attended_at)
    curve = practice_curve(actor.practice.pk, definition)
    built = trajectory.build(definition, scores, sessions=attended_at, events=events,
                             curve=curve)
    dom_id = f"chart-{index + 1}"
    clinician = audience == "clinician"
    caption = (f"{built.short_name} scores in this episode" if clinician
               else f"Your {built.short_name} scores")
    return InstrumentOutcome(
        trajectory=built, audience=audience,
        chart=charts.render_svg(built, audience=audience, id_prefix=f"{dom_id}-{audience}"),
        table=charts.table_html(built, audience=audience, caption=caption),
        summary=(trajectory.clinician_summary(built) if clinician
                 else trajectory.client_summary(built)),
        category_words=trajectory.CATEGORY_WORDS[built.category] if built.category else None,
        events=charts.event_key(built), dom_id=dom_id,
    )


def _scores(rows: Sequence[Administration],
            attended_at: Sequence[dt.datetime]) -> list[trajectory.Score]:
    """Each score's session number: the attended treatment sessions between the first
    score and this one (the first score is the intake, session 0)."""
    def before(moment: dt.datetime) -> int:
        return sum(1 for start in attended_at if start < moment)

    first = before(rows[0].completed_at) if rows and rows[0].completed_at else 0
    return [trajectory.Score(when=a.completed_at, value=float(a.total),
                             session=before(a.completed_at) - first)
            for a in rows if a.completed_at is not None and a.total is not None]


def _attended_sessions(episode: Episode) -> list[dt.datetime]:
    """When the episode's attended treatment sessions started (its own, and the group
    sessions its client attended), oldest first: two queries."""
    own = Appointment.objects.filter(
        episode=episode, status=Status.ATTENDED, purpose=SessionPurpose.TREATMENT,
    ).exclude(kind=SessionKind.GROUP).values_list("starts_at", flat=True)
    group = Attendance.objects.filter(
        episode=episode, status=Status.ATTENDED, appointment__purpose=SessionPurpose.TREATMENT,
    ).values_list("appointment__starts_at", flat=True)
    return sorted([*own, *group])


def _events(actor: Actor, client: Client, episode: Episode) -> Iterable[trajectory.Event]:
    """Treatment-plan versions and medication changes during the episode, as dated words
    (no content), each only when the actor may see that part of the record."""
    from therapia.clinical.models import MedicationChange
    from therapia.records.models import TreatmentPlanVersion

    start = dt.datetime.combine(episode.opened_on, dt.time.min, tzinfo=dt.UTC)
    withheld = set(policy.active_directives(actor).filter(client=client)
                   .values_list("category", flat=True))
    if RecordCategory.TREATMENT_PLANS not in withheld:
        for number, created in TreatmentPlanVersion.objects.filter(
                plan__episode=episode).values_list("number", "created_at"):
            yield trajectory.Event(created, "Treatment plan started" if number == 1
                                   else "Treatment plan revised")
    if RecordCategory.MEDICATIONS not in withheld:
        changes = MedicationChange.objects.filter(medication__client=client,
                                                  changed_at__gte=start)
        if episode.discharged_on is not None:
            end = dt.datetime.combine(episode.discharged_on, dt.time.max, tzinfo=dt.UTC)
            changes = changes.filter(changed_at__lte=end)
        for kind, changed_at in changes.values_list("kind", "changed_at"):
            yield trajectory.Event(changed_at, f"Medication {kind}")


def _talking_therapies(episode: Episode,
                       instruments: list[InstrumentOutcome]) -> TalkingTherapies:
    attended = attended_treatment_sessions(episode)
    provisional = episode.discharged_on is None
    phq9 = next((i.trajectory for i in instruments if i.trajectory.instrument_id == "phq9"),
                None)
    gad7 = next((i.trajectory for i in instruments if i.trajectory.instrument_id == "gad7"),
                None)
    if phq9 is None or gad7 is None or not phq9.points or not gad7.points:
        return TalkingTherapies(None, None, attended, "The NHS Talking Therapies outcome needs "
                                "both a PHQ-9 and a GAD-7 score in the episode.", provisional)
    scores = EpisodeScores(
        first_phq9=round(phq9.points[0].value), last_phq9=round(phq9.points[-1].value),
        first_gad7=round(gad7.points[0].value), last_gad7=round(gad7.points[-1].value),
        attended_treatment_sessions=attended)
    outcome = classify_episode(scores)
    reason = "" if outcome else (
        f"Not a finished course of treatment: {attended} attended treatment session"
        f"{'' if attended == 1 else 's'}; the national measures need at least "
        f"{MIN_TREATMENT_SESSIONS}.")
    return TalkingTherapies(outcome, scores, attended, reason, provisional)


# --- The practice's own expected-recovery curve ---------------------------------------------


def practice_curve(practice_id: int,
                   definition: InstrumentDefinition) -> ExpectedRecoveryCurve | None:
    """The practice's fitted curve once it has enough episodes; None (use the default)
    before that. One aggregate query; the fit itself is cached per state of the data."""
    default = trajectory.default_curve_for(definition)
    if default is None:
        return None
    scored = Administration.objects.filter(
        practice_id=practice_id, instrument_id=definition.id,
        status=AdministrationStatus.COMPLETED, total__isnull=False,
        custom_instrument__isnull=True)
    episodes = (scored.values("episode_id").annotate(n=Count("id"))
                .filter(n__gte=MIN_SCORES_PER_EPISODE).count())
    if episodes < MIN_EPISODES_PER_BAND:
        return None
    latest = scored.aggregate(latest=Max("updated_at"))["latest"]
    return _fitted(practice_id, definition.id, episodes, latest)


@lru_cache(maxsize=64)
def _fitted(practice_id: int, instrument_id: str, episodes: int,
            latest: dt.datetime | None) -> ExpectedRecoveryCurve:
    """Fit on the practice's scores: the session is the score's place in its episode
    (0 = the first), as measurement plans give one score per session."""
    definition = library.get(instrument_id)
    default = trajectory.default_curve_for(definition)
    assert default is not None  # noqa: S101 (checked by the caller)
    rows = (Administration.objects
            .filter(practice_id=practice_id, instrument_id=instrument_id,
                    status=AdministrationStatus.COMPLETED, total__isnull=False,
                    custom_instrument__isnull=True)
            .order_by("episode_id", "completed_at").values_list("episode_id", "total"))
    observations: list[Observation] = []
    place: dict[int, int] = defaultdict(int)
    for episode_id, total in rows:
        observations.append(Observation(str(episode_id), place[episode_id], float(total or 0)))
        place[episode_id] += 1
    return fit_expected_recovery(observations, trajectory.intake_bands(definition),
                                 default=default)
