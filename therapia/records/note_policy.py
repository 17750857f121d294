"""Who may read and write progress notes and treatment plans (built on the access policy).

    read a note / plan      clinical access to the client (the care team, or emergency
                            access) with no consent directive withholding notes / plans
                            from the actor; or, for a note, the author's supervisor of
                            record while supervision is active
    write a note            a clinician treating the client (on the care team: emergency
                            access reads, it does not write)
    edit / sign a draft     its author, while it is a draft (a signed note is never edited)
    co-sign                 the author's active supervisor of record, while it waits
    add an addendum         a clinician who may read the note, once it is signed
    write / revise a plan   a clinician with clinical access to the client
Anything else: the record does not exist for the actor (404).
"""

from __future__ import annotations

from therapia.accounts.models import Membership, Role
from therapia.clients.models import Client
from therapia.records.models import FINAL_STATUSES, NoteStatus, ProgressNote
from therapia.records.pn_policy import active_supervisions
from therapia.security import policy
from therapia.security.actor import Actor
from therapia.security.models import RecordCategory


def needs_cosignature(author: Membership) -> bool:
    """A trainee's note is not part of the record until a supervisor co-signs it."""
    return author.role == Role.TRAINEE


def supervises(actor: Actor, author: Membership) -> bool:
    return (actor.membership.is_active and author.practice_id == actor.practice.pk
            and active_supervisions(actor.membership).filter(supervisee=author).exists())


def can_read_notes_of(actor: Actor, client: Client) -> bool:
    return policy.can_view_category(actor, client, RecordCategory.NOTES)


def can_write_note(actor: Actor, client: Client) -> bool:
    return (actor.is_clinical and policy.is_treating(actor, client)
            and can_read_notes_of(actor, client))


def can_read_note(actor: Actor, note: ProgressNote) -> bool:
    if not actor.membership.is_active or note.practice_id != actor.practice.pk:
        return False
    return can_read_notes_of(actor, note.client) or supervises(actor, note.author)


def can_edit_note(actor: Actor, note: ProgressNote) -> bool:
    """Also decides signing: the author, on a draft, still on the client's team."""
    return (note.status == NoteStatus.DRAFT and note.author_id == actor.membership.pk
            and can_write_note(actor, note.client))


def can_cosign_note(actor: Actor, note: ProgressNote) -> bool:
    return (note.status == NoteStatus.PENDING_COSIGN and actor.is_clinical
            and supervises(actor, note.author))


def can_add_addendum(actor: Actor, note: ProgressNote) -> bool:
    return note.status in FINAL_STATUSES and actor.is_clinical and can_read_note(actor, note)


def can_view_plan(actor: Actor, client: Client) -> bool:
    return policy.can_view_category(actor, client, RecordCategory.TREATMENT_PLANS)


def can_write_plan(actor: Actor, client: Client) -> bool:
    return (actor.is_clinical and policy.is_treating(actor, client)
            and can_view_plan(actor, client))
