"""Reads of the schedule, scoped by the access policy and audited."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db.models import QuerySet

from therapia.accounts.models import Role
from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.scheduling.models import Appointment
from therapia.security.actor import Actor


def day_bounds(day: dt.date, time_zone: str) -> tuple[dt.datetime, dt.datetime]:
    zone = zoneinfo.ZoneInfo(time_zone)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    return start, start + dt.timedelta(days=1)


def agenda_for(*, actor: Actor, day: dt.date) -> QuerySet[Appointment]:
    """A clinician's own sessions that day; the front desk sees the whole practice's."""
    start, end = day_bounds(day, actor.practice.time_zone)
    sessions = Appointment.objects.filter(
        practice=actor.practice, starts_at__gte=start, starts_at__lt=end
    )
    if actor.role != Role.FRONT_DESK:
        sessions = sessions.filter(clinicians=actor.membership)
    if actor.role == Role.RESEARCHER:
        sessions = sessions.none()
    audit_record(actor=actor, action=Action.LIST, purpose=Purpose.SCHEDULING,
                 object_type="scheduling.Appointment", fields=["agenda"])
    return (
        sessions.select_related("room", "group", "unit")
        .prefetch_related("clients", "clinicians__user")
        .order_by("starts_at")
    )
