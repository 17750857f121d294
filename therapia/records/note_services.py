"""Writes to progress notes (house rule 1): atomic, policy-checked, audited, encrypted.

Decisions (docs/decisions/0006-progress-notes-and-plans.md):
- Every save of a draft is a version (ProgressNoteVersion), not only the signed text: the
  record shows what the note said at each point, and the version number is the optimistic
  lock that refuses a concurrent edit of the same draft.
- The text of a note never changes after it leaves DRAFT. A signed note locks after
  NOTE_LOCK_AFTER (setting THERAPIA_NOTE_LOCK_HOURS, default 0: at once); until then it is
  signed but not yet releasable (exports, the portal). Corrections, before and after the
  lock, are dated addenda only.
- A trainee's signature sends the note to PENDING_COSIGN; the supervisor of record co-signs
  it or returns it to draft with the text unchanged.
- Group sessions: every member has a note of their own. The group summary is written once
  (group_notes_save) and copied into each member's note, encrypted under that member's data
  key, so shredding one member's record destroys exactly their copy; it must name no
  member, and a member's own part must name no other member (GR-1).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import Client, Episode
from therapia.records import note_policy
from therapia.records.models import (
    NOTE_TRANSITIONS,
    NoteStatus,
    ProgressNote,
    ProgressNoteAddendum,
    ProgressNoteVersion,
)
from therapia.records.note_templates import GROUP_SUMMARY, TEMPLATES, Template
from therapia.scheduling.models import Appointment, SessionKind
from therapia.security import crypto
from therapia.security.actor import Actor

VERSION_LABEL = ProgressNoteVersion._meta.label
ADDENDUM_LABEL = ProgressNoteAddendum._meta.label
SECTION_MAX_CHARS = 10_000
ADDENDUM_MAX_CHARS = 10_000
SIGNED_MESSAGE = ("This note is signed, so its text can no longer be changed. To correct or "
                  "add to it, write an addendum: it is dated and kept with the note.")
CONFLICT_MESSAGE = ("Someone saved this note after you opened it. Your text is below: "
                    "compare it with the latest version, then save again.")


def lock_after() -> dt.timedelta:
    return dt.timedelta(hours=float(getattr(settings, "THERAPIA_NOTE_LOCK_HOURS", 0)))


class EditConflict(Exception):
    """The draft was saved by someone else after this edit began."""


# --- encryption -------------------------------------------------------------------------

def sections_ciphertext(*, client: Client, version: ProgressNoteVersion,
                        sections: Mapping[str, str]) -> bytes:
    return crypto.encrypt_text(
        client=client, key_class=crypto.KeyClass.CLINICAL, model_label=VERSION_LABEL,
        record_id=version.public_id, field="sections",
        plaintext=json.dumps(dict(sections), ensure_ascii=False, sort_keys=True))


def sections_plaintext(*, client: Client, version: ProgressNoteVersion) -> dict[str, str]:
    text = crypto.decrypt_text(
        client=client, key_class=crypto.KeyClass.CLINICAL, model_label=VERSION_LABEL,
        record_id=version.public_id, field="sections", ciphertext=version.sections)
    loaded: dict[str, str] = json.loads(text)
    return loaded


def addendum_ciphertext(*, client: Client, addendum: ProgressNoteAddendum, text: str) -> bytes:
    return crypto.encrypt_text(
        client=client, key_class=crypto.KeyClass.CLINICAL, model_label=ADDENDUM_LABEL,
        record_id=addendum.public_id, field="body", plaintext=text)


def addendum_plaintext(*, client: Client, addendum: ProgressNoteAddendum) -> str:
    return crypto.decrypt_text(
        client=client, key_class=crypto.KeyClass.CLINICAL, model_label=ADDENDUM_LABEL,
        record_id=addendum.public_id, field="body", ciphertext=addendum.body)


# --- rules ------------------------------------------------------------------------------

def clean_sections(template: str, sections: Mapping[str, str], *,
                   for_signing: bool = False) -> dict[str, str]:
    """The template's sections, stripped; errors keyed by section."""
    spec = TEMPLATES[template]
    cleaned = {s.key: str(sections.get(s.key, "") or "").strip() for s in spec.sections}
    errors: dict[str, str] = {}
    for section in spec.sections:
        if len(cleaned[section.key]) > SECTION_MAX_CHARS:
            errors[section.key] = f"At most {SECTION_MAX_CHARS} characters."
        elif for_signing and section.required and not cleaned[section.key]:
            errors[section.key] = f"Fill in “{section.label}” before signing."
    if not errors and not any(cleaned.values()):
        errors[spec.sections[0].key] = "Write at least one section before saving."
    if errors:
        raise ValidationError(errors)
    return cleaned


def _name_parts(client: Client) -> set[str]:
    parts = {client.legal_given_name, client.legal_family_name, client.preferred_name}
    return {p.strip() for p in parts if p and len(p.strip()) >= 2}


def names_in(text: str, clients: Iterable[Client]) -> list[str]:
    """Roster names found in `text`: whole words, any case, also as possessive or plural."""
    found = {part for client in clients for part in _name_parts(client)
             if re.search(rf"(?<!\w){re.escape(part)}(?:['\u2019]s|s)?(?!\w)", text,
                          re.IGNORECASE)}
    return sorted(found)


def check_group_privacy(*, template: str, sections: Mapping[str, str], client: Client,
                        roster: list[Client]) -> None:
    """GR-1: the group summary names no member; a member's own part names no other member."""
    if template != Template.GROUP:
        return
    errors: dict[str, str] = {}
    named = names_in(sections.get(GROUP_SUMMARY, ""), roster)
    if named:
        errors[GROUP_SUMMARY] = ("The group summary is shared by every member's record, so it "
                                 f"must name no one. Remove: {', '.join(named)}.")
    others = [member for member in roster if member.pk != client.pk]
    for key, text in sections.items():
        if key == GROUP_SUMMARY:
            continue
        named = names_in(text, others)
        if named:
            errors[key] = ("This is one member's record: write “another member” instead of "
                           f"naming them. Remove: {', '.join(named)}.")
    if errors:
        raise ValidationError(errors)


def episode_for(client: Client, day: dt.date) -> Episode | None:
    """The client's episode of care that was open on `day`."""
    return (Episode.objects.filter(client=client, opened_on__lte=day)
            .filter(Q(discharged_on__isnull=True) | Q(discharged_on__gte=day))
            .order_by("-opened_on").first())


def _check_session(actor: Actor, client: Client, template: str,
                   appointment: Appointment | None) -> None:
    if appointment is None:
        if TEMPLATES[template].needs_session:
            raise ValidationError({"appointment": "Choose the session this note documents."})
        return
    if not (appointment.practice_id == client.practice_id
            and appointment.clients.filter(pk=client.pk).exists()
            and appointment.clinicians.filter(pk=actor.membership.pk).exists()):
        raise ValidationError({"appointment": "Choose one of your sessions with this client."})
    if appointment.starts_at > timezone.now():
        raise ValidationError({"appointment": "You can write the note once the session has "
                                              "started."})
    is_group = appointment.kind == SessionKind.GROUP
    if is_group != (template == Template.GROUP):
        raise ValidationError({"template": "Use the group template for a group session, and "
                                           "only for one."})
    if ProgressNote.objects.filter(appointment=appointment, client=client).exists():
        raise ValidationError({"appointment": "This session already has a note for this "
                                              "client: open that note instead."})


def _transition(note: ProgressNote, to: str) -> None:
    if to not in NOTE_TRANSITIONS[note.status]:
        if note.is_final:
            raise ValidationError(SIGNED_MESSAGE)
        raise ValidationError(f"A note that is {note.get_status_display().lower()} cannot "
                              f"become {NoteStatus(to).label.lower()}.")
    note.status = to


def _roster(appointment: Appointment | None) -> list[Client]:
    if appointment is None or appointment.kind != SessionKind.GROUP:
        return []
    return list(appointment.clients.all())


def _add_version(*, actor: Actor, note: ProgressNote, sections: Mapping[str, str]
                 ) -> ProgressNoteVersion:
    note.revision += 1
    version = ProgressNoteVersion(note=note, number=note.revision, saved_by=actor.membership)
    version.sections = sections_ciphertext(client=note.client, version=version,
                                           sections=sections)
    version.save()
    return version


def _locked_note(note: ProgressNote) -> ProgressNote:
    return ProgressNote.objects.select_for_update(of=("self",)).select_related(
        "client", "author", "appointment").get(pk=note.pk)


# --- services ---------------------------------------------------------------------------

@transaction.atomic
def progress_note_create(*, actor: Actor, client: Client, template: str,
                         sections: Mapping[str, str], appointment: Appointment | None = None
                         ) -> ProgressNote:
    """A new draft, with its first version."""
    if not note_policy.can_write_note(actor, client):
        raise PermissionDenied("Only a clinician on this client's care team can do this.")
    if template not in TEMPLATES:
        raise ValidationError({"template": "Choose one of the note templates."})
    _check_session(actor, client, template, appointment)
    cleaned = clean_sections(template, sections)
    check_group_privacy(template=template, sections=cleaned, client=client,
                        roster=_roster(appointment))
    day = timezone.localdate(appointment.starts_at) if appointment else timezone.localdate()
    episode_id = getattr(appointment, "episode_id", None)
    note = ProgressNote(practice_id=client.practice_id, client=client, author=actor.membership,
                        template=template, appointment=appointment,
                        episode_id=episode_id or getattr(episode_for(client, day), "pk", None))
    note.save()
    _add_version(actor=actor, note=note, sections=cleaned)
    note.save(update_fields=["revision", "updated_at"])
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.TREATMENT, obj=note,
                 client=client, fields=["template", "appointment", "episode", "sections"])
    return note


@transaction.atomic
def progress_note_update(*, actor: Actor, note: ProgressNote, sections: Mapping[str, str],
                         seen_revision: int) -> ProgressNote:
    """A new version of a draft. Refused once signed, and if someone saved in between."""
    note = _locked_note(note)
    if not note_policy.can_read_note(actor, note):
        raise PermissionDenied("No such note.")
    if note.status != NoteStatus.DRAFT:
        raise ValidationError(SIGNED_MESSAGE if note.is_final else
                              "This note is waiting for co-signature: it can change only if "
                              "the supervisor returns it to you.")
    if not note_policy.can_edit_note(actor, note):
        raise PermissionDenied("Only the author can change a draft.")
    if seen_revision != note.revision:
        raise EditConflict
    cleaned = clean_sections(note.template, sections)
    check_group_privacy(template=note.template, sections=cleaned, client=note.client,
                        roster=_roster(note.appointment))
    current = ProgressNoteVersion.objects.get(note=note, number=note.revision)
    if sections_plaintext(client=note.client, version=current) == cleaned:
        return note  # nothing changed: no new version
    _add_version(actor=actor, note=note, sections=cleaned)
    note.save(update_fields=["revision", "updated_at"])
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.TREATMENT, obj=note,
                 client=note.client, fields=["sections"])
    return note


def _finish_signing(note: ProgressNote, now: dt.datetime) -> list[str]:
    _transition(note, NoteStatus.SIGNED)
    note.signed_at = now
    changed = ["status", "signed_at"]
    if lock_after() <= dt.timedelta(0):
        _transition(note, NoteStatus.LOCKED)
        note.locked_at = now
        changed.append("locked_at")
    return changed


@transaction.atomic
def progress_note_sign(*, actor: Actor, note: ProgressNote, seen_revision: int) -> ProgressNote:
    """The author signs the version they saw. A trainee's note waits for co-signature."""
    note = _locked_note(note)
    if not note_policy.can_read_note(actor, note):
        raise PermissionDenied("No such note.")
    if note.status != NoteStatus.DRAFT:
        raise ValidationError(SIGNED_MESSAGE if note.is_final else
                              "This note is already waiting for co-signature.")
    if not note_policy.can_edit_note(actor, note):
        raise PermissionDenied("Only the author can sign a note.")
    if seen_revision != note.revision:
        raise EditConflict
    current = ProgressNoteVersion.objects.get(note=note, number=note.revision)
    clean_sections(note.template, sections_plaintext(client=note.client, version=current),
                   for_signing=True)
    now = timezone.now()
    if note_policy.needs_cosignature(note.author):
        _transition(note, NoteStatus.PENDING_COSIGN)
        note.submitted_at = now  # the note is signed, and final, once co-signed
        changed = ["status", "submitted_at"]
        note.save(update_fields=[*changed, "updated_at"])
    else:
        changed = _finish_signing(note, now)
        note.save(update_fields=[*changed, "updated_at"])
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.TREATMENT, obj=note,
                 client=note.client, fields=changed)
    return note


@transaction.atomic
def progress_note_cosign(*, actor: Actor, note: ProgressNote) -> ProgressNote:
    note = _locked_note(note)
    if not note_policy.can_read_note(actor, note):
        raise PermissionDenied("No such note.")
    if not note_policy.can_cosign_note(actor, note):
        if note.status != NoteStatus.PENDING_COSIGN:
            raise ValidationError("This note is not waiting for co-signature.")
        raise PermissionDenied("Only the author's supervisor of record can co-sign.")
    now = timezone.now()
    changed = _finish_signing(note, now)
    note.cosigned_by, note.cosigned_at = actor.membership, now
    changed += ["cosigned_by", "cosigned_at"]
    note.save(update_fields=[*changed, "updated_at"])
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.TREATMENT, obj=note,
                 client=note.client, fields=changed)
    return note


@transaction.atomic
def progress_note_return(*, actor: Actor, note: ProgressNote) -> ProgressNote:
    """The supervisor sends a pending note back to its author, text unchanged."""
    note = _locked_note(note)
    if not note_policy.can_read_note(actor, note):
        raise PermissionDenied("No such note.")
    if not note_policy.can_cosign_note(actor, note):
        raise ValidationError("This note is not waiting for your co-signature.")
    _transition(note, NoteStatus.DRAFT)
    note.submitted_at = note.signed_at = None
    note.save(update_fields=["status", "submitted_at", "signed_at", "updated_at"])
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.TREATMENT, obj=note,
                 client=note.client, fields=["status", "submitted_at"])
    return note


@transaction.atomic
def progress_note_addendum_add(*, actor: Actor, note: ProgressNote, body: str
                               ) -> ProgressNoteAddendum:
    note = _locked_note(note)
    if not note_policy.can_read_note(actor, note):
        raise PermissionDenied("No such note.")
    if not note.is_final:
        raise ValidationError({"body": "Addenda are for signed notes. While the note is a "
                                       "draft, change the note itself."})
    if not note_policy.can_add_addendum(actor, note):
        raise PermissionDenied("Only a clinician can add an addendum.")
    text = body.strip()
    if not text:
        raise ValidationError({"body": "Write the addendum, or leave without saving."})
    if len(text) > ADDENDUM_MAX_CHARS:
        raise ValidationError({"body": f"An addendum can be at most {ADDENDUM_MAX_CHARS} "
                                       "characters."})
    addendum = ProgressNoteAddendum(note=note, author=actor.membership,
                                    written_at=timezone.now())
    addendum.body = addendum_ciphertext(client=note.client, addendum=addendum, text=text)
    addendum.save()
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.TREATMENT, obj=addendum,
                 client=note.client, fields=["body", "note"])
    return addendum


@transaction.atomic
def progress_notes_lock_due(*, now: dt.datetime | None = None) -> int:
    """Lock every signed note whose lock time has come (a job, in the system scope)."""
    moment = now or timezone.now()
    due = list(ProgressNote.objects.select_for_update(skip_locked=True, of=("self",))
               .filter(status=NoteStatus.SIGNED, signed_at__lte=moment - lock_after())
               .select_related("client", "practice"))
    for note in due:
        _transition(note, NoteStatus.LOCKED)
        note.locked_at = moment
        note.save(update_fields=["status", "locked_at", "updated_at"])
        audit_record(actor=None, action=Action.UPDATE, purpose=Purpose.SYSTEM, obj=note,
                     client=note.client, practice=note.practice,
                     fields=["status", "locked_at"])
    return len(due)


@transaction.atomic
def group_notes_save(*, actor: Actor, appointment: Appointment, summary: str,
                     parts: Mapping[int, Mapping[str, str]]) -> list[ProgressNote]:
    """One draft per member present (client pk -> that member's own sections), each with
    the same de-identified group summary. Members with a note already are left alone."""
    if appointment.kind != SessionKind.GROUP:
        raise ValidationError("This is not a group session.")
    roster = list(appointment.clients.all())
    named = names_in(summary, roster)
    if named:
        raise ValidationError({GROUP_SUMMARY: "The group summary is shared by every member's "
                               f"record, so it must name no one. Remove: {', '.join(named)}."})
    notes: list[ProgressNote] = []
    for member in roster:
        own = parts.get(member.pk)
        if own is None or not any(str(v).strip() for v in own.values()):
            continue
        sections = {**own, GROUP_SUMMARY: summary}
        try:
            notes.append(progress_note_create(actor=actor, client=member,
                                              template=Template.GROUP, sections=sections,
                                              appointment=appointment))
        except ValidationError as error:
            raise ValidationError({f"m{member.pk}": error.messages}) from error
    return notes
