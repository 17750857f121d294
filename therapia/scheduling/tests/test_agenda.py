"""Today's agenda: a clinician's own sessions; the whole practice's for the front desk."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import time_machine
from django.urls import reverse

from therapia.audit.models import Action, AuditEvent
from therapia.core import factories
from therapia.core.testing import Personas

LONDON = zoneinfo.ZoneInfo("Europe/London")


def session_at(personas: Personas, clinician, client, hour: int, day: dt.date):  # type: ignore[no-untyped-def]
    starts = dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)
    return factories.AppointmentFactory.create(
        practice=clinician.practice, starts_at=starts, ends_at=starts + dt.timedelta(minutes=50),
        clinicians=[clinician], clients=[client])


@time_machine.travel(dt.datetime(2026, 3, 10, 8, 0, tzinfo=LONDON), tick=False)
def test_clinician_sees_own_sessions_today_only(personas: Personas, as_user) -> None:
    today = dt.date(2026, 3, 10)
    session_at(personas, personas.owner, personas.dana, 9, today)
    other = factories.ClientFactory.create(practice=personas.practice, legal_family_name="Okoro")
    session_at(personas, personas.colleague, other, 10, today)
    session_at(personas, personas.owner, personas.dana, 9, today + dt.timedelta(days=1))
    session_at(personas, personas.outsider, personas.outsider_client, 11, today)

    body = as_user(personas.owner.user).get(reverse("scheduling:agenda")).content.decode()
    assert "Dana Whitfield" in body and "09:00" in body
    assert "Okoro" not in body and "Outis" not in body
    assert body.count("agenda-item") == 1
    assert AuditEvent.objects.filter(actor_user_id=personas.owner.user.pk,
                                     action=Action.LIST).exists()


@time_machine.travel(dt.datetime(2026, 3, 10, 8, 0, tzinfo=LONDON), tick=False)
def test_front_desk_sees_the_practice_schedule(personas: Personas, as_user) -> None:
    today = dt.date(2026, 3, 10)
    session_at(personas, personas.owner, personas.dana, 9, today)
    other = factories.ClientFactory.create(practice=personas.practice, legal_family_name="Okoro")
    session_at(personas, personas.colleague, other, 10, today)
    session_at(personas, personas.outsider, personas.outsider_client, 11, today)
    body = as_user(personas.front_desk.user).get(reverse("scheduling:agenda")).content.decode()
    assert "Whitfield" in body and "Okoro" in body and "Outis" not in body


@time_machine.travel(dt.datetime(2026, 3, 10, 8, 0, tzinfo=LONDON), tick=False)
def test_other_days_and_a_bad_day_parameter(personas: Personas, as_user) -> None:
    session_at(personas, personas.owner, personas.dana, 9, dt.date(2026, 3, 11))
    http = as_user(personas.owner.user)
    assert "Dana Whitfield" in http.get(reverse("scheduling:agenda"), {"day": "2026-03-11"}
                                        ).content.decode()
    fallback = http.get(reverse("scheduling:agenda"), {"day": "31-31-2026"})
    assert fallback.status_code == 200 and "Tuesday 10 March 2026" in fallback.content.decode()


@time_machine.travel(dt.datetime(2026, 3, 10, 8, 0, tzinfo=LONDON), tick=False)
def test_agenda_query_count_does_not_grow(personas: Personas, as_user,
                                          django_assert_num_queries) -> None:
    http = as_user(personas.front_desk.user)
    today = dt.date(2026, 3, 10)
    session_at(personas, personas.owner, personas.dana, 9, today)
    http.get(reverse("scheduling:agenda"))
    with django_assert_num_queries(16) as first:
        http.get(reverse("scheduling:agenda"))
    for hour in range(10, 17):
        client = factories.ClientFactory.create(practice=personas.practice)
        session_at(personas, personas.colleague, client, hour, today)
    with django_assert_num_queries(len(first.captured_queries)):
        http.get(reverse("scheduling:agenda"))


def test_researcher_sees_no_sessions(personas: Personas, as_user) -> None:
    session_at(personas, personas.owner, personas.dana, 9, dt.date.today())  # noqa: DTZ011
    body = as_user(personas.researcher.user).get(reverse("scheduling:agenda")).content.decode()
    assert "Whitfield" not in body


@time_machine.travel(dt.datetime(2026, 3, 10, 8, 0, tzinfo=LONDON), tick=False)
def test_agenda_warns_of_a_licence_expiring_within_60_days(personas: Personas, as_user) -> None:
    practitioner = factories.PractitionerFactory.create(user=personas.owner.user)
    factories.LicenceFactory.create(practitioner=practitioner, number="PYL04242",
                                    expires_on=dt.date(2026, 4, 9))
    body = as_user(personas.owner.user).get(reverse("scheduling:agenda")).content.decode()
    assert "PYL04242: expires in 30 days" in body
    assert "needs attention" not in as_user(personas.colleague.user).get(
        reverse("scheduling:agenda")).content.decode()
