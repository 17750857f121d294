"""Clinical records. Free text is stored only as ciphertext (therapia/security/crypto/).

ProgressNote is the note of the designated record set: one per client and session, written
from a template (note_templates.py), draft -> signed -> locked through NOTE_TRANSITIONS;
every saved text is a ProgressNoteVersion, corrections after signing are addenda.
TreatmentPlan keeps every change as an immutable TreatmentPlanVersion.

PsychotherapyNote is its own privacy class (45 CFR 164.501; PN-1): its own table, its own
master key (key class psychotherapy_notes), readable by its author only, or by the
author's supervisor of record while supervision is active (basis TRAINING). No relation
points back to it from Client, Appointment or Membership (related_name="+"), so code that
walks a client's relations (exports, the FHIR bundle, the portal) cannot reach it.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from therapia.accounts.models import Membership, Practice
from therapia.clients.models import Client, Episode
from therapia.core.models import BaseModel
from therapia.records.catalogues import Delivery, Frequency, SessionFormat
from therapia.records.note_templates import Template
from therapia.scheduling.models import Appointment


class LegalBasis(models.TextChoices):
    """Why a psychotherapy note may be used (45 CFR 164.508(a)(2); PN-4). Only ORIGINATOR
    and TRAINING grant access so far; the others need the authorization and disclosure
    workflows (PN-5, LC-1) and are listed so the vocabulary is fixed now."""

    ORIGINATOR = "ORIGINATOR", "Author's own use for treatment, 164.508(a)(2)(i)(A)"
    TRAINING = "TRAINING", "Supervised training program, 164.508(a)(2)(i)(B)"
    AUTHZ = "AUTHZ", "Authorization specific to psychotherapy notes, 164.508(a)(2)"
    LEGAL_DEFENSE = "LEGAL_DEFENSE", "Defence in a legal action by the client, (i)(C)"
    REQUIRED_BY_LAW = "REQUIRED_BY_LAW", "Required by law, 164.512(a)"
    OVERSIGHT = "OVERSIGHT", "Oversight of the originator, 164.512(d)"
    CORONER = "CORONER", "Coroner or medical examiner, 164.512(g)(1)"
    SERIOUS_THREAT = "SERIOUS_THREAT", "Serious and imminent threat, 164.512(j)(1)(i)"


class PsychotherapyNote(BaseModel):
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)
    body = models.BinaryField(help_text="Ciphertext only (key class psychotherapy_notes)")
    legal_basis = models.CharField(
        max_length=16, choices=LegalBasis.choices, default=LegalBasis.ORIGINATOR,
        help_text="The basis on which the note was written",
    )

    class Meta:
        ordering = ("-written_at",)
        indexes = [
            # "My notes for this client", newest first; and a supervisor's view.
            models.Index(fields=["client", "author", "-written_at"], name="pn_client_author"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(body=b""), name="pn_body_not_empty"),
        ]

    def __str__(self) -> str:  # never the content
        return f"Psychotherapy note {self.public_id}"


class NoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING_COSIGN = "pending_cosign", "Waiting for co-signature"
    SIGNED = "signed", "Signed"
    LOCKED = "locked", "Locked"


# The only status changes a progress note may make (house rule 4). A trainee's signature
# sends the note to PENDING_COSIGN; the supervisor of record co-signs it (SIGNED) or returns
# it for changes (DRAFT). A signed note locks (services.NOTE_LOCK_AFTER); text never changes
# after DRAFT: corrections are addenda.
NOTE_TRANSITIONS: dict[str, frozenset[str]] = {
    NoteStatus.DRAFT: frozenset({NoteStatus.SIGNED, NoteStatus.PENDING_COSIGN}),
    NoteStatus.PENDING_COSIGN: frozenset({NoteStatus.SIGNED, NoteStatus.DRAFT}),
    NoteStatus.SIGNED: frozenset({NoteStatus.LOCKED}),
    NoteStatus.LOCKED: frozenset(),
}
FINAL_STATUSES = (NoteStatus.SIGNED, NoteStatus.LOCKED)


class ProgressNote(BaseModel):
    """One client's note for one session (or, for a discharge summary, for the episode).
    The text lives in its versions; `revision` is the number of the latest one."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="progress_notes")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="progress_notes")
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="progress_notes")
    author = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    template = models.CharField(max_length=16, choices=Template.choices)
    status = models.CharField(max_length=16, choices=NoteStatus.choices,
                              default=NoteStatus.DRAFT)
    revision = models.PositiveIntegerField(default=0, help_text="Number of the latest version")
    submitted_at = models.DateTimeField(null=True, blank=True,
                                        help_text="When a trainee asked for co-signature")
    signed_at = models.DateTimeField(null=True, blank=True)
    cosigned_by = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+")
    cosigned_at = models.DateTimeField(null=True, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        indexes = [
            models.Index(fields=["client", "-created_at"], name="progress_note_client"),
            # The supervisor's queue: notes waiting for co-signature, oldest first.
            models.Index(fields=["author", "submitted_at"], name="progress_note_pending",
                         condition=Q(status="pending_cosign")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "client"],
                                    condition=Q(appointment__isnull=False),
                                    name="progress_note_one_per_session"),
            models.CheckConstraint(
                condition=~Q(status__in=["signed", "locked"]) | Q(signed_at__isnull=False),
                name="progress_note_signed_has_time"),
            models.CheckConstraint(
                condition=~Q(status="pending_cosign") | Q(submitted_at__isnull=False),
                name="progress_note_pending_has_time"),
            models.CheckConstraint(
                condition=~Q(status="locked") | Q(locked_at__isnull=False),
                name="progress_note_locked_has_time"),
            models.CheckConstraint(
                condition=Q(cosigned_by__isnull=True, cosigned_at__isnull=True)
                | Q(cosigned_by__isnull=False, cosigned_at__isnull=False),
                name="progress_note_cosign_complete"),
        ]

    def __str__(self) -> str:  # never the content
        return f"Progress note {self.public_id}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class ProgressNoteVersion(BaseModel):
    """Every saved text of a note, never changed: a draft's saves are versions too, so the
    record shows what the note said at each point (the signed text is the last one)."""

    note = models.ForeignKey(ProgressNote, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    sections = models.BinaryField(help_text="Ciphertext of the sections as JSON (clinical)")
    saved_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ("note", "number")
        constraints = [
            models.UniqueConstraint(fields=["note", "number"], name="note_version_once"),
            models.CheckConstraint(condition=~Q(sections=b""), name="note_version_not_empty"),
        ]

    def __str__(self) -> str:
        return f"Version {self.number} of {self.note_id}"


class ProgressNoteAddendum(BaseModel):
    """A dated correction or late entry to a signed note; never changed once written."""

    note = models.ForeignKey(ProgressNote, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)
    body = models.BinaryField(help_text="Ciphertext only (clinical)")

    class Meta:
        ordering = ("note", "written_at")
        constraints = [
            models.CheckConstraint(condition=~Q(body=b""), name="addendum_not_empty"),
        ]

    def __str__(self) -> str:
        return f"Addendum {self.public_id}"


class TreatmentPlan(BaseModel):
    """A client's plan for one episode of care; its content lives in its versions."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="treatment_plans")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="treatment_plans")
    created_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    current_number = models.PositiveIntegerField(default=0)
    review_on = models.DateField(help_text="The current version's review date")

    class Meta:
        ordering = ("-created_at",)
        indexes = [
            # Plans due for review, soonest first.
            models.Index(fields=["practice", "review_on"], name="plan_review_due"),
            models.Index(fields=["client", "-created_at"], name="plan_client"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["episode"], condition=Q(episode__isnull=False),
                                    name="plan_one_per_episode"),
        ]

    def __str__(self) -> str:
        return f"Treatment plan {self.public_id}"


class TreatmentPlanVersion(BaseModel):
    """One state of a plan, never changed. Problems, goals and interventions are clinical
    text: ciphertext only. Frequency, format and the review date are plain choices."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.BinaryField(help_text="Ciphertext of problems, goals and interventions")
    goal_count = models.PositiveSmallIntegerField()
    frequency = models.CharField(max_length=16, choices=Frequency.CHOICES)
    session_format = models.CharField(max_length=16, choices=SessionFormat.CHOICES)
    delivery = models.CharField(max_length=16, choices=Delivery.CHOICES)
    review_on = models.DateField()
    created_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ("plan", "number")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_once"),
            models.CheckConstraint(condition=Q(goal_count__gte=1), name="plan_has_goals"),
            models.CheckConstraint(condition=~Q(content=b""), name="plan_version_not_empty"),
        ]

    def __str__(self) -> str:
        return f"Plan version {self.number}"


class PlanSignOff(BaseModel):
    """The client agreed to a plan version: on paper for now, with a witness."""

    version = models.OneToOneField(TreatmentPlanVersion, on_delete=models.PROTECT,
                                   related_name="sign_off")
    signed_on = models.DateField()
    method = models.CharField(max_length=16, default="paper",
                              choices=[("paper", "On paper"), ("portal", "Through the portal")])
    witnessed_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ("signed_on",)

    def __str__(self) -> str:
        return f"Sign-off of {self.version_id}"
