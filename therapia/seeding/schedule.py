"""Six months of sessions and the next two weeks: series placed on the timetable, then one
appointment per week (or fortnight) of each series, with realistic attendance."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils import timezone

from therapia.accounts.models import Membership, Practice, Profession
from therapia.clients.models import Client, ClientUnit
from therapia.scheduling.models import (
    Appointment,
    Format,
    Purpose,
    Room,
    SessionKind,
    Status,
    TherapyGroup,
)
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
                      "unit_id", "group_id")


def insert_appointments(rng: random.Random, series: list[Series], links: Links, *,
                        today: dt.date) -> int:
    """Writes the appointments and their clinicians and clients; returns how many."""
    planned = list(occurrences(series, today))
    ids = reserve_ids(Appointment, len(planned))
    now = timezone.now()
    insert_rows(Appointment, APPOINTMENT_FIELDS,
              (_appointment_row(rng, pk, occurrence, links, today=today, now=now)
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
    return len(planned)


def _appointment_row(rng: random.Random, pk: int, occurrence: Occurrence, links: Links, *,
                     today: dt.date, now: dt.datetime) -> tuple[object, ...]:
    one = occurrence.series
    starts = local_datetime(occurrence.day, occurrence.hour, 0, links.practice.time_zone)
    session_format = format_of(rng, one)
    room = links.rooms[one.room] if one.room and session_format == Format.IN_PERSON else None
    unit = links.units.get(one.unit)
    return (
        pk, *base_columns(now), links.practice.pk, one.kind, purpose_of(occurrence),
        session_format, starts, starts + dt.timedelta(minutes=one.minutes),
        status_of(rng, occurrence, today), room.pk if room else None,
        unit.pk if unit else None, links.group.pk if one.is_group else None,
    )


def insert_rooms(practice: Practice, names: tuple[str, ...]) -> dict[str, Room]:
    rooms = Room.objects.bulk_create([Room(practice=practice, name=name) for name in names])
    return {room.name: room for room in rooms}
