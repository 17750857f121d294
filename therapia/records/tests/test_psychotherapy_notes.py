"""Psychotherapy notes: their own privacy class (PN-1..PN-4, TR-1, TR-3; spec T-06, T-15)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from therapia.accounts.models import Membership
from therapia.audit.models import Action, AuditEvent, Purpose
from therapia.clients.models import Client
from therapia.core import factories
from therapia.core.testing import Personas
from therapia.records import services
from therapia.records.models import LegalBasis, PsychotherapyNote
from therapia.scheduling.models import Appointment
from therapia.security.models import ClientDataKey

PERSONAS = ["owner", "colleague", "outsider", "front_desk", "trainee", "supervisor", "researcher"]


def canary() -> str:
    return f"CANARY-PN-{uuid.uuid4()}"


def write(personas: Personas, persona: str, text: str, client: Client | None = None):
    return services.psychotherapy_note_create(actor=personas.actor(persona),
                                              client=client or personas.dana, body=text)


def note_url(note: PsychotherapyNote) -> str:
    return reverse("records:psychotherapy_note", args=[note.public_id])


def list_url(client: Client) -> str:
    return reverse("records:psychotherapy_notes", args=[client.public_id])


def supervise(personas: Personas, **dates):
    return services.supervision_start(actor=personas.actor("owner"),
                                      supervisor=personas.supervisor,
                                      supervisee=personas.trainee, **dates)


@pytest.mark.parametrize("persona", PERSONAS)
def test_t06_only_the_author_reads_a_trainee_note(personas: Personas, as_user,
                                                   persona: str) -> None:
    text = canary()
    note = write(personas, "trainee", text)
    response = as_user(getattr(personas, persona).user).get(note_url(note))
    if persona == "trainee":
        assert response.status_code == 200 and text in response.content.decode()
    else:  # the owner, the supervisor without a supervision record, everyone else
        assert response.status_code == 404
        assert text.encode() not in response.content


@pytest.mark.parametrize("persona", PERSONAS)
def test_t06_the_practice_owner_note_is_hers_alone(personas: Personas, as_user,
                                                   persona: str) -> None:
    note = write(personas, "owner", canary())
    supervise(personas)  # Sam supervises Tara, not Alice: no basis for Alice's notes
    status = as_user(getattr(personas, persona).user).get(note_url(note)).status_code
    assert status == (200 if persona == "owner" else 404)


def test_unknown_and_other_practice_ids_are_404(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)
    assert http.get(reverse("records:psychotherapy_note", args=[uuid.uuid4()])).status_code == 404
    theirs = write(personas, "outsider", "x", client=personas.outsider_client)
    assert http.get(note_url(theirs)).status_code == 404
    assert http.get(list_url(personas.outsider_client)).status_code == 404


def test_every_read_is_audited_with_its_legal_basis(personas: Personas, as_user) -> None:
    text = canary()
    note = write(personas, "trainee", text)
    created = AuditEvent.objects.get(action=Action.CREATE, object_id=str(note.public_id))
    assert created.purpose == Purpose.TREATMENT and "basis:ORIGINATOR" in created.fields
    as_user(personas.trainee.user).get(note_url(note))
    row = AuditEvent.objects.get(action=Action.READ, object_id=str(note.public_id))
    assert row.actor_user_id == personas.trainee.user.pk
    assert row.client_id == personas.dana.pk and row.purpose == Purpose.TREATMENT
    assert row.object_type == "records.PsychotherapyNote"
    assert set(row.fields) == {"body", "basis:ORIGINATOR"}
    assert text not in str(list(AuditEvent.objects.values()))  # T-23: no note text in audit


def test_a_refused_read_is_logged_without_naming_the_client(personas: Personas,
                                                            as_user) -> None:
    note = write(personas, "trainee", canary())
    as_user(personas.colleague.user).get(note_url(note))
    row = AuditEvent.objects.get(action=Action.DENIED, object_id=str(note.public_id))
    assert row.actor_user_id == personas.colleague.user.pk and row.client_id is None


def test_t15_supervisor_reads_while_supervision_is_active(personas: Personas, as_user) -> None:
    text = canary()
    note = write(personas, "trainee", text)
    record = supervise(personas)
    http = as_user(personas.supervisor.user)

    response = http.get(note_url(note))
    assert response.status_code == 200
    assert text in response.content.decode()
    assert "Supervised training program" in response.content.decode()
    row = AuditEvent.objects.get(action=Action.READ, object_id=str(note.public_id))
    assert row.actor_user_id == personas.supervisor.user.pk
    assert row.purpose == Purpose.TREATMENT and "basis:TRAINING" in row.fields

    services.supervision_end(actor=personas.actor("owner"), record=record)  # TR-3: today
    assert http.get(note_url(note)).status_code == 404


def test_t15_supervision_not_yet_started_or_of_someone_else_gives_nothing(
        personas: Personas, as_user) -> None:
    note = write(personas, "trainee", canary())
    supervise(personas, starts_on=timezone.localdate() + dt.timedelta(days=1))
    http = as_user(personas.supervisor.user)
    assert http.get(note_url(note)).status_code == 404
    colleague_trainee = factories.MembershipFactory.create(practice=personas.practice,
                                                           role="trainee")
    services.supervision_start(actor=personas.actor("owner"), supervisor=personas.supervisor,
                               supervisee=colleague_trainee)
    assert http.get(note_url(note)).status_code == 404


def test_t15_a_deactivated_supervisor_loses_access(personas: Personas, as_user) -> None:
    note = write(personas, "trainee", canary())
    supervise(personas)
    http = as_user(personas.supervisor.user)
    assert http.get(note_url(note)).status_code == 200
    Membership.objects.filter(pk=personas.trainee.pk).update(is_active=False)
    assert http.get(note_url(note)).status_code == 404


def test_the_author_off_the_care_team_loses_access(personas: Personas, as_user) -> None:
    note = write(personas, "trainee", canary())
    personas.dana.care_team.filter(membership=personas.trainee).update(
        ended_on=timezone.localdate())
    assert as_user(personas.trainee.user).get(note_url(note)).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_pn3_the_notes_page_answers_per_policy(personas: Personas, as_user,
                                                persona: str) -> None:
    response = as_user(getattr(personas, persona).user).get(list_url(personas.dana))
    on_care_team = {"owner", "trainee", "supervisor"}
    assert response.status_code == (200 if persona in on_care_team else 404)


def test_pn3_others_do_not_learn_that_notes_exist(personas: Personas, as_user) -> None:
    text = canary()
    note = write(personas, "trainee", text)
    for persona in ("owner", "supervisor"):  # on Dana's care team, no supervision record
        body = as_user(getattr(personas, persona).user).get(list_url(personas.dana)).content
        assert text.encode() not in body
        assert str(note.public_id).encode() not in body
        assert b"You have written no psychotherapy notes" in body
        assert b"people you supervise" not in body


def test_the_author_sees_her_notes_and_a_supervisor_of_record_sees_links(
        personas: Personas, as_user) -> None:
    text = canary()
    note = write(personas, "trainee", text)
    mine = as_user(personas.trainee.user).get(list_url(personas.dana)).content.decode()
    assert text in mine and "What was said" not in mine
    supervise(personas)
    theirs = as_user(personas.supervisor.user).get(list_url(personas.dana)).content.decode()
    assert note_url(note) in theirs and text not in theirs  # a link; opening it is audited
    listed = AuditEvent.objects.filter(action=Action.LIST, object_type="records.PsychotherapyNote",
                                       actor_user_id=personas.supervisor.user.pk)
    assert any("basis:TRAINING" in row.fields for row in listed)


def test_pn2_the_form_carries_the_banner(personas: Personas, as_user) -> None:
    body = as_user(personas.owner.user).get(list_url(personas.dana)).content.decode()
    for item in ("medication prescribed", "session start and stop times",
                 "modality and frequency", "results of clinical tests",
                 "diagnosis, functional status, treatment plan, symptoms, prognosis"):
        assert item in body


def test_writing_a_note_stores_ciphertext_only(personas: Personas, as_user) -> None:
    text = canary()
    session = factories.AppointmentFactory.create(
        practice=personas.practice, clients=[personas.dana], clinicians=[personas.trainee],
        starts_at=timezone.now() - dt.timedelta(hours=2))
    http = as_user(personas.trainee.user)
    response = http.post(list_url(personas.dana), {"body": text, "form_token": str(uuid.uuid4()),
                                                   "appointment": str(session.public_id)})
    note = PsychotherapyNote.objects.get()
    assert response.status_code == 302 and response["Location"] == note_url(note)
    assert note.author == personas.trainee and note.appointment == session
    assert note.legal_basis == LegalBasis.ORIGINATOR
    assert text.encode() not in bytes(note.body)
    key = ClientDataKey.objects.get(client=personas.dana, key_class="psychotherapy_notes")
    assert key.master_key_id
    assert text in http.get(note_url(note)).content.decode()


def test_errors_re_render_beside_the_fields_and_nothing_is_stored(personas: Personas,
                                                                   as_user) -> None:
    http = as_user(personas.owner.user)
    response = http.post(list_url(personas.dana), {"body": "   ", "form_token": str(uuid.uuid4())})
    assert response.status_code == 422
    assert 'id="id_body_error"' in response.content.decode()
    someone_elses = factories.AppointmentFactory.create(practice=personas.practice,
                                                        clients=[personas.dana],
                                                        clinicians=[personas.colleague])
    response = http.post(list_url(personas.dana), {"body": "fine", "form_token": str(uuid.uuid4()),
                                                   "appointment": str(someone_elses.public_id)})
    assert response.status_code == 422
    assert 'id="id_appointment_error"' in response.content.decode()
    assert not PsychotherapyNote.objects.exists()


def test_t46_a_retried_submission_is_stored_once(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)
    data = {"body": canary(), "form_token": str(uuid.uuid4())}
    first = http.post(list_url(personas.dana), data)
    second = http.post(list_url(personas.dana), data)
    assert PsychotherapyNote.objects.count() == 1
    assert first["Location"] == second["Location"]


class Interrupted(Exception):
    pass


def test_t45_a_note_and_its_audit_row_commit_together(personas: Personas) -> None:
    with pytest.raises(Interrupted), transaction.atomic():
        write(personas, "owner", canary())
        raise Interrupted  # e.g. the request dies after the service returned
    assert not PsychotherapyNote.objects.exists()
    assert not AuditEvent.objects.filter(object_type="records.PsychotherapyNote").exists()
    assert not ClientDataKey.objects.exists()  # the data key made for it went too


def test_front_desk_cannot_post_a_note(personas: Personas, as_user) -> None:
    response = as_user(personas.front_desk.user).post(
        list_url(personas.dana), {"body": "x", "form_token": str(uuid.uuid4())})
    assert response.status_code == 404
    assert not PsychotherapyNote.objects.exists()


def test_t10_never_on_the_client_overview_or_list(personas: Personas, as_user) -> None:
    text = canary()
    write(personas, "trainee", text)
    write(personas, "owner", text + "-owner")
    for persona in ("owner", "trainee", "supervisor", "front_desk"):
        http = as_user(getattr(personas, persona).user)
        overview = http.get(reverse("clients:overview", args=[personas.dana.public_id]))
        listing = http.get(reverse("clients:list"))
        for page in (overview, listing):
            assert page.status_code == 200
            assert b"CANARY-PN" not in page.content
        # The clinical card links to the actor's own notes page, never with a count.
        has_link = list_url(personas.dana).encode() in overview.content
        assert has_link == (persona != "front_desk")


def test_t10_nothing_reaches_psychotherapy_notes_from_a_client() -> None:
    """Exports and the FHIR bundle walk a client's relations: none leads to these notes."""
    for model in (Client, Appointment, Membership):
        assert not [f for f in model._meta.get_fields()
                    if f.related_model is PsychotherapyNote], model
    assert "django.contrib.admin" not in settings.INSTALLED_APPS  # T-05: no admin surface


def test_pages_are_never_cached(personas: Personas, as_user) -> None:
    note = write(personas, "owner", canary())
    http = as_user(personas.owner.user)
    for url in (list_url(personas.dana), note_url(note)):
        assert "no-store" in http.get(url)["Cache-Control"]


def test_the_notes_page_query_count_does_not_grow(personas: Personas, as_user,
                                                  django_assert_num_queries,
                                                  django_assert_max_num_queries) -> None:
    http = as_user(personas.trainee.user)
    write(personas, "trainee", "first")
    http.get(list_url(personas.dana))  # warm the session
    with django_assert_max_num_queries(40) as first:
        http.get(list_url(personas.dana))
    for n in range(10):
        write(personas, "trainee", f"note {n}")
    with django_assert_num_queries(len(first.captured_queries)):
        http.get(list_url(personas.dana))
