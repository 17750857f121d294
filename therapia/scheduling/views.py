from __future__ import annotations

import datetime as dt
import zoneinfo

from django.http import HttpResponse
from django.shortcuts import render

from therapia.accounts.selectors import licence_warnings_for, practice_today
from therapia.core.decorators import staff_view
from therapia.core.http import AuthedRequest
from therapia.scheduling import selectors


@staff_view
def agenda(request: AuthedRequest) -> HttpResponse:
    """Today's sessions, or another day's with ?day=YYYY-MM-DD."""
    zone = zoneinfo.ZoneInfo(request.actor.practice.time_zone)
    today = practice_today(request.actor.practice)
    try:
        day = dt.date.fromisoformat(request.GET.get("day", "")) if request.GET.get("day") else today
    except ValueError:
        day = today
    sessions = list(selectors.agenda_for(actor=request.actor, day=day))
    context = {
        "licence_warnings": licence_warnings_for(user=request.user, today=today),
        "day": day, "today": today, "sessions": sessions, "zone": zone, "nav": "agenda",
        "previous": day - dt.timedelta(days=1), "next": day + dt.timedelta(days=1),
    }
    return render(request, "scheduling/agenda.html", context)
