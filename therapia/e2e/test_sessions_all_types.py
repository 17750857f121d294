"""Every type of session in the browser: for individual, couple, family and group sessions a
front-desk member and a clinician, between them, book, move, cancel and record attendance.

Each test signs both in (two browser contexts) in a practice of its own. A session can only
be booked in the future and its attendance only recorded once it has started, so the
session whose attendance is recorded was booked an hour before it began (through the same
booking service the form uses); everything else is done through the pages. Attendance at a
couple, family or group session counts for each member's own episode."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page

from therapia.accounts.models import Membership, Role
from therapia.clients.models import CareRole, Client, ClientUnit, Episode, UnitMember
from therapia.core import factories
from therapia.e2e.helpers import Clinic, make_clinic, sign_in
from therapia.scheduling import selectors, services
from therapia.scheduling.models import (
    Appointment,
    Attendance,
    GroupMember,
    Room,
    SessionKind,
    Status,
    TherapyGroup,
)
from therapia.security.actor import Actor


@dataclass
class Practice:
    desk: Page  # signed in as the front desk
    clinician: Page  # signed in as the clinician, in a browser context of its own
    desk_member: Membership
    clinician_member: Membership
    clinician_name: str
    clients: list[Client]  # the desk's test client first, then two more
    tag: str

    @property
    def practice_id(self) -> int:
        return self.desk_member.practice_id


@pytest.fixture
def world(live_url: str, page: Page, browser: Browser) -> Iterator[Practice]:
    desk = make_clinic(role=Role.FRONT_DESK)
    practice = desk.membership.practice
    name = f"Cal Linn{desk.tag}"
    clinician = factories.MembershipFactory.create(
        practice=practice, role=Role.CLINICIAN,
        user=factories.UserFactory.create(email=f"e2e-cal-{desk.tag}@example.org",
                                          display_name=name))
    device = TOTPDevice.objects.create(user=clinician.user, name="authenticator",
                                       confirmed=True)
    clients = [desk.client] + [
        factories.ClientFactory.create(practice=practice, legal_given_name=given,
                                       legal_family_name=f"Quill{desk.tag}")
        for given in ("Yusuf", "Xena")]
    for client in clients:
        factories.CareTeamFactory.create(client=client, membership=clinician,
                                         role=CareRole.PRIMARY if client != desk.client
                                         else CareRole.SECONDARY)
    Room.objects.create(practice=practice, name="Willow Room")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    other = context.new_page()
    problems: list[str] = []  # console errors, as the page fixture collects them
    other.on("console", lambda message: problems.append(message.text)
             if message.type == "error" and "status of 422" not in message.text else None)
    sign_in(page, live_url, desk)
    sign_in(other, live_url, Clinic(membership=clinician, client=desk.client, device=device,
                                    tag=desk.tag))
    yield Practice(desk=page, clinician=other, desk_member=desk.membership,
                   clinician_member=clinician, clinician_name=name, clients=clients,
                   tag=desk.tag)
    context.close()
    assert page.problems == [] and problems == [], (  # type: ignore[attr-defined]
        page.problems, problems)  # type: ignore[attr-defined]


def _future_weekday(days: int = 3) -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=days)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7 if day.weekday() > 4 else 0)


def _book(page: Page, live_url: str, *, kind: str, hour: str,
          choose: dict[str, str]) -> Appointment:
    page.goto(f"{live_url}/agenda/book/")
    page.locator("#id_kind").select_option(kind)
    page.locator("#id_day").fill(_future_weekday().isoformat())
    page.locator("#id_start").fill(hour)
    for field, option in {"room": "Willow Room", **choose}.items():
        page.locator(f"#id_{field}").select_option(label=option)
    page.get_by_role("button", name="Book").click()
    page.wait_for_url("**/agenda/sessions/**")
    public_id = uuid.UUID(page.url.rstrip("/").rsplit("/", 1)[-1])
    return Appointment.objects.get(public_id=public_id, kind=kind)


def _open(page: Page, live_url: str, session: Appointment) -> None:
    page.goto(f"{live_url}/agenda/sessions/{session.public_id}/")


def _move(page: Page, live_url: str, session: Appointment, hour: int) -> None:
    _open(page, live_url, session)
    page.locator("#id_start").fill(f"{hour:02d}:00")
    with page.expect_navigation(url=f"**/agenda/sessions/{session.public_id}/"):
        page.get_by_role("button", name="Move session").click()
    session.refresh_from_db()
    zone = zoneinfo.ZoneInfo(session.practice.time_zone)
    assert session.starts_at.astimezone(zone).hour == hour


def _cancel(page: Page, live_url: str, session: Appointment, *, by_client: bool,
            reason: str, shown: str) -> None:
    _open(page, live_url, session)
    page.locator("#id_cancel-by_0" if by_client else "#id_cancel-by_1").check()
    page.locator("#id_cancel-reason").select_option(reason)
    page.get_by_role("button", name="Cancel session").click()
    page.locator("#status", has_text=shown).wait_for()


def _record(page: Page, live_url: str, session: Appointment, *, attended: bool) -> None:
    _open(page, live_url, session)
    page.locator("#id_attendance-status_0" if attended else "#id_attendance-status_1").check()
    page.get_by_role("button", name="Record attendance").click()
    page.locator("#status", has_text="Attended" if attended else "Did not attend").wait_for()


def _held_an_hour_ago(world: Practice, **booking: object) -> Appointment:
    """A session that began an hour ago, booked before it started, with the clinician."""
    starts = timezone.now() - dt.timedelta(hours=1)
    member = world.clinician_member
    return services.appointment_book(
        actor=Actor(user=member.user, membership=member),
        booking=services.Booking(starts_at=starts, ends_at=starts + dt.timedelta(minutes=50),
                                 clinicians=[member], format="phone",
                                 **booking),  # type: ignore[arg-type]
        now=starts - dt.timedelta(hours=1))


def _episodes(world: Practice, clients: list[Client]) -> list[Episode]:
    opened = timezone.localdate() - dt.timedelta(days=60)
    return [Episode.objects.create(practice_id=world.practice_id, client=client,
                                   opened_on=opened) for client in clients]


def _unit(world: Practice, kind: str, name: str, members: list[Client]) -> ClientUnit:
    unit = ClientUnit.objects.create(practice_id=world.practice_id, kind=kind, name=name)
    for client in members:
        UnitMember.objects.create(unit=unit, client=client, role="member")
    return unit


def test_individual(live_url: str, world: Practice) -> None:
    """The front desk books, moves and records attendance; the clinician cancels."""
    client = world.clients[1]
    [episode] = _episodes(world, [client])
    session = _book(world.desk, live_url, kind="individual", hour="10:00",
                    choose={"clinicians": world.clinician_name,
                            "client": f"Yusuf Quill{world.tag}"})
    assert list(session.clients.all()) == [client] and session.episode == episode
    _move(world.desk, live_url, session, 15)
    _cancel(world.clinician, live_url, session, by_client=True, reason="illness",
            shown="Cancelled by client")
    held = _held_an_hour_ago(world, kind=SessionKind.INDIVIDUAL, clients=[client])
    _record(world.desk, live_url, held, attended=True)
    assert selectors.attended_treatment_sessions(episode) == 1


def test_couple(live_url: str, world: Practice) -> None:
    """The clinician books and cancels; the front desk moves and records attendance, which
    counts for both partners' episodes."""
    partners = world.clients[1:]
    episodes = _episodes(world, partners)
    _unit(world, "couple", f"The Quills {world.tag}", partners)
    session = _book(world.clinician, live_url, kind="couple", hour="11:00",
                    choose={"unit": f"The Quills {world.tag}"})
    assert set(session.clients.all()) == set(partners)
    _move(world.desk, live_url, session, 16)
    _cancel(world.clinician, live_url, session, by_client=False,
            reason="clinician_unavailable", shown="Cancelled by clinician")
    held = _held_an_hour_ago(world, kind=SessionKind.COUPLE, unit=ClientUnit.objects.get(
        name=f"The Quills {world.tag}"))
    _record(world.desk, live_url, held, attended=True)
    assert [selectors.attended_treatment_sessions(e) for e in episodes] == [1, 1]


def test_family(live_url: str, world: Practice) -> None:
    """The front desk books a family and cancels; the clinician moves and records that the
    family did not come, then corrects it to attended."""
    family = world.clients
    episodes = _episodes(world, family[1:])  # the parent has no episode of their own
    unit = _unit(world, "family", f"The Quill family {world.tag}", family)
    session = _book(world.desk, live_url, kind="family", hour="12:00",
                    choose={"clinicians": world.clinician_name,
                            "unit": f"The Quill family {world.tag}"})
    assert set(session.clients.all()) == set(family) and session.unit == unit
    _move(world.clinician, live_url, session, 17)
    _cancel(world.desk, live_url, session, by_client=True, reason="travel",
            shown="Cancelled by client")
    held = _held_an_hour_ago(world, kind=SessionKind.FAMILY, unit=unit)
    _record(world.clinician, live_url, held, attended=False)
    assert [selectors.attended_treatment_sessions(e) for e in episodes] == [0, 0]
    _record(world.clinician, live_url, held, attended=True)  # a correction
    assert [selectors.attended_treatment_sessions(e) for e in episodes] == [1, 1]


def test_group(live_url: str, world: Practice) -> None:
    """The clinician (the facilitator) books, cancels and records each member's attendance;
    the front desk moves the session and records that it took place, without seeing who the
    members are."""
    members = world.clients[1:]
    episodes = _episodes(world, members)
    group = TherapyGroup.objects.create(practice_id=world.practice_id,
                                        name=f"Skills group {world.tag}", capacity=8)
    group.facilitators.set([world.clinician_member])
    for client in members:
        GroupMember.objects.create(group=group, client=client,
                                   joined_on=timezone.localdate() - dt.timedelta(days=30))
    session = _book(world.clinician, live_url, kind="group", hour="18:00",
                    choose={"group": f"Skills group {world.tag}"})
    assert set(session.clients.all()) == set(members)
    _move(world.desk, live_url, session, 19)
    _cancel(world.clinician, live_url, session, by_client=False, reason="practice_closed",
            shown="Cancelled by clinician")
    held = _held_an_hour_ago(world, kind=SessionKind.GROUP, group=group)
    _record(world.desk, live_url, held, attended=True)  # the session took place
    assert world.desk.get_by_text(f"Yusuf Quill{world.tag}").count() == 0  # no roster
    page = world.clinician
    _open(page, live_url, held)
    for client, status in zip(members, ("attended", "did_not_attend"), strict=True):
        row = Attendance.objects.get(appointment=held, client=client)
        page.locator(f"#m-{row.public_id}").select_option(status)
        with page.expect_navigation(url=f"**/agenda/sessions/{held.public_id}/"):
            page.locator(f"form:has(#m-{row.public_id})").get_by_role(
                "button", name="Save").click()
    assert dict(Attendance.objects.filter(appointment=held).values_list(
        "client_id", "status")) == {members[0].pk: Status.ATTENDED,
                                     members[1].pk: Status.DID_NOT_ATTEND}
    assert page.get_by_role("cell", name="Did not attend").count() == 1
    assert [selectors.attended_treatment_sessions(e) for e in episodes] == [1, 0]
