"""Sessions on the calendar: appointments and their per-participant slots (no double
booking, enforced by an exclusion constraint), recurring series, availability, group
attendance, calendar feeds and reminders."""

from __future__ import annotations

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import BigIntegerRangeField, DateTimeRangeField, RangeOperators
from django.db import models
from django.db.models import Q

from therapia.accounts.models import Membership, Practice
from therapia.clients.models import Client, ClientUnit, Episode
from therapia.core.models import BaseModel


class SchedulingSettings(BaseModel):
    """A practice's scheduling choices. Created on first use with the defaults."""

    practice = models.OneToOneField(Practice, on_delete=models.CASCADE,
                                    related_name="scheduling_settings")
    video_url_template = models.CharField(
        max_length=300, blank=True,
        help_text="The practice's own video service, e.g. https://video.example.org/{meeting}."
                  " {meeting} is replaced by a random code per session.")
    late_cancellation_hours = models.PositiveSmallIntegerField(
        default=24, help_text="A client cancelling with less notice than this cancels late.")
    reminder_lead_hours = models.PositiveSmallIntegerField(
        default=24, help_text="How long before a session its e-mail reminder goes out.")
    reminders_enabled = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"Scheduling settings of {self.practice}"


class Room(BaseModel):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=100)
    address = models.CharField(max_length=300, blank=True,
                               help_text="Where clients find it (sent in reminders)")

    class Meta:
        ordering = ("name",)
        constraints = [models.UniqueConstraint(fields=["practice", "name"], name="room_name_once")]

    def __str__(self) -> str:
        return self.name


class TherapyGroup(BaseModel):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="groups")
    name = models.CharField(max_length=200)
    is_open = models.BooleanField(default=False, help_text="Open groups admit new members")
    capacity = models.PositiveSmallIntegerField(default=8)
    facilitators = models.ManyToManyField(Membership, related_name="facilitated_groups")
    members: models.ManyToManyField[Client, GroupMember] = models.ManyToManyField(
        Client, through="GroupMember", related_name="groups"
    )

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class GroupMember(BaseModel):
    group = models.ForeignKey(TherapyGroup, on_delete=models.CASCADE, related_name="memberships")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="group_memberships")
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ("group", "joined_on")
        constraints = [
            models.UniqueConstraint(
                fields=["group", "client"],
                condition=Q(left_on__isnull=True),
                name="group_member_once",
            )
        ]


class SessionKind(models.TextChoices):
    INDIVIDUAL = "individual", "Individual"
    COUPLE = "couple", "Couple"
    FAMILY = "family", "Family"
    GROUP = "group", "Group"


class Purpose(models.TextChoices):
    INTAKE = "intake", "Intake"
    TREATMENT = "treatment", "Treatment"
    REVIEW = "review", "Review"
    FOLLOW_UP = "follow_up", "Follow-up"


class Format(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    VIDEO = "video", "Video"
    PHONE = "phone", "Phone"


class Status(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    ATTENDED = "attended", "Attended"
    CANCELLED_CLIENT = "cancelled_client", "Cancelled by client"
    CANCELLED_LATE = "cancelled_late", "Cancelled late by client"
    CANCELLED_CLINICIAN = "cancelled_clinician", "Cancelled by clinician"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"


CANCELLED = frozenset({Status.CANCELLED_CLIENT, Status.CANCELLED_LATE,
                       Status.CANCELLED_CLINICIAN})
# The only status changes a session may make (house rule 4). A recorded outcome can be
# corrected (attended <-> did not attend) but a cancellation is final: book again.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.SCHEDULED: frozenset({Status.ATTENDED, Status.DID_NOT_ATTEND, *CANCELLED}),
    Status.ATTENDED: frozenset({Status.DID_NOT_ATTEND}),
    Status.DID_NOT_ATTEND: frozenset({Status.ATTENDED}),
    Status.CANCELLED_CLIENT: frozenset(),
    Status.CANCELLED_LATE: frozenset(),
    Status.CANCELLED_CLINICIAN: frozenset(),
}


class CancelReason(models.TextChoices):
    """Why a session did not go ahead, from a fixed list: no free text, which could carry
    clinical detail."""

    ILLNESS = "illness", "Illness"
    WORK_OR_STUDY = "work_or_study", "Work or study"
    CARING = "caring", "Caring responsibilities"
    TRAVEL = "travel", "Travel or transport"
    FORGOT = "forgot", "Forgot"
    CLINICIAN_UNAVAILABLE = "clinician_unavailable", "Clinician unavailable"
    PRACTICE_CLOSED = "practice_closed", "Practice closed"
    NO_CONTACT = "no_contact", "No contact"
    OTHER = "other", "Other"


class Series(BaseModel):
    """A recurring series: an RFC 5545 rule over the practice's wall-clock time. Its
    occurrences are materialised as appointments up to a horizon (services.HORIZON_WEEKS)."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="series")
    rule = models.CharField(max_length=300, help_text="RRULE, e.g. FREQ=WEEKLY;INTERVAL=2")
    starts_on = models.DateField()
    start_time = models.TimeField(help_text="Wall-clock time in the practice's time zone")
    time_zone = models.CharField(max_length=64)
    minutes = models.PositiveSmallIntegerField()
    exceptions = models.JSONField(default=list, blank=True,
                                  help_text="ISO dates with no session (EXDATE)")
    kind = models.CharField(max_length=16, choices=SessionKind.choices)
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.TREATMENT)
    format = models.CharField(max_length=16, choices=Format.choices, default=Format.IN_PERSON)
    room = models.ForeignKey(Room, on_delete=models.PROTECT, null=True, blank=True)
    clinicians = models.ManyToManyField(Membership, related_name="series")
    clients = models.ManyToManyField(Client, related_name="series")
    unit = models.ForeignKey(ClientUnit, on_delete=models.PROTECT, null=True, blank=True)
    group = models.ForeignKey(TherapyGroup, on_delete=models.PROTECT, null=True, blank=True)
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="series")
    materialised_until = models.DateField(null=True, blank=True)
    ended = models.BooleanField(default=False)

    class Meta:
        ordering = ("starts_on",)
        verbose_name_plural = "series"
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gt=0), name="series_has_duration"),
        ]

    def __str__(self) -> str:
        return f"Series {self.public_id}"


class Appointment(BaseModel):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="appointments")
    kind = models.CharField(max_length=16, choices=SessionKind.choices)
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.TREATMENT)
    format = models.CharField(max_length=16, choices=Format.choices, default=Format.IN_PERSON)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    room = models.ForeignKey(Room, on_delete=models.PROTECT, null=True, blank=True)
    clinicians = models.ManyToManyField(Membership, related_name="appointments")
    clients = models.ManyToManyField(Client, related_name="appointments")
    unit = models.ForeignKey(ClientUnit, on_delete=models.PROTECT, null=True, blank=True)
    group = models.ForeignKey(TherapyGroup, on_delete=models.PROTECT, null=True, blank=True)
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="appointments")
    series = models.ForeignKey(Series, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="appointments")
    # The occurrence of the series this appointment stands for (its original start), so a
    # moved or cancelled occurrence is never materialised again.
    occurrence_start = models.DateTimeField(null=True, blank=True)
    video_code = models.CharField(max_length=40, blank=True)
    cancel_reason = models.CharField(max_length=24, choices=CancelReason.choices, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("starts_at",)
        indexes = [
            # Used by the agenda and calendars: a practice's sessions in a time window.
            models.Index(fields=["practice", "starts_at"], name="appointment_practice_start"),
            # attended_treatment_sessions(episode)
            models.Index(fields=["episode", "purpose", "status"], name="appointment_episode"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["series", "occurrence_start"],
                                    name="appointment_occurrence_once"),
            models.CheckConstraint(
                condition=Q(cancel_reason="") | Q(status__in=[  # sorted: a stable migration
                    *sorted(s.value for s in CANCELLED), Status.DID_NOT_ATTEND.value]),
                name="reason_only_when_not_held",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(kind="group") | Q(group__isnull=False), name="group_session_has_group"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} session at {self.starts_at:%Y-%m-%d %H:%M}"


class SlotKind(models.IntegerChoices):
    CLINICIAN = 1, "Clinician"
    CLIENT = 2, "Client"
    ROOM = 3, "Room"


class Slot(models.Model):
    """One participant's (clinician's, client's or room's) hold on a period, for each
    session that is not cancelled. The exclusion constraint refuses two overlapping holds
    by the same participant, so two simultaneous bookings cannot both commit.

    The participant is a one-wide int8range [key, key + 1) with key = id * 4 + kind, so that
    "same participant" is range overlap too and the constraint needs only PostgreSQL's
    built-in GiST range operator class (no btree_gist extension: the embedded PostgreSQL
    used by the demo does not ship it). Rows are written by services.sync_slots only.
    """

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="slots")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    kind = models.PositiveSmallIntegerField(choices=SlotKind.choices)
    participant_id = models.BigIntegerField()
    who = BigIntegerRangeField()
    period = DateTimeRangeField()

    class Meta:
        ordering = ("appointment",)
        constraints = [
            ExclusionConstraint(
                name="slot_no_double_booking",
                expressions=[("who", RangeOperators.OVERLAPS),
                             ("period", RangeOperators.OVERLAPS)],
                index_type="gist",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.participant_id} for {self.appointment_id}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WorkingHours(BaseModel):
    """A clinician's usual hours on one weekday, wall-clock time in the practice's zone.
    A clinician with no working hours at all is not restricted."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE,
                                   related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ("membership", "weekday", "starts")
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=models.F("starts")),
                                   name="working_hours_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"


class TimeOff(BaseModel):
    """A clinician away (leave, training): no sessions may be booked then."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="time_off")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ("starts_at",)
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")),
                                   name="time_off_ordered"),
        ]

    def __str__(self) -> str:
        return f"Time off {self.starts_at:%Y-%m-%d}"


class Attendance(BaseModel):
    """One member's attendance at one group, couple or family session, linked to that
    member's own episode (so the session counts towards it). A member's record shows only
    their own row: never who else was there."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE,
                                    related_name="attendance")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="attendance")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="attendance")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    cancel_reason = models.CharField(max_length=24, choices=CancelReason.choices, blank=True)

    class Meta:
        ordering = ("appointment", "client")
        indexes = [models.Index(fields=["episode", "status"], name="attendance_episode")]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "client"], name="attendance_once"),
        ]

    def __str__(self) -> str:
        return f"Attendance {self.public_id}"


class CalendarFeed(BaseModel):
    """A clinician's private iCalendar feed. Only a SHA-256 of the secret token is kept;
    revoking sets revoked_at and the URL stops working at once."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE,
                                   related_name="calendar_feeds")
    token_hash = models.BinaryField(max_length=32, unique=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(fields=["membership"], condition=Q(revoked_at__isnull=True),
                                    name="one_live_feed_per_member"),
        ]

    def __str__(self) -> str:
        return f"Calendar feed {self.public_id}"


class ReminderPreference(BaseModel):
    """A client's choice about e-mail reminders (opted in unless they say otherwise)."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE,
                                  related_name="reminder_preference")
    email_reminders = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"Reminder preference {self.public_id}"


class ReminderKind(models.TextChoices):
    BEFORE_SESSION = "before_session", "Before the session"


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed, will retry"
    GAVE_UP = "gave_up", "Failed, not retried"


class Reminder(BaseModel):
    """One reminder to one client for one session. The unique constraint and the claim
    (pending/failed -> sending in one UPDATE) make sure it is never sent twice."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE,
                                    related_name="reminders")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=ReminderKind.choices,
                            default=ReminderKind.BEFORE_SESSION)
    status = models.CharField(max_length=10, choices=ReminderStatus.choices,
                              default=ReminderStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=100, blank=True,
                                  help_text="The error's type only, never its message")

    class Meta:
        ordering = ("next_attempt_at",)
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="reminder_due")]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "client", "kind"],
                                    name="reminder_once"),
        ]

    def __str__(self) -> str:
        return f"Reminder {self.public_id}"
