"""Writing audit rows. Call inside the transaction of the change (house rule 2)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone

from therapia.audit.context import current_origin
from therapia.audit.models import Action, AuditEvent, Purpose

if TYPE_CHECKING:
    from therapia.accounts.models import Practice, User
    from therapia.clients.models import Client
    from therapia.security.actor import Actor


def audit_record(
    *,
    actor: Actor | None,
    action: Action,
    purpose: Purpose,
    obj: models.Model | None = None,
    object_type: str = "",
    client: Client | None = None,
    fields: Iterable[str] = (),
    user: User | None = None,
    practice: Practice | None = None,
) -> AuditEvent:
    """Append one audit row. `fields` are field names only, never values."""
    here = current_origin()
    who = user or (actor.user if actor else None)
    where = practice or (actor.practice if actor else None)
    label = who.email if who else f"system:{here.job or 'unknown'}"
    return AuditEvent.objects.create(
        occurred_at=timezone.now(),
        actor_user_id=who.pk if who else None,
        actor_label=label[:200],
        practice_id=where.pk if where else None,
        client_id=client.pk if client else None,
        action=action,
        purpose=purpose,
        object_type=object_type or (obj._meta.label if obj is not None else ""),
        object_id=str(getattr(obj, "public_id", "") or ""),
        fields=sorted(fields),
        ip_address=here.ip_address,
        user_agent=here.user_agent,
        request_id=here.request_id,
    )
