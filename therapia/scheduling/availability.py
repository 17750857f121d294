"""A clinician's working hours and time off, kept by the clinician."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction

from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.scheduling import services
from therapia.scheduling.models import TimeOff, WorkingHours
from therapia.security.actor import Actor


def _require_clinical(actor: Actor) -> None:
    if not actor.is_clinical or not actor.membership.is_active:
        raise PermissionDenied("Only clinicians keep working hours.")


@transaction.atomic
def working_hours_add(*, actor: Actor, weekday: int, starts: dt.time,
                      ends: dt.time) -> WorkingHours:
    _require_clinical(actor)
    row = WorkingHours(practice=actor.practice, membership=actor.membership, weekday=weekday,
                       starts=starts, ends=ends)
    row.full_clean()
    row.save()
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.OPERATIONS, obj=row,
                 fields=["weekday", "starts", "ends"])
    return row


@transaction.atomic
def time_off_add(*, actor: Actor, first_day: dt.date, last_day: dt.date) -> TimeOff:
    _require_clinical(actor)
    zone = services.zone_of(actor.practice.time_zone)
    row = TimeOff(practice=actor.practice, membership=actor.membership,
                  starts_at=dt.datetime.combine(first_day, dt.time.min, tzinfo=zone),
                  ends_at=dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min,
                                              tzinfo=zone))
    row.full_clean()
    row.save()
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.OPERATIONS, obj=row,
                 fields=["starts_at", "ends_at"])
    return row


@transaction.atomic
def availability_remove(*, actor: Actor, public_id: str) -> None:
    _require_clinical(actor)
    for model in (WorkingHours, TimeOff):
        row = model.objects.filter(membership=actor.membership, public_id=public_id).first()
        if row is not None:
            audit_record(actor=actor, action=Action.DELETE, purpose=Purpose.OPERATIONS,
                         obj=row, fields=["membership"])
            row.delete()
