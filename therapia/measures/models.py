"""Stored measures data. Built-in instruments are files (instruments/*.json), not rows;
a practice's own imported questionnaires, and the questionnaires given to clients
(administrations), measurement plans and risk alerts live in the database (see the
comment above AdministrationStatus for the shape of each)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q

from therapia.accounts.models import Membership, Practice
from therapia.core.models import BaseModel
from therapia.measures.definition import InstrumentDefinition


class CustomInstrument(BaseModel):
    """A FHIR Questionnaire a practice imported, as a validated instrument definition
    (therapia.measures.fhir_questionnaire). Visible to its practice only (row-level
    security, migration measures/0002)."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT,
                                 related_name="custom_instruments")
    instrument_id = models.CharField(max_length=64, help_text="The definition's id")
    version = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    source_url = models.CharField(max_length=500, blank=True,
                                  help_text="The Questionnaire's canonical URL, if it had one")
    definition = models.JSONField(help_text="An InstrumentDefinition as JSON")
    created_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["practice", "instrument_id", "version"],
                                    name="measures_custom_instrument_once_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"

    @property
    def instrument(self) -> InstrumentDefinition:
        return InstrumentDefinition.model_validate(self.definition)


# --- Administrations, measurement plans and risk alerts ---------------------------------
#
# Administration: one questionnaire given to one client, in an episode, optionally for a
#   session (appointment). It is `sent` (waiting: a link went out, or a paper form is
#   expected), `in_progress` (the client saved some answers through the link), `completed`
#   (answers scored and stored), `expired` (the link ran out unanswered) or `cancelled`
#   (the clinician withdrew it) - only through ADMINISTRATION_TRANSITIONS. Item answers (and
#   any free-text answers) are stored only as ciphertext in `answers` (key class clinical,
#   bound to the administration's public id and the field name; see administrations.py for
#   the JSON inside). The score is stored when completed: `total`, `band`, `prorated`,
#   `subscales` ({id: {"value", "band", "prorated"}}) and `risk_flag_ids` (the instrument's
#   risk-rule ids that fired) are plain columns for charts and statistics; item values are
#   not. Completed rows are never rescored in place: scoring is pure, so `total` can always
#   be recomputed from the decrypted answers with scoring.score(instrument_id, items).
#   The client's link is `/portal/q/<token>/`; only the SHA-256 of the token is kept
#   (`token_hash`), resolved without a practice context by the SECURITY DEFINER function
#   measures_link_practice(bytea) (migration 0004). `occasion_key` makes the plan job
#   idempotent: one administration per (episode, instrument, occasion) - e.g.
#   "session:<appointment public id>", "intake", "discharge", "follow_up:3m"; ad-hoc ones
#   leave it blank. `submission_id` makes a client's retried submit store once.
#
# MeasurementPlan (one per episode) and its PlanRule rows: which instrument, when
#   (intake, every session, every n-th session, discharge, follow-up n months after
#   discharge), and how many hours before a session the link goes out.
#
# RiskAlert: a completed administration whose answers fired a risk rule raises one alert
#   for the client's primary clinician (`assigned_to`). It is `open` until acknowledged
#   with an action from AlertAction and an optional note (ciphertext, key class clinical).
#   An alert open longer than THERAPIA_ALERT_ESCALATION_MINUTES is escalated once
#   (`escalated_at`, `escalated_to`: the supervisor of record, else the practice owner).

class AdministrationStatus(models.TextChoices):
    SENT = "sent", "Waiting"
    IN_PROGRESS = "in_progress", "Started"
    COMPLETED = "completed", "Completed"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = frozenset({AdministrationStatus.SENT, AdministrationStatus.IN_PROGRESS})

# The only status changes an administration may make (house rule 4).
ADMINISTRATION_TRANSITIONS: dict[str, frozenset[str]] = {
    AdministrationStatus.SENT: frozenset({AdministrationStatus.IN_PROGRESS,
                                          AdministrationStatus.COMPLETED,
                                          AdministrationStatus.EXPIRED,
                                          AdministrationStatus.CANCELLED}),
    AdministrationStatus.IN_PROGRESS: frozenset({AdministrationStatus.COMPLETED,
                                                 AdministrationStatus.EXPIRED,
                                                 AdministrationStatus.CANCELLED}),
    # An expired link's questionnaire can still be entered from paper.
    AdministrationStatus.EXPIRED: frozenset({AdministrationStatus.COMPLETED}),
    AdministrationStatus.COMPLETED: frozenset(),
    AdministrationStatus.CANCELLED: frozenset(),
}


class EntryMode(models.TextChoices):
    CLIENT_LINK = "client_link", "By the client, through a link"
    PAPER = "paper", "From a paper form, by a clinician"


class Occasion(models.TextChoices):
    INTAKE = "intake", "At intake"
    EVERY_SESSION = "every_session", "Every session"
    EVERY_NTH_SESSION = "every_nth_session", "Every few sessions"
    DISCHARGE = "discharge", "At discharge"
    FOLLOW_UP = "follow_up", "Follow-up after discharge"
    AD_HOC = "ad_hoc", "Sent by the clinician"


class Administration(BaseModel):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT,
                               related_name="administrations")
    episode = models.ForeignKey("clients.Episode", on_delete=models.PROTECT,
                                related_name="administrations")
    appointment = models.ForeignKey("scheduling.Appointment", on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="administrations")
    instrument_id = models.CharField(max_length=64)
    instrument_version = models.CharField(max_length=64)
    custom_instrument = models.ForeignKey(CustomInstrument, on_delete=models.PROTECT,
                                          null=True, blank=True, related_name="+")
    occasion = models.CharField(max_length=20, choices=Occasion.choices,
                                default=Occasion.AD_HOC)
    occasion_key = models.CharField(max_length=80, blank=True)
    status = models.CharField(max_length=12, choices=AdministrationStatus.choices,
                              default=AdministrationStatus.SENT)
    requested_by = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="+",
                                     help_text="None when a measurement plan sent it")
    entry_mode = models.CharField(max_length=12, choices=EntryMode.choices, blank=True)
    entered_by = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+",
                                   help_text="The clinician who entered a paper form")
    token_hash = models.BinaryField(max_length=32, null=True, blank=True, unique=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="When the link went out")
    expires_at = models.DateTimeField(null=True, blank=True)
    answers = models.BinaryField(null=True, blank=True,
                                 help_text="Ciphertext only (key class clinical)")
    answered_count = models.PositiveSmallIntegerField(default=0)
    last_saved_at = models.DateTimeField(null=True, blank=True)
    submission_id = models.UUIDField(null=True, blank=True, unique=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    total = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=60, blank=True)
    prorated = models.BooleanField(default=False)
    subscales = models.JSONField(default=dict, blank=True)
    risk_flag_ids = ArrayField(models.CharField(max_length=64), default=list, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ("-created_at",)
        indexes = [
            # A client's scores over time (charts, statistics), and an episode's.
            models.Index(fields=["client", "instrument_id", "completed_at"],
                         name="administration_series",
                         condition=Q(status="completed")),
            models.Index(fields=["episode", "status"], name="administration_episode"),
            # The expiry sweep.
            models.Index(fields=["expires_at"], name="administration_open_expiry",
                         condition=Q(status__in=["sent", "in_progress"])),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "instrument_id", "occasion_key"],
                condition=~Q(occasion_key=""), name="administration_once_per_occasion"),
            models.CheckConstraint(
                condition=~Q(status="completed")
                | Q(completed_at__isnull=False, answers__isnull=False) & ~Q(entry_mode=""),
                name="administration_completed_has_answers"),
            models.CheckConstraint(
                condition=Q(entry_mode="paper", entered_by__isnull=False)
                | ~Q(entry_mode="paper") & Q(entered_by__isnull=True),
                name="administration_paper_has_clinician"),
            models.CheckConstraint(
                condition=Q(token_hash__isnull=True) | Q(expires_at__isnull=False),
                name="administration_link_expires"),
            models.CheckConstraint(
                condition=Q(status="completed") | Q(total__isnull=True),
                name="administration_total_only_when_completed"),
        ]

    def __str__(self) -> str:
        return f"Administration {self.public_id}"


class MeasurementPlan(BaseModel):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    episode = models.OneToOneField("clients.Episode", on_delete=models.PROTECT,
                                   related_name="measurement_plan")
    lead_time_hours = models.PositiveSmallIntegerField(
        default=48, help_text="How long before a session the link is sent")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1, help_text="Refuses concurrent edits")

    class Meta(BaseModel.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(lead_time_hours__lte=336),
                                   name="plan_lead_time_at_most_two_weeks"),
        ]

    def __str__(self) -> str:
        return f"Measurement plan {self.public_id}"


class PlanRule(BaseModel):
    plan = models.ForeignKey(MeasurementPlan, on_delete=models.CASCADE, related_name="rules")
    instrument_id = models.CharField(max_length=64)
    occasion = models.CharField(max_length=20, choices=Occasion.choices)
    every_n = models.PositiveSmallIntegerField(null=True, blank=True,
                                               help_text="Every n-th session (n >= 2)")
    months_after = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Follow-up: months after discharge")

    class Meta(BaseModel.Meta):
        ordering = ("created_at",)
        constraints = [
            models.CheckConstraint(
                condition=Q(occasion="every_nth_session", every_n__gte=2)
                | ~Q(occasion="every_nth_session") & Q(every_n__isnull=True),
                name="plan_rule_every_n_only_for_nth"),
            models.CheckConstraint(
                condition=Q(occasion="follow_up", months_after__gte=1, months_after__lte=60)
                | ~Q(occasion="follow_up") & Q(months_after__isnull=True),
                name="plan_rule_months_only_for_follow_up"),
            models.CheckConstraint(condition=~Q(occasion="ad_hoc"),
                                   name="plan_rule_not_ad_hoc"),
            models.UniqueConstraint(fields=["plan", "instrument_id", "occasion", "every_n",
                                            "months_after"], nulls_distinct=False,
                                    name="plan_rule_once"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} {self.occasion}"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


class AlertAction(models.TextChoices):
    """What the clinician did, from a fixed list (details go in the encrypted note)."""

    CONTACTED_CLIENT = "contacted_client", "Contacted the client"
    RISK_ASSESSED = "risk_assessed", "Assessed risk with the client"
    SAFETY_PLAN = "safety_plan", "Reviewed the safety plan with the client"
    SESSION_BROUGHT_FORWARD = "session_forward", "Brought the next session forward"
    CRISIS_SERVICE = "crisis_service", "Referred to a crisis or emergency service"
    EMERGENCY_SERVICES = "emergency_services", "Called emergency services"
    DISCUSSED_IN_SESSION = "discussed_in_session", "Discussed in session (already known)"
    NO_ACTION = "no_action", "No further action needed (reason in the note)"


class RiskAlert(BaseModel):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT,
                               related_name="risk_alerts")
    episode = models.ForeignKey("clients.Episode", on_delete=models.PROTECT,
                                related_name="risk_alerts")
    administration = models.OneToOneField(Administration, on_delete=models.PROTECT,
                                          related_name="risk_alert")
    risk_flag_ids = ArrayField(models.CharField(max_length=64))
    status = models.CharField(max_length=14, choices=AlertStatus.choices,
                              default=AlertStatus.OPEN)
    raised_at = models.DateTimeField()
    assigned_to = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+",
                                    help_text="The primary clinician when it was raised")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True,
                                        blank=True, related_name="+")
    action = models.CharField(max_length=24, choices=AlertAction.choices, blank=True)
    note = models.BinaryField(null=True, blank=True,
                              help_text="Ciphertext only (key class clinical)")
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="+")

    class Meta(BaseModel.Meta):
        ordering = ("-raised_at",)
        indexes = [
            models.Index(fields=["practice", "raised_at"], name="risk_alert_open",
                         condition=Q(status="open")),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(risk_flag_ids=[]),
                                   name="risk_alert_has_flags"),
            models.CheckConstraint(
                condition=Q(status="open", acknowledged_at__isnull=True,
                            acknowledged_by__isnull=True, action="")
                | Q(status="acknowledged", acknowledged_at__isnull=False,
                    acknowledged_by__isnull=False) & ~Q(action=""),
                name="risk_alert_acknowledged_with_action"),
            models.CheckConstraint(
                condition=Q(escalated_at__isnull=True) | Q(escalated_at__gte=F("raised_at")),
                name="risk_alert_escalated_after_raised"),
        ]

    def __str__(self) -> str:
        return f"Risk alert {self.public_id}"
