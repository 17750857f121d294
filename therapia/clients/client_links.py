"""This app's links on the client overview: the episode timeline, for the care team."""

from __future__ import annotations

from django.urls import reverse

from therapia.clients import episode_policy
from therapia.clients.contributions import ClientLink
from therapia.clients.models import Client
from therapia.security.actor import Actor


def links(actor: Actor, client: Client) -> list[ClientLink]:
    if not episode_policy.can_view_timeline(actor, client):
        return []
    episodes = client.episodes.count()
    if not episodes:
        return []
    note = f"{episodes} episodes of care" if episodes > 1 else ""
    return [ClientLink(label="Timeline", url=reverse("clients:timeline", args=[client.public_id]),
                       note=note, order=10)]
