"""This app's events on an episode's timeline: the referral, the assessment, the first
treatment session and the discharge (the steps of EPISODE_TRANSITIONS). Dates only, so each
is placed in the first minutes of its day in the practice's time zone, in the order of the
steps (a discharge at the day's end, after that day's last session). Titles carry no
clinical free text (never the referral reason)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator

from django.urls import reverse

from therapia.clients import episode_policy
from therapia.clients.contributions import TimelineEvent
from therapia.clients.models import Episode, EpisodeStatus
from therapia.security.actor import Actor

REFERRAL, EPISODE = "referral", "episode"


def _at(day: dt.date, episode: Episode, minute: int) -> dt.datetime:
    """`minute` minutes into the day: keeps steps recorded on one day in their order."""
    zone = zoneinfo.ZoneInfo(episode.practice.time_zone)
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=zone)


def events(actor: Actor, episode: Episode) -> Iterator[TimelineEvent]:
    if not episode_policy.can_view_timeline(actor, episode.client):
        return
    page = reverse("clients:episode", args=[episode.public_id])
    referral = episode.referral
    if referral is not None:
        referrer = f" ({referral.referrer})" if referral.referrer else ""
        yield TimelineEvent(
            when=_at(referral.received_on, episode, 0), kind=REFERRAL, url=page,
            title=f"Referral received: {referral.get_source_display()}{referrer}, "
                  f"{referral.get_urgency_display().lower()}. Status: waiting.")
    else:
        yield TimelineEvent(when=_at(episode.opened_on, episode, 0), kind=EPISODE, url=page,
                            title="Episode of care opened. Status: waiting.")
    if episode.assessed_on:
        yield TimelineEvent(when=_at(episode.assessed_on, episode, 1), kind=EPISODE, url=page,
                            title="Assessment. Status: assessment.")
    if episode.first_treatment_on:
        yield TimelineEvent(when=_at(episode.first_treatment_on, episode, 2), kind=EPISODE,
                            url=page, title="First treatment session. Status: in treatment.")
    if episode.status == EpisodeStatus.DISCHARGED and episode.discharged_on:
        yield TimelineEvent(when=_at(episode.discharged_on, episode, 23 * 60 + 59),
                            kind=EPISODE, url=page,
                            title=f"Discharged: {episode.get_discharge_reason_display()}. "
                                  "Status: discharged.")
