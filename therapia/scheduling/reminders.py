"""E-mail reminders to clients before their sessions, sent by the background worker.

Due reminders get one Reminder row per (session, client, kind) — the unique constraint
means a second sweep cannot make a second row — and each row is claimed by one UPDATE
(pending/failed → sending) before the e-mail goes, so two workers never both send it.
A failed send is retried with exponential backoff and, after MAX_ATTEMPTS, left as
"gave up" on the practice's reminders page.

The message says when and how to join (the room and its address, the video link, or that
the clinician will phone) — never why, never the clinician's specialty, never a name.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings as django_settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import default_task_backend, task

from therapia.accounts.models import Practice
from therapia.scheduling.models import (
    Appointment,
    Format,
    Reminder,
    ReminderKind,
    ReminderPreference,
    ReminderStatus,
    SchedulingSettings,
    Status,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
MAX_LEAD_HOURS = 24 * 14  # the longest lead time a practice may choose
FIRST_RETRY = dt.timedelta(minutes=5)  # then 10, 20, 40 minutes


def backoff(attempts: int) -> dt.timedelta:
    factor: int = 2 ** max(attempts - 1, 0)
    return FIRST_RETRY * factor


def queue_after_commit(appointment_id: int) -> None:
    """Ask the worker to look at this session's reminders once the booking commits: now if
    they are already due, otherwise when they fall due (if the task backend can defer)."""

    def enqueue() -> None:
        appointment = Appointment.objects.select_related("practice").get(pk=appointment_id)
        lead = SchedulingSettings.objects.filter(practice=appointment.practice).values_list(
            "reminder_lead_hours", flat=True).first() or 24
        due = appointment.starts_at - dt.timedelta(hours=lead)
        if due <= timezone.now():
            send_due_reminders.enqueue()
        elif default_task_backend.supports_defer:
            send_due_reminders.using(run_after=due).enqueue()

    transaction.on_commit(enqueue)


def create_due(now: dt.datetime) -> int:
    """Reminder rows for every client of every scheduled session now inside its practice's
    lead time, unless the client opted out or has no e-mail. Returns rows created."""
    from therapia.scheduling.services import settings_for

    created = 0
    practices = Practice.objects.filter(
        appointments__status=Status.SCHEDULED, appointments__starts_at__gt=now,
        appointments__starts_at__lte=now + dt.timedelta(hours=MAX_LEAD_HOURS)).distinct()
    for practice in practices:
        prefs = settings_for(practice)
        if not prefs.reminders_enabled:
            continue
        horizon = now + dt.timedelta(hours=prefs.reminder_lead_hours)
        opted_out = ReminderPreference.objects.filter(email_reminders=False).values("client")
        pairs = (Appointment.clients.through.objects
                 .filter(appointment__practice_id=prefs.practice_id,
                         appointment__status=Status.SCHEDULED,
                         appointment__starts_at__gt=now, appointment__starts_at__lte=horizon)
                 .exclude(client_id__in=opted_out).exclude(client__email="")
                 .values_list("appointment_id", "client_id"))
        rows = [Reminder(practice_id=prefs.practice_id, appointment_id=appointment,
                         client_id=client, kind=ReminderKind.BEFORE_SESSION,
                         next_attempt_at=now) for appointment, client in pairs]
        created += len(Reminder.objects.bulk_create(rows, ignore_conflicts=True))
    return created


def claim(reminder_id: int, now: dt.datetime) -> bool:
    """Take the reminder for sending; False if another worker has it or it is done."""
    return bool(Reminder.objects.filter(
        pk=reminder_id, status__in=[ReminderStatus.PENDING, ReminderStatus.FAILED],
        next_attempt_at__lte=now).update(status=ReminderStatus.SENDING, updated_at=now))


def message_for(appointment: Appointment, prefs: SchedulingSettings) -> tuple[str, str]:
    from therapia.scheduling.services import join_link, zone_of

    zone = zone_of(appointment.practice.time_zone)
    local = appointment.starts_at.astimezone(zone)
    when = (f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} "
            f"({appointment.practice.time_zone} time)")
    if appointment.format == Format.VIDEO:
        how = f"Join by video at this link: {join_link(appointment, prefs)}"
    elif appointment.format == Format.PHONE:
        how = "Your clinician will phone you at the number the practice has for you."
    else:
        room = appointment.room
        where = room.name if room else "the practice"
        address = f", {room.address}" if room and room.address else ""
        how = f"Please come to {where}{address}."
    subject = f"Your appointment on {local:%a} {local.day} {local:%b} at {local:%H:%M}"
    body = (f"You have an appointment with {appointment.practice.name} on {when}.\n\n"
            f"{how}\n\nIf you cannot come, please let the practice know as soon as you can.\n")
    return subject, body


def send_one(reminder_id: int, now: dt.datetime) -> bool:
    """Send one claimed reminder; True if sent."""
    reminder = Reminder.objects.select_related(
        "appointment__practice", "appointment__room", "client").get(pk=reminder_id)
    appointment = reminder.appointment
    if appointment.status != Status.SCHEDULED or appointment.starts_at <= now:
        Reminder.objects.filter(pk=reminder_id).update(status=ReminderStatus.GAVE_UP,
                                                       last_error="session not scheduled")
        return False
    prefs = SchedulingSettings.objects.get(practice=appointment.practice)
    subject, body = message_for(appointment, prefs)
    try:
        send_mail(subject, body, django_settings.DEFAULT_FROM_EMAIL, [reminder.client.email])
    except Exception as error:  # noqa: BLE001 (any failure of the mail backend is retried)
        attempts = reminder.attempts + 1
        status = ReminderStatus.GAVE_UP if attempts >= MAX_ATTEMPTS else ReminderStatus.FAILED
        Reminder.objects.filter(pk=reminder_id).update(
            status=status, attempts=attempts, next_attempt_at=now + backoff(attempts),
            last_error=type(error).__name__[:100])
        logger.warning("reminder %s failed (%s), attempt %s", reminder.public_id,
                       type(error).__name__, attempts)
        return False
    Reminder.objects.filter(pk=reminder_id).update(status=ReminderStatus.SENT, sent_at=now,
                                                   attempts=reminder.attempts + 1,
                                                   last_error="")
    return True


def run_due(now: dt.datetime | None = None) -> int:
    """Create due reminders and send every one that is due; returns how many were sent."""
    moment = now or timezone.now()
    create_due(moment)
    sent = 0
    due = Reminder.objects.filter(
        status__in=[ReminderStatus.PENDING, ReminderStatus.FAILED],
        next_attempt_at__lte=moment).values_list("pk", flat=True)
    for reminder_id in list(due):
        if claim(reminder_id, moment):
            sent += send_one(reminder_id, moment)
    retry = Reminder.objects.filter(status=ReminderStatus.FAILED).order_by(
        "next_attempt_at").values_list("next_attempt_at", flat=True).first()
    if retry is not None and default_task_backend.supports_defer:
        transaction.on_commit(lambda: send_due_reminders.using(run_after=retry).enqueue())
    return sent


@task()
def send_due_reminders() -> int:
    return run_due()
