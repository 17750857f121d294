"""Measurement plans: which questionnaires an episode's client fills in, and when.

A plan (one per episode) has rules, each an instrument and an occasion:

    intake              before the episode's first session
    every session       before each treatment session
    every n-th session  before treatment sessions 1, 1+n, 1+2n, ... (n >= 2)
    discharge           once the episode is discharged (within DISCHARGE_WINDOW_DAYS)
    follow-up           n months after discharge (sent from that day for FOLLOW_UP_WINDOW)

`send_due_questionnaires` (tasks.py runs it from the worker) creates each due
administration once (occasion keys: "intake", "session:<appointment id>", "discharge",
"follow_up:<n>m" - a unique constraint makes reruns harmless), e-mails the client one
content-free message with the links, and expires links that have run out. An instrument
whose licence keeps its text off screens gets an administration without a link: it waits
for the clinician to enter the paper form.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import Client, Episode, EpisodeStatus
from therapia.measures import administrations, library, measures_policy
from therapia.measures.models import MeasurementPlan, Occasion, PlanRule
from therapia.scheduling.models import CANCELLED, Appointment, Status
from therapia.scheduling.models import Purpose as SessionPurpose
from therapia.security.actor import Actor

DEFAULT_LEAD_HOURS = 48
MAX_LEAD_HOURS = 336
DISCHARGE_WINDOW_DAYS = 14
FOLLOW_UP_WINDOW = dt.timedelta(days=30)
AFTER_SESSION = dt.timedelta(hours=2)  # a session's link works until shortly after it


class EditConflict(Exception):
    """The plan was changed by someone else after this edit began."""


@dataclass(frozen=True)
class RuleSpec:
    instrument_id: str
    occasion: str
    every_n: int | None = None
    months_after: int | None = None

    def describe(self) -> str:
        name = library.get(self.instrument_id).short_name
        if self.occasion == Occasion.EVERY_NTH_SESSION:
            return f"{name} every {self.every_n} sessions"
        if self.occasion == Occasion.FOLLOW_UP:
            return f"{name} {self.months_after} months after discharge"
        return f"{name} {Occasion(self.occasion).label.lower()}"


def plan_for(episode: Episode) -> MeasurementPlan | None:
    return MeasurementPlan.objects.filter(episode=episode).prefetch_related("rules").first()


def clean_rules(rules: Sequence[RuleSpec]) -> list[RuleSpec]:
    """Refuse unknown instruments and impossible schedules; drop exact duplicates."""
    cleaned: list[RuleSpec] = []
    for number, rule in enumerate(rules, 1):
        try:
            definition = library.get(rule.instrument_id)
        except library.UnknownInstrument:
            raise ValidationError(f"Row {number}: choose a questionnaire from the list.") \
                from None
        if rule.occasion not in Occasion.values or rule.occasion == Occasion.AD_HOC:
            raise ValidationError(f"Row {number}: choose when it is given.")
        every_n = rule.every_n if rule.occasion == Occasion.EVERY_NTH_SESSION else None
        months = rule.months_after if rule.occasion == Occasion.FOLLOW_UP else None
        if rule.occasion == Occasion.EVERY_NTH_SESSION and not (every_n and 2 <= every_n <= 12):
            raise ValidationError(f"Row {number}: 'every few sessions' needs a number of "
                                  "sessions from 2 to 12.")
        if rule.occasion == Occasion.FOLLOW_UP and not (months and 1 <= months <= 60):
            raise ValidationError(f"Row {number}: a follow-up needs the months after "
                                  "discharge, from 1 to 60.")
        spec = RuleSpec(definition.id, rule.occasion, every_n, months)
        if spec not in cleaned:
            cleaned.append(spec)
    return cleaned


@transaction.atomic
def plan_save(*, actor: Actor, episode: Episode, rules: Sequence[RuleSpec],
              lead_time_hours: int = DEFAULT_LEAD_HOURS,
              seen_version: int | None = None) -> MeasurementPlan:
    """Create or replace the episode's plan. `seen_version`: the version the form showed;
    a plan changed since is refused (EditConflict), not overwritten."""
    if not measures_policy.can_edit_plan(actor, episode.client):
        raise PermissionDenied("Only the client's clinicians can change the plan.")
    if not episode.is_open:
        raise ValidationError("The episode is closed: its plan can no longer change.")
    if not 0 <= lead_time_hours <= MAX_LEAD_HOURS:
        raise ValidationError({"lead_time_hours": "Send the link between 0 and 336 hours "
                               "(two weeks) before the session."})
    cleaned = clean_rules(rules)
    plan = MeasurementPlan.objects.select_for_update().filter(episode=episode).first()
    if plan is None:
        plan = MeasurementPlan.objects.create(practice_id=episode.practice_id, episode=episode,
                                              lead_time_hours=lead_time_hours,
                                              created_by=actor.membership)
        action = Action.CREATE
    else:
        if seen_version is not None and plan.version != seen_version:
            raise EditConflict
        plan.lead_time_hours = lead_time_hours
        plan.version += 1
        plan.is_active = True
        plan.save(update_fields=["lead_time_hours", "version", "is_active", "updated_at"])
        plan.rules.all().delete()
        action = Action.UPDATE
    PlanRule.objects.bulk_create(
        PlanRule(plan=plan, instrument_id=r.instrument_id, occasion=r.occasion,
                 every_n=r.every_n, months_after=r.months_after) for r in cleaned)
    audit_record(actor=actor, action=action, purpose=Purpose.TREATMENT, obj=plan,
                 client=episode.client, fields=["rules", "lead_time_hours"])
    return plan


# --- what is due ------------------------------------------------------------------------

@dataclass(frozen=True)
class Due:
    plan: MeasurementPlan
    rule: PlanRule
    occasion_key: str
    appointment: Appointment | None
    expires_at: dt.datetime


def _session_due(plan: MeasurementPlan, rules: list[PlanRule], now: dt.datetime
                 ) -> Iterator[Due]:
    lead = dt.timedelta(hours=plan.lead_time_hours)
    sessions = list(Appointment.objects.filter(episode_id=plan.episode_id)
                    .exclude(status__in=[s.value for s in CANCELLED])
                    .order_by("starts_at").only("public_id", "starts_at", "ends_at",
                                                "status", "purpose"))
    number = 0
    for position, session in enumerate(sessions):
        if session.purpose == SessionPurpose.TREATMENT:
            number += 1
        if session.status != Status.SCHEDULED or not now < session.starts_at <= now + lead:
            continue
        expires = session.ends_at + AFTER_SESSION
        for rule in rules:
            if rule.occasion == Occasion.INTAKE:
                if position == 0:
                    yield Due(plan, rule, "intake", session, expires)
                continue
            if session.purpose != SessionPurpose.TREATMENT:
                continue
            if rule.occasion == Occasion.EVERY_SESSION or (
                    rule.occasion == Occasion.EVERY_NTH_SESSION and rule.every_n
                    and (number - 1) % rule.every_n == 0):
                yield Due(plan, rule, f"session:{session.public_id}", session, expires)


def _after_discharge_due(plan: MeasurementPlan, rules: list[PlanRule], now: dt.datetime
                         ) -> Iterator[Due]:
    discharged = plan.episode.discharged_on
    if discharged is None:
        return
    today = timezone.localdate(now)
    expires = now + dt.timedelta(days=administrations.LINK_DAYS)
    for rule in rules:
        if rule.occasion == Occasion.DISCHARGE:
            if today <= discharged + dt.timedelta(days=DISCHARGE_WINDOW_DAYS):
                yield Due(plan, rule, "discharge", None, expires)
        elif rule.occasion == Occasion.FOLLOW_UP and rule.months_after:
            due_on = discharged + relativedelta(months=rule.months_after)
            if due_on <= today <= due_on + FOLLOW_UP_WINDOW:
                yield Due(plan, rule, f"follow_up:{rule.months_after}m", None, expires)


def due_now(now: dt.datetime) -> Iterator[Due]:
    plans = (MeasurementPlan.objects.filter(is_active=True)
             .select_related("episode").prefetch_related("rules"))
    for plan in plans:
        rules = list(plan.rules.all())
        by_time = [r for r in rules if r.occasion in (Occasion.INTAKE, Occasion.EVERY_SESSION,
                                                      Occasion.EVERY_NTH_SESSION)]
        after = [r for r in rules if r.occasion in (Occasion.DISCHARGE, Occasion.FOLLOW_UP)]
        if by_time and plan.episode.status != EpisodeStatus.DISCHARGED:
            yield from _session_due(plan, by_time, now)
        if after and plan.episode.status == EpisodeStatus.DISCHARGED:
            yield from _after_discharge_due(plan, after, now)


def send_due(now: dt.datetime | None = None) -> int:
    """Create what is due and e-mail the links. Returns how many administrations it
    created. Safe to run as often as you like."""
    moment = now or timezone.now()
    administrations.expire_due(moment)
    created = 0
    links: dict[int, list[tuple[str, dt.datetime]]] = defaultdict(list)
    clients: dict[int, Client] = {}
    for due in due_now(moment):
        definition = library.get(due.rule.instrument_id)
        with transaction.atomic():
            issued = administrations.administration_create(
                actor=None, episode=due.plan.episode, instrument=definition.id,
                with_link=administrations.online_allowed(definition),
                occasion=due.rule.occasion, occasion_key=due.occasion_key,
                appointment=due.appointment, expires_at=due.expires_at, now=moment)
        if issued.created:
            created += 1
            if issued.token:
                client = issued.administration.client
                clients[client.pk] = client
                links[client.pk].append((issued.token, due.expires_at))
    for client_pk, client_links in links.items():
        administrations.send_link_email(clients[client_pk], client_links)
    return created
