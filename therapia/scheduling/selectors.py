"""Reads of the schedule, scoped by the access policy and audited."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse

from therapia.accounts.models import CLINICAL_ROLES, Membership, Role
from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import Client, Episode
from therapia.scheduling import session_policy
from therapia.scheduling.models import (
    CANCELLED,
    Appointment,
    Attendance,
    Format,
    Room,
    SessionKind,
    Status,
)
from therapia.scheduling.models import Purpose as SessionPurpose
from therapia.security.actor import Actor
from therapia.security.policy import clients_visible_to


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


# --- Sessions, calendars and counts --------------------------------------------------

def appointment_get_for(*, actor: Actor, public_id: uuid.UUID) -> Appointment:
    """One session the actor may open, or 404; the read is audited."""
    appointment = get_object_or_404(
        session_policy.appointments_visible_to(actor).select_related(
            "room", "group", "unit", "series", "practice", "episode"),
        public_id=public_id)
    for client in appointment.clients.all() or [None]:
        audit_record(actor=actor, action=Action.READ, purpose=Purpose.SCHEDULING,
                     obj=appointment, client=client, fields=["session"])
    return appointment


def attended_treatment_sessions(episode: Episode) -> int:
    """Attended treatment sessions of the episode: its client's individual sessions, and the
    group, couple and family sessions its client attended (each member's own Attendance row,
    linked to that member's episode). For the measurement engine's outcome rules."""
    own = Appointment.objects.filter(episode=episode, purpose=SessionPurpose.TREATMENT,
                                     status=Status.ATTENDED, kind=SessionKind.INDIVIDUAL)
    with_others = Attendance.objects.filter(episode=episode, status=Status.ATTENDED,
                                            appointment__purpose=SessionPurpose.TREATMENT)
    return own.count() + with_others.count()


def initials(given: str, family: str) -> str:
    return f"{given[:1]}.{family[:1]}.".upper()


@dataclass
class CalendarItem:
    """One session as the calendar shows it, its text built once here (not per template
    filter): the page renders hundreds of them."""

    url: str
    start: dt.datetime
    label: str
    detail: str
    cancelled: bool


@dataclass
class Calendar:
    days: list[dt.date]
    columns: list[tuple[str, str]]  # (key, heading)
    cells: dict[tuple[str, dt.date], list[CalendarItem]]
    count: int

    def grid(self) -> list[tuple[str, list[tuple[dt.date, list[CalendarItem]]]]]:
        return [(heading, [(day, self.cells.get((key, day), [])) for day in self.days])
                for key, heading in self.columns]


def calendar_for(  # noqa: PLR0912 (one pass over the rows, kept together)
    *, actor: Actor, first: dt.date, days: int, scope: str, by: str
) -> Calendar:
    """Sessions of `days` days from `first` as a grid: one row per room or clinician (the
    practice) or a single row (the actor's own). A fixed number of queries whatever the
    number of sessions; names only of clients the actor may see, otherwise initials."""
    zone = zoneinfo.ZoneInfo(actor.practice.time_zone)
    start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(first + dt.timedelta(days=days), dt.time.min, tzinfo=zone)
    window = session_policy.appointments_visible_to(actor).filter(
        starts_at__gte=start, starts_at__lt=end)
    if scope == "practice" and actor.role != Role.RESEARCHER:
        window = Appointment.objects.filter(practice=actor.practice, starts_at__gte=start,
                                            starts_at__lt=end)
    else:
        window = window.filter(clinicians=actor.membership)
    rows = list(window.values_list("pk", "public_id", "starts_at", "ends_at", "kind", "format",
                                   "status", "room_id", "group__name", "unit__name"))
    ids = [row[0] for row in rows]
    people: dict[int, list[tuple[int, str, str, str]]] = defaultdict(list)
    for appointment_id, client_id, given, preferred, family in (
            Appointment.clients.through.objects.filter(appointment_id__in=ids).values_list(
                "appointment_id", "client_id", "client__legal_given_name",
                "client__preferred_name", "client__legal_family_name")):
        people[appointment_id].append((client_id, preferred or given, given, family))
    staff: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for appointment_id, membership_id, name in Appointment.clinicians.through.objects.filter(
            appointment_id__in=ids).values_list("appointment_id", "membership_id",
                                                "membership__user__display_name"):
        staff[appointment_id].append((membership_id, name))
    visible = set(clients_visible_to(actor).filter(
        pk__in={c[0] for group in people.values() for c in group}).values_list("pk", flat=True))
    columns = _columns(actor, scope, by)
    status_labels = dict(Status.choices)
    session_url = reverse("scheduling:session", args=[uuid.UUID(int=0)]).removesuffix(
        f"{uuid.UUID(int=0)}/")
    cells: dict[tuple[str, dt.date], list[CalendarItem]] = defaultdict(list)
    for pk, public_id, starts, ends, kind, fmt, status, room_id, group_name, unit_name in rows:
        who = people.get(pk, [])
        if group_name:
            title = group_name
        elif unit_name and all(c[0] in visible for c in who):
            title = unit_name
        else:
            title = ", ".join(f"{shown} {family}" if cid in visible else initials(given, family)
                              for cid, shown, given, family in who)
        clinicians = staff.get(pk, [])
        detail = f"{kind.title()} · {', '.join(name for _, name in clinicians)}"
        local_start, local_end = starts.astimezone(zone), ends.astimezone(zone)
        item = CalendarItem(f"{session_url}{public_id}/", local_start,
                            f"{local_start:%H:%M}-{local_end:%H:%M} {title}",
                            f"{detail} · {status_labels[status]}", status in CANCELLED)
        day = item.start.date()
        if scope != "practice":
            keys = ["me"]
        elif by == "rooms":
            keys = [str(room_id) if room_id and fmt == Format.IN_PERSON else "none"]
        else:
            keys = [str(mid) for mid, _ in clinicians]
        for key in keys:
            cells[key, day].append(item)
    for items in cells.values():
        items.sort(key=lambda item: item.start)
    audit_record(actor=actor, action=Action.LIST, purpose=Purpose.SCHEDULING,
                 object_type="scheduling.Appointment", fields=["calendar"])
    return Calendar(days=[first + dt.timedelta(days=n) for n in range(days)], columns=columns,
                    cells=cells, count=len(rows))


def _columns(actor: Actor, scope: str, by: str) -> list[tuple[str, str]]:
    if scope == "practice" and by == "rooms":
        rooms = Room.objects.filter(practice=actor.practice).values_list("pk", "name")
        return [*((str(pk), name) for pk, name in rooms), ("none", "Video and phone")]
    if scope == "practice":
        return [(str(m.pk), m.user.display_name) for m in Membership.objects.filter(
            practice=actor.practice, is_active=True, role__in=CLINICAL_ROLES
        ).select_related("user").order_by("user__display_name")]
    return [("me", actor.user.display_name)]


def sessions_of_client(*, actor: Actor, client: Client) -> list[tuple[Appointment, str]]:
    """A client's sessions with the client's own attendance; a group session shows the
    group's name and this member's attendance, never the other members."""
    sessions = list(session_policy.appointments_visible_to(actor).filter(clients=client)
                    .select_related("room", "group", "unit").order_by("-starts_at")[:200])
    own = dict(Attendance.objects.filter(client=client, appointment__in=sessions)
               .values_list("appointment_id", "status"))
    labels = dict(Status.choices)
    audit_record(actor=actor, action=Action.LIST, purpose=Purpose.SCHEDULING,
                 object_type="scheduling.Appointment", client=client, fields=["sessions"])
    return [(s, labels[own.get(s.pk, s.status)]) for s in sessions]
