"""Reads of client data. Each goes through the access policy and leaves an audit row."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from therapia.audit.models import Action, Purpose
from therapia.audit.services import audit_record
from therapia.clients.models import CareTeamMember, Client, ClientUnit, RelatedPerson
from therapia.scheduling.models import Appointment
from therapia.security import policy
from therapia.security.actor import Actor
from therapia.security.policy import Access

DEMOGRAPHIC_FIELDS = (
    "legal_given_name", "legal_family_name", "preferred_name", "pronouns", "date_of_birth",
    "email", "phone", "address", "language", "emergency_contact_name",
    "emergency_contact_phone", "emergency_contact_relationship",
)


def client_list_for(*, actor: Actor, search: str = "") -> QuerySet[Client]:
    """Clients the actor may see, optionally filtered by name, e-mail or phone."""
    clients = policy.clients_visible_to(actor, Access.DEMOGRAPHICS)
    for term in search.split()[:4]:
        clients = clients.filter(
            Q(legal_given_name__icontains=term) | Q(legal_family_name__icontains=term)
            | Q(preferred_name__icontains=term) | Q(email__icontains=term)
            | Q(phone__icontains=term)
        )
    audit_record(actor=actor, action=Action.LIST, purpose=Purpose.OPERATIONS,
                 object_type="clients.Client", fields=["search"] if search else [])
    return clients.filter(is_active=True)


def client_get_for(
    *, actor: Actor, public_id: uuid.UUID, need: Access = Access.DEMOGRAPHICS,
    purpose: Purpose = Purpose.OPERATIONS, fields: tuple[str, ...] = DEMOGRAPHIC_FIELDS,
) -> Client:
    """One client, or 404 when the actor may not see it at the level needed."""
    client = policy.clients_visible_to(actor, need).filter(public_id=public_id).first()
    if client is None:
        raise Http404("No such client")
    audit_record(actor=actor, action=Action.READ, purpose=purpose, obj=client, client=client,
                 fields=fields)
    return client


@dataclass(frozen=True)
class ClientOverview:
    client: Client
    access: Access
    related: list[RelatedPerson]
    units: list[ClientUnit]
    care_team: list[CareTeamMember]
    upcoming: list[Appointment]
    recent: list[Appointment]

    @property
    def clinical(self) -> bool:
        return self.access >= Access.CLINICAL


def client_overview_for(*, actor: Actor, public_id: uuid.UUID) -> ClientOverview:
    client = client_get_for(actor=actor, public_id=public_id)
    access = policy.client_access(actor, client)
    now = timezone.now()
    appointments = client.appointments.prefetch_related("clinicians__user").select_related("room")
    return ClientOverview(
        client=client,
        access=access,
        related=list(client.related_persons.all()),
        units=list(client.units.all()),
        care_team=list(
            client.care_team.filter(ended_on__isnull=True).select_related("membership__user")
        ),
        upcoming=list(appointments.filter(starts_at__gte=now).order_by("starts_at")[:5]),
        recent=list(
            appointments.filter(starts_at__lt=now, starts_at__gte=now - dt.timedelta(days=90))
            .order_by("-starts_at")[:5]
        ),
    )
