"""Writes to the schedule (house rule 1): atomic, policy-checked, audited.

Every session that is not cancelled holds a Slot row per clinician, client and room; the
database's exclusion constraint refuses a second overlapping hold, so even two bookings
racing each other cannot both commit. The checks here give the clear message first; the
constraint is the guarantee.
"""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from therapia.accounts.models import Membership, Practice
from therapia.audit.models import Action
from therapia.audit.models import Purpose as AuditPurpose
from therapia.audit.services import audit_record
from therapia.clients.models import Client, ClientUnit, Episode, EpisodeStatus
from therapia.scheduling import session_policy
from therapia.scheduling.models import (
    CANCELLED,
    STATUS_TRANSITIONS,
    Appointment,
    Attendance,
    CancelReason,
    Format,
    Purpose,
    ReminderPreference,
    Room,
    SchedulingSettings,
    SessionKind,
    Slot,
    Status,
    TherapyGroup,
    TimeOff,
    WorkingHours,
)
from therapia.security.actor import Actor

MAX_MINUTES = 8 * 60
# Sessions with more than one client keep a row per member (Attendance), linked to that
# member's own open episode: a couple or family session is treatment for each member with an
# episode, and counts towards it (docs/decisions/0008-scheduling.md).
PER_MEMBER_KINDS = frozenset({SessionKind.GROUP, SessionKind.COUPLE, SessionKind.FAMILY})
SLOT_CONSTRAINT = "slot_no_double_booking"


def settings_for(practice: Practice) -> SchedulingSettings:
    found, _ = SchedulingSettings.objects.get_or_create(practice=practice)
    return found


def zone_of(name: str) -> zoneinfo.ZoneInfo:
    """The named IANA time zone, or a clear error."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError({"time_zone": f"Unknown time zone “{name}”. Use a name such as "
                                            "Europe/London or America/New_York."}) from error


def join_link(appointment: Appointment, settings: SchedulingSettings) -> str:
    if appointment.format != Format.VIDEO or not appointment.video_code:
        return ""
    return settings.video_url_template.replace("{meeting}", appointment.video_code)


# --- Slots: the database's guard against double booking ------------------------------

_SYNC_SQL = """
INSERT INTO scheduling_slot (appointment_id, practice_id, kind, participant_id, who, period)
SELECT a.id, a.practice_id, p.kind, p.participant_id,
       int8range(p.participant_id * 4 + p.kind, p.participant_id * 4 + p.kind + 1),
       tstzrange(a.starts_at, a.ends_at, '[)')
FROM scheduling_appointment a
JOIN LATERAL (
    SELECT 1 AS kind, c.membership_id AS participant_id
      FROM scheduling_appointment_clinicians c WHERE c.appointment_id = a.id
    UNION ALL
    SELECT 2, k.client_id FROM scheduling_appointment_clients k WHERE k.appointment_id = a.id
    UNION ALL
    SELECT 3, a.room_id WHERE a.room_id IS NOT NULL AND a.format = 'in_person'
) p ON true
WHERE a.id = ANY(%s) AND a.status NOT IN ('cancelled_client', 'cancelled_late',
                                           'cancelled_clinician')
"""


def sync_slots(appointment_ids: Sequence[int]) -> None:
    """Rewrite the slots of these appointments from their current time, participants and
    status. Raises ValidationError if a participant is already booked."""
    ids = list(appointment_ids)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM scheduling_slot WHERE appointment_id = ANY(%s)", [ids])
            cursor.execute(_SYNC_SQL, [ids])
    except IntegrityError as error:
        if SLOT_CONSTRAINT in str(error):
            raise ValidationError("Someone or something in this session was booked for an "
                                  "overlapping time just now. Choose another time.") from error
        raise


@dataclass
class Booking:
    """What a session is: kind, purpose, format, when, who and where."""

    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    clinicians: list[Membership]
    clients: list[Client] = field(default_factory=list)
    purpose: str = Purpose.TREATMENT
    format: str = Format.IN_PERSON
    room: Room | None = None
    unit: ClientUnit | None = None
    group: TherapyGroup | None = None
    episode: Episode | None = None

    def get_kind_label(self) -> str:
        return SessionKind(self.kind).label.lower()


def _describe_clash(booking: Booking, exclude: int | None) -> str | None:
    """A plain message naming who or what is already booked, or None."""
    overlapping = Slot.objects.filter(period__overlap=(booking.starts_at, booking.ends_at))
    if exclude is not None:
        overlapping = overlapping.exclude(appointment_id=exclude)
    busy = set(overlapping.values_list("kind", "participant_id"))
    if not busy:
        return None
    for clinician in booking.clinicians:
        if (1, clinician.pk) in busy:
            return f"{clinician.user.display_name} already has a session at that time."
    for client in booking.clients:
        if (2, client.pk) in busy:
            return f"{client.display_name} already has a session at that time."
    if booking.room is not None and booking.format == Format.IN_PERSON \
            and (3, booking.room.pk) in busy:
        return f"{booking.room.name} is already in use at that time."
    return None


def _check_availability(booking: Booking, zone: zoneinfo.ZoneInfo) -> None:
    """Refuse a session outside a clinician's working hours or during their time off.
    (Decision: refuse rather than warn — docs/decisions/0008-scheduling.md.)"""
    local_start, local_end = booking.starts_at.astimezone(zone), booking.ends_at.astimezone(zone)
    ids = [clinician.pk for clinician in booking.clinicians]
    hours: dict[int, list[WorkingHours]] = {}
    for row in WorkingHours.objects.filter(membership_id__in=ids):
        hours.setdefault(row.membership_id, []).append(row)
    away = set(TimeOff.objects.filter(membership_id__in=ids, starts_at__lt=booking.ends_at,
                                      ends_at__gt=booking.starts_at)
               .values_list("membership_id", flat=True))
    for clinician in booking.clinicians:
        name = clinician.user.display_name
        if clinician.pk in away:
            raise ValidationError({"starts_at": f"{name} is away then (time off)."})
        rows = hours.get(clinician.pk)
        if not rows:
            continue
        inside = local_start.date() == local_end.date() or local_end.time() == dt.time(0)
        fits = inside and any(
            row.weekday == local_start.weekday() and row.starts <= local_start.time()
            and (local_end.time() <= row.ends) for row in rows)
        if not fits:
            usual = ", ".join(f"{row.starts:%H:%M} to {row.ends:%H:%M}" for row in rows
                              if row.weekday == local_start.weekday()) or "not working"
            raise ValidationError({"starts_at": f"That is outside {name}'s working hours "
                                                f"on {local_start:%A}s ({usual})."})


def _validate(actor: Actor, booking: Booking, *, now: dt.datetime,
              exclude: int | None = None, check_hours: bool = True) -> None:
    practice = actor.practice
    errors: dict[str, str] = {}
    if booking.ends_at <= booking.starts_at:
        errors["ends_at"] = "The session must end after it starts."
    elif booking.ends_at - booking.starts_at > dt.timedelta(minutes=MAX_MINUTES):
        errors["ends_at"] = "A session cannot be longer than eight hours."
    if booking.starts_at < now:
        errors["starts_at"] = "That time has passed: sessions cannot be booked in the past."
    if booking.format == Format.IN_PERSON and booking.room is None:
        errors["room"] = "An in-person session needs a room."
    if booking.room is not None and booking.room.practice_id != practice.pk:
        errors["room"] = "Choose one of the practice's rooms."
    if booking.format == Format.VIDEO and not settings_for(practice).video_url_template:
        errors["format"] = ("The practice's video service is not set up yet (Scheduling "
                            "settings): choose in person or phone.")
    if not booking.clinicians:
        errors["clinicians"] = "Choose at least one clinician."
    if any(m.practice_id != practice.pk or not m.is_clinical or not m.is_active
           for m in booking.clinicians):
        errors["clinicians"] = "Choose clinicians of this practice."
    if booking.kind != SessionKind.GROUP and len(booking.clinicians) > 2:
        errors["clinicians"] = "Only a group session has more than two clinicians."
    errors.update(_participants_errors(actor, booking))
    if errors:
        raise ValidationError(errors)
    if check_hours:
        _check_availability(booking, zone_of(practice.time_zone))
    clash = _describe_clash(booking, exclude)
    if clash:
        raise ValidationError({"starts_at": clash})


def _participants_errors(actor: Actor, booking: Booking) -> dict[str, str]:
    errors: dict[str, str] = {}
    practice_id = actor.practice.pk
    clients = booking.clients
    if any(c.practice_id != practice_id or not session_policy.can_book_for(actor, c)
           for c in clients):
        return {"clients": "Choose clients of this practice."}
    if booking.kind == SessionKind.INDIVIDUAL and len(clients) != 1:
        errors["clients"] = "An individual session is for one client."
    if booking.kind in (SessionKind.COUPLE, SessionKind.FAMILY):
        unit = booking.unit
        if unit is None or unit.practice_id != practice_id or unit.kind != booking.kind:
            errors["unit"] = f"Choose the {booking.get_kind_label()} this session is for."
        elif not clients:
            booking.clients = list(unit.members.all())
        elif {c.pk for c in clients} - set(unit.members.values_list("pk", flat=True)):
            errors["clients"] = "Everyone in the session must belong to the couple or family."
    if booking.kind == SessionKind.GROUP:
        group = booking.group
        if group is None or group.practice_id != practice_id:
            errors["group"] = "Choose the group."
    elif booking.group is not None:
        errors["group"] = "Only a group session belongs to a group."
    episode = booking.episode
    if episode is not None and (booking.kind != SessionKind.INDIVIDUAL
                                or episode.client_id != clients[0].pk):
        errors["episode"] = "The episode must be the client's own."
    return errors


def open_episode_of(client: Client) -> Episode | None:
    return Episode.objects.filter(client=client).exclude(status=EpisodeStatus.DISCHARGED).first()


def _audit(actor: Actor | None, action: Action, appointment: Appointment,
           clients: Iterable[Client], fields: Iterable[str]) -> None:
    """One row per client, so each client's access report shows the change."""
    names = list(fields)
    rows: list[Client | None] = [*clients] or [None]
    for client in rows:
        audit_record(actor=actor, action=action, purpose=AuditPurpose.SCHEDULING,
                     obj=appointment, client=client, fields=names,
                     practice=appointment.practice)


def _group_members(group: TherapyGroup, day: dt.date) -> list[Client]:
    return list(Client.objects.filter(
        group_memberships__group=group, group_memberships__joined_on__lte=day)
        .filter(Q(group_memberships__left_on__isnull=True)
                | Q(group_memberships__left_on__gt=day)).distinct())


def _write(actor: Actor, booking: Booking, *, series_id: int | None = None,
           occurrence_start: dt.datetime | None = None) -> Appointment:
    appointment = Appointment(
        practice=actor.practice, kind=booking.kind, purpose=booking.purpose,
        format=booking.format, starts_at=booking.starts_at, ends_at=booking.ends_at,
        room=booking.room if booking.format == Format.IN_PERSON else None,
        unit=booking.unit, group=booking.group, episode=booking.episode,
        series_id=series_id, occurrence_start=occurrence_start,
        video_code=secrets.token_urlsafe(12) if booking.format == Format.VIDEO else "",
    )
    appointment.save()
    appointment.clinicians.set(booking.clinicians)
    appointment.clients.set(booking.clients)
    if booking.kind in PER_MEMBER_KINDS:
        Attendance.objects.bulk_create(
            Attendance(appointment=appointment, client=client, episode=open_episode_of(client))
            for client in booking.clients)
    sync_slots([appointment.pk])
    return appointment


def _prepare(actor: Actor, booking: Booking) -> None:
    if booking.kind == SessionKind.GROUP and booking.group is not None and not booking.clients:
        local = booking.starts_at.astimezone(zone_of(actor.practice.time_zone))
        booking.clients = _group_members(booking.group, local.date())
    if booking.kind == SessionKind.INDIVIDUAL and booking.episode is None \
            and len(booking.clients) == 1:
        booking.episode = open_episode_of(booking.clients[0])


@transaction.atomic
def appointment_book(*, actor: Actor, booking: Booking,
                     now: dt.datetime | None = None) -> Appointment:
    """Book one session. Group sessions take the group's members on the day."""
    if not session_policy.can_book(actor):
        raise PermissionDenied("Your role cannot book sessions.")
    _prepare(actor, booking)
    _validate(actor, booking, now=now or timezone.now())
    appointment = _write(actor, booking)
    _audit(actor, Action.CREATE, appointment, booking.clients,
           ["kind", "purpose", "format", "starts_at", "ends_at", "room", "clinicians",
            "clients", "episode"])
    from therapia.scheduling import reminders

    reminders.queue_after_commit(appointment.pk)
    return appointment


def _booking_of(appointment: Appointment) -> Booking:
    return Booking(
        kind=appointment.kind, starts_at=appointment.starts_at, ends_at=appointment.ends_at,
        clinicians=list(appointment.clinicians.select_related("user")),
        clients=list(appointment.clients.all()), purpose=appointment.purpose,
        format=appointment.format, room=appointment.room, unit=appointment.unit,
        group=appointment.group, episode=appointment.episode)


def _locked(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update(of=("self",)).select_related(
        "room", "practice").get(pk=appointment.pk)


@transaction.atomic
def appointment_move(*, actor: Actor, appointment: Appointment, starts_at: dt.datetime,
                     ends_at: dt.datetime, room: Room | None = None, format: str | None = None,
                     now: dt.datetime | None = None) -> Appointment:
    """Move one session (for a series occurrence: "this one only")."""
    if not session_policy.can_change(actor, appointment):
        raise PermissionDenied("You cannot change this session.")
    stored = _locked(appointment)
    if stored.status != Status.SCHEDULED:
        raise ValidationError("Only a scheduled session can be moved.")
    booking = _booking_of(stored)
    booking.starts_at, booking.ends_at = starts_at, ends_at
    if format is not None:
        booking.format = format
    booking.room = room if room is not None or format is not None else booking.room
    _validate(actor, booking, now=now or timezone.now(), exclude=stored.pk)
    changed = [name for name, value in (("starts_at", starts_at), ("ends_at", ends_at),
                                        ("room", booking.room), ("format", booking.format))
               if getattr(stored, name) != value]
    if not changed:
        return stored
    stored.starts_at, stored.ends_at, stored.format = starts_at, ends_at, booking.format
    stored.room = booking.room if booking.format == Format.IN_PERSON else None
    if stored.format == Format.VIDEO and not stored.video_code:
        stored.video_code = secrets.token_urlsafe(12)
    stored.save()
    sync_slots([stored.pk])
    _audit(actor, Action.UPDATE, stored, booking.clients, changed)
    from therapia.scheduling import reminders

    reminders.queue_after_commit(stored.pk)
    return stored


def is_late(appointment: Appointment, when: dt.datetime) -> bool:
    notice = dt.timedelta(hours=settings_for(appointment.practice).late_cancellation_hours)
    return appointment.starts_at - when < notice


@transaction.atomic
def appointment_cancel(*, actor: Actor, appointment: Appointment, by_client: bool,
                       reason: str, now: dt.datetime | None = None) -> Appointment:
    """Cancel a session. A client's cancellation is late or on time by the practice's
    notice period — computed here, never chosen."""
    if not session_policy.can_change(actor, appointment):
        raise PermissionDenied("You cannot change this session.")
    stored = _locked(appointment)
    when = now or timezone.now()
    if by_client:
        status = Status.CANCELLED_LATE if is_late(stored, when) else Status.CANCELLED_CLIENT
    else:
        status = Status.CANCELLED_CLINICIAN
    if reason not in CancelReason.values:
        raise ValidationError({"reason": "Choose a reason from the list."})
    _transition(stored, status, reason=reason, when=when)
    stored.attendance.filter(status=Status.SCHEDULED).update(status=status,
                                                             cancel_reason=reason)
    sync_slots([stored.pk])
    _audit(actor, Action.UPDATE, stored, stored.clients.all(), ["status", "cancel_reason"])
    return stored


def _transition(stored: Appointment, status: str, *, reason: str, when: dt.datetime) -> None:
    if status not in STATUS_TRANSITIONS[stored.status]:
        raise ValidationError({"status": f"A session that is “{stored.get_status_display()}” "
                                         f"cannot become “{Status(status).label}”."})
    stored.status, stored.cancel_reason, stored.status_changed_at = status, reason, when
    stored.save(update_fields=["status", "cancel_reason", "status_changed_at", "updated_at"])


@transaction.atomic
def attendance_record(*, actor: Actor, appointment: Appointment, status: str,
                      reason: str = "", now: dt.datetime | None = None) -> Appointment:
    """Attended or did not attend, once the session has started. For a group session this
    records whether the session took place; each member's attendance is group_attendance."""
    if not session_policy.can_change(actor, appointment):
        raise PermissionDenied("You cannot change this session.")
    if status not in (Status.ATTENDED, Status.DID_NOT_ATTEND):
        raise ValidationError({"status": "Record attended or did not attend."})
    stored = _locked(appointment)
    when = now or timezone.now()
    if stored.starts_at > when:
        raise ValidationError({"status": "Attendance can be recorded once the session has "
                                         "started."})
    if status == Status.ATTENDED:
        reason = ""
    elif reason and reason not in CancelReason.values:
        raise ValidationError({"reason": "Choose a reason from the list."})
    _transition(stored, status, reason=reason, when=when)
    _audit(actor, Action.UPDATE, stored, stored.clients.all(), ["status", "cancel_reason"])
    if stored.kind in (SessionKind.COUPLE, SessionKind.FAMILY):
        _members_follow(stored, status, reason)
    if status == Status.ATTENDED and stored.kind != SessionKind.GROUP:
        for client in stored.clients.all():
            _episode_attended(actor, client, stored)
    return stored


def _members_follow(appointment: Appointment, status: str, reason: str) -> None:
    """A couple or family session is attended (or not) by everyone in it: each member's row
    takes the session's outcome, and a row booked before the member's episode was opened is
    linked to the episode now open."""
    for row in appointment.attendance.select_for_update().exclude(status__in=CANCELLED):
        row.status, row.cancel_reason = status, reason
        fields = ["status", "cancel_reason", "updated_at"]
        if row.episode_id is None:
            row.episode = open_episode_of(row.client)
            fields.append("episode")
        row.save(update_fields=fields)


@transaction.atomic
def group_attendance_record(*, actor: Actor, appointment: Appointment, client: Client,
                            status: str, reason: str = "",
                            now: dt.datetime | None = None) -> Attendance:
    """One member's attendance at a group session (facilitators and the owner)."""
    if appointment.group is None or not session_policy.can_see_roster(actor, appointment.group):
        raise PermissionDenied("Only the group's facilitators record members' attendance.")
    allowed = {Status.ATTENDED, Status.DID_NOT_ATTEND, Status.CANCELLED_CLIENT}
    if status not in allowed:
        raise ValidationError({"status": "Record attended, did not attend or cancelled."})
    when = now or timezone.now()
    if appointment.starts_at > when and status != Status.CANCELLED_CLIENT:
        raise ValidationError({"status": "Attendance can be recorded once the session has "
                                         "started."})
    row = Attendance.objects.select_for_update().get(appointment=appointment, client=client)
    if status == Status.CANCELLED_CLIENT and is_late(appointment, when):
        status = Status.CANCELLED_LATE
    row.status = status
    row.cancel_reason = "" if status == Status.ATTENDED else reason
    fields = ["status", "cancel_reason", "updated_at"]
    if row.episode_id is None and status == Status.ATTENDED:  # booked before it was opened
        row.episode = open_episode_of(client)
        fields.append("episode")
    row.save(update_fields=fields)
    if status in CANCELLED:  # the member no longer holds the time
        appointment.clients.remove(client)
        sync_slots([appointment.pk])
    audit_record(actor=actor, action=Action.UPDATE, purpose=AuditPurpose.SCHEDULING, obj=row,
                 client=client, fields=["status", "cancel_reason"])
    if status == Status.ATTENDED:
        _episode_attended(actor, client, appointment)
    return row


def _episode_attended(actor: Actor, client: Client, appointment: Appointment) -> None:
    """Tell the clients app that the client attended an intake or treatment session: the
    first attended intake records the assessment, the first attended treatment session the
    first treatment date (clients.services.episode_session_attended, which keeps dates
    already recorded). Looked up by name so this app still loads where the clients app
    predates that service."""
    from therapia.clients import services as client_services

    attended = getattr(client_services, "episode_session_attended", None)
    if attended is None or appointment.purpose not in (Purpose.INTAKE, Purpose.TREATMENT):
        return
    day = appointment.starts_at.astimezone(zone_of(appointment.practice.time_zone)).date()
    attended(actor=actor, client=client, session=appointment.purpose, on=day)


def move_booking(appointment: Appointment) -> Booking:
    return _booking_of(appointment)


def validate_booking(actor: Actor, booking: Booking, *, now: dt.datetime,
                     exclude: int | None = None) -> None:
    """For series: the same checks as one booking."""
    _prepare(actor, booking)
    _validate(actor, booking, now=now, exclude=exclude)


def write_booking(actor: Actor, booking: Booking, *, series_id: int,
                  occurrence_start: dt.datetime) -> Appointment:
    return _write(actor, booking, series_id=series_id, occurrence_start=occurrence_start)


def audit_booking(actor: Actor, appointment: Appointment, clients: Iterable[Client],
                  fields: Iterable[str], action: Action = Action.CREATE) -> None:
    _audit(actor, action, appointment, clients, fields)


@transaction.atomic
def settings_update(*, actor: Actor, data: dict[str, object]) -> SchedulingSettings:
    from therapia.security.policy import can_manage_practice

    if not can_manage_practice(actor):
        raise PermissionDenied("Only the practice owner changes scheduling settings.")
    current = SchedulingSettings.objects.select_for_update().get(pk=settings_for(actor.practice).pk)
    changed = [name for name, value in data.items() if getattr(current, name) != value]
    for name in changed:
        setattr(current, name, data[name])
    if changed:
        current.full_clean()
        current.save()
        audit_record(actor=actor, action=Action.UPDATE, purpose=AuditPurpose.OPERATIONS,
                     obj=current, fields=changed)
    return current


@transaction.atomic
def reminder_preference_set(*, actor: Actor, client: Client,
                            email_reminders: bool) -> ReminderPreference:
    from therapia.security.policy import can_edit_demographics

    if not can_edit_demographics(actor, client):
        raise PermissionDenied("Your role cannot change this client's details.")
    preference, _ = ReminderPreference.objects.update_or_create(
        client=client, defaults={"email_reminders": email_reminders})
    audit_record(actor=actor, action=Action.UPDATE, purpose=AuditPurpose.OPERATIONS,
                 obj=preference, client=client, fields=["email_reminders"])
    return preference
