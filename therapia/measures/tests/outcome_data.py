"""Completed questionnaires and attended sessions for the outcome-page tests, stored as the
measures app stores them (answers encrypted, score columns filled)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from therapia.accounts.models import Membership
from therapia.clients.models import Client, Episode, EpisodeStatus
from therapia.core import factories
from therapia.measures.models import Administration, AdministrationStatus, EntryMode
from therapia.measures.scoring import score
from therapia.scheduling.models import Purpose, Status
from therapia.security import crypto

START = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)


def phq9_items(total: int) -> list[int]:
    """Nine answers summing to `total`, item 9 (risk) left at 0."""
    items = [0] * 9
    for i in range(total):
        items[i % 8] += 1
    return items


def gad7_items(total: int) -> list[int]:
    items = [0] * 7
    for i in range(total):
        items[i % 7] += 1
    return items


def make_episode(client: Client, *, opened_on: dt.date = dt.date(2026, 1, 2),
                 discharged_on: dt.date | None = None) -> Episode:
    return Episode.objects.create(
        practice_id=client.practice_id, client=client, opened_on=opened_on,
        status=EpisodeStatus.DISCHARGED if discharged_on else EpisodeStatus.IN_TREATMENT,
        discharged_on=discharged_on,
        discharge_reason="completed" if discharged_on else "")


def attend(episode: Episode, clinician: Membership, when: dt.datetime,
           purpose: str = Purpose.TREATMENT) -> None:
    factories.AppointmentFactory.create(
        practice_id=episode.practice_id, episode=episode, purpose=purpose,
        status=Status.ATTENDED, starts_at=when, ends_at=when + dt.timedelta(minutes=50),
        clients=[episode.client], clinicians=[clinician])


def complete(episode: Episode, clinician: Membership, instrument: str, items: list[Any],
             when: dt.datetime) -> Administration:
    result = score(instrument, items)
    administration = Administration(
        practice_id=episode.practice_id, client=episode.client, episode=episode,
        instrument_id=instrument, instrument_version="1", status=AdministrationStatus.COMPLETED,
        entry_mode=EntryMode.PAPER, entered_by=clinician, completed_at=when,
        total=None if result.total is None else float(result.total), band=result.band or "",
        prorated=result.prorated, answered_count=sum(v is not None for v in items),
        subscales={s.id: {"value": s.value, "band": s.band, "prorated": s.prorated}
                   for s in result.subscales},
        risk_flag_ids=[flag.id for flag in result.risk_flags])
    administration.answers = crypto.encrypt_text(
        client=episode.client, key_class=crypto.KeyClass.CLINICAL,
        model_label="measures.Administration", record_id=administration.public_id,
        field="answers", plaintext=json.dumps({"items": items, "text": {}}))
    administration.save()
    return administration


def weekly_course(episode: Episode, clinician: Membership, phq9: list[int],
                  gad7: list[int] | None = None) -> list[Administration]:
    """A questionnaire the morning before each weekly session, the first before the first
    treatment session (the intake score); every session attended."""
    made = []
    for week, total in enumerate(phq9):
        morning = START + dt.timedelta(weeks=week)
        made.append(complete(episode, clinician, "phq9", phq9_items(total), morning))
        if gad7 is not None and week < len(gad7):
            made.append(complete(episode, clinician, "gad7", gad7_items(gad7[week]),
                                 morning + dt.timedelta(minutes=5)))
        attend(episode, clinician, morning + dt.timedelta(hours=1))
    return made
