"""Attendance, counts of attended treatment sessions, and groups: capacity, open/closed,
per-member attendance, and a member's record that never names other members."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from therapia.audit.models import Action, AuditEvent
from therapia.clients.models import Episode
from therapia.core import factories
from therapia.core.testing import Personas
from therapia.scheduling import groups, selectors, services
from therapia.scheduling.models import (
    Attendance,
    Purpose,
    SessionKind,
    Status,
    TherapyGroup,
)
from therapia.scheduling.tests.helpers import NOW, TOMORROW, at, book, room

pytestmark = pytest.mark.django_db
AFTER = at(TOMORROW, 12)


def test_attended_treatment_sessions_count_per_episode(personas: Personas) -> None:
    episode = Episode.objects.create(practice=personas.practice, client=personas.dana,
                                     opened_on=dt.date(2026, 1, 5))
    actor = personas.actor("owner")
    outcomes = [(Status.ATTENDED, Purpose.TREATMENT), (Status.ATTENDED, Purpose.TREATMENT),
                (Status.DID_NOT_ATTEND, Purpose.TREATMENT), (Status.ATTENDED, Purpose.REVIEW)]
    for number, (status, purpose) in enumerate(outcomes):
        session = book(personas, starts=at(TOMORROW + dt.timedelta(days=number), 10),
                       purpose=purpose)
        services.attendance_record(actor=actor, appointment=session, status=status,
                                   now=session.ends_at)
    assert selectors.attended_treatment_sessions(episode) == 2
    row = AuditEvent.objects.filter(action=Action.UPDATE, client_id=personas.dana.pk).first()
    assert row is not None and "status" in row.fields


def test_attendance_follows_the_transition_table(personas: Personas) -> None:
    session = book(personas)
    actor = personas.actor("front_desk")
    with pytest.raises(ValidationError, match="once the session has started"):
        services.attendance_record(actor=actor, appointment=session, status=Status.ATTENDED,
                                   now=NOW)
    services.attendance_record(actor=actor, appointment=session,
                               status=Status.DID_NOT_ATTEND, reason="no_contact", now=AFTER)
    services.attendance_record(actor=actor, appointment=session, status=Status.ATTENDED,
                               now=AFTER)  # a correction
    session.refresh_from_db()
    assert session.status == Status.ATTENDED and session.cancel_reason == ""
    with pytest.raises(ValidationError, match="cannot become"):
        services.appointment_cancel(actor=actor, appointment=session, by_client=True,
                                    reason="illness", now=AFTER)


def make_group(personas: Personas, *, capacity: int = 3, is_open: bool = True
               ) -> tuple[TherapyGroup, list]:  # type: ignore[type-arg]
    group = TherapyGroup.objects.create(practice=personas.practice, name="Skills group",
                                        capacity=capacity, is_open=is_open)
    group.facilitators.set([personas.owner, personas.colleague])
    members = [personas.dana] + [
        factories.ClientFactory.create(practice=personas.practice,
                                       legal_family_name=f"Member{n}") for n in range(2)]
    for client in members:
        factories.CareTeamFactory.create(client=client, membership=personas.colleague,
                                         role="secondary") if client != personas.dana else None
    return group, members


def test_group_capacity_and_closed_groups(personas: Personas) -> None:
    group, members = make_group(personas, capacity=2, is_open=False)
    owner = personas.actor("owner")
    for client in members[:2]:
        groups.member_join(actor=owner, group=group, client=client, now=NOW)
    with pytest.raises(ValidationError, match="full"):
        groups.member_join(actor=owner, group=group, client=members[2], now=NOW)
    group.capacity = 5
    group.save()
    session = book(personas, kind=SessionKind.GROUP, group=group, clients=[],
                   clinician=personas.owner)
    session.clinicians.add(personas.colleague)
    services.attendance_record(actor=owner, appointment=session, status=Status.ATTENDED,
                               now=AFTER)
    with pytest.raises(ValidationError, match="closed group"):
        groups.member_join(actor=owner, group=group, client=members[2], now=AFTER)
    with pytest.raises(Exception, match="facilitators"):
        groups.member_join(actor=personas.actor("front_desk"), group=group,
                           client=members[2], now=NOW)


def test_per_member_attendance_and_joining_leaving(personas: Personas) -> None:
    group, members = make_group(personas)
    owner = personas.actor("owner")
    for client in members[:2]:
        groups.member_join(actor=owner, group=group, client=client, now=NOW)
    session = book(personas, kind=SessionKind.GROUP, group=group, clients=[])
    assert set(session.clients.all()) == set(members[:2])
    assert Attendance.objects.filter(appointment=session).count() == 2
    joined = groups.member_join(actor=owner, group=group, client=members[2], now=NOW)
    assert members[2] in session.clients.all()  # the upcoming session has the newcomer
    groups.member_leave(actor=owner, group=group, member_id=str(joined.public_id), now=NOW)
    assert members[2] not in session.clients.all()
    row = services.group_attendance_record(actor=owner, appointment=session,
                                           client=members[0], status=Status.ATTENDED,
                                           now=AFTER)
    services.group_attendance_record(actor=owner, appointment=session, client=members[1],
                                     status=Status.DID_NOT_ATTEND, now=AFTER)
    assert row.status == Status.ATTENDED
    assert AuditEvent.objects.filter(object_id=str(row.public_id),
                                     client_id=members[0].pk).exists()
    with pytest.raises(Exception, match="facilitators"):
        services.group_attendance_record(actor=personas.actor("front_desk"),
                                         appointment=session, client=members[0],
                                         status=Status.ATTENDED, now=AFTER)


@time_machine.travel(NOW, tick=False)
def test_a_members_record_never_names_other_members(personas: Personas, as_user) -> None:
    group, members = make_group(personas)
    owner = personas.actor("owner")
    for client in members:
        groups.member_join(actor=owner, group=group, client=client, now=NOW)
    session = book(personas, kind=SessionKind.GROUP, group=group, clients=[])
    body = as_user(personas.owner.user).get(
        reverse("scheduling:client_sessions", args=[personas.dana.public_id])).content.decode()
    assert "Group: Skills group" in body
    assert "Member0" not in body and "Member1" not in body
    front = as_user(personas.front_desk.user).get(
        reverse("scheduling:session", args=[session.public_id])).content.decode()
    assert "Member0" not in front  # the roster is the facilitators' only
    facilitator = as_user(personas.owner.user).get(
        reverse("scheduling:session", args=[session.public_id])).content.decode()
    assert "Member0" in facilitator
    room(personas)
