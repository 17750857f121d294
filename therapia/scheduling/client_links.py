"""The client overview's link to the client's sessions: the next session, if any."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from therapia.clients.contributions import ClientLink
from therapia.clients.models import Client
from therapia.scheduling import session_policy
from therapia.scheduling.models import Status
from therapia.security.actor import Actor


def links(actor: Actor, client: Client) -> list[ClientLink]:
    if not session_policy.can_book_for(actor, client):
        return []
    upcoming = session_policy.appointments_visible_to(actor).filter(
        clients=client, status=Status.SCHEDULED, starts_at__gte=timezone.now()
    ).order_by("starts_at").values_list("starts_at", flat=True).first()
    note = ""
    if upcoming is not None:
        local = timezone.localtime(upcoming, timezone=_zone(actor))
        note = f"next {local:%a} {local.day} {local:%b %H:%M}"
    return [ClientLink(label="Sessions", note=note, order=10,
                       url=reverse("scheduling:client_sessions", args=[client.public_id]))]


def _zone(actor: Actor):  # type: ignore[no-untyped-def]
    import zoneinfo

    return zoneinfo.ZoneInfo(actor.practice.time_zone)
