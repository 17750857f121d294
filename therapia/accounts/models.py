"""People who work in a practice: users, practices, memberships, professions and licences."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q

from therapia.core.models import BaseModel

LICENCE_WARNING_DAYS = 60


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        return self.create_user(email, password, is_staff=True, is_superuser=True, **extra)


class User(AbstractUser):
    """A person who signs in. Signs in with e-mail; there is no separate username."""

    username = None  # type: ignore[assignment]
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=150)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []
    objects = UserManager()  # type: ignore[assignment,misc]

    class Meta:
        ordering = ("display_name",)

    def __str__(self) -> str:
        return self.display_name or self.email


class Practice(BaseModel):
    """The tenant: every client record belongs to exactly one practice."""

    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="Europe/London")
    jurisdiction = models.CharField(
        max_length=16, default="GB-ENG", help_text="ISO 3166 code of the country or subdivision"
    )

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    CLINICIAN = "clinician", "Clinician"
    SUPERVISOR = "supervisor", "Supervisor"
    TRAINEE = "trainee", "Trainee"
    FRONT_DESK = "front_desk", "Front desk"
    RESEARCHER = "researcher", "Researcher"


CLINICAL_ROLES = frozenset({Role.OWNER, Role.CLINICIAN, Role.SUPERVISOR, Role.TRAINEE})


class Membership(BaseModel):
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ("practice", "user__display_name")
        constraints = [
            models.UniqueConstraint(fields=["user", "practice"], name="membership_one_per_practice")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.practice})"

    @property
    def is_clinical(self) -> bool:
        return self.role in CLINICAL_ROLES


class Profession(models.TextChoices):
    PSYCHIATRIST = "psychiatrist", "Psychiatrist"
    CLINICAL_PSYCHOLOGIST = "clinical_psychologist", "Clinical psychologist"
    COUNSELLING_PSYCHOLOGIST = "counselling_psychologist", "Counselling psychologist"
    PSYCHOTHERAPIST = "psychotherapist", "Psychotherapist"
    CLINICAL_SOCIAL_WORKER = "clinical_social_worker", "Clinical social worker"
    MFT = "marriage_family_therapist", "Marriage and family therapist"
    COUNSELLOR = "professional_counsellor", "Professional counsellor"
    MH_NURSE = "mental_health_nurse", "Mental-health nurse"
    CREATIVE_ARTS = "creative_arts_therapist", "Creative-arts therapist"
    TRAINEE = "trainee", "Trainee"


# Professions whose members can hold prescriptive authority somewhere: psychiatrists
# (physicians), mental-health nurse practitioners, and prescribing psychologists in the
# US states that license them (e.g. New Mexico, Louisiana, Illinois, Iowa, Idaho,
# Colorado, Utah). The licence must also carry it: see PractitionerProfile.can_prescribe.
PRESCRIBING_PROFESSIONS = frozenset(
    {Profession.PSYCHIATRIST, Profession.MH_NURSE, Profession.CLINICAL_PSYCHOLOGIST}
)


class PractitionerProfile(BaseModel):
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="practitioner")
    profession = models.CharField(max_length=32, choices=Profession.choices)
    credentials = models.CharField(max_length=100, blank=True, help_text="e.g. MD, PsyD, LCSW")

    class Meta:
        ordering = ("user__display_name",)

    def __str__(self) -> str:
        return f"{self.user} — {self.get_profession_display()}"

    def can_prescribe(self, today: dt.date) -> bool:
        """Only where the profession and a current licence both carry prescriptive authority."""
        if self.profession not in PRESCRIBING_PROFESSIONS:
            return False
        return any(
            licence.grants_prescribing and licence.is_current(today)
            for licence in self.licences.all()
        )


class LicenceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PROVISIONAL = "provisional", "Provisional / supervised"
    SUSPENDED = "suspended", "Suspended"
    LAPSED = "lapsed", "Lapsed"


class Licence(BaseModel):
    """A licence or registration with a regulator in one jurisdiction."""

    practitioner = models.ForeignKey(
        PractitionerProfile, on_delete=models.CASCADE, related_name="licences"
    )
    regulator = models.CharField(max_length=200, help_text="e.g. HCPC, BACP, California BBS")
    jurisdiction = models.CharField(max_length=16, help_text="ISO 3166 code, e.g. GB, US-CA")
    number = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=LicenceStatus.choices)
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    grants_prescribing = models.BooleanField(default=False)
    cycle_starts_on = models.DateField(null=True, blank=True, help_text="Current renewal cycle")
    ce_hours_required = models.DecimalField(
        max_digits=6, decimal_places=1, default=Decimal(0), help_text="Per renewal cycle"
    )

    class Meta:
        ordering = ("expires_on", "regulator")
        constraints = [
            models.UniqueConstraint(
                fields=["regulator", "jurisdiction", "number"], name="licence_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(issued_on__isnull=True)
                | Q(expires_on__gt=models.F("issued_on")),
                name="licence_expires_after_issue",
            ),
            models.CheckConstraint(
                condition=Q(ce_hours_required__gte=0), name="licence_ce_hours_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.regulator} {self.jurisdiction} {self.number}"

    def is_current(self, today: dt.date) -> bool:
        usable = self.status in (LicenceStatus.ACTIVE, LicenceStatus.PROVISIONAL)
        return usable and (self.expires_on is None or self.expires_on >= today)

    def expiry_state(self, today: dt.date) -> str:
        """'expired', 'expiring' (within LICENCE_WARNING_DAYS) or 'ok'."""
        if self.expires_on is None:
            return "ok"
        if self.expires_on < today:
            return "expired"
        if self.expires_on <= today + dt.timedelta(days=LICENCE_WARNING_DAYS):
            return "expiring"
        return "ok"


class ContinuingEducation(BaseModel):
    practitioner = models.ForeignKey(
        PractitionerProfile, on_delete=models.CASCADE, related_name="ce_entries"
    )
    title = models.CharField(max_length=200)
    provider = models.CharField(max_length=200, blank=True)
    completed_on = models.DateField()
    hours = models.DecimalField(max_digits=5, decimal_places=1)

    class Meta:
        ordering = ("-completed_on",)
        verbose_name_plural = "continuing education"
        constraints = [models.CheckConstraint(condition=Q(hours__gt=0), name="ce_hours_positive")]

    def __str__(self) -> str:
        return f"{self.title} ({self.hours} h)"


class Notification(BaseModel):
    """Something a member must know about, shown in the app. Its e-mail copy carries no
    client data: only that there is something to see (house rule 10)."""

    recipient = models.ForeignKey(Membership, on_delete=models.CASCADE,
                                  related_name="notifications")
    title = models.CharField(max_length=200)
    url = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        indexes = [
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True),
                         name="notification_unread"),
        ]

    def __str__(self) -> str:
        return f"Notification {self.public_id}"
