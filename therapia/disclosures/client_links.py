"""The client overview's link to the disclosure log, with a count (for those who may see it)."""

from __future__ import annotations

from django.urls import reverse

from therapia.clients.contributions import ClientLink
from therapia.clients.models import Client
from therapia.disclosures import disclosure_policy
from therapia.disclosures.selectors import disclosures_involving
from therapia.security.actor import Actor


def links(actor: Actor, client: Client) -> list[ClientLink]:
    if not disclosure_policy.can_view_disclosures(actor, client):
        return []
    count = disclosures_involving(client).count()
    note = "none recorded" if count == 0 else f"{count} recorded"
    return [ClientLink(label="Disclosures",
                       url=reverse("disclosures:client_disclosures", args=[client.public_id]),
                       note=note, order=80)]
