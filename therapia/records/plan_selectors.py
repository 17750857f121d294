"""Reads of treatment plans: scoped to the actor, audited (field names only), 404 otherwise."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import Client, EpisodeStatus
from therapia.clients.selectors import client_get_for
from therapia.records import note_policy
from therapia.records.models import TreatmentPlan, TreatmentPlanVersion
from therapia.records.plan_services import (
    PlanContent,
    content_plaintext,
    diff,
    diff_lines,
    plan_for,
)
from therapia.security import crypto, policy
from therapia.security.actor import Actor
from therapia.security.policy import Access

PLAN_TYPE = TreatmentPlan._meta.label
NAME_FIELDS = ("legal_given_name", "legal_family_name", "preferred_name")
DUE_WITHIN_DAYS = 14


@dataclass(frozen=True)
class PlanPage:
    client: Client
    plan: TreatmentPlan | None
    current: TreatmentPlanVersion | None
    content: PlanContent | None
    versions: list[TreatmentPlanVersion]
    can_write: bool
    gone: str = ""


def plan_page(*, actor: Actor, client_public_id: uuid.UUID) -> PlanPage:
    client = client_get_for(actor=actor, public_id=client_public_id, need=Access.CLINICAL,
                            purpose=Purpose.TREATMENT, fields=NAME_FIELDS)
    if not note_policy.can_view_plan(actor, client):  # a consent directive
        raise Http404("No such client")
    plan = plan_for(client)
    can_write = note_policy.can_write_plan(actor, client)
    if plan is None:
        return PlanPage(client=client, plan=None, current=None, content=None, versions=[],
                        can_write=can_write)
    versions = list(plan.versions.select_related("created_by__user", "sign_off__witnessed_by__user")
                    .order_by("-number"))
    current = versions[0]
    gone, content = "", None
    try:
        content = content_plaintext(client=client, version=current)
    except crypto.DataKeyDestroyed as destroyed:
        gone = str(destroyed)
    audit_record(actor=actor, action=Action.READ, purpose=Purpose.TREATMENT, obj=plan,
                 client=client, fields=["content", "review_on"])
    return PlanPage(client=client, plan=plan, current=current, content=content,
                    versions=versions, can_write=can_write, gone=gone)


def plan_get_for(*, actor: Actor, public_id: uuid.UUID) -> TreatmentPlan:
    plan = (TreatmentPlan.objects.select_related("client")
            .filter(public_id=public_id, practice_id=actor.practice.pk).first())
    if plan is None:
        raise Http404("No such plan")
    if not note_policy.can_view_plan(actor, plan.client):
        audit_record(actor=actor, action=Action.DENIED, purpose=Purpose.TREATMENT, obj=plan,
                     fields=["content"])
        raise Http404("No such plan")
    return plan


@dataclass(frozen=True)
class VersionReading:
    plan: TreatmentPlan
    version: TreatmentPlanVersion
    content: PlanContent
    changes: list[tuple[str, str]]  # against the previous version; empty for the first
    previous: int | None


def plan_version_read(*, actor: Actor, public_id: uuid.UUID, number: int) -> VersionReading:
    plan = plan_get_for(actor=actor, public_id=public_id)
    wanted = list(plan.versions.filter(number__in=[number - 1, number])
                  .select_related("created_by__user").order_by("number"))
    if not wanted or wanted[-1].number != number:
        raise Http404("No such version")
    with crypto.key_cache():
        contents = [content_plaintext(client=plan.client, version=v) for v in wanted]
    lines = [diff_lines(c, v) for c, v in zip(contents, wanted, strict=True)]
    changes = diff(lines[0], lines[1]) if len(lines) == 2 else []
    audit_record(actor=actor, action=Action.READ, purpose=Purpose.TREATMENT, obj=wanted[-1],
                 client=plan.client, fields=["content"])
    return VersionReading(plan=plan, version=wanted[-1], content=contents[-1],
                          changes=changes, previous=number - 1 if len(wanted) == 2 else None)


def plans_due(*, actor: Actor, within_days: int = DUE_WITHIN_DAYS,
              today: dt.date | None = None) -> QuerySet[TreatmentPlan]:
    """Plans of the actor's clients whose review date falls within `within_days` (or has
    passed), soonest first. Names and dates only: no plan content is read."""
    day = today or timezone.localdate()
    clients = policy.clients_visible_to(actor, Access.CLINICAL)
    due = (TreatmentPlan.objects
           .filter(practice_id=actor.practice.pk, client__in=clients,
                   review_on__lte=day + dt.timedelta(days=within_days))
           .exclude(episode__status=EpisodeStatus.DISCHARGED)
           .select_related("client").order_by("review_on"))
    audit_record(actor=actor, action=Action.LIST, purpose=Purpose.TREATMENT,
                 object_type=PLAN_TYPE, fields=["review_on"])
    return due
