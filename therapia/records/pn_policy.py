"""Who may write and read psychotherapy notes, and on which legal basis (PN-3, PN-4, TR-1).

The one decision point for this privacy class. Nothing here consults the practice role,
break-the-glass or care-team membership as a ground for reading someone else's note:

    author          ORIGINATOR, while still on the client's active care team
    supervisor      TRAINING, while a supervision record over the author is active and
                    both memberships are active, in the same practice
    anyone else     no basis: the note does not exist for them (404)

(These can_* functions belong beside therapia/security/policy.py; they live here until
that file takes them.)
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from therapia.accounts.models import Membership
from therapia.clients.models import Client
from therapia.records.models import LegalBasis, PsychotherapyNote
from therapia.security import policy
from therapia.security.actor import Actor
from therapia.security.models import SupervisionRecord


def active_supervisions(supervisor: Membership, day: dt.date | None = None
                        ) -> QuerySet[SupervisionRecord]:
    today = day or timezone.localdate()
    return SupervisionRecord.objects.filter(
        supervisor=supervisor, practice_id=supervisor.practice_id,
        supervisor__is_active=True, supervisee__is_active=True, starts_on__lte=today,
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gt=today))


def supervisees_of(actor: Actor) -> QuerySet[Membership]:
    if not actor.membership.is_active:
        return Membership.objects.none()
    ids = active_supervisions(actor.membership).values("supervisee_id")
    return Membership.objects.filter(pk__in=ids)


def can_write_psychotherapy_note(actor: Actor, client: Client) -> bool:
    return actor.is_clinical and policy.is_treating(actor, client)


def read_basis(actor: Actor, note: PsychotherapyNote) -> LegalBasis | None:
    """The legal basis on which `actor` may read `note`, or None (then: 404)."""
    if not actor.membership.is_active or note.client.practice_id != actor.practice.pk:
        return None
    if note.author_id == actor.membership.pk:
        return LegalBasis.ORIGINATOR if policy.is_treating(actor, note.client) else None
    if active_supervisions(actor.membership).filter(supervisee_id=note.author_id).exists():
        return LegalBasis.TRAINING
    return None
