"""Writes to clinical records (house rule 1): atomic, audited, policy-checked.

Psychotherapy note text is encrypted before the row is written; the plaintext never
reaches the database, the audit trail or a log.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from therapia.accounts.models import Membership
from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import Client
from therapia.records import pn_policy
from therapia.records.models import LegalBasis, PsychotherapyNote
from therapia.scheduling.models import Appointment
from therapia.security import crypto, policy
from therapia.security.actor import Actor
from therapia.security.models import SupervisionRecord

PN_LABEL = PsychotherapyNote._meta.label  # bound into every note's associated data
BODY_MAX_CHARS = 20_000


def note_ciphertext(*, note: PsychotherapyNote, text: str) -> bytes:
    return crypto.encrypt_text(
        client=note.client, key_class=crypto.KeyClass.PSYCHOTHERAPY_NOTES,
        model_label=PN_LABEL, record_id=note.public_id, field="body", plaintext=text,
    )


def note_plaintext(note: PsychotherapyNote) -> str:
    return crypto.decrypt_text(
        client=note.client, key_class=crypto.KeyClass.PSYCHOTHERAPY_NOTES,
        model_label=PN_LABEL, record_id=note.public_id, field="body", ciphertext=note.body,
    )


@transaction.atomic
def psychotherapy_note_create(
    *, actor: Actor, client: Client, body: str, appointment: Appointment | None = None
) -> PsychotherapyNote:
    if not pn_policy.can_write_psychotherapy_note(actor, client):
        raise PermissionDenied("Only a clinician on this client's care team can do this.")
    text = body.strip()
    if not text:
        raise ValidationError({"body": "Write the note, or leave this page without saving."})
    if len(text) > BODY_MAX_CHARS:
        raise ValidationError({"body": f"A note can be at most {BODY_MAX_CHARS} characters."})
    if appointment is not None and not (
        appointment.practice_id == client.practice_id
        and appointment.clients.filter(pk=client.pk).exists()
        and appointment.clinicians.filter(pk=actor.membership.pk).exists()
    ):
        raise ValidationError({"appointment": "Choose one of your sessions with this client."})
    note = PsychotherapyNote(client=client, appointment=appointment, author=actor.membership,
                             written_at=timezone.now(), legal_basis=LegalBasis.ORIGINATOR)
    note.body = note_ciphertext(note=note, text=text)
    note.save()
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.TREATMENT, obj=note,
                 client=client, fields=["body", "appointment"],
                 legal_basis=LegalBasis.ORIGINATOR)
    return note


@transaction.atomic
def supervision_start(*, actor: Actor, supervisor: Membership, supervisee: Membership,
                      starts_on: dt.date | None = None, ends_on: dt.date | None = None
                      ) -> SupervisionRecord:
    """Record that `supervisor` supervises `supervisee` (the practice owner records it).
    (Belongs in therapia/security/services.py, beside the model, once that file exists.)"""
    if not policy.can_manage_practice(actor):
        raise PermissionDenied("Only the practice owner can record supervision.")
    for member in (supervisor, supervisee):
        if member.practice_id != actor.practice.pk or not member.is_clinical:
            raise ValidationError("Both must be clinicians of this practice.")
    record = SupervisionRecord(practice=actor.practice, supervisor=supervisor,
                               supervisee=supervisee,
                               starts_on=starts_on or timezone.localdate(), ends_on=ends_on)
    record.full_clean()
    record.save()
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.OPERATIONS, obj=record,
                 fields=["supervisor", "supervisee", "starts_on", "ends_on"])
    return record


@transaction.atomic
def supervision_end(*, actor: Actor, record: SupervisionRecord,
                    ends_on: dt.date | None = None) -> SupervisionRecord:
    """End supervision: from `ends_on` (default today) the TRAINING basis is gone (TR-3)."""
    if not policy.can_manage_practice(actor) or record.practice_id != actor.practice.pk:
        raise PermissionDenied("Only the practice owner can record supervision.")
    record = SupervisionRecord.objects.select_for_update().get(pk=record.pk)
    record.ends_on = ends_on or timezone.localdate()
    record.full_clean()
    record.save(update_fields=["ends_on", "updated_at"])
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.OPERATIONS, obj=record,
                 fields=["ends_on"])
    return record
