"""Couple and family sessions count for each member's own episode: a row per member, the
session's outcome copied to it, the member's timeline naming neither the unit nor the
others."""

from __future__ import annotations

import datetime as dt

import pytest

from therapia.audit.models import Action, AuditEvent
from therapia.clients.models import Client, ClientUnit, Episode, UnitKind, UnitMember
from therapia.core import factories
from therapia.core.testing import Personas
from therapia.scheduling import selectors, services, timeline
from therapia.scheduling.models import Appointment, Attendance, SessionKind, Status
from therapia.scheduling.tests.helpers import TOMORROW, at, book
from therapia.scheduling.unit_attendance import insert_unit_attendance

pytestmark = pytest.mark.django_db
OPENED = dt.date(2026, 1, 5)


def unit_of(personas: Personas, kind: str, name: str) -> tuple[ClientUnit, list]:  # type: ignore[type-arg]
    unit = ClientUnit.objects.create(practice=personas.practice, kind=kind, name=name)
    other = factories.ClientFactory.create(practice=personas.practice,
                                           legal_family_name="Partnerson")
    for client in (personas.dana, other):
        UnitMember.objects.create(unit=unit, client=client, role="partner")
    return unit, [personas.dana, other]


def episode_of(personas: Personas, client: Client) -> Episode:
    return Episode.objects.create(practice=personas.practice, client=client,
                                  opened_on=OPENED)


def test_a_couple_session_counts_for_each_members_episode(personas: Personas) -> None:
    unit, members = unit_of(personas, UnitKind.COUPLE, "The Partnersons")
    episodes = [episode_of(personas, client) for client in members]
    session = book(personas, kind=SessionKind.COUPLE, unit=unit, clients=[])
    rows = Attendance.objects.filter(appointment=session)
    assert {(r.client_id, r.episode_id) for r in rows} == {
        (c.pk, e.pk) for c, e in zip(members, episodes, strict=True)}
    desk = personas.actor("front_desk")
    services.attendance_record(actor=desk, appointment=session, status=Status.ATTENDED,
                               now=session.ends_at)
    assert [selectors.attended_treatment_sessions(e) for e in episodes] == [1, 1]
    assert set(rows.values_list("status", flat=True)) == {Status.ATTENDED}
    assert AuditEvent.objects.filter(action=Action.UPDATE, client_id=members[1].pk,
                                     object_id=str(session.public_id)).exists()
    services.attendance_record(actor=desk, appointment=session, status=Status.DID_NOT_ATTEND,
                               reason="illness", now=session.ends_at)  # a correction
    assert [selectors.attended_treatment_sessions(e) for e in episodes] == [0, 0]
    assert set(rows.values_list("status", "cancel_reason")) == {
        (Status.DID_NOT_ATTEND, "illness")}


def test_a_family_row_booked_before_the_episode_is_linked_when_attended(
        personas: Personas) -> None:
    unit, members = unit_of(personas, UnitKind.FAMILY, "The Partnerson family")
    session = book(personas, kind=SessionKind.FAMILY, unit=unit, clients=[])
    assert not Attendance.objects.filter(appointment=session, episode__isnull=False).exists()
    episode = episode_of(personas, members[1])  # only one member is in treatment
    services.attendance_record(actor=personas.actor("owner"), appointment=session,
                               status=Status.ATTENDED, now=session.ends_at)
    assert selectors.attended_treatment_sessions(episode) == 1
    assert Attendance.objects.get(appointment=session, client=members[0]).episode is None


def test_a_cancelled_couple_session_does_not_count(personas: Personas) -> None:
    unit, members = unit_of(personas, UnitKind.COUPLE, "The Partnersons")
    episode = episode_of(personas, members[0])
    session = book(personas, kind=SessionKind.COUPLE, unit=unit, clients=[])
    services.appointment_cancel(actor=personas.actor("front_desk"), appointment=session,
                                by_client=False, reason="practice_closed",
                                now=at(TOMORROW, 8))
    assert set(Attendance.objects.filter(appointment=session).values_list(
        "status", flat=True)) == {Status.CANCELLED_CLINICIAN}
    assert selectors.attended_treatment_sessions(episode) == 0


def test_a_members_timeline_names_neither_the_unit_nor_the_others(personas: Personas) -> None:
    unit, members = unit_of(personas, UnitKind.COUPLE, "The Partnersons")
    episode = episode_of(personas, members[0])
    session = book(personas, kind=SessionKind.COUPLE, unit=unit, clients=[])
    services.attendance_record(actor=personas.actor("owner"), appointment=session,
                               status=Status.ATTENDED, now=session.ends_at)
    titles = [event.title for event in timeline.events(personas.actor("owner"), episode)]
    assert titles == ["Couple session: attended"]


def test_bulk_rows_for_existing_unit_sessions(personas: Personas) -> None:
    """What the demo seeder uses: one row per member with the session's outcome, once."""
    unit, members = unit_of(personas, UnitKind.FAMILY, "The Partnerson family")
    session = factories.AppointmentFactory.create(
        practice=personas.practice, kind=SessionKind.FAMILY, unit=unit,
        status=Status.ATTENDED, clinicians=[personas.owner], clients=members)
    individual = factories.AppointmentFactory.create(
        practice=personas.practice, clinicians=[personas.owner], clients=[members[0]],
        starts_at=session.starts_at + dt.timedelta(hours=2))
    assert insert_unit_attendance(personas.practice) == 2
    assert insert_unit_attendance(personas.practice) == 0
    assert set(Attendance.objects.filter(appointment=session).values_list(
        "client_id", "status")) == {(c.pk, Status.ATTENDED) for c in members}
    assert not Attendance.objects.filter(appointment=individual).exists()
    assert Appointment.objects.filter(practice=personas.practice).count() == 2
