"""Writes to assessments, diagnoses, safety plans and medications (house rule 1): atomic,
policy-checked, audited in the same transaction with field names only. Narrative text is
sealed (encrypted) before the row is written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from therapia.accounts.models import Membership
from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients import services as clients_services
from therapia.clients.models import Client, Episode, EpisodeStatus
from therapia.clinical import icd
from therapia.clinical import policy as clinical_policy
from therapia.clinical.models import (
    ACTIVE_DIAGNOSIS,
    ASSESSMENT_NARRATIVE,
    ASSESSMENT_TRANSITIONS,
    DIAGNOSIS_TRANSITIONS,
    MSE_DOMAINS,
    MSE_NOTES_FIELD,
    REQUIRED_SAFETY_SECTIONS,
    RISK_AREAS,
    SAFETY_PLAN_SECTIONS,
    Assessment,
    AssessmentAddendum,
    AssessmentStatus,
    CodeSystem,
    Diagnosis,
    DiagnosisChange,
    DiagnosisRank,
    DiagnosisStatus,
    IcdCode,
    Medication,
    MedicationChange,
    MedicationChangeKind,
    MseFinding,
    RiskLevel,
    Route,
    SafetyPlanShare,
    SafetyPlanVersion,
)
from therapia.clinical.sealing import seal, seal_json, unseal, unseal_json
from therapia.security.actor import Actor

TEXT_MAX_CHARS = 20_000
NOT_YOURS = "Only a clinician on this client's care team can do this."


class EditConflict(Exception):
    """Someone else saved the record after this edit began: nothing was overwritten."""


def _check_text(errors: dict[str, str], field: str, text: str) -> None:
    if len(text) > TEXT_MAX_CHARS:
        errors[field] = f"This can be at most {TEXT_MAX_CHARS} characters."


def _not_future(errors: dict[str, str], field: str, day: dt.date | None, what: str) -> None:
    if day is not None and day > timezone.localdate():
        errors[field] = f"The {what} cannot be in the future."


# ---------------------------------------------------------------------------- assessment


@transaction.atomic
def assessment_start(*, actor: Actor, episode: Episode) -> Assessment:
    """A draft intake assessment for an open episode (one per episode)."""
    client = episode.client
    if episode.practice_id != actor.practice.pk or not clinical_policy.can_write(actor, client):
        raise PermissionDenied(NOT_YOURS)
    if not episode.is_open:
        raise ValidationError("This episode of care was discharged; open a new one first.")
    assessment = Assessment(practice_id=episode.practice_id, client=client, episode=episode,
                            author=actor.membership, assessed_on=timezone.localdate())
    try:
        with transaction.atomic():
            assessment.save()
    except IntegrityError as error:
        raise ValidationError("This episode already has an intake assessment.") from error
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.TREATMENT,
                 obj=assessment, client=client, fields=["episode", "status"])
    return assessment


@dataclass(frozen=True)
class AssessmentText:
    """What the clinician wrote: the plaintext of every narrative field and the MSE."""

    narrative: dict[str, str]
    mse: dict[str, str]  # domain -> "wnl" | "exception" ("" or absent: not yet examined)
    mse_notes: dict[str, str]  # domain -> note, for exceptions
    risk_levels: dict[str, str]  # area -> RiskLevel value or ""
    risk_plans: dict[str, str]  # area -> plan
    assessed_on: dt.date


def assessment_text(assessment: Assessment) -> AssessmentText:
    """Decrypt an assessment (raises crypto.DataKeyDestroyed once shredded)."""
    return AssessmentText(
        narrative={name: unseal(assessment, name) for name, _ in ASSESSMENT_NARRATIVE},
        mse={domain: str(assessment.mse.get(domain, "")) for domain, _ in MSE_DOMAINS},
        mse_notes=unseal_json(assessment, MSE_NOTES_FIELD),
        risk_levels={area: getattr(assessment, f"risk_{area}") for area, _ in RISK_AREAS},
        risk_plans={area: unseal(assessment, f"risk_{area}_plan") for area, _ in RISK_AREAS},
        assessed_on=assessment.assessed_on,
    )


def _validate_draft(text: AssessmentText, episode: Episode) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, _ in ASSESSMENT_NARRATIVE:
        _check_text(errors, name, text.narrative.get(name, ""))
    for area, _ in RISK_AREAS:
        _check_text(errors, f"risk_{area}_plan", text.risk_plans.get(area, ""))
        if text.risk_levels.get(area, "") not in ("", *RiskLevel.values):
            errors[f"risk_{area}"] = "Choose a level from the list."
    for domain, _ in MSE_DOMAINS:
        _check_text(errors, f"mse_{domain}_note", text.mse_notes.get(domain, ""))
        if text.mse.get(domain, "") not in ("", *MseFinding.values):
            errors[f"mse_{domain}"] = "Choose within normal limits or an exception."
    _not_future(errors, "assessed_on", text.assessed_on, "assessment date")
    if text.assessed_on < episode.opened_on:
        errors["assessed_on"] = (f"The assessment date cannot be before the episode opened "
                                 f"({episode.opened_on:%d %b %Y}).")
    return errors


def _validate_complete(text: AssessmentText) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name in ("presenting_problems", "formulation", "recommended_treatment"):
        if not text.narrative.get(name, "").strip():
            label = dict(ASSESSMENT_NARRATIVE)[name]
            errors[name] = f"{label} must be written before the assessment is completed."
    for domain, label in MSE_DOMAINS:
        finding = text.mse.get(domain, "")
        if not finding:
            errors[f"mse_{domain}"] = f"{label}: record within normal limits or an exception."
        elif finding == MseFinding.EXCEPTION and not text.mse_notes.get(domain, "").strip():
            errors[f"mse_{domain}_note"] = f"{label}: describe the exception."
    for area, label in RISK_AREAS:
        level = text.risk_levels.get(area, "")
        if not level:
            errors[f"risk_{area}"] = f"{label}: choose a risk level."
        elif level in (RiskLevel.MODERATE, RiskLevel.HIGH) and not text.risk_plans.get(
                area, "").strip():
            errors[f"risk_{area}_plan"] = f"{label}: a {level} risk needs a plan."
    return errors


@transaction.atomic
def assessment_save_draft(*, actor: Actor, assessment: Assessment, text: AssessmentText,
                          seen_revision: int) -> tuple[Assessment, list[str]]:
    """Save a draft. Refused after completion; refused (EditConflict) when someone saved
    the draft after `seen_revision` was loaded. Returns the row and the changed fields."""
    stored = Assessment.objects.select_for_update().select_related("client", "episode").get(
        pk=assessment.pk)
    if not clinical_policy.can_edit_assessment(actor, stored):
        raise PermissionDenied("A completed assessment cannot be changed; add an addendum.")
    if stored.revision != seen_revision:
        raise EditConflict
    errors = _validate_draft(text, stored.episode)
    if errors:
        raise ValidationError(errors)
    before = assessment_text(stored)
    changed: list[str] = []
    for name, _ in ASSESSMENT_NARRATIVE:
        value = text.narrative.get(name, "").strip()
        if value != before.narrative[name]:
            setattr(stored, name, seal(stored, name, value))
            changed.append(name)
    for area, _ in RISK_AREAS:
        plan = text.risk_plans.get(area, "").strip()
        if plan != before.risk_plans[area]:
            setattr(stored, f"risk_{area}_plan", seal(stored, f"risk_{area}_plan", plan))
            changed.append(f"risk_{area}_plan")
        level = text.risk_levels.get(area, "")
        if level != before.risk_levels[area]:
            setattr(stored, f"risk_{area}", level)
            changed.append(f"risk_{area}")
    mse = {domain: text.mse[domain] for domain, _ in MSE_DOMAINS if text.mse.get(domain)}
    if mse != stored.mse:
        stored.mse = mse
        changed.append("mse")
    notes = {domain: text.mse_notes.get(domain, "").strip() for domain, _ in MSE_DOMAINS
             if mse.get(domain) == MseFinding.EXCEPTION}
    notes = {domain: note for domain, note in notes.items() if note}
    if notes != before.mse_notes:
        stored.mse_notes = seal_json(stored, MSE_NOTES_FIELD, notes)
        changed.append(MSE_NOTES_FIELD)
    if text.assessed_on != stored.assessed_on:
        stored.assessed_on = text.assessed_on
        changed.append("assessed_on")
    if not changed:
        return stored, changed
    stored.revision += 1
    stored.save()
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.TREATMENT, obj=stored,
                 client=stored.client, fields=changed)
    return stored, changed


@transaction.atomic
def assessment_complete(*, actor: Actor, assessment: Assessment,
                        seen_revision: int) -> Assessment:
    """Sign the assessment: it becomes read-only. Refused, naming what is missing, until
    every required part is there."""
    stored = Assessment.objects.select_for_update().select_related("client", "episode").get(
        pk=assessment.pk)
    if not clinical_policy.can_complete_assessment(actor, stored):
        raise PermissionDenied("This assessment is already completed.")
    if stored.revision != seen_revision:
        raise EditConflict
    if AssessmentStatus.COMPLETED not in ASSESSMENT_TRANSITIONS[stored.status]:
        raise PermissionDenied("This assessment is already completed.")
    errors = _validate_complete(assessment_text(stored))
    if errors:
        raise ValidationError(errors)
    stored.status = AssessmentStatus.COMPLETED
    stored.completed_at = timezone.now()
    stored.completed_by = actor.membership
    stored.save(update_fields=["status", "completed_at", "completed_by", "updated_at"])
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.TREATMENT, obj=stored,
                 client=stored.client, fields=["status", "completed_at", "completed_by"])
    _record_episode_assessed(actor=actor, episode=stored.episode, day=stored.assessed_on)
    return stored


def _record_episode_assessed(*, actor: Actor, episode: Episode, day: dt.date) -> None:
    """The episode's date of assessment, through the clients app's episode service (it owns
    Episode and EPISODE_TRANSITIONS), in this transaction: a waiting episode moves to
    "assessment" on the assessment's date. An episode already past waiting keeps the date
    it has (an intake session may have recorded it first)."""
    fresh = Episode.objects.get(pk=episode.pk)
    if fresh.status != EpisodeStatus.WAITING or fresh.assessed_on is not None:
        return
    clients_services.episode_transition(actor=actor, episode=fresh,
                                        to=EpisodeStatus.ASSESSMENT, on=day)


@transaction.atomic
def assessment_addendum_add(*, actor: Actor, assessment: Assessment,
                            body: str) -> AssessmentAddendum:
    if not clinical_policy.can_add_addendum(actor, assessment):
        raise PermissionDenied("An addendum is added to a completed assessment.")
    text = body.strip()
    if not text:
        raise ValidationError({"body": "Write the addendum, or leave without saving."})
    if len(text) > TEXT_MAX_CHARS:
        raise ValidationError({"body": f"This can be at most {TEXT_MAX_CHARS} characters."})
    addendum = AssessmentAddendum(practice_id=assessment.practice_id, client=assessment.client,
                                  assessment=assessment, author=actor.membership,
                                  written_at=timezone.now())
    addendum.body = seal(addendum, "body", text)
    addendum.save()
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.TREATMENT, obj=addendum,
                 client=assessment.client, fields=["body"])
    return addendum


# ----------------------------------------------------------------------------- diagnoses

NEW_DIAGNOSIS_STATUSES = frozenset({DiagnosisStatus.PROVISIONAL, DiagnosisStatus.CONFIRMED,
                                    DiagnosisStatus.IN_REMISSION})


def unknown_code_message(system: str, code: str) -> str:
    name = CodeSystem(system).label if system in CodeSystem.values else "the code list"
    shown = code.strip()[:16] or "(empty)"
    near = IcdCode.objects.filter(system=system, compact=icd.compact(code)).first()
    if near is not None and not near.selectable:
        return (f"{near.code} is a category in {name}, not a code that can be recorded: "
                f"choose one of its more specific codes.")
    chapter = "chapter 5 (F01-F99)" if system == CodeSystem.ICD10CM else "chapter 6"
    return f"{shown} is not a code of {name} {chapter}. Search by code or words and pick one."


def _validate_diagnosis_dates(errors: dict[str, str], onset_on: dt.date | None,
                              diagnosed_on: dt.date) -> None:
    _not_future(errors, "diagnosed_on", diagnosed_on, "date of diagnosis")
    _not_future(errors, "onset_on", onset_on, "onset date")
    if onset_on is not None and onset_on > diagnosed_on:
        errors["onset_on"] = "The onset cannot be after the date of diagnosis."
    if diagnosed_on < dt.date(1900, 1, 1):
        errors["diagnosed_on"] = "Please check the year of the diagnosis."


def _active_primary(episode_id: int, exclude: int | None = None) -> Diagnosis | None:
    found = Diagnosis.objects.filter(episode_id=episode_id, rank=DiagnosisRank.PRIMARY,
                                     status__in=ACTIVE_DIAGNOSIS)
    if exclude is not None:
        found = found.exclude(pk=exclude)
    return found.first()


def _primary_taken(other: Diagnosis) -> str:
    return (f"This episode already has an active primary diagnosis ({other.code}). Record "
            "this one as secondary, or change that one first.")


def _log_diagnosis(actor: Actor, diagnosis: Diagnosis) -> None:
    DiagnosisChange.objects.create(
        practice_id=diagnosis.practice_id, diagnosis=diagnosis, changed_by=actor.membership,
        revision=diagnosis.revision, rank=diagnosis.rank, status=diagnosis.status,
        onset_on=diagnosis.onset_on, diagnosed_on=diagnosis.diagnosed_on)


@transaction.atomic
def diagnosis_add(*, actor: Actor, episode: Episode, system: str, code: str, rank: str,
                  status: str = DiagnosisStatus.PROVISIONAL, diagnosed_on: dt.date,
                  onset_on: dt.date | None = None) -> Diagnosis:
    client = episode.client
    if episode.practice_id != actor.practice.pk or not clinical_policy.can_write(actor, client):
        raise PermissionDenied(NOT_YOURS)
    errors: dict[str, str] = {}
    found = icd.lookup(system, code)
    if found is None:
        errors["code"] = unknown_code_message(system, code)
    if rank not in DiagnosisRank.values:
        errors["rank"] = "Choose primary or secondary."
    if status not in NEW_DIAGNOSIS_STATUSES:
        errors["status"] = "A new diagnosis is provisional, confirmed or in remission."
    _validate_diagnosis_dates(errors, onset_on, diagnosed_on)
    if rank == DiagnosisRank.PRIMARY and "rank" not in errors:
        other = _active_primary(episode.pk)
        if other is not None:
            errors["rank"] = _primary_taken(other)
    if errors or found is None:
        raise ValidationError(errors)
    diagnosis = Diagnosis(practice_id=episode.practice_id, client=client, episode=episode,
                          system=found.system, code=found.code, title=found.title, rank=rank,
                          status=status, onset_on=onset_on, diagnosed_on=diagnosed_on,
                          recorded_by=actor.membership)
    try:
        with transaction.atomic():
            diagnosis.save()
    except IntegrityError as error:  # a concurrent primary won the race
        raise ValidationError({"rank": "Another primary diagnosis was just recorded for "
                               "this episode. Record this one as secondary."}) from error
    _log_diagnosis(actor, diagnosis)
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.TREATMENT, obj=diagnosis,
                 client=client, fields=["system", "code", "rank", "status", "diagnosed_on",
                                        *(["onset_on"] if onset_on else [])])
    return diagnosis


@transaction.atomic
def diagnosis_update(*, actor: Actor, diagnosis: Diagnosis, data: dict[str, Any],
                     seen_revision: int) -> tuple[Diagnosis, list[str]]:
    """Change rank, status (through DIAGNOSIS_TRANSITIONS) and dates. The code itself is
    never changed: a wrong code is marked entered in error and the right one added."""
    stored = Diagnosis.objects.select_for_update().select_related("client").get(
        pk=diagnosis.pk)
    if not clinical_policy.can_edit_diagnosis(actor, stored):
        raise PermissionDenied("This diagnosis can no longer be changed.")
    if stored.revision != seen_revision:
        raise EditConflict
    allowed = {"rank", "status", "onset_on", "diagnosed_on"}
    changed = [name for name in allowed & data.keys() if getattr(stored, name) != data[name]]
    if not changed:
        return stored, []
    errors: dict[str, str] = {}
    new = {name: data.get(name, getattr(stored, name)) for name in allowed}
    if "status" in changed and new["status"] not in DIAGNOSIS_TRANSITIONS[stored.status]:
        options = ", ".join(DiagnosisStatus(s).label.lower() for s in sorted(
            DIAGNOSIS_TRANSITIONS[stored.status]))
        errors["status"] = (f"A {stored.get_status_display().lower()} diagnosis can become: "
                            f"{options}.")
    if new["rank"] not in DiagnosisRank.values:
        errors["rank"] = "Choose primary or secondary."
    _validate_diagnosis_dates(errors, new["onset_on"], new["diagnosed_on"])
    if (new["rank"] == DiagnosisRank.PRIMARY and new["status"] in ACTIVE_DIAGNOSIS
            and "rank" not in errors):
        other = _active_primary(stored.episode_id, exclude=stored.pk)
        if other is not None:
            errors["rank"] = _primary_taken(other)
    if errors:
        raise ValidationError(errors)
    for name in changed:
        setattr(stored, name, new[name])
    stored.revision += 1
    try:
        with transaction.atomic():
            stored.save()
    except IntegrityError as error:
        raise ValidationError({"rank": "Another primary diagnosis was just recorded for "
                               "this episode."}) from error
    _log_diagnosis(actor, stored)
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.TREATMENT, obj=stored,
                 client=stored.client, fields=changed)
    return stored, sorted(changed)


# --------------------------------------------------------------------------- safety plan


@transaction.atomic
def safety_plan_save(*, actor: Actor, client: Client, sections: dict[str, str],
                     based_on: int) -> SafetyPlanVersion:
    """Write a new version of the client's safety plan. `based_on` is the number of the
    version the clinician started from (0 for the first): if another version was saved
    since, EditConflict (nothing is overwritten, nothing saved)."""
    if client.practice_id != actor.practice.pk or not clinical_policy.can_write(actor, client):
        raise PermissionDenied(NOT_YOURS)
    Client.objects.select_for_update().filter(pk=client.pk).first()  # one writer at a time
    latest = (SafetyPlanVersion.objects.filter(client=client)
              .order_by("-number").values_list("number", flat=True).first() or 0)
    if latest != based_on:
        raise EditConflict
    texts = {name: sections.get(name, "").strip() for name, _, _ in SAFETY_PLAN_SECTIONS}
    errors: dict[str, str] = {}
    labels = {name: label for name, label, _ in SAFETY_PLAN_SECTIONS}
    for name in REQUIRED_SAFETY_SECTIONS:
        if not texts[name]:
            errors[name] = f"{labels[name].split(': ', 1)[-1]}: write at least one line."
    for name, text in texts.items():
        _check_text(errors, name, text)
    if errors:
        raise ValidationError(errors)
    version = SafetyPlanVersion(practice_id=client.practice_id, client=client,
                                number=latest + 1, written_by=actor.membership,
                                written_at=timezone.now(),
                                jurisdiction=actor.practice.jurisdiction)
    for name, text in texts.items():
        setattr(version, name, seal(version, name, text))
    version.save()
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.TREATMENT, obj=version,
                 client=client, fields=[name for name, text in texts.items() if text])
    return version


@transaction.atomic
def safety_plan_share(*, actor: Actor, version: SafetyPlanVersion) -> SafetyPlanShare:
    """Record that this version was handed to the client (on paper; the portal later)."""
    client = version.client
    if version.practice_id != actor.practice.pk or not clinical_policy.can_write(actor, client):
        raise PermissionDenied(NOT_YOURS)
    latest = SafetyPlanVersion.objects.filter(client=client).order_by("-number").first()
    if latest is None or latest.pk != version.pk:
        raise ValidationError("A newer version of this plan exists: share the current one.")
    share = SafetyPlanShare.objects.create(practice_id=version.practice_id, client=client,
                                           version=version, shared_by=actor.membership)
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.TREATMENT, obj=share,
                 client=client, fields=["version", "channel"])
    return share


# --------------------------------------------------------------------------- medications

MEDICATION_FIELDS = ("name", "dose", "route", "frequency", "started_on", "stopped_on",
                     "prescriber", "external_prescriber")


def _validate_medication(data: dict[str, Any], practice_id: int) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, label in (("name", "the medicine's name"), ("dose", "the dose"),
                        ("frequency", "how often it is taken")):
        if not str(data.get(name) or "").strip():
            errors[name] = f"Write {label}."
    started, stopped = data.get("started_on"), data.get("stopped_on")
    if started is None:
        errors["started_on"] = "Give the date it was started."
    elif stopped is not None and stopped < started:
        errors["stopped_on"] = (f"The stop date ({stopped:%d %b %Y}) cannot be before the "
                                f"start date ({started:%d %b %Y}).")
    if started is not None and started < dt.date(1900, 1, 1):
        errors["started_on"] = "Please check the year."
    prescriber: Membership | None = data.get("prescriber")
    external = str(data.get("external_prescriber") or "").strip()
    if prescriber is None and not external:
        errors["prescriber"] = "Choose the prescriber, or name one outside the practice."
    elif prescriber is not None and external:
        errors["external_prescriber"] = "Choose a prescriber here or name one outside, not both."
    elif prescriber is not None and prescriber.practice_id != practice_id:
        errors["prescriber"] = "Choose a member of this practice."
    _check_text(errors, "notes", str(data.get("notes") or ""))
    return errors


def _log_medication(actor: Actor, medication: Medication, kind: str,
                    fields: list[str]) -> None:
    MedicationChange.objects.create(
        practice_id=medication.practice_id, medication=medication, kind=kind,
        changed_by=actor.membership, revision=medication.revision, name=medication.name,
        dose=medication.dose, route=medication.route, frequency=medication.frequency,
        started_on=medication.started_on, stopped_on=medication.stopped_on,
        fields=sorted(fields))


@transaction.atomic
def medication_add(*, actor: Actor, client: Client, data: dict[str, Any]) -> Medication:
    if client.practice_id != actor.practice.pk or not clinical_policy.can_change_medications(
            actor, client):
        raise PermissionDenied("Only a prescriber on this client's care team can do this.")
    errors = _validate_medication(data, client.practice_id)
    if errors:
        raise ValidationError(errors)
    values = {name: data.get(name) for name in MEDICATION_FIELDS}
    values["name"] = str(values["name"]).strip()
    values["external_prescriber"] = str(values["external_prescriber"] or "").strip()
    values["route"] = values["route"] or Route.ORAL
    medication = Medication(practice_id=client.practice_id, client=client,
                            recorded_by=actor.membership, **values)
    notes = str(data.get("notes") or "").strip()
    medication.notes = seal(medication, "notes", notes)
    medication.full_clean(exclude=["notes"])
    medication.save()
    fields = [name for name, value in values.items() if value] + (["notes"] if notes else [])
    _log_medication(actor, medication, MedicationChangeKind.STARTED, fields)
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.TREATMENT, obj=medication,
                 client=client, fields=fields)
    return medication


@transaction.atomic
def medication_update(*, actor: Actor, medication: Medication, data: dict[str, Any],
                      seen_revision: int) -> tuple[Medication, list[str]]:
    """Change a current medication (dose, frequency, stop date...). Each change is kept."""
    stored = Medication.objects.select_for_update().select_related("client").get(
        pk=medication.pk)
    if not clinical_policy.can_change_medication(actor, stored):
        raise PermissionDenied("Only a prescriber on this client's care team can change "
                               "a current medication.")
    if stored.revision != seen_revision:
        raise EditConflict
    merged = {name: data.get(name, getattr(stored, name)) for name in MEDICATION_FIELDS}
    notes_before = unseal(stored, "notes")
    merged["notes"] = str(data.get("notes", notes_before) or "").strip()
    errors = _validate_medication(merged, stored.practice_id)
    if errors:
        raise ValidationError(errors)
    changed = [name for name in MEDICATION_FIELDS if getattr(stored, name) != merged[name]]
    for name in changed:
        setattr(stored, name, merged[name])
    if merged["notes"] != notes_before:
        stored.notes = seal(stored, "notes", merged["notes"])
        changed.append("notes")
    if not changed:
        return stored, []
    stored.revision += 1
    stored.full_clean(exclude=["notes"])
    stored.save()
    kind = (MedicationChangeKind.STOPPED if "stopped_on" in changed and stored.stopped_on
            else MedicationChangeKind.CHANGED)
    _log_medication(actor, stored, kind, changed)
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.TREATMENT, obj=stored,
                 client=stored.client, fields=changed)
    return stored, sorted(changed)
