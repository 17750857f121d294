"""Writes to client records (house rule 1): atomic, audited, policy-checked."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from therapia.accounts.models import Membership
from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import CareRole, CareTeamMember, Client, RelatedPerson
from therapia.security import policy
from therapia.security.actor import Actor


@transaction.atomic
def client_create(*, actor: Actor, data: dict[str, Any]) -> Client:
    if not policy.can_create_client(actor):
        raise PermissionDenied("Your role cannot register clients.")
    client = Client(practice=actor.practice, **data)
    client.full_clean()
    client.save()
    if actor.is_clinical:  # a clinician registering a client becomes their primary clinician
        CareTeamMember.objects.create(client=client, membership=actor.membership,
                                      role=CareRole.PRIMARY, started_on=timezone.localdate())
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.OPERATIONS, obj=client,
                 client=client, fields=data.keys())
    return client


class EditConflict(Exception):
    """Someone else saved the record after this edit began."""


@transaction.atomic
def client_update(
    *, actor: Actor, client: Client, data: dict[str, Any], seen_version: str | None = None
) -> Client:
    """Change demographics. `seen_version` is the version the editor started from."""
    if not policy.can_edit_demographics(actor, client):
        raise PermissionDenied("Your role cannot change this client's details.")
    stored = Client.objects.select_for_update().get(pk=client.pk)
    if seen_version is not None and seen_version != stored.version:
        raise EditConflict
    changed = [name for name, value in data.items() if getattr(stored, name) != value]
    if not changed:
        return stored
    client = stored
    for name in changed:
        setattr(client, name, data[name])
    client.full_clean()
    client.save(update_fields=[*changed, "updated_at"])
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.OPERATIONS, obj=client,
                 client=client, fields=changed)
    return client


@transaction.atomic
def care_team_assign(
    *, actor: Actor, client: Client, membership: Membership, role: CareRole
) -> CareTeamMember:
    """Put a clinician of the same practice on the client's care team. A new primary
    clinician replaces the current one, who stays on as secondary."""
    if not policy.can_manage_care_team(actor, client):
        raise PermissionDenied("Only the practice owner or the primary clinician can do this.")
    if membership.practice_id != client.practice_id or not membership.is_clinical:
        raise ValidationError({"membership": "Choose a clinician of this practice."})
    today = timezone.localdate()
    current = CareTeamMember.objects.select_for_update().filter(client=client,
                                                                ended_on__isnull=True)
    if current.filter(membership=membership).exists():
        raise ValidationError({"membership": "This clinician is already on the care team."})
    if role == CareRole.PRIMARY:
        current.filter(role=CareRole.PRIMARY).update(role=CareRole.SECONDARY)
    member = CareTeamMember(client=client, membership=membership, role=role, started_on=today)
    member.full_clean()
    member.save()
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.OPERATIONS, obj=member,
                 client=client, fields=["membership", "role"])
    return member


@transaction.atomic
def care_team_end(*, actor: Actor, member: CareTeamMember) -> None:
    client = member.client
    if not policy.can_manage_care_team(actor, client):
        raise PermissionDenied("Only the practice owner or the primary clinician can do this.")
    member.ended_on = timezone.localdate()
    member.full_clean()
    member.save(update_fields=["ended_on", "updated_at"])
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.OPERATIONS, obj=member,
                 client=client, fields=["ended_on"])


@transaction.atomic
def related_person_add(*, actor: Actor, client: Client, data: dict[str, Any]) -> RelatedPerson:
    if not policy.can_edit_demographics(actor, client):
        raise PermissionDenied("Your role cannot change this client's details.")
    person = RelatedPerson(client=client, **data)
    person.full_clean()
    person.save()
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.OPERATIONS, obj=person,
                 client=client, fields=[name for name, value in data.items() if value])
    return person
