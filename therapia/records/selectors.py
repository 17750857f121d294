"""Reads of psychotherapy notes. Each goes through pn_policy and leaves an audit row that
names its legal basis; a note the actor has no basis for does not exist for them (404)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import Client
from therapia.clients.selectors import client_get_for
from therapia.records import pn_policy
from therapia.records.models import LegalBasis, PsychotherapyNote
from therapia.records.services import note_plaintext
from therapia.scheduling.models import Appointment
from therapia.security import crypto
from therapia.security.actor import Actor
from therapia.security.policy import Access

NAME_FIELDS = ("legal_given_name", "legal_family_name", "preferred_name")
PN_TYPE = PsychotherapyNote._meta.label
RECENT_SESSIONS = 20


@dataclass(frozen=True)
class ReadNote:
    note: PsychotherapyNote
    body: str | None  # None when the note's key was destroyed (crypto-shredded)
    basis: LegalBasis
    gone: str = ""


@dataclass(frozen=True)
class NotesPage:
    client: Client
    own: list[ReadNote]
    supervised: list[PsychotherapyNote]  # links only: the supervisor opens each one
    can_write: bool


def _decrypted(note: PsychotherapyNote, basis: LegalBasis) -> ReadNote:
    try:
        return ReadNote(note=note, body=note_plaintext(note), basis=basis)
    except crypto.DataKeyDestroyed as gone:
        return ReadNote(note=note, body=None, basis=basis, gone=str(gone))


def psychotherapy_notes_page(*, actor: Actor, client_public_id: uuid.UUID) -> NotesPage:
    """The actor's own notes for a client, decrypted; and, for a supervisor of record, the
    notes of their supervisees for the client (PN-3: nobody else learns that notes exist)."""
    client = client_get_for(actor=actor, public_id=client_public_id, need=Access.CLINICAL,
                            purpose=Purpose.TREATMENT, fields=NAME_FIELDS)
    notes = (PsychotherapyNote.objects.filter(client=client)
             .select_related("appointment", "author__user").order_by("-written_at"))
    mine = list(notes.filter(author=actor.membership))
    for note in mine:
        note.client = client  # one client: no query per note
    with crypto.key_cache():  # one unwrap for the page
        own = [_decrypted(note, LegalBasis.ORIGINATOR) for note in mine]
    audit_record(actor=actor, action=Action.LIST, purpose=Purpose.TREATMENT,
                 object_type=PN_TYPE, client=client,
                 fields=["body"], legal_basis=LegalBasis.ORIGINATOR)
    supervised = list(notes.filter(author__in=pn_policy.supervisees_of(actor)))
    if supervised:
        audit_record(actor=actor, action=Action.LIST, purpose=Purpose.TREATMENT,
                     object_type=PN_TYPE, client=client,
                     fields=["written_at"], legal_basis=LegalBasis.TRAINING)
    return NotesPage(client=client, own=own, supervised=supervised,
                     can_write=pn_policy.can_write_psychotherapy_note(actor, client))


def psychotherapy_note_read(*, actor: Actor, public_id: uuid.UUID) -> ReadNote:
    note = (PsychotherapyNote.objects
            .select_related("client", "appointment", "author__user")
            .filter(public_id=public_id, client__practice=actor.practice).first())
    if note is None:
        raise Http404("No such note")
    basis = pn_policy.read_basis(actor, note)
    if basis is None:  # refused: logged for the privacy officer, without the client
        audit_record(actor=actor, action=Action.DENIED, purpose=Purpose.TREATMENT, obj=note,
                     fields=["body"])
        raise Http404("No such note")
    reading = _decrypted(note, basis)
    audit_record(actor=actor, action=Action.READ, purpose=Purpose.TREATMENT, obj=note,
                 client=note.client, fields=["body"], legal_basis=basis)
    return reading


def sessions_for_note(*, actor: Actor, client: Client) -> QuerySet[Appointment]:
    """The actor's recent sessions with the client (started already), to link a note to."""
    recent = (Appointment.objects.filter(clients=client, clinicians=actor.membership,
                                         practice_id=client.practice_id,
                                         starts_at__lte=timezone.now())
              .order_by("-starts_at").values_list("pk", flat=True)[:RECENT_SESSIONS])
    return Appointment.objects.filter(pk__in=list(recent)).order_by("-starts_at")
