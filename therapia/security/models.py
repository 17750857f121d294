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
