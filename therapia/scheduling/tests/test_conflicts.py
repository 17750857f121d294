"""No double booking of a clinician, a client or a room — enforced by the database, so two
simultaneous bookings cannot both succeed; working hours and time off."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from therapia.core.testing import Personas
from therapia.scheduling import availability, services
from therapia.scheduling.models import Appointment, CancelReason, Slot, Weekday
from therapia.scheduling.tests.helpers import TOMORROW, at, book, client_of, room


@pytest.mark.django_db
def test_a_clinician_a_client_and_a_room_cannot_be_double_booked(personas: Personas) -> None:
    book(personas)
    other = client_of(personas, personas.colleague)
    with pytest.raises(ValidationError, match="Alice already has a session"):
        book(personas, clients=[other], starts=at(TOMORROW, 10, 30),
             where=room(personas, "Rowan Room"))
    with pytest.raises(ValidationError, match="Dana Whitfield already has a session"):
        book(personas, clinician=personas.trainee, where=room(personas, "Rowan Room"))
    with pytest.raises(ValidationError, match="Willow Room is already in use"):
        book(personas, clinician=personas.colleague, clients=[other])
    assert Appointment.objects.count() == 1
    back_to_back = book(personas, starts=at(TOMORROW, 10, 50))  # touching is not overlapping
    assert back_to_back.pk


@pytest.mark.django_db
def test_a_cancelled_session_does_not_block_its_time(personas: Personas) -> None:
    first = book(personas)
    services.appointment_cancel(actor=personas.actor("front_desk"), appointment=first,
                                by_client=True, reason=CancelReason.TRAVEL,
                                now=first.starts_at - dt.timedelta(days=1))
    again = book(personas)
    assert again.starts_at == first.starts_at


@pytest.mark.django_db
def test_the_database_refuses_an_overlap_the_checks_missed(personas: Personas) -> None:
    first = book(personas)
    twin = Appointment.objects.create(practice=personas.practice, kind="individual",
                                      starts_at=first.starts_at, ends_at=first.ends_at)
    twin.clinicians.set([personas.owner])
    with pytest.raises(IntegrityError, match="slot_no_double_booking"), \
            transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(services._SYNC_SQL, [[twin.pk]])


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_bookings_cannot_both_succeed(personas: Personas) -> None:
    """Two threads, two connections, the same clinician at the same time. The first books
    and holds its transaction open; the second passes its checks (it cannot see the
    uncommitted booking), waits on the first's slot in the exclusion constraint, and is
    refused when the first commits."""
    where = [room(personas), room(personas, "Rowan Room")]
    clients = [personas.dana, client_of(personas, personas.owner)]
    first_booked = threading.Event()
    outcomes: dict[int, str] = {}

    def waiting_on_a_lock() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                           "'Lock' AND datname = current_database()")
            return bool(cursor.fetchone()[0])

    def first() -> None:
        try:
            with transaction.atomic():
                book(personas, clients=[clients[0]], where=where[0])
                first_booked.set()
                deadline = time.monotonic() + 10
                while not waiting_on_a_lock() and time.monotonic() < deadline:
                    time.sleep(0.05)
            outcomes[0] = "booked"
        finally:
            connection.close()

    def second() -> None:
        first_booked.wait(timeout=10)
        try:
            book(personas, clients=[clients[1]], where=where[1])
            outcomes[1] = "booked"
        except ValidationError as error:
            outcomes[1] = " ".join(error.messages)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes[0] == "booked"
    assert "booked for an overlapping time just now" in outcomes[1]
    assert Appointment.objects.count() == 1 and Slot.objects.filter(kind=1).count() == 1


@pytest.mark.django_db
def test_booking_outside_working_hours_or_during_time_off_is_refused(personas: Personas
                                                                     ) -> None:
    alice = personas.actor("owner")
    availability.working_hours_add(actor=alice, weekday=Weekday.WEDNESDAY,
                                   starts=dt.time(9), ends=dt.time(13))
    with pytest.raises(ValidationError, match=r"outside Alice's working hours on Wednesdays "
                                              r"\(09:00 to 13:00\)"):
        book(personas, starts=at(TOMORROW, 14))
    book(personas, starts=at(TOMORROW, 12, 10))  # 12:10-13:00 fits
    availability.time_off_add(actor=alice, first_day=TOMORROW + dt.timedelta(days=7),
                              last_day=TOMORROW + dt.timedelta(days=8))
    with pytest.raises(ValidationError, match="away then"):
        book(personas, starts=at(TOMORROW + dt.timedelta(days=7), 10))
