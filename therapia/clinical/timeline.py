"""This app's events on an episode's timeline, in plain words and without clinical text:
the intake assessment completed, diagnoses added and changed (code and status only),
safety-plan versions, and medication started, changed or stopped. Only for the clinical
care team."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import reverse
from django.utils import timezone

from therapia.clients.contributions import TimelineEvent
from therapia.clients.models import Episode
from therapia.clinical import policy as clinical_policy
from therapia.clinical.models import (
    Assessment,
    DiagnosisChange,
    MedicationChange,
    SafetyPlanVersion,
)
from therapia.security.actor import Actor


def _window(episode: Episode) -> tuple[object, object]:
    start = episode.opened_on
    end = episode.discharged_on or timezone.localdate()
    return start, end


def events(actor: Actor, episode: Episode) -> Iterator[TimelineEvent]:
    client = episode.client
    if not clinical_policy.can_view(actor, client):
        return
    start, end = _window(episode)
    assessment = Assessment.objects.filter(episode=episode, completed_at__isnull=False).first()
    if assessment is not None and assessment.completed_at is not None:
        yield TimelineEvent(when=assessment.completed_at, kind="assessment",
                            title="Intake assessment completed and signed.",
                            url=reverse("clinical:assessment", args=[assessment.public_id]))
    changes = (DiagnosisChange.objects.filter(diagnosis__episode=episode)
               .select_related("diagnosis").order_by("changed_at"))
    for change in changes:
        dx = change.diagnosis
        verb = "added" if change.revision == 1 else "changed"
        yield TimelineEvent(
            when=change.changed_at, kind="diagnosis",
            title=f"Diagnosis {verb}: {dx.code} ({dx.get_system_display()}), "
                  f"{change.get_rank_display().lower()}, {change.get_status_display().lower()}.",
            url=reverse("clinical:diagnosis", args=[dx.public_id]))
    versions = SafetyPlanVersion.objects.filter(
        client=client, written_at__date__gte=start, written_at__date__lte=end)
    for version in versions:
        yield TimelineEvent(when=version.written_at, kind="safety_plan",
                            title=f"Safety plan version {version.number} saved.",
                            url=reverse("clinical:safety_plan_version",
                                        args=[version.public_id]))
    meds = (MedicationChange.objects
            .filter(medication__client=client, changed_at__date__gte=start,
                    changed_at__date__lte=end)
            .select_related("medication"))
    for med in meds:
        yield TimelineEvent(
            when=med.changed_at, kind="medication",
            title=f"Medication {med.get_kind_display().lower()}: {med.name} "
                  f"{med.dose}.",
            url=reverse("clinical:medication", args=[med.medication.public_id]))
