"""Calendars (query count pinned), the private iCalendar feed, e-mail reminders and
follow-up sessions."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from therapia.audit.models import Action, AuditEvent
from therapia.clients.models import DischargeReason, Episode, EpisodeStatus
from therapia.core.testing import Personas
from therapia.scheduling import feeds, follow_up, reminders, services
from therapia.scheduling.models import (
    CalendarFeed,
    Format,
    Purpose,
    Reminder,
    ReminderPreference,
    ReminderStatus,
    SchedulingSettings,
)
from therapia.scheduling.tests.helpers import NOW, TOMORROW, at, book, client_of, room

pytestmark = pytest.mark.django_db


@time_machine.travel(NOW, tick=False)
def test_the_practice_week_view_query_count_does_not_grow(personas: Personas, as_user,
                                                          django_assert_num_queries) -> None:
    http = as_user(personas.front_desk.user)
    url = reverse("scheduling:calendar") + "?scope=practice&by=rooms&date=2026-03-11"
    book(personas)
    http.get(url)
    with django_assert_num_queries(16) as first:
        body = http.get(url).content.decode()
    assert "Dana Whitfield" in body
    for hour in range(11, 17):
        client = client_of(personas, personas.colleague, family=f"Busy{hour}")
        book(personas, clinician=personas.colleague, clients=[client],
             starts=at(TOMORROW + dt.timedelta(days=hour % 3), hour))
    with django_assert_num_queries(len(first.captured_queries)):
        http.get(url)
    htmx = http.get(url, headers={"HX-Request": "true"}).content.decode()
    assert htmx.lstrip().startswith('<div id="calendar">')


@time_machine.travel(NOW, tick=False)
def test_a_colleague_sees_initials_of_clients_not_theirs(personas: Personas, as_user) -> None:
    book(personas)
    body = as_user(personas.colleague.user).get(
        reverse("scheduling:calendar") + "?scope=practice&by=clinicians&date=2026-03-11"
    ).content.decode()
    assert "Whitfield" not in body and "D.W." in body


@time_machine.travel(NOW, tick=False)
def test_the_feed_shows_times_and_initials_and_can_be_revoked(personas: Personas,
                                                              client) -> None:  # type: ignore[no-untyped-def]
    book(personas, purpose=Purpose.INTAKE)
    token = feeds.feed_rotate(actor=personas.actor("owner"))
    stored = CalendarFeed.objects.get(membership=personas.owner, revoked_at__isnull=True)
    assert bytes(stored.token_hash) == feeds.digest(token) and token.encode() not in bytes(
        stored.token_hash)
    response = client.get(reverse("scheduling:feed", args=[token]))
    body = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0") and "SUMMARY:Session D.W." in body
    assert "Whitfield" not in body and "Dana" not in body and "ntake" not in body
    assert "DTSTART:20260311T100000Z" in body
    assert AuditEvent.objects.filter(object_type="scheduling.CalendarFeed",
                                     action=Action.LIST).exists()
    newer = feeds.feed_rotate(actor=personas.actor("owner"))
    assert client.get(reverse("scheduling:feed", args=[token])).status_code == 404
    assert client.get(reverse("scheduling:feed", args=[newer])).status_code == 200
    feeds.feed_revoke(actor=personas.actor("owner"))
    assert client.get(reverse("scheduling:feed", args=[newer])).status_code == 404


def test_the_feed_management_page_shows_the_link_once(personas: Personas, as_user) -> None:
    http = as_user(personas.owner.user)
    made = http.post(reverse("scheduling:feed_manage"), {"action": "rotate"}).content.decode()
    assert "/agenda/feed/" in made
    assert "/agenda/feed/" not in http.get(reverse("scheduling:feed_manage")).content.decode()
    assert as_user(personas.front_desk.user).get(
        reverse("scheduling:feed_manage")).status_code == 404


def test_reminders_say_when_and_how_never_why_and_go_once(personas: Personas) -> None:
    personas.dana.email = "dana@example.net"
    personas.dana.save()
    SchedulingSettings.objects.update_or_create(
        practice=personas.practice,
        defaults={"video_url_template": "https://video.riverside.example/{meeting}"})
    session = book(personas, fmt=Format.VIDEO, purpose=Purpose.INTAKE)
    mail.outbox.clear()
    assert reminders.run_due(session.starts_at - dt.timedelta(hours=30)) == 0  # not yet due
    sent_at = session.starts_at - dt.timedelta(hours=20)
    assert reminders.run_due(sent_at) == 1
    assert reminders.run_due(sent_at + dt.timedelta(minutes=5)) == 0  # never twice
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["dana@example.net"]
    assert "Wednesday 11 March 2026 at 10:00" in message.body
    assert f"https://video.riverside.example/{session.video_code}" in message.body
    for secret in ("ntake", "Dana", "Whitfield", "psycholog", "Alice"):
        assert secret not in f"{message.subject} {message.body}"
    assert Reminder.objects.get().status == ReminderStatus.SENT


def test_opted_out_clients_get_no_reminder(personas: Personas, as_user) -> None:
    personas.dana.email = "dana@example.net"
    personas.dana.save()
    as_user(personas.front_desk.user).post(
        reverse("scheduling:client_sessions", args=[personas.dana.public_id]), {})
    assert ReminderPreference.objects.get(client=personas.dana).email_reminders is False
    session = book(personas)
    mail.outbox.clear()
    reminders.run_due(session.starts_at - dt.timedelta(hours=2))
    assert mail.outbox == []


def test_failures_are_retried_with_backoff_and_shown_to_the_practice(
        personas: Personas, settings, as_user) -> None:  # type: ignore[no-untyped-def]
    personas.dana.email = "dana@example.net"
    personas.dana.save()
    session = book(personas)
    due = session.starts_at - dt.timedelta(hours=20)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    assert reminders.run_due(due) == 0
    failed = Reminder.objects.get()
    assert failed.status == ReminderStatus.FAILED and failed.attempts == 1
    assert failed.next_attempt_at == due + dt.timedelta(minutes=5)
    assert failed.last_error and "dana" not in failed.last_error
    assert reminders.run_due(due + dt.timedelta(minutes=1)) == 0  # not before the backoff
    assert Reminder.objects.get().attempts == 1
    page = as_user(personas.front_desk.user).get(reverse("scheduling:reminders"))
    assert "Failed, will retry" in page.content.decode()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert reminders.run_due(due + dt.timedelta(minutes=6)) == 1
    assert Reminder.objects.get().status == ReminderStatus.SENT


def test_follow_up_sessions_after_discharge(personas: Personas, as_user) -> None:
    episode = Episode.objects.create(
        practice=personas.practice, client=personas.dana, opened_on=dt.date(2025, 9, 1),
        status=EpisodeStatus.DISCHARGED, discharged_on=dt.date(2026, 3, 9),
        discharge_reason=DischargeReason.COMPLETED)
    booked = follow_up.follow_ups_book(
        actor=personas.actor("owner"), episode=episode, clinician=personas.owner,
        months=[1, 3, 6], start=dt.time(10), minutes=50, format=Format.PHONE, now=NOW)
    assert [b.starts_at.date() for b in booked] == [dt.date(2026, 4, 9), dt.date(2026, 6, 9),
                                                   dt.date(2026, 9, 9)]
    assert {b.purpose for b in booked} == {Purpose.FOLLOW_UP}
    assert {b.episode_id for b in booked} == {episode.pk}
    url = reverse("scheduling:follow_up", args=[episode.public_id])
    for name in ("outsider", "colleague", "researcher"):
        assert as_user(getattr(personas, name).user).get(url).status_code == 404, name
    assert as_user(personas.owner.user).get(url).status_code == 200
    room(personas)


def test_scheduling_settings_are_the_owners(personas: Personas, as_user) -> None:
    url = reverse("scheduling:settings")
    assert as_user(personas.front_desk.user).get(url).status_code == 404
    http = as_user(personas.owner.user)
    bad = http.post(url, {"video_url_template": "http://x/{meeting}",
                          "late_cancellation_hours": 24, "reminder_lead_hours": 24})
    assert bad.status_code == 422 and "https://" in bad.content.decode()
    http.post(url, {"video_url_template": "https://v.example/{meeting}",
                    "late_cancellation_hours": 12, "reminder_lead_hours": 48,
                    "reminders_enabled": "on"})
    saved = services.settings_for(personas.practice)
    assert saved.late_cancellation_hours == 12
    assert AuditEvent.objects.filter(object_id=str(saved.public_id)).exists()
