"""Treatment plans: measurable goals, the intervention catalogue, immutable versions with a
diff, refusals (no goals, bad targets, past review dates, concurrent revisions), the paper
sign-off, the due-for-review list and its e-mail, access (404s) and audit rows."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from therapia.audit.models import Action, AuditEvent
from therapia.clients.contributions import client_links, timeline_events
from therapia.clients.models import Episode, EpisodeStatus
from therapia.core.testing import Personas
from therapia.records import plan_services
from therapia.records.catalogues import INSTRUMENT_BY_ID, MODALITIES
from therapia.records.models import PlanSignOff, TreatmentPlan, TreatmentPlanVersion
from therapia.records.plan_services import Goal, PlanContent, PlanTerms, Problem
from therapia.records.tasks import send_plan_review_reminders

PERSONAS = ["owner", "colleague", "outsider", "front_desk", "trainee", "supervisor", "researcher"]
CARE_TEAM = {"owner", "trainee", "supervisor"}


def canary() -> str:
    return f"CANARY-PLAN-{uuid.uuid4()}"


def content(problem: str = "Low mood", target: int = 10) -> PlanContent:
    return PlanContent(problems=(Problem(text=problem, goals=(
        Goal(text="Feel less low most days", interventions=("cbt", "ba"), measure="phq9",
             direction="below", target=target),)),))


def terms(days: int = 60, frequency: str = "weekly") -> PlanTerms:
    return PlanTerms(frequency=frequency, session_format="individual", delivery="in_person",
                     review_on=timezone.localdate() + dt.timedelta(days=days))


def save(personas: Personas, persona: str = "owner", seen: int = 0, **kwargs: Any
         ) -> TreatmentPlan:
    return plan_services.plan_save(
        actor=personas.actor(persona), client=personas.dana,
        content=kwargs.pop("content", content()), terms=kwargs.pop("terms", terms()),
        seen_number=seen)


def form_data(*, seen: int, goal: str = "Feel less low most days", target: str = "10",
              problem: str = "Low mood", review: dt.date | None = None, rows: int = 3
              ) -> dict[str, Any]:
    data: dict[str, Any] = {
        "seen": str(seen), "goal-TOTAL_FORMS": str(rows), "goal-INITIAL_FORMS": "0",
        "goal-MIN_NUM_FORMS": "0", "goal-MAX_NUM_FORMS": "12",
        "goal-0-problem": problem, "goal-0-goal": goal, "goal-0-measure": "phq9" if goal else "",
        "goal-0-direction": "below", "goal-0-target": target if goal else "",
        "goal-0-interventions": ["cbt"] if goal else [],
        "frequency": "weekly", "session_format": "individual", "delivery": "in_person",
        "review_on": (review or timezone.localdate() + dt.timedelta(days=60)).isoformat(),
    }
    return data


def plan_url(name: str, personas: Personas) -> str:
    return reverse(f"records:{name}", args=[personas.dana.public_id])


def test_the_catalogues_are_data_with_plain_descriptions() -> None:
    keys = {m.key for m in MODALITIES}
    assert {"cbt", "ba", "dbt", "act", "emdr", "ipt", "psychodynamic", "person_centred",
            "family_systems", "couple", "play", "art", "music", "drama", "group"} <= keys
    assert all(m.description and len(m.description) < 120 for m in MODALITIES)
    assert set(INSTRUMENT_BY_ID) == {"phq9", "phq-a", "gad7", "pcl5", "core10", "wsas", "audit",
                                     "auditc", "dast10", "k10", "dass21", "sdq", "ors", "srs"}


def test_writing_and_revising_through_the_pages(personas: Personas, as_user) -> None:
    first_goal, second_goal = canary(), canary()
    http = as_user(personas.owner.user)
    assert "No treatment plan yet" in http.get(plan_url("plan", personas)).content.decode()
    assert http.get(plan_url("plan_edit", personas)).status_code == 200
    response = http.post(plan_url("plan_edit", personas), form_data(seen=0, goal=first_goal))
    plan = TreatmentPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("records:plan_version", args=[plan.public_id, 1])
    version = plan.versions.get()
    assert version.goal_count == 1 and first_goal.encode() not in bytes(version.content)
    page = http.get(plan_url("plan", personas)).content.decode()
    assert first_goal in page and "PHQ-9 below 10" in page
    assert "Cognitive behavioural therapy (CBT)" in page

    response = http.post(plan_url("plan_edit", personas),
                         form_data(seen=1, goal=second_goal, target="5"))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.current_number == 2 and plan.versions.count() == 2
    diff = http.get(reverse("records:plan_version", args=[plan.public_id, 2])).content.decode()
    assert f"Removed:   Goal: {first_goal} (PHQ-9 below 10)" in diff
    assert f"Added:   Goal: {second_goal} (PHQ-9 below 5)" in diff
    old = http.get(reverse("records:plan_version", args=[plan.public_id, 1])).content.decode()
    assert first_goal in old and second_goal not in old  # version 1 is unchanged


def test_a_plan_without_goals_is_refused_with_a_clear_message(personas: Personas,
                                                              as_user) -> None:
    with pytest.raises(ValidationError, match="needs at least one goal"):
        save(personas, content=PlanContent())
    response = as_user(personas.owner.user).post(plan_url("plan_edit", personas),
                                                 form_data(seen=0, goal="", problem=""))
    assert response.status_code == 422
    assert "A treatment plan needs at least one goal" in response.content.decode()
    assert not TreatmentPlan.objects.exists() and not TreatmentPlanVersion.objects.exists()


def test_the_database_refuses_a_version_without_goals(personas: Personas) -> None:
    plan = save(personas)
    with pytest.raises(IntegrityError), transaction.atomic():
        TreatmentPlanVersion.objects.create(
            plan=plan, number=2, content=b"x", goal_count=0, frequency="weekly",
            session_format="individual", delivery="in_person",
            review_on=timezone.localdate(), created_by=personas.owner)


@pytest.mark.parametrize(("bad", "message"), [
    (PlanContent(problems=(Problem("Worry", (Goal("Worry less", ("cbt",), "nope", "below", 5),)),)),
     "Unknown questionnaire"),
    (content(target=40), "scores run from 0 to 27"),
    (PlanContent(problems=(Problem("Worry", (Goal("Worry less", ()),)),)),
     "at least one intervention"),
    (PlanContent(problems=(Problem("Worry", (Goal("Worry less", ("made_up",)),)),)),
     "from the catalogue"),
])
def test_bad_goals_are_refused(personas: Personas, bad: PlanContent, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        save(personas, content=bad)
    assert not TreatmentPlan.objects.exists()


def test_invalid_review_dates_are_refused_beside_the_field(personas: Personas,
                                                          as_user) -> None:
    with pytest.raises(ValidationError):
        save(personas, terms=terms(days=-1))
    with pytest.raises(ValidationError):
        save(personas, terms=terms(days=400))
    response = as_user(personas.owner.user).post(
        plan_url("plan_edit", personas),
        form_data(seen=0, review=timezone.localdate() - dt.timedelta(days=3)))
    assert response.status_code == 422
    assert 'id="id_review_on_error"' in response.content.decode()
    assert not TreatmentPlan.objects.exists()


def test_a_row_missing_its_interventions_is_shown_beside_the_field(personas: Personas,
                                                                   as_user) -> None:
    data = form_data(seen=0)
    data["goal-0-interventions"] = []
    response = as_user(personas.owner.user).post(plan_url("plan_edit", personas), data)
    assert response.status_code == 422
    assert 'id="id_goal-0-interventions_error"' in response.content.decode()


def test_a_concurrent_revision_is_refused_not_overwritten(personas: Personas,
                                                          as_user) -> None:
    save(personas)
    save(personas, seen=1, content=content(target=8))
    with pytest.raises(plan_services.EditConflict):
        save(personas, seen=1, content=content(target=5))
    response = as_user(personas.owner.user).post(plan_url("plan_edit", personas),
                                                 form_data(seen=1, target="5"))
    assert response.status_code == 422
    assert "Someone changed this plan" in response.content.decode()
    assert TreatmentPlan.objects.get().current_number == 2


def test_an_unchanged_save_adds_no_version(personas: Personas) -> None:
    save(personas)
    assert save(personas, seen=1).current_number == 1


def test_the_plan_belongs_to_the_open_episode(personas: Personas) -> None:
    episode = Episode.objects.create(practice=personas.practice, client=personas.dana,
                                     status=EpisodeStatus.IN_TREATMENT,
                                     opened_on=timezone.localdate() - dt.timedelta(days=20))
    assert save(personas).episode == episode


def test_the_clients_paper_sign_off(personas: Personas, as_user) -> None:
    plan = save(personas)
    http = as_user(personas.owner.user)
    sign = reverse("records:plan_sign_off", args=[plan.public_id])
    future = {"number": "1", "signed_on": (timezone.localdate() + dt.timedelta(days=1))
              .isoformat(), "witnessed_by": str(personas.front_desk.public_id)}
    response = http.post(sign, future)
    assert response.status_code == 422 and 'id="id_signed_on_error"' in response.content.decode()
    today = {**future, "signed_on": timezone.localdate().isoformat()}
    assert http.post(sign, today).status_code == 302
    signed = PlanSignOff.objects.get()
    assert signed.witnessed_by == personas.front_desk and signed.recorded_by == personas.owner
    assert signed.method == "paper"
    assert "Signed on paper" in http.get(plan_url("plan", personas)).content.decode()
    with pytest.raises(ValidationError, match="already recorded"):
        plan_services.plan_sign_off_record(actor=personas.actor("owner"), plan=plan, number=1,
                                           signed_on=timezone.localdate(),
                                           witnessed_by=personas.owner)
    outsider = {**today, "witnessed_by": str(personas.outsider.public_id)}
    save(personas, seen=1, content=content(target=7))
    response = http.post(sign, {**outsider, "number": "2"})
    assert response.status_code == 422 and PlanSignOff.objects.count() == 1


# --- review reminders -------------------------------------------------------------------

def test_the_due_list_shows_the_clinicians_plans_due_soon(personas: Personas, as_user,
                                                          django_assert_num_queries) -> None:
    save(personas, terms=terms(days=3))
    due = reverse("records:plans_due")
    alice = as_user(personas.owner.user)
    alice.get(due)
    with django_assert_num_queries(QUERIES_DUE):
        body = alice.get(due).content.decode()
    assert "Dana Whitfield" in body
    for persona in ("colleague", "front_desk", "researcher", "outsider"):
        other = as_user(getattr(personas, persona).user).get(due).content.decode()
        assert "Dana" not in other


QUERIES_DUE = 12


def test_the_reminder_email_says_how_many_and_nothing_else(personas: Personas) -> None:
    save(personas, terms=terms(days=5))
    mail.outbox.clear()
    result = send_plan_review_reminders.enqueue()
    assert result.return_value == 1
    [message] = mail.outbox
    assert message.to == [personas.owner.user.email]
    assert "1 treatment plan" in message.body and "/records/plans/due/" in message.body
    for secret in ("Dana", "Whitfield", "Low mood", "PHQ", "CBT"):
        assert secret not in message.body and secret not in message.subject


def test_no_reminder_for_a_plan_due_later(personas: Personas) -> None:
    save(personas, terms=terms(days=30))
    mail.outbox.clear()
    assert send_plan_review_reminders.enqueue().return_value == 0
    assert mail.outbox == []


# --- access, links, timeline, audit -----------------------------------------------------

@pytest.mark.parametrize("persona", PERSONAS)
def test_plan_version_pages_answer_per_policy(personas: Personas, as_user,
                                              persona: str) -> None:
    plan = save(personas)
    http = as_user(getattr(personas, persona).user)
    response = http.get(reverse("records:plan_version", args=[plan.public_id, 1]))
    assert response.status_code == (200 if persona in CARE_TEAM else 404)
    sign = http.post(reverse("records:plan_sign_off", args=[plan.public_id]),
                     {"number": "1", "signed_on": timezone.localdate().isoformat(),
                      "witnessed_by": str(personas.owner.public_id)})
    assert sign.status_code == (302 if persona in CARE_TEAM else 404)


def test_unknown_plan_ids_and_versions_are_404(personas: Personas, as_user) -> None:
    plan = save(personas)
    http = as_user(personas.owner.user)
    assert http.get(reverse("records:plan_version", args=[uuid.uuid4(), 1])).status_code == 404
    assert http.get(reverse("records:plan_version", args=[plan.public_id, 9])).status_code == 404
    foreign = reverse("records:plan", args=[personas.outsider_client.public_id])
    assert http.get(foreign).status_code == 404


def test_links_and_timeline_in_plain_words(personas: Personas) -> None:
    episode = Episode.objects.create(practice=personas.practice, client=personas.dana,
                                     status=EpisodeStatus.IN_TREATMENT,
                                     opened_on=timezone.localdate() - dt.timedelta(days=20))
    plan = save(personas, terms=terms(days=10))
    save(personas, seen=1, content=content(target=7), terms=terms(days=10))
    links = {link.label: link for link in client_links(personas.actor("owner"), personas.dana)}
    assert links["Treatment plan"].note == f"review due {plan.review_on:%-d %B}"
    titles = [e.title for e in timeline_events(personas.actor("owner"), episode)
              if e.kind == "plan"]
    assert titles == ["Treatment plan revised (version 2)", "Treatment plan written"]
    for persona in ("front_desk", "researcher", "colleague"):
        assert not [e for e in timeline_events(personas.actor(persona), episode)
                    if e.kind == "plan"]


def test_writes_and_reads_are_audited_with_field_names_only(personas: Personas,
                                                            as_user) -> None:
    secret = canary()
    plan = save(personas, content=content(problem=secret))
    as_user(personas.owner.user).get(plan_url("plan", personas))
    rows = AuditEvent.objects.filter(client_id=personas.dana.pk,
                                     object_type__startswith="records.").order_by("seq")
    kinds = [(r.action, r.object_type) for r in rows]
    assert (Action.CREATE, "records.TreatmentPlan") in kinds
    assert (Action.CREATE, "records.TreatmentPlanVersion") in kinds
    assert (Action.READ, "records.TreatmentPlan") in kinds
    version_row = rows.get(object_type="records.TreatmentPlanVersion")
    assert set(version_row.fields) == {"content", "frequency", "session_format", "delivery",
                                       "review_on"}
    assert secret not in str(list(AuditEvent.objects.values()))
    as_user(personas.colleague.user).get(reverse("records:plan_version",
                                                 args=[plan.public_id, 1]))
    denied = AuditEvent.objects.get(action=Action.DENIED, object_id=str(plan.public_id))
    assert denied.client_id is None
