"""Writes to treatment plans: every change is a new, immutable version (house rule 1).

Content (problems -> measurable goals -> interventions) is clinical text, encrypted as
one JSON document per version (key class clinical; the version's public id and the field
name are the associated data). Frequency, format, delivery and the review date are plain
choices, so the due-for-review list needs no decryption.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from dataclasses import asdict, dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from therapia.accounts.models import Membership
from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import Client, Episode, EpisodeStatus
from therapia.records import note_policy
from therapia.records.catalogues import (
    INSTRUMENT_BY_ID,
    MODALITY_BY_KEY,
    TARGET_DIRECTIONS,
    Delivery,
    Frequency,
    SessionFormat,
)
from therapia.records.models import PlanSignOff, TreatmentPlan, TreatmentPlanVersion
from therapia.security import crypto
from therapia.security.actor import Actor

VERSION_LABEL = TreatmentPlanVersion._meta.label
TEXT_MAX_CHARS = 1_000
REVIEW_WITHIN_DAYS = 366
NO_GOALS = ("A treatment plan needs at least one goal. Write the problem, a goal you can "
            "measure, and the interventions that address it.")
CONFLICT_MESSAGE = ("Someone changed this plan after you opened it. Your changes are below: "
                    "compare them with the current version, then save again.")
DIRECTIONS = dict(TARGET_DIRECTIONS)


class EditConflict(Exception):
    """A newer version was saved after this edit began."""


@dataclass(frozen=True)
class Goal:
    text: str
    interventions: tuple[str, ...]
    measure: str = ""  # an instrument id such as "phq9", or "" for a goal without one
    direction: str = ""  # "below" or "at_or_above"
    target: int | None = None

    def intervention_labels(self) -> list[str]:
        return [MODALITY_BY_KEY[i].label for i in self.interventions if i in MODALITY_BY_KEY]

    def target_words(self) -> str:
        if not self.measure:
            return ""
        name = INSTRUMENT_BY_ID[self.measure].label.split(" (")[0]
        return f"{name} {DIRECTIONS[self.direction]} {self.target}"


@dataclass(frozen=True)
class Problem:
    text: str
    goals: tuple[Goal, ...]


@dataclass(frozen=True)
class PlanContent:
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def goal_count(self) -> int:
        return sum(len(p.goals) for p in self.problems)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> PlanContent:
        data = json.loads(text)
        return cls(problems=tuple(
            Problem(text=p["text"], goals=tuple(
                Goal(text=g["text"], interventions=tuple(g["interventions"]),
                     measure=g.get("measure", ""), direction=g.get("direction", ""),
                     target=g.get("target")) for g in p["goals"]))
            for p in data["problems"]))


@dataclass(frozen=True)
class PlanTerms:
    frequency: str
    session_format: str
    delivery: str
    review_on: dt.date


# --- encryption -------------------------------------------------------------------------

def content_ciphertext(*, client: Client, version: TreatmentPlanVersion,
                       content: PlanContent) -> bytes:
    return crypto.encrypt_text(
        client=client, key_class=crypto.KeyClass.CLINICAL, model_label=VERSION_LABEL,
        record_id=version.public_id, field="content", plaintext=content.to_json())


def content_plaintext(*, client: Client, version: TreatmentPlanVersion) -> PlanContent:
    return PlanContent.from_json(crypto.decrypt_text(
        client=client, key_class=crypto.KeyClass.CLINICAL, model_label=VERSION_LABEL,
        record_id=version.public_id, field="content", ciphertext=version.content))


# --- rules ------------------------------------------------------------------------------

def validate_content(content: PlanContent) -> None:
    if content.goal_count == 0:
        raise ValidationError(NO_GOALS)
    for problem in content.problems:
        if not problem.text.strip() or len(problem.text) > TEXT_MAX_CHARS:
            raise ValidationError("Each problem needs a short description.")
        for goal in problem.goals:
            if not goal.text.strip() or len(goal.text) > TEXT_MAX_CHARS:
                raise ValidationError("Each goal needs a short description.")
            if not goal.interventions:
                raise ValidationError(f"Choose at least one intervention for the goal "
                                      f"“{goal.text[:60]}”.")
            unknown = [i for i in goal.interventions if i not in MODALITY_BY_KEY]
            if unknown:
                raise ValidationError("Choose interventions from the catalogue.")
            if goal.measure:
                instrument = INSTRUMENT_BY_ID.get(goal.measure)
                if instrument is None:
                    raise ValidationError(f"Unknown questionnaire “{goal.measure}”.")
                if goal.direction not in DIRECTIONS or goal.target is None:
                    raise ValidationError("A goal that names a questionnaire needs a target.")
                if not 0 <= goal.target <= instrument.max_score:
                    raise ValidationError(f"{instrument.label} scores run from 0 to "
                                          f"{instrument.max_score}.")


def validate_terms(terms: PlanTerms, *, today: dt.date | None = None) -> None:
    day = today or timezone.localdate()
    errors: dict[str, str] = {}
    if terms.frequency not in dict(Frequency.CHOICES):
        errors["frequency"] = "Choose how often sessions happen."
    if terms.session_format not in dict(SessionFormat.CHOICES):
        errors["session_format"] = "Choose the format."
    if terms.delivery not in dict(Delivery.CHOICES):
        errors["delivery"] = "Choose how sessions are delivered."
    if terms.review_on < day:
        errors["review_on"] = "The review date cannot be in the past."
    elif terms.review_on > day + dt.timedelta(days=REVIEW_WITHIN_DAYS):
        errors["review_on"] = "Review the plan within a year."
    if errors:
        raise ValidationError(errors)


def plan_for(client: Client) -> TreatmentPlan | None:
    """The plan of the client's open episode; with no open episode, their latest plan."""
    open_episode = Episode.objects.filter(client=client).exclude(
        status=EpisodeStatus.DISCHARGED).first()
    plans = TreatmentPlan.objects.filter(client=client)
    if open_episode is not None:
        return plans.filter(episode=open_episode).first()
    return plans.order_by("-created_at").first()


def diff_lines(content: PlanContent, version: TreatmentPlanVersion) -> list[str]:
    """The plan as lines of plain words, for a diff between versions."""
    lines = [(f"Sessions: {version.get_frequency_display()}, "
              f"{version.get_session_format_display().lower()}, "
              f"{version.get_delivery_display().lower()}"),
             f"Review by: {version.review_on:%d %B %Y}"]
    for problem in content.problems:
        lines.append(f"Problem: {problem.text}")
        for goal in problem.goals:
            target = f" ({goal.target_words()})" if goal.measure else ""
            lines.append(f"  Goal: {goal.text}{target}")
            lines.extend(f"    Intervention: {MODALITY_BY_KEY[i].label}"
                         for i in goal.interventions)
    return lines


def diff(before: list[str], after: list[str]) -> list[tuple[str, str]]:
    """(change, line) with change "added", "removed" or "same"."""
    kinds = {"+ ": "added", "- ": "removed", "  ": "same"}
    return [(kinds[line[:2]], line[2:]) for line in difflib.ndiff(before, after)
            if line[:2] in kinds]


# --- services ---------------------------------------------------------------------------

@transaction.atomic
def plan_save(*, actor: Actor, client: Client, content: PlanContent, terms: PlanTerms,
              seen_number: int) -> TreatmentPlan:
    """Create the plan or add a version. `seen_number` is the version the editor started
    from (0 for a new plan): a newer one saved in between refuses the change."""
    if not note_policy.can_write_plan(actor, client):
        raise PermissionDenied("Only a clinician on this client's care team can do this.")
    validate_content(content)
    validate_terms(terms)
    existing = plan_for(client)
    if existing is None:
        if seen_number != 0:
            raise EditConflict
        open_episode = Episode.objects.filter(client=client).exclude(
            status=EpisodeStatus.DISCHARGED).first()
        plan = TreatmentPlan.objects.create(practice_id=client.practice_id, client=client,
                                            episode=open_episode, created_by=actor.membership,
                                            review_on=terms.review_on)
        audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.TREATMENT, obj=plan,
                     client=client, fields=["episode", "review_on"])
    else:
        plan = TreatmentPlan.objects.select_for_update().get(pk=existing.pk)
        if seen_number != plan.current_number:
            raise EditConflict
        current = plan.versions.get(number=plan.current_number)
        unchanged = (content_plaintext(client=client, version=current) == content
                     and (current.frequency, current.session_format, current.delivery,
                          current.review_on) == (terms.frequency, terms.session_format,
                                                 terms.delivery, terms.review_on))
        if unchanged:
            return plan
    plan.current_number += 1
    version = TreatmentPlanVersion(
        plan=plan, number=plan.current_number, goal_count=content.goal_count,
        frequency=terms.frequency, session_format=terms.session_format,
        delivery=terms.delivery, review_on=terms.review_on, created_by=actor.membership)
    version.content = content_ciphertext(client=client, version=version, content=content)
    version.full_clean(exclude=["plan"])
    version.save()
    plan.review_on = terms.review_on
    plan.save(update_fields=["current_number", "review_on", "updated_at"])
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.TREATMENT, obj=version,
                 client=client,
                 fields=["content", "frequency", "session_format", "delivery", "review_on"])
    return plan


@transaction.atomic
def plan_sign_off_record(*, actor: Actor, plan: TreatmentPlan, number: int,
                         signed_on: dt.date, witnessed_by: Membership) -> PlanSignOff:
    """The client signed this version on paper, on `signed_on`, in front of a witness."""
    if not note_policy.can_write_plan(actor, plan.client):
        raise PermissionDenied("Only a clinician on this client's care team can do this.")
    version = TreatmentPlanVersion.objects.select_for_update().filter(
        plan=plan, number=number).first()
    if version is None:
        raise ValidationError("No such version of the plan.")
    if PlanSignOff.objects.filter(version=version).exists():
        raise ValidationError("The client's signature is already recorded for this version.")
    errors: dict[str, str] = {}
    if signed_on > timezone.localdate():
        errors["signed_on"] = "The date of signing cannot be in the future."
    elif signed_on < timezone.localdate(version.created_at):
        errors["signed_on"] = "The client cannot sign a version before it was written."
    if (witnessed_by.practice_id != plan.practice_id or not witnessed_by.is_active):
        errors["witnessed_by"] = "Choose a member of this practice as the witness."
    if errors:
        raise ValidationError(errors)
    sign_off = PlanSignOff.objects.create(version=version, signed_on=signed_on,
                                          witnessed_by=witnessed_by,
                                          recorded_by=actor.membership)
    audit_record(actor=actor, action=Action.CREATE, purpose=Purpose.TREATMENT, obj=sign_off,
                 client=plan.client, fields=["signed_on", "witnessed_by", "method"])
    return sign_off
