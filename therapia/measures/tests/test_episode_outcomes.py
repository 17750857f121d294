"""The outcome page of an episode: charts with their table alternative, first and latest
scores, Jacobson-Truax categories, the NHS Talking Therapies outcome, not-on-track; access
(care team only, a directive can withhold measures), audit rows and a pinned query count."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from therapia.audit.models import Action, AuditEvent
from therapia.core.testing import Personas
from therapia.measures.tests.outcome_data import START, make_episode, weekly_course
from therapia.security.consent_directives import directive_record
from therapia.security.models import RecordCategory

pytestmark = pytest.mark.urls("therapia.measures.tests.outcomes_urls")

STAFF = ["owner", "colleague", "outsider", "front_desk", "trainee", "supervisor", "researcher"]
CARE_TEAM = {"owner", "trainee", "supervisor"}


def outcomes_url(personas: Personas, **query: str) -> str:
    url = reverse("measures_outcomes:outcomes", args=[personas.dana.public_id])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture
def course(personas: Personas):  # type: ignore[no-untyped-def]
    """Dana: five weekly sessions; PHQ-9 16 -> 8 and GAD-7 12 -> 6."""
    episode = make_episode(personas.dana)
    weekly_course(episode, personas.owner, [16, 14, 12, 9, 8], [12, 11, 9, 7, 6])
    return episode


def test_care_team_sees_charts_tables_and_outcomes(personas, as_user, course):
    response = as_user(personas.owner.user).get(outcomes_url(personas))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="trajectory-chart"') == 2
    assert "<caption>PHQ-9 scores in this episode</caption>" in html
    assert "<caption>GAD-7 scores in this episode</caption>" in html
    assert 'href="#chart-1-clinician-table"' in html and 'id="chart-1-clinician-table"' in html
    page = response.context["page"]
    phq9 = page.outcome_for("phq9")
    assert [p.value for p in phq9.trajectory.points] == [16, 14, 12, 9, 8]
    assert [p.session for p in phq9.trajectory.points] == [0, 1, 2, 3, 4]
    assert phq9.category_words == "recovered (reliable improvement, crossed the cut-off)"
    assert page.outcome_for("gad7").trajectory.category.value == "recovered"
    tt = page.talking_therapies
    assert tt.attended == 5 and tt.provisional
    assert tt.outcome.at_caseness and tt.outcome.recovered
    assert tt.outcome.reliable_improvement and tt.outcome.reliable_recovery
    assert not tt.outcome.reliable_deterioration
    assert page.not_on_track is False
    assert "On track" in html and "Not on track" not in html
    # The chart inside the page is well-formed SVG.
    start = html.index("<svg")
    ET.fromstring(html[start:html.index("</svg>", start) + 6])  # noqa: S314 (our own page)


def test_a_stuck_client_is_flagged_not_on_track(personas, as_user):
    episode = make_episode(personas.dana)
    weekly_course(episode, personas.owner, [18, 18, 18, 18, 18, 18, 18])
    response = as_user(personas.owner.user).get(outcomes_url(personas))
    page = response.context["page"]
    assert page.not_on_track is True
    assert page.outcome_for("phq9").trajectory.latest.not_on_track
    html = response.content.decode()
    assert "Not on track</span>" in html
    assert 'class="point not-on-track"' in html
    assert "Worse than expected" in html  # in the table too, not only the chart


def test_fewer_than_two_treatment_sessions_give_no_national_outcome(personas, as_user):
    episode = make_episode(personas.dana)
    weekly_course(episode, personas.owner, [16], [12])
    page = as_user(personas.owner.user).get(outcomes_url(personas)).context["page"]
    assert page.talking_therapies.outcome is None
    assert page.talking_therapies.reason.startswith(
        "Not a finished course of treatment: 1 attended treatment session;")


def test_without_a_gad7_there_is_no_national_outcome(personas, as_user):
    episode = make_episode(personas.dana)
    weekly_course(episode, personas.owner, [16, 12, 9])
    page = as_user(personas.owner.user).get(outcomes_url(personas)).context["page"]
    assert page.talking_therapies.outcome is None
    assert "needs both a PHQ-9 and a GAD-7" in page.talking_therapies.reason


@pytest.mark.parametrize("persona", STAFF)
def test_only_the_care_team_sees_the_outcomes(personas, as_user, course, persona):
    http = as_user(getattr(personas, persona).user)
    expected = 200 if persona in CARE_TEAM else 404
    assert http.get(outcomes_url(personas)).status_code == expected
    client_version = reverse("measures_outcomes:client_version", args=[personas.dana.public_id])
    assert http.get(client_version).status_code == expected


def test_outsider_gets_404_for_their_own_client_id_in_another_practice(personas, as_user):
    http = as_user(personas.owner.user)
    url = reverse("measures_outcomes:outcomes", args=[personas.outsider_client.public_id])
    assert http.get(url).status_code == 404


def test_a_directive_withholding_measures_hides_them(personas, as_user, course):
    directive_record(actor=personas.actor("owner"), client=personas.dana,
                     category=RecordCategory.MEASURES, blocked_membership=personas.trainee,
                     blocked_role="", starts_on=dt.date(2026, 1, 1), ends_on=None)
    assert as_user(personas.trainee.user).get(outcomes_url(personas)).status_code == 404
    assert as_user(personas.supervisor.user).get(outcomes_url(personas)).status_code == 200


def test_a_directive_withholding_medications_hides_their_events(personas, as_user, course):
    from therapia.clinical.models import Medication, MedicationChange

    medication = Medication.objects.create(
        practice=personas.practice, client=personas.dana, name="Sertraline", dose="50 mg",
        frequency="once daily", started_on=dt.date(2026, 1, 14),
        external_prescriber="Dr Gee (GP)", recorded_by=personas.owner)
    MedicationChange.objects.create(
        practice=personas.practice, medication=medication, kind="started",
        changed_by=personas.owner, changed_at=START + dt.timedelta(days=9), revision=1,
        name="Sertraline", dose="50 mg", route="oral", frequency="once daily",
        started_on=dt.date(2026, 1, 14))
    page = as_user(personas.supervisor.user).get(outcomes_url(personas)).context["page"]
    assert [label for _, _, label in page.outcome_for("phq9").events] == ["Medication started"]
    directive_record(actor=personas.actor("owner"), client=personas.dana,
                     category=RecordCategory.MEDICATIONS, blocked_membership=personas.supervisor,
                     blocked_role="", starts_on=dt.date(2026, 1, 1), ends_on=None)
    page = as_user(personas.supervisor.user).get(outcomes_url(personas)).context["page"]
    assert list(page.outcome_for("phq9").events) == []
    assert "Sertraline" not in as_user(personas.owner.user).get(
        outcomes_url(personas)).content.decode()  # the name never shows, only the kind


def test_reading_the_outcomes_is_audited(personas, as_user, course):
    before = AuditEvent.objects.count()
    as_user(personas.owner.user).get(outcomes_url(personas))
    rows = list(AuditEvent.objects.order_by("seq")[before:])
    listed = [r for r in rows if r.object_type == "measures.Administration"]
    assert len(listed) == 1
    assert listed[0].action == Action.LIST and listed[0].client_id == personas.dana.pk
    assert sorted(listed[0].fields) == ["band", "completed_at", "instrument_id", "total"]


def _queries(http, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        assert http.get(url).status_code == 200
    return len(captured)


def test_query_count_does_not_grow_with_the_number_of_scores(personas, as_user,
                                                             django_assert_num_queries):
    http = as_user(personas.owner.user)
    episode = make_episode(personas.dana)
    weekly_course(episode, personas.owner, [16, 14, 12], [12, 10, 8])
    few = _queries(http, outcomes_url(personas))
    weekly_course(episode, personas.owner, list(range(20, 0, -1)), list(range(20, 0, -1)))
    many = _queries(http, outcomes_url(personas))
    assert few == many
    with django_assert_num_queries(few):
        http.get(outcomes_url(personas))


def test_choosing_an_earlier_episode(personas, as_user):
    old = make_episode(personas.dana, opened_on=dt.date(2025, 3, 1),
                       discharged_on=dt.date(2025, 9, 1))
    weekly_course(old, personas.owner, [20, 15])
    make_episode(personas.dana)  # the open one, no scores yet
    http = as_user(personas.owner.user)
    current = http.get(outcomes_url(personas)).context["page"]
    assert current.episode.discharged_on is None and current.instruments == []
    earlier = http.get(outcomes_url(personas, episode=str(old.public_id))).context["page"]
    assert earlier.episode == old
    assert [p.value for p in earlier.outcome_for("phq9").trajectory.points] == [20, 15]
    assert http.get(outcomes_url(personas, episode="not-a-uuid")).status_code == 200
    other = make_episode(personas.outsider_client)
    assert http.get(outcomes_url(personas, episode=str(other.public_id))).status_code == 404


def test_a_client_without_an_episode(personas, as_user):
    response = as_user(personas.owner.user).get(outcomes_url(personas))
    assert response.status_code == 200
    assert "There is no episode of care yet" in response.content.decode()


def test_client_version_in_plain_words(personas, as_user, course):
    url = reverse("measures_outcomes:client_version", args=[personas.dana.public_id])
    response = as_user(personas.owner.user).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your scores have gone down from 16 to 8 \u2014 lower is better." in html
    assert 'data-audience="client"' in html
    for jargon in ("Reliable", "reliable", "cut-off", "not on track", "RCI", "caseness"):
        assert jargon not in html


def test_the_practice_curve_replaces_the_default_once_it_has_enough_episodes(personas):
    from therapia.core import factories
    from therapia.measures import library
    from therapia.measures.expected_recovery import MIN_EPISODES_PER_BAND
    from therapia.measures.tests.outcome_data import complete, phq9_items
    from therapia.measures.trajectory_selectors import practice_curve

    phq9 = library.get("phq9")
    assert practice_curve(personas.practice.pk, phq9) is None  # no data: the default
    for n in range(MIN_EPISODES_PER_BAND):
        client = factories.ClientFactory.create(practice=personas.practice)
        episode = make_episode(client)
        intake = 15 + n % 5  # all in the moderately severe band (15-19)
        for week, total in enumerate((intake, intake - 2 - n % 3, intake - 4 - n % 4)):
            complete(episode, personas.owner, "phq9", phq9_items(total),
                     START + dt.timedelta(weeks=week))
    curve = practice_curve(personas.practice.pk, phq9)
    assert curve is not None
    assert curve.curves["Moderately severe"].source == f"fitted ({MIN_EPISODES_PER_BAND} episodes)"
    assert curve.curves["Moderately severe"].slope < 0  # scores fell
    assert curve.curves["Mild"].source.startswith("default")  # too few there: the default
