"""Sessions on an episode's timeline: the client's own sessions, group sessions shown by the
group's name, and couple and family sessions by their type, each with this member's
attendance only (never who else came)."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse

from therapia.clients.contributions import TimelineEvent
from therapia.clients.models import Episode
from therapia.scheduling.models import Appointment, Attendance, Status
from therapia.security.actor import Actor
from therapia.security.policy import can_view_clinical


def events(actor: Actor, episode: Episode) -> Iterable[TimelineEvent]:
    if not can_view_clinical(actor, episode.client):
        return []
    labels = dict(Status.choices)
    found = [
        TimelineEvent(when=s.starts_at, kind="session",
                      title=f"{s.get_purpose_display()} session: {labels[s.status].lower()}",
                      url=reverse("scheduling:session", args=[s.public_id]))
        for s in Appointment.objects.filter(episode=episode).only(
            "public_id", "starts_at", "purpose", "status")
    ]
    found += [
        TimelineEvent(when=row.appointment.starts_at, kind="session",
                      title=f"{_with_others(row)}: {labels[row.status].lower()}",
                      url=reverse("scheduling:session", args=[row.appointment.public_id]))
        for row in Attendance.objects.filter(episode=episode).select_related(
            "appointment__group")
    ]
    return found


def _with_others(row: Attendance) -> str:
    """'Group session (its name)', or 'Couple session' / 'Family session': a unit's name is
    often the other members' family name, so it is left out."""
    group = row.appointment.group
    if group is not None:
        return f"Group session ({group.name})"
    return f"{row.appointment.get_kind_display()} session"
