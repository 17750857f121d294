"""Reads of progress notes: scoped to the actor, audited (field names only), 404 otherwise.

A progress-note page never reads psychotherapy notes: those have their own selectors and
policy (selectors.py, pn_policy.py) and at most a link to the author's private page."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import Client
from therapia.clients.selectors import client_get_for
from therapia.records import note_policy, pn_policy
from therapia.records.models import (
    NoteStatus,
    ProgressNote,
    ProgressNoteAddendum,
    ProgressNoteVersion,
)
from therapia.records.note_services import addendum_plaintext, sections_plaintext
from therapia.records.note_templates import TEMPLATES, NoteTemplate, Section
from therapia.scheduling.models import Appointment
from therapia.security import crypto
from therapia.security.actor import Actor
from therapia.security.policy import Access

NOTE_TYPE = ProgressNote._meta.label
NAME_FIELDS = ("legal_given_name", "legal_family_name", "preferred_name")
RECENT_SESSIONS = 30


@dataclass(frozen=True)
class NotesPage:
    client: Client
    notes: list[ProgressNote]
    can_write: bool
    sessions: list[Appointment]  # the actor's sessions with the client that have no note


def client_notes_page(*, actor: Actor, client_public_id: uuid.UUID) -> NotesPage:
    """The client's progress notes (no text: dates, templates, states), newest first."""
    client = client_get_for(actor=actor, public_id=client_public_id, need=Access.CLINICAL,
                            purpose=Purpose.TREATMENT, fields=NAME_FIELDS)
    if not note_policy.can_read_notes_of(actor, client):  # a consent directive
        raise Http404("No such client")
    notes = list(ProgressNote.objects.filter(client=client)
                 .select_related("appointment", "author__user")
                 .order_by("-created_at"))
    audit_record(actor=actor, action=Action.LIST, purpose=Purpose.TREATMENT,
                 object_type=NOTE_TYPE, client=client, fields=["template", "status"])
    can_write = note_policy.can_write_note(actor, client)
    sessions = list(sessions_without_note(actor=actor, client=client)) if can_write else []
    return NotesPage(client=client, notes=notes, can_write=can_write, sessions=sessions)


def sessions_without_note(*, actor: Actor, client: Client) -> QuerySet[Appointment]:
    """The actor's recent sessions with the client, started already, not yet documented."""
    return (Appointment.objects.filter(clients=client, clinicians=actor.membership,
                                       practice_id=client.practice_id,
                                       starts_at__lte=timezone.now())
            .exclude(progress_notes__client=client)
            .order_by("-starts_at")[:RECENT_SESSIONS])


def session_for_note(*, actor: Actor, client: Client, public_id: uuid.UUID | None
                     ) -> Appointment | None:
    if public_id is None:
        return None
    return Appointment.objects.filter(public_id=public_id, clients=client,
                                      clinicians=actor.membership).first()


def note_get_for(*, actor: Actor, public_id: uuid.UUID) -> ProgressNote:
    """One note, or 404; a refused look-up is logged without naming the client."""
    note = (ProgressNote.objects
            .select_related("client", "appointment", "author__user", "cosigned_by__user",
                            "episode")
            .filter(public_id=public_id, practice_id=actor.practice.pk).first())
    if note is None:
        raise Http404("No such note")
    if not note_policy.can_read_note(actor, note):
        audit_record(actor=actor, action=Action.DENIED, purpose=Purpose.TREATMENT, obj=note,
                     fields=["sections"])
        raise Http404("No such note")
    return note


@dataclass(frozen=True)
class ReadSection:
    section: Section
    text: str


@dataclass(frozen=True)
class ReadAddendum:
    addendum: ProgressNoteAddendum
    text: str | None


@dataclass(frozen=True)
class NoteReading:
    note: ProgressNote
    template: NoteTemplate
    sections: list[ReadSection]
    raw: dict[str, str]
    addenda: list[ReadAddendum]
    versions: int
    gone: str = ""
    can_edit: bool = False
    can_cosign: bool = False
    can_add_addendum: bool = False
    can_write_pn: bool = False
    group_size: int = 0
    waited: dt.timedelta | None = field(default=None)


def _sections(template: NoteTemplate, raw: dict[str, str]) -> list[ReadSection]:
    return [ReadSection(section=s, text=raw.get(s.key, "")) for s in template.sections]


def note_read(*, actor: Actor, public_id: uuid.UUID, purpose: Purpose = Purpose.TREATMENT
              ) -> NoteReading:
    """The note's latest text and its addenda, decrypted; audited."""
    note = note_get_for(actor=actor, public_id=public_id)
    template = TEMPLATES[note.template]
    current = ProgressNoteVersion.objects.get(note=note, number=note.revision)
    addenda = list(note.addenda.select_related("author__user").order_by("written_at"))
    gone, raw, read_addenda = "", {}, []
    with crypto.key_cache():
        try:
            raw = sections_plaintext(client=note.client, version=current)
            read_addenda = [ReadAddendum(a, addendum_plaintext(client=note.client, addendum=a))
                            for a in addenda]
        except crypto.DataKeyDestroyed as destroyed:
            gone = str(destroyed)
            read_addenda = [ReadAddendum(a, None) for a in addenda]
    audit_record(actor=actor, action=Action.READ, purpose=purpose, obj=note,
                 client=note.client,
                 fields=["sections", *(["addenda"] if addenda else [])])
    waited = (timezone.now() - note.submitted_at
              if note.status == NoteStatus.PENDING_COSIGN and note.submitted_at else None)
    appointment = note.appointment
    return NoteReading(
        note=note, template=template, sections=_sections(template, raw), raw=raw,
        addenda=read_addenda, versions=note.revision, gone=gone,
        can_edit=note_policy.can_edit_note(actor, note),
        can_cosign=note_policy.can_cosign_note(actor, note),
        can_add_addendum=note_policy.can_add_addendum(actor, note),
        can_write_pn=pn_policy.can_write_psychotherapy_note(actor, note.client),
        group_size=appointment.clients.count() if appointment and appointment.group_id else 0,
        waited=waited,
    )


@dataclass(frozen=True)
class ReadVersion:
    version: ProgressNoteVersion
    sections: list[ReadSection]


def note_history(*, actor: Actor, public_id: uuid.UUID) -> tuple[ProgressNote, list[ReadVersion]]:
    """Every version of the note's text, newest first; audited."""
    note = note_get_for(actor=actor, public_id=public_id)
    template = TEMPLATES[note.template]
    versions = list(note.versions.select_related("saved_by__user").order_by("-number"))
    read: list[ReadVersion] = []
    with crypto.key_cache():
        for version in versions:
            try:
                raw = sections_plaintext(client=note.client, version=version)
            except crypto.DataKeyDestroyed:
                raw = {}
            read.append(ReadVersion(version=version, sections=_sections(template, raw)))
    audit_record(actor=actor, action=Action.READ, purpose=Purpose.TREATMENT, obj=note,
                 client=note.client, fields=["versions.sections"])
    return note, read


@dataclass(frozen=True)
class Waiting:
    note: ProgressNote
    waited: dt.timedelta


def cosign_queue(*, actor: Actor) -> list[Waiting]:
    """Notes of the actor's supervisees waiting for co-signature, longest wait first."""
    supervisees = pn_policy.supervisees_of(actor)
    pending = list(ProgressNote.objects
                   .filter(status=NoteStatus.PENDING_COSIGN, author__in=supervisees,
                           practice_id=actor.practice.pk)
                   .select_related("client", "author__user", "appointment")
                   .order_by("submitted_at"))
    audit_record(actor=actor, action=Action.LIST, purpose=Purpose.TREATMENT,
                 object_type=NOTE_TYPE, fields=["client", "template", "submitted_at"])
    now = timezone.now()
    return [Waiting(note=n, waited=now - (n.submitted_at or now)) for n in pending]
