"""Progress notes: templates, draft -> signed -> locked, versions, addenda, co-signature,
concurrent drafts, group privacy (GR-1), access (404s), audit rows, encryption."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from therapia.audit.models import Action, AuditEvent
from therapia.clients.contributions import client_links, timeline_events
from therapia.clients.models import CareRole, Client, Episode, EpisodeStatus
from therapia.core import factories
from therapia.core.testing import Personas
from therapia.records import note_services, services
from therapia.records.models import (
    NOTE_TRANSITIONS,
    NoteStatus,
    ProgressNote,
    ProgressNoteAddendum,
    ProgressNoteVersion,
    PsychotherapyNote,
)
from therapia.records.note_templates import GROUP_SUMMARY, TEMPLATES, Template
from therapia.scheduling.models import Appointment, SessionKind, TherapyGroup

PERSONAS = ["owner", "colleague", "outsider", "front_desk", "trainee", "supervisor", "researcher"]
CARE_TEAM = {"owner", "trainee", "supervisor"}


def canary() -> str:
    return f"CANARY-NOTE-{uuid.uuid4()}"


def session(personas: Personas, clinician: str = "owner", client: Client | None = None,
            hours_ago: int = 2, **extra: object) -> Appointment:
    return factories.AppointmentFactory.create(
        practice=personas.practice, clinicians=[getattr(personas, clinician)],
        clients=[client or personas.dana],
        starts_at=timezone.now() - dt.timedelta(hours=hours_ago), **extra)


def soap(text: str = "", **overrides: str) -> dict[str, str]:
    sections = {"subjective": f"Reports a better week. {text}", "objective": "Calm, engaged.",
                "assessment": "Progressing with CBT.", "risk": "No risk issues.",
                "plan": "Continue the activity diary."}
    return {**sections, **overrides}


def draft(personas: Personas, persona: str = "owner", text: str = "",
          appointment: Appointment | None = None) -> ProgressNote:
    return note_services.progress_note_create(
        actor=personas.actor(persona), client=personas.dana, template=Template.SOAP,
        sections=soap(text), appointment=appointment or session(personas, persona))


def supervise(personas: Personas) -> None:
    services.supervision_start(actor=personas.actor("owner"), supervisor=personas.supervisor,
                               supervisee=personas.trainee)


def url(name: str, obj: object) -> str:
    return reverse(f"records:{name}", args=[obj.public_id])  # type: ignore[attr-defined]


# --- templates and the state machine ----------------------------------------------------

def test_every_template_has_sections_with_prompts_and_a_risk_section() -> None:
    assert set(TEMPLATES) == {t.value for t in Template}
    for template in TEMPLATES.values():
        assert template.sections and all(s.prompt and s.label for s in template.sections)
        assert any(s.key == "risk" and s.required for s in template.sections)


def test_the_transition_table_is_the_only_way_between_states() -> None:
    assert NOTE_TRANSITIONS[NoteStatus.DRAFT] == {NoteStatus.SIGNED, NoteStatus.PENDING_COSIGN}
    assert NOTE_TRANSITIONS[NoteStatus.PENDING_COSIGN] == {NoteStatus.SIGNED, NoteStatus.DRAFT}
    assert NOTE_TRANSITIONS[NoteStatus.SIGNED] == {NoteStatus.LOCKED}
    assert NOTE_TRANSITIONS[NoteStatus.LOCKED] == frozenset()


def test_writing_and_signing_through_the_pages(personas: Personas, as_user) -> None:
    text = canary()
    appointment = session(personas)
    http = as_user(personas.owner.user)
    query = f"?template=soap&session={appointment.public_id}"
    form = http.get(url("note_new", personas.dana) + query)
    assert form.status_code == 200 and "Subjective" in form.content.decode()
    response = http.post(url("note_new", personas.dana),
                         {"template": "soap", "session": str(appointment.public_id),
                          "form_token": str(uuid.uuid4()), **soap(text)})
    note = ProgressNote.objects.get()
    assert response.status_code == 302 and response["Location"] == url("note", note)
    assert note.status == NoteStatus.DRAFT and note.appointment == appointment
    assert note.revision == 1 and note.versions.count() == 1
    assert text.encode() not in bytes(note.versions.get().sections)  # ciphertext only

    response = http.post(url("note_edit", note), {"revision": "1", "action": "sign", **soap(text)})
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.status == NoteStatus.LOCKED  # THERAPIA_NOTE_LOCK_HOURS defaults to 0
    assert note.signed_at and note.locked_at and note.revision == 1
    page = http.get(url("note", note)).content.decode()
    assert text in page and "Locked" in page


def test_signing_needs_every_required_section(personas: Personas, as_user) -> None:
    note = draft(personas)
    http = as_user(personas.owner.user)
    response = http.post(url("note_edit", note),
                         {"revision": "1", "action": "sign", **soap(plan="")})
    assert response.status_code == 422
    assert 'id="id_plan_error"' in response.content.decode()
    note.refresh_from_db()
    assert note.status == NoteStatus.DRAFT and note.revision == 1  # nothing half-saved


def test_a_draft_may_be_partial_but_not_empty(personas: Personas) -> None:
    with pytest.raises(ValidationError):
        note_services.progress_note_create(
            actor=personas.actor("owner"), client=personas.dana, template=Template.DAP,
            sections={}, appointment=session(personas))
    note = note_services.progress_note_create(
        actor=personas.actor("owner"), client=personas.dana, template=Template.DAP,
        sections={"data": "Only this so far"}, appointment=session(personas))
    assert note.status == NoteStatus.DRAFT


def test_edits_to_a_signed_note_are_refused_with_a_clear_message(personas: Personas,
                                                                  as_user) -> None:
    note = draft(personas)
    note_services.progress_note_sign(actor=personas.actor("owner"), note=note, seen_revision=1)
    with pytest.raises(ValidationError, match="write an addendum"):
        note_services.progress_note_update(actor=personas.actor("owner"), note=note,
                                           sections=soap("changed"), seen_revision=1)
    with pytest.raises(ValidationError, match="signed"):
        note_services.progress_note_sign(actor=personas.actor("owner"), note=note,
                                         seen_revision=1)
    http = as_user(personas.owner.user)
    response = http.post(url("note_edit", note), {"revision": "1", **soap("changed")})
    assert response.status_code == 409
    assert "write an addendum" in response.content.decode()
    assert ProgressNoteVersion.objects.filter(note=note).count() == 1


def test_every_saved_version_is_kept(personas: Personas, as_user) -> None:
    first, second = canary(), canary()
    note = draft(personas, text=first)
    owner = personas.actor("owner")
    note_services.progress_note_update(actor=owner, note=note, sections=soap(second),
                                       seen_revision=1)
    note_services.progress_note_update(actor=owner, note=note, sections=soap(second),
                                       seen_revision=2)  # unchanged: no new version
    note.refresh_from_db()
    assert note.revision == 2
    assert list(note.versions.values_list("number", flat=True)) == [1, 2]
    history = as_user(personas.owner.user).get(url("note_history", note)).content.decode()
    assert first in history and second in history


def test_concurrent_edits_of_one_draft_are_refused_not_overwritten(personas: Personas,
                                                                   as_user) -> None:
    mine, theirs = canary(), canary()
    note = draft(personas)
    owner = personas.actor("owner")
    note_services.progress_note_update(actor=owner, note=note, sections=soap(theirs),
                                       seen_revision=1)  # another tab saved first
    with pytest.raises(note_services.EditConflict):
        note_services.progress_note_update(actor=owner, note=note, sections=soap(mine),
                                           seen_revision=1)
    response = as_user(personas.owner.user).post(url("note_edit", note),
                                                 {"revision": "1", **soap(mine)})
    assert response.status_code == 422
    body = response.content.decode()
    assert "Someone saved this note after you opened it" in body
    assert mine in body  # the editor's text is kept on the page
    assert 'name="revision" value="2"' in body
    note.refresh_from_db()
    assert note.revision == 2
    assert theirs in note_services.sections_plaintext(
        client=personas.dana, version=note.versions.get(number=2))["subjective"]


def test_only_the_author_edits_a_draft(personas: Personas) -> None:
    note = draft(personas)
    with pytest.raises(PermissionDenied):
        note_services.progress_note_update(actor=personas.actor("supervisor"), note=note,
                                           sections=soap("x"), seen_revision=1)


def test_a_note_documents_one_of_the_authors_sessions_once(personas: Personas) -> None:
    theirs = session(personas, "colleague")
    with pytest.raises(ValidationError, match="your sessions"):
        draft(personas, appointment=theirs)
    mine = session(personas)
    draft(personas, appointment=mine)
    with pytest.raises(ValidationError, match="already has a note"):
        draft(personas, appointment=mine)
    future = session(personas, hours_ago=-48)
    with pytest.raises(ValidationError, match="once the session has started"):
        draft(personas, appointment=future)


def test_a_note_joins_the_episode_open_on_the_session_day(personas: Personas) -> None:
    episode = Episode.objects.create(practice=personas.practice, client=personas.dana,
                                     status=EpisodeStatus.IN_TREATMENT,
                                     opened_on=timezone.localdate() - dt.timedelta(days=30))
    assert draft(personas).episode == episode


# --- addenda ----------------------------------------------------------------------------

def test_corrections_are_dated_addenda_only(personas: Personas, as_user) -> None:
    correction = canary()
    note = draft(personas)
    with pytest.raises(ValidationError, match="Addenda are for signed notes"):
        note_services.progress_note_addendum_add(actor=personas.actor("owner"), note=note,
                                                 body="too early")
    note_services.progress_note_sign(actor=personas.actor("owner"), note=note, seen_revision=1)
    http = as_user(personas.owner.user)
    response = http.post(url("note_addendum", note), {"body": correction})
    assert response.status_code == 302
    addendum = ProgressNoteAddendum.objects.get(note=note)
    assert correction.encode() not in bytes(addendum.body)
    assert addendum.written_at is not None and addendum.author == personas.owner
    page = http.get(url("note", note)).content.decode()
    assert correction in page
    assert note.versions.count() == 1  # the note's own text did not change
    empty = http.post(url("note_addendum", note), {"body": "  "})
    assert empty.status_code == 422 and 'id="id_body_error"' in empty.content.decode()


# --- trainees and co-signature ----------------------------------------------------------

def test_a_trainee_note_waits_for_the_supervisor_of_record(personas: Personas,
                                                           as_user) -> None:
    supervise(personas)
    note = draft(personas, "trainee")
    note_services.progress_note_sign(actor=personas.actor("trainee"), note=note,
                                     seen_revision=1)
    note.refresh_from_db()
    assert note.status == NoteStatus.PENDING_COSIGN and note.submitted_at
    assert not note.is_final and note.signed_at is None

    sam = as_user(personas.supervisor.user)
    queue = sam.get(reverse("records:cosign_queue")).content.decode()
    assert url("note", note) in queue and "Dana" in queue
    response = sam.post(url("note_cosign", note), {"action": "cosign"})
    assert response.status_code == 302
    note = ProgressNote.objects.get(pk=note.pk)
    assert note.status == NoteStatus.LOCKED and note.cosigned_by == personas.supervisor
    assert note.cosigned_at and note.signed_at
    assert url("note", note) not in sam.get(reverse("records:cosign_queue")).content.decode()


def test_only_the_supervisor_of_record_co_signs(personas: Personas, as_user) -> None:
    note = draft(personas, "trainee")
    note_services.progress_note_sign(actor=personas.actor("trainee"), note=note,
                                     seen_revision=1)
    # Sam is on Dana's care team but has no supervision record over Tara yet.
    response = as_user(personas.supervisor.user).post(url("note_cosign", note))
    assert response.status_code == 409
    assert url("note", note) not in as_user(personas.supervisor.user).get(
        reverse("records:cosign_queue")).content.decode()
    for persona in ("owner", "trainee"):
        with pytest.raises(PermissionDenied):
            note_services.progress_note_cosign(actor=personas.actor(persona), note=note)
    note.refresh_from_db()
    assert note.status == NoteStatus.PENDING_COSIGN


def test_the_supervisor_may_return_a_note_for_changes(personas: Personas, as_user) -> None:
    supervise(personas)
    note = draft(personas, "trainee")
    note_services.progress_note_sign(actor=personas.actor("trainee"), note=note,
                                     seen_revision=1)
    with pytest.raises(ValidationError, match="waiting for co-signature"):
        note_services.progress_note_update(actor=personas.actor("trainee"), note=note,
                                           sections=soap("x"), seen_revision=1)
    as_user(personas.supervisor.user).post(url("note_cosign", note), {"action": "return"})
    note.refresh_from_db()
    assert note.status == NoteStatus.DRAFT and note.submitted_at is None
    note_services.progress_note_update(actor=personas.actor("trainee"), note=note,
                                       sections=soap("better"), seen_revision=1)


def test_the_queue_shows_how_long_each_note_waited(personas: Personas, as_user) -> None:
    supervise(personas)
    note = draft(personas, "trainee")
    note_services.progress_note_sign(actor=personas.actor("trainee"), note=note,
                                     seen_revision=1)
    ProgressNote.objects.filter(pk=note.pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=2, hours=3))
    page = as_user(personas.supervisor.user).get(reverse("records:cosign_queue"))
    assert "2\xa0days, 3\xa0hours" in page.content.decode()


def test_with_a_lock_delay_a_signed_note_locks_later(personas: Personas, settings) -> None:
    settings.THERAPIA_NOTE_LOCK_HOURS = 24
    note = draft(personas)
    note_services.progress_note_sign(actor=personas.actor("owner"), note=note, seen_revision=1)
    note.refresh_from_db()
    assert note.status == NoteStatus.SIGNED and note.locked_at is None
    assert note_services.progress_notes_lock_due() == 0
    later = timezone.now() + dt.timedelta(hours=25)
    assert note_services.progress_notes_lock_due(now=later) == 1
    note.refresh_from_db()
    assert note.status == NoteStatus.LOCKED and note.locked_at == later
    row = AuditEvent.objects.filter(object_id=str(note.public_id)).latest("seq")
    assert row.actor_user_id is None and set(row.fields) == {"status", "locked_at"}


# --- group sessions (GR-1, GR-2) --------------------------------------------------------

def group_of_three(personas: Personas) -> tuple[Appointment, list[Client]]:
    members = [personas.dana]
    for given, family in (("Mabel", "Quartermaine"), ("Oskar", "Lindqvist")):
        member = factories.ClientFactory.create(practice=personas.practice,
                                                legal_given_name=given,
                                                legal_family_name=family)
        factories.CareTeamFactory.create(client=member, membership=personas.owner,
                                         role=CareRole.PRIMARY)
        members.append(member)
    group = TherapyGroup.objects.create(practice=personas.practice, name="Mood skills")
    appointment = factories.AppointmentFactory.create(
        practice=personas.practice, kind=SessionKind.GROUP, group=group,
        clinicians=[personas.owner], clients=members,
        starts_at=timezone.now() - dt.timedelta(hours=3))
    return appointment, members


def test_the_group_summary_may_name_no_member(personas: Personas) -> None:
    appointment, members = group_of_three(personas)
    parts = {m.pk: {"participation": "Took part."} for m in members}
    for summary in ("Mabel led the role play.", "Worked on QUARTERMAINE's example.",
                    "Dana's homework was discussed."):
        with pytest.raises(ValidationError, match="must name no one"):
            note_services.group_notes_save(actor=personas.actor("owner"),
                                           appointment=appointment, summary=summary,
                                           parts=parts)
    assert not ProgressNote.objects.exists()


def test_a_members_part_may_not_name_another_member(personas: Personas) -> None:
    appointment, members = group_of_three(personas)
    parts = {m.pk: {"participation": "Took part."} for m in members}
    parts[personas.dana.pk] = {"participation": "Dana argued with Oskar about the task."}
    with pytest.raises(ValidationError, match="Oskar"):
        note_services.group_notes_save(actor=personas.actor("owner"), appointment=appointment,
                                       summary="Behavioural activation: planning.",
                                       parts=parts)
    assert not ProgressNote.objects.exists()  # nothing half-saved


def test_each_member_sees_only_their_part_and_the_summary(personas: Personas,
                                                          as_user) -> None:
    appointment, members = group_of_three(personas)
    summary = f"Session on activity scheduling. {canary()}"
    own = {m.pk: f"Own part {canary()}" for m in members}
    http = as_user(personas.owner.user)
    form = http.get(url("group_note", appointment)).content.decode()
    assert all(m.display_name in form for m in members)  # GR-2: the facilitator sees the roster
    data = {GROUP_SUMMARY: summary, **{f"m{m.pk}": own[m.pk] for m in members}}
    assert http.post(url("group_note", appointment), data).status_code == 302
    notes = {n.client_id: n for n in ProgressNote.objects.all()}
    assert set(notes) == {m.pk for m in members}
    assert all(n.template == Template.GROUP for n in notes.values())
    dana_note = notes[personas.dana.pk]
    page = http.get(url("note", dana_note)).content.decode()
    assert summary in page and own[personas.dana.pk] in page
    for other in members[1:]:
        assert own[other.pk] not in page
        assert other.legal_given_name not in page and other.legal_family_name not in page
    assert "3 members booked" in page  # a count, not names
    # The shared summary is encrypted under each member's own key.
    raw = [bytes(n.versions.get().sections) for n in notes.values()]
    assert len(set(raw)) == 3 and all(summary.encode() not in r for r in raw)


def test_the_group_template_is_only_for_group_sessions(personas: Personas) -> None:
    with pytest.raises(ValidationError, match="group template"):
        note_services.progress_note_create(
            actor=personas.actor("owner"), client=personas.dana, template=Template.GROUP,
            sections={"participation": "x"}, appointment=session(personas))


# --- access: 404s, front desk, researcher -----------------------------------------------

@pytest.mark.parametrize("persona", PERSONAS)
def test_note_pages_answer_per_policy(personas: Personas, as_user, persona: str) -> None:
    note = draft(personas, text=canary())
    note_services.progress_note_sign(actor=personas.actor("owner"), note=note, seen_revision=1)
    http = as_user(getattr(personas, persona).user)
    for name in ("note", "note_history"):
        response = http.get(url(name, note))
        assert response.status_code == (200 if persona in CARE_TEAM else 404), name


@pytest.mark.parametrize("persona", ["colleague", "outsider", "front_desk", "researcher"])
def test_no_write_reaches_a_note_the_persona_cannot_see(personas: Personas, as_user,
                                                        persona: str) -> None:
    note = draft(personas)
    http = as_user(getattr(personas, persona).user)
    assert http.get(url("note_edit", note)).status_code == 404
    assert http.post(url("note_edit", note), {"revision": "1", **soap()}).status_code == 404
    assert http.post(url("note_cosign", note)).status_code == 404
    assert http.post(url("note_addendum", note), {"body": "x"}).status_code == 404
    assert http.post(url("note_new", personas.dana),
                     {"template": "soap", **soap()}).status_code == 404
    assert ProgressNote.objects.count() == 1 and note.versions.count() == 1
    assert not ProgressNoteAddendum.objects.exists()


def test_unknown_and_foreign_note_ids_are_404(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)
    assert http.get(reverse("records:note", args=[uuid.uuid4()])).status_code == 404
    foreign_session = factories.AppointmentFactory.create(
        practice=personas.other_practice, clinicians=[personas.outsider],
        clients=[personas.outsider_client], starts_at=timezone.now() - dt.timedelta(hours=1))
    theirs = note_services.progress_note_create(
        actor=personas.actor("outsider"), client=personas.outsider_client,
        template=Template.SOAP, sections=soap(), appointment=foreign_session)
    for name in ("note", "note_history", "note_edit"):
        assert http.get(url(name, theirs)).status_code == 404
    assert http.get(url("group_note", foreign_session)).status_code == 404


def test_front_desk_and_researcher_see_none_of_it(personas: Personas) -> None:
    episode = Episode.objects.create(practice=personas.practice, client=personas.dana,
                                     status=EpisodeStatus.IN_TREATMENT,
                                     opened_on=timezone.localdate() - dt.timedelta(days=30))
    note = draft(personas)
    note_services.progress_note_sign(actor=personas.actor("owner"), note=note, seen_revision=1)
    for persona in ("front_desk", "researcher", "colleague"):
        actor = personas.actor(persona)
        assert not [link for link in client_links(actor, personas.dana)
                    if link.label in {"Notes", "Treatment plan"}]
        assert not [e for e in timeline_events(actor, episode) if e.kind == "note"]
    owner_links = {link.label: link for link in client_links(personas.actor("owner"),
                                                             personas.dana)}
    assert owner_links["Notes"].note.startswith("last signed")
    events = [e for e in timeline_events(personas.actor("owner"), episode) if e.kind == "note"]
    day = timezone.localtime(note.appointment.starts_at)  # type: ignore[union-attr]
    assert [e.title for e in events] == [f"SOAP note signed for the session of {day:%-d %B}"]


# --- audit, idempotency, the list page --------------------------------------------------

def test_every_write_and_read_leaves_an_audit_row_with_field_names_only(
        personas: Personas, as_user) -> None:
    text = canary()
    note = draft(personas, text=text)
    owner = personas.actor("owner")
    note_services.progress_note_update(actor=owner, note=note, sections=soap(text + "2"),
                                       seen_revision=1)
    note_services.progress_note_sign(actor=owner, note=note, seen_revision=2)
    addendum = note_services.progress_note_addendum_add(actor=owner, note=note, body=text)
    as_user(personas.owner.user).get(url("note", note))
    rows = AuditEvent.objects.filter(object_id=str(note.public_id)).order_by("seq")
    assert [(r.action, sorted(r.fields)) for r in rows] == [
        (Action.CREATE, ["appointment", "episode", "sections", "template"]),
        (Action.UPDATE, ["sections"]),
        (Action.UPDATE, ["locked_at", "signed_at", "status"]),
        (Action.READ, ["addenda", "sections"]),
    ]
    assert all(r.client_id == personas.dana.pk for r in rows)
    added = AuditEvent.objects.get(object_id=str(addendum.public_id))
    assert added.action == Action.CREATE and set(added.fields) == {"body", "note"}
    assert text not in str(list(AuditEvent.objects.values()))


def test_a_refused_read_is_logged_without_the_client(personas: Personas, as_user) -> None:
    note = draft(personas)
    as_user(personas.colleague.user).get(url("note", note))
    row = AuditEvent.objects.get(action=Action.DENIED, object_id=str(note.public_id))
    assert row.client_id is None and row.actor_user_id == personas.colleague.user.pk


def test_a_retried_submission_is_stored_once(personas: Personas, as_user) -> None:
    appointment = session(personas)
    data = {"template": "soap", "session": str(appointment.public_id),
            "form_token": str(uuid.uuid4()), **soap()}
    http = as_user(personas.owner.user)
    first, second = http.post(url("note_new", personas.dana), data), \
        http.post(url("note_new", personas.dana), data)
    assert ProgressNote.objects.count() == 1 and first["Location"] == second["Location"]


def test_the_list_shows_states_without_text(personas: Personas, as_user,
                                            django_assert_num_queries) -> None:
    text = canary()
    signed = draft(personas, text=text)
    note_services.progress_note_sign(actor=personas.actor("owner"), note=signed,
                                     seen_revision=1)
    http = as_user(personas.owner.user)
    list_url = url("notes", personas.dana)
    http.get(list_url)  # warm the session
    with django_assert_num_queries(QUERIES_LIST) as captured:
        body = http.get(list_url).content.decode()
    assert "Locked" in body and text not in body and captured
    for _ in range(3):
        draft(personas)
    with django_assert_num_queries(QUERIES_LIST):
        assert http.get(list_url).content.decode().count("Draft") == 3


QUERIES_LIST = 21


# --- psychotherapy notes stay apart (PN-1) ----------------------------------------------

def test_a_psychotherapy_note_attaches_to_the_session_and_never_joins_the_progress_note(
        personas: Personas, as_user) -> None:
    private, public = f"CANARY-PN-{uuid.uuid4()}", canary()
    note = draft(personas, text=public)
    http = as_user(personas.owner.user)
    page = http.get(url("note", note)).content.decode()
    attach = (reverse("records:psychotherapy_notes", args=[personas.dana.public_id])
              + f"?session={note.appointment.public_id}")  # type: ignore[union-attr]
    assert attach in page
    form = http.get(attach).content.decode()
    assert f'value="{note.appointment.public_id}" selected' in form  # type: ignore[union-attr]
    http.post(attach, {"body": private, "form_token": str(uuid.uuid4()),
                       "appointment": str(note.appointment.public_id)})  # type: ignore[union-attr]
    pn = PsychotherapyNote.objects.get()
    assert pn.appointment == note.appointment
    for name in ("note", "note_history", "note_edit"):
        body = http.get(url(name, note)).content.decode()
        assert private not in body and str(pn.public_id) not in body
    assert private not in http.get(url("notes", personas.dana)).content.decode()
    assert public not in http.get(reverse("records:psychotherapy_note",
                                          args=[pn.public_id])).content.decode()


def test_a_consent_directive_withholds_the_notes_but_not_the_plan(personas: Personas,
                                                                  as_user) -> None:
    from therapia.security.models import ConsentDirective, RecordCategory

    note = draft(personas)
    ConsentDirective.objects.create(
        practice=personas.practice, client=personas.dana, category=RecordCategory.NOTES,
        blocked_membership=personas.trainee, starts_on=timezone.localdate(),
        recorded_by=personas.owner)
    http = as_user(personas.trainee.user)
    assert http.get(url("notes", personas.dana)).status_code == 404
    assert http.get(url("note", note)).status_code == 404
    assert http.get(url("plan", personas.dana)).status_code == 200
    labels = {link.label for link in client_links(personas.actor("trainee"), personas.dana)}
    assert "Notes" not in labels and "Treatment plan" in labels
    assert as_user(personas.owner.user).get(url("note", note)).status_code == 200
