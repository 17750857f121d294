"""A client's consent directives ("lock-box", ON-1): recording and revoking them. The
access policy enforces them (therapia/security/policy.py); setting one aside goes through
emergency access on a listed basis (therapia/security/emergency_access.py)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from therapia.accounts.models import Membership, Role
from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import Client
from therapia.security import policy
from therapia.security.actor import Actor
from therapia.security.models import ConsentDirective, RecordCategory


def directives_for(actor: Actor, client: Client) -> QuerySet[ConsentDirective]:
    if not policy.can_manage_directives(actor, client):
        return ConsentDirective.objects.none()
    return ConsentDirective.objects.filter(client=client).select_related(
        "blocked_membership__user", "recorded_by__user")


def directives_page(actor: Actor, client: Client) -> list[ConsentDirective]:
    """The client's instructions, for the page that lists them; the read is audited."""
    found = list(directives_for(actor, client))
    audit_record(actor=actor, action=Action.LIST, purpose=Purpose.TREATMENT,
                 object_type=ConsentDirective._meta.label, client=client,
                 fields=["category", "blocked", "starts_on", "ends_on", "revoked_at"])
    return found


@transaction.atomic
def directive_record(*, actor: Actor, client: Client, category: str,
                     blocked_membership: Membership | None, blocked_role: str,
                     starts_on: dt.date, ends_on: dt.date | None) -> ConsentDirective:
    """Record the client's instruction, in force from `starts_on`."""
    if not policy.can_manage_directives(actor, client):
        raise PermissionDenied("Only the client's clinicians or the privacy officer can do this.")
    if category not in RecordCategory.values:
        raise ValidationError({"category": "Choose what to withhold."})
    if (blocked_membership is None) == (not blocked_role):
        raise ValidationError({"blocked_membership": "Choose one person, or one role."})
    if blocked_role and blocked_role not in Role.values:
        raise ValidationError({"blocked_role": "Choose a role of this practice."})
    if blocked_membership is not None and blocked_membership.practice_id != client.practice_id:
        raise ValidationError({"blocked_membership": "Choose a member of this practice."})
    if blocked_membership is not None and blocked_membership.pk == actor.membership.pk:
        raise ValidationError({"blocked_membership": "Ask a colleague or the privacy officer "
                               "to record an instruction that withholds the record from you."})
    if ends_on and ends_on < starts_on:
        raise ValidationError({"ends_on": "The end date must be on or after the start date."})
    directive = ConsentDirective.objects.create(
        practice=client.practice, client=client, category=category,
        blocked_membership=blocked_membership, blocked_role=blocked_role,
        starts_on=starts_on, ends_on=ends_on, recorded_by=actor.membership)
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.TREATMENT, obj=directive,
                 client=client, fields=["category", "blocked", "starts_on", "ends_on"])
    return directive


@transaction.atomic
def directive_revoke(*, actor: Actor, directive: ConsentDirective) -> ConsentDirective:
    """The client withdrew the instruction: it stops at once, and the row stays."""
    if not policy.can_manage_directives(actor, directive.client):
        raise PermissionDenied("Only the client's clinicians or the privacy officer can do this.")
    updated = ConsentDirective.objects.filter(pk=directive.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor.membership)
    if not updated:
        raise ValidationError("This instruction was already withdrawn.")
    directive.refresh_from_db()
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.TREATMENT, obj=directive,
                 client=directive.client, fields=["revoked_at"])
    return directive
