"""Events on an episode's timeline: progress notes signed, addenda, treatment-plan versions.
Titles in plain words without clinical text; nothing for an actor without clinical access.
Psychotherapy notes never appear here (PN-3)."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone

from therapia.clients.contributions import TimelineEvent
from therapia.clients.models import Episode
from therapia.records import note_policy
from therapia.records.models import (
    ProgressNote,
    ProgressNoteAddendum,
    TreatmentPlanVersion,
)
from therapia.records.note_templates import TEMPLATES
from therapia.security.actor import Actor


def events(actor: Actor, episode: Episode) -> Iterable[TimelineEvent]:
    found: list[TimelineEvent] = []
    if note_policy.can_read_notes_of(actor, episode.client):
        found.extend(_note_events(episode))
    if note_policy.can_view_plan(actor, episode.client):
        found.extend(_plan_events(episode))
    return sorted(found, key=lambda e: e.when, reverse=True)


def _note_events(episode: Episode) -> list[TimelineEvent]:
    found: list[TimelineEvent] = []
    signed = ProgressNote.objects.filter(episode=episode, signed_at__isnull=False)
    for note in signed.select_related("appointment").only(
            "public_id", "template", "signed_at", "appointment__starts_at"):
        assert note.signed_at is not None  # noqa: S101 (filtered above; narrowing for mypy)
        label = TEMPLATES[note.template].label
        session = (f" for the session of {timezone.localtime(note.appointment.starts_at):%-d %B}"
                   if note.appointment else "")
        found.append(TimelineEvent(when=note.signed_at, kind="note",
                                   title=f"{label} note signed{session}",
                                   url=reverse("records:note", args=[note.public_id])))
    addenda = ProgressNoteAddendum.objects.filter(note__episode=episode).select_related("note")
    found.extend(
        TimelineEvent(when=addendum.written_at, kind="note",
                      title="Addendum added to a progress note",
                      url=reverse("records:note", args=[addendum.note.public_id]))
        for addendum in addenda.only("written_at", "note__public_id"))
    return found


def _plan_events(episode: Episode) -> list[TimelineEvent]:
    found: list[TimelineEvent] = []
    versions = TreatmentPlanVersion.objects.filter(plan__episode=episode).select_related("plan")
    for version in versions.only("number", "created_at", "plan__public_id"):
        title = ("Treatment plan written" if version.number == 1
                 else f"Treatment plan revised (version {version.number})")
        found.append(TimelineEvent(
            when=version.created_at, kind="plan", title=title,
            url=reverse("records:plan_version", args=[version.plan.public_id, version.number])))
    return found
