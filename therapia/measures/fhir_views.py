"""FHIR R4 export of completed questionnaires (application/fhir+json): one administration,
or all of a client's. Staff with clinical access only; every export is audited; anything
else is a 404. Mounted through trajectory_urls.py."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from therapia.core.decorators import staff_view
from therapia.core.http import AuthedRequest
from therapia.measures import fhir_endpoints

FHIR_JSON = "application/fhir+json"


def _fhir(resource: dict[str, Any], filename: str) -> HttpResponse:
    response = HttpResponse(json.dumps(resource, indent=2), content_type=FHIR_JSON)
    # A file name with ids only: no client names in headers (house rule 10).
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@staff_view
@require_GET
def administration_fhir(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    found = fhir_endpoints.administration_bundle(actor=request.actor, public_id=public_id)
    return _fhir(found, f"questionnaire-{public_id}.fhir.json")


@never_cache
@staff_view
@require_GET
def client_fhir(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    _client, found, skipped = fhir_endpoints.client_bundle(actor=request.actor,
                                                           client_public_id=public_id)
    response = _fhir(found, f"questionnaires-{public_id}.fhir.json")
    response["X-Therapia-Not-Exported"] = str(skipped)
    return response
