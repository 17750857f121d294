"""Sessions on the calendar. The foundation holds what the agenda and the demo need;
recurrence, availability and reminders come with the sessions issue."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from therapia.accounts.models import Membership, Practice
from therapia.clients.models import Client, ClientUnit
from therapia.core.models import BaseModel


class Room(BaseModel):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=100)

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

    class Meta:
        ordering = ("starts_at",)
        indexes = [
            # Used by the agenda and calendars: a practice's sessions in a time window.
            models.Index(fields=["practice", "starts_at"], name="appointment_practice_start")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(kind="group") | Q(group__isnull=False), name="group_session_has_group"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} session at {self.starts_at:%Y-%m-%d %H:%M}"
