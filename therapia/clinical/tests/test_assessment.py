"""Intake assessments: drafts, completion (signing), read-only after, addenda, audit rows,
encryption at rest, outsider 404s and bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from therapia.audit.models import AuditEvent
from therapia.clients.models import EpisodeStatus
from therapia.clinical import services
from therapia.clinical.models import MSE_DOMAINS, RISK_AREAS, Assessment, AssessmentStatus
from therapia.clinical.sealing import unseal
from therapia.clinical.tests.conftest import Clinical, make_episode

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def full_text(**changes: object) -> services.AssessmentText:
    mse = {domain: "wnl" for domain, _ in MSE_DOMAINS}
    mse["mood"] = "exception"
    values: dict[str, object] = {
        "narrative": {"presenting_problems": "Low mood for six months; poor sleep.",
                      "history_psychiatric": "One episode of depression at 22.",
                      "history_medical": "", "history_family": "Mother: depression.",
                      "history_social": "Lives alone; works as a nurse.",
                      "history_substance_use": "Alcohol 10 units a week.",
                      "formulation": "Loss of role after redundancy; withdrawal maintains.",
                      "recommended_treatment": "Behavioural activation, 12 sessions."},
        "mse": mse,
        "mse_notes": {"mood": "Low, 3/10 in her words."},
        "risk_levels": {area: "low" for area, _ in RISK_AREAS},
        "risk_plans": {area: "" for area, _ in RISK_AREAS},
        "assessed_on": TODAY(),
    }
    values.update(changes)
    return services.AssessmentText(**values)  # type: ignore[arg-type]


def started(c: Clinical) -> Assessment:
    return services.assessment_start(actor=c.actor("owner"), episode=c.episode)


def test_a_draft_is_saved_encrypted_and_completed(clinical: Clinical) -> None:
    owner = clinical.actor("owner")
    assessment = started(clinical)
    saved, changed = services.assessment_save_draft(actor=owner, assessment=assessment,
                                                    text=full_text(), seen_revision=1)
    assert "presenting_problems" in changed and "mse" in changed and saved.revision == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT presenting_problems FROM clinical_assessment WHERE id = %s",
                       [saved.pk])
        stored = bytes(cursor.fetchone()[0])
    assert b"Low mood" not in stored and stored  # ciphertext only
    assert unseal(saved, "presenting_problems") == "Low mood for six months; poor sleep."
    done = services.assessment_complete(actor=owner, assessment=saved, seen_revision=2)
    assert done.status == AssessmentStatus.COMPLETED and done.completed_by == clinical.p.owner
    assert services.assessment_text(done).mse_notes == {"mood": "Low, 3/10 in her words."}


def test_completing_records_the_episode_assessment_date(clinical: Clinical) -> None:
    owner = clinical.actor("owner")
    day = TODAY() - dt.timedelta(days=2)
    saved, _ = services.assessment_save_draft(actor=owner, assessment=started(clinical),
                                              text=full_text(assessed_on=day), seen_revision=1)
    services.assessment_complete(actor=owner, assessment=saved, seen_revision=saved.revision)
    clinical.episode.refresh_from_db()
    assert clinical.episode.status == EpisodeStatus.ASSESSMENT
    assert clinical.episode.assessed_on == day


def test_completion_names_what_is_missing(clinical: Clinical) -> None:
    owner = clinical.actor("owner")
    text = full_text(mse={"mood": "exception"}, mse_notes={},
                     risk_levels={"suicide": "high", "self_harm": "low"},
                     risk_plans={}, narrative={"presenting_problems": "x"})
    saved, _ = services.assessment_save_draft(actor=owner, assessment=started(clinical),
                                              text=text, seen_revision=1)
    with pytest.raises(ValidationError) as refused:
        services.assessment_complete(actor=owner, assessment=saved, seen_revision=2)
    errors = refused.value.message_dict
    assert "mse_mood_note" in errors and "mse_appearance" in errors
    assert "risk_suicide_plan" in errors and "risk_harm_to_others" in errors
    assert "formulation" in errors
    saved.refresh_from_db()
    assert saved.status == AssessmentStatus.DRAFT


def test_a_completed_assessment_is_read_only_and_takes_addenda(clinical: Clinical) -> None:
    owner = clinical.actor("owner")
    saved, _ = services.assessment_save_draft(actor=owner, assessment=started(clinical),
                                              text=full_text(), seen_revision=1)
    done = services.assessment_complete(actor=owner, assessment=saved, seen_revision=2)
    with pytest.raises(PermissionDenied):
        services.assessment_save_draft(actor=owner, assessment=done, text=full_text(),
                                       seen_revision=done.revision)
    addendum = services.assessment_addendum_add(actor=owner, assessment=done,
                                                body="Sleep history corrected: 5 hours.")
    assert unseal(addendum, "body") == "Sleep history corrected: 5 hours."
    with pytest.raises(ValidationError):
        services.assessment_addendum_add(actor=owner, assessment=done, body="   ")


def test_no_addendum_to_a_draft(clinical: Clinical) -> None:
    with pytest.raises(PermissionDenied):
        services.assessment_addendum_add(actor=clinical.actor("owner"),
                                         assessment=started(clinical), body="x")


def test_a_stale_draft_save_is_refused(clinical: Clinical) -> None:
    owner, trainee = clinical.actor("owner"), clinical.actor("trainee")
    assessment = started(clinical)
    services.assessment_save_draft(actor=trainee, assessment=assessment, text=full_text(),
                                   seen_revision=1)
    with pytest.raises(services.EditConflict):
        services.assessment_save_draft(actor=owner, assessment=assessment,
                                       text=full_text(narrative={"formulation": "mine"}),
                                       seen_revision=1)
    assert unseal(Assessment.objects.get(pk=assessment.pk), "formulation").startswith("Loss")


def test_bad_dates_are_refused(clinical: Clinical) -> None:
    owner = clinical.actor("owner")
    assessment = started(clinical)
    for day in (TODAY() + dt.timedelta(days=1), clinical.episode.opened_on - dt.timedelta(1)):
        with pytest.raises(ValidationError) as refused:
            services.assessment_save_draft(actor=owner, assessment=assessment,
                                           text=full_text(assessed_on=day), seen_revision=1)
        assert "assessed_on" in refused.value.message_dict


def test_one_assessment_per_episode_and_only_open_episodes(clinical: Clinical) -> None:
    started(clinical)
    with pytest.raises(ValidationError):
        started(clinical)
    closed = make_episode(clinical.p.outsider_client)  # another practice's episode
    with pytest.raises(PermissionDenied):
        services.assessment_start(actor=clinical.actor("owner"), episode=closed)


@pytest.mark.parametrize("who", ["colleague", "front_desk", "researcher", "outsider"])
def test_only_the_care_team_writes(clinical: Clinical, who: str) -> None:
    with pytest.raises(PermissionDenied):
        services.assessment_start(actor=clinical.actor(who), episode=clinical.episode)


def test_writes_leave_audit_rows_with_field_names_only(clinical: Clinical) -> None:
    owner = clinical.actor("owner")
    assessment = started(clinical)
    saved, _ = services.assessment_save_draft(actor=owner, assessment=assessment,
                                              text=full_text(), seen_revision=1)
    services.assessment_complete(actor=owner, assessment=saved, seen_revision=2)
    rows = list(AuditEvent.objects.filter(object_id=str(assessment.public_id))
                .order_by("seq").values_list("action", "fields"))
    assert [action for action, _ in rows] == ["create", "update", "update"]
    assert "presenting_problems" in rows[1][1]
    assert rows[2][1] == ["completed_at", "completed_by", "status"]
    assert not AuditEvent.objects.filter(fields__icontains="Low mood").exists()


# ------------------------------------------------------------------------------ the pages

def form_data(assessment: Assessment, **extra: str) -> dict[str, str]:
    data = {"revision": str(assessment.revision), "assessed_on": TODAY().isoformat(),
            "mse_all_wnl": "on", "mse_mood": "exception", "mse_mood_note": "Flat, tearful.",
            "presenting_problems": "Panic attacks on the bus.",
            "formulation": "Catastrophic misreading of bodily sensations.",
            "recommended_treatment": "CBT for panic, 10 sessions.", "action": "complete"}
    for area, _ in RISK_AREAS:
        data[f"risk_{area}"] = "none"
    data.update(extra)
    return data


def test_the_page_completes_with_the_all_wnl_shortcut(clinical: Clinical, as_user) -> None:
    assessment = started(clinical)
    http = as_user(clinical.p.owner.user)
    url = reverse("clinical:assessment", args=[assessment.public_id])
    assert http.get(url).status_code == 200
    response = http.post(url, form_data(assessment))
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.COMPLETED
    assert assessment.mse["mood"] == "exception" and assessment.mse["speech"] == "wnl"
    page = http.get(url)
    assert b"Flat, tearful." in page.content and b"Complete and sign" not in page.content


def test_the_page_shows_missing_parts_beside_fields_and_saves_nothing(
        clinical: Clinical, as_user) -> None:
    assessment = started(clinical)
    http = as_user(clinical.p.owner.user)
    url = reverse("clinical:assessment", args=[assessment.public_id])
    response = http.post(url, form_data(assessment, mse_mood_note="", risk_suicide="high"))
    assert response.status_code == 422
    assert b"Mood: describe the exception." in response.content
    assert b"a high risk needs a plan" in response.content
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT and assessment.revision == 1


def test_an_edit_of_a_signed_assessment_is_refused(clinical: Clinical, as_user) -> None:
    assessment = started(clinical)
    http = as_user(clinical.p.owner.user)
    url = reverse("clinical:assessment", args=[assessment.public_id])
    http.post(url, form_data(assessment))
    again = http.post(url, form_data(Assessment.objects.get(pk=assessment.pk),
                                     presenting_problems="changed", action="save"))
    assert again.status_code == 409 and b"cannot be changed" in again.content
    addendum = http.post(reverse("clinical:assessment_addendum", args=[assessment.public_id]),
                         {"body": "Corrected: panic on trains too.", "form_token": "x"})
    assert addendum.status_code == 302
    assert b"panic on trains" in http.get(url).content


def test_a_stale_form_is_refused_on_the_page(clinical: Clinical, as_user) -> None:
    assessment = started(clinical)
    services.assessment_save_draft(actor=clinical.actor("trainee"), assessment=assessment,
                                   text=full_text(), seen_revision=1)
    http = as_user(clinical.p.owner.user)
    response = http.post(reverse("clinical:assessment", args=[assessment.public_id]),
                         form_data(assessment, action="save"))
    assert response.status_code == 409 and b"Someone else saved" in response.content


def test_starting_from_the_client_page(clinical: Clinical, as_user) -> None:
    http = as_user(clinical.p.owner.user)
    url = reverse("clinical:assessments", args=[clinical.p.dana.public_id])
    response = http.post(url, {"episode": str(clinical.episode.public_id)})
    created = Assessment.objects.get(episode=clinical.episode)
    assert response.status_code == 302 and str(created.public_id) in response["Location"]
    retried = http.post(url, {"episode": str(clinical.episode.public_id)})
    assert retried.status_code == 302 and Assessment.objects.count() == 1


@pytest.mark.parametrize("who", ["colleague", "outsider", "front_desk", "researcher"])
def test_an_assessment_is_404_for_those_off_the_care_team(clinical: Clinical, as_user,
                                                           who: str) -> None:
    assessment = started(clinical)
    http = as_user(clinical.member(who).user)
    for name in ("clinical:assessment", "clinical:assessment_addendum"):
        url = reverse(name, args=[assessment.public_id])
        assert (http.get(url) if name == "clinical:assessment" else http.post(url)
                ).status_code in (404, 405)
    assert http.get(reverse("clinical:assessment", args=[assessment.public_id])
                    ).status_code == 404
    assert http.post(reverse("clinical:assessment_addendum", args=[assessment.public_id]),
                     {"body": "x"}).status_code == 404


def test_reading_an_assessment_is_audited(clinical: Clinical, as_user) -> None:
    assessment = started(clinical)
    as_user(clinical.p.trainee.user).get(reverse("clinical:assessment",
                                                 args=[assessment.public_id]))
    row = AuditEvent.objects.filter(object_id=str(assessment.public_id),
                                    action="read").get()
    assert row.actor_label == "tara@example.org" and "formulation" in row.fields
