"""Reads for measures, scoped to the actor (house rule 3): what the actor may not see is a
404. Every read of a client's questionnaires or alerts is audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import Client, Episode
from therapia.measures import administrations, alerts, library, measures_policy
from therapia.measures.definition import InstrumentDefinition
from therapia.measures.models import Administration, AlertStatus, MeasurementPlan, RiskAlert
from therapia.security import policy
from therapia.security.actor import Actor
from therapia.security.policy import Access


def instrument_name(administration: Administration) -> str:
    try:
        return administrations.instrument_for(administration).short_name
    except library.UnknownInstrument:
        return administration.instrument_id


@dataclass(frozen=True)
class AdministrationRow:
    administration: Administration
    name: str
    state: str  # what the list says: "Completed 3 May", "Waiting for paper entry", ...


def _row(administration: Administration) -> AdministrationRow:
    name = instrument_name(administration)
    status = administration.status
    if status == "completed" and administration.completed_at:
        state = f"Completed {timezone.localtime(administration.completed_at):%-d %b %Y}"
    elif status in ("sent", "in_progress") and administration.token_hash is None:
        state = "Waiting for the paper form"
    elif status in ("sent", "in_progress"):
        expiry = timezone.localtime(administration.expires_at) if administration.expires_at \
            else None
        started = "Started by the client" if status == "in_progress" else "Link sent"
        state = f"{started}, open until {expiry:%-d %b %H:%M}" if expiry else started
    else:
        state = administration.get_status_display()
    return AdministrationRow(administration, name, state)


@dataclass(frozen=True)
class QuestionnairesPage:
    client: Client
    episode: Episode | None  # the open episode, else the latest
    rows: list[AdministrationRow]
    plan: MeasurementPlan | None
    can_administer: bool
    open_alerts: int


def questionnaires_page_for(*, actor: Actor, public_id: uuid.UUID) -> QuestionnairesPage:
    client = policy.clients_visible_to(actor, Access.CLINICAL).filter(
        public_id=public_id).first()
    if client is None:
        raise Http404("No such client")
    episode = Episode.objects.filter(client=client).order_by("-opened_on", "-id").first()
    listed = list(Administration.objects.filter(client=client)
                  .select_related("custom_instrument")
                  .order_by("-created_at")[:200])
    plan = (MeasurementPlan.objects.filter(episode=episode).prefetch_related("rules").first()
            if episode else None)
    audit_record(actor=actor, action=Action.LIST, purpose=Purpose.TREATMENT,
                 object_type="measures.Administration", client=client,
                 fields=["instrument_id", "status", "total", "band", "risk_flag_ids"])
    return QuestionnairesPage(
        client=client, episode=episode, rows=[_row(a) for a in listed], plan=plan,
        can_administer=measures_policy.can_administer(actor, client),
        open_alerts=RiskAlert.objects.filter(client=client, status=AlertStatus.OPEN).count())


def administration_get_for(*, actor: Actor, public_id: uuid.UUID,
                           audit_fields: tuple[str, ...] = ()) -> Administration:
    """One administration the actor may see (clinical access to its client), or 404."""
    visible = policy.clients_visible_to(actor, Access.CLINICAL)
    found = (Administration.objects.select_related("client", "episode", "custom_instrument",
                                                   "entered_by__user", "appointment")
             .filter(public_id=public_id, client__in=visible).first())
    if found is None:
        raise Http404("No such questionnaire")
    if audit_fields:
        audit_record(actor=actor, action=Action.READ, purpose=Purpose.TREATMENT, obj=found,
                     client=found.client, fields=audit_fields)
    return found


@dataclass(frozen=True)
class ItemAnswer:
    number: int
    label: str
    text: str | None
    value: object
    answer_label: str
    flagged: bool


@dataclass(frozen=True)
class AdministrationPage:
    administration: Administration
    definition: InstrumentDefinition
    row: AdministrationRow
    answers: list[ItemAnswer]
    risk_labels: list[str]
    can_administer: bool
    alert: RiskAlert | None


def risk_labels(definition: InstrumentDefinition, flag_ids: list[str]) -> list[str]:
    by_id = {rule.id: rule.label for rule in definition.risk_rules}
    return [by_id.get(flag, flag) for flag in flag_ids]


def administration_page_for(*, actor: Actor, public_id: uuid.UUID) -> AdministrationPage:
    found = administration_get_for(actor=actor, public_id=public_id,
                                   audit_fields=("answers", "total", "band", "subscales",
                                                 "risk_flag_ids"))
    definition = administrations.instrument_for(found)
    decrypted = administrations.answers_plaintext(found)
    flagged_items = {rule.item for rule in definition.risk_rules if rule.id in
                     found.risk_flag_ids}
    answers: list[ItemAnswer] = []
    if decrypted is not None:
        for item, value in zip(definition.items, decrypted.items, strict=False):
            scale = definition.scale_of(item.number)
            label = next((o.label for o in scale.options if o.value == value), "") \
                if value is not None else "Not answered"
            answers.append(ItemAnswer(item.number, item.label, item.text, value,
                                      label or str(value), item.number in flagged_items))
    alert = RiskAlert.objects.filter(administration=found).first()
    return AdministrationPage(
        administration=found, definition=definition, row=_row(found), answers=answers,
        risk_labels=risk_labels(definition, found.risk_flag_ids),
        can_administer=measures_policy.can_administer(actor, found.client), alert=alert)


def episode_for_plan(*, actor: Actor, public_id: uuid.UUID) -> Episode:
    visible = policy.clients_visible_to(actor, Access.CLINICAL)
    episode = (Episode.objects.select_related("client", "practice")
               .filter(public_id=public_id, client__in=visible).first())
    if episode is None:
        raise Http404("No such episode")
    return episode


def alerts_list_for(*, actor: Actor) -> QuerySet[RiskAlert]:
    """Open alerts first (oldest first: the most urgent), then the last acknowledged."""
    audit_record(actor=actor, action=Action.LIST, purpose=Purpose.TREATMENT,
                 object_type="measures.RiskAlert", fields=["client", "risk_flag_ids",
                                                          "status"])
    return (measures_policy.alerts_visible_to(actor)
            .select_related("client", "administration", "assigned_to__user",
                            "acknowledged_by__user", "escalated_to__user")
            .order_by("-status", "raised_at"))


@dataclass(frozen=True)
class AlertPage:
    alert: RiskAlert
    instrument: str
    risk_labels: list[str]
    note: str
    can_acknowledge: bool
    overdue: bool


def alert_page_for(*, actor: Actor, public_id: uuid.UUID) -> AlertPage:
    alert = (RiskAlert.objects.select_related(
        "client", "administration__custom_instrument", "assigned_to__user",
        "acknowledged_by__user", "escalated_to__user")
        .filter(public_id=public_id, practice=actor.practice).first())
    if alert is None or not measures_policy.can_view_alert(actor, alert):
        raise Http404("No such alert")
    audit_record(actor=actor, action=Action.READ, purpose=Purpose.TREATMENT, obj=alert,
                 client=alert.client, fields=["risk_flag_ids", "status", "action", "note"])
    definition = administrations.instrument_for(alert.administration)
    waited = (timezone.now() - alert.raised_at).total_seconds() / 60
    return AlertPage(
        alert=alert, instrument=definition.short_name,
        risk_labels=risk_labels(definition, alert.risk_flag_ids),
        note=alerts.note_plaintext(alert),
        can_acknowledge=(alert.status == AlertStatus.OPEN
                         and measures_policy.can_acknowledge_alert(actor, alert)),
        overdue=alert.status == AlertStatus.OPEN and waited > alerts.escalation_minutes())
