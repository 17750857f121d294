"""The outcome page of an episode (charts, change statistics, NHS Talking Therapies outcome,
not-on-track) and its client version. Never cached; whatever the actor may not see is a 404.
Mounted through trajectory_urls.py."""

from __future__ import annotations

import uuid

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from therapia.core.decorators import staff_view
from therapia.core.http import AuthedRequest
from therapia.measures import trajectory_selectors


def _episode_id(request: AuthedRequest) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(request.GET["episode"]))
    except (KeyError, ValueError):
        return None


@never_cache
@staff_view
@require_GET
def outcomes(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    page = trajectory_selectors.episode_outcomes(
        actor=request.actor, client_public_id=public_id, episode_public_id=_episode_id(request))
    return render(request, "measures/outcomes.html",
                  {"page": page, "client": page.client, "nav": "clients"})


@never_cache
@staff_view
@require_GET
def outcomes_client_version(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    """What the clinician may show or print for the client: scores in plain words."""
    page = trajectory_selectors.episode_outcomes(
        actor=request.actor, client_public_id=public_id, episode_public_id=_episode_id(request),
        audience="client")
    return render(request, "measures/outcomes_client.html",
                  {"page": page, "client": page.client, "nav": "clients"})
