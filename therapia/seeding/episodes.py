"""Every seeded client's referral and episode of care, consistent with their sessions.

The referral arrives some weeks before the first session (the intake, which is the
assessment); the next session of the same series is the first treatment. So:

    intake still to come            waiting (on the waiting list, intake booked)
    intake held, no treatment yet   assessment
    treatment begun                 in treatment
    therapy ended (plan.end_week)   discharged, a few days after the last session

A few clients who began in the six months shown also had an earlier episode, discharged
a year or more before. Waits are drawn so that most clients start within 6 weeks, some
within 18 and a few later (the waiting-time report has something to show).

Reasons for referral are clinical text, encrypted under each client's data key; the keys
are created in bulk first (crypto.preload_keys), so every referral has a written reason.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.utils import timezone

from therapia.accounts.models import Membership
from therapia.clients.models import (
    Client,
    DischargeReason,
    Episode,
    EpisodeStatus,
    Referral,
    ReferralSource,
    Urgency,
)
from therapia.clients.services import referral_reason_ciphertext
from therapia.security import crypto
from therapia.seeding.bulk import BATCH_SIZE
from therapia.seeding.calendar import FIRST_WEEK, session_day
from therapia.seeding.clients import ClientPlan
from therapia.seeding.slots import Series

SECOND_EPISODE_EVERY = 12  # of clients who began in the six months shown: one in twelve
SOURCES = (
    (ReferralSource.SELF, 34), (ReferralSource.PRIMARY_CARE, 38),
    (ReferralSource.MENTAL_HEALTH, 7), (ReferralSource.HOSPITAL, 3),
    (ReferralSource.SCHOOL, 4), (ReferralSource.EMPLOYER, 6),
    (ReferralSource.SOCIAL_SERVICES, 2), (ReferralSource.OTHER_THERAPIST, 5),
    (ReferralSource.OTHER, 1),
)
GP_SURGERIES = ("Riverside Medical Practice", "Hillcrest Surgery", "Canal Street Health Centre",
                "Dr Patel, Elm Tree Surgery", "Dr Morgan, Station Road Practice")
REFERRERS = {
    ReferralSource.PRIMARY_CARE: GP_SURGERIES,
    ReferralSource.MENTAL_HEALTH: ("Community Mental Health Team", "Dr Aziz, psychiatrist"),
    ReferralSource.HOSPITAL: ("Liaison psychiatry, St Anne's Hospital",),
    ReferralSource.SCHOOL: ("School counsellor", "University wellbeing service"),
    ReferralSource.EMPLOYER: ("Occupational health",),
    ReferralSource.SOCIAL_SERVICES: ("Children's services",),
    ReferralSource.OTHER_THERAPIST: ("Previous therapist",),
}
REASONS = (
    "Low mood and loss of interest for several months; struggling to get to work.",
    "Panic attacks, now avoiding public transport.",
    "Persistent worry about health and family; poor sleep.",
    "Bereavement last year; tearful most days, withdrawn from friends.",
    "Intrusive memories and nightmares after a road traffic accident.",
    "Checking and washing rituals taking several hours a day.",
    "Anxiety in social situations; has stopped attending lectures.",
    "Relationship difficulties and low self-esteem; asks for talking therapy.",
    "Work-related stress; signed off for two weeks by GP.",
    "Postnatal low mood; health visitor suggested referral.",
    "Binge eating and low mood; wants help with both.",
    "Anger outbursts at home; partner encouraged referral.",
)
DISCHARGES = ((DischargeReason.COMPLETED, 70), (DischargeReason.DROPPED_OUT, 12),
              (DischargeReason.REFERRED_ON, 7), (DischargeReason.MOVED, 6),
              (DischargeReason.OTHER, 5))


@dataclass(frozen=True)
class Course:
    """What the sessions say about one client's therapy, as dates."""

    first: dt.date | None  # the intake (first session of the earliest series)
    second: dt.date | None  # the first treatment session
    last: dt.date | None  # the last session before therapy ended; None while ongoing


def course_of(plan: ClientPlan, mine: list[Series], today: dt.date) -> Course:
    """`mine`: the placed series `plan`'s client takes part in."""
    if not mine:
        return Course(None, None, None)
    earliest = min(mine, key=lambda one: (one.start_week, one.cell or (0, 0)))
    weeks = [week for week in range(earliest.start_week, earliest.start_week + 6)
             if week % 2 in earliest.parities]
    offset = earliest.cell[0] if earliest.cell else 0
    first, second = (session_day(today, week, offset) for week in weeks[:2])
    last = None
    if plan.end_week is not None:
        ended = [w for w in range(plan.end_week - 2, plan.end_week) if w % 2 in earliest.parities]
        last = session_day(today, ended[-1], offset)
    return Course(first, second, last)


def _wait_days(rng: random.Random, urgency: Urgency) -> int:
    if urgency == Urgency.URGENT:
        return rng.randint(1, 10)
    if urgency == Urgency.SOON:
        return rng.randint(7, 24)
    roll = rng.random()
    if roll < 0.72:
        return rng.randint(10, 42)
    return rng.randint(43, 126) if roll < 0.96 else rng.randint(127, 190)


@dataclass
class _Rows:
    referrals: list[Referral]
    episodes: list[Episode]
    reasons: list[tuple[Referral, Client, str]]


def _referral(rng: random.Random, rows: _Rows, client: Client, *, received: dt.date,
              urgency: Urgency, by: Membership, reason: bool) -> Referral:
    source = rng.choices([s for s, _w in SOURCES], weights=[w for _s, w in SOURCES])[0]
    referrer = rng.choice(REFERRERS[source]) if source in REFERRERS else ""
    referral = Referral(practice=client.practice, client=client, source=source, referrer=referrer,
                        urgency=urgency, received_on=received, created_by=by)
    rows.referrals.append(referral)
    if reason:
        rows.reasons.append((referral, client, rng.choice(REASONS)))
    return referral


def plan_episodes(rng: random.Random, plans: list[ClientPlan], clients: list[Client], *,
                  series: list[Series], by: Membership, today: dt.date
                  ) -> tuple[_Rows, dict[int, Episode]]:
    rows = _Rows([], [], [])
    current: dict[int, Episode] = {}
    began_in_view = 0
    by_client: dict[int, list[Series]] = {}
    for one in series:
        if one.cell is not None:
            for index in one.clients:
                by_client.setdefault(index, []).append(one)
    for plan, client in zip(plans, clients, strict=True):
        course = course_of(plan, by_client.get(plan.index, []), today)
        urgency = rng.choices((Urgency.ROUTINE, Urgency.SOON, Urgency.URGENT),
                              weights=(75, 20, 5))[0]
        anchor = course.first or today - dt.timedelta(days=rng.randint(3, 60))
        received = max(anchor - dt.timedelta(days=_wait_days(rng, urgency)),
                       client.date_of_birth)
        if course.first is None:  # no sessions at all: a referral waiting for its intake
            received = anchor
        if course.first and plan.start_week >= FIRST_WEEK:
            began_in_view += 1
            if began_in_view % SECOND_EPISODE_EVERY == SECOND_EPISODE_EVERY // 2:
                _earlier_episode(rng, rows, client, by=by, before=received)
        episode = Episode(practice=client.practice, client=client, opened_on=received,
                          status=EpisodeStatus.WAITING)
        episode.referral = _referral(rng, rows, client, received=received, urgency=urgency,
                                     by=by, reason=True)
        if course.first and course.first < today:
            episode.status, episode.assessed_on = EpisodeStatus.ASSESSMENT, course.first
        if course.second and course.second < today and episode.assessed_on:
            episode.status = EpisodeStatus.IN_TREATMENT
            episode.first_treatment_on = course.second
        if course.last and episode.first_treatment_on:
            episode.status = EpisodeStatus.DISCHARGED
            episode.discharged_on = min(course.last + dt.timedelta(days=rng.randint(0, 10)),
                                        today - dt.timedelta(days=1))
            weights = [w for _r, w in DISCHARGES]
            if plan.reliability == 2:
                weights[1] *= 4  # those who often miss sessions drop out more
            episode.discharge_reason = rng.choices([r for r, _w in DISCHARGES], weights)[0]
        rows.episodes.append(episode)
        current[plan.index] = episode
    return rows, current


def _earlier_episode(rng: random.Random, rows: _Rows, client: Client, *, by: Membership,
                     before: dt.date) -> None:
    discharged = before - dt.timedelta(days=rng.randint(300, 900))
    treated = discharged - dt.timedelta(weeks=rng.randint(8, 20))
    assessed = treated - dt.timedelta(days=rng.randint(7, 21))
    received = assessed - dt.timedelta(days=rng.randint(14, 60))
    if received <= client.date_of_birth + dt.timedelta(days=365 * 11):
        return  # too young for an earlier episode
    episode = Episode(practice=client.practice, client=client, opened_on=received,
                      assessed_on=assessed, first_treatment_on=treated,
                      discharged_on=discharged, status=EpisodeStatus.DISCHARGED,
                      discharge_reason=rng.choice((DischargeReason.COMPLETED,
                                                   DischargeReason.COMPLETED,
                                                   DischargeReason.DROPPED_OUT)))
    episode.referral = _referral(rng, rows, client, received=received,
                                 urgency=Urgency.ROUTINE, by=by, reason=False)
    rows.episodes.append(episode)


def seed_episodes(rng: random.Random, plans: list[ClientPlan], clients: list[Client],
                  series: list[Series], memberships: dict[str, Membership], *, today: dt.date
                  ) -> dict[int, Episode]:
    """Writes the referrals and episodes (call once the series are on the timetable);
    returns each client's current episode, the one all its seeded sessions belong to, by
    the client plan's index (the index appointments use for their clients)."""
    rows, current = plan_episodes(rng, plans, clients, series=series,
                                  by=memberships["front_desk"], today=today)
    with crypto.key_cache():
        crypto.preload_keys([client for _, client, _ in rows.reasons], crypto.KeyClass.CLINICAL)
        for referral, client, text in rows.reasons:
            referral.reason = referral_reason_ciphertext(referral=referral, client=client,
                                                         text=text)
    now = timezone.now()
    for row in (*rows.referrals, *rows.episodes):
        row.created_at = row.updated_at = now
    Referral.objects.bulk_create(rows.referrals, batch_size=BATCH_SIZE)
    for episode in rows.episodes:
        episode.referral_id = episode.referral.pk if episode.referral else None
    Episode.objects.bulk_create(rows.episodes, batch_size=BATCH_SIZE)
    return current
