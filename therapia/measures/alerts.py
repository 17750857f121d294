"""Risk alerts with a closed loop.

A completed questionnaire whose answers fire one of its instrument's risk rules (read from
the item, never the total: PHQ-9 item 9, CORE-10 item 6, the PHQ-A suicide items, ...;
scoring.ScoreResult.risk_flags) raises one RiskAlert at once, in the same transaction:

- for the client's primary clinician (if the client has none, the practice owner), with an
  in-app notification and a content-free e-mail (therapia.accounts.notifications.notify);
- the clinician acknowledges it and records what they did (AlertAction, a fixed list) and
  an optional note (clinical text: encrypted, key class clinical);
- an alert still open after ESCALATION_MINUTES (setting THERAPIA_ALERT_ESCALATION_MINUTES)
  is escalated once by a background job (`escalate_overdue_alerts`): to the supervisor of
  record of the assigned clinician, else the client's care-team supervisor, else the
  practice owner. Escalation is claimed with an UPDATE ... WHERE escalated_at IS NULL, so
  two workers or a rerun never escalate twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from therapia.accounts.models import Membership, Role
from therapia.accounts.notifications import notify
from therapia.audit.context import current_origin, origin
from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import CareRole, CareTeamMember
from therapia.measures import measures_policy
from therapia.measures.models import Administration, AlertAction, AlertStatus, RiskAlert
from therapia.security import crypto
from therapia.security.actor import Actor
from therapia.security.models import SupervisionRecord

# Default for the setting THERAPIA_ALERT_ESCALATION_MINUTES.
ESCALATION_MINUTES = 60
NOTE_MAX = 4000

# In-app titles: no client name, nothing clinical (the e-mail copy says even less).
RAISED_TITLE = "Risk alert: a questionnaire answer needs your review"
ESCALATED_TITLE = "Escalated risk alert: not yet acknowledged by the clinician"


def escalation_minutes() -> int:
    return int(getattr(settings, "THERAPIA_ALERT_ESCALATION_MINUTES", ESCALATION_MINUTES))


def primary_clinician(client_id: int) -> Membership | None:
    found = (CareTeamMember.objects.filter(client_id=client_id, role=CareRole.PRIMARY,
                                           ended_on__isnull=True, membership__is_active=True)
             .select_related("membership__user").first())
    return found.membership if found else None


def practice_owner(practice_id: int, *, besides: int | None = None) -> Membership | None:
    owners = Membership.objects.filter(practice_id=practice_id, role=Role.OWNER,
                                       is_active=True).order_by("created_at")
    if besides is not None:
        owners = owners.exclude(pk=besides)
    return owners.first()


def alert_url(alert: RiskAlert) -> str:
    return reverse("measures:alert", args=[alert.public_id])


def alert_raise(*, administration: Administration, now: dt.datetime | None = None,
                raised_by: Actor | None = None) -> RiskAlert:
    """Called inside the transaction that stored the answers."""
    moment = now or timezone.now()
    assigned = primary_clinician(administration.client_id) or practice_owner(
        administration.practice_id)
    alert = RiskAlert.objects.create(
        practice_id=administration.practice_id, client_id=administration.client_id,
        episode_id=administration.episode_id, administration=administration,
        risk_flag_ids=list(administration.risk_flag_ids), raised_at=moment,
        assigned_to=assigned)
    audit_record(actor=raised_by, action=Action.CREATE, purpose=Purpose.TREATMENT, obj=alert,
                 client=administration.client, practice=administration.practice,
                 fields=["risk_flag_ids", "assigned_to"])
    if assigned is not None:
        notify(recipients=[assigned], title=RAISED_TITLE, url=alert_url(alert))
    return alert


def note_ciphertext(alert: RiskAlert, text: str) -> bytes:
    return crypto.seal(alert, "note", text, client=alert.client)


def note_plaintext(alert: RiskAlert) -> str:
    return crypto.unseal(alert, "note", client=alert.client)


@transaction.atomic
def alert_acknowledge(*, actor: Actor, alert: RiskAlert, action: str, note: str = "",
                      now: dt.datetime | None = None) -> RiskAlert:
    locked = (RiskAlert.objects.select_for_update(of=("self",)).select_related("client")
              .get(pk=alert.pk))
    if not measures_policy.can_acknowledge_alert(actor, locked):
        raise PermissionDenied("Only a clinician who may see this alert can acknowledge it.")
    if locked.status != AlertStatus.OPEN:
        raise ValidationError("This alert was already acknowledged.")
    if action not in AlertAction.values:
        raise ValidationError({"action": "Choose what you did from the list."})
    text = note.strip()
    if action == AlertAction.NO_ACTION and not text:
        raise ValidationError({"note": "Say in the note why no further action is needed."})
    if len(text) > NOTE_MAX:
        raise ValidationError({"note": f"Keep the note under {NOTE_MAX} characters."})
    locked.status = AlertStatus.ACKNOWLEDGED
    locked.acknowledged_at = now or timezone.now()
    locked.acknowledged_by = actor.membership
    locked.action = action
    locked.note = note_ciphertext(locked, text) if text else None
    locked.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "action",
                               "note", "updated_at"])
    audit_record(actor=actor, action=Action.UPDATE, purpose=Purpose.TREATMENT, obj=locked,
                 client=locked.client,
                 fields=["status", "acknowledged_by", "action", *(["note"] if text else [])])
    return locked


def escalation_target(alert: RiskAlert, today: dt.date) -> Membership | None:
    """The supervisor of record of the assigned clinician; else the client's care-team
    supervisor; else the practice owner (never the assigned clinician themselves)."""
    assigned = alert.assigned_to_id
    if assigned is not None:
        record = (SupervisionRecord.objects.filter(
            supervisee_id=assigned, practice_id=alert.practice_id, supervisor__is_active=True,
            starts_on__lte=today).filter(Q(ends_on__isnull=True) | Q(ends_on__gt=today))
            .select_related("supervisor").order_by("-starts_on").first())
        if record is not None:
            return record.supervisor
    supervisors = CareTeamMember.objects.filter(
        client_id=alert.client_id, role=CareRole.SUPERVISOR, ended_on__isnull=True,
        membership__is_active=True).select_related("membership")
    if assigned is not None:
        supervisors = supervisors.exclude(membership_id=assigned)
    member = supervisors.first()
    if member is not None:
        return member.membership
    return practice_owner(alert.practice_id, besides=assigned)


def escalate_overdue(now: dt.datetime | None = None) -> int:
    """Escalate each alert open longer than the configured time, once. Returns how many."""
    moment = now or timezone.now()
    cutoff = moment - dt.timedelta(minutes=escalation_minutes())
    due = list(RiskAlert.objects.filter(status=AlertStatus.OPEN, escalated_at__isnull=True,
                                        raised_at__lte=cutoff).values_list("pk", flat=True))
    escalated = 0
    for pk in due:
        with transaction.atomic():
            alert = (RiskAlert.objects.select_for_update(skip_locked=True)
                     .select_related("client", "practice")
                     .filter(pk=pk, status=AlertStatus.OPEN, escalated_at__isnull=True).first())
            if alert is None:  # acknowledged meanwhile, or another worker has it
                continue
            target = escalation_target(alert, timezone.localdate(moment))
            alert.escalated_at = moment
            alert.escalated_to = target
            alert.save(update_fields=["escalated_at", "escalated_to", "updated_at"])
            audit_record(actor=None, action=Action.UPDATE, purpose=Purpose.TREATMENT,
                         obj=alert, client=alert.client, practice=alert.practice,
                         fields=["escalated_at", "escalated_to"])
            if target is not None:
                notify(recipients=[target], title=ESCALATED_TITLE, url=alert_url(alert))
            escalated += 1
    return escalated


@task()
def escalate_overdue_alerts() -> int:
    """The worker's job (the clock runs it every five minutes: measures/periodic.py)."""
    with origin(replace(current_origin(), job="alert escalation")):
        return escalate_overdue()
