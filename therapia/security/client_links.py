"""Links on the client overview to the confidentiality pages of this client: the client's
instructions to withhold their record, and their guardians' access. One policy query."""

from __future__ import annotations

from django.urls import reverse

from therapia.clients.contributions import ClientLink
from therapia.clients.models import Client
from therapia.security import policy
from therapia.security.actor import Actor


def links(actor: Actor, client: Client) -> list[ClientLink]:
    clinical = policy.client_access(actor, client) >= policy.Access.CLINICAL
    if not (clinical or policy.is_privacy_officer(actor)):  # as can_manage_directives
        return []
    found = [ClientLink(label="Withheld from (client's instructions)",
                        url=reverse("security:directives", args=[client.public_id]), order=80)]
    if clinical:
        found.append(ClientLink(label="Guardians and minors' privacy",
                                url=reverse("security:guardians", args=[client.public_id]),
                                order=81))
    return found
