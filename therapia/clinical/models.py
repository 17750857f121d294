"""The clinical record beside the notes: intake assessments, diagnoses, safety plans and
medications.

Narrative text is stored only as ciphertext (key class clinical; the record's public id and
the field's name are bound as associated data: therapia/clinical/sealing.py). Structured
values a report needs (risk levels, mental-status flags, codes, statuses, dates) are plain
columns. Every record belongs to a client and carries practice_id, so row-level security
applies to each table (migration 0002).
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils import timezone

from therapia.accounts.models import Membership, Practice
from therapia.clients.models import Client, Episode
from therapia.core.models import BaseModel

# ---------------------------------------------------------------------------- assessment


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    COMPLETED = "completed", "Completed and signed"


ASSESSMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    AssessmentStatus.DRAFT: frozenset({AssessmentStatus.COMPLETED}),
    AssessmentStatus.COMPLETED: frozenset(),
}


class RiskLevel(models.TextChoices):
    NONE = "none", "None identified"
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"


# The mental-status examination, in the order clinicians write it up.
MSE_DOMAINS: tuple[tuple[str, str], ...] = (
    ("appearance", "Appearance"),
    ("behaviour", "Behaviour"),
    ("speech", "Speech"),
    ("mood", "Mood"),
    ("affect", "Affect"),
    ("thought_process", "Thought process"),
    ("thought_content", "Thought content"),
    ("perception", "Perception"),
    ("cognition", "Cognition"),
    ("insight", "Insight"),
    ("judgement", "Judgement"),
)
RISK_AREAS: tuple[tuple[str, str], ...] = (
    ("suicide", "Suicide"),
    ("self_harm", "Self-harm"),
    ("harm_to_others", "Harm to others"),
    ("safeguarding", "Safeguarding"),
)
# Narrative (encrypted) fields of an assessment, with their labels.
ASSESSMENT_NARRATIVE: tuple[tuple[str, str], ...] = (
    ("presenting_problems", "Presenting problems"),
    ("history_psychiatric", "Psychiatric history"),
    ("history_medical", "Medical history"),
    ("history_family", "Family history"),
    ("history_social", "Social history"),
    ("history_substance_use", "Substance use"),
    ("formulation", "Formulation"),
    ("recommended_treatment", "Recommended treatment"),
)
RISK_PLAN_FIELDS = tuple(f"risk_{area}_plan" for area, _ in RISK_AREAS)
MSE_NOTES_FIELD = "mse_notes"  # one ciphertext: a JSON object of exception notes by domain


class MseFinding(models.TextChoices):
    WNL = "wnl", "Within normal limits"
    EXCEPTION = "exception", "Exception (describe)"


class Assessment(BaseModel):
    """The intake assessment of one episode of care. A draft is edited; once completed
    (signed) it is read-only, and corrections are added as dated addenda."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    episode = models.OneToOneField(Episode, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=AssessmentStatus.choices,
                              default=AssessmentStatus.DRAFT)
    author = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    assessed_on = models.DateField(default=timezone.localdate)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="+")
    revision = models.PositiveIntegerField(default=1, help_text="Bumped by every draft save")
    # Narrative: ciphertext only (key class clinical).
    presenting_problems = models.BinaryField(default=b"")
    history_psychiatric = models.BinaryField(default=b"")
    history_medical = models.BinaryField(default=b"")
    history_family = models.BinaryField(default=b"")
    history_social = models.BinaryField(default=b"")
    history_substance_use = models.BinaryField(default=b"")
    formulation = models.BinaryField(default=b"")
    recommended_treatment = models.BinaryField(default=b"")
    mse_notes = models.BinaryField(default=b"")
    risk_suicide_plan = models.BinaryField(default=b"")
    risk_self_harm_plan = models.BinaryField(default=b"")
    risk_harm_to_others_plan = models.BinaryField(default=b"")
    risk_safeguarding_plan = models.BinaryField(default=b"")
    # Structured: plain columns. mse = {domain: "wnl" | "exception"}, unexamined omitted.
    mse = models.JSONField(default=dict, blank=True)
    risk_suicide = models.CharField(max_length=8, choices=RiskLevel.choices, blank=True)
    risk_self_harm = models.CharField(max_length=8, choices=RiskLevel.choices, blank=True)
    risk_harm_to_others = models.CharField(max_length=8, choices=RiskLevel.choices, blank=True)
    risk_safeguarding = models.CharField(max_length=8, choices=RiskLevel.choices, blank=True)

    class Meta:
        ordering = ("-assessed_on",)
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft", completed_at__isnull=True,
                            completed_by__isnull=True)
                | Q(status="completed", completed_at__isnull=False,
                    completed_by__isnull=False),
                name="assessment_completion_recorded",
            ),
            models.CheckConstraint(
                condition=Q(status="draft")
                | (~Q(risk_suicide="") & ~Q(risk_self_harm="") & ~Q(risk_harm_to_others="")
                   & ~Q(risk_safeguarding="")),
                name="assessment_completed_has_risk_levels",
            ),
        ]

    def __str__(self) -> str:
        return f"Assessment {self.public_id}"

    @property
    def is_draft(self) -> bool:
        return self.status == AssessmentStatus.DRAFT

    @property
    def highest_risk(self) -> str:
        order = [RiskLevel.NONE, RiskLevel.LOW, RiskLevel.MODERATE, RiskLevel.HIGH]
        levels = [getattr(self, f"risk_{area}") for area, _ in RISK_AREAS]
        known = [order.index(RiskLevel(level)) for level in levels if level]
        return order[max(known)].value if known else ""


class AssessmentAddendum(BaseModel):
    """A dated correction or addition to a completed assessment."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT,
                                   related_name="addenda")
    author = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)
    body = models.BinaryField(help_text="Ciphertext only (key class clinical)")

    class Meta:
        ordering = ("written_at",)
        constraints = [
            models.CheckConstraint(condition=~Q(body=b""), name="addendum_body_not_empty"),
        ]

    def __str__(self) -> str:
        return f"Addendum {self.public_id}"


# ----------------------------------------------------------------------------- diagnoses


class CodeSystem(models.TextChoices):
    ICD10CM = "icd10cm", "ICD-10-CM"
    ICD11 = "icd11", "ICD-11"


class IcdCode(models.Model):
    """Reference data (no client data): ICD-10-CM chapter 5 and ICD-11 MMS chapter 6,
    loaded by migration 0003 from the sources named in therapia/clinical/icd.py."""

    system = models.CharField(max_length=8, choices=CodeSystem.choices)
    code = models.CharField(max_length=16)
    title = models.CharField(max_length=400)
    # Searchable form: upper case, no dot ("F32A"), so "f32.a", "F32A" and "f32a" match.
    compact = models.CharField(max_length=16)
    # Words of the title, lower case, for matching every word of a query.
    words = models.CharField(max_length=600)
    selectable = models.BooleanField(
        default=True, help_text="Can be recorded as a diagnosis (ICD-10-CM: billable codes)")
    entity_id = models.CharField(max_length=16, blank=True,
                                 help_text="ICD-11 foundation entity id")

    class Meta:
        ordering = ("system", "code")
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="icd_code_once"),
        ]
        indexes = [
            models.Index(fields=["system", "compact"], name="icd_compact"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class DiagnosisRank(models.TextChoices):
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"


class DiagnosisStatus(models.TextChoices):
    PROVISIONAL = "provisional", "Provisional"
    CONFIRMED = "confirmed", "Confirmed"
    IN_REMISSION = "in_remission", "In remission"
    RESOLVED = "resolved", "Resolved"
    RULED_OUT = "ruled_out", "Ruled out"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


ACTIVE_DIAGNOSIS = frozenset({DiagnosisStatus.PROVISIONAL, DiagnosisStatus.CONFIRMED,
                              DiagnosisStatus.IN_REMISSION})
DIAGNOSIS_TRANSITIONS: dict[str, frozenset[str]] = {
    DiagnosisStatus.PROVISIONAL: frozenset({
        DiagnosisStatus.CONFIRMED, DiagnosisStatus.RULED_OUT,
        DiagnosisStatus.ENTERED_IN_ERROR}),
    DiagnosisStatus.CONFIRMED: frozenset({
        DiagnosisStatus.IN_REMISSION, DiagnosisStatus.RESOLVED,
        DiagnosisStatus.ENTERED_IN_ERROR}),
    DiagnosisStatus.IN_REMISSION: frozenset({
        DiagnosisStatus.CONFIRMED, DiagnosisStatus.RESOLVED,
        DiagnosisStatus.ENTERED_IN_ERROR}),
    DiagnosisStatus.RESOLVED: frozenset({DiagnosisStatus.CONFIRMED,
                                         DiagnosisStatus.ENTERED_IN_ERROR}),
    DiagnosisStatus.RULED_OUT: frozenset({DiagnosisStatus.ENTERED_IN_ERROR}),
    DiagnosisStatus.ENTERED_IN_ERROR: frozenset(),
}


class Diagnosis(BaseModel):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="+")
    system = models.CharField(max_length=8, choices=CodeSystem.choices)
    code = models.CharField(max_length=16)
    title = models.CharField(max_length=400, help_text="As in the code list when recorded")
    rank = models.CharField(max_length=10, choices=DiagnosisRank.choices)
    status = models.CharField(max_length=16, choices=DiagnosisStatus.choices,
                              default=DiagnosisStatus.PROVISIONAL)
    onset_on = models.DateField(null=True, blank=True)
    diagnosed_on = models.DateField()
    recorded_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ("rank", "-diagnosed_on")
        verbose_name_plural = "diagnoses"
        constraints = [
            models.UniqueConstraint(
                fields=["episode"],
                condition=Q(rank="primary",
                            status__in=["provisional", "confirmed", "in_remission"]),
                name="diagnosis_one_active_primary",
            ),
            models.CheckConstraint(
                condition=Q(onset_on__isnull=True) | Q(onset_on__lte=models.F("diagnosed_on")),
                name="diagnosis_onset_before_diagnosis",
            ),
            models.CheckConstraint(condition=Q(diagnosed_on__gte=dt.date(1900, 1, 1)),
                                   name="diagnosis_date_plausible"),
        ]

    def __str__(self) -> str:
        return f"Diagnosis {self.public_id}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_DIAGNOSIS


class DiagnosisChange(BaseModel):
    """One entry of a diagnosis's history: what it was after each save."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    diagnosis = models.ForeignKey(Diagnosis, on_delete=models.PROTECT, related_name="changes")
    changed_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    revision = models.PositiveIntegerField()
    rank = models.CharField(max_length=10, choices=DiagnosisRank.choices)
    status = models.CharField(max_length=16, choices=DiagnosisStatus.choices)
    onset_on = models.DateField(null=True, blank=True)
    diagnosed_on = models.DateField()

    class Meta:
        ordering = ("diagnosis", "revision")
        constraints = [
            models.UniqueConstraint(fields=["diagnosis", "revision"],
                                    name="diagnosis_change_once"),
        ]

    def __str__(self) -> str:
        return f"Diagnosis change {self.public_id}"


# --------------------------------------------------------------------------- safety plan

# The sections of a Stanley & Brown safety plan (Stanley B, Brown GK. Safety Planning
# Intervention: a brief intervention to mitigate suicide risk. Cogn Behav Pract. 2012;
# 19(2):256-264), in its order. Each is free text, one item per line.
SAFETY_PLAN_SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("warning_signs", "Step 1: Warning signs",
     "Thoughts, images, moods, situations or behaviours that a crisis may be developing."),
    ("coping_strategies", "Step 2: Things I can do on my own to take my mind off problems",
     "Internal coping strategies: relaxation, physical activity, anything that helps."),
    ("distraction", "Step 3: People and social settings that provide distraction",
     "Names and numbers, and places to go."),
    ("help_people", "Step 4: People I can ask for help",
     "Names and phone numbers."),
    ("professionals", "Step 5: Professionals or agencies I can contact during a crisis",
     ("Clinicians, services and their numbers; the crisis lines below are added to every "
      "plan.")),
    ("means_safety", "Step 6: Making the environment safe",
     "What will be removed, locked away or handed to someone, and by whom."),
    ("reasons_for_living", "The one thing most important to me and worth living for",
     "Optional."),
)
REQUIRED_SAFETY_SECTIONS = ("warning_signs", "coping_strategies", "help_people",
                            "professionals", "means_safety")


class SafetyPlanVersion(BaseModel):
    """One saved safety plan. Never changed after it is written: every save is a new
    version, and the client's latest version is their current plan."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    written_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)
    jurisdiction = models.CharField(max_length=16, help_text="Whose crisis lines it lists")
    warning_signs = models.BinaryField(default=b"")
    coping_strategies = models.BinaryField(default=b"")
    distraction = models.BinaryField(default=b"")
    help_people = models.BinaryField(default=b"")
    professionals = models.BinaryField(default=b"")
    means_safety = models.BinaryField(default=b"")
    reasons_for_living = models.BinaryField(default=b"")

    class Meta:
        ordering = ("client", "-number")
        constraints = [
            models.UniqueConstraint(fields=["client", "number"],
                                    name="safety_plan_version_once"),
            models.CheckConstraint(condition=Q(number__gte=1),
                                   name="safety_plan_number_positive"),
        ]

    def __str__(self) -> str:
        return f"Safety plan version {self.public_id}"


class SafetyPlanShare(BaseModel):
    """A version of the plan handed to the client (on paper now, the portal later)."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(SafetyPlanVersion, on_delete=models.PROTECT,
                                related_name="shares")
    shared_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    shared_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=16, default="paper")

    class Meta:
        ordering = ("-shared_at",)

    def __str__(self) -> str:
        return f"Safety plan share {self.public_id}"


# --------------------------------------------------------------------------- medications


class Route(models.TextChoices):
    ORAL = "oral", "By mouth"
    SUBLINGUAL = "sublingual", "Under the tongue"
    IM = "im", "Injection into a muscle (depot)"
    SC = "sc", "Injection under the skin"
    TRANSDERMAL = "transdermal", "Skin patch"
    NASAL = "nasal", "Nasal spray"
    OTHER = "other", "Other"


class Medication(BaseModel):
    """One medicine on a client's list. Only a clinician with prescribing authority on the
    care team changes it; each change is kept (MedicationChange)."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    dose = models.CharField(max_length=100, help_text="e.g. 50 mg")
    route = models.CharField(max_length=12, choices=Route.choices, default=Route.ORAL)
    frequency = models.CharField(max_length=100, help_text="e.g. once daily, at night")
    started_on = models.DateField()
    stopped_on = models.DateField(null=True, blank=True)
    prescriber = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")
    external_prescriber = models.CharField(max_length=200, blank=True,
                                           help_text="When prescribed outside the practice")
    notes = models.BinaryField(default=b"", help_text="Ciphertext only (key class clinical)")
    recorded_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ("stopped_on", "name")
        constraints = [
            models.CheckConstraint(
                condition=Q(stopped_on__isnull=True)
                | Q(stopped_on__gte=models.F("started_on")),
                name="medication_stop_after_start",
            ),
            models.CheckConstraint(
                condition=Q(prescriber__isnull=False, external_prescriber="")
                | Q(prescriber__isnull=True) & ~Q(external_prescriber=""),
                name="medication_one_prescriber",
            ),
            models.CheckConstraint(condition=Q(started_on__gte=dt.date(1900, 1, 1)),
                                   name="medication_start_plausible"),
        ]

    def __str__(self) -> str:
        return f"Medication {self.public_id}"

    @property
    def is_current(self) -> bool:
        return self.stopped_on is None or self.stopped_on > timezone.localdate()

    @property
    def prescriber_name(self) -> str:
        if self.prescriber_id is not None:
            return self.prescriber.user.display_name if self.prescriber else ""
        return self.external_prescriber


class MedicationChangeKind(models.TextChoices):
    STARTED = "started", "Started"
    CHANGED = "changed", "Changed"
    STOPPED = "stopped", "Stopped"


class MedicationChange(BaseModel):
    """The medication as it was after each change (the history the list keeps)."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    medication = models.ForeignKey(Medication, on_delete=models.PROTECT,
                                   related_name="changes")
    kind = models.CharField(max_length=8, choices=MedicationChangeKind.choices)
    changed_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    revision = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    dose = models.CharField(max_length=100)
    route = models.CharField(max_length=12, choices=Route.choices)
    frequency = models.CharField(max_length=100)
    started_on = models.DateField()
    stopped_on = models.DateField(null=True, blank=True)
    fields = models.JSONField(default=list, help_text="Names of the fields this change set")

    class Meta:
        ordering = ("medication", "revision")
        constraints = [
            models.UniqueConstraint(fields=["medication", "revision"],
                                    name="medication_change_once"),
        ]

    def __str__(self) -> str:
        return f"Medication change {self.public_id}"
