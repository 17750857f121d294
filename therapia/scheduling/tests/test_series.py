"""Recurring series: weekly, fortnightly, custom RFC 5545 rules; exceptions; count and end
date; "this one" and "this and following"; wall-clock times across daylight saving."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError

from therapia.core.testing import Personas
from therapia.scheduling import series, services
from therapia.scheduling.models import Appointment, CancelReason, Format, Series, Status
from therapia.scheduling.tests.helpers import NOW, at, room

pytestmark = pytest.mark.django_db
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def make(personas: Personas, rule: str, starts: dt.datetime, *,
         exceptions: list[dt.date] | None = None, now: dt.datetime = NOW) -> Series:
    booking = services.Booking(kind="individual", starts_at=starts,
                               ends_at=starts + dt.timedelta(minutes=50),
                               clinicians=[personas.owner], clients=[personas.dana],
                               room=room(personas))
    return series.series_create(actor=personas.actor("front_desk"), booking=booking,
                                rule=rule, exceptions=exceptions, now=now)


def local_times(made: Series, zone: zoneinfo.ZoneInfo) -> list[tuple[dt.date, dt.time]]:
    return [(a.starts_at.astimezone(zone).date(), a.starts_at.astimezone(zone).time())
            for a in made.appointments.order_by("starts_at")]


def test_weekly_sessions_keep_their_wall_clock_time_across_london_dst(personas: Personas
                                                                      ) -> None:
    # Clocks go forward on 29 March 2026 and back on 25 October 2026 in London.
    made = make(personas, series.with_end(series.WEEKLY, until=None, count=4),
                at(dt.date(2026, 3, 18), 10))
    times = local_times(made, zoneinfo.ZoneInfo("Europe/London"))
    assert [day for day, _ in times] == [dt.date(2026, 3, 18), dt.date(2026, 3, 25),
                                         dt.date(2026, 4, 1), dt.date(2026, 4, 8)]
    assert {time for _, time in times} == {dt.time(10)}
    utc_hours = [a.starts_at.astimezone(dt.UTC).hour for a in made.appointments.all()]
    assert sorted(utc_hours) == [9, 9, 10, 10]  # GMT, then BST


def test_new_york_practice_across_both_dst_changes(personas: Personas) -> None:
    personas.practice.time_zone = "America/New_York"
    personas.practice.save()
    start = dt.datetime(2026, 10, 27, 17, 30, tzinfo=NEW_YORK)  # clocks go back on 1 Nov
    now = dt.datetime(2026, 10, 1, 9, 0, tzinfo=NEW_YORK)
    made = make(personas, "FREQ=WEEKLY;COUNT=3", start, now=now)
    assert {time for _, time in local_times(made, NEW_YORK)} == {dt.time(17, 30)}
    spring = make(personas, "FREQ=WEEKLY;COUNT=3",
                  dt.datetime(2027, 3, 2, 8, 0, tzinfo=NEW_YORK), now=now)  # forward 14 Mar
    assert {time for _, time in local_times(spring, NEW_YORK)} == {dt.time(8)}


def test_fortnightly_with_an_end_date_and_an_exception(personas: Personas) -> None:
    rule = series.with_end(series.FORTNIGHTLY, until=dt.date(2026, 5, 1), count=None)
    made = make(personas, rule, at(dt.date(2026, 3, 11), 9),
                exceptions=[dt.date(2026, 3, 25)])
    assert [day for day, _ in local_times(made, zoneinfo.ZoneInfo("Europe/London"))] == [
        dt.date(2026, 3, 11), dt.date(2026, 4, 8), dt.date(2026, 4, 22)]


def test_a_custom_rule_twice_a_week(personas: Personas) -> None:
    made = make(personas, "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=4", at(dt.date(2026, 3, 12), 15))
    assert [d.strftime("%a %d") for d, _ in local_times(
        made, zoneinfo.ZoneInfo("Europe/London"))] == ["Thu 12", "Mon 16", "Thu 19", "Mon 23"]


@pytest.mark.parametrize(("rule", "message"), [
    ("FREQ=SOMETIMES", "not valid RFC 5545"), ("", "Give one RRULE")])
def test_bad_rules_are_refused_clearly(personas: Personas, rule: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        make(personas, rule, at(dt.date(2026, 3, 11), 9))
    assert not Series.objects.exists()


def test_a_clash_refuses_the_whole_series_naming_the_date(personas: Personas) -> None:
    blocker = services.Booking(kind="individual", starts_at=at(dt.date(2026, 3, 25), 9),
                               ends_at=at(dt.date(2026, 3, 25), 10),
                               clinicians=[personas.owner], clients=[personas.dana],
                               format=Format.PHONE)
    services.appointment_book(actor=personas.actor("owner"), booking=blocker, now=NOW)
    with pytest.raises(ValidationError, match="Wed 25 Mar 2026: Alice already has a session"):
        make(personas, "FREQ=WEEKLY;COUNT=4", at(dt.date(2026, 3, 11), 9))
    assert Appointment.objects.count() == 1


def test_this_one_and_this_and_following(personas: Personas) -> None:
    made = make(personas, "FREQ=WEEKLY;COUNT=6", at(dt.date(2026, 3, 11), 9))
    sessions = list(made.appointments.order_by("starts_at"))
    actor = personas.actor("front_desk")
    # This one: the second session moves to the afternoon; the others stay.
    services.appointment_move(actor=actor, appointment=sessions[1],
                              starts_at=at(dt.date(2026, 3, 18), 14),
                              ends_at=at(dt.date(2026, 3, 18), 14, 50), now=NOW)
    services.appointment_cancel(actor=actor, appointment=sessions[2], by_client=True,
                                reason=CancelReason.ILLNESS, now=NOW)
    assert series.series_extend(actor=actor, series=made, now=NOW) == 0  # none re-made
    # This and following: from the fourth session, Thursdays at 11.
    newer = series.series_change_following(
        actor=actor, appointment=sessions[3], starts_at=at(dt.date(2026, 4, 2), 11),
        ends_at=at(dt.date(2026, 4, 2), 11, 50), now=NOW)
    made.refresh_from_db()
    london = zoneinfo.ZoneInfo("Europe/London")
    assert [(d.isoformat(), t.hour) for d, t in local_times(made, london)] == [
        ("2026-03-11", 9), ("2026-03-18", 14), ("2026-03-25", 9)]
    assert sessions[2].pk in made.appointments.filter(status=Status.CANCELLED_CLIENT
                                                      ).values_list("pk", flat=True)
    assert [(d.isoformat(), t.hour) for d, t in local_times(newer, london)] == [
        ("2026-04-02", 11), ("2026-04-09", 11), ("2026-04-16", 11)]  # the rest of the count
