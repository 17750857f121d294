"""Six months of sessions and the next two weeks: series placed on the timetable, then one
appointment per week (or fortnight) of each series, with realistic attendance."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from therapia.accounts.models import Membership, Practice, Profession
from therapia.clients.models import Client, ClientUnit
from therapia.scheduling.models import (
    Appointment,
    Attendance,
    CancelReason,
    Format,
    Purpose,
    Room,
    SchedulingSettings,
    SessionKind,
    Status,
    TherapyGroup,
    WorkingHours,
)
from therapia.scheduling.models import Series as SeriesRow
from therapia.scheduling.series import FORTNIGHTLY as FORTNIGHTLY_RULE
from therapia.scheduling.series import WEEKLY as WEEKLY_RULE
from therapia.scheduling.services import sync_slots
from therapia.scheduling.unit_attendance import insert_unit_attendance
from therapia.seeding.bulk import base_columns, insert_rows, reserve_ids
from therapia.seeding.calendar import FIRST_WEEK, LAST_WEEK, local_datetime, session_day
from therapia.seeding.clients import Cadence, ClientPlan
from therapia.seeding.groups import GROUP_HOUR, GROUP_MINUTES, GROUP_OFFSET, GroupPlan
from therapia.seeding.households import (
    CHILD_CLINICIAN,
    COUPLE_THERAPIST,
    FAMILY_THERAPIST,
    Households,
)
from therapia.seeding.people import StaffPlan
from therapia.seeding.slots import FAMILY_ROOM, GROUP_ROOM, STUDIO, Series, Timetable

SESSION_MINUTES = 50
MEDICATION_REVIEW_MINUTES = 30
REVIEW_EVERY = 6  # every sixth session reviews progress
WEEKLY, FORTNIGHTLY = (0, 1), (0,)

# Outcomes of a past session by how reliably the client attends (weights, in order):
# attended, cancelled by client, cancelled late, did not attend, cancelled by clinician.
PAST_OUTCOMES = (Status.ATTENDED, Status.CANCELLED_CLIENT, Status.CANCELLED_LATE,
                 Status.DID_NOT_ATTEND, Status.CANCELLED_CLINICIAN)
OUTCOME_WEIGHTS = ((90, 4, 2, 1.5, 2.5), (78, 8, 5, 6, 3), (60, 10, 10, 17, 3))
EARLY_CANCELLATION_SHARE = 0.03  # upcoming sessions the client has already called off
FORMAT_SWITCH_SHARE = 0.06  # an in-person client joins by video that week


def plan_series(plans: list[ClientPlan], households: Households, group: GroupPlan,
                staff: dict[str, StaffPlan]) -> list[Series]:
    """Every recurring series, in the order they claim slots: the group, the couple, the
    family, then individual clients — those in therapy this week first."""
    first, second = households.couple
    parent, child = households.parent, households.child
    series = [
        Series(kind=SessionKind.GROUP, clinicians=group.facilitators,
               clients=tuple(member.index for member in group.members),
               start_week=group.start_week, end_week=None, parities=WEEKLY,
               minutes=GROUP_MINUTES, format=Format.IN_PERSON, room_preference=(GROUP_ROOM,),
               is_group=True),
        Series(kind=SessionKind.COUPLE, clinicians=(COUPLE_THERAPIST,),
               clients=(first.index, second.index), start_week=first.start_week,
               end_week=None, parities=WEEKLY, minutes=SESSION_MINUTES,
               format=Format.IN_PERSON, reliability=first.reliability,
               room_preference=(FAMILY_ROOM,), unit="couple"),
        Series(kind=SessionKind.FAMILY, clinicians=(FAMILY_THERAPIST,),
               clients=(parent.index, child.index), start_week=parent.start_week,
               end_week=None, parities=FORTNIGHTLY, minutes=SESSION_MINUTES,
               format=Format.IN_PERSON, reliability=parent.reliability,
               room_preference=(FAMILY_ROOM,), unit="family"),
        _individual(child, staff[CHILD_CLINICIAN]),
    ]
    individuals = [plan for plan in plans if plan.individual_sessions and plan is not child]
    individuals.sort(key=lambda plan: (not plan.is_active_in(0), plan.index))
    series.extend(_individual(plan, staff[plan.primary]) for plan in individuals)
    return series


def _individual(plan: ClientPlan, clinician: StaffPlan) -> Series:
    medication = clinician.profession == Profession.PSYCHIATRIST
    weekly = plan.cadence is Cadence.WEEKLY and not medication
    studio = (STUDIO,) if clinician.profession == Profession.CREATIVE_ARTS else ()
    return Series(
        kind=SessionKind.INDIVIDUAL, clinicians=(clinician.key,), clients=(plan.index,),
        start_week=plan.start_week, end_week=plan.end_week,
        parities=WEEKLY if weekly else FORTNIGHTLY,
        minutes=MEDICATION_REVIEW_MINUTES if medication else SESSION_MINUTES,
        format=plan.format, reliability=plan.reliability, medication_review=medication,
        room_preference=studio,
    )


def place_series(timetable: Timetable, series: list[Series]) -> None:
    for one in series:
        timetable.place(one, fixed=(GROUP_OFFSET, GROUP_HOUR) if one.is_group else None)


@dataclass(frozen=True)
class Occurrence:
    series: Series
    day: dt.date
    hour: int
    number: int  # 0 for the series' first session


def occurrences(series: list[Series], today: dt.date) -> Iterator[Occurrence]:
    for one in series:
        if one.cell is None:
            raise ValueError("place the series on the timetable first")
        number = 0  # counted from the start of therapy, which may precede the history
        for week in range(min(one.start_week, FIRST_WEEK), LAST_WEEK + 1):
            if not (one.is_active_in(week) and week % 2 in one.parities):
                continue
            if week >= FIRST_WEEK:
                yield Occurrence(one, session_day(today, week, one.cell[0]), one.cell[1], number)
            number += 1


def status_of(rng: random.Random, occurrence: Occurrence, today: dt.date) -> Status:
    if occurrence.day == today:
        return Status.SCHEDULED
    if occurrence.day > today:
        early = rng.random() < EARLY_CANCELLATION_SHARE and not occurrence.series.is_group
        return Status.CANCELLED_CLIENT if early else Status.SCHEDULED
    if occurrence.series.is_group or occurrence.number == 0:
        return Status.ATTENDED
    weights = OUTCOME_WEIGHTS[occurrence.series.reliability]
    return rng.choices(PAST_OUTCOMES, weights=weights)[0]


def purpose_of(occurrence: Occurrence) -> Purpose:
    series = occurrence.series
    if occurrence.number == 0 and not series.is_group:
        return Purpose.INTAKE
    if occurrence.number % REVIEW_EVERY == REVIEW_EVERY - 1:
        return Purpose.REVIEW
    return Purpose.FOLLOW_UP if series.medication_review else Purpose.TREATMENT


def format_of(rng: random.Random, series: Series) -> Format:
    if series.format == Format.IN_PERSON and not series.is_group:
        return Format.VIDEO if rng.random() < FORMAT_SWITCH_SHARE else Format.IN_PERSON
    return Format(series.format)


@dataclass(frozen=True)
class Links:
    """The rows an appointment points at, by the plans' keys."""

    practice: Practice
    memberships: dict[str, Membership]
    clients: list[Client]
    rooms: dict[str, Room]
    units: dict[str, ClientUnit]
    group: TherapyGroup


APPOINTMENT_FIELDS = ("id", "public_id", "created_at", "updated_at", "practice_id", "kind",
                      "purpose", "format", "starts_at", "ends_at", "status", "room_id",
                      "unit_id", "group_id", "series_id", "occurrence_start", "video_code",
                      "cancel_reason")
DEMO_VIDEO_SERVICE = "https://video.riverside-demo.example/{meeting}"
GROUP_MEMBER_OUTCOMES = (Status.ATTENDED, Status.DID_NOT_ATTEND, Status.CANCELLED_CLIENT)
GROUP_MEMBER_WEIGHTS = (85, 8, 7)
REASONS_CLIENT = (CancelReason.ILLNESS, CancelReason.WORK_OR_STUDY, CancelReason.CARING,
                  CancelReason.TRAVEL, CancelReason.FORGOT)


def insert_appointments(rng: random.Random, series: list[Series], links: Links, *,
                        today: dt.date) -> int:
    """Writes the appointments and their clinicians and clients; returns how many."""
    planned = list(occurrences(series, today))
    ids = reserve_ids(Appointment, len(planned))
    now = timezone.now()
    series_ids = insert_series(series, planned, links)
    insert_rows(Appointment, APPOINTMENT_FIELDS,
              (_appointment_row(rng, pk, occurrence, links, today=today, now=now,
                                series_id=series_ids[id(occurrence.series)])
               for pk, occurrence in zip(ids, planned, strict=True)))
    clinicians = Appointment.clinicians.through
    insert_rows(clinicians, ("appointment_id", "membership_id"),
              ((pk, links.memberships[key].pk)
               for pk, occurrence in zip(ids, planned, strict=True)
               for key in occurrence.series.clinicians))
    clients = Appointment.clients.through
    insert_rows(clients, ("appointment_id", "client_id"),
              ((pk, links.clients[index].pk)
               for pk, occurrence in zip(ids, planned, strict=True)
               for index in occurrence.series.clients))
    _insert_group_attendance(rng, ids, planned, links, today=today, now=now)
    insert_unit_attendance(links.practice)  # couple and family members' own rows
    upcoming = Appointment.objects.filter(practice=links.practice, ends_at__gt=now)
    sync_slots(list(upcoming.values_list("pk", flat=True)))
    return len(planned)


def insert_series(series: list[Series], planned: list[Occurrence], links: Links
                  ) -> dict[int, int]:
    """One recurring series row per planned series, materialised through its last seeded
    week; returns the row id by the plan's id()."""
    first: dict[int, Occurrence] = {}
    last: dict[int, dt.date] = {}
    for occurrence in planned:
        first.setdefault(id(occurrence.series), occurrence)
        last[id(occurrence.series)] = occurrence.day
    rows: dict[int, SeriesRow] = {}
    for one in series:
        if id(one) not in first:
            continue
        start = first[id(one)]
        rule = WEEKLY_RULE if len(one.parities) == 2 else FORTNIGHTLY_RULE
        if one.end_week is not None and one.end_week <= LAST_WEEK:  # ended: last seeded
            rule += f";UNTIL={last[id(one)]:%Y%m%d}T235959"
        rows[id(one)] = SeriesRow(
            practice=links.practice, rule=rule, starts_on=start.day,
            start_time=dt.time(start.hour), time_zone=links.practice.time_zone,
            minutes=one.minutes, kind=one.kind, format=one.format,
            purpose=Purpose.FOLLOW_UP if one.medication_review else Purpose.TREATMENT,
            room=links.rooms[one.room] if one.room and one.format == Format.IN_PERSON else None,
            unit=links.units.get(one.unit), group=links.group if one.is_group else None,
            materialised_until=last[id(one)])
    SeriesRow.objects.bulk_create(rows.values())
    insert_rows(SeriesRow.clinicians.through, ("series_id", "membership_id"),
                ((rows[id(one)].pk, links.memberships[key].pk)
                 for one in series if id(one) in rows for key in one.clinicians))
    insert_rows(SeriesRow.clients.through, ("series_id", "client_id"),
                ((rows[id(one)].pk, links.clients[index].pk)
                 for one in series if id(one) in rows and not one.is_group
                 for index in one.clients))
    return {key: row.pk for key, row in rows.items()}


def _insert_group_attendance(rng: random.Random, ids: list[int], planned: list[Occurrence],
                             links: Links, *, today: dt.date, now: dt.datetime) -> None:
    """Each member's own attendance at each group session: mostly present."""
    rows = []
    for pk, occurrence in zip(ids, planned, strict=True):
        if not occurrence.series.is_group:
            continue
        for index in occurrence.series.clients:
            status = Status.SCHEDULED
            if occurrence.day < today:
                status = rng.choices(GROUP_MEMBER_OUTCOMES, weights=GROUP_MEMBER_WEIGHTS)[0]
            reason = rng.choice(REASONS_CLIENT) if status == Status.CANCELLED_CLIENT else ""
            rows.append((*base_columns(now), pk, links.clients[index].pk, status, reason))
    insert_rows(Attendance, ("public_id", "created_at", "updated_at", "appointment_id",
                             "client_id", "status", "cancel_reason"), rows)


def link_episodes(practice: Practice) -> None:
    """Point each individual session, and each member's group attendance, at the client's
    episode that covered the session's date (when the seeded episodes have one).

    The tables were just filled in this transaction, so the planner has no statistics and
    expects one row each: it would nest loops over every appointment and episode (minutes
    at 5,000 clients). ANALYZE cannot see uncommitted rows, so nested loops are switched
    off for these two statements instead."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('enable_nestloop', 'off', true)")
        cursor.execute(
            "UPDATE scheduling_appointment a SET episode_id = e.id "
            "FROM scheduling_appointment_clients ac, clients_episode e "
            "WHERE ac.appointment_id = a.id AND e.client_id = ac.client_id "
            "AND a.practice_id = %(p)s AND a.kind = 'individual' "
            "AND (a.starts_at AT TIME ZONE %(tz)s)::date >= e.opened_on "
            "AND (e.discharged_on IS NULL "
            "     OR (a.starts_at AT TIME ZONE %(tz)s)::date <= e.discharged_on)",
            {"p": practice.pk, "tz": practice.time_zone})
        cursor.execute(
            "UPDATE scheduling_attendance t SET episode_id = e.id "
            "FROM scheduling_appointment a, clients_episode e "
            "WHERE t.appointment_id = a.id AND e.client_id = t.client_id "
            "AND a.practice_id = %(p)s "
            "AND (a.starts_at AT TIME ZONE %(tz)s)::date >= e.opened_on "
            "AND (e.discharged_on IS NULL "
            "     OR (a.starts_at AT TIME ZONE %(tz)s)::date <= e.discharged_on)",
            {"p": practice.pk, "tz": practice.time_zone})
        cursor.execute("SELECT set_config('enable_nestloop', 'on', true)")


def insert_scheduling_settings(practice: Practice, memberships: dict[str, Membership],
                               today: dt.date) -> None:
    """The demo's video service, and working hours that cover the seeded timetable
    (weekdays 09:00-19:30, the evening group included; today too at a weekend)."""
    SchedulingSettings.objects.create(practice=practice, video_url_template=DEMO_VIDEO_SERVICE)
    days = {0, 1, 2, 3, 4, today.weekday()}
    WorkingHours.objects.bulk_create(
        WorkingHours(practice=practice, membership=member, weekday=day, starts=dt.time(9),
                     ends=dt.time(19, 30))
        for member in memberships.values() if member.is_clinical for day in sorted(days))


def _appointment_row(rng: random.Random, pk: int, occurrence: Occurrence, links: Links, *,
                     today: dt.date, now: dt.datetime, series_id: int) -> tuple[object, ...]:
    one = occurrence.series
    starts = local_datetime(occurrence.day, occurrence.hour, 0, links.practice.time_zone)
    session_format = format_of(rng, one)
    room = links.rooms[one.room] if one.room and session_format == Format.IN_PERSON else None
    unit = links.units.get(one.unit)
    status = status_of(rng, occurrence, today)
    reason = ""
    if status in (Status.CANCELLED_CLIENT, Status.CANCELLED_LATE, Status.DID_NOT_ATTEND):
        reason = rng.choice(REASONS_CLIENT) if rng.random() < 0.7 else ""
    elif status == Status.CANCELLED_CLINICIAN:
        reason = CancelReason.CLINICIAN_UNAVAILABLE
    return (
        pk, *base_columns(now), links.practice.pk, one.kind, purpose_of(occurrence),
        session_format, starts, starts + dt.timedelta(minutes=one.minutes),
        status, room.pk if room else None,
        unit.pk if unit else None, links.group.pk if one.is_group else None,
        series_id, starts, secrets.token_urlsafe(12) if session_format == Format.VIDEO else "",
        reason,
    )


def insert_rooms(practice: Practice, names: tuple[str, ...]) -> dict[str, Room]:
    rooms = Room.objects.bulk_create([Room(practice=practice, name=name) for name in names])
    return {room.name: room for room in rooms}
