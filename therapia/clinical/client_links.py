"""The client overview's links to the clinical record, each with a short state. Only for
the clinical care team (everyone else gets none: the record does not exist for them)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from therapia.clients.contributions import ClientLink
from therapia.clients.models import Client
from therapia.clinical import policy as clinical_policy
from therapia.clinical.models import (
    ACTIVE_DIAGNOSIS,
    Assessment,
    Diagnosis,
    DiagnosisRank,
    Medication,
    SafetyPlanVersion,
)
from therapia.security.actor import Actor


def _assessment_note(client: Client) -> str:
    latest = (Assessment.objects.filter(client=client).select_related("episode")
              .order_by("-episode__opened_on").first())
    if latest is None:
        return "none yet"
    if latest.is_draft:
        return "draft"
    return f"completed {latest.assessed_on:%-d %b %Y}"


def _diagnoses_note(client: Client) -> str:
    active = Diagnosis.objects.filter(client=client, status__in=ACTIVE_DIAGNOSIS)
    primary = active.filter(rank=DiagnosisRank.PRIMARY).order_by("-diagnosed_on").first()
    count = active.count()
    if not count:
        return "none active"
    return f"{primary.code} primary, {count} active" if primary else f"{count} active"


def _plan_note(client: Client) -> str:
    latest = SafetyPlanVersion.objects.filter(client=client).order_by("-number").first()
    return f"version {latest.number}, {latest.written_at:%-d %b %Y}" if latest else "none"


def _medications_note(client: Client) -> str:
    today = timezone.localdate()
    counts = Medication.objects.filter(client=client).aggregate(
        current=Count("pk", filter=Q(stopped_on__isnull=True) | Q(stopped_on__gt=today)))
    current = counts["current"] or 0
    return f"{current} current" if current else "none current"


def links(actor: Actor, client: Client) -> list[ClientLink]:
    if not clinical_policy.can_view(actor, client):
        return []
    args = [client.public_id]
    return [
        ClientLink("Assessment", reverse("clinical:assessments", args=args),
                   _assessment_note(client), order=20),
        ClientLink("Diagnoses", reverse("clinical:diagnoses", args=args),
                   _diagnoses_note(client), order=21),
        ClientLink("Safety plan", reverse("clinical:safety_plan", args=args),
                   _plan_note(client), order=22),
        ClientLink("Medications", reverse("clinical:medications", args=args),
                   _medications_note(client), order=23),
    ]
