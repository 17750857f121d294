"""Measurement plans: rules and their refusals, concurrent edits refused, the page for the
care team only; the job creates what is due before each session (lead time), at intake,
every n-th session, at discharge and at follow-up, once however often it runs, e-mails
the client without clinical content, and leaves paper-only instruments for paper entry."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from therapia.audit.models import AuditEvent
from therapia.clients.models import Episode, EpisodeStatus
from therapia.core import factories
from therapia.core.testing import Personas
from therapia.measures import plans
from therapia.measures.models import Administration, AdministrationStatus, Occasion
from therapia.measures.plans import RuleSpec
from therapia.measures.tests.linkdata import open_episode
from therapia.scheduling.models import Appointment, Purpose, Status

pytestmark = [pytest.mark.django_db, pytest.mark.urls("therapia.measures.tests.measures_urls")]
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def session(p: Personas, episode: Episode, days: float, purpose: str = Purpose.TREATMENT,
            status: str = Status.SCHEDULED) -> Appointment:
    starts = NOW + dt.timedelta(days=days)
    return factories.AppointmentFactory.create(
        practice=p.practice, episode=episode, purpose=purpose, status=status,
        starts_at=starts, ends_at=starts + dt.timedelta(minutes=50), clients=[p.dana],
        clinicians=[p.owner])


def plan(p: Personas, *rules: RuleSpec, lead: int = 48) -> Episode:
    episode = open_episode(p)
    plans.plan_save(actor=p.actor("owner"), episode=episode, rules=rules,
                    lead_time_hours=lead)
    return episode


def test_rules_are_checked(personas: Personas) -> None:
    episode = open_episode(personas)
    owner = personas.actor("owner")
    for bad, message in [
        (RuleSpec("phq99", Occasion.EVERY_SESSION), "choose a questionnaire"),
        (RuleSpec("phq9", Occasion.EVERY_NTH_SESSION, every_n=1), "from 2 to 12"),
        (RuleSpec("phq9", Occasion.FOLLOW_UP), "months after discharge"),
        (RuleSpec("phq9", Occasion.AD_HOC), "choose when"),
    ]:
        with pytest.raises(ValidationError, match=message):
            plans.plan_save(actor=owner, episode=episode, rules=[bad])
    with pytest.raises(ValidationError):
        plans.plan_save(actor=owner, episode=episode, rules=[], lead_time_hours=400)
    assert plans.plan_for(episode) is None


def test_a_plan_changed_meanwhile_is_refused(personas: Personas) -> None:
    episode = plan(personas, RuleSpec("phq9", Occasion.EVERY_SESSION))
    owner = personas.actor("owner")
    plans.plan_save(actor=owner, episode=episode, seen_version=1,
                    rules=[RuleSpec("gad7", Occasion.EVERY_SESSION)])
    with pytest.raises(plans.EditConflict):
        plans.plan_save(actor=owner, episode=episode, seen_version=1,
                        rules=[RuleSpec("phq9", Occasion.INTAKE)])
    saved = plans.plan_for(episode)
    assert saved is not None and [r.instrument_id for r in saved.rules.all()] == ["gad7"]
    assert AuditEvent.objects.filter(object_type="measures.MeasurementPlan").count() == 2


@pytest.mark.parametrize(("persona", "expected"), [
    ("owner", 200), ("trainee", 200), ("colleague", 404), ("front_desk", 404),
    ("outsider", 404), ("researcher", 404)])
def test_the_plan_page_is_for_the_care_team(personas: Personas, as_user, persona: str,  # type: ignore[no-untyped-def]
                                            expected: int) -> None:
    episode = open_episode(personas)
    url = reverse("measures:plan", args=[episode.public_id])
    http = as_user(getattr(personas, persona).user)
    assert http.get(url).status_code == expected
    posted = http.post(url, {"lead_time_hours": "24", "instrument_1": "phq9",
                             "occasion_1": "every_session"})
    assert posted.status_code == (302 if expected == 200 else 404)


def test_the_plan_form_names_what_is_missing(personas: Personas, as_user) -> None:  # type: ignore[no-untyped-def]
    episode = open_episode(personas)
    http = as_user(personas.owner.user)
    url = reverse("measures:plan", args=[episode.public_id])
    response = http.post(url, {"lead_time_hours": "24", "instrument_1": "phq9",
                               "occasion_1": "every_nth_session", "occasion_2": "intake"})
    body = response.content.decode()
    assert response.status_code == 422
    assert "Say every how many sessions" in body and "Choose a questionnaire." in body
    assert plans.plan_for(episode) is None


def test_links_go_out_before_each_session_within_the_lead_time_once(
        personas: Personas, mailoutbox: list,  # type: ignore[type-arg]
        django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    personas.dana.email = "dana@example.org"
    personas.dana.save()
    episode = plan(personas, RuleSpec("phq9", Occasion.EVERY_SESSION),
                   RuleSpec("gad7", Occasion.EVERY_SESSION), lead=48)
    soon = session(personas, episode, days=1)
    session(personas, episode, days=5)  # beyond the lead time
    session(personas, episode, days=1.5, status=Status.CANCELLED_CLIENT)
    with django_capture_on_commit_callbacks(execute=True):
        assert plans.send_due(NOW) == 2
        assert plans.send_due(NOW + dt.timedelta(hours=1)) == 0  # idempotent
    made = Administration.objects.filter(appointment=soon)
    assert sorted(made.values_list("instrument_id", flat=True)) == ["gad7", "phq9"]
    assert all(a.token_hash and a.expires_at == soon.ends_at + plans.AFTER_SESSION
               for a in made)
    (mail,) = mailoutbox  # one e-mail with both links
    assert mail.body.count("/portal/q/") == 2
    for word in ("phq", "gad", "anxiety", "depress", "dana"):
        assert word not in (mail.subject + mail.body).lower()
    assert AuditEvent.objects.filter(object_type="measures.Administration",
                                     action="create", actor_user_id=None).count() == 2


def test_intake_and_every_nth_session(personas: Personas) -> None:
    episode = plan(personas, RuleSpec("phq9", Occasion.INTAKE),
                   RuleSpec("gad7", Occasion.EVERY_NTH_SESSION, every_n=3), lead=24 * 14)
    first = session(personas, episode, days=1, purpose=Purpose.INTAKE)
    treatment = [session(personas, episode, days=2 + n) for n in range(5)]
    plans.send_due(NOW)
    intake = Administration.objects.get(instrument_id="phq9")
    assert (intake.appointment, intake.occasion_key) == (first, "intake")
    nth = Administration.objects.filter(instrument_id="gad7").order_by("appointment__starts_at")
    assert [a.appointment for a in nth] == [treatment[0], treatment[3]]  # sessions 1 and 4


def test_a_paper_only_instrument_waits_for_paper_entry(personas: Personas,
                                                       mailoutbox: list) -> None:  # type: ignore[type-arg]
    personas.dana.email = "dana@example.org"
    personas.dana.save()
    episode = plan(personas, RuleSpec("core10", Occasion.EVERY_SESSION))
    session(personas, episode, days=1)
    assert plans.send_due(NOW) == 1
    waiting = Administration.objects.get()
    assert waiting.token_hash is None and waiting.status == AdministrationStatus.SENT
    assert mailoutbox == []


def test_discharge_and_follow_up(personas: Personas) -> None:
    episode = plan(personas, RuleSpec("phq9", Occasion.DISCHARGE),
                   RuleSpec("phq9", Occasion.FOLLOW_UP, months_after=3),
                   RuleSpec("phq9", Occasion.EVERY_SESSION))
    Episode.objects.filter(pk=episode.pk).update(
        status=EpisodeStatus.DISCHARGED, discharged_on=dt.date(2026, 3, 1),
        discharge_reason="completed")
    assert plans.send_due(NOW) == 1
    assert Administration.objects.get().occasion_key == "discharge"
    with time_machine.travel(dt.datetime(2026, 5, 31, 9, tzinfo=dt.UTC), tick=False):
        assert plans.send_due() == 0  # not yet three months
    with time_machine.travel(dt.datetime(2026, 6, 2, 9, tzinfo=dt.UTC), tick=False):
        assert plans.send_due() == 1
        assert plans.send_due() == 0
    assert Administration.objects.filter(occasion_key="follow_up:3m").count() == 1


def test_the_task_runs_the_job(personas: Personas) -> None:
    from therapia.measures.tasks import send_due_questionnaires

    episode = plan(personas, RuleSpec("phq9", Occasion.EVERY_SESSION))
    with time_machine.travel(NOW, tick=False):
        session(personas, episode, days=1)
        assert send_due_questionnaires.call() == 1
    row = AuditEvent.objects.get(object_type="measures.Administration", action="create")
    assert row.actor_label == "system:measurement plans"
