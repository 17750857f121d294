"""A link on the client overview: "Questionnaires", with the latest score (a number and
its band, not free text) and any open risk alert. Care team (clinical access) only."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from therapia.clients.contributions import ClientLink
from therapia.clients.models import Client
from therapia.measures import measures_policy
from therapia.measures.models import Administration, AdministrationStatus, AlertStatus, RiskAlert
from therapia.measures.selectors import instrument_name
from therapia.security.actor import Actor


def links(actor: Actor, client: Client) -> list[ClientLink]:
    if not measures_policy.can_view_measures(actor, client):
        return []
    url = reverse("measures:questionnaires", args=[client.public_id])
    latest = (Administration.objects.filter(client=client, status=AdministrationStatus.COMPLETED)
              .select_related("custom_instrument").order_by("-completed_at").first())
    states = []
    if latest is not None and latest.completed_at is not None:
        score = "not scored" if latest.total is None else f"{latest.total:g}"
        band = f" ({latest.band})" if latest.band else ""
        states.append(f"latest {instrument_name(latest)} {score}{band}, "
                      f"{timezone.localtime(latest.completed_at):%-d %B}")
    open_alerts = RiskAlert.objects.filter(client=client, status=AlertStatus.OPEN).count()
    if open_alerts:
        states.append(f"{open_alerts} open risk alert{'s' if open_alerts != 1 else ''}")
    outcomes = reverse("measures_outcomes:outcomes", args=[client.public_id])
    return [ClientLink(label="Questionnaires", url=url, note="; ".join(states) or "none yet",
                       order=30),
            ClientLink(label="Progress charts and outcomes", url=outcomes,
                       note="on track or not, recovery, reliable change", order=31)]
