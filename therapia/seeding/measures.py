"""Questionnaires for the demo practice: weekly PHQ-9 and GAD-7 series per episode in
treatment (improving for most clients, flat for some, worse for a few), CORE-10 every four
weeks for some, entered from paper; and one open risk alert (PHQ-9 item 9 = 1) on the
practice owner's caseload, so the demo's owner account sees the alert loop at once.

Scores are computed by the scoring engine and stored as the services store them: answers
encrypted (key class clinical, same model label, record id and field as
administrations.answers_ciphertext), totals in plain columns. Rows go in with bulk_create.
Series are written for the episodes of the first MEASURED_CLIENTS clients only, so a
5,000-client practice stays fast to seed (encryption costs a data key per client).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict

from django.utils import timezone
from psycopg.types.json import Jsonb

from therapia.accounts.models import Membership, Notification, Practice, Role
from therapia.clients.models import CareRole, CareTeamMember, Client, Episode, EpisodeStatus
from therapia.measures import administrations
from therapia.measures.alerts import RAISED_TITLE
from therapia.measures.models import (
    Administration,
    AdministrationStatus,
    EntryMode,
    Occasion,
    RiskAlert,
)
from therapia.measures.scoring import score
from therapia.scheduling.models import Appointment, Purpose, Status
from therapia.security import crypto
from therapia.seeding.bulk import insert_rows

MEASURED_CLIENTS = 400
MAX_WEEKS = 20
CORE10_EVERY = 4  # weeks; for one episode in CORE10_SHARE
CORE10_SHARE = 4
COURSES = (("improving", 65), ("flat", 22), ("worse", 13))


def _items(rng: random.Random, total: int, count: int, high: int, *,
           keep_last_zero: bool = False) -> list[int]:
    """`count` item values from 0 to `high` that sum to `total` (item 9 of the PHQ-9, the
    risk item, stays 0 unless asked otherwise)."""
    slots = count - 1 if keep_last_zero else count
    total = max(0, min(total, slots * high))
    items = [0] * count
    for _ in range(total):
        choices = [i for i in range(slots) if items[i] < high]
        items[rng.choice(choices)] += 1
    return items


def _course(rng: random.Random, baseline: float, weeks: int, kind: str) -> list[float]:
    values = []
    for week in range(weeks):
        if kind == "improving":
            target = baseline * (0.35 + 0.65 * 0.82 ** week)
        elif kind == "worse":
            target = baseline + 0.45 * week
        else:
            target = baseline
        values.append(target + rng.gauss(0, 1.6))
    return values


def _answers(client: Client, administration: Administration, items: list[int]) -> bytes:
    return administrations.answers_ciphertext(administration,
                                              administrations.Answers(items=items, text={}))


def _completed(client: Client, episode: Episode, instrument: str, items: list[int],
               when: dt.datetime, *, appointment_id: int | None, paper_by: int | None
               ) -> Administration:
    result = score(instrument, items)
    administration = Administration(
        practice_id=episode.practice_id, client=client, episode=episode,
        appointment_id=appointment_id, instrument_id=instrument, instrument_version="1",
        occasion=Occasion.EVERY_SESSION if appointment_id else Occasion.AD_HOC,
        status=AdministrationStatus.COMPLETED,
        entry_mode=EntryMode.PAPER if paper_by else EntryMode.CLIENT_LINK,
        entered_by_id=paper_by, sent_at=None if paper_by else when - dt.timedelta(hours=20),
        completed_at=when, last_saved_at=when, answered_count=len(items),
        total=None if result.total is None else float(result.total), band=result.band or "",
        prorated=result.prorated,
        subscales={s.id: {"value": s.value, "band": s.band, "prorated": s.prorated}
                   for s in result.subscales},
        risk_flag_ids=[flag.id for flag in result.risk_flags])
    administration.created_at = administration.updated_at = when
    administration.answers = _answers(client, administration, items)
    return administration


def _moments(episode: Episode, sessions: list[tuple[int, dt.datetime]], today: dt.date
             ) -> list[tuple[int | None, dt.datetime]]:
    """The morning before each attended treatment session, or weekly from the start of
    treatment where the episode has no sessions on record."""
    if sessions:
        found: list[tuple[int | None, dt.datetime]] = [
            (pk, starts - dt.timedelta(hours=3)) for pk, starts in sessions]
        return found[:MAX_WEEKS]
    start = episode.first_treatment_on or episode.assessed_on or episode.opened_on
    end = episode.discharged_on or today
    weeks = min(MAX_WEEKS, max(0, (end - start).days // 7))
    base = dt.datetime.combine(start, dt.time(8, 30), tzinfo=dt.UTC)
    return [(None, base + dt.timedelta(weeks=w)) for w in range(weeks)]


def seed_measures(practice: Practice, *, rng: random.Random, today: dt.date,
                  measured_clients: int = MEASURED_CLIENTS) -> int:
    """Returns how many questionnaires were stored."""
    clients = {c.pk: c for c in Client.objects.filter(practice=practice).order_by("pk")
               .only("pk", "public_id", "practice_id")[:measured_clients]}
    episodes = list(Episode.objects.filter(
        practice=practice, client_id__in=clients,
        status__in=[EpisodeStatus.IN_TREATMENT, EpisodeStatus.DISCHARGED])
        .exclude(first_treatment_on__isnull=True).order_by("pk"))
    sessions: dict[int, list[tuple[int, dt.datetime]]] = defaultdict(list)
    for pk, episode_id, starts in Appointment.objects.filter(
            episode_id__in=[e.pk for e in episodes], purpose=Purpose.TREATMENT,
            status=Status.ATTENDED).order_by("starts_at").values_list("pk", "episode_id",
                                                                      "starts_at"):
        sessions[episode_id].append((pk, starts))
    primary = dict(CareTeamMember.objects.filter(
        client_id__in=clients, role=CareRole.PRIMARY, ended_on__isnull=True)
        .values_list("client_id", "membership_id"))
    kinds = [kind for kind, _ in COURSES]
    weights = [weight for _, weight in COURSES]
    rows: list[Administration] = []
    with crypto.key_cache():
        for number, episode in enumerate(episodes):
            client = clients[episode.client_id]
            moments = _moments(episode, sessions.get(episode.pk, []), today)
            if not moments:
                continue
            kind = rng.choices(kinds, weights)[0]
            phq = _course(rng, rng.uniform(10, 22), len(moments), kind)
            gad = [v * 0.75 + rng.gauss(0, 1.2) for v in phq]
            for week, (appointment_id, when) in enumerate(moments):
                phq_items = _items(rng, round(phq[week]), 9, 3, keep_last_zero=True)
                rows.append(_completed(client, episode, "phq9", [*phq_items, 1], when,
                                       appointment_id=appointment_id, paper_by=None))
                gad_items = _items(rng, round(gad[week]), 7, 3)
                rows.append(_completed(client, episode, "gad7", [*gad_items, 1],
                                       when + dt.timedelta(minutes=4),
                                       appointment_id=appointment_id, paper_by=None))
                if number % CORE10_SHARE == 0 and week % CORE10_EVERY == 0 \
                        and client.pk in primary:
                    core = _items(rng, round(phq[week] * 0.9), 10, 4)
                    core[5] = 0  # the risk item
                    rows.append(_completed(client, episode, "core10", core,
                                           when + dt.timedelta(hours=3, minutes=30),
                                           appointment_id=appointment_id,
                                           paper_by=primary[client.pk]))
        _insert(rows)
        return len(rows) + _open_risk_alert(practice, today)


COLUMNS = ("public_id", "created_at", "updated_at", "practice_id", "client_id", "episode_id",
           "appointment_id", "instrument_id", "instrument_version", "occasion", "occasion_key",
           "status", "entry_mode", "entered_by_id", "sent_at", "answers", "answered_count",
           "last_saved_at", "completed_at", "total", "band", "prorated", "subscales",
           "risk_flag_ids")


def _insert(rows: list[Administration]) -> None:
    """COPY through seeding/bulk.py: several times faster than bulk_create here."""
    insert_rows(Administration, COLUMNS, (
        [Jsonb(getattr(row, name)) if name == "subscales" else getattr(row, name)
         for name in COLUMNS] for row in rows))


def _open_risk_alert(practice: Practice, today: dt.date) -> int:
    """One of the owner's clients in treatment answered item 9 'several days' this
    morning: an open alert for the owner (and its in-app notification)."""
    owner = Membership.objects.filter(practice=practice, role=Role.OWNER,
                                      is_active=True).order_by("pk").first()
    if owner is None:
        return 0
    episode = (Episode.objects.filter(
        practice=practice, status=EpisodeStatus.IN_TREATMENT,
        client__care_team__membership=owner, client__care_team__role=CareRole.PRIMARY,
        client__care_team__ended_on__isnull=True).select_related("client")
        .order_by("client_id").first())
    if episode is None:
        return 0
    when = min(dt.datetime.combine(today, dt.time(7, 45), tzinfo=dt.UTC), timezone.now())
    items = [2, 2, 1, 2, 1, 2, 1, 1, 1, 1]  # total 13, moderate; item 9 = 1
    with crypto.key_cache():
        administration = _completed(episode.client, episode, "phq9", items, when,
                                    appointment_id=None, paper_by=None)
    administration.submission_id = uuid.uuid4()
    administration.save()
    alert = RiskAlert.objects.create(
        practice=practice, client=episode.client, episode=episode,
        administration=administration, risk_flag_ids=administration.risk_flag_ids,
        raised_at=when, assigned_to=owner)
    Notification.objects.create(recipient=owner, title=RAISED_TITLE,
                                # where the project mounts measures/urls.py
                                url=f"/measures/alerts/{alert.public_id}/", emailed_at=when)
    return 1
