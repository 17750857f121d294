"""What other apps add to a client's pages.

An app adds links to the client overview with a module `<app>/client_links.py` defining
`links(actor, client) -> list[ClientLink]`, and events to an episode's timeline with a
module `<app>/timeline.py` defining `events(actor, episode) -> Iterable[TimelineEvent]`.
Each contribution must itself ask the access policy what the actor may see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from therapia.core.discovery import app_modules

if TYPE_CHECKING:
    from therapia.clients.models import Client, Episode
    from therapia.security.actor import Actor


@dataclass(frozen=True)
class ClientLink:
    label: str  # plain words: "Diagnoses", "Safety plan"
    url: str
    note: str = ""  # a short count or state: "2 active", "signed 3 May"
    order: int = 50


@dataclass(frozen=True)
class TimelineEvent:
    when: dt.datetime  # aware
    kind: str  # the filter it falls under: referral, session, note, measure, plan, ...
    title: str  # plain words, no clinical free text
    url: str | None = None


def client_links(actor: Actor, client: Client) -> list[ClientLink]:
    found: list[ClientLink] = []
    for module in app_modules("client_links"):
        found.extend(module.links(actor, client))
    return sorted(found, key=lambda link: (link.order, link.label))


def timeline_events(actor: Actor, episode: Episode) -> list[TimelineEvent]:
    """Every app's events for the episode, newest first."""
    found: list[TimelineEvent] = []
    for module in app_modules("timeline"):
        events: Iterable[TimelineEvent] = module.events(actor, episode)
        found.extend(events)
    return sorted(found, key=lambda event: event.when, reverse=True)
