"""Sessions in the browser: a clinician and a front-desk member book, move, cancel and
record attendance; the calendar, the booking form (with its errors) and a session page
pass axe-core's WCAG 2.1 AA rules."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone
from playwright.sync_api import Page

from therapia.accounts.models import Role
from therapia.clients.models import ClientUnit, UnitMember
from therapia.core import factories
from therapia.e2e.helpers import accessibility_violations, make_clinic, sign_in
from therapia.scheduling.models import Appointment, GroupMember, Room, Status, TherapyGroup


def _next_weekday(days: int = 2) -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=days)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7 if day.weekday() > 4 else 0)


def _book(page: Page, live_url: str, *, kind: str, day: dt.date, hour: str,
          choose: dict[str, str]) -> None:
    page.goto(f"{live_url}/agenda/book/")
    page.locator("#id_kind").select_option(kind)
    page.locator("#id_day").fill(day.isoformat())
    page.locator("#id_start").fill(hour)
    for field, option in choose.items():
        page.locator(f"#id_{field}").select_option(label=option)
    page.get_by_role("button", name="Book").click()
    page.wait_for_url("**/agenda/sessions/**")


def test_a_clinician_books_moves_cancels_and_records_attendance(live_url: str,
                                                                page: Page) -> None:
    clinic = make_clinic(role=Role.CLINICIAN)
    practice = clinic.membership.practice
    Room.objects.create(practice=practice, name="Willow Room")
    sign_in(page, live_url, clinic)
    day = _next_weekday()
    page.goto(f"{live_url}/agenda/book/")
    page.get_by_role("button", name="Book").click()  # empty: errors beside the fields
    assert page.locator(".field-invalid").count() > 0
    errors = accessibility_violations(page)
    _book(page, live_url, kind="individual", day=day, hour="10:00",
          choose={"client": f"Zora Quill{clinic.tag}", "room": "Willow Room"})
    session = Appointment.objects.get(practice=practice)
    errors += accessibility_violations(page)
    page.locator("#id_start").fill("14:00")
    page.get_by_role("button", name="Move session").click()
    page.wait_for_url(f"**/agenda/sessions/{session.public_id}/")
    session.refresh_from_db()
    assert session.starts_at.astimezone(zoneinfo.ZoneInfo(practice.time_zone)).hour == 14
    page.locator("#id_cancel-by_0").check()
    page.locator("#id_cancel-reason").select_option("illness")
    page.get_by_role("button", name="Cancel session").click()
    page.locator("#status", has_text="Cancelled by client").wait_for()
    # A session that has taken place: record attendance.
    past = factories.AppointmentFactory.create(
        practice=practice, starts_at=timezone.now() - dt.timedelta(hours=2),
        clinicians=[clinic.membership], clients=[clinic.client])
    page.goto(f"{live_url}/agenda/sessions/{past.public_id}/")
    page.locator("#id_attendance-status_0").check()
    page.get_by_role("button", name="Record attendance").click()
    page.locator("#status", has_text="Attended").wait_for()
    page.goto(f"{live_url}/agenda/calendar/?scope=practice&date={day.isoformat()}")
    errors += accessibility_violations(page)
    page.get_by_role("link", name="Next").click()  # HTMX navigation keeps the page whole
    page.get_by_role("heading", name="Week of").wait_for()
    assert errors == [], errors


def test_the_front_desk_books_a_couple_and_a_group_session(live_url: str, page: Page) -> None:
    clinic = make_clinic(role=Role.FRONT_DESK)
    practice = clinic.membership.practice
    clinician = factories.MembershipFactory.create(
        practice=practice, role=Role.CLINICIAN,
        user=factories.UserFactory.create(display_name=f"Cal Linn{clinic.tag}"))
    Room.objects.create(practice=practice, name="Family Room")
    partner = factories.ClientFactory.create(practice=practice)
    unit = ClientUnit.objects.create(practice=practice, kind="couple", name="The Quills")
    UnitMember.objects.create(unit=unit, client=clinic.client, role="partner")
    UnitMember.objects.create(unit=unit, client=partner, role="partner")
    group = TherapyGroup.objects.create(practice=practice, name="Skills group", capacity=8)
    group.facilitators.set([clinician])
    GroupMember.objects.create(group=group, client=partner, joined_on=timezone.localdate())
    sign_in(page, live_url, clinic)
    day = _next_weekday(3)
    linn = f"Cal Linn{clinic.tag}"
    _book(page, live_url, kind="couple", day=day, hour="11:00",
          choose={"clinicians": linn, "unit": "The Quills", "room": "Family Room"})
    couple = Appointment.objects.get(practice=practice, kind="couple")
    assert couple.clients.count() == 2
    _book(page, live_url, kind="group", day=day, hour="18:00",
          choose={"clinicians": linn, "group": "Skills group", "room": "Family Room"})
    grouped = Appointment.objects.get(practice=practice, kind="group")
    assert list(grouped.clients.all()) == [partner]
    page.locator("#id_cancel-by_1").check()
    page.locator("#id_cancel-reason").select_option("practice_closed")
    page.get_by_role("button", name="Cancel session").click()
    page.locator("#status", has_text="Cancelled by clinician").wait_for()
    assert Appointment.objects.get(pk=grouped.pk).status == Status.CANCELLED_CLINICIAN
