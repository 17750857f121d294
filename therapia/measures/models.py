"""Stored measures data. Built-in instruments are files (instruments/*.json), not rows;
only a practice's own imported questionnaires live in the database."""

from __future__ import annotations

from django.db import models

from therapia.accounts.models import Membership, Practice
from therapia.core.models import BaseModel
from therapia.measures.definition import InstrumentDefinition


class CustomInstrument(BaseModel):
    """A FHIR Questionnaire a practice imported, as a validated instrument definition
    (therapia.measures.fhir_questionnaire). Visible to its practice only (row-level
    security, migration measures/0002)."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT,
                                 related_name="custom_instruments")
    instrument_id = models.CharField(max_length=64, help_text="The definition's id")
    version = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    source_url = models.CharField(max_length=500, blank=True,
                                  help_text="The Questionnaire's canonical URL, if it had one")
    definition = models.JSONField(help_text="An InstrumentDefinition as JSON")
    created_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["practice", "instrument_id", "version"],
                                    name="measures_custom_instrument_once_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"

    @property
    def instrument(self) -> InstrumentDefinition:
        return InstrumentDefinition.model_validate(self.definition)
