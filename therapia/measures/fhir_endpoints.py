"""Reads behind the FHIR export: a completed administration, or all of a client's, as a FHIR
R4 Bundle of QuestionnaireResponses and LOINC-coded Observations (fhir_export.py).

Only the questionnaire itself goes out: the item answers (decrypted here, the key class
clinical) and the scores. Free-text answers, clinicians' notes and psychotherapy notes are
never read here, so they can never be exported. Access as for the scores (the clinical care
team, no directive withholding measures); anything else is a 404; every export is audited.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.http import Http404

from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import Client
from therapia.measures import fhir_export, library
from therapia.measures.definition import InstrumentDefinition
from therapia.measures.models import Administration, AdministrationStatus
from therapia.measures.scoring import Scorer, ScoringError
from therapia.measures.trajectory_selectors import can_view_outcomes, measures_client
from therapia.security import crypto
from therapia.security.actor import Actor

# How administrations.py binds the answers' ciphertext (models.py: key class clinical,
# bound to the administration's public id and the field name; JSON {"items": [...], ...}).
ANSWERS_LABEL = "measures.Administration"
EXPORT_FIELDS = ["answers", "total", "band", "subscales", "completed_at", "instrument_id"]


class NotExportable(Exception):
    """A completed administration whose answers cannot be turned into FHIR any more."""


def _definition(administration: Administration) -> InstrumentDefinition:
    if administration.custom_instrument is not None:
        return administration.custom_instrument.instrument
    return library.get(administration.instrument_id)


def _items(administration: Administration) -> list[Any]:
    if administration.answers is None:
        raise NotExportable("no answers stored")
    try:
        plain = crypto.decrypt_text(
            client=administration.client, key_class=crypto.KeyClass.CLINICAL,
            model_label=ANSWERS_LABEL, record_id=administration.public_id, field="answers",
            ciphertext=administration.answers)
    except crypto.DataKeyDestroyed:
        raise NotExportable("the client's data key was destroyed") from None
    return list(json.loads(plain)["items"])


def resources_for(administration: Administration) -> list[dict[str, Any]]:
    """The QuestionnaireResponse and its score Observations for one completed administration.
    The score is recomputed from the answers (scoring is pure) and so matches the stored one."""
    if administration.status != AdministrationStatus.COMPLETED or not administration.completed_at:
        raise NotExportable("not completed")
    definition = _definition(administration)
    items = _items(administration)
    try:
        result = Scorer(definition).score(items)
    except ScoringError as error:
        raise NotExportable(str(error)) from None
    response_id = str(administration.public_id)
    patient_id = str(administration.client.public_id)
    response = fhir_export.questionnaire_response(
        definition=definition, answers=items, result=result, response_id=response_id,
        patient_id=patient_id, authored=administration.completed_at)
    scored = fhir_export.observations(
        definition=definition, result=result, response_id=response_id, patient_id=patient_id,
        effective=administration.completed_at)
    return [response, *scored]


def bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection",
            "meta": {"security": [fhir_export.PSY_LABEL]},
            "entry": [{"resource": resource} for resource in resources]}


def administration_bundle(*, actor: Actor, public_id: uuid.UUID) -> dict[str, Any]:
    """One completed administration as a Bundle, or 404."""
    administration = (Administration.objects
                      .select_related("client", "custom_instrument")
                      .filter(public_id=public_id, practice_id=actor.practice.pk,
                              status=AdministrationStatus.COMPLETED).first())
    if administration is None or not can_view_outcomes(actor, administration.client):
        raise Http404("No such questionnaire")
    try:
        resources = resources_for(administration)
    except NotExportable:
        raise Http404("No such questionnaire") from None
    audit_record(actor=actor, action=Action.READ, purpose=Purpose.TREATMENT,
                 obj=administration, client=administration.client,
                 fields=[*EXPORT_FIELDS, "format:fhir"])
    return bundle(resources)


def client_bundle(*, actor: Actor, client_public_id: uuid.UUID) -> tuple[Client,
                                                                          dict[str, Any], int]:
    """All of a client's completed questionnaires as one Bundle, oldest first, and how many
    could not be exported (the client's data key destroyed, or answers that no longer
    score)."""
    client = measures_client(actor=actor, public_id=client_public_id)
    administrations = (Administration.objects
                       .filter(client=client, status=AdministrationStatus.COMPLETED)
                       .select_related("custom_instrument").order_by("completed_at", "id"))
    resources: list[dict[str, Any]] = []
    skipped = 0
    with crypto.key_cache():  # one unwrap of the client's key for the whole bundle
        for administration in administrations:
            administration.client = client
            try:
                resources.extend(resources_for(administration))
            except NotExportable:
                skipped += 1
    audit_record(actor=actor, action=Action.LIST, purpose=Purpose.TREATMENT,
                 object_type=Administration._meta.label, client=client,
                 fields=[*EXPORT_FIELDS, "format:fhir"])
    return client, bundle(resources), skipped
