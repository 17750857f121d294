"""Lawful disclosures, client authorisations (releases of information) and their documents.

Every table here is append-only (AD-1): the application role may only INSERT and SELECT
(therapia/therapia/core/grants.py) and a trigger refuses UPDATE, DELETE and TRUNCATE for
every role (migration 0002). A mistake in a disclosure is corrected by a new row that
references the one it corrects; an authorisation is revoked by a revocation row.

Clinical text (purposes, descriptions, reasons) and document contents and names are
ciphertext under the client's clinical data key, bound to the row and field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from therapia.accounts.models import Membership, Practice
from therapia.clients.models import Client, ClientUnit
from therapia.core.models import BaseModel
from therapia.disclosures.bases import PN_BASES, Basis, Category, ClientInformed
from therapia.scheduling.models import TherapyGroup

ALL_CATEGORIES = [value for value, _ in Category.choices]


def _categories_field() -> Any:
    return ArrayField(models.CharField(max_length=24, choices=Category.choices))


class AuthorisationKind(models.TextChoices):
    GENERAL = "general", "Release of information"
    # PN-5: an authorisation for psychotherapy notes is a document of its own.
    PSYCHOTHERAPY_NOTES = "psychotherapy_notes", "Release of psychotherapy notes (separate form)"


class ExpiryEvent(models.TextChoices):
    NONE = "", "No event (a date is given)"
    END_OF_EPISODE = "end_of_episode", "When the current episode of care ends"


class Authorisation(BaseModel):
    """A client's signed authorisation to release part of their record to a recipient."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+",
                               help_text="Who signed it (whose record it releases)")
    kind = models.CharField(max_length=20, choices=AuthorisationKind.choices,
                            default=AuthorisationKind.GENERAL)
    # Also covers the records of this couple/family unit or group the signer belongs to.
    unit = models.ForeignKey(ClientUnit, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+")
    group = models.ForeignKey(TherapyGroup, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    recipient_name = models.CharField(max_length=200, blank=True)
    recipient_organisation = models.CharField(max_length=200, blank=True)
    recipient_address = models.CharField(max_length=300, blank=True)
    recipient_contact = models.CharField(max_length=200, blank=True)
    categories = _categories_field()
    purpose = models.BinaryField(help_text="Ciphertext only (key class clinical)")
    signed_on = models.DateField()
    witnessed_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    expires_on = models.DateField(null=True, blank=True)
    expiry_event = models.CharField(max_length=20, choices=ExpiryEvent.choices, blank=True)
    recorded_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ("-signed_on", "-created_at")
        indexes = [models.Index(fields=["client", "-signed_on"], name="authorisation_client")]
        constraints = [
            models.CheckConstraint(condition=~Q(categories=[]), name="authorisation_has_scope"),
            models.CheckConstraint(condition=Q(categories__contained_by=ALL_CATEGORIES),
                                   name="authorisation_known_categories"),
            models.CheckConstraint(
                condition=~Q(recipient_name="", recipient_organisation=""),
                name="authorisation_names_recipient"),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=False) | ~Q(expiry_event=""),
                name="authorisation_expires"),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=models.F("signed_on")),
                name="authorisation_expires_after_signing"),
            models.CheckConstraint(condition=Q(unit__isnull=True) | Q(group__isnull=True),
                                   name="authorisation_one_shared_record"),
            # A psychotherapy-note authorisation releases psychotherapy notes only, and a
            # general one never does (164.508(b)(3)(ii): not combined with another).
            models.CheckConstraint(
                condition=Q(kind=AuthorisationKind.PSYCHOTHERAPY_NOTES,
                            categories=[Category.PSYCHOTHERAPY_NOTES])
                | Q(kind=AuthorisationKind.GENERAL)
                & ~Q(categories__contains=[Category.PSYCHOTHERAPY_NOTES]),
                name="authorisation_pn_separate"),
            models.CheckConstraint(condition=~Q(purpose=b""), name="authorisation_has_purpose"),
        ]

    def __str__(self) -> str:
        return f"Authorisation {self.public_id}"

    @property
    def recipient(self) -> str:
        return ", ".join(part for part in (self.recipient_name, self.recipient_organisation)
                         if part)


class AuthorisationRevocation(BaseModel):
    """The client revoked the authorisation: from `revoked_on` nothing more goes out on it."""

    authorisation = models.OneToOneField(Authorisation, on_delete=models.PROTECT,
                                         related_name="revocation")
    revoked_on = models.DateField()
    recorded_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ("-revoked_on",)

    def __str__(self) -> str:
        return f"Revocation {self.public_id}"


class Disclosure(BaseModel):
    """One release of part of a client's record outside the practice, on a legal basis."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+",
                               help_text="Whose record (the purpose is under their key)")
    # The record released belongs to this couple/family unit or group (CF-2).
    unit = models.ForeignKey(ClientUnit, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+")
    group = models.ForeignKey(TherapyGroup, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    basis = models.CharField(max_length=24, choices=Basis.choices)
    jurisdiction = models.CharField(max_length=16)
    recipient_name = models.CharField(max_length=200, blank=True)
    recipient_organisation = models.CharField(max_length=200, blank=True)
    recipient_address = models.CharField(max_length=300, blank=True)
    recipient_contact = models.CharField(max_length=200, blank=True)
    categories = _categories_field()
    purpose = models.BinaryField(help_text="Ciphertext only (key class clinical)")
    description = models.BinaryField(blank=True, help_text="Ciphertext, or empty")
    disclosed_at = models.DateTimeField()
    disclosed_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    client_informed = models.CharField(max_length=28, choices=ClientInformed.choices,
                                       blank=True)
    # 164.528(a)(2): an agency asked to suspend the client's accounting of this entry.
    accounting_suspended_until = models.DateField(null=True, blank=True)
    corrects = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="correction")
    correction_reason = models.BinaryField(blank=True, help_text="Ciphertext, or empty")
    authorisations: models.ManyToManyField[Authorisation, DisclosureAuthorisation] = (
        models.ManyToManyField(Authorisation, through="DisclosureAuthorisation",
                               related_name="disclosures"))

    class Meta:
        ordering = ("-disclosed_at", "-created_at")
        indexes = [
            # A client's disclosures, newest first (the list and the accounting).
            models.Index(fields=["client", "-disclosed_at"], name="disclosure_client_time"),
            models.Index(fields=["practice", "-disclosed_at"], name="disclosure_practice_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(categories=[]), name="disclosure_has_scope"),
            models.CheckConstraint(condition=Q(categories__contained_by=ALL_CATEGORIES),
                                   name="disclosure_known_categories"),
            models.CheckConstraint(
                condition=~Q(recipient_name="", recipient_organisation=""),
                name="disclosure_names_recipient"),
            models.CheckConstraint(condition=~Q(purpose=b""), name="disclosure_has_purpose"),
            models.CheckConstraint(condition=Q(unit__isnull=True) | Q(group__isnull=True),
                                   name="disclosure_one_shared_record"),
            # Psychotherapy notes go out only on a basis that allows them (164.508(a)(2)).
            models.CheckConstraint(
                condition=~Q(categories__contains=[Category.PSYCHOTHERAPY_NOTES])
                | Q(basis__in=[*sorted(PN_BASES), Basis.CLIENT_AUTHORISATION]),
                name="disclosure_pn_basis"),
            models.CheckConstraint(
                condition=Q(corrects__isnull=True) | ~Q(correction_reason=b""),
                name="disclosure_correction_has_reason"),
        ]

    def __str__(self) -> str:
        return f"Disclosure {self.public_id}"

    @property
    def recipient(self) -> str:
        return ", ".join(part for part in (self.recipient_name, self.recipient_organisation)
                         if part)

    def category_labels(self) -> list[str]:
        labels = dict(Category.choices)
        return [labels.get(code, code) for code in self.categories]


class DisclosureAuthorisation(models.Model):
    """Which authorisations a disclosure on the client's authorisation relied on."""

    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="+")
    authorisation = models.ForeignKey(Authorisation, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ("disclosure", "authorisation")
        constraints = [models.UniqueConstraint(fields=["disclosure", "authorisation"],
                                               name="disclosure_cites_once")]

    def __str__(self) -> str:
        return f"{self.disclosure_id} cites {self.authorisation_id}"


class SupportingDocument(BaseModel):
    """The order, assurance, report or signed form behind a disclosure or authorisation."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="documents")
    authorisation = models.ForeignKey(Authorisation, on_delete=models.PROTECT, null=True,
                                      blank=True, related_name="documents")
    name = models.BinaryField(help_text="The file's name: ciphertext")
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, help_text="Of the plaintext file (T-27)")
    content = models.BinaryField(help_text="Ciphertext of the file")
    uploaded_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ("created_at",)
        constraints = [
            models.CheckConstraint(
                condition=Q(disclosure__isnull=True, authorisation__isnull=False)
                | Q(disclosure__isnull=False, authorisation__isnull=True),
                name="document_belongs_to_one"),
            models.CheckConstraint(condition=Q(size__gt=0), name="document_not_empty"),
        ]

    def __str__(self) -> str:
        return f"Document {self.public_id}"


def six_years_before(day: dt.date) -> dt.date:
    """164.528(a): the accounting covers the six years before the request."""
    try:
        return day.replace(year=day.year - 6)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 6, day=28)
