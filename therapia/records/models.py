"""Clinical records. Free text is stored only as ciphertext (therapia/security/crypto/).

PsychotherapyNote is its own privacy class (45 CFR 164.501; PN-1): its own table, its own
master key (key class psychotherapy_notes), readable by its author only, or by the
author's supervisor of record while supervision is active (basis TRAINING). No relation
points back to it from Client, Appointment or Membership (related_name="+"), so code that
walks a client's relations (exports, the FHIR bundle, the portal) cannot reach it.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from therapia.accounts.models import Membership
from therapia.clients.models import Client
from therapia.core.models import BaseModel
from therapia.scheduling.models import Appointment


class LegalBasis(models.TextChoices):
    """Why a psychotherapy note may be used (45 CFR 164.508(a)(2); PN-4). Only ORIGINATOR
    and TRAINING grant access so far; the others need the authorization and disclosure
    workflows (PN-5, LC-1) and are listed so the vocabulary is fixed now."""

    ORIGINATOR = "ORIGINATOR", "Author's own use for treatment, 164.508(a)(2)(i)(A)"
    TRAINING = "TRAINING", "Supervised training program, 164.508(a)(2)(i)(B)"
    AUTHZ = "AUTHZ", "Authorization specific to psychotherapy notes, 164.508(a)(2)"
    LEGAL_DEFENSE = "LEGAL_DEFENSE", "Defence in a legal action by the client, (i)(C)"
    REQUIRED_BY_LAW = "REQUIRED_BY_LAW", "Required by law, 164.512(a)"
    OVERSIGHT = "OVERSIGHT", "Oversight of the originator, 164.512(d)"
    CORONER = "CORONER", "Coroner or medical examiner, 164.512(g)(1)"
    SERIOUS_THREAT = "SERIOUS_THREAT", "Serious and imminent threat, 164.512(j)(1)(i)"


class PsychotherapyNote(BaseModel):
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)
    body = models.BinaryField(help_text="Ciphertext only (key class psychotherapy_notes)")
    legal_basis = models.CharField(
        max_length=16, choices=LegalBasis.choices, default=LegalBasis.ORIGINATOR,
        help_text="The basis on which the note was written",
    )

    class Meta:
        ordering = ("-written_at",)
        indexes = [
            # "My notes for this client", newest first; and a supervisor's view.
            models.Index(fields=["client", "author", "-written_at"], name="pn_client_author"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(body=b""), name="pn_body_not_empty"),
        ]

    def __str__(self) -> str:  # never the content
        return f"Psychotherapy note {self.public_id}"
