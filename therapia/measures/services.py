"""Writes for measures (house rule 1): atomic, audited, policy-checked."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from therapia.accounts.models import Practice
from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.measures.fhir_questionnaire import QuestionnaireRefused, definition_from_questionnaire
from therapia.measures.models import CustomInstrument
from therapia.security import policy
from therapia.security.actor import Actor


@transaction.atomic
def custom_instrument_import(*, actor: Actor, practice: Practice,
                             questionnaire_json: str | dict[str, Any]) -> CustomInstrument:
    """Validate a FHIR R4 Questionnaire with SDC scoring and store it as the practice's
    own instrument. Owners decide what their practice measures with."""
    if practice.pk != actor.practice.pk or not policy.can_manage_instruments(actor):
        raise PermissionDenied("Only the practice owner can add instruments.")
    resource = _parsed(questionnaire_json)
    try:
        definition = definition_from_questionnaire(resource)
    except QuestionnaireRefused as refused:
        raise ValidationError({"questionnaire": str(refused)}) from None
    if CustomInstrument.objects.filter(practice=practice, instrument_id=definition.id,
                                       version=definition.version).exists():
        raise ValidationError({"questionnaire": f"{definition.name} version "
                               f"{definition.version} is already imported."})
    instrument = CustomInstrument(
        practice=practice, instrument_id=definition.id, version=definition.version,
        name=definition.name[:200], source_url=str(resource.get("url") or "")[:500],
        definition=definition.model_dump(mode="json"), created_by=actor.membership)
    instrument.full_clean()
    instrument.save()
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.OPERATIONS, obj=instrument,
                 fields=["instrument_id", "version", "name", "source_url", "definition"])
    return instrument


def _parsed(questionnaire_json: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(questionnaire_json, dict):
        return questionnaire_json
    try:
        loaded = json.loads(questionnaire_json)
    except json.JSONDecodeError as error:
        raise ValidationError({"questionnaire": f"Not valid JSON: {error}"}) from None
    if not isinstance(loaded, dict):
        raise ValidationError({"questionnaire": "Expected a FHIR Questionnaire object."})
    return loaded
