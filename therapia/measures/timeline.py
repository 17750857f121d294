"""Events on an episode's timeline: questionnaires sent and completed (with the total and
its band: numbers, not free text) and risk alerts raised, escalated and acknowledged.
Nothing for an actor without clinical access."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import NoReverseMatch, reverse

from therapia.clients.contributions import TimelineEvent
from therapia.clients.models import Episode
from therapia.measures import measures_policy
from therapia.measures.models import Administration, RiskAlert
from therapia.measures.selectors import instrument_name
from therapia.security.actor import Actor


def _url(name: str, public_id: object) -> str | None:
    try:
        return reverse(name, args=[public_id])
    except NoReverseMatch:  # until the project mounts measures/urls.py
        return None


def events(actor: Actor, episode: Episode) -> Iterable[TimelineEvent]:
    if not measures_policy.can_view_measures(actor, episode.client):
        return []
    found: list[TimelineEvent] = []
    given = (Administration.objects.filter(episode=episode).select_related("custom_instrument")
             .only("public_id", "instrument_id", "custom_instrument", "sent_at", "completed_at",
                   "total", "band", "entry_mode", "status"))
    for administration in given:
        name = instrument_name(administration)
        url = _url("measures:administration", administration.public_id)
        if administration.sent_at is not None:
            found.append(TimelineEvent(when=administration.sent_at, kind="measure",
                                       title=f"{name} sent to the client", url=url))
        if administration.completed_at is not None:
            score = ("not scored" if administration.total is None
                     else f"total {administration.total:g}")
            band = f" ({administration.band})" if administration.band else ""
            how = " from paper" if administration.entry_mode == "paper" else ""
            found.append(TimelineEvent(when=administration.completed_at, kind="measure",
                                       title=f"{name} completed{how}: {score}{band}", url=url))
    for alert in RiskAlert.objects.filter(episode=episode).only(
            "public_id", "raised_at", "escalated_at", "acknowledged_at"):
        url = _url("measures:alert", alert.public_id)
        found.append(TimelineEvent(when=alert.raised_at, kind="measure",
                                   title="Risk alert raised", url=url))
        if alert.escalated_at is not None:
            found.append(TimelineEvent(when=alert.escalated_at, kind="measure",
                                       title="Risk alert escalated", url=url))
        if alert.acknowledged_at is not None:
            found.append(TimelineEvent(when=alert.acknowledged_at, kind="measure",
                                       title="Risk alert acknowledged", url=url))
    return sorted(found, key=lambda e: e.when, reverse=True)
