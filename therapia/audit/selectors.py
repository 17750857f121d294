"""Reads of the audit trail: a client's "who looked at my record" report.

Reading the report is itself an access to the client's record, so it is audited (and shows
up in the report). A refused request is audited too, and answered 404.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from dataclasses import dataclass

from django.apps import apps
from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils.text import capfirst

from therapia.accounts.models import Role, User
from therapia.audit.models import Action, AuditEvent, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import Client
from therapia.security import policy
from therapia.security.actor import Actor
from therapia.security.policy import Access

PAGE_SIZE = 50
REPORT = "audit.AccessReport"
NAME_FIELDS = ("legal_given_name", "legal_family_name", "preferred_name")
_KINDS = {REPORT: "Access report", "seed": "Demo data"}


@dataclass(frozen=True)
class AccessRow:
    occurred_at: dt.datetime
    who: str
    role: str
    action: str
    purpose: str
    record_kind: str


@dataclass(frozen=True)
class AccessReport:
    client: Client
    page: Page[AuditEvent]
    rows: list[AccessRow]


@functools.cache
def record_kind(object_type: str) -> str:
    """'clients.Client' -> 'Client'; labels that are not models are mapped or shown as is."""
    if object_type in _KINDS:
        return _KINDS[object_type]
    try:
        return str(capfirst(apps.get_model(object_type)._meta.verbose_name))
    except (LookupError, ValueError):
        return object_type or "—"


def _who(event: AuditEvent) -> str:
    name: str | None = getattr(event, "actor_name", None)
    if name:
        return name
    if event.actor_user_id is None:
        job = event.actor_label.removeprefix("system:")
        return f"System ({job})" if job and job != "unknown" else "System"
    return event.actor_label  # a user since removed: the e-mail they had


def _row(event: AuditEvent) -> AccessRow:
    roles = dict(Role.choices)
    return AccessRow(
        occurred_at=event.occurred_at, who=_who(event), role=roles.get(event.actor_role, ""),
        action=dict(Action.choices).get(event.action, event.action),
        purpose=dict(Purpose.choices).get(event.purpose, event.purpose),
        record_kind=record_kind(event.object_type),
    )


def access_events(client: Client) -> QuerySet[AuditEvent]:
    """Every audit row about the client, newest first, with the actor's current name."""
    names = User.objects.filter(pk=OuterRef("actor_user_id")).values("display_name")[:1]
    return (
        AuditEvent.objects.filter(client_id=client.pk)
        .only("occurred_at", "actor_user_id", "actor_label", "actor_role", "action",
              "purpose", "object_type")
        .annotate(actor_name=Subquery(names))
        .order_by("-occurred_at", "-seq")
    )


def access_report_for(*, actor: Actor, public_id: uuid.UUID, page: str | None) -> AccessReport:
    """The report, for the practice owner or the client's primary clinician; 404 otherwise."""
    client = policy.clients_visible_to(actor, Access.DEMOGRAPHICS).filter(
        public_id=public_id).first()
    if client is None or not policy.can_view_access_report(actor, client):
        audit_record(actor=actor, action=Action.DENIED, purpose=Purpose.OPERATIONS,
                     object_type=REPORT, object_id=str(public_id), client=client)
        raise Http404("No such client")
    audit_record(actor=actor, action=Action.READ, purpose=Purpose.OPERATIONS, object_type=REPORT,
                 object_id=str(client.public_id), client=client, fields=NAME_FIELDS)
    found = Paginator(access_events(client), PAGE_SIZE).get_page(page)
    return AccessReport(client=client, page=found, rows=[_row(e) for e in found.object_list])


def access_report_for_operator(
    *, client_public_id: uuid.UUID, limit: int
) -> list[AccessRow] | None:
    """For `therapia audit access`: no practice scope (the operator runs the server)."""
    client = Client.objects.select_related("practice").filter(public_id=client_public_id).first()
    if client is None:
        return None
    audit_record(actor=None, action=Action.READ, purpose=Purpose.OPERATIONS, object_type=REPORT,
                 object_id=str(client.public_id), client=client, practice=client.practice)
    return [_row(event) for event in access_events(client)[:limit]]
