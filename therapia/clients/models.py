"""Clients, the people around them, couple and family units, and care teams."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q

from therapia.accounts.models import Membership, Practice
from therapia.core.models import BaseModel


class Client(BaseModel):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="clients")
    legal_given_name = models.CharField(max_length=100)
    legal_family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    language = models.CharField(max_length=35, default="en", help_text="BCP 47 tag, e.g. en, es")
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)
    emergency_contact_relationship = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ("legal_family_name", "legal_given_name")
        indexes = [
            # Used by the client list's search (selectors.client_list_for).
            models.Index(fields=["practice", "legal_family_name"], name="client_practice_family"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_of_birth__gte=dt.date(1900, 1, 1)), name="client_dob_plausible"
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        given = self.preferred_name or self.legal_given_name
        return f"{given} {self.legal_family_name}"

    @property
    def version(self) -> str:
        """Changes whenever the record is saved: guards against silent overwrites."""
        return self.updated_at.isoformat()

    def age_on(self, day: dt.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class Relationship(models.TextChoices):
    GUARDIAN = "guardian", "Guardian"
    PARTNER = "partner", "Partner"
    FAMILY = "family", "Family member"


class GuardianBasis(models.TextChoices):
    PARENTAL_RESPONSIBILITY = "parental_responsibility", "Parental responsibility"
    COURT_APPOINTED = "court_appointed", "Court-appointed guardian"
    SPECIAL_GUARDIANSHIP = "special_guardianship", "Special guardianship order"
    LOCAL_AUTHORITY = "local_authority", "Local authority (care order)"
    POWER_OF_ATTORNEY = "power_of_attorney", "Lasting / health-care power of attorney"


class RelatedPerson(BaseModel):
    """Someone in a client's life with a role in their care: a guardian, partner or relative."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="related_persons")
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=16, choices=Relationship.choices)
    relationship_detail = models.CharField(max_length=100, blank=True, help_text="e.g. mother")
    legal_basis = models.CharField(max_length=32, choices=GuardianBasis.choices, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    # Guardianship terms (MI-1): a court order can restrict access; a parent without custody
    # has none (PHIPA Decision 183); a guardianship can be limited from the start.
    has_custody = models.BooleanField(default=True)
    restricted_by_order = models.BooleanField(default=False)
    access_scope = models.CharField(
        max_length=8, choices=[("full", "Full"), ("limited", "Scheduling and billing only")],
        default="full")
    # When the related person is also a client of the practice (a partner in couple work).
    linked_client = models.ForeignKey(
        Client, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ("relationship", "name")
        constraints = [
            models.CheckConstraint(
                condition=~Q(relationship="guardian")
                | (~Q(legal_basis="") & Q(valid_from__isnull=False)),
                name="guardian_has_legal_basis_and_start",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="related_person_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relationship_display()})"

    def is_current(self, day: dt.date) -> bool:
        started = self.valid_from is None or self.valid_from <= day
        return started and (self.valid_until is None or self.valid_until >= day)


class UnitKind(models.TextChoices):
    COUPLE = "couple", "Couple"
    FAMILY = "family", "Family"


class ClientUnit(BaseModel):
    """A couple or a family treated together: a record of its own, not a client."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="client_units")
    kind = models.CharField(max_length=8, choices=UnitKind.choices)
    name = models.CharField(max_length=200, help_text="e.g. 'The Okafor family'")
    members: models.ManyToManyField[Client, UnitMember] = models.ManyToManyField(
        Client, through="UnitMember", related_name="units"
    )

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class UnitMember(BaseModel):
    unit = models.ForeignKey(ClientUnit, on_delete=models.CASCADE, related_name="memberships")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="unit_memberships")
    role = models.CharField(max_length=40, help_text="e.g. partner, parent, child")

    class Meta:
        ordering = ("unit", "client__legal_family_name")
        constraints = [
            models.UniqueConstraint(fields=["unit", "client"], name="unit_member_once")
        ]


class CareRole(models.TextChoices):
    PRIMARY = "primary", "Primary clinician"
    SECONDARY = "secondary", "Secondary clinician"
    SUPERVISOR = "supervisor", "Supervisor"


class CareTeamMember(BaseModel):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="care_team")
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="care_assignments"
    )
    role = models.CharField(max_length=16, choices=CareRole.choices)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ("client", "role")
        indexes = [
            # The access policy asks "is this member on this client's active care team?"
            models.Index(
                fields=["membership", "client"],
                name="care_team_active",
                condition=Q(ended_on__isnull=True),
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(role="primary", ended_on__isnull=True),
                name="care_team_one_active_primary",
            ),
            models.UniqueConstraint(
                fields=["client", "membership"],
                condition=Q(ended_on__isnull=True),
                name="care_team_member_once",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="care_team_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership.user} — {self.get_role_display()}"


class ReferralSource(models.TextChoices):
    SELF = "self", "Self-referral"
    PRIMARY_CARE = "primary_care", "GP / primary care"
    MENTAL_HEALTH = "mental_health", "Psychiatrist or mental-health service"
    HOSPITAL = "hospital", "Hospital"
    SCHOOL = "school", "School or university"
    EMPLOYER = "employer", "Employer / occupational health"
    SOCIAL_SERVICES = "social_services", "Social services"
    COURT = "court", "Court or probation"
    OTHER_THERAPIST = "other_therapist", "Another therapist"
    OTHER = "other", "Other"


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine"
    SOON = "soon", "Soon (within 2 weeks)"
    URGENT = "urgent", "Urgent (within 24 hours)"


class Referral(BaseModel):
    """How a client came to the practice. The reason is clinical text: ciphertext only."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="referrals")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="referrals")
    source = models.CharField(max_length=20, choices=ReferralSource.choices)
    referrer = models.CharField(max_length=200, blank=True, help_text="Who referred, e.g. a GP")
    reason = models.BinaryField(blank=True, help_text="Ciphertext only (key class clinical)")
    urgency = models.CharField(max_length=8, choices=Urgency.choices, default=Urgency.ROUTINE)
    received_on = models.DateField()
    created_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ("-received_on",)
        constraints = [
            models.CheckConstraint(
                condition=Q(received_on__gte=dt.date(1990, 1, 1)), name="referral_date_plausible"
            )
        ]

    def __str__(self) -> str:
        return f"Referral {self.public_id}"


class EpisodeStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    ASSESSMENT = "assessment", "Assessment"
    IN_TREATMENT = "in_treatment", "In treatment"
    DISCHARGED = "discharged", "Discharged"


class DischargeReason(models.TextChoices):
    COMPLETED = "completed", "Completed treatment"
    DROPPED_OUT = "dropped_out", "Dropped out"
    REFERRED_ON = "referred_on", "Referred on"
    MOVED = "moved", "Moved away"
    DECLINED = "declined", "Declined treatment"
    OTHER = "other", "Other"


# The only status changes an episode may make (house rule 4).
EPISODE_TRANSITIONS: dict[str, frozenset[str]] = {
    EpisodeStatus.WAITING: frozenset({EpisodeStatus.ASSESSMENT, EpisodeStatus.DISCHARGED}),
    EpisodeStatus.ASSESSMENT: frozenset({EpisodeStatus.IN_TREATMENT, EpisodeStatus.DISCHARGED}),
    EpisodeStatus.IN_TREATMENT: frozenset({EpisodeStatus.DISCHARGED}),
    EpisodeStatus.DISCHARGED: frozenset(),
}


class Episode(BaseModel):
    """One episode of care, from referral or assessment to discharge. Sessions, measures
    and plans belong to an episode; a client has at most one open episode at a time."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="episodes")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="episodes")
    referral = models.OneToOneField(
        Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="episode"
    )
    status = models.CharField(
        max_length=16, choices=EpisodeStatus.choices, default=EpisodeStatus.WAITING
    )
    opened_on = models.DateField()
    assessed_on = models.DateField(null=True, blank=True)
    first_treatment_on = models.DateField(null=True, blank=True)
    discharged_on = models.DateField(null=True, blank=True)
    discharge_reason = models.CharField(max_length=16, choices=DischargeReason.choices, blank=True)

    class Meta:
        ordering = ("-opened_on",)
        indexes = [
            # The waiting list: a practice's open episodes by status, oldest first.
            models.Index(fields=["practice", "status", "opened_on"], name="episode_waiting_list"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=~Q(status="discharged"), name="episode_one_open"
            ),
            models.CheckConstraint(
                condition=Q(status="discharged", discharged_on__isnull=False)
                & ~Q(discharge_reason="")
                | ~Q(status="discharged") & Q(discharged_on__isnull=True, discharge_reason=""),
                name="episode_discharge_complete",
            ),
            models.CheckConstraint(
                condition=Q(assessed_on__isnull=True) | Q(assessed_on__gte=models.F("opened_on")),
                name="episode_assessed_after_open",
            ),
            models.CheckConstraint(
                condition=Q(first_treatment_on__isnull=True)
                | Q(first_treatment_on__gte=models.F("opened_on")),
                name="episode_treated_after_open",
            ),
            models.CheckConstraint(
                condition=Q(discharged_on__isnull=True)
                | Q(discharged_on__gte=models.F("opened_on")),
                name="episode_discharged_after_open",
            ),
        ]

    def __str__(self) -> str:
        return f"Episode {self.public_id}"

    @property
    def is_open(self) -> bool:
        return self.status != EpisodeStatus.DISCHARGED
