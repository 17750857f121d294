"""Who may see and give questionnaires, change measurement plans, and see and acknowledge
risk alerts. Built on therapia.security.policy.client_access:

    scores and answers      CLINICAL access (the care team, or emergency access). The front
                            desk and an owner who is not on the care team see nothing: a
                            questionnaire's answers are clinical data.
    give, enter, cancel     a clinician (clinical role) with CLINICAL access.
    the measurement plan    the same.
    a risk alert            CLINICAL access to the client, or the member it was assigned or
                            escalated to: an alert escalated to the practice owner must be
                            readable and acknowledgeable by the owner, who is not on the care
                            team (safety comes first; every read is audited).

(These can_* functions belong beside therapia/security/policy.py; they live here until that
file takes them.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from therapia.clients.models import Client
from therapia.security import policy
from therapia.security.actor import Actor
from therapia.security.policy import Access

if TYPE_CHECKING:
    from therapia.measures.models import RiskAlert


def can_view_measures(actor: Actor, client: Client) -> bool:
    return policy.client_access(actor, client) >= Access.CLINICAL


def can_administer(actor: Actor, client: Client) -> bool:
    return actor.is_clinical and can_view_measures(actor, client)


def can_edit_plan(actor: Actor, client: Client) -> bool:
    return can_administer(actor, client)


def alerts_visible_to(actor: Actor) -> QuerySet[RiskAlert]:
    from therapia.measures.models import RiskAlert

    if not actor.membership.is_active:
        return RiskAlert.objects.none()
    clinical = policy.clients_visible_to(actor, Access.CLINICAL)
    return RiskAlert.objects.filter(practice=actor.practice).filter(
        Q(client__in=clinical) | Q(assigned_to=actor.membership)
        | Q(escalated_to=actor.membership))


def can_view_alert(actor: Actor, alert: RiskAlert) -> bool:
    if alert.practice_id != actor.practice.pk or not actor.membership.is_active:
        return False
    if actor.membership.pk in (alert.assigned_to_id, alert.escalated_to_id):
        return True
    return can_view_measures(actor, alert.client)


def can_acknowledge_alert(actor: Actor, alert: RiskAlert) -> bool:
    """Anyone who may see it and is a clinician or the owner (not the front desk)."""
    return actor.is_clinical and can_view_alert(actor, alert)
