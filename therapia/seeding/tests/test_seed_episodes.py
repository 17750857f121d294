"""Seeded referrals and episodes agree with the seeded sessions, and are deterministic."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter

from django.db.models import Min

from therapia.clients.models import Client, Episode, EpisodeStatus, Referral
from therapia.clients.services import referral_reason_plaintext
from therapia.scheduling.models import Appointment, SessionKind, Status
from therapia.seeding.tests.test_seed import TODAY, seed


def episode_facts(name: str) -> list[tuple[object, ...]]:
    return list(Episode.objects.filter(practice__name=name).order_by("client_id", "opened_on")
                .values_list("status", "opened_on", "assessed_on", "first_treatment_on",
                             "discharged_on", "discharge_reason", "referral__urgency"))


def test_every_client_has_an_episode_consistent_with_their_sessions(db: None) -> None:
    practice = seed(name="Episodes Practice", clients=60)
    clients = Client.objects.filter(practice=practice)
    episodes = Episode.objects.filter(practice=practice)
    current = {e.client_id: e for e in episodes.exclude(status=EpisodeStatus.DISCHARGED)}
    latest = {}
    for episode in episodes.order_by("opened_on"):
        latest[episode.client_id] = episode
    assert set(latest) == set(clients.values_list("id", flat=True))
    assert Referral.objects.filter(practice=practice).count() == episodes.count()
    states = Counter(e.status for e in latest.values())
    assert states[EpisodeStatus.IN_TREATMENT] > states[EpisodeStatus.WAITING] > 0
    assert states[EpisodeStatus.DISCHARGED] > 0
    assert Counter(episodes.values_list("client_id", flat=True)).most_common(1)[0][1] == 2

    zone = zoneinfo.ZoneInfo(practice.time_zone)
    attended = (Appointment.objects.filter(practice=practice, status=Status.ATTENDED,
                                           kind=SessionKind.INDIVIDUAL)
                .values("clients").annotate(first=Min("starts_at")))
    for row in attended:
        episode = latest[row["clients"]]
        first_day = row["first"].astimezone(zone).date()
        assert episode.opened_on <= first_day  # referred before the first session
        assert episode.status != EpisodeStatus.WAITING  # someone seen is not still waiting
    for client_id, episode in current.items():
        if episode.status == EpisodeStatus.WAITING:
            assert not Appointment.objects.filter(clients=client_id, status=Status.ATTENDED,
                                                  kind=SessionKind.INDIVIDUAL).exists()
    for episode in latest.values():
        if episode.status == EpisodeStatus.DISCHARGED:
            assert episode.discharged_on is not None
            after = dt.datetime.combine(episode.discharged_on + dt.timedelta(days=1),
                                        dt.time(), tzinfo=zone)
            assert not Appointment.objects.filter(clients=episode.client_id,
                                                  kind=SessionKind.INDIVIDUAL,
                                                  starts_at__gte=after).exists()
            assert not episode.client.is_active
    assert all(e.opened_on <= TODAY for e in episodes)


def test_seeded_reasons_are_encrypted_and_readable(db: None) -> None:
    practice = seed(name="Reasons Practice", clients=12)
    referral = Referral.objects.filter(practice=practice).exclude(reason=b"").first()
    assert referral is not None
    assert b"." not in bytes(referral.reason)[:1]
    assert referral_reason_plaintext(referral).endswith(".")


def test_seeded_episodes_are_deterministic(db: None) -> None:
    seed(name="Same A", clients=14, seed=3)
    seed(name="Same B", clients=14, seed=3)
    assert episode_facts("Same A") == episode_facts("Same B")
