"""Keys, legal holds and supervision: facts the access policy and the encryption rely on.

ClientDataKey   a client's data key, stored only wrapped under a master key kept outside
                the database (therapia/security/keyring.py); destroying it crypto-shreds
                everything encrypted under it.
LegalHold       while active, nothing of the client's may be crypto-shredded.
SupervisionRecord  who supervises whom, and when: the TRAINING legal basis for reading a
                supervisee's psychotherapy notes (45 CFR 164.508(a)(2)(i)(B)). It lives here,
                beside the policy, so the policy can use it without depending on records.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q

from therapia.accounts.models import Membership, Practice
from therapia.clients.models import Client
from therapia.core.models import BaseModel
from therapia.security.keyring import KeyClass

KEY_CLASS_CHOICES = [
    (KeyClass.CLINICAL.value, "Clinical record"),
    (KeyClass.PSYCHOTHERAPY_NOTES.value, "Psychotherapy notes"),
]


class ShredReason(models.TextChoices):
    RETENTION_EXPIRED = "retention_expired", "Retention period ended"
    ERASURE_REQUEST = "erasure_request", "Erasure request after the retention period"


class ClientDataKey(BaseModel):
    """One per client and key class. Never holds a plaintext key."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    key_class = models.CharField(max_length=24, choices=KEY_CLASS_CHOICES)
    wrapped_key = models.BinaryField(help_text="The data key, encrypted under a master key")
    master_key_id = models.CharField(max_length=64, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)
    destroyed_reason = models.CharField(max_length=24, choices=ShredReason.choices, blank=True)

    class Meta:
        ordering = ("id",)
        constraints = [
            models.UniqueConstraint(fields=["client", "key_class"], name="data_key_one_per_class"),
            # Alive: a wrapped key and the master key it is wrapped under. Destroyed: nothing.
            models.CheckConstraint(
                condition=(
                    Q(destroyed_at__isnull=True) & ~Q(wrapped_key=b"") & ~Q(master_key_id="")
                    & Q(destroyed_reason="")
                ) | (
                    Q(destroyed_at__isnull=False) & Q(wrapped_key=b"") & Q(master_key_id="")
                    & ~Q(destroyed_reason="")
                ),
                name="data_key_alive_or_destroyed",
            ),
        ]
        indexes = [
            # Rotation looks for live keys not yet under the newest master key.
            models.Index(fields=["key_class", "master_key_id"], name="data_key_master",
                         condition=Q(destroyed_at__isnull=True)),
        ]

    def __str__(self) -> str:
        state = "destroyed" if self.destroyed_at else f"under {self.master_key_id}"
        return f"{self.key_class} data key ({state})"


class LegalHold(BaseModel):
    """Keep everything of this client: litigation, an inquiry, a regulator's request."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(
        max_length=200, help_text="A reference, e.g. 'Claim 2026/114' (no clinical details)"
    )
    placed_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ("created_at",)
        indexes = [
            models.Index(fields=["client"], name="legal_hold_active",
                         condition=Q(released_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"Legal hold ({'released' if self.released_at else 'active'})"


class SupervisionRecord(BaseModel):
    """`supervisor` supervises `supervisee` from `starts_on` until the day before `ends_on`
    (ending a record on a day ends access that day; TR-3)."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    supervisor = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="supervision_given"
    )
    supervisee = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="supervision_received"
    )
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="First day without supervision")

    class Meta:
        ordering = ("starts_on",)
        indexes = [
            models.Index(fields=["supervisor", "supervisee"], name="supervision_pair"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(supervisor=F("supervisee")), name="supervision_not_self"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="supervision_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Supervision from {self.starts_on}"

    def is_active_on(self, day: dt.date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day < self.ends_on)


class RecordCategory(models.TextChoices):
    """The parts of a client's record a consent directive can withhold (PHIPA lock-box:
    "a particular item, the whole record, or specific custodians or agents")."""

    WHOLE_RECORD = "whole_record", "The whole record"
    NOTES = "notes", "Progress notes"
    ASSESSMENTS = "assessments", "Assessments"
    DIAGNOSES = "diagnoses", "Diagnoses"
    TREATMENT_PLANS = "treatment_plans", "Treatment plans"
    SAFETY_PLANS = "safety_plans", "Safety plans"
    MEDICATIONS = "medications", "Medications"
    MEASURES = "measures", "Questionnaires and scores"


class ConsentDirective(BaseModel):
    """A client's instruction that a named member, or every member in a role, must not see
    their record or part of it (ON-1; PHIPA ss. 20(2), 37(1)(a), 38(1)(a), 50(1)(e))."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=20, choices=RecordCategory.choices)
    blocked_membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    blocked_role = models.CharField(max_length=16, blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ("-starts_on",)
        indexes = [models.Index(fields=["client", "category"], name="directive_client")]
        constraints = [
            # Exactly one of: a named member, or a role.
            models.CheckConstraint(
                condition=Q(blocked_membership__isnull=False, blocked_role="")
                | Q(blocked_membership__isnull=True) & ~Q(blocked_role=""),
                name="directive_blocks_one_target",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="directive_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | Q(revoked_at__isnull=False, revoked_by__isnull=False),
                name="directive_revocation_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Consent directive {self.public_id}"


class OverrideKind(models.TextChoices):
    BREAK_GLASS = "break_glass", "Emergency access (break the glass)"
    DIRECTIVE = "directive", "Override of a consent directive"


class BreakGlassReason(models.TextChoices):
    """The closed list of reasons for emergency access (BG-1)."""

    MEDICAL_EMERGENCY = "MEDICAL_EMERGENCY", "Medical emergency"
    IMMINENT_RISK_SELF = "IMMINENT_RISK_SELF", "Imminent risk to the client"
    IMMINENT_RISK_OTHERS = "IMMINENT_RISK_OTHERS", "Imminent risk to others"
    CLIENT_UNREACHABLE_CRISIS = "CLIENT_UNREACHABLE_CRISIS", "Client in crisis and unreachable"
    COVERING_CLINICIAN = "COVERING_CLINICIAN", "Covering for the client's clinician"


class DirectiveOverrideBasis(models.TextChoices):
    """The only bases on which a consent directive may be set aside (ON-1)."""

    SIGNIFICANT_RISK = (
        "SIGNIFICANT_RISK_SERIOUS_HARM",
        "Significant risk of serious bodily harm (PHIPA s. 40(1); 45 CFR 164.512(j))",
    )
    CLIENT_CONSENT = "CLIENT_CONSENT", "The client consented to this access"


class ReviewVerdict(models.TextChoices):
    APPROPRIATE = "appropriate", "Appropriate"
    INAPPROPRIATE = "inappropriate", "Not appropriate: follow up with the member"


class AccessOverride(BaseModel):
    """Access beyond the normal policy, for one client, for a while: emergency access from
    outside the care team (BG-1..4), or setting aside a consent directive (ON-1). Each one
    is reported to the privacy officer and stays open until reviewed (BG-3)."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=OverrideKind.choices)
    reason_code = models.CharField(max_length=32)
    reason_text = models.BinaryField(help_text="Ciphertext only (key class clinical)")
    directive = models.ForeignKey(
        ConsentDirective, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verdict = models.CharField(max_length=16, choices=ReviewVerdict.choices, blank=True)
    review_note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ("-granted_at",)
        indexes = [
            models.Index(fields=["client", "membership", "expires_at"], name="override_active"),
            models.Index(fields=["practice"], condition=Q(reviewed_at__isnull=True),
                         name="override_unreviewed"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=F("granted_at")),
                                   name="override_expires_after_grant"),
            models.CheckConstraint(
                condition=Q(reviewed_at__isnull=True, reviewed_by__isnull=True, verdict="")
                | Q(reviewed_at__isnull=False, reviewed_by__isnull=False) & ~Q(verdict=""),
                name="override_review_complete",
            ),
            models.CheckConstraint(
                condition=Q(kind="break_glass", directive__isnull=True)
                | Q(kind="directive", directive__isnull=False),
                name="override_directive_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"Access override {self.public_id}"


class MinorCapacity(BaseModel):
    """A clinician's determination that a minor has, or lacks, the capacity to make their
    own decisions about their care (Gillick; HCCA 1996 s.4). The latest one counts."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    has_capacity = models.BooleanField()
    determined_on = models.DateField()
    determined_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ("-determined_on",)

    def __str__(self) -> str:
        return f"Capacity determination {self.public_id}"


class ConfidentialityBasis(models.TextChoices):
    MINOR_CONSENTED = "minor_consented", "The minor consented to this care on their own"
    GUARDIAN_AGREED = "guardian_agreed", "The guardian agreed it stays between clinician and minor"


class MinorConfidentiality(BaseModel):
    """An episode of care a minor's guardians must not see (MI-2; 45 CFR 164.502(g)(3))."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    episode = models.OneToOneField("clients.Episode", on_delete=models.PROTECT, related_name="+")
    basis = models.CharField(max_length=20, choices=ConfidentialityBasis.choices)
    recorded_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"Confidential episode {self.public_id}"
