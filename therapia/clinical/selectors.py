"""Reads of assessments, diagnoses, safety plans and medications. Each is scoped to the
actor through the access policy (a record the actor may not see is a 404) and leaves an
audit row naming the fields read."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import Client, Episode
from therapia.clients.selectors import client_get_for
from therapia.clinical import policy as clinical_policy
from therapia.clinical.models import (
    ASSESSMENT_NARRATIVE,
    MSE_DOMAINS,
    RISK_AREAS,
    SAFETY_PLAN_SECTIONS,
    Assessment,
    AssessmentAddendum,
    Diagnosis,
    DiagnosisChange,
    Medication,
    MedicationChange,
    MseFinding,
    RiskLevel,
    SafetyPlanShare,
    SafetyPlanVersion,
)
from therapia.clinical.sealing import unseal
from therapia.clinical.services import AssessmentText, assessment_text
from therapia.security import crypto, policy
from therapia.security.actor import Actor
from therapia.security.models import RecordCategory
from therapia.security.policy import Access

NAME_FIELDS = ("legal_given_name", "legal_family_name", "preferred_name")
M = TypeVar("M", bound=Model)
T = TypeVar("T")
GONE = "This client's clinical data key was destroyed: the text can no longer be read."


def _readable(read: Callable[[], T]) -> T | None:
    """The decrypted value, or None once the client's key was destroyed (shredded)."""
    try:
        return read()
    except crypto.DataKeyDestroyed:
        return None


def clinical_client(*, actor: Actor, public_id: uuid.UUID,
                    category: RecordCategory | None = None) -> Client:
    """The client, when the actor is on the clinical care team and no instruction of the
    client withholds this part of the record from them; else 404."""
    client = client_get_for(actor=actor, public_id=public_id, need=Access.CLINICAL,
                            purpose=Purpose.TREATMENT, fields=NAME_FIELDS)
    if category is not None and policy.is_withheld(actor, client, category):
        raise Http404("No such client")
    return client


def _record_for(actor: Actor, records: QuerySet[M], public_id: uuid.UUID,
                category: RecordCategory) -> M:
    """One of the actor's practice's records, when the actor sees that part of the client's
    record."""
    record = records.select_related("client").filter(
        public_id=public_id, practice_id=actor.practice.pk).first()
    if record is None or not policy.can_view_category(
            actor, record.client, category):  # type: ignore[attr-defined]
        raise Http404("No such record")
    return record


# ---------------------------------------------------------------------------- assessment


@dataclass(frozen=True)
class EpisodeAssessment:
    episode: Episode
    assessment: Assessment | None


@dataclass(frozen=True)
class AssessmentsPage:
    client: Client
    rows: list[EpisodeAssessment]
    can_write: bool


def assessments_page(*, actor: Actor, client_public_id: uuid.UUID) -> AssessmentsPage:
    client = clinical_client(actor=actor, public_id=client_public_id,
                             category=RecordCategory.ASSESSMENTS)
    episodes = list(Episode.objects.filter(client=client).order_by("-opened_on"))
    found = {a.episode_id: a for a in Assessment.objects.filter(client=client)}
    audit_record(actor=actor, action=Action.LIST, purpose=Purpose.TREATMENT,
                 object_type=Assessment._meta.label, client=client,
                 fields=["status", "assessed_on"])
    return AssessmentsPage(
        client=client, can_write=clinical_policy.can_write(actor, client),
        rows=[EpisodeAssessment(episode=e, assessment=found.get(e.pk)) for e in episodes])


def episode_for(*, actor: Actor, client: Client, public_id: uuid.UUID | None) -> Episode:
    """One of the client's episodes (the open one when no id is given), or 404."""
    episodes = Episode.objects.filter(client=client, practice_id=actor.practice.pk)
    found = (episodes.filter(public_id=public_id) if public_id
             else episodes.exclude(status="discharged")).first()
    if found is None:
        raise Http404("No such episode")
    return found


@dataclass(frozen=True)
class ReadAddendum:
    addendum: AssessmentAddendum
    body: str | None


@dataclass(frozen=True)
class AssessmentReading:
    assessment: Assessment
    text: AssessmentText | None  # None when the key was destroyed
    addenda: list[ReadAddendum]
    can_edit: bool
    can_add_addendum: bool

    def narrative_rows(self) -> list[tuple[str, str]]:
        text = self.text
        return [(label, text.narrative[name] if text else "")
                for name, label in ASSESSMENT_NARRATIVE]

    def mse_rows(self) -> list[tuple[str, str, str]]:
        """(domain label, finding label, exception note) in examination order."""
        text = self.text
        if text is None:
            return []
        findings = dict(MseFinding.choices)
        return [(label, findings.get(text.mse.get(domain, ""), "Not recorded"),
                 text.mse_notes.get(domain, "")) for domain, label in MSE_DOMAINS]

    def risk_rows(self) -> list[tuple[str, str, str]]:
        """(area label, level label, plan)."""
        text = self.text
        if text is None:
            return []
        levels = dict(RiskLevel.choices)
        return [(label, levels.get(text.risk_levels.get(area, ""), "Not assessed"),
                 text.risk_plans.get(area, "")) for area, label in RISK_AREAS]


def assessment_read(*, actor: Actor, public_id: uuid.UUID) -> AssessmentReading:
    assessment = _record_for(actor, Assessment.objects.select_related(
        "episode", "author__user", "completed_by__user"), public_id, RecordCategory.ASSESSMENTS)
    with crypto.key_cache():
        text = _readable(lambda: assessment_text(assessment))
        addenda = [ReadAddendum(a, _readable(lambda a=a: unseal(a, "body")))  # type: ignore[misc]
                   for a in assessment.addenda.select_related("client", "author__user")]
    audit_record(actor=actor, action=Action.READ, purpose=Purpose.TREATMENT, obj=assessment,
                 client=assessment.client,
                 fields=[name for name, _ in ASSESSMENT_NARRATIVE] + ["mse", "risk"]
                 + (["addenda"] if addenda else []))
    return AssessmentReading(
        assessment=assessment, text=text, addenda=addenda,
        can_edit=clinical_policy.can_edit_assessment(actor, assessment),
        can_add_addendum=clinical_policy.can_add_addendum(actor, assessment))


# ----------------------------------------------------------------------------- diagnoses


@dataclass(frozen=True)
class DiagnosesPage:
    client: Client
    diagnoses: list[Diagnosis]
    episodes: list[Episode]
    can_write: bool


def diagnoses_page(*, actor: Actor, client_public_id: uuid.UUID) -> DiagnosesPage:
    client = clinical_client(actor=actor, public_id=client_public_id,
                             category=RecordCategory.DIAGNOSES)
    diagnoses = list(Diagnosis.objects.filter(client=client).select_related("episode")
                     .order_by("-episode__opened_on", "rank", "-diagnosed_on"))
    audit_record(actor=actor, action=Action.LIST, purpose=Purpose.TREATMENT,
                 object_type=Diagnosis._meta.label, client=client,
                 fields=["code", "rank", "status"])
    episodes = list(Episode.objects.filter(client=client).order_by("-opened_on"))
    return DiagnosesPage(client=client, diagnoses=diagnoses, episodes=episodes,
                         can_write=clinical_policy.can_write(actor, client))


@dataclass(frozen=True)
class DiagnosisReading:
    diagnosis: Diagnosis
    changes: list[DiagnosisChange]
    can_edit: bool


def diagnosis_read(*, actor: Actor, public_id: uuid.UUID) -> DiagnosisReading:
    diagnosis = _record_for(actor, Diagnosis.objects.select_related("episode"), public_id,
                            RecordCategory.DIAGNOSES)
    changes = list(diagnosis.changes.select_related("changed_by__user").order_by("-revision"))
    audit_record(actor=actor, action=Action.READ, purpose=Purpose.TREATMENT, obj=diagnosis,
                 client=diagnosis.client, fields=["code", "rank", "status", "history"])
    return DiagnosisReading(diagnosis=diagnosis, changes=changes,
                            can_edit=clinical_policy.can_edit_diagnosis(actor, diagnosis))


# --------------------------------------------------------------------------- safety plan


@dataclass(frozen=True)
class PlanSection:
    name: str
    label: str
    help: str
    lines: list[str]


@dataclass(frozen=True)
class PlanReading:
    version: SafetyPlanVersion
    sections: list[PlanSection] | None  # None when the key was destroyed
    shares: list[SafetyPlanShare]
    is_current: bool

    def texts(self) -> dict[str, str]:
        return {s.name: "\n".join(s.lines) for s in self.sections or []}


def _plan_reading(version: SafetyPlanVersion, *, is_current: bool) -> PlanReading:
    def sections() -> list[PlanSection]:
        return [PlanSection(name, label, help_text,
                            [line.strip() for line in unseal(version, name).splitlines()
                             if line.strip()])
                for name, label, help_text in SAFETY_PLAN_SECTIONS]

    shares = list(version.shares.select_related("shared_by__user"))
    return PlanReading(version=version, sections=_readable(sections), shares=shares,
                       is_current=is_current)


@dataclass(frozen=True)
class SafetyPlanPage:
    client: Client
    current: PlanReading | None
    versions: list[SafetyPlanVersion]
    can_write: bool


def safety_plan_page(*, actor: Actor, client_public_id: uuid.UUID) -> SafetyPlanPage:
    client = clinical_client(actor=actor, public_id=client_public_id,
                             category=RecordCategory.SAFETY_PLANS)
    versions = list(SafetyPlanVersion.objects.filter(client=client)
                    .select_related("written_by__user").order_by("-number"))
    current = None
    if versions:
        versions[0].client = client
        with crypto.key_cache():
            current = _plan_reading(versions[0], is_current=True)
    audit_record(actor=actor, action=Action.READ if current else Action.LIST,
                 purpose=Purpose.TREATMENT, object_type=SafetyPlanVersion._meta.label,
                 object_id=str(versions[0].public_id) if versions else "", client=client,
                 fields=[name for name, _, _ in SAFETY_PLAN_SECTIONS] if current else [])
    return SafetyPlanPage(client=client, current=current, versions=versions,
                          can_write=clinical_policy.can_write(actor, client))


def safety_plan_version_read(*, actor: Actor, public_id: uuid.UUID) -> PlanReading:
    version = _record_for(actor, SafetyPlanVersion.objects.select_related("written_by__user"),
                          public_id, RecordCategory.SAFETY_PLANS)
    latest = (SafetyPlanVersion.objects.filter(client=version.client)
              .order_by("-number").values_list("pk", flat=True).first())
    with crypto.key_cache():
        reading = _plan_reading(version, is_current=latest == version.pk)
    audit_record(actor=actor, action=Action.READ, purpose=Purpose.TREATMENT, obj=version,
                 client=version.client,
                 fields=[name for name, _, _ in SAFETY_PLAN_SECTIONS])
    return reading


# --------------------------------------------------------------------------- medications


@dataclass(frozen=True)
class ReadMedication:
    medication: Medication
    notes: str | None


@dataclass(frozen=True)
class MedicationsPage:
    client: Client
    current: list[ReadMedication]
    past: list[ReadMedication]
    can_change: bool


def medications_page(*, actor: Actor, client_public_id: uuid.UUID) -> MedicationsPage:
    client = clinical_client(actor=actor, public_id=client_public_id,
                             category=RecordCategory.MEDICATIONS)
    rows = list(Medication.objects.filter(client=client)
                .select_related("prescriber__user").order_by("name", "-started_on"))
    with crypto.key_cache():
        read = []
        for medication in rows:
            medication.client = client
            read.append(ReadMedication(medication,
                                       _readable(lambda m=medication: unseal(m, "notes"))))  # type: ignore[misc]
    audit_record(actor=actor, action=Action.LIST, purpose=Purpose.TREATMENT,
                 object_type=Medication._meta.label, client=client,
                 fields=["name", "dose", "route", "frequency", "started_on", "stopped_on",
                         "prescriber", "notes"])
    return MedicationsPage(
        client=client, current=[r for r in read if r.medication.is_current],
        past=[r for r in read if not r.medication.is_current],
        can_change=clinical_policy.can_change_medications(actor, client))


@dataclass(frozen=True)
class MedicationReading:
    medication: Medication
    notes: str | None
    changes: list[MedicationChange]
    can_change: bool


def medication_read(*, actor: Actor, public_id: uuid.UUID) -> MedicationReading:
    medication = _record_for(actor, Medication.objects.select_related("prescriber__user"),
                             public_id, RecordCategory.MEDICATIONS)
    notes = _readable(lambda: unseal(medication, "notes"))
    changes = list(medication.changes.select_related("changed_by__user").order_by("-revision"))
    audit_record(actor=actor, action=Action.READ, purpose=Purpose.TREATMENT, obj=medication,
                 client=medication.client,
                 fields=["name", "dose", "route", "frequency", "started_on", "stopped_on",
                         "prescriber", "notes", "history"])
    return MedicationReading(medication=medication, notes=notes, changes=changes,
                             can_change=clinical_policy.can_change_medication(actor, medication))
