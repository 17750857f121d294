"""The audit trail: who did what to which client's record, when, from where and why.

Rows never hold clinical text: only ids, the kind of record, field names and codes.
The application's database role may only INSERT and SELECT here (therapia/core/grants.py),
and a trigger refuses UPDATE, DELETE and TRUNCATE for every role (migration 0002).
Each row carries an HMAC chaining it to the one before (therapia/audit/chain.py), written
by therapia.audit.services.audit_record and checked by `therapia audit verify`.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact


class Action(models.TextChoices):
    READ = "read", "Read"
    LIST = "list", "Listed or searched"
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    DELETE = "delete", "Deleted"
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    SIGN_OUT = "sign_out", "Signed out"
    TWO_FACTOR_FAILED = "two_factor_failed", "Two-factor code refused"
    DENIED = "denied", "Access refused"


class Purpose(models.TextChoices):
    """Why the record was touched (HL7 v3 PurposeOfUse, simplified)."""

    TREATMENT = "treatment", "Treatment"
    OPERATIONS = "operations", "Practice operations"
    SCHEDULING = "scheduling", "Scheduling"
    SECURITY = "security", "Security"
    EMERGENCY = "emergency", "Emergency treatment (break the glass)"
    DISCLOSURE = "disclosure", "Disclosure beyond the practice"
    SYSTEM = "system", "System"


class AuditEvent(models.Model):
    # Position in the chain: dense, from 1, in commit order (appends are serialised).
    seq = models.BigIntegerField(unique=True)
    occurred_at = models.DateTimeField(db_index=True)
    # Plain ids rather than foreign keys: the trail must outlive what it describes.
    actor_user_id = models.BigIntegerField(null=True)
    actor_label = models.CharField(max_length=200, help_text="e-mail or 'system:<job>'")
    actor_role = models.CharField(max_length=24, blank=True, help_text="Role in the practice then")
    practice_id = models.BigIntegerField(null=True)
    client_id = models.BigIntegerField(null=True)
    action = models.CharField(max_length=24, choices=Action.choices)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    legal_basis = models.CharField(
        max_length=40, blank=True, default="", db_default="",
        help_text="Why an access beyond the normal policy was allowed: a code such as "
                  "TRAINING (psychotherapy notes), a break-the-glass reason or an override basis",
    )
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True)
    fields = models.JSONField(default=list, help_text="Names of fields read or changed")
    ip_address = models.GenericIPAddressField(null=True)
    user_agent = models.CharField(max_length=200, blank=True)
    request_id = models.CharField(max_length=36, blank=True)
    key_id = models.CharField(max_length=16, help_text="Which HMAC key made `mac`")
    prev_mac = models.BinaryField(max_length=32)
    mac = models.BinaryField(max_length=32, help_text="HMAC-SHA256 over prev_mac and this row")

    class Meta:
        ordering = ("seq",)
        indexes = [
            # "Who looked at my record": a client's events in time order.
            models.Index(fields=["client_id", "occurred_at"], name="audit_client_time"),
            # The privacy officer's report of accesses on a special basis.
            models.Index(fields=["practice_id", "occurred_at"], condition=~models.Q(legal_basis=""),
                         name="audit_with_basis"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="audit_seq_positive"),
            models.CheckConstraint(condition=Exact(Length("mac"), 32), name="audit_mac_size"),
            models.CheckConstraint(condition=Exact(Length("prev_mac"), 32),
                                   name="audit_prev_mac_size"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"
