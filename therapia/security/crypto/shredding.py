"""Crypto-shredding and legal holds: the only writes that destroy a client's data keys.

Shredding empties the wrapped data keys of every key class (a destroyed row is written for
a class that had none, so nothing new can be encrypted for the client afterwards), records
when and why, and writes one audit row per key, in the same transaction. It is refused
while a legal hold is active. The rows that held the data stay: they are unreadable.

Backups: a database backup taken before the shred still holds the wrapped keys, and the
master keys can unwrap them. Shredding is complete once those backups have expired, or
once the master keys they were wrapped under have been rotated away and deleted
(`therapia keys status` says when no data key uses an old master key any more).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import Client
from therapia.security import policy
from therapia.security.actor import Actor
from therapia.security.crypto.envelope import forget_cached
from therapia.security.keyring import KeyClass
from therapia.security.models import ClientDataKey, LegalHold, ShredReason


class LegalHoldActive(Exception):
    """The client is under a legal hold: nothing of theirs may be destroyed."""


def _check_owner(actor: Actor | None, client: Client) -> None:
    """People act through the app as the practice owner; None is the operator's shell."""
    if actor is not None and not (
        policy.can_manage_practice(actor) and actor.practice.pk == client.practice_id
    ):
        raise PermissionDenied("Only the practice owner can do this.")


@transaction.atomic
def client_data_keys_shred(*, actor: Actor | None, client: Client, reason: ShredReason
                           ) -> list[ClientDataKey]:
    """Destroy the client's data keys. Irreversible: callers confirm first."""
    _check_owner(actor, client)
    if reason not in ShredReason.values:
        raise ValidationError({"reason": "Choose why the keys are destroyed."})
    Client.objects.select_for_update().filter(pk=client.pk).first()  # against a new hold
    if LegalHold.objects.filter(client=client, released_at__isnull=True).exists():
        raise LegalHoldActive("This client is under a legal hold.")
    now = timezone.now()
    destroyed: list[ClientDataKey] = []
    for key_class in KeyClass:
        row = ClientDataKey.objects.select_for_update().filter(
            client=client, key_class=key_class).first()
        if row is not None and row.destroyed_at is not None:
            continue
        if row is None:
            row = ClientDataKey(client=client, key_class=key_class)
        row.wrapped_key = b""
        row.master_key_id = ""
        row.destroyed_at = now
        row.destroyed_reason = reason
        row.save()
        destroyed.append(row)
        audit_record(actor=actor, action=Action.DELETE, purpose=Purpose.OPERATIONS, obj=row,
                     client=client, practice=client.practice,
                     fields=["wrapped_key", f"reason:{reason}", f"key_class:{key_class}"])
    forget_cached(client.pk)
    return destroyed


@transaction.atomic
def legal_hold_place(*, actor: Actor | None, client: Client, reason: str) -> LegalHold:
    _check_owner(actor, client)
    Client.objects.select_for_update().filter(pk=client.pk).first()
    hold = LegalHold(client=client, reason=reason.strip(),
                     placed_by=actor.membership if actor else None)
    hold.full_clean(exclude=["client"])
    hold.save()
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.OPERATIONS, obj=hold,
                 client=client, practice=client.practice, fields=["reason"])
    return hold


@transaction.atomic
def legal_hold_release(*, actor: Actor | None, hold: LegalHold) -> LegalHold:
    _check_owner(actor, hold.client)
    hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if hold.released_at is not None:
        return hold
    hold.released_at = timezone.now()
    hold.released_by = actor.membership if actor else None
    hold.save(update_fields=["released_at", "released_by", "updated_at"])
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.OPERATIONS, obj=hold,
                 client=hold.client, practice=hold.client.practice,
                 fields=["released_at", "released_by"])
    return hold
