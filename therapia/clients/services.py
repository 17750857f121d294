"""Writes to client records (house rule 1): atomic, audited, policy-checked."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import CareRole, CareTeamMember, Client
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
