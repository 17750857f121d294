"""Booking, moving and cancelling sessions: types, formats, clear refusals, audit rows."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from therapia.audit.models import Action, AuditEvent
from therapia.clients.models import ClientUnit, Episode, UnitMember
from therapia.core import factories
from therapia.core.testing import Personas
from therapia.scheduling import services
from therapia.scheduling.models import (
    Appointment,
    CancelReason,
    Format,
    Room,
    SchedulingSettings,
    SessionKind,
    Slot,
    Status,
)
from therapia.scheduling.tests.helpers import NOW, TOMORROW, at, book, room

pytestmark = pytest.mark.django_db


def test_an_individual_session_holds_its_clinician_client_and_room(personas: Personas) -> None:
    episode = Episode.objects.create(practice=personas.practice, client=personas.dana,
                                     opened_on=dt.date(2026, 1, 5))
    session = book(personas)
    assert session.episode == episode  # linked to the client's open episode
    assert sorted(Slot.objects.filter(appointment=session).values_list("kind", flat=True)) \
        == [1, 2, 3]
    rows = AuditEvent.objects.filter(object_id=str(session.public_id), action=Action.CREATE)
    assert rows.count() == 1 and rows.get().client_id == personas.dana.pk
    assert "starts_at" in rows.get().fields


def test_video_sessions_get_a_join_link_from_the_practices_own_service(personas: Personas
                                                                        ) -> None:
    with pytest.raises(ValidationError, match="video service is not set up"):
        book(personas, fmt=Format.VIDEO)
    SchedulingSettings.objects.update_or_create(
        practice=personas.practice,
        defaults={"video_url_template": "https://video.riverside.example/{meeting}"})
    session = book(personas, fmt=Format.VIDEO)
    link = services.join_link(session, services.settings_for(personas.practice))
    assert link.startswith("https://video.riverside.example/") and session.video_code in link
    assert session.room is None


def test_phone_sessions_need_no_room(personas: Personas) -> None:
    session = book(personas, fmt=Format.PHONE)
    assert session.room is None and not Slot.objects.filter(appointment=session, kind=3).exists()


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"starts": NOW - dt.timedelta(hours=1)}, "starts_at", "in the past"),
    ({"minutes": 0}, "ends_at", "end after it starts"),
    ({"where": None}, "room", "needs a room"),
])
def test_bad_bookings_are_refused_clearly(personas: Personas, change: dict[str, object],
                                          field: str, message: str) -> None:
    args: dict[str, object] = {"where": room(personas), **change}
    with pytest.raises(ValidationError) as refused:
        book(personas, **args)  # type: ignore[arg-type]
    assert message in " ".join(refused.value.message_dict[field])
    assert not Appointment.objects.exists()


def test_a_room_of_another_practice_is_refused(personas: Personas) -> None:
    theirs = Room.objects.create(practice=personas.other_practice, name="Elsewhere")
    with pytest.raises(ValidationError, match="practice's rooms"):
        book(personas, where=theirs)


def test_a_couple_session_is_for_the_couples_members(personas: Personas) -> None:
    partner = factories.ClientFactory.create(practice=personas.practice)
    unit = ClientUnit.objects.create(practice=personas.practice, kind="couple",
                                     name="Whitfield and partner")
    UnitMember.objects.create(unit=unit, client=personas.dana, role="partner")
    UnitMember.objects.create(unit=unit, client=partner, role="partner")
    session = book(personas, kind=SessionKind.COUPLE, clients=[], unit=unit)
    assert set(session.clients.all()) == {personas.dana, partner}
    assert AuditEvent.objects.filter(object_id=str(session.public_id)).count() == 2


@time_machine.travel(NOW, tick=False)
def test_moving_a_session_moves_its_slots_and_is_audited(personas: Personas) -> None:
    session = book(personas)
    later = at(TOMORROW, 14)
    services.appointment_move(actor=personas.actor("front_desk"), appointment=session,
                              starts_at=later, ends_at=later + dt.timedelta(minutes=50), now=NOW)
    session.refresh_from_db()
    assert session.starts_at == later
    assert Slot.objects.filter(appointment=session).first().period.lower == later  # type: ignore[union-attr]
    update = AuditEvent.objects.get(object_id=str(session.public_id), action=Action.UPDATE)
    assert sorted(update.fields) == ["ends_at", "starts_at"]


@pytest.mark.parametrize(("hours_before", "expected"), [
    (30, Status.CANCELLED_CLIENT), (3, Status.CANCELLED_LATE)])
def test_a_clients_cancellation_is_late_by_the_practices_notice(
        personas: Personas, hours_before: int, expected: str) -> None:
    session = book(personas)
    services.appointment_cancel(actor=personas.actor("front_desk"), appointment=session,
                                by_client=True, reason=CancelReason.ILLNESS,
                                now=session.starts_at - dt.timedelta(hours=hours_before))
    session.refresh_from_db()
    assert session.status == expected and session.cancel_reason == CancelReason.ILLNESS
    assert not Slot.objects.filter(appointment=session).exists()  # cancelled: holds nothing


def test_the_notice_period_is_the_practices_own(personas: Personas) -> None:
    SchedulingSettings.objects.update_or_create(practice=personas.practice,
                                                defaults={"late_cancellation_hours": 48})
    session = book(personas)
    services.appointment_cancel(actor=personas.actor("owner"), appointment=session,
                                by_client=True, reason=CancelReason.WORK_OR_STUDY,
                                now=session.starts_at - dt.timedelta(hours=30))
    session.refresh_from_db()
    assert session.status == Status.CANCELLED_LATE


def test_a_clinician_who_cannot_see_the_client_cannot_book_for_them(personas: Personas
                                                                     ) -> None:
    with pytest.raises(ValidationError, match="clients of this practice"):
        book(personas, actor="colleague", clinician=personas.colleague)


# --- Pages -------------------------------------------------------------------------------

@time_machine.travel(NOW, tick=False)
def test_the_booking_form_books_and_shows_errors_beside_fields(personas: Personas,
                                                               as_user) -> None:
    http = as_user(personas.front_desk.user)
    where = room(personas)
    page = http.get(reverse("scheduling:book"))
    assert page.status_code == 200
    data = {"form_token": "", "kind": "individual", "purpose": "treatment",
            "format": "in_person", "day": "2026-03-11", "start": "10:00", "minutes": "50",
            "time_zone": "Mars/Olympus", "clinicians": [str(personas.owner.public_id)],
            "client": str(personas.dana.public_id), "room": str(where.public_id)}
    refused = http.post(reverse("scheduling:book"), data)
    assert refused.status_code == 422
    assert "Unknown time zone" in refused.content.decode()
    assert 'aria-describedby="id_time_zone_error' in refused.content.decode() or \
        "id_time_zone_error" in refused.content.decode()
    assert not Appointment.objects.exists()
    past = http.post(reverse("scheduling:book"), {**data, "time_zone": "Europe/London",
                                                  "day": "2026-03-01"})
    assert past.status_code == 422 and "in the past" in past.content.decode()
    unknown = http.post(reverse("scheduling:book"), {**data, "time_zone": "Europe/London",
                                                     "room": str(uuid.UUID(int=0))})
    assert "Choose one of the practice" in unknown.content.decode()
    done = http.post(reverse("scheduling:book"), {**data, "time_zone": "Europe/London"})
    assert done.status_code == 302
    session = Appointment.objects.get()
    assert done["Location"] == reverse("scheduling:session", args=[session.public_id])


@time_machine.travel(NOW, tick=False)
def test_session_pages_are_404_for_outsiders_and_colleagues(personas: Personas, as_user
                                                            ) -> None:
    session = book(personas)
    url = reverse("scheduling:session", args=[session.public_id])
    for name in ("outsider", "colleague", "researcher"):
        http = as_user(getattr(personas, name).user)
        assert http.get(url).status_code == 404, name
        assert http.post(reverse("scheduling:session_cancel", args=[session.public_id]),
                         {"cancel-by": "client", "cancel-reason": "illness"}).status_code == 404
    for name in ("owner", "front_desk", "trainee"):
        assert as_user(getattr(personas, name).user).get(url).status_code == 200, name
    session.refresh_from_db()
    assert session.status == Status.SCHEDULED


@time_machine.travel(NOW, tick=False)
def test_cancel_and_attendance_through_the_pages(personas: Personas, as_user) -> None:
    session = book(personas)
    http = as_user(personas.owner.user)
    early = http.post(reverse("scheduling:session_attendance", args=[session.public_id]),
                      {"attendance-status": "attended"})
    assert early.status_code == 422 and "once the session has started" in early.content.decode()
    cancel = http.post(reverse("scheduling:session_cancel", args=[session.public_id]),
                       {"cancel-by": "clinician", "cancel-reason": "clinician_unavailable"})
    assert cancel.status_code == 302
    session.refresh_from_db()
    assert session.status == Status.CANCELLED_CLINICIAN
