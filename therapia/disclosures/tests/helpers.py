"""Building blocks for the disclosure tests: inputs that pass, changed one field at a time."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace
from typing import Any

from django.utils import timezone

from therapia.clients.models import Client
from therapia.disclosures import documents, services
from therapia.disclosures.bases import Basis, Category
from therapia.disclosures.models import Authorisation, AuthorisationKind
from therapia.security.actor import Actor

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PURPOSE = "CANARY-PURPOSE threat against a named colleague"


def pdf_upload(name: str = "order.pdf") -> documents.Upload:
    return documents.Upload(name=name, content_type="application/pdf", data=PDF)


def pdf_file(name: str = "order.pdf", data: bytes = PDF) -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


def disclosure_input(**changes: Any) -> services.DisclosureInput:
    base = services.DisclosureInput(
        basis=Basis.DUTY_TO_PROTECT, recipient_name="Jordan Reyes",
        recipient_organisation="", recipient_address="12 Elm Street, Springfield",
        categories=[Category.DEMOGRAPHICS, Category.ASSESSMENTS], purpose=PURPOSE,
        disclosed_at=timezone.now() - dt.timedelta(hours=1), jurisdiction="US-CA")
    return replace(base, **changes)


def authorisation_input(actor: Actor, **changes: Any) -> services.AuthorisationInput:
    base = services.AuthorisationInput(
        kind=AuthorisationKind.GENERAL, recipient_name="Dr Lee",
        recipient_organisation="Northside GP", categories=[Category.DIAGNOSES,
                                                           Category.TREATMENT_PLAN],
        purpose="Continuity of care with the GP", signed_on=timezone.localdate(),
        witnessed_by=actor.membership,
        expires_on=timezone.localdate() + dt.timedelta(days=365))
    return replace(base, **changes)


def authorise(actor: Actor, client: Client, **changes: Any) -> Authorisation:
    return services.authorisation_record(actor=actor, client=client,
                                         data=authorisation_input(actor, **changes))


def on_authorisation(**changes: Any) -> services.DisclosureInput:
    values: dict[str, Any] = {"basis": Basis.CLIENT_AUTHORISATION, "recipient_name": "Dr Lee",
                              "recipient_organisation": "Northside GP",
                              "categories": [Category.DIAGNOSES]}
    return disclosure_input(**{**values, **changes})
