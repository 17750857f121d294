"""Writes to memberships, licences and continuing education (house rules 1 and 2): keyword-only,
atomic, policy-checked, validated with full_clean(), with one audit row naming the changed
fields, never their values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from therapia.accounts.models import (
    ContinuingEducation,
    Licence,
    Membership,
    PractitionerProfile,
    Role,
)
from therapia.accounts.selectors import practice_today
from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.core.model_update import model_update
from therapia.security import policy
from therapia.security.actor import Actor

LICENCE_FIELDS = (
    "regulator", "jurisdiction", "number", "status", "issued_on", "expires_on",
    "grants_prescribing", "cycle_starts_on", "ce_hours_required",
)
CE_FIELDS = ("title", "provider", "completed_on", "hours")
LAST_OWNER = "A practice needs at least one active owner. Make someone else an owner first."


def _require_manager(actor: Actor, membership: Membership) -> None:
    if not policy.can_manage_practice(actor) or membership.practice_id != actor.practice.pk:
        raise PermissionDenied("Only the practice owner can change memberships.")


def _lock(membership: Membership) -> tuple[Membership, list[int]]:
    """The membership re-read under lock, and the ids of the practice's active owners. The
    owners' rows are locked first, in id order, so two owners demoting each other at once
    cannot leave the practice with none (nor deadlock)."""
    owners = list(
        Membership.objects.select_for_update()
        .filter(practice_id=membership.practice_id, role=Role.OWNER, is_active=True)
        .order_by("pk").values_list("pk", flat=True)
    )
    locked = (Membership.objects.select_for_update(of=("self",)).select_related("user")
              .get(pk=membership.pk))
    return locked, owners


@transaction.atomic
def membership_change_role(*, actor: Actor, membership: Membership, role: str) -> Membership:
    _require_manager(actor, membership)
    membership, owners = _lock(membership)
    if role == membership.role:
        return membership
    if owners == [membership.pk]:
        raise ValidationError({"role": LAST_OWNER})
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role", "updated_at"])
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.OPERATIONS, obj=membership,
                 fields=["role"])
    return membership


@transaction.atomic
def membership_set_active(*, actor: Actor, membership: Membership, is_active: bool) -> Membership:
    _require_manager(actor, membership)
    membership, owners = _lock(membership)
    if is_active == membership.is_active:
        return membership
    if not is_active and owners == [membership.pk]:
        raise ValidationError({"is_active": LAST_OWNER})
    membership.is_active = is_active
    membership.full_clean()
    membership.save(update_fields=["is_active", "updated_at"])
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.OPERATIONS, obj=membership,
                 fields=["is_active"])
    return membership


def _require_credentials_editor(actor: Actor, practitioner: PractitionerProfile) -> None:
    if not policy.can_edit_credentials(actor, practitioner):
        raise PermissionDenied("You cannot change this practitioner's licences or CE.")


def _only(data: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValueError(f"Unexpected fields: {sorted(unknown)}")
    return dict(data)


def _check_licence_dates(licence: Licence) -> None:
    if licence.issued_on and licence.expires_on and licence.expires_on <= licence.issued_on:
        raise ValidationError({"expires_on": "The expiry date must be after the date of issue."})


@transaction.atomic
def licence_create(
    *, actor: Actor, practitioner: PractitionerProfile, data: Mapping[str, Any]
) -> Licence:
    _require_credentials_editor(actor, practitioner)
    licence = Licence(practitioner=practitioner, **_only(data, LICENCE_FIELDS))
    _check_licence_dates(licence)
    licence.full_clean()
    licence.save()
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.OPERATIONS, obj=licence,
                 fields=data.keys())
    return licence


@transaction.atomic
def licence_update(*, actor: Actor, licence: Licence, data: Mapping[str, Any]) -> Licence:
    _require_credentials_editor(actor, licence.practitioner)
    stored, changed = model_update(instance=licence, data=_only(data, LICENCE_FIELDS),
                                   validate=_check_licence_dates)
    if not changed:
        return stored
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.OPERATIONS, obj=stored,
                 fields=changed)
    return stored


def _check_ce_date(actor: Actor, entry: ContinuingEducation) -> None:
    if entry.completed_on and entry.completed_on > practice_today(actor.practice):
        raise ValidationError({"completed_on": "The date cannot be in the future."})


@transaction.atomic
def ce_entry_create(
    *, actor: Actor, practitioner: PractitionerProfile, data: Mapping[str, Any]
) -> ContinuingEducation:
    _require_credentials_editor(actor, practitioner)
    entry = ContinuingEducation(practitioner=practitioner, **_only(data, CE_FIELDS))
    _check_ce_date(actor, entry)
    entry.full_clean()
    entry.save()
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.OPERATIONS, obj=entry,
                 fields=data.keys())
    return entry


@transaction.atomic
def ce_entry_update(
    *, actor: Actor, entry: ContinuingEducation, data: Mapping[str, Any]
) -> ContinuingEducation:
    _require_credentials_editor(actor, entry.practitioner)
    stored, changed = model_update(instance=entry, data=_only(data, CE_FIELDS),
                                   validate=lambda row: _check_ce_date(actor, row))
    if not changed:
        return stored
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.OPERATIONS, obj=stored,
                 fields=changed)
    return stored


@transaction.atomic
def practitioner_profile_save(
    *, actor: Actor, membership: Membership, data: Mapping[str, Any]
) -> PractitionerProfile:
    """Create or change a member's practitioner profile (profession and credentials)."""
    if not policy.can_edit_profile(actor, membership):
        raise PermissionDenied("You cannot change this member's profile.")
    values = _only(data, ("profession", "credentials"))
    profile = PractitionerProfile.objects.filter(user=membership.user).first()
    created = profile is None
    profile = profile or PractitionerProfile(user=membership.user)
    changed = [name for name, value in values.items() if getattr(profile, name) != value]
    for name in changed:
        setattr(profile, name, values[name])
    profile.full_clean()
    profile.save()
    if changed or created:
        audit_record(actor=actor, action=Action.CREATE if created else Action.UPDATE,
                     purpose=Purpose.OPERATIONS, obj=profile, fields=changed)
    return profile
