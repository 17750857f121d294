"""Shared set-up for the administration, portal, alert and plan tests: Dana (Alice's
client, personas) in treatment, and questionnaires sent to her."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.test import Client as HttpClient
from django.urls import reverse

from therapia.clients.models import Episode, EpisodeStatus
from therapia.core.testing import Personas
from therapia.measures import administrations
from therapia.measures.models import Administration

PHQ9_RISK = [1, 1, 2, 1, 0, 1, 1, 0, 1, 1]  # item 9 = 1: total 8, mild
PHQ9_CALM = [0, 1, 0, 1, 0, 0, 1, 0, 0, 0]  # total 3, minimal


def open_episode(p: Personas) -> Episode:
    found = Episode.objects.filter(client=p.dana).exclude(status="discharged").first()
    return found or Episode.objects.create(
        practice=p.practice, client=p.dana, opened_on=dt.date(2026, 1, 5),
        status=EpisodeStatus.IN_TREATMENT)


def send(p: Personas, instrument: str = "phq9", **kwargs: Any) -> tuple[Administration, str]:
    issued = administrations.administration_create(
        actor=p.actor("owner"), episode=open_episode(p), instrument=instrument,
        with_link=True, **kwargs)
    assert issued.token is not None
    return issued.administration, issued.token


def form_data(items: Sequence[int | None], action: str = "submit",
              submission_id: str = "9a5e3c1e-5d4c-4c8b-9f1e-2a3b4c5d6e7f") -> dict[str, str]:
    data = {f"item_{n}": "" if v is None else str(v) for n, v in enumerate(items, 1)}
    return {**data, "action": action, "submission_id": submission_id}


def link(token: str) -> str:
    return reverse("portal:questionnaire", args=[token])


def done(token: str) -> str:
    return reverse("portal:done", args=[token])


def anonymous() -> HttpClient:
    return HttpClient()
