"""Recording what changes a guardian's access: a minor's capacity, and care the minor keeps
from their guardians (therapia/security/guardianship.py decides what follows)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import Client, Episode, RelatedPerson, Relationship
from therapia.security import guardianship, policy
from therapia.security.actor import Actor
from therapia.security.models import ConfidentialityBasis, MinorCapacity, MinorConfidentiality


@dataclass(frozen=True)
class GuardianRow:
    guardian: RelatedPerson
    now: guardianship.Decision
    change: tuple[dt.date, guardianship.Decision] | None


def guardians_page(actor: Actor, client: Client) -> list[GuardianRow]:
    if not policy.can_view_clinical(actor, client):
        raise PermissionDenied("Clinical access needed.")
    today = timezone.localdate()
    guardians = RelatedPerson.objects.filter(client=client, relationship=Relationship.GUARDIAN)
    audit_record(actor=actor, action=Action.READ, purpose=Purpose.TREATMENT, client=client,
                 object_type="security.GuardianAccess", fields=["guardians"])
    return [GuardianRow(g, guardianship.guardian_access(g, today),
                        guardianship.next_change(g, today)) for g in guardians]


@transaction.atomic
def capacity_record(*, actor: Actor, client: Client, has_capacity: bool,
                    determined_on: dt.date) -> MinorCapacity:
    if not (actor.is_clinical and policy.is_treating(actor, client)):
        raise PermissionDenied("Only a clinician on the care team records this.")
    if determined_on > timezone.localdate():
        raise ValidationError({"determined_on": "The date cannot be in the future."})
    if determined_on < client.date_of_birth:
        raise ValidationError({"determined_on": "The date is before the client was born."})
    record = MinorCapacity.objects.create(client=client, has_capacity=has_capacity,
                                          determined_on=determined_on,
                                          determined_by=actor.membership)
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.TREATMENT, obj=record,
                 client=client, fields=["has_capacity", "determined_on"])
    return record


@transaction.atomic
def confidentiality_record(*, actor: Actor, episode: Episode,
                           basis: str) -> MinorConfidentiality:
    """Keep this episode from the client's guardians (MI-2)."""
    client = episode.client
    if not (actor.is_clinical and policy.is_treating(actor, client)):
        raise PermissionDenied("Only a clinician on the care team records this.")
    if basis not in ConfidentialityBasis.values:
        raise ValidationError({"basis": "Choose why this care stays confidential."})
    if MinorConfidentiality.objects.filter(episode=episode).exists():
        raise ValidationError({"basis": "This episode is already kept from guardians."})
    record = MinorConfidentiality.objects.create(client=client, episode=episode, basis=basis,
                                                 recorded_by=actor.membership)
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.TREATMENT, obj=record,
                 client=client, fields=["basis"])
    return record
